#!/bin/sh
# dissect_scapy.sh: the scapy layer (dissect/hdp_scapy.py) judged by hdp's
# own decoder, field for field (tests/dissect_scapy.py does the comparing).
#  1. Every shipped capture under pcaps/ (the realworld ones, IPv6, the
#     truncated and malformed ones): scapy with the HDP layer and
#     `hdp sniff -r FILE --json` must agree on addresses, ports, timestamp
#     and payload of every frame, and on which frames hold no HDP header.
#  2. scapy-built packets (IP()/HDP()/payload, IPv6, IPv4 options, an
#     extension header, the UDP mode) sent on the loopback of a namespace
#     of this test's own and captured by `hdp sniff -i lo` decode to the
#     fields scapy built (needs root; skipped without it).
. "${top_srcdir:-.}/tests/lib.sh"
need_cmd timeout
need_scapy
PYTHONPATH="$top_srcdir/dissect${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONPATH
JUDGE="$top_srcdir/tests/dissect_scapy.py"

# 1. the shipped captures
find "$top_srcdir/pcaps" -name '*.pcap' -o -name '*.pcapng' | sort \
	>"$TMPD/files"
[ "$(wc -l <"$TMPD/files")" -ge 40 ] || fail "too few captures found"
# shellcheck disable=SC2046
if timeout 300 "$PY" "$JUDGE" files "$HDP" $(cat "$TMPD/files") \
	>"$TMPD/files.out" 2>&1; then
	ok "scapy and hdp sniff --json agree on every shipped capture"
else
	fail "scapy and hdp sniff --json disagree"
fi
grep -v "^WARNING" "$TMPD/files.out"

# the judge itself must see a difference: a layer that reads the ports
# the wrong way round is caught
sed 's/ShortField("sport", HDP_DEFAULT_PORT)/ShortField("xport", 0), ShortField("sport", HDP_DEFAULT_PORT)/' \
	"$top_srcdir/dissect/hdp_scapy.py" >"$TMPD/hdp_scapy.py"
grep -q xport "$TMPD/hdp_scapy.py" || fatal "could not make the broken layer"
if PYTHONPATH="$TMPD" timeout 120 "$PY" "$JUDGE" files "$HDP" \
	"$top_srcdir/pcaps/lo4.pcap" >"$TMPD/broken.out" 2>&1; then
	fail "the judge passes a broken layer"
else
	ok "the judge fails a broken layer"
fi

# 2. scapy-built packets on a loopback of our own
if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null 2>&1; then
	echo "SKIP (part 2): needs root and ip"
	finish
fi
NS=$(netns_add scapy)
SPORT=$(( ($$ % 30000) + 20000 ))
"$PY" "$JUDGE" build "$TMPD/built" "$SPORT" || fatal "scapy cannot build"
N=$(wc -l <"$TMPD/built")
bg ip netns exec "$NS" timeout 30 "$HDP" sniff -i lo -l --json -c "$N" \
	--filter 'ip proto 255 or ip6 or (udp and port 420)' \
	>"$TMPD/live.json" 2>"$TMPD/live.err"
SNIFF=$BG_PID
i=0
while ! grep -q "listening on" "$TMPD/live.err" 2>/dev/null &&
      [ "$i" -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
grep -q "listening on" "$TMPD/live.err" ||
	fatal "hdp sniff did not start: $(cat "$TMPD/live.err")"
# only to loopback addresses, inside the namespace
ip netns exec "$NS" timeout 30 "$PY" - "$TMPD/built" <<'PYEOF' ||
import sys
from scapy.all import IP, IPv6, send
from scapy.supersocket import L3RawSocket
from scapy.layers.inet6 import L3RawSocket6
for line in open(sys.argv[1]).read().split():
    b = bytes.fromhex(line)
    p = IP(b) if b[0] >> 4 == 4 else IPv6(b)
    assert p.dst in ("127.0.0.1", "127.0.0.2", "::1"), p.dst
    s = L3RawSocket() if b[0] >> 4 == 4 else L3RawSocket6()
    send(p, socket=s, verbose=0)
    s.close()
PYEOF
	fail "scapy could not send"
wait "$SNIFF"
check "hdp sniff saw all $N packets" \
	[ "$(wc -l <"$TMPD/live.json")" -eq "$N" ]
if "$PY" "$JUDGE" live "$TMPD/live.json" "$TMPD/built"; then
	ok "scapy-built packets decode to the same fields in hdp sniff -i lo"
else
	fail "hdp sniff -i lo disagrees with what scapy built"
fi
finish
