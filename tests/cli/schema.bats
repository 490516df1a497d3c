#!/usr/bin/env bats
# manifests/uk.schema.json and uk build's own checks (cli/manifest/manifest.c, cli/manifest/netconf.c) hold the
# same rules: each case below is a uk.yaml that both accept or both refuse, as the table says.
# An editor or CI that validates with the schema then tells a user what uk build will.
load helper

setup() { common_setup; }
teardown() { common_teardown; }

# verdict YAML-LINES: "ok" or "refused" from uk build (exit 0 or 2) and from the schema.
check() {
	local want=$1 extra=$2 built schema
	rm -rf app && mkdir app
	printf 'int main(void)\n{\n\treturn 0;\n}\n' >app/main.c
	if [ -e update.pub.pem ]; then cp update.pub.pem app/; fi # for update.key
	printf 'name: app\nsources: [main.c]\n%s\n' "$extra" >app/uk.yaml
	if uk build app >/dev/null 2>&1; then built=ok; else
		[ $? -eq 2 ] && built=refused || built="failed ($?)"
	fi
	schema=$("$UK_TOP/tests/tools/schema_check.py" "$UK_TOP/manifests/uk.schema.json" app/uk.yaml)
	[ "$schema" = valid ] && schema=ok || schema=refused
	[ "$built" = "$want" ] || fail "uk build: $built, want $want, for: $extra"
	[ "$schema" = "$want" ] || fail "the schema: $schema, want $want, for: $extra"
}

@test "version, cores, network.ip, gateway, dns, ntp, hostname, hostfwd: uk build and the schema agree" {
	command -v python3 >/dev/null && python3 -c 'import jsonschema, yaml' 2>/dev/null ||
		skip "python3-jsonschema or python3-yaml is missing (install.sh installs them)"
	check ok 'version: 1.4.2+build_7'
	check refused 'version: "1 0"'
	check refused "version: $(printf 'v%.0s' $(seq 32))"
	check ok 'network: {ip: dhcp}'
	check ok 'network: {ip: 192.168.1.20/24}'
	check refused 'network: {ip: 192.168.1.20}'
	check refused 'network: {ip: 10.0.2.300/24}'
	check refused 'network: {ip: 10.0.2.3/33}'
	check ok 'network: {ip: 10.0.2.3/24, gateway: 10.0.2.2}'
	check refused 'network: {gateway: 10.0.2}'
	check ok "network: {dns: '2001:db8::1'}"
	check ok 'network: {dns: 9.9.9.9}'
	check refused 'network: {dns: dns.example}'
	check ok 'network: {ntp: "off"}' # quoted: YAML 1.1 readers (PyYAML) take off for false
	check ok 'network: {ntp: "pool.ntp.org,192.168.1.1"}'
	check refused 'network: {ntp: "a,b,c"}'
	check refused 'network: {ntp: "x,"}'
	check ok 'network: {hostname: sensor-7}'
	check refused 'network: {hostname: -sensor}'
	check refused "network: {hostname: $(printf 'a%.0s' $(seq 64))}"
	check ok 'network: {hostfwd: ["8080:80", "udp:5000:7"]}'
	check refused 'network: {hostfwd: ["icmp:1:2"]}'
	check refused 'network: {hostfwd: [8080]}'
	check refused 'network: {frob: 1}'
	check ok 'target: [virt, rpi3]'
	check refused 'target: pi5'
	check ok 'cores: 1'
	check ok 'cores: 4'
	check refused 'cores: 0'
	check refused 'cores: 5'
	check refused 'cores: two'
	check refused 'cores: [2]'
	check refused 'nmae: x'
}

@test "update: slots, slot_size, key, and what it excludes: uk build and the schema agree" {
	command -v python3 >/dev/null && python3 -c 'import jsonschema, yaml' 2>/dev/null ||
		skip "python3-jsonschema or python3-yaml is missing (install.sh installs them)"
	openssl ecparam -name prime256v1 -genkey -noout -out sign.pem
	openssl ec -in sign.pem -pubout -out update.pub.pem 2>/dev/null
	local u='update: {slots: ab, key: update.pub.pem'
	check ok "version: 1.0.0
$u}"
	check ok "version: 1.0.0
image: {data: 8M}
$u, slot_size: 64M}"
	check refused "$u}" # no version
	check refused "version: 1.0.0
update: {slots: ab}"
	check refused "version: 1.0.0
update: {key: update.pub.pem}"
	check refused "version: 1.0.0
update: {slots: abc, key: update.pub.pem}"
	check refused "version: 1.0.0
$u, slot_size: 48}"
	check refused "version: 1.0.0
$u, frob: 1}"
	check refused "version: 1.0.0
image: {size: 128M}
$u}"
	check ok "version: 1.0.0
target: [virt, rpi3]
$u}"
}
