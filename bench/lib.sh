# bench/lib.sh: helpers for the benchmarks (sourced by bench/run.sh).
#
# Every benchmark runs hdp and its peer tool in the same run, one after the
# other, REPS times each, and appends one line per measurement to
# $OUT/samples.tsv:
#     bench  tool  role  metric  unit  better  value  command
# role is hdp, peer or ref (a reference such as the I/O floor); better is
# "hi" (a rate) or "lo" (a time, a loss, a size).  report.sh turns the
# samples into min/median/max and the ratio hdp/peer.
#
# All traffic stays inside network namespaces made here (named with this
# run's PID) and removed on exit with every process started here.

set -u
: "${HDP:=${top_builddir:-.}/src/hdp}"
B_TAG="hb$$"
B_PIDS=""
# Work files: big captures live on tmpfs when there is one (the disk would
# be measured too otherwise).
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	WORK=$(mktemp -d /dev/shm/hdp-bench.XXXXXX)
else
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/hdp-bench.XXXXXX")
fi

b_cleanup() {
	for p in $B_PIDS; do kill "$p" 2>/dev/null; done
	for p in $B_PIDS; do wait "$p" 2>/dev/null; done
	# ns_add runs in command substitutions (subshells): the names are
	# kept in a file, not in a variable
	for n in $(cat "$WORK/netns" 2>/dev/null); do
		ip netns del "$n" 2>/dev/null
	done
	rm -rf "$WORK"
}
trap b_cleanup EXIT
trap 'exit 130' INT TERM

say() { echo "bench: $*" >&2; }

# now_ns: wall clock in nanoseconds.
now_ns() { date +%s%N; }

# fdiv A B [DIGITS]: A / B as a decimal.
fdiv() { awk -v a="$1" -v b="$2" -v d="${3:-1}" \
	'BEGIN { if (b == 0) print "nan"; else printf "%.*f\n", d, a / b }'; }

# ns_add NAME: a fresh namespace with lo up; prints its full name.
ns_add() {
	n="$B_TAG-$1"
	ip netns add "$n" || { say "cannot create namespace $n"; return 1; }
	echo "$n" >>"$WORK/netns"
	ip -n "$n" link set lo up
	echo "$n"
}

# ns_veth NS1 IF1 MAC1 ADDR1 NS2 IF2 MAC2 ADDR2: a veth pair with fixed
# MAC addresses (so a capture file made for it has the right ones) and
# permanent neighbour entries both ways (no ARP during a measurement).
ns_veth() {
	ip link add "$2" netns "$1" address "$3" type veth \
		peer name "$6" netns "$5" address "$7" || return 1
	ip -n "$1" addr add "$4/24" dev "$2"
	ip -n "$5" addr add "$8/24" dev "$6"
	ip -n "$1" link set "$2" up
	ip -n "$5" link set "$6" up
	ip -n "$1" neigh replace "$8" lladdr "$7" dev "$2" nud permanent
	ip -n "$5" neigh replace "$4" lladdr "$3" dev "$6" nud permanent
}

# Counters read from inside a namespace.
cnt_rx() { ip netns exec "$1" cat "/sys/class/net/$2/statistics/rx_packets"; }
cnt_tx() { ip netns exec "$1" cat "/sys/class/net/$2/statistics/tx_packets"; }
# cnt_nft NS: packets of IP protocol 255 seen by the output hook (set up by
# nft_counter); independent of what the sending tool claims.
nft_counter() {
	ip netns exec "$1" nft -f - <<'EOF'
table ip hdpbench {
	chain out {
		type filter hook output priority 0; policy accept;
		ip protocol 255 counter
	}
}
EOF
}
cnt_nft() {
	ip netns exec "$1" nft list chain ip hdpbench out |
		sed -n 's/.*counter packets \([0-9]*\).*/\1/p'
}

# hdp_has CMD: 0 when "hdp CMD" is built (the stubs exit 2 saying "not
# built yet" whatever their arguments are).
hdp_has() {
	[ -x "$HDP" ] || return 1
	o=$(timeout 5 "$HDP" "$1" --help 2>&1 </dev/null)
	rc=$?
	if [ "$rc" -eq 2 ] && echo "$o" | grep -q "not built yet"; then
		return 1
	fi
	return 0
}

# hdp_opt CMD OPTION: 0 when "hdp help CMD" mentions OPTION.
hdp_opt() {
	timeout 5 "$HDP" help "$1" 2>/dev/null | grep -q -e "$2"
}

# rec BENCH TOOL ROLE METRIC UNIT BETTER VALUE COMMAND: one measurement.
rec() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$OUT/samples.tsv"
}

# note BENCH TOOL TEXT: a remark shown under the table (not built, failed
# run, sanity check).
note() {
	printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$OUT/notes.tsv"
}

# over_budget START_NS: true when this benchmark has used its time budget
# (at least MIN_REPS repetitions are always run).
over_budget() {
	[ $(( ($(now_ns) - $1) / 1000000000 )) -ge "$BUDGET" ]
}

# rep_start; while rep_next; do ...; done: a benchmark's repetitions, REPS
# of them, fewer (but MIN_REPS at least) once BUDGET seconds are used.
rep_start() { REP_T0=$(now_ns); REP_I=0; }
rep_next() {
	[ "$REP_I" -lt "$REPS" ] || return 1
	[ "$REP_I" -ge "$MIN_REPS" ] && over_budget "$REP_T0" && return 1
	REP_I=$((REP_I + 1))
}

# show COMMAND...: the command as text for the results table.
show() {
	echo "$*" | sed "s#$WORK/##g; s#$B_TAG-##g; s#${HDP_FLOOR:-/nonexistent}#hdp-floor#g; s#$HDP#hdp#g; s#  *# #g"
}

# RSS of the last run_timed / sender_rate, in KiB.
LAST_RSS=0
LAST_RC=0

# run_timed OUTFILE COMMAND...: run to completion, set LAST_SECS (wall
# seconds), LAST_RSS (peak resident set, KiB, from /usr/bin/time) and
# LAST_RC.  Bounded by RUN_LIMIT seconds.
run_timed() {
	o=$1; shift
	t0=$(now_ns)
	/usr/bin/time -f %M -o "$WORK/rss" \
		timeout -k 2 "$RUN_LIMIT" "$@" >"$o" 2>"$WORK/stderr"
	LAST_RC=$?
	t1=$(now_ns)
	LAST_SECS=$(fdiv $((t1 - t0)) 1000000000 4)
	LAST_RSS=$(tail -n 1 "$WORK/rss" | tr -dc 0-9)
	: "${LAST_RSS:=0}"
}

# sender_rate NS COUNTER DURATION COMMAND...: run COMMAND (a flood) in NS
# for WARM + DURATION (+ a little) seconds, bounded by timeout; set RATE to
# the packets per second COUNTER (a shell command printing a number) moved
# between WARM and WARM + DURATION: the steady rate, start-up excluded,
# counted outside the tool.  Sets LAST_RC (0 or 124: ran until stopped)
# and LAST_RSS.
sender_rate() {
	ns=$1 cnt=$2 dur=$3; shift 3
	total=$(awk -v w="$WARM" -v d="$dur" 'BEGIN { print w + d + 0.4 }')
	/usr/bin/time -f %M -o "$WORK/rss" ip netns exec "$ns" \
		timeout -s INT -k 2 "$total" "$@" >"$WORK/stdout" \
		2>"$WORK/stderr" &
	sp=$!
	B_PIDS="$B_PIDS $sp"
	sleep "$WARM"
	c1=$($cnt); t1=$(now_ns)
	sleep "$dur"
	c2=$($cnt); t2=$(now_ns)
	wait "$sp"
	LAST_RC=$?
	B_PIDS=$(echo "$B_PIDS" | sed "s/ $sp\$//; s/ $sp / /")
	LAST_RSS=$(tail -n 1 "$WORK/rss" | tr -dc 0-9)
	: "${LAST_RSS:=0}"
	RATE=$(awk -v a="${c1:-0}" -v b="${c2:-0}" -v t="$((t2 - t1))" \
		'BEGIN { printf "%.0f\n", (b - a) * 1e9 / t }')
}

# rc_note BENCH TOOL: after sender_rate, a note when the flood did not run
# until it was stopped (exit 124) or to its end (0).
rc_note() {
	[ "$LAST_RC" -eq 124 ] || [ "$LAST_RC" -eq 0 ] ||
		note "$1" "$2" "exit $LAST_RC: $(first_err)"
}

# first_err: the first line of the last run's standard error (for notes).
first_err() { head -n 1 "$WORK/stderr" 2>/dev/null | cut -c 1-160; }
