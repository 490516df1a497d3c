#!/usr/bin/env bats
# uk run's networking: -p port forwards through QEMU user networking, --net tap:NAME, the
# manifest's network: section as boot arguments (uk run and cmdline.txt). Traffic stays on this
# machine: forwards are bound to 127.0.0.1, the tap test lives in a network namespace it creates.
load helper

NETPROBE=$BUILD/tests/tools/netprobe

setup() {
	common_setup
	[ -x "$NETPROBE" ] || make -s -C "$UK_TOP/tests" BUILD="$BUILD" "$NETPROBE" >/dev/null
}
teardown() {
	[ -z "${bg:-}" ] || kill "$bg" 2>/dev/null || true
	[ -z "${ns:-}" ] || ip netns del "$ns" 2>/dev/null || true
	common_teardown
}

free_port() { # a free loopback port for tcp or udp
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 12000)) # below the ephemeral range (32768-60999)
		ss -Hln"${1:0:1}" "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return; }
	done
	return 1
}

# Waits (at most $3 seconds) until file $1 contains $2.
wait_for() {
	local end=$((SECONDS + $3))
	until grep -q -- "$2" "$1" 2>/dev/null; do
		[ $SECONDS -lt $end ] || { cat "$1"; fail "timed out waiting for '$2'"; }
		read -r -t 0.05 <> <(:) || true
	done
}

udp_echo_app() { # a copy of examples/udp-echo (its uk.yaml forwards udp:5555:7)
	cp -r "$UK_TOP/examples/udp-echo" ue
	rm -rf ue/build
}

# uk run exits 2 with the message.
run_fails() { # message, uk run arguments...
	local msg=$1
	shift
	run uk run --qemu "$@" --timeout 30
	assert_failure 2
	assert_output --partial "$msg"
}

@test "-p and --net: malformed values are usage errors (exit 2, nothing built)" {
	uk new app >/dev/null
	run_fails "-p '8080': write [tcp:|udp:]HOSTPORT:GUESTPORT, e.g. 8080:80 or udp:5000:7" app -p 8080
	run_fails "-p 'x:80'" app -p x:80
	run_fails "-p '0:80': ports are 1 to 65535" app -p 0:80
	run_fails "-p 'udp:5000:70000': ports are 1 to 65535" app -p udp:5000:70000
	run_fails "-p 'sctp:1:2': the protocol must be tcp or udp" app -p sctp:1:2
	run_fails "--net wants user or tap:NAME (a tap device name), not 'bridge'" app --net bridge
	run_fails "not 'tap:'" app --net tap:
	run_fails "not 'tap:a/b'" app --net tap:a/b
	run_fails "it does not work with --net tap:uk0" app --net tap:uk0 -p 8080:80
	run uk run --qemu app -p
	assert_failure 2
	assert_output --partial "option '-p' needs a value"
	[ ! -e app/build ] || fail "app/build was written"
}

@test "--net tap:NAME: a missing or non-tap device is an error that says how to make one" {
	uk new app >/dev/null
	run_fails "--net tap:uknosuch0: there is no network device 'uknosuch0'" app --net tap:uknosuch0
	assert_output --partial "ip tuntap add dev uknosuch0 mode tap"
	run_fails "'lo' is not a tap device" app --net tap:lo
	[ ! -e app/build ] || fail "app/build was written"
}

@test "-p: user networking with the forwards on 127.0.0.1, net.ip=dhcp, virtio-net on virt" {
	uk new app >/dev/null
	t1=$(free_port tcp) u1=$(free_port udp)
	run timeout 90 "$UK" -v run --qemu app -p "$t1:80" --publish "udp:$u1:5000" --timeout 60
	assert_success
	assert_output --partial "-netdev user,id=n0,hostfwd=tcp:127.0.0.1:$t1-:80,hostfwd=udp:127.0.0.1:$u1-:5000 -device virtio-net-device,netdev=n0 "
	assert_output --partial "-append 'uk.qemu=1 net.ip=dhcp'"
	assert_output --partial "Hello from app!"
	# --net user: a NIC without forwards
	run timeout 90 "$UK" -v run --qemu app --net user --timeout 60
	assert_success
	assert_output --partial "-netdev user,id=n0 -device virtio-net-device,netdev=n0 "
	assert_output --partial "-append 'uk.qemu=1 net.ip=dhcp'"
	# a net.* boot argument asks for the network too; an address given is kept
	run timeout 90 "$UK" -v run --qemu app --append net.ip=10.0.2.20/24 --timeout 60
	assert_success
	assert_output --partial "-netdev user,id=n0 -device virtio-net-device,netdev=n0 "
	assert_output --partial "-append 'uk.qemu=1 net.ip=10.0.2.20/24'"
	# no networking asked for: no NIC, no net.*
	run timeout 90 "$UK" -v run --qemu app --timeout 60
	assert_success
	refute_output --partial "-netdev"
	assert_output --partial "-append uk.qemu=1"
}

@test "-p adds to the manifest's hostfwd and replaces a forward of the same guest port" {
	t1=$(free_port tcp) t2=$(free_port tcp) u1=$(free_port udp) u2=$(free_port udp)
	make_app app "name: app
sources: [main.c]
bootargs: {net.ip: 10.0.2.30/24}
network:
  hostfwd: [\"udp:$u1:7\", \"$t1:80\"]"
	run timeout 90 "$UK" -v run --qemu app -p "udp:$u2:7" -p "$t2:81" --timeout 60
	assert_success
	assert_output --partial "uk: -p udp:$u2:7 replaces app/uk.yaml's hostfwd udp:$u1:7"
	assert_output --partial "-netdev user,id=n0,hostfwd=tcp:127.0.0.1:$t1-:80,hostfwd=udp:127.0.0.1:$u2-:7,hostfwd=tcp:127.0.0.1:$t2-:81 "
	assert_output --partial "-append 'uk.qemu=1 net.ip=10.0.2.30/24'"
	# the same host port twice, or one guest UDP port twice: QEMU could not serve both
	run_fails "host port tcp $t1 is forwarded twice: tcp:$t1:80 in app/uk.yaml and -p $t1:90" \
		app -p "$t1:90"
	run_fails "guest port udp 9 is forwarded twice" app -p "udp:$u2:9" -p "udp:$((u2 + 1)):9"
}

# Boots the udp-echo copy with uk -v run --qemu ue ARGS... in the background, logging to log;
# echoes 100 datagrams of up to 1472 bytes through 127.0.0.1:$port; waits for --timeout.
echo_through() {
	timeout 120 "$UK" -v run --qemu ue "$@" >log 2>&1 3>&- &
	bg=$!
	run "$NETPROBE" wait-udp 127.0.0.1 "$port" 20
	assert_success
	run "$NETPROBE" udp-echo 127.0.0.1 "$port" 100 1472
	assert_success
	assert_line "udp-echo: 100 sent, 100 echoed intact, 0 lost, 0 corrupted"
	rc=0
	wait $bg || rc=$?
	bg=
	assert_equal "$rc" 124
}

@test "rpi3: -p through usb-net on QEMU's USB hub" {
	udp_echo_app
	port=$(free_port udp)
	echo_through --target rpi3 -p "udp:$port:7" --timeout 15
	run cat log
	assert_output --partial "-netdev user,id=n0,hostfwd=udp:127.0.0.1:$port-:7 -device usb-net,netdev=n0 "
	assert_output --partial "usb-ecm: device 2"
}

@test "rpi4: the manifest's hostfwd through usb-net (QEMU's raspi4b has no GENET)" {
	udp_echo_app
	port=$(free_port udp)
	sed -i "s/udp:5555:7/udp:$port:7/" ue/uk.yaml
	echo_through --target rpi4 --timeout 15
	run cat log
	assert_output --partial "-netdev user,id=n0,hostfwd=udp:127.0.0.1:$port-:7 -device usb-net,netdev=n0 "
	assert_output --partial "-append 'uk.qemu=1 net.ip=dhcp'"
}

@test "examples/udp-echo with -p udp:PORT:7 echoes datagrams up to 1472 bytes; --timeout ends it" {
	udp_echo_app
	port=$(free_port udp)
	timeout 120 "$UK" -v run --qemu ue -p "udp:$port:7" --timeout 25 >log 2>&1 3>&- &
	bg=$!
	run "$NETPROBE" wait-udp 127.0.0.1 "$port" 20
	assert_success
	run "$NETPROBE" udp-echo 127.0.0.1 "$port" 100 1472
	assert_success
	assert_line "udp-echo: 100 sent, 100 echoed intact, 0 lost, 0 corrupted"
	# while QEMU holds the port, another run may not have it
	run uk run --qemu ue -p "udp:$port:7" --timeout 5
	assert_failure 2
	assert_output --partial "host port udp $port (-p udp:$port:7) is already in use on 127.0.0.1"
	rc=0
	wait $bg || rc=$?
	bg=
	assert_equal "$rc" 124
	run cat log
	assert_output --partial "hostfwd=udp:127.0.0.1:$port-:7 -device virtio-net-device"
	# the example's own forward of guest port 7 was replaced
	assert_output --partial "uk: -p udp:$port:7 replaces ue/uk.yaml's hostfwd udp:5555:7"
	refute_output --partial "127.0.0.1:5555"
	assert_output --partial "-append 'uk.qemu=1 net.ip=dhcp'"
	assert_output --partial "udp-echo: serving udp on port 7"
	assert_output --partial "timeout: stopped QEMU after 25 s"
}

@test "uk build: the network keys are boot arguments in cmdline.txt and boot.vfat" {
	make_app app 'name: app
target: [virt, rpi3]
sources: [main.c]
bootargs: {port: 7000, net.wait: 3}
network:
  ip: 192.168.1.20/24
  gateway: 192.168.1.1
  dns: 192.168.1.1
  ntp: pool.ntp.org,192.168.1.1
  hostname: sensor-7
  hostfwd: [8080:80]'
	run uk build app
	assert_success
	want='port=7000 net.wait=3 net.ip=192.168.1.20/24 net.gateway=192.168.1.1 net.dns=192.168.1.1 net.ntp=pool.ntp.org,192.168.1.1 net.hostname=sensor-7'
	for t in virt rpi3; do
		assert_equal "$(cat app/build/$t/boot/cmdline.txt)" "$want"
		assert_equal "$(mtype -i app/build/$t/boot.vfat ::cmdline.txt)" "$want"
	done
	# network: without ip means DHCP; no network: no net.*
	make_app b 'name: b
sources: [main.c]
network: {hostname: b}'
	run uk build b
	assert_success
	assert_equal "$(mtype -i b/build/virt/boot.vfat ::cmdline.txt)" "net.ip=dhcp net.hostname=b"
	make_app c 'name: c
sources: [main.c]'
	run uk build c
	assert_success
	assert_equal "$(cat c/build/virt/boot/cmdline.txt)" ""
}

@test "uk run passes the manifest's network keys, and --append overrides them (last wins)" {
	make_app app 'name: app
sources: [main.c]
network:
  ip: 10.0.2.20/24
  gateway: 10.0.2.2
  hostname: sensor-7'
	printf '%s\n' '#include <stdio.h>
#include <uk/config.h>
int main(void)
{
	printf("ip=%s gw=%s host=%s\n", uk_config_get("net.ip"), uk_config_get("net.gateway"),
	       uk_config_get("net.hostname"));
	return 0;
}' >app/main.c
	run timeout 90 "$UK" run --qemu app --timeout 60 --append net.hostname=other
	assert_success
	assert_output --partial "ip=10.0.2.20/24 gw=10.0.2.2 host=other"
}

@test "the network section is validated: addresses, hostname, forwards (file:line:col, exit 2)" {
	make_app app 'name: app
sources: [main.c]
bootargs: {net.dns: 1.1.1.1}
network:
  ip: 10.0.2.300/24
  gateway: 10.0.2
  dns: 9.9.9.9
  hostname: -sensor
  hostfwd: ["udp:6000:7", "udp:6001:7", "tcp:80:80", "tcp:80:81", "icmp:1:2", "0:80", 8080]'
	run uk build app
	assert_failure 2
	assert_line "app/uk.yaml:5:7: error: network.ip '10.0.2.300/24': write 'dhcp' or an IPv4 address with its prefix length, e.g. 192.168.1.20/24"
	assert_line "app/uk.yaml:6:12: error: network.gateway '10.0.2': not an IPv4 address such as 192.168.1.1"
	assert_line --partial "app/uk.yaml:7:8: error: network.dns and bootargs 'net.dns' set the same boot argument"
	assert_line --partial "app/uk.yaml:8:13: error: network.hostname '-sensor': not a DNS label: 1 to 63"
	assert_line --partial "app/uk.yaml:9:27: error: hostfwd 'udp:6001:7': guest port udp 7 is forwarded twice (also by 'udp:6000:7'); QEMU's user networking"
	assert_line "app/uk.yaml:9:54: error: hostfwd 'tcp:80:81': host port tcp 80 is forwarded twice (also by 'tcp:80:80')"
	assert_line "app/uk.yaml:9:67: error: hostfwd 'icmp:1:2': the protocol must be tcp or udp"
	assert_line "app/uk.yaml:9:79: error: hostfwd '0:80': ports are 1 to 65535"
	assert_line --partial "hostfwd '8080': write [tcp:|udp:]HOSTPORT:GUESTPORT"
	[ ! -e app/build ]
	# a hostname of 64 characters is one too many; 63 are fine; IPv6 DNS servers are fine
	make_app b "name: b
sources: [main.c]
network: {hostname: $(printf 'a%.0s' $(seq 64))}"
	run uk build b
	assert_failure 2
	assert_output --partial "not a DNS label"
	make_app c "name: c
sources: [main.c]
network: {hostname: $(printf 'a%.0s' $(seq 63)), dns: '2001:db8::1', ip: 0.0.0.0/0}"
	run uk build c
	assert_success
}

@test "network.ntp: off, or one or two addresses or host names; anything else is refused" {
	local v
	for v in off 192.168.1.1 pool.ntp.org,2001:db8::1 a-b.example; do
		make_app ok "name: ok
sources: [main.c]
network: {ntp: '$v'}"
		run uk build ok
		assert_success
		assert_equal "$(cat ok/build/virt/boot/cmdline.txt)" "net.ip=dhcp net.ntp=$v"
	done
	for v in 'a,b,c' ',x' 'x,' 'bad_name' '-x.org' 'a..b' ''; do
		make_app bad "name: bad
sources: [main.c]
network: {ntp: '$v'}"
		run uk build bad
		assert_failure 2
		assert_output --partial "network.ntp '$v': write 'off', or one or two NTP servers"
		[ ! -e bad/build ]
	done
}

@test "--net tap:NAME: the guest on a tap device in a network namespace answers UDP and ping" {
	ip netns add "uk-cli-probe-$$" 2>/dev/null && ip netns del "uk-cli-probe-$$" ||
		skip "cannot create network namespaces here (needs root)"
	ns=uk-cli-$$-$RANDOM
	ip netns add "$ns"
	ip netns exec "$ns" ip link set lo up
	ip netns exec "$ns" ip tuntap add dev uktap0 mode tap || skip "no tap devices here (/dev/net/tun)"
	ip netns exec "$ns" ip addr add 10.0.3.1/24 dev uktap0
	ip netns exec "$ns" ip link set uktap0 up
	udp_echo_app
	sed -i '/^network:$/{N;N;d}' ue/uk.yaml # drop the example's own network: (ip, hostfwd)
	printf 'network:\n  ip: 10.0.3.2/24\n  gateway: 10.0.3.1\n  hostname: tapped\n' >>ue/uk.yaml
	timeout 120 ip netns exec "$ns" "$UK" -v run --qemu ue --net tap:uktap0 --timeout 25 >log 2>&1 3>&- &
	bg=$!
	run ip netns exec "$ns" "$NETPROBE" wait-udp 10.0.3.2 7 20
	assert_success
	run ip netns exec "$ns" "$NETPROBE" udp-echo 10.0.3.2 7 100 1472
	assert_success
	assert_line "udp-echo: 100 sent, 100 echoed intact, 0 lost, 0 corrupted"
	run ip netns exec "$ns" ping -c 3 -i 0.2 -W 2 10.0.3.2
	assert_success
	rc=0
	wait $bg || rc=$?
	bg=
	assert_equal "$rc" 124
	run cat log
	assert_output --partial "-netdev tap,id=n0,ifname=uktap0,script=no,downscript=no -device virtio-net-device,netdev=n0 "
	assert_output --partial "-append 'uk.qemu=1 net.ip=10.0.3.2/24 net.gateway=10.0.3.1 net.hostname=tapped'"
	assert_output --partial "net: static 10.0.3.2 netmask 255.255.255.0 gateway 10.0.3.1 (tapped.local)"
}
