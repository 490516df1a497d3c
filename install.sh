#!/usr/bin/env bash
# install.sh: set up everything uk needs on Debian 12 (bookworm), then build
# and install uk. Idempotent: run it again at any time.
#
#   ./install.sh              # as root: packages, sources, firmware, build, install
#   PREFIX=/opt/uk ./install.sh
#
# Every dependency comes from Debian's registry. Third-party sources (lwIP, libfdt,
# mbed TLS, micropython's file systems) and the Pi firmware are downloaded from Debian into
# UK_CACHE through a project-local apt state that trusts only Debian's archive key; the
# sources get Debian's own patches (see fetch_source). The machine's apt configuration
# gains only the bookworm-backports line (needed for QEMU 10, which has raspi4b).
#
# Which server: the machine's own apt sources (/etc/apt/sources.list and
# /etc/apt/sources.list.d/, one-line or deb822), so a local mirror or a proxy keeps being
# used; apt's own settings (Acquire::http::Proxy in /etc/apt/apt.conf.d) apply too.
# UK_DEBIAN_MIRROR (the debian archive) and UK_DEBIAN_SECURITY_MIRROR (its security
# archive) override what the machine's sources say.
set -euo pipefail

PREFIX=${PREFIX:-/usr/local}
UK_CACHE=${UK_CACHE:-/var/cache/uk}
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

# --- the machine's Debian archives --------------------------------------------------
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
backports=/etc/apt/sources.list.d/uk-bookworm-backports.sources

# machine_sources: one line "SUITE URI SIGNED-BY COMPONENTS" for every enabled deb or
# deb-src entry of the machine's apt sources, in apt's order (sources.list, then
# sources.list.d/ by name); SIGNED-BY is - when the entry names no key. uk's own
# backports file is left out: it is derived from the others.
machine_sources() {
	local sl sp f
	eval "$(apt-config shell sl Dir::Etc::sourcelist/f sp Dir::Etc::sourceparts/d)"
	for f in "$sl" "${sp%/}"/*.list "${sp%/}"/*.sources; do
		[ -f "$f" ] && [ "$f" != "$backports" ] || continue
		case $f in
		*.sources) # deb822: paragraphs of "Field: value", continuation lines indented
			awk '
			function flush(  nt, nu, ns, T, U, S, t, u, s, sb, comps) {
				if (tolower(F["enabled"]) !~ /no/ && F["types"] != "") {
					sb = F["signed-by"]; sub(/^[ \t]+/, "", sb); sub(/[ \t].*/, "", sb)
					if (sb == "") sb = "-"; else if (sb ~ /^-----BEGIN/) sb = "inline"
					comps = F["components"]; gsub(/^[ \t]+|[ \t]+$/, "", comps); gsub(/[ \t]+/, ",", comps)
					nt = split(F["types"], T); nu = split(F["uris"], U); ns = split(F["suites"], S)
					for (t = 1; t <= nt; t++) if (T[t] ~ /^deb(-src)?$/)
						for (u = 1; u <= nu; u++) for (s = 1; s <= ns; s++)
							print S[s], U[u], sb, (comps == "" ? "-" : comps)
				}
				delete F; key = ""
			}
			/^#/ { next }
			/^[ \t]*$/ { flush(); next }
			/^[ \t]/ { if (key != "") F[key] = F[key] " " $0; next }
			{ i = index($0, ":"); key = tolower(substr($0, 1, i - 1)); F[key] = substr($0, i + 1) }
			END { flush() }' "$f"
			;;
		*) # one-line: deb [options] URI SUITE COMPONENT...
			sed 's/#.*//' "$f" | awk '
			{
				opts = ""
				if (match($0, /\[[^]]*\]/)) {
					opts = substr($0, RSTART + 1, RLENGTH - 2)
					$0 = substr($0, 1, RSTART - 1) " " substr($0, RSTART + RLENGTH)
				}
				if ($1 !~ /^deb(-src)?$/ || NF < 3) next
				sb = "-"
				if (match(opts, /signed-by=[^ \t]+/)) sb = substr(opts, RSTART + 10, RLENGTH - 10)
				comps = ""
				for (i = 4; i <= NF; i++) comps = comps (comps == "" ? "" : ",") $i
				print $3, $2, sb, (comps == "" ? "-" : comps)
			}'
			;;
		esac
	done
}
# archive_uri SUITE: the first of the machine's sources for SUITE that looks like Debian's
# archive (component main; no key, or Debian's archive keyring), without a trailing slash.
archive_uri() {
	machine_sources | awk -v suite="$1" '
		$1 == suite && $2 !~ /^cdrom:/ && ("," $4 ",") ~ /,main,/ &&
		($3 == "-" || $3 ~ /\/debian-archive-[^\/]*$/) && !found { found = 1; sub(/\/+$/, "", $2); print $2 }'
}
MIRROR=${UK_DEBIAN_MIRROR:-$(archive_uri bookworm)}
[ -n "$MIRROR" ] || die "the machine's apt sources (/etc/apt/sources.list, /etc/apt/sources.list.d/) name no \
Debian archive for bookworm (an enabled entry for suite bookworm, component main, signed by Debian's \
archive key or by no key). Configure the mirror you use there, e.g. /etc/apt/sources.list.d/debian.sources \
with 'Types: deb', 'URIs: <your Debian mirror>', 'Suites: bookworm bookworm-updates', 'Components: main', \
'Signed-By: $keyring', or run with UK_DEBIAN_MIRROR=<your Debian mirror>"
SECURITY=${UK_DEBIAN_SECURITY_MIRROR:-$(archive_uri bookworm-security)}
[ -n "$SECURITY" ] || say "warning: the machine's apt sources have no bookworm-security entry, so the \
sources and packages uk downloads get no security updates; add one (suite bookworm-security on your \
mirror of Debian's security archive) or set UK_DEBIAN_SECURITY_MIRROR"

# --- packages -----------------------------------------------------------------
# QEMU 10 (raspi4b) is in bookworm-backports: a machine whose sources lack it gets uk's own
# file, on the machine's Debian archive (rewritten if that archive changes).
backports_src="Types: deb
URIs: $MIRROR
Suites: bookworm-backports
Components: main
Signed-By: $keyring"
if [ -e "$backports" ] || ! machine_sources | awk '$1 == "bookworm-backports" { n++ } END { exit !n }'; then
	if [ "$(cat "$backports" 2>/dev/null)" != "$backports_src" ]; then
		say "adding bookworm-backports (QEMU 10 with raspi4b) from $MIRROR"
		printf '%s\n' "$backports_src" >"$backports"
	fi
fi

packages=(
	make gcc libc6-dev pkg-config xz-utils
	# install.sh itself: Debian's archive key (the only key its apt state trusts) and patch
	# (Debian's patch series of the sources it downloads)
	debian-archive-keyring patch
	libc6-dev-arm64-cross cpio iproute2
	gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu picolibc-aarch64-linux-gnu
	libyaml-dev libarchive-dev libjansson-dev libcsv-dev libssl-dev
	# libfdisk: the card's partition table, written and read as util-linux's fdisk does
	libfdisk-dev
	# libxml2: sdcard.img.bmap, bmaptool's XML; bmap-tools: tests/cli/bmap.bats flashes a uk
	# card with Debian's bmaptool
	libxml2-dev bmap-tools
	mtools dosfstools fdisk
	bats bats-assert bats-support inotify-tools iproute2 curl
	gdb-multiarch
	iperf mosquitto mosquitto-clients dnsmasq-base iputils-ping jq
	# the libraries of chronyd, the NTP server of tests/time.bats (taken from chrony's .deb,
	# not installed: the package would replace the host's own time service)
	libcap2 libedit2 libgnutls30 libnettle8 libseccomp2
	# tests/tls.bats: openssl makes its certificates and serves TLS; python3 speaks QMP and
	# checks downloads (tests/tools/qmp.py)
	openssl python3
	# tests/cli/schema.bats: manifests/uk.schema.json against uk build's own checks
	python3-jsonschema python3-yaml
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
# Only Debian's archive key is trusted here (signed-by), not every key the machine trusts.
# bookworm gives the binary packages (firmware, kernel for the device trees, the bench
# guests' iperf) and the sources of lwIP and mbed TLS; trixie the sources of micropython and
# dtc; each with its security suite, so a security update is what gets downloaded.
sign="signed-by=$keyring"
apt_sources="deb [arch=amd64,arm64 $sign] $MIRROR bookworm main non-free-firmware
deb-src [$sign] $MIRROR bookworm main
deb-src [$sign] $MIRROR trixie main"
[ -z "$SECURITY" ] || apt_sources+="
deb [arch=amd64,arm64 $sign] $SECURITY bookworm-security main non-free-firmware
deb-src [$sign] $SECURITY bookworm-security main
deb-src [$sign] $SECURITY trixie-security main"
stamp="$UK_CACHE/apt/lists/.updated"
if [ "$(cat "$UK_CACHE/apt/sources.list" 2>/dev/null)" != "$apt_sources" ]; then
	printf '%s\n' "$apt_sources" >"$UK_CACHE/apt/sources.list"
	rm -f "$stamp" # other sources: read their indexes now
fi
# The local state replaces only the source list, the index and archive folders and dpkg's
# status; everything else (/etc/apt/apt.conf.d: proxies, retries, ...) is the machine's.
apt_local=(-o Dir::Etc::SourceList="$UK_CACHE/apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent
	-o Dir::State::Lists="$UK_CACHE/apt/lists" -o Dir::Cache="$UK_CACHE/apt"
	-o Dir::State::status=/var/lib/dpkg/status -o APT::Architectures::=amd64 -o APT::Architectures::=arm64
	-o Debug::NoLocking=1 -q)
if [ ! -e "$stamp" ] || [ -n "$(find "$stamp" -mtime +7)" ]; then
	apt-get "${apt_local[@]}" --error-on=any update >/dev/null ||
		die "cannot read Debian's indexes from $MIRROR${SECURITY:+ and $SECURITY} (the list is $UK_CACHE/apt/sources.list; \
the servers come from the machine's apt sources, or UK_DEBIAN_MIRROR and UK_DEBIAN_SECURITY_MIRROR)"
	touch "$stamp"
fi

# have_file FILE HASH: FILE exists and has HASH (apt's "SHA256:..." form).
have_file() {
	local sum
	[ -f "$1" ] || return 1
	case $2 in
	SHA256:*) sum=$(sha256sum "$1") ;;
	SHA512:*) sum=$(sha512sum "$1") ;;
	*) return 1 ;;
	esac
	[ "${sum%% *}" = "${2#*:}" ]
}
# get_file URI FILE HASH: download FILE (once); apt-helper checks it against HASH, taken from
# Debian's signed index, and uses the machine's apt configuration (proxies included).
get_file() {
	have_file "$2" "$3" && return 0
	rm -f "$2"
	/usr/lib/apt/apt-helper download-file "$1" "$2" "$3" >/dev/null 2>&1
}

# fetch_source PKG UPSTREAM [skip=PATCH,...] [debian=optional]: unpack the newest Debian
# source package PKG whose version starts with UPSTREAM under src/PKG, with Debian's patch
# series applied (patch -p1, in the order of debian/patches/series) except the patches named
# in skip= (each with its reason at the call). Both tarballs are checked against the hashes
# in Debian's signed Sources index. src/PKG/stamp records the version and the patching; a
# tree whose stamp differs (an older Debian revision, a security update, or a cache unpacked
# unpatched by an older install.sh) is unpacked again. If the mirror does not serve the
# newest version's files, the next older version is taken, with a warning (and the newest is
# tried again on the next run). debian=optional: if the mirror does not serve the Debian
# tarball, build the upstream tree unpatched, say so, and try again on the next run.
fetch_source() {
	local pkg=$1 want=$2 skip='' optional=0 opt
	shift 2
	for opt; do
		case $opt in
		skip=*) skip=${opt#skip=} ;;
		debian=optional) optional=1 ;;
		*) die "fetch_source: unknown option $opt" ;;
		esac
	done
	local dir="$UK_CACHE/src/$pkg" vers ver have
	mapfile -t vers < <(apt-cache "${apt_local[@]}" showsrc "$pkg" | sed -n 's/^Version: //p' |
		grep -E "^([0-9]+:)?$want" | sort -Vru)
	[ ${#vers[@]} -gt 0 ] || die "Debian has no source package $pkg $want on $MIRROR"
	have=$(cat "$dir/stamp" 2>/dev/null || true)
	for ver in "${vers[@]}"; do
		if [ "$have" = "$ver unpatched" ] && [ $optional = 1 ]; then
			unpack_source "$ver" retry || true # unpatched tree kept unless its Debian tarball is there now
			have="$ver patched${skip:+ except $skip}"
		fi
		if [ "$have" = "$ver patched${skip:+ except $skip}" ] || unpack_source "$ver"; then
			[ "$ver" = "${vers[0]}" ] ||
				say "warning: keeping $pkg $ver: the mirror does not serve ${vers[0]} (tried again on the next run)"
			return 0
		fi
		say "warning: the mirror does not serve the files of $pkg $ver"
	done
	die "no version of Debian's source package $pkg $want could be downloaded (see the warnings above)"
}
# unpack_source VERSION [retry], with fetch_source's variables: download and unpack; status 1
# if the mirror does not serve the files (nothing changed then). retry: only if the Debian
# tarball (missing last time) is there now.
unpack_source() {
	local ver=$1 retry=${2:-} uri file hash orig='' orig_uri='' orig_hash='' deb='' deb_uri='' deb_hash=''
	while read -r uri file _ hash; do
		case $file in
		*.orig.tar.*) orig=$file orig_uri=${uri//\'/} orig_hash=$hash ;;
		*.debian.tar.*) deb=$file deb_uri=${uri//\'/} deb_hash=$hash ;;
		esac
	done < <(apt-get "${apt_local[@]}" source --print-uris "$pkg=$ver" 2>/dev/null | grep "^'")
	[ -n "$orig" ] || die "no upstream tarball listed for $pkg $ver"
	[ -n "$deb" ] || die "no Debian tarball (3.0 quilt) listed for $pkg $ver"
	mkdir -p "$dir"
	local patched=1
	if ! get_file "$deb_uri" "$dir/$deb" "$deb_hash"; then
		[ $optional = 1 ] || return 1
		patched=0
		if [ -n "$retry" ]; then
			say "note: $pkg $ver stays without Debian's patches: the mirror still lacks $deb_uri"
			return 1
		fi
	fi
	get_file "$orig_uri" "$dir/$orig" "$orig_hash" || return 1
	if [ $patched = 1 ]; then
		say "unpacking $pkg $ver with Debian's patches${skip:+ except $skip}"
	else
		say "warning: the mirror lacks $deb_uri: building $pkg $ver without Debian's patches (tried again on the next run)"
	fi
	# --touch: files dated now, so whatever was built from the old tree is built again.
	local work="$dir/.unpack" top
	rm -rf "$work" && mkdir -p "$work"
	tar --touch -xf "$dir/$orig" -C "$work"
	top=$(find "$work" -mindepth 1 -maxdepth 1)
	[ "$(printf '%s\n' "$top" | wc -l)" = 1 ] && [ -d "$top" ] || die "$orig does not unpack into one folder"
	local applied=() name opts p
	if [ $patched = 1 ]; then
		tar --touch -xf "$dir/$deb" -C "$top"
		if [ -f "$top/debian/patches/series" ]; then
			while read -r name opts; do
				[ -n "$name" ] || continue
				case ",$skip," in *",$name,"*) continue ;; esac
				p=-p1
				[[ $opts =~ -p[0-9]+ ]] && p=${BASH_REMATCH[0]}
				patch -d "$top" "$p" --batch --forward --quiet --no-backup-if-mismatch \
					-i "debian/patches/$name" >/dev/null ||
					die "Debian's patch $name does not apply to $pkg $ver"
				applied+=("$name")
			done < <(sed 's/#.*//' "$top/debian/patches/series")
		fi
	fi
	# Swap the new tree in for the old one (same name or not).
	find "$dir" -mindepth 1 -maxdepth 1 -type d ! -name .unpack -exec rm -rf {} +
	mv "$top" "$dir/"
	rmdir "$work"
	ln -sfn "$(basename "$top")" "$dir/tree"
	echo "$ver" >"$dir/version"
	printf '%s\n' ${applied[@]+"${applied[@]}"} >"$dir/patches"
	if [ $patched = 1 ]; then
		echo "$ver patched${skip:+ except $skip}" >"$dir/stamp"
	else
		echo "$ver unpatched" >"$dir/stamp"
	fi
	touch "$dir/.done"
	# Older tarballs of this package are not needed again.
	find "$dir" -maxdepth 1 -type f -name "${pkg}_*.tar.*" ! -name "$orig" ! -name "$deb" -delete
}
# fetch_debs PKG[:ARCH]...: download the candidate version of each binary package into debs/,
# unless that exact file is there; older versions of the package go (a security update
# replaces them).
fetch_debs() {
	local uri file hash
	while read -r uri file _ hash; do
		[ -f "$UK_CACHE/debs/$file" ] && continue
		get_file "${uri//\'/}" "$UK_CACHE/debs/$file" "$hash" ||
			die "could not download the Debian package $file from $MIRROR${SECURITY:+ or $SECURITY}"
		find "$UK_CACHE/debs" -maxdepth 1 -name "${file%%_*}_*_${file##*_}" ! -name "$file" -delete
	done < <(apt-get "${apt_local[@]}" download --print-uris "$@" | grep "^'")
}
# Patches not applied, and why none of them matters for uk's build of lwIP (runtime/Makefile
# builds src/core, src/api, netif/ethernet.c and three apps with uk's own port, runtime/lwip_port):
#   port         Debian's POSIX port for the Hurd (port/: sys_arch, tap and serial netifs) and
#                a change to src/api/sockets.c that takes sockaddr lengths from that port's
#                header (port/include/posix/sockets.h): uk has its own port and lwIP's own
#                socket headers, and the changed sockets.c does not build without it.
#   max_sockets  LWIP_SOCKET_OPEN_COUNT (sockets on the heap, for the Hurd); off unless a
#                port turns it on, and it patches port/include/lwipopts.h, which only port adds.
#   cmake        CMake files for Debian's liblwip.so; uk builds with its own Makefile.
# Applied: patch9350 (LWIP_SOCKET_EXTERNAL_HEADERS, off by default), patch9807
# (tcpip_callback_wait, a new function), CVE-2020-8597 (PPP's EAP; uk does not build PPP).
# A patch a later Debian revision adds (a security fix) is applied without a change here.
fetch_source lwip 2.1.3 skip=port,max_sockets,cmake
# mbed TLS 2.28 (bookworm's): the CTR_DRBG behind uk_random and the SHA-256 of TCP sequence
# numbers (runtime/kernel/mbedtls_config.h lists the few files the runtime builds). Debian's
# 2.28.3-1 has no patches (its debian/rules only turns on options in config.h for the shared
# library; uk uses its own config).
fetch_source mbedtls 2.28
# File systems: FatFs (lib/oofatfs) for /boot and littlefs (lib/littlefs) for /data, from
# Debian's micropython source (trixie; only those two folders are built). Debian's patches
# touch the unix port, the docs, py/*.mk, extmod and micropython-lib, none of the two folders;
# they are applied all the same.
fetch_source micropython 1.25
# Unmodified programs for tests/programs.bats (bookworm's): zlib's minigzip, bzip2, Lua's
# interpreter; built from these sources by uk build and by the host's compiler, compared.
fetch_source zlib 1.2.13
fetch_source bzip2 1.0.8-5
fetch_source lua5.4 5.4.4
# bookworm's dtc 1.6.1 tarballs are not served by every mirror; libfdt's API is stable, so
# take trixie's 1.7.2 source. Not every mirror serves its Debian tarball either: without it,
# libfdt is built from the upstream tarball and install.sh says so (and tries again each run).
fetch_source device-tree-compiler 1.7 debian=optional
# The Pi device trees ship in Debian's arm64 kernel package (large: cached).
kpkg=$(apt-cache "${apt_local[@]}" depends linux-image-arm64:arm64 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-image-[0-9][^:]*\).*/\1/p' | head -n1)
[ -n "$kpkg" ] || die "cannot resolve the package behind linux-image-arm64:arm64"
# The Linux guests of bench/ run Debian's own arm64 iperf 2 server: the program and the
# shared libraries it loads (bench/linux-guest/build.sh copies them into the initramfs).
fetch_debs raspi-firmware "$kpkg:arm64" iperf:arm64 libc6:arm64 libgcc-s1:arm64 libstdc++6:arm64
# tests/time.bats serves NTP with Debian's chronyd, unpacked from this host's chrony .deb into
# the test's own directory: installing the package would replace the host's time service.
fetch_debs chrony
# A kernel update (a new ABI) is a new package name: the old kernel's .deb goes.
find "$UK_CACHE/debs" -maxdepth 1 -name 'linux-image-*_arm64.deb' ! -name "${kpkg}_*" -delete
# The board device trees uk puts on the boot partition (one per board: images/*/layout.conf
# BOARD_DTB) and gives QEMU's raspi machines. Each file is checked, not only the stamp, so a
# cache filled by an older install.sh that took fewer trees gets the new ones; a new kernel
# package (a security update) gives its trees.
mapfile -t dtbs < <(sed -n 's/^BOARD_DTB *= *//p' "$here"/images/*/layout.conf | tr ' ' '\n' | grep .)
dtb_missing=0
for d in "${dtbs[@]}"; do
	[ -s "$UK_CACHE/dtb/$d" ] || dtb_missing=1
done
if [ ! -e "$UK_CACHE/dtb/.done" ] || [ $dtb_missing = 1 ] ||
	[ "$(cat "$UK_CACHE/dtb/source" 2>/dev/null)" != "$kpkg" ]; then
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

# --- build and install ------------------------------------------------------------
say "building uk"
make -C "$here" -j"$(nproc)" UK_CACHE="$UK_CACHE"
say "installing uk into $PREFIX"
make -C "$here" install PREFIX="$PREFIX" UK_CACHE="$UK_CACHE"
say "done: try 'uk --help'"
