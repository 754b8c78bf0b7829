#!/bin/sh
# trace_ratelimit_slow.sh: verdicts when the destination rate-limits its
# ICMP errors far harder than Linux's default (one error per 4 s, as real
# routers and hosts may), and when its first errors are rate limited.
#  - A clear path traced 3 times back to back: never a loss (vanished,
#    refused, stateful), exit 0; each protocol reaches or is unknown.
#  - R2 drops IP protocol 255: HDP is named lost after hop 2 or unknown,
#    never another protocol; UDP, TCP and ICMP never called lost.
#  - --probes hdp,udp with the destination's bucket drained first: the
#    destination is at hop 3 (its quote tells the distance, whatever TTL
#    it first answers), no rows beyond it, no made-up "ttl changed".
#  - -m 2 on the 3-hop path: not reached within -m 2, not a loss, exit 0;
#    -f 5: no ttl change at the receiver.
. "$top_srcdir/tests/trace_lib.sh"
path_up default

# drain_dest: closed-port UDP datagrams to the receiver, bounded (12),
# which spend its ICMP tokens (burst 6)
drain_dest() {
	ip netns exec "$NS_S" bash -c "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
		echo x >/dev/udp/$D4/9; done" 2>/dev/null
}

# --probes hdp,udp: no echo or SYN to find the destination first
drain_dest
in_ns "$NS_S" "$HDP" trace --probes hdp,udp -w 1 "$D4" >"$TMPD/hu.txt" 2>&1
expect_eq "hdp,udp, drained receiver: exit 0" "$?" 0
cat "$TMPD/hu.txt"
grep -q "^both HDP and UDP reach $D4 (hop 3)$" "$TMPD/hu.txt" ||
	fail "hdp,udp: not reached at hop 3"
grep -q "ttl changed" "$TMPD/hu.txt" && fail "hdp,udp: a made-up ttl change"
grep -Eq '^ *([4-9]|[1-3][0-9]) ' "$TMPD/hu.txt" &&
	fail "hdp,udp: rows beyond the receiver"
drain_dest
in_ns "$NS_S" "$HDP" trace --json --probes hdp,udp -w 1 "$D4" \
	>"$TMPD/hu.json" 2>&1
expect_eq "hdp,udp JSON: last_ttl 3 for both" \
	"$(jq_py "$TMPD/hu.json" '[s["last_ttl"] for s in sel(type="summary")]')" \
	"[3, 3]"
expect_eq "hdp,udp JSON: no hop objects beyond 3, no changes" \
	"$(jq_py "$TMPD/hu.json" '(max(h["ttl"] for h in sel(type="hop")), sum(len(h["changes"]) for h in sel(type="hop")))')" \
	"(3, 0)"

# -m 2: the receiver is further; nobody lost anything
in_ns "$NS_S" "$HDP" trace -m 2 -w 1 "$D4" >"$TMPD/m2.txt" 2>&1
expect_eq "-m 2: exit 0" "$?" 0
grep -q "^HDP, UDP, TCP and ICMP: not reached within -m 2 (hop 2 is $R2A4)$" \
	"$TMPD/m2.txt" ||
	{ cat "$TMPD/m2.txt"; fail "-m 2: not said"; }
grep -Eq "vanish|refused|stateful" "$TMPD/m2.txt" && fail "-m 2: a loss"
in_ns "$NS_S" "$HDP" trace --json -m 2 -w 1 "$D4" >"$TMPD/m2.json" 2>&1
expect_eq "-m 2 JSON: exit 0" "$?" 0
expect_eq "-m 2 JSON: every verdict beyond_max_ttl" \
	"$(jq_py "$TMPD/m2.json" 'sorted(set(s["verdict"] for s in sel(type="summary")))')" \
	"['beyond_max_ttl']"

# -f 5: the receiver answers at TTL 5, its quote shows the TTL it got
# (3), which its distance explains: no ttl change
in_ns "$NS_S" "$HDP" trace -f 5 -w 1 "$D4" >"$TMPD/f5.txt" 2>&1
expect_eq "-f 5: exit 0" "$?" 0
grep -q "ttl changed" "$TMPD/f5.txt" && { cat "$TMPD/f5.txt"; fail "-f 5: a made-up ttl change"; }

# the receiver: one ICMP error per 4 s
in_ns "$NS_D" sysctl -qw net.ipv4.icmp_ratelimit=4000 ||
	fatal "sysctl on the receiver"
ok="^((all of |both )?[A-Z, and]+ reach $D4( \\(hop 3\\))?|([A-Z]+: unknown \\(hop 3 [a-zA-Z -]+: [0-9]+ of [0-9]+ probes answered\\); )+[A-Z, and]+ reach(es)? $D4)$"
trace_runs "clear path, receiver one error per 4 s" 3 0 "$ok" "$D4" -w 1

drop_hdp_at "$NS_R2"
i=1
while [ "$i" -le 2 ]; do
	in_ns "$NS_S" "$HDP" trace -w 1 "$D4" >"$TMPD/drop.txt" 2>&1
	rc=$?
	v=$(tail -n 1 "$TMPD/drop.txt")
	echo "R2 drops HDP, receiver one error per 4 s, run $i: rc $rc: $v"
	case "$v" in
	"HDP vanishes after hop 2 ($R2A4); UDP, TCP and ICMP reach $D4")
		expect_eq "R2 drop run $i: exit" "$rc" 1 ;;
	"HDP: unknown (hop 3 "*"probes answered); UDP, TCP and ICMP reach $D4")
		expect_eq "R2 drop run $i: exit" "$rc" 0 ;;
	*)	cat "$TMPD/drop.txt"
		fail "R2 drop run $i: neither HDP named nor unknown" ;;
	esac
	i=$((i + 1))
done
finish
