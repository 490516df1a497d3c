/* The fake timers of fake_timer.h. */
#include "fake_timer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TIMERS 32

static struct uk_timer *timers[MAX_TIMERS];

void fake_timers_reset(void)
{
	memset(timers, 0, sizeof(timers));
}

void uk_timer_init(struct uk_timer *t, void (*fn)(struct uk_timer *t, void *arg), void *arg)
{
	memset(t, 0, sizeof(*t));
	t->fn = fn;
	t->arg = arg;
}

void uk_timer_start(struct uk_timer *t, uint64_t deadline_ns)
{
	t->deadline_ns = deadline_ns;
	t->armed = true;
	for (int i = 0; i < MAX_TIMERS; i++)
		if (timers[i] == t)
			return;
	for (int i = 0; i < MAX_TIMERS; i++)
		if (!timers[i]) {
			timers[i] = t;
			return;
		}
	printf("# fake_timer: more than %d timers armed at once\n", MAX_TIMERS);
	abort();
}

void uk_timer_stop(struct uk_timer *t)
{
	t->armed = false;
	for (int i = 0; i < MAX_TIMERS; i++)
		if (timers[i] == t)
			timers[i] = NULL;
}

struct uk_timer *fake_timer_next_due(uint64_t until)
{
	int first = -1;
	for (int i = 0; i < MAX_TIMERS; i++)
		if (timers[i] && timers[i]->deadline_ns <= until &&
		    (first < 0 || timers[i]->deadline_ns < timers[first]->deadline_ns))
			first = i;
	if (first < 0)
		return NULL;
	struct uk_timer *t = timers[first];
	timers[first] = NULL;
	t->armed = false;
	return t;
}
