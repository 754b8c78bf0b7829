#!/bin/sh
# harden_privs.sh: least privilege.  A subcommand started as root runs as
# nobody (or -Z USER) once its capture handle is open, with every
# capability set empty (the bounding set too), no supplementary group,
# no_new_privs, and not dumpable (no other process of that user may take
# its raw socket with pidfd_getfd: the sanitizer build too); a copy of
# the binary given cap_net_raw,cap_net_admin+ep works for an unprivileged
# user and drops both capabilities after opening; without them it fails
# with exit 3.  /proc/PID/status of the running process is the judge, and
# the capture must still see a packet sent after the drop.  sniff is
# checked throughout; replay, ping and sweep (which open their senders up
# front) as root, with -Z root, and with file capabilities, each still
# doing its job after the drop.  Section 7 is the matrix: every
# subcommand, caught while it reads or waits for its input (offline ones:
# a FIFO whose writer holds back, so the check comes before the first
# byte is parsed).  Section 8: output files as root in a sticky
# world-writable directory (another user's file, a FIFO, a device node,
# --force), and ping --plot removing only the file it created.  Section 9
# (sanitizer build): nothing of hdp's can be taken in the moment the leak
# check makes the process dumpable at exit.
. "$top_srcdir/tests/lib.sh"
need_root
need_cmd setcap setpriv ip
bin=${HDP_REAL:-$HDP}
NS=$(netns_add privs)
nobody_uid=$(id -u nobody) || skip "no user nobody"
nobody_gid=$(id -g nobody)
chmod 755 "$TMPD"

# a user of our own with supplementary groups, for -Z: initgroups() would
# give it adm; removed on exit, also on failure
zuser=hdpz$$
if command -v useradd >/dev/null 2>&1 &&
   useradd -M -N -r -s /usr/sbin/nologin -G adm "$zuser" 2>/dev/null; then
	trap 'userdel "$zuser" 2>/dev/null; cleanup' EXIT
else
	zuser=""
fi

# a python3 that nobody may run (pyenv shims in root's home are not)
PY=""
for p in /usr/bin/python3 /usr/local/bin/python3; do
	[ -x "$p" ] && PY=$p && break
done
# steal.py PID: take every descriptor of PID with pidfd_getfd (what another
# process of the same user could do to a dumpable hdp); prints how many
cat >"$TMPD/steal.py" <<'PYEOF'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
try:
    pfd = os.pidfd_open(int(sys.argv[1]))
except OSError as e:
    print("pidfd_open:", e.strerror); sys.exit(0)
got = 0
for n in range(256):
    r = libc.syscall(438, pfd, n, 0)        # pidfd_getfd
    if r >= 0:
        got += 1
        os.close(r)
print(got)
PYEOF
chmod 644 "$TMPD/steal.py"

# field PID NAME: one field of /proc/PID/status ("Uid" gives the real uid)
field() { awk -v k="$2:" '$1 == k { print $2; exit }' "/proc/$1/status" 2>/dev/null; }
# env_owner PID: the kernel shows /proc/PID/environ as root's when PID is
# not dumpable (task_dump_owner), as its user's when it is
env_owner() { stat -c %u "/proc/$1/environ" 2>/dev/null; }

# expect_nodump LABEL PID: PID (running as nobody) cannot be taken apart by
# another process of nobody's
expect_nodump() {
	expect_eq "$1: not dumpable (/proc/PID/environ is root's)" \
		"$(env_owner "$2")" 0
	[ -n "$PY" ] || return 0
	expect_eq "$1: pidfd_getfd as nobody takes no descriptor" \
		"$(setpriv --reuid="$nobody_uid" --regid="$nobody_gid" \
			--clear-groups -- "$PY" "$TMPD/steal.py" "$2")" 0
}

# all four uids/gids of PID
ids() { awk '$1 == "Uid:" || $1 == "Gid:" { print $2, $3, $4, $5 }' "/proc/$1/status" | tr '\n' ' '; }

# wait_field PID NAME VALUE: until /proc/PID/status says so (5 s)
wait_field() {
	i=0
	while [ "$(field "$1" "$2")" != "$3" ] && [ "$i" -lt 50 ]; do
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.1; i=$((i + 1))
	done
	[ "$(field "$1" "$2")" = "$3" ]
}

# sniff_run NAME [RUNAS...] -- [SNIFF ARGS...]: start hdp sniff -c 1 on the
# namespace's lo in the background; BG_PID is the sniff process itself.
sniff_start() {
	out=$1; shift
	bg ip netns exec "$NS" "$@" sniff -i lo -c 1 -n >"$TMPD/$out.out" \
		2>"$TMPD/$out.err"
}

# send_one: one HDP packet on the namespace's lo, as root
send_one() {
	ip netns exec "$NS" "$bin" send -c 1 -Z root --data priv 127.0.0.1 \
		>/dev/null 2>&1 || fail "hdp send"
}

# wait_exit PID: rc=its exit status, or 124 after 10 s (it is killed).
# Not in a $(...) subshell: only this shell can reap its child.
wait_exit() {
	i=0
	while ps -o stat= -p "$1" 2>/dev/null | grep -qv Z &&
	      [ "$i" -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	if ps -o stat= -p "$1" 2>/dev/null | grep -qv Z; then
		kill "$1"; wait "$1"; rc=124
	else
		wait "$1"; rc=$?
	fi
}

zero=0000000000000000

# wait_socket PID: until PID holds a socket (its capture handle), then a
# moment for pcap_activate to finish (5 s)
wait_socket() {
	i=0
	while ! ls -l "/proc/$1/fd" 2>/dev/null | grep -q 'socket:' &&
	      [ "$i" -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	sleep 0.3
}

# expect_nobody LABEL PID ERRFILE: PID, started as root, becomes nobody
# with every capability set empty and no_new_privs (5 s)
expect_nobody() {
	if wait_field "$2" Uid "$nobody_uid"; then
		expect_eq "$1: uids and gids are nobody's" "$(ids "$2")" \
			"$nobody_uid $nobody_uid $nobody_uid $nobody_uid $nobody_gid $nobody_gid $nobody_gid $nobody_gid "
		for k in CapInh CapPrm CapEff CapBnd CapAmb; do
			expect_eq "$1: $k empty" "$(field "$2" $k)" $zero
		done
		expect_eq "$1: NoNewPrivs" "$(field "$2" NoNewPrivs)" 1
		expect_eq "$1: no supplementary groups" \
			"$(field "$2" Groups)" ""
		expect_nodump "$1" "$2"
	else
		fail "$1: never switched to nobody: $(cat "$3")"
	fi
}

# expect_capless LABEL PID: PID, started as nobody from a binary with file
# capabilities, empties its sets once its handles are open (5 s)
expect_capless() {
	i=0
	while [ "$(field "$2" CapPrm)" != $zero ] && [ "$i" -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	expect_eq "$1: runs as nobody" "$(field "$2" Uid)" "$nobody_uid"
	for k in CapInh CapPrm CapEff CapAmb; do
		expect_eq "$1: $k empty after opening" "$(field "$2" $k)" $zero
	done
	expect_eq "$1: NoNewPrivs" "$(field "$2" NoNewPrivs)" 1
	expect_nodump "$1" "$2"
}

# stays_root NAME RC ARGS...: hdp ARGS (with -Z root) in the namespace is
# still uid 0 once its socket is open, and exits RC
stays_root() {
	name=$1 want=$2; shift 2
	bg ip netns exec "$NS" "$bin" "$@" >/dev/null 2>"$TMPD/$name-root.err"
	pid=$BG_PID
	wait_socket "$pid"
	expect_eq "$name -Z root: still uid 0" "$(field "$pid" Uid)" 0
	wait_exit "$pid"
	expect_eq "$name -Z root: exits $want" "$rc" "$want"
}

# ---- 1. root, no -Z: runs as nobody with nothing left ---------------------
sniff_start root-default "$bin"
pid=$BG_PID
# ip netns exec execs hdp in the same process
expect_nobody "root default" "$pid" "$TMPD/root-default.err"
send_one
wait_exit "$pid"
expect_eq "root default: sniff exits 0 after one packet" "$rc" 0
grep -q 'HDP' "$TMPD/root-default.out" ||
	fail "root default: the packet sent after the drop was not captured"

# ---- 2. -Z root keeps root (asked for) -----------------------------------
bg ip netns exec "$NS" "$bin" sniff -Z root -i lo -c 1 -n \
	>"$TMPD/root-z.out" 2>"$TMPD/root-z.err"
pid=$BG_PID
wait_socket "$pid"
expect_eq "-Z root: still uid 0" "$(field "$pid" Uid)" 0
send_one
wait_exit "$pid"
expect_eq "-Z root: exits 0" "$rc" 0

# ---- 3. -Z with a user that does not exist -------------------------------
ip netns exec "$NS" "$bin" sniff -Z hdp-no-such-user -i lo -c 1 \
	>/dev/null 2>"$TMPD/nouser.err"; rc=$?
expect_eq "-Z unknown user: exit 3" "$rc" 3
expect_eq "-Z unknown user: message" "$(tail -1 "$TMPD/nouser.err")" \
	"hdp sniff: -Z hdp-no-such-user: no such user"

# ---- 4. file capabilities, unprivileged user ------------------------------
chmod 755 "$TMPD"
mkdir "$TMPD/bin" && chmod 755 "$TMPD/bin"
cp "$bin" "$TMPD/bin/hdp-caps" && cp "$bin" "$TMPD/bin/hdp-plain"
chmod 755 "$TMPD/bin/hdp-caps" "$TMPD/bin/hdp-plain"
setcap cap_net_raw,cap_net_admin+ep "$TMPD/bin/hdp-caps" ||
	fatal "setcap on $TMPD/bin/hdp-caps"
asuser="setpriv --reuid=$nobody_uid --regid=$nobody_gid --clear-groups --"

# without capabilities: refused, exit 3, one line
ip netns exec "$NS" $asuser "$TMPD/bin/hdp-plain" sniff -i lo -c 1 \
	>/dev/null 2>"$TMPD/plain.err" </dev/null; rc=$?
expect_eq "unprivileged, no capabilities: exit 3" "$rc" 3
[ "$(wc -l <"$TMPD/plain.err")" -eq 1 ] ||
	fail "unprivileged: one line of error, got: $(cat "$TMPD/plain.err")"
grep -q 'ermission\|not permitted' "$TMPD/plain.err" ||
	fail "unprivileged: the error says permission: $(cat "$TMPD/plain.err")"

# with cap_net_raw,cap_net_admin+ep: works, and keeps nothing
bg ip netns exec "$NS" $asuser "$TMPD/bin/hdp-caps" sniff -i lo -c 1 -n \
	>"$TMPD/caps.out" 2>"$TMPD/caps.err"
pid=$BG_PID
# the process exists as nobody from the start; wait until it is capturing
# (its effective set has been emptied after pcap_activate)
expect_capless "file caps" "$pid"
send_one
wait_exit "$pid"
expect_eq "file caps: sniff exits 0 after one packet" "$rc" 0
grep -q 'HDP' "$TMPD/caps.out" ||
	fail "file caps: packet not captured: $(cat "$TMPD/caps.err")"

# an unprivileged -Z naming someone else cannot be honoured
ip netns exec "$NS" $asuser "$TMPD/bin/hdp-caps" sniff -Z root -i lo -c 1 \
	>/dev/null 2>"$TMPD/zother.err"; rc=$?
expect_eq "unprivileged -Z root: exit 3" "$rc" 3
expect_eq "unprivileged -Z root: message" "$(tail -1 "$TMPD/zother.err")" \
	"hdp sniff: -Z root: only root can switch user"

# ---- 5. replay, ping, sweep: their senders open before the drop -----------
# capture_start NAME COUNT: hdp sniff (as root) on the namespace's lo until
# COUNT HDP packets; CAP_PID is its process.  Returns once it listens.
capture_start() {
	bg ip netns exec "$NS" "$bin" sniff -Z root -i lo -c "$2" -n \
		>"$TMPD/$1.out" 2>"$TMPD/$1.err"
	CAP_PID=$BG_PID
	i=0
	while ! grep -q listening "$TMPD/$1.err" && [ "$i" -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
}

# responder_start: hdp listen --echo in the namespace for hdp ping (20 s)
responder_start() {
	bg ip netns exec "$NS" "$bin" listen --echo -t 20 >/dev/null 2>&1
	ECHO_PID=$BG_PID
	wait_socket "$ECHO_PID"
}

# summary_sent FILE: the "sent" count of a replay summary
summary_sent() { awk -F'|' '$2 ~ /^ sent $/ { gsub(/ /, "", $3); print $3 }' "$1"; }

# delivered FILE METHOD: the numbers sweep --json says METHOD delivered
# (the row's own verdict, not those of its packets)
delivered() {
	sed 's/,"packets":.*//' "$1" | grep "\"method\":\"$2\"" |
		grep '"verdict":"delivered"' |
		sed 's/^{"proto":\([0-9]*\),.*/\1/' | tr '\n' ' '
}

# a capture only root may read: replay must not open it again by path
# (as nobody) for its second pass, but rewind what it opened as root
mkdir -m 700 "$TMPD/private"
cp "$top_srcdir/pcaps/lo4.pcap" "$TMPD/private/lo4.pcap"
frames=$("$bin" sniff -r "$TMPD/private/lo4.pcap" -q 2>&1 |
	awk '/packets captured/ { print $1 }')
[ "${frames:-0}" -gt 0 ] || fatal "no HDP frames in pcaps/lo4.pcap"

# replay, root default: nobody, and both passes reach a capture
capture_start replay-cap $((2 * frames))
bg ip netns exec "$NS" "$bin" replay -q --pps 5 --loop 2 \
	"$TMPD/private/lo4.pcap" >"$TMPD/replay.out" 2>"$TMPD/replay.err"
pid=$BG_PID
expect_nobody "replay" "$pid" "$TMPD/replay.err"
wait_exit "$pid"
expect_eq "replay: exits 0" "$rc" 0
expect_eq "replay: --loop 2 sent both passes" \
	"$(summary_sent "$TMPD/replay.out")" $((2 * frames))
wait_exit "$CAP_PID"
expect_eq "replay: the capture saw what was sent after the drop" "$rc" 0

# replay -Z root
bg ip netns exec "$NS" "$bin" replay -Z root -q --pps 5 \
	"$TMPD/private/lo4.pcap" >/dev/null 2>"$TMPD/replay-root.err"
pid=$BG_PID
wait_socket "$pid"
expect_eq "replay -Z root: still uid 0" "$(field "$pid" Uid)" 0
wait_exit "$pid"
expect_eq "replay -Z root: exits 0" "$rc" 0

# ping, root default: nobody, every probe answered; --plot (when gnuplot is
# there) is created in a directory nobody may not write, before the drop
responder_start
plot=""
command -v gnuplot >/dev/null 2>&1 && plot="$TMPD/private/rtt.svg"
bg ip netns exec "$NS" "$bin" ping -q -c 10 -i 0.2 -W 1 \
	${plot:+--plot "$plot"} 127.0.0.1 >"$TMPD/ping.out" 2>"$TMPD/ping.err"
pid=$BG_PID
expect_nobody "ping" "$pid" "$TMPD/ping.err"
wait_exit "$pid"
expect_eq "ping: every probe answered after the drop (exit 0)" "$rc" 0
if [ -n "$plot" ]; then
	check "ping: --plot drawn as nobody into the file opened as root" \
		grep -q '<svg' "$plot"
fi

stays_root ping 0 ping -Z root -q -c 5 -i 0.2 -W 1 127.0.0.1
kill "$ECHO_PID" 2>/dev/null; wait "$ECHO_PID" 2>/dev/null

# sweep --no-drops, root default: nobody; libnet's sender and the raw
# socket of every number opened before the drop still deliver.  Number 0
# has no listener, so the sweep waits all of --wait: time to look.
sweep_args="--json --method both -P 0,1,17,255 -c 2 --wait 2000 127.0.0.1"
bg ip netns exec "$NS" "$bin" sweep --no-drops $sweep_args \
	>"$TMPD/sweep.json" 2>"$TMPD/sweep.err"
pid=$BG_PID
expect_nobody "sweep --no-drops" "$pid" "$TMPD/sweep.err"
wait_exit "$pid"
expect_eq "sweep: exits 1 (number 0 has no listener)" "$rc" 1
expect_eq "sweep: libnet delivered after the drop" \
	"$(delivered "$TMPD/sweep.json" libnet)" "1 17 255 "
# (socket 255 is IPPROTO_RAW: the kernel wants an IP header, EINVAL)
expect_eq "sweep: the raw sockets opened before the drop delivered" \
	"$(delivered "$TMPD/sweep.json" socket)" "1 17 "

# shellcheck disable=SC2086 # sweep_args is a word list
stays_root sweep 1 sweep --no-drops -Z root $sweep_args	# 1: number 0

# sweep with drop reasons (the default): the tracefs instance's files are
# opened with the sockets, then the sweep drops like the others (reading an
# open trace needs no privilege; a forked helper without capabilities only
# removes the instance at the end).  A sweep to a destination that is not
# local (a route through the namespace's lo, where the packets are not
# forwarded) waits all of --wait: time to look at it.
ip -n "$NS" route add 192.0.2.0/24 dev lo || fatal "route in $NS"
# lo_tx: packets sent on the namespace's lo (the sweep's probe goes there
# after the point where privileges are dropped)
lo_tx() { ip netns exec "$NS" cat /sys/class/net/lo/statistics/tx_packets; }
# lo_sent_since N: until lo has sent more than N packets (5 s); false if not
lo_sent_since() {
	i=0
	while [ "$(lo_tx)" -le "$1" ] && [ "$i" -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ "$(lo_tx)" -gt "$1" ]
}
tx0=$(lo_tx)
bg ip netns exec "$NS" "$bin" sweep -P 255 -c 1 --wait 2000 192.0.2.2 \
	>/dev/null 2>"$TMPD/sweep-drops.err"
pid=$BG_PID
lo_sent_since "$tx0" || fail "sweep with drop reasons: nothing sent"
expect_eq "sweep with drop reasons: runs as nobody" \
	"$(field "$pid" Uid)" "$nobody_uid"
expect_eq "sweep with drop reasons: CapEff empty" \
	"$(field "$pid" CapEff)" $zero
wait_exit "$pid"
expect_eq "sweep with drop reasons: exits 1 (nothing delivered)" "$rc" 1

# an explicit -Z USER keeps sweep's drop reasons (no note that they need
# root), and trace takes --drop-reasons with -Z
tx0=$(lo_tx)
bg ip netns exec "$NS" "$bin" sweep -Z nobody -P 255 -c 1 --wait 2000 \
	192.0.2.2 >/dev/null 2>"$TMPD/sweep-z.err"
pid=$BG_PID
lo_sent_since "$tx0" || fail "sweep -Z nobody: nothing sent"
expect_eq "sweep -Z nobody: runs as nobody" "$(field "$pid" Uid)" "$nobody_uid"
wait_exit "$pid"
grep -q "need root" "$TMPD/sweep-z.err" &&
	fail "sweep -Z nobody: still says drop reasons need root"
ip netns exec "$NS" "$bin" trace --drop-reasons -Z nobody -m 2 -w 0.5 \
	127.0.0.1 >/dev/null 2>"$TMPD/trace-z.err"; rc=$?
case $rc in
0|1) ;;
*) fail "trace --drop-reasons -Z nobody: exit $rc: $(cat "$TMPD/trace-z.err")" ;;
esac

# -Z naming a user who does not exist: one line, exit 3, before anything
# is sent
for cmd in replay ping sweep send trace listen; do
	case $cmd in
	replay) args="$TMPD/private/lo4.pcap" ;;
	ping)   args="-c 1 --plot $TMPD/nouser.png 127.0.0.1" ;;
	sweep)  args="--no-drops -P 255 127.0.0.1" ;;
	send)   args="-c 1 127.0.0.1" ;;
	trace)  args="-m 1 127.0.0.1" ;;
	listen) args="-c 1" ;;
	esac
	ip netns exec "$NS" "$bin" $cmd -Z hdp-no-such-user $args \
		>/dev/null 2>"$TMPD/nouser-$cmd.err"; rc=$?
	expect_eq "$cmd -Z unknown user: exit 3" "$rc" 3
	expect_eq "$cmd -Z unknown user: message" \
		"$(tail -1 "$TMPD/nouser-$cmd.err")" \
		"hdp $cmd: -Z hdp-no-such-user: no such user"
done
[ -e "$TMPD/nouser.png" ] && fail "ping --plot: a failed run left its image"

# ---- 6. replay, ping, sweep with file capabilities, unprivileged --------
cp "$TMPD/private/lo4.pcap" "$TMPD/bin/lo4.pcap"
chmod 644 "$TMPD/bin/lo4.pcap"

capture_start caps-replay-cap $((2 * frames))
bg ip netns exec "$NS" $asuser "$TMPD/bin/hdp-caps" replay -q --pps 5 \
	--loop 2 "$TMPD/bin/lo4.pcap" >"$TMPD/caps-replay.out" \
	2>"$TMPD/caps-replay.err"
pid=$BG_PID
expect_capless "file caps replay" "$pid"
wait_exit "$pid"
expect_eq "file caps replay: exits 0" "$rc" 0
expect_eq "file caps replay: both passes sent" \
	"$(summary_sent "$TMPD/caps-replay.out")" $((2 * frames))
wait_exit "$CAP_PID"
expect_eq "file caps replay: the capture saw them" "$rc" 0

responder_start
bg ip netns exec "$NS" $asuser "$TMPD/bin/hdp-caps" ping -q -c 10 -i 0.2 \
	-W 1 127.0.0.1 >/dev/null 2>"$TMPD/caps-ping.err"
pid=$BG_PID
expect_capless "file caps ping" "$pid"
wait_exit "$pid"
expect_eq "file caps ping: every probe answered (exit 0)" "$rc" 0
kill "$ECHO_PID" 2>/dev/null; wait "$ECHO_PID" 2>/dev/null

# drop reasons are root's only: without root the sweep drops its
# capabilities even when it asked for them
bg ip netns exec "$NS" $asuser "$TMPD/bin/hdp-caps" sweep $sweep_args \
	>"$TMPD/caps-sweep.json" 2>"$TMPD/caps-sweep.err"
pid=$BG_PID
expect_capless "file caps sweep" "$pid"
wait_exit "$pid"
expect_eq "file caps sweep: exits 1 (number 0)" "$rc" 1
expect_eq "file caps sweep: libnet delivered" \
	"$(delivered "$TMPD/caps-sweep.json" libnet)" "1 17 255 "
expect_eq "file caps sweep: raw sockets delivered" \
	"$(delivered "$TMPD/caps-sweep.json" socket)" "1 17 "

# ---- 7. the matrix: every subcommand, caught while it reads its input ----
# Each starts as root with supplementary groups (setpriv --groups) and must
# be nobody with no group, no capability, no_new_privs and not dumpable
# while it decodes (offline: before its first byte, read from a FIFO whose
# writer holds back).
# sweep with drop reasons and trace --drop-reasons are held to the same
# rule: they read the kernel's drop reasons through files opened before.
pcap=$top_srcdir/pcaps/lo4.pcap

# hold_fifo NAME SECS: a FIFO $TMPD/NAME whose writer opens it at once and
# writes lo4.pcap only after SECS; the writer is a background job
hold_fifo() {
	mkfifo "$TMPD/$1" && chmod 644 "$TMPD/$1" || fatal "mkfifo $1"
	# shellcheck disable=SC2016 # expanded by the inner sh
	bg sh -c 'exec 3>"$1"; sleep "$2"; cat "$3" >&3' hold "$TMPD/$1" "$2" \
		"$pcap"
}

# subject NAME ARGS...: hdp ARGS as root with groups 4 and 27 in the
# namespace; SUBJ is its process (ip netns exec and setpriv exec in place)
subject() {
	name=$1; shift
	bg ip netns exec "$NS" setpriv --groups 4,27 -- "$bin" "$@" \
		>"$TMPD/m-$name.out" 2>"$TMPD/m-$name.err"
	SUBJ=$BG_PID
}

# done_with PID WANT: PID exits WANT by itself (10 s), or is stopped
done_with() {
	wait_exit "$1"
	[ -z "$2" ] || expect_eq "matrix $name: exits $2" "$rc" "$2"
}

subject send send -c 50 --rate 10 --data matrix 127.0.0.1
expect_nobody "matrix send" "$SUBJ" "$TMPD/m-send.err"
kill "$SUBJ"; done_with "$SUBJ" ""

subject sniff-live sniff -i lo -c 1 -n
expect_nobody "matrix sniff -i" "$SUBJ" "$TMPD/m-sniff-live.err"
send_one; done_with "$SUBJ" 0

hold_fifo r-file.pcap 2
subject sniff-r sniff -r "$TMPD/r-file.pcap" -n
expect_nobody "matrix sniff -r FILE" "$SUBJ" "$TMPD/m-sniff-r.err"
done_with "$SUBJ" 0
grep -q 'HDP' "$TMPD/m-sniff-r.out" ||
	fail "matrix sniff -r FILE: nothing decoded after the drop"

hold_fifo r-stdin.pcap 2
# (a background job's stdin is /dev/null unless its own command says)
# shellcheck disable=SC2016 # expanded by the inner sh
bg sh -c 'f=$1; shift; exec "$@" <"$f"' stdin "$TMPD/r-stdin.pcap" \
	ip netns exec "$NS" setpriv --groups 4,27 -- "$bin" sniff -r - -n \
	>"$TMPD/m-stdin.out" 2>"$TMPD/m-stdin.err"
SUBJ=$BG_PID name=sniff-stdin
expect_nobody "matrix sniff -r -" "$SUBJ" "$TMPD/m-stdin.err"
done_with "$SUBJ" 0
grep -q 'HDP' "$TMPD/m-stdin.out" ||
	fail "matrix sniff -r -: nothing decoded after the drop"

subject listen listen -c 1
expect_nobody "matrix listen" "$SUBJ" "$TMPD/m-listen.err"
kill "$SUBJ"; done_with "$SUBJ" ""

hold_fifo replay.pcap 2
subject replay replay -q --pps 50 "$TMPD/replay.pcap"
expect_nobody "matrix replay" "$SUBJ" "$TMPD/m-replay.err"
done_with "$SUBJ" 0

hold_fifo where-a.pcap 2
hold_fifo where-b.pcap 2
subject where where a="$TMPD/where-a.pcap" b="$TMPD/where-b.pcap"
expect_nobody "matrix where" "$SUBJ" "$TMPD/m-where.err"
done_with "$SUBJ" 0

subject sweep sweep --no-drops -P 0 -c 1 --wait 2000 127.0.0.1
expect_nobody "matrix sweep --no-drops" "$SUBJ" "$TMPD/m-sweep.err"
done_with "$SUBJ" 1

subject trace trace -m 2 -w 3 192.0.2.2
expect_nobody "matrix trace" "$SUBJ" "$TMPD/m-trace.err"
kill "$SUBJ"; done_with "$SUBJ" ""

responder_start
subject ping ping -q -c 8 -i 0.2 -W 1 127.0.0.1
expect_nobody "matrix ping" "$SUBJ" "$TMPD/m-ping.err"
done_with "$SUBJ" 0
kill "$ECHO_PID" 2>/dev/null; wait "$ECHO_PID" 2>/dev/null

subject sweep-drops sweep -P 255 -c 1 --wait 3000 192.0.2.2
expect_nobody "matrix sweep (drop reasons)" "$SUBJ" \
	"$TMPD/m-sweep-drops.err"
done_with "$SUBJ" 1
subject trace-drops trace --drop-reasons -m 2 -w 3 192.0.2.2
expect_nobody "matrix trace --drop-reasons" "$SUBJ" \
	"$TMPD/m-trace-drops.err"
kill "$SUBJ"; done_with "$SUBJ" ""

# -Z naming a user who has supplementary groups: none of them is taken
if [ -n "$zuser" ]; then
	zuid=$(id -u "$zuser")
	subject z-user sniff -Z "$zuser" -i lo -c 1 -n
	wait_field "$SUBJ" Uid "$zuid" || fail "-Z $zuser: never switched"
	expect_eq "-Z $zuser: no supplementary groups (not even adm)" \
		"$(field "$SUBJ" Groups)" ""
	expect_eq "-Z $zuser: CapBnd empty" "$(field "$SUBJ" CapBnd)" $zero
	expect_eq "-Z $zuser: not dumpable" "$(env_owner "$SUBJ")" 0
	send_one; done_with "$SUBJ" 0
fi

# ---- 8. output files as root in a sticky world-writable directory --------
# Anyone may put a name there first: --force overwrites only a regular file
# of our own, never another user's file, a FIFO (no blocking, no writing
# into a reader) or a device node (never even opened).
S=$TMPD/sticky
mkdir -m 1777 "$S" || fatal "mkdir $S"
asnobody="setpriv --reuid=$nobody_uid --regid=$nobody_gid --clear-groups --"
for ext in pcap json png; do
	$asnobody sh -c 'echo theirs >"$1"' theirs "$S/theirs.$ext" ||
		fatal "nobody's file"
	$asnobody mkfifo -m 666 "$S/fifo.$ext" || fatal "mkfifo"
	mknod -m 666 "$S/dev.$ext" c 1 3 || fatal "mknod"	# /dev/null's twin
	$asnobody ln -s /etc/passwd "$S/link.$ext" || fatal "ln -s"
done
# a reader waiting on the FIFO: hdp must not open it at all
bg cat "$S/fifo.pcap" >"$TMPD/fifo.got"
READER=$BG_PID

# writer_cmd WRITER FILE: the command line of hdp writing FILE
writer_cmd() {
	case $1 in
	sniff) echo "$bin sniff -r $pcap -w $2 --force" ;;
	send)  echo "ip netns exec $NS $bin send -c 1 --pcap-out $2 --force 127.0.0.1" ;;
	sweep) echo "ip netns exec $NS $bin sweep --no-drops -P 255 -c 1 --wait 100 -o $2 --force 127.0.0.1" ;;
	ping)  echo "ip netns exec $NS $bin ping -q -c 1 -W 0.2 --plot $2 --force 127.0.0.1" ;;
	esac
}

for w in sniff send sweep ping; do
	case $w in sniff|send) ext=pcap ;; sweep) ext=json ;; ping) ext=png ;; esac
	for kind in theirs fifo dev link; do
		case $kind in
		theirs) want="belongs to uid $nobody_uid, not to this user; refusing to overwrite it" ;;
		fifo)   want="is a FIFO, not a regular file; refusing to write into it" ;;
		dev)    want="is a character device, not a regular file; refusing to write into it" ;;
		link)   want="is a symbolic link; refusing to follow it" ;;
		esac
		# shellcheck disable=SC2046 # a word list
		timeout 20 $(writer_cmd $w "$S/$kind.$ext") >/dev/null \
			2>"$TMPD/w.err" </dev/null; rc=$?
		expect_eq "$w --force on $kind: exit 2 (refused)" "$rc" 2
		grep -qF -- "$S/$kind.$ext: $want" "$TMPD/w.err" ||
			fail "$w --force on $kind: want '$want', got: $(cat "$TMPD/w.err")"
	done
	expect_eq "$w: nobody's file left as it was" "$(cat "$S/theirs.$ext")" theirs
	check "$w: the FIFO is still there" test -p "$S/fifo.$ext"
	check "$w: the device node is still there" test -c "$S/dev.$ext"
done
kill -0 "$READER" 2>/dev/null ||
	fail "the FIFO's reader was released: something opened it"
kill "$READER" 2>/dev/null
[ -s "$TMPD/fifo.got" ] && fail "something was written into the FIFO"

# a regular file of our own, with --force: overwritten
echo old >"$S/own.pcap"
"$bin" sniff -r "$pcap" -w "$S/own.pcap" --force 2>"$TMPD/own.err"; rc=$?
expect_eq "--force on our own file: exit 0" "$rc" 0
expect_eq "--force on our own file: a capture now" \
	"$("$bin" sniff -r "$S/own.pcap" -q 2>&1 | awk '/packets captured/ { print $1 }')" \
	"$frames"

# ---- ping --plot: a failed run removes only the file it created ----------
# an existing file of ours (--force), the run failing (-Z unknown): kept,
# contents and all (emptied only when gnuplot is about to draw)
echo keep >"$S/own.png"
ip netns exec "$NS" "$bin" ping -Z hdp-no-such-user -c 1 --plot \
	"$S/own.png" --force 127.0.0.1 >/dev/null 2>&1; rc=$?
expect_eq "ping --plot own file, run failed: exit 3" "$rc" 3
expect_eq "ping --plot: a file that was there is left as it was" \
	"$(cat "$S/own.png" 2>/dev/null)" keep
# a file it created, the plot failing (no gnuplot on PATH): removed
ip netns exec "$NS" env PATH=/nonexistent "$bin" ping -Z root -q -c 2 \
	-i 0.2 -W 0.2 --plot "$S/made.png" 127.0.0.1 >/dev/null \
	2>"$TMPD/made.err"; rc=$?
expect_eq "ping --plot, gnuplot missing: exit 4" "$rc" 4
[ -e "$S/made.png" ] && fail "ping --plot: the empty file it made is left"
# the same, but the name is someone else's file by the time the run
# fails: left alone (the file we made was renamed away meanwhile)
bg ip netns exec "$NS" env PATH=/nonexistent "$bin" ping -Z root -q -c 6 \
	-i 0.3 -W 0.2 --plot "$S/swap.png" 127.0.0.1
pid=$BG_PID
i=0
while [ ! -e "$S/swap.png" ] && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -e "$S/swap.png" ] || fail "ping --plot: swap.png never made"
mv "$S/swap.png" "$S/swap.moved" && echo other >"$S/swap.png"
wait_exit "$pid"
expect_eq "ping --plot, name replaced: exit 4" "$rc" 4
expect_eq "ping --plot: a file put under the name is not removed" \
	"$(cat "$S/swap.png" 2>/dev/null)" other
# ---- 9. the sanitizer build's exit: LeakSanitizer makes it dumpable ------
# For its leak check at exit LeakSanitizer makes the process dumpable a
# moment; by then every descriptor that was open at the privilege drop
# must be closed.  A nobody process takes what it can with pidfd_getfd
# as fast as it can until a root sniff (-w file, a root-only file on fd 9,
# its capture socket) has exited.  What it takes in that window is the
# leak check's own (/proc/PID/task: the window was hit) and nothing of
# ours.  Only in a build with sanitizers (the window exists nowhere else).
if grep -q '^#define HDP_SANITIZERS 1' "$top_builddir/config.h" 2>/dev/null &&
   [ -n "$PY" ]; then
	cat >"$TMPD/grab.py" <<'PYEOF'
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
pid = int(sys.argv[1])
pfd = os.pidfd_open(pid)
def gone():     # exited: a zombie, or reaped
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
got, end, n = set(), time.time() + float(sys.argv[2]), 0
while time.time() < end:
    n += 1
    for fd in range(3, 16):
        r = libc.syscall(438, pfd, fd, 0)   # pidfd_getfd
        if r >= 0:
            try:
                t = os.readlink("/proc/self/fd/%d" % r)
            except OSError:
                t = "?"
            got.add(t.replace("/proc/%d/" % pid, "/proc/PID/"))
            os.close(r)
    if n % 100 == 0 and gone():
        break
for t in sorted(got):
    print(t)
PYEOF
	chmod 644 "$TMPD/grab.py"
	umask 077
	echo secret >"$TMPD/root-only"
	umask 022
	hit=0 i=0
	while [ "$i" -lt 3 ] && [ "$hit" -eq 0 ]; do
		i=$((i + 1))
		bg ip netns exec "$NS" "$bin" sniff -i lo -c 1 -n \
			-w "$TMPD/exit.pcap" --force >/dev/null 2>&1 \
			9<"$TMPD/root-only"
		pid=$BG_PID
		wait_field "$pid" Uid "$nobody_uid" ||
			fail "exit window: sniff never ran as nobody"
		bg setpriv --reuid="$nobody_uid" --regid="$nobody_gid" \
			--clear-groups -- "$PY" "$TMPD/grab.py" "$pid" 8 \
			>"$TMPD/grab.out" 2>&1
		gp=$BG_PID
		sleep 0.5
		send_one
		wait_exit "$pid"
		wait "$gp"
		# the leak check's own: a task directory in /proc, of the
		# process or of its stop-the-world tracer thread (shown as
		# /proc/PID/task, or /TID/task when read from another root),
		# and the status file of a thread it suspends
		# (/proc/PID/task/TID/status)
		own='/task$\|/task/[0-9]*/status$'
		grep -q "$own" "$TMPD/grab.out" && hit=1
		if grep -v "$own" "$TMPD/grab.out" | grep -q .; then
			fail "exit window: taken as nobody: $(tr '\n' ' ' <"$TMPD/grab.out")"
			hit=2
		fi
	done
	if [ "$hit" -eq 1 ]; then
		ok "exit window: hit, and nothing of hdp's taken in it"
	elif [ "$hit" -eq 0 ]; then
		echo "note: the leak check's window was not hit in 3 runs"
	fi
fi
finish
