/*
 * i2c: uk/i2c.h in QEMU, against the devices the test attaches to bus 1 (i2c-bus.1):
 *   a TMP105 at 0x48   read its temperature; with i2c.watch=1, read it every 50 ms until it
 *                      changes (the test changes it through QMP) or 20 s pass
 *   a 24C EEPROM at 0x50   write 5 bytes at 0x10, read them back with a repeated start
 *   a DS1338 at 0x68   set a date and time, read it back
 * and argument checks (bad address, length, speed, bus) on every board; an address nothing
 * answers (0x33) must give ENXIO.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <uk/config.h>
#include <uk/i2c.h>
#include <uk/time.h>

static const char *err(int r)
{
	return r ? strerror(-r) : "ok";
}

static int tmp105_mc(int *mc)
{
	uint8_t reg = 0, t[2];
	int r = uk_i2c_write_read(1, 0x48, &reg, 1, t, 2);
	if (r == 0)
		*mc = (int16_t)(t[0] << 8 | t[1]) * 1000 / 256;
	return r;
}

int main(void)
{
	uint8_t b[8] = {0};
	printf("i2c: bad address %s, reserved address %s, read of 0 bytes %s, speed 5 Hz %s, bus 7 "
	       "%s\n",
	       err(uk_i2c_read(1, 0x80, b, 1)), err(uk_i2c_read(1, 0x03, b, 1)),
	       err(uk_i2c_read(1, 0x48, b, 0)), err(uk_i2c_set_speed(1, 5)),
	       err(uk_i2c_read(7, 0x48, b, 1)));
	int r = uk_i2c_read(1, 0x33, b, 1);
	printf("i2c: absent device %s\n", err(r));
	if (r == -ENODEV)
		return 0; /* no I2C on this board: the checks above are all there is */
	printf("i2c: probe 0x48 %s\n", err(uk_i2c_write(1, 0x48, NULL, 0)));

	int mc;
	r = tmp105_mc(&mc);
	printf("i2c: tmp105 %s %d mC\n", err(r), r ? 0 : mc);
	if (r == 0 && uk_config_get("i2c.watch")) {
		int now = mc;
		uint64_t end = uk_now_ns() + 20000000000ull;
		while (now == mc && uk_now_ns() < end && tmp105_mc(&now) == 0) {
			struct timespec ts = {0, 50000000};
			nanosleep(&ts, NULL);
		}
		printf("i2c: tmp105 changed to %d mC\n", now);
	}

	const uint8_t page[] = {0x10, 'h', 'e', 'l', 'l', 'o'};
	r = uk_i2c_write(1, 0x50, page, sizeof page);
	uint8_t at = 0x10;
	char back[6] = {0};
	struct timespec write_cycle = {0, 5000000}; /* 24C parts need 5 ms to program a page */
	nanosleep(&write_cycle, NULL);
	if (r == 0)
		r = uk_i2c_write_read(1, 0x50, &at, 1, back, 5);
	printf("i2c: eeprom %s '%s'\n", err(r), back);

	/* DS1338: registers 0-6 in BCD: seconds, minutes, hours (24 h), day, date, month, year */
	const uint8_t set[] = {0x00, 0x30, 0x45, 0x13,
			       0x04, 0x03, 0x12, 0x26}; /* 2026-12-03 13:45:30 */
	r = uk_i2c_write(1, 0x68, set, sizeof set);
	uint8_t reg = 0, t[7] = {0};
	if (r == 0)
		r = uk_i2c_write_read(1, 0x68, &reg, 1, t, 7);
	printf("i2c: rtc %s 20%02x-%02x-%02x %02x:%02x\n", err(r), t[6], t[5], t[4], t[2] & 0x3f,
	       t[1]);
	return 0;
}
