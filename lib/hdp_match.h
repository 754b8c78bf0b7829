/*
 * hdp_match.h: recognising the same packet at different points of a path,
 * and reading the packet an ICMP error quotes.
 *
 * A packet's identity is made of the fields a middlebox leaves alone: the
 * protocol, the ports, the HDP timestamp and a hash of the payload.  A NAT
 * rewrites addresses (and, for UDP and TCP, maybe ports); a router rewrites
 * the TTL, a marker the TOS; none of them touches the HDP timestamp.  So
 * packets are found again by an anchor (protocol plus timestamp, or
 * protocol plus payload hash when there is no timestamp) and then compared
 * field by field.
 *
 * The hash table is intrusive: callers embed struct hdp_kent at the start
 * of their own entries, so one allocation per packet, and remove entries
 * as soon as they are done with them (hdp where keeps a sliding window,
 * hdp trace one entry per probe).
 */
#ifndef HDP_MATCH_H
#define HDP_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include <hdp/hdp.h>
#include "hdp_siphash.h"

/* Big-endian reads from bytes the caller has checked are captured. */
static inline uint16_t
hdp_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
hdp_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* ---- packet identity --------------------------------------------------- */

struct hdp_key {
	uint8_t  proto;
	uint8_t  has_ts;      /* ts_ns is an HDP timestamp                   */
	uint8_t  pcomplete;   /* the whole payload was captured              */
	uint16_t sport, dport;/* HDP/UDP/TCP ports; ICMP echo id and seq     */
	uint64_t ts_ns;       /* HDP timestamp; for TCP the sequence number  */
	uint64_t phash;       /* FNV-1a of the payload bytes captured        */
	uint32_t plen;        /* payload length the IP header claims         */
};

/*
 * The key of a decoded frame (pkt/caplen as given to hdp_decode_frame).
 * Returns 0, or -1 when the frame has no transport header to key on
 * (not IP, a fragment after the first, a header cut by the capture).
 */
int hdp_key_from_frame(const struct hdp_frame *f, const uint8_t *pkt,
		       size_t caplen, struct hdp_key *k);

/* The hashes below are SipHash-2-4 under a per-run secret (hdp_siphash.h):
 * timestamps come from the network and from files. */
/* The hash of the anchor: protocol and timestamp when there is one,
 * protocol and payload hash otherwise.  Equal anchors, equal hashes. */
uint64_t hdp_key_anchor_hash(const struct hdp_key *k,
			     const struct hdp_hsecret *s);
/* The hash of the whole key.  Equal keys (hdp_key_equal), equal hashes. */
uint64_t hdp_key_hash(const struct hdp_key *k, const struct hdp_hsecret *s);
/* 1 when a and b have the same anchor. */
int hdp_key_anchor_equal(const struct hdp_key *a, const struct hdp_key *b);
/* 1 when every field of the key is equal (protocol, ports, timestamp,
 * payload hash and length). */
int hdp_key_equal(const struct hdp_key *a, const struct hdp_key *b);

/* FNV-1a, 64 bits, continuing from h (start with HDP_FNV_INIT). */
#define HDP_FNV_INIT 0xcbf29ce484222325ULL
uint64_t hdp_fnv1a(uint64_t h, const uint8_t *p, size_t n);

/* ---- intrusive hash table ---------------------------------------------- */

struct hdp_kent {
	struct hdp_kent *hnext;
	uint64_t hash;
};

struct hdp_ktab {
	struct hdp_kent **b;
	size_t nb;            /* buckets, a power of two */
	size_t n;             /* entries                 */
};

/* 0, or -1 when out of memory. */
int  hdp_ktab_init(struct hdp_ktab *t, size_t hint);
/* Insert e under hash (grows the table; when growing fails the table
 * keeps working, only slower). */
void hdp_ktab_insert(struct hdp_ktab *t, struct hdp_kent *e, uint64_t hash);
/* The first entry with this hash, then the next one after e. */
struct hdp_kent *hdp_ktab_first(const struct hdp_ktab *t, uint64_t hash);
struct hdp_kent *hdp_ktab_next(const struct hdp_kent *e);
/* Unlink e (which must be in t). */
void hdp_ktab_remove(struct hdp_ktab *t, struct hdp_kent *e);
/* Free the buckets; entries belong to the caller. */
void hdp_ktab_free(struct hdp_ktab *t);

/* ---- ICMP and ICMPv6 errors --------------------------------------------- */

enum hdp_icmp_kind {
	HDP_ICMP_NOT_ERROR = 0,
	HDP_ICMP_TIME_EXCEEDED,  /* v4 type 11, v6 type 3                     */
	HDP_ICMP_UNREACH,        /* v4 type 3, v6 type 1                      */
	HDP_ICMP_PARAM,          /* v4 type 12, v6 type 4                     */
	HDP_ICMP_TOO_BIG         /* v6 type 2 (v4 uses unreach code 4)        */
};

struct hdp_icmp_err {
	enum hdp_icmp_kind kind;
	uint8_t  type, code;
	uint32_t info;           /* v6 MTU or pointer; v4 next-hop MTU        */
	const uint8_t *quote;    /* the quoted datagram, inside pkt           */
	size_t   quote_len;      /* bytes of it captured                      */
	struct hdp_frame inner;  /* the quote decoded (status TRUNCATED is    */
				 /* normal: routers quote part of a packet)   */
	const uint8_t *l4;       /* the quoted transport header, or NULL      */
	size_t   l4_len;         /* bytes of it in the quote                  */
};

/*
 * When the decoded frame f is an ICMP or ICMPv6 error that quotes at
 * least an IP header, fill *e and return 0; otherwise return -1.  Every
 * read is bounded by caplen; the quote is decoded with hdp_decode_ip.
 */
int hdp_icmp_error_parse(const struct hdp_frame *f, const uint8_t *pkt,
			 size_t caplen, struct hdp_icmp_err *e);

/* "time-exceeded", "proto-unreachable", "port-unreachable",
 * "admin-prohibited", ... for an error (kind, type, code, family). */
const char *hdp_icmp_err_name(int family, uint8_t type, uint8_t code);

#endif /* HDP_MATCH_H */
