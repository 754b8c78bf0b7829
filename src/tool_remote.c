/*
 * tool_remote.c: points on other hosts, reached with the system's ssh
 * (the contract and what callers must know: tool_remote.h).
 *
 * Read in this order:
 *   point_parse()        the three ways a point is written
 *   remote_cfg_opt()     --ssh-option, --sudo, --remote-hdp
 *   spawn_argv()         fork/exec with pipes, the one way a child starts
 *   ssh_argv()           the ssh command line, options in a chosen order
 *   remote_start/open()  the master connection (start_master,
 *                        wait_master), then one session for the info
 *                        probe and the clock (probe_host, clock_samples);
 *                        remote_open_all() does it for many hosts at once
 *   remote_spawn()       a command inside the stdin-watching wrapper
 *   remote_wait_line()   its standard error, line by line
 *   remote_finish()      stop, reap, free
 *   remote_capture()     hdp sniff or tcpdump, streaming pcap back
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hdp_capture.h"
#include "tool.h"
#include "tool_remote.h"

const char *remote_local_hdp;

/* ---- small helpers: time, strings ---- */

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* src into dst[len], cut short when it does not fit */
static void
copy_str(char *dst, size_t len, const char *src)
{
	size_t n = 0;

	while (n + 1 < len && src[n] != '\0')
		n++;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* A growing string; on out of memory it keeps failed set and stays
 * usable (every append is then a no-op). */
struct sbuf {
	char *s;
	size_t len, cap;
	int failed;
};

static void
sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap : 256);
		char *t;

		while (cap < b->len + n + 1)
			cap *= 2;
		if ((t = realloc(b->s, cap)) == NULL) {
			b->failed = 1;
			return;
		}
		b->s = t;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* s in single quotes for a POSIX shell: ' itself as '\'' */
static void
sb_quote(struct sbuf *b, const char *s)
{
	const char *q;

	sb_add(b, "'", 1);
	while ((q = strchr(s, '\'')) != NULL) {
		sb_add(b, s, (size_t)(q - s));
		sb_add(b, "'\\''", 4);
		s = q + 1;
	}
	sb_str(b, s);
	sb_add(b, "'", 1);
}

/* ---- points ---- */

void
point_free(struct point *p)
{
	free(p->spec);
	free(p->user);
	free(p->host);
	free(p->iface);
	free(p->file);
	memset(p, 0, sizeof(*p));
}

/* A user, host or interface name that ssh and the remote shell see as
 * one plain word: printable, no blank, not an option. */
static int
plain_word(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

static int
has_capture_suffix(const char *s)
{
	static const char *const sfx[] = { ".pcap", ".pcapng", ".cap" };
	size_t n = strlen(s), i, k;

	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		k = strlen(sfx[i]);
		if (n > k && strcmp(s + n - k, sfx[i]) == 0)
			return 1;
	}
	return 0;
}

/* host[:port] or [v6]:port, into p; -1 after saying why */
static int
parse_hostport(const char *spec, const char *a, size_t n, struct point *p)
{
	const char *h = a, *colon = NULL, *end = a + n;
	size_t hn;

	if (n > 0 && a[0] == '[') {
		const char *rb = memchr(a, ']', n);

		if (rb == NULL)
			return tool_usage_err("%s: no ']' after the IPv6 "
					      "address", spec), -1;
		h = a + 1;
		hn = (size_t)(rb - h);
		if (rb + 1 < end) {
			if (rb[1] != ':')
				return tool_usage_err("%s: ':PORT' or '/' "
					"expected after ']'", spec), -1;
			colon = rb + 1;
		}
	} else {
		colon = memchr(a, ':', n);
		if (colon != NULL && memchr(colon + 1, ':',
					    (size_t)(end - colon - 1)) != NULL)
			return tool_usage_err("%s: write an IPv6 address in "
					      "[] (ssh://[ADDR]/IFACE)",
					      spec), -1;
		hn = colon ? (size_t)(colon - a) : n;
	}
	if (!plain_word(h, hn))
		return tool_usage_err("%s: bad host name", spec), -1;
	if ((p->host = strndup(h, hn)) == NULL)
		return tool_err("out of memory"), -1;
	if (colon != NULL) {
		const char *d = colon + 1;
		unsigned long v = 0;

		if (d == end)
			return tool_usage_err("%s: no port after ':'",
					      spec), -1;
		for (; d < end; d++) {
			if (*d < '0' || *d > '9')
				return tool_usage_err("%s: port '%.*s' is not "
					"a number", spec, (int)(end - colon - 1),
					colon + 1), -1;
			if (v <= 65535)
				v = v * 10 + (unsigned long)(*d - '0');
		}
		if (v < 1 || v > 65535)
			return tool_usage_err("%s: port %.*s is out of range "
				"1-65535", spec, (int)(end - colon - 1),
				colon + 1), -1;
		p->port = (unsigned)v;
	}
	return 0;
}

static int
parse_ssh(const char *spec, int need_iface, struct point *p)
{
	const char *a = spec + 6, *slash = strchr(a, '/'), *at;
	size_t n = slash ? (size_t)(slash - a) : strlen(a);

	p->kind = POINT_SSH;
	at = memchr(a, '@', n);
	if (at != NULL) {
		if (!plain_word(a, (size_t)(at - a)))
			return tool_usage_err("%s: bad user name", spec), -1;
		if ((p->user = strndup(a, (size_t)(at - a))) == NULL)
			return tool_err("out of memory"), -1;
		n -= (size_t)(at + 1 - a);
		a = at + 1;
	}
	if (parse_hostport(spec, a, n, p) != 0)
		return -1;
	if (slash == NULL || slash[1] == '\0') {
		if (need_iface)
			return tool_usage_err("%s: name the interface "
					      "(ssh://HOST/IFACE)", spec), -1;
		return 0;
	}
	if (!plain_word(slash + 1, strlen(slash + 1)) ||
	    strchr(slash + 1, '/') != NULL || strlen(slash + 1) >= IFNAMSIZ)
		return tool_usage_err("%s: bad interface name", spec), -1;
	if ((p->iface = strdup(slash + 1)) == NULL)
		return tool_err("out of memory"), -1;
	return 0;
}

int
point_parse(const char *spec, int need_iface, struct point *p)
{
	int rc = 0;

	memset(p, 0, sizeof(*p));
	if (spec[0] == '\0') {
		tool_usage_err("an empty point (IFACE, FILE or "
			       "ssh://HOST/IFACE)");
		return -1;
	}
	if ((p->spec = strdup(spec)) == NULL) {
		tool_err("out of memory");
		return -1;
	}
	if (strncmp(spec, "ssh://", 6) == 0) {
		rc = parse_ssh(spec, need_iface, p);
	} else if (strchr(spec, '/') == NULL && !has_capture_suffix(spec) &&
		   if_nametoindex(spec) != 0) {
		p->kind = POINT_IFACE;
		if ((p->iface = strdup(spec)) == NULL)
			rc = -1;
	} else {
		p->kind = POINT_FILE;
		if ((p->file = strdup(spec)) == NULL)
			rc = -1;
	}
	if (rc != 0) {
		if (p->kind != POINT_SSH)
			tool_err("out of memory");
		point_free(p);
	}
	return rc;
}

/* ---- options ---- */

const char remote_usage[] =
"  --ssh-option OPT  pass -o OPT to ssh, ahead of hdp's own options so that\n"
"                 it wins (not BatchMode: never a prompt); repeatable\n"
"  --sudo         run the remote side under 'sudo -n' (never a password\n"
"                 prompt: a sudo that wants one is an error)\n"
"  --remote-hdp PATH  the hdp to run on remote hosts (default: hdp on the\n"
"                 remote PATH; without a compatible one, tcpdump captures)\n";

int
remote_cfg_opt(struct remote_cfg *c, int opt, const char *arg)
{
	const char **v;

	switch (opt) {
	case REMOTE_OPT_SSH:
		if (arg[0] == '\0' || strchr(arg, '\n') != NULL)
			return tool_usage_err("--ssh-option: '%s': not an ssh "
					      "option (OPTION=VALUE)", arg), -1;
		v = realloc(c->ssh_opts, (c->n_ssh_opts + 1) * sizeof(*v));
		if (v == NULL)
			return tool_err("out of memory"), -1;
		v[c->n_ssh_opts++] = arg;
		c->ssh_opts = v;
		return 1;
	case REMOTE_OPT_SUDO:
		c->sudo = 1;
		return 1;
	case REMOTE_OPT_HDP:
		if (arg[0] == '\0')
			return tool_usage_err("--remote-hdp: an empty "
					      "path"), -1;
		c->remote_hdp = arg;
		return 1;
	}
	return 0;
}

void
remote_cfg_free(struct remote_cfg *c)
{
	free(c->ssh_opts);
	c->ssh_opts = NULL;
	c->n_ssh_opts = 0;
}

/* ---- processes ---- */

/*
 * Start argv with fds[0..2] (-1: /dev/null) as its standard input, output
 * and error; pipe ends given here are the caller's to close.  The child
 * gets a process group of its own (a Ctrl-C on the terminal reaches hdp,
 * which stops every remote side in order, not ssh first), default
 * signal dispositions, and SIGTERM when hdp dies (even by SIGKILL), so no
 * ssh outlives it.  Every other descriptor of ours is close-on-exec.
 * The pid, or -1 with the reason in spawn_why (an exec failure comes
 * back through a close-on-exec pipe), for the caller to say with the
 * point's name.
 */
static char spawn_why[512];

static pid_t
spawn_argv(char *const argv[], const int fds[3])
{
	static const int dfl[] = { SIGPIPE, SIGINT, SIGTERM, SIGHUP,
				   SIGQUIT, SIGCHLD, SIGALRM, SIGUSR1,
				   SIGUSR2 };
	pid_t parent = getpid(), pid;
	int st[2], e = 0, i;
	ssize_t r;

	if (pipe2(st, O_CLOEXEC) != 0) {
		snprintf(spawn_why, sizeof(spawn_why), "pipe: %s",
			 strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		sigset_t none;
		int null = open("/dev/null", O_RDWR);

		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127);
		for (i = 0; i < (int)(sizeof(dfl) / sizeof(dfl[0])); i++)
			signal(dfl[i], SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		for (i = 0; i < 3; i++)
			if (dup2(fds[i] >= 0 ? fds[i] : null, i) < 0)
				goto fail;
		execvp(argv[0], argv);
fail:
		e = errno;
		r = write(st[1], &e, sizeof(e));
		(void)r;
		_exit(127);
	}
	close(st[1]);
	if (pid < 0) {
		snprintf(spawn_why, sizeof(spawn_why), "fork: %s",
			 strerror(errno));
		close(st[0]);
		return -1;
	}
	do
		r = read(st[0], &e, sizeof(e));
	while (r < 0 && errno == EINTR);
	close(st[0]);
	if (r == (ssize_t)sizeof(e)) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		snprintf(spawn_why, sizeof(spawn_why), "%.100s: %s", argv[0],
			 strerror(e));
		return -1;
	}
	return pid;
}

/* waitpid for at most ms (0: just look); 1 when it ended (*status),
 * 0 when still running. */
static int
wait_ms(pid_t pid, int *status, long ms)
{
	int64_t end = mono_ms() + ms;
	pid_t r;

	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid || (r < 0 && errno == ECHILD))
			return 1;
		if (mono_ms() >= end)
			return 0;
		sleep_ms(10);
	}
}

/* Reap pid: wait ms, then SIGTERM and 1 s, then SIGKILL.  The exit
 * status (128 + signal when killed by one), -1 when we had to kill it. */
static int
reap(pid_t pid, long ms)
{
	int st = 0;

	if (!wait_ms(pid, &st, ms)) {
		kill(pid, SIGTERM);
		if (!wait_ms(pid, &st, 1000)) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
		}
		return -1;
	}
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return -1;
}

/* ---- the ssh command line ---- */

#define MAX_ARGS 96

struct argv_b {
	char *v[MAX_ARGS + 1];
	int n;
	char words[1024];   /* $HDP_SSH, split in place */
	char num[3][32];
};

static int
av_add(struct argv_b *a, const char *s)
{
	if (a->n >= MAX_ARGS)
		return -1;
	a->v[a->n++] = (char *)s;
	a->v[a->n] = NULL;
	return 0;
}

struct remote_host {
	struct remote_host *next;
	int refs;
	int state;                 /* H_STARTED, H_OPEN, H_FAILED          */
	char *user, *host;
	unsigned port;
	char *label;               /* host as written, for "on r1"          */
	const struct remote_cfg *cfg;
	char sock[128], log[128];
	pid_t master;
	int64_t deadline;          /* for the master to come up           */
	char why[512];             /* H_FAILED: ssh's own last line       */
	char hdp_path[512], tcpdump_path[512];
	int uid;                   /* remote id -u, -1 when unknown       */
	struct remote_info info;
	int probed;                /* the probe and the clock are done     */
	struct remote_proc *probe; /* the probe's session, once begun      */
	int64_t probe_end;         /* its deadline                         */
};

enum { H_STARTED, H_OPEN, H_FAILED };

static struct remote_host *hosts;
static char ctl_dir[96];
static int n_live;            /* masters running: ctl_dir exists      */
static unsigned n_made;

/*
 * ssh's options, in this order (ssh keeps the FIRST value it is given
 * for an option, command line before ~/.ssh/config):
 *   $HDP_SSH's words (or "ssh")
 *   BatchMode=yes, ControlMaster=yes|no, ControlPersist=no: ours must win,
 *     or ssh could prompt, or a master could fork away from us
 *   the user's --ssh-option values: they win over everything below and
 *     over ~/.ssh/config
 *   ConnectTimeout, ServerAliveInterval/CountMax (a dead host is noticed
 *     within ~15 s), -S (the control socket: -S always wins)
 *   -T -x -a, -l USER, -p PORT, --, HOST, then the remote command
 */
static int
ssh_argv(struct argv_b *a, const struct remote_host *h, int master,
	 const char *ctl_op, const char *cmd)
{
	const char *env = getenv("HDP_SSH");
	char *w, *save = NULL;
	size_t i;
	int bad = 0;

	a->n = 0;
	if (env != NULL && strlen(env) >= sizeof(a->words)) {
		snprintf(spawn_why, sizeof(spawn_why), "HDP_SSH: longer than "
			 "%zu bytes", sizeof(a->words) - 1);
		return -1;
	}
	if (env != NULL && env[0] != '\0') {
		strcpy(a->words, env);
		for (w = strtok_r(a->words, " \t\n", &save); w != NULL;
		     w = strtok_r(NULL, " \t\n", &save))
			bad |= av_add(a, w);
	}
	if (a->n == 0)
		bad |= av_add(a, "ssh");
	bad |= av_add(a, "-o") | av_add(a, "BatchMode=yes");
	bad |= av_add(a, "-o") | av_add(a, master ? "ControlMaster=yes" :
					   "ControlMaster=no");
	bad |= av_add(a, "-o") | av_add(a, "ControlPersist=no");
	for (i = 0; i < h->cfg->n_ssh_opts; i++)
		bad |= av_add(a, "-o") | av_add(a, h->cfg->ssh_opts[i]);
	snprintf(a->num[0], sizeof(a->num[0]), "ConnectTimeout=%u",
		 h->cfg->connect_timeout ? h->cfg->connect_timeout : 10);
	bad |= av_add(a, "-o") | av_add(a, a->num[0]);
	bad |= av_add(a, "-o") | av_add(a, "ServerAliveInterval=5");
	bad |= av_add(a, "-o") | av_add(a, "ServerAliveCountMax=3");
	bad |= av_add(a, "-S") | av_add(a, h->sock);
	if (ctl_op != NULL)
		bad |= av_add(a, "-O") | av_add(a, ctl_op);
	else if (master)
		bad |= av_add(a, "-N");
	else
		bad |= av_add(a, "-T");
	bad |= av_add(a, "-x") | av_add(a, "-a");
	if (h->user != NULL)
		bad |= av_add(a, "-l") | av_add(a, h->user);
	if (h->port != 0) {
		snprintf(a->num[1], sizeof(a->num[1]), "%u", h->port);
		bad |= av_add(a, "-p") | av_add(a, a->num[1]);
	}
	bad |= av_add(a, "--") | av_add(a, h->host);
	if (cmd != NULL)
		bad |= av_add(a, cmd);
	if (bad) {
		snprintf(spawn_why, sizeof(spawn_why), "ssh: too many options");
		return -1;
	}
	return 0;
}

/* ssh_argv, then spawn_argv: the pid, or -1 with spawn_why said. */
static pid_t
ssh_spawn(const struct remote_host *h, int master, const char *ctl_op,
	  const char *cmd, const int fds[3])
{
	struct argv_b a;

	if (ssh_argv(&a, h, master, ctl_op, cmd) != 0)
		return -1;
	return spawn_argv(a.v, fds);
}

/* ---- the master connection ---- */

static int atexit_set;
static pid_t atexit_pid;    /* a forked child calling exit() is not us */

/* The program ends without remote_close (an error path, exit()): the
 * masters would end anyway (SIGTERM when their parent dies), but the
 * directory would stay; end them and remove it now. */
static void
remote_atexit(void)
{
	struct remote_host *h;

	if (getpid() != atexit_pid)
		return;
	for (h = hosts; h != NULL; h = h->next)
		if (h->master > 0) {
			kill(h->master, SIGTERM);
			if (wait_ms(h->master, NULL, 500))
				h->master = 0;
			unlink(h->sock);
			unlink(h->log);
		}
	if (ctl_dir[0] != '\0')
		rmdir(ctl_dir);
}

/* The private directory for control sockets and ssh's logs: short
 * enough that "DIR/m99.XXXXXXXXXXXXXXXX" (ssh's temporary name for the
 * socket) fits a unix socket's 108 bytes. */
static int
make_ctl_dir(void)
{
	const char *t = getenv("TMPDIR");

	if (n_live > 0 || ctl_dir[0] != '\0')
		return 0;
	if (t == NULL || t[0] != '/' || strlen(t) > 40)
		t = P_tmpdir;	/* from stdio.h */
	snprintf(ctl_dir, sizeof(ctl_dir), "%s/hdp-ssh.XXXXXX", t);
	if (mkdtemp(ctl_dir) == NULL) {
		snprintf(spawn_why, sizeof(spawn_why), "%.100s: %s", ctl_dir,
			 strerror(errno));
		ctl_dir[0] = '\0';
		return -1;
	}
	if (!atexit_set && atexit(remote_atexit) == 0) {
		atexit_set = 1;
		atexit_pid = getpid();
	}
	return 0;
}

static void
drop_ctl_dir(void)
{
	if (n_live == 0 && ctl_dir[0] != '\0') {
		rmdir(ctl_dir);
		ctl_dir[0] = '\0';
	}
}

/* The last line of text in file, trimmed, into out ("" when none). */
static void
last_line(const char *file, char *out, size_t len)
{
	char buf[4096];
	ssize_t n = 0;
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	off_t size;

	out[0] = '\0';
	if (fd < 0)
		return;
	size = lseek(fd, 0, SEEK_END);
	if (size > (off_t)sizeof(buf) - 1)
		lseek(fd, size - (off_t)sizeof(buf) + 1, SEEK_SET);
	else
		lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
			 buf[n - 1] == ' '))
		buf[--n] = '\0';
	{
		char *nl = strrchr(buf, '\n');
		char *s = nl ? nl + 1 : buf;

		copy_str(out, len, s);
	}
}

static struct remote_host *
find_host(const struct point *p)
{
	struct remote_host *h;

	for (h = hosts; h != NULL; h = h->next)
		if (strcmp(h->host, p->host) == 0 && h->port == p->port &&
		    ((h->user == NULL && p->user == NULL) ||
		     (h->user != NULL && p->user != NULL &&
		      strcmp(h->user, p->user) == 0)))
			return h;
	return NULL;
}

static void
host_fail(struct remote_host *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
host_fail(struct remote_host *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->why, sizeof(h->why), fmt, ap);
	va_end(ap);
	h->state = H_FAILED;
}

/* Fork the master (ssh -N, ControlMaster=yes) with its errors going to
 * a log file; remote_open waits for it. */
static int
start_master(struct remote_host *h)
{
	int fds[3] = { -1, -1, -1 };

	if (make_ctl_dir() != 0) {
		host_fail(h, "%s", spawn_why);
		return -1;
	}
	snprintf(h->sock, sizeof(h->sock), "%s/m%u", ctl_dir, n_made);
	snprintf(h->log, sizeof(h->log), "%s/m%u.log", ctl_dir, n_made);
	n_made++;
	fds[2] = open(h->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fds[2] < 0) {
		host_fail(h, "%s: %s", h->log, strerror(errno));
		drop_ctl_dir();
		return -1;
	}
	h->master = ssh_spawn(h, 1, NULL, NULL, fds);
	close(fds[2]);
	if (h->master <= 0) {
		host_fail(h, "%s", spawn_why);
		unlink(h->log);
		drop_ctl_dir();
		return -1;
	}
	n_live++;
	h->deadline = mono_ms() + 1000L *
		((h->cfg->connect_timeout ? h->cfg->connect_timeout : 10) + 10);
	return 0;
}

/* Run ssh -O op; its exit status (-1 when it could not run). */
static int
ctl_op(struct remote_host *h, const char *op)
{
	int fds[3] = { -1, -1, -1 };
	pid_t pid;

	if ((pid = ssh_spawn(h, 0, op, NULL, fds)) < 0)
		return -1;
	return reap(pid, 5000);
}

/* The master ended or never came up: reap it, keep the reason. */
static void
master_gone(struct remote_host *h)
{
	char line[400];

	if (h->master > 0) {
		reap(h->master, 0);
		h->master = 0;
		n_live--;
	}
	last_line(h->log, line, sizeof(line));
	if (h->state != H_FAILED)
		host_fail(h, "%s", line[0] ? line :
			  "ssh ended without saying why");
	unlink(h->log);
	unlink(h->sock);
	drop_ctl_dir();
}

/* Wait until the master listens on its socket (it does so only once
 * authenticated), or ends, or its time is up. */
static int
wait_master(struct remote_host *h)
{
	struct stat st;
	int status;

	while (h->state == H_STARTED) {
		if (waitpid(h->master, &status, WNOHANG) == h->master) {
			h->master = 0;
			n_live--;
			master_gone(h);
			break;
		}
		if (stat(h->sock, &st) == 0 && S_ISSOCK(st.st_mode) &&
		    ctl_op(h, "check") == 0) {
			h->state = H_OPEN;
			break;
		}
		if (mono_ms() > h->deadline || tool_stop) {
			host_fail(h, tool_stop ? "interrupted" :
				  "ssh did not connect in time");
			kill(h->master, SIGTERM);
			master_gone(h);
			break;
		}
		sleep_ms(20);
	}
	return h->state == H_OPEN ? 0 : -1;
}

static struct remote_host *
new_host(const struct remote_cfg *c, const struct point *p)
{
	struct remote_host *h = calloc(1, sizeof(*h));

	if (h == NULL || (h->host = strdup(p->host)) == NULL ||
	    (p->user != NULL && (h->user = strdup(p->user)) == NULL)) {
		if (h != NULL)
			free(h->host);
		free(h);
		tool_err("out of memory");
		return NULL;
	}
	h->port = p->port;
	h->cfg = c;
	h->uid = -1;
	h->label = h->host;
	h->info.clock_start.uncert_ns = -1;
	h->next = hosts;
	hosts = h;
	if (start_master(h) != 0 && h->state != H_FAILED)
		host_fail(h, "cannot start ssh");
	return h;
}

int
remote_start(const struct remote_cfg *c, const struct point *p)
{
	if (p->kind != POINT_SSH)
		return 0;
	if (find_host(p) != NULL)
		return 0;
	return new_host(c, p) != NULL ? 0 : -1;
}

/* ---- commands on a host ---- */

/* remote_proc's private part: standard error read line by line. */
struct proc_priv {
	struct remote_proc pub;
	char buf[1024];     /* a partial line of standard error          */
	size_t blen;
	int skipping;       /* dropping the rest of an over-long line    */
	char last[512];     /* the last complete line, for messages      */
};

/* The remote command string for a sh script: "sh -c 'script'", under
 * "sudo -n" when asked.  The user's login shell runs it, so it is a
 * POSIX shell's job from "sh" on, whatever the login shell is. */
static void
remote_cmd(struct sbuf *b, const struct remote_host *h, const char *script,
	   int sudo)
{
	if (sudo && h->cfg->sudo)
		sb_str(b, "sudo -n ");
	sb_str(b, "sh -c ");
	sb_quote(b, script);
}

/* Start script (a POSIX sh script) on h, or locally with h NULL, with
 * pipes for its standard input, output and error. */
static struct remote_proc *
proc_start(struct remote_host *h, const char *name, const char *script,
	   int sudo)
{
	struct proc_priv *pp = calloc(1, sizeof(*pp));
	struct remote_proc *p = pp ? &pp->pub : NULL;
	struct sbuf cmd = { 0 };
	int pi[2] = { -1, -1 }, po[2] = { -1, -1 }, pe[2] = { -1, -1 };
	int fds[3];
	char *sh[] = { "/bin/sh", "-c", (char *)script, NULL };

	if (pp == NULL || (p->name = strdup(name)) == NULL) {
		tool_err("out of memory");
		goto fail;
	}
	p->in = p->out = p->err = -1;
	if (pipe2(pi, O_CLOEXEC) != 0 || pipe2(po, O_CLOEXEC) != 0 ||
	    pipe2(pe, O_CLOEXEC) != 0) {
		tool_errno("%s: pipe", name);
		goto fail;
	}
	fds[0] = pi[0];
	fds[1] = po[1];
	fds[2] = pe[1];
	if (h != NULL) {
		remote_cmd(&cmd, h, script, sudo);
		if (cmd.failed) {
			tool_err("out of memory");
			goto fail;
		}
		p->pid = ssh_spawn(h, 0, NULL, cmd.s, fds);
	} else {
		p->pid = spawn_argv(sh, fds);
	}
	if (p->pid < 0) {
		tool_err("%s: %s", name, spawn_why);
		goto fail;
	}
	close(pi[0]);
	close(po[1]);
	close(pe[1]);
	p->in = pi[1];
	p->out = po[0];
	p->err = pe[0];
	free(cmd.s);
	return p;
fail:
	for (int i = 0; i < 2; i++) {
		if (pi[i] >= 0) close(pi[i]);
		if (po[i] >= 0) close(po[i]);
		if (pe[i] >= 0) close(pe[i]);
	}
	free(cmd.s);
	if (pp != NULL)
		free(p->name);
	free(pp);
	return NULL;
}

/* ---- the clock ---- */

#define CLOCK_SAMPLES 5

/* Read one line from fd within ms; its length, -1 on EOF or time out. */
static int
read_line_fd(int fd, char *buf, size_t len, long ms)
{
	int64_t end = mono_ms() + ms;
	size_t n = 0;

	while (n + 1 < len) {
		struct pollfd pf = { fd, POLLIN, 0 };
		int64_t left = end - mono_ms();
		ssize_t r;

		if (left <= 0)
			return -1;
		if (poll(&pf, 1, (int)left) < 0) {
			if (errno == EINTR && !tool_stop)
				continue;
			return -1;
		}
		r = read(fd, buf + n, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		if (buf[n] == '\n') {
			buf[n] = '\0';
			return (int)n;
		}
		n++;
	}
	return -1;
}

/* "1700000000123456789": ns since the epoch, -1 when not that */
static int64_t
parse_ns(const char *s)
{
	int64_t v = 0;
	int n = 0;

	for (; *s >= '0' && *s <= '9' && n < 19; s++, n++)
		v = v * 10 + (*s - '0');
	if (n < 16 || (*s != '\0' && *s != '\r'))
		return -1;
	return v;
}

/*
 * NTP's midpoint: the remote clock read between our two readings is
 * taken as read at their midpoint; the best (smallest) of several round
 * trips bounds the error by half of it.  One session answers every line
 * with "date +%s%N", so no sample pays for a new ssh channel.
 */
static int
clock_samples(struct remote_proc *p, struct remote_clock *out)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	int64_t best = -1, off = 0;
	char line[64];
	int i, rc = -1;

	sigaction(SIGPIPE, &ign, &old);
	for (i = 0; i < CLOCK_SAMPLES; i++) {
		int64_t t0 = clock_ns(CLOCK_MONOTONIC);
		int64_t r0 = clock_ns(CLOCK_REALTIME), t1, rt;

		if (write(p->in, "x\n", 2) != 2 ||
		    read_line_fd(p->out, line, sizeof(line), 5000) < 0)
			break;
		t1 = clock_ns(CLOCK_MONOTONIC);
		if ((rt = parse_ns(line)) < 0)
			break;
		if (best < 0 || t1 - t0 < best) {
			best = t1 - t0;
			off = rt - (r0 + (t1 - t0) / 2);
		}
	}
	sigaction(SIGPIPE, &old, NULL);
	if (i == CLOCK_SAMPLES) {
		out->offset_ns = off;
		out->uncert_ns = best / 2 + 1;
		rc = 0;
	}
	return rc;
}

static int
clock_estimate(struct remote_host *h, struct remote_clock *out)
{
	struct remote_proc *p;
	int rc;

	p = proc_start(h, h->label, "while read x; do date +%s%N; done", 0);
	if (p == NULL)
		return -1;
	rc = clock_samples(p, out);
	remote_finish(p, 2000);
	return rc;
}

int
remote_clock(struct remote_host *h, struct remote_clock *out)
{
	if (h == NULL || h->state != H_OPEN)
		return -1;
	return clock_estimate(h, out);
}

/* ---- the info probe ---- */

/*
 * What is on the other host, in one round trip: the hdp asked for (its
 * absolute path, so that sudo's own PATH cannot lose it, and version),
 * tcpdump (also in the sbin directories a user's PATH may lack), the
 * kernel, the address ssh reached, the user id, and with --sudo whether
 * "sudo -n" works.  Then, in the same session (a login shell can cost
 * more than the round trip), the clock: each line read is answered with
 * the remote time.
 */
static const char probe_script[] =
	"h=$1\n"
	"p=$(command -v \"$h\" 2>/dev/null)\n"
	"case $p in /*) ;; ?*) p=$(cd \"$(dirname \"$p\")\" && pwd)/"
	"$(basename \"$p\");; esac\n"
	"echo \"hdp_path=$p\"\n"
	"[ -n \"$p\" ] && echo \"hdp_version=$(\"$p\" --version 2>/dev/null"
	" </dev/null | head -n 1)\"\n"
	"t=$(command -v tcpdump 2>/dev/null)\n"
	"for d in /usr/sbin /sbin /usr/local/sbin; do\n"
	"  [ -z \"$t\" ] && [ -x $d/tcpdump ] && t=$d/tcpdump\n"
	"done\n"
	"echo \"tcpdump=$t\"\n"
	"echo \"kernel=$(uname -sr)\"\n"
	"echo \"conn=${SSH_CONNECTION:-}\"\n"
	"echo \"uid=$(id -u)\"\n"
	"if [ \"$2\" = 1 ]; then\n"
	"  if ! command -v sudo >/dev/null 2>&1; then echo sudo=none\n"
	"  elif s=$(sudo -n true 2>&1 </dev/null); then echo sudo=ok\n"
	"  else echo \"sudo=${s:-sudo -n failed}\" | head -n 1; fi\n"
	"fi\n"
	"echo @@probe-end\n"
	"while read x; do date +%s%N; done\n";

/* "0.1.0" and "0.1.7" go together, "0.2.0" does not: same major.minor */
static int
version_ok(const char *v)
{
	const char *ours = PACKAGE_VERSION, *d1 = strchr(ours, '.'), *d2;
	size_t n;

	if (d1 == NULL || (d2 = strchr(d1 + 1, '.')) == NULL)
		n = strlen(ours);
	else
		n = (size_t)(d2 - ours);
	return strncmp(v, ours, n) == 0 && (v[n] == '.' || v[n] == '\0');
}

static void
probe_line(struct remote_host *h, const char *k, const char *v)
{
	struct remote_info *in = &h->info;

	if (strcmp(k, "hdp_path") == 0) {
		copy_str(h->hdp_path, sizeof(h->hdp_path), v);
	} else if (strcmp(k, "hdp_version") == 0) {
		/* "hdp 0.1.0" */
		if (strncmp(v, "hdp ", 4) == 0)
			v += 4;
		snprintf(in->hdp_version, sizeof(in->hdp_version), "%.*s",
			 (int)strcspn(v, " \t"), v);
	} else if (strcmp(k, "tcpdump") == 0) {
		copy_str(h->tcpdump_path, sizeof(h->tcpdump_path), v);
		in->has_tcpdump = v[0] != '\0';
	} else if (strcmp(k, "kernel") == 0) {
		copy_str(in->kernel, sizeof(in->kernel), v);
	} else if (strcmp(k, "conn") == 0) {
		/* client-address client-port server-address server-port */
		char a[4][64] = { "", "", "", "" };

		if (sscanf(v, "%63s %63s %63s %63s", a[0], a[1], a[2],
			   a[3]) >= 3)
			copy_str(in->addr, sizeof(in->addr), a[2]);
	} else if (strcmp(k, "uid") == 0) {
		h->uid = atoi(v);
	} else if (strcmp(k, "sudo") == 0 && strcmp(v, "none") == 0) {
		host_fail(h, "--sudo: no sudo on %s", h->label);
	} else if (strcmp(k, "sudo") == 0 && strcmp(v, "ok") != 0) {
		host_fail(h, "sudo -n: %s", strncmp(v, "sudo: ", 6) == 0 ?
			  v + 6 : v);
	}
}

/* The command ended before saying all: keep its last line of error
 * (within 2 s), for the host's reason. */
static void
probe_failed(struct remote_host *h, struct remote_proc *p)
{
	int64_t end = mono_ms() + 2000;

	remote_stop(p);
	while (p->err >= 0 && mono_ms() < end) {
		struct pollfd pf = { p->err, POLLIN, 0 };

		if (poll(&pf, 1, 100) > 0 && remote_read_err(p) < 0)
			break;
	}
	if (h->state != H_FAILED)
		host_fail(h, "%s", remote_last_line(p)[0] ?
			  remote_last_line(p) : tool_stop ? "interrupted" :
			  "the remote shell did not answer");
	remote_finish(p, 1000);
}

/* Start the probe's session (several hosts' run at once that way). */
static int
probe_begin(struct remote_host *h)
{
	struct sbuf s = { 0 };

	if (h->probe != NULL)
		return 0;
	/* the script reads $1 and $2 */
	sb_str(&s, "set -- ");
	sb_quote(&s, h->cfg->remote_hdp ? h->cfg->remote_hdp : "hdp");
	sb_str(&s, h->cfg->sudo ? " 1\n" : " 0\n");
	sb_str(&s, probe_script);
	h->probe = s.failed ? NULL : proc_start(h, h->label, s.s, 0);
	free(s.s);
	if (h->probe == NULL) {
		host_fail(h, "cannot run ssh");
		return -1;
	}
	h->probe_end = mono_ms() + 1000L *
		((h->cfg->connect_timeout ? h->cfg->connect_timeout : 10) + 5);
	return 0;
}

/* Read the probe's answers, then sample the clock in the same session. */
static int
probe_host(struct remote_host *h)
{
	struct remote_proc *p;
	char line[1024];
	int64_t end;

	if (probe_begin(h) != 0)
		return -1;
	p = h->probe;
	end = h->probe_end;
	h->probe = NULL;
	h->probed = 1;
	for (;;) {
		int64_t left = end - mono_ms();
		char *eq;

		if (left <= 0 || read_line_fd(p->out, line, sizeof(line),
					      (long)left) < 0) {
			probe_failed(h, p);
			return -1;
		}
		if (strcmp(line, "@@probe-end") == 0)
			break;
		if ((eq = strchr(line, '=')) != NULL) {
			*eq = '\0';
			probe_line(h, line, eq + 1);
		}
	}
	h->info.hdp_ok = h->hdp_path[0] != '\0' &&
			 h->info.hdp_version[0] != '\0' &&
			 version_ok(h->info.hdp_version);
	if (h->state != H_FAILED &&
	    clock_samples(p, &h->info.clock_start) != 0)
		h->info.clock_start.uncert_ns = -1;
	remote_finish(p, 2000);
	return h->state == H_FAILED ? -1 : 0;
}

/* ---- open, info, close ---- */

struct remote_host *
remote_open(const struct remote_cfg *c, const struct point *p)
{
	struct remote_host *h;

	if (p->kind != POINT_SSH) {
		tool_err("%s: not an ssh:// point", p->spec);
		return NULL;
	}
	if ((h = find_host(p)) == NULL && (h = new_host(c, p)) == NULL)
		return NULL;
	if (h->state == H_STARTED)
		wait_master(h);
	if (h->state == H_OPEN && !h->probed && probe_host(h) != 0) {
		/* connected, but not usable (sudo): close it */
		ctl_op(h, "exit");
		reap(h->master, 2000);
		h->master = 0;
		n_live--;
		h->state = H_FAILED;
		master_gone(h);
	}
	if (h->state != H_OPEN) {
		tool_err("%s: %s", p->spec, h->why);
		return NULL;
	}
	h->refs++;
	return h;
}

size_t
remote_open_all(const struct remote_cfg *c, const struct point *pts,
		size_t n, struct remote_host **out)
{
	struct remote_host *h;
	size_t i, failed = 0;

	for (i = 0; i < n; i++)
		if (pts[i].kind == POINT_SSH)
			remote_start(c, &pts[i]);
	/* the masters connect at once; then every probe runs at once */
	for (i = 0; i < n; i++)
		if (pts[i].kind == POINT_SSH &&
		    (h = find_host(&pts[i])) != NULL) {
			if (h->state == H_STARTED)
				wait_master(h);
			if (h->state == H_OPEN && !h->probed)
				probe_begin(h);
		}
	for (i = 0; i < n; i++) {
		out[i] = NULL;
		if (pts[i].kind == POINT_SSH &&
		    (out[i] = remote_open(c, &pts[i])) == NULL)
			failed++;
	}
	return failed;
}

const struct remote_info *
remote_info(const struct remote_host *h)
{
	return &h->info;
}

/* Take h out of the list and free it (a later remote_open of its host
 * connects again). */
static void
unlink_host(struct remote_host *h)
{
	struct remote_host **pp;

	for (pp = &hosts; *pp != NULL; pp = &(*pp)->next)
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	free(h->user);
	free(h->host);
	free(h);
}

void
remote_close(struct remote_host *h)
{
	if (h == NULL || h->state != H_OPEN || --h->refs > 0)
		return;
	ctl_op(h, "exit");
	if (h->master > 0) {
		reap(h->master, 3000);
		h->master = 0;
		n_live--;
	}
	unlink(h->log);
	unlink(h->sock);
	unlink_host(h);
	drop_ctl_dir();
}

/* ---- remote_spawn: a command that ends when its input closes ---- */

/*
 * The wrapper.  A POSIX shell gives an asynchronous command /dev/null as
 * its standard input, so ours is kept as fd 3 for a watcher: when it
 * reads end of file (remote_finish closed .in, the local ssh died, the
 * connection or the master went away) the command gets SIGTERM (hdp and
 * tcpdump then flush what they hold and exit), and SIGKILL a second
 * later if it did not end.  Where setsid(1) is (util-linux, busybox), the
 * command runs in a session of its own and the signals go to its whole
 * process group, so children it started end too (and cannot keep the
 * channel open); else to the command alone.  (setsid forks only when
 * it is a process group leader, which an asynchronous command of a shell
 * without job control never is: $p stays the command's pid.)  The
 * watcher's output goes nowhere: a background process holding the
 * channel's standard output would keep sshd (and so us) waiting after
 * the command ended.  The wrapper exits with the command's status.
 */
static const char wrap_head[] =
	"exec 3<&0\n"
	"g=; command -v setsid >/dev/null 2>&1 && g=setsid\n"
	"$g ";
static const char wrap_tail[] =
	" </dev/null &\n"
	"p=$!\n"
	"k() { kill -$1 -$p 2>/dev/null || kill -$1 $p 2>/dev/null; }\n"
	"{ cat >/dev/null 2>&1; k TERM; sleep 1; k KILL; }"
	" <&3 >/dev/null 2>&1 &\n"
	"w=$!\n"
	"exec 3<&- </dev/null\n"
	"wait $p\n"
	"s=$?\n"
	"kill $w 2>/dev/null\n"
	"exit $s\n";

/* The program to run for argv[0] on h: the remote hdp or tcpdump found
 * by the probe, this very program for a local "hdp". */
static const char *
program_for(struct remote_host *h, const char *name, const char *arg0,
	    char *self, size_t len)
{
	if (strcmp(arg0, "hdp") == 0) {
		if (h == NULL) {
			if (remote_local_hdp != NULL)
				return remote_local_hdp;
			snprintf(self, len, "/proc/%ld/exe", (long)getpid());
			return self;
		}
		if (h->info.hdp_ok)
			return h->hdp_path;
		if (h->info.hdp_version[0] != '\0')
			tool_err("%s: hdp %s on %s is not compatible with %s "
				 "here", name, h->info.hdp_version, h->label,
				 PACKAGE_VERSION);
		else
			tool_err("%s: no hdp on %s", name, h->label);
		return NULL;
	}
	if (h != NULL && strcmp(arg0, "tcpdump") == 0) {
		if (!h->info.has_tcpdump) {
			tool_err("%s: no tcpdump on %s", name, h->label);
			return NULL;
		}
		return h->tcpdump_path;
	}
	return arg0;
}

struct remote_proc *
remote_spawn(struct remote_host *h, const char *name, char *const argv[])
{
	struct sbuf s = { 0 };
	struct remote_proc *p;
	const char *prog;
	char self[64];
	size_t i;

	if (h != NULL && h->state != H_OPEN) {
		tool_err("%s: the connection to %s is not open", name,
			 h->label);
		return NULL;
	}
	if (argv[0] == NULL ||
	    (prog = program_for(h, name, argv[0], self, sizeof(self))) == NULL)
		return NULL;
	sb_str(&s, wrap_head);
	sb_quote(&s, prog);
	for (i = 1; argv[i] != NULL; i++) {
		sb_add(&s, " ", 1);
		sb_quote(&s, argv[i]);
	}
	sb_str(&s, wrap_tail);
	if (s.failed) {
		free(s.s);
		tool_err("out of memory");
		return NULL;
	}
	p = proc_start(h, name, s.s, 1);
	free(s.s);
	return p;
}

/* ---- standard error, line by line ---- */

/* One line of the command's standard error arrived.  tcpdump says a
 * libpcap error in two lines, "tcpdump: eth9: No such device exists"
 * then "(SIOCGIFHWADDR: No such device)": such a "(...)" line is kept
 * after the line before it. */
static void
err_line(struct proc_priv *pp, const char *line)
{
	size_t n = strlen(pp->last);

	if (line[0] == '\0')
		return;
	if (line[0] == '(' && n > 0 && pp->last[n - 1] != ')' &&
	    n + 2 < sizeof(pp->last)) {
		pp->last[n] = ' ';
		copy_str(pp->last + n + 1, sizeof(pp->last) - n - 1, line);
	} else {
		copy_str(pp->last, sizeof(pp->last), line);
	}
}

/* Read what is there on .err (after poll said so); split it into lines.
 * 1 when a line containing what (non-NULL) arrived (copied into line),
 * -1 at end of file, else 0. */
static int
err_read(struct proc_priv *pp, const char *what, char *line, size_t len)
{
	struct remote_proc *p = &pp->pub;
	ssize_t r;
	char *nl;

	r = read(p->err, pp->buf + pp->blen, sizeof(pp->buf) - 1 - pp->blen);
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (r <= 0) {
		pp->buf[pp->blen] = '\0';
		if (pp->blen > 0 && !pp->skipping)
			err_line(pp, pp->buf);
		pp->blen = 0;
		close(p->err);
		p->err = -1;
		return -1;
	}
	pp->blen += (size_t)r;
	pp->buf[pp->blen] = '\0';
	while ((nl = memchr(pp->buf, '\n', pp->blen)) != NULL) {
		int found;

		*nl = '\0';
		if (nl > pp->buf && nl[-1] == '\r')
			nl[-1] = '\0';
		found = !pp->skipping && what != NULL &&
			strstr(pp->buf, what) != NULL;
		if (!pp->skipping)
			err_line(pp, pp->buf);
		if (found && line != NULL)
			copy_str(line, len, pp->buf);
		pp->skipping = 0;
		pp->blen -= (size_t)(nl + 1 - pp->buf);
		memmove(pp->buf, nl + 1, pp->blen);
		if (found)
			return 1;
	}
	if (pp->blen == sizeof(pp->buf) - 1) {
		/* an over-long line: keep its start, drop the rest */
		if (!pp->skipping)
			err_line(pp, pp->buf);
		pp->skipping = 1;
		pp->blen = 0;
	}
	return 0;
}

int
remote_wait_line(struct remote_proc *p, const char *what, int timeout_ms,
		 char *line, size_t len)
{
	struct proc_priv *pp = (struct proc_priv *)p;
	int64_t end = mono_ms() + timeout_ms;
	int r = 0;

	if (line != NULL && len > 0)
		line[0] = '\0';
	while (p->err >= 0) {
		struct pollfd pf = { p->err, POLLIN, 0 };
		int64_t left = end - mono_ms();

		if (left <= 0)
			break;
		if (poll(&pf, 1, (int)left) < 0) {
			if (errno == EINTR && !tool_stop)
				continue;
			tool_err("%s: interrupted", p->name);
			return -1;
		}
		if (pf.revents && (r = err_read(pp, what, line, len)) != 0)
			break;
	}
	if (r == 1)
		return 0;
	if (p->err < 0 || r < 0)
		tool_err("%s: %s", p->name, pp->last[0] ? pp->last :
			 "ended without saying why");
	else if (pp->last[0])
		tool_err("%s: not ready after %d.%d s (last said: %s)",
			 p->name, timeout_ms / 1000, timeout_ms % 1000 / 100,
			 pp->last);
	else
		tool_err("%s: not ready after %d.%d s", p->name,
			 timeout_ms / 1000, timeout_ms % 1000 / 100);
	return -1;
}

int
remote_read_err(struct remote_proc *p)
{
	struct pollfd pf = { p->err, POLLIN, 0 };

	if (p->err < 0)
		return -1;
	while (poll(&pf, 1, 0) > 0 && pf.revents)
		if (err_read((struct proc_priv *)p, NULL, NULL, 0) < 0)
			return -1;
	return 0;
}

const char *
remote_last_line(const struct remote_proc *p)
{
	return ((const struct proc_priv *)p)->last;
}

void
remote_stop(struct remote_proc *p)
{
	if (p->in >= 0) {
		close(p->in);
		p->in = -1;
	}
}

int
remote_finish(struct remote_proc *p, int timeout_ms)
{
	struct proc_priv *pp = (struct proc_priv *)p;
	int64_t end = mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	int st = 0, done = 0, rc;
	char sink[4096];

	if (p == NULL)
		return -1;
	remote_stop(p);
	/* read (and drop) what still comes, so that neither the command
	 * nor ssh blocks on a full pipe while it ends */
	while (!done && mono_ms() < end) {
		struct pollfd pf[2] = { { p->out, POLLIN, 0 },
					{ p->err, POLLIN, 0 } };
		int64_t left = end - mono_ms();

		if (poll(pf, 2, left < 50 ? (int)left : 50) > 0) {
			if (pf[0].revents &&
			    read(p->out, sink, sizeof(sink)) <= 0) {
				close(p->out);
				p->out = -1;
			}
			if (pf[1].revents)
				err_read(pp, NULL, NULL, 0);
		}
		done = waitpid(p->pid, &st, WNOHANG) == p->pid;
	}
	if (!done)
		rc = reap(p->pid, 0);
	else if (WIFEXITED(st))
		rc = WEXITSTATUS(st);
	else
		rc = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
	if (p->out >= 0)
		close(p->out);
	if (p->err >= 0)
		close(p->err);
	free(p->name);
	free(pp);
	return rc;
}

/* ---- captures ---- */

/*
 * The capture command, the same packets either way: "hdp sniff" writes
 * nanosecond pcap; tcpdump is asked for nanoseconds too.  Both: -U (each
 * packet is flushed as it comes), immediate delivery with an 8 MiB
 * buffer (as topo.sh's captures), the pcap header written at once.
 * filter NULL: HDP (hdp's default; tcpdump gets the same expression).
 * tcpdump stays root (-Z root) when it starts as root: dropped to its
 * own user it could no longer be signalled by a non-root wrapper, and a
 * system without that user refuses to start it.
 */
static int
capture_argv(struct remote_host *h, const struct point *pt,
	     const char *filter, const char *av[16])
{
	int n = 0;

	if (h == NULL || h->info.hdp_ok) {
		av[n++] = "hdp"; av[n++] = "sniff";
		av[n++] = "-i"; av[n++] = pt->iface;
		av[n++] = "-U"; av[n++] = "--immediate";
		av[n++] = "-B"; av[n++] = "8192";
		av[n++] = "-w"; av[n++] = "-";
		if (filter != NULL) {
			av[n++] = "--filter"; av[n++] = filter;
		}
	} else {
		av[n++] = "tcpdump";
		av[n++] = "-i"; av[n++] = pt->iface;
		av[n++] = "-U"; av[n++] = "--immediate-mode";
		av[n++] = "-B"; av[n++] = "8192";
		av[n++] = "--time-stamp-precision=nano";
		av[n++] = "-n"; av[n++] = "-w"; av[n++] = "-";
		if (h->uid == 0 || h->cfg->sudo) {
			av[n++] = "-Z"; av[n++] = "root";
		}
		av[n++] = filter != NULL ? filter : hdp_filter_default(1);
	}
	av[n] = NULL;
	return n;
}

struct remote_proc *
remote_capture(struct remote_host *h, const struct point *p,
	       const char *filter, int timeout_ms)
{
	const char *av[16];
	struct remote_proc *rp;

	if (p->iface == NULL || (p->kind == POINT_SSH) != (h != NULL) ||
	    p->kind == POINT_FILE) {
		tool_err("%s: not a point to capture at", p->spec);
		return NULL;
	}
	if (h != NULL && h->state != H_OPEN) {
		tool_err("%s: the connection to %s is not open", p->spec,
			 h->label);
		return NULL;
	}
	if (h != NULL && !h->info.hdp_ok) {
		if (!h->info.has_tcpdump) {
			if (h->info.hdp_version[0] != '\0')
				tool_err("%s: hdp %s on %s is not compatible "
					 "with %s here, and no tcpdump there",
					 p->spec, h->info.hdp_version, h->label,
					 PACKAGE_VERSION);
			else
				tool_err("%s: no hdp or tcpdump on %s",
					 p->spec, h->label);
			return NULL;
		}
		if (h->info.hdp_version[0] != '\0')
			tool_err("%s: hdp %s on %s is not compatible with %s "
				 "here; using tcpdump", p->spec,
				 h->info.hdp_version, h->label,
				 PACKAGE_VERSION);
	}
	capture_argv(h, p, filter, av);
	rp = remote_spawn(h, p->spec, (char *const *)av);
	if (rp == NULL || timeout_ms <= 0)
		return rp;
	if (remote_wait_line(rp, "listening on", timeout_ms, NULL, 0) != 0) {
		remote_finish(rp, 2000);
		return NULL;
	}
	return rp;
}
