#!/usr/bin/env bats
# uk run --qemu: exit status, boot arguments, timeout, Ctrl-C, panics, gdb. Every QEMU run is
# bounded by --timeout and an outer timeout; waits are for console lines, never sleeps.
load helper

setup() { common_setup; }
teardown() {
	[ -z "${bg:-}" ] || kill "$bg" 2>/dev/null || true
	common_teardown
}

app_with_main() { # name, main.c text
	make_app "$1" "name: $1
sources: [main.c]"
	printf '%s\n' "$2" >"$1/main.c"
}

# Waits (at most $3 seconds) until file $1 contains $2.
wait_for() {
	local end=$((SECONDS + $3))
	until grep -q -- "$2" "$1" 2>/dev/null; do
		[ $SECONDS -lt $end ] || { cat "$1"; fail "timed out waiting for '$2'"; }
		read -r -t 0.05 <> <(:) || true
	done
}

@test "uk run needs --qemu" {
	uk new app >/dev/null
	run uk run app
	assert_failure 2
	assert_output --partial "--qemu"
}

@test "uk run builds when stale, boots, and exits with main's status" {
	app_with_main app '#include <stdio.h>
int main(void) { printf("exiting with 7\n"); return 7; }'
	run timeout 60 "$UK" run --qemu app --timeout 30
	assert_failure 7
	assert_output --partial "exiting with 7"
	assert_output --partial "built app for virt"
	[ -s app/build/virt/kernel8.img ]
	run timeout 60 "$UK" run --qemu app --timeout 30
	assert_failure 7
	refute_output --partial "built app"
}

@test "boot arguments: uk.qemu=1, the manifest's bootargs, then --append" {
	make_app app 'name: app
sources: [main.c]
bootargs: {who: manifest, spaced: "a b"}'
	printf '%s\n' '#include <stdio.h>
#include <uk/config.h>
int main(void)
{
	printf("qemu=%s who=%s spaced=%s extra=%s\n", uk_config_get("uk.qemu"),
	       uk_config_get("who"), uk_config_get("spaced"), uk_config_get("extra"));
	return 0;
}' >app/main.c
	run timeout 60 "$UK" run --qemu app --timeout 30 --append extra=42 -a who=cli
	assert_success
	assert_output --partial "qemu=1 who=cli spaced=a b extra=42"
	run timeout 60 "$UK" run --qemu app --timeout 30 --append "extra=c d"
	assert_success
	assert_output --partial "who=manifest spaced=a b extra=c d"
}

@test "--append without KEY=VALUE is a usage error" {
	uk new app >/dev/null
	run uk run --qemu app --append novalue
	assert_failure 2
	assert_output --partial "--append 'novalue': write KEY=VALUE"
}

@test "-m sets the guest memory" {
	app_with_main app '#include <stdio.h>
#include <uk/system.h>
int main(void) { printf("ram %llu MiB\n", (unsigned long long)(uk_system()->ram_size >> 20)); return 0; }'
	run timeout 60 "$UK" run --qemu app -m 200M --timeout 30
	assert_success
	assert_output --partial "ram 200 MiB"
}

@test "--timeout stops QEMU, says so and exits 124" {
	app_with_main app '#include <stdio.h>
int main(void) { printf("spinning\n"); for (;;) { } }'
	SECONDS=0
	run timeout 60 "$UK" run --qemu app --timeout 2
	assert_failure 124
	assert_output --partial "spinning"
	assert_output --partial "timeout: stopped QEMU after 2 s"
	[ $SECONDS -lt 30 ]
}

@test "Ctrl-C (SIGINT) stops QEMU, says so and exits 130" {
	app_with_main app '#include <stdio.h>
int main(void) { printf("spinning\n"); for (;;) { } }'
	uk build app >/dev/null
	timeout 60 "$UK" run --qemu app --timeout 50 >log 2>&1 3>&- &
	bg=$!
	wait_for log spinning 30
	ukpid=$(children $bg)
	qemu=$(children "$ukpid")
	[ -n "$ukpid" ] && [ -n "$qemu" ] || fail "no uk/QEMU process found"
	kill -INT "$ukpid"
	rc=0
	wait $bg || rc=$?
	bg=
	assert_equal "$rc" 130
	run cat log
	assert_output --partial "interrupted: stopped QEMU"
	run kill -0 "$qemu"
	assert_failure
}

@test "a panic's backtrace is symbolised from app.elf" {
	app_with_main app '#include <stdio.h>
__attribute__((noinline)) void crash_here(volatile int *p) { printf("crashing\n"); *p = 1; }
int main(void) { crash_here(0); return 0; }'
	run timeout 60 "$UK" run --qemu app --timeout 30
	assert_failure 134
	assert_output --partial "uk: panic"
	assert_output --regexp "#0 +0x[0-9a-f]+ in crash_here at main.c:2"
	assert_output --regexp "#1 +0x[0-9a-f]+ in main at main.c:3"
}

@test "--gdb starts QEMU paused and prints the gdb command that works" {
	uk new app >/dev/null
	uk build app >/dev/null
	port=$((20000 + RANDOM % 12000)) # below the ephemeral range
	timeout 60 "$UK" run --qemu app --gdb=$port --timeout 50 >log 2>&1 3>&- &
	bg=$!
	wait_for log "target remote" 30
	run cat log
	assert_output --partial "gdb-multiarch $T/app/build/virt/app.elf -ex 'target remote :$port'"
	refute_output --partial "Hello from app"
	run timeout 30 gdb-multiarch -batch -nx "$T/app/build/virt/app.elf" -ex "target remote :$port" \
		-ex "break main" -ex continue -ex "info symbol \$pc" -ex continue
	assert_output --partial "main in section .text"
	rc=0
	wait $bg || rc=$?
	bg=
	assert_equal "$rc" 0
	run cat log
	assert_output --partial "Hello from app!"
}

@test "a missing runtime exits 3" {
	uk new app >/dev/null
	UK_HOME=$T/none run uk run --qemu app --timeout 5
	assert_failure 3
}

@test "uk -v run prints the QEMU command; network: adds user networking with hostfwd" {
	port=$((20000 + RANDOM % 12000)) # below the ephemeral range
	make_app app "name: app
sources: [main.c]
network:
  ip: dhcp
  hostfwd: [\"udp:$port:7\"]"
	run timeout 60 "$UK" -v run --qemu app --timeout 30 -m 96M
	assert_success
	assert_output --partial "hi from app"
	assert_line --regexp "^\+ qemu-system-aarch64 -M virt.* -m 96M -display none -monitor none -serial stdio -no-reboot -semihosting-config enable=on,target=native"
	assert_output --partial "-netdev user,id=n0,hostfwd=udp:127.0.0.1:$port-:7 -device virtio-net-device,netdev=n0"
	assert_output --partial "-kernel $T/app/build/virt/kernel8.img -append 'uk.qemu=1 net.ip=dhcp'"
}

@test "cores: 4 gives QEMU virt -smp 4 and the app 4 cores; rpi3 gets no -smp (it has 4)" {
	make_app app "name: app
sources: [main.c]
cores: 4"
	printf '%s\n' '#include <stdio.h>
#include <uk/core.h>
int main(void) { printf("cores %d\n", uk_core_count()); return 0; }' >app/main.c
	run timeout 60 "$UK" -v run --qemu app --timeout 30
	assert_success
	assert_line --regexp "^\+ qemu-system-aarch64 -M virt.* -m [0-9]+M -smp 4 -display none"
	assert_output --partial "cores 4"
	sed -i 's/^cores: 4/cores: 1/' app/uk.yaml
	run timeout 60 "$UK" -v run --qemu app --timeout 30
	assert_success
	refute_output --partial "-smp"
	assert_output --partial "cores 1"
	printf 'name: app\nsources: [main.c]\ncores: 4\ntarget: rpi3\n' >app/uk.yaml
	run timeout 60 "$UK" -v run --qemu app --timeout 30
	assert_success
	refute_output --partial "-smp"
	assert_output --partial "cores 4"
}

@test "rpi3 boots with its dtb and console from target.conf" {
	uk new app --target rpi3 >/dev/null
	run timeout 60 "$UK" -v run --qemu app --timeout 30
	assert_success
	assert_output --partial "-M raspi3b"
	assert_output --partial "-serial null -serial stdio"
	assert_output --partial "-dtb $UK_CACHE/dtb/bcm2837-rpi-3-b.dtb"
	assert_output --partial "Hello from app!"
}

@test "when the console's reader goes away (| head), QEMU is stopped too" {
	app_with_main app '#include <stdio.h>
int main(void) { for (;;) printf("line\n"); }'
	uk build app >/dev/null
	run bash -c 'timeout 60 "$1" run --qemu app --timeout 50 2>err | head -n 2; echo "status ${PIPESTATUS[0]}"' _ "$UK"
	assert_line --index 0 --regexp "^line"
	assert_line "status 141"
	run cat err
	assert_output --partial "stopped QEMU"
	run qemu_running "$T/app/build/virt/kernel8.img"
	assert_failure
}

@test "a panic in a leaf function also names its caller (from x30)" {
	app_with_main app '#include <stdio.h>
__attribute__((noinline)) void leaf(volatile int *p) { *p = 1; }
int main(void) { printf("crashing\n"); leaf(0); return 0; }'
	run timeout 60 "$UK" run --qemu app --timeout 30
	assert_failure 134
	assert_output --regexp "#0 +0x[0-9a-f]+ in leaf at main.c:2"
	assert_output --regexp "lr +0x[0-9a-f]+ in main at main.c:3 \(x30: the caller of #0\)"
}
