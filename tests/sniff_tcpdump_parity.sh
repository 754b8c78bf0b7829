#!/bin/sh
# sniff_tcpdump_parity.sh: hdp sniff's -x/-xx/-X/-XX/-A dumps, -e link
# part, -v header fields and -tt..-ttttt time columns, side by side with
# tcpdump on every shipped capture (pcaps/ and pcaps/realworld/), packet
# by packet.  tests/sniff_parity.py does the comparing and says what it
# leaves out and why.  Reads files only: no packets are sent.
. "$top_srcdir/tests/lib.sh"

need_cmd tcpdump
need_cmd python3

set --
for f in "$top_srcdir"/pcaps/*.pcap "$top_srcdir"/pcaps/*.pcapng \
	 "$top_srcdir"/pcaps/realworld/*.pcap \
	 "$top_srcdir"/pcaps/realworld/*.pcapng; do
	[ -f "$f" ] && set -- "$@" "$f"
done
[ $# -gt 20 ] || fatal "only $# captures found under $top_srcdir/pcaps"

python3 "$top_srcdir/tests/sniff_parity.py" "$HDP" "$@"
rc=$?
case $rc in
0) ok "hdp sniff prints what tcpdump prints for $# captures" ;;
1) fail "hdp sniff differs from tcpdump (above)" ;;
*) fail "the parity check compared nothing (exit $rc)" ;;
esac
finish
