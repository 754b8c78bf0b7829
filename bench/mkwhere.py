#!/usr/bin/env python3
# mkwhere.py DIR N1[,N2...]: four capture points of one path for the
# where_4pt benchmark (issue 19): sender (a), router in (b), router out
# after a source NAT (c), receiver (d).  Raw-IP pcaps with nanosecond
# timestamps, DIR/a-N.pcap ... DIR/d-N.pcap for each size N (the first N
# packets of the largest run, one pass writes them all).  Every packet is
# IPv4 HDP (ports 420, its own HDP timestamp, 1 us apart) with an 8-byte
# payload holding its number.  On the way: b sees it 40 us later with
# TTL 63 and misses 1 in 500; c 30 us after b, TTL 62, source 198.18.0.1
# rewritten to 203.0.113.9 (checksum redone), misses 1 in 1000 more; d
# 20 us after c, TTL 61, and every 64th packet is held back 3 packets
# (reordered).  Standard library only.
import os
import struct
import sys

T0 = 1765000000 * 10**9
SRC, NAT, DST = bytes([198, 18, 0, 1]), bytes([203, 0, 113, 9]), \
    bytes([198, 18, 3, 2])
PCAP_HDR = struct.pack("<IHHiIII", 0xa1b23c4d, 2, 4, 0, 0, 65535, 101)


def csum(h):
    s = sum(struct.unpack("!10H", h))
    s = (s & 0xffff) + (s >> 16)
    s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ip(n, ttl, src, body):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), n & 0xffff,
                    0, ttl, 255, 0, src, DST)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + body


def rec(t, pkt):
    return struct.pack("<IIII", t // 10**9, t % 10**9, len(pkt),
                       len(pkt)) + pkt


def main():
    d = sys.argv[1]
    sizes = sorted(int(x) for x in sys.argv[2].split(","))
    files = {}
    for n in sizes:
        for p in "abcd":
            f = open(os.path.join(d, "%s-%d.pcap" % (p, n)), "wb",
                     buffering=1 << 20)
            f.write(PCAP_HDR)
            files[(p, n)] = f
    held = []
    for i in range(sizes[-1]):
        t = T0 + i * 1000
        body = struct.pack("!HHQQ", 420, 420, t + 7, i)
        out = {"a": rec(t, ip(i, 64, SRC, body))}
        if i % 500 != 17:
            out["b"] = rec(t + 40000, ip(i, 63, SRC, body))
            if i % 1000 != 333:
                out["c"] = rec(t + 70000, ip(i, 62, NAT, body))
                dp = rec(t + 90000, ip(i, 61, NAT, body))
                if i % 64 == 5:
                    held.append((i + 3, dp))
                else:
                    out["d"] = dp
        for p, r in out.items():
            for n in sizes:
                if i < n:
                    files[(p, n)].write(r)
        # a held packet goes out after the one 3 later, with its own
        # (earlier) capture time: d's clock is not monotonic, as real
        # captures sometimes are not
        while held and held[0][0] <= i:
            _, r = held.pop(0)
            for n in sizes:
                if i < n:
                    files[("d", n)].write(r)
    for f in files.values():
        f.close()


main()
