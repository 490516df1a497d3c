#!/usr/bin/env bats
# The Internet checksum lwIP uses on uk (runtime/lwip_port/chksum.c, assembly) against RFC 1071's plain
# sum: tests/apps/chksum prints one line.
load 'lib/boot'

setup() {
	load '/usr/lib/bats/bats-support/load'
	load '/usr/lib/bats/bats-assert/load'
}

@test "chksum: lwIP's checksum matches RFC 1071 at every alignment and length up to 2,000 (virt)" {
	boot virt "$BUILD/tests/apps/chksum/virt/kernel8.img"
	assert_success
	refute_line --partial "FAIL"
	assert_line "chksum: 8304 cases ok"
}

@test "chksum: the same on the Cortex-A53 build (rpi3)" {
	boot rpi3 "$BUILD/tests/apps/chksum/rpi3/kernel8.img"
	assert_success
	refute_line --partial "FAIL"
	assert_line "chksum: 8304 cases ok"
}
