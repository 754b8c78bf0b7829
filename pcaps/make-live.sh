#!/bin/sh
# make-live.sh: make the captured part of the pcaps/ corpus: real packets
# through real kernels, inside network namespaces made for the purpose,
# captured with `hdp sniff -w`.  Needs root, iproute2, and Debian's
# python3-scapy (the sender; its raw-socket path, so each packet goes
# through the kernel's IP output as an HDP client's would).
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

# sender NS PYTHON-STATEMENTS: run scapy statements in NS, with hdp(sport,
# dport, payload) giving the 12-byte HDP header (timestamp: now) + payload.
sender() {
	ip netns exec "$1" "$PY" - <<EOF
import struct, time
from scapy.all import conf, send, IP, IPv6, UDP, Raw, IPv6ExtHdrDestOpt, L3RawSocket
conf.L3socket6 = conf.L3socket
conf.L3socket = L3RawSocket
def hdp(sport, dport, payload=b""):
    return struct.pack("!HHQ", sport, dport, time.time_ns()) + payload
$2
EOF
}

# capture NS FILE COUNT SNIFF-ARGS...: start hdp sniff -w in the background
capture() {
	ns=$1; out=$2; n=$3; shift 3
	ip netns exec "$ns" timeout 20 "$HDP" sniff -w "$DIR/$out" --force \
		-c "$n" "$@" 2>/dev/null &
	PIDS="$PIDS $!"
	CAP=$!
	sleep 1
}

finish_capture() {
	wait "$CAP" || { echo "make-live.sh: capture for $1 failed" >&2; exit 1; }
}

# 1. IPv4 on the namespace's loopback
capture "$A" lo4.pcap 5 -i lo
sender "$A" '
for pl in (b"hello, hdp", b"aGVsbG8sIGhkcA==", bytes(range(32)), b"",
           b"The quick brown fox jumps over the lazy dog. " * 20):
    send(IP(dst="127.0.0.1", proto=255) / Raw(hdp(420, 420, pl)), verbose=0)
'
finish_capture lo4.pcap

# 2. -i any (LINUX_SLL2): loopback In, veth Out, veth In
capture "$A" any_sll2.pcap 3 -i any
sender "$A" '
send(IP(dst="127.0.0.1", proto=255) / Raw(hdp(420, 420, b"to lo")), verbose=0)
send(IP(dst="10.77.0.2", proto=255) / Raw(hdp(420, 421, b"a to b")), verbose=0)
'
sender "$B" '
send(IP(dst="10.77.0.1", proto=255) / Raw(hdp(421, 420, b"b to a")), verbose=0)
'
finish_capture any_sll2.pcap

# 3. Ethernet between two namespaces, captured at the receiver
capture "$B" eth_veth.pcap 3 -i "$TAG-vb"
sender "$A" '
for i in range(3):
    send(IP(dst="10.77.0.2", proto=255, tos=0x10 * i, ttl=64 - i) /
         Raw(hdp(420, 420, b"over veth %d" % i)), verbose=0)
'
finish_capture eth_veth.pcap

# 4. IPv6 across the veth pair; the last behind a destination options
#    header, which the default filter would miss (hence --filter ip6)
capture "$B" ip6.pcap 3 -i "$TAG-vb" --filter 'ip6 and not icmp6'
sender "$A" '
conf.L3socket = conf.L3socket6   # scapy sends IPv6 by its packet socket
send(IPv6(dst="2001:db8:77::2", nh=255, fl=0x12345) / Raw(hdp(420, 420, b"hello over IPv6")), verbose=0)
send(IPv6(dst="2001:db8:77::2", nh=255, tc=0xb8) / Raw(hdp(420, 421, b"with traffic class")), verbose=0)
send(IPv6(dst="2001:db8:77::2") / IPv6ExtHdrDestOpt(nh=255) / Raw(hdp(420, 420, b"behind dest opts")), verbose=0)
'
finish_capture ip6.pcap

# 5. The protocol sweep: numbers 0-255, each with an HDP header, on lo
capture "$A" sweep.pcap 256 -i lo --filter 'ip and src host 127.0.0.1 and dst host 127.0.0.2'
sender "$A" '
for p in range(256):
    send(IP(dst="127.0.0.2", src="127.0.0.1", proto=p) / Raw(hdp(420, 420, b"proto %d" % p)), verbose=0)
'
finish_capture sweep.pcap

# 6. The UDP comparison: HDP and UDP (HDP header inside) in turns
capture "$B" udp_cmp.pcap 6 -i "$TAG-vb" --filter 'ip proto 255 or udp port 420'
sender "$A" '
for i in range(3):
    send(IP(dst="10.77.0.2", proto=255) / Raw(hdp(420, 420, b"hdp %d" % i)), verbose=0)
    send(IP(dst="10.77.0.2") / UDP(sport=420, dport=420) / Raw(hdp(420, 420, b"udp %d" % i)), verbose=0)
'
finish_capture udp_cmp.pcap

# 7. The same loopback capture as pcapng (nanosecond interface)
if command -v editcap >/dev/null 2>&1; then
	editcap -F pcapng "$DIR/lo4.pcap" "$DIR/lo4.pcapng"
fi
echo "make-live.sh: wrote lo4.pcap any_sll2.pcap eth_veth.pcap ip6.pcap sweep.pcap udp_cmp.pcap lo4.pcapng in $DIR"
