#!/bin/sh
# qa_linktypes.sh: the same HDP datagrams under every link type and
# encapsulation hdp reads (Ethernet with 802.1Q and QinQ tags, NULL in both
# byte orders, LOOP, RAW, IPV4/IPV6, Linux cooked v1 and v2, microsecond
# pcap, pcapng with two interfaces of different time resolutions, IPv4
# options, IPv6 extension header chains, Ethernet padding, the UDP
# comparison mode), written by tests/qa_linktypes.py; tcpdump and tshark
# (with dissect/hdp.lua) judge `hdp sniff --json` field by field
# (tests/sniff_judge.py), and every frame must decode as HDP.
. "$top_srcdir/tests/lib.sh"
need_cmd python3 tshark tcpdump

LUA="$top_srcdir/dissect/hdp.lua"
python3 "$top_srcdir/tests/qa_linktypes.py" "$TMPD" ||
	fatal "qa_linktypes.py failed"
FIELDS=$(python3 -c "
import sys; sys.path.insert(0, '$top_srcdir/tests')
import sniff_judge; print(' '.join('-e ' + f for f in sniff_judge.TSHARK_FIELDS))")

for f in "$TMPD"/*.pcap "$TMPD"/*.pcapng; do
	b=$(basename "$f")
	[ "$b" = ah.pcap ] && continue
	# the default filter must find HDP in every encapsulation (VLAN
	# tags, IPv6 extension headers); UDP mode is not protocol 255
	if [ "$b" = udp.pcap ]; then set -- --filter ''; else set --; fi
	"$HDP" sniff -r "$f" "$@" --json >"$TMPD/$b.json" 2>"$TMPD/$b.err" ||
		fail "$b: hdp sniff failed: $(head -1 "$TMPD/$b.err")"
	n=$(grep -c . "$TMPD/$b.json")
	ok=$(grep -c '"sport":4[12][01],.*"status":"ok"' "$TMPD/$b.json")
	expect_eq "$b: every frame decodes as HDP" "$ok" "$n"
	# shellcheck disable=SC2086
	tshark -X lua_script:"$LUA" -n -r "$f" -T fields -E occurrence=f \
		$FIELDS >"$TMPD/$b.tsv" 2>"$TMPD/$b.terr"
	tcpdump -n -tt --nano -v -x -r "$f" >"$TMPD/$b.td" 2>/dev/null
	if python3 "$top_srcdir/tests/sniff_judge.py" "$b" "$TMPD/$b.json" \
		"$TMPD/$b.tsv" "$TMPD/$b.td" >"$TMPD/$b.res"; then
		ok "$(tail -1 "$TMPD/$b.res")"
	else
		fail "$b: the judges disagree:"
		head -10 "$TMPD/$b.res"
	fi
done

# IPv6 chains ending in AH: hdp and hdp.lua find the same HDP header
"$HDP" sniff -r "$TMPD/ah.pcap" --filter '' --json >"$TMPD/ah.json" 2>/dev/null
expect_eq "AH: hdp decodes both" \
	"$(grep -c '"proto":255,.*"sport":420,.*"len":10,.*"status":"ok"' "$TMPD/ah.json")" 2
expect_eq "AH: hdp.lua decodes both" "$(tshark -X lua_script:"$LUA" -n \
	-r "$TMPD/ah.pcap" -T fields -e hdp.srcport -e hdp.len 2>/dev/null |
	tr '\t\n' ' ,')" "420 10,420 10,"

# as tcpdump: 6 decimals whatever the file holds; 9 when asked (--nano,
# tcpdump's --nano)
expect_eq "micro.pcap prints microseconds" \
	"$("$HDP" sniff -r "$TMPD/micro.pcap" -c 1 2>/dev/null | cut -d' ' -f1)" \
	"$(TZ=${TZ:-} tcpdump -n -r "$TMPD/micro.pcap" -c 1 2>/dev/null | cut -d' ' -f1)"
expect_eq "raw.pcap (ns) prints microseconds, as tcpdump" \
	"$("$HDP" sniff -r "$TMPD/raw.pcap" -c 1 2>/dev/null | cut -d' ' -f1)" \
	"$(TZ=${TZ:-} tcpdump -n -r "$TMPD/raw.pcap" -c 1 2>/dev/null | cut -d' ' -f1)"
expect_eq "raw.pcap --nano prints nanoseconds" \
	"$("$HDP" sniff --nano -r "$TMPD/raw.pcap" -c 1 2>/dev/null | cut -d' ' -f1)" \
	"$(TZ=${TZ:-} tcpdump -n --nano -r "$TMPD/raw.pcap" -c 1 2>/dev/null | cut -d' ' -f1)"
finish
