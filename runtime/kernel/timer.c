/*
 * Software one-shot timers over the single hardware deadline: a list sorted by deadline; the
 * hardware timer is always set to the earliest one. Callbacks run in interrupt context.
 */
#include <uk/thread.h>
#include <uk/time.h>

#include "kernel.h"
#include "thread.h"
#include "sysreg.h"

static struct uk_timer *pending; /* sorted, earliest first */
static bool in_timer_irq;	 /* callbacks running: timer_irq programs once when they return */

uint64_t uk_now_ns(void)
{
	return ticks_to_ns(timer_ticks());
}

static void program(void)
{
	if (in_timer_irq)
		return;
	if (pending)
		timer_set_deadline(ns_to_ticks(pending->deadline_ns));
	else
		timer_disarm();
}

static void unlink_timer(struct uk_timer *t)
{
	for (struct uk_timer **p = &pending; *p; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			break;
		}
	}
	t->armed = false;
}

void uk_timer_init(struct uk_timer *t, void (*fn)(struct uk_timer *t, void *arg), void *arg)
{
	t->next = NULL;
	t->deadline_ns = 0;
	t->fn = fn;
	t->arg = arg;
	t->armed = false;
}

/* Any context. Re-arming an armed timer moves it. */
void uk_timer_start(struct uk_timer *t, uint64_t deadline_ns)
{
	uint64_t daif = irq_save();
	if (t->armed)
		unlink_timer(t);
	t->deadline_ns = deadline_ns;
	struct uk_timer **p = &pending;
	while (*p && (*p)->deadline_ns <= deadline_ns)
		p = &(*p)->next;
	t->next = *p;
	*p = t;
	t->armed = true;
	program();
	irq_restore(daif);
}

void uk_timer_stop(struct uk_timer *t)
{
	uint64_t daif = irq_save();
	if (t->armed)
		unlink_timer(t);
	program();
	irq_restore(daif);
}

/* Timer interrupt: run every expired timer, then aim the hardware at the next one, once: a
 * callback that re-arms its timer does not program the hardware itself. Each move of the
 * deadline is a trip through QEMU's timer code (~25 us on TCG here); programming twice per tick
 * made the ticker's handler ~57 us instead of ~32 us (issue 16, docs/bench.md "Latency"). */
static void timer_irq(void *arg)
{
	(void)arg;
	in_timer_irq = true;
	uint64_t now = uk_now_ns();
	while (pending && pending->deadline_ns <= now) {
		struct uk_timer *t = pending;
		pending = t->next;
		t->armed = false;
		t->fn(t, t->arg);
		now = uk_now_ns();
	}
	in_timer_irq = false;
	program();
}

void clock_init(void)
{
	timer_disarm();
	irq_register(platform.timer_irq, timer_irq, NULL);
}

void uk_wait(void)
{
	/* Other threads run first; with none runnable, WFI until an interrupt is handled. */
	thread_idle();
}

/* Thread context only: blocks the calling thread (kernel/thread.c); other threads run, or the
 * core sleeps in WFI when there are none. */
void uk_sleep_until(uint64_t deadline_ns)
{
	uk_thread_sleep_until(deadline_ns);
}
