/*
 * Host tests for the BCM2835 RNG driver (runtime/drivers/bcm2835_rng.c) against a model of the
 * block as Linux's bcm2835-rng driver and QEMU's hw/misc/bcm2835_rng.c describe it: CTRL
 * (0x00, bit 0 enables), STATUS (0x04: 31:24 words waiting; 19:0 the warm-up count, written),
 * DATA (0x08, pops a word). The model holds words back for a number of status reads after
 * enabling (the warm-up), and notes any read of DATA with nothing waiting. Also: the device
 * tree decides whether the platform probes it (the Pi 3 B's tree has the node).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers.h"
#include "tap.h"

#define BASE 0x3f104000ul

static struct {
	uint32_t ctrl, warmup;
	unsigned status_writes, ctrl_writes;
	bool warmup_before_enable;
	unsigned hold_polls; /* status reads that still show no words */
	unsigned per_poll;   /* words the FIFO offers per status read (up to 4) */
	unsigned waiting;    /* words the last status read promised */
	unsigned underruns;  /* DATA read with nothing waiting */
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
		if (!(m.ctrl & 1) || m.hold_polls) {
			if (m.hold_polls)
				m.hold_polls--;
			m.waiting = 0;
		} else {
			m.waiting = m.per_poll;
		}
		return m.waiting << 24 | m.warmup;
	case 0x08:
		if (m.waiting == 0) {
			m.underruns++;
			return 0;
		}
		m.waiting--;
		return m.next_word++;
	}
	return 0;
}

void shim_mmio_write32(uintptr_t addr, uint32_t v)
{
	switch (addr - BASE) {
	case 0x00:
		if ((v & 1) && !(m.ctrl & 1))
			m.warmup_before_enable = m.warmup == 0x40000;
		m.ctrl = v;
		m.ctrl_writes++;
		break;
	case 0x04:
		m.warmup = v & 0xfffff;
		m.status_writes++;
		break;
	}
}

static void *load(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return n ? buf : NULL;
}

int main(void)
{
	const void *dtb = load(RPI3_DTB);
	CHECK(dtb && dt_device_enabled(dtb, "brcm,bcm2835-rng"),
	      "the Pi 3 B's device tree has an enabled brcm,bcm2835-rng (rng@7e104000)");
	CHECK(dtb && !dt_device_enabled(dtb, "brcm,bcm2711-rng200"), "and no RNG200");
	CHECK(!dt_device_enabled(NULL, "brcm,bcm2835-rng"), "no device tree: not probed");

	memset(&m, 0, sizeof(m));
	m.per_poll = 1; /* QEMU's model: always exactly one word */
	m.next_word = 0x03020100;
	const struct rng_dev *rng = bcm2835_rng_probe(BASE);
	CHECK(rng && strcmp(rng->name, "bcm2835-rng") == 0 && (m.ctrl & 1),
	      "probe enables the generator");
	CHECK(m.warmup_before_enable, "the warm-up count 0x40000 is written before enabling");

	uint8_t buf[64];
	CHECK(rng->read(buf, 8) == 0 && memcmp(buf, "\x00\x01\x02\x03\x01\x01\x02\x03", 8) == 0,
	      "8 bytes: two words, little-endian as read");
	m.per_poll = 4;
	m.next_word = 0xaabbccdd;
	CHECK(rng->read(buf, 10) == 0 && buf[0] == 0xdd && buf[8] == 0xdf && buf[9] == 0xcc,
	      "10 bytes: two words and half of a third");
	CHECK(m.underruns == 0, "never reads DATA beyond the words STATUS promised");

	m.hold_polls = 500; /* a warm-up: no words for 500 status reads */
	CHECK(rng->read(buf, 16) == 0 && m.hold_polls == 0 && m.underruns == 0,
	      "waits out a warm-up without reading an empty FIFO");

	m.hold_polls = ~0u; /* never any words */
	uint64_t t0 = now_ns;
	CHECK(rng->read(buf, 4) == -ETIMEDOUT && now_ns - t0 >= 1000000000ull &&
		  now_ns - t0 < 1100000000ull,
	      "no words at all: -ETIMEDOUT after 1 s");

	memset(&m, 0, sizeof(m));
	m.ctrl = 1; /* the firmware started it */
	m.per_poll = 1;
	bcm2835_rng_probe(BASE);
	CHECK(m.status_writes == 0 && m.ctrl_writes == 0,
	      "already running: probe leaves it alone (no second warm-up)");
	return TAP_DONE();
}
