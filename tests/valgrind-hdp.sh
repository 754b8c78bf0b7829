#!/bin/sh
# valgrind-hdp.sh ARGS...: run $HDP_VG_PROG (a C test program) or else
# $HDP_REAL (the hdp binary) under valgrind's memcheck, logging to
# $HDP_VG_LOGDIR/vg.PID (quiet: the log stays empty when all is clean).
# Errors and definite or indirect leaks count (run-test.sh reads the logs);
# the exit status is the program's, so the test goes on judging behaviour.
: "${HDP_VG_LOGDIR:=${TMPDIR:-/tmp}}"
prog=${HDP_VG_PROG:-$HDP_REAL}
# --vgdb=no: a child that execs another program (hdp ping --plot runs
# gnuplot) would otherwise log "could not unlink /tmp/vgdb-pipe-..."
exec valgrind -q --tool=memcheck --vgdb=no --leak-check=full \
	--errors-for-leak-kinds=definite,indirect \
	--show-leak-kinds=definite,indirect \
	--child-silent-after-fork=yes \
	--log-file="$HDP_VG_LOGDIR/vg.%p" "$prog" "$@"
