#!/bin/sh
# ping_icmp.sh: hdp ping shows the ICMP and ICMPv6 errors that real
# kernels send about its probes, as ping(8) does, and counts them.
# On tests/topo.sh's sender - R1 - R2 - receiver path:
#   - no listener at the receiver: its kernel answers HDP with protocol
#     unreachable (IPv6: parameter problem, unknown next header at 6),
#     the UDP kind with port unreachable, while TCP gets its RSTs;
#   - a TTL / hop limit too small: R1 (R2 for hop limit 2) answers time
#     exceeded;
#   - R2 refuses protocol 255 by policy routing (ip rule ipproto 255
#     prohibit): "Packet filtered" (code 13), IPv6 administratively
#     prohibited; the same R2 with an ICMP echo refused the same way
#     gives iputils ping(8)'s line, which hdp's must equal word for word.
# Each error line names the router, kind and sequence; the summary says
# "+N errors" as ping does and the JSON counts them; exit status 1.
# The error count must equal the ICMP errors a tcpdump on the sender's
# link saw quoting protocol 255.
# (An nftables "reject" of protocol 255 is not used: Linux's nf_reject
# first verifies a 16-bit checksum of any protocol it does not know, which
# HDP does not carry, and stays silent; kernel 6.18 was silent even for
# a payload whose sum verifies.)
. "${top_srcdir:-.}/tests/lib.sh"
. "$top_srcdir/tests/topo.sh"
need_root
need_cmd ip tcpdump
topo_up

# ping_run NAME ARGS...: hdp ping from the sender; output in $TMPD/NAME,
# exit status in $TMPD/NAME.rc
ping_run() {
	_n=$1; shift
	in_ns "$NS_S" timeout 30 "$HDP" ping -i 0.05 -W 1 "$@" \
		>"$TMPD/$_n" 2>"$TMPD/$_n.err"
	echo $? >"$TMPD/$_n.rc"
}

# lines NAME REGEX: how many output lines match
lines() { grep -cE "$2" "$TMPD/$1"; }
# stats NAME KIND: the counting line of KIND's statistics (ping(8)'s
# "N packets transmitted, ..." after "--- DEST KIND ping statistics ---")
stats() { awk -v k="$2" 'f { print; exit } $0 ~ "^--- .* " k " ping statistics ---$" { f = 1 }' "$TMPD/$1"; }

bg ip netns exec "$NS_S" tcpdump -Z root --immediate-mode -n -U -i s0 -w "$TMPD/s0.pcap" 'icmp or icmp6' \
	2>"$TMPD/tcpdump.err"
TD=$BG_PID
i=0
while ! grep -q listening "$TMPD/tcpdump.err" && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done

# 1: nothing listens at the receiver
ping_run nolisten -c 3 --compare hdp,udp,tcp "$D4"
expect_eq "no listener: exit 1" "$(cat "$TMPD/nolisten.rc")" 1
expect_eq "no listener: 3 protocol unreachable lines" \
	"$(lines nolisten "^From $D4 kind=hdp seq=[1-3] Destination Protocol Unreachable$")" 3
expect_eq "no listener: 3 port unreachable lines (udp kind)" \
	"$(lines nolisten "^From $D4 kind=udp seq=[1-3] Destination Port Unreachable$")" 3
expect_eq "no listener: tcp still answered" \
	"$(lines nolisten "kind=tcp seq=[1-3] ttl=[0-9]+ time=[0-9.]+ ms \\(RST\\)$")" 3
expect_eq "no listener: summary hdp +3 errors" "$(stats nolisten hdp | sed 's/, time.*//')" \
	"3 packets transmitted, 0 received, +3 errors, 100% packet loss"
expect_eq "no listener: summary udp +3 errors" "$(stats nolisten udp | sed 's/, time.*//')" \
	"3 packets transmitted, 0 received, +3 errors, 100% packet loss"
expect_eq "no listener: tcp without errors" "$(stats nolisten tcp | sed 's/, time.*//')" \
	"3 packets transmitted, 3 received, 0% packet loss"

ping_run nolisten6 -c 3 "$D6"
expect_eq "IPv6 no listener: 3 parameter problem lines" \
	"$(lines nolisten6 "^From $D6 kind=hdp seq=[1-3] Parameter problem: Unknown header at 6$")" 3
expect_eq "IPv6 no listener: +3 errors" "$(stats nolisten6 hdp | sed 's/, time.*//')" \
	"3 packets transmitted, 0 received, +3 errors, 100% packet loss"

# 2: TTL / hop limit too small
ping_run ttl -c 2 -t 1 "$D4"
expect_eq "TTL 1: time exceeded from R1" \
	"$(lines ttl "^From $R1A4 kind=hdp seq=[12] Time to live exceeded$")" 2
ping_run hop -c 2 -t 2 "$D6"
expect_eq "hop limit 2: time exceeded from R2" \
	"$(lines hop "^From $R2A6 kind=hdp seq=[12] Time exceeded: Hop limit$")" 2

# 3: R2 refuses protocol 255 by policy
in_ns "$NS_R2" ip rule add ipproto 255 prohibit || fatal "ip rule"
in_ns "$NS_R2" ip -6 rule add ipproto 255 prohibit || fatal "ip -6 rule"
ping_run prohib -c 3 --compare hdp,udp "$D4"
expect_eq "prohibit: Packet filtered from R2" \
	"$(lines prohib "^From $R2A4 kind=hdp seq=[1-3] Packet filtered$")" 3
expect_eq "prohibit: UDP passes R2 (port unreachable from the receiver)" \
	"$(lines prohib "^From $D4 kind=udp seq=[1-3] Destination Port Unreachable$")" 3
ping_run prohib6 -c 3 --json "$D6"
expect_eq "IPv6 prohibit: exit 1" "$(cat "$TMPD/prohib6.rc")" 1
expect_eq "IPv6 prohibit: JSON error objects" "$(grep -c \
	"\"type\":\"icmp_error\",\"kind\":\"hdp\",\"seq\":[1-3],\"from\":\"$R2A6\",\"icmp_type\":1,\"icmp_code\":1,\"error\":\"admin-prohibited\",\"text\":\"Destination unreachable: Administratively prohibited\",\"rtt_us\":[0-9.]*}" \
	"$TMPD/prohib6")" 3
check "IPv6 prohibit: JSON summary counts 3" grep -q \
	'"type":"summary","kind":"hdp".*"received":0,"loss_pct":100.00,.*"icmp_errors":3,' "$TMPD/prohib6"

# 4: ping(8) as the judge of the words: the same refusal for its echo
if command -v ping >/dev/null 2>&1; then
	# (iif: R2's own ICMP errors must not be refused too)
	in_ns "$NS_R2" ip rule add iif r2a ipproto icmp prohibit
	in_ns "$NS_S" ping -n -c 1 -W 1 "$D4" >"$TMPD/iputils" 2>&1
	in_ns "$NS_R2" ip rule del iif r2a ipproto icmp prohibit
	want=$(sed -n "s/^From $R2A4 icmp_seq=1 //p" "$TMPD/iputils")
	got=$(sed -n "s/^From $R2A4 kind=hdp seq=1 //p" "$TMPD/prohib")
	[ -n "$want" ] || fail "ping(8) printed no error: $(cat "$TMPD/iputils")"
	expect_eq "the words are ping(8)'s" "$got" "$want"
	in_ns "$NS_S" ping -n -c 1 -W 1 -t 1 "$D4" >"$TMPD/iputils" 2>&1
	want=$(sed -n "s/^From $R1A4 icmp_seq=1 //p" "$TMPD/iputils")
	got=$(sed -n "s/^From $R1A4 kind=hdp seq=1 //p" "$TMPD/ttl")
	expect_eq "TTL words are ping(8)'s" "$got" "$want"
	check "ping(8) counts the same way" grep -q "+1 errors" "$TMPD/iputils"
else
	echo "no ping(8): its words not compared"
fi

# 5: every error counted was one the wire carried: ICMP errors quoting
# protocol 255 on the sender's link (tcpdump), against hdp's hdp-kind lines
# (error types only: byte 17 of an echo is ping(8)'s timestamp)
WIRE='(icmp and (icmp[0] == 3 or icmp[0] == 11 or icmp[0] == 12) and icmp[17] == 255) or (icmp6 and ip6[40] >= 1 and ip6[40] <= 4 and ip6[54] == 255)'
sleep 0.3
kill -TERM "$TD"; wait "$TD" 2>/dev/null
wire=$(tcpdump -n -r "$TMPD/s0.pcap" \
	"$WIRE" 2>/dev/null |
	wc -l)
ours=$(cat "$TMPD/nolisten" "$TMPD/nolisten6" "$TMPD/ttl" "$TMPD/hop" \
	"$TMPD/prohib" | grep -c "^From .* kind=hdp ")
ours=$((ours + 3))	# the JSON run's three
expect_eq "errors printed = errors on the wire quoting HDP" "$ours" "$wire"
if [ "$ours" != "$wire" ]; then
	tcpdump -n -r "$TMPD/s0.pcap" \
		"$WIRE"
	cat "$TMPD/nolisten" "$TMPD/nolisten6" "$TMPD/ttl" "$TMPD/hop" \
		"$TMPD/prohib" "$TMPD/prohib6"
fi
finish
