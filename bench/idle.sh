#!/usr/bin/env bash
# bench/idle.sh: host CPU of an idle uk guest (issue 16: at most 0.1 s per 10 s on rpi3 and
# rpi4), split into what the guest's cores cost (the vCPU threads: uk's own idle) and what
# QEMU's other threads cost (its main loop: device models, timers). examples/net-echo waits for
# datagrams on virt (virtio-net) and on raspi3b and raspi4b (usb-net behind QEMU's DWC2), with
# IPv6 autoconfigured first so that the boot's traffic is over. For each board the QEMU floor
# too: the same machine and devices with an app that never starts the network (examples/blinky,
# which wakes once a second to blink), to show what QEMU spends whatever the guest does.
# docs/architecture.md ("Idle on the Pi boards") says where the main loop's time goes.
#   bench/idle.sh [N]      (default N=3 runs of 10 s per row; the medians are printed)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
export BUILD=${BUILD:-$top/build}
n=${1:-3}
. "$top/tests/lib/boot.bash" # qemu_cmd
. "$top/bench/lib.sh"        # median, skip, need, workdir
need qemu-system-aarch64 python3
workdir

# usage TARGET APP WAIT-FOR: boots APP, waits for the console line WAIT-FOR, then prints the CPU
# milliseconds its vCPU threads and QEMU's other threads used over the next 10 s.
usage() {
	local cmd nic _
	cmd=$(qemu_cmd "$1" "$BUILD/examples/$2/$1/kernel8.img")
	nic="-device usb-net,netdev=n0"
	[ "$1" != virt ] || nic="-device virtio-net-device,netdev=n0"
	: >"$work/console"
	# shellcheck disable=SC2086
	timeout -k 5 90 $cmd -qmp "unix:$work/qmp,server,nowait" -netdev user,id=n0 $nic \
		-append "uk.qemu=1 net.ip=10.0.2.15/24 blinky.seconds=0" </dev/null >"$work/console" 2>&1 &
	pid=$!
	for _ in $(seq 400); do
		grep -q "$3" "$work/console" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if grep -q "$3" "$work/console"; then
		# the vCPU threads from QEMU (tests/tools/qmp.py), then every thread's CPU from /proc
		"$top/tests/tools/qmp.py" "$work/qmp" query-cpus-fast >"$work/cpus" || true
		python3 - "$work/cpus" "$(pgrep -P "$pid")" <<'EOF' || true
import json, os, sys, time
vcpus = {str(c["thread-id"]) for c in json.load(open(sys.argv[1]))}
pid, hz = sys.argv[2], os.sysconf("SC_CLK_TCK")
def ticks():  # per thread: utime + stime, /proc/PID/task/TID/stat fields 14 and 15
    t = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        st = open(f"/proc/{pid}/task/{tid}/stat").read().rsplit(")", 1)[1].split()
        t[tid] = int(st[11]) + int(st[12])
    return t
a = ticks(); time.sleep(10); b = ticks()
d = {tid: b[tid] - a.get(tid, 0) for tid in b}
guest = sum(v for tid, v in d.items() if tid in vcpus)
qemu = sum(v for tid, v in d.items() if tid not in vcpus)
print(guest * 1000 // hz, qemu * 1000 // hz)
EOF
	else
		echo "$1 $2: never printed '$3'" >&2
	fi
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pid=
}

rows=()
for t in virt rpi3 rpi4; do
	[ -f "$BUILD/examples/net-echo/$t/kernel8.img" ] && rows+=("$t net-echo net:.ipv6.fec0:")
	[ -f "$BUILD/examples/blinky/$t/kernel8.img" ] && rows+=("$t blinky blinky:.LED.on")
done
declare -A g q
for ((i = 0; i < n; i++)); do
	for r in "${rows[@]}"; do
		read -r t app wait <<<"$r"
		read -r gm qm < <(usage "$t" "$app" "${wait//./ }") || continue
		g[$t $app]+="$gm "
		q[$t $app]+="$qm "
	done
done
printf '%-6s %-9s %14s %14s %14s\n' board app "guest s/10 s" "QEMU s/10 s" "total s/10 s"
for r in "${rows[@]}"; do
	read -r t app _ <<<"$r"
	[ -n "${g[$t $app]:-}" ] || continue
	gm=$(tr ' ' '\n' <<<"${g[$t $app]}" | grep . | median)
	qm=$(tr ' ' '\n' <<<"${q[$t $app]}" | grep . | median)
	awk -v t="$t" -v a="$app" -v g="$gm" -v q="$qm" \
		'BEGIN { printf "%-6s %-9s %14.3f %14.3f %14.3f\n", t, a, g / 1000, q / 1000, (g + q) / 1000 }'
done
echo "target (issue 16): at most 0.100 s per 10 s on rpi3 and rpi4; guest = uk's vCPU threads,"
echo "QEMU = its main loop and other threads (blinky: the floor QEMU spends with the same devices)"
