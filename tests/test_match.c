/*
 * test_match.c: unit tests of hdp_match.h: packet identity keys (what a
 * NAT, a router and a snaplen change and do not change), the intrusive
 * hash table, and ICMP/ICMPv6 error quotes cut at every length.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <hdp/hdp.h>
#include "hdp_match.h"
#include "unit.h"

/* An IPv4 datagram of protocol proto carrying l4 (n bytes); returns its
 * length. */
static size_t
mk_ip4(uint8_t *b, const char *src, const char *dst, uint8_t ttl,
       uint8_t proto, const uint8_t *l4, size_t n)
{
	memset(b, 0, 20);
	b[0] = 0x45;
	b[2] = (uint8_t)((20 + n) >> 8);
	b[3] = (uint8_t)(20 + n);
	b[4] = 0x12;
	b[5] = 0x34;
	b[8] = ttl;
	b[9] = proto;
	inet_pton(AF_INET, src, b + 12);
	inet_pton(AF_INET, dst, b + 16);
	memcpy(b + 20, l4, n);
	return 20 + n;
}

static size_t
mk_ip6(uint8_t *b, const char *src, const char *dst, uint8_t hlim,
       uint8_t nh, const uint8_t *l4, size_t n)
{
	memset(b, 0, 40);
	b[0] = 0x60;
	b[4] = (uint8_t)(n >> 8);
	b[5] = (uint8_t)n;
	b[6] = nh;
	b[7] = hlim;
	inet_pton(AF_INET6, src, b + 8);
	inet_pton(AF_INET6, dst, b + 24);
	memcpy(b + 40, l4, n);
	return 40 + n;
}

static size_t
mk_hdp(uint8_t *b, uint16_t sp, uint16_t dp, uint64_t ts, const char *pl)
{
	struct hdp_hdr h = { sp, dp, ts };

	hdp_hdr_encode(&h, b, HDP_HDR_LEN);
	memcpy(b + HDP_HDR_LEN, pl, strlen(pl));
	return HDP_HDR_LEN + strlen(pl);
}

static int
key_of(const uint8_t *pkt, size_t caplen, size_t wirelen, struct hdp_key *k)
{
	struct hdp_frame f;

	hdp_decode_ip(pkt, caplen, wirelen, &f);
	return hdp_key_from_frame(&f, pkt, caplen, k);
}

static void
test_keys(void)
{
	uint8_t l4[64], a[128], b[128];
	struct hdp_key ka, kb;
	struct hdp_hsecret sec;
	size_t n, la, lb;

	n = mk_hdp(l4, 420, 421, 1763900000123456789ULL, "hello, path");
	la = mk_ip4(a, "10.0.1.2", "10.0.3.2", 64, 255, l4, n);
	CHECK(key_of(a, la, la, &ka) == 0);
	CHECK(ka.proto == 255 && ka.has_ts && ka.sport == 420 &&
	      ka.dport == 421 && ka.ts_ns == 1763900000123456789ULL);
	CHECK(ka.plen == 11 && ka.pcomplete);

	/* a NAT and a router: other source, lower TTL, the same packet */
	lb = mk_ip4(b, "10.0.2.1", "10.0.3.2", 63, 255, l4, n);
	CHECK(key_of(b, lb, lb, &kb) == 0);
	CHECK(hdp_key_equal(&ka, &kb));
	hdp_hsecret_init(&sec);
	CHECK(hdp_key_anchor_hash(&ka, &sec) == hdp_key_anchor_hash(&kb, &sec));
	CHECK(hdp_key_hash(&ka, &sec) == hdp_key_hash(&kb, &sec));

	/* cut by a snaplen: the anchor holds, the payload is incomplete */
	CHECK(key_of(b, lb - 4, lb, &kb) == 0);
	CHECK(!kb.pcomplete && hdp_key_anchor_equal(&ka, &kb));
	CHECK(!hdp_key_equal(&ka, &kb));

	/* payload rewritten: same anchor, another key */
	b[lb - 1] ^= 1;
	CHECK(key_of(b, lb, lb, &kb) == 0);
	CHECK(hdp_key_anchor_equal(&ka, &kb) && !hdp_key_equal(&ka, &kb));

	/* another timestamp: another packet */
	n = mk_hdp(l4, 420, 421, 1763900000123456790ULL, "hello, path");
	lb = mk_ip4(b, "10.0.1.2", "10.0.3.2", 64, 255, l4, n);
	CHECK(key_of(b, lb, lb, &kb) == 0);
	CHECK(!hdp_key_anchor_equal(&ka, &kb));

	/* the HDP header cut: no key */
	CHECK(key_of(a, 20 + 8, la, &ka) == -1);

	/* UDP: ports and payload; no timestamp, so the payload anchors */
	memcpy(l4, "\x01\x02\x00\x35\x00\x0c\x00\x00" "abcd", 12);
	la = mk_ip4(a, "10.0.1.2", "10.0.3.2", 64, 17, l4, 12);
	lb = mk_ip4(b, "10.0.2.1", "10.0.3.2", 63, 17, l4, 12);
	b[20] = 0x7f;	/* NAT changed the source port */
	CHECK(key_of(a, la, la, &ka) == 0 && key_of(b, lb, lb, &kb) == 0);
	CHECK(!ka.has_ts && ka.sport == 0x0102 && ka.dport == 53);
	CHECK(hdp_key_anchor_equal(&ka, &kb) && !hdp_key_equal(&ka, &kb));

	/* TCP SYNs without payload differ by sequence number */
	memset(l4, 0, 20);
	l4[1] = 80;
	l4[3] = 81;
	l4[7] = 1;
	l4[12] = 0x50;
	l4[13] = 0x02;
	la = mk_ip4(a, "10.0.1.2", "10.0.3.2", 64, 6, l4, 20);
	l4[7] = 2;
	lb = mk_ip4(b, "10.0.1.2", "10.0.3.2", 64, 6, l4, 20);
	CHECK(key_of(a, la, la, &ka) == 0 && key_of(b, lb, lb, &kb) == 0);
	CHECK(!hdp_key_anchor_equal(&ka, &kb));

	/* IPv6 */
	n = mk_hdp(l4, 420, 420, 42, "v6");
	la = mk_ip6(a, "fd00:1::2", "fd00:3::2", 64, 255, l4, n);
	CHECK(key_of(a, la, la, &ka) == 0 && ka.ts_ns == 42 && ka.plen == 2);
}

/* SipHash-2-4, the library's one keyed hash (where, sweep --join, the
 * echo responder's rate limiter): the reference vectors (key 00..0f,
 * messages 00.. of 0, 1, 8 and 15 bytes, the last the paper's example),
 * the word form equal to the byte form, and two secrets giving two
 * hashes of one key. */
static void
test_siphash(void)
{
	struct hdp_hsecret ref = { 0x0706050403020100ULL,
				   0x0f0e0d0c0b0a0908ULL }, a, b;
	uint64_t m = 0x0706050403020100ULL, w[2];
	uint8_t msg[16];
	struct hdp_key k;
	size_t i;

	CHECK(hdp_siphash_u64(&ref, &m, 0) == 0x726fdb47dd0e0e31ULL);
	CHECK(hdp_siphash_u64(&ref, &m, 1) == 0x93f5f5799a932462ULL);
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	CHECK(hdp_siphash(&ref, msg, 0) == 0x726fdb47dd0e0e31ULL);
	CHECK(hdp_siphash(&ref, msg, 1) == 0x74f839c593dc67fdULL);
	CHECK(hdp_siphash(&ref, msg, 8) == 0x93f5f5799a932462ULL);
	CHECK(hdp_siphash(&ref, msg, 15) == 0xa129ca6149be45e5ULL);
	w[0] = 0x0706050403020100ULL;
	w[1] = 0x0f0e0d0c0b0a0908ULL;
	CHECK(hdp_siphash_u64(&ref, w, 2) == hdp_siphash(&ref, msg, 16));
	memset(&k, 0, sizeof(k));
	k.proto = 255;
	k.has_ts = 1;
	k.ts_ns = 42;
	hdp_hsecret_init(&a);
	hdp_hsecret_init(&b);
	CHECK(a.k0 != b.k0 || a.k1 != b.k1);
	CHECK(hdp_key_anchor_hash(&k, &a) != hdp_key_anchor_hash(&k, &b));
}

static void
test_table(void)
{
	enum { N = 5000 };
	struct ent {
		struct hdp_kent kent;
		int v;
	} *e;
	struct hdp_ktab t;
	struct hdp_kent *x;
	int i, found, bad = 0;

	e = calloc(N, sizeof(*e));
	CHECK(e != NULL && hdp_ktab_init(&t, 16) == 0);
	if (e == NULL)
		return;
	for (i = 0; i < N; i++) {
		e[i].v = i;
		/* 8 entries share each hash: chains are walked */
		hdp_ktab_insert(&t, &e[i].kent, (uint64_t)(i / 8) * 7919);
	}
	CHECK(t.n == N && t.nb >= N);
	for (i = 0; i < N; i += 2)
		hdp_ktab_remove(&t, &e[i].kent);
	CHECK(t.n == N / 2);
	for (i = 0; i < N; i++) {
		found = 0;
		for (x = hdp_ktab_first(&t, (uint64_t)(i / 8) * 7919); x;
		     x = hdp_ktab_next(x))
			found |= ((struct ent *)x)->v == i;
		bad += found != (i % 2);
	}
	CHECK_MSG(bad == 0, "%d entries found wrongly", bad);
	hdp_ktab_free(&t);
	free(e);
}

static void
test_icmp(void)
{
	uint8_t l4[64], inner[128], icmp[256], pkt[512];
	struct hdp_frame f;
	struct hdp_icmp_err e;
	size_t n, ni, len, cut;
	int ok_at = -1;

	/* time exceeded quoting 20 + 8 bytes of an HDP datagram */
	n = mk_hdp(l4, 420, 421, 0x0123456789abcdefULL, "payload");
	ni = mk_ip4(inner, "10.0.1.2", "10.0.3.2", 1, 255, l4, n);
	memset(icmp, 0, 8);
	icmp[0] = 11;
	memcpy(icmp + 8, inner, 28);
	len = mk_ip4(pkt, "10.0.2.2", "10.0.1.2", 63, 1, icmp, 8 + 28);
	hdp_decode_ip(pkt, len, len, &f);
	CHECK(hdp_icmp_error_parse(&f, pkt, len, &e) == 0);
	CHECK(e.kind == HDP_ICMP_TIME_EXCEEDED && e.inner.proto == 255);
	CHECK(e.inner.ttl == 1 && e.inner.ip_id == 0x1234);
	CHECK(e.inner.ip_len == ni && e.l4 != NULL && e.l4_len == 8);
	CHECK(e.l4 && hdp_rd16(e.l4) == 420 && hdp_rd16(e.l4 + 2) == 421 &&
	      hdp_rd32(e.l4 + 4) == 0x01234567);
	CHECK(strcmp(hdp_icmp_err_name(AF_INET, 11, 0), "time-exceeded") == 0);

	/* every cut of the capture: no read past it, no quote under 20 */
	for (cut = 0; cut <= len; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);

		if (copy == NULL)
			break;
		memcpy(copy, pkt, cut);
		hdp_decode_ip(copy, cut, len, &f);
		if (hdp_icmp_error_parse(&f, copy, cut, &e) == 0 && ok_at < 0)
			ok_at = (int)cut;
		free(copy);
	}
	CHECK_MSG(ok_at == 20 + 8 + 20, "first parse at %d", ok_at);

	/* not an error: an echo request */
	icmp[0] = 8;
	len = mk_ip4(pkt, "10.0.1.2", "10.0.3.2", 64, 1, icmp, 8 + 28);
	hdp_decode_ip(pkt, len, len, &f);
	CHECK(hdp_icmp_error_parse(&f, pkt, len, &e) == -1);

	/* ICMPv6 parameter problem, unrecognised next header, whole quote */
	ni = mk_ip6(inner, "fd00:1::2", "fd00:3::2", 1, 255, l4, n);
	memset(icmp, 0, 8);
	icmp[0] = 4;
	icmp[1] = 1;
	icmp[7] = 6;
	memcpy(icmp + 8, inner, ni);
	len = mk_ip6(pkt, "fd00:3::2", "fd00:1::2", 62, 58, icmp, 8 + ni);
	hdp_decode_ip(pkt, len, len, &f);
	CHECK(hdp_icmp_error_parse(&f, pkt, len, &e) == 0);
	CHECK(e.kind == HDP_ICMP_PARAM && e.info == 6);
	CHECK(e.inner.has_hdp && e.inner.hdp.ts_ns == 0x0123456789abcdefULL);
	CHECK(e.l4_len == n);
	CHECK(strcmp(hdp_icmp_err_name(AF_INET6, 4, 1),
		     "proto-unreachable") == 0);
	CHECK(strcmp(hdp_icmp_err_name(AF_INET6, 1, 1),
		     "admin-prohibited") == 0);
	CHECK(strcmp(hdp_icmp_err_name(AF_INET, 3, 13),
		     "admin-prohibited") == 0);
}

int
main(void)
{
	test_keys();
	test_siphash();
	test_table();
	test_icmp();
	return unit_report("test_match");
}
