#!/bin/sh
# make-live.sh: make the captured part of the pcaps/ corpus: real packets
# through real kernels, inside network namespaces made for the purpose,
# captured with `hdp sniff -w`; the traffic is made by `hdp send` (libnet,
# raw sockets: each packet goes through the kernel's IP output as the
# original client's did), except one IPv6 packet behind a destination
# options header, which scapy builds.  Needs root, iproute2, editcap
# (wireshark-common) and Debian's python3-scapy.
#
#     sh pcaps/make-live.sh [DIR]       (default: pcaps; overwrites)
#
# The files differ from run to run only in times, IP ids and checksums;
# pcaps/README.md lists them.  Everything made here is removed on exit.
set -eu
DIR=${1:-pcaps}
HDP=${HDP:-./src/hdp}
PY=${PYTHON:-/usr/bin/python3}
TAG="mk$$"
A="$TAG-a"
B="$TAG-b"
PIDS=""

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	ip netns del "$A" 2>/dev/null || true
	ip netns del "$B" 2>/dev/null || true
}
trap cleanup EXIT

[ "$(id -u)" -eq 0 ] || { echo "make-live.sh: needs root" >&2; exit 77; }
"$PY" -c 'import scapy' 2>/dev/null ||
	{ echo "make-live.sh: needs python3-scapy" >&2; exit 77; }

ip netns add "$A"
ip netns add "$B"
ip -n "$A" link set lo up
ip -n "$B" link set lo up
ip link add "$TAG-va" netns "$A" type veth peer name "$TAG-vb" netns "$B"
ip -n "$A" addr add 10.77.0.1/24 dev "$TAG-va"
ip -n "$B" addr add 10.77.0.2/24 dev "$TAG-vb"
ip -n "$A" addr add 2001:db8:77::1/64 dev "$TAG-va" nodad
ip -n "$B" addr add 2001:db8:77::2/64 dev "$TAG-vb" nodad
ip -n "$A" link set "$TAG-va" up
ip -n "$B" link set "$TAG-vb" up

# resolve the neighbours first, so no packet waits for ARP or ND
ip netns exec "$A" ping -c 1 -W 3 10.77.0.2 >/dev/null 2>&1 || true
ip netns exec "$A" ping -6 -c 1 -W 3 2001:db8:77::2 >/dev/null 2>&1 || true

# send NS ARGS...: hdp send in NS (standard input closed: no payload
# unless --data/--size say so)
send() {
	ns=$1; shift
	ip netns exec "$ns" "$HDP" send -q "$@" </dev/null >/dev/null
}

# scapy NS PYTHON-STATEMENTS: for what hdp send does not build (an IPv6
# destination options header); hdp(sport, dport, payload) gives the HDP
# header (timestamp: now) + payload.
scapy() {
	ip netns exec "$1" "$PY" - <<EOF
import struct, time
from scapy.all import conf, send, IPv6, Raw, IPv6ExtHdrDestOpt
def hdp(sport, dport, payload=b""):
    return struct.pack("!HHQ", sport, dport, time.time_ns()) + payload
$2
EOF
}

# capture NS FILE COUNT SNIFF-ARGS...: hdp sniff -w in the background,
# back when it is listening
capture() {
	ns=$1; out=$2; n=$3; shift 3
	ip netns exec "$ns" timeout 20 "$HDP" sniff -w "$DIR/$out" --force \
		-c "$n" "$@" 2>"$DIR/.$out.err" &
	PIDS="$PIDS $!"
	CAP=$!
	i=0
	while ! grep -q "listening on" "$DIR/.$out.err" && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
}

finish_capture() {
	wait "$CAP" || { echo "make-live.sh: capture for $1 failed:" \
		"$(cat "$DIR/.$1.err")" >&2; exit 1; }
	rm -f "$DIR/.$1.err"
}

# 1. IPv4 on the namespace's loopback
capture "$A" lo4.pcap 5 -i lo
send "$A" --data "hello, hdp" 127.0.0.1
send "$A" --data "aGVsbG8sIGhkcA==" 127.0.0.1
send "$A" --size 32 127.0.0.1
send "$A" 127.0.0.1
send "$A" --data "The quick brown fox jumps over the lazy dog. " --size 900 127.0.0.1
finish_capture lo4.pcap

# 2. -i any (LINUX_SLL2): loopback In, veth Out, veth In
capture "$A" any_sll2.pcap 3 -i any
send "$A" --data "to lo" 127.0.0.1
send "$A" --dport 421 --data "a to b" 10.77.0.2
send "$B" --sport 421 --data "b to a" 10.77.0.1
finish_capture any_sll2.pcap

# 3. Ethernet between two namespaces, captured at the receiver
capture "$B" eth_veth.pcap 3 -i "$TAG-vb"
for i in 0 1 2; do
	send "$A" --tos $((16 * i)) --ttl $((64 - i)) --data "over veth $i" 10.77.0.2
done
finish_capture eth_veth.pcap

# 4. IPv6 across the veth pair; the last behind a destination options
#    header, which the default filter would miss (hence --filter ip6)
capture "$B" ip6.pcap 3 -i "$TAG-vb" --filter 'ip6 and dst host 2001:db8:77::2'
send "$A" -6 --flow-label 0x12345 --data "hello over IPv6" 2001:db8:77::2
send "$A" -6 --traffic-class 0xb8 --dport 421 --data "with traffic class" 2001:db8:77::2
scapy "$A" '
send(IPv6(dst="2001:db8:77::2") / IPv6ExtHdrDestOpt(nh=255) / Raw(hdp(420, 420, b"behind dest opts")), verbose=0)
'
finish_capture ip6.pcap

# 5. The protocol sweep: numbers 0-255, each with an HDP header, on lo
capture "$A" sweep.pcap 256 -i lo --filter 'ip and src host 127.0.0.1 and dst host 127.0.0.2'
send "$A" -P all --src 127.0.0.1 --data "sweep" 127.0.0.2
finish_capture sweep.pcap

# 6. The UDP comparison: HDP and UDP (HDP header inside) in turns
capture "$B" udp_cmp.pcap 6 -i "$TAG-vb" --filter 'ip proto 255 or udp port 420'
for i in 0 1 2; do
	send "$A" --data "hdp $i" 10.77.0.2
	send "$A" --l4 udp --data "udp $i" 10.77.0.2
done
finish_capture udp_cmp.pcap

# 7. Frames hdp send builds and writes without sending (no privileges):
#    an HDP datagram larger than the MTU in IPv4 and IPv6 fragments
"$HDP" send --pcap-out "$DIR/send_frags.pcap" --force --src 10.0.0.1 \
	--frag --mtu 1500 --size 3000 10.0.0.2 </dev/null >/dev/null
"$HDP" send --pcap-out "$DIR/send_frags6.pcap" --force -6 \
	--src 2001:db8::1 --frag --mtu 1500 --size 3000 2001:db8::2 \
	</dev/null >/dev/null

# 8. The same loopback capture as pcapng (nanosecond interface)
if command -v editcap >/dev/null 2>&1; then
	editcap -F pcapng "$DIR/lo4.pcap" "$DIR/lo4.pcapng"
fi
echo "make-live.sh: wrote lo4.pcap any_sll2.pcap eth_veth.pcap ip6.pcap" \
	"sweep.pcap udp_cmp.pcap send_frags.pcap send_frags6.pcap lo4.pcapng" \
	"in $DIR"
