#!/usr/bin/env python3
# survey_internet.py: judges `hdp survey --json` on the simulated internet
# of tests/internet.sh against the expectations derived from its table.
#
#   survey_internet.py EXPECT CROSSV CLASSES REPEAT JSONL[@LETTER][,...]
#                      [VANTAGE=LETTER...]
#
# JSONL@LETTER: every record of that file is from vantage LETTER (two
# separate local runs); then path_dependent, a verdict across vantages in
# one run, is not asked for (say so with NOCROSS=1 in the environment).
# EXPECT: target vantage proto category last_responder (tests/internet.sh).
# VANTAGE=LETTER maps the survey's "vantage" values to A or B (a value
# containing VANTAGE counts; the default: one containing "ssh" or the
# address of VB is B, anything else A).
#
# What is asserted, per (target, vantage, proto) of the expectations:
#   - exactly one record; its category is the expected one, where
#     path_dependent is also accepted for a pair whose vantages disagree;
#   - broken (not transient) with an expected last responder: for HDP
#     (255) the survey's last_responder must be that address; for the
#     other protocols it must be that address when the survey names one;
#   - sent >= arrived >= 0, and the category agrees with them (works:
#     arrived > 0; broken and offline: arrived 0);
#   - the random class (a 30 % drop of HDP, per packet, at R6): the
#     category is not certain, so per record it must be the one its own
#     counts give (all arrived: works, some: transient, none: broken),
#     and over all such records the counts must be binomially plausible:
#     the share of HDP probes arrived within 5 standard deviations of 0.7,
#     and the number of transient records at least 5 standard deviations
#     below the mean for REPEAT tries (1 - 0.7^R - 0.3^R each); a false
#     failure is about one run in 1.7 million;
#   - no broken record names the target itself as its last responder
#     (its TTL walk reached the target: the protocol arrived);
#   - path_dependent is said (a record's category, e.g. a "path" record)
#     for exactly the (target, proto) pairs the table makes so, plus the
#     random-class pairs whose own counts give broken from one vantage
#     and works or transient from the other; the "all" summary counts
#     them;
#   - the summary records' counts per (proto, vantage, category) equal
#     the counts of the per-target records.
# Every mismatch prints the target, vantage, proto, expected and got.
import json
import os
import sys
from collections import Counter, defaultdict

PROTO_NAMES = {
    "255": "255", "hdp": "255", "253": "253", "254": "254",
    "udp": "udp", "17": "udp", "tcp": "tcp", "tcp-syn": "tcp", "syn": "tcp",
    "6": "tcp", "icmp": "icmp", "echo": "icmp", "ping": "icmp", "1": "icmp",
    "icmp-echo": "icmp",
}
FAILS = []


def fail(msg):
    FAILS.append(msg)


def norm_proto(p):
    return PROTO_NAMES.get(str(p).lower())


def main():
    exp_f, crossv_f, classes_f, repeat, jsonl = sys.argv[1:6]
    repeat = int(repeat)
    vmap = []
    for a in sys.argv[6:]:
        k, v = a.split("=", 1)
        vmap.append((k, v))

    def vletter(v):
        v = str(v)
        for k, letter in vmap:
            if k in v:
                return letter
        return "B" if ("ssh" in v or "10.255.2.2" in v) else "A"

    exp = {}
    for line in open(exp_f):
        t, v, p, cat, lr = line.split()
        exp[(t, v, p)] = (cat, lr)
    crossv = {}
    for line in open(crossv_f):
        t, p, verdict = line.split()
        crossv[(t, p)] = verdict
    cls = dict(line.split() for line in open(classes_f))
    vantages = sorted({k[1] for k in exp})

    recs = {}
    summaries = []
    others = []
    bad_lines = 0
    lines = []
    for spec in jsonl.split(","):
        f, _, letter = spec.partition("@")
        lines += [(letter, ln) for ln in open(f)]
    for n, (forced, line) in enumerate(lines, 1):
        line = line.strip()
        if not line:
            continue
        try:
            o = json.loads(line)
        except ValueError:
            bad_lines += 1
            fail("line %d is not JSON: %.80s" % (n, line))
            continue
        kind = str(o.get("type", ""))
        if "summary" in kind:
            summaries.append((forced, o))
            continue
        if kind not in ("", "result") or "target" not in o or \
                "proto" not in o or "category" not in o:
            others.append(o)
            continue
        p = norm_proto(o["proto"])
        key = (str(o["target"]), forced or vletter(o.get("vantage", "")), p)
        if key in recs:
            fail("%s %s %s: more than one record" % key)
        recs[key] = o

    print("records: %d per-target, %d summaries, %d other" %
          (len(recs), len(summaries), len(others)))
    for k in recs:
        if k not in exp:
            fail("%s %s %s: a record for something not probed" % k)

    rnd = {"sent": 0, "arrived": 0, "n": 0, "transient": 0}
    own_cat = defaultdict(set)
    got_cats = Counter()
    for key, (want, lr) in sorted(exp.items()):
        t, v, p = key
        o = recs.get(key)
        if o is None:
            fail("%s %s %s: no record (expected %s)" % (t, v, p, want))
            continue
        cat = str(o.get("category"))
        got_cats[(p, v, cat)] += 1
        sent, arr = o.get("sent"), o.get("arrived")
        if not isinstance(sent, int) or not isinstance(arr, int) or \
                not 0 <= arr <= sent:
            fail("%s %s %s: sent %r arrived %r" % (t, v, p, sent, arr))
            continue
        if cat == "broken" and str(o.get("last_responder")) == t:
            fail("%s %s %s (%s): broken, yet its TTL walk reached the target "
                 "(last_responder %s, last_hop %s)" % (t, v, p, cls.get(t),
                                                       t, o.get("last_hop")))
        if want == "transient":
            own_cat[(t, p)].add("works" if arr == sent else
                                ("broken" if arr == 0 else "transient"))
            rnd["n"] += 1
            rnd["sent"] += sent
            rnd["arrived"] += arr
            own = "works" if arr == sent else \
                ("broken" if arr == 0 else "transient")
            if sent == 0 or cat != own:
                fail("%s %s %s (%s): expected %s by its own counts "
                     "(%d of %d arrived), got %s"
                     % (t, v, p, cls.get(t), own, arr, sent, cat))
            if cat == "transient":
                rnd["transient"] += 1
            continue
        ok = cat == want or \
            (cat == "path_dependent" and crossv.get((t, p)) == "path_dependent")
        if not ok:
            fail("%s %s %s (%s): expected %s, got %s (sent %d arrived %d, "
                 "evidence %s)" % (t, v, p, cls.get(t), want, cat, sent, arr,
                                   json.dumps(o.get("evidence"))))
            continue
        if want == "works" and arr == 0:
            fail("%s %s %s: works with 0 arrived" % (t, v, p))
        if want in ("broken", "offline") and arr != 0:
            fail("%s %s %s: %s with %d arrived" % (t, v, p, want, arr))
        if want == "broken" and lr != "-":
            got = o.get("last_responder")
            if (p == "255" or got not in (None, "")) and str(got) != lr:
                fail("%s %s %s (%s): expected last_responder %s, got %s "
                     "(last_hop %s)" % (t, v, p, cls.get(t), lr, got,
                                        o.get("last_hop")))

    if rnd["n"]:
        n, s, a = rnd["n"], rnd["sent"], rnd["arrived"]
        sd = (s * 0.21) ** 0.5
        if s == 0 or abs(a - 0.7 * s) > 5 * sd:
            fail("random drop: %d of %d HDP probes arrived, expected "
                 "%.0f +- %.0f" % (a, s, 0.7 * s, 5 * sd))
        pt = 1 - 0.7 ** repeat - 0.3 ** repeat
        low = n * pt - 5 * (n * pt * (1 - pt)) ** 0.5
        if rnd["transient"] < low:
            fail("random drop: %d of %d records transient, expected at "
                 "least %.0f (p %.3f each with --repeat %d)"
                 % (rnd["transient"], n, low, pt, repeat))
        print("random drop: %d of %d HDP probes arrived (%.1f %%), %d of %d "
              "records transient (expected %.1f)"
              % (a, s, 100.0 * a / max(s, 1), rnd["transient"], n, n * pt))

    # path_dependent: said (a record's category or verdict) for exactly
    # the pairs the table makes so, and for the random class where one
    # vantage's own counts give broken and another's works or transient
    want_pd = {k for k, verdict in crossv.items() if verdict == "path_dependent"}
    for k, cats in own_cat.items():
        if "broken" in cats and cats & {"works", "transient"}:
            want_pd.add(k)
    pd_said = set()
    for o in list(recs.values()) + others:
        if "path_dependent" in (str(o.get("category")), str(o.get("verdict")),
                                str(o.get("across"))):
            pd_said.add((str(o.get("target")), norm_proto(o.get("proto"))))
    if os.environ.get("NOCROSS") != "1":
        for t, p in sorted(want_pd - pd_said):
            fail("%s %s (%s): expected path_dependent across vantages, "
                 "not said" % (t, p, cls.get(t)))
        for t, p in sorted(pd_said - want_pd):
            fail("%s %s (%s): said path_dependent, expected %s"
                 % (t, p, cls.get(t), crossv.get((t, p))))

    # the summaries count what the records say
    if not summaries:
        fail("no summary records")
    npd = Counter(p for (t, p) in want_pd)
    for forced, s in summaries:
        p = norm_proto(s.get("proto"))
        if p is None or "vantage" not in s:
            continue
        if str(s["vantage"]) == "all":
            # across vantages: the path_dependent pairs of each protocol
            if os.environ.get("NOCROSS") != "1" and \
                    s.get("path_dependent") != npd[p]:
                fail("summary %s across vantages: path_dependent %s, "
                     "expected %d" % (p, s.get("path_dependent"), npd[p]))
            continue
        v = forced or vletter(s["vantage"])
        counts = s.get("counts", s)
        for cat in ("works", "broken", "transient", "offline"):
            if cat in counts and counts[cat] != got_cats[(p, v, cat)]:
                fail("summary %s %s %s: says %s, the records %d"
                     % (p, v, cat, counts[cat], got_cats[(p, v, cat)]))

    tally = Counter((k[1], k[2], str(o.get("category")))
                    for k, o in recs.items())
    for v in vantages:
        print("vantage %s: %s" % (v, ", ".join(
            "%s %s=%d" % (p, c, tally[(v, p, c)])
            for p in ("255", "253", "254", "udp", "tcp", "icmp")
            for c in ("works", "broken", "transient", "offline",
                      "path_dependent") if tally[(v, p, c)])))
    # at most 15 lines of each class, so a common failure does not hide
    # a rare one
    shown = Counter()
    for m in FAILS:
        c = next((c for c in set(cls.values()) if "(%s)" % c in m), "-")
        shown[c] += 1
        if shown[c] <= 15:
            print("FAIL: " + m)
        elif shown[c] == 16:
            print("FAIL: ... (more of class %s)" % c)
    if len(shown) > 1 or "-" not in shown:
        print("failures by class: " + ", ".join(
            "%s %d" % kv for kv in sorted(shown.items())))
    print("%d mismatches" % len(FAILS))
    sys.exit(1 if FAILS else 0)


main()
