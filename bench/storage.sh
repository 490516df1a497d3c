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
# Then the same rows on QEMU raspi3b (-m 1G) with the card in its SD slot (-drive if=sd; QEMU puts
# the card on the Arasan SDHCI at 0x3f300000, and its SD card model takes only power-of-two sizes):
#   uk      the same app built for rpi3 (uk build --target rpi3): /data, littlefs on the second
#           partition of sdcard.img, grown to a power of two with truncate as uk run does
#           (cli/commands/run_card.c); runtime/drivers/sdhci.c; the board's bcm2837-rpi-3-b.dtb
#   Linux   the same kernel; /init loads sdhci, sdhci-pltfm and sdhci-iproc (the driver of
#           "brcm,bcm2835-sdhci"; each module's dependencies read from its .modinfo, as
#           bench/devices.sh does; mmc_core and mmc_block are built in) and the ext4 modules, and
#           mounts /dev/mmcblk0: a 64 MiB card that is one whole-card ext4 (mkfs.ext4 -F, no
#           partition table). Its device tree is a copy of the board's, changed with fdtput:
#           mmc@7e300000 (the Arasan) okay without its mmc-pwrseq and Wi-Fi child (the Pi 3's
#           Wi-Fi chip, absent in QEMU), mmc@7e202000 (sdhost) disabled, as uk's runtime uses the
#           Arasan. Linux's raspi3b guest cannot power QEMU off: the script stops QEMU once the
#           result line is on the console.
# Both drive QEMU's SDHCI by PIO (sdhci-iproc's bcm2835 capabilities have no DMA; uk's driver is
# PIO only): every 32-bit word of data is one trapped access to the buffer data port.
# A missing piece prints "skipped: why" and exits 0, so make bench goes on; a missing piece of
# the raspi3b rows prints "skipped: why" for them only (the Linux side alone: the uk rows and
# "Linux: skipped: why").
#   bench/storage.sh [N]     (default N=3; make bench: BENCH_STORAGE_RUNS)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
UK_CACHE=${UK_CACHE:-/var/cache/uk}
uk=$build/bin/uk
n=${1:-${BENCH_STORAGE_RUNS:-3}}
CC=${CROSS_CC:-aarch64-linux-gnu-gcc}
dtb=$UK_CACHE/dtb/bcm2837-rpi-3-b.dtb
rpi_s=300 # the longest a raspi3b guest may take to print its result line

. "$top/bench/lib.sh" # skip, need, linux_deb, workdir, median
[ -x "$uk" ] || skip "$uk missing: run make first"
need qemu-system-aarch64 "$CC" aarch64-linux-gnu-strip mkfs.ext4 cpio gzip dpkg-deb
linux_deb

workdir

# uk: the app with a 64 MiB /data
mkdir "$work/app"
cp "$top/bench/apps/storage/main.c" "$work/app/"
printf 'name: storage\nsources: [main.c]\nimage: {data: 64M}\n' >"$work/app/uk.yaml"
"$uk" build "$work/app" --target virt >"$work/build.log" 2>&1 ||
	skip "uk build of bench/apps/storage failed: $(tail -n 1 "$work/build.log")"
ukimg=$work/app/build/virt/kernel8.img ukcard=$work/app/build/virt/sdcard.img

# raspi3b: uk's app for rpi3 and its card; Linux's initramfs (SD modules) and device tree.
# Sets rpi_why (the whole raspi3b section cannot run) or rpi_linux_why (Linux's side cannot).
rpi_why='' rpi_linux_why=''
rpi_prepare() {
	local t m
	for t in aarch64-linux-gnu-objcopy fdtput timeout; do
		command -v "$t" >/dev/null || { rpi_why="$t is missing (./install.sh installs it)"; return 1; }
	done
	[ -f "$dtb" ] || { rpi_why="$dtb is missing: run ./install.sh"; return 1; }
	"$uk" build "$work/app" --target rpi3 >"$work/build-rpi3.log" 2>&1 || {
		rpi_why="uk build --target rpi3 of bench/apps/storage failed: $(tail -n 1 "$work/build-rpi3.log")"
		return 1
	}
	rpi_ukimg=$work/app/build/rpi3/kernel8.img rpi_ukcard=$work/rpi-uk-card.img
	# uk run's card: sdcard.img grown (sparsely) to the next power of two
	local size p2=1
	size=$(stat -c %s "$work/app/build/rpi3/sdcard.img") || { rpi_why="no sdcard.img for rpi3"; return 1; }
	while [ "$p2" -lt "$size" ]; do p2=$((p2 * 2)); done
	if ! { cp --sparse=always "$work/app/build/rpi3/sdcard.img" "$rpi_ukcard.ref" &&
		truncate -s "$p2" "$rpi_ukcard.ref"; }; then
		rpi_why="the uk card could not be made"
		return 1
	fi
	rpi_uksize=$p2

	# Linux: the SD host driver after its dependencies (the .deb has no modules.dep: depmod makes
	# it at install time; each module's .modinfo says what it depends on), then ext4's
	mkdir -p "$work/rroot/modules" "$work/ko"
	local -A queued=()
	local i=1
	ko() {
		local f out=$work/ko/${1//-/_}.ko
		if [ ! -f "$out" ]; then
			f=$(find "$work/deb/lib/modules" -name '*.ko*' | awk -v m="${1//-/_}" '{
				b = $0; sub(/.*\//, "", b); sub(/\.ko(\.xz|\.zst|\.gz)?$/, "", b)
				gsub(/-/, "_", b); if (b == m) { print; exit } }')
			[ -n "$f" ] || return 1
			case $f in
			*.xz) xz -dc "$f" >"$out" ;;
			*.zst) zstd -qdc "$f" >"$out" ;;
			*.gz) gzip -dc "$f" >"$out" ;;
			*) cp "$f" "$out" ;;
			esac
		fi
		echo "$out"
	}
	load() {
		local m=${1//-/_} f d
		[ -z "${queued[$m]:-}" ] || return 0
		queued[$m]=1
		f=$(ko "$m") || { rpi_linux_why="module $1 is not in $(basename "$deb")"; return 1; }
		for d in $(aarch64-linux-gnu-objcopy -O binary --only-section=.modinfo "$f" /dev/stdout |
			tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '); do
			load "$d" || return 1
		done
		cp "$f" "$work/rroot/modules/$(printf '%02d-%s.ko' "$i" "$m")"
		i=$((i + 1))
	}
	for m in sdhci-iproc crc16 mbcache jbd2 crc32c_generic ext4; do load "$m" || return 1; done
	rpi_modules=$(cd "$work/rroot/modules" && printf '%s\n' *.ko | sed 's/^[0-9]*-//; s/\.ko$//' |
		paste -sd ' ')
	# (called in an || list, where set -e is off: each step is checked)
	if ! { "$CC" -static -O2 -Wall -Wextra -DLINUX_GUEST -DDATA_DEV='"/dev/mmcblk0"' \
		"$top/bench/apps/storage/main.c" -o "$work/rroot/init" &&
		aarch64-linux-gnu-strip "$work/rroot/init" &&
		(cd "$work/rroot" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) |
		gzip -9n >"$work/rpi-initramfs.cpio.gz"; }; then
		rpi_linux_why="the Linux guest's initramfs could not be made"
		return 1
	fi
	rm -rf "$work/ko"

	# Linux's device tree: the card on the Arasan SDHCI, as QEMU wires it and uk uses it
	rpi_ldtb=$work/rpi-linux.dtb
	cp "$dtb" "$rpi_ldtb"
	chmod u+w "$rpi_ldtb"
	{
		fdtput -t s "$rpi_ldtb" /soc/mmc@7e202000 status disabled
		fdtput -t s "$rpi_ldtb" /soc/mmc@7e300000 status okay
		fdtput -d "$rpi_ldtb" /soc/mmc@7e300000 mmc-pwrseq
		fdtput -r "$rpi_ldtb" /soc/mmc@7e300000/wifi@1
	} 2>"$work/fdtput.log" || {
		rpi_linux_why="fdtput could not change $(basename "$dtb"): $(head -n 1 "$work/fdtput.log")"
		return 1
	}
}

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
rpi_prepare || true
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
# [DECIMALS] (default 1)
row() {
	awk -v w="$1" -v u="$2" -v l="$3" -v t="$4" -v d="${5:-1}" 'BEGIN {
		ratio = (l > 0 ? u / l : 0)
		f = "%-46s %10." d "f %10." d "f %8.2f   >= %s: %s\n"
		printf f, w, u / 1000, l / 1000, ratio, t, (ratio >= t ? "met" : "NOT met") }'
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

# raspi3b: the same program with the card in the SD slot
echo
rpi_what="raspi3b, SD card (Arasan SDHCI, PIO), -m 1G"
if [ -n "$rpi_why" ]; then
	printf '%-46s skipped: %s\n' "$rpi_what" "$rpi_why"
	exit 0
fi
# run_rpi GUEST: boots it on a fresh card; prints the program's first "storage:" line (the result
# or the error) once it is on the console (at most rpi_s seconds), then stops QEMU if it is still
# running (Linux halts but cannot power the board off)
run_rpi() {
	# shellcheck disable=SC2054 # the commas are QEMU's
	local args=(-M raspi3b -nic none -m 1G -display none -monitor none -no-reboot)
	if [ "$1" = uk ]; then
		cp --sparse=always "$rpi_ukcard.ref" "$work/card.img"
		# uk's console is the mini UART, QEMU's second serial port
		# shellcheck disable=SC2054
		args+=(-serial null -serial "file:$work/console" -semihosting-config enable=on,target=native
			-dtb "$dtb" -kernel "$rpi_ukimg" -append uk.qemu=1)
	else
		rm -f "$work/card.img"
		truncate -s 64M "$work/card.img"
		mkfs.ext4 -q -F "$work/card.img"
		args+=(-serial "file:$work/console" -dtb "$rpi_ldtb" -kernel "$vmlinuz"
			-initrd "$work/rpi-initramfs.cpio.gz" -append "console=ttyAMA0 quiet panic=-1")
	fi
	args+=(-drive "if=sd,format=raw,file=$work/card.img")
	: >"$work/console"
	timeout -k 5 "$rpi_s" qemu-system-aarch64 "${args[@]}" </dev/null >"$work/qemu.log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null && ! grep -q '^storage: ' <(tr -d '\r' <"$work/console"); do
		sleep 0.2
	done
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pid=
	tr -d '\r' <"$work/console" | grep -m 1 '^storage: ' || true
}

declare -A rw rr ra
for ((k = 0; k < n; k++)); do
	for g in uk linux; do
		[ "$g" = uk ] || [ -z "$rpi_linux_why" ] || continue
		line=$(run_rpi $g)
		if [ -z "$(field write_us "$line")" ]; then
			why=${line#storage: }
			why=${why:-no result within $rpi_s s}
			echo "bench/storage.sh: the raspi3b $g guest gave no result; its console ends:" >&2
			tr -d '\r' <"$work/console" | tail -n 5 >&2
			if [ "$g" = uk ]; then
				printf '%-46s skipped: the uk guest failed: %s\n' "$rpi_what" "$why"
				exit 0
			fi
			rpi_linux_why="the Linux guest failed: $why"
			continue
		fi
		bytes=$(field bytes "$line") appends=$(field appends "$line")
		rw[$g]+="$((bytes * 1000000000 / 1048576 / $(field write_us "$line"))) "
		rr[$g]+="$((bytes * 1000000000 / 1048576 / $(field read_us "$line"))) "
		ra[$g]+="$((appends * 1000000 * 1000 / $(field append_us "$line"))) "
	done
done

printf '%-46s %10s %10s %8s   %s\n' "$rpi_what" uk Linux ratio target
# shellcheck disable=SC2086
if [ -z "$rpi_linux_why" ]; then
	row "sequential write 32 MiB + fsync (MiB/s)" "$(med ${rw[uk]})" "$(med ${rw[linux]})" 1.0 2
	row "sequential read 32 MiB (MiB/s)" "$(med ${rr[uk]})" "$(med ${rr[linux]})" 1.0 2
	row "fsync'ed 64-byte appends (per s)" "$(med ${ra[uk]})" "$(med ${ra[linux]})" 2 1
else
	for x in "sequential write 32 MiB + fsync (MiB/s)|$(med ${rw[uk]})|2" \
		"sequential read 32 MiB (MiB/s)|$(med ${rr[uk]})|2" \
		"fsync'ed 64-byte appends (per s)|$(med ${ra[uk]})|1"; do
		IFS='|' read -r what v d <<<"$x"
		awk -v w="$what" -v v="$v" -v d="$d" 'BEGIN { printf "%-46s %10." d "f\n", w, v / 1000 }'
	done
	echo "Linux: skipped: $rpi_linux_why"
fi
echo "(median of $n runs alternating uk and Linux, each on a fresh card; uk: littlefs on /data," \
	"card $((rpi_uksize >> 20)) MiB (sdcard.img grown to a power of two); Linux: whole-card ext4" \
	"on /dev/mmcblk0 (64 MiB), $(basename "$vmlinuz") with ${rpi_modules:-no modules};" \
	"per-run values: uk write ${rw[uk]}/ read ${rr[uk]}/ appends ${ra[uk]}; Linux write" \
	"${rw[linux]:-none }/ read ${rr[linux]:-none }/ appends ${ra[linux]:-none }(thousandths))"
