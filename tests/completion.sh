#!/bin/sh
# completion.sh: completions/hdp, sourced by a non-interactive bash (with
# bash-completion's library loaded and without it), completes what the
# usage texts say: subcommands from 'hdp --help', options from
# 'hdp help CMD', option arguments (files, interfaces, choices) from the
# option lines.  Once against the hdp built here, once against a stand-in
# whose usage text exercises every form the completion reads.
. "$top_srcdir/tests/lib.sh"

command -v bash >/dev/null 2>&1 || skip "no bash"
COMP=$top_srcdir/completions/hdp
BC=/usr/share/bash-completion/bash_completion

# The completion driver: comp MODE WORD... (the last word, maybe
# empty, is the one under the cursor) prints COMPREPLY sorted, one line.
cat >"$TMPD/complete.bash" <<'EOB'
mode=$1; shift
if [ "$mode" = bc ]; then . "$BC" || exit 3; fi
. "$COMP" || exit 3
complete -p hdp >/dev/null || exit 3
COMP_WORDS=("$@")
COMP_CWORD=$(($# - 1))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
_hdp
printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
EOB
comp() {
	COMP="$COMP" BC="$BC" bash "$TMPD/complete.bash" "$MODE" "$@"
}

# A stand-in hdp: the usage forms of the real ones, fixed, so this test
# does not move when an option is added to the real program.
FAKE=$TMPD/bin/hdp
mkdir -p "$TMPD/bin" "$TMPD/files"
cat >"$FAKE" <<'EOF2'
#!/bin/sh
case "$1 $2" in
"--help "*) cat <<'EOT'
usage: hdp COMMAND [OPTIONS] [ARGS]

commands:
  send    craft and send
  sniff   capture
  where   compare captures

See hdp(1).
EOT
;;
"help send") cat <<'EOT'
usage: hdp send [OPTIONS] DESTINATION

Send to DESTINATION, where `hdp listen --echo` answers.
  -4, -6                 IPv4 / IPv6 only
  --l4 hdp|udp|none      after IP
  -Z, --user USER        run as USER; see 'hdp sniff --only-sniff'
  --dst ADDR   destination address      --pcap-out FILE   exact frames
  --tos N, --traffic-class N  the whole byte; or --dscp N
                         --tee alone, no wait)
  --tee                  with --pcap-out: send and write
EOT
;;
"help sniff") cat <<'EOT'
usage: hdp sniff [-i IFACE | -r FILE] [-w FILE [-U]] [-Q in|out|inout]
                 [BPF EXPRESSION ...]

  -i IFACE       capture on IFACE
  -r FILE        read FILE
EOT
;;
"help replay") cat <<'EOT'
usage: hdp replay [options] [-r] FILE [BPF expression]

  --pps N        packets per second
EOT
;;
"help where") cat <<'EOT'
usage: hdp where [--json] [LABEL=]A.pcap [LABEL=]B.pcap [...]

  --json         JSON lines
EOT
;;
*) exit 2;;
esac
EOF2
chmod +x "$FAKE"
: >"$TMPD/files/a.pcap"
: >"$TMPD/files/b.txt"
F=$TMPD/files

for MODE in plain bc; do
	if [ "$MODE" = bc ] && [ ! -r "$BC" ]; then
		echo "no $BC: checked without bash-completion's library only"
		continue
	fi
	echo "# $MODE"
	# the real program
	expect_eq "$MODE: hdp sn" "$(comp "$HDP" sn)" "sniff"
	expect_eq "$MODE: hdp sniff --js" "$(comp "$HDP" sniff --js)" \
		"--json"
	expect_eq "$MODE: hdp help sn" "$(comp "$HDP" help sn)" "sniff"
	expect_eq "$MODE: hdp --ver" "$(comp "$HDP" --ver)" "--version"
	for c in $("$HDP" --help | sed -n '/^commands:/,/^$/s/^  *\([a-z]*\) .*/\1/p'); do
		case " $(comp "$HDP" "") " in
		*" $c "*) ok "$MODE: hdp TAB offers $c";;
		*) fail "$MODE: hdp TAB does not offer $c";;
		esac
		# every subcommand offers options, and only options (one
		# that is not built yet has none to offer)
		"$HDP" --help | grep -q "^  $c .*(not built yet)" && continue
		got=$(comp "$HDP" "$c" -)
		case "$got" in
		-*) ;;
		*) fail "$MODE: hdp $c -TAB: '$got'";;
		esac
		echo "$got" | tr ' ' '\n' | grep -qv '^-' &&
			fail "$MODE: hdp $c -TAB offers a non-option: $got"
	done
	expect_eq "$MODE: hdp sniff -r DIR/a" \
		"$(comp "$HDP" sniff -r "$F/a")" "$F/a.pcap"
	case " $(comp "$HDP" sniff -i l) " in
	*" lo "*) ok "$MODE: hdp sniff -i l offers lo";;
	*) fail "$MODE: hdp sniff -i l: $(comp "$HDP" sniff -i l)";;
	esac

	# the stand-in's forms
	expect_eq "$MODE: commands" "$(comp "$FAKE" "")" \
		"help send sniff where"
	expect_eq "$MODE: send options (quoted mentions left out)" \
		"$(comp "$FAKE" send -)" \
		"--dscp --dst --l4 --pcap-out --tee --tos --traffic-class --user -4 -6 -Z"
	expect_eq "$MODE: choices" "$(comp "$FAKE" send --l4 "")" \
		"hdp none udp"
	expect_eq "$MODE: synopsis choices" \
		"$(comp "$FAKE" sniff -Q in)" "in inout"
	expect_eq "$MODE: comma list shares USER" \
		"$(comp "$FAKE" send -Z roo)" "root"
	expect_eq "$MODE: second column's FILE" \
		"$(comp "$FAKE" send --pcap-out "$F/")" \
		"$F/a.pcap $F/b.txt"
	expect_eq "$MODE: an option without argument" \
		"$(comp "$FAKE" send --tee --js)" ""
	expect_eq "$MODE: FILE argument" \
		"$(comp "$FAKE" sniff -r "$F/b")" "$F/b.txt"
	expect_eq "$MODE: no files for a BPF expression" \
		"$(comp "$FAKE" sniff "$F/")" ""
	expect_eq "$MODE: a FILE operand after a flag ([-r] FILE)" \
		"$(comp "$FAKE" replay "$F/a")" "$F/a.pcap"
	expect_eq "$MODE: no FILE operand for an option's FILE" \
		"$(comp "$FAKE" sniff "$F/a")" ""
	case " $(comp "$FAKE" send --tee loc) " in
	*" localhost "*) ok "$MODE: DEST completes host names";;
	*) grep -qw localhost /etc/hosts &&
		fail "$MODE: DEST: $(comp "$FAKE" send --tee loc)";;
	esac
	expect_eq "$MODE: *.pcap operands are files" \
		"$(comp "$FAKE" where --json "$F/a")" "$F/a.pcap"
	expect_eq "$MODE: unknown command" \
		"$(comp "$FAKE" nosuch -)" ""
done
finish
