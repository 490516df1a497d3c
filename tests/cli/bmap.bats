#!/usr/bin/env bats
# sdcard.img.bmap is bmaptool's XML (format 2.0): Debian's bmap-tools flashes a uk card with it
# (bmaptool copy, which checks BmapFileChecksum and every range's sha256), and uk flash reads the
# same file (and bmaptool's own maps), refusing one that does not match the image. Writes only to
# files and loop devices in the test's scratch directory (losetup needs root).
load helper

setup_file() {
	[ -x "$UK" ] || make -s -C "$UK_TOP/cli" >/dev/null
	export APPDIR="$BATS_FILE_TMPDIR/app" ABDIR="$BATS_FILE_TMPDIR/ab"
	"$UK" new "$APPDIR" >/dev/null
	"$UK" build "$APPDIR" >/dev/null
	export IMG="$APPDIR/build/virt/sdcard.img"
}

setup() {
	common_setup
	export MTOOLS_SKIP_CHECK=1
	: >"$T/loops"
	command -v bmaptool >/dev/null || skip "bmaptool missing: install.sh installs bmap-tools"
}

teardown() {
	local l
	while read -r l; do [ -n "$l" ] && losetup -d "$l" 2>/dev/null; done <"$T/loops"
	common_teardown
}

# The A/B card of tests/cli/slots.bats (update: slots: ab, a version, /data), built once.
ab_image() {
	if [ ! -e "$ABDIR/build/virt/sdcard.img" ]; then
		openssl ecparam -name prime256v1 -genkey -noout -out sign.pem
		openssl ec -in sign.pem -pubout -out update.pub.pem 2>/dev/null
		make_app "$ABDIR" "name: ab
version: 1.0.0
target: virt
sources: [main.c]
image:
  data: 8M
update:
  slots: ab
  key: update.pub.pem"
		cp update.pub.pem "$ABDIR/"
		"$UK" build "$ABDIR" >/dev/null
	fi
	AB="$ABDIR/build/virt/sdcard.img"
}

# "FIRST LAST CHKSUM" per Range, read as bmaptool reads it (ElementTree, text stripped).
ranges() {
	python3 - "$1" <<'EOF'
import sys, xml.etree.ElementTree as ET
for r in ET.parse(sys.argv[1]).getroot().find('BlockMap').findall('Range'):
    a = [x.strip() for x in r.text.strip().split('-', 1)]
    print(a[0], a[-1], r.get('chksum'))
EOF
}

# mapped_equal MAP IMAGE COPY: every mapped block of COPY equals IMAGE's, and each range of
# IMAGE hashes to its chksum.
mapped_equal() {
	python3 - "$@" <<'EOF'
import hashlib, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
bs = int(root.find('BlockSize').text)
img, out = open(sys.argv[2], 'rb'), open(sys.argv[3], 'rb')
n = 0
for r in root.find('BlockMap').findall('Range'):
    a = [int(x) for x in r.text.strip().split('-', 1)]
    img.seek(a[0] * bs)
    out.seek(a[0] * bs)
    want = img.read((a[-1] - a[0] + 1) * bs)
    got = out.read(len(want))
    assert hashlib.sha256(want).hexdigest() == r.get('chksum'), r.text
    assert got == want, 'range %s differs' % r.text
    n += 1
assert n > 0
print(n, 'ranges equal')
EOF
}

# set_chksum MAP VALUE [refix]: the first Range's chksum becomes VALUE; with refix the
# BmapFileChecksum is computed again (bmaptool's rule: the file hashed with it as 64 '0's).
set_chksum() {
	python3 - "$@" <<'EOF'
import hashlib, re, sys
p = sys.argv[1]
t = open(p, 'rb').read()
t = re.sub(rb'chksum="[0-9a-f]{64}"', b'chksum="' + sys.argv[2].encode() + b'"', t, count=1)
if len(sys.argv) > 3:
    m = re.search(rb'<BmapFileChecksum>\s*([0-9a-f]{64})', t)
    z = t[:m.start(1)] + b'0' * 64 + t[m.end(1):]
    t = t[:m.start(1)] + hashlib.sha256(z).hexdigest().encode() + t[m.end(1):]
open(p, 'wb').write(t)
EOF
}

# refix MAP: BmapFileChecksum computed again after an edit
refix() {
	python3 - "$1" <<'EOF'
import hashlib, re, sys
p = sys.argv[1]
t = open(p, 'rb').read()
m = re.search(rb'<BmapFileChecksum>\s*([0-9a-f]{64})', t)
z = t[:m.start(1)] + b'0' * 64 + t[m.end(1):]
open(p, 'wb').write(t[:m.start(1)] + hashlib.sha256(z).hexdigest().encode() + t[m.end(1):])
EOF
}

first_sector_zero() {
	[ "$(head -c 512 "$1" | tr -d '\0' | wc -c)" -eq 0 ]
}

@test "the map is bmaptool's format 2.0, the same bytes for the same image" {
	local map=$IMG.bmap
	head -c 200 "$map" | grep -q '^<?xml version="1.0"'
	grep -q '<bmap version="2.0">' "$map"
	grep -q "<ImageSize> $(stat -c %s "$IMG") </ImageSize>" "$map"
	grep -q '<BlockSize> 4096 </BlockSize>' "$map"
	grep -q "<BlocksCount> $(($(stat -c %s "$IMG") / 4096)) </BlocksCount>" "$map"
	grep -q '<ChecksumType> sha256 </ChecksumType>' "$map"
	grep -q "<UkImageChecksum> $(sha256sum <"$IMG" | cut -d' ' -f1) </UkImageChecksum>" "$map"
	# MappedBlocksCount is the ranges' sum; the first range holds block 0 (the MBR)
	run ranges "$map"
	assert_success
	assert_line --index 0 --regexp '^0 [0-9]+ [0-9a-f]{64}$'
	sum=$(echo "$output" | awk '{ n += $2 - $1 + 1 } END { print n }')
	grep -q "<MappedBlocksCount> $sum </MappedBlocksCount>" "$map"
	# BmapFileChecksum: sha256 of the file with its value as 64 '0's
	want=$(sed -n 's/.*<BmapFileChecksum> \([0-9a-f]*\) .*/\1/p' "$map")
	got=$(sed "s/$want/$(printf '0%.0s' $(seq 64))/" "$map" | sha256sum | cut -d' ' -f1)
	assert_equal "$got" "$want"
	# written again for the same image: the same bytes
	cp "$map" before.bmap
	rm "$map"
	run uk build "$APPDIR"
	assert_success
	cmp before.bmap "$map"
}

@test "bmaptool copy flashes a uk card to a file: the mapped blocks are the image's, its checksums pass" {
	run bmaptool copy --bmap "$IMG.bmap" "$IMG" out.img
	assert_success
	assert_output --partial "block map format version 2.0"
	[ "$(stat -c %s out.img)" -eq "$(stat -c %s "$IMG")" ]
	run mapped_equal "$IMG.bmap" "$IMG" out.img
	assert_success
	MTOOLS_SKIP_CHECK=1 mcopy -i out.img@@4M ::kernel8.img k
	cmp k "$APPDIR/build/virt/kernel8.img"
}

@test "bmaptool copy flashes a uk card to a loop device full of garbage; the card reads like the image" {
	truncate -s 128M backing.img
	l=$(losetup -f --show backing.img)
	echo "$l" >>"$T/loops"
	dd if=/dev/urandom of="$l" bs=1M count=128 status=none
	run bmaptool copy --bmap "$IMG.bmap" "$IMG" "$l"
	assert_success
	run mapped_equal "$IMG.bmap" "$IMG" "$l"
	assert_success
	cmp -n 512 "$l" "$IMG"
	mcopy -i backing.img@@4M ::kernel8.img k
	cmp k "$APPDIR/build/virt/kernel8.img"
}

@test "an A/B card: bmaptool copy and uk flash write the same mapped blocks; /data is mapped whole" {
	ab_image
	local M=$((1 << 20))
	# the map covers each partition's metadata and used clusters, and all of /data
	run ranges "$AB.bmap"
	assert_success
	[ "${#lines[@]}" -ge 5 ]
	assert_line --regexp "^$((108 * M / 4096)) $((116 * M / 4096 - 1)) "
	assert_line --regexp "^$((4 * M / 4096)) "
	assert_line --regexp "^$((60 * M / 4096)) "
	run bmaptool copy --bmap "$AB.bmap" "$AB" bmaptool.img
	assert_success
	run mapped_equal "$AB.bmap" "$AB" bmaptool.img
	assert_success
	run uk flash "$AB" uk.img --yes
	assert_success
	assert_output --partial "read back and verified"
	run mapped_equal "$AB.bmap" "$AB" uk.img
	assert_success
	mtype -i "uk.img@@$((12 * M))" ::/kernel8.img | cmp - "$ABDIR/build/virt/kernel8.img"
	mtype -i "bmaptool.img@@$((12 * M))" ::/kernel8.img | cmp - "$ABDIR/build/virt/kernel8.img"
}

@test "bmaptool checks what uk wrote: a changed range checksum or a changed image is refused" {
	mkdir b
	cp "$IMG" "$IMG.bmap" b/
	# the file checksum no longer matches
	set_chksum b/sdcard.img.bmap "$(echo x | sha256sum | cut -d' ' -f1)"
	run bmaptool copy --bmap b/sdcard.img.bmap b/sdcard.img out.img
	assert_failure
	assert_output --partial "checksum mismatch for bmap file"
	# the file checksum right, the range's wrong
	refix b/sdcard.img.bmap
	run bmaptool copy --bmap b/sdcard.img.bmap b/sdcard.img out.img
	assert_failure
	assert_output --partial "checksum mismatch"
	refute_output --partial "for bmap file"
	# the map right, a mapped byte of the image changed
	cp "$IMG.bmap" b/
	printf 'X' | dd of=b/sdcard.img bs=1 seek=$((4194304 + 3)) conv=notrunc status=none
	run bmaptool copy --bmap b/sdcard.img.bmap b/sdcard.img out.img
	assert_failure
	assert_output --partial "checksum mismatch"
}

@test "uk flash refuses a map whose range checksum was changed (with and without a matching file checksum)" {
	mkloop_() {
		truncate -s 128M backing.img
		LOOP=$(losetup -f --show backing.img)
		echo "$LOOP" >>"$T/loops"
	}
	mkloop_
	mkdir b
	cp "$IMG" "$IMG.bmap" b/
	bad=$(echo x | sha256sum | cut -d' ' -f1)
	set_chksum b/sdcard.img.bmap "$bad"
	run uk flash b "$LOOP" --yes --allow-loop
	assert_failure 12
	assert_output --partial "the block map b/sdcard.img.bmap cannot be used: its BmapFileChecksum does not match the file"
	first_sector_zero "$LOOP"
	set_chksum b/sdcard.img.bmap "$bad" refix
	run uk flash b "$LOOP" --yes --allow-loop --json
	assert_failure 12
	assert_output --partial "does not match its block map (blocks 0-15: sha256 "
	assert_output --partial "the map has $bad"
	assert_output --partial "holds no partition table"
	first_sector_zero "$LOOP"
	# a range without a checksum (bmaptool create --no-checksum) cannot be verified: refused
	bmaptool create --no-checksum -o b/sdcard.img.bmap b/sdcard.img
	run uk flash b "$LOOP" --yes --allow-loop
	assert_failure 12
	assert_output --partial "has no sha256 chksum: uk verifies every range"
	# a map of another image (the size differs): refused before writing
	ab_image
	cp "$AB.bmap" b/sdcard.img.bmap
	run uk flash b "$LOOP" --yes --allow-loop
	assert_failure 12
	assert_output --partial "the block map is for a $(stat -c %s "$AB")-byte image"
	first_sector_zero "$LOOP"
	# not XML, another format version
	echo 'uk-bmap 1' >b/sdcard.img.bmap
	run uk flash b "$LOOP" --yes --allow-loop
	assert_failure 12
	assert_output --partial "it is not well-formed XML"
	sed 's/version="2.0"/version="3.0"/' "$IMG.bmap" >b/sdcard.img.bmap
	refix b/sdcard.img.bmap
	run uk flash b "$LOOP" --yes --allow-loop
	assert_failure 12
	assert_output --partial "it is bmap format 3.0; uk reads format 2.0"
}

@test "uk flash reads bmaptool's own map of a uk image" {
	mkdir b
	cp "$IMG" b/
	bmaptool create -o b/sdcard.img.bmap b/sdcard.img
	run grep -c UkImageChecksum b/sdcard.img.bmap
	assert_output 0
	run uk flash b card.img --yes --json
	assert_success
	assert_line --partial '"block_map":true'
	assert_line --partial '"verify":"ok"'
	run mapped_equal b/sdcard.img.bmap "$IMG" card.img
	assert_success
}

@test "--no-map with a map and no build.json: each range is checked against the map" {
	mkdir b
	cp "$IMG" "$IMG.bmap" b/
	# no whole-image checksum: only the ranges can tell
	sed -i '/UkImageChecksum/d' b/sdcard.img.bmap
	refix b/sdcard.img.bmap
	run uk flash b card.img --yes --no-map
	assert_success
	printf 'X' | dd of=b/sdcard.img bs=1 seek=$((4194304 + 3)) conv=notrunc status=none
	run uk flash b card2.img --yes --no-map
	assert_failure 12
	assert_output --partial "does not match its block map"
	first_sector_zero card2.img
}
