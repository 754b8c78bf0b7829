#!/bin/sh
# sniff_judges.sh: for every file in pcaps/, tshark running our dissector
# (dissect/hdp.lua) and tcpdump agree with `hdp sniff --json` on every field
# of every packet (tests/sniff_judge.py does the comparing).  A Lua error,
# in the output or on standard error, fails the test: tshark exits 0 even
# when a script fails to load or throws.
. "$top_srcdir/tests/lib.sh"
need_cmd tshark tcpdump python3
# tshark loads only the dissector of this tree: a personal plugin folder
# (where another checkout's `make install` may have put an older hdp.lua)
# would register "hdp" first
HOME=$TMPD; export HOME

LUA="$top_srcdir/dissect/hdp.lua"
FIELDS=$(python3 -c "
import sys; sys.path.insert(0, '$top_srcdir/tests')
import sniff_judge; print(' '.join('-e ' + f for f in sniff_judge.TSHARK_FIELDS))")
[ -n "$FIELDS" ] || fatal "cannot read the field list from sniff_judge.py"

# The dissector loads and fills its fields (tshark -G does not run Lua).
tshark -X lua_script:"$LUA" -n -r "$top_srcdir/pcaps/lo4.pcap" -T fields \
	-e hdp.srcport -e hdp.dstport -e hdp.timestamp -e hdp.latency \
	-e hdp.payload -E separator=/s >"$TMPD/fields" 2>"$TMPD/lerr"
expect_eq "dissector: a line per packet" "$(wc -l <"$TMPD/fields")" 5
if awk 'NF < 4 { bad = 1 } END { exit !bad }' "$TMPD/fields"; then
	fail "dissector leaves fields empty: $(head -2 "$TMPD/fields")"
fi
grep -q "Lua" "$TMPD/lerr" && fail "Lua error loading hdp.lua: $(cat "$TMPD/lerr")"

for f in "$top_srcdir"/pcaps/*.pcap "$top_srcdir"/pcaps/*.pcapng; do
	b=$(basename "$f")
	"$HDP" sniff -r "$f" --filter '' --json >"$TMPD/$b.json" 2>/dev/null ||
		fail "$b: hdp sniff failed"
	# shellcheck disable=SC2086
	tshark -X lua_script:"$LUA" -o ip.defragment:FALSE \
		-o ipv6.defragment:FALSE -n -r "$f" -T fields \
		-E occurrence=f $FIELDS >"$TMPD/$b.tsv" 2>"$TMPD/$b.terr"
	tshark -X lua_script:"$LUA" -n -r "$f" -V >"$TMPD/$b.V" 2>>"$TMPD/$b.terr"
	if grep -q "Lua Error" "$TMPD/$b.V" "$TMPD/$b.terr"; then
		fail "$b: Lua Error: $(grep -h "Lua Error" "$TMPD/$b.V" "$TMPD/$b.terr" | head -2)"
	fi
	tcpdump -n -tt --nano -v -x -r "$f" >"$TMPD/$b.td" 2>/dev/null
	if python3 "$top_srcdir/tests/sniff_judge.py" "$b" "$TMPD/$b.json" \
		"$TMPD/$b.tsv" "$TMPD/$b.td" >"$TMPD/$b.res"; then
		ok "$(tail -1 "$TMPD/$b.res")"
	else
		fail "$b: the judges disagree:"
		head -20 "$TMPD/$b.res"
	fi
done

# The judge itself can fail: a changed field must be caught.
b=lo4.pcap
sed 's/"sport":420/"sport":421/' "$TMPD/$b.json" >"$TMPD/bad.json"
if python3 "$top_srcdir/tests/sniff_judge.py" bad "$TMPD/bad.json" \
	"$TMPD/$b.tsv" "$TMPD/$b.td" >/dev/null; then
	fail "sniff_judge.py accepted a wrong source port"
else
	ok "a wrong field is caught"
fi
finish
