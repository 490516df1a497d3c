/* Test app for uk/core.h, chosen by the boot argument test=report|queue|errors|fault:
 *   report  every other core runs a function that reports the core's number
 *   queue   core 1 sends 1,000,000 sequence numbers through an SPSC queue to core 0
 *   errors  uk_core_start's refusals: core 0, a core the board lacks, a core started twice
 *   fault   core 2 writes through NULL: its dump names core 2 and the board stops (134)
 *   irq     virt's PL061 line 3 interrupt (system_powerdown) routed to core 1 is taken there
 *   timer   uk_core_timer_start on cores 1-3 at once (1, 2 and 4 ms): each ticks on its own core
 *           at its period, deadlines one period apart, and stops (uk_core_timer_stop) */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <uk/config.h>
#include <uk/core.h>
#include <uk/gpio.h>
#include <uk/time.h>

#define MESSAGES 1000000u

static volatile unsigned reported[UK_CORES_MAX];
static volatile int tls_ok[UK_CORES_MAX];
static uint32_t slots[1024];
static struct uk_spsc q;
static struct uk_spinlock lock = UK_SPINLOCK_INIT;
static unsigned shared_count; /* under lock: every core adds to it */

static void report(void *arg)
{
	unsigned expect = (unsigned)(uintptr_t)arg;
	errno = (int)expect; /* per-core TLS: each core sees its own */
	uk_spin_lock(&lock);
	shared_count += 1000;
	uk_spin_unlock(&lock);
	tls_ok[expect] = errno == (int)expect;
	reported[expect] = uk_core_id() + 1; /* 0: not yet */
}

static void produce(void *arg)
{
	(void)arg;
	reported[1] = uk_core_id() + 1;
	for (uint32_t i = 0; i < MESSAGES; i++)
		while (!uk_spsc_push(&q, &i))
			;
}

static int *volatile null_pointer;

__attribute__((noinline)) void fault_on_core(void *arg)
{
	(void)arg;
	*null_pointer = 42;
}

static bool wait_reported(unsigned core)
{
	uint64_t until = uk_now_ns() + 5000000000ull;
	while (!reported[core])
		if (uk_now_ns() > until)
			return false;
	return true;
}

static int test_report(void)
{
	int n = uk_core_count();
	printf("cores: %d, main on core %u\n", n, uk_core_id());
	for (int c = 1; c < n; c++) {
		int err = uk_core_start((unsigned)c, report, (void *)(uintptr_t)c);
		if (err) {
			printf("core %d: start failed: %d\n", c, err);
			return 1;
		}
	}
	int bad = 0;
	for (int c = 1; c < n; c++) {
		if (!wait_reported((unsigned)c)) {
			printf("core %d: no report\n", c);
			bad++;
			continue;
		}
		printf("core %d reports core %u, errno %s\n", c, reported[c] - 1,
		       tls_ok[c] ? "its own" : "shared");
	}
	uk_spin_lock(&lock);
	printf("spinlock count: %u\n", shared_count);
	uk_spin_unlock(&lock);
	return bad;
}

static int test_queue(void)
{
	if (uk_spsc_init(&q, slots, sizeof slots[0], 1024) != 0)
		return 1;
	int err = uk_core_start(1, produce, NULL);
	if (err) {
		printf("core 1: start failed: %d\n", err);
		return 1;
	}
	uint64_t t0 = uk_now_ns();
	uint32_t expect = 0, v;
	unsigned wrong = 0;
	while (expect < MESSAGES) {
		if (!uk_spsc_pop(&q, &v))
			continue;
		if (v != expect && wrong++ < 5)
			printf("queue: got %u, expected %u\n", v, expect);
		expect = v + 1;
	}
	printf("queue: %u messages from core %u in %llu ms, %u lost or out of order\n", MESSAGES,
	       reported[1] - 1, (unsigned long long)((uk_now_ns() - t0) / 1000000), wrong);
	return wrong != 0;
}

static int test_errors(void)
{
	int n = uk_core_count();
	printf("start core 0: %s\n", strerror(-uk_core_start(0, report, 0)));
	printf("start core %d of %d: %s\n", n, n, strerror(-uk_core_start((unsigned)n, report, 0)));
	printf("start core 1 with no function: %s\n", strerror(-uk_core_start(1, NULL, 0)));
	int first = uk_core_start(1, report, (void *)1);
	printf("start core 1: %d\n", first);
	printf("start core 1 again: %s\n", strerror(-uk_core_start(1, report, (void *)1)));
	return first != 0 || !wait_reported(1);
}

static volatile unsigned edges, edge_core;

static void edge(unsigned pin, void *arg) /* interrupt context, on core 1 */
{
	(void)pin;
	(void)arg;
	edge_core = uk_core_id();
	edges++;
}

static void take_interrupts(void *arg)
{
	(void)arg;
	reported[1] = uk_core_id() + 1;
	uk_core_irq_enable();
	for (;;)
		__asm__ volatile("wfi");
}

static int test_irq(void)
{
	int irq = uk_gpio_irq_number(3);
	printf("irq: attach %d, route to core %d of %d: %d\n",
	       uk_gpio_irq_attach(3, UK_GPIO_EDGE_RISING, edge, NULL), uk_core_count(),
	       uk_core_count(), uk_core_irq_route((unsigned)irq, (unsigned)uk_core_count()));
	printf("irq: route the timer (27): %d\n", uk_core_irq_route(27, 1));
	int err = uk_core_irq_route((unsigned)irq, 1);
	if (!err)
		err = uk_core_start(1, take_interrupts, NULL);
	printf("irq: pin 3's interrupt %d routed to core 1: %d\n", irq, err);
	if (err)
		return 1;
	while (!edges)
		uk_sleep_until(uk_now_ns() + 10000000);
	printf("irq: edge on pin 3 taken on core %u\n", edge_core);
	return edge_core != 1;
}

static int test_fault(void)
{
	int err = uk_core_start(2, fault_on_core, NULL);
	printf("core 2 started: %d\n", err);
	uk_sleep_until(uk_now_ns() + 5000000000ull); /* core 2's dump stops the board first */
	printf("fault: core 2 did not stop the board\n");
	return 1;
}

/* test=timer: core c (1-3) ticks TIMER_TICKS times with a period of 2^(c-1) ms, then stops its
 * timer from the callback. Each core writes only its own entry; core 0 reads them once done. */
#define TIMER_TICKS 200u
struct core_ticks {
	uint64_t period_ns, started_ns, last_deadline_ns, done_ns;
	unsigned ticks, wrong_core, wrong_deadline, after_stop;
	int start_err, zero_err;
	bool done;
};
static struct core_ticks core_ticks[UK_CORES_MAX];

static void on_tick(uint64_t deadline_ns, void *arg) /* interrupt context, on core c */
{
	struct core_ticks *t = arg;
	if (uk_core_id() != (unsigned)(t - core_ticks))
		t->wrong_core++;
	uint64_t expect =
	    t->ticks ? t->last_deadline_ns + t->period_ns : t->started_ns + t->period_ns;
	if (t->ticks && deadline_ns != expect)
		t->wrong_deadline++;
	if (!t->ticks && (deadline_ns < expect || deadline_ns > expect + 100000000))
		t->wrong_deadline++; /* the first: one period after the start call */
	if (uk_now_ns() < deadline_ns)
		t->wrong_deadline++; /* early */
	t->last_deadline_ns = deadline_ns;
	if (t->done) {
		t->after_stop++;
		return;
	}
	if (++t->ticks == TIMER_TICKS) {
		uk_core_timer_stop();
		t->done_ns = uk_now_ns();
		__atomic_store_n(&t->done, true, __ATOMIC_RELEASE);
	}
}

static void tick_here(void *arg)
{
	struct core_ticks *t = arg;
	t->zero_err = uk_core_timer_start(0, on_tick, t);
	t->started_ns = uk_now_ns();
	t->start_err = uk_core_timer_start(t->period_ns, on_tick, t);
	reported[uk_core_id()] = uk_core_id() + 1;
	for (;;)
		__asm__ volatile("wfi"); /* the ticks come as interrupts */
}

static int test_timer(void)
{
	int n = uk_core_count(), bad = 0;
	printf("timer: start on core 0: %s\n",
	       strerror(-uk_core_timer_start(1000000, on_tick, &core_ticks[0])));
	for (int c = 1; c < n; c++) {
		core_ticks[c].period_ns = 1000000ull << (c - 1);
		int err = uk_core_start((unsigned)c, tick_here, &core_ticks[c]);
		if (err) {
			printf("timer: core %d: start failed: %d\n", c, err);
			return 1;
		}
	}
	uint64_t until = uk_now_ns() + 30000000000ull;
	for (int c = 1; c < n; c++) {
		struct core_ticks *t = &core_ticks[c];
		while (!__atomic_load_n(&t->done, __ATOMIC_ACQUIRE) && uk_now_ns() < until)
			uk_sleep_until(uk_now_ns() + 10000000);
		if (!t->done) {
			printf("timer: core %d: %u ticks of %u after 30 s (start: %d)\n", c,
			       t->ticks, TIMER_TICKS, t->start_err);
			bad++;
			continue;
		}
		uint64_t took = t->done_ns - t->started_ns;
		printf("timer: core %d: period 0: %s\n", c, strerror(-t->zero_err));
		printf(
		    "timer: core %d: %u ticks of %llu ms in %llu ms, start %d, on another core %u, "
		    "deadline off %u\n",
		    c, t->ticks, (unsigned long long)(t->period_ns / 1000000),
		    (unsigned long long)(took / 1000000), t->start_err, t->wrong_core,
		    t->wrong_deadline);
		/* never early: the last deadline is TIMER_TICKS periods after the start; generous
		 * above (TCG on a busy host) */
		if (t->start_err || t->wrong_core || t->wrong_deadline ||
		    took < TIMER_TICKS * t->period_ns ||
		    took > 10 * TIMER_TICKS * t->period_ns + 2000000000ull)
			bad++;
	}
	uk_sleep_until(uk_now_ns() + 50000000); /* 50 ms: none comes after the stop */
	unsigned after = 0;
	for (int c = 1; c < n; c++)
		after += core_ticks[c].after_stop;
	printf("timer: ticks after the stops: %u\n", after);
	return bad || after;
}

int main(void)
{
	const char *t = uk_config_get("test");
	if (!t || !strcmp(t, "report"))
		return test_report();
	if (!strcmp(t, "queue"))
		return test_queue();
	if (!strcmp(t, "errors"))
		return test_errors();
	if (!strcmp(t, "fault"))
		return test_fault();
	if (!strcmp(t, "irq"))
		return test_irq();
	if (!strcmp(t, "timer"))
		return test_timer();
	printf("unknown test %s\n", t);
	return 2;
}
