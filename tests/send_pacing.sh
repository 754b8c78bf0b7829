#!/bin/sh
# send_pacing.sh: --rate 1000 for 10 s achieves 1000 packets/s within 1%,
# judged by tcpdump's timestamps; a long -i costs no CPU (no spinning).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/send_lib.sh"
need_root
need_cmd tcpdump tshark bash

NS=$(netns_add pace)
CAP_BATCH=1
cap_start "$NS" lo "$TMPD/r.pcap" "ip[9] == 255"
ip netns exec "$NS" "$HDP" send -q --rate 1000 -c 10000 --data r 127.0.0.1 \
	</dev/null >"$TMPD/out"; rc=$?
cap_stop
CAP_BATCH=0
expect_eq "--rate 1000 -c 10000 exits 0" "$rc" 0
tshark -r "$TMPD/r.pcap" -T fields -e frame.time_epoch 2>/dev/null >"$TMPD/t"
n=$(wc -l <"$TMPD/t")
expect_eq "tcpdump saw all 10000 ($(tr '\n' ' ' <"$TMPD/r.pcap.err"))" "$n" 10000
rate=$(awk 'NR == 1 { a = $1 } { b = $1 } END {
	if (b > a) printf "%.1f", (NR - 1) / (b - a); else print 0 }' "$TMPD/t")
if awk -v r="$rate" 'BEGIN { exit !(r >= 990 && r <= 1010) }'; then
	ok "achieved rate $rate packets/s (within 1% of 1000)"
else
	fail "achieved rate $rate packets/s, not within 1% of 1000"
fi
grep -q "10000 packets: 10000 sent, 0 failed" "$TMPD/out" ||
	fail "summary: $(cat "$TMPD/out")"

# -i 1 -c 3: two seconds of waiting, next to no CPU
cpu=$(ip netns exec "$NS" bash -c 'TIMEFORMAT="%U %S"; { time "$0" send -q \
	-i 1 -c 3 127.0.0.1 </dev/null >/dev/null; } 2>&1' "$HDP" |
	awk '{ print $1 + $2 }')
if awk -v c="$cpu" 'BEGIN { exit !(c < 0.2) }'; then
	ok "-i 1 -c 3 used $cpu s of CPU"
else
	fail "-i 1 -c 3 used $cpu s of CPU: it spins"
fi

finish
