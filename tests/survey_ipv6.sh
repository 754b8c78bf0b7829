#!/bin/sh
# survey_ipv6.sh: hdp survey over IPv6 on the four-namespace path (kernel
# default ICMPv6 rate limits), R2 dropping next header 255.  The target
# is a /126 prefix on the receiver's network: fd00:3::1 (R2), ::2 (the
# receiver), ::3 (nobody: offline); -6 leaves an IPv4 target out.
#   - the receiver: HDP broken, its walk names R2 (hop 2); 253 and 254
#     work, proven by ICMPv6 parameter problems from the receiver
#   - --plot draws an SVG with gnuplot; --json on standard output is what
#     -o holds
. "$top_srcdir/tests/trace_lib.sh"
path_up default
need_cmd gnuplot

drop_hdp_at "$NS_R2"
in_ns "$NS_S" "$HDP" survey -6 fd00:3::/126 "$D4" -w 1 --json \
	-o "$TMPD/out.json" --plot "$TMPD/plot.svg" >"$TMPD/stdout.json" \
	2>"$TMPD/err"
expect_eq "survey exits 0" "$?" 0
cat "$TMPD/err"
J="$TMPD/out.json"
res() {
	jq_py "$J" "one(type='result',target='$1',proto='$2')['$3']"
}
expect_eq "receiver hdp broken" "$(res "$D6" hdp category)" broken
expect_eq "receiver hdp: last responder R2" "$(res "$D6" hdp last_responder)" "$R2A6"
expect_eq "receiver hdp: last hop 2" "$(res "$D6" hdp last_hop)" 2
for p in 253 254; do
	expect_eq "receiver $p works" "$(res "$D6" $p category)" works
	expect_eq "receiver $p: parameter problem" "$(res "$D6" $p evidence)" param_problem
done
expect_eq "receiver udp: port unreachable" "$(res "$D6" udp evidence)" port_unreach
expect_eq "receiver icmp: echo reply (ICMPv6, 58)" "$(res "$D6" icmp evidence)/$(res "$D6" icmp ip_proto)" echo_reply/58
for p in hdp 253 254 udp tcp icmp; do
	expect_eq "R2 $p works" "$(res "$R2B6" $p category)" works
	expect_eq "fd00:3::3 $p offline" "$(res fd00:3::3 $p category)" offline
done
expect_eq "-6: no IPv4 target" "$(jq_py "$J" "len(sel(type='result',target='$D4'))")" 0
expect_eq "three targets, six protocols" "$(jq_py "$J" "len(sel(type='result'))")" 18
expect_eq "vantage: IPv6 source" "$(jq_py "$J" "one(type='vantage')['address6']")" "$S6"
cmp -s "$J" "$TMPD/stdout.json" || fail "--json output differs from -o"
grep -q '<svg' "$TMPD/plot.svg" || fail "--plot: no SVG"
finish
