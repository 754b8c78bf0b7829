#!/bin/sh
# sniff_ext6.sh: HDP behind IPv6 extension headers.  Offline, hdp sniff's
# default filter walks them as tcpdump's "ip6 protochain 255" does (tcpdump
# is the judge).  Live, where Linux refuses protochain's loop, the kernel
# runs hdp's unrolled walk: every chain of up to three headers (hop-by-hop,
# routing, destination options, fragment, AH) is captured, no
# "Kernel filter failed" warning, nothing that is not HDP.  The frames are
# made by scapy and put on a veth pair in this test's namespaces by
# tcpreplay.
. "$top_srcdir/tests/lib.sh"
need_root
need_cmd ip tcpdump tcpreplay
need_scapy

# Each frame's HDP payload is its chain's name.  ah-dst needs AH's length
# field right (payloadlen 1: 12 bytes); four-* is one header too deep for
# the live walk.
$PY - "$TMPD/chains.pcap" <<'PYEOF' 2>/dev/null || fatal "scapy"
import struct, sys
from scapy.all import (Ether, IPv6, IPv6ExtHdrHopByHop as H,
    IPv6ExtHdrFragment as F, IPv6ExtHdrDestOpt as D,
    IPv6ExtHdrRouting as R, UDP, Raw, wrpcap)
from scapy.layers.ipsec import AH
chains = [("plain", []), ("hbh", [H]), ("frag", [F]), ("dst", [D]),
          ("rt", [R]), ("ah", [AH]), ("hbh-frag", [H, F]),
          ("rt-dst", [R, D]), ("ah-dst", [AH, D]), ("dst-ah", [D, AH]),
          ("ah-frag", [AH, F]), ("hbh-dst-frag", [H, D, F]),
          ("hbh-rt-ah", [H, R, AH]), ("frag-frag-frag", [F, F, F]),
          ("four-hbh-dst-rt-frag", [H, D, R, F])]
code = {H: 0, R: 43, F: 44, D: 60, AH: 51}
pkts = []
for name, ch in chains:
    nhs = [code[h] for h in ch] + [255]
    p = IPv6(src="fd00:e6::1", dst="fd00:e6::2", nh=nhs[0])
    for i, h in enumerate(ch):
        p = p / (h(nh=nhs[i + 1], payloadlen=1, spi=1, seq=1) if h is AH
                 else h(nh=nhs[i + 1]))
    hdp = struct.pack("!HHQ", 420, 420, 1795400000000000000) + name.encode()
    pkts.append(Ether(src="02:00:00:00:e6:01", dst="02:00:00:00:e6:02") /
                p / Raw(hdp))
# UDP behind the same headers is not HDP
pkts.append(Ether(src="02:00:00:00:e6:01", dst="02:00:00:00:e6:02") /
            IPv6(src="fd00:e6::1", dst="fd00:e6::2") / H() / F() /
            UDP(sport=420, dport=420) / Raw(b"udp-not-hdp"))
wrpcap(sys.argv[1], pkts)
PYEOF

# names FILE: the chain names of the HDP packets in a --json output
names() {
	$PY -c '
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    print(bytes.fromhex(o["payload_hex"]).decode())
' "$1" | LC_ALL=C sort
}
all="ah ah-dst ah-frag dst dst-ah four-hbh-dst-rt-frag frag frag-frag-frag hbh hbh-dst-frag hbh-frag hbh-rt-ah plain rt rt-dst"
live=$(echo "$all" | tr ' ' '\n' | grep -v '^four-' | tr '\n' ' ' | sed 's/ $//')
nlive=$(echo "$live" | wc -w)

# offline: the default filter is tcpdump's protochain, at every depth
"$HDP" sniff -r "$TMPD/chains.pcap" --json >"$TMPD/off.json" 2>/dev/null
expect_eq "offline: every chain, at any depth" \
	"$(names "$TMPD/off.json" | tr '\n' ' ' | sed 's/ $//')" "$all"
expect_eq "offline: as many as tcpdump's protochain" \
	"$(wc -l <"$TMPD/off.json")" \
	"$(tcpdump -nr "$TMPD/chains.pcap" 'ip6 protochain 255' 2>/dev/null | wc -l)"

# live, on a veth pair in namespaces of our own
A=$(netns_add a)
B=$(netns_add b)
VA="e6a$$"
VB="e6b$$"
veth_pair "$A" "$VA" 10.126.0.1/24 "$B" "$VB" 10.126.0.2/24

for ifc in "$VB" any; do
	rm -f "$TMPD/live.json" "$TMPD/live.err"
	ip netns exec "$B" "$HDP" sniff -i "$ifc" --json -Z root \
		>"$TMPD/live.json" 2>"$TMPD/live.err" &
	SP=$!
	_PIDS="$_PIDS $SP"
	wait_for_file "$TMPD/live.err" 50
	sleep 0.3
	ip netns exec "$A" tcpreplay -q -i "$VA" "$TMPD/chains.pcap" \
		>/dev/null 2>&1 || fail "tcpreplay"
	# until every frame it should see is printed (10 s), and a moment
	# for any it should not
	i=0
	while [ "$(wc -l <"$TMPD/live.json")" -lt "$nlive" ] &&
	      [ "$i" -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	sleep 0.5
	kill -INT "$SP"
	wait "$SP"
	expect_eq "live -i $ifc: exit 0" "$?" 0
	expect_eq "live -i $ifc: every chain of up to three headers, no more" \
		"$(names "$TMPD/live.json" | tr '\n' ' ' | sed 's/ $//')" "$live"
	if grep -q "Kernel filter failed" "$TMPD/live.err"; then
		fail "live -i $ifc: the kernel refused the filter: $(cat "$TMPD/live.err")"
	else
		ok "live -i $ifc: the kernel runs the filter"
	fi
done
finish
