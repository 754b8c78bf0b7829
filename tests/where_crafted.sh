#!/bin/sh
# where_crafted.sh: hdp where stays correct and bounded on input crafted
# against it (issue 15), with captures made here by where_crafted.py:
#  - one capture given at both points (A=F B=F) finds every packet at both
#    points and exits 0, when all packets share one HDP timestamp, when
#    their timestamps collide in the hash hdp used to use, when the
#    capture clock jumps forward and back (and past 2^31 s and 2^32-1 s),
#    and on real-world captures from tcpdump's tests whose clocks jump;
#  - a clock crossing 2^31 s (2038) or 2^32 s (2106, pcapng) between two
#    points does not separate the packets;
#  - 64 points that each saw other packets, all at one capture instant,
#    stay within memory bounds (ulimit -v and the peak RSS), and past
#    --memory the run says so on stderr and in --json;
#  - a link type libpcap has no name for is named "DLT n";
#  - labels and file names print escaped (no raw control bytes);
#  - bench/where_crafted.sh still runs.
# No timing is judged: the runs only have a generous timeout (a lookup
# linear in the packets sharing a timestamp takes minutes here).
. "$top_srcdir/tests/trace_lib.sh"
need_cmd python3 timeout
bin=${HDP_REAL:-$HDP}
N=100000
[ -n "${HDP_VALGRIND:-}" ] && N=20000
gen() {
	python3 "$top_srcdir/tests/where_crafted.py" "$TMPD" "$@" ||
		fatal "where_crafted.py $*"
}
sum_of() { jq_py "$1" "$2"; }

# ff NAME FILE COUNT [ARGS]: A=FILE B=FILE: COUNT packets, every one at
# both points, none a duplicate, exit 0
ff() {
	_n=$1 _f=$2 _c=$3
	shift 3
	timeout 300 "$HDP" where --json "$@" A="$_f" B="$_f" \
		>"$TMPD/$_n.json" 2>"$TMPD/$_n.err"
	rc=$?
	expect_eq "$_n: exit 0 $(head -c 300 "$TMPD/$_n.err")" "$rc" 0
	expect_eq "$_n: every packet at both points" "$(sum_of "$TMPD/$_n.json" \
		'(one(type="summary")["packets"], one(type="summary")["vanished"], one(type="segment")["left"], one(type="point",index=1)["duplicates"])')" \
		"($_c, 0, $_c, 0)"
}

for k in samets collide jumps; do
	gen $k $N
	ff $k "$TMPD/$k.pcap" $N
	rm -f "$TMPD/$k.pcap"
done
expect_eq "jumps: the clock went back, counted" \
	"$(sum_of "$TMPD/jumps.json" 'one(type="point",index=0)["clock_steps_back"] > 0')" True

# captures shaped like real-world ones whose clocks jump or pass 2038 and
# 2106 (pcaps/realworld, made by mkrealworld.py; every IP packet, not only
# HDP, and their HDP copies)
for f in "$top_srcdir"/pcaps/realworld/time_*.pcap \
	 "$top_srcdir"/pcaps/realworld/time_*.pcapng; do
	b=$(basename "$f")
	"$HDP" where --json --filter '' A="$f" B="$f" >"$TMPD/$b.json" \
		2>"$TMPD/$b.err"
	rc=$?
	expect_eq "$b: exit 0 $(head -c 300 "$TMPD/$b.err")" "$rc" 0
	expect_eq "$b: none vanished, as many at A as at B" \
		"$(sum_of "$TMPD/$b.json" '(one(type="summary")["vanished"], one(type="point",index=0)["packets"] == one(type="point",index=1)["packets"])')" \
		"(0, True)"
	if command -v tcpdump >/dev/null 2>&1; then
		# (one line a frame; tcpdump 4.99 prints no time past 2^31 s)
		expect_eq "$b: every frame read, as tcpdump counts them" \
			"$(sum_of "$TMPD/$b.json" 'one(type="point",index=0)["frames"]')" \
			"$(tcpdump -nr "$f" 2>/dev/null | wc -l)"
	fi
done

# 2038 and 2106: the same packets 2 s later at B, across each limit
gen wrap 2000
for w in "wrap31-a.pcap wrap31-b.pcap" "wrap32-a.pcap wrap32-b.pcapng"; do
	set -- $w
	"$HDP" where --json A="$TMPD/$1" B="$TMPD/$2" >"$TMPD/w.json" 2>&1
	expect_eq "$1 -> $2: exit 0" "$?" 0
	expect_eq "$1 -> $2: every packet at both points" \
		"$(sum_of "$TMPD/w.json" '(one(type="summary")["packets"], one(type="segment")["left"])')" \
		"(2000, 2000)"
done

# 64 points, N packets at one capture instant, each seen at one point
gen instant $N 64
args=""
for i in $(seq 0 63); do args="$args P$i=$TMPD/instant-$i.pcap"; done
# shellcheck disable=SC2086
timeout 300 "$HDP" where --json $args >"$TMPD/i.json" 2>"$TMPD/i.err"
expect_eq "instant: exit 1 (every packet vanished after one point)" "$?" 1
expect_eq "instant: every packet reported once, within the default bound" \
	"$(sum_of "$TMPD/i.json" '(one(type="summary")["packets"], one(type="summary")["decided_early"])')" \
	"($N, 0)"
# shellcheck disable=SC2086
"$HDP" where --json --memory 4 $args >"$TMPD/i4.json" 2>"$TMPD/i4.err"
expect_eq "instant --memory 4: exit 1" "$?" 1
expect_eq "instant --memory 4: the bound is hit and said in --json" \
	"$(sum_of "$TMPD/i4.json" '(one(type="summary")["packets"], one(type="summary")["memory_mib"], one(type="summary")["decided_early"] > 0, one(type="summary")["decided_early"] == one(type="summary")["decided_early_unfinished"])')" \
	"($N, 4, True, True)"
expect_eq "instant --memory 4: one note on stderr" \
	"$(grep -c '^hdp where: note: more than 4 MiB of packets were held' "$TMPD/i4.err")" 1
"$HDP" where --memory 0 A=x.pcap B=x.pcap >/dev/null 2>&1
expect_eq "--memory 0: exit 2" "$?" 2

# memory: a sanitizer build or valgrind measures itself, not hdp
if [ -z "${HDP_VALGRIND:-}" ] && ! grep -q __asan_init "$bin" 2>/dev/null
then
	# one-point packets hold one point's state: about 300 bytes each,
	# where 64 points' state each took 4 KiB (400 MiB for 100k)
	# shellcheck disable=SC2086
	( ulimit -v 262144 && exec "$bin" where -q $args ) >/dev/null \
		2>"$TMPD/uv.err"
	rc=$?
	expect_eq "instant: runs within ulimit -v 256 MiB $(head -c 200 \
		"$TMPD/uv.err")" "$rc" 1
	if [ -x /usr/bin/time ]; then
		# shellcheck disable=SC2086
		/usr/bin/time -f %M -o "$TMPD/rss" "$bin" where -q --memory 8 \
			$args >/dev/null 2>&1
		rss=$(tail -1 "$TMPD/rss")
		echo "instant --memory 8: peak RSS $rss KiB"
		check "instant --memory 8: peak RSS under 48 MiB ($rss KiB)" \
			[ "$rss" -lt 49152 ]
	fi
fi
rm -f "$TMPD"/instant-*.pcap

# a link type libpcap has no name for
gen dlt160 2
"$HDP" where "$TMPD/dlt160.pcap" "$TMPD/dlt160.pcap" >/dev/null \
	2>"$TMPD/dlt.err"
expect_eq "DLT 160: exit 2" "$?" 2
check "DLT 160: named, no (null): $(cat "$TMPD/dlt.err")" \
	grep -q "dlt160.pcap: link type DLT 160 (160) is not supported" \
	"$TMPD/dlt.err"

# labels and file names from the user reach the terminal escaped
esc=$(printf 'r\033[2Jx')
cp "$TMPD/wrap31-a.pcap" "$TMPD/$esc.pcap"
"$HDP" where "$TMPD/$esc.pcap" "$TMPD/wrap31-a.pcap" >"$TMPD/esc.txt"
expect_eq "escaped: exit 0" "$?" 0
expect_eq "escaped: no raw ESC in the text output" \
	"$(tr -dc '\033' <"$TMPD/esc.txt" | wc -c | tr -d ' ')" 0
check "escaped: label (from the file name) shown as r\\x1b[2Jx" \
	grep -qF 'point 0 r\x1b[2Jx: ' "$TMPD/esc.txt"
# a LABEL must be a plain name: with control bytes "LABEL=FILE" is one
# file name, missing here, and said escaped
"$HDP" where "$TMPD/wrap31-a.pcap" "$esc=nosuch.pcap" >/dev/null \
	2>"$TMPD/esc.err"
expect_eq "escaped: a label with control bytes is no label: exit 4" "$?" 4
check "escaped: ... and its name is said escaped" \
	grep -qxF 'hdp where: r\x1b[2Jx=nosuch.pcap: No such file or directory' \
	"$TMPD/esc.err"

# the benchmark of these cases still runs (tiny; its figures mean nothing)
if [ -x /usr/bin/time ]; then
	HDP=$bin sh "$top_srcdir/bench/where_crafted.sh" --n 2000 --reps 1 \
		--out "$TMPD/bench.md" >/dev/null 2>"$TMPD/bench.err"
	expect_eq "bench/where_crafted.sh runs $(tail -n 2 "$TMPD/bench.err")" \
		"$(grep -cE '^\| [a-z]+ \| [a-z]+ \| [0-9.]+ s \| [0-9.]+ s \| [0-9.]+ \|' \
			"$TMPD/bench.md")" 4
fi
finish
