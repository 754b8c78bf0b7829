#!/bin/sh
# With netem (where the kernel has it): a known added delay of 10 ms on
# the responder's veth shows in hdp ping's RTT: median within 10-13 ms.
# Kernels without sch_netem (this project's CI machine) skip visibly.
. "${top_srcdir:-.}/tests/lib.sh"
need_root
need_cmd ip tc

A=$(netns_add a)
B=$(netns_add b)
veth_pair "$A" va 198.51.100.1/24 "$B" vb 198.51.100.2/24
ip netns exec "$B" tc qdisc add dev vb root netem delay 10ms \
	2>"$TMPD/tc.err" ||
	skip "netem not available on this kernel: $(cat "$TMPD/tc.err")"

bg ip netns exec "$B" "$HDP" listen --echo -t 30 >"$TMPD/listen.out" \
	2>"$TMPD/listen.err"
i=0
while ! grep -q listening "$TMPD/listen.err" && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
ip netns exec "$A" "$HDP" ping --json -q -c 20 --rate 20 198.51.100.2 \
	>"$TMPD/p.json"
p50=$(sed -n 's/.*"rtt_p50_us":\([0-9.]*\).*/\1/p' "$TMPD/p.json")
echo "  median RTT $p50 us with 10 ms netem delay"
check "median RTT $p50 us within 10000-13000 us" \
	awk -v m="$p50" 'BEGIN { exit !(m >= 10000 && m <= 13000) }'
finish
