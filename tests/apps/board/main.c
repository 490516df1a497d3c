/*
 * board: uk/board.h in QEMU. Prints why the board started and what the firmware says, checks
 * that bad watchdog arguments are refused, then, only after a power-on (so it runs once):
 *   board.reboot=1      reboots
 *   board.watchdog=MS   starts the watchdog and stops feeding it
 *   board.feed=1        starts the watchdog (5 s), feeds it for 2 s, stops it, goes on
 * and ends with board.poweroff=1 powering off, or returning 0.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uk/board.h>
#include <uk/config.h>
#include <uk/time.h>

int main(void)
{
	enum uk_reset_reason reason = uk_reset_reason();
	printf("board: reset reason %s\n", uk_reset_reason_name(reason));
	uint32_t revision;
	uint64_t serial;
	int32_t mc;
	int r = uk_board_revision(&revision);
	if (r)
		printf("board: revision: %s\n", strerror(-r));
	else
		printf("board: revision 0x%x\n", (unsigned)revision);
	r = uk_board_serial(&serial);
	printf("board: serial %s\n", r ? strerror(-r) : "ok");
	r = uk_board_temperature(&mc);
	printf("board: temperature %s\n", r ? strerror(-r) : "ok");

	uint32_t max = uk_watchdog_max_ms();
	printf("board: watchdog max %u ms\n", (unsigned)max);
	int zero = uk_watchdog_start(0), over = uk_watchdog_start(max + 1),
	    feed = uk_watchdog_feed();
	printf("board: start(0) %s, start(max+1) %s, feed before start %s\n", strerror(-zero),
	       strerror(-over), strerror(-feed));

	if (reason == UK_RESET_POWER_ON && uk_config_get("board.reboot")) {
		printf("board: rebooting\n");
		uk_reboot();
	}
	const char *ms = uk_config_get("board.watchdog");
	if (reason == UK_RESET_POWER_ON && ms) {
		r = uk_watchdog_start((uint32_t)strtoul(ms, NULL, 10));
		printf("board: watchdog started: %s\n", r ? strerror(-r) : "ok");
		if (r == 0)
			for (;;) /* hung: never fed */
				;
	}
	if (uk_config_get("board.feed")) {
		r = uk_watchdog_start(5000);
		uint64_t end = uk_now_ns() + 2000000000ull;
		int fed = 0;
		while (r == 0 && uk_now_ns() < end && uk_watchdog_feed() == 0)
			fed++;
		printf("board: fed %s, stop %d\n", fed > 0 ? "yes" : "no", uk_watchdog_stop());
	}
	if (uk_config_get("board.poweroff")) {
		printf("board: powering off\n");
		uk_poweroff();
	}
	printf("board: done\n");
	return 0;
}
