#!/usr/bin/env bats
# uk --help, uk help CMD, uk CMD --help, uk version, unknown commands and options.
load helper

setup() { common_setup; }
teardown() { common_teardown; }

@test "uk --help lists every command and the exit codes" {
	run uk --help
	assert_success
	for c in new build run doctor version help; do assert_output --partial "  $c "; done
	assert_output --partial "Exit codes"
}

@test "uk with no command prints usage and exits 2" {
	run uk
	assert_failure 2
}

@test "uk help CMD and uk CMD --help show that command's usage" {
	for c in new build run doctor version help; do
		run uk help "$c"
		assert_success
		assert_line --index 0 --partial "usage: uk $c"
		run uk "$c" --help
		assert_success
		assert_line --index 0 --partial "usage: uk $c"
	done
}

@test "uk help of an unknown command fails with 2" {
	run uk help frobnicate
	assert_failure 2
	assert_output --partial "no such command 'frobnicate'"
}

@test "an unknown command says what the commands are" {
	run uk frobnicate
	assert_failure 2
	assert_output --partial "'frobnicate' is not a uk command"
	assert_output --partial "new, build, run"
}

@test "an unknown option is a usage error with the usage text" {
	run uk build --frob
	assert_failure 2
	assert_output --partial "unknown option '--frob'"
	assert_output --partial "usage: uk build"
}

@test "an option missing its value is a usage error" {
	run uk build --target
	assert_failure 2
	assert_output --partial "needs a value"
}

@test "uk version prints the version and UK_HOME" {
	run uk version
	assert_success
	assert_line --index 0 --regexp '^uk [0-9]+\.[0-9]+\.[0-9]+$'
	assert_output --partial "UK_HOME  $BUILD/lib/uk"
	run uk --version
	assert_success
	assert_line --index 0 --regexp '^uk [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "uk version --json is valid JSON with version and uk_home" {
	run uk version --json
	assert_success
	assert_output --regexp "^\{\"version\":\"[0-9]+\.[0-9]+\.[0-9]+\",\"uk_home\":\"$BUILD/lib/uk\",\"uk_cache\":\"[^\"]+\",\"targets\":\[(\"(virt|rpi3|rpi4)\",?)*\]\}\$"
}

@test "UK_HOME overrides where uk looks for its runtime" {
	UK_HOME=/nonexistent run uk version --json
	assert_success
	assert_output --partial '"uk_home":"/nonexistent"'
	assert_output --partial '"targets":[]'
}

@test "no colour codes when the output is not a terminal" {
	unset NO_COLOR
	run uk build --frob
	assert_failure 2
	assert_output --partial "uk: error: "
	refute_output --partial $'\033['
}

@test "--color=always forces colour, --color=never and NO_COLOR turn it off" {
	run uk --color=always build --frob
	assert_output --partial $'\033[1;31muk: error: '
	unset NO_COLOR
	run uk --color=never build --frob
	refute_output --partial $'\033['
	NO_COLOR=1 run uk doctor
	refute_output --partial $'\033['
}
