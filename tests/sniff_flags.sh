#!/bin/sh
# sniff_flags.sh: tcpdump's -F, -Q, -L and -y in hdp sniff, on real
# traffic from `hdp send` across a veth pair between this test's own
# namespaces, with tcpdump as the judge of what each direction holds.
. "$top_srcdir/tests/lib.sh"
need_root
need_cmd ip timeout tcpdump

netns_add a >/dev/null
netns_add b >/dev/null
A="$TEST_TAG-a"
B="$TEST_TAG-b"
VA="fa$$"
VB="fb$$"
veth_pair "$A" "$VA" 10.124.0.1/24 "$B" "$VB" 10.124.0.2/24
"$HDP" help send 2>/dev/null | grep -q "not built yet" && skip "no hdp send"

# bad input: one line naming it, exit 2
"$HDP" sniff -F "$TMPD/nofile" -r "$top_srcdir/pcaps/lo4.pcap" \
	>/dev/null 2>"$TMPD/e"; rc=$?
check "-F missing file: exit 4 (cannot be opened)" [ "$rc" = 4 ]
check "-F missing file is named" grep -q "nofile" "$TMPD/e"
ip netns exec "$B" "$HDP" sniff -Q sideways -i "$VB" >/dev/null \
	2>"$TMPD/e"; rc=$?
check "-Q bad: exit 2" [ "$rc" = 2 ]
check "-Q bad names it" grep -q "sideways" "$TMPD/e"
"$HDP" sniff -Q in -r "$top_srcdir/pcaps/lo4.pcap" >/dev/null 2>&1; rc=$?
check "-Q with -r: exit 2" [ "$rc" = 2 ]
ip netns exec "$B" "$HDP" sniff -y NO_SUCH_DLT -i lo >/dev/null \
	2>"$TMPD/e"; rc=$?
check "-y unknown: exit 2" [ "$rc" = 2 ]
check "-y unknown names it" grep -q "NO_SUCH_DLT" "$TMPD/e"

# -L as tcpdump -L lists
ip netns exec "$B" "$HDP" sniff -L -i lo >"$TMPD/L.hdp" 2>&1; rc=$?
ip netns exec "$B" tcpdump -L -i lo >"$TMPD/L.tcpdump" 2>&1
check "-L: exit 0" [ "$rc" = 0 ]
check "-L lists EN10MB" grep -q "^  EN10MB (Ethernet)" "$TMPD/L.hdp"
check "-L as tcpdump -L" cmp -s "$TMPD/L.hdp" "$TMPD/L.tcpdump"

# -Q in / -Q out / -F on the veth, tcpdump -Q as judge
printf 'src host\n10.124.0.1\n' >"$TMPD/flt"
run() {	# NAME CMD...: bounded to 6 s
	name=$1; shift
	bg ip netns exec "$B" timeout 6 "$@" >"$TMPD/$name.out" \
		2>"$TMPD/$name.err"
}
run hin "$HDP" sniff --json -i "$VB" -Q in
run hout "$HDP" sniff --json -i "$VB" --direction=out
run hF "$HDP" sniff --json -i "$VB" -F "$TMPD/flt"
run tin tcpdump -n -Q in -i "$VB" ip proto 255
run tout tcpdump -n -Q out -i "$VB" ip proto 255
sleep 2
ip netns exec "$A" "$HDP" send -q -c 3 -i 0.02 --data in 10.124.0.2 \
	>/dev/null
ip netns exec "$B" "$HDP" send -q -c 2 -i 0.02 --data out 10.124.0.1 \
	>/dev/null
wait
n() { grep -c . "$TMPD/$1.out"; }
expect_eq "tcpdump -Q in sees the 3 sent to B" "$(n tin)" 3
expect_eq "tcpdump -Q out sees the 2 B sent" "$(n tout)" 2
expect_eq "-Q in as tcpdump" "$(n tin)" "$(n hin)"
expect_eq "--direction=out as tcpdump" "$(n tout)" "$(n hout)"
expect_eq "-F src host 10.124.0.1: A's 3" "$(n hF)" 3
check "-F: only A's packets" sh -c "! grep -q '\"src\": *\"10.124.0.2\"' '$TMPD/hF.out'"

# -y: a type the interface offers is what the -w file holds
ip netns exec "$B" timeout 10 "$HDP" sniff -y EN10MB -i lo -c 1 \
	-w "$TMPD/y.pcap" 2>"$TMPD/y.err" &
ypid=$!
_PIDS="$_PIDS $ypid"
sleep 1
ip netns exec "$B" "$HDP" send -q -c 3 -i 0.05 127.0.0.1 >/dev/null
wait "$ypid"
check "-y EN10MB: link type in the file" sh -c \
	"tcpdump -r '$TMPD/y.pcap' 2>&1 | grep -q 'link-type EN10MB'"
if ! grep -q LINUX_SLL2 "$TMPD/L.tcpdump"; then
	ip netns exec "$B" "$HDP" sniff -y LINUX_SLL2 -i lo >/dev/null \
		2>"$TMPD/e"; rc=$?
	check "-y a type lo lacks: exit 2" [ "$rc" = 2 ]
fi
finish
