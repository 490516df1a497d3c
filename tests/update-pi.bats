#!/usr/bin/env bats
# A/B updates on the Pi cards (issue 14, docs/update.md) under QEMU raspi4b and raspi3b, the card
# in the SD slot (drivers/sdhci.c). tests/tools/pi_firmware.py plays each board's firmware: the
# Pi 4's autoboot.txt and tryboot, the Pi 3's config.txt `include slot.txt` and os_prefix. The
# bundle comes from a file on /data (uk_update_install from any stream; HTTPS is tests/update.bats's
# part, on virt), so no network is needed.
load 'lib/boot'

setup_file() {
	export P=$BATS_FILE_TMPDIR/keys A=$BATS_FILE_TMPDIR/apps
	mkdir -p "$P" "$A"
	(
		cd "$P"
		openssl ecparam -name prime256v1 -genkey -noout -out sign.pem
		openssl ec -in sign.pem -pubout -out sign.pub.pem
	) >"$BATS_FILE_TMPDIR/keys.log" 2>&1
	head -c 100000 /dev/urandom >"$BATS_FILE_TMPDIR/keep.bin"
	# version TARGET DIR VERSION [MORE-YAML]: the update test app for TARGET, signed
	version() {
		local d=$A/$1-$2
		mkdir -p "$d/data"
		cp "$UK_TOP/tests/apps/update/main.c" "$d/"
		cp "$BATS_FILE_TMPDIR/keep.bin" "$d/data/"
		cp "$P/sign.pub.pem" "$d/update.pub.pem"
		printf 'name: upd\nversion: %s\ntarget: %s\nsources: [main.c]\nimage: {data: 16M}\nupdate: {slots: ab, key: update.pub.pem}\n%s' \
			"$3" "$1" "${4:-}" >"$d/uk.yaml"
		"$BUILD/bin/uk" build "$d" --sign "$P/sign.pem" >>"$BATS_FILE_TMPDIR/build.log" 2>&1
	}
	local t
	for t in rpi4 rpi3; do
		version $t v2 2.0.0
		version $t v3 3.0.0 $'bootargs: {update.on_trial: hang, uk.update.trial: 5}\n'
		mkdir -p "$A/$t-v1/data"
		cp "$A/$t-v2/build/$t/update.ukb" "$A/$t-v1/data/v2.ukb"
		cp "$A/$t-v3/build/$t/update.ukb" "$A/$t-v1/data/v3.ukb"
		version $t v1 1.0.0
	done
}

setup() {
	load '/usr/lib/bats/bats-support/load'
	load '/usr/lib/bats/bats-assert/load'
	T=$(mktemp -d)
}

teardown() {
	rm -rf "$T"
}

# card TARGET: a copy of version 1's card, grown to the power of two QEMU's SD slot needs
card() {
	[ -f "$A/$1-v1/build/$1/sdcard.img" ] || fail "uk build failed: $(tail -20 "$BATS_FILE_TMPDIR/build.log")"
	cp "$A/$1-v1/build/$1/sdcard.img" "$T/card.img"
	truncate -s 256M "$T/card.img"
}

# firmware TARGET [OPTIONS...] -- BOOTARGS...: the card powered on under pi_firmware.py
firmware() {
	local target=$1 opts=() q
	shift
	while [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	q=$(qemu_cmd "$target" /dev/null)
	# shellcheck disable=SC2086
	run timeout -k 5 900 "$UK_TOP/tests/tools/pi_firmware.py" "$T/card.img" "$T/console" \
		--boots 5 --timeout 300 "${opts[@]}" --append "uk.qemu=1 $*" -- ${q% -kernel /dev/null}
	assert_success
	run tr -d '\r' <"$T/console"
}

mfile() { # OFFSET-MIB FILE: a file of the FAT at that offset of the card
	MTOOLS_SKIP_CHECK=1 mtype -i "$T/card.img@@$(($1 << 20))" "::$2"
}

@test "rpi4: an update from a file on /data: written to slot B, tried once by tryboot, confirmed, kept" {
	card rpi4
	firmware rpi4 -- update.file=/data/v2.ukb update.want=2.0.0
	assert_line "firmware: boot 1: partition 2 tryboot 0"
	assert_line "update: running 1.0.0 slot A trial 0"
	assert_line "uk: update: version 2.0.0 written to slot B, checked"
	assert_line "firmware: boot 2: partition 3 tryboot 1"
	assert_line "update: running 2.0.0 slot B trial 1"
	assert_line "uk: update: version 2.0.0 confirmed in slot B"
	run mfile 4 autoboot.txt
	assert_output $'[all]\ntryboot_a_b=1\nboot_partition=3\n[tryboot]\nboot_partition=2'
	firmware rpi4 -- update.file=/data/v2.ukb update.want=2.0.0
	assert_line "firmware: boot 1: partition 3 tryboot 0"
	assert_line "update: running 2.0.0 slot B trial 0"
	assert_line "update: idle"
}

@test "rpi3: an update into b/: slot.txt switched, the trial counted, confirmed, kept" {
	card rpi3
	firmware rpi3 -- update.file=/data/v2.ukb update.want=2.0.0
	assert_line "firmware: boot 1: os_prefix a/"
	assert_line "update: running 1.0.0 slot A trial 0"
	assert_line "uk: update: version 2.0.0 written to slot B, checked"
	assert_line "firmware: boot 2: os_prefix b/"
	assert_line "update: running 2.0.0 slot B trial 1"
	assert_line "uk: update: version 2.0.0 confirmed in slot B"
	run mfile 4 slot.txt
	assert_output "os_prefix=b/"
	firmware rpi3 -- update.file=/data/v2.ukb update.want=2.0.0
	assert_line "firmware: boot 1: os_prefix b/"
	assert_line "update: running 2.0.0 slot B trial 0"
	assert_line "update: idle"
}

@test "rpi3: a version that hangs on its trial: reset, its second boot sends it back to a/, which reports it" {
	card rpi3
	firmware rpi3 --boots 6 --until 'update: rolled back' -- update.file=/data/v3.ukb update.want=3.0.0
	assert_line "firmware: boot 2: os_prefix b/"
	assert_line "update: trial: hanging"
	assert_line "uk: update: version 3.0.0 was not confirmed within 5 s: resetting to the previous version"
	assert_line "firmware: boot 3: os_prefix b/"
	assert_line "uk: update: version 3.0.0 (slot B) ended its trial unconfirmed: going back to slot A"
	assert_line "firmware: boot 4: os_prefix a/"
	assert_line "uk: update: version 3.0.0 (slot B) was not confirmed; back on 1.0.0 (slot A)"
	assert_line "update: rolled back from 3.0.0"
	run mfile 4 slot.txt
	assert_output "os_prefix=a/"
}
