#!/bin/sh
# harden_privs.sh: least privilege.  A subcommand started as root runs as
# nobody (or -Z USER) once its capture handle is open, with every
# capability set empty (the bounding set too) and no_new_privs; a copy of
# the binary given cap_net_raw,cap_net_admin+ep works for an unprivileged
# user and drops both capabilities after opening; without them it fails
# with exit 3.  /proc/PID/status of the running process is the judge, and
# the capture must still see a packet sent after the drop.
. "$top_srcdir/tests/lib.sh"
need_root
need_cmd setcap setpriv ip
bin=${HDP_REAL:-$HDP}
NS=$(netns_add privs)
nobody_uid=$(id -u nobody) || skip "no user nobody"
nobody_gid=$(id -g nobody)

# field PID NAME: one field of /proc/PID/status ("Uid" gives the real uid)
field() { awk -v k="$2:" '$1 == k { print $2; exit }' "/proc/$1/status" 2>/dev/null; }
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

# ---- 1. root, no -Z: runs as nobody with nothing left ---------------------
sniff_start root-default "$bin"
pid=$BG_PID
# ip netns exec execs hdp in the same process
if wait_field "$pid" Uid "$nobody_uid"; then
	expect_eq "root default: uids and gids are nobody's" "$(ids "$pid")" \
		"$nobody_uid $nobody_uid $nobody_uid $nobody_uid $nobody_gid $nobody_gid $nobody_gid $nobody_gid "
	for k in CapInh CapPrm CapEff CapBnd CapAmb; do
		expect_eq "root default: $k empty" "$(field "$pid" $k)" $zero
	done
	expect_eq "root default: NoNewPrivs" "$(field "$pid" NoNewPrivs)" 1
	expect_eq "root default: supplementary groups" \
		"$(field "$pid" Groups)" "$nobody_gid"
else
	fail "root default: sniff never switched to nobody: $(cat "$TMPD/root-default.err")"
fi
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
i=0
while [ "$(field "$pid" CapPrm)" != $zero ] && [ "$i" -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
expect_eq "file caps: runs as nobody" "$(field "$pid" Uid)" "$nobody_uid"
for k in CapInh CapPrm CapEff CapAmb; do
	expect_eq "file caps: $k empty after opening" "$(field "$pid" $k)" $zero
done
expect_eq "file caps: NoNewPrivs" "$(field "$pid" NoNewPrivs)" 1
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
finish
