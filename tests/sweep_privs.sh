#!/bin/sh
# sweep_privs.sh: least privilege with kernel drop reasons (issue 15).
# hdp sweep (drop reasons on by default) and hdp trace --drop-reasons
# open the tracefs reader with their sockets and capture, then run as
# nobody with every capability set empty while they send and decode;
# only a helper stays root's uid, with no capability, no descriptor but
# its pipe and no capture ring mapped, to remove the tracefs instance at
# the end, also when hdp is killed; an instance left by a run killed with
# its helper is removed by the next run only when no process holds it
# locked.  /proc/PID/status is the judge; the drop reasons must still be
# read after the drop (an nft rule in the namespace drops protocol 253
# at output).  Everything is sent inside namespaces of its own: the
# sender's, and a peer's across a veth pair.
. "$top_srcdir/tests/lib.sh"
need_root
need_cmd nft ip
nobody_uid=$(id -u nobody) || skip "no user nobody"
nobody_gid=$(id -g nobody)
bin=${HDP_REAL:-$HDP}
TRACEFS=$(tracefs_dir)
NS=$(netns_add privdrop)
PEER=$(netns_add privpeer)
veth_pair "$NS" pv0 10.77.0.1/24 "$PEER" pv1 10.77.0.2/24
ip netns exec "$NS" nft -f - <<'NFT' || fatal "nft"
table inet hdpprivs {
	chain out { type filter hook output priority 0; meta l4proto 253 drop; }
}
NFT

# field PID NAME: one field of /proc/PID/status (all its words)
field() {
	awk -F '\t' -v k="$2:" '$1 == k { print substr($0, length(k) + 2)
		exit }' "/proc/$1/status" 2>/dev/null
}
# wait_uid PID UID: until PID runs as UID (5 s)
wait_uid() {
	i=0
	while [ "$(field "$1" Uid | cut -f1)" != "$2" ] && [ $i -lt 50 ]; do
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.1; i=$((i + 1))
	done
	[ "$(field "$1" Uid | cut -f1)" = "$2" ]
}
zero=0000000000000000
# unprivileged WHAT PID: the checks of a dropped process
unprivileged() {
	expect_eq "$1: uids" "$(field "$2" Uid)" \
		"$nobody_uid	$nobody_uid	$nobody_uid	$nobody_uid"
	expect_eq "$1: gids" "$(field "$2" Gid)" \
		"$nobody_gid	$nobody_gid	$nobody_gid	$nobody_gid"
	for c in CapInh CapPrm CapEff CapBnd CapAmb; do
		expect_eq "$1: $c empty" "$(field "$2" $c)" $zero
	done
	expect_eq "$1: no_new_privs" "$(field "$2" NoNewPrivs)" 1
}
# helper_of WHAT PID: the checks of PID's one child, the tracefs helper
helper_of() {
	kids=$(cat /proc/"$2"/task/*/children 2>/dev/null | tr -s ' \n' ' ')
	set -- "$1" $kids
	expect_eq "$1: one helper process" "$#" 2
	[ "$#" -eq 2 ] || return
	h=$2
	expect_eq "$1: helper's name" "$(cat /proc/"$h"/comm)" hdp-dropmon
	expect_eq "$1: helper keeps only root's uid" \
		"$(field "$h" Uid | cut -f1)" 0
	for c in CapPrm CapEff CapBnd CapAmb; do
		expect_eq "$1: helper's $c empty" "$(field "$h" $c)" $zero
	done
	expect_eq "$1: helper holds only its pipe (fd 0)" \
		"$(ls /proc/"$h"/fd | tr '\n' ' ')" "0 "
	expect_eq "$1: helper's fd 0 is a pipe" \
		"$(readlink /proc/"$h"/fd/0 | cut -d: -f1)" pipe
	expect_eq "$1: helper maps no socket (capture ring)" \
		"$(grep -c 'socket:\[' /proc/"$h"/maps)" 0
}
no_instance() {
	i=0
	while has_instance "$TRACEFS" "$2" && [ $i -lt 30 ]; do
		sleep 0.1; i=$((i + 1))
	done
	check "$1: tracefs instance hdp-$2 removed" \
		lacks_instance "$TRACEFS" "$2"
}

# ---- sweep: drop reasons on, as root by default -----------------------------
bg ip netns exec "$NS" "$bin" sweep -P 253,254 -c 2 --wait 2500 --json \
	10.77.0.2 >"$TMPD/sweep.json" 2>"$TMPD/sweep.err"
pid=$BG_PID
wait_uid "$pid" "$nobody_uid" || fail "sweep: never ran as nobody"
if grep -q "drop reasons unavailable" "$TMPD/sweep.err"; then
	skip "kernel drop reasons unavailable: $(cat "$TMPD/sweep.err")"
fi
check "sweep: its tracefs instance exists while it runs" \
	has_instance "$TRACEFS" "$pid"
unprivileged sweep "$pid"
helper_of sweep "$pid"
wait "$pid"; rc=$?
expect_eq "sweep: exit 1 (nothing delivered)" "$rc" 1
cat "$TMPD/sweep.err"
reason=$(python3 -c "
import json
for l in open('$TMPD/sweep.json'):
    r = json.loads(l)
    if r['proto'] == 253:
        print(r['drop_reason'], r['drop_hook'], r['verdict'])")
expect_eq "sweep: drop reason read after the drop" "$reason" \
	"NETFILTER_DROP OUTPUT refused_by_sender"
no_instance sweep "$pid"

# ---- sweep -Z nobody: drop reasons stay on ------------------------------------
ip netns exec "$NS" "$bin" sweep -Z nobody -P 253 -c 1 --wait 100 --json \
	10.77.0.2 >"$TMPD/z.json" 2>"$TMPD/z.err"
check "sweep -Z nobody: no drop reason note" \
	sh -c "! grep -q 'drop reasons' '$TMPD/z.err'"
check "sweep -Z nobody: the drop reason is there" \
	grep -q '"drop_reason":"NETFILTER_DROP"' "$TMPD/z.json"

# ---- killed: the helper still cleans up -----------------------------------------
bg ip netns exec "$NS" "$bin" sweep -P 254 -c 1 --wait 5000 10.77.0.2 \
	>/dev/null 2>&1
pid=$BG_PID
wait_uid "$pid" "$nobody_uid" || fail "sweep (to kill): never dropped"
check "sweep (to kill): instance exists" has_instance "$TRACEFS" "$pid"
kill -KILL "$pid"; wait "$pid" 2>/dev/null
no_instance "sweep killed by SIGKILL" "$pid"

# ---- stale instances: removed only when their owner is verifiably gone ---
# An instance whose directory no process holds locked is stale (its hdp
# and the helper were killed together): the next run removes it.  One
# held locked stays, whatever its pid says: this pid is no process here
# (above pid_max), as a live hdp of another PID namespace sharing tracefs
# looks.  Both made here by hand and removed on exit, also on failure.
stale="$TRACEFS/instances/hdp-2147483646-1"
live="$TRACEFS/instances/hdp-2147483645-2"
trap 'cleanup; rmdir "$stale" "$live" 2>/dev/null' EXIT
mkdir "$stale" "$live" || fail "cannot make tracefs instances by hand"
# the holder: the shell opens the directory, flock(1) locks that open file
# (waiting while the probe below holds it a moment), and the sleep that
# replaces the shell keeps it (killed on exit)
bg sh -c 'exec 9<"$1" && flock 9 && exec sleep 30' sh "$live"
i=0
while flock -n "$live" true 2>/dev/null && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
ip netns exec "$NS" "$bin" sweep -P 254 -c 1 --wait 100 10.77.0.2 \
	>/dev/null 2>&1
check "stale instance (its lock free) removed by the next run" \
	[ ! -d "$stale" ]
check "instance held locked by a pid from elsewhere kept" [ -d "$live" ]

# ---- trace --drop-reasons ------------------------------------------------------
for z in "" "-Z nobody"; do
	bg ip netns exec "$NS" "$bin" trace --drop-reasons $z -m 2 -w 2 \
		-P 253 --probes hdp 10.77.0.2 >"$TMPD/trace.txt" \
		2>"$TMPD/trace.err"
	pid=$BG_PID
	what="trace --drop-reasons${z:+ $z}"
	wait_uid "$pid" "$nobody_uid" || fail "$what: never ran as nobody"
	unprivileged "$what" "$pid"
	helper_of "$what" "$pid"
	wait "$pid"; rc=$?
	cat "$TMPD/trace.txt" "$TMPD/trace.err"
	expect_eq "$what: exit 1 (nothing answers)" "$rc" 1
	check "$what: the output hook's drop, read as nobody" grep -q \
		"dropped by the kernel: NETFILTER_DROP in netns $NS, netfilter OUTPUT hook" \
		"$TMPD/trace.txt"
	no_instance "$what" "$pid"
done
finish
