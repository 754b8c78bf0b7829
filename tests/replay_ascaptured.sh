#!/bin/sh
# hdp replay -I with nothing to rewrite sends every frame as captured.
#  - A capture made on a namespace's lo (frames to 127.0.0.1, all-zero
#    MACs: no neighbour anywhere will ever answer for them) replayed on a
#    veth arrives on the peer byte for byte (tcpdump there, compared by
#    scapy), in bounded time: no wait per frame for a neighbour entry.
#  - The same from standard input, with --topspeed, and timed (--pps).
#  - A raw-IP capture (no link header) gets an Ethernet header: the
#    interface's MAC as source, the peer's (resolved by ARP, once) for a
#    frame to the peer's address, the broadcast MAC for one to 127.0.0.1;
#    the IP bytes are the captured ones.
#  - Pacing sanity, loose (real figures are in bench/): 500 frames at
#    --pps 1000 take about half a second.
#  - Ctrl-C (SIGINT) in the middle: the summary's counts add up and match
#    what the peer received.
. "${top_srcdir:-.}/tests/lib.sh"
need_root
need_cmd tcpdump ip
need_scapy

A=$(netns_add a)
B=$(netns_add b)
veth_pair "$A" va 198.51.100.1/24 "$B" vb 198.51.100.2/24
MAC_A=$(ip -n "$A" -o link show va | sed 's/.*link\/ether \([^ ]*\).*/\1/')
MAC_B=$(ip -n "$B" -o link show vb | sed 's/.*link\/ether \([^ ]*\).*/\1/')

# rx_start NAME: tcpdump on vb, frames coming in (not ARP, nor the empty
# UDP datagram to port 9 that makes the kernel resolve a next hop, nor
# IPv6 chatter) into NAME.rx.pcap; rx_stop: stop it.
rx_start() {
	bg ip netns exec "$B" tcpdump -i vb -Q in -nn -U --immediate-mode \
		-s 4096 -B 8192 -w "$TMPD/$1.rx.pcap" \
		'not arp and not ip6 and not udp port 9' 2>"$TMPD/$1.td.err"
	TD=$BG_PID
	i=0
	while ! grep -q listening "$TMPD/$1.td.err" && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	sleep 0.3
}
rx_stop() { sleep 0.3; kill -INT "$TD"; wait "$TD" 2>/dev/null; }

# A real loopback capture: tcpdump on A's lo while hdp send (HDP), ping
# (ICMP) and an ICMP port unreachable (UDP to a closed port) go to
# 127.0.0.1.
LO=$TMPD/lo.pcap
bg ip netns exec "$A" tcpdump -i lo -nn -U --immediate-mode -w "$LO" \
	2>"$TMPD/lo.err"
td=$BG_PID
i=0
while ! grep -q listening "$TMPD/lo.err" && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
ip netns exec "$A" "$HDP" send -q -c 20 --rate 200 --size 40 127.0.0.1 \
	>/dev/null 2>&1 || fatal "hdp send on lo"
ip netns exec "$A" ping -c 3 -i 0.01 127.0.0.1 >/dev/null 2>&1
sleep 0.3
kill -INT "$td"; wait "$td" 2>/dev/null
nlo=$(tcpdump -r "$LO" -nn 2>/dev/null | wc -l)
[ "$nlo" -ge 26 ] || fatal "the lo capture has $nlo frames, not >= 26"

# same NAME ORIG: the frames on the peer are ORIG's, byte for byte
same() {
	$PY - "$2" "$TMPD/$1.rx.pcap" <<'PY'
import sys
from scapy.utils import RawPcapReader
o = [bytes(d) for d, m in RawPcapReader(sys.argv[1])]
r = [bytes(d) for d, m in RawPcapReader(sys.argv[2])]
print("  %d captured, %d arrived" % (len(o), len(r)))
bad = [i for i, (a, b) in enumerate(zip(o, r), 1) if a != b]
if bad:
    print("  frames differ: %s" % bad[:10])
sys.exit(1 if len(o) != len(r) or bad else 0)
PY
}

# 1. the lo capture, its own timing (the frames span ~0.2 s)
rx_start lo
t0=$(date +%s%N)
ip netns exec "$A" timeout 20 "$HDP" replay -q -I va "$LO" \
	>"$TMPD/lo.out" 2>"$TMPD/lo.stderr"
rc=$?
t1=$(date +%s%N)
rx_stop
expect_eq "lo capture on a veth: exit status" "$rc" 0
ms=$(( (t1 - t0) / 1000000 ))
check "lo capture: $nlo frames in $ms ms (< 3000: no neighbour wait)" \
	test "$ms" -lt 3000
check "lo capture: nothing said on stderr" test ! -s "$TMPD/lo.stderr"
grep -q "| sent | $nlo |" "$TMPD/lo.out" ||
	fail "lo capture: summary does not say $nlo sent: $(cat "$TMPD/lo.out")"
check "lo capture: the peer got every frame as captured" same lo "$LO"

# 2. from standard input, --topspeed
rx_start stdin
ip netns exec "$A" "$HDP" replay -q -I va --topspeed - <"$LO" \
	>"$TMPD/stdin.out" 2>&1 || fail "stdin: exit $?"
rx_stop
check "standard input, --topspeed: every frame as captured" same stdin "$LO"

# 3. a raw-IP capture: an Ethernet header is put in front
RAW=$TMPD/raw.pcap
$PY - "$RAW" <<'PY' 2>/dev/null
import struct, sys
from scapy.all import IP, Raw, wrpcap
hdp = struct.pack(">HHQ", 420, 420, 1)
wrpcap(sys.argv[1], [IP(src="198.51.100.1", dst="198.51.100.2",
                        proto=255) / Raw(hdp + b"to the peer %d" % i)
                     for i in range(3)] +
       [IP(src="127.0.0.1", dst="127.0.0.1", proto=255) /
        Raw(hdp + b"to lo")], linktype=101)
PY
[ -s "$RAW" ] || fatal "cannot make the raw capture"
rx_start raw
t0=$(date +%s%N)
ip netns exec "$A" timeout 20 "$HDP" replay -q -I va --topspeed "$RAW" \
	>"$TMPD/raw.out" 2>"$TMPD/raw.stderr" || fail "raw: exit $?"
t1=$(date +%s%N)
rx_stop
ms=$(( (t1 - t0) / 1000000 ))
check "raw IP: done in $ms ms (< 3000)" test "$ms" -lt 3000
expect_eq "raw IP: one line for the frame with no next hop" \
	"$(wc -l <"$TMPD/raw.stderr" | tr -d ' ')" 1
grep -q "127.0.0.1" "$TMPD/raw.stderr" ||
	fail "raw IP: the line does not name 127.0.0.1: $(cat "$TMPD/raw.stderr")"
grep -q "| given an Ethernet header | 4 |" "$TMPD/raw.out" ||
	fail "raw IP: summary: $(cat "$TMPD/raw.out")"
if $PY - "$RAW" "$TMPD/raw.rx.pcap" "$MAC_A" "$MAC_B" <<'PY'
import sys
from scapy.utils import RawPcapReader
o = [bytes(d) for d, m in RawPcapReader(sys.argv[1])]
r = [bytes(d) for d, m in RawPcapReader(sys.argv[2])]
mac = lambda s: bytes.fromhex(s.replace(":", ""))
a, b = mac(sys.argv[3]), mac(sys.argv[4])
want = [b + a + b"\x08\x00" + x for x in o[:3]] + \
       [b"\xff" * 6 + a + b"\x08\x00" + o[3]]
print("  %d arrived" % len(r))
sys.exit(0 if r == want else 1)
PY
then ok "raw IP: peer's MAC (broadcast for 127.0.0.1), IP bytes as captured"
else fail "raw IP: frames on the peer are not the expected ones"; fi

# 4. pacing, loosely: 500 frames at --pps 1000
PACE=$TMPD/pace.pcap
$PY - "$PACE" <<'PY' || fatal "cannot make the pacing capture"
import sys
from scapy.all import Ether, IP, Raw, wrpcap
wrpcap(sys.argv[1], [Ether() / IP(src="198.51.100.1", dst="198.51.100.2",
                                  proto=255) / Raw(b"\0" * 20)] * 500)
PY
rx_start pace
ip netns exec "$A" "$HDP" replay --json -q -I va --pps 1000 "$PACE" \
	>"$TMPD/pace.json" || fail "pace: exit $?"
rx_stop
el=$(sed -n 's/.*"elapsed_s":\([0-9.]*\).*/\1/p' "$TMPD/pace.json")
check "--pps 1000, 500 frames: $el s (0.45-1.5)" \
	awk -v e="$el" 'BEGIN { exit !(e >= 0.45 && e <= 1.5) }'
n=$(tcpdump -r "$TMPD/pace.rx.pcap" -nn 2>/dev/null | wc -l)
expect_eq "--pps 1000: all 500 arrived" "$n" 500

# 5. Ctrl-C halfway through 400 frames at --pps 200
rx_start int
ip netns exec "$A" "$HDP" replay --json -q -I va --pps 200 -c 400 "$PACE" \
	>"$TMPD/int.json" 2>"$TMPD/int.err" &
hp=$!
_PIDS="$_PIDS $hp"
sleep 1
kill -INT "$hp"
wait "$hp"
rc=$?
rx_stop
sum=$(tail -n 1 "$TMPD/int.json")
read=$(echo "$sum" | sed 's/.*"read":\([0-9]*\).*/\1/')
sent=$(echo "$sum" | sed 's/.*"sent":\([0-9]*\).*/\1/')
n=$(tcpdump -r "$TMPD/int.rx.pcap" -nn 2>/dev/null | wc -l)
check "Ctrl-C: exit $rc (0 or 130), summary printed" \
	sh -c "[ $rc -eq 0 -o $rc -eq 130 ] && echo '$sum' | grep -q summary"
check "Ctrl-C: stopped early ($sent of 400 sent)" \
	test "$sent" -gt 0 -a "$sent" -lt 400
# the frame that was waiting to be due when Ctrl-C came is not sent early:
# it is the one skipped, as "stopped before due" (none when the signal
# came between two frames)
skipped=$(echo "$sum" | sed 's/.*"skipped":\([0-9]*\).*/\1/')
stopped=$(echo "$sum" | sed -n 's/.*"stopped before due":\([0-9]*\).*/\1/p')
expect_eq "Ctrl-C: read = sent + stopped before due (nothing else skipped or failed)" \
	"$read" "$((sent + ${stopped:-0}))"
check "Ctrl-C: at most the one waiting frame stopped ($skipped)" \
	test "$skipped" -le 1 -a "$skipped" = "${stopped:-0}"
expect_eq "Ctrl-C: the peer got what the summary says was sent" "$n" "$sent"
finish
