#!/bin/sh
# trace_nat.sh: R1 masquerades (nftables NAT).  HDP crosses it with its
# source rewritten: hdp trace reaches the receiver and, with a capture in
# the receiver's namespace (--rx-netns), reports the translated source;
# hdp where, given captures from the sender, both sides of R1 and the
# receiver, reports the rewrite between R1's two sides and loses nothing.
. "$top_srcdir/tests/trace_lib.sh"
path_up

ip netns exec "$NS_R1" nft -f - <<NFT || fatal "nft on R1"
table ip hdptest {
	chain postrouting {
		type nat hook postrouting priority srcnat;
		oifname "r1b" masquerade
	}
}
NFT

in_ns "$NS_S" "$HDP" trace --json -m 10 -w 1 --rx-netns "$NS_D" "$D4" \
	>"$TMPD/tr.json"
expect_eq "trace exits 0" "$?" 0
for p in hdp udp tcp icmp; do
	expect_eq "$p reaches" "$(jq_py "$TMPD/tr.json" "one(type='summary',proto='$p')['reached']")" True
done
expect_eq "HDP arrived" "$(jq_py "$TMPD/tr.json" 'one(type="summary",proto="hdp")["arrived"]')" True
expect_eq "HDP arrived with its source translated" \
	"$(jq_py "$TMPD/tr.json" '[(c["sent"], c["seen"]) for c in one(type="summary",proto="hdp")["arrival_changes"] if c["field"] == "src"]')" \
	"[('$S4', '$R1B4')]"
in_ns "$NS_S" "$HDP" trace -m 6 -w 0.5 --rx-netns "$NS_D" "$D4" \
	>"$TMPD/tr.txt"
cat "$TMPD/tr.txt"
grep -q "^HDP arrived at $D4 .*src $S4 -> $R1B4 (source address translated)" \
	"$TMPD/tr.txt" || fail "trace reports the translated source"

capture_path "$NS_R1" r1a r1b d0 r1
send_hdp "$NS_S" "$S4" "$D4" 20
topo_capture_stop
# tcpdump, the independent judge: the source really changed at R1
expect_eq "tcpdump: 20 HDP from the sender leave R1 translated" \
	"$(tcpdump -n -r "$TMPD/r1-out.pcap" "ip proto 255 and src host $R1B4" 2>/dev/null | wc -l)" 20

where_path --json >"$TMPD/w.json"
expect_eq "where exits 0" "$?" 0
expect_eq "where segments" "$(where_segments "$TMPD/w.json")" \
	"0>1:20/20 1>2:20/20 2>3:20/20"
expect_eq "every packet seen everywhere" \
	"$(jq_py "$TMPD/w.json" 'sorted(set(str(p["seen"]) + str(p["first_missing"]) for p in sel(type="packet")))')" \
	"['[True, True, True, True]None']"
expect_eq "source rewrite between R1's sides, on every packet" \
	"$(jq_py "$TMPD/w.json" 'sorted(set((c["from"], c["to"], c["old"], c["new"]) for p in sel(type="packet") for c in p["changes"] if c["field"] == "src"))')" \
	"[(1, 2, '$S4', '$R1B4')]"
where_path >"$TMPD/w.txt"
cat "$TMPD/w.txt"
grep -q "^    src $S4 -> $R1B4: 20 packets$" "$TMPD/w.txt" ||
	fail "where summary names the rewrite"
grep -q "^20 sent, 20 at r1-in, 20 at r1-out, 20 at receiver: none vanished$" \
	"$TMPD/w.txt" || fail "where summary line"
finish
