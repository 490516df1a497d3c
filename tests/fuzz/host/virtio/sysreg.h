/* Host stand-in for runtime/arch/aarch64/sysreg.h under drivers/virtio_mmio.c and
 * virtio_net.c: barriers are compiler barriers, and MMIO goes to fuzz_netrx.c, which models a
 * virtio-mmio transport's registers in memory. */
#ifndef UK_FUZZ_SYSREG_H
#define UK_FUZZ_SYSREG_H
#include <stdint.h>
#define dsb(opt) __asm__ volatile("" ::: "memory")
#define dmb(opt) __asm__ volatile("" ::: "memory")
uint32_t mmio_read32(uintptr_t addr);
void mmio_write32(uintptr_t addr, uint32_t v);
static inline uint64_t irq_save(void)
{
	return 0;
}
static inline void irq_restore(uint64_t flags)
{
	(void)flags;
}
#endif
