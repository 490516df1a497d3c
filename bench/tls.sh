#!/usr/bin/env bash
# bench/tls.sh: HTTPS on uk against a Debian arm64 Linux guest (issue 13), on the same QEMU
# machine (virt, cortex-a72, -m 128M, virtio-net-device on QEMU user networking with the guest's
# port 443 forwarded to 127.0.0.1, virtio-rng-device) with the same program,
# bench/apps/tls/main.c, an HTTPS server:
#   uk      the app built by uk build; TLS is the runtime's uk/tls.h (runtime/net/tls.c, mbed
#           TLS 2.28 from $UK_CACHE/src/mbedtls/tree, runtime/kernel/mbedtls_config.h)
#   Linux   the program as the static /init of an initramfs, booting the kernel of Debian's
#           linux-image arm64 .deb and loading virtio_mmio, virtio-rng, failover, net_failover
#           and virtio_net from it; TLS is the same runtime/net/tls.c over the same mbed TLS
#           source, built here with aarch64-linux-gnu-gcc, the same flags uk builds it with
#           (-O2, -mcpu=cortex-a53 -mtune=cortex-a72) and the same configuration file unchanged.
#           What differs is below uk/tls.h: uk_random is the same CTR_DRBG seeded from
#           getrandom() instead of the board's RNG, mbedtls_hardware_poll is getrandom(), and
#           uk_walltime_known() is true (bench/apps/tls/linux/uk/: the two headers tls.c
#           includes; the code is in main.c under LINUX_GUEST).
# The certificate: ECDSA P-256, self-signed for uk.test, made here by openssl, compiled into both
# programs (cert.h), so neither reads a disk. The host's client checks it.
# Rows, median of N runs alternating uk and Linux, each guest booted fresh (ratios uk/Linux):
#   QEMU start to the first answered HTTPS GET (bench/apps/tls/client.py first: a new attempt
#     every 5 ms from QEMU's start), ms; target <= 0.1x
#   TLS 1.2 full handshake, ECDHE-ECDSA on P-256 (client.py handshakes: Python's ssl, the
#     host's OpenSSL; the median of 20 handshakes timed alone, each a new TCP connection and a
#     new session, after one warm-up), ms; target <= 0.8x
#   HTTPS download of 10 MiB generated in memory by the server (curl, TLS 1.2, P-256; bytes over
#     the time after the handshake), MiB/s; target >= 1.2x
#   the image of examples/https-server (uk kernel8.img as make built it); target < 512 KiB
# A missing piece prints "skipped: why" and exits 0, so make bench goes on.
#   bench/tls.sh [N]     (default N=3, or BENCH_TLS_RUNS)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
UK_CACHE=${UK_CACHE:-/var/cache/uk}
uk=$build/bin/uk
n=${1:-${BENCH_TLS_RUNS:-3}}
hs_n=${BENCH_TLS_HANDSHAKES:-20}
CC=${CROSS_CC:-aarch64-linux-gnu-gcc}
MBEDTLS=$UK_CACHE/src/mbedtls/tree
app=$top/bench/apps/tls

. "$top/bench/lib.sh" # skip, need, linux_deb, workdir, median
[ -x "$uk" ] || skip "$uk missing: run make first"
need qemu-system-aarch64 "$CC" aarch64-linux-gnu-strip cpio gzip dpkg-deb openssl curl python3
[ -f "$MBEDTLS/library/ssl_tls.c" ] || skip "no mbed TLS source in $MBEDTLS: run ./install.sh"
linux_deb

workdir

# the certificate, and cert.h with it as C strings
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=uk.test \
	-addext subjectAltName=DNS:uk.test -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null ||
	skip "openssl could not make the certificate"
cstr() { sed 's/.*/\t"&\\n"/' "$1"; }
{
	echo "/* made by bench/tls.sh: a self-signed ECDSA P-256 certificate for uk.test */"
	echo "#define CERT_PEM \\"
	cstr "$work/cert.pem" | sed 's/$/ \\/'
	echo ""
	echo "#define KEY_PEM \\"
	cstr "$work/key.pem" | sed 's/$/ \\/'
	echo ""
} >"$work/cert.h"

# uk: the app
mkdir "$work/app"
cp "$app/main.c" "$work/cert.h" "$work/app/"
printf 'name: tls-bench\nsources: [main.c]\nnetwork:\n  ip: dhcp\n' >"$work/app/uk.yaml"
"$uk" build "$work/app" --target virt >"$work/build.log" 2>&1 ||
	skip "uk build of bench/apps/tls failed: $(tail -n 3 "$work/build.log")"
ukimg=$work/app/build/virt/kernel8.img

# Linux: mbed TLS with uk's flags and configuration (the files runtime/Makefile compiles),
# runtime/net/tls.c, the program; the kernel and modules from the .deb
srcs=$(sed -n '/^mbedtls_src :=/,/[^\\]$/p' "$top/runtime/Makefile" | sed 's/mbedtls_src :=//; s/\\//g')
[ -n "$srcs" ] || skip "no mbedtls_src list in runtime/Makefile"
flags=(-std=gnu11 -O2 -mcpu=cortex-a53 -mtune=cortex-a72 -ffunction-sections -fdata-sections
	-I"$top/runtime/kernel" -I"$MBEDTLS/include" -I"$MBEDTLS/library"
	'-DMBEDTLS_CONFIG_FILE="mbedtls_config.h"')
mkdir "$work/obj"
# shellcheck disable=SC2086
printf '%s\n' $srcs | xargs -P 2 -I{} "$CC" "${flags[@]}" -w -c "$MBEDTLS/library/{}" -o "$work/obj/{}.o" ||
	skip "mbed TLS did not build for Linux"
# uk/tls.h from the runtime, its uk/random.h and uk/time.h from bench/apps/tls/linux (the
# runtime's include folder also has its own libc headers, which glibc must not meet)
mkdir -p "$work/inc/uk"
cp "$top/runtime/include/uk/tls.h" "$work/inc/uk/"
"$CC" "${flags[@]}" -Wall -Wextra -I"$app/linux" -I"$work/inc" \
	-c "$top/runtime/net/tls.c" -o "$work/obj/uk-tls.o"
mkdir -p "$work/root/modules"
"$CC" "${flags[@]}" -Wall -Wextra -DLINUX_GUEST -I"$work" -I"$app/linux" -I"$work/inc" \
	-static -Wl,--gc-sections "$app/main.c" "$work"/obj/*.o -o "$work/root/init" ||
	skip "bench/apps/tls did not build for Linux"
aarch64-linux-gnu-strip "$work/root/init"
dpkg-deb -x "$deb" "$work/deb"
i=1
for m in virtio_mmio virtio-rng failover net_failover virtio_net; do
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
(cd "$work/root" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) |
	gzip -9n >"$work/initramfs.cpio.gz"
kernel=$(find "$work/deb/boot" -name 'vmlinuz-*' | head -n 1)
[ -n "$kernel" ] || skip "no vmlinuz in $(basename "$deb")"
vmlinuz=$work/$(basename "$kernel")
mv "$kernel" "$vmlinuz"
rm -rf "$work/deb"

free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 30000))
		[ -z "$(ss -Hlnt "sport = :$p")" ] && echo "$p" && return
	done
}

# start GUEST: boots it in the background (at most 600 s) with its port 443 on $port; sets pid, t0
start() {
	# shellcheck disable=SC2054 # the commas are QEMU's
	local args=(-M virt,gic-version=2 -cpu cortex-a72 -nic none -m 128M -display none
		-monitor none -serial "file:$work/console" -no-reboot
		-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:443" -device virtio-net-device,netdev=n0
		-device virtio-rng-device)
	if [ "$1" = uk ]; then
		# shellcheck disable=SC2054
		args+=(-semihosting-config enable=on,target=native -kernel "$ukimg"
			-append "uk.qemu=1 net.ip=10.0.2.15/24 net.gateway=10.0.2.2")
	else
		args+=(-kernel "$vmlinuz" -initrd "$work/initramfs.cpio.gz"
			-append "console=ttyAMA0 quiet panic=-1")
	fi
	: >"$work/console"
	t0=$(date +%s%N)
	timeout -k 5 600 qemu-system-aarch64 "${args[@]}" </dev/null >"$work/qemu.log" 2>&1 &
	pid=$!
}
stop() {
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pid=
}
failed() { # GUEST WHAT
	echo "bench/tls.sh: $1: $2; its console ends:" >&2
	tr -d '\r' <"$work/console" | tail -n 5 >&2
	tail -n 3 "$work/qemu.log" >&2
	stop
	skip "the $1 guest failed ($2)"
}
client=$app/client.py
# the interpreter itself: a wrapper (pyenv's shim) would add its start to every call
py=$(python3 -c 'import sys; print(sys.executable)')
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<" $2"; }
med() { printf '%s\n' "$@" | median; }

declare -A first hs dl cipher
for ((k = 0; k < n; k++)); do
	for g in uk linux; do
		# the poller first, so QEMU's start is not timed against Python's
		rm -f "$work/go" "$work/go.ready"
		port=$(free_port)
		"$py" "$client" first "$port" "$work/cert.pem" 120 "$work/go" >"$work/first" &
		poller=$!
		until [ -e "$work/go.ready" ]; do
			kill -0 "$poller" 2>/dev/null || skip "bench/apps/tls/client.py did not start"
			sleep 0.01
		done
		start $g
		echo "$t0 $pid" >"$work/go.tmp" && mv "$work/go.tmp" "$work/go"
		wait "$poller" || failed $g "no HTTPS answer within 120 s"
		ms=$(cat "$work/first")
		first[$g]+="$ms "
		read -r h _ < <("$py" "$client" handshakes "$port" "$work/cert.pem" "$hs_n") ||
			failed $g "handshakes"
		hs[$g]+="$h "
		cipher[$g]=$("$py" "$client" handshakes "$port" "$work/cert.pem" 1 | awk '{ print $NF }')
		out=$(curl -sS --max-time 300 --tlsv1.2 --tls-max 1.2 --curves prime256v1 \
			--cacert "$work/cert.pem" --resolve "uk.test:$port:127.0.0.1" -o /dev/null \
			-w 'size=%{size_download} app=%{time_appconnect} total=%{time_total}' \
			"https://uk.test:$port/big") || failed $g "curl of /big"
		[ "$(field size "$out")" = 10485760 ] || failed $g "curl got $(field size "$out") bytes"
		# MiB/s in thousandths, over the time after the handshake
		d=$(awk -v s="$(field size "$out")" -v a="$(field app "$out")" \
			-v t="$(field total "$out")" 'BEGIN { printf "%d", s / 1048576 / (t - a) * 1000 }')
		dl[$g]+="$d "
		stop
		echo "run $((k + 1)) $g: first $ms ms, handshake $h us, download $d MiB/s/1000" >&2
	done
done

# row WHAT UK LINUX TARGET LOWER: ratio uk/Linux; met when <= TARGET (LOWER=1) or >= TARGET
row() {
	awk -v w="$1" -v u="$2" -v l="$3" -v t="$4" -v lo="$5" 'BEGIN {
		ratio = (l > 0 ? u / l : 0)
		met = lo ? ratio <= t : ratio >= t
		printf "%-50s %9.1f %9.1f %7.3f   %s %s: %s\n", w, u, l, ratio, (lo ? "<=" : ">="), t,
			(met ? "met" : "NOT met") }'
}
printf '%-50s %9s %9s %7s   %s\n' "virt, virtio-net, -m 128M, TLS 1.2" uk Linux ratio target
# shellcheck disable=SC2086
{
	row "QEMU start to first HTTPS 200 (ms)" "$(med ${first[uk]})" "$(med ${first[linux]})" 0.1 1
	row "full handshake, ECDHE-ECDSA P-256 (ms)" \
		"$(awk -v v="$(med ${hs[uk]})" 'BEGIN { print v / 1000 }')" \
		"$(awk -v v="$(med ${hs[linux]})" 'BEGIN { print v / 1000 }')" 0.8 1
	row "HTTPS download 10 MiB, in memory (MiB/s)" \
		"$(awk -v v="$(med ${dl[uk]})" 'BEGIN { print v / 1000 }')" \
		"$(awk -v v="$(med ${dl[linux]})" 'BEGIN { print v / 1000 }')" 1.2 0
}
hsimg=$build/examples/https-server/virt/kernel8.img
if [ -f "$hsimg" ]; then
	us=$(stat -c %s "$hsimg")
	printf '%-50s %9s %9s %7s   %s\n' "image, examples/https-server (KiB)" "$((us >> 10))" \
		"$((($(stat -c %s "$vmlinuz") + $(stat -c %s "$work/initramfs.cpio.gz")) >> 10))" "" \
		"uk < 512: $([ "$us" -lt $((512 << 10)) ] && echo met || echo "NOT met")"
else
	echo "image, examples/https-server: skipped: $hsimg missing (make builds it)"
fi
echo "(median of $n runs alternating uk and Linux, each booted fresh; handshakes: median of" \
	"$hs_n per run; cipher uk ${cipher[uk]}, Linux ${cipher[linux]}; Linux: $(basename "$vmlinuz")," \
	"image = vmlinuz + initramfs; bench app image uk $(($(stat -c %s "$ukimg") >> 10)) KiB;" \
	"per-run values: uk first ${first[uk]}ms/ handshake ${hs[uk]}us/ download ${dl[uk]};" \
	"Linux first ${first[linux]}ms/ handshake ${hs[linux]}us/ download ${dl[linux]}" \
	"(MiB/s thousandths))"
