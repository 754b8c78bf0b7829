#!/bin/sh
# hdp replay of every capture in pcaps/, from one namespace to another
# over a veth pair, addresses rewritten to the pair's.  On the far side
# tcpdump and `hdp sniff -w` capture; tests/replay_judge.py (its own
# header parser) decides which frames can be rebuilt whole and checks that
# exactly those were sent and arrived unchanged (protocol, TTL, TOS, ID,
# flow label, transport bytes), and that the rest were skipped with a
# reason of the right kind (not IP, fragment, truncated/malformed, IPv6
# extension headers, stale checksum).  2000 packets/s and small snap
# lengths so that no capture drops a packet on a busy machine.
. "${top_srcdir:-.}/tests/lib.sh"
need_root
need_cmd tcpdump ip
need_scapy

A=$(netns_add a)
B=$(netns_add b)
veth_pair "$A" va 198.51.100.1/24 "$B" vb 198.51.100.2/24
ip -n "$A" addr add 2001:db8:1::1/64 dev va nodad
ip -n "$B" addr add 2001:db8:1::2/64 dev vb nodad
# (not neighbour discovery: A's solicitations for B; ICMPv6 errors in the
# captures are replayed)
FILT='(src host 198.51.100.1 or src host 2001:db8:1::1) and
	not (icmp6 and ip6[40] >= 133 and ip6[40] <= 137)'

n=0
for f in "$top_srcdir"/pcaps/*.pcap "$top_srcdir"/pcaps/*.pcapng; do
	[ -f "$f" ] || continue
	name=$(basename "$f")
	n=$((n + 1))
	rx="$TMPD/$name.rx.pcap"
	sn="$TMPD/$name.sniff.pcap"
	bg ip netns exec "$B" tcpdump -i vb -nn -U --immediate-mode -s 4096 -B 8192 \
		-w "$rx" $FILT \
		2>"$TMPD/$name.tcpdump.err"
	TD=$BG_PID
	bg ip netns exec "$B" "$HDP" sniff -i vb -s 4096 -B 8192 -U -w "$sn" \
		2>"$TMPD/$name.sniff.err"
	SN=$BG_PID
	i=0
	while ! grep -q listening "$TMPD/$name.tcpdump.err" &&
	      [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	sleep 0.5
	ip netns exec "$A" "$HDP" replay --json --pps 2000 \
		--src 198.51.100.1 --dst 198.51.100.2 \
		--src 2001:db8:1::1 --dst 2001:db8:1::2 "$f" \
		>"$TMPD/$name.json" 2>"$TMPD/$name.err"
	rc=$?
	sleep 0.5
	kill -INT "$TD" "$SN" 2>/dev/null
	wait "$TD" "$SN" 2>/dev/null
	if [ $rc -ne 0 ]; then
		fail "$name: hdp replay exited $rc: $(cat "$TMPD/$name.err")"
		continue
	fi
	grep '"type":"skip"' "$TMPD/$name.json" | sed "s|^|  $name: |"
	if $PY "$top_srcdir/tests/replay_judge.py" "$f" "$TMPD/$name.json" \
		"$rx" "$sn" >"$TMPD/judge.out" 2>&1; then
		ok "$name: $(tail -1 "$TMPD/judge.out")"
	else
		cat "$TMPD/judge.out"
		fail "$name: judged wrong"
	fi
done
[ $n -gt 0 ] || skip "no captures in pcaps/"
finish
