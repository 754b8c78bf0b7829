# lib.sh: helpers for the shell integration tests.  Source it first:
#     . "$top_srcdir/tests/lib.sh"
# Exit 77 is SKIP, 99 a hard error, as automake's harness reads them.
# Every namespace, nft table and background process a test makes is
# recorded here and removed by the EXIT trap, also when the test fails.

set -u
: "${HDP:=${top_builddir:-.}/src/hdp}"
: "${top_srcdir:=.}"
TEST_NAME=$(basename "$0" .sh)
# A per-run prefix so parallel tests and parallel checkouts never collide.
TEST_TAG="h$$"
TMPD=$(mktemp -d "${TMPDIR:-/tmp}/hdp-$TEST_NAME.XXXXXX")
_NETNS=""
_PIDS=""
_FAILS=0

cleanup() {
	for p in $_PIDS; do kill "$p" 2>/dev/null; done
	for p in $_PIDS; do wait "$p" 2>/dev/null; done
	# also those made in a command substitution (NS=$(netns_add x)),
	# whose subshell could not add them to _NETNS
	[ -f "$TMPD/.netns" ] && _NETNS="$_NETNS $(cat "$TMPD/.netns")"
	for n in $_NETNS; do ip netns del "$n" 2>/dev/null; done
	# netns_add usually runs in $(...), a subshell whose _NETNS the
	# parent never sees: remove every namespace carrying this run's tag
	for n in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
		case $n in "$TEST_TAG"-*) ip netns del "$n" 2>/dev/null;; esac
	done
	rm -rf "$TMPD"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

skip() { echo "SKIP: $*"; exit 77; }
fatal() { echo "ERROR: $*" >&2; exit 99; }

fail() {
	echo "FAIL: $*" >&2
	_FAILS=$((_FAILS + 1))
}

ok() { echo "ok: $*"; }

# check DESCRIPTION COMMAND...: run, count a failure when it fails.
check() {
	desc=$1; shift
	if "$@"; then ok "$desc"; else fail "$desc"; fi
}

# expect_eq DESCRIPTION GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: got '$2', want '$3'"; fi
}

# finish: the test's exit status from the failures counted.
finish() {
	if [ "$_FAILS" -ne 0 ]; then
		echo "$TEST_NAME: $_FAILS check(s) failed" >&2
		exit 1
	fi
	exit 0
}

need_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (CAP_NET_RAW/CAP_NET_ADMIN)"
}

# need_scapy: PY names a python3 that imports scapy (Debian's first: a
# python3 earlier on PATH, from pyenv say, may lack it), or skip.
need_scapy() {
	PY=/usr/bin/python3
	$PY -c 'import scapy' 2>/dev/null || PY=python3
	$PY -c 'import scapy' 2>/dev/null || skip "needs python3 with scapy"
}

need_cmd() {
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "needs $c"
	done
}

# bg COMMAND...: start in the background, remember the PID for cleanup.
bg() {
	"$@" &
	_PIDS="$_PIDS $!"
	BG_PID=$!
}

# netns_add NAME: a fresh namespace (named with this run's tag) with lo up.
# Prints the full name.
netns_add() {
	n="${TEST_TAG}-$1"
	# a namespace of this name can only be left over from an earlier
	# run whose PID was the same: nothing running owns it
	ip netns del "$n" 2>/dev/null
	ip netns add "$n" || fatal "ip netns add $n"
	_NETNS="$_NETNS $n"
	echo "$n" >>"$TMPD/.netns"
	ip -n "$n" link set lo up
	echo "$n"
}

# veth_pair NS1 IF1 ADDR1 NS2 IF2 ADDR2 (addresses with prefix length)
veth_pair() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4" ||
		fatal "veth $2-$5"
	ip -n "$1" addr add "$3" dev "$2"
	ip -n "$4" addr add "$6" dev "$5"
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
}

# tracefs_dir: the host's view of tracefs, where hdp's instances
# (instances/hdp-PID-NS: has_instance) show.  'ip netns exec' mounts a
# /sys of its own, so a tracefs that hdp mounted in there is not seen from
# here: mount it at its standard place, as hdp does (and systemd at boot),
# and like hdp leave it mounted; a parallel test may be using it.
tracefs_dir() {
	d=/sys/kernel/tracing
	[ -d "$d/instances" ] || mount -t tracefs nodev "$d" 2>/dev/null
	[ -d "$d/instances" ] || d=/sys/kernel/debug/tracing
	echo "$d"
}

# has_instance TRACEFS PID: PID owns a tracefs instance (hdp names them
# hdp-PID-<monotonic ns> so that runs in two PID namespaces never collide)
has_instance() {
	for d in "$1/instances/hdp-$2"-*; do
		[ -d "$d" ] && return 0
	done
	return 1
}
lacks_instance() { ! has_instance "$@"; }

# wait_for_file FILE [TENTHS]: until FILE is non-empty (default 3 s).
wait_for_file() {
	i=0
	while [ ! -s "$1" ] && [ "$i" -lt "${2:-30}" ]; do
		sleep 0.1; i=$((i + 1))
	done
}
