# Shared setup for the uk CLI tests: a fresh scratch directory and the uk under test.
bats_require_minimum_version 1.5.0
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

UK_TOP=${UK_TOP:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
BUILD=${BUILD:-$UK_TOP/build}
UK=$BUILD/bin/uk
UK_CACHE=${UK_CACHE:-/var/cache/uk}
export NO_COLOR=1 LC_ALL=C

common_setup() {
	[ -x "$UK" ] || make -s -C "$UK_TOP/cli" >/dev/null
	T=$(mktemp -d "${BATS_TMPDIR:-/tmp}/uk-test.XXXXXX")
	cd "$T"
}

common_teardown() {
	cd /
	rm -rf "$T"
}

uk() { "$UK" "$@"; }

# An app with the given uk.yaml text and a main.c that prints and returns 0.
make_app() {
	mkdir -p "$1"
	printf '%s\n' "$2" >"$1/uk.yaml"
	printf '#include <stdio.h>\nint main(void)\n{\n\tprintf("hi from %s\\n");\n\treturn 0;\n}\n' "$1" >"$1/main.c"
}

# A fingerprint of a directory tree: names, sizes, mtimes and inodes (did anything change?).
tree_state() {
	(cd "$1" && find . -printf '%p %s %T@ %i\n' | sort)
}

# Process ids whose parent is $1 (no procps needed).
children() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(sed 's/.*) //' "$p/stat" 2>/dev/null | cut -d' ' -f2)" = "$1" ] && echo "${p#/proc/}"
	done
	return 0
}

# Is a QEMU running whose command line mentions $1?
qemu_running() {
	local p
	for p in /proc/[0-9]*; do
		case $(cat "$p/comm" 2>/dev/null) in qemu-system-*) ;; *) continue ;; esac
		tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF -- "$1" && return 0
	done
	return 1
}

# "sha256  name" lines for sha256sum -c, and "size name" lines, from a build.json.
artifact_sums() {
	awk '/^    "[^"]+": \{$/ { n = $1; gsub(/[":]/, "", n) }
	     /^      "sha256": / { s = $2; gsub(/"/, "", s); print s "  " n }' "$1"
}
artifact_sizes() {
	awk '/^    "[^"]+": \{$/ { n = $1; gsub(/[":]/, "", n) }
	     /^      "size": / { s = $2; sub(/,/, "", s); print s " " n }' "$1"
}
