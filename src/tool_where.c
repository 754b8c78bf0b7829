/*
 * tool_where.c: hdp where: compare captures taken at several points of a
 * path and say, for every packet, where it was last seen and what changed
 * between points; per segment, how many packets entered and left.
 *
 * The captures are read side by side, merged by timestamp, and each
 * packet is found again at the next point by its identity (hdp_match.h:
 * protocol, ports, HDP timestamp, payload hash), never by addresses, so a
 * NAT between two points does not break the match.  Packets live in a
 * hash table only while they can still change: one seen at every point
 * is printed and freed shortly after (SETTLE_NS), any other once the
 * merged clock is past its first sighting plus the window (--window).
 * Memory follows the packets in flight and the lost ones, not the length
 * of the captures.
 */
#include "config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hdp.h"
#include "hdp_capture.h"
#include "hdp_file.h"
#include "hdp_json.h"
#include "hdp_match.h"
#include "tool.h"

#define MAX_POINTS   64
#define MAX_CHANGES  16   /* distinct changes counted per segment */
#define LABEL_LEN    64
#define SETTLE_NS    10000000ULL   /* 10 ms: see expire() */

/* What one capture point saw of one packet. */
struct snap {
	uint64_t ts;             /* capture time, ns */
	union hdp_addr src, dst;
	uint32_t ip_len;
	uint32_t plen;
	uint64_t phash;
	uint16_t sport, dport;
	uint8_t  version, ttl, tos, pcomplete;
};

struct pkt {
	struct hdp_kent kent;    /* first: the table links through it */
	struct pkt *qprev, *qnext; /* in one of where's two queues      */
	struct hdp_key key;
	uint64_t first_ts;
	uint64_t done_ts;        /* when the last point saw it          */
	uint64_t seen;           /* bit i: seen at point i             */
	struct snap s[];         /* one per point                      */
};

struct point {
	char     label[LABEL_LEN];
	const char *path;
	pcap_t  *p;
	int      dlt;
	int      have;           /* a packet is pending               */
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t ts;
	uint64_t frames, keyed, skipped, dups, count;
};

/* One kind of change across a segment, with how many packets had it. */
struct change_count {
	char field[12];
	char oldv[48], newv[48];
	uint64_t n;
};

struct segment {
	uint64_t entered, left, appeared;
	struct change_count ch[MAX_CHANGES];
	int nch;
	uint64_t ch_other;
};

/* A doubly linked queue of packets, oldest first. */
struct pkt_queue {
	struct pkt *head, *tail;
};

static void
q_push(struct pkt_queue *q, struct pkt *k)
{
	k->qnext = NULL;
	k->qprev = q->tail;
	if (q->tail)
		q->tail->qnext = k;
	else
		q->head = k;
	q->tail = k;
}

static void
q_unlink(struct pkt_queue *q, struct pkt *k)
{
	if (k->qprev)
		k->qprev->qnext = k->qnext;
	else
		q->head = k->qnext;
	if (k->qnext)
		k->qnext->qprev = k->qprev;
	else
		q->tail = k->qprev;
	k->qprev = k->qnext = NULL;
}

struct where {
	struct point pt[MAX_POINTS];
	int      np;
	struct segment seg[MAX_POINTS];
	struct hdp_ktab tab;
	struct pkt_queue open;   /* first-seen order: not at every point */
	struct pkt_queue done;   /* seen at every point, in that order  */
	uint64_t window_ns;
	uint64_t settle_ns;
	uint64_t all_bits;       /* seen-mask of a packet every point saw */
	int      json, verbose, quiet;
	uint64_t packets, vanished, changed;
	uint64_t max_live, live;
};

void
usage_where(FILE *out)
{
	fprintf(out,
"usage: hdp where [--json] [-v | -q] [--window SECONDS] [--filter EXPR]\n"
"                 [-Z USER]\n"
"                 [LABEL=]A.pcap [LABEL=]B.pcap [...] [EXPRESSION]\n"
"\n"
"Compare captures taken at several points of a path, given in path order\n"
"(sender, router in, router out, receiver ...; any link types hdp sniff\n"
"reads, pcap or pcapng).  Packets are matched on what a middlebox does not\n"
"rewrite: protocol, ports, HDP timestamp and a hash of the payload, so a\n"
"NAT between two points does not break the match.  For every packet: the\n"
"points that saw it, the last that did, the first that did not, and what\n"
"changed between points (ttl, tos, src, dst, sport, dport, length,\n"
"payload).  For every segment between two neighbouring points: how many\n"
"packets entered it and how many left it.\n"
"\n"
"  LABEL=FILE       name a point (default: the file name without .pcap)\n"
"  --json           one object per packet, then one per segment and one\n"
"                   summary object (JSON lines)\n"
"  -v               print every packet and its changes, not only those\n"
"                   that went missing\n"
"  -q               print only the segment summary\n"
"  --window SECONDS how long a packet may take from the first point to the\n"
"                   last, clock differences included (default 10); memory\n"
"                   holds the packets in flight and those lost in a window\n"
"  --filter EXPR    BPF filter for every capture instead of the default\n"
"                   (HDP over IPv4 and IPv6); a trailing EXPRESSION is\n"
"                   ANDed with it\n"
"  -Z USER          once the captures are open, parse them as USER with no\n"
"                   capabilities (default nobody when started as root;\n"
"                   -Z root stays root)\n"
"\n"
"Exit status: 0 every packet the first point saw reached the last; 1 some\n"
"vanished; 2 bad usage or a capture that cannot be read; 4 a file that\n"
"cannot be opened.\n");
}

/* ---- small helpers ------------------------------------------------------ */

static void
addr_str(int version, const union hdp_addr *a, char *buf, size_t len)
{
	if (inet_ntop(version == 6 ? AF_INET6 : AF_INET, a, buf,
		      (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
}

static const char *
proto_name(uint8_t p, char *buf, size_t len)
{
	switch (p) {
	case HDP_PROTO: return "HDP";
	case 1:  return "ICMP";
	case 6:  return "TCP";
	case 17: return "UDP";
	case 58: return "ICMP6";
	default:
		snprintf(buf, len, "proto-%u", p);
		return buf;
	}
}

/* "router" from "router-in" and "router-out": the part before the last
 * '-', '_' or '.' when both labels share it. */
static int
common_box(const char *a, const char *b, char *out, size_t len)
{
	const char *sa = strrchr(a, '-'), *sb = strrchr(b, '-');
	size_t n;

	if (sa == NULL || sb == NULL)
		return 0;
	n = (size_t)(sa - a);
	if (n == 0 || n != (size_t)(sb - b) || strncmp(a, b, n) != 0 ||
	    n >= len)
		return 0;
	memcpy(out, a, n);
	out[n] = '\0';
	return 1;
}

static void
label_from_path(const char *path, char *out, size_t len)
{
	const char *b = strrchr(path, '/');
	const char *dot;
	size_t n;

	b = b ? b + 1 : path;
	dot = strrchr(b, '.');
	if (dot != NULL && (strcmp(dot, ".pcap") == 0 ||
			    strcmp(dot, ".pcapng") == 0 ||
			    strcmp(dot, ".cap") == 0))
		n = (size_t)(dot - b);
	else
		n = strlen(b);
	if (n >= len)
		n = len - 1;
	memcpy(out, b, n);
	out[n] = '\0';
}

/* ---- changes between two points ----------------------------------------- */

struct change {
	const char *field;
	char oldv[48], newv[48];
	int numeric;
};

/* The changes from a to b, at most max of them; returns how many. */
static int
diff_snaps(const struct snap *a, const struct snap *b, struct change *c,
	   int max)
{
	int n = 0;

#define NUM(name, fa, fb) do { \
	if ((fa) != (fb) && n < max) { \
		c[n].field = name; c[n].numeric = 1; \
		snprintf(c[n].oldv, sizeof(c[n].oldv), "%lu", \
			 (unsigned long)(fa)); \
		snprintf(c[n].newv, sizeof(c[n].newv), "%lu", \
			 (unsigned long)(fb)); \
		n++; \
	} } while (0)

	NUM("ttl", a->ttl, b->ttl);
	NUM("tos", a->tos, b->tos);
	if (n < max && (a->version != b->version ||
	    memcmp(&a->src, &b->src, a->version == 6 ? 16 : 4) != 0)) {
		c[n].field = "src"; c[n].numeric = 0;
		addr_str(a->version, &a->src, c[n].oldv, sizeof(c[n].oldv));
		addr_str(b->version, &b->src, c[n].newv, sizeof(c[n].newv));
		n++;
	}
	if (n < max && (a->version != b->version ||
	    memcmp(&a->dst, &b->dst, a->version == 6 ? 16 : 4) != 0)) {
		c[n].field = "dst"; c[n].numeric = 0;
		addr_str(a->version, &a->dst, c[n].oldv, sizeof(c[n].oldv));
		addr_str(b->version, &b->dst, c[n].newv, sizeof(c[n].newv));
		n++;
	}
	NUM("sport", a->sport, b->sport);
	NUM("dport", a->dport, b->dport);
	NUM("length", a->ip_len, b->ip_len);
	/* payload bytes: only comparable when both points captured all */
	if (a->pcomplete && b->pcomplete && a->plen == b->plen &&
	    a->phash != b->phash && n < max) {
		c[n].field = "payload"; c[n].numeric = 0;
		snprintf(c[n].oldv, sizeof(c[n].oldv), "%016" PRIx64,
			 a->phash);
		snprintf(c[n].newv, sizeof(c[n].newv), "%016" PRIx64,
			 b->phash);
		n++;
	}
#undef NUM
	return n;
}

static void
count_change(struct segment *s, const struct change *c)
{
	int i;

	for (i = 0; i < s->nch; i++) {
		if (strcmp(s->ch[i].field, c->field) == 0 &&
		    strcmp(s->ch[i].oldv, c->oldv) == 0 &&
		    strcmp(s->ch[i].newv, c->newv) == 0) {
			s->ch[i].n++;
			return;
		}
	}
	if (s->nch == MAX_CHANGES) {
		s->ch_other++;
		return;
	}
	snprintf(s->ch[s->nch].field, sizeof(s->ch[s->nch].field), "%s",
		 c->field);
	memcpy(s->ch[s->nch].oldv, c->oldv, sizeof(c->oldv));
	memcpy(s->ch[s->nch].newv, c->newv, sizeof(c->newv));
	s->ch[s->nch].n = 1;
	s->nch++;
}

/* ---- one packet's record, printed when it leaves the window ------------- */

static void
json_value(FILE *f, const struct change *c, const char *v)
{
	if (c->numeric)
		fputs(v, f);
	else
		hj_write_string(f, v, strlen(v));
}

/* A change between two points that saw the packet. */
struct pchange {
	int from, to;
	struct change c;
};

#define MAX_PCHANGES 64

/* Every change along the packet's path, each point that saw it compared
 * with the one before that saw it.  Returns how many (at most max). */
static int
packet_changes(const struct where *w, const struct pkt *k,
	       struct pchange *out, int max)
{
	struct change ch[8];
	int i, m, nc, prev = -1, n = 0;

	for (i = 0; i < w->np; i++) {
		if (!(k->seen & (1ULL << i)))
			continue;
		if (prev >= 0) {
			nc = diff_snaps(&k->s[prev], &k->s[i], ch, 8);
			for (m = 0; m < nc && n < max; m++, n++) {
				out[n].from = prev;
				out[n].to = i;
				out[n].c = ch[m];
			}
		}
		prev = i;
	}
	return n;
}

static void
emit_packet(struct where *w, struct pkt *k)
{
	int i, first = -1, last = -1, missing = -1, nc, lost;
	struct pchange pc[MAX_PCHANGES];
	const struct snap *s0;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], pb[16];
	FILE *f = stdout;

	for (i = 0; i < w->np; i++) {
		if (k->seen & (1ULL << i)) {
			if (first < 0)
				first = i;
			last = i;
			w->pt[i].count++;
		} else if (first >= 0 && missing < 0) {
			missing = i;
		}
	}
	s0 = &k->s[first];
	addr_str(s0->version, &s0->src, src, sizeof(src));
	addr_str(s0->version, &s0->dst, dst, sizeof(dst));
	lost = (k->seen & 1) && !(k->seen & (1ULL << (w->np - 1)));

	/* segments and changes */
	for (i = 0; i + 1 < w->np; i++) {
		int a = (k->seen >> i) & 1, b = (k->seen >> (i + 1)) & 1;

		w->seg[i].entered += a;
		w->seg[i].left += a && b;
		w->seg[i].appeared += !a && b;
	}
	nc = packet_changes(w, k, pc, MAX_PCHANGES);
	for (i = 0; i < nc; i++)
		count_change(&w->seg[pc[i].to - 1], &pc[i].c);
	w->packets++;
	w->vanished += lost;
	w->changed += nc > 0;

	if (w->json) {
		struct hdp_json j;

		hj_begin(&j, f);
		hj_str(&j, "type", "packet");
		hj_u64(&j, "proto", k->key.proto);
		hj_str(&j, "src", src);
		hj_str(&j, "dst", dst);
		hj_u64(&j, "sport", k->key.sport);
		hj_u64(&j, "dport", k->key.dport);
		if (k->key.has_ts && k->key.proto == HDP_PROTO)
			hj_u64(&j, "hdp_ts_ns", k->key.ts_ns);
		else
			hj_null(&j, "hdp_ts_ns");
		hj_u64(&j, "len", s0->ip_len);
		hj_raw(&j, "seen", "[");
		for (i = 0; i < w->np; i++)
			fprintf(f, "%s%s", i ? "," : "",
				(k->seen >> i) & 1 ? "true" : "false");
		fputc(']', f);
		hj_u64(&j, "first_seen", (uint64_t)first);
		hj_u64(&j, "last_seen", (uint64_t)last);
		if (missing >= 0)
			hj_u64(&j, "first_missing", (uint64_t)missing);
		else
			hj_null(&j, "first_missing");
		hj_raw(&j, "changes", "[");
		for (i = 0; i < nc; i++) {
			const struct change *c = &pc[i].c;

			fprintf(f, "%s{\"from\":%d,\"to\":%d,\"field\":",
				i ? "," : "", pc[i].from, pc[i].to);
			hj_write_string(f, c->field, strlen(c->field));
			fputs(",\"old\":", f);
			json_value(f, c, c->oldv);
			fputs(",\"new\":", f);
			json_value(f, c, c->newv);
			fputc('}', f);
		}
		fputc(']', f);
		hj_end(&j);
		return;
	}
	/* by default only the packets that went missing; -v: all of them */
	if (w->quiet || (!w->verbose && !lost && missing < 0))
		return;

	fprintf(f, "%s %s", proto_name(k->key.proto, pb, sizeof(pb)), src);
	if (k->key.proto == HDP_PROTO || k->key.proto == 6 ||
	    k->key.proto == 17)
		fprintf(f, ".%u > %s.%u", k->key.sport, dst, k->key.dport);
	else
		fprintf(f, " > %s", dst);
	if (k->key.has_ts && k->key.proto == HDP_PROTO)
		fprintf(f, " ts %" PRIu64, k->key.ts_ns);
	fprintf(f, " len %u: last seen at %s", s0->ip_len,
		w->pt[last].label);
	if (missing >= 0)
		fprintf(f, ", missing from %s", w->pt[missing].label);
	if (first > 0)
		fprintf(f, " (not seen at %s)", w->pt[0].label);
	fputc('\n', f);
	for (i = 0; i < nc; i++) {
		int start = i == 0 || pc[i].to != pc[i - 1].to;

		if (start)
			fprintf(f, "    %s -> %s:", w->pt[pc[i].from].label,
				w->pt[pc[i].to].label);
		fprintf(f, "%s %s %s -> %s", start ? "" : ",", pc[i].c.field,
			pc[i].c.oldv, pc[i].c.newv);
		if (i + 1 == nc || pc[i + 1].to != pc[i].to)
			fputc('\n', f);
	}
}

/*
 * Print and free the packets that are final: those seen at every point
 * once settle_ns has passed since (a later copy of the same packet at one
 * point, as an "any" capture gives, still finds them until then), and the
 * others once the window since their first sighting is over.  all: every
 * packet (end of input).
 */
static void
expire(struct where *w, uint64_t now, int all)
{
	struct pkt *k;

	for (;;) {
		if ((k = w->done.head) != NULL &&
		    (all || k->done_ts + w->settle_ns < now)) {
			q_unlink(&w->done, k);
		} else if ((k = w->open.head) != NULL &&
			   (all || k->first_ts + w->window_ns < now)) {
			q_unlink(&w->open, k);
		} else {
			break;
		}
		hdp_ktab_remove(&w->tab, &k->kent);
		emit_packet(w, k);
		free(k);
		w->live--;
	}
}

/* ---- reading ------------------------------------------------------------ */

static void
fill_snap(struct snap *s, const struct hdp_frame *fr, const struct hdp_key *k,
	  uint64_t ts)
{
	s->ts = ts;
	s->version = (uint8_t)fr->ip_version;
	s->src = fr->src;
	s->dst = fr->dst;
	s->ttl = fr->ttl;
	s->tos = fr->tos;
	s->ip_len = fr->ip_len;
	s->sport = k->sport;
	s->dport = k->dport;
	s->plen = k->plen;
	s->phash = k->phash;
	s->pcomplete = k->pcomplete;
}

/* 0, or -1 when out of memory. */
static int
observe(struct where *w, int c, const struct hdp_frame *fr,
	const struct hdp_key *key, uint64_t ts)
{
	uint64_t h = hdp_key_anchor_hash(key), bit = 1ULL << c;
	struct hdp_kent *e;
	struct pkt *exact = NULL, *loose = NULL, *dup = NULL, *k;

	for (e = hdp_ktab_first(&w->tab, h); e != NULL;
	     e = hdp_ktab_next(e)) {
		k = (struct pkt *)e;
		if (!hdp_key_anchor_equal(&k->key, key))
			continue;
		if (k->seen & bit) {
			/* the same HDP timestamp twice at one point: a copy
			 * (an "any" capture on a router sees it in and out) */
			if (key->has_ts && hdp_key_equal(&k->key, key) &&
			    dup == NULL)
				dup = k;
			continue;
		}
		if (hdp_key_equal(&k->key, key)) {
			if (exact == NULL || k->first_ts < exact->first_ts)
				exact = k;
		} else if (loose == NULL || k->first_ts < loose->first_ts) {
			loose = k;
		}
	}
	k = exact ? exact : loose;
	if (k == NULL && dup != NULL) {
		/* keep the later copy: on a router's "any" capture the
		 * packet as it left, after the box changed it */
		w->pt[c].dups++;
		fill_snap(&dup->s[c], fr, key, ts);
		return 0;
	}
	if (k == NULL) {
		k = calloc(1, sizeof(*k) + (size_t)w->np * sizeof(k->s[0]));
		if (k == NULL)
			return -1;
		k->key = *key;
		k->first_ts = ts;
		hdp_ktab_insert(&w->tab, &k->kent, h);
		q_push(&w->open, k);
		if (++w->live > w->max_live)
			w->max_live = w->live;
	}
	k->seen |= bit;
	fill_snap(&k->s[c], fr, key, ts);
	if (k->seen == w->all_bits) {
		/* nothing more to learn about it: out of the window early */
		q_unlink(&w->open, k);
		k->done_ts = ts;
		q_push(&w->done, k);
	}
	return 0;
}

/* Read the next packet of point c; 0 at the end, -1 on a read error. */
static int
advance(struct point *p)
{
	int rc;

	p->have = 0;
	rc = pcap_next_ex(p->p, &p->h, &p->data);
	if (rc == 1) {
		p->have = 1;
		p->ts = (uint64_t)p->h->ts.tv_sec * 1000000000ULL +
			(uint64_t)p->h->ts.tv_usec;	/* nano precision */
		p->frames++;
		return 1;
	}
	if (rc == PCAP_ERROR) {
		tool_err("%s: %s", p->path, pcap_geterr(p->p));
		return -1;
	}
	return 0;
}

static int
run(struct where *w)
{
	struct hdp_frame fr;
	struct hdp_key key;
	struct point *p;
	int i, best, rc = 0;

	for (i = 0; i < w->np; i++)
		if (advance(&w->pt[i]) < 0)
			rc = -1;
	for (;;) {
		best = -1;
		for (i = 0; i < w->np; i++)
			if (w->pt[i].have &&
			    (best < 0 || w->pt[i].ts < w->pt[best].ts))
				best = i;
		if (best < 0)
			break;
		p = &w->pt[best];
		expire(w, p->ts, 0);
		hdp_decode_frame(p->dlt, p->data, p->h->caplen, p->h->len, &fr);
		if (hdp_key_from_frame(&fr, p->data, p->h->caplen, &key) == 0) {
			p->keyed++;
			if (observe(w, best, &fr, &key, p->ts) < 0) {
				tool_err("out of memory after %" PRIu64
					 " packets", w->live);
				return -2;
			}
		} else {
			p->skipped++;
		}
		if (advance(p) < 0)
			rc = -1;
	}
	expire(w, 0, 1);
	return rc;
}

/* ---- the summary ------------------------------------------------------- */

static void
print_segments_json(struct where *w)
{
	struct hdp_json j;
	int i, m;

	for (i = 0; i < w->np; i++) {
		hj_begin(&j, stdout);
		hj_str(&j, "type", "point");
		hj_u64(&j, "index", (uint64_t)i);
		hj_str(&j, "name", w->pt[i].label);
		hj_str(&j, "file", w->pt[i].path);
		hj_str(&j, "linktype", pcap_datalink_val_to_name(w->pt[i].dlt));
		hj_u64(&j, "frames", w->pt[i].frames);
		hj_u64(&j, "packets", w->pt[i].count);
		hj_u64(&j, "skipped", w->pt[i].skipped);
		hj_u64(&j, "duplicates", w->pt[i].dups);
		hj_end(&j);
	}
	for (i = 0; i + 1 < w->np; i++) {
		struct segment *s = &w->seg[i];

		hj_begin(&j, stdout);
		hj_str(&j, "type", "segment");
		hj_u64(&j, "from", (uint64_t)i);
		hj_u64(&j, "to", (uint64_t)i + 1);
		hj_str(&j, "from_name", w->pt[i].label);
		hj_str(&j, "to_name", w->pt[i + 1].label);
		hj_u64(&j, "entered", s->entered);
		hj_u64(&j, "left", s->left);
		hj_u64(&j, "vanished", s->entered - s->left);
		hj_u64(&j, "appeared", s->appeared);
		hj_raw(&j, "changes", "[");
		for (m = 0; m < s->nch; m++) {
			fprintf(stdout, "%s{\"field\":", m ? "," : "");
			hj_write_string(stdout, s->ch[m].field,
					strlen(s->ch[m].field));
			fputs(",\"old\":", stdout);
			hj_write_string(stdout, s->ch[m].oldv,
					strlen(s->ch[m].oldv));
			fputs(",\"new\":", stdout);
			hj_write_string(stdout, s->ch[m].newv,
					strlen(s->ch[m].newv));
			fprintf(stdout, ",\"packets\":%" PRIu64 "}",
				s->ch[m].n);
		}
		fputc(']', stdout);
		hj_end(&j);
	}
	hj_begin(&j, stdout);
	hj_str(&j, "type", "summary");
	hj_u64(&j, "packets", w->packets);
	hj_u64(&j, "vanished", w->vanished);
	hj_u64(&j, "changed", w->changed);
	hj_u64(&j, "max_in_window", w->max_live);
	hj_end(&j);
}

static void
print_segments_text(struct where *w)
{
	char box[LABEL_LEN];
	int i, m, any = 0;
	FILE *f = stdout;

	if (w->packets > 0 && !w->quiet)
		fputc('\n', f);
	for (i = 0; i < w->np; i++)
	{
		fprintf(f, "point %d %s: %s, %s, %" PRIu64 " frames, %" PRIu64
			" packets", i, w->pt[i].label, w->pt[i].path,
			pcap_datalink_val_to_name(w->pt[i].dlt),
			w->pt[i].frames, w->pt[i].count);
		if (w->pt[i].dups)
			fprintf(f, ", %" PRIu64 " seen twice (the later "
				"copy kept)",
				w->pt[i].dups);
		if (w->pt[i].skipped)
			fprintf(f, ", %" PRIu64 " not matchable (not IP, "
				"cut short, later fragments)",
				w->pt[i].skipped);
		fputc('\n', f);
	}
	for (i = 0; i + 1 < w->np; i++) {
		struct segment *s = &w->seg[i];

		fprintf(f, "%s -> %s: %" PRIu64 " entered, %" PRIu64 " left",
			w->pt[i].label, w->pt[i + 1].label, s->entered,
			s->left);
		if (s->entered > s->left)
			fprintf(f, ", %" PRIu64 " vanished",
				s->entered - s->left);
		if (s->appeared)
			fprintf(f, ", %" PRIu64 " appeared", s->appeared);
		fputc('\n', f);
		for (m = 0; m < s->nch; m++)
			fprintf(f, "    %s %s -> %s: %" PRIu64 " packet%s\n",
				s->ch[m].field, s->ch[m].oldv, s->ch[m].newv,
				s->ch[m].n, s->ch[m].n == 1 ? "" : "s");
		if (s->ch_other)
			fprintf(f, "    other changes: %" PRIu64 "\n",
				s->ch_other);
	}
	/* "412 sent, 412 at router-in, 1 at router-out, 1 at receiver: ..." */
	for (i = 0; i < w->np; i++) {
		if (i == 0)
			fprintf(f, "%" PRIu64 " sent", w->pt[0].count);
		else
			fprintf(f, ", %" PRIu64 " at %s", w->pt[i].count,
				w->pt[i].label);
	}
	fputs(":", f);
	for (i = 0; i + 1 < w->np; i++) {
		struct segment *s = &w->seg[i];

		if (s->entered == s->left)
			continue;
		fprintf(f, "%s %" PRIu64 " vanished ", any++ ? ";" : "",
			s->entered - s->left);
		if (common_box(w->pt[i].label, w->pt[i + 1].label, box,
			       sizeof(box)))
			fprintf(f, "inside %s%s", strpbrk(box, "0123456789") ?
				"" : "the ", box);
		else
			fprintf(f, "between %s and %s", w->pt[i].label,
				w->pt[i + 1].label);
	}
	if (!any)
		fputs(" none vanished", f);
	fputc('\n', f);
}

/* ---- main ------------------------------------------------------------- */

/* A capture argument: "-", an existing file, or a name ending in .pcap,
 * .pcapng or .cap; what follows the captures is the BPF expression. */
static int
is_capture_arg(const char *a)
{
	const char *dot = strrchr(a, '.');

	if (strcmp(a, "-") == 0 || access(a, F_OK) == 0)
		return 1;
	return dot != NULL && (strcmp(dot, ".pcap") == 0 ||
			       strcmp(dot, ".pcapng") == 0 ||
			       strcmp(dot, ".cap") == 0);
}

static void
free_all(struct where *w)
{
	struct pkt_queue *qs[2] = { &w->open, &w->done };
	struct pkt *k;
	int i;

	for (i = 0; i < 2; i++) {
		while ((k = qs[i]->head) != NULL) {
			q_unlink(qs[i], k);
			free(k);
		}
	}
}

int
cmd_where(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "json",   no_argument,       NULL, 'j' },
		{ "window", required_argument, NULL, 'W' },
		{ "filter", required_argument, NULL, 'F' },
		{ "user",   required_argument, NULL, 'Z' },
		{ "help",   no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct where *w;
	char err[PCAP_ERRBUF_SIZE + 256];
	const char *zuser = NULL;	/* -Z; NULL: nobody when root */
	const char *base = NULL;	/* --filter; NULL: HDP for each file */
	char *user = NULL, *filter = NULL;
	uint64_t v;
	int c, i, nfiles, rc = HDP_EXIT_OK, r;
	int fds[MAX_POINTS];	/* the captures, opened before the drop */

	for (i = 0; i < MAX_POINTS; i++)
		fds[i] = -1;
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		tool_err("out of memory");
		return HDP_EXIT_ENV;
	}
	w->window_ns = 10ULL * 1000000000ULL;
	optind = 0;	/* glibc: a fresh scan from argv[1] */
	while ((c = getopt_long(argc, argv, "+vqhZ:", lopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			w->json = 1;
			break;
		case 'v':
			w->verbose = 1;
			break;
		case 'q':
			w->quiet = 1;
			break;
		case 'W':
			if (hdp_parse_uint(optarg, 1, 86400, &v, "--window",
					   err, sizeof(err)) != 0) {
				tool_err("%s", err);
				rc = HDP_EXIT_USAGE;
				goto out;
			}
			w->window_ns = v * 1000000000ULL;
			break;
		case 'F':
			base = optarg;
			break;
		case 'Z':
			zuser = optarg;
			break;
		case 'h':
			usage_where(stdout);
			goto out;
		default:
			usage_where(stderr);
			rc = HDP_EXIT_USAGE;
			goto out;
		}
	}
	argc -= optind;
	argv += optind;

	/* captures first (they name an existing file or hold '='), then
	 * the BPF expression */
	for (nfiles = 0; nfiles < argc; nfiles++) {
		const char *a = argv[nfiles], *eq = strchr(a, '=');

		if (eq == NULL && !is_capture_arg(a))
			break;
		if (nfiles == MAX_POINTS) {
			tool_err("at most %d captures", MAX_POINTS);
			rc = HDP_EXIT_USAGE;
			goto out;
		}
		if (eq != NULL && eq != a) {
			size_t n = (size_t)(eq - a);

			if (n >= LABEL_LEN)
				n = LABEL_LEN - 1;
			memcpy(w->pt[nfiles].label, a, n);
			w->pt[nfiles].label[n] = '\0';
			w->pt[nfiles].path = eq + 1;
		} else {
			w->pt[nfiles].path = a;
			label_from_path(a, w->pt[nfiles].label, LABEL_LEN);
		}
	}
	if (nfiles < 2) {
		tool_err("need at least two captures, in path order");
		usage_where(stderr);
		rc = HDP_EXIT_USAGE;
		goto out;
	}
	w->np = nfiles;
	w->all_bits = nfiles == 64 ? ~0ULL : (1ULL << nfiles) - 1;
	w->settle_ns = w->window_ns < SETTLE_NS ? w->window_ns : SETTLE_NS;
	user = hdp_filter_join(argc - nfiles, argv + nfiles);
	if (tool_parse_only)
		goto out;
	if (hdp_ktab_init(&w->tab, 4096) != 0) {
		tool_err("out of memory");
		rc = HDP_EXIT_ENV;
		goto out;
	}
	/* hostile captures are parsed without root (tcpdump's -Z): each
	 * file is opened with the privileges we have, read without them */
	for (i = 0; i < w->np; i++) {
		fds[i] = strcmp(w->pt[i].path, "-") == 0 ?
			 dup(STDIN_FILENO) : open(w->pt[i].path,
						  O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0) {
			tool_errno("%s", w->pt[i].path);
			rc = HDP_EXIT_ENV;
			goto out;
		}
	}
	if (hdp_drop_privileges(zuser, err, sizeof(err)) != 0) {
		tool_err("%s", err);
		rc = HDP_EXIT_PERM;
		goto out;
	}
	for (i = 0; i < w->np; i++) {
		struct point *p = &w->pt[i];

		p->p = hdp_cap_open_fd(fds[i], p->path, 1, err, sizeof(err));
		close(fds[i]);	/* libpcap reads its own duplicate */
		fds[i] = -1;
		if (p->p == NULL) {
			tool_err("%s", err);
			rc = HDP_EXIT_USAGE;
			goto out;
		}
		p->dlt = pcap_datalink(p->p);
		if (!hdp_dlt_supported(p->dlt)) {
			tool_err("%s: link type %s (%d) is not supported",
				 p->path, pcap_datalink_val_to_name(p->dlt),
				 p->dlt);
			rc = HDP_EXIT_USAGE;
			goto out;
		}
		/* captures of one path may differ in link type */
		free(filter);
		if (base != NULL)	/* NULL when both are empty: no filter */
			filter = hdp_filter_and(*base ? base : NULL, user);
		else if ((filter = hdp_filter_hdp(p->dlt, user, 0)) == NULL) {
			tool_err("out of memory");
			rc = HDP_EXIT_ENV;
			goto out;
		}
		if (hdp_cap_set_filter(p->p, filter, err, sizeof(err)) != 0) {
			tool_err("%s: %s", p->path, err);
			rc = HDP_EXIT_USAGE;
			goto out;
		}
	}

	r = run(w);
	if (w->json)
		print_segments_json(w);
	else
		print_segments_text(w);
	if (fflush(stdout) != 0) {
		tool_errno("standard output");
		rc = HDP_EXIT_ENV;
	} else if (r == -2) {
		rc = HDP_EXIT_ENV;
	} else if (r < 0) {
		rc = HDP_EXIT_USAGE;
	} else if (w->vanished > 0) {
		rc = HDP_EXIT_FAIL;
	}
out:
	for (i = 0; i < MAX_POINTS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	for (i = 0; i < w->np || i < MAX_POINTS; i++)
		if (w->pt[i].p != NULL)
			pcap_close(w->pt[i].p);
	free_all(w);
	hdp_ktab_free(&w->tab);
	free(user);
	free(filter);
	free(w);
	return rc;
}
