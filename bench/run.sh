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

ALL="send_lo send_veth send_veth_all read_text read_json live_w live_text sniff_tty \
replay_veth sweep_lo trace_ns join_line join_key where_4pt"
# issue 19: replay pacing (the replay block below)
ALL="$ALL replay_pace"
# read_par (issue 19: sniff -r on every core): its own block, b_read_par
ALL="$ALL read_par"
# survey (issue 18): its own block, b_survey
ALL="$ALL survey"
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
	DRAIN=0.3; FLOOR_LO="drop"; TRACE_W=0.3
	NREAD=2000; NSMALL=200; NLIVE=2000; NREPLAY=2000; NJOIN=600
	NTTY=2000; NWHERE="2000 4000 8000"
else
	REPS=5; MIN_REPS=3; BUDGET=100; WARM=0.5; DUR=2; RUN_LIMIT=180
	# TPACKET_V3 hands a block to the reader when it is full or after
	# the block timeout (tcpdump: 1 s): live captures are stopped that
	# long after the flood.
	DRAIN=1.5; TRACE_W=""
	FLOOR_LO="drop batch"
	NREAD=1000000; NSMALL=100000; NLIVE=1000000; NREPLAY=1000000
	NJOIN=16000; NTTY=100000; NWHERE="250000 500000 1000000"
fi
# replay_pace: seconds of traffic per paced run (capped at NPACE frames)
# (smoke: tcpdump in immediate mode, so no 1 s block timeout to wait for)
if [ "$SMOKE" -eq 1 ]; then PACE_SECS=0.05; NPACE=2000; PACE_PPS=10000
	PACE_X=10; PACE_TD=--immediate-mode; PACE_DRAIN=0.3
else PACE_SECS=2; NPACE=100000; PACE_PPS="1000 10000 100000"; PACE_X="1 10"
	PACE_TD=; PACE_DRAIN=1.2
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
send_veth	trafgen	hi:1.2	>= 1.2x, one CPU each (issue 19)
send_veth_all	trafgen (all CPUs)	hi:1	>= 1x, every core (issue 19)
read_text	tcpdump	hi:3	>= 3x (issue 4: >= 2x)
read_text	hdp	rss:8192	peak RSS < 8 MiB, flat in file size
read_json	tshark -T json	hi:10	>= 10x
read_json	tcpdump (text)	hi:1	>= 1x
live_w	tcpdump	zero:0	no loss where tcpdump loses none
live_text	tcpdump	lo:0.5	<= 0.5x tcpdump's loss
sniff_tty	tcpdump	zero:0	no more lost or dropped than tcpdump (issue 16)
replay_veth	tcpreplay	hi:1.2	>= 1.2x (issue 19)
replay_pps_1k	tcpreplay --pps	lo:1	no worse than tcpreplay (issue 19)
replay_pps_10k	tcpreplay --pps	lo:1	no worse than tcpreplay (issue 19)
replay_pps_100k	tcpreplay --pps	lo:1	no worse than tcpreplay (issue 19)
replay_speed_x1	tcpreplay --multiplier	lo:1	no worse than tcpreplay (issue 19)
replay_speed_x10	tcpreplay --multiplier	lo:1	no worse than tcpreplay (issue 19)
sweep_lo	hdp	abs:1	< 1 s (issue 5: < 2 s)
join_line	ordinary input	hi:0.333	crafted within 3x ordinary (issue 15)
join_key	ordinary input	hi:0.333	crafted within 3x ordinary (issue 15)
where_4pt	1/4 of the packets	hi:0.8	linear: packets/s at N >= 0.8x at N/4 (issue 19)
where_4pt	hdp	rss:65536	peak RSS < 64 MiB, flat in size (issue 19)
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
		# the references only in the first MIN_REPS repetitions (the
		# 15-minute budget of make bench)
		[ "$REP_I" -le "$MIN_REPS" ] || continue
		if [ -n "$hcmd" ] && hdp_opt send --no-rx-filter; then
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

# ---- flood helper: send_veth, send_veth_all (issue 19, item 3) ----------
# send_veth: link-layer floods across the veth pair, one CPU each (trafgen
# --cpus 1 against hdp on one thread); counted as packets received by vb.
# The first MIN_REPS repetitions also measure hdp's other ways of handing
# frames to the kernel (HDP_SEND_METHOD: sendmmsg or its TX ring, batch
# sizes, PACKET_QDISC_BYPASS) and the libnet floor: the figures the
# default was chosen from.
SEND_VARIANTS="mmsg:64 mmsg:256 ring:64 ring:256+bypass"
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
		[ "$REP_I" -le "$MIN_REPS" ] || continue
		if [ -n "$hcmd" ] && hdp_opt send "--cpus N"; then
			for v in $SEND_VARIANTS; do
				# shellcheck disable=SC2086
				sender_rate "$NSA" "$cnt" "$DUR" env \
					HDP_SEND_METHOD="$v" $hcmd; r=$RATE
				rc_note send_veth "hdp $v"
				rec send_veth "hdp $v" ref rate pps hi "$r" \
					"$(show "HDP_SEND_METHOD=$v $hcmd")"
			done
		fi
		if [ -x "$HDP_FLOOR" ]; then
			f="$HDP_FLOOR -s $((${DUR%.*} + 2)) -I va --dmac $MAC_B $IP_B"
			# shellcheck disable=SC2086
			sender_rate "$NSA" "$cnt" "$DUR" $f; r=$RATE
			rc_note send_veth floor
			rec send_veth floor ref rate pps hi "$r" "$(show "$f")"
		fi
	done
	veth_done
}

# send_veth_all: the same with every core: trafgen's default (one
# process per CPU) against hdp send --cpus all (a sender per core).
b_send_veth_all() {
	veth_path || { note send_veth_all - "veth setup failed"; return; }
	trafgen_cfg
	cnt="cnt_rx $NSB vb"
	peer="trafgen -i $WORK/hdp.trafgen -o va -n $MAXC"
	hcmd="$HDP send -q --flood -c $MAXC --size 32 --cpus all -I va $IP_B"
	hdp_has send && hdp_opt send "--cpus N" ||
		{ hcmd=""; note send_veth_all hdp "hdp send --cpus: not built"; }
	have trafgen || { peer=""; note send_veth_all trafgen "trafgen not installed"; }
	rep_start
	while rep_next; do
		if [ -n "$peer" ]; then
			# shellcheck disable=SC2086
			sender_rate "$NSA" "$cnt" "$DUR" $peer; r=$RATE
			rc_note send_veth_all trafgen
			rec send_veth_all "trafgen (all CPUs)" peer rate pps hi "$r" \
				"$(show "$peer")"
		fi
		if [ -n "$hcmd" ]; then
			# shellcheck disable=SC2086
			sender_rate "$NSA" "$cnt" "$DUR" $hcmd; r=$RATE
			rc_note send_veth_all hdp
			rec send_veth_all hdp hdp rate pps hi "$r" "$(show "$hcmd")"
		fi
	done
	note send_veth_all - "$(nproc) cores; trafgen starts one process per CPU, hdp one pinned thread per CPU"
	veth_done
}
# ---- end of flood helper's send cases -------------------------------------

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
	if hdp_has send && hdp_opt send --pcap-out; then
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
	if hdp_has sniff && hdp_opt sniff --json; then
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
# read_par (issue 19): hdp sniff -r on every core (-j 2 on this machine)
# against one thread of its own (-j 1), tcpdump -n -r and libpcap's read
# floor (tcpdump -w /dev/null with the same filter: reading and BPF, no
# printing), as text, as --json and with a filter that every packet
# passes (BPF runs on each).  hdp's two runs alternate in order from one
# repetition to the next.  Peak RSS with -j 2 for the 1M file and for a
# file ten times larger.
par_pair() {	# par_pair BENCH ARGS...: -j 1 and -j 2, order alternating
	pb=$1; shift
	if [ $((REP_I % 2)) -eq 1 ]; then
		rd "$pb" "-j 1 (hdp)" peer "$HDP" sniff "$@" -j 1
		rd "$pb" hdp hdp "$HDP" sniff "$@" -j 2
	else
		rd "$pb" hdp hdp "$HDP" sniff "$@" -j 2
		rd "$pb" "-j 1 (hdp)" peer "$HDP" sniff "$@" -j 1
	fi
}
b_read_par() {
	make_caps || return
	if ! hdp_has sniff || ! hdp_opt sniff -- --jobs; then
		note read_par hdp "hdp sniff -j: not built"
		return
	fi
	cat >>"$OUT/targets.tsv" <<'EOT'
read_par	-j 1 (hdp)	hi:1.7	>= 1.7x hdp -j 1 (issue 19)
read_par	tcpdump -w (floor)	hi:1	above libpcap's read floor (issue 19)
read_par	tcpdump	hi:10	>= 10x tcpdump -n -r (issue 19)
read_par	hdp	rss:8192	peak RSS < 8 MiB, flat in file size
read_par	hdp (10x pkts)	rss:8192	< 8 MiB for a file 10 times larger
read_par_json	-j 1 (hdp)	hi:1.7	>= 1.7x hdp -j 1 (issue 19)
read_par_filter	-j 1 (hdp)	hi:1.7	>= 1.7x hdp -j 1 (issue 19)
read_par_filter	tcpdump -w (floor)	hi:1	above the read floor (issue 19)
EOT
	flt="ip[8] != 0"
	big=$WORK/hdp-par-$((NREAD * 10)).pcap
	gns=$(ns_add par) || return
	run_timed "$WORK/gen.out" ip netns exec "$gns" "$HDP" send -q --flood \
		-c $((NREAD * 10)) --size 32 --pcap-out "$big" 127.0.0.1
	ip netns del "$gns"
	[ "$LAST_RC" -eq 0 ] || { note read_par - "no 10x file: $(first_err)"; big=""; }
	note read_par - "$(nproc) cores shared with other builds and tests: medians of runs alternated within the same minutes"
	rep_start
	while rep_next; do
		par_pair read_par -n -r "$CAP_N"
		rd read_par tcpdump peer tcpdump -n -r "$CAP_N"
		rd read_par "tcpdump -w (floor)" ref tcpdump -n -r "$CAP_N" \
			-w /dev/null "ip[9] == 255"
		par_pair read_par_json --json -r "$CAP_N"
		par_pair read_par_filter -n -r "$CAP_N" "$flt"
		rd read_par_filter tcpdump peer tcpdump -n -r "$CAP_N" \
			"ip[9] == 255 and $flt"
		rd read_par_filter "tcpdump -w (floor)" ref tcpdump -n \
			-r "$CAP_N" -w /dev/null "ip[9] == 255 and $flt"
		if [ -n "$big" ]; then
			run_timed /dev/null "$HDP" sniff -n -r "$big" -j 2
			rec read_par "hdp (10x pkts)" ref rss KiB lo "$LAST_RSS" \
				"$(show "$HDP sniff -n -r $big -j 2")"
		fi
	done
	[ -z "$big" ] || rm -f "$big"
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
		[ -n "$hcmd" ] && hdp_opt sniff --immediate &&
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
	# the floor: trafgen's own frames from its ring (qdisc bypassed), no
	# file to read: what the veth and vb's IP input cost per frame
	floor="trafgen -i $WORK/hdp.trafgen -o va -n $NREPLAY --cpus 1 -q"
	rep_start
	while rep_next; do
		for t in tcpreplay hdp "trafgen (floor)"; do
			if [ "$t" = tcpreplay ]; then c=$peer; rl=peer
			elif [ "$t" = hdp ]; then c=$hcmd; rl=hdp
			else c=$floor; rl=ref; fi
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
# replay_pace (issue 19): how well hdp replay --pps / --speed keep time,
# side by side with tcpreplay --pps / --multiplier, on the veth.  tcpdump
# on vb (kernel timestamps, nanoseconds) gives each frame's arrival; from
# them: the achieved rate's error against the asked one (%), and the
# p50 / p99 of |gap - asked gap| over every gap (us).  Rates 1k, 10k and
# 100k pps (--pps, PACE_SECS of traffic each, at most NPACE frames), and
# a capture spaced 100 us (10k pps) replayed at its own speed and 10x.

# pace_stats FILE RATE: "error% p50us p99us frames" from the arrivals
# (seconds taken apart from nanoseconds: a double holds no epoch time to
# the nanosecond).
pace_stats() {
	tcpdump -r "$1" -tt --time-stamp-precision=nano -nn 2>/dev/null |
		awk -v r="$2" -v out="$WORK/pace.err" '
		{ split($1, a, "."); if (NR == 1) s0 = a[1]
		  t = (a[1] - s0) + ("0." a[2]); if (NR == 1) f = t
		  else { e = (t - p - 1 / r) * 1e6; print (e < 0 ? -e : e) > out }
		  p = t }
		END { g = NR > 1 && p > f ? (NR - 1) / (p - f) : 0
		  e = (g / r - 1) * 100; if (e < 0) e = -e
		  printf "%.3f %d\n", e, NR }' >"$WORK/pace.sum"
	: >>"$WORK/pace.err"
	sort -g "$WORK/pace.err" >"$WORK/pace.sorted"
	ps_m=$(wc -l <"$WORK/pace.sorted")
	ps_50=$(sed -n "$(( (ps_m + 1) / 2 ))p" "$WORK/pace.sorted")
	ps_99=$(sed -n "$(( (ps_m * 99 + 99) / 100 ))p" "$WORK/pace.sorted")
	read -r ps_e ps_n <"$WORK/pace.sum"
	printf '%s %.2f %.2f %s\n' "$ps_e" "${ps_50:-0}" "${ps_99:-0}" "$ps_n"
	rm -f "$WORK/pace.err"
}

# pace_once BENCH TOOL ROLE RATE FRAMES COMMAND...: one paced run with
# tcpdump on vb; three samples recorded: rate_err, gap_p50, gap_p99.
pace_once() {
	pb=$1 pt=$2 pr=$3 prate=$4 pn=$5; shift 5
	rm -f "$WORK/pace.rx"
	# shellcheck disable=SC2086
	ip netns exec "$NSB" tcpdump -i vb -Q in -nn -s 64 -B 65536 $PACE_TD \
		--time-stamp-precision=nano -w "$WORK/pace.rx" 'ip proto 255' \
		2>"$WORK/pace.td" &
	tp=$!
	B_PIDS="$B_PIDS $tp"
	i=0
	while ! grep -q listening "$WORK/pace.td" && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	run_timed "$WORK/pace.out" ip netns exec "$NSA" "$@"
	# tcpdump (TPACKET_V3, no immediate mode: no wake-up per frame to
	# disturb the senders) hands over a block after 1 s at most
	sleep "$PACE_DRAIN"
	kill -INT "$tp" 2>/dev/null; wait "$tp" 2>/dev/null
	B_PIDS=$(echo "$B_PIDS" | sed "s/ $tp\$//; s/ $tp / /")
	[ "$LAST_RC" -eq 0 ] || note "$pb" "$pt" "exit $LAST_RC: $(first_err)"
	pace_stats "$WORK/pace.rx" "$prate" >"$WORK/pace.last"
	read -r perr p50 p99 got <"$WORK/pace.last"
	[ "${got:-0}" -ge "$pn" ] ||
		note "$pb" "$pt" "only ${got:-0} of $pn frames captured on vb"
	pc=$(show "$*")
	rec "$pb" "$pt" "$pr" rate_err "% rate error" lo "$perr" "$pc"
	rec "$pb" "$pt" "$pr" gap_p50 "us gap error p50" lo "$p50" "$pc"
	rec "$pb" "$pt" "$pr" gap_p99 "us gap error p99" lo "$p99" "$pc"
}

b_replay_pace() {
	veth_path || { note replay_pace - "veth setup failed"; return; }
	have tcpreplay || { note replay_pace tcpreplay "tcpreplay not installed"; veth_done; return; }
	hdp_has replay || { note replay_pace hdp "hdp replay: not built"; veth_done; return; }
	trafgen_cfg
	P=$WORK/pace.pcap; S=$WORK/pace-100us.pcap
	if ! trafgen -i "$WORK/hdp.trafgen" -o "$P" -n "$NPACE" >/dev/null 2>&1 ||
	   ! editcap -S -0.0001 "$P" "$S" >/dev/null 2>&1; then
		note replay_pace - "cannot make the captures (trafgen, editcap)"
		veth_done; return
	fi
	rep_start
	while rep_next; do
		for rate in $PACE_PPS; do
			n=$(awk -v r="$rate" -v s="$PACE_SECS" -v m="$NPACE" \
				'BEGIN { n = int(r * s); print (n > m ? m : n) }')
			pbn=replay_pps_$((rate / 1000))k
			pace_once "$pbn" "tcpreplay --pps" peer "$rate" "$n" \
				tcpreplay -q --pps "$rate" -L "$n" -i va "$P"
			pace_once "$pbn" hdp hdp "$rate" "$n" \
				"$HDP" replay -q -I va --pps "$rate" -c "$n" "$P"
		done
		for x in $PACE_X; do
			n=$(awk -v r=$((10000 * x)) -v s="$PACE_SECS" -v m="$NPACE" \
				'BEGIN { n = int(r * s); print (n > m ? m : n) }')
			pbn=replay_speed_x$x
			pace_once "$pbn" "tcpreplay --multiplier" peer \
				$((10000 * x)) "$n" \
				tcpreplay -q --multiplier "$x" -L "$n" -i va "$S"
			pace_once "$pbn" hdp hdp $((10000 * x)) "$n" \
				"$HDP" replay -q -I va --speed "$x" -c "$n" "$S"
		done
	done
	note replay_pace - "arrival times from tcpdump on vb (kernel timestamps); gap error = |gap - 1/rate|; the capture for --speed/--multiplier is spaced 100 us"
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

# ---- flood helper: where_4pt (issue 19, item 4) -------------------------
# where_4pt: hdp where -q over four capture points of one path (sender,
# router in, router out behind a source NAT, receiver; packets missing at
# later points, TTL rewritten, some reordered at the last: bench/mkwhere.py)
# at three sizes, alternately.  Packets/s of the first point's packets and
# peak RSS; linear time means the same packets/s at every size (the target
# compares N with N/4: 1M with 250k), bounded memory a flat RSS.  Offline, no
# namespace.  No peer tool compares captures of several points.
b_where_4pt() {
	hdp_has where || { note where_4pt hdp "hdp where: not built"; return; }
	have python3 || { note where_4pt hdp "python3 missing"; return; }
	python3 "$top_srcdir/bench/mkwhere.py" "$WORK" "$(echo $NWHERE | tr ' ' ,)" ||
		{ note where_4pt - "cannot make the captures"; return; }
	big=${NWHERE##* }
	rep_start
	while rep_next; do
		for n in $NWHERE; do
			c="$HDP where -q"
			for p in a b c d; do c="$c $WORK/$p-$n.pcap"; done
			# shellcheck disable=SC2086
			run_timed /dev/null $c
			[ "$LAST_RC" -le 1 ] ||
				note where_4pt "$n" "exit $LAST_RC: $(first_err)"
			t="1/2 of the packets" r=ref
			[ "$n" = "${NWHERE%% *}" ] && t="1/4 of the packets" r=peer
			[ "$n" = "$big" ] && t=hdp && r=hdp
			rec where_4pt "$t" "$r" rate pps hi \
				"$(fdiv "$n" "$LAST_SECS" 0)" "$(show "$c")"
			[ "$n" = "$big" ] || t="hdp ($t)"
			rec where_4pt "$t" "$r" rss KiB lo "$LAST_RSS" "$(show "$c")"
		done
	done
	note where_4pt - "4 points, $big packets at the first (NAT and TTL rewritten, 0.3% missing, 1 in 64 reordered at the last); sizes $NWHERE"
}
# ---- end of flood helper's where case -----------------------------------

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
	# MIN_REPS: its rates vary by 2% run to run, and each run costs up
	# to 45 s (a full make bench spent 322 s of its 854 here at 5 reps)
	if [ "$SMOKE" -eq 1 ]; then sv="--smoke"; else sv="--reps $MIN_REPS"; fi
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
# The whole run stays under 15 minutes (issue 19): past SOFT_TOTAL
# seconds every benchmark left runs MIN_REPS repetitions only, and the
# results say which.
SOFT_TOTAL=${SOFT_TOTAL:-660}
for b in $ONLY; do
	tb=$(now_ns)
	if [ "$REPS" -gt "$MIN_REPS" ] &&
	    [ $(( (tb - t_begin) / 1000000000 )) -ge "$SOFT_TOTAL" ]; then
		REPS=$MIN_REPS
		note "$b" - "run past ${SOFT_TOTAL} s: $MIN_REPS repetitions from here on"
	fi
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
