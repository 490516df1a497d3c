# Network helpers for bats tests: boot an image with QEMU user networking (traffic stays on
# 127.0.0.1 through hostfwd), wait for a console line, and stop it.
#   net_boot TARGET IMAGE PATTERN [BOOTARGS...]  starts QEMU in the background; sets UDP_PORT and
#                                                TCP_PORT (host ports forwarded to guest port 7)
#                                                and HTTP_PORT (to guest port 80); waits until
#                                                the console shows PATTERN (a grep -E regex)
#   net_stop                                     stops QEMU, prints its console
load 'lib/boot'
NETPROBE=$BUILD/tests/tools/netprobe

free_port() { # a free loopback port for the given protocol (tcp|udp)
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 12000)) # below the ephemeral range (32768-60999)
		if ! ss -Hln"${1:0:1}" "sport = :$p" 2>/dev/null | grep -q .; then
			echo "$p"
			return
		fi
	done
	return 1
}

# user_netdev: sets USER_NETDEV to QEMU user networking with UDP_PORT/TCP_PORT -> guest 7 and
# HTTP_PORT -> guest 80 (fresh free ports each call; GUEST_IP, when set, is the guest address
# to forward to). Not in $(...): the ports must be set in the caller's shell.
user_netdev() {
	UDP_PORT=$(free_port udp)
	TCP_PORT=$(free_port tcp)
	HTTP_PORT=$(free_port tcp)
	local g=${GUEST_IP:-}
	USER_NETDEV="user,id=n0,hostfwd=udp:127.0.0.1:$UDP_PORT-$g:7,hostfwd=tcp:127.0.0.1:$TCP_PORT-$g:7,hostfwd=tcp:127.0.0.1:$HTTP_PORT-$g:80"
}

# net_start NIC NETDEV TARGET IMAGE PATTERN [BOOTARGS...]: the one way every helper here boots:
# QEMU in the background with -netdev NETDEV and -device NIC (NET_WRAP, when set, goes in
# front, e.g. "ip netns exec NS"; NET_QEMU_ARGS, when set, are more QEMU options), then waits for
# PATTERN on the console.
net_start() {
	local nic=$1 netdev=$2 target=$3 image=$4 pattern=$5
	shift 5
	NET_LOG=$(mktemp)
	local cmd
	cmd=$(qemu_cmd "$target" "$image")
	# shellcheck disable=SC2086
	${NET_WRAP:-} timeout -k 5 "${NET_TIMEOUT:-120}" $cmd ${NET_QEMU_ARGS:-} -netdev "$netdev" -device "$nic" \
		-append "uk.qemu=1 $*" </dev/null >"$NET_LOG" 2>&1 &
	NET_PID=$!
	net_wait "$pattern"
}

net_boot() {
	local target=$1 image=$2 pattern=$3
	shift 3
	user_netdev
	net_start virtio-net-device,netdev=n0 "$USER_NETDEV" "$target" "$image" "$pattern" "$@"
}

net_stop() {
	[ -n "${NET_PID:-}" ] && kill "$NET_PID" 2>/dev/null && wait "$NET_PID" 2>/dev/null
	NET_CONSOLE=$(tr -d '\r' <"$NET_LOG")
	rm -f "$NET_LOG"
	NET_PID=
}

# ---- more ways to boot (tests/net-apps.bats) ----
#   net_boot_netdev NETDEV TARGET IMAGE PATTERN [BOOTARGS...]
#       like net_boot, with NETDEV as QEMU's -netdev value (its id must be n0); NET_WRAP, when
#       set, goes in front of the QEMU command (e.g. "ip netns exec NS")
#   net_wait PATTERN [SECONDS]    waits (default 60 s) until the console of the running guest
#                                 shows PATTERN (a grep -E regex); prints the console if not
#   net_console                   the console so far, without CRs
#   wait_tcp_port PORT [SECONDS]  waits until something listens on 127.0.0.1:PORT
net_boot_netdev() {
	local netdev=$1
	shift
	net_start virtio-net-device,netdev=n0 "$netdev" "$@"
}

net_wait() {
	local pattern=$1 end=$((SECONDS + ${2:-60}))
	until tr -d '\r' <"$NET_LOG" | grep -qE "$pattern"; do
		if ! kill -0 "$NET_PID" 2>/dev/null || [ $SECONDS -ge $end ]; then
			echo "# guest never printed '$pattern':" >&2
			sed 's/^/# /' "$NET_LOG" >&2
			return 1
		fi
		inotifywait -qq -t 1 -e modify "$NET_LOG" 2>/dev/null || sleep 0.1
	done
}

net_console() {
	tr -d '\r' <"$NET_LOG"
}

wait_tcp_port() {
	local end=$((SECONDS + ${2:-20}))
	until ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.1
	done
}

# ---- usb-net (tests/usb.bats) ----
#   net_boot_usb TARGET IMAGE PATTERN [BOOTARGS...]
#       like net_boot (same ports, same wait), with QEMU's usb-net (a CDC Ethernet device behind
#       QEMU's USB hub on the Pi's DWC2 controller) in place of virtio-net; NET_USB_MAC, when
#       set, is the device's mac= property
net_boot_usb() {
	local target=$1 image=$2 pattern=$3
	shift 3
	user_netdev
	net_start "usb-net,netdev=n0${NET_USB_MAC:+,mac=$NET_USB_MAC}" "$USER_NETDEV" "$target" \
		"$image" "$pattern" "$@"
}

# net_boot_retry ARGS...: net_boot, tried up to 3 times while QEMU reports that it could not bind
# a forwarded port (free_port found it free, then another process took it).
net_boot_retry() {
	for _ in 1 2 3; do
		net_boot "$@" && return 0
		grep -q 'Could not set up host forwarding' "$NET_LOG" || return 1
		net_stop || true
	done
	return 1
}
