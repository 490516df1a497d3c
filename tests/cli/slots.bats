#!/usr/bin/env bats
# uk.yaml update: slots: ab: the A/B card (docs/update.md, cli/pipeline/slots.c). The partition table,
# the autoboot partition's exact bytes (the runtime rewrites them), slot A's boot files with
# update.pem, an empty slot B, /data behind them; bad update: sections refused before anything
# is written; the same bytes twice; a fleet stamps slot A. The Pi 3's card (no tryboot): one
# FAT32 boot partition with the firmware, config.txt including slot.txt (os_prefix=a/), slot A's
# files in a/ and an empty b/; its bundle carries a/'s files; a fleet stamps the root.
load helper

setup() {
	common_setup
	export MTOOLS_SKIP_CHECK=1
	openssl ecparam -name prime256v1 -genkey -noout -out sign.pem
	openssl ec -in sign.pem -pubout -out update.pub.pem 2>/dev/null
}

teardown() { common_teardown; }

# slotted_app DIR TARGET [EXTRA-YAML]: an app with update: slots: ab and an 8M /data.
slotted_app() {
	make_app "$1" "name: $1
version: 1.0.0
target: $2
sources: [main.c]
image:
  data: 8M
update:
  slots: ab
  key: update.pub.pem
$3"
	cp update.pub.pem "$1/"
}

# "number type bootflag start size" per MBR entry, from the image's first sector.
mbr() {
	python3 - "$1" <<'EOF'
import struct, sys
b = open(sys.argv[1], 'rb').read(512)
assert b[510:] == b'\x55\xaa'
for i in range(4):
    e = b[446 + 16 * i:462 + 16 * i]
    if e[4]:
        print(i + 1, '%02x' % e[4], '%02x' % e[0], *struct.unpack('<II', e[8:16]))
EOF
}

# mapped_copy IMAGE OUT: OUT holds only the blocks IMAGE's block map (bmaptool's XML) lists,
# zeros elsewhere: what a card written through the map reads like.
mapped_copy() {
	python3 - "$1" "$2" <<'EOF'
import sys, xml.etree.ElementTree as ET
img, out = sys.argv[1], sys.argv[2]
root = ET.parse(img + '.bmap').getroot()
bs, size = int(root.find('BlockSize').text), int(root.find('ImageSize').text)
with open(img, 'rb') as i, open(out, 'wb') as o:
    o.truncate(size)
    for r in root.find('BlockMap').findall('Range'):
        a, _, b = r.text.strip().partition('-')
        a, b = int(a), int(b or a)
        i.seek(a * bs)
        o.seek(a * bs)
        o.write(i.read((b - a + 1) * bs))
EOF
}

# part FILE OFFSET-MIB SIZE-MIB: the partition's bytes, for fsck.fat
part() { dd if="$1" bs=1M skip="$2" count="$3" status=none; }

M=1048576

@test "a virt app with update: slots: ab: autoboot, slot A, slot B and /data at the right places" {
	slotted_app app virt
	run uk build app
	assert_success
	local img=app/build/virt/sdcard.img
	[ "$(stat -c %s $img)" -eq $((4 * M + 8 * M + 2 * 48 * M + 8 * M)) ]
	run mbr $img
	assert_success
	assert_output "1 0e 80 $((4 * M / 512)) $((8 * M / 512))
2 0c 00 $((12 * M / 512)) $((48 * M / 512))
3 0c 00 $((60 * M / 512)) $((48 * M / 512))
4 da 00 $((108 * M / 512)) $((8 * M / 512))"
	# partition 1: FAT16 UKAUTO holding exactly the two files, byte for byte
	run minfo -i "$img@@$((4 * M))"
	assert_output --partial "hidden sectors: 8192"
	file -s app/build/virt/autoboot.vfat | grep -q 'label: "UKAUTO     ", FAT (16 bit)'
	run mdir -b -i "$img@@$((4 * M))" ::/
	assert_output "::/autoboot.txt
::/uk-update.txt"
	printf '[all]\ntryboot_a_b=1\nboot_partition=2\n[tryboot]\nboot_partition=3\n' >want.autoboot
	{ printf 'state=none\n'; head -c 501 /dev/zero | tr '\0' '\n'; } >want.state
	[ "$(stat -c %s want.state)" -eq 512 ]
	mtype -i "$img@@$((4 * M))" ::/autoboot.txt >got.autoboot
	mtype -i "$img@@$((4 * M))" ::/uk-update.txt >got.state
	cmp want.autoboot got.autoboot
	cmp want.state got.state
	# partition 2: slot A, the boot files and update.pem = the key
	run mdir -b -i "$img@@$((12 * M))" ::/
	assert_line "::/kernel8.img"
	assert_line "::/cmdline.txt"
	assert_line "::/update.pem"
	mtype -i "$img@@$((12 * M))" ::/update.pem >got.pem
	cmp update.pub.pem got.pem
	mtype -i "$img@@$((12 * M))" ::/kernel8.img >got.kernel
	cmp app/build/virt/kernel8.img got.kernel
	cmp update.pub.pem app/build/virt/boot/update.pem
	file -s app/build/virt/boot.vfat | grep -q 'label: "UKBOOT     "'
	# partition 3: slot B, an empty FAT32
	run mdir -b -i "$img@@$((60 * M))" ::/
	assert_success
	assert_output ""
	file -s app/build/virt/slot-b.vfat | grep -q 'label: "UKSLOTB    "'
	# build.json records the layout
	run jq -c '[.image.partitions[] | [.number, .role, .type, .offset, .size]]' app/build/virt/build.json
	assert_output "[[1,\"autoboot\",\"0x0e\",$((4 * M)),$((8 * M))],[2,\"slot-a\",\"0x0c\",$((12 * M)),$((48 * M))],[3,\"slot-b\",\"0x0c\",$((60 * M)),$((48 * M))],[4,\"data\",\"0xda\",$((108 * M)),$((8 * M))]]"
	# the block map covers every partition's metadata, the used clusters and all of /data:
	# a card written through it reads like the image
	mapped_copy $img mapped.img
	part mapped.img 4 8 >p1.img
	part mapped.img 12 48 >p2.img
	part mapped.img 60 48 >p3.img
	fsck.fat -n p1.img
	fsck.fat -n p2.img
	fsck.fat -n p3.img
	mtype -i "mapped.img@@$((4 * M))" ::/autoboot.txt | cmp - want.autoboot
	mtype -i "mapped.img@@$((12 * M))" ::/kernel8.img | cmp - app/build/virt/kernel8.img
	cmp <(tail -c $((8 * M)) mapped.img) <(tail -c $((8 * M)) $img)
}

@test "uk data put and get work on the slotted card's /data (partition 4)" {
	slotted_app app virt
	uk build app >/dev/null
	cp app/build/virt/sdcard.img card.img
	echo "hello slots" >note.txt
	run uk data put card.img note.txt /note.txt
	assert_success
	run uk data get card.img /note.txt got.txt
	assert_success
	cmp note.txt got.txt
	run uk data ls card.img
	assert_output --partial "note.txt"
	# slot A is untouched by a /data write
	cmp <(dd if=card.img bs=1M skip=4 count=104 status=none) \
		<(dd if=app/build/virt/sdcard.img bs=1M skip=4 count=104 status=none)
}

@test "slot_size sets both slots; rpi4 puts its firmware in slot A" {
	[ -n "$(ls "$UK_CACHE"/debs/raspi-firmware_*.deb 2>/dev/null)" ] || skip "no raspi-firmware .deb"
	slotted_app app rpi4 "  slot_size: 64M"
	sed -i 's/^  data: 8M$/  data: 1M/' app/uk.yaml
	run uk build app
	assert_success
	local img=app/build/rpi4/sdcard.img
	[ "$(stat -c %s $img)" -eq $((12 * M + 2 * 64 * M + M)) ]
	run mbr $img
	assert_output "1 0e 80 $((4 * M / 512)) $((8 * M / 512))
2 0c 00 $((12 * M / 512)) $((64 * M / 512))
3 0c 00 $((76 * M / 512)) $((64 * M / 512))
4 da 00 $((140 * M / 512)) $((M / 512))"
	run mdir -b -i "$img@@$((12 * M))" ::/
	assert_line "::/start4.elf"
	assert_line "::/fixup4.dat"
	assert_line "::/bcm2711-rpi-4-b.dtb"
	assert_line "::/config.txt"
	assert_line "::/update.pem"
	run mdir -b -i "$img@@$((76 * M))" ::/
	assert_output ""
}

# The Pi 3 card's sizes for the default slot_size (48M) and image.data 8M: partition 1 at 4M of
# 16M + 2 x 48M = 112M, /data at 116M.
P3=$((16 * M + 2 * 48 * M))

need_pi_firmware() {
	[ -n "$(ls "$UK_CACHE"/debs/raspi-firmware_*.deb 2>/dev/null)" ] || skip "no raspi-firmware .deb"
}

@test "an rpi3 app with update: slots: ab: one FAT32 boot partition with a/, b/, slot.txt and uk-update.txt, then /data" {
	need_pi_firmware
	slotted_app app rpi3
	run uk build app
	assert_success
	local img=app/build/rpi3/sdcard.img
	[ "$(stat -c %s $img)" -eq $((4 * M + P3 + 8 * M)) ]
	run mbr $img
	assert_output "1 0c 80 $((4 * M / 512)) $((P3 / 512))
2 da 00 $(((4 * M + P3) / 512)) $((8 * M / 512))"
	run minfo -i "$img@@$((4 * M))"
	assert_output --partial "hidden sectors: 8192"
	file -s app/build/rpi3/boot.vfat | grep 'FAT (32 bit)' | grep -q 'label: "UKBOOT     "'
	# the root: the firmware, config.txt, the slot switch and the update state; a/ and b/
	run mdir -b -i "$img@@$((4 * M))" ::/
	assert_output "::/bootcode.bin
::/config.txt
::/fixup.dat
::/slot.txt
::/start.elf
::/uk-update.txt
::/a/
::/b/"
	# the exact bytes the runtime reads and rewrites
	mtype -i "$img@@$((4 * M))" ::/slot.txt >got.slot
	printf 'os_prefix=a/\n' | cmp - got.slot
	{ printf 'state=none\n'; head -c 501 /dev/zero | tr '\0' '\n'; } >want.state
	mtype -i "$img@@$((4 * M))" ::/uk-update.txt | cmp - want.state
	mtype -i "$img@@$((4 * M))" ::/config.txt >got.config
	[ "$(tail -c 24 got.config | od -An -c | tr -s ' ')" = \
		"$(printf '\n[all]\ninclude slot.txt\n' | od -An -c | tr -s ' ')" ]
	grep -q '^kernel=kernel8.img$' got.config
	# config.txt is the one a card without slots has, then the include
	make_app plain "name: plain
target: rpi3
sources: [main.c]"
	uk build plain >/dev/null
	{ cat plain/build/rpi3/boot/config.txt; printf '\n[all]\ninclude slot.txt\n'; } | cmp - got.config
	# slot A: everything else the boot files are; slot B: empty
	run mdir -b -i "$img@@$((4 * M))" ::/a
	assert_output "::/a/bcm2837-rpi-3-a-plus.dtb
::/a/bcm2837-rpi-3-b-plus.dtb
::/a/bcm2837-rpi-3-b.dtb
::/a/bcm2837-rpi-cm3-io3.dtb
::/a/bcm2837-rpi-zero-2-w.dtb
::/a/cmdline.txt
::/a/kernel8.img
::/a/update.pem"
	mtype -i "$img@@$((4 * M))" ::/a/kernel8.img | cmp - app/build/rpi3/kernel8.img
	mtype -i "$img@@$((4 * M))" ::/a/update.pem | cmp - update.pub.pem
	run mdir -b -i "$img@@$((4 * M))" ::/b
	assert_success
	assert_output ""
	# the build's boot/ is the partition's tree
	(cd app/build/rpi3/boot && find a -type f | sort) | grep -c . | grep -qx 8
	[ -d app/build/rpi3/boot/b ]
	[ -z "$(ls -A app/build/rpi3/boot/b)" ]
	cmp app/build/rpi3/boot.vfat <(dd if=$img bs=1M skip=4 count=$((P3 / M)) status=none)
	run fsck.fat -n app/build/rpi3/boot.vfat
	assert_success
	refute_output --partial "differences"
	# build.json: one boot partition holding the slots, and /data
	run jq -c '[.image.partitions[] | [.number, .role, .type, .bootable, .offset, .size, .slots]]' app/build/rpi3/build.json
	assert_output "[[1,\"boot\",\"0x0c\",true,$((4 * M)),$P3,\"os_prefix\"],[2,\"data\",\"0xda\",false,$((4 * M + P3)),$((8 * M)),null]]"
	run jq -r '.image.slots, .image.slot_size, .image.data_offset' app/build/rpi3/build.json
	assert_output "ab
$((48 * M))
$((4 * M + P3))"
	jq -e '.artifacts["boot/a/kernel8.img"].size > 0 and .artifacts["boot/slot.txt"].size == 13' app/build/rpi3/build.json
	# a card written through the block map reads the same: a/ and b/'s clusters are mapped
	mapped_copy $img mapped.img
	part mapped.img 4 $((P3 / M)) >p1.img
	fsck.fat -n p1.img
	cmp <(mdir -b -i "mapped.img@@$((4 * M))" ::/a) <(mdir -b -i "$img@@$((4 * M))" ::/a)
	run mdir -b -i "mapped.img@@$((4 * M))" ::/b
	assert_output ""
	for f in a/kernel8.img a/cmdline.txt a/update.pem start.elf config.txt slot.txt uk-update.txt; do
		mtype -i "mapped.img@@$((4 * M))" ::/$f | cmp - app/build/rpi3/boot/$f
	done
	cmp <(tail -c $((8 * M)) mapped.img) <(tail -c $((8 * M)) $img)
	# uk data finds /data as partition 2 and leaves the boot partition alone
	cp $img card.img
	echo "hello pi 3" >note.txt
	run uk data put card.img note.txt /note.txt
	assert_success
	run uk data get card.img /note.txt got.txt
	assert_success
	cmp note.txt got.txt
	cmp <(head -c $((4 * M + P3)) card.img) <(head -c $((4 * M + P3)) $img)
}

@test "rpi3 slot_size sets the boot partition's size; --target rpi3 builds the slotted card too" {
	need_pi_firmware
	slotted_app app virt "  slot_size: 40M"
	sed -i '/^  data: 8M$/d; /^image:$/d' app/uk.yaml
	run uk build app --target rpi3
	assert_success
	run mbr app/build/rpi3/sdcard.img
	assert_output "1 0c 80 $((4 * M / 512)) $(((16 + 80) * M / 512))"
	[ "$(stat -c %s app/build/rpi3/sdcard.img)" -eq $((100 * M)) ]
	run mdir -b -i "app/build/rpi3/sdcard.img@@$((4 * M))" ::/b
	assert_output ""
	# an unchanged app is up to date (it has no autoboot or slot B image to look for)
	run uk build app --target rpi3
	assert_success
	refute_output --partial "built app"
}

@test "--sign on a slotted rpi3 app: the bundle carries exactly slot A's files, without a/" {
	need_pi_firmware
	slotted_app app rpi3
	run uk build app --sign sign.pem
	assert_success
	run "$UK_TOP/tests/tools/ukb_verify.py" app/build/rpi3/update.ukb update.pub.pem
	assert_success
	assert_line --index 0 --partial "target rpi3 app app version 1.0.0 files 8 "
	# one line per file: the names of a/, sorted, and their bytes
	tail -n +2 <<<"$output" | cut -d' ' -f1 >got.names
	ls app/build/rpi3/boot/a >want.names
	cmp want.names got.names
	mdir -b -i "app/build/rpi3/sdcard.img@@$((4 * M))" ::/a | sed 's|^::/a/||' | cmp - got.names
	tail -n +2 <<<"$output" | while read -r name size sum; do
		[ "$(sha256sum <app/build/rpi3/boot/a/$name | cut -d' ' -f1)" = "$sum" ]
		[ "$(stat -c %s app/build/rpi3/boot/a/$name)" -eq "$size" ]
	done
	refute_output --partial "config.txt"
	refute_output --partial "start.elf"
	refute_output --partial "slot.txt"
	# virt's bundle of the same app still carries the whole boot partition
	run uk build app --target virt --sign sign.pem
	assert_success
	run "$UK_TOP/tests/tools/ukb_verify.py" app/build/virt/update.ukb update.pub.pem
	assert_line --partial "kernel8.img "
	assert_line --partial "update.pem "
}

@test "two builds of a slotted rpi3 app give the same sdcard.img bytes" {
	need_pi_firmware
	slotted_app app rpi3
	uk build app >/dev/null
	cp app/build/rpi3/sdcard.img first.img
	rm -rf app/build
	sleep 2 # FAT times have 2 s steps: a date from the clock would show
	uk build app >/dev/null
	cmp first.img app/build/rpi3/sdcard.img
}

@test "a fleet build of a slotted rpi3 app stamps each device's files at the boot partition's root" {
	need_pi_firmware
	slotted_app app rpi3
	echo "secret-1" >d1.key
	cat >inv.yaml <<-EOF
		devices:
		  - name: d1
		    ip: 10.0.0.5/24
		    files: [d1.key]
		  - name: d2
	EOF
	run uk build app --fleet inv.yaml
	assert_success
	local f=app/build/rpi3/fleet/d1/sdcard.img
	run mbr "$f"
	assert_output "1 0c 80 $((4 * M / 512)) $((P3 / 512))
2 da 00 $(((4 * M + P3) / 512)) $((8 * M / 512))"
	run mdir -b -i "$f@@$((4 * M))" ::/
	assert_output "::/bootcode.bin
::/config.txt
::/d1.key
::/fixup.dat
::/slot.txt
::/start.elf
::/uk-update.txt
::/a/
::/b/"
	mtype -i "$f@@$((4 * M))" ::/d1.key | cmp - d1.key
	# the device's boot arguments are slot A's cmdline.txt; the rest of a/ is the build's
	mtype -i "$f@@$((4 * M))" ::/a/cmdline.txt | grep -q 'net.ip=10.0.0.5/24'
	cmp <(mdir -b -i "$f@@$((4 * M))" ::/a) <(mdir -b -i "app/build/rpi3/sdcard.img@@$((4 * M))" ::/a)
	mtype -i "$f@@$((4 * M))" ::/a/kernel8.img | cmp - app/build/rpi3/kernel8.img
	mtype -i "$f@@$((4 * M))" ::/slot.txt | cmp - app/build/rpi3/boot/slot.txt
	mtype -i "$f@@$((4 * M))" ::/config.txt | cmp - app/build/rpi3/boot/config.txt
	run mdir -b -i "$f@@$((4 * M))" ::/b
	assert_output ""
	part "$f" 4 $((P3 / M)) >p1.img
	fsck.fat -n p1.img
	# /data is the build's own bytes
	cmp <(tail -c $((8 * M)) "$f") <(tail -c $((8 * M)) app/build/rpi3/sdcard.img)
	run mdir -b -i "app/build/rpi3/fleet/d2/sdcard.img@@$((4 * M))" ::/
	refute_line "::/d1.key"
	[ -s "$f.bmap" ]
	# a device file may not take a slot's or slot A's name
	cat >bad.yaml <<-EOF
		devices:
		  - name: d1
		    files: {update.pem: d1.key}
	EOF
	run uk build app --fleet bad.yaml
	assert_failure
	assert_output --partial "file update.pem would replace the build's own update.pem"
	cat >bad.yaml <<-EOF
		devices:
		  - name: d1
		    files: {B: d1.key}
	EOF
	run uk build app --fleet bad.yaml
	assert_failure
	assert_output --partial "file B would replace the build's own b"
	[ -e app/build/rpi3/fleet/d1/sdcard.img ] # the previous fleet is untouched
}

@test "a bad update: section is refused with exit 2, naming the field, and nothing is written" {
	slotted_app app virt
	refused() { # refused MESSAGE: the build fails with 2 and writes nothing
		run uk build app
		assert_failure 2
		assert_output --partial "$1"
		[ ! -e app/build ] || fail "a refused build wrote app/build"
	}
	cp app/uk.yaml good.yaml
	cp sign.pem app/update.pub.pem # a private key, not a public one
	refused "update.key 'update.pub.pem': it is not a PEM public key"
	assert_output --partial "openssl ec -in signing.pem -pubout -out update.pub.pem"
	openssl ecparam -name secp384r1 -genkey -noout -out p384.pem
	openssl ec -in p384.pem -pubout -out app/update.pub.pem 2>/dev/null
	refused "update.key 'update.pub.pem': it is not an ECDSA P-256 (prime256v1) key"
	rm app/update.pub.pem
	refused "update.key 'update.pub.pem': cannot read it"
	cp update.pub.pem app/
	sed '/^  key:/d' good.yaml >app/uk.yaml
	refused "'update' needs 'key: FILE'"
	sed 's/^  slots: ab$/  slots: ab\n  slot_size: 30M/' good.yaml >app/uk.yaml
	refused "update.slot_size '30M' is out of range"
	sed 's/^  slots: ab$/  slots: ab\n  slot_size: 40.5M/' good.yaml >app/uk.yaml
	refused "update.slot_size '40.5M'"
	sed 's/^  data: 8M$/  data: 8M\n  size: 64M/' good.yaml >app/uk.yaml
	refused "image.size and update both set the card's size"
	sed '/^version:/d' good.yaml >app/uk.yaml
	refused "'update' needs 'version:'"
	sed 's/^  slots: ab$/  slots: abc/' good.yaml >app/uk.yaml
	refused "update.slots 'abc': only 'ab'"
	sed 's/^  slots: ab$/  slots: ab\n  slot: 40M/' good.yaml >app/uk.yaml
	refused "unknown key 'slot' in 'update'"
	cp good.yaml app/uk.yaml
	run uk build app
	assert_success
}

@test "--sign with a key that is not update.key's private half is refused; the right one signs" {
	slotted_app app virt
	openssl ecparam -name prime256v1 -genkey -noout -out other.pem
	run uk build app --sign other.pem
	assert_failure 2
	assert_output --partial "devices trust update.key; this signing key's bundles would be refused"
	[ ! -e app/build ]
	run uk build app --sign sign.pem
	assert_success
	[ -s app/build/virt/update.ukb ]
	# the bundle carries update.pem: the next version's key
	grep -q 'update.pem' app/build/virt/update.ukb
	run uk build app --sign sign.pem # the output with update.ukb is replaced again
	assert_success
}

@test "two builds of a slotted app give the same sdcard.img bytes" {
	slotted_app app virt
	uk build app >/dev/null
	cp app/build/virt/sdcard.img first.img
	rm -rf app/build
	uk build app >/dev/null
	cmp first.img app/build/virt/sdcard.img
	# a changed key is a changed card
	openssl ecparam -name prime256v1 -genkey -noout -out k2.pem
	openssl ec -in k2.pem -pubout -out app/update.pub.pem 2>/dev/null
	uk build app >/dev/null
	run cmp -s first.img app/build/virt/sdcard.img
	assert_failure
	mtype -i "app/build/virt/sdcard.img@@$((12 * M))" ::/update.pem | cmp - app/update.pub.pem
	# a build output without slot B's image is not up to date (the fleet stamper reads it)
	rm app/build/virt/slot-b.vfat
	run uk build app
	assert_output --partial "built app"
	[ -s app/build/virt/slot-b.vfat ]
}

@test "a fleet build of a slotted app stamps each device's files into slot A" {
	slotted_app app virt
	echo "secret-1" >d1.key
	cat >inv.yaml <<-EOF
		devices:
		  - name: d1
		    ip: 10.0.0.5/24
		    files: [d1.key]
		  - name: d2
	EOF
	run uk build app --fleet inv.yaml
	assert_success
	local f=app/build/virt/fleet/d1/sdcard.img
	run mbr "$f"
	assert_line --index 0 "1 0e 80 $((4 * M / 512)) $((8 * M / 512))"
	assert_line --index 3 "4 da 00 $((108 * M / 512)) $((8 * M / 512))"
	run mdir -b -i "$f@@$((12 * M))" ::/
	assert_line "::/d1.key"
	assert_line "::/update.pem"
	assert_line "::/kernel8.img"
	mtype -i "$f@@$((12 * M))" ::/cmdline.txt | grep -q 'net.ip=10.0.0.5/24'
	mtype -i "$f@@$((12 * M))" ::/d1.key | cmp - d1.key
	# autoboot, slot B and /data are the build's own bytes
	cmp <(dd if="$f" bs=1M skip=4 count=8 status=none) \
		<(dd if=app/build/virt/sdcard.img bs=1M skip=4 count=8 status=none)
	cmp <(dd if="$f" bs=1M skip=60 count=56 status=none) \
		<(dd if=app/build/virt/sdcard.img bs=1M skip=60 count=56 status=none)
	run mdir -b -i "app/build/virt/fleet/d2/sdcard.img@@$((12 * M))" ::/
	refute_line "::/d1.key"
	[ -s "$f.bmap" ]
}
