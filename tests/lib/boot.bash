# Boot helpers for bats tests: run a kernel image in QEMU the way docs/architecture.md says
# `uk run` does, straight from the target's target.conf, with a time bound.
#   boot TARGET IMAGE [BOOTARGS...]   sets $output (console) and $status (QEMU's exit status)
: "${UK_TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${BUILD:=$UK_TOP/build}"
: "${UK_HOME:=$BUILD/lib/uk}"
: "${UK_CACHE:=/var/cache/uk}"
BOOT_TIMEOUT=${BOOT_TIMEOUT:-60}

# conf TARGET KEY: a value from target.conf with ${UK_HOME}/${UK_CACHE} filled in.
conf() {
	sed -n "s/^$2 = //p" "$UK_HOME/$1/target.conf" |
		sed -e "s|\${UK_HOME}|$UK_HOME|g" -e "s|\${UK_CACHE}|$UK_CACHE|g"
}

qemu_cmd() { # TARGET IMAGE APPEND
	local dtb
	dtb=$(conf "$1" QEMU_DTB)
	# shellcheck disable=SC2046
	echo $(conf "$1" QEMU) -m "${QEMU_MEM:-$(conf "$1" QEMU_MEM)}" -display none -monitor none \
		$(conf "$1" QEMU_SERIAL) -no-reboot -semihosting-config enable=on,target=native \
		${dtb:+-dtb "$dtb"} -kernel "$2"
}

boot() {
	local target=$1 image=$2
	shift 2
	local cmd
	cmd=$(qemu_cmd "$target" "$image")
	# shellcheck disable=SC2086
	run timeout -k 5 "$BOOT_TIMEOUT" $cmd -append "uk.qemu=1 $*" </dev/null
	strip_cr
}

# The console ends lines with CR LF, as a serial terminal wants; compare lines without the CR.
strip_cr() {
	output=${output//$'\r'/}
	mapfile -t lines <<<"$output"
}

# boot_with_input TARGET IMAGE INPUT [BOOTARGS...]: types INPUT on the console once the app
# printed its first line (waits for output, never sleeps blindly).
boot_with_input() {
	local target=$1 image=$2 input=$3
	shift 3
	local cmd fifo
	cmd=$(qemu_cmd "$target" "$image")
	fifo=$(mktemp -u)
	mkfifo "$fifo"
	# shellcheck disable=SC2086
	run bash -c '
		exec 3<>"$1"; shift; input=$1; shift
		timeout -k 5 '"$BOOT_TIMEOUT"' "$@" <&3 | {
			IFS= read -r first; printf "%s\n" "$first"
			printf "%b" "$input" >&3
			cat
		}
		exit ${PIPESTATUS[0]}' _ "$fifo" "$input" $cmd -append "uk.qemu=1 $*"
	rm -f "$fifo"
	strip_cr
}
