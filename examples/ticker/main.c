/* ticker: a periodic timer interrupt at 1 kHz for one second; reports how late the worst tick
 * was (jitter), the mean and the 99th percentile, and how many ticks arrived. The main loop
 * sleeps in WFI between ticks. */
#include <stdio.h>

#include <uk/config.h>
#include <uk/time.h>

static uint64_t period_ns = 1000000;
static volatile unsigned ticks;
static volatile unsigned want;
static uint64_t worst_late_ns, total_late_ns;
/* Lateness histogram in 1 us buckets for the 99th percentile; the last bucket holds the rest. */
#define HIST_US 20000
static unsigned hist[HIST_US + 1];

/* Interrupt context: measure lateness, re-arm one period after the previous deadline. */
static void tick(struct uk_timer *t, void *arg)
{
	(void)arg;
	uint64_t late = uk_now_ns() - t->deadline_ns;
	if (late > worst_late_ns)
		worst_late_ns = late;
	total_late_ns += late;
	hist[late / 1000 < HIST_US ? late / 1000 : HIST_US]++;
	if (++ticks < want)
		uk_timer_start(t, t->deadline_ns + period_ns);
}

int main(void)
{
	period_ns = (uint64_t)uk_config_int("period_us", 1000) * 1000;
	want = (unsigned)(1000000000ull / period_ns);
	printf("ticker: %u ticks of %llu us\n", want, (unsigned long long)(period_ns / 1000));

	struct uk_timer t;
	uk_timer_init(&t, tick, NULL);
	uint64_t start = uk_now_ns();
	uk_timer_start(&t, start + period_ns);
	while (ticks < want)
		uk_wait();
	uint64_t took = uk_now_ns() - start;

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
