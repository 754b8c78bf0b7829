#!/bin/sh
# A tbf rate limit (2 Mbit/s, 300 ms of queue) on the responder's veth:
# light probing sees no queue, probing at twice the rate the link carries
# sees the delay grow as the queue fills.  The limit sits on the
# responder's egress because hdp ping's departure time is the pinger's
# capture timestamp, taken after the pinger's own qdisc (README).
. "${top_srcdir:-.}/tests/lib.sh"
need_root
need_cmd ip tc
PY=/usr/bin/python3
command -v $PY >/dev/null || PY=python3

A=$(netns_add a)
B=$(netns_add b)
veth_pair "$A" va 198.51.100.1/24 "$B" vb 198.51.100.2/24
ip netns exec "$B" tc qdisc add dev vb root tbf rate 2mbit burst 5kb \
	latency 300ms || skip "tc tbf not available"

bg ip netns exec "$B" "$HDP" listen --echo -t 50 >"$TMPD/listen.out" \
	2>"$TMPD/listen.err"
i=0
while ! grep -q listening "$TMPD/listen.err" && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done

# light: 20 probes/s of 1200 bytes, a tenth of what 2 Mbit/s carries
ip netns exec "$A" "$HDP" ping --json -c 40 --rate 20 --size 1200 \
	198.51.100.2 >"$TMPD/light.json"
# load: 400 probes/s, twice what it carries
ip netns exec "$A" "$HDP" ping --json -c 400 --rate 400 --size 1200 \
	198.51.100.2 >"$TMPD/load.json"

if $PY - "$TMPD/light.json" "$TMPD/load.json" <<'PY'
import json, sys
def rtts(path):
    rows = [json.loads(x) for x in open(path)]
    p = sorted((r["seq"], r["rtt_us"] / 1e3) for r in rows
               if r["type"] == "probe" and r["received"]
               and not r["duplicate"])
    return [r for _, r in p]
def med(v):
    v = sorted(v)
    return v[len(v) // 2] if v else float("nan")
light, load = rtts(sys.argv[1]), rtts(sys.argv[2])
early, late = load[:20], load[len(load) // 2:]
print("  light: %d answered, median %.2f ms, max %.2f ms" %
      (len(light), med(light), max(light)))
print("  load: %d answered; median of the first 20 %.2f ms, of the second "
      "half %.2f ms, max %.2f ms" % (len(load), med(early), med(late),
                                    max(load)))
ok = (len(light) >= 38 and med(light) < 10 and len(load) > 100 and
      med(late) > 100 and med(late) > 10 * med(early))
sys.exit(0 if ok else 1)
PY
then ok "delay grows under load (tbf queue), not without"
else fail "tbf: no growing delay seen"; fi
finish
