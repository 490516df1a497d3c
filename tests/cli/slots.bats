#!/usr/bin/env bats
# uk.yaml update: slots: ab: the A/B card (docs/update.md, cli/slots.c). The partition table,
# the autoboot partition's exact bytes (the runtime rewrites them), slot A's boot files with
# update.pem, an empty slot B, /data behind them; bad update: sections refused before anything
# is written; the same bytes twice; a fleet stamps slot A.
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
	# the block map covers every partition's metadata, the used clusters and all of /data
	run grep -c '^range ' "$img.bmap"
	[ "$output" -ge 5 ]
	grep -q "^range $((108 * M)) $((116 * M))$" "$img.bmap"
	grep -q "^range $((4 * M)) " "$img.bmap"
	grep -q "^range $((60 * M)) " "$img.bmap"
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

@test "rpi3 with update: is refused (exit 2, nothing written), from uk.yaml and from --target" {
	slotted_app app rpi3
	run uk build app
	assert_failure 2
	assert_output --partial "target rpi3 with 'update': the Pi 3 slot layout is not built yet"
	[ ! -e app/build ]
	sed -i 's/^target: rpi3$/target: virt/' app/uk.yaml
	run uk build app --target rpi3
	assert_failure 2
	assert_output --partial "update: slots is not built for rpi3 yet"
	[ ! -e app/build ]
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
