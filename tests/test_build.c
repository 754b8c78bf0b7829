/*
 * test_build.c: unit tests of frame building (hdp_build.c) without
 * privileges: HDP_TX_NONE builds with libnet and hands the bytes back.
 * Every frame is checked by our decoder and by recomputing checksums
 * independently of libnet (IPv4 header, UDP, TCP, ICMP, ICMPv6).
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <hdp/hdp.h>
#include "hdp_build.h"
#include "unit.h"

static const uint8_t msg[] = "payload!";

static struct hdp_tx *
open_none(int family)
{
	char err[256];
	int perm;
	struct hdp_tx *tx = hdp_tx_open(HDP_TX_NONE, family, NULL, &perm, err,
					sizeof(err));

	if (tx == NULL) {
		fprintf(stderr, "hdp_tx_open: %s\n", err);
		exit(99);
	}
	return tx;
}

static void
spec_init(struct hdp_pkt_spec *s, int family)
{
	memset(s, 0, sizeof(*s));
	s->family = family;
	s->has_src = 1;
	if (family == AF_INET) {
		inet_pton(AF_INET, "192.0.2.1", &s->src.v4);
		inet_pton(AF_INET, "192.0.2.2", &s->dst.v4);
	} else {
		inet_pton(AF_INET6, "2001:db8::1", &s->src.v6);
		inet_pton(AF_INET6, "2001:db8::2", &s->dst.v6);
	}
	s->proto = HDP_PROTO;
	s->l4 = HDP_L4_HDP;
	s->sport = 420;
	s->dport = 421;
	s->ttl = 33;
	s->tos = 0xb9;
	s->ip_id = 0x4242;
	s->flow_label = 0xabcde;
	s->payload = msg;
	s->payload_len = sizeof(msg) - 1;
}

/* Transport checksum over the pseudo header: 0 when correct. */
static uint16_t
l4_csum(const struct hdp_frame *f, const uint8_t *fr, uint8_t proto)
{
	uint8_t buf[70000];
	size_t n = 0, l4len = f->l4_len;

	if (f->ip_version == 4) {
		memcpy(buf, &f->src.v4, 4);
		memcpy(buf + 4, &f->dst.v4, 4);
		buf[8] = 0;
		buf[9] = proto;
		buf[10] = (uint8_t)(l4len >> 8);
		buf[11] = (uint8_t)l4len;
		n = 12;
	} else {
		memcpy(buf, &f->src.v6, 16);
		memcpy(buf + 16, &f->dst.v6, 16);
		memset(buf + 32, 0, 8);
		buf[34] = (uint8_t)(l4len >> 8);
		buf[35] = (uint8_t)l4len;
		buf[39] = proto;
		n = 40;
	}
	memcpy(buf + n, fr + f->l4_off, l4len);
	return hdp_inet_csum(buf, n + l4len);
}

static void
get(struct hdp_tx *tx, const uint8_t **fr, size_t *len, struct hdp_frame *f)
{
	int dlt;

	CHECK(hdp_tx_frame(tx, fr, len, &dlt) == 0);
	CHECK(dlt == 12 || dlt == 14);	/* DLT_RAW */
	CHECK_MSG(hdp_decode_ip(*fr, *len, *len, f) == HDP_ST_OK, "%s len %zu", f->err, *len);
}

static void
test_hdp(int family)
{
	struct hdp_tx *tx = open_none(family);
	struct hdp_pkt_spec s;
	struct hdp_tx_result r;
	struct hdp_frame f;
	const uint8_t *fr;
	size_t len;
	char err[256];
	uint64_t t0;

	spec_init(&s, family);
	CHECK_MSG(hdp_tx_build(tx, &s, err, sizeof(err)) == 0, "%s", err);
	t0 = hdp_now_ns();
	CHECK(hdp_tx_write(tx, &r) == 0 && r.ok);
	get(tx, &fr, &len, &f);
	CHECK(f.proto == HDP_PROTO && f.has_hdp);
	CHECK(f.hdp.sport == 420 && f.hdp.dport == 421);
	CHECK(f.hdp.ts_ns == r.hdp_ts_ns && r.hdp_ts_ns >= t0);
	CHECK(r.hdp_ts_ns < t0 + 1000000000ull);
	CHECK(f.ttl == 33 && f.tos == 0xb9);
	CHECK(f.payload_len == sizeof(msg) - 1);
	CHECK(memcmp(fr + f.payload_off, msg, sizeof(msg) - 1) == 0);
	CHECK(r.bytes == len);
	if (family == AF_INET) {
		CHECK(len == 20 + 12 + sizeof(msg) - 1);
		CHECK(f.ip_id == 0x4242 && !f.df && f.ip_csum_ok == 1);
	} else {
		CHECK(len == 40 + 12 + sizeof(msg) - 1);
		/* libnet 1.1.6 gets this word wrong; we correct it */
		CHECK_MSG(f.flow_label == 0xabcde, "flow 0x%x",
			  (unsigned)f.flow_label);
		CHECK(fr[0] == 0x6b && fr[1] == 0x9a);
	}

	/* pinned timestamp, DF, other fields: rebuilt in place */
	s.ts_ns = 0x0102030405060708ull;
	s.df = 1;
	s.ttl = 1;
	s.proto = 253;
	CHECK(hdp_tx_build(tx, &s, err, sizeof(err)) == 0);
	CHECK(hdp_tx_write(tx, &r) == 0);
	get(tx, &fr, &len, &f);
	CHECK(r.hdp_ts_ns == 0x0102030405060708ull);
	CHECK(f.proto == 253 && f.ttl == 1);	/* not decoded as HDP */
	CHECK(memcmp(fr + f.l4_off + 4, "\1\2\3\4\5\6\7\10", 8) == 0);
	if (family == AF_INET)
		CHECK(f.df && f.ip_csum_ok == 1);
	s.proto = HDP_PROTO;

	/* a larger payload after a small one, then none */
	{
		static uint8_t big[1400];

		memset(big, 'x', sizeof(big));
		s.payload = big;
		s.payload_len = sizeof(big);
		CHECK(hdp_tx_build(tx, &s, err, sizeof(err)) == 0);
		get(tx, &fr, &len, &f);
		CHECK(f.payload_len == sizeof(big));
		s.payload = NULL;
		s.payload_len = 0;
		CHECK(hdp_tx_build(tx, &s, err, sizeof(err)) == 0);
		get(tx, &fr, &len, &f);
		CHECK(f.payload_len == 0 && f.has_hdp);
	}

	/* hdp_tx_stamp */
	CHECK(hdp_tx_stamp(tx, 77) == 0);
	get(tx, &fr, &len, &f);
	CHECK(f.hdp.ts_ns == 77);

	/* the flood's method: at most its batch a call; a ring or a qdisc
	 * bypass is refused without a link-layer socket */
	{
		struct hdp_tx_method m = { 16, 0, 0 };

		CHECK(hdp_tx_set_method(tx, &m, err, sizeof(err)) == 0);
		CHECK(hdp_tx_flood(tx, 100, &r) == 16 && r.ok);
		CHECK(hdp_tx_flood(tx, 3, &r) == 3);
		m.ring = 1;
		CHECK(hdp_tx_set_method(tx, &m, err, sizeof(err)) == -1);
		m.batch = 0;
		m.ring = 0;
		CHECK(hdp_tx_set_method(tx, &m, err, sizeof(err)) == 0);
		CHECK(hdp_tx_flood(tx, 100000, &r) == HDP_TX_FLOOD_BATCH);
	}
	hdp_tx_close(tx);
}

static void
test_udp(int family)
{
	struct hdp_tx *tx = open_none(family);
	struct hdp_pkt_spec s;
	struct hdp_tx_result r;
	struct hdp_frame f;
	const uint8_t *fr;
	size_t len;
	char err[256];
	int i;

	spec_init(&s, family);
	s.l4 = HDP_L4_UDP;
	s.proto = IPPROTO_UDP;
	CHECK_MSG(hdp_tx_build(tx, &s, err, sizeof(err)) == 0, "%s", err);
	for (i = 0; i < 50; i++) {
		CHECK(hdp_tx_write(tx, &r) == 0);
		get(tx, &fr, &len, &f);
		CHECK(f.proto == IPPROTO_UDP && f.l4_len == 8 + 12 + 8);
		CHECK(fr[f.l4_off] == 0x01 && fr[f.l4_off + 1] == 0xa4);
		/* the timestamp was patched: the checksum must still hold */
		CHECK_MSG(l4_csum(&f, fr, IPPROTO_UDP) == 0, "udp csum %d", i);
		CHECK(fr[f.l4_off + 6] != 0 || fr[f.l4_off + 7] != 0);
		CHECK(hdp_tx_stamp(tx, (uint64_t)i * 0x0101010101010101ull)
		      == 0);
		get(tx, &fr, &len, &f);
		CHECK(l4_csum(&f, fr, IPPROTO_UDP) == 0);
	}
	/* switching L4 kinds on one sender */
	s.l4 = HDP_L4_HDP;
	s.proto = HDP_PROTO;
	CHECK(hdp_tx_build(tx, &s, err, sizeof(err)) == 0);
	get(tx, &fr, &len, &f);
	CHECK(f.proto == HDP_PROTO && f.has_hdp && f.hdp.sport == 420);
	s.l4 = HDP_L4_NONE;
	s.proto = 254;	/* 8 bare bytes would be a malformed HDP header */
	CHECK(hdp_tx_build(tx, &s, err, sizeof(err)) == 0);
	get(tx, &fr, &len, &f);
	CHECK(f.l4_len == sizeof(msg) - 1);
	CHECK(memcmp(fr + f.l4_off, msg, sizeof(msg) - 1) == 0);
	/* nothing after the IP header, then bytes again: the data block
	 * comes and goes without landing in front of the headers */
	s.payload_len = 0;
	CHECK(hdp_tx_build(tx, &s, err, sizeof(err)) == 0);
	get(tx, &fr, &len, &f);
	CHECK(f.l4_len == 0);
	s.payload_len = sizeof(msg) - 1;
	CHECK(hdp_tx_build(tx, &s, err, sizeof(err)) == 0);
	get(tx, &fr, &len, &f);
	CHECK(f.l4_len == sizeof(msg) - 1);
	CHECK(memcmp(fr + f.l4_off, msg, sizeof(msg) - 1) == 0);
	hdp_tx_close(tx);
}

static void
test_tcp_icmp(int family)
{
	struct hdp_tx *tx = open_none(family);
	struct hdp_pkt_spec s;
	struct hdp_frame f;
	const uint8_t *fr;
	size_t len;
	char err[256];
	uint8_t icmp = family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;

	spec_init(&s, family);
	s.l4 = HDP_L4_TCP_SYN;
	s.tcp_seq = 0x11223344;
	s.payload = NULL;
	s.payload_len = 0;
	CHECK_MSG(hdp_tx_build(tx, &s, err, sizeof(err)) == 0, "%s", err);
	get(tx, &fr, &len, &f);
	CHECK(f.proto == IPPROTO_TCP && f.l4_len == 20);
	CHECK(fr[f.l4_off + 13] == 0x02);			/* SYN */
	CHECK(fr[f.l4_off + 4] == 0x11 && fr[f.l4_off + 7] == 0x44);
	CHECK_MSG(l4_csum(&f, fr, IPPROTO_TCP) == 0, "tcp csum");

	s.l4 = HDP_L4_ICMP_ECHO;
	s.sport = 0x1234;
	s.dport = 7;
	s.payload = msg;
	s.payload_len = sizeof(msg) - 1;
	CHECK_MSG(hdp_tx_build(tx, &s, err, sizeof(err)) == 0, "%s", err);
	get(tx, &fr, &len, &f);
	CHECK(f.proto == icmp && f.l4_len == 8 + sizeof(msg) - 1);
	CHECK(fr[f.l4_off] == (family == AF_INET ? 8 : 128));
	CHECK(fr[f.l4_off + 4] == 0x12 && fr[f.l4_off + 5] == 0x34);
	CHECK(fr[f.l4_off + 7] == 7);
	if (family == AF_INET)
		CHECK_MSG(hdp_inet_csum(fr + f.l4_off, f.l4_len) == 0,
			  "icmp csum");
	else
		CHECK_MSG(l4_csum(&f, fr, IPPROTO_ICMPV6) == 0, "icmp6 csum");
	s.dport = 8;
	CHECK(hdp_tx_build(tx, &s, err, sizeof(err)) == 0);
	get(tx, &fr, &len, &f);
	CHECK(fr[f.l4_off + 7] == 8);
	if (family == AF_INET)
		CHECK(hdp_inet_csum(fr + f.l4_off, f.l4_len) == 0);
	else
		CHECK(l4_csum(&f, fr, IPPROTO_ICMPV6) == 0);
	hdp_tx_close(tx);
}

struct fragacc {
	uint8_t buf[4096];
	size_t n, bytes;
	unsigned count, last_more;
};

static void
frag_cb(void *arg, const uint8_t *fr, size_t len, uint64_t t)
{
	struct fragacc *a = arg;
	struct hdp_frame f;

	(void)t;
	CHECK(hdp_decode_ip(fr, len, len, &f) == HDP_ST_OK);
	CHECK(len <= 576);
	if (f.ip_version == 4) {
		CHECK(f.ip_csum_ok == 1 && f.ip_id == 0x4242);
		CHECK(f.frag_off * 8u == a->n);
	} else {
		CHECK(f.ip6_has_frag && f.flow_label == 0xabcde);
		CHECK(f.frag_off * 8u == a->n);
	}
	CHECK(f.is_fragment);
	memcpy(a->buf + a->n, fr + f.ip_hdr_len, len - f.ip_hdr_len);
	a->n += len - f.ip_hdr_len;
	a->count++;
	a->last_more = f.frag_more;
}

static void
test_frags(int family)
{
	struct hdp_tx *tx = open_none(family);
	struct hdp_pkt_spec s;
	struct hdp_tx_result r;
	struct fragacc a;
	static uint8_t big[1500];
	struct hdp_hdr h;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)i;
	spec_init(&s, family);
	s.payload = big;
	s.payload_len = sizeof(big);
	CHECK(hdp_tx_build(tx, &s, err, sizeof(err)) == 0);
	memset(&a, 0, sizeof(a));
	CHECK(hdp_tx_write_frags(tx, 576, frag_cb, &a, &r) == 3);
	CHECK(a.count == 3 && a.last_more == 0);
	CHECK(a.n == HDP_HDR_LEN + sizeof(big));
	CHECK(hdp_hdr_decode(a.buf, a.n, &h) == HDP_HDR_LEN);
	CHECK(h.ts_ns == r.hdp_ts_ns && h.sport == 420);
	CHECK(memcmp(a.buf + HDP_HDR_LEN, big, sizeof(big)) == 0);
	if (family == AF_INET) {
		s.df = 1;
		CHECK(hdp_tx_build(tx, &s, err, sizeof(err)) == 0);
		CHECK(hdp_tx_write_frags(tx, 576, NULL, NULL, &r) == -1);
	}
	hdp_tx_close(tx);
}

static void
test_resolve(void)
{
	union hdp_addr a;
	unsigned scope;
	int fam;
	char err[256];

	CHECK(hdp_resolve("127.0.0.1", AF_UNSPEC, &fam, &a, &scope, err,
			  sizeof(err)) == 0 && fam == AF_INET);
	CHECK(hdp_resolve("255.255.255.255", AF_UNSPEC, &fam, &a, &scope, err,
			  sizeof(err)) == 0 && a.v4.s_addr == 0xffffffffu);
	CHECK(hdp_resolve("::1", AF_UNSPEC, &fam, &a, &scope, err,
			  sizeof(err)) == 0 && fam == AF_INET6);
	CHECK(hdp_resolve("fe80::1%lo", AF_UNSPEC, &fam, &a, &scope, err,
			  sizeof(err)) == 0 && scope != 0);
	CHECK(hdp_resolve("fe80::1%nosuchif0", AF_UNSPEC, &fam, &a, &scope,
			  err, sizeof(err)) == -1);
	CHECK(hdp_resolve("::1", AF_INET, &fam, &a, &scope, err,
			  sizeof(err)) == -1);
	CHECK(strstr(err, "IPv6") != NULL);
	CHECK(hdp_resolve("127.0.0.1", AF_INET6, &fam, &a, &scope, err,
			  sizeof(err)) == -1);
	CHECK(hdp_resolve("localhost", AF_INET, &fam, &a, &scope, err,
			  sizeof(err)) == 0 && fam == AF_INET &&
	      a.v4.s_addr == htonl(0x7f000001));
	/* digits and dots: an IPv4 address as inet_aton reads it, or none;
	 * never a name for DNS (and this test asks no resolver: a name
	 * that does not resolve is tried by send_cli.sh inside a network
	 * namespace, where the query cannot leave the machine) */
	CHECK(hdp_resolve("198.51.100", AF_UNSPEC, &fam, &a, &scope, err,
			  sizeof(err)) == 0 && fam == AF_INET &&
	      a.v4.s_addr == htonl(0xc6330064));
	CHECK(hdp_resolve("999.1.1.1", AF_UNSPEC, &fam, &a, &scope, err,
			  sizeof(err)) == -1);
	CHECK(strstr(err, "not a valid IPv4 address") != NULL);
	CHECK(hdp_resolve("1..2", AF_UNSPEC, &fam, &a, &scope, err,
			  sizeof(err)) == -1);
	CHECK(hdp_resolve("198.51.100", AF_INET6, &fam, &a, &scope, err,
			  sizeof(err)) == -1);
	CHECK(hdp_resolve("", AF_UNSPEC, &fam, &a, &scope, err,
			  sizeof(err)) == -1);
}

/* Numbers on the command line: -1 is a number out of range, text is
 * not a number (issue 16). */
static void
test_parse_uint(void)
{
	char err[160];
	uint64_t v;

	CHECK(hdp_parse_uint("-1", 0, 10, &v, "-c", err, sizeof(err)) == -1);
	CHECK(strcmp(err, "-c '-1' is out of range 0-10") == 0);
	CHECK(hdp_parse_uint("-x", 0, 10, &v, "-c", err, sizeof(err)) == -1);
	CHECK(strcmp(err, "-c '-x' is not a number") == 0);
	CHECK(hdp_parse_uint("-", 0, 10, &v, "-c", err, sizeof(err)) == -1);
	CHECK(strstr(err, "not a number") != NULL);
	CHECK(hdp_parse_uint("-18446744073709551615", 0, UINT64_MAX, &v, "-c",
			     err, sizeof(err)) == -1);
	CHECK(strstr(err, "out of range") != NULL);
	CHECK(hdp_parse_uint("1x", 0, 10, &v, "-c", err, sizeof(err)) == -1);
	CHECK(strstr(err, "not a number") != NULL);
	CHECK(hdp_parse_uint("0x0a", 0, 10, &v, "-c", err, sizeof(err)) == 0 &&
	      v == 10);
	CHECK(hdp_parse_uint("-0", 0, 10, &v, "-c", err, sizeof(err)) == 0 &&
	      v == 0);
}

int
main(void)
{
	test_hdp(AF_INET);
	test_hdp(AF_INET6);
	test_udp(AF_INET);
	test_udp(AF_INET6);
	test_tcp_icmp(AF_INET);
	test_tcp_icmp(AF_INET6);
	test_frags(AF_INET);
	test_frags(AF_INET6);
	test_resolve();
	test_parse_uint();
	return unit_report("test_build");
}
