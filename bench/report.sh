#!/bin/sh
# bench/report.sh OUTDIR RESULTS.md CHART.png: turn OUTDIR/samples.tsv
# (one measurement a line, see lib.sh), notes.tsv, targets.tsv and meta.tsv
# into the results table (min/median/max per tool, ratio hdp/peer of the
# medians, target met or not) and a gnuplot chart.
set -u
OUT=$1 MD=$2 PNG=$3

# One line per bench/tool/metric: bench tool role metric unit better n min
# median max command ratio target verdict.  Portable awk (mawk has no
# asort): an insertion sort per group.
awk -F'\t' -v OFS='\t' '
FILENAME ~ /targets.tsv$/ { tg[$1 SUBSEP $2] = $3; tw[$1 SUBSEP $2] = $4; next }
FILENAME ~ /notes.tsv$/ { ran[$1] = 1; next }
{
	ran[$1] = 1
	k = $1 SUBSEP $2 SUBSEP $4
	if (!(k in n)) { order[++nk] = k; role[k] = $3; unit[k] = $5;
		better[k] = $6; cmd[k] = $8; bench[k] = $1; tool[k] = $2;
		metric[k] = $4 }
	v = $7 + 0; c = ++n[k]
	# insert v into the sorted list vals[k, 1..c]
	for (i = c; i > 1 && vals[k, i - 1] > v; i--) vals[k, i] = vals[k, i - 1]
	vals[k, i] = v
}
END {
	for (j = 1; j <= nk; j++) {
		k = order[j]; c = n[k]
		med[k] = c % 2 ? vals[k, (c + 1) / 2] : \
			(vals[k, c / 2] + vals[k, c / 2 + 1]) / 2
		if (role[k] == "hdp") hmed[bench[k] SUBSEP metric[k]] = med[k]
	}
	for (j = 1; j <= nk; j++) {
		k = order[j]; b = bench[k]; m = metric[k]
		hk = b SUBSEP m
		ratio = ""
		if (role[k] != "hdp" && (hk in hmed) && m != "rss" &&
		    m != "time" && tool[k] !~ /^hdp/) {
			if (med[k] > 0) ratio = sprintf("%.2f", hmed[hk] / med[k])
			else if (hmed[hk] == 0) ratio = "0/0"
			else ratio = "inf"
		}
		if (role[k] == "hdp" && m == "rss") {
			for (jj = 1; jj <= nk; jj++) {
				kk = order[jj]
				if (bench[kk] == b && metric[kk] == "rss" &&
				    tool[kk] ~ /^hdp \(/ && med[kk] > 0)
					ratio = sprintf("%.2f", med[k] / med[kk])
			}
		}
		t = b SUBSEP tool[k]; spec = ""; words = ""; verdict = ""
		if ((t in tg) && (m != "rss" || tg[t] ~ /^rss:/) &&
		    (m == "rss" || tg[t] !~ /^rss:/)) {
			spec = tg[t]; words = tw[t]
			split(spec, sp, ":"); kind = sp[1]; lim = sp[2] + 0
			if (kind == "abs")
				verdict = med[k] <= lim ? "yes" : "no"
			else if (kind == "rss")
				verdict = (med[k] <= lim && (ratio == "" || \
				    ratio + 0 <= 1.25)) ? "yes" : "no"
			else if (!(hk in hmed))
				verdict = "not built"
			else if (kind == "hi")
				verdict = hmed[hk] >= lim * med[k] ? "yes" : "no"
			else if (kind == "lo")
				verdict = (hmed[hk] <= lim * med[k] || \
				    hmed[hk] == 0) ? "yes" : "no"
			else if (kind == "zero")
				verdict = hmed[hk] <= med[k] ? "yes" : "no"
		}
		if (!(b in bidx)) bidx[b] = ++nb
		rr = role[k] == "hdp" ? 1 : role[k] == "peer" ? 2 : 3
		# sort key first (removed below): benchmark order, hdp, the
		# peers, the references, then the order measured
		printf "%03d%d%03d\t", bidx[b], rr, j
		print b, tool[k], role[k], m, unit[k], better[k], n[k], \
		    vals[k, 1], med[k], vals[k, n[k]], cmd[k], ratio, words, \
		    verdict
	}
	# targets with no row at all (a benchmark whose subcommand is not
	# built has no peer either: sweep, trace)
	for (t in tg) {
		split(t, tt, SUBSEP)
		if (!(tt[1] in ran))
			continue
		seen = 0
		for (j = 1; j <= nk; j++)
			if (bench[order[j]] == tt[1] && tool[order[j]] == tt[2])
				seen = 1
		if (!seen)
			print tt[1], tt[2], tw[t] > "/dev/stderr"
	}
}' "$OUT/targets.tsv" "$OUT/notes.tsv" "$OUT/samples.tsv" \
	2>"$OUT/unmeasured.tsv" |
	sort | cut -f 2- >"$OUT/summary.tsv"

# fmt UNIT VALUE: numbers as people read them.
fmt_awk='
function fmt(u, v) {
	if (v == "") return ""
	if (u == "pps") return sprintf("%\047d", v)
	if (u == "s") return sprintf("%.3f", v)
	if (u == "%") return sprintf("%.2f", v)
	if (u == "KiB") return sprintf("%.1f", v / 1024)
	return v
}
function unitname(u) { return u == "KiB" ? "MiB" : u }'

meta() { sed -n "s/^$1	//p" "$OUT/meta.tsv"; }

{
	echo "# hdp benchmarks: results"
	echo
	echo "Measured $(meta date) on commit \`$(meta commit)\` ($(meta hdp)) by"
	echo "\`make bench\` (\`bench/run.sh\`); see [README.md](README.md) for"
	echo "what each benchmark does and how to read it."
	echo
	echo "- machine: $(meta machine)"
	echo "- $(meta load); other helpers' builds and tests may have run at"
	echo "  the same time, so absolute figures can vary (+-15% run to run);"
	echo "  the ratios come from runs taken alternately in the same minutes"
	echo "- $(meta mode); min / median / max over the repetitions;"
	echo "  \"hdp/this\" is the ratio of hdp's median to that row's median"
	echo "- peers: $(meta peers)"
	echo
	echo "![hdp against its peers](results.png)"
	echo
	echo "## Speed, loss and time"
	echo
	echo "| benchmark | tool | command | unit | n | min | median | max | hdp/this | target | met |"
	echo "| --- | --- | --- | --- | --- | ---: | ---: | ---: | ---: | --- | --- |"
	awk -F'\t' "$fmt_awk"'
	$4 != "rss" {
		printf "| %s | %s | `%s` | %s | %s | %s | %s | %s | %s | %s | %s |\n",
		    $1, $2, $11, $5, $7, fmt($5, $8), fmt($5, $9),
		    fmt($5, $10), $12, $13, $14
	}' "$OUT/summary.tsv"
	awk -F'\t' '{ printf "| %s | %s | | | | | | | | %s | not built |\n", $1, $2, $3 }' \
		"$OUT/unmeasured.tsv" | sort -u
	echo
	echo "## Peak memory (RSS from /usr/bin/time)"
	echo
	echo "| benchmark | tool | command | n | min MiB | median MiB | max MiB | note | target | met |"
	echo "| --- | --- | --- | --- | ---: | ---: | ---: | --- | --- | --- |"
	awk -F'\t' "$fmt_awk"'
	$4 == "rss" {
		note = ($3 == "hdp" && $12 != "") ? "1M file / small file: " $12 : ""
		printf "| %s | %s | `%s` | %s | %s | %s | %s | %s | %s | %s |\n",
		    $1, $2, $11, $7, fmt($5, $8), fmt($5, $9), fmt($5, $10),
		    note, $13, $14
	}' "$OUT/summary.tsv"
	echo
	echo "## Notes from the run"
	echo
	if [ -s "$OUT/notes.tsv" ]; then
		awk -F'\t' '!seen[$0]++ { printf "- %s%s: %s\n", $1, \
			($2 == "-" ? "" : " (" $2 ")"), $3 }' "$OUT/notes.tsv"
	else
		echo "- none"
	fi
} >"$MD"

# Chart: ratio hdp/peer against the target for the speed benchmarks (log
# scale), and the live-capture losses side by side.
awk -F'\t' '$12 != "" && $4 == "rate" && $13 != "" {
	split($13, w, " "); t = w[2]; sub(/x,?$/, "", t)
	printf "\"%s\\n%s\"\t%s\t%s\n", $1, $2, $12, t }' \
	"$OUT/summary.tsv" >"$OUT/ratios.dat"
awk -F'\t' '$4 == "loss" { printf "%s\t%s\t%s\n", $1, $2, $9 }' \
	"$OUT/summary.tsv" |
	awk -F'\t' '{ v[$1, $2] = $3; b[$1] = 1 }
	END { for (x in b) printf "%s\t%s\t%s\n", x,
		((x SUBSEP "tcpdump") in v) ? v[x, "tcpdump"] : 0,
		((x SUBSEP "hdp") in v) ? v[x, "hdp"] : 0 }' |
	sort >"$OUT/loss.dat"
if command -v gnuplot >/dev/null 2>&1 && [ -s "$OUT/ratios.dat" ]; then
	hl=0; [ -s "$OUT/loss.dat" ] && hl=1
	gnuplot -e "ratios='$OUT/ratios.dat'; loss='$OUT/loss.dat'; has_loss=$hl; out='$PNG'; title='$(meta date), $(meta commit)'" \
		"$(dirname "$0")/plot.gp" 2>"$OUT/gnuplot.err" ||
		echo "bench/report.sh: gnuplot failed: $(head -n 1 "$OUT/gnuplot.err")" >&2
fi
exit 0
