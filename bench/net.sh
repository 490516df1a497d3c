#!/usr/bin/env bash
# bench/net.sh: uk against a Debian arm64 Linux guest on the network, side by side in the same
# QEMU machine with the same network backend (-netdev user, hostfwd on 127.0.0.1) and the same
# static address 10.0.2.15/24 (no DHCP). The Linux guest comes from bench/linux-guest/build.sh:
# Debian's arm64 kernel and driver modules, and the same C programs compiled for Linux.
#   virt (issue 4): QEMU virt, virtio-net-device, -m 128M
#   rpi3 (issue 6): QEMU raspi3b (-m 1G, its only size), usb-net on QEMU's USB hub behind the
#                   DWC2 controller (uk: its own DWC2/hub/CDC-ECM drivers; Linux: dwc2, usbnet,
#                   cdc_ether) and the bcm2837-rpi-3-b device tree
# What runs where (the like-for-like rows first: the same C source on both sides, uk's POSIX
# sockets layer against Linux's; then uk's own APIs against Linux's sockets, labelled so):
#   UDP echo, port 7         uk examples/udp-echo              Linux examples/udp-echo (same source)
#   TCP echo, port 7         uk examples/tcp-echo              Linux examples/tcp-echo (same source)
#   HTTP on port 80          uk examples/http-server           Linux examples/http-server (same source)
#   uk event API: UDP/TCP 7  uk examples/net-echo (event API)  Linux examples/udp-echo, and /init's
#                                                              blocking TCP echo (guest port 7007)
#   iperf 2 on port 5001     uk examples/iperf (lwIP lwiperf)   Linux Debian's iperf -s (arm64 package)
# The Linux guest boots with Debian's kernel defaults (init_on_alloc=1, KASLR); on raspi3b its
# work runs on one core, as uk's does (isolcpus=1-3 irqaffinity=0, see linux_args). A second
# one, "tuned Linux", adds init_on_alloc=0 nokaslr; it is measured in the like-for-like echo
# rows.
# Rows (ratios uk/Linux, all measured in this run):
#   QEMU start to the first answered UDP echo (virt, udp-echo on both) and HTTP GET: median of N
#     paired boots, bench/probe polling every millisecond (HTTP on rpi3: every 10 ms, see
#     http_poll); the first echo counts whenever it comes;
#   UDP echo round trip, median, p99 and datagrams lost (none back within 1 s): 10,000 datagrams
#     (rpi3: 5,000) of 64 bytes after 200 warm-up ones; N rounds, each booting uk (each
#     program), then Linux, then the tuned Linux, each guest alone on the host while measured;
#     medians of the rounds' medians and p99s, lost summed;
#   TCP echo (virt): one connection, 20 MB each way (tests/tools/netprobe), in the same
#     rounds, median;
#   TCP throughput: Debian's iperf 2 client, `iperf -c 127.0.0.1 -p PORT -t T` (T 4 s, rpi3
#     3 s), median of 3 runs alternating between the two guests, both up;
#   image size (uk kernel8.img; Linux vmlinuz + initramfs without iperf), smallest -m (virt,
#     udp-echo on both);
#   HTTP under load (virt, issue 17.15): ApacheBench (apache2-utils) `-c 100` for 5 s against
#     each guest's http-server on a tap device in a network namespace of this script's (QEMU's
#     hostfwd listens with a backlog of 1 and stalls such a client whatever the guest does):
#     requests/s and the 99th percentile; needs root, else the rows say skipped.
# Targets: virt (issue 4): round trip median <= 0.6x, iperf >= 1.0x, start to first HTTP answer
#   <= 0.1x, http-server image <= 512 KiB, runs in 32 MiB. rpi3 (issue 6): median <= 0.5x,
#   iperf >= 1.0x.
#   bench/net.sh [--rpi3] [N]   (N boots per guest for the start rows and N rounds of the echo
#                                rows; default 5 on virt, 3 on rpi3)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$top/build}
export UK_CACHE=${UK_CACHE:-/var/cache/uk}
board=virt
if [ "${1:-}" = --rpi3 ]; then
	board=rpi3
	shift
fi
if [ $board = virt ]; then
	n=${1:-5} mem=128M boot_s=60 iperf_t=4 rtt_n=10000
	http_poll=(1 256) # a new GET every ms, up to 256 open
	# shellcheck disable=SC2054 # the commas are QEMU's
	machine=(-M virt,gic-version=2 -cpu cortex-a72)
	nic=virtio-net-device
else
	n=${1:-3} mem=1G boot_s=60 iperf_t=3 rtt_n=5000
	# A new GET every 10 ms, up to 50 open: QEMU's usb-net moves a few thousand packets a
	# second, and a connection a millisecond (each several packets, plus an ARP request
	# while the guest is not up) queues the answers behind the flood until none comes back
	# within its connection's lifetime (seen with the Linux guest, which then never answers).
	http_poll=(10 50)
	dtb=$UK_CACHE/dtb/bcm2837-rpi-3-b.dtb
	machine=(-M raspi3b -dtb "$dtb")
	nic=usb-net
fi
img() { echo "$BUILD/examples/$1/$board/kernel8.img"; }
# Linux's kernel command line: Debian's defaults (init_on_alloc=1 and KASLR are on in its
# kernel's configuration); on raspi3b one core for Linux's work, as uk uses one of the
# board's four: its tasks and interrupts on core 0, cores 1-3 online but idle in WFI. Not
# maxcpus=1: that leaves cores 1-3 in QEMU's boot stub, a WFE loop that QEMU's TCG never
# halts, so three host threads spin for the guest's whole life (an idle Linux guest took
# 108% of a host core instead of 47%, and 22 s to boot instead of 10). uk releases them
# into a WFI park for that reason (runtime/arch/aarch64/entry.S). The tuned Linux adds what
# a careful user would set for speed.
linux_args=
[ $board = virt ] || linux_args=" isolcpus=1-3 irqaffinity=0"
tuned_args="init_on_alloc=0 nokaslr"

die() {
	echo "bench/net.sh: $*" >&2
	exit 1
}
uk_apps="net-echo udp-echo http-server iperf"
[ $board = rpi3 ] || uk_apps+=" tcp-echo"
for e in $uk_apps; do
	[ -f "$(img "$e")" ] || die "$(img "$e") is missing: run make first"
done
[ $board = virt ] || [ -f "$dtb" ] || die "$dtb is missing: run ./install.sh"
command -v iperf >/dev/null || die "iperf (Debian's iperf 2) is missing: run ./install.sh"
guest=$("$top/bench/linux-guest/build.sh" $board) || die "cannot build the Linux guest"

work=$(mktemp -d)
pids=()
# Every QEMU this script started dies with it, whatever the way out.
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ -z "${TAP_NS:-}" ] || ip netns del "$TAP_NS" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

gcc -O2 -Wall -Wextra "$top/tests/tools/netprobe.c" -o "$work/netprobe"
gcc -O2 -Wall -Wextra "$top/bench/probe.c" -o "$work/probe"

# free_port: a port nobody listens on, TCP or UDP (tests may run at the same time).
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 30000))
		[ -z "$(ss -Hlntu "sport = :$p")" ] && echo "$p" && return
	done
}

# start GUEST KIND MEM: boots GUEST (uk, linux or linux-tuned) in the background. KIND says
# what uk runs: udp (examples/udp-echo), tcp (tcp-echo), echo (net-echo, the event API), http
# (http-server) or iperf; Linux runs every server, but tcp-echo and iperf only in the iperf
# kind (their archive) and only the HTTP server in the http kind. Sets pid, the host ports
# uport (UDP 7), tport (TCP 7), t2port (TCP 7007, Linux's own echo), hport (TCP 80), iport
# (TCP 5001), and t0 (ns).
start() {
	local args con=$work/$1.console
	uport=$(free_port) tport=$(free_port) t2port=$(free_port) hport=$(free_port) iport=$(free_port)
	: >"$con"
	# shellcheck disable=SC2054 # the commas are QEMU's
	local netdev="user,id=n0,hostfwd=udp:127.0.0.1:$uport-:7,hostfwd=tcp:127.0.0.1:$tport-:7,hostfwd=tcp:127.0.0.1:$t2port-:7007,hostfwd=tcp:127.0.0.1:$hport-:80,hostfwd=tcp:127.0.0.1:$iport-:5001"
	# with TAP_NS set: the namespace's tap device instead (ip netns exec execs QEMU: same pid)
	local wrap=()
	if [ -n "${TAP_NS:-}" ]; then
		netdev="tap,id=n0,ifname=uktap0,script=no,downscript=no"
		wrap=(ip netns exec "$TAP_NS")
	fi
	args=("${machine[@]}" -nic none -m "$3" -display none -monitor none -no-reboot
		-netdev "$netdev" -device "$nic,netdev=n0")
	if [ "$1" = uk ]; then
		local e
		case $2 in
		udp) e="udp-echo" ;;
		tcp) e="tcp-echo" ;;
		echo) e="net-echo" ;;
		http) e="http-server" ;;
		*) e=iperf ;;
		esac
		# uk's rpi3 console is the mini UART, QEMU's second serial port
		[ $board = virt ] || args+=(-serial null)
		# shellcheck disable=SC2054 # the commas are QEMU's
		args+=(-serial "file:$con" -semihosting-config enable=on,target=native
			-kernel "$(img "$e")" -append "uk.qemu=1 net.ip=10.0.2.15/24 net.gateway=10.0.2.2")
	else
		local initrd=$guest/initramfs.cpio.gz append="console=ttyAMA0 quiet panic=-1$linux_args"
		[ "$1" != linux-tuned ] || append+=" $tuned_args"
		[ "$2" != iperf ] || initrd=$guest/iperf.cpio.gz
		[ "$2" != http ] || append+=" bench=http"
		args+=(-serial "file:$con" -kernel "$guest/vmlinuz" -initrd "$initrd" -append "$append")
	fi
	t0=$(date +%s%N)
	"${wrap[@]}" qemu-system-aarch64 "${args[@]}" </dev/null >"$work/$1.qemu" 2>&1 &
	pid=$!
	pids+=("$pid")
}
stop() {
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# up GUEST KIND MEM SECONDS: boots and waits for the first answer (a UDP echo; for http an
# HTTP GET; for iperf the server's line on the console); sets ms from QEMU start to it.
# (Not run in $(...): pid and pids must reach this shell.)
up() {
	local try
	for try in 1 2 3; do
		start "$1" "$2" "$3"
		answered "$1" "$2" "$4" && break
		stop
		# again when another process took a port between free_port and QEMU
		grep -q 'host forwarding' "$work/$1.qemu" || return 1
		[ $try -lt 3 ] || return 1
	done
	ms=$((($(date +%s%N) - t0) / 1000000))
}
answered() { # GUEST KIND SECONDS
	case $2 in
	echo | udp) "$work/probe" wait "$uport" "$3" "$pid" ;;
	tcp)
		local end=$((SECONDS + $3))
		while [ $SECONDS -lt $end ] && kill -0 "$pid" 2>/dev/null; do
			grep -q 'tcp-echo: serving tcp' "$work/$1.console" && return 0
			sleep 0.05
		done
		return 1
		;;
	http) "$work/probe" http "$hport" "$3" "$pid" "${http_poll[@]}" ;;
	iperf)
		local end=$((SECONDS + $3))
		while [ $SECONDS -lt $end ] && kill -0 "$pid" 2>/dev/null; do
			grep -Eq 'lwiperf server on|Server listening on TCP port 5001' \
				"$work/$1.console" && return 0
			sleep 0.05
		done
		return 1
		;;
	esac
}
fail_boot() { # GUEST KIND
	die "$1 ($2) did not answer: $(tail -c 2000 "$work/$1.console") $(tail -c 500 "$work/$1.qemu")"
}
# boot GUEST KIND SECONDS: up, with two more tries for a boot that never answers (on raspi3b
# under TCG, Linux's dwc2 now and then finds no device: "dwc2 ...: Not connected"). Each
# such boot is counted in failed[GUEST] and shown under the table.
declare -A failed=([uk]=0 [linux]=0 [linux-tuned]=0)
boot() {
	local try
	for try in 1 2 3; do
		up "$1" "$2" $mem "$3" && return 0
		failed[$1]=$((failed[$1] + 1))
		echo "$board: $1 ($2) did not answer within $3 s, try $try:" \
			"$(grep -v GPIO "$work/$1.console" | tail -n 3)" >&2
	done
	fail_boot "$1" "$2"
}

. "$top/bench/lib.sh" # median

# min_mem GUEST SECONDS: sets minm[GUEST], the smallest -m (MiB) that answers an echo, by
# bisection.
min_mem() {
	local lo=1 hi=128 mid
	while [ "$lo" -lt "$hi" ]; do
		mid=$(((lo + hi) / 2))
		if up "$1" udp "${mid}M" "$2"; then
			stop
			hi=$mid
		else
			lo=$((mid + 1))
		fi
	done
	minm[$1]=$lo
}

declare -A start_udp start_http rtt_med rtt_p99 rtt_lost tcp iperf_mbit minm

# start_row KIND: N paired boots, uk then Linux; sets their medians su (uk), sl (Linux).
start_row() {
	local uk_t=() lx_t=() i
	echo "$board: QEMU start to the first $1 answer, $n paired boots" >&2
	for ((i = 0; i < n; i++)); do
		boot uk "$1" 30
		uk_t+=("$ms")
		stop
		boot linux "$1" $boot_s
		lx_t+=("$ms")
		stop
	done
	su=$(printf '%s\n' "${uk_t[@]}" | median)
	sl=$(printf '%s\n' "${lx_t[@]}" | median)
}
if [ $board = virt ]; then
	start_row udp
	start_udp[uk]=$su start_udp[linux]=$sl
fi
start_row http
start_http[uk]=$su start_http[linux]=$sl

words() { # "A B C ": one a line
	local w
	for w in $1; do echo "$w"; done
}
# Each run's numbers, one list per ROW,GUEST (ROW posix: the same source on both sides;
# event: uk's event API): medians, p99s and losses of UDP round trips, TCP echo rates.
declare -A meds p99s losts rates
# rtt_add KEY: one run of UDP round trips against the guest just booted.
rtt_add() {
	local med p99 lost
	read -r med p99 lost < <(timeout 300 "$work/probe" rtt "$uport" $rtt_n 64) ||
		die "$1: UDP echo failed"
	[ "$lost" -lt $((rtt_n / 100)) ] || die "$1 lost $lost of $rtt_n datagrams"
	meds[$1]+="$med " p99s[$1]+="$p99 " losts[$1]+="$lost "
}
# tcp_add KEY GUEST PORT: one TCP echo of 20 MB each way against the guest just booted. Tried
# three times: a Linux server started just before the UDP one may not listen yet.
tcp_add() {
	local r try
	for try in 1 2 3; do
		r=$(timeout 120 "$work/netprobe" tcp-echo 127.0.0.1 "$3" 1 20000000 2>/dev/null |
			sed -n 's/.*: \([0-9.]*\) Mbit\/s.*/\1/p') || true
		[ -z "$r" ] || break
		sleep 1
	done
	[ -n "$r" ] || die "$1: TCP echo failed: $(tail -c 1000 "$work/$2.console")"
	rates[$1]+="$r "
}
# The echo rows: n rounds; each boots uk with each of its programs, then Linux, then the
# tuned Linux, every guest alone on the host while it is measured (uk, Linux, uk, Linux...).
# Linux's guest runs every server at once, so its udp-echo answers both UDP rows.
echo "$board: echo rows, $n rounds, each: uk (udp-echo$([ $board = rpi3 ] || echo ', tcp-echo'), net-echo), Linux, tuned Linux" >&2
for ((i = 0; i < n; i++)); do
	boot uk udp 30
	rtt_add posix,uk
	stop
	if [ $board = virt ]; then
		boot uk tcp 30
		tcp_add posix,uk uk "$tport"
		stop
	fi
	boot uk echo 30
	rtt_add event,uk
	[ $board = rpi3 ] || tcp_add event,uk uk "$tport"
	stop
	for g in linux linux-tuned; do
		boot $g iperf $boot_s
		"$work/probe" wait "$uport" 30 "$pid" || fail_boot $g echo
		rtt_add "posix,$g"
		if [ $board = virt ]; then
			tcp_add "posix,$g" $g "$tport"
			[ $g != linux ] || tcp_add event,linux linux "$t2port"
		fi
		stop
	done
done
meds[event,linux]=${meds[posix,linux]} p99s[event,linux]=${p99s[posix,linux]}
losts[event,linux]=${losts[posix,linux]}
for k in posix,uk posix,linux posix,linux-tuned event,uk event,linux; do
	echo "$board: UDP echo ($k): median ${meds[$k]}us, p99 ${p99s[$k]}us, lost ${losts[$k]}" >&2
	rtt_med[$k]=$(words "${meds[$k]}" | median)
	rtt_p99[$k]=$(words "${p99s[$k]}" | median)
	rtt_lost[$k]=$(words "${losts[$k]}" | awk '{ s += $1 } END { print s + 0 }')
	[ $board = rpi3 ] || [ -z "${rates[$k]:-}" ] || {
		echo "$board: TCP echo ($k): ${rates[$k]}Mbit/s" >&2
		tcp[$k]=$(words "${rates[$k]}" | median)
	}
done
# iperf_once GUEST PORT: one run of Debian's iperf 2 client; prints Mbit/s.
iperf_once() {
	local r
	# -y C: one CSV line, bits per second last
	r=$(timeout $((iperf_t + 60)) iperf -c 127.0.0.1 -p "$2" -t "$iperf_t" -y C |
		awk -F, 'END { if (NF >= 9 && $NF > 0) printf "%.1f\n", $NF / 1e6 }')
	[ -n "$r" ] || die "$1: iperf measured nothing: $(tail -c 1000 "$work/$1.console")"
	echo "$r"
}
# iperf: both servers up at once, the runs alternating, so a change in the host's load hits
# both sides alike (the guest not measured is idle).
boot linux iperf $boot_s
lx_pid=$pid lx_iport=$iport
boot uk iperf 30
echo "$board: iperf 2, 3 runs of ${iperf_t} s each, alternating uk and Linux" >&2
uk_r=() lx_r=()
for ((i = 0; i < 3; i++)); do
	uk_r+=("$(iperf_once uk "$iport")")
	lx_r+=("$(iperf_once linux "$lx_iport")")
done
echo "$board: iperf Mbit/s, uk: ${uk_r[*]}; Linux: ${lx_r[*]}" >&2
iperf_mbit[uk]=$(printf '%s\n' "${uk_r[@]}" | median)
iperf_mbit[linux]=$(printf '%s\n' "${lx_r[@]}" | median)
stop
pid=$lx_pid
stop
if [ $board = virt ]; then
	echo "$board: smallest -m" >&2
	min_mem uk 5
	min_mem linux 30
fi

declare -A load_rps=([uk]=skipped [linux]=skipped) load_p99=([uk]=skipped [linux]=skipped)
load_note=
# http_load GUEST: boots GUEST's http-server on the tap (10.0.2.15, the namespace's end
# 10.0.2.2), waits for its first 200, warms up with 500 requests, then ab -c 100 for 5 s; sets
# load_rps[GUEST], load_p99[GUEST] (ms) and adds what ab counted as failed to load_note.
http_load() {
	local url=http://10.0.2.15/ end log=$work/ab.$1 failed
	start "$1" http $mem
	end=$((SECONDS + boot_s))
	until [ "$(ip netns exec "$TAP_NS" curl -s -m 1 -o /dev/null -w '%{http_code}' "$url")" = 200 ]; do
		if [ $SECONDS -ge $end ] || ! kill -0 "$pid" 2>/dev/null; then
			fail_boot "$1" http
		fi
		sleep 0.2
	done
	ip netns exec "$TAP_NS" ab -q -s 10 -n 500 -c 20 "$url" >/dev/null 2>&1 ||
		die "$1: ab warm-up failed"
	timeout 60 ip netns exec "$TAP_NS" ab -l -r -s 10 -t 5 -n 1000000 -c 100 "$url" >"$log" 2>&1 ||
		die "$1: ab -c 100 did not finish: $(tail -n 3 "$log")"
	load_rps[$1]=$(awk '/^Requests per second:/ { printf "%.0f", $4 }' "$log")
	load_p99[$1]=$(awk '$1 == "99%" { print $2 }' "$log")
	failed=$(awk '/^Failed requests:/ { print $3 }' "$log")
	[ "${failed:-0}" = 0 ] || load_note+=" $1: $failed of $(awk '/^Complete requests:/ { print $3 }' "$log") failed;"
	stop
}
if [ $board = virt ]; then
	if [ "$(id -u)" = 0 ] && command -v ab >/dev/null && [ -c /dev/net/tun ] &&
		ip netns add "uk-bench-$$" 2>/dev/null; then
		TAP_NS=uk-bench-$$
		ip -n "$TAP_NS" link set lo up
		ip -n "$TAP_NS" tuntap add dev uktap0 mode tap
		ip -n "$TAP_NS" addr add 10.0.2.2/24 dev uktap0
		ip -n "$TAP_NS" link set uktap0 up
		echo "$board: HTTP under load, ab -c 100 for 5 s on a tap: uk, then Linux" >&2
		http_load uk
		http_load linux
		ip netns del "$TAP_NS"
		TAP_NS=
	else
		load_note=" skipped: needs root, ab (apache2-utils), /dev/net/tun and network namespaces"
	fi
fi
lx_size=$(($(stat -c %s "$guest/vmlinuz") + $(stat -c %s "$guest/initramfs.cpio.gz")))

# row NAME UK LINUX [-]: a table row, the ratio uk/Linux last ("-" with a fourth argument
# or when a side has no number).
row() {
	awk -v n="$1" -v u="$2" -v l="$3" -v r="${4:-}" 'BEGIN {
		q = (r == "" && u ~ /^[0-9.]+$/ && l ~ /^[0-9.]+$/ && l > 0) ? sprintf("%8.3f", u / l) : sprintf("%8s", "-")
		printf "%-56s %12s %12s %s\n", n, u, l, q }'
}
section() { echo "-- $*"; }
if [ $board = virt ]; then
	printf '%-56s %12s %12s %8s\n' "virt, virtio-net, -m $mem" uk Linux uk/Linux
else
	printf '%-56s %12s %12s %8s\n' "raspi3b, usb-net (DWC2), -m $mem, work on 1 core" uk Linux uk/Linux
fi
section "same POSIX source on both sides (examples/udp-echo, tcp-echo, http-server)"
row "UDP echo 64 B, udp-echo, median (us)" "${rtt_med[posix,uk]}" "${rtt_med[posix,linux]}"
row "UDP echo 64 B, udp-echo, p99 (us)" "${rtt_p99[posix,uk]}" "${rtt_p99[posix,linux]}"
row "UDP echo 64 B, udp-echo, lost of $((n * rtt_n))" "${rtt_lost[posix,uk]}" "${rtt_lost[posix,linux]}" -
[ $board = rpi3 ] || row "TCP echo 20 MB, tcp-echo (Mbit/s)" "${tcp[posix,uk]}" "${tcp[posix,linux]}"
[ $board = rpi3 ] || row "QEMU start to first UDP echo, udp-echo (ms)" "${start_udp[uk]}" "${start_udp[linux]}"
row "QEMU start to first HTTP 200, http-server (ms)" "${start_http[uk]}" "${start_http[linux]}"
row "image, udp-echo (B)" "$(stat -c %s "$(img udp-echo)")" "$lx_size"
row "image, http-server (B)" "$(stat -c %s "$(img http-server)")" "$lx_size"
[ $board = rpi3 ] || row "smallest -m, udp-echo (MiB)" "${minm[uk]}" "${minm[linux]}"
if [ $board = virt ]; then
	row "HTTP ab -c 100, tap (requests/s)" "${load_rps[uk]}" "${load_rps[linux]}"
	row "HTTP ab -c 100, tap, p99 (ms)" "${load_p99[uk]}" "${load_p99[linux]}"
fi
section "same POSIX source, Linux tuned: $tuned_args"
row "UDP echo 64 B, udp-echo, median (us)" "${rtt_med[posix,uk]}" "${rtt_med[posix,linux-tuned]}"
row "UDP echo 64 B, udp-echo, p99 (us)" "${rtt_p99[posix,uk]}" "${rtt_p99[posix,linux-tuned]}"
row "UDP echo 64 B, udp-echo, lost of $((n * rtt_n))" "${rtt_lost[posix,uk]}" "${rtt_lost[posix,linux-tuned]}" -
[ $board = rpi3 ] || row "TCP echo 20 MB, tcp-echo (Mbit/s)" "${tcp[posix,uk]}" "${tcp[posix,linux-tuned]}"
section "uk event API and lwiperf vs Linux sockets"
row "UDP echo 64 B, net-echo vs udp-echo, median (us)" "${rtt_med[event,uk]}" "${rtt_med[event,linux]}"
row "UDP echo 64 B, net-echo vs udp-echo, p99 (us)" "${rtt_p99[event,uk]}" "${rtt_p99[event,linux]}"
row "UDP echo 64 B, net-echo vs udp-echo, lost of $((n * rtt_n))" "${rtt_lost[event,uk]}" "${rtt_lost[event,linux]}" -
[ $board = rpi3 ] || row "TCP echo 20 MB, net-echo vs /init loop (Mbit/s)" "${tcp[event,uk]}" "${tcp[event,linux]}"
row "TCP iperf 2, ${iperf_t} s, lwiperf vs iperf -s (Mbit/s)" "${iperf_mbit[uk]}" "${iperf_mbit[linux]}"
row "image, net-echo (B)" "$(stat -c %s "$(img net-echo)")" "$lx_size"
[ $board = virt ] && [ -n "$load_note" ] && echo "HTTP under load:$load_note"
[ $((failed[uk] + failed[linux] + failed[linux-tuned])) = 0 ] ||
	echo "boots that never answered (tried again): uk ${failed[uk]}, Linux ${failed[linux]}, tuned Linux ${failed[linux-tuned]}"
echo "(start rows: median of $n paired boots; echo rows: median of $n rounds, each booting uk," \
	"Linux and tuned Linux in turn; round trips after 200 warm-up datagrams, lost summed; the" \
	"Linux column of both UDP echo sections is the same runs of its udp-echo; iperf: median" \
	"of 3 runs alternating; Linux: Debian's kernel $(basename "$(sed -n 's/.*\(linux-image-[^ ]*\.deb\).*/\1/p' "$guest/stamp")" .deb)," \
	"command line \"console=ttyAMA0 quiet panic=-1$linux_args\")"
echo "(at commit $(git -C "$top" rev-parse --short HEAD)$(git -C "$top" diff --quiet HEAD -- bench runtime examples 2>/dev/null || echo ' with uncommitted changes in bench, runtime or examples'), $(date -u '+%Y-%m-%d %H:%M UTC'))"
