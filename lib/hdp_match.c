/*
 * hdp_match.c: packet identity keys, an intrusive hash table, and ICMP
 * error quotes (see hdp_match.h).
 *
 * Every packet byte is read after a check against the captured length:
 * the decoder (hdp_decode_frame) gives the offsets and l4_caplen, and the
 * few transport fields read here are read only when they lie inside it.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "hdp_match.h"

#define PROTO_ICMP    1
#define PROTO_TCP     6
#define PROTO_UDP     17
#define PROTO_ICMPV6  58

uint64_t
hdp_fnv1a(uint64_t h, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* splitmix64's finaliser: spreads the bits of a 64-bit value. */
static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* ---- keys --------------------------------------------------------------- */

/* The payload's hash and length from offset off (inside the transport). */
static void
key_payload(const struct hdp_frame *f, const uint8_t *pkt, size_t off,
	    uint64_t seed, struct hdp_key *k)
{
	size_t have = f->l4_caplen > off ? f->l4_caplen - off : 0;

	k->plen = f->l4_len > off ? (uint32_t)(f->l4_len - off) : 0;
	k->pcomplete = have >= k->plen;
	k->phash = hdp_fnv1a(seed, pkt + f->l4_off + off, have);
}

int
hdp_key_from_frame(const struct hdp_frame *f, const uint8_t *pkt,
		   size_t caplen, struct hdp_key *k)
{
	const uint8_t *l4;
	size_t n;

	memset(k, 0, sizeof(*k));
	if (f->ip_version == 0 || f->l4_off == 0 ||
	    f->status == HDP_ST_MALFORMED || f->status == HDP_ST_UNSUPPORTED)
		return -1;
	if (f->is_fragment && f->frag_off != 0)
		return -1;
	if (f->l4_off > caplen || f->l4_caplen > caplen - f->l4_off)
		return -1;
	l4 = pkt + f->l4_off;
	n = f->l4_caplen;
	k->proto = f->proto;

	switch (f->proto) {
	case HDP_PROTO:
		if (!f->has_hdp)
			return -1;
		k->sport = f->hdp.sport;
		k->dport = f->hdp.dport;
		k->ts_ns = f->hdp.ts_ns;
		k->has_ts = 1;
		key_payload(f, pkt, HDP_HDR_LEN, HDP_FNV_INIT, k);
		return 0;
	case PROTO_UDP:
		if (n < 8)
			return -1;
		k->sport = hdp_rd16(l4);
		k->dport = hdp_rd16(l4 + 2);
		key_payload(f, pkt, 8, HDP_FNV_INIT, k);
		return 0;
	case PROTO_TCP: {
		size_t doff;

		if (n < 20)
			return -1;
		k->sport = hdp_rd16(l4);
		k->dport = hdp_rd16(l4 + 2);
		/* the sequence number tells SYNs without payload apart */
		k->ts_ns = hdp_rd32(l4 + 4);
		doff = (size_t)(l4[12] >> 4) * 4;
		if (doff < 20)
			return -1;
		key_payload(f, pkt, doff, mix64(k->ts_ns), k);
		return 0;
	}
	case PROTO_ICMP:
	case PROTO_ICMPV6:
		if (n < 8)
			return -1;
		if ((f->proto == PROTO_ICMP && (l4[0] == 8 || l4[0] == 0)) ||
		    (f->proto == PROTO_ICMPV6 && (l4[0] == 128 ||
						  l4[0] == 129))) {
			k->sport = hdp_rd16(l4 + 4);	/* echo id  */
			k->dport = hdp_rd16(l4 + 6);	/* echo seq */
			key_payload(f, pkt, 8, mix64(l4[0]), k);
			return 0;
		}
		key_payload(f, pkt, 0, HDP_FNV_INIT, k);
		return 0;
	default:
		key_payload(f, pkt, 0, HDP_FNV_INIT, k);
		return 0;
	}
}

/* ---- keyed hashes ------------------------------------------------------- */

uint64_t
hdp_key_anchor_hash(const struct hdp_key *k, const struct hdp_hsecret *s)
{
	uint64_t w[2];

	if (k->has_ts) {
		w[0] = k->ts_ns;
		w[1] = (uint64_t)k->proto << 8 | 1;
	} else {
		w[0] = k->phash;
		w[1] = (uint64_t)k->proto << 8 | (uint64_t)k->plen << 32;
	}
	return hdp_siphash_u64(s, w, 2);
}

uint64_t
hdp_key_hash(const struct hdp_key *k, const struct hdp_hsecret *s)
{
	uint64_t w[4];

	w[0] = k->ts_ns;
	w[1] = k->phash;
	w[2] = (uint64_t)k->proto | (uint64_t)k->has_ts << 8 |
	       (uint64_t)k->sport << 16 | (uint64_t)k->dport << 32;
	w[3] = k->plen;
	return hdp_siphash_u64(s, w, 4);
}

int
hdp_key_anchor_equal(const struct hdp_key *a, const struct hdp_key *b)
{
	if (a->proto != b->proto || a->has_ts != b->has_ts)
		return 0;
	if (a->has_ts)
		return a->ts_ns == b->ts_ns;
	return a->phash == b->phash && a->plen == b->plen;
}

int
hdp_key_equal(const struct hdp_key *a, const struct hdp_key *b)
{
	return a->proto == b->proto && a->has_ts == b->has_ts &&
	       a->sport == b->sport && a->dport == b->dport &&
	       a->ts_ns == b->ts_ns && a->phash == b->phash &&
	       a->plen == b->plen;
}

/* ---- hash table --------------------------------------------------------- */

int
hdp_ktab_init(struct hdp_ktab *t, size_t hint)
{
	size_t nb = 64;

	while (nb < hint && nb < ((size_t)1 << 30))
		nb <<= 1;
	t->n = 0;
	t->nb = nb;
	t->b = calloc(nb, sizeof(*t->b));
	return t->b == NULL ? -1 : 0;
}

static void
ktab_grow(struct hdp_ktab *t)
{
	size_t nb = t->nb * 2, i;
	struct hdp_kent **b, *e, *next;

	b = calloc(nb, sizeof(*b));
	if (b == NULL)
		return;		/* longer chains, still correct */
	for (i = 0; i < t->nb; i++) {
		for (e = t->b[i]; e != NULL; e = next) {
			next = e->hnext;
			e->hnext = b[e->hash & (nb - 1)];
			b[e->hash & (nb - 1)] = e;
		}
	}
	free(t->b);
	t->b = b;
	t->nb = nb;
}

void
hdp_ktab_insert(struct hdp_ktab *t, struct hdp_kent *e, uint64_t hash)
{
	struct hdp_kent **head;

	if (t->n >= t->nb && t->nb < ((size_t)1 << 30))
		ktab_grow(t);
	e->hash = hash;
	head = &t->b[hash & (t->nb - 1)];
	e->hnext = *head;
	*head = e;
	t->n++;
}

struct hdp_kent *
hdp_ktab_first(const struct hdp_ktab *t, uint64_t hash)
{
	struct hdp_kent *e;

	for (e = t->b[hash & (t->nb - 1)]; e != NULL; e = e->hnext)
		if (e->hash == hash)
			return e;
	return NULL;
}

struct hdp_kent *
hdp_ktab_next(const struct hdp_kent *e)
{
	uint64_t hash = e->hash;

	for (e = e->hnext; e != NULL; e = e->hnext)
		if (e->hash == hash)
			return (struct hdp_kent *)e;
	return NULL;
}

void
hdp_ktab_remove(struct hdp_ktab *t, struct hdp_kent *e)
{
	struct hdp_kent **pp = &t->b[e->hash & (t->nb - 1)];

	for (; *pp != NULL; pp = &(*pp)->hnext) {
		if (*pp == e) {
			*pp = e->hnext;
			e->hnext = NULL;
			t->n--;
			return;
		}
	}
}

void
hdp_ktab_free(struct hdp_ktab *t)
{
	free(t->b);
	t->b = NULL;
	t->nb = t->n = 0;
}

/* ---- ICMP errors -------------------------------------------------------- */

static enum hdp_icmp_kind
icmp_kind(int v6, uint8_t type)
{
	if (!v6) {
		switch (type) {
		case 3:  return HDP_ICMP_UNREACH;
		case 11: return HDP_ICMP_TIME_EXCEEDED;
		case 12: return HDP_ICMP_PARAM;
		default: return HDP_ICMP_NOT_ERROR;
		}
	}
	switch (type) {
	case 1:  return HDP_ICMP_UNREACH;
	case 2:  return HDP_ICMP_TOO_BIG;
	case 3:  return HDP_ICMP_TIME_EXCEEDED;
	case 4:  return HDP_ICMP_PARAM;
	default: return HDP_ICMP_NOT_ERROR;
	}
}

int
hdp_icmp_error_parse(const struct hdp_frame *f, const uint8_t *pkt,
		     size_t caplen, struct hdp_icmp_err *e)
{
	const uint8_t *l4;
	size_t n;
	int v6;

	memset(e, 0, sizeof(*e));
	if (f->ip_version == 0 || f->l4_off == 0 || f->is_fragment)
		return -1;
	if (f->status == HDP_ST_MALFORMED || f->status == HDP_ST_UNSUPPORTED)
		return -1;
	v6 = f->ip_version == 6;
	if (f->proto != (v6 ? PROTO_ICMPV6 : PROTO_ICMP))
		return -1;
	if (f->l4_off > caplen || f->l4_caplen > caplen - f->l4_off)
		return -1;
	l4 = pkt + f->l4_off;
	n = f->l4_caplen;
	if (n < 8)
		return -1;
	e->type = l4[0];
	e->code = l4[1];
	e->kind = icmp_kind(v6, e->type);
	if (e->kind == HDP_ICMP_NOT_ERROR)
		return -1;
	e->info = hdp_rd32(l4 + 4);
	e->quote = l4 + 8;
	e->quote_len = n - 8;
	if (e->quote_len < (v6 ? 40u : 20u))
		return -1;
	/*
	 * The quote is a datagram cut short on purpose; tell the decoder
	 * the frame was long on the wire, so a short quote decodes as
	 * truncated (fields present are kept) rather than malformed.
	 */
	hdp_decode_ip(e->quote, e->quote_len, (size_t)0x20000, &e->inner);
	if (e->inner.ip_version != (v6 ? 6 : 4) || e->inner.l4_off == 0)
		return -1;
	if (e->inner.l4_off <= e->quote_len) {
		e->l4 = e->quote + e->inner.l4_off;
		e->l4_len = e->quote_len - e->inner.l4_off;
		if (e->l4_len > e->inner.l4_len)
			e->l4_len = e->inner.l4_len;
	}
	return 0;
}

struct icmp_name {
	int      v6;
	int      type;	/* -1: end */
	int      code;	/* -1: any */
	const char *name;
};

static const struct icmp_name icmp_names[] = {
	{ 0, 11, -1, "time-exceeded" },
	{ 0, 3, 0, "net-unreachable" },
	{ 0, 3, 1, "host-unreachable" },
	{ 0, 3, 2, "proto-unreachable" },
	{ 0, 3, 3, "port-unreachable" },
	{ 0, 3, 4, "frag-needed" },
	{ 0, 3, 9, "net-prohibited" },
	{ 0, 3, 10, "host-prohibited" },
	{ 0, 3, 13, "admin-prohibited" },
	{ 0, 3, -1, "unreachable" },
	{ 0, 12, -1, "parameter-problem" },
	{ 1, 3, -1, "time-exceeded" },
	{ 1, 1, 0, "no-route" },
	{ 1, 1, 1, "admin-prohibited" },
	{ 1, 1, 3, "addr-unreachable" },
	{ 1, 1, 4, "port-unreachable" },
	{ 1, 1, 5, "policy-failed" },
	{ 1, 1, 6, "reject-route" },
	{ 1, 1, -1, "unreachable" },
	{ 1, 2, -1, "packet-too-big" },
	{ 1, 4, 1, "proto-unreachable" },	/* unrecognized next header */
	{ 1, 4, -1, "parameter-problem" },
	{ 0, -1, -1, NULL }
};

const char *
hdp_icmp_err_name(int family, uint8_t type, uint8_t code)
{
	const struct icmp_name *n;
	int v6 = family == AF_INET6;

	for (n = icmp_names; n->type != -1; n++)
		if (n->v6 == v6 && n->type == type &&
		    (n->code == -1 || n->code == code))
			return n->name;
	return "icmp-error";
}
