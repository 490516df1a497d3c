#!/usr/bin/env bash
# bench/storage.sh: files on uk against a Debian arm64 Linux guest (issue 11), on the same QEMU
# machine (virt, -m 128M) with the same disk backend (virtio-blk-device on a raw image file,
# QEMU's default cache mode). Both run bench/apps/storage/main.c (the same source):
#   uk      /data, littlefs on the card's second partition (uk.yaml image: {data: 64M})
#   Linux   /data, ext4 (journal, data=ordered: Debian's default) made with mkfs.ext4 on a 64 MiB
#           raw image, mounted from /dev/vda; the program is the guest's /init and loads
#           virtio_mmio, virtio_blk and ext4 (with crc16, mbcache, jbd2, crc32c_generic) from
#           Debian's linux-image arm64 package, whose kernel it boots
# Rows, median of N runs alternating between the guests, each on a fresh disk (ratios uk/Linux,
# measured in this run): sequential write of a 32 MiB file (64 KiB writes, then fsync), MiB/s;
# sequential read of it (Linux drops its page cache first), MiB/s; 64-byte appends each
# fsync'ed (300 of them), appends/s; the image (uk kernel8.img; Linux vmlinuz + initramfs).
# Targets: throughput >= 1.0x Linux's, appends >= 2x, the uk app under 512 KiB.
# A missing piece prints "skipped: why" and exits 0, so make bench goes on.
#   bench/storage.sh [N]     (default N=3)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
UK_CACHE=${UK_CACHE:-/var/cache/uk}
uk=$build/bin/uk
n=${1:-3}
CC=${CROSS_CC:-aarch64-linux-gnu-gcc}

skip() {
	echo "skipped: $*"
	exit 0
}
[ -x "$uk" ] || skip "$uk missing: run make first"
for t in qemu-system-aarch64 "$CC" aarch64-linux-gnu-strip mkfs.ext4 cpio gzip dpkg-deb; do
	command -v "$t" >/dev/null || skip "$t is missing (./install.sh installs it)"
done
deb=$(find "$UK_CACHE/debs" -maxdepth 1 -name 'linux-image-*-arm64_*_arm64.deb' 2>/dev/null |
	sort -V | tail -n 1)
[ -n "$deb" ] || skip "no linux-image-*-arm64 .deb in $UK_CACHE/debs: run ./install.sh"

work=$(mktemp -d)
pid=
cleanup() {
	[ -z "$pid" ] || kill -9 "$pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# uk: the app with a 64 MiB /data
mkdir "$work/app"
cp "$top/bench/apps/storage/main.c" "$work/app/"
printf 'name: storage\nsources: [main.c]\nimage: {data: 64M}\n' >"$work/app/uk.yaml"
"$uk" build "$work/app" --target virt >"$work/build.log" 2>&1 ||
	skip "uk build of bench/apps/storage failed: $(tail -n 1 "$work/build.log")"
ukimg=$work/app/build/virt/kernel8.img ukcard=$work/app/build/virt/sdcard.img

# Linux: the kernel and the modules from the same .deb, the program as /init
dpkg-deb -x "$deb" "$work/deb"
mkdir -p "$work/root/modules"
i=1
for m in virtio_mmio virtio_blk crc16 mbcache jbd2 crc32c_generic ext4; do
	f=$(find "$work/deb/lib/modules" -name "$m.ko*" | head -n 1)
	[ -n "$f" ] || skip "module $m is not in $(basename "$deb")"
	dst=$work/root/modules/$(printf '%02d-%s.ko' "$i" "$m")
	case $f in
	*.xz) xz -dc "$f" >"$dst" ;;
	*.zst) zstd -qdc "$f" >"$dst" ;;
	*) cp "$f" "$dst" ;;
	esac
	i=$((i + 1))
done
"$CC" -static -O2 -Wall -Wextra -DLINUX_GUEST "$top/bench/apps/storage/main.c" -o "$work/root/init"
aarch64-linux-gnu-strip "$work/root/init"
(cd "$work/root" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) |
	gzip -9n >"$work/initramfs.cpio.gz"
kernel=$(find "$work/deb/boot" -name 'vmlinuz-*' | head -n 1)
[ -n "$kernel" ] || skip "no vmlinuz in $(basename "$deb")"
vmlinuz=$work/$(basename "$kernel")
mv "$kernel" "$vmlinuz"
rm -rf "$work/deb"

# run GUEST: boots it on a fresh disk; prints the program's result line (empty on failure)
run() {
	# shellcheck disable=SC2054 # the commas are QEMU's
	local args=(-M virt,gic-version=2 -cpu cortex-a72 -nic none -m 128M -display none
		-monitor none -serial "file:$work/console" -no-reboot)
	if [ "$1" = uk ]; then
		cp "$ukcard" "$work/disk.img"
		# shellcheck disable=SC2054
		args+=(-semihosting-config enable=on,target=native -kernel "$ukimg" -append uk.qemu=1)
	else
		rm -f "$work/disk.img"
		truncate -s 64M "$work/disk.img"
		mkfs.ext4 -q -F "$work/disk.img"
		args+=(-kernel "$vmlinuz" -initrd "$work/initramfs.cpio.gz"
			-append "console=ttyAMA0 quiet panic=-1")
	fi
	# shellcheck disable=SC2054 # the commas are QEMU's
	args+=(-drive "if=none,id=disk,format=raw,file=$work/disk.img"
		-device virtio-blk-device,drive=disk)
	: >"$work/console"
	timeout -k 5 180 qemu-system-aarch64 "${args[@]}" </dev/null >"$work/qemu.log" 2>&1 || true
	tr -d '\r' <"$work/console" | grep -m 1 '^storage: write_us=' || true
}
field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<" $2"; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
med() { printf '%s\n' "$@" | median; }

declare -A w r a
for ((k = 0; k < n; k++)); do
	for g in uk linux; do
		line=$(run $g)
		if [ -z "$line" ]; then
			echo "bench/storage.sh: the $g guest gave no result; its console ends:" >&2
			tail -n 5 "$work/console" >&2
			skip "the $g guest failed"
		fi
		bytes=$(field bytes "$line") appends=$(field appends "$line")
		# MiB/s and appends/s, as integers of thousandths
		w[$g]+="$((bytes * 1000000000 / 1048576 / $(field write_us "$line"))) "
		r[$g]+="$((bytes * 1000000000 / 1048576 / $(field read_us "$line"))) "
		a[$g]+="$((appends * 1000000 * 1000 / $(field append_us "$line"))) "
	done
done

# row WHAT UK LINUX TARGET (values in thousandths): ratio uk/Linux, target met when >= TARGET
row() {
	awk -v w="$1" -v u="$2" -v l="$3" -v t="$4" 'BEGIN {
		ratio = (l > 0 ? u / l : 0)
		printf "%-46s %10.1f %10.1f %8.2f   >= %s: %s\n", w, u / 1000, l / 1000, ratio, t,
			(ratio >= t ? "met" : "NOT met") }'
}
printf '%-46s %10s %10s %8s   %s\n' "virt, virtio-blk, -m 128M" uk Linux ratio target
# shellcheck disable=SC2086
{
	row "sequential write 32 MiB + fsync (MiB/s)" "$(med ${w[uk]})" "$(med ${w[linux]})" 1.0
	row "sequential read 32 MiB (MiB/s)" "$(med ${r[uk]})" "$(med ${r[linux]})" 1.0
	row "fsync'ed 64-byte appends (per s)" "$(med ${a[uk]})" "$(med ${a[linux]})" 2
}
us=$(stat -c %s "$ukimg")
ls_=$(($(stat -c %s "$vmlinuz") + $(stat -c %s "$work/initramfs.cpio.gz")))
printf '%-46s %10s %10s %8s   %s\n' "image (KiB)" "$((us >> 10))" "$((ls_ >> 10))" "" \
	"uk < 512: $([ "$us" -lt $((512 << 10)) ] && echo met || echo "NOT met")"
echo "(median of $n runs alternating uk and Linux, each on a fresh disk; uk: littlefs on /data;" \
	"Linux: ext4 on /dev/vda, $(basename "$vmlinuz"); per-run values: uk write ${w[uk]}/ read" \
	"${r[uk]}/ appends ${a[uk]}; Linux write ${w[linux]}/ read ${r[linux]}/ appends ${a[linux]}" \
	"(thousandths))"
