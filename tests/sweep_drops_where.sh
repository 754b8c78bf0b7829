#!/bin/sh
# sweep_drops_where.sh: kernel drop reasons say where (issue 14), on the
# four-namespace path of topo.sh: sender - R1 - R2 - receiver.
#   - R2 drops protocol 200 (IPv4) and 255 (both families) in its forward
#     hook, the receiver drops 201 in its input hook, and nobody
#     listens for 202 on the receiver (IP_NOPROTO);
#   - hdp sweep names the namespace, the interface and the hook of each,
#     its table fits 80 columns, -v gives the wide one, and its summary
#     names the numbers a netfilter rule dropped;
#   - hdp trace --drop-reasons reports only the drops of its own probes
#     that are not expected: R2's netfilter drop of HDP, named by
#     namespace, interface and hook, and not the probes whose TTL ran
#     out at R1/R2 nor the closed ports at the receiver; IPv4 and IPv6,
#     as root and with -Z nobody.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/topo.sh"
need_root
need_cmd nft python3
topo_up

in_ns "$NS_R2" nft -f - <<'NFT' || fatal "nft R2"
table inet hdpwhere {
	chain fw {
		type filter hook forward priority 0;
		meta l4proto { 200, 255 } drop
	}
}
NFT
in_ns "$NS_D" nft -f - <<'NFT' || fatal "nft D"
table inet hdpwhere {
	chain in { type filter hook input priority 0; meta l4proto 201 drop; }
}
NFT

# py FILE EXPR: EXPR over the JSON lines of FILE (o: the list of them;
# row(p): sweep's row of number p; hops(proto): trace's hop objects)
py() {
	python3 - "$1" "$2" <<'PY'
import json, sys
o = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def row(p):
    return [r for r in o if r.get('proto') == p][0]
def hops(proto):
    return [h for h in o if h.get('type') == 'hop' and h.get('proto') == proto]
print(eval(sys.argv[2]))
PY
}

# ---- sweep ----------------------------------------------------------------
in_ns "$NS_S" "$HDP" sweep "$D4" -P 17,199-202 -c 2 --json \
	>"$TMPD/sw.json" 2>"$TMPD/sw.err"
expect_eq "sweep exits 1 (left the sender: receiver unknown)" "$?" 1
cat "$TMPD/sw.err"
if grep -q "drop reasons unavailable" "$TMPD/sw.err"; then
	skip "kernel drop reasons unavailable here"
fi
w() { py "$TMPD/sw.json" "(lambda r: (r['drop_reason'], r['drop_netns'], r['drop_dev'], r['drop_hook']))(row($1))"; }
expect_eq "200: R2's forward hook, on r2a" "$(w 200)" \
	"('NETFILTER_DROP', '$NS_R2', 'r2a', 'FORWARD')"
expect_eq "201: the receiver's input hook, on d0" "$(w 201)" \
	"('NETFILTER_DROP', '$NS_D', 'd0', 'INPUT')"
expect_eq "202: no protocol handler at the receiver" "$(w 202)" \
	"('IP_NOPROTO', '$NS_D', 'd0', None)"
expect_eq "199: no protocol handler either" "$(w 199)" \
	"('IP_NOPROTO', '$NS_D', 'd0', None)"
# 17 is UDP: the receiver's UDP takes the HDP header for a short datagram
check "17: not a netfilter drop" sh -c "! echo \"$(w 17)\" | grep -q NETFILTER"

in_ns "$NS_S" "$HDP" sweep "$D4" -P 17,199-202 -c 2 \
	>"$TMPD/sw.txt" 2>/dev/null
cat "$TMPD/sw.txt"
check "the table (up to the summary) fits 80 columns" \
	awk '/^$/ { exit } length($0) > 80 { bad = 1 } END { exit bad }' \
	"$TMPD/sw.txt"
check "the table's 200 row names the hook" \
	grep -q '^200 libnet  2/2/?/?  left_sender  *NETFILTER_DROP FORWARD hook$' \
	"$TMPD/sw.txt"
check "the summary names what a netfilter rule dropped, and where" \
	grep -qF "  - dropped by a netfilter rule on this host (netns $NS_R2 on r2a, FORWARD hook): 200" \
	"$TMPD/sw.txt"
check "... and the other rule" \
	grep -qF "  - dropped by a netfilter rule on this host (netns $NS_D on d0, INPUT hook): 201" \
	"$TMPD/sw.txt"
check "the summary names IP_NOPROTO's numbers apart" \
	grep -qF "  - kernel: IP_NOPROTO at ip_local_deliver_finish (netns $NS_D): 199,202" \
	"$TMPD/sw.txt"
check "no 'and others' blur" sh -c "! grep -q 'and others' '$TMPD/sw.txt'"
in_ns "$NS_S" "$HDP" sweep "$D4" -P 200 -c 1 --wide >"$TMPD/wide.txt" \
	2>/dev/null
check "--wide: the Markdown table with the location and where" \
	grep -q "^| 200 | .*| left_sender | NETFILTER_DROP in nft_do_chain+0x[0-9a-f]*/0x[0-9a-f]* (netns $NS_R2 on r2a, FORWARD hook) |$" \
	"$TMPD/wide.txt"

# ---- trace ------------------------------------------------------------------
# hop_drops FILE: every drop reason trace reported, as "proto ttl text"
hop_drops() {
	py "$1" "'\\n'.join('%s %s %s' % (h['proto'], h['ttl'], h['drop_reason']) for h in o if h.get('type') == 'hop' and h.get('drop_reason'))"
}
for fam in 4 6; do
	if [ $fam = 4 ]; then dst=$D4; else dst=$D6; fi
	for z in "" "-Z nobody"; do
		in_ns "$NS_S" "$HDP" trace -$fam -m 6 -w 1 --drop-reasons \
			$z --json "$dst" >"$TMPD/tr.json" 2>"$TMPD/tr.err"
		rc=$?
		what="trace -$fam${z:+ $z}"
		expect_eq "$what: exits 1 (HDP vanishes)" "$rc" 1
		hop_drops "$TMPD/tr.json" >"$TMPD/drops"
		cat "$TMPD/drops"
		check "$what: a drop is reported" [ -s "$TMPD/drops" ]
		check "$what: every drop is HDP's, beyond R2 (ttl >= 3)" \
			awk '$1 != "hdp" || $2 < 3 { bad = 1 } END { exit bad }' \
			"$TMPD/drops"
		check "$what: R2's netfilter FORWARD hook, namespace and interface" \
			awk -v ns="$NS_R2" '$0 !~ "^hdp [0-9]+ NETFILTER_DROP in netns " ns " on r2a, netfilter FORWARD hook \\(nft_do_chain\\)$" { bad = 1 } END { exit bad }' \
			"$TMPD/drops"
		check "$what: no expired TTL or closed port reported" \
			sh -c "! grep -q -e IP_INHDR -e NO_SOCKET '$TMPD/drops'"
	done
done
# ip netns exec execs hdp: the PID names its tracefs instance
ip netns exec "$NS_S" "$HDP" trace -m 6 -w 1 --drop-reasons "$D4" \
	>"$TMPD/tr.txt" 2>&1 &
pid=$!
wait "$pid"
cat "$TMPD/tr.txt"
check "trace's text names R2's namespace and hook" grep -qF \
	"HDP dropped by the kernel: NETFILTER_DROP in netns $NS_R2 on r2a, netfilter FORWARD hook (nft_do_chain)" \
	"$TMPD/tr.txt"
check "its tracefs instance is gone" \
	lacks_instance "$(tracefs_dir)" "$pid"
finish
