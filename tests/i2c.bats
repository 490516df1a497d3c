#!/usr/bin/env bats
# I2C in QEMU (tests/apps/i2c, uk/i2c.h) on raspi3b and raspi4b with QEMU's own device models on
# BSC1 (i2c-bus.1): a TMP105 whose temperature the test changes through QMP while the app reads
# it, a 24C EEPROM written and read back with write-then-read, a DS1338 clock set and read, an
# address nothing answers; bad arguments on every board, and virt's lack of I2C. The BSC
# driver's error and repeated-start paths are tested against a model in
# tests/unit/test_bcm2835_i2c.c.
load 'lib/boot'

setup() {
	load '/usr/lib/bats/bats-support/load'
	load '/usr/lib/bats/bats-assert/load'
	T=$(mktemp -d)
}

teardown() {
	[ -z "${QPID:-}" ] || kill -9 "$QPID" 2>/dev/null || true
	rm -rf "$T"
}

DEVICES="-device tmp105,id=temp,bus=i2c-bus.1,address=0x48 \
-device at24c-eeprom,bus=i2c-bus.1,address=0x50,rom-size=256 \
-device ds1338,bus=i2c-bus.1,address=0x68"

# boot_i2c TARGET BOOTARGS...: the app with the devices attached.
boot_i2c() {
	local target=$1
	shift
	# shellcheck disable=SC2046,SC2086
	run timeout -k 5 "$BOOT_TIMEOUT" $(qemu_cmd "$target" "$BUILD/tests/apps/i2c/$target/kernel8.img") \
		$DEVICES -append "uk.qemu=1 $*" </dev/null
	strip_cr
}

check_bad_arguments() {
	assert_line "i2c: bad address Invalid argument, reserved address Invalid argument, read of 0 bytes Invalid argument, speed 5 Hz Invalid argument, bus 7 No such device"
}

@test "raspi3b: TMP105, 24C EEPROM and DS1338 on bus 1; an absent address is ENXIO" {
	boot_i2c rpi3
	assert_success
	check_bad_arguments
	assert_line "i2c: absent device No such device or address"
	assert_line "i2c: probe 0x48 ok"
	assert_line "i2c: tmp105 ok 0 mC"
	assert_line "i2c: eeprom ok 'hello'"
	assert_line "i2c: rtc ok 2026-12-03 13:45"
}

@test "raspi4b: the same devices on the BCM2711's BSC1" {
	boot_i2c rpi4
	assert_success
	check_bad_arguments
	assert_line "i2c: absent device No such device or address"
	assert_line "i2c: eeprom ok 'hello'"
	assert_line "i2c: rtc ok 2026-12-03 13:45"
}

@test "raspi3b: a temperature changed through QMP reaches the app's next reading" {
	local cmd _
	cmd=$(qemu_cmd rpi3 "$BUILD/tests/apps/i2c/rpi3/kernel8.img")
	# shellcheck disable=SC2086
	timeout -k 5 60 $cmd $DEVICES -qmp "unix:$T/qmp,server,nowait" \
		-append "uk.qemu=1 i2c.watch=1" </dev/null >"$T/console" 2>&1 &
	QPID=$!
	for _ in $(seq 300); do # the first reading comes within 30 s
		grep -q "i2c: tmp105 ok" "$T/console" && break
		kill -0 "$QPID" 2>/dev/null || break
		sleep 0.1
	done
	grep -q "i2c: tmp105 ok 0 mC" "$T/console" || fail "no first reading: $(cat "$T/console")"
	"$UK_TOP/tests/tools/qmp.py" "$T/qmp" qom-set \
		'{"path": "/machine/peripheral/temp", "property": "temperature", "value": 42500}' ||
		fail "qom-set failed"
	wait "$QPID"
	QPID=
	run tr -d '\r' <"$T/console"
	assert_line "i2c: tmp105 changed to 42500 mC"
}

@test "virt: no I2C: every call says so, the argument checks still apply" {
	# shellcheck disable=SC2046
	run timeout -k 5 "$BOOT_TIMEOUT" $(qemu_cmd virt "$BUILD/tests/apps/i2c/virt/kernel8.img") \
		-append "uk.qemu=1" </dev/null
	strip_cr
	assert_success
	check_bad_arguments
	assert_line "i2c: absent device No such device"
}
