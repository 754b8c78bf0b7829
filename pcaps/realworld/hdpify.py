#!/usr/bin/env python3
"""hdpify.py IN OUT: copy a pcap or pcapng file with every IP packet's
transport turned into HDP.

The protocol number of each IPv4 packet, and the next header that ends
each IPv6 packet's extension-header chain, becomes 255; the bytes after
the IP header stay as they are, so what was a TCP or UDP header is read
as the HDP header (ports, then eight bytes of timestamp) and the rest as
payload.  IPv4 header checksums are made right again when the header was
captured whole.  Every other byte, each record's lengths and time stamp,
the link type and the time stamp precision are kept, so truncated and
malformed frames stay truncated and malformed.

Link types: Ethernet (with VLAN tags and 802.3 LLC/SNAP), NULL, LOOP,
RAW, IPV4, IPV6, LINUX_SLL, LINUX_SLL2; frames of other link types are
copied unchanged.  Prints how many packets were changed.  Reads and
writes with scapy's raw pcap/pcapng reader and writers.
"""
import sys

from scapy.utils import (EDecimal, PcapNgWriter, PcapWriter, RawPcapNgReader,
                         RawPcapReader, checksum)

IP6_EXT = {0, 43, 44, 51, 60, 135, 139, 140}


def be16(b, o):
    return b[o] << 8 | b[o + 1]


def llc_snap(b, o):
    """Offset after an RFC 1042/802.1H SNAP header, and its type."""
    if (len(b) >= o + 8 and b[o:o + 3] == b"\xaa\xaa\x03" and
            b[o + 3:o + 6] in (b"\0\0\0", b"\0\0\xf8")):
        return o + 8, be16(b, o + 6)
    return None, None


def ip_offset(lt, b):
    """Where the IP header starts in a frame of link type lt, or None."""
    if lt == 1:
        if len(b) < 14:
            return None
        o, t = 14, be16(b, 12)
        while t in (0x8100, 0x88a8, 0x9100) and len(b) >= o + 4:
            t, o = be16(b, o + 2), o + 4
        if t <= 1500:
            o, t = llc_snap(b, o)
        return o if t in (0x0800, 0x86dd) else None
    if lt in (0, 108):
        return 4 if len(b) >= 4 else None
    if lt in (12, 14, 101, 228, 229):
        return 0
    if lt in (113, 276):
        hl = 16 if lt == 113 else 20
        if len(b) < hl:
            return None
        t = be16(b, 14 if lt == 113 else 0)
        if t == 4:
            return llc_snap(b, hl)[0]
        return hl if t in (0x0800, 0x86dd) else None
    return None


def to_hdp(b, o):
    """The frame with the IP packet at o carrying HDP; None if unchanged."""
    if o is None or len(b) <= o:
        return None
    b = bytearray(b)
    v = b[o] >> 4
    if v == 4 and len(b) >= o + 20:
        b[o + 9] = 255
        hl = (b[o] & 15) * 4
        if hl >= 20 and len(b) >= o + hl:
            b[o + 10:o + 12] = b"\0\0"
            c = checksum(bytes(b[o:o + hl]))
            b[o + 10:o + 12] = bytes([c >> 8, c & 0xff])
        return bytes(b)
    if v == 6 and len(b) >= o + 40:
        # at: where the next header that ends the chain is written
        at, nh, p = o + 6, b[o + 6], o + 40
        while nh in IP6_EXT and len(b) >= p + 8:
            if nh == 44:
                size = 8
            elif nh == 51:
                size = (b[p + 1] + 2) * 4
            else:
                size = (b[p + 1] + 1) * 8
            frag_later = nh == 44 and (be16(b, p + 2) >> 3) != 0
            at, nh = p, b[p]
            if frag_later:
                break          # a later fragment: what follows is data
            p += size
        if nh in IP6_EXT or nh in (50, 59):
            return None
        b[at] = 255
        return bytes(b)
    return None


def records(r):
    """Every record whole: scapy's iterator cuts them at 65535 bytes."""
    out = []
    while True:
        try:
            out.append(r._read_packet(size=1 << 30))
        except EOFError:
            return out


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    src, dst = sys.argv[1:]
    with open(src, "rb") as f:
        ng = f.read(4) == b"\x0a\x0d\x0d\x0a"
    changed = 0
    if ng:
        recs = records(RawPcapNgReader(src))
        lts = {m.linktype for _, m in recs}
        if len(lts) > 1:
            print("%s: %d link types, not copied" % (src, len(lts)),
                  file=sys.stderr)
            return 1
        lt = lts.pop() if lts else 1
        w = PcapNgWriter(dst)
        w.linktype = lt
        w.write_header(None)
        for b, m in recs:
            n = to_hdp(b, ip_offset(lt, b))
            changed += n is not None
            t = EDecimal((m.tshigh << 32) + m.tslow) / m.tsresol
            w.write_packet(n or b, sec=t, wirelen=m.wirelen)
    else:
        r = RawPcapReader(src)
        lt = r.linktype
        nano = r.nano
        w = PcapWriter(dst, linktype=lt, nano=nano, snaplen=r.snaplen)
        w.write_header(None)
        for b, m in records(r):
            n = to_hdp(b, ip_offset(lt, b))
            changed += n is not None
            w.write_packet(n or b, sec=m.sec, usec=m.usec, caplen=len(b),
                           wirelen=m.wirelen)
    w.close()
    print("%s: %d packets turned into HDP" % (dst, changed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
