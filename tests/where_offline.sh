#!/bin/sh
# where_offline.sh: hdp where on synthetic captures of four link types
# (Ethernet, raw IP, Linux cooked v2 from an "any" capture, pcapng), with
# a NAT, a snaplen cut and two packets lost inside R1; no privileges
# needed.  Also bad input: too few captures, a file that is not a capture,
# a missing file, a bad filter.
. "$top_srcdir/tests/trace_lib.sh"

python3 "$top_srcdir/tests/where_mkpcaps.py" "$TMPD" || fatal "making captures"
cd "$TMPD" || fatal "cd"

"$HDP" where --json sender.pcap r1-in.pcap R1-OUT=r1-out.pcap \
	receiver.pcapng >w.json
expect_eq "exit 1: packets vanished" "$?" 1
expect_eq "link types" "$(jq_py w.json '[p["linktype"] for p in sel(type="point")]')" \
	"['EN10MB', 'RAW', 'LINUX_SLL2', 'EN10MB']"
expect_eq "labels" "$(jq_py w.json '[p["name"] for p in sel(type="point")]')" \
	"['sender', 'r1-in', 'R1-OUT', 'receiver']"
expect_eq "segments" "$(where_segments w.json)" "0>1:10/10 1>2:10/8 2>3:8/8"
expect_eq "10 packets, 2 vanished" \
	"$(jq_py w.json '(one(type="summary")["packets"], one(type="summary")["vanished"])')" "(10, 2)"
expect_eq "the lost ones: last seen at r1-in" \
	"$(jq_py w.json 'sorted((p["hdp_ts_ns"] % 10**9 // 1000, p["last_seen"], p["first_missing"]) for p in sel(type="packet") if p["first_missing"] is not None)')" \
	"[(3, 1, 2), (7, 1, 2)]"
expect_eq "the any capture's second copy is not a second packet" \
	"$(jq_py w.json 'one(type="point",index=2)["duplicates"]')" 8
expect_eq "NAT seen between r1-in and R1-OUT" \
	"$(jq_py w.json 'sorted(set((c["from"], c["to"], c["field"], c["old"], c["new"]) for p in sel(type="packet") for c in p["changes"] if c["field"] != "ttl"))')" \
	"[(1, 2, 'src', '10.0.1.2', '10.0.2.1')]"
expect_eq "snaplen cut is no payload change" \
	"$(jq_py w.json 'sum(1 for p in sel(type="packet") for c in p["changes"] if c["field"] == "payload")')" 0
expect_eq "memory: the window held fewer than all packets" \
	"$(jq_py w.json 'one(type="summary")["max_in_window"] < 10')" True

"$HDP" where sender.pcap r1-in.pcap r1-out.pcap receiver.pcapng >w.txt
cat w.txt
grep -q "^10 sent, 10 at r1-in, 8 at r1-out, 8 at receiver: 2 vanished inside r1$" \
	w.txt || fail "summary line"
grep -q "^    src 10.0.1.2 -> 10.0.2.1: 8 packets$" w.txt ||
	fail "segment change summary"
expect_eq "two packet lines by default" \
	"$(grep -c 'missing from r1-out' w.txt)" 2

# a trailing BPF expression narrows every capture
"$HDP" where --json sender.pcap r1-in.pcap r1-out.pcap receiver.pcapng \
	ip[5] == 103 >w3.json
expect_eq "expression keeps one packet" "$(where_segments w3.json)" \
	"0>1:1/1 1>2:1/0 2>3:0/0"

# memory: a packet seen at every point leaves the table at once, so the
# table stays small however many packets go by within the window
python3 "$top_srcdir/tests/where_mkpcaps.py" "$TMPD" dense 60000 ||
	fatal "making the dense capture"
"$HDP" where --json A=dense.pcap B=dense.pcap >wd.json
expect_eq "dense: 60000 packets, none vanished" \
	"$(jq_py wd.json '(one(type="summary")["packets"], one(type="summary")["vanished"])')" \
	"(60000, 0)"
expect_eq "dense: at most 10 ms of packets held" \
	"$(jq_py wd.json 'one(type="summary")["max_in_window"] <= 10001')" True

# bad input
"$HDP" where sender.pcap >/dev/null 2>err; rc=$?
expect_eq "one capture: exit 2" "$rc" 2
printf 'not a capture at all\n' >bogus.pcap
"$HDP" where sender.pcap bogus.pcap >/dev/null 2>err; rc=$?
expect_eq "not a capture: exit 2" "$rc" 2
grep -q "bogus.pcap" err || fail "error names the file"
"$HDP" where sender.pcap missing.pcap >/dev/null 2>err; rc=$?
expect_eq "missing file: exit 4" "$rc" 4
grep -q "missing.pcap" err || fail "error names the missing file"
"$HDP" where sender.pcap r1-in.pcap 'bad filter (' >/dev/null 2>err; rc=$?
expect_eq "bad filter: exit 2" "$rc" 2
"$HDP" where --window 0 sender.pcap r1-in.pcap >/dev/null 2>err; rc=$?
expect_eq "--window 0: exit 2" "$rc" 2
# -Z: the captures are parsed as another user once open (root only)
if [ "$(id -u)" -eq 0 ]; then
	"$HDP" where -Z hdp-no-such-user sender.pcap r1-in.pcap >/dev/null \
		2>err; rc=$?
	expect_eq "-Z unknown user: exit 3" "$rc" 3
	grep -q "no such user" err || fail "-Z: $(cat err)"
	"$HDP" where -q -Z nobody sender.pcap r1-in.pcap >/dev/null 2>err
	rc=$?
	[ "$rc" -le 1 ] || fail "-Z nobody: exit $rc: $(cat err)"
fi
finish
