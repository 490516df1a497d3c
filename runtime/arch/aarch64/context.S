/*
 * Thread context switch and start trampoline (kernel/thread.c; layout in kernel/thread.h).
 * Only the AAPCS64 callee-saved state is switched (x19-x30, sp, d8-d15: AAPCS64 6.1.1 and
 * 6.1.2); the caller of uk_context_switch is an ordinary C function, so the compiler has saved
 * the rest. TPIDR_EL0 (Arm ARM, "TPIDR_EL0, EL0 Read/Write Software Thread ID Register") is picolibc's TLS
 * pointer, so switching it makes errno per thread. Called with IRQs masked: an IRQ taken mid-
 * switch would be harmless (it runs on SP_EL1) but the scheduler's queues must not change.
 */
#define CTX_X19	  0
#define CTX_FP	  80
#define CTX_SP	  96
#define CTX_D8	  112

	.text
	.balign 16
	/* void uk_context_switch(struct uk_context *from, const struct uk_context *to) */
	.globl uk_context_switch
	.type uk_context_switch, %function
uk_context_switch:
	stp	x19, x20, [x0, #CTX_X19 + 16 * 0]
	stp	x21, x22, [x0, #CTX_X19 + 16 * 1]
	stp	x23, x24, [x0, #CTX_X19 + 16 * 2]
	stp	x25, x26, [x0, #CTX_X19 + 16 * 3]
	stp	x27, x28, [x0, #CTX_X19 + 16 * 4]
	stp	x29, x30, [x0, #CTX_FP]
	mov	x9, sp			/* SP_EL0: uk runs at EL1 with SPSel = 0 */
	mrs	x10, tpidr_el0
	stp	x9, x10, [x0, #CTX_SP]
	stp	d8, d9, [x0, #CTX_D8 + 16 * 0]
	stp	d10, d11, [x0, #CTX_D8 + 16 * 1]
	stp	d12, d13, [x0, #CTX_D8 + 16 * 2]
	stp	d14, d15, [x0, #CTX_D8 + 16 * 3]

	ldp	x19, x20, [x1, #CTX_X19 + 16 * 0]
	ldp	x21, x22, [x1, #CTX_X19 + 16 * 1]
	ldp	x23, x24, [x1, #CTX_X19 + 16 * 2]
	ldp	x25, x26, [x1, #CTX_X19 + 16 * 3]
	ldp	x27, x28, [x1, #CTX_X19 + 16 * 4]
	ldp	x29, x30, [x1, #CTX_FP]
	ldp	x9, x10, [x1, #CTX_SP]
	mov	sp, x9
	msr	tpidr_el0, x10		/* no ISB: a direct read (MRS) after a direct write sees
					 * it (Arm ARM, "Synchronization requirements for AArch64
					 * System registers") */
	ldp	d8, d9, [x1, #CTX_D8 + 16 * 0]
	ldp	d10, d11, [x1, #CTX_D8 + 16 * 1]
	ldp	d12, d13, [x1, #CTX_D8 + 16 * 2]
	ldp	d14, d15, [x1, #CTX_D8 + 16 * 3]
	ret				/* to the saved x30: where `to` called us, or the trampoline */
	.size uk_context_switch, . - uk_context_switch

	/* A new thread's first context has x30 = here, x19 = the thread, x29 = 0 (the end of the
	 * frame-pointer chain for backtraces), sp = the top of its stack. */
	.globl uk_thread_trampoline
	.type uk_thread_trampoline, %function
uk_thread_trampoline:
	mov	x0, x19
	mov	x30, xzr
	bl	uk_thread_start
	brk	#0			/* uk_thread_start does not return */
	.size uk_thread_trampoline, . - uk_thread_trampoline
