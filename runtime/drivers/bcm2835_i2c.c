/*
 * The Broadcom Serial Controller, BSC (BCM2835 ARM Peripherals, section 3): an I2C master with
 * a 16-byte FIFO. Polled: a 2-byte register read at 100 kHz takes about 0.4 ms, less than an
 * interrupt round trip is worth; the thread yields between polls so others run.
 *
 * Write-then-read with a repeated start: the controller has no such command, but a new start
 * (C.ST) given while a write is still active becomes a repeated start once its last byte is out
 * (what Linux's i2c-bcm2835 relies on, and why the write part must fit the FIFO). QEMU's model
 * (hw/i2c/bcm2835_i2c.c) sends each FIFO byte at once, so there the write ends with a stop and
 * the read starts anew: devices that keep a register pointer (TMP105, 24C EEPROMs) answer alike.
 * QEMU's model also starts a transfer on any write of C with I2CEN set, so aborting writes
 * C.CLEAR alone.
 */
#include <errno.h>

#include <uk/thread.h>
#include <uk/time.h>

#include "drivers.h"
#include "sysreg.h"

#define BSC_C	 0x00 /* control */
#define BSC_S	 0x04 /* status */
#define BSC_DLEN 0x08
#define BSC_A	 0x0c
#define BSC_FIFO 0x10
#define BSC_DIV	 0x14

#define C_I2CEN (1u << 15)
#define C_ST	(1u << 7)
#define C_CLEAR (1u << 4) /* CLEAR field 01: empty the FIFO */
#define C_READ	(1u << 0)
#define S_CLKT	(1u << 9) /* the slave stretched the clock past CLKT's limit */
#define S_ERR	(1u << 8) /* no acknowledge */
#define S_RXD	(1u << 5) /* the FIFO holds received data */
#define S_TXD	(1u << 4) /* the FIFO has room */
#define S_DONE	(1u << 1)
#define S_TA	(1u << 0) /* transfer active */

int bcm2835_i2c_set_speed(uintptr_t base, uint32_t core_hz, uint32_t hz)
{
	if (hz < 10000 || hz > 1000000)
		return -EINVAL;
	uint32_t div = (core_hz + hz - 1) / hz; /* SCL = core clock / CDIV; CDIV is even (3.2) */
	div += div & 1;
	if (div < 2 || div > 0xfffe)
		return -EINVAL;
	mmio_write32(base + BSC_DIV, div);
	return 0;
}

/* Waits for any of bits in S (0 on success) or an error; -ETIMEDOUT past deadline. */
static int wait_status(uintptr_t base, uint32_t bits, uint64_t deadline, uint32_t *s)
{
	for (;;) {
		*s = mmio_read32(base + BSC_S);
		if (*s & (S_ERR | S_CLKT))
			return (*s & S_CLKT) ? -ETIMEDOUT : -ENXIO;
		if (*s & bits)
			return 0;
		if (uk_now_ns() > deadline)
			return -ETIMEDOUT;
		uk_thread_yield();
	}
}

static void start(uintptr_t base, uint32_t len, bool read)
{
	mmio_write32(base + BSC_DLEN, len);
	mmio_write32(base + BSC_C, C_I2CEN | C_ST | (read ? C_READ : 0));
}

int bcm2835_i2c_transfer(uintptr_t base, uint8_t addr, const uint8_t *out, size_t out_len,
			 uint8_t *in, size_t in_len, uint64_t timeout_ns)
{
	uint64_t deadline = uk_now_ns() + timeout_ns;
	uint32_t s;
	int r = 0;
	mmio_write32(base + BSC_S, S_CLKT | S_ERR | S_DONE); /* write 1 to clear */
	mmio_write32(base + BSC_C, C_CLEAR);
	mmio_write32(base + BSC_A, addr);
	if (out_len || !in_len) {
		start(base, (uint32_t)out_len, false);
		for (size_t i = 0; i < out_len && r == 0;)
			if ((r = wait_status(base, S_TXD, deadline, &s)) == 0)
				mmio_write32(base + BSC_FIFO, out[i++]);
		/* the read's start now becomes a repeated start after the last byte */
		if (r == 0)
			r = wait_status(base, in_len ? S_TA | S_DONE : S_DONE, deadline, &s);
	}
	if (r == 0 && in_len) {
		start(base, (uint32_t)in_len, true);
		for (size_t i = 0; i < in_len && r == 0;)
			if ((r = wait_status(base, S_RXD, deadline, &s)) == 0)
				in[i++] = (uint8_t)mmio_read32(base + BSC_FIFO);
		if (r == 0)
			r = wait_status(base, S_DONE, deadline, &s);
	}
	if (r) /* abort: empty the FIFO; the controller sends the stop */
		mmio_write32(base + BSC_C, C_CLEAR);
	mmio_write32(base + BSC_S, S_CLKT | S_ERR | S_DONE);
	return r;
}
