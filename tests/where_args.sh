#!/bin/sh
# where_args.sh: hdp where tells its capture operands from the filter
# expression (issue 16), on where_mkpcaps.py's captures, tcpdump judging
# what each expression keeps:
#  - the three ways to give an expression: trailing ('ip[9] == 255', the
#    issue's, once read as LABEL "ip[9] " and FILE "= 255"), after "--",
#    and -f/--filter (also after the operands, as GNU getopt allows);
#  - LABEL=FILE only when LABEL is a plain name and FILE names a capture:
#    'len=50' is an expression, S=sender.pcap a label, a file whose own
#    name holds '=' is that file;
#  - a missing capture file: "hdp where: FILE: No such file or directory",
#    exit 4, in every form (a label, before "--");
#  - usage errors in the one voice: exit 2, "try 'hdp help where'".
. "$top_srcdir/tests/trace_lib.sh"
need_cmd tcpdump

python3 "$top_srcdir/tests/where_mkpcaps.py" "$TMPD" || fatal "making captures"
cd "$TMPD" || fatal "cd"

# judge EXPR: how many HDP packets of sender.pcap tcpdump keeps with EXPR
judge() {
	tcpdump -nr sender.pcap "(ip[9] == 255) and ($1)" 2>/dev/null | wc -l
}
# first FILE: how many packets entered the first segment (JSON)
first() { where_segments "$1" | sed 's/^0>1:\([0-9]*\)\/.*/\1/'; }

want1=$(judge 'ip[5] = 103')
expect_eq "tcpdump: 'ip[5] = 103' keeps one HDP packet" "$want1" 1

# ---- the three forms --------------------------------------------------
"$HDP" where --json sender.pcap r1-in.pcap 'ip[9] == 255' >a.json 2>a.err
expect_eq "the issue's 'ip[9] == 255': exit 0" "$?" 0
expect_eq "... no file named '= 255' looked for" "$(cat a.err)" ""
expect_eq "... every HDP packet, as tcpdump keeps" "$(first a.json)" \
	"$(judge 'ip[9] == 255')"

"$HDP" where --json sender.pcap r1-in.pcap 'ip[5] = 103' >b.json 2>b.err
expect_eq "trailing 'ip[5] = 103': exit 0" "$?" 0
expect_eq "trailing 'ip[5] = 103': tcpdump's count" "$(first b.json)" "$want1"

"$HDP" where --json sender.pcap r1-in.pcap -- 'ip[5] = 103' >c.json 2>c.err
expect_eq "after --: exit 0" "$?" 0
expect_eq "after --: tcpdump's count" "$(first c.json)" "$want1"

"$HDP" where --json -f 'ip[9] == 255 and ip[5] = 103' sender.pcap \
	r1-in.pcap >d.json 2>d.err
expect_eq "-f EXPR: exit 0" "$?" 0
expect_eq "-f EXPR: tcpdump's count" "$(first d.json)" "$want1"
"$HDP" where sender.pcap r1-in.pcap --filter 'ip[9] == 255 and ip[5] = 103' \
	--json >e.json 2>e.err
expect_eq "--filter after the operands: exit 0" "$?" 0
expect_eq "--filter after the operands: tcpdump's count" "$(first e.json)" \
	"$want1"

# ---- LABEL=FILE --------------------------------------------------------
"$HDP" where --json sender.pcap r1-in.pcap len=50 >f.json 2>f.err
expect_eq "'len=50' (a plain word, no such file): an expression, exit 0" \
	"$?" 0
expect_eq "'len=50': tcpdump's count" "$(first f.json)" "$(judge 'len=50')"
"$HDP" where --json S=sender.pcap R1.in=r1-in.pcap >g.json 2>g.err
expect_eq "labels: exit 0" "$?" 0
expect_eq "labels S and R1.in" \
	"$(jq_py g.json '[p["name"] for p in sel(type="point")]')" "['S', 'R1.in']"
cp sender.pcap 'odd=name.pcap'
"$HDP" where --json 'odd=name.pcap' r1-in.pcap >h.json 2>h.err
expect_eq "a file whose name holds '=' is that file: exit 0" "$?" 0
expect_eq "... named after it" \
	"$(jq_py h.json '[p["name"] for p in sel(type="point")]')" \
	"['odd=name', 'r1-in']"

# ---- a missing capture file: exit 4, one line -----------------------------
for form in "sender.pcap nosuch.pcap" "sender.pcap R9=nosuch.pcap" \
	    "sender.pcap nosuch.pcap ip[9]==255" "sender.pcap nosuch.pcap -- ip[9]==255"
do
	# shellcheck disable=SC2086
	"$HDP" where $form >/dev/null 2>err; rc=$?
	expect_eq "missing file ($form): exit 4" "$rc" 4
	expect_eq "missing file ($form): the message" "$(cat err)" \
		"hdp where: nosuch.pcap: No such file or directory"
done
"$HDP" where sender.pcap nosuch -- 'ip[9] == 255' >/dev/null 2>err; rc=$?
expect_eq "before --, any name is a capture: exit 4" "$rc" 4
expect_eq "before --: the message" "$(cat err)" \
	"hdp where: nosuch: No such file or directory"

# ---- usage errors: exit 2, one voice --------------------------------------
"$HDP" where sender.pcap 'ip[9] == 255' >/dev/null 2>err; rc=$?
expect_eq "one capture and an expression: exit 2" "$rc" 2
check "... says what it took for the expression" grep -q \
	"^hdp where: need at least two captures, in path order ('ip\[9\] == 255' is no capture file: taken as the expression)$" err
check "... then try 'hdp help where'" grep -qx "try 'hdp help where'" err
"$HDP" where -k sender.pcap r1-in.pcap >/dev/null 2>err; rc=$?
expect_eq "-k: exit 2" "$rc" 2
expect_eq "-k: one voice" "$(cat err)" "hdp where: -k: unknown option
try 'hdp help where'"
"$HDP" where --window -1 sender.pcap r1-in.pcap >/dev/null 2>err; rc=$?
expect_eq "--window -1: exit 2" "$rc" 2
check "--window -1: out of range" grep -q "^hdp where: --window: -1: out of range" err
"$HDP" where sender.pcap r1-in.pcap -f >/dev/null 2>err; rc=$?
expect_eq "-f without its expression: exit 2" "$rc" 2
check "-f: needs an argument" grep -q "^hdp where: -f: needs an argument" err
finish
