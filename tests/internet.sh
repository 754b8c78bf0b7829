# internet.sh: a simulated internet of network namespaces for hdp survey
# (issue 18), sourced after lib.sh:
#
#     . "$top_srcdir/tests/lib.sh"
#     . "$top_srcdir/tests/internet.sh"
#     internet_up [N_TARGETS]          # default 1024, at least 256
#
# Two vantage points, three routers every path crosses, six site routers
# with different policies, and the hosts behind them:
#
#   VA 10.255.1.2 -- EA --.                  .-- R1 -- H1  clear, down, pathA,
#                          \                /             pathB (+ unreach at R1)
#                           CORE (blackhole +-- R2 -- H2  drop255 (strict ICMP)
#                          /  for "hole")   +-- R3 -- H3  tcpudp
#   VB 10.255.2.2 -- EB --'                 +-- R4 -- H4  nat (public 198.18/16)
#                                           +-- R5 -- H5  cpe (public 203.0.113/24)
#                                           '-- R6 -- H6  random
#
# Links (each a /30): VA-EA 10.255.1.0 (EA .1, VA .2), VB-EB 10.255.2.0,
# EA-CORE 10.254.1.0 (EA .1, CORE .2), EB-CORE 10.254.2.0 (EB .1, CORE .2),
# CORE-Rk 10.253.k.0 (CORE .1, Rk .2), Rk-Hk 10.252.k.0 (Rk .1, Hk .2).
# Routing is symmetric, so a router's ICMP errors (time exceeded to a TTL
# walk) leave from the address of its interface towards the vantage point
# (the kernel picks the source of the route back, icmp_errors_use_inbound_
# ifaddr being 0): EA 10.255.1.1, EB 10.255.2.1, CORE 10.254.1.2 towards
# VA and 10.254.2.2 towards VB, Rk 10.253.k.2.
#
# Everything is derived from one table, INTERNET_TABLE below: the
# addresses, the routes, the nftables rules AND the expected result of
# every (target, vantage, protocol).  Columns:
#   class   name of the row (the target's class in the expectations)
#   router  the site router (r1..r6), or core
#   host    the host namespace holding the addresses (h1..h6), "-" none
#   prefix  first two octets of the /16 the hosts use (10.X)
#   public  a NAT row's public prefix ("198.18", "203.0.113"), else "-"
#   share   targets per 1024 (the rest of N goes to the row "rest"); the
#           broken rows are small because every broken (target,
#           vantage, protocol) costs a TTL walk, which the routers' ICMP
#           rate limits make take seconds
#   nat     "-"; dnat: every protocol to the public address is DNATed 1:1
#           to the host behind; fwd: only TCP, UDP and ICMP are (port
#           forwards of a home router: the public addresses are the
#           router's own, anything else is the router's to answer)
#   policy  "-"; drop:ROUTER:HOOK:PROTOS the router drops these protocols
#           towards the row; only:ROUTER:HOOK:PROTOS drops all others;
#           rand:ROUTER:HOOK:PROTOS drops 30 % of them at random;
#           down: routed to a host namespace where nothing has the
#           address (it drops them without a word: forwarding is off);
#           hole: a blackhole route at CORE (silent); unreach: an
#           unreachable route at R1 (R1 answers ICMP host unreachable,
#           which is no evidence of arrival).
#           HOOK: fwd (forward: the router itself still answers a TTL
#           walk that expires there), pre (prerouting: it drops those
#           too, so the last to answer is the router before it), in
#           (input of a router owning the address).
#
# Expected categories (INET_EXPECT, derived by internet_expect):
#   offline for down, hole, unreach (no baseline arrives);
#   for every other (target, vantage, proto), walking the path of that
#   vantage [EV, CORE, router]: a drop/only rule on a router of the path
#   that stops the protocol makes it broken, with last_responder the
#   router's address towards the vantage (HOOK fwd) or the previous
#   router's (pre, in); a rand rule makes it transient; else works.
#   So pathA and pathB are path_dependent (broken from one vantage only).
#
# ICMP rate limits: the routers keep the kernel's defaults of a fresh
# namespace (icmp_ratelimit 1000 ms, burst 6, per destination; 1000/s,
# burst 50 per namespace), R2 is stricter (2/s, burst 2 for the whole
# router).  A host namespace stands for hundreds of hosts, and the kernel's
# per-destination bucket would be shared by all of its addresses; so the
# hosts' kernel limits are off and an nft meter gives each (address,
# destination) the kernel's default instead: ICMP errors at 1/s after a
# burst of 6, as separate Linux hosts would send them.
#
# After internet_up:
#   NS_VA NS_VB            the vantage namespaces; VA_ADDR VB_ADDR
#   NS_EA NS_EB NS_CORE NS_R1..NS_R6 NS_H1..NS_H6
#   INET_DIR               a directory with:
#     targets     every target address, one a line (the survey's -T FILE)
#     classes     target <TAB> class
#     expect      target vantage proto category last_responder ("-":
#                 none expected), vantage A or B, proto 255 253 254 udp
#                 tcp icmp
#     crossv      target proto verdict: path_dependent where the two
#                 vantages disagree (works against broken), else the
#                 common category
#   INET_N                 the number of targets

INTERNET_TABLE='
clear    r1   h1  10.1   -          rest  -    -
pathA    r1   h1  10.10  -          4     -    drop:ea:fwd:255
pathB    r1   h1  10.11  -          4     -    drop:eb:fwd:253,254,255
down     r1   h1  10.9   -          32    -    down
unreach  r1   -   10.8   -          16    -    unreach
hole     core -   10.7   -          32    -    hole
drop255  r2   h2  10.2   -          4     -    drop:r2:fwd:255
tcpudp   r3   h3  10.3   -          4     -    only:r3:pre:tcp,udp,icmp
nat      r4   h4  10.4   198.18     64    dnat -
cpe      r5   h5  10.5   203.0.113  4     fwd  only:r5:in:tcp,udp,icmp
random   r6   h6  10.6   -          64    -    rand:r6:fwd:255'
INET_PROTOS="255 253 254 udp tcp icmp"
VA_ADDR=10.255.1.2
VB_ADDR=10.255.2.2

# _inet_rows: the table without blank lines
_inet_rows() { echo "$INTERNET_TABLE" | awk 'NF == 8'; }

# _inet_count SHARE: the number of targets of a row for INET_N
_inet_count() {
	c=$((INET_N * $1 / 1024))
	[ "$c" -lt 4 ] && c=4
	[ "$c" -gt 250 ] && [ "$2" = 203.0.113 ] && c=250
	echo "$c"
}

# _inet_addr PREFIX I: the I-th address (from 1) of a /16 or a /24,
# skipping .0 and .255 of every /24
_inet_addr() {
	case $1 in
	*.*.*) echo "$1.$2" ;;
	*) echo "$1.$(( ($2 - 1) / 254 )).$(( ($2 - 1) % 254 + 1 ))" ;;
	esac
}

# _inet_targets: class, target (as probed), inner (as the host has it)
# for every target, one a line; fills the counts of "rest" rows
_inet_targets() {
	fixed=0
	while read -r cl rt h pf pub sh nat pol; do
		[ "$sh" = rest ] || fixed=$((fixed + $(_inet_count "$sh" "$pub")))
	done <<EOF
$(_inet_rows)
EOF
	while read -r cl rt h pf pub sh nat pol; do
		if [ "$sh" = rest ]; then
			c=$((INET_N - fixed))
		else
			c=$(_inet_count "$sh" "$pub")
		fi
		i=1
		while [ "$i" -le "$c" ]; do
			in=$(_inet_addr "$pf" "$i")
			if [ "$pub" = - ]; then t=$in; else t=$(_inet_addr "$pub" "$i"); fi
			echo "$cl $t $in"
			i=$((i + 1))
		done
	done <<EOF
$(_inet_rows)
EOF
}

# _inet_rtaddr ROUTER VANTAGE: the address ROUTER answers VANTAGE from
_inet_rtaddr() {
	case $1 in
	ea) echo 10.255.1.1 ;;
	eb) echo 10.255.2.1 ;;
	core) [ "$2" = A ] && echo 10.254.1.2 || echo 10.254.2.2 ;;
	r*) echo "10.253.${1#r}.2" ;;
	esac
}

# internet_expect: INET_DIR/expect and INET_DIR/crossv from the table
# (also usable without building: INET_N and INET_DIR set)
internet_expect() {
	_inet_targets >"$INET_DIR/all"
	awk '{ print $2 }' "$INET_DIR/all" >"$INET_DIR/targets"
	awk '{ print $2 "\t" $1 }' "$INET_DIR/all" >"$INET_DIR/classes"
	_inet_rows | awk -v protos="$INET_PROTOS" '
	function rtaddr(r, v) {
		if (r == "ea") return "10.255.1.1"
		if (r == "eb") return "10.255.2.1"
		if (r == "core") return v == "A" ? "10.254.1.2" : "10.254.2.2"
		return "10.253." substr(r, 2) ".2"
	}
	function inlist(p, l,   a, n, i) {
		n = split(l, a, ",")
		for (i = 1; i <= n; i++) if (a[i] == p) return 1
		return 0
	}
	FNR == NR { pol[$1] = $8; rt[$1] = $2; next }
	{
		cl = $1; t = $2
		nv = split("A B", vs, " "); np = split(protos, ps, " ")
		for (vi = 1; vi <= nv; vi++) for (pi = 1; pi <= np; pi++) {
			v = vs[vi]; p = ps[pi]
			path[1] = (v == "A") ? "ea" : "eb"; path[2] = "core"
			path[3] = rt[cl]; n = (rt[cl] == "core") ? 2 : 3
			cat = "works"; lr = "-"
			if (pol[cl] ~ /^(down|hole|unreach)$/) cat = "offline"
			split(pol[cl], f, ":")
			for (h = 1; h <= n && cat == "works"; h++) {
				if (f[2] != path[h]) continue
				stop = (f[1] == "drop" && inlist(p, f[4])) ||
				       (f[1] == "only" && !inlist(p, f[4]))
				if (f[1] == "rand" && inlist(p, f[4])) cat = "transient"
				if (!stop) continue
				cat = "broken"
				if (f[3] == "fwd") lr = rtaddr(path[h], v)
				else if (h > 1) lr = rtaddr(path[h - 1], v)
			}
			print t, v, p, cat, lr
		}
	}' - "$INET_DIR/all" >"$INET_DIR/expect"
	awk '{ k = $1 " " $3; c[k, $2] = $4; if (!(k in seen)) { seen[k]; o[++n] = k } }
	END { for (i = 1; i <= n; i++) { k = o[i]; a = c[k, "A"]; b = c[k, "B"]
		if ((a == "works" && b == "broken") || (a == "broken" && b == "works"))
			print k, "path_dependent"
		else if (a == b) print k, a
		else print k, "mixed" } }' "$INET_DIR/expect" >"$INET_DIR/crossv"
}

# _inet_link NS1 IF1 NS2 IF2 NET (a /30: NS1 .1, NS2 .2)
_inet_link() {
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3" ||
		fatal "veth $2-$4"
	ip -n "$1" addr add "$5.1/30" dev "$2"
	ip -n "$3" addr add "$5.2/30" dev "$4"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

_inet_sysctl() {
	_n=$1; shift
	ip netns exec "$_n" sysctl -qw "$@" >/dev/null ||
		fatal "sysctl $* in $_n"
}

# _inet_nsvar NAME: the namespace variable's value for ea, r3, h5 ...
_inet_ns() { eval "echo \"\$NS_$(echo "$1" | tr a-z A-Z)\""; }

# _inet_hook HOOK: nft chain spec
_inet_hook() {
	case $1 in
	fwd) echo "type filter hook forward priority 0; policy accept;" ;;
	pre) echo "type filter hook prerouting priority -300; policy accept;" ;;
	in) echo "type filter hook input priority 0; policy accept;" ;;
	esac
}

# _inet_nft_rules: one nft file per router in INET_DIR/nft.ROUTER, from
# the policy and nat columns
_inet_nft_rules() {
	rm -f "$INET_DIR"/nft.*
	while read -r cl rt h pf pub sh nat pol; do
		if [ "$pub" = - ]; then dst="$pf.0.0/16"
		elif [ "$pub" = 203.0.113 ]; then dst="$pub.0/24"
		else dst="$pub.0.0/16"; fi
		case $pol in
		drop:*|only:*|rand:*)
			IFS=: read -r kind r hook protos <<EOF
$pol
EOF
			pl=$(echo "$protos" | sed 's/,/, /g')
			case $kind in
			drop) m="meta l4proto { $pl } counter drop" ;;
			only) m="meta l4proto != { $pl } counter drop" ;;
			rand) m="meta l4proto { $pl } numgen random mod 10 < 3 counter drop" ;;
			esac
			printf 'table ip inet_%s_%s {\n\tchain c {\n\t\t%s\n\t\tip daddr %s %s\n\t}\n}\n' \
				"$cl" "$hook" "$(_inet_hook "$hook")" "$dst" "$m" \
				>>"$INET_DIR/nft.$r"
			;;
		esac
		case $nat in
		dnat|fwd)
			n=$(grep -c "^$cl " "$INET_DIR/all")
			{
				printf 'table ip inet_nat_%s {\n' "$cl"
				printf '\tmap pub { type ipv4_addr : ipv4_addr; elements = {'
				grep "^$cl " "$INET_DIR/all" | awk '{ printf "%s%s : %s", (NR > 1 ? ", " : " "), $2, $3 }'
				printf ' } }\n'
				printf '\tchain pre {\n\t\ttype nat hook prerouting priority -100; policy accept;\n'
				if [ "$nat" = dnat ]; then
					printf '\t\tdnat to ip daddr map @pub\n'
				else
					printf '\t\tmeta l4proto { tcp, udp, icmp } dnat to ip daddr map @pub\n'
				fi
				printf '\t}\n}\n'
			} >>"$INET_DIR/nft.$rt"
			;;
		esac
	done <<EOF
$(_inet_rows)
EOF
}

# _inet_host_limits NS: each (address, destination) gets the kernel's
# default ICMP error budget (1/s after a burst of 6), instead of all the
# namespace's addresses sharing one (see the top of this file)
_inet_host_limits() {
	_inet_sysctl "$1" net.ipv4.icmp_ratelimit=0 \
		net.ipv4.icmp_msgs_per_sec=1000000 net.ipv4.icmp_msgs_burst=100000
	ip netns exec "$1" nft -f - <<'EOF' || fatal "nft host limits in $1"
table ip inet_hostlim {
	set b { type ipv4_addr . ipv4_addr; size 262144; flags dynamic,timeout; timeout 30s; }
	chain out {
		type filter hook output priority 0; policy accept;
		icmp type { destination-unreachable, time-exceeded, parameter-problem } icmp code != frag-needed update @b { ip saddr . ip daddr limit rate over 1/second burst 6 packets } counter drop
	}
}
EOF
}

internet_up() {
	INET_N=${1:-1024}
	[ "$INET_N" -ge 256 ] || fatal "internet_up: at least 256 targets"
	need_root
	need_cmd ip nft sysctl bash
	INET_DIR=$TMPD/internet
	mkdir -p "$INET_DIR"
	internet_expect
	for n in va vb ea eb core r1 r2 r3 r4 r5 r6 h1 h2 h3 h4 h5 h6; do
		eval "NS_$(echo $n | tr a-z A-Z)=\$(netns_add i$n)"
	done
	_inet_link "$NS_EA" ea0 "$NS_VA" va0 10.255.1
	_inet_link "$NS_EB" eb0 "$NS_VB" vb0 10.255.2
	_inet_link "$NS_EA" ea1 "$NS_CORE" c1 10.254.1
	_inet_link "$NS_EB" eb1 "$NS_CORE" c2 10.254.2
	for k in 1 2 3 4 5 6; do
		r=$(_inet_ns r$k); h=$(_inet_ns h$k)
		_inet_link "$NS_CORE" "cr$k" "$r" up0 "10.253.$k"
		_inet_link "$r" dn0 "$h" up0 "10.252.$k"
		ip -n "$h" route add default via "10.252.$k.1"
		ip -n "$r" route add default via "10.253.$k.1"
		_inet_host_limits "$h"
	done
	ip -n "$NS_VA" route add default via 10.255.1.1
	ip -n "$NS_VB" route add default via 10.255.2.1
	ip -n "$NS_EA" route add default via 10.254.1.2
	ip -n "$NS_EB" route add default via 10.254.2.2
	ip -n "$NS_CORE" route add 10.255.1.0/24 via 10.254.1.1
	ip -n "$NS_CORE" route add 10.255.2.0/24 via 10.254.2.1
	for n in "$NS_EA" "$NS_EB" "$NS_CORE" "$NS_R1" "$NS_R2" "$NS_R3" \
		"$NS_R4" "$NS_R5" "$NS_R6"; do
		_inet_sysctl "$n" net.ipv4.ip_forward=1
	done
	# R2: about one ICMP error a second for the whole router
	_inet_sysctl "$NS_R2" net.ipv4.icmp_msgs_per_sec=2 net.ipv4.icmp_msgs_burst=2

	# routes and addresses, row by row
	while read -r cl rt h pf pub sh nat pol; do
		k=${rt#r}
		if [ "$pub" = - ]; then dst="$pf.0.0/16"
		elif [ "$pub" = 203.0.113 ]; then dst="$pub.0/24"
		else dst="$pub.0.0/16"; fi
		case $pol in
		hole) ip -n "$NS_CORE" route add blackhole "$dst"; continue ;;
		unreach)
			ip -n "$NS_CORE" route add "$dst" via "10.253.$k.2"
			ip -n "$(_inet_ns "$rt")" route add unreachable "$dst"
			continue ;;
		esac
		ip -n "$NS_CORE" route add "$dst" via "10.253.$k.2" 2>/dev/null
		ip -n "$(_inet_ns "$rt")" route add "$pf.0.0/16" via "10.252.$k.2" 2>/dev/null
		[ "$pol" = down ] && continue
		hn=$(_inet_ns "$h")
		grep "^$cl " "$INET_DIR/all" |
			awk '{ print "addr add " $3 "/32 dev lo" }' >"$INET_DIR/batch.$cl"
		ip -n "$hn" -batch "$INET_DIR/batch.$cl" || fatal "addresses of $cl"
		case $nat in
		fwd)
			# the public addresses are the router's own
			rn=$(_inet_ns "$rt")
			grep "^$cl " "$INET_DIR/all" |
				awk '{ print "addr add " $2 "/32 dev lo" }' >"$INET_DIR/batch.pub"
			ip -n "$rn" -batch "$INET_DIR/batch.pub" || fatal "public addresses of $cl"
			;;
		dnat)
			# nobody has the public addresses left over
			ip -n "$(_inet_ns "$rt")" route add blackhole "$dst"
			;;
		esac
	done <<EOF
$(_inet_rows)
EOF
	_inet_nft_rules
	for f in "$INET_DIR"/nft.*; do
		[ -e "$f" ] || continue
		ip netns exec "$(_inet_ns "${f##*.}")" nft -f "$f" ||
			fatal "nft rules of ${f##*.}"
	done
	_inet_warm
}

# _inet_warm: fill the neighbour caches along every path (an ICMP echo
# from both vantages to the first target of each row) so that the first
# probes of a test do not wait for address resolution.  Echo replies are
# not rate-limited, so no host's or router's ICMP error budget is spent.
# (Anything else sent before a measurement may be: wait 6 s after it.)
_inet_warm() {
	i=0
	while [ "$i" -lt 3 ]; do
		_pids=""
		for cl in $(awk '{ print $1 }' "$INET_DIR/all" | uniq); do
			t=$(grep -m 1 "^$cl " "$INET_DIR/all" | awk '{ print $2 }')
			for v in "$NS_VA" "$NS_VB"; do
				ip netns exec "$v" ping -n -q -c 1 -W 1 "$t" \
					>/dev/null 2>&1 &
				_pids="$_pids $!"
			done
		done
		for p in $_pids; do wait "$p"; done
		ip -n "$NS_H1" neigh show 10.252.1.1 | grep -q lladdr &&
		ip -n "$NS_EA" neigh show "$VA_ADDR" | grep -q lladdr &&
		ip -n "$NS_EB" neigh show "$VB_ADDR" | grep -q lladdr && return 0
		i=$((i + 1))
	done
	fatal "internet: the paths do not carry packets"
}
