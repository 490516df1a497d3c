/*
 * Host tests for SPI0 (runtime/drivers/bcm2835_spi.c) against a model of the controller and a
 * SPI NOR flash behind CE0 (the m25p80 family's commands: 0x9f JEDEC id, 0x06 write enable,
 * 0x02 page program, 0x03 read, 0x05 status): QEMU's SPI0 drives no chip-select line, so only
 * one command per boot can be tested there (tests/spi.bats). The controller
 * model shifts one byte per 10 us of the driver's polling time, keeps 64-byte FIFOs (a byte
 * that arrives with the RX FIFO full is an overflow: the driver must never let that happen), and
 * the flash sees a command end when TA drops (chip select released).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"

static uint64_t now;
static void shift(void);
uint64_t uk_now_ns(void)
{
	return now;
}
void uk_thread_yield(void)
{
	now += 10000;
	shift();
}

#define BASE 0x3f204000ul
static struct {
	uint32_t cs, clk;
	uint8_t tx[64], rx[64];
	unsigned n_tx, n_rx, overflows, tx_overflows, transfers;
	bool stalled;
	/* the flash */
	uint8_t mem[1024], cmd;
	unsigned pos;
	uint32_t addr;
	bool wel;
	unsigned cs_seen, mode_seen;
} m;

static uint8_t flash_byte(uint8_t in)
{
	unsigned i = m.pos++;
	if (i == 0) {
		m.cmd = in;
		if (in == 0x06)
			m.wel = true;
		return 0xff;
	}
	switch (m.cmd) {
	case 0x9f:
		return i <= 3 ? (uint8_t[]){0, 0x20, 0xba, 0x19}[i] : 0;
	case 0x05:
		return m.wel ? 2 : 0;
	case 0x02:
	case 0x03:
		if (i <= 3) {
			m.addr = m.addr << 8 | in;
			return 0xff;
		}
		if (m.cmd == 0x02 && m.wel)
			m.mem[(m.addr + i - 4) % sizeof m.mem] &= in; /* NOR: bits only clear */
		return m.cmd == 0x03 ? m.mem[(m.addr + i - 4) % sizeof m.mem] : 0xff;
	}
	return 0xff;
}

static void shift(void)
{
	if (!(m.cs & (1u << 7)) || m.stalled || m.n_tx == 0)
		return;
	uint8_t out = m.tx[0];
	memmove(m.tx, m.tx + 1, --m.n_tx);
	m.cs_seen = m.cs & 3;
	m.mode_seen = (m.cs >> 2) & 3;
	uint8_t in = (m.cs & 3) == 0 ? flash_byte(out) : 0xff;
	if (m.n_rx == 64)
		m.overflows++;
	else
		m.rx[m.n_rx++] = in;
}

uint32_t shim_mmio_read32(uintptr_t addr)
{
	if (addr == BASE) {
		uint32_t s = m.cs;
		if ((m.cs & (1u << 7)) && m.n_tx == 0)
			s |= 1u << 16; /* DONE */
		if (m.n_rx)
			s |= 1u << 17; /* RXD */
		if (m.n_tx < 64)
			s |= 1u << 18; /* TXD */
		if (m.n_rx >= 48)
			s |= 1u << 19; /* RXR: 3/4 full */
		return s;
	}
	if (addr == BASE + 4 && m.n_rx) {
		uint8_t v = m.rx[0];
		memmove(m.rx, m.rx + 1, --m.n_rx);
		return v;
	}
	return 0;
}

void shim_mmio_write32(uintptr_t addr, uint32_t v)
{
	if (addr == BASE) {
		if (v & (1u << 4))
			m.n_tx = 0;
		if (v & (1u << 5))
			m.n_rx = 0;
		bool was = m.cs & (1u << 7);
		m.cs = v & ~(3u << 4);
		if (was && !(m.cs & (1u << 7))) { /* chip select released: the command ends */
			m.pos = 0, m.addr = 0;
			if (m.cmd == 0x02)
				m.wel = false;
			m.transfers++;
		}
	} else if (addr == BASE + 4 && (m.cs & (1u << 7))) {
		if (m.n_tx == 64)
			m.tx_overflows++; /* written with the TX FIFO full: the byte is lost */
		else
			m.tx[m.n_tx++] = (uint8_t)v;
	} else if (addr == BASE + 8) {
		m.clk = v;
	}
}

#include "bcm2835_spi.c"

static int xfer(unsigned mode, unsigned cs, const void *tx, void *rx, size_t len)
{
	return bcm2835_spi_transfer(BASE, mode, cs, 26, tx, rx, len, 1000000000);
}

int main(void)
{
	memset(m.mem, 0xff, sizeof m.mem);
	CHECK(bcm2835_spi_divider(250000000, 10000000) == 26 &&
		  bcm2835_spi_divider(250000000, 125000000) == 2 &&
		  bcm2835_spi_divider(250000000, 125000001) == 0 &&
		  bcm2835_spi_divider(250000000, 0) == 0 &&
		  bcm2835_spi_divider(250000000, 100) == 0 &&
		  bcm2835_spi_divider(250000000, 3815) == 65532,
	      "dividers are even, never faster than asked; too slow is refused, not sped up");

	uint8_t tx[300] = {0x9f}, rx[300] = {0};
	int r = xfer(0, 0, tx, rx, 4);
	CHECK(r == 0 && rx[1] == 0x20 && rx[2] == 0xba && rx[3] == 0x19 && m.clk == 26,
	      "the JEDEC id of the flash on CE0 (20 ba 19)");
	CHECK(!(m.cs & (1u << 7)) && m.transfers == 1, "the chip select is released at the end");

	for (unsigned mode = 0; mode < 4; mode++) {
		xfer(mode, 1, tx, rx, 1);
		CHECK(m.mode_seen == mode && m.cs_seen == 1, "mode %u on CE1: CPOL %u CPHA %u",
		      mode, mode >> 1, mode & 1);
	}

	uint8_t we = 0x06;
	xfer(0, 0, &we, NULL, 1);
	tx[0] = 0x02, tx[1] = 0, tx[2] = 0x01, tx[3] = 0x00; /* program 256 bytes at 0x100 */
	for (unsigned i = 0; i < 256; i++)
		tx[4 + i] = (uint8_t)(i * 7 + 1);
	r = xfer(0, 0, tx, NULL, 260);
	CHECK(r == 0 && m.mem[0x100] == 1 && m.mem[0x1ff] == (uint8_t)(255 * 7 + 1),
	      "a 260-byte page program (write enable first) lands in the flash");
	memset(tx, 0, sizeof tx);
	tx[0] = 0x03, tx[2] = 0x01;
	r = xfer(0, 0, tx, rx, 260);
	bool same = r == 0;
	for (unsigned i = 0; i < 256; i++)
		same = same && rx[4 + i] == (uint8_t)(i * 7 + 1);
	CHECK(same, "reading it back in one 260-byte transfer gives the same bytes");
	CHECK(m.overflows == 0 && m.tx_overflows == 0,
	      "neither FIFO ever overflowed (RX %u, TX %u)", m.overflows, m.tx_overflows);

	memset(rx, 0xaa, 8);
	r = bcm2835_spi_transfer(BASE, 0, 1, 26, NULL, rx, 8, 1000000000);
	CHECK(r == 0 && rx[0] == 0xff && rx[7] == 0xff, "tx NULL sends zeros and still receives");

	m.stalled = true;
	now = 0;
	r = bcm2835_spi_transfer(BASE, 0, 0, 26, tx, rx, 4, 5000000);
	CHECK(r == -ETIMEDOUT && now >= 5000000 && now < 6000000 && !(m.cs & (1u << 7)),
	      "a controller that never shifts: -ETIMEDOUT at the deadline, TA dropped");
	return TAP_DONE();
}
