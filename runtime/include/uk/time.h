/*
 * uk/time.h: the monotonic clock and one-shot timers.
 *
 *     #include <uk/time.h>
 *
 *     static void tick(struct uk_timer *t, void *arg)
 *     {
 *             int *count = arg;
 *             if (++*count < 10)
 *                     uk_timer_start(t, t->deadline_ns + 1000000);   // again in 1 ms
 *     }
 *
 *     int main(void)
 *     {
 *             int count = 0;
 *             struct uk_timer t;
 *             uk_timer_init(&t, tick, &count);
 *             uk_timer_start(&t, uk_now_ns() + 1000000);
 *             while (count < 10)
 *                     uk_wait();                                       // WFI until an interrupt
 *             return 0;
 *     }
 *
 * Timer callbacks run in interrupt context: keep them short, do not sleep or block in them.
 * clock_gettime(CLOCK_MONOTONIC) and nanosleep() work as well, on the same clock.
 *
 * Wall-clock time (clock_gettime(CLOCK_REALTIME), time(), gettimeofday()) is known once a
 * source set it: the RTC at boot (QEMU virt's PL031; on a Pi a DS1338/DS1307 on I2C declared
 * with uk.rtc=ds1338 [uk.rtc.bus=1 uk.rtc.address=0x68]), SNTP (servers from uk.yaml's
 * network: ntp, the boot argument net.ntp=SERVER[,SERVER] or DHCP), or the app (clock_settime,
 * settimeofday). Before that it counts from 1970-01-01 at reset:
 *
 *     if (uk_walltime_wait(10000000000ull) != 0)    // 10 s
 *             printf("no time yet: readings carry uptime only
");
 *     else
 *             printf("now %lld (from %s)
", (long long)time(NULL),
 *                    uk_walltime_source_name(uk_walltime_source()));
 */
#ifndef UK_TIME_H
#define UK_TIME_H

#include <stdbool.h>
#include <stdint.h>

/* Nanoseconds since the counter started (reset, in QEMU; power-on firmware, on a Pi). */
uint64_t uk_now_ns(void);

struct uk_timer {
	struct uk_timer *next; /* private */
	uint64_t deadline_ns;  /* absolute, on the uk_now_ns() clock */
	void (*fn)(struct uk_timer *t, void *arg);
	void *arg;
	volatile bool armed;
};

void uk_timer_init(struct uk_timer *t, void (*fn)(struct uk_timer *t, void *arg), void *arg);
/* Arms (or moves) t to fire once at deadline_ns. A deadline in the past fires at once. */
void uk_timer_start(struct uk_timer *t, uint64_t deadline_ns);
void uk_timer_stop(struct uk_timer *t);

/* Sleeps (WFI) until the next interrupt of any kind has been handled. */
void uk_wait(void);
/* Sleeps (WFI) until deadline_ns. Not from a timer callback. */
void uk_sleep_until(uint64_t deadline_ns);

enum uk_walltime_source { UK_WALLTIME_NONE, UK_WALLTIME_RTC, UK_WALLTIME_SNTP, UK_WALLTIME_APP };
bool uk_walltime_known(void);
enum uk_walltime_source uk_walltime_source(void);
const char *uk_walltime_source_name(enum uk_walltime_source source); /* "none", "rtc", ... */
/* Blocks this thread until wall time is known: 0, or -ETIMEDOUT. */
int uk_walltime_wait(uint64_t timeout_ns);

#endif
