/*
 * Host tests for the Pi's reset controller and watchdog (runtime/drivers/bcm2835_pm.c, #included
 * so its state can be reset between cases) against a model of the PM block's three registers as
 * Linux's bcm2835_wdt drives them: writes without the 0x5a password are ignored; with RSTC's
 * WRCFG field at "full reset" (0x20) WDOG counts down at 65536 ticks per second and the board
 * resets when it reaches 0; RSTC 0x102 stops it; at a reset RSTS's partition bits tell the
 * firmware what to boot (0x555: halt). QEMU's model does not count (it resets when armed), so
 * expiry, feeding and stopping are tested here.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"

#define PM_BASE 0x3f100000ul
static struct {
	uint32_t rstc, rsts, wdog;
	unsigned bad_writes, resets;
	uint32_t rsts_at_reset;
} pm_model;

uint32_t shim_mmio_read32(uintptr_t addr)
{
	switch (addr - PM_BASE) {
	case 0x1c:
		return pm_model.rstc;
	case 0x20:
		return pm_model.rsts;
	case 0x24:
		return pm_model.wdog;
	}
	pm_model.bad_writes++;
	return 0;
}

void shim_mmio_write32(uintptr_t addr, uint32_t v)
{
	if ((v & 0xff000000u) != 0x5a000000u) {
		pm_model.bad_writes++;
		return;
	}
	v &= 0x00ffffffu;
	switch (addr - PM_BASE) {
	case 0x1c:
		pm_model.rstc = v;
		break;
	case 0x20:
		pm_model.rsts = v;
		break;
	case 0x24:
		pm_model.wdog = v & 0xfffff;
		break;
	default:
		pm_model.bad_writes++;
	}
}

static bool counting(void)
{
	return (pm_model.rstc & 0x30) == 0x20;
}

/* Time passes: the count runs down while armed; at 0 the board resets (state back to reset
 * values, RSTS kept: it is how the firmware learns what to do). */
static void advance_ms(unsigned ms)
{
	for (unsigned i = 0; i < ms && counting(); i++) {
		uint32_t step = 65536 / 1000 + (i % 1000 < 536 ? 1 : 0); /* 65.536 ticks per ms */
		if (pm_model.wdog <= step) {
			pm_model.resets++;
			pm_model.rsts_at_reset = pm_model.rsts;
			pm_model.rstc = pm_model.wdog = 0;
			return;
		}
		pm_model.wdog -= step;
	}
}

#include "bcm2835_pm.c"

static void reset(void)
{
	memset(&pm_model, 0, sizeof pm_model);
	pm_model.rsts = 0x1000; /* a power-on flag the driver must keep */
	pm = 0;
	armed_ticks = 0;
	bcm2835_pm_init(PM_BASE);
}

int main(void)
{
	reset();
	CHECK(bcm2835_pm_watchdog_max_ms() == 15999, "the longest timeout is 16 s less a tick (%u)",
	      bcm2835_pm_watchdog_max_ms());
	CHECK(bcm2835_pm_watchdog_start(0) == -EINVAL &&
		  bcm2835_pm_watchdog_start(16000) == -EINVAL && pm_model.rstc == 0 &&
		  pm_model.wdog == 0,
	      "timeouts of 0 and past the maximum are refused before any register is written");
	CHECK(bcm2835_pm_watchdog_feed() == -EPERM,
	      "feeding a watchdog that is not running: -EPERM");

	reset();
	CHECK(bcm2835_pm_watchdog_start(1000) == 0 && counting() && pm_model.wdog == 65536,
	      "start(1000) loads 65536 ticks and arms a full reset");
	advance_ms(999);
	CHECK(pm_model.resets == 0, "no reset before the timeout");
	advance_ms(2);
	CHECK(pm_model.resets == 1, "a watchdog nobody feeds resets the board after 1 s");
	CHECK(pm_model.bad_writes == 0, "every write carried the password");

	reset();
	bcm2835_pm_watchdog_start(500);
	for (int i = 0; i < 20; i++) { /* 20 x 400 ms: 8 s, fed every 400 ms */
		advance_ms(400);
		bcm2835_pm_watchdog_feed();
	}
	CHECK(pm_model.resets == 0,
	      "a watchdog fed every 400 ms with a 500 ms timeout never fires");
	bcm2835_pm_watchdog_stop();
	advance_ms(5000);
	CHECK(pm_model.resets == 0 && !counting() && bcm2835_pm_watchdog_feed() == -EPERM,
	      "stopped, it never fires, and feeding it is refused");

	reset();
	pm_model.rstc = 0x40; /* other RSTC bits the firmware set */
	bcm2835_pm_watchdog_start(2000);
	CHECK((pm_model.rstc & 0xffffffcfu) == 0x40, "arming keeps RSTC's other bits");

	reset();
	pm_model.rsts = 0x1000 | 0x555; /* left over: halt */
	bcm2835_pm_reset(false);
	advance_ms(1);
	CHECK(pm_model.resets == 1 && (pm_model.rsts_at_reset & 0x555) == 0 &&
		  (pm_model.rsts_at_reset & 0x1000),
	      "a reboot resets within a millisecond, booting partition 0 (other RSTS bits kept)");

	reset();
	bcm2835_pm_reset(true);
	advance_ms(1);
	CHECK(pm_model.resets == 1 && (pm_model.rsts_at_reset & 0xfff) == 0x555,
	      "power-off resets with partition 63 (0x555): the firmware halts");
	return TAP_DONE();
}
