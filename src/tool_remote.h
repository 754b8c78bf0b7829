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

/* Parse spec into *p (strings owned by p).  need_iface: an ssh:// point
 * must name an interface.  On error say why (tool_usage_err, naming spec)
 * and return -1. */
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
 * offset is within offset_ns +- uncert_ns. */
struct remote_clock {
	int64_t offset_ns;
	int64_t uncert_ns;
};

/* What remote_open found on the other host. */
struct remote_info {
	char hdp_version[32];    /* "" when no hdp there                    */
	int hdp_ok;              /* hdp there and compatible with this one  */
	int has_tcpdump;
	char kernel[128];        /* uname -sr                               */
	char addr[64];           /* the address ssh reached ($SSH_CONNECTION) */
	struct remote_clock clock_start;
};

struct remote_host;

/* Open (or share, for a second point on the same user@host:port) the
 * master connection to p's host and look at what is there.  NULL after
 * one line naming p and what failed. */
struct remote_host *remote_open(const struct remote_cfg *c,
				const struct point *p);
/* Optional: start connecting to p's host now without waiting (0, or -1
 * after saying why), so that a loop of remote_start over every point
 * and then one of remote_open waits for the slowest host, not the sum. */
int remote_start(const struct remote_cfg *c, const struct point *p);
const struct remote_info *remote_info(const struct remote_host *h);
/* One more clock estimate (at the end of a run): 0, or -1 when the host
 * no longer answers. */
int remote_clock(struct remote_host *h, struct remote_clock *out);
/* Close the master connection (ssh -O exit) once its last user is done. */
void remote_close(struct remote_host *h);

/* A command running on a host (or locally, for h == NULL). */
struct remote_proc {
	pid_t pid;     /* the local ssh (or the local command)            */
	int in;        /* its standard input: close it to end the command */
	int out;       /* its standard output                             */
	int err;       /* its standard error                              */
	char *name;    /* "ssh://r1/eth0", for messages                   */
};

/* Run argv (argv[0] "hdp" means the remote hdp) on h, under sudo -n when
 * the configuration says so.  NULL after saying why. */
struct remote_proc *remote_spawn(struct remote_host *h, const char *name,
				 char *const argv[]);
/* Read the command's standard error until a line containing what arrives
 * (copied into line), the command ends, or timeout_ms passes: 0, or -1
 * after saying why (the command's own last line of error, named). */
int remote_wait_line(struct remote_proc *p, const char *what,
		     int timeout_ms, char *line, size_t len);
/* Close in, wait at most timeout_ms for the command to end (then kill the
 * local ssh), free p.  The command's exit status, or -1. */
int remote_finish(struct remote_proc *p, int timeout_ms);
/* Close in (the command then ends on its host) without waiting: to stop
 * every point first, read what each still sends, then finish each. */
void remote_stop(struct remote_proc *p);
/* The last line the command wrote to its standard error ("" if none),
 * as read by remote_wait_line / remote_finish. */
const char *remote_last_line(const struct remote_proc *p);
/* What "hdp" runs as for h == NULL: NULL (the default) means this very
 * program (/proc/PID/exe); a test program sets it to the built hdp. */
extern const char *remote_local_hdp;

/* Start a capture at point p (POINT_IFACE or POINT_SSH; h is NULL for a
 * local one): hdp sniff -i IFACE -U -w - when hdp is there and compatible,
 * else tcpdump -i IFACE -U -w - (with -Z root when root), with the BPF
 * filter given, and wait until it says it is listening.  Its .out carries
 * a pcap stream, to be read as it arrives with pcap_fopen_offline(). */
struct remote_proc *remote_capture(struct remote_host *h,
				   const struct point *p, const char *filter,
				   int timeout_ms);

#endif /* HDP_TOOL_REMOTE_H */
