#!/usr/bin/env bats
# Unmodified programs (issue 11): well-known C programs from Debian source packages, fetched by
# install.sh into $UK_CACHE/src and never copied into the repository, built by `uk build` from
# their own unchanged sources and run on virt with their files on the card, against the same
# sources built and run on this machine: the files they write must be byte-exact and what they
# print the same. Their arguments come from the boot argument app.args. tests/apps/unix checks
# what a unikernel cannot honour (fork, exec, wait, signals, owners, links...).
bats_require_minimum_version 1.5.0
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load lib/boot

SRC=$UK_CACHE/src
export MTOOLS_SKIP_CHECK=1

setup() {
	T=$(mktemp -d)
	UK=$BUILD/bin/uk
	export UK_HOME NO_COLOR=1
	mkdir -p "$T/app" "$T/host"
}

teardown() {
	rm -rf "$T"
}

# need PKG: the Debian source install.sh fetches.
need() {
	[ -e "$SRC/$1/tree" ] || fail "no $SRC/$1: run ./install.sh (it fetches $1's Debian source)"
}

# build_both NAME [uk.yaml lines...]: $T/app (its sources copied in by the caller) built by uk
# build for virt and by the host's compiler into $T/host/NAME; $T/card.img is a copy of the card.
build_both() {
	local name=$1 defines=()
	shift
	{
		printf 'name: %s\nsources: ["*.c"]\n' "$name"
		printf '%s\n' "$@"
	} >"$T/app/uk.yaml"
	run "$UK" build "$T/app"
	assert_success
	cp "$T/app/build/virt/sdcard.img" "$T/card.img"
	mapfile -t defines < <(sed -n 's/^defines: {\(.*\): }$/-D\1/p' "$T/app/uk.yaml")
	run timeout 120 gcc -O2 -w "${defines[@]}" -o "$T/host/$name" "$T"/app/*.c -lm
	assert_success
}

# on_card FILE...: copies files into the card's /boot (the FAT partition at 4 MiB).
on_card() {
	mcopy -o -i "$T/card.img@@4M" "$@" ::/
}

# from_card NAME DEST: a file of the card's /boot.
from_card() {
	mcopy -n -i "$T/card.img@@4M" "::/$1" "$2"
}

# run_uk ARGS: boots the app with the card and app.args="ARGS"; $output, $status.
run_uk() {
	# shellcheck disable=SC2046
	run timeout -k 5 60 $(qemu_cmd virt "$T/app/build/virt/kernel8.img") \
		-drive "if=none,id=card,format=raw,file=$T/card.img" -device virtio-blk-device,drive=card \
		-append "uk.qemu=1 app.args=\"$1\"" </dev/null
	strip_cr
}

@test "zlib's minigzip (zlib 1.2.13) compresses and restores files on /boot byte for byte as on the host" {
	need zlib
	cp "$SRC"/zlib/tree/*.[ch] "$SRC/zlib/tree/test/minigzip.c" "$T/app/"
	# HAVE_UNISTD_H: as zlib's configure says for a POSIX system
	build_both minigzip 'defines: {HAVE_UNISTD_H: }'
	cp "$SRC/zlib/tree/ChangeLog" "$T/host/changes.txt"
	cp "$SRC/zlib/tree/zlib.3.pdf" "$T/host/manual.pdf"
	on_card "$T/host/changes.txt" "$T/host/manual.pdf"
	cp "$T/host/changes.txt" "$T/changes.orig"
	run_uk "/boot/changes.txt"
	assert_success
	assert_output ""
	run_uk "-9 /boot/manual.pdf"
	assert_success
	(cd "$T/host" && ./minigzip changes.txt && ./minigzip -9 manual.pdf)
	from_card changes.txt.gz "$T/uk.gz"
	from_card manual.pdf.gz "$T/uk-pdf.gz"
	cmp "$T/host/changes.txt.gz" "$T/uk.gz"
	cmp "$T/host/manual.pdf.gz" "$T/uk-pdf.gz"
	run mdir -b -i "$T/card.img@@4M" ::/
	refute_line "::/changes.txt" # minigzip removed its input, as on the host
	# and back: decompress on uk what it compressed
	run_uk "-d /boot/changes.txt.gz"
	assert_success
	from_card changes.txt "$T/changes.uk"
	cmp "$T/changes.orig" "$T/changes.uk"
	# a missing file: the same message as on the host
	run_uk "-d /boot/nothing.gz"
	assert_failure 1
	local uk_out=$output
	run -1 bash -c 'exec -a minigzip "$0" -d /boot/nothing.gz 2>&1' "$T/host/minigzip"
	assert_equal "$uk_out" "$output"
}

@test "bzip2 1.0.8 decompresses and compresses on /boot like the host, keeping file attributes" {
	need bzip2
	cp "$SRC"/bzip2/tree/{blocksort,bzlib,compress,crctable,decompress,huffman,randtable,bzip2}.c \
		"$SRC"/bzip2/tree/*.h "$T/app/"
	build_both bzip2
	cp "$SRC/bzip2/tree/sample1.bz2" "$SRC/bzip2/tree/sample2.bz2" "$SRC/bzip2/tree/words3" "$T/host/"
	on_card "$T/host/sample1.bz2" "$T/host/sample2.bz2" "$T/host/words3"
	run_uk "-d -k /boot/sample1.bz2 /boot/sample2.bz2"
	assert_success
	run_uk "-k -9 /boot/words3"
	assert_success
	run_uk "-t /boot/words3.bz2"
	assert_success
	(cd "$T/host" && ./bzip2 -d -k sample1.bz2 sample2.bz2 && ./bzip2 -k -9 words3)
	for f in sample1 sample2 words3.bz2; do
		from_card "$f" "$T/uk.$f"
		cmp "$T/host/$f" "$T/uk.$f"
	done
	cmp "$T/uk.sample1" "$SRC/bzip2/tree/sample1.ref"
	# refusing to overwrite, as on the host
	run_uk "-k /boot/words3"
	assert_failure 1
	assert_output "bzip2: Output file /boot/words3.bz2 already exists."
}

@test "Lua 5.4's interpreter runs a script from /data, writing /boot, as on the host" {
	need lua5.4
	cp "$SRC"/lua5.4/tree/src/*.[ch] "$T/app/"
	rm "$T/app/luac.c"
	# Debian's patched luaconf.h takes the multiarch triplet from a header its debian/rules
	# writes; write it as they do (it only names a library folder in package.cpath)
	if grep -q 'lua5.4-deb-multiarch.h' "$T/app/luaconf.h"; then
		printf '#define DEB_HOST_MULTIARCH "aarch64-linux-gnu"\n' >"$T/app/lua5.4-deb-multiarch.h"
	fi
	mkdir -p "$T/app/data"
	cp "$UK_TOP/tests/apps/lua/words.lua" "$SRC/zlib/tree/ChangeLog" "$T/app/data/"
	build_both lua 'libs: [m]' 'image: {data: 8M}'
	run_uk "/data/words.lua /data/ChangeLog /boot/report.txt first 'second word'"
	assert_success
	local uk_out=$output
	cp "$T/app/data/words.lua" "$T/app/data/ChangeLog" "$T/host/"
	(cd "$T/host" && env -u HOME ./lua words.lua ChangeLog report.txt first 'second word') >"$T/host.out"
	assert_equal "$uk_out" "$(cat "$T/host.out")"
	from_card report.txt "$T/uk.report"
	cmp "$T/host/report.txt" "$T/uk.report"
	run -0 grep -c . "$T/uk.report"
	assert_output 21
	# a Lua error: the interpreter reports it and exits 1, as on the host
	run_uk "-e error([[boom]])"
	assert_failure 1
	assert_line "lua: (command line):1: boom"
	uk_out=$output
	run -1 bash -c 'exec -a lua "$0" -e "error([[boom]])" 2>&1' "$T/host/lua"
	assert_equal "$uk_out" "$output"
}

@test "what a unikernel cannot honour links and answers cleanly; argv comes from app.args" {
	cp "$UK_TOP/tests/apps/unix/main.c" "$T/app/"
	printf 'name: unix\nsources: [main.c]\ncflags: [-Wall, -Wextra, -Werror]\n' >"$T/app/uk.yaml"
	run "$UK" build "$T/app"
	assert_success
	boot virt "$T/app/build/virt/kernel8.img"
	assert_success
	assert_line "unix: 0 failures"
	assert_line "unix: argv[0] <unix>"
	boot virt "$T/app/build/virt/kernel8.img" "app.args=\"one  'two three' fo\\ ur ''\""
	assert_line "unix: argv[1] <one>"
	assert_line "unix: argv[2] <two three>"
	assert_line "unix: argv[3] <fo ur>"
	assert_line "unix: argv[4] <>"
	refute_line --partial "argv[5]"
	boot virt "$T/app/build/virt/kernel8.img" "app.args=\"a 'b\""
	assert_line "uk: app.args: unterminated quote or too long; main gets no arguments"
	refute_line --partial "argv[1]"
	# raise(SIGABRT) ends the program as abort() does
	boot virt "$T/app/build/virt/kernel8.img" app.args=abort
	assert_failure 134
	assert_line "uk: exiting on signal 6"
	refute_line "unix: still here"
}
