#!/bin/sh
# libhdp as a user gets it: `make install DESTDIR=stage`, then the example
# examples/hdp_decode.c compiled with nothing but what pkg-config says
# about the INSTALLED libhdp (headers, libhdp.so.0, libhdp.pc), run
# against the installed libhdp.so.0 (LD_LIBRARY_PATH), on every shipped
# capture.  Its output must equal hdp sniff's field for field (--json)
# and line for line in every text form.  Also: the installed tree holds
# the headers, the soname link, the man page and the examples, and the
# second example (build into a buffer, decode back) runs installed too.
. "$top_srcdir/tests/lib.sh"
need_cmd pkg-config python3 "${CC:-cc}"
[ -x "$HDP" ] || fatal "$HDP not built"

STAGE="$TMPD/stage"
# a make of its own: the harness's job server is not ours to share
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL ${MAKE:-make} -s -C "$top_builddir" \
	install DESTDIR="$STAGE" > "$TMPD/install.log" 2>&1 ||
	{ cat "$TMPD/install.log" >&2; fatal "make install DESTDIR=$STAGE"; }

pc=$(find "$STAGE" -name libhdp.pc)
[ -n "$pc" ] || fatal "no libhdp.pc installed under $STAGE"
so=$(find "$STAGE" -name libhdp.so.0)
[ -n "$so" ] || fatal "no libhdp.so.0 installed"
libdir=$(dirname "$so")
for h in hdp.h build.h print.h; do
	[ -n "$(find "$STAGE" -path "*/include/hdp/$h")" ] || fail "include/hdp/$h not installed"
done
[ -n "$(find "$STAGE" -path '*/man3/libhdp.3')" ] || fail "libhdp.3 not installed"
[ -n "$(find "$STAGE" -path '*/examples/hdp_decode.c')" ] || fail "examples/hdp_decode.c not installed"
[ -z "$(find "$STAGE" -name 'hdp_print.h' -o -name 'hdp_build.h')" ] ||
	fail "an internal header was installed"

# pkg-config sees only the staged libhdp.pc (and the system's libpcap);
# the sysroot prefixes its -I and -L with the stage
export PKG_CONFIG_PATH="$(dirname "$pc")"
export PKG_CONFIG_SYSROOT_DIR="$STAGE"
flags=$(pkg-config --cflags --libs libhdp) || fatal "pkg-config libhdp"
case $flags in *"$STAGE"*) ok "pkg-config points into the stage: $flags";;
	*) fail "pkg-config flags do not name the stage: $flags";; esac
expect_eq "pkg-config --modversion" "$(pkg-config --modversion libhdp)" \
	"$("$HDP" --version | awk '{ print $NF; exit }')"

# the user's compile: cc FILE $(pkg-config --cflags --libs libhdp), with
# the sanitizer flags of this build when libhdp.so has them
for ex in hdp_decode hdp_build; do
	# shellcheck disable=SC2086
	${CC:-cc} -Wall -Wextra -Werror \
		${SAN_CFLAGS:-} -o "$TMPD/$ex" "$top_srcdir/examples/$ex.c" \
		$flags > "$TMPD/cc.log" 2>&1 ||
		{ cat "$TMPD/cc.log" >&2; fatal "compiling examples/$ex.c against the installed libhdp"; }
done
ok "examples compile against the installed headers alone"

export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
used=$(ldd "$TMPD/hdp_decode" | awk '$1 == "libhdp.so.0" { print $3 }')
expect_eq "the example loads the installed libhdp.so.0" "$used" "$so"

# every shipped capture: JSON field for field, text forms line for line
n=0 objs=0
for f in "$top_srcdir"/pcaps/*.pcap "$top_srcdir"/pcaps/*.pcapng \
	 "$top_srcdir"/pcaps/realworld/*.pcap "$top_srcdir"/pcaps/realworld/*.pcapng; do
	[ -f "$f" ] || continue
	b=$(basename "$f")
	if ! "$HDP" sniff -r "$f" --json --nano --filter '' > "$TMPD/want.json" 2>/dev/null; then
		# hdp refuses it (a link type it does not decode): so must the example
		if "$TMPD/hdp_decode" "$f" json > /dev/null 2>&1; then
			fail "$b: hdp sniff refuses it, the example did not"
		fi
		continue
	fi
	"$TMPD/hdp_decode" "$f" json > "$TMPD/got.json" 2> "$TMPD/err" ||
		{ fail "$b: example failed: $(cat "$TMPD/err")"; continue; }
	python3 - "$TMPD/want.json" "$TMPD/got.json" "$b" > "$TMPD/cmp" <<'PY' ||
import json, sys
want = [json.loads(l) for l in open(sys.argv[1])]
got = [json.loads(l) for l in open(sys.argv[2])]
name = sys.argv[3]
if len(want) != len(got):
    sys.exit(f"{name}: {len(got)} objects, hdp sniff printed {len(want)}")
for i, (w, g) in enumerate(zip(want, got)):
    for k in sorted(set(w) | set(g)):
        if w.get(k, "<absent>") != g.get(k, "<absent>"):
            sys.exit(f"{name}: packet {i + 1}: {k}: {g.get(k, '<absent>')!r}, "
                     f"hdp sniff: {w.get(k, '<absent>')!r}")
print(len(want))
PY
		{ fail "$(cat "$TMPD/cmp")"; continue; }
	objs=$((objs + $(cat "$TMPD/cmp")))
	for form in line:'' verbose:--decode table:--table hex:-X; do
		"$HDP" sniff -r "$f" --nano --filter '' ${form#*:} > "$TMPD/want.txt" 2>/dev/null
		"$TMPD/hdp_decode" "$f" "${form%%:*}" > "$TMPD/got.txt" 2>/dev/null ||
			fail "$b: example failed in form ${form%%:*}"
		cmp -s "$TMPD/want.txt" "$TMPD/got.txt" ||
			fail "$b: form ${form%%:*} differs from hdp sniff ${form#*:}: $(diff "$TMPD/want.txt" "$TMPD/got.txt" | head -3 | tr '\n' ' ')"
	done
	n=$((n + 1))
done
[ "$n" -ge 10 ] || fail "only $n captures compared"
[ "$objs" -ge 50 ] || fail "only $objs packets compared"
ok "$n captures, $objs packets: the installed example prints what hdp sniff prints"

# errors: a missing file, a bad form
"$TMPD/hdp_decode" "$TMPD/none.pcap" > /dev/null 2>&1 && fail "a missing file gave status 0"
"$TMPD/hdp_decode" "$top_srcdir/pcaps/lo4.pcap" nosuchform > /dev/null 2>&1 &&
	fail "a bad form gave status 0"

"$TMPD/hdp_build" "$TMPD/built.pcap" > "$TMPD/built.json" ||
	fail "the installed hdp_build example failed"
"$HDP" sniff -r "$TMPD/built.pcap" --json --filter '' 2>/dev/null | cmp -s - "$TMPD/built.json" ||
	fail "hdp_print_frame_buf's JSON differs from hdp sniff's on the built packets"

finish
