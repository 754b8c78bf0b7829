#!/bin/sh
# ci-packages.sh: build the Debian packages (debian/) from a copy of this
# tree, check them with lintian, install them, check what they installed
# on loopback, and purge them.  CI's fifth part (.ci/run); run it as root
# on Debian 12 (it installs and removes packages, adds and removes a
# user); a few minutes on 2 cores.
#
# One "PASS: what" or "FAIL: what" line per check, then automake-style
# "# PASS: n" / "# FAIL: n" lines that .ci/run adds to its totals; exit 1
# when a check failed.  Everything it sends goes to 127.0.0.1 on lo.
# On exit (also on failure) the packages it installed are purged, its
# user removed, its processes ended and its files deleted.
#
# Checks: the build (DEB_BUILD_OPTIONS=nocheck), lintian without errors,
# the packages' contents, install with the capture group (debconf yes),
# the installed hdp --version, send and sniff on lo as root, the example
# examples/hdp_decode.c built against the installed libhdp-dev with
# pkg-config and run on pcaps/lo4.pcap (timestamps compared with hdp
# sniff --json), the Lua plugin loaded by tshark from Wireshark's global
# folder, send and sniff on lo as a non-root member of group hdp (and
# refused to a non-member, kept across a reinstall, and refused to the
# member once the answer is no), the bash completion as bash-completion
# loads it, and the purge.
set -u
# no terminal in CI: debconf must not try to ask (dpkg -i, dpkg-reconfigure)
export DEBIAN_FRONTEND=noninteractive
top=$(cd "$(dirname "$0")/.." && pwd)
PKGS="hdp libhdp0 libhdp-dev"
P=0 F=0
W="" INSTALLED="" TUSER="" BGPID=""

pass() { echo "PASS: $*"; P=$((P + 1)); }
fail() { echo "FAIL: $*"; F=$((F + 1)); }
# check DESCRIPTION COMMAND...: PASS or FAIL by the command's status.
check() {
	d=$1; shift
	if "$@"; then pass "$d"; else fail "$d"; fi
}

expect_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: got '$2', want '$3'"; fi
}

summary() {
	echo "# TOTAL: $((P + F))"
	echo "# PASS: $P"
	echo "# FAIL: $F"
}

cleanup() {
	[ -n "$BGPID" ] && kill "$BGPID" 2>/dev/null
	[ -n "$TUSER" ] && userdel "$TUSER" 2>/dev/null
	if [ -n "$INSTALLED" ]; then
		apt-get purge -y -qq $PKGS \
			>/dev/null 2>&1
		echo "hdp hdp/install-capture-group boolean false" |
			debconf-set-selections 2>/dev/null
	fi
	[ -n "$W" ] && rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$(id -u)" -ne 0 ]; then
	fail "ci-packages.sh must run as root (it installs packages)"
	summary; exit 1
fi
for p in $PKGS; do
	if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q installed; then
		fail "$p is installed already: purge it first (this check installs and purges its own)"
		summary; exit 1
	fi
done
sh "$top/scripts/install-deps.sh" || { fail "install-deps.sh"; summary; exit 1; }

W=$(mktemp -d /tmp/hdp-ci-packages.XXXXXX)
chmod 755 "$W"      # apt's _apt user reads the .debs from here
SPORT=$(( $$ % 20000 + 20000 ))

# ---- build from a copy of the tree (what git tracks plus new files, no
# build products), so the tree itself stays as it is
mkdir "$W/src"
(cd "$top" && git ls-files -co --exclude-standard -z |
	xargs -0 tar -cf - --no-recursion) | tar -xf - -C "$W/src"
(cd "$W/src" && DEB_BUILD_OPTIONS="nocheck parallel=2" \
	dpkg-buildpackage -us -uc -b) >"$W/build.log" 2>&1
rc=$?
V=$(cd "$top" && dpkg-parsechangelog -S Version)
A=$(dpkg --print-architecture)
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
DEBS=""
for p in $PKGS; do DEBS="$DEBS $W/${p}_${V}_$A.deb"; done
if [ "$rc" -eq 0 ] && ls $DEBS >/dev/null 2>&1; then
	pass "dpkg-buildpackage -us -uc -b (nocheck) builds $PKGS $V"
else
	tail -40 "$W/build.log"
	fail "dpkg-buildpackage -us -uc -b (exit $rc)"
	summary; exit 1
fi

# ---- lintian: no errors; the rest is shown
lintian --fail-on error --tag-display-limit 0 "$W/hdp_${V}_$A.changes" \
	>"$W/lintian.out" 2>&1
rc=$?
grep -v '^running with root' "$W/lintian.out"
check "lintian: no errors" test "$rc" -eq 0

# ---- what each package holds
contents() { dpkg-deb -c "$W/${1}_${V}_$A.deb" | awk '{ print $6 }'; }
contents hdp >"$W/hdp.list"
contents libhdp0 >"$W/libhdp0.list"
contents libhdp-dev >"$W/libhdp-dev.list"
check "hdp holds the program, hdp.1, the completion, the Lua plugin" sh -c "
	grep -qx './usr/bin/hdp' '$W/hdp.list' &&
	grep -qx './usr/share/man/man1/hdp.1.gz' '$W/hdp.list' &&
	grep -qx './usr/share/bash-completion/completions/hdp' '$W/hdp.list' &&
	grep -qx './usr/lib/$MA/wireshark/plugins/hdp.lua' '$W/hdp.list'"
check "libhdp0 holds the shared library only" sh -c "
	! grep -v -e '/\$' -e '^./usr/lib/$MA/libhdp\\.so\\.0' \
		-e '^./usr/share/doc/libhdp0/' '$W/libhdp0.list' | grep -q . &&
	grep -q 'libhdp\\.so\\.0\$' '$W/libhdp0.list'"
check "libhdp-dev holds hdp.h, libhdp.so, libhdp.a, libhdp.pc, libhdp(3)" sh -c "
	grep -qx './usr/include/hdp/hdp.h' '$W/libhdp-dev.list' &&
	grep -qx './usr/share/man/man3/libhdp.3.gz' '$W/libhdp-dev.list' &&
	grep -qx './usr/lib/$MA/libhdp.so' '$W/libhdp-dev.list' &&
	grep -qx './usr/lib/$MA/libhdp.a' '$W/libhdp-dev.list' &&
	grep -qx './usr/lib/$MA/pkgconfig/libhdp.pc' '$W/libhdp-dev.list'"
check "no package ships a .la or a set-user-ID file" sh -c "
	! cat '$W'/*.list | grep -q '\\.la\$' &&
	! { for p in $PKGS; do dpkg-deb -c '$W/'\$p'_${V}_$A.deb'; done |
		grep -q '^-..[sS]'; }"

# ---- install, with the capture group (the debconf question answered yes)
echo "hdp hdp/install-capture-group boolean true" | debconf-set-selections
INSTALLED=1
if apt-get install -y -qq $DEBS \
	>"$W/install.log" 2>&1; then
	pass "apt-get install of the three packages"
else
	tail -20 "$W/install.log"
	fail "apt-get install of the three packages"
	summary; exit 1
fi
expect_eq "installed hdp --version" "$(/usr/bin/hdp --version 2>&1)" "hdp $V"

# sniff_send USER ARGS...: run 'hdp sniff -i lo -c 1' (as USER unless
# root) until it listens, then 'hdp send 127.0.0.1' with ARGS; prints the
# one captured line and returns 0 when both exit 0 and it is ours.
# as USER COMMAND...: run COMMAND as USER with USER's groups, through a
# shell that runs as USER already (setpriv's own exec would be checked
# with root's rights).
as() {
	u=$1; shift
	if [ "$u" = root ]; then "$@"
	else setpriv --reuid="$(id -u "$u")" --regid="$(id -g "$u")" \
		--init-groups /bin/sh -c 'exec "$@"' sh "$@"; fi
}
sniff_send() {
	u=$1; shift
	out=$W/sniff.$u.out err=$W/sniff.$u.err
	: >"$out"; : >"$err"; chmod 666 "$out" "$err"
	as "$u" timeout 20 /usr/bin/hdp sniff -i lo -c 1 -n \
		"ip[9] == 255 and ip[20:2] == $SPORT" >"$out" 2>"$err" &
	BGPID=$!
	i=0
	while ! grep -q listening "$err" && [ $i -lt 100 ]; do
		kill -0 "$BGPID" 2>/dev/null || break
		sleep 0.1; i=$((i + 1))
	done
	as "$u" /usr/bin/hdp send -q -c 3 -i 0.2 --sport "$SPORT" "$@" \
		127.0.0.1 >"$W/send.$u.out" 2>&1
	src=$?
	wait "$BGPID"; rrc=$?; BGPID=""
	cat "$out" "$err" "$W/send.$u.out" | sed 's/^/    /'
	[ "$src" -eq 0 ] && [ "$rrc" -eq 0 ] &&
		grep -q "127.0.0.1.$SPORT > 127.0.0.1.420: HDP" "$out"
}
check "installed hdp send / hdp sniff on lo (root)" sniff_send root

# ---- the example, against the installed library via pkg-config (and
# libpcap's, which it reads the capture with)
/usr/bin/hdp sniff --json -r "$top/pcaps/lo4.pcap" 2>/dev/null |
	sed -n 's/.*"hdp_ts_ns":\([0-9]*\).*/\1/p' >"$W/ts.json"
EX=$top/examples/hdp_decode.c
if [ ! -f "$EX" ]; then
	fail "examples/hdp_decode.c is not in the tree"
elif cc -Wall -o "$W/hdp_decode" "$EX" \
	$(pkg-config --cflags --libs libhdp libpcap) \
	>"$W/cc.out" 2>&1; then
	pass "examples/hdp_decode.c builds with pkg-config --cflags --libs libhdp libpcap"
	lib=$(ldd "$W/hdp_decode" | sed -n 's/.*libhdp\.so\.0 => \([^ ]*\).*/\1/p')
	expect_eq "hdp_decode is linked to the installed libhdp.so.0" \
		"$(readlink -f "${lib:-none}")" \
		"$(readlink -f "/usr/lib/$MA/libhdp.so.0")"
	"$W/hdp_decode" "$top/pcaps/lo4.pcap" >"$W/decode.out" 2>&1
	rc=$?
	miss=0
	while read -r ts; do
		# as nanoseconds, or as seconds.nanoseconds
		grep -q -e "$ts" -e "${ts%?????????}\.${ts#"${ts%?????????}"}" \
			"$W/decode.out" || miss=$((miss + 1))
	done <"$W/ts.json"
	n=$(wc -l <"$W/ts.json")
	if [ "$rc" -eq 0 ] && [ "$n" -gt 0 ] && [ "$miss" -eq 0 ]; then
		pass "hdp_decode pcaps/lo4.pcap: the $n HDP timestamps of hdp sniff --json"
	else
		head -20 "$W/decode.out"
		fail "hdp_decode pcaps/lo4.pcap: exit $rc, $miss of $n timestamps of hdp sniff --json missing"
	fi
else
	cat "$W/cc.out"
	fail "examples/hdp_decode.c builds with pkg-config --cflags --libs libhdp libpcap"
fi

# ---- the Lua plugin, where Wireshark looks for it
if command -v tshark >/dev/null; then
	got=$(tshark -G folders 2>/dev/null |
		sed -n 's/^Global Lua Plugins:[[:space:]]*//p')
	expect_eq "hdp.lua is in Wireshark's global Lua plugin folder" \
		"$(dpkg -L hdp | grep '/hdp\.lua$')" "$got/hdp.lua"
	n=$(tshark -n -r "$top/pcaps/lo4.pcap" -Y hdp 2>/dev/null | wc -l)
	expect_eq "tshark decodes pcaps/lo4.pcap with the installed plugin" "$n" \
		"$(wc -l <"$W/ts.json")"
fi

# ---- the scapy layer, importable by the system's python3 as installed
got=$(cd / && /usr/bin/python3 -c '
import sys
from scapy.all import rdpcap
from hdp_scapy import HDP
print(" ".join(str(p[HDP].timestamp) for p in rdpcap(sys.argv[1]) if HDP in p))
' "$top/pcaps/lo4.pcap" 2>&1)
expect_eq "the installed scapy layer reads pcaps/lo4.pcap's 5 HDP timestamps" \
	"$got" "$(tr '\n' ' ' <"$W/ts.json" | sed 's/ $//')"

# ---- capturing without root: the group hdp
expect_eq "statoverride root:hdp 0754 on /usr/bin/hdp" \
	"$(dpkg-statoverride --list /usr/bin/hdp)" "root hdp 754 /usr/bin/hdp"
expect_eq "owner and mode of /usr/bin/hdp" \
	"$(stat -c '%U:%G %a' /usr/bin/hdp)" "root:hdp 754"
expect_eq "file capabilities of /usr/bin/hdp" \
	"$(getcap /usr/bin/hdp | awk '{ print $2 }')" "cap_net_admin,cap_net_raw=eip"
TUSER=hdpci$$
useradd -M -N -d /nonexistent -s /usr/sbin/nologin -G hdp "$TUSER"
check "hdp send / hdp sniff on lo as $TUSER, a non-root member of hdp" \
	sniff_send "$TUSER"
check "a user outside the group may not run /usr/bin/hdp" sh -c \
	"! setpriv --reuid=nobody --regid=nogroup --clear-groups \
		/bin/sh -c '/usr/bin/hdp --version' >/dev/null 2>&1"
# dpkg replaces the file on upgrade (no capabilities in a .deb); the
# statoverride stays and postinst sets the capabilities again
dpkg -i "$W/hdp_${V}_$A.deb" >"$W/reinstall.log" 2>&1 ||
	cat "$W/reinstall.log"
expect_eq "after a reinstall: root:hdp 0754 and the capabilities again" \
	"$(stat -c '%U:%G %a' /usr/bin/hdp) $(getcap /usr/bin/hdp | awk '{ print $2 }')" \
	"root:hdp 754 cap_net_admin,cap_net_raw=eip"
echo "hdp hdp/install-capture-group boolean false" | debconf-set-selections
dpkg-reconfigure hdp >/dev/null 2>&1
expect_eq "answered no: no statoverride, root:root 0755, no capabilities" \
	"$(dpkg-statoverride --list /usr/bin/hdp; stat -c '%U:%G %a' /usr/bin/hdp;
	   getcap /usr/bin/hdp)" "root:root 755"
as "$TUSER" /usr/bin/hdp send -q -c 1 --sport "$SPORT" 127.0.0.1 \
	>"$W/send.nocap.out" 2>&1
expect_eq "answered no: the member's hdp send exits 3 (no privileges)" "$?" 3

# ---- bash completion, loaded on demand by bash-completion
# shellcheck disable=SC2016
got=$(bash -c '
	. /usr/share/bash-completion/bash_completion || exit 3
	_completion_loader hdp
	complete -p hdp >/dev/null || exit 4
	c() {
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		COMPREPLY=(); _hdp
		echo "${COMPREPLY[*]}"
	}
	c hdp sn; c hdp sniff --js' 2>&1)
expect_eq "bash completion of hdp sn and hdp sniff --js" \
	"$(echo "$got" | tr '\n' '|')" "sniff|--json|"

# ---- purge: nothing left behind
userdel "$TUSER" && TUSER=""
apt-get purge -y -qq $PKGS >"$W/purge.log" 2>&1
rc=$?
INSTALLED=""
left=$(for p in $PKGS; do
	dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -v '^un'
done; dpkg-statoverride --list /usr/bin/hdp; getent group hdp;
	ls /usr/bin/hdp "/usr/lib/$MA/wireshark/plugins/hdp.lua" 2>/dev/null)
if [ "$rc" -eq 0 ] && [ -z "$left" ]; then
	pass "purge leaves no package, statoverride, group or file"
else
	cat "$W/purge.log"
	fail "purge (exit $rc) left: $left"
fi

summary
[ "$F" -eq 0 ]
