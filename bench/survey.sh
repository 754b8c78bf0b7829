#!/bin/sh
# bench/survey.sh: hdp survey (issue 18) on the simulated internet of
# tests/internet.sh: targets per minute and peak memory for 1,000 and
# 10,000 targets, at the default --rate and at a high one (see README.md,
# "survey").  bench/run.sh runs it as the benchmark "survey"; alone:
#
#   sh bench/survey.sh [--smoke] [--reps N] [--cap SECONDS] [--samples FILE]
#                      [--notes FILE]
#
# One internet of 10,000 targets (1,000 in --smoke) is built; the 1,000
# set is every tenth line of it, so both hold every class in the same
# shares.  Each run is `hdp survey --json --no-trace -T FILE` from vantage
# A, under /usr/bin/time (peak RSS) and stopped with SIGINT after --cap
# seconds (hdp writes the targets it completed and its summary): targets
# per minute = completed targets / wall time.  A run at the default rate
# of 10,000 targets would take 30 minutes (18 packets a target at 100
# packets/s): the cap measures its steady rate instead.  One more run
# with TTL walks (no --no-trace), 1,000 targets at the high rate, shows
# what the walks cost.
#
# Samples go to FILE in bench/lib.sh's format (bench tool role metric
# unit better value command); a summary is printed.  Needs root; exits 0
# whatever the figures, 77 when it cannot run.
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${HDP:=$top_builddir/src/hdp}"
SMOKE=0 REPS=3 CAP="" SAMPLES="" NOTES=""
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) SMOKE=1 ;;
	--reps) REPS=$2; shift ;;
	--cap) CAP=$2; shift ;;
	--samples) SAMPLES=$2; shift ;;
	--notes) NOTES=$2; shift ;;
	*) echo "usage: bench/survey.sh [--smoke] [--reps N] [--cap S]" \
		"[--samples FILE] [--notes FILE]" >&2; exit 2 ;;
	esac
	shift
done
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/internet.sh"
[ -n "$SAMPLES" ] || SAMPLES=$TMPD/samples.tsv
[ -n "$NOTES" ] || NOTES=$TMPD/notes.tsv
note() { printf 'survey\t%s\t%s\n' "$1" "$2" >>"$NOTES"; echo "survey: $2" >&2; }

[ "$(id -u)" -eq 0 ] || { echo "bench/survey.sh: needs root" >&2; exit 77; }
if ! [ -x "$HDP" ] || "$HDP" survey --help 2>&1 | grep -q "not built yet"; then
	note hdp "hdp survey: not built"
	exit 0
fi
[ -x /usr/bin/time ] || { note hdp "needs /usr/bin/time (GNU time)"; exit 0; }

if [ "$SMOKE" -eq 1 ]; then
	NBIG=256; SIZES="256"; REPS=1; HIGH=10000; CAP=${CAP:-12}
else
	NBIG=10000; SIZES="1000 10000"; HIGH=10000; CAP=${CAP:-45}
fi
DEF=$("$HDP" help survey 2>/dev/null |
	sed -n 's/.*--rate PPS.*(default \([0-9]*\)).*/\1/p' | head -n 1)
: "${DEF:=100}"

t0=$(date +%s)
internet_up "$NBIG"
note - "internet of $NBIG targets built in $(( $(date +%s) - t0 )) s ($(wc -l <"$INET_DIR/targets") targets, 17 namespaces)"
cp "$INET_DIR/targets" "$TMPD/t$NBIG"
for n in $SIZES; do
	[ -f "$TMPD/t$n" ] && continue
	awk -v k=$((NBIG / n)) 'NR % k == 1' "$INET_DIR/targets" | head -n "$n" >"$TMPD/t$n"
done

# one_run LABEL N RATE [EXTRA...]: a capped run; records targets/min, RSS
one_run() {
	label=$1 n=$2 rate=$3; shift 3
	cmd="$HDP survey --json -q --rate $rate -T $TMPD/t$n $*"
	s=$(date +%s%N)
	# shellcheck disable=SC2086
	/usr/bin/time -f %M -o "$TMPD/rss" ip netns exec "$NS_VA" \
		timeout -s INT -k 10 "$CAP" $cmd >"$TMPD/out" 2>"$TMPD/err"
	rc=$?
	e=$(date +%s%N)
	done_t=$(grep -c '"type":"result"' "$TMPD/out")
	done_t=$((done_t / 6))
	rss=$(tail -n 1 "$TMPD/rss" | tr -dc 0-9)
	tpm=$(awk -v d="$done_t" -v ns=$((e - s)) 'BEGIN { printf "%.0f", d * 60e9 / ns }')
	secs=$(awk -v ns=$((e - s)) 'BEGIN { printf "%.1f", ns / 1e9 }')
	case $rc in 0|1|124|130) ;; *) note "$label" "exit $rc: $(head -n 1 "$TMPD/err")" ;; esac
	shown="hdp survey --json -q --rate $rate -T targets($n) $*"
	printf 'survey\t%s\thdp\trate\ttargets/min\thi\t%s\t%s\n' "$label" "$tpm" "$shown" >>"$SAMPLES"
	printf 'survey\t%s\thdp\trss\tKiB\tlo\t%s\t%s\n' "$label" "${rss:-0}" "$shown" >>"$SAMPLES"
	echo "survey: $label: $done_t of $n targets in $secs s (cap $CAP s, exit $rc): $tpm targets/min, peak RSS ${rss:-?} KiB" >&2
}

i=0
while [ "$i" -lt "$REPS" ]; do
	i=$((i + 1))
	for n in $SIZES; do
		one_run "hdp ($n targets, --rate $HIGH)" "$n" "$HIGH" --no-trace
		# default-rate runs are bound by the rate (one repetition is
		# enough; each is capped)
		[ "$i" -eq 1 ] && [ "$SMOKE" -eq 0 ] && one_run "hdp ($n targets, default --rate $DEF)" "$n" "$DEF" --no-trace
	done
done
n=${SIZES%% *}
[ "$SMOKE" -eq 0 ] && one_run "hdp ($n targets, --rate $HIGH, TTL walks)" "$n" "$HIGH"
exit 0
