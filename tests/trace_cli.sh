#!/bin/sh
# trace_cli.sh: hdp trace's usage errors exit 2 with one line naming the
# bad part, before anything is sent; without privileges it exits 3 and
# says how to fix it.
. "$top_srcdir/tests/lib.sh"

bad() {
	desc=$1; shift
	"$HDP" trace "$@" >/dev/null 2>"$TMPD/err"; rc=$?
	expect_eq "$desc: exit 2" "$rc" 2
	[ "$(wc -l <"$TMPD/err")" -ge 1 ] || fail "$desc: no message"
}
bad "no destination"
bad "two destinations" 10.0.0.1 10.0.0.2
bad "-m 0" -m 0 10.0.0.1
bad "-m 256" -m 256 10.0.0.1
bad "-f beyond -m" -f 10 -m 5 10.0.0.1
bad "unknown probe kind" --probes hdp,gre 10.0.0.1
bad "bad wait" -w soon 10.0.0.1
bad "-P 256" -P 256 10.0.0.1
# a name that does not resolve, asked inside a namespace of our own: the
# resolver's query cannot leave the machine from there
if [ "$(id -u)" -eq 0 ]; then
	NSR=$(netns_add resolve)
	ip netns exec "$NSR" "$HDP" trace no-such-host.invalid >/dev/null \
		2>"$TMPD/err"
	expect_eq "unresolvable name: exit 2" "$?" 2
	grep -q "no-such-host.invalid" "$TMPD/err" ||
		fail "error names the host: $(cat "$TMPD/err")"
fi
"$HDP" trace --help | grep -q "^usage: hdp trace" || fail "--help"

if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all "$HDP" trace -m 2 -w 0 127.0.0.1 \
		>/dev/null 2>"$TMPD/err"; rc=$?
	expect_eq "unprivileged: exit 3" "$rc" 3
	grep -q "CAP_NET_RAW" "$TMPD/err" || fail "says how to fix it"
fi
finish
