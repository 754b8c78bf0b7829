/*
 * tool_where_live.c: hdp where --at LABEL=POINT ...: take the captures
 * ourselves, on this host and on others over ssh (tool_remote.h), while
 * the probes are sent or the user's command runs, then hand the engine
 * (tool_where.c) one pcap file per point.
 *
 * Each point's capture arrives as a pcap stream on a pipe (the local
 * hdp sniff's, or the ssh channel's) and is read as it arrives by libpcap
 * in a thread of its own, which writes every packet to the point's file
 * (--save DIR/LABEL.pcap, or a private temporary directory) and flushes
 * it, so the file is valid at any moment, Ctrl-C included.  Nothing waits
 * for a whole capture, and no pipe fills up while another is read.
 *
 * A point that cannot start (no answer, authentication refused, no hdp
 * or tcpdump there, no privilege) or whose capture ends before we stop it
 * is said in one line and handed to the engine as not observed: its
 * column never reads "vanished", the run goes on with the others.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "tool.h"
#include "tool_remote.h"
#include "tool_where.h"

#define WL_MAX_POINTS   64
#define WL_MAX_SEND     64      /* words of send options after DEST  */
#define WL_READY_MS     20000   /* a capture must listen by then      */
#define WL_FINISH_MS    5000    /* a capture must end by then, once told */
#define WL_POLL_MS      200

/* One point's reader: libpcap on the capture's pipe, pcap_dump into the
 * point's file. */
struct reader {
	int      fd;             /* our own copy of the capture's output  */
	const char *path;
	volatile int *abandon;   /* set: stop reading now                 */
	volatile int *stopping;  /* set: we stop the captures now         */
	volatile int early;      /* it ended before that, and before any
				  * Ctrl-C: the capture died mid-run      */
	volatile int ended;      /* the stream ended (or failed)          */
	int      opened;         /* a pcap header arrived                 */
	uint64_t packets;
	char     err[PCAP_ERRBUF_SIZE + 64];
	pthread_t th;
	int      started;
};

struct where_live {
	struct remote_cfg cfg;
	int      np;
	struct point pt[WL_MAX_POINTS];
	struct where_live_pt out[WL_MAX_POINTS];
	struct remote_host *host[WL_MAX_POINTS];
	struct remote_proc *proc[WL_MAX_POINTS];
	struct reader rd[WL_MAX_POINTS];
	const char *probe;       /* --probe DEST                          */
	char    *send_argv[WL_MAX_SEND + 8];
	int      nsend;          /* send options after DEST               */
	const char *run;         /* --run COMMAND                         */
	uint64_t drain_ms;
	int      drain_set;
	const char *save;        /* --save DIR                            */
	int      force;
	char     tmpdir[64];     /* "" when none                          */
	volatile int abandon;
	volatile int stopping;
	int      child_status;   /* what where_live_status() gives        */
};

/* ---- step 1: options ---------------------------------------------------- */

static struct where_live *
live_get(struct where_live **lv)
{
	if (*lv == NULL && (*lv = calloc(1, sizeof(**lv))) == NULL)
		tool_err("out of memory");
	if (*lv != NULL && (*lv)->cfg.connect_timeout == 0) {
		(*lv)->cfg.connect_timeout = 10;
		(*lv)->drain_ms = 2000;
	}
	return *lv;
}

/* Options of where that take their value as the next word: skipped
 * over while looking for --probe. */
static int
takes_value(const char *a)
{
	static const char *const v[] = {
		"-f", "-Z", "--window", "--memory", "--filter", "--user",
		"--at", "--run", "--drain", "--save", "--ssh-option",
		"--remote-hdp", NULL
	};
	int i;

	for (i = 0; v[i] != NULL; i++)
		if (strcmp(a, v[i]) == 0)
			return 1;
	return 0;
}

int
where_live_split(int *argc, char **argv, struct where_live **lv)
{
	struct where_live *l;
	int i, j, k, n = *argc;

	for (i = 1; i < n && strcmp(argv[i], "--") != 0; i++) {
		if (takes_value(argv[i])) {
			i++;
			continue;
		}
		if (strcmp(argv[i], "--probe") == 0 ||
		    strncmp(argv[i], "--probe=", 8) == 0)
			break;
	}
	if (i >= n || strcmp(argv[i], "--") == 0)
		return 0;
	if ((l = live_get(lv)) == NULL)
		return -1;
	j = i + 1;
	if (argv[i][7] == '=') {
		l->probe = argv[i] + 8;
	} else if (j < n) {
		l->probe = argv[j++];
	} else {
		tool_usage_err("--probe: needs an argument");
		return -1;
	}
	if (*l->probe == '\0') {
		tool_usage_err("--probe: needs a destination");
		return -1;
	}
	for (k = j; k < n && strcmp(argv[k], "--") != 0; k++) {
		if (l->nsend == WL_MAX_SEND) {
			tool_usage_err("--probe: at most %d send options",
				       WL_MAX_SEND);
			return -1;
		}
		l->send_argv[3 + l->nsend++] = argv[k];
	}
	if (k < n)
		k++;		/* the "--" that ended send's options */
	memmove(&argv[i], &argv[k], (size_t)(n - k + 1) * sizeof(*argv));
	*argc = n - (k - i);
	return 0;
}

/* "LABEL=POINT" or "POINT" into point i. */
static int
add_at(struct where_live *l, const char *arg)
{
	const char *eq = strchr(arg, '='), *spec = arg;
	struct where_live_pt *o = &l->out[l->np];
	size_t n = 0, m;
	int i;

	if (l->np == WL_MAX_POINTS) {
		tool_usage_err("--at: at most %d points", WL_MAX_POINTS);
		return -1;
	}
	if (eq != NULL && strncmp(arg, "ssh://", 6) != 0) {
		n = (size_t)(eq - arg);
		spec = eq + 1;
	}
	for (i = 0; (size_t)i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
			    "VWXYZ0123456789-_.", arg[i]))
			break;
	if (eq != NULL && ((size_t)i < n || n == 0 ||
			   n >= WHERE_LABEL_LEN || arg[0] == '.')) {
		tool_usage_err("--at %s: LABEL is a plain name (letters, "
			       "digits, - _ ., not starting with .)",
			       tool_safe(arg));
		return -1;
	}
	if (point_parse(spec, 1, &l->pt[l->np]) != 0)
		return -1;
	if (n == 0) {	/* the interface, or the file's name */
		const char *b = l->pt[l->np].kind == POINT_FILE ?
				l->pt[l->np].file : l->pt[l->np].iface;
		const char *s = strrchr(b, '/');

		b = s ? s + 1 : b;
		n = strcspn(b, ".");
		arg = b;
	}
	m = n < WHERE_LABEL_LEN - 1 ? n : WHERE_LABEL_LEN - 1;
	memcpy(o->label, arg, m);
	o->label[m] = '\0';
	for (i = 0; i < l->np; i++)
		if (strcmp(l->out[i].label, o->label) == 0) {
			point_free(&l->pt[l->np]);
			tool_usage_err("--at %s: label %s is given twice "
				       "(name each point: --at LABEL=POINT)",
				       tool_safe(spec), tool_safe(o->label));
			return -1;
		}
	o->spec = spec;
	l->np++;
	return 0;
}

int
where_live_opt(struct where_live **lv, int c, const char *arg)
{
	struct where_live *l;
	double d = 0;
	int r;

	if (c < WL_OPT_AT || c > WL_OPT_RHDP)
		return 0;
	if ((l = live_get(lv)) == NULL)
		return -1;
	switch (c) {
	case WL_OPT_AT:
		return add_at(l, arg) == 0 ? 1 : -1;
	case WL_OPT_RUN:
		l->run = arg;
		return 1;
	case WL_OPT_DRAIN:
		if (tool_parse_double(arg, 0, 0, &d, "--drain") != 0)
			return -1;
		if (d > 3600) {
			tool_usage_err("--drain: %s: out of range (0 to 3600)",
				       tool_safe(arg));
			return -1;
		}
		l->drain_ms = (uint64_t)(d * 1000.0 + 0.5);
		return 1;
	case WL_OPT_SAVE:
		l->save = arg;
		return 1;
	case WL_OPT_FORCE:
		l->force = 1;
		return 1;
	}
	/* --ssh-option, --sudo, --remote-hdp: remote's own */
	r = remote_cfg_opt(&l->cfg, c == WL_OPT_SSH ? REMOTE_OPT_SSH :
			   c == WL_OPT_SUDO ? REMOTE_OPT_SUDO : REMOTE_OPT_HDP,
			   arg);
	return r < 0 ? -1 : 1;
}

/* --save DIR: made when missing; a LABEL.pcap already there is kept
 * unless --force. */
static int
check_save(struct where_live *l)
{
	char path[4096];
	struct stat st;
	int i;

	if (l->save == NULL)
		return 0;
	if (stat(l->save, &st) == 0 && !S_ISDIR(st.st_mode)) {
		tool_usage_err("--save %s: not a directory",
			       tool_safe(l->save));
		return -1;
	}
	for (i = 0; i < l->np; i++) {
		snprintf(path, sizeof(path), "%s/%s.pcap", l->save,
			 l->out[i].label);
		if (!l->force && access(path, F_OK) == 0) {
			tool_usage_err("--save: %s exists (--force overwrites)",
				       tool_safe(path));
			return -1;
		}
	}
	return 0;
}

int
where_live_check(struct where_live *l)
{
	if (l->np == 0) {
		tool_usage_err("%s needs capture points (--at LABEL=POINT)",
			       l->probe ? "--probe" : l->run ? "--run" :
			       "that option");
		return -1;
	}
	if (l->np < 2) {
		tool_usage_err("need at least two points (--at), in path "
			       "order");
		return -1;
	}
	if ((l->probe != NULL) == (l->run != NULL)) {
		tool_usage_err("--at: give either --probe DEST or --run "
			       "COMMAND");
		return -1;
	}
	if (l->probe != NULL) {
		/* send's options, checked now as send checks them */
		const char *name = hdp_progname;
		int rc, parse_only = tool_parse_only;

		l->send_argv[0] = (char *)"hdp";
		l->send_argv[1] = (char *)"send";
		l->send_argv[2] = (char *)l->probe;
		/* its summary only (on our standard error) */
		l->send_argv[3 + l->nsend] = (char *)"-q";
		l->send_argv[4 + l->nsend] = NULL;
		hdp_progname = "hdp send";
		tool_parse_only = 1;
		rc = cmd_send(3 + l->nsend, l->send_argv + 1);
		tool_parse_only = parse_only;	/* the fuzzer's stays set */
		hdp_progname = name;
		optind = 0;
		if (rc != HDP_EXIT_OK)
			return -1;
	}
	return check_save(l);
}

/* ---- the readers --------------------------------------------------------- */

/* fopencookie's read: the pipe, a poll at a time, so that a stream that
 * never ends (a host gone silent) is given up when told. */
static ssize_t
reader_read(void *c, char *buf, size_t size)
{
	struct reader *r = c;
	struct pollfd pfd = { r->fd, POLLIN, 0 };
	ssize_t n;

	for (;;) {
		if (*r->abandon)
			return 0;
		if (poll(&pfd, 1, WL_POLL_MS) <= 0)
			continue;
		n = read(r->fd, buf, size);
		if (n >= 0 || (errno != EINTR && errno != EAGAIN))
			return n;
	}
}

static int
reader_close(void *c)
{
	struct reader *r = c;

	close(r->fd);
	r->fd = -1;
	return 0;
}

/* Copy the stream into the file, packet by packet, flushed each time. */
static void
reader_copy(struct reader *r, pcap_t *p)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_dumper_t *d;
	int rc;

	d = pcap_dump_open(p, r->path);
	if (d == NULL) {
		snprintf(r->err, sizeof(r->err), "%s", pcap_geterr(p));
		return;
	}
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		pcap_dump((u_char *)d, h, data);
		pcap_dump_flush(d);
		r->packets++;
	}
	/* a stream cut inside a record when the capture was stopped is
	 * no error: everything before it is in the file */
	if (rc == PCAP_ERROR && !*r->abandon)
		snprintf(r->err, sizeof(r->err), "%s", pcap_geterr(p));
	pcap_dump_close(d);
}

static void *
reader_main(void *arg)
{
	cookie_io_functions_t io = { reader_read, NULL, NULL, reader_close };
	struct reader *r = arg;
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p;
	FILE *f;

	f = fopencookie(r, "rb", io);
	if (f == NULL) {
		snprintf(r->err, sizeof(r->err), "%s", strerror(errno));
		close(r->fd);
		r->ended = 1;
		return NULL;
	}
	p = pcap_fopen_offline_with_tstamp_precision(f,
			PCAP_TSTAMP_PRECISION_NANO, eb);
	if (p == NULL) {
		snprintf(r->err, sizeof(r->err), "no capture came: %s", eb);
		fclose(f);
	} else {
		r->opened = 1;
		reader_copy(r, p);
		pcap_close(p);	/* closes f, and with it r->fd */
	}
	/* Said now, not when the run is over: a Ctrl-C after the capture
	 * died must not make its packets since then "vanished". */
	r->early = !*r->stopping && !tool_stop;
	r->ended = 1;
	return NULL;
}

/* ---- step 3: run --------------------------------------------------------- */

static void
point_failed(struct where_live *l, int i, const char *why)
{
	struct where_live_pt *o = &l->out[i];

	if (o->why[0] == '\0')
		snprintf(o->why, sizeof(o->why), "%s", why);
}

static int
make_tmpdir(struct where_live *l)
{
	const char *t = getenv("TMPDIR");

	snprintf(l->tmpdir, sizeof(l->tmpdir), "%s/hdp-where.XXXXXX",
		 t != NULL && *t && strlen(t) < 40 ? t : P_tmpdir);
	if (mkdtemp(l->tmpdir) == NULL) {
		tool_errno("%s", l->tmpdir);
		l->tmpdir[0] = '\0';
		return -1;
	}
	return 0;
}

/* Point i's capture file: DIR/LABEL.pcap. */
static char *
file_for(struct where_live *l, int i)
{
	const char *dir = l->save ? l->save : l->tmpdir;
	size_t n = strlen(dir) + strlen(l->out[i].label) + 8;
	char *s = malloc(n);

	if (s != NULL)
		snprintf(s, n, "%s/%s.pcap", dir, l->out[i].label);
	return s;
}

/* Point i's host, as remote_open_all left it. */
static void
open_host(struct where_live *l, int i)
{
	struct where_live_pt *o = &l->out[i];
	const struct remote_info *inf;

	if (l->host[i] == NULL) {
		point_failed(l, i, "ssh failed");
		return;
	}
	inf = remote_info(l->host[i]);
	if (inf->clock_start.uncert_ns >= 0) {	/* -1: no estimate */
		o->clocked = 1;
		o->off_start_ns = inf->clock_start.offset_ns;
		o->unc_start_ns = inf->clock_start.uncert_ns;
	}
}

/* Point i's capture listens: its reader takes its output (our own from
 * now on: remote_finish must not read and drop it). */
static void
start_reader(struct where_live *l, int i)
{
	struct where_live_pt *o = &l->out[i];
	struct reader *r = &l->rd[i];
	sigset_t block, old;

	if ((o->path = file_for(l, i)) == NULL) {
		point_failed(l, i, "out of memory");
		return;
	}
	r->fd = l->proc[i]->out;
	l->proc[i]->out = -1;
	r->path = o->path;
	r->abandon = &l->abandon;
	r->stopping = &l->stopping;
	/* Ctrl-C is for the main thread: it interrupts waitpid there */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	if (pthread_create(&r->th, NULL, reader_main, r) != 0) {
		close(r->fd);
		point_failed(l, i, "cannot start a thread");
	} else {
		r->started = 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/*
 * Every point's capture, started side by side: connect to every host at
 * once, open each, start every capture, then wait until each listens (a
 * slow host costs its own delay, not the sum).  A point that fails has
 * said why and is left out.
 */
static void
start_points(struct where_live *l, const char *filter)
{
	int i;

	remote_open_all(&l->cfg, l->pt, (size_t)l->np, l->host);
	for (i = 0; i < l->np; i++)
		if (l->pt[i].kind == POINT_SSH)
			open_host(l, i);
	for (i = 0; i < l->np && !tool_stop; i++) {
		if (l->pt[i].kind == POINT_FILE || l->out[i].why[0] != '\0')
			continue;
		l->proc[i] = remote_capture(l->host[i], &l->pt[i], filter, 0);
		if (l->proc[i] == NULL)
			point_failed(l, i, "the capture did not start");
	}
	for (i = 0; i < l->np; i++) {
		if (l->proc[i] == NULL)
			continue;
		if (tool_stop || remote_wait_line(l->proc[i], "listening on",
						  WL_READY_MS, NULL, 0) != 0) {
			point_failed(l, i, "the capture did not start");
			remote_finish(l->proc[i], WL_FINISH_MS);
			l->proc[i] = NULL;
			continue;
		}
		start_reader(l, i);
	}
}

/* The probe sender (this binary's send) or sh -c COMMAND, in a process
 * group of its own (Ctrl-C here stops it through us, after the captures
 * have seen what it sent); its standard output goes to our standard
 * error, so that --json stays clean. */
static pid_t
start_child(struct where_live *l)
{
	pid_t pid;

	fflush(stdout);	/* not NULL: a reader holds its stream's lock */
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		tool_errno("fork");
		return -1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		dup2(STDERR_FILENO, STDOUT_FILENO);
		if (l->run != NULL) {
			execl("/bin/sh", "sh", "-c", l->run, (char *)NULL);
			_exit(127);
		}
		execv("/proc/self/exe", l->send_argv);
		_exit(127);
	}
	setpgid(pid, pid);
	return pid;
}

/* What the captures say on their standard error, read so that no pipe
 * fills up during a long run. */
static void
drain_errs(struct where_live *l)
{
	int i;

	for (i = 0; i < l->np; i++)
		if (l->proc[i] != NULL)
			remote_read_err(l->proc[i]);
}

/* Wait for the child; Ctrl-C (tool_stop) ends it.  Its exit status, or
 * 128 + the signal that ended it. */
static int
wait_child(struct where_live *l, pid_t pid)
{
	struct timespec ts = { 0, 50 * 1000000L };
	int st, stopped = 0;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return -1;
		if (tool_stop && !stopped) {
			kill(-pid, SIGTERM);
			stopped = 1;
		}
		drain_errs(l);
		nanosleep(&ts, NULL);
	}
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

/* Sleep ms milliseconds, or until Ctrl-C. */
static void
nap(struct where_live *l, uint64_t ms)
{
	struct timespec ts;

	while (ms > 0 && !tool_stop) {
		uint64_t m = ms < WL_POLL_MS ? ms : WL_POLL_MS;

		ts.tv_sec = 0;
		ts.tv_nsec = (long)m * 1000000L;
		nanosleep(&ts, NULL);
		drain_errs(l);
		ms -= m;
	}
}

/* Send the probes or run the command, then drain. */
static void
run_traffic(struct where_live *l)
{
	pid_t pid;
	int st;

	if (tool_stop)
		return;
	if ((pid = start_child(l)) < 0) {
		l->child_status = HDP_EXIT_ENV;
		return;
	}
	st = wait_child(l, pid);
	if (l->probe != NULL) {
		/* send's own status: 1 (some not sent) and up */
		if (st != 0 && !tool_stop)
			tool_err("--probe %s: hdp send ended with status %d",
				 tool_safe(l->probe), st);
		if (st > 0 && st < 128 && !tool_stop)
			l->child_status = st;
	} else if (st != 0 && !tool_stop) {
		tool_err("--run: the command ended with status %d", st);
	}
	nap(l, l->drain_ms);
}

/* The clock offset applied to point i: the mean of the estimates at
 * start and end, uncertain by the larger of theirs plus half the drift
 * between them. */
static void
end_clock(struct where_live *l, int i)
{
	struct where_live_pt *o = &l->out[i];
	struct remote_clock c;
	int64_t d;

	if (!o->clocked)
		return;
	o->offset_ns = o->off_start_ns;
	o->uncert_ns = o->unc_start_ns;
	if (l->host[i] == NULL || remote_clock(l->host[i], &c) != 0 ||
	    c.uncert_ns < 0)	/* no estimate at the end */
		return;
	o->end_ok = 1;
	o->off_end_ns = c.offset_ns;
	o->unc_end_ns = c.uncert_ns;
	d = o->off_end_ns - o->off_start_ns;
	o->offset_ns = o->off_start_ns + d / 2;
	o->uncert_ns = (o->unc_end_ns > o->unc_start_ns ? o->unc_end_ns :
			o->unc_start_ns) + (d < 0 ? -d : d) / 2;
}

/*
 * A capture's counts come last on its standard error, as tcpdump prints
 * them ("N packets dropped by kernel"; hdp sniff the same, "dropped by
 * interface" after it): a point whose kernel dropped packets may have
 * missed some that passed it, so what it lacks proves nothing vanished
 * there: not observed.  Its stream has ended: the counts follow at once.
 */
static void
check_drops(struct where_live *l, int i)
{
	struct timespec ts = { 0, 50 * 1000000L };
	unsigned long n = 0;
	const char *last;
	int waited = 0;

	while (l->rd[i].ended && remote_read_err(l->proc[i]) == 0 &&
	       waited < WL_FINISH_MS) {
		nanosleep(&ts, NULL);
		waited += 50;
	}
	last = remote_last_line(l->proc[i]);
	if (last == NULL || sscanf(last, "%lu packet", &n) != 1 || n == 0 ||
	    strstr(last, " dropped by ") == NULL)
		return;
	tool_err("%s: the capture lost packets: %s", tool_safe(l->out[i].spec),
		 tool_safe(last));
	point_failed(l, i, "its capture dropped packets");
}

/* Stop every capture, then let each reader finish what is in its pipe. */
static void
stop_all(struct where_live *l)
{
	struct timespec ts = { 0, WL_POLL_MS * 1000000L };
	int i, waited = 0, busy, rc;

	/* a capture that ended before we stopped it (and before any
	 * Ctrl-C, which may end local captures itself) died mid-run */
	l->stopping = 1;
	for (i = 0; i < l->np; i++)
		if (l->rd[i].started && l->rd[i].ended && l->rd[i].early) {
			tool_err("%s: the capture ended before the run did%s%s",
				 tool_safe(l->out[i].spec),
				 l->rd[i].err[0] ? ": " : "",
				 tool_safe(l->rd[i].err));
			point_failed(l, i, "the capture ended early");
		}
	for (i = 0; i < l->np; i++)
		end_clock(l, i);
	/* stop them all, read what each still sends, then finish each */
	for (i = 0; i < l->np; i++)
		if (l->proc[i] != NULL)
			remote_stop(l->proc[i]);
	do {
		for (i = 0, busy = 0; i < l->np; i++)
			busy += l->rd[i].started && !l->rd[i].ended;
		if (busy)
			nanosleep(&ts, NULL);
		drain_errs(l);
	} while (busy && (waited += WL_POLL_MS) < WL_FINISH_MS);
	/* a stream that did not end when told (a host gone silent, its
	 * channel stalled) may lack what the capture saw: what it lacks
	 * proves nothing vanished there */
	for (i = 0; i < l->np; i++)
		if (l->rd[i].started && !l->rd[i].ended &&
		    l->out[i].why[0] == '\0') {
			tool_err("%s: the capture did not end when stopped",
				 tool_safe(l->out[i].spec));
			point_failed(l, i, "the capture did not end");
		}
	l->abandon = 1;
	for (i = 0; i < l->np; i++)
		if (l->rd[i].started) {
			pthread_join(l->rd[i].th, NULL);
			l->rd[i].started = 0;
		}
	for (i = 0; i < l->np; i++) {
		if (l->proc[i] == NULL)
			continue;
		check_drops(l, i);
		/* hdp sniff and tcpdump exit 0 when stopped: any other end
		 * (ssh failed, killed, a host gone silent) may have cut what
		 * the capture saw short */
		rc = remote_finish(l->proc[i], WL_FINISH_MS);
		l->proc[i] = NULL;
		if (rc != 0 && l->out[i].why[0] == '\0') {
			tool_err("%s: the capture did not end cleanly (exit "
				 "%d)", tool_safe(l->out[i].spec), rc);
			point_failed(l, i, "the capture did not end cleanly");
		}
	}
}

/* What each point gives the engine: its file, or why not observed. */
static void
settle_points(struct where_live *l)
{
	int i;

	for (i = 0; i < l->np; i++) {
		struct where_live_pt *o = &l->out[i];

		if (l->pt[i].kind == POINT_FILE) {
			free(o->path);
			o->path = strdup(l->pt[i].file);
			o->kept = 1;
			continue;
		}
		o->kept = l->save != NULL;
		if (o->why[0] == '\0' && !l->rd[i].opened) {
			tool_err("%s: %s", tool_safe(o->spec),
				 l->rd[i].err[0] ? tool_safe(l->rd[i].err) :
				 "no capture came");
			point_failed(l, i, "no capture came");
		}
		if (o->why[0] != '\0' && o->path != NULL && l->save == NULL) {
			unlink(o->path);
			free(o->path);
			o->path = NULL;
		} else if (o->why[0] != '\0') {
			free(o->path);
			o->path = NULL;	/* the --save file stays as it is */
		}
	}
	for (i = 0; i < l->np; i++)
		if (l->host[i] != NULL) {
			remote_close(l->host[i]);
			l->host[i] = NULL;
		}
}

int
where_live_run(struct where_live *l, const char *filter,
	       struct where_live_pt **pts, int *np)
{
	*pts = l->out;
	*np = l->np;
	if (l->save != NULL && mkdir(l->save, 0755) != 0 && errno != EEXIST) {
		tool_errno("--save %s", tool_safe(l->save));
		return HDP_EXIT_ENV;
	}
	if (l->save == NULL && make_tmpdir(l) != 0)
		return HDP_EXIT_ENV;
	tool_catch_stop(NULL);
	signal(SIGPIPE, SIG_IGN);
	start_points(l, filter);
	run_traffic(l);
	stop_all(l);
	settle_points(l);
	if (tool_stop)
		tool_err("interrupted: the report covers what was captured "
			 "until then");
	return HDP_EXIT_OK;
}

int
where_live_status(const struct where_live *l)
{
	return l->child_status;
}

void
where_live_free(struct where_live *l)
{
	int i;

	if (l == NULL)
		return;
	for (i = 0; i < l->np; i++) {
		if (l->tmpdir[0] && l->out[i].path != NULL &&
		    l->pt[i].kind != POINT_FILE)
			unlink(l->out[i].path);
		free(l->out[i].path);
		point_free(&l->pt[i]);
	}
	remote_cfg_free(&l->cfg);
	if (l->tmpdir[0])
		rmdir(l->tmpdir);
	free(l);
}
