#!/bin/sh
# trace_r2drop.sh: R2 drops IP protocol 255 in its forward chain.  hdp
# trace must name R2 as the last hop HDP reaches while UDP, TCP and ICMP
# reach the receiver, in well under one wait per TTL (the loss is decided
# on evidence, after a pause of a second at the routers); hdp where, given
# captures from the sender, both sides of R2 and the receiver, must put
# the loss inside R2.
. "$top_srcdir/tests/trace_lib.sh"
path_up

drop_hdp_at "$NS_R2"

# --- trace, 30 hops, one second of wait ---------------------------------
t0=$(date +%s%N)
in_ns "$NS_S" "$HDP" trace --json -m 30 -w 1 "$D4" >"$TMPD/tr.json"
rc=$?
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
echo "30-hop trace took $ms ms (wait 1 s)"
expect_eq "trace exits 1 (HDP did not reach)" "$rc" 1
expect_eq "HDP not reached" "$(jq_py "$TMPD/tr.json" 'one(type="summary",proto="hdp")["reached"]')" False
expect_eq "HDP last hop is ttl 2" "$(jq_py "$TMPD/tr.json" 'one(type="summary",proto="hdp")["last_ttl"]')" 2
expect_eq "HDP last responder is R2" "$(jq_py "$TMPD/tr.json" 'one(type="summary",proto="hdp")["last_responder"]')" "$R2A4"
for p in udp tcp icmp; do
	expect_eq "$p reaches the receiver" "$(jq_py "$TMPD/tr.json" "one(type='summary',proto='$p')['reached']")" True
	expect_eq "$p last responder is the receiver" "$(jq_py "$TMPD/tr.json" "one(type='summary',proto='$p')['last_responder']")" "$D4"
	expect_eq "$p reaches at ttl 3" "$(jq_py "$TMPD/tr.json" "one(type='summary',proto='$p')['last_ttl']")" 3
done
expect_eq "hop 1 answers HDP" "$(jq_py "$TMPD/tr.json" 'one(type="hop",proto="hdp",ttl=1)["responder"]')" "$R1A4"
expect_eq "hop 3 silent for HDP" "$(jq_py "$TMPD/tr.json" 'one(type="hop",proto="hdp",ttl=3)["responder"]')" None
# decided on evidence: about a second, not one wait per TTL
[ "$ms" -lt 2500 ] || fail "30-hop trace took $ms ms"
# the rule on R2 really dropped the probes that went past it
drops=$(ip netns exec "$NS_R2" nft list chain inet hdptest forward |
	sed -n 's/.*packets \([0-9]*\).*/\1/p')
[ "${drops:-0}" -ge 2 ] || fail "R2's drop rule counted ${drops:-0} packets"

# --- the human verdict ---------------------------------------------------
in_ns "$NS_S" "$HDP" trace -m 6 -w 0.5 "$D4" >"$TMPD/tr.txt"
cat "$TMPD/tr.txt"
grep -q "HDP vanishes after hop 2 ($R2A4); UDP, TCP and ICMP reach $D4" \
	"$TMPD/tr.txt" || fail "trace verdict line"

# --- where: sender, R2 in, R2 out, receiver ------------------------------
capture_path "$NS_R2" r2a r2b any r2
send_hdp "$NS_S" "$S4" "$D4" 25
topo_capture_stop
expect_eq "tcpdump: 25 HDP at the sender" "$(count_hdp "$TMPD/sender.pcap")" 25
expect_eq "tcpdump: 25 HDP entering R2" "$(count_hdp "$TMPD/r2-in.pcap")" 25
expect_eq "tcpdump: none leaving R2" "$(count_hdp "$TMPD/r2-out.pcap")" 0

where_path --json >"$TMPD/w.json"
expect_eq "where exits 1" "$?" 1
expect_eq "where segments" "$(where_segments "$TMPD/w.json")" \
	"0>1:25/25 1>2:25/0 2>3:0/0"
expect_eq "every packet last seen entering R2" \
	"$(jq_py "$TMPD/w.json" 'sorted(set((p["last_seen"], p["first_missing"]) for p in sel(type="packet")))')" \
	"[(1, 2)]"
where_path >"$TMPD/w.txt"
tail -1 "$TMPD/w.txt"
grep -q "^25 sent, 25 at r2-in, 0 at r2-out, 0 at receiver: 25 vanished inside r2$" \
	"$TMPD/w.txt" || fail "where summary line"
finish
