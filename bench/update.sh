#!/usr/bin/env bash
# bench/update.sh: signed A/B updates (issue 14, docs/update.md) on QEMU virt's A/B card, booted
# through tests/tools/pi_firmware.py (the Pi 4 firmware's part: autoboot.txt, the tryboot flag,
# /chosen/bootloader) as tests/update.bats does. The app is tests/apps/update/main.c: version
# 1.0.0 makes the card, version 2.0.0 is the update, signed by `uk build --sign` with a P-256 key
# made here and served by `openssl s_server -WWW` over HTTPS (a CA and a server certificate for
# host.test made here too; the guest reaches it at 10.0.2.2 on QEMU user networking, DHCP).
# Two updates, each from a fresh copy of the 1.0.0 card:
#   plain    the test app as it is (its bundle: kernel8.img, about the size of
#            examples/http-server's, cmdline.txt, config.txt, update.pem)
#   8 MiB    the test app built with `defines: {UPDATE_BALLAST_KB: 8192}` (8 MiB more kernel)
# Rows, median of N runs of each (alternating), times from pi_firmware.py --stamp (one clock
# over both boots; a console line's time is when its end was read, to about 20 ms):
#   update available to the new version confirmed: "update: fetching" on the running 1.0.0 to
#     "uk: update: version 2.0.0 confirmed" on the trial boot, the reset and the second boot
#     included; split into download+verify+write ("fetching" to "written to slot"), the
#     reboot ("written to slot" to the trial boot's QEMU start: the app's return, the reset,
#     the firmware stand-in reading autoboot.txt and copying the slot's kernel off the card)
#     and the trial boot (QEMU start to "confirmed")
#   bytes written per update, install boot and trial boot: pi_firmware.py --io, the last wchar
#     of /proc/<QEMU pid>/io: every write call QEMU made, the console's included, so an upper
#     bound; next to the bundle and the card sizes
#   raspi3b: not measured; the row says why instead of a number: uk build's refusal when it
#     refuses update slots for rpi3, else that pi_firmware.py plays only the Pi 4 firmware
#     (autoboot.txt): nothing under QEMU raspi3b plays the Pi 3's (config.txt's include
#     slot.txt, os_prefix), so the Pi 3 card's slots cannot be booted here
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

# app DIR VERSION TARGET [YAML]: the test app at that version, signed (uk build's status)
app() {
	local d=$A/$1
	mkdir -p "$d/data"
	cp "$top/tests/apps/update/main.c" "$d/"
	cp "$P/ca.pem" "$d/data/"
	cp "$P/sign.pub.pem" "$d/update.pub.pem"
	printf 'name: upd\nversion: %s\ntarget: %s\nsources: [main.c]\nimage: {data: 8M}\nupdate: {slots: ab, key: update.pub.pem}\n%s' \
		"$2" "$3" "${4:-}" >"$d/uk.yaml"
	"$uk" build "$d" --sign "$P/sign.pem" >"$work/build-$1.log" 2>&1
}
app v1 1.0.0 virt || skip "uk build of the 1.0.0 card failed: $(tail -n 3 "$work/build-v1.log")"
app plain 2.0.0 virt || skip "uk build of 2.0.0 failed: $(tail -n 3 "$work/build-plain.log")"
app big 2.0.0 virt $'defines: {UPDATE_BALLAST_KB: 8192}\n' ||
	skip "uk build of 2.0.0 with ballast failed: $(tail -n 3 "$work/build-big.log")"
card=$A/v1/build/virt/sdcard.img
cp "$A/plain/build/virt/update.ukb" "$W/plain.ukb"
cp "$A/big/build/virt/update.ukb" "$W/big.ukb"
# raspi3b: what uk build says of update slots for rpi3
rpi3_why=
if app rpi3 2.0.0 rpi3; then
	rpi3_why="uk build makes the Pi 3 A/B card, but tests/tools/pi_firmware.py plays only the Pi 4 firmware (autoboot.txt), not the Pi 3's (slot.txt, os_prefix)"
	! grep -q 'slot\.txt' "$fw" ||
		rpi3_why="uk build makes the Pi 3 A/B card; this script does not boot it through pi_firmware.py yet"
else
	rpi3_why="uk build refuses it: $(grep -m 1 'error:' "$work/build-rpi3.log" | sed 's/.*error: //')"
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

# QEMU as target.conf says uk run starts it, without -kernel/-append (the firmware adds them)
conf() {
	sed -n "s/^$1 = //p" "$UK_HOME/virt/target.conf" |
		sed -e "s|\${UK_HOME}|$UK_HOME|g" -e "s|\${UK_CACHE}|$UK_CACHE|g"
}
# shellcheck disable=SC2207,SC2054 # split on purpose; the commas are QEMU's
qemu=($(conf QEMU) -m "$(conf QEMU_MEM)" -display none -monitor none $(conf QEMU_SERIAL)
	-no-reboot -semihosting-config enable=on,target=native
	-netdev user,id=n0 -device virtio-net-device,netdev=n0)

# stamp LOG TEXT: the first time stamp (ms) of a line containing TEXT
stamp() {
	awk -v t="$2" 'index($0, "firmware: at ") == 1 && index($0, t) {
		split($0, f, " "); printf "%d\n", f[3] * 1000; exit }' "$1"
}
# console BOOT LOG: bytes of that boot's console (its lines between the firmware's)
console() {
	awk -v b="$1" '$0 ~ "^firmware: boot " b ": partition" { on = 1; next }
		$0 ~ "^firmware: boot " b " ended" { on = 0 }
		on && !/^firmware: / { n += length($0) + 1 } END { print n + 0 }' "$2"
}

# one SIZE RUN: the update of a fresh 1.0.0 card to SIZE's 2.0.0
one() {
	local log=$work/$1-$2.log c=$work/card.img
	cp "$card" "$c"
	timeout -k 5 600 "$fw" "$c" "$log" --boots 3 --io \
		--stamp 'update: fetching|written to slot|version 2\.0\.0 confirmed' \
		--append "uk.qemu=1 net.ip=dhcp update.name=host.test update.url=https://10.0.2.2:$port/$1.ukb update.want=2.0.0" \
		-- "${qemu[@]}" >"$work/fw.err" 2>&1 || {
		echo "bench/update.sh: pi_firmware.py failed: $(cat "$work/fw.err")" >&2
		return 1
	}
	[ -z "${BENCH_UPDATE_LOGS:-}" ] || cp "$log" "$BENCH_UPDATE_LOGS/"
	local f w s e w1 w2
	f=$(stamp "$log" "update: fetching")
	w=$(stamp "$log" "written to slot")
	s=$(stamp "$log" "boot 2: QEMU started")
	e=$(stamp "$log" "confirmed in slot")
	w1=$(sed -n 's/^firmware: boot 1 wrote \([0-9]*\) bytes$/\1/p' "$log")
	w2=$(sed -n 's/^firmware: boot 2 wrote \([0-9]*\) bytes$/\1/p' "$log")
	if [ -z "$f" ] || [ -z "$w" ] || [ -z "$s" ] || [ -z "$e" ] || [ -z "$w1" ] || [ -z "$w2" ]; then
		echo "bench/update.sh: $1 run $2: no confirmed update; the firmware's lines:" >&2
		tr -d '\r' <"$log" | grep -E '^(firmware|update|uk: update)' | tail -n 12 >&2
		return 1
	fi
	total[$1]+="$((e - f)) " dl[$1]+="$((w - f)) " rb[$1]+="$((s - w)) " tb[$1]+="$((e - s)) "
	wr1[$1]+="$w1 " wr2[$1]+="$w2 "
	con1[$1]+="$(console 1 "$log") " con2[$1]+="$(console 2 "$log") "
	echo "run $2 $1: total $((e - f)) ms (download+write $((w - f)), reboot $((s - w)), trial" \
		"$((e - s))), wrote $w1 + $w2 bytes" >&2
}

declare -A total dl rb tb wr1 wr2 con1 con2
for ((k = 1; k <= n; k++)); do
	for size in plain big; do
		one $size $k || skip "the $size update did not complete (run $k)"
	done
done

med() { printf '%s\n' "$@" | median; }
kib() { echo $((($1 + 512) >> 10)); }
sec() { awk -v v="$1" 'BEGIN { printf "%.2f", v / 1000 }'; }
hs=$build/examples/http-server/virt/kernel8.img
ksize() { stat -c %s "$A/$1/build/virt/kernel8.img"; }
printf '%-46s %12s %12s\n' "virt, A/B card, pi_firmware.py" "plain" "8 MiB"
# shellcheck disable=SC2086
{
	printf '%-46s %12s %12s\n' "update available to confirmed (s)" \
		"$(sec "$(med ${total[plain]})")" "$(sec "$(med ${total[big]})")"
	printf '%-46s %12s %12s\n' "  download+verify+write (s)" \
		"$(sec "$(med ${dl[plain]})")" "$(sec "$(med ${dl[big]})")"
	printf '%-46s %12s %12s\n' "  reboot to trial boot start (s)" \
		"$(sec "$(med ${rb[plain]})")" "$(sec "$(med ${rb[big]})")"
	printf '%-46s %12s %12s\n' "  trial boot to confirmed (s)" \
		"$(sec "$(med ${tb[plain]})")" "$(sec "$(med ${tb[big]})")"
	printf '%-46s %12s %12s\n' "bundle update.ukb (KiB)" \
		"$(kib "$(stat -c %s "$W/plain.ukb")")" "$(kib "$(stat -c %s "$W/big.ukb")")"
	printf '%-46s %12s %12s\n' "  its kernel8.img (KiB)" "$(kib "$(ksize plain)")" "$(kib "$(ksize big)")"
	printf '%-46s %12s %12s\n' "written, install boot (KiB, upper bound)" \
		"$(kib "$(med ${wr1[plain]})")" "$(kib "$(med ${wr1[big]})")"
	printf '%-46s %12s %12s\n' "written, trial boot (KiB, upper bound)" \
		"$(kib "$(med ${wr2[plain]})")" "$(kib "$(med ${wr2[big]})")"
	printf '%-46s %12s %12s\n' "card sdcard.img (KiB)" "$(kib "$(stat -c %s "$card")")" \
		"$(kib "$(stat -c %s "$card")")"
}
if [ -f "$hs" ]; then
	printf '%-46s %12s\n' "image, examples/http-server (KiB)" "$(kib "$(stat -c %s "$hs")")"
else
	echo "image, examples/http-server: skipped: $hs missing (make builds it)"
fi
printf '%-46s skipped: %s\n' "raspi3b" "$rpi3_why"
echo "(median of $n runs of each, alternating, each from a fresh copy of the 1.0.0 card; commit" \
	"$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown); per-run ms total /" \
	"download+write / reboot / trial: plain ${total[plain]}/ ${dl[plain]}/ ${rb[plain]}/" \
	"${tb[plain]}; 8 MiB ${total[big]}/ ${dl[big]}/ ${rb[big]}/ ${tb[big]}; bytes written" \
	"install + trial: plain ${wr1[plain]}+ ${wr2[plain]}, 8 MiB ${wr1[big]}+ ${wr2[big]};" \
	"of which console output (bytes, install + trial): plain ${con1[plain]}+ ${con2[plain]}," \
	"8 MiB ${con1[big]}+ ${con2[big]})"
