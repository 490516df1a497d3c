#!/usr/bin/env bats
# SPI in QEMU (tests/apps/spi, uk/spi.h): an M25P80 flash on QEMU's SPI0 bus (raspi3b and
# raspi4b): its JEDEC id, and bytes read from a flash image the test wrote. QEMU's SPI0 model
# drives no chip-select line, so the flash never sees a command end and each boot sends one
# command; programming, modes, chip selects, FIFO limits and timeouts are tested against a
# controller and flash model on the host (tests/unit/test_bcm2835_spi.c). Bad arguments on
# every board; virt has no SPI.
load 'lib/boot'

setup() {
	load '/usr/lib/bats/bats-support/load'
	load '/usr/lib/bats/bats-assert/load'
	T=$(mktemp -d)
}

teardown() {
	rm -rf "$T"
}

# boot_spi TARGET BOOTARGS...: the app with an M25P80 (1 MiB) backed by $T/flash.bin.
boot_spi() {
	local target=$1
	shift
	[ -f "$T/flash.bin" ] || head -c 1048576 /dev/zero | tr '\0' '\377' >"$T/flash.bin"
	# shellcheck disable=SC2046
	run timeout -k 5 "$BOOT_TIMEOUT" $(qemu_cmd "$target" "$BUILD/tests/apps/spi/$target/kernel8.img") \
		-drive "if=none,id=flash,format=raw,file=$T/flash.bin" -device m25p80,bus=spi,drive=flash \
		-append "uk.qemu=1 $*" </dev/null
	strip_cr
}

@test "raspi3b: the flash's JEDEC id over SPI0; bad arguments refused" {
	boot_spi rpi3
	assert_success
	assert_line "spi: mode 4 Invalid argument, chip select 2 Invalid argument, 0 Hz Invalid argument, 4 GHz Invalid argument, length 0 Invalid argument, bus 3 No such device"
	assert_line "spi: jedec 20 20 14" # ST (0x20), M25P80: memory type 0x20, 1 MiB (0x14)
}

@test "raspi3b: a read returns what the flash holds" {
	head -c 1048576 /dev/zero | tr '\0' '\377' >"$T/flash.bin"
	printf 'read over SPI0 from the flash...' | dd of="$T/flash.bin" bs=1 seek=256 conv=notrunc status=none
	boot_spi rpi3 spi.read=1
	assert_success
	assert_line "spi: read ok 'read over SPI0 from the flash...'"
}

@test "raspi4b: the same flash on the BCM2711's SPI0" {
	boot_spi rpi4
	assert_success
	assert_line "spi: jedec 20 20 14"
}

@test "virt: no SPI: every call says so" {
	boot virt "$BUILD/tests/apps/spi/virt/kernel8.img"
	assert_success
	assert_line "spi: transfer No such device"
}
