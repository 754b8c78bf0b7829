# send_lib.sh: capture helpers for the hdp send tests (source after lib.sh).

# cap_start NS IFACE FILE [BPF...]: tcpdump writing FILE until cap_stop.
# Immediate mode (every packet at once) unless CAP_BATCH=1: at a steady
# rate immediate mode can hold only about one packet per ring block, so
# long captures batch and cap_stop waits for the last block to retire.
cap_start() {
	_cns=$1 _cif=$2 CAP_FILE=$3
	shift 3
	_imm=--immediate-mode
	[ "${CAP_BATCH:-0}" = 1 ] && _imm=
	# shellcheck disable=SC2086
	bg ip netns exec "$_cns" tcpdump $_imm -B 8192 -U -n -s 0 -i "$_cif" \
		-w "$CAP_FILE" "$@" 2>"$CAP_FILE.err"
	CAP_PID=$BG_PID
	_i=0
	while ! grep -q "listening on" "$CAP_FILE.err" 2>/dev/null &&
	      [ "$_i" -lt 50 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	grep -q "listening on" "$CAP_FILE.err" || fatal "tcpdump did not start"
}

# cap_stop: let the last packets land, then stop tcpdump (it flushes).
cap_stop() {
	if [ "${CAP_BATCH:-0}" = 1 ]; then sleep 1.5; else sleep 0.3; fi
	kill "$CAP_PID" 2>/dev/null
	wait "$CAP_PID" 2>/dev/null
}

# fields FILE FILTER FIELD...: tshark's values, one packet a line.
fields() {
	_f=$1 _y=$2
	shift 2
	_args=""
	for _e in "$@"; do _args="$_args -e $_e"; done
	# shellcheck disable=SC2086
	tshark -n -r "$_f" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
		-Y "$_y" -T fields -E separator=' ' $_args 2>/dev/null
}
