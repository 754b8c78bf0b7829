#!/bin/sh
# survey_nat.sh: a target behind a NAT.  R2 forwards everything sent to
# its address 10.0.2.2 to the receiver (nft dnat); the receiver drops
# protocol 253 on input.  The answers come back from the address probed
# (the NAT translates them and their quotes): HDP, 254 and the baselines
# work, 253 is broken, with the walk's last responder R2 (whose own stack
# would have answered 253: so the answers that count came from behind
# it).  R1 drops every other probe of 254 (nft numgen): 254 is transient,
# in 1 or 2 of 3.  Kernel default ICMP rate limits.  Then the receiver
# down: the NAT's host unreachables (from the address probed) are no
# arrival: offline.
. "$top_srcdir/tests/trace_lib.sh"
path_up default

ip netns exec "$NS_R2" nft -f - <<NFT || fatal "nft in R2"
table ip svnat {
	chain pre {
		type nat hook prerouting priority dstnat;
		ip daddr $R2A4 dnat to $D4
	}
}
NFT
ip netns exec "$NS_D" nft -f - <<NFT || fatal "nft in the receiver"
table inet svdrop {
	chain in {
		type filter hook input priority 0;
		meta l4proto 253 counter drop
	}
}
NFT
ip netns exec "$NS_R1" nft -f - <<NFT || fatal "nft in R1"
table inet svhalf {
	chain half {
		type filter hook forward priority 0;
		meta l4proto 254 numgen inc mod 2 == 0 counter drop
	}
}
NFT
in_ns "$NS_S" "$HDP" survey "$R2A4" -w 1 -o "$TMPD/out.json" -q
expect_eq "survey exits 0" "$?" 0
J="$TMPD/out.json"
cat "$J"
res() {
	jq_py "$J" "one(type='result',target='$R2A4',proto='$1')['$2']"
}
for p in hdp udp tcp icmp; do
	expect_eq "$p through the NAT works" "$(res $p category)" works
done
expect_eq "hdp: protocol unreachable from the address probed" "$(res hdp evidence)" proto_unreach
expect_eq "253 (dropped behind the NAT) broken" "$(res 253 category)" broken
expect_eq "253: the walk used 253" "$(res 253 walk_proto)" 253
expect_eq "253: last responder the NAT" "$(res 253 last_responder)" "$R2A4"
expect_eq "253: last hop 2" "$(res 253 last_hop)" 2
# 1 of 3; 2 when a miss was taken for the receiver's ICMP budget
# running out (topo_up's warm-up spends it) and sent again
t=$(res 254 category)/$(res 254 arrived)/$(res 254 sent)
case $t in transient/1/3|transient/2/3) ok "254 transient ($t)";;
*) fail "254 (every other dropped): $t, want transient";; esac
expect_eq "254: no walk" "$(res 254 last_hop)" None
drops=$(ip netns exec "$NS_D" nft list chain inet svdrop in |
	sed -n 's/.*packets \([0-9]*\).*/\1/p')
[ "${drops:-0}" -ge 3 ] || fail "the receiver's rule dropped ${drops:-0} probes of 253"

# --- the host behind the NAT down: offline, whatever the NAT says -------
# R2 answers every probe (its neighbour lookup fails) with a host
# unreachable from the address probed, the quote restored: no arrival
in_ns "$NS_D" ip link set d0 down
in_ns "$NS_S" "$HDP" survey "$R2A4" --repeat 1 -w 5 --no-trace -q \
	-o "$TMPD/down.json"
expect_eq "host behind the NAT down: survey exits 0" "$?" 0
cat "$TMPD/down.json"
expect_eq "host behind the NAT down: every kind offline" \
	"$(jq_py "$TMPD/down.json" "sorted(set(o['category'] for o in sel(type='result')))")" \
	"['offline']"
finish
