#!/bin/sh
# sniff_regen.sh: rewrite tests/expected/ from the current hdp, on purpose
# (a printer changed, a corpus file was added).  Run from the top of a
# built tree, then review every change with `git diff tests/expected`
# before committing it.
set -eu
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
HDP=${HDP:-$top_builddir/src/hdp}
mkdir -p "$top_srcdir/tests/expected"
REGEN=1 HDP=$HDP top_srcdir=$top_srcdir top_builddir=$top_builddir \
	sh "$top_srcdir/tests/sniff_golden.sh"
