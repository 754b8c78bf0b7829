#!/bin/sh
# ping_responder.sh: hdp ping --responder ssh://RECEIVER starts hdp listen
# --echo on the receiver over ssh (a real sshd in the receiver's
# namespace of tests/topo.sh's path), pings once it listens, and stops it
# after the run, also after a Ctrl-C (SIGINT) mid-run: no hdp listen is
# left in the receiver's namespace and no ssh in the sender's.  udp
# probes get --echo-udp.  A responder that cannot be started: one line,
# no probe sent, exit 4.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/topo.sh"
. "$top_srcdir/tests/ssh_lib.sh"
need_root
need_cmd python3
topo_up
ssh_setup
P=$(ssh_pathdir with-hdp)
sshd_start "$NS_D" "$D4" "$P"

left() { ns_procs "$NS_D" 'hdp listen' | wc -l; }
# replies FILE N: wait (10 s at most) until FILE holds N replies
replies() {
	_i=0
	while [ "$(grep -c 'bytes from' "$1")" -lt "$2" ] && [ $_i -lt 100 ]
	do
		sleep 0.1; _i=$((_i + 1))
	done
}

ip netns exec "$NS_S" timeout 60 "$HDP" ping -c 3 -i 0.2 -W 2 \
	--responder "ssh://$D4" "$D4" >"$TMPD/p.out" 2>"$TMPD/p.err"
expect_eq "ping -c 3 --responder: exit 0" "$?" 0
cat "$TMPD/p.out" "$TMPD/p.err"
expect_eq "3 replies" "$(grep -c "bytes from $D4: kind=hdp" "$TMPD/p.out")" 3
check "3 transmitted, 3 received" \
	grep -q '^3 packets transmitted, 3 received, 0% packet loss' \
	"$TMPD/p.out"
expect_eq "after the run: no hdp listen left on the receiver" "$(left)" 0

# udp compared: the responder also answers HDP-in-UDP
ip netns exec "$NS_S" timeout 60 "$HDP" ping -q -c 3 -i 0.1 -W 2 \
	--compare hdp,udp --responder "ssh://$D4" "$D4" >"$TMPD/u.out" \
	2>"$TMPD/u.err"
expect_eq "--compare hdp,udp --responder: exit 0" "$?" 0
expect_eq "both kinds answered" \
	"$(grep -c '^3 packets transmitted, 3 received' "$TMPD/u.out")" 2

# Ctrl-C mid-run
bg ip netns exec "$NS_S" timeout 60 "$HDP" ping -c 100 -i 0.2 \
	--responder "ssh://$D4" "$D4" >"$TMPD/c.out" 2>"$TMPD/c.err"
PPID_=$BG_PID
replies "$TMPD/c.out" 2
expect_eq "mid-run: the responder runs" "$(left)" 1
# timeout(1) passes the signal on to hdp
kill -INT "$PPID_"
wait "$PPID_"
rc=$?
check "after Ctrl-C: ping ended as ping(8) does (0 or 1, not killed): $rc" \
	test "$rc" -le 1
check "after Ctrl-C: the statistics, fewer than 100 sent" \
	grep -Eq '^[0-9] packets transmitted|^[1-9][0-9] packets transmitted' \
	"$TMPD/c.out"
expect_eq "after Ctrl-C: no hdp listen left on the receiver" "$(left)" 0
expect_eq "after Ctrl-C: no ssh left on the sender" \
	"$(ns_procs "$NS_S" 'ssh' | wc -l)" 0

# a responder that dies mid-run: its probes' losses are not the
# network's: said (naming the host), exit 4, never the 1 of a lossy path
bg ip netns exec "$NS_S" timeout 60 "$HDP" ping -c 15 -i 0.1 -W 1 \
	--responder "ssh://$D4" "$D4" >"$TMPD/d.out" 2>"$TMPD/d.err"
PPID_=$BG_PID
replies "$TMPD/d.out" 2
for p in $(ns_procs "$NS_D" 'hdp listen' | awk '{ print $1 }'); do
	kill -KILL "$p" 2>/dev/null
done
wait "$PPID_"
expect_eq "responder killed mid-run: exit 4" "$?" 4
check "responder killed mid-run: said, naming the host" \
	grep -q "^hdp ping: ssh://$D4: the command ended before the run did" \
	"$TMPD/d.err"
expect_eq "responder killed mid-run: no ssh left on the sender" \
	"$(ns_procs "$NS_S" 'ssh' | wc -l)" 0

# a responder that cannot be started: a wrong key
HDP_SSH=$SSH_WRONG ip netns exec "$NS_S" timeout 60 "$HDP" ping -c 3 \
	-i 0.2 --responder "ssh://$D4" "$D4" >"$TMPD/w.out" 2>"$TMPD/w.err"
expect_eq "wrong key: exit 4" "$?" 4
expect_eq "wrong key: one line" "$(wc -l <"$TMPD/w.err")" 1
check "wrong key: the line names the host and the refusal" \
	grep -q "^hdp ping: ssh://$D4: .*Permission denied" "$TMPD/w.err"
expect_eq "wrong key: no probe sent (nothing printed)" \
	"$(wc -c <"$TMPD/w.out")" 0
finish
