#!/bin/sh
# cli_voice.sh: one voice across the eight subcommands (issue 16).  For
# every subcommand where the case applies:
#   - an input file that does not exist: exit 4, one line
#     "hdp CMD: FILE: No such file or directory";
#   - an output file that exists: exit 2, one line naming the option that
#     allows overwriting it;
#   - an interface that does not exist: exit 4, one line, the name once;
#   - an unknown option, a missing argument: exactly two lines (the error,
#     then "try 'hdp help CMD'"), exit 2, never the whole usage;
#   - -1 for a count: "out of range", never "not a number".
#   - an IPv6 scope naming no interface: 4 in every command that resolves;
#     a pcapng libpcap refuses: 2;
#   - one meaning of len and named units, as hdp sniff --json: where's
#     ip_len/len, send's and replay's ip_len, sweep's latency_ns;
#     latencies in text as "21.2 us" (sweep -v, replay's lag).
# Every command runs in a network namespace of its own when we are root
# (nothing it might send can leave), else only loopback is named.
. "$top_srcdir/tests/lib.sh"

NS=""
if [ "$(id -u)" -eq 0 ]; then
	NS=$(netns_add voice)
fi
P="$top_srcdir/pcaps/lo4.pcap"
[ -r "$P" ] || fatal "no $P"
MISSING="$TMPD/no-such.pcap"
EXIST="$TMPD/exists.pcap"
cp "$P" "$EXIST"
cp "$P" "$TMPD/exists.png"

# run CMD ARGS...: hdp CMD ARGS, standard input empty, bounded in time;
# stdout to $TMPD/out, stderr to $TMPD/err, the exit status in RC.
run() {
	if [ -n "$NS" ]; then
		ip netns exec "$NS" timeout 20 "$HDP" "$@" </dev/null \
			>"$TMPD/out" 2>"$TMPD/err"
	else
		timeout 20 "$HDP" "$@" </dev/null >"$TMPD/out" 2>"$TMPD/err"
	fi
	RC=$?
}

lines() { wc -l <"$TMPD/err" | tr -d ' '; }
# what was said, lines joined by '|'; the first 3 lines of a longer text
said() {
	head -n 3 "$TMPD/err" | tr '\n' '|'
	[ "$(lines)" -le 3 ] || printf '... (%s lines)' "$(lines)"
}

# missing_input CMD ARGS...: ARGS name $MISSING as an input file
missing_input() {
	c=$1
	run "$@"
	expect_eq "missing input ($*): exit 4" "$RC" 4
	expect_eq "missing input ($*): one line" "$(said)" \
		"hdp $c: $MISSING: No such file or directory|"
}

# existing_output OPT CMD ARGS...: ARGS name an existing output file;
# OPT is the option that would allow overwriting it
existing_output() {
	o=$1; shift
	run "$@"
	expect_eq "existing output ($*): exit 2" "$RC" 2
	[ "$(lines)" -eq 1 ] && grep -q -- "$o" "$TMPD/err" ||
		fail "existing output ($*): one line naming $o: $(said)"
	if cmp -s "$P" "$EXIST" && cmp -s "$P" "$TMPD/exists.png"; then
		ok "existing output ($*): kept"
	else
		fail "existing output ($*): kept"
	fi
}

# no_iface CMD ARGS...: ARGS name the interface nosuch0
no_iface() {
	run "$@"
	expect_eq "no such interface ($*): exit 4" "$RC" 4
	n=$(grep -o nosuch0 "$TMPD/err" | wc -l | tr -d ' ')
	[ "$(lines)" -eq 1 ] && [ "$n" -eq 1 ] ||
		fail "no such interface ($*): one line, the name once: $(said)"
}

# usage_err CMD WANT ARGS...: exactly WANT, then where to look
usage_err() {
	c=$1; want=$2; shift 2
	run "$c" "$@"
	expect_eq "$c $*: exit 2" "$RC" 2
	expect_eq "$c $*: two lines" "$(said)" \
		"hdp $c: $want|try 'hdp help $c'|"
}

# minus_one CMD ARGS...: ARGS give -1 where a count goes
minus_one() {
	run "$@"
	expect_eq "-1 ($*): exit 2" "$RC" 2
	grep -q "out of range" "$TMPD/err" &&
		! grep -q "not a number" "$TMPD/err" ||
		fail "-1 ($*): out of range, not 'not a number': $(said)"
}

# an input file that does not exist
missing_input sniff -r "$MISSING"
missing_input sniff -F "$MISSING" -r "$P"
missing_input replay -r "$MISSING"
missing_input replay "$MISSING"
missing_input where "$MISSING" "$P"
missing_input sweep --join "$MISSING" "$P"
missing_input send --pcap-out "$TMPD/send.pcap" --file "$MISSING" 127.0.0.1

# an output file that exists
existing_output --force sniff -r "$P" -w "$EXIST"
existing_output --force send --pcap-out "$EXIST" 127.0.0.1
existing_output --force sweep -P 255 -c 1 -o "$EXIST" 127.0.0.1
existing_output --force ping -c 1 --plot "$TMPD/exists.png" 127.0.0.1

# an interface that does not exist
no_iface sniff -i nosuch0 -c 1
no_iface listen -i nosuch0 -c 1 -t 1
no_iface send -I nosuch0 127.0.0.1
no_iface replay -I nosuch0 "$P"
no_iface ping -I nosuch0 -c 1 127.0.0.1

# an unknown option, a missing argument: two lines, exit 2
for c in send sniff listen replay sweep trace where ping; do
	usage_err "$c" "--no-such-option: unknown option" --no-such-option
done
usage_err send "-c: needs an argument" -c
usage_err sniff "-c: needs an argument" -c
usage_err listen "-c: needs an argument" -c
usage_err replay "-c: needs an argument" -c
usage_err sweep "-c: needs an argument" -c
usage_err trace "-m: needs an argument" -m
usage_err where "--window: needs an argument" --window
usage_err ping "-c: needs an argument" -c

# -1 is out of range
minus_one send -c -1 127.0.0.1
minus_one sniff -c -1 -r "$P"
minus_one listen -c -1
minus_one replay -c -1 "$P"
minus_one sweep -c -1 127.0.0.1
minus_one trace -m -1 127.0.0.1
minus_one where --window -1 "$P" "$P"
minus_one ping -c -1 127.0.0.1
# and for the other numbers: sizes, times (decimals), ports, TTLs
minus_one send -i -1 127.0.0.1
minus_one send --ttl -1 127.0.0.1
minus_one sniff -s -1 -r "$P"
minus_one listen -t -1
minus_one replay --speed -1 "$P"
minus_one replay --ttl -1 "$P"
minus_one sweep -s -1 127.0.0.1
minus_one trace -w -1 127.0.0.1
minus_one where --memory -1 "$P" "$P"
minus_one ping -i -1 127.0.0.1
minus_one ping --size -1 127.0.0.1


# an IPv6 scope that names no interface is an interface that does not
# exist: 4 in every command that resolves a destination (tool_resolve).
# Only in our namespace: the address is not loopback.
if [ -n "$NS" ]; then
	no_iface send fe80::1%nosuch0
	no_iface send --src fe80::2%nosuch0 ::1
	no_iface ping -c 1 fe80::1%nosuch0
	no_iface sweep -P 255 -c 1 fe80::1%nosuch0
	no_iface trace -m 2 fe80::1%nosuch0
fi

# a file libpcap stops reading (a second link type in one pcapng) is a
# read error as a cut record is: 1 (what was read is printed, the rest is
# lost), the file named once in the error
NG="$top_srcdir/pcaps/realworld/ng_two_linktypes.pcapng"
run sniff -r "$NG"
expect_eq "sniff -r a refused file: exit 1" "$RC" 1
n=$(grep -c "^hdp sniff: $NG: " "$TMPD/err")
expect_eq "sniff -r a refused file: one error naming it" "$n" 1

# one meaning of len, lengths and times named as hdp sniff --json names
# them: where's len is the payload, ip_len the datagram (tshark judges)
"$HDP" sniff -r "$P" --json 2>/dev/null >"$TMPD/sniff.json"
"$HDP" where -v --json "$P" "$P" >"$TMPD/where.json" 2>/dev/null
"$HDP" where -v "$P" "$P" >"$TMPD/where.txt" 2>/dev/null
if command -v tshark >/dev/null 2>&1; then
	tshark -r "$P" -T fields -e ip.len 2>/dev/null >"$TMPD/ts.len"
else
	: >"$TMPD/ts.len"
fi
python3 - "$TMPD/sniff.json" "$TMPD/where.json" "$TMPD/where.txt" \
	"$TMPD/ts.len" <<'PY' && ok "where: ip_len and len as sniff's" ||
import json, re, sys
sn = [json.loads(l) for l in open(sys.argv[1])]
wh = [json.loads(l) for l in open(sys.argv[2])]
wh = [o for o in wh if o["type"] == "packet"]
tx = [l for l in open(sys.argv[3]) if ": last seen at" in l]
ts = [int(l) for l in open(sys.argv[4]) if l.strip()]
assert len(sn) == len(wh) == len(tx) == 5, (len(sn), len(wh), len(tx))
for i, (s, w, t) in enumerate(zip(sn, wh, tx)):
    assert w["hdp_ts_ns"] == s["hdp_ts_ns"], i
    assert (w["ip_len"], w["len"]) == (s["ip_len"], s["len"]), (i, w, s)
    assert " len %d:" % s["len"] in t, (i, t)
    if ts:
        assert w["ip_len"] == ts[i], (i, w, ts[i])
PY
	fail "where: ip_len/len differ from sniff's"

# send --json: ip_len (was bytes) is what tcpdump -v reads in the frame
"$HDP" send --pcap-out "$TMPD/s.pcap" --json -c 1 --size 10 127.0.0.1 \
	>"$TMPD/send.json" 2>/dev/null
td=$(tcpdump -r "$TMPD/s.pcap" -n -v 2>/dev/null |
	sed -n 's/.* length \([0-9]*\)).*/\1/p')
sj=$(python3 -c 'import json,sys; o=json.loads(open(sys.argv[1]).readline()); assert "bytes" not in o; print(o["ip_len"], o["len"])' "$TMPD/send.json")
sn=$("$HDP" sniff -r "$TMPD/s.pcap" --json 2>/dev/null | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["len"])')
expect_eq "send --json: ip_len as tcpdump -v reads it, len as sniff's" \
	"$sj" "$td $sn"

# latencies: sweep's JSON in exact ns (no latency_us), its wide table and
# replay's lag in hdp_fmt_latency's units ("21.2 us"), as sniff prints them
if [ -n "$NS" ]; then
	run sweep -P 255 -c 2 --json 127.0.0.1
	python3 - "$TMPD/out" <<'PY' && ok "sweep --json: latency_ns, hdp_ts_ns, ip_len" ||
import json, sys
r = json.loads(open(sys.argv[1]).readline())
assert "latency_us" not in r and isinstance(r["latency_ns"], int), r
lat = [p["rx_time_ns"] - p["hdp_ts_ns"] for p in r["packets"]]
assert abs(r["latency_ns"] - sum(lat) / len(lat)) <= 1, (r["latency_ns"], lat)
assert all(p["ip_len"] == 40 and "ts" not in p for p in r["packets"]), r
PY
		fail "sweep --json: $(head -c 300 "$TMPD/out")"
	run sweep -P 255 -c 2 -v 127.0.0.1
	lat=$(awk -F' [|] ' '$1 == "| 255" { print $8 }' "$TMPD/out")
	echo "$lat" | grep -Eq '^-?[0-9]+\.[0-9] (us|ms|s)$' &&
		ok "sweep -v: Time difference '$lat'" ||
		fail "sweep -v: Time difference '$lat'"
	run replay -I lo "$P"
	lag=$(sed -n 's/^| lag behind schedule, mean \/ worst | \(.*\) |$/\1/p' \
		"$TMPD/out")
	echo "$lag" | grep -Eq '^[0-9]+\.[0-9] (us|ms|s) / [0-9]+\.[0-9] (us|ms|s)$' &&
		ok "replay: lag '$lag'" || fail "replay: lag '$lag'"
	col=$(awk -F' [|] ' '$1 == "| 1" { print $9 }' "$TMPD/out")
	echo "$col" | grep -Eq '^[0-9]+\.[0-9] (us|ms|s)$' &&
		ok "replay: lag column '$col'" || fail "replay: lag column '$col'"
	run replay --json -I lo "$P"
	python3 - "$TMPD/out" "$TMPD/sniff.json" <<'PY' &&
import json, sys
rp = [json.loads(l) for l in open(sys.argv[1])]
rp = [o for o in rp if o["type"] == "packet"]
sn = [json.loads(l) for l in open(sys.argv[2])]
assert [o["ip_len"] for o in rp] == [o["ip_len"] for o in sn], (rp, sn)
assert all("bytes" not in o for o in rp), rp
PY
		ok "replay --json: ip_len as sniff's" ||
		fail "replay --json: ip_len: $(head -c 300 "$TMPD/out")"
fi

finish
