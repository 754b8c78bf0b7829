#!/bin/sh
# hdp ping through a router namespace whose nftables forward chain drops
# HDP: first a random tenth of the probes towards the responder
# (numgen random mod 10 0 drop), then all HDP.  Judged: the HDP loss
# reported is close to 10% (1000 probes: 6-14%, more than 4 standard
# deviations either side) and equals exactly what the rule's counter
# dropped; UDP on the same path stays whole; with all HDP dropped the HDP
# column loses everything while UDP and TCP lose nothing; with every HDP
# reply duplicated by the router (nft dup), each probe counts once as
# received and once as a duplicate.
. "${top_srcdir:-.}/tests/lib.sh"
need_root
need_cmd ip nft

A=$(netns_add a)
R=$(netns_add r)
B=$(netns_add b)
veth_pair "$A" va 198.51.100.1/24 "$R" ra 198.51.100.254/24
veth_pair "$R" rb 203.0.113.254/24 "$B" vb 203.0.113.2/24
ip -n "$A" route add default via 198.51.100.254
ip -n "$B" route add default via 203.0.113.254
ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1

bg ip netns exec "$B" "$HDP" listen --echo --echo-udp 420 -t 50 \
	>"$TMPD/listen.out" 2>"$TMPD/listen.err"
i=0
while ! grep -q listening "$TMPD/listen.err" && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done

ip netns exec "$R" nft -f - <<'NFT' || fatal "nft"
table inet hdptest {
	chain hdpfw {
		type filter hook forward priority 0; policy accept;
		ip daddr 203.0.113.2 meta l4proto 255 numgen random mod 10 0 counter drop
	}
}
NFT

ip netns exec "$A" "$HDP" ping --json -q -c 1000 --rate 500 -W 3 \
	--compare hdp,udp 203.0.113.2 >"$TMPD/tenth.json"
expect_eq "10% drop: exit 1 (probes lost)" "$?" 1
dropped=$(ip netns exec "$R" nft list chain inet hdptest hdpfw |
	sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
hdp_sent=$(grep '"kind":"hdp"' "$TMPD/tenth.json" | grep summary |
	sed 's/.*"sent":\([0-9]*\).*/\1/')
hdp_recv=$(grep '"kind":"hdp"' "$TMPD/tenth.json" | grep summary |
	sed 's/.*"received":\([0-9]*\).*/\1/')
loss=$(grep '"kind":"hdp"' "$TMPD/tenth.json" | grep summary |
	sed 's/.*"loss_pct":\([0-9.]*\).*/\1/')
udp=$(grep '"kind":"udp"' "$TMPD/tenth.json" | grep summary |
	sed 's/.*"received":\([0-9]*\),"loss_pct":\([0-9.]*\).*/\1 \2/')
echo "  hdp: sent $hdp_sent, received $hdp_recv, loss $loss%; nft dropped $dropped; udp received/loss: $udp"
check "hdp loss $loss% within 6-14%" \
	awk -v l="$loss" 'BEGIN { exit !(l >= 6 && l <= 14) }'
expect_eq "hdp lost exactly what nft dropped" \
	"$((hdp_sent - hdp_recv))" "$dropped"
expect_eq "udp on the same path: 1000 received, 0% loss" "$udp" "1000 0.00"

ip netns exec "$R" nft flush chain inet hdptest hdpfw
ip netns exec "$R" nft add rule inet hdptest hdpfw meta l4proto 255 drop
ip netns exec "$A" "$HDP" ping --json -q -c 50 --rate 100 -W 3 \
	--compare hdp,udp,tcp 203.0.113.2 >"$TMPD/all.json"
expect_eq "all HDP dropped: exit 1" "$?" 1
check "all HDP dropped: hdp received 0, loss 100%" \
	grep -q '"kind":"hdp".*"sent":50,.*"received":0,"loss_pct":100.00' \
	"$TMPD/all.json"
check "all HDP dropped: udp 50 of 50" \
	grep -q '"kind":"udp".*"received":50,"loss_pct":0.00' "$TMPD/all.json"
check "all HDP dropped: tcp 50 of 50" \
	grep -q '"kind":"tcp".*"received":50,"loss_pct":0.00' "$TMPD/all.json"

# the router duplicates every HDP reply (nft dup): each counted once as
# received, once as a duplicate
ip netns exec "$R" nft flush chain inet hdptest hdpfw
ip netns exec "$R" nft -f - <<'NFT' || fatal "nft dup"
table ip hdpdup {
	chain hdpfw {
		type filter hook forward priority 0; policy accept;
		ip daddr 198.51.100.1 ip protocol 255 dup to 198.51.100.1 device ra
	}
}
NFT
ip netns exec "$A" "$HDP" ping --json -q -c 30 --rate 100 -W 3 \
	--compare hdp,udp 203.0.113.2 >"$TMPD/dup.json"
expect_eq "duplicated replies: exit 0" "$?" 0
check "duplicated replies: hdp 30 received, 30 duplicates" \
	grep -q '"kind":"hdp".*"received":30,"loss_pct":0.00,"duplicates":30,' \
	"$TMPD/dup.json"
check "duplicated replies: udp none" \
	grep -q '"kind":"udp".*"received":30,"loss_pct":0.00,"duplicates":0,' \
	"$TMPD/dup.json"
finish
