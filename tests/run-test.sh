#!/bin/sh
# run-test.sh TEST: how 'make check' runs every test (automake's
# LOG_COMPILER / SH_LOG_COMPILER flags point here).
#
#  - A time limit: HDP_TEST_TIMEOUT seconds (default 300), then the test's
#    whole process group is killed and it fails.  One hung test must not
#    eat CI's 90 minutes.
#  - Sanitizer builds (./configure --enable-sanitizers): ASan, LSan and
#    UBSan write their reports to files in a per-test directory instead of
#    standard error, so a test that compares or discards hdp's stderr still
#    cannot hide one.  Any report fails the test and is printed in its log.
#  - HDP_VALGRIND=1: $HDP becomes tests/valgrind-hdp.sh, which runs the real
#    binary (HDP_REAL) under valgrind; C test programs run under valgrind
#    too.  Any valgrind error or leak fails the test.
# Exit status: the test's own, or 1 when a report was found, or 99 when the
# time ran out.
test_path=$1
shift
name=$(basename "$test_path")
limit=${HDP_TEST_TIMEOUT:-300}

# world-writable and sticky: hdp may have dropped to nobody before it
# reports anything
repdir=$(mktemp -d "${TMPDIR:-/tmp}/hdp-rep-$name.XXXXXX") || exit 99
chmod 1777 "$repdir"
trap 'rm -rf "$repdir"' EXIT

ASAN_OPTIONS="log_path=$repdir/asan:detect_leaks=1:halt_on_error=1:exitcode=86:strict_string_checks=1:check_initialization_order=1:detect_invalid_pointer_pairs=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
UBSAN_OPTIONS="log_path=$repdir/ubsan:print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export ASAN_OPTIONS UBSAN_OPTIONS

wrap=""
if [ -n "${HDP_VALGRIND:-}" ]; then
	HDP_REAL=${HDP_REAL:-$HDP}
	HDP="$top_srcdir/tests/valgrind-hdp.sh"
	HDP_VG_LOGDIR=$repdir
	export HDP HDP_REAL HDP_VG_LOGDIR
	case $test_path in
	*.sh) ;;
	*) wrap="env HDP_VG_PROG=$test_path $HDP" ;;	# a C test program
	esac
fi

case $test_path in
*.sh) set -- ${SHELL:-/bin/sh} "$test_path" "$@" ;;
*) [ -n "$wrap" ] && set -- $wrap "$@" || set -- "$test_path" "$@" ;;
esac

if command -v timeout >/dev/null 2>&1; then
	timeout -k 10 "$limit" "$@"
	rc=$?
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "ERROR: $name: killed after the time limit of ${limit}s" \
			"(HDP_TEST_TIMEOUT)"
		rc=99
	fi
else
	"$@"
	rc=$?
fi

found=0
for f in "$repdir"/asan.* "$repdir"/ubsan.*; do
	[ -s "$f" ] || continue
	echo "==== sanitizer report $(basename "$f") ===="
	cat "$f"
	found=$((found + 1))
done
for f in "$repdir"/vg.*; do
	[ -s "$f" ] || continue
	if ! grep -q 'ERROR SUMMARY: 0 errors' "$f"; then
		echo "==== valgrind report $(basename "$f") ===="
		cat "$f"
		found=$((found + 1))
	fi
done
if [ "$found" -ne 0 ]; then
	echo "FAIL: $name: $found sanitizer/valgrind report(s) above"
	[ "$rc" -eq 0 ] || [ "$rc" -eq 77 ] && rc=1
fi
exit "$rc"
