#!/usr/bin/env bats
# Board services in QEMU (tests/apps/board, uk/board.h): reboot and the reason the next boot
# reports, on virt (PSCI SYSTEM_RESET), raspi3b and raspi4b (the PM block's reset); the watchdog on
# raspi3b (QEMU's PM model resets as soon as it is armed, so this is the expiry path end to end;
# counting, feeding and stopping are tested against a model in tests/unit/test_bcm2835_pm.c);
# the firmware's identity; bad arguments. QEMU runs without -no-reboot here, so a reset boots the
# same image again, as a board would.
load 'lib/boot'

setup() {
	load '/usr/lib/bats/bats-support/load'
	load '/usr/lib/bats/bats-assert/load'
}

# first_boot_was REASON: the first boot's reset reason (QEMU may print warnings before it).
first_boot_was() {
	[ "$(grep -m 1 '^board: reset reason' <<<"$output")" = "board: reset reason $1" ] ||
		fail "the first boot's reason is not $1"
}

# boot_rebooting TARGET BOOTARGS...: the board app, allowed to reset and start again.
boot_rebooting() {
	local target=$1 cmd
	shift
	cmd=$(qemu_cmd "$target" "$BUILD/tests/apps/board/$target/kernel8.img" | sed 's/ -no-reboot//')
	# shellcheck disable=SC2086
	run timeout -k 5 "$BOOT_TIMEOUT" $cmd -append "uk.qemu=1 $*" </dev/null
	strip_cr
}

@test "virt: uk_reboot resets the machine and the next boot says it was requested" {
	boot_rebooting virt board.reboot=1
	assert_success
	first_boot_was "power-on"
	assert_line "uk: rebooting"
	assert_line "board: reset reason requested"
	assert_line "board: done"
	[ "$(grep -c '^board: reset reason' <<<"$output")" = 2 ] || fail "expected exactly two boots"
}

@test "virt: no firmware and no watchdog: clear errors, never a fault" {
	boot_rebooting virt board.watchdog=1000
	assert_success
	assert_line "board: revision: No such device"
	assert_line "board: watchdog max 0 ms"
	assert_line "board: watchdog started: No such device"
	assert_line "board: done"
}

@test "raspi3b: uk_reboot through the PM block; the firmware's revision and serial answer" {
	boot_rebooting rpi3 board.reboot=1
	assert_success
	first_boot_was "power-on"
	assert_line "board: reset reason requested"
	assert_line "board: revision 0xa02082" # QEMU's raspi3b: a 3 Model B 1.2, 1 GiB, Sony UK
	assert_line "board: serial ok"
	[ "$(grep -c '^board: reset reason' <<<"$output")" = 2 ] || fail "expected exactly two boots"
}

@test "raspi3b: a watchdog nobody feeds resets the board, which then says so" {
	boot_rebooting rpi3 board.watchdog=1000
	assert_success
	first_boot_was "power-on"
	assert_line "board: reset reason watchdog"
	assert_line "board: done"
}

@test "raspi3b: bad watchdog timeouts and feeding a stopped watchdog are refused" {
	boot_rebooting rpi3
	assert_success
	assert_line "board: watchdog max 15999 ms"
	assert_line "board: start(0) Invalid argument, start(max+1) Invalid argument, feed before start Not owner"
	assert_line "board: reset reason power-on"
	[ "$(grep -c '^board: reset reason' <<<"$output")" = 1 ] || fail "a refused start reset the board"
}

@test "virt: uk_poweroff stops the machine with status 0" {
	boot_rebooting virt board.poweroff=1
	assert_success
	assert_line "board: powering off"
	refute_line "board: done"
}

@test "raspi4b: uk_reboot through the BCM2711's PM block; the firmware's revision answers" {
	boot_rebooting rpi4 board.reboot=1
	assert_success
	first_boot_was "power-on"
	assert_line "board: reset reason requested"
	assert_line "board: revision 0xb03115" # QEMU's raspi4b: a 4 Model B 1.5, 2 GiB, Sony UK
	[ "$(grep -c '^board: reset reason' <<<"$output")" = 2 ] || fail "expected exactly two boots"
}
