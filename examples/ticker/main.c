/* ticker: a periodic timer interrupt at 1 kHz for one second; reports how late the worst tick
 * was (jitter), the mean and the 99th percentile, and how many ticks arrived. The main loop
 * sleeps in WFI between ticks. Boot arguments:
 *   period_us=N      the period (default 1000)
 *   ticker.core=N    tick on core N (1-3) instead, with its own timer (uk_core_timer_start,
 *                    uk/core.h); core 0 only waits for the result. QEMU virt needs -smp 2 or
 *                    more (uk.yaml's cores: 2 gives it that under `uk run`)
 *   ticker.iperf     first serve iperf 2 on port 5001 on core 0 (lwIP's lwiperf, as
 *                    examples/iperf) and tick once a client's traffic arrives, while it goes
 *                    on: how the network load on core 0 moves the ticks on another core
 *                    (bench/latency.sh) */
#include <stdio.h>

#include <uk/config.h>
#include <uk/core.h>
#include <uk/time.h>

#include "load.h"

static uint64_t period_ns = 1000000;
static volatile unsigned ticks;
static volatile unsigned want;
static volatile bool done; /* core N: set after the last tick */
static uint64_t worst_late_ns, total_late_ns;
/* Lateness histogram in 1 us buckets for the 99th percentile; the last bucket holds the rest. */
#define HIST_US 20000
static unsigned hist[HIST_US + 1];

static void record(uint64_t late)
{
	if (late > worst_late_ns)
		worst_late_ns = late;
	total_late_ns += late;
	hist[late / 1000 < HIST_US ? late / 1000 : HIST_US]++;
}

/* Interrupt context: measure lateness, re-arm one period after the previous deadline. */
static void tick(struct uk_timer *t, void *arg)
{
	(void)arg;
	record(uk_now_ns() - t->deadline_ns);
	if (++ticks < want)
		uk_timer_start(t, t->deadline_ns + period_ns);
}

/* The same on core N, in interrupt context there: the core's timer keeps the period itself. */
static void core_tick(uint64_t deadline_ns, void *arg)
{
	(void)arg;
	record(uk_now_ns() - deadline_ns);
	if (++ticks == want) {
		uk_core_timer_stop();
		__atomic_store_n(&done, true, __ATOMIC_RELEASE); /* the statistics before it */
	}
}

static void on_core(void *arg)
{
	(void)arg;
	uk_core_timer_start(period_ns, core_tick, NULL);
	for (;;)
		__asm__ volatile("wfi"); /* between ticks */
}

int main(void)
{
	period_ns = (uint64_t)uk_config_int("period_us", 1000) * 1000;
	want = (unsigned)(1000000000ull / period_ns);
	long core = uk_config_int("ticker.core", 0);
	bool iperf = uk_config_bool("ticker.iperf", false);
	if (core < 0 || core >= uk_core_count()) {
		printf("ticker: no core %ld (%d cores)\n", core, uk_core_count());
		return 1;
	}
	if (iperf && load_iperf_start() != 0)
		return 1;
	printf("ticker: %u ticks of %llu us\n", want, (unsigned long long)(period_ns / 1000));
	if (core)
		printf("ticker: on core %ld\n", core);

	uint64_t frames = iperf ? load_frames() : 0;
	uint64_t start = uk_now_ns();
	struct uk_timer t;
	if (!core) {
		uk_timer_init(&t, tick, NULL);
		uk_timer_start(&t, start + period_ns);
		while (ticks < want)
			uk_wait();
	} else {
		int err = uk_core_start((unsigned)core, on_core, NULL);
		if (err) {
			printf("ticker: core %ld did not start: %d\n", core, err);
			return 1;
		}
		while (!__atomic_load_n(&done, __ATOMIC_ACQUIRE))
			uk_sleep_until(uk_now_ns() + period_ns); /* core N wakes nobody here */
	}
	uint64_t took = uk_now_ns() - start;
	if (iperf)
		printf("ticker: %llu frames received on core 0 meanwhile\n",
		       (unsigned long long)(load_frames() - frames));

	printf("ticker: %u ticks in %llu us\n", ticks, (unsigned long long)(took / 1000));
	printf("ticker: worst jitter %llu us, mean %llu us\n",
	       (unsigned long long)(worst_late_ns / 1000),
	       (unsigned long long)(total_late_ns / ticks / 1000));
	unsigned seen = 0, p99 = 0;
	while (p99 < HIST_US && (seen += hist[p99]) < (ticks * 99 + 99) / 100)
		p99++;
	printf("ticker: p99 jitter %u us\n", p99);
	return ticks == want ? 0 : 1;
}
