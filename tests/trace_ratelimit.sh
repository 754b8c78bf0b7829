#!/bin/sh
# trace_ratelimit.sh: the routers and the receiver keep the kernel's
# default ICMP rate limits (Linux: one error a second to each host after
# a burst of 6), as real routers ship.  A clear path traced 4 times back
# to back, with -w 1 and with the default wait, must say that every
# protocol reaches the receiver every time and exit 0; the JSON summary
# says "reached" and the hops that rate-limited are listed with their
# counts.  With R2 far stricter (about one ICMP error a second for the
# whole router, topo.sh's "strict"), the same.
. "$top_srcdir/tests/trace_lib.sh"
path_up default

all="^all of HDP, UDP, TCP and ICMP reach $D4 \\(hop 3\\)$"
trace_runs "clear path, -w 1" 4 0 "$all" "$D4" -w 1
trace_runs "clear path, default wait" 4 0 "$all" "$D4"

# JSON, right after: the verdicts, and the rate limiting that was met
in_ns "$NS_S" "$HDP" trace --json -w 1 "$D4" >"$TMPD/tr.json"
expect_eq "JSON run exits 0" "$?" 0
expect_eq "every summary's verdict is reached" \
	"$(jq_py "$TMPD/tr.json" '[s["verdict"] for s in sel(type="summary")]')" \
	"['reached', 'reached', 'reached', 'reached']"
expect_eq "every summary has a rate_limited list" \
	"$(jq_py "$TMPD/tr.json" 'all(isinstance(s.get("rate_limited"), list) for s in sel(type="summary"))')" True
expect_eq "rate-limited hops: answered fewer than sent" \
	"$(jq_py "$TMPD/tr.json" 'all(0 < h["answered"] < h["sent"] and 1 <= h["hop"] <= 3 for h in one(type="trace")["rate_limited"])')" True
# nothing past the receiver: HDP and UDP (whose answers the receiver
# rate-limits) are not sent beyond hop 3
expect_eq "HDP and UDP stop at the receiver's hop" \
	"$(jq_py "$TMPD/tr.json" 'max([h["ttl"] for h in sel(type="hop") if h["proto"] in ("hdp", "udp") and h["probes"] > 0])')" 3

# R2 strict: about one ICMP error a second, to anyone
topo_limits_strict "$NS_R2"
trace_runs "clear path, R2 strict, -w 1" 3 0 "$all" "$D4" -w 1
finish
