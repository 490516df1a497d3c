/*
 * Exception vector table (Arm ARM D1.10.2). uk runs at EL1 on SP_EL0; exceptions switch to
 * SP_EL1, a separate stack, so even a stack overflow into the guard page is reported.
 * IRQs return; every other exception is fatal and goes to uk_fatal_exception().
 */
#define FRAME_SIZE 288	/* struct uk_regs: x0-x30, sp, elr, spsr, esr, far */
#define FP_SIZE	   528	/* q0-q31 and fpsr/fpcr, 16-byte aligned */

.macro save_frame from_sp0
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #16 * 0]
	stp	x2, x3, [sp, #16 * 1]
	stp	x4, x5, [sp, #16 * 2]
	stp	x6, x7, [sp, #16 * 3]
	stp	x8, x9, [sp, #16 * 4]
	stp	x10, x11, [sp, #16 * 5]
	stp	x12, x13, [sp, #16 * 6]
	stp	x14, x15, [sp, #16 * 7]
	stp	x16, x17, [sp, #16 * 8]
	stp	x18, x19, [sp, #16 * 9]
	stp	x20, x21, [sp, #16 * 10]
	stp	x22, x23, [sp, #16 * 11]
	stp	x24, x25, [sp, #16 * 12]
	stp	x26, x27, [sp, #16 * 13]
	stp	x28, x29, [sp, #16 * 14]
	.if \from_sp0
	mrs	x0, sp_el0
	.else
	add	x0, sp, #FRAME_SIZE
	.endif
	stp	x30, x0, [sp, #16 * 15]
	mrs	x0, elr_el1
	mrs	x1, spsr_el1
	stp	x0, x1, [sp, #16 * 16]
	mrs	x0, esr_el1
	mrs	x1, far_el1
	stp	x0, x1, [sp, #16 * 17]
.endm

.macro fatal kind
	.balign 0x80
	save_frame 0
	mov	x0, sp
	mov	x1, #\kind
	b	uk_fatal_exception
.endm

	.section .text.vectors, "ax"
	.balign 0x800
	.globl uk_vectors
uk_vectors:
	/* Current EL with SP_EL0: normal operation. */
	.balign 0x80
	save_frame 1
	mov	x0, sp
	mov	x1, #0
	b	uk_fatal_exception
	.balign 0x80
	b	irq_entry
	fatal 2		/* FIQ */
	fatal 3		/* SError */
	/* Current EL with SP_EL1: a fault inside an exception handler. */
	fatal 0x10
	fatal 0x11
	fatal 0x12
	fatal 0x13
	/* Lower EL, AArch64 and AArch32: uk never runs code below EL1. */
	fatal 0x20
	fatal 0x21
	fatal 0x22
	fatal 0x23
	fatal 0x30
	fatal 0x31
	fatal 0x32
	fatal 0x33

irq_entry:
	/* Save everything a C function may clobber, FP/SIMD included (handlers and the callbacks
	 * they run are ordinary C), then dispatch. */
	save_frame 1
	sub	sp, sp, #FP_SIZE
	stp	q0, q1, [sp, #16 + 32 * 0]
	stp	q2, q3, [sp, #16 + 32 * 1]
	stp	q4, q5, [sp, #16 + 32 * 2]
	stp	q6, q7, [sp, #16 + 32 * 3]
	stp	q8, q9, [sp, #16 + 32 * 4]
	stp	q10, q11, [sp, #16 + 32 * 5]
	stp	q12, q13, [sp, #16 + 32 * 6]
	stp	q14, q15, [sp, #16 + 32 * 7]
	stp	q16, q17, [sp, #16 + 32 * 8]
	stp	q18, q19, [sp, #16 + 32 * 9]
	stp	q20, q21, [sp, #16 + 32 * 10]
	stp	q22, q23, [sp, #16 + 32 * 11]
	stp	q24, q25, [sp, #16 + 32 * 12]
	stp	q26, q27, [sp, #16 + 32 * 13]
	stp	q28, q29, [sp, #16 + 32 * 14]
	stp	q30, q31, [sp, #16 + 32 * 15]
	mrs	x0, fpsr
	mrs	x1, fpcr
	stp	x0, x1, [sp, #0]
	add	x0, sp, #FP_SIZE
	bl	uk_irq_dispatch
	ldp	x0, x1, [sp, #0]
	msr	fpsr, x0
	msr	fpcr, x1
	ldp	q0, q1, [sp, #16 + 32 * 0]
	ldp	q2, q3, [sp, #16 + 32 * 1]
	ldp	q4, q5, [sp, #16 + 32 * 2]
	ldp	q6, q7, [sp, #16 + 32 * 3]
	ldp	q8, q9, [sp, #16 + 32 * 4]
	ldp	q10, q11, [sp, #16 + 32 * 5]
	ldp	q12, q13, [sp, #16 + 32 * 6]
	ldp	q14, q15, [sp, #16 + 32 * 7]
	ldp	q16, q17, [sp, #16 + 32 * 8]
	ldp	q18, q19, [sp, #16 + 32 * 9]
	ldp	q20, q21, [sp, #16 + 32 * 10]
	ldp	q22, q23, [sp, #16 + 32 * 11]
	ldp	q24, q25, [sp, #16 + 32 * 12]
	ldp	q26, q27, [sp, #16 + 32 * 13]
	ldp	q28, q29, [sp, #16 + 32 * 14]
	ldp	q30, q31, [sp, #16 + 32 * 15]
	add	sp, sp, #FP_SIZE
	ldp	x0, x1, [sp, #16 * 16]
	msr	elr_el1, x0
	msr	spsr_el1, x1
	ldp	x0, x1, [sp, #16 * 0]
	ldp	x2, x3, [sp, #16 * 1]
	ldp	x4, x5, [sp, #16 * 2]
	ldp	x6, x7, [sp, #16 * 3]
	ldp	x8, x9, [sp, #16 * 4]
	ldp	x10, x11, [sp, #16 * 5]
	ldp	x12, x13, [sp, #16 * 6]
	ldp	x14, x15, [sp, #16 * 7]
	ldp	x16, x17, [sp, #16 * 8]
	ldp	x18, x19, [sp, #16 * 9]
	ldp	x20, x21, [sp, #16 * 10]
	ldp	x22, x23, [sp, #16 * 11]
	ldp	x24, x25, [sp, #16 * 12]
	ldp	x26, x27, [sp, #16 * 13]
	ldp	x28, x29, [sp, #16 * 14]
	ldr	x30, [sp, #16 * 15]
	add	sp, sp, #FRAME_SIZE
	eret
