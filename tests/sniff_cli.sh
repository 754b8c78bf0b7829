#!/bin/sh
# sniff_cli.sh: hdp sniff's options and errors, offline (no privileges):
# bad filters print libpcap's words, -w never clobbers without --force and
# writes nanosecond pcap that tcpdump reads back, -r - reads pipes (pcap and
# pcapng), a file cut in the middle of a record prints what came before
# and says what is wrong, the statistics lines are tcpdump's.
. "$top_srcdir/tests/lib.sh"
P="$top_srcdir/pcaps"

# --help says how the default filter treats IPv6 extension headers
"$HDP" help sniff >"$TMPD/help"
grep -q "extension headers" "$TMPD/help" || fail "--help: IPv6 extension headers"
grep -q "ip6 protochain 255" "$TMPD/help" || fail "--help: the default filter"

# a bad BPF expression: libpcap's message, exit 2, nothing on stdout
"$HDP" sniff -r "$P/lo4.pcap" 'host ((' >"$TMPD/out" 2>"$TMPD/err"
expect_eq "bad trailing filter exits 2" "$?" 2
grep -q "bad filter.*syntax error" "$TMPD/err" || fail "libpcap's message: $(cat "$TMPD/err")"
[ -s "$TMPD/out" ] && fail "bad filter printed packets"
"$HDP" sniff -r "$P/lo4.pcap" --filter 'ip[9] === 3' >/dev/null 2>"$TMPD/err"
expect_eq "bad --filter exits 2" "$?" 2

# usage errors
"$HDP" sniff -c 0 -r "$P/lo4.pcap" >/dev/null 2>&1
expect_eq "-c 0 exits 2" "$?" 2
"$HDP" sniff --bogus >/dev/null 2>&1
expect_eq "unknown option exits 2" "$?" 2
"$HDP" sniff -r "$TMPD/nonexistent.pcap" >/dev/null 2>"$TMPD/err"
expect_eq "missing file exits 4 (as in every command)" "$?" 4
grep -q "nonexistent.pcap" "$TMPD/err" || fail "missing file named in the error"
printf 'not a capture file at all\n' >"$TMPD/junk.pcap"
"$HDP" sniff -r "$TMPD/junk.pcap" >/dev/null 2>"$TMPD/err"
expect_eq "not a capture exits 2" "$?" 2

# live capture errors: no such interface (4), no permission (3)
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	"$HDP" sniff -i nosuchif0 -c 1 >/dev/null 2>"$TMPD/err"
	expect_eq "no such interface exits 4" "$?" 4
	grep -q "nosuchif0: No such device" "$TMPD/err" || fail "$(cat "$TMPD/err")"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$HDP" sniff -i lo -c 1 >/dev/null 2>"$TMPD/err"
	expect_eq "no permission exits 3" "$?" 3
	grep -q "permission" "$TMPD/err" || fail "$(cat "$TMPD/err")"
fi

# trailing BPF arguments are ANDed with the default filter
n=$("$HDP" sniff -r "$P/sweep.pcap" 2>/dev/null | wc -l)
expect_eq "default filter: HDP only" "$n" 1
n=$("$HDP" sniff -r "$P/sweep.pcap" --filter ip 2>/dev/null | wc -l)
expect_eq "--filter replaces it" "$n" 256
n=$("$HDP" sniff -r "$P/sweep.pcap" --filter ip 'ip[9] < 10' 2>/dev/null | wc -l)
expect_eq "--filter and trailing args" "$n" 10
n=$("$HDP" sniff -r "$P/lo4.pcap" greater 100 2>/dev/null | wc -l)
expect_eq "trailing args ANDed" "$n" 1

# statistics, as tcpdump words them
"$HDP" sniff -r "$P/sweep.pcap" --count >/dev/null 2>"$TMPD/err"
grep -qx "1 packet captured" "$TMPD/err" || fail "captured line: $(cat "$TMPD/err")"
grep -qx "256 packets received by filter" "$TMPD/err" || fail "received line"
grep -qx "0 packets dropped by kernel" "$TMPD/err" || fail "dropped line"

# -r - : standard input, pcap and pcapng, same output as the file
for f in lo4.pcap lo4.pcapng; do
	"$HDP" sniff -r "$P/$f" >"$TMPD/a" 2>/dev/null
	cat "$P/$f" | "$HDP" sniff -r - >"$TMPD/b" 2>/dev/null
	if cmp -s "$TMPD/a" "$TMPD/b"; then ok "-r - reads $f from a pipe"
	else fail "-r - differs for $f"; fi
done
"$HDP" sniff --nano -r "$P/lo4.pcapng" >"$TMPD/b" 2>/dev/null
grep -q '\.[0-9]\{9\} IP' "$TMPD/b" || fail "pcapng --nano: nanosecond times"

# -w: nanosecond pcap, no clobbering, --force
"$HDP" sniff -r "$P/gen_frags.pcap" --filter '' -w "$TMPD/w.pcap" 2>/dev/null
expect_eq "-w exits 0" "$?" 0
[ -s "$TMPD/w.pcap" ] || fail "-w wrote nothing"
"$HDP" sniff -r "$P/gen_frags.pcap" --filter '' >"$TMPD/a" 2>/dev/null
"$HDP" sniff -r "$TMPD/w.pcap" --filter '' >"$TMPD/b" 2>/dev/null
cmp -s "$TMPD/a" "$TMPD/b" || fail "-w file reads back differently"
if command -v tcpdump >/dev/null 2>&1; then
	n=$(tcpdump -r "$TMPD/w.pcap" -n --nano 2>/dev/null | wc -l)
	expect_eq "tcpdump reads the -w file" "$n" 7
	tcpdump -r "$TMPD/w.pcap" -n --nano 2>/dev/null | head -1 |
		grep -q '^12:00:00.000000000 ' || fail "-w file is not nanosecond"
fi
"$HDP" sniff -r "$P/lo4.pcap" -w "$TMPD/w.pcap" 2>"$TMPD/err"
expect_eq "-w on an existing file exits 2 (refused: use --force)" "$?" 2
grep -q "exists" "$TMPD/err" || fail "no-clobber message: $(cat "$TMPD/err")"
"$HDP" sniff -r "$P/lo4.pcap" -w "$TMPD/w.pcap" --force 2>/dev/null
expect_eq "--force overwrites" "$?" 0
n=$("$HDP" sniff -r "$TMPD/w.pcap" 2>/dev/null | wc -l)
expect_eq "overwritten file" "$n" 5
ln -s "$TMPD/target" "$TMPD/link.pcap"
"$HDP" sniff -r "$P/lo4.pcap" -w "$TMPD/link.pcap" --force 2>/dev/null
expect_eq "-w refuses a symlink (exit 2)" "$?" 2
[ -e "$TMPD/target" ] && fail "-w followed a symlink"
# -w with --print: both
n=$("$HDP" sniff -r "$P/lo4.pcap" -w "$TMPD/w2.pcap" --print 2>/dev/null | wc -l)
expect_eq "--print with -w" "$n" 5

# a file cut inside a record: what came before is printed, exit 1
size=$(wc -c <"$P/lo4.pcap")
head -c $((size - 20)) "$P/lo4.pcap" >"$TMPD/cut.pcap"
"$HDP" sniff -r "$TMPD/cut.pcap" >"$TMPD/out" 2>"$TMPD/err"
expect_eq "cut file exits 1" "$?" 1
expect_eq "cut file: packets before the cut" "$(wc -l <"$TMPD/out")" 4
grep -q "truncated" "$TMPD/err" || fail "cut file: $(cat "$TMPD/err")"

# -c stops early, JSON lines parse with every field the issue lists
n=$("$HDP" sniff -r "$P/sweep.pcap" --filter ip -c 7 --json 2>/dev/null | wc -l)
expect_eq "-c 7" "$n" 7
if command -v python3 >/dev/null 2>&1; then
	"$HDP" sniff -r "$P/any_sll2.pcap" --json 2>/dev/null | python3 -c '
import json, sys
need = ("time_ns ifname direction ip_version src dst proto ttl tos ip_id "
        "ip_len sport dport hdp_ts_ns latency_ns len payload_hex "
        "caplen frame_len truncated error").split()
for line in sys.stdin:
    o = json.loads(line)
    missing = [k for k in need if k not in o]
    if missing:
        sys.exit("missing %s" % missing)
    if o["latency_ns"] != o["time_ns"] - o["hdp_ts_ns"]:
        sys.exit("latency is not capture time - timestamp")
' || fail "--json fields"
fi
# latency is exact or null, never wrapped: timestamps 1, 2^63 and 2^64-1
# (the year 2262 and beyond); the dissector draws the same line
if command -v python3 >/dev/null 2>&1; then
	for ts in 1 9223372036854775808 18446744073709551615; do
		"$HDP" send -q --pcap-out "$TMPD/ts.pcap" --force \
			--timestamp "$ts" 127.0.0.1 >/dev/null ||
			fail "send --timestamp $ts"
		"$HDP" sniff -r "$TMPD/ts.pcap" --json 2>/dev/null |
			python3 -c '
import json, sys
o = json.loads(sys.stdin.readline())
d = o["time_ns"] - o["hdp_ts_ns"]
want = d if -2**63 < d < 2**63 else None
if o["latency_ns"] != want:
    sys.exit("hdp_ts_ns %d: latency_ns %s, want %s" %
             (o["hdp_ts_ns"], o["latency_ns"], want))
print("" if want is None else want)
' >"$TMPD/lat" || fail "latency of timestamp $ts"
		if command -v tshark >/dev/null 2>&1; then
			tshark -X lua_script:"$top_srcdir/dissect/hdp.lua" \
				-r "$TMPD/ts.pcap" -T fields -e hdp.latency_ns \
				>"$TMPD/tlat" 2>/dev/null
			cmp -s "$TMPD/lat" "$TMPD/tlat" ||
				fail "ts $ts: hdp '$(cat "$TMPD/lat")', dissector '$(cat "$TMPD/tlat")'"
		fi
	done
	"$HDP" sniff -r "$TMPD/ts.pcap" 2>/dev/null | grep -q " latency - len 0$" ||
		fail "text line of an unrepresentable latency"
fi
finish
