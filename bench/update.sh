#!/usr/bin/env bash
# bench/update.sh: signed A/B updates (issue 14, docs/update.md) booted through
# tests/tools/pi_firmware.py, which plays the Pi firmware's part under QEMU as tests/update.bats
# and tests/update-pi.bats use it. The app is tests/apps/update/main.c: version 1.0.0 makes the
# card, version 2.0.0 is the update, signed by `uk build --sign` with a P-256 key made here.
#   virt     the Pi 4 scheme (autoboot.txt, the tryboot flag, /chosen/bootloader) on virt's A/B
#            card (virtio-blk); the bundle over HTTPS from `openssl s_server -WWW` (a CA and a
#            server certificate for host.test made here as tests/update.bats makes them; the
#            guest reaches it at 10.0.2.2 on QEMU user networking, DHCP): "update: fetching"
#   raspi3b  the Pi 3 scheme (one FAT partition, slots a/ and b/, config.txt's include slot.txt,
#            os_prefix) in QEMU raspi3b's SD slot (the card grown to 256 MiB, the power of two
#            QEMU wants); the bundle from a file on the card's /data, as tests/update-pi.bats
#            does (update.file=, no network): "update: installing". When uk build refuses
#            update slots for rpi3, or pi_firmware.py cannot play the Pi 3 firmware, the row
#            says why instead of numbers.
# Two updates on each, each from a fresh copy of the 1.0.0 card:
#   plain    the test app as it is (its bundle: kernel8.img, about 0.5 MB, cmdline.txt,
#            config.txt, update.pem; examples/http-server's image is printed for comparison)
#   8 MiB    the test app built with `defines: {UPDATE_BALLAST_KB: 8192}` (8 MiB more kernel)
# Rows, median of N runs of each (in turn), times from pi_firmware.py --stamp (one clock over
# both boots; a console line's time is when its end was read, to about 20 ms):
#   update available to the new version confirmed: "update: fetching" (or "installing") on the
#     running 1.0.0 to "uk: update: version 2.0.0 confirmed" on the trial boot, the reset and
#     the second boot included; split into download (or read)+verify+write (to "written to
#     slot"), the reboot ("written to slot" to the trial boot's QEMU start: the app's return,
#     the reset, the firmware stand-in reading the card and copying the slot's kernel off it)
#     and the trial boot (QEMU start to "confirmed")
#   bytes written per update, install boot and trial boot: pi_firmware.py --io, the last wchar
#     of /proc/<QEMU pid>/io: every write call QEMU made, the console's included, so an upper
#     bound; next to the bundle and the card sizes
# A missing piece prints "skipped: why" and exits 0, so make bench goes on.
#   bench/update.sh [N]     (default N=3, or BENCH_UPDATE_RUNS; BENCH_UPDATE_LOGS=DIR keeps
#                           each run's pi_firmware.py log there)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
UK_CACHE=${UK_CACHE:-/var/cache/uk}
UK_HOME=${UK_HOME:-$build/lib/uk}
uk=$build/bin/uk
n=${1:-${BENCH_UPDATE_RUNS:-3}}
fw=$top/tests/tools/pi_firmware.py

. "$top/bench/lib.sh" # skip, need, workdir, median
[ -x "$uk" ] || skip "$uk missing: run make first"
[ -f "$UK_HOME/virt/target.conf" ] || skip "$UK_HOME/virt/target.conf missing: run make first"
need qemu-system-aarch64 openssl python3 mtype mcopy fdtput

workdir
server=
trap '[ -z "$server" ] || kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

# keys and certificates, as tests/update.bats's setup_file makes them
P=$work/pki W=$work/www A=$work/apps
mkdir -p "$P" "$W" "$A"
printf '[srv]\nsubjectAltName = DNS:host.test, IP:10.0.2.2\nextendedKeyUsage = serverAuth\n' >"$P/ext.cnf"
(
	cd "$P"
	openssl ecparam -name prime256v1 -genkey -noout -out ca.key
	openssl req -x509 -new -key ca.key -subj "/CN=uk update bench ca" -days 3650 -out ca.pem
	openssl ecparam -name prime256v1 -genkey -noout -out srv.key
	openssl req -new -key srv.key -subj /CN=host.test -out srv.csr
	openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 365 \
		-extfile ext.cnf -extensions srv -out srv.pem
	openssl ecparam -name prime256v1 -genkey -noout -out sign.pem
	openssl ec -in sign.pem -pubout -out sign.pub.pem
) >"$work/pki.log" 2>&1 || skip "openssl could not make the keys: $(tail -n 2 "$work/pki.log")"

# app DIR VERSION TARGET [YAML]: the test app at that version, signed (uk build's status); its
# /data is $A/DIR/data (ca.pem, and whatever is there already), $datasz big
datasz=8M
app() {
	local d=$A/$1
	mkdir -p "$d/data"
	cp "$top/tests/apps/update/main.c" "$d/"
	cp "$P/ca.pem" "$d/data/"
	cp "$P/sign.pub.pem" "$d/update.pub.pem"
	printf 'name: upd\nversion: %s\ntarget: %s\nsources: [main.c]\nimage: {data: %s}\nupdate: {slots: ab, key: update.pub.pem}\n%s' \
		"$2" "$3" "$datasz" "${4:-}" >"$d/uk.yaml"
	"$uk" build "$d" --sign "$P/sign.pem" >"$work/build-$1.log" 2>&1
}
ballast=$'defines: {UPDATE_BALLAST_KB: 8192}\n'
app v1 1.0.0 virt || skip "uk build of the 1.0.0 card failed: $(tail -n 3 "$work/build-v1.log")"
app plain 2.0.0 virt || skip "uk build of 2.0.0 failed: $(tail -n 3 "$work/build-plain.log")"
app big 2.0.0 virt "$ballast" ||
	skip "uk build of 2.0.0 with ballast failed: $(tail -n 3 "$work/build-big.log")"
card=$A/v1/build/virt/sdcard.img
cp "$A/plain/build/virt/update.ukb" "$W/plain.ukb"
cp "$A/big/build/virt/update.ukb" "$W/big.ukb"
# raspi3b: the two bundles go on the 1.0.0 card's /data
rpi3_why=
if ! app rpi3-plain 2.0.0 rpi3; then
	rpi3_why="uk build refuses it: $(grep -m 1 'error:' "$work/build-rpi3-plain.log" | sed 's/.*error: //')"
elif ! grep -q 'slot\.txt' "$fw"; then
	rpi3_why="tests/tools/pi_firmware.py plays only the Pi 4 firmware (autoboot.txt), not the Pi 3's (slot.txt)"
elif ! app rpi3-big 2.0.0 rpi3 "$ballast"; then
	rpi3_why="uk build of 2.0.0 with ballast failed: $(tail -n 1 "$work/build-rpi3-big.log")"
else
	mkdir -p "$A/rpi3-v1/data"
	cp "$A/rpi3-plain/build/rpi3/update.ukb" "$A/rpi3-v1/data/plain.ukb"
	cp "$A/rpi3-big/build/rpi3/update.ukb" "$A/rpi3-v1/data/big.ukb"
	datasz=32M
	app rpi3-v1 1.0.0 rpi3 || rpi3_why="uk build of the 1.0.0 card failed: $(tail -n 1 "$work/build-rpi3-v1.log")"
fi

free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 12000))
		[ -z "$(ss -Hlnt "sport = :$p")" ] && echo "$p" && return
	done
}
port=$(free_port)
(cd "$W" && exec openssl s_server -accept "127.0.0.1:$port" -cert "$P/srv.pem" -key "$P/srv.key" \
	-WWW -quiet) >"$work/s_server.log" 2>&1 &
server=$!
for ((i = 0; i < 200; i++)); do
	[ -n "$(ss -Hlnt "sport = :$port")" ] && break
	kill -0 "$server" 2>/dev/null || skip "openssl s_server did not start: $(cat "$work/s_server.log")"
	sleep 0.05
done

# QEMU as target.conf says uk run starts it, without -kernel/-append (the firmware adds them;
# on raspi3b it reads the -dtb named from the card's slot)
conf() { # TARGET KEY
	sed -n "s/^$2 = //p" "$UK_HOME/$1/target.conf" |
		sed -e "s|\${UK_HOME}|$UK_HOME|g" -e "s|\${UK_CACHE}|$UK_CACHE|g"
}
qemu_args() { # TARGET: sets qemu
	local dtb
	dtb=$(conf "$1" QEMU_DTB)
	# shellcheck disable=SC2207,SC2054 # split on purpose; the commas are QEMU's
	qemu=($(conf "$1" QEMU) -m "$(conf "$1" QEMU_MEM)" -display none -monitor none
		$(conf "$1" QEMU_SERIAL) -no-reboot -semihosting-config enable=on,target=native
		${dtb:+-dtb "$dtb"})
}

# stamp LOG TEXT: the first time stamp (ms) of a line containing TEXT
stamp() {
	awk -v t="$2" 'index($0, "firmware: at ") == 1 && index($0, t) {
		split($0, f, " "); printf "%d\n", f[3] * 1000; exit }' "$1"
}
# console BOOT LOG: bytes of that boot's console (its lines between the firmware's)
console() {
	awk -v b="$1" '$0 ~ "^firmware: boot " b ": " { on = 1; next }
		$0 ~ "^firmware: boot " b " ended" { on = 0 }
		on && !/^firmware: / { n += length($0) + 1 } END { print n + 0 }' "$2"
}

# one TARGET SIZE RUN: the update of a fresh 1.0.0 card to SIZE's 2.0.0
one() {
	local k=$1-$2 log=$work/$1-$2-$3.log c=$work/card.img start args
	if [ "$1" = virt ]; then
		cp "$card" "$c"
		qemu_args virt
		# shellcheck disable=SC2054
		qemu+=(-netdev user,id=n0 -device virtio-net-device,netdev=n0)
		start="update: fetching"
		args="net.ip=dhcp update.name=host.test update.url=https://10.0.2.2:$port/$2.ukb"
	else
		cp "$A/rpi3-v1/build/rpi3/sdcard.img" "$c"
		truncate -s 256M "$c"
		qemu_args rpi3
		start="update: installing"
		args="update.file=/data/$2.ukb"
	fi
	timeout -k 5 900 "$fw" "$c" "$log" --boots 3 --timeout 300 --io \
		--stamp "$start|written to slot|version 2\.0\.0 confirmed" \
		--append "uk.qemu=1 $args update.want=2.0.0" -- "${qemu[@]}" >"$work/fw.err" 2>&1 || {
		echo "bench/update.sh: pi_firmware.py failed: $(cat "$work/fw.err")" >&2
		return 1
	}
	[ -z "${BENCH_UPDATE_LOGS:-}" ] || cp "$log" "$BENCH_UPDATE_LOGS/"
	local f w s e w1 w2
	f=$(stamp "$log" "$start")
	w=$(stamp "$log" "written to slot")
	s=$(stamp "$log" "boot 2: QEMU started")
	e=$(stamp "$log" "confirmed in slot")
	w1=$(sed -n 's/^firmware: boot 1 wrote \([0-9]*\) bytes$/\1/p' "$log")
	w2=$(sed -n 's/^firmware: boot 2 wrote \([0-9]*\) bytes$/\1/p' "$log")
	if [ -z "$f" ] || [ -z "$w" ] || [ -z "$s" ] || [ -z "$e" ] || [ -z "$w1" ] || [ -z "$w2" ]; then
		echo "bench/update.sh: $k run $3: no confirmed update; the firmware's lines:" >&2
		tr -d '\r' <"$log" | grep -E '^(firmware|update|uk: update)' | tail -n 12 >&2
		return 1
	fi
	total[$k]+="$((e - f)) " dl[$k]+="$((w - f)) " rb[$k]+="$((s - w)) " tb[$k]+="$((e - s)) "
	wr1[$k]+="$w1 " wr2[$k]+="$w2 "
	con1[$k]+="$(console 1 "$log") " con2[$k]+="$(console 2 "$log") "
	echo "run $3 $k: total $((e - f)) ms (download+write $((w - f)), reboot $((s - w)), trial" \
		"$((e - s))), wrote $w1 + $w2 bytes" >&2
}

declare -A total dl rb tb wr1 wr2 con1 con2
cols=(virt-plain virt-big)
[ -n "$rpi3_why" ] || cols+=(rpi3-plain rpi3-big)
for ((r = 1; r <= n; r++)); do
	for c in "${cols[@]}"; do
		one "${c%-*}" "${c#*-}" $r && continue
		[ "${c%-*}" = virt ] && skip "the $c update did not complete (run $r)"
		rpi3_why="the $c update did not complete (run $r)"
		cols=(virt-plain virt-big)
		break
	done
done

med() { printf '%s\n' "$@" | median; }
kib() { echo $((($1 + 512) >> 10)); }
sec() { awk -v v="$1" 'BEGIN { printf "%.2f", v / 1000 }'; }
# shellcheck disable=SC2086 # the lists are split on purpose
{
	m_total() { sec "$(med ${total[$1]})"; }
	m_dl() { sec "$(med ${dl[$1]})"; }
	m_rb() { sec "$(med ${rb[$1]})"; }
	m_tb() { sec "$(med ${tb[$1]})"; }
	m_wr1() { kib "$(med ${wr1[$1]})"; }
	m_wr2() { kib "$(med ${wr2[$1]})"; }
}
out() { # KEY: that column's 2.0.0 build output
	case $1 in
	virt-*) echo "$A/${1#virt-}/build/virt" ;;
	*) echo "$A/$1/build/rpi3" ;;
	esac
}
bundle() { kib "$(stat -c %s "$(out "$1")/update.ukb")"; }
kernel() { kib "$(stat -c %s "$(out "$1")/kernel8.img")"; }
cardsz() { kib "$(stat -c %s "$(out "${1%-*}-v1")/sdcard.img")"; }
# row WHAT FUNCTION: FUNCTION KEY for every column measured
row() {
	local c
	printf '%-42s' "$1"
	for c in "${cols[@]}"; do printf ' %11s' "$($2 "$c")"; done
	echo
}
heads=("${cols[@]/virt-/virt }")
heads=("${heads[@]/rpi3-/raspi3b }")
heads=("${heads[@]/big/8 MiB}")
printf '%-42s' "A/B card, through pi_firmware.py"
printf ' %11s' "${heads[@]}"
echo
row "update available to confirmed (s)" m_total
row "  download/read+verify+write (s)" m_dl
row "  reboot to trial boot start (s)" m_rb
row "  trial boot to confirmed (s)" m_tb
row "bundle update.ukb (KiB)" bundle
row "  its kernel8.img (KiB)" kernel
row "written, install boot (KiB, upper bound)" m_wr1
row "written, trial boot (KiB, upper bound)" m_wr2
row "card sdcard.img (KiB)" cardsz
hs=$build/examples/http-server/virt/kernel8.img
if [ -f "$hs" ]; then
	printf '%-42s %11s\n' "image, examples/http-server (KiB)" "$(kib "$(stat -c %s "$hs")")"
else
	echo "image, examples/http-server: skipped: $hs missing (make builds it)"
fi
[ -z "$rpi3_why" ] || printf '%-42s skipped: %s\n' "raspi3b" "$rpi3_why"
echo "(median of $n runs of each, in turn, each from a fresh copy of the 1.0.0 card; virt: the" \
	"bundle over HTTPS from the host, raspi3b: from a file on /data; commit" \
	"$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown); per run:"
for c in "${cols[@]}"; do
	echo "  $c: ms total ${total[$c]}/ download+write ${dl[$c]}/ reboot ${rb[$c]}/ trial" \
		"${tb[$c]}; bytes written install ${wr1[$c]}/ trial ${wr2[$c]}(console output in" \
		"them ${con1[$c]}/ ${con2[$c]})"
done
echo ")"
