#!/bin/sh
# hdp listen --echo on a hostile segment: an attacker, a victim, a client
# and two responders on one bridge (namespaces).  The attacker forges
# requests from the victim's address to the segment's directed broadcast,
# 255.255.255.255, 224.0.0.1 and ff02::1, requests from broadcast,
# multicast, unspecified and loopback sources, requests too small for the
# echo block, and HDP-in-UDP from port 53 (and other service ports).
# Judges, all independent of hdp: tcpdump in the victim's namespace sees
# not one packet from a responder and no echo reply (scapy reads it); a
# bounded flood of unicast requests forged from the victim gets no more
# replies than the rate limits allow, none larger than its request; the
# responders' JSON counts every refusal by its reason; and hdp ping from
# the client is still answered in full, every reply no larger than its
# request (tshark reads the sizes from the client's capture).
. "${top_srcdir:-.}/tests/lib.sh"
need_root
need_cmd tcpdump tshark ip
need_scapy

NET=198.51.100
R1=$NET.1 R2=$NET.2 ATK=$NET.10 VIC=$NET.20 CLI=$NET.30
R1_6=2001:db8:1::1 VIC_6=2001:db8:1::20 CLI_6=2001:db8:1::30

SW=$(netns_add sw)
NS_R1=$(netns_add r1)
NS_R2=$(netns_add r2)
NS_A=$(netns_add atk)
NS_V=$(netns_add vic)
NS_C=$(netns_add cli)
ip -n "$SW" link add br0 type bridge mcast_snooping 0 ||
	fatal "bridge in $SW"
ip -n "$SW" link set br0 up
# port NS IFACE ADDR4 [ADDR6]: NS on the bridge
port() {
	ip link add "$2" netns "$1" type veth peer name "p$2" netns "$SW" ||
		fatal "veth $2"
	ip -n "$SW" link set "p$2" master br0 up
	ip -n "$1" addr add "$3/24" dev "$2"
	[ -n "${4:-}" ] && ip -n "$1" addr add "$4/64" dev "$2" nodad
	ip -n "$1" link set "$2" up
}
port "$NS_R1" r1 $R1 $R1_6
port "$NS_R2" r2 $R2
port "$NS_A" atk $ATK
port "$NS_V" vic $VIC $VIC_6
port "$NS_C" cli $CLI $CLI_6
# R1 takes 127/8 sources from outside (as a router with route_localnet
# would): then only hdp's own check stands between them and a reply
ip netns exec "$NS_R1" sysctl -qw net.ipv4.conf.all.route_localnet=1 \
	net.ipv4.conf.r1.route_localnet=1 net.ipv4.conf.all.accept_local=1 \
	net.ipv4.conf.r1.accept_local=1
mac() { ip -n "$1" -o link show "$2" | sed 's/.*link\/ether \([^ ]*\).*/\1/'; }
MAC_R1=$(mac "$NS_R1" r1)
MAC_R2=$(mac "$NS_R2" r2)

# responders until the test ends (bounded by -t): R1 with a low rate per
# source, R2 with a low total
bg ip netns exec "$NS_R1" "$HDP" listen -4 --json --no-pcap --echo \
	--echo-udp 420 --echo-rate 100/s -t 60 >"$TMPD/r1.json" \
	2>"$TMPD/r1.err"
P_R1=$BG_PID
bg ip netns exec "$NS_R1" "$HDP" listen -6 --json --no-pcap --echo \
	--echo-udp 420 --echo-rate 100 -t 60 >"$TMPD/r1v6.json" \
	2>"$TMPD/r1v6.err"
P_R16=$BG_PID
bg ip netns exec "$NS_R2" "$HDP" listen -4 --json --no-pcap --echo \
	--echo-udp 420 --echo-rate-total 50 -t 60 >"$TMPD/r2.json" \
	2>"$TMPD/r2.err"
P_R2=$BG_PID
for f in r1 r1v6 r2; do
	wait_for_file "$TMPD/$f.err" 50
	grep -q listening "$TMPD/$f.err" || fatal "responder $f: $(cat "$TMPD/$f.err")"
done

# an address added while the responder runs is one of ours at once
# (rtnetlink), well before the periodic reload 10 s after the start
ip -n "$NS_R1" addr add "$NET.101/24" dev r1
ip netns exec "$NS_C" "$HDP" ping --json -q -c 5 --rate 20 -W 2 \
	"$NET.101" >"$TMPD/p0.json"
expect_eq "hdp ping to an address R1 was given just now: answered" "$?" 0

# capture NS IFACE FILE: tcpdump there until capture_stop
capture() {
	bg ip netns exec "$1" tcpdump -i "$2" -nn -U --immediate-mode -s 256 \
		-w "$3" 2>"$3.err"
	CAP=$BG_PID
	i=0
	while ! grep -q listening "$3.err" && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
}
capture_stop() { sleep 0.5; kill -INT "$CAP"; wait "$CAP" 2>/dev/null; }

# from_responders PCAP: what in the victim's capture came from a
# responder (IPv6 neighbour discovery aside) or is an echo reply
from_responders() {
	$PY - "$1" "$R1 $R2 $R1_6" <<'PY'
import sys
from scapy.all import rdpcap, IP, IPv6, Raw
resp = set(sys.argv[2].split())
n = 0
for p in rdpcap(sys.argv[1]):
    l3 = p[IP] if IP in p else p[IPv6] if IPv6 in p else None
    if l3 is None:
        continue
    nd = IPv6 in p and p[IPv6].nh == 58 and 133 <= bytes(p[IPv6].payload)[0] <= 137
    if (l3.src in resp and not nd) or b"HDPE" in bytes(l3):
        n += 1
        print("  victim got:", p.summary())
print(n)
PY
}

# ---- 1. forged requests: the victim must see nothing --------------------
capture "$NS_V" vic "$TMPD/vic1.pcap"
ip netns exec "$NS_A" $PY - atk "$VIC" "$VIC_6" "$R1" "$R1_6" "$R2" \
	"$MAC_R1" "$MAC_R2" "$NET.255" <<'PY' || fail "attacker's scapy"
import struct, sys
from scapy.all import Ether as Ether_, IP, IPv6, UDP, Raw, sendp, get_if_hwaddr
(iface, vic, vic6, r1, r16, r2, mac1, mac2, bcast) = sys.argv[1:]
BC = "ff:ff:ff:ff:ff:ff"
# our own MAC always: scapy's guess is all zeros where it finds no route
# (255.255.255.255, multicast), and a bridge drops that
me = get_if_hwaddr(iface)
def Ether(dst):
    return Ether_(src=me, dst=dst)
def hdp(n, sport=4242, dport=420):
    # HDP header: ports, a timestamp; then n payload bytes (not "HDPE")
    return struct.pack(">HHQ", sport, dport, 1) + bytes(range(n % 256)) + bytes(max(0, n - 256))
def udp(n, sport):
    return UDP(sport=sport, dport=420) / Raw(hdp(n, sport, 420))
frames = [
    # to broadcast and multicast destinations, from the victim
    Ether(dst=BC) / IP(src=vic, dst=bcast, proto=255) / Raw(hdp(64)),
    Ether(dst=BC) / IP(src=vic, dst="255.255.255.255", proto=255) / Raw(hdp(64)),
    Ether(dst="01:00:5e:00:00:01") / IP(src=vic, dst="224.0.0.1", proto=255) / Raw(hdp(64)),
    Ether(dst=BC) / IP(src=vic, dst=bcast) / udp(64, 40000),
    Ether(dst="33:33:00:00:00:01") / IPv6(src=vic6, dst="ff02::1", nh=255) / Raw(hdp(64)),
    Ether(dst=BC) / IP(src="0.0.0.0", dst="255.255.255.255", proto=255) / Raw(hdp(64)),
    # unicast to a responder, from sources a reply must never go to
    Ether(dst=mac1) / IP(src=bcast, dst=r1, proto=255) / Raw(hdp(64)),
    Ether(dst=mac1) / IP(src="255.255.255.255", dst=r1, proto=255) / Raw(hdp(64)),
    Ether(dst=mac1) / IP(src="224.0.0.1", dst=r1, proto=255) / Raw(hdp(64)),
    Ether(dst=mac1) / IP(src="127.0.0.1", dst=r1, proto=255) / Raw(hdp(64)),
    # to a loopback address, from outside: a reply would leave from it
    Ether(dst=mac1) / IP(src=vic, dst="127.0.0.1", proto=255) / Raw(hdp(64)),
    Ether(dst=mac1) / IP(src="0.0.0.0", dst=r1, proto=255) / Raw(hdp(64)),
    Ether(dst=mac1) / IPv6(src="ff02::1", dst=r16, nh=255) / Raw(hdp(64)),
    # too small for the echo block: no room, no answer
    Ether(dst=mac1) / IP(src=vic, dst=r1, proto=255) / Raw(hdp(0)),
    Ether(dst=mac1) / IP(src=vic, dst=r1, proto=255) / Raw(hdp(31)),
    Ether(dst=mac2) / IP(src=vic, dst=r2, proto=255) / Raw(hdp(16)),
    Ether(dst=mac1) / IP(src=vic, dst=r1) / udp(16, 40000),
    Ether(dst=mac1) / IPv6(src=vic6, dst=r16, nh=255) / Raw(hdp(8)),
    # HDP-in-UDP from service ports: the reply would hit the service
    Ether(dst=mac1) / IP(src=vic, dst=r1) / udp(64, 53),
    Ether(dst=mac2) / IP(src=vic, dst=r2) / udp(64, 53),
    Ether(dst=mac1) / IP(src=vic, dst=r1) / udp(64, 123),
    Ether(dst=mac1) / IP(src=vic, dst=r1) / udp(64, 1900),
    Ether(dst=mac1) / IP(src=vic, dst=r1) / udp(64, 11211),
    Ether(dst=mac1) / IPv6(src=vic6, dst=r16) / udp(64, 53),
]
for _ in range(3):
    sendp(frames, iface=iface, verbose=False)
PY
capture_stop
n=$(from_responders "$TMPD/vic1.pcap" | tee "$TMPD/vic1.txt" | tail -1)
sed '$d' "$TMPD/vic1.txt"
expect_eq "forged requests: the victim's capture has nothing from a responder" "$n" 0
check "forged requests: the victim's capture did see the attack" \
	test "$(tcpdump -r "$TMPD/vic1.pcap" -nn 2>/dev/null | wc -l)" -gt 0

# ---- 2. bounded floods of unicast requests forged from the victim --------
# flood NS DST N RATE: N requests (64 payload bytes) from the victim's
# address; prints the seconds it took
flood() {
	t0=$(date +%s.%N)
	ip netns exec "$NS_A" "$HDP" send -q --src "$VIC" --size 64 \
		-c "$3" --rate "$4" "$2" >/dev/null 2>"$TMPD/flood.err" ||
		fail "flood to $2: $(cat "$TMPD/flood.err")"
	t1=$(date +%s.%N)
	echo "$t0 $t1" | awk '{ printf "%.3f\n", $2 - $1 }'
}
# judge_flood PCAP RESPONDER SECONDS RATE: the replies at the victim, over
# the span from the first to the last (whenever the responder got to
# them, on a slow machine after the flood), no more than a bucket of
# max(RATE/4, 10) refilled at RATE allows (20 ms and 2 replies of slack:
# the capture's times are not the responder's decisions); each
# no larger than the requests (20 + 12 + 64 bytes)
judge_flood() {
	$PY - "$@" <<'PY'
import sys
from scapy.all import rdpcap, IP
pcap, resp, secs, rate = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
rep = [p for p in rdpcap(pcap) if IP in p and p[IP].src == resp]
span = float(rep[-1].time - rep[0].time) if rep else 0.0
allowed = max(rate // 4, 10) + rate * (span + 0.02) + 2
big = [len(p[IP]) for p in rep if len(p[IP]) > 20 + 12 + 64]
print("  flood of %.2f s: %d replies at the victim over %.3f s (rate %d/s: "
      "at most %d), largest %d bytes" % (secs, len(rep), span, rate,
      allowed, max([len(p[IP]) for p in rep] or [0])))
sys.exit(0 if 0 < len(rep) <= allowed and not big else 1)
PY
}
capture "$NS_V" vic "$TMPD/vic2.pcap"
secs=$(flood "$NS_A" "$R1" 1000 2000)
capture_stop
check "flood, 100/s per source: the victim gets what the bucket allows" \
	judge_flood "$TMPD/vic2.pcap" "$R1" "$secs" 100
capture "$NS_V" vic "$TMPD/vic3.pcap"
secs=$(flood "$NS_A" "$R2" 1000 2000)
capture_stop
check "flood, 50/s in all: the victim gets what the total allows" \
	judge_flood "$TMPD/vic3.pcap" "$R2" "$secs" 50

# ---- 3. hdp ping is still answered, replies no larger than requests ------
capture "$NS_C" cli "$TMPD/cli.pcap"
ip netns exec "$NS_C" "$HDP" ping --json -q -c 20 --rate 20 -W 2 \
	--compare hdp,udp "$R1" >"$TMPD/p1.json"
expect_eq "hdp ping to R1: every probe answered" "$?" 0
ip netns exec "$NS_C" "$HDP" ping --json -q -c 10 --rate 20 -W 2 \
	--size 48 --compare hdp,udp "$R2" >"$TMPD/p2.json"
expect_eq "hdp ping --size 48 (the least) to R2: every probe answered" "$?" 0
ip netns exec "$NS_C" "$HDP" ping -6 --json -q -c 10 --rate 20 -W 2 \
	--compare hdp,udp "$R1_6" >"$TMPD/p3.json"
expect_eq "hdp ping -6 to R1: every probe answered" "$?" 0
capture_stop
# tshark's view: per (responder, protocol), the largest reply against
# the smallest request
tshark -r "$TMPD/cli.pcap" -T fields -E separator=' ' -e ip.src -e ip.dst \
	-e ipv6.src -e ipv6.dst -e ip.len -e ipv6.plen -e ip.proto \
	-e ipv6.nxt 'ip.proto == 255 or ip.proto == 17 or ipv6.nxt == 255 or ipv6.nxt == 17' \
	>"$TMPD/sizes.txt" 2>/dev/null
if awk -v me4="$CLI" -v me6="$CLI_6" '
	# fields present: src dst len proto (IPv4) or src dst plen nxt (IPv6)
	NF == 4 {
		v6 = ($1 ~ /:/); len = v6 ? $3 + 40 : $3
		if ($1 == me4 || $1 == me6) { k = $2 " " $4; req[k]++
			if (!(k in rmin) || len < rmin[k]) rmin[k] = len }
		else { k = $1 " " $4; rep[k]++
			if (len > pmax[k]) pmax[k] = len }
	}
	END {
		bad = 0; n = 0
		for (k in rep) {
			n++
			printf "  %s: %d requests of %d+ bytes, %d replies of at most %d\n", k, req[k], rmin[k], rep[k], pmax[k]
			if (!(k in rmin) || pmax[k] > rmin[k]) bad = 1
		}
		exit (bad || n < 6)
	}' "$TMPD/sizes.txt"
then ok "tshark: no reply larger than its request (hdp and udp, 3 targets)"
else fail "tshark: reply sizes"; fi

# ---- 4. the responders' own account -------------------------------------
for p in $P_R1 $P_R16 $P_R2; do kill -INT "$p"; done
for p in $P_R1 $P_R16 $P_R2; do wait "$p" 2>/dev/null; done
if $PY - "$TMPD/r1.json" "$TMPD/r1v6.json" "$TMPD/r2.json" <<'PY'
import json, sys
def summary(path):
    rows = [json.loads(l) for l in open(path)]
    s = [r for r in rows if r.get("layer") == "echo_summary"]
    ref = [r for r in rows if r.get("layer") == "echo_refused"]
    return (s[-1] if s else None), ref
want = {
    0: {"dst_broadcast": 3, "dst_multicast": 3, "src_loopback": 3,
        "too_small": 9, "udp_port": 12, "rate_source": 500},
    1: {"dst_multicast": 3, "too_small": 3, "udp_port": 3},
    2: {"dst_broadcast": 3, "too_small": 3, "udp_port": 3,
        "rate_total": 500},
}
bad = 0
for i, path in enumerate(sys.argv[1:]):
    s, ref = summary(path)
    if s is None:
        print("  %s: no echo_summary" % path); bad += 1; continue
    by = s["refused_by"]
    print("  %s: %d requests, %d replied, %d refused %s" % (path.split("/")[-1],
          s["requests"], s["replied"], s["refused"],
          {k: v for k, v in by.items() if v}))
    for k, n in want[i].items():
        if by.get(k, 0) < n:
            print("    %s: %d, want at least %d" % (k, by.get(k, 0), n)); bad += 1
    if i == 0 and s.get("addr_loads", 0) < 2:
        print("    addresses read %s times: the change went unseen" %
              s.get("addr_loads")); bad += 1
    if s["refused"] != sum(by.values()) or len(ref) != s["refused"]:
        print("    refusal lines %d, counts %d, sum %d" % (len(ref),
              s["refused"], sum(by.values()))); bad += 1
    if any(r.get("reason") not in by for r in ref):
        print("    a refusal line without a known reason"); bad += 1
sys.exit(1 if bad else 0)
PY
then ok "JSON: every refusal counted by its reason"
else fail "JSON refusal counts"; fi
finish
