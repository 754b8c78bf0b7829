#!/bin/sh
# trace_ratelimit_drop.sh: R2 drops IP protocol 255 while the routers and
# the receiver keep the kernel's default ICMP rate limits.  Traced 3 times
# back to back, hdp trace must name R2 every time as the hop after which
# HDP vanishes, with UDP, TCP and ICMP reaching the receiver, and exit 1;
# the same with R2 far stricter (about one ICMP error a second).  With the
# receiver answering one error in 20 s, HDP's and UDP's fate cannot be
# told from rate limiting: the verdict is unknown, never vanished, and
# the exit status 0.
. "$top_srcdir/tests/trace_lib.sh"
path_up default

drop_hdp_at "$NS_R2"

named="^HDP vanishes after hop 2 \\($R2A4\\); UDP, TCP and ICMP reach $D4$"
trace_runs "R2 drops HDP" 3 1 "$named" "$D4" -w 1
in_ns "$NS_S" "$HDP" trace --json -w 1 "$D4" >"$TMPD/tr.json"
expect_eq "JSON: exit 1" "$?" 1
expect_eq "JSON: verdicts" \
	"$(jq_py "$TMPD/tr.json" '[(s["proto"], s["verdict"]) for s in sel(type="summary")]')" \
	"[('hdp', 'vanished'), ('udp', 'reached'), ('tcp', 'reached'), ('icmp', 'reached')]"
expect_eq "JSON: HDP's last responder is R2" \
	"$(jq_py "$TMPD/tr.json" 'one(type="summary",proto="hdp")["last_responder"]')" "$R2A4"

topo_limits_strict "$NS_R2"
trace_runs "R2 drops HDP, R2 strict" 3 1 "$named" "$D4" -w 1

# the receiver answers one error in 20 s: no evidence either way for the
# protocols it answers with errors (HDP, UDP), so no loss is claimed
ip netns exec "$NS_R2" nft flush ruleset
ip netns exec "$NS_D" sysctl -qw net.ipv4.icmp_ratelimit=20000 ||
	fatal "sysctl on the receiver"
in_ns "$NS_S" "$HDP" trace -w 0.5 "$D4" >/dev/null 2>&1	# drain it
trace_runs "receiver nearly mute" 1 0 \
	"^HDP: unknown \\(hop 3 [A-Za-z -]+: [0-9]+ of [0-9]+ probes answered\\)" \
	"$D4" -w 0.5
grep -q "vanishes" "$TMPD/run.txt" && fail "a rate limit called a loss"
finish
