#!/bin/sh
# send_udp_csum0.sh: in the UDP comparison mode a checksum that computes to
# 0 is sent as 0xffff (RFC 768), never as 0, which in IPv6 would be illegal
# (RFC 8200 8.1).  The payload is solved so the sum comes out at 0, for
# IPv4 and IPv6; tshark judges the checksum.
. "$top_srcdir/tests/lib.sh"
need_cmd tshark python3

TS=1795000000123456789
for fam in 4 6; do
	if [ "$fam" = 4 ]; then src=192.0.2.1; dst=198.51.100.2
	else src=2001:db8::1; dst=2001:db8::2; fi
	# two payload bytes that make the one's-complement sum 0xffff
	python3 - "$fam" "$src" "$dst" "$TS" "$TMPD/pl$fam" <<'PY' ||
import ipaddress, struct, sys
fam, src, dst, ts, out = sys.argv[1:]
s = ipaddress.ip_address(src).packed + ipaddress.ip_address(dst).packed
udp_len = 8 + 12 + 2
pseudo = s + (struct.pack("!BBH", 0, 17, udp_len) if fam == "4"
              else struct.pack("!IxxxB", udp_len, 17))
data = pseudo + struct.pack("!HHHH", 420, 420, udp_len, 0) \
       + struct.pack("!HHQ", 420, 420, int(ts))
tot = sum(struct.unpack("!%dH" % (len(data) // 2), data))
while tot >> 16:
    tot = (tot & 0xffff) + (tot >> 16)
open(out, "wb").write(struct.pack("!H", 0xffff - tot))
PY
		fatal "python"
	"$HDP" send -"$fam" --pcap-out "$TMPD/u$fam.pcap" --l4 udp \
		--src "$src" --timestamp "$TS" --file "$TMPD/pl$fam" "$dst" \
		>/dev/null || fail "IPv$fam: hdp send --pcap-out"
	set -- $(tshark -r "$TMPD/u$fam.pcap" -o udp.check_checksum:TRUE \
		-T fields -e udp.checksum -e udp.checksum.status 2>/dev/null)
	expect_eq "IPv$fam: checksum 0 goes out as 0xffff" "${1:-}" 0xffff
	expect_eq "IPv$fam: tshark finds the checksum good" "${2:-}" 1
done
finish
