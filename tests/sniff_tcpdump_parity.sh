#!/bin/sh
# sniff_tcpdump_parity.sh: hdp sniff's -x/-xx/-X/-XX/-A dumps, -e link
# part, -v header fields and -tt..-ttttt time columns, side by side with
# tcpdump, packet by packet: on every shipped capture (pcaps/ and
# pcaps/realworld/) and on captures scapy makes here with unusual values
# in every field those flags show (tests/sniff_parity_gen.py).
# tests/sniff_parity.py does the comparing and says what it leaves out
# and why.  Reads files only: no packets are sent.
. "$top_srcdir/tests/lib.sh"

need_cmd tcpdump python3

set --
for f in "$top_srcdir"/pcaps/*.pcap "$top_srcdir"/pcaps/*.pcapng \
	 "$top_srcdir"/pcaps/realworld/*.pcap \
	 "$top_srcdir"/pcaps/realworld/*.pcapng; do
	[ -f "$f" ] && set -- "$@" "$f"
done
[ $# -gt 20 ] || fatal "only $# captures found under $top_srcdir/pcaps"

PY=/usr/bin/python3
$PY -c 'import scapy' 2>/dev/null || PY=python3
if $PY -c 'import scapy' 2>/dev/null; then
	$PY "$top_srcdir/tests/sniff_parity_gen.py" "$TMPD/gen" 2>/dev/null ||
		fatal "sniff_parity_gen.py could not write its captures"
	set -- "$@" "$TMPD"/gen/*.pcap
	ok "scapy made $(ls "$TMPD"/gen/*.pcap | wc -l) more captures"
else
	echo "no scapy: only the shipped captures are compared"
fi

python3 "$top_srcdir/tests/sniff_parity.py" "$HDP" "$@"
rc=$?
case $rc in
0) ok "hdp sniff prints what tcpdump prints for $# captures" ;;
1) fail "hdp sniff differs from tcpdump (above)" ;;
*) fail "the parity check compared nothing (exit $rc)" ;;
esac

# The comparison itself can fail: one changed byte of a dump, one changed
# character of a link part, a header field and a time must each be caught.
for change in 's/^\t0x0010:  7f00/\t0x0010:  7f01/' \
	      's/ethertype IPv4 (0x0800), length 56/ethertype IPv4 (0x0800), length 57/' \
	      's/ttl 64, id 23014/ttl 63, id 23014/' \
	      's/^ 00:00:00.024771 / 00:00:00.024772 /'; do
	cat >"$TMPD/bad-hdp" <<EOS
#!/bin/sh
"$HDP" "\$@" | sed '$change'
EOS
	chmod +x "$TMPD/bad-hdp"
	if python3 "$top_srcdir/tests/sniff_parity.py" "$TMPD/bad-hdp" \
		"$top_srcdir/pcaps/lo4.pcap" >"$TMPD/bad.out" 2>&1; then
		fail "sniff_parity.py accepted a changed output ($change)"
	else
		ok "a changed output is caught ($change)"
	fi
done
finish
