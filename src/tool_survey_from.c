/*
 * tool_survey_from.c: hdp survey from several vantage points at once
 * (--from local --from ssh://host ...).
 *
 * Each point runs hdp survey itself, in --json mode, on the targets it is
 * fed on its standard input: "local" as a child of this same binary
 * (/proc/self/exe), ssh:// points through tool_remote.h (the system's
 * ssh, the remote hdp).  This process reads the targets once per point
 * (skipping what --exclude names and what -o already holds for that
 * point), feeds them as the point takes them, and merges the JSON lines
 * that stream back into -o, standard output and the summaries, which
 * then also hold the cross-vantage path_dependent records.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hdp_rawsock.h"
#include "tool.h"
#include "tool_remote.h"
#include "tool_survey.h"

/* tool_remote.c may not be linked in yet (it is another branch's): the
 * ssh:// points then say so instead of failing the build. */
#pragma weak remote_open
#pragma weak remote_info
#pragma weak remote_close
#pragma weak remote_spawn
#pragma weak remote_finish
#pragma weak point_parse
#pragma weak point_free

#define FEED_MAX   4096
#define END_WAIT_MS 10000

struct vp {
	const char *name;
	struct point pt;
	int has_pt;
	struct remote_host *h;
	struct remote_proc *p;
	pid_t pid;                /* local child                         */
	int in, out, err;
	struct sv_tsrc *src;
	const struct sv_aset *done;
	unsigned long nexcl, nskip;
	char feed[FEED_MAX];
	size_t flen, foff;
	int eof;
	char *line;
	size_t llen, lcap;
	int failed;
};

/* The options every point's survey runs with. */
static int
child_args(const struct sv_opts *o, const char *name, const char *argv0,
	   char **av, char buf[][24])
{
	int n = 0;

	av[n++] = (char *)argv0;
	av[n++] = "survey";
	av[n++] = "--json";
	av[n++] = "-q";
	av[n++] = "-T";
	av[n++] = "-";
	av[n++] = "--vantage-name";
	av[n++] = (char *)name;
	snprintf(buf[0], 24, "%u", o->hdp_proto);
	av[n++] = "-P";
	av[n++] = buf[0];
	snprintf(buf[1], 24, "%u", o->repeat);
	av[n++] = "--repeat";
	av[n++] = buf[1];
	snprintf(buf[2], 24, "%.0f", o->rate);
	av[n++] = "--rate";
	av[n++] = buf[2];
	snprintf(buf[3], 24, "%u.%03u", o->wait_ms / 1000, o->wait_ms % 1000);
	av[n++] = "-w";
	av[n++] = buf[3];
	snprintf(buf[4], 24, "%u", o->tcp_port);
	av[n++] = "--tcp-port";
	av[n++] = buf[4];
	snprintf(buf[5], 24, "%u", o->udp_port);
	av[n++] = "--udp-port";
	av[n++] = buf[5];
	if (o->no_trace)
		av[n++] = "--no-trace";
	if (o->family == AF_INET)
		av[n++] = "-4";
	if (o->family == AF_INET6)
		av[n++] = "-6";
	av[n] = NULL;
	return n;
}

/* "local": this binary as a child, its stdin, stdout ours to use. */
static int
spawn_local(const struct sv_opts *o, struct vp *v)
{
	char *av[32], buf[6][24];
	int in[2], out[2];

	child_args(o, v->name, "hdp", av, buf);
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
		tool_errno("pipe");
		return -1;
	}
	fflush(stdout);
	v->pid = fork();
	if (v->pid < 0) {
		tool_errno("fork");
		return -1;
	}
	if (v->pid == 0) {
		if (dup2(in[0], STDIN_FILENO) < 0 ||
		    dup2(out[1], STDOUT_FILENO) < 0)
			_exit(127);
		closefrom(STDERR_FILENO + 1);
		execv("/proc/self/exe", av);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	v->in = in[1];
	v->out = out[0];
	v->err = -1;
	return 0;
}

/* An ssh:// point: the master connection, then hdp survey there. */
static int
spawn_remote(const struct sv_opts *o, const struct remote_cfg *c,
	     struct sv_out *w, struct vp *v)
{
	char *av[32], buf[6][24];
	const struct remote_info *ri;

	if (remote_open == NULL || point_parse == NULL) {
		tool_err("--from %s: this hdp was built without ssh points",
			 tool_safe(v->name));
		return -1;
	}
	if (point_parse(v->name, 0, &v->pt) != 0)
		return -1;
	v->has_pt = 1;
	if ((v->h = remote_open(c, &v->pt)) == NULL)
		return -1;
	ri = remote_info(v->h);
	if (!ri->hdp_ok) {
		tool_err("--from %s: no compatible hdp there%s%s",
			 tool_safe(v->name), ri->hdp_version[0] ? ": " : "",
			 tool_safe(ri->hdp_version));
		sv_out_vantage(w, v->name, ri->kernel, NULL, NULL,
			       "no compatible hdp");
		return -1;
	}
	child_args(o, v->name, "hdp", av, buf);
	if ((v->p = remote_spawn(v->h, v->name, av)) == NULL)
		return -1;
	v->in = v->p->in;
	v->out = v->p->out;
	v->err = v->p->err;
	return 0;
}

/* The next target for v into its feed buffer; 0 at the end. */
static int
next_feed(const struct sv_opts *o, struct sv_excl *ex, struct vp *v)
{
	struct sv_addr a;
	int r;

	(void)o;
	while ((r = sv_tsrc_next(v->src, &a)) > 0) {
		if (sv_excl_has(ex, &a)) {
			v->nexcl++;
			continue;
		}
		if (sv_aset_has(v->done, &a)) {
			v->nskip++;
			continue;
		}
		hdp_addr_ntop(a.family, &a.a, v->feed, sizeof(v->feed) - 1);
		v->flen = strlen(v->feed);
		v->feed[v->flen++] = '\n';
		v->foff = 0;
		return 1;
	}
	return 0;
}

/* Write to v's stdin as much as it takes. */
static void
feed(const struct sv_opts *o, struct sv_excl *ex, struct vp *v)
{
	ssize_t n;

	while (!v->eof) {
		if (v->foff == v->flen && !next_feed(o, ex, v)) {
			v->eof = 1;
			close(v->in);
			v->in = -1;
			return;
		}
		n = write(v->in, v->feed + v->foff, v->flen - v->foff);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR) {
				v->eof = 1;
				close(v->in);
				v->in = -1;
			}
			return;
		}
		v->foff += (size_t)n;
	}
}

/* Lines from v's stdout into the outputs. */
static int
drain_out(struct sv_out *w, struct vp *v)
{
	char buf[8192], *nl, *nb;
	ssize_t n = read(v->out, buf, sizeof(buf));
	size_t i, s = 0;

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (n == 0)
		return -1;
	for (i = 0; i < (size_t)n; i++) {
		if (buf[i] != '\n')
			continue;
		if (v->llen + (i + 1 - s) + 1 > v->lcap) {
			nb = realloc(v->line, v->llen + (i + 1 - s) + 1);
			if (nb == NULL)
				return -1;
			v->line = nb;
			v->lcap = v->llen + (i + 1 - s) + 1;
		}
		memcpy(v->line + v->llen, buf + s, i + 1 - s);
		v->line[v->llen + i + 1 - s] = '\0';
		sv_out_line(w, v->line);
		v->llen = 0;
		s = i + 1;
	}
	if (s < (size_t)n) {
		if (v->llen + (size_t)n - s > v->lcap) {
			nb = realloc(v->line, v->llen + (size_t)n - s + 1);
			if (nb == NULL)
				return -1;
			v->line = nb;
			v->lcap = v->llen + (size_t)n - s + 1;
		}
		memcpy(v->line + v->llen, buf + s, (size_t)n - s);
		v->llen += (size_t)n - s;
	}
	(void)nl;
	return 0;
}

/* A remote point's standard error, forwarded line by line. */
static void
drain_err(struct vp *v)
{
	char buf[2048];
	ssize_t n = read(v->err, buf, sizeof(buf) - 1);

	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			close(v->err);
			v->err = -1;
		}
		return;
	}
	buf[n] = '\0';
	fprintf(stderr, "%s", buf);
}

/* The targets once more for each point: -T - is read into a file first. */
static int
open_sources(const struct sv_opts *o, struct vp *v, int n, int *rc)
{
	struct sv_opts oo = *o;
	char path[64];
	FILE *tmp = NULL;
	int i, c;

	if (o->tfile != NULL && strcmp(o->tfile, "-") == 0) {
		if ((tmp = tmpfile()) == NULL) {
			tool_errno("tmpfile");
			*rc = HDP_EXIT_ENV;
			return -1;
		}
		while ((c = getchar()) != EOF)
			fputc(c, tmp);
		fflush(tmp);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fileno(tmp));
		oo.tfile = path;
	}
	for (i = 0; i < n; i++)
		if ((v[i].src = sv_tsrc_open(&oo, rc)) == NULL)
			break;
	if (tmp != NULL)
		fclose(tmp);
	return i == n ? 0 : -1;
}

static void
start_points(const struct sv_opts *o, const struct remote_cfg *c,
	     struct sv_out *w, struct vp *v, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		v[i].name = o->from[i];
		v[i].done = sv_out_done(w, v[i].name);
		v[i].in = v[i].out = v[i].err = -1;
		if (strcmp(v[i].name, "local") == 0 ?
		    spawn_local(o, &v[i]) != 0 :
		    spawn_remote(o, c, w, &v[i]) != 0) {
			v[i].failed = 1;
			v[i].eof = 1;
			continue;
		}
		fcntl(v[i].in, F_SETFL, O_NONBLOCK);
		fcntl(v[i].out, F_SETFL, O_NONBLOCK);
		if (v[i].err >= 0)
			fcntl(v[i].err, F_SETFL, O_NONBLOCK);
	}
}

/* One poll round over every point; 0 when all are over. */
static int
poll_points(const struct sv_opts *o, struct sv_excl *ex, struct sv_out *w,
	    struct vp *v, int n)
{
	struct pollfd pf[3 * SV_MAXFROM];
	int who[3 * SV_MAXFROM], what[3 * SV_MAXFROM], np = 0, i, live = 0;

	for (i = 0; i < n; i++) {
		if (tool_stop && v[i].in >= 0) {
			close(v[i].in);
			v[i].in = -1;
			v[i].eof = 1;
		}
		if (v[i].in >= 0) {
			pf[np] = (struct pollfd){ v[i].in, POLLOUT, 0 };
			who[np] = i; what[np++] = 0;
		}
		if (v[i].out >= 0) {
			pf[np] = (struct pollfd){ v[i].out, POLLIN, 0 };
			who[np] = i; what[np++] = 1;
			live++;
		}
		if (v[i].err >= 0) {
			pf[np] = (struct pollfd){ v[i].err, POLLIN, 0 };
			who[np] = i; what[np++] = 2;
		}
	}
	if (live == 0)
		return 0;
	if (poll(pf, (nfds_t)np, 200) <= 0)
		return 1;
	for (i = 0; i < np; i++) {
		struct vp *p = &v[who[i]];

		if (!pf[i].revents)
			continue;
		if (what[i] == 0 && p->in >= 0)
			feed(o, ex, p);
		else if (what[i] == 1 && p->out >= 0 && drain_out(w, p) != 0) {
			close(p->out);
			p->out = -1;
		} else if (what[i] == 2 && p->err >= 0)
			drain_err(p);
	}
	return 1;
}

/* The end of a point: its exit status, failure said. */
static int
end_point(struct vp *v)
{
	int st = 0, rc;

	if (v->p != NULL) {
		v->p->in = v->in;
		rc = remote_finish(v->p, END_WAIT_MS);
		v->p = NULL;
	} else if (v->pid > 0) {
		if (v->in >= 0)
			close(v->in);
		while (waitpid(v->pid, &st, 0) < 0 && errno == EINTR)
			;
		rc = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
	} else {
		rc = 1;
	}
	if (v->out >= 0)
		close(v->out);
	if (v->h != NULL)
		remote_close(v->h);
	if (v->has_pt)
		point_free(&v->pt);
	sv_tsrc_close(v->src);
	free(v->line);
	if (rc > 1 && !tool_stop)
		tool_err("--from %s: hdp survey there failed (exit %d)",
			 tool_safe(v->name), rc);
	return rc;
}

int
sv_run_from(const struct sv_opts *o, const struct remote_cfg *c,
	    struct sv_out *w)
{
	struct vp v[SV_MAXFROM];
	struct sv_excl *ex = NULL;
	int i, n = o->nfrom, rc = HDP_EXIT_OK, prc;

	memset(v, 0, sizeof(v));
	signal(SIGPIPE, SIG_IGN);
	if (o->exclude != NULL && (ex = sv_excl_open(o->exclude, &rc)) == NULL)
		return rc;
	if (open_sources(o, v, n, &rc) != 0) {
		for (i = 0; i < n; i++)
			sv_tsrc_close(v[i].src);
		sv_excl_free(ex);
		return rc;
	}
	start_points(o, c, w, v, n);
	while (poll_points(o, ex, w, v, n))
		;
	for (i = 0; i < n; i++) {
		prc = v[i].failed ? HDP_EXIT_FAIL : end_point(&v[i]);
		if (v[i].failed)
			sv_tsrc_close(v[i].src);
		sv_out_excluded(w, v[i].name, v[i].nexcl);
		sv_out_skipped(w, v[i].name, v[i].nskip);
		if (prc != HDP_EXIT_OK && rc == HDP_EXIT_OK)
			rc = HDP_EXIT_FAIL;
	}
	sv_excl_free(ex);
	return rc;
}
