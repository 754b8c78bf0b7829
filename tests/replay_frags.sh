#!/bin/sh
# hdp replay sends IPv4 fragments and IPv6 datagrams with extension headers
# (hop-by-hop, destination options, routing, fragment headers), made by
# scapy, instead of skipping them:
#  - -I with nothing to rewrite: every frame arrives on the peer as
#    captured, byte for byte;
#  - raw IP with the addresses rewritten (the kernel routes): the IP
#    header is rebuilt by libnet with the new addresses (IPv4: ID, MF bit
#    and offset kept), everything after it as captured, but for a
#    transport checksum over the addresses (UDP, TCP, a first UDP
#    fragment, UDP behind IPv6 options), adjusted to the new ones: only
#    those two bytes differ, and the peer's kernel, which reassembles the
#    fragments and checks every checksum, counts no checksum error and
#    answers each UDP datagram with port unreachable (NoPorts) and the
#    TCP SYN with a reset.  tcpdump on the peer judges each frame.
. "${top_srcdir:-.}/tests/lib.sh"
need_root
need_cmd tcpdump ip
need_scapy

A=$(netns_add a)
B=$(netns_add b)
veth_pair "$A" va 198.51.100.1/24 "$B" vb 198.51.100.2/24
ip -n "$A" addr add 2001:db8:1::1/64 dev va nodad
ip -n "$B" addr add 2001:db8:1::2/64 dev vb nodad
MAC_B=$(ip -n "$B" -o link show vb | sed 's/.*link\/ether \([^ ]*\).*/\1/')

# Frames addressed elsewhere (10.9.9.x, 2001:db8:9::x): as captured they
# reach the peer's link layer; rewritten, its IP layer.
CAP=$TMPD/frags.pcap
$PY - "$CAP" "$MAC_B" <<'PY' 2>/dev/null
import struct, sys
from scapy.all import (Ether, IP, IPv6, TCP, UDP, Raw, fragment, fragment6,
                       IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
                       IPv6ExtHdrDestOpt, IPv6ExtHdrRouting, wrpcap)
e = Ether(dst=sys.argv[2])
hdp = struct.pack(">HHQ", 420, 420, 7)
pk = []
# an HDP datagram of 3012 bytes in three IPv4 fragments
pk += [e / f for f in fragment(IP(src="10.9.9.1", dst="10.9.9.2", id=0x4242,
                                  proto=255) / Raw(hdp + b"h" * 3000),
                               fragsize=1480)]
# a UDP datagram in two fragments: the first carries the checksum
pk += [e / f for f in fragment(IP(src="10.9.9.1", dst="10.9.9.2", id=0x4343) /
                               UDP(sport=7, dport=4000) / Raw(b"u" * 2000),
                               fragsize=1480)]
# IPv6: extension headers in front of HDP, then HDP in fragments
s6, d6 = "2001:db8:9::1", "2001:db8:9::2"
pk.append(e / IPv6(src=s6, dst=d6) / IPv6ExtHdrHopByHop() /
          IPv6ExtHdrDestOpt(nh=255) / Raw(hdp + b"hbh+dst"))
pk.append(e / IPv6(src=s6, dst=d6) /
          IPv6ExtHdrRouting(addresses=[], nh=255) / Raw(hdp + b"rt0"))
pk += [e / f for f in fragment6(IPv6(src=s6, dst=d6) /
                                IPv6ExtHdrFragment(id=0x1234abcd, nh=255) /
                                Raw(hdp + b"f" * 2500), 1280)]
# whole datagrams whose checksums cover the addresses: UDP, TCP, UDP
# behind an IPv6 destination-options header
pk.append(e / IP(src="10.9.9.1", dst="10.9.9.2") / UDP(sport=7, dport=4001) /
          Raw(b"whole udp"))
pk.append(e / IP(src="10.9.9.1", dst="10.9.9.2") / TCP(sport=7, dport=4002,
                                                      flags="S"))
pk.append(e / IPv6(src=s6, dst=d6) / IPv6ExtHdrDestOpt() /
          UDP(sport=7, dport=4003) / Raw(b"udp6 behind options"))
wrpcap(sys.argv[1], pk)
print(len(pk))
PY
[ -s "$CAP" ] || fatal "cannot make the capture"
NCAP=$(tcpdump -r "$CAP" -nn 2>/dev/null | wc -l)

rx_start() {
	bg ip netns exec "$B" tcpdump -i vb -Q in -nn -U --immediate-mode \
		-s 4096 -B 8192 -w "$TMPD/$1.rx.pcap" \
		'(ip and not udp port 9) or (ip6 and src net 2001:db8::/32 and not icmp6)' \
		2>"$TMPD/$1.td.err"
	TD=$BG_PID
	i=0
	while ! grep -q listening "$TMPD/$1.td.err" && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	sleep 0.3
}
rx_stop() { sleep 0.3; kill -INT "$TD"; wait "$TD" 2>/dev/null; }

# 1. as captured
rx_start cap
ip netns exec "$A" timeout 20 "$HDP" replay --json -I va --topspeed "$CAP" \
	>"$TMPD/cap.json" 2>"$TMPD/cap.err" || fail "as captured: exit $?"
rx_stop
if $PY - "$CAP" "$TMPD/cap.rx.pcap" <<'PY'
import sys
from scapy.utils import RawPcapReader
o = [bytes(d) for d, m in RawPcapReader(sys.argv[1])]
r = [bytes(d) for d, m in RawPcapReader(sys.argv[2])]
print("  %d captured, %d arrived" % (len(o), len(r)))
sys.exit(0 if o == r else 1)
PY
then ok "as captured: $NCAP fragments and extension-header frames arrive"
else fail "as captured: what arrived differs: $(cat "$TMPD/cap.err")"; fi

# 2. rewritten, raw IP (the kernel routes)
snmp() { ip netns exec "$B" cat /proc/net/snmp /proc/net/snmp6; }
snmp >"$TMPD/snmp0"
rx_start raw
ip netns exec "$A" timeout 20 "$HDP" replay --json --topspeed \
	--src 198.51.100.1 --dst 198.51.100.2 \
	--src 2001:db8:1::1 --dst 2001:db8:1::2 "$CAP" \
	>"$TMPD/raw.json" 2>"$TMPD/raw.err" || fail "rewritten: exit $?"
rx_stop
snmp >"$TMPD/snmp1"
if $PY - "$CAP" "$TMPD/raw.rx.pcap" "$TMPD/raw.json" "$TMPD/snmp0" \
	"$TMPD/snmp1" <<'PY'
import json, sys
from scapy.all import IP, IPv6, rdpcap, raw
o = rdpcap(sys.argv[1])
r = rdpcap(sys.argv[2])
rows = [json.loads(x) for x in open(sys.argv[3])]
skips = [x for x in rows if x["type"] == "skip"]
bad = []
if skips:
    bad.append("skips: %r" % skips)
want = list(o)
# the checksum bytes that may differ, after the (fixed) IP header
mask = {4: 6, 11: 6, 12: 16, 13: 8 + 6}


def counters(path):
    c, hdr = {}, {}
    for line in open(path):
        k, _, v = line.partition(":")
        if v:       # /proc/net/snmp: a header line, then its values
            if k in hdr:
                c.update({k + n: int(x) for n, x in zip(hdr[k], v.split())})
            else:
                hdr[k] = v.split()
        else:       # /proc/net/snmp6: NAME VALUE
            f = line.split()
            if len(f) == 2:
                c[f[0]] = int(f[1])
    return c


c0, c1 = counters(sys.argv[4]), counters(sys.argv[5])
d = {k: c1.get(k, 0) - c0.get(k, 0) for k in
     ("UdpInCsumErrors", "UdpNoPorts", "TcpInCsumErrors", "TcpOutRsts",
      "Udp6InCsumErrors", "Udp6NoPorts")}
print("  peer: %r" % d)
if d["UdpInCsumErrors"] or d["TcpInCsumErrors"] or d["Udp6InCsumErrors"]:
    bad.append("the peer counted checksum errors")
if d["UdpNoPorts"] != 2 or d["Udp6NoPorts"] != 1 or d["TcpOutRsts"] < 1:
    bad.append("the peer did not take every UDP datagram and the SYN")
if len(r) != len(want):
    bad.append("%d arrived, %d wanted" % (len(r), len(want)))
for i, (w, g) in enumerate(zip(want, r), 1):
    if IP in w:
        a, b = w[IP], g[IP] if IP in g else None
        if b is None or (b.src, b.dst) != ("198.51.100.1", "198.51.100.2"):
            bad.append("%d: addresses not rewritten" % i)
            continue
        for f in ("id", "flags", "frag", "proto", "ttl", "tos", "len"):
            if getattr(a, f) != getattr(b, f):
                bad.append("%d: %s %r, captured %r" %
                           (i, f, getattr(b, f), getattr(a, f)))
        pa, pb = raw(a.payload), raw(b.payload)
        if i in mask:
            m = mask[i]
            pa, pb = pa[:m] + pa[m + 2:], pb[:m] + pb[m + 2:]
        if pa != pb:
            bad.append("%d: bytes after the IP header differ" % i)
        if IP(raw(b)).chksum != b.chksum:
            bad.append("%d: header checksum wrong" % i)
    else:
        a, b = w[IPv6], g[IPv6] if IPv6 in g else None
        if b is None or (b.src, b.dst) != ("2001:db8:1::1", "2001:db8:1::2"):
            bad.append("%d: addresses not rewritten" % i)
            continue
        for f in ("nh", "hlim", "plen", "tc", "fl"):
            if getattr(a, f) != getattr(b, f):
                bad.append("%d: %s %r, captured %r" %
                           (i, f, getattr(b, f), getattr(a, f)))
        pa, pb = raw(a.payload), raw(b.payload)
        if i in mask:
            m = mask[i]
            pa, pb = pa[:m] + pa[m + 2:], pb[:m] + pb[m + 2:]
        if pa != pb:
            bad.append("%d: extension headers and payload differ" % i)
for b in bad:
    print("  " + b)
print("  %d arrived, %d skipped" % (len(r), len(skips)))
sys.exit(1 if bad else 0)
PY
then ok "rewritten: IP headers rebuilt, the rest as captured, checksums adjusted"
else fail "rewritten: see above"; fi
finish
