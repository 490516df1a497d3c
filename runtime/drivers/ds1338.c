/*
 * A DS1338 (or DS1307, DS3231: the same first seven registers) real-time clock on I2C, through
 * uk/i2c.h (DS1338 datasheet, "Timekeeper registers"): seconds (bit 7: CH, the oscillator is
 * halted), minutes, hours (bit 6: 12-hour mode), day of the week, date, month, year 00-99, all
 * BCD. uk keeps it in UTC, 24-hour mode, years 2000-2099.
 */
#include <errno.h>

#include <uk/i2c.h>

#include "drivers.h"
#include "kernel.h"

static unsigned bus;
static uint8_t address;

static unsigned from_bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 15);
}

static uint8_t to_bcd(unsigned v)
{
	return (uint8_t)((v / 10) << 4 | v % 10);
}

static bool leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned month_days(unsigned y, unsigned m)
{
	static const uint8_t days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return days[m - 1] + (m == 2 && leap(y));
}

static int ds1338_read(uint64_t *unix_s)
{
	uint8_t reg = 0, t[7];
	int r = uk_i2c_write_read(bus, address, &reg, 1, t, sizeof t);
	if (r)
		return r;
	if (t[0] & 0x80)
		return -EIO; /* the oscillator is stopped: the time is not being kept */
	unsigned hour = t[2] & 0x40 ? from_bcd(t[2] & 0x1f) % 12 + (t[2] & 0x20 ? 12 : 0)
				    : from_bcd(t[2] & 0x3f);
	unsigned year = 2000 + from_bcd(t[6]), month = from_bcd(t[5] & 0x1f), day = from_bcd(t[4]);
	if (month < 1 || month > 12 || day < 1 || day > month_days(year, month) || hour > 23)
		return -EIO;
	uint64_t days = 0;
	for (unsigned y = 1970; y < year; y++)
		days += leap(y) ? 366 : 365;
	for (unsigned m = 1; m < month; m++)
		days += month_days(year, m);
	days += day - 1;
	*unix_s = ((days * 24 + hour) * 60 + from_bcd(t[1] & 0x7f)) * 60 + from_bcd(t[0] & 0x7f);
	return 0;
}

static int ds1338_write(uint64_t unix_s)
{
	uint64_t days = unix_s / 86400, rest = unix_s % 86400;
	unsigned year = 1970, month = 1;
	while (days >= (leap(year) ? 366u : 365u))
		days -= leap(year) ? 366 : 365, year++;
	while (days >= month_days(year, month))
		days -= month_days(year, month), month++;
	if (year < 2000 || year > 2099)
		return -EINVAL;
	unsigned weekday = (unsigned)((unix_s / 86400 + 4) % 7) + 1; /* 1970-01-01: Thursday */
	uint8_t t[8] = {0, /* register 0, then seconds with CH clear: the clock runs */
			to_bcd((unsigned)(rest % 60)),
			to_bcd((unsigned)(rest / 60 % 60)),
			to_bcd((unsigned)(rest / 3600)), /* 24-hour mode */
			(uint8_t)weekday,
			to_bcd((unsigned)days + 1),
			to_bcd(month),
			to_bcd(year - 2000)};
	return uk_i2c_write(bus, address, t, sizeof t);
}

static const struct rtc_ops ds1338 = {.name = "DS1338", .read = ds1338_read, .write = ds1338_write};

const struct rtc_ops *ds1338_probe(unsigned on_bus, uint8_t at)
{
	bus = on_bus;
	address = at;
	return &ds1338;
}
