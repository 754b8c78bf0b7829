/*
 * tool_half.c: the other half of a run, kept by a child process (see
 * tool_half.h).  All ssh work is tool_remote.c's: this file only starts
 * the keeper, relays bytes and tells it when to stop.
 *
 * Keeper and command talk over three pipes:
 *   status  keeper -> us: "R" once the command listens, "F" when it
 *           could not be started (the keeper said why), EOF if it died
 *   ctl     us -> keeper: closed (by us, or by the kernel when we exit)
 *           to stop the command
 *   data    keeper -> us: the command's standard output
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hdp/hdp.h>
#include "tool.h"
#include "tool_half.h"

#define RELAY_MAX   (256u << 20)  /* output held for a slow reader, at most */
#define STOP_WAIT_MS 5000         /* for the command to end once stopped    */

/* The keeper's exit statuses: K_OK, the command ran until stopped and
 * all it said was relayed; anything else, the point was not observed
 * (all of the run): it could not start, it ended before it was asked
 * to, its output was cut, it did not end cleanly once stopped. */
enum { K_OK = 0, K_NOSTART = 1, K_EARLY = 3, K_CUT = 4, K_NOEND = 5 };

struct half {
	pid_t keeper;
	int   ctl;           /* write end; -1 once stopped                */
	int   data;          /* read end of the relayed output, or -1     */
	char *name;
};

/* What the keeper holds while it relays. */
struct relay {
	struct remote_proc *rp;
	int      ctl, data;
	char    *q;          /* output not yet written to data             */
	size_t   qoff, qlen, qcap;
	int      stopping, out_open, err_open, cut, stuck;
	uint64_t stop_t;
};

/* ---- the keeper ---------------------------------------------------------- */

/* Every descriptor but stdin/out/err and ours: none of the command's
 * captures, sockets or files stays open in the keeper (nor in the ssh it
 * starts). */
static void
keeper_close_fds(int a, int b, int c)
{
	long max = sysconf(_SC_OPEN_MAX);
	int fd;

	if (max < 0 || max > 65536)
		max = 65536;
	for (fd = 3; fd < max; fd++)
		if (fd != a && fd != b && fd != c)
			(void)close(fd);
}

/* /dev/null, for keeper_term() to put over the keeper's stderr. */
static int keeper_null = -1;

/* SIGTERM: from us when a start is given up (interrupted, or no answer
 * in time), or from the kernel when we die (PR_SET_PDEATHSIG): the
 * start's waits end at once (tool_remote.h: they watch tool_stop) and
 * the keeper stops what it started, in order, quietly (we said why). */
static void
keeper_term(int sig)
{
	(void)sig;
	tool_stop = 1;
	if (keeper_null >= 0)
		(void)dup2(keeper_null, 2);
}

/* Signals: ours (Ctrl-C) stop the run, and the run stops the keeper; a
 * write to a reader that went away is an error, not a death.  Children
 * (ssh) get default dispositions back from tool_remote.c. */
static void
keeper_signals(pid_t parent)
{
	static const int sigs[] = { SIGINT, SIGHUP, SIGPIPE, SIGQUIT };
	struct sigaction sa;
	size_t i;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		(void)signal(sigs[i], SIG_IGN);
	tool_stop = 0;
	keeper_null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = keeper_term;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)	/* already gone */
		keeper_term(SIGTERM);
}

static void
relay_keep(struct relay *r, const char *b, size_t n)
{
	char *nq;
	size_t want;

	if (r->data < 0 || n == 0 || r->cut)
		return;
	if (r->qoff == r->qlen)
		r->qoff = r->qlen = 0;
	if (r->qlen + n > r->qcap && r->qoff > 0) {
		/* what was written already makes room first */
		memmove(r->q, r->q + r->qoff, r->qlen - r->qoff);
		r->qlen -= r->qoff;
		r->qoff = 0;
	}
	if (r->qlen + n > r->qcap) {
		want = r->qcap ? r->qcap : 65536;
		while (want < r->qlen + n)
			want *= 2;
		if (want > RELAY_MAX || (nq = realloc(r->q, want)) == NULL) {
			/* a hole in the stream would make its lines or
			 * records lie: nothing more is relayed, and the
			 * point counts as not observed */
			r->cut = 1;
			tool_err("%s: more than %u MiB of output waited to be "
				 "read; the rest is dropped and the point "
				 "not observed", r->rp->name, RELAY_MAX >> 20);
			return;
		}
		r->q = nq;
		r->qcap = want;
	}
	memcpy(r->q + r->qlen, b, n);
	r->qlen += n;
}

/* Read what the command's output holds into the queue; 0 at EOF. */
static int
relay_read(struct relay *r)
{
	char b[16384];
	ssize_t n = read(r->rp->out, b, sizeof(b));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	if (n == 0)
		return 0;
	relay_keep(r, b, (size_t)n);
	return 1;
}

static void
relay_write(struct relay *r)
{
	ssize_t n = write(r->data, r->q + r->qoff, r->qlen - r->qoff);

	if (n > 0)
		r->qoff += (size_t)n;
	else if (n < 0 && errno != EINTR && errno != EAGAIN) {
		close(r->data);	/* the reader went away: keep nothing */
		r->data = -1;
		r->qoff = r->qlen = 0;
	}
}

static void
relay_stop(struct relay *r)
{
	r->stopping = 1;
	r->stop_t = hdp_mono_ns();
	/* the command ends when its standard input closes (tool_remote.h) */
	remote_stop(r->rp);
}

/* One round of the relay: poll, then move what is ready. */
static void
relay_round(struct relay *r)
{
	struct pollfd pfd[4];
	int n = 0, io = -1, ie = -1, ic = -1, iw = -1;

	if (r->out_open) {
		pfd[n].fd = r->rp->out; pfd[n].events = POLLIN; io = n++;
	}
	if (r->err_open) {
		pfd[n].fd = r->rp->err; pfd[n].events = POLLIN; ie = n++;
	}
	if (!r->stopping) {
		pfd[n].fd = r->ctl; pfd[n].events = POLLIN; ic = n++;
	}
	if (r->data >= 0 && r->qoff < r->qlen) {
		pfd[n].fd = r->data; pfd[n].events = POLLOUT; iw = n++;
	}
	if (poll(pfd, (nfds_t)n, 200) <= 0)
		return;
	if (io >= 0 && pfd[io].revents)
		r->out_open = relay_read(r);
	/* its error: drained (a full pipe would stop it), the last line
	 * kept for the message when it ends before it was asked to */
	if (ie >= 0 && pfd[ie].revents)
		r->err_open = remote_read_err(r->rp) == 0;
	if (ic >= 0 && pfd[ic].revents)
		relay_stop(r);	/* closed by us, or we are gone */
	if (iw >= 0 && pfd[iw].revents)
		relay_write(r);
}

/* Relay until stopped and the command's output ended (or it ended on
 * its own); then hand over what is left.  K_OK or K_EARLY. */
static int
relay_run(struct relay *r)
{
	int early = 0;

	while (r->out_open || r->err_open) {
		relay_round(r);
		if (!r->stopping && !r->out_open) {
			early = 1;	/* it ended before it was asked to */
			break;
		}
		if (r->stopping && hdp_mono_ns() - r->stop_t >
		    (uint64_t)STOP_WAIT_MS * 1000000ULL) {
			r->stuck = 1;	/* its output may be short */
			break;
		}
	}
	if (r->data >= 0) {
		int fl = fcntl(r->data, F_GETFL);

		if (fl >= 0)
			(void)fcntl(r->data, F_SETFL, fl & ~O_NONBLOCK);
		while (r->data >= 0 && r->qoff < r->qlen)
			relay_write(r);
	}
	return early ? K_EARLY : r->cut ? K_CUT : r->stuck ? K_NOEND : K_OK;
}

/* Start the command (or the capture) at p; NULL after saying why. */
static struct remote_proc *
keeper_spawn(struct remote_host *rh, const struct point *p,
	     const struct half_spec *sp)
{
	struct remote_proc *rp;
	char line[512];

	if (sp->argv == NULL)
		return remote_capture(rh, p, sp->filter, sp->timeout_ms);
	rp = remote_spawn(rh, p->spec, sp->argv);
	if (rp != NULL && remote_wait_line(rp, sp->ready, sp->timeout_ms,
					   line, sizeof(line)) != 0) {
		(void)remote_finish(rp, 1000);
		rp = NULL;
	}
	return rp;
}

static void
keeper_say(int st, char c)
{
	ssize_t n;

	do
		n = write(st, &c, 1);
	while (n < 0 && errno == EINTR);
	(void)n;
}

/* How the command ended, once stopped: K_OK when it ended cleanly
 * (status 0: hdp and tcpdump exit 0 when stopped), else said. */
static int
keeper_end(struct relay *r, const struct half_spec *sp, int rc)
{
	const char *what = sp->argv != NULL ? "the command" : "the capture";
	char name[256], last[512];
	int st;

	/* remote_finish frees rp: its name and last words first */
	snprintf(name, sizeof(name), "%s", r->rp->name);
	snprintf(last, sizeof(last), "%s", remote_last_line(r->rp));
	if (rc == K_EARLY)
		tool_err("%s: %s ended before the run did%s%s", name, what,
			 last[0] ? ": " : "", last);
	else if (rc == K_NOEND)
		tool_err("%s: %s did not end in %d s once stopped", name, what,
			 STOP_WAIT_MS / 1000);
	st = remote_finish(r->rp, STOP_WAIT_MS);
	r->rp = NULL;
	if (rc == K_OK && st != 0) {
		/* 255: ssh failed; -1: killed; else its own failure */
		tool_err("%s: %s ended with status %d%s%s", name, what, st,
			 last[0] ? ": " : "", last);
		rc = K_NOEND;
	}
	return rc;
}

static void __attribute__((noreturn))
keeper_main(const struct remote_cfg *c, const struct point *p,
	    const struct half_spec *sp, pid_t parent, int st, int ctl,
	    int data)
{
	struct remote_host *rh = NULL;
	struct relay r;
	int rc, fl;

	keeper_close_fds(st, ctl, data);
	keeper_signals(parent);
	if (p->kind == POINT_SSH && (rh = remote_open(c, p)) == NULL) {
		keeper_say(st, 'F');
		_exit(K_NOSTART);
	}
	memset(&r, 0, sizeof(r));
	r.rp = keeper_spawn(rh, p, sp);
	if (r.rp == NULL) {
		keeper_say(st, 'F');
		if (rh != NULL)
			remote_close(rh);
		_exit(K_NOSTART);
	}
	keeper_say(st, 'R');
	close(st);
	r.ctl = ctl;
	r.data = data;
	r.out_open = r.err_open = 1;
	if (data >= 0 && (fl = fcntl(data, F_GETFL)) >= 0)
		(void)fcntl(data, F_SETFL, fl | O_NONBLOCK);
	rc = keeper_end(&r, sp, relay_run(&r));
	free(r.q);
	if (rh != NULL)
		remote_close(rh);
	_exit(rc);
}

/* ---- our side -------------------------------------------------------------- */

static void
close_pair(int fd[2])
{
	if (fd[0] >= 0)
		close(fd[0]);
	if (fd[1] >= 0)
		close(fd[1]);
}

/* Wait for the keeper's word: 'R', or anything else (it said why). */
static int
wait_ready(struct half *h, int st, int timeout_ms)
{
	struct pollfd pfd = { st, POLLIN, 0 };
	uint64_t end = hdp_mono_ns() + (uint64_t)timeout_ms * 1000000ULL;
	char c = 0;
	ssize_t n;

	for (;;) {
		uint64_t now = hdp_mono_ns();

		if (now >= end) {
			tool_err("%s: no answer in %d s", h->name,
				 timeout_ms / 1000);
			return -1;
		}
		if (poll(&pfd, 1, (int)((end - now) / 1000000) + 1) > 0)
			break;
		if (tool_stop) {
			tool_err("%s: interrupted while starting", h->name);
			return -1;
		}
	}
	do
		n = read(st, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n == 0)	/* it died without a word */
		tool_err("%s: could not be started (its keeper process "
			 "ended)", h->name);
	return n == 1 && c == 'R' ? 0 : -1;
}

struct half *
half_start(const struct remote_cfg *c, const struct point *p,
	   const struct half_spec *sp)
{
	int st[2] = { -1, -1 }, ctl[2] = { -1, -1 }, data[2] = { -1, -1 };
	struct half *h = calloc(1, sizeof(*h));
	pid_t parent = getpid();

	if (h == NULL || (h->name = strdup(p->spec)) == NULL) {
		tool_err("out of memory");
		free(h);
		return NULL;
	}
	h->ctl = h->data = -1;
	if (pipe2(st, O_CLOEXEC) != 0 || pipe2(ctl, O_CLOEXEC) != 0 ||
	    (!sp->discard && pipe2(data, O_CLOEXEC) != 0)) {
		tool_errno("%s: pipe", tool_safe(p->spec));
		goto fail;
	}
	fflush(stdout);
	fflush(stderr);
	h->keeper = fork();
	if (h->keeper < 0) {
		tool_errno("%s: fork", tool_safe(p->spec));
		goto fail;
	}
	if (h->keeper == 0)
		keeper_main(c, p, sp, parent, st[1], ctl[0], data[1]);
	close(st[1]);
	close(ctl[0]);
	st[1] = ctl[0] = -1;
	if (data[1] >= 0)
		close(data[1]);
	h->ctl = ctl[1];
	h->data = data[0];
	/* the keeper's own steps have timeouts; this only guards them */
	if (wait_ready(h, st[0], (int)(c->connect_timeout + 30) * 1000 +
		       sp->timeout_ms) != 0) {
		close(st[0]);
		/* the keeper gives up the start (its waits end) and stops
		 * what it started, in order; 5 s for that */
		(void)kill(h->keeper, SIGTERM);
		(void)half_finish(h, 5000);
		return NULL;
	}
	close(st[0]);
	return h;
fail:
	close_pair(st);
	close_pair(ctl);
	close_pair(data);
	free(h->name);
	free(h);
	return NULL;
}

int
half_fd(const struct half *h)
{
	return h->data;
}

FILE *
half_fdopen(const struct half *h, const char *mode)
{
	FILE *f = NULL;
	int fd = dup(h->data);

	if (fd >= 0 && (f = fdopen(fd, mode)) == NULL)
		close(fd);
	if (f == NULL)
		tool_errno("%s", tool_safe(h->name));
	return f;
}

void
half_stop(struct half *h)
{
	if (h->ctl >= 0) {
		close(h->ctl);
		h->ctl = -1;
	}
}

int
half_finish(struct half *h, int timeout_ms)
{
	uint64_t end = hdp_mono_ns() + (uint64_t)timeout_ms * 1000000ULL;
	int status = 0;
	pid_t r;

	if (h == NULL)
		return 0;
	half_stop(h);
	if (h->data >= 0)
		close(h->data);	/* whatever is left is not read */
	while ((r = waitpid(h->keeper, &status, WNOHANG)) == 0 &&
	       hdp_mono_ns() < end)
		usleep(10000);
	if (r == 0) {
		/* after -Z we may no longer signal it (it kept the
		 * privileges ssh needs): it then ends on its own, its every
		 * step bounded, and we wait for it, so nothing outlives us */
		if (kill(h->keeper, SIGKILL) == 0)
			tool_err("%s: no end in %d s; stopped", h->name,
				 timeout_ms / 1000);
		else
			tool_err("%s: no end in %d s; waiting for it",
				 h->name, timeout_ms / 1000);
		while (waitpid(h->keeper, &status, 0) < 0 && errno == EINTR)
			;
		status = 1 << 8;
	}
	free(h->name);
	free(h);
	return WIFEXITED(status) && WEXITSTATUS(status) == K_OK ? 0 : -1;
}
