/*
 * BCM2835 mini UART (AUX UART1), BCM2835 ARM Peripherals section 2.2: the console on GPIO14/15
 * of the Pi 3 and Pi 4 with enable_uart=1. Its baud rate derives from the core (VPU) clock.
 */
#include "drivers.h"
#include "sysreg.h"

#define AUX_ENABLES 0x04
#define MU_IO	    0x40 /* data */
#define MU_IER	    0x44 /* interrupt enable (bit 0 receive, despite the manual's labels) */
#define MU_IIR	    0x48 /* write 0b110: clear both FIFOs */
#define MU_LCR	    0x4c /* 3: 8-bit mode */
#define MU_MCR	    0x50
#define MU_LSR	    0x54 /* line status */
#define MU_CNTL	    0x60 /* receiver/transmitter enable */
#define MU_BAUD	    0x68 /* baud = core_clock / (8 * (reg + 1)) */

#define LSR_DATA_READY (1u << 0)
#define LSR_TX_EMPTY   (1u << 5) /* FIFO can take a byte */
#define LSR_TX_IDLE    (1u << 6) /* FIFO empty and transmitter idle */

static uintptr_t aux;

static void mu_putc(char c)
{
	while (!(mmio_read32(aux + MU_LSR) & LSR_TX_EMPTY))
		;
	mmio_write32(aux + MU_IO, (unsigned char)c);
}

static int mu_getc(void)
{
	if (!(mmio_read32(aux + MU_LSR) & LSR_DATA_READY))
		return -1;
	return (int)(mmio_read32(aux + MU_IO) & 0xff);
}

static void mu_rx_irq_on(void)
{
	mmio_write32(aux + MU_IER, 1);
}

static void mu_flush(void)
{
	while (!(mmio_read32(aux + MU_LSR) & LSR_TX_IDLE))
		;
}

static const struct uart_ops miniuart_ops = {
    .put_byte = mu_putc,
    .get_byte = mu_getc,
    .rx_irq_on = mu_rx_irq_on,
    .flush = mu_flush,
};

const struct uart_ops *miniuart_init(uintptr_t aux_base, uint32_t core_clock_hz, uint32_t baud)
{
	aux = aux_base;
	mmio_write32(aux + AUX_ENABLES, mmio_read32(aux + AUX_ENABLES) | 1);
	mmio_write32(aux + MU_CNTL, 0);
	mmio_write32(aux + MU_IER, 0);
	mmio_write32(aux + MU_LCR, 3);
	mmio_write32(aux + MU_MCR, 0);
	mmio_write32(aux + MU_IIR, 6);
	mmio_write32(aux + MU_BAUD, core_clock_hz / (8 * baud) - 1);
	mmio_write32(aux + MU_CNTL, 3);
	return &miniuart_ops;
}
