/*
 * tool_where.c: hdp where: compare captures taken at several points of a
 * path and say, for every packet, where it was last seen and what changed
 * between points; per segment, how many packets entered and left.
 *
 * The captures are read side by side, merged by timestamp, and each
 * packet is found again at the next point by its identity (hdp_match.h:
 * protocol, ports, HDP timestamp, payload hash), never by addresses, so a
 * NAT between two points does not break the match.  Packets live in
 * hash tables only while they can still change: one seen at every point
 * is printed and freed shortly after (SETTLE_NS), any other once the
 * merged clock is past its first sighting plus the window (--window).
 * Memory follows the packets in flight and the lost ones, not the length
 * of the captures.
 *
 * Captures are input an attacker may shape, so no input makes the work
 * per packet or the memory grow without bound: the tables' hashes are
 * keyed per run, a lookup looks at SCAN_MAX packets of a group at most,
 * a packet holds state only for the points that saw it, each capture's
 * clock is made monotonic, and past --memory the oldest packets are
 * decided early (and the run says so).
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <hdp/hdp.h>
#include "hdp_capture.h"
#include "hdp_file.h"
#include "hdp_json.h"
#include "hdp_match.h"
#include "hdp_print.h"
#include "tool.h"
#include "tool_where.h"

extern const char remote_usage[];	/* tool_remote.h: its point clashes */

#define MAX_POINTS   64
#define MAX_CHANGES  16   /* distinct changes counted per segment */
#define LABEL_LEN    64
#define SETTLE_NS    10000000ULL   /* 10 ms: see expire() */
#define SCAN_MAX     32   /* packets looked at per group and lookup */
#define INLINE_SNAPS 2    /* snaps held in the packet itself */
#define HELD_MIB     128  /* default bound on packet state held */

/* What one capture point saw of one packet. */
struct snap {
	union hdp_addr src, dst;
	uint64_t phash;
	uint32_t ip_len;
	uint32_t plen;
	uint16_t sport, dport;
	uint8_t  version, ttl, tos, pcomplete;
	uint64_t ts;             /* when: the point's clock, corrected  */
};

/*
 * Packets are found again through two groups.  The anchor group holds the
 * packets not yet seen at every point that share an anchor (protocol and
 * HDP timestamp, or payload hash): the candidates for a loose match.  The
 * key group holds those with the same whole key; once a packet is seen at
 * every point it leaves both for a done group of its key, where only a
 * later copy at one point (a duplicate) looks for it.  The first packet of
 * a group is in that group's hash table; the others hang off it in a
 * circular doubly linked list (oldest first), so removal is O(1) and
 * packets that share an anchor cost nothing until one is looked up, and
 * then at most SCAN_MAX of them.
 */
enum { G_ANCHOR, G_KEY, G_DONE, NTAB };

struct glink {
	struct pkt *prev, *next; /* circular, in arrival order          */
};

struct pkt {
	struct hdp_kent kent[2]; /* [0] anchor, [1] key or done: only   */
				 /* while the first of its group        */
	struct glink g[2];
	struct pkt *qprev, *qnext; /* in one of where's two queues      */
	struct hdp_key key;
	uint64_t first_ts;
	uint64_t done_ts;        /* when the last point saw it          */
	uint64_t seen;           /* bit i: seen at point i             */
	struct snap *s;          /* one per point that saw it, in point */
				 /* order: s_inline or allocated        */
	uint8_t  cap;            /* snaps s has room for               */
	uint8_t  head[2];        /* first of its group in that slot     */
	uint8_t  tab1;           /* the table of slot 1: G_KEY, G_DONE  */
	struct snap s_inline[INLINE_SNAPS];
};
struct point {
	char     label[LABEL_LEN];
	char     show[LABEL_LEN * 4]; /* label for text: control bytes \xNN */
	const char *path;
	pcap_t  *p;
	int      dlt;
	int      have;           /* a packet is pending               */
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t ts;             /* its capture clock, never going back */
	uint64_t raw;            /* the last packet's own time          */
	uint64_t frames, keyed, skipped, dups, count;
	uint64_t steps_back;     /* times that clock went backwards     */
	int      gone;           /* live: not observed (it failed)      */
	int64_t  offset_ns;      /* live: its clock minus ours          */
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

/* The snap of point i, which saw k (snaps are kept in point order). */
static struct snap *
snap_at(const struct pkt *k, int i)
{
	return &k->s[__builtin_popcountll(k->seen & ((1ULL << i) - 1))];
}

/* Step 1's result: the options and operands, parsed and checked. */
struct where_opts {
	int      json, verbose, quiet;
	uint64_t window_ns;      /* --window                            */
	uint64_t held_max;       /* --memory, in bytes                  */
	const char *zuser;       /* -Z; NULL: nobody when root          */
	const char *filter;      /* -f/--filter; NULL: HDP for each file */
	char    *expr;           /* the trailing expression; NULL: none */
	int      np;             /* captures, in path order             */
	const char *path[MAX_POINTS];
	char     label[MAX_POINTS][LABEL_LEN];
	struct where_live *live; /* --at ...: the captures are ours     */
};

struct where {
	struct where_opts o;
	struct point pt[MAX_POINTS];
	int      np;
	struct segment seg[MAX_POINTS];
	struct hdp_ktab tab[NTAB];
	struct hdp_hsecret hsec; /* keys the tables' hashes            */
	struct pkt_queue open;   /* first-seen order: not at every point */
	struct pkt_queue done;   /* seen at every point, in that order  */
	uint64_t settle_ns;
	uint64_t all_bits;       /* seen-mask of a packet every point saw */
	uint64_t packets, vanished, changed;
	uint64_t max_live, live;
	uint64_t held;           /* bytes of packet state (bound: o.held_max) */
	uint64_t early;          /* decided before their time: held_max  */
	uint64_t early_open;     /* ... of them not seen at every point  */
	uint64_t capped;         /* lookups that stopped at SCAN_MAX     */
	struct where_live_pt *lp; /* live: each point's status, clock   */
	int      nxt[MAX_POINTS]; /* the next observed point, or -1     */
	int      prv[MAX_POINTS]; /* the previous observed point, or -1 */
	int      first_obs, last_obs;
};

void
usage_where(FILE *out)
{
	fprintf(out,
"usage: hdp where [--json] [-v | -q] [--window SECONDS] [--memory MIB]\n"
"                 [-f EXPR] [-Z USER]\n"
"                 [LABEL=]A.pcap [LABEL=]B.pcap [...] [--] [EXPRESSION]\n"
"       hdp where --at [LABEL=]POINT --at [LABEL=]POINT [...]\n"
"                 (--probe DEST [SEND-OPTION...] [--] | --run COMMAND)\n"
"                 [--drain SECONDS] [--save DIR [--force]] [--json] [-v | -q]\n"
"                 [--ssh-option OPT] [--sudo] [--remote-hdp PATH]\n"
"                 [other options above] [EXPRESSION]\n"
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
"  LABEL=FILE       name a point (default: the file name without .pcap);\n"
"                   LABEL is a plain name (letters, digits, - _ .) and\n"
"                   FILE a file that exists or ends in .pcap, .pcapng or\n"
"                   .cap: an expression such as 'ip[9] = 255' is never\n"
"                   taken for a capture.  The captures end at \"--\" or\n"
"                   at the first operand that is none; the rest is the\n"
"                   EXPRESSION\n"
"  --json           one object per packet, then one per segment and one\n"
"                   summary object (JSON lines)\n"
"  -v               print every packet and its changes, not only those\n"
"                   that went missing\n"
"  -q               print only the segment summary\n"
"  --window SECONDS how long a packet may take from the first point to the\n"
"                   last, clock differences included (default 10); memory\n"
"                   holds the packets in flight and those lost in a window\n"
"  --memory MIB     at most this much packet state held (default 128): a\n"
"                   capture clock standing still keeps every packet in the\n"
"                   window; past it the oldest are decided early, and the\n"
"                   run says so\n"
"  -f, --filter EXPR\n"
"                   BPF filter for every capture instead of the default\n"
"                   (HDP over IPv4 and IPv6); a trailing EXPRESSION is\n"
"                   ANDed with it\n"
"  -Z USER          once the captures are open, parse them as USER with no\n"
"                   capabilities (default nobody when started as root;\n"
"                   -Z root stays root)\n"
"\n"
"Live (the second form): capture at every point while the probes go out,\n"
"then the same report.  Points in path order, each written\n"
"ssh://[USER@]HOST[:PORT]/IFACE (another host, over the system's ssh),\n"
"IFACE (here) or FILE (a capture taken before).\n"
"  --at [LABEL=]POINT\n"
"                   a capture point (LABEL: default the interface name);\n"
"                   starts hdp sniff there, or tcpdump where there is no\n"
"                   compatible hdp, and waits until each listens\n"
"  --probe DEST     then run this hdp's send DEST: every word after DEST up\n"
"                   to \"--\" is one of send's options (-c N, -i SECONDS,\n"
"                   --size N ...: see hdp help send); its summary goes to\n"
"                   standard error\n"
"  --run COMMAND    or run /bin/sh -c COMMAND instead (your own traffic;\n"
"                   its output goes to standard error)\n"
"  --drain SECONDS  then wait this long for the last packets (default 2)\n"
"  --save DIR       keep each point's capture as DIR/LABEL.pcap (valid\n"
"                   after Ctrl-C too; DIR is made when missing)\n"
"  --force          overwrite LABEL.pcap files already in DIR\n"
"%s"
"A point that fails (no answer, authentication refused, no hdp or tcpdump,\n"
"no privilege, a capture that ends early, says its kernel dropped\n"
"packets or does not end cleanly) is said in one line and reads\n"
"\"not observed\": its segments are unknown, a loss is placed between the\n"
"nearest points observed.  Each remote clock's offset is measured at\n"
"start and end (with its uncertainty) and taken off that point's times,\n"
"which are then estimates (\"est\"; JSON \"offset_corrected\"); matching\n"
"never depends on clocks.  Ctrl-C stops every capture and reports what\n"
"was captured.\n"
"\n"
"Exit status: 0 every packet the first point saw reached the last; 1 some\n"
"vanished (also when a live point failed elsewhere); 2 bad usage or a\n"
"capture whose contents cannot be read; 3 the probes could not be sent\n"
"(privileges); 4 a capture file that cannot be opened (missing,\n"
"permission), or a live point failed and nothing vanished where observed\n"
"(the path is not confirmed).\n", remote_usage);
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

/* libpcap's name of a link type, or "DLT n" for one it has no name for
 * (pcap_datalink_val_to_name gives NULL then). */
static const char *
dlt_name(int dlt, char *buf, size_t len)
{
	const char *n = pcap_datalink_val_to_name(dlt);

	if (n != NULL)
		return n;
	snprintf(buf, len, "DLT %d", dlt);
	return buf;
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
			nc = diff_snaps(snap_at(k, prev), snap_at(k, i),
					ch, 8);
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

/* What emit_packet found out about a packet, for the printers. */
struct verdict {
	int first, last, missing, nc, lost;
	const struct snap *s0;   /* at the first point that saw it */
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	struct pchange pc[MAX_PCHANGES];
};

/* Live: each point's time of the packet, its clock offset taken off
 * (an estimate for a remote point: "offset_corrected"). */
static void
emit_times_json(const struct where *w, const struct pkt *k, FILE *f)
{
	int i, est = 0;

	fputs(",\"time_ns\":[", f);
	for (i = 0; i < w->np; i++) {
		if (i)
			fputc(',', f);
		if (!(k->seen >> i & 1)) {
			fputs("null", f);
			continue;
		}
		fprintf(f, "%" PRIu64, snap_at(k, i)->ts);
		est |= w->lp[i].clocked;
	}
	fprintf(f, "],\"offset_corrected\":%s", est ? "true" : "false");
}

/* Live, text: "    after s: r1in 0.052 ms est, rx 0.190 ms est" */
static void
emit_times_text(const struct where *w, const struct pkt *k,
		const struct verdict *v)
{
	uint64_t t0 = snap_at(k, v->first)->ts;
	int i, n = 0;

	if (v->first == v->last)
		return;
	printf("    after %s:", w->pt[v->first].show);
	for (i = v->first + 1; i < w->np; i++) {
		if (!(k->seen >> i & 1))
			continue;
		printf("%s %s %.3f ms%s", n++ ? "," : "", w->pt[i].show,
		       (double)(int64_t)(snap_at(k, i)->ts - t0) / 1e6,
		       w->lp[i].clocked || w->lp[v->first].clocked ?
		       " est" : "");
	}
	putchar('\n');
}

static void
emit_json(const struct where *w, const struct pkt *k, const struct verdict *v)
{
	const struct pchange *pc = v->pc;
	struct hdp_json j;
	FILE *f = stdout;
	int i;

	hj_begin(&j, f);
	hj_str(&j, "type", "packet");
	hj_u64(&j, "proto", k->key.proto);
	hj_str(&j, "src", v->src);
	hj_str(&j, "dst", v->dst);
	hj_u64(&j, "sport", k->key.sport);
	hj_u64(&j, "dport", k->key.dport);
	if (k->key.has_ts && k->key.proto == HDP_PROTO)
		hj_u64(&j, "hdp_ts_ns", k->key.ts_ns);
	else
		hj_null(&j, "hdp_ts_ns");
	/* as hdp sniff --json: ip_len the datagram, len the payload */
	hj_u64(&j, "ip_len", v->s0->ip_len);
	hj_u64(&j, "len", v->s0->plen);
	hj_raw(&j, "seen", "[");
	for (i = 0; i < w->np; i++)
		fprintf(f, "%s%s", i ? "," : "", w->pt[i].gone ? "null" :
			(k->seen >> i) & 1 ? "true" : "false");
	fputc(']', f);
	if (w->lp != NULL)
		emit_times_json(w, k, f);
	hj_u64(&j, "first_seen", (uint64_t)v->first);
	hj_u64(&j, "last_seen", (uint64_t)v->last);
	if (v->missing >= 0)
		hj_u64(&j, "first_missing", (uint64_t)v->missing);
	else
		hj_null(&j, "first_missing");
	hj_raw(&j, "changes", "[");
	for (i = 0; i < v->nc; i++) {
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
}

static void
emit_text(const struct where *w, const struct pkt *k, const struct verdict *v)
{
	const struct pchange *pc = v->pc;
	char pb[16];
	FILE *f = stdout;
	int i;

	/* by default only the packets that went missing; -v: all of them */
	if (w->o.quiet || (!w->o.verbose && !v->lost && v->missing < 0))
		return;

	fprintf(f, "%s %s", proto_name(k->key.proto, pb, sizeof(pb)), v->src);
	if (k->key.proto == HDP_PROTO || k->key.proto == 6 ||
	    k->key.proto == 17)
		fprintf(f, ".%u > %s.%u", k->key.sport, v->dst, k->key.dport);
	else
		fprintf(f, " > %s", v->dst);
	if (k->key.has_ts && k->key.proto == HDP_PROTO)
		fprintf(f, " ts %" PRIu64, k->key.ts_ns);
	/* len as tcpdump's and hdp sniff's: the payload */
	fprintf(f, " len %u: last seen at %s", v->s0->plen,
		w->pt[v->last].show);
	if (v->missing >= 0)
		fprintf(f, ", missing from %s", w->pt[v->missing].show);
	if (v->first > w->first_obs)
		fprintf(f, " (not seen at %s)", w->pt[w->first_obs].show);
	fputc('\n', f);
	if (w->lp != NULL)
		emit_times_text(w, k, v);
	for (i = 0; i < v->nc; i++) {
		int start = i == 0 || pc[i].to != pc[i - 1].to;

		if (start)
			fprintf(f, "    %s -> %s:", w->pt[pc[i].from].show,
				w->pt[pc[i].to].show);
		fprintf(f, "%s %s %s -> %s", start ? "" : ",", pc[i].c.field,
			pc[i].c.oldv, pc[i].c.newv);
		if (i + 1 == v->nc || pc[i + 1].to != pc[i].to)
			fputc('\n', f);
	}
}

static void
emit_packet(struct where *w, struct pkt *k)
{
	struct verdict v;
	int i;

	v.first = v.last = v.missing = -1;
	for (i = 0; i < w->np; i++) {
		if (w->pt[i].gone)	/* not observed: never "missing" */
			continue;
		if (k->seen & (1ULL << i)) {
			if (v.first < 0)
				v.first = i;
			v.last = i;
			w->pt[i].count++;
		} else if (v.first >= 0 && v.missing < 0) {
			v.missing = i;
		}
	}
	v.s0 = snap_at(k, v.first);
	addr_str(v.s0->version, &v.s0->src, v.src, sizeof(v.src));
	addr_str(v.s0->version, &v.s0->dst, v.dst, sizeof(v.dst));
	v.lost = (k->seen >> w->first_obs & 1) &&
		 !(k->seen >> w->last_obs & 1);

	/* segments (between neighbouring observed points) and changes */
	for (i = 0; i < w->np; i++) {
		int a, b;

		if (w->pt[i].gone || w->nxt[i] < 0)
			continue;
		a = (k->seen >> i) & 1;
		b = (k->seen >> w->nxt[i]) & 1;
		w->seg[i].entered += a;
		w->seg[i].left += a && b;
		w->seg[i].appeared += !a && b;
	}
	v.nc = packet_changes(w, k, v.pc, MAX_PCHANGES);
	for (i = 0; i < v.nc; i++)
		count_change(&w->seg[w->prv[v.pc[i].to]], &v.pc[i].c);
	w->packets++;
	w->vanished += v.lost;
	w->changed += v.nc > 0;

	if (w->o.json)
		emit_json(w, k, &v);
	else
		emit_text(w, k, &v);
}

/* ---- packet state: snaps, groups, lifetime ----------------------------- */

static uint64_t
pkt_bytes(const struct pkt *k)
{
	return sizeof(*k) + (k->s == k->s_inline ? 0 :
			     (uint64_t)k->cap * sizeof(struct snap));
}

/* Point c's snap in k, which has not seen c yet: made room for in point
 * order, growing the array only for points that see the packet.  NULL
 * when out of memory. */
static struct snap *
snap_add(struct where *w, struct pkt *k, int c)
{
	int n = __builtin_popcountll(k->seen);
	int r = __builtin_popcountll(k->seen & ((1ULL << c) - 1));
	int cap = k->cap * 2 > w->np ? w->np : k->cap * 2;
	struct snap *s = k->s;

	if (n == k->cap) {
		if ((s = malloc((size_t)cap * sizeof(*s))) == NULL)
			return NULL;
		memcpy(s, k->s, (size_t)n * sizeof(*s));
		w->held -= pkt_bytes(k);
		if (k->s != k->s_inline)
			free(k->s);
		k->s = s;
		k->cap = (uint8_t)cap;
		w->held += pkt_bytes(k);
	}
	memmove(&s[r + 1], &s[r], (size_t)(n - r) * sizeof(*s));
	k->seen |= 1ULL << c;
	return &s[r];
}

static int
slot_of(int tab)
{
	return tab == G_ANCHOR ? 0 : 1;
}

static struct pkt *
kent_pkt(struct hdp_kent *e, int slot)
{
	return (struct pkt *)(void *)(e - slot);	/* kent[] is first */
}

/* The first packet of tab's group for key (hash h), or NULL. */
static struct pkt *
group_head(const struct where *w, int tab, uint64_t h,
	   const struct hdp_key *key)
{
	int sl = slot_of(tab);
	struct hdp_kent *e;
	struct pkt *k;

	for (e = hdp_ktab_first(&w->tab[tab], h); e != NULL;
	     e = hdp_ktab_next(e)) {
		k = kent_pkt(e, sl);
		if (tab == G_ANCHOR ? hdp_key_anchor_equal(&k->key, key) :
				      hdp_key_equal(&k->key, key))
			return k;
	}
	return NULL;
}

/* Add k at the end (the newest) of its group in tab, whose hash is h. */
static void
group_add(struct where *w, int tab, struct pkt *k, uint64_t h)
{
	int sl = slot_of(tab);
	struct pkt *hd = group_head(w, tab, h, &k->key);

	if (hd == NULL) {
		k->g[sl].prev = k->g[sl].next = k;
		k->head[sl] = 1;
		hdp_ktab_insert(&w->tab[tab], &k->kent[sl], h);
		return;
	}
	k->head[sl] = 0;
	k->kent[sl].hash = h;	/* for when it becomes the first */
	k->g[sl].next = hd;
	k->g[sl].prev = hd->g[sl].prev;
	hd->g[sl].prev->g[sl].next = k;
	hd->g[sl].prev = k;
}

/* Take k out of its group in tab; when it was the first, the next one
 * takes its place in the table. */
static void
group_del(struct where *w, int tab, struct pkt *k)
{
	int sl = slot_of(tab);
	struct pkt *n = k->g[sl].next;

	if (k->head[sl]) {
		hdp_ktab_remove(&w->tab[tab], &k->kent[sl]);
		k->head[sl] = 0;
		if (n != k) {
			n->head[sl] = 1;
			hdp_ktab_insert(&w->tab[tab], &n->kent[sl],
					k->kent[sl].hash);
		}
	}
	k->g[sl].prev->g[sl].next = n;
	n->g[sl].prev = k->g[sl].prev;
	k->g[sl].prev = k->g[sl].next = k;
}

static struct pkt *
pkt_new(struct where *w, const struct hdp_key *key, uint64_t ha,
	uint64_t hk, uint64_t ts)
{
	struct pkt *k = calloc(1, sizeof(*k));

	if (k == NULL)
		return NULL;
	k->key = *key;
	k->first_ts = ts;
	k->s = k->s_inline;
	k->cap = INLINE_SNAPS;
	k->tab1 = G_KEY;
	group_add(w, G_ANCHOR, k, ha);
	group_add(w, G_KEY, k, hk);
	q_push(&w->open, k);
	w->held += pkt_bytes(k);
	if (++w->live > w->max_live)
		w->max_live = w->live;
	return k;
}

/* k has been seen at every point: nothing more to learn about it, out of
 * the window early; only a later copy at one point still looks for it. */
static void
pkt_done(struct where *w, struct pkt *k, uint64_t ts)
{
	group_del(w, G_ANCHOR, k);
	group_del(w, G_KEY, k);
	k->tab1 = G_DONE;
	group_add(w, G_DONE, k, k->kent[1].hash);
	q_unlink(&w->open, k);
	k->done_ts = ts;
	q_push(&w->done, k);
}

static void
pkt_free(struct where *w, struct pkt *k)
{
	if (k->tab1 == G_DONE) {
		group_del(w, G_DONE, k);
		q_unlink(&w->done, k);
	} else {
		group_del(w, G_ANCHOR, k);
		group_del(w, G_KEY, k);
		q_unlink(&w->open, k);
	}
	w->held -= pkt_bytes(k);
	if (k->s != k->s_inline)
		free(k->s);
	free(k);
	w->live--;
}

/*
 * Print and free the packets that are final: those seen at every point
 * once settle_ns has passed since (a later copy of the same packet at one
 * point, as an "any" capture gives, still finds them until then), and the
 * others once the window since their first sighting is over.  all: every
 * packet (end of input).  The merged clock never goes back (see
 * advance()), so now is never before a packet's times.
 */
static void
expire(struct where *w, uint64_t now, int all)
{
	struct pkt *k;

	for (;;) {
		if ((k = w->done.head) != NULL && (all ||
		    (now > k->done_ts && now - k->done_ts > w->settle_ns))) {
			;
		} else if ((k = w->open.head) != NULL && (all ||
			   (now > k->first_ts &&
			    now - k->first_ts > w->o.window_ns))) {
			;
		} else {
			break;
		}
		emit_packet(w, k);
		pkt_free(w, k);
	}
}

/*
 * When the clock stands still (one capture instant, or a clock that
 * jumped back and is clamped) nothing leaves the window: past held_max
 * bytes the oldest packets are decided now, those seen everywhere first
 * (nothing is lost deciding them), and the run says so at the end.
 */
static void
bound_held(struct where *w)
{
	struct pkt *k;

	while (w->held > w->o.held_max &&
	       ((k = w->done.head) != NULL || (k = w->open.head) != NULL)) {
		w->early++;
		w->early_open += k->seen != w->all_bits;
		emit_packet(w, k);
		pkt_free(w, k);
	}
}

/* ---- reading ------------------------------------------------------------ */

static void
fill_snap(struct snap *s, const struct hdp_frame *fr, const struct hdp_key *k)
{
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

/* What a lookup at point c found. */
struct found {
	struct pkt *exact;       /* the same key, not seen at c         */
	struct pkt *loose;       /* the same anchor, not seen at c      */
	struct pkt *dup;         /* the same key, already seen at c     */
};

/* The oldest packet of a group not seen at point c (bit), looking at
 * SCAN_MAX of them at most; *seen: the first one seen there. */
static struct pkt *
scan_group(struct where *w, struct pkt *hd, int sl, uint64_t bit,
	   struct pkt **seen)
{
	struct pkt *k = hd;
	int n = 0;

	do {
		if (!(k->seen & bit))
			return k;
		if (seen != NULL && *seen == NULL)
			*seen = k;
		k = k->g[sl].next;
	} while (k != hd && ++n < SCAN_MAX);
	w->capped += k != hd;
	return NULL;
}

static void
lookup(struct where *w, int c, const struct hdp_key *key, uint64_t ha,
       uint64_t hk, struct found *f)
{
	uint64_t bit = 1ULL << c;
	struct pkt *hd;

	memset(f, 0, sizeof(*f));
	if ((hd = group_head(w, G_KEY, hk, key)) != NULL &&
	    (f->exact = scan_group(w, hd, 1, bit, &f->dup)) != NULL)
		return;
	if ((hd = group_head(w, G_ANCHOR, ha, key)) != NULL &&
	    (f->loose = scan_group(w, hd, 0, bit, NULL)) != NULL)
		return;
	/* the newest of those already seen at every point */
	if (f->dup == NULL && (hd = group_head(w, G_DONE, hk, key)) != NULL)
		f->dup = hd->g[1].prev;
}

/* 0, or -1 when out of memory. */
static int
observe(struct where *w, int c, const struct hdp_frame *fr,
	const struct hdp_key *key, uint64_t ts)
{
	uint64_t ha = hdp_key_anchor_hash(key, &w->hsec);
	uint64_t hk = hdp_key_hash(key, &w->hsec);
	struct found f;
	struct snap *sn;
	struct pkt *k;

	lookup(w, c, key, ha, hk, &f);
	k = f.exact ? f.exact : f.loose;
	if (k == NULL && f.dup != NULL && key->has_ts) {
		/* the same HDP timestamp twice at one point: a copy (an
		 * "any" capture on a router sees it in and out); keep the
		 * later one, the packet as it left, after the box changed
		 * it */
		w->pt[c].dups++;
		fill_snap(snap_at(f.dup, c), fr, key);
		snap_at(f.dup, c)->ts = ts;
		return 0;
	}
	if (k == NULL && (k = pkt_new(w, key, ha, hk, ts)) == NULL)
		return -1;
	if ((sn = snap_add(w, k, c)) == NULL)
		return -1;
	fill_snap(sn, fr, key);
	sn->ts = ts;
	if (k->seen == w->all_bits)
		pkt_done(w, k, ts);
	return 0;
}

/*
 * A pcap record's time in ns.  The classic format's seconds are unsigned
 * 32 bits (good until 2106), but libpcap hands them over sign-extended
 * from 32 bits, so a negative tv_sec is taken modulo 2^32; pcapng's 64-bit
 * times come through positive.  Times beyond what 64 bits of ns hold
 * (the year 2554) stay at the largest.
 */
static uint64_t
pcap_time_ns(const struct pcap_pkthdr *h)
{
	uint64_t sec = h->ts.tv_sec < 0 ? (uint64_t)(uint32_t)h->ts.tv_sec :
					  (uint64_t)h->ts.tv_sec;
	uint64_t frac = (uint64_t)(uint32_t)h->ts.tv_usec; /* nano precision */

	if (sec >= UINT64_MAX / 1000000000ULL - 1)
		return UINT64_MAX;
	return sec * 1000000000ULL + frac;
}

/* t less off (a point's clock minus ours), kept within 0 and the top. */
static uint64_t
shift_ns(uint64_t t, int64_t off)
{
	if (off >= 0)
		return t > (uint64_t)off ? t - (uint64_t)off : 0;
	return UINT64_MAX - t > (uint64_t)-off ? t + (uint64_t)-off :
						 UINT64_MAX;
}

/*
 * Read the next packet of point p; 1, 0 at the end, -1 on a read error.
 * p->ts is the capture clock made monotonic: a clock that jumps back
 * (a clock step, captures concatenated out of order) stands still until
 * it passes where it was, so the merged clock never runs ahead of what a
 * point has yet to deliver and no point's packets are given up early.
 */
static int
advance(struct point *p)
{
	uint64_t t;
	int rc;

	p->have = 0;
	if (p->p == NULL)	/* live: a point not observed */
		return 0;
	rc = pcap_next_ex(p->p, &p->h, &p->data);
	if (rc == 1) {
		p->have = 1;
		t = shift_ns(pcap_time_ns(p->h), p->offset_ns);
		p->steps_back += t < p->raw;
		p->raw = t;
		if (t > p->ts)
			p->ts = t;
		p->frames++;
		return 1;
	}
	if (rc == PCAP_ERROR) {
		tool_err("%s: %s", p->path, pcap_geterr(p->p));
		return -1;
	}
	return 0;
}

/* The point whose pending packet comes next: the earliest clock; on a
 * tie (a clock standing still) the one that has read the fewest frames,
 * so captures of one path advance side by side; then path order. */
static int
next_point(const struct where *w)
{
	const struct point *a, *b;
	int i, best = -1;

	for (i = 0; i < w->np; i++) {
		a = &w->pt[i];
		if (!a->have)
			continue;
		if (best >= 0) {
			b = &w->pt[best];
			if (a->ts > b->ts ||
			    (a->ts == b->ts && a->frames >= b->frames))
				continue;
		}
		best = i;
	}
	return best;
}

/* ---- step 3: run ------------------------------------------------------- */

/* Step 3: merge the captures by time and follow every packet; 0, -1 when
 * a capture could not be read to its end, -2 out of memory (said). */
static int
run_where(struct where *w)
{
	struct hdp_frame fr;
	struct hdp_key key;
	struct point *p;
	int i, best, rc = 0;

	for (i = 0; i < w->np; i++)
		if (advance(&w->pt[i]) < 0)
			rc = -1;
	while ((best = next_point(w)) >= 0) {
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
			bound_held(w);
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

/* Live: a point's status and clock, in its JSON object. */
static void
live_point_json(const struct where *w, int i, struct hdp_json *j)
{
	const struct where_live_pt *l = &w->lp[i];

	hj_str(j, "point", l->spec);
	hj_str(j, "status", l->path ? "observed" : "not observed");
	if (l->path == NULL)
		hj_str(j, "error", l->why);
	else
		hj_null(j, "error");
	if (!l->clocked) {
		hj_null(j, "clock_offset_ns");
		return;
	}
	hj_raw(j, "clock_offset_ns", "");
	fprintf(j->f, "%" PRId64, l->offset_ns);
	hj_raw(j, "clock_uncertainty_ns", "");
	fprintf(j->f, "%" PRId64, l->uncert_ns);
	hj_raw(j, "clock_start", "");
	fprintf(j->f, "{\"offset_ns\":%" PRId64 ",\"uncertainty_ns\":%"
		PRId64 "}", l->off_start_ns, l->unc_start_ns);
	if (l->end_ok) {
		hj_raw(j, "clock_end", "");
		fprintf(j->f, "{\"offset_ns\":%" PRId64 ",\"uncertainty_ns"
			"\":%" PRId64 "}", l->off_end_ns, l->unc_end_ns);
	} else {
		hj_null(j, "clock_end");
	}
}

/* Live: segment i -> i + 1 when either end was not observed ("status":
 * "unknown"), and from an observed point across those not observed to
 * the next observed one.  1 when it printed segment i itself. */
static int
live_segment_json(struct where *w, int i)
{
	struct segment *s = &w->seg[i];
	struct hdp_json j;
	int n = w->nxt[i], m;

	if (!w->pt[i].gone && n == i + 1)
		return 0;	/* an ordinary segment */
	for (m = i; m < i + 2; m++) {
		if (m == i + 1 && (w->pt[i].gone || n < 0))
			break;
		hj_begin(&j, stdout);
		hj_str(&j, "type", "segment");
		hj_u64(&j, "from", (uint64_t)i);
		hj_u64(&j, "to", (uint64_t)(m == i ? i + 1 : n));
		hj_str(&j, "from_name", w->pt[i].label);
		hj_str(&j, "to_name", w->pt[m == i ? i + 1 : n].label);
		if (m == i) {
			hj_str(&j, "status", "unknown");
			hj_null(&j, "entered");
			hj_null(&j, "left");
			hj_null(&j, "vanished");
		} else {
			hj_str(&j, "status", "across points not observed");
			hj_u64(&j, "entered", s->entered);
			hj_u64(&j, "left", s->left);
			hj_u64(&j, "vanished", s->entered - s->left);
			hj_u64(&j, "appeared", s->appeared);
		}
		hj_end(&j);
	}
	return 1;
}

static void
print_segments_json(struct where *w)
{
	struct hdp_json j;
	char dn[32];
	int i, m;

	for (i = 0; i < w->np; i++) {
		hj_begin(&j, stdout);
		hj_str(&j, "type", "point");
		hj_u64(&j, "index", (uint64_t)i);
		hj_str(&j, "name", w->pt[i].label);
		if (w->pt[i].gone) {	/* live: not observed */
			hj_null(&j, "file");
			hj_null(&j, "linktype");
		} else {
			/* live: a temporary file is gone by now */
			if (w->lp != NULL && !w->lp[i].kept)
				hj_null(&j, "file");
			else
				hj_str(&j, "file", w->pt[i].path);
			hj_str(&j, "linktype",
			       dlt_name(w->pt[i].dlt, dn, sizeof(dn)));
		}
		hj_u64(&j, "frames", w->pt[i].frames);
		hj_u64(&j, "packets", w->pt[i].count);
		hj_u64(&j, "skipped", w->pt[i].skipped);
		hj_u64(&j, "duplicates", w->pt[i].dups);
		hj_u64(&j, "clock_steps_back", w->pt[i].steps_back);
		if (w->lp != NULL)
			live_point_json(w, i, &j);
		hj_end(&j);
	}
	for (i = 0; i + 1 < w->np; i++) {
		struct segment *s = &w->seg[i];

		if (w->lp != NULL && live_segment_json(w, i))
			continue;
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
	hj_u64(&j, "memory_mib", w->o.held_max >> 20);
	hj_u64(&j, "decided_early", w->early);
	hj_u64(&j, "decided_early_unfinished", w->early_open);
	hj_u64(&j, "lookups_cut_short", w->capped);
	hj_end(&j);
}

/* One line on standard error for each bound the run hit, so a result
 * shaped by a bound is never taken for the whole truth. */
static void
print_bound_notes(const struct where *w)
{
	if (w->early > 0)
		tool_err("note: more than %" PRIu64 " MiB of packets were "
			 "held at once (a capture clock standing still?): %"
			 PRIu64 " decided before their window ended, %" PRIu64
			 " of them not yet seen at every point (--memory "
			 "raises the bound)", w->o.held_max >> 20, w->early,
			 w->early_open);
	if (w->capped > 0)
		tool_err("note: %" PRIu64 " lookups among more than %d "
			 "packets sharing one anchor looked at the oldest %d "
			 "only", w->capped, SCAN_MAX, SCAN_MAX);
}

/* Live: the point as given, and a line for one not observed; 1 when
 * that was all. */
static int
live_point_text(const struct where *w, int i)
{
	const struct where_live_pt *l = &w->lp[i];

	hdp_fput_safe(stdout, l->spec, strlen(l->spec));
	if (l->path != NULL)
		return 0;
	fputs(": not observed (", stdout);
	hdp_fput_safe(stdout, l->why, strlen(l->why));
	fputs(")\n", stdout);
	return 1;
}

/* ", clock +30.000125 s +-0.2 ms (start +30.000120, end +30.000130):
 * times corrected, est" */
static void
live_clock_text(const struct where_live_pt *l)
{
	printf(", clock %+.6f s +-%.3f ms (start %+.6f", l->offset_ns / 1e9,
	       l->uncert_ns / 1e6, l->off_start_ns / 1e9);
	if (l->end_ok)
		printf(", end %+.6f", l->off_end_ns / 1e9);
	else
		printf(", end not known");
	printf("): times corrected, est");
}

/* "point 1 r1-in: r1-in.pcap, RAW, 10 frames, 10 packets, ..." */
static void
print_points_text(const struct where *w)
{
	const struct point *p;
	char dn[32];
	int i;

	for (i = 0; i < w->np; i++) {
		p = &w->pt[i];
		printf("point %d %s: ", i, p->show);
		if (w->lp == NULL)
			hdp_fput_safe(stdout, p->path, strlen(p->path));
		else if (live_point_text(w, i))
			continue;
		printf(", %s, %" PRIu64 " frames, %" PRIu64 " packets",
		       dlt_name(p->dlt, dn, sizeof(dn)), p->frames, p->count);
		if (p->dups)
			printf(", %" PRIu64 " seen twice (the later copy "
			       "kept)", p->dups);
		if (p->skipped)
			printf(", %" PRIu64 " not matchable (not IP, cut "
			       "short, later fragments)", p->skipped);
		if (p->steps_back)
			printf(", clock went back %" PRIu64 " time%s",
			       p->steps_back, p->steps_back == 1 ? "" : "s");
		if (w->lp != NULL && w->lp[i].clocked)
			live_clock_text(&w->lp[i]);
		putchar('\n');
	}
}

static void
print_segments_text(struct where *w)
{
	char box[LABEL_LEN];
	int i, m, any = 0;
	FILE *f = stdout;

	if (w->packets > 0 && !w->o.quiet)
		fputc('\n', f);
	print_points_text(w);
	for (i = 0; i + 1 < w->np; i++) {
		struct segment *s = &w->seg[i];

		if (w->pt[i].gone || w->pt[i + 1].gone)
			fprintf(f, "%s -> %s: unknown (%s not observed)\n",
				w->pt[i].show, w->pt[i + 1].show,
				w->pt[w->pt[i].gone ? i : i + 1].show);
		if (w->pt[i].gone || w->nxt[i] < 0)
			continue;
		fprintf(f, "%s -> %s", w->pt[i].show, w->pt[w->nxt[i]].show);
		if (w->nxt[i] != i + 1)
			fputs(" (across points not observed)", f);
		fprintf(f, ": %" PRIu64 " entered, %" PRIu64 " left",
			s->entered, s->left);
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
		if (w->pt[i].gone)
			fprintf(f, "%snot observed at %s", i ? ", " : "",
				w->pt[i].show);
		else if (i == 0)
			fprintf(f, "%" PRIu64 " sent", w->pt[0].count);
		else
			fprintf(f, ", %" PRIu64 " at %s", w->pt[i].count,
				w->pt[i].show);
	}
	fputs(":", f);
	/* between neighbouring observed points: over those not observed */
	for (i = 0; i + 1 < w->np; i++) {
		struct segment *s = &w->seg[i];
		int n = w->nxt[i];

		if (w->pt[i].gone || n < 0 || s->entered == s->left)
			continue;
		fprintf(f, "%s %" PRIu64 " vanished ", any++ ? ";" : "",
			s->entered - s->left);
		if (common_box(w->pt[i].show, w->pt[n].show, box,
			       sizeof(box)))
			fprintf(f, "inside %s%s", strpbrk(box, "0123456789") ?
				"" : "the ", box);
		else
			fprintf(f, "between %s and %s", w->pt[i].show,
				w->pt[n].show);
	}
	if (!any)
		fputs(w->first_obs > 0 || w->last_obs < w->np - 1 ?
		      " none vanished between the points observed" :
		      " none vanished", f);
	fputc('\n', f);
}

static void
free_all(struct where *w)
{
	struct pkt *k;
	int i;

	while ((k = w->open.head) != NULL || (k = w->done.head) != NULL)
		pkt_free(w, k);
	for (i = 0; i < NTAB; i++)
		hdp_ktab_free(&w->tab[i]);
}

/* ---- step 1: options and operands ------------------------------------- */

/* A capture named on the command line: "-" (standard input), a file that
 * exists, or a name ending in .pcap, .pcapng or .cap (when it is missing,
 * opening it says so). */
static int
capture_name(const char *a)
{
	const char *dot = strrchr(a, '.');

	if (strcmp(a, "-") == 0 || access(a, F_OK) == 0)
		return 1;
	return dot != NULL && (strcmp(dot, ".pcap") == 0 ||
			       strcmp(dot, ".pcapng") == 0 ||
			       strcmp(dot, ".cap") == 0);
}

/* LABEL of LABEL=FILE: a plain name (letters, digits, - _ .), so that
 * "ip[9] = 255" or "len = 100" is never taken for one. */
static int
plain_label(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n >= LABEL_LEN)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_' && s[i] != '.')
			return 0;
	return 1;
}

/*
 * Operand a as the next capture point: 1 when it is one, 0 when it is
 * not (the filter expression begins there), -1 when there are too many
 * (said).  LABEL=FILE when LABEL is a plain name and FILE names a capture
 * (a file a=b.pcap that exists is itself); before "--" (sure) every
 * operand is a capture.
 */
static int
add_point(struct where_opts *o, const char *a, int sure)
{
	const char *eq = strchr(a, '='), *path = a;
	size_t n = 0;

	if (eq != NULL && plain_label(a, (size_t)(eq - a)) &&
	    (sure || access(eq + 1, F_OK) == 0 ||
	     (access(a, F_OK) != 0 && capture_name(eq + 1)))) {
		path = eq + 1;
		n = (size_t)(eq - a);
	} else if (!sure && !capture_name(a)) {
		return 0;
	}
	if (o->np == MAX_POINTS) {
		tool_usage_err("at most %d captures", MAX_POINTS);
		return -1;
	}
	o->path[o->np] = path;
	if (n > 0) {
		memcpy(o->label[o->np], a, n);
		o->label[o->np][n] = '\0';
	} else {
		label_from_path(path, o->label[o->np], LABEL_LEN);
	}
	o->np++;
	return 1;
}

/* Numeric option value into *v; 0, or -1 when bad (said). */
static int
opt_uint(const char *arg, uint64_t max, const char *name, uint64_t *v)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(arg, &end, 0);
	if (end == arg || *end != '\0') {
		tool_usage_err("%s: %s: not a number", name, tool_safe(arg));
		return -1;
	}
	if (errno == ERANGE || n < 1 || (unsigned long long)n > max) {
		tool_usage_err("%s: %s: out of range (1 to %llu)", name,
			       tool_safe(arg), (unsigned long long)max);
		return -1;
	}
	*v = (uint64_t)n;
	return 0;
}

static const struct option where_lopts[] = {
	{ "json",   no_argument,       NULL, 'j' },
	{ "window", required_argument, NULL, 'W' },
	{ "memory", required_argument, NULL, 'M' },
	{ "filter", required_argument, NULL, 'f' },
	{ "user",   required_argument, NULL, 'Z' },
	{ "help",   no_argument,       NULL, 'h' },
	WHERE_LIVE_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

/* One option into o: 0, 1 after --help, -1 when bad (said). */
static int
where_opt(struct where_opts *o, int c, const char *arg)
{
	uint64_t v;

	switch (c) {
	case 'j':
		o->json = 1;
		break;
	case 'v':
		o->verbose = 1;
		break;
	case 'q':
		o->quiet = 1;
		break;
	case 'W':
		if (opt_uint(arg, 86400, "--window", &v) != 0)
			return -1;
		o->window_ns = v * 1000000000ULL;
		break;
	case 'M':
		if (opt_uint(arg, 1048576, "--memory", &v) != 0)
			return -1;
		o->held_max = v << 20;
		break;
	case 'f':
		o->filter = arg;
		break;
	case 'Z':
		o->zuser = arg;
		break;
	case 'h':
		usage_where(stdout);
		return 1;
	default:	/* the live part's (--at ...), or '?': said */
		return where_live_opt(&o->live, c, arg) == 1 ? 0 : -1;
	}
	return 0;
}

/*
 * How many operands (the last ones) followed a "--" that ended the
 * options, or -1 when there was none.  getopt_long moves the operands
 * after the options and the "--" just before them: find that "--" (by
 * its pointer, not an option's argument that reads "--") in the order
 * given.
 */
static int
after_dashdash(int argc, char **argv, char *const *given, const char *arg)
{
	const char *dd;
	int i;

	if (optind < 1 || strcmp(argv[optind - 1], "--") != 0 ||
	    argv[optind - 1] == arg)
		return -1;
	dd = argv[optind - 1];
	for (i = 1; i < argc; i++)
		if (given[i] == dd)
			return argc - 1 - i;
	return -1;
}

/* The operands into o: captures (until "--", or until one is not a
 * capture), then the expression; 0, or -1 when bad (said). */
static int
where_operands(struct where_opts *o, int argc, char **argv, int nafter)
{
	int i, end = nafter >= 0 ? argc - nafter : argc, r = 1;

	if (o->live != NULL) {	/* --at: every operand is the expression */
		o->expr = hdp_filter_join(argc - optind, argv + optind);
		return where_live_check(o->live);
	}
	for (i = optind; i < end && r == 1; i++)
		if ((r = add_point(o, argv[i], nafter >= 0)) < 0)
			return -1;
	if (r == 0)
		i--;		/* the expression starts here */
	else
		i = end;
	if (o->np < 2) {
		if (i < argc)
			tool_usage_err("need at least two captures, in path "
				       "order ('%s' is no capture file: "
				       "taken as the expression)",
				       tool_safe(argv[i]));
		else
			tool_usage_err("need at least two captures, in path "
				       "order");
		return -1;
	}
	o->expr = hdp_filter_join(argc - i, argv + i);
	return 0;
}

/* Step 1: the options and operands into o; 0 to go on, 1 after --help,
 * -1 when bad (said). */
static int
parse_opts(int argc, char **argv, struct where_opts *o)
{
	char **given;
	const char *lastarg = NULL;
	int c, rc = 0;

	o->window_ns = 10ULL * 1000000000ULL;
	o->held_max = (uint64_t)HELD_MIB << 20;
	given = malloc(((size_t)argc + 1) * sizeof(*given));
	if (given == NULL) {
		tool_err("out of memory");
		return -1;
	}
	memcpy(given, argv, ((size_t)argc + 1) * sizeof(*given));
	optind = 0;	/* glibc: a fresh scan from argv[1] */
	while (rc == 0 &&
	       (c = tool_getopt(argc, argv, "vqhf:Z:", where_lopts)) != -1) {
		lastarg = optarg;
		rc = where_opt(o, c, optarg);
	}
	if (rc == 0)
		rc = where_operands(o, argc, argv,
				    after_dashdash(argc, argv, given,
						   lastarg));
	free(given);
	return rc;
}

/* ---- step 2: open the captures ----------------------------------------- */

/* Each point's libpcap reader on fds[i] and its filter: --filter or
 * HDP's own for its link type, ANDed with the expression.  0 or an exit
 * status. */
static int
open_readers(struct where *w, int *fds)
{
	char err[PCAP_ERRBUF_SIZE + 256];
	char *filter = NULL;
	int i, rc = HDP_EXIT_OK;

	for (i = 0; i < w->np && rc == HDP_EXIT_OK; i++) {
		struct point *p = &w->pt[i];

		if (p->gone)
			continue;
		p->p = hdp_cap_open_fd(fds[i], p->path, 1, err, sizeof(err));
		close(fds[i]);	/* libpcap reads its own duplicate */
		fds[i] = -1;
		if (p->p == NULL) {
			tool_err("%s", err);
			rc = HDP_EXIT_USAGE;
			break;
		}
		p->dlt = pcap_datalink(p->p);
		if (!hdp_dlt_supported(p->dlt)) {
			tool_err("%s: link type %s (%d) is not supported",
				 p->path, dlt_name(p->dlt, err, sizeof(err)),
				 p->dlt);
			rc = HDP_EXIT_USAGE;
			break;
		}
		/* captures of one path may differ in link type */
		free(filter);
		if (w->o.filter != NULL) /* NULL when both are empty */
			filter = hdp_filter_and(*w->o.filter ? w->o.filter :
						NULL, w->o.expr);
		else if ((filter = hdp_filter_hdp(p->dlt, w->o.expr, 0)) ==
			 NULL) {
			tool_err("out of memory");
			rc = HDP_EXIT_ENV;
			break;
		}
		if (hdp_cap_set_filter(p->p, filter, err, sizeof(err)) != 0) {
			tool_err("%s: %s", p->path, err);
			rc = HDP_EXIT_USAGE;
		}
	}
	free(filter);
	return rc;
}

/* Which points were observed (all but live points that failed): the
 * neighbours a segment joins, and the seen-mask of a packet every
 * observed point saw. */
static void
link_observed(struct where *w)
{
	int i, last = -1;

	w->all_bits = 0;
	w->first_obs = w->np;
	w->last_obs = -1;
	for (i = 0; i < w->np; i++) {
		w->nxt[i] = -1;
		w->prv[i] = last;
		if (w->pt[i].gone)
			continue;
		w->all_bits |= 1ULL << i;
		if (last >= 0)
			w->nxt[last] = i;
		if (w->first_obs == w->np)
			w->first_obs = i;
		w->last_obs = last = i;
	}
}

/*
 * Step 2: the points, the tables, then every capture opened with the
 * privileges we started with (a file that cannot be opened: exit 4),
 * dropped (tcpdump's -Z: hostile captures are parsed without root), and
 * read by libpcap.  0 or an exit status.
 */
static int
open_where(struct where *w)
{
	char err[PCAP_ERRBUF_SIZE + 256];
	int fds[MAX_POINTS], i, rc = HDP_EXIT_OK;

	w->np = w->o.np;
	for (i = 0; i < w->np; i++) {
		struct point *p = &w->pt[i];

		p->path = w->o.path[i];
		memcpy(p->label, w->o.label[i], LABEL_LEN);
		p->show[hdp_fmt_safe(p->show, p->label, strlen(p->label))] =
			'\0';
		if (w->lp != NULL) {
			p->gone = p->path == NULL;
			p->offset_ns = w->lp[i].offset_ns;
			if (p->gone)
				p->path = w->lp[i].spec;
		}
	}
	link_observed(w);
	w->settle_ns = w->o.window_ns < SETTLE_NS ? w->o.window_ns : SETTLE_NS;
	hdp_hsecret_init(&w->hsec);
	for (i = 0; i < NTAB; i++) {
		if (hdp_ktab_init(&w->tab[i], 4096) != 0) {
			tool_err("out of memory");
			return HDP_EXIT_ENV;
		}
	}
	for (i = 0; i < MAX_POINTS; i++)
		fds[i] = -1;
	for (i = 0; i < w->np && rc == HDP_EXIT_OK; i++) {
		if (w->pt[i].gone)
			continue;
		fds[i] = strcmp(w->pt[i].path, "-") == 0 ?
			 dup(STDIN_FILENO) : open(w->pt[i].path,
						  O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0) {
			tool_errno("%s", w->pt[i].path);
			rc = HDP_EXIT_ENV;
		}
	}
	if (rc == HDP_EXIT_OK &&
	    hdp_drop_privileges(w->o.zuser, err, sizeof(err)) != 0) {
		tool_err("%s", err);
		rc = HDP_EXIT_PERM;
	}
	if (rc == HDP_EXIT_OK)
		rc = open_readers(w, fds);
	for (i = 0; i < MAX_POINTS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return rc;
}

/* Live (--at): take the captures, then hand the engine each point's
 * file, or none for a point not observed.  0 or an exit status. */
static int
run_live(struct where *w)
{
	uint64_t widen = 0;
	char *filter;
	int i, np, rc;

	/* NULL: HDP (the capture's default); "": everything */
	filter = w->o.filter != NULL ?
		 hdp_filter_and(*w->o.filter ? w->o.filter : NULL, w->o.expr) :
		 w->o.expr != NULL ? hdp_filter_hdp(DLT_RAW, w->o.expr, 1) :
		 NULL;
	if (filter == NULL && w->o.filter != NULL && *w->o.filter == '\0')
		filter = strdup("");
	if (filter == NULL && (w->o.filter != NULL || w->o.expr != NULL)) {
		tool_err("out of memory");
		return HDP_EXIT_ENV;
	}
	rc = where_live_run(w->o.live, filter, &w->lp, &np);
	free(filter);
	w->o.np = np;
	for (i = 0; i < np; i++) {
		w->o.path[i] = w->lp[i].path;
		memcpy(w->o.label[i], w->lp[i].label, LABEL_LEN);
		/* times are corrected by the offset, but matching must not
		 * hang on the estimate: a wrong one (or a clock that jumped)
		 * shifts a point by at most that much; the window widens by
		 * the largest */
		if (w->lp[i].clocked &&
		    (uint64_t)llabs(w->lp[i].offset_ns) +
		    (uint64_t)w->lp[i].uncert_ns > widen)
			widen = (uint64_t)llabs(w->lp[i].offset_ns) +
				(uint64_t)w->lp[i].uncert_ns;
	}
	w->o.window_ns += widen;
	return rc;
}

/* ---- step 4: report ----------------------------------------------------- */

/* Step 4: the segments (text or JSON) and the notes on the bounds; the
 * exit status from step 3's r (run_where()). */
static int
report_where(struct where *w, int r)
{
	if (w->o.json)
		print_segments_json(w);
	else
		print_segments_text(w);
	print_bound_notes(w);
	if (fflush(stdout) != 0) {
		tool_errno("standard output");
		return HDP_EXIT_ENV;
	}
	if (r == -2)
		return HDP_EXIT_ENV;
	if (r < 0)
		return HDP_EXIT_USAGE;
	if (w->vanished > 0)
		return HDP_EXIT_FAIL;
	/* live: a point not observed leaves the path unconfirmed; a probe
	 * sender that failed leaves nothing to conclude */
	if (w->lp != NULL && w->all_bits != (w->np == 64 ? ~0ULL :
					     (1ULL << w->np) - 1))
		return HDP_EXIT_ENV;
	if (w->o.live != NULL && where_live_status(w->o.live) != 0)
		return where_live_status(w->o.live);
	return HDP_EXIT_OK;
}

int
cmd_where(int argc, char **argv)
{
	struct where *w;
	int i, rc;

	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		tool_err("out of memory");
		return HDP_EXIT_ENV;
	}
	rc = where_live_split(&argc, argv, &w->o.live) != 0 ? -1 :
	     parse_opts(argc, argv, &w->o);
	if (rc == 0 && w->o.live != NULL && !tool_parse_only &&
	    (rc = run_live(w)) != 0)
		goto out;
	if (rc != 0 || tool_parse_only) {
		rc = rc < 0 ? HDP_EXIT_USAGE : HDP_EXIT_OK;
		goto out;
	}
	if ((rc = open_where(w)) == HDP_EXIT_OK)
		rc = report_where(w, run_where(w));
out:
	for (i = 0; i < MAX_POINTS; i++)
		if (w->pt[i].p != NULL)
			pcap_close(w->pt[i].p);
	free_all(w);
	free(w->o.expr);
	where_live_free(w->o.live);
	free(w);
	return rc;
}
