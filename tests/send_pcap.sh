#!/bin/sh
# send_pcap.sh: --pcap-out writes the exact frames, with nanosecond
# timestamps, without privileges (run here as nobody); tcpdump and tshark
# read the files cleanly; --tee sends and writes the same bytes; existing
# files are not clobbered without --force.  Without privileges and without
# --pcap-out, hdp send says what is missing and how to fix it (exit 3).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/send_lib.sh"
need_root
need_cmd tcpdump tshark setpriv

chmod 755 "$TMPD"
P="$TMPD/nobody"
mkdir "$P" && chown 65534:65534 "$P" || fatal "chown"
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

# as nobody: build only
nobody "$HDP" send --pcap-out "$P/p.pcap" -c 3 -i 0.001 -P 253-255 \
	--timestamp 99 --data abc 127.0.0.1 </dev/null >"$TMPD/out"; rc=$?
expect_eq "--pcap-out as nobody exits 0" "$rc" 0
n=$(tcpdump -n -r "$P/p.pcap" 2>"$TMPD/terr" | wc -l)
expect_eq "tcpdump reads 9 packets" "$n" 9
grep -q "link-type RAW" "$TMPD/terr" || fail "link type RAW: $(cat "$TMPD/terr")"
tshark -r "$P/p.pcap" -V 2>&1 | grep -qi "malformed\|error" &&
	fail "tshark finds nothing malformed"
protos=$(fields "$P/p.pcap" "ip" ip.proto | tr '\n' ' ')
expect_eq "protocols in order, rounds repeated" "$protos" \
	"253 254 255 253 254 255 253 254 255 "
set -- $(fields "$P/p.pcap" "ip.proto == 255" ip.checksum.status data.data)
expect_eq "pcap: IPv4 checksum" "${1:-}" 1
expect_eq "pcap: HDP header and payload" "${2:-}" "01a401a40000000000000063616263"
# nanosecond timestamps: the file's magic, and times that are not all
# multiples of 1000 ns
magic=$(od -An -tx4 -N4 "$P/p.pcap" | tr -d ' ')
expect_eq "nanosecond pcap magic" "$magic" "a1b23c4d"
ns=$(tshark -r "$P/p.pcap" -T fields -e frame.time_epoch 2>/dev/null |
	awk -F. '{ if (substr($2, 7, 3) != "000") n++ } END { print n + 0 }')
[ "$ns" -gt 0 ] && ok "nanosecond times" || fail "times in whole microseconds"
# the send time in the row is the pcap time
first=$(tshark -r "$P/p.pcap" -T fields -e frame.time_epoch -c 1 2>/dev/null)
nobody "$HDP" send --pcap-out "$P/j.pcap" --json --data x 127.0.0.1 \
	</dev/null >"$TMPD/j"
tj=$(sed -n 's/.*"time_ns":\([0-9]*\).*"hdp_ts_ns":\([0-9]*\).*/\1 \2/p' "$TMPD/j")
pt=$(tshark -r "$P/j.pcap" -T fields -e frame.time_epoch 2>/dev/null | tr -d .)
ts=$(fields "$P/j.pcap" ip data.data | cut -c9-24)
expect_eq "JSON time_ns is the pcap time" "${tj% *}" "$pt"
expect_eq "JSON hdp_ts_ns is in the packet" "$(printf '%d' "0x$ts")" "${tj#* }"

# IPv6 and the UDP mode into pcap: tshark checks the UDP checksum
nobody "$HDP" send --pcap-out "$P/u.pcap" --l4 udp --flow-label 0x54321 \
	--data u6 ::1 </dev/null >/dev/null
set -- $(fields "$P/u.pcap" "ipv6 && udp" udp.checksum.status ipv6.flow)
expect_eq "pcap: IPv6 UDP checksum" "${1:-}" 1
expect_eq "pcap: flow label" "$(printf '%d' "${2:-0}")" $((0x54321))

# no clobbering without --force
nobody "$HDP" send --pcap-out "$P/p.pcap" 127.0.0.1 </dev/null \
	>/dev/null 2>"$TMPD/err"; rc=$?
expect_eq "existing --pcap-out: exit 2" "$rc" 2
grep -q "exists" "$TMPD/err" || fail "says the file exists"
n=$(tcpdump -n -r "$P/p.pcap" 2>/dev/null | wc -l)
expect_eq "the old file is untouched" "$n" 9
nobody "$HDP" send --pcap-out "$P/p.pcap" --force 127.0.0.1 </dev/null \
	>/dev/null; rc=$?
expect_eq "--force overwrites" "$rc" 0

# without privileges and without --pcap-out: a plain explanation
nobody "$HDP" send 127.0.0.1 </dev/null >/dev/null 2>"$TMPD/err"; rc=$?
expect_eq "not root: exit 3" "$rc" 3
grep -q "needs root or the CAP_NET_RAW capability.*setcap cap_net_raw,cap_net_admin+ep" \
	"$TMPD/err" || fail "not root message: $(cat "$TMPD/err")"

# --tee: sent (tcpdump sees it) and written, the same bytes
NS=$(netns_add tee)
cap_start "$NS" lo "$TMPD/wire.pcap"
ip netns exec "$NS" "$HDP" send -q --pcap-out "$TMPD/t.pcap" --tee -c 2 \
	-i 0.01 --id 99 --data tee 127.0.0.1 </dev/null >/dev/null; rc=$?
cap_stop
expect_eq "--tee exits 0" "$rc" 0
w=$(fields "$TMPD/wire.pcap" "ip.id == 99" ip.id data.data | sort | uniq -c | wc -l)
t=$(fields "$TMPD/t.pcap" "ip.id == 99" ip.id data.data | sort | uniq -c | wc -l)
expect_eq "--tee: two distinct packets on the wire" "$w" 2
expect_eq "--tee: two in the file" "$t" 2
a=$(fields "$TMPD/wire.pcap" "ip.id == 99" data.data | sort | tr '\n' ' ')
b=$(fields "$TMPD/t.pcap" "ip.id == 99" data.data | sort | tr '\n' ' ')
expect_eq "--tee: the file holds what went out" "$a" "$b"

# a file alone is written at once: no 1 s wait between rounds (the frames'
# times show it), while -i still spaces them
"$HDP" send --pcap-out "$TMPD/r.pcap" -c 3 127.0.0.1 </dev/null >/dev/null ||
	fail "--pcap-out -c 3"
span=$(tcpdump -n -tt -r "$TMPD/r.pcap" 2>/dev/null |
	awk 'NR == 1 { a = $1 } { b = $1 } END { printf "%d", (b - a) * 1000 }')
[ "${span:-9999}" -lt 500 ] || fail "--pcap-out rounds not waited for: ${span} ms"
"$HDP" send --pcap-out "$TMPD/ri.pcap" -c 3 -i 0.2 127.0.0.1 </dev/null \
	>/dev/null || fail "--pcap-out -c 3 -i 0.2"
span=$(tcpdump -n -tt -r "$TMPD/ri.pcap" 2>/dev/null |
	awk 'NR == 1 { a = $1 } { b = $1 } END { printf "%d", (b - a) * 1000 }')
[ "${span:-0}" -ge 390 ] || fail "-i 0.2 still paces --pcap-out: ${span} ms"

# --pcap-out -: the frames on standard output, the report on standard
# error, so that tcpdump reads a clean capture from the pipe
"$HDP" send -c 3 --data piped --pcap-out - 127.0.0.1 2>"$TMPD/rep.txt" |
	tcpdump -n -r - >"$TMPD/piped.txt" 2>"$TMPD/piped.err"
expect_eq "--pcap-out -: tcpdump reads 3 packets" "$(wc -l <"$TMPD/piped.txt")" 3
grep -qi "truncated\|bad\|error" "$TMPD/piped.err" &&
	fail "--pcap-out -: tcpdump: $(cat "$TMPD/piped.err")"
grep -q "^3 packets: 3 sent" "$TMPD/rep.txt" ||
	fail "--pcap-out -: the report is not on standard error"

finish
