/*
 * uk/board.h over the board's own services (struct board_ops, from platform.c): reboot,
 * power-off, the watchdog, the firmware's identity, and why the board last started.
 *
 * The reason is a record in RAM outside the image (.noinit: neither loaded nor zeroed at boot),
 * written before every event that resets the board and cleaned to RAM past the caches, since a
 * reset drops them: "requested" before uk_reboot, "watchdog" while the watchdog runs, "running"
 * otherwise. A reset leaves RAM as it was, so the next boot finds the record; power-on leaves
 * garbage that fails the check word, which reads as power-on.
 */
#include <errno.h>

#include <uk/board.h>

#include "dcache.h"
#include "kernel.h"
#include "sysreg.h"

#define RECORD_MAGIC 0x756b7273u /* "ukrs" */
enum { STATE_RUNNING = 1, STATE_REQUESTED, STATE_WATCHDOG };

static struct {
	uint32_t magic, state, check;
} record __attribute__((section(".noinit"), aligned(64)));
static enum uk_reset_reason reason = UK_RESET_POWER_ON;
static bool watchdog_running;

static void record_set(uint32_t state)
{
	record.magic = RECORD_MAGIC;
	record.state = state;
	record.check = ~(RECORD_MAGIC ^ state);
	dcache_clean_range(&record, sizeof record);
}

void board_boot(void)
{
	if (record.magic == RECORD_MAGIC && record.check == ~(RECORD_MAGIC ^ record.state)) {
		switch (record.state) {
		case STATE_REQUESTED:
			reason = UK_RESET_REQUESTED;
			break;
		case STATE_WATCHDOG:
			reason = UK_RESET_WATCHDOG;
			break;
		default:
			reason = UK_RESET_OTHER;
		}
	}
	record_set(STATE_RUNNING);
}

enum uk_reset_reason uk_reset_reason(void)
{
	return reason;
}

const char *uk_reset_reason_name(enum uk_reset_reason r)
{
	switch (r) {
	case UK_RESET_POWER_ON:
		return "power-on";
	case UK_RESET_REQUESTED:
		return "requested";
	case UK_RESET_WATCHDOG:
		return "watchdog";
	case UK_RESET_OTHER:
		return "other";
	}
	return "unknown";
}

static int firmware(int (*ask)(void *), void *out)
{
	if (!ask)
		return -ENODEV;
	return ask(out) == 0 ? 0 : -EIO;
}

int uk_board_serial(uint64_t *serial)
{
	const struct board_ops *b = platform.board;
	return firmware(b ? (int (*)(void *))b->serial : NULL, serial);
}

int uk_board_revision(uint32_t *revision)
{
	const struct board_ops *b = platform.board;
	return firmware(b ? (int (*)(void *))b->revision : NULL, revision);
}

int uk_board_temperature(int32_t *millicelsius)
{
	const struct board_ops *b = platform.board;
	return firmware(b ? (int (*)(void *))b->temperature : NULL, millicelsius);
}

__attribute__((noreturn)) void uk_reboot(void)
{
	record_set(STATE_REQUESTED);
	kprintf("uk: rebooting\n");
	console_flush();
	irq_disable();
	if (platform.board && platform.board->reset)
		platform.board->reset();
	kprintf("uk: this board cannot reset itself: halting instead\n");
	uk_halt(1);
}

__attribute__((noreturn)) void uk_poweroff(void)
{
	console_flush();
	irq_disable();
	if (!uk_under_qemu && platform.board && platform.board->power_off)
		platform.board->power_off();
	uk_halt(0); /* under QEMU: exits with 0 */
}

uint32_t uk_watchdog_max_ms(void)
{
	const struct board_ops *b = platform.board;
	return b && b->watchdog_max_ms ? b->watchdog_max_ms() : 0;
}

int uk_watchdog_start(uint32_t timeout_ms)
{
	const struct board_ops *b = platform.board;
	if (!b || !b->watchdog_start)
		return -ENODEV;
	if (timeout_ms == 0 || timeout_ms > uk_watchdog_max_ms())
		return -EINVAL;
	record_set(STATE_WATCHDOG); /* before it can fire */
	int r = b->watchdog_start(timeout_ms);
	if (r) {
		record_set(STATE_RUNNING);
		return r;
	}
	watchdog_running = true;
	return 0;
}

int uk_watchdog_feed(void)
{
	if (!watchdog_running)
		return -EPERM;
	return platform.board->watchdog_feed();
}

int uk_watchdog_stop(void)
{
	if (!watchdog_running)
		return 0;
	platform.board->watchdog_stop();
	watchdog_running = false;
	record_set(STATE_RUNNING);
	return 0;
}
