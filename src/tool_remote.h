/*
 * tool_remote.h: points on other hosts, reached with the system's ssh.
 *
 * A point is where a capture is taken (hdp where --at, trace --rx-at) or
 * where the other half of a run runs (sweep --rx-at, ping --responder,
 * survey --from).  It is written one of three ways, never ambiguous:
 *
 *   ssh://[user@]host[:port]/IFACE   IFACE on another host (may be "any";
 *                                    host may be [v6addr]); for the
 *                                    commands that run a half there, the
 *                                    /IFACE part may be left out
 *   IFACE                            a local interface: a name with no '/'
 *                                    that if_nametoindex() knows and that
 *                                    does not end in .pcap/.pcapng/.cap
 *   FILE                             anything else: a capture file
 *
 * OpenSSH does all the work: the system's ssh (or the command in
 * $HDP_SSH, split at blanks, as git's GIT_SSH_COMMAND), with BatchMode=yes
 * (never a prompt), the user's ~/.ssh/config, keys, agent and known_hosts
 * honoured (host keys are checked as ssh checks them), --ssh-option OPT
 * passed as -o OPT, and one master connection per host (ControlMaster,
 * a ControlPath in a private 0700 directory, closed at the end), so a run
 * with dozens of points opens each host once and no packet costs a round
 * trip.  No agent of our own runs on the other host: only hdp, when it is
 * installed there and its version is compatible, or else tcpdump (for
 * captures), under "sudo -n" with --sudo.
 *
 * A remote command is started inside a small sh wrapper so that it ends
 * when its standard input closes: closing remote_proc.in, ssh dying, the
 * master going away or Ctrl-C here all end it on the other host; no
 * tcpdump or hdp is ever left behind.
 *
 * Every failure is said in one line that names the point and what failed
 * ("hdp where: ssh://r1/eth0: Permission denied (publickey)", "...: no
 * hdp or tcpdump on r1", "...: sudo -n: a password is required") and the
 * caller goes on with the other points: a point that failed has seen
 * nothing, and reads "not observed", never "vanished".
 *
 * What callers must know (implemented in tool_remote.c):
 *  - Messages go through tool_err(), so they start with hdp_progname
 *    ("hdp where: ") and are escaped; each is one line naming the point
 *    (p->spec, or the name given to remote_spawn).  When a function fails
 *    it has already said why: the caller only counts the point as failed.
 *  - ssh's options, in this order (ssh keeps the FIRST value of an option,
 *    the command line before ~/.ssh/config): $HDP_SSH's words (or "ssh");
 *    BatchMode=yes, ControlMaster=yes|no, ControlPersist=no (these always
 *    win); the --ssh-option values (they win over ~/.ssh/config and over
 *    everything after them); ConnectTimeout (remote_cfg.connect_timeout,
 *    0 meaning 10 s), ServerAliveInterval=5 and ServerAliveCountMax=3 (a
 *    host that dies is noticed within ~15 s); -S (the private control
 *    socket: always ours); -T -x -a; -l USER -p PORT -- HOST.  Host keys
 *    are checked as the user's ssh checks them (no StrictHostKeyChecking
 *    here).
 *  - Each user@host:port has one master (ssh -N, a child of ours, not
 *    daemonized), shared by reference count: each successful remote_open
 *    wants one remote_close.  The control directory (mkdtemp in $TMPDIR
 *    when its path is at most 40 bytes, else /tmp: a unix socket's path is
 *    short) exists while a master runs and is removed after the last
 *    remote_close, or at exit().  The remote_cfg passed to remote_open is
 *    kept by pointer: it must live until the last remote_close.
 *  - A host that failed stays failed for the rest of the run: a second
 *    point on it fails at once with the same reason (no second timeout).
 *  - Every child (ssh, or a local command) runs in a process group of its
 *    own, so a Ctrl-C on the terminal reaches hdp alone; hdp then stops
 *    its points in order (remote_stop, read the rest, remote_finish) and
 *    keeps what they captured.  Install tool_catch_stop() first: the
 *    waits here return early once tool_stop is set (remote_open and
 *    remote_wait_line then fail, saying "interrupted"); remote_finish
 *    always completes.  Children get SIGTERM when hdp dies, even by
 *    SIGKILL (PR_SET_PDEATHSIG): ssh goes, the remote wrapper sees its
 *    input close and ends the command; nothing is left on either side
 *    (only the control directory, after a SIGKILL).  PR_SET_PDEATHSIG
 *    follows the thread that forked: call these from the main thread.
 *    Not thread-safe (one list of hosts, one control directory).
 *  - A remote command runs as "sh -c WRAPPER" (under "sudo -n" with
 *    --sudo: the wrapper runs as root, so it can always signal the
 *    command) in the user's login shell, which must therefore understand
 *    single quotes as POSIX sh does (sh, bash, dash, ksh, zsh: yes; fish:
 *    no).  Each argument reaches the command unchanged.  The command runs
 *    under setsid(1) where the host has it, and the stop signals (TERM,
 *    then KILL a second later) go to its whole process group: children
 *    it started end with it.
 *  - .out carries exactly the command's standard output, so a login
 *    shell that prints on standard output for non-interactive sessions
 *    (a chatty ~/.bashrc) corrupts it, as it breaks scp: the pcap reader
 *    then fails on a bad header, said as the reader says it.
 *  - Strings in remote_info come from the other host: print them through
 *    tool_safe() / tool_err(), never raw.
 *  - One host's commands are sessions of its one master connection.
 *    OpenSSH's sshd allows MaxSessions (default 10) at once per
 *    connection: keep at most ~8 commands running at once on one host
 *    (remote_open's probe and clock take one each, briefly).
 */
#ifndef HDP_TOOL_REMOTE_H
#define HDP_TOOL_REMOTE_H

#include <stdint.h>
#include <sys/types.h>

enum point_kind { POINT_FILE, POINT_IFACE, POINT_SSH };

struct point {
	enum point_kind kind;
	char *spec;     /* as the user wrote it, for messages            */
	char *user;     /* POINT_SSH: NULL when not given                */
	char *host;     /* POINT_SSH: without [] for an IPv6 address     */
	unsigned port;  /* POINT_SSH: 0 when not given (ssh's default)   */
	char *iface;    /* POINT_SSH (NULL when not given), POINT_IFACE  */
	char *file;     /* POINT_FILE                                    */
};

/* Parse spec into *p (strings owned by p; point_free frees them).
 * need_iface: an ssh:// point must name an interface.  On error say why
 * (tool_usage_err, naming spec) and return -1.  User, host and interface
 * must be printable words without blanks that do not start with '-' (so
 * ssh can never read one as an option); an interface name is at most 15
 * bytes; the port 1-65535; an IPv6 host goes in [].  A local "any" is
 * not a local interface (if_nametoindex does not know it): it is a FILE. */
int point_parse(const char *spec, int need_iface, struct point *p);
void point_free(struct point *p);

/* What every command with remote points accepts. */
struct remote_cfg {
	const char **ssh_opts;   /* --ssh-option values, each passed as -o  */
	size_t n_ssh_opts;
	int sudo;                /* --sudo: remote commands under sudo -n    */
	const char *remote_hdp;  /* --remote-hdp PATH (default: hdp on PATH) */
	unsigned connect_timeout;/* seconds, ssh's ConnectTimeout (10)      */
};

/* getopt_long entries for --ssh-option, --sudo, --remote-hdp, to put in a
 * command's table, and the handler for their codes: returns 1 when c was
 * one of them (0 when not, -1 after a usage error). */
#define REMOTE_OPT_SSH   0x5301
#define REMOTE_OPT_SUDO  0x5302
#define REMOTE_OPT_HDP   0x5303
#define REMOTE_LONGOPTS \
	{ "ssh-option", required_argument, NULL, REMOTE_OPT_SSH }, \
	{ "sudo",       no_argument,       NULL, REMOTE_OPT_SUDO }, \
	{ "remote-hdp", required_argument, NULL, REMOTE_OPT_HDP }
int remote_cfg_opt(struct remote_cfg *c, int opt, const char *arg);
/* Free what remote_cfg_opt allocated (the ssh_opts array). */
void remote_cfg_free(struct remote_cfg *c);
/* The usage lines for those options, for each command's usage(). */
extern const char remote_usage[];

/* A clock offset estimate: remote clock minus local clock, from the
 * midpoint of the best of several round trips (as NTP does); the true
 * offset is within offset_ns +- uncert_ns.  The remote clock is read with
 * "date +%s%N" (CLOCK_REALTIME) in one session, five samples;
 * uncert_ns -1 means no estimate (no answer, or a date without %N). */
struct remote_clock {
	int64_t offset_ns;
	int64_t uncert_ns;
};

/* What remote_open found on the other host. */
struct remote_info {
	char hdp_version[32];    /* "0.1.0" (no "hdp "); "" when no hdp    */
	int hdp_ok;              /* hdp there and compatible with this one  */
				 /* (the same major.minor as ours)          */
	int has_tcpdump;
	char kernel[128];        /* uname -sr                               */
	char addr[64];           /* the address ssh reached ($SSH_CONNECTION) */
	struct remote_clock clock_start;
};

struct remote_host;

/* Open (or share, for a second point on the same user@host:port) the
 * master connection to p's host and look at what is there.  NULL after
 * one line naming p and what failed: ssh's own last line of error ("ssh:
 * connect to host r1 port 22: Connection timed out", "root@r1: Permission
 * denied (publickey).", "Host key verification failed."), or with
 * --sudo "sudo -n: a password is required" / "--sudo: no sudo on r1".
 * It waits up to connect_timeout + 10 s for the master, then runs one
 * session that probes (remote_info) and samples the clock (clock_start).
 * Measured in test namespaces on a loaded 2-core machine, with a remote
 * ~/.bashrc that costs ~0.2 s a session: ~0.2 s for the master, ~0.25 s
 * for the probe and the clock; remote_start and remote_open_all let
 * hosts connect at once.  A host without hdp or tcpdump still opens:
 * remote_capture or remote_spawn("hdp") fails later, naming what is
 * missing. */
struct remote_host *remote_open(const struct remote_cfg *c,
				const struct point *p);
/* Optional: start connecting to p's host now without waiting (0, or -1
 * after saying why), so that a loop of remote_start over every point
 * and then one of remote_open waits for the slowest host, not the sum. */
int remote_start(const struct remote_cfg *c, const struct point *p);
/* remote_open for every ssh:// point of pts at once: the hosts connect,
 * then probe and sample their clocks, in parallel, so dozens of hosts
 * cost about what the slowest one costs.  out[i] is what remote_open(c,
 * &pts[i]) would give (NULL for a point that is not ssh://, or after one
 * line saying why it failed); each non-NULL one wants its remote_close.
 * Returns how many ssh:// points failed. */
size_t remote_open_all(const struct remote_cfg *c, const struct point *pts,
		       size_t n, struct remote_host **out);
const struct remote_info *remote_info(const struct remote_host *h);
/* One more clock estimate (at the end of a run): 0, or -1 when the host
 * no longer answers. */
int remote_clock(struct remote_host *h, struct remote_clock *out);
/* Close the master connection (ssh -O exit) once its last user is done. */
void remote_close(struct remote_host *h);

/*
 * A command running on a host (or locally, for h == NULL).  The fds are
 * close-on-exec.  If you give out to libpcap (fdopen + pcap_fopen_offline
 * ..._with_tstamp_precision), pcap_close() closes it: set p->out = -1
 * then, or remote_finish closes a number that may be reused.  The same
 * for in (use remote_stop rather than close) and err.
 */
struct remote_proc {
	pid_t pid;     /* the local ssh (or the local command)            */
	int in;        /* its standard input: remote_stop closes it, and  */
		       /* the command ends                                */
	int out;       /* its standard output                             */
	int err;       /* its standard error                              */
	char *name;    /* "ssh://r1/eth0", for messages                   */
};

/* Run argv (argv[0] "hdp" means the remote hdp: the absolute path the
 * probe found, so that sudo's PATH does not matter; "tcpdump" the one it
 * found) on h, under sudo -n when the configuration says so.  For h NULL
 * it runs here, in the same wrapper (so closing in ends it too); "hdp" is
 * then this program.  The command's standard input is /dev/null (ours is
 * the wrapper's signal to stop).  NULL after saying why ("NAME: no hdp on
 * r1", "NAME: hdp 0.2.0 on r1 is not compatible with 0.1.0 here"). */
struct remote_proc *remote_spawn(struct remote_host *h, const char *name,
				 char *const argv[]);
/* Read the command's standard error until a line containing what arrives
 * (copied into line; line may be NULL), the command ends, or timeout_ms
 * passes: 0, or -1 after saying why: "NAME: LAST LINE OF ITS ERROR" when
 * it ended, "NAME: not ready after N s (last said: ...)" on time out.
 * After -1, remote_finish(p) is still the caller's to call.  Lines that
 * came before the one wanted are read and dropped (the last is kept). */
int remote_wait_line(struct remote_proc *p, const char *what,
		     int timeout_ms, char *line, size_t len);
/* Close in, wait at most timeout_ms for the command to end (then kill the
 * local ssh), free p.  Meanwhile what still arrives on out (if not -1)
 * and err is read and dropped, so nothing blocks on a full pipe.  The
 * command's exit status (the remote one, through ssh: 128+N when killed
 * by signal N, 255 when ssh failed), or -1 when it had to be killed.
 * hdp and tcpdump exit 0 when stopped by closing in.  p may be NULL. */
int remote_finish(struct remote_proc *p, int timeout_ms);
/* Close in (the command then ends on its host) without waiting: to stop
 * every point first, read what each still sends, then finish each. */
void remote_stop(struct remote_proc *p);
/* Read what its standard error holds now, without waiting (put p->err in
 * your poll set during a long run: a command whose error pipe fills up
 * would block): 0, or -1 once it is closed (the command ended). */
int remote_read_err(struct remote_proc *p);
/* The last line the command wrote to its standard error ("" if none),
 * as read by remote_wait_line, remote_read_err. */
const char *remote_last_line(const struct remote_proc *p);
/* What "hdp" runs as for h == NULL: NULL (the default) means this very
 * program (/proc/PID/exe); a test program sets it to the built hdp. */
extern const char *remote_local_hdp;

/*
 * Start a capture at point p (POINT_IFACE or POINT_SSH; h is NULL for a
 * local one): hdp sniff -i IFACE -U -w - when hdp is there and compatible,
 * else tcpdump -i IFACE -U -w - (with -Z root when root), with the BPF
 * filter given, and wait until it says it is listening.  Its .out carries
 * a pcap stream, to be read as it arrives with pcap_fopen_offline().
 *
 * Exactly: "hdp sniff -i IFACE -U --immediate -B 8192 -w - [--filter F]"
 * or "tcpdump -i IFACE -U --immediate-mode -B 8192
 * --time-stamp-precision=nano -n -w - [-Z root] F".  filter is the whole
 * BPF expression in both (hdp's --filter replaces its default); NULL
 * means HDP only (hdp's default; tcpdump gets hdp_filter_default(1)).
 * Pass HDP_FILTER_ICMP-style expressions yourself to see ICMP errors.
 * Both write nanosecond pcap: open .out with
 * pcap_fopen_offline_with_tstamp_precision(fdopen(out), ..._NANO)
 * (plain pcap_fopen_offline would give microseconds), or with libhdp's
 * hdp_cap_open_fd_prec(out, name, &digits, ...) (lib/hdp_capture.h:
 * nanoseconds from any pcap or pcapng; it closes the fd at pcap_close).
 * Either way set p->out = -1 then.  The pcap header is written right
 * after "listening on" (hdp flushes it at open; tcpdump 4.99 with -U
 * too: tested with no packet at all), so the open does not wait for a
 * packet; an older tcpdump may hold it until the first packet, so a
 * caller that must not block polls .out for POLLIN (with its own time
 * limit) before opening it.  Each packet follows within milliseconds
 * (immediate mode, flushed per packet).  tcpdump stays root with -Z root when it
 * starts as root (remote uid 0, or --sudo), where it would otherwise run
 * as user tcpdump (and fail where that user does not exist).
 * timeout_ms: how long to wait for "listening on"; 0 or less: do not
 * wait (to start dozens of points at once, then remote_wait_line(p,
 * "listening on", ...) on each).  On failure (NULL) the line said is
 * the capture's own last line of error, named ("ssh://r1/eth9: tcpdump:
 * eth9: No such device exists (SIOCGIFHWADDR: No such device)"), or
 * "...: no hdp or tcpdump on r1"; "hdp X on r1 is not compatible with Y
 * here; using tcpdump" is said (once per capture) when falling back.
 * Stopping: remote_stop(p), read .out to its end (the command flushes
 * and exits; the stream ends), then remote_finish(p, ...).  A packet
 * still in the kernel's ring when the stop arrives can be lost: leave a
 * drain time (0.2 s is plenty in immediate mode) after the last packet
 * you expect before remote_stop.
 */
struct remote_proc *remote_capture(struct remote_host *h,
				   const struct point *p, const char *filter,
				   int timeout_ms);

#endif /* HDP_TOOL_REMOTE_H */
