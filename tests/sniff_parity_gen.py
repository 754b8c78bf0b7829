#!/usr/bin/env python3
"""sniff_parity_gen.py DIR: captures hdp sniff has not been tuned on, made
with scapy, for tests/sniff_parity.py to compare hdp with tcpdump on.

One file per link type (Ethernet, Linux cooked v1 and v2, BSD loopback in
both byte orders, OpenBSD loopback, raw IP), each at micro- and
nanosecond precision, holding HDP and other traffic with the fields -e
and -v show set to unusual values: ECN bits, TTL 0, DF/MF/reserved
flags, fragment offsets, a wrong checksum, IPv6 traffic class and flow
label, extension headers, IPv4 options (RR, LSRR, SSRR, timestamps,
router alert, security, unknown, bad lengths), 802.1Q and 802.1ad tags with priority and DEI,
802.3 LLC/SNAP, short frames with Ethernet padding, ARP; time stamps that
go back, jump by more than a day and fall between microseconds.
"""
import os
import struct
import sys

from scapy.all import (ARP, IP, IPv6, UDP, Dot1Q, Dot1AD, Ether, LLC, SNAP,
                       IPv6ExtHdrHopByHop, IPv6ExtHdrFragment, Raw, raw,
                       wrpcap, IPOption_EOL, IPOption_NOP,
                       IPOption_RR, IPOption_LSRR, IPOption_SSRR,
                       IPOption_Router_Alert, IPOption_Timestamp,
                       IPOption_Security)
from scapy.layers.l2 import CookedLinux
from scapy.data import DLT_NULL, DLT_LOOP, DLT_RAW, DLT_LINUX_SLL

DIR = sys.argv[1]
DLT_LINUX_SLL2 = 276
BASE = 1795435200


def hdp(sport=420, dport=420, ts=BASE * 10**9 - 12345, data=b"parity"):
    return struct.pack(">HHQ", sport, dport, ts) + data


def ip4_variants():
    out = [
        IP(src="10.9.0.1", dst="10.9.0.2", proto=255) / Raw(hdp()),
        IP(src="10.9.0.1", dst="10.9.0.2", proto=255, tos=0x03,
           ttl=0) / Raw(hdp()),
        IP(src="10.9.0.1", dst="10.9.0.2", proto=255, tos=0xb9,
           flags="DF", ttl=255) / Raw(hdp(data=b"x" * 40)),
        IP(src="10.9.0.1", dst="10.9.0.2", proto=255, tos=0x02,
           flags="MF", frag=0, id=0x4242) / Raw(hdp(data=b"y" * 16)),
        IP(src="10.9.0.1", dst="10.9.0.2", proto=255, flags="MF",
           frag=3, id=0x4242) / Raw(b"z" * 24),
        IP(src="10.9.0.1", dst="10.9.0.2", proto=255, flags="evil",
           id=7) / Raw(hdp()),
        IP(src="10.9.0.1", dst="10.9.0.2", proto=255, chksum=0x1234,
           id=8) / Raw(hdp()),
        IP(src="10.9.0.1", dst="10.9.0.2") / UDP(sport=420, dport=420) /
        Raw(hdp()),
        IP(src="10.9.0.1", dst="10.9.0.2", proto=47) / Raw(b"\x00" * 8),
        IP(src="10.9.0.1", dst="10.9.0.2", proto=255) / Raw(hdp(data=b"")),
    ]
    # IPv4 options, as tcpdump -v decodes them
    opts = [
        [IPOption_NOP(), IPOption_NOP(), IPOption_NOP(), IPOption_EOL()],
        [IPOption_Router_Alert()],
        [IPOption_Router_Alert(alert=5)],
        [IPOption_RR(routers=["10.0.0.1", "10.0.0.2", "0.0.0.0"],
                     pointer=8)],
        [IPOption_LSRR(routers=["192.0.2.1", "192.0.2.2"]),
         IPOption_NOP()],
        [IPOption_SSRR(routers=["192.0.2.9"], pointer=4)],
        [IPOption_Timestamp(flg=0, timestamp=12345, length=8, pointer=9)],
        [IPOption_Timestamp(flg=1, internet_address="10.1.1.1",
                            timestamp=77, length=12, pointer=5),
         IPOption_EOL()],
        [IPOption_Timestamp(flg=3, oflw=2, internet_address="10.1.1.1",
                            timestamp=0, length=12, pointer=13),
         IPOption_EOL()],
        [IPOption_Security(), IPOption_NOP()],
    ]
    for o in opts:
        out.append(IP(src="10.9.0.1", dst="10.9.0.2", proto=255,
                      options=o) / Raw(hdp()))
    out = [raw(p) for p in out]
    # options scapy will not build: unknown, bad lengths, a bad pointer
    for o in (b"\x99\x04\x00\x00", b"\x07\x09\x04\x0a\x00\x00\x01"
              b"\x00\x00\x00\x00\x00", b"\x94\x02\x00\x00",
              b"\x01\x83\x01\x00", b"\x44\x03\x05\x00"):
        out.append(ip_with_options(o))
    return out


def csum(b):
    s = sum(struct.unpack(">%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ip_with_options(opt):
    """An IPv4 HDP datagram whose header carries opt as it is."""
    body = hdp()
    hl = 20 + len(opt)
    h = bytearray(struct.pack(">BBHHHBBH4s4s", 0x40 | hl // 4, 0,
                              hl + len(body), 9, 0, 64, 255, 0,
                              bytes([10, 9, 0, 1]), bytes([10, 9, 0, 2])))
    h += opt
    h[10:12] = struct.pack(">H", csum(bytes(h)))
    return bytes(h) + body


def ip6_variants():
    out = [
        IPv6(src="2001:db8:9::1", dst="2001:db8:9::2", nh=255) /
        Raw(hdp()),
        IPv6(src="2001:db8:9::1", dst="2001:db8:9::2", nh=255, tc=0xb8,
             fl=0xabcde, hlim=1) / Raw(hdp()),
        IPv6(src="2001:db8:9::1", dst="2001:db8:9::2", tc=0x03) /
        IPv6ExtHdrHopByHop(nh=255) / Raw(hdp()),
        IPv6(src="2001:db8:9::1", dst="2001:db8:9::2", fl=1) /
        IPv6ExtHdrFragment(nh=255, m=1, id=99) / Raw(hdp(data=b"q" * 20)),
        IPv6(src="::ffff:10.9.0.1", dst="fe80::1", nh=255) / Raw(hdp()),
    ]
    return [raw(p) for p in out]


def ether_frames():
    src, dst = "02:00:00:00:09:01", "02:00:00:00:09:02"
    f = []
    for b in ip4_variants():
        f.append(raw(Ether(src=src, dst=dst, type=0x0800) / Raw(b)))
    for b in ip6_variants():
        f.append(raw(Ether(src=src, dst=dst, type=0x86dd) / Raw(b)))
    v4 = ip4_variants()[0]
    f.append(raw(Ether(src=src, dst=dst) / Dot1Q(vlan=5, prio=5, id=1) /
                 Raw(v4)))
    f.append(raw(Ether(src=src, dst=dst) / Dot1AD(vlan=100, prio=1) /
                 Dot1Q(vlan=200, prio=7) / Raw(v4)))
    f.append(raw(Ether(src=src, dst=dst, type=0x9100) /
                 Raw(b"\x00\x0a\x08\x00" + v4)))
    snap = raw(LLC(dsap=0xaa, ssap=0xaa, ctrl=3) /
               SNAP(OUI=0, code=0x0800) / Raw(v4))
    f.append(raw(Ether(src=src, dst=dst, type=len(snap)) / Raw(snap)))
    small = raw(IP(src="10.9.0.1", dst="10.9.0.2", proto=255) /
                Raw(hdp(data=b"")))
    f.append(raw(Ether(src=src, dst=dst, type=0x0800) / Raw(small)) +
             b"\x00" * 14)                     # padded to 60 bytes
    f.append(raw(Ether(src=src, dst="ff:ff:ff:ff:ff:ff") /
                 ARP(psrc="10.9.0.1", pdst="10.9.0.2")))
    f.append(raw(Ether(src=src, dst=dst, type=0x88b5) / Raw(b"\x01" * 30)))
    return f


def sll_frames():
    f = []
    ips = [(0x0800, b) for b in ip4_variants()[:4]] + \
          [(0x86dd, b) for b in ip6_variants()[:3]]
    for i, (et, b) in enumerate(ips):
        halen = (6, 0, 8, 6, 4, 6, 6)[i]
        f.append(struct.pack(">HHH8sH", i % 5, 1, halen,
                             bytes(range(1, 9)), et) + b)
    return f


def sll2_frames():
    f = []
    ips = [(0x0800, b) for b in ip4_variants()[:4]] + \
          [(0x86dd, b) for b in ip6_variants()[:3]]
    for i, (et, b) in enumerate(ips):
        halen = (6, 0, 8, 6, 4, 6, 6)[i]
        f.append(struct.pack(">HHIHBB8s", et, 0, 1, 1, i % 5, halen,
                             bytes(range(1, 9))) + b)
    return f


def null_frames(order):
    f = []
    for af, b in [(2, ip4_variants()[0]), (24, ip6_variants()[0]),
                  (28, ip6_variants()[1]), (30, ip6_variants()[2])]:
        f.append(struct.pack(order + "I", af) + b)
    return f


def raw_frames():
    return ip4_variants() + ip6_variants()


# time stamps: steady, back by 0.7 s, a jump of 26 hours, fractions that
# fall between microseconds
def times(n):
    t, out = BASE * 10**9 + 123456789, []
    steps = [1500, 333, 1000000001, -700000000, 26 * 3600 * 10**9 + 7, 999]
    for i in range(n):
        out.append(t)
        t += steps[i % len(steps)]
    return out


def write(name, dlt, frames):
    for nano in (False, True):
        path = os.path.join(DIR, "%s%s.pcap" % (name, "-ns" if nano else ""))
        pkts = []
        for fr, t in zip(frames, times(len(frames))):
            p = Raw(fr)
            p.time = t / 10**9 if not nano else t // 10**9
            if nano:
                from decimal import Decimal
                p.time = Decimal(t) / Decimal(10**9)
            pkts.append(p)
        wrpcap(path, pkts, linktype=dlt, nano=nano)


os.makedirs(DIR, exist_ok=True)
write("ether", 1, ether_frames())
write("sll", DLT_LINUX_SLL, sll_frames())
write("sll2", DLT_LINUX_SLL2, sll2_frames())
write("null_le", DLT_NULL, null_frames("<"))
write("null_be", DLT_NULL, null_frames(">"))
write("loop", DLT_LOOP, null_frames(">"))
write("raw", DLT_RAW, raw_frames())
