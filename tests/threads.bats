#!/usr/bin/env bats
# Cooperative threads (uk/thread.h) on every target: tests/apps/threads prints one line per check.
load 'lib/boot'

setup() {
	load '/usr/lib/bats/bats-support/load'
	load '/usr/lib/bats/bats-assert/load'
}

app() { echo "$BUILD/tests/apps/threads/$1/kernel8.img"; }

# A number printed on the line matching sed pattern $1 (one capture group).
number() { sed -n "s/$1/\1/p" <<<"$output" | head -n1; }

threads_ok() {
	assert_success
	refute_line --partial "FAIL"
	assert_line "threads: yield ping-pong ABABABABAB"
	assert_line "threads: producer/consumer 1000 items, sum 499500"
	assert_line --regexp '^threads: sem timeout -ETIMEDOUT after [0-9]+ us$'
	# the timeout never ends early, and not absurdly late either
	local us
	us=$(number '^threads: sem timeout -ETIMEDOUT after \([0-9]*\) us$')
	[ "$us" -ge 20000 ]
	[ "$us" -lt 500000 ]
	assert_line --regexp '^threads: usleep 50 ms in one thread \([0-9]+ us\) while main ran on$'
	us=$(number '^threads: usleep 50 ms in one thread (\([0-9]*\) us).*')
	[ "$us" -ge 50000 ]
	[ "$us" -lt 1000000 ]
	assert_line "threads: errno per thread ok"
	assert_line "threads: floating point across switches ok"
	assert_line "threads: 50 threads created and joined, 3 rounds, heap reused"
	assert_line "threads: 20 detached threads ran and ended"
	assert_line --regexp '^threads: woken from a timer interrupt after [0-9]+ us$'
	us=$(number '^threads: woken from a timer interrupt after \([0-9]*\) us$')
	[ "$us" -ge 10000 ]
	[ "$us" -lt 500000 ]
	assert_line "threads: all passed"
}

@test "threads: yield, semaphores, timeouts, sleep, errno, 50 threads, IRQ post (virt)" {
	boot virt "$(app virt)"
	threads_ok
}

@test "threads on rpi3" {
	boot rpi3 "$(app rpi3)"
	threads_ok
}

@test "threads on rpi4" {
	boot rpi4 "$(app rpi4)"
	threads_ok
}

@test "a thread that overruns its stack is caught by the canary, exit 134 (virt)" {
	boot virt "$(app virt)" threads=overflow
	assert_equal "$status" 134
	assert_line --partial "uk: panic: stack overflow in thread 'overflower' (canary at 0x"
	refute_line --partial "FAIL"
	# the backtrace follows frames on the thread's stack, down to the thread's function
	local addrs
	addrs=$(sed -n 's/^  #[0-9]* \(0x[0-9a-f]*\).*/\1/p' <<<"$output")
	[ -n "$addrs" ]
	# shellcheck disable=SC2086
	run aarch64-linux-gnu-addr2line -f -e "$BUILD/tests/apps/threads/virt/app.elf" $addrs
	assert_line overflow_thread
}

@test "stack overflow in a thread is caught on rpi3 and rpi4 too" {
	boot rpi3 "$(app rpi3)" threads=overflow
	assert_equal "$status" 134
	assert_line --partial "stack overflow in thread 'overflower'"
	boot rpi4 "$(app rpi4)" threads=overflow
	assert_equal "$status" 134
	assert_line --partial "stack overflow in thread 'overflower'"
}

# On virt only: QEMU's raspi machines keep the parked secondary cores spinning, so the host CPU
# time there says nothing about our idle loop.
@test "all threads asleep for a second: the core idles in WFI, little host CPU (virt)" {
	local f
	f=$(mktemp)
	TIMEFORMAT='%U %S'
	{ time boot virt "$(app virt)" threads=idle; } 2>"$f"
	assert_success
	assert_line --regexp '^threads: idle for 1[0-9]{3} ms$'
	# user + system CPU seconds of QEMU: a busy idle loop would take about a second
	run awk '{ exit !($1 + $2 < 0.5) }' "$f"
	rm -f "$f"
	assert_success
}

@test "main may end with uk_thread_exit: the app exits 0 when the last thread ends (virt)" {
	boot virt "$(app virt)" threads=main-exit
	assert_success
	assert_line "threads: last thread ends after main"
}
