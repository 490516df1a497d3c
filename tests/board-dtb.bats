#!/usr/bin/env bats
# The boards each Pi target covers find their device tree on a card `uk build` wrote. For every
# board, the test plays the firmware's documented choice of tree against the card's config.txt,
# then boots QEMU (raspi3b for Pi 3 boards, raspi4b for Pi 4 boards) with that tree, the card's
# kernel8.img and its cmdline.txt as the firmware would pass them: a boot argument from
# cmdline.txt must reach the app. docs/boards.md gives the references.
bats_require_minimum_version 1.5.0
load 'lib/boot'

setup_file() {
	export CARDS=$BATS_FILE_TMPDIR MTOOLS_SKIP_CHECK=1
	for t in rpi3 rpi4; do
		mkdir -p "$CARDS/$t"
		cp "$UK_TOP/examples/hello/main.c" "$CARDS/$t/"
		printf 'name: hello\ntarget: %s\nsources: [main.c]\nbootargs: {site: greenhouse}\n' \
			"$t" >"$CARDS/$t/uk.yaml"
		"$BUILD/bin/uk" build "$CARDS/$t" --out "$CARDS/$t/out" >/dev/null
	done
}

setup() {
	load '/usr/lib/bats/bats-support/load'
	load '/usr/lib/bats/bats-assert/load'
	cd "$BATS_TEST_TMPDIR"
}

# firmware_tree CONFIG BOARD_TYPE UPSTREAM_NAME: the tree the firmware loads on that board, from
# the Raspberry Pi config.txt documentation: upstream_kernel=1 makes it prefer the upstream
# (Linux) name of the board's tree, bcm2837-... for bcm2710-... (on the Pi 4 both are bcm2711-);
# device_tree= names the file outright. Filters: [all], and [board-type=N] (the revision code's
# type field); a filter this model does not know fails the test rather than guess.
firmware_tree() {
	local config=$1 type=$2 name=$3 on=1 upstream=0 tree= line
	while IFS= read -r line; do
		line=${line%$'\r'}
		case $line in
		'#'* | '') ;;
		'[all]') on=1 ;;
		'[board-type='*']')
			line=${line#\[board-type=}
			on=$((${line%]} == type))
			;;
		'['*) fail "config.txt filter '$line' is not in this test's model of the firmware" ;;
		upstream_kernel=*) [ $on = 0 ] || upstream=${line#*=} ;;
		device_tree=*) [ $on = 0 ] || tree=${line#*=} ;;
		esac
	done <"$config"
	if [ -n "$tree" ]; then
		echo "$tree"
	elif [ "$upstream" = 1 ]; then
		echo "$name"
	else
		echo "${name/bcm2837-/bcm2710-}"
	fi
}

# board TARGET BOARD_TYPE UPSTREAM_NAME MODEL: the card for TARGET boots that board.
board() {
	local t=$1 type=$2 name=$3 model=$4 vfat=$CARDS/$1/out/boot.vfat tree
	mcopy -n -i "$vfat" ::/config.txt config.txt
	grep -qx 'upstream_kernel=1' config.txt || fail "$t config.txt has no upstream_kernel=1"
	tree=$(firmware_tree config.txt "$type" "$name")
	mcopy -n -i "$vfat" "::/$tree" board.dtb || fail "the $t card has no $tree"
	mcopy -n -i "$vfat" ::/kernel8.img kernel8.img
	mcopy -n -i "$vfat" ::/cmdline.txt cmdline.txt
	grep -qw 'site=greenhouse' cmdline.txt
	# shellcheck disable=SC2046
	run timeout -k 5 "$BOOT_TIMEOUT" $(conf "$t" QEMU) -m "$(conf "$t" QEMU_MEM)" \
		-display none -monitor none $(conf "$t" QEMU_SERIAL) -no-reboot \
		-semihosting-config enable=on,target=native -dtb board.dtb -kernel kernel8.img \
		-append "$(cat cmdline.txt) uk.qemu=1" </dev/null
	strip_cr
	assert_success
	assert_line "Hello from uk on $t ($model)"
	assert_line "  site=greenhouse"
}

#               target board type  the firmware's upstream name      the tree's model
@test "Pi 3 B" { board rpi3 0x08 bcm2837-rpi-3-b.dtb "Raspberry Pi 3 Model B"; }
@test "Pi 3 B+" { board rpi3 0x0d bcm2837-rpi-3-b-plus.dtb "Raspberry Pi 3 Model B+"; }
@test "Pi 3 A+" { board rpi3 0x0e bcm2837-rpi-3-a-plus.dtb "Raspberry Pi 3 Model A+"; }
@test "Pi Zero 2 W" { board rpi3 0x12 bcm2837-rpi-zero-2-w.dtb "Raspberry Pi Zero 2 W"; }
@test "Compute Module 3" { board rpi3 0x0a bcm2837-rpi-cm3.dtb "Raspberry Pi Compute Module 3 IO board V3.0"; }
@test "Compute Module 3+" { board rpi3 0x10 bcm2837-rpi-cm3.dtb "Raspberry Pi Compute Module 3 IO board V3.0"; }
@test "Pi 4 B" { board rpi4 0x11 bcm2711-rpi-4-b.dtb "Raspberry Pi 4 Model B"; }
@test "Pi 400" { board rpi4 0x13 bcm2711-rpi-400.dtb "Raspberry Pi 400"; }
@test "Compute Module 4" { board rpi4 0x14 bcm2711-rpi-cm4.dtb "Raspberry Pi Compute Module 4 IO Board"; }

@test "uk build fails and names the tree when a board's tree is missing from the cache" {
	mkdir -p cache/dtb
	ln -s "$UK_CACHE/debs" cache/debs
	cp "$UK_CACHE"/dtb/*.dtb cache/dtb/
	rm cache/dtb/bcm2837-rpi-zero-2-w.dtb
	cp -r "$CARDS/rpi3" app && rm -rf app/out
	UK_CACHE=$PWD/cache run "$BUILD/bin/uk" build app
	assert_failure 3
	assert_output --partial "missing device tree $PWD/cache/dtb/bcm2837-rpi-zero-2-w.dtb"
	assert_output --partial "install.sh"
	UK_CACHE=$PWD/cache run "$BUILD/bin/uk" doctor
	assert_failure 3
	assert_output --regexp "MISSING +Pi 3 device trees .*lacks bcm2837-rpi-zero-2-w.dtb"
	assert_output --regexp "ok +Pi 4 device trees"
}
