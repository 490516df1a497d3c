#!/usr/bin/env bats
# Randomness in QEMU (tests/apps/random): uk_random and getentropy from the hardware generator
# (virtio-rng on virt, the BCM2835 RNG on raspi3b), the clear failure where there is none
# (raspi4b, and virt without the device).
load 'lib/net'

setup() {
	load '/usr/lib/bats/bats-support/load'
	load '/usr/lib/bats/bats-assert/load'
	T=$(mktemp -d)
}

teardown() {
	net_stop >/dev/null 2>&1 || true
	rm -rf "$T"
}

app() { echo "$BUILD/tests/apps/random/$1/kernel8.img"; }

# QEMU's virt without the virtio entropy device target.conf gives it.
without_rng() {
	eval "with_rng_$(declare -f qemu_cmd)"
	qemu_cmd() { with_rng_qemu_cmd "$@" | sed 's/ -device virtio-rng-device//'; }
}

# draws: the two 32-byte draws of the boot just run, one per line.
draws() { sed -n 's/^random: draw[12] //p' <<<"$output"; }

# checks what a booted random app printed with working hardware.
check_random() {
	assert_success
	local d
	mapfile -t d < <(draws)
	[ ${#d[@]} = 2 ] || fail "expected two draws"
	[[ ${d[0]} =~ ^[0-9a-f]{64}$ ]] || fail "draw 1 is not 32 bytes: ${d[0]}"
	[ "${d[0]}" != "${d[1]}" ] || fail "the two draws are equal"
	[[ ${d[0]} != *00000000000000000000* ]] || fail "draw 1 has a run of zero bytes"
	# FIPS 140-2 monobit test on 20,000 bits: between 9,725 and 10,275 ones.
	local ones
	ones=$(sed -n 's/^random: monobit \([0-9]*\) of 20000$/\1/p' <<<"$output")
	[ "$ones" -gt 9725 ] && [ "$ones" -lt 10275 ] || fail "monobit: $ones ones of 20000"
	assert_line "random: getentropy(32) = 0"
	assert_line "random: getentropy(257) = -1 Invalid argument"
	assert_line --regexp '^random: arc4random [0-9a-f]{8}$'
	refute_line --partial "no hardware random"
}

two_boots_differ() { # TARGET
	boot "$1" "$(app "$1")"
	check_random
	local first
	first=$(draws)
	boot "$1" "$(app "$1")"
	check_random
	[ "$first" != "$(draws)" ] || fail "two boots drew the same bytes"
}

@test "virt: virtio-rng gives bytes that differ between draws and boots and pass monobit" {
	two_boots_differ virt
}

@test "raspi3b: the BCM2835 RNG gives bytes that differ between draws and boots and pass monobit" {
	two_boots_differ rpi3
}

@test "raspi4b (no RNG200 in QEMU): the console says so; uk_random and getentropy fail with ENODEV" {
	boot rpi4 "$(app rpi4)"
	assert_success
	assert_line "uk: no hardware random number generator on this rpi4: uk_random() and getentropy() fail with ENODEV"
	assert_line "random: uk_random failed: No such device"
	assert_line "random: getentropy(32) = -1 No such device"
	refute_line --partial "random: draw"
}

@test "virt without -device virtio-rng-device: the console says so; ENODEV, never weak bytes" {
	without_rng
	boot virt "$(app virt)"
	assert_success
	assert_line "uk: no hardware random number generator on this virt: uk_random() and getentropy() fail with ENODEV"
	assert_line "random: uk_random failed: No such device"
	assert_line "random: getentropy(32) = -1 No such device"
}
