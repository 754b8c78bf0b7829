"""scapy judges the fragments of tests/build_frames -x (send_golden.sh).

For every frame built and every hdp_tx_write_frags() call on it, scapy
parses each fragment and checks: the IPv4 total length (IPv6 payload
length) equals the bytes the fragment holds, the IPv4 header checksum is
right (unless masked), every fragment but the last holds a multiple of 8
bytes at the offset the previous ones end at, MF (M) is set on all but the
last, and the data put back together is the datagram's payload.  IPv4
options: the first fragment carries them as the datagram does, later ones
keep the header length, options without the copied flag turned to NOPs.
Exits 1 on a disagreement.
"""
import sys

from scapy.all import IP, IPv6, IPv6ExtHdrFragment, Ether, raw

fails = 0
checked = 0


def bad(what):
    global fails
    fails += 1
    print("FAIL " + what)


def ip_of(b, link):
    return b[14:] if link else b


def judge(head, frame, frags, link):
    global checked
    d = ip_of(frame, link)
    v = d[0] >> 4
    if v == 4:
        hl = (d[0] & 15) * 4
        data = d[hl:(d[2] << 8 | d[3])]
    else:
        hl = 40
        data = d[40:40 + (d[4] << 8 | d[5])]
    got = b""
    for i, fb in enumerate(frags):
        f = ip_of(fb, link)
        last = i == len(frags) - 1
        where = "%s fragment %d" % (head, i)
        if v == 4:
            p = IP(f)
            if p.len != len(f):
                bad("%s: total length %d, %d bytes" % (where, p.len, len(f)))
            if p.ihl * 4 != hl:
                bad("%s: header %d bytes, the datagram's %d"
                    % (where, p.ihl * 4, hl))
            if p.chksum != 0:
                q = IP(f)
                del q.chksum
                if IP(raw(q)).chksum != p.chksum:
                    bad("%s: bad header checksum" % where)
            if i == 0 and f[20:hl] != d[20:hl]:
                bad("%s: options differ from the datagram's" % where)
            off, mf, body = p.frag * 8, bool(p.flags.MF), f[p.ihl * 4:]
        else:
            p = IPv6(f)
            if p.plen + 40 != len(f):
                bad("%s: payload length %d, %d bytes" % (where, p.plen,
                                                         len(f)))
            fh = p[IPv6ExtHdrFragment]
            off, mf, body = fh.offset * 8, bool(fh.m), f[48:]
        if off != len(got):
            bad("%s: offset %d, expected %d" % (where, off, len(got)))
        if mf == last:
            bad("%s: more-fragments %d on fragment %d of %d"
                % (where, mf, i + 1, len(frags)))
        if not last and len(body) % 8:
            bad("%s: %d bytes, not a multiple of 8" % (where, len(body)))
        got += body
    if got != data:
        bad("%s: put back together, %d bytes differ from the datagram's %d"
            % (head, len(got), len(data)))
    checked += 1


def main(path, link):
    head = frame = None
    frags = []
    cur = None
    lines = open(path).read().split("\n")
    blocks = []             # (kind, text, hex)
    for ln in lines:
        if ln.startswith("  ") and blocks:
            blocks[-1][2].append(ln.split()[0] if ln.strip() and
                                 not ln.strip().startswith("frag ")
                                 else "")
            if ln.strip().startswith("frag "):
                blocks.append(("frag", ln.strip(), []))
        else:
            blocks.append(("line", ln, []))
    for kind, text, hx in blocks:
        b = bytes.fromhex("".join(hx)) if hx else b""
        if kind == "line" and text.startswith("== "):
            head, frame = text, None
        elif kind == "line" and text.startswith("frame:"):
            frame = b
        elif kind == "frag":
            frags.append(b)
        elif kind == "line" and text.startswith("frags mtu"):
            if " ok 1 " in text and frame is not None:
                judge("%s %s" % (head, text.split(":")[0]), frame, frags,
                      link)
            frags = []
    print("%d fragmentings judged" % checked)
    sys.exit(1 if fails or checked == 0 else 0)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] == "link")
