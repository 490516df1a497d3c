/*
 * SPI0, the BCM2835's SPI master (BCM2835 ARM Peripherals, section 10; the same block in the
 * BCM2711), polled as Linux's spi-bcm2835 does for short transfers: set the mode and chip select
 * with both FIFOs cleared, raise TA, keep the 64-byte TX FIFO fed while draining the RX FIFO,
 * then wait for DONE and drop TA (which deasserts the chip select). The thread yields between
 * polls. QEMU's model (hw/ssi/bcm2835_spi.c) drives no chip-select line, so a device there
 * never sees a command end; programming and the chip selects are tested against a model on the
 * host (tests/unit/test_bcm2835_spi.c).
 */
#include <errno.h>

#include <uk/thread.h>
#include <uk/time.h>

#include "drivers.h"
#include "sysreg.h"

#define SPI_CS	 0x00
#define SPI_FIFO 0x04
#define SPI_CLK	 0x08

#define CS_CPHA	    (1u << 2)
#define CS_CPOL	    (1u << 3)
#define CS_CLEAR_TX (1u << 4)
#define CS_CLEAR_RX (1u << 5)
#define CS_TA	    (1u << 7)
#define CS_DONE	    (1u << 16)
#define CS_RXD	    (1u << 17) /* the RX FIFO holds a byte */
#define CS_TXD	    (1u << 18) /* the TX FIFO has room */
#define CS_RXR	    (1u << 19) /* the RX FIFO is 3/4 full: 48 bytes can be read at once */
#define FIFO	    64u
#define RXR_BYTES   48u

/* The even divider for at most hz (10.5: CDIV), or 0 when hz is out of the range it can give:
 * above half the core clock, or below core/65534 (about 3.8 kHz at 250 MHz). */
uint32_t bcm2835_spi_divider(uint32_t core_hz, uint32_t hz)
{
	if (hz == 0 || hz > core_hz / 2)
		return 0;
	uint32_t div = (core_hz + hz - 1) / hz;
	div += div & 1;
	return div > 65534 ? 0 : div; /* slower than the slowest divider: refused, not sped up */
}

int bcm2835_spi_transfer(uintptr_t base, unsigned mode, unsigned cs, uint32_t divider,
			 const uint8_t *tx, uint8_t *rx, size_t len, uint64_t timeout_ns)
{
	uint64_t deadline = uk_now_ns() + timeout_ns;
	uint32_t setup = (cs & 3) | (mode & 1 ? CS_CPHA : 0) | (mode & 2 ? CS_CPOL : 0);
	mmio_write32(base + SPI_CLK, divider);
	mmio_write32(base + SPI_CS, setup | CS_CLEAR_TX | CS_CLEAR_RX);
	mmio_write32(base + SPI_CS, setup | CS_TA);
	size_t sent = 0, received = 0;
	int r = 0;
	while (received < len) {
		bool moved = false;
		/* Never more than 64 bytes ahead of what was read back: every byte sent comes back
		 * into the 64-byte RX FIFO, which must not overflow; and then the TX FIFO has room
		 * for all of them, so they go without a status read each (as Linux's
		 * bcm2835_wr_fifo_blind does). */
		for (; sent < len && sent - received < FIFO; sent++, moved = true)
			mmio_write32(base + SPI_FIFO, tx ? tx[sent] : 0);
		uint32_t status = mmio_read32(base + SPI_CS);
		if ((status & CS_RXR) && sent - received >= RXR_BYTES) {
			for (unsigned i = 0; i < RXR_BYTES; i++, received++) { /* 48 are there */
				uint8_t b = (uint8_t)mmio_read32(base + SPI_FIFO);
				if (rx)
					rx[received] = b;
			}
			continue; /* refill the TX FIFO first: about 2 accesses a byte */
		}
		while (received < sent && (status & CS_RXD)) {
			uint8_t b = (uint8_t)mmio_read32(base + SPI_FIFO);
			if (rx)
				rx[received] = b;
			received++, moved = true;
			status = mmio_read32(base + SPI_CS);
		}
		if (!moved) {
			if (uk_now_ns() > deadline) {
				r = -ETIMEDOUT;
				break;
			}
			uk_thread_yield();
		}
	}
	while (r == 0 && !(mmio_read32(base + SPI_CS) & CS_DONE)) {
		if (uk_now_ns() > deadline)
			r = -ETIMEDOUT;
		else
			uk_thread_yield();
	}
	mmio_write32(base + SPI_CS, setup | CS_CLEAR_TX | CS_CLEAR_RX); /* TA off: CS released */
	return r;
}
