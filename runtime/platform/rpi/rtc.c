/*
 * The Pi has no real-time clock of its own: a DS1338-style one on I2C is used when the boot
 * arguments declare it (uk.rtc=ds1338, with uk.rtc.bus, default 1, and uk.rtc.address, default
 * 0x68: the usual RTC HATs).
 */
#include <string.h>

#include <uk/config.h>

#include "rpi.h"

const struct rtc_ops *rpi_rtc(void)
{
	const char *kind = uk_config_get("uk.rtc");
	if (!kind || !*kind)
		return NULL;
	if (strcmp(kind, "ds1338") && strcmp(kind, "ds1307") && strcmp(kind, "ds3231")) {
		kprintf("uk: uk.rtc=%s: unknown (ds1338, ds1307 or ds3231); no RTC\n", kind);
		return NULL;
	}
	long bus = uk_config_int("uk.rtc.bus", 1), address = uk_config_int("uk.rtc.address", 0x68);
	if (bus < 0 || address < 0x08 || address > 0x77) {
		kprintf("uk: bad uk.rtc.bus or uk.rtc.address; no RTC\n");
		return NULL;
	}
	return ds1338_probe((unsigned)bus, (uint8_t)address);
}
