#!/bin/sh
# harden_badinput.sh: every bad input listed in README.md's "Bad input"
# section, tried for real: each gets exactly the error line and the exit
# status the README shows (and the README must show exactly what hdp says,
# so the two cannot drift apart).  Files are made in the test's own
# directory; network cases run inside a namespace of their own.
. "$top_srcdir/tests/lib.sh"
need_cmd python3
bin=${HDP_REAL:-$HDP}
README="$(cd "$top_srcdir" && pwd)/README.md"
cd "$TMPD" || fatal "cd $TMPD"
NS=""
if [ "$(id -u)" -eq 0 ]; then NS=$(netns_add bad); fi

# try DESC WANT_RC WANT_LINE CMD...: run CMD (stdin closed); the exit status
# must be WANT_RC and one line of stderr exactly WANT_LINE (hdp may add the
# usual "reading from file" and count lines around it); WANT_LINE must
# appear in README.md as `WANT_LINE`.
try() {
	desc=$1 want_rc=$2 want=$3; shift 3
	"$@" >out 2>err </dev/null; rc=$?
	expect_eq "$desc: exit status" "$rc" "$want_rc"
	if grep -qxF -- "$want" err; then
		ok "$desc: message"
	else
		fail "$desc: want the line '$want', got: $(cat err)"
	fi
	grep -qF -- "\`$want\`" "$README" ||
		fail "$desc: README.md does not show \`$want\`"
}

# on_full_disk CMD...: run CMD with a 64 KiB tmpfs mounted on small/ in a
# mount namespace of its own (nothing leaks to the host), then copy what
# it wrote there to got/ before the namespace and its tmpfs go away.
on_full_disk() {
	rm -f got/*
	# shellcheck disable=SC2016 # expanded by the inner sh
	unshare -m sh -c 'mount -t tmpfs -o size=64k hdp-full small || exit 99
		"$@"; rc=$?
		cp small/* got/ 2>/dev/null
		exit $rc' on_full_disk "$@"
}

# judge_kept DESC INPUT TIMES FILE...: err holds "...; N packets kept, M
# lost" about the last FILE (sets $kept, $lost).  The files, in the order
# they were written, hold whole records only (tcpdump -r reads each with
# exit 0 and no complaint; capinfos agrees on the count), the last exactly
# N packets, and together they are INPUT's first packets (sets $first to
# their number), compared byte for byte by tcpdump -xx; TIMES is
# "-tt --nano" to compare the capture times too, -t to leave them out.
# shellcheck disable=SC2086 # $jts is one or two options
judge_kept() {
	jdesc=$1 jin=$2 jts=$3; shift 3
	kl=$(sed -n 's/.*: write failed: .*; \([0-9]*\) packets\{0,1\} kept, \([0-9]*\) lost$/\1 \2/p' err)
	if [ -z "$kl" ]; then
		fail "$jdesc: no 'N packets kept, M lost' in: $(cat err)"
		kept=-1 lost=-1 first=-1
		return
	fi
	kept=${kl% *} lost=${kl#* } first=0
	for jlast; do :; done
	for f in "$@"; do
		tcpdump -nn $jts -xx -r "$f" >judge.out 2>judge.err; rc=$?
		expect_eq "$jdesc: tcpdump -r $f: exit status" "$rc" 0
		grep -v '^reading from file' judge.err | grep -q . &&
			fail "$jdesc: tcpdump -r $f: $(cat judge.err)"
		n=$(awk '!/^\t/ { k++ } END { print k + 0 }' judge.out)
		expect_eq "$jdesc: capinfos counts what tcpdump read in $f" \
			"$(capinfos -Mc "$f" 2>&1 | sed -n 's/^Number of packets: *//p')" "$n"
		[ "$f" = "$jlast" ] &&
			expect_eq "$jdesc: $f holds the packets kept" "$n" "$kept"
		tcpdump -nn $jts -xx -r "$jin" 2>/dev/null |
			awk -v a="$first" -v b="$((first + n))" \
			    '!/^\t/ { k++ } k > a && k <= b' >judge.want
		if cmp -s judge.out judge.want; then
			ok "$jdesc: $f holds the input's packets $((first + 1))-$((first + n))"
		else
			fail "$jdesc: $f is not the input's packets $((first + 1))-$((first + n))"
		fi
		first=$((first + n))
	done
}

# ---- inputs ---------------------------------------------------------------
# a small valid capture of our own (no privileges: --pcap-out only)
"$bin" send -c 3 --flood --data hello --timestamp 1 --pcap-out three.pcap \
	127.0.0.1 >/dev/null 2>&1 || fatal "hdp send --pcap-out"
echo "this is not a capture file" >notes.txt
: >empty.pcap
head -c 20 three.pcap >short-header.pcap
head -c 50 three.pcap >cut-record.pcap
python3 - <<'PY' || fatal "python3"
import struct
d = open('three.pcap', 'rb').read()
magic, vmaj, vmin, tz, sig, snap, lt = struct.unpack('<IHHiIII', d[:24])
s, f, incl, orig = struct.unpack('<IIII', d[24:40])
pkt = d[40:40 + incl]
def w(name, snaplen, caplen, length, data):
    open(name, 'wb').write(struct.pack('<IHHiIII', magic, vmaj, vmin, tz,
                                       sig, snaplen, lt) +
                           struct.pack('<IIII', s, f, caplen, length) + data)
w('snaplen0.pcap', 0, incl, orig, pkt)
w('caplen-gt-len.pcap', snap, incl, incl - 10, pkt)
w('huge-record.pcap', snap, 300000, 300000, pkt)
PY

try "not a capture" 2 "hdp sniff: notes.txt: unknown file format" \
	"$bin" sniff -r notes.txt
try "empty file" 2 \
	"hdp sniff: empty.pcap: truncated dump file; tried to read 4 file header bytes, only got 0" \
	"$bin" sniff -r empty.pcap
try "truncated file header" 2 \
	"hdp sniff: short-header.pcap: truncated dump file; tried to read 24 file header bytes, only got 16" \
	"$bin" sniff -r short-header.pcap
try "capture cut inside a record" 1 \
	"hdp sniff: cut-record.pcap: truncated dump file; tried to read 37 captured bytes, only got 10" \
	"$bin" sniff -r cut-record.pcap
try "record larger than the snaplen" 1 \
	"hdp sniff: huge-record.pcap: invalid packet capture length 300000, bigger than snaplen of 262144" \
	"$bin" sniff -r huge-record.pcap

# snaplen 0 in a file header: libpcap reads it as the maximum; the packet
# is shown.  -s 0 means the default 262144, as in tcpdump.
"$bin" sniff -r snaplen0.pcap -t >out 2>err; rc=$?
expect_eq "snaplen 0 in the file: exit 0" "$rc" 0
grep -q 'HDP' out || fail "snaplen 0 in the file: packet not shown"
grep -qF 'snapshot length 262144' err ||
	fail "snaplen 0 in the file: not read as 262144: $(cat err)"
"$bin" sniff -s 0 -r three.pcap -q >/dev/null 2>&1; rc=$?
expect_eq "-s 0: the default snaplen" "$rc" 0
try "negative snaplen" 2 "hdp sniff: -s '-1' is out of range 0-262144" \
	"$bin" sniff -s -1 -r three.pcap
try "snaplen too large" 2 "hdp sniff: -s '300000' is out of range 0-262144" \
	"$bin" sniff -s 300000 -r three.pcap

# caplen greater than len: decoded from the bytes held, both lengths shown
"$bin" sniff -r caplen-gt-len.pcap --json >out 2>err; rc=$?
expect_eq "caplen > len: exit 0" "$rc" 0
grep -q '"caplen":37,"frame_len":27' out ||
	fail "caplen > len: JSON shows both: $(cat out)"

# ---- sending --------------------------------------------------------------
try "payload over 65535 bytes" 2 \
	"hdp send: --size '70000' is out of range 0-65535" \
	"$bin" send --size 70000 --pcap-out x.pcap 127.0.0.1
try "payload that does not fit one datagram" 2 \
	"hdp send: payload of 65524 bytes makes a 65556-byte datagram: IP allows 65535" \
	"$bin" send --size 65524 --pcap-out x.pcap 127.0.0.1
try "protocol 256" 2 "hdp send: -P: protocol '256' is out of range 0-255" \
	"$bin" send -P 256 --pcap-out x.pcap 127.0.0.1
try "protocol -1" 2 "hdp send: -P: protocol '-1' is out of range 0-255" \
	"$bin" send -P -1 --pcap-out x.pcap 127.0.0.1
try "protocol list with a word" 2 \
	"hdp send: -P: protocol 'tcp' is not a number in 0-255 (use N, N-M, lists like 0-10,17,255, or all)" \
	"$bin" send -P tcp --pcap-out x.pcap 127.0.0.1
try "IPv6 address with an unknown scope" 4 \
	"hdp send: fe80::1%nosuch0: no such interface" \
	"$bin" send --pcap-out x.pcap fe80::1%nosuch0
try "IPv4 address with a scope" 2 \
	"hdp send: 127.0.0.1%lo: a scope (%IFACE) goes only with an IPv6 address" \
	"$bin" send --pcap-out x.pcap 127.0.0.1%lo

# ---- interfaces and filters -----------------------------------------------
if [ -n "$NS" ]; then
	try "unknown interface (sniff)" 4 "hdp sniff: nosuch0: No such device exists" \
		ip netns exec "$NS" "$bin" sniff -i nosuch0 -c 1
	try "unknown interface (send)" 4 "hdp send: nosuch0: no such interface" \
		ip netns exec "$NS" "$bin" send -I nosuch0 127.0.0.1
fi
try "bad BPF expression" 2 \
	"hdp sniff: bad filter 'ip[9] ==': can't parse filter expression: syntax error" \
	"$bin" sniff -r three.pcap 'ip[9] =='

# ---- output files -----------------------------------------------------------
echo keep >exists.pcap
try "output exists" 2 "hdp sniff: exists.pcap: exists (use --force to overwrite)" \
	"$bin" sniff -r three.pcap -w exists.pcap
expect_eq "output exists: left alone" "$(cat exists.pcap)" keep
echo secret >target
ln -s target link.pcap
try "output is a symbolic link" 2 \
	"hdp sniff: link.pcap: is a symbolic link; refusing to follow it" \
	"$bin" sniff -r three.pcap -w link.pcap --force
expect_eq "symbolic link: target left alone" "$(cat target)" secret
ln -s nowhere dangling.pcap
try "output is a dangling symbolic link" 2 \
	"hdp sniff: dangling.pcap: is a symbolic link; refusing to follow it" \
	"$bin" sniff -r three.pcap -w dangling.pcap
[ -e nowhere ] && fail "dangling symbolic link: its target was created"
ln target hard.pcap
try "output has a second hard link" 2 \
	"hdp sniff: hard.pcap: has 2 hard links; refusing to overwrite it" \
	"$bin" sniff -r three.pcap -w hard.pcap --force
expect_eq "hard link: target left alone" "$(cat target)" secret
try "output directory missing" 4 \
	"hdp sniff: nodir/x.pcap: No such file or directory" \
	"$bin" sniff -r three.pcap -w nodir/x.pcap
# --force writes over a regular file of our own only, never a device
try "output is a device (--force)" 2 \
	"hdp sniff: /dev/full: is a character device, not a regular file; refusing to write into it (write to - and redirect instead)" \
	"$bin" sniff -r three.pcap -w /dev/full --force
# /dev/full takes not even the file header: refused before any packet
try "output disk full (/dev/full)" 4 \
	"hdp sniff: standard output: write failed: No space left on device" \
	sh -c '"$0" sniff -r three.pcap -w - >/dev/full' "$bin"
# a pipe cannot be cut back to a whole packet: the message says so
"$bin" send -c 200 --flood --size 1000 --pcap-out pipe-in.pcap 127.0.0.1 \
	>/dev/null 2>&1 || fatal "pipe-in.pcap"
(trap '' PIPE; { "$bin" sniff -r pipe-in.pcap -w - 2>err; echo $? >rc; } |
	head -c 3000 >/dev/null)
expect_eq "reader of -w - gone: exit status" "$(cat rc)" 4
grep -Eqx 'hdp sniff: standard output: write failed: Broken pipe; [0-9]+ packets? kept, [1-9][0-9]* lost; cannot truncate it to the last whole packet: Illegal seek' err ||
	fail "reader of -w - gone: want a line saying it cannot truncate, got: $(cat err)"
try "send --pcap-out exists" 2 \
	"hdp send: --pcap-out exists.pcap: exists (use --force to overwrite)" \
	"$bin" send --pcap-out exists.pcap 127.0.0.1

if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null &&
   command -v unshare >/dev/null; then
	# a full file system: a 64 KiB tmpfs in a mount namespace of our own.
	# 200 packets of 1048 bytes do not fit.  Whatever the disk took,
	# each file must end on a record boundary, hold exactly the packets
	# the message says it kept, and those must be the input's, in order.
	"$bin" send -c 200 --flood --size 1000 --timestamp 1 --pcap-out big.pcap \
		127.0.0.1 >/dev/null 2>&1 || fatal "big.pcap"
	mkdir small got
	if command -v tcpdump >/dev/null && command -v capinfos >/dev/null
	then
		try "output file system full" 4 \
			"hdp sniff: small/out.pcap: write failed: No space left on device; 60 packets kept, 16 lost" \
			on_full_disk "$bin" sniff -r big.pcap -w small/out.pcap
		judge_kept "file system full" big.pcap "-tt --nano" got/out.pcap
		# every packet read was either kept or reported lost
		grep -qx -- "$((kept + lost)) packets captured" err ||
			fail "file system full: kept + lost is not what was read"

		# -C 20k: two whole files of 20 packets, then the disk fills
		# while the third is written (-Z root: as nobody, hdp could
		# not reach small/ in $TMPD for the second file)
		try "output file system full, rotating" 4 \
			"hdp sniff: small/out.pcap2: write failed: No space left on device; 15 packets kept, 6 lost" \
			on_full_disk "$bin" sniff -r big.pcap -w small/out.pcap \
			-C 20k -Z root
		judge_kept "file system full, -C" big.pcap "-tt --nano" \
			got/out.pcap got/out.pcap1 got/out.pcap2
		grep -qx -- "$((first + lost)) packets captured" err ||
			fail "file system full, -C: files + lost is not what was read"

		# send: the same packets (their capture times are the clock's)
		try "send --pcap-out, file system full" 4 \
			"hdp send: --pcap-out small/out.pcap: write failed: No space left on device; 60 packets kept, 16 lost" \
			on_full_disk "$bin" send -c 200 --flood --size 1000 \
			--timestamp 1 --pcap-out small/out.pcap 127.0.0.1
		judge_kept "send, file system full" big.pcap -t got/out.pcap
		grep -q -- "^$((kept + lost)) packets: $((kept + lost)) sent" out ||
			fail "send, file system full: stops at the failure: $(cat out)"
	fi
	# sweep -o: JSON lines, cut back to the last whole one (row sizes
	# vary with the figures in them, so the counts are read, not fixed)
	if [ -n "$NS" ]; then
		on_full_disk ip netns exec "$NS" "$bin" sweep -c 3 --no-drops \
			-o small/s.json 127.0.0.1 >out 2>err
		expect_eq "sweep -o, file system full: exit 4" "$?" 4
		kl=$(sed -n 's/^hdp sweep: small\/s.json: write failed: No space left on device; \([0-9]*\) rows\{0,1\} kept, \([0-9]*\) lost$/\1 \2/p' err)
		if [ -z "$kl" ]; then
			fail "sweep -o, file system full: message: $(cat err)"
		else
			expect_eq "sweep -o: kept + lost = the 256 rows" \
				"$((${kl% *} + ${kl#* }))" 256
			n=$(python3 -c 'import json, sys
print(sum(1 for l in open(sys.argv[1]) if json.loads(l)))' got/s.json) ||
				fail "sweep -o: a line that is not whole JSON"
			expect_eq "sweep -o: the file holds the rows kept" \
				"$n" "${kl% *}"
		fi
		grep -qF -- '`hdp sweep: small/s.json: write failed: No space left on device; N rows kept, M lost`' "$README" ||
			fail "sweep -o, file system full: not in README.md"
	fi

	# unprivileged: an output directory and an input it may not touch
	chmod 755 "$TMPD"
	mkdir ro && chmod 755 ro
	cp three.pcap secret.pcap && chmod 600 secret.pcap
	chmod 644 three.pcap
	as_nobody="setpriv --reuid=$(id -u nobody) --regid=$(id -g nobody) --clear-groups --"
	try "output directory not writable" 4 \
		"hdp sniff: ro/x.pcap: Permission denied" \
		$as_nobody "$bin" sniff -r three.pcap -w ro/x.pcap
	try "input not readable" 4 \
		"hdp sniff: secret.pcap: Permission denied" \
		$as_nobody "$bin" sniff -r secret.pcap
fi

# nothing is written to a fixed path in /tmp (the original server wrote
# every packet to /tmp/hdp/): no source names one (mkdtemp/mkstemp
# templates ending in XXXXXX are unpredictable, and fine)
if grep -n '"/tmp\|/var/tmp' "$top_srcdir"/src/*.[ch] "$top_srcdir"/lib/*.[ch] "$top_srcdir"/include/hdp/*.h |
   grep -v 'XXXXXX'; then
	fail "a fixed path in /tmp in the sources (above)"
else
	ok "no fixed /tmp paths in the sources"
fi
finish
