/*
 * The Pi's I2C buses on its BSC controllers (BCM2835 ARM Peripherals, section 3; the same
 * blocks in the BCM2711): bus 0 is BSC0 at peripheral offset 0x205000 on GPIO 0/1 (ALT0), bus 1
 * is BSC1 at 0x804000 on GPIO 2/3 (ALT0, the header's pins 3 and 5). BSC2 belongs to the HDMI
 * port and is not offered. The controllers count in core clock cycles (from the mailbox).
 */
#include <errno.h>

#include "rpi.h"

static const struct {
	uintptr_t offset;
	unsigned sda, scl;
} bsc[] = {{0x205000, 0, 1}, {0x804000, 2, 3}};

static const struct rpi_board *board;
static uint32_t core_hz;

static uintptr_t base_of(unsigned bus)
{
	return board->periph + bsc[bus].offset;
}

static int rpi_i2c_setup(unsigned bus)
{
	if (!board || bus >= sizeof bsc / sizeof bsc[0])
		return -ENODEV;
	bcm_gpio_set_function(RPI_GPIO(board), bsc[bus].sda, GPIO_ALT0);
	bcm_gpio_set_function(RPI_GPIO(board), bsc[bus].scl, GPIO_ALT0);
	if (!core_hz)
		core_hz = bcm_mailbox_clock_rate(BCM_CLOCK_CORE);
	if (!core_hz)
		core_hz = board->default_core_hz;
	return 0;
}

static int rpi_i2c_set_speed(unsigned bus, uint32_t hz)
{
	return bcm2835_i2c_set_speed(base_of(bus), core_hz, hz);
}

static int rpi_i2c_transfer(unsigned bus, uint8_t addr, const uint8_t *out, size_t out_len,
			    uint8_t *in, size_t in_len, uint64_t timeout_ns)
{
	return bcm2835_i2c_transfer(base_of(bus), addr, out, out_len, in, in_len, timeout_ns);
}

static const struct i2c_bus_ops rpi_i2c_ops = {
    .buses = sizeof bsc / sizeof bsc[0],
    .setup = rpi_i2c_setup,
    .set_speed = rpi_i2c_set_speed,
    .transfer = rpi_i2c_transfer,
};

const struct i2c_bus_ops *rpi_i2c(const struct rpi_board *b)
{
	board = b;
	return &rpi_i2c_ops;
}
