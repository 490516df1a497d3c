/*
 * spi: uk/spi.h in QEMU: argument checks on every board; on raspi, with a SPI NOR flash (an
 * m25p80-family model) on QEMU's SPI0 bus: its JEDEC id, or (spi.read=1) 32 bytes at 0x100.
 */
#include <stdio.h>
#include <string.h>

#include <uk/config.h>
#include <uk/spi.h>

static const char *err(int r)
{
	return r ? strerror(-r) : "ok";
}

int main(void)
{
	uint8_t b[4] = {0x9f};
	struct uk_spi_config ok = {.mode = 0, .hz = 1000000, .chip_select = 0};
	struct uk_spi_config mode4 = {.mode = 4, .hz = 1000000},
			     cs2 = {.hz = 1000000, .chip_select = 2};
	struct uk_spi_config zero = {.hz = 0}, fast = {.hz = 4000000000u};
	printf("spi: mode 4 %s, chip select 2 %s, 0 Hz %s, 4 GHz %s, length 0 %s, bus 3 %s\n",
	       err(uk_spi_transfer(0, &mode4, b, b, 4)), err(uk_spi_transfer(0, &cs2, b, b, 4)),
	       err(uk_spi_transfer(0, &zero, b, b, 4)), err(uk_spi_transfer(0, &fast, b, b, 4)),
	       err(uk_spi_transfer(0, &ok, b, b, 0)), err(uk_spi_transfer(3, &ok, b, b, 4)));
	/* QEMU's SPI0 model drives no chip-select line, so the flash never sees a command end:
	 * each boot sends one command, chosen by spi.read */
	int r;
	if (uk_config_get("spi.read")) {
		uint8_t cmd[4 + 32] = {0x03, 0x00, 0x01, 0x00}, back[4 + 32 + 1] = {0};
		r = uk_spi_transfer(0, &ok, cmd, back, sizeof cmd);
		printf("spi: read %s '%s'\n", err(r), r ? "" : (char *)back + 4);
		return 0;
	}
	r = uk_spi_transfer(0, &ok, b, b, 4);
	printf("spi: transfer %s\n", err(r));
	if (r == 0)
		printf("spi: jedec %02x %02x %02x\n", b[1], b[2], b[3]);
	return 0;
}
