/* Host stand-in for runtime/arch/aarch64/dcache.h: the model's "DMA" writes host memory
 * directly, so there is nothing to maintain. */
#ifndef SHIM_DWC2_DCACHE_H
#define SHIM_DWC2_DCACHE_H

#include <stddef.h>

#define DCACHE_LINE 64

static inline void dcache_clean_range(const void *p, size_t n)
{
	(void)p, (void)n;
}
static inline void dcache_inval_range(const void *p, size_t n)
{
	(void)p, (void)n;
}

#endif
