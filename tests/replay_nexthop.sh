#!/bin/sh
# hdp replay -I with a rewrite resolves each next hop once, and a next hop
# that cannot be resolved costs one line on stderr and one wait (at most
# about a second), not a wait per frame: its frames are skipped and
# counted ("no next hop").
#  - --dst to an address on the link that nobody answers for: 40 frames
#    skipped, one line, done in well under 40 s (bounded: 5 s);
#  - a lo capture (127.0.0.1) with only --dport rewritten: 127.0.0.1 is a
#    loopback address, refused at once (bounded: 2 s), one line;
#  - --dst to the peer: resolved by ARP once, every frame sent, arriving
#    with the peer's MAC.
. "${top_srcdir:-.}/tests/lib.sh"
need_root
need_cmd tcpdump ip
need_scapy

A=$(netns_add a)
B=$(netns_add b)
veth_pair "$A" va 198.51.100.1/24 "$B" vb 198.51.100.2/24

CAP=$TMPD/forty.pcap
$PY - "$CAP" <<'PY' 2>/dev/null
import struct, sys
from scapy.all import Ether, IP, Raw, wrpcap
wrpcap(sys.argv[1], [Ether() / IP(src="127.0.0.1", dst="127.0.0.1",
                                  proto=255) /
                     Raw(struct.pack(">HHQ", 420, 420, 1) + b"%d" % i)
                     for i in range(40)])
PY
[ -s "$CAP" ] || fatal "cannot make the capture"

# run NAME LIMIT_MS REPLAY-ARGS...: timed replay in A; sets RC, MS
run() {
	name=$1; lim=$2; shift 2
	t0=$(date +%s%N)
	ip netns exec "$A" timeout 60 "$HDP" replay -q -I va --topspeed "$@" \
		"$CAP" >"$TMPD/$name.out" 2>"$TMPD/$name.err"
	RC=$?
	MS=$(( ($(date +%s%N) - t0) / 1000000 ))
	check "$name: done in $MS ms (< $lim)" test "$MS" -lt "$lim"
}

# 1. nobody answers for 198.51.100.77
run silent 5000 --dst 198.51.100.77
expect_eq "silent next hop: exit status" "$RC" 0
expect_eq "silent next hop: one line on stderr" \
	"$(wc -l <"$TMPD/silent.err" | tr -d ' ')" 1
grep -q "198.51.100.77" "$TMPD/silent.err" ||
	fail "silent next hop: the line does not name it: $(cat "$TMPD/silent.err")"
grep -q "| skipped: no next hop | 40 |" "$TMPD/silent.out" ||
	fail "silent next hop: summary: $(cat "$TMPD/silent.out")"

# 2. the loopback destination of a lo capture, only a port rewritten
run loop 2000 --dport 7
expect_eq "loopback next hop: one line on stderr" \
	"$(wc -l <"$TMPD/loop.err" | tr -d ' ')" 1
grep -q "127.0.0.1 is a loopback address" "$TMPD/loop.err" ||
	fail "loopback next hop: $(cat "$TMPD/loop.err")"
grep -q "| skipped: no next hop | 40 |" "$TMPD/loop.out" ||
	fail "loopback next hop: summary: $(cat "$TMPD/loop.out")"

# 3. the peer: resolved once, all sent, with its MAC
bg ip netns exec "$B" tcpdump -i vb -Q in -nn -e -U --immediate-mode \
	-s 256 -B 8192 -w "$TMPD/peer.pcap" 'ip proto 255' 2>"$TMPD/td.err"
td=$BG_PID
i=0
while ! grep -q listening "$TMPD/td.err" && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
sleep 0.3
run peer 3000 --src 198.51.100.1 --dst 198.51.100.2
sleep 0.3
kill -INT "$td"; wait "$td" 2>/dev/null
expect_eq "peer: exit status" "$RC" 0
check "peer: nothing on stderr" test ! -s "$TMPD/peer.err"
MAC_B=$(ip -n "$B" -o link show vb | sed 's/.*link\/ether \([^ ]*\).*/\1/')
n=$(tcpdump -r "$TMPD/peer.pcap" -nn -e 2>/dev/null | grep -c "> $MAC_B")
expect_eq "peer: 40 frames arrived with the peer's MAC" "$n" 40
finish
