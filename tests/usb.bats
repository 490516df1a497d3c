#!/usr/bin/env bats
# The USB host stack (runtime/drivers/usb) on QEMU's raspi3b and raspi4b: the DWC2 controller,
# QEMU's hub, and usb-net (CDC Ethernet) behind it as the network device. Traffic stays on this
# machine: QEMU user networking with host ports forwarded on 127.0.0.1.
load 'lib/net'

setup() {
	load '/usr/lib/bats/bats-support/load'
	load '/usr/lib/bats/bats-assert/load'
	USB_APP=$BUILD/tests/apps/usb
	ECHO=$BUILD/examples/net-echo
}

teardown() {
	net_stop || true
}

usb_boot() { # TARGET IMAGE QEMU_ARGS...: boots with extra QEMU arguments, like boot()
	local target=$1 image=$2
	shift 2
	local cmd
	cmd=$(qemu_cmd "$target" "$image")
	# shellcheck disable=SC2086
	run timeout -k 5 "$BOOT_TIMEOUT" $cmd "$@" -append uk.qemu=1 </dev/null
	strip_cr
}

@test "rpi3: enumeration finds QEMU's hub and the CDC Ethernet device behind it, MAC from iMACAddress" {
	usb_boot rpi3 "$USB_APP/rpi3/kernel8.img" -netdev user,id=n0 \
		-device usb-net,netdev=n0,mac=52:54:00:aa:bb:cc
	assert_success
	assert_line --regexp '^usb: DWC2 [0-9.a-f]+, [0-9]+ host channels$'
	assert_line --regexp '^usb: device 1 \(root port 0, full speed\): 0409:55aa class 09 .*"QEMU USB Hub", 1 configuration$'
	assert_line "usb: hub 1: 8 ports"
	assert_line --regexp '^usb: device 2 \(hub port 1, full speed\): 0525:a4a2 class 02 .*"RNDIS/QEMU USB Network Device", 2 configurations$'
	# QEMU's usb-net reports the mac= property with its first byte replaced by 0x40
	assert_line "usb-ecm: device 2: interfaces 0/1, bulk in 0x82 out 0x2 (64/64 bytes), mac 40:54:00:aa:bb:cc"
	assert_line "usb-test: network device found"
}

@test "rpi3: an empty root port means no network device, quickly" {
	usb_boot rpi3 "$USB_APP/rpi3/kernel8.img"
	assert_equal "$status" 1
	assert_line "usb: nothing on the root port"
	assert_line "usb-test: network device not found"
}

# QEMU's property channel answers "Set power state" with the requested on bit (it claims every
# device exists and switches), so only the request and the success line can be seen here; the
# failure lines are tested against the firmware model in tests/unit/test_bcm_mailbox.c.
@test "rpi3, rpi4: the firmware powers the USB host on before the DWC2 starts" {
	for t in rpi3 rpi4; do
		usb_boot $t "$USB_APP/$t/kernel8.img"
		assert_equal "$status" 1
		local power=-1 dwc2=-1 i
		for i in "${!lines[@]}"; do
			case ${lines[$i]} in
			"usb: power: on (firmware)") power=$i ;;
			"usb: DWC2 "*) dwc2=$i ;;
			esac
		done
		[ "$power" -ge 0 ] || fail "$t: no 'usb: power: on (firmware)' line: $output"
		[ "$power" -lt "$dwc2" ] || fail "$t: USB powered after the DWC2 started: $output"
		refute_line --partial "usb: power: the firmware"
	done
}

@test "rpi4: QEMU's raspi4b DWC2 carries usb-net too" {
	usb_boot rpi4 "$USB_APP/rpi4/kernel8.img" -netdev user,id=n0 -device usb-net,netdev=n0
	assert_success
	assert_line --regexp '^usb: device 2 \(hub port 1, full speed\): 0525:a4a2 class 02 '
	assert_line --regexp '^usb-ecm: device 2: .* mac 40:54:00:12:34:5[0-9a-f]$'
}

wait_console() { # PATTERN: waits (30 s at most) for a line in $HP_LOG
	local end=$((SECONDS + 30))
	until tr -d '\r' <"$HP_LOG" | grep -qE "$1"; do
		if [ $SECONDS -ge $end ]; then
			echo "# never printed '$1':" >&2
			sed 's/^/# /' "$HP_LOG" >&2
			return 1
		fi
		inotifywait -qq -t 1 -e modify "$HP_LOG" 2>/dev/null || sleep 0.1
	done
}

@test "rpi3: the hub's status change endpoint reports a hot-plugged device, then its removal" {
	local mon cmd mfd
	mon=$(free_port tcp)
	HP_LOG=$(mktemp)
	cmd=$(qemu_cmd rpi3 "$ECHO/rpi3/kernel8.img")
	# shellcheck disable=SC2086
	timeout -k 5 60 $cmd -monitor "tcp:127.0.0.1:$mon,server=on,wait=off" -netdev user,id=n0 \
		-device usb-net,netdev=n0 -append uk.qemu=1 </dev/null >"$HP_LOG" 2>&1 &
	NET_PID=$! NET_LOG=$HP_LOG
	wait_console 'serving udp'
	exec {mfd}<>"/dev/tcp/127.0.0.1/$mon" # QEMU's monitor (bats keeps fd 3 for itself)
	printf 'device_add usb-kbd,id=k1\n' >&"$mfd"
	wait_console 'usb: device 3: no driver'
	printf 'device_del k1\n' >&"$mfd"
	wait_console 'detached'
	exec {mfd}>&-
	net_stop
	run echo "$NET_CONSOLE"
	assert_line "usb: hub 1 port 2: device attached"
	assert_line --regexp '^usb: device 3 \(hub port 2, full speed\): 0627:0001 class 00 .*"QEMU USB Keyboard", 1 configuration$'
	assert_line "usb: hub 1 port 2: device detached"
}

@test "rpi3: net-echo gets a DHCP lease over usb-net" {
	net_boot_usb rpi3 "$ECHO/rpi3/kernel8.img" 'serving udp'
	net_stop
	run echo "$NET_CONSOLE"
	assert_line "net: dhcp lease 10.0.2.15 netmask 255.255.255.0 gateway 10.0.2.2 (uk.local)"
	assert_line --regexp '^net-echo: serving udp and tcp on 10.0.2.15 port 7 \(mac 40:54:00:12:34:5[0-9a-f]\)$'
}

@test "rpi3: UDP echo over usb-net returns 1,000 datagrams of 1 to 1472 bytes byte-exact" {
	net_boot_usb rpi3 "$ECHO/rpi3/kernel8.img" 'serving udp'
	run "$NETPROBE" udp-echo 127.0.0.1 "$UDP_PORT" 1000 1472
	assert_success
	assert_line "udp-echo: 1000 sent, 1000 echoed intact, 0 lost, 0 corrupted"
}

@test "rpi3: 100 concurrent TCP connections over usb-net, 100 kB each way, byte-exact" {
	net_boot_usb rpi3 "$ECHO/rpi3/kernel8.img" 'serving udp'
	run "$NETPROBE" tcp-echo 127.0.0.1 "$TCP_PORT" 100 100000
	assert_success
	assert_line "tcp-echo: 100 of 100 connections echoed 100000 bytes intact"
}

@test "rpi3: a 20 MB TCP stream over usb-net is echoed intact (flow control both ways)" {
	net_boot_usb rpi3 "$ECHO/rpi3/kernel8.img" 'serving udp'
	run "$NETPROBE" tcp-echo 127.0.0.1 "$TCP_PORT" 1 20000000
	assert_success
	assert_line "tcp-echo: 1 of 1 connections echoed 20000000 bytes intact"
}

@test "rpi3: a UDP burst far beyond the receive ring leaves the guest serving" {
	net_boot_usb rpi3 "$ECHO/rpi3/kernel8.img" 'serving udp'
	run "$NETPROBE" udp-flood 127.0.0.1 "$UDP_PORT" 5000 1400
	assert_success
	run "$NETPROBE" udp-echo 127.0.0.1 "$UDP_PORT" 100 1472
	assert_success
	assert_line "udp-echo: 100 sent, 100 echoed intact, 0 lost, 0 corrupted"
}

@test "rpi4: net-echo serves UDP over usb-net" {
	net_boot_usb rpi4 "$ECHO/rpi4/kernel8.img" 'serving udp'
	run "$NETPROBE" udp-echo 127.0.0.1 "$UDP_PORT" 200 1472
	assert_success
	assert_line "udp-echo: 200 sent, 200 echoed intact, 0 lost, 0 corrupted"
}

@test "rpi3: POSIX sockets over usb-net: curl fetches a page, poll() serves 100 TCP connections" {
	net_boot_usb rpi3 "$BUILD/tests/apps/sockets/rpi3/kernel8.img" 'sockets: serving' net.ip=dhcp
	run curl -s --max-time 20 "http://127.0.0.1:$HTTP_PORT/"
	assert_success
	assert_output "hello posix"
	run "$NETPROBE" tcp-echo 127.0.0.1 "$TCP_PORT" 100 2000
	assert_success
	assert_line "tcp-echo: 100 of 100 connections echoed 2000 bytes intact"
}

# ---- malformed frames over usb-net, like tests/net.bats on virt ----
# The test is the guest's whole Ethernet segment: QEMU's socket netdev carries raw frames over
# UDP on 127.0.0.1 to usb-net, netprobe crafts them and answers the guest's ARP as 10.0.0.1,
# and tests/apps/usb (serve=1) answers "stats" on UDP port 9 with the driver's and lwIP's
# counters. usb-net holds one frame at a time, so QEMU would read the socket only as fast as the
# guest takes frames: the socket sits behind a QEMU hub whose other port (a socket netdev to a
# port nobody listens on) always takes frames, so QEMU reads everything at once and queues it
# for usb-net, and a burst reaches the guest back to back, far beyond its 32-slot ring.
# A zero-length frame cannot be sent this way (QEMU's socket backend takes an empty datagram
# for a closed connection); a 2048-byte frame makes one instead: usb-net ends it with a
# zero-length packet after the driver's 2 KiB transfer is full.
frames_boot() { # TARGET: boots tests/apps/usb serving on 10.0.0.2; sets Q_PORT and MY_PORT
	Q_PORT=$(free_port udp)
	MY_PORT=$(free_port udp)
	local nowhere here cmd
	nowhere=$(free_port udp)
	here=$(free_port udp)
	cmd=$(qemu_cmd "$1" "$USB_APP/$1/kernel8.img")
	NET_LOG=$(mktemp)
	# shellcheck disable=SC2086
	timeout -k 5 120 $cmd -netdev "socket,id=s0,udp=127.0.0.1:$MY_PORT,localaddr=127.0.0.1:$Q_PORT" \
		-netdev "socket,id=s1,udp=127.0.0.1:$nowhere,localaddr=127.0.0.1:$here" -netdev hubport,id=n0,hubid=0 \
		-netdev hubport,id=h0,hubid=0,netdev=s0 -netdev hubport,id=h1,hubid=0,netdev=s1 \
		-device usb-net,netdev=n0 -append "uk.qemu=1 serve=1 net.ip=10.0.0.2/24" \
		</dev/null >"$NET_LOG" 2>&1 &
	NET_PID=$!
	net_wait 'usb-test: serving'
}

@test "rpi3: a burst of 5,000 then 20,000 malformed frames over usb-net: each counted where it is dropped, the guest still echoes UDP and TCP" {
	# about 10 s on raspi3b under TCG. The 20,000 go in batches of 32, each followed by a
	# request for the counters, which must account for every frame exactly.
	frames_boot rpi3
	run "$NETPROBE" frames-count "$Q_PORT" "$MY_PORT" 10.0.0.2 5000 20000 32
	assert_success
	# 294 of the 5,000 are over 2048 bytes: usb-net refuses them (its buffer holds 2048)
	assert_line "frames-count: burst of 5000 malformed frames, 4706 for the guest: it took 4706, its driver dropped 884 (expected 884); the host dropped 0 on the way to QEMU"
	# runts, 1515-2047 and 2048 bytes: the driver; beyond 2048: usb-net
	assert_line "frames-count: 20000 malformed frames sent: 1176 runts, 1176 of 1515-2047 bytes, 1177 of 2048, 1177 beyond 2048, 15294 with bad headers"
	assert_line --regexp '^frames-count: driver dropped 3529 \(expected 3529\), passed up ([0-9]+) \(expected \1:'
	assert_line "frames-count: every frame counted exactly"
	assert_line "frames-count: lwIP dropped every bad header at its layer exactly"
	assert_line "frames-count: answers to malformed frames: 0"
	assert_line "frames-count: guest still echoes UDP, still echoes TCP"
	net_stop
	run echo "$NET_CONSOLE"
	assert_line --regexp '^usb-test: stats rx_frames=[0-9]+ rx_dropped=[0-9]{4,} tx_frames=[0-9]+ tx_dropped=0 '
}

@test "rpi4: a burst of 1,000 then 2,000 malformed frames over usb-net: each counted, the guest still echoes" {
	frames_boot rpi4
	run "$NETPROBE" frames-count "$Q_PORT" "$MY_PORT" 10.0.0.2 1000 2000 32
	assert_success
	assert_line "frames-count: every frame counted exactly"
	assert_line "frames-count: lwIP dropped every bad header at its layer exactly"
	assert_line "frames-count: guest still echoes UDP, still echoes TCP"
}
