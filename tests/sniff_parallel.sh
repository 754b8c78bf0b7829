#!/bin/sh
# sniff_parallel.sh: hdp sniff -r FILE -j N prints, byte for byte, what
# -j 1 prints (standard output, standard error, exit status), in every
# output form, on every capture shipped in pcaps/ (cut into chunks of
# 64 bytes), on a generated file of 100k+ packets (pcap and pcapng, IPv4
# and IPv6, fragments, odd lengths, truncated caplen, packets the filter
# drops), on captures crafted to fool the chunk boundaries (payloads full
# of fake record headers), on pcapng with a second section or an IDB
# alone in the middle, on a big-endian pcap; a pipe is read by one thread;
# -c N stops at N; a file cut inside a record ends as with -j 1; memory
# does not grow with the file.  HDP_SNIFF_STATS tells whether the threads ran (and the
# re-reads after a wrong boundary), so the comparisons cannot pass by
# running one thread twice.
. "$top_srcdir/tests/lib.sh"

need_cmd editcap mergecap tcpdump python3
[ -x "$HDP" ] || fatal "no hdp at $HDP"

# hdp drops to nobody when run as root: the stats file must be writable
# by it
chmod 711 "$TMPD"
mkdir -m 1777 "$TMPD/st"
ST=$TMPD/st/stats

# same DESC ENV FILE ARGS...: -j 1 and -j J (J from $J) agree; the env
# (HDP_SNIFF_CHUNK=N or -) applies to both.
NSAME=0
same() {
	desc=$1 envc=$2 f=$3; shift 3
	if [ "$envc" = - ]; then envc=""; fi
	env $envc "$HDP" sniff -r "$f" "$@" -j 1 >"$TMPD/o1" 2>"$TMPD/e1"
	r1=$?
	env $envc HDP_SNIFF_STATS="$ST" "$HDP" sniff -r "$f" "$@" -j "$J" \
		>"$TMPD/o2" 2>"$TMPD/e2"
	r2=$?
	NSAME=$((NSAME + 1))
	if [ "$r1" -ne "$r2" ] || ! cmp -s "$TMPD/o1" "$TMPD/o2" ||
	   ! cmp -s "$TMPD/e1" "$TMPD/e2"; then
		fail "$desc: -j $J differs from -j 1 ($envc sniff -r $f $*;" \
			"exit $r1/$r2)"
		diff "$TMPD/o1" "$TMPD/o2" | head -n 4 >&2
		diff "$TMPD/e1" "$TMPD/e2" | head -n 4 >&2
		return 1
	fi
	return 0
}

# stat_of FIELD: FIELD of the last stats line ("threads 2 chunks 9 ...").
stat_of() {
	tail -n 1 "$ST" 2>/dev/null |
		awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'
}

# ---- every shipped capture, in chunks of 64 bytes -----------------------
FORMS1="|-v|-vvv -e|-xx|-X|-A|--json|--table|--decode|-ttt|-ttttt|--count|-c 2|-q --nano"
i=0
bad=0
for f in "$top_srcdir"/pcaps/*.pcap "$top_srcdir"/pcaps/*.pcapng \
	 "$top_srcdir"/pcaps/realworld/*.pcap \
	 "$top_srcdir"/pcaps/realworld/*.pcapng; do
	IFS='|'
	for form in $FORMS1; do
		IFS=' '
		i=$((i + 1))
		J=$((2 + i % 3 * 3))	# 2, 5, 8
		# shellcheck disable=SC2086
		same "$(basename "$f")" HDP_SNIFF_CHUNK=64 "$f" $form ||
			bad=$((bad + 1))
		IFS='|'
	done
	IFS=' '
done
expect_eq "shipped captures, $NSAME runs: -j N as -j 1" "$bad" 0
rm -f "$ST"
J=3
same "lo4.pcap" HDP_SNIFF_CHUNK=64 "$top_srcdir/pcaps/lo4.pcap"
expect_eq "lo4.pcap: read on 3 threads" "$(stat_of threads)" 3
same "lo4.pcapng" HDP_SNIFF_CHUNK=64 "$top_srcdir/pcaps/lo4.pcapng"
[ "$(stat_of used)" -ge 2 ] && ok "lo4.pcapng: chunks taken from the threads" ||
	fail "lo4.pcapng: no chunk taken from the threads: $(cat "$ST")"

set -f	# the forms below hold [ and ]: no file names

# ---- a generated file of 100k+ packets ----------------------------------
# Protocols 0-10 and 17 are left out by the default filter; sizes odd and
# even; IPv6; fragments; one part cut to 60 bytes a packet.
gen() {	# gen FILE ARGS...
	out=$1; shift
	"$HDP" send -q --pcap-out "$out" "$@" >/dev/null 2>&1 ||
		fatal "hdp send --pcap-out $*"
}
gen "$TMPD/a.pcap" -c 4000 -P 0-10,17,255 --size 1 127.0.0.1
gen "$TMPD/b.pcap" -c 30000 --size 77 127.0.0.1
gen "$TMPD/c.pcap" -c 6000 -P 17,255 --size 333 -6 ::1
gen "$TMPD/d.pcap" -c 2000 --size 3001 --frag 127.0.0.1
gen "$TMPD/e.pcap" -c 20000 --size 1499 127.0.0.1
gen "$TMPD/f.pcap" -c 10000 -P 6,255 --l4 udp --size 44 127.0.0.1
editcap -s 60 "$TMPD/e.pcap" "$TMPD/e60.pcap" >/dev/null 2>&1 ||
	fatal "editcap -s 60"
mergecap -a -F pcap -w "$TMPD/big.pcap" "$TMPD/a.pcap" "$TMPD/b.pcap" \
	"$TMPD/c.pcap" "$TMPD/d.pcap" "$TMPD/e60.pcap" "$TMPD/f.pcap" \
	"$TMPD/b.pcap" "$TMPD/e.pcap" >/dev/null 2>&1 || fatal "mergecap"
editcap -F pcapng "$TMPD/big.pcap" "$TMPD/big.pcapng" >/dev/null 2>&1 ||
	fatal "editcap -F pcapng"
n=$(tcpdump -r "$TMPD/big.pcap" 2>/dev/null | wc -l)
[ "$n" -ge 100000 ] || fatal "big.pcap: $n packets"

FORMS2="|-v|-vv -e|-x|-XX|-A|--json|--table|--decode|-t|-tt|-ttt|-tttt|-ttttt|--count|-q|--nano|-c 1|-c 777|-c 100000|-ttt -c 4321|ip6|--filter ip[9]==17|--icmp"
i=0
for f in "$TMPD/big.pcap" "$TMPD/big.pcapng"; do
	IFS='|'
	for form in $FORMS2; do
		IFS=' '
		i=$((i + 1))
		J=$((2 + i % 3))
		ch=-
		[ $((i % 2)) -eq 0 ] && ch=HDP_SNIFF_CHUNK=65536
		# shellcheck disable=SC2086
		same "$(basename "$f") [$form]" $ch "$f" $form &&
			ok "$(basename "$f") [$form] -j $J"
		IFS='|'
	done
	IFS=' '
done
rm -f "$ST"
J=2
same "big.pcap, default chunks" - "$TMPD/big.pcap"
# (a re-read now and then is no error: payload bytes may look like
# records by chance; most chunks must come from the threads)
[ "$(stat_of used)" -ge $(($(stat_of chunks) * 3 / 4)) ] &&
	ok "big.pcap: $(cat "$ST")" || fail "big.pcap: not split: $(cat "$ST")"

# -c N: exactly N lines, the first N of -j 1's
for c in 1 999 54321; do
	"$HDP" sniff -r "$TMPD/big.pcap" -c "$c" -j 2 2>/dev/null >"$TMPD/oc"
	expect_eq "-c $c -j 2: lines" "$(wc -l <"$TMPD/oc")" "$c"
done

# A file cut in the middle of a record: the same packets, then the same
# error, exit 1.
sz=$(wc -c <"$TMPD/big.pcap")
head -c $((sz - 700)) "$TMPD/big.pcap" >"$TMPD/cut.pcap"
same "cut.pcap" HDP_SNIFF_CHUNK=65536 "$TMPD/cut.pcap" &&
	expect_eq "cut.pcap: exit status" "$r2" 1

# A pipe (and standard input) are read by one thread: the same output,
# no stats written.
rm -f "$ST"
"$HDP" sniff -r "$TMPD/big.pcap" -j 1 -ttt >"$TMPD/o1" 2>/dev/null
cat "$TMPD/big.pcap" | HDP_SNIFF_STATS="$ST" "$HDP" sniff -r - -j 4 -ttt \
	>"$TMPD/o2" 2>/dev/null
check "a pipe, -j 4: the same output" cmp -s "$TMPD/o1" "$TMPD/o2"
check "a pipe is read by one thread" test ! -e "$ST"

# ---- crafted: payloads full of fake record headers ----------------------
# 12 record headers of 16 bytes (caplen 0, this year's time stamps) in
# each payload: a boundary scan that starts inside one finds a chain of
# plausible records there; the chunk before it cannot land on it, and the
# main thread reads on itself.
now=$(date +%s)
python3 -c "
import struct, sys
sys.stdout.buffer.write(struct.pack('<IIII', $now, 0, 0, 0) * 12)" \
	>"$TMPD/fake.bin"
# and 12 enhanced packet blocks of 32 bytes (pcapng)
python3 -c "
import struct, sys
sys.stdout.buffer.write((struct.pack('<7I', 6, 32, 0, 0, 0, 0, 0) +
			 struct.pack('<I', 32)) * 12)" >"$TMPD/fakeng.bin"
gen "$TMPD/f1.pcap" -c 8000 --file "$TMPD/fake.bin" 127.0.0.1
gen "$TMPD/f2.pcap" -c 8000 -P 17,255 --file "$TMPD/fakeng.bin" 127.0.0.1
mergecap -a -F pcap -w "$TMPD/fake.pcap" "$TMPD/f1.pcap" "$TMPD/b.pcap" \
	"$TMPD/f2.pcap" "$TMPD/f1.pcap" >/dev/null 2>&1 || fatal "mergecap"
editcap -F pcapng "$TMPD/fake.pcap" "$TMPD/fake.pcapng" >/dev/null 2>&1 ||
	fatal "editcap"
for f in "$TMPD/fake.pcap" "$TMPD/fake.pcapng"; do
	for ch in 4096 65536; do
		J=2
		rm -f "$ST"
		for form in "" "-ttt" "--json -c 20001" "-XX -ttttt"; do
			# shellcheck disable=SC2086
			same "$(basename "$f") chunk $ch [$form]" \
				HDP_SNIFF_CHUNK=$ch "$f" $form &&
				ok "$(basename "$f") chunk $ch [$form]"
		done
		# the wrong boundaries were found, read again, and the
		# threads taken up again after them
		r=$(stat_of redo) l=$(stat_of landed) u=$(stat_of used)
		[ "${r:-0}" -gt 0 ] && [ "${l:-0}" -gt 0 ] && [ "${u:-0}" -gt 0 ] &&
			ok "$(basename "$f") chunk $ch: $(tail -n 1 "$ST")" ||
			fail "$(basename "$f") chunk $ch: boundaries not exercised: $(tail -n 1 "$ST")"
	done
done

# ---- pcapng with a second section (SHB, IDB) in the middle --------------
editcap -F pcapng "$TMPD/b.pcap" "$TMPD/b.pcapng" >/dev/null 2>&1
cat "$TMPD/big.pcapng" "$TMPD/b.pcapng" "$TMPD/big.pcapng" \
	>"$TMPD/sect.pcapng"
J=2
rm -f "$ST"
same "sect.pcapng" HDP_SNIFF_CHUNK=65536 "$TMPD/sect.pcapng" -ttt &&
	ok "sect.pcapng: $(tail -n 1 "$ST")"
[ "$(stat_of used)" -gt 0 ] && [ "$(stat_of redo)" -ge 1 ] &&
	ok "sect.pcapng: threads up to the second section, then one" ||
	fail "sect.pcapng: $(tail -n 1 "$ST")"

# ---- the other byte order; an IDB alone in the middle of a pcapng -------
# (written here record by record: no tool writes either on demand)
python3 - "$TMPD" <<'PY' || fatal "making swapped.pcap and idb.pcapng"
import struct, sys
d = sys.argv[1]
b = open(d + '/b.pcap', 'rb').read()
out = bytearray(struct.pack('>IHHiIII', *struct.unpack_from('<IHHiIII', b)))
o = 24
while o < len(b):
    h = struct.unpack_from('<IIII', b, o)
    out += struct.pack('>IIII', *h) + b[o + 16:o + 16 + h[2]]
    o += 16 + h[2]
open(d + '/swapped.pcap', 'wb').write(out)
ng = open(d + '/b.pcapng', 'rb').read()
blocks, o = [], 0
while o < len(ng):
    t, n = struct.unpack_from('<II', ng, o)
    blocks.append((t, ng[o:o + n]))
    o += n
idb = [x for t, x in blocks if t == 1][0]
half = len(blocks) // 2
open(d + '/idb.pcapng', 'wb').write(
    b''.join(x for t, x in blocks[:half]) + idb +
    b''.join(x for t, x in blocks[half:]))
PY
J=3
rm -f "$ST"
same "swapped.pcap" HDP_SNIFF_CHUNK=16384 "$TMPD/swapped.pcap" -ttt &&
	[ "$(stat_of used)" -ge 2 ] &&
	ok "swapped.pcap (big-endian): $(tail -n 1 "$ST")" ||
	fail "swapped.pcap: $(tail -n 1 "$ST" 2>/dev/null)"
rm -f "$ST"
same "idb.pcapng" HDP_SNIFF_CHUNK=16384 "$TMPD/idb.pcapng" -e &&
	[ "$(stat_of redo)" -ge 1 ] &&
	ok "idb.pcapng (an IDB after packets): $(tail -n 1 "$ST")" ||
	fail "idb.pcapng: $(tail -n 1 "$ST" 2>/dev/null)"

# ---- memory: peak RSS does not grow with the file -----------------------
# (not under valgrind or a sanitizer: their own memory grows by design)
bin=${HDP_REAL:-$HDP}
if [ -x /usr/bin/time ] && [ -z "${HDP_VALGRIND:-}" ] &&
   ! grep -q __asan_init "$bin" 2>/dev/null; then
	big=$TMPD
	[ -d /dev/shm ] && [ -w /dev/shm ] &&
		big=$(mktemp -d /dev/shm/hdp-sniff-par.XXXXXX) &&
		trap 'rm -rf "$big"; cleanup' EXIT
	gen "$big/m1.pcap" -c 1000000 --size 32 127.0.0.1
	gen "$big/m3.pcap" -c 3000000 --size 32 127.0.0.1
	rss() {
		/usr/bin/time -f %M -o "$TMPD/rss" "$HDP" sniff -r "$1" -j 2 \
			>/dev/null 2>&1
		cat "$TMPD/rss"
	}
	r1=$(rss "$big/m1.pcap")
	r3=$(rss "$big/m3.pcap")
	rm -rf "$big/m1.pcap" "$big/m3.pcap"
	# the bound stated in hdp(1): well under 64 MiB with 2 threads; the
	# 3M-packet file within half of the 1M one's (timing moves it a
	# little: how far the threads run ahead)
	[ "$r3" -lt 65536 ] && [ "$r3" -le $((r1 * 3 / 2 + 1024)) ] &&
		ok "peak RSS -j 2: $r1 KiB for 1M packets, $r3 KiB for 3M" ||
		fail "peak RSS -j 2 grows: $r1 KiB for 1M packets, $r3 KiB for 3M"
fi
finish
