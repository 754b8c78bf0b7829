#!/usr/bin/env python3
"""sniff_judge.py: compare `hdp sniff --json` with tshark (running
dissect/hdp.lua) and tcpdump, packet by packet and field by field.

    sniff_judge.py NAME OURS.jsonl TSHARK.tsv TCPDUMP.txt
    sniff_judge.py --lenient NAME OURS.jsonl TSHARK.tsv

OURS.jsonl   hdp sniff -r FILE --filter '' --json
TSHARK.tsv   tshark -T fields with the fields in TSHARK_FIELDS, in order
TCPDUMP.txt  tcpdump -n -tt --nano -v -x -r FILE

A field is compared whenever both sides have a value.  For a packet that
hdp decoded cleanly (status "ok"), each judge must have every field hdp
shows: a judge that says nothing does not pass.  Prints one line per
disagreement and exits 1 if there was any.

--lenient, for captures from elsewhere (tests/sniff_realworld.sh): tshark
alone judges the packet count (when it read any), the capture time (when
its fraction is a valid one), the outer addresses and the IP length,
where both sides have a value.  Tunnels, link types tshark reads with a
pseudo-header and extension-header chains it names otherwise make the
other fields differ for reasons that are not hdp's.
"""
import json
import re
import sys

TSHARK_FIELDS = [
    "frame.time_epoch", "frame.cap_len", "frame.len",
    "ip.version", "ip.src", "ip.dst", "ip.proto", "ip.ttl", "ip.dsfield",
    "ip.id", "ip.len",
    "ipv6.src", "ipv6.dst", "ipv6.nxt", "ipv6.hlim", "ipv6.tclass",
    "ipv6.plen", "ipv6.opt.jumbo", "ipv6.dstopts.nxt", "ipv6.hopopts.nxt", "ipv6.fraghdr.nxt",
    "ipv6.routing.nxt",
    "sll.ifindex", "sll.pkttype",
    "hdp.srcport", "hdp.dstport", "hdp.ts_ns", "hdp.latency_ns", "hdp.len",
    "hdp.payload",
    "udp.srcport", "udp.dstport",
    "_ws.expert.message", "_ws.col.Info",
]

DIRS = {"0": "In", "1": "B", "2": "M", "3": "P", "4": "Out"}

problems = []


def latency_text(ns):
    """hdp's latency text (hdp_fmt_latency, and the dissector's Info):
    one decimal in the largest unit that keeps the value at 1 or more."""
    a = abs(ns)
    if a < 999950:
        tenth, unit = 100, "us"
    elif a < 999950000:
        tenth, unit = 100000, "ms"
    else:
        tenth, unit = 100000000, "s"
    t = a // tenth + (1 if a % tenth >= tenth // 2 else 0)
    return "%s%d.%d %s" % ("-" if ns < 0 else "", t // 10, t % 10, unit)


def bad(name, i, what, ours, theirs, judge):
    problems.append("%s: packet %d: %s: hdp %r, %s %r"
                    % (name, i + 1, what, ours, judge, theirs))


# Seconds from here on: tcpdump 4.99 on libpcap 1.10 cannot print them
# (pcap: "[Error converting time]"; pcapng: wrapped at 2^32).
TD_TIME_MAX = 2**31


def ns_of_epoch(s):
    if not s or not s[0].isdigit():
        return None
    sec, _, frac = s.partition(".")
    return int(sec) * 1000000000 + int((frac + "000000000")[:9])


def num(s, base=10):
    return int(s, base) if s not in ("", None) else None


def big_tcp6(o, plen):
    """Payload length 0, and hdp took a BIG TCP datagram's length from the
    frame: neither judge of this machine (tcpdump 4.99.3, tshark 4.0) can
    tell that length (tcpdump 4.99.5 does, as hdp), nor decode what
    follows, so the datagram's length and contents go unjudged."""
    return plen == 0 and o["ip_len"] > 40 + 65535


def judge_tshark(name, ours, rows):
    if len(rows) != len(ours):
        bad(name, 0, "packet count", len(ours), len(rows), "tshark")
        return
    for i, (o, r) in enumerate(zip(ours, rows)):
        t = dict(zip(TSHARK_FIELDS, r + [""] * len(TSHARK_FIELDS)))
        if "Lua Error" in t["_ws.expert.message"]:
            bad(name, i, "Lua error", None, t["_ws.expert.message"], "tshark")
        strict = o["status"] == "ok"

        def cmp(what, ours_v, theirs_v):
            if ours_v is None:
                return
            if theirs_v is None:
                if strict:
                    bad(name, i, what, ours_v, None, "tshark")
                return
            if ours_v != theirs_v:
                bad(name, i, what, ours_v, theirs_v, "tshark")

        cmp("time_ns", o["time_ns"], ns_of_epoch(t["frame.time_epoch"]))
        cmp("caplen", o["caplen"], num(t["frame.cap_len"]))
        cmp("frame_len", o["frame_len"], num(t["frame.len"]))
        if o["ifindex"] is not None:
            cmp("ifindex", o["ifindex"], num(t["sll.ifindex"]))
        if o["direction"] is not None:
            cmp("direction", o["direction"], DIRS.get(t["sll.pkttype"]))
        v = o["ip_version"]
        if v == 4 and o["src"] is not None:
            cmp("src", o["src"], t["ip.src"] or None)
            cmp("dst", o["dst"], t["ip.dst"] or None)
            cmp("proto", o["proto"], num(t["ip.proto"]))
            cmp("ttl", o["ttl"], num(t["ip.ttl"]))
            cmp("tos", o["tos"], num(t["ip.dsfield"], 16))
            cmp("ip_id", o["ip_id"], num(t["ip.id"], 16))
            cmp("ip_len", o["ip_len"], num(t["ip.len"]))
        elif v == 6 and o["src"] is not None:
            cmp("src", o["src"], t["ipv6.src"] or None)
            cmp("dst", o["dst"], t["ipv6.dst"] or None)
            nxt = next((t[k] for k in ("ipv6.fraghdr.nxt", "ipv6.dstopts.nxt",
                                        "ipv6.routing.nxt", "ipv6.hopopts.nxt")
                        if t[k]), t["ipv6.nxt"])
            cmp("proto", o["proto"], num(nxt))
            cmp("ttl", o["ttl"], num(t["ipv6.hlim"]))
            cmp("tos", o["tos"], num(t["ipv6.tclass"], 16))
            plen = num(t["ipv6.plen"])
            if plen == 0 and t["ipv6.opt.jumbo"]:
                plen = num(t["ipv6.opt.jumbo"])
            if big_tcp6(o, plen):
                continue
            cmp("ip_len", o["ip_len"], None if plen is None else 40 + plen)
        if o["proto"] == 255:
            # our dissector must see an HDP header exactly when hdp does
            has = t["hdp.srcport"] != ""
            if has != (o["sport"] is not None):
                bad(name, i, "HDP header decoded", o["sport"] is not None,
                    has, "tshark")
                continue
            if has:
                cmp("sport", o["sport"], num(t["hdp.srcport"]))
                cmp("dport", o["dport"], num(t["hdp.dstport"]))
                cmp("hdp_ts_ns", o["hdp_ts_ns"], num(t["hdp.ts_ns"]))
                cmp("latency_ns", o["latency_ns"], num(t["hdp.latency_ns"]))
                cmp("len", o["len"], num(t["hdp.len"]))
                if o["latency_ns"] is not None:
                    want = " latency %s " % latency_text(o["latency_ns"])
                    if want not in t["_ws.col.Info"]:
                        bad(name, i, "latency in Info", want.strip(),
                            t["_ws.col.Info"], "tshark")
                cmp("payload_hex", o["payload_hex"],
                    t["hdp.payload"].replace(":", ""))
        elif o["proto"] == 17 and o["sport"] is not None:
            cmp("sport", o["sport"], num(t["udp.srcport"]))
            cmp("dport", o["dport"], num(t["udp.dstport"]))


TD_HEAD = re.compile(r"^(\d+\.\d{9}|\[Error converting time\]) (.*)$")
TD_JUMBO = re.compile(r"HBH \(.*?jumbo: (\d+)\)")
TD_V4 = re.compile(r"IP \(tos (0x[0-9a-f]+)[^,]*, ttl (\d+), id (\d+), "
                   r"offset (\d+), flags \[([^\]]*)\], proto .*?\((\d+)\), "
                   r"length (\d+)")
TD_V6 = re.compile(r"IP6 \((?:class (0x[0-9a-f]+), )?(?:flowlabel "
                   r"(0x[0-9a-f]+), )?hlim (\d+), next-header [^(]*\((\d+)\) "
                   r"payload length: (\d+)\)")
TD_ADDR = re.compile(r"(?:^|\s)([0-9a-f.:]+) > ([0-9a-f.:]+):")
TD_DIR = re.compile(r"\s(In|Out|B|M|P)\s+IP6?\s")


def tcpdump_packets(text):
    pkts = []
    for line in text.splitlines():
        m = TD_HEAD.match(line)
        if m:
            pkts.append({"time": m.group(1), "text": m.group(2), "hex": ""})
        elif pkts:
            if re.match(r"^\s+0x[0-9a-f]+:\s", line):
                pkts[-1]["hex"] += "".join(line.split(":", 1)[1].split())
            else:
                pkts[-1]["text"] += "\n" + line
    return pkts


def split_addr(tok, v):
    """tcpdump writes a.b.c.d.port and x::y.port: take the port off."""
    if v == 4:
        parts = tok.split(".")
        return ".".join(parts[:4]), (int(parts[4]) if len(parts) > 4 else None)
    if "." in tok:
        a, _, p = tok.rpartition(".")
        return a, int(p)
    return tok, None


def judge_tcpdump(name, ours, text):
    pkts = tcpdump_packets(text)
    if len(pkts) != len(ours):
        bad(name, 0, "packet count", len(ours), len(pkts), "tcpdump")
        return
    for i, (o, p) in enumerate(zip(ours, pkts)):
        # IPv4 total length 0 (segmentation offload): Wireshark and hdp
        # take the frame's length, tcpdump 4.99 stops at "bad-len 0"
        strict = o["status"] == "ok" and "bad-len 0" not in p["text"]

        def cmp(what, ours_v, theirs_v):
            if ours_v is None:
                return
            if theirs_v is None:
                if strict:
                    bad(name, i, what, ours_v, None, "tcpdump")
                return
            if ours_v != theirs_v:
                bad(name, i, what, ours_v, theirs_v, "tcpdump")

        if o["time_ns"] < TD_TIME_MAX * 10**9:
            cmp("time_ns", o["time_ns"], ns_of_epoch(p["time"]))
        if o["direction"] is not None:
            # tcpdump shows it for cooked v2 (SLL2) headers only
            m = TD_DIR.search(" " + p["text"])
            if m or o["ifindex"] is not None:
                cmp("direction", o["direction"], m.group(1) if m else None)
        v = o["ip_version"]
        if o["src"] is None:
            continue
        m4 = TD_V4.search(p["text"]) if v == 4 else None
        m6 = TD_V6.search(p["text"]) if v == 6 else None
        ma = TD_ADDR.search(p["text"].split(")", 1)[-1]
                            if v == 6 else p["text"])
        src = dst = None
        if ma:
            src, _ = split_addr(ma.group(1), v)
            dst, _ = split_addr(ma.group(2), v)
        cmp("src", o["src"], src)
        cmp("dst", o["dst"], dst)
        hdr_len = None
        if v == 4:
            cmp("tos", o["tos"], int(m4.group(1), 16) if m4 else None)
            cmp("ttl", o["ttl"], int(m4.group(2)) if m4 else None)
            cmp("ip_id", o["ip_id"], int(m4.group(3)) if m4 else None)
            cmp("proto", o["proto"], int(m4.group(6)) if m4 else None)
            cmp("ip_len", o["ip_len"], int(m4.group(7)) if m4 else None)
            if p["hex"]:
                hdr_len = (int(p["hex"][1], 16)) * 4
        else:
            cmp("tos", o["tos"], int(m6.group(1), 16)
                if m6 and m6.group(1) else (0 if m6 else None))
            cmp("ttl", o["ttl"], int(m6.group(3)) if m6 else None)
            plen = int(m6.group(5)) if m6 else None
            mj = TD_JUMBO.search(p["text"])
            if plen == 0 and mj:
                plen = int(mj.group(1))
            if big_tcp6(o, plen):
                continue
            cmp("ip_len", o["ip_len"], None if plen is None else 40 + plen)
            if m6 and int(m6.group(4)) == 255:
                cmp("proto", o["proto"], 255)
                hdr_len = 40
        # the HDP header and payload, read from tcpdump's hex dump
        if o["proto"] == 255 and o["hdp_ts_ns"] is not None and hdr_len:
            b = bytes.fromhex(p["hex"])
            h = b[hdr_len:hdr_len + 12]
            if len(h) < 12:
                if strict:
                    bad(name, i, "HDP header in hex", 12, len(h), "tcpdump")
                continue
            cmp("sport", o["sport"], int.from_bytes(h[0:2], "big"))
            cmp("dport", o["dport"], int.from_bytes(h[2:4], "big"))
            cmp("hdp_ts_ns", o["hdp_ts_ns"], int.from_bytes(h[4:12], "big"))
            if o["time_ns"] < TD_TIME_MAX * 10**9:
                cmp("latency_ns", o["latency_ns"], ns_of_epoch(p["time"]) -
                    int.from_bytes(h[4:12], "big"))
            pl = b[hdr_len + 12:hdr_len + 12 + len(o["payload_hex"]) // 2]
            cmp("payload_hex", o["payload_hex"], pl.hex())


def judge_lenient(name, ours, rows):
    if rows and len(rows) != len(ours):
        bad(name, 0, "packet count", len(ours), len(rows), "tshark")
        return
    for i, (o, r) in enumerate(zip(ours, rows)):
        t = dict(zip(TSHARK_FIELDS, r + [""] * len(TSHARK_FIELDS)))

        def cmp(what, ours_v, theirs_v):
            if ours_v is not None and theirs_v is not None and \
                    ours_v != theirs_v:
                bad(name, i, what, ours_v, theirs_v, "tshark")

        # a fraction of a second past 10^6 us (10^9 ns) is no time: hdp
        # carries it into the seconds, tshark reads it otherwise
        theirs = ns_of_epoch(t["frame.time_epoch"])
        if theirs is not None:      # tshark can print a negative time
            carried = o["time_ns"] // 10**9 > theirs // 10**9 and \
                o["time_ns"] % 10**9 != theirs % 10**9
            if not carried:
                cmp("time_ns", o["time_ns"], theirs)
        v = o["ip_version"]
        if o["src"] is None:
            continue
        k = "ip" if v == 4 else "ipv6"
        cmp("src", o["src"], t[k + ".src"] or None)
        cmp("dst", o["dst"], t[k + ".dst"] or None)
        if v == 4 and num(t["ip.len"]):
            cmp("ip_len", o["ip_len"], num(t["ip.len"]))
        if v == 6 and num(t["ipv6.plen"]):
            cmp("ip_len", o["ip_len"], 40 + num(t["ipv6.plen"]))


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--lenient":
        name, ours_p, tshark_p = sys.argv[2:]
        with open(ours_p) as f:
            ours = [json.loads(line) for line in f if line.strip()]
        with open(tshark_p) as f:
            rows = [line.rstrip("\n").split("\t") for line in f]
        judge_lenient(name, ours, rows)
        for p in problems:
            print(p)
        print("%s: %d packets, %d disagreements"
              % (name, len(ours), len(problems)))
        return 1 if problems else 0
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    name, ours_p, tshark_p, tcpdump_p = sys.argv[1:]
    with open(ours_p) as f:
        ours = [json.loads(line) for line in f if line.strip()]
    with open(tshark_p) as f:
        rows = [line.rstrip("\n").split("\t") for line in f]
    with open(tcpdump_p) as f:
        td = f.read()
    if not ours:
        problems.append("%s: hdp printed no packets" % name)
    judge_tshark(name, ours, rows)
    judge_tcpdump(name, ours, td)
    for p in problems:
        print(p)
    print("%s: %d packets, %d disagreements" % (name, len(ours), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
