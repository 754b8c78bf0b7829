#!/bin/sh
# harden_fuzz_regress.sh: every input that once crashed a fuzz harness (and
# the hand-made edge cases beside them) still runs clean.  The replay
# programs link the same harness source as 'make fuzz' does, with a plain
# main instead of libFuzzer, so this runs in the normal build, the
# sanitizer build (where ASan/UBSan judge it) and under valgrind.
. "$top_srcdir/tests/lib.sh"

n=0
for h in frame parse offline join where args rewrite; do
	prog="$top_builddir/tests/fuzz_${h}_replay"
	dir="$top_srcdir/tests/fuzz-regress/$h"
	[ -x "$prog" ] || fatal "$prog not built"
	[ -d "$dir" ] || fatal "$dir missing"
	"$prog" "$dir" >"$TMPD/$h.out" 2>&1; rc=$?
	cat "$TMPD/$h.out"
	expect_eq "fuzz_$h replays tests/fuzz-regress/$h" "$rc" 0
	c=$(grep -c '^ok ' "$TMPD/$h.out")
	[ "$c" -ge 1 ] || fail "fuzz_$h: no inputs replayed"
	n=$((n + c))
done

# The driver must be able to fail: an input it cannot run is an error.
"$top_builddir/tests/fuzz_frame_replay" "$TMPD/does-not-exist" \
	>/dev/null 2>&1; rc=$?
expect_eq "replay driver fails on a missing input" "$rc" 2
echo "$n inputs replayed"
finish
