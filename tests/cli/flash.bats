#!/usr/bin/env bats
# uk flash and uk devices. Writes only to plain files and to loop devices these tests attach
# (losetup on sparse files in the test's scratch directory; detached in teardown). The refusal
# checks run against fake sysfs/procfs trees (UK_SYSFS_ROOT, UK_PROC_ROOT) that describe one of
# those loop devices as a USB card, a fixed disk, a mounted disk... Needs root for losetup.
load helper

setup_file() {
	export IMGDIR="$BATS_FILE_TMPDIR/app"
	[ -x "$UK" ] || make -s -C "$UK_TOP/cli" >/dev/null
	"$UK" new "$IMGDIR" >/dev/null
	"$UK" build "$IMGDIR" >/dev/null
	export IMG="$IMGDIR/build/virt/sdcard.img"
}

setup() {
	common_setup
	: >"$T/loops"
}

teardown() {
	local l
	grep -q " $T/mnt " /proc/mounts && umount "$T/mnt"
	while read -r l; do [ -n "$l" ] && losetup -d "$l" 2>/dev/null; done <"$T/loops"
	common_teardown
}

# A loop device on a sparse file of $1 bytes (or SIZE understood by truncate) in $T.
mkloop() {
	local f="$T/backing-$RANDOM.img"
	truncate -s "$1" "$f"
	LOOP=$(losetup -f --show "$f")
	echo "$LOOP" >>"$T/loops"
	LOOPFILE=$f
	LOOPNAME=${LOOP#/dev/}
	LOOPDEV=$(cat "/sys/block/$LOOPNAME/dev")
}

# A fake /sys in which the loop device $LOOP is the disk sdz on the bus of path $1 (usb, ata,
# mmc), with partitions sdz1 and sdz2, and an empty fake /proc. Attributes are set after.
fake_tree() {
	local bus=$1 dir
	case $bus in
	usb) dir=devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/host6/target6:0:0/6:0:0:0 ;;
	mmc) dir=devices/platform/soc/mmc_host/mmc0/mmc0:aaaa ;;
	*) dir=devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0 ;;
	esac
	FAKE=$T/sys/$dir/block/sdz
	mkdir -p "$FAKE/holders" "$FAKE/sdz1/holders" "$FAKE/sdz2/holders" "$T/sys/dev/block" \
		"$T/sys/block" "$T/proc/self"
	ln -s "../../$dir/block/sdz" "$T/sys/dev/block/$LOOPDEV"
	ln -s "../$dir/block/sdz" "$T/sys/block/sdz"
	echo "$LOOPDEV" >"$FAKE/dev"
	echo $(($(blockdev --getsize64 "$LOOP") / 512)) >"$FAKE/size"
	echo 0 >"$FAKE/ro"
	echo 0 >"$FAKE/removable"
	echo "Generic " >"$T/sys/$dir/vendor"
	echo "STORAGE DEVICE  " >"$T/sys/$dir/model"
	mkdir -p "$FAKE/device"
	echo "Generic" >"$FAKE/device/vendor"
	echo "STORAGE DEVICE" >"$FAKE/device/model"
	if [ "$bus" = usb ]; then
		echo 0bda >"$T/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1/idVendor"
		echo 000000001206 >"$T/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1/serial"
	fi
	echo 259:77 >"$FAKE/sdz1/dev"
	echo 1 >"$FAKE/sdz1/partition"
	echo 259:78 >"$FAKE/sdz2/dev"
	echo 2 >"$FAKE/sdz2/partition"
	printf '22 27 0:21 / /proc rw,relatime - proc proc rw\n' >"$T/proc/self/mountinfo"
	printf 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n' >"$T/proc/swaps"
	export UK_SYSFS_ROOT=$T/sys UK_PROC_ROOT=$T/proc
}

first_sector_zero() {
	[ "$(head -c 512 "$1" | tr -d '\0' | wc -c)" -eq 0 ]
}

@test "flash to a new plain file: the same bytes as the image, verified" {
	run uk flash "$IMG" card.img --yes
	assert_success
	assert_output --partial "read back and verified"
	cmp card.img "$IMG"
}

@test "flash a build directory over a file of garbage: only used blocks are written, the FAT is sound" {
	head -c 80M /dev/urandom >card.img
	run uk flash "$IMGDIR/build/virt" card.img --yes
	assert_failure 10
	assert_output --partial "card.img is an existing file that does not look like a disk image"
	assert_output --partial "override: --overwrite-file"
	run uk flash "$IMGDIR/build/virt" card.img --yes --overwrite-file --json
	assert_success
	assert_line --partial '"verify":"ok"'
	assert_line --partial '"block_map":true'
	written=$(echo "$output" | grep -o '"bytes_written":[0-9]*' | cut -d: -f2)
	[ "$written" -lt $((4 << 20)) ]
	cmp -n 512 card.img "$IMG"
	l=$(losetup -f --show -o 4194304 --sizelimit $((60 << 20)) card.img)
	echo "$l" >>"$T/loops"
	run fsck.fat -n "$l"
	assert_success
	MTOOLS_SKIP_CHECK=1 mcopy -i card.img@@4M ::kernel8.img k
	cmp k "$IMGDIR/build/virt/kernel8.img"
}

@test "a loop device is refused unless --allow-loop, then written and verified" {
	mkloop 128M
	run uk flash "$IMG" "$LOOP" --yes
	assert_failure 10
	assert_output --partial "is a loop device"
	assert_output --partial "override: --allow-loop"
	run uk flash "$IMG" "$LOOP" --yes --allow-loop --no-map --progress=jsonl --json
	assert_success
	assert_line --partial '{"phase":"write"'
	assert_line --partial '{"phase":"verify"'
	assert_line --partial '"bytes_written":67108864'
	cmp -n 67108864 "$LOOP" "$IMG"
}

@test "a block-mapped flash leaves a card that reads like the image" {
	mkloop 128M
	dd if=/dev/urandom of="$LOOP" bs=1M count=128 status=none
	run uk flash "$IMG" "$LOOP" --yes --allow-loop
	assert_success
	MTOOLS_SKIP_CHECK=1 mcopy -i "$LOOPFILE@@4M" ::kernel8.img k
	cmp k "$IMGDIR/build/virt/kernel8.img"
	cmp -n 512 "$LOOP" "$IMG"
}

@test "the typed device name confirms; anything else writes nothing (exit 15)" {
	mkloop 128M
	run uk flash "$IMG" "$LOOP" --allow-loop <<<"sda"
	assert_failure 15
	assert_output --partial "not confirmed"
	first_sector_zero "$LOOP"
	run uk flash "$IMG" "$LOOP" --allow-loop <<<"$LOOPNAME"
	assert_success
	cmp -n 512 "$LOOP" "$IMG"
}

# Runs uk flash ARGS... with its confirmation typed by the test: once the prompt is on stderr,
# re-points the symbolic link $1 at $2, then types $3. Sets $status and $output.
flash_swapping() {
	local link=$1 to=$2 answer=$3
	shift 3
	rm -f "$T/answer"
	mkfifo "$T/answer"
	"$UK" flash "$@" <"$T/answer" >"$T/flash.out" 2>&1 &
	local pid=$!
	exec 4>"$T/answer"
	timeout 20 bash -c "until grep -q 'to go on: ' '$T/flash.out'; do sleep 0.02; done"
	ln -sfn "$to" "$link"
	echo "$answer" >&4
	exec 4>&-
	status=0
	wait "$pid" || status=$?
	output=$(cat "$T/flash.out")
}

@test "a link re-pointed during the prompt: refused, neither the checked nor the new target written" {
	# plain files: an empty card image is accepted, a text file is refused when named
	truncate -s 128M card.img
	echo thesis >thesis.txt
	run uk flash "$IMG" thesis.txt --yes
	assert_failure 10
	assert_output --partial "does not look like a disk image"
	ln -s card.img target
	flash_swapping target thesis.txt target "$IMG" target
	assert_equal "$status" 10
	assert_output --partial "no longer names the file uk checked ($T/card.img)"
	assert_equal "$(cat thesis.txt)" thesis
	first_sector_zero card.img
	# loop devices: a big one checked, a small one swapped in
	mkloop 128M
	big=$LOOP
	mkloop 1M
	ln -s "$big" dev
	flash_swapping dev "$LOOP" dev "$IMG" dev --allow-loop --no-map
	assert_equal "$status" 10
	assert_output --partial "no longer names the device uk checked ($big)"
	first_sector_zero "$big"
	first_sector_zero "$LOOP"
	# unchanged, the link is followed and the device it named is written
	ln -sfn "$big" dev
	flash_swapping dev "$big" dev "$IMG" dev --allow-loop
	assert_equal "$status" 0
	assert_output --partial "read back and verified"
	cmp -n $((64 << 20)) "$IMG" "$big"
}

@test "a new file is created before the checks; declined, it is removed again" {
	run uk flash "$IMG" new.img <<<"no"
	assert_failure 15
	assert [ ! -e new.img ]
	ln -s elsewhere.img dangling
	run uk flash "$IMG" dangling --yes
	assert_failure 10
	assert [ ! -e elsewhere.img ]
}

@test "model, size, bus and serial are printed before writing; --expect-serial/--expect-size pin the card" {
	mkloop 128M
	fake_tree usb
	run uk flash "$IMG" "$LOOP" --yes --expect-serial 999
	assert_failure 10
	assert_output --partial "target: $LOOP: Generic STORAGE DEVICE, 128.0 MiB, bus usb, serial 000000001206"
	assert_output --partial "has serial '000000001206', not '999'"
	run uk flash "$IMG" "$LOOP" --yes --expect-size 32G
	assert_failure 10
	assert_output --partial "(--expect-size)"
	run uk flash "$IMG" "$LOOP" --yes --expect-serial 000000001206 --expect-size 134217728
	assert_success
}

@test "refused: not removable (a fixed ATA disk), unless --allow-fixed" {
	mkloop 128M
	fake_tree ata
	run uk flash "$IMG" "$LOOP" --yes
	assert_failure 10
	assert_output --partial "is not removable"
	assert_output --partial "override: --allow-fixed"
	first_sector_zero "$LOOP"
	run uk flash "$IMG" "$LOOP" --yes --allow-fixed
	assert_success
}

@test "accepted: the removable flag, a USB bus, an MMC bus, a hotplug port" {
	mkloop 128M
	fake_tree ata
	echo 1 >"$FAKE/removable"
	run uk flash "$IMG" "$LOOP" --yes
	assert_success
	rm -rf "$T/sys" "$T/proc"
	fake_tree mmc
	run uk flash "$IMG" "$LOOP" --yes
	assert_success
	assert_output --partial "bus mmc"
	# a disk behind a hot-pluggable port (Thunderbolt): removable="removable" on a parent device
	rm -rf "$T/sys" "$T/proc"
	fake_tree ata
	echo removable >"$T/sys/devices/pci0000:00/0000:00:1f.2/removable"
	run uk flash "$IMG" "$LOOP" --yes
	assert_success
}

@test "refused: a mounted partition (fake mountinfo), and the system's own filesystems" {
	mkloop 128M
	fake_tree usb
	printf '40 27 259:77 / /media/card rw - vfat /dev/sdz1 rw\n' >>"$T/proc/self/mountinfo"
	run uk flash "$IMG" "$LOOP" --yes
	assert_failure 10
	assert_output --partial "/dev/sdz1 is mounted on /media/card"
	assert_output --partial "umount /media/card"
	for mp in / /usr /boot /home /var; do
		printf '22 27 0:21 / /proc rw - proc proc rw\n41 27 259:78 / %s rw - ext4 /dev/sdz2 rw\n' \
			"$mp" >"$T/proc/self/mountinfo"
		run uk flash "$IMG" "$LOOP" --yes --allow-fixed
		assert_failure 10
		assert_output --partial "holds this system's $mp (/dev/sdz2)"
	done
	first_sector_zero "$LOOP"
}

@test "refused: swap on a partition" {
	mkloop 128M
	fake_tree usb
	printf '/dev/sdz2  partition\t1048572\t0\t-2\n' >>"$T/proc/swaps"
	run uk flash "$IMG" "$LOOP" --yes
	assert_failure 10
	assert_output --partial "holds active swap (/dev/sdz2)"
}

@test "refused: held by device-mapper, LVM or RAID (holders)" {
	mkloop 128M
	fake_tree usb
	mkdir "$FAKE/sdz1/holders/dm-0"
	run uk flash "$IMG" "$LOOP" --yes
	assert_failure 10
	assert_output --partial "/dev/sdz1 is held by dm-0"
}

@test "refused: read-only, no medium, too small, a partition" {
	mkloop 128M
	fake_tree usb
	echo 1 >"$FAKE/ro"
	run uk flash "$IMG" "$LOOP" --yes
	assert_failure 10
	assert_output --partial "is read-only"
	# the size comes from the open device, not from sysfs (which claims 128 MiB here)
	echo 0 >"$FAKE/ro"
	big=$LOOP
	mkloop 1M
	echo "$LOOPDEV" >"$FAKE/dev"
	ln -sfn "$(readlink "$T/sys/dev/block/$(cat /sys/block/${big#/dev/}/dev)")" "$T/sys/dev/block/$LOOPDEV"
	run uk flash "$IMG" "$LOOP" --yes
	assert_failure 10
	assert_output --partial "(1.0 MiB) is smaller than the image (64.0 MiB)"
	mkloop 0
	ln -sfn "$(readlink "$T/sys/dev/block/$(cat /sys/block/${big#/dev/}/dev)")" "$T/sys/dev/block/$LOOPDEV"
	run uk flash "$IMG" "$LOOP" --yes
	assert_failure 10
	assert_output --partial "has no medium"
	LOOP=$big LOOPDEV=$(cat "/sys/block/${big#/dev/}/dev")
	# the loop device seen as sdz1, a partition of sdz
	rm "$T/sys/dev/block/$LOOPDEV"
	ln -s "$FAKE/sdz1" "$T/sys/dev/block/$LOOPDEV"
	run uk flash "$IMG" "$LOOP" --yes
	assert_failure 10
	assert_output --partial "is a partition; uk writes whole cards: /dev/sdz"
	first_sector_zero "$LOOP"
}

@test "refused: the device that holds the image file, and a loop device backed by the image" {
	mkloop 128M
	fake_tree usb
	stat -c '%Hd:%Ld' "$IMG" >"$FAKE/sdz2/dev"
	run uk flash "$IMG" "$LOOP" --yes
	assert_failure 10
	assert_output --partial "holds the image file itself"
	unset UK_SYSFS_ROOT UK_PROC_ROOT
	cp "$IMG" self.img
	l=$(losetup -f --show self.img)
	echo "$l" >>"$T/loops"
	run uk flash self.img "$l" --yes --allow-loop
	assert_failure 10
	assert_output --partial "is backed by the image file itself"
	run uk flash self.img self.img --yes
	assert_failure 10
	assert_output --partial "is the image file itself"
}

@test "refused: a really mounted loop device; busy (exit 11) when only the exclusive open notices" {
	mkloop 128M
	mkfs.ext4 -q -F "$LOOP"
	mkdir "$T/mnt"
	mount "$LOOP" "$T/mnt"
	run uk flash "$IMG" "$LOOP" --yes --allow-loop
	assert_failure 10
	assert_output --partial "is mounted on $T/mnt"
	# a /proc that does not show the mount: the O_EXCL open still refuses
	mkdir -p "$T/proc/self"
	: >"$T/proc/self/mountinfo"
	UK_PROC_ROOT=$T/proc run uk flash "$IMG" "$LOOP" --yes --allow-loop
	assert_failure 11
	assert_output --partial "Device or resource busy"
	umount "$T/mnt"
	run e2fsck -n "$LOOP"
	assert_success
}

@test "a byte corrupted on the card is caught by the read-back (exit 14, no partition table)" {
	mkloop 128M
	UK_FLASH_TEST_FLIP=$((4194304 + 700)) run uk flash "$IMG" "$LOOP" --yes --allow-loop --json
	assert_failure 14
	assert_output --partial "the card does not hold what was written"
	assert_output --partial "holds no partition table"
	assert_line --partial '"verify":"mismatch"'
	first_sector_zero "$LOOP"
}

@test "--no-map: a byte corrupted anywhere on the card is caught by the read-back (exit 14)" {
	mkloop 128M
	local size last
	size=$(stat -c %s "$IMG")
	last=$((size - 1))
	# just past the MBR (the first chunk), in the middle, and the image's last byte
	for off in 4096 $((size / 2 + 12345)) "$last"; do
		UK_FLASH_TEST_FLIP=$off run uk flash "$IMG" "$LOOP" --yes --allow-loop --no-map --json
		assert_failure 14
		assert_output --partial "the card does not hold what was written"
		assert_output --partial "offset $((off / 4194304 * 4194304)) read back differently"
		assert_line --partial '"verify":"mismatch"'
		first_sector_zero "$LOOP"
	done
	# and without a fault the same write verifies and leaves the image on the card
	run uk flash "$IMG" "$LOOP" --yes --allow-loop --no-map --json
	assert_success
	assert_line --partial '"verify":"ok"'
	cmp -n "$size" "$LOOP" "$IMG"
}

@test "a corrupt image is caught by its block map (exit 12), and without it by build.json" {
	mkloop 128M
	mkdir b
	cp "$IMGDIR"/build/virt/{sdcard.img,sdcard.img.bmap,build.json} b/
	printf 'X' | dd of=b/sdcard.img bs=1 seek=$((4194304 + 3)) conv=notrunc status=none
	run uk flash b "$LOOP" --yes --allow-loop
	assert_failure 12
	assert_output --partial "does not match its block map"
	first_sector_zero "$LOOP"
	run uk flash b "$LOOP" --yes --allow-loop --no-map
	assert_failure 12
	assert_output --partial "does not match its recorded hash"
	first_sector_zero "$LOOP"
	# a map that is not bmaptool's XML any more (tests/cli/bmap.bats: changed checksums)
	printf '<Range> 1 </Range>\n' >>b/sdcard.img.bmap
	run uk flash b "$LOOP" --yes --allow-loop
	assert_failure 12
	assert_output --partial "the block map b/sdcard.img.bmap cannot be used: it is not well-formed XML"
}

@test "an interrupted write leaves no partition table (exit 130)" {
	mkloop 128M
	uk flash "$IMG" "$LOOP" --yes --allow-loop >/dev/null 2>&1
	cmp -n 512 "$LOOP" "$IMG"
	UK_FLASH_TEST_INTERRUPT_AFTER=1 run uk flash "$IMG" "$LOOP" --yes --allow-loop --no-map
	assert_failure 130
	assert_output --partial "interrupted"
	assert_output --partial "holds no partition table"
	first_sector_zero "$LOOP"
}

@test "Ctrl-C (SIGINT) in the middle of a slow write leaves no partition table" {
	mkloop 128M
	uk flash "$IMG" "$LOOP" --yes --allow-loop >/dev/null 2>&1
	UK_FLASH_TEST_DELAY_MS=300 "$UK" flash "$IMG" "$LOOP" --yes --allow-loop --no-map \
		--progress=jsonl >out 2>err &
	pid=$!
	for _ in $(seq 100); do grep -q '"done":[1-9]' out && break; sleep 0.1; done
	grep -q '"done":[1-9]' out || fail "no progress in 10 s: the interrupt would not be mid-write"
	kill -INT $pid
	rc=0
	wait $pid || rc=$?
	[ "$rc" -eq 130 ]
	grep -q "holds no partition table" err
	first_sector_zero "$LOOP"
}

@test "usage errors exit 2; a missing image says so" {
	run uk flash
	assert_failure 2
	run uk flash nothing.img card.img --yes
	assert_failure 2
	assert_output --partial "no image at nothing.img"
	run uk flash "$IMG" card.img --progress=bar
	assert_failure 2
	run uk flash "$IMG" /dev/null --yes
	assert_failure 10
	assert_output --partial "neither a block device nor a plain file"
}

@test "uk devices lists candidates and says why the others are hidden" {
	mkloop 128M
	fake_tree usb
	mkdir -p "$T/sys/devices/virtual/block/vdq"
	echo 1000 >"$T/sys/devices/virtual/block/vdq/size"
	echo 253:9 >"$T/sys/devices/virtual/block/vdq/dev"
	ln -s ../devices/virtual/block/vdq "$T/sys/block/vdq"
	run uk devices
	assert_success
	assert_output --partial "Cards uk flash would write:"
	assert_output --regexp "/dev/sdz +128.0 MiB +usb +Generic STORAGE DEVICE +serial 000000001206"
	assert_output --partial "not-removable: /dev/vdq is not removable"
	run uk devices --json
	assert_success
	echo "$output" | jq -e '.candidates[0].name == "sdz" and .hidden[0].reasons[0].code == "not-removable"'
	unset UK_SYSFS_ROOT UK_PROC_ROOT
	run uk devices --json
	assert_success
	echo "$output" | jq -e --arg n "$LOOPNAME" '.hidden[] | select(.name == $n) | .reasons[0].code == "loop-device"'
}

@test "a real read-only loop device is refused" {
	truncate -s 128M ro.img
	l=$(losetup -r -f --show ro.img)
	echo "$l" >>"$T/loops"
	run uk flash "$IMG" "$l" --yes --allow-loop
	assert_failure 10
	assert_output --partial "$l is read-only"
}

@test "an I/O error (a full disk) stops the write: exit 13, no partition table" {
	mkloop 8M
	mkfs.ext4 -q -F "$LOOP"
	mkdir "$T/mnt"
	mount "$LOOP" "$T/mnt"
	run uk flash "$IMG" "$T/mnt/card.img" --yes --no-map --json
	assert_failure 13
	assert_output --partial "No space left on device"
	assert_output --partial "holds no partition table"
	assert_line --partial '"exit":13'
	first_sector_zero "$T/mnt/card.img"
}

@test "--no-map still checks the image against the hash its block map records (UkImageChecksum)" {
	mkdir b
	cp "$IMGDIR"/build/virt/{sdcard.img,sdcard.img.bmap} b/
	printf 'X' | dd of=b/sdcard.img bs=1 seek=$((60 << 20)) conv=notrunc status=none
	run uk flash b/sdcard.img card.img --yes --no-map
	assert_failure 12
	assert_output --partial "does not match its recorded hash"
	first_sector_zero card.img
}

@test "refused: a really mounted partition of a partitioned loop device; the new table is reread" {
	truncate -s 128M part.img
	l=$(losetup -P -f --show part.img)
	echo "$l" >>"$T/loops"
	run uk flash "$IMG" "$l" --yes --allow-loop
	assert_success
	# uk asked the kernel to reread the partition table: the boot partition appears
	for _ in $(seq 30); do [ -b "${l}p1" ] && break; sleep 0.1; done
	[ -b "${l}p1" ] || skip "this kernel does not scan MBR partitions (CONFIG_MSDOS_PARTITION)"
	mkfs.ext4 -q -F "${l}p1"
	mkdir "$T/mnt"
	mount "${l}p1" "$T/mnt"
	run uk flash "$IMG" "$l" --yes --allow-loop
	assert_failure 10
	assert_output --partial "/dev/${l#/dev/}p1 is mounted on $T/mnt"
	umount "$T/mnt"
}
