#!/bin/sh
# demo.sh: the main job of hdp on an embedded default (`make demo`): send
# one HDP message to 127.0.0.1 and show it captured and decoded.
#
# It runs in the host's network namespace (as root, from the README's first
# command), so the capture on lo is kept to our own packet: a source port
# derived from our PID, a count of 1 and a time limit.  Without root it
# builds the same frame into a pcap file (no privileges needed) and decodes
# that instead.  While `hdp send` or `hdp sniff` is not built it shows what
# exists.
set -u
HDP=${HDP:-./src/hdp}
MSG=${HDP_DEMO_MSG:-hello from hdp make demo}
WAIT=${HDP_DEMO_WAIT:-5}		# seconds the capture may take at most

say() { printf '\n== %s\n' "$*"; }

built() {
	"$HDP" "$1" --help >/dev/null 2>&1
}

if ! built send || ! built sniff; then
	say "hdp send or hdp sniff is not built yet; what exists:"
	"$HDP" --version
	"$HDP" --help
	exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hdp-demo.XXXXXX") || exit 4
sniff_pid=
cleanup() {
	[ -n "$sniff_pid" ] && kill "$sniff_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# a source port nobody else uses right now: 20000-59999 from our PID
port=$((20000 + $$ % 40000))

if [ "$(id -u)" != 0 ]; then
	say "not root: building the frame into a pcap file instead of sending"
	"$HDP" send --sport "$port" --data "$MSG" --src 127.0.0.1 \
		--pcap-out "$tmp/demo.pcap" 127.0.0.1 || exit $?
	say "decoded by hdp sniff -r"
	"$HDP" sniff -r "$tmp/demo.pcap" --decode -X
	exit $?
fi

say "capturing on lo: HDP from source port $port, 1 packet, at most ${WAIT}s"
echo "$HDP sniff -i lo -c 1 --decode -X 'ip[20:2] == $port'"
# the trailing expression is ANDed with sniff's default (protocol 255)
timeout "$WAIT" "$HDP" sniff -i lo -c 1 --decode -X "ip[20:2] == $port" \
	>"$tmp/sniff.out" 2>"$tmp/sniff.err" &
sniff_pid=$!
# send once the capture is open (sniff says "listening on"), 3 s at most
i=0
while [ "$i" -lt 30 ] && ! grep -q "listening on" "$tmp/sniff.err"; do
	sleep 0.1
	i=$((i + 1))
done

say "sending one HDP message to 127.0.0.1"
echo "$HDP send --sport $port --data '$MSG' 127.0.0.1"
"$HDP" send --sport "$port" --data "$MSG" 127.0.0.1
send_rc=$?

wait "$sniff_pid"
sniff_rc=$?
sniff_pid=
if [ "$sniff_rc" -eq 124 ]; then
	say "captured and decoded by hdp sniff: nothing within ${WAIT}s"
	cat "$tmp/sniff.err"
	exit 1
fi
say "captured and decoded by hdp sniff"
cat "$tmp/sniff.out"
grep -v "^hdp sniff: listening on" "$tmp/sniff.err"
[ "$send_rc" -eq 0 ] || exit "$send_rc"
exit "$sniff_rc"
