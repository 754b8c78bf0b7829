#!/bin/sh
# harden_memory.sh: memory does not grow with the amount of traffic.  For
# hdp sniff -r (line and --json output), hdp where and hdp replay, the
# peak resident memory after 1,000,000 packets must stay within twice that
# after 10,000.  The captures are made here, in the test's own directory:
# one HDP datagram from hdp send --pcap-out, repeated with a new HDP
# timestamp and capture time every 10 us (100,000 packets/s: the packets
# in flight in hdp where's window are as many in both captures); replay
# sends inside a namespace of its own.  GNU time's %M (max RSS, KiB) is
# the measure.
. "$top_srcdir/tests/lib.sh"
need_cmd /usr/bin/time python3
bin=${HDP_REAL:-$HDP}
[ -n "${HDP_VALGRIND:-}" ] && skip "memory figures under valgrind mean nothing"
# ASan's quarantine and shadow memory grow with allocations, by design
grep -q __asan_init "$bin" 2>/dev/null &&
	skip "memory figures of a sanitizer build mean nothing"

"$bin" send -q -c 1 --data memory --pcap-out "$TMPD/one.pcap" 127.0.0.1 \
	>/dev/null 2>&1 || fatal "hdp send --pcap-out"
python3 - "$TMPD" <<'PY' || fatal "making the captures"
import struct, sys
d = sys.argv[1]
one = open(d + '/one.pcap', 'rb').read()
hdr, rec = one[:24], one[24:]
s, frac, incl, orig = struct.unpack('<IIII', rec[:16])
pkt = bytearray(rec[16:16 + incl])
ihl = (pkt[0] & 15) * 4            # DLT_RAW: IPv4 from byte 0
nano = struct.unpack('<I', hdr[:4])[0] == 0xa1b23c4d
base = 1795435200 * 10**9
for n in (10000, 1000000):
    out = bytearray(hdr)
    for i in range(n):
        t = base + i * 10000       # 10 us apart
        struct.pack_into('>Q', pkt, ihl + 4, t - 5000)
        out += struct.pack('<IIII', t // 10**9,
                           t % 10**9 if nano else (t % 10**9) // 1000,
                           incl, orig)
        out += pkt
    open('%s/p%d.pcap' % (d, n), 'wb').write(out)
PY

# rss CMD...: the command's peak RSS in KiB (its output discarded)
rss() {
	/usr/bin/time -f '%M' -o "$TMPD/rss" "$@" >/dev/null 2>"$TMPD/err" ||
		{ echo "FAILED: $* : $(tail -2 "$TMPD/err")" >&2; echo 0; return; }
	cat "$TMPD/rss"
}

# compare NAME SMALL BIG
compare() {
	echo "$1: max RSS $2 KiB after 10,000 packets, $3 KiB after 1,000,000"
	if [ "$2" -gt 0 ] && [ "$3" -gt 0 ] && [ "$3" -le $(($2 * 2)) ]; then
		ok "$1: memory within 2x ($3 <= 2 * $2 KiB)"
	else
		fail "$1: memory grew: $2 KiB -> $3 KiB"
	fi
}

for mode in "" --json; do
	a=$(rss "$bin" sniff -r "$TMPD/p10000.pcap" $mode)
	b=$(rss "$bin" sniff -r "$TMPD/p1000000.pcap" $mode)
	compare "sniff -r ${mode:-(lines)}" "$a" "$b"
done

a=$(rss "$bin" where -q "A=$TMPD/p10000.pcap" "B=$TMPD/p10000.pcap")
b=$(rss "$bin" where -q "A=$TMPD/p1000000.pcap" "B=$TMPD/p1000000.pcap")
compare "where" "$a" "$b"

if [ "$(id -u)" -eq 0 ]; then
	NS=$(netns_add mem)
	a=$(rss ip netns exec "$NS" "$bin" replay -q --topspeed \
		"$TMPD/p10000.pcap")
	b=$(rss ip netns exec "$NS" "$bin" replay -q --topspeed \
		"$TMPD/p1000000.pcap")
	compare "replay" "$a" "$b"
else
	echo "replay: needs root, not measured"
fi
finish
