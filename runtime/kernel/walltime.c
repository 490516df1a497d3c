/*
 * Wall-clock time (CLOCK_REALTIME, time(), gettimeofday()): the monotonic counter plus an offset
 * that a source sets: the board's RTC at boot (PL031 on virt; a DS1338/DS1307 on I2C on the Pi
 * when uk.rtc=ds1338 declares one), SNTP once the network is up (lwip_port/sntp.c), or the app
 * (clock_settime, settimeofday). Until one does, the wall clock counts from 1970-01-01 at reset
 * and uk_walltime_known() says so, so nothing mistakes uptime for a date (certificate checks
 * refuse to run on it). SNTP's time is written back to the RTC, so the next boot starts known.
 */
#include <errno.h>

#include <uk/config.h>
#include <uk/thread.h>
#include <uk/time.h>

#include "kernel.h"
#include "sysreg.h"

#define NS_PER_S 1000000000ull
/* An RTC that says a date before this has lost its time (battery out, never set). */
#define PLAUSIBLE_S 1704067200ull /* 2024-01-01 */

static int64_t offset_ns; /* wall = uk_now_ns() + offset_ns */
static enum uk_walltime_source source = UK_WALLTIME_NONE;
static const struct rtc_ops *rtc;

uint64_t walltime_now_ns(void)
{
	return (uint64_t)((int64_t)uk_now_ns() + offset_ns);
}

void walltime_set(uint64_t unix_ns, enum uk_walltime_source from)
{
	uint64_t irq = irq_save(); /* SNTP sets it from lwIP's thread, readers are anywhere */
	offset_ns = (int64_t)unix_ns - (int64_t)uk_now_ns();
	source = from;
	irq_restore(irq);
	if (from == UK_WALLTIME_SNTP && rtc && rtc->write)
		rtc->write(unix_ns / NS_PER_S); /* best effort: the next boot starts known */
}

void walltime_boot(void)
{
	rtc = rtc_probe();
	uint64_t s;
	if (!rtc || rtc->read(&s) != 0)
		return;
	if (s < PLAUSIBLE_S) {
		kprintf("uk: the %s RTC says %llu s since 1970, before 2024: time unknown until "
			"SNTP or the app sets it\n",
			rtc->name, (unsigned long long)s);
		return;
	}
	walltime_set(s * NS_PER_S, UK_WALLTIME_RTC);
}

bool uk_walltime_known(void)
{
	return source != UK_WALLTIME_NONE;
}

enum uk_walltime_source uk_walltime_source(void)
{
	return source;
}

const char *uk_walltime_source_name(enum uk_walltime_source s)
{
	switch (s) {
	case UK_WALLTIME_NONE:
		return "none";
	case UK_WALLTIME_RTC:
		return "rtc";
	case UK_WALLTIME_SNTP:
		return "sntp";
	case UK_WALLTIME_APP:
		return "app";
	}
	return "unknown";
}

int uk_walltime_wait(uint64_t timeout_ns)
{
	uint64_t now0 = uk_now_ns();
	uint64_t deadline = timeout_ns > UINT64_MAX - now0 ? UINT64_MAX : now0 + timeout_ns;
	while (!uk_walltime_known()) {
		uint64_t now = uk_now_ns();
		if (now >= deadline)
			return -ETIMEDOUT;
		uint64_t step = 20000000ull; /* 20 ms: SNTP answers in about one round trip */
		uk_thread_sleep_until(now + (deadline - now < step ? deadline - now : step));
	}
	return 0;
}
