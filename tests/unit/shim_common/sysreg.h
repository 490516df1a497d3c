/* Host stand-in for runtime/arch/aarch64/sysreg.h, shared by the register-model tests: each
 * driver's register accesses go to the model its test routes them to; barriers only stop
 * the compiler; interrupts are never really masked. */
#ifndef SHIM_COMMON_SYSREG_H
#define SHIM_COMMON_SYSREG_H

#include <stdint.h>

uint32_t shim_mmio_read32(uintptr_t addr);
void shim_mmio_write32(uintptr_t addr, uint32_t v);

static inline uint32_t mmio_read32(uintptr_t addr)
{
	return shim_mmio_read32(addr);
}
static inline void mmio_write32(uintptr_t addr, uint32_t v)
{
	shim_mmio_write32(addr, v);
}
#define dsb(opt) __asm__ volatile("" ::: "memory")
#define dmb(opt) __asm__ volatile("" ::: "memory")
static inline uint64_t irq_save(void)
{
	return 0;
}
static inline void irq_restore(uint64_t flags)
{
	(void)flags;
}

#endif
