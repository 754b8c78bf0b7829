#!/bin/sh
# hdp replay's rewrites, judged on the far side by scapy: --proto, --ttl,
# --sport, --dport and --refresh-timestamp on HDP (pcaps/lo4.pcap) and on
# HDP inside UDP (pcaps/udp_cmp.pcap: ports rewritten in the UDP header
# and the HDP header inside, UDP checksum right); payloads unchanged; the
# new timestamps lie between the run's start and end.  Then link-layer
# injection (-I): the frames leave with the interface's own MAC to the
# next hop's; a BPF expression chooses packets; --loop repeats.
. "${top_srcdir:-.}/tests/lib.sh"
need_root
need_cmd tcpdump ip
need_scapy

A=$(netns_add a)
B=$(netns_add b)
veth_pair "$A" va 198.51.100.1/24 "$B" vb 198.51.100.2/24

# capture NAME REPLAY-ARGS...: replay with tcpdump running on B
capture() {
	name=$1; shift
	bg ip netns exec "$B" tcpdump -i vb -nn -U --immediate-mode -s 4096 -B 8192 \
		-w "$TMPD/$name.pcap" 'src host 198.51.100.1' \
		2>"$TMPD/$name.err"
	td=$BG_PID
	i=0
	while ! grep -q listening "$TMPD/$name.err" && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	sleep 0.3
	date +%s%N >"$TMPD/$name.t0"
	ip netns exec "$A" "$HDP" replay --json --topspeed \
		--src 198.51.100.1 --dst 198.51.100.2 "$@" \
		>"$TMPD/$name.json" || fail "$name: hdp replay exited $?"
	date +%s%N >"$TMPD/$name.t1"
	sleep 0.3
	kill -INT "$td"; wait "$td" 2>/dev/null
}

# judge NAME ORIG.pcap PYTHON-CHECKS: run the checks for every pair of
# (original, arrived) packets; variables o, r (scapy packets), t0, t1
judge() {
	name=$1; orig=$2; code=$3
	if $PY - "$orig" "$TMPD/$name.pcap" "$(cat "$TMPD/$name.t0")" \
		"$(cat "$TMPD/$name.t1")" "$code" <<'PY'
import struct, sys
from scapy.all import IP, UDP, rdpcap, raw
orig = [p for p in rdpcap(sys.argv[1]) if IP in p]
rx = [p for p in rdpcap(sys.argv[2]) if IP in p]
t0, t1 = int(sys.argv[3]), int(sys.argv[4])
bad = 0
if len(orig) != len(rx):
    print("  %d arrived, %d in the capture" % (len(rx), len(orig)))
    sys.exit(1)
for i, (o, r) in enumerate(zip(orig, rx), 1):
    ol4, rl4 = raw(o[IP].payload), raw(r[IP].payload)
    for line in sys.argv[5].strip().splitlines():
        if not eval(line.strip()):
            print("  packet %d: not %s" % (i, line.strip()))
            bad += 1
sys.exit(1 if bad else 0)
PY
	then ok "$name"; else fail "$name"; fi
}

capture hdp --proto 254 --ttl 9 --sport 1111 --dport 2222 \
	--refresh-timestamp "$top_srcdir/pcaps/lo4.pcap"
judge hdp "$top_srcdir/pcaps/lo4.pcap" '
r[IP].proto == 254 and r[IP].ttl == 9
struct.unpack(">HH", rl4[:4]) == (1111, 2222)
t0 <= struct.unpack(">Q", rl4[4:12])[0] <= t1
rl4[12:] == ol4[12:]
r[IP].tos == o[IP].tos'

capture udp --proto 254 --sport 1111 --dport 2222 --refresh-timestamp \
	"$top_srcdir/pcaps/udp_cmp.pcap"
judge udp "$top_srcdir/pcaps/udp_cmp.pcap" '
r[IP].proto == o[IP].proto == 17 or (o[IP].proto == 255 and r[IP].proto == 254)
r[IP].proto != 17 or (r[UDP].sport, r[UDP].dport) == (1111, 2222)
r[IP].proto != 17 or struct.unpack(">HH", rl4[8:12]) == (1111, 2222)
r[IP].proto != 17 or t0 <= struct.unpack(">Q", rl4[12:20])[0] <= t1
r[IP].proto != 17 or rl4[20:] == ol4[20:]
r[IP].proto != 17 or __import__("scapy.all").all.in4_chksum(17, r[IP], rl4) == 0'

# link-layer injection: Ethernet from va's MAC to vb's
capture link -I va --dport 7 "$top_srcdir/pcaps/eth_veth.pcap"
MA=$(ip -n "$A" -br link show va | awk '{print $3}')
MB=$(ip -n "$B" -br link show vb | awk '{print $3}')
judge link "$top_srcdir/pcaps/eth_veth.pcap" "
r.src == '$MA' and r.dst == '$MB'
struct.unpack('>H', rl4[2:4])[0] == 7
rl4[4:] == ol4[4:] and r[IP].ttl == o[IP].ttl and r[IP].tos == o[IP].tos"

# a BPF expression chooses; --loop repeats
ip netns exec "$A" "$HDP" replay --json --topspeed --loop 3 \
	--dst 198.51.100.2 "$top_srcdir/pcaps/udp_cmp.pcap" udp \
	>"$TMPD/bpf.json" || fail "bpf: exit $?"
expect_eq "BPF 'udp' and --loop 3: 9 UDP frames sent" \
	"$(grep -c '"proto":17' "$TMPD/bpf.json")/$(grep -c '"type":"packet"' "$TMPD/bpf.json")" "9/9"

# errors: a file that cannot be opened is the system refusing (4), in
# one line; usage errors exit 2
ip netns exec "$A" "$HDP" replay "$TMPD/none.pcap" 2>"$TMPD/e1"
expect_eq "missing file: exit 4" "$?" 4
expect_eq "missing file: one line" "$(cat "$TMPD/e1")" \
	"hdp replay: $TMPD/none.pcap: No such file or directory"
ip netns exec "$A" "$HDP" replay --speed 2 --pps 3 x 2>"$TMPD/e2"
expect_eq "--speed with --pps: exit 2" "$?" 2
ip netns exec "$A" "$HDP" replay --dst 1.2.3.4 --dst 1.2.3.5 x 2>"$TMPD/e3"
expect_eq "two IPv4 --dst: exit 2" "$?" 2
finish
