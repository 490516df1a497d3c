#!/usr/bin/env bats
# uk build --fleet: one image per device from one build, differing only in the boot partition's
# cmdline.txt and files; fleet.json; reproducible; each image boots in QEMU with its own boot
# arguments; uk flash --device. Writes only to plain files and loop devices it attaches.
load helper

setup() {
	common_setup
	: >"$T/loops"
	cp -r "$UK_TOP/examples/hello" hello
	rm -rf hello/build
	mkdir keys
	echo "key of sensor-1" >keys/s1.key
	echo "one key for two" >keys/shared.key
	cat >fleet.yaml <<'EOF'
devices:
  - name: sensor-1
    ip: 10.0.2.15/24
    gateway: 10.0.2.2
    bootargs:
      site: north
    files:
      device.key: keys/s1.key
  - name: sensor-2
    hostname: s2-yard
    ip: dhcp
    bootargs:
      site: "south yard"
    files: [keys/shared.key]
  - name: sensor-3
    ip: 10.0.2.17/24
    files: [keys/shared.key]
EOF
}

teardown() {
	local l
	while read -r l; do [ -n "$l" ] && losetup -d "$l" 2>/dev/null; done <"$T/loops"
	common_teardown
}

F=hello/build/virt/fleet

# A file from the boot partition of an image, on stdout.
boot_file() {
	MTOOLS_SKIP_CHECK=1 mtype -i "$1@@4M" "::$2"
}

@test "uk build --fleet writes one image per device and fleet.json" {
	run uk build hello --fleet fleet.yaml
	assert_success
	assert_output --partial "fleet: 3 device images in $T/$F"
	for d in sensor-1 sensor-2 sensor-3; do
		[ -s "$F/$d/sdcard.img" ]
		[ -s "$F/$d/sdcard.img.bmap" ]
		sum=$(jq -r --arg d "$d" '.devices[] | select(.name == $d) | .sha256' "$F/fleet.json")
		assert_equal "$(sha256sum <"$F/$d/sdcard.img" | cut -d' ' -f1)" "$sum"
		assert_equal "$(jq -r --arg d "$d" '.devices[] | select(.name == $d) | .path' "$F/fleet.json")" "$d/sdcard.img"
	done
	run boot_file "$F/sensor-1/sdcard.img" cmdline.txt
	assert_output "net.hostname=sensor-1 net.ip=10.0.2.15/24 net.gateway=10.0.2.2 site=north"
	run boot_file "$F/sensor-2/sdcard.img" cmdline.txt
	assert_output 'net.hostname=s2-yard net.ip=dhcp site="south yard"'
	run boot_file "$F/sensor-1/sdcard.img" device.key
	assert_output "key of sensor-1"
	run boot_file "$F/sensor-3/sdcard.img" shared.key
	assert_output "one key for two"
	# the same kernel and config on every card
	for d in sensor-1 sensor-2 sensor-3; do
		cmp <(boot_file "$F/$d/sdcard.img" kernel8.img) hello/build/virt/kernel8.img
		cmp <(boot_file "$F/$d/sdcard.img" config.txt) hello/build/virt/boot/config.txt
	done
}

@test "fleet images differ from each other only inside the boot partition" {
	uk build hello --fleet fleet.yaml >/dev/null
	cmp -n 4194304 "$F/sensor-1/sdcard.img" "$F/sensor-3/sdcard.img"
	cmp -n 4194304 "$F/sensor-1/sdcard.img" hello/build/virt/sdcard.img
	first=$(cmp -l "$F/sensor-1/sdcard.img" "$F/sensor-3/sdcard.img" | head -1 | awk '{print $1}')
	[ "$first" -gt 4194304 ]
}

@test "a secret shared by several devices draws a warning" {
	run uk build hello --fleet fleet.yaml
	assert_success
	assert_output --partial "warning: file 'shared.key': the same secret on 2 devices (sensor-2 sensor-3)"
	refute_output --partial "device.key"
	printf 'name,api.token\na,t1\nb,t1\nc,t2\n' >tok.csv
	run uk build hello --fleet tok.csv
	assert_success
	assert_output --partial "warning: boot argument 'api.token': the same secret on 2 devices (a b)"
}

@test "fleet images are byte-reproducible, from YAML or CSV, in any directory" {
	uk build hello --fleet fleet.yaml >/dev/null
	cp "$F/fleet.json" first.json
	cat >fleet.csv <<'EOF'
name,hostname,ip,gateway,site,files
sensor-1,,10.0.2.15/24,10.0.2.2,north,device.key=keys/s1.key
sensor-2,s2-yard,dhcp,,south yard,keys/shared.key
sensor-3,,10.0.2.17/24,,,keys/shared.key
EOF
	mkdir other
	cp -r hello keys fleet.csv other/
	rm -rf other/hello/build
	(cd other && "$UK" build hello --fleet fleet.csv >/dev/null 2>&1)
	diff <(jq '.devices' first.json) <(jq '.devices' "other/$F/fleet.json")
	for d in sensor-1 sensor-2 sensor-3; do
		cmp "$F/$d/sdcard.img" "other/$F/$d/sdcard.img"
	done
	# and a rebuild gives the same bytes again
	uk build hello --fleet fleet.yaml >/dev/null 2>&1
	cmp first.json "$F/fleet.json"
}

@test "each fleet card boots in QEMU virt: its own hostname and address, and its own files read from the card" {
	# the app also reads the files the fleet stamped, from the card it boots with
	cat >>hello/main.c <<'EOF'

int print_card_files(void)
{
	const char *names[] = {"device.key", "shared.key"};
	for (int i = 0; i < 2; i++) {
		char path[64], line[64] = "none\n";
		snprintf(path, sizeof path, "/boot/%s", names[i]);
		FILE *f = fopen(path, "r");
		if (f && !fgets(line, sizeof line, f))
			snprintf(line, sizeof line, "unreadable\n");
		if (f)
			fclose(f);
		printf("file %s: %s", names[i], line);
	}
	return ferror(stdout);
}
EOF
	sed -i -e 's/^int main(void)$/int print_card_files(void);\nint main(void)/' \
		-e 's/^\treturn 0;$/\treturn print_card_files();/' hello/main.c
	grep -q 'return print_card_files();' hello/main.c
	uk build hello --fleet fleet.yaml >/dev/null 2>&1
	eval "$(grep -E '^QEMU(_SERIAL|_MEM)? =' "$BUILD/lib/uk/virt/target.conf" | sed 's/ = /="/; s/$/"/')"
	for d in sensor-1 sensor-2 sensor-3; do
		cp "$F/$d/sdcard.img" "$d.card"
		# the firmware's part: the kernel and its command line from the card's boot partition
		boot_file "$d.card" kernel8.img >"$d.kernel"
		args=$(boot_file "$d.card" cmdline.txt)
		# shellcheck disable=SC2086
		run timeout 60 $QEMU -m "$QEMU_MEM" -display none -monitor none $QEMU_SERIAL -no-reboot \
			-semihosting-config enable=on,target=native -kernel "$d.kernel" \
			-drive "if=none,id=card,format=raw,file=$d.card" -device virtio-blk-device,drive=card \
			-append "uk.qemu=1 $args"
		assert_success
		output=${output//$'\r'/}
		mapfile -t lines <<<"$output"
		case $d in
		sensor-1) assert_line "  net.hostname=sensor-1"
			assert_line "  net.ip=10.0.2.15/24"
			assert_line "  site=north"
			assert_line "file device.key: key of sensor-1"
			assert_line "file shared.key: none" ;;
		sensor-2) assert_line "  net.hostname=s2-yard"
			assert_line "  net.ip=dhcp"
			assert_line "  site=south yard"
			assert_line "file device.key: none"
			assert_line "file shared.key: one key for two" ;;
		sensor-3) assert_line "  net.hostname=sensor-3"
			assert_line "  net.ip=10.0.2.17/24"
			assert_line "file shared.key: one key for two" ;;
		esac
	done
}

@test "uk flash --device NAME writes that device's image" {
	uk build hello --fleet fleet.yaml >/dev/null 2>&1
	run uk flash --device sensor-2 hello card.img --yes
	assert_success
	cmp card.img "$F/sensor-2/sdcard.img"
	truncate -s 128M lo.img
	l=$(losetup -f --show lo.img)
	echo "$l" >>"$T/loops"
	(cd hello && "$UK" flash --device sensor-3 "$l" --yes --allow-loop --json) >out.json
	jq -e '.ok and .verify == "ok" and .block_map' out.json
	run boot_file lo.img cmdline.txt
	assert_output "net.hostname=sensor-3 net.ip=10.0.2.17/24"
	run uk flash --device sensor-9 "$F" card.img --yes
	assert_failure 2
	assert_output --partial "no device 'sensor-9'"
}

@test "inventory mistakes are reported with file:line:col, nothing is written" {
	cat >bad.yaml <<'EOF'
devices:
  - name: a
    hostnme: x
  - name: a
  - name: b
    hostname: "bad name"
    files: [keys/missing.key]
  - ip: dhcp
EOF
	run uk build hello --fleet bad.yaml
	assert_failure 2
	assert_output --partial "bad.yaml:3:5: error: unknown device key 'hostnme'"
	assert_output --partial "device 'a' appears twice (line 2)"
	assert_output --partial "bad.yaml:6:15: error: hostname 'bad name': not a DNS label"
	assert_output --partial "file 'keys/missing.key' does not exist"
	assert_output --partial "a device without a 'name'"
	[ ! -e hello/build ] # exit 2: the inventory is checked before the build
	[ ! -e "$F" ]
	printf 'hostname\nx\n' >bad.csv
	run uk build hello --fleet bad.csv
	assert_failure 2
	assert_output --partial "bad.csv:1:1: error: the header line needs a 'name' column"
}

@test "file names that are one file on FAT, DOS device names and files that are not regular are refused before any tool runs" {
	echo b >keys/b.key
	mkfifo keys/fifo
	cat >clash.yaml <<'EOF'
devices:
  - name: a
    files: {key: keys/s1.key, "key.": keys/b.key}
  - name: b
    files: {Device.key: keys/s1.key, device.KEY: keys/b.key}
  - name: c
    files: {con: keys/s1.key, nul.txt: keys/b.key, "a:b": keys/b.key}
  - name: d
    files: {zero: /dev/zero, fifo: keys/fifo, dir: keys}
EOF
	run timeout 20 "$UK" build hello --fleet clash.yaml
	assert_failure 2
	assert_output --partial "file name 'key.' on the boot partition must not end with '.'"
	assert_output --partial "device 'b' has two files, Device.key and device.KEY, that are one file on FAT"
	assert_output --partial "file name 'con' on the boot partition is a DOS device name"
	assert_output --partial "file name 'nul.txt' on the boot partition is a DOS device name"
	assert_output --partial "file name 'a:b' on the boot partition may hold only letters"
	assert_output --partial "file '/dev/zero' (/dev/zero) is not a regular file"
	assert_output --partial "file 'keys/fifo' ($T/keys/fifo) is not a regular file"
	assert_output --partial "file 'keys' ($T/keys) is not a regular file"
	[ ! -e hello/build ]
	# a file outside the inventory's folder is taken, with a warning
	mkdir inv
	echo "secret" >outside.key
	printf 'devices:\n  - name: a\n    files: {device.key: ../outside.key}\n' >inv/fleet.yaml
	run timeout 60 "$UK" build hello --fleet inv/fleet.yaml
	assert_success
	assert_output --partial "file '../outside.key' is outside the inventory's folder"
}

@test "SIGTERM stops uk while a tool ignores SIGTERM and loops: the tool is killed, uk exits 130" {
	mkdir bin
	printf '#!/bin/bash\ntrap "" TERM\necho $$ >"$STUCK_PID"\nwhile :; do :; done\n' >bin/mcopy
	chmod +x bin/mcopy
	STUCK_PID=$T/stuck.pid PATH=$T/bin:$PATH "$UK" build hello >log 2>&1 &
	pid=$!
	timeout 30 bash -c "until [ -s '$T/stuck.pid' ]; do sleep 0.05; done"
	stuck=$(cat stuck.pid)
	kill -TERM "$pid"
	status=0
	timeout 10 tail --pid="$pid" -f /dev/null || status=$?
	assert_equal "$status" 0 # uk ended within 10 s
	wait "$pid" || status=$?
	assert_equal "$status" 130
	[ ! -e "/proc/$stuck" ] || [ "$(cut -d' ' -f3 "/proc/$stuck/stat")" = Z ]
	run cat log
	assert_output --partial "interrupted: the previous output is untouched"
}

@test "fleet YAML: a key given twice is an error, not a silent override" {
	cat >dup.yaml <<'EOF'
devices:
  - name: a
    name: b
devices:
  - name: c
EOF
	run uk build hello --fleet dup.yaml
	assert_failure 2
	assert_output --partial "dup.yaml:3:5: error: key 'name' appears twice (first on line 2)"
	assert_output --partial "dup.yaml:4:1: error: key 'devices' appears twice (first on line 1)"
	[ ! -e hello/build ]
}

@test "fleet CSV follows RFC 4180: BOM, blank lines, quoted commas and line breaks, unterminated quotes, NUL bytes" {
	printf '\xef\xbb\xbfname,ip,site\n\nsensor-1,dhcp,"north, gate"\n\n\nsensor-2,dhcp,south\n' >ok.csv
	run uk build hello --fleet ok.csv
	assert_success
	run boot_file "$F/sensor-1/sdcard.img" cmdline.txt
	assert_output --partial 'site="north, gate"'
	# line numbers count blank lines
	printf 'name,ip\n\n\nsensor-1,10.0.0.300/24\n' >blank.csv
	run uk build hello --fleet blank.csv
	assert_failure 2
	assert_output --partial "blank.csv:4:2: error: ip '10.0.0.300/24'"
	# a quoted line break is one record, and refused as a value
	printf 'name,site\nsensor-1,"north\nsensor-9"\nsensor-2,south\n' >nl.csv
	run uk build hello --fleet nl.csv
	assert_failure 2
	assert_output --partial "nl.csv:2:1: error: a quoted value holds a line break"
	refute_output --partial "sensor-9"
	printf 'name,site\nsensor-1,"north\nsensor-2,south\n' >open.csv
	run uk build hello --fleet open.csv
	assert_failure 2
	assert_output --partial "open.csv:2:1: error: malformed CSV: a quoted value that never ends"
	printf 'name,site\nsensor-1,north\nsen\0sor-2,south\nsensor-3,west\n' >nul.csv
	run uk build hello --fleet nul.csv
	assert_failure 2
	assert_output --partial "nul.csv:3:4: error: a NUL byte"
	printf 'name,site\nsensor-1,no"rth\n' >quote.csv
	run uk build hello --fleet quote.csv
	assert_failure 2
	assert_output --partial "quote.csv:2:1: error: malformed CSV"
}

@test "per-device boot arguments get the checks uk.yaml's get: net.* values, line breaks, the runtime's limits" {
	cat >bad.yaml <<'EOF'
devices:
  - name: a
    bootargs: {net.ip: not-an-ip, net.gateway: 10.0.2}
  - name: b
    bootargs: {site: "north\rnet.dns=6.6.6.6"}
  - name: c
    ip: 10.0.2.15/+24
  - name: under_score
EOF
	run uk build hello --fleet bad.yaml
	assert_failure 2
	assert_output --partial "bad.yaml:3:24: error: net.ip 'not-an-ip': write 'dhcp' or an IPv4 address"
	assert_output --partial "bad.yaml:3:48: error: net.gateway '10.0.2': not an IPv4 address"
	assert_output --partial "bad.yaml:5:22: error: site 'north"
	assert_output --partial "may not contain a line break"
	assert_output --partial "bad.yaml:7:9: error: ip '10.0.2.15/+24': write 'dhcp'"
	assert_output --partial "bad.yaml:8:1: error: device 'under_score' needs a 'hostname': its name is not a DNS label"
	[ ! -e hello/build ]
}

@test "uk's boot-argument limits are the runtime's" {
	for k in BOOTARGS_MAX BOOTARG_KEY_MAX BOOTARG_VALUE_MAX BOOTARGS_LEN_MAX; do
		cli=$(sed -n "s/^#define $k[[:space:]]*\([0-9]*\).*/\1/p" "$UK_TOP/cli/uk.h")
		rt=$(sed -n "s/^#define $k[[:space:]]*\([0-9]*\).*/\1/p" "$UK_TOP/runtime/kernel/kernel.h")
		[ -n "$cli" ] && [ "$cli" = "$rt" ] || fail "$k: cli/uk.h says '$cli', runtime/kernel/kernel.h '$rt'"
	done
}

@test "the inventory may be uk.yaml's devices: list; per-device values override network: and bootargs:" {
	cat >>hello/uk.yaml <<'EOF2'
bootargs:
  site: default
network:
  ip: 10.0.2.99/24
devices:
  - name: gw-1
    ip: 10.0.2.21/24
  - name: gw-2
    bootargs:
      site: east
EOF2
	run uk build hello
	assert_success
	[ ! -e "$F" ]
	run uk build hello --fleet hello/uk.yaml
	assert_success
	run boot_file "$F/gw-1/sdcard.img" cmdline.txt
	assert_output --partial "site=default"
	assert_output --partial "net.ip=10.0.2.21/24"
	assert_output --partial "net.hostname=gw-1"
	refute_output --partial "10.0.2.99"
	run boot_file "$F/gw-2/sdcard.img" cmdline.txt
	assert_output --partial "site=east"
	assert_output --partial "net.ip=10.0.2.99/24"
	refute_output --partial "site=default"
	printf 'name: hello\nsources: [main.c]\ndevices: sensor-1\n' >hello/uk.yaml
	run uk build hello
	assert_failure 2
	assert_output --partial "uk.yaml:3:10: error: 'devices' must be a list"
}
