#!/bin/sh
# sweep_voice.sh: hdp sweep speaks in the one voice every subcommand has
# (issue 16): one exit status per kind of failure (a missing input file
# 4, an output file that exists 2 naming the option that allows it, an
# interface that does not exist 4, no privileges 3, a bad option or
# value 2), one line "hdp sweep: what: why" with the name said once
# (then "try 'hdp help sweep'" for usage errors, never the whole help),
# "-1" out of range, and nothing on standard output -- no empty table --
# when the sweep does not start.  Options may follow DEST.  Nothing here
# sends a packet: every case fails before the first send (the route
# lookups are netlink questions to the kernel), and the one that needs a
# route without one asks inside a namespace of our own.
. "$top_srcdir/tests/lib.sh"

# in TMPD: the messages name the files as the README's table shows them
HDP=$(cd "$(dirname "$HDP")" && pwd)/$(basename "$HDP")
README=$(cd "$top_srcdir" && pwd)/README.md
cd "$TMPD" || fatal "cd $TMPD"

# voice DESC RC LINES WANT CMD...: exit RC, LINES lines on stderr, the
# first one exactly WANT, nothing on standard output
voice() {
	desc=$1 want_rc=$2 want_n=$3 want=$4; shift 4
	"$@" >out 2>err </dev/null; rc=$?
	expect_eq "$desc: exit $want_rc" "$rc" "$want_rc"
	expect_eq "$desc: $want_n line(s) on stderr" \
		"$(wc -l <err | tr -d ' ')" "$want_n"
	expect_eq "$desc: the message" "$(head -n 1 err)" "$want"
	if [ "$want_n" -eq 2 ]; then
		expect_eq "$desc: then where to look" \
			"$(sed -n 2p err)" "try 'hdp help sweep'"
	fi
	check "$desc: nothing on standard output" [ ! -s out ]
}
# readme DESC: the README's table of failures shows the message
readme() {
	check "$1: README.md shows it" grep -qF -- "| \`$(head -n 1 err)\` |" \
		"$README"
}
# once DESC WORD: WORD is in the message once, not twice
once() {
	expect_eq "$1: '$2' said once" \
		"$(grep -o -F -- "$2" err | wc -l | tr -d ' ')" 1
}

# ---- bad options and values: 2, one line and where to look ----------------
voice "unknown option" 2 2 "hdp sweep: -k: unknown option" \
	"$HDP" sweep -k 127.0.0.1
voice "missing argument" 2 2 "hdp sweep: -c: needs an argument" \
	"$HDP" sweep 127.0.0.1 -c
voice "-c -1" 2 2 "hdp sweep: -c '-1' is out of range 1-100" \
	"$HDP" sweep -c -1 127.0.0.1
readme "-c -1"
voice "-c after DEST" 2 2 "hdp sweep: -c '101' is out of range 1-100" \
	"$HDP" sweep 127.0.0.1 -c 101
voice "-c text" 2 2 "hdp sweep: -c 'many' is not a number" \
	"$HDP" sweep -c many 127.0.0.1
voice "--wait -1" 2 2 "hdp sweep: --wait '-1' is out of range 0-60000" \
	"$HDP" sweep --wait -1 127.0.0.1
voice "-s -1" 2 2 "hdp sweep: -s '-1' is out of range 0-1400" \
	"$HDP" sweep -s -1 127.0.0.1
voice "--sport -1" 2 2 "hdp sweep: --sport '-1' is out of range 0-65535" \
	"$HDP" sweep --sport -1 127.0.0.1
voice "-P -1" 2 2 "hdp sweep: -P: protocol '-1' is out of range 0-255" \
	"$HDP" sweep -P -1 127.0.0.1
voice "-P 256" 2 2 "hdp sweep: -P: protocol '256' is out of range 0-255" \
	"$HDP" sweep -P 256 127.0.0.1
once "-P 256" 256
voice "--method" 2 2 \
	"hdp sweep: --method 'raw' is not libnet, socket or both" \
	"$HDP" sweep --method raw 127.0.0.1
voice "no destination" 2 2 "hdp sweep: a destination is needed" \
	"$HDP" sweep -c 1
voice "two destinations" 2 2 "hdp sweep: one destination only" \
	"$HDP" sweep 127.0.0.1 127.0.0.2
voice "--join with one file" 2 2 \
	"hdp sweep: --join needs TX.json and RX.json" \
	"$HDP" sweep --join tx.json
voice "--join with -o" 2 2 \
	"hdp sweep: -o: not with --join (-o keeps a sweep's own results)" \
	"$HDP" sweep --join -o joined.json tx.json rx.json
check "--join with -o: no file made" [ ! -e joined.json ]
"$HDP" sweep --help >out 2>&1
expect_eq "--help: exit 0" "$?" 0
check "--help: the usage" grep -q "^usage: hdp sweep" out

# ---- input files: missing 4, bad contents 2 ----------------------------------
printf '{"layer":"pcap"}\n' >rx.json
voice "--join, TX missing" 4 1 \
	"hdp sweep: none.json: No such file or directory" \
	"$HDP" sweep --join none.json rx.json
once "--join, TX missing" none.json
readme "--join, TX missing"
voice "--join, options after the files" 4 1 \
	"hdp sweep: none.json: No such file or directory" \
	"$HDP" sweep --join none.json rx.json --json
printf '{"proto":255,"verdict":"delivered","packets":[{"ts":1}]}\n' \
	>tx.json
voice "--join, RX missing" 4 1 \
	"hdp sweep: gone.json: No such file or directory" \
	"$HDP" sweep --join tx.json gone.json
printf 'not json\n' >bad.json
voice "--join, TX not a sweep's" 2 1 \
	"hdp sweep: bad.json:1: not a line of hdp sweep --json" \
	"$HDP" sweep --join bad.json rx.json
if [ "$(id -u)" -ne 0 ]; then
	: >locked.json; chmod 000 locked.json
	voice "--join, TX unreadable" 4 1 \
		"hdp sweep: locked.json: Permission denied" \
		"$HDP" sweep --join locked.json rx.json
fi

# ---- -o FILE that exists: 2, naming --force; the file kept as it was ------
voice "-o over a file" 2 1 \
	"hdp sweep: tx.json: exists (use --force to overwrite)" \
	"$HDP" sweep -P 255 -c 1 -o tx.json 127.0.0.1
check "-o over a file: the file untouched" grep -q '"verdict"' tx.json
once "-o over a file" tx.json
readme "-o over a file"

# ---- an interface that does not exist: 4, its name once ----------------------
voice "scope naming no interface" 4 1 \
	"hdp sweep: fe80::1%nosuch0: no such interface" \
	"$HDP" sweep -P 255 -c 1 'fe80::1%nosuch0'
once "scope naming no interface" nosuch0
readme "scope naming no interface"

[ "$(id -u)" -eq 0 ] || { finish; }
need_cmd ip

# ---- no route: 4, the address once ----------------------------------------------
NS=$(netns_add voice)
voice "no route" 4 1 \
	"hdp sweep: no route to 10.9.9.9: Network is unreachable" \
	ip netns exec "$NS" "$HDP" sweep -P 255 -c 1 10.9.9.9
once "no route" 10.9.9.9
readme "no route"

# ---- no privileges: 3, one line, no table, no -o file left behind ---------
if command -v setpriv >/dev/null 2>&1 && id nobody >/dev/null 2>&1; then
	mkdir w && chmod 777 w && chmod 755 .
	voice "unprivileged" 3 1 \
		"hdp sweep: raw sockets need root or CAP_NET_RAW" \
		ip netns exec "$NS" setpriv --reuid=nobody --regid=nogroup \
		--clear-groups --inh-caps=-all "$HDP" sweep -P 255 -c 1 \
		-o w/tx.json 127.0.0.1
	readme "unprivileged"
	check "unprivileged: no -o file left behind" [ ! -e w/tx.json ]
	# another host (a veth pair inside the namespace, nothing sent):
	# no listeners, the capture is what needs the privilege
	ip -n "$NS" link add va type veth peer name vb &&
	ip -n "$NS" addr add 10.9.0.1/24 dev va && ip -n "$NS" link set va up &&
	ip -n "$NS" link set vb up || fatal "veth in $NS"
	ip netns exec "$NS" setpriv --reuid=nobody --regid=nogroup \
		--clear-groups --inh-caps=-all "$HDP" sweep -P 255 -c 1 \
		10.9.0.2 >out 2>err; rc=$?
	expect_eq "unprivileged, another host: exit 3" "$rc" 3
	expect_eq "unprivileged, another host: one line" \
		"$(wc -l <err | tr -d ' ')" 1
	# libpcap's own words vary with its version
	case $(cat err) in
	"hdp sweep: libpcap: any: "*"; needs root or CAP_NET_RAW and CAP_NET_ADMIN")
		ok "unprivileged, another host: the message" ;;
	*)	fail "unprivileged, another host: the message: $(cat err)" ;;
	esac
	check "unprivileged, another host: nothing on standard output" \
		[ ! -s out ]
fi
finish
