/*
 * Test app for uk/thread.h. The boot argument threads=all (default) runs every check below and
 * prints one "threads: ..." line each, then "threads: all passed" and returns 0; a failed check
 * prints "threads: FAIL ..." and returns 1. threads=overflow overruns a thread's stack (the
 * runtime must panic, naming the thread); threads=idle sleeps in two threads for a second so
 * the test can measure that an idle core costs no host CPU; threads=main-exit ends main with
 * uk_thread_exit() while another thread still runs (the app must exit 0 after that one).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uk/config.h>
#include <uk/thread.h>
#include <uk/time.h>

static int failures;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("threads: FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);            \
			printf(__VA_ARGS__);                                                       \
			printf("\n");                                                              \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

static struct uk_thread *spawn(const char *name, void (*fn)(void *), void *arg, size_t stack)
{
	struct uk_thread *t = uk_thread_create(name, fn, arg, stack);
	if (!t) {
		printf("threads: FAIL creating %s: errno %d\n", name, errno);
		exit(1);
	}
	return t;
}

/* ---- yield ping-pong: two threads alternate strictly (FIFO run queue) ---- */
static char order[64];
static size_t order_len;

static void pingpong(void *arg)
{
	for (int i = 0; i < 5; i++) {
		order[order_len++] = *(const char *)arg;
		uk_thread_yield();
	}
}

static void test_pingpong(void)
{
	order_len = 0;
	struct uk_thread *a = spawn("ping", pingpong, "A", 0);
	struct uk_thread *b = spawn("pong", pingpong, "B", 0);
	uk_thread_join(a);
	uk_thread_join(b);
	order[order_len] = 0;
	CHECK(!strcmp(order, "ABABABABAB"), "order %s", order);
	printf("threads: yield ping-pong %s\n", order);
}

/* ---- producer/consumer over a ring of 8 with two counting semaphores ---- */
#define RING  8
#define ITEMS 1000
static struct uk_sem slots, items;
static int ring[RING];
static long consumed_sum;
static int max_fill, fill;

static void producer(void *arg)
{
	(void)arg;
	for (int i = 0; i < ITEMS; i++) {
		uk_sem_wait(&slots, 0);
		ring[i % RING] = i;
		if (++fill > max_fill)
			max_fill = fill;
		uk_sem_post(&items);
		if (i % 3 == 0)
			uk_thread_yield(); /* mix the interleaving up */
	}
}

static void consumer(void *arg)
{
	(void)arg;
	for (int i = 0; i < ITEMS; i++) {
		uk_sem_wait(&items, 0);
		consumed_sum += ring[i % RING];
		fill--;
		uk_sem_post(&slots);
	}
}

static void test_producer_consumer(void)
{
	uk_sem_init(&slots, RING);
	uk_sem_init(&items, 0);
	consumed_sum = 0;
	struct uk_thread *c = spawn("consumer", consumer, NULL, 0);
	struct uk_thread *p = spawn("producer", producer, NULL, 0);
	uk_thread_join(p);
	uk_thread_join(c);
	CHECK(consumed_sum == (long)ITEMS * (ITEMS - 1) / 2, "sum %ld", consumed_sum);
	CHECK(max_fill <= RING, "ring overfilled: %d", max_fill);
	printf("threads: producer/consumer %d items, sum %ld\n", ITEMS, consumed_sum);
}

/* ---- semaphore timeout, measured on uk_now_ns ---- */
static void test_sem_timeout(void)
{
	struct uk_sem s;
	uk_sem_init(&s, 0);
	uint64_t t0 = uk_now_ns();
	int r = uk_sem_wait(&s, 20000000); /* 20 ms */
	uint64_t us = (uk_now_ns() - t0) / 1000;
	CHECK(r == -ETIMEDOUT, "returned %d", r);
	CHECK(us >= 20000, "woke early, after %llu us", (unsigned long long)us);
	CHECK(uk_sem_trywait(&s) == -EAGAIN, "a timed-out wait left a unit behind");
	uk_sem_post(&s);
	CHECK(uk_sem_wait(&s, 20000000) == 0, "a posted unit was not taken");
	printf("threads: sem timeout -ETIMEDOUT after %llu us\n", (unsigned long long)us);
}

/* ---- sleeping blocks only the sleeper ---- */
static volatile int sleeper_done;
static uint64_t slept_us;

static void sleeper(void *arg)
{
	(void)arg;
	uint64_t t0 = uk_now_ns();
	usleep(50000);
	slept_us = (uk_now_ns() - t0) / 1000;
	sleeper_done = 1;
}

static void test_sleep(void)
{
	sleeper_done = 0;
	struct uk_thread *t = spawn("sleeper", sleeper, NULL, 0);
	long spins = 0;
	while (!sleeper_done) {
		spins++;
		uk_thread_yield(); /* main keeps running while the sleeper sleeps */
	}
	uk_thread_join(t);
	CHECK(slept_us >= 50000, "slept only %llu us", (unsigned long long)slept_us);
	CHECK(spins > 1, "main ran %ld times", spins);
	printf("threads: usleep 50 ms in one thread (%llu us) while main ran %s\n",
	       (unsigned long long)slept_us, spins > 1 ? "on" : "NOT");
}

/* ---- errno is per thread (picolibc keeps it in TLS) ---- */
static int errno_seen[2];

/* Out of line: within one function the compiler reads TPIDR_EL0 once and keeps the address. */
__attribute__((noinline)) static int get_errno(void)
{
	return errno;
}

__attribute__((noinline)) static void set_errno(int e)
{
	errno = e;
}

static void errno_thread(void *arg)
{
	int *slot = arg;
	if (slot == &errno_seen[0])
		set_errno(EINVAL);
	else
		strtol("99999999999999999999999", NULL, 10); /* libc sets ERANGE */
	uk_thread_yield();
	uk_thread_yield(); /* the other thread set its own errno meanwhile */
	*slot = get_errno();
}

static void test_errno(void)
{
	set_errno(EDOM);
	struct uk_thread *a = spawn("errno-a", errno_thread, &errno_seen[0], 0);
	struct uk_thread *b = spawn("errno-b", errno_thread, &errno_seen[1], 0);
	uk_thread_join(a);
	uk_thread_join(b);
	int ok = errno_seen[0] == EINVAL && errno_seen[1] == ERANGE && get_errno() == EDOM;
	CHECK(ok, "saw %d %d, main %d", errno_seen[0], errno_seen[1], get_errno());
	printf("threads: errno per thread %s\n", ok ? "ok" : "BROKEN");
}

/* ---- callee-saved FP registers (d8-d15) and stack alignment survive switches ---- */
static void fp_thread(void *arg)
{
	double *out = arg, a = 1.0, b = 0.5, c = 0.25, d = 0.125;
	CHECK(((uintptr_t)__builtin_frame_address(0) & 15) == 0, "sp not 16-byte aligned");
	for (int i = 0; i < 10; i++) {
		a += b;
		b += c;
		c += d;
		d += 1.0 / (i + 1);
		uk_thread_yield();
	}
	*out = a + b + c + d;
}

static void test_fp(void)
{
	double r1 = 0, r2 = 0;
	struct uk_thread *a = spawn("fp-a", fp_thread, &r1, 0);
	struct uk_thread *b = spawn("fp-b", fp_thread, &r2, 0);
	uk_thread_join(a);
	uk_thread_join(b);
	/* The same computation without switches. */
	double a0 = 1.0, b0 = 0.5, c0 = 0.25, d0 = 0.125;
	for (int i = 0; i < 10; i++) {
		a0 += b0;
		b0 += c0;
		c0 += d0;
		d0 += 1.0 / (i + 1);
	}
	CHECK(r1 == a0 + b0 + c0 + d0 && r2 == r1, "%f %f", r1, r2);
	printf("threads: floating point across switches %s\n", r1 == r2 ? "ok" : "BROKEN");
}

/* ---- 50 threads, three rounds: created, run, joined, memory given back ---- */
#define MANY 50
static int ran[MANY];

static void many_thread(void *arg)
{
	int i = (int)(intptr_t)arg;
	uk_thread_yield();
	ran[i]++;
}

static void test_many(void)
{
	struct uk_thread *t[MANY];
	void *brk_after_first = NULL;
	memset(ran, 0, sizeof(ran));
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < MANY; i++) {
			char name[16];
			snprintf(name, sizeof(name), "many-%d", i);
			t[i] = spawn(name, many_thread, (void *)(intptr_t)i, 8192);
		}
		CHECK(!strcmp(uk_thread_name(t[49]), "many-49"), "name %s", uk_thread_name(t[49]));
		for (int i = 0; i < MANY; i++)
			CHECK(uk_thread_join(t[i]) == 0, "join %d", i);
		if (round == 0)
			brk_after_first = sbrk(0);
	}
	int all = 1;
	for (int i = 0; i < MANY; i++)
		all &= ran[i] == 3;
	CHECK(all, "not every thread ran three times");
	CHECK(sbrk(0) == brk_after_first, "the heap grew by %ld bytes after the first round",
	      (long)((char *)sbrk(0) - (char *)brk_after_first));
	printf("threads: %d threads created and joined, 3 rounds, heap %s\n", MANY,
	       sbrk(0) == brk_after_first ? "reused" : "LEAKED");
}

/* ---- detached threads free themselves ---- */
static int detached_ran;

static void detached_thread(void *arg)
{
	(void)arg;
	detached_ran++;
}

static void test_detach(void)
{
	for (int i = 0; i < 20; i++) {
		struct uk_thread *t = spawn("detached", detached_thread, NULL, 8192);
		CHECK(uk_thread_detach(t) == 0, "detach");
		uk_thread_yield();
	}
	uk_thread_yield();
	CHECK(detached_ran == 20, "ran %d", detached_ran);
	CHECK(uk_thread_join(uk_thread_current()) == -EINVAL, "joining oneself");
	printf("threads: 20 detached threads ran and ended\n");
}

/* ---- a timer callback (interrupt context) wakes a blocked thread ---- */
static struct uk_sem irq_sem;
static uint64_t posted_at;

static void post_from_irq(struct uk_timer *t, void *arg)
{
	(void)t;
	(void)arg;
	posted_at = uk_now_ns();
	uk_sem_post(&irq_sem);
}

static volatile int waiter_result = 1;
static uint64_t waiter_woke;

static void irq_waiter(void *arg)
{
	(void)arg;
	waiter_result = uk_sem_wait(&irq_sem, 1000000000); /* 1 s; the timer fires at 10 ms */
	waiter_woke = uk_now_ns();
}

static void test_irq_post(void)
{
	uk_sem_init(&irq_sem, 0);
	struct uk_timer tm;
	uk_timer_init(&tm, post_from_irq, NULL);
	/* A thread blocked with a timeout, main blocked in join: the core idles in WFI. */
	struct uk_thread *t = spawn("irq-waiter", irq_waiter, NULL, 0);
	uint64_t t0 = uk_now_ns();
	uk_timer_start(&tm, t0 + 10000000);
	uk_thread_join(t);
	uint64_t us = (waiter_woke - t0) / 1000;
	CHECK(waiter_result == 0, "returned %d", waiter_result);
	CHECK(us >= 10000 && us < 500000, "woke after %llu us", (unsigned long long)us);
	/* main itself, blocked forever, woken by the interrupt. */
	uk_timer_start(&tm, uk_now_ns() + 5000000);
	CHECK(uk_sem_wait(&irq_sem, 0) == 0, "main's wait");
	printf("threads: woken from a timer interrupt after %llu us\n", (unsigned long long)us);
}

/* ---- threads=overflow: a thread runs past the bottom of its stack ---- */
__attribute__((noinline)) static int use_stack(size_t n)
{
	volatile char buf[n];
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)i;
	return buf[n / 2];
}

static void overflow_thread(void *arg)
{
	(void)arg;
	printf("threads: overflower used %d\n", use_stack(12 * 1024) & 0); /* 8 KiB stack */
	uk_thread_yield(); /* the switch checks the canary */
	printf("threads: FAIL overflow not detected\n");
}

static void test_overflow(void)
{
	/* The overflow writes below the stack's heap block: give it something harmless to hit. */
	volatile char *pad = malloc(64 * 1024);
	pad[0] = 0;
	uk_thread_join(spawn("overflower", overflow_thread, NULL, 8192));
}

/* ---- threads=idle: two threads sleep one second; the core should sit in WFI ---- */
static void idle_thread(void *arg)
{
	(void)arg;
	sleep(1);
}

static void test_idle(void)
{
	uint64_t t0 = uk_now_ns();
	struct uk_thread *a = spawn("idle-a", idle_thread, NULL, 0);
	struct uk_thread *b = spawn("idle-b", idle_thread, NULL, 0);
	uk_thread_join(a);
	uk_thread_join(b);
	printf("threads: idle for %llu ms\n", (unsigned long long)((uk_now_ns() - t0) / 1000000));
}

/* ---- threads=main-exit: main ends with uk_thread_exit; the app exits when the last does ---- */
static void last_thread(void *arg)
{
	(void)arg;
	usleep(10000);
	printf("threads: last thread ends after main\n");
}

int main(void)
{
	const char *which = uk_config_get("threads");
	if (!which)
		which = "all";
	printf("threads: %s\n", which);
	if (!strcmp(which, "overflow")) {
		test_overflow();
		return 1;
	}
	if (!strcmp(which, "main-exit")) {
		spawn("last", last_thread, NULL, 0);
		uk_thread_exit();
	}
	if (!strcmp(which, "idle")) {
		test_idle();
		return 0;
	}
	/* Before any other thread exists, sleeping is a plain WFI sleep. */
	uint64_t t0 = uk_now_ns();
	usleep(1000);
	CHECK(uk_now_ns() - t0 >= 1000000, "usleep(1000) from main alone");
	CHECK(!strcmp(uk_thread_name(uk_thread_current()), "main"), "main's name");

	test_pingpong();
	test_producer_consumer();
	test_sem_timeout();
	test_sleep();
	test_errno();
	test_fp();
	test_many();
	test_detach();
	test_irq_post();
	if (failures) {
		printf("threads: %d checks failed\n", failures);
		return 1;
	}
	printf("threads: all passed\n");
	return 0;
}
