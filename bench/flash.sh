#!/usr/bin/env bash
# bench/flash.sh: fleet stamping and card writing (issue 5), median of N runs.
#   - uk build --fleet: 100 device images (rpi3 hello, 64 MiB cards) from one build.
#     Target: <= 10 s.
#   - a 256 MiB rpi3 image written to a loop device (a sparse file in a temporary directory):
#     dd bs=4M conv=fsync, uk flash with the block map, uk flash --no-map (both read back and
#     verify, as by default), and --no-map --no-verify (the same work as dd). Targets: block map
#     >= 3x faster than dd; no map no slower.
#   bench/flash.sh [N]     (default N=3; needs root for losetup)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
uk=$build/bin/uk
n=${1:-3}
[ -x "$uk" ] || { echo "bench/flash.sh: $uk missing: run make first" >&2; exit 1; }
work=$(mktemp -d)
loop=
cleanup() {
	[ -n "$loop" ] && losetup -d "$loop" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

ms() { # runs "$@" quietly, prints elapsed milliseconds
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1 || { echo "bench/flash.sh: '$*' failed" >&2; exit 1; }
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}
. "$top/bench/lib.sh" # median
med() { printf '%s\n' "$@" | median; }

# one build, 100 devices
cp -r "$top/examples/hello" "$work/hello"
rm -rf "$work/hello/build"
"$uk" build "$work/hello" --target rpi3 >/dev/null
{
	echo "name,ip,gateway,app.key"
	for i in $(seq 1 100); do echo "node-$i,10.0.$((i / 250)).$((i % 250 + 1))/16,10.0.255.254,key$i"; done
} >"$work/fleet.csv"
stamp=()
for ((i = 0; i < n; i++)); do
	stamp+=("$(ms "$uk" build "$work/hello" --target rpi3 --fleet "$work/fleet.csv")")
done
s=$(med "${stamp[@]}")

# a 256 MiB card image, a loop device of the same size
mkdir "$work/big"
cp "$top/examples/hello/main.c" "$work/big/"
printf 'name: big\ntarget: rpi3\nsources: [main.c]\nimage:\n  size: 256M\n' >"$work/big/uk.yaml"
"$uk" build "$work/big" >/dev/null
img=$work/big/build/rpi3/sdcard.img
# the mapped bytes, from the block map (bmaptool's XML)
mapped=$(python3 -c 'import sys, xml.etree.ElementTree as E
r = E.parse(sys.argv[1]).getroot()
print(int(r.find("MappedBlocksCount").text) * int(r.find("BlockSize").text))' "$img.bmap")
truncate -s 256M "$work/card.img"
loop=$(losetup -f --show "$work/card.img")
fresh() { # every run starts with the loop device's buffers flushed
	sync
	blockdev --flushbufs "$loop"
}
dd_=() map=() nomap=() nover=()
for ((i = 0; i < n; i++)); do
	fresh
	dd_+=("$(ms dd if="$img" of="$loop" bs=4M conv=fsync status=none)")
	fresh
	map+=("$(ms "$uk" flash "$img" "$loop" --yes --allow-loop)")
	fresh
	nomap+=("$(ms "$uk" flash "$img" "$loop" --yes --allow-loop --no-map)")
	fresh
	nover+=("$(ms "$uk" flash "$img" "$loop" --yes --allow-loop --no-map --no-verify)")
done
d=$(med "${dd_[@]}") m=$(med "${map[@]}") u=$(med "${nomap[@]}") v=$(med "${nover[@]}")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", (b > 0 ? a / b : 0) }'; }
ok() { awk -v v="$1" -v t="$2" 'BEGIN { print (v + 0 >= t + 0 ? "yes" : "NO") }'; }

printf '%-52s %10s %10s %8s\n' what "ms" "vs dd" "target"
printf '%-52s %10d %10s %8s\n' "stamp 100 rpi3 device images (uk build --fleet)" "$s" "" \
	"$([ "$s" -le 10000 ] && echo yes || echo NO)"
printf '%-52s %10d %10s %8s\n' "dd bs=4M conv=fsync, 256 MiB to a loop device" "$d" "1.0x" ""
printf '%-52s %10d %10s %8s\n' "uk flash, block map ($((mapped >> 20)) MiB), read back" "$m" \
	"$(ratio "$d" "$m")" "$(ok "$(awk -v a="$d" -v b="$m" 'BEGIN { print a / b }')" 3)"
printf '%-52s %10d %10s %8s\n' "uk flash --no-map (256 MiB), read back" "$u" \
	"$(ratio "$d" "$u")" "$(ok "$(awk -v a="$d" -v b="$u" 'BEGIN { print a / b }')" 1)"
printf '%-52s %10d %10s %8s\n' "uk flash --no-map --no-verify (the same work as dd)" "$v" \
	"$(ratio "$d" "$v")" "$(ok "$(awk -v a="$d" -v b="$v" 'BEGIN { print a / b }')" 1)"
echo "(median of $n runs; the loop device's backing file is on $(df --output=source "$work" | tail -1))"
