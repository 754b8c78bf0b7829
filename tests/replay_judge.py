#!/usr/bin/python3
"""replay_judge.py: judge one `hdp replay` run independently of hdp's code.

    replay_judge.py ORIG.pcap REPLAY.json RX.pcap [SNIFF.pcap]

ORIG is the capture replayed, REPLAY.json what `hdp replay --json` said,
RX.pcap what tcpdump captured on the far side, SNIFF.pcap what `hdp sniff
-w` captured there.  The judge parses the link and IP headers itself
(scapy only reads the files) and decides for every frame of ORIG whether
it can be rebuilt whole (addresses are rewritten by the test), then checks:

  1. hdp replay sent or skipped exactly those frames, skipped ones with a
     reason of the right kind (fragments and IPv6 extension headers are
     sent: the IP header rebuilt, the rest as captured); a transport
     checksum over the rewritten addresses is adjusted: one right as
     captured must verify as sent, only the checksum bytes may change;
  2. the frames that arrived are the ones sent, in order, each with the
     original's protocol, TTL, TOS, IPv4 ID/DF, IPv6 flow label and the
     transport bytes unchanged (a UDP checksum may change with the
     addresses; it must then be right);
  3. hdp sniff saw the same HDP datagrams as tcpdump.

Prints one line per problem, exits 1 when there was any.
"""
import json
import struct
import sys

from scapy.utils import RawPcapNgReader, RawPcapReader

PSEUDO = {6, 17, 33, 136}          # checksums over the addresses (v4)
CSUM_AT = {6: 16, 17: 6, 33: 6, 136: 6, 58: 2}   # where, in the header
IP6_EXT = {0, 43, 44, 51, 60, 135, 139, 140}


def read(path):
    """[(bytes, wirelen)], linktype"""
    with open(path, "rb") as f:
        magic = f.read(4)
    rd = RawPcapNgReader(path) if magic == b"\x0a\x0d\x0d\x0a" \
        else RawPcapReader(path)
    out = []
    linktype = getattr(rd, "linktype", None)
    for data, meta in rd:
        wl = getattr(meta, "wirelen", None)
        if wl is None:
            wl = len(data)
        if linktype is None or hasattr(meta, "linktype"):
            linktype = getattr(meta, "linktype", linktype)
        out.append((bytes(data), wl))
    rd.close()
    return out, linktype


def ip_offset(b, lt):
    """offset of the IP header and its version (0: not IP)."""
    if lt == 1:                                   # Ethernet
        o, et = 14, None
        if len(b) < 14:
            return 0, 0
        et = struct.unpack(">H", b[12:14])[0]
        while et in (0x8100, 0x88a8) and len(b) >= o + 4:
            et = struct.unpack(">H", b[o + 2:o + 4])[0]
            o += 4
        return o, {0x0800: 4, 0x86dd: 6}.get(et, 0)
    if lt == 0:                                   # BSD loopback
        if len(b) < 4:
            return 0, 0
        af = struct.unpack("<I", b[:4])[0]
        if af > 0xffff:
            af = struct.unpack(">I", b[:4])[0]
        return 4, 4 if af == 2 else 6 if af in (10, 24, 28, 30) else 0
    if lt == 113:                                 # Linux cooked v1
        et = struct.unpack(">H", b[14:16])[0] if len(b) >= 16 else 0
        return 16, {0x0800: 4, 0x86dd: 6}.get(et, 0)
    if lt == 276:                                 # Linux cooked v2
        et = struct.unpack(">H", b[0:2])[0] if len(b) >= 20 else 0
        return 20, {0x0800: 4, 0x86dd: 6}.get(et, 0)
    if lt in (12, 14, 101, 228, 229):             # raw IP
        if not b:
            return 0, 0
        v = b[0] >> 4
        return 0, v if v in (4, 6) else -1
    raise SystemExit("judge: link type %d unknown" % lt)


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(">%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def pseudo(v, ip, proto, n):
    """the pseudo-header of a datagram whose header is ip, n bytes after"""
    if v == 4:
        return ip[12:20] + struct.pack(">BBH", 0, proto, n)
    return ip[8:40] + struct.pack(">IxxxB", n, proto)


def csum_info(v, ip, proto, l4, at, whole):
    """where the transport checksum is (at, from the start of l4) and
    whether the arrived one must verify: a checksum right as captured
    must be right as sent, addresses rewritten (hdp replay adjusts it);
    a UDP/IPv4 checksum of 0 (none) stays 0.  None when the protocol
    has no checksum over the addresses."""
    if proto not in PSEUDO | ({58} if v == 6 else set()):
        return None
    if at + 2 > len(l4):
        return "stale"
    udp0 = v == 4 and proto == 17 and l4[at:at + 2] == b"\0\0"
    ok = whole and proto in (6, 17, 58) and not udp0 and \
        csum(pseudo(v, ip, proto, len(l4)) + l4) == 0
    return dict(at=at, udp0=udp0, verify=ok)


def classify(b, wirelen, lt):
    """('sent', info) or (kind, None); kind as hdp replay names it."""
    o, v = ip_offset(b, lt)
    if v == 0:
        return "not IP", None
    if v == -1:
        return "damaged", None
    ip = b[o:]
    if v == 4:
        if len(ip) < 20:
            return "damaged", None
        ihl = (ip[0] & 15) * 4
        tot = struct.unpack(">H", ip[2:4])[0]
        frag = struct.unpack(">H", ip[6:8])[0]
        if tot == 0:            # TSO/GSO: Wireshark takes the frame's
            tot = len(ip)       # length, and so does hdp's decoder
        if ihl < 20 or tot < ihl or len(ip) < ihl or len(ip) < tot:
            return "damaged", None
        if csum(ip[:ihl]) != 0:
            return "damaged", None
        proto = ip[9]
        l4 = ip[ihl:tot]
        info = dict(v=4, proto=proto, ttl=ip[8], tos=ip[1],
                    id=struct.unpack(">H", ip[4:6])[0],
                    df=(frag >> 14) & 1, l4=l4, opts=ip[20:ihl],
                    frag=frag & 0x3fff)
        # a fragment is rebuilt with its bytes as captured: the first
        # one carries the transport checksum over the (rewritten)
        # addresses
        if frag & 0x3fff:
            info["udp_hdp"] = False
            if frag & 0x1fff == 0:
                c = csum_info(4, ip, proto, l4, CSUM_AT.get(proto, 0), False)
                if c == "stale":
                    return "stale checksum", None
                info["csum"] = c
            return "sent", info
    else:
        if len(ip) < 40:
            return "damaged", None
        plen = struct.unpack(">H", ip[4:6])[0]
        if 40 + plen > len(ip):
            return "damaged", None
        nh, off, exts, later = ip[6], 40, 0, False
        while nh in IP6_EXT and off + 2 <= 40 + plen:
            if nh == 44:
                later = struct.unpack(">H", ip[off + 2:off + 4])[0] >> 3 != 0
                nh, off, exts = ip[off], off + 8, exts + 1
                if later:
                    break
                continue
            n = (ip[off + 1] + 2) * 4 if nh == 51 else (ip[off + 1] + 1) * 8
            nh, off, exts = ip[off], off + n, exts + 1
        proto = nh
        l4 = ip[40:40 + plen]
        w = struct.unpack(">I", ip[:4])[0]
        info = dict(v=6, proto=ip[6], ttl=ip[7], tos=(w >> 20) & 0xff,
                    flow=w & 0xfffff, l4=l4)
        # extension headers (a fragment header among them) ride as
        # captured after a rebuilt fixed header
        if exts:
            info["udp_hdp"] = False
            if not later:
                c = csum_info(6, ip, proto, l4,
                              off - 40 + CSUM_AT.get(proto, 0), False)
                if c == "stale":
                    return "stale checksum", None
                info["csum"] = c
            return "sent", info
    if proto == 255 and len(l4) < 12:
        return "damaged", None
    udp_hdp = (proto == 17 and len(l4) >= 20 and l4[0:4] == l4[8:12] and
               struct.unpack(">H", l4[4:6])[0] == len(l4))
    info["udp_hdp"] = udp_hdp
    if not udp_hdp:
        c = csum_info(v, ip, proto, l4, CSUM_AT.get(proto, 0), True)
        if c == "stale":
            return "stale checksum", None
        info["csum"] = c
    return "sent", info


def reason_kind(r):
    for k in ("not IP", "stale checksum"):
        if r.startswith(k):
            return k
    if r.startswith("truncated") or r.startswith("malformed"):
        return "damaged"
    return r


def rx_ip(b, lt):
    o, v = ip_offset(b, lt)
    return b[o:], v


def main():
    orig, olt = read(sys.argv[1])
    rows = [json.loads(x) for x in open(sys.argv[2]) if x.strip()]
    rx, rlt = read(sys.argv[3])
    bad = []

    got = {}
    for r in rows:
        if r.get("type") == "packet":
            got[r["n"]] = "sent" if r.get("ok") else "failed"
        elif r.get("type") == "skip":
            got[r["n"]] = reason_kind(r["reason"])
    want, sent_info = {}, []
    for i, (b, wl) in enumerate(orig, 1):
        k, info = classify(b, wl, olt)
        want[i] = k
        if k == "sent":
            sent_info.append((i, info))
    for i in sorted(want):
        if got.get(i) != want[i]:
            bad.append("frame %d: judge says %s, hdp replay %s" %
                       (i, want[i], got.get(i)))

    arrived = [rx_ip(b, rlt) for b, _ in rx]
    arrived = [(ip, v) for ip, v in arrived if v in (4, 6)]
    if len(arrived) != len(sent_info):
        bad.append("%d frames arrived, %d sent" %
                   (len(arrived), len(sent_info)))
    for (n, info), (ip, v) in zip(sent_info, arrived):
        if v != info["v"]:
            bad.append("frame %d: arrived as IPv%d" % (n, v))
            continue
        if v == 4:
            ihl = (ip[0] & 15) * 4
            tot = struct.unpack(">H", ip[2:4])[0]
            fields = dict(proto=ip[9], ttl=ip[8], tos=ip[1],
                          id=struct.unpack(">H", ip[4:6])[0],
                          df=(struct.unpack(">H", ip[6:8])[0] >> 14) & 1,
                          opts=ip[20:ihl],
                          frag=struct.unpack(">H", ip[6:8])[0] & 0x3fff)
            l4 = ip[ihl:tot]
            p17 = ip[12:20] + struct.pack(">BBH", 0, 17, len(l4))
        else:
            plen = struct.unpack(">H", ip[4:6])[0]
            w = struct.unpack(">I", ip[:4])[0]
            fields = dict(proto=ip[6], ttl=ip[7], tos=(w >> 20) & 0xff,
                          flow=w & 0xfffff)
            l4 = ip[40:40 + plen]
            p17 = ip[8:40] + struct.pack(">IxxxB", len(l4), 17)
        for k, val in fields.items():
            if info[k] != val:
                bad.append("frame %d: %s %r, original %r" %
                           (n, k, val, info[k]))
        want_l4 = info["l4"]
        c = info.get("csum")
        if info["udp_hdp"]:
            if csum(p17 + l4) != 0:
                bad.append("frame %d: UDP checksum wrong" % n)
            want_l4 = want_l4[:6] + l4[6:8] + want_l4[8:]
        elif c:
            a = c["at"]
            if c["udp0"] and l4[a:a + 2] != b"\0\0":
                bad.append("frame %d: UDP checksum 0 (none) not kept" % n)
            if c["verify"] and \
                    csum(pseudo(v, ip, fields["proto"], len(l4)) + l4) != 0:
                bad.append("frame %d: transport checksum wrong after the "
                           "rewrite" % n)
            want_l4 = want_l4[:a] + l4[a:a + 2] + want_l4[a + 2:]
        if l4 != want_l4:
            bad.append("frame %d: transport bytes differ (%d vs %d bytes)"
                       % (n, len(l4), len(want_l4)))

    if len(sys.argv) > 4:
        sn, slt = read(sys.argv[4])
        s_hdp = [ip for ip, v in (rx_ip(b, slt) for b, _ in sn)
                 if (v == 4 and ip[9] == 255) or (v == 6 and ip[6] == 255)]
        t_hdp = [ip for ip, v in arrived
                 if (v == 4 and ip[9] == 255) or (v == 6 and ip[6] == 255)]
        if s_hdp != t_hdp:
            bad.append("hdp sniff saw %d HDP datagrams, tcpdump %d (or "
                       "different bytes)" % (len(s_hdp), len(t_hdp)))

    for b in bad:
        print("FAIL:", b)
    print("judged %d frames: %d to send, %d arrived, %d problems" %
          (len(orig), len(sent_info), len(arrived), len(bad)))
    sys.exit(1 if bad else 0)


main()
