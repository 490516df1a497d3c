#!/usr/bin/env bats
# uk build: artifacts, incremental compiles, atomic output, the boot partition, the MBR,
# reproducibility and build.json. Needs the runtime (make runtime) and UK_CACHE's firmware.
load helper

setup() { common_setup; }
teardown() { common_teardown; }

@test "uk build writes every artifact for virt" {
	uk new app >/dev/null
	run uk build app
	assert_success
	assert_output --partial "built app for virt in $T/app/build/virt"
	for f in app.elf kernel8.img boot/kernel8.img boot/config.txt boot/cmdline.txt boot.vfat \
		sdcard.img build.json; do
		[ -s "app/build/virt/$f" ] || [ "$f" = boot/cmdline.txt ] || fail "missing $f"
	done
	# app.elf keeps its symbols; kernel8.img is the raw image
	run aarch64-linux-gnu-nm app/build/virt/app.elf
	assert_output --partial " T main"
	cmp app/build/virt/kernel8.img app/build/virt/boot/kernel8.img
	# virt: the same layout minus the firmware
	[ ! -e app/build/virt/boot/start.elf ]
}

@test "a no-op rebuild compiles nothing and changes nothing" {
	uk new app >/dev/null
	uk build app >/dev/null
	before=$(tree_state app/build/virt)
	run uk build app
	assert_success
	assert_output --partial "up to date: app for virt"
	assert_equal "$(tree_state app/build/virt)" "$before"
}

@test "only changed sources are recompiled; a header change recompiles its users" {
	make_app app 'name: app
sources: ["*.c"]'
	printf '#include "b.h"\nint b(void) { return B; }\n' >app/b.c
	printf '#define B 1\n' >app/b.h
	printf 'int c(void) { return 2; }\n' >app/c.c
	uk build app >/dev/null
	ino() { stat -c %i "app/build/virt/obj/$1.o"; }
	main1=$(ino main.c) b1=$(ino b.c) c1=$(ino c.c)
	touch app/c.c
	uk build app >/dev/null
	assert_equal "$(ino main.c)" "$main1"
	assert_equal "$(ino b.c)" "$b1"
	[ "$(ino c.c)" != "$c1" ] || fail "c.c was not recompiled"
	c2=$(ino c.c)
	touch app/b.h
	uk build app >/dev/null
	assert_equal "$(ino main.c)" "$main1"
	assert_equal "$(ino c.c)" "$c2"
	[ "$(ino b.c)" != "$b1" ] || fail "b.c was not recompiled after b.h changed"
}

@test "changed cflags in uk.yaml recompile" {
	make_app app 'name: app
sources: [main.c]'
	uk build app >/dev/null
	i1=$(stat -c %i app/build/virt/obj/main.c.o)
	printf 'cflags: [-DEXTRA=1]\n' >>app/uk.yaml
	uk build app >/dev/null
	[ "$(stat -c %i app/build/virt/obj/main.c.o)" != "$i1" ] || fail "not recompiled"
}

@test "a compile error is shown as the compiler printed it; the previous output stays" {
	uk new app >/dev/null
	uk build app >/dev/null
	before=$(tree_state app/build/virt)
	printf 'int main(void) { return oops; }\n' >app/main.c
	run uk build app
	assert_failure 1
	assert_output --partial "main.c:1:25: error: 'oops' undeclared"
	assert_output --partial "compiling app for virt failed"
	assert_equal "$(tree_state app/build/virt)" "$before"
	run ls -A app/build
	assert_line virt
	refute_output --partial tmp
}

@test "a link error fails with 1 and keeps the previous output" {
	uk new app >/dev/null
	uk build app >/dev/null
	before=$(tree_state app/build/virt)
	printf 'int missing(void);\nint main(void) { return missing(); }\n' >app/main.c
	run uk build app
	assert_failure 1
	assert_output --partial "undefined reference to \`missing'"
	assert_equal "$(tree_state app/build/virt)" "$before"
}

@test "an unwritable output directory fails with 1 and says what to do" {
	uk new app >/dev/null
	: >afile
	run uk build app --out afile/out
	assert_failure 1
	assert_output --partial "cannot write the output directory"
	assert_output --partial "--out"
}

@test "--out puts the artifacts there; several targets get a directory each" {
	make_app app 'name: app
target: [virt, rpi3]
sources: [main.c]'
	run uk build app --out out
	assert_success
	[ -s out/virt/kernel8.img ]
	[ -s out/rpi3/kernel8.img ]
	run uk build app --target rpi3 --out single
	assert_success
	[ -s single/kernel8.img ]
	[ -s single/boot/start.elf ]
}

@test "a bad --target is a usage error" {
	uk new app >/dev/null
	run uk build app --target pdp11
	assert_failure 2
	assert_output --partial "unknown target 'pdp11'"
}

@test "a missing runtime exits 3 and points at make runtime" {
	uk new app >/dev/null
	UK_HOME=$T/nohome run uk build app
	assert_failure 3
	assert_output --partial "no runtime for target 'virt'"
	assert_output --partial "make runtime"
}

@test "missing Pi firmware exits 3 and points at install.sh; the output is untouched" {
	uk new app --target rpi3 >/dev/null
	mkdir -p cache/dtb && cp $UK_CACHE/dtb/*.dtb cache/dtb/
	UK_CACHE=$T/cache run uk build app
	assert_failure 3
	assert_output --partial "no raspi-firmware_*.deb in $T/cache/debs"
	assert_output --partial "install.sh"
	[ ! -e app/build/rpi3 ]
}

@test "rpi3 boot partition: FAT32, clean fsck, firmware, dtb, config.txt, cmdline.txt" {
	make_app app 'name: app
target: rpi3
sources: [main.c]
bootargs: {greeting: hello}
config_txt: [dtoverlay=disable-bt]'
	run uk build app
	assert_success
	out=app/build/rpi3
	run fsck.fat -n $out/boot.vfat
	assert_success
	refute_output --partial "differences"
	run dd if=$out/boot.vfat bs=1 skip=82 count=8 status=none
	assert_output "FAT32   "
	export MTOOLS_SKIP_CHECK=1
	run mdir -b -i $out/boot.vfat ::/
	assert_success
	for f in bootcode.bin start.elf fixup.dat bcm2837-rpi-3-b.dtb config.txt cmdline.txt kernel8.img; do
		assert_line "::/$f"
	done
	run mtype -i $out/boot.vfat ::/config.txt
	for l in arm_64bit=1 kernel=kernel8.img kernel_address=0x80000 enable_uart=1 boot_delay=0 \
		disable_splash=1 dtoverlay=disable-bt; do
		assert_line "$l"
	done
	run mtype -i $out/boot.vfat ::/cmdline.txt
	assert_output "greeting=hello"
	mcopy -i $out/boot.vfat ::/start.elf start.elf
	dpkg-deb --fsys-tarfile $UK_CACHE/debs/raspi-firmware_*.deb |
		tar -xO ./usr/lib/raspi-firmware/start.elf >deb-start.elf
	cmp start.elf deb-start.elf
	mcopy -i $out/boot.vfat ::/kernel8.img k.img
	cmp k.img $out/kernel8.img
}

@test "rpi4 boot partition: start4.elf, fixup4.dat, the Pi 4 dtb, enable_gic=1, no bootcode.bin" {
	uk new app --target rpi4 >/dev/null
	run uk build app
	assert_success
	export MTOOLS_SKIP_CHECK=1
	run mdir -b -i app/build/rpi4/boot.vfat ::/
	assert_line "::/start4.elf"
	assert_line "::/fixup4.dat"
	assert_line "::/bcm2711-rpi-4-b.dtb"
	refute_line "::/bootcode.bin"
	run mtype -i app/build/rpi4/boot.vfat ::/config.txt
	assert_line "enable_gic=1"
	run fsck.fat -n app/build/rpi4/boot.vfat
	assert_success
}

@test "gpu_mem=16 selects the cut-down firmware" {
	make_app app 'name: app
target: rpi3
sources: [main.c]
config_txt: [gpu_mem=16]'
	uk build app >/dev/null
	[ -s app/build/rpi3/boot/start_cd.elf ]
	[ -s app/build/rpi3/boot/fixup_cd.dat ]
	[ ! -e app/build/rpi3/boot/start.elf ]
}

@test "the MBR, field by field" {
	make_app app 'name: app
target: rpi3
sources: [main.c]
image: {size: 80M}'
	uk build app >/dev/null
	img=app/build/rpi3/sdcard.img
	byte() { od -An -tu1 -j "$1" -N 1 "$img" | tr -d ' '; }
	u32() { od -An -tu4 -j "$1" -N 4 --endian=little "$img" | tr -d ' '; }
	assert_equal "$(stat -c %s $img)" $((80 << 20))
	sig=$(sed -n 's/^ *"disk_signature": "\([0-9a-f]*\)".*/\1/p' app/build/rpi3/build.json)
	[ ${#sig} -eq 8 ] || fail "no disk_signature in build.json"
	assert_equal "$(printf %08x "$(u32 440)")" "$sig"
	assert_equal "$(byte 446)" 128         # bootable
	assert_equal "$(byte 450)" 12          # type 0x0C, FAT32 LBA
	assert_equal "$(u32 454)" 8192         # starts at 4 MiB
	assert_equal "$(u32 458)" $(((80 - 4) * 2048))
	# CHS of the first and last sector, 255 heads x 63 sectors
	chs() { local l=$1 c h s; c=$((l / (255 * 63))) h=$(((l / 63) % 255)) s=$((l % 63 + 1))
		echo "$h $((s | ((c >> 2) & 0xc0))) $((c & 0xff))"; }
	assert_equal "$(byte 447) $(byte 448) $(byte 449)" "$(chs 8192)"
	assert_equal "$(byte 451) $(byte 452) $(byte 453)" "$(chs $((80 * 2048 - 1)))"
	for e in 462 478 494; do assert_equal "$(u32 $((e + 8)))" 0; done # one partition only
	assert_equal "$(byte 510)" 85          # 0x55
	assert_equal "$(byte 511)" 170         # 0xAA
	# the partition is boot.vfat, byte for byte
	cmp -i 4194304:0 $img app/build/rpi3/boot.vfat
}

@test "same inputs in two directories give byte-identical images" {
	mkdir -p one two/deeper
	uk new one/app --target rpi3 >/dev/null
	cp -r one/app two/deeper/app
	touch -d '+1 minute' two/deeper/app/main.c
	uk build one/app >/dev/null
	uk build two/deeper/app >/dev/null
	for f in app.elf kernel8.img boot.vfat sdcard.img build.json; do
		cmp one/app/build/rpi3/$f two/deeper/app/build/rpi3/$f
	done
}

@test "SOURCE_DATE_EPOCH sets the files' dates in the boot partition" {
	uk new app >/dev/null
	SOURCE_DATE_EPOCH=1700000000 uk build app >/dev/null
	MTOOLS_SKIP_CHECK=1 run mdir -i app/build/virt/boot.vfat ::/
	assert_output --partial "2023-11-14"
	run grep -c '^  "source_date_epoch": 1700000000,$' app/build/virt/build.json
	assert_output 1
}

@test "build.json lists size and sha256 of every artifact and the tool versions" {
	uk new app --target rpi3 >/dev/null
	uk build app >/dev/null
	cd app/build/rpi3
	artifact_sums build.json >sums
	for f in app.elf kernel8.img boot.vfat sdcard.img boot/start.elf boot/config.txt; do
		grep -q "  $f\$" sums || fail "build.json has no sha256 for $f"
		artifact_sizes build.json | grep -qx "$(stat -c %s "$f") $f" || fail "wrong size for $f"
	done
	run sha256sum -c sums
	assert_success
	run bash -c "sed -n '/\"versions\"/,/}/p' build.json | sed -n 's/^    \"\([a-z.]*\)\".*/\1/p' | sort | tr '\n' ' '"
	assert_output "compiler dosfstools firmware libarchive libyaml mtools objcopy picolibc runtime uk "
	run grep -c raspi-firmware_ build.json
	assert_output 1
}

@test "uk build --json embeds build.json for scripts" {
	uk new app >/dev/null
	run --separate-stderr uk build app --json
	assert_success
	# one line, one document: the build's record inside, as build.json has it
	[ "${#lines[@]}" = 1 ] || fail "--json printed ${#lines[@]} lines"
	run jq -r '[.ok, .exit, .builds[0].target, .builds[0].up_to_date, (.builds[0].out | endswith("/app/build/virt"))] | @tsv' <<<"$output"
	assert_output "$(printf 'true\t0\tvirt\tfalse\ttrue')"
	run --separate-stderr uk build app --json
	run jq -c '.builds[0].build.artifacts["kernel8.img"]' <<<"$output"
	assert_output "$(jq -c '.artifacts["kernel8.img"]' app/build/virt/build.json)"
	run --separate-stderr uk build app --json
	run jq -r '.builds[0].up_to_date' <<<"$output"
	assert_output true
}

@test "leftovers of a build that died are removed; a live build's are not touched" {
	uk new app >/dev/null
	uk build app >/dev/null
	mkdir app/build/virt.tmp-4194305 app/build/virt.tmp-$$
	touch app/main.c
	run uk build app
	assert_success
	[ ! -e app/build/virt.tmp-4194305 ] || fail "stale temporary directory kept"
	[ -d app/build/virt.tmp-$$ ] || fail "a live process's directory was removed"
}

@test "Ctrl-C during a build removes its temporary directory and keeps the previous output" {
	uk new app >/dev/null
	uk build app >/dev/null
	before=$(tree_state app/build/virt)
	# the compiler blocks reading a FIFO header: a deterministic point to interrupt at
	mkfifo app/slow.h
	printf '#include "slow.h"\nint main(void) { return 0; }\n' >app/main.c
	"$UK" build app >log 2>&1 3>&- &
	bg=$!
	exec 4>app/slow.h # returns once the compiler opened the header
	kill -INT $bg
	exec 4>&-
	rc=0
	wait $bg || rc=$?
	assert_equal "$rc" 130
	run cat log
	assert_output --partial "interrupted: the previous output is untouched"
	assert_equal "$(tree_state app/build/virt)" "$before"
	run ls -A app/build
	refute_output --partial tmp
}

@test "a missing host tool exits 3 and points at uk doctor" {
	uk new app >/dev/null
	mkdir bin
	for p in aarch64-linux-gnu-gcc aarch64-linux-gnu-objcopy as ld aarch64-linux-gnu-as aarch64-linux-gnu-ld dpkg-query; do
		command -v $p >/dev/null && ln -s "$(command -v $p)" bin/$p
	done
	PATH=$T/bin run "$UK" build app
	assert_failure 3
	assert_output --partial "cannot run mkfs.fat"
	assert_output --partial "uk doctor"
	[ ! -e app/build/virt ]
}

@test "--out never replaces a directory that is not a uk output" {
	uk new app >/dev/null
	mkdir precious && echo keep >precious/file
	run uk build app --out precious
	assert_failure 2
	assert_output --partial "precious exists and is not a uk build output"
	assert_equal "$(cat precious/file)" keep
	mkdir empty
	run uk build app --out empty
	assert_success
	run uk build app --out empty
	assert_success
	assert_output --partial "up to date"
}

@test "--out refuses a folder that merely holds a build.json, or a uk output with a stranger in it" {
	uk new app >/dev/null
	mkdir precious
	echo '{}' >precious/build.json
	echo thesis >precious/thesis.txt
	before=$(tree_state precious)
	run uk build app --out precious
	assert_failure 2
	assert_output --partial "precious exists and is not a uk build output"
	assert_equal "$(tree_state precious)" "$before"
	# uk's own marker and a build.json that is not uk's: still refused
	rm precious/thesis.txt
	printf 'This directory is a uk build output: %s\n' "'uk build' replaces it as a whole." >precious/.uk-output
	before=$(tree_state precious)
	run uk build app --out precious
	assert_failure 2
	assert_output --partial "is not a uk build record"
	assert_equal "$(tree_state precious)" "$before"
	# a real output is replaced; a file the user put in it makes uk refuse
	run uk build app --out real
	assert_success
	assert [ -f real/.uk-output ]
	echo notes >real/notes.txt
	touch app/main.c
	run uk build app --out real
	assert_failure 2
	assert_output --partial "it holds notes.txt, which uk build never writes"
	assert_equal "$(cat real/notes.txt)" notes
	# a symbolic link to a directory is not replaced either
	rm real/notes.txt
	ln -s real link
	run uk build app --out link
	assert_failure 2
	assert_output --partial "symbolic link"
	assert [ -f real/kernel8.img ]
}

@test "two builds of the same output at once both succeed, one after the other" {
	uk new app >/dev/null
	"$UK" build app >log1 2>&1 3>&- &
	p1=$!
	"$UK" build app >log2 2>&1 3>&- &
	p2=$!
	wait $p1
	wait $p2
	run "$UK" build app
	assert_output --partial "up to date"
	run ls -A app/build
	refute_output --partial tmp
}

@test "build.json's SHA-256 sums (libcrypto's) agree with sha256sum" {
	uk new app --target rpi3 >/dev/null
	uk build app >/dev/null
	cd app/build/rpi3
	artifact_sums build.json >sums
	[ "$(wc -l <sums)" -ge 8 ]
	run sha256sum -c sums
	assert_success
	refute_output --partial FAILED
}
