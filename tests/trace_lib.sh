# trace_lib.sh: what the trace and where tests share; sources lib.sh and
# topo.sh:
#     . "$top_srcdir/tests/trace_lib.sh"
#     path_up [off|default|strict]   # root, nft, tcpdump, the four
#                                    # namespaces (topo_up's ICMP limits)

. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/topo.sh"
need_cmd python3

path_up() {
	need_root
	need_cmd nft tcpdump
	topo_up "$@"
}

# send_hdp NS SRC DST COUNT: COUNT HDP datagrams, each with its own
# timestamp, from namespace NS (a raw socket: the source may be any
# address of the namespace).
send_hdp() {
	ip netns exec "$1" python3 "$top_srcdir/tests/trace_send.py" \
		"$2" "$3" "$4" || fatal "sending HDP from $1"
}

# jq_py FILE EXPR: print the Python expression EXPR evaluated over the
# JSON lines of FILE, given as the list o; sel(type=..., proto=...) picks
# the objects whose fields have those values.
jq_py() {
	python3 - "$1" "$2" <<'PY'
import json, sys
o = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def sel(**kw):
    return [x for x in o if all(x.get(k) == v for k, v in kw.items())]
def one(**kw):
    r = sel(**kw)
    return r[0] if len(r) == 1 else {"error": "%d objects for %r" % (len(r), kw)}
print(eval(sys.argv[2]))
PY
}

# count_proto FILE: HDP datagrams in a capture, counted by tcpdump (the
# independent judge of what each capture point saw).
count_hdp() {
	tcpdump -n -r "$1" '(ip and ip[9] == 255) or (ip6 and ip6[6] == 255)' \
		2>/dev/null | wc -l
}

# where_segments OUT: "from>to:entered/left" for every segment, one line.
where_segments() {
	jq_py "$1" '" ".join("%d>%d:%d/%d" % (s["from"], s["to"], s["entered"], s["left"]) for s in sel(type="segment"))'
}

# capture_path ROUTER_NS IN_IF OUT_IF RECV_IF NAME: start captures at the
# sender (s0), on both sides of the router (IN_IF, OUT_IF in ROUTER_NS)
# and at the receiver (RECV_IF), into $TMPD/sender.pcap,
# $TMPD/NAME-in.pcap, $TMPD/NAME-out.pcap and $TMPD/receiver.pcap.
capture_path() {
	_CP_NAME=$5
	topo_capture "$NS_S" s0 "$TMPD/sender.pcap"
	topo_capture "$1" "$2" "$TMPD/$5-in.pcap"
	topo_capture "$1" "$3" "$TMPD/$5-out.pcap"
	topo_capture "$NS_D" "$4" "$TMPD/receiver.pcap"
	topo_capture_ready
}

# where_path [OPTIONS]: hdp where over the captures of capture_path, in
# path order.
where_path() {
	"$HDP" where "$@" "$TMPD/sender.pcap" "$TMPD/$_CP_NAME-in.pcap" \
		"$TMPD/$_CP_NAME-out.pcap" "$TMPD/receiver.pcap"
}

# trace_runs LABEL N WANT_RC PATTERN DEST [TRACE OPTIONS...]: hdp trace
# N times back to back from the sender; every run must exit WANT_RC and
# print a line matching PATTERN (grep -E), within 12 s (far under the sum
# of the timeouts: 30 TTLs x 4 protocols x 2 rounds x the wait).  Each
# run's time and verdict line are printed; TRACE_MS holds the times.
# drop_hdp_at NS: NS forwards everything but protocol 255, which an nft
# rule drops in silence (the namespace takes the table with it)
drop_hdp_at() {
	ip netns exec "$1" nft -f - <<NFT || fatal "nft in $1"
table inet hdptest {
	chain forward {
		type filter hook forward priority 0;
		meta l4proto 255 counter drop
	}
}
NFT
}

trace_runs() {
	_l=$1; _n=$2; _rc=$3; _pat=$4; _dst=$5; shift 5
	TRACE_MS=""
	_i=1
	while [ "$_i" -le "$_n" ]; do
		_t0=$(date +%s%N)
		in_ns "$NS_S" "$HDP" trace "$@" "$_dst" >"$TMPD/run.txt" \
			2>"$TMPD/run.err"
		_got=$?
		_ms=$(( ($(date +%s%N) - _t0) / 1000000 ))
		TRACE_MS="$TRACE_MS $_ms"
		echo "$_l, run $_i: $_ms ms: $(tail -n 1 "$TMPD/run.txt")"
		expect_eq "$_l, run $_i: exit status" "$_got" "$_rc"
		if ! grep -Eq "$_pat" "$TMPD/run.txt"; then
			cat "$TMPD/run.txt" "$TMPD/run.err"
			fail "$_l, run $_i: no line matches '$_pat'"
		fi
		[ "$_ms" -lt 12000 ] || fail "$_l, run $_i took $_ms ms"
		_i=$((_i + 1))
	done
}
