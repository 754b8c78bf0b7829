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

# one voice (issue 16): one line naming what is wrong, then where to
# look (never the whole help); '-1' is out of range; options may follow
# DEST; nothing on standard output
voice() {
	desc=$1 want_rc=$2 want=$3; shift 3
	"$@" >"$TMPD/out" 2>"$TMPD/err" </dev/null; rc=$?
	expect_eq "$desc: exit $want_rc" "$rc" "$want_rc"
	expect_eq "$desc: the message" "$(head -n 1 "$TMPD/err")" "$want"
	if [ "$want_rc" -eq 2 ]; then
		expect_eq "$desc: then where to look, nothing more" \
			"$(sed 1d "$TMPD/err")" "try 'hdp help trace'"
	else
		expect_eq "$desc: one line" "$(wc -l <"$TMPD/err" | tr -d ' ')" 1
	fi
	check "$desc: nothing on standard output" [ ! -s "$TMPD/out" ]
}
voice "unknown option" 2 "hdp trace: -k: unknown option" \
	"$HDP" trace -k 10.0.0.1
voice "missing argument" 2 "hdp trace: -m: needs an argument" \
	"$HDP" trace 10.0.0.1 -m
voice "-m -1" 2 "hdp trace: -m '-1' is out of range 1-255" \
	"$HDP" trace -m -1 10.0.0.1
voice "-m after DEST" 2 "hdp trace: -m '0' is out of range 1-255" \
	"$HDP" trace 10.0.0.1 -m 0
voice "-w -1" 2 "hdp trace: -w '-1' is out of range 0-600" \
	"$HDP" trace -w -1 10.0.0.1
voice "-w text" 2 "hdp trace: -w 'soon' is not a number of seconds" \
	"$HDP" trace -w soon 10.0.0.1
voice "--tos -1" 2 "hdp trace: --tos '-1' is out of range 0-255" \
	"$HDP" trace --tos -1 10.0.0.1
voice "--probes" 2 \
	"hdp trace: --probes 'hdp,gre' is not a list of hdp, udp, tcp, icmp" \
	"$HDP" trace --probes hdp,gre 10.0.0.1
voice "no destination" 2 "hdp trace: no destination given" "$HDP" trace
voice "scope naming no interface" 4 \
	"hdp trace: fe80::1%nosuch0: no such interface" \
	"$HDP" trace -m 2 'fe80::1%nosuch0'
if [ "$(id -u)" -eq 0 ]; then
	NSV=$(netns_add voice)
	voice "no route" 4 \
		"hdp trace: no route to 10.9.9.9: Network is unreachable" \
		ip netns exec "$NSV" "$HDP" trace -m 2 -w 0 10.9.9.9
fi

if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all "$HDP" trace -m 2 -w 0 127.0.0.1 \
		>/dev/null 2>"$TMPD/err"; rc=$?
	expect_eq "unprivileged: exit 3" "$rc" 3
	grep -q "CAP_NET_RAW" "$TMPD/err" || fail "says how to fix it"
	expect_eq "unprivileged: one line" "$(wc -l <"$TMPD/err")" 1
fi
finish
