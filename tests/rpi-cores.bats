#!/usr/bin/env bats
# uk runs on core 0 only; the Pi's other three cores must sit halted, not spinning. The loaders
# (Pi firmware's armstub8, QEMU's raspi boot code) hold them in a WFE loop on the spin table,
# and QEMU's TCG never halts on WFE: left there, three vCPU threads take the host's CPUs and
# stall core 0 for milliseconds (rpi3 UDP echo p99 ~4 ms instead of ~0.3 ms). entry.S releases
# them into a WFI park. Checked from the host: the CPU time QEMU's vCPU threads 1-3 use while
# the guest idles.
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

# vcpu_ticks TARGET: boots net-echo (it idles waiting for datagrams), then prints the clock
# ticks vCPU threads 1-3 used over one second.
vcpu_ticks() {
	local cmd _
	cmd=$(qemu_cmd "$1" "$BUILD/examples/net-echo/$1/kernel8.img")
	# shellcheck disable=SC2086
	timeout -k 5 60 $cmd -qmp "unix:$work/qmp,server,nowait" -netdev user,id=n0 \
		-device usb-net,netdev=n0 -append "uk.qemu=1 net.ip=10.0.2.15/24" \
		</dev/null >"$work/console" 2>&1 &
	qpid=$!
	for _ in $(seq 300); do # the app is up (and the boot over) within 30 s
		grep -q "net-echo: serving" "$work/console" && break
		kill -0 "$qpid" 2>/dev/null || break
		sleep 0.1
	done
	grep -q "net-echo: serving" "$work/console" || {
		cat "$work/console" >&2
		return 1
	}
	# timeout's child is QEMU
	python3 - "$work/qmp" "$(pgrep -P "$qpid")" <<'EOF'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rw")
def cmd(c):
    f.write(json.dumps({"execute": c}) + "\n"); f.flush()
    while True:
        r = json.loads(f.readline())
        if "return" in r or "error" in r:
            return r
f.readline()  # greeting
cmd("qmp_capabilities")
tids = [c["thread-id"] for c in cmd("query-cpus-fast")["return"] if c["cpu-index"] > 0]
assert len(tids) == 3, tids
def ticks():  # utime + stime, /proc/PID/task/TID/stat fields 14 and 15
    n = 0
    for t in tids:
        st = open(f"/proc/{sys.argv[2]}/task/{t}/stat").read().rsplit(")", 1)[1].split()
        n += int(st[11]) + int(st[12])
    return n
a = ticks(); time.sleep(1); print(ticks() - a)
EOF
}

@test "rpi3: cores 1-3 halt (their vCPU threads use < 10% of a CPU while the app idles)" {
	run vcpu_ticks rpi3
	assert_success
	[ "$output" -lt 10 ] || fail "vCPUs 1-3 used $output ticks in 1 s"
}

@test "rpi4: cores 1-3 halt" {
	[ -f "$BUILD/examples/net-echo/rpi4/kernel8.img" ] || skip "no rpi4 build"
	run vcpu_ticks rpi4
	assert_success
	[ "$output" -lt 10 ] || fail "vCPUs 1-3 used $output ticks in 1 s"
}
