# shellcheck shell=bash
# bench/lib.sh: what the benchmark scripts share (sourced).
# median: the median of the numbers on stdin, one per line; for an even count the mean of the
# two middle ones, truncated to an integer (the scripts count in thousandths).
median() {
	sort -n | awk '{ v[NR] = $1 }
		END { if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
