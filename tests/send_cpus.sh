#!/bin/sh
# send_cpus.sh: hdp send --flood --cpus N, one sender per core, between two
# namespaces joined by a veth pair.  The receiver's nft counter (input
# hook, protocol 255 from the sender) must see exactly the -c asked for in
# total, through the TX ring (-I), through sendmmsg() and through raw
# sockets, over IPv4 and IPv6, also when -c is smaller than the senders;
# tshark judges the frames a tcpdump on the receiver kept (checksums,
# addresses, ports, every HDP timestamp patched in, the UDP checksum kept
# right).  Every flood is bounded by its count and by timeout.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/send_lib.sh"
need_root
need_cmd tcpdump tshark nft tc

A=$(netns_add a)
B=$(netns_add b)
veth_pair "$A" va 198.18.0.1/24 "$B" vb 198.18.0.2/24
ip -n "$A" -6 addr add 2001:db8:1::1/64 dev va nodad
ip -n "$B" -6 addr add 2001:db8:1::2/64 dev vb nodad
ip netns exec "$B" nft -f - <<'EOF' || fatal "nft counters"
table inet hdpcpus {
	counter hdp4 { }
	counter hdp6 { }
	counter udp4 { }
	chain input {
		type filter hook input priority 0; policy accept;
		ip saddr 198.18.0.1 ip protocol 255 counter name hdp4
		ip6 saddr 2001:db8:1::1 ip6 nexthdr 255 counter name hdp6
		ip saddr 198.18.0.1 udp dport 420 counter name udp4
	}
}
EOF
snd() { ip netns exec "$A" timeout -k 2 30 "$HDP" send "$@" </dev/null; }
cnt() {
	ip netns exec "$B" nft list counter inet hdpcpus "$1" |
		sed -n 's/.*packets \([0-9]*\).*/\1/p'
}
# flood LABEL COUNTER WANT OPTIONS...: the counter grows by exactly WANT
# and the summary says WANT sent, none failed.
flood() {
	_l=$1 _c=$2 _w=$3
	shift 3
	_b=$(cnt "$_c")
	snd -q --flood "$@" >"$TMPD/out" 2>"$TMPD/err"
	_rc=$?
	sleep 0.2
	_a=$(cnt "$_c")
	expect_eq "$_l: exit 0" "$_rc" 0
	expect_eq "$_l: arrived" "$((_a - _b))" "$_w"
	grep -q "^$_w packets: $_w sent, 0 failed" "$TMPD/out" ||
		fail "$_l: summary: $(cat "$TMPD/out" "$TMPD/err")"
}

flood "--cpus 2 -I (ring)" hdp4 20000 -c 20000 --cpus 2 --size 32 \
	-I va 198.18.0.2
export HDP_SEND_METHOD=mmsg:32
flood "--cpus 2 -I (sendmmsg)" hdp4 20000 -c 20000 --cpus 2 --size 32 \
	-I va 198.18.0.2
unset HDP_SEND_METHOD
flood "--cpus 2 raw IPv4" hdp4 20000 -c 20000 --cpus 2 198.18.0.2
flood "--cpus 2 -I IPv6" hdp6 20000 -c 20000 --cpus 2 -I va 2001:db8:1::2
flood "--cpus 2 raw IPv6" hdp6 5000 -c 5000 --cpus 2 2001:db8:1::2
flood "-c 3 over --cpus 4" hdp4 3 -c 3 --cpus 4 -I va 198.18.0.2
flood "--cpus all" hdp4 7001 -c 7001 --cpus all -I va 198.18.0.2
flood "--cpus 1 (ring)" hdp4 10000 -c 10000 -I va 198.18.0.2
flood "--cpus 2 --l4 udp" udp4 10000 -c 10000 --cpus 2 --l4 udp \
	-I va 198.18.0.2

# the frames themselves, as the receiver's tcpdump kept them
CAP_BATCH=1 cap_start "$B" vb "$TMPD/c.pcap" "ip proto 255 or ip6 proto 255 or udp"
snd -q --flood -c 2000 --cpus 2 --size 40 --ttl 33 -I va 198.18.0.2 \
	>/dev/null
snd -q --flood -c 2000 --cpus 2 --l4 udp --size 40 --ttl 34 -I va \
	198.18.0.2 >/dev/null
snd -q --flood -c 1000 --cpus 2 --hop-limit 35 -I va 2001:db8:1::2 \
	>/dev/null
snd -q --flood -c 1000 --cpus 2 --l4 udp --hop-limit 36 -I va \
	2001:db8:1::2 >/dev/null
CAP_BATCH=1 cap_stop
grep -q "^0 packets dropped by kernel" "$TMPD/c.pcap.err" ||
	echo "note: tcpdump dropped some: $(cat "$TMPD/c.pcap.err")"
fields "$TMPD/c.pcap" "ip.ttl == 33" ip.checksum.status ip.src ip.dst \
	ip.proto frame.len >"$TMPD/hdp4"
n=$(wc -l <"$TMPD/hdp4")
[ "$n" -ge 1900 ] || fail "HDP frames captured: $n of 2000"
bad=$(grep -vc "^1 198.18.0.1 198.18.0.2 255 86$" "$TMPD/hdp4")
expect_eq "HDP frames: checksum good, addresses, protocol, 86 bytes" \
	"$bad" 0
# HDP's timestamp is the 8 bytes after the ports: one per frame, fresh
HOME=$TMPD tshark -n -r "$TMPD/c.pcap" -Y "ip.ttl == 33" -T fields -e data.data \
	2>/dev/null | cut -c 1-24 >"$TMPD/ts"
grep -vc "^01a401a4" "$TMPD/ts" >"$TMPD/badports"
expect_eq "HDP ports 420 > 420" "$(cat "$TMPD/badports")" 0
u=$(sort -u "$TMPD/ts" | wc -l)
[ "$u" -ge $((n * 9 / 10)) ] && ok "HDP timestamps: $u distinct of $n" ||
	fail "HDP timestamps: $u distinct of $n frames (patched per frame?)"
now=$(date +%s)
first=$(head -n 1 "$TMPD/ts" | cut -c 9-24)
secs=$(( $(printf '%d' "0x$first") / 1000000000 ))
[ $((now - secs)) -lt 120 ] && [ $((secs - now)) -lt 120 ] &&
	ok "HDP timestamps are the time of sending" ||
	fail "HDP timestamp $first is not now ($now)"
fields "$TMPD/c.pcap" "ip.ttl == 34" udp.checksum.status udp.srcport \
	udp.dstport >"$TMPD/udp"
n=$(wc -l <"$TMPD/udp")
[ "$n" -ge 1900 ] || fail "UDP frames captured: $n of 2000"
bad=$(grep -vc "^1 420 420$" "$TMPD/udp")
expect_eq "UDP frames: every checksum right after its timestamp" "$bad" 0
n=$(fields "$TMPD/c.pcap" "ipv6.hlim == 35 && ipv6.nxt == 255 && ipv6.src == 2001:db8:1::1" \
	frame.number | wc -l)
[ "$n" -ge 900 ] || fail "IPv6 frames captured: $n of 1000"
# IPv6 UDP: the checksum is mandatory (RFC 8200 8.1), patched per frame
fields "$TMPD/c.pcap" "ipv6.hlim == 36 && udp" udp.checksum.status \
	>"$TMPD/udp6"
n=$(wc -l <"$TMPD/udp6")
[ "$n" -ge 900 ] || fail "IPv6 UDP frames captured: $n of 1000"
expect_eq "IPv6 UDP frames: every checksum right after its timestamp" \
	"$(grep -vc '^1$' "$TMPD/udp6")" 0

# until interrupted (-c 0): both senders stop on SIGINT, one summary
ip netns exec "$A" timeout -s INT -k 2 1 "$HDP" send -q --flood -c 0 \
	--cpus 2 -I va 198.18.0.2 >"$TMPD/out" 2>&1 </dev/null
rc=$?
grep -q "packets: .* sent, 0 failed" "$TMPD/out" ||
	fail "-c 0 stopped by SIGINT: rc $rc: $(cat "$TMPD/out")"

# what --cpus refuses, and how
usage() {
	snd "$@" 198.18.0.2 >/dev/null 2>"$TMPD/err"
	expect_eq "refused: $*" "$?" 2
	[ "$(wc -l <"$TMPD/err")" -le 2 ] && grep -q "^hdp send: " "$TMPD/err" ||
		fail "one voice for $*: $(cat "$TMPD/err")"
}
usage --cpus 2
usage --flood --cpus 0
usage --flood --cpus -1
usage --flood --cpus two
usage --flood --cpus 2 --pcap-out "$TMPD/x.pcap"
usage --flood --cpus 2 -P 1,255
grep -q "out of range" "$TMPD/err" 2>/dev/null ||
	snd --flood --cpus 0 198.18.0.2 2>&1 | grep -q "out of range" ||
	fail "--cpus 0 says out of range"
# HDP_SEND_METHOD: a value that is not mmsg|ring[:1-1024][+bypass] is one
# usage error naming it (none half-used: ':0', ':-1', ':2000' clamped or
# ignored before)
for m in bogus mmsg:0 mmsg:-1 mmsg:2000 mmsg:x mmsg+x ring:8+by; do
	HDP_SEND_METHOD=$m snd --flood -c 1 -I va 198.18.0.2 >/dev/null \
		2>"$TMPD/err"
	expect_eq "HDP_SEND_METHOD $m: exit 2" "$?" 2
	grep -q "^hdp send: HDP_SEND_METHOD" "$TMPD/err" ||
		fail "HDP_SEND_METHOD $m: $(cat "$TMPD/err")"
done
HDP_SEND_METHOD=ring snd --flood -c 1 198.18.0.2 >/dev/null 2>"$TMPD/err"
expect_eq "HDP_SEND_METHOD ring without -I: exit 2" "$?" 2

# a qdisc that drops (tbf, a few frames of room): the ring's ENOBUFS.
# What the summary counts as sent is what arrived, sent + failed is -c,
# and the failures are the qdisc's (the ring once lost its place after
# one and counted sent frames as failed with EIO, or stalled)
ip netns exec "$A" tc qdisc add dev va root tbf rate 20mbit burst 3000 \
	limit 6000 || fatal "tc tbf"
for m in ring mmsg; do
	b=$(cnt hdp4)
	HDP_SEND_METHOD=$m snd -q --flood -c 20000 --size 32 -I va \
		198.18.0.2 >"$TMPD/out" 2>"$TMPD/err"
	sleep 0.5
	a=$(cnt hdp4)
	sent=$(sed -n 's/^20000 packets: \([0-9]*\) sent, \([0-9]*\) failed.*/\1 \2/p' \
	       "$TMPD/out")
	set -- $sent
	expect_eq "tbf drops, $m: sent + failed is -c" "$(( ${1:-0} + ${2:-0} ))" \
		20000
	expect_eq "tbf drops, $m: counted sent = arrived" "${1:--}" "$((a - b))"
	grep -q "EIO" "$TMPD/out" && fail "tbf drops, $m: $(cat "$TMPD/out")"
done
# Ctrl-C while the ring's send() waits for its frames to leave (a slow
# qdisc with room for them): every frame it took is counted, none as
# failed (they were once counted as one EINTR failure, a batch short)
ip netns exec "$A" tc qdisc change dev va root tbf rate 5mbit burst 3000 \
	limit 200000 || fatal "tc tbf change"
b=$(cnt hdp4)
ip netns exec "$A" timeout -s INT -k 2 0.7 "$HDP" send -q --flood -c 0 \
	--size 32 -I va 198.18.0.2 >"$TMPD/out" 2>&1 </dev/null
sleep 1
a=$(cnt hdp4)
set -- $(sed -n 's/^[0-9]* packets: \([0-9]*\) sent, \([0-9]*\) failed.*/\1 \2/p' \
	 "$TMPD/out")
expect_eq "Ctrl-C in the ring's send: counted sent = arrived" "${1:--}" \
	"$((a - b))"
expect_eq "Ctrl-C in the ring's send: none failed" "${2:--}" 0
ip netns exec "$A" tc qdisc del dev va root
finish
