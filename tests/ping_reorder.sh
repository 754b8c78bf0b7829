#!/bin/sh
# Reordering without netem: on the responder's egress an htb qdisc has a
# fast class and a 50 kbit/s one, and nftables sends every other HDP reply
# to the slow one (meta priority set numgen inc mod 2), so later replies
# overtake earlier ones.  hdp ping's "reordered" count (a reply whose
# sequence is below the highest already received) must equal the one an
# independent parser computes from tcpdump's capture of the replies
# arriving, and be large (at least 20 of the 50 slowed replies); nothing
# is lost or duplicated.
. "${top_srcdir:-.}/tests/lib.sh"
need_root
need_cmd ip tc nft tcpdump
need_scapy

A=$(netns_add a)
B=$(netns_add b)
veth_pair "$A" va 198.51.100.1/24 "$B" vb 198.51.100.2/24
ip netns exec "$B" tc qdisc add dev vb root handle 1: htb default 1 \
	2>/dev/null || skip "tc htb not available"
ip netns exec "$B" tc class add dev vb parent 1: classid 1:1 htb rate 1gbit \
	quantum 60000
ip netns exec "$B" tc class add dev vb parent 1: classid 1:2 htb \
	rate 50kbit ceil 50kbit burst 1600 quantum 1600 2>/dev/null
ip netns exec "$B" nft -f - <<'NFT' || fatal "nft"
table inet hdpreord {
	chain out {
		type filter hook output priority 0; policy accept;
		meta l4proto 255 meta priority set numgen inc mod 2 map { 0 : 1:1, 1 : 1:2 }
	}
}
NFT

bg ip netns exec "$B" "$HDP" listen --echo -t 50 >"$TMPD/listen.out" \
	2>"$TMPD/listen.err"
i=0
while ! grep -q listening "$TMPD/listen.err" && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
bg ip netns exec "$A" tcpdump -i va -nn -U --immediate-mode -s 512 \
	-w "$TMPD/rx.pcap" 'ip proto 255 and src host 198.51.100.2' \
	2>"$TMPD/td.err"
TD=$BG_PID
i=0
while ! grep -q listening "$TMPD/td.err" && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
sleep 0.3

ip netns exec "$A" "$HDP" ping --json -q -c 100 --rate 100 --size 200 -W 4 \
	198.51.100.2 >"$TMPD/p.json"
expect_eq "every probe answered: exit 0" "$?" 0
sleep 0.3
kill -INT "$TD"; wait "$TD" 2>/dev/null

if $PY - "$TMPD/rx.pcap" "$TMPD/p.json" <<'PY'
import json, struct, sys
from scapy.all import IP, rdpcap, raw
# reply payload: echo block (32), then the probe's: "HDPP", run id, seq
seqs = []
for p in rdpcap(sys.argv[1]):
    pl = raw(p[IP].payload)[12:]
    if pl[:4] == b"HDPE" and pl[32:36] == b"HDPP":
        seqs.append(struct.unpack(">I", pl[40:44])[0])
hi, reord = -1, 0
for s in seqs:
    if s < hi:
        reord += 1
    hi = max(hi, s)
summ = [json.loads(x) for x in open(sys.argv[2])][-1]
print("  tcpdump: %d replies, %d reordered; hdp ping: %d received, "
      "%d reordered, %d duplicates" % (len(seqs), reord, summ["received"],
                                       summ["reordered"], summ["duplicates"]))
ok = (summ["reordered"] == reord and reord >= 20 and
      summ["received"] == 100 and summ["duplicates"] == 0)
sys.exit(0 if ok else 1)
PY
then ok "reordering counted as tcpdump saw it"
else fail "reordering count"; fi
finish
