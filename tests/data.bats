#!/usr/bin/env bats
# /data: littlefs on the card's second partition (uk.yaml image.data), seeded from the app's
# data/ folder by uk build. Power cuts (QEMU killed with SIGKILL at random moments while the app
# appends fsync'ed records) lose nothing acknowledged; a full partition gives ENOSPC and loses
# nothing; a damaged one is reported at mount and the app boots (and can format it); I/O errors
# injected under the guest (QEMU's blkdebug) reach the app as EIO. tests/apps/datalog is the app.
# UK_POWER_CUTS sets the number of cuts (make test: 5; make soak: 100).
bats_require_minimum_version 1.5.0
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load lib/boot

setup() {
	T=$(mktemp -d)
	UK=$BUILD/bin/uk
	export UK_HOME NO_COLOR=1
	mkdir -p "$T/app/data/notes"
	cp "$UK_TOP/tests/apps/datalog/main.c" "$T/app/"
	printf 'name: datalog\nsources: [main.c]\nimage: {data: %s}\n' "${DATA_SIZE:-8M}" >"$T/app/uk.yaml"
	echo "seeded by uk build" >"$T/app/data/hello.txt"
	echo "in a folder" >"$T/app/data/notes/a.txt"
	run "$UK" build "$T/app"
	assert_success
	cp "$T/app/build/virt/sdcard.img" "$T/card.img"
}

teardown() {
	[ -z "${QPID:-}" ] || kill -9 "$QPID" 2>/dev/null || true
	rm -rf "$T"
}

# boot_card [DRIVE-OPTIONS] -- BOOTARGS...: the app with $T/card.img as its card; sets $output.
boot_card() {
	local drive="if=none,id=card,format=raw,file=$T/card.img"
	if [ "$1" != -- ]; then drive=$1; fi
	shift
	[ "${1:-}" = -- ] && shift
	# shellcheck disable=SC2046
	run timeout -k 5 60 $(qemu_cmd virt "$T/app/build/virt/kernel8.img") -drive "$drive" \
		-device virtio-blk-device,drive=card -append "uk.qemu=1 $*" </dev/null
	strip_cr
}

@test "uk build seeds /data from the app's data/ folder; the image's layout is in build.json" {
	boot_card -- data.cat=hello.txt
	assert_success
	assert_line "datalog: /data/hello.txt: seeded by uk build"
	boot_card -- data.cat=notes/a.txt
	assert_line "datalog: /data/notes/a.txt: in a folder"
	# a format never pulls /data from under an open directory or file
	boot_card -- data.busy=1
	assert_line "datalog: format with a directory open: Device or resource busy, with a file open: Device or resource busy"
	boot_card -- data.cat=hello.txt
	assert_line "datalog: /data/hello.txt: seeded by uk build"
	run jq -r '.image | "\(.size) \(.data_offset) \(.data_size)"' "$T/app/build/virt/build.json"
	assert_output "$((72 << 20)) $((64 << 20)) $((8 << 20))"
	run sfdisk -d "$T/card.img"
	assert_output --partial "start=      131072, size=       16384, type=da"
}

@test "uk flash writes /data whole over a card of garbage: the flashed card reads like the image" {
	head -c $((72 << 20)) /dev/urandom >"$T/old-card.img"
	printf '\x55\xaa' | dd of="$T/old-card.img" bs=1 seek=510 conv=notrunc status=none
	run "$UK" flash "$T/app/build/virt" "$T/old-card.img" --yes
	assert_success
	cmp <(dd if="$T/old-card.img" bs=1M skip=64 status=none) "$T/app/build/virt/data.img"
	mv "$T/old-card.img" "$T/card.img"
	boot_card -- data.cat=hello.txt
	assert_line "datalog: /data/hello.txt: seeded by uk build"
}

@test "power cuts while appending fsync'ed records lose no acknowledged record (${UK_POWER_CUTS:-5} cuts)" {
	local cuts=${UK_POWER_CUTS:-5} acked=0 want i
	for i in $(seq "$cuts"); do
		want=$((acked + 1 + RANDOM % 40))
		# QEMU itself in the background, so that SIGKILL reaches QEMU (the power cut), not a
		# wrapper; teardown kills it if the test stops first
		# shellcheck disable=SC2046
		$(qemu_cmd virt "$T/app/build/virt/kernel8.img") \
			-drive "if=none,id=card,format=raw,file=$T/card.img" \
			-device virtio-blk-device,drive=card -append "uk.qemu=1 data.append=1" \
			</dev/null >"$T/console" 2>&1 &
		QPID=$!
		timeout 60 bash -c "until grep -q '^ack $((want - 1))' '$T/console'; do sleep 0.01; done" ||
			fail "cut $i: no ack $((want - 1)) within 60 s: $(tail -3 "$T/console")"
		kill -9 "$QPID"
		wait "$QPID" 2>/dev/null || true
		QPID=
		acked=$(tr -d '\r' <"$T/console" | sed -n 's/^ack //p' | tail -n1)
		acked=$((acked + 1)) # records 0..acked-1 were acknowledged
		grep -q "records before, intact" "$T/console" || fail "cut $i: $(head -2 "$T/console")"
		boot_card -- data.verify=1
		assert_success
		local have
		have=$(sed -n 's/^datalog: verify: \([0-9]*\) records, intact$/\1/p' <<<"$output")
		[ -n "$have" ] && [ "$have" -ge "$acked" ] ||
			fail "cut $i: $acked records acknowledged, the next boot says: $output"
		acked=$have
		# the boot partition is untouched by all this
		dd if="$T/card.img" of="$T/boot.vfat" bs=1M skip=4 count=60 status=none
		run fsck.fat -n "$T/boot.vfat"
		assert_success
	done
	echo "# $cuts power cuts, $acked records on /data, none lost" >&3
}

@test "a full /data gives ENOSPC, keeps what was written, and still takes a delete" {
	DATA_SIZE=1M setup
	boot_card -- data.fill=1
	assert_success
	assert_line "datalog: 10 records written first"
	assert_line --regexp "^datalog: full after [0-9]+ bytes: No space left on device; fsync ok$"
	assert_line "datalog: verify: 10 records, intact"
	assert_line "datalog: delete when full: ok"
	boot_card -- data.verify=1
	assert_line "datalog: verify: 10 records, intact"
}

@test "a damaged /data is reported at mount, the app boots, and uk_fs_format makes a new one" {
	# overwrite the data partition's first 64 KiB (both littlefs superblocks) with noise
	head -c 65536 /dev/urandom | dd of="$T/card.img" bs=1M seek=64 conv=notrunc status=none
	boot_card -- data.verify=1
	assert_success
	assert_output --regexp "fs: /data: cannot mount the partition at block 131072 \\(-?[0-9]+\\): blank or damaged"
	assert_line "datalog: /data: No such device"
	boot_card -- data.format=1 data.cat=hello.txt
	assert_line "datalog: uk_fs_format: ok"
	assert_line "datalog: /data/hello.txt: No such file or directory"
	boot_card -- data.verify=1
	assert_line "datalog: open /data/log: No such file or directory"
	refute_output --partial "cannot mount"
}

@test "I/O errors under the guest (blkdebug) reach the app as EIO, never a panic" {
	printf '[inject-error]\nevent = "write_aio"\nerrno = "5"\n' >"$T/eio.cfg"
	boot_card "if=none,id=card,driver=raw,file.driver=blkdebug,file.config=$T/eio.cfg,file.image.filename=$T/card.img" -- data.append=1
	assert_failure 1
	# creating the file is the first write: littlefs commits its directory entry at once
	assert_line "datalog: open /data/log: I/O error"
	refute_output --partial panic
	# an existing file: reads work, the first appended record fails with EIO
	boot_card -- data.fill=1
	assert_line "datalog: 10 records written first"
	boot_card "if=none,id=card,driver=raw,file.driver=blkdebug,file.config=$T/eio.cfg,file.image.filename=$T/card.img" -- data.append=1
	assert_failure 1
	assert_line "datalog: 10 records before, intact"
	assert_line "datalog: write or fsync of record 10: I/O error"
	refute_output --partial panic
}
