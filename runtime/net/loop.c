/*
 * The app's side of the event loop. lwIP and the event-API callbacks run in the network
 * threads (net-rx feeds frames, tcpip runs timers), one callback at a time under lwIP's core
 * lock; the app's main thread only has to stay out of the way: uk_loop_run() blocks it.
 */
#include <lwip/tcpip.h>
#include <lwip/timeouts.h>

#include <uk/net.h>
#include <uk/thread.h>

#include "netapi.h"

static struct uk_sem stop_sem;
static bool stop_sem_ready;

static void ensure_sem(void)
{
	if (!stop_sem_ready) {
		uk_sem_init(&stop_sem, 0);
		stop_sem_ready = true;
	}
}

/* Thread context. */
void uk_loop_once(uint64_t timeout_ns)
{
	ensure_sem();
	if (uk_sem_wait(&stop_sem, timeout_ns ? timeout_ns : 1) == 0)
		uk_sem_post(&stop_sem); /* stay stopped for uk_loop_run */
}

/* Thread context: blocks until uk_loop_stop(). */
void uk_loop_run(void)
{
	ensure_sem();
	uk_sem_wait(&stop_sem, 0);
}

/* Any context, callbacks included. */
void uk_loop_stop(void)
{
	ensure_sem();
	uk_sem_post(&stop_sem);
}

int uk_loop_after(uint32_t ms, void (*fn)(void *arg), void *arg)
{
	LOCK_TCPIP_CORE();
	sys_timeout(ms, fn, arg);
	UNLOCK_TCPIP_CORE();
	return 0;
}
