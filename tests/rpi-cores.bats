#!/usr/bin/env bats
# uk runs on core 0 only; the Pi's other three cores must sit halted, not spinning. The loaders
# (Pi firmware's armstub8, QEMU's raspi boot code) hold them in a WFE loop on the spin table,
# and QEMU's TCG never halts on WFE: left there, three vCPU threads take the host's CPUs and
# stall core 0 for milliseconds (rpi3 UDP echo p99 ~4 ms instead of ~0.3 ms). entry.S releases
# them into a WFI park. Checked from the host: the CPU time QEMU's vCPU threads 1-3 use while
# the guest idles.
#
# Core 0 must idle too: interrupts only, no polling. Its vCPU thread is checked the same way,
# and the USB transfers the guest starts while idle are counted (QEMU's usb_dwc2_enable_chan
# trace event, one per channel the driver enables): only the hub's status polls at its
# interval (QEMU's hub: 255 ms) may remain. What QEMU's main loop spends meanwhile is QEMU's
# own work (docs/architecture.md, "Cores"), not checked here.
load 'lib/boot'

setup() {
	load '/usr/lib/bats/bats-support/load'
	load '/usr/lib/bats/bats-assert/load'
	work=$(mktemp -d)
}

teardown() {
	[ -z "${qpid:-}" ] || kill "$qpid" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$work"
}

# idle_usage TARGET: boots net-echo (it idles waiting for datagrams), waits until IPv6 has
# autoconfigured its address from QEMU's router advertisement (the last of the boot's traffic),
# then prints three numbers for the next 2 s: the clock ticks vCPU threads 1-3 used, those vCPU
# thread 0 used, and the USB channels the guest enabled.
idle_usage() {
	local cmd _ usage
	cmd=$(qemu_cmd "$1" "$BUILD/examples/net-echo/$1/kernel8.img")
	: >"$work/console" # before QEMU starts: the loop below reads it at once
	# shellcheck disable=SC2086
	timeout -k 5 60 $cmd -qmp "unix:$work/qmp,server,nowait" -netdev user,id=n0 \
		-device usb-net,netdev=n0 -append "uk.qemu=1 net.ip=10.0.2.15/24" \
		-D "$work/trace" </dev/null >"$work/console" 2>&1 &
	qpid=$!
	for _ in $(seq 300); do # the app is up (and the boot over) within 30 s
		grep -q "net: ipv6 fec0:" "$work/console" && break
		kill -0 "$qpid" 2>/dev/null || break
		sleep 0.1
	done
	if ! grep -q "net-echo: serving" "$work/console" ||
		! grep -q "net: ipv6 fec0:" "$work/console"; then
		cat "$work/console" >&2
		return 1
	fi
	# timeout's child is QEMU
	usage=$(python3 - "$work/qmp" "$(pgrep -P "$qpid")" <<'EOF'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rw")
def cmd(c, **args):
    f.write(json.dumps({"execute": c, "arguments": args}) + "\n"); f.flush()
    while True:
        r = json.loads(f.readline())
        if "return" in r or "error" in r:
            return r
f.readline()  # greeting
cmd("qmp_capabilities")
cpus = {c["cpu-index"]: c["thread-id"] for c in cmd("query-cpus-fast")["return"]}
assert len(cpus) == 4, cpus
def ticks(tids):  # utime + stime, /proc/PID/task/TID/stat fields 14 and 15
    n = 0
    for t in tids:
        st = open(f"/proc/{sys.argv[2]}/task/{t}/stat").read().rsplit(")", 1)[1].split()
        n += int(st[11]) + int(st[12])
    return n
others = [cpus[i] for i in (1, 2, 3)]
assert "return" in cmd("trace-event-set-state", name="usb_dwc2_enable_chan", enable=True)
a, a0 = ticks(others), ticks([cpus[0]])
time.sleep(2)
b, b0 = ticks(others), ticks([cpus[0]])
cmd("trace-event-set-state", name="usb_dwc2_enable_chan", enable=False)
print(b - a, b0 - a0)
EOF
	) || return 1
	kill "$qpid" # QEMU writes its trace log out as it exits
	wait "$qpid" 2>/dev/null || true
	qpid=
	echo "$usage $(grep -c usb_dwc2_enable_chan "$work/trace")"
}

@test "rpi3: cores 1-3 halt (their vCPU threads use < 10% of a CPU while the app idles)" {
	run idle_usage rpi3
	assert_success
	read -r others _ <<<"$output"
	[ "$others" -lt 20 ] || fail "vCPUs 1-3 used $others ticks in 2 s"
}

@test "rpi4: cores 1-3 halt" {
	[ -f "$BUILD/examples/net-echo/rpi4/kernel8.img" ] || skip "no rpi4 build"
	run idle_usage rpi4
	assert_success
	read -r others _ <<<"$output"
	[ "$others" -lt 20 ] || fail "vCPUs 1-3 used $others ticks in 2 s"
}

# Measured: core 0's thread ~0.3% of a CPU, 8 transfers in 2 s (the hub's status polls).
@test "rpi3, rpi4: core 0 idles (its vCPU thread < 10% of a CPU, no USB polling beyond the hub's)" {
	local t core0 xfers
	for t in rpi3 rpi4; do
		[ -f "$BUILD/examples/net-echo/$t/kernel8.img" ] || continue
		run idle_usage $t
		assert_success
		read -r _ core0 xfers <<<"$output"
		echo "# $t: vCPU 0 $core0 ticks, $xfers USB transfers in 2 s" >&3
		[ "$core0" -lt 20 ] || fail "$t: vCPU 0 used $core0 ticks in 2 s"
		[ "$xfers" -le 20 ] || fail "$t: the guest started $xfers USB transfers in 2 s"
		# the hub's polls at least: the count works
		[ "$xfers" -ge 2 ] || fail "$t: $xfers USB transfers traced in 2 s"
	done
}
