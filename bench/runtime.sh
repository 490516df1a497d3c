#!/usr/bin/env bash
# bench/runtime.sh: the runtime's numbers per target (issue 2), measured in one run:
#   image size of hello; smallest -m that boots hello (virt); guest time from reset to main
#   (hello's own report, median); wall time of a whole QEMU run of hello against the QEMU floor
#   (an image that exits at its first instruction), paired runs alternating floor and hello,
#   medians, as the difference hello - floor (ms, what the runtime adds to a run) and a ratio.
# Targets: image <= 64 KiB; boots in 16 MiB on virt; wall <= 1.10x floor on virt; reset to
# main < 1 ms.
#   bench/runtime.sh [N]      (default N=20 paired runs per target)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
export BUILD=${BUILD:-$top/build}
n=${1:-20}
. "$top/tests/lib/boot.bash"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

aarch64-linux-gnu-gcc -c "$top/bench/floor.S" -o "$work/floor.o"
aarch64-linux-gnu-objcopy -O binary -j .text "$work/floor.o" "$work/floor.img"

. "$top/bench/lib.sh" # median
run_us() { # TARGET IMAGE: wall time of one whole QEMU run in microseconds
	local cmd t0 t1
	cmd=$(qemu_cmd "$1" "$2")
	t0=$(date +%s%N)
	# shellcheck disable=SC2086
	timeout 60 $cmd -append "uk.qemu=1" </dev/null >"$work/out" 2>/dev/null || return 1
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000))
}

# min_mem: the smallest -m (MiB) with which hello boots on virt, by bisection.
min_mem() {
	local lo=1 hi=64 mid
	while [ $lo -lt $hi ]; do
		mid=$(((lo + hi) / 2))
		if QEMU_MEM=${mid}M run_us virt "$BUILD/examples/hello/virt/kernel8.img" >/dev/null 2>&1 &&
			grep -q 'Hello from uk' "$work/out"; then
			hi=$mid
		else
			lo=$((mid + 1))
		fi
	done
	echo "$lo"
}

printf '%-6s %10s %8s %14s %12s %12s %14s %8s\n' target "image (B)" "min -m" "reset->main us" "floor (ms)" "hello (ms)" "hello-floor ms" ratio
for t in virt rpi3 rpi4; do
	img=$BUILD/examples/hello/$t/kernel8.img
	size=$(stat -c %s "$img")
	floor=() hello=() boot=()
	for ((i = 0; i < n; i++)); do
		floor+=("$(run_us "$t" "$work/floor.img")") || { echo "bench: floor failed on $t" >&2; exit 1; }
		hello+=("$(run_us "$t" "$img")") || { echo "bench: hello failed on $t" >&2; exit 1; }
		boot+=("$(tr -d '\r' <"$work/out" | sed -n 's/^boot: \([0-9]*\) us from reset.*/\1/p')")
	done
	fm=$(printf '%s\n' "${floor[@]}" | median)
	hm=$(printf '%s\n' "${hello[@]}" | median)
	bm=$(printf '%s\n' "${boot[@]}" | median)
	mem=-
	[ "$t" = virt ] && mem="$(min_mem)M"
	awk -v t="$t" -v s="$size" -v m="$mem" -v b="$bm" -v f="$fm" -v h="$hm" \
		'BEGIN { printf "%-6s %10s %8s %14s %12.1f %12.1f %14.1f %8.3f\n", t, s, m, b, f / 1000, h / 1000, (h - f) / 1000, h / f }'

done
echo "(median of $n paired runs per target, floor and hello alternating; at commit" \
	"$(git -C "$top" rev-parse --short HEAD)$(git -C "$top" diff --quiet HEAD -- bench runtime examples 2>/dev/null || echo ' with uncommitted changes in bench, runtime or examples'), $(date -u '+%Y-%m-%d %H:%M UTC'))"
