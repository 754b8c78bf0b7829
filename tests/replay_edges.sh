#!/bin/sh
# hdp replay on captures a user (or an attacker) may hand it, judged on the
# peer of a veth pair by tcpdump and scapy:
#  - as captured (-I): an Ethernet frame shorter than its header is skipped
#    as truncated (not a failed write, exit 0); a frame larger than the
#    interface's MTU fails and is said as such, the frames after it in
#    the same sendmmsg() batch still go; cooked (SLL) frames whose
#    protocol is an 802.3 length get no Ethernet header (skipped), and an
#    SLL frame that says IPv4 over an IPv6 datagram is wrapped with the
#    IPv6 ethertype, from the payload's version.
#  - addresses rewritten: a UDP datagram sent with no checksum (0) keeps
#    0, over IPv6 too (RFC 6935), while a real checksum is adjusted (the
#    peer's kernel counts no error).
#  - -I with a rewrite, to a subnet's broadcast address: the broadcast MAC
#    (the route says broadcast), no wait for a neighbour that never comes.
#  - next hops: destinations behind one gateway resolve it once; ones the
#    kernel routes out of another interface are refused, nothing leaves
#    by that interface (no frame, no probe).
#  - Ctrl-C while a frame waits to be due: not sent early, counted as
#    "stopped before due".
#  - --pps spaces the frames sent, not the frames read: skipped ones
#    take no slot.
#  - pacing: --pps far below one frame a century is a frame due "never"
#    (until Ctrl-C), not an overflowing deadline (UBSan in the sanitizer
#    build); SIGINT ends it with the summary.
. "${top_srcdir:-.}/tests/lib.sh"
need_root
need_cmd tcpdump ip timeout
need_scapy

A=$(netns_add a)
B=$(netns_add b)
veth_pair "$A" va 198.51.100.1/24 "$B" vb 198.51.100.2/24
ip -n "$A" addr add 2001:db8:1::1/64 dev va nodad
ip -n "$B" addr add 2001:db8:1::2/64 dev vb nodad
MAC_B=$(ip -n "$B" -o link show vb | sed 's/.*link\/ether \([^ ]*\).*/\1/')

rx_start() {
	bg ip netns exec "$B" tcpdump -i vb -Q in -nn -U --immediate-mode \
		-s 4096 -B 8192 -w "$TMPD/$1.rx.pcap" "$2" 2>"$TMPD/$1.td.err"
	TD=$BG_PID
	i=0
	while ! grep -q listening "$TMPD/$1.td.err" && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	sleep 0.3
}
rx_stop() { sleep 0.3; kill -INT "$TD"; wait "$TD" 2>/dev/null; }

# field JSON-SUMMARY NAME: a number from the summary object
field() {
	sed -n 's/.*"type":"summary".*"'"$2"'":\([0-9]*\).*/\1/p' "$1"
}

$PY - "$TMPD" "$MAC_B" <<'PY' 2>/dev/null || fatal "cannot make the captures"
import sys
from scapy.all import (Ether, IP, IPv6, UDP, Raw, CookedLinux, wrpcap)
d, mac = sys.argv[1], sys.argv[2]
e = Ether(dst=mac, src="02:00:00:00:00:01")
ok = e / IP(src="198.51.100.1", dst="198.51.100.2") / UDP(sport=7, dport=9) \
    / Raw(b"ok")
# 1 a frame cut inside its Ethernet header, 2 a whole one, 3 one of
# 2000 bytes for a 1500-byte MTU, 4 a whole one: in one sendmmsg() batch
# the kernel refuses 3 and takes 2 and 4
wrpcap(d + "/eth.pcap", [Raw(bytes(ok)[:10]), ok,
                         e / IP(src="198.51.100.1", dst="198.51.100.2") /
                         UDP(sport=7, dport=9) / Raw(b"x" * 1970), ok])
# cooked: protocol 0x0001 (802.3 frames), then IPv6 said to be IPv4
v6 = IPv6(src="2001:db8:1::1", dst="2001:db8:1::2") / UDP(sport=7, dport=9) \
    / Raw(b"v6 in sll")
wrpcap(d + "/sll.pcap", [CookedLinux(pkttype=4, proto=0x0001) / Raw(b"z" * 40),
                         CookedLinux(pkttype=4, proto=0x0800) / v6],
       linktype=113)
# UDP over IPv6 with no checksum, and with one, addressed elsewhere
u0 = Ether() / IPv6(src="2001:db8:9::1", dst="2001:db8:9::2") / \
    UDP(sport=7, dport=4000, chksum=0) / Raw(b"no checksum")
u1 = Ether() / IPv6(src="2001:db8:9::1", dst="2001:db8:9::2") / \
    UDP(sport=7, dport=4001) / Raw(b"checksum")
u4 = Ether() / IP(src="10.9.9.1", dst="10.9.9.2") / \
    UDP(sport=7, dport=4002, chksum=0) / Raw(b"no checksum v4")
wrpcap(d + "/csum.pcap", [u0, u1, u4])
# to the subnet's broadcast address: no neighbour, the broadcast MAC
# two frames 5 s apart: Ctrl-C in the gap
g = [e / IP(src="198.51.100.1", dst="198.51.100.2") / UDP(sport=7, dport=4200)
     / Raw(b"gap%d" % i) for i in range(2)]
g[0].time, g[1].time = 1000.0, 1005.0
wrpcap(d + "/gap.pcap", g)
# 20 destinations behind one gateway, then 5 routed out of another
# interface (HDP, protocol 255)
hdp = b"\x01\xa4\x01\xa4" + b"\x00" * 8
wrpcap(d + "/gw.pcap", [e / IP(src="198.51.100.1", dst="10.77.0.%d" % i,
                               proto=255) / Raw(hdp + b"gw")
                        for i in range(1, 21)])
wrpcap(d + "/other.pcap", [e / IP(src="198.51.100.1", dst="203.0.113.2",
                                  proto=255) / Raw(hdp + b"other")] * 5)
# 100 frames, every other one ARP (skipped when rebuilding)
from scapy.all import ARP
m = []
for i in range(50):
    m.append(e / ARP(pdst="198.51.100.2"))
    m.append(e / IP(src="198.51.100.1", dst="198.51.100.2") /
             UDP(sport=7, dport=4300) / Raw(b"m%d" % i))
wrpcap(d + "/mixed.pcap", m)
wrpcap(d + "/bcast.pcap", [e / IP(src="198.51.100.1", dst="198.51.100.255")
                           / UDP(sport=7, dport=4100) / Raw(b"bcast")] * 3)
PY

# 1. Ethernet: short frame skipped, oversize said as an MTU failure
rx_start eth 'udp port 9'
ip netns exec "$A" timeout 20 "$HDP" replay --json -I va --topspeed \
	"$TMPD/eth.pcap" >"$TMPD/eth.out" 2>"$TMPD/eth.err"
rc=$?
rx_stop
expect_eq "eth: exit 1 (the oversize frame failed)" "$rc" 1
expect_eq "eth: sent" "$(field "$TMPD/eth.out" sent)" 2
expect_eq "eth: failed" "$(field "$TMPD/eth.out" failed)" 1
expect_eq "eth: skipped (truncated)" "$(field "$TMPD/eth.out" skipped)" 1
check "eth: the short frame is skipped as truncated" \
	grep -q '"reason":"truncated: 10 bytes' "$TMPD/eth.out"
check "eth: the oversize frame is said to exceed va's MTU" \
	grep -q '"type":"failed","reason":"[^"]*MTU of va, 1500' "$TMPD/eth.out"
n=$(tcpdump -r "$TMPD/eth.rx.pcap" -nn 2>/dev/null | wc -l)
expect_eq "eth: frames on the peer (the one after the refused too)" "$n" 2

# 2. cooked: no Ethernet header for an 802.3 length; IPv6 by its version
rx_start sll 'udp port 9 or ether proto 1'
ip netns exec "$A" timeout 20 "$HDP" replay --json -I va --topspeed \
	"$TMPD/sll.pcap" >"$TMPD/sll.out" 2>"$TMPD/sll.err"
rc=$?
rx_stop
expect_eq "sll: exit" "$rc" 0
expect_eq "sll: sent" "$(field "$TMPD/sll.out" sent)" 1
expect_eq "sll: skipped" "$(field "$TMPD/sll.out" skipped)" 1
tcpdump -r "$TMPD/sll.rx.pcap" -nn -e 2>/dev/null >"$TMPD/sll.rx.txt"
check "sll: the datagram arrives as IPv6 (ethertype 0x86dd)" \
	grep -q 'ethertype IPv6 (0x86dd).*2001:db8:1::1.7 > 2001:db8:1::2.9' \
	"$TMPD/sll.rx.txt"
expect_eq "sll: frames on the peer" "$(wc -l <"$TMPD/sll.rx.txt")" 1

# 3. rewritten addresses: checksum 0 stays 0, a real one is adjusted
rx_start csum 'udp and (port 4000 or port 4001 or port 4002)'
ip netns exec "$A" timeout 20 "$HDP" replay --json --topspeed \
	--src 2001:db8:1::1 --dst 2001:db8:1::2 \
	--src 198.51.100.1 --dst 198.51.100.2 \
	"$TMPD/csum.pcap" >"$TMPD/csum.out" 2>"$TMPD/csum.err"
rc=$?
rx_stop
expect_eq "csum: exit" "$rc" 0
expect_eq "csum: sent" "$(field "$TMPD/csum.out" sent)" 3
$PY - "$TMPD/csum.rx.pcap" <<'PY'
import sys
from scapy.all import rdpcap, UDP, IP, IPv6
bad, seen = [], {}
for p in rdpcap(sys.argv[1]):
    u = p[UDP]
    seen[u.dport] = u.chksum
    if u.dport in (4000, 4002) and u.chksum != 0:
        bad.append("port %d: checksum 0x%04x, sent as 0" % (u.dport, u.chksum))
    if u.dport == 4001:
        q = p.copy()
        del q[UDP].chksum
        want = q.__class__(bytes(q))[UDP].chksum
        if u.chksum != want:
            bad.append("port 4001: checksum 0x%04x, want 0x%04x"
                       % (u.chksum, want))
if sorted(seen) != [4000, 4001, 4002]:
    bad.append("datagrams seen: %s" % sorted(seen))
print("\n".join(bad) or "  checksums as expected")
sys.exit(1 if bad else 0)
PY
check "csum: 0 kept over IPv4 and IPv6, a real checksum adjusted" \
	[ $? -eq 0 ]

# 4. a subnet broadcast destination, rewritten (--ttl) with -I: the
# broadcast MAC at once, not a second's wait and "no next hop"
rx_start bcast 'udp port 4100'
t0=$(date +%s%N)
ip netns exec "$A" timeout 20 "$HDP" replay --json -I va --topspeed \
	--ttl 9 "$TMPD/bcast.pcap" >"$TMPD/bcast.out" 2>"$TMPD/bcast.err"
rc=$?
t1=$(date +%s%N)
rx_stop
expect_eq "bcast: exit" "$rc" 0
expect_eq "bcast: sent" "$(field "$TMPD/bcast.out" sent)" 3
tcpdump -r "$TMPD/bcast.rx.pcap" -nn -e -v 2>/dev/null >"$TMPD/bcast.rx.txt"
expect_eq "bcast: frames to ff:ff:ff:ff:ff:ff on the peer" \
	"$(grep -c '> ff:ff:ff:ff:ff:ff, ethertype IPv4.* ttl 9,' \
	   "$TMPD/bcast.rx.txt")" 3
check "bcast: no wait for a neighbour (< 0.9 s)" \
	[ $(( (t1 - t0) / 1000000 )) -lt 900 ]

# 5. Ctrl-C while the next frame waits to be due: it is not sent early,
# it is counted as stopped; the counts add up
rx_start gap 'udp port 4200'
ip netns exec "$A" "$HDP" replay --json -I va "$TMPD/gap.pcap" \
	>"$TMPD/gap.out" 2>"$TMPD/gap.err" &
pid=$!
_PIDS="$_PIDS $pid"
sleep 1.5
kill -INT "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
rx_stop
expect_eq "gap: sent" "$(field "$TMPD/gap.out" sent)" 1
expect_eq "gap: skipped (stopped before due)" \
	"$(field "$TMPD/gap.out" skipped)" 1
check "gap: the reason says stopped" \
	grep -q '"stopped before due":1' "$TMPD/gap.out"
expect_eq "gap: frames on the peer" \
	"$(tcpdump -r "$TMPD/gap.rx.pcap" -nn 2>/dev/null | wc -l)" 1

# 6. next hops: 20 destinations behind one gateway (the peer) resolve it
# once and arrive with its MAC; destinations routed out of another
# interface (vc, to a third namespace) are not resolved (the kernel, given
# va, asks on va: nobody answers) and said to be routed through vc, and
# nothing at all (no frame, no port-9 probe, no ARP) leaves by vc
C=$(netns_add c)
veth_pair "$A" vc 203.0.113.1/24 "$C" vd 203.0.113.2/24
ip -n "$A" route add 10.77.0.0/16 via 198.51.100.2 dev va
ip -n "$B" neigh flush dev vb 2>/dev/null
ip -n "$A" neigh flush dev va 2>/dev/null
rx_start gw 'arp or ip proto 255'
bg ip netns exec "$C" tcpdump -i vd -Q in -nn -U --immediate-mode \
	-w "$TMPD/other.rx.pcap" 'not ip6' 2>"$TMPD/other.td.err"
TDC=$BG_PID
i=0
while ! grep -q listening "$TMPD/other.td.err" && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
ip netns exec "$A" timeout 20 "$HDP" replay --json -I va --topspeed \
	--ttl 9 "$TMPD/gw.pcap" >"$TMPD/gw.out" 2>"$TMPD/gw.err"
rc=$?
ip netns exec "$A" timeout 20 "$HDP" replay --json -I va --topspeed \
	--ttl 9 "$TMPD/other.pcap" >"$TMPD/other.out" 2>"$TMPD/other.err"
rc2=$?
rx_stop
sleep 0.3; kill -INT "$TDC"; wait "$TDC" 2>/dev/null
expect_eq "gateway: exit" "$rc" 0
expect_eq "gateway: sent" "$(field "$TMPD/gw.out" sent)" 20
tcpdump -r "$TMPD/gw.rx.pcap" -nn -e 2>/dev/null >"$TMPD/gw.rx.txt"
expect_eq "gateway: frames with the gateway's MAC" \
	"$(grep -c "> $MAC_B, ethertype IPv4.* > 10\.77\.0\." "$TMPD/gw.rx.txt")" 20
expect_eq "gateway: ARP requests for it (resolved once)" \
	"$(grep -c 'Request who-has 198.51.100.2' "$TMPD/gw.rx.txt")" 1
expect_eq "other interface: skipped as no next hop" \
	"$(field "$TMPD/other.out" skipped)" 5
check "other interface: said once, naming vc" \
	grep -q 'through vc' "$TMPD/other.err"
expect_eq "other interface: nothing left by vc" \
	"$(tcpdump -r "$TMPD/other.rx.pcap" -nn 2>/dev/null | wc -l)" 0

# 7. --pps spaces the frames sent: 50 sendable of 100 at --pps 100 take
# about 0.5 s on the peer's clock (skipped ARP frames take no slot)
rx_start pps100 'udp port 4300'
ip netns exec "$A" timeout 20 "$HDP" replay -q -I va --pps 100 --ttl 9 \
	"$TMPD/mixed.pcap" >"$TMPD/pps100.out" 2>"$TMPD/pps100.err"
rx_stop
span=$($PY - "$TMPD/pps100.rx.pcap" <<'PY'
import sys
from scapy.utils import RawPcapReader
t = [m.sec + m.usec / 1e6 if hasattr(m, 'sec') else m[0] + m[1] / 1e6
     for d, m in RawPcapReader(sys.argv[1])]
print("%d %d" % (len(t), int((t[-1] - t[0]) * 1000) if t else -1))
PY
)
expect_eq "pps 100: frames on the peer" "${span% *}" 50
check "pps 100: 49 gaps of 10 ms take ${span#* } ms (400-750)" \
	test "${span#* }" -ge 400 -a "${span#* }" -le 750

# 8. --pps far too low: the second frame is due "never"; Ctrl-C ends it
ip netns exec "$A" "$HDP" replay --json -I va --pps 1e-300 \
	"$TMPD/eth.pcap" >"$TMPD/pps.out" 2>"$TMPD/pps.err" &
pid=$!
_PIDS="$_PIDS $pid"
sleep 1
kill -INT "$pid" 2>/dev/null
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
check "pps: SIGINT ends a replay waiting for a frame due never" \
	sh -c "! kill -0 $pid 2>/dev/null"
wait "$pid" 2>/dev/null
check "pps: no undefined behaviour said" \
	sh -c "! grep -q 'runtime error' '$TMPD/pps.err'"
check "pps: the summary is printed" grep -q '"type":"summary"' \
	"$TMPD/pps.out"

finish
