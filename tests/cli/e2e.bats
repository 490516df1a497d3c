#!/usr/bin/env bats
# End to end on every target: uk new, uk build, uk run --qemu; and the example app.
load helper

setup() { common_setup; }
teardown() { common_teardown; }

e2e() {
	run uk new "app$1" --target "$1"
	assert_success
	run uk build "app$1"
	assert_success
	run timeout 90 "$UK" run --qemu "app$1" --timeout 60
	assert_success
	assert_output --partial "Hello from app$1!"
}

@test "new, build, run on virt" { e2e virt; }
@test "new, build, run on rpi3" { e2e rpi3; }
@test "new, build, run on rpi4" { e2e rpi4; }

@test "examples/hello builds and runs from a copy" {
	cp -r "$UK_TOP/examples/hello" hello
	rm -rf hello/build
	run timeout 90 "$UK" run --qemu hello --timeout 60 --append greeting=hi
	assert_success
	assert_output --partial "greeting=hi"
}
