#!/usr/bin/env python3
"""sniff_parity.py HDP CAPTURE...: hdp sniff side by side with tcpdump.

For every capture, hdp sniff and tcpdump read the same packets (no
filter: hdp --filter '') and, packet by packet, these must be identical:

  -x -xx -X -XX   the dump lines ("\t0x0000:  4500 ..."), byte for byte
  -A              the text after each packet's line
  -e              the link-level part of the line (tcpdump's names, the
                  MAC addresses, VLAN tags, "length N: "); for Linux cooked
                  v2 the interface name is left out (it depends on the host)
  -v              the IP header's fields in parentheses: "(tos 0x0, ttl 64,
                  ...)" and "(flowlabel ..., hlim 64, ...)"
  -tt -ttt -tttt -ttttt   the time column, at micro- and nanoseconds

What is not compared, and why (each is counted and shown):
  - -x, -X and -A of a packet where one of tcpdump's own decoders met a
    truncated header ("[|dccp]"): tcpdump then shows the whole frame,
    link header included (what -xx shows is still compared);
  - captures of a link type hdp does not decode (it says so, prints one
    line per packet, and does not know tcpdump's link header length);
  - times tcpdump 4.99 cannot convert: it prints "[Error converting time]"
    past 2^31-1 s (2038) and its -ttt/-ttttt arithmetic wraps at 32 bits,
    so a span touching such a time is skipped;
  - -v of a header tcpdump shows no fields of, only why ("bad-len 0" for
    an IPv4 total length of 0, which hdp reads as segmentation offload).
Exit 1 with every difference shown; 2 when nothing could be compared.
"""
import json
import os
import re
import subprocess
import sys

HDP = sys.argv[1]
FILES = sys.argv[2:]
ENV = dict(os.environ, TZ="GMT0", LC_ALL="C")
T31 = 2 ** 31 * 10 ** 9

fails = 0
counts = {}
skips = {}


def count(what, n=1):
    counts[what] = counts.get(what, 0) + n


def skip(what, n=1):
    skips[what] = skips.get(what, 0) + n


def bad(name, what, i, ours, theirs):
    global fails
    fails += 1
    if fails <= int(os.environ.get("PARITY_SHOW", "40")):
        print("FAIL %s %s packet %d:\n  hdp:     %r\n  tcpdump: %r"
              % (name, what, i + 1, ours, theirs))


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=ENV, stdin=subprocess.DEVNULL, timeout=60)
    return r.returncode, r.stdout.decode("latin-1"), r.stderr.decode("latin-1")


def hdp(f, *opts):
    return run([HDP, "sniff", "-r", f, "--filter", ""] + list(opts))


def tcpdump(f, *opts):
    return run(["tcpdump", "-n", "-r", f] + list(opts))


TIME = {
    "tt": r"(?:\d+\.\d+|\[Error converting time\]) ",
    "ttt": r"[ -](?:\d+:\d\d:\d\d\.\d+|\[Error converting time\]) ",
    "tttt": r"(?:\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+|"
            r"\[Error converting time\]) ",
}
TIME["ttttt"] = TIME["ttt"]


def packets(text, tmode="tt"):
    """[(time prefix, rest of the line, [following lines])]"""
    rx = re.compile(TIME[tmode])
    out = []
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for ln in lines:
        m = rx.match(ln)
        if m:
            out.append([m.group(0), ln[m.end():], []])
        elif out:
            out[-1][2].append(ln)
        else:
            out.append(["", ln, []])
    return out


def paren(s):
    """The balanced (...) group starting at the first '(' of s."""
    i = s.find("(")
    if i < 0:
        return None
    depth = 0
    for j in range(i, len(s)):
        if s[j] == "(":
            depth += 1
        elif s[j] == ")":
            depth -= 1
            if depth == 0:
                return s[i:j + 1]
    return None


def link_part(line, src, sll2):
    """The -e part of a line (after the time): up to the source address,
    or, without one, up to the first "length N: "."""
    if sll2:
        line = line.split(None, 1)[1] if " " in line else line
    if src is not None:
        ks = [k for k in (line.find(src + "."), line.find(src + " "))
              if k >= 0]
        if not ks:
            return None
        line = line[:min(ks)]
    # tcpdump's IP printer says a datagram is cut before its addresses
    k = line.find("truncated-ip")
    if k >= 0:
        return line[:k]
    if src is not None:
        return line
    m = re.match(r".*?length \d+: ", line)
    return m.group(0) if m else None


def check_file(path):
    name = os.path.relpath(path)
    rc, js, err = hdp(path, "--json")
    if rc != 0:
        if tcpdump(path)[0] != 0:
            skip("captures neither tool reads (libpcap refuses them)")
        else:
            bad(name, "hdp --json exit", -1, rc, err.strip())
        return
    if "is not decoded" in err:
        skip("captures of a link type hdp does not decode")
        return
    objs = [json.loads(ln) for ln in js.splitlines()]
    sll2 = "LINUX_SLL2" in err
    rc, tt, _ = tcpdump(path, "-tt")
    theirs = packets(tt)
    if len(theirs) != len(objs):
        bad(name, "packet count", -1, len(objs), len(theirs))
        return
    count("packets", len(objs))

    def both(hopts, topts, tmode="tt"):
        _, a, _ = hdp(path, *hopts)
        _, b, _ = tcpdump(path, *topts)
        pa, pb = packets(a, tmode), packets(b, tmode)
        if len(pa) != len(pb) or len(pa) != len(objs):
            bad(name, " ".join(hopts) + " packet lines", -1, len(pa), len(pb))
            return []
        return list(zip(pa, pb))

    # the dumps
    for opt in ("-x", "-xx", "-X", "-XX"):
        for i, (a, b) in enumerate(both(["-tt", "--micro", opt],
                                        ["-tt", opt])):
            if "[|" in b[1] and opt in ("-x", "-X"):
                skip(opt + ": tcpdump's decoder hit a truncated header "
                     "(it dumps the whole frame then)")
                continue
            da = [ln for ln in a[2] if ln.startswith("\t0x")]
            db = [ln for ln in b[2] if ln.startswith("\t0x")]
            # some of tcpdump's decoders (ISO CLNS) print the PDU in hex
            # first: the dump is what starts at the last offset 0
            last = [k for k, ln in enumerate(db) if ln.startswith("\t0x0000:")]
            db = db[last[-1]:] if last else db
            if da != db:
                bad(name, opt, i, da, db)
            count(opt + " dump lines", len(db))
    # -A: what follows the packet's line (hdp's line for an ICMP error
    # quotes the datagram on a line of its own first)
    for i, (a, b) in enumerate(both(["-tt", "--micro", "-A"],
                                    ["-tt", "-A"])):
        if "[|" in b[1]:
            skip("-A: tcpdump's decoder hit a truncated header (it shows "
                 "the whole frame then)")
            continue
        fa = a[2][1:] if "icmp_type" in objs[i] else a[2]
        # tcpdump's default printer shows a payload it cannot decode in
        # hex first: the -A text is what follows
        fb = b[2]
        while fb and fb[0].startswith("\t0x"):
            fb = fb[1:]
        if fa != fb:
            bad(name, "-A", i, fa, fb)
        count("-A packets")
    # -e
    for i, (a, b) in enumerate(both(["-tt", "--micro", "-e", "--ifnames"],
                                    ["-tt", "-e"])):
        src = objs[i]["src"]
        la, lb = link_part(a[1], src, sll2), link_part(b[1], src, sll2)
        if lb is None:
            skip("-e: tcpdump shows no link part hdp can find")
            continue
        if la != lb:
            bad(name, "-e", i, la, lb)
        count("-e link parts")
    # -v
    for i, (a, b) in enumerate(both(["-tt", "--micro", "-v"],
                                    ["-tt", "-v"])):
        ma, mb = re.search(r"IP6? \(", a[1]), re.search(r"IP6? \(", b[1])
        ga = paren(a[1][ma.start():]) if ma else None
        gb = paren(b[1][mb.start():]) if mb else None
        if gb is None:
            if ga is not None:
                skip("-v: tcpdump shows no fields, only why (bad-len)")
            continue
        if ga != gb:
            bad(name, "-v", i, ga, gb)
        count("-v header fields")
        # an ICMP error's quoted IPv4 header, on the line after the error
        qa = [ln for ln in a[2] if ln.startswith("\tIP (")]
        qb = [ln for ln in b[2] if ln.startswith("\tIP (")]
        if qb:
            if [paren(x) for x in qa[:1]] != [paren(x) for x in qb[:1]]:
                bad(name, "-v quoted", i, qa[:1], qb[:1])
            count("-v quoted header fields")
    # the time columns
    for prec, hp, tp in (("micro", ["--micro"], []),
                         ("nano", ["--nano"], ["--nano"])):
        for t in ("tt", "ttt", "tttt", "ttttt"):
            pairs = both(["-" + t] + hp, ["-" + t] + tp, t)
            for i, (a, b) in enumerate(pairs):
                ref = {"ttt": i - 1, "ttttt": 0}.get(t, i)
                ref = max(ref, 0)
                if ("Error" in b[0] or objs[i]["time_ns"] >= T31 or
                        objs[ref]["time_ns"] >= T31):
                    skip("times tcpdump cannot convert (past 2038)")
                    continue
                if a[0] != b[0]:
                    bad(name, "-%s (%s)" % (t, prec), i, a[0], b[0])
                count("-%s %s times" % (t, prec))


for f in FILES:
    check_file(f)
for k in sorted(counts):
    print("compared: %6d %s" % (counts[k], k))
for k in sorted(skips):
    print("not compared: %6d %s" % (skips[k], k))
if fails:
    print("%d difference(s) from tcpdump" % fails)
    sys.exit(1)
if not counts.get("-x dump lines") or not counts.get("-v header fields"):
    print("nothing compared")
    sys.exit(2)
sys.exit(0)
