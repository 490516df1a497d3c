# shellcheck shell=bash
# bench/lib.sh: what the benchmark scripts share (sourced).
# median: the median of the numbers on stdin, one per line; for an even count the mean of the
# two middle ones, truncated to an integer (the scripts count in thousandths).
median() {
	sort -n | awk '{ v[NR] = $1 }
		END { if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

# skip WHY: a missing piece ends the script with "skipped: WHY" and status 0, so make bench
# goes on with the next one.
skip() {
	echo "skipped: $*"
	exit 0
}

# need TOOL...: skips unless every tool is on PATH.
need() {
	local t
	for t; do
		command -v "$t" >/dev/null || skip "$t is missing (./install.sh installs it)"
	done
}

# linux_deb: sets deb to the newest Debian arm64 kernel package install.sh cached, or skips.
linux_deb() {
	deb=$(find "$UK_CACHE/debs" -maxdepth 1 -name 'linux-image-*-arm64_*_arm64.deb' 2>/dev/null |
		sort -V | tail -n 1)
	[ -n "$deb" ] || skip "no linux-image-*-arm64 .deb in $UK_CACHE/debs: run ./install.sh"
}

# workdir: sets work to a new directory, removed at exit with the guest whose pid is in $pid.
workdir() {
	work=$(mktemp -d)
	pid=
	trap '[ -z "$pid" ] || kill -9 "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
	trap 'exit 130' INT TERM
}
