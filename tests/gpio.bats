#!/usr/bin/env bats
# uk/gpio.h in QEMU (tests/apps/gpio): on raspi3b and raspi4b an output pin's level as QEMU's
# GPIO model holds it, read from outside through the monitor (GPLEV0); on virt an edge
# interrupt on PL061 line 3, which the monitor's system_powerdown raises (virt's gpio-keys),
# reaching the app's callback; bad arguments refused on every board. QEMU models no GPIO event
# detection or pulls on the Pi: those paths run against models in tests/unit/test_bcm_gpio.c
# and tests/unit/test_pl061.c.
load 'lib/boot'

setup() {
	load '/usr/lib/bats/bats-support/load'
	load '/usr/lib/bats/bats-assert/load'
	T=$BATS_TEST_TMPDIR
	QEMU_PID=
}

teardown() {
	exec 5>&- 2>/dev/null || true
	if [ -n "$QEMU_PID" ]; then kill "$QEMU_PID" 2>/dev/null || true; fi
}

# start TARGET BOOTARGS...: the gpio app in the background, console in $T/out, console input
# on fd 5, the monitor on the socket $T/mon; time-bound like boot.
start() {
	local target=$1 cmd
	shift
	cmd=$(qemu_cmd "$target" "$BUILD/tests/apps/gpio/$target/kernel8.img" |
		sed "s| -monitor none| -monitor unix:$T/mon,server,nowait|")
	mkfifo "$T/in"
	exec 5<>"$T/in"
	# shellcheck disable=SC2086
	timeout -k 5 "$BOOT_TIMEOUT" $cmd -append "uk.qemu=1 $*" <"$T/in" >"$T/out" 2>&1 3>&- &
	QEMU_PID=$!
}

# wait_line LINE: until the console printed LINE (30 s at most); fails showing the console.
wait_line() {
	for _ in $(seq 300); do
		if tr -d '\r' <"$T/out" | grep -qxF -- "$1"; then return 0; fi
		if ! kill -0 "$QEMU_PID" 2>/dev/null && ! tr -d '\r' <"$T/out" | grep -qxF -- "$1"; then
			cat "$T/out"
			fail "QEMU ended before printing: $1"
		fi
		sleep 0.1
	done
	cat "$T/out"
	fail "no console line: $1"
}

# monitor COMMAND: the QEMU monitor's answer to COMMAND.
monitor() {
	python3 - "$T/mon" "$1" <<'PY'
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
    return buf.decode(errors="replace")
until_prompt()
s.sendall(sys.argv[2].encode() + b"\n")
print(until_prompt().replace("\r", ""))
PY
}

# gplev ADDRESS: GPLEV0 as the monitor reads it, e.g. 0x00020000.
gplev() {
	monitor "xp /1wx $1" | sed -n "s/^0*${1#0x}: \(0x[0-9a-f]*\).*/\1/p"
}

# finish: ends the app's input and waits for QEMU; sets $output, $status.
finish() {
	exec 5>&-
	wait "$QEMU_PID"
	status=$?
	QEMU_PID=
	output=$(tr -d '\r' <"$T/out")
	mapfile -t lines <<<"$output"
}

output_pin_test() { # TARGET GPLEV0-ADDRESS
	start "$1" gpio.out=17
	wait_line "gpio: pin 17 high, reads 1"
	[ "$(gplev "$2")" != "" ] || fail "the monitor gave no GPLEV0: $(monitor "xp /1wx $2")"
	(( ($(gplev "$2") >> 17) & 1 )) || fail "GPLEV0 $(gplev "$2"): pin 17 is not high"
	echo >&5
	wait_line "gpio: pin 17 low, reads 0"
	(( !(($(gplev "$2") >> 17) & 1) )) || fail "GPLEV0 $(gplev "$2"): pin 17 is not low"
	echo >&5
	finish
	assert_success
	assert_line "gpio: done"
}

@test "raspi3b: an output pin's level, seen from outside in GPLEV0" {
	output_pin_test rpi3 0x3f200034
	assert_line "gpio: 54 pins"
}

@test "raspi4b: an output pin's level, seen from outside in GPLEV0" {
	output_pin_test rpi4 0xfe200034
	assert_line "gpio: 54 pins"
}

@test "virt: system_powerdown's edge on PL061 line 3 reaches the app's callback" {
	start virt gpio.edge=3
	wait_line "gpio: waiting for a rising edge on pin 3: ok"
	monitor system_powerdown >/dev/null
	wait_line "gpio: edge on pin 3, level now 1"
	finish
	assert_success
	assert_line "gpio: done"
}

@test "virt: 8 pins; bad pins, modes and functions, no pulls: clear errors" {
	boot virt "$BUILD/tests/apps/gpio/virt/kernel8.img"
	assert_success
	assert_line "gpio: 8 pins"
	assert_line "gpio: bad pin Invalid argument, bad function Invalid argument, bad pull Invalid argument, bad mode Invalid argument"
	assert_line "gpio: alt0 Invalid argument, pull-up No such device, read of pin 8: -22"
	assert_line "gpio: attach ok, again Device or resource busy, detach ok, detach again Invalid argument"
	assert_line "gpio: done"
}

@test "raspi3b and raspi4b: bad pins, modes and functions refused; alt0 and pulls accepted" {
	for target in rpi3 rpi4; do
		boot "$target" "$BUILD/tests/apps/gpio/$target/kernel8.img"
		assert_success
		assert_line "gpio: 54 pins"
		assert_line "gpio: bad pin Invalid argument, bad function Invalid argument, bad pull Invalid argument, bad mode Invalid argument"
		assert_line "gpio: alt0 ok, pull-up ok, read of pin 54: -22"
		assert_line "gpio: attach ok, again Device or resource busy, detach ok, detach again Invalid argument"
		assert_line "gpio: done"
	done
}
