/*
 * ARM PrimeCell UART (PL011), ARM DDI 0183: the console on QEMU virt, and selectable on the Pis
 * (uk.console=pl011). Output is polled; input raises the receive interrupts.
 */
#include "drivers.h"
#include "sysreg.h"

#define DR   0x00 /* data */
#define FR   0x18 /* flags */
#define IBRD 0x24 /* integer baud divisor */
#define FBRD 0x28 /* fractional baud divisor (64ths) */
#define LCRH 0x2c /* line control */
#define CR   0x30 /* control */
#define IMSC 0x38 /* interrupt mask set/clear */
#define ICR  0x44 /* interrupt clear */

#define FR_BUSY	    (1u << 3) /* still transmitting */
#define FR_RXFE	    (1u << 4) /* receive FIFO empty */
#define FR_TXFF	    (1u << 5) /* transmit FIFO full */
#define LCRH_FEN    (1u << 4) /* FIFOs on */
#define LCRH_WLEN_8 (3u << 5) /* 8 data bits */
#define CR_UARTEN   (1u << 0)
#define CR_TXE	    (1u << 8)
#define CR_RXE	    (1u << 9)
#define INT_RX	    (1u << 4) /* receive FIFO reached its level */
#define INT_RT	    (1u << 6) /* receive timeout: bytes waiting below the level */

static uintptr_t base;

/* Any context. */
static void pl011_putc(char c)
{
	while (mmio_read32(base + FR) & FR_TXFF)
		;
	mmio_write32(base + DR, (unsigned char)c);
}

/* Any context; -1 when nothing is waiting. */
static int pl011_getc(void)
{
	if (mmio_read32(base + FR) & FR_RXFE) {
		/* Clear the receive interrupts, then look again: a byte that arrived between the
		 * first look and the clear would otherwise wait, unannounced, for the next one. */
		mmio_write32(base + ICR, INT_RX | INT_RT);
		if (mmio_read32(base + FR) & FR_RXFE)
			return -1;
	}
	return (int)(mmio_read32(base + DR) & 0xff);
}

static void pl011_rx_irq_on(void)
{
	mmio_write32(base + IMSC, INT_RX | INT_RT);
}

static void pl011_flush(void)
{
	while (mmio_read32(base + FR) & FR_BUSY)
		;
}

static const struct uart_ops pl011_ops = {
    .put_byte = pl011_putc,
    .get_byte = pl011_getc,
    .rx_irq_on = pl011_rx_irq_on,
    .flush = pl011_flush,
};

/* clock_hz 0 keeps the divisors the firmware (or QEMU) left. */
const struct uart_ops *pl011_init(uintptr_t uart_base, uint32_t clock_hz, uint32_t baud)
{
	base = uart_base;
	if (clock_hz) {
		mmio_write32(base + CR, 0);
		/* divisor = clock / (16 * baud), the fraction in 64ths, rounded */
		uint32_t div64 = (uint32_t)(((uint64_t)clock_hz * 4 + baud / 2) / baud);
		mmio_write32(base + IBRD, div64 >> 6);
		mmio_write32(base + FBRD, div64 & 63);
		mmio_write32(base + LCRH, LCRH_FEN | LCRH_WLEN_8);
	}
	mmio_write32(base + ICR, 0x7ff);
	mmio_write32(base + CR, CR_UARTEN | CR_TXE | CR_RXE);
	return &pl011_ops;
}
