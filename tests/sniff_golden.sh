#!/bin/sh
# sniff_golden.sh: every line of tests/TESTLIST (NAME INPUT EXPECTED
# OPTIONS...) reads pcaps/INPUT with `hdp sniff -r INPUT OPTIONS` under
# TZ=GMT0 and compares standard output with tests/expected/EXPECTED,
# byte for byte, as tcpdump's test runner does.  Every run must exit 0.
# With REGEN=1 (tests/sniff_regen.sh) the outputs are written instead.
. "$top_srcdir/tests/lib.sh"

LIST="$top_srcdir/tests/TESTLIST"
EXP="$top_srcdir/tests/expected"
[ -f "$LIST" ] || fatal "no $LIST"
: "${REGEN:=0}"
count=0

while read -r name input expected opts; do
	case "$name" in ''|'#'*) continue ;; esac
	count=$((count + 1))
	eval "set -- $opts"
	TZ=GMT0 "$HDP" sniff -r "$top_srcdir/pcaps/$input" "$@" \
		>"$TMPD/$name.out" 2>"$TMPD/$name.err" </dev/null
	rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "$name: exit $rc: $(head -2 "$TMPD/$name.err")"
		continue
	fi
	if [ "$REGEN" = 1 ]; then
		cp "$TMPD/$name.out" "$EXP/$expected"
		echo "wrote tests/expected/$expected"
		continue
	fi
	if [ ! -f "$EXP/$expected" ]; then
		fail "$name: no tests/expected/$expected (run tests/sniff_regen.sh)"
	elif cmp -s "$EXP/$expected" "$TMPD/$name.out"; then
		ok "$name"
	else
		fail "$name: output differs from tests/expected/$expected"
		diff -u "$EXP/$expected" "$TMPD/$name.out" | head -30
	fi
done <"$LIST"

[ "$count" -gt 50 ] || fail "TESTLIST has only $count entries"
finish
