#!/usr/bin/env bats
# The network examples: tcp-echo, http-server, iperf (lwiperf), mqtt (lwIP's MQTT client) on
# QEMU virt, sensor on raspi3b (QEMU's TMP105 on I2C, published over MQTT), and a guest on a tap
# device in a network namespace served by dnsmasq. Traffic stays on this machine: QEMU user
# networking with host ports forwarded on 127.0.0.1, a mosquitto broker on 127.0.0.1, and a
# namespace of the test's own.
load 'lib/net'

EX=$BUILD/examples

setup() {
	load '/usr/lib/bats/bats-support/load'
	load '/usr/lib/bats/bats-assert/load'
	T=$(mktemp -d)
	BROKER_PID= DNSMASQ_PID= NS= LINUX_PIDS=()
}

teardown() {
	net_stop || true
	[ -z "$BROKER_PID" ] || { kill "$BROKER_PID" 2>/dev/null && wait "$BROKER_PID" 2>/dev/null; } || true
	[ -z "$DNSMASQ_PID" ] || { kill "$DNSMASQ_PID" 2>/dev/null && wait "$DNSMASQ_PID" 2>/dev/null; } || true
	local p
	for p in "${LINUX_PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	[ -z "$NS" ] || ip netns del "$NS" 2>/dev/null || true
	rm -rf "$T"
}

# ---- tcp-echo: POSIX sockets, poll() ----

@test "tcp-echo: 100 concurrent TCP clients are all served, 100 kB each way, byte-exact" {
	net_boot_retry virt "$EX/tcp-echo/virt/kernel8.img" 'tcp-echo: serving' net.ip=dhcp
	run "$NETPROBE" tcp-echo 127.0.0.1 "$TCP_PORT" 100 100000
	assert_success
	assert_line "tcp-echo: 100 of 100 connections echoed 100000 bytes intact"
}

@test "tcp-echo: a 20 MB stream is echoed intact (a slow reader only slows itself)" {
	net_boot_retry virt "$EX/tcp-echo/virt/kernel8.img" 'tcp-echo: serving' net.ip=dhcp
	run "$NETPROBE" tcp-echo 127.0.0.1 "$TCP_PORT" 1 20000000
	assert_success
	assert_line "tcp-echo: 1 of 1 connections echoed 20000000 bytes intact"
}

# ---- http-server: POSIX sockets, poll() ----
HTTP_IMG=$BUILD/examples/http-server/virt/kernel8.img

@test "http-server: curl fetches the page" {
	net_boot_retry virt "$HTTP_IMG" 'http-server: serving' net.ip=dhcp
	run curl -sS --max-time 20 -D "$T/headers" "http://127.0.0.1:$HTTP_PORT/"
	assert_success
	assert_line "<h1>Hello from http-server</h1>"
	assert_line "<p>A uk unikernel on linux,dummy-virt.</p>"
	run tr -d '\r' <"$T/headers"
	assert_line "HTTP/1.1 200 OK"
	assert_line "Content-Type: text/html; charset=utf-8"
	assert_line "Connection: close"
}

@test "http-server: /status is valid JSON with uptime, requests and the guest's address" {
	net_boot_retry virt "$HTTP_IMG" 'http-server: serving' net.ip=dhcp
	curl -sS --max-time 20 -o /dev/null "http://127.0.0.1:$HTTP_PORT/"
	run curl -sS --max-time 20 -o "$T/status.json" -w '%{http_code} %{content_type}' \
		"http://127.0.0.1:$HTTP_PORT/status?x=1"
	assert_success
	assert_output "200 application/json"
	run jq -e . "$T/status.json" # jq fails on anything that is not JSON
	assert_success
	run jq -r '[.system, .target, .ipv4, .mac, .hostname, .requests, .connections,
		(.uptime_s > 0), (.rx_frames > 0), (.tx_frames > 0), .dhcp] | map(tostring) | join(" ")' \
		"$T/status.json"
	assert_success
	assert_output "uk virt 10.0.2.15 52:54:00:12:34:56 uk 2 2 true true true true"
}

@test "http-server: unknown paths get 404, other methods 405, garbage 400, HEAD no body" {
	net_boot_retry virt "$HTTP_IMG" 'http-server: serving' net.ip=dhcp
	run curl -sS --max-time 20 -w '%{http_code}\n' "http://127.0.0.1:$HTTP_PORT/nope"
	assert_success
	assert_output $'Not Found\n404'
	run curl -sS --max-time 20 -o /dev/null -w '%{http_code}' -X POST -d x=1 \
		"http://127.0.0.1:$HTTP_PORT/"
	assert_output "405"
	run curl -sS --max-time 20 --http1.0 -I "http://127.0.0.1:$HTTP_PORT/status"
	assert_success
	assert_line --partial "HTTP/1.1 200 OK"
	assert_line --regexp '^Content-Length: [1-9][0-9]*'
	exec 5<>"/dev/tcp/127.0.0.1/$HTTP_PORT"
	printf 'hello\r\n\r\n' >&5
	run timeout 20 cat <&5
	exec 5<&-
	assert_line --partial "HTTP/1.1 400 Bad Request"
}

@test "http-server: 20 clients open at once are served while one client stalls mid-request" {
	net_boot_retry virt "$HTTP_IMG" 'http-server: serving' net.ip=dhcp
	# a client that sends half a request and then nothing: it must not block anyone
	exec 5<>"/dev/tcp/127.0.0.1/$HTTP_PORT"
	printf 'GET / HTTP/1.1\r\nHost: x\r\n' >&5
	# QEMU's hostfwd listens with a backlog of 1 and takes ~0.4 s per connection, so
	# simultaneous connects would mostly wait for SYN retransmits: open the 20 connections one
	# after the other, then send all 20 requests, then read the answers. (100 concurrent
	# clients without QEMU's user networking in the way: the netns tests below.)
	local fds=() fd ok=0
	for _ in $(seq 20); do
		exec {fd}<>"/dev/tcp/127.0.0.1/$HTTP_PORT"
		fds+=("$fd")
	done
	for fd in "${fds[@]}"; do printf 'GET /?fd=%s HTTP/1.0\r\n\r\n' "$fd" >&"$fd"; done
	for fd in "${fds[@]}"; do
		timeout 30 head -n 1 <&"$fd" | grep -q '^HTTP/1.1 200 OK' && ok=$((ok + 1))
		exec {fd}<&-
	done
	assert_equal "$ok" 20
	# the stalled client gets its answer once it finishes the request
	printf '\r\n' >&5
	run timeout 20 cat <&5
	exec 5<&-
	assert_line --partial "HTTP/1.1 200 OK"
	run curl -sS --max-time 20 "http://127.0.0.1:$HTTP_PORT/status"
	assert_success
	run jq -r '"\(.requests) \(.connections)"' <<<"$output"
	assert_output "22 22"
}

@test "http-server: the image is at most 512 KiB" {
	local size
	size=$(stat -c %s "$HTTP_IMG")
	echo "# kernel8.img is $size bytes" >&3
	[ "$size" -le $((512 * 1024)) ]
}

# ---- iperf: lwIP's lwiperf against Debian's iperf 2 client ----

@test "iperf: Debian's iperf 2 client measures a positive bandwidth and lwiperf reports it" {
	command -v iperf >/dev/null || skip "iperf is not installed (install.sh installs it)"
	local port
	for _ in 1 2 3; do # again if another process takes the free port before QEMU binds it
		port=$(free_port tcp)
		net_boot_netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:5001" virt \
			"$EX/iperf/virt/kernel8.img" 'iperf: lwiperf server on 10.0.2.15 port 5001' && break
		grep -q 'Could not set up host forwarding' "$NET_LOG" || fail "the guest did not start"
		net_stop || true
	done
	[ -n "$NET_PID" ] || fail "no free port for iperf"
	run timeout 60 iperf -c 127.0.0.1 -p "$port" -t 3
	assert_success
	local line
	line=$(grep -E 'sec +[0-9.]+ [KMG]?Bytes +[0-9.]+ [KMG]?bits/sec' <<<"$output" | tail -n 1)
	[ -n "$line" ] || fail "no bandwidth line in: $output"
	echo "# $line" >&3
	awk '{ for (i = 2; i <= NF; i++) if ($i ~ /bits\/sec$/) exit !($(i - 1) > 0); exit 1 }' \
		<<<"$line" || fail "bandwidth not positive: $line"
	net_wait 'iperf: done \(server\)' 20
	run net_console
	assert_line --regexp '^iperf: done \(server\): 10\.0\.2\.2:[0-9]+, [1-9][0-9]* bytes in [1-9][0-9]* ms, [1-9][0-9]* kbit/s$'
}

# ---- mqtt: lwIP's MQTT client through a mosquitto broker on the host ----

# start_broker: mosquitto on 127.0.0.1:$BROKER_PORT (picked if unset), its own config, no
# system service; waits until it listens.
start_broker() {
	command -v mosquitto >/dev/null || skip "mosquitto is not installed (install.sh installs it)"
	: "${BROKER_PORT:=$(free_port tcp)}"
	printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' \
		"$BROKER_PORT" >"$T/mosquitto.conf"
	mosquitto -c "$T/mosquitto.conf" >>"$T/mosquitto.log" 2>&1 &
	BROKER_PID=$!
	wait_tcp_port "$BROKER_PORT" 20 && kill -0 "$BROKER_PID" 2>/dev/null ||
		fail "mosquitto did not start: $(cat "$T/mosquitto.log")"
}

stop_broker() {
	kill "$BROKER_PID" && wait "$BROKER_PID" 2>/dev/null
	BROKER_PID=
}

@test "mqtt: three readings reach mosquitto_sub through a mosquitto broker" {
	start_broker
	net_boot_netdev "user,id=n0" virt "$EX/mqtt/virt/kernel8.img" 'mqtt: connected to' \
		mqtt.broker=10.0.2.2 "mqtt.port=$BROKER_PORT"
	run timeout 30 mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -t uk/uk/reading -C 3 -W 25
	assert_success
	assert_equal "${#lines[@]}" 3
	for l in "${lines[@]}"; do
		[[ $l =~ ^\{\"seq\":\ [0-9]+,\ \"uptime_s\":\ [0-9]+\.[0-9]{3}\}$ ]] || fail "bad reading: $l"
		jq -e '.seq > 0' <<<"$l" >/dev/null || fail "not JSON: $l"
	done
	run net_console
	assert_line "mqtt: 10.0.2.15 publishing to 10.0.2.2:$BROKER_PORT as uk/uk/reading every second"
}

@test "mqtt: the topic comes from mqtt.topic, and the client reconnects when the broker comes back" {
	start_broker
	net_boot_netdev "user,id=n0" virt "$EX/mqtt/virt/kernel8.img" 'mqtt: connected to' \
		mqtt.broker=10.0.2.2 "mqtt.port=$BROKER_PORT" mqtt.topic=plant/7/uptime
	run timeout 20 mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -t plant/7/uptime -C 1 -W 15
	assert_success
	stop_broker
	net_wait "mqtt: 10.0.2.2:$BROKER_PORT: disconnected; retrying every 2 s" 30
	start_broker
	run timeout 30 mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -t plant/7/uptime -C 2 -W 25
	assert_success
	assert_equal "${#lines[@]}" 2
	run net_console
	assert_equal "$(grep -c "^mqtt: connected to 10.0.2.2:$BROKER_PORT$" <<<"$output")" 2
}

@test "mqtt: without mqtt.broker it says how to give one" {
	boot virt "$EX/mqtt/virt/kernel8.img"
	assert_equal "$status" 1
	assert_line "mqtt: no broker: boot with mqtt.broker=ADDRESS [mqtt.port=1883] [mqtt.topic=TOPIC]"
}

# ---- sensor: a TMP105 on I2C to MQTT, on raspi3b (usb-net) ----

@test "sensor: TMP105 readings reach mosquitto tagged with the serial; a temperature set through QMP is in the next ones" {
	start_broker
	NET_QEMU_ARGS="-device tmp105,id=temp,bus=i2c-bus.1,address=0x48 -qmp unix:$T/qmp,server,nowait" \
		net_start usb-net,netdev=n0 user,id=n0 rpi3 "$EX/sensor/rpi3/kernel8.img" \
		'sensor: first reading sent' sensor.broker=10.0.2.2 "sensor.port=$BROKER_PORT"
	run timeout 30 mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -t 'uk/+/temperature' -v -C 2 -W 25
	assert_success
	[[ ${lines[0]} =~ ^uk/([0-9a-f]{16})/temperature\ \{\"serial\":\ \"([0-9a-f]{16})\",\ \"seq\":\ [0-9]+,\ \"millicelsius\":\ 0\}$ ]] ||
		fail "unexpected message: ${lines[0]}"
	[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] || fail "the topic and the payload name different serials"
	"$UK_TOP/tests/tools/qmp.py" "$T/qmp" qom-set \
		'{"path": "/machine/peripheral/temp", "property": "temperature", "value": 31500}' ||
		fail "qom-set failed"
	# the next reading or the one after (one may have been read before the change)
	run timeout 30 mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -t 'uk/+/temperature' -C 2 -W 25
	assert_success
	assert_line --partial '"millicelsius": 31500}'
}

@test "sensor: on a board without I2C it says so" {
	boot virt "$EX/sensor/virt/kernel8.img" sensor.broker=10.0.2.2
	assert_equal "$status" 1
	assert_line "sensor: this board has no I2C bus 1"
}

# ---- a tap device in a network namespace, dnsmasq as the DHCP server ----

# netns_up [IMAGE PATTERN [BOOTARGS...]]: a namespace NS with a tap device uktap0
# (192.168.77.1/24 and fd77::1/64) and dnsmasq on it alone serving DHCP, IPv6 router
# advertisements for fd77::/64 and DNS for one name only (broker.test, 192.168.77.1; nothing is
# forwarded), its config on the command line and its lease file in $T; then boots IMAGE (default
# http-server) on the tap inside the namespace and sets GUEST to the address it leased.
netns_up() {
	local image=${1:-$HTTP_IMG} pattern=${2:-'http-server: serving'}
	shift 2 || true
	command -v dnsmasq >/dev/null || skip "dnsmasq is not installed (install.sh installs dnsmasq-base)"
	command -v ping >/dev/null || skip "ping is not installed (install.sh installs iputils-ping)"
	[ -c /dev/net/tun ] || skip "no /dev/net/tun here"
	NS=uk-apps-$$
	ip netns add "$NS" 2>"$T/netns.err" || {
		NS=
		skip "cannot create a network namespace here: $(cat "$T/netns.err")"
	}
	ip -n "$NS" link set lo up
	ip -n "$NS" tuntap add dev uktap0 mode tap
	ip -n "$NS" addr add 192.168.77.1/24 dev uktap0
	ip -n "$NS" addr add fd77::1/64 dev uktap0 nodad
	ip -n "$NS" link set uktap0 up
	ip netns exec "$NS" dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts \
		--host-record=broker.test,192.168.77.1 --interface=uktap0 --bind-interfaces \
		--user=root --group=root \
		--dhcp-range=192.168.77.50,192.168.77.99,255.255.255.0,10m \
		--enable-ra --dhcp-range=fd77::,ra-only,64 \
		--dhcp-leasefile="$T/leases" --pid-file="$T/dnsmasq.pid" --log-dhcp \
		>"$T/dnsmasq.log" 2>&1 &
	DNSMASQ_PID=$!
	NET_WRAP="ip netns exec $NS" net_boot_netdev \
		"tap,id=n0,ifname=uktap0,script=no,downscript=no" virt "$image" \
		"$pattern" net.ip=dhcp net.hostname=tapguest "$@"
	GUEST=$(net_console | sed -n 's/^net: dhcp lease \(192\.168\.77\.[0-9]*\) .*/\1/p')
	[ -n "$GUEST" ] || fail "no dnsmasq lease on the console: $(net_console)"
}

@test "netns: the guest gets its lease from dnsmasq on a tap device and answers ping" {
	netns_up
	run net_console
	assert_line "net: dhcp lease $GUEST netmask 255.255.255.0 gateway 192.168.77.1 (tapguest.local)"
	run grep " 52:54:00:12:34:56 $GUEST " "$T/leases"
	assert_success
	run timeout 20 ip netns exec "$NS" ping -c 3 -W 2 "$GUEST"
	assert_success
	assert_line --partial "3 packets transmitted, 3 received"
	run timeout 20 ip netns exec "$NS" curl -sS --max-time 10 "http://$GUEST/status"
	assert_success
	run jq -r '.ipv4 + " " + .hostname' <<<"$output"
	assert_output "$GUEST tapguest"
	# the same listening socket (AF_INET6, IPV6_V6ONLY off) answers over IPv6
	net_wait "^net: ipv6 fd77::5054:ff:fe12:3456\$" 30
	run timeout 20 ip netns exec "$NS" curl -sS --max-time 10 "http://[fd77::5054:ff:fe12:3456]/"
	assert_success
	assert_line "<h1>Hello from http-server</h1>"
	run timeout 20 ip netns exec "$NS" curl -sS --max-time 10 "http://[fd77::5054:ff:fe12:3456]/status"
	assert_success
	run jq -r .ipv6 <<<"$output"
	assert_output "fd77::5054:ff:fe12:3456"
}

@test "netns: the mDNS responder answers HOSTNAME.local with the guest's IPv4 and IPv6 addresses" {
	netns_up
	net_wait "^net: ipv6 fd77::5054:ff:fe12:3456\$" 30
	run timeout 20 ip netns exec "$NS" "$NETPROBE" mdns tapguest.local A 192.168.77.1
	assert_success
	assert_output "mdns: tapguest.local A $GUEST"
	run timeout 20 ip netns exec "$NS" "$NETPROBE" mdns tapguest.local AAAA uktap0
	assert_success
	assert_line "mdns: tapguest.local AAAA fd77::5054:ff:fe12:3456"
	assert_line "mdns: tapguest.local AAAA fe80::5054:ff:fe12:3456"
	# another name gets no answer
	run timeout 20 ip netns exec "$NS" "$NETPROBE" mdns other.local A 192.168.77.1
	assert_failure
	assert_output "mdns: no answer for other.local A"
}

@test "netns: mqtt finds its broker by name (DNS from dnsmasq) and publishes to mosquitto there" {
	command -v mosquitto >/dev/null || skip "mosquitto is not installed (install.sh installs it)"
	netns_up "$EX/mqtt/virt/kernel8.img" 'mqtt: .* publishing to' mqtt.broker=broker.test
	printf 'listener 1883 192.168.77.1\nallow_anonymous true\npersistence false\n' >"$T/mosquitto.conf"
	ip netns exec "$NS" mosquitto -c "$T/mosquitto.conf" >>"$T/mosquitto.log" 2>&1 &
	BROKER_PID=$!
	net_wait '^mqtt: connected to broker.test:1883$' 30
	run timeout 30 ip netns exec "$NS" mosquitto_sub -h 192.168.77.1 -t uk/tapguest/reading -C 2 -W 25
	assert_success
	assert_equal "${#lines[@]}" 2
	run net_console
	assert_line "mqtt: $GUEST publishing to broker.test:1883 as uk/tapguest/reading every second"
	refute_line --partial "cannot resolve"
}

@test "netns: the POSIX udp-echo serves IPv4 and IPv6 clients on one socket" {
	netns_up "$EX/udp-echo/virt/kernel8.img" 'udp-echo: serving'
	net_wait "^net: ipv6 fd77::5054:ff:fe12:3456\$" 30
	run timeout 60 ip netns exec "$NS" "$NETPROBE" udp-echo "$GUEST" 7 200 1472
	assert_success
	assert_line "udp-echo: 200 sent, 200 echoed intact, 0 lost, 0 corrupted"
	run timeout 60 ip netns exec "$NS" "$NETPROBE" udp-echo fd77::5054:ff:fe12:3456 7 200 1452
	assert_success
	assert_line "udp-echo: 200 sent, 200 echoed intact, 0 lost, 0 corrupted"
}

@test "netns: http-server answers 100 simultaneous curl clients over the tap device" {
	netns_up
	local urls=() i
	for i in $(seq 100); do urls+=(-o /dev/null "http://$GUEST/?n=$i"); done
	run timeout 60 ip netns exec "$NS" curl -sS --max-time 30 --parallel --parallel-immediate \
		--parallel-max 100 -w '%{http_code}\n' "${urls[@]}"
	assert_success
	assert_equal "$(grep -c '^200$' <<<"$output")" 100
	run timeout 20 ip netns exec "$NS" curl -sS --max-time 10 "http://$GUEST/status"
	assert_success
	run jq -r '"\(.requests) \(.connections)"' <<<"$output"
	assert_output "101 101"
}

# ab_field LOG NAME: a number from ApacheBench's report ("Complete requests:  20000",
# "(Connect: 0, Receive: 12, ...)"), 0 when the line is absent (ab prints "Non-2xx" and the
# failure breakdown only when they are not zero).
ab_field() {
	local v
	v=$(grep -oE "$2: +[0-9]+" "$1" | grep -oE '[0-9]+$' | head -n 1)
	echo "${v:-0}"
}

@test "netns: http-server under ApacheBench, -c 100 all served, -c 200 x 20,000 each answered or refused at once, none hanging" {
	command -v ab >/dev/null || skip "ab is not installed (install.sh installs apache2-utils)"
	netns_up
	# Below the stack's 157 sockets: every request served, none refused. -s 10: a request
	# unanswered for 10 s ends ab with an error (apr_pollset_poll: timeout).
	timeout 100 ip netns exec "$NS" ab -l -r -s 10 -n 5000 -c 100 "http://$GUEST/" >"$T/ab100" 2>&1 ||
		fail "ab -c 100 did not finish: $(tail -n 5 "$T/ab100")"
	assert_equal "$(ab_field "$T/ab100" 'Complete requests')" 5000
	assert_equal "$(ab_field "$T/ab100" 'Failed requests')" 0
	assert_equal "$(ab_field "$T/ab100" 'Non-2xx responses')" 0
	# Wider than the stack: the connections it has no room for are refused with a reset at
	# their SYN (ab: a receive error and an exception each, with -r counted and not fatal;
	# -l: responses need not all have the first one's length).
	timeout 100 ip netns exec "$NS" ab -l -r -s 10 -n 20000 -c 200 "http://$GUEST/" >"$T/ab200" 2>&1 ||
		fail "ab -c 200 did not finish: $(tail -n 5 "$T/ab200")"
	local done refused ok
	done=$(ab_field "$T/ab200" 'Complete requests')
	refused=$(ab_field "$T/ab200" 'Receive')
	assert_equal "$done" 20000
	assert_equal "$(ab_field "$T/ab200" 'Connect')" 0
	assert_equal "$(ab_field "$T/ab200" 'Length')" 0
	assert_equal "$(ab_field "$T/ab200" 'Non-2xx responses')" 0
	assert_equal "$(ab_field "$T/ab200" 'Failed requests')" $((refused + $(ab_field "$T/ab200" 'Exceptions')))
	ok=$((done - refused))
	run timeout 20 ip netns exec "$NS" curl -sS --max-time 10 "http://$GUEST/status"
	assert_success
	# Each refusal ab saw is a reset the guest counted; each success a request it served
	# (with up to 199 more still in flight when ab stopped counting, and the -c 100 run's
	# 5,000 before).
	local served tcp_refused
	served=$(jq -r '.requests - 5001' <<<"$output")
	tcp_refused=$(jq -r .tcp_refused <<<"$output")
	echo "# ab -c 200: $ok answered, $refused refused; guest: $served served, $tcp_refused refused" >&3
	[ "$refused" -le "$tcp_refused" ] || fail "ab saw $refused refusals, the guest sent $tcp_refused"
	[ "$served" -ge "$ok" ] && [ "$served" -le $((ok + 199)) ] ||
		fail "ab counted $ok answers, the guest served $served"
	assert_equal "$(jq -r .refused <<<"$output")" 0
}

@test "netns: IPv6 - the guest takes an address from dnsmasq's router advertisement, answers ping and echoes UDP and TCP" {
	netns_up "$EX/net-echo/virt/kernel8.img" 'net-echo: serving'
	local mac_iid=5054:ff:fe12:3456 # the interface ID from MAC 52:54:00:12:34:56 (RFC 4291 app. A)
	net_wait "^net: ipv6 fd77::$mac_iid\$" 30
	run net_console
	assert_line "net: ipv6 fe80::$mac_iid (link-local)"
	run timeout 20 ip netns exec "$NS" ping -6 -c 3 -W 2 "fd77::$mac_iid"
	assert_success
	assert_line --partial "3 packets transmitted, 3 received"
	run timeout 20 ip netns exec "$NS" ping -6 -c 1 -W 2 "fe80::$mac_iid%uktap0"
	assert_success
	# 1452 bytes: the largest UDP payload in a 1500-byte IPv6 packet
	run timeout 60 ip netns exec "$NS" "$NETPROBE" udp-echo "fd77::$mac_iid" 7 300 1452
	assert_success
	assert_line "udp-echo: 300 sent, 300 echoed intact, 0 lost, 0 corrupted"
	run timeout 60 ip netns exec "$NS" "$NETPROBE" tcp-echo "fd77::$mac_iid" 7 20 200000
	assert_success
	assert_line "tcp-echo: 20 of 20 connections echoed 200000 bytes intact"
}

# tap_frames DIRECTION: frames the namespace's tap has counted (rx: sent by the guest).
tap_frames() {
	ip netns exec "$NS" cat "/sys/class/net/uktap0/statistics/$1_packets"
}

@test "netns: iperf over IPv4 and IPv6 on a tap; the guest acknowledges many segments per ACK" {
	command -v iperf >/dev/null || skip "iperf is not installed (install.sh installs it)"
	netns_up "$EX/iperf/virt/kernel8.img" 'iperf: lwiperf server on'
	local mac_iid=5054:ff:fe12:3456 addr v6 sent acked
	net_wait "^net: ipv6 fd77::$mac_iid\$" 30
	for addr in "$GUEST" "fd77::$mac_iid"; do
		v6=
		[[ $addr != *:* ]] || v6=-V
		sent=$(tap_frames tx) acked=$(tap_frames rx)
		run timeout 60 ip netns exec "$NS" iperf $v6 -c "$addr" -n 100M -f m
		assert_success
		assert_line --regexp 'sec +1[0-9][0-9] MBytes +[0-9.]+ Mbits/sec'
		sent=$(($(tap_frames tx) - sent)) acked=$(($(tap_frames rx) - acked))
		echo "# $addr: the host sent $sent frames, the guest $acked" >&3
		# lwIP alone sends an ACK for every second segment; coalescing within a receive batch
		# (runtime/lwip_port/netif.c) merges several (about 16 segments per ACK here).
		[ "$sent" -gt 60000 ] || fail "only $sent frames for 100 MB"
		[ $((acked * 4)) -lt "$sent" ] || fail "$acked ACKs for $sent segments over $addr: not coalesced"
	done
	net_wait 'iperf: done \(server\): \[fd77::.* kbit/s' 20
	run net_console
	assert_line --regexp "^iperf: done \(server\): 192\.168\.77\.1:[0-9]+, 10485[0-9]{4} bytes"
	assert_line --regexp "^iperf: done \(server\): \[fd77::[0-9a-f:]+\]:[0-9]+, 10485[0-9]{4} bytes"
}

# ---- the same sources as Linux programs ----

@test "linux: tcp-echo and http-server build unchanged with gcc and serve the same tests" {
	gcc -O2 -Wall -Wextra -Werror "$UK_TOP/examples/tcp-echo/main.c" -o "$T/tcp-echo"
	gcc -O2 -Wall -Wextra -Werror "$UK_TOP/examples/http-server/main.c" -o "$T/http-server"
	# in a namespace of their own, with only a loopback device: nothing is reachable from outside
	NS=uk-apps-linux-$$
	ip netns add "$NS" 2>"$T/netns.err" || {
		NS=
		skip "cannot create a network namespace here: $(cat "$T/netns.err")"
	}
	ip -n "$NS" link set lo up
	ip netns exec "$NS" "$T/tcp-echo" 7007 >"$T/tcp-echo.log" 2>&1 &
	LINUX_PIDS+=($!)
	PORT=8088 ip netns exec "$NS" "$T/http-server" >"$T/http-server.log" 2>&1 &
	LINUX_PIDS+=($!)
	local end=$((SECONDS + 20))
	until ip netns exec "$NS" ss -Hltn 'sport = :7007 or sport = :8088' | grep -c . | grep -qx 2; do
		[ $SECONDS -lt $end ] || fail "the Linux builds did not listen"
		sleep 0.1
	done
	run timeout 60 ip netns exec "$NS" "$NETPROBE" tcp-echo 127.0.0.1 7007 100 100000
	assert_success
	assert_line "tcp-echo: 100 of 100 connections echoed 100000 bytes intact"
	run timeout 20 ip netns exec "$NS" curl -sS --max-time 10 http://127.0.0.1:8088/
	assert_line "<p>A plain POSIX sockets program.</p>"
	run timeout 20 ip netns exec "$NS" curl -sS --max-time 10 http://127.0.0.1:8088/status
	assert_success
	run jq -r '"\(.system) \(.requests) \(.uptime_s > 0)"' <<<"$output"
	assert_output "Linux 2 true"
	run timeout 20 ip netns exec "$NS" curl -sS --max-time 10 -o /dev/null -w '%{http_code}' \
		http://127.0.0.1:8088/missing
	assert_output "404"
}
