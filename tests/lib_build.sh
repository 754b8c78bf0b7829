#!/bin/sh
# libhdp's build-into-buffer API (hdp_build_packet), judged by tools that
# share no code with it: examples/hdp_build builds an IPv4, an IPv6 and an
# IPv4-over-UDP packet with the options below, decodes each back itself,
# prints it with hdp_print_frame_buf and writes the packets to a pcap.
# tshark (with dissect/hdp.lua) and scapy must read the same IP, UDP and
# HDP fields, with good IPv4 and UDP checksums; hdp sniff --json must
# print what hdp_print_frame_buf printed.
#
# The expected values are the example's inputs (examples/hdp_build.c,
# opts_of): i = 0, 1, 2; ports 1000 + i > 4321; ts 1700000000123456789
# + i; TTL 7 + i; TOS 0x10; IPv4 id 0x1234 with DF; IPv6 flow label
# 0x12345; payload "hello, hdp"; 192.0.2.1 > 192.0.2.2, 2001:db8::1 >
# 2001:db8::2.
. "$top_srcdir/tests/lib.sh"
need_cmd tshark
need_scapy

EX="$top_builddir/examples/hdp_build"
[ -x "$EX" ] || fatal "$EX not built"
"$EX" "$TMPD/b.pcap" > "$TMPD/b.json" 2> "$TMPD/err" ||
	fail "hdp_build: $(cat "$TMPD/err")"
expect_eq "three packets printed" "$(wc -l < "$TMPD/b.json")" 3
"$HDP" sniff -r "$TMPD/b.pcap" --json --filter '' 2>/dev/null > "$TMPD/sniff.json"
check "hdp_print_frame_buf prints what hdp sniff --json prints" \
	cmp -s "$TMPD/sniff.json" "$TMPD/b.json"

# tshark: IPv4 and IPv6 headers, checksums (1: good), HDP by the Lua
# dissector, the UDP mode's HDP header as data
tshark -r "$TMPD/b.pcap" -X lua_script:"$top_srcdir/dissect/hdp.lua" \
	-o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -T fields \
	-E separator=, -e ip.src -e ip.dst -e ip.ttl -e ip.dsfield -e ip.id \
	-e ip.flags.df -e ip.proto -e ip.len -e ip.checksum.status \
	-e ipv6.src -e ipv6.dst -e ipv6.hlim -e ipv6.tclass -e ipv6.flow \
	-e ipv6.nxt -e ipv6.plen -e udp.srcport -e udp.dstport -e udp.length \
	-e udp.checksum.status -e hdp.srcport -e hdp.dstport -e hdp.ts_ns \
	-e hdp.payload -e data.data > "$TMPD/tshark" 2> "$TMPD/tshark.err" ||
	fatal "tshark: $(cat "$TMPD/tshark.err")"
cat > "$TMPD/want" <<'T'
192.0.2.1,192.0.2.2,7,0x10,0x1234,1,255,42,1,,,,,,,,,,,,1000,4321,1700000000123456789,68656c6c6f2c20686470,
,,,,,,,,,2001:db8::1,2001:db8::2,8,0x00000010,0x012345,255,22,,,,,1001,4321,1700000000123456790,68656c6c6f2c20686470,
192.0.2.1,192.0.2.2,9,0x10,0x1234,1,17,50,1,,,,,,,,1002,4321,30,1,,,,,03ea10e117979cfe3d85cd1768656c6c6f2c20686470
T
if cmp -s "$TMPD/want" "$TMPD/tshark"; then
	ok "tshark reads the fields the packets were built with"
else
	fail "tshark disagrees (want, then got):"; cat "$TMPD/want" "$TMPD/tshark" >&2
fi

# scapy: the same fields, checksums recomputed by scapy itself
if $PY - "$TMPD/b.pcap" <<'PY'

import struct, sys
from scapy.all import rdpcap, raw, IP, IPv6, UDP

pk = rdpcap(sys.argv[1])
assert len(pk) == 3, f"{len(pk)} packets"
bad = []
def want(i, what, got, exp):
    if got != exp:
        bad.append(f"packet {i}: {what}: {got!r}, built with {exp!r}")

for i, p in enumerate(pk):
    ip = p[IPv6] if IPv6 in p else p[IP]
    if i == 1:
        want(i, "version", ip.version, 6)
        want(i, "src", ip.src, "2001:db8::1")
        want(i, "dst", ip.dst, "2001:db8::2")
        want(i, "hlim", ip.hlim, 8)
        want(i, "tc", ip.tc, 0x10)
        want(i, "fl", ip.fl, 0x12345)
        want(i, "nh", ip.nh, 255)
        want(i, "plen", ip.plen, len(ip.payload))
    else:
        want(i, "src", ip.src, "192.0.2.1")
        want(i, "dst", ip.dst, "192.0.2.2")
        want(i, "ttl", ip.ttl, 7 + i)
        want(i, "tos", ip.tos, 0x10)
        want(i, "id", ip.id, 0x1234)
        want(i, "DF", bool(ip.flags.DF), True)
        want(i, "proto", ip.proto, 17 if i == 2 else 255)
        want(i, "len", ip.len, len(raw(ip)))
        fresh = ip.copy(); del fresh.chksum
        want(i, "IPv4 checksum", ip.chksum, IP(raw(fresh)).chksum)
    l4 = raw(ip.payload)
    if i == 2:
        u = ip[UDP]
        want(i, "udp sport", u.sport, 1002)
        want(i, "udp dport", u.dport, 4321)
        want(i, "udp len", u.len, len(l4))
        fresh = ip.copy(); del fresh[UDP].chksum
        want(i, "UDP checksum", u.chksum, IP(raw(fresh))[UDP].chksum)
        l4 = l4[8:]
    sport, dport, ts = struct.unpack("!HHQ", l4[:12])
    want(i, "hdp sport", sport, 1000 + i)
    want(i, "hdp dport", dport, 4321)
    want(i, "hdp ts", ts, 1700000000123456789 + i)
    want(i, "payload", l4[12:], b"hello, hdp")
for b in bad:
    print(b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
then ok "scapy reads the fields and checksums the packets were built with"
else fail "scapy disagrees"; fi

finish
