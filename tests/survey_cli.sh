#!/bin/sh
# survey_cli.sh: hdp survey's options and inputs, refused in one line
# with the documented exit status before anything is sent (no
# privileges needed: every case stops before a socket is opened).
. "$top_srcdir/tests/lib.sh"

# run WANT_RC PATTERN ARGS...: hdp survey ARGS exits WANT_RC and says
# PATTERN (grep -E) on stderr, in one line
run() {
	want=$1; pat=$2; shift 2
	"$HDP" survey "$@" >"$TMPD/out" 2>"$TMPD/err"
	rc=$?
	expect_eq "survey $* exits $want" "$rc" "$want"
	grep -Eq -- "$pat" "$TMPD/err" || fail "survey $*: stderr '$(cat "$TMPD/err")' lacks '$pat'"
	[ "$(grep -c '^hdp survey:' "$TMPD/err")" -le 1 ] ||
		fail "survey $*: more than one error line"
}

run 2 'no targets' -o "$TMPD/x.json"
run 2 "'nonsense' is not an address or prefix" nonsense
run 2 'a prefix of at most 256 addresses' 10.1.0.0/16
run 2 'target 2: .*not an address' 10.0.0.1 10.0.0.300
run 2 '-P 17 is a baseline' -P 17 10.0.0.1
run 2 '--repeat.*out of range' --repeat 0 10.0.0.1
run 2 '--repeat.*out of range' --repeat 17 10.0.0.1
run 2 '--rate.*out of range' --rate 0 10.0.0.1
run 2 "-w 'x' is not a number" -w x 10.0.0.1
run 2 'not a .png or .svg' --plot "$TMPD/p.pdf" 10.0.0.1
run 2 'ssh://' --from elsewhere 10.0.0.1
run 2 'given twice' --from local --from local 10.0.0.1
run 2 'unknown option' --bogus 10.0.0.1
run 4 "-T $TMPD/none: No such file" -T "$TMPD/none"
printf '10.0.0.1\n# fine\n\n10.0.0.x\n' >"$TMPD/t"
run 2 "$TMPD/t:4: '10.0.0.x' is not an address" -T "$TMPD/t"
printf '10.0.0.0/8\n' >"$TMPD/t2"
run 2 "$TMPD/t2:1: 10.0.0.0/8: a prefix" -T "$TMPD/t2"
printf 'fd00::/64x\n' >"$TMPD/ex"
run 2 "$TMPD/ex:1: 'fd00::/64x' is not an address" --exclude "$TMPD/ex" \
	10.0.0.1
run 4 "--exclude $TMPD/nope" --exclude "$TMPD/nope" 10.0.0.1
# -o must be a file: a directory is refused
run 2 "-o $TMPD: Is a directory" -o "$TMPD" 10.0.0.1
# --plot over an existing file needs --force
: >"$TMPD/p.png"
run 2 'exists.*--force' --plot "$TMPD/p.png" 10.0.0.1
# no privileges: exit 3, said once (as nobody, with no capability)
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		--bounding-set=-all "$HDP" survey 127.0.0.1 >/dev/null \
		2>"$TMPD/err"
	expect_eq "no privileges: exit 3" "$?" 3
	grep -q 'raw sockets need root or CAP_NET_RAW' "$TMPD/err" ||
		fail "no privileges: $(cat "$TMPD/err")"
fi
# help: every option the usage lists
"$HDP" help survey >"$TMPD/help" || fail "hdp help survey"
for o in -T --from -P --repeat --rate --exclude -o --json --plot --force \
	-w --no-trace --tcp-port --udp-port -4 -6 -q; do
	grep -q -- "  $o" "$TMPD/help" || grep -q -- ", $o" "$TMPD/help" ||
		fail "usage lacks $o"
done
finish
