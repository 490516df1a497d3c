#!/usr/bin/env bash
# bench/linux-guest/build.sh: the Debian arm64 Linux guest that bench/net.sh runs next to uk,
# built from Debian packages only and cached in $UK_CACHE/linux-guest:
#   vmlinuz          the kernel of linux-image-*-arm64 (the .deb install.sh keeps in debs/)
#   initramfs.cpio.gz  /init (init.c) + /udp-echo (examples/udp-echo/main.c), both static, and
#                    the virtio modules /init loads, from the same .deb
# Rebuilds only when an input changed. Prints the directory.
#   bench/linux-guest/build.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
UK_CACHE=${UK_CACHE:-/var/cache/uk}
out=$UK_CACHE/linux-guest
CC=${CROSS_CC:-aarch64-linux-gnu-gcc}

die() {
	echo "linux-guest: $*" >&2
	exit 1
}
for t in "$CC" aarch64-linux-gnu-strip cpio gzip dpkg-deb sha256sum; do
	command -v "$t" >/dev/null || die "$t is missing (./install.sh installs it)"
done

deb=$(find "$UK_CACHE/debs" -maxdepth 1 -name 'linux-image-*-arm64_*_arm64.deb' 2>/dev/null |
	sort | tail -n 1)
# install.sh keeps it there (it gives the Pi device trees too).
[ -n "$deb" ] || die "no linux-image-*-arm64 .deb in $UK_CACHE/debs: run ./install.sh"

# The stamp names every input, so a changed source or kernel rebuilds the guest.
sum=$(cat "$here/init.c" "$top/examples/udp-echo/main.c" "$0" | sha256sum | cut -c1-16)
stamp=$sum-$(basename "$deb")
if [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$stamp" ] &&
	[ -f "$out/vmlinuz" ] && [ -f "$out/initramfs.cpio.gz" ]; then
	echo "$out"
	exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$deb" "$work/deb"
mkdir -p "$work/root/modules" "$work/root/dev" "$out"

# /init loads them in name order: the order their dependencies need.
i=1
for m in virtio_mmio failover net_failover virtio_net; do
	f=$(find "$work/deb/lib/modules" -name "$m.ko*" | head -n 1)
	[ -n "$f" ] || die "module $m is not in $(basename "$deb")"
	case $f in
	*.xz) xz -dc "$f" >"$work/root/modules/$i-$m.ko" ;; # finit_module then needs no flag
	*.zst) zstd -qdc "$f" >"$work/root/modules/$i-$m.ko" ;;
	*) cp "$f" "$work/root/modules/$i-$m.ko" ;;
	esac
	i=$((i + 1))
done

"$CC" -static -O2 -Wall -Wextra "$here/init.c" -o "$work/root/init"
"$CC" -static -O2 -Wall -Wextra "$top/examples/udp-echo/main.c" -o "$work/root/udp-echo"
aarch64-linux-gnu-strip "$work/root/init" "$work/root/udp-echo"

# newc is the format the kernel unpacks; sorted names and fixed dates give the same bytes.
find "$work/root" -exec touch -h -d @0 {} +
(cd "$work/root" && find . -mindepth 1 | LC_ALL=C sort |
	cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -9n >"$work/initramfs.cpio.gz"
cp "$(find "$work/deb/boot" -name 'vmlinuz-*' | head -n 1)" "$work/vmlinuz"
mv "$work/vmlinuz" "$work/initramfs.cpio.gz" "$out/"
echo "$stamp" >"$out/stamp"
echo "$out"
