/*
 * tool_survey_probe.c: the local engine of hdp survey: probes to many
 * targets at once, the answers caught with libpcap and matched to their
 * probe, each target classified and written as soon as it is done.
 *
 * Per target, one repetition is six probes sent back to back: HDP (-P),
 * the experimental-use numbers 253 and 254 (RFC 3692), UDP to a high
 * port, TCP SYN and ICMP echo.  What proves a probe reached the target's
 * IP layer is an answer from the target's own address: protocol
 * unreachable (ICMPv6 parameter problem, unrecognised next header) for
 * the three bare protocols, port unreachable for UDP, a reset or SYN-ACK
 * for TCP, an echo reply, an HDP echo (hdp listen --echo).  A NAT that
 * forwards to a host behind it gives that host's answers the address
 * probed (and restores the quote), so they count as the target's.
 *
 * Identity: the target is the quoted (or answering) address; the kind
 * and repetition are in the fields every router quotes: the HDP source
 * port (base + repetition), the UDP destination port (--udp-port +
 * repetition), the TCP source port (base + repetition; its sequence
 * number, acknowledged, says the same), the ICMP echo sequence number.
 * The bases are drawn per run, so answers to an earlier run do not
 * count.
 *
 * Pacing: a Linux host sends one ICMP error a second to each host after
 * a burst of 6 (net.ipv4.icmp_ratelimit, the IPv6 one alike); four of a
 * repetition's probes cost the target one each (echo replies and resets
 * cost nothing), so the next repetition waits until a model of the
 * target's bucket holds four again (repetitions at 0, 2, 6, 10 s ...).
 * Many targets are in flight at once (a window sized from --rate and
 * that schedule), all under one token bucket of --rate packets a second.
 * Memory: the window, and 34 bytes a target taken (a set, at most half
 * full, so that a target listed twice is done once).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hdp/hdp.h>
#include "hdp_build.h"
#include "hdp_capture.h"
#include "hdp_match.h"
#include "hdp_rawsock.h"
#include "tool.h"
#include "tool_survey.h"

#define DRAIN_NS    (1000 * 1000000ULL)   /* after Ctrl-C                */
#define WIN_MAX     8192
#define WALK_BUF    (256 * 1024)
#define REDO_NS     (1100 * 1000000ULL)   /* a token, and a margin       */
#define WALK_TRIES  4                     /* walks a target, at most     */
#define WALK_REFILL_NS (3000 * 1000000ULL) /* quiet before a walk again  */

enum tstate { T_FREE = 0, T_PROBE, T_WAIT, T_REDO, T_WALK };
enum wstate { W_NONE = 0, W_QUEUED, W_RUN, W_DONE, W_FAILED };

struct walk {
	int state;
	pid_t pid;
	int fd;
	char *buf;
	size_t len;
	int hop;
	char resp[INET6_ADDRSTRLEN];
	int outcome;              /* SV_WALK_*                             */
	const char *verdict;      /* for the record                        */
	int tries;
};

struct tgt {
	int state;
	struct sv_addr dst, src;
	char dst_str[INET6_ADDRSTRLEN], src_str[INET6_ADDRSTRLEN];
	uint64_t t0_real;
	unsigned reps;            /* repetitions sent                      */
	uint64_t next;            /* next repetition not before (mono)     */
	double tokens;            /* the model of its ICMP error bucket    */
	uint64_t tok_t;
	uint64_t end;             /* answers awaited until (mono)          */
	uint16_t ans[SK_N];       /* a bit per repetition answered         */
	uint8_t sent[SK_N];
	const char *ev[SK_N];
	const char *noroute;      /* no route: why                         */
	uint64_t last_cost;       /* last probe answered by an ICMP error  */
	uint16_t redo[SK_N];      /* repetitions to send once more         */
	uint16_t redo_all[SK_N];  /* ... all that were planned             */
	uint8_t resent[SK_N];     /* ... and how many were                 */
	int redone;
	struct walk wk[3];        /* HDP, 253, 254                         */
	int walked;               /* the kind the walk was for             */
};

struct eng {
	const struct sv_opts *o;
	struct sv_out *w;
	struct sv_tsrc *src;
	struct sv_excl *excl;
	const struct sv_aset *done;
	struct sv_aset *seen;     /* targets taken in this run (duplicates) */
	int kinds[SK_N];
	struct hdp_tx *tx[2][SK_N];
	pcap_t *cap;
	int dlt;
	struct tgt *t;
	int *idx;                 /* address -> slot (linear probing)      */
	unsigned idx_mask;
	unsigned win, inflight, rot;
	int eof, bad_input;
	uint16_t hdp_sport, udp_sport, tcp_sport, icmp_id, id_base;
	uint32_t seq_base;
	double gtok, gcap;
	uint64_t gtok_t, stop_t;
	unsigned walks;
	struct sv_addr wrun[SV_WALKS]; /* the walks running (family 0: none) */
	int wsolo;                /* a walk again runs, alone              */
	uint64_t wlast_end;       /* when the last walk ended (mono)       */
	unsigned long ndone, nexcl, nskip, npkts, nfail;
	long total;
	uint64_t t_start, prog_t;
	char addr4[INET6_ADDRSTRLEN], addr6[INET6_ADDRSTRLEN];
	int progress;
};

static int
fam_i(int family)
{
	return family == AF_INET6;
}

static unsigned
kind_proto(const struct eng *e, int k, int family)
{
	switch (k) {
	case SK_HDP: return e->o->hdp_proto;
	case SK_253: return 253;
	case SK_254: return 254;
	case SK_UDP: return 17;
	case SK_TCP: return 6;
	default:     return family == AF_INET6 ? 58 : 1;
	}
}

/* Probes whose answer from the target is an ICMP error: they cost a
 * token of its rate limit. */
static unsigned
costly(const struct eng *e)
{
	unsigned n = 0;
	int k;

	for (k = SK_HDP; k <= SK_UDP; k++)
		n += (unsigned)e->kinds[k];
	return n;
}

static unsigned
nkinds(const struct eng *e)
{
	unsigned n = 0;
	int k;

	for (k = 0; k < SK_N; k++)
		n += (unsigned)e->kinds[k];
	return n;
}

static int
addr_eq(const struct sv_addr *a, int family, const union hdp_addr *b)
{
	return a->family == family &&
	       memcmp(&a->a, b, family == AF_INET6 ? 16 : 4) == 0;
}

static int
addr_eq_raw(int family, const union hdp_addr *a, const union hdp_addr *b)
{
	return memcmp(a, b, family == AF_INET6 ? 16 : 4) == 0;
}

/* ---- pacing -------------------------------------------------------------- */

/* The target's bucket at now. */
static double
tokens_at(const struct tgt *t, uint64_t now)
{
	double v = t->tokens + (double)(now - t->tok_t) / SV_REFILL_NS;

	return v > SV_BURST_ERR ? SV_BURST_ERR : v;
}

/* When the bucket holds need again, after taking need now. */
static void
pace_after_rep(const struct eng *e, struct tgt *t, uint64_t now)
{
	double need = costly(e), have;

	if (need > SV_BURST_ERR)
		need = SV_BURST_ERR;
	have = tokens_at(t, now) - need;
	if (have < 0)
		have = 0;
	t->tokens = have;
	t->tok_t = now;
	t->next = now + (uint64_t)((need > have ? need - have : 0) *
				   SV_REFILL_NS);
}

/* The window: enough targets in flight to keep --rate busy. */
static unsigned
window_size(const struct eng *e)
{
	struct tgt t;
	uint64_t now = 0;
	double per, w;
	unsigned r;

	memset(&t, 0, sizeof(t));
	t.tokens = SV_BURST_ERR;
	for (r = 0; r + 1 < e->o->repeat; r++) {
		pace_after_rep(e, &t, now);
		now = t.next;
	}
	per = (double)now / 1e9 + e->o->wait_ms / 1e3 + 0.2;
	w = e->o->rate * per / (double)(nkinds(e) * e->o->repeat) * 1.25 + 1;
	if (w > WIN_MAX)
		w = WIN_MAX;
	return (unsigned)w;
}

/* Take n packets from the global bucket: 1 when it had them. */
static int
take_global(struct eng *e, unsigned n, uint64_t now)
{
	e->gtok += (double)(now - e->gtok_t) / 1e9 * e->o->rate;
	if (e->gtok > e->gcap)
		e->gtok = e->gcap;
	e->gtok_t = now;
	if (e->gtok < n)
		return 0;
	e->gtok -= n;
	return 1;
}

/* ---- sending ------------------------------------------------------------- */

static void
probe_spec(const struct eng *e, const struct tgt *t, int k, unsigned rep,
	   struct hdp_pkt_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->family = t->dst.family;
	s->dst = t->dst.a;
	s->src = t->src.a;
	s->has_src = 1;
	s->ttl = 64;
	s->ip_id = (uint16_t)(e->id_base + k * SV_MAXREP + rep);
	s->proto = (uint8_t)kind_proto(e, k, t->dst.family);
	switch (k) {
	case SK_UDP:
		s->l4 = HDP_L4_UDP;
		s->sport = e->udp_sport;
		s->dport = (uint16_t)(e->o->udp_port + rep);
		break;
	case SK_TCP:
		s->l4 = HDP_L4_TCP_SYN;
		s->sport = (uint16_t)(e->tcp_sport + rep);
		s->dport = (uint16_t)e->o->tcp_port;
		s->tcp_seq = e->seq_base + rep;
		break;
	case SK_ICMP:
		s->l4 = HDP_L4_ICMP_ECHO;
		s->sport = e->icmp_id;
		s->dport = (uint16_t)rep;
		break;
	default:
		s->l4 = HDP_L4_HDP;
		s->sport = (uint16_t)(e->hdp_sport + rep);
		s->dport = HDP_DEFAULT_PORT;
		break;
	}
}

/* One probe; 0 when written. */
static int
send_probe(struct eng *e, struct tgt *t, int k, unsigned rep)
{
	struct hdp_pkt_spec s;
	struct hdp_tx_result r;
	char err[256];
	int fi = fam_i(t->dst.family);

	probe_spec(e, t, k, rep, &s);
	if (hdp_tx_build(e->tx[fi][k], &s, err, sizeof(err)) != 0 ||
	    hdp_tx_write(e->tx[fi][k], &r) != 0) {
		/* an unreachable network says so on every write:
		 * counted, not said each time */
		e->nfail++;
		return -1;
	}
	e->npkts++;
	return 0;
}

/* One repetition to t: every kind, back to back. */
static void
send_rep(struct eng *e, struct tgt *t, uint64_t now)
{
	int k;

	if (t->reps == 0)
		t->t0_real = hdp_now_ns();
	for (k = 0; k < SK_N; k++)
		if (e->kinds[k] && send_probe(e, t, k, t->reps) == 0)
			t->sent[k]++;
	t->reps++;
	t->last_cost = now;
	pace_after_rep(e, t, now);
	if (t->reps == e->o->repeat) {
		t->state = T_WAIT;
		t->end = now + (uint64_t)e->o->wait_ms * 1000000ULL;
	}
}

/* ---- matching answers ---------------------------------------------------- */

/* ---- the targets in flight by address ------------------------------------- */

static unsigned
idx_hash(const struct eng *e, const struct sv_addr *a)
{
	return (unsigned)hdp_fnv1a(HDP_FNV_INIT, (const uint8_t *)&a->a,
				   a->family == AF_INET6 ? 16 : 4) &
	       e->idx_mask;
}

static void
idx_add(struct eng *e, unsigned slot)
{
	unsigned j = idx_hash(e, &e->t[slot].dst);

	while (e->idx[j] >= 0)
		j = (j + 1) & e->idx_mask;
	e->idx[j] = (int)slot;
}

/* Remove slot (before its state is cleared), shifting back the entries
 * after it that would no longer be found (linear probing). */
static void
idx_del(struct eng *e, unsigned slot)
{
	unsigned j = idx_hash(e, &e->t[slot].dst), k, h;

	while (e->idx[j] >= 0 && e->idx[j] != (int)slot)
		j = (j + 1) & e->idx_mask;
	if (e->idx[j] < 0)
		return;
	e->idx[j] = -1;
	for (k = (j + 1) & e->idx_mask; e->idx[k] >= 0;
	     k = (k + 1) & e->idx_mask) {
		h = idx_hash(e, &e->t[e->idx[k]].dst);
		if (j < k ? (h <= j || h > k) : (h <= j && h > k)) {
			e->idx[j] = e->idx[k];
			e->idx[k] = -1;
			j = k;
		}
	}
}

/* The target in flight at address a (still waiting for answers). */
static struct tgt *
find_tgt(struct eng *e, int family, const union hdp_addr *a)
{
	struct sv_addr k;
	struct tgt *t;
	unsigned j;

	memset(&k, 0, sizeof(k));
	k.family = family;
	memcpy(&k.a, a, family == AF_INET6 ? 16 : 4);
	for (j = idx_hash(e, &k); e->idx[j] >= 0; j = (j + 1) & e->idx_mask) {
		t = &e->t[e->idx[j]];
		if ((t->state == T_PROBE || t->state == T_WAIT ||
		     t->state == T_REDO) && addr_eq(&t->dst, family, a))
			return t;
	}
	return NULL;
}

/* 1 when a is in flight already (a target listed twice, or in two
 * prefixes): probing it twice at once would mix the answers. */
static int
in_flight(const struct eng *e, const struct sv_addr *a)
{
	unsigned j;

	for (j = idx_hash(e, a); e->idx[j] >= 0; j = (j + 1) & e->idx_mask)
		if (addr_eq(&e->t[e->idx[j]].dst, a->family, &a->a))
			return 1;
	return 0;
}

/* Slot t is done: out of the index, cleared. */
static void
free_slot(struct eng *e, struct tgt *t)
{
	int k;

	idx_del(e, (unsigned)(t - e->t));
	for (k = 0; k < 3; k++)
		free(t->wk[k].buf);
	memset(t, 0, sizeof(*t));
	e->inflight--;
}

static void
note(struct tgt *t, int k, unsigned rep, const char *ev)
{
	if (rep >= t->reps || rep >= SV_MAXREP)
		return;
	t->ans[k] |= (uint16_t)(1u << rep);
	if (t->ev[k] == NULL)
		t->ev[k] = ev;
}

/* The kind and repetition of a quoted probe; -1 when not ours. */
static int
quoted_kind(const struct eng *e, const struct hdp_frame *g,
	    const uint8_t *l4, size_t n, int family, unsigned *rep)
{
	int k;

	if (n < 8)
		return -1;
	for (k = 0; k < SK_N; k++)
		if (e->kinds[k] && g->proto == kind_proto(e, k, family))
			break;
	switch (k) {
	case SK_UDP:
		if (hdp_rd16(l4) != e->udp_sport)
			return -1;
		*rep = (uint16_t)(hdp_rd16(l4 + 2) - e->o->udp_port);
		return k;
	case SK_TCP:
		if (hdp_rd16(l4 + 2) != e->o->tcp_port)
			return -1;
		*rep = (uint16_t)(hdp_rd16(l4) - e->tcp_sport);
		return k;
	case SK_ICMP:
		if ((l4[0] != 8 && l4[0] != 128) ||
		    hdp_rd16(l4 + 4) != e->icmp_id)
			return -1;
		*rep = hdp_rd16(l4 + 6);
		return k;
	case SK_N:
		return -1;
	default:
		if (hdp_rd16(l4 + 2) != HDP_DEFAULT_PORT)
			return -1;
		*rep = (uint16_t)(hdp_rd16(l4) - e->hdp_sport);
		return k;
	}
}

/*
 * The evidence an ICMP error from the target is: only what a host says
 * about a datagram its own IP layer took (protocol or port unreachable,
 * parameter problem).  A host, net or address unreachable, or an admin
 * prohibited, from the address probed is a router's word about the way
 * on: a NAT whose host behind is down says "host unreachable" from the
 * address probed, with the quote restored, for every kind alike.
 */
static const char *
err_evidence(int family, const struct hdp_icmp_err *x)
{
	if (x->kind == HDP_ICMP_PARAM)
		return "param_problem";
	if (x->kind != HDP_ICMP_UNREACH)
		return NULL;
	if (family == AF_INET)
		return x->code == 2 ? "proto_unreach" :
		       x->code == 3 ? "port_unreach" : NULL;
	return x->code == 4 ? "port_unreach" : NULL;
}

/*
 * An ICMP error from a target in flight about another address (a router
 * we probe saying a host behind it is unreachable): it came out of the
 * same budget the target's answers to us come from, so the model of that
 * budget is charged, and the target's next probes wait for it.
 */
static void
charge(const struct eng *e, struct tgt *t, uint64_t now)
{
	double need = costly(e), have = tokens_at(t, now) - 1;
	uint64_t at;

	if (need > SV_BURST_ERR)
		need = SV_BURST_ERR;
	if (have < 0)
		have = 0;
	t->tokens = have;
	t->tok_t = now;
	t->last_cost = now;
	at = now + (uint64_t)((need > have ? need - have : 0) * SV_REFILL_NS);
	if (t->state == T_PROBE && at > t->next)
		t->next = at;
}

static void
on_error(struct eng *e, const struct hdp_frame *f,
	 const struct hdp_icmp_err *x)
{
	int family = f->ip_version == 6 ? AF_INET6 : AF_INET, k;
	const char *ev;
	struct tgt *t;
	unsigned rep;

	if (!addr_eq_raw(family, &f->src, &x->inner.dst) &&
	    (t = find_tgt(e, family, &f->src)) != NULL)
		charge(e, t, hdp_mono_ns());
	if (x->l4 == NULL ||
	    (t = find_tgt(e, family, &x->inner.dst)) == NULL)
		return;
	/* only the target's own answer shows the probe reached it */
	if (!addr_eq(&t->dst, family, &f->src) ||
	    (ev = err_evidence(family, x)) == NULL)
		return;
	k = quoted_kind(e, &x->inner, x->l4, x->l4_len, family, &rep);
	if (k >= 0)
		note(t, k, rep, ev);
}

/* The target's own answer: echo reply, reset or SYN-ACK, HDP echo. */
static void
on_own(struct eng *e, const struct hdp_frame *f, const uint8_t *l4,
       size_t n)
{
	int family = f->ip_version == 6 ? AF_INET6 : AF_INET, k;
	struct tgt *t = find_tgt(e, family, &f->src);
	unsigned rep;

	if (t == NULL || n < 8)
		return;
	if (f->proto == kind_proto(e, SK_ICMP, family) &&
	    (l4[0] == 0 || l4[0] == 129) && hdp_rd16(l4 + 4) == e->icmp_id) {
		note(t, SK_ICMP, hdp_rd16(l4 + 6), "echo_reply");
	} else if (f->proto == 6 && n >= 14 &&
		   hdp_rd16(l4) == e->o->tcp_port && (l4[13] & 0x14) != 0) {
		rep = (uint16_t)(hdp_rd16(l4 + 2) - e->tcp_sport);
		if ((l4[13] & 0x10) && hdp_rd32(l4 + 8) != e->seq_base +
		    rep + 1)
			return;
		note(t, SK_TCP, rep, (l4[13] & 0x04) ? "rst" : "synack");
	} else if (f->has_hdp && f->hdp.sport == HDP_DEFAULT_PORT) {
		for (k = SK_HDP; k <= SK_254; k++)
			if (e->kinds[k] &&
			    f->proto == kind_proto(e, k, family))
				note(t, k, (uint16_t)(f->hdp.dport -
						      e->hdp_sport),
				     "hdp_echo");
	}
}

static void
on_packet(u_char *arg, const struct pcap_pkthdr *h, const u_char *pkt)
{
	struct eng *e = (struct eng *)arg;
	struct hdp_frame f;
	struct hdp_icmp_err x;

	hdp_decode_frame(e->dlt, pkt, h->caplen, h->len, &f);
	if (f.ip_version == 0 || !f.ip_fixed ||
	    f.direction == HDP_DIR_OUT)
		return;
	if (hdp_icmp_error_parse(&f, pkt, h->caplen, &x) == 0) {
		on_error(e, &f, &x);
		return;
	}
	if (f.l4_off == 0 || f.l4_off > h->caplen)
		return;
	on_own(e, &f, pkt + f.l4_off, f.l4_caplen);
}

/* ---- admitting, judging, writing targets -------------------------------- */

/*
 * Misses of kind k that say something about the path: repetitions where
 * k got no answer while a probe sent after it in the same repetition
 * (HDP, 253, 254, UDP, in that order) got its ICMP error from the
 * target.  The target's ICMP error budget (Linux: a burst of 6, then one
 * a second, per host answered, shared by all the addresses of one host
 * or namespace, and a global cap) is spent in the order the probes
 * arrive, so a later answer shows the budget was not empty when k
 * arrived.  A miss without one may be that budget, or a host that sends
 * no ICMP errors at all: no conclusion.  A second send (plan_redo) went
 * alone, seconds later, and proves nothing for the repetition's others.
 * TCP and ICMP echo answers cost no budget: every miss counts.
 */
static unsigned
proven_misses(const struct eng *e, const struct tgt *t, int k)
{
	unsigned r, n = 0;
	uint16_t later = 0;
	int j;

	if (k > SK_UDP)
		later = 0xffff;
	for (j = k + 1; j <= SK_UDP; j++)
		if (e->kinds[j])
			later |= (uint16_t)(t->ans[j] & ~t->redo_all[j]);
	for (r = 0; r < t->reps && r < SV_MAXREP; r++)
		if (!(t->ans[k] >> r & 1) && (later >> r & 1) &&
		    (k > SK_UDP || t->sent[k] > r))
			n++;
	return n;
}

/* 1 when one of the baselines (UDP, TCP, ICMP echo) arrived. */
static int
baseline_arrived(const struct eng *e, const struct tgt *t)
{
	int k, base = 0;

	for (k = SK_UDP; k < SK_N; k++)
		base |= e->kinds[k] && t->ans[k];
	return base;
}

/* The category of kind k (base: a baseline arrived). */
static int
kind_cat(const struct eng *e, const struct tgt *t, int k, int base)
{
	unsigned arr = 0, miss = proven_misses(e, t, k);
	int i;

	for (i = 0; i < SV_MAXREP; i++)
		arr += (t->ans[k] >> i) & 1;
	if (k > SK_UDP)
		miss = arr < t->sent[k];
	if (arr > 0)
		return miss ? SC_TRANSIENT : SC_WORKS;
	return base && miss ? SC_BROKEN : SC_OFFLINE;
}

/* A walk for kind k whose HDP probe the target itself answered: the
 * protocol does arrive there, one more try that arrived (evidence
 * ttl_walk when the survey's own probes have none). */
static void
walk_arrival(const struct tgt *t, int k, struct sv_result *r)
{
	if (k > SK_254 || t->wk[k].state != W_DONE ||
	    t->wk[k].outcome != SV_WALK_REACHED)
		return;
	r->sent++;
	r->arrived++;
	if (t->ev[k] == NULL)
		r->evidence = "ttl_walk";
	r->walk = t->wk[k].verdict;
}

/* A broken kind's last hop: the walk's where it decided it. */
static void
walk_result(const struct eng *e, const struct tgt *t, struct sv_result *r)
{
	const struct walk *w = &t->wk[t->walked];

	if (w->state == W_FAILED)
		r->walk = "failed";
	if (w->state != W_DONE)
		return;
	r->walk = w->verdict;
	if (w->outcome != SV_WALK_DECIDED || w->hop <= 0)
		return;
	r->last_hop = w->hop;
	r->walk_proto = kind_proto(e, t->walked, t->dst.family);
	strcpy(r->last_responder, w->resp);
}

/* The result records of a done target into r; how many. */
static int
results(struct eng *e, struct tgt *t, struct sv_result *r)
{
	int k, n = 0, base = baseline_arrived(e, t), i;
	unsigned arr;

	for (k = 0; k < SK_N; k++) {
		if (!e->kinds[k])
			continue;
		memset(&r[n], 0, sizeof(r[n]));
		strcpy(r[n].target, t->dst_str);
		strcpy(r[n].src, t->src_str);
		r[n].vantage = e->o->vantage;
		r[n].kind = k;
		r[n].ip_proto = kind_proto(e, k, t->dst.family);
		r[n].sent = t->sent[k];
		r[n].resent = t->resent[k];
		for (arr = 0, i = 0; i < SV_MAXREP; i++)
			arr += (t->ans[k] >> i) & 1;
		r[n].arrived = arr;
		r[n].cat = kind_cat(e, t, k, base);
		r[n].evidence = t->ev[k] ? t->ev[k] :
				t->noroute ? t->noroute :
				base && r[n].cat == SC_OFFLINE ?
				"no_icmp_error" : "none";
		/* the walk reached the target: it arrives, not every time */
		walk_arrival(t, k, &r[n]);
		if (r[n].arrived > arr)
			r[n].cat = SC_TRANSIENT;
		r[n].time_ns = t->t0_real ? t->t0_real : hdp_now_ns();
		if (k <= SK_254 && r[n].cat == SC_BROKEN)
			walk_result(e, t, &r[n]);
		n++;
	}
	return n;
}

static void
finish_tgt(struct eng *e, struct tgt *t)
{
	struct sv_result r[SK_N];
	int n = results(e, t, r);

	if (sv_out_target(e->w, r, n) != 0)
		tool_stop = 1;
	free_slot(e, t);
	e->ndone++;
}

/*
 * Misses that look like the target's ICMP budget running out rather
 * than loss: in one repetition, the probes answered by ICMP errors stop
 * being answered from some point of the send order on (HDP, 253, 254,
 * UDP), while the same repetition's echo or SYN was answered and the
 * target has answered such probes at some time.  A loss of HDP alone
 * (sent first, the others answered after it) is no such pattern.  Each
 * is sent once more, alone, a token's refill apart; an answer to either
 * send counts.  1 when there is something to send again.
 */
static int
plan_redo(const struct eng *e, struct tgt *t)
{
	int k, last, any = 0, n = 0;
	unsigned r;

	for (k = SK_HDP; k <= SK_UDP; k++)
		any |= e->kinds[k] && t->ans[k];
	if (!any || t->redone)
		return 0;
	t->redone = 1;
	for (r = 0; r < t->reps; r++) {
		if (!(((t->ans[SK_TCP] | t->ans[SK_ICMP]) >> r) & 1))
			continue;
		for (last = -1, k = SK_HDP; k <= SK_UDP; k++)
			if (e->kinds[k] && (t->ans[k] >> r & 1))
				last = k;
		for (k = last + 1; k <= SK_UDP; k++)
			if (e->kinds[k] && t->sent[k] > r) {
				t->redo[k] |= (uint16_t)(1u << r);
				t->redo_all[k] |= (uint16_t)(1u << r);
				n++;
			}
	}
	return n > 0;
}

/* The next probe sent again, when its time has come. */
static void
redo_step(struct eng *e, struct tgt *t, uint64_t now)
{
	int k;
	unsigned r;

	if (now < t->last_cost + REDO_NS || !take_global(e, 1, now))
		return;
	for (k = SK_HDP; k <= SK_UDP; k++) {
		if (t->redo[k] == 0)
			continue;
		for (r = 0; !(t->redo[k] >> r & 1); r++)
			;
		t->redo[k] &= (uint16_t)~(1u << r);
		if (send_probe(e, t, k, r) == 0)
			t->resent[k]++;
		t->last_cost = now;
		return;
	}
	t->state = T_WAIT;
	t->end = now + (uint64_t)e->o->wait_ms * 1000000ULL;
}

/* Judged after the last wait: walks for what is broken while a baseline
 * arrived, or written.  One walk a target: the first broken of HDP, 253,
 * 254 in that order; the others broken take its last hop (a filter that
 * stops one of them usually stops all three where it stands, and walks
 * cost the routers on the path their ICMP budget). */
static void
judge_tgt(struct eng *e, struct tgt *t)
{
	int k, base = baseline_arrived(e, t), need = 0;

	for (k = SK_HDP; k <= SK_254 && !need; k++) {
		if (e->kinds[k] && kind_cat(e, t, k, base) == SC_BROKEN &&
		    !e->o->no_trace) {
			t->wk[k].state = W_QUEUED;
			t->walked = k;
			need = 1;
		}
	}
	if (need)
		t->state = T_WALK;
	else
		finish_tgt(e, t);
}

/* One more target into slot t; 0 when there is none left. */
static int
admit(struct eng *e, struct tgt *t, uint64_t now)
{
	struct sv_addr a;
	char err[256];
	int r;

	for (;;) {
		r = sv_tsrc_next(e->src, &a);
		if (r <= 0) {
			if (r < 0)
				e->bad_input = 1;
			e->eof = 1;
			return 0;
		}
		if (e->o->family != AF_UNSPEC && a.family != e->o->family)
			continue;
		if (sv_excl_has(e->excl, &a)) {
			e->nexcl++;
			continue;
		}
		/* listed twice, or in two prefixes: done once (a second
		 * record would count the target twice in the summaries) */
		if (sv_aset_has(e->done, &a) || sv_aset_has(e->seen, &a) ||
		    in_flight(e, &a)) {
			e->nskip++;
			continue;
		}
		if (sv_aset_add(e->seen, &a) != 0) {
			tool_err("out of memory");
			e->bad_input = 1;
			e->eof = 1;
			return 0;
		}
		break;
	}
	memset(t, 0, sizeof(*t));
	t->dst = a;
	t->src.family = a.family;
	hdp_addr_ntop(a.family, &a.a, t->dst_str, sizeof(t->dst_str));
	if (e->tx[fam_i(a.family)][SK_ICMP] == NULL ||
	    hdp_route_src(a.family, &a.a, &t->src.a, err, sizeof(err)) != 0) {
		t->noroute = "no_route";
		t->state = T_WAIT;
		t->end = now;
	} else {
		hdp_addr_ntop(a.family, &t->src.a, t->src_str,
			      sizeof(t->src_str));
		if (a.family == AF_INET && !e->addr4[0])
			strcpy(e->addr4, t->src_str);
		if (a.family == AF_INET6 && !e->addr6[0])
			strcpy(e->addr6, t->src_str);
		t->state = T_PROBE;
		t->tokens = SV_BURST_ERR;
		t->tok_t = now;
		t->next = now;
	}
	idx_add(e, (unsigned)(t - e->t));
	e->inflight++;
	return 1;
}

/* ---- walks --------------------------------------------------------------- */

/* Same /24 (IPv6 /64): walks there likely share the routers' ICMP
 * budget, so they go one after another. */
static int
same_site(const struct sv_addr *a, const struct sv_addr *b)
{
	return a->family == b->family &&
	       memcmp(&a->a, &b->a, a->family == AF_INET6 ? 8 : 3) == 0;
}

static void
wrun_set(struct eng *e, const struct sv_addr *a, int on)
{
	int i;

	for (i = 0; i < SV_WALKS; i++) {
		if (on && e->wrun[i].family == 0) {
			e->wrun[i] = *a;
			return;
		}
		if (!on && e->wrun[i].family == a->family &&
		    memcmp(&e->wrun[i].a, &a->a, sizeof(a->a)) == 0) {
			e->wrun[i].family = 0;
			return;
		}
	}
}

static int
site_busy(const struct eng *e, const struct sv_addr *a)
{
	int i;

	for (i = 0; i < SV_WALKS; i++)
		if (e->wrun[i].family && same_site(&e->wrun[i], a))
			return 1;
	return 0;
}

static void
walk_start(struct eng *e, struct tgt *t, int k)
{
	struct walk *w = &t->wk[k];

	w->pid = sv_walk_start(&t->dst, kind_proto(e, k, t->dst.family),
			       e->o->wait_ms,
			       t->ans[SK_UDP] ? e->o->udp_port : 0, &w->fd);
	e->wsolo = w->tries > 0;
	w->tries++;
	if (w->pid < 0) {
		w->state = W_FAILED;
		return;
	}
	w->state = W_RUN;
	e->walks++;
	wrun_set(e, &t->dst, 1);
}

/* After a walk that reached the target with kind k: the next of HDP,
 * 253, 254 that is broken gets the walk instead. */
static void
walk_next_kind(const struct eng *e, struct tgt *t, int k)
{
	int base = baseline_arrived(e, t);

	for (k++; k <= SK_254; k++)
		if (e->kinds[k] && kind_cat(e, t, k, base) == SC_BROKEN) {
			t->wk[k].state = W_QUEUED;
			t->walked = k;
			return;
		}
}

/* A walk's end: its result; rate limiting that hid the answer is walked
 * again later, alone (below). */
static void
walk_end(struct eng *e, struct tgt *t, int k, int status)
{
	struct walk *w = &t->wk[k];

	w->state = W_FAILED;
	w->outcome = -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) <= 1 && w->buf)
		w->outcome = sv_walk_parse(w->buf, &w->hop, w->resp,
					   sizeof(w->resp), &w->verdict);
	free(w->buf);
	w->buf = NULL;
	w->len = 0;
	if (w->outcome < 0) {
		if (!tool_stop)
			tool_err("%s: the TTL walk (hdp trace) failed",
				 t->dst_str);
		return;
	}
	w->state = W_DONE;
	if (w->outcome == SV_WALK_UNSURE && w->tries < WALK_TRIES &&
	    !tool_stop) {
		w->state = W_QUEUED;
	} else if (w->outcome == SV_WALK_REACHED) {
		walk_next_kind(e, t, k);
	}
}

/* Read what a walk wrote; at its end, its result. */
static void
walk_read(struct eng *e, struct tgt *t, int k)
{
	struct walk *w = &t->wk[k];
	char buf[4096], *nb;
	ssize_t n;
	int status;

	while ((n = read(w->fd, buf, sizeof(buf))) > 0) {
		if (w->len + (size_t)n + 1 > WALK_BUF)
			continue;
		nb = realloc(w->buf, w->len + (size_t)n + 1);
		if (nb == NULL)
			continue;
		w->buf = nb;
		memcpy(w->buf + w->len, buf, (size_t)n);
		w->len += (size_t)n;
		w->buf[w->len] = '\0';
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	close(w->fd);
	while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
		;
	e->walks--;
	wrun_set(e, &t->dst, 0);
	e->wlast_end = hdp_mono_ns();
	if (e->walks == 0)
		e->wsolo = 0;
	walk_end(e, t, k, status);
}

/*
 * Walks of one target: start queued ones while there is room and no
 * walk runs to the same site; 1 when all are over (*due: when a walk
 * again may start, when sooner).  Walks from here share the ICMP budget
 * of the routers near here (Linux: 6, then one a second to each host),
 * so a walk rate limiting left undecided goes again alone, once no walk
 * has run for WALK_REFILL_NS, and none starts beside it.
 */
static int
walks_step(struct eng *e, struct tgt *t, uint64_t now, uint64_t *due)
{
	int k, over = 1, again;
	struct walk *w;
	uint64_t quiet = e->wlast_end + WALK_REFILL_NS;

	for (k = 0; k < 3; k++) {
		w = &t->wk[k];
		again = w->tries > 0;
		if (w->state == W_QUEUED && e->walks < SV_WALKS &&
		    !tool_stop && !e->wsolo && !site_busy(e, &t->dst) &&
		    (!again || (e->walks == 0 && now >= quiet)))
			walk_start(e, t, k);
		if (w->state == W_QUEUED && again && e->walks == 0 &&
		    quiet > now && quiet < *due)
			*due = quiet;
		if (w->state == W_QUEUED || w->state == W_RUN)
			over = 0;
	}
	return over;
}

/* Ctrl-C: a walk cut short is no result; the target is left out (a
 * rerun with the same -o does it again). */
static void
walks_kill(struct eng *e, struct tgt *t)
{
	int k, status;

	for (k = 0; k < 3; k++) {
		if (t->wk[k].state != W_RUN)
			continue;
		kill(t->wk[k].pid, SIGTERM);
		close(t->wk[k].fd);
		while (waitpid(t->wk[k].pid, &status, 0) < 0 &&
		       errno == EINTR)
			;
		e->walks--;
		wrun_set(e, &t->dst, 0);
		if (e->walks == 0)
			e->wsolo = 0;
	}
	free_slot(e, t);
}

/* ---- the loop ------------------------------------------------------------ */

/* After a stop, answers are waited for this long; a --from child has
 * less: its parent's wrapper kills it a second after asking it to end. */
static uint64_t
drain_ns(const struct eng *e)
{
	return e->o->child ? DRAIN_NS / 2 : DRAIN_NS;
}

/* Each slot's next step at now; the earliest time something is due. */
static uint64_t
step_slots(struct eng *e, uint64_t now)
{
	uint64_t due = now + 200 * 1000000ULL;
	unsigned i, j, nk = nkinds(e);
	struct tgt *t;

	for (j = 0; j < e->win; j++) {
		i = (e->rot + j) % e->win;
		t = &e->t[i];
		if (t->state == T_FREE && !e->eof && !tool_stop)
			admit(e, t, now);
		if (t->state == T_PROBE && tool_stop) {
			/* never finished: left for a rerun */
			free_slot(e, t);
			continue;
		}
		if (t->state == T_PROBE && now >= t->next &&
		    take_global(e, nk, now))
			send_rep(e, t, now);
		if (t->state == T_PROBE && t->next < due)
			due = t->next > now ? t->next : now + 1000000ULL;
		if (t->state == T_WAIT && tool_stop &&
		    t->end > e->stop_t + drain_ns(e)) {
			/* its wait would be cut short: an answer still on
			 * its way (a slow path) would be missed, and the
			 * rerun skips what -o holds: left for the rerun */
			free_slot(e, t);
			continue;
		}
		if (t->state == T_WAIT && now >= t->end && !tool_stop &&
		    plan_redo(e, t))
			t->state = T_REDO;
		if (t->state == T_REDO && tool_stop)
			t->state = T_WAIT;
		if (t->state == T_REDO) {
			redo_step(e, t, now);
			if (t->state == T_REDO && t->last_cost + REDO_NS < due)
				due = t->last_cost + REDO_NS > now ?
				      t->last_cost + REDO_NS : now + 1000000ULL;
		}
		if (t->state == T_WAIT && now >= t->end)
			judge_tgt(e, t);
		else if (t->state == T_WAIT && t->end < due)
			due = t->end;
		if (t->state == T_WALK && tool_stop)
			walks_kill(e, t);
		else if (t->state == T_WALK && walks_step(e, t, now, &due))
			finish_tgt(e, t);
	}
	e->rot++;
	return due;
}

/* Wait for packets or walk output until due (at most). */
static void
wait_io(struct eng *e, uint64_t now, uint64_t due)
{
	struct pollfd pf[1 + SV_WALKS];
	struct tgt *who[1 + SV_WALKS];
	int kk[1 + SV_WALKS], n = 1, i, k, ms;
	unsigned j;

	pf[0].fd = pcap_get_selectable_fd(e->cap);
	pf[0].events = POLLIN;
	for (j = 0; j < e->win && n < 1 + SV_WALKS; j++)
		for (k = 0; k < 3 && n < 1 + SV_WALKS; k++)
			if (e->t[j].state == T_WALK &&
			    e->t[j].wk[k].state == W_RUN) {
				pf[n].fd = e->t[j].wk[k].fd;
				pf[n].events = POLLIN;
				who[n] = &e->t[j];
				kk[n++] = k;
			}
	ms = due > now ? (int)((due - now + 999999) / 1000000) : 0;
	if (ms > 200)
		ms = 200;
	if (poll(pf, (nfds_t)n, ms) <= 0)
		return;
	if (pf[0].revents)
		pcap_dispatch(e->cap, -1, on_packet, (u_char *)e);
	for (i = 1; i < n; i++)
		if (pf[i].revents)
			walk_read(e, who[i], kk[i]);
}

static void
progress(struct eng *e, uint64_t now, int last)
{
	double s = (double)(now - e->t_start) / 1e9, eta;
	unsigned long seen = e->ndone + e->nexcl + e->nskip;

	if (!e->progress || (!last && now - e->prog_t < 500000000ULL))
		return;
	e->prog_t = now;
	fprintf(stderr, "\rhdp survey: %lu", e->ndone);
	if (e->total >= 0)
		fprintf(stderr, "/%ld", e->total);
	fprintf(stderr, " targets, %u in flight, %.0f pps", e->inflight,
		s > 0 ? e->npkts / s : 0.0);
	if (e->total > 0 && seen > 0 && (long)seen < e->total) {
		eta = s / (double)seen * (double)(e->total - (long)seen);
		fprintf(stderr, ", ETA %dm%02ds", (int)eta / 60,
			(int)eta % 60);
	}
	fprintf(stderr, "\033[K");
	if (last)
		fputc('\n', stderr);
}

static void
run_loop(struct eng *e)
{
	uint64_t now, due;

	e->t_start = hdp_mono_ns();
	e->gtok_t = e->t_start;
	for (;;) {
		now = hdp_mono_ns();
		if (tool_stop && e->stop_t == 0) {
			e->stop_t = now;
			if (e->progress)
				fputc('\n', stderr);
		}
		due = step_slots(e, now);
		if ((e->eof || tool_stop) && e->inflight == 0)
			break;
		progress(e, now, 0);
		wait_io(e, hdp_mono_ns(), due);
	}
	if (!tool_stop)
		progress(e, hdp_mono_ns(), 1);
}

/* ---- opening ------------------------------------------------------------- */

/* Senders for the families the targets may have: both, unless -4/-6.
 * A family with no route at all still opens (its targets say no_route). */
static int
open_senders(struct eng *e)
{
	static const int fams[2] = { AF_INET, AF_INET6 };
	char err[512];
	int f, k, perm = 0;

	for (f = 0; f < 2; f++) {
		if (e->o->family != AF_UNSPEC && e->o->family != fams[f])
			continue;
		for (k = 0; k < SK_N; k++) {
			if (!e->kinds[k])
				continue;
			e->tx[f][k] = hdp_tx_open(HDP_TX_RAW, fams[f], NULL,
						  &perm, err, sizeof(err));
			if (e->tx[f][k] == NULL) {
				if (perm)
					tool_err("%s; raw sockets need root or "
						 "CAP_NET_RAW", err);
				else
					tool_err("%s", err);
				return perm ? HDP_EXIT_PERM : HDP_EXIT_ENV;
			}
			hdp_tx_rx_filter(e->tx[f][k]);
		}
	}
	return HDP_EXIT_OK;
}

/* The capture of the answers: ICMP errors, echo replies, TCP, and the
 * bare protocols (an HDP echo). */
static int
open_capture(struct eng *e)
{
	struct hdp_cap_opts co;
	char filter[256], err[PCAP_ERRBUF_SIZE + 256];

	memset(&co, 0, sizeof(co));
	co.ifname = "any";
	co.snaplen = 1024;
	co.immediate = 1;
	co.buffer_kb = 8192;
	e->cap = hdp_cap_open_live(&co, err, sizeof(err));
	if (e->cap == NULL) {
		tool_err("%s", err);
		return tool_cap_status(err);
	}
	tool_cap_warn(err);
	e->dlt = pcap_datalink(e->cap);
	/* TCP from the probed port only: not an ssh session's traffic */
	snprintf(filter, sizeof(filter), "icmp or icmp6 or "
		 "(tcp and src port %u) or ip proto %u or ip6 proto %u or "
		 "ip proto 253 or ip proto 254 or ip6 proto 253 or "
		 "ip6 proto 254", e->o->tcp_port, e->o->hdp_proto,
		 e->o->hdp_proto);
	if (hdp_cap_set_filter(e->cap, filter, err, sizeof(err)) != 0 ||
	    pcap_setnonblock(e->cap, 1, err) != 0) {
		tool_err("%s", err);
		return HDP_EXIT_ENV;
	}
	return HDP_EXIT_OK;
}

static int
open_eng(struct eng *e)
{
	uint32_t r = (uint32_t)(hdp_now_ns() ^ ((uint64_t)getpid() << 16));
	int rc, k;

	for (k = 0; k < SK_N; k++)
		e->kinds[k] = 1;
	/* -P 253 or 254 is that control itself */
	if (e->o->hdp_proto == 253)
		e->kinds[SK_253] = 0;
	if (e->o->hdp_proto == 254)
		e->kinds[SK_254] = 0;
	e->hdp_sport = (uint16_t)(0x8000 + (r & 0x3ff0));
	e->udp_sport = (uint16_t)(0xc000 + ((r >> 8) & 0x0fff));
	e->tcp_sport = (uint16_t)(0xd000 + ((r >> 12) & 0x0ff0));
	e->icmp_id = (uint16_t)(r >> 3);
	e->id_base = (uint16_t)(r >> 11);
	e->seq_base = r * 2654435761u;
	e->gcap = e->o->rate / 10 > SK_N ? e->o->rate / 10 : SK_N;
	e->gtok = e->gcap;
	e->win = window_size(e);
	e->t = calloc(e->win, sizeof(*e->t));
	e->seen = sv_aset_new();
	for (e->idx_mask = 1; e->idx_mask < 2 * e->win; e->idx_mask <<= 1)
		;
	e->idx = malloc(e->idx_mask * sizeof(*e->idx));
	if (e->idx != NULL)
		memset(e->idx, 0xff, e->idx_mask * sizeof(*e->idx));
	e->idx_mask--;
	if (e->t == NULL || e->idx == NULL || e->seen == NULL) {
		tool_err("out of memory");
		return HDP_EXIT_ENV;
	}
	if ((rc = open_senders(e)) != HDP_EXIT_OK ||
	    (rc = open_capture(e)) != HDP_EXIT_OK)
		return rc;
	e->progress = !e->o->quiet && !e->o->child && isatty(STDERR_FILENO);
	return HDP_EXIT_OK;
}

static void
close_eng(struct eng *e)
{
	int f, k;

	for (f = 0; f < 2; f++)
		for (k = 0; k < SK_N; k++)
			if (e->tx[f][k] != NULL)
				hdp_tx_close(e->tx[f][k]);
	if (e->cap != NULL)
		pcap_close(e->cap);
	free(e->t);
	free(e->idx);
	sv_aset_free(e->seen);
	sv_tsrc_close(e->src);
	sv_excl_free(e->excl);
}

/* Answers the kernel dropped before our capture read them (its buffer
 * full: a --rate too high for this host) are misses no path caused: the
 * categories of the targets in flight then may be wrong.  Said, and
 * recorded in the vantage record's error; 1 when there were some. */
static int
capture_drops(struct eng *e, char *why, size_t len)
{
	struct pcap_stat st;

	if (e->cap == NULL || pcap_stats(e->cap, &st) != 0 || st.ps_drop == 0)
		return 0;
	snprintf(why, len, "the capture dropped %u packets (a lower --rate "
		 "avoids it): categories may be wrong", st.ps_drop);
	tool_err("%s", why);
	return 1;
}

int
sv_run_local(const struct sv_opts *o, struct sv_out *w)
{
	struct eng e;
	char kernel[128], why[128];
	int rc, drops;

	memset(&e, 0, sizeof(e));
	e.o = o;
	e.w = w;
	e.done = sv_out_done(w, o->vantage);
	if ((e.src = sv_tsrc_open(o, &rc)) == NULL)
		goto out;
	e.total = sv_tsrc_total(e.src);
	if (o->exclude != NULL &&
	    (e.excl = sv_excl_open(o->exclude, &rc)) == NULL)
		goto out;
	if ((rc = open_eng(&e)) != HDP_EXIT_OK)
		goto out;
	run_loop(&e);
	sv_uname(kernel, sizeof(kernel));
	drops = capture_drops(&e, why, sizeof(why));
	sv_out_vantage(w, o->vantage, kernel, e.addr4, e.addr6,
		       drops ? why : NULL);
	sv_out_excluded(w, o->vantage, e.nexcl);
	sv_out_skipped(w, o->vantage, e.nskip);
	rc = e.bad_input ? HDP_EXIT_USAGE : HDP_EXIT_OK;
	if (drops && rc == HDP_EXIT_OK)
		rc = HDP_EXIT_FAIL;
	if (e.nfail) {
		tool_err("%lu probes could not be sent", e.nfail);
		if (rc == HDP_EXIT_OK)
			rc = HDP_EXIT_FAIL;
	}
out:
	close_eng(&e);
	return rc;
}
