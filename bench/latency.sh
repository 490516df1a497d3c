#!/usr/bin/env bash
# bench/latency.sh: timer lateness (issue 16), in one run, as a table: the ticker on uk
# (examples/ticker: a 1 kHz interrupt-driven timer, each deadline the previous one plus 1 ms, for
# one second) on QEMU virt and raspi3b; the same periodic deadline loop as a Linux process
# (bench/latency-loop.c, clock_nanosleep(TIMER_ABSTIME)) in the Debian arm64 Linux guest on the
# same QEMU virt machine (bench/linux-guest, bench=latency); and natively on this host, the floor
# of what QEMU, itself a host process, can deliver. Lateness: time of the callback (uk) or of the
# return from the sleep (Linux) minus the deadline. N runs of each, alternating; per row the
# medians over the runs of each run's mean, 99th percentile and worst (us), and ratios of the
# mean and worst to the native floor's.
# Under load, on QEMU virt with two cores (-smp 2): the ticker on core 1 (ticker.core=1, its
# own timer: uk_core_timer_start) alone, and while core 0 serves iperf 2 (ticker.iperf: lwIP's
# lwiperf) to this host's iperf 2 client at full rate; and the Linux guest's loop pinned to
# CPU 1 (isolcpus=1 irqaffinity=0) while its Debian iperf -s takes the same client's traffic
# (bench=latency-iperf). Each starts its loop once the traffic arrives (about 3 MB received)
# and reports what it received during it: uk frames (no offloads: each at most 1514 bytes, as
# MB here), Linux bytes (its virtio-net takes coalesced packets of up to 64 KiB). The traffic goes through a tap device in a network
# namespace of this script's, the client in the namespace (needs root and /dev/net/tun), else
# through QEMU's user network (hostfwd on 127.0.0.1), whose TCP stack runs in QEMU's main loop
# next to the guest timers' expiry and so delays every guest's ticks (uk's mean under load
# was 722 us on it against 201-323 us on a tap, single runs); the table says which.
# Issue 16's targets: uk on core 1 under iperf against Linux under iperf, mean and worst
# <= 0.2x; uk on core 1 under iperf against the ticker alone <= 1.5x.
#   bench/latency.sh [N]      (default N=5)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
export BUILD=${BUILD:-$top/build}
: "${UK_CACHE:=/var/cache/uk}"
n=${1:-5}
. "$top/tests/lib/boot.bash" # qemu_cmd
. "$top/bench/lib.sh"        # median, skip, need, workdir
need qemu-system-aarch64 cc iperf ss
workdir

cc -O2 -Wall -Wextra "$top/bench/latency-loop.c" -o "$work/loop"
guest=
if [ -n "$(find "$UK_CACHE/debs" -maxdepth 1 -name 'linux-image-*-arm64_*_arm64.deb' 2>/dev/null)" ]; then
	guest=$("$top/bench/linux-guest/build.sh" virt 2>"$work/guest.err") || guest=
fi

# Each runner prints "MEAN P99 WORST" (us) for one run, or nothing when the run failed.
uk_run() { # TARGET
	local cmd out
	cmd=$(qemu_cmd "$1" "$BUILD/examples/ticker/$1/kernel8.img")
	# shellcheck disable=SC2086
	out=$(timeout 60 $cmd -append "uk.qemu=1" </dev/null 2>/dev/null | tr -d '\r') || true
	uk_parse <<<"$out"
}
uk_parse() { # the ticker's console on stdin
	local out w m p
	out=$(cat)
	w=$(sed -n 's/^ticker: worst jitter \([0-9]*\) us, mean [0-9]* us$/\1/p' <<<"$out")
	m=$(sed -n 's/^ticker: worst jitter [0-9]* us, mean \([0-9]*\) us$/\1/p' <<<"$out")
	p=$(sed -n 's/^ticker: p99 jitter \([0-9]*\) us$/\1/p' <<<"$out")
	[ -z "$w" ] || [ -z "$p" ] || echo "$m $p $w"
}
loop_line() { # the "worst W us, mean M us, p99 P us" line of bench/latency-loop.c on stdin
	sed -n 's/^worst \([0-9]*\) us, mean \([0-9]*\) us, p99 \([0-9]*\) us$/\2 \3 \1/p' | tail -n 1
}
linux_run() {
	local cmd
	cmd=$(qemu_cmd virt "$guest/vmlinuz")
	# shellcheck disable=SC2086
	timeout 120 $cmd -initrd "$guest/iperf.cpio.gz" \
		-append "console=ttyAMA0 quiet panic=-1 bench=latency" </dev/null 2>/dev/null |
		tr -d '\r' | loop_line || true
}
native_run() { "$work/loop" 1000 1000 | loop_line; }

# The loaded rows: QEMU virt, two cores, a virtio NIC on QEMU's user network with the guest's
# iperf port forwarded from 127.0.0.1:$port.
free_port() { # a TCP port nobody listens on
	local p
	while :; do
		p=$((20000 + RANDOM % 30000))
		[ -z "$(ss -Hltn "sport = :$p")" ] && echo "$p" && return
	done
}
tap_ns=
if [ "$(id -u)" = 0 ] && [ -c /dev/net/tun ] && ip netns add "uk-latency-$$" 2>/dev/null; then
	tap_ns=uk-latency-$$
	trap 'ip netns del "$tap_ns" 2>/dev/null || true; rm -rf "$work"' EXIT
	ip -n "$tap_ns" link set lo up
	ip -n "$tap_ns" tuntap add dev uktap0 mode tap
	ip -n "$tap_ns" addr add 10.0.2.2/24 dev uktap0
	ip -n "$tap_ns" link set uktap0 up
fi
# under_iperf READY QEMU-ARGS...: boots virt with the QEMU arguments (the console to
# $work/console); once the console shows READY (the guest's iperf server listens), the iperf 2
# client sends to it at full rate, again and again until QEMU exits (a connection made before
# the server listens is refused at once). Prints the console.
under_iperf() {
	local ready=$1 cmd port qpid cpid end wrap=() netdev client
	shift
	cmd=$(qemu_cmd virt "$1")
	shift
	if [ -n "$tap_ns" ]; then # ip netns exec execs QEMU: the same pid
		wrap=(ip netns exec "$tap_ns")
		netdev="tap,id=n0,ifname=uktap0,script=no,downscript=no"
		client=(ip netns exec "$tap_ns" iperf -c 10.0.2.15)
	else
		port=$(free_port)
		netdev="user,id=n0,hostfwd=tcp:127.0.0.1:$port-:5001"
		client=(iperf -c 127.0.0.1 -p "$port")
	fi
	: >"$work/console"
	# shellcheck disable=SC2086
	timeout 180 "${wrap[@]}" $cmd -smp 2 -netdev "$netdev" -device virtio-net-device,netdev=n0 \
		"$@" </dev/null >"$work/console" 2>/dev/null &
	qpid=$!
	end=$((SECONDS + 150))
	until grep -q "$ready" "$work/console"; do
		if ! kill -0 "$qpid" 2>/dev/null || [ $SECONDS -ge $end ]; then break; fi
		sleep 0.05
	done
	# in a session of its own, so that it ends with its client: once the guest is gone, a
	# client on the tap waits on its connection for good
	# shellcheck disable=SC2016 # for the inner shell
	setsid bash -c 'while kill -0 "$1" 2>/dev/null; do
		timeout --foreground 60 "${@:2}" -t 30 >/dev/null 2>&1 || sleep 0.1
	done' _ "$qpid" "${client[@]}" &
	cpid=$!
	wait "$qpid" || true
	kill -KILL -- -"$cpid" 2>/dev/null || true # iperf 2 takes a TERM as "finish"
	wait "$cpid" || true
	tr -d '\r' <"$work/console"
}
# Each prints "MEAN P99 WORST MB", MB: received by the guest during the loop.
uk_core1_run() {
	local cmd out
	cmd=$(qemu_cmd virt "$BUILD/examples/ticker/virt/kernel8.img")
	# shellcheck disable=SC2086
	out=$(timeout 60 $cmd -smp 2 -append "uk.qemu=1 ticker.core=1" </dev/null 2>/dev/null |
		tr -d '\r') || true
	grep -q '^ticker: on core 1$' <<<"$out" || return 0
	uk_parse <<<"$out"
}
uk_iperf_run() {
	local out v f
	out=$(under_iperf 'ticker: iperf server on port 5001' \
		"$BUILD/examples/ticker/virt/kernel8.img" -append \
		"uk.qemu=1 net.ip=10.0.2.15/24 net.gateway=10.0.2.2 ticker.core=1 ticker.iperf")
	v=$(uk_parse <<<"$out")
	f=$(sed -n 's/^ticker: \([0-9]*\) frames received.*/\1/p' <<<"$out")
	[ -z "$v" ] || [ -z "$f" ] || echo "$v $(awk -v f="$f" 'BEGIN { printf "%.0f", f * 1514 / 1e6 }')"
}
linux_iperf_run() {
	local out v f
	out=$(under_iperf 'Server listening on TCP port 5001' "$guest/vmlinuz" \
		-initrd "$guest/iperf.cpio.gz" -append \
		"console=ttyAMA0 quiet panic=-1 bench=latency-iperf isolcpus=1 irqaffinity=0")
	v=$(loop_line <<<"$out")
	f=$(sed -n 's/^latency: [0-9]* packets, \([0-9]*\) bytes received.*/\1/p' <<<"$out")
	[ -z "$v" ] || [ -z "$f" ] || echo "$v $(awk -v f="$f" 'BEGIN { printf "%.0f", f / 1e6 }')"
}

rows=(uk-virt uk-rpi3 uk-core1 uk-core1-iperf)
[ -z "$guest" ] || rows+=(linux-virt linux-iperf)
rows+=(native)
declare -A runs
for ((i = 0; i < n; i++)); do
	for r in "${rows[@]}"; do
		case $r in
		uk-virt) v=$(uk_run virt) ;;
		uk-rpi3) v=$(uk_run rpi3) ;;
		uk-core1) v=$(uk_core1_run) ;;
		uk-core1-iperf) v=$(uk_iperf_run) ;;
		linux-virt) v=$(linux_run) ;;
		linux-iperf) v=$(linux_iperf_run) ;;
		native) v=$(native_run) ;;
		esac
		[ -n "$v" ] || { echo "bench: a $r run failed" >&2; exit 1; }
		runs[$r]+="$v"$'\n'
	done
done

col() { printf '%s' "${runs[$1]}" | awk -v c="$2" 'NF { print $c }' | median; }
nm=$(col native 1) nw=$(col native 3)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
printf '%-52s %9s %9s %10s %12s %13s\n' "1 kHz deadline loop, 1 s" "mean us" "p99 us" "worst us" "mean/native" "worst/native"
for r in "${rows[@]}"; do
	case $r in
	uk-virt) name="uk ticker, QEMU virt" ;;
	uk-rpi3) name="uk ticker, QEMU raspi3b" ;;
	uk-core1) name="uk ticker on core 1, QEMU virt -smp 2" ;;
	uk-core1-iperf) name="uk ticker on core 1, iperf on core 0, virt -smp 2" ;;
	linux-virt) name="Linux guest process, QEMU virt" ;;
	linux-iperf) name="Linux guest process on CPU 1, iperf -s, virt -smp 2" ;;
	native) name="native host process (floor)" ;;
	esac
	m=$(col "$r" 1) p=$(col "$r" 2) w=$(col "$r" 3)
	printf '%-52s %9s %9s %10s %12s %13s\n' "$name" "$m" "$p" "$w" "$(ratio "$m" "$nm")" "$(ratio "$w" "$nw")"
done
# Issue 16's ratios, from the medians above.
um=$(col uk-core1-iperf 1) uw=$(col uk-core1-iperf 3)
echo "uk on core 1 under iperf / uk ticker alone (core 0): mean $(ratio "$um" "$(col uk-virt 1)"), worst $(ratio "$uw" "$(col uk-virt 3)") (target <= 1.5); / on core 1 alone: mean $(ratio "$um" "$(col uk-core1 1)"), worst $(ratio "$uw" "$(col uk-core1 3)")"
[ -z "$guest" ] ||
	echo "uk on core 1 under iperf / Linux under iperf: mean $(ratio "$um" "$(col linux-iperf 1)"), worst $(ratio "$uw" "$(col linux-iperf 3)") (target <= 0.2)"
echo "iperf load received during the 1 s loop (median, MB): uk $(col uk-core1-iperf 4) (at most; full frames counted)$([ -z "$guest" ] || echo ", Linux $(col linux-iperf 4)") (this host's iperf 2 client at full rate, $([ -n "$tap_ns" ] && echo "a tap in a network namespace" || echo "QEMU's user network: no root or /dev/net/tun for a tap"))"

[ -n "$guest" ] || echo "(no Linux guest row: $(tail -n 1 "$work/guest.err" 2>/dev/null || echo "no linux-image .deb in $UK_CACHE/debs; ./install.sh fetches it"))"
echo "medians of $n runs each, alternating; lateness = callback (uk) or return from clock_nanosleep (Linux) minus the deadline; QEMU TCG, $(nproc) host cores"
