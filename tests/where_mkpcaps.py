#!/usr/bin/env python3
# where_mkpcaps.py DIR: synthetic captures of one path for hdp where's
# offline test, each point with another link type: the sender's as
# Ethernet, R1's inside as raw IP, R1's outside as Linux cooked v2 (an
# "any" capture: every packet twice, in and out), the receiver's as pcapng
# Ethernet.  10 HDP packets with distinct timestamps are sent; R1 NATs the
# source (10.0.1.2 -> 10.0.2.1), lowers the TTL and drops packets 3 and 7;
# the receiver's capture is cut at 30 bytes after the IP header for the
# packets after the 5th (snaplen), which must not be taken for a payload
# change.  Later packets are 30 s apart, past the default window.
# where_mkpcaps.py DIR dense N: DIR/dense.pcap, N HDP packets 1 us apart
# (raw IP), to check that memory does not grow with the capture.
# Standard library only.
import os
import struct
import sys

OUT = sys.argv[1]
DENSE = len(sys.argv) > 3 and sys.argv[2] == "dense"
SRC, NAT, DST = bytes([10, 0, 1, 2]), bytes([10, 0, 2, 1]), bytes([10, 0, 3, 2])
T0 = 1763900000


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ip4(src, dst, ttl, payload, ident):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0,
                    ttl, 255, 0, src, dst)
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def hdp(i):
    return struct.pack("!HHQ", 420, 420, T0 * 10**9 + i * 1000) + \
        b"payload-%02d" % i


def pcap(path, dlt, pkts, snap=65535):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b23c4d, 2, 4, 0, 0, snap, dlt))
        for ts, data, wire in pkts:
            f.write(struct.pack("<IIII", int(ts), int((ts % 1) * 1e9),
                                len(data), wire))
            f.write(data)


def pcapng(path, pkts):
    def block(t, body):
        pad = (4 - len(body) % 4) % 4
        n = 12 + len(body) + pad
        return struct.pack("<II", t, n) + body + b"\0" * pad + \
            struct.pack("<I", n)
    with open(path, "wb") as f:
        f.write(block(0x0a0d0d0a, struct.pack("<IHHq", 0x1a2b3c4d, 1, 0, -1)))
        # if_tsresol 9: nanoseconds
        f.write(block(1, struct.pack("<HHI", 1, 0, 65535) +
                      struct.pack("<HHB3x", 9, 1, 9) + struct.pack("<HH", 0, 0)))
        for ts, data, wire in pkts:
            t = int(ts * 10**9)
            f.write(block(6, struct.pack("<IIIII", 0, t >> 32, t & 0xffffffff,
                                         len(data), wire) + data))


def eth(ip):
    return b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00" + ip


def sll2(ip, pkttype, ifindex):
    return struct.pack("!HHIHBB8s", 0x0800, 0, ifindex, 1, pkttype, 6,
                       b"\x02\0\0\0\0\x03\0\0") + ip


if DENSE:
    pk = []
    for i in range(int(sys.argv[3])):
        a = ip4(SRC, DST, 64, hdp(i % 100), i & 0xffff)
        a = a[:24] + struct.pack("!Q", T0 * 10**9 + i * 1000) + a[32:]
        pk.append((T0 + i * 1e-6, a, len(a)))
    pcap(os.path.join(OUT, "dense.pcap"), 101, pk)
    sys.exit(0)

snd, r1in, r1out, rcv = [], [], [], []
for i in range(10):
    t = T0 + (i * 30 if i >= 5 else i * 0.01)
    a = ip4(SRC, DST, 64, hdp(i), 100 + i)
    snd.append((t + 0.0001, eth(a), len(a) + 14))
    r1in.append((t + 0.0002, a, len(a)))
    if i in (3, 7):
        continue
    b = ip4(NAT, DST, 63, hdp(i), 100 + i)
    r1out.append((t + 0.0003, sll2(a, 0, 2), len(a) + 20))      # in, r1a
    r1out.append((t + 0.0003, sll2(b, 4, 3), len(b) + 20))      # out, r1b
    c = ip4(NAT, DST, 62, hdp(i), 100 + i)
    e = eth(c)
    rcv.append((t + 0.0004, e if i < 5 else e[:14 + 20 + 30], len(e)))
# an unrelated non-HDP frame the default filter keeps out
snd.append((T0 + 500, eth(ip4(SRC, DST, 64, b"x" * 8, 1)[:9] + b"\x11" +
                          ip4(SRC, DST, 64, b"x" * 8, 1)[10:]), 50))
pcap(os.path.join(OUT, "sender.pcap"), 1, snd)
pcap(os.path.join(OUT, "r1-in.pcap"), 101, r1in)
pcap(os.path.join(OUT, "r1-out.pcap"), 276, r1out)
pcapng(os.path.join(OUT, "receiver.pcapng"), rcv)
