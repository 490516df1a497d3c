#!/usr/bin/env bats
# The runtime boots each example on every target under QEMU; console output and exit status.
load 'lib/boot'

setup() {
	load '/usr/lib/bats/bats-support/load'
	load '/usr/lib/bats/bats-assert/load'
}

hello() { echo "$BUILD/examples/hello/$1/kernel8.img"; }

@test "hello boots on virt, prints memory and boot arguments, exits 0" {
	boot virt "$(hello virt)" name=bats "quoted=\"a b\""
	assert_success
	assert_line --partial "Hello from uk on virt"
	assert_line --regexp '^boot: [0-9]+ us from reset to main'
	assert_line --partial "memory: 128 MiB at 0x40000000"
	assert_line "  name=bats"
	assert_line "  quoted=a b"
}

@test "hello sees the memory QEMU gives it (-m 256M)" {
	QEMU_MEM=256M boot virt "$(hello virt)"
	assert_success
	assert_line --partial "memory: 256 MiB at 0x40000000"
}

@test "hello boots in 16 MiB on virt" {
	QEMU_MEM=16M boot virt "$(hello virt)"
	assert_success
	assert_line --partial "memory: 16 MiB"
}

@test "hello boots on rpi3 (raspi3b, mini UART console, device tree from the firmware files)" {
	boot rpi3 "$(hello rpi3)" board=pi3
	assert_success
	assert_line --partial "Hello from uk on rpi3 (Raspberry Pi 3 Model B)"
	assert_line "  board=pi3"
}

@test "hello boots on rpi4 (raspi4b, GIC-400)" {
	boot rpi4 "$(hello rpi4)" board=pi4
	assert_success
	assert_line --partial "Hello from uk on rpi4 (Raspberry Pi 4 Model B)"
	assert_line "  board=pi4"
}

@test "rpi3 console can be the PL011 instead (uk.console=pl011, first serial port)" {
	cmd=$(qemu_cmd rpi3 "$(hello rpi3)" | sed 's/-serial null -serial stdio/-serial stdio -serial null/')
	run timeout 60 $cmd -append "uk.qemu=1 uk.console=pl011"
	strip_cr
	assert_success
	assert_line --partial "Hello from uk on rpi3"
}

@test "uk.boottrace=1 prints each boot phase's time before main, and only then" {
	boot virt "$(hello virt)" uk.boottrace=1
	assert_success
	assert_line --regexp '^uk: boot phases \(us\): mmu [0-9]+ fdt-move [0-9]+ dt-read [0-9]+ mem\+args [0-9]+ irq [0-9]+ console [0-9]+ clock [0-9]+$'
	boot virt "$(hello virt)"
	assert_success
	assert_line --partial "Hello from uk on virt"
	refute_line --partial "boot phases"
}

@test "bad boot arguments are reported and skipped, the rest still read" {
	boot virt "$(hello virt)" 'good=1' '=novalue' 'bad!key=2' 'unterminated="x'
	assert_success
	assert_line --partial "ignoring boot argument '=novalue': missing key"
	assert_line --partial "ignoring boot argument 'bad!key=2': key may hold only"
	assert_line --partial "ignoring boot argument 'unterminated=\"x': unterminated quote"
	assert_line "  good=1"
}

@test "an oversized boot argument is reported, not a crash" {
	long=$(printf 'v%.0s' {1..300})
	boot virt "$(hello virt)" "big=$long" after=ok
	assert_success
	assert_line --partial "value longer than 255 characters"
	assert_line "  after=ok"
}

@test "main's return value is QEMU's exit status" {
	boot virt "$BUILD/tests/apps/fault/virt/kernel8.img" fault=unknown
	assert_equal "$status" 3
	assert_line "fault: survived unknown"
}

ticker_ok() {
	assert_success
	assert_line "ticker: 1000 ticks of 1000 us"
	assert_line --regexp '^ticker: 1000 ticks in [0-9]+ us$'
	# one second of ticks takes at least one second, and the timer must not run slow
	local us
	us=$(sed -n 's/^ticker: 1000 ticks in \([0-9]*\) us.*/\1/p' <<<"$output")
	[ "$us" -ge 1000000 ]
	[ "$us" -lt 3000000 ]
	assert_line --regexp '^ticker: worst jitter [0-9]+ us, mean [0-9]+ us$'
}

@test "ticker: 1 kHz timer interrupts for one second on virt (GICv2)" {
	boot virt "$BUILD/examples/ticker/virt/kernel8.img"
	ticker_ok
}

@test "ticker on rpi3 (BCM2836 local + BCM2835 interrupt controllers)" {
	boot rpi3 "$BUILD/examples/ticker/rpi3/kernel8.img"
	ticker_ok
}

@test "ticker on rpi4 (GIC-400)" {
	boot rpi4 "$BUILD/examples/ticker/rpi4/kernel8.img"
	ticker_ok
}

@test "the ticker's timer with a 100 ms period gives 10 ticks in a second" {
	boot virt "$BUILD/examples/ticker/virt/kernel8.img" period_us=100000
	assert_success
	assert_line "ticker: 10 ticks of 100000 us"
}
