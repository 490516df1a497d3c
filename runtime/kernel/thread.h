/* Threads inside the runtime (kernel/thread.c, arch/aarch64/context.S); apps use uk/thread.h. */
#ifndef UK_KERNEL_THREAD_H
#define UK_KERNEL_THREAD_H

#include <stdbool.h>
#include <stdint.h>

#include <uk/thread.h>
#include <uk/time.h>

/*
 * What uk_context_switch saves: the AAPCS64 callee-saved registers (x19-x29, d8-d15), the
 * return address x30, sp (SP_EL0: threads run at EL1 with SPSel = 0) and TPIDR_EL0 (the TLS
 * pointer). Everything else is caller-saved, so the C caller has already saved what it needs.
 * context.S uses these offsets.
 */
struct uk_context {
	uint64_t x19_x28[10]; /* 0 */
	uint64_t fp, lr;      /* 80: x29, x30 */
	uint64_t sp, tpidr;   /* 96 */
	uint64_t d8_d15[8];   /* 112 */
};
_Static_assert(sizeof(struct uk_context) == 176, "context.S layout");

enum thread_state { THREAD_RUNNABLE, THREAD_BLOCKED, THREAD_EXITED };

struct uk_thread {
	struct uk_context ctx; /* saved registers while not running */
	enum thread_state state;
	struct uk_thread *next; /* run queue or a semaphore's wait list */
	struct uk_sem *waiting; /* the semaphore it is blocked on, if any */
	int wake_result;	/* what uk_sem_wait returns: 0 or -ETIMEDOUT */
	struct uk_timer timer;	/* timeouts and sleeps */
	void (*fn)(void *arg);
	void *arg;
	uintptr_t stack_top;  /* for backtraces; 0 for main */
	uint64_t *canary;     /* lowest word of the stack; NULL for main (guard page) */
	void *block;	      /* the malloc block holding stack, TLS and this struct */
	struct uk_sem exited; /* posted once when the thread ends, for uk_thread_join */
	bool detached, joined;
	char name[32];
};

/* Thread context: lets another runnable thread run, or sleeps until an interrupt. */
void thread_idle(void);

/* Saves the running context into from and resumes to. IRQs masked. (context.S) */
void uk_context_switch(struct uk_context *from, const struct uk_context *to);
/* First code of a new thread: x19 holds the thread; calls uk_thread_start. (context.S) */
void uk_thread_trampoline(void);
/* C side of a new thread; entered with IRQs masked. (thread.c) */
__attribute__((noreturn)) void uk_thread_start(struct uk_thread *t);

#endif
