#!/bin/sh
# where_live.sh: hdp where --at (issue 17): live captures at points on
# other hosts over ssh, on topo.sh's sender-R1-R2-receiver path, from the
# sender, which reaches the others only over ssh (sshd in R1, R2 and the
# receiver, tests/ssh_lib.sh).  R2 drops IP protocol 255 (nftables,
# forward chain): where must name R2.  R1 runs hdp with its clock faked
# 30 s ahead (the offset is reported, matching still works); R2 runs hdp;
# the receiver has no hdp (tcpdump is the remote side there).  Then
# points that fail (no sshd there, a key the server refuses), and Ctrl-C
# in the middle of a run.  Judges: the exit status, python3 on --json,
# tcpdump -r on the --save files, and the namespaces' process lists.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/topo.sh"
. "$top_srcdir/tests/ssh_lib.sh"

need_root
need_cmd tcpdump nft
[ -x /usr/bin/python3 ] || skip "needs /usr/bin/python3"

topo_up
ssh_setup
P1=$(ssh_pathdir with-hdp-fast 30)     # R1: hdp, clock 30 s ahead
P2=$(ssh_pathdir with-hdp)             # R2: hdp
PD=$(ssh_pathdir no-hdp)               # receiver: tcpdump only
sshd_start "$NS_R1" "$R1A4" "$P1"
sshd_start "$NS_R2" "$R2A4" "$P2"
sshd_start "$NS_D" "$D4" "$PD"
# a second sshd in R2 that refuses our key: the client offers id_wrong
# to it alone (ssh_config below), the others get id_client
sshd_start "$NS_R2" "$R2B4" "$P2"
CFG="$SSH_DIR/ssh_config_mixed"
{
	grep -v 'IdentityFile' "$SSH_DIR/ssh_config"
	echo "Match host $R2B4"
	echo "    IdentityFile $SSH_DIR/id_wrong"
	echo "Match !host $R2B4"
	echo "    IdentityFile $SSH_DIR/id_client"
} >"$CFG"
export HDP_SSH="ssh -F $CFG"

in_ns "$NS_R2" nft -f - <<EOF || fatal "nft in R2"
table inet hdp_where_live {
	chain forward_hdp {
		type filter hook forward priority 0;
		meta l4proto 255 drop
	}
}
EOF

# where NAME ARGS...: hdp where in the sender namespace; NAME.out,
# NAME.err, and the exit status in $rc
where() {
	_n=$1; shift
	in_ns "$NS_S" env TMPDIR="$TMPD" timeout 90 "$HDP" where "$@" \
		>"$TMPD/$_n.out" 2>"$TMPD/$_n.err"
	rc=$?
}
show() { sed "s/^/    $1: /" "$TMPD/$1.out" "$TMPD/$1.err"; }
ALL="--at s=s0 --at r1in=ssh://$R1A4/r1a --at r1out=ssh://$R1A4/r1b
     --at r2in=ssh://$R2A4/r2a --at r2out=ssh://$R2A4/r2b
     --at rx=ssh://$D4/d0"

# ---- the whole path: R2 named, text ----
# shellcheck disable=SC2086
where text $ALL --drain 1 --probe "$D4" -c 5 -i 0.05
expect_eq "vanished: exit 1" "$rc" 1
check "names R2: between r2in and r2out" grep -qx \
	"5 sent, 5 at r1in, 5 at r1out, 5 at r2in, 0 at r2out, 0 at rx: 5 vanished between r2in and r2out" \
	"$TMPD/text.out"
check "R1's clock offset reported (+30 s, est)" \
	grep -q "^point 1 r1in: ssh://$R1A4/r1a, .*clock +[23][09]\.[0-9]* s .*est" \
	"$TMPD/text.out"
check "the receiver's point observed (tcpdump there)" \
	grep -q "^point 5 rx: ssh://$D4/d0, EN10MB, 0 frames" "$TMPD/text.out"
[ "$_FAILS" -eq 0 ] || show text

# ---- the same, --json, and --save ----
# shellcheck disable=SC2086
where json $ALL --json --save "$TMPD/save" --drain 1 \
	--probe "$D4" -c 5 -i 0.05
expect_eq "json: exit 1" "$rc" 1
cat >"$TMPD/judge.py" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
pts = [r for r in recs if r["type"] == "point"]
segs = [r for r in recs if r["type"] == "segment"]
pk = [r for r in recs if r["type"] == "packet"]
assert [p["status"] for p in pts] == ["observed"] * 6, pts
assert all(p["file"].endswith("/save/%s.pcap" % p["name"]) for p in pts)
assert pts[0]["clock_offset_ns"] is None
for i in (1, 2):
    off, unc = pts[i]["clock_offset_ns"], pts[i]["clock_uncertainty_ns"]
    assert abs(off - 30e9) < 1e9 and 0 <= unc < 1e9, pts[i]
    assert abs(pts[i]["clock_start"]["offset_ns"] - 30e9) < 1e9
    assert pts[i]["clock_end"] is not None
assert abs(pts[3]["clock_offset_ns"]) < 1e9, pts[3]
assert [p["packets"] for p in pts] == [5, 5, 5, 5, 0, 0], pts
assert [(s["from"], s["to"], s["vanished"]) for s in segs] == \
    [(0, 1, 0), (1, 2, 0), (2, 3, 0), (3, 4, 5), (4, 5, 0)], segs
assert len(pk) == 5
for p in pk:
    assert p["seen"] == [True] * 4 + [False] * 2, p
    assert p["last_seen"] == 3 and p["first_missing"] == 4
    assert p["offset_corrected"] is True
    assert p["time_ns"][4] is None and all(p["time_ns"][:4])
EOF
check "json judged by python3" /usr/bin/python3 "$TMPD/judge.py" \
	"$TMPD/json.out"
for f in s:5 r1in:5 r1out:5 r2in:5 r2out:0 rx:0; do
	n=$(tcpdump -nr "$TMPD/save/${f%:*}.pcap" 'ip proto 255' 2>/dev/null |
	    wc -l) || n="unreadable"
	expect_eq "--save ${f%:*}.pcap: tcpdump reads ${f#*:} HDP packets" \
		"$n" "${f#*:}"
done
# shellcheck disable=SC2086
where exists $ALL --save "$TMPD/save" --probe "$D4" -c 1
expect_eq "--save over existing files: exit 2" "$rc" 2
check "--save over existing files: says --force" grep -q -- "--force" \
	"$TMPD/exists.err"
[ "$_FAILS" -eq 0 ] || show json

# ---- failed points: no sshd there, a refused key ----
where fail --at s=s0 --at r1in=ssh://$R1A4/r1a \
	--at dead=ssh://$R1B4/r1b --at r2in=ssh://$R2A4/r2a \
	--at r2out=ssh://$R2A4/r2b --at badkey=ssh://$R2B4/r2b \
	--at rx=ssh://$D4/d0 --drain 1 --probe "$D4" -c 3 -i 0.05
expect_eq "failed points, loss seen: exit 1" "$rc" 1
check "no sshd: one line naming it" \
	[ "$(grep -c "ssh://$R1B4/r1b" "$TMPD/fail.err")" -eq 1 ]
check "refused key: one line naming it" \
	[ "$(grep -c "ssh://$R2B4/r2b.*[Pp]ermission denied" \
	     "$TMPD/fail.err")" -eq 1 ]
check "no sshd: not observed" grep -q "^point 2 dead: .*not observed" \
	"$TMPD/fail.out"
check "refused key: not observed" \
	grep -q "^point 5 badkey: .*not observed" "$TMPD/fail.out"
check "segments touching a failed point: unknown" \
	[ "$(grep -c ': unknown (' "$TMPD/fail.out")" -eq 4 ]
check "never vanished at a failed point" \
	sh -c "! grep -q 'vanished.*\(dead\|badkey\)' '$TMPD/fail.out'"
check "still names R2" grep -qx \
	"3 sent, 3 at r1in, not observed at dead, 3 at r2in, 0 at r2out, not observed at badkey, 0 at rx: 3 vanished between r2in and r2out" \
	"$TMPD/fail.out"
where fail2 --json --at s=s0 --at dead=ssh://$R1B4/r1b \
	--at r1in=ssh://$R1A4/r1a --drain 1 --probe "$D4" -c 3 -i 0.05
expect_eq "failed point, nothing lost where observed: exit 4" "$rc" 4
cat >"$TMPD/judge2.py" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
pts = [r for r in recs if r["type"] == "point"]
segs = [r for r in recs if r["type"] == "segment"]
assert [p["status"] for p in pts] == ["observed", "not observed",
                                      "observed"], pts
assert pts[1]["error"] and pts[1]["file"] is None
assert pts[0]["file"] is None  # a temporary file, gone: no --save
st = [(s["from"], s["to"], s.get("status"), s["vanished"]) for s in segs]
assert st == [(0, 1, "unknown", None),
              (0, 2, "across points not observed", 0),
              (1, 2, "unknown", None)], st
for p in [r for r in recs if r["type"] == "packet"]:
    assert p["seen"] == [True, None, True], p
EOF
check "failed point in json: status, unknown segments" \
	/usr/bin/python3 "$TMPD/judge2.py" "$TMPD/fail2.out"
[ "$_FAILS" -eq 0 ] || { show fail; show fail2; }

# ---- a capture that dies mid-run ----
# die_run NAME WHERE-OPTIONS...: where in the background (WPID) with
# --save TMPD/NAME, and once every point listens, the receiver's tcpdump
# (started by this run) killed by its PID and two probes sent
# (live_bg NAME WHERE-OPTIONS...: only the start, until all listen)
live_bg() {
	_n=$1; shift
	mkdir -p "$TMPD/$_n"
	ip netns exec "$NS_S" env TMPDIR="$TMPD" "$HDP" where \
		--at s=s0 --at r1in=ssh://$R1A4/r1a --at rx=ssh://$D4/d0 \
		--save "$TMPD/$_n" "$@" >"$TMPD/$_n.out" 2>"$TMPD/$_n.err" &
	WPID=$!
	i=0
	while [ "$(ls "$TMPD/$_n" | wc -l)" -lt 3 ] && [ "$i" -lt 200 ]; do
		sleep 0.1; i=$((i + 1))
	done
}
die_run() {
	live_bg "$@"
	for p in $(ns_procs "$NS_D" 'tcpdump -i' | cut -d' ' -f1); do
		kill "$p"
	done
	in_ns "$NS_S" "$HDP" send -q -c 2 -i 0.05 "$D4"
}
die_run die --drain 0.5 --run 'sleep 3'
wait "$WPID"
rc=$?
expect_eq "capture died, nothing vanished where observed: exit 4" "$rc" 4
check "capture died: one line naming it" \
	[ "$(grep -c "ssh://$D4/d0: the capture ended" "$TMPD/die.err")" -eq 1 ]
check "capture died: not observed" \
	grep -q "^point 2 rx: .*not observed (the capture ended early)" \
	"$TMPD/die.out"
check "capture died: the others still counted" grep -qx \
	"2 sent, 2 at r1in, not observed at rx: none vanished between the points observed" \
	"$TMPD/die.out"
[ "$_FAILS" -eq 0 ] || show die

# ---- a capture that dies, then Ctrl-C: still not observed ----
# (what the receiver would have seen after its capture died must not
# read "vanished" because the run was interrupted, not ended)
die_run die2 --run 'sleep 20'
sleep 1
kill -INT "$WPID"
wait "$WPID"
rc=$?
check "capture died, then Ctrl-C: not observed" \
	grep -q "^point 2 rx: .*not observed (the capture ended early)" \
	"$TMPD/die2.out"
check "capture died, then Ctrl-C: nothing vanished" grep -qx \
	"2 sent, 2 at r1in, not observed at rx: none vanished between the points observed" \
	"$TMPD/die2.out"
check "capture died, then Ctrl-C: not exit 1 ($rc)" [ "$rc" -ne 1 ]
[ "$_FAILS" -eq 0 ] || show die2

# ---- a capture whose kernel dropped packets: not observed ----
# (the receiver's hdp, behind a second sshd on port 2222, says at its
# end what a capture with a full ring says: what it lacks is no proof)
PX=$(ssh_pathdir with-hdp-drops)
HX=$(cd "$(dirname "${HDP_REAL:-$HDP}")" && pwd)/$(basename "${HDP_REAL:-$HDP}")
rm -f "$PX/hdp"
# (the wrapper's TERM to the capture's group ends hdp sniff, which says
# its counts; this script outlives it and says the drops last)
printf '#!/bin/sh\n[ "$1" = sniff ] || exec %s "$@"\ntrap : TERM\n%s "$@"\nrc=$?\necho "7 packets dropped by kernel" >&2\nexit $rc\n' \
	"$HX" "$HX" >"$PX/hdp"
chmod 755 "$PX/hdp"
SSHD_PORT=2222 sshd_start "$NS_D" "$D4" "$PX"
ip netns exec "$NS_S" env TMPDIR="$TMPD" "$HDP" where \
	--at s=s0 --at r1in=ssh://$R1A4/r1a --at rx=ssh://$D4:2222/d0 \
	--drain 0.5 --probe "$D4" -c 2 -i 0.05 \
	>"$TMPD/drops.out" 2>"$TMPD/drops.err"
expect_eq "capture dropped packets, nothing vanished where observed: exit 4" "$?" 4
check "capture dropped packets: one line naming it" \
	[ "$(grep -c "ssh://$D4:2222/d0: the capture lost packets: 7 packets dropped by kernel" "$TMPD/drops.err")" -eq 1 ]
check "capture dropped packets: not observed, not vanished" grep -qx \
	"2 sent, 2 at r1in, not observed at rx: none vanished between the points observed" \
	"$TMPD/drops.out"
[ "$_FAILS" -eq 0 ] || show drops

# ---- Ctrl-C during --run 'sleep 20' ----
live_bg int --run 'sleep 20'
check "Ctrl-C: every point listening" [ "$(ls "$TMPD/int" | wc -l)" -eq 3 ]
in_ns "$NS_S" "$HDP" send -q -c 3 -i 0.05 "$D4"
sleep 0.5
t0=$(date +%s)
kill -INT "$WPID"
wait "$WPID"
rc=$?
t1=$(date +%s)
check "Ctrl-C: ended within 15 s ($((t1 - t0)) s)" [ $((t1 - t0)) -le 15 ]
expect_eq "Ctrl-C: exit 1 (R2 dropped them)" "$rc" 1
check "Ctrl-C: the report covers what was captured" grep -qx \
	"3 sent, 3 at r1in, 0 at rx: 3 vanished between r1in and rx" \
	"$TMPD/int.out"
for f in s:3 r1in:3 rx:0; do
	n=$(tcpdump -nr "$TMPD/int/${f%:*}.pcap" 'ip proto 255' \
	    2>/dev/null | wc -l) || n="unreadable"
	expect_eq "Ctrl-C: --save ${f%:*}.pcap valid, ${f#*:} packets" \
		"$n" "${f#*:}"
done
# what a run leaves when it leaves something: a capture, the command,
# an ssh client (sshd and its own children are the test's)
LEFT='tcpdump|hdp sniff|sleep 20|^[0-9]+ ssh '
for ns in "$NS_S" "$NS_R1" "$NS_R2" "$NS_D"; do
	i=0
	while [ -n "$(ns_procs "$ns" "$LEFT")" ] && [ "$i" -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	left=$(ns_procs "$ns" "$LEFT")
	expect_eq "Ctrl-C: nothing left in $ns (sshd only)" "$left" ""
done
[ "$_FAILS" -eq 0 ] || show int

# ---- a host gone silent mid-run: not observed, never "vanished" there ----
# (R1's sshd can no longer send: its capture's stream stalls, and ssh
# gives up (ServerAlive, to keep the test short), before or after the
# run's end; the probes sent then must not be placed between s and r1in)
ts0=$(date +%s)
live_bg stall --drain 0.5 --run 'sleep 2' \
	--ssh-option ServerAliveInterval=1 --ssh-option ServerAliveCountMax=2
in_ns "$NS_R1" nft -f - <<NFT || fatal "nft in R1"
table inet r3stall {
	chain out {
		type filter hook output priority 0;
		tcp sport 22 drop
	}
}
NFT
in_ns "$NS_S" "$HDP" send -q -c 2 -i 0.05 "$D4"
wait "$WPID"
rc=$?
in_ns "$NS_R1" nft delete table inet r3stall
echo "host gone silent: the run took $(($(date +%s) - ts0)) s"
expect_eq "host gone silent: exit 1 (R2 dropped them)" "$rc" 1
check "host gone silent: one line naming it" \
	[ "$(grep -Ec "ssh://$R1A4/r1a: the capture (did not end|ended before)" "$TMPD/stall.err")" -eq 1 ]
check "host gone silent: not observed, the loss placed after it" grep -qx \
	"2 sent, not observed at r1in, 0 at rx: 2 vanished between s and rx" \
	"$TMPD/stall.out"
[ "$_FAILS" -eq 0 ] || show stall

finish
