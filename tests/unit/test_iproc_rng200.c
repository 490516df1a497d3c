/*
 * Host tests for the Pi 4's RNG200 driver (runtime/drivers/iproc_rng200.c) against a model of
 * the block as Linux's iproc-rng200 driver describes it: CTRL (0x00, 12:0 the enable field),
 * RNG_SOFT_RESET (0x04) and RBG_SOFT_RESET (0x08) bit 0, INT_STATUS (0x18, write 1 to clear:
 * bit 31 master-fail lockout, bit 5 NIST health-test failure), FIFO_DATA (0x20) and
 * FIFO_COUNT (0x24, 7:0). QEMU's raspi4b has no RNG200: the device tree it passes lacks the
 * node, so the platform never touches the registers there; the Pi 4 B's own tree has it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "drivers.h"
#include "tap.h"

#define BASE 0xfe104000ul

static struct {
	uint32_t ctrl, int_status, rng_reset, rbg_reset;
	unsigned count;	    /* words in the FIFO */
	unsigned refill;    /* words added per count read while enabled */
	unsigned underruns; /* FIFO_DATA read while empty */
	bool fail_again;    /* a health test fails again right after every restart */
	unsigned restarts;  /* full recovery sequences seen */
	int step;	    /* progress through the recovery sequence */
	uint32_t next_word;
} m;
static uint64_t now_ns;

uint64_t uk_now_ns(void)
{
	return now_ns += 100000;
}

uint32_t shim_mmio_read32(uintptr_t addr)
{
	switch (addr - BASE) {
	case 0x00:
		return m.ctrl;
	case 0x04:
		return m.rng_reset;
	case 0x08:
		return m.rbg_reset;
	case 0x18:
		return m.int_status;
	case 0x20:
		if (m.count == 0) {
			m.underruns++;
			return 0;
		}
		m.count--;
		return m.next_word++;
	case 0x24:
		if ((m.ctrl & 0x1fff) == 1 && !m.int_status && m.count + m.refill <= 32)
			m.count += m.refill;
		return m.count | 0xab00; /* bits above the count field are not words */
	}
	return 0;
}

/* The recovery Linux's driver performs: off, clear the status, RBG reset pulse, RNG reset
 * pulse, on. The model counts it only when complete and in that order. */
void shim_mmio_write32(uintptr_t addr, uint32_t v)
{
	switch (addr - BASE) {
	case 0x00:
		if ((v & 0x1fff) == 0)
			m.step = 1;
		else if ((v & 0x1fff) == 1 && m.step == 6) {
			m.restarts++;
			m.step = 0;
			m.count = 0;
			if (m.fail_again)
				m.int_status = 1u << 5;
		}
		m.ctrl = v;
		break;
	case 0x18:
		m.int_status &= ~v;
		m.step = m.step == 1 && !m.int_status ? 2 : m.step;
		break;
	case 0x08:
		m.step =
		    (m.step == 2 && (v & 1)) || (m.step == 3 && !(v & 1)) ? m.step + 1 : m.step;
		m.rbg_reset = v;
		break;
	case 0x04:
		m.step =
		    (m.step == 4 && (v & 1)) || (m.step == 5 && !(v & 1)) ? m.step + 1 : m.step;
		m.rng_reset = v;
		break;
	}
}

static void *load(const char *path, void *buf, size_t size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t n = fread(buf, 1, size, f);
	fclose(f);
	return n ? buf : NULL;
}

int main(void)
{
	static char b1[1 << 20], b2[1 << 20];
	const void *board = load(RPI4_DTB, b1, sizeof(b1));
	const void *qemu = load(RASPI4B_DTB, b2, sizeof(b2));
	CHECK(board && dt_device_enabled(board, "brcm,bcm2711-rng200"),
	      "the Pi 4 B's device tree has an enabled brcm,bcm2711-rng200");
	CHECK(qemu && !dt_device_enabled(qemu, "brcm,bcm2711-rng200"),
	      "the tree QEMU's raspi4b passes has none: the platform does not probe it");

	memset(&m, 0, sizeof(m));
	m.ctrl = 0xe000; /* bits above the enable field are kept */
	m.refill = 2;
	m.next_word = 0x44332211;
	const struct rng_dev *rng = iproc_rng200_probe(BASE);
	CHECK(rng && strcmp(rng->name, "iproc-rng200") == 0 && m.ctrl == 0xe001,
	      "probe sets the enable field to 1 and keeps the other bits (ctrl %#x)", m.ctrl);

	uint8_t buf[64];
	CHECK(rng->read(buf, 6) == 0 && buf[0] == 0x11 && buf[3] == 0x44 && buf[4] == 0x12,
	      "6 bytes: one word and half of the next, little-endian");
	CHECK(rng->read(buf, 64) == 0 && m.underruns == 0,
	      "64 bytes, two words at a time: never reads past FIFO_COUNT (its low byte only)");

	m.int_status = 1u << 5; /* a NIST health test failed */
	m.count = 3;
	CHECK(rng->read(buf, 16) == 0 && m.restarts == 1 && m.int_status == 0,
	      "a latched health-test failure: one restart (off, clear, RBG and RNG reset, on), "
	      "then data");
	m.int_status = 1u << 31;
	unsigned r0 = m.restarts;
	CHECK(rng->read(buf, 16) == 0 && m.restarts == r0 + 1,
	      "master-fail lockout: restarted too");

	m.int_status = 1u << 5;
	m.fail_again = true;
	r0 = m.restarts;
	CHECK(rng->read(buf, 16) == -EIO && m.restarts == r0 + 1,
	      "failing again after the restart: -EIO, one restart per read");
	m.fail_again = false;
	m.int_status = 1u << 5;
	CHECK(rng->read(buf, 16) == 0, "a later read restarts it and recovers");

	m.refill = 0;
	m.count = 0;
	uint64_t t0 = now_ns;
	CHECK(rng->read(buf, 4) == -ETIMEDOUT && now_ns - t0 >= 1000000000ull &&
		  now_ns - t0 < 1100000000ull,
	      "an empty FIFO that never fills: -ETIMEDOUT after 1 s");
	return TAP_DONE();
}
