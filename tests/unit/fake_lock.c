/* uk_sem_* (uk/thread.h) for host tests of code that uses a semaphore only as a lock between
 * cooperative threads (fs/block_cache.c, the mounts): the test is one thread, so a wait that
 * would block means the code took its own lock twice, and the test aborts. */
#include <stdlib.h>
#include <string.h>

#include <uk/thread.h>

void uk_sem_init(struct uk_sem *s, unsigned long count)
{
	memset(s, 0, sizeof *s);
	s->count = count;
}

void uk_sem_post(struct uk_sem *s)
{
	s->count++;
}

int uk_sem_wait(struct uk_sem *s, uint64_t timeout_ns)
{
	(void)timeout_ns;
	if (s->count == 0)
		abort(); /* the lock taken twice: it would never be given back */
	s->count--;
	return 0;
}
