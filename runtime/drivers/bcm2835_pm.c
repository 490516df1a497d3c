/*
 * The BCM2835/BCM2711 power management block's reset controller and watchdog (at peripheral
 * offset 0x100000; registers as Linux's bcm2835_wdt and the firmware use them, the block is not
 * in the BCM2835 ARM Peripherals manual):
 *   RSTC 0x1c  reset control: WRCFG (bits 4-5) = 2 arms a full reset when WDOG reaches 0;
 *              0x102 stops the count
 *   RSTS 0x20  reset status: the even bits 0-10 hold the partition the firmware boots next
 *              (0 the card's first; 63, written as 0x555, means halt: the firmware stays off)
 *   WDOG 0x24  watchdog count, 20 bits, 65536 ticks per second: at most 16 s
 * Every write carries the password 0x5a in the top byte, or the block ignores it.
 * QEMU's model (hw/misc/bcm2835_powermgt.c) does not count: arming resets the machine at once
 * (or stops it when RSTS says halt), so expiry is tested against a model on the host.
 */
#include <errno.h>

#include "drivers.h"
#include "sysreg.h"

#define PM_RSTC		      0x1c
#define PM_RSTS		      0x20
#define PM_WDOG		      0x24
#define PM_PASSWORD	      0x5a000000u
#define PM_RSTC_WRCFG_CLR     0xffffffcfu
#define PM_RSTC_WRCFG_FULL    0x00000020u
#define PM_RSTC_RESET	      0x00000102u
#define PM_RSTS_PARTITION_CLR 0xfffffaaau
#define PM_RSTS_HALT	      0x00000555u
#define PM_WDOG_MASK	      0x000fffffu
#define TICKS_PER_S	      65536u
#define RESET_TICKS	      10u /* about 150 us: what Linux's restart waits */

static uintptr_t pm;
static uint32_t armed_ticks; /* 0: not running */

void bcm2835_pm_init(uintptr_t base)
{
	pm = base;
}

uint32_t bcm2835_pm_watchdog_max_ms(void)
{
	return (uint32_t)((uint64_t)PM_WDOG_MASK * 1000 / TICKS_PER_S);
}

/* Loads the count and arms a full reset at zero (also how the watchdog is fed). */
static void arm(uint32_t ticks)
{
	mmio_write32(pm + PM_WDOG, PM_PASSWORD | (ticks & PM_WDOG_MASK));
	uint32_t rstc = mmio_read32(pm + PM_RSTC) & PM_RSTC_WRCFG_CLR;
	mmio_write32(pm + PM_RSTC, PM_PASSWORD | rstc | PM_RSTC_WRCFG_FULL);
}

int bcm2835_pm_watchdog_start(uint32_t timeout_ms)
{
	if (!pm)
		return -ENODEV;
	if (timeout_ms == 0 || timeout_ms > bcm2835_pm_watchdog_max_ms())
		return -EINVAL;
	armed_ticks = (uint32_t)((uint64_t)timeout_ms * TICKS_PER_S / 1000);
	arm(armed_ticks);
	return 0;
}

int bcm2835_pm_watchdog_feed(void)
{
	if (!armed_ticks)
		return -EPERM;
	arm(armed_ticks);
	return 0;
}

void bcm2835_pm_watchdog_stop(void)
{
	if (pm)
		mmio_write32(pm + PM_RSTC, PM_PASSWORD | PM_RSTC_RESET);
	armed_ticks = 0;
}

/* Resets the board through the watchdog, booting partition 0 again (halt: the firmware stays
 * off instead). */
void bcm2835_pm_reset(bool halt)
{
	uint32_t rsts = mmio_read32(pm + PM_RSTS) & PM_RSTS_PARTITION_CLR;
	mmio_write32(pm + PM_RSTS, PM_PASSWORD | rsts | (halt ? PM_RSTS_HALT : 0));
	arm(RESET_TICKS);
}
