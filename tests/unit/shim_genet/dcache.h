/* Host stand-in for runtime/arch/aarch64/dcache.h: cache maintenance moves bytes between the
 * CPU's view and the model's DMA memory (genet_model.c). */
#ifndef SHIM_GENET_DCACHE_H
#define SHIM_GENET_DCACHE_H

#include <stddef.h>

#include "genet_model.h"

#define DCACHE_LINE 64

static inline void dcache_clean_range(const void *p, size_t n)
{
	gm_cache_clean(p, n);
}
static inline void dcache_inval_range(const void *p, size_t n)
{
	gm_cache_inval(p, n);
}

#endif
