#!/bin/sh
# send_veth.sh: hdp send between two namespaces joined by a veth pair.
# Raw IP and link-layer injection (-I) over IPv4 and IPv6; the Ethernet
# destination is the next hop's MAC (the peer itself, or the gateway of a
# route); a datagram above the MTU is refused without --frag and arrives
# as fragments that the receiver's tshark reassembles with it.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/send_lib.sh"
need_root
need_cmd tcpdump tshark

A=$(netns_add a)
B=$(netns_add b)
veth_pair "$A" va 198.18.0.1/24 "$B" vb 198.18.0.2/24
ip -n "$A" -6 addr add 2001:db8:1::1/64 dev va nodad
ip -n "$B" -6 addr add 2001:db8:1::2/64 dev vb nodad
# link-local addresses without duplicate address detection (the kernel's
# own stay tentative for a while)
ip -n "$A" -6 addr add fe80::a/64 dev va nodad
ip -n "$B" -6 addr add fe80::b/64 dev vb nodad
ip -n "$A" route add 198.19.0.0/16 via 198.18.0.2
ip -n "$A" -6 route add 2001:db8:9::/48 via 2001:db8:1::2
ip -n "$A" link set va mtu 1280
ip -n "$B" link set vb mtu 1280
mac_b=$(ip -n "$B" -o link show vb | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
mac_a=$(ip -n "$A" -o link show va | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
snd() { ip netns exec "$A" "$HDP" send "$@" </dev/null; }

cap_start "$B" vb "$TMPD/b.pcap"
snd -q --ttl 11 --data raw4 198.18.0.2 >/dev/null; rc=$?
expect_eq "raw IPv4 over veth exits 0" "$rc" 0
snd -q --hop-limit 12 --data raw6 2001:db8:1::2 >/dev/null
snd -q -I va --ttl 13 --data link4 198.18.0.2 >/dev/null; rc=$?
expect_eq "-I va IPv4 exits 0" "$rc" 0
snd -q -I va --hop-limit 14 --data link6 2001:db8:1::2 >/dev/null; rc=$?
expect_eq "-I va IPv6 exits 0" "$rc" 0
snd -q -I va --ttl 15 --data routed 198.19.7.7 >/dev/null; rc=$?
expect_eq "-I va via a gateway exits 0" "$rc" 0
snd -q -I va --hop-limit 16 --data routed6 2001:db8:9::7 >/dev/null
ll_b=fe80::b
snd -q --hop-limit 17 "$ll_b%va" >/dev/null; rc=$?
expect_eq "link-local with a scope exits 0" "$rc" 0
cap_stop
set -- $(fields "$TMPD/b.pcap" "ipv6.hlim == 17" ipv6.dst ipv6.nxt)
expect_eq "link-local destination" "${1:-}" "$ll_b"
expect_eq "link-local next header" "${2:-}" 255

set -- $(fields "$TMPD/b.pcap" "ip.ttl == 11" ip.src ip.proto ip.checksum.status)
expect_eq "raw IPv4: source from the route" "${1:-}" 198.18.0.1
expect_eq "raw IPv4: proto" "${2:-}" 255
expect_eq "raw IPv4: checksum" "${3:-}" 1
set -- $(fields "$TMPD/b.pcap" "ipv6.hlim == 12" ipv6.src ipv6.nxt)
expect_eq "raw IPv6: source from the route" "${1:-}" 2001:db8:1::1
expect_eq "raw IPv6: next header" "${2:-}" 255
for t in "ip.ttl == 13" "ipv6.hlim == 14" "ip.ttl == 15" "ipv6.hlim == 16"; do
	set -- $(fields "$TMPD/b.pcap" "$t" eth.src eth.dst)
	expect_eq "-I va ($t): Ethernet source" "${1:-}" "$mac_a"
	expect_eq "-I va ($t): next hop's MAC" "${2:-}" "$mac_b"
done
set -- $(fields "$TMPD/b.pcap" "ip.ttl == 15" ip.dst ip.checksum.status)
expect_eq "routed: IP destination kept" "${1:-}" 198.19.7.7
expect_eq "routed: checksum" "${2:-}" 1

# above the MTU: a clear error without --frag, fragments with it
snd --size 1300 198.18.0.2 >/dev/null 2>"$TMPD/err"; rc=$?
expect_eq "above the MTU: exit 2" "$rc" 2
grep -q "larger than the MTU 1280.*--frag" "$TMPD/err" ||
	fail "MTU message names the MTU and --frag: $(cat "$TMPD/err")"
# the kernel does not fragment raw sends above the MTU: EMSGSIZE, per row
for d in 198.18.0.2 2001:db8:1::2; do
	snd --mtu 9000 --size 2000 "$d" >"$TMPD/big" 2>&1; rc=$?
	expect_eq "kernel refuses $d above the MTU: exit 1" "$rc" 1
	grep -q "| no | .* | EMSGSIZE: Message too long |" "$TMPD/big" ||
		fail "EMSGSIZE row for $d: $(cat "$TMPD/big")"
done
cap_start "$B" vb "$TMPD/f.pcap"
snd -q --frag --size 3000 --id 777 198.18.0.2 >/dev/null; rc=$?
expect_eq "--frag IPv4 exits 0" "$rc" 0
snd -q --frag --size 3000 2001:db8:1::2 >/dev/null; rc=$?
expect_eq "--frag IPv6 exits 0" "$rc" 0
snd -q -I va --frag --size 2000 --ttl 21 198.18.0.2 >/dev/null; rc=$?
expect_eq "--frag -I va exits 0" "$rc" 0
cap_stop
n=$(tcpdump -n -r "$TMPD/f.pcap" 'ip and ip[4:2] == 777' 2>/dev/null | wc -l)
expect_eq "IPv4: 3 fragments of ID 777" "$n" 3
n=$(tcpdump -n -r "$TMPD/f.pcap" 'ip6 and ip6[6] == 44' 2>/dev/null | wc -l)
expect_eq "IPv6: 3 fragments" "$n" 3
big=$(tcpdump -n -r "$TMPD/f.pcap" 'greater 1295' 2>/dev/null | wc -l)
expect_eq "no frame above the MTU" "$big" 0
# tshark reassembles them into the whole datagram: 12 + 3000 bytes
maxlen() { fields "$TMPD/f.pcap" "$1" data.len | sort -n | tail -1; }
set -- $(maxlen "ip.proto == 255 && ip.id == 777 && data")
expect_eq "IPv4 reassembled" "${1:-}" 3012
set -- $(maxlen "ipv6 && data")
expect_eq "IPv6 reassembled" "${1:-}" 3012
set -- $(maxlen "ip.ttl == 21 && data")
expect_eq "-I va fragments reassembled" "${1:-}" 2012

finish
