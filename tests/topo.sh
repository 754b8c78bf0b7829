# topo.sh: a four-namespace path for tests, sourced after lib.sh:
#
#     . "$top_srcdir/tests/lib.sh"
#     . "$top_srcdir/tests/topo.sh"
#     topo_up              # ICMP rate limits off on R1, R2, receiver
#     topo_up default      # the kernel's default ICMP rate limits
#     topo_up strict       # defaults, and R2 far stricter (see below)
#
#   sender           R1                    R2                receiver
#   [s0]---------[r1a   r1b]-----------[r2a   r2b]-------------[d0]
#   10.0.1.2  10.0.1.1  10.0.2.1   10.0.2.2  10.0.3.1     10.0.3.2
#   fd00:1::2 fd00:1::1 fd00:2::1  fd00:2::2 fd00:3::1    fd00:3::2
#
# Namespaces are made with lib.sh's netns_add, so their names carry this
# run's PID and lib.sh's EXIT trap deletes them (and with them the veth
# pairs).  R1 and R2 forward IPv4 and IPv6.  ICMP rate limits:
#   off (the default): the routers and the receiver send ICMP errors
#     without rate limits, so every probe gets its answer;
#   default: what a fresh namespace has (Linux: net.ipv4.icmp_ratelimit
#     1000 ms with a burst of 6 per destination host, icmp_msgs_per_sec
#     1000 and icmp_msgs_burst 50 per namespace, net.ipv6.icmp.ratelimit),
#     which is how real routers ship;
#   strict: the defaults, and on R2 icmp_ratelimit 1000 ms with
#     icmp_msgs_per_sec 2 and icmp_msgs_burst 2 (about one error a second
#     for the whole router) and net.ipv6.icmp.ratelimit 1000 ms.
# TOPO_LIMITS holds the mode topo_up was given.
# Addresses are added without duplicate address detection, so IPv6 works
# at once.
#
# After topo_up:
#   NS_S NS_R1 NS_R2 NS_D        the namespaces
#   S4 R1A4 R1B4 R2A4 R2B4 D4    IPv4 addresses (no prefix length)
#   S6 R1A6 R1B6 R2A6 R2B6 D6    IPv6 addresses
# and in_ns NS CMD... runs CMD in NS.
#
# topo_at_exit CMD...: run CMD (a shell command string) on exit, before
# lib.sh's cleanup; for things the namespaces do not take with them
# (tracefs instances).

S4=10.0.1.2;  R1A4=10.0.1.1; R1B4=10.0.2.1
R2A4=10.0.2.2; R2B4=10.0.3.1; D4=10.0.3.2
S6=fd00:1::2;  R1A6=fd00:1::1; R1B6=fd00:2::1
R2A6=fd00:2::2; R2B6=fd00:3::1; D6=fd00:3::2

_TOPO_EXIT=""

_topo_exit() {
	eval "$_TOPO_EXIT"
	cleanup
}
trap _topo_exit EXIT

topo_at_exit() {
	_TOPO_EXIT="$_TOPO_EXIT
$*"
}

in_ns() {
	_ns=$1; shift
	ip netns exec "$_ns" "$@"
}

# _topo_link NS1 IF1 V4A V6A NS2 IF2 V4B V6B: a veth pair, both ends up.
_topo_link() {
	ip -n "$1" link add "$2" type veth peer name "$6" netns "$5" ||
		fatal "veth $2-$6"
	ip -n "$1" addr add "$3/24" dev "$2"
	ip -n "$1" addr add "$4/64" dev "$2" nodad
	ip -n "$5" addr add "$7/24" dev "$6"
	ip -n "$5" addr add "$8/64" dev "$6" nodad
	ip -n "$1" link set "$2" up
	ip -n "$5" link set "$6" up
}

# _topo_sysctl NS KEY=VALUE...
_topo_sysctl() {
	_ns=$1; shift
	for kv in "$@"; do
		ip netns exec "$_ns" sysctl -qw "$kv" >/dev/null ||
			fatal "sysctl $kv in $_ns"
	done
}

topo_up() {
	TOPO_LIMITS=${1:-off}
	case $TOPO_LIMITS in
	off|default|strict) ;;
	*) fatal "topo_up: '$TOPO_LIMITS' is not off, default or strict" ;;
	esac
	need_root
	need_cmd ip sysctl bash
	NS_S=$(netns_add snd)
	NS_R1=$(netns_add r1)
	NS_R2=$(netns_add r2)
	NS_D=$(netns_add rcv)

	for n in $NS_S $NS_R1 $NS_R2 $NS_D; do
		_topo_sysctl "$n" net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0
	done
	_topo_link "$NS_S" s0 "$S4" "$S6" "$NS_R1" r1a "$R1A4" "$R1A6"
	_topo_link "$NS_R1" r1b "$R1B4" "$R1B6" "$NS_R2" r2a "$R2A4" "$R2A6"
	_topo_link "$NS_R2" r2b "$R2B4" "$R2B6" "$NS_D" d0 "$D4" "$D6"

	for n in $NS_R1 $NS_R2; do
		_topo_sysctl "$n" net.ipv4.ip_forward=1 \
			net.ipv6.conf.all.forwarding=1
	done
	[ "$TOPO_LIMITS" = off ] && topo_limits_off "$NS_R1" "$NS_R2" "$NS_D"
	[ "$TOPO_LIMITS" = strict ] && topo_limits_strict "$NS_R2"

	ip -n "$NS_S" route add default via "$R1A4"
	ip -n "$NS_S" -6 route add default via "$R1A6"
	ip -n "$NS_R1" route add 10.0.3.0/24 via "$R2A4"
	ip -n "$NS_R1" -6 route add fd00:3::/64 via "$R2A6"
	ip -n "$NS_R2" route add 10.0.1.0/24 via "$R1B4"
	ip -n "$NS_R2" -6 route add fd00:1::/64 via "$R1B6"
	ip -n "$NS_D" route add default via "$R2B4"
	ip -n "$NS_D" -6 route add default via "$R2B6"

	# Warm every neighbour cache on the path both ways (one UDP datagram
	# to a closed port, answered by port unreachable), so the first
	# packets of a test do not wait for, or overflow, address
	# resolution; then wait until the answers made it back.
	i=0
	while [ "$i" -lt 30 ]; do
		for a in "$D4" "$D6"; do
			ip netns exec "$NS_S" bash -c \
				"echo warm >/dev/udp/$a/9" 2>/dev/null
		done
		if ip -n "$NS_D" neigh show "$R2B4" | grep -q lladdr &&
		   ip -n "$NS_D" -6 neigh show "$R2B6" | grep -q lladdr &&
		   ip -n "$NS_R1" neigh show "$S4" | grep -q lladdr &&
		   ip -n "$NS_R1" -6 neigh show "$S6" | grep -q lladdr; then
			break
		fi
		sleep 0.1; i=$((i + 1))
	done
	[ "$i" -lt 30 ] || fatal "topology: the path does not carry packets"

}

# topo_limits_off NS...: no ICMP rate limits in these namespaces.
topo_limits_off() {
	for n in "$@"; do
		_topo_sysctl "$n" net.ipv4.icmp_ratelimit=0 \
			net.ipv6.icmp.ratelimit=0
		# the host-wide ICMP budget (50 in a burst) is per namespace
		# on kernels that have it there; raise it where possible
		ip netns exec "$n" sysctl -qw net.ipv4.icmp_msgs_burst=10000 \
			net.ipv4.icmp_msgs_per_sec=100000 >/dev/null 2>&1
	done
}

# topo_limits_strict NS...: about one ICMP error a second from these
# namespaces, to anyone (the per-namespace budget, where the kernel has
# it per namespace) and to each host (icmp_ratelimit).
topo_limits_strict() {
	for n in "$@"; do
		_topo_sysctl "$n" net.ipv4.icmp_ratelimit=1000 \
			net.ipv6.icmp.ratelimit=1000
		ip netns exec "$n" sysctl -qw net.ipv4.icmp_msgs_per_sec=2 \
			net.ipv4.icmp_msgs_burst=2 >/dev/null 2>&1
	done
}

# topo_capture NS IFACE FILE: capture every IP packet seen on IFACE in NS
# into FILE, in the background, with `hdp sniff -w` (tcpdump -w where hdp
# sniff is not built); a small snaplen and a large buffer, so that an
# immediate-mode ring has many blocks and a loaded machine loses nothing.  topo_capture_ready then waits until every capture
# started holds packets; topo_capture_stop stops them all (lib.sh's
# cleanup kills them otherwise).
_TOPO_CAPS=""
_TOPO_CAPFILES=""
_topo_packet_socks() {
	ip netns exec "$1" cat /proc/net/packet 2>/dev/null | wc -l
}
topo_capture() {
	_before=$(_topo_packet_socks "$1")
	if "$HDP" help sniff 2>/dev/null | grep -q "not built yet"; then
		need_cmd tcpdump
		bg ip netns exec "$1" tcpdump -Z root -U --immediate-mode -n \
			-s 2048 -B 8192 -i "$2" -w "$3" 'ip or ip6' 2>"$3.log"
	else
		bg ip netns exec "$1" "$HDP" sniff --immediate -U -s 2048 \
			-B 8192 -i "$2" --filter 'ip or ip6' -w "$3" 2>"$3.log"
	fi
	_TOPO_CAPS="$_TOPO_CAPS $BG_PID"
	_TOPO_CAPFILES="$_TOPO_CAPFILES $3"
	i=0
	while [ "$(_topo_packet_socks "$1")" -le "$_before" ] &&
	      [ "$i" -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
}

# topo_capture_ready: a capture socket exists before its filter is set
# and packets before that are dropped; so send UDP datagrams along the
# whole path (sender to receiver, a closed port: never HDP) until every
# capture file holds one.
topo_capture_ready() {
	i=0
	while [ "$i" -lt 50 ]; do
		_all=1
		for f in $_TOPO_CAPFILES; do
			[ "$(wc -c <"$f" 2>/dev/null || echo 0)" -gt 24 ] ||
				_all=0
		done
		[ "$_all" -eq 1 ] && return 0
		ip netns exec "$NS_S" bash -c "echo ready >/dev/udp/$D4/9" \
			2>/dev/null
		sleep 0.1; i=$((i + 1))
	done
	fatal "captures did not start: $_TOPO_CAPFILES"
}

# topo_capture_stop: stop every capture topo_capture started and wait
# until their files are complete.
topo_capture_stop() {
	sleep 0.3
	for p in $_TOPO_CAPS; do kill -INT "$p" 2>/dev/null; done
	for p in $_TOPO_CAPS; do wait "$p" 2>/dev/null; done
	_TOPO_CAPS=""
	_TOPO_CAPFILES=""
}
