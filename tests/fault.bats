#!/usr/bin/env bats
# Fatal faults print the exception, registers and a backtrace, and QEMU exits non-zero (134).
load 'lib/boot'

setup() {
	load '/usr/lib/bats/bats-support/load'
	load '/usr/lib/bats/bats-assert/load'
}

app() { echo "$BUILD/tests/apps/fault/$1/kernel8.img"; }
elf() { echo "$BUILD/tests/apps/fault/$1/app.elf"; }

# The first backtrace address must symbolise to the named function in app.elf.
first_frame_is() {
	local addr
	addr=$(sed -n 's/^  #0 \(0x[0-9a-f]*\).*/\1/p' <<<"$output" | head -n1)
	[ -n "$addr" ]
	run aarch64-linux-gnu-addr2line -f -e "$(elf "$1")" "$addr"
	assert_line --index 0 "$2"
}

@test "write through NULL: data abort, translation fault, exit 134 (virt)" {
	boot virt "$(app virt)" fault=null
	assert_equal "$status" 134
	assert_line --partial "uk: panic: data abort (EC 0x25)"
	assert_line --partial "translation fault (address not mapped), level"
	assert_line --partial "on write of 0x0"
	assert_line --partial "NULL pointer dereference"
	assert_line --regexp '^  x0  0x[0-9a-f]{16}  x1  0x[0-9a-f]{16}$'
	assert_line "backtrace:"
	first_frame_is virt write_null
}

@test "write to code: permission fault, exit 134 (virt)" {
	boot virt "$(app virt)" fault=code
	assert_equal "$status" 134
	assert_line --partial "uk: panic: data abort (EC 0x25)"
	assert_line --partial "permission fault"
	first_frame_is virt write_code
}

@test "stack overflow hits the guard page and is reported (virt)" {
	boot virt "$(app virt)" fault=stack
	assert_equal "$status" 134
	assert_line --partial "stack guard page: stack overflow"
}

@test "NULL write is caught on rpi3 and rpi4 too" {
	boot rpi3 "$(app rpi3)" fault=null
	assert_equal "$status" 134
	assert_line --partial "NULL pointer dereference"
	boot rpi4 "$(app rpi4)" fault=null
	assert_equal "$status" 134
	assert_line --partial "NULL pointer dereference"
}

@test "no fault: the same app exits 0" {
	boot virt "$(app virt)" fault=none
	assert_success
	assert_line "fault: none"
}
