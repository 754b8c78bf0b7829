#!/bin/sh
# man_page.sh: man/hdp.1 is clean roff and follows the program: sections in
# `hdp --help`'s order, every option of `hdp help CMD` in its command's
# option list, none listed twice (tests/man_page.py).  Then it proves the
# check can fail: a copy with two sections swapped, and one with an option
# entry renamed, must each fail it.
. "$top_srcdir/tests/lib.sh"
need_cmd python3 groff

man="$top_srcdir/man/hdp.1"
py="$top_srcdir/tests/man_page.py"
warn=$(groff -man -ww -z "$man" 2>&1)
expect_eq "groff -man -ww: no warnings" "$warn" ""
if python3 "$py" "$HDP" "$man" >"$TMPD/out" 2>&1; then
	ok "man/hdp.1 follows hdp --help and hdp help CMD"
else
	fail "man/hdp.1 differs from hdp --help / hdp help CMD"
fi
cat "$TMPD/out"

# swap SEND and SNIFF's headings: the order check must see it
sed 's/^\.SH HDP SEND$/.SH HDP XSNIFF/; s/^\.SH HDP SNIFF$/.SH HDP SEND/; s/^\.SH HDP XSNIFF$/.SH HDP SNIFF/' \
	"$man" >"$TMPD/swapped.1"
python3 "$py" "$HDP" "$TMPD/swapped.1" >/dev/null 2>&1 &&
	fail "a man page with two sections swapped passes"
# rename sniff's -c entry to -k: the option list check must miss -c
sed '0,/^\.BI \\-c " count"$/s//.BI \\-k " count"/' "$man" >"$TMPD/nolisten.1"
cmp -s "$man" "$TMPD/nolisten.1" && fail "the -c entry was not removed"
python3 "$py" "$HDP" "$TMPD/nolisten.1" >/dev/null 2>&1 &&
	fail "a man page missing an option entry passes"
finish
