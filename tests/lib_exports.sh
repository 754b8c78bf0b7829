#!/bin/sh
# libhdp.so exports exactly the documented API: the names in
# lib/libhdp.sym, no more (an internal function leaking out would become
# ABI) and no fewer; each is declared in an installed header (include/hdp)
# and documented in libhdp(3); every function those headers declare is
# exported; the soname is libhdp.so.0; and the man pages render without a
# warning (groff -ww).
. "$top_srcdir/tests/lib.sh"
need_cmd nm objdump groff

SO="$top_builddir/lib/.libs/libhdp.so"
SYM="$top_srcdir/lib/libhdp.sym"
MAN="$top_srcdir/man/libhdp.3"
[ -f "$SO" ] || fatal "$SO not built"

LC_ALL=C sort -u "$SYM" > "$TMPD/want"
[ "$(wc -l < "$TMPD/want")" -gt 20 ] || fatal "$SYM lists too few names"
# every defined dynamic symbol: functions (T) and data (D, B, R ...)
nm -D --defined-only "$SO" | awk '{ print $3 }' | grep -v '^$' |
	LC_ALL=C sort -u > "$TMPD/got"
if cmp -s "$TMPD/want" "$TMPD/got"; then
	ok "libhdp.so exports exactly lib/libhdp.sym ($(wc -l < "$TMPD/want") names)"
else
	fail "exports differ from lib/libhdp.sym (< sym, > library): $(diff "$TMPD/want" "$TMPD/got" | grep '^[<>]' | tr '\n' ' ')"
fi

soname=$(objdump -p "$SO" | awk '$1 == "SONAME" { print $2 }')
expect_eq "soname" "$soname" "libhdp.so.0"

# the functions the public headers declare, comments left out by cpp
${CC:-cc} -E -P -I"$top_srcdir/include" - > "$TMPD/cpp" <<'C' || fatal "cpp on include/hdp"
#include <sys/socket.h>
#include <hdp/hdp.h>
#include <hdp/build.h>
#include <hdp/print.h>
C
grep -oE '\bhdp_[a-z0-9_]+ *\(' "$TMPD/cpp" | tr -d ' (' | LC_ALL=C sort -u > "$TMPD/decl"
missing=$(LC_ALL=C comm -23 "$TMPD/decl" "$TMPD/want")
if [ -z "$missing" ]; then ok "every function of include/hdp is exported"; else fail "declared in include/hdp but not in libhdp.sym: $(echo $missing)"; fi
undecl=$(LC_ALL=C comm -13 "$TMPD/decl" "$TMPD/want")
if [ -z "$undecl" ]; then ok "every export is declared in include/hdp"; else fail "exported but declared in no public header: $(echo $undecl)"; fi

# documented: in the SYNOPSIS (name followed by '(') and described
# (.BR name () in the text)
undoc=""
while read -r s; do
	grep -qE "(^|[ \"*])$s\\(" "$MAN" && grep -qE "^\\.BR $s \\(\\)" "$MAN" ||
		undoc="$undoc $s"
done < "$TMPD/want"
if [ -z "$undoc" ]; then ok "every export is in libhdp(3)'s synopsis and text"; else fail "not documented in man/libhdp.3:$undoc"; fi

for m in "$MAN" "$top_srcdir/man/hdp.1"; do
	w=$(groff -man -ww -z "$m" 2>&1)
	if [ -z "$w" ]; then ok "$(basename "$m") renders without warnings"; else fail "$(basename "$m"): $w"; fi
done

finish
