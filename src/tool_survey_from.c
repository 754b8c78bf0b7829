/*
 * tool_survey_from.c: hdp survey from several vantage points at once
 * (--from local --from ssh://host ...).
 *
 * Each point runs hdp survey itself, in --json mode: "local" as a child
 * of this same binary, ssh:// points through tool_remote.h (the system's
 * ssh, the remote hdp), both with remote_spawn().  A command started so
 * has /dev/null for its standard input (closing ours is how it is told
 * to stop), so the targets go as arguments, CHUNK at a time: this
 * process reads the targets once per point (skipping what --exclude
 * names and what -o already holds for that point), starts a survey
 * there for the next chunk when the last one is over, and merges the
 * JSON lines that stream back into -o, standard output and the
 * summaries, which then also hold the cross-vantage path_dependent
 * records.
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

/* Targets per survey started at a point: a command line of some 40 kB,
 * well within what ssh and execve take. */
#define CHUNK       2048
#define NOPT        32
#define END_WAIT_MS 3000

struct vp {
	const char *name;
	struct point pt;
	int has_pt;
	struct remote_host *h;    /* NULL: local                         */
	struct remote_proc *p;    /* the survey running there, or NULL   */
	struct sv_tsrc *src;
	const struct sv_aset *done;
	struct sv_aset *seen;     /* targets given to it (duplicates)     */
	unsigned long nexcl, nskip;
	char *chunk[NOPT + CHUNK + 1];
	char optbuf[6][24];
	int nopt;
	int eof;                  /* no target left to send it           */
	int failed;
	int rc;                   /* worst exit status of its surveys    */
	char *line;
	size_t llen, lcap;
	unsigned long nres;       /* result records that came back       */
	char *grp;                /* a target's records until its last   */
	size_t glen, gcap;
};

/* The options every point's survey runs with, into v->chunk. */
static void
child_args(const struct sv_opts *o, struct vp *v)
{
	char **av = v->chunk, (*buf)[24] = v->optbuf;
	int n = 0;

	av[n++] = "hdp";
	av[n++] = "survey";
	av[n++] = "--json";
	av[n++] = "-q";
	av[n++] = "--vantage-name";
	av[n++] = (char *)v->name;
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
	av[n++] = "--";
	av[n] = NULL;
	v->nopt = n;
}

/* An ssh:// point: its master connection, and what is there. */
static int
open_remote(const struct remote_cfg *c, struct sv_out *w, struct vp *v)
{
	const struct remote_info *ri;

	if (point_parse(v->name, 0, &v->pt) != 0)
		return -1;
	v->has_pt = 1;
	if ((v->h = remote_open(c, &v->pt)) == NULL) {
		sv_out_vantage(w, v->name, NULL, NULL, NULL, "ssh failed");
		return -1;
	}
	ri = remote_info(v->h);
	if (!ri->hdp_ok) {
		tool_err("--from %s: no compatible hdp there%s%s",
			 tool_safe(v->name), ri->hdp_version[0] ? ": " : "",
			 tool_safe(ri->hdp_version));
		sv_out_vantage(w, v->name, ri->kernel, NULL, NULL,
			       "no compatible hdp");
		return -1;
	}
	return 0;
}

/* The next chunk of targets for v as arguments after its options;
 * how many. */
static int
fill_chunk(struct sv_excl *ex, struct vp *v)
{
	char buf[INET6_ADDRSTRLEN];
	struct sv_addr a;
	int n = 0, r;

	while (n < CHUNK && (r = sv_tsrc_next(v->src, &a)) > 0) {
		if (sv_excl_has(ex, &a)) {
			v->nexcl++;
			continue;
		}
		/* listed twice (maybe in two chunks): probed once */
		if (sv_aset_has(v->done, &a) || sv_aset_has(v->seen, &a)) {
			v->nskip++;
			continue;
		}
		if (sv_aset_add(v->seen, &a) != 0)
			break;
		hdp_addr_ntop(a.family, &a.a, buf, sizeof(buf));
		if ((v->chunk[v->nopt + n] = strdup(buf)) == NULL)
			break;
		n++;
	}
	if (n < CHUNK)
		v->eof = 1;
	v->chunk[v->nopt + n] = NULL;
	return n;
}

static void
free_chunk(struct vp *v)
{
	int i;

	for (i = v->nopt; v->chunk[i] != NULL; i++) {
		free(v->chunk[i]);
		v->chunk[i] = NULL;
	}
}

/* Start the survey of v's next chunk; 0 when started, -1 when there is
 * none left or it could not start (said). */
static int
next_survey(struct sv_excl *ex, struct vp *v)
{
	int n;

	if (v->eof || tool_stop)
		return -1;
	n = fill_chunk(ex, v);
	if (n == 0) {
		free_chunk(v);
		return -1;
	}
	v->p = remote_spawn(v->h, v->name, v->chunk);
	free_chunk(v);
	if (v->p == NULL) {
		v->failed = 1;
		v->eof = 1;
		return -1;
	}
	fcntl(v->p->out, F_SETFL, O_NONBLOCK);
	fcntl(v->p->err, F_SETFL, O_NONBLOCK);
	return 0;
}

/* One line that came from a point. */
/*
 * One line that came from a point.  A target's records are kept until
 * its last (ICMP's) and then written one after the other, so records of
 * two points never interleave in -o: a crash leaves at most the last
 * target incomplete, which the next run cuts off.
 */
static void
point_line(struct sv_out *w, struct vp *v, const char *line)
{
	size_t n = strlen(line);
	char *nb, *l, *e;
	int res = strstr(line, "\"type\":\"result\"") != NULL;

	if (res && strstr(line, "\"proto\":\"icmp\"") == NULL) {
		if (v->glen + n + 1 > v->gcap) {
			nb = realloc(v->grp, v->glen + n + 1);
			if (nb == NULL)
				return;
			v->grp = nb;
			v->gcap = v->glen + n + 1;
		}
		memcpy(v->grp + v->glen, line, n + 1);
		v->glen += n;
		return;
	}
	for (l = v->grp; v->glen > 0 && l < v->grp + v->glen; l = e) {
		e = strchr(l, '\n');
		e = e != NULL ? e + 1 : v->grp + v->glen;
		nb = strndup(l, (size_t)(e - l));
		if (nb != NULL)
			sv_out_line(w, nb);
		free(nb);
		v->nres++;
	}
	v->glen = 0;
	v->nres += (unsigned long)res;
	sv_out_line(w, line);
}

/* On a terminal: targets done at each point (results / kinds). */
static void
progress(const struct sv_opts *o, const struct vp *v, int n, int last)
{
	static uint64_t t;
	uint64_t now = hdp_mono_ns();
	unsigned nk = 6 - (o->hdp_proto == 253 || o->hdp_proto == 254);
	long tot;
	int i;

	if (o->quiet || !isatty(STDERR_FILENO) ||
	    (!last && now - t < 500000000ULL))
		return;
	t = now;
	fprintf(stderr, "\rhdp survey:");
	for (i = 0; i < n; i++) {
		fprintf(stderr, "%s %s %lu", i ? "," : "",
			tool_safe(v[i].name), v[i].nres / nk);
		if ((tot = sv_tsrc_total(v[i].src)) >= 0)
			fprintf(stderr, "/%ld", tot);
	}
	fprintf(stderr, " targets\033[K%s", last ? "\n" : "");
}

/* Lines from the point's survey into the outputs; -1 at its end. */
static int
drain_out(struct sv_out *w, struct vp *v)
{
	char buf[8192], *nb;
	ssize_t n = read(v->p->out, buf, sizeof(buf));
	size_t i, s = 0, add;

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (n == 0)
		return -1;
	for (i = 0; i <= (size_t)n; i++) {
		if (i < (size_t)n && buf[i] != '\n')
			continue;
		add = i - s + (i < (size_t)n);
		if (v->llen + add + 1 > v->lcap) {
			nb = realloc(v->line, v->llen + add + 1);
			if (nb == NULL)
				return -1;
			v->line = nb;
			v->lcap = v->llen + add + 1;
		}
		memcpy(v->line + v->llen, buf + s, add);
		v->llen += add;
		v->line[v->llen] = '\0';
		if (i < (size_t)n) {
			point_line(w, v, v->line);
			v->llen = 0;
		}
		s = i + 1;
	}
	return 0;
}

/* A point's standard error, forwarded with its name. */
static void
drain_err(struct vp *v)
{
	char buf[2048], *l, *nl;
	ssize_t n = read(v->p->err, buf, sizeof(buf) - 1);

	if (n <= 0)
		return;
	buf[n] = '\0';
	for (l = buf; *l; l = nl + 1) {
		nl = strchr(l, '\n');
		if (nl != NULL)
			*nl = '\0';
		if (*l)
			fprintf(stderr, "%s: %s\n", tool_safe(v->name), l);
		if (nl == NULL)
			break;
	}
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
	for (i = 0; i < n; i++) {
		if ((v[i].src = sv_tsrc_open(&oo, rc)) == NULL)
			break;
		if ((v[i].seen = sv_aset_new()) == NULL) {
			tool_err("out of memory");
			*rc = HDP_EXIT_ENV;
			break;
		}
	}
	if (tmp != NULL)
		fclose(tmp);
	return i == n ? 0 : -1;
}

static void
start_points(const struct sv_opts *o, const struct remote_cfg *c,
	     struct sv_out *w, struct sv_excl *ex, struct vp *v, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		v[i].name = o->from[i];
		v[i].done = sv_out_done(w, v[i].name);
		child_args(o, &v[i]);
		if (strcmp(v[i].name, "local") != 0 &&
		    open_remote(c, w, &v[i]) != 0) {
			v[i].failed = 1;
			v[i].eof = 1;
			continue;
		}
		next_survey(ex, &v[i]);
	}
}

/* The survey at v ended (its output closed): its status, the next. */
static void
survey_over(struct sv_excl *ex, struct vp *v)
{
	int rc = remote_finish(v->p, END_WAIT_MS);

	v->p = NULL;
	if (rc != HDP_EXIT_OK && rc > v->rc)
		v->rc = rc;
	if (rc > HDP_EXIT_FAIL || rc < 0) {
		if (!tool_stop)
			tool_err("--from %s: hdp survey there failed (exit "
				 "%d)", tool_safe(v->name), rc);
		v->failed = 1;
		v->eof = 1;
		return;
	}
	next_survey(ex, v);
}

/* One poll round over every point; 0 when all are over. */
static int
poll_points(struct sv_excl *ex, struct sv_out *w, struct vp *v, int n)
{
	struct pollfd pf[2 * SV_MAXFROM];
	int who[2 * SV_MAXFROM], np = 0, i;

	for (i = 0; i < n; i++) {
		if (v[i].p == NULL)
			continue;
		if (tool_stop)
			remote_stop(v[i].p);	/* it ends what it did */
		pf[np] = (struct pollfd){ v[i].p->out, POLLIN, 0 };
		who[np++] = i;
		pf[np] = (struct pollfd){ v[i].p->err, POLLIN, 0 };
		who[np++] = i;
	}
	if (np == 0)
		return 0;
	if (poll(pf, (nfds_t)np, 200) <= 0)
		return 1;
	for (i = 0; i < np; i += 2) {
		struct vp *p = &v[who[i]];

		if (pf[i + 1].revents)
			drain_err(p);
		if (pf[i].revents && drain_out(w, p) != 0)
			survey_over(ex, p);
	}
	return 1;
}

int
sv_run_from(const struct sv_opts *o, const struct remote_cfg *c,
	    struct sv_out *w)
{
	struct vp v[SV_MAXFROM];
	struct sv_excl *ex = NULL;
	int i, n = o->nfrom, rc = HDP_EXIT_OK;

	memset(v, 0, sizeof(v));
	signal(SIGPIPE, SIG_IGN);
	if (o->exclude != NULL && (ex = sv_excl_open(o->exclude, &rc)) == NULL)
		return rc;
	if (open_sources(o, v, n, &rc) != 0)
		goto out;
	start_points(o, c, w, ex, v, n);
	while (poll_points(ex, w, v, n))
		progress(o, v, n, 0);
	progress(o, v, n, 1);
	for (i = 0; i < n; i++) {
		sv_out_excluded(w, v[i].name, v[i].nexcl);
		sv_out_skipped(w, v[i].name, v[i].nskip);
		if ((v[i].failed || v[i].rc != HDP_EXIT_OK) &&
		    rc == HDP_EXIT_OK)
			rc = HDP_EXIT_FAIL;
	}
out:
	for (i = 0; i < n; i++) {
		if (v[i].h != NULL)
			remote_close(v[i].h);
		if (v[i].has_pt)
			point_free(&v[i].pt);
		sv_tsrc_close(v[i].src);
		sv_aset_free(v[i].seen);
		free(v[i].line);
		free(v[i].grp);
	}
	sv_excl_free(ex);
	return rc;
}
