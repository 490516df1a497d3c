/*
 * The Internet checksum (RFC 1071) for lwIP (LWIP_CHKSUM in lwipopts.h): every received TCP
 * segment is summed once, so this loop is most of the stack's per-byte work. Sixty-four bytes
 * per iteration with the carry chained through adds/adcs: about a quarter of the instructions
 * of lwIP's portable 32-bit loop, which matters most under QEMU's instruction emulation.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <lwip/opt.h>

/* One's complement fold of a 64-bit sum to 16 bits. */
static uint16_t fold(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	return (uint16_t)s;
}

/* Adds v to s with the carry wrapped around (one's complement addition, RFC 1071 2(B)). */
static uint64_t add64(uint64_t s, uint64_t v)
{
	s += v;
	return s + (s < v);
}

/* Returns the sum in the byte order of the data, not complemented (as lwIP's own routines). */
uint16_t uk_inet_chksum(const void *data, int len)
{
	const uint8_t *p = data;
	uint64_t s = 0;
	/* An odd start: the first byte is the high half of a 16-bit word; the sum of the rest
	 * then has its bytes swapped, undone at the end (RFC 1071 2(B), byte order
	 * independence). */
	bool odd = ((uintptr_t)p & 1) && len > 0;
	if (odd) {
		s = (uint64_t)*p++ << 8;
		len--;
	}
	size_t n = len > 0 ? (size_t)len : 0;
	if (n >= 64) {
		uint64_t a, b, c, d, e, f, g, h;
		size_t blocks = n / 64;
		/* Unaligned 64-bit loads are fine on Normal memory (Arm ARM B2.5.2). */
		__asm__ volatile("1:	ldp %[a], %[b], [%[p]]\n"
				 "	ldp %[c], %[d], [%[p], #16]\n"
				 "	ldp %[e], %[f], [%[p], #32]\n"
				 "	ldp %[g], %[h], [%[p], #48]\n"
				 "	add %[p], %[p], #64\n"
				 "	adds %[s], %[s], %[a]\n"
				 "	adcs %[s], %[s], %[b]\n"
				 "	adcs %[s], %[s], %[c]\n"
				 "	adcs %[s], %[s], %[d]\n"
				 "	adcs %[s], %[s], %[e]\n"
				 "	adcs %[s], %[s], %[f]\n"
				 "	adcs %[s], %[s], %[g]\n"
				 "	adcs %[s], %[s], %[h]\n"
				 "	adc %[s], %[s], xzr\n"
				 "	subs %[n], %[n], #1\n"
				 "	b.ne 1b\n"
				 : [s] "+r"(s), [p] "+r"(p), [n] "+r"(blocks), [a] "=&r"(a),
				   [b] "=&r"(b), [c] "=&r"(c), [d] "=&r"(d), [e] "=&r"(e),
				   [f] "=&r"(f), [g] "=&r"(g), [h] "=&r"(h)
				 :
				 : "cc", "memory");
		n %= 64;
	}
	for (; n >= 8; n -= 8, p += 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		s = add64(s, v);
	}
	uint64_t tail = 0;
	memcpy(&tail, p, n); /* little-endian: the bytes keep their places in 16-bit words */
	s = add64(s, tail);
	uint16_t r = fold(s);
	return odd ? (uint16_t)(r << 8 | r >> 8) : r;
}
