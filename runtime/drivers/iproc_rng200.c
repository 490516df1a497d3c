/*
 * Broadcom iProc RNG200, the Pi 4's hardware random number generator (BCM2711; device tree
 * node rng@7e104000, compatible "brcm,bcm2711-rng200", so ARM physical 0xfe104000 in
 * low-peripheral mode). Broadcom does not document the block; the registers and the recovery
 * sequence follow Linux's drivers/char/hw_random/iproc-rng200.c. QEMU's raspi4b does not model
 * it (and removes its node from the device tree), so the driver is tested against a host model
 * (tests/unit/test_iproc_rng200.c) only.
 *
 * The generator runs NIST health tests on its noise source; a failure latches a status bit and
 * stops the output until the block is reset, which read() does once per call before giving up
 * with -EIO. Words wait in a FIFO whose fill level a count register gives.
 */
#include <errno.h>
#include <string.h>

#include <uk/time.h>

#include "drivers.h"
#include "sysreg.h"

#define RNG_CTRL	  0x00
#define CTRL_RBGEN_MASK	  0x1fffu /* the enable field: 1 on, 0 off */
#define CTRL_RBGEN_ENABLE 0x0001u
#define RNG_SOFT_RESET	  0x04	     /* bit 0: hold the RNG in reset */
#define RBG_SOFT_RESET	  0x08	     /* bit 0: hold the random bit generator in reset */
#define RNG_INT_STATUS	  0x18	     /* write 1 to clear */
#define INT_MASTER_FAIL	  (1u << 31) /* repeated health-test failures: output locked out */
#define INT_NIST_FAIL	  (1u << 5)  /* a NIST health test failed */
#define RNG_FIFO_DATA	  0x20	     /* reading pops one word */
#define RNG_FIFO_COUNT	  0x24
#define FIFO_COUNT_MASK	  0xffu /* words waiting */
#define RESETS_PER_READ	  1
#define TIMEOUT_NS	  1000000000ull /* Linux gives up after a second without data too */

static uintptr_t base;

static void set_enable(bool on)
{
	uint32_t v = mmio_read32(base + RNG_CTRL) & ~CTRL_RBGEN_MASK;
	mmio_write32(base + RNG_CTRL, on ? v | CTRL_RBGEN_ENABLE : v);
}

/* The recovery after a health-test failure: off, clear the latched status, pulse both resets,
 * on again. */
static void restart(void)
{
	set_enable(false);
	mmio_write32(base + RNG_INT_STATUS, 0xffffffffu);
	mmio_write32(base + RBG_SOFT_RESET, mmio_read32(base + RBG_SOFT_RESET) | 1);
	mmio_write32(base + RBG_SOFT_RESET, mmio_read32(base + RBG_SOFT_RESET) & ~1u);
	mmio_write32(base + RNG_SOFT_RESET, mmio_read32(base + RNG_SOFT_RESET) | 1);
	mmio_write32(base + RNG_SOFT_RESET, mmio_read32(base + RNG_SOFT_RESET) & ~1u);
	set_enable(true);
}

static int iproc_rng200_read(void *out, size_t n)
{
	uint8_t *p = out;
	unsigned resets = 0;
	uint64_t deadline = uk_now_ns() + TIMEOUT_NS;
	while (n > 0) {
		if (mmio_read32(base + RNG_INT_STATUS) & (INT_MASTER_FAIL | INT_NIST_FAIL)) {
			if (resets++ == RESETS_PER_READ)
				return -EIO;
			restart();
			continue;
		}
		uint32_t words = mmio_read32(base + RNG_FIFO_COUNT) & FIFO_COUNT_MASK;
		if (words == 0) {
			if (uk_now_ns() > deadline)
				return -ETIMEDOUT;
			continue;
		}
		for (; words > 0 && n > 0; words--) {
			uint32_t w = mmio_read32(base + RNG_FIFO_DATA);
			size_t k = n < 4 ? n : 4;
			memcpy(p, &w, k);
			p += k;
			n -= k;
		}
	}
	return 0;
}

static const struct rng_dev iproc_rng200_dev = {.name = "iproc-rng200", .read = iproc_rng200_read};

const struct rng_dev *iproc_rng200_probe(uintptr_t rng_base)
{
	base = rng_base;
	set_enable(true);
	return &iproc_rng200_dev;
}
