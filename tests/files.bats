#!/usr/bin/env bats
# Files on the card: POSIX calls and stdio on /boot (FAT, through FatFs) and /tmp (RAM), the card
# uk run attaches (a working copy of sdcard.img that lasts from run to run: virtio-blk on virt,
# the SD slot on raspi3b and raspi4b, driven by drivers/sdhci.c), and fleet devices reading their
# own stamped files. tests/apps/files is the app. The POSIX test runs on every target; the
# persistence test on virt and rpi3 (raspi boots are slower; rpi4 shares the driver).
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

# posix_files TARGET [LINE...]: the app's every check passes on TARGET's card, the console shows
# each LINE, and what the app wrote and removed leaves a sound FAT behind.
posix_files() {
	local target=$1 line
	shift
	uk_run --target "$target"
	assert_success
	for line in "$@"; do
		assert_line "$line"
	done
	assert_line "files: ls /: tmp/ boot/"
	if [ "$target" = virt ]; then
		assert_line "files: ls /boot: cmdline.txt config.txt kernel8.img"
	else # the firmware and the boards' trees too
		assert_line --regexp '^files: ls /boot: .*cmdline\.txt config\.txt .*kernel8\.img'
	fi
	assert_line "files: fopen and fgets /boot/config.txt finds arm_64bit=1: ok"
	assert_line "files: pread 5 bytes at 7: ok"
	assert_line "files: ftruncate to 5: ok"
	assert_line "files: rename to u.txt: ok"
	assert_line "files: tmpfile: ok"
	assert_line "files: 0 failures"
	refute_output --partial FAILED
	boot_partition "$T/app/build/$target.card.img" "$T/boot.vfat"
	run fsck.fat -n "$T/boot.vfat"
	assert_success
	refute_output --partial "u.txt"
}

@test "POSIX files and stdio on /boot and /tmp: every call the app checks works (virt)" {
	posix_files virt
}

@test "POSIX files and stdio on rpi3: the SD card on the Arasan SDHCI, 4-bit, SDSC" {
	posix_files rpi3 "sdhci: emmc: SDSC card, 64 MiB, 4-bit"
}

@test "POSIX files and stdio on rpi4: EMMC2 empty, the card on the Arasan; a 3000 MiB image grows to 4 GiB (SDHC)" {
	run "$UK" build "$T/app" --target rpi4
	assert_success
	# not a power of two, and above SDSC's 2 GiB: QEMU makes it an SDHC card (block addresses)
	truncate -s 3000M "$T/app/build/rpi4/sdcard.img"
	posix_files rpi4 "sdhci: emmc2: no card (-19)" "sdhci: emmc: SDHC/SDXC card, 4096 MiB, 4-bit"
	[ "$(stat -c %s "$T/app/build/rpi4.card.img")" -eq $((4096 << 20)) ]
	[ "$(stat -c %s "$T/app/build/rpi4/sdcard.img")" -eq $((3000 << 20)) ] # the built image as it was
}

@test "rpi4: a card on EMMC2 (moved there by hand in QEMU) is found there first" {
	run "$UK" build "$T/app" --target rpi4
	assert_success
	cp "$T/app/build/rpi4/sdcard.img" "$T/card.img"
	cmd=$(qemu_cmd rpi4 "$T/app/build/rpi4/kernel8.img")
	# QEMU's first generic-sdhci on the system bus is raspi4b's EMMC2
	# shellcheck disable=SC2086
	run timeout -k 5 60 $cmd -drive "if=none,id=card,format=raw,file=$T/card.img" \
		-device sd-card,drive=card,bus=/generic-sdhci/sd-bus -append "uk.qemu=1" </dev/null
	strip_cr
	assert_success
	assert_line "sdhci: emmc2: SDSC card, 64 MiB, 4-bit"
	assert_line "files: 0 failures"
	refute_line --partial "sdhci: emmc:"
}

# persists TARGET: the card lasts from run to run; --fresh and a rebuild start it again.
persists() {
	local target=$1
	uk_run --target "$target" --append files.keep=runs.txt
	assert_success
	assert_line "files: /boot/runs.txt had 0 lines"
	uk_run --target "$target" --append files.keep=runs.txt
	assert_line "files: /boot/runs.txt had 1 lines"
	boot_partition "$T/app/build/$target.card.img" "$T/boot.vfat"
	run env MTOOLS_SKIP_CHECK=1 mtype -i "$T/boot.vfat" ::/runs.txt
	assert_output $'run 1\nrun 2'
	# the built image itself is never written
	run env MTOOLS_SKIP_CHECK=1 mdir -b -i "$T/app/build/$target/sdcard.img@@4M" ::/
	refute_output --partial runs.txt
	uk_run --target "$target" --append files.keep=runs.txt --fresh
	assert_output --partial "the card starts again from"
	assert_line "files: /boot/runs.txt had 0 lines"
	# a new kernel makes a new image: the card starts again (an unchanged one keeps it)
	touch "$T/app/main.c"
	uk_run --target "$target" --append files.keep=runs.txt
	assert_line "files: /boot/runs.txt had 1 lines"
	sed -i 's/had %d lines/had %d lines./' "$T/app/main.c"
	uk_run --target "$target" --append files.keep=runs.txt
	assert_output --partial "(rebuilt)"
	assert_line "files: /boot/runs.txt had 0 lines."
}

@test "the card lasts from run to run; a rebuild or --fresh starts it again from sdcard.img (virt)" {
	persists virt
}

@test "the card lasts from run to run on rpi3's SD slot" {
	persists rpi3
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
