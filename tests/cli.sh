#!/bin/sh
# cli.sh: the dispatcher: --help, --version, help CMD, unknown commands,
# and subcommands that are not built yet saying so with exit 2.
. "$top_srcdir/tests/lib.sh"

out=$("$HDP" --help); rc=$?
expect_eq "--help exits 0" "$rc" 0
for c in send sniff listen replay sweep trace where ping; do
	echo "$out" | grep -q "^  $c " || fail "--help lists $c"
	"$HDP" help "$c" >"$TMPD/h1" 2>"$TMPD/e1"; rc=$?
	expect_eq "help $c exits 0" "$rc" 0
	[ -s "$TMPD/h1" ] && [ ! -s "$TMPD/e1" ] ||
		fail "help $c: on standard output only"
	"$HDP" "$c" --help >"$TMPD/h2" 2>/dev/null; rc=$?
	expect_eq "$c --help exits 0" "$rc" 0
	cmp -s "$TMPD/h1" "$TMPD/h2" || fail "help $c is $c --help"
	"$HDP" "$c" -h >"$TMPD/h3" 2>/dev/null; rc=$?
	expect_eq "$c -h exits 0" "$rc" 0
	cmp -s "$TMPD/h1" "$TMPD/h3" || fail "help $c is $c -h"
done

v=$("$HDP" --version)
expect_eq "--version" "$v" "hdp $(sed -n 's/^AC_INIT(\[hdp\], \[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")"

"$HDP" bogus 2>"$TMPD/err"; rc=$?
expect_eq "unknown command exits 2" "$rc" 2
expect_eq "unknown command: two lines" "$(cat "$TMPD/err")" \
"hdp: bogus: unknown command
try 'hdp --help'"
"$HDP" help bogus 2>"$TMPD/err" >/dev/null; rc=$?
expect_eq "help of an unknown command exits 2" "$rc" 2
expect_eq "help bogus: the same message" "$(sed -n 1p "$TMPD/err")" \
	"hdp: bogus: unknown command"

"$HDP" sen 2>/dev/null; rc=$?
expect_eq "prefixes are not commands" "$rc" 2

"$HDP" >/dev/null 2>"$TMPD/err"; rc=$?
expect_eq "no command exits 2" "$rc" 2
expect_eq "no command: two lines, not the whole usage" \
	"$(wc -l <"$TMPD/err")" 2

# A subcommand still under construction must say so, never pretend.
for c in send sniff listen replay sweep trace where ping; do
	if "$HDP" help "$c" | grep -q "not built yet"; then
		"$HDP" "$c" 2>"$TMPD/err" >/dev/null; rc=$?
		expect_eq "$c not built: exit 2" "$rc" 2
		grep -q "not built yet" "$TMPD/err" || fail "$c says not built"
	fi
done

# The man page renders and documents every command.
if command -v man >/dev/null 2>&1; then
	MANWIDTH=80 man -l "$top_srcdir/man/hdp.1" >"$TMPD/man" 2>/dev/null
	for c in send sniff listen replay sweep trace where ping; do
		grep -q "hdp $c" "$TMPD/man" || fail "hdp.1 documents $c"
	done
fi
finish
