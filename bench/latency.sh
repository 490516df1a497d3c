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
#   bench/latency.sh [N]      (default N=5)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
export BUILD=${BUILD:-$top/build}
: "${UK_CACHE:=/var/cache/uk}"
n=${1:-5}
. "$top/tests/lib/boot.bash" # qemu_cmd
. "$top/bench/lib.sh"        # median, skip, need, workdir
need qemu-system-aarch64 cc
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
	local w m p
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

rows=(uk-virt uk-rpi3)
[ -z "$guest" ] || rows+=(linux-virt)
rows+=(native)
declare -A runs
for ((i = 0; i < n; i++)); do
	for r in "${rows[@]}"; do
		case $r in
		uk-virt) v=$(uk_run virt) ;;
		uk-rpi3) v=$(uk_run rpi3) ;;
		linux-virt) v=$(linux_run) ;;
		native) v=$(native_run) ;;
		esac
		[ -n "$v" ] || { echo "bench: a $r run failed" >&2; exit 1; }
		runs[$r]+="$v"$'\n'
	done
done

col() { printf '%s' "${runs[$1]}" | awk -v c="$2" 'NF { print $c }' | median; }
nm=$(col native 1) nw=$(col native 3)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
printf '%-34s %9s %9s %10s %12s %13s\n' "1 kHz deadline loop, 1 s" "mean us" "p99 us" "worst us" "mean/native" "worst/native"
for r in "${rows[@]}"; do
	case $r in
	uk-virt) name="uk ticker, QEMU virt" ;;
	uk-rpi3) name="uk ticker, QEMU raspi3b" ;;
	linux-virt) name="Linux guest process, QEMU virt" ;;
	native) name="native host process (floor)" ;;
	esac
	m=$(col "$r" 1) p=$(col "$r" 2) w=$(col "$r" 3)
	printf '%-34s %9s %9s %10s %12s %13s\n' "$name" "$m" "$p" "$w" "$(ratio "$m" "$nm")" "$(ratio "$w" "$nw")"
done
[ -n "$guest" ] || echo "(no Linux guest row: $(tail -n 1 "$work/guest.err" 2>/dev/null || echo "no linux-image .deb in $UK_CACHE/debs; ./install.sh fetches it"))"
echo "medians of $n runs each, alternating; lateness = callback (uk) or return from clock_nanosleep (Linux) minus the deadline; QEMU TCG, $(nproc) host cores"
