#!/bin/sh
# survey_shared.sh: many target addresses on one host (the receiver's
# namespace, the kernel's default ICMP rate limits).  Linux keeps one
# ICMP error budget per host it answers (a burst of 6, then one a
# second), shared by all the addresses of the answering namespace: most
# of the protocol and port unreachables are never sent.  Every protocol
# reaches every address, so no target may be called broken for a
# missing answer the budget explains: only misses proven by a later
# probe of the same repetition being answered count.
# Then a target listed twice (and inside a prefix also listed), with
# one target in flight at a time (--rate 6): probed and recorded once.
. "$top_srcdir/tests/trace_lib.sh"
path_up default

: >"$TMPD/targets"
i=100
while [ $i -lt 116 ]; do
	in_ns "$NS_D" ip addr add 10.0.3.$i/24 dev d0
	echo 10.0.3.$i >>"$TMPD/targets"
	i=$((i + 1))
done
in_ns "$NS_S" "$HDP" survey -T "$TMPD/targets" -o "$TMPD/out.json" \
	--repeat 2 -w 1 --no-trace -q >"$TMPD/run.txt" 2>&1
expect_eq "survey exits 0" "$?" 0
cat "$TMPD/run.txt"
J="$TMPD/out.json"
expect_eq "16 targets, 6 records each" \
	"$(jq_py "$J" "len(sel(type='result'))")" 96
expect_eq "no target broken (every protocol reaches it)" \
	"$(jq_py "$J" "sorted(set(o['target']+' '+o['proto'] for o in sel(type='result',category='broken')))")" "[]"
expect_eq "tcp and icmp work everywhere" \
	"$(jq_py "$J" "len([o for o in sel(type='result') if o['proto'] in ('tcp','icmp') and o['category']=='works'])")" 32
expect_eq "the budget's first answers: something works" \
	"$(jq_py "$J" "len(sel(type='result',proto='hdp',category='works')) > 0")" True
expect_eq "no conclusion is said as such" \
	"$(jq_py "$J" "sorted(set(o['evidence'] for o in sel(type='result',category='offline')))" | grep -c none)" 0

# --- duplicates, not in flight together ------------------------------------
in_ns "$NS_S" "$HDP" survey --rate 6 --repeat 1 -w 0.5 --no-trace -q \
	"$R1A4" "$R2A4" "$R1A4" 10.0.3.0/30 "$D4" -o "$TMPD/dup.json" \
	>/dev/null 2>&1
expect_eq "duplicates: survey exits 0" "$?" 0
expect_eq "duplicates: each target's records once" \
	"$(jq_py "$TMPD/dup.json" "sorted((t, len(sel(type='result',target=t))) for t in set(o['target'] for o in sel(type='result')))")" \
	"[('$R1A4', 6), ('$R2A4', 6), ('$R2B4', 6), ('$D4', 6)]"
expect_eq "duplicates: the summary counts 4 targets" \
	"$(jq_py "$TMPD/dup.json" "[s['targets'] for s in sel(type='summary',proto='icmp')]")" "[4]"
finish
