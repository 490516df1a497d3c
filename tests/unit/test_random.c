/*
 * Host tests for kernel/random.c (uk_random, getentropy): mbed TLS's CTR_DRBG, built with the
 * runtime's configuration, fed by fake hardware that works, is absent, times out, fails, or
 * reads back one constant word. random.c is included here so each case starts from boot.
 */
#include <stdarg.h>
#include <stdio.h>

#include "../../runtime/kernel/random.c"
#include "tap.h"

const struct platform platform = {.target = "test"};

static char console[4096];
void kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t used = strlen(console);
	vsnprintf(console + used, sizeof(console) - used, fmt, ap);
	va_end(ap);
}

enum hw_mode { WORKS, TIMES_OUT, FAILS, ZEROES, STUCK_WORD };
static enum hw_mode mode;
static unsigned hw_reads;
static unsigned char next_byte;

static int fake_read(void *buf, size_t n)
{
	hw_reads++;
	unsigned char *p = buf;
	switch (mode) {
	case WORKS:
		for (size_t i = 0; i < n; i++)
			p[i] = (unsigned char)(next_byte++ * 167 + 13);
		return 0;
	case TIMES_OUT:
		return -ETIMEDOUT;
	case FAILS:
		return -EIO;
	case ZEROES:
		memset(p, 0, n);
		return 0;
	case STUCK_WORD:
		for (size_t i = 0; i < n; i++)
			p[i] = "\xde\xad\xbe\xef"[i % 4];
		return 0;
	}
	return -EIO;
}
static const struct rng_dev fake = {.name = "fake-rng", .read = fake_read};
static bool have_hw;

const struct rng_dev *rng_probe(void)
{
	return have_hw ? &fake : NULL;
}

/* Back to the state before boot, with the hardware as given. */
static void boot(bool hardware, enum hw_mode m)
{
	mbedtls_ctr_drbg_free(&drbg);
	hw = NULL;
	probed = seeded = false;
	have_hw = hardware;
	mode = m;
	hw_reads = 0;
	console[0] = 0;
	uk_random_init();
}

static bool all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

int main(void)
{
	unsigned char a[64], b[64];
	static unsigned char big[5000];

	boot(false, WORKS);
	CHECK(strstr(console, "no hardware random number generator on this test") != NULL,
	      "no hardware: the console says so at boot");
	CHECK(uk_random(a, 16) == -ENODEV, "no hardware: uk_random gives -ENODEV");
	errno = 0;
	CHECK(getentropy(a, 16) == -1 && errno == ENODEV,
	      "no hardware: getentropy -1, errno ENODEV");

	boot(true, WORKS);
	CHECK(console[0] == 0 && hw_reads >= 1, "working hardware: seeded at boot, nothing said");
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	CHECK(uk_random(a, sizeof(a)) == 0 && uk_random(b, sizeof(b)) == 0 &&
		  memcmp(a, b, sizeof(a)) != 0 && !all_zero(a, sizeof(a)),
	      "two draws differ and are not zero");
	unsigned reads = hw_reads;
	CHECK(uk_random(big, sizeof(big)) == 0 && !all_zero(big + 4000, 1000) && hw_reads == reads,
	      "5000 bytes in one call (over the DRBG's 1024-byte limit) without touching the "
	      "hardware");
	CHECK(uk_random(a, 0) == 0, "0 bytes: 0");
	CHECK(getentropy(big, 256) == 0, "getentropy of 256 bytes works");
	errno = 0;
	CHECK(getentropy(big, 257) == -1 && errno == EINVAL,
	      "getentropy of 257 bytes: EINVAL (POSIX)");

	reads = hw_reads;
	for (int i = 0; i < 10000; i++)
		uk_random(a, 1);
	CHECK(hw_reads > reads, "reseeded from the hardware within 10,000 calls");
	mode = FAILS;
	int r = 0;
	for (int i = 0; i < 10001 && r == 0; i++)
		r = uk_random(a, 8);
	CHECK(r == -EIO, "a reseed the hardware fails: the call fails with its error (-EIO)");
	CHECK(uk_random(a, 8) == -EIO, "and keeps failing while the hardware does");
	mode = WORKS;
	CHECK(uk_random(a, 8) == 0, "the hardware recovers: so does uk_random");

	boot(true, TIMES_OUT);
	CHECK(strstr(console, "fake-rng unusable (no data within a second)") != NULL,
	      "hardware that times out at boot: said on the console");
	CHECK(uk_random(a, 8) == -ETIMEDOUT, "and uk_random gives -ETIMEDOUT");
	mode = WORKS;
	CHECK(uk_random(a, 8) == 0, "it answers later: seeded then, uk_random works");

	boot(true, ZEROES);
	CHECK(strstr(console, "fake-rng unusable") != NULL && uk_random(a, 8) == -EIO,
	      "hardware reading back zeroes: refused at boot, uk_random -EIO");
	boot(true, STUCK_WORD);
	CHECK(uk_random(a, 8) == -EIO, "hardware repeating one word: -EIO");
	errno = 0;
	CHECK(getentropy(a, 8) == -1 && errno == EIO, "getentropy: -1, errno EIO");
	mbedtls_ctr_drbg_free(&drbg);
	return TAP_DONE();
}
