#!/usr/bin/env bats
# The libFuzzer harnesses of tests/fuzz (README.md there), each over its checked-in corpus and
# then a short fixed number of mutated inputs (FUZZ_CHECK_RUNS, default 20000). `make fuzz`
# runs them long.

setup_file() {
	make -s -C "$UK_TOP/tests/fuzz" BUILD="$BUILD" all >&3 2>&1 || true
}

fuzz() {
	run "$UK_TOP/tests/fuzz/run-check" "$BUILD/tests/fuzz" "${FUZZ_CHECK_RUNS:-20000}" "$1"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "fuzz: manifest loader (cli/manifest/manifest.c, cli/manifest/yamlload.c)" { fuzz manifest; }
@test "fuzz: fleet inventory, YAML (cli/fleet/inventory.c)" { fuzz fleet_yaml; }
@test "fuzz: fleet inventory, CSV (cli/fleet/inventory.c)" { fuzz fleet_csv; }
@test "fuzz: boot arguments, runtime parser against the uk tool's checks" { fuzz bootargs; }
@test "fuzz: device-tree reader (runtime/kernel/devicetree.c, libfdt)" { fuzz devicetree; }
@test "fuzz: receive path, virtio-net into lwIP" { fuzz netrx_virtio; }
@test "fuzz: receive path, CDC-ECM into lwIP" { fuzz netrx_cdc_ecm; }
@test "fuzz: receive path, SMSC95xx into lwIP" { fuzz netrx_smsc95xx; }
@test "fuzz: receive path, LAN78xx into lwIP" { fuzz netrx_lan78xx; }
