#!/bin/sh
# survey_from.sh: hdp survey from two vantage points whose paths differ:
# local (the sender) and ssh://R2 (a real sshd in R2's namespace, the
# built hdp on its PATH).  R2 drops protocol 255 in its forward chain,
# which its own packets never cross: from the sender the receiver's HDP
# is broken (the walk names R2), from R2 it works: path_dependent.  A
# third point that cannot be reached fails in one line, the others go on,
# exit 1.  Kernel default ICMP rate limits.
. "$top_srcdir/tests/trace_lib.sh"
path_up default
. "$top_srcdir/tests/ssh_lib.sh"
ssh_setup
P=$(ssh_pathdir with-hdp)
sshd_start "$NS_R2" "$R2A4" "$P"
drop_hdp_at "$NS_R2"

V2="ssh://$R2A4"
in_ns "$NS_S" "$HDP" survey --from local --from "$V2" "$D4" "$R1A4" \
	-w 1 -o "$TMPD/out.json" --plot "$TMPD/p.svg" >"$TMPD/out.txt" \
	2>"$TMPD/err"
rc=$?
cat "$TMPD/out.txt" "$TMPD/err"
expect_eq "survey exits 0" "$rc" 0
J="$TMPD/out.json"
res() {  # VANTAGE TARGET PROTO FIELD
	jq_py "$J" "one(type='result',vantage='$1',target='$2',proto='$3')['$4']"
}
expect_eq "from local: receiver hdp broken" "$(res local "$D4" hdp category)" broken
expect_eq "from local: last responder R2" "$(res local "$D4" hdp last_responder)" "$R2A4"
expect_eq "from R2: receiver hdp works" "$(res "$V2" "$D4" hdp category)" works
expect_eq "from R2: evidence" "$(res "$V2" "$D4" hdp evidence)" proto_unreach
for p in 253 254 udp tcp icmp; do
	expect_eq "from local: receiver $p works" "$(res local "$D4" $p category)" works
	expect_eq "from R2: receiver $p works" "$(res "$V2" "$D4" $p category)" works
	expect_eq "from R2: R1 $p works" "$(res "$V2" "$R1A4" $p category)" works
done
expect_eq "path record" \
	"$(jq_py "$J" "[(p['target'],p['proto'],p['works_from'],p['broken_from']) for p in sel(type='path')]")" \
	"[('$D4', 'hdp', ['$V2'], ['local'])]"
expect_eq "summary of all: one path_dependent for hdp" \
	"$(jq_py "$J" "one(type='summary',vantage='all',proto='hdp')['path_dependent']")" 1
expect_eq "vantage records: one a point" \
	"$(jq_py "$J" "sorted(v['vantage'] for v in sel(type='vantage'))")" \
	"['local', '$V2']"
a=$(jq_py "$J" "one(type='vantage',vantage='$V2')['address']")
case $a in "$R2A4"|"$R2B4") ok "R2's address recorded ($a)";;
*) fail "R2's vantage address: $a";; esac
expect_eq "R2's kernel recorded" \
	"$(jq_py "$J" "one(type='vantage',vantage='$V2')['kernel'].split()[0]")" Linux
grep -q "path_dependent .*hdp 1" "$TMPD/out.txt" || fail "text: path_dependent"
grep -q "ssh://$R2A4" "$TMPD/p.svg" || fail "--plot: no bars for the ssh point"

# a rerun skips both points' pairs; a point that cannot be reached fails
# in one line, the others go on
in_ns "$NS_S" "$HDP" survey --from local --from "$V2" \
	--from ssh://10.0.3.99 "$D4" "$R1A4" "$R2A4" -w 1 --no-trace \
	-o "$TMPD/out.json" --json >"$TMPD/run2.json" 2>"$TMPD/err2"
rc=$?
cat "$TMPD/err2"
expect_eq "a point failed: exit 1" "$rc" 1
expect_eq "one line names the failed point" \
	"$(grep -c 'ssh://10.0.3.99' "$TMPD/err2")" 1
expect_eq "rerun: only the new target, from both working points" \
	"$(jq_py "$TMPD/run2.json" "sorted(set((r['vantage'],r['target']) for r in sel(type='result')))")" \
	"[('local', '$R2A4'), ('$V2', '$R2A4')]"
# nothing of survey is left running in R2
sleep 0.3
expect_eq "no survey left in R2" "$(ns_procs "$NS_R2" 'hdp survey')" ""
finish
