/*
 * tool_survey_out.c: what hdp survey writes: one JSON line per (target,
 * vantage, proto) as each target is done (standard output with --json,
 * and always -o FILE), the broken targets as text, then the summaries,
 * the cross-vantage path_dependent records and --plot.
 *
 * -o FILE is appended to.  It is read first: the targets complete in it
 * (every record of the target there; a target's records are written
 * with one write(), ICMP's last) are skipped for their vantage point,
 * and counted in the summaries; a cut last line or the records of a
 * target left incomplete by a crash are cut off, so the file stays JSON
 * lines and the target is done again.  The last summaries in the file
 * count everything it holds.
 *
 * Memory: counts per vantage point and protocol; the targets -o holds
 * (17 bytes each in a table at most half full); with several vantage
 * points, 68 bytes a target (which points found each protocol working
 * and which broken, a table at most half full) for the path_dependent
 * records at the end.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hdp_file.h"
#include "hdp_json.h"
#include "hdp_match.h"
#include "tool.h"
#include "tool_survey.h"

const char *const sk_name[SK_N] = { "hdp", "253", "254", "udp", "tcp",
				    "icmp" };
const char *const sc_name[SC_N] = { "works", "transient", "broken",
				    "offline", "path_dependent" };

#define MAXV (SV_MAXFROM + 1)
#define LINE_MAX_OUT 4096

struct vant {
	char *name;
	unsigned long cnt[SK_N][SC_N];
	unsigned ip_proto[SK_N];
	unsigned long excluded, skipped, resumed;
	struct sv_aset *done;     /* targets complete in -o               */
	char kernel[128], addr4[INET6_ADDRSTRLEN], addr6[INET6_ADDRSTRLEN];
	char err[256];
	int have_info;
};

/* Per target, with several vantage points: which found each kind
 * working (works, transient) and which broken, a bit per point. */
struct pent {
	uint8_t key[17];
	uint32_t ok[SK_N], bad[SK_N];
};

struct sv_out {
	const struct sv_opts *o;
	int fd;                   /* -o, O_APPEND, or -1                  */
	FILE *plot;
	struct hdp_file_id plot_id;
	struct vant v[MAXV];
	int nv;
	int multi;                /* several vantage points: path records */
	struct pent *pt;
	size_t pnb, pn;
	int werr;
	unsigned long nemit;
};

/* ---- counts -------------------------------------------------------------- */

static struct vant *
vant_of(struct sv_out *w, const char *name)
{
	int i;

	for (i = 0; i < w->nv; i++)
		if (strcmp(w->v[i].name, name) == 0)
			return &w->v[i];
	if (w->nv == MAXV || (w->v[w->nv].name = strdup(name)) == NULL)
		return NULL;
	return &w->v[w->nv++];
}

/* The index of s in names[0..n-1], or -1. */
static int
name_index(const char *const *names, int n, const char *s)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

static size_t
pslot(const struct sv_out *w, const uint8_t k[17])
{
	size_t i = (size_t)hdp_fnv1a(HDP_FNV_INIT, k, 17) & (w->pnb - 1);

	while (w->pt[i].key[0] != 0 && memcmp(w->pt[i].key, k, 17) != 0)
		i = (i + 1) & (w->pnb - 1);
	return i;
}

static struct pent *
pent_of(struct sv_out *w, const char *target)
{
	uint8_t k[17];
	struct pent *np;
	size_t i, nb;

	memset(k, 0, sizeof(k));
	if (inet_pton(AF_INET, target, k + 1) == 1)
		k[0] = 4;
	else if (inet_pton(AF_INET6, target, k + 1) == 1)
		k[0] = 6;
	else
		return NULL;
	if ((w->pn + 1) * 2 > w->pnb) {
		struct sv_out t = *w;

		nb = w->pnb ? w->pnb * 2 : 1024;
		if ((np = calloc(nb, sizeof(*np))) == NULL)
			return NULL;
		t.pt = np;
		t.pnb = nb;
		for (i = 0; i < w->pnb; i++)
			if (w->pt[i].key[0] != 0)
				np[pslot(&t, w->pt[i].key)] = w->pt[i];
		free(w->pt);
		w->pt = np;
		w->pnb = nb;
	}
	i = pslot(w, k);
	if (w->pt[i].key[0] == 0) {
		memcpy(w->pt[i].key, k, 17);
		w->pn++;
	}
	return &w->pt[i];
}

/* Count one result (from this run, a --from child, or -o). */
static void
count(struct sv_out *w, struct vant *v, const char *target, int k, int c,
      unsigned ip_proto)
{
	struct pent *p;
	uint32_t bit;

	v->cnt[k][c]++;
	if (v->ip_proto[k] == 0)
		v->ip_proto[k] = ip_proto;
	/* a bit per point: the 33rd name (one -o holds besides 32 --from
	 * points) has none */
	if (!w->multi || v - w->v >= 32 ||
	    (p = pent_of(w, target)) == NULL)
		return;
	bit = 1u << (v - w->v);
	if (c == SC_WORKS || c == SC_TRANSIENT)
		p->ok[k] |= bit;
	else if (c == SC_BROKEN)
		p->bad[k] |= bit;
}

/* ---- -o: what it holds --------------------------------------------------- */

/* A result line's vantage, target, kind and category, counted; tg holds
 * INET6_ADDRSTRLEN bytes.  -1 when a field is missing or unknown. */
static int
count_line(struct sv_out *w, const char *line, char *tg, struct vant **v,
	   int *k, int *c, unsigned *ip_proto)
{
	char vn[512], pr[16], ca[24], ipp[8];

	if (sv_json_get(line, "vantage", vn, sizeof(vn)) != 0 ||
	    sv_json_get(line, "target", tg, INET6_ADDRSTRLEN) != 0 ||
	    sv_json_get(line, "proto", pr, sizeof(pr)) != 0 ||
	    sv_json_get(line, "category", ca, sizeof(ca)) != 0 ||
	    (*k = name_index(sk_name, SK_N, pr)) < 0 ||
	    (*c = name_index(sc_name, SC_N, ca)) < 0 ||
	    (*v = vant_of(w, vn)) == NULL)
		return -1;
	if (sv_json_get(line, "ip_proto", ipp, sizeof(ipp)) != 0)
		strcpy(ipp, "0");
	*ip_proto = (unsigned)atoi(ipp);
	count(w, *v, tg, *k, *c, *ip_proto);
	return 0;
}

/* One line of -o: a result counted, its target complete at its ICMP
 * record.  1 when the line closes a group (or is not a result). */
static int
read_line(struct sv_out *w, const char *line)
{
	char type[16], tg[INET6_ADDRSTRLEN];
	struct sv_addr a;
	struct vant *v;
	unsigned ipp;
	int k, c, plen;

	if (sv_json_get(line, "type", type, sizeof(type)) != 0 ||
	    strcmp(type, "result") != 0)
		return 1;
	if (count_line(w, line, tg, &v, &k, &c, &ipp) != 0)
		return 0;
	if (k != SK_ICMP)
		return 0;
	if (sv_parse_prefix(tg, &a, &plen) == 0) {
		if (v->done == NULL)
			v->done = sv_aset_new();
		if (v->done != NULL)
			sv_aset_add(v->done, &a);
	}
	v->resumed++;
	return 1;
}

/* Read -o (open on fd) and cut it after its last complete group. */
static int
read_existing(struct sv_out *w, int fd)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	off_t off = 0, good = 0;
	FILE *f = fdopen(dup(fd), "r");

	if (f == NULL) {
		tool_errno("-o %s", w->o->out);
		return HDP_EXIT_ENV;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		off += n;
		if (line[n - 1] != '\n')
			break;	/* cut by a crash */
		if (read_line(w, line))
			good = off;
	}
	free(line);
	fclose(f);
	if (ftruncate(fd, good) != 0) {
		tool_errno("-o %s", w->o->out);
		return HDP_EXIT_ENV;
	}
	return HDP_EXIT_OK;
}

static int
open_o(struct sv_out *w)
{
	struct stat st;
	int fd;

	fd = open(w->o->out, O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW |
		  O_CLOEXEC, 0644);
	if (fd < 0) {
		tool_errno("-o %s", w->o->out);
		return errno == ELOOP || errno == EISDIR ? HDP_EXIT_USAGE :
		       HDP_EXIT_ENV;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		tool_err("-o %s: not a regular file", w->o->out);
		close(fd);
		return HDP_EXIT_USAGE;
	}
	w->fd = fd;
	return read_existing(w, fd);
}

struct sv_out *
sv_out_open(const struct sv_opts *o, int *rc)
{
	struct sv_out *w = calloc(1, sizeof(*w));
	char err[512];
	int i;

	*rc = HDP_EXIT_ENV;
	if (w == NULL) {
		tool_err("out of memory");
		return NULL;
	}
	w->o = o;
	w->fd = -1;
	w->multi = o->nfrom > 1;
	for (i = 0; i < o->nfrom; i++)
		vant_of(w, o->from[i]);
	if (o->nfrom == 0)
		vant_of(w, o->vantage);
	if (o->out != NULL && (*rc = open_o(w)) != HDP_EXIT_OK)
		goto fail;
	if (o->plot != NULL) {
		w->plot = hdp_file_create_kept(o->plot, o->force, &w->plot_id,
					       err, sizeof(err));
		if (w->plot == NULL) {
			tool_err("%s", err);
			*rc = HDP_FILE_REFUSED(errno) ? HDP_EXIT_USAGE :
			      HDP_EXIT_ENV;
			goto fail;
		}
	}
	*rc = HDP_EXIT_OK;
	return w;
fail:
	sv_out_free(w);
	return NULL;
}

const struct sv_aset *
sv_out_done(const struct sv_out *w, const char *name)
{
	int i;

	for (i = 0; i < w->nv; i++)
		if (strcmp(w->v[i].name, name) == 0)
			return w->v[i].done;
	return NULL;
}

/* ---- writing --------------------------------------------------------------- */

/* buf (n bytes) to -o in one write, and to stdout with --json. */
int
sv_out_any(const struct sv_out *w)
{
	return w->nemit > 0;
}

static int
emit(struct sv_out *w, const char *buf, size_t n)
{
	w->nemit++;
	if (w->o->json && !w->werr &&
	    (fwrite(buf, 1, n, stdout) != n || fflush(stdout) != 0)) {
		tool_errno("standard output");
		w->werr = 1;
	}
	if (w->fd >= 0 && write(w->fd, buf, n) != (ssize_t)n) {
		tool_errno("-o %s", w->o->out);
		close(w->fd);
		w->fd = -1;
		w->werr = 1;
	}
	return w->werr ? -1 : 0;
}

static void
result_json(FILE *f, const struct sv_result *r)
{
	struct hdp_json j;

	hj_begin(&j, f);
	hj_str(&j, "type", "result");
	hj_str(&j, "target", r->target);
	hj_str(&j, "vantage", r->vantage);
	hj_str(&j, "proto", sk_name[r->kind]);
	hj_u64(&j, "ip_proto", r->ip_proto);
	hj_u64(&j, "sent", r->sent);
	hj_u64(&j, "arrived", r->arrived);
	hj_u64(&j, "resent", r->resent);
	hj_str(&j, "evidence", r->evidence);
	hj_str(&j, "category", sc_name[r->cat]);
	if (r->last_hop > 0) {
		hj_u64(&j, "last_hop", (uint64_t)r->last_hop);
		hj_str(&j, "last_responder", r->last_responder);
		hj_u64(&j, "walk_proto", r->walk_proto);
	} else {
		hj_null(&j, "last_hop");
		hj_null(&j, "last_responder");
		hj_null(&j, "walk_proto");
	}
	hj_str(&j, "walk", r->walk);
	hj_str(&j, "src", r->src[0] ? r->src : NULL);
	hj_u64(&j, "time_ns", r->time_ns);
	hj_end(&j);
}

/* The text line of a broken (or offline) target. */
static void
result_text(const struct sv_out *w, const struct sv_result *r)
{
	if (w->o->json || w->o->quiet || r->cat != SC_BROKEN)
		return;
	printf("broken: %s %s (%u) from %s: ", r->target, sk_name[r->kind],
	       r->ip_proto, tool_safe(r->vantage));
	if (r->last_hop > 0)
		printf("last responder %s (hop %d)\n", r->last_responder,
		       r->last_hop);
	else if (r->walk != NULL)
		printf("last responder not known (TTL walk: %s)\n",
		       r->walk);
	else
		printf("no TTL walk\n");
	fflush(stdout);
}

int
sv_out_target(struct sv_out *w, const struct sv_result *r, int n)
{
	char *buf = NULL;
	size_t len = 0;
	struct vant *v = vant_of(w, r[0].vantage);
	FILE *f = open_memstream(&buf, &len);
	int i, rc;

	if (f == NULL || v == NULL) {
		tool_err("out of memory");
		if (f != NULL)
			fclose(f);
		return -1;
	}
	for (i = 0; i < n; i++) {
		result_json(f, &r[i]);
		count(w, v, r[i].target, r[i].kind, r[i].cat, r[i].ip_proto);
	}
	fclose(f);
	rc = emit(w, buf, len);
	free(buf);
	for (i = 0; i < n; i++)
		result_text(w, &r[i]);
	return rc;
}

/* A --from child's vantage record: kept for the text summary, written
 * as it came. */
static int
child_vantage(struct sv_out *w, const char *line)
{
	char vn[512];
	struct vant *v;

	if (sv_json_get(line, "vantage", vn, sizeof(vn)) != 0 ||
	    (v = vant_of(w, vn)) == NULL || v->have_info)
		return 0;	/* one a point (a survey a chunk sends one) */
	v->have_info = 1;
	if (sv_json_get(line, "kernel", v->kernel, sizeof(v->kernel)) != 0)
		v->kernel[0] = '\0';
	if (sv_json_get(line, "address", v->addr4, sizeof(v->addr4)) != 0)
		v->addr4[0] = '\0';
	if (sv_json_get(line, "address6", v->addr6, sizeof(v->addr6)) != 0)
		v->addr6[0] = '\0';
	return emit(w, line, strlen(line));
}

int
sv_out_line(struct sv_out *w, const char *line)
{
	char type[16], tg[INET6_ADDRSTRLEN];
	char resp[INET6_ADDRSTRLEN], hop[8];
	struct sv_result r;
	struct vant *v;
	unsigned ipp;
	int k, c;

	if (sv_json_get(line, "type", type, sizeof(type)) != 0)
		return 0;
	if (strcmp(type, "vantage") == 0)
		return child_vantage(w, line);
	if (strcmp(type, "result") != 0 ||
	    count_line(w, line, tg, &v, &k, &c, &ipp) != 0)
		return 0;
	memset(&r, 0, sizeof(r));
	snprintf(r.target, sizeof(r.target), "%s", tg);
	r.vantage = v->name;
	r.kind = k;
	r.cat = c;
	r.ip_proto = ipp;
	if (sv_json_get(line, "last_hop", hop, sizeof(hop)) == 0 &&
	    sv_json_get(line, "last_responder", resp, sizeof(resp)) == 0) {
		r.last_hop = atoi(hop);
		snprintf(r.last_responder, sizeof(r.last_responder), "%s",
			 resp);
	}
	result_text(w, &r);
	return emit(w, line, strlen(line));
}

void
sv_out_vantage(struct sv_out *w, const char *name, const char *kernel,
	       const char *addr4, const char *addr6, const char *err)
{
	struct vant *v = vant_of(w, name);
	char *buf = NULL;
	size_t len = 0;
	struct hdp_json j;
	FILE *f;

	if (v == NULL || (f = open_memstream(&buf, &len)) == NULL)
		return;
	v->have_info = 1;
	snprintf(v->kernel, sizeof(v->kernel), "%s", kernel ? kernel : "");
	snprintf(v->addr4, sizeof(v->addr4), "%s", addr4 ? addr4 : "");
	snprintf(v->addr6, sizeof(v->addr6), "%s", addr6 ? addr6 : "");
	snprintf(v->err, sizeof(v->err), "%s", err ? err : "");
	hj_begin(&j, f);
	hj_str(&j, "type", "vantage");
	hj_str(&j, "vantage", name);
	hj_str(&j, "kernel", kernel && *kernel ? kernel : NULL);
	hj_str(&j, "address", addr4 && *addr4 ? addr4 : NULL);
	hj_str(&j, "address6", addr6 && *addr6 ? addr6 : NULL);
	hj_str(&j, "error", err && *err ? err : NULL);
	hj_end(&j);
	fclose(f);
	emit(w, buf, len);
	free(buf);
}

void
sv_out_excluded(struct sv_out *w, const char *name, unsigned long n)
{
	struct vant *v = vant_of(w, name);

	if (v != NULL)
		v->excluded += n;
}

void
sv_out_skipped(struct sv_out *w, const char *name, unsigned long n)
{
	struct vant *v = vant_of(w, name);

	if (v != NULL)
		v->skipped += n;
}

/* ---- summaries ------------------------------------------------------------- */

static unsigned long
total_of(const struct vant *v, int k)
{
	unsigned long n = 0;
	int c;

	for (c = 0; c < SC_N; c++)
		n += v->cnt[k][c];
	return n;
}

static void
summary_json(struct sv_out *w, const struct vant *v, int k, int all)
{
	char *buf = NULL;
	size_t len = 0;
	struct hdp_json j;
	FILE *f = open_memstream(&buf, &len);
	int c;

	if (f == NULL)
		return;
	hj_begin(&j, f);
	hj_str(&j, "type", "summary");
	hj_str(&j, "vantage", v->name);
	hj_str(&j, "proto", sk_name[k]);
	if (v->ip_proto[k])
		hj_u64(&j, "ip_proto", v->ip_proto[k]);
	else
		hj_null(&j, "ip_proto");
	if (all) {
		/* across the points: only what needs several */
		hj_u64(&j, "path_dependent", v->cnt[k][SC_PATHDEP]);
		hj_end(&j);
		goto out;
	}
	hj_u64(&j, "targets", total_of(v, k));
	for (c = 0; c < SC_PATHDEP; c++)
		hj_u64(&j, sc_name[c], v->cnt[k][c]);
	hj_u64(&j, "excluded", v->excluded);
	hj_u64(&j, "resumed", v->resumed);
	hj_end(&j);
out:
	fclose(f);
	emit(w, buf, len);
	free(buf);
}

static void
summary_text(const struct sv_out *w, const struct vant *v)
{
	int k, c;

	printf("\nvantage %s", tool_safe(v->name));
	if (v->kernel[0])
		printf(" (%s", tool_safe(v->kernel));
	if (v->addr4[0])
		printf(", %s", v->addr4);
	if (v->addr6[0])
		printf(", %s", v->addr6);
	printf("%s", v->kernel[0] ? ")" : "");
	if (v->err[0])
		printf(": %s", tool_safe(v->err));
	printf("\n%-6s %8s", "proto", "targets");
	for (c = 0; c < SC_PATHDEP; c++)
		printf(" %9s", sc_name[c]);
	putchar('\n');
	for (k = 0; k < SK_N; k++) {
		if (total_of(v, k) == 0)
			continue;
		printf("%-6s %8lu", sk_name[k], total_of(v, k));
		for (c = 0; c < SC_PATHDEP; c++)
			printf(" %9lu", v->cnt[k][c]);
		putchar('\n');
	}
	if (v->excluded || v->resumed || v->skipped)
		printf("%lu excluded (--exclude), %lu already in %s\n",
		       v->excluded, v->resumed,
		       w->o->out ? tool_safe(w->o->out) : "-o");
}

/* The names of the vantage points in mask, as a JSON array. */
static void
vlist(FILE *f, const struct sv_out *w, uint32_t mask)
{
	int b, n = 0;

	fputc('[', f);
	for (b = 0; b < w->nv; b++)
		if (mask >> b & 1) {
			if (n++)
				fputc(',', f);
			hj_write_string(f, w->v[b].name, strlen(w->v[b].name));
		}
	fputc(']', f);
}

/* path_dependent: a kind working from one point and broken from
 * another; the records, and the counts into the "all" pseudo-vantage. */
static void
path_records(struct sv_out *w, struct vant *all)
{
	char t[INET6_ADDRSTRLEN], *buf = NULL;
	struct hdp_json j;
	size_t i, len = 0;
	int k;
	FILE *f;

	for (i = 0; i < w->pnb; i++) {
		struct pent *p = &w->pt[i];

		if (p->key[0] == 0)
			continue;
		inet_ntop(p->key[0] == 4 ? AF_INET : AF_INET6, p->key + 1, t,
			  sizeof(t));
		for (k = 0; k < SK_N; k++) {
			if (!p->ok[k] || !p->bad[k])
				continue;
			all->cnt[k][SC_PATHDEP]++;
			if ((f = open_memstream(&buf, &len)) == NULL)
				return;
			hj_begin(&j, f);
			hj_str(&j, "type", "path");
			hj_str(&j, "target", t);
			hj_str(&j, "proto", sk_name[k]);
			hj_str(&j, "category", "path_dependent");
			hj_raw(&j, "works_from", "");
			vlist(f, w, p->ok[k]);
			hj_raw(&j, "broken_from", "");
			vlist(f, w, p->bad[k]);
			hj_end(&j);
			fclose(f);
			emit(w, buf, len);
			free(buf);
			buf = NULL;
		}
	}
}

static void
run_json(struct sv_out *w, int interrupted, uint64_t dur_ns)
{
	char *buf = NULL;
	size_t len = 0;
	struct hdp_json j;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return;
	hj_begin(&j, f);
	hj_str(&j, "type", "run");
	hj_u64(&j, "vantages", (uint64_t)w->nv);
	hj_bool(&j, "interrupted", interrupted);
	hj_dbl(&j, "duration_ms", (double)dur_ns / 1e6, 1);
	hj_end(&j);
	fclose(f);
	emit(w, buf, len);
	free(buf);
}

int
sv_out_finish(struct sv_out *w, int interrupted, uint64_t dur_ns)
{
	struct vant all;
	int i, k;

	for (i = 0; i < w->nv; i++)
		for (k = 0; k < SK_N; k++)
			if (total_of(&w->v[i], k))
				summary_json(w, &w->v[i], k, 0);
	if (w->multi) {
		memset(&all, 0, sizeof(all));
		all.name = "all";
		path_records(w, &all);
		for (k = 0; k < SK_N; k++)
			summary_json(w, &all, k, 1);
	}
	run_json(w, interrupted, dur_ns);
	if (!w->o->json) {
		for (i = 0; i < w->nv; i++)
			summary_text(w, &w->v[i]);
		if (w->multi) {
			printf("\npath_dependent (working from one vantage "
			       "point, broken from another):");
			for (k = 0; k < SK_N; k++)
				printf(" %s %lu", sk_name[k],
				       all.cnt[k][SC_PATHDEP]);
			putchar('\n');
		}
		if (fflush(stdout) != 0) {
			tool_errno("standard output");
			w->werr = 1;
		}
	}
	if (w->plot != NULL && sv_plot(w->o->plot, w->plot, w) != 0)
		w->werr = 1;
	return w->werr ? HDP_EXIT_ENV : HDP_EXIT_OK;
}

void
sv_out_free(struct sv_out *w)
{
	int i;

	if (w == NULL)
		return;
	if (w->fd >= 0)
		close(w->fd);
	if (w->plot != NULL)
		fclose(w->plot);
	for (i = 0; i < w->nv; i++) {
		free(w->v[i].name);
		sv_aset_free(w->v[i].done);
	}
	free(w->pt);
	free(w);
}

/* ---- --plot -------------------------------------------------------------- */

static int
ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && strcmp(s + a - b, suf) == 0;
}

/* "\nNAME" inside a gnuplot string: printable ASCII but quotes and
 * backslashes, which would end or escape it. */
static void
plot_name(FILE *f, const char *name)
{
	fputs("\\n", f);
	for (; *name; name++)
		fputc(*name >= ' ' && *name < 127 && *name != '"' &&
		      *name != '\\' ? *name : '_', f);
}

/* The counts as gnuplot data: one row per vantage point and kind. */
static int
plot_data(const struct sv_out *w, const char *path)
{
	FILE *f = fopen(path, "w");
	int i, k, c;

	if (f == NULL) {
		tool_errno("%s", path);
		return -1;
	}
	for (i = 0; i < w->nv; i++)
		for (k = 0; k < SK_N; k++) {
			if (total_of(&w->v[i], k) == 0)
				continue;
			fprintf(f, "\"%s", sk_name[k]);
			if (w->nv > 1)	/* a second line: the point */
				plot_name(f, w->v[i].name);
			fputc('"', f);
			for (c = 0; c < SC_PATHDEP; c++)
				fprintf(f, " %lu", w->v[i].cnt[k][c]);
			fputc('\n', f);
		}
	return fclose(f) == 0 ? 0 : -1;
}

static int
plot_script(const char *plot, const char *data, const char *path)
{
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		tool_errno("%s", path);
		return -1;
	}
	fprintf(f, "set terminal %s size 900,600 font ',11'\n",
		ends_with(plot, ".svg") ? "svg" : "pngcairo");
	fprintf(f, "set title 'hdp survey: targets by category, per "
		"protocol and vantage point'\nset ylabel 'targets'\n"
		"set style data histograms\nset style histogram rowstacked\n"
		"set style fill solid 0.8 border -1\nset boxwidth 0.7\n"
		"set key outside right\nset yrange [0:*]\nset bmargin 5\n"
		"plot '%s' using 2:xtic(1) title 'works' lc rgb '#2ca02c', "
		"'' using 3 title 'transient' lc rgb '#ff7f0e', "
		"'' using 4 title 'broken' lc rgb '#d62728', "
		"'' using 5 title 'offline' lc rgb '#7f7f7f'\n", data);
	return fclose(f) == 0 ? 0 : -1;
}

int
sv_plot(const char *plot, FILE *out, const struct sv_out *w)
{
	char dir[] = "/tmp/hdp-survey-plot.XXXXXX";
	char data[64], script[64];
	int rc = -1;

	if (mkdtemp(dir) == NULL) {
		tool_errno("mkdtemp");
		return -1;
	}
	snprintf(data, sizeof(data), "%s/counts.dat", dir);
	snprintf(script, sizeof(script), "%s/plot.gp", dir);
	if (plot_data(w, data) == 0 && plot_script(plot, data, script) == 0 &&
	    tool_gnuplot(plot, out, script) == 0)
		rc = 0;
	unlink(data);
	unlink(script);
	rmdir(dir);
	return rc;
}
