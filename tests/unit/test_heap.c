/* Host unit tests for the heap's break allocator (runtime/kernel/heap.c). */
#include <errno.h>
#include <stdint.h>

#include "kernel.h"
#include "tap.h"

int main(void)
{
	static char mem[4096] __attribute__((aligned(16)));
	struct heap h;
	uintptr_t base = (uintptr_t)mem;

	heap_init(&h, base + 3, base + sizeof(mem));
	CHECK(h.start == base + 16 && h.brk == h.start, "start rounded up to 16 bytes");

	void *p = heap_grow(&h, 100);
	CHECK(p == (void *)(base + 16), "first grow returns the start");
	CHECK(heap_grow(&h, 0) == (void *)(base + 116), "grow(0) returns the break");

	errno = 0;
	CHECK(heap_grow(&h, 4096) == (void *)-1 && errno == ENOMEM, "over the end: ENOMEM");
	CHECK(h.brk == base + 116, "a failed grow leaves the break alone");

	CHECK(heap_grow(&h, (intptr_t)(base + 4096 - h.brk)) != (void *)-1, "exactly to the end");
	CHECK(heap_grow(&h, 1) == (void *)-1, "then not one byte more");

	CHECK(heap_grow(&h, -(intptr_t)(4096 - 16)) != (void *)-1 && h.brk == h.start,
	      "shrink back to the start");
	errno = 0;
	CHECK(heap_grow(&h, -1) == (void *)-1 && errno == EINVAL, "below the start: EINVAL");

	heap_init(&h, base + 100, base + 50);
	CHECK(h.end == h.start && heap_grow(&h, 1) == (void *)-1, "empty heap when end < start");
	return TAP_DONE();
}
