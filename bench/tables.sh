#!/usr/bin/env bash
# bench/tables.sh: turns the text tables of a benchmark run into the markdown tables of
# docs/bench.md, so the document shows what a run printed and nothing copied by hand.
#   make bench | tee bench.out; bench/tables.sh <bench.out
#   bench/net.sh 3 | bench/tables.sh
# Reads (on stdin or from the files named):
#   bench/run's "== heading" lines       a "#### heading" line
#   bench/runtime.sh's table             (header "target ... ratio", one row a target)
#   a table headed "NAME... uk Linux uk/Linux" (bench/net.sh): rows "NAME... UK LINUX RATIO",
#                                        "-- title" lines as a bold row, other lines (the
#                                        notes under the table) as a paragraph after it
#   bench/latency.sh's table             (header "1 kHz deadline loop, 1 s mean us ...": rows
#                                        "NAME... MEAN P99 WORST RATIO RATIO"; the lines under
#                                        it, the ratios and notes, as a paragraph after it)
# Anything else is left out.
set -euo pipefail
awk '
function flush_notes() {
	if (notes != "") printf "\n%s\n", notes
	notes = ""
}
function end_table() {
	if (!intable) return
	intable = 0
	flush_notes()
	print ""
}
function cells(from, to, i, s) { # fields from..to joined by spaces
	s = $from
	for (i = from + 1; i <= to; i++) s = s " " $i
	return s
}
/^== / {
	end_table()
	sub(/^== /, "")
	printf "#### %s\n\n", $0
	next
}
/^target +image \(B\)/ {
	end_table()
	intable = 1
	kind = "runtime"
	print "| target | image (B) | min -m | reset to main (us) | floor (ms) | hello (ms) | hello - floor (ms) | hello / floor |"
	print "|---|---:|---:|---:|---:|---:|---:|---:|"
	next
}
/^1 kHz deadline loop, 1 s +mean us/ {
	end_table()
	intable = 1
	kind = "latency"
	print "| 1 kHz deadline loop, 1 s | mean us | p99 us | worst us | mean / native | worst / native |"
	print "|---|---:|---:|---:|---:|---:|"
	next
}
kind == "latency" && intable && NF >= 6 && $(NF - 2) ~ /^[0-9]+$/ && $NF ~ /^([0-9.]+|-)$/ {
	printf "| %s | %s | %s | %s | %s | %s |\n", cells(1, NF - 5), $(NF - 4), $(NF - 3), $(NF - 2), $(NF - 1), $NF
	next
}
$NF == "uk/Linux" && NF >= 4 {
	end_table()
	intable = 1
	kind = "vs"
	printf "| %s | uk | Linux | uk/Linux |\n", cells(1, NF - 3)
	print "|---|---:|---:|---:|"
	next
}
!intable { next }
/^[[:space:]]*$/ { end_table(); next }
kind == "runtime" && NF == 8 && $2 ~ /^[0-9]+$/ {
	printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8
	next
}
kind == "vs" && /^-- / {
	sub(/^-- /, "")
	printf "| **%s** | | | |\n", $0
	next
}
kind == "vs" && NF >= 4 && ($NF ~ /^[0-9.]+$/ || $NF == "-") && $(NF - 1) ~ /^([0-9.]+|skipped)$/ {
	printf "| %s | %s | %s | %s |\n", cells(1, NF - 3), $(NF - 2), $(NF - 1), $NF
	next
}
{ notes = notes (notes == "" ? "" : "\n") $0 }
END { end_table() }
' "$@"
