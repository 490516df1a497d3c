#!/usr/bin/env bash
# install.sh: set up everything uk needs on Debian 12 (bookworm), then build
# and install uk. Idempotent: run it again at any time.
#
#   ./install.sh              # as root: packages, sources, firmware, build, install
#   PREFIX=/opt/uk ./install.sh
#
# Every dependency comes from Debian's registry. Third-party sources (lwIP,
# libfdt) and the Pi firmware are downloaded from Debian into UK_CACHE through a
# project-local apt state, so the machine's own apt configuration gains only
# the bookworm-backports line (needed for QEMU 10, which has raspi4b).
set -euo pipefail

PREFIX=${PREFIX:-/usr/local}
UK_CACHE=${UK_CACHE:-/var/cache/uk}
MIRROR=${UK_DEBIAN_MIRROR:-http://deb.debian.org/debian}
here=$(cd "$(dirname "$0")" && pwd)

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() {
	printf 'install.sh: error: %s\n' "$*" >&2
	exit 1
}

# --- the system we can handle -------------------------------------------------
[ "$(id -u)" = 0 ] || die "run as root (it installs Debian packages): sudo ./install.sh"
[ -r /etc/os-release ] || die "cannot read /etc/os-release; uk installs on Debian 12 (bookworm) only"
. /etc/os-release
[ "${ID:-}" = debian ] && [ "${VERSION_CODENAME:-}" = bookworm ] ||
	die "this is ${PRETTY_NAME:-an unknown system}; uk installs on Debian 12 (bookworm) only"
[ "$(dpkg --print-architecture)" = amd64 ] || [ "$(dpkg --print-architecture)" = arm64 ] ||
	die "unsupported host architecture $(dpkg --print-architecture) (amd64 or arm64 needed)"

# --- packages -----------------------------------------------------------------
backports=/etc/apt/sources.list.d/uk-bookworm-backports.sources
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	say "adding bookworm-backports (QEMU 10 with raspi4b)"
	cat >"$backports" <<SRC
Types: deb
URIs: $MIRROR
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi

packages=(
	make gcc libc6-dev pkg-config xz-utils
	libc6-dev-arm64-cross cpio iproute2
	gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu picolibc-aarch64-linux-gnu
	libyaml-dev libarchive-dev libjansson-dev libcsv-dev
	mtools dosfstools fdisk
	bats bats-assert bats-support inotify-tools iproute2 curl
	gdb-multiarch
	iperf mosquitto mosquitto-clients dnsmasq-base iputils-ping jq
	# ab: the HTTP load test (tests/net-apps.bats) and its bench row (bench/net.sh)
	apache2-utils
	# tests/fuzz: clang with ASan/UBSan; libFuzzer's runtime is in libclang-rt-14-dev, which
	# clang only recommends; dtc compiles the device-tree seeds
	clang libclang-rt-14-dev device-tree-compiler
)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
qemu_ok() {
	command -v qemu-system-aarch64 >/dev/null &&
		qemu-system-aarch64 -machine help 2>/dev/null | grep -q '^raspi4b'
}
if [ ${#missing[@]} -gt 0 ] || ! qemu_ok; then
	say "installing Debian packages"
	apt-get update -q
	export DEBIAN_FRONTEND=noninteractive
	[ ${#missing[@]} -eq 0 ] || apt-get install -y -q --no-install-recommends "${missing[@]}"
	qemu_ok || apt-get install -y -q --no-install-recommends -t bookworm-backports qemu-system-arm
fi
qemu_ok || die "qemu-system-aarch64 with the raspi4b machine is missing after install"

# --- third-party sources and firmware, through a project-local apt state --------
say "fetching sources and firmware into $UK_CACHE"
mkdir -p "$UK_CACHE/apt/lists/partial" "$UK_CACHE/apt/archives/partial" "$UK_CACHE/debs" "$UK_CACHE/src"
cat >"$UK_CACHE/apt/sources.list" <<SRC
deb [arch=amd64,arm64] $MIRROR bookworm main non-free-firmware
deb-src $MIRROR bookworm main
deb-src $MIRROR trixie main
SRC
apt_local=(-o Dir::Etc::SourceList="$UK_CACHE/apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent
	-o Dir::State::Lists="$UK_CACHE/apt/lists" -o Dir::Cache="$UK_CACHE/apt"
	-o Dir::State::status=/var/lib/dpkg/status -o APT::Architectures::=amd64 -o APT::Architectures::=arm64
	-o Debug::NoLocking=1 -q)
stamp="$UK_CACHE/apt/lists/.updated"
if [ ! -e "$stamp" ] || [ -n "$(find "$stamp" -mtime +7)" ]; then
	apt-get "${apt_local[@]}" update >/dev/null
	touch "$stamp"
fi

# fetch_source PKG UPSTREAM: unpack the newest Debian source package PKG whose
# upstream version starts with UPSTREAM under src/PKG (once).
fetch_source() {
	local pkg=$1 want=$2 dir="$UK_CACHE/src/$1" ver
	[ -e "$dir/.done" ] && return 0
	ver=$(apt-cache "${apt_local[@]}" showsrc "$pkg" | sed -n 's/^Version: //p' |
		grep -E "^([0-9]+:)?$want" | sort -V | tail -n1)
	[ -n "$ver" ] || die "Debian has no source package $pkg $want on $MIRROR"
	rm -rf "$dir" && mkdir -p "$dir"
	# Only the upstream tarball is needed (we build it unpatched); apt-helper
	# checks it against the hash in Debian's signed Sources index.
	local uri file hash
	read -r uri file _ hash < <(apt-get "${apt_local[@]}" source --print-uris "$pkg=$ver" |
		grep "\.orig\.tar\." | head -n1)
	[ -n "${file:-}" ] || die "no upstream tarball listed for $pkg $ver"
	/usr/lib/apt/apt-helper download-file "${uri//\'/}" "$dir/$file" "$hash" >/dev/null ||
		die "could not download $file from $MIRROR"
	tar -xf "$dir/$file" -C "$dir"
	local tree
	tree=$(find "$dir" -mindepth 1 -maxdepth 1 -type d | head -n1)
	ln -sfn "$(basename "$tree")" "$dir/tree"
	echo "$ver" >"$dir/version"
	touch "$dir/.done"
}
# fetch_deb PKG [ARCH]: download a binary package into debs/ (once).
fetch_deb() {
	local pkg=$1 arch=${2:-}
	ls "$UK_CACHE/debs/${pkg}_"*"_${arch:-all}.deb" >/dev/null 2>&1 && return 0
	(cd "$UK_CACHE/debs" && apt-get "${apt_local[@]}" download "$pkg${arch:+:$arch}" >/dev/null) ||
		die "could not download the Debian package $pkg${arch:+:$arch}"
}
fetch_source lwip 2.1.3
# mbed TLS 2.28 (bookworm's): the CTR_DRBG behind uk_random and the SHA-256 of TCP sequence
# numbers (runtime/kernel/mbedtls_config.h lists the few files the runtime builds).
fetch_source mbedtls 2.28
# File systems: FatFs (lib/oofatfs) for /boot and littlefs (lib/littlefs) for /data, from
# Debian's micropython source (trixie; only those two folders are built).
fetch_source micropython 1.25
# Unmodified programs for tests/programs.bats (bookworm's): zlib's minigzip, bzip2, Lua's
# interpreter; built from these sources by uk build and by the host's compiler, compared.
fetch_source zlib 1.2.13
fetch_source bzip2 1.0.8-5
fetch_source lua5.4 5.4.4
# bookworm's dtc 1.6.1 tarball is not served by every mirror; libfdt's API is
# stable, so take trixie's 1.7.2 source.
fetch_source device-tree-compiler 1.7
fetch_deb raspi-firmware
# The Pi device trees ship in Debian's arm64 kernel package (large: cached).
kpkg=$(apt-cache "${apt_local[@]}" depends linux-image-arm64:arm64 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-image-[0-9][^:]*\).*/\1/p' | head -n1)
[ -n "$kpkg" ] || die "cannot resolve the package behind linux-image-arm64:arm64"
fetch_deb "$kpkg" arm64
# The board device trees uk puts on the boot partition (one per board: images/*/layout.conf
# BOARD_DTB) and gives QEMU's raspi machines. Each file is checked, not only the stamp, so a
# cache filled by an older install.sh that took fewer trees gets the new ones.
mapfile -t dtbs < <(sed -n 's/^BOARD_DTB *= *//p' "$here"/images/*/layout.conf | tr ' ' '\n' | grep .)
dtb_missing=0
for d in "${dtbs[@]}"; do
	[ -s "$UK_CACHE/dtb/$d" ] || dtb_missing=1
done
if [ ! -e "$UK_CACHE/dtb/.done" ] || [ $dtb_missing = 1 ]; then
	rm -rf "$UK_CACHE/dtb" && mkdir -p "$UK_CACHE/dtb"
	dpkg-deb --fsys-tarfile "$UK_CACHE/debs/${kpkg}_"*.deb |
		tar -x -C "$UK_CACHE/dtb" --strip-components=5 --wildcards \
			"${dtbs[@]/#/./usr/lib/linux-image-*/broadcom/}"
	for d in "${dtbs[@]}"; do
		[ -s "$UK_CACHE/dtb/$d" ] || die "$kpkg has no broadcom/$d"
	done
	echo "$kpkg" >"$UK_CACHE/dtb/source"
	touch "$UK_CACHE/dtb/.done"
fi

# The Linux guests of bench/ run Debian's own arm64 iperf 2 server: the program and the
# shared libraries it loads (bench/linux-guest/build.sh copies them into the initramfs).
for p in iperf libc6 libgcc-s1 libstdc++6; do
	fetch_deb "$p" arm64
done

# --- build and install ------------------------------------------------------------
say "building uk"
make -C "$here" -j"$(nproc)" UK_CACHE="$UK_CACHE"
say "installing uk into $PREFIX"
make -C "$here" install PREFIX="$PREFIX" UK_CACHE="$UK_CACHE"
say "done: try 'uk --help'"
