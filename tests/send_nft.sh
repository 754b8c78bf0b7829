#!/bin/sh
# send_nft.sh: a firewall refusing one protocol on output.  An nft output
# rule in the namespace drops protocol 253: hdp send -P 252-254 reports
# EPERM for 253 in its row and goes on to send 252 and 254 (tcpdump sees
# exactly those two); the exit status says one failed.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/send_lib.sh"
need_root
need_cmd tcpdump nft

NS=$(netns_add nft)
ip netns exec "$NS" nft -f - <<'NFT' || fatal "nft rules"
table inet hdptest {
	chain out {
		type filter hook output priority 0; policy accept;
		meta l4proto 253 drop
	}
}
NFT

for fam in 4 6; do
	dst=127.0.0.1; [ $fam = 6 ] && dst=::1
	cap_start "$NS" lo "$TMPD/n$fam.pcap"
	ip netns exec "$NS" "$HDP" send -P 252-254 --data x "$dst" \
		</dev/null >"$TMPD/out$fam" 2>"$TMPD/err$fam"; rc=$?
	cap_stop
	expect_eq "IPv$fam: exit 1 when one packet failed" "$rc" 1
	grep -q '^| 253 | no | .* | EPERM: Operation not permitted |$' \
		"$TMPD/out$fam" || fail "IPv$fam: row for 253 says EPERM"
	grep -q '^| 252 | yes |' "$TMPD/out$fam" || fail "IPv$fam: 252 sent"
	grep -q '^| 254 | yes |' "$TMPD/out$fam" || fail "IPv$fam: 254 sent"
	grep -q "3 packets: 2 sent, 1 failed (EPERM 1)" "$TMPD/out$fam" ||
		fail "IPv$fam: summary counts the failure by reason"
	if [ $fam = 4 ]; then
		got=$(tcpdump -n -r "$TMPD/n4.pcap" 'ip and (ip[9] >= 252)' \
			2>/dev/null | sed -n 's/.*ip-proto-\([0-9]*\).*/\1/p' |
			tr '\n' ' ')
	else
		got=$(tcpdump -n -r "$TMPD/n6.pcap" 'ip6 and (ip6[6] >= 252)' \
			2>/dev/null | sed -n 's/.*ip-proto-\([0-9]*\).*/\1/p' |
			tr '\n' ' ')
	fi
	expect_eq "IPv$fam: on the wire: 252 and 254 only" "$got" "252 254 "
done

# JSON says the same
ip netns exec "$NS" "$HDP" send --json -P 253 --data x 127.0.0.1 \
	</dev/null >"$TMPD/j" 2>/dev/null
grep -q '"proto":253,.*"ok":false,"errno":1,"errno_name":"EPERM","error":"Operation not permitted"' \
	"$TMPD/j" || fail "JSON row for 253"
grep -q '"type":"summary".*"failed":1,"failures":{"EPERM":1}' "$TMPD/j" ||
	fail "JSON summary"

finish
