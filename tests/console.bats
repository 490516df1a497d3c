#!/usr/bin/env bats
# Console input is interrupt-driven: lines typed on the serial port reach stdin.
load 'lib/boot'

setup() {
	load '/usr/lib/bats/bats-support/load'
	load '/usr/lib/bats/bats-assert/load'
}

for_target() {
	boot_with_input "$1" "$BUILD/tests/apps/echo/$1/kernel8.img" 'hello uk\nsecond line\nquit\n'
	assert_equal "$status" 7
	assert_line "echo: ready"
	assert_line "echo: [hello uk]"
	assert_line "echo: [second line]"
	assert_line "echo: bye"
}

@test "console input on virt (PL011 receive interrupt)" {
	for_target virt
}

@test "console input on rpi3 (mini UART receive interrupt)" {
	for_target rpi3
}

@test "console input on rpi4 (mini UART through the GIC-400)" {
	for_target rpi4
}
