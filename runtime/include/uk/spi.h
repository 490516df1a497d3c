/*
 * uk/spi.h: the Pi's SPI0 master: modes 0-3, chip selects CE0 and CE1, the clock, full-duplex
 * transfers (every byte sent is a byte received).
 *
 *     #include <stdio.h>
 *     #include <uk/spi.h>
 *
 *     int main(void)
 *     {
 *             // the JEDEC id of a SPI flash on CE0: command 0x9f, then three bytes back
 *             struct uk_spi_config flash = {.mode = 0, .hz = 10000000, .chip_select = 0};
 *             uint8_t tx[4] = {0x9f}, rx[4];
 *             if (uk_spi_transfer(0, &flash, tx, rx, sizeof tx) == 0)
 *                     printf("maker 0x%02x, device 0x%02x%02x\n", rx[1], rx[2], rx[3]);
 *             return 0;
 *     }
 *
 * Bus 0 is SPI0 on GPIO 7-11 (CE1, CE0, MISO, MOSI, SCLK: header pins 26, 24, 21, 19, 23),
 * routed at the first transfer; virt has none. The clock is the core clock divided by an even
 * number, never faster than asked. tx may be NULL (zeros are sent), rx may be NULL.
 *
 * Errors (negative errno): -ENODEV no such bus on this board; -EINVAL a mode other than 0-3, a
 * chip select other than 0 or 1, a speed of 0, above the controller's (half the core clock)
 * or below its slowest (about 3.8 kHz),
 * a length of 0 or over 65535; -ETIMEDOUT the transfer did not end.
 */
#ifndef UK_SPI_H
#define UK_SPI_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

struct uk_spi_config {
	uint8_t mode;	      /* 0-3: bit 1 CPOL (clock idles high), bit 0 CPHA (second edge) */
	uint32_t hz;	      /* the fastest clock the device takes */
	unsigned chip_select; /* 0: CE0, 1: CE1 */
};

int uk_spi_transfer(unsigned bus, const struct uk_spi_config *config, const void *tx, void *rx,
		    size_t len);

#endif
