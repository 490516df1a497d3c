#!/usr/bin/env bats
# uk new and uk doctor.
load helper

setup() { common_setup; }
teardown() { common_teardown; }

@test "uk new makes uk.yaml, main.c and .gitignore" {
	run uk new hello
	assert_success
	assert_output --partial "uk run --qemu"
	run cat hello/uk.yaml
	assert_line "name: hello"
	assert_line "target: virt"
	assert_line "  - main.c"
	grep -q 'Hello from hello' hello/main.c
	assert_equal "$(cat hello/.gitignore)" "build/"
}

@test "uk new --target sets the target; the name is the last path component" {
	run uk new sub/dir/blinky --target rpi4
	assert_success
	run cat sub/dir/blinky/uk.yaml
	assert_line "name: blinky"
	assert_line "target: rpi4"
}

@test "uk new refuses an existing directory, a bad name or target, with 2" {
	mkdir taken
	run uk new taken
	assert_failure 2
	assert_output --partial "taken already exists"
	[ -z "$(ls taken)" ]
	run uk new 'bad name'
	assert_failure 2
	assert_output --partial "is not a good app name"
	[ ! -e 'bad name' ]
	run uk new ok --target pdp11
	assert_failure 2
	[ ! -e ok ]
	run uk new
	assert_failure 2
}

@test "uk new --json lists the files" {
	run uk new app --json
	assert_success
	assert_output '{"ok":true,"name":"app","dir":"app","target":"virt","files":["app/uk.yaml","app/main.c","app/.gitignore"]}'
}

@test "uk doctor passes on this machine and checks every piece" {
	run uk doctor
	assert_success
	for c in "cross compiler" picolibc "QEMU >= 9.0" "QEMU machine raspi4b" mkfs.fat mcopy \
		"Pi firmware" "Pi 3 device tree" "runtime virt" "runtime rpi4"; do
		assert_line --regexp "^ok +$c"
	done
	assert_output --partial "everything required is here"
}

@test "uk doctor says what to install and exits 3 when pieces are missing" {
	mkdir empty
	UK_CACHE=$T/empty UK_HOME=$T/empty run uk doctor
	assert_failure 3
	assert_output --regexp "MISSING +Pi firmware"
	assert_output --partial "fix: ./install.sh"
	assert_output --regexp "MISSING +runtime virt"
	assert_output --partial "fix: make runtime"
}

@test "uk doctor finds a missing tool on PATH and names its package" {
	mkdir bin
	for p in aarch64-linux-gnu-gcc aarch64-linux-gnu-objcopy aarch64-linux-gnu-addr2line qemu-system-aarch64 mkfs.fat fsck.fat; do
		ln -s "$(command -v $p)" bin/$p
	done
	PATH=$T/bin run "$UK" doctor
	assert_failure 3
	assert_output --regexp "MISSING +mcopy"
	assert_output --partial "fix: apt-get install mtools"
}

@test "uk doctor --json is valid and reports each check" {
	run uk doctor --json
	assert_success
	assert_output --regexp '^\{"ok":true,"uk_home":"[^"]+","uk_cache":"[^"]+","checks":\[\{"check":"cross compiler","ok":true,"required":true,"detail":"[^"]+"\},'
	refute_output --partial '"ok":false,"required":true'
	[ "$(grep -o '"check":' <<<"$output" | wc -l)" -gt 10 ]
	UK_HOME=$T/none run uk doctor --json
	assert_failure 3
	assert_output --regexp '"check":"runtime virt","ok":false,"required":true,"detail":"[^"]+","fix":"make runtime'
}
