/*
 * Host tests for the BSC I2C driver (runtime/drivers/bcm2835_i2c.c) against a model that
 * behaves like the hardware rather than like QEMU's: a byte takes 90 us on the wire (100 kHz),
 * a start (C.ST) given while a write is active becomes a repeated start when its last byte is
 * out, a missing acknowledge sets S.ERR, a stretched clock sets S.CLKT, and a transfer that
 * never ends is bounded by the caller's timeout. It checks what a device on the bus would see.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"

/* ---- the clock and scheduler the driver polls with: the wire moves while it waits ---- */
static uint64_t now, wire_ns;
static void step(void);
uint64_t uk_now_ns(void)
{
	return now;
}
void uk_thread_yield(void)
{
	now += 10000; /* 10 us per poll */
	for (; wire_ns + 90000 <= now; wire_ns += 90000)
		step(); /* a byte (9 bits at 100 kHz) each 90 us */
}

#define BASE 0x3f804000ul
enum { C = 0x00, S = 0x04, DLEN = 0x08, A = 0x0c, FIFO = 0x10, DIV = 0x14 };
#define S_TA   (1u << 0)
#define S_DONE (1u << 1)
#define S_RXD  (1u << 5)
#define S_ERR  (1u << 8)
#define S_CLKT (1u << 9)
/* DLEN is latched at each start: the count of the transfer on the wire is its own, so a new
 * DLEN and start can be given while a write still runs (the repeated-start recipe). */
static struct {
	uint32_t s, dlen, a, div, remaining;
	uint8_t tx[64];
	unsigned n_tx, tx_pending, n_rx;
	bool active, reading, queued_read;
	unsigned starts, repeated_starts, stops, clears;
	int nack_at;	   /* -1: none; 0: the address; k: data byte k (1-based) */
	bool stretch;	   /* CLKT once the transfer starts */
	bool never_done;   /* the bus hangs: no progress at all */
	uint8_t device[8]; /* what reads return */
} m;

static void finish(void)
{
	m.active = false;
	m.s = (m.s & ~S_TA) | S_DONE;
	m.stops++;
}

static void begin(bool read, bool repeated)
{
	m.active = true;
	m.reading = read;
	m.remaining = m.dlen;
	m.s |= S_TA;
	m.starts++;
	m.repeated_starts += repeated;
	if (m.nack_at == 0)
		m.s |= S_ERR;
	if (m.stretch)
		m.s |= S_CLKT;
}

/* one byte time on the wire */
static void step(void)
{
	if (!m.active || m.never_done || (m.s & (S_ERR | S_CLKT)))
		return;
	if (!m.reading) {
		if (m.tx_pending) {
			m.tx_pending--;
			m.remaining--;
			if (m.nack_at > 0 && m.n_tx - m.tx_pending == (unsigned)m.nack_at) {
				m.s |= S_ERR;
				return;
			}
		}
		if (m.remaining == 0) {
			if (m.queued_read) { /* the start given while active: a repeated start */
				m.queued_read = false;
				begin(true, true);
			} else {
				finish();
			}
		}
	} else if (m.remaining && !(m.s & S_RXD)) {
		m.s |= S_RXD; /* a byte arrived */
	}
}

uint32_t shim_mmio_read32(uintptr_t addr)
{
	switch (addr - BASE) {
	case S:
		return m.s | (m.tx_pending < 16 ? 1u << 4 : 0); /* TXD: room in the FIFO */
	case FIFO:
		if (m.reading && (m.s & S_RXD)) {
			m.s &= ~S_RXD;
			uint8_t v = m.device[m.n_rx++ % 8];
			if (--m.remaining == 0)
				finish();
			return v;
		}
		return 0;
	case DLEN:
		return m.dlen;
	}
	return 0;
}

void shim_mmio_write32(uintptr_t addr, uint32_t v)
{
	switch (addr - BASE) {
	case C:
		if (v & (3u << 4))
			m.clears++, m.tx_pending = 0;
		if ((v & (1u << 15)) && (v & (1u << 7))) {
			if (m.active && !m.reading && (v & 1))
				m.queued_read = true; /* starts when the write's last byte is out */
			else
				begin(v & 1, false);
		}
		break;
	case S:
		m.s &= ~(v & (S_CLKT | S_ERR | S_DONE));
		break;
	case DLEN:
		m.dlen = v;
		break;
	case A:
		m.a = v;
		break;
	case FIFO:
		if (m.active && !m.reading && m.n_tx < sizeof m.tx) {
			m.tx[m.n_tx++] = (uint8_t)v;
			m.tx_pending++;
		}
		break;
	case DIV:
		m.div = v;
		break;
	}
}

#include "bcm2835_i2c.c"

static void reset(void)
{
	memset(&m, 0, sizeof m);
	m.nack_at = -1;
	memcpy(m.device, "\x19\x80sensor", 8);
	now = wire_ns = 0;
}

int main(void)
{
	reset();
	CHECK(bcm2835_i2c_set_speed(BASE, 250000000, 100000) == 0 && m.div == 2500,
	      "100 kHz from a 250 MHz core clock: divider 2500");
	CHECK(bcm2835_i2c_set_speed(BASE, 250000000, 400000) == 0 && m.div == 626,
	      "400 kHz: 625 rounded up to even, 626 (never faster than asked)");
	m.div = 0;
	CHECK(bcm2835_i2c_set_speed(BASE, 250000000, 5000) == -EINVAL &&
		  bcm2835_i2c_set_speed(BASE, 250000000, 2000000) == -EINVAL && m.div == 0,
	      "speeds outside 10 kHz - 1 MHz are refused before the register is written");

	reset();
	const uint8_t out[3] = {1, 2, 3};
	int r = bcm2835_i2c_transfer(BASE, 0x48, out, 3, NULL, 0, 100000000);
	CHECK(r == 0 && m.n_tx == 3 && !memcmp(m.tx, out, 3) && m.a == 0x48 && m.starts == 1 &&
		  m.stops == 1,
	      "a write sends its bytes in order to the address, one start, one stop");

	reset();
	uint8_t reg = 0, in[2] = {0};
	r = bcm2835_i2c_transfer(BASE, 0x48, &reg, 1, in, 2, 100000000);
	CHECK(r == 0 && in[0] == 0x19 && in[1] == 0x80,
	      "write-then-read returns the device's bytes");
	CHECK(m.repeated_starts == 1 && m.stops == 1,
	      "...with a repeated start and a single stop (%u repeated, %u stops)",
	      m.repeated_starts, m.stops);

	reset();
	m.nack_at = 0;
	r = bcm2835_i2c_transfer(BASE, 0x33, NULL, 0, in, 1, 100000000);
	CHECK(r == -ENXIO && m.clears >= 2 && !(m.s & S_ERR),
	      "no acknowledge of the address: -ENXIO, FIFO cleared, ERR cleared");

	reset();
	m.nack_at = 2;
	r = bcm2835_i2c_transfer(BASE, 0x50, out, 3, NULL, 0, 100000000);
	CHECK(r == -ENXIO, "a data byte refused: -ENXIO");

	reset();
	m.stretch = true;
	r = bcm2835_i2c_transfer(BASE, 0x48, &reg, 1, in, 2, 100000000);
	CHECK(r == -ETIMEDOUT && !(m.s & S_CLKT),
	      "clock stretched too long: -ETIMEDOUT, CLKT cleared");

	reset();
	m.never_done = true;
	r = bcm2835_i2c_transfer(BASE, 0x48, &reg, 1, in, 2, 5000000);
	CHECK(r == -ETIMEDOUT && now >= 5000000 && now < 6000000,
	      "a bus that never finishes: -ETIMEDOUT at the deadline (%llu us)",
	      (unsigned long long)now / 1000);
	return TAP_DONE();
}
