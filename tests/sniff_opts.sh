#!/bin/sh
# sniff_opts.sh: hdp sniff's flags as tcpdump(8) means them (issue 16),
# tcpdump run side by side as the judge:
#   - options may follow the filter expression (GNU getopt, as tcpdump on
#     Linux), and '--' ends the options;
#   - -s SNAPLEN: 0 to 262144, 0 meaning 262144; a live capture with -s N
#     keeps N bytes of each packet, as tcpdump -s N does (tshark judges
#     both files);
#   - -S is accepted and changes nothing (HDP has no sequence numbers);
#   - every usage error names the argument that is wrong, in one line.
. "$top_srcdir/tests/lib.sh"
need_cmd tcpdump
P=$top_srcdir/pcaps/lo4.pcap

# lines FILE: packet lines (they start with the time stamp)
lines() { grep -c '^[0-9]' "$1"; }

# 1. options after the filter expression, as tcpdump takes them
"$HDP" sniff -n -r "$P" 'ip[9] == 255' -c 1 >"$TMPD/after.out" \
	2>"$TMPD/after.err"; rc=$?
tcpdump -n -r "$P" 'ip[9] == 255' -c 1 >"$TMPD/after.td" 2>/dev/null
expect_eq "-c after the expression: exit 0" "$rc" 0
expect_eq "-c after the expression: 1 packet, as tcpdump" \
	"$(lines "$TMPD/after.out")" "$(lines "$TMPD/after.td")"
grep -q "bad filter" "$TMPD/after.err" &&
	fail "-c taken as part of the filter: $(cat "$TMPD/after.err")"
"$HDP" sniff -r "$P" ip -n --json -c 2 >"$TMPD/json.out" 2>/dev/null
expect_eq "--json after the expression" "$(grep -c '^{' "$TMPD/json.out")" 2
# an expression in several words, unquoted, options between and after
"$HDP" sniff -r "$P" ip proto 255 -n and dst host 127.0.0.1 -c 3 \
	>"$TMPD/words.out" 2>"$TMPD/words.err"; rc=$?
tcpdump -r "$P" ip proto 255 -n and dst host 127.0.0.1 -c 3 \
	>"$TMPD/words.td" 2>/dev/null
expect_eq "words and options mixed: exit 0" "$rc" 0
expect_eq "words and options mixed: as tcpdump" "$(lines "$TMPD/words.out")" \
	"$(lines "$TMPD/words.td")"
expect_eq "words and options mixed: 3 packets" "$(lines "$TMPD/words.out")" 3

# 2. '--' ends the options: what follows is expression, even '-c 1'
"$HDP" sniff -n -r "$P" -- -c 1 >/dev/null 2>"$TMPD/dd.err"; rc=$?
tcpdump -n -r "$P" -- -c 1 >/dev/null 2>&1; trc=$?
expect_eq "-- then '-c 1': a bad filter (exit 2)" "$rc" 2
check "tcpdump refuses it too" [ "$trc" -ne 0 ]
check "the bad filter is named as written" grep -q "'-c 1'" "$TMPD/dd.err"
expect_eq "one line of error" "$(wc -l <"$TMPD/dd.err")" 1
"$HDP" sniff -n -r "$P" -- 'ip[9] == 255' >"$TMPD/dd.out" 2>/dev/null
tcpdump -n -r "$P" -- 'ip[9] == 255' >"$TMPD/dd.td" 2>/dev/null
expect_eq "-- then an expression: as tcpdump" "$(lines "$TMPD/dd.out")" \
	"$(lines "$TMPD/dd.td")"

# 3. -S: accepted, nothing changes
"$HDP" sniff -n -r "$P" >"$TMPD/noS.out" 2>/dev/null
"$HDP" sniff -n -S -r "$P" >"$TMPD/S.out" 2>"$TMPD/S.err"; rc=$?
expect_eq "-S: exit 0" "$rc" 0
check "-S: the same lines as without" cmp -s "$TMPD/noS.out" "$TMPD/S.out"
"$HDP" sniff -nS -r "$P" >"$TMPD/nS.out" 2>/dev/null
check "-nS (tcpdump's habit): the same lines" \
	cmp -s "$TMPD/noS.out" "$TMPD/nS.out"

# 4. bad values: exit 2, one line naming the option and the value;
# tcpdump refuses the same -s values
for a in "-s abc" "-s 262145" "-s -1" "-c 0" "-c x" "-B 0" \
	 "-Q sideways" "-y NO_SUCH_DLT" "-C 0 -w $TMPD/x.pcap"; do
	set -- $a
	"$HDP" sniff -r "$P" "$@" >/dev/null 2>"$TMPD/bad.err"; rc=$?
	expect_eq "$a: exit 2" "$rc" 2
	grep -q -- "$1" "$TMPD/bad.err" && grep -q -- "$2" "$TMPD/bad.err" ||
		fail "$a: the error does not name it: $(cat "$TMPD/bad.err")"
	expect_eq "$a: one line" "$(wc -l <"$TMPD/bad.err")" 1
done
for v in abc 262145 -1; do
	tcpdump -s "$v" -r "$P" >/dev/null 2>&1 &&
		fail "tcpdump took -s $v (the judge disagrees)"
done
"$HDP" sniff -s 0 -n -r "$P" >/dev/null 2>&1
expect_eq "-s 0 is accepted" "$?" 0

# 5. -s on a live capture, side by side with tcpdump -s (root)
[ "$(id -u)" -eq 0 ] || { echo "SKIP: live -s needs root"; finish; }
need_cmd ip tshark timeout
NS=$(netns_add opt)
"$HDP" help send 2>/dev/null | grep -q "not built yet" && skip "no hdp send"
# cap TOOL FILE ARGS...: capture on the namespace's lo in the background
cap() {
	t=$1 f=$2; shift 2
	if [ "$t" = hdp ]; then
		bg ip netns exec "$NS" timeout -s INT 20 "$HDP" sniff -i lo \
			-w "$f" "$@"
	else
		bg ip netns exec "$NS" timeout -s INT 20 tcpdump -i lo -U \
			-w "$f" "$@" 'ip[9] == 255'
	fi
	eval "PID_$t=\$BG_PID"
}
for snap in 0 60; do
	cap hdp "$TMPD/h$snap.pcap" -s "$snap" 2>"$TMPD/h$snap.err"
	cap tcpdump "$TMPD/t$snap.pcap" -s "$snap" 2>"$TMPD/t$snap.err"
	i=0
	until grep -q listening "$TMPD/h$snap.err" &&
	      grep -q listening "$TMPD/t$snap.err" || [ $i -ge 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	# the snapshot length each announces
	h=$(sed -n 's/.*snapshot length \([0-9]*\) bytes.*/\1/p' "$TMPD/h$snap.err")
	t=$(sed -n 's/.*snapshot length \([0-9]*\) bytes.*/\1/p' "$TMPD/t$snap.err")
	expect_eq "-s $snap: the snapshot length tcpdump announces" "$h" "$t"
	ip netns exec "$NS" "$HDP" send -q -c 3 -i 0.02 --size 200 \
		127.0.0.1 >/dev/null || fatal "hdp send"
	# tcpdump gets a TPACKET_V3 block after its 1 s timeout, and
	# drops what it has not got when interrupted
	sleep 1.5
	kill -INT "$PID_hdp" "$PID_tcpdump" 2>/dev/null
	wait "$PID_hdp" "$PID_tcpdump" 2>/dev/null
	for x in h t; do
		tshark -n -r "$TMPD/$x$snap.pcap" -T fields -e frame.cap_len \
			-e frame.len 2>/dev/null >"$TMPD/$x$snap.len"
	done
	expect_eq "-s $snap: 3 packets in hdp's file" \
		"$(wc -l <"$TMPD/h$snap.len")" 3
	cmp -s "$TMPD/h$snap.len" "$TMPD/t$snap.len" &&
		ok "-s $snap: lengths kept as tcpdump -s $snap keeps them" ||
		fail "-s $snap: caplen/len: hdp $(tr '\n\t' '; ' <"$TMPD/h$snap.len"), tcpdump $(tr '\n\t' '; ' <"$TMPD/t$snap.len")"
done
check "-s 60: 60 bytes of each kept" \
	awk '$1 != 60 || $2 <= 60 { exit 1 }' "$TMPD/h60.len"
finish
