#!/usr/bin/env python3
"""mkrealworld.py DIR: write the odd-capture corpus of pcaps/realworld/.

Each file reproduces something the test captures of tcpdump and libpcap
(github.com/the-tcpdump-group) exercise and that hdp once decoded wrong
or could crash on: time stamps at and past 2^31 and 2^32 seconds, BIG TCP
datagrams with IPv4 total length 0 or IPv6 payload length 0 (with and
without a Jumbo Payload option), IEEE 802.3 frames with 802.2 LLC/SNAP,
captures cut short at every layer, link types hdp does and does not
decode, pcapng, and payloads full of control bytes.  The packets are made
here with scapy and written with scapy's pcap/pcapng writers (mergecap
joins two link types into one pcapng): nothing is copied from those
repositories (see README.md).  Run hdpify.py on the output for the copies
whose IP packets carry HDP.

The output is deterministic: fixed addresses, times and payloads.
"""
import os
import struct
import subprocess
import sys

from scapy.all import (DNS, DNSQR, ICMP, IP, LLC, SNAP, STP, TCP, UDP, Dot1Q,
                       Dot3, Ether, IPv6, IPv6ExtHdrHopByHop, PadN, Raw,
                       ICMPv6EchoRequest)
from scapy.layers.inet6 import Jumbo
from scapy.utils import EDecimal, PcapNgWriter, PcapWriter

MAC_A = "00:12:3f:ae:22:f7"
MAC_B = "00:13:c4:c7:84:f0"
T0 = 1700000000          # 2023-11-14: an ordinary time


def hdp(sport=420, dport=420, ts=T0 * 10**9, payload=b""):
    return Raw(struct.pack("!HHQ", sport, dport, ts) + payload)


def dns_query(name="www.example.org"):
    return (Ether(src=MAC_A, dst=MAC_B) /
            IP(src="192.168.1.11", dst="192.0.2.53", id=22989) /
            UDP(sport=43966, dport=53) / DNS(id=22836, rd=1,
                                             qd=DNSQR(qname=name)))


def write(path, pkts, linktype=1, nano=False, snaplen=262144):
    """pkts: (bytes, sec, frac, wirelen or None) in the units of nano."""
    w = PcapWriter(path, linktype=linktype, nano=nano, snaplen=snaplen,
                   sync=True)
    w.write_header(None)
    for b, sec, frac, wire in pkts:
        w.write_packet(bytes(b), sec=sec, usec=frac, caplen=len(bytes(b)),
                       wirelen=wire if wire is not None else len(bytes(b)))
    w.close()


def write_ng(path, pkts, linktype=1):
    """pkts: (bytes, seconds as an EDecimal)."""
    w = PcapNgWriter(path)
    w.linktype = linktype
    w.write_header(None)
    for b, t in pkts:
        w.write_packet(bytes(b), sec=t)
    w.close()


def times(d):
    q = bytes(dns_query())
    # pcap's seconds are unsigned 32-bit: 2^31 - 1, 2^31, 2^32 - 1
    write(d + "/time_2038.pcap", [(q, 2145916800, 0, None)])
    write(d + "/time_2038_max.pcap", [(q, 2147483647, 999999, None)])
    write(d + "/time_2038_overflow.pcap", [(q, 2147483648, 709551, None)])
    write(d + "/time_2106_max.pcap", [(q, 4294967295, 999999, None)])
    write(d + "/time_2106_nano.pcap", [(q, 4291747200, 123456789, None)],
          nano=True)
    # a clock that jumps across 2^31 and back (kday-like)
    write(d + "/time_jumps.pcap", [(q, 2147483647, 500000, None),
                                   (q, 2147483648, 0, None),
                                   (q, 1000000000, 0, None),
                                   (q, 4294967295, 0, None),
                                   (q, 0, 0, None)])
    # pcapng time stamps are 64-bit: past 2106
    write_ng(d + "/time_2107.pcapng", [(q, EDecimal("4323283200.25"))])


def bigtcp(d):
    body = bytes(range(256)) * 312 + b"\0" * 128          # 80000 bytes
    e = Ether(src=MAC_A, dst=MAC_B)
    v4 = e / IP(src="10.25.132.13", dst="10.25.132.11", len=0, flags="DF",
                id=12031) / TCP(sport=35871, dport=36425, flags="PA",
                                chksum=0x54f2) / Raw(body)
    v6 = e / IPv6(src="2001:db8::b", dst="2001:db8::d", plen=0, nh=6) / \
        TCP(sport=43267, dport=41219, flags="PA", chksum=0xc8cb) / Raw(body)
    hbh = e / IPv6(src="2001:db8::d", dst="2001:db8::b", plen=0, nh=0) / \
        IPv6ExtHdrHopByHop(nh=6, options=[Jumbo(jumboplen=8 + 20 + 80000)]) / \
        TCP(sport=41851, dport=43913, flags="PA", chksum=0xc8eb) / Raw(body)
    write(d + "/bigtcp_ipv4.pcap", [(v4, T0, 30951, None)])
    write(d + "/bigtcp_ipv6.pcap", [(v6, T0, 939724, None)])
    write(d + "/bigtcp_ipv6_hbh.pcap", [(hbh, T0, 172200, None)])
    # payload length 0 and a hop-by-hop header without the option; a
    # jumbo length past the frame; an ordinary empty IPv6 datagram with
    # Ethernet padding; IPv4 length 0 in a small frame (TSO)
    nojumbo = e / IPv6(src="2001:db8::1", dst="2001:db8::2", plen=0, nh=0) / \
        IPv6ExtHdrHopByHop(nh=58, options=[PadN(optdata=b"\0\0\0\0")]) / \
        ICMPv6EchoRequest(id=1, seq=1)
    toolong = e / IPv6(src="2001:db8::1", dst="2001:db8::2", plen=0, nh=0) / \
        IPv6ExtHdrHopByHop(nh=58, options=[Jumbo(jumboplen=100000)]) / \
        ICMPv6EchoRequest(id=1, seq=2, data=b"x" * 400)
    empty = e / IPv6(src="2001:db8::1", dst="2001:db8::2", plen=0, nh=59) / \
        Raw(b"\0" * 6)
    tso = e / IP(src="10.0.0.1", dst="10.0.0.2", len=0) / \
        TCP(sport=1, dport=2, chksum=1) / Raw(b"t" * 1400)
    write(d + "/ipv6_len0.pcap", [(nojumbo, T0, 1, None),
                                  (toolong, T0, 2, None),
                                  (empty, T0, 3, None),
                                  (tso, T0, 4, None)])


def ieee8023(d):
    src, bpdu = MAC_A, "01:80:c2:00:00:00"
    udp = IP(src="192.0.2.1", dst="192.0.2.2") / UDP(sport=1000, dport=2000) / \
        Raw(b"snap-carried udp")
    six = IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=1, dport=2) / \
        Raw(b"802.1H")
    tagged = LLC(dsap=0xaa, ssap=0xaa, ctrl=3) / SNAP(OUI=0, code=0x0800) / udp
    frames = [
        Dot3(src=src, dst=bpdu) / LLC(dsap=0x42, ssap=0x42, ctrl=3) / STP(),
        Dot3(src=src, dst="01:00:0c:cc:cc:cc") /
        LLC(dsap=0xaa, ssap=0xaa, ctrl=3) / SNAP(OUI=0x00000c, code=0x2000) /
        Raw(b"\x02\xb4\x00\x00" + b"\x00\x01\x00\x0aswitch"),
        Dot3(src=src, dst=MAC_B) / LLC(dsap=0xaa, ssap=0xaa, ctrl=3) /
        SNAP(OUI=0, code=0x0800) / udp,
        Dot3(src=src, dst=MAC_B) / LLC(dsap=0xaa, ssap=0xaa, ctrl=3) /
        SNAP(OUI=0xf8, code=0x86dd) / six,
        Dot3(src=src, dst=MAC_B) / LLC(dsap=0xfe, ssap=0xfe, ctrl=3) /
        Raw(b"\x83\x1b\x01\x00" + b"\0" * 40),                    # IS-IS
        Dot3(src=src, dst=MAC_B) / Raw(b"\xff\xff\x00\x2a" + b"\0" * 42),
        Ether(src=src, dst=MAC_B, type=0x05ff) / Raw(b"\0" * 46),
        Ether(src=src, dst=MAC_B) / Dot1Q(vlan=7, type=len(tagged)) / tagged,
    ]
    write(d + "/ieee8023_llc.pcap",
          [(f, T0 + i, 0, None) for i, f in enumerate(frames)])


def truncated(d):
    e = Ether(src=MAC_A, dst=MAC_B)
    v4 = bytes(e / IP(src="10.1.0.1", dst="10.1.0.2", proto=255) /
               hdp(payload=b"p" * 200))
    v6 = bytes(e / IPv6(src="2001:db8::1", dst="2001:db8::2", nh=255) /
               hdp(payload=b"q" * 200))
    snap = bytes(Dot3(src=MAC_A, dst=MAC_B) /
                 LLC(dsap=0xaa, ssap=0xaa, ctrl=3) / SNAP(OUI=0, code=0x800) /
                 IP(src="10.1.0.1", dst="10.1.0.2", proto=255) / hdp())
    cuts = [(v4, 10), (v4, 14), (v4, 30), (v4, 34), (v4, 40), (v4, 64),
            (v6, 40), (v6, 54), (v6, 60), (v6, 64), (snap, 16), (snap, 20),
            (snap, 30), (snap, 60)]
    write(d + "/truncated.pcap",
          [(b[:n], T0, i, len(b)) for i, (b, n) in enumerate(cuts)],
          snaplen=64)


def linktypes(d):
    ip4 = bytes(IP(src="10.2.0.1", dst="10.2.0.2") / UDP(sport=5, dport=6) /
                Raw(b"linktype"))
    ip6 = bytes(IPv6(src="2001:db8::5", dst="2001:db8::6") /
                UDP(sport=5, dport=6) / Raw(b"linktype"))
    one = [(ip4, T0, 0, None), (ip6, T0, 1, None)]
    write(d + "/lt_null.pcap", [(struct.pack("<I", 2) + ip4, T0, 0, None),
                                (struct.pack("<I", 24) + ip6, T0, 1, None),
                                (struct.pack("<I", 30) + ip6, T0, 2, None),
                                (struct.pack("<I", 7) + ip4, T0, 3, None)],
          linktype=0)
    write(d + "/lt_loop.pcap", [(struct.pack(">I", 2) + ip4, T0, 0, None),
                                (struct.pack(">I", 24) + ip6, T0, 1, None)],
          linktype=108)
    write(d + "/lt_raw.pcap", one, linktype=101)
    write(d + "/lt_ipv4.pcap", [(ip4, T0, 0, None)], linktype=228)
    write(d + "/lt_ipv6.pcap", [(ip6, T0, 0, None)], linktype=229)
    llc = b"\xaa\xaa\x03\x00\x00\x00\x08\x00" + ip4
    sll = [(struct.pack("!HHH8sH", 0, 1, 6, b"\0" * 8, 0x0800) + ip4,
            T0, 0, None),
           (struct.pack("!HHH8sH", 4, 1, 6, b"\0" * 8, 0x86dd) + ip6,
            T0, 1, None),
           (struct.pack("!HHH8sH", 0, 1, 6, b"\0" * 8, 0x0004) + llc,
            T0, 2, None),
           (struct.pack("!HHH8sH", 0, 1, 6, b"\0" * 8, 0x0806) + b"\0" * 28,
            T0, 3, None)]
    write(d + "/lt_sll.pcap", sll, linktype=113)
    sll2 = [(struct.pack("!HHIHBB8s", 0x0800, 0, 3, 1, 0, 6, b"\0" * 8) + ip4,
             T0, 0, None),
            (struct.pack("!HHIHBB8s", 0x0004, 0, 4, 1, 4, 6, b"\0" * 8) +
             llc, T0, 1, None)]
    write(d + "/lt_sll2.pcap", sll2, linktype=276)
    # link types hdp does not decode: 802.11, PPP, a user DLT
    write(d + "/lt_80211.pcap",
          [(b"\x08\x02\x00\x00" + b"\x11" * 18 + b"\x00\x00" +
            b"\xaa\xaa\x03\x00\x00\x00\x08\x00" + ip4, T0, 0, None)],
          linktype=105)
    write(d + "/lt_ppp.pcap", [(b"\xff\x03\x00\x21" + ip4, T0, 0, None)],
          linktype=9)
    write(d + "/lt_user0.pcap", [(b"\x01\x02\x03", T0, 0, None)],
          linktype=147)


def pcapng(d):
    e = bytes(Ether(src=MAC_A, dst=MAC_B) /
              IP(src="10.3.0.1", dst="10.3.0.2", proto=255) /
              hdp(ts=T0 * 10**9 - 5000, payload=b"ng"))
    write_ng(d + "/ng_ether.pcapng", [(e, EDecimal(T0)),
                                      (e, EDecimal(T0) + 1)])
    raw = bytes(IP(src="10.3.0.3", dst="10.3.0.4", proto=255) / hdp())
    tmp = d + "/.ng_raw.pcapng"
    write_ng(tmp, [(raw, EDecimal(T0) + EDecimal("0.5"))], linktype=101)
    # two interfaces of two link types: libpcap 1.10 refuses the second
    subprocess.run(["mergecap", "-F", "pcapng", "-w",
                    d + "/ng_two_linktypes.pcapng", d + "/ng_ether.pcapng",
                    tmp], check=True)
    os.unlink(tmp)


def control_bytes(d):
    e = Ether(src=MAC_A, dst=MAC_B)
    ip = IP(src="10.4.0.1", dst="10.4.0.2", proto=255)
    forged = (b"x\n12:00:00.000000 IP 6.6.6.6.420 > 7.7.7.7.420: HDP ts 1 "
              b"latency 0.000us len 0\n")
    write(d + "/ctl_bytes.pcap", [
        (e / ip / hdp(payload=b"harmless\rEVIL"), T0, 0, None),
        (e / ip / hdp(payload=forged), T0, 1, None),
        (e / ip / hdp(payload=b"esc \x1b[2J\x1b]0;title\x07 end"), T0, 2, None),
        (e / ip / hdp(payload=b"tab\tdel\x7f high\xff\xfe"), T0, 3, None),
    ])


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    for make in (times, bigtcp, ieee8023, truncated, linktypes, pcapng,
                 control_bytes):
        make(d)
    return 0


if __name__ == "__main__":
    sys.exit(main())
