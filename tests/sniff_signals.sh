#!/bin/sh
# sniff_signals.sh: no signal a user or a log-rotation script commonly
# sends loses a captured packet (issue 16), as tcpdump(8) takes them:
#   USR1  prints the counts so far on standard error; the capture goes on
#   USR2  writes the -w buffer into the file now; the capture goes on
#   INT TERM HUP ALRM PIPE  end the run with every file whole
# Traffic is hdp send on the loopback of this test's own namespace; tcpdump
# judges each -w file.
. "$top_srcdir/tests/lib.sh"
need_root
need_cmd ip tcpdump

NS=$(netns_add sig)

# send_n N TAG: N HDP packets to the namespace's loopback, 20 ms apart
send_n() {
	ip netns exec "$NS" "$HDP" send -q -c "$1" -i 0.02 --data "$2" \
		127.0.0.1 >/dev/null || fatal "hdp send"
}

# start NAME ARGS...: hdp sniff -i lo ARGS in the namespace, in the
# background; waits until it listens.  SNIFF is its PID.
start() {
	name=$1; shift
	bg ip netns exec "$NS" "$HDP" sniff -i lo -n "$@" \
		>"$TMPD/$name.out" 2>"$TMPD/$name.err"
	SNIFF=$BG_PID
	i=0
	until grep -q "listening on" "$TMPD/$name.err" || [ $i -ge 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	grep -q "listening on" "$TMPD/$name.err" ||
		fatal "$name: sniff did not start: $(cat "$TMPD/$name.err")"
}

# alive PID: still running (not killed by the signal)
alive() { kill -0 "$1" 2>/dev/null; }

# packets FILE: what tcpdump reads from FILE
packets() { tcpdump -n -r "$1" 2>/dev/null | wc -l; }

# 1. USR1: the counts so far, and the capture goes on into the same file
start usr1 -w "$TMPD/usr1.pcap"
send_n 3 before
sleep 0.3
kill -USR1 "$SNIFF"
sleep 0.3
check "USR1: sniff goes on" alive "$SNIFF"
grep -qx "3 packets captured" "$TMPD/usr1.err" ||
	fail "USR1: no counts so far: $(cat "$TMPD/usr1.err")"
send_n 2 after
sleep 0.3
kill -INT "$SNIFF"
wait "$SNIFF"; rc=$?
expect_eq "USR1 then INT: exit 0" "$rc" 0
expect_eq "USR1: the -w file holds all 5" "$(packets "$TMPD/usr1.pcap")" 5
expect_eq "USR1: counts twice (so far, at the end)" \
	"$(grep -c 'packets\{0,1\} captured$' "$TMPD/usr1.err")" 2

# 2. USR2: the buffered packets reach the file while sniff runs
start usr2 -w "$TMPD/usr2.pcap"
send_n 4 flush
sleep 0.3
kill -USR2 "$SNIFF"
sleep 0.3
check "USR2: sniff goes on" alive "$SNIFF"
expect_eq "USR2: the file holds the 4 before the run ends" \
	"$(packets "$TMPD/usr2.pcap")" 4
kill -TERM "$SNIFF"
wait "$SNIFF"; rc=$?
expect_eq "USR2 then TERM: exit 0" "$rc" 0
expect_eq "USR2: still 4 after the end" "$(packets "$TMPD/usr2.pcap")" 4

# 3. the signals that end a run: each leaves every packet in the file
for sig in HUP ALRM PIPE; do
	start "$sig" -w "$TMPD/$sig.pcap"
	send_n 3 "$sig"
	sleep 0.3
	kill -"$sig" "$SNIFF"
	wait "$SNIFF"; rc=$?
	expect_eq "$sig: exit 0 (ended, not killed)" "$rc" 0
	expect_eq "$sig: the -w file holds all 3" \
		"$(packets "$TMPD/$sig.pcap")" 3
	grep -qx "3 packets captured" "$TMPD/$sig.err" ||
		fail "$sig: no counts: $(cat "$TMPD/$sig.err")"
done

# 4. USR1 while printing: lines so far are out, and printing goes on
start print
send_n 2 p1
sleep 0.3
kill -USR1 "$SNIFF"
sleep 0.3
expect_eq "USR1 while printing: both lines out" \
	"$(grep -c ' HDP ts ' "$TMPD/print.out")" 2
send_n 1 p2
sleep 0.3
kill -INT "$SNIFF"
wait "$SNIFF"
expect_eq "USR1 while printing: the third line too" \
	"$(grep -c ' HDP ts ' "$TMPD/print.out")" 3
finish
