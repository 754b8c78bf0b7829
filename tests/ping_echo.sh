#!/bin/sh
# hdp ping against `hdp listen --echo` between two namespaces: every
# probe of every kind answered (hdp, HDP-in-UDP, TCP SYN -> RST), the
# JSON summary carries the issue's fields with sane values, the echo
# reply's layout is judged from tcpdump's capture by an independent
# parser (ports and addresses swapped, the request's HDP timestamp kept,
# "HDPE" block with receive and reply times and the host id, the request
# payload after it), IPv6 and loopback work, --plot draws PNG and SVG, and a missing
# responder shows as loss with exit 1.
. "${top_srcdir:-.}/tests/lib.sh"
need_root
need_cmd tcpdump ip
PY=/usr/bin/python3
$PY -c 'import scapy' 2>/dev/null || PY=python3

A=$(netns_add a)
B=$(netns_add b)
veth_pair "$A" va 198.51.100.1/24 "$B" vb 198.51.100.2/24
ip -n "$A" addr add 2001:db8:1::1/64 dev va nodad
ip -n "$B" addr add 2001:db8:1::2/64 dev vb nodad

# echo4/echo6: a responder in B until the test ends (bounded by -t)
echo_up() {
	bg ip netns exec "$B" "$HDP" listen "$@" --echo --echo-udp 420 \
		-t 50 >"$TMPD/listen$1.out" 2>"$TMPD/listen$1.err"
	i=0
	while ! grep -q listening "$TMPD/listen$1.err" && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	ECHO_PIDS="${ECHO_PIDS:-} $BG_PID"
}
echo_up -4

# 1. all three kinds, every probe answered; the summary's fields
ip netns exec "$A" "$HDP" ping --json -c 100 --rate 200 -W 3 \
	--compare hdp,udp,tcp 198.51.100.2 >"$TMPD/all.json"
expect_eq "ping exits 0 when every probe is answered" "$?" 0
if $PY - "$TMPD/all.json" <<'PY'
import json, sys
rows = [json.loads(x) for x in open(sys.argv[1])]
summ = {r["kind"]: r for r in rows if r["type"] == "summary"}
bad = 0
for k in ("hdp", "udp", "tcp"):
    s = summ.get(k)
    if s is None:
        print("  no summary for", k); bad += 1; continue
    print("  %s: sent %d received %d loss %.1f%% rtt min/p50/p99/max "
          "%.1f/%.1f/%.1f/%.1f us" % (k, s["sent"], s["received"],
          s["loss_pct"], s["rtt_min_us"], s["rtt_p50_us"], s["rtt_p99_us"],
          s["rtt_max_us"]))
    need = ["kind", "sent", "received", "loss_pct", "duplicates",
            "reordered", "rtt_min_us", "rtt_avg_us", "rtt_max_us",
            "rtt_p50_us", "rtt_p99_us"]
    miss = [f for f in need if f not in s]
    if miss:
        print("  %s: missing %s" % (k, miss)); bad += 1
    if s["sent"] != 100 or s["received"] != 100 or s["loss_pct"] != 0:
        bad += 1
    if not (0 < s["rtt_min_us"] <= s["rtt_p50_us"] <= s["rtt_p99_us"]
            <= s["rtt_max_us"] < 1e6):
        print("  %s: RTT figures out of order" % k); bad += 1
    probes = [r for r in rows if r["type"] == "probe" and r["kind"] == k
              and r["received"] and not r["duplicate"]]
    if sorted(r["seq"] for r in probes) != list(range(1, 101)):
        print("  %s: probe rows do not cover seq 1-100" % k); bad += 1
    if k != "tcp" and not all("fwd_us" in r for r in probes):
        print("  %s: one-way delays missing (same host)" % k); bad += 1
sys.exit(1 if bad else 0)
PY
then ok "hdp, udp, tcp: 100 of 100 each, fields present"
else fail "summary"; fi

# 2. the echo reply's layout, from tcpdump on A
bg ip netns exec "$A" tcpdump -i va -nn -U --immediate-mode -s 2048 \
	-w "$TMPD/echo.pcap" 'ip proto 255 or udp port 420' \
	2>"$TMPD/td.err"
TD=$BG_PID
i=0
while ! grep -q listening "$TMPD/td.err" && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
sleep 0.3
ip netns exec "$A" "$HDP" ping -q -c 3 -i 0.05 --size 100 \
	--compare hdp,udp 198.51.100.2 >/dev/null
sleep 0.3
kill -INT "$TD"; wait "$TD" 2>/dev/null
if $PY - "$TMPD/echo.pcap" <<'PY'
import struct, sys
from scapy.all import IP, UDP, rdpcap, raw
def fnv(b):
    h = 14695981039346656037
    for c in b:
        h = ((h ^ c) * 1099511628211) & 0xffffffffffffffff
    return h
host = fnv(open("/proc/sys/kernel/random/boot_id", "rb").read().strip())
pk = rdpcap(sys.argv[1])
req, rep, bad = {}, [], 0
for p in pk:
    l4 = raw(p[IP].payload)
    t = int(p.time * 1e9)
    if p[IP].proto == 17:
        udp, l4 = l4[:8], l4[8:]
    if p[IP].src == "198.51.100.1":
        # the request's last 32 bytes are room for the echo block
        req[(p[IP].proto, l4[:2], l4[2:4], l4[12:-32])] = (l4, t, len(p[IP]))
    else:
        rep.append((p, l4, t))
if len(rep) != 6:
    print("  %d replies, want 6" % len(rep)); bad += 1
for p, l4, t in rep:
    if p[IP].dst != "198.51.100.1" or p[IP].src != "198.51.100.2":
        print("  reply addresses not swapped"); bad += 1
    key = (p[IP].proto, l4[2:4], l4[:2], l4[12 + 32:])
    if key not in req:
        print("  reply matches no request (ports swapped, payload kept?)")
        bad += 1; continue
    q, tq, qlen = req[key]
    if len(p[IP]) > qlen:
        print("  reply of %d bytes to a request of %d" % (len(p[IP]), qlen))
        bad += 1
    if q[-32:] != bytes(32):
        print("  the request's room for the echo block is not zeros"); bad += 1
    if q[4:12] != l4[4:12]:
        print("  HDP timestamp not kept"); bad += 1
    blk = l4[12:44]
    magic, ver, flags, rx, tx, hid = struct.unpack(">4sBB2xQQQ", blk)
    if magic != b"HDPE" or ver != 1 or not flags & 1:
        print("  echo block", magic, ver, flags); bad += 1
    if not (tq <= rx + 1000 and rx <= tx <= t + 1000):
        print("  times out of order: req %d rx %d tx %d reply %d" %
              (tq, rx, tx, t)); bad += 1
    if hid != host:
        print("  host id %x, this kernel %x" % (hid, host)); bad += 1
    if p[IP].proto == 17 and p[UDP].sport != 420:
        print("  UDP reply from port", p[UDP].sport); bad += 1
sys.exit(1 if bad else 0)
PY
then ok "echo replies: layout per hdp_echo.h, judged from tcpdump"
else fail "echo reply layout"; fi

# 3. IPv6
echo_up -6
ip netns exec "$A" "$HDP" ping -6 --json -q -c 20 --rate 100 -W 3 \
	--compare hdp,udp 2001:db8:1::2 >"$TMPD/v6.json"
expect_eq "IPv6: exit 0" "$?" 0
expect_eq "IPv6: 20 hdp and 20 udp answered" \
	"$(grep -c '"received":20,' "$TMPD/v6.json")" 2

# loopback inside B, where the responders run: every departure captured
for d in 127.0.0.1 ::1; do
	ip netns exec "$B" "$HDP" ping --json -q -c 10 --rate 100 -W 3 "$d" \
		>"$TMPD/lo.json"
	check "loopback $d: 10 of 10, every departure from the capture" \
		grep -q '"received":10,.*"tx_user_clock":0' "$TMPD/lo.json"
done

# 4. plots
ip netns exec "$A" "$HDP" ping -q -c 20 --rate 100 --compare hdp,udp,tcp \
	--plot "$TMPD/rtt.png" 198.51.100.2 >/dev/null
expect_eq "--plot PNG: exit 0" "$?" 0
expect_eq "--plot PNG: a PNG" "$(head -c 4 "$TMPD/rtt.png" | tail -c 3)" PNG
ip netns exec "$A" "$HDP" ping -q -c 5 --rate 100 \
	--plot "$TMPD/rtt.svg" 198.51.100.2 >/dev/null
check "--plot SVG: an SVG" grep -q '<svg' "$TMPD/rtt.svg"
ip netns exec "$A" "$HDP" ping -q -c 2 --rate 100 \
	--plot "$TMPD/rtt.svg" 198.51.100.2 >/dev/null 2>"$TMPD/clobber.err"
expect_eq "--plot does not overwrite without --force (exit 2, as -w)" "$?" 2
check "--plot: the existing image is untouched" grep -q '<svg' "$TMPD/rtt.svg"

# 5. the responders stopped: HDP lost, the far kernel still answers TCP
for p in $ECHO_PIDS; do kill "$p"; wait "$p" 2>/dev/null; done
ip netns exec "$A" "$HDP" ping --json -q -c 10 --rate 100 \
	--compare hdp,tcp 198.51.100.2 >"$TMPD/none.json"
expect_eq "no responder: exit 1" "$?" 1
check "no responder: hdp lost all" \
	grep -q '"kind":"hdp".*"received":0,"loss_pct":100' "$TMPD/none.json"
check "no responder: tcp answered all (RST)" \
	grep -q '"kind":"tcp".*"received":10,"loss_pct":0' "$TMPD/none.json"
finish
