#!/bin/sh
# ping_iputils.sh: hdp ping side by side with iputils ping(8), both from
# a sender namespace through a router namespace to a receiver namespace
# (where `hdp listen --echo` answers hdp and the kernel answers ping):
#  1. the same line shapes: "PING DEST (ADDR) S(L) bytes of data", each
#     reply "N bytes from ADDR: ... seq=1 ttl=63 time=0.052 ms" (times in
#     ms, their decimals by iputils' bands: 3 under 1 ms, 2 under 10, 1
#     under 100, none above, checked on both; a slow responder, as under
#     valgrind, moves a time to another band), "--- ADDR ping statistics ---", "N
#     packets transmitted, N received, 0% packet loss, time Nms", "rtt
#     min/avg/max/mdev = a/b/c/d ms"; hdp says icmp_seq as kind=hdp seq;
#  2. the same sequence numbers (from 1) and TTLs (63: one router);
#  3. -s as ping's data bytes: ping's reply is 8 + S bytes, hdp's 12 + S,
#     and "S(20 + header + S)" in the first line;
#  4. the same counting under -c and -w: -c 3 -w 2, -c 10 -w 1 -i 0.3,
#     -w 1 -i 0.3 alone, -c 3 -w 5 (ends at the third reply), and with -w
#     an ICMP error from the router ends the run ("+1 errors") in both;
#     the same exit statuses;
#  5. JSON: seq from 1 and ttl on answered probes, seq from 1 on lost ones.
. "${top_srcdir:-.}/tests/lib.sh"
need_root
need_cmd ip ping
PY=python3

S=$(netns_add s)
R=$(netns_add r)
D=$(netns_add d)
veth_pair "$S" s0 198.51.100.1/24 "$R" r0 198.51.100.254/24
veth_pair "$R" r1 203.0.113.254/24 "$D" d0 203.0.113.2/24
ip -n "$R" link set lo up
ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1
ip -n "$S" route add default via 198.51.100.254
ip -n "$D" route add default via 203.0.113.254
# a destination the router refuses: ICMP "Packet filtered" to both pingers;
# one it drops without a word
ip -n "$R" route add prohibit 203.0.113.99/32
ip -n "$R" route add blackhole 203.0.113.98/32
DST=203.0.113.2

bg ip netns exec "$D" "$HDP" listen --echo -t 60 >"$TMPD/listen.out" \
	2>"$TMPD/listen.err"
ECHO=$BG_PID
i=0
while ! grep -q listening "$TMPD/listen.err" && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done

# both NAME ARGS...: iputils ping and hdp ping with the same arguments;
# outputs in $TMPD/NAME.ping and NAME.hdp, exit statuses in $RC_PING and
# $RC_HDP, hdp's wall time in $SECS_HDP
both() {
	_n=$1; shift
	ip netns exec "$S" timeout 20 ping -n "$@" >"$TMPD/$_n.ping" 2>&1
	RC_PING=$?
	_t0=$(date +%s.%N)
	ip netns exec "$S" timeout 20 "$HDP" ping "$@" >"$TMPD/$_n.hdp" \
		2>"$TMPD/$_n.err"
	RC_HDP=$?
	SECS_HDP=$(awk -v a="$_t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
}

# shape FILE: ping's lines of FILE with every number's digits hidden but
# its decimals kept (0.052 -> N.ddd), hdp's words made ping's, and the
# lines only hdp prints (percentiles, one-way delays) left out
shape() {
	$PY - "$1" <<'PY'
import re, sys
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if re.match(r"(rtt p50|one-way|\d+ departures|$)", line):
        continue
    line = line.replace("kind=hdp seq=", "icmp_seq=")
    line = line.replace(" hdp ping statistics", " ping statistics")
    line = re.sub(r" bytes of data.*", " bytes of data.", line)
    line = re.sub(r" \(fwd [^)]*\)", "", line)
    line = re.sub(r" time=[0-9.]+ ms", " time=T ms", line)
    line = re.sub(r"(\d+)(\.\d+)?",
                  lambda m: "N" + ("." + "d" * (len(m.group(2)) - 1)
                                   if m.group(2) else ""), line)
    print(line)
PY
}

# field FILE REGEX: the first group of REGEX on each line, one per line
field() { sed -nE "s/$2/\\1/p" "$1"; }

# counting FILE: the "N packets transmitted, ..." line without its time
counting() { grep -E '^[0-9]+ packets transmitted' "$1" | sed 's/, time.*//'; }

# ---- 1-3: line shapes, seq, ttl, -s -------------------------------------
both plain -c 3 -i 0.2 "$DST"
expect_eq "exit 0 both (ping $RC_PING, hdp $RC_HDP)" "$RC_PING$RC_HDP" 00
shape "$TMPD/plain.ping" >"$TMPD/plain.ping.shape"
shape "$TMPD/plain.hdp" >"$TMPD/plain.hdp.shape"
if diff "$TMPD/plain.ping.shape" "$TMPD/plain.hdp.shape" >"$TMPD/shape.diff"
then ok "the same line shapes as ping(8) ($(wc -l <"$TMPD/plain.ping.shape") lines)"
else fail "line shapes differ from ping(8):"; cat "$TMPD/shape.diff"; fi
cat "$TMPD/plain.hdp"
check "a reply line as ping(8)'s" \
	grep -qE '^68 bytes from 203\.0\.113\.2: kind=hdp seq=1 ttl=63 time=[0-9.]+ ms' \
	"$TMPD/plain.hdp"
# bands FILE: every time= and (fwd/back/turnaround) value of FILE's reply
# lines has the decimals iputils gives its band
bands() {
	$PY - "$1" <<'PY'
import re, sys
bad = 0
for line in open(sys.argv[1]):
    if " bytes from " not in line:
        continue	# the statistics have three decimals, as ping(8)'s
    for v in re.findall(r"(?:time=|fwd |back |turnaround )(-?[0-9.]+) ms", line):
        ms = abs(float(v))
        want = 3 if ms < 1 else 2 if ms < 10 else 1 if ms < 100 else 0
        got = len(v.split(".")[1]) if "." in v else 0
        if got != want:
            print("  %s ms: %d decimals, iputils gives %d" % (v, got, want))
            bad += 1
sys.exit(bad != 0)
PY
}
check "ping(8)'s times follow the bands" bands "$TMPD/plain.ping"
check "hdp's times follow the same bands" bands "$TMPD/plain.hdp"
expect_eq "the same sequence numbers, from 1" \
	"$(field "$TMPD/plain.hdp" '.* seq=([0-9]+) .*' | tr '\n' ' ')" \
	"$(field "$TMPD/plain.ping" '.* icmp_seq=([0-9]+) .*' | tr '\n' ' ')"
expect_eq "the same TTLs (one router: 63)" \
	"$(field "$TMPD/plain.hdp" '.* ttl=([0-9]+) .*' | tr '\n' ' ')" \
	"$(field "$TMPD/plain.ping" '.* ttl=([0-9]+) .*' | tr '\n' ' ')"
expect_eq "the same counting" "$(counting "$TMPD/plain.hdp")" \
	"$(counting "$TMPD/plain.ping")"

both size -c 2 -i 0.2 -s 200 "$DST"
expect_eq "-s 200: ping's replies 8 + 200 bytes" \
	"$(field "$TMPD/size.ping" '^([0-9]+) bytes from.*' | sort -u)" 208
expect_eq "-s 200: hdp's replies 12 + 200 bytes" \
	"$(field "$TMPD/size.hdp" '^([0-9]+) bytes from.*' | sort -u)" 212
check "-s 200: ping's first line 200(228)" grep -q '^PING .* 200(228) bytes of data' "$TMPD/size.ping"
check "-s 200: hdp's first line 200(232)" grep -q '^PING .* 200(232) bytes of data' "$TMPD/size.hdp"

# ---- 4: -c and -w ------------------------------------------------------
for args in "-c 3 -w 2" "-c 10 -w 1 -i 0.3" "-w 1 -i 0.3" "-c 3 -w 5 -i 0.2"; do
	# shellcheck disable=SC2086
	both cw $args "$DST"
	expect_eq "$args: counted as ping(8) counts" \
		"$(counting "$TMPD/cw.hdp")" "$(counting "$TMPD/cw.ping")"
	expect_eq "$args: the same exit status" "$RC_HDP" "$RC_PING"
	grep -E 'transmitted' "$TMPD/cw.ping"
done
check "-c 3 -w 5: ends at the third reply, well before the deadline" \
	awk -v t="$SECS_HDP" 'BEGIN { exit !(t < 3.5) }'
both prohib -c 5 -w 3 -i 0.2 203.0.113.99
expect_eq "-w and an ICMP error: counted as ping(8) counts" \
	"$(counting "$TMPD/prohib.hdp")" "$(counting "$TMPD/prohib.ping")"
expect_eq "-w and an ICMP error: the same exit status" "$RC_HDP" "$RC_PING"
check "-w and an ICMP error: hdp says +1 errors" \
	grep -q '^1 packets transmitted, 0 received, +1 errors, 100% packet loss' \
	"$TMPD/prohib.hdp"

# ---- 5: JSON ----------------------------------------------------------
ip netns exec "$S" "$HDP" ping --json -c 3 -i 0.1 "$DST" >"$TMPD/j.json"
expect_eq "JSON: answered seq 1-3 with ttl 63" "$($PY - "$TMPD/j.json" <<'PY'
import json, sys
rows = [json.loads(x) for x in open(sys.argv[1])]
print(" ".join("%d/%d" % (r["seq"], r["ttl"]) for r in rows
               if r["type"] == "probe"))
PY
)" "1/63 2/63 3/63"
ip netns exec "$S" "$HDP" ping --json -c 2 -i 0.1 -W 0.3 203.0.113.98 \
	>"$TMPD/lost.json"
expect_eq "JSON: probes the router drops: exit 1" "$?" 1
expect_eq "JSON: lost probes seq 1-2" "$(grep -o '"seq":[0-9]*,"received":false' \
	"$TMPD/lost.json" | tr '\n' ' ')" \
	'"seq":1,"received":false "seq":2,"received":false '

kill "$ECHO" 2>/dev/null
wait "$ECHO" 2>/dev/null
finish
