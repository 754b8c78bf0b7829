#!/usr/bin/env python3
# where_crafted.py DIR KIND N [POINTS]: captures crafted against hdp where,
# made at test or benchmark time (never committed: a million packets is
# 56 MB).  Raw-IP pcaps with nanosecond timestamps; every packet is IPv4
# HDP with an 8-byte payload holding its number, so no two are the same
# packet.  KIND:
#   ordinary  N packets, each with its own HDP timestamp, 1 us apart
#             (DIR/ordinary.pcap): what the others are compared with
#   samets    the same, all with one HDP timestamp (DIR/samets.pcap)
#   collide   timestamps chosen so that the splitmix64 finaliser hdp
#             used as its unkeyed anchor hash gives them all the same
#             low 24 bits: one hash-table bucket (DIR/collide.pcap)
#   instant   N packets over POINTS captures (DIR/instant-K.pcap), all at
#             one capture instant, each packet in one capture only
#   spread    the same, but 1 us apart (DIR/spread-K.pcap): the ordinary
#             counterpart of instant
#   jumps     N packets whose capture clock jumps forward by hours and
#             back, as in tcpdump's kday and babel captures, with some
#             capture seconds past 2^31 and some just below 2^32
#             (DIR/jumps.pcap)
#   wrap      the same N packets at two points 2 s apart across the
#             2038 and 2106 limits: DIR/wrap31-a.pcap from 2^31 - 1 s,
#             DIR/wrap31-b.pcap 2 s later (past 2^31 s); DIR/wrap32-a.pcap
#             from 2^32 - 1 s, DIR/wrap32-b.pcapng 2 s later (past what
#             pcap's 32 bits hold; pcapng's 64 bits do)
#   dlt160    N packets with link type 160, which libpcap has no name for
#             (DIR/dlt160.pcap)
# Standard library only.
import os
import struct
import sys

M64 = (1 << 64) - 1
C1, C2 = 0xbf58476d1ce4e5b9, 0x94d049bb133111eb
T0 = 1763900000 * 10**9
SRC, DST = bytes([10, 0, 1, 2]), bytes([10, 0, 3, 2])


def unxorshift(x, s):
    y = x
    for _ in range(64 // s + 1):
        y = x ^ (y >> s)
    return y & M64


def unmix64(h):
    """The x whose splitmix64 finaliser is h."""
    x = unxorshift(h, 31)
    x = (x * pow(C2, -1, 1 << 64)) & M64
    x = unxorshift(x, 27)
    x = (x * pow(C1, -1, 1 << 64)) & M64
    return unxorshift(x, 30)


def packet(hdp_ts, n):
    payload = struct.pack("!HHQ", 420, 420, hdp_ts) + struct.pack("!Q", n)
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload),
                    n & 0xffff, 0, 64, 255, 0, SRC, DST)
    return h + payload


def write(path, recs):
    """recs: (capture time ns, frame) pairs."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b23c4d, 2, 4, 0, 0, 65535, 101))
        for t, data in recs:
            f.write(struct.pack("<IIII", (t // 10**9) & 0xffffffff,
                                t % 10**9, len(data), len(data)))
            f.write(data)


def write_ng(path, recs):
    """pcapng, nanosecond resolution, raw IP."""
    def block(t, body):
        pad = (4 - len(body) % 4) % 4
        n = 12 + len(body) + pad
        return struct.pack("<II", t, n) + body + b"\0" * pad + \
            struct.pack("<I", n)
    with open(path, "wb") as f:
        f.write(block(0x0a0d0d0a, struct.pack("<IHHq", 0x1a2b3c4d, 1, 0, -1)))
        f.write(block(1, struct.pack("<HHI", 101, 0, 65535) +
                      struct.pack("<HHB3x", 9, 1, 9) + struct.pack("<HH", 0, 0)))
        for t, data in recs:
            f.write(block(6, struct.pack("<IIIII", 0, t >> 32, t & 0xffffffff,
                                         len(data), len(data)) + data))


def wrap(out, n):
    for name, base in (("wrap31", 2**31 - 1), ("wrap32", 2**32 - 1)):
        a = [((base * 10**9 + i * 1000), packet(T0 + i * 1000, i))
             for i in range(n)]
        b = [(t + 2 * 10**9, d) for t, d in a]
        write(os.path.join(out, name + "-a.pcap"), a)
        if name == "wrap31":
            write(os.path.join(out, name + "-b.pcap"), b)
        else:
            write_ng(os.path.join(out, name + "-b.pcapng"), b)


def main():
    out, kind, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    pts = int(sys.argv[4]) if len(sys.argv) > 4 else 64
    path = os.path.join(out, kind + ".pcap")
    if kind == "ordinary":
        write(path, ((T0 + i * 1000, packet(T0 + i * 1000, i))
                     for i in range(n)))
    elif kind == "samets":
        write(path, ((T0 + i * 1000, packet(T0, i)) for i in range(n)))
    elif kind == "collide":
        low = 0x5a5a5a
        write(path, ((T0 + i * 1000,
                      packet(unmix64((i + 1) << 24 | low) ^ (255 << 56), i))
                     for i in range(n)))
    elif kind in ("instant", "spread"):
        for k in range(pts):
            nums = range(k, n, pts)
            write(os.path.join(out, "%s-%d.pcap" % (kind, k)),
                  ((T0 if kind == "instant" else T0 + i * 1000,
                    packet(T0 + i * 1000, i)) for i in nums))
    elif kind == "jumps":
        # hours forward, back, a stretch past 2^31 s, one just below 2^32
        # and back again: every 1000 packets another epoch
        epochs = [T0, T0 + 7200 * 10**9, T0 - 86400 * 10**9,
                  2**31 * 10**9, T0 + 10**9, (2**32 - 1) * 10**9,
                  T0 + 2 * 10**9]
        write(path, ((epochs[(i // 1000) % len(epochs)] + i * 1000,
                      packet(T0 + i * 1000, i)) for i in range(n)))
    elif kind == "wrap":
        wrap(out, n)
    elif kind == "dlt160":
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535,
                                160))
            for i in range(n):
                d = packet(T0, i)
                f.write(struct.pack("<IIII", 1763900000, i, len(d), len(d)))
                f.write(d)
    else:
        sys.exit("where_crafted.py: unknown kind " + kind)


main()
