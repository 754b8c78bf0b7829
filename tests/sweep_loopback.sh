#!/bin/sh
# sweep_loopback.sh: hdp sweep of all 256 numbers, 3 packets each, to the
# lo of a namespace of its own, with nftables (inside the namespace)
# dropping 200 at input and 201 at output.  Checks every number's verdict
# and the kernel's drop reason, tcpdump's view of the same packets, the
# time bound, --join, and that the tracefs instance is gone afterwards.
. "$top_srcdir/tests/lib.sh"
need_root
need_cmd python3 tcpdump nft ip

NS=$(netns_add sweeplo)
ip netns exec "$NS" nft -f - <<'NFT' || fatal "nft"
table inet hdptest {
	chain in  { type filter hook input  priority 0; ip protocol 200 drop; }
	chain out { type filter hook output priority 0; ip protocol 201 drop; }
}
NFT

# the netdev egress hook (Linux 5.16+) drops after the write succeeded,
# before the frame reaches lo's taps: "dropped before wire"
EGRESS=1
ip netns exec "$NS" nft -f - 2>/dev/null <<'NFT' || EGRESS=0
table netdev hdptest {
	chain e { type filter hook egress device lo priority 0; ip protocol 202 drop; }
}
NFT

bg ip netns exec "$NS" tcpdump -i any -B 16384 -s 128 -n -U --immediate-mode -w "$TMPD/any.pcap" \
	'ip and dst host 127.0.0.1' 2>"$TMPD/tcpdump.err"
TPID=$BG_PID
i=0
while ! grep -q listening "$TMPD/tcpdump.err" && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done

t0=$(date +%s%N)
# ip netns exec execs hdp: $! is hdp's PID, which names its instance
ip netns exec "$NS" "$HDP" sweep 127.0.0.1 -v -o "$TMPD/tx.json" \
	>"$TMPD/table.txt" 2>"$TMPD/sweep.err" &
SWEEP_PID=$!
wait "$SWEEP_PID"
rc=$?
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
echo "full sweep 0-255 x3 to lo: $ms ms"
cat "$TMPD/sweep.err"
sleep 0.3
kill "$TPID"; wait "$TPID" 2>/dev/null

expect_eq "exit status 1 (some numbers stopped)" "$rc" 1
if [ -z "${HDP_VALGRIND:-}" ]; then
	check "a full sweep finishes within 2 s (took $ms ms)" \
		[ "$ms" -lt 2000 ]
fi
DROPS=1
TRACEFS=$(tracefs_dir)
if grep -q "drop reasons unavailable" "$TMPD/sweep.err"; then
	DROPS=0
	echo "note: kernel drop reasons unavailable here"
fi

# every line is JSON, one per number, with the documented keys
python3 - "$TMPD/tx.json" >"$TMPD/verdicts" <<'PY' || fail "tx.json is not valid"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 256, len(rows)
for r in rows:
    for k in ('proto', 'sent', 'send_error', 'on_wire', 'arrived',
              'delivered', 'verdict', 'drop_reason', 'latency_ns'):
        assert 'latency_us' not in r
        assert k in r, k
    print(r['proto'], r['verdict'], r['drop_reason'], r['send_errno'] if
          r['send_error'] else 0, r['delivered'], r['on_wire'],
          r['stack_drop_reason'], r['listen_error'] is not None)
PY

v() { awk -v p="$1" '$1 == p { print $'"$2"' }' "$TMPD/verdicts"; }
expect_eq "0: no raw socket can exist" "$(v 0 2) $(v 0 8)" \
	"dropped_before_socket True"
expect_eq "200: dropped by input hook after arriving" "$(v 200 2)" \
	"dropped_before_socket"
expect_eq "201: refused by the sending stack" "$(v 201 2)" \
	"refused_by_sender"
expect_eq "201: write failed with EPERM" "$(v 201 4)" 1
if [ $EGRESS -eq 1 ]; then
	expect_eq "202: written, dropped before lo (egress hook)" \
		"$(v 202 2) $(v 202 4) $(v 202 6)" "dropped_before_wire 0 0"
	[ $DROPS -eq 1 ] &&
		expect_eq "202: kernel says NETFILTER_DROP" "$(v 202 3)" \
			NETFILTER_DROP
else
	echo "note: no netdev egress hook here; 202 not dropped"
fi
if [ $DROPS -eq 1 ]; then
	expect_eq "0: kernel says IP_NOPROTO" "$(v 0 3)" IP_NOPROTO
	expect_eq "200: kernel says NETFILTER_DROP" "$(v 200 3)" \
		NETFILTER_DROP
	expect_eq "201: kernel says NETFILTER_DROP" "$(v 201 3)" \
		NETFILTER_DROP
	check "NETFILTER_DROP located in nft_do_chain" \
		grep -q '| 200 |.*NETFILTER_DROP in nft_do_chain+0x' \
		"$TMPD/table.txt"
	# the kernel's own handlers reject what is not really ICMP/TCP/UDP,
	# after the raw socket got its copy
	for p in 1 6 17; do
		check "$p: delivered, kernel's own copy dropped" \
			[ "$(v $p 2)" = delivered ] && [ "$(v $p 7)" != None ]
	done
fi
others=$(awk -v e=$EGRESS '$1 != 0 && $1 != 200 && $1 != 201 &&
	!(e && $1 == 202) && $2 != "delivered"' "$TMPD/verdicts" | wc -l)
expect_eq "every other number delivered" "$others" 0

# tcpdump as judge: what it saw on lo is what hdp sweep counted as
# seen, number by number (matched by our source port 420, HDP's first
# two bytes, and the HDP timestamp of each packet)
python3 - "$TMPD/tx.json" >"$TMPD/keys" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    for p in r['packets']:
        print(r['proto'], p['hdp_ts_ns'], 1 if p['on_wire'] else 0)
PY
# tcpdump wrote the capture; a few lines of python read its records
python3 - "$TMPD/any.pcap" >"$TMPD/judge" <<'PY'
import struct, sys, collections
d = open(sys.argv[1], 'rb').read()
magic = struct.unpack('<I', d[:4])[0]
e = '<' if magic in (0xa1b2c3d4, 0xa1b23c4d) else '>'
linktype = struct.unpack(e + 'I', d[20:24])[0]
hl = {276: 20, 113: 16}[linktype]
n = collections.Counter()
off = 24
while off + 16 <= len(d):
    caplen = struct.unpack(e + 'I', d[off + 8:off + 12])[0]
    b = d[off + 16:off + 16 + caplen]
    off += 16 + caplen
    ip = b[hl:]
    if len(ip) < 20 or ip[0] >> 4 != 4:
        continue
    ihl = (ip[0] & 15) * 4
    if len(ip) < ihl + 12 or struct.unpack('!H', ip[ihl:ihl + 2])[0] != 420:
        continue
    n[(ip[9], struct.unpack('!Q', ip[ihl + 4:ihl + 12])[0])] += 1
for (p, ts), c in sorted(n.items()):
    print(p, ts, c)
PY
mismatch=$(python3 - "$TMPD/keys" "$TMPD/judge" <<'PY'
import sys
seen = {}
for l in open(sys.argv[2]):
    p, ts, n = l.split()
    seen[(p, ts)] = int(n)
bad = 0
for l in open(sys.argv[1]):
    p, ts, w = l.split()
    n = seen.get((p, ts), 0)
    # libpcap shows a packet on lo once: hdp's "on wire" must agree
    if (n > 0) != (w == '1') or n > 1:
        bad += 1
        print('proto', p, 'ts', ts, 'tcpdump', n, 'hdp', w, file=sys.stderr)
print(bad)
PY
)
expect_eq "tcpdump and hdp agree on every packet seen on lo" "$mismatch" 0
expect_eq "tcpdump saw no packet of 201 (output drop)" \
	"$(awk '$1 == 201' "$TMPD/judge" | wc -l)" 0
[ $EGRESS -eq 1 ] &&
	expect_eq "tcpdump saw no packet of 202 (egress drop)" \
		"$(awk '$1 == 202' "$TMPD/judge" | wc -l)" 0
expect_eq "tcpdump saw 3 packets of 200 (input drop comes later)" \
	"$(awk '$1 == 200' "$TMPD/judge" | wc -l)" 3

# --join of the saved JSON (no receiver lines needed on one host)
"$HDP" sweep --join -v "$TMPD/tx.json" /dev/null >"$TMPD/join.txt" 2>&1
check "--join reproduces the table" cmp -s "$TMPD/table.txt" "$TMPD/join.txt"
check "-v: the table has the original columns" grep -q \
	'^| Protocol Number | Source IP (Server) | Byte Sum (Server) | Received (Server) | Succeeded (Client) | Byte sum (Client) | Failure reason (Client) | Time difference |' \
	"$TMPD/table.txt"
check "summary names the stopped numbers" \
	grep -q '^- refused_by_sender: 1 (201)' "$TMPD/table.txt"

# the original client's way, side by side
ip netns exec "$NS" "$HDP" sweep 127.0.0.1 --method both -c 1 \
	-P 0,17,200,201,255 --json >"$TMPD/both.json" 2>/dev/null
m() { python3 -c "
import json, sys
for l in open('$TMPD/both.json'):
    r = json.loads(l)
    if r['proto'] == $1 and r['method'] == '$2':
        print(r['verdict'], r.get('send_errno', 0))"; }
expect_eq "socket 0: socket() refused" "$(m 0 socket)" \
	"refused_by_sender 93"
# 255 is IPPROTO_RAW: the kernel takes our HDP bytes for an IP header
expect_eq "socket 255: IPPROTO_RAW implies IP_HDRINCL, EINVAL" \
	"$(m 255 socket)" "refused_by_sender 22"
expect_eq "socket 17 delivered" "$(m 17 socket)" "delivered 0"
expect_eq "libnet 255 delivered" "$(m 255 libnet)" "delivered 0"
expect_eq "socket 201 refused by the output hook" "$(m 201 socket)" \
	"refused_by_sender 1"

# IPv6: numbers the decoder would take for extension headers are still
# matched on the fixed header; ICMPv6 raw sockets check the checksum
ip netns exec "$NS" "$HDP" sweep ::1 -c 1 -P 0,44,58,150,255 --json \
	>"$TMPD/v6.json" 2>/dev/null
s6() { python3 -c "
import json
for l in open('$TMPD/v6.json'):
    r = json.loads(l)
    if r['proto'] == $1:
        print(r['verdict'], r['on_wire'])"; }
expect_eq "v6 150 delivered" "$(s6 150)" "delivered 1"
expect_eq "v6 255 delivered" "$(s6 255)" "delivered 1"
expect_eq "v6 44 (fragment header number) delivered" "$(s6 44)" "delivered 1"
expect_eq "v6 0 (hop-by-hop) seen, never delivered" "$(s6 0)" \
	"dropped_before_socket 1"
expect_eq "v6 58: bad ICMPv6 checksum, not delivered" "$(s6 58)" \
	"dropped_before_socket 1"

check "no tracefs instance left behind" \
	lacks_instance "$TRACEFS" "$SWEEP_PID"
finish
