#!/bin/sh
# sweep_router.sh: hdp sweep between two namespaces through a third that
# routes (forwarding on), with nftables dropping 204 at the sender's
# output, 202 in the router's forward chain and 203 at the receiver's
# input.  The receiver runs hdp listen -P all --json; --join of both
# sides must name the right layer for each number, with the kernel's
# reason; tcpdump on the router and the receiver judges where each
# number was really seen.  Also: SIGTERM during the settle interval
# leaves no tracefs instance behind.
. "$top_srcdir/tests/lib.sh"
need_root
need_cmd python3 tcpdump nft ip

A=$(netns_add snd) R=$(netns_add rtr) B=$(netns_add rcv)
# interface names carry the PID: they are created in the host first
veth_pair "$A" "sa$$" 10.71.1.1/24 "$R" "ra$$" 10.71.1.2/24
veth_pair "$R" "rb$$" 10.71.2.2/24 "$B" "sb$$" 10.71.2.1/24
ip -n "$A" route add default via 10.71.1.2
ip -n "$B" route add default via 10.71.2.2
ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$A" nft -f - <<'NFT' || fatal "nft A"
table inet hdptest {
	chain o { type filter hook output priority 0; ip protocol 204 drop; }
}
NFT
ip netns exec "$R" nft -f - <<'NFT' || fatal "nft R"
table inet hdptest {
	chain f { type filter hook forward priority 0; ip protocol 202 drop; }
}
NFT
ip netns exec "$B" nft -f - <<'NFT' || fatal "nft B"
table inet hdptest {
	chain i { type filter hook input priority 0; ip protocol 203 drop; }
}
NFT

bg ip netns exec "$B" "$HDP" listen -P all --json -t 20 \
	>"$TMPD/rx.json" 2>"$TMPD/rx.err"
LPID=$BG_PID
bg ip netns exec "$R" tcpdump -i "rb$$" -B 8192 -s 128 -n -U \
	--immediate-mode -w "$TMPD/router_out.pcap" ip 2>"$TMPD/t1.err"
T1=$BG_PID
i=0
while { ! grep -q "listening on" "$TMPD/rx.err" ||
	! grep -q listening "$TMPD/t1.err"; } && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
# neighbours first, so no packet waits for ARP
ip netns exec "$A" "$HDP" sweep 10.71.2.1 -P 17 -c 1 --wait 100 \
	>/dev/null 2>&1

ip netns exec "$A" "$HDP" sweep 10.71.2.1 -v -o "$TMPD/tx.json" \
	>"$TMPD/sender.txt" 2>"$TMPD/sweep.err"
cat "$TMPD/sweep.err"
sleep 0.5
kill "$T1"; wait "$T1" 2>/dev/null
kill "$LPID"; wait "$LPID" 2>/dev/null

DROPS=1
TRACEFS=$(tracefs_dir)
grep -q "drop reasons unavailable" "$TMPD/sweep.err" && DROPS=0

# the sender alone cannot know what arrived
check "sender's own table: 100 left the sender, arrival unknown" \
	grep -q '^| 100 | .* | ? | ? | left_sender |' "$TMPD/sender.txt"

"$HDP" sweep --join "$TMPD/tx.json" "$TMPD/rx.json" --json \
	>"$TMPD/joined.json" 2>&1 || true
"$HDP" sweep --join -v "$TMPD/tx.json" "$TMPD/rx.json" \
	>"$TMPD/joined.txt" 2>&1
expect_eq "--join exits 1 (some numbers stopped)" "$?" 1
python3 - "$TMPD/joined.json" >"$TMPD/v" <<'PY' || fail "joined JSON"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 256
for r in rows:
    print(r['proto'], r['verdict'], r['drop_reason'], r['arrived'],
          r['delivered'], r['on_wire'])
PY
v() { awk -v p="$1" '$1 == p { print $'"$2"' }' "$TMPD/v"; }
expect_eq "204: refused by the sender's output hook" "$(v 204 2)" \
	refused_by_sender
expect_eq "202: left the sender, dropped by the router" \
	"$(v 202 2) $(v 202 6) $(v 202 4)" "never_arrived 3 0"
expect_eq "203: arrived, dropped by the receiver's input hook" \
	"$(v 203 2) $(v 203 4) $(v 203 5)" "dropped_before_socket 3 0"
expect_eq "0: arrived, no socket can listen for it" "$(v 0 2)" \
	dropped_before_socket
if [ $DROPS -eq 1 ]; then
	# one host, one kernel: the router's and the receiver's drops run
	# in the sender's softirq and carry its markers
	expect_eq "202: NETFILTER_DROP" "$(v 202 3)" NETFILTER_DROP
	expect_eq "203: NETFILTER_DROP" "$(v 203 3)" NETFILTER_DROP
	expect_eq "204: NETFILTER_DROP" "$(v 204 3)" NETFILTER_DROP
	expect_eq "0: IP_NOPROTO" "$(v 0 3)" IP_NOPROTO
fi
others=$(awk '$1 != 0 && $1 != 202 && $1 != 203 && $1 != 204 &&
	$2 != "delivered"' "$TMPD/v" | wc -l)
expect_eq "every other number delivered across the router" "$others" 0
check "joined table shows the receiver's address view" \
	grep -q '^| 100 | 10.71.1.1 | 120 | 3 | 3 | 120 |' "$TMPD/joined.txt"

# tcpdump on the router's egress towards the receiver
python3 - "$TMPD/router_out.pcap" >"$TMPD/judge" <<'PY'
import struct, sys, collections
d = open(sys.argv[1], 'rb').read()
e = '<' if struct.unpack('<I', d[:4])[0] in (0xa1b2c3d4, 0xa1b23c4d) else '>'
hl = {1: 14, 276: 20, 113: 16}[struct.unpack(e + 'I', d[20:24])[0]]
n = collections.Counter()
off = 24
while off + 16 <= len(d):
    caplen = struct.unpack(e + 'I', d[off + 8:off + 12])[0]
    ip = d[off + 16 + hl:off + 16 + caplen]
    off += 16 + caplen
    if len(ip) >= 32 and ip[0] >> 4 == 4 and ip[20:22] == b'\x01\xa4':
        n[ip[9]] += 1
for p in range(256):
    print(p, n[p])
PY
j() { awk -v p="$1" '$1 == p { print $2 }' "$TMPD/judge"; }
expect_eq "tcpdump: 202 never left the router" "$(j 202)" 0
expect_eq "tcpdump: 203 did reach the receiver's link" "$(j 203)" 3
expect_eq "tcpdump: 204 never left the sender" "$(j 204)" 0
expect_eq "tcpdump: 100 crossed the router" "$(j 100)" 3

# an interrupted sweep still removes its tracefs instance
ip netns exec "$A" "$HDP" sweep 10.71.2.1 -P 5 --wait 20000 \
	>/dev/null 2>"$TMPD/int.err" &
SP=$!
i=0
while [ $i -lt 50 ] && lacks_instance "$TRACEFS" "$SP" &&
	[ ! -s "$TMPD/int.err" ]; do
	sleep 0.1; i=$((i + 1))
done
sleep 0.2
kill -TERM "$SP"
wait "$SP"
expect_eq "SIGTERM: exit 1, results so far" "$?" 1
check "SIGTERM: said so" grep -q interrupted "$TMPD/int.err"
if [ $DROPS -eq 1 ]; then
	check "SIGTERM: no tracefs instance left behind" \
		lacks_instance "$TRACEFS" "$SP"
fi
# SIGKILL cannot be caught: the next run removes what a dead one left
if [ $DROPS -eq 1 ]; then
	ip netns exec "$A" "$HDP" sweep 10.71.2.1 -P 5 --wait 20000 \
		>/dev/null 2>&1 &
	KP=$!
	i=0
	while [ $i -lt 50 ] && lacks_instance "$TRACEFS" "$KP"; do
		sleep 0.1; i=$((i + 1))
	done
	kill -KILL "$KP"; wait "$KP" 2>/dev/null
	check "SIGKILL leaves the instance" \
		has_instance "$TRACEFS" "$KP"
	ip netns exec "$A" "$HDP" sweep 10.71.2.1 -P 5 -c 1 --wait 10 \
		>/dev/null 2>&1
	check "the next sweep removed the dead run's instance" \
		lacks_instance "$TRACEFS" "$KP"
fi
finish
