#!/usr/bin/env bats
# uk/core.h: functions started on cores 1-3, a lock-free queue between two cores, the start
# errors, a fault on another core, a device interrupt routed to core 1, and each core's own
# periodic timer (tests/apps/cores; examples/ticker with ticker.core=N).
# virt runs with -smp 4 (its cores start powered off, PSCI starts them); QEMU's raspi3b always
# has 4 (uk holds 1-3 in its WFI park).
load 'lib/boot'

setup() {
	load '/usr/lib/bats/bats-support/load'
	load '/usr/lib/bats/bats-assert/load'
}

app() { echo "$BUILD/tests/apps/cores/$1/kernel8.img"; }

# boot_cores TARGET TEST: the app with test=TEST, on 4 cores.
boot_cores() {
	local cmd
	cmd=$(qemu_cmd "$1" "$(app "$1")")
	[ "$1" != virt ] || cmd="$cmd -smp 4"
	# shellcheck disable=SC2086
	run timeout -k 5 "$BOOT_TIMEOUT" $cmd -append "uk.qemu=1 test=$2" </dev/null
	strip_cr
}

reports() {
	boot_cores "$1" report
	assert_success
	assert_line "cores: 4, main on core 0"
	assert_line "core 1 reports core 1, errno its own"
	assert_line "core 2 reports core 2, errno its own"
	assert_line "core 3 reports core 3, errno its own"
	assert_line "spinlock count: 3000"
}

@test "virt -smp 4: each core started reports its number" {
	reports virt
}

@test "rpi3: each core started reports its number" {
	reports rpi3
}

@test "virt with one core: uk_core_count is 1, nothing to start" {
	run timeout -k 5 "$BOOT_TIMEOUT" $(qemu_cmd virt "$(app virt)") -append "uk.qemu=1 test=errors" </dev/null
	strip_cr
	assert_line "start core 1 of 1: No such device"
}

queue() {
	boot_cores "$1" queue
	assert_success
	assert_line --regexp '^queue: 1000000 messages from core 1 in [0-9]+ ms, 0 lost or out of order$'
	refute_line --partial "expected"
}

@test "virt: a million messages from core 1 to core 0, none lost or reordered" {
	queue virt
}

@test "rpi3: a million messages from core 1 to core 0, none lost or reordered" {
	queue rpi3
}

@test "uk_core_start refuses core 0, a core the board lacks, no function, and a second start" {
	for t in virt rpi3; do
		boot_cores $t errors
		assert_success
		assert_line "start core 0: Invalid argument"
		assert_line "start core 4 of 4: No such device"
		assert_line "start core 1 with no function: Invalid argument"
		assert_line "start core 1: 0"
		assert_line "start core 1 again: Device or resource busy"
	done
}

fault() {
	boot_cores "$1" fault
	assert_equal "$status" 134
	assert_line "uk: panic: data abort (EC 0x25) on core 2"
	assert_line --partial "NULL pointer dereference"
	assert_line "backtrace:"
	refute_line --partial "did not stop the board"
	# the first frame is the faulting function, on core 2's stack
	local addr
	addr=$(sed -n 's/^  #0 \(0x[0-9a-f]*\).*/\1/p' <<<"$output" | head -n1)
	run aarch64-linux-gnu-addr2line -f -e "$BUILD/tests/apps/cores/$1/app.elf" "$addr"
	assert_line --index 0 fault_on_core
}

@test "virt: a fault on core 2 prints its dump naming core 2, QEMU exits 134" {
	fault virt
}

@test "rpi3: a fault on core 2 prints its dump naming core 2, QEMU exits 134" {
	fault rpi3
}

@test "rpi4: cores start through the GIC (an SGI wakes the parked core)" {
	[ -f "$(app rpi4)" ] || skip "no rpi4 build"
	reports rpi4
}

@test "examples/cores: a million numbers from core 1 to core 0, every core reports (virt -smp 4)" {
	local cmd
	cmd=$(qemu_cmd virt "$BUILD/examples/cores/virt/kernel8.img")
	# shellcheck disable=SC2086
	run timeout -k 5 "$BOOT_TIMEOUT" $cmd -smp 4 -append "uk.qemu=1" </dev/null
	strip_cr
	assert_success
	assert_line "cores: 4 (main on core 0)"
	assert_line "core 1: ran"
	assert_line "core 2: ran"
	assert_line "core 3: ran"
	assert_line --regexp '^1000000 numbers from core 1 in [0-9]+ ms: 0 lost or out of order$'
}

@test "virt: PL061 line 3's interrupt routed to core 1 is taken there (system_powerdown)" {
	local T=$BATS_TEST_TMPDIR cmd qpid
	cmd=$(qemu_cmd virt "$(app virt)" | sed "s| -monitor none| -monitor unix:$T/mon,server,nowait|")
	# shellcheck disable=SC2086
	timeout -k 5 "$BOOT_TIMEOUT" $cmd -smp 4 -append "uk.qemu=1 test=irq" </dev/null >"$T/out" 2>&1 &
	qpid=$!
	for _ in $(seq 300); do # the interrupt is routed and core 1 waits for it
		grep -q "routed to core 1" "$T/out" && break
		kill -0 "$qpid" 2>/dev/null || break
		sleep 0.1
	done
	python3 - "$T/mon" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
def until_prompt():
    buf = b""
    while not buf.endswith(b"(qemu) "):
        chunk = s.recv(4096)
        if not chunk:
            break
        buf += chunk
until_prompt()
s.sendall(b"system_powerdown\n")
until_prompt()
PY
	wait "$qpid"
	status=$?
	output=$(tr -d '\r' <"$T/out")
	mapfile -t lines <<<"$output"
	assert_success
	assert_line "irq: attach 0, route to core 4 of 4: -22"
	assert_line "irq: route the timer (27): -22"
	assert_line --regexp '^irq: pin 3.s interrupt [0-9]+ routed to core 1: 0$'
	assert_line "irq: edge on pin 3 taken on core 1"
}

@test "rpi3: routing is refused (its controller moves all peripheral interrupts together)" {
	boot_cores rpi3 irq
	assert_failure 1
	assert_line "irq: pin 3's interrupt 49 routed to core 1: -19"
}

# test=timer: cores 1, 2 and 3 each tick 200 times at once, with periods of 1, 2 and 4 ms, on
# their own timers. The app checks, per core: every callback on that core, each deadline the
# previous plus the period (the first one period after the start), none early, the 200 ticks
# taking at least 200 periods and at most 10x that plus 2 s (TCG on a busy host: behaviour,
# not timing); then none after uk_core_timer_stop within 50 ms.
timer() {
	boot_cores "$1" timer
	assert_success
	assert_line "timer: start on core 0: Invalid argument"
	local c
	for c in 1 2 3; do
		assert_line "timer: core $c: period 0: Invalid argument"
		assert_line --regexp "^timer: core $c: 200 ticks of $((1 << (c - 1))) ms in [0-9]+ ms, start 0, on another core 0, deadline off 0\$"
	done
	assert_line "timer: ticks after the stops: 0"
}

@test "virt -smp 4: a timer on each of cores 1-3 ticks there at its period, and stops (GIC PPI 27 per core)" {
	timer virt
}

@test "rpi3: a timer on each of cores 1-3 ticks there at its period, and stops (BCM2836 per-core CNTV)" {
	timer rpi3
}

@test "rpi4: a timer on each of cores 1-3 ticks there at its period, and stops (GIC-400 PPI 27 per core)" {
	[ -f "$(app rpi4)" ] || skip "no rpi4 build"
	timer rpi4
}

# ticker_on_core TARGET CORE [QEMU ARGS...]: examples/ticker with ticker.core=CORE.
ticker_on_core() {
	local t=$1 core=$2 cmd
	shift 2
	cmd=$(qemu_cmd "$t" "$BUILD/examples/ticker/$t/kernel8.img")
	# shellcheck disable=SC2086
	run timeout -k 5 "$BOOT_TIMEOUT" $cmd "$@" -append "uk.qemu=1 ticker.core=$core" </dev/null
	strip_cr
	assert_success
	assert_line "ticker: 1000 ticks of 1000 us"
	assert_line "ticker: on core $core"
	assert_line --regexp '^ticker: 1000 ticks in [0-9]+ us$'
	local us
	us=$(sed -n 's/^ticker: 1000 ticks in \([0-9]*\) us$/\1/p' <<<"$output")
	# the 1000th deadline is 1 s after the start; generous above
	[ "$us" -ge 1000000 ]
	[ "$us" -lt 20000000 ]
	assert_line --regexp '^ticker: worst jitter [0-9]+ us, mean [0-9]+ us$'
}

@test "examples/ticker ticker.core=1: the 1 kHz ticker on core 1 (virt -smp 2)" {
	ticker_on_core virt 1 -smp 2
}

@test "examples/ticker ticker.core=3 on rpi3, ticker.core=2 on rpi4; ticker.core=1 on one core is refused" {
	ticker_on_core rpi3 3
	if [ -f "$BUILD/examples/ticker/rpi4/kernel8.img" ]; then
		ticker_on_core rpi4 2
	fi
	local cmd
	cmd=$(qemu_cmd virt "$BUILD/examples/ticker/virt/kernel8.img")
	# shellcheck disable=SC2086
	run timeout -k 5 "$BOOT_TIMEOUT" $cmd -append "uk.qemu=1 ticker.core=1" </dev/null
	strip_cr
	assert_failure 1
	assert_line "ticker: no core 1 (1 cores)"
}
