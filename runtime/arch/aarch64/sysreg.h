/* System register access and barriers for AArch64 (Arm ARM, DDI 0487). */
#ifndef UK_ARCH_SYSREG_H
#define UK_ARCH_SYSREG_H

#include <stdint.h>

#define read_sysreg(reg)                                                                           \
	({                                                                                         \
		uint64_t __v;                                                                      \
		__asm__ volatile("mrs %0, " #reg : "=r"(__v));                                     \
		__v;                                                                               \
	})
#define write_sysreg(reg, val) __asm__ volatile("msr " #reg ", %0" ::"r"((uint64_t)(val)))

#define isb()	 __asm__ volatile("isb" ::: "memory")
#define dsb(opt) __asm__ volatile("dsb " #opt ::: "memory")
#define dmb(opt) __asm__ volatile("dmb " #opt ::: "memory")
#define wfi()	 __asm__ volatile("wfi" ::: "memory")

/* Mask or unmask IRQs (PSTATE.I); returns the previous DAIF so it can be restored. */
static inline uint64_t irq_save(void)
{
	uint64_t daif = read_sysreg(daif);
	__asm__ volatile("msr daifset, #2" ::: "memory");
	return daif;
}
static inline void irq_restore(uint64_t daif)
{
	write_sysreg(daif, daif);
}
static inline void irq_enable(void)
{
	__asm__ volatile("msr daifclr, #2" ::: "memory");
}
static inline void irq_disable(void)
{
	__asm__ volatile("msr daifset, #2" ::: "memory");
}

/* MMIO accessors: device memory is mapped nGnRE, so plain volatile accesses are ordered among
 * themselves; the barriers order them against normal memory (DMA buffers). */
static inline uint32_t mmio_read32(uintptr_t addr)
{
	uint32_t v = *(volatile uint32_t *)addr;
	dmb(oshld);
	return v;
}
static inline void mmio_write32(uintptr_t addr, uint32_t v)
{
	dmb(oshst);
	*(volatile uint32_t *)addr = v;
}

#endif
