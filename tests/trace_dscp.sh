#!/bin/sh
# trace_dscp.sh: R1 rewrites DSCP.  Rewritten as packets come in, the
# change shows in R1's own quote: hdp trace reports it at hop 1; rewritten
# on the way out, it shows first in R2's quote (hop 2), as tracebox would
# say.  hdp where puts the change between R1's two sides.
. "$top_srcdir/tests/trace_lib.sh"
path_up

ip netns exec "$NS_R1" nft -f - <<NFT || fatal "nft on R1"
table ip hdptest {
	chain prerouting {
		type filter hook prerouting priority mangle;
		iifname "r1a" ip dscp set af11
	}
}
NFT
in_ns "$NS_S" "$HDP" trace --json -m 8 -w 1 "$D4" >"$TMPD/tr.json"
expect_eq "trace exits 0" "$?" 0
expect_eq "HDP reaches" "$(jq_py "$TMPD/tr.json" 'one(type="summary",proto="hdp")["reached"]')" True
expect_eq "hop 1 rewrote DSCP 0 -> 10 (af11)" \
	"$(jq_py "$TMPD/tr.json" '[(c["field"], c["sent"], c["seen"]) for c in one(type="hop",proto="hdp",ttl=1)["changes"]]')" \
	"[('dscp', 0, 10)]"
expect_eq "not reported again at hop 2" \
	"$(jq_py "$TMPD/tr.json" 'one(type="hop",proto="hdp",ttl=2)["changes"]')" "[]"
in_ns "$NS_S" "$HDP" trace -m 5 -w 0.5 "$D4" >"$TMPD/tr.txt"
cat "$TMPD/tr.txt"
grep -q "HDP dscp changed: 0 -> 10 (first seen in the quote from hop 1)" \
	"$TMPD/tr.txt" || fail "text names the change at hop 1"

capture_path "$NS_R1" r1a r1b d0 r1
send_hdp "$NS_S" "$S4" "$D4" 10
topo_capture_stop
expect_eq "tcpdump: HDP leaves R1 with tos 0x28" \
	"$(tcpdump -n -r "$TMPD/r1-out.pcap" 'ip proto 255 and ip[1] == 0x28' 2>/dev/null | wc -l)" 10
where_path --json >"$TMPD/w.json"
expect_eq "where exits 0" "$?" 0
expect_eq "where segments" "$(where_segments "$TMPD/w.json")" \
	"0>1:10/10 1>2:10/10 2>3:10/10"
expect_eq "tos change inside R1" \
	"$(jq_py "$TMPD/w.json" '[(c["old"], c["new"], c["packets"]) for c in one(type="segment",**{"from":1})["changes"] if c["field"] == "tos"]')" \
	"[('0', '40', 10)]"

# rewritten on the way out instead: R2 is the first to quote it
ip netns exec "$NS_R1" nft flush ruleset
ip netns exec "$NS_R1" nft -f - <<NFT || fatal "nft on R1"
table ip hdptest {
	chain postrouting {
		type filter hook postrouting priority mangle;
		oifname "r1b" ip dscp set cs1
	}
}
NFT
in_ns "$NS_S" "$HDP" trace --json -m 8 -w 1 "$D4" >"$TMPD/tr2.json"
expect_eq "egress rewrite: nothing at hop 1" \
	"$(jq_py "$TMPD/tr2.json" 'one(type="hop",proto="hdp",ttl=1)["changes"]')" "[]"
expect_eq "egress rewrite: first seen at hop 2" \
	"$(jq_py "$TMPD/tr2.json" '[(c["field"], c["sent"], c["seen"]) for c in one(type="hop",proto="hdp",ttl=2)["changes"]]')" \
	"[('dscp', 0, 8)]"
finish
