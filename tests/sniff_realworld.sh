#!/bin/sh
# sniff_realworld.sh: hdp sniff over odd captures of the kind real networks
# and the test suites of tcpdump and libpcap are full of (pcaps/realworld/:
# 2038 and 2106 time stamps, BIG TCP and jumbograms, 802.3 LLC/SNAP, frames
# cut at every layer, link types hdp does and does not decode, pcapng,
# control bytes in payloads, and copies of them all whose IP packets carry
# HDP).  For every file: no crash and a clean end (exit 0, or 1/2 with a
# one-line error naming the file), no byte outside printable ASCII in any
# text output, and tcpdump and tshark as judges of the packet count and of
# every field (tests/sniff_judge.py), with -tt checked against tshark's
# time stamps, which tcpdump 4.99 cannot print past 2^31 s.
#
# HDP_REALWORLD_DIR=DIR also runs over every *.pcap and *.pcapng under DIR
# (for instance checkouts of the tcpdump and libpcap repositories' tests/,
# and their copies made by pcaps/realworld/hdpify.py): the same clean-end
# and escaping checks, with tshark judging counts, times, addresses and
# lengths (sniff_judge.py --lenient).  Tests fetch nothing.
. "$top_srcdir/tests/lib.sh"
need_cmd tshark tcpdump python3
# tshark loads only the dissector of this tree: a personal plugin folder
# (where another checkout's `make install` may have put an older hdp.lua)
# would register "hdp" first
HOME=$TMPD; export HOME

RW="$top_srcdir/pcaps/realworld"
LUA="$top_srcdir/dissect/hdp.lua"
JUDGE="$top_srcdir/tests/sniff_judge.py"
FIELDS=$(python3 -c "
import sys; sys.path.insert(0, '$top_srcdir/tests')
import sniff_judge; print(' '.join('-e ' + f for f in sniff_judge.TSHARK_FIELDS))")
[ -n "$FIELDS" ] || fatal "cannot read the field list from sniff_judge.py"

# clean_end NAME RC STDERR: exit 0, 1 or 2; every line of standard error
# hdp's own (prefixed, or a count); an error names the file.
clean_end() {
	case $2 in
	0|1|2) ;;
	*) fail "$1: exit status $2"; return 1 ;;
	esac
	if grep -v -E '^hdp sniff: |^[0-9]+ packets? (captured|received by filter|dropped by kernel)$' \
		"$3" >"$TMPD/stray"; then
		fail "$1: stray output on standard error: $(head -2 "$TMPD/stray")"
		return 1
	fi
	if [ "$2" -ne 0 ] && ! grep -q "^hdp sniff: .*$1" "$3"; then
		fail "$1: exit $2 without an error naming the file: $(cat "$3")"
		return 1
	fi
	return 0
}

# printable FILE...: nothing but printable ASCII, tab and newline
printable() {
	! LC_ALL=C grep -q -n "$(printf '[^\t -~]')" "$@"
}

# run_one FILE: the checks every capture gets; sets rc, leaves $b.json
run_one() {
	f=$1
	b=$(basename "$f")
	"$HDP" sniff -r "$f" --filter '' --json >"$TMPD/$b.json" \
		2>"$TMPD/$b.err"
	rc=$?
	clean_end "$b" "$rc" "$TMPD/$b.err" || return 1
	if ! python3 -c 'import json, sys
for l in open(sys.argv[1]): json.loads(l)' "$TMPD/$b.json"; then
		fail "$b: --json output does not parse"
		return 1
	fi
	"$HDP" sniff -r "$f" --filter '' -tt >"$TMPD/$b.tt" 2>/dev/null
	"$HDP" sniff -r "$f" --filter '' --decode -X >"$TMPD/$b.vx" 2>/dev/null
	if ! printable "$TMPD/$b.tt" "$TMPD/$b.vx" "$TMPD/$b.err"; then
		fail "$b: a control byte reached the text output"
		return 1
	fi
	# shellcheck disable=SC2086
	tshark -X lua_script:"$LUA" -o ip.defragment:FALSE \
		-o ipv6.defragment:FALSE -n -r "$f" -T fields \
		-E occurrence=f $FIELDS >"$TMPD/$b.tsv" 2>/dev/null
	return 0
}

# tt_judge NAME: -tt's time stamps are tshark's, to the file's precision
tt_judge() {
	python3 - "$TMPD/$1.tt" "$TMPD/$1.tsv" <<'PY'
import sys
ours = [l.split(" ", 1)[0] for l in open(sys.argv[1])]
theirs = [l.split("\t", 1)[0] for l in open(sys.argv[2])]
if len(ours) != len(theirs):
    sys.exit("%d lines, tshark %d packets" % (len(ours), len(theirs)))
for i, (o, t) in enumerate(zip(ours, theirs)):
    sec, _, frac = t.partition(".")
    want = sec + "." + (frac + "000000000")[:len(o.partition(".")[2])]
    if o != want:
        sys.exit("packet %d: -tt %s, tshark %s" % (i + 1, o, t))
PY
}

n=0
for f in "$RW"/*.pcap "$RW"/*.pcapng; do
	run_one "$f" || continue
	n=$((n + 1))
	if [ "$b" = ng_two_linktypes.pcapng ]; then
		# libpcap 1.10 reads one link type per file: a clean refusal
		expect_eq "$b: refused" "$rc" 1
		grep -q "different from the type of the first" "$TMPD/$b.err" ||
			fail "$b: $(cat "$TMPD/$b.err")"
		continue
	fi
	[ "$rc" -eq 0 ] || { fail "$b: exit $rc: $(cat "$TMPD/$b.err")"; continue; }
	tcpdump -n -tt --nano -v -x -r "$f" >"$TMPD/$b.td" 2>/dev/null
	if python3 "$JUDGE" "$b" "$TMPD/$b.json" "$TMPD/$b.tsv" \
		"$TMPD/$b.td" >"$TMPD/$b.res"; then
		ok "$(tail -1 "$TMPD/$b.res")"
	else
		fail "$b: the judges disagree:"
		head -10 "$TMPD/$b.res"
	fi
	why=$(tt_judge "$b" 2>&1) || fail "$b: $why"
done
[ "$n" -ge 40 ] || fail "only $n captures in $RW"

# ---- what was decoded wrong before, said exactly ---------------------------
tt() { f=$1; shift; "$HDP" sniff -r "$RW/$f" --filter '' -tt "$@" 2>/dev/null |
	cut -d' ' -f1; }
expect_eq "2^31 s is 2038, not sign-extended" \
	"$(tt time_2038_overflow.pcap)" 2147483648.709551
expect_eq "2^32 - 1 s" "$(tt time_2106_max.pcap)" 4294967295.999999
expect_eq "2106 in nanoseconds" "$(tt time_2106_nano.pcap --nano)" \
	4291747200.123456789
expect_eq "pcapng past 2106" "$(tt time_2107.pcapng)" 4323283200.250000
expect_eq "a clock jumping across 2^31" "$(tt time_jumps.pcap | tr '\n' ' ')" \
	"2147483647.500000 2147483648.000000 1000000000.000000 4294967295.000000 0.000000 "
expect_eq "time_ns past 2038" "$(python3 -c 'import json,sys
print(json.loads(open(sys.argv[1]).readline())["time_ns"])' \
	"$TMPD/time_2038_overflow.pcap.json")" 2147483648709551000

lens() {
	python3 -c 'import json, sys
print(" ".join("%s/%s" % (d["ip_len"], d["status"])
               for d in map(json.loads, open(sys.argv[1]))))' "$TMPD/$1.json"
}
expect_eq "BIG TCP over IPv4: length 0 is the frame's" \
	"$(lens bigtcp_ipv4.pcap)" "80040/ok"
expect_eq "BIG TCP over IPv6, no jumbo option" "$(lens bigtcp_ipv6.pcap)" \
	"80060/ok"
expect_eq "BIG TCP over IPv6 with a jumbo option" \
	"$(lens bigtcp_ipv6_hbh.pcap)" "80068/ok"
expect_eq "HDP in a BIG TCP datagram" "$(python3 -c 'import json,sys
d = json.loads(open(sys.argv[1]).readline())
print(d["len"], d["status"])' "$TMPD/bigtcp_ipv4.hdp.pcap.json")" \
	"80008 ok"
expect_eq "payload length 0: no option, a lie, empty, IPv4 TSO" \
	"$(lens ipv6_len0.pcap)" "40/malformed 100040/malformed 40/ok 1440/ok"

"$HDP" sniff -r "$RW/ieee8023_llc.pcap" --filter '' -t >"$TMPD/llc" 2>/dev/null
expect_eq "802.3 + LLC: spanning tree named" "$(sed -n 1p "$TMPD/llc")" \
	"802.3 length 38, LLC dsap 0x42 ssap 0x42 ctrl 0x03, not IP"
expect_eq "802.3 + SNAP: CDP named" "$(sed -n 2p "$TMPD/llc")" \
	"802.3 length 22, SNAP oui 0x00000c type 0x2000, not IP"
expect_eq "802.3 + SNAP: IPv4 decoded" "$(sed -n 3p "$TMPD/llc" | cut -c1-39)" \
	"IP 192.0.2.1.1000 > 192.0.2.2.2000: UDP"
expect_eq "802.1H SNAP: IPv6 decoded" "$(sed -n 4p "$TMPD/llc" | cut -c1-30)" \
	"IP6 2001:db8::1.1 > 2001:db8::"
expect_eq "raw 802.3 (IPX)" "$(sed -n 6p "$TMPD/llc")" \
	"802.3 length 46, raw IPX (no LLC), not IP"
expect_eq "neither a length nor a type" "$(sed -n 7p "$TMPD/llc" | cut -c1-31)" \
	"type/length 0x05ff is neither ("
grep -q "ethertype" "$TMPD/llc" && fail "an 802.3 length called an ethertype"

"$HDP" sniff -r "$RW/ctl_bytes.pcap" --decode -t >"$TMPD/ctl" 2>/dev/null
check "a CR in a payload is shown, not obeyed" grep -q -F 'harmless\x0dEVIL' "$TMPD/ctl"
check "an LF in a payload forges no packet line" \
	sh -c "! grep -q '^12:00:00.000000 IP 6.6.6.6' '$TMPD/ctl'"
# a file name with an escape sequence, in an error message
"$HDP" sniff -r "$TMPD/$(printf 'a\033[2Jb\rc')" 2>"$TMPD/esc"
check "ESC and CR in a message are escaped" \
	grep -q -F 'a\x1b[2Jb\x0dc' "$TMPD/esc"
check "one line per packet and field" printable "$TMPD/ctl"

# ---- captures from elsewhere, when given ----------------------------------
if [ -n "${HDP_REALWORLD_DIR:-}" ]; then
	[ -d "$HDP_REALWORLD_DIR" ] || fatal "HDP_REALWORLD_DIR: no such directory"
	find "$HDP_REALWORLD_DIR" -type f \( -name '*.pcap' -o -name '*.pcapng' \) |
		sort >"$TMPD/ext"
	m=0 bad=0
	while read -r f; do
		m=$((m + 1))
		run_one "$f" || { bad=$((bad + 1)); continue; }
		[ "$rc" -eq 0 ] || continue	# refused cleanly: judged above
		python3 "$JUDGE" --lenient "$b" "$TMPD/$b.json" "$TMPD/$b.tsv" \
			>"$TMPD/$b.res" || {
			bad=$((bad + 1))
			fail "$b: tshark disagrees:"
			head -5 "$TMPD/$b.res"
		}
		rm -f "$TMPD/$b".*
	done <"$TMPD/ext"
	ok "$m captures from $HDP_REALWORLD_DIR, $bad with a problem"
fi
finish
