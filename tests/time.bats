#!/usr/bin/env bats
# Wall-clock time (uk/time.h, tests/apps/walltime): the RTC at boot (QEMU virt's PL031; on
# raspi3b QEMU's DS1338 on I2C when uk.rtc declares it), clock_settime, and SNTP against Debian's
# chronyd serving on a network namespace of the test's own (a tap device; dnsmasq gives the
# lease and, for one test, the NTP server as DHCP option 42). chronyd is unpacked from the chrony
# .deb install.sh downloads, not installed (the package would replace the host's time service).
load 'lib/boot'

setup() {
	load '/usr/lib/bats/bats-support/load'
	load '/usr/lib/bats/bats-assert/load'
	T=$(mktemp -d)
	NS= PIDS=()
}

teardown() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	[ -z "$NS" ] || ip netns del "$NS" 2>/dev/null || true
	rm -rf "$T"
}

app() { echo "$BUILD/tests/apps/walltime/$1/kernel8.img"; }

# near_host SECONDS: the app's last reported time is within SECONDS of the host's clock.
near_host() {
	local t
	t=$(sed -n 's/^time: .* now \([0-9]*\)$/\1/p' <<<"$output" | tail -n 1)
	[ -n "$t" ] || fail "no time on the console"
	local d=$((t - $(date +%s)))
	[ ${d#-} -le "$1" ] || fail "the guest's time is ${d} s from the host's"
}

@test "virt: the PL031 sets the wall clock at boot, within 3 s of the host's" {
	boot virt "$(app virt)"
	assert_success
	assert_line --regexp '^time: at start: source rtc, known yes, now [0-9]+$'
	near_host 3
}

@test "nanosleep, usleep and sleep last as long as asked, by both clocks" {
	boot virt "$(app virt)" time.sleep=1
	assert_success
	local what want ms
	for what in "nanosleep(250 ms):250" "usleep(250 ms):250" "sleep(1):1000"; do
		want=${what##*:}
		what=${what%:*}
		ms=$(sed -n "s/^time: ${what//[()]/.} slept \([0-9]*\) ms monotonic, \([0-9]*\) ms realtime$/\1 \2/p" <<<"$output")
		[ -n "$ms" ] || fail "no line for $what"
		set -- $ms
		# never early; late by at most 100 ms (QEMU TCG on a busy 2-core host)
		[ "$1" -ge "$want" ] && [ "$1" -le $((want + 100)) ] || fail "$what took $1 ms"
		[ "$2" -ge $((want - 1)) ] && [ "$2" -le $((want + 101)) ] || fail "$what: realtime says $2 ms"
	done
}

@test "virt: clock_settime makes the app the source; bad settings are refused" {
	boot virt "$(app virt)" time.set=1800000000
	assert_success
	assert_line "time: bad settings refused: yes"
	assert_line "time: after clock_settime: source app, known yes, now 1800000000"
}

@test "virt: an RTC that says 2000 is not believed: time unknown, counting from 1970" {
	# shellcheck disable=SC2046
	run timeout -k 5 "$BOOT_TIMEOUT" $(qemu_cmd virt "$(app virt)") -rtc base=2000-01-01 \
		-append uk.qemu=1 </dev/null
	strip_cr
	assert_success
	assert_line --regexp "^uk: the PL031 RTC says 9466[0-9]{5} s since 1970, before 2024: time unknown"
	assert_line --regexp '^time: at start: source none, known no, now [0-9]$'
}

@test "raspi3b: no RTC: unknown; uk.rtc=ds1338 with QEMU's DS1338 on I2C: the host's time" {
	boot rpi3 "$(app rpi3)"
	assert_success
	assert_line --regexp '^time: at start: source none, known no, now [0-9]+$'
	# shellcheck disable=SC2046
	run timeout -k 5 "$BOOT_TIMEOUT" $(qemu_cmd rpi3 "$(app rpi3)") \
		-device ds1338,bus=i2c-bus.1,address=0x68 -append "uk.qemu=1 uk.rtc=ds1338" </dev/null
	strip_cr
	assert_success
	assert_line --regexp '^time: at start: source rtc, known yes, now [0-9]+$'
	near_host 3
}

# ntp_ns [DHCP-OPTIONS...]: namespace NS with tap uktap0 (192.168.77.1/24), chronyd serving NTP
# on it from the host's clock (it never sets it: -x), and dnsmasq leasing addresses on it.
ntp_ns() {
	command -v dnsmasq >/dev/null || skip "dnsmasq is not installed (install.sh installs dnsmasq-base)"
	[ -c /dev/net/tun ] || skip "no /dev/net/tun here"
	local deb
	deb=$(find "${UK_CACHE:-/var/cache/uk}/debs" -maxdepth 1 -name 'chrony_*.deb' | head -n 1)
	[ -n "$deb" ] || skip "no chrony .deb in ${UK_CACHE:-/var/cache/uk}/debs (install.sh downloads it)"
	dpkg-deb -x "$deb" "$T/chrony"
	NS=uk-time-$$
	ip netns add "$NS" 2>"$T/netns.err" || {
		NS=
		skip "cannot create a network namespace here: $(cat "$T/netns.err")"
	}
	ip -n "$NS" link set lo up
	ip -n "$NS" tuntap add dev uktap0 mode tap
	ip -n "$NS" addr add 192.168.77.1/24 dev uktap0
	ip -n "$NS" link set uktap0 up
	cat >"$T/chrony.conf" <<-EOF
		bindaddress 192.168.77.1
		allow 192.168.77.0/24
		local stratum 8
		cmdport 0
		bindcmdaddress /
		pidfile $T/chronyd.pid
		driftfile $T/chrony.drift
	EOF
	ip netns exec "$NS" "$T/chrony/usr/sbin/chronyd" -f "$T/chrony.conf" -d -x -u root \
		>"$T/chronyd.log" 2>&1 &
	PIDS+=($!)
	ip netns exec "$NS" dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts \
		--interface=uktap0 --bind-interfaces --user=root --group=root \
		--dhcp-range=192.168.77.50,192.168.77.99,255.255.255.0,10m "$@" \
		--dhcp-leasefile="$T/leases" --pid-file="$T/dnsmasq.pid" >"$T/dnsmasq.log" 2>&1 &
	PIDS+=($!)
	local _
	for _ in $(seq 100); do # chronyd listens within seconds
		ip netns exec "$NS" ss -Hlun "sport = :123" | grep -q . && return 0
		sleep 0.1
	done
	fail "chronyd does not serve: $(cat "$T/chronyd.log")"
}

# boot_ns BOOTARGS...: the app on virt inside NS, its PL031 saying 2000 (so only SNTP can set
# the time), the network up first.
boot_ns() {
	# shellcheck disable=SC2046
	run timeout -k 5 "$BOOT_TIMEOUT" ip netns exec "$NS" $(qemu_cmd virt "$(app virt)") \
		-rtc base=2000-01-01 -netdev tap,id=n0,ifname=uktap0,script=no,downscript=no \
		-device virtio-net-device,netdev=n0 -append "uk.qemu=1 time.net=1 net.ip=dhcp $*" \
		</dev/null
	strip_cr
}

@test "SNTP: chronyd named by net.ntp sets the clock to within a second of the host's" {
	ntp_ns
	boot_ns net.ntp=192.168.77.1 time.wait=20
	assert_success
	assert_line "time: network up"
	assert_line --regexp '^net: time set by SNTP: [0-9]+ s since 1970$'
	assert_line --regexp '^time: after waiting: source sntp, known yes, now [0-9]+$'
	near_host 1
}

@test "SNTP: the server a DHCP lease offers (option 42) is used when net.ntp names none" {
	ntp_ns --dhcp-option=option:ntp-server,192.168.77.1
	boot_ns time.wait=20
	assert_success
	assert_line --regexp '^time: after waiting: source sntp, known yes, now [0-9]+$'
	near_host 1
}

@test "SNTP: a server that never answers leaves the time unknown, and the app is told" {
	ntp_ns
	boot_ns net.ntp=192.168.77.3 time.wait=5
	assert_success
	assert_line "time: still unknown after 5 s"
	assert_line --regexp '^time: after waiting: source none, known no, now [0-9]+$'
	refute_line --partial "time set by SNTP"
}
