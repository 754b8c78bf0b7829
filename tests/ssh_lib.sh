# ssh_lib.sh: real sshd servers inside test namespaces, and an ssh client
# set up to reach them, for tests of remote points (issue 17).  Source it
# after lib.sh (and after topo.sh when the four-namespace path is wanted):
#
#     . "$top_srcdir/tests/lib.sh"
#     . "$top_srcdir/tests/topo.sh"       # optional
#     . "$top_srcdir/tests/ssh_lib.sh"
#     topo_up
#     ssh_setup                           # skips (77) without ssh, sshd
#     P=$(ssh_pathdir with-hdp)           # a PATH dir holding the built hdp
#     sshd_start "$NS_R1" "$R1A4" "$P"    # sshd on 10.0.1.1:22 in R1
#     sshd_start "$NS_D" "$D4"            # no hdp on the receiver's PATH
#     ip netns exec "$NS_S" "$HDP" where --at r1=ssh://$R1A4/r1a ...
#
# ssh_setup makes $SSH_DIR (inside lib.sh's $TMPD) with:
#   id_client, id_wrong      ed25519 keys without passphrase; only
#                            id_client's public key is authorized
#   ssh_config               IdentityFile id_client, IdentitiesOnly,
#                            UserKnownHostsFile known_hosts (each
#                            sshd_start adds its host key there),
#                            StrictHostKeyChecking yes, no agent, no
#                            password, User root; given with -F, so neither
#                            /etc/ssh/ssh_config nor ~/.ssh is read (ssh
#                            reads ~/.ssh from the passwd home, not $HOME)
#   ssh_config_wrong         the same with id_wrong: "Permission denied"
# and exports HDP_SSH="ssh -F $SSH_DIR/ssh_config" (hdp splits it at
# blanks, as git does GIT_SSH_COMMAND).  SSH_WRONG holds the HDP_SSH value
# for the wrong key.
#
# sshd_start NS ADDR [PATHDIR [EXTRA_SSHD_CONFIG_LINE...]]: /usr/sbin/sshd
#   -D -e in namespace NS, listening on ADDR port 22 only, with a host key
#   of its own (added to known_hosts under ADDR), PermitRootLogin
#   prohibit-password, keys from $SSH_DIR/authorized_keys, no password,
#   MaxSessions 64, and SetEnv PATH=PATHDIR:<the usual dirs> when PATHDIR
#   is given (so the test decides whether hdp is on that host's PATH).
#   Waits until it listens (fatal after 5 s).  Its log is
#   $SSH_DIR/sshd-ADDR-PORT.log.  SSHD_PORT, when set, is the port
#   instead of 22 (known_hosts then says [ADDR]:PORT, as ssh looks it up).  SSHD_WRAP, when set, is a command put before
#   sshd inside the namespace (e.g. "unshare -m sh $SSH_DIR/mnt.sh").
#   On exit every process left in a namespace where sshd was started
#   (sshd, its sessions, whatever they ran) is killed by PID, then
#   lib.sh's (or topo.sh's) cleanup runs: this file's EXIT trap,
#   _ssh_exit, replaces theirs and calls it (source this file last; a
#   test that sets an EXIT trap of its own calls _ssh_exit from it).
#   sshd needs its privilege separation directory /run/sshd: made (0755,
#   as the package's tmpfiles would) when missing, and left in place.
#
# ssh_pathdir NAME [SECONDS]: makes $SSH_DIR/path-NAME, a directory for
#   sshd_start's PATHDIR, and prints it.  It holds hdp (the built $HDP:
#   a symbolic link, or a small exec script when $HDP is a libtool wrapper
#   script, which cannot run from elsewhere) unless NAME contains
#   "no-hdp"; with SECONDS, a date that answers "date +%s%N" SECONDS
#   ahead (a faked remote clock; anything else goes to the real date).
#   NAME starting with "bare": it also holds links to sh, date, id and
#   the other few tools a remote side needs, and sshd_start makes it the
#   whole PATH: a host without tcpdump (or, with "bare-no-hdp", without
#   either).
#
# ssh_sudo_user NAME: a non-root user NAME (uid 4242, shell /bin/sh, home
#   in $SSH_DIR) that exists only for the next sshd_start: it sets
#   SSHD_WRAP so that sshd runs in a mount namespace of its own where a
#   copy of /etc (passwd, group and shadow with NAME added, a sudoers of
#   the test's) is bound over /etc; the host's files are never touched.
#   (The whole directory: a bind mount on /etc/passwd alone vanishes as
#   soon as anything on the host renames a new passwd into place, as
#   useradd and userdel do.)
#   Then ssh_sudo_allow yes|no rewrites that sudoers in place: NAME may
#   run anything as root without a password, or NAME is not in it (sudo
#   -n then says "a password is required").  Unset SSHD_WRAP after the
#   sshd_start.  Skips (77) without sudo or unshare.
#
# ns_procs NS PATTERN: the processes in NS whose command line matches
#   PATTERN (grep -E), one "PID ARGS" line each; nothing when none.

need_cmd ssh ssh-keygen
[ -x /usr/sbin/sshd ] || skip "needs /usr/sbin/sshd (openssh-server)"

SSH_DIR=""
_SSH_NS=""

_ssh_exit() {
	for n in $_SSH_NS; do
		for p in $(ip netns pids "$n" 2>/dev/null); do
			kill -TERM "$p" 2>/dev/null
		done
	done
	[ -n "$_SSH_NS" ] && sleep 0.2
	for n in $_SSH_NS; do
		for p in $(ip netns pids "$n" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
	done
	if command -v _topo_exit >/dev/null 2>&1; then
		_topo_exit
	else
		cleanup
	fi
}
trap _ssh_exit EXIT

ssh_setup() {
	need_root
	SSH_DIR="$TMPD/ssh"
	mkdir -p "$SSH_DIR" || fatal "mkdir $SSH_DIR"
	# a non-root user of a test (sudo) must reach the keys' directory
	chmod 755 "$TMPD" "$SSH_DIR"
	ssh-keygen -q -t ed25519 -N '' -C hdp-test -f "$SSH_DIR/id_client" ||
		fatal "ssh-keygen"
	ssh-keygen -q -t ed25519 -N '' -C hdp-wrong -f "$SSH_DIR/id_wrong" ||
		fatal "ssh-keygen"
	cp "$SSH_DIR/id_client.pub" "$SSH_DIR/authorized_keys"
	chmod 644 "$SSH_DIR/authorized_keys"
	: >"$SSH_DIR/known_hosts"
	for k in client wrong; do
		cat >"$SSH_DIR/ssh_config_$k" <<EOF
Host *
	User root
	IdentityFile $SSH_DIR/id_$k
	IdentitiesOnly yes
	IdentityAgent none
	UserKnownHostsFile $SSH_DIR/known_hosts
	GlobalKnownHostsFile /dev/null
	StrictHostKeyChecking yes
	UpdateHostKeys no
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	GSSAPIAuthentication no
EOF
	done
	mv "$SSH_DIR/ssh_config_client" "$SSH_DIR/ssh_config"
	HDP_SSH="ssh -F $SSH_DIR/ssh_config"
	SSH_WRONG="ssh -F $SSH_DIR/ssh_config_wrong"
	export HDP_SSH
}

ssh_pathdir() {
	_d="$SSH_DIR/path-$1"
	mkdir -p "$_d" || fatal "mkdir $_d"
	case $1 in
	bare*)
		# the few tools the remote side needs, without tcpdump
		for t in sh uname id cat sleep head dirname basename date \
			 kill tr; do
			_t=$(command -v "$t") && ln -sf "$_t" "$_d/$t"
		done
		;;
	esac
	case $1 in
	*no-hdp*) ;;
	*)
		# under HDP_VALGRIND, $HDP is a wrapper that needs HDP_REAL,
		# which a remote session does not have: the real binary there
		_h=${HDP_REAL:-$HDP}
		_h=$(cd "$(dirname "$_h")" && pwd)/$(basename "$_h")
		if [ "$(head -c 4 "$_h")" = "$(printf '\177ELF')" ]; then
			ln -sf "$_h" "$_d/hdp"
		else
			printf '#!/bin/sh\nexec %s "$@"\n' "$_h" >"$_d/hdp"
			chmod 755 "$_d/hdp"
		fi
		;;
	esac
	if [ $# -ge 2 ]; then
		_date=$(command -v date)
		cat >"$_d/date" <<EOF
#!/bin/sh
# a clock $2 s ahead, for "date +%s%N" only
if [ "\$*" = "+%s%N" ]; then
	n=\$($_date +%s%N)
	echo \$((n + $2 * 1000000000))
else
	exec $_date "\$@"
fi
EOF
		chmod 755 "$_d/date"
	fi
	chmod 755 "$_d"
	echo "$_d"
}

sshd_start() {
	_ns=$1 _addr=$2 _pd=${3:-}
	if [ $# -ge 3 ]; then shift 3; else shift $#; fi
	_port=${SSHD_PORT:-22}
	_c="$SSH_DIR/sshd-$_addr-$_port"
	[ -d /run/sshd ] || { mkdir -p /run/sshd && chmod 755 /run/sshd; }
	rm -f "$_c.key" "$_c.key.pub"
	ssh-keygen -q -t ed25519 -N '' -C "sshd-$_addr" -f "$_c.key" ||
		fatal "ssh-keygen host key"
	if [ "$_port" = 22 ]; then _kh=$_addr; else _kh="[$_addr]:$_port"; fi
	echo "$_kh $(cut -d' ' -f1,2 "$_c.key.pub")" >>"$SSH_DIR/known_hosts"
	{
		echo "ListenAddress $_addr"
		echo "Port $_port"
		echo "HostKey $_c.key"
		echo "PidFile $_c.pid"
		echo "AuthorizedKeysFile $SSH_DIR/authorized_keys"
		echo "PermitRootLogin prohibit-password"
		echo "PasswordAuthentication no"
		echo "KbdInteractiveAuthentication no"
		echo "UsePAM no"
		echo "StrictModes no"
		echo "PrintMotd no"
		echo "PrintLastLog no"
		echo "MaxSessions 64"
		echo "MaxStartups 64"
		echo "LogLevel INFO"
		_sys=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
		case $_pd in
		"") echo "SetEnv PATH=$_sys" ;;
		*/path-bare*) echo "SetEnv PATH=$_pd" ;;
		*) echo "SetEnv PATH=$_pd:$_sys" ;;
		esac
		for l in "$@"; do echo "$l"; done
	} >"$_c.config"
	_SSH_NS="$_SSH_NS $_ns"
	# shellcheck disable=SC2086
	bg ip netns exec "$_ns" ${SSHD_WRAP:-} /usr/sbin/sshd -D -e \
		-f "$_c.config" 2>"$_c.log"
	i=0
	while ! grep -q "Server listening" "$_c.log" 2>/dev/null; do
		kill -0 "$BG_PID" 2>/dev/null ||
			fatal "sshd in $_ns: $(tail -n 1 "$_c.log")"
		[ "$i" -lt 50 ] || fatal "sshd in $_ns does not listen"
		sleep 0.1; i=$((i + 1))
	done
}

ssh_sudo_user() {
	need_cmd sudo unshare mount
	_e="$SSH_DIR/etc"
	rm -rf "$_e"
	cp -a /etc "$_e" 2>/dev/null || fatal "cannot copy /etc"
	rm -f "$_e"/ssh/ssh_host_*    # the host's own keys: not needed
	mkdir -p "$SSH_DIR/home-$1"
	chown 4242:4242 "$SSH_DIR/home-$1"
	echo "$1:x:4242:4242::$SSH_DIR/home-$1:/bin/sh" >>"$_e/passwd"
	echo "$1:x:4242:" >>"$_e/group"
	echo "$1:*:20000:0:99999:7:::" >>"$_e/shadow"
	rm -rf "$_e/sudoers.d"
	: >"$_e/sudoers"
	chmod 440 "$_e/sudoers"
	_SUDO_USER=$1
	ssh_sudo_allow no
	cat >"$SSH_DIR/mnt.sh" <<EOF
mount --bind "$_e" /etc || exit 1
exec "\$@"
EOF
	SSHD_WRAP="unshare -m --propagation private sh $SSH_DIR/mnt.sh"
}

ssh_sudo_allow() {
	# in place (the same inode), so the bind mount shows the new text
	{
		echo "Defaults env_reset"
		echo "root ALL=(ALL:ALL) ALL"
		[ "$1" = yes ] && echo "$_SUDO_USER ALL=(root) NOPASSWD: ALL"
	} >"$SSH_DIR/etc/sudoers"
}

ns_procs() {
	for p in $(ip netns pids "$1" 2>/dev/null); do
		a=$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline")
		[ -n "$a" ] && echo "$p $a"
	done | grep -E "$2"
}
