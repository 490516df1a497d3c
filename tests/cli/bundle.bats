#!/usr/bin/env bats
# uk build --sign: the update bundle (docs/update.md), checked as a device must check it by
# tests/tools/ukb_verify.py (signature with openssl, every file's size and SHA-256), for each
# target; tampering is caught; bad keys and a missing version are refused before anything is
# written.
load helper

setup() {
	common_setup
	openssl ecparam -name prime256v1 -genkey -noout -out sign.key
	openssl ec -in sign.key -pubout -out sign.pub 2>/dev/null
}

teardown() { common_teardown; }

@test "uk build --sign writes update.ukb: signed, every boot file in it, for each target" {
	uk new app >/dev/null
	sed -i 's/^name: app$/name: app\nversion: 1.4.2/' app/uk.yaml
	local t
	for t in virt rpi3 rpi4; do
		run uk build app --target "$t" --sign sign.key
		assert_success
		assert_output --partial "update bundle"
		run "$UK_TOP/tests/tools/ukb_verify.py" "app/build/$t/update.ukb" sign.pub
		assert_success
		assert_line --regexp "^target $t app app version 1\\.4\\.2 files [0-9]+ payload [0-9]+$"
		local f
		for f in app/build/$t/boot/*; do
			assert_line "$(basename "$f") $(stat -c %s "$f") $(sha256sum <"$f" | cut -d' ' -f1)"
		done
	done
}

@test "a bundle changed anywhere fails the check: header, a file's bytes, or cut short" {
	uk new app >/dev/null
	sed -i 's/^name: app$/name: app\nversion: 2/' app/uk.yaml
	uk build app --sign sign.key >/dev/null
	cp app/build/virt/update.ukb good.ukb
	printf '3' | dd of=app/build/virt/update.ukb bs=1 seek=96 conv=notrunc status=none # version
	run "$UK_TOP/tests/tools/ukb_verify.py" app/build/virt/update.ukb sign.pub
	assert_failure
	assert_output "ukb_verify: bad signature"
	cp good.ukb bad.ukb
	printf 'X' | dd of=bad.ukb bs=1 seek=5000 conv=notrunc status=none
	run "$UK_TOP/tests/tools/ukb_verify.py" bad.ukb sign.pub
	assert_failure
	assert_output --regexp "SHA-256 mismatch$"
	head -c -10 good.ukb >short.ukb
	run "$UK_TOP/tests/tools/ukb_verify.py" short.ukb sign.pub
	assert_failure
	assert_output --partial "cut short"
	openssl ecparam -name prime256v1 -genkey -noout -out other.key
	openssl ec -in other.key -pubout -out other.pub 2>/dev/null
	run "$UK_TOP/tests/tools/ukb_verify.py" good.ukb other.pub
	assert_failure
	assert_output "ukb_verify: bad signature"
}

@test "--sign refuses a missing version, an RSA or P-384 key and a missing key file; nothing is written" {
	uk new app >/dev/null
	run uk build app --sign sign.key
	assert_failure 2
	assert_output --partial "--sign needs a version: add e.g. 'version: 1.0.0' to uk.yaml"
	[ ! -e app/build ]
	sed -i 's/^name: app$/name: app\nversion: 1.0.0/' app/uk.yaml
	openssl genrsa -out rsa.key 2048 2>/dev/null
	run uk build app --sign rsa.key
	assert_failure 2
	assert_output --partial "an ECDSA P-256 key (prime256v1) is needed"
	openssl ecparam -name secp384r1 -genkey -noout -out p384.key
	run uk build app --sign p384.key
	assert_failure 2
	assert_output --partial "an ECDSA P-256 key (prime256v1) is needed"
	run uk build app --sign missing.key
	assert_failure 2
	assert_output --partial "missing.key"
	[ ! -e app/build/virt/update.ukb ]
	run uk build app
	sed -i 's/^version: 1.0.0$/version: "1 0"/' app/uk.yaml
	run uk build app --sign sign.key
	assert_failure 2
	assert_output --partial "version '1 0': 1 to 31 letters"
}
