#!/bin/sh
# send_loopback.sh: hdp send on a namespace's own loopback, IPv4 and IPv6,
# judged by tcpdump and tshark: every header field the options set is
# seen on the wire, checksums are right, the payload is what was given.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/send_lib.sh"
need_root
need_cmd tcpdump tshark

NS=$(netns_add lo)
num() { printf '%d' "${1:-0}" 2>/dev/null || echo "bad:$1"; }
run() { ip netns exec "$NS" "$HDP" send "$@" </dev/null; }

cap_start "$NS" lo "$TMPD/a.pcap"
before=$(date +%s%N)
run -q 127.0.0.1 >/dev/null; rc=$?
expect_eq "default send exits 0" "$rc" 0
after=$(date +%s%N)
run -q --ttl 7 --tos 0xb8 --id 4242 --df --sport 1000 --dport 2000 \
	--timestamp 0x0102030405060708 --data "hello hdp" 127.0.0.1 >/dev/null
run -q -P 17 --l4 udp --sport 5 --dport 6 --data u 127.0.0.1 >/dev/null
run -q --l4 none -P 254 --data bare 127.0.0.1 >/dev/null
run -q --ttl 46 --dscp 46 --ecn 1 --data x 127.0.0.1 >/dev/null
run -q -6 --hop-limit 9 --traffic-class 0x2d --flow-label 0xabcde \
	--data six ::1 >/dev/null
run -q -6 --flow-label 0x12345 --l4 udp ::1 >/dev/null
cap_stop

# 1: the default packet: protocol 255, TTL 64, ports 420, timestamp now
set -- $(fields "$TMPD/a.pcap" "ip.proto == 255 && ip.ttl == 64 && ip.len == 32" \
	ip.proto ip.ttl ip.checksum.status data.data)
expect_eq "default: proto 255" "${1:-}" 255
expect_eq "default: ttl 64" "${2:-}" 64
expect_eq "default: IPv4 header checksum good" "${3:-}" 1
d=${4:-}
expect_eq "default: ports 420/420" "$(echo "$d" | cut -c1-8)" "01a401a4"
ts=$(printf '%d' "0x$(echo "$d" | cut -c9-24)")
if [ "$ts" -ge "$before" ] && [ "$ts" -le "$after" ]; then
	ok "default: timestamp taken at send time"
else
	fail "timestamp $ts not in [$before, $after]"
fi

# 2: every IPv4 field
set -- $(fields "$TMPD/a.pcap" "ip.ttl == 7" ip.proto ip.dsfield ip.id \
	ip.flags.df ip.checksum.status data.data)
expect_eq "ttl 7: proto" "${1:-}" 255
expect_eq "--tos 0xb8" "${2:-}" 0xb8
expect_eq "--id 4242" "${3:-}" 0x1092
expect_eq "--df" "${4:-}" 1
expect_eq "header checksum good" "${5:-}" 1
expect_eq "ports, pinned timestamp, payload" "${6:-}" \
	"03e807d00102030405060708$(printf 'hello hdp' | od -An -tx1 | tr -d ' \n')"

# 3: UDP mode: a real UDP header with a good checksum, then HDP
set -- $(fields "$TMPD/a.pcap" "ip && udp.srcport == 5" udp.dstport \
	udp.checksum.status udp.length ip.proto)
expect_eq "--l4 udp: dport" "${1:-}" 6
expect_eq "--l4 udp: tshark says the checksum is good" "${2:-}" 1
expect_eq "--l4 udp: length 8+12+1" "${3:-}" 21
expect_eq "--l4 udp: proto 17" "${4:-}" 17

# 4: --l4 none: the payload bare after the IP header
set -- $(fields "$TMPD/a.pcap" "ip.proto == 254" data.data)
expect_eq "--l4 none: bare payload" "${1:-}" "62617265"

# 5: DSCP/ECN
set -- $(fields "$TMPD/a.pcap" "ip.ttl == 46" ip.dsfield.dscp ip.dsfield.ecn)
expect_eq "--dscp 46" "${1:-}" 46
expect_eq "--ecn 1" "${2:-}" 1

# 6: IPv6: next header 255, hop limit, traffic class, flow label (libnet
# 1.1.6 corrupts the flow label; hdp corrects it)
set -- $(fields "$TMPD/a.pcap" "ipv6.hlim == 9" ipv6.nxt ipv6.tclass \
	ipv6.flow data.data)
expect_eq "IPv6 next header 255" "${1:-}" 255
expect_eq "--traffic-class" "$(num "${2:-}")" 45
expect_eq "--flow-label 0xabcde" "$(num "${3:-}")" 703710
expect_eq "IPv6 payload" "$(echo "${4:-}" | cut -c25-)" "736978"
set -- $(fields "$TMPD/a.pcap" "ipv6 && udp" ipv6.flow udp.checksum.status)
expect_eq "IPv6 UDP flow label" "$(num "${1:-}")" 74565
expect_eq "IPv6 UDP checksum good" "${2:-}" 1
# and tcpdump, the second judge, agrees on the flow label
tcpdump -n -v -r "$TMPD/a.pcap" ip6 2>/dev/null | grep -q "flowlabel 0xabcde" ||
	fail "tcpdump sees flowlabel 0xabcde"
tcpdump -n -v -r "$TMPD/a.pcap" ip 2>/dev/null | grep -q "bad cksum" &&
	fail "tcpdump found a bad IPv4 checksum"

# 7: link-layer injection on loopback (-I lo): an Ethernet header of
# zeros, the IP datagram the same as a raw send's
cap_start "$NS" lo "$TMPD/l.pcap"
run -q -I lo --ttl 3 --data link 127.0.0.1 >/dev/null; rc=$?
expect_eq "-I lo exits 0" "$rc" 0
run -q -I lo -6 --hop-limit 3 --data link ::1 >/dev/null
cap_stop
set -- $(fields "$TMPD/l.pcap" "ip.ttl == 3" eth.dst ip.proto ip.checksum.status)
expect_eq "-I lo: Ethernet dst" "${1:-}" "00:00:00:00:00:00"
expect_eq "-I lo: proto" "${2:-}" 255
expect_eq "-I lo: checksum" "${3:-}" 1
set -- $(fields "$TMPD/l.pcap" "ipv6.hlim == 3" eth.type ipv6.nxt)
expect_eq "-I lo -6: ethertype" "${1:-}" 0x86dd
expect_eq "-I lo -6: next header" "${2:-}" 255

# 8: --src, a source the route would not pick
cap_start "$NS" lo "$TMPD/s.pcap"
run -q --src 127.0.0.9 --ttl 5 127.0.0.1 >/dev/null
run -q --src ::1 -6 --hop-limit 5 ::1 >/dev/null
cap_stop
set -- $(fields "$TMPD/s.pcap" "ip.ttl == 5" ip.src ip.checksum.status)
expect_eq "--src on the wire" "${1:-}" 127.0.0.9
expect_eq "--src: checksum" "${2:-}" 1

# 9: -c 0 runs until SIGINT, then summarizes
ip netns exec "$NS" "$HDP" send -q -c 0 --rate 100 127.0.0.1 </dev/null \
	>"$TMPD/int" 2>&1 &
pid=$!
sleep 0.6
kill -INT "$pid"
wait "$pid"; rc=$?
expect_eq "interrupted run exits 0" "$rc" 0
n=$(sed -n 's/^\([0-9]*\) packets: \([0-9]*\) sent, 0 failed.*/\2/p' "$TMPD/int")
if [ -n "$n" ] && [ "$n" -ge 30 ] && [ "$n" -le 90 ]; then
	ok "interrupted after $n packets at 100/s"
else
	fail "interrupted run: $(cat "$TMPD/int")"
fi

# 10: a missing interface: exit 4, named
run -I nosuch0 127.0.0.1 >/dev/null 2>"$TMPD/err"; rc=$?
expect_eq "-I nosuch0: exit 4" "$rc" 4
grep -q "nosuch0" "$TMPD/err" || fail "-I nosuch0 named: $(cat "$TMPD/err")"

# 11: the sender's own IPPROTO_RAW socket gets a copy of every HDP packet
# received (255 is IPPROTO_RAW): without --rx-filter its receive queue
# fills; with it (the default) the queue stays empty; pcap sees all.
rxq() {	# the rx_queue of the protocol-255 raw socket, in decimal
	ip netns exec "$NS" sh -c 'cat /proc/net/raw' |
		awk '$2 ~ /:00FF$/ { split($5, q, ":"); print q[2] }' | head -1
}
for mode in --no-rx-filter --rx-filter; do
	cap_start "$NS" lo "$TMPD/f$mode.pcap" "ip[9] == 255"
	bg ip netns exec "$NS" "$HDP" send -q "$mode" -c 40 -i 0.02 127.0.0.1 \
		</dev/null >/dev/null
	sleep 0.5
	q=$(rxq)
	wait "$BG_PID"
	cap_stop
	n=$(tcpdump -n -r "$TMPD/f$mode.pcap" 2>/dev/null | wc -l)
	expect_eq "$mode: pcap sees all 40" "$n" 40
	if [ "$mode" = --rx-filter ]; then
		expect_eq "--rx-filter: nothing queued on the sender" "$q" 00000000
	elif [ -n "$q" ] && [ "$q" != 00000000 ]; then
		ok "--no-rx-filter: the sender's socket queues HDP ($q)"
	else
		fail "--no-rx-filter: expected a receive queue, got '$q'"
	fi
done

finish
