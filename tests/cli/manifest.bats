#!/usr/bin/env bats
# uk.yaml validation: every error names file:line:col, says what is allowed, exits 2, writes nothing.
load helper

setup() { common_setup; }
teardown() { common_teardown; }

# Runs uk build on app $1 and checks: exit 2, and no build output appeared.
build_fails_clean() {
	run uk build "$1"
	assert_failure 2
	[ ! -e "$1/build" ] || fail "a failed manifest wrote $1/build"
}

@test "malformed YAML names the line and column" {
	make_app a 'name: a
sources: [main.c'
	build_fails_clean a
	assert_output --regexp 'a/uk.yaml:[0-9]+:[0-9]+: error: malformed YAML'
}

@test "an unknown key is reported with its position and a suggestion" {
	make_app a 'name: a
sorces: [main.c]'
	build_fails_clean a
	assert_output --partial "a/uk.yaml:2:1: error: unknown key 'sorces' (did you mean 'sources'?)"
	assert_output --partial "allowed: name, target, sources"
}

@test "a missing field says what to add" {
	make_app a 'name: a'
	build_fails_clean a
	assert_output --partial "a/uk.yaml:1:1: error: missing field 'sources'"
	make_app b 'sources: [main.c]'
	build_fails_clean b
	assert_output --partial "missing field 'name'"
}

@test "a bad target lists the allowed ones, at the entry's position" {
	make_app a 'name: a
target: [virt, rpi5]
sources: [main.c]'
	build_fails_clean a
	assert_output --partial "a/uk.yaml:2:16: error: unknown target 'rpi5'; allowed: virt, rpi3, rpi4"
}

@test "a source glob that matches nothing is an error at its position" {
	make_app a 'name: a
sources:
  - main.c
  - "src/*.c"'
	build_fails_clean a
	assert_output --partial "a/uk.yaml:4:5: error: source 'src/*.c' matches no .c, .S or .s file"
}

@test "a source outside the app directory is refused" {
	make_app a 'name: a
sources: [../x.c]'
	build_fails_clean a
	assert_output --partial "must be a path inside the app directory"
}

@test "wrong types say what was expected" {
	make_app a 'name: [a, b]
sources: [main.c]
bootargs: [x]
image: 64M
memory: lots'
	build_fails_clean a
	assert_output --partial "a/uk.yaml:1:7: error: 'name' must be a string, not a list"
	assert_output --partial "a/uk.yaml:3:11: error: 'bootargs' must be a mapping"
	assert_output --partial "a/uk.yaml:4:8: error: 'image' must be a mapping"
	assert_output --partial "a/uk.yaml:5:9: error: memory 'lots' is not a size"
}

@test "cores: 1 to 4" {
	for bad in 0 5 two 1.5 -1; do
		make_app a "name: a
sources: [main.c]
cores: $bad"
		build_fails_clean a
		assert_output --partial "a/uk.yaml:3:8: error:"
		assert_output --partial "a number from 1 to 4"
	done
	make_app a 'name: a
sources: [main.c]
cores: [4]'
	build_fails_clean a
	assert_output --partial "a/uk.yaml:3:8: error: 'cores' must be a string, not a list"
	make_app a 'name: a
sources: [main.c]
cores: 4'
	run uk build a
	assert_success
}

@test "every error of a manifest is reported, not just the first" {
	make_app a 'name: a
target: pc
colour: blue
sources: [nothere.c]'
	build_fails_clean a
	assert_output --partial "unknown target 'pc'"
	assert_output --partial "unknown key 'colour'"
}

@test "a duplicated key is an error" {
	make_app a 'name: a
name: b
sources: [main.c]'
	build_fails_clean a
	assert_output --partial "a/uk.yaml:2:1: error: key 'name' appears twice (first on line 1)"
}

@test "a glob that reaches outside the app after expansion, and names gcc would read as options, are refused" {
	make_app a 'name: a
sources: [".?/*.c", main.c]'
	echo 'int outside;' >evil.c
	build_fails_clean a
	assert_output --partial "a/uk.yaml:2:11: error: source '.?/*.c' matches ../evil.c, which leaves the app directory"
	make_app b 'name: b
sources: ["*.c"]'
	echo '-wrapper /bin/touch,pwned' >b/o.c
	echo 'int y;' >b/@o.c
	echo 'int z;' >b/--version.c
	build_fails_clean b
	assert_output --partial "matches --version.c, which starts with '-' or '@'"
	assert_output --partial "matches @o.c, which starts with '-' or '@'"
	[ ! -e pwned ]
	[ ! -e b/pwned ]
}

@test "hostile YAML is refused quickly and at the right place: deep nesting, NUL bytes, bad UTF-8, a huge file" {
	mkdir a
	{ printf 'name: a\nsources: '; head -c 65536 /dev/zero | tr '\0' '['; } >a/uk.yaml
	run timeout 20 "$UK" build a
	assert_failure 2
	assert_output --partial "a/uk.yaml:2:73: error: nested more than 64 levels deep"
	printf 'name: a\nsources: [main.c]\ncflags: [-O2\0]\n' >a/uk.yaml
	run uk build a
	assert_failure 2
	assert_output --partial "a/uk.yaml:3:13: error: a NUL byte"
	printf 'name: a\nsources: [main.c]\n# caf\xe9\n' >a/uk.yaml
	run uk build a
	assert_failure 2
	assert_output --partial "a/uk.yaml:3:6: error: invalid UTF-8"
	{ printf 'name: a\nsources: [main.c]\n'; head -c $((5 << 20)) /dev/zero | tr '\0' '#'; } >a/uk.yaml
	run uk build a
	assert_failure 2
	assert_output --partial "uk reads at most 4 MiB"
	[ ! -e a/build ]
}

@test "30,000 keys with repeats: every repeat is reported with its first line, in bounded time" {
	mkdir a
	{
		printf 'name: a\nsources: [main.c]\nbootargs:\n'
		for i in $(seq 1 30000); do printf '  k%d: v\n' "$i"; done
		printf '  k17: again\n  k29999: again\n'
	} >a/uk.yaml
	run timeout 20 "$UK" build a
	assert_failure 2
	assert_output --partial "a/uk.yaml:30004:3: error: key 'k17' appears twice (first on line 20)"
	assert_output --partial "a/uk.yaml:30005:3: error: key 'k29999' appears twice (first on line 30002)"
}

@test "sizes that overflow are errors, not small numbers" {
	make_app a 'name: a
sources: [main.c]
image: {size: 17592186044480M}'
	build_fails_clean a
	assert_output --partial "a/uk.yaml:3:15: error: image size '17592186044480M' is not a size"
	make_app b 'name: b
sources: [main.c]
memory: 18446744073709551615'
	build_fails_clean b
	assert_output --partial "memory '18446744073709551615' is too large; use at most 64G"
	make_app c 'name: c
sources: [main.c]
memory: 99999999999999999999999G'
	build_fails_clean c
	assert_output --partial "memory '99999999999999999999999G' is not a size"
}

@test "boot arguments follow the runtime's rules at build time: no line breaks, lengths, count, net.* checks" {
	make_app a 'name: a
sources: [main.c]
bootargs:
  site: "north\rnet.dns=6.6.6.6"
  net.ip: not-an-ip
config_txt: ["gpu_mem=16\narm_freq=2000"]'
	build_fails_clean a
	assert_output --partial "a/uk.yaml:4:9: error: boot argument site 'north"
	assert_output --partial "may not contain a line break"
	assert_output --partial "a/uk.yaml:5:11: error: boot argument net.ip 'not-an-ip': write 'dhcp' or an IPv4 address"
	assert_output --partial "config_txt entries are one line each"
	long=$(printf 'k%.0s' $(seq 64))
	make_app b "name: b
sources: [main.c]
bootargs:
  $long: v
  v: $(printf 'x%.0s' $(seq 256))"
	build_fails_clean b
	assert_output --partial "a boot argument's key may have at most 63 characters"
	assert_output --partial "a boot argument's value may have at most 255 characters"
	{
		printf 'name: c\nsources: [main.c]\nbootargs:\n'
		for i in $(seq 129); do printf '  k%d: v\n' "$i"; done
	} >c.yaml
	make_app c "$(cat c.yaml)"
	build_fails_clean c
	assert_output --partial "129 boot arguments; the runtime takes at most 128"
	{
		printf 'name: d\nsources: [main.c]\nbootargs:\n'
		for i in $(seq 20); do printf '  k%d: %s\n' "$i" "$(printf 'y%.0s' $(seq 250))"; done
	} >d.yaml
	make_app d "$(cat d.yaml)"
	build_fails_clean d
	assert_output --partial "the runtime stores at most 4224"
}

@test "an image too small for FAT32 is refused" {
	make_app a 'name: a
sources: [main.c]
image:
  size: 16M'
	build_fails_clean a
	assert_output --partial "FAT32 needs at least 40M"
}

@test "unknown keys inside image and network are reported" {
	make_app a 'name: a
sources: [main.c]
image: {size: 64M, sise: 1}
network: {ip: dhcp, gw: 10.0.2.2}'
	build_fails_clean a
	assert_output --partial "unknown key 'sise' in 'image'"
	assert_output --partial "unknown key 'gw' in 'network'"
}

@test "an empty uk.yaml and a directory without one are errors" {
	mkdir a && : >a/uk.yaml
	build_fails_clean a
	assert_output --partial "a/uk.yaml:1:1: error: uk.yaml is empty"
	mkdir b
	run uk build b
	assert_failure 2
	assert_output --partial "no uk.yaml in"
	assert_output --partial "uk new"
}

@test "--json reports a manifest error as JSON on stdout" {
	make_app a 'name: a
sorces: [main.c]'
	run --separate-stderr uk build a --json
	assert_failure 2
	assert_output '{"ok":false,"exit":2,"error":"invalid uk.yaml"}'
}

@test "a full manifest with every field is accepted" {
	make_app a 'name: full
target: [virt]
sources: ["*.c"]
include: [inc]
cflags: [-O1, -Wall]
defines: {GREETING: "\"hey\"", FLAG: }
libs: [m]
memory: 64M
bootargs:
  who: world
  msg: two words
config_txt: [gpu_mem=16]
image:
  size: 48M
network:
  ip: dhcp
  hostfwd: ["udp:5555:7"]'
	mkdir a/inc
	run uk build a
	assert_success
	run cat a/build/virt/boot/cmdline.txt
	assert_output 'who=world msg="two words" net.ip=dhcp'
	run stat -c %s a/build/virt/sdcard.img
	assert_output $((48 << 20))
}

@test "the complete example in manifests/README.md builds as documented" {
	mkdir -p s/include s/drivers
	awk '/^## Complete example/ { on = 1 } on && /^```yaml/ { go = 1; next } go && /^```/ { exit } go' \
		"$UK_TOP/manifests/README.md" >s/uk.yaml
	grep -q '^name: sensor' s/uk.yaml
	printf 'int main(void) { return 0; }\n' >s/main.c
	printf 'int drv(void) { return SAMPLE_HZ; }\n' >s/drivers/d.c
	run uk build s
	assert_success
	assert_output --partial "built sensor for virt"
	assert_output --partial "built sensor for rpi3"
	[ -s s/build/rpi3/boot/start_cd.elf ]
	assert_equal "$(cat s/build/rpi3/boot/cmdline.txt)" \
		'port=7000 banner="hello sensor" net.ip=dhcp net.hostname=sensor'
}
