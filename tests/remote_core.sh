#!/bin/sh
# remote_core.sh: src/tool_remote.c (points on other hosts over ssh, issue
# 17) against real sshd servers inside the namespaces of topo.sh's path,
# driven through tests/test_remote (the API, not a hidden subcommand).
# The ssh client runs in the sender namespace; sshd runs in R1 (hdp on its
# PATH, its clock faked 5 s ahead), the receiver (no hdp: tcpdump) and R2
# (a bare PATH: neither hdp nor tcpdump).  Packets are sent with hdp send
# from the sender to the receiver and read back from each capture's pcap
# stream with libpcap.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/topo.sh"
. "$top_srcdir/tests/ssh_lib.sh"

T="$top_builddir/tests/test_remote"
[ -x "$T" ] || skip "tests/test_remote is not built"
TR="$T"     # how to run it: under valgrind too with HDP_VALGRIND
[ -n "${HDP_VALGRIND:-}" ] && TR="env HDP_VG_PROG=$T $HDP"

# ---- point_parse: the three ways a point is written (no network) ----
parse() { $TR parse "$@" 2>>"$TMPD/parse.err"; }
expect_eq "ssh point" "$(parse ssh://r1/eth0)" "ssh - r1 0 eth0 -"
expect_eq "ssh point with user, v6 host, port" \
	"$(parse 'ssh://u@[fd00:1::1]:2222/any')" "ssh u fd00:1::1 2222 any -"
expect_eq "ssh point without interface" "$(parse ssh://h)" "ssh - h 0 - -"
expect_eq "local interface" "$(parse lo)" "iface - - 0 lo -"
expect_eq "capture file" "$(parse lo.pcap)" "file - - 0 - lo.pcap"
expect_eq "path is a file" "$(parse ./lo)" "file - - 0 - ./lo"
for bad in 'ssh://-oProxyCommand=x/eth0' 'ssh://a:b:c/eth0' \
	   'ssh://h:0/eth0' 'ssh://h:65536/eth0' 'ssh://h:x/eth0' \
	   'ssh://-u@h/eth0' 'ssh://[fd00::1/eth0' 'ssh://h/a/b' \
	   'ssh://h/eth 0' 'ssh://h/0123456789abcdef' 'ssh:///eth0'; do
	expect_eq "bad point $bad refused" "$(parse "$bad")" "error"
done
expect_eq "interface needed" "$(parse --iface ssh://h)" "error"
check "one line per bad point, naming it" \
	[ "$(grep -c '^test_remote: ssh://' "$TMPD/parse.err")" -eq 12 ]

topo_up
ssh_setup
CTL="$TMPD/ctl"     # TMPDIR for test_remote: its control directory
mkdir -p "$CTL"
P1=$(ssh_pathdir with-hdp 5)          # R1: hdp, clock 5 s ahead
PD=$(ssh_pathdir no-hdp)              # receiver: tcpdump only
P2=$(ssh_pathdir bare-no-hdp)         # R2: neither
sshd_start "$NS_R1" "$R1A4" "$P1"
sshd_start "$NS_D" "$D4" "$PD"
sshd_start "$NS_R2" "$R2A4" "$P2"
R1="ssh://$R1A4"
RD="ssh://$D4"
R2="ssh://$R2A4"

# t NAME ARGS...: test_remote in the sender namespace; NAME.out, NAME.err
t() {
	_n=$1; shift
	ip netns exec "$NS_S" env TMPDIR="$CTL" timeout 60 $TR "$@" \
		>"$TMPD/$_n.out" 2>"$TMPD/$_n.err"
}
val() { sed -n "s/^$2=//p" "$TMPD/$1.out"; }
none_left() {   # NS PATTERN: within 3 s, no such process in NS
	i=0
	while [ -n "$(ns_procs "$1" "$2")" ] && [ "$i" -lt 30 ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ -z "$(ns_procs "$1" "$2")" ]
}
ctl_empty() { [ -z "$(ls -A "$CTL")" ]; }
# capture NAME POINT COUNT [ARGS...]: a capture in the background; once it
# listens, COUNT HDP packets from the sender to the receiver
capture() {
	_n=$1 _pt=$2 _c=$3; shift 3
	ip netns exec "$NS_S" env TMPDIR="$CTL" timeout 60 $TR "$@" \
		capture "$_pt" "$_c" >"$TMPD/$_n.out" 2>"$TMPD/$_n.err" &
	_cp=$!
	i=0
	while ! grep -q listening "$TMPD/$_n.out" 2>/dev/null &&
	      [ "$i" -lt 300 ]; do
		kill -0 "$_cp" 2>/dev/null || break
		sleep 0.1; i=$((i + 1))
	done
	if grep -q listening "$TMPD/$_n.out"; then
		ip netns exec "$NS_S" "$HDP" send -c "$_c" -i 0.05 "$D4" \
			>/dev/null 2>&1
	fi
	wait "$_cp"
}

# npkts NAME N DESC: NAME's capture read N HDP packets (else say what it
# printed, and its errors)
npkts() {
	_got=$(grep -c '^pkt [0-9]* 255$' "$TMPD/$1.out")
	if [ "$_got" -eq "$2" ]; then ok "$3"; else
		fail "$3: $_got packets, want $2"
		sed 's/^/  out: /' "$TMPD/$1.out"
		sed 's/^/  err: /' "$TMPD/$1.err"
	fi
}

# ---- the info probe and the clock ----
t info1 info "$R1/r1a"
expect_eq "info: hdp there" "$(val info1 hdp_ok)" 1
expect_eq "info: its version" "$(val info1 hdp_version)" \
	"$("$HDP" --version | cut -d' ' -f2)"
expect_eq "info: tcpdump there" "$(val info1 has_tcpdump)" 1
expect_eq "info: the address ssh reached" "$(val info1 addr)" "$R1A4"
expect_eq "info: kernel" "$(val info1 kernel)" "$(uname -sr)"
# the remote 'date' runs 5 s ahead and both clocks are one kernel's: the
# true offset is 5 s exactly, and must lie within the uncertainty
for k in "" 2; do
	off=$(val info1 "offset${k}_ns") unc=$(val info1 "uncert${k}_ns")
	check "clock$k: 5 s ahead within +-$unc ns (said $off)" \
		awk -v o="$off" -v u="$unc" 'BEGIN {
			d = o - 5000000000; if (d < 0) d = -d
			exit !(u > 0 && u < 500000000 && d <= u) }'
done
check "info: nothing on stderr" [ ! -s "$TMPD/info1.err" ]
check "control directory removed after close" ctl_empty
t info2 info "$RD/d0"
expect_eq "info: no hdp on the receiver" "$(val info2 hdp_ok)" 0
expect_eq "info: no hdp version" "$(val info2 hdp_version)" ""
check "receiver clock: within +-uncertainty of 0" \
	awk -v o="$(val info2 offset_ns)" -v u="$(val info2 uncert_ns)" \
	'BEGIN { if (o < 0) o = -o; exit !(u > 0 && o <= u) }'

# an IPv6 host on another port: [ADDR]:PORT
SSHD_PORT=2222 sshd_start "$NS_R1" "$R1A6" "$P1"
t info3 info "ssh://[$R1A6]:2222/r1a"
expect_eq "IPv6 host, port 2222: reached" "$(val info3 addr)" "$R1A6"

# exit() without remote_close: the master ends, its directory goes
t nc1 noclose "$R1"
check "exit without close: works" [ "$?" -eq 0 ]
check "exit without close: no ssh left" none_left "$NS_S" '^[0-9]+ ssh '
check "exit without close: control directory removed" ctl_empty

# ---- captures: hdp on R1, tcpdump on the receiver, locally ----
capture cap1 "$R1/r1a" 3
npkts cap1 3 "hdp capture on R1: 3 HDP packets"
expect_eq "hdp capture on R1: ended cleanly" \
	"$(sed -n 's/^status=//p' "$TMPD/cap1.out")" "0 captured=3"
check "R1: no capture or wrapper left" none_left "$NS_R1" 'sniff|tcpdump|sh -c|^[0-9]+ cat'
check "control directory removed" ctl_empty

capture cap2 "$RD/d0" 3
npkts cap2 3 "tcpdump fallback on the receiver: 3 HDP packets"
expect_eq "tcpdump fallback: ended cleanly" \
	"$(sed -n 's/^status=//p' "$TMPD/cap2.out")" "0 captured=3"
check "receiver: no tcpdump left" none_left "$NS_D" 'sniff|tcpdump|sh -c|^[0-9]+ cat'

# an incompatible hdp: said, then tcpdump
printf '#!/bin/sh\necho "hdp 99.0.0"\n' >"$SSH_DIR/oldhdp"
chmod 755 "$SSH_DIR/oldhdp"
capture cap3 "$R1/r1a" 2 --remote-hdp "$SSH_DIR/oldhdp"
npkts cap3 2 "incompatible hdp: tcpdump captures"
check "incompatible hdp: said in one line" grep -q \
	"^test_remote: $R1/r1a: hdp 99.0.0 on $R1A4 is not compatible with .* here; using tcpdump$" \
	"$TMPD/cap3.err"

# the pcap header arrives at once, with no packet at all
s0=$(date +%s%N)
t cap4 capture "$RD/d0" 0
s1=$(date +%s%N)
check "tcpdump: pcap header without any packet" grep -q '^linktype=1$' \
	"$TMPD/cap4.out"
check "tcpdump: and stopped promptly ($(( (s1 - s0) / 1000000 )) ms)" \
	[ $(( (s1 - s0) / 1000000 )) -lt 15000 ]
t cap5 capture "$R1/r1a" 0
check "hdp: pcap header without any packet" grep -q '^linktype=1$' \
	"$TMPD/cap5.out"

# bg_capture NAME POINT COUNT: a capture in the background, until it
# listens (BG_CAP: its PID)
bg_capture() {
	ip netns exec "$NS_S" env TMPDIR="$CTL" timeout 60 $TR capture "$2" \
		"$3" >"$TMPD/$1.out" 2>"$TMPD/$1.err" &
	BG_CAP=$!
	i=0
	while ! grep -q listening "$TMPD/$1.out" 2>/dev/null &&
	      [ "$i" -lt 300 ]; do
		sleep 0.1; i=$((i + 1))
	done
}
# the capture dies on its host mid-run: the stream ends, the status says
bg_capture die1 "$R1/r1a" 5
kill -KILL $(ns_procs "$NS_R1" '^[0-9]+ [^ ]*hdp sniff' | cut -d' ' -f1)
wait "$BG_CAP"
expect_eq "capture killed on its host: the stream ends, status 137" \
	"$(sed -n 's/^status=//p' "$TMPD/die1.out")" "137 captured=0"
# the connection drops (sshd's session process killed): nothing is left
bg_capture die2 "$RD/d0" 5
kill -KILL $(ns_procs "$NS_D" '^[0-9]+ sshd: root' | cut -d' ' -f1)
wait "$BG_CAP"
check "connection dropped: the stream ends" grep -q '^status=.* captured=0$' \
	"$TMPD/die2.out"
check "connection dropped: no tcpdump left on the receiver" none_left \
	"$NS_D" 'sniff|tcpdump|sh -c|^[0-9]+ cat'
check "connection dropped: no ssh left here" none_left "$NS_S" \
	'^[0-9]+ ssh '
check "control directory removed" ctl_empty

# a local point (h NULL): this program's hdp
capture cap6 s0 2
npkts cap6 2 "local capture: 2 HDP packets"

# ---- commands: quoting, exit status ----
t sp1 spawn "$R1" printf '%s|' "a b" "it's" '$HOME' '*' ''
expect_eq "spawn: arguments reach the remote command unchanged" \
	"$(cat "$TMPD/sp1.out")" "a b|it's|\$HOME|*||status=0"
t sp2 spawn "$R1" sh -c 'exit 7'
expect_eq "spawn: the remote exit status" "$(cat "$TMPD/sp2.out")" \
	"status=7"
# a command with a child of its own: both end when our side closes
# (killed, it leaves its control directory: not in $CTL)
mkdir -p "$TMPD/ctl2"
ip netns exec "$NS_S" env TMPDIR="$TMPD/ctl2" timeout 60 $TR spawn "$R1" \
	sh -c 'sleep 37 & sleep 38; wait' >"$TMPD/sp5.out" 2>&1 &
sp=$!
i=0
while [ -z "$(ns_procs "$NS_R1" '^[0-9]+ sleep 37')" ] && [ "$i" -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
check "spawn: the command runs with its child" \
	[ -n "$(ns_procs "$NS_R1" '^[0-9]+ sleep 37')" ]
kill -KILL $(pgrep -P "$sp") 2>/dev/null
wait "$sp" 2>/dev/null
check "spawn: the command and its child end with our side" \
	none_left "$NS_R1" '^[0-9]+ (sleep 3[78]|sh -c)'
t sp3 spawn local sh -c 'echo here'
expect_eq "spawn: locally" "$(cat "$TMPD/sp3.out")" "here
status=0"
# a local "hdp" is this very program (/proc/PID/exe): here test_remote
ip netns exec "$NS_S" env -u HDP -u HDP_REAL "$T" spawn local hdp parse lo \
	>"$TMPD/sp6.out" 2>&1
expect_eq "spawn: a local hdp is this program" "$(cat "$TMPD/sp6.out")" \
	"iface - - 0 lo -
status=0"
t sp4 spawn "$RD" hdp --version
check "spawn hdp where there is none: refused" [ ! -s "$TMPD/sp4.out" ]
check "spawn hdp where there is none: said" \
	grep -q "^test_remote: $RD: no hdp on $D4\$" "$TMPD/sp4.err"

# ---- failures: one line each, naming the point, bounded in time ----
# one_line NAME PATTERN: NAME failed with exactly one line matching it
one_line() {
	[ "$(wc -l <"$TMPD/$1.err")" -eq 1 ] &&
		grep -q "$2" "$TMPD/$1.err" ||
		{ echo "  $1.err: $(cat "$TMPD/$1.err")"; return 1; }
}
# a host that does not answer (R2 drops SYNs to ports 2200-2203): the
# user's ConnectTimeout=2 comes before ours (10 s) and wins
need_cmd nft
ip netns exec "$NS_R2" nft -f - <<EOF || fatal "nft in R2"
table inet hdptest {
	chain in {
		type filter hook input priority 0;
		tcp dport 2200-2203 drop
	}
}
EOF
BH="ssh://$R2A4"
s0=$(date +%s)
t f1 --ssh-option ConnectTimeout=2 info "$BH:2200/eth0"
rc=$?
s1=$(date +%s)
check "no answer: fails" [ "$rc" -eq 1 ]
check "no answer: one line naming the point, ssh's own" \
	one_line f1 "^test_remote: $BH:2200/eth0: ssh: connect to host $R2A4 port 2200: Connection timed out\$"
check "no answer: within --ssh-option ConnectTimeout=2 ($((s1 - s0)) s)" \
	[ $((s1 - s0)) -le 6 ]
# remote_open_all: three hosts that do not answer cost one timeout
s0=$(date +%s)
t f1b --ssh-option ConnectTimeout=4 open "$BH:2201" "$BH:2202" \
	"$BH:2203/r2a" "$R1" "$BH:2201/eth1"
s1=$(date +%s)
expect_eq "in parallel: each point's result" "$(cat "$TMPD/f1b.out")" \
"failed $BH:2201
failed $BH:2202
failed $BH:2203/r2a
ok $R1
failed $BH:2201/eth1
failed=4"
check "in parallel: one timeout, not three ($((s1 - s0)) s)" \
	[ $((s1 - s0)) -le 9 ]
expect_eq "in parallel: one line per failed point" \
	"$(grep -c "^test_remote: $BH:220[123].*: .*timed out" \
		"$TMPD/f1b.err")" 4
# an address nobody has: no route (ARP fails)
t f1d --ssh-option ConnectTimeout=2 info ssh://10.0.1.99/eth0
check "nobody there: one line naming the point" \
	one_line f1d '^test_remote: ssh://10.0.1.99/eth0: ssh: connect to host'
HDP_SSH="ssh -F $SSH_DIR/ssh_config $(printf '%01100d' 0)" \
	t f1c info "$R1"
t open2 open "$R1/r1a" "$RD/d0" "ssh://[$R1A6]:2222/r1a" "$R1/r1b" s0
expect_eq "open_all: four points on three hosts, and a local one" \
	"$(cat "$TMPD/open2.out")" "ok $R1/r1a
ok $RD/d0
ok ssh://[$R1A6]:2222/r1a
ok $R1/r1b
here s0
failed=0"
check "open_all: nothing said" [ ! -s "$TMPD/open2.err" ]
check "HDP_SSH too long: said" one_line f1c "HDP_SSH: longer than"
t f2 info "ssh://$R2B4/r2b"     # R2 listens on its other address only
check "refused: one line" one_line f2 "ssh://$R2B4/r2b: .*refused"
HDP_SSH="$SSH_WRONG" t f3 info "$R1/r1a"
check "wrong key: one line, ssh's own" \
	one_line f3 "^test_remote: $R1/r1a: .*Permission denied (publickey)"
sed "s|^$R1A4 .*|$R1A4 $(cut -d' ' -f1,2 "$SSH_DIR/id_wrong.pub")|" \
	"$SSH_DIR/known_hosts" >"$SSH_DIR/known_hosts_bad"
sed "s|known_hosts$|known_hosts_bad|" "$SSH_DIR/ssh_config" \
	>"$SSH_DIR/ssh_config_badhost"
HDP_SSH="ssh -F $SSH_DIR/ssh_config_badhost" t f4 info "$R1/r1a"
check "host key mismatch: one line, ssh's own" \
	one_line f4 "^test_remote: $R1/r1a: Host key verification failed"
t f5 capture "$R2/r2a" 1
check "neither hdp nor tcpdump: one line" \
	one_line f5 "^test_remote: $R2/r2a: no hdp or tcpdump on $R2A4\$"
t f6 capture "$R1/nosuch0" 1
check "capture ends at once: one line with its own reason" \
	one_line f6 "^test_remote: $R1/nosuch0: .*nosuch0"
t f7 capture "$RD/nosuch0" 1
check "tcpdump ends at once: one line with its own reason" \
	one_line f7 "^test_remote: $RD/nosuch0: tcpdump: .*nosuch0"
t f8 --sudo info "$R2/r2a"
check "--sudo without sudo there: one line" \
	one_line f8 "^test_remote: $R2/r2a: "
check "failures leave no control directory" ctl_empty

# ---- --sudo: a user without root, sudo -n refused, then allowed ----
if command -v sudo >/dev/null 2>&1 && command -v unshare >/dev/null 2>&1
then
	ssh_sudo_user hdpuser
	sshd_start "$NS_R1" "$R1B4" "$P1"    # R1's other address
	unset SSHD_WRAP
	RU="ssh://hdpuser@$R1B4"
	t su1 --sudo info "$RU/r1a"
	check "--sudo, not in sudoers: one line, sudo's reason" \
		one_line su1 "^test_remote: $RU/r1a: sudo -n: a password is required\$"
	t su2 capture "$RU/r1a" 1
	check "no --sudo, no privilege: the capture's own reason" \
		one_line su2 "^test_remote: $RU/r1a: hdp sniff: .*permission"
	ssh_sudo_allow yes
	capture su3 "$RU/r1a" 2 --sudo
	npkts su3 2 "--sudo: the capture runs as root, 2 HDP packets"
	capture su4 "$RU/r1a" 2 --sudo --remote-hdp /nonexistent/hdp
	npkts su4 2 "--sudo with tcpdump: 2 HDP packets"
	check "--sudo: nothing left on R1" none_left "$NS_R1" \
		'sniff|tcpdump|sh -c|^[0-9]+ cat|sudo'
	SUDO_HOLD="$RU/r1b"
else
	echo "skipped: --sudo cases (no sudo or unshare here)"
	SUDO_HOLD=""
fi

# ---- SIGKILL of the local side: nothing survives anywhere ----
CTL="$TMPD/ctl2"
ip netns exec "$NS_S" env TMPDIR="$CTL" timeout 60 $TR hold "$R1/r1a" \
	"$R1/r1b" >"$TMPD/hold.out" 2>"$TMPD/hold.err" &
hp=$!
# shellcheck disable=SC2086
ip netns exec "$NS_S" env TMPDIR="$CTL" timeout 60 $TR \
	${SUDO_HOLD:+--sudo} hold "$RD/d0" $SUDO_HOLD \
	>"$TMPD/hold2.out" 2>"$TMPD/hold2.err" &
hp2=$!
i=0
while { ! grep -q listening "$TMPD/hold.out" ||
	! grep -q listening "$TMPD/hold2.out"; } && [ "$i" -lt 300 ]; do
	sleep 0.1; i=$((i + 1))
done
for f in hold hold2; do
	grep -q listening "$TMPD/$f.out" || sed "s/^/  $f err: /" "$TMPD/$f.err"
done
check "two points on one host, both listening" grep -q listening \
	"$TMPD/hold.out"
expect_eq "one master connection for both points on R1" \
	"$(ns_procs "$NS_S" 'ssh .*ControlMaster=yes.*10\.0\.1\.1' | wc -l)" 1
n=2; [ -n "$SUDO_HOLD" ] && n=3
expect_eq "captures running on R1 (two, and one under sudo)" \
	"$(ns_procs "$NS_R1" 'sniff -i' | grep -vc 'sh -c')" "$n"
check "tcpdump running on the receiver" [ -n "$(ns_procs "$NS_D" \
	'^[0-9]+ [^ ]*tcpdump')" ]
# timeout(1) runs test_remote as its child: kill that one
for p in $hp $hp2; do
	kill -KILL $(pgrep -P "$p") 2>/dev/null
done
wait "$hp" "$hp2" 2>/dev/null
check "after SIGKILL: no ssh left here" none_left "$NS_S" '^[0-9]+ ssh '
check "after SIGKILL: no capture left on R1" none_left "$NS_R1" \
	'sniff|tcpdump|sh -c|^[0-9]+ cat|sudo'
check "after SIGKILL: no tcpdump left on the receiver" none_left "$NS_D" \
	'sniff|tcpdump|sh -c|^[0-9]+ cat'
finish
