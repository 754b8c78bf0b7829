#!/bin/sh
# readme_examples.sh: README.md's examples print what the build prints.
# tests/readme_examples.py finds every code block of the README and the
# comment before it (<!-- checked ... --> or <!-- not checked: reason -->),
# runs the checked ones (offline ones on the shipped captures, live ones in a
# namespace of their own) and compares.  Then it proves it can fail: one
# byte of a copy of the README changed must fail it.
. "$top_srcdir/tests/lib.sh"
need_cmd python3

mkdir -p "$TMPD/bin"
case $HDP in /*) hdp_abs=$HDP;; *) hdp_abs=$PWD/$HDP;; esac
printf '#!/bin/sh\nexec "%s" "$@"\n' "$hdp_abs" >"$TMPD/bin/hdp"
chmod +x "$TMPD/bin/hdp"
export HDP_BIN_DIR="$TMPD/bin"
# the examples run as a fresh user would: no personal Wireshark plugins or
# preferences (another checkout's test may install hdp.lua there meanwhile)
mkdir -p "$TMPD/home"
HOME="$TMPD/home" XDG_CONFIG_HOME="$TMPD/home/.config"
export HOME XDG_CONFIG_HOME
command -v tshark >/dev/null 2>&1 ||
	fatal "tshark is needed for the README's tshark examples"

if [ "$(id -u)" -eq 0 ] && ip netns list >/dev/null 2>&1; then
	# the name only: readme_examples.py makes it afresh for each block,
	# lib.sh's trap removes it (it carries this run's tag)
	NETNS=$(netns_add lab)
	export NETNS
fi

readme="$top_srcdir/README.md"
py="$top_srcdir/tests/readme_examples.py"
if (cd "$top_srcdir" && python3 "$py" "$readme") >"$TMPD/out" 2>&1; then
	ok "README.md: every example prints what it says"
else
	fail "README.md: examples differ from the build's output"
fi
cat "$TMPD/out"

# The check must be able to fail: change one byte of a checked example
# (the first packet's latency, 21.2 -> 21.3) in a copy of the README.
sed '0,/latency 21\.2 us len 10$/s//latency 21.3 us len 10/' "$readme" \
	>"$TMPD/README.md"
cmp -s "$readme" "$TMPD/README.md" && fail "the mutation changed nothing"
if (cd "$top_srcdir" && NETNS= python3 "$py" "$TMPD/README.md") \
	>"$TMPD/out2" 2>&1; then
	fail "a README with one byte changed still passes"
else
	ok "a README with one byte changed fails"
fi
finish
