/*
 * The ARM PrimeCell PL031 real-time clock (PL031 TRM, 3.3): RTCDR (0x00) counts seconds,
 * RTCLR (0x08) loads it. QEMU's virt machine has one at 0x09010000 that starts at the host's
 * time (UTC) and keeps a loaded value relative to it.
 */
#include "drivers.h"
#include "kernel.h"
#include "sysreg.h"

#define RTCDR 0x00
#define RTCLR 0x08
#define RTCCR 0x0c /* bit 0: the counter runs (reads 1 once started) */

static uintptr_t base;

static int pl031_read(uint64_t *unix_s)
{
	*unix_s = mmio_read32(base + RTCDR);
	return 0;
}

static int pl031_write(uint64_t unix_s)
{
	mmio_write32(base + RTCLR, (uint32_t)unix_s); /* a 32-bit counter: good until 2106 */
	return 0;
}

static const struct rtc_ops pl031 = {.name = "PL031", .read = pl031_read, .write = pl031_write};

const struct rtc_ops *pl031_probe(uintptr_t at)
{
	base = at;
	mmio_write32(base + RTCCR, 1); /* start it, if the firmware did not */
	return &pl031;
}
