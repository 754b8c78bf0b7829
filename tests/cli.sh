#!/bin/sh
# cli.sh: the dispatcher: --help, --version, help CMD, unknown commands,
# and subcommands that are not built yet saying so with exit 2.
. "$top_srcdir/tests/lib.sh"

out=$("$HDP" --help); rc=$?
expect_eq "--help exits 0" "$rc" 0
for c in send sniff listen replay sweep trace where ping; do
	echo "$out" | grep -q "^  $c " || fail "--help lists $c"
	"$HDP" help "$c" >/dev/null; rc=$?
	expect_eq "help $c exits 0" "$rc" 0
done

v=$("$HDP" --version)
expect_eq "--version" "$v" "hdp $(sed -n 's/^AC_INIT(\[hdp\], \[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")"

"$HDP" bogus 2>"$TMPD/err"; rc=$?
expect_eq "unknown command exits 2" "$rc" 2
grep -q "unknown command 'bogus'" "$TMPD/err" || fail "unknown command message"

"$HDP" sen 2>/dev/null; rc=$?
expect_eq "prefixes are not commands" "$rc" 2

"$HDP" >/dev/null 2>&1; rc=$?
expect_eq "no command exits 2" "$rc" 2

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
