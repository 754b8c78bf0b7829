#!/bin/sh
# harden_rotate.sh: -w rotation as tcpdump does it (-C SIZE, -G SECONDS,
# -W N) leaves only complete files: tcpdump reads every file without a
# complaint, no packet is lost or split, sizes and counts are as asked;
# existing files are not overwritten without --force; a live capture
# stopped by SIGTERM mid-rotation leaves every file whole.  As root (where
# hdp drops to nobody before it reads a packet): a -C -W ring made in a
# directory nobody may not write wraps all the same (its files are all
# created before the drop); a name of the ring someone else has taken is
# refused before anything is read; a next file that cannot be made (-C
# alone: after the drop, or another user's name) keeps the packets in the
# current file, with a clear message and exit 4, none lost; a ring larger
# than the open-file limit is refused at the start; a -w file made for an
# input that turns out to be no capture is removed.
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
expect_eq "-C without -w: message" "$(head -1 err)" "hdp sniff: -C, -G and -W need -w FILE"
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

# ---- as root: the ring and the next file after the drop to nobody --------
if [ "$(id -u)" -ne 0 ]; then
	finish
	exit
fi
id -u nobody >/dev/null || fatal "no user nobody"
# another user, ours, who takes names in a sticky directory (removed on
# exit, also on failure); daemon when there is no useradd
other=hdpr$$
if command -v useradd >/dev/null 2>&1 &&
   useradd -M -N -r -s /usr/sbin/nologin "$other" 2>/dev/null; then
	trap 'userdel "$other" 2>/dev/null; cleanup' EXIT
else
	other=daemon
fi
other_uid=$(id -u "$other") || fatal "no user $other"
asother="setpriv --reuid=$other_uid --regid=$(id -g "$other") --clear-groups --"
chmod 755 "$TMPD"
all=100000
# a directory nobody may not write, and a sticky one anyone may
mkdir -m 755 rootonly refdir
mkdir -m 1777 sticky

# ring of 3 over 6 files' worth: wraps twice, as nobody
"$bin" sniff -r big.pcap -w rootonly/ring.pcap -C 1 -W 3 2>ring.err; rc=$?
expect_eq "ring after the drop: exit 0" "$rc" 0
grep -q "rotation\|Permission" ring.err && fail "ring: $(cat ring.err)"
set -- rootonly/ring.pcap*
expect_eq "ring after the drop: 3 files" "$#" 3
"$bin" sniff -r big.pcap -w refdir/ring.pcap -C 1 -W 3 -Z root 2>/dev/null ||
	fail "ring as root"
for i in 0 1 2; do
	expect_eq "ring after the drop: ring.pcap$i as root's" \
		"$(td rootonly/ring.pcap$i)" "$(td refdir/ring.pcap$i)"
done
last=$(tcpdump -r rootonly/ring.pcap2 -n 2>/dev/null | tail -1 | cut -d' ' -f1)
expect_eq "ring after the drop: the last packet is in the ring" "$last" "$want"
expect_eq "ring files are root's (made before the drop)" \
	"$(stat -c %u rootonly/ring.pcap1)" 0

# a ring of 8 over 6 files' worth: the names not reached are valid,
# empty captures
"$bin" sniff -r big.pcap -w rootonly/r8.pcap -C 1 -W 8 2>/dev/null; rc=$?
expect_eq "ring of 8: exit 0" "$rc" 0
expect_eq "ring of 8: every packet" "$(total rootonly/r8.pcap?)" $all
expect_eq "ring of 8: r8.pcap7 not reached, a capture of nothing" \
	"$(td rootonly/r8.pcap7)" 0

# -C alone: the second file cannot be made as nobody in rootonly/: the
# packets go on into the first one, none lost
"$bin" sniff -r big.pcap -w rootonly/c.pcap -C 1 2>c.err; rc=$?
expect_eq "-C after the drop, directory closed: exit 4" "$rc" 4
grep -qF "hdp sniff: rootonly/c.pcap1: Permission denied (hdp runs as nobody now: give it a directory it may write, or -Z root); no more rotation: the packets go on into rootonly/c.pcap" c.err ||
	fail "-C, directory closed: message: $(cat c.err)"
expect_eq "-C, directory closed: no packet lost" "$(total rootonly/c.pcap*)" $all

# another user has taken the next name: the same, and their file stays
$asother sh -c 'echo theirs >"$1"' x sticky/n.pcap1 || fatal "their file"
"$bin" sniff -r big.pcap -w sticky/n.pcap -C 1 -Z root 2>n.err; rc=$?
expect_eq "-C, next name taken: exit 4" "$rc" 4
grep -qF "hdp sniff: sticky/n.pcap1: exists (use --force to overwrite); no more rotation: the packets go on into sticky/n.pcap" n.err ||
	fail "-C, next name taken: message: $(cat n.err)"
expect_eq "-C, next name taken: no packet lost" "$(td sticky/n.pcap)" $all
rm -f sticky/n.pcap
"$bin" sniff -r big.pcap -w sticky/n.pcap -C 1 -Z root --force 2>n.err; rc=$?
expect_eq "-C --force, next name another user's: exit 4" "$rc" 4
grep -qF "sticky/n.pcap1: belongs to uid $other_uid, not to this user; refusing to overwrite it; no more rotation" n.err ||
	fail "-C --force, next name theirs: message: $(cat n.err)"
expect_eq "-C --force, next name theirs: no packet lost" "$(td sticky/n.pcap)" $all
expect_eq "-C --force: their file left as it was" "$(cat sticky/n.pcap1)" theirs

# a name of the ring taken: refused before a packet is read, and the
# ring's files made so far are removed
$asother sh -c 'echo theirs >"$1"' x sticky/t.pcap2 || fatal "their file"
"$bin" sniff -r big.pcap -w sticky/t.pcap -C 1 -W 3 2>t.err; rc=$?
expect_eq "ring, a name taken: exit 2" "$rc" 2
expect_eq "ring, a name taken: message" "$(cat t.err)" \
	"hdp sniff: sticky/t.pcap2: exists (use --force to overwrite)"
"$bin" sniff -r big.pcap -w sticky/t.pcap -C 1 -W 3 --force 2>t.err; rc=$?
expect_eq "ring --force, a name another user's: exit 2" "$rc" 2
expect_eq "ring --force, a name another user's: message" "$(cat t.err)" \
	"hdp sniff: sticky/t.pcap2: belongs to uid $other_uid, not to this user; refusing to overwrite it"
$asother mkfifo -m 666 sticky/f.pcap1 || fatal "mkfifo"
timeout 10 "$bin" sniff -r big.pcap -w sticky/f.pcap -C 1 -W 3 --force \
	2>t.err; rc=$?
expect_eq "ring --force, a FIFO: exit 2" "$rc" 2
set -- sticky/t.pcap0 sticky/t.pcap1 sticky/f.pcap0 sticky/f.pcap2
for f in "$@"; do
	[ -e "$f" ] && fail "refused ring: $f left behind"
done
expect_eq "refused ring: their file left as it was" \
	"$(cat sticky/t.pcap2)" theirs

# a ring larger than the open-file limit: refused at the start
# shellcheck disable=SC2016 # expanded by the inner sh
sh -c 'ulimit -n 100 && exec "$0" sniff -r big.pcap -w rootonly/lim.pcap -C 1 -W 500' \
	"$bin" 2>lim.err; rc=$?
expect_eq "-W over the open-file limit: exit 4" "$rc" 4
expect_eq "-W over the open-file limit: message" "$(cat lim.err)" \
	"hdp sniff: -W 500: the ring keeps its 500 files open, and at most 100 files may be open (ulimit -n)"
[ -e rootonly/lim.pcap000 ] && fail "-W over the limit: files left behind"

# the input is no capture: the -w file made for it goes again
echo "not a capture" >notpcap.pcap
"$bin" sniff -r notpcap.pcap -w rootonly/none.pcap -Z root 2>none.err; rc=$?
expect_eq "-r no capture, -w: exit 2" "$rc" 2
[ -e rootonly/none.pcap ] && fail "-r no capture: the -w file is left"
"$bin" sniff -r notpcap.pcap -w rootonly/none.pcap -C 1 -W 2 -Z root \
	2>none.err; rc=$?
expect_eq "-r no capture, ring: exit 2" "$rc" 2
[ -e rootonly/none.pcap0 ] && fail "-r no capture: the ring is left"
# the same as nobody, after the drop: plainly no capture (its magic
# number), so no -w file is made for it in the first place
"$bin" sniff -r notpcap.pcap -w rootonly/none.pcap 2>none.err; rc=$?
expect_eq "-r no capture, as nobody: exit 2" "$rc" 2
expect_eq "-r no capture, as nobody: message" "$(cat none.err)" \
	"hdp sniff: notpcap.pcap: unknown file format"
[ -e rootonly/none.pcap ] && fail "-r no capture, as nobody: -w file made"
finish
