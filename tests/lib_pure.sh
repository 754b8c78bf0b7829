#!/bin/sh
# libhdp never ends the process, never prints on its own and keeps no
# option state a program could set: it returns errors (the caller's error
# buffer, or an error code) and writes only to streams it was given.
#
# The rule, checked on every object of the library (the PIC objects of
# lib/libhdpcore.la, which make libhdp.so) with nm, so a new call is
# caught whoever adds it:
#   1. never referenced: exit, _Exit, quick_exit, abort, __assert_fail,
#      printf, vprintf, puts, putchar, perror, psignal, err/warn and
#      their v/x forms, error, error_at_line, getenv, secure_getenv,
#      setenv, putenv, unsetenv, system, popen, and the stream stderr.
#      fprintf/fputs/fwrite/putc stay allowed: they write to a FILE the
#      caller passed in (a printer's stream, a pcap dump).
#   2. stdin and stdout only in the objects that open the file "-" when
#      the caller names it (hdp_file.o, hdp_dump.o, hdp_capture.o).
#   3. _exit, fork and signal only in hdp_dropmon.o: its helper children
#      (never the caller's process) end with _exit and ignore signals.
#      atexit only in hdp_dropmon.o (removes the tracefs instances it
#      made) and hdp_file.o (sanitizer builds: closes privileged
#      descriptors before the leak check).
#   4. no object defines a variable with external linkage (nm B, D, C, G,
#      S): there is no global a program could set as an option.
#   5. no source file writes to descriptor 1 or 2 by number (nm cannot
#      see write(2, ...)): no write(), dprintf() or fdopen() of 1, 2,
#      STDOUT_FILENO or STDERR_FILENO in lib/*.c.
. "$top_srcdir/tests/lib.sh"
need_cmd nm

A="$top_builddir/lib/.libs/libhdpcore.a"
[ -f "$A" ] || fatal "$A not built"

# object: symbol, one line for each undefined symbol of each member
nm -u "$A" | awk '/^[^ ].*\.o:$/ { o = substr($0, 1, length($0) - 1); next }
	NF >= 2 { print o ": " $NF }' | sed 's/@.*//' > "$TMPD/undef"
[ -s "$TMPD/undef" ] || fatal "nm listed no undefined symbols in $A"

never='exit|_Exit|quick_exit|abort|__assert_fail|printf|vprintf|puts|putchar|perror|psignal|err|errx|warn|warnx|verr|verrx|vwarn|vwarnx|error|error_at_line|getenv|secure_getenv|setenv|putenv|unsetenv|system|popen|stderr'
bad=$(grep -E ": ($never)\$" "$TMPD/undef")
if [ -n "$bad" ]; then fail "library objects that exit, print or read the environment on their own: $(echo $bad)"; else ok "no exit, printing or getenv of its own"; fi

# only where a rule above allows it
allowed() {  # SYMBOLS OBJECTS
	bad=$(grep -E ": ($1)\$" "$TMPD/undef" | grep -Ev "^($2): ")
	if [ -n "$bad" ]; then fail "$1 used outside $2: $(echo $bad)"; else ok "$1 only in $2"; fi
}
allowed 'stdin|stdout' 'hdp_file.o|hdp_dump.o|hdp_capture.o'
allowed '_exit|fork|signal' 'hdp_dropmon.o'
allowed 'atexit' 'hdp_dropmon.o|hdp_file.o'

# the rule must see the calls it allows: a broken nm reading passes nothing
grep -q '^hdp_print.o: fwrite$' "$TMPD/undef" || fail "nm reading: hdp_print.o's fwrite not seen"

glob=$(nm --defined-only "$A" | awk '/^[^ ].*\.o:$/ { o = $0; next }
	$2 ~ /^[BDCGS]$/ { print o " " $3 }')
if [ -n "$glob" ]; then fail "global variables in libhdp: $(echo $glob)"; else ok "no global variables"; fi

fd=$(grep -nE '(write|dprintf|fdopen) *\( *([12]|STDOUT_FILENO|STDERR_FILENO) *,' "$top_srcdir"/lib/*.c)
if [ -n "$fd" ]; then fail "writes to descriptor 1 or 2: $fd"; else ok "no writes to descriptors 1 and 2"; fi

finish
