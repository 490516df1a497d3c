#!/usr/bin/env bash
# bench/build.sh: uk build of examples/hello from clean (runtime prebuilt) and a no-op rebuild,
# per target, median of N runs. Targets (issue 3): clean <= 2 s, no-op <= 0.2 s.
#   bench/build.sh [N]          (default N=5)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
uk=$build/bin/uk
n=${1:-5}
[ -x "$uk" ] || { echo "bench/build.sh: $uk missing: run make first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$top/examples/hello" "$work/hello"
rm -rf "$work/hello/build"

ms() { # runs "$@" quietly, prints elapsed milliseconds
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1 || { echo "bench/build.sh: '$*' failed" >&2; exit 1; }
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}
. "$top/bench/lib.sh" # median

printf '%-8s %12s %12s %10s %10s\n' target "clean (ms)" "no-op (ms)" "clean ok" "no-op ok"
for t in virt rpi3 rpi4; do
	clean=() noop=()
	for ((i = 0; i < n; i++)); do
		rm -rf "$work/hello/build"
		clean+=("$(ms "$uk" build "$work/hello" --target "$t")")
		noop+=("$(ms "$uk" build "$work/hello" --target "$t")")
	done
	c=$(printf '%s\n' "${clean[@]}" | median)
	o=$(printf '%s\n' "${noop[@]}" | median)
	printf '%-8s %12d %12d %10s %10s\n' "$t" "$c" "$o" \
		"$([ "$c" -le 2000 ] && echo yes || echo NO)" "$([ "$o" -le 200 ] && echo yes || echo NO)"
done
echo "(median of $n runs; clean = no build/ dir, runtime prebuilt; no-op = nothing changed)"
