/*
 * Boot entry. The image starts with an arm64 Linux Image header, so QEMU's -kernel and the
 * Raspberry Pi firmware load and enter it the same way: at the image base, x0 = device tree
 * (or 0), secondary cores parked by the loader (spin table at 0xd8 on the Pi).
 * We may be entered at EL3, EL2 or EL1; we drop to EL1, set up stacks and call uk_boot().
 */
#include "sysreg_bits.h"

	.weak	uk_cpu_release
	.section .text.boot, "ax"
	.globl _start
_start:
	/* arm64 Image header (Linux Documentation/arch/arm64/booting.rst layout). */
	b	primary_entry		/* code0 */
	.long	0			/* code1 */
	.quad	UK_TEXT_OFFSET		/* text_offset: load offset from the 2 MiB-aligned RAM base */
	.quad	__image_end - _start	/* image_size: bytes the image needs, bss and stack included */
	.quad	0x2			/* flags: little endian, 4K pages, base near start of RAM */
	.quad	0, 0, 0			/* reserved */
	.ascii	"ARM\x64"		/* magic */
	.long	0			/* reserved (PE header offset) */

primary_entry:
	/* Any core that is not core 0 (Aff0..Aff2 all zero) parks for good: uk is single-core. */
	mrs	x1, mpidr_el1
	and	x1, x1, #0xffffff
	cbnz	x1, park

	mov	x19, x0			/* device tree pointer */

	mrs	x20, cntpct_el0		/* counter at entry, for the boot-time report */

	/* The Pi's loaders (the firmware's armstub8, QEMU's raspi boot code) hold cores 1-3 in a
	 * WFE loop on their spin-table release addresses. QEMU's TCG never halts a core on WFE
	 * (it only yields), so left there they spin for good and take the host's CPUs from core
	 * 0 (3-9 ms stalls in its round trips); release them into park, whose WFI does halt.
	 * uk_cpu_release (platform/rpi/board.c) lists the addresses; weak: 0 elsewhere. */
	ldr	x1, =uk_cpu_release
	cbz	x1, 2f
	adr	x2, park
	mov	x3, #3
1:	ldr	x4, [x1], #8
	str	x2, [x4]
	subs	x3, x3, #1
	b.ne	1b
	dsb	sy			/* the addresses are in memory before the cores wake */
	sev
2:

	mrs	x1, CurrentEL
	lsr	x1, x1, #2
	cmp	x1, #3
	b.eq	from_el3
	cmp	x1, #2
	b.eq	from_el2
	b	at_el1

from_el3:
	/* EL3 -> EL2: lower levels non-secure and AArch64, HVC on, SMC off. */
	ldr	x1, =(SCR_NS | SCR_SMD | SCR_HCE | SCR_RW | SCR_RES1)
	msr	scr_el3, x1
	mov	x1, #SPSR_EL2H_MASKED
	msr	spsr_el3, x1
	adr	x1, from_el2
	msr	elr_el3, x1
	eret

from_el2:
	/* EL2 -> EL1: EL1 is AArch64; EL1 may use the physical counter and timer; virtual counter
	 * equals physical (CNTVOFF = 0) so every clock in uk reads the same time base; no traps. */
	mov	x1, #HCR_RW
	msr	hcr_el2, x1
	mov	x1, #(CNTHCTL_EL1PCEN | CNTHCTL_EL1PCTEN)
	msr	cnthctl_el2, x1
	msr	cntvoff_el2, xzr
	mov	x1, #CPTR_EL2_RES1
	msr	cptr_el2, x1
	msr	hstr_el2, xzr
	mrs	x1, midr_el1
	msr	vpidr_el2, x1
	mrs	x1, mpidr_el1
	msr	vmpidr_el2, x1
	ldr	x1, =SCTLR_EL1_RES1
	msr	sctlr_el1, x1
	mov	x1, #SPSR_EL1H_MASKED
	msr	spsr_el2, x1
	adr	x1, at_el1
	msr	elr_el2, x1
	eret

at_el1:
	/* Exceptions run on SP_EL1 (the exception stack); everything else on SP_EL0, so a stack
	 * overflow into the guard page can still be reported. */
	ldr	x1, =__exception_stack_top
	mov	sp, x1
	msr	spsel, #0
	ldr	x1, =__stack_top
	mov	sp, x1
	ldr	x1, =uk_vectors
	msr	vbar_el1, x1
	/* FP/SIMD on at EL1 and EL0 (CPACR_EL1.FPEN = 0b11). */
	mov	x1, #(3 << 20)
	msr	cpacr_el1, x1
	isb

	/* Zero .tbss and .bss (they are contiguous: the linker script places them so). */
	ldr	x1, =__bss_start
	ldr	x2, =__bss_end
1:	cmp	x1, x2
	b.hs	2f
	stp	xzr, xzr, [x1], #16
	b	1b
2:
	mov	x29, xzr		/* end of the frame-pointer chain for backtraces */
	mov	x30, xzr
	mov	x0, x19
	mov	x1, x20
	bl	uk_boot
	/* uk_boot does not return. */
park:	/* WFI: halts the core (interrupts masked, none routed here); loop if one wakes it */
	wfi
	b	park
