/*
 * Boot entry. The image starts with an arm64 Linux Image header, so QEMU's -kernel and the
 * Raspberry Pi firmware load and enter it the same way: at the image base, x0 = device tree
 * (or 0), secondary cores parked by the loader (spin table at 0xd8 on the Pi).
 * We may be entered at EL3, EL2 or EL1; we drop to EL1, set up stacks and call uk_boot().
 *
 * Cores 1-3 (kernel/core.c, uk/core.h) come in at secondary_entry: on the Pi from the loader's
 * spin table, which core 0 points there at once; on virt when core 0 asks PSCI CPU_ON. They
 * take the same EL drop as core 0 and wait at EL1 in a WFI park, MMU off, until core 0 puts a
 * boot block in uk_core_go[core] and wakes them (an interrupt that stays masked, which still
 * ends a WFI: Arm ARM D1.6.2, "Wait for Interrupt").
 */
#include "sysreg_bits.h"

	.weak	uk_cpu_release
	.weak	uk_park_gicc
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
	/* Any core that is not core 0 (Aff0..Aff2 all zero) goes to the park. */
	mrs	x1, mpidr_el1
	and	x1, x1, #0xffffff
	cbnz	x1, secondary_entry

	mov	x19, x0			/* device tree pointer */

	mrs	x20, cntpct_el0		/* counter at entry, for the boot-time report */

	/* The Pi's loaders (the firmware's armstub8, QEMU's raspi boot code) hold cores 1-3 in a
	 * WFE loop on their spin-table release addresses. QEMU's TCG never halts a core on WFE
	 * (it only yields), so left there they spin for good and take the host's CPUs from core
	 * 0 (3-9 ms stalls in its round trips); release them into the park, whose WFI does halt.
	 * uk_cpu_release (platform/rpi/board.c) lists the addresses; weak: 0 elsewhere. */
	ldr	x1, =uk_cpu_release
	cbz	x1, 2f
	adr	x2, secondary_entry
	mov	x3, #3
1:	ldr	x4, [x1], #8
	str	x2, [x4]
	subs	x3, x3, #1
	b.ne	1b
	dsb	sy			/* the addresses are in memory before the cores wake */
	sev
2:

	.globl	secondary_entry
secondary_entry:		/* every core from here: x19, x20 are core 0's */
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
	mrs	x1, mpidr_el1
	and	x1, x1, #0xffffff
	cbnz	x1, secondary_el1

	ldr	x0, =__exception_stack_top
	ldr	x1, =__stack_top
	bl	el1_setup

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
halt:	wfi
	b	halt

/* el1_setup(x0 = exception stack top, x1 = stack top), at EL1, every core: exceptions run on
 * SP_EL1 (the exception stack), everything else on SP_EL0, so a stack overflow into the guard
 * page can still be reported; the vectors; FP/SIMD on. Clobbers x0, x1. */
el1_setup:
	mov	sp, x0
	msr	spsel, #0
	mov	sp, x1
	ldr	x0, =uk_vectors
	msr	vbar_el1, x0
	/* FP/SIMD on at EL1 and EL0 (CPACR_EL1.FPEN = 0b11). */
	mov	x0, #(3 << 20)
	msr	cpacr_el1, x0
	isb
	ret

/*
 * Cores 1-3 at EL1, MMU off, interrupts masked. Only .data and .rodata are read here: core 0
 * may be zeroing .bss meanwhile. Where the board's wake-up is a GIC SGI (rpi4), this core's GIC
 * CPU interface is switched on (banked per core: GIC v2 spec 4.1.2; priority mask open,
 * GICC_PMR, and signalling on, GICC_CTLR) so that the SGI reaches it.
 */
secondary_el1:
	and	x19, x1, #0xff		/* the core number: Aff0 (uk runs on at most 4 cores) */
	ldr	x2, =uk_park_gicc
	cbz	x2, 1f
	ldr	x2, [x2]
	mov	w3, #0xff
	str	w3, [x2, #4]		/* GICC_PMR */
	mov	w3, #1
	str	w3, [x2, #0]		/* GICC_CTLR: EnableGrp1 (non-secure view) */
1:	ldr	x2, =uk_core_go
park:	/* WFI halts the core until an interrupt is pending for it, masked or not */
	ldr	x20, [x2, x19, lsl #3]
	cbnz	x20, 2f
	wfi
	b	park
2:	/* x20: the boot block (kernel/core.c, struct core_boot): stack tops first. Core 0 cleaned
	 * it to the point of coherency, so this non-cacheable read sees it. */
	ldp	x0, x1, [x20]
	bl	el1_setup
	bl	mmu_enable		/* the MMU and caches on, core 0's tables (mmu.c) */
	mov	x29, xzr
	mov	x30, xzr
	mov	x0, x20
	bl	uk_core_main
	b	halt			/* uk_core_main does not return */

	/* uk_core_go[core]: 0, or the core's boot block. In .data, not .bss: the parked cores
	 * read it before core 0 zeroes .bss. */
	.data
	.balign	64
	.globl	uk_core_go
uk_core_go:
	.quad	0, 0, 0, 0
