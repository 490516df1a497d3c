/*
 * Data cache maintenance by address for DMA buffers (Arm ARM, DDI 0487, "DC CVAC" and
 * "DC CIVAC"): devices on the Pi are not coherent with the CPU caches. Any context.
 * Host unit tests put their own dcache.h first on the include path to watch these calls.
 */
#ifndef UK_ARCH_DCACHE_H
#define UK_ARCH_DCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "sysreg.h"

#define DCACHE_LINE 64 /* Cortex-A53 and A72 */

/* Writes dirty lines covering [p, p + n) back to memory: before a device reads them. */
static inline void dcache_clean_range(const void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p & ~(uintptr_t)(DCACHE_LINE - 1);
	for (uintptr_t end = (uintptr_t)p + n; a < end; a += DCACHE_LINE)
		__asm__ volatile("dc cvac, %0" ::"r"(a) : "memory");
	dsb(sy);
}

/* Cleans and invalidates [p, p + n): after a device wrote it, before the CPU reads it. The
 * buffer must own whole lines (64-byte aligned, padded), or a neighbour's data is at risk. */
static inline void dcache_inval_range(const void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p & ~(uintptr_t)(DCACHE_LINE - 1);
	for (uintptr_t end = (uintptr_t)p + n; a < end; a += DCACHE_LINE)
		__asm__ volatile("dc civac, %0" ::"r"(a) : "memory");
	dsb(sy);
}

#endif
