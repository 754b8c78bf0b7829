#!/bin/sh
# trace_rx_at.sh: hdp trace --rx-at ssh://RECEIVER/d0 takes the capture
# where the probes arrive on the receiver over ssh (a real sshd in its
# namespace of tests/topo.sh's path) and gives the same arrival facts as
# --rx-netns on the same path: R1 masquerades, so each protocol arrives
# with its source translated.  The same through tcpdump, where hdp is not
# on the receiver's PATH (a second sshd, on its IPv6 address).  With R2
# dropping protocol 255, the trace says HDP never arrived at the
# receiver; a point that refuses our key reads "not observed" (arrived
# null, never false) and the exit status is 4; so does a capture whose
# stream holds a record libpcap cannot read.  Nothing is left running in
# the receiver's namespace.
. "$top_srcdir/tests/trace_lib.sh"
. "$top_srcdir/tests/ssh_lib.sh"
path_up
ssh_setup
sshd_start "$NS_D" "$D4" "$(ssh_pathdir with-hdp)"
sshd_start "$NS_D" "$D6" "$(ssh_pathdir no-hdp)"

ip netns exec "$NS_R1" nft -f - <<NFT || fatal "nft on R1"
table ip hdpnat {
	chain postrouting {
		type nat hook postrouting priority srcnat;
		oifname "r1b" masquerade
	}
}
NFT
TR="trace --json -m 6 -w 0.5"
no_line() { ! grep -q "$1" "$2"; }

# per protocol: arrived, and the changes seen on arrival
facts() {
	jq_py "$1" '"\n".join("%s %s %s" % (s["proto"], s["arrived"], sorted((c["field"], c["sent"], c["seen"]) for c in (s.get("arrival_changes") or []))) for s in sel(type="summary"))'
}

in_ns "$NS_S" timeout 60 "$HDP" $TR --rx-netns "$NS_D" "$D4" \
	>"$TMPD/ns.json"
expect_eq "--rx-netns: exit 0" "$?" 0
facts "$TMPD/ns.json" >"$TMPD/ns.facts"
cat "$TMPD/ns.facts"
expect_eq "--rx-netns: HDP arrived, source translated" \
	"$(grep '^hdp ' "$TMPD/ns.facts")" \
	"hdp True [('src', '$S4', '$R1B4')]"

in_ns "$NS_S" timeout 60 "$HDP" $TR --rx-at "ssh://$D4/d0" "$D4" \
	>"$TMPD/at.json" 2>"$TMPD/at.err"
expect_eq "--rx-at ssh://$D4/d0: exit 0" "$?" 0
cat "$TMPD/at.err"
facts "$TMPD/at.json" >"$TMPD/at.facts"
check "--rx-at (hdp sniff there): the arrival facts of --rx-netns" \
	cmp "$TMPD/ns.facts" "$TMPD/at.facts"

in_ns "$NS_S" timeout 60 "$HDP" $TR --rx-at "ssh://[$D6]/d0" "$D4" \
	>"$TMPD/td.json" 2>"$TMPD/td.err"
expect_eq "--rx-at ssh://[$D6]/d0 (tcpdump there): exit 0" "$?" 0
facts "$TMPD/td.json" >"$TMPD/td.facts"
check "--rx-at (tcpdump there): the arrival facts of --rx-netns" \
	cmp "$TMPD/ns.facts" "$TMPD/td.facts"
expect_eq "no capture left on the receiver" \
	"$(ns_procs "$NS_D" 'hdp sniff|tcpdump' | wc -l)" 0

# R2 drops HDP: it never arrives
drop_hdp_at "$NS_R2"
in_ns "$NS_S" timeout 60 "$HDP" trace -m 6 -w 0.5 \
	--probes hdp,icmp --rx-at "ssh://$D4/d0" "$D4" >"$TMPD/drop.txt" \
	2>"$TMPD/drop.err"
rc=$?
check "R2 drops HDP: the point was observed (exit $rc, not 4)" test "$rc" -le 1
cat "$TMPD/drop.txt"
check "R2 drops HDP: it never arrived at the receiver" \
	grep -q "^HDP never arrived at $D4 (capture at ssh://$D4/d0)$" \
	"$TMPD/drop.txt"
check "R2 drops HDP: ICMP arrived" grep -q "^ICMP arrived at $D4 " \
	"$TMPD/drop.txt"
in_ns "$NS_S" timeout 60 "$HDP" $TR --probes hdp,icmp \
	--rx-at "ssh://$D4/d0" "$D4" >"$TMPD/drop.json" 2>/dev/null
expect_eq "R2 drops HDP, JSON: arrived false for hdp, true for icmp" \
	"$(facts "$TMPD/drop.json" | cut -d' ' -f1,2 | tr '\n' ' ')" \
	"hdp False icmp True "

# a point that refuses our key: not observed
HDP_SSH=$SSH_WRONG in_ns "$NS_S" timeout 60 "$HDP" $TR --probes hdp,icmp \
	--rx-at "ssh://$D4/d0" "$D4" >"$TMPD/wrong.json" 2>"$TMPD/wrong.err"
expect_eq "wrong key: exit 4" "$?" 4
cat "$TMPD/wrong.err"
expect_eq "wrong key: one line" "$(wc -l <"$TMPD/wrong.err")" 1
check "wrong key: the line names the point and the refusal" \
	grep -q "^hdp trace: ssh://$D4/d0: .*Permission denied" \
	"$TMPD/wrong.err"
expect_eq "wrong key: arrived null (not observed), never false" \
	"$(facts "$TMPD/wrong.json" | cut -d' ' -f1,2 | tr '\n' ' ')" \
	"hdp None icmp None "
HDP_SSH=$SSH_WRONG in_ns "$NS_S" timeout 60 "$HDP" trace -m 6 -w 0.5 \
	--probes hdp,icmp --rx-at "ssh://$D4/d0" "$D4" \
	>"$TMPD/wrong.txt" 2>/dev/null
check "wrong key, text: arrivals not observed" \
	grep -q "^arrivals at ssh://$D4/d0: not observed$" "$TMPD/wrong.txt"
check "wrong key, text: no 'never arrived'" \
	no_line "never arrived" "$TMPD/wrong.txt"
expect_eq "no capture left on the receiver" \
	"$(ns_procs "$NS_D" 'hdp sniff|tcpdump' | wc -l)" 0

# a capture whose stream holds a record libpcap cannot read (a remote
# "hdp sniff" that writes a pcap header, then a record of 2 GiB, and runs
# until stopped): what follows is unreadable, so the point saw part of
# the run only: not observed, exit 4, never "never arrived"
cat >"$TMPD/badsniff" <<EOF
#!/bin/sh
case "\$1" in
sniff)
	echo "listening on d0, link-type EN10MB" >&2
	printf '\115\074\262\241\002\000\004\000\000\000\000\000'
	printf '\000\000\000\000\000\000\004\000\001\000\000\000'
	printf '\000\000\000\000\000\000\000\000'
	printf '\377\377\377\177\377\377\377\177'
	trap 'kill \$! 2>/dev/null; exit 0' TERM
	sleep 30 &
	wait
	exit 0;;
esac
exec "$SSH_DIR/path-with-hdp/hdp" "\$@"
EOF
chmod 755 "$TMPD/badsniff"
in_ns "$NS_S" timeout 60 "$HDP" trace -m 6 -w 0.5 --probes hdp,icmp \
	--remote-hdp "$TMPD/badsniff" --rx-at "ssh://$D4/d0" "$D4" \
	>"$TMPD/bad.txt" 2>"$TMPD/bad.err"
expect_eq "a bad record in the stream: exit 4" "$?" 4
cat "$TMPD/bad.err"
check "a bad record: said, naming the point" \
	grep -q "^hdp trace: ssh://$D4/d0: .*capture length" "$TMPD/bad.err"
check "a bad record: arrivals not observed" \
	grep -q "^arrivals at ssh://$D4/d0: not observed$" "$TMPD/bad.txt"
check "a bad record: no 'never arrived'" \
	no_line "never arrived" "$TMPD/bad.txt"
expect_eq "no ssh left on the sender" \
	"$(ns_procs "$NS_S" 'ssh' | wc -l)" 0
finish
