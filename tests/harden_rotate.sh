#!/bin/sh
# harden_rotate.sh: -w rotation as tcpdump does it (-C SIZE, -G SECONDS,
# -W N) leaves only complete files: tcpdump reads every file without a
# complaint, no packet is lost or split, sizes and counts are as asked;
# existing files are not overwritten without --force; a live capture
# stopped by SIGTERM mid-rotation leaves every file whole.
. "$top_srcdir/tests/lib.sh"
need_cmd tcpdump python3
bin=${HDP_REAL:-$HDP}
cd "$TMPD" || fatal "cd"
# as root hdp runs as nobody after the first file: keep root here
Z=""; [ "$(id -u)" -eq 0 ] && Z="-Z root"

# td FILE: packets tcpdump reads from FILE; a complaint fails
td() {
	n=$(tcpdump -r "$1" -n 2>"$1.err" | wc -l)
	grep -vq '^reading from file' "$1.err" &&
		fail "$1: tcpdump: $(grep -v '^reading' "$1.err")"
	echo "$n"
}

# total FILES...: packets in all of them
total() { t=0; for f in "$@"; do t=$((t + $(td "$f"))); done; echo $t; }

"$bin" send -q -c 100000 --flood --data rotation --pcap-out big.pcap \
	127.0.0.1 >/dev/null 2>&1 || fatal "hdp send --pcap-out"

# ---- -C 1: files of 1,000,000 bytes and one packet more at most ----------
"$bin" sniff -r big.pcap -w c.pcap -C 1 $Z 2>err; rc=$?
expect_eq "-C 1: exit 0" "$rc" 0
set -- c.pcap c.pcap[0-9]*
expect_eq "-C 1: 6 files for 5.6 MB" "$#" 6
expect_eq "-C 1: every packet in exactly one file" "$(total "$@")" 100000
for f in "$@"; do
	s=$(stat -c %s "$f")
	[ "$s" -le $((1000000 + 56)) ] || fail "-C 1: $f has $s bytes"
done
"$bin" sniff -r big.pcap -w c.pcap -C 1 $Z 2>err; rc=$?
expect_eq "-C: an existing first file is not overwritten" "$rc" 2
"$bin" sniff -r big.pcap -w c.pcap -C 1 $Z --force 2>err; rc=$?
expect_eq "-C --force: overwrites" "$rc" 0

# ---- -C 1 -W 2: a ring of two files, the newest packets kept -------------
"$bin" sniff -r big.pcap -w ring.pcap -C 1 -W 2 $Z 2>err; rc=$?
expect_eq "-C -W: exit 0" "$rc" 0
set -- ring.pcap*
[ "$#" -eq 2 ] || fail "-C -W 2: files $*"
last=$(tcpdump -r ring.pcap1 -n 2>/dev/null | tail -1 | cut -d' ' -f1)
want=$(tcpdump -r big.pcap -n 2>/dev/null | tail -1 | cut -d' ' -f1)
expect_eq "-C -W: the last packet is in the ring" "$last" "$want"
expect_eq "-C -W: ring.pcap0 whole" "$(td ring.pcap0)" 17857

# ---- -G 2: packet time, a strftime pattern --------------------------------
python3 - <<'PY' || fatal "python3"
import struct
d = open('big.pcap', 'rb').read()
hdr = d[:24]
s, f, incl, orig = struct.unpack('<IIII', d[24:40])
pkt = d[40:40 + incl]
out = bytearray(hdr)
for i in range(600):                     # 6 s, one packet each 10 ms
    t = 1795435200 * 10**9 + i * 10**7
    out += struct.pack('<IIII', t // 10**9, t % 10**9, incl, orig) + pkt
open('timed.pcap', 'wb').write(out)
PY
"$bin" sniff -r timed.pcap -w 'g-%H%M%S.pcap' -G 2 $Z 2>err; rc=$?
expect_eq "-G 2: exit 0" "$rc" 0
# the first name comes from the clock at start, as in tcpdump; the next
# ones from the packet time that starts them
set -- g-*.pcap
expect_eq "-G 2: three files for 6 s" "$#" 3
for f in "$@"; do
	expect_eq "-G 2: $f holds 2 s of packets" "$(td "$f")" 200
done
[ -f g-120002.pcap ] && [ -f g-120004.pcap ] ||
	fail "-G 2: later files named by packet time: $*"
"$bin" sniff -r timed.pcap -w w.pcap -G 2 -W 2 $Z 2>err; rc=$?
expect_eq "-G -W 2: stops after two files, exit 0" "$rc" 0
expect_eq "-G -W 2: two files" "$(ls w.pcap* | grep -vc err)" 2
expect_eq "-G -W 2: both whole" "$(total w.pcap w.pcap1)" 400

# ---- bad usage --------------------------------------------------------------
"$bin" sniff -r big.pcap -C 1 2>err; rc=$?
expect_eq "-C without -w: exit 2" "$rc" 2
expect_eq "-C without -w: message" "$(cat err)" "hdp sniff: -C, -G and -W need -w FILE"
"$bin" sniff -r big.pcap -w x.pcap -W 3 2>err; rc=$?
expect_eq "-W alone: exit 2" "$rc" 2
"$bin" sniff -r big.pcap -w x.pcap -C 0 2>err; rc=$?
expect_eq "-C 0: exit 2" "$rc" 2

# ---- live, stopped by SIGTERM in the middle of rotating ----------------------
if [ "$(id -u)" -eq 0 ]; then
	NS=$(netns_add rot)
	bg ip netns exec "$NS" "$bin" send -q -c 0 --rate 3000 --data live \
		127.0.0.1
	mkdir live
	bg ip netns exec "$NS" "$bin" sniff -i lo -w live/l.pcap -C 20k -Z root \
		2>live.err
	pid=$BG_PID
	sleep 2
	kill -TERM "$pid"; wait "$pid"; rc=$?
	expect_eq "live -C 20k, SIGTERM: exit 0" "$rc" 0
	set -- live/l.pcap*
	[ "$#" -ge 3 ] || fail "live: only $# files"
	n=$(total "$@")
	c=$(sed -n 's/^\([0-9]*\) packets\{0,1\} captured$/\1/p' live.err)
	expect_eq "live: files hold every packet counted" "$n" "$c"
fi
finish
