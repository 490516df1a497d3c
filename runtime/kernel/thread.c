/*
 * Cooperative threads on one core: a FIFO run queue, semaphores with timeouts, sleeping. A
 * thread runs until it blocks or yields; interrupt handlers (timer callbacks included) only
 * make threads runnable, through uk_sem_post or a thread's own timer. Every queue is changed
 * with IRQs masked, which is the only lock a single core needs.
 *
 * main() is the first thread: it runs on the boot stack (under its guard page) with the boot
 * TLS block, in a static struct, so nothing has to be set up before it. Every other thread is
 * one malloc block, lowest address first:
 *
 *     canary | stack (grows down) ... | TCB gap | TLS block | struct uk_thread
 *
 * so a stack overflow runs into older heap blocks, never into its own thread's bookkeeping,
 * and the canary at the bottom dies first.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uk/thread.h>
#include <uk/time.h>

#include "kernel.h"
#include "sysreg.h"
#include "thread.h"

/* picolibc's TLS (machine/aarch64/tls.c) and the linker script's TLS symbols (uk.ld.S). */
extern void _init_tls(void *tls);
extern char __tls_size[], __tls_align[], __arm64_tls_tcb_offset[];

/*
 * This file calls malloc, so it can be the first to pull picolibc's malloc into a link, whose
 * sbrk reference would then pull picolibc's own sbrk (picosbrk.c), clashing with libc/sys.c's
 * sbrk over the uk heap. Naming sbrk here pulls sys.o from libuk.a first.
 */
__asm__(".globl sbrk");

#define CANARY 0x75b5c0a1de7ec7edull /* xored with its address: a stale copy does not pass */

static void timer_fired(struct uk_timer *tm, void *arg);

static struct uk_thread main_thread = {
    .state = THREAD_RUNNABLE,
    .timer = {.fn = timer_fired, .arg = &main_thread},
    .name = "main",
};
static struct uk_thread *current = &main_thread;
static struct uk_thread *run_head, *run_tail; /* runnable, not running; FIFO */
static struct uk_thread *zombie;	      /* a detached thread that ended, not yet freed */
static unsigned live = 1;		      /* threads that have not ended, main included */

/* ---- queues: IRQs masked ---- */
static void push(struct uk_thread **head, struct uk_thread **tail, struct uk_thread *t)
{
	t->next = NULL;
	if (*tail)
		(*tail)->next = t;
	else
		*head = t;
	*tail = t;
}

static struct uk_thread *pop(struct uk_thread **head, struct uk_thread **tail)
{
	struct uk_thread *t = *head;
	if (t) {
		*head = t->next;
		if (!*head)
			*tail = NULL;
		t->next = NULL;
	}
	return t;
}

static void unlink_waiter(struct uk_sem *sem, struct uk_thread *t)
{
	struct uk_thread *prev = NULL;
	for (struct uk_thread *p = sem->head; p; prev = p, p = p->next) {
		if (p != t)
			continue;
		if (prev)
			prev->next = p->next;
		else
			sem->head = p->next;
		if (sem->tail == p)
			sem->tail = prev;
		break;
	}
	t->next = NULL;
}

/* IRQs masked; any context. */
static void make_runnable(struct uk_thread *t)
{
	t->state = THREAD_RUNNABLE;
	push(&run_head, &run_tail, t);
}

/* ---- checks ---- */

/* Blocking calls switch stacks; in an interrupt handler (on SP_EL1: SPSel = 1, Arm ARM
 * "SPSel, Stack Pointer Select") that would switch away from the exception stack. */
static void thread_context_only(const char *what)
{
	if (read_sysreg(spsel) & 1)
		panic("%s called from interrupt context", what);
}

static void check_canary(const struct uk_thread *t)
{
	if (t->canary && *t->canary != (CANARY ^ (uintptr_t)t->canary))
		panic("stack overflow in thread '%s' (canary at 0x%llx overwritten)", t->name,
		      (unsigned long long)(uintptr_t)t->canary);
}

/* ---- scheduling ---- */

/* The thread now running frees a detached thread that ended (which could not free the stack
 * it was running on). IRQs masked. */
static void reap(void)
{
	if (zombie && zombie != current) {
		free(zombie->block);
		zombie = NULL;
	}
}

/*
 * Runs the next runnable thread; returns when the caller runs again. The caller has set its
 * state (and queued itself if still runnable). IRQs masked; thread context.
 */
static void schedule(void)
{
	struct uk_thread *prev = current, *next;
	check_canary(prev);
	while (!(next = pop(&run_head, &run_tail))) {
		/* Idle. WFI wakes on a pending IRQ even while PSTATE.I masks it (Arm ARM, "Wait
		 * For Interrupt"), so with IRQs masked from the check to the WFI no wake-up is
		 * lost. Then unmask so the handler runs (on SP_EL1) and may make a thread
		 * runnable; the ISB makes sure the pending IRQ is taken before we mask again. */
		wfi();
		irq_enable();
		isb();
		irq_disable();
	}
	if (next == prev)
		return; /* it was woken while the core idled on its stack */
	check_canary(next);
	current = next;
	uk_context_switch(&prev->ctx, &next->ctx);
	reap();
}

/* A new thread's first C code, from uk_thread_trampoline. IRQs masked on entry. */
__attribute__((noreturn)) void uk_thread_start(struct uk_thread *t)
{
	reap();
	irq_enable();
	t->fn(t->arg);
	uk_thread_exit();
}

/* Interrupt context: a thread's timeout or sleep ended. */
static void timer_fired(struct uk_timer *tm, void *arg)
{
	(void)tm;
	struct uk_thread *t = arg;
	if (t->state != THREAD_BLOCKED)
		return;
	if (t->waiting) {
		unlink_waiter(t->waiting, t);
		t->waiting = NULL;
		t->wake_result = -ETIMEDOUT;
	}
	make_runnable(t);
}

static uint64_t deadline_after(uint64_t ns)
{
	uint64_t now = uk_now_ns();
	return ns > UINT64_MAX - now ? UINT64_MAX : now + ns;
}

/* ---- threads ---- */

static uintptr_t align_up(uintptr_t v, uintptr_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Thread context. */
struct uk_thread *uk_thread_create(const char *name, void (*fn)(void *arg), void *arg,
				   size_t stack_size)
{
	thread_context_only("uk_thread_create"); /* malloc is not safe in interrupt context */
	if (!stack_size)
		stack_size = UK_THREAD_STACK_DEFAULT;
	if (!fn || stack_size < UK_THREAD_STACK_MIN) {
		errno = EINVAL;
		return NULL;
	}
	uintptr_t tls_align = (uintptr_t)__tls_align > 16 ? (uintptr_t)__tls_align : 16;
	uintptr_t tcb = (uintptr_t)__arm64_tls_tcb_offset; /* TPIDR_EL0 is this far below TLS */
	size_t extra = 15 + tcb + tls_align + (uintptr_t)__tls_size + 16 + sizeof(struct uk_thread);
	if (stack_size > SIZE_MAX - extra - 15) {
		errno = ENOMEM;
		return NULL;
	}
	stack_size = align_up(stack_size, 16);
	void *block = malloc(stack_size + extra);
	if (!block) {
		errno = ENOMEM;
		return NULL;
	}
	uintptr_t bottom = align_up((uintptr_t)block, 16);
	uintptr_t top = bottom + stack_size; /* AAPCS64: sp 16-byte aligned */
	uintptr_t tls = align_up(top + tcb, tls_align);
	struct uk_thread *t = (struct uk_thread *)align_up(tls + (uintptr_t)__tls_size, 16);
	memset(t, 0, sizeof(*t));

	t->block = block;
	t->fn = fn;
	t->arg = arg;
	t->stack_top = top;
	t->canary = (uint64_t *)bottom;
	*t->canary = CANARY ^ bottom;
	strncpy(t->name, name ? name : "thread", sizeof(t->name) - 1);
	uk_timer_init(&t->timer, timer_fired, t);
	uk_sem_init(&t->exited, 0);
	_init_tls((void *)tls); /* .tdata copied, .tbss zeroed: errno starts at 0 */

	t->ctx.x19_x28[0] = (uintptr_t)t;
	t->ctx.fp = 0;
	t->ctx.lr = (uintptr_t)uk_thread_trampoline;
	t->ctx.sp = top;
	t->ctx.tpidr = tls - tcb; /* what picolibc's _set_tls would write */

	uint64_t daif = irq_save();
	live++;
	make_runnable(t);
	irq_restore(daif);
	return t;
}

/* Thread context. */
void uk_thread_yield(void)
{
	thread_context_only("uk_thread_yield");
	uint64_t daif = irq_save();
	check_canary(current);
	if (run_head) {
		make_runnable(current);
		schedule();
	}
	irq_restore(daif);
}

/* Thread context: runs another runnable thread if there is one; otherwise sleeps in WFI
 * until an interrupt has been handled (uk_wait). */
void thread_idle(void)
{
	uint64_t daif = irq_save();
	if (run_head) {
		make_runnable(current);
		schedule();
	} else {
		wfi(); /* wakes on a pending interrupt even while masked */
	}
	irq_restore(daif);
}

/* Thread context. */
__attribute__((noreturn)) void uk_thread_exit(void)
{
	thread_context_only("uk_thread_exit");
	irq_disable(); /* for good: this thread never returns to its caller */
	struct uk_thread *t = current;
	check_canary(t);
	t->state = THREAD_EXITED;
	if (--live == 0) {
		irq_enable();
		exit(0); /* main ended with uk_thread_exit and now every other thread has too */
	}
	if (t->detached)
		zombie = t; /* freed by the next thread to run */
	else
		uk_sem_post(&t->exited);
	schedule();
	panic("thread '%s' ran after it ended", t->name);
}

/* Any context. */
struct uk_thread *uk_thread_current(void)
{
	return current;
}

/* Any context (panic's backtrace). main's stack is the boot stack, which panic.c knows. */
bool thread_stack_contains(uintptr_t addr)
{
	return current->canary && addr >= (uintptr_t)current->canary && addr < current->stack_top;
}

/* Any context. */
const char *uk_thread_name(const struct uk_thread *t)
{
	return t->name;
}

/* Thread context. */
int uk_thread_join(struct uk_thread *t)
{
	thread_context_only("uk_thread_join");
	if (!t || t == &main_thread || t == current || t->detached || t->joined)
		return -EINVAL;
	t->joined = true;
	uk_sem_wait(&t->exited, 0);
	free(t->block); /* it has switched away for good: it posted, then scheduled */
	return 0;
}

/* Thread context. */
int uk_thread_detach(struct uk_thread *t)
{
	thread_context_only("uk_thread_detach");
	if (!t || t == &main_thread || t->detached || t->joined)
		return -EINVAL;
	t->detached = true;
	if (t->state == THREAD_EXITED)
		free(t->block);
	return 0;
}

/* Thread context, main before any other thread exists included (then it is a plain WFI
 * sleep: the run queue is empty). */
void uk_thread_sleep_until(uint64_t deadline_ns)
{
	thread_context_only("uk_thread_sleep_until");
	uint64_t daif = irq_save();
	if (deadline_ns > uk_now_ns()) {
		struct uk_thread *t = current;
		t->state = THREAD_BLOCKED;
		t->waiting = NULL;
		uk_timer_start(&t->timer, deadline_ns);
		schedule();
	}
	irq_restore(daif);
}

/* ---- semaphores ---- */

/* Any context, while nobody waits on sem. */
void uk_sem_init(struct uk_sem *sem, unsigned long count)
{
	sem->count = count;
	sem->head = sem->tail = NULL;
}

/* Thread context. */
int uk_sem_wait(struct uk_sem *sem, uint64_t timeout_ns)
{
	thread_context_only("uk_sem_wait");
	uint64_t daif = irq_save();
	if (sem->count) {
		sem->count--;
		irq_restore(daif);
		return 0;
	}
	struct uk_thread *t = current;
	t->state = THREAD_BLOCKED;
	t->waiting = sem;
	t->wake_result = 0;
	push(&sem->head, &sem->tail, t);
	if (timeout_ns)
		uk_timer_start(&t->timer, deadline_after(timeout_ns));
	schedule();
	irq_restore(daif);
	return t->wake_result;
}

/* Any context. */
int uk_sem_trywait(struct uk_sem *sem)
{
	int r = -EAGAIN;
	uint64_t daif = irq_save();
	if (sem->count) {
		sem->count--;
		r = 0;
	}
	irq_restore(daif);
	return r;
}

/* Any context, interrupt handlers included: it only moves a thread to the run queue. */
void uk_sem_post(struct uk_sem *sem)
{
	uint64_t daif = irq_save();
	struct uk_thread *t = pop(&sem->head, &sem->tail);
	if (t) {
		t->waiting = NULL;
		t->wake_result = 0;
		if (t->timer.armed)
			uk_timer_stop(&t->timer);
		make_runnable(t); /* the unit goes straight to it */
	} else {
		sem->count++;
	}
	irq_restore(daif);
}
