#!/bin/sh
# survey_shared.sh: many target addresses on one host (the receiver's
# namespace, the kernel's default ICMP rate limits).  Linux keeps one
# ICMP error budget per host it answers (a burst of 6, then one a
# second), shared by all the addresses of the answering namespace: most
# of the protocol and port unreachables are never sent.  Every protocol
# reaches every address, so no target may be called broken for a
# missing answer the budget explains: only misses proven by a later
# probe of the same repetition being answered count.
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
finish
