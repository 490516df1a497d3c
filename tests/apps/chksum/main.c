/* lwIP's Internet checksum as uk configures it (LWIP_CHKSUM = lwip_port/chksum.c, assembly) against
 * a plain RFC 1071 sum: random data at every start alignment, lengths 0 to 2,000, all-ones and
 * all-zero data (the carry edge cases). Prints "chksum: N cases ok", or the first mismatches. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <lwip/inet_chksum.h>

/* RFC 1071 section 4.1, 16-bit words in memory order, complemented as inet_chksum does. */
static uint16_t reference(const uint8_t *p, int len)
{
	uint32_t s = 0;
	for (int i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] | (uint32_t)p[i + 1] << 8; /* little-endian loads */
	if (len & 1)
		s += p[len - 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint32_t rng = 12345;
static uint8_t next(void)
{
	rng = rng * 1103515245u + 12345u;
	return (uint8_t)(rng >> 16);
}

int main(void)
{
	static uint8_t buf[2100];
	unsigned cases = 0, bad = 0;
	for (int pattern = 0; pattern < 3; pattern++)
		for (int len = 0; len <= 2000; len += (len < 300 ? 1 : 37))
			for (int off = 0; off < 8; off++) {
				for (int i = 0; i < len; i++)
					buf[off + i] = pattern == 0   ? next()
						       : pattern == 1 ? 0xff
								      : 0;
				uint16_t got = inet_chksum(buf + off, (u16_t)len);
				uint16_t want = reference(buf + off, len);
				cases++;
				/* 0x0000 and 0xffff are both zero in one's complement */
				if (got != want &&
				    !((got == 0 || got == 0xffff) &&
				      (want == 0 || want == 0xffff)) &&
				    bad++ < 5)
					printf("chksum: FAIL len %d offset %d pattern %d: %04x, "
					       "want %04x\n",
					       len, off, pattern, got, want);
			}
	if (bad) {
		printf("chksum: %u of %u cases wrong\n", bad, cases);
		return 1;
	}
	printf("chksum: %u cases ok\n", cases);
	return 0;
}
