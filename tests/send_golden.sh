#!/bin/sh
# send_golden.sh: every byte lib/hdp_build.c produces for a fixed set of
# packet specs (tests/build_frames.c: each transport, payload sizes, IPv4
# options, DF, TOS, flow label, rebuilds in place, fragments at several
# MTUs, the refusals) equals the golden files in tests/expected/, so a
# refactoring of the builder that must not change its output is checked
# byte for byte.  Built without a socket (HDP_TX_NONE) always; as
# Ethernet frames really written on the loopback of a namespace of this
# test's own and across a veth pair with fixed MAC addresses (the next
# hop's MAC from the kernel's neighbour table) when root.
# scapy judges every fragment written (tests/send_frags_judge.py): lengths,
# checksums, offsets, MF, options, and the data put back together.
# After an intended change of the output, regenerate with
#     tests/send_golden.sh --regen   (as root, from the build tree)
. "${top_srcdir:-.}/tests/lib.sh"
BF="${top_builddir:-.}/tests/build_frames"
EXP="$top_srcdir/tests/expected"
[ -x "$BF" ] || fatal "$BF is not built (make check builds it)"
REGEN=0
[ "${1:-}" = "--regen" ] && REGEN=1

# golden NAME COMMAND...: COMMAND's output against $EXP/build_frames.NAME
golden() {
	name=$1; shift
	if ! "$@" >"$TMPD/$name" 2>"$TMPD/$name.err"; then
		fail "$name: build_frames failed: $(cat "$TMPD/$name.err")"
		return
	fi
	if [ "$REGEN" = 1 ]; then
		cp "$TMPD/$name" "$EXP/build_frames.$name"
		echo "regenerated $EXP/build_frames.$name"
		return
	fi
	if cmp -s "$TMPD/$name" "$EXP/build_frames.$name"; then
		ok "$name: $(grep -c '^==' "$TMPD/$name") specs, every byte as before"
	else
		diff "$EXP/build_frames.$name" "$TMPD/$name" | head -20
		fail "$name: the builder's output changed (build_frames -x shows the bytes)"
	fi
}

golden none "$BF" none

PY=/usr/bin/python3
$PY -c 'import scapy' 2>/dev/null || PY=python3
$PY -c 'import scapy' 2>/dev/null || PY=""
# judge NAME none|link COMMAND...: scapy over COMMAND's hex dump of every
# fragment (link: Ethernet frames)
judge() {
	name=$1; link=$2; shift 2
	if [ -z "$PY" ]; then
		echo "SKIP (scapy judge): needs python3-scapy"
		return
	fi
	"$@" >"$TMPD/$name.x" 2>"$TMPD/$name.x.err" ||
		{ fail "$name: build_frames -x failed"; return; }
	if "$PY" "$top_srcdir/tests/send_frags_judge.py" "$TMPD/$name.x" \
		"$link" >"$TMPD/$name.judge" 2>&1; then
		ok "$name: scapy: $(tail -1 "$TMPD/$name.judge"), all whole"
	else
		head -5 "$TMPD/$name.judge"
		fail "$name: scapy finds fragments that do not add up"
	fi
}
[ "$REGEN" = 1 ] || judge none none "$BF" -x none

if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null 2>&1; then
	[ "$REGEN" = 1 ] && fatal "--regen needs root"
	echo "SKIP (link frames): needs root and ip"
	finish
fi
A=$(netns_add a)
B=$(netns_add b)
golden loopback ip netns exec "$A" "$BF" link lo 127.0.0.1 127.0.0.2 ::1 ::1
[ "$REGEN" = 1 ] ||
	judge loopback link ip netns exec "$A" "$BF" -x link lo 127.0.0.1 127.0.0.2 \
		::1 ::1

VA="gA$$"
VB="gB$$"
veth_pair "$A" "$VA" 10.200.0.1/24 "$B" "$VB" 10.200.0.2/24
ip -n "$A" link set "$VA" address 02:00:00:00:00:0a
ip -n "$B" link set "$VB" address 02:00:00:00:00:0b
ip -n "$A" addr add 2001:db8:200::1/64 dev "$VA" nodad
ip -n "$B" addr add 2001:db8:200::2/64 dev "$VB" nodad
golden veth ip netns exec "$A" timeout 120 "$BF" link "$VA" \
	10.200.0.1 10.200.0.2 2001:db8:200::1 2001:db8:200::2
finish
