/*
 * tool_survey_in.c: what hdp survey reads: the targets (operands or -T
 * FILE, one address or prefix a line), --exclude FILE, and the pairs an
 * -o file already holds.
 *
 * Targets are read one at a time, as they are probed: a list of a
 * million addresses costs a line buffer, not a million records.  A
 * regular -T file is read once beforehand to check every line and count
 * them (for the progress line and so that a bad line stops the run
 * before anything is sent); standard input is read as it comes.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hdp_match.h"
#include "tool.h"
#include "tool_survey.h"

#define LINE_MAX_LEN 512

/* ---- one address or prefix ------------------------------------------------ */

int
sv_parse_prefix(const char *s, struct sv_addr *base, int *plen)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, err[128];
	uint64_t v;
	int max;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash++ = '\0';
	memset(base, 0, sizeof(*base));
	if (inet_pton(AF_INET, buf, &base->a.v4) == 1)
		base->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, &base->a.v6) == 1)
		base->family = AF_INET6;
	else
		return -1;
	max = base->family == AF_INET ? 32 : 128;
	*plen = max;
	if (slash != NULL) {
		if (*slash == '\0' || hdp_parse_uint(slash, 0, (uint64_t)max, &v,
						    "prefix", err, sizeof(err)) != 0)
			return -1;
		*plen = (int)v;
	}
	return 0;
}

/* The host bits of a (the last 32 bits) set to h. */
static void
set_host(struct sv_addr *a, uint32_t h, int plen)
{
	int hb = (a->family == AF_INET ? 32 : 128) - plen;
	uint32_t mask = hb >= 32 ? 0xffffffffu : ((1u << hb) - 1);
	uint8_t *p = a->family == AF_INET ? (uint8_t *)&a->a.v4 :
		     a->a.v6.s6_addr + 12;
	uint32_t v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		     (uint32_t)p[2] << 8 | p[3];

	v = (v & ~mask) | (h & mask);
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ---- the target source ----------------------------------------------------- */

struct sv_tsrc {
	char **args;
	int nargs, ai;
	FILE *f;
	const char *name;
	long line;
	long total;
	/* the prefix being expanded */
	int in_prefix;
	struct sv_addr base;
	int plen;
	uint32_t next, last;
	char buf[LINE_MAX_LEN];
};

/* A line's target text: comments and blanks cut; NULL for none. */
static char *
line_text(char *s)
{
	char *e;

	if ((e = strchr(s, '#')) != NULL)
		*e = '\0';
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
			 e[-1] == '\r'))
		*--e = '\0';
	return *s ? s : NULL;
}

/* Check a target's text: 0 and the number of addresses it stands for,
 * or -1 (said, naming where). */
static int
check_target(const char *s, const char *where, long *n)
{
	struct sv_addr b;
	int plen, hb;

	if (sv_parse_prefix(s, &b, &plen) != 0) {
		tool_err("%s: '%s' is not an address or prefix", where,
			 tool_safe(s));
		return -1;
	}
	hb = (b.family == AF_INET ? 32 : 128) - plen;
	if (hb > 8) {
		tool_err("%s: %s: a prefix of at most 256 addresses (/24, "
			 "/120 for IPv6)", where, tool_safe(s));
		return -1;
	}
	*n = hb == 0 ? 1 : hb == 1 ? 2 : (1L << hb) - (b.family == AF_INET ?
							2 : 1);
	return 0;
}

/* Read a regular -T file once: every line checked, the total counted. */
static int
prescan(struct sv_tsrc *s)
{
	char where[300], *t;
	long n, line = 0;

	while (fgets(s->buf, sizeof(s->buf), s->f) != NULL) {
		line++;
		if ((t = line_text(s->buf)) == NULL)
			continue;
		snprintf(where, sizeof(where), "%s:%ld", s->name, line);
		if (check_target(t, where, &n) != 0)
			return -1;
		s->total += n;
	}
	if (ferror(s->f)) {
		tool_errno("%s", s->name);
		return -1;
	}
	rewind(s->f);
	return 0;
}

struct sv_tsrc *
sv_tsrc_open(const struct sv_opts *o, int *rc)
{
	struct sv_tsrc *s = calloc(1, sizeof(*s));
	struct stat st;
	char where[64];
	long n;
	int i;

	*rc = HDP_EXIT_USAGE;
	if (s == NULL) {
		tool_err("out of memory");
		*rc = HDP_EXIT_ENV;
		return NULL;
	}
	s->args = o->targets;
	s->nargs = o->ntargets;
	for (i = 0; i < s->nargs; i++) {
		snprintf(where, sizeof(where), "target %d", i + 1);
		if (check_target(s->args[i], where, &n) != 0)
			goto fail;	/* *rc: usage */
		s->total += n;
	}
	*rc = HDP_EXIT_OK;
	if (o->tfile == NULL)
		return s;
	s->name = o->tfile;
	if (strcmp(o->tfile, "-") == 0) {
		s->f = stdin;
		s->name = "standard input";
		s->total = -1;
		return s;
	}
	s->f = fopen(o->tfile, "r");
	if (s->f == NULL) {
		tool_errno("-T %s", o->tfile);
		*rc = HDP_EXIT_ENV;
		goto fail;
	}
	if (fstat(fileno(s->f), &st) == 0 && S_ISREG(st.st_mode)) {
		if (prescan(s) != 0) {
			*rc = HDP_EXIT_USAGE;
			goto fail;
		}
	} else {
		s->total = -1;
	}
	return s;
fail:
	sv_tsrc_close(s);
	return NULL;
}

long
sv_tsrc_total(const struct sv_tsrc *s)
{
	return s->total;
}

/* Start expanding one target's text; -1 when bad (said). */
static int
start_prefix(struct sv_tsrc *s, const char *t, const char *where)
{
	long n;
	int hb;

	if (check_target(t, where, &n) != 0)
		return -1;
	sv_parse_prefix(t, &s->base, &s->plen);
	hb = (s->base.family == AF_INET ? 32 : 128) - s->plen;
	s->in_prefix = 1;
	if (hb <= 1) {
		s->next = 0;
		s->last = hb == 0 ? 0 : 1;
	} else {
		/* no network address, and no IPv4 broadcast */
		s->next = 1;
		s->last = (1u << hb) - (s->base.family == AF_INET ? 2 : 1);
	}
	return 0;
}

/* The next operand or line's text into s->buf; 1, 0 at the end, -1. */
static int
next_text(struct sv_tsrc *s, char *where, size_t wlen, char **t)
{
	if (s->ai < s->nargs) {
		snprintf(where, wlen, "target %d", s->ai + 1);
		*t = s->args[s->ai++];
		return 1;
	}
	while (s->f != NULL && fgets(s->buf, sizeof(s->buf), s->f) != NULL) {
		s->line++;
		snprintf(where, wlen, "%s:%ld", s->name, s->line);
		if ((*t = line_text(s->buf)) != NULL)
			return 1;
	}
	if (s->f != NULL && ferror(s->f)) {
		tool_errno("%s", s->name);
		return -1;
	}
	return 0;
}

int
sv_tsrc_next(struct sv_tsrc *s, struct sv_addr *t)
{
	char where[300], *text;
	int r;

	while (!s->in_prefix) {
		r = next_text(s, where, sizeof(where), &text);
		if (r <= 0)
			return r;
		if (start_prefix(s, text, where) != 0)
			return -1;
	}
	*t = s->base;
	if (s->plen < (s->base.family == AF_INET ? 32 : 128))
		set_host(t, s->next, s->plen);
	if (s->next++ == s->last)
		s->in_prefix = 0;
	return 1;
}

void
sv_tsrc_close(struct sv_tsrc *s)
{
	if (s == NULL)
		return;
	if (s->f != NULL && s->f != stdin)
		fclose(s->f);
	free(s);
}

/* ---- --exclude ----------------------------------------------------------- */

struct sv_excl {
	struct sv_addr *p;
	int *plen;
	size_t n, cap;
};

/* 1 when the first plen bits of a and b are equal. */
static int
prefix_eq(const struct sv_addr *a, const struct sv_addr *b, int plen)
{
	const uint8_t *x = a->family == AF_INET ? (const uint8_t *)&a->a.v4 :
			   a->a.v6.s6_addr;
	const uint8_t *y = b->family == AF_INET ? (const uint8_t *)&b->a.v4 :
			   b->a.v6.s6_addr;
	int full = plen / 8, rest = plen % 8;

	if (a->family != b->family || memcmp(x, y, (size_t)full) != 0)
		return 0;
	return rest == 0 ||
	       ((x[full] ^ y[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

static int
excl_add(struct sv_excl *e, const struct sv_addr *a, int plen)
{
	if (e->n == e->cap) {
		size_t c = e->cap ? e->cap * 2 : 16;
		struct sv_addr *p = realloc(e->p, c * sizeof(*p));
		int *l;

		if (p == NULL)
			return -1;
		e->p = p;
		l = realloc(e->plen, c * sizeof(*l));
		if (l == NULL)
			return -1;
		e->plen = l;
		e->cap = c;
	}
	e->p[e->n] = *a;
	e->plen[e->n++] = plen;
	return 0;
}

struct sv_excl *
sv_excl_open(const char *path, int *rc)
{
	struct sv_excl *e = calloc(1, sizeof(*e));
	char buf[LINE_MAX_LEN], *t;
	struct sv_addr a;
	long line = 0;
	int plen;
	FILE *f;

	*rc = HDP_EXIT_ENV;
	if (e == NULL) {
		tool_err("out of memory");
		return NULL;
	}
	if ((f = fopen(path, "r")) == NULL) {
		tool_errno("--exclude %s", path);
		free(e);
		return NULL;
	}
	while (fgets(buf, sizeof(buf), f) != NULL) {
		line++;
		if ((t = line_text(buf)) == NULL)
			continue;
		if (sv_parse_prefix(t, &a, &plen) != 0) {
			tool_err("%s:%ld: '%s' is not an address or prefix",
				 path, line, tool_safe(t));
			*rc = HDP_EXIT_USAGE;
			goto fail;
		}
		if (excl_add(e, &a, plen) != 0) {
			tool_err("out of memory");
			goto fail;
		}
	}
	if (ferror(f)) {
		tool_errno("--exclude %s", path);
		goto fail;
	}
	fclose(f);
	*rc = HDP_EXIT_OK;
	return e;
fail:
	fclose(f);
	sv_excl_free(e);
	return NULL;
}

int
sv_excl_has(const struct sv_excl *e, const struct sv_addr *a)
{
	size_t i;

	for (i = 0; e != NULL && i < e->n; i++)
		if (prefix_eq(&e->p[i], a, e->plen[i]))
			return 1;
	return 0;
}

size_t
sv_excl_count(const struct sv_excl *e)
{
	return e ? e->n : 0;
}

void
sv_excl_free(struct sv_excl *e)
{
	if (e == NULL)
		return;
	free(e->p);
	free(e->plen);
	free(e);
}

/* ---- a set of addresses (open addressing, 17 bytes a key) --------------- */

struct sv_aset {
	uint8_t (*k)[17];        /* k[i][0]: 0 empty, else the family's 4/6 */
	size_t nb, n;
};

struct sv_aset *
sv_aset_new(void)
{
	return calloc(1, sizeof(struct sv_aset));
}

static void
akey(const struct sv_addr *a, uint8_t k[17])
{
	memset(k, 0, 17);
	k[0] = a->family == AF_INET ? 4 : 6;
	memcpy(k + 1, &a->a, a->family == AF_INET ? 4 : 16);
}

static size_t
ahash(const uint8_t k[17], size_t nb)
{
	return (size_t)hdp_fnv1a(HDP_FNV_INIT, k, 17) & (nb - 1);
}

static size_t
aslot(const struct sv_aset *s, const uint8_t k[17])
{
	size_t i = ahash(k, s->nb);

	while (s->k[i][0] != 0 && memcmp(s->k[i], k, 17) != 0)
		i = (i + 1) & (s->nb - 1);
	return i;
}

static int
agrow(struct sv_aset *s)
{
	size_t nb = s->nb ? s->nb * 2 : 1024, i, j;
	uint8_t (*k)[17] = calloc(nb, 17);
	struct sv_aset t;

	if (k == NULL)
		return -1;
	t.k = k;
	t.nb = nb;
	for (i = 0; i < s->nb; i++) {
		if (s->k[i][0] == 0)
			continue;
		j = aslot(&t, s->k[i]);
		memcpy(k[j], s->k[i], 17);
	}
	free(s->k);
	s->k = k;
	s->nb = nb;
	return 0;
}

int
sv_aset_add(struct sv_aset *s, const struct sv_addr *a)
{
	uint8_t k[17];
	size_t i;

	if ((s->n + 1) * 2 > s->nb && agrow(s) != 0)
		return -1;
	akey(a, k);
	i = aslot(s, k);
	if (s->k[i][0] == 0) {
		memcpy(s->k[i], k, 17);
		s->n++;
	}
	return 0;
}

int
sv_aset_has(const struct sv_aset *s, const struct sv_addr *a)
{
	uint8_t k[17];

	if (s == NULL || s->n == 0)
		return 0;
	akey(a, k);
	return s->k[aslot(s, k)][0] != 0;
}

size_t
sv_aset_count(const struct sv_aset *s)
{
	return s ? s->n : 0;
}

void
sv_aset_free(struct sv_aset *s)
{
	if (s == NULL)
		return;
	free(s->k);
	free(s);
}

/* ---- our own JSON lines -------------------------------------------------- */

int
sv_json_get(const char *line, const char *key, char *out, size_t len)
{
	char pat[64];
	const char *p, *e;
	size_t n;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	if ((p = strstr(line, pat)) == NULL)
		return -1;
	p += strlen(pat);
	if (*p == '"') {
		p++;
		for (e = p; *e && *e != '"'; e++)
			if (*e == '\\' && e[1])
				e++;
		if (*e != '"')
			return -1;
	} else {
		if (strncmp(p, "null", 4) == 0)
			return -1;
		for (e = p; *e && *e != ',' && *e != '}'; e++)
			;
	}
	n = (size_t)(e - p);
	if (n >= len)
		n = len - 1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}
