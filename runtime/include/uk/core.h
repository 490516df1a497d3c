/*
 * uk/core.h: the board's other cores. Start a function on core 1, 2 or 3 and pass it work
 * through lock-free single-producer/single-consumer queues; a spinlock for the rare state two
 * cores share.
 *
 *     #include <stdio.h>
 *     #include <uk/core.h>
 *
 *     static uint32_t slots[256];                  // the queue's buffer: 256 slots of 4 bytes
 *     static struct uk_spsc q;
 *
 *     static void count(void *arg)                 // runs on core 1
 *     {
 *             (void)arg;
 *             for (uint32_t i = 0; i < 1000; i++)
 *                     while (!uk_spsc_push(&q, &i))    // full: core 0 is behind
 *                             ;
 *     }
 *
 *     int main(void)
 *     {
 *             uk_spsc_init(&q, slots, sizeof slots[0], 256);
 *             int err = uk_core_start(1, count, NULL);
 *             if (err) {
 *                     printf("no core 1 (%d): %d cores\n", err, uk_core_count());
 *                     return 1;
 *             }
 *             uint32_t v, sum = 0;
 *             for (int n = 0; n < 1000; n++) {
 *                     while (!uk_spsc_pop(&q, &v))     // empty: core 1 is behind
 *                             ;
 *                     sum += v;
 *             }
 *             printf("sum %u\n", sum);              // 499500
 *             return 0;
 *     }
 *
 * main, threads, interrupts, the console, files and the network stack (lwIP) all stay on core 0.
 * A function started on another core has the core to itself: it runs with the MMU and caches
 * on (core 0's page tables), its own 64 KiB stack and errno, the same exception vectors (a
 * fault there prints the usual dump naming the core, and the board stops with status 134 as on
 * core 0), and interrupts masked unless it takes some (uk_core_irq_route). It must not call the
 * thread API (uk/thread.h, uk/time.h's sleeps and timers), lwIP or socket calls, files, stdio or
 * malloc: those belong to core 0. What it may use: memory it shares with core 0 (through these
 * queues or under a spinlock), the counter (uk_now_ns), a periodic timer of its own
 * (uk_core_timer_start), and devices core 0 leaves alone. When
 * the function returns, the core halts (WFI) and cannot be started again.
 *
 * Boards: QEMU virt has as many cores as -smp gives it (uk.yaml `cores:`, at most 4), started
 * with PSCI CPU_ON; the Pi 3 and Pi 4 have 4, held by uk in a WFI park until started.
 */
#ifndef UK_CORE_H
#define UK_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define UK_CORES_MAX 4

/* The cores uk may use on this board, core 0 included: the device tree's /cpus (at most
 * UK_CORES_MAX), else what the board always has. */
int uk_core_count(void);

/* The core the caller runs on: 0 for main and every thread. */
static inline unsigned uk_core_id(void)
{
	uint64_t mpidr;
	__asm__ volatile("mrs %0, mpidr_el1" : "=r"(mpidr)); /* Aff0 (Arm ARM, MPIDR_EL1) */
	return (unsigned)(mpidr & 0xff);
}

/* Starts fn(arg) on core `core` (1 .. uk_core_count() - 1) and returns once that core runs
 * (before fn is done). From core 0, thread context. 0, or -EINVAL (core 0, fn NULL, or called
 * from another core), -ENODEV (no such core, or the board would not start it), -EBUSY (that
 * core was started before), -ETIMEDOUT (it did not come up within a second). */
int uk_core_start(unsigned core, void (*fn)(void *arg), void *arg);

/*
 * Interrupts on another core (GIC boards: virt and the Pi 4). uk_core_irq_route sends a device
 * interrupt (an SPI: uk's number for it, e.g. uk_gpio_irq_number(pin)) to core `core`; its
 * handler, attached on core 0 as usual (uk_gpio_irq_attach), then runs there, in interrupt
 * context, once the function on that core called uk_core_irq_enable (and while that core
 * sleeps in WFI, say). Route after attaching: attaching again sends it back to core 0. 0, or
 * -EINVAL (no such core, or an interrupt that cannot move: the timer's), -ENODEV (the Pi 3: its
 * controller sends all peripheral interrupts to one core together). From core 0.
 */
int uk_core_irq_route(unsigned irq, unsigned core);
void uk_core_irq_enable(void); /* on a started core: unmask its interrupts */

/*
 * A periodic timer for a function on core 1-3 (core 0 has uk_timer, uk/time.h). Called on the
 * started core itself: tick(deadline_ns, arg) then runs on that core, in interrupt context,
 * once per period; the first deadline is one period after the call, each next one the previous
 * plus the period (no drift); deadline_ns is the one the call serves, in uk_now_ns's time, so
 * uk_now_ns() - deadline_ns is how late it runs. A tick never comes early. A deadline that
 * passes while an earlier tick still runs is served at once after it (each deadline gets its
 * call). The core's interrupts are unmasked (as uk_core_irq_enable): the function then waits
 * for the ticks in WFI, or works on between them.
 *
 *     static void tick(uint64_t deadline_ns, void *arg)     // core 1, interrupt context
 *     {
 *             lateness_ns = uk_now_ns() - deadline_ns;
 *             if (++ticks == 1000)
 *                     uk_core_timer_stop();
 *     }
 *     static void on_core_1(void *arg)                      // uk_core_start(1, on_core_1, 0)
 *     {
 *             uk_core_timer_start(1000000, tick, NULL);     // 1 kHz
 *             for (;;)
 *                     __asm__ volatile("wfi");
 *     }
 *
 * In tick, what the started function may do, briefly (the next deadline is set only after tick
 * returns): uk_now_ns, memory shared with other cores, the SPSC queues (as the one producer or
 * the one consumer), spinlocks other cores hold (never one the function on this core may be
 * holding when the tick comes: tick would spin for ever), devices core 0 leaves alone, and
 * uk_core_timer_stop. Not the thread API, stdio, malloc or lwIP: those are core 0's.
 *
 * It uses the core's own EL1 virtual timer (CNTV_CVAL_EL0/CNTV_CTL_EL0, Arm ARM D11) and its
 * interrupt: on virt and the Pi 4 the GIC's PPI 27 of that core, on the Pi 3 the BCM2836
 * local controller's CNTV source of that core. One timer per core; starting it again
 * restarts it with the new period. 0, or -EINVAL (on core 0, a period of 0, tick NULL).
 */
int uk_core_timer_start(uint64_t period_ns, void (*tick)(uint64_t deadline_ns, void *arg),
			void *arg);
/* Stops this core's timer, from the function or from tick: no tick comes after it returns.
 * Does nothing on a core whose timer is not running. */
void uk_core_timer_stop(void);

/*
 * A single-producer/single-consumer queue of fixed-size items over a buffer the caller gives:
 * one core (or thread) pushes, one other pops, without locks. The item is copied in by push
 * and out by pop; a pop sees everything the producer wrote before its push (release/acquire
 * on the indexes). Neither blocks: push returns false when the queue is full, pop when it is
 * empty. Spin, do other work, or WFE in between.
 */
struct uk_spsc {
	unsigned char *buf;
	size_t slot_size, slots; /* slots: a power of two */
	/* Free-running counts, each written by one side only, on cache lines of their own so the
	 * two cores do not fight over one line; each side keeps the other's count as it last read
	 * it and reads it again only when the queue looks full (or empty). */
	_Alignas(64) size_t head; /* pushed so far: the producer's */
	size_t tail_seen;	  /* the producer's copy of tail */
	_Alignas(64) size_t tail; /* popped so far: the consumer's */
	size_t head_seen;	  /* the consumer's copy of head */
};

/* buf holds slots * slot_size bytes; slots is a power of two, at least 2. 0 or -EINVAL. */
static inline int uk_spsc_init(struct uk_spsc *q, void *buf, size_t slot_size, size_t slots)
{
	if (!q || !buf || !slot_size || slots < 2 || (slots & (slots - 1)))
		return -22; /* EINVAL */
	q->buf = (unsigned char *)buf;
	q->slot_size = slot_size;
	q->slots = slots;
	q->tail_seen = q->head_seen = 0;
	__atomic_store_n(&q->head, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&q->tail, 0, __ATOMIC_RELEASE);
	return 0;
}

static inline bool uk_spsc_push(struct uk_spsc *q, const void *item)
{
	size_t h = __atomic_load_n(&q->head, __ATOMIC_RELAXED); /* ours */
	if (h - q->tail_seen == q->slots) {
		/* acquire: the consumer is done with the slot it freed */
		q->tail_seen = __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE);
		if (h - q->tail_seen == q->slots)
			return false;
	}
	memcpy(q->buf + (h & (q->slots - 1)) * q->slot_size, item, q->slot_size);
	__atomic_store_n(&q->head, h + 1, __ATOMIC_RELEASE); /* the item before the count */
	return true;
}

static inline bool uk_spsc_pop(struct uk_spsc *q, void *item)
{
	size_t t = __atomic_load_n(&q->tail, __ATOMIC_RELAXED); /* ours */
	if (t == q->head_seen) {
		/* acquire: the items it counts are there */
		q->head_seen = __atomic_load_n(&q->head, __ATOMIC_ACQUIRE);
		if (t == q->head_seen)
			return false;
	}
	memcpy(item, q->buf + (t & (q->slots - 1)) * q->slot_size, q->slot_size);
	__atomic_store_n(&q->tail, t + 1, __ATOMIC_RELEASE); /* read out before it is reused */
	return true;
}

/* Items waiting: exact for the consumer, a lower bound for the producer. */
static inline size_t uk_spsc_count(struct uk_spsc *q)
{
	return __atomic_load_n(&q->head, __ATOMIC_ACQUIRE) -
	       __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE);
}

/*
 * A spinlock (LDAXR/STXR, acquire on lock, release on unlock) for state several cores share.
 * Hold it briefly. It does not mask interrupts: on core 0, state an interrupt handler also
 * takes the lock for needs the interrupt masked around it, or the handler spins for ever.
 */
struct uk_spinlock {
	uint32_t locked;
};
#define UK_SPINLOCK_INIT                                                                           \
	{                                                                                          \
		0                                                                                  \
	}

static inline bool uk_spin_trylock(struct uk_spinlock *l)
{
	return !__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE);
}

static inline void uk_spin_lock(struct uk_spinlock *l)
{
	while (!uk_spin_trylock(l))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			__asm__ volatile("yield"); /* read-only until it looks free */
}

static inline void uk_spin_unlock(struct uk_spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

#endif
