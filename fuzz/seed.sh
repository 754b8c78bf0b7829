#!/bin/sh
# seed.sh NAME SRCDIR CORPUS: fill a libFuzzer corpus directory for the
# harness NAME from what the source tree holds:
#   - every regression input in SRCDIR/tests/fuzz-regress/NAME/
#   - frame:   every packet of every classic pcap in SRCDIR/pcaps/, as
#              <link selector byte><wirelen byte 0><frame bytes>
#   - rewrite: the same with a rewrite byte after the wirelen byte (every
#              address rewritten, or nothing)
#   - offline: every capture file in SRCDIR/pcaps/ as it is
#   - parse:   a few argument strings of each shape
#   - args:    a command line of each subcommand, as fuzz_args reads it
# Existing corpus files are kept (the corpus grows across runs).
set -eu
name=$1 src=$2 out=$3
mkdir -p "$out"
if [ -d "$src/tests/fuzz-regress/$name" ]; then
	for f in "$src/tests/fuzz-regress/$name"/*; do
		[ -f "$f" ] && cp "$f" "$out/regress-$(basename "$f")"
	done
fi
case $name in
frame|rewrite)
	command -v python3 >/dev/null 2>&1 || exit 0
	python3 - "$src/pcaps" "$out" "$name" <<'PY'
import os, struct, sys
pdir, out = sys.argv[1], sys.argv[2]
# fuzz_rewrite: a rewrite byte after the selector (bits: fuzz_rewrite.c)
extra = [b'\x0f', b'\x00'] if sys.argv[3] == 'rewrite' else [b'']
# the harness's link table: index -> DLT
links = [1, 0, 108, 12, 228, 229, 113, 276, 14, 101]
if not os.path.isdir(pdir):
    sys.exit(0)
for name in sorted(os.listdir(pdir)):
    path = os.path.join(pdir, name)
    if not name.endswith(('.pcap', '.cap')) or not os.path.isfile(path):
        continue
    data = open(path, 'rb').read()
    if len(data) < 24:
        continue
    magic = data[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
        e = '<'
    elif magic in (b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        e = '>'
    else:
        continue
    dlt = struct.unpack(e + 'I', data[20:24])[0] & 0x0fffffff
    if dlt not in links:
        continue
    sel = bytes([links.index(dlt), 0])
    off, n = 24, 0
    while off + 16 <= len(data) and n < 200:
        incl = struct.unpack(e + 'I', data[off + 8:off + 12])[0]
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        for k, x in enumerate(extra):
            with open(os.path.join(out, 'pcap-%s-%d%s' % (name, n, 'abc'[k] if x else '')), 'wb') as f:
                f.write(sel + x + pkt)
        n += 1
PY
	;;
offline)
	if [ -d "$src/pcaps" ]; then
		for f in "$src/pcaps"/*.pcap "$src/pcaps"/*.pcapng; do
			[ -f "$f" ] || continue
			# large captures slow every mutation down: keep small ones
			[ "$(wc -c <"$f")" -le 65536 ] &&
				cp "$f" "$out/pcap-$(basename "$f")"
		done
	fi
	;;
parse)
	i=0
	for s in 255 0-10,17,255 all 0x1f 1-1 18446744073709551615 -1 256 \
	    "" 0,0,0 254-255 " 1" 1a; do
		# byte 0 picks the bounds; the text follows
		printf '\001%s' "$s" >"$out/seed-$i"
		i=$((i + 1))
	done
	;;
args)
	# seed INDEX ARG...: byte INDEX (fuzz_args.c's table: send sniff
	# listen replay sweep trace where ping), then the arguments, NUL
	# between them
	i=0
	seed() {
		{ printf "\\$(printf %03o "$1")"; shift
		  first=1
		  for a in "$@"; do
			[ $first -eq 1 ] || printf '\000'
			printf '%s' "$a"; first=0
		  done; } >"$out/seed-$i"
		i=$((i + 1))
	}
	seed 0 -c 3 -i 0.5 --size 100 --ttl 9 --dscp 46 -P 0-10,255 127.0.0.1
	seed 0 --l4 udp --sport 1 --dport 2 --frag --mtu 1280 -6 ::1
	seed 0 --flood -c 1000 --pcap-out x.pcap --tee --timestamp 0 -q 10.0.0.1
	seed 1 -i lo -c 5 -w x.pcap -C 1 -W 3 --json -v host 1.2.3.4
	seed 1 -r x.pcap -X -tttt --nano --filter "ip proto 255"
	seed 2 -P all -4 -c 10 -t 5 --json --echo --echo-udp 5000
	seed 3 -r x.pcap -I veth0 --pps 1000 --loop 3 --dst 10.0.0.2 --ttl 3
	seed 3 --speed 2.5 --refresh-timestamp --src ::1 --dst ::2 x.pcap ip
	seed 4 -P 0-255 -c 3 -s 100 --method both --wait 200 -o out.json ::1
	seed 4 --join tx.json rx.json
	seed 5 -f 2 -m 20 -w 0.5 --compare hdp,udp,tcp,icmp --json 10.0.0.2
	seed 5 -P 17 --drop-reasons --rx-netns r2 -6 fe80::1%lo
	seed 6 --json --window 5 A=a.pcap B=b.pcap c.pcap ip
	seed 7 -c 5 -i 0.2 -W 1 --size 64 --compare hdp,udp --plot p.png ::1
	;;
esac
exit 0
