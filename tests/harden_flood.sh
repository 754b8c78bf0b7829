#!/bin/sh
# harden_flood.sh: under a flood, what the kernel drops is counted and
# reported, and nothing is lost without a word.  A receiver whose output
# is read slowly (a pipe nobody drains for 3 s) cannot keep up, so the
# kernel drops; at the end received + dropped must equal what was sent,
# the run must say how many were dropped and exit 1.  hdp listen (raw
# sockets: SO_MEMINFO's drop count) on a namespace's lo, hdp sniff
# (libpcap's ring: pcap_stats) across a veth pair; the floods are bounded.
. "$top_srcdir/tests/lib.sh"
need_root
need_cmd ip
bin=${HDP_REAL:-$HDP}

A=$(netns_add a)
B=$(netns_add b)
veth_pair "$A" "fa$$" 10.88.0.1/24 "$B" "fb$$" 10.88.0.2/24

# slow_reader NAME: a FIFO $TMPD/NAME.fifo whose reader waits 3 s before
# it reads everything into $TMPD/NAME.out (its PID in READER; it ends
# when the writer does)
slow_reader() {
	mkfifo "$TMPD/$1.fifo" || fatal "mkfifo"
	(sleep 3; cat >"$TMPD/$1.out") <"$TMPD/$1.fifo" &
	READER=$!
	_PIDS="$_PIDS $READER"
}

# settle FILE: until FILE stops growing for a second (30 s at most): the
# reader has drained the pipe and the receiver has caught up
settle() {
	last=-1 i=0
	while [ "$(wc -c <"$1" 2>/dev/null || echo 0)" != "$last" ] &&
	      [ "$i" -lt 30 ]; do
		last=$(wc -c <"$1" 2>/dev/null || echo 0)
		sleep 1; i=$((i + 1))
	done
}

# ---- hdp listen: 100,000 datagrams on lo --------------------------------
N=100000
slow_reader listen
bg ip netns exec "$A" "$bin" listen --json --no-pcap -Z root \
	>"$TMPD/listen.fifo" 2>"$TMPD/listen.err"
pid=$BG_PID
wait_for_file "$TMPD/listen.err" 50
ip netns exec "$A" "$bin" send -q --flood -c $N 127.0.0.1 >/dev/null ||
	fail "listen: the flood was not sent whole"
sleep 3				# the reader wakes
settle "$TMPD/listen.out"
kill -INT "$pid"
wait "$pid"
expect_eq "listen: exit 1 (datagrams were dropped)" "$?" 1
wait "$READER"
line=$(grep "datagrams received" "$TMPD/listen.err")
got=$(wc -l <"$TMPD/listen.out")
rx=$(echo "$line" | sed -n 's/.*: \([0-9]*\) datagrams received.*/\1/p')
dropped=$(echo "$line" | sed -n 's/.*, \([0-9]*\) dropped by the kernel.*/\1/p')
expect_eq "listen: the count it says is what it printed" "$rx" "$got"
[ "${dropped:-0}" -gt 0 ] && ok "listen: $dropped dropped, said so" ||
	fail "listen: no drops reported: $line"
expect_eq "listen: received + dropped = sent" "$((got + ${dropped:-0}))" $N

# ---- hdp sniff: 200,000 frames across a veth ----------------------------
N=200000
slow_reader sniff
bg ip netns exec "$B" "$bin" sniff -i "fb$$" --json -Z root \
	>"$TMPD/sniff.fifo" 2>"$TMPD/sniff.err"
pid=$BG_PID
wait_for_file "$TMPD/sniff.err" 50
sleep 0.3
ip netns exec "$A" "$bin" send -q --flood -c $N 10.88.0.2 >/dev/null ||
	fail "sniff: the flood was not sent whole"
sleep 3				# the reader wakes
settle "$TMPD/sniff.out"
kill -INT "$pid"
wait "$pid"
expect_eq "sniff: exit 1 (packets were dropped)" "$?" 1
wait "$READER"
got=$(wc -l <"$TMPD/sniff.out")
cap=$(sed -n 's/^\([0-9]*\) packets\? captured$/\1/p' "$TMPD/sniff.err")
dropped=$(sed -n 's/^\([0-9]*\) packets\? dropped by kernel$/\1/p' "$TMPD/sniff.err")
expect_eq "sniff: 'captured' is what it printed" "$cap" "$got"
[ "${dropped:-0}" -gt 0 ] && ok "sniff: $dropped dropped, said so" ||
	fail "sniff: no drops reported: $(cat "$TMPD/sniff.err")"
expect_eq "sniff: captured + dropped = sent" "$((got + ${dropped:-0}))" $N
finish
