#!/usr/bin/env bats
# Signed A/B updates (issue 14, docs/update.md) on virt's A/B card. QEMU runs no boot firmware:
# tests/tools/pi_firmware.py plays the Pi 4 firmware's part (autoboot.txt's rules, the tryboot
# flag for one boot, /chosen/bootloader in the device tree) and boots the chosen slot's kernel
# and cmdline.txt. The app (tests/apps/update) is built as versions 1.0.0 (the card), 2.0.0 (a
# good update), 3.0.0 (hangs on its trial) and 4.0.0 (exits on its trial), each bundle signed;
# openssl s_server serves them over HTTPS to the guest (QEMU user networking, 10.0.2.2).
# UK_UPDATE_CUTS power cuts (default 6; make soak runs 30) are spread over download, write,
# switch and first boot.
load 'lib/net'

setup_file() {
	export P=$BATS_FILE_TMPDIR/pki W=$BATS_FILE_TMPDIR/www A=$BATS_FILE_TMPDIR/apps
	mkdir -p "$P" "$W" "$A"
	printf '[srv]\nsubjectAltName = DNS:host.test, IP:10.0.2.2\nextendedKeyUsage = serverAuth\n' >"$P/ext.cnf"
	(
		cd "$P"
		openssl ecparam -name prime256v1 -genkey -noout -out ca.key
		openssl req -x509 -new -key ca.key -subj "/CN=uk update test ca" -days 3650 -out ca.pem
		openssl ecparam -name prime256v1 -genkey -noout -out srv.key
		openssl req -new -key srv.key -subj /CN=host.test -out srv.csr
		openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 365 \
			-extfile ext.cnf -extensions srv -out srv.pem 2>/dev/null
		for k in sign other; do
			openssl ecparam -name prime256v1 -genkey -noout -out $k.pem
			openssl ec -in $k.pem -pubout -out $k.pub.pem 2>/dev/null
		done
	) >"$BATS_FILE_TMPDIR/pki.log" 2>&1
	head -c 200000 /dev/urandom >"$BATS_FILE_TMPDIR/keep.bin"
	# version DIR VERSION KEY [TARGET] [YAML-LINES] [UPDATE-KEYS]: the app at that version,
	# signed with KEY
	version() {
		local d=$A/$1
		mkdir -p "$d/data"
		cp "$UK_TOP/tests/apps/update/main.c" "$d/"
		cp "$BATS_FILE_TMPDIR/keep.bin" "$P/ca.pem" "$d/data/"
		cp "$P/$3.pub.pem" "$d/update.pub.pem"
		printf 'name: upd\nversion: %s\ntarget: %s\nsources: [main.c]\nimage: {data: 8M}\nupdate: {slots: ab, key: update.pub.pem%s}\n%s' \
			"$2" "${4:-virt}" "${6:-}" "${5:-}" >"$d/uk.yaml"
		"$BUILD/bin/uk" build "$d" --sign "$P/$3.pem" >>"$BATS_FILE_TMPDIR/build.log" 2>&1
	}
	version v1 1.0.0 sign
	version v2 2.0.0 sign virt $'defines: {UPDATE_BALLAST_KB: 8192}\n'
	version v3 3.0.0 sign virt $'bootargs: {update.on_trial: hang, uk.update.trial: 5}\n'
	version v4 4.0.0 sign virt $'bootargs: {update.on_trial: exit}\n'
	version other-key 2.0.0 other
	version other-board 2.0.0 sign rpi4
	version older 0.9.0 sign
	# 50 MiB of kernel: its own card has 64M slots, the device's have 48M
	version huge 2.0.0 sign virt $'defines: {UPDATE_BALLAST_KB: 51200}\n' ', slot_size: 64M'
	cp "$A/v2/build/virt/update.ukb" "$W/v2.ukb"
	cp "$A/v3/build/virt/update.ukb" "$W/v3.ukb"
	cp "$A/v4/build/virt/update.ukb" "$W/v4.ukb"
	cp "$A/other-key/build/virt/update.ukb" "$W/other-key.ukb"
	cp "$A/other-board/build/rpi4/update.ukb" "$W/other-board.ukb"
	cp "$A/older/build/virt/update.ukb" "$W/older.ukb"
	cp "$A/huge/build/virt/update.ukb" "$W/huge.ukb"
	head -c 300000 "$W/v2.ukb" >"$W/cut.ukb"
	cp "$W/v2.ukb" "$W/flipped.ukb" # one payload byte changed: its file's SHA-256 differs
	printf '\x5a' | dd of="$W/flipped.ukb" bs=1 seek=200000 conv=notrunc status=none
}

setup() {
	load '/usr/lib/bats/bats-support/load'
	load '/usr/lib/bats/bats-assert/load'
	T=$(mktemp -d)
	SERVER_PID=
	[ -f "$A/v1/build/virt/sdcard.img" ] && [ -f "$W/other-board.ukb" ] ||
		fail "uk build failed: $(tail -20 "$BATS_FILE_TMPDIR/build.log")"
	cp "$A/v1/build/virt/sdcard.img" "$T/card.img"
	PORT=$(free_port tcp)
	(cd "$W" && exec openssl s_server -accept "127.0.0.1:$PORT" -cert "$P/srv.pem" -key "$P/srv.key" \
		-WWW -quiet) >"$T/s_server.log" 2>&1 &
	SERVER_PID=$!
	wait_tcp_port "$PORT" 20 || fail "s_server did not start: $(cat "$T/s_server.log")"
	KEEP=$(fnv1a "$BATS_FILE_TMPDIR/keep.bin")
}

teardown() {
	[ -z "$SERVER_PID" ] || kill "$SERVER_PID" 2>/dev/null || true
	[ -z "${HTTP_PID:-}" ] || kill "$HTTP_PID" 2>/dev/null || true
	rm -rf "$T"
}

fnv1a() {
	python3 -c 'import sys
h = 14695981039346656037
for b in open(sys.argv[1], "rb").read():
    h = ((h ^ b) * 1099511628211) & 0xffffffffffffffff
print("%016x" % h)' "$1"
}

# firmware [OPTIONS...] -- BOOTARGS...: power the card on under pi_firmware.py (at most 5 boots
# unless --boots says), the console of every boot in $output
firmware() {
	local opts=()
	while [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	local q
	q=$(qemu_cmd virt /dev/null)
	rm -f "$T/console"
	# shellcheck disable=SC2086
	run timeout -k 5 600 "$UK_TOP/tests/tools/pi_firmware.py" "$T/card.img" "$T/console" \
		--boots 5 "${opts[@]}" --append "uk.qemu=1 net.ip=dhcp update.name=host.test $*" \
		-- ${q% -kernel /dev/null} -netdev user,id=n0 -device virtio-net-device,netdev=n0
	assert_success
	run tr -d '\r' <"$T/console"
}

# p1 FILE: a file of the card's autoboot partition (partition 1, at 4 MiB)
p1() {
	MTOOLS_SKIP_CHECK=1 mtype -i "$T/card.img@@4194304" "::$1"
}

# The SHA-256 of slot B (partition 3: 48 MiB at 60 MiB)
slot_b_sum() {
	dd if="$T/card.img" bs=1M skip=60 count=48 status=none | sha256sum | cut -d' ' -f1
}

url() {
	echo "https://10.0.2.2:$PORT/$1"
}

# Every boot that was not cut ran 1.0.0 or 2.0.0 and found /data's seeded file intact.
every_boot_runs_a_version() {
	local boots ran cut # grep -c counts 0 with status 1
	boots=$(grep -c '^firmware: boot [0-9]*: partition' <<<"$output" || true)
	ran=$(grep -cE '^update: running (1|2)\.0\.0 slot [AB] trial [01]$' <<<"$output" || true)
	cut=$(grep -c 'ended: power cut' <<<"$output" || true)
	[ "$boots" -ge 1 ] || fail "nothing booted: $output"
	[ "$((ran + cut))" -ge "$boots" ] || fail "$boots boots, $cut cut, only $ran ran a version"
	! grep -E "^update: data " <<<"$output" | grep -v "fnv1a $KEEP," || fail "/data/keep.bin changed (want $KEEP): $output"
}

@test "a good update over HTTPS: tried once, confirmed, and kept on later boots" {
	# a fleet device's own file in slot A (uk build --fleet stamps them there) goes along
	head -c 300 /dev/urandom >"$T/device.key"
	MTOOLS_SKIP_CHECK=1 mcopy -i "$T/card.img@@$((12 << 20))" "$T/device.key" ::device.key
	firmware -- "update.url=$(url v2.ukb)" update.want=2.0.0
	assert_line "firmware: boot 1: partition 2 tryboot 0"
	assert_line "update: running 1.0.0 slot A trial 0"
	assert_line "uk: update: version 2.0.0 written to slot B, checked"
	assert_line "firmware: boot 2: partition 3 tryboot 1"
	assert_line "update: running 2.0.0 slot B trial 1"
	assert_line "uk: update: version 2.0.0 confirmed in slot B"
	every_boot_runs_a_version
	run p1 autoboot.txt
	assert_output $'[all]\ntryboot_a_b=1\nboot_partition=3\n[tryboot]\nboot_partition=2'
	MTOOLS_SKIP_CHECK=1 mcopy -n -i "$T/card.img@@$(((12 + 48) << 20))" ::device.key "$T/device.b"
	cmp "$T/device.key" "$T/device.b"
	for n in 1 2; do
		firmware -- "update.url=$(url v2.ukb)" update.want=2.0.0
		assert_line "firmware: boot 1: partition 3 tryboot 0"
		assert_line "update: running 2.0.0 slot B trial 0"
		assert_line "update: idle"
		refute_line --partial "fetching"
		every_boot_runs_a_version
	done
	assert_line --regexp "^update: data keep.bin 200000 bytes fnv1a $KEEP, 3 earlier boots$"
}

@test "no bundle at the address, another key's, another board's, an older version's, a cut download, a changed byte: refused, saying why; nothing switched" {
	local before port2
	before=$(p1 autoboot.txt)
	# a web server that answers 404 (s_server -WWW answers 200 with an error text, refused too)
	port2=$(free_port tcp)
	(cd "$W" && exec python3 -c 'import http.server, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[2], sys.argv[3])
s = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), http.server.SimpleHTTPRequestHandler)
s.socket = ctx.wrap_socket(s.socket, server_side=True)
s.serve_forever()' "$port2" "$P/srv.pem" "$P/srv.key") >"$T/http.log" 2>&1 &
	HTTP_PID=$!
	wait_tcp_port "$port2" 20 || fail "the 404 server did not start: $(cat "$T/http.log")"
	firmware -- "update.url=https://10.0.2.2:$port2/nothing.ukb,$(url missing.ukb),$(url other-key.ukb),$(url other-board.ukb),$(url older.ukb),$(url cut.ukb),$(url flipped.ukb)" \
		update.want=2.0.0
	assert_line --regexp '^update: refused: the server answered: HTTP/1\.[01] 404'
	assert_line "update: refused: the bundle ended inside its header"
	assert_line --regexp '^update: refused: .*signature'
	assert_line --regexp '^update: refused: .*rpi4'
	assert_line --regexp '^update: refused: the bundle is version 0\.9\.0, older than the 1\.0\.0 this device runs'
	assert_line --regexp '^update: refused: .*(ended|cut|short)'
	assert_line --regexp '^update: refused: .*SHA-256 mismatch'
	assert_line "update: nothing installed"
	refute_line --partial "rebooting"
	assert_equal "$(grep -c '^firmware: boot' <<<"$output")" 2 # one boot, opened and ended
	every_boot_runs_a_version
	assert_equal "$(p1 autoboot.txt)" "$before"
	run p1 uk-update.txt
	assert_line "state=none"
	firmware -- update.want=1.0.0
	assert_line "firmware: boot 1: partition 2 tryboot 0"
	assert_line "update: running 1.0.0 slot A trial 0"
}

@test "a bundle larger than the slot: refused from its header, before slot B is touched; nothing switched" {
	local before slot_b
	before=$(p1 autoboot.txt)
	slot_b=$(slot_b_sum)
	firmware -- "update.url=$(url huge.ukb)" update.want=2.0.0
	assert_line --regexp '^update: refused: version 2\.0\.0 needs 5[0-9]{7} bytes; slot B holds 50331648: nothing written$'
	assert_line "update: nothing installed"
	assert_equal "$(grep -c '^firmware: boot' <<<"$output")" 2 # one boot, opened and ended
	every_boot_runs_a_version
	assert_equal "$(p1 autoboot.txt)" "$before"
	assert_equal "$(slot_b_sum)" "$slot_b"
}

@test "a version that hangs on its trial: reset at the trial's deadline, the old version back, and it says so" {
	firmware --until 'update: rolled back' -- "update.url=$(url v3.ukb)" update.want=3.0.0
	assert_line "firmware: boot 2: partition 3 tryboot 1"
	assert_line "update: trial: hanging"
	assert_line "uk: update: version 3.0.0 was not confirmed within 5 s: resetting to the previous version"
	assert_line "firmware: boot 3: partition 2 tryboot 0"
	assert_line "uk: update: version 3.0.0 (slot B) was not confirmed; back on 1.0.0 (slot A)"
	assert_line "update: rolled back from 3.0.0"
	run p1 autoboot.txt
	assert_line "boot_partition=2"
	run p1 uk-update.txt
	assert_line "state=failed"
}

@test "a version that exits on its trial without confirming: reset, the old version back" {
	firmware --until 'update: rolled back' -- "update.url=$(url v4.ukb)" update.want=4.0.0
	assert_line "update: running 4.0.0 slot B trial 1"
	assert_line "update: trial: exiting unconfirmed"
	assert_line "uk: update: version 4.0.0 stopped before it was confirmed: resetting to the previous version"
	assert_line "firmware: boot 3: partition 2 tryboot 0"
	assert_line "update: rolled back from 4.0.0"
}

@test "${UK_UPDATE_CUTS:-6} power cuts over download, write, switch and first boot: every boot runs 1.0.0 or 2.0.0, /data intact" {
	# boot:text:milliseconds. The 8 MiB bundle's download and slot write take about 1 s here
	# (each cut's console shows when its text appeared); offsets stay inside that.
	local points=(
		"1:update: fetching:100" "1:uk: update: version 2.0.0 written:0" "1:update: installed:0"
		"2:uk: update: trial of version:0" "2:update: running 2.0.0:0" "2:update: confirm:0"
		"1:update: fetching:0" "1:update: fetching:25" "1:update: fetching:50"
		"1:update: fetching:150" "1:update: fetching:200" "1:update: fetching:250"
		"1:update: fetching:300" "1:update: fetching:350" "1:update: fetching:400"
		"1:update: fetching:450" "1:update: fetching:500" "1:update: data:0"
		"1:update: running 1.0.0:5" "1:uk: update: version 2.0.0 written:5"
		"1:uk: firmware: tryboot:0" "1:update: installed:2" "2:net: link up:0"
		"2:net: dhcp lease:0" "2:update: data:0" "2:update: running 2.0.0:3"
		"2:uk: update: trial of version:20" "2:uk: update: version 2.0.0 confirmed:0"
		"2:update: confirm:5" "2:update: 8192 KiB of ballast:0"
	)
	local n=${UK_UPDATE_CUTS:-6} i
	[ "$n" -le "${#points[@]}" ] || fail "at most ${#points[@]} cut points"
	for ((i = 0; i < n; i++)); do
		cp "$A/v1/build/virt/sdcard.img" "$T/card.img"
		echo "# cut $((i + 1)): ${points[i]}" >&3
		firmware --boots 6 --cut "${points[i]}" -- "update.url=$(url v2.ukb)" update.want=2.0.0
		every_boot_runs_a_version
		grep -q 'ended: power cut' <<<"$output" ||
			fail "cut ${points[i]} never happened: $(grep '^firmware' <<<"$output")"
		# it settles: the new version confirmed, or the old one back and idle
		[ "$(tail -n 3 <<<"$output" | grep -cE '^(uk: update: version 2\.0\.0 confirmed in slot B|update: idle|update: confirm: 0)$')" -ge 1 ] ||
			fail "no settled version after cut ${points[i]}: $(tail -n 5 <<<"$output")"
		# the autoboot partition's FAT is whole and names a slot that boots
		dd if="$T/card.img" of="$T/p1.img" bs=1M skip=4 count=8 status=none
		run fsck.fat -n "$T/p1.img"
		assert_success
	done
}
