/* Host stand-in for runtime/arch/aarch64/dcache.h: the model counts the driver's cache
 * maintenance (the message must reach RAM before the VideoCore is told where it is). */
#ifndef SHIM_MBOX_DCACHE_H
#define SHIM_MBOX_DCACHE_H

#include <stddef.h>

#define DCACHE_LINE 64

void shim_dcache(const void *p, size_t n);

static inline void dcache_clean_range(const void *p, size_t n)
{
	shim_dcache(p, n);
}
static inline void dcache_inval_range(const void *p, size_t n)
{
	shim_dcache(p, n);
}

#endif
