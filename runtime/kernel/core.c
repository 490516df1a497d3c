/*
 * Cores 1-3 (uk/core.h). They wait in entry.S's WFI park, at EL1 with the MMU off, reading
 * uk_core_go[core]. uk_core_start fills the core's boot block (its stacks, the function), puts
 * it in uk_core_go, cleans both to the point of coherency (the parked core reads with its MMU
 * off: non-cacheable; Arm ARM D7.5, "Data cache maintenance") and has the board wake the core
 * (PSCI CPU_ON on virt, a mailbox interrupt on the Pi 3, an SGI on the Pi 4). The core sets
 * its stacks and vectors, turns its MMU on over core 0's tables (mmu_enable) and comes here.
 */
#include <errno.h>

#include <uk/core.h>
#include <uk/time.h>

#include "kernel.h"
#include "sysreg.h"

extern void _init_tls(void *tls);
extern void _set_tls(void *tls);
extern char __tls_size[], __tls_align[], __arm64_tls_tcb_offset[];
extern char secondary_entry[];
extern uint64_t uk_core_go[UK_CORES_MAX]; /* entry.S, in .data */

#define CORE_STACK     0x10000 /* SP_EL0: the function's stack, TLS on top */
#define CORE_EXC_STACK 0x4000  /* SP_EL1: exceptions */

/* The boot block: entry.S reads the two stack tops (offsets 0 and 8) before its MMU is on. */
struct core_boot {
	uint64_t exc_sp, sp;
	uintptr_t tls; /* picolibc's TLS block (errno), above sp */
	void (*fn)(void *arg);
	void *arg;
	uint32_t running; /* set by the core once it runs: uk_core_start waits for it */
	unsigned core;
};

static struct core_boot boot[UK_CORES_MAX];
/* Not zeroed at boot (nothing needs it); each above nothing: an overflow is not caught. */
static uint8_t stacks[UK_CORES_MAX - 1][CORE_STACK]
    __attribute__((aligned(4096), section(".noinit.core_stacks")));
static uint8_t exc_stacks[UK_CORES_MAX - 1][CORE_EXC_STACK]
    __attribute__((aligned(4096), section(".noinit.core_stacks")));
static bool started[UK_CORES_MAX];
volatile bool cores_started;

int uk_core_count(void)
{
	static int count;
	if (!count) {
		int n = dt_cpu_count(uk_fdt);
		if (n <= 0)
			n = platform.cores ? (int)platform.cores : 1;
		count = n > UK_CORES_MAX ? UK_CORES_MAX : n;
	}
	return count;
}

/* DC CIVAC over [p, p + n): clean and invalidate to the point of coherency, by the smallest
 * data cache line (CTR_EL0.DminLine, Arm ARM D13.2). */
static void dcache_clean_inval(const void *p, size_t n)
{
	size_t line = 4u << ((read_sysreg(ctr_el0) >> 16) & 0xf);
	uintptr_t a = (uintptr_t)p & ~(line - 1), end = (uintptr_t)p + n;
	for (; a < end; a += line)
		__asm__ volatile("dc civac, %0" ::"r"(a) : "memory");
	dsb(sy);
}

int uk_core_start(unsigned core, void (*fn)(void *), void *arg)
{
	if (uk_core_id() != 0 || core == 0 || !fn)
		return -EINVAL;
	if (core >= (unsigned)uk_core_count() || !platform.core_wake)
		return -ENODEV;
	if (started[core])
		return -EBUSY;
	struct core_boot *b = &boot[core];
	/* The stack's top holds the TLS block; TPIDR_EL0 points a TCB gap below it, which the
	 * stack proper stays under. */
	uintptr_t align = (uintptr_t)__tls_align > 16 ? (uintptr_t)__tls_align : 16;
	uintptr_t top = (uintptr_t)stacks[core - 1] + CORE_STACK;
	b->tls = (top - (uintptr_t)__tls_size) & ~(align - 1);
	b->sp = (b->tls - (uintptr_t)__arm64_tls_tcb_offset) & ~(uintptr_t)15;
	b->exc_sp = (uintptr_t)exc_stacks[core - 1] + CORE_EXC_STACK;
	b->fn = fn;
	b->arg = arg;
	b->running = 0;
	b->core = core;
	started[core] = true;
	cores_started = true;
	/* The stacks too: the core's first frames are written with its MMU off, straight to
	 * memory, and must not be shadowed by lines this core holds. */
	dcache_clean_inval(stacks[core - 1], CORE_STACK);
	dcache_clean_inval(exc_stacks[core - 1], CORE_EXC_STACK);
	dcache_clean_inval(b, sizeof *b);
	__atomic_store_n(&uk_core_go[core], (uint64_t)(uintptr_t)b, __ATOMIC_RELEASE);
	dcache_clean_inval(&uk_core_go[core], sizeof uk_core_go[core]);
	int err = platform.core_wake(core, (uintptr_t)secondary_entry);
	if (err)
		return err;
	uint64_t until = uk_now_ns() + 1000000000ull;
	while (!__atomic_load_n(&b->running, __ATOMIC_ACQUIRE))
		if (uk_now_ns() > until)
			return -ETIMEDOUT;
	return 0;
}

/* From entry.S on the started core: MMU on, its stacks, interrupts masked. */
__attribute__((noreturn)) void uk_core_main(struct core_boot *b)
{
	_init_tls((void *)b->tls); /* .tdata copied, .tbss zeroed: errno starts at 0 */
	_set_tls((void *)b->tls);
	if (platform.core_woken)
		platform.core_woken(b->core);
	__atomic_store_n(&b->running, 1, __ATOMIC_RELEASE);
	b->fn(b->arg);
	for (;;) /* fn returned: the core halts (interrupts masked, none routed here) */
		wfi();
}

/* Cores 1-3's periodic timers (uk_core_timer_start): each core's own EL1 virtual timer
 * (CNTV_CVAL_EL0 and CNTV_CTL_EL0 are per-core registers, Arm ARM D11.2.4; arch/aarch64/timer.c
 * writes them) and its interrupt switched on for that core alone (irq_local: the core's banked
 * GICD_ISENABLER0 bit for PPI 27, or its BCM2836 local timer control register). uk_irq_dispatch
 * sends that interrupt here when it comes on a core other than 0; core 0's timer path (kernel/
 * timer.c) is untouched. Each core reads and writes its own entry only, with its interrupts
 * masked or from its interrupt handler. */
struct core_timer {
	uint64_t period_ns, deadline_ns; /* deadline_ns: the next one to serve */
	void (*tick)(uint64_t deadline_ns, void *arg);
	void *arg;
	bool running;
	bool in_irq; /* core_timer_irq runs: a start from tick leaves the interrupts masked */
};
static struct core_timer core_timers[UK_CORES_MAX];

int uk_core_timer_start(uint64_t period_ns, void (*tick)(uint64_t deadline_ns, void *arg),
			void *arg)
{
	unsigned core = uk_core_id();
	if (core == 0 || core >= UK_CORES_MAX || !period_ns || !tick)
		return -EINVAL;
	struct core_timer *t = &core_timers[core];
	uint64_t daif = irq_save();
	t->period_ns = period_ns;
	t->tick = tick;
	t->arg = arg;
	t->deadline_ns = uk_now_ns() + period_ns;
	t->running = true;
	timer_set_deadline(ns_to_ticks(t->deadline_ns)); /* rounded up: never early */
	irq_local(platform.timer_irq, true);
	irq_restore(daif);
	if (!t->in_irq) /* an interrupt on the exception stack would be fatal (vectors.S) */
		irq_enable();
	return 0;
}

void uk_core_timer_stop(void)
{
	unsigned core = uk_core_id();
	if (core == 0 || core >= UK_CORES_MAX)
		return;
	struct core_timer *t = &core_timers[core];
	uint64_t daif = irq_save();
	if (t->running) {
		t->running = false;
		timer_disarm(); /* CNTV_CTL.IMASK: the level interrupt drops */
		irq_local(platform.timer_irq, false);
	}
	irq_restore(daif);
}

/* Interrupt context, on core 1-3: every deadline passed gets its call, then the hardware is
 * aimed at the next one, once (a CNTV_CVAL write is a trip through QEMU's timer code). */
void core_timer_irq(void)
{
	struct core_timer *t = &core_timers[uk_core_id()];
	if (!t->running) {
		timer_disarm();
		return;
	}
	t->in_irq = true;
	uint64_t now = uk_now_ns();
	while (t->running && t->deadline_ns <= now) {
		uint64_t deadline = t->deadline_ns;
		t->deadline_ns = deadline + t->period_ns;
		t->tick(deadline, t->arg);
		now = uk_now_ns();
	}
	t->in_irq = false;
	if (t->running)
		timer_set_deadline(ns_to_ticks(t->deadline_ns));
}

bool core_stack_contains(uintptr_t a)
{
	uintptr_t s = (uintptr_t)stacks, e = (uintptr_t)exc_stacks;
	return cores_started &&
	       ((a >= s && a < s + sizeof stacks) || (a >= e && a < e + sizeof exc_stacks));
}

/* A second core failing while the first prints its dump would garble it: it stops here. */
void core_fatal_enter(void)
{
	static uint32_t failing;
	if (!cores_started)
		return;
	if (__atomic_exchange_n(&failing, 1, __ATOMIC_ACQ_REL))
		for (;;)
			wfi();
}
