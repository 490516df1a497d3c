#!/usr/bin/env bats
# MQTT over mutual TLS (examples/mqtt with mqtt.tls=1: lwIP's MQTT client over lwIP's altcp TLS,
# configured by uk/tls.h's uk_tls_altcp_config) against mosquitto with a TLS listener that
# requires client certificates, on 127.0.0.1 (the guest reaches it as 10.0.2.2). Each device's
# CA, certificate and key are stamped onto its own card's /boot by `uk build --fleet`
# (docs/fleet.md), as a real fleet's would be. The PKI is made with openssl by setup_file.
load 'lib/net'

setup_file() {
	export P=$BATS_FILE_TMPDIR/pki APP=$BATS_FILE_TMPDIR/mqtt
	mkdir -p "$P" "$APP"
	printf '[srv]\nsubjectAltName = DNS:broker.test, IP:10.0.2.2, IP:127.0.0.1\n[cli]\nextendedKeyUsage = clientAuth\n' >"$P/ext.cnf"
	local ca n days
	for ca in ca other; do
		openssl ecparam -name prime256v1 -genkey -noout -out "$P/$ca.key"
		openssl req -x509 -new -key "$P/$ca.key" -subj "/CN=mqtt test $ca" -days 3650 -out "$P/$ca.pem"
	done
	# name CA EXTENSIONS DAYS: a key and a certificate signed by CA
	for n in broker:ca:srv:365 good:ca:cli:365 stranger:other:cli:365 expired:ca:cli:-1; do
		IFS=: read -r name ca ext days <<<"$n"
		openssl ecparam -name prime256v1 -genkey -noout -out "$P/$name.key"
		openssl req -new -key "$P/$name.key" -subj "/CN=$name" -out "$P/$name.csr"
		openssl x509 -req -in "$P/$name.csr" -CA "$P/$ca.pem" -CAkey "$P/$ca.key" -CAcreateserial \
			-days "$days" -extfile "$P/ext.cnf" -extensions "$ext" -out "$P/$name.pem" 2>/dev/null
	done
	cp "$UK_TOP/examples/mqtt/main.c" "$UK_TOP/examples/mqtt/uk.yaml" "$APP/"
	cat >"$APP/fleet.yaml" <<-EOF
		devices:
		  - name: good
		    files: {ca.pem: $P/ca.pem, device.crt: $P/good.pem, device.key: $P/good.key}
		  - name: stranger
		    files: {ca.pem: $P/ca.pem, device.crt: $P/stranger.pem, device.key: $P/stranger.key}
		  - name: expired
		    files: {ca.pem: $P/ca.pem, device.crt: $P/expired.pem, device.key: $P/expired.key}
		  - name: nocert
		    files: {ca.pem: $P/ca.pem}
		  - name: wrongca
		    files: {ca.pem: $P/other.pem, device.crt: $P/good.pem, device.key: $P/good.key}
		  - name: badcert
		    files: {ca.pem: $P/ca.pem, device.crt: $P/good.key, device.key: $P/good.key}
		  - name: otherkey
		    files: {ca.pem: $P/ca.pem, device.crt: $P/good.pem, device.key: $P/stranger.key}
	EOF
	"$BUILD/bin/uk" build "$APP" --fleet "$APP/fleet.yaml" >"$BATS_FILE_TMPDIR/build.log" 2>&1
}

setup() {
	load '/usr/lib/bats/bats-support/load'
	load '/usr/lib/bats/bats-assert/load'
	T=$(mktemp -d)
	BROKER_PID=
	[ -f "$APP/build/virt/fleet/good/sdcard.img" ] ||
		fail "uk build --fleet failed: $(cat "$BATS_FILE_TMPDIR/build.log")"
	command -v mosquitto >/dev/null || skip "mosquitto is not installed (install.sh installs it)"
	BROKER_PORT=$(free_port tcp)
	printf 'user root\nlistener %s 127.0.0.1\ncafile %s\ncertfile %s\nkeyfile %s\nrequire_certificate true\nallow_anonymous true\npersistence false\n' \
		"$BROKER_PORT" "$P/ca.pem" "$P/broker.pem" "$P/broker.key" >"$T/mosquitto.conf"
	start_broker
}

start_broker() {
	mosquitto -c "$T/mosquitto.conf" >>"$T/mosquitto.log" 2>&1 &
	BROKER_PID=$!
	wait_tcp_port "$BROKER_PORT" 20 || fail "mosquitto did not start: $(cat "$T/mosquitto.log")"
}

teardown() {
	net_stop >/dev/null 2>&1 || true
	[ -z "$BROKER_PID" ] || kill "$BROKER_PID" 2>/dev/null || true
	rm -rf "$T"
}

# device NAME PATTERN: boots the device's stamped card and waits for PATTERN on its console.
device() {
	cp "$APP/build/virt/fleet/$1/sdcard.img" "$T/$1.img"
	NET_QEMU_ARGS="-drive if=none,id=card,format=raw,file=$T/$1.img -device virtio-blk-device,drive=card" \
		net_boot_netdev user,id=n0 virt "$APP/build/virt/kernel8.img" "$2" \
		$(cat "$APP/build/virt/fleet/$1/cmdline.txt") mqtt.broker=10.0.2.2 "mqtt.port=$BROKER_PORT" \
		mqtt.tls=1 mqtt.name=broker.test
}

@test "mqtt over mutual TLS: the device with its own certificate publishes; mosquitto_sub over TLS gets it" {
	device good 'mqtt: connected to'
	run timeout 30 mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" --cafile "$P/ca.pem" \
		--cert "$P/good.pem" --key "$P/good.key" --insecure -t 'uk/+/reading' -C 2 -W 25
	assert_success
	assert_equal "${#lines[@]}" 2
	run net_console
	assert_line "mqtt: TLS to broker.test, our certificate /boot/device.crt"
}

@test "mqtt over mutual TLS: another CA's certificate, an expired one, or none: the broker refuses" {
	local d
	for d in stranger expired nocert; do
		device "$d" 'retrying every 2 s'
		run net_console
		refute_line --partial "mqtt: connected to"
		net_stop
	done
	run cat "$T/mosquitto.log"
	assert_output --partial "certificate verify failed"
}

@test "mqtt over TLS: a broker whose certificate our CA did not sign is refused, and the device says why" {
	device wrongca "retrying every 2 s"
	run net_console
	assert_line --regexp "^mqtt: 10\\.0\\.2\\.2:$BROKER_PORT: .*: the peer's certificate( chain)? is not accepted: .*not correctly signed by the trusted CA; retrying every 2 s$"
	refute_line --partial "mqtt: connected to"
}

@test "mqtt over mutual TLS: the broker restarting mid-session: the device reconnects cleanly and publishes again" {
	device good 'mqtt: connected to'
	kill "$BROKER_PID" && wait "$BROKER_PID" 2>/dev/null || true
	net_wait "mqtt: 10\\.0\\.2\\.2:$BROKER_PORT: (disconnected|timed out)" 40
	start_broker
	run timeout 40 mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" --cafile "$P/ca.pem" \
		--cert "$P/good.pem" --key "$P/good.key" --insecure -t 'uk/+/reading' -C 2 -W 35
	assert_success
	assert_equal "${#lines[@]}" 2
	run net_console
	assert_equal "$(grep -c "^mqtt: connected to 10.0.2.2:$BROKER_PORT$" <<<"$output")" 2
	refute_output --partial panic
}

@test "mqtt over TLS: a device file that is not a certificate, or a key that is not the certificate's: refused at start, saying so" {
	device badcert 'mqtt: TLS: '
	run net_console
	assert_line "mqtt: TLS: the certificate does not parse (PEM or DER expected)"
	refute_output --partial panic
	net_stop
	device otherkey 'mqtt: TLS: '
	run net_console
	assert_line "mqtt: TLS: the private key is not the certificate's"
}
