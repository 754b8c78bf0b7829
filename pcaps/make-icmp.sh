#!/bin/sh
# make-icmp.sh: make pcaps/icmp_errors.pcap and icmp_errors_cut.pcap, ICMP
# and ICMPv6 errors that real kernels send about HDP packets, captured on
# the sender's link of tests/topo.sh's sender - R1 - R2 - receiver path by
# `hdp sniff --icmp -w` (its kernel filter chose what to keep: errors that
# quote UDP or ICMP, sent at the same time, are left out).
# Needs root, iproute2 and ping(8); run from the top of the built tree:
#
#     sh pcaps/make-icmp.sh [DIR]       (default: pcaps; overwrites)
#
# Traffic, in order (hdp send; a rerun differs in times, IP ids and
# checksums, so tests/sniff_regen.sh must follow):
#   1-2  HDP to the receiver, which has no listener: protocol unreachable;
#        IPv6: parameter problem, unknown next header at octet 6
#   3-4  TTL 1 / hop limit 1: time exceeded from R1
#   5-6  R2 refuses protocol 255 (ip rule ... prohibit): admin prohibited
#        filter (code 13); IPv6 administratively prohibited
#   7-8  R2 refuses it with an unreachable rule: net unreachable; IPv6
#        no route
#   and, left out by the filter: a UDP datagram to a closed port, an ICMP
#   echo with TTL 1.
set -u
DIR=${1:-pcaps}
top_srcdir=. top_builddir=.
. tests/lib.sh
. tests/topo.sh
topo_up

snd() { in_ns "$NS_S" "$HDP" send -q "$@" </dev/null >/dev/null; }

bg ip netns exec "$NS_S" "$HDP" sniff --icmp --immediate -U -i s0 \
	-w "$DIR/icmp_errors.pcap" --force 2>"$TMPD/full.err"
bg ip netns exec "$NS_S" "$HDP" sniff --icmp --immediate -U -s 70 -i s0 \
	-w "$DIR/icmp_errors_cut.pcap" --force 2>"$TMPD/cut.err"
i=0
while [ "$(grep -c listening "$TMPD/full.err" "$TMPD/cut.err" |
	   grep -c ':1$')" -lt 2 ] && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
sleep 0.5

snd --data "no listener" "$D4"
snd --data "no listener" "$D6"
snd --ttl 1 --data "ttl 1" "$D4"
snd --hop-limit 1 --data "hop limit 1" "$D6"
in_ns "$NS_R2" ip rule add iif r2a ipproto 255 prohibit
in_ns "$NS_R2" ip -6 rule add iif r2a ipproto 255 prohibit
snd --dport 421 --data "prohibit" "$D4"
snd --dport 421 --data "prohibit" "$D6"
in_ns "$NS_R2" ip rule del iif r2a ipproto 255 prohibit
in_ns "$NS_R2" ip -6 rule del iif r2a ipproto 255 prohibit
in_ns "$NS_R2" ip rule add iif r2a ipproto 255 unreachable
in_ns "$NS_R2" ip -6 rule add iif r2a ipproto 255 unreachable
snd --dport 422 --data "unreachable" "$D4"
snd --dport 422 --data "unreachable" "$D6"
# not HDP: the filter leaves these errors out
in_ns "$NS_S" bash -c "echo closed >/dev/udp/$D4/9"
in_ns "$NS_S" ping -n -c 1 -W 1 -t 1 "$D4" >/dev/null 2>&1
sleep 0.5
for p in $_PIDS; do kill -TERM "$p"; done
for p in $_PIDS; do wait "$p"; done
_PIDS=""
cat "$TMPD/full.err" "$TMPD/cut.err"
