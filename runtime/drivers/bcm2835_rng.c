/*
 * The BCM2835/BCM2837 hardware random number generator (the Pi 3's; device tree node
 * rng@7e104000, compatible "brcm,bcm2835-rng", so ARM physical periph + 0x104000). Broadcom
 * does not document the block; the register layout and warm-up count follow Linux's
 * drivers/char/hw_random/bcm2835-rng.c, and QEMU models it in hw/misc/bcm2835_rng.c.
 *
 * The generator fills a FIFO of 32-bit words; the status register's top byte says how many are
 * waiting. Its first output after enabling is less random, so a warm-up count is written
 * first: that many bits are discarded by the hardware before words appear in the FIFO (QEMU's
 * model ignores the count and always reports one word).
 */
#include <errno.h>
#include <string.h>

#include <uk/time.h>

#include "drivers.h"
#include "sysreg.h"

#define RNG_CTRL	0x00
#define CTRL_RBGEN	(1u << 0) /* random bit generator on */
#define RNG_STATUS	0x04	  /* 31:24 words in the FIFO; 19:0 warm-up count (write) */
#define STATUS_WORDS(s) ((s) >> 24)
#define RNG_DATA	0x08	      /* reading pops one word */
#define WARMUP_COUNT	0x40000	      /* Linux's RNG_WARMUP_COUNT */
#define TIMEOUT_NS	1000000000ull /* warm-up on a board takes well under this */

static uintptr_t base;

static int bcm2835_rng_read(void *out, size_t n)
{
	uint8_t *p = out;
	uint64_t deadline = uk_now_ns() + TIMEOUT_NS;
	while (n > 0) {
		uint32_t words = STATUS_WORDS(mmio_read32(base + RNG_STATUS));
		if (words == 0) {
			if (uk_now_ns() > deadline)
				return -ETIMEDOUT;
			continue;
		}
		for (; words > 0 && n > 0; words--) {
			uint32_t w = mmio_read32(base + RNG_DATA);
			size_t k = n < 4 ? n : 4;
			memcpy(p, &w, k);
			p += k;
			n -= k;
		}
	}
	return 0;
}

static const struct rng_dev bcm2835_rng_dev = {.name = "bcm2835-rng", .read = bcm2835_rng_read};

const struct rng_dev *bcm2835_rng_probe(uintptr_t rng_base)
{
	base = rng_base;
	/* The firmware may have started it already; starting it again would throw away the words
	 * it has gathered and wait out another warm-up. */
	if (!(mmio_read32(base + RNG_CTRL) & CTRL_RBGEN)) {
		mmio_write32(base + RNG_STATUS, WARMUP_COUNT);
		mmio_write32(base + RNG_CTRL, CTRL_RBGEN);
	}
	return &bcm2835_rng_dev;
}
