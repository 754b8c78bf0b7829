#!/bin/sh
# trace_ratelimit_nat.sh: R1 masquerades (no filter at all) while the
# routers and the receiver keep the kernel's default ICMP rate limits:
# hdp trace must never call the NAT a filter (stateful or not), back to
# back and 2 s apart, and say every protocol reaches the receiver.
. "$top_srcdir/tests/trace_lib.sh"
path_up default

ip netns exec "$NS_R1" nft -f - <<NFT || fatal "nft on R1"
table ip hdptest {
	chain postrouting {
		type nat hook postrouting priority srcnat;
		oifname "r1b" masquerade
	}
}
NFT

all="^all of HDP, UDP, TCP and ICMP reach $D4 \\(hop 3\\)$"
trace_runs "NAT, back to back" 3 0 "$all" "$D4" -w 1
for i in 1 2; do
	sleep 2
	trace_runs "NAT, 2 s later ($i)" 1 0 "$all" "$D4" -w 1
done
in_ns "$NS_S" "$HDP" trace --json -w 1 "$D4" >"$TMPD/tr.json"
expect_eq "JSON: no protocol stateful" \
	"$(jq_py "$TMPD/tr.json" '[s["stateful"] for s in sel(type="summary")]')" \
	"[False, False, False, False]"
expect_eq "JSON: every verdict reached" \
	"$(jq_py "$TMPD/tr.json" 'sorted(set(s["verdict"] for s in sel(type="summary")))')" \
	"['reached']"
finish
