/*
 * The Pi's SPI bus 0: SPI0 at peripheral offset 0x204000 (BCM2835 ARM Peripherals, section
 * 10) on GPIO 7 (CE1), 8 (CE0), 9 (MISO), 10 (MOSI) and 11 (SCLK), all ALT0 (section 6.2). The
 * clock divides the core clock (from the mailbox).
 */
#include <errno.h>

#include "rpi.h"

#define SPI0 0x204000

static const struct rpi_board *board;
static uint32_t core_hz;

static int rpi_spi_setup(unsigned bus)
{
	if (!board || bus != 0)
		return -ENODEV;
	for (unsigned pin = 7; pin <= 11; pin++)
		bcm_gpio_set_function(RPI_GPIO(board), pin, GPIO_ALT0);
	core_hz = bcm_mailbox_clock_rate(BCM_CLOCK_CORE);
	if (!core_hz)
		core_hz = board->default_core_hz;
	return 0;
}

static int rpi_spi_transfer(unsigned bus, unsigned mode, unsigned cs, uint32_t hz,
			    const uint8_t *tx, uint8_t *rx, size_t len, uint64_t timeout_ns)
{
	(void)bus;
	uint32_t divider = bcm2835_spi_divider(core_hz, hz);
	if (!divider)
		return -EINVAL;
	return bcm2835_spi_transfer(board->periph + SPI0, mode, cs, divider, tx, rx, len,
				    timeout_ns);
}

static const struct spi_bus_ops rpi_spi_ops = {
    .buses = 1,
    .setup = rpi_spi_setup,
    .transfer = rpi_spi_transfer,
};

const struct spi_bus_ops *rpi_spi(const struct rpi_board *b)
{
	board = b;
	return &rpi_spi_ops;
}
