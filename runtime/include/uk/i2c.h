/*
 * uk/i2c.h: I2C masters (the Pi's BSC controllers): 7-bit addresses, write, read, and
 * write-then-read with a repeated start, as a register read needs.
 *
 *     #include <stdint.h>
 *     #include <stdio.h>
 *     #include <uk/i2c.h>
 *
 *     int main(void)
 *     {
 *             // a TMP105 at 0x48 on the header's bus (GPIO 2 SDA, 3 SCL): register 0
 *             uint8_t reg = 0, t[2];
 *             int r = uk_i2c_write_read(1, 0x48, &reg, 1, t, 2);
 *             if (r == -ENXIO)
 *                     printf("nothing answers at 0x48\n");
 *             else if (r == 0)
 *                     printf("%.2f C\n", (int16_t)(t[0] << 8 | t[1]) / 256.0);
 *             return 0;
 *     }
 *
 * Buses: 0 (GPIO 0/1, the HAT ID EEPROM's) and 1 (GPIO 2/3, the header's) on the Pi 3 and 4;
 * the first transfer on a bus routes its pins and sets 100 kHz unless uk_i2c_set_speed said
 * otherwise. virt has no I2C. Calls block their thread until the transfer ends; one transfer
 * at a time per bus.
 *
 * Errors (negative errno): -ENODEV no such bus on this board; -EINVAL an address outside
 * 0x08-0x77 (the rest are reserved by the I2C specification), a length of 0 (reads) or over
 * 65535, a speed out of range; -ENXIO the device did not acknowledge (absent, or it refused a
 * byte); -ETIMEDOUT the device held the clock low too long (clock stretching) or the transfer
 * never ended.
 */
#ifndef UK_I2C_H
#define UK_I2C_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

int uk_i2c_set_speed(unsigned bus, uint32_t hz); /* 10 kHz to 1 MHz; 100 kHz by default */
int uk_i2c_write(unsigned bus, uint8_t addr, const void *data, size_t len); /* len 0: a probe */
int uk_i2c_read(unsigned bus, uint8_t addr, void *data, size_t len);
int uk_i2c_write_read(unsigned bus, uint8_t addr, const void *out, size_t out_len, void *in,
		      size_t in_len);

#endif
