#!/bin/sh
# bench/smoke.sh: make check runs the benchmarks once with tiny sizes
# (bench/run.sh --smoke), so the scripts keep working as hdp grows.  It
# judges that every benchmark ran and produced a result row or said why
# not ("not built", a missing peer); never how fast anything is.
. "$top_srcdir/tests/lib.sh"
need_root
need_cmd ip tcpdump timeout
[ -x /usr/bin/time ] || skip "needs /usr/bin/time (package time)"

out=$TMPD/out
HDP_FLOOR=${top_builddir}/bench/hdp-floor; export HDP_FLOOR
timeout 60 sh "$top_srcdir/bench/run.sh" --smoke --out "$out" \
	>"$TMPD/run.log" 2>&1
rc=$?
expect_eq "run.sh --smoke exits 0" "$rc" 0
[ "$rc" -eq 0 ] || tail -n 20 "$TMPD/run.log" >&2
check "RESULTS.md written" test -s "$out/RESULTS.md"
check "samples recorded" test -s "$out/samples.tsv"
# Every benchmark has hdp measured, or a note saying why not.
for b in send_lo send_veth send_veth_all read_text read_json live_w \
	live_text sniff_tty replay_veth sweep_lo trace_ns join_line join_key \
	where_4pt replay_pps_10k read_par \
	survey; do
	if grep -q "^$b	[^	]*	hdp	" "$out/samples.tsv" ||
	    grep -q "^$b	hdp	.*not built" "$out/notes.tsv"; then
		ok "$b: hdp measured or not built"
	else
		fail "$b: neither a figure nor a reason for hdp"
	fi
done
# The peers that are installed give a figure (the framework works even
# before hdp's subcommands do).
for p in "send_lo	hping3:hping3" "read_text	tcpdump:tcpdump" \
	"send_veth	trafgen:trafgen" "replay_veth	tcpreplay:tcpreplay"; do
	command -v "${p#*:}" >/dev/null 2>&1 || continue
	check "peer ${p%%:*} measured" grep -q "^${p%%:*}	" "$out/samples.tsv"
done
# No figure is empty or negative.
bad=$(awk -F'\t' '$7 == "" || $7 !~ /^[0-9.]+$/' "$out/samples.tsv" | head -n 3)
expect_eq "every sample is a number" "$bad" ""
check "the table has a row for hping3" grep -q "| send_lo | hping3 |" "$out/RESULTS.md"
finish
