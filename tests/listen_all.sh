#!/bin/sh
# listen_all.sh: hdp listen -P all in a namespace of its own: the numbers
# Linux refuses are reported with the reason; datagrams sent by an
# independent sender (python3's raw socket, not libnet) to the
# namespace's lo are printed per protocol number, matched by the HDP
# timestamp the sender chose; tcpdump confirms what arrived.
. "$top_srcdir/tests/lib.sh"
need_root
need_cmd python3 tcpdump ip

# wait_listening ERRFILE: until hdp listen says its sockets are open
wait_listening() {
	i=0
	while ! grep -q "listening on" "$1" && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
}

NS=$(netns_add listen)
OUT=$TMPD/rx.json ERR=$TMPD/rx.err

bg ip netns exec "$NS" "$HDP" listen -P all --json -t 8 >"$OUT" 2>"$ERR"
LPID=$BG_PID
wait_listening "$ERR"
bg ip netns exec "$NS" tcpdump -i lo -n -U --immediate-mode -w "$TMPD/lo.pcap" ip 2>/dev/null
TPID=$BG_PID
sleep 0.5

# the independent sender: one HDP datagram per number, timestamps written
# down so every line of the listener can be checked against them
ip netns exec "$NS" python3 - "$TMPD/sent" <<'PY'
import socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
lo = socket.inet_aton('127.0.0.1')
with open(sys.argv[1], 'w') as f:
    for p in (255, 150, 17, 6, 1, 0):
        ts = time.time_ns()
        hdp = struct.pack('!HHQ', 420, 4242, ts) + b'aGRw'
        ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(hdp), p, 0,
                         64, p, 0, lo, lo)
        s.sendto(ip + hdp, ('127.0.0.1', 0))
        f.write('%d %d\n' % (p, ts))
PY
sleep 0.5
kill "$TPID"; wait "$TPID" 2>/dev/null
kill "$LPID"; wait "$LPID" 2>/dev/null

check "protocol 0 reported refused on stderr" \
	grep -q "protocol 0 refused: .*Protocol not supported" "$ERR"
check "protocol 0 refused as a JSON line" \
	grep -q '"layer":"refused","proto":0,"errno":93' "$OUT"
expect_eq "listening on 255 numbers" \
	"$(grep -c 'listening on 255 protocol numbers' "$ERR")" 1

while read -r p ts; do
	sock=$(grep -c "\"layer\":\"socket\",\"proto\":$p,.*\"sport\":420,\"dport\":4242,\"hdp_ts_ns\":$ts" "$OUT")
	pcap=$(grep -c "\"layer\":\"pcap\",\"proto\":$p,.*\"hdp_ts_ns\":$ts" "$OUT")
	judge=$(tcpdump -r "$TMPD/lo.pcap" -n "ip proto $p and ip[24:4] == $(( (ts >> 32) & 0xffffffff )) and ip[28:4] == $(( ts & 0xffffffff ))" 2>/dev/null | wc -l)
	expect_eq "proto $p: tcpdump saw it once on lo" "$judge" 1
	expect_eq "proto $p: libpcap arrival reported" "$pcap" 1
	if [ "$p" -eq 0 ]; then
		expect_eq "proto 0: no socket, nothing delivered" "$sock" 0
	else
		# 255 too: IPPROTO_RAW sockets do receive on Linux
		expect_eq "proto $p: delivered to its raw socket" "$sock" 1
	fi
done <"$TMPD/sent"

# issue 16's one voice, as hdp sniff --json: latency_ns an exact integer
# (socket time minus the sender's timestamp, never latency_us), ip_len the
# datagram's length as tcpdump -v reads it from the capture
tcpdump -r "$TMPD/lo.pcap" -n -v 'ip proto 255' 2>/dev/null |
	sed -n 's/.* length \([0-9]*\)).*/\1/p' | head -1 >"$TMPD/td_len"
python3 - "$OUT" "$TMPD/sent" "$(cat "$TMPD/td_len")" <<'PY' ||
import json, sys
sent = {int(p): int(ts) for p, ts in (l.split() for l in open(sys.argv[2]))}
want_len = int(sys.argv[3])
n = 0
for l in open(sys.argv[1]):
    o = json.loads(l)
    if o.get("proto") != 255 or o.get("hdp_ts_ns") != sent[255]:
        continue
    assert "latency_us" not in o and "bytes" not in o or o["layer"] == "socket", o
    if o["layer"] == "socket":
        lat = o["latency_ns"]
        assert isinstance(lat, int), o
        assert lat == o["time_ns"] - sent[255], o
        assert 0 <= lat < 10**9, o
    else:
        assert o["ip_len"] == want_len, (o, want_len)
    n += 1
assert n == 2, n
PY
	fail "listen --json: latency_ns / ip_len as hdp sniff names them"

# the kernel answers protocol 0 with ICMP protocol unreachable (type 3
# code 2), which the socket for 1 receives like any ICMP
check "ICMP protocol unreachable seen by the socket for 1" \
	sh -c "tcpdump -r '$TMPD/lo.pcap' -n 'icmp[0] == 3 and icmp[1] == 2' 2>/dev/null | grep -q unreachable"

# text mode: the original server's row
ip netns exec "$NS" "$HDP" listen -P 200 -c 1 -t 5 >"$TMPD/rx.txt" 2>"$TMPD/rx2.err" &
LP=$!
wait_listening "$TMPD/rx2.err"
ip netns exec "$NS" python3 -c '
import socket, struct, time
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 200)
s.sendto(struct.pack("!HHQ", 420, 420, time.time_ns()) + b"x", ("127.0.0.1", 0))'
wait "$LP"
expect_eq "text header" "$(head -1 "$TMPD/rx.txt")" \
	"| Protocol Number | Time (μs) (Server) | Source IP (Server) | Byte Sum (Server) |"
check "text row for 200 from 127.0.0.1, 33 bytes" \
	grep -Eq '^\| 200 \| [0-9]{16} \| 127\.0\.0\.1 \| 33 \|$' "$TMPD/rx.txt"

# a raw socket for 6 also gets copies of real TCP (the kernel's TCP
# handles the connection; the socket only watches)
ip netns exec "$NS" "$HDP" listen -P 6 --json --no-pcap -c 3 -t 5 \
	>"$TMPD/tcp.json" 2>"$TMPD/tcp.err" &
LP=$!
wait_listening "$TMPD/tcp.err"
ip netns exec "$NS" python3 -c '
import socket
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
c = socket.create_connection(srv.getsockname()); a, _ = srv.accept()
c.sendall(b"hello over tcp"); a.recv(100); c.close(); a.close()'
wait "$LP"
expect_eq "socket for 6 saw the TCP connection's segments" \
	"$(grep -c '"layer":"socket","proto":6,' "$TMPD/tcp.json")" 3

# bad usage
"$HDP" listen -P 256 >/dev/null 2>&1
expect_eq "-P 256 is bad usage" "$?" 2
finish
