#!/usr/bin/env bats
# TLS (uk/tls.h, tests/apps/tls) on QEMU virt against real TLS peers on this machine, reached
# through QEMU user networking (the host is 10.0.2.2; the guest's server port is forwarded to
# 127.0.0.1): openssl s_server serving files (with and without client certificates) and curl.
# The PKI (a CA, a server certificate for host.test/uk.test/10.0.2.2, a client certificate, an
# expired server certificate, and a second CA with its own server and client) is made with
# openssl by setup_file and put on the app's /data at build time.
load 'lib/net'

setup_file() {
	export P=$BATS_FILE_TMPDIR/pki APP=$BATS_FILE_TMPDIR/app
	mkdir -p "$P" "$APP/data"
	printf '[srv]\nsubjectAltName = DNS:host.test, DNS:uk.test, IP:10.0.2.2\nextendedKeyUsage = serverAuth\n[cli]\nextendedKeyUsage = clientAuth\n' >"$P/ext.cnf"
	local ca n
	for ca in ca other; do
		openssl ecparam -name prime256v1 -genkey -noout -out "$P/$ca.key"
		openssl req -x509 -new -key "$P/$ca.key" -subj "/CN=uk test $ca" -days 3650 -out "$P/$ca.pem"
		for n in server client; do
			openssl ecparam -name prime256v1 -genkey -noout -out "$P/$ca-$n.key"
			openssl req -new -key "$P/$ca-$n.key" -subj "/CN=$n" -out "$P/$ca-$n.csr"
			openssl x509 -req -in "$P/$ca-$n.csr" -CA "$P/$ca.pem" -CAkey "$P/$ca.key" \
				-CAcreateserial -days 365 -extfile "$P/ext.cnf" \
				-extensions "$([ $n = server ] && echo srv || echo cli)" -out "$P/$ca-$n.pem" 2>/dev/null
		done
	done
	openssl x509 -req -in "$P/ca-server.csr" -CA "$P/ca.pem" -CAkey "$P/ca.key" -CAcreateserial \
		-days -1 -extfile "$P/ext.cnf" -extensions srv -out "$P/expired.pem" 2>/dev/null
	cp "$P/ca.pem" "$APP/data/ca.pem"
	cp "$P/ca-server.pem" "$APP/data/server.pem"
	cp "$P/ca-server.key" "$APP/data/server.key"
	cp "$P/ca-client.pem" "$APP/data/client.pem"
	cp "$P/ca-client.key" "$APP/data/client.key"
	cp "$P/other-client.pem" "$APP/data/other-client.pem"
	cp "$P/other-client.key" "$APP/data/other-client.key"
	cp "$UK_TOP/tests/apps/tls/main.c" "$APP/"
	printf 'name: tls\nsources: [main.c]\nimage: {data: 8M}\n' >"$APP/uk.yaml"
	"$BUILD/bin/uk" build "$APP" >"$BATS_FILE_TMPDIR/build.log" 2>&1
}

setup() {
	load '/usr/lib/bats/bats-support/load'
	load '/usr/lib/bats/bats-assert/load'
	T=$(mktemp -d)
	SERVER_PID=
	[ -f "$APP/build/virt/sdcard.img" ] || fail "uk build failed: $(cat "$BATS_FILE_TMPDIR/build.log")"
	cp "$APP/build/virt/sdcard.img" "$T/card.img"
}

teardown() {
	net_stop >/dev/null 2>&1 || true
	[ -z "$SERVER_PID" ] || kill "$SERVER_PID" 2>/dev/null || true
	rm -rf "$T"
}

# s_server CERT KEY [OPTIONS...]: openssl's TLS server on 127.0.0.1:$PORT serving $P's files.
s_server() {
	PORT=$(free_port tcp)
	(cd "$P" && exec openssl s_server -accept "127.0.0.1:$PORT" -cert "$1" -key "$2" -WWW -quiet \
		"${@:3}") >"$T/s_server.log" 2>&1 &
	SERVER_PID=$!
	wait_tcp_port "$PORT" 20 || fail "s_server did not start: $(cat "$T/s_server.log")"
}

# guest [QEMU-OPTIONS --] BOOTARGS...: the app on virt with its card, network up, to the end.
guest() {
	local extra=()
	if [[ " $* " == *" -- "* ]]; then
		while [ "$1" != -- ]; do extra+=("$1"); shift; done
		shift
	fi
	# shellcheck disable=SC2046
	run timeout -k 5 120 $(qemu_cmd virt "$APP/build/virt/kernel8.img") "${extra[@]}" \
		-drive "if=none,id=card,format=raw,file=$T/card.img" -device virtio-blk-device,drive=card \
		-netdev user,id=n0 -device virtio-net-device,netdev=n0 \
		-append "uk.qemu=1 net.ip=dhcp $*" </dev/null
	strip_cr
}

fnv1a() {
	python3 -c 'import sys
h = 14695981039346656037
for b in open(sys.argv[1], "rb").read():
    h = ((h ^ b) * 1099511628211) & 0xffffffffffffffff
print("%016x" % h)' "$1"
}

@test "client: 10 MB over HTTPS from openssl s_server, byte-exact, the server's certificate checked" {
	head -c 10485760 /dev/urandom >"$P/big.bin"
	s_server ca-server.pem ca-server.key
	guest "tls.connect=10.0.2.2:$PORT" tls.name=host.test tls.get=/big.bin
	assert_success
	assert_line --regexp '^tls: connected with TLS-ECDHE-ECDSA-WITH-'
	assert_line "tls: body 10485760 bytes, fnv1a $(fnv1a "$P/big.bin")"
}

@test "client: on a non-blocking socket the handshake and the reads still finish (1 MB byte-exact)" {
	head -c 1048576 /dev/urandom >"$P/nb.bin"
	s_server ca-server.pem ca-server.key
	guest "tls.connect=10.0.2.2:$PORT" tls.name=host.test tls.get=/nb.bin tls.nonblock=1
	assert_success
	assert_line "tls: body 1048576 bytes, fnv1a $(fnv1a "$P/nb.bin")"
}

@test "client: another CA's server, a wrong name, an expired certificate: refused, saying why" {
	echo hi >"$P/hi.txt"
	s_server other-server.pem other-server.key
	guest "tls.connect=10.0.2.2:$PORT" tls.name=host.test tls.get=/hi.txt
	assert_failure 1
	assert_line --regexp "^tls: handshake failed: the server's certificate is not accepted: .*not correctly signed by the trusted CA"
	kill "$SERVER_PID"
	s_server ca-server.pem ca-server.key
	guest "tls.connect=10.0.2.2:$PORT" tls.name=elsewhere.test tls.get=/hi.txt
	assert_failure 1
	assert_line --regexp "^tls: handshake failed: the server.s certificate is not accepted: .*Common Name \(CN\) does not match"
	kill "$SERVER_PID"
	s_server expired.pem ca-server.key
	guest "tls.connect=10.0.2.2:$PORT" tls.name=host.test tls.get=/hi.txt
	assert_failure 1
	assert_line --regexp "^tls: handshake failed: the server's certificate is not accepted: .*validity has expired"
}

@test "client: before the time of day is known it refuses, and says so; without an RNG it will not start" {
	echo hi >"$P/hi.txt"
	s_server ca-server.pem ca-server.key
	guest -rtc base=2000-01-01 -- "tls.connect=10.0.2.2:$PORT" tls.name=host.test
	assert_failure 1
	assert_line "tls: handshake failed: the time of day is unknown (no RTC, no SNTP answer yet): the peer's certificate dates cannot be checked; wait for it with uk_walltime_wait()"
	eval "with_rng_$(declare -f qemu_cmd)"
	qemu_cmd() { with_rng_qemu_cmd "$@" | sed 's/ -device virtio-rng-device//'; }
	guest "tls.connect=10.0.2.2:$PORT" tls.name=host.test
	assert_failure 1
	assert_line "tls: config: no hardware random number generator on this board: TLS will not run on predictable numbers"
}

@test "client: mutual TLS: s_server that requires a client certificate takes ours, and refuses none or another CA's" {
	echo "mutual ok" >"$P/m.txt"
	s_server ca-server.pem ca-server.key -Verify 1 -verify_return_error -CAfile ca.pem
	guest "tls.connect=10.0.2.2:$PORT" tls.get=/m.txt tls.cert=/data/client.pem tls.key=/data/client.key
	assert_success
	assert_line "tls: body 10 bytes, fnv1a $(fnv1a "$P/m.txt")"
	guest "tls.connect=10.0.2.2:$PORT" tls.get=/m.txt
	refute_line --partial "tls: body 10 bytes"
	assert_line --regexp '^tls: (handshake failed: TLS handshake: .*alert|body 0 bytes)'
	guest "tls.connect=10.0.2.2:$PORT" tls.get=/m.txt tls.cert=/data/other-client.pem tls.key=/data/other-client.key
	refute_line --partial "tls: body 10 bytes"
	assert_line --regexp '^tls: (handshake failed: TLS handshake: .*alert|body 0 bytes)'
	grep -q "verify error" "$T/s_server.log" || fail "s_server did not reject the certificate: $(cat "$T/s_server.log")"
}

@test "server: curl checks uk's certificate; with client certificates required, only ours gets in" {
	NET_QEMU_ARGS="-drive if=none,id=card,format=raw,file=$T/card.img -device virtio-blk-device,drive=card" \
		net_boot virt "$APP/build/virt/kernel8.img" 'tls: serving HTTPS' tls.serve=80 tls.count=2
	run curl -sS --max-time 30 --cacert "$P/ca.pem" --resolve "uk.test:$HTTP_PORT:127.0.0.1" "https://uk.test:$HTTP_PORT/"
	assert_success
	assert_output "hello over TLS"
	run curl -sS --max-time 30 --resolve "uk.test:$HTTP_PORT:127.0.0.1" "https://uk.test:$HTTP_PORT/"
	assert_failure 60 # curl: the certificate's issuer is not one it trusts
	net_stop
	cp "$APP/build/virt/sdcard.img" "$T/card.img"
	NET_QEMU_ARGS="-drive if=none,id=card,format=raw,file=$T/card.img -device virtio-blk-device,drive=card" \
		net_boot virt "$APP/build/virt/kernel8.img" 'tls: serving HTTPS' tls.serve=80 tls.count=3 tls.mutual=1
	run curl -sS --max-time 30 --cacert "$P/ca.pem" --cert "$P/ca-client.pem" --key "$P/ca-client.key" \
		--resolve "uk.test:$HTTP_PORT:127.0.0.1" "https://uk.test:$HTTP_PORT/"
	assert_success
	assert_output "hello over TLS"
	run curl -sS --max-time 30 --cacert "$P/ca.pem" --resolve "uk.test:$HTTP_PORT:127.0.0.1" "https://uk.test:$HTTP_PORT/"
	assert_failure
	run curl -sS --max-time 30 --cacert "$P/ca.pem" --cert "$P/other-client.pem" --key "$P/other-client.key" \
		--resolve "uk.test:$HTTP_PORT:127.0.0.1" "https://uk.test:$HTTP_PORT/"
	assert_failure
	net_wait 'tls: client 3 ' 30
	run net_console
	assert_line --regexp "^tls: client 1 served \(request [1-9][0-9]* bytes, reply 60\)$"
	assert_line --regexp "^tls: client 2 refused: TLS handshake: .*No client certification received"
	assert_line --regexp "^tls: client 3 refused: the client's certificate is not accepted: .*not correctly signed by the trusted CA"
}

@test "examples/https-server: curl gets its page and a 1 MB file byte-exact; the image is under 512 KiB" {
	mkdir -p "$T/hs/data/www"
	cp "$UK_TOP/examples/https-server/main.c" "$UK_TOP/examples/https-server/uk.yaml" "$T/hs/"
	cp "$P/ca-server.pem" "$T/hs/data/server.pem"
	cp "$P/ca-server.key" "$T/hs/data/server.key"
	head -c 1048576 /dev/urandom >"$T/hs/data/www/one.bin"
	run "$BUILD/bin/uk" build "$T/hs"
	assert_success
	local size
	size=$(stat -c %s "$T/hs/build/virt/kernel8.img")
	[ "$size" -lt $((512 << 10)) ] || fail "kernel8.img is $size bytes"
	cp "$T/hs/build/virt/sdcard.img" "$T/hs.img"
	GUEST_IP=10.0.2.15 NET_QEMU_ARGS="-drive if=none,id=card,format=raw,file=$T/hs.img -device virtio-blk-device,drive=card" \
		net_boot virt "$T/hs/build/virt/kernel8.img" 'https-server: serving on port 80' https.port=80
	run curl -sS --max-time 30 --cacert "$P/ca.pem" --resolve "uk.test:$HTTP_PORT:127.0.0.1" "https://uk.test:$HTTP_PORT/"
	assert_success
	assert_output --partial "<h1>Hello over HTTPS from uk</h1>"
	curl -sS --max-time 60 --cacert "$P/ca.pem" --resolve "uk.test:$HTTP_PORT:127.0.0.1" \
		-o "$T/got.bin" "https://uk.test:$HTTP_PORT/files/one.bin"
	cmp "$T/got.bin" "$T/hs/data/www/one.bin"
	run curl -s -o /dev/null -w '%{http_code}' --max-time 30 --cacert "$P/ca.pem" \
		--resolve "uk.test:$HTTP_PORT:127.0.0.1" "https://uk.test:$HTTP_PORT/files/..%2fserver.key"
	refute_output 200
}

@test "examples/https-get: downloads a file from openssl s_server into /data; uk data get returns it" {
	head -c 300000 /dev/urandom >"$P/get.bin"
	s_server ca-server.pem ca-server.key
	mkdir -p "$T/hg/data"
	cp "$UK_TOP/examples/https-get/main.c" "$UK_TOP/examples/https-get/uk.yaml" "$T/hg/"
	cp "$P/ca.pem" "$T/hg/data/ca.pem"
	run "$BUILD/bin/uk" build "$T/hg"
	assert_success
	cp "$T/hg/build/virt/sdcard.img" "$T/hg.img"
	# shellcheck disable=SC2046
	run timeout -k 5 120 $(qemu_cmd virt "$T/hg/build/virt/kernel8.img") \
		-drive "if=none,id=card,format=raw,file=$T/hg.img" -device virtio-blk-device,drive=card \
		-netdev user,id=n0 -device virtio-net-device,netdev=n0 \
		-append "uk.qemu=1 net.ip=dhcp https.url=https://10.0.2.2:$PORT/get.bin https.name=host.test" </dev/null
	strip_cr
	assert_success
	assert_line "https-get: https://10.0.2.2:$PORT/get.bin: 300000 bytes to /data/get.bin"
	run "$BUILD/bin/uk" data get "$T/hg.img" get.bin "$T/back.bin"
	assert_success
	cmp "$T/back.bin" "$P/get.bin"
}

@test "server: ${UK_TLS_GARBAGE:-100} malformed TLS openings (random bytes, bad records, cut or flipped ClientHellos) and it still serves" {
	NET_QEMU_ARGS="-drive if=none,id=card,format=raw,file=$T/card.img -device virtio-blk-device,drive=card" \
		net_boot virt "$APP/build/virt/kernel8.img" 'tls: serving HTTPS' tls.serve=80 \
		"tls.count=$((${UK_TLS_GARBAGE:-100} + 1))"
	run timeout 600 "$UK_TOP/tests/tools/tls_garbage.py" 127.0.0.1 "$HTTP_PORT" "${UK_TLS_GARBAGE:-100}"
	assert_success
	assert_output "${UK_TLS_GARBAGE:-100} connections"
	run curl -sS --max-time 30 --cacert "$P/ca.pem" --resolve "uk.test:$HTTP_PORT:127.0.0.1" "https://uk.test:$HTTP_PORT/"
	[ "$status" -eq 0 ] || net_console | tail -n 40 | sed 's/^/# console: /' >&3
	assert_success
	assert_output "hello over TLS"
	net_wait "tls: client $((${UK_TLS_GARBAGE:-100} + 1)) served" 30
	run net_console
	refute_output --partial panic
	assert_equal "$(grep -c '^tls: client [0-9]* refused' <<<"$output")" "${UK_TLS_GARBAGE:-100}"
}
