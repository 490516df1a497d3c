#!/usr/bin/env bash
# bench/linux-guest/build.sh: the Debian arm64 Linux guest that bench/ runs next to uk, built
# from Debian packages only and cached in $UK_CACHE/linux-guest/BOARD:
#   vmlinuz            the kernel of linux-image-*-arm64 (the .deb install.sh keeps in debs/)
#   initramfs.cpio.gz  /init (init.c), /udp-echo (examples/udp-echo/main.c) and /http-server
#                      (examples/http-server/main.c), all static, and the network driver modules
#                      /init loads, from the same .deb
#   iperf.cpio.gz      the same plus /tcp-echo (examples/tcp-echo/main.c, static) and Debian's
#                      arm64 iperf 2 (/usr/bin/iperf) with its loader and shared libraries (from
#                      the arm64 .debs install.sh fetches) and /latency-loop (bench/latency-loop.c,
#                      static; bench/latency.sh); a separate file so the image-size and memory
#                      rows measure the guest without them
# BOARD is virt (virtio-net) or rpi3 (QEMU raspi3b: usb-net behind the DWC2 controller).
# Rebuilds only when an input changed. Prints the directory.
#   bench/linux-guest/build.sh [virt|rpi3]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
UK_CACHE=${UK_CACHE:-/var/cache/uk}
board=${1:-virt}
out=$UK_CACHE/linux-guest/$board
CC=${CROSS_CC:-aarch64-linux-gnu-gcc}

die() {
	echo "linux-guest: $*" >&2
	exit 1
}
for t in "$CC" aarch64-linux-gnu-strip aarch64-linux-gnu-readelf cpio gzip dpkg-deb sha256sum; do
	command -v "$t" >/dev/null || die "$t is missing (./install.sh installs it)"
done

# The driver modules, in the order /init loads them (each after the ones it depends on;
# Debian builds all of them as modules). DESIGN.md has the lists as checked.
case $board in
virt) modules="virtio_mmio failover net_failover virtio_net" ;;
rpi3) modules="usb-common usbcore phy-generic roles udc-core dwc2 mii usbnet cdc_ether" ;;
*) die "unknown board '$board' (virt or rpi3)" ;;
esac

newest() { # newest .deb of package $1 for arm64 in debs/
	find "$UK_CACHE/debs" -maxdepth 1 -name "$1_*_arm64.deb" 2>/dev/null | sort -V | tail -n 1
}
deb=$(find "$UK_CACHE/debs" -maxdepth 1 -name 'linux-image-*-arm64_*_arm64.deb' 2>/dev/null |
	sort | tail -n 1)
# install.sh keeps it there (it gives the Pi device trees too).
[ -n "$deb" ] || die "no linux-image-*-arm64 .deb in $UK_CACHE/debs: run ./install.sh"
userland=()
for p in iperf libc6 libgcc-s1 libstdc++6; do
	d=$(newest "$p")
	[ -n "$d" ] || die "no $p arm64 .deb in $UK_CACHE/debs: run ./install.sh"
	userland+=("$d")
done

# The stamp names every input, so a changed source or package rebuilds the guest.
sum=$(cat "$here/init.c" "$top/examples/udp-echo/main.c" "$top/examples/http-server/main.c" \
	"$top/examples/tcp-echo/main.c" "$top/bench/latency-loop.c" "$0" | sha256sum | cut -c1-16)
stamp="$sum $board $(basename -a "$deb" "${userland[@]}" | tr '\n' ' ')"
if [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$stamp" ] && [ -f "$out/vmlinuz" ] &&
	[ -f "$out/initramfs.cpio.gz" ] && [ -f "$out/iperf.cpio.gz" ]; then
	echo "$out"
	exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$deb" "$work/deb"
mkdir -p "$work/root/modules" "$work/root/dev" "$out"

# /init loads them in name order.
i=1
for m in $modules; do
	f=$(find "$work/deb/lib/modules" -name "$m.ko*" | head -n 1)
	[ -n "$f" ] || die "module $m is not in $(basename "$deb")"
	n=$(printf '%02d-%s.ko' "$i" "$m")
	case $f in
	*.xz) xz -dc "$f" >"$work/root/modules/$n" ;; # finit_module then needs no flag
	*.zst) zstd -qdc "$f" >"$work/root/modules/$n" ;;
	*) cp "$f" "$work/root/modules/$n" ;;
	esac
	i=$((i + 1))
done

"$CC" -static -O2 -Wall -Wextra "$here/init.c" -o "$work/root/init"
"$CC" -static -O2 -Wall -Wextra "$top/examples/udp-echo/main.c" -o "$work/root/udp-echo"
"$CC" -static -O2 -Wall -Wextra "$top/examples/http-server/main.c" -o "$work/root/http-server"
aarch64-linux-gnu-strip "$work/root/init" "$work/root/udp-echo" "$work/root/http-server"

# cpio_of DIR FILE: a newc archive (the format the kernel unpacks); sorted names and fixed
# dates give the same bytes for the same inputs.
cpio_of() {
	find "$1" -exec touch -h -d @0 {} +
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -9n >"$2"
}
cpio_of "$work/root" "$work/initramfs.cpio.gz"

# iperf: Debian's arm64 binary, its ELF interpreter and every library it needs (followed
# through DT_NEEDED), where Debian's ld.so looks without an ld.so.cache.
for d in "${userland[@]}"; do
	dpkg-deb -x "$d" "$work/arm64"
done
mkdir -p "$work/extra/usr/bin" "$work/extra/lib/aarch64-linux-gnu"
"$CC" -static -O2 -Wall -Wextra "$top/examples/tcp-echo/main.c" -o "$work/extra/tcp-echo"
"$CC" -static -O2 -Wall -Wextra "$top/bench/latency-loop.c" -o "$work/extra/latency-loop"
aarch64-linux-gnu-strip "$work/extra/tcp-echo" "$work/extra/latency-loop"
cp "$work/arm64/usr/bin/iperf" "$work/extra/usr/bin/iperf"
interp=$(aarch64-linux-gnu-readelf -l "$work/extra/usr/bin/iperf" |
	sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
[ "$interp" = /lib/ld-linux-aarch64.so.1 ] || die "iperf wants the interpreter '$interp'"
cp -L "$work/arm64/lib/ld-linux-aarch64.so.1" "$work/extra/lib/ld-linux-aarch64.so.1"
todo=("$work/extra/usr/bin/iperf")
while [ ${#todo[@]} -gt 0 ]; do
	elf=${todo[0]}
	todo=("${todo[@]:1}")
	for lib in $(aarch64-linux-gnu-readelf -d "$elf" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		[ "$lib" = ld-linux-aarch64.so.1 ] && continue
		dst=$work/extra/lib/aarch64-linux-gnu/$lib
		[ -e "$dst" ] && continue
		src=$(find "$work/arm64/lib/aarch64-linux-gnu" "$work/arm64/usr/lib/aarch64-linux-gnu" \
			-name "$lib" 2>/dev/null | head -n 1)
		[ -n "$src" ] || die "iperf needs $lib, which no fetched .deb has"
		cp -L "$src" "$dst"
		todo+=("$dst")
	done
done
cpio_of "$work/extra" "$work/extra.cpio.gz"
# The kernel unpacks concatenated archives one after the other.
cat "$work/initramfs.cpio.gz" "$work/extra.cpio.gz" >"$work/iperf.cpio.gz"

cp "$(find "$work/deb/boot" -name 'vmlinuz-*' | head -n 1)" "$work/vmlinuz"
mv "$work/vmlinuz" "$work/initramfs.cpio.gz" "$work/iperf.cpio.gz" "$out/"
echo "$stamp" >"$out/stamp"
echo "$out"
