#!/bin/sh
# seed.sh NAME SRCDIR CORPUS: fill a libFuzzer corpus directory for the
# harness NAME from what the source tree holds:
#   - every regression input in SRCDIR/tests/fuzz-regress/NAME/
#   - frame:   every packet of every classic pcap in SRCDIR/pcaps/, as
#              <link selector byte><wirelen byte 0><frame bytes>
#   - offline: every capture file in SRCDIR/pcaps/ as it is
#   - parse:   a few argument strings of each shape
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
frame)
	command -v python3 >/dev/null 2>&1 || exit 0
	python3 - "$src/pcaps" "$out" <<'PY'
import os, struct, sys
pdir, out = sys.argv[1], sys.argv[2]
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
        with open(os.path.join(out, 'pcap-%s-%d' % (name, n)), 'wb') as f:
            f.write(sel + pkt)
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
esac
exit 0
