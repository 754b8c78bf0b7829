#!/bin/sh
# bench/run.sh: hdp against its peer tools, side by side (see README.md).
#
#   bench/run.sh [--smoke] [--reps N] [--only B1,B2] [--out DIR]
#
# Each benchmark runs the peer tool and hdp alternately, REPS times each
# (fewer, but at least MIN_REPS, when its time budget runs out), on the same
# path in network namespaces made for this run.  A subcommand of hdp that is
# not built yet is reported as "not built".  Results: DIR/samples.tsv (every
# measurement), DIR/RESULTS.md (min/median/max, ratio hdp/peer, targets)
# and DIR/results.png; by default DIR/RESULTS.md and the PNG go to bench/
# and the raw samples to bench/results/.
#
# --smoke: tiny sizes and one repetition, to check that the scripts still
# work (bench/smoke.sh runs it under make check); its figures mean nothing.
#
# Needs root (namespaces, raw sockets).  Exits 0 whatever the figures are;
# 2 for bad usage, 77 when it cannot run at all (not root).

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${HDP:=$top_builddir/src/hdp}"
: "${HDP_FLOOR:=$top_builddir/bench/hdp-floor}"
. "$top_srcdir/bench/lib.sh"

ALL="send_lo send_veth read_text read_json live_w live_text sniff_tty \
replay_veth sweep_lo trace_ns join_line join_key survey"
SMOKE=0
ONLY=""
OUTDIR=""
REPS_SET=""
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) SMOKE=1 ;;
	--reps) REPS_SET=$2; shift ;;
	--only) ONLY=$(echo "$2" | tr ',' ' '); shift ;;
	--out) OUTDIR=$2; shift ;;
	-h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "usage: bench/run.sh [--smoke] [--reps N] [--only B1,B2]" \
		"[--out DIR]" >&2; exit 2 ;;
	esac
	shift
done
for b in $ONLY; do
	case " $ALL " in *" $b "*) ;; *)
		echo "bench/run.sh: unknown benchmark '$b' (one of: $ALL)" >&2
		exit 2 ;;
	esac
done
[ -n "$ONLY" ] || ONLY=$ALL

[ "$(id -u)" -eq 0 ] || { echo "bench/run.sh: needs root (namespaces," \
	"raw sockets)" >&2; exit 77; }

if [ "$SMOKE" -eq 1 ]; then
	REPS=1; MIN_REPS=1; BUDGET=5; WARM=0.2; DUR=0.2; RUN_LIMIT=15
	DRAIN=0.3; FLOOR_LO="drop" FLOOR_VETH=""; TRACE_W=0.3
	NREAD=2000; NSMALL=200; NLIVE=2000; NREPLAY=2000; NJOIN=600
	NTTY=2000
else
	REPS=5; MIN_REPS=3; BUDGET=100; WARM=0.5; DUR=2; RUN_LIMIT=180
	# TPACKET_V3 hands a block to the reader when it is full or after
	# the block timeout (tcpdump: 1 s): live captures are stopped that
	# long after the flood.
	DRAIN=1.5; TRACE_W=""
	FLOOR_LO="drop batch" FLOOR_VETH="--qdisc-bypass"
	NREAD=1000000; NSMALL=100000; NLIVE=1000000; NREPLAY=1000000
	NJOIN=16000; NTTY=100000
fi
[ -n "$REPS_SET" ] && REPS=$REPS_SET && [ "$MIN_REPS" -gt "$REPS" ] &&
	MIN_REPS=$REPS
# Bounds for floods that are stopped by time: a count no run reaches.
MAXC=100000000

if [ -n "$OUTDIR" ]; then
	OUT=$OUTDIR; MD=$OUTDIR/RESULTS.md; PNG=$OUTDIR/results.png
elif [ "$SMOKE" -eq 1 ]; then
	OUT=$WORK/out; MD=$OUT/RESULTS.md; PNG=$OUT/results.png
else
	OUT=$top_srcdir/bench/results; MD=$top_srcdir/bench/RESULTS.md
	PNG=$top_srcdir/bench/results.png
fi
mkdir -p "$OUT" || exit 2
: >"$OUT/samples.tsv"
: >"$OUT/notes.tsv"
# Targets (issue 8; the subcommands' own issues in brackets), one line per
# benchmark and peer: bench, peer tool, kind:value, words.  kinds: hi (the
# ratio hdp/peer of the medians at least value), lo (at most value), zero
# (no hdp loss when the peer loses none, else at most the peer's), abs (hdp
# median at most value), rss (hdp's peak RSS at most value KiB and flat).
cat >"$OUT/targets.tsv" <<'EOF'
send_lo	hping3	hi:2	>= 2x (issue 3: >= 1x)
send_veth	trafgen	hi:0.5	>= 0.5x, one process
read_text	tcpdump	hi:3	>= 3x (issue 4: >= 2x)
read_text	hdp	rss:8192	peak RSS < 8 MiB, flat in file size
read_json	tshark -T json	hi:10	>= 10x
read_json	tcpdump (text)	hi:1	>= 1x
live_w	tcpdump	zero:0	no loss where tcpdump loses none
live_text	tcpdump	lo:0.5	<= 0.5x tcpdump's loss
sniff_tty	tcpdump	zero:0	no more lost or dropped than tcpdump (issue 16)
replay_veth	tcpreplay	hi:1	>= 1x
sweep_lo	hdp	abs:1	< 1 s (issue 5: < 2 s)
join_line	ordinary input	hi:0.333	crafted within 3x ordinary (issue 15)
join_key	ordinary input	hi:0.333	crafted within 3x ordinary (issue 15)
EOF

have() { command -v "$1" >/dev/null 2>&1; }

# The path every link-layer benchmark uses: namespace A (sender) and B
# (receiver) joined by a veth pair, addresses from the benchmarking range
# of RFC 2544 (198.18.0.0/15).
MAC_A=02:68:64:70:00:01
MAC_B=02:68:64:70:00:02
IP_A=198.18.0.1
IP_B=198.18.0.2
veth_path() {
	NSA=$(ns_add a) && NSB=$(ns_add b) &&
		ns_veth "$NSA" va "$MAC_A" "$IP_A" "$NSB" vb "$MAC_B" "$IP_B"
}
veth_done() { ip netns del "$NSA" 2>/dev/null; ip netns del "$NSB" 2>/dev/null; }

# trafgen configuration: Ethernet, IPv4 protocol 255, HDP (ports 420,
# timestamp), 32 bytes of payload: the same 78-byte frame hdp sends.
trafgen_cfg() {
	cat >"$WORK/hdp.trafgen" <<EOF
{
  eth(da=$MAC_B, sa=$MAC_A, type=0x0800),
  ipv4(ihl=5, ttl=64, proto=255, sa=$IP_A, da=$IP_B, df),
  0x01, 0xa4, 0x01, 0xa4,
  0x18, 0x7a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  fill(0x61, 32),
}
EOF
}

# ---------------------------------------------------------------------
# send_lo: raw-socket floods to 127.0.0.1 on a namespace's own lo.
# The rate is counted by an nft counter in the output hook (protocol 255
# only: the ICMP replies are not counted).
b_send_lo() {
	ns=$(ns_add lo) || return
	nft_counter "$ns" || { note send_lo - "nft counter failed"; return; }
	cnt="cnt_nft $ns"
	peer="hping3 --rawip -H 255 --flood -d 44 127.0.0.1"
	hcmd="$HDP send -q --flood -c $MAXC --size 32 127.0.0.1"
	hdp_has send || { hcmd=""; note send_lo hdp "hdp send: not built"; }
	have hping3 || { peer=""; note send_lo hping3 "hping3 not installed"; }
	rep_start
	while rep_next; do
		if [ -n "$peer" ]; then
			# shellcheck disable=SC2086
			sender_rate "$ns" "$cnt" "$DUR" $peer; r=$RATE
			rc_note send_lo hping3
			rec send_lo hping3 peer rate pps hi "$r" "$peer"
			rec send_lo hping3 peer rss KiB lo "$LAST_RSS" "$peer"
		fi
		if [ -n "$hcmd" ]; then
			# shellcheck disable=SC2086
			sender_rate "$ns" "$cnt" "$DUR" $hcmd; r=$RATE
			rc_note send_lo hdp
			rec send_lo hdp hdp rate pps hi "$r" "$(show "$hcmd")"
			rec send_lo hdp hdp rss KiB lo "$LAST_RSS" "$(show "$hcmd")"
		fi
		if [ -n "$hcmd" ] && hdp_opt send -- --no-rx-filter; then
			c="$HDP send -q --flood -c $MAXC --size 32 --no-rx-filter 127.0.0.1"
			# shellcheck disable=SC2086
			sender_rate "$ns" "$cnt" "$DUR" $c; r=$RATE
			rc_note send_lo "hdp --no-rx-filter"
			rec send_lo "hdp --no-rx-filter" ref rate pps hi "$r" \
				"$(show "$c")"
		fi
		if [ -x "$HDP_FLOOR" ]; then
			for w in plain $FLOOR_LO; do
				case $w in
				drop) v="--drop-filter" ;;
				batch) v="--batch 32" ;;
				*) v="" ;;
				esac
				f="$HDP_FLOOR -s $((${DUR%.*} + 2)) $v 127.0.0.1"
				# shellcheck disable=SC2086
				sender_rate "$ns" "$cnt" "$DUR" $f; r=$RATE
				rc_note send_lo "floor${v:+ $v}"
				rec send_lo "floor${v:+ $v}" ref rate pps hi "$r" \
					"$(show "$f")"
			done
		fi
	done
	ip netns del "$ns"
}

# send_veth: link-layer floods across the veth pair, one process each;
# counted as packets received by vb.
b_send_veth() {
	veth_path || { note send_veth - "veth setup failed"; return; }
	trafgen_cfg
	cnt="cnt_rx $NSB vb"
	peer="trafgen -i $WORK/hdp.trafgen -o va --cpus 1 -n $MAXC"
	hcmd="$HDP send -q --flood -c $MAXC --size 32 -I va $IP_B"
	hdp_has send || { hcmd=""; note send_veth hdp "hdp send: not built"; }
	have trafgen || { peer=""; note send_veth trafgen "trafgen not installed"; }
	rep_start
	while rep_next; do
		if [ -n "$peer" ]; then
			# shellcheck disable=SC2086
			sender_rate "$NSA" "$cnt" "$DUR" $peer; r=$RATE
			rc_note send_veth trafgen
			rec send_veth trafgen peer rate pps hi "$r" "$(show "$peer")"
		fi
		if [ -n "$hcmd" ]; then
			# shellcheck disable=SC2086
			sender_rate "$NSA" "$cnt" "$DUR" $hcmd; r=$RATE
			rc_note send_veth hdp
			rec send_veth hdp hdp rate pps hi "$r" "$(show "$hcmd")"
		fi
		if [ -x "$HDP_FLOOR" ]; then
			for v in "" $FLOOR_VETH; do
				f="$HDP_FLOOR -s $((${DUR%.*} + 2)) -I va --dmac $MAC_B $v $IP_B"
				# shellcheck disable=SC2086
				sender_rate "$NSA" "$cnt" "$DUR" $f; r=$RATE
				rc_note send_veth "floor${v:+ $v}"
				rec send_veth "floor${v:+ $v}" ref rate pps hi "$r" \
					"$(show "$f")"
			done
		fi
	done
	veth_done
}

# ---------------------------------------------------------------------
# Capture files, made once per run in $WORK (tmpfs): by hdp send
# --pcap-out when it is built, else by trafgen (Ethernet).  CAP_N has
# NREAD packets, CAP_SMALL NSMALL (for the memory-versus-size check).
CAP_N=""
make_caps() {
	[ -n "$CAP_N" ] && return 0
	CAP_N=$WORK/hdp-$NREAD.pcap
	CAP_SMALL=$WORK/hdp-$NSMALL.pcap
	CAP_MAKER=""
	if hdp_has send && hdp_opt send -- --pcap-out; then
		# in a namespace of its own: nothing can leave even if
		# --pcap-out ever sent as well
		gns=$(ns_add gen) || return 1
		for f in "$CAP_N:$NREAD" "$CAP_SMALL:$NSMALL"; do
			run_timed "$WORK/gen.out" ip netns exec "$gns" "$HDP" \
				send -q --flood -c "${f#*:}" --size 32 \
				--pcap-out "${f%%:*}" 127.0.0.1
		done
		ip netns del "$gns"
		[ "$LAST_RC" -eq 0 ] && [ -s "$CAP_N" ] && CAP_MAKER="hdp send --pcap-out" ||
			note read - "hdp send --pcap-out failed: $(first_err)"
	fi
	if [ -z "$CAP_MAKER" ]; then
		trafgen_cfg
		trafgen -i "$WORK/hdp.trafgen" -o "$CAP_N" -n "$NREAD" \
			>/dev/null 2>&1 &&
		trafgen -i "$WORK/hdp.trafgen" -o "$CAP_SMALL" -n "$NSMALL" \
			>/dev/null 2>&1 && CAP_MAKER="trafgen --out pcap" ||
			{ note read - "cannot make a capture file"; return 1; }
	fi
	note read - "capture files: $NREAD and $NSMALL packets made by $CAP_MAKER ($(tcpdump -r "$CAP_SMALL" -c 1 2>&1 >/dev/null | sed -n 's/.*link-type \([^ ]*\).*/\1/p'), $(($(wc -c <"$CAP_N") / 1048576)) MiB, on tmpfs)"
}

# rd BENCH TOOL ROLE COMMAND...: one timed read of a capture of RD_N
# packets (default NREAD: CAP_N), output to /dev/null, recorded as packets
# per second and peak RSS.
rd() {
	bn=$1 tl=$2 rl=$3; shift 3
	rdn=${RD_N:-$NREAD}; RD_N=
	run_timed /dev/null "$@"
	if [ "$LAST_RC" -ne 0 ]; then
		note "$bn" "$tl" "exit $LAST_RC: $(first_err)"
		return 1
	fi
	rec "$bn" "$tl" "$rl" rate pps hi "$(fdiv "$rdn" "$LAST_SECS" 0)" \
		"$(show "$*")"
	rec "$bn" "$tl" "$rl" rss KiB lo "$LAST_RSS" "$(show "$*")"
}

# lines COMMAND...: how many lines COMMAND prints (sanity: one a packet).
lines() { "$@" 2>/dev/null | wc -l; }

# read_text: offline reading with the default one-line output.
b_read_text() {
	make_caps || return
	hs=""
	hdp_opt sniff ' -n' && hs="-n"
	if hdp_has sniff; then
		hcmd="$HDP sniff $hs -r $CAP_N"
		n=$(lines "$HDP" sniff $hs -r "$CAP_SMALL")
		[ "$n" -eq "$NSMALL" ] ||
			note read_text hdp "sanity: $n lines for $NSMALL packets"
	else
		hcmd=""; note read_text hdp "hdp sniff: not built"
	fi
	n=$(lines tcpdump -n -r "$CAP_SMALL")
	[ "$n" -eq "$NSMALL" ] ||
		note read_text tcpdump "sanity: $n lines for $NSMALL packets"
	rep_start
	while rep_next; do
		rd read_text tcpdump peer tcpdump -n -r "$CAP_N"
		rd read_text "tcpdump -w (floor)" ref tcpdump -n -r "$CAP_N" \
			-w /dev/null "ip[9] == 255"
		have tshark && rd read_text tshark ref tshark -n -r "$CAP_N"
		# shellcheck disable=SC2086
		[ -n "$hcmd" ] && rd read_text hdp hdp $hcmd
		if [ -n "$hcmd" ]; then
			# memory against file size: the same read of a file
			# NREAD/NSMALL times smaller.
			run_timed /dev/null "$HDP" sniff $hs -r "$CAP_SMALL"
			rec read_text "hdp ($NSMALL pkts)" ref rss KiB lo \
				"$LAST_RSS" "$(show "$HDP sniff $hs -r $CAP_SMALL")"
		fi
	done
}

# read_json: offline reading with JSON output, against tshark -T json
# and against tcpdump's plain text.
b_read_json() {
	make_caps || return
	if hdp_has sniff && hdp_opt sniff -- --json; then
		hcmd="$HDP sniff --json -r $CAP_N"
		n=$(lines "$HDP" sniff --json -r "$CAP_SMALL")
		[ "$n" -eq "$NSMALL" ] ||
			note read_json hdp "sanity: $n lines for $NSMALL packets"
	else
		hcmd=""; note read_json hdp "hdp sniff --json: not built"
	fi
	have tshark && note read_json "tshark -T json" \
		"reads the $NSMALL-packet file: 1M packets take minutes a run"
	rep_start
	while rep_next; do
		# tshark -T json takes minutes for 1M packets: it reads the
		# small file (its rate per packet does not depend on the size)
		have tshark && RD_N=$NSMALL && rd read_json "tshark -T json" \
			peer tshark -n -r "$CAP_SMALL" -T json
		rd read_json "tcpdump (text)" peer tcpdump -n -r "$CAP_N"
		# shellcheck disable=SC2086
		[ -n "$hcmd" ] && rd read_json hdp hdp $hcmd
		[ -n "$hcmd" ] && RD_N=$NSMALL && rd read_json \
			"hdp ($NSMALL pkts)" ref "$HDP" sniff --json -r "$CAP_SMALL"
	done
}

# ---------------------------------------------------------------------
# live_w / live_text: capture on vb while trafgen floods NLIVE packets
# from va as fast as one process can.  Loss = packets that arrived at vb
# (its counter) but are not in the capture (packets in the -w file,
# or lines of text output).
# live_once BENCH TOOL ROLE MODE COMMAND...: MODE is w or text.
live_once() {
	bn=$1 tl=$2 rl=$3 mode=$4; shift 4
	rm -f "$WORK/live.pcap" "$WORK/live.txt"
	ip netns exec "$NSB" timeout -s INT -k 2 "$RUN_LIMIT" "$@" \
		>"$WORK/live.txt" 2>"$WORK/live.err" &
	lp=$!
	B_PIDS="$B_PIDS $lp"
	j=0	# ready: the tool says it listens, or 1 s
	while [ "$j" -lt 20 ] && ! grep -qi "listening" "$WORK/live.err"; do
		sleep 0.05; j=$((j + 1))
	done
	sleep 0.2
	r0=$(cnt_rx "$NSB" vb)
	ip netns exec "$NSA" timeout -k 2 "$RUN_LIMIT" trafgen \
		-i "$WORK/hdp.trafgen" -o va --cpus 1 -n "$NLIVE" >/dev/null 2>&1
	sleep "$DRAIN"
	r1=$(cnt_rx "$NSB" vb)
	kill -INT "$lp" 2>/dev/null
	wait "$lp"
	rc=$?
	B_PIDS=$(echo "$B_PIDS" | sed "s/ $lp\$//; s/ $lp / /")
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 130 ] && [ "$rc" -ne 124 ]; then
		note "$bn" "$tl" "exit $rc: $(head -n 1 "$WORK/live.err")"
	fi
	if [ "$mode" = w ]; then
		got=$(tcpdump -r "$WORK/live.pcap" --count 2>/dev/null |
			sed -n 's/^\([0-9]*\) packets*.*/\1/p')
		: "${got:=0}"
	else
		got=$(wc -l <"$WORK/live.txt")
	fi
	arrived=$((r1 - r0))
	loss=$(awk -v a="$arrived" -v g="$got" \
		'BEGIN { l = a > 0 ? 100 * (a - g) / a : 0; if (l < 0) l = 0;
		printf "%.2f\n", l }')
	rec "$bn" "$tl" "$rl" loss % lo "$loss" "$(show "$*")"
}

b_live() {
	mode=$1
	bn=live_$mode
	veth_path || { note "$bn" - "veth setup failed"; return; }
	trafgen_cfg
	have trafgen || { note "$bn" - "trafgen not installed"; veth_done; return; }
	if [ "$mode" = w ]; then
		peer="tcpdump -n -i vb -w $WORK/live.pcap ip[9] == 255"
		hcmd="$HDP sniff -i vb -w $WORK/live.pcap"
	else
		peer="tcpdump -n -i vb ip[9] == 255"
		hcmd="$HDP sniff -n -i vb"
		hdp_opt sniff ' -n' || hcmd="$HDP sniff -i vb"
	fi
	hdp_has sniff || { hcmd=""; note "$bn" hdp "hdp sniff: not built"; }
	rep_start
	while rep_next; do
		if [ "$mode" = w ]; then
			live_once "$bn" tcpdump peer w tcpdump -n -i vb \
				-w "$WORK/live.pcap" "ip[9] == 255"
		else
			live_once "$bn" tcpdump peer text tcpdump -n -i vb \
				"ip[9] == 255"
		fi
		# shellcheck disable=SC2086
		[ -n "$hcmd" ] && live_once "$bn" hdp hdp "$mode" $hcmd
	done
	# what one trafgen process achieves on this path with nobody
	# capturing: the flood rate the losses are measured at.
	sender_rate "$NSA" "cnt_rx $NSB vb" "$DUR" trafgen \
		-i "$WORK/hdp.trafgen" -o va --cpus 1 -n "$MAXC"; r=$RATE
	note "$bn" - "flood: trafgen --cpus 1, $NLIVE packets a run, about $r pps with no capture"
	veth_done
}

# ---------------------------------------------------------------------
# sniff_tty (issue 16): printing to a terminal during a flood.  The tool
# captures on vb under script(1), so its standard output is a pty that
# script drains (into a file), while one trafgen process sends NTTY
# packets from va.  Recorded per run: loss (% of the packets that arrived
# at vb whose line never reached the terminal), drops (what the tool's
# "dropped by kernel" line says) and printed (lines on the terminal).
# "hdp --immediate" is the old default on a terminal, for reference; "hdp
# -B 2048" and "tcpdump -B 32768" swap the capture buffers (libpcap's
# default, hdp's on a terminal), to tell the ring from the printing.
tty_once() {
	tl=$1 rl=$2; shift 2
	rm -f "$WORK/tty.ts" "$WORK/tty.err" "$WORK/tty.pid"
	# the shell script(1) starts writes its PID, then becomes the tool
	ip netns exec "$NSB" timeout -s INT -k 2 "$RUN_LIMIT" script -qfc \
		"echo \$\$ >$WORK/tty.pid; exec $* 2>$WORK/tty.err" \
		"$WORK/tty.ts" >/dev/null 2>&1 &
	sp=$!
	B_PIDS="$B_PIDS $sp"
	j=0
	while [ "$j" -lt 40 ] && ! grep -qi "listening" "$WORK/tty.err" \
		2>/dev/null; do
		sleep 0.05; j=$((j + 1))
	done
	sleep 0.2
	r0=$(cnt_rx "$NSB" vb)
	ip netns exec "$NSA" timeout -k 2 "$RUN_LIMIT" trafgen \
		-i "$WORK/hdp.trafgen" -o va --cpus 1 -n "$NTTY" >/dev/null 2>&1
	sleep "$DRAIN"
	r1=$(cnt_rx "$NSB" vb)
	tp=$(cat "$WORK/tty.pid" 2>/dev/null)
	[ -n "$tp" ] && kill -INT "$tp" 2>/dev/null
	wait "$sp"
	B_PIDS=$(echo "$B_PIDS" | sed "s/ $sp\$//; s/ $sp / /")
	# packet lines start with the time stamp; script's own lines do not
	got=$(grep -c '^[0-9].* > ' "$WORK/tty.ts" 2>/dev/null)
	drops=$(sed -n 's/^\([0-9]*\) packets* dropped by kernel.*/\1/p' \
		"$WORK/tty.err" 2>/dev/null | tail -n 1)
	[ -n "$drops" ] || note sniff_tty "$tl" "no counts: $(head -n 1 "$WORK/tty.err" 2>/dev/null)"
	# vb may also get a packet of the kernel's own (IPv6 neighbour
	# discovery on the new link): at most NTTY are the flood's
	arrived=$((r1 - r0)); [ "$arrived" -le "$NTTY" ] || arrived=$NTTY
	loss=$(awk -v a="$arrived" -v g="${got:-0}" \
		'BEGIN { l = a > 0 ? 100 * (a - g) / a : 0; if (l < 0) l = 0;
		printf "%.2f\n", l }')
	rec sniff_tty "$tl" "$rl" loss % lo "$loss" "$(show "$*")"
	rec sniff_tty "$tl" "$rl" drops dropped lo "${drops:-0}" "$(show "$*")"
	# its own tool name for the peer: the zero:0 target judges loss
	# and drops, where fewer is better; printed counts the other way
	pt=$tl; [ "$rl" = peer ] && pt="$tl (printed)"
	rec sniff_tty "$pt" "$rl" printed lines hi "${got:-0}" "$(show "$*")"
}

b_sniff_tty() {
	have script || { note sniff_tty - "script(1) not installed"; return; }
	have trafgen || { note sniff_tty - "trafgen not installed"; return; }
	veth_path || { note sniff_tty - "veth setup failed"; return; }
	trafgen_cfg
	hcmd="$HDP sniff -n -i vb"
	hdp_has sniff || { hcmd=""; note sniff_tty hdp "hdp sniff: not built"; }
	rep_start
	while rep_next; do
		tty_once tcpdump peer tcpdump -n -i vb "'ip[9] == 255'"
		[ -n "$hcmd" ] && tty_once hdp hdp $hcmd
		[ -n "$hcmd" ] && hdp_opt sniff -- --immediate &&
			tty_once "hdp --immediate" ref $hcmd --immediate
		# the ring against the printing: each tool with the
		# other's capture buffer (libpcap's 2 MiB, hdp's 32 MiB)
		[ -n "$hcmd" ] && tty_once "hdp -B 2048" ref $hcmd -B 2048
		tty_once "tcpdump -B 32768" ref tcpdump -n -i vb -B 32768 \
			"'ip[9] == 255'"
	done
	note sniff_tty - "flood: trafgen --cpus 1, $NTTY packets a run; the terminal is script(1)'s pty, drained into a file on tmpfs"
	veth_done
}

# ---------------------------------------------------------------------
# replay_veth: --topspeed replay of one Ethernet capture (the veth's own
# MAC addresses) onto va; rate = packets received by vb / wall time.
b_replay_veth() {
	veth_path || { note replay_veth - "veth setup failed"; return; }
	trafgen_cfg
	F=$WORK/replay-$NREPLAY.pcap
	trafgen -i "$WORK/hdp.trafgen" -o "$F" -n "$NREPLAY" >/dev/null 2>&1 ||
		{ note replay_veth - "cannot make the capture"; veth_done; return; }
	peer="tcpreplay --topspeed -i va $F"
	hcmd="$HDP replay -q -I va --topspeed $F"
	hdp_opt replay ' -q' || hcmd="$HDP replay -I va --topspeed $F"
	hdp_has replay || { hcmd=""; note replay_veth hdp "hdp replay: not built"; }
	have tcpreplay || { peer=""; note replay_veth tcpreplay "tcpreplay not installed"; }
	rep_start
	while rep_next; do
		for t in tcpreplay hdp; do
			if [ "$t" = tcpreplay ]; then c=$peer; rl=peer
			else c=$hcmd; rl=hdp; fi
			[ -n "$c" ] || continue
			r0=$(cnt_rx "$NSB" vb)
			# shellcheck disable=SC2086
			run_timed "$WORK/replay.out" ip netns exec "$NSA" $c
			r1=$(cnt_rx "$NSB" vb)
			if [ "$LAST_RC" -ne 0 ]; then
				note replay_veth "$t" "exit $LAST_RC: $(first_err)"
			fi
			n=$((r1 - r0))
			[ "$n" -ge "$NREPLAY" ] || note replay_veth "$t" \
				"only $n of $NREPLAY packets arrived"
			rec replay_veth "$t" "$rl" rate pps hi \
				"$(fdiv "$n" "$LAST_SECS" 0)" "$(show "$c")"
			rec replay_veth "$t" "$rl" rss KiB lo "$LAST_RSS" "$(show "$c")"
		done
	done
	veth_done
}

# ---------------------------------------------------------------------
# sweep_lo: hdp sweep 0-255, 3 packets each, to 127.0.0.1 in a namespace.
# No peer tool does this; the target is absolute.
b_sweep_lo() {
	hdp_has sweep || { note sweep_lo hdp "hdp sweep: not built"; return; }
	ns=$(ns_add sw) || return
	c="$HDP sweep 127.0.0.1"
	rep_start
	while rep_next; do
		run_timed /dev/null ip netns exec "$ns" $c
		[ "$LAST_RC" -le 1 ] ||
			note sweep_lo hdp "exit $LAST_RC: $(first_err)"
		rec sweep_lo hdp hdp time s lo "$LAST_SECS" "$(show "$c")"
	done
	ip netns del "$ns"
}

# join_line, join_key: hdp sweep --join on crafted input (issue 15) against
# the same number of ordinary packets (rows of 3, as a sweep writes them):
# one JSON line holding every packet (join_line, N packets, 3.5 MB at
# 16,000), and N lines sharing one key (join_key, 2.5 N).  Packets per
# second of input; offline, no namespace needed.
b_join() {
	b=$1 kind=$2 n=$3
	hdp_has sweep || { note "$b" hdp "hdp sweep: not built"; return; }
	have python3 || { note "$b" hdp "python3 missing"; return; }
	for k in ordinary "$kind"; do
		python3 "$top_srcdir/bench/mkjoin.py" "$k" "$n" \
			"$WORK/$k.tx" "$WORK/$k.rx" || return
	done
	rep_start
	while rep_next; do
		for k in ordinary "$kind"; do
			c="$HDP sweep --join $WORK/$k.tx $WORK/$k.rx"
			run_timed /dev/null $c
			[ "$LAST_RC" -le 1 ] ||
				note "$b" "$k" "exit $LAST_RC: $(first_err)"
			if [ "$k" = ordinary ]; then
				t="ordinary input" r=peer
			else
				t="hdp ($kind)" r=hdp
			fi
			rec "$b" "$t" "$r" rate pps hi \
				"$(fdiv "$n" "$LAST_SECS" 0)" "$(show "$c")"
			rec "$b" "$t" "$r" rss KiB lo "$LAST_RSS" "$(show "$c")"
		done
	done
}
b_join_line() { b_join join_line oneline "$NJOIN"; }
b_join_key() { b_join join_key onekey $((NJOIN * 5 / 2)); }

# trace_ns: hdp trace over sender - R1 - R2 - receiver (forwarding
# namespaces), max 30 hops, its default protocols and wait, side by side:
# with the kernel's default ICMP rate limits on the routers and the
# receiver (how real routers ship; runs back to back, so after the first
# the receiver's per-host bucket, 1 error a second, is what trace waits
# for) and with the limits off; each on a clear path and with R2 dropping
# protocol 255.  Targets (issue 14): a clear path well under the sum of
# the timeouts, about one round trip with the limits off and under 3 s
# (two of the receiver's tokens) with them; a loss within the retries
# (5 s) plus the wait.
trace_set() { # LABEL ROLE: REPS runs back to back, recorded as LABEL
	rep_start
	vs=""
	while rep_next; do
		run_timed "$WORK/trace.out" ip netns exec "$s" $c
		[ "$LAST_RC" -le 1 ] ||
			note trace_ns hdp "exit $LAST_RC: $(first_err)"
		rec trace_ns "$1" "$2" time s lo "$LAST_SECS" "$(show "$c")"
		v=$(grep -i -m 1 -e reach -e vanish -e unknown "$WORK/trace.out")
		case "/ $vs /" in *"/ $v /"*) ;; *) vs="${vs:+$vs / }$v" ;; esac
	done
	note trace_ns "$1" "verdicts: $vs"
}
trace_drop_r2() {
	ip netns exec "$r2" nft -f - <<'EOF' ||
table ip hdpbench {
	chain forward_hdp {
		type filter hook forward priority 0; policy accept;
		ip protocol 255 drop
	}
}
EOF
		note trace_ns - "nft drop rule on R2 failed"
}
b_trace_ns() {
	hdp_has trace || { note trace_ns hdp "hdp trace: not built"; return; }
	s=$(ns_add s) && r1=$(ns_add r1) && r2=$(ns_add r2) && d=$(ns_add d) ||
		return
	ip link add t0 netns "$s" type veth peer name t1 netns "$r1"
	ip link add t2 netns "$r1" type veth peer name t3 netns "$r2"
	ip link add t4 netns "$r2" type veth peer name t5 netns "$d"
	ip -n "$s" addr add 198.18.1.1/24 dev t0
	ip -n "$r1" addr add 198.18.1.2/24 dev t1
	ip -n "$r1" addr add 198.18.2.1/24 dev t2
	ip -n "$r2" addr add 198.18.2.2/24 dev t3
	ip -n "$r2" addr add 198.18.3.1/24 dev t4
	ip -n "$d" addr add 198.18.3.2/24 dev t5
	for x in "$s t0" "$r1 t1" "$r1 t2" "$r2 t3" "$r2 t4" "$d t5"; do
		set -- $x; ip -n "$1" link set "$2" up
	done
	ip -n "$s" route add default via 198.18.1.2
	ip -n "$r1" route add 198.18.3.0/24 via 198.18.2.2
	ip -n "$r2" route add 198.18.1.0/24 via 198.18.2.1
	ip -n "$d" route add default via 198.18.3.1
	for r in "$r1" "$r2"; do
		ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1
	done
	tw=${TRACE_W:-2}
	c="$HDP trace ${TRACE_W:+-w $TRACE_W} 198.18.3.2"
	lim=$(awk -v w="$tw" 'BEGIN { printf "%.2f", w + 5.3 }')
	for t in "hdp (R2 drops 255, default ICMP limits)" \
		 "hdp (R2 drops 255, limits off)"; do
		printf 'trace_ns\t%s\tabs:%s\t<= retries 5 s + -w %s s + 0.3 s\n' \
			"$t" "$lim" "$tw" >>"$OUT/targets.tsv"
	done
	printf 'trace_ns\t%s\tabs:3.00\t< 3 s back to back (issue 14)\n' \
		"hdp (clear path, default ICMP limits)" >>"$OUT/targets.tsv"
	# the kernel's defaults, as a fresh namespace has them: the first
	# run on fresh token buckets, the rest back to back
	trace_set "hdp (clear path, default ICMP limits)" hdp
	trace_drop_r2
	trace_set "hdp (R2 drops 255, default ICMP limits)" ref
	ip netns exec "$r2" nft flush ruleset
	# no ICMP rate limits on the routers and the receiver: trace's own
	# pace, not the kernel's token buckets
	for r in "$r1" "$r2" "$d"; do
		ip netns exec "$r" sysctl -qw net.ipv4.icmp_ratelimit=0 \
			net.ipv4.icmp_msgs_per_sec=100000 net.ipv4.icmp_msgs_burst=10000
	done
	# the round trip: the largest RTT trace itself reports (no ping here)
	rtt=$(ip netns exec "$s" timeout 20 "$HDP" trace ${TRACE_W:+-w $TRACE_W} --json 198.18.3.2 \
		2>/dev/null | sed -n 's/.*"rtt_us": *\([0-9.]*\).*/\1/p' |
		sort -n | tail -n 1)
	rtt=$(awk -v u="${rtt:-0}" 'BEGIN { printf "%.3f", u / 1000 }')
	note trace_ns - "path: 3 hops (2 forwarding namespaces), largest RTT trace reported ${rtt} ms"
	lim=$(awk -v r="${rtt:-0}" 'BEGIN { printf "%.2f", r / 1000 + 0.3 }')
	printf 'trace_ns\t%s\tabs:%s\t<= 1 RTT + 0.3 s\n' \
		"hdp (clear path, limits off)" "$lim" >>"$OUT/targets.tsv"
	trace_set "hdp (clear path, limits off)" ref
	trace_drop_r2
	trace_set "hdp (R2 drops 255, limits off)" ref
	for n in "$s" "$r1" "$r2" "$d"; do ip netns del "$n"; done
}

# ---------------------------------------------------------------------
# survey (issue 18; helper "internet"): hdp survey on the simulated
# internet of tests/internet.sh, targets per minute and peak RSS for
# 1,000 and 10,000 targets at the default --rate and at 10,000 packets/s.
# bench/survey.sh does the work (its own namespaces, removed at its exit)
# and appends to the same samples and notes.
b_survey() {
	if [ "$SMOKE" -eq 1 ]; then sv="--smoke"; else sv="--reps $REPS"; fi
	# shellcheck disable=SC2086
	HDP=$HDP top_srcdir=$top_srcdir top_builddir=$top_builddir \
		sh "$top_srcdir/bench/survey.sh" $sv --samples "$OUT/samples.tsv" \
		--notes "$OUT/notes.tsv" 2>>"$WORK/survey.log" ||
		note survey - "bench/survey.sh failed: $(tail -n 1 "$WORK/survey.log")"
}
# ---- end of survey ----

# ---------------------------------------------------------------------
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
t_begin=$(now_ns)
say "writing samples to $OUT (reps $REPS, at least $MIN_REPS, budget ${BUDGET}s a benchmark)"
for b in $ONLY; do
	tb=$(now_ns)
	case $b in
	live_w) b_live w ;;
	live_text) b_live text ;;
	*) "b_$b" ;;
	esac
	say "$b: $(( ($(now_ns) - tb) / 1000000000 )) s"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
secs=$(( ($(now_ns) - t_begin) / 1000000000 ))

commit=$(git -C "$top_srcdir" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$top_srcdir" diff --quiet HEAD -- src 2>/dev/null || commit="$commit (src modified)"
{
	echo "date	$(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "commit	$commit"
	echo "hdp	$("$HDP" --version 2>/dev/null)"
	echo "machine	$(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r)"
	echo "load	load average $load_before before, $load_after after ($secs s run)"
	echo "mode	$([ "$SMOKE" -eq 1 ] && echo smoke || echo full), $REPS repetitions (at least $MIN_REPS)"
	echo "peers	$(hping3 -v 2>/dev/null | head -n 1 | cut -c 1-40); $(tcpdump --version 2>&1 | head -n 1); $(tshark --version 2>/dev/null | head -n 1 | cut -d' ' -f1-3); $(tcpreplay --version 2>&1 | head -n 1); $(trafgen -v 2>/dev/null | head -n 1 | cut -d, -f1)"
} >"$OUT/meta.tsv"
sh "$top_srcdir/bench/report.sh" "$OUT" "$MD" "$PNG"
say "done in ${secs}s: $MD"
exit 0
