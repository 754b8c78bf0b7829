#!/bin/sh
# send_cli.sh: hdp send's arguments: bad input is refused with exit 2 and
# a message naming it, before anything is sent or written; payloads from
# --data, --file, standard input and --size land in the frame as given.
# Frames are written with --pcap-out (no privileges needed, no network).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/send_lib.sh"
need_cmd tshark

payload() {	# payload FILE: the bytes after the HDP header, in hex
	fields "$1" "ip || ipv6" data.data | cut -c25-
}

# refused: exit 2, a message that names the problem, no file written
refuse() {
	want=$1; shift
	rm -f "$TMPD/r.pcap"
	"$HDP" send --pcap-out "$TMPD/r.pcap" "$@" </dev/null >/dev/null \
		2>"$TMPD/err"; rc=$?
	expect_eq "refused ($*): exit 2" "$rc" 2
	grep -q -- "$want" "$TMPD/err" ||
		fail "refused ($*): message has '$want': $(cat "$TMPD/err")"
	[ -e "$TMPD/r.pcap" ] && fail "refused ($*): nothing written"
}
refuse "'256'" -P 256 127.0.0.1
refuse "'-1'" -P -1 127.0.0.1
refuse "10-2" -P 10-2 127.0.0.1
refuse "'300'" -P 0-10,300 127.0.0.1
refuse "--l4 'tcp'" --l4 tcp 127.0.0.1
refuse "65536" --sport 65536 127.0.0.1
refuse "256" --ttl 256 127.0.0.1
refuse "flow-label" --flow-label 0x100000 ::1
refuse "IPv6 only" --flow-label 1 127.0.0.1
refuse "no destination" -c 1
refuse "one destination" 127.0.0.1 127.0.0.2
refuse "IPv6 address, but IPv4" -4 ::1
refuse "give one payload" --data a --file /etc/hostname 127.0.0.1
refuse "--rate" --rate 0 127.0.0.1
refuse "-i" -i -1 127.0.0.1
# a name that does not resolve, asked inside a namespace of our own: the
# resolver's query cannot leave the machine from there
if [ "$(id -u)" -eq 0 ]; then
	NSR=$(netns_add resolve)
	ip netns exec "$NSR" "$HDP" send --pcap-out "$TMPD/r.pcap" \
		no-such-host.invalid </dev/null >/dev/null 2>"$TMPD/err"
	expect_eq "unresolvable name: exit 2" "$?" 2
	grep -q "no-such-host.invalid" "$TMPD/err" ||
		fail "unresolvable name: message: $(cat "$TMPD/err")"
	[ -e "$TMPD/r.pcap" ] && fail "unresolvable name: nothing written"
fi
refuse "flood" --flood -i 1 127.0.0.1
refuse "--dscp" --tos 1 --dscp 1 127.0.0.1
refuse "65535" --size 65530 127.0.0.1
refuse "out of range" -c -1 127.0.0.1
refuse "out of range" -i -1 127.0.0.1
refuse "'x' is not a number" -c x 127.0.0.1
refuse "999.1.1.1: not a valid IPv4 address" 999.1.1.1
# an input file that cannot be opened: the system refused (4), one line
"$HDP" send --pcap-out "$TMPD/r.pcap" --file "$TMPD/no-such-file" 127.0.0.1 \
	</dev/null >/dev/null 2>"$TMPD/err"; rc=$?
expect_eq "--file missing: exit 4" "$rc" 4
expect_eq "--file missing: one line naming it" "$(cat "$TMPD/err")" \
	"hdp send: $TMPD/no-such-file: No such file or directory"
refuse "--frag" --size 2000 --mtu 1500 127.0.0.1

"$HDP" send --tee 127.0.0.1 </dev/null >/dev/null 2>"$TMPD/err"; rc=$?
expect_eq "--tee alone: exit 2" "$rc" 2
grep -q "needs --pcap-out" "$TMPD/err" || fail "--tee alone: message"

# payload sources
"$HDP" send -q --pcap-out "$TMPD/d.pcap" --data "hi" 127.0.0.1 </dev/null >/dev/null
expect_eq "--data" "$(payload "$TMPD/d.pcap")" 6869
printf 'moo\n' | "$HDP" send -q --pcap-out "$TMPD/s.pcap" --file - 127.0.0.1 \
	>/dev/null 2>"$TMPD/err"
expect_eq "standard input (--file -)" "$(payload "$TMPD/s.pcap")" 6d6f6f0a
grep -q "payload: 4 bytes from standard input" "$TMPD/err" ||
	fail "--file -: source and size said: $(cat "$TMPD/err")"
# standard input is not read unless asked: a pipe or a regular file
printf 'moo\n' | "$HDP" send -q --pcap-out "$TMPD/s2.pcap" 127.0.0.1 >/dev/null
expect_eq "a pipe is not read unasked" "$(payload "$TMPD/s2.pcap")" ""
printf 'moo\n' >"$TMPD/in"
"$HDP" send --pcap-out "$TMPD/s3.pcap" 127.0.0.1 <"$TMPD/in" >/dev/null \
	2>"$TMPD/err"
expect_eq "a file is not read unasked" "$(payload "$TMPD/s3.pcap")" ""
grep -q "standard input is not read" "$TMPD/err" ||
	fail "unread standard input is said: $(cat "$TMPD/err")"
# issue 16's loop: every host of the file gets its packet
printf '127.0.0.1\n127.0.0.2\n127.0.0.3\n' >"$TMPD/hosts"
i=0
while read -r ip; do
	i=$((i + 1))
	"$HDP" send -q --pcap-out "$TMPD/loop$i.pcap" "$ip" >/dev/null 2>&1
done <"$TMPD/hosts"
expect_eq "a read loop reaches every host" "$i" 3
set -- $(fields "$TMPD/loop3.pcap" ip ip.dst)
expect_eq "the loop's last host" "${1:-}" 127.0.0.3
# the address is said when it is not what was typed, as ping does
"$HDP" send -q --pcap-out "$TMPD/n.pcap" 127.1 </dev/null >/dev/null \
	2>"$TMPD/err"
expect_eq "127.1 is 127.0.0.1" "$(cat "$TMPD/err")" \
	"hdp send: 127.1 is 127.0.0.1"
set -- $(fields "$TMPD/n.pcap" ip ip.dst)
expect_eq "127.1 sent to 127.0.0.1" "${1:-}" 127.0.0.1
printf 'filedata' >"$TMPD/f"
"$HDP" send -q --pcap-out "$TMPD/f.pcap" --file "$TMPD/f" ::1 </dev/null >/dev/null
expect_eq "--file, IPv6" "$(payload "$TMPD/f.pcap")" 66696c6564617461
"$HDP" send -q --pcap-out "$TMPD/z.pcap" --size 5 127.0.0.1 </dev/null >/dev/null
expect_eq "--size pattern" "$(payload "$TMPD/z.pcap")" 0001020304
"$HDP" send -q --pcap-out "$TMPD/y.pcap" --data ab --size 5 127.0.0.1 \
	</dev/null >/dev/null
expect_eq "--size repeats the data" "$(payload "$TMPD/y.pcap")" 6162616261
"$HDP" send -q --pcap-out "$TMPD/e.pcap" 127.0.0.1 </dev/null >/dev/null
echo ignored | "$HDP" send -q --pcap-out "$TMPD/e2.pcap" --data '' 127.0.0.1 \
	>/dev/null
expect_eq "--data '' ignores standard input" "$(payload "$TMPD/e2.pcap")" ""
"$HDP" send -q --pcap-out "$TMPD/t0.pcap" --timestamp 0 127.0.0.1 \
	</dev/null >/dev/null
set -- $(fields "$TMPD/t0.pcap" ip data.data)
expect_eq "--timestamp 0 pins zero" "${1:-}" 01a401a40000000000000000
expect_eq "no payload" "$(payload "$TMPD/e.pcap")" ""
"$HDP" send -q --pcap-out "$TMPD/h.pcap" -4 localhost </dev/null >/dev/null
set -- $(fields "$TMPD/h.pcap" ip ip.dst)
expect_eq "a host name resolves" "${1:-}" 127.0.0.1
"$HDP" send -q --pcap-out "$TMPD/a.pcap" -P all --data x 127.0.0.1 </dev/null >/dev/null
n=$(fields "$TMPD/a.pcap" "ip" ip.proto | sort -un | wc -l)
expect_eq "-P all: 256 protocol numbers" "$n" 256
# --frag with --mtu into a file, no network needed
"$HDP" send -q --pcap-out "$TMPD/g.pcap" --frag --mtu 576 --size 1000 \
	127.0.0.1 </dev/null >/dev/null
n=$(fields "$TMPD/g.pcap" "ip" ip.flags.mf | wc -l)
expect_eq "--frag --mtu 576: 2 fragments" "$n" 2

# options may follow the destination, as GNU getopt allows
"$HDP" send --pcap-out "$TMPD/perm.pcap" 127.0.0.1 -q -c 2 --data x \
	</dev/null >"$TMPD/out" 2>&1
n=$(fields "$TMPD/perm.pcap" ip ip.dst | wc -l)
expect_eq "options after the destination: -c 2" "$n" 2
grep -q '^2 packets' "$TMPD/out" || fail "options after the destination: -q"

"$HDP" send --help >"$TMPD/help"; rc=$?
expect_eq "--help exits 0" "$rc" 0
for o in -P --l4 --sport --dport --timestamp --src --ttl --hop-limit --tos \
	--dscp --ecn --id --df --traffic-class --flow-label --data --file \
	--size --frag --mtu -c -i --rate --flood -I --pcap-out --tee --force \
	--rx-filter --json -q; do
	grep -q -- "$o" "$TMPD/help" || fail "--help documents $o"
done

finish
