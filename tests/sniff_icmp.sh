#!/bin/sh
# sniff_icmp.sh: hdp sniff --icmp on a live link, with real kernels'
# ICMP and ICMPv6 errors (tests/topo.sh's sender - R1 - R2 - receiver
# path): the receiver has no HDP listener, a TTL / hop limit of 1 expires
# at R1, R2 refuses protocol 255 by policy routing; meanwhile a UDP
# datagram to a closed port and an ICMP echo with TTL 1 draw errors that
# quote other protocols.  On the sender's link hdp sniff --icmp -w (its
# kernel filter), hdp sniff --icmp --json live, and tcpdump (everything)
# capture side by side.  Judged:
#   - tshark on tcpdump's capture finds the errors quoting protocol 255;
#     hdp kept exactly those (none of the others), with the same ICMP type
#     and code, quoted ports and HDP timestamp (tshark shows the quoted
#     HDP header as data);
#   - tcpdump's text for each error equals hdp's first line;
#   - reading tcpdump's whole capture with --icmp (the filter offline)
#     prints exactly what reading hdp's own capture prints;
#   - the live --json output has the same errors.
. "${top_srcdir:-.}/tests/lib.sh"
. "$top_srcdir/tests/topo.sh"
need_root
need_cmd ip tcpdump tshark python3
topo_up

# wait_listening FILE: until a capture says it listens (5 s)
wait_listening() {
	i=0
	while ! grep -q listening "$1" && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
}

bg ip netns exec "$NS_S" tcpdump -Z root --immediate-mode --time-stamp-precision=nano -n -U -i s0 -w "$TMPD/all.pcap" \
	'ip or ip6' 2>"$TMPD/td.err"
TD=$BG_PID
bg ip netns exec "$NS_S" "$HDP" sniff --icmp --immediate -U -i s0 \
	-w "$TMPD/hdp.pcap" 2>"$TMPD/w.err"
HW=$BG_PID
bg ip netns exec "$NS_S" "$HDP" sniff --icmp --immediate -l -i s0 --json \
	>"$TMPD/live.json" 2>"$TMPD/j.err"
HJ=$BG_PID
wait_listening "$TMPD/td.err"
wait_listening "$TMPD/w.err"
wait_listening "$TMPD/j.err"
sleep 0.3

snd() { in_ns "$NS_S" "$HDP" send -q "$@" </dev/null >/dev/null; }
snd --data "no listener" "$D4"
snd --data "no listener" "$D6"
snd --ttl 1 --data "ttl 1" "$D4"
snd --hop-limit 1 --sport 7 --dport 9 --data "hop limit 1" "$D6"
in_ns "$NS_R2" ip rule add iif r2a ipproto 255 prohibit
in_ns "$NS_R2" ip -6 rule add iif r2a ipproto 255 prohibit
snd --dport 421 --data "prohibit" "$D4"
snd --dport 421 --data "prohibit" "$D6"
in_ns "$NS_S" bash -c "echo closed >/dev/udp/$D4/9"
in_ns "$NS_S" bash -c "echo closed >/dev/udp/$D6/9"
command -v ping >/dev/null && in_ns "$NS_S" ping -n -c 1 -W 1 -t 1 "$D4" \
	>/dev/null 2>&1
sleep 0.5
for p in $TD $HW $HJ; do kill -TERM "$p" 2>/dev/null; done
for p in $TD $HW $HJ; do wait "$p" 2>/dev/null; done


# the kernel ran the filter (libpcap warns when it falls back to user space)
check "the --icmp filter loads into the kernel" \
	sh -c "! grep -qi 'kernel filter' '$TMPD/w.err' '$TMPD/j.err'"

# the judges' view: tshark on everything, hdp on its own capture
tshark -n -r "$TMPD/all.pcap" -Y 'icmp.type == 3 or icmp.type == 11 or icmp.type == 12 or (icmpv6.type >= 1 and icmpv6.type <= 4)' \
	-T fields -E occurrence=a -E aggregator=, -e icmp.type -e icmp.code \
	-e icmpv6.type -e icmpv6.code -e ip.proto -e ipv6.nxt -e data.data \
	>"$TMPD/tshark.tsv" 2>/dev/null
"$HDP" sniff -r "$TMPD/hdp.pcap" --icmp --json >"$TMPD/hdp.json" 2>/dev/null
python3 - "$TMPD/tshark.tsv" "$TMPD/hdp.json" "$TMPD/live.json" \
	>"$TMPD/judge" <<'PY'
import json, sys
want, other = [], 0
for line in open(sys.argv[1]):
    t4, c4, t6, c6, p4, p6, data = (line.rstrip("\n").split("\t") + [""] * 7)[:7]
    protos = (p4 or p6).split(",")
    if protos[-1] != "255":
        other += 1
        continue
    b = bytes.fromhex(data.split(",")[-1])
    want.append((int(t4 or t6), int(c4 or c6), int.from_bytes(b[0:2], "big"),
                 int.from_bytes(b[2:4], "big"), int.from_bytes(b[4:12], "big")))
def hdp(path):
    got = []
    for line in open(path):
        o = json.loads(line)
        if "icmp_type" in o:
            q = o["quoted"]
            got.append((o["icmp_type"], o["icmp_code"], q["sport"], q["dport"], q["ts_ns"]))
    return got
got, live = hdp(sys.argv[2]), hdp(sys.argv[3])
print("tshark: %d errors quoting HDP, %d quoting others; hdp -w: %d; hdp live: %d"
      % (len(want), other, len(got), len(live)))
ok = want == got and want == live and len(want) == 6 and other >= 2
if not ok:
    print("tshark", want, "\nhdp", got, "\nlive", live)
sys.exit(0 if ok else 1)
PY
[ $? -eq 0 ] && ok "$(head -1 "$TMPD/judge")" ||
	fail "tshark and hdp disagree: $(cat "$TMPD/judge")"
types=$(python3 -c "import json,sys
print(' '.join('%d/%d' % (o['icmp_type'], o['icmp_code']) for o in map(json.loads, open(sys.argv[1])) if 'icmp_type' in o))" "$TMPD/hdp.json")
expect_eq "the six errors, in order" "$types" "3/2 4/1 11/0 3/0 3/13 1/1"

# tcpdump's words for each error are hdp's first line
tcpdump -n -t -r "$TMPD/hdp.pcap" 2>/dev/null | grep ICMP >"$TMPD/td.txt"
"$HDP" sniff -t -r "$TMPD/hdp.pcap" --icmp 2>/dev/null | grep ICMP \
	>"$TMPD/hdp.txt"
if cmp -s "$TMPD/td.txt" "$TMPD/hdp.txt"; then
	ok "tcpdump prints the same error lines"
else
	fail "tcpdump and hdp differ:"; diff "$TMPD/td.txt" "$TMPD/hdp.txt"
fi
expect_eq "hdp: each error followed by its quoted HDP line" \
	"$("$HDP" sniff -t -r "$TMPD/hdp.pcap" --icmp 2>/dev/null |
	   grep -c "^	IP6\? [0-9a-f:.]* > [0-9a-f:.]*: HDP ts [0-9]* latency [0-9.]* [mu]\{0,1\}s len [0-9]*$")" 6
"$HDP" sniff -t -r "$TMPD/hdp.pcap" --icmp >"$TMPD/hdp.all" 2>/dev/null
check "hop limit 1: the quoted ports" grep -q \
	"^	IP6 $S6.7 > $D6.9: HDP ts" "$TMPD/hdp.all"

# the filter offline decides as the kernel did
"$HDP" sniff -r "$TMPD/all.pcap" --icmp >"$TMPD/off.txt" 2>/dev/null
"$HDP" sniff -r "$TMPD/hdp.pcap" --icmp >"$TMPD/own.txt" 2>/dev/null
if cmp -s "$TMPD/off.txt" "$TMPD/own.txt"; then
	ok "--icmp offline on everything = the live capture"
else
	fail "--icmp offline differs from the live capture:"
	diff "$TMPD/own.txt" "$TMPD/off.txt" | head
fi
# --icmp adds to the default; with --filter (which replaces it) it is a
# usage error, said in one line
"$HDP" sniff --icmp --filter icmp -r "$TMPD/hdp.pcap" >/dev/null \
	2>"$TMPD/both.err"
expect_eq "--icmp with --filter: exit 2" "$?" 2
check "--icmp with --filter: says why" grep -q \
	"^hdp sniff: --icmp adds to the default filter; --filter replaces it" \
	"$TMPD/both.err"
# the quoted IPv6 extension header walk and VLAN tags, offline on frames
# scapy builds (the ICMP part of the expression is the one loaded live):
# errors quoting HDP behind 0-3 extension headers of every kind, tagged
# once and twice, kept; the same quoting UDP, left out
PY=/usr/bin/python3
$PY -c 'import scapy' 2>/dev/null || PY=python3
if $PY -c 'import scapy' 2>/dev/null; then
	$PY - "$TMPD/ext.pcap" >"$TMPD/ext.n" <<'PY'
import itertools, struct, sys
from scapy.all import (Ether, Dot1Q, IP, IPv6, ICMP, ICMPv6TimeExceeded,
    IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, IPv6ExtHdrDestOpt,
    IPv6ExtHdrFragment, AH, UDP, Raw, wrpcap)
hdp = struct.pack(">HHQ", 420, 421, 1765000000123456789) + b"quoted"
exts = [IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, IPv6ExtHdrDestOpt,
        IPv6ExtHdrFragment, lambda: AH(spi=1, payloadlen=4, icv=b"\0" * 12)]
e = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
o6 = IPv6(src="fd00:2::2", dst="fd00:1::2") / ICMPv6TimeExceeded()
o4 = IP(src="10.0.2.2", dst="10.0.1.2") / ICMP(type=11)
pk = []
for n in range(4):
    for chain in itertools.product(exts, repeat=n):
        if any(a is exts[4] and b is exts[4] for a, b in zip(chain, chain[1:])):
            continue        # scapy builds two AH in a row wrongly
        for last in (Raw(hdp), UDP(sport=5, dport=9) / Raw(b"udp")):
            q = IPv6(src="fd00:1::2", dst="fd00:3::2")
            for h in chain:
                q = q / h()
            q = q / last
            if isinstance(last, Raw):
                # scapy names the last header's next header from its payload:
                # raw bytes say nothing, so set 255 there
                lay = q
                while lay.payload and not isinstance(lay.payload, Raw):
                    lay = lay.payload
                lay.nh = 255
            pk.append(e / o6 / q)
q4 = IP(src="10.0.1.2", dst="10.0.3.2", proto=255) / Raw(hdp)
u4 = IP(src="10.0.1.2", dst="10.0.3.2") / UDP() / Raw(b"udp")
for q in (q4, u4):
    pk.append(e / Dot1Q(vlan=5) / o4 / q)
    pk.append(e / Dot1Q(vlan=5) / Dot1Q(vlan=6) / o4 / q)
wrpcap(sys.argv[1], pk)
print(len(pk), len(pk) // 2)
PY
	set -- $(cat "$TMPD/ext.n")
	total=$(tcpdump -n -r "$TMPD/ext.pcap" 2>/dev/null | wc -l)
	kept=$("$HDP" sniff -r "$TMPD/ext.pcap" --icmp --json 2>/dev/null |
	       grep -c '"quoted":{[^}]*"proto":255,[^}]*"sport":420,"dport":421,"ts_ns":1765000000123456789,')
	# every chain of 0-3 headers quoting HDP, then UDP; 2 tagged IPv4 each
	expect_eq "offline: scapy's frames" "$total" "${1:-}"
	[ "${1:-0}" -gt 250 ] || fail "only ${1:-0} frames made"
	expect_eq "offline: kept every error quoting HDP (0-3 ext headers, VLAN)" \
		"$kept" "${2:-}"
	expect_eq "offline: and nothing else" "$("$HDP" sniff --count -r \
		"$TMPD/ext.pcap" --icmp 2>&1 | sed -n 's/ packets\{0,1\} captured//p')" "${2:-}"
else
	echo "no scapy: the offline walk not checked"
fi
# and without --icmp the default filter keeps HDP only
expect_eq "without --icmp: no ICMP" \
	"$("$HDP" sniff -r "$TMPD/all.pcap" 2>/dev/null | grep -c ICMP)" 0
finish
