#!/bin/sh
# sniff_tty.sh: hdp sniff printing to a terminal keeps up (issue 16).
# The terminal is script(1)'s pty, in this test's own namespace; tcpdump
# runs the same way, side by side.  Counts only, never times (the
# figures are in bench/, case sniff_tty):
#   - a packet is shown while the capture runs, not only at its end
#     (no immediate mode on a terminal, but a short read timeout);
#   - a burst of 2,000 packets sent as fast as hdp send can is printed
#     whole (immediate mode's ring of a few dozen slots lost most of
#     it), and at least as much of it as tcpdump prints.
. "$top_srcdir/tests/lib.sh"
need_root
need_cmd ip tcpdump script timeout
"$HDP" help send 2>/dev/null | grep -q "not built yet" && skip "no hdp send"
NS=$(netns_add tty)
N=2000

# start NAME COMMAND: COMMAND under script(1) in the namespace, its
# standard output the pty (kept in NAME.ts), standard error in NAME.err;
# TOOL is the PID of the command itself, SP the one to wait for.
start() {
	name=$1 cmd=$2
	bg ip netns exec "$NS" timeout -s INT 60 script -qfc \
		"echo \$\$ >$TMPD/$name.pid; exec $cmd 2>$TMPD/$name.err" \
		"$TMPD/$name.ts" >/dev/null
	SP=$BG_PID
	i=0
	until grep -q listening "$TMPD/$name.err" 2>/dev/null ||
	      [ $i -ge 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	grep -q listening "$TMPD/$name.err" ||
		fatal "$name did not start: $(cat "$TMPD/$name.err")"
	TOOL=$(cat "$TMPD/$name.pid")
}
stop() { kill -INT "$TOOL"; wait "$SP"; }
# shown NAME: packet lines on NAME's terminal (they start with the time)
shown() { grep -c '^[0-9].* > ' "$TMPD/$1.ts"; }
send() {
	ip netns exec "$NS" "$HDP" send -q "$@" 127.0.0.1 >/dev/null ||
		fatal "hdp send $*"
}

# 1. one packet, on the terminal while sniff still runs
start one "$HDP sniff -n -i lo"
send -c 1
i=0
until [ "$(shown one)" -ge 1 ] || [ $i -ge 50 ]; do
	sleep 0.1; i=$((i + 1))
done
expect_eq "one packet shown while the capture runs" "$(shown one)" 1
stop

# 2. a burst: all of it, and no less than tcpdump
for t in hdp tcpdump; do
	if [ "$t" = hdp ]; then
		start "$t" "$HDP sniff -n -i lo"
	else
		start "$t" "tcpdump -n -i lo 'ip[9] == 255'"
	fi
	send --flood -c "$N"
	# until the lines stop coming (the terminal drains at its pace)
	last=-1 i=0
	while [ "$(shown "$t")" -ne "$last" ] && [ $i -lt 60 ]; do
		last=$(shown "$t"); sleep 1.5; i=$((i + 1))
	done
	stop
done
h=$(shown hdp) t=$(shown tcpdump)
echo "burst of $N on a terminal: hdp printed $h, tcpdump $t"
expect_eq "hdp on a terminal: the whole burst printed" "$h" "$N"
check "hdp on a terminal: no fewer lines than tcpdump ($h, $t)" \
	[ "$h" -ge "$t" ]
grep -qx "0 packets dropped by kernel" "$TMPD/hdp.err" ||
	fail "hdp: kernel drops: $(grep dropped "$TMPD/hdp.err")"
finish
