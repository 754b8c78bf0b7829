#!/bin/sh
# trace_ipv6.sh: the original author's last finding.  R1 does to IPv4 what
# the NAT gateway did (masquerade, and only a flow's first HDP packet
# through) while IPv6 crosses it untouched: hdp trace -6 must see HDP
# reach the receiver next to UDP, TCP and ICMPv6, and hdp where, given
# IPv6 captures from the sender, both sides of R1 and the receiver, must
# lose nothing.
. "$top_srcdir/tests/trace_lib.sh"
path_up

ip netns exec "$NS_R1" nft -f - <<NFT || fatal "nft on R1"
table ip hdptest {
	chain postrouting {
		type nat hook postrouting priority srcnat;
		oifname "r1b" masquerade
	}
	chain forward {
		type filter hook forward priority 0;
		meta l4proto 255 ct status confirmed drop
	}
}
NFT

in_ns "$NS_S" "$HDP" trace -6 --json -m 30 -w 1 "$D6" >"$TMPD/tr6.json"
expect_eq "trace -6 exits 0" "$?" 0
for p in hdp udp tcp icmp; do
	expect_eq "$p reaches over IPv6" "$(jq_py "$TMPD/tr6.json" "one(type='summary',proto='$p')['reached']")" True
	expect_eq "$p: receiver at hop 3" "$(jq_py "$TMPD/tr6.json" "(one(type='summary',proto='$p')['last_ttl'], one(type='summary',proto='$p')['last_responder'])")" "(3, '$D6')"
done
expect_eq "HDP's answer from the receiver is its own" \
	"$(jq_py "$TMPD/tr6.json" 'one(type="hop",proto="hdp",ttl=3)["reply"]')" proto-unreachable
expect_eq "routers answer HDP over IPv6" \
	"$(jq_py "$TMPD/tr6.json" '[h["responder"] for h in sel(type="hop",proto="hdp") if h["ttl"] < 3]')" \
	"['$R1A6', '$R2A6']"
expect_eq "no changes on the IPv6 path" \
	"$(jq_py "$TMPD/tr6.json" 'sum(len(h["changes"]) for h in sel(type="hop"))')" 0
in_ns "$NS_S" "$HDP" trace -6 -m 5 -w 0.5 "$D6" >"$TMPD/tr6.txt"
cat "$TMPD/tr6.txt"
grep -q "^all of HDP, UDP, TCP and ICMP reach $D6 (hop 3)$" "$TMPD/tr6.txt" ||
	fail "IPv6 verdict line"
# and over IPv4 the same HDP vanishes at R1
in_ns "$NS_S" "$HDP" trace --json -m 6 -w 0.5 "$D4" >"$TMPD/tr4.json"
expect_eq "IPv4 HDP does not reach" "$(jq_py "$TMPD/tr4.json" 'one(type="summary",proto="hdp")["reached"]')" False

capture_path "$NS_R1" r1a r1b any r1
send_hdp "$NS_S" "$S6" "$D6" 20
topo_capture_stop
expect_eq "tcpdump: 20 HDP over IPv6 at the receiver" "$(count_hdp "$TMPD/receiver.pcap")" 20
where_path --json >"$TMPD/w.json"
expect_eq "where exits 0" "$?" 0
expect_eq "where segments" "$(where_segments "$TMPD/w.json")" \
	"0>1:20/20 1>2:20/20 2>3:20/20"
expect_eq "only the hop limit changes" \
	"$(jq_py "$TMPD/w.json" 'sorted(set(c["field"] for p in sel(type="packet") for c in p["changes"]))')" \
	"['ttl']"
finish
