#!/usr/bin/env python3
# internet_judge.py: proves with scapy, independently of hdp, that the
# simulated internet of tests/internet.sh behaves as its table says.  Run
# inside a vantage namespace:
#
#   internet_judge.py VANTAGE(A|B) EXPECT CLASSES
#
# For the first target of every class it sends each probe once (HDP 255,
# the controls 253 and 254 with a few bytes of payload, UDP to a closed
# port, TCP SYN, ICMP echo) and reads the kernel's answers: protocol or
# port unreachable, RST or echo reply FROM THE TARGET is arrival; anything
# else (silence, host unreachable from a router) is not.  The categories
# this gives (offline when no baseline arrives) must be the expected ones.
# For every class with a broken protocol it walks the TTLs of that
# protocol, with pauses for the routers' ICMP rate limits, and the last
# router to answer must be the expected last_responder.  For the random
# class it sends one HDP probe to each target (one each: every host's ICMP
# budget is fresh) and the share that arrives must be binomially
# plausible for a 30 % drop.  Prints ok/FAIL lines; exits 1 on a failure.
import sys
import time

from scapy.all import ICMP, IP, TCP, UDP, Raw, conf, sr, sr1  # noqa: E402
from scapy.supersocket import L3RawSocket

conf.L3socket = L3RawSocket     # the kernel's routing, in this namespace
conf.verb = 0

FAILS = 0
PAYLOAD = b"hdp-internet"


def report(good, what):
    global FAILS
    print(("ok: " if good else "FAIL: ") + what, flush=True)
    if not good:
        FAILS += 1


def probe(target, proto, ttl=64):
    ip = IP(dst=target, ttl=ttl)
    if proto == "udp":
        return ip / UDP(sport=40000, dport=33434) / Raw(PAYLOAD)
    if proto == "tcp":
        return ip / TCP(sport=40001, dport=80, flags="S", seq=1)
    if proto == "icmp":
        return ip / ICMP(type=8, id=4242, seq=1) / Raw(PAYLOAD)
    return IP(dst=target, ttl=ttl, proto=int(proto)) / Raw(PAYLOAD)


def arrived(target, proto, ans):
    """Did this answer come from the target's own IP layer?"""
    if ans is None or ans[IP].src != target:
        return False
    if proto in ("253", "254", "255"):
        return ICMP in ans and ans[ICMP].type == 3 and ans[ICMP].code == 2
    if proto == "udp":
        return ICMP in ans and ans[ICMP].type == 3 and ans[ICMP].code == 3
    if proto == "tcp":
        return TCP in ans and (ans[TCP].flags & 0x04 or ans[TCP].flags & 0x12)
    return ICMP in ans and ans[ICMP].type == 0


def answers_for(target, protos):
    """One probe of each protocol at once; {proto: answer or None}."""
    pkts = [probe(target, p) for p in protos]
    ans, _ = sr(pkts, timeout=2)
    got = {p: None for p in protos}
    for snd, rcv in ans:
        for p, pk in zip(protos, pkts):
            if bytes(pk) == bytes(snd):
                got[p] = rcv
    return got


def walk(target, proto, max_ttl):
    """TTL walk; the last router answering time exceeded, or '-'."""
    last = "-"
    for ttl in range(1, max_ttl + 1):
        src = None
        for _ in range(4):             # rate limits: up to 4 tries, 1.1 s apart
            a = sr1(probe(target, proto, ttl), timeout=1)
            if a is not None and ICMP in a and a[ICMP].type == 11:
                src = a[IP].src
                break
            time.sleep(0.1)
        if src is None:
            break
        last = src
    return last


def main():
    vantage, expect_f, classes_f = sys.argv[1:4]
    cls = {}
    order = []
    for line in open(classes_f):
        t, c = line.split()
        cls[t] = c
        if c not in order:
            order.append(c)
    exp = {}
    for line in open(expect_f):
        t, v, p, cat, lr = line.split()
        if v == vantage:
            exp[(t, p)] = (cat, lr)
    protos = ["255", "253", "254", "udp", "tcp", "icmp"]
    firsts = {c: next(t for t in cls if cls[t] == c) for c in order}
    walks = []
    for c in order:
        if c == "random":
            continue
        t = firsts[c]
        got = answers_for(t, protos)
        base = any(arrived(t, p, got[p]) for p in ("udp", "tcp", "icmp"))
        for p in protos:
            seen = "works" if arrived(t, p, got[p]) else "broken"
            if not base:
                seen = "offline"
            want, lr = exp[(t, p)]
            report(seen == want, "%s %s (%s) proto %s: kernel says %s, table %s"
                   % (vantage, t, c, p, seen, want))
        br = [p for p in protos if exp[(t, p)][0] == "broken"]
        if br:
            walks.append((c, t, br[0], exp[(t, br[0])][1]))
    for c, t, p, want in walks:
        got = walk(t, p, 3)
        report(got == want, "%s %s (%s) proto %s: last responder %s, table %s"
               % (vantage, t, c, p, got, want))
    # every host has the kernel's default ICMP error budget of its own:
    # a burst of 6 (the nft meter's 1/s plus burst 6 lets 6 or 7 pass)
    t = [t for t in cls if cls[t] == "clear"][1]
    ans, _ = sr([probe(t, "255") for _ in range(12)], timeout=2, multi=True)
    n = sum(1 for s, r in ans if arrived(t, "255", r))
    report(6 <= n <= 8, "%s %s: %d of 12 HDP probes at once answered "
           "(a host's ICMP budget: 6, 7 or 8)" % (vantage, t, n))
    rnd = [t for t in cls if cls[t] == "random"]
    if rnd:
        ans, _ = sr([probe(t, "255") for t in rnd], timeout=2)
        n = sum(1 for s, r in ans if arrived(s[IP].dst, "255", r))
        # Binomial(len, 0.7): within 5 standard deviations of the mean
        # (a false failure about once in 1.7 million runs)
        m = 0.7 * len(rnd)
        sd = (len(rnd) * 0.21) ** 0.5
        report(abs(n - m) <= 5 * sd and 0 < n < len(rnd),
               "%s random: %d of %d HDP probes arrived (30 %% drop: %.1f +- %.1f)"
               % (vantage, n, len(rnd), m, 5 * sd))
    sys.exit(1 if FAILS else 0)


main()
