#!/bin/sh
# qa_decoder.sh: decoder cases found by QA with captures the corpus lacks,
# judged by what tcpdump and tshark make of the same bytes.
#  - an IP version that disagrees with the link layer (ethertype 0x0800
#    with version 5, LINKTYPE_IPV4 holding IPv6) is malformed, not IPv4;
#  - a first fragment carrying 8 of the 12 HDP header bytes, Ethernet
#    padding after it, is "split across fragments" (malformed), not a
#    snaplen cut, in hdp and in dissect/hdp.lua;
#  - dissect/hdp.lua's base64 hint follows section 13 (hdp_looks_base64).
. "$top_srcdir/tests/lib.sh"
need_cmd python3

python3 - "$TMPD" <<'PY'
import struct, sys
d = sys.argv[1]
TS = 1795435199999987655
hdp = struct.pack(">HHQ", 420, 420, TS)

def csum(b):
    s = sum(struct.unpack(">%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return struct.pack(">H", ~s & 0xffff)

def ip4(payload, ver=4, frag=0, ident=1):
    h = struct.pack(">BBHHHBB2s4s4s", ver << 4 | 5, 0, 20 + len(payload),
                    ident, frag, 64, 255, b"\0\0", bytes([10, 1, 2, 3]),
                    bytes([10, 4, 5, 6]))
    return h[:10] + csum(h) + h[12:] + payload

def ip6(payload, nh=255):
    return (struct.pack(">IHBB", 6 << 28, len(payload), nh, 64) +
            bytes(15) + b"\1" + bytes(15) + b"\2" + payload)

ETH = b"\2\0\0\0\0\2\2\0\0\0\0\1"

def pcap(name, lt, frames):
    with open(d + "/" + name, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b23c4d, 2, 4, 0, 0, 65535, lt))
        for i, b in enumerate(frames):
            f.write(struct.pack("<IIII", 1795435200, i, len(b), len(b)) + b)

pcap("ver.pcap", 1, [ETH + b"\x08\x00" + ip4(hdp + b"hi", ver=5),
                     ETH + b"\x86\xdd" + ip4(hdp + b"hi")])
pcap("v6on228.pcap", 228, [ip6(hdp + b"hi")])
first = ETH + b"\x08\x00" + ip4(hdp[:8], frag=0x2000, ident=78)
first += b"\xee" * (60 - len(first))		# Ethernet padding
frag6 = struct.pack(">BBHI", 255, 0, 1, 5)	# offset 0, M set
pcap("split.pcap", 1, [first, ETH + b"\x86\xdd" + ip6(frag6 + hdp[:8], nh=44)])
pcap("b64.pcap", 101, [ip4(hdp + b"aGVsbG8="), ip4(hdp + b"abcde"),
                       ip4(hdp + b"ab=c")])
PY
[ -s "$TMPD/b64.pcap" ] || fatal "could not write the test captures"

for f in ver v6on228; do
	"$HDP" sniff -r "$TMPD/$f.pcap" --filter '' --json >"$TMPD/$f.json" \
		2>/dev/null || fail "$f: hdp sniff failed"
	n=$(grep -c '"status":"malformed".*"error":"bad ip version' \
		"$TMPD/$f.json")
	expect_eq "$f: every frame is a bad ip version" "$n" \
		"$(wc -l <"$TMPD/$f.json" | tr -d ' ')"
	grep -q '"sport":420' "$TMPD/$f.json" &&
		fail "$f: an HDP header decoded from a wrong-version datagram"
done

"$HDP" sniff -r "$TMPD/split.pcap" --filter '' --json >"$TMPD/split.json" \
	2>/dev/null || fail "split: hdp sniff failed"
expect_eq "split: both first fragments are split headers" \
	"$(grep -c '"sport":null.*"status":"malformed","truncated":false,"error":"hdp header split across fragments: 8 of 12' "$TMPD/split.json")" 2

if command -v tshark >/dev/null 2>&1; then
	LUA="$top_srcdir/dissect/hdp.lua"
	tshark -X lua_script:"$LUA" -o ip.defragment:FALSE \
		-o ipv6.defragment:FALSE -n -r "$TMPD/split.pcap" \
		>"$TMPD/split.ts" 2>&1
	expect_eq "split: hdp.lua says split too" \
		"$(grep -c 'split across fragments: 8 of 12' "$TMPD/split.ts")" 2
	tshark -X lua_script:"$LUA" -n -r "$TMPD/b64.pcap" -T fields \
		-e frame.number -e _ws.expert.message -E occurrence=a \
		>"$TMPD/b64.ts" 2>&1
	expect_eq "hdp.lua: base64 hint on frame 1 only" \
		"$(grep -i base64 "$TMPD/b64.ts" | cut -f1 | tr '\n' ' ')" "1 "
	grep -q "Lua Error" "$TMPD/split.ts" "$TMPD/b64.ts" &&
		fail "Lua error: $(grep -h "Lua Error" "$TMPD"/*.ts | head -1)"
fi
finish
