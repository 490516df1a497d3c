/* Host stand-in for runtime/arch/aarch64/sysreg.h: the RNG drivers' (and virtio-mmio's)
 * register accesses go to the model in each test_*rng*.c; barriers only stop the compiler. */
#ifndef SHIM_RNG_SYSREG_H
#define SHIM_RNG_SYSREG_H

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

#endif
