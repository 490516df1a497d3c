#!/usr/bin/env bash
# bench/net.sh: uk against a Debian arm64 Linux guest on the network (issue 4), side by side in
# the same QEMU (virt, same -m, -netdev user with hostfwd on 127.0.0.1, virtio-net-device):
#   uk runs examples/net-echo (event API); Linux runs examples/udp-echo (POSIX sockets, built
#   static) from bench/linux-guest/build.sh, plus a TCP echo in its /init. Both take the static
#   address 10.0.2.15/24 (no DHCP), the one QEMU user networking forwards to.
# Rows: QEMU start to the first answered UDP echo (median of N paired boots, 1 ms polling);
# UDP echo round trip median and p99 (10,000 datagrams of 64 bytes, after 200 warm-up ones);
# TCP echo throughput (one connection, 20 MB each way, median of 3; not iperf: lwiperf needs
# lwIP headers in the app include path, which uk does not give apps yet); image size; smallest
# -m that answers.
# Targets (issue 4): round trip <= 0.6x Linux, TCP >= 1.0x Linux, start <= 0.1x Linux, 32 MiB.
#   bench/net.sh [N]      (default N=5 boots per guest for the start row)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$top/build}
export UK_CACHE=${UK_CACHE:-/var/cache/uk}
n=${1:-5}
uk_img=$BUILD/examples/net-echo/virt/kernel8.img
mem=128M

die() {
	echo "bench/net.sh: $*" >&2
	exit 1
}
[ -f "$uk_img" ] || die "$uk_img is missing: run make first"
guest=$("$top/bench/linux-guest/build.sh") || die "cannot build the Linux guest"

work=$(mktemp -d)
pids=()
# Every QEMU this script started dies with it, whatever the way out.
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

gcc -O2 "$top/tests/tools/netprobe.c" -o "$work/netprobe"
# probe: netprobe's wait-udp polls every 200 ms, too coarse for a boot of a few ms, and its
# udp-echo cycles sizes; this one polls every millisecond and sends fixed-size datagrams.
cat >"$work/probe.c" <<'C'
#include <arpa/inet.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
static uint64_t now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}
static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}
/* Sends datagram seq and waits up to ms for its own echo (late echoes are skipped). */
static uint64_t rtt(int s, uint64_t seq, size_t size, int ms)
{
	uint8_t out[1500] = {0}, in[1500];
	memcpy(out, &seq, sizeof(seq));
	uint64_t t0 = now_us();
	send(s, out, size, 0); /* may fail with ECONNREFUSED while QEMU starts: retried */
	for (;;) {
		int left = ms * 1000 - (int)(now_us() - t0);
		struct pollfd p = {.fd = s, .events = POLLIN};
		if (left <= 0 || poll(&p, 1, (left + 999) / 1000) <= 0)
			return 0;
		ssize_t r = recv(s, in, sizeof(in), 0);
		if (r == (ssize_t)size && !memcmp(in, out, size))
			return now_us() - t0 + 1;
		if (r < 0 && now_us() - t0 < 1000)
			return 0;
	}
}
/* QEMU exited (a zombie until the script waits for it): no echo will come. */
static int alive(const char *stat)
{
	FILE *f = fopen(stat, "r");
	char state = 'Z';
	if (f && fscanf(f, "%*d (%*[^)]) %c", &state) != 1)
		state = 'Z';
	if (f)
		fclose(f);
	return state != 'Z';
}
int main(int argc, char **argv)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2]))};
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	connect(s, (struct sockaddr *)&a, sizeof(a));
	if (!strcmp(argv[1], "wait")) { /* wait PORT SECONDS QEMU_PID */
		uint64_t end = now_us() + 1000000u * atoi(argv[3]);
		char stat[64];
	snprintf(stat, sizeof(stat), "/proc/%s/stat", argv[4]);
	for (uint64_t seq = 1; now_us() < end && alive(stat); seq++)
			if (rtt(s, seq, 4, 1))
				return 0;
		return 1;
	}
	long count = atol(argv[3]), size = atol(argv[4]), ok = 0; /* rtt PORT COUNT SIZE */
	uint64_t *v = calloc(count, sizeof(*v));
	for (long i = 0; i < 200; i++)
		rtt(s, 1u << 31 | i, size, 1000);
	for (long i = 0; i < count; i++) {
		uint64_t t = rtt(s, i, size, 1000);
		if (t)
			v[ok++] = t - 1;
	}
	qsort(v, ok, sizeof(*v), cmp);
	if (ok)
		printf("%llu %llu %ld\n", (unsigned long long)v[ok / 2],
		       (unsigned long long)v[ok * 99 / 100], count - ok);
	return ok ? 0 : 1;
}
C
gcc -O2 "$work/probe.c" -o "$work/probe"

# free_port: a port nobody listens on, TCP or UDP (tests may run at the same time).
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 30000))
		[ -z "$(ss -Hlntu "sport = :$p")" ] && echo "$p" && return
	done
}

# start GUEST MEM: boots uk or linux in the background; sets pid, uport, tport, t0 (ns).
start() {
	local args
	uport=$(free_port) tport=$(free_port)
	# shellcheck disable=SC2054 # the commas are QEMU's
	args=(-M virt,gic-version=2 -cpu cortex-a72 -nic none -m "$2" -display none -monitor none
		-serial "file:$work/$1.console" -no-reboot -semihosting-config enable=on,target=native
		-netdev "user,id=n0,hostfwd=udp:127.0.0.1:$uport-:7,hostfwd=tcp:127.0.0.1:$tport-:7"
		-device virtio-net-device,netdev=n0)
	if [ "$1" = uk ]; then
		args+=(-kernel "$uk_img" -append "uk.qemu=1 net.ip=10.0.2.15/24 net.gateway=10.0.2.2")
	else
		args+=(-kernel "$guest/vmlinuz" -initrd "$guest/initramfs.cpio.gz"
			-append "console=ttyAMA0 quiet panic=-1")
	fi
	t0=$(date +%s%N)
	qemu-system-aarch64 "${args[@]}" </dev/null >"$work/$1.qemu" 2>&1 &
	pid=$!
	pids+=("$pid")
}
stop() {
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# up GUEST MEM SECONDS: boots; sets ms from QEMU start to the first echo; fails if none.
# (Not run in $(...): pid and pids must reach this shell.)
up() {
	start "$1" "$2"
	if ! "$work/probe" wait "$uport" "$3" "$pid"; then
		stop
		return 1
	fi
	ms=$((($(date +%s%N) - t0) / 1000000))
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# min_mem GUEST SECONDS: sets minm[GUEST], the smallest -m (MiB) that answers an echo, by
# bisection.
min_mem() {
	local lo=1 hi=128 mid
	while [ "$lo" -lt "$hi" ]; do
		mid=$(((lo + hi) / 2))
		if up "$1" "${mid}M" "$2"; then
			stop
			hi=$mid
		else
			lo=$((mid + 1))
		fi
	done
	minm[$1]=$lo
}

declare -A start_ms rtt_med rtt_p99 tcp size minm
echo "boot to first echo: $n paired boots" >&2
uk_t=() lx_t=()
for ((i = 0; i < n; i++)); do
	up uk $mem 10 || die "uk answered no echo in 10 s: $(cat "$work/uk.console")"
	uk_t+=("$ms")
	stop
	up linux $mem 60 || die "Linux answered no echo in 60 s: $(cat "$work/linux.console")"
	lx_t+=("$ms")
	stop
done
start_ms[uk]=$(printf '%s\n' "${uk_t[@]}" | median)
start_ms[linux]=$(printf '%s\n' "${lx_t[@]}" | median)

for g in uk linux; do
	echo "echo round trips and TCP throughput: $g" >&2
	up "$g" $mem 60 || die "$g answered no echo"
	read -r med p99 lost < <(timeout 120 "$work/probe" rtt "$uport" 10000 64) ||
		die "$g: UDP echo failed"
	[ "$lost" -lt 100 ] || die "$g lost $lost of 10000 datagrams"
	rtt_med[$g]=$med rtt_p99[$g]=$p99
	# three transfers, the median: one is at the mercy of whatever else the host runs
	rates=()
	for ((i = 0; i < 3; i++)); do
		r=$(timeout 120 "$work/netprobe" tcp-echo 127.0.0.1 "$tport" 1 20000000 |
			sed -n 's/.*: \([0-9.]*\) Mbit\/s.*/\1/p')
		[ -n "$r" ] || die "$g: TCP echo failed"
		rates+=("$r")
	done
	tcp[$g]=$(printf '%s\n' "${rates[@]}" | median)
	stop
done

echo "smallest -m" >&2
min_mem uk 5
min_mem linux 30
size[uk]=$(stat -c %s "$uk_img")
size[linux]=$(($(stat -c %s "$guest/vmlinuz") + $(stat -c %s "$guest/initramfs.cpio.gz")))

row() { # NAME UK LINUX
	awk -v n="$1" -v u="$2" -v l="$3" \
		'BEGIN { printf "%-32s %12s %12s %8.3f\n", n, u, l, (l > 0 ? u / l : 0) }'
}
printf '%-32s %12s %12s %8s\n' "virt, virtio-net, -m $mem" uk Linux uk/Linux
row "QEMU start to first echo (ms)" "${start_ms[uk]}" "${start_ms[linux]}"
row "UDP echo 64 B median (us)" "${rtt_med[uk]}" "${rtt_med[linux]}"
row "UDP echo 64 B p99 (us)" "${rtt_p99[uk]}" "${rtt_p99[linux]}"
row "TCP echo, 1 conn (Mbit/s)" "${tcp[uk]}" "${tcp[linux]}"
row "image (B)" "${size[uk]}" "${size[linux]}"
row "smallest -m (MiB)" "${minm[uk]}" "${minm[linux]}"
