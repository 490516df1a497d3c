/*
 * uk/board.h: which board this is, and starting it again: serial number, revision and SoC
 * temperature (the Pi's firmware), reboot and power-off, a watchdog, and why the board last
 * started, so an app can tell that it recovered from a hang.
 *
 *     #include <stdio.h>
 *     #include <uk/board.h>
 *
 *     int main(void)
 *     {
 *             if (uk_reset_reason() == UK_RESET_WATCHDOG)
 *                     printf("the last run hung; starting again\n");
 *             if (uk_watchdog_start(5000) != 0)       // virt has none: -ENODEV
 *                     printf("no watchdog on this board\n");
 *             for (;;) {
 *                     // ... one round of work, well under 5 s ...
 *                     uk_watchdog_feed();              // else the board resets
 *             }
 *     }
 *
 * The reason is kept in a few bytes of RAM that a reset leaves alone and a power cut does not
 * (kernel/board.c): a board that lost power reports UK_RESET_POWER_ON.
 */
#ifndef UK_BOARD_H
#define UK_BOARD_H

#include <stdint.h>

enum uk_reset_reason {
	UK_RESET_POWER_ON,  /* power came on (or RAM held no record) */
	UK_RESET_REQUESTED, /* uk_reboot() */
	UK_RESET_WATCHDOG,  /* reset while the watchdog was running: it expired */
	UK_RESET_OTHER,	    /* any other reset while running (a debugger, QEMU's system_reset) */
};
enum uk_reset_reason uk_reset_reason(void);
const char *uk_reset_reason_name(enum uk_reset_reason reason); /* "power-on", "requested"... */

/* 0, or -ENODEV (no firmware to ask: virt) or -EIO (the firmware gave no answer). */
int uk_board_serial(uint64_t *serial);
int uk_board_revision(uint32_t *revision); /* the Pi's revision code, e.g. 0xa02082 */
int uk_board_temperature(int32_t *millicelsius);

/* Resets the board; it boots the same card again. Files not fsync'ed are lost. */
__attribute__((noreturn)) void uk_reboot(void);
/* Stops the board (QEMU exits with status 0). */
__attribute__((noreturn)) void uk_poweroff(void);

/* The watchdog resets the board unless fed within timeout_ms (1 to uk_watchdog_max_ms()).
 * 0, -EINVAL (timeout out of range) or -ENODEV (none on this board). */
int uk_watchdog_start(uint32_t timeout_ms);
int uk_watchdog_feed(void); /* 0, or -EPERM when it is not running */
int uk_watchdog_stop(void);
uint32_t uk_watchdog_max_ms(void); /* 0 when there is none */

#endif
