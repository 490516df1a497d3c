#!/usr/bin/env bash
# bench/devices.sh: I2C and SPI on uk against a Debian arm64 Linux guest (issue 12), on the same
# QEMU machine (raspi3b, -m 1G) with the same devices: QEMU's TMP105 at 0x48 on i2c-bus.1 (BSC1)
# and an M25P80 flash (1 MiB, a raw image holding a known pattern) on SPI0. Both run
# bench/apps/devices/main.c (the same source):
#   uk      uk_i2c_write_read on bus 1 at 100 kHz (the default); uk_spi_transfer on SPI0, CE0,
#           mode 0, 10 MHz; the board's device tree (bcm2837-rpi-3-b.dtb), as uk run uses
#   Linux   the kernel of Debian's linux-image arm64 package; the program is the initramfs's
#           /init and loads i2c-bcm2835, i2c-dev and spi-bcm2835 (with what their .modinfo says
#           they depend on) from the same .deb; spidev is built in. /dev/i2c-1 with
#           ioctl(I2C_RDWR), /dev/spidev0.0 with SPI_IOC_MESSAGE(1), the same bus speeds. Its
#           device tree is a copy of the board's, changed with fdtput: i2c@7e804000 okay at
#           clock-frequency 100000 (upstream has both already), aliases i2c1 and spi0 (fixed
#           bus numbers), spi@7e204000 okay with a child node spidev binds to ("rohm,dh2228fv",
#           reg 0, spi-max-frequency 10 MHz), and spi@7e204000's dmas removed: QEMU's SPI model
#           has no DMA ("bcm2835_spi_write: DMA not supported" with -d unimp) and with DMA the
#           first long transfer never ends, so Linux runs spi-bcm2835 without DMA (interrupts,
#           or polling for short transfers), as uk drives the FIFO by polling.
# Rows, median of N runs alternating between the guests, each a fresh boot (ratios uk/Linux,
# measured in this run): 1,000 TMP105 temperature reads, each one write-then-read (pointer byte
# 0, 2 bytes back), transactions/s; 1 MiB read from the flash (a READ command, then 32 KiB
# transfers), MiB/s. Each side times only the transactions, with clock_gettime(CLOCK_MONOTONIC).
# QEMU's I2C and SPI models complete a transfer at once: the rows measure the drivers' and the
# kernels' overhead per transaction and per byte, not time on a wire.
# Target: uk >= 2x Linux's rate on both rows.
# A missing piece prints "skipped: why" and exits 0, so make bench goes on.
#   bench/devices.sh [N]     (default N=3; make bench: BENCH_DEVICES_RUNS)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
UK_CACHE=${UK_CACHE:-/var/cache/uk}
uk=$build/bin/uk
n=${1:-3}
CC=${CROSS_CC:-aarch64-linux-gnu-gcc}
dtb=$UK_CACHE/dtb/bcm2837-rpi-3-b.dtb
spi_hz=10000000 # the program's SPI_HZ
boot_s=120      # the longest a guest may take to print its last line

. "$top/bench/lib.sh" # skip, need, linux_deb, workdir, median
[ -x "$uk" ] || skip "$uk missing: run make first"
need qemu-system-aarch64 "$CC" aarch64-linux-gnu-strip aarch64-linux-gnu-objcopy cpio gzip \
	dpkg-deb perl timeout
command -v fdtput >/dev/null || skip "fdtput is missing (device-tree-compiler; ./install.sh installs it)"
[ -f "$dtb" ] || skip "$dtb is missing: run ./install.sh"
linux_deb

workdir

# uk: the app for rpi3
mkdir "$work/app"
cp "$top/bench/apps/devices/main.c" "$work/app/"
printf 'name: devices\nsources: [main.c]\n' >"$work/app/uk.yaml"
"$uk" build "$work/app" --target rpi3 >"$work/build.log" 2>&1 ||
	skip "uk build of bench/apps/devices failed: $(tail -n 1 "$work/build.log")"
ukimg=$work/app/build/rpi3/kernel8.img

# Linux: the kernel and the modules from the same .deb, the program as /init
dpkg-deb -x "$deb" "$work/deb"
mkdir -p "$work/root/modules" "$work/ko"
# ko NAME: the module's file, decompressed into $work/ko (names compare with - and _ alike)
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
# load NAME: NAME after its dependencies (the .deb has no modules.dep: depmod makes it at
# install time; each module's .modinfo section says what it depends on)
i=1
declare -A queued
load() {
	local m=${1//-/_} f d
	[ -z "${queued[$m]:-}" ] || return 0
	queued[$m]=1
	f=$(ko "$m") || skip "module $1 is not in $(basename "$deb")"
	for d in $(aarch64-linux-gnu-objcopy -O binary --only-section=.modinfo "$f" /dev/stdout |
		tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '); do
		load "$d"
	done
	cp "$f" "$work/root/modules/$(printf '%02d-%s.ko' "$i" "$m")"
	i=$((i + 1))
}
for m in i2c-bcm2835 i2c-dev spi-bcm2835; do load "$m"; done
modules=$(cd "$work/root/modules" && printf '%s\n' *.ko | sed 's/^[0-9]*-//; s/\.ko$//' |
	paste -sd ' ')
tr '\0' '\n' <"$(find "$work/deb/lib/modules" -name modules.builtin.modinfo | head -n 1)" |
	grep '^spidev\.' >/dev/null || skip "spidev is not built into $(basename "$deb") (needs a module)"
"$CC" -static -O2 -Wall -Wextra -DLINUX_GUEST "$top/bench/apps/devices/main.c" -o "$work/root/init"
aarch64-linux-gnu-strip "$work/root/init"
(cd "$work/root" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) |
	gzip -9n >"$work/initramfs.cpio.gz"
kernel=$(find "$work/deb/boot" -name 'vmlinuz-*' | head -n 1)
[ -n "$kernel" ] || skip "no vmlinuz in $(basename "$deb")"
vmlinuz=$work/$(basename "$kernel")
mv "$kernel" "$vmlinuz"
rm -rf "$work/deb" "$work/ko"

# Linux's device tree: the board's, with I2C1 and SPI0 (spidev on CE0) on, SPI0 without DMA
ldtb=$work/linux.dtb
cp "$dtb" "$ldtb"
chmod u+w "$ldtb"
{
	fdtput -t s "$ldtb" /soc/i2c@7e804000 status okay
	fdtput -t u "$ldtb" /soc/i2c@7e804000 clock-frequency 100000
	fdtput -t s "$ldtb" /aliases i2c1 /soc/i2c@7e804000
	fdtput -t s "$ldtb" /soc/spi@7e204000 status okay
	fdtput -t s "$ldtb" /aliases spi0 /soc/spi@7e204000
	fdtput -d "$ldtb" /soc/spi@7e204000 dmas
	fdtput -d "$ldtb" /soc/spi@7e204000 dma-names
	fdtput -c "$ldtb" /soc/spi@7e204000/spidev@0
	fdtput -t s "$ldtb" /soc/spi@7e204000/spidev@0 compatible rohm,dh2228fv
	fdtput -t u "$ldtb" /soc/spi@7e204000/spidev@0 reg 0
	fdtput -t u "$ldtb" /soc/spi@7e204000/spidev@0 spi-max-frequency "$spi_hz"
} 2>"$work/fdtput.log" || skip "fdtput could not change $(basename "$dtb"): $(head -n 1 "$work/fdtput.log")"

# the flash's contents: word k (big-endian) at byte 4k is k * 2654435761, which the program checks
perl -e 'print pack("N*", map { ($_ * 2654435761) % 4294967296 } 0 .. 262143)' >"$work/flash.ref"

# run GUEST: boots it fresh; prints the program's "devices:" lines once "end" or an error is
# there (at most boot_s seconds), then stops QEMU
run() {
	# shellcheck disable=SC2054 # the commas are QEMU's
	local args=(-M raspi3b -nic none -m 1G -display none -monitor none -no-reboot
		-device tmp105,bus=i2c-bus.1,address=0x48
		-drive "if=none,id=flash,format=raw,file=$work/flash.bin" -device m25p80,bus=spi,drive=flash)
	if [ "$1" = uk ]; then
		# uk's console is the mini UART, QEMU's second serial port
		# shellcheck disable=SC2054
		args+=(-serial null -serial "file:$work/console" -semihosting-config enable=on,target=native
			-dtb "$dtb" -kernel "$ukimg" -append uk.qemu=1)
	else
		# spidev takes at most bufsiz bytes a message (4096 by default)
		args+=(-serial "file:$work/console" -dtb "$ldtb" -kernel "$vmlinuz"
			-initrd "$work/initramfs.cpio.gz" -append "console=ttyAMA0 quiet panic=-1 spidev.bufsiz=65536")
	fi
	cp "$work/flash.ref" "$work/flash.bin"
	: >"$work/console"
	timeout -k 5 "$boot_s" qemu-system-aarch64 "${args[@]}" </dev/null >"$work/qemu.log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null &&
		! grep -Eq '^devices: (end|error)' <(tr -d '\r' <"$work/console"); do
		sleep 0.1
	done
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pid=
	tr -d '\r' <"$work/console" | grep '^devices: ' || true
}
field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<" $2"; }
med() { printf '%s\n' "$@" | median; }

declare -A i2c spi why
for ((k = 0; k < n; k++)); do
	for g in uk linux; do
		out=$(run $g)
		line=$(grep -m 1 'i2c_us=' <<<"$out" || true)
		if [ -z "$line" ]; then
			echo "bench/devices.sh: the $g guest gave no I2C result; its console ends:" >&2
			tr -d '\r' <"$work/console" | tail -n 5 >&2
			skip "the $g guest failed: $(grep -m 1 'devices: error' <<<"$out" || echo "no result within $boot_s s")"
		fi
		# transactions/s and MiB/s, as integers of thousandths
		i2c[$g]+="$(($(field i2c_n "$line") * 1000000000 / $(field i2c_us "$line"))) "
		line=$(grep -m 1 'spi_us=' <<<"$out" || true)
		if [ -z "$line" ]; then
			why[$g]=$(grep -m 1 'devices: error' <<<"$out" | sed 's/^devices: error //' || true)
			why[$g]=${why[$g]:-no result within $boot_s s}
		elif [ "$(field spi_bad "$line")" != 0 ]; then
			why[$g]="$(field spi_bad "$line") of 262144 words read differ from the flash"
		else
			spi[$g]+="$(($(field spi_bytes "$line") * 1000000000 / 1048576 / $(field spi_us "$line"))) "
		fi
	done
done

# row WHAT UK LINUX TARGET DECIMALS (values in thousandths): ratio uk/Linux, target met when
# >= TARGET
row() {
	awk -v w="$1" -v u="$2" -v l="$3" -v t="$4" -v d="$5" 'BEGIN {
		ratio = (l > 0 ? u / l : 0)
		f = "%-46s %10." d "f %10." d "f %8.2f   >= %s: %s\n"
		printf f, w, u / 1000, l / 1000, ratio, t,
			(ratio >= t ? "met" : "NOT met") }'
}
printf '%-46s %10s %10s %8s   %s\n' "raspi3b, TMP105 on BSC1, M25P80 on SPI0" uk Linux ratio target
# shellcheck disable=SC2086
row "I2C TMP105 reads, 1,000 (transactions/s)" "$(med ${i2c[uk]})" "$(med ${i2c[linux]})" 2 0
spi_what="SPI flash read 1 MiB, 10 MHz (MiB/s)"
if [ -n "${why[uk]:-}" ]; then
	printf '%-46s uk: skipped: %s\n' "$spi_what" "${why[uk]}"
elif [ -n "${why[linux]:-}" ]; then
	# shellcheck disable=SC2086
	printf '%-46s %10.2f   Linux: skipped: %s\n' "$spi_what" \
		"$(awk -v u="$(med ${spi[uk]})" 'BEGIN { print u / 1000 }')" "${why[linux]}"
else
	# shellcheck disable=SC2086
	row "$spi_what" "$(med ${spi[uk]})" "$(med ${spi[linux]})" 2 2
fi
echo "(median of $n runs alternating uk and Linux, each a fresh boot; I2C 100 kHz on both;" \
	"Linux: $(basename "$vmlinuz") with $modules, SPI0 without DMA (QEMU's model has none);" \
	"QEMU completes transfers at once: driver and kernel overhead, not wire time;" \
	"per-run values: uk I2C ${i2c[uk]}/ SPI ${spi[uk]:-none }; Linux I2C ${i2c[linux]}/" \
	"SPI ${spi[linux]:-none }(thousandths))"
