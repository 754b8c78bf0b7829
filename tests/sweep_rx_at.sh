#!/bin/sh
# sweep_rx_at.sh: hdp sweep --rx-at ssh://RECEIVER runs the receiving half
# (hdp listen -P LIST --json) on the receiver over ssh and joins it, on
# tests/topo.sh's sender-R1-R2-receiver path with a real sshd in the
# receiver's namespace.  R2 drops protocols 17 and 253 (nftables,
# forward).  Judged against the halves run by hand on the same path and
# joined with --join: per number, the same verdict and counts (JSON).
# Then a receiver that refuses our key: one line naming it, the local
# result still printed with the receiver's side not observed (arrived
# null, left_sender, never never_arrived), exit 4; and nothing left
# running in the receiver's namespace.  A listener killed mid-sweep, or
# one that ends with a failure status once stopped (its lines miss
# datagrams), leaves every number not observed, exit 4.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/topo.sh"
. "$top_srcdir/tests/ssh_lib.sh"
need_root
need_cmd python3 nft
topo_up
ssh_setup
P=$(ssh_pathdir with-hdp)
sshd_start "$NS_D" "$D4" "$P"

in_ns "$NS_R2" nft -f - <<'NFT' || fatal "nft R2"
table inet hdptest {
	chain f { type filter hook forward priority 0;
		  ip protocol { 17, 253 } drop; }
}
NFT
LIST=1,6,17,200,253,255

# hdp listen -P 6 over ssh (as --rx-at runs it) does not report its own
# ssh session: each such line went back over it as TCP segments, each a
# line again (a loop of ~15000 lines in 2 s on an idle link here)
# shellcheck disable=SC2086
in_ns "$NS_S" timeout 20 $HDP_SSH "$D4" hdp listen -P 6 --json -4 -t 2 \
	>"$TMPD/idle.json" 2>/dev/null
expect_eq "listen over ssh, idle: no line of its own ssh session" \
	"$(grep -c '"proto":6' "$TMPD/idle.json")" 0
SW="sweep $D4 -P $LIST -c 2 --wait 300"

# the halves by hand, joined with --join
bg ip netns exec "$NS_D" "$HDP" listen -P "$LIST" --json -4 -t 30 \
	>"$TMPD/rx.json" 2>"$TMPD/rx.err"
LPID=$BG_PID
i=0
while ! grep -q "listening on" "$TMPD/rx.err" && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
in_ns "$NS_S" "$HDP" $SW -o "$TMPD/tx.json" >/dev/null 2>"$TMPD/tx.err"
sleep 0.3
kill "$LPID"; wait "$LPID" 2>/dev/null
"$HDP" sweep --join "$TMPD/tx.json" "$TMPD/rx.json" --json \
	>"$TMPD/joined.json" 2>"$TMPD/joined.err"
expect_eq "--join of the hand-run halves: exit 1 (17, 253 lost)" "$?" 1

# the same sweep with the receiver run over ssh
in_ns "$NS_S" timeout 60 "$HDP" $SW --rx-at "ssh://$D4" --json \
	>"$TMPD/rxat.json" 2>"$TMPD/rxat.err"
expect_eq "--rx-at: exit 1 (17, 253 lost), as --join" "$?" 1
cat "$TMPD/rxat.err"

# per number: verdict, sent, on_wire, arrived, delivered
rows() {
	python3 - "$1" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    print(r['proto'], r['verdict'], r['sent'], r['on_wire'],
          r['arrived'], r['delivered'], r['dest'])
PY
}
rows "$TMPD/joined.json" >"$TMPD/joined.rows" || fail "joined JSON"
rows "$TMPD/rxat.json" >"$TMPD/rxat.rows" || fail "--rx-at JSON"
check "--rx-at gives --join's verdicts and counts, number by number" \
	cmp "$TMPD/joined.rows" "$TMPD/rxat.rows"
v() { awk -v p="$1" '$1 == p { print $2, $5, $6 }' "$TMPD/rxat.rows"; }
# unseen NAME: NAME.json's rows whose receiver side reads not observed
unseen() {
	rows "$TMPD/$1.json" >"$TMPD/$1.rows" || fail "$1: JSON"
	awk '$2 == "left_sender" && $5 == "None"' "$TMPD/$1.rows" | wc -l
}
expect_eq "17: dropped at R2, never arrived" "$(v 17)" "never_arrived 0 0"
expect_eq "253: dropped at R2, never arrived" "$(v 253)" \
	"never_arrived 0 0"
expect_eq "255: delivered to the receiver's socket" "$(v 255)" \
	"delivered 2 2"
expect_eq "200: delivered to the receiver's socket" "$(v 200)" \
	"delivered 2 2"
expect_eq "no hdp listen left on the receiver" \
	"$(ns_procs "$NS_D" 'hdp listen' | wc -l)" 0

# a receiver that refuses our key
HDP_SSH=$SSH_WRONG in_ns "$NS_S" timeout 60 "$HDP" $SW \
	--rx-at "ssh://$D4" --json >"$TMPD/wrong.json" 2>"$TMPD/wrong.err"
expect_eq "wrong key: exit 4" "$?" 4
grep -v '^hdp sweep: [0-9]* packets to ' "$TMPD/wrong.err" \
	>"$TMPD/wrong.lines"
expect_eq "wrong key: one line" "$(wc -l <"$TMPD/wrong.lines")" 1
check "wrong key: the line names the receiver and the refusal" \
	grep -q "^hdp sweep: ssh://$D4: .*Permission denied" \
	"$TMPD/wrong.lines"
rows "$TMPD/wrong.json" >"$TMPD/wrong.rows" || fail "wrong key: JSON"
expect_eq "wrong key: the local result, every number sent" \
	"$(wc -l <"$TMPD/wrong.rows")" 6
expect_eq "wrong key: the receiver's side not observed (never a drop)" \
	"$(awk '$2 != "left_sender" || $5 != "None" || $6 != "None"' \
	   "$TMPD/wrong.rows" | wc -l)" 0
HDP_SSH=$SSH_WRONG in_ns "$NS_S" timeout 60 "$HDP" $SW -P 255 \
	--rx-at "ssh://$D4" >"$TMPD/wrong.txt" 2>/dev/null
check "wrong key, text: ? for arrived and delivered" \
	grep -q '^255 libnet  2/2/?/?  *left_sender' "$TMPD/wrong.txt"
check "wrong key, text: the receiver reads not observed" \
	grep -q "^(receiver ssh://$D4: not observed)" "$TMPD/wrong.txt"
expect_eq "no hdp listen left on the receiver" \
	"$(ns_procs "$NS_D" 'hdp listen' | wc -l)" 0

# a receiver whose listener dies mid-sweep saw only part of it: not
# observed, never "never arrived"
bg ip netns exec "$NS_S" timeout 60 "$HDP" $SW --wait 4000 \
	--rx-at "ssh://$D4" --json >"$TMPD/died.json" 2>"$TMPD/died.err"
SPID=$BG_PID
i=0
while [ -z "$(ns_procs "$NS_D" 'hdp listen')" ] && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
sleep 1
for p in $(ns_procs "$NS_D" 'hdp listen' | awk '{ print $1 }'); do
	kill -KILL "$p" 2>/dev/null
done
wait "$SPID"
expect_eq "listener killed mid-sweep: exit 4" "$?" 4
check "listener killed mid-sweep: said, naming the receiver" \
	grep -q "^hdp sweep: ssh://$D4: the command ended before the run did" \
	"$TMPD/died.err"
expect_eq "listener killed mid-sweep: every number not observed" \
	"$(unseen died)" 6
expect_eq "no ssh left on the sender" \
	"$(ns_procs "$NS_S" 'ssh' | wc -l)" 0

# a receiver that fails at its end (hdp listen exits 1 when the kernel
# dropped datagrams its sockets should have had; here a stand-in on the
# remote side that says so): its lines miss some, so not observed, exit
# 4, never a verdict on its word
cat >"$TMPD/droplisten" <<EOF
#!/bin/sh
case "\$1" in
listen)
	echo "listening on any" >&2
	trap 'kill \$! 2>/dev/null; echo "hdp listen: 3 dropped by the kernel" >&2; exit 1' TERM
	sleep 30 &
	wait
	exit 0;;
esac
exec "$SSH_DIR/path-with-hdp/hdp" "\$@"
EOF
chmod 755 "$TMPD/droplisten"
in_ns "$NS_S" timeout 60 "$HDP" $SW --remote-hdp "$TMPD/droplisten" \
	--rx-at "ssh://$D4" --json >"$TMPD/fail.json" 2>"$TMPD/fail.err"
expect_eq "receiver fails at its end: exit 4" "$?" 4
cat "$TMPD/fail.err"
check "receiver fails at its end: said, with its status and last line" \
	grep -q "^hdp sweep: ssh://$D4: the command ended with status 1: hdp listen: 3 dropped" \
	"$TMPD/fail.err"
expect_eq "receiver fails at its end: every number not observed" \
	"$(unseen fail)" 6
finish
