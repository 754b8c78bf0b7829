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
try "negative snaplen" 2 "hdp sniff: -s '-1' is not a number" \
	"$bin" sniff -s -1 -r three.pcap
try "snaplen too large" 2 "hdp sniff: -s '300000' is out of range 0-262144" \
	"$bin" sniff -s 300000 -r three.pcap

# caplen greater than len: decoded from the bytes held, both lengths shown
"$bin" sniff -r caplen-gt-len.pcap --json >out 2>err; rc=$?
expect_eq "caplen > len: exit 0" "$rc" 0
grep -q '"caplen":37,"len":27' out ||
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
try "IPv6 address with an unknown scope" 2 \
	"hdp send: fe80::1%nosuch0: no such interface 'nosuch0'" \
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
try "output disk full (/dev/full)" 4 \
	"hdp sniff: /dev/full: write failed: No space left on device" \
	"$bin" sniff -r three.pcap -w /dev/full --force
try "send --pcap-out exists" 2 \
	"hdp send: --pcap-out exists.pcap: exists (use --force to overwrite)" \
	"$bin" send --pcap-out exists.pcap 127.0.0.1

if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null &&
   command -v unshare >/dev/null; then
	# a full file system: a 64 KiB tmpfs in a mount namespace of our own
	"$bin" send -c 200 --flood --size 1000 --timestamp 1 --pcap-out big.pcap \
		127.0.0.1 >/dev/null 2>&1 || fatal "big.pcap"
	mkdir small
	try "output file system full" 4 \
		"hdp sniff: small/out.pcap: write failed: No space left on device" \
		unshare -m sh -c 'mount -t tmpfs -o size=64k hdp-full small &&
			exec "$0" sniff -r big.pcap -w small/out.pcap' "$bin"

	# unprivileged: an output directory and an input it may not touch
	chmod 755 "$TMPD"
	mkdir ro && chmod 755 ro
	cp three.pcap secret.pcap && chmod 600 secret.pcap
	chmod 644 three.pcap
	as_nobody="setpriv --reuid=$(id -u nobody) --regid=$(id -g nobody) --clear-groups --"
	try "output directory not writable" 4 \
		"hdp sniff: ro/x.pcap: Permission denied" \
		$as_nobody "$bin" sniff -r three.pcap -w ro/x.pcap
	try "input not readable" 2 \
		"hdp sniff: secret.pcap: Permission denied" \
		$as_nobody "$bin" sniff -r secret.pcap
fi

# nothing is written to a fixed path in /tmp (the original server wrote
# every packet to /tmp/hdp/): no source names one (mkdtemp/mkstemp
# templates ending in XXXXXX are unpredictable, and fine)
if grep -n '"/tmp\|/var/tmp' "$top_srcdir"/src/*.c "$top_srcdir"/src/*.h |
   grep -v 'XXXXXX'; then
	fail "a fixed path in /tmp in src/ (above)"
else
	ok "no fixed /tmp paths in src/"
fi
finish
