#!/usr/bin/env bats
# Randomness in QEMU (tests/apps/random): uk_random and getentropy from the hardware generator
# (virtio-rng on virt, the BCM2835 RNG on raspi3b), the clear failure where there is none
# (raspi4b, and virt without the device), and TCP initial sequence numbers as they leave the
# guest (RFC 6528: no counter), read from a capture of its network.
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

# pcap_syns FILE: the sequence number of every IPv4 TCP SYN (without ACK) in a pcap capture
# (Ethernet link type), one decimal number per line.
pcap_syns() {
	local -a b
	mapfile -t b < <(od -An -v -tu1 -w1 "$1" | tr -d ' ')
	local off=24 n=${#b[@]}
	while [ $((off + 16)) -le "$n" ]; do
		local len=$((b[off + 8] | b[off + 9] << 8 | b[off + 10] << 16 | b[off + 11] << 24))
		local f=$((off + 16))
		off=$((f + len))
		[ "$len" -ge 54 ] && [ "${b[f + 12]}" = 8 ] && [ "${b[f + 13]}" = 0 ] || continue
		[ "${b[f + 23]}" = 6 ] || continue
		local t=$((f + 14 + (b[f + 14] & 15) * 4))
		[ $((b[t + 13] & 0x12)) = 2 ] || continue
		echo $((b[t + 4] << 24 | b[t + 5] << 16 | b[t + 6] << 8 | b[t + 7]))
	done
}

# syns_from_guest NAME: boots the app on virt with 5 connections to 10.0.2.2:9, capturing the
# guest's network into $T/NAME.pcap; sets SYNS to the SYNs' sequence numbers (and NET_CONSOLE).
syns_from_guest() {
	NET_QEMU_ARGS="-object filter-dump,id=d0,netdev=n0,file=$T/$1.pcap" \
		net_boot virt "$(app virt)" 'random: connections done' net.ip=dhcp random.connect=5
	net_stop >/dev/null
	mapfile -t SYNS < <(pcap_syns "$T/$1.pcap")
}

# not_a_counter ISN...: no two equal, and the steps between successive ones (mod 2^32) are
# large: a counter, or ticks added to a counter, steps by less than 2^20 here.
not_a_counter() {
	local -a s=("$@") big=0
	[ ${#s[@]} -ge 5 ] || fail "expected 5 SYNs, got ${#s[@]}: ${s[*]}"
	[ "$(printf '%s\n' "${s[@]}" | sort -u | wc -l)" = ${#s[@]} ] || fail "repeated ISN: ${s[*]}"
	for ((i = 1; i < ${#s[@]}; i++)); do
		local d=$(((s[i] - s[i - 1]) & 0xffffffff))
		[ $d -gt $((1 << 20)) ] && [ $d -lt $(((1 << 32) - (1 << 20))) ] && big=$((big + 1))
	done
	# each step is small by chance with probability 2^-11
	[ $big -ge $((${#s[@]} - 2)) ] || fail "ISNs step like a counter: ${s[*]}"
}

@test "TCP ISNs on the wire: five connections to one peer are not a counter, and differ between boots" {
	syns_from_guest a
	local a=("${SYNS[@]}")
	not_a_counter "${a[@]}"
	syns_from_guest b
	not_a_counter "${SYNS[@]}"
	[ "${a[0]}" != "${SYNS[0]}" ] || fail "the first ISN is the same in two boots: ${a[0]}"
}

@test "TCP ISNs without a hardware RNG: the fallback is said on the console and is not a counter" {
	without_rng
	syns_from_guest a
	not_a_counter "${SYNS[@]}"
	run echo "$NET_CONSOLE"
	assert_line --partial "net: no hardware random numbers: TCP sequence numbers, ports and DHCP/DNS ids are keyed from boot timing"
}
