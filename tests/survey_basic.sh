#!/bin/sh
# survey_basic.sh: hdp survey on the four-namespace path, the kernel's
# default ICMP rate limits (topo_up default).  R2 drops protocol 255 in
# its forward chain (nft).  Targets: the receiver, both routers, a dead
# address on the receiver's network and one that --exclude names.
#   - the receiver's HDP is broken, its TTL walk names R2 (hop 2) as the
#     last hop that answered; 253 and 254 work (protocol unreachable
#     from the receiver); the baselines work
#   - the routers answer everything themselves: all works
#   - the dead address is offline (no baseline arrived)
#   - the excluded address is never probed (tcpdump in R2 sees nothing
#     for it) and counted as excluded
#   - -o: a second run with the same file probes nothing (tcpdump on
#     the receiver's side counts no packet) and the file holds each
#     result once; Ctrl-C in the middle of a run leaves valid JSON lines
. "$top_srcdir/tests/trace_lib.sh"
path_up default
need_cmd tcpdump

drop_hdp_at "$NS_R2"
DEAD=10.0.3.99
EXCL=10.0.3.77
printf '# never\n%s\n' "$EXCL/32" >"$TMPD/excl"
printf '%s\n# routers\n%s\n\n%s\n%s\n%s\n' "$D4" "$R1A4" "$R2A4" "$DEAD" \
	"$EXCL" >"$TMPD/targets"

# what crosses R2 towards the receiver's network, judged by tcpdump
topo_capture "$NS_R2" r2b "$TMPD/r2b.pcap"
sleep 0.5

t0=$(date +%s)
in_ns "$NS_S" "$HDP" survey -T "$TMPD/targets" --exclude "$TMPD/excl" \
	-o "$TMPD/out.json" -w 1 >"$TMPD/run1.txt" 2>"$TMPD/run1.err"
rc=$?
t1=$(date +%s)
cat "$TMPD/run1.txt" "$TMPD/run1.err"
expect_eq "survey exits 0" "$rc" 0
echo "first run took $((t1 - t0)) s"
[ $((t1 - t0)) -lt 40 ] || fail "first run took $((t1 - t0)) s"

J="$TMPD/out.json"
cat "$J"
res() {  # TARGET PROTO FIELD
	jq_py "$J" "one(type='result',target='$1',proto='$2')['$3']"
}
expect_eq "receiver hdp broken" "$(res "$D4" hdp category)" broken
expect_eq "receiver hdp: no arrival" "$(res "$D4" hdp arrived)" 0
expect_eq "receiver hdp: 3 sent" "$(res "$D4" hdp sent)" 3
expect_eq "receiver hdp: last responder R2" "$(res "$D4" hdp last_responder)" "$R2A4"
expect_eq "receiver hdp: last hop 2" "$(res "$D4" hdp last_hop)" 2
expect_eq "receiver hdp: walked with 255" "$(res "$D4" hdp walk_proto)" 255
expect_eq "receiver hdp: the walk decided it (UDP beside HDP its witness)" \
	"$(res "$D4" hdp walk)" vanished
for p in 253 254; do
	expect_eq "receiver $p works" "$(res "$D4" $p category)" works
	expect_eq "receiver $p: proto unreachable" "$(res "$D4" $p evidence)" proto_unreach
	expect_eq "receiver $p: no walk" "$(res "$D4" $p last_hop)" None
done
expect_eq "receiver udp: port unreachable" "$(res "$D4" udp evidence)" port_unreach
expect_eq "receiver tcp: reset" "$(res "$D4" tcp evidence)" rst
expect_eq "receiver icmp: echo reply" "$(res "$D4" icmp evidence)" echo_reply
for p in udp tcp icmp; do
	expect_eq "receiver $p works (3 of 3)" "$(res "$D4" $p category)/$(res "$D4" $p arrived)" works/3
done
for r in "$R1A4" "$R2A4"; do
	for p in hdp 253 254 udp tcp icmp; do
		expect_eq "router $r $p works" "$(res "$r" $p category)" works
	done
done
for p in hdp 253 254 udp tcp icmp; do
	expect_eq "dead address $p offline" "$(res "$DEAD" $p category)" offline
done
expect_eq "excluded address: no record" \
	"$(jq_py "$J" "len(sel(type='result',target='$EXCL'))")" 0
expect_eq "summary hdp: 2 works, 1 broken, 1 offline, 1 excluded" \
	"$(jq_py "$J" "[(s['works'],s['broken'],s['offline'],s['excluded']) for s in sel(type='summary',proto='hdp')]")" \
	"[(2, 1, 1, 1)]"
expect_eq "vantage record: kernel and address" \
	"$(jq_py "$J" "[(v['vantage'], v['kernel'].split()[0], v['address']) for v in sel(type='vantage')]")" \
	"[('local', 'Linux', '$S4')]"
python3 - "$J" <<'PY' || fail "JSON lines and their fields"
import json, sys
need = {"target", "vantage", "proto", "sent", "arrived", "evidence",
        "category", "last_hop", "last_responder", "time_ns", "resent",
        "walk_proto", "walk", "ip_proto", "src"}
for l in open(sys.argv[1]):
    o = json.loads(l)
    if o["type"] == "result":
        assert need <= set(o), o
        assert o["category"] in ("works", "transient", "broken", "offline")
        assert o["time_ns"] > 1.6e18
PY
grep -q "^broken: $D4 hdp (255) from local: last responder $R2A4 (hop 2)$" \
	"$TMPD/run1.txt" || fail "text: the broken target and its last responder"
grep -Eq '^hdp +4 +2 +0 +1 +1$' "$TMPD/run1.txt" || fail "text: summary row"

# --- -o resumes: nothing already complete is probed again -----------------
topo_capture_stop
tcpdump -n -r "$TMPD/r2b.pcap" "host $EXCL" 2>/dev/null >"$TMPD/excl.txt"
expect_eq "tcpdump: nothing sent to the excluded address" \
	"$(wc -l <"$TMPD/excl.txt")" 0
n1=$(tcpdump -n -r "$TMPD/r2b.pcap" "dst host $D4" 2>/dev/null | wc -l)
[ "$n1" -ge 18 ] || fail "tcpdump: $n1 packets to the receiver in run 1"
topo_capture "$NS_R2" r2b "$TMPD/r2b2.pcap"
sleep 0.5
in_ns "$NS_S" "$HDP" survey -T "$TMPD/targets" --exclude "$TMPD/excl" \
	-o "$TMPD/out.json" -w 1 --json >"$TMPD/run2.json" 2>&1
expect_eq "rerun exits 0" "$?" 0
sleep 0.5
topo_capture_stop
expect_eq "rerun: no packet to the receiver" \
	"$(tcpdump -n -r "$TMPD/r2b2.pcap" "dst host $D4 or dst host $DEAD" 2>/dev/null | wc -l)" 0
expect_eq "rerun: no new result" \
	"$(jq_py "$TMPD/run2.json" "len(sel(type='result'))")" 0
expect_eq "file: each result once" \
	"$(jq_py "$J" "len(sel(type='result'))")" 24
expect_eq "rerun summary counts the file" \
	"$(jq_py "$TMPD/run2.json" "[(s['works'],s['broken'],s['offline'],s['resumed']) for s in sel(type='summary',proto='hdp')]")" \
	"[(2, 1, 1, 4)]"

# --- Ctrl-C mid-run: a valid file, a rerun completes it -------------------
# ip netns exec runs hdp itself (exec): the PID is hdp's
ip netns exec "$NS_S" "$HDP" survey "$D4/30" "$R1A4" -o "$TMPD/int.json" \
	--repeat 2 -w 1 --no-trace -q >"$TMPD/int.txt" 2>&1 &
pid=$!
_PIDS="$_PIDS $pid"
sleep 2.5
kill -INT "$pid"
wait "$pid"
expect_eq "interrupted run exits 1" "$?" 1
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' \
	"$TMPD/int.json" || fail "interrupted run: file not JSON lines"
printf '{"type":"result","target":"10.0.3.1","vant' >>"$TMPD/int.json"
in_ns "$NS_S" "$HDP" survey "$D4/30" "$R1A4" -o "$TMPD/int.json" \
	--repeat 2 -w 1 --no-trace -q >/dev/null 2>&1
expect_eq "after a cut line, the rerun completes the file" \
	"$(jq_py "$TMPD/int.json" "sorted(set(o['target'] for o in sel(type='result')))")" \
	"['$R1A4', '10.0.3.1', '$D4']"
expect_eq "each (target, proto) once" \
	"$(jq_py "$TMPD/int.json" "len(sel(type='result'))")" 18

# --- a progress line when standard error is a terminal ----------------------
if command -v script >/dev/null 2>&1; then
	in_ns "$NS_S" script -qec "$HDP survey --repeat 1 -w 0.5 --no-trace $R1A4 >/dev/null" \
		/dev/null >"$TMPD/tty.txt" 2>&1
	grep -aq 'hdp survey: 1/1 targets, .* pps' "$TMPD/tty.txt" ||
		fail "no progress line on a terminal: $(cat -v "$TMPD/tty.txt")"
fi
finish
