#!/bin/sh
# bench/where_crafted.sh: hdp where on captures crafted against it, side by
# side with the same number of ordinary packets (issue 15), as ratios.
#
#   bench/where_crafted.sh [--n N] [--reps R] [--old HDP] [--out FILE]
#
# Cases (captures made by tests/where_crafted.py in a temporary directory,
# removed at exit), each against its ordinary counterpart:
#   samets   A=F B=F, N packets sharing one HDP timestamp    vs ordinary
#   collide  A=F B=F, N timestamps colliding in the old hash vs ordinary
#   jumps    A=F B=F, N packets, the clock jumping back      vs ordinary
#   instant  64 points, N packets at one capture instant     vs spread
#            (the same packets 1 us apart)
# Each case and its counterpart run alternately R times (default 3); the
# figures are the medians of wall time and of peak RSS (GNU time's %M),
# the ratio crafted / ordinary.  Targets: time ratio <= 3; instant's peak
# RSS < 300 MiB at N = 1,000,000.  --old HDP also runs another build once
# per case (with a 600 s limit) for a before/after line.  Needs no root
# and sends nothing.  Results: a Markdown table on standard output and in
# FILE (default bench/results/where_crafted.md).  Exits 0 whatever the
# figures are.

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${HDP:=$top_builddir/src/hdp}"
N=1000000
REPS=3
OLD=""
OUTF=$top_srcdir/bench/results/where_crafted.md
while [ $# -gt 0 ]; do
	case $1 in
	--n) N=$2; shift ;;
	--reps) REPS=$2; shift ;;
	--old) OLD=$2; shift ;;
	--out) OUTF=$2; shift ;;
	*) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
	shift
done
[ -x /usr/bin/time ] || { echo "where_crafted.sh: needs GNU time" >&2; exit 77; }
W=$(mktemp -d "${TMPDIR:-/tmp}/hdp-bench-where.XXXXXX") || exit 2
trap 'rm -rf "$W"' EXIT
trap 'exit 130' INT TERM
mkdir -p "$(dirname "$OUTF")" || exit 2

gen() { python3 "$top_srcdir/tests/where_crafted.py" "$W" "$@" || exit 2; }
say() { echo "where_crafted: $*" >&2; }

say "making captures of $N packets in $W"
for k in ordinary samets collide jumps; do gen $k "$N"; done
gen instant "$N" 64
gen spread "$N" 64
pts() {
	i=0
	while [ $i -lt 64 ]; do printf ' P%d=%s/%s-%d.pcap' $i "$W" "$1" $i; i=$((i + 1)); done
}
args_of() {
	case $1 in
	instant|spread) pts "$1" ;;
	*) echo "A=$W/$1.pcap B=$W/$1.pcap" ;;
	esac
}

# one BIN CASE [LIMIT]: one run; prints "SECONDS RSS_KIB STATUS"
one() {
	t0=$(date +%s%N)
	# shellcheck disable=SC2046
	/usr/bin/time -f %M -o "$W/rss" timeout "${3:-600}" "$1" where -q \
		$(args_of "$2") >/dev/null 2>"$W/err"
	rc=$?
	t1=$(date +%s%N)
	echo "$(( (t1 - t0) / 1000000 )) $(tail -n 1 "$W/rss" | tr -dc 0-9) $rc"
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

: >"$W/samples"
for pair in "samets ordinary" "collide ordinary" "jumps ordinary" \
	"instant spread"; do
	set -- $pair
	r=0
	while [ $r -lt "$REPS" ]; do
		for c in "$2" "$1"; do
			echo "$c $(one "$HDP" "$c")" >>"$W/samples"
		done
		r=$((r + 1))
	done
	say "$1 / $2 done"
done

fig() { awk -v c="$1" -v f="$2" '$1 == c { print $f }' "$W/samples" | median; }
{
	echo "hdp where on crafted captures, $N packets, $(date -u '+%Y-%m-%d %H:%M UTC'),"
	echo "commit $(git -C "$top_srcdir" rev-parse --short HEAD 2>/dev/null),"
	echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg);"
	echo "medians of $REPS runs each, alternating with the ordinary counterpart."
	echo
	echo "| case | ordinary counterpart | crafted | ordinary | time ratio (<= 3) | peak RSS crafted | peak RSS ordinary |"
	echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
	for pair in "samets ordinary" "collide ordinary" "jumps ordinary" \
		"instant spread"; do
		set -- $pair
		tc=$(fig "$1" 2) to=$(fig "$2" 2) mc=$(fig "$1" 3) mo=$(fig "$2" 3)
		awk -v a="$1" -v b="$2" -v tc="$tc" -v to="$to" -v mc="$mc" \
			-v mo="$mo" 'BEGIN { r = to > 0 ? tc / to : 0
			printf("| %s | %s | %.3f s | %.3f s | %.2f | %.1f MiB | %.1f MiB |\n", a, b, tc / 1000, to / 1000, r, mc / 1024, mo / 1024) }'
	done
	if [ -n "$OLD" ]; then
		echo
		echo "Before: $OLD, one run each (600 s limit)."
		echo
		echo "| case | time | peak RSS | exit |"
		echo "| --- | ---: | ---: | ---: |"
		for c in ordinary samets collide jumps spread instant; do
			set -- $(one "$OLD" "$c" 600)
			echo "| $c | $(awk -v t="$1" 'BEGIN { printf "%.3f s", t / 1000 }') | $(awk -v m="$2" 'BEGIN { printf "%.1f MiB", m / 1024 }') | $3$([ "$3" = 124 ] && echo ' (timed out)') |"
		done
	fi
} >"$OUTF"
cat "$OUTF"
exit 0
