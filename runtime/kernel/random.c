/*
 * uk_random() and getentropy(): a CTR_DRBG (NIST SP 800-90A, AES-256; mbed TLS's, from Debian's
 * source package) seeded and reseeded from the platform's hardware generator (rng_probe).
 * The DRBG is there so that every caller does not wait on the hardware: virtio-rng costs a
 * trap into QEMU per request and the Pi's FIFOs refill slowly, while lwIP asks for a few bytes
 * per connection.
 *
 * Set up before main (kernel/boot.c holds a weak reference to uk_random_init, so only apps
 * that draw randomness, directly or through lwIP, link this and pay for it). No hardware, or
 * hardware that fails, is said on the console and makes every call fail: never weak bytes.
 * Callers are threads, which uk never preempts, so the DRBG needs no lock.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <uk/random.h>

#include "kernel.h"

#define GETENTROPY_MAX 256 /* POSIX.1-2024 <limits.h> */

static const struct rng_dev *hw;
static bool probed, seeded;
static int hw_error; /* what the hardware said on the last failed entropy request */
static mbedtls_ctr_drbg_context drbg;

/* Hardware that reads back one repeated word (a disabled block, an address nothing answers)
 * is not a source: 12 equal words from a working generator happen with probability 2^-352. */
static bool constant(const unsigned char *p, size_t n)
{
	if (n < 8)
		return false;
	for (size_t i = 4; i + 4 <= n; i += 4)
		if (memcmp(p, p + i, 4) != 0)
			return false;
	return true;
}

/* mbed TLS's entropy callback: every (re)seed reads the hardware. */
static int entropy(void *ctx, unsigned char *out, size_t n)
{
	(void)ctx;
	int r = hw->read(out, n);
	if (r == 0 && constant(out, n))
		r = -EIO;
	hw_error = r;
	return r ? MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED : 0;
}

static int seed(void)
{
	static const unsigned char personal[] = "uk random";
	hw_error = 0;
	if (mbedtls_ctr_drbg_seed(&drbg, entropy, NULL, personal, sizeof(personal)) != 0)
		return hw_error ? hw_error : -EIO;
	seeded = true;
	return 0;
}

static const char *reason(int err)
{
	return err == -ETIMEDOUT ? "no data within a second"
				 : "it reports a failure or repeats one word";
}

void uk_random_init(void)
{
	if (probed)
		return;
	probed = true;
	mbedtls_ctr_drbg_init(&drbg);
	hw = rng_probe();
	if (!hw) {
		kprintf("uk: no hardware random number generator on this %s: uk_random() and "
			"getentropy() fail with ENODEV\n",
			platform.target);
		return;
	}
	int r = seed();
	if (r != 0)
		kprintf("uk: random: %s unusable (%s): uk_random() fails until it recovers\n",
			hw->name, reason(r));
}

int uk_random(void *buf, size_t n)
{
	uk_random_init();
	if (!hw)
		return -ENODEV;
	if (!seeded) {
		int r = seed();
		if (r != 0)
			return r;
	}
	unsigned char *p = buf;
	while (n > 0) {
		size_t k = n < MBEDTLS_CTR_DRBG_MAX_REQUEST ? n : MBEDTLS_CTR_DRBG_MAX_REQUEST;
		hw_error = 0;
		/* Fails only when a due reseed cannot read the hardware; the DRBG then stays due
		 * and the next call tries again. */
		if (mbedtls_ctr_drbg_random(&drbg, p, k) != 0) {
			memset(buf, 0, (size_t)(p - (unsigned char *)buf));
			return hw_error ? hw_error : -EIO;
		}
		p += k;
		n -= k;
	}
	return 0;
}

/* POSIX.1-2024: at most GETENTROPY_MAX bytes, else EINVAL (glibc says EIO). */
int getentropy(void *buf, size_t n)
{
	if (n > GETENTROPY_MAX) {
		errno = EINVAL;
		return -1;
	}
	int r = uk_random(buf, n);
	if (r != 0) {
		errno = -r;
		return -1;
	}
	return 0;
}

/* mbed TLS's hardware entropy source (MBEDTLS_ENTROPY_HARDWARE_ALT), for code that seeds its own
 * DRBG from mbedtls_entropy_func (lwIP's altcp TLS): the board's generator itself, checked as
 * the seeds of uk_random are. No generator: an error, so such a DRBG never seeds. */
int mbedtls_hardware_poll(void *data, unsigned char *out, size_t n, size_t *olen)
{
	(void)data;
	uk_random_init();
	*olen = 0;
	if (!hw || entropy(NULL, out, n) != 0)
		return MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
	*olen = n;
	return 0;
}
