#!/usr/bin/env bats
# uk data: ls, get, put, mkdir and rm on the littlefs /data partition of a card image. The
# app is tests/apps/datalog with an 8 MiB /data seeded from its data/ folder (as in
# tests/data.bats); the runtime reads what uk data put wrote, and uk data get reads what the
# app wrote at run time.
load helper
load ../lib/boot

setup_file() {
	export APPS=$BATS_FILE_TMPDIR
	mkdir -p "$APPS/app/data/notes" "$APPS/plain"
	cp "$UK_TOP/tests/apps/datalog/main.c" "$APPS/app/"
	printf 'name: datalog\nsources: [main.c]\nimage: {data: 8M}\n' >"$APPS/app/uk.yaml"
	echo "seeded by uk build" >"$APPS/app/data/hello.txt"
	echo "in a folder" >"$APPS/app/data/notes/a.txt"
	"$UK" build "$APPS/app" >"$APPS/build.log" 2>&1 || {
		cat "$APPS/build.log"
		return 1
	}
	# the same app without a data partition
	cp "$UK_TOP/tests/apps/datalog/main.c" "$APPS/plain/"
	printf 'name: plain\nsources: [main.c]\n' >"$APPS/plain/uk.yaml"
	"$UK" build "$APPS/plain" >"$APPS/build.log" 2>&1 || {
		cat "$APPS/build.log"
		return 1
	}
}

setup() {
	common_setup
	cp "$APPS/app/build/virt/sdcard.img" card.img
}

teardown() {
	[ -z "${QPID:-}" ] || kill -9 "$QPID" 2>/dev/null || true
	common_teardown
}

# boot_card BOOTARGS...: the app with ./card.img as its card (tests/data.bats's boot_card).
boot_card() {
	# shellcheck disable=SC2046
	run timeout -k 5 60 $(qemu_cmd virt "$APPS/app/build/virt/kernel8.img") \
		-drive "if=none,id=card,format=raw,file=$T/card.img" \
		-device virtio-blk-device,drive=card -append "uk.qemu=1 $*" </dev/null
	strip_cr
}

# What a read command must not change: the card's bytes and its time.
card_state() { echo "$(sha256sum <card.img) $(stat -c %Y.%y card.img)"; }

@test "uk data ls lists the seeded files, a folder and a file; --json is an array of name, type, size" {
	local before
	before=$(card_state)
	run uk data ls card.img
	assert_success
	assert_output "$(printf 'file %10s  hello.txt\ndir  %10s  notes/' 19 -)"
	run uk data ls card.img /notes
	assert_success
	assert_output --regexp '^file +12  a\.txt$'
	run uk data ls card.img notes/a.txt
	assert_success
	assert_output --regexp '^file +12  a\.txt$'
	run bash -c '"$1" data ls card.img --json | jq -c "map([.name, .type, .size])"' _ "$UK"
	assert_success
	assert_output '[["hello.txt","file",19],["notes","dir",0]]'
	run bash -c '"$1" data ls card.img notes --json | python3 -m json.tool' _ "$UK"
	assert_success
	assert_output --partial '"name": "a.txt"'
	run uk data ls card.img nowhere
	assert_failure 2
	assert_output --partial "card.img: /data/nowhere: no such file or folder"
	# a path as the app sees it gets a hint
	run uk data ls card.img /data/notes
	assert_failure 2
	assert_output --partial "what the app opens as /data/x is x here"
	run uk data ls card.img nowhere --json
	assert_failure 2
	assert_line --partial '{"ok":false,"exit":2,"error":"card.img: /data/nowhere: no such file or folder"}'
	[ "$(card_state)" = "$before" ] || fail "uk data ls changed the card"
}

@test "uk data get copies a file out byte for byte, to a folder or stdout; never over DEST without --force" {
	local before
	before=$(card_state)
	run uk data get card.img hello.txt
	assert_success
	cmp hello.txt "$APPS/app/data/hello.txt"
	echo "mine" >hello.txt
	run uk data get card.img hello.txt
	assert_failure 2
	assert_output --partial "hello.txt exists"
	assert_output --partial "--force replaces it"
	[ "$(cat hello.txt)" = mine ] || fail "DEST was changed without --force"
	run uk data get card.img hello.txt --force
	assert_success
	cmp hello.txt "$APPS/app/data/hello.txt"
	mkdir out
	run uk data get card.img /notes/a.txt out
	assert_success
	cmp out/a.txt "$APPS/app/data/notes/a.txt"
	run uk data get card.img notes/a.txt got.txt
	assert_success
	cmp got.txt "$APPS/app/data/notes/a.txt"
	run uk data get card.img notes/a.txt -
	assert_success
	assert_output "in a folder"
	run uk data get card.img notes
	assert_failure 2
	assert_output --partial "/data/notes is a folder"
	run uk data get card.img nothing.txt
	assert_failure 2
	assert_output --partial "/data/nothing.txt: no such file or folder"
	# nothing half-written or temporary is left behind
	run ls -A . out
	assert_output "$(printf '.:\ncard.img\ngot.txt\nhello.txt\nout\n\nout:\na.txt')"
	[ "$(card_state)" = "$before" ] || fail "uk data get changed the card"
}

@test "uk data put then get round-trips a binary file; PATH's folder must exist; --force replaces" {
	head -c 102400 /dev/urandom >rnd.bin
	run uk data put card.img rnd.bin bin/rnd.bin
	assert_failure 2
	assert_output --partial "card.img: the folder /data/bin does not exist"
	assert_output --partial "uk data mkdir card.img bin"
	run uk data mkdir card.img bin
	assert_success
	run uk data put card.img rnd.bin bin/rnd.bin
	assert_success
	assert_output --partial "put rnd.bin as /data/bin/rnd.bin on card.img (102400 bytes)"
	run uk data get card.img bin/rnd.bin back.bin
	assert_success
	cmp rnd.bin back.bin
	run bash -c '"$1" data ls card.img bin --json | jq -c "map([.name, .size])"' _ "$UK"
	assert_output '[["rnd.bin",102400]]'
	# into a folder: SRC's name; an existing PATH only with --force
	run uk data put card.img rnd.bin bin
	assert_failure 2
	assert_output --partial "card.img: /data/bin/rnd.bin exists"
	head -c 5000 /dev/urandom >other.bin
	run uk data put card.img other.bin bin/rnd.bin --force
	assert_success
	run uk data get card.img bin/rnd.bin - --force
	assert_success
	uk data get card.img bin/rnd.bin back2.bin
	cmp other.bin back2.bin
	run uk data put card.img other.bin /
	assert_success
	run uk data get card.img other.bin -
	assert_success
	# what SRC must be
	run uk data put card.img missing.bin x
	assert_failure 2
	assert_output --partial "missing.bin: no such file"
	mkdir folder
	run uk data put card.img folder x
	assert_failure 2
	assert_output --partial "folder is not a regular file"
	run uk data ls card.img
	refute_output --partial ".uk-put"
}

@test "a put into a full /data fails clearly, changes nothing, and the earlier files read back" {
	head -c 102400 /dev/urandom >rnd.bin
	uk data put card.img rnd.bin rnd.bin
	local listing
	listing=$(uk data ls card.img)
	head -c $((9 << 20)) /dev/urandom >big.bin
	run uk data put card.img big.bin big.bin
	assert_failure 1
	assert_output --partial "card.img: /data is full: big.bin (9437184 bytes) does not fit"
	assert_output --partial "nothing was changed"
	assert_output --partial "uk data rm"
	run uk data ls card.img
	assert_output "$listing"
	# nearly full, then a file that does not fit in what is left
	head -c $((5 << 20)) /dev/urandom >five.bin
	run uk data put card.img five.bin five.bin
	assert_success
	run uk data put card.img five.bin five2.bin
	assert_failure 1
	assert_output --partial "/data is full"
	run uk data ls card.img
	refute_output --partial five2.bin
	refute_output --partial ".uk-put"
	uk data get card.img rnd.bin rnd.back
	cmp rnd.bin rnd.back
	uk data get card.img five.bin five.back
	cmp five.bin five.back
	uk data get card.img hello.txt
	cmp hello.txt "$APPS/app/data/hello.txt"
	# and room again after a rm
	uk data rm card.img five.bin
	run uk data put card.img five.bin five2.bin
	assert_success
}

@test "uk data mkdir and rm: folders and files; rm refuses a folder that is not empty and /data itself" {
	run uk data mkdir card.img a
	assert_success
	run uk data mkdir card.img /a/b/
	assert_success
	run uk data mkdir card.img a
	assert_failure 2
	assert_output --partial "card.img: /data/a: it exists already"
	run uk data mkdir card.img x/y
	assert_failure 2
	assert_output --partial "the folder /data/x does not exist"
	run uk data rm card.img a
	assert_failure 2
	assert_output --partial "the folder /data/a is not empty"
	run uk data rm card.img a/b
	assert_success
	run uk data rm card.img a
	assert_success
	run uk data rm card.img notes/a.txt
	assert_success
	assert_output --partial "removed the file /data/notes/a.txt"
	run uk data rm card.img notes
	assert_success
	run uk data ls card.img
	assert_output --regexp '^file +19  hello\.txt$'
	run uk data rm card.img /
	assert_failure 2
	assert_output --partial "/data itself cannot be removed"
	run uk data rm card.img nothing
	assert_failure 2
	assert_output --partial "/data/nothing: no such file or folder"
}

@test "uk data refuses what is no card with a /data partition, each with what to do" {
	run uk data ls missing.img
	assert_failure 2
	assert_output --partial "missing.img: no such file"
	mkdir adir
	run uk data ls adir
	assert_failure 2
	assert_output --partial "adir is a folder, not a card image"
	run uk data ls /dev/null
	assert_failure 2
	assert_output --partial "/dev/null is not a regular file"
	head -c 1048576 /dev/zero >blank.img
	run uk data ls blank.img
	assert_failure 2
	assert_output --partial "blank.img has no partition table (no MBR)"
	cp "$APPS/plain/build/virt/sdcard.img" plain.img
	for c in "ls plain.img" "get plain.img x" "put plain.img card.img x" "mkdir plain.img x" "rm plain.img x"; do
		# shellcheck disable=SC2086
		run uk data $c
		assert_failure 2
		assert_output --partial "plain.img has no /data partition (no partition of type 0xda)"
		assert_output --partial "add 'image: {data: 64M}' to the app's uk.yaml"
	done
	# the data partition's superblocks overwritten with noise
	head -c 65536 /dev/urandom | dd of=card.img bs=1M seek=64 conv=notrunc status=none
	local before
	before=$(sha256sum <card.img)
	for c in "ls card.img" "get card.img hello.txt" "put card.img blank.img x" "mkdir card.img x" "rm card.img hello.txt"; do
		# shellcheck disable=SC2086
		run uk data $c
		assert_failure 2
		assert_output --partial "card.img: partition 2 is not a littlefs /data partition or is damaged"
		assert_output --partial 'uk_fs_format("/data")'
	done
	[ "$(sha256sum <card.img)" = "$before" ] || fail "a refused command changed the card"
	# a card cut short inside /data
	cp "$APPS/app/build/virt/sdcard.img" short.img
	truncate -s 65M short.img
	run uk data ls short.img
	assert_failure 2
	assert_output --partial "short.img is cut short"
}

@test "a /data made with the older 4 KiB littlefs blocks is read and written too" {
	local lfs=$UK_CACHE/src/micropython/tree/lib/littlefs
	[ -f "$lfs/lfs2.c" ] || skip "no littlefs source in $lfs (install.sh installs it)"
	# a littlefs of 4 KiB blocks over the card's 8 MiB partition, as uk made them before
	cat >old.c <<'EOF'
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "lfs2.h"
static int fd;
#define AT(b, o) ((off_t)64 * 1048576 + (off_t)(b) * 4096 + (o))
static int rd(const struct lfs2_config *c, lfs2_block_t b, lfs2_off_t o, void *p, lfs2_size_t n)
{ (void)c; return pread(fd, p, n, AT(b, o)) == (ssize_t)n ? 0 : LFS2_ERR_IO; }
static int wr(const struct lfs2_config *c, lfs2_block_t b, lfs2_off_t o, const void *p, lfs2_size_t n)
{ (void)c; return pwrite(fd, p, n, AT(b, o)) == (ssize_t)n ? 0 : LFS2_ERR_IO; }
static int er(const struct lfs2_config *c, lfs2_block_t b) { (void)c, (void)b; return 0; }
static int sy(const struct lfs2_config *c) { (void)c; return 0; }
int main(int argc, char **argv)
{
	struct lfs2_config cfg = {.read = rd, .prog = wr, .erase = er, .sync = sy,
		.read_size = 512, .prog_size = 512, .block_size = 4096, .block_count = 2048,
		.block_cycles = 500, .cache_size = 512, .lookahead_size = 256};
	lfs2_t lfs;
	lfs2_file_t f;
	const char *text = "made with 4 KiB blocks\n";
	fd = open(argv[argc - 1], O_RDWR);
	if (fd < 0 || lfs2_format(&lfs, &cfg) || lfs2_mount(&lfs, &cfg) ||
	    lfs2_file_open(&lfs, &f, "old.txt", LFS2_O_WRONLY | LFS2_O_CREAT) < 0 ||
	    lfs2_file_write(&lfs, &f, text, strlen(text)) != (lfs2_ssize_t)strlen(text) ||
	    lfs2_file_close(&lfs, &f) || lfs2_unmount(&lfs))
		return 1;
	return 0;
}
EOF
	cc -I"$lfs" -DLFS2_NO_DEBUG -DLFS2_NO_WARN -DLFS2_NO_ERROR -o old old.c "$lfs/lfs2.c" \
		"$lfs/lfs2_util.c" -w
	dd if=/dev/zero of=card.img bs=1M seek=64 count=8 conv=notrunc status=none
	./old card.img
	run uk data ls card.img
	assert_success
	assert_output --regexp '^file +23  old\.txt$'
	run uk data get card.img old.txt -
	assert_output "made with 4 KiB blocks"
	head -c 30000 /dev/urandom >rnd.bin
	printf 'put on a 4 KiB card\n' >note.txt
	uk data put card.img rnd.bin rnd.bin
	uk data put card.img note.txt note.txt
	uk data get card.img rnd.bin back.bin
	cmp rnd.bin back.bin
	boot_card data.cat=note.txt
	assert_success
	assert_line "datalog: /data/note.txt: put on a 4 KiB card"
}

@test "uk data usage: a command is needed; every command has --help" {
	run uk data
	assert_failure 2
	assert_output --partial "uk data needs a command: ls, get, put, mkdir or rm"
	run uk data frob card.img
	assert_failure 2
	assert_output --partial "'frob' is not a uk data command"
	run uk data --help
	assert_success
	assert_line --index 0 "usage: uk data ls CARD [PATH] [--json]"
	run uk help data
	assert_success
	assert_line --index 0 --partial "usage: uk data"
	for c in ls get put mkdir rm; do
		run uk data "$c" --help
		assert_success
		assert_line --index 0 --partial "usage: uk data $c CARD"
	done
	run uk data ls
	assert_failure 2
	assert_output --partial "uk data ls needs a CARD"
	run uk data get card.img
	assert_failure 2
	run uk data put card.img x
	assert_failure 2
	run uk data rm card.img a b
	assert_failure 2
	assert_output --partial "too many arguments"
	run uk data ls card.img --frob
	assert_failure 2
	assert_output --partial "unknown option '--frob'"
}

@test "the write commands refuse a card that a QEMU has open; ls still reads it, with a warning" {
	# shellcheck disable=SC2046
	$(qemu_cmd virt "$APPS/app/build/virt/kernel8.img") \
		-drive "if=none,id=card,format=raw,file=$T/card.img" \
		-device virtio-blk-device,drive=card -append "uk.qemu=1 data.append=1" \
		</dev/null >"$T/console" 2>&1 &
	QPID=$!
	timeout 60 bash -c "until grep -q '^ack 0' '$T/console'; do sleep 0.05; done" ||
		fail "the app did not start: $(tail -3 "$T/console")"
	echo hi >hi.txt
	local before
	before=$(sha256sum <card.img)
	for c in "put card.img hi.txt hi.txt" "mkdir card.img x" "rm card.img hello.txt"; do
		# shellcheck disable=SC2086
		run uk data $c
		assert_failure 1
		assert_output --partial "card.img is in use: a QEMU (or another uk data) has it open"
	done
	run uk data ls card.img hello.txt
	assert_success
	assert_output --partial "card.img is open for writing by a QEMU"
	kill -9 "$QPID"
	wait "$QPID" 2>/dev/null || true
	QPID=
	run uk data put card.img hi.txt hi.txt
	assert_success
	run uk data get card.img hi.txt -
	assert_output --partial hi
}

@test "a put into a build's sdcard.img updates its block map: uk flash writes the new file" {
	cp -r "$APPS/app/build/virt" out
	echo "for the flashed card" >note.txt
	run uk data put out/sdcard.img note.txt note.txt
	assert_success
	assert_output --partial "updated out/sdcard.img.bmap for uk flash"
	run uk flash out flashed.img --yes
	assert_success
	run uk data get flashed.img note.txt -
	assert_success
	assert_output "for the flashed card"
}

@test "the runtime reads what uk data put wrote; uk data get reads what the app wrote" {
	printf 'put by uk data\n' >note.txt
	uk data mkdir card.img cfg
	uk data put card.img note.txt cfg/note.txt
	boot_card data.cat=cfg/note.txt
	assert_success
	assert_line "datalog: /data/cfg/note.txt: put by uk data"
	# a put that failed on a full partition leaves a littlefs the runtime mounts
	head -c $((9 << 20)) /dev/urandom >big.bin
	run uk data put card.img big.bin big.bin
	assert_failure 1
	boot_card data.cat=hello.txt
	assert_success
	refute_output --partial "cannot mount"
	assert_line "datalog: /data/hello.txt: seeded by uk build"

	# uk run's working copy: the app writes /data/log, uk data reads it; a put is there at
	# the next run
	cp -r "$APPS/app" app
	rm -rf app/build
	run timeout 120 "$UK" run --qemu app --timeout 60 --append data.fill=1
	assert_success
	assert_output --partial "datalog: 10 records written first"
	run uk data ls app/build/virt.card.img
	assert_line --regexp '^file +640  log$'
	refute_output --partial "fill"
	run uk data get app/build/virt.card.img log
	assert_success
	[ -s log ] || fail "uk data get wrote an empty log"
	[ "$(stat -c %s log)" = 640 ] || fail "the log has $(stat -c %s log) bytes, not 640"
	assert_equal "$(head -n1 log)" "record 00000000 .aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	run uk data put app/build/virt.card.img note.txt note.txt
	assert_success
	run timeout 120 "$UK" run --qemu app --timeout 60 --append data.cat=note.txt
	assert_success
	assert_output --partial "datalog: /data/note.txt: put by uk data"
}
