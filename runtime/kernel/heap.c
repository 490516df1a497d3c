/*
 * The heap: one contiguous range [start, end) of RAM after the image, handed out by a break
 * pointer (sbrk semantics). picolibc's malloc sits on top through sbrk() in libc/sys.c.
 * Pure code, unit-tested on the host.
 */
#include <errno.h>

#include "kernel.h"

void heap_init(struct heap *h, uintptr_t start, uintptr_t end)
{
	start = (start + 15) & ~(uintptr_t)15; /* malloc wants 16-byte alignment on AArch64 */
	h->start = h->brk = start;
	h->end = end > start ? end : start;
}

void *heap_grow(struct heap *h, intptr_t incr)
{
	uintptr_t old = h->brk;
	if (incr > 0 && (uintptr_t)incr > h->end - h->brk) {
		errno = ENOMEM;
		return (void *)-1;
	}
	if (incr < 0 && (uintptr_t)(-incr) > h->brk - h->start) {
		errno = EINVAL;
		return (void *)-1;
	}
	h->brk += incr;
	return (void *)old;
}
