#!/bin/sh
# sniff_live.sh: hdp sniff on real traffic, inside this test's own network
# namespaces: the namespace's loopback, -i any (interface and direction),
# Ethernet across a veth pair, IPv6, and through an nft input rule that
# drops protocol 255 (the kernel drops them; sniff still sees every one).
# SIGINT and SIGTERM leave the output and the -w file flushed and valid,
# with tcpdump's statistics on standard error.  The traffic comes from
# `hdp send` (scapy while send is not built).
. "$top_srcdir/tests/lib.sh"
need_root
need_cmd ip timeout

netns_add a >/dev/null
netns_add b >/dev/null
A="$TEST_TAG-a"
B="$TEST_TAG-b"
VA="va$$"
VB="vb$$"
veth_pair "$A" "$VA" 10.123.0.1/24 "$B" "$VB" 10.123.0.2/24
ip -n "$A" addr add 2001:db8:123::1/64 dev "$VA" nodad
ip -n "$B" addr add 2001:db8:123::2/64 dev "$VB" nodad

# the sender: hdp send when it is built, else scapy through a raw socket
if "$HDP" help send 2>/dev/null | grep -q "not built yet"; then
	PY=""
	for p in python3 /usr/bin/python3; do
		"$p" -c 'import scapy' 2>/dev/null && { PY=$p; break; }
	done
	[ -n "$PY" ] || skip "neither hdp send nor scapy to send with"
	SENDER=scapy
else
	SENDER=hdp
fi
echo "sender: $SENDER"

# send_hdp NS DEST COUNT DATA: COUNT HDP packets 420 > 420 carrying DATA
send_hdp() {
	if [ "$SENDER" = hdp ]; then
		ip netns exec "$1" "$HDP" send -q -c "$3" -i 0.02 \
			--data "$4" "$2" >/dev/null
	else
		ip netns exec "$1" "$PY" - "$2" "$3" "$4" <<'PYEOF' 2>/dev/null
import struct, sys, time
from scapy.all import conf, send, IP, IPv6, Raw, L3RawSocket
dst, n, data = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
if ":" not in dst:
    conf.L3socket = L3RawSocket
for i in range(n):
    hdr = struct.pack("!HHQ", 420, 420, time.time_ns())
    l3 = IPv6(dst=dst, nh=255) if ":" in dst else IP(dst=dst, proto=255)
    send(l3 / Raw(hdr + data), verbose=0)
    time.sleep(0.02)
PYEOF
	fi
}

# start_sniff NS NAME ARGS...: hdp sniff in the background (at most 30 s
# unless KILLED_BY_US=1: then the PID is hdp's own, to signal it, and the
# EXIT trap ends it if the test does not), standard output in
# $TMPD/NAME.out, standard error in NAME.err; returns when it listens.
start_sniff() {
	ns=$1; name=$2; shift 2
	if [ "${KILLED_BY_US:-0}" = 1 ]; then
		bg ip netns exec "$ns" "$HDP" sniff "$@" \
			>"$TMPD/$name.out" 2>"$TMPD/$name.err"
	else
		bg ip netns exec "$ns" timeout 30 "$HDP" sniff "$@" \
			>"$TMPD/$name.out" 2>"$TMPD/$name.err"
	fi
	SNIFF_PID=$BG_PID
	i=0
	while ! grep -q "listening on" "$TMPD/$name.err" 2>/dev/null &&
	      [ "$i" -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	grep -q "listening on" "$TMPD/$name.err" ||
		fail "$name: sniff did not start: $(cat "$TMPD/$name.err")"
}

# json_check FILE N SRC DATA [IFNAME DIRECTION]
json_check() {
	python3 - "$@" <<'PYEOF'
import json, sys
path, n, src, data = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
ifname = sys.argv[5] if len(sys.argv) > 5 else None
direction = sys.argv[6] if len(sys.argv) > 6 else None
rows = [json.loads(l) for l in open(path) if l.strip()]
err = []
if len(rows) != n:
    err.append("%d packets, want %d" % (len(rows), n))
for o in rows:
    if o["src"] != src or o["proto"] != 255 or o["sport"] != 420:
        err.append("src/proto/sport %s %s %s" % (o["src"], o["proto"], o["sport"]))
    if bytes.fromhex(o["payload_hex"] or "") != data.encode():
        err.append("payload %s" % o["payload_hex"])
    if not 0 < o["latency_ns"] < 2000000000:
        err.append("latency %s" % o["latency_ns"])
    if o["latency_ns"] != o["time_ns"] - o["hdp_ts_ns"]:
        err.append("latency is not capture time - HDP timestamp")
    if ifname and (o["ifname"] != ifname or o["direction"] != direction):
        err.append("ifname/direction %s %s" % (o["ifname"], o["direction"]))
    if o["status"] != "ok" or o["error"] is not None:
        err.append("status %s %s" % (o["status"], o["error"]))
for e in err[:5]:
    print(e)
sys.exit(1 if err else 0)
PYEOF
}

# -D lists what libpcap can capture on, here the namespace's interfaces
ip netns exec "$A" "$HDP" sniff -D >"$TMPD/D" 2>&1
grep -q "^[0-9]*\.lo " "$TMPD/D" || fail "-D: $(cat "$TMPD/D")"
grep -q "^[0-9]*\.$VA " "$TMPD/D" || fail "-D lists $VA"

# 1. the namespace's loopback
start_sniff "$A" lo -i lo -c 5 --json
send_hdp "$A" 127.0.0.1 5 "on lo"
wait "$SNIFF_PID"; rc=$?
expect_eq "lo: exit 0 after -c 5" "$rc" 0
check "lo: 5 packets, fields right" json_check "$TMPD/lo.out" 5 127.0.0.1 "on lo"
grep -qx "5 packets captured" "$TMPD/lo.err" || fail "lo: statistics: $(cat "$TMPD/lo.err")"
grep -q "packets received by filter" "$TMPD/lo.err" || fail "lo: received line"
grep -q "packets dropped by kernel" "$TMPD/lo.err" || fail "lo: dropped line"

# 2. -i any (the default): interface name and direction of each packet
start_sniff "$A" any -c 3 --json
send_hdp "$A" 10.123.0.2 3 "any"
wait "$SNIFF_PID"
check "-i any: ifname $VA, Out" json_check "$TMPD/any.out" 3 10.123.0.1 any "$VA" Out
start_sniff "$A" any2 -c 1
send_hdp "$B" 10.123.0.1 1 "in"
wait "$SNIFF_PID"
grep -q "^[0-9:.]* $VA *In  IP 10.123.0.2.420 > 10.123.0.1.420: HDP ts [0-9]* latency [0-9.]* [mu]\{0,1\}s len 2$" \
	"$TMPD/any2.out" || fail "-i any line: $(cat "$TMPD/any2.out")"

# 3. Ethernet on the receiver's veth, through an nft rule that drops HDP
if command -v nft >/dev/null 2>&1; then
	ip netns exec "$B" nft -f - <<'EOF2'
table inet hdp_sniff_test {
	chain input {
		type filter hook input priority 0; policy accept;
		meta l4proto 255 counter drop
	}
}
EOF2
	start_sniff "$B" nft -i "$VB" -c 4 --json
	send_hdp "$A" 10.123.0.2 4 "dropped"
	wait "$SNIFF_PID"
	check "nft drop: sniff still sees 4" json_check "$TMPD/nft.out" 4 10.123.0.1 dropped
	dropped=$(ip netns exec "$B" nft list chain inet hdp_sniff_test input |
		sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
	expect_eq "nft dropped them all" "$dropped" 4
	ip netns exec "$B" nft delete table inet hdp_sniff_test
else
	echo "no nft: the drop-rule case is not run"
fi

# 4. IPv6 across the veth pair
start_sniff "$B" v6 -i "$VB" -c 2 --json -p -B 4096 -s 128
send_hdp "$A" 2001:db8:123::2 2 "six"
wait "$SNIFF_PID"
check "IPv6: 2 packets" json_check "$TMPD/v6.out" 2 2001:db8:123::1 six

# 5. SIGINT: the -w file is flushed and valid, statistics printed
KILLED_BY_US=1 start_sniff "$B" int -i "$VB" -w "$TMPD/int.pcap" -U
send_hdp "$A" 10.123.0.2 3 "int"
sleep 0.3
# -U: every packet is in the file before the capture ends
n=$("$HDP" sniff -r "$TMPD/int.pcap" 2>/dev/null | wc -l)
expect_eq "-U: 3 packets in the file while capturing" "$n" 3
kill -INT "$SNIFF_PID"
wait "$SNIFF_PID"; rc=$?
expect_eq "SIGINT: exit 0" "$rc" 0
grep -qx "3 packets captured" "$TMPD/int.err" || fail "SIGINT: $(cat "$TMPD/int.err")"
n=$("$HDP" sniff -r "$TMPD/int.pcap" 2>/dev/null | wc -l)
expect_eq "SIGINT: -w file holds 3" "$n" 3
if command -v tcpdump >/dev/null 2>&1; then
	n=$(tcpdump -n -r "$TMPD/int.pcap" 2>/dev/null | wc -l)
	expect_eq "SIGINT: tcpdump reads the -w file" "$n" 3
fi

# 6. SIGTERM while printing lines: every line is out
KILLED_BY_US=1 start_sniff "$A" term -i lo
send_hdp "$A" 127.0.0.1 2 "term"
sleep 0.3
kill -TERM "$SNIFF_PID"
wait "$SNIFF_PID"; rc=$?
expect_eq "SIGTERM: exit 0" "$rc" 0
n=$(grep -c " HDP ts " "$TMPD/term.out")
expect_eq "SIGTERM: both lines printed" "$n" 2
grep -qx "2 packets captured" "$TMPD/term.err" || fail "SIGTERM: $(cat "$TMPD/term.err")"
finish
