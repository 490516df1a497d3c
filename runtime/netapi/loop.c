/*
 * The event loop: hand received frames to lwIP, run lwIP's timers (and the app's), then sleep
 * in WFI until the next interrupt or timer. Everything lwIP does happens here.
 */
#include <string.h>

#include <lwip/timeouts.h>

#include <uk/net.h>
#include <uk/time.h>

#include "kernel.h"
#include "netapi.h"
#include "netglue.h"
#include "sysreg.h"

static volatile bool stop;

static void wake(struct uk_timer *t, void *arg)
{
	(void)t;
	(void)arg; /* the interrupt itself ends the WFI */
}

void uk_loop_once(uint64_t timeout_ns)
{
	if (net_rx_pending)
		net_poll_input(&uk_netif);
	sys_check_timeouts();
	if (net_rx_pending || stop)
		return;

	/* Sleep until a frame, lwIP's next timer, or the caller's timeout. */
	u32_t ms = sys_timeouts_sleeptime();
	uint64_t sleep =
	    ms == SYS_TIMEOUTS_SLEEPTIME_INFINITE ? timeout_ns : (uint64_t)ms * 1000000u;
	if (sleep > timeout_ns)
		sleep = timeout_ns;
	if (sleep == 0)
		return;
	struct uk_timer t;
	uk_timer_init(&t, wake, NULL);
	uint64_t daif = irq_save();
	uk_timer_start(&t, uk_now_ns() + sleep);
	if (!net_rx_pending)
		wfi();	   /* wakes on a pending interrupt even while masked */
	irq_restore(daif); /* the interrupt is taken here */
	uk_timer_stop(&t);
}

void uk_loop_run(void)
{
	stop = false;
	while (!stop)
		uk_loop_once(UINT64_MAX / 2);
}

void uk_loop_stop(void)
{
	stop = true;
}

int uk_loop_after(uint32_t ms, void (*fn)(void *arg), void *arg)
{
	sys_timeout(ms, fn, arg);
	return 0;
}
