#!/usr/bin/env bats
# Files on the card: POSIX calls and stdio on /boot (FAT, through FatFs) and /tmp (RAM), the card
# uk run attaches (virt: virtio-blk, a working copy of sdcard.img that lasts from run to run),
# and fleet devices reading their own stamped files. tests/apps/files is the app.
bats_require_minimum_version 1.5.0
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load lib/boot

setup() {
	T=$(mktemp -d)
	UK=$BUILD/bin/uk
	export UK_HOME NO_COLOR=1
	mkdir "$T/app"
	cp "$UK_TOP/tests/apps/files/main.c" "$T/app/"
	printf 'name: files\nsources: [main.c]\n' >"$T/app/uk.yaml"
}

teardown() {
	rm -rf "$T"
}

# uk run --qemu on the test app with a time bound; sets $output without CRs.
uk_run() {
	run timeout 90 "$UK" run --qemu "$T/app" --timeout 60 "$@"
	strip_cr
}

# The boot partition of a card image, as its own file (for fsck.fat).
boot_partition() {
	dd if="$1" of="$2" bs=1M skip=4 status=none
}

@test "POSIX files and stdio on /boot and /tmp: every call the app checks works" {
	uk_run
	assert_success
	assert_line "files: ls /: tmp/ boot/"
	assert_line "files: ls /boot: cmdline.txt config.txt kernel8.img"
	assert_line "files: fopen and fgets /boot/config.txt finds arm_64bit=1: ok"
	assert_line "files: pread 5 bytes at 7: ok"
	assert_line "files: ftruncate to 5: ok"
	assert_line "files: rename to u.txt: ok"
	assert_line "files: tmpfile: ok"
	assert_line "files: 0 failures"
	refute_output --partial FAILED
	# what the app wrote and removed left a sound FAT behind
	boot_partition "$T/app/build/virt.card.img" "$T/boot.vfat"
	run fsck.fat -n "$T/boot.vfat"
	assert_success
	refute_output --partial "u.txt"
}

@test "the card lasts from run to run; a rebuild or --fresh starts it again from sdcard.img" {
	uk_run --append files.keep=runs.txt
	assert_success
	assert_line "files: /boot/runs.txt had 0 lines"
	uk_run --append files.keep=runs.txt
	assert_line "files: /boot/runs.txt had 1 lines"
	boot_partition "$T/app/build/virt.card.img" "$T/boot.vfat"
	run env MTOOLS_SKIP_CHECK=1 mtype -i "$T/boot.vfat" ::/runs.txt
	assert_output $'run 1\nrun 2'
	# the built image itself is never written
	run env MTOOLS_SKIP_CHECK=1 mdir -b -i "$T/app/build/virt/sdcard.img@@4M" ::/
	refute_output --partial runs.txt
	uk_run --append files.keep=runs.txt --fresh
	assert_output --partial "the card starts again from"
	assert_line "files: /boot/runs.txt had 0 lines"
	# a new kernel makes a new image: the card starts again (an unchanged one keeps it)
	touch "$T/app/main.c"
	uk_run --append files.keep=runs.txt
	assert_line "files: /boot/runs.txt had 1 lines"
	sed -i 's/had %d lines/had %d lines./' "$T/app/main.c"
	uk_run --append files.keep=runs.txt
	assert_output --partial "(rebuilt)"
	assert_line "files: /boot/runs.txt had 0 lines."
}

@test "fleet devices each read their own stamped /boot/device.key from their own card" {
	mkdir "$T/keys"
	head -c 32 /dev/urandom >"$T/keys/a.key"
	head -c 48 /dev/urandom >"$T/keys/b.key"
	cat >"$T/fleet.yaml" <<'YAML'
devices:
  - name: sensor-a
    files: {device.key: keys/a.key}
  - name: sensor-b
    files: {device.key: keys/b.key}
YAML
	run "$UK" build "$T/app" --fleet "$T/fleet.yaml"
	assert_success
	for d in a b; do
		card=$T/app/build/virt/fleet/sensor-$d/sdcard.img
		cp "$card" "$T/card.img"
		cmd=$(qemu_cmd virt "$T/app/build/virt/kernel8.img")
		# virt has no firmware to read cmdline.txt: the device's boot arguments come from its
		# card through -append; device.key is read by the app from the card itself
		args=$(MTOOLS_SKIP_CHECK=1 mtype -i "$T/card.img@@4M" ::/cmdline.txt | tr -d '\r\n')
		# shellcheck disable=SC2086
		run timeout -k 5 60 $cmd -drive "if=none,id=card,format=raw,file=$T/card.img" \
			-device virtio-blk-device,drive=card -append "uk.qemu=1 $args files.cat=device.key" </dev/null
		strip_cr
		assert_success
		assert_line "files: /boot/device.key: $(stat -c %s "$T/keys/$d.key") bytes: $(od -An -v -tx1 "$T/keys/$d.key" | tr -d ' \n')"
	done
}

@test "without a card, files say so and fail cleanly; /tmp still works" {
	run timeout -k 5 60 $(qemu_cmd virt "$BUILD/tests/apps/files/virt/kernel8.img") -append "uk.qemu=1" </dev/null
	strip_cr
	assert_line "fs: no card: /boot and /data are not available"
	assert_line "files: ls /: tmp/"
	assert_line "files: tmpfile: ok"
	assert_line --partial "files: fopen and fgets /boot/config.txt finds arm_64bit=1: FAILED"
}
