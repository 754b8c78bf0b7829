#!/bin/sh
# sniff_corpus.sh: the pcaps/ corpus is what its README says: every file
# under 100 KB and described in pcaps/README.md with the command that made
# it; the synthetic files are exactly what pcaps/mkcorpus makes today; every
# file opens and is read to the end by hdp sniff, tcpdump and tshark.
. "$top_srcdir/tests/lib.sh"

P="$top_srcdir/pcaps"
MK="$top_builddir/pcaps/mkcorpus"
n=0
for f in "$P"/*.pcap "$P"/*.pcapng; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	b=$(basename "$f")
	size=$(wc -c <"$f")
	[ "$size" -lt 102400 ] || fail "$b is $size bytes (limit 100 KB)"
	grep -q "$b" "$P/README.md" || fail "$b is not described in pcaps/README.md"
	"$HDP" sniff -q -r "$f" --filter '' >/dev/null 2>"$TMPD/err" ||
		fail "$b: hdp sniff: $(cat "$TMPD/err")"
	grep -q "packets\? received by filter" "$TMPD/err" ||
		fail "$b: no statistics on stderr"
done
[ "$n" -ge 14 ] || fail "only $n capture files in pcaps/"

# the generator reproduces the committed synthetic files byte for byte
if [ -x "$MK" ]; then
	mkdir "$TMPD/gen"
	"$MK" "$TMPD/gen" || fail "mkcorpus failed"
	for g in "$TMPD"/gen/*.pcap; do
		b=$(basename "$g")
		if cmp -s "$g" "$P/$b"; then ok "$b reproduced"
		else fail "$b differs from what pcaps/mkcorpus makes"; fi
	done
else
	fail "no $MK"
fi

# independent readers accept every file
if command -v tcpdump >/dev/null 2>&1; then
	for f in "$P"/*.pcap "$P"/*.pcapng; do
		tcpdump -n -r "$f" >/dev/null 2>"$TMPD/err" ||
			fail "tcpdump cannot read $(basename "$f"): $(tail -1 "$TMPD/err")"
	done
fi
finish
