/*
 * test_frame.c: unit tests of the HDP codec and the frame decoder.
 *
 * The IP datagrams are built by libnet (LIBNET_NONE: build only, no
 * socket, so no privileges), then wrapped in each link header we decode.
 * Every frame is decoded whole, then cut at every offset; each cut copy
 * lives in a buffer of exactly its length, so a read past caplen is caught
 * by ASan or valgrind, not just by the assertions.
 */
#include "config.h"

#include <arpa/inet.h>
#include <libnet.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include <hdp/hdp.h>
#include "hdp_capture.h"
#include "unit.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

/* Exported by libnet 1.1.6 but not declared: flattens the pblocks. */
int libnet_pblock_coalesce(libnet_t *l, uint8_t **packet, uint32_t *size);

#define TS 0x17a2b3c4d5e6f708ull
static const char msg[] = "hello, hdp";

struct buf {
	uint8_t b[2048];
	size_t n;
};

static libnet_t *
ctx(void)
{
	char eb[LIBNET_ERRBUF_SIZE];
	libnet_t *l = libnet_init(LIBNET_NONE, NULL, eb);

	if (l == NULL) {
		fprintf(stderr, "libnet_init: %s\n", eb);
		exit(99);
	}
	return l;
}

static void
take(libnet_t *l, struct buf *out)
{
	uint8_t *p;
	uint32_t n;

	if (libnet_pblock_coalesce(l, &p, &n) < 0 || n > sizeof(out->b)) {
		fprintf(stderr, "coalesce: %s\n", libnet_geterror(l));
		exit(99);
	}
	memcpy(out->b, p, n);
	out->n = n;
	free(p);
	libnet_destroy(l);
}

/* HDP header + msg as a libnet payload. */
static size_t
hdp_payload(uint8_t *p, size_t len)
{
	struct hdp_hdr h = { 420, 421, TS };

	hdp_hdr_encode(&h, p, len);
	memcpy(p + HDP_HDR_LEN, msg, sizeof(msg) - 1);
	return HDP_HDR_LEN + sizeof(msg) - 1;
}

static void
build_ipv4(struct buf *out, const uint8_t *opts, size_t optlen,
	   uint16_t frag, int with_hdp_len)
{
	libnet_t *l = ctx();
	uint8_t pl[64];
	size_t n = hdp_payload(pl, sizeof(pl));

	if (with_hdp_len >= 0)
		n = (size_t)with_hdp_len;
	if (optlen)
		libnet_build_ipv4_options(opts, (uint32_t)optlen, l, 0);
	if (libnet_build_ipv4((uint16_t)(20 + optlen + n), 0x2e, 0x1234, frag,
			      64, HDP_PROTO, 0, htonl(0x7f000001),
			      htonl(0x0a000202), pl, (uint32_t)n, l, 0) < 0) {
		fprintf(stderr, "build_ipv4: %s\n", libnet_geterror(l));
		exit(99);
	}
	take(l, out);
}

static struct libnet_in6_addr
in6(const char *s)
{
	struct libnet_in6_addr a;

	inet_pton(AF_INET6, s, &a);
	return a;
}

/* IPv6 + hop-by-hop + destination options + fragment (offset 0) + HDP. */
static void
build_ipv6(struct buf *out, int with_ext)
{
	static const uint8_t padn[6] = { 1, 4, 0, 0, 0, 0 };
	libnet_t *l = ctx();
	uint8_t pl[64];
	size_t n = hdp_payload(pl, sizeof(pl));
	uint32_t ext = 0;
	uint8_t nh = HDP_PROTO;

	if (with_ext) {
		libnet_build_ipv6_frag(HDP_PROTO, 0, htons(0), htonl(77),
				       pl, (uint32_t)n, l, 0);
		libnet_build_ipv6_destopts(44, 0, padn, 6, l, 0);
		libnet_build_ipv6_hbhopts(60, 0, padn, 6, l, 0);
		ext = 8 + 8 + 8;
		nh = 0;
	}
	/* libnet 1.1.6 writes the flow label's low byte into both of its
	 * last two bytes, so pick a label that survives that bug */
	if (libnet_build_ipv6(0xb8, 0x14545, (uint16_t)(n + ext), nh, 17,
			      in6("2001:db8::1"), in6("2001:db8::2"),
			      with_ext ? NULL : pl,
			      with_ext ? 0 : (uint32_t)n, l, 0) < 0) {
		fprintf(stderr, "build_ipv6: %s\n", libnet_geterror(l));
		exit(99);
	}
	take(l, out);
}

/* Prepend a link header of type dlt to an IP datagram. */
static void
wrap(int dlt, const struct buf *ip, int v6, struct buf *out)
{
	uint16_t et = v6 ? 0x86dd : 0x0800;
	size_t h = 0;

	memset(out->b, 0, 32);
	switch (dlt) {
	case DLT_EN10MB:
		memcpy(out->b, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01", 12);
		out->b[12] = (uint8_t)(et >> 8);
		out->b[13] = (uint8_t)et;
		h = 14;
		break;
	case DLT_NULL: {
		uint32_t af = v6 ? 10 : 2;	/* host order, as Linux writes */

		memcpy(out->b, &af, 4);
		h = 4;
		break;
	}
	case DLT_LOOP:
		out->b[3] = v6 ? 24 : 2;
		h = 4;
		break;
	case DLT_LINUX_SLL:
		out->b[1] = 4;			/* outgoing */
		out->b[3] = 1;
		out->b[14] = (uint8_t)(et >> 8);
		out->b[15] = (uint8_t)et;
		h = 16;
		break;
	case DLT_LINUX_SLL2:
		out->b[0] = (uint8_t)(et >> 8);
		out->b[1] = (uint8_t)et;
		out->b[7] = 1;			/* ifindex 1 */
		out->b[10] = 0;			/* to us */
		h = 20;
		break;
	default:				/* DLT_RAW */
		break;
	}
	memcpy(out->b + h, ip->b, ip->n);
	out->n = h + ip->n;
}

/* Decode the first caplen bytes from an exactly sized heap copy. */
static enum hdp_status
decode_cut(int dlt, const struct buf *fr, size_t caplen, size_t wirelen,
	   struct hdp_frame *f)
{
	uint8_t *copy = malloc(caplen ? caplen : 1);
	enum hdp_status st;

	memcpy(copy, fr->b, caplen);
	st = hdp_decode_frame(dlt, copy, caplen, wirelen, f);
	free(copy);
	return st;
}

static void
check_full(int dlt, const struct buf *fr, int v6)
{
	struct hdp_frame f;
	char a[INET6_ADDRSTRLEN];

	CHECK_MSG(decode_cut(dlt, fr, fr->n, fr->n, &f) == HDP_ST_OK,
		  "dlt %d v%d: %s", dlt, v6 ? 6 : 4, f.err);
	CHECK(f.ip_version == (v6 ? 6 : 4));
	CHECK(f.proto == HDP_PROTO);
	CHECK(f.has_hdp);
	CHECK(f.hdp.sport == 420 && f.hdp.dport == 421);
	CHECK(f.hdp.ts_ns == TS);
	CHECK(f.payload_len == sizeof(msg) - 1);
	CHECK(f.payload_caplen == f.payload_len);
	CHECK(f.payload_off + f.payload_len == fr->n);
	CHECK(memcmp(fr->b + f.payload_off, msg, sizeof(msg) - 1) == 0);
	if (v6) {
		inet_ntop(AF_INET6, &f.src.v6, a, sizeof(a));
		CHECK(strcmp(a, "2001:db8::1") == 0);
		CHECK(f.tos == 0xb8 && f.flow_label == 0x14545);
		CHECK(f.ttl == 17);
	} else {
		inet_ntop(AF_INET, &f.dst.v4, a, sizeof(a));
		CHECK(strcmp(a, "10.0.2.2") == 0);
		CHECK(f.tos == 0x2e && f.ip_id == 0x1234 && f.ttl == 64);
		CHECK(f.ip_csum_ok == 1);
	}
	if (dlt == DLT_LINUX_SLL)
		CHECK(f.direction == HDP_DIR_OUT);
	if (dlt == DLT_LINUX_SLL2)
		CHECK(f.direction == HDP_DIR_IN && f.ifindex == 1);
}

/* Every cut of the frame is truncated, names a layer and a shortfall. */
static void
check_every_cut(int dlt, const struct buf *fr)
{
	struct hdp_frame f;
	size_t cut;

	for (cut = 0; cut < fr->n; cut++) {
		enum hdp_status st = decode_cut(dlt, fr, cut, fr->n, &f);

		CHECK_MSG(st == HDP_ST_TRUNCATED, "dlt %d cut %zu: %s (%s)",
			  dlt, cut, hdp_status_name(st), f.err);
		CHECK_MSG(f.short_by > 0 && f.err[0] == '[',
			  "dlt %d cut %zu: short_by %zu err '%s'", dlt, cut,
			  f.short_by, f.err);
		CHECK(f.err_layer != HDP_LAYER_NONE);
		/* fields decoded before the cut are still right */
		if (f.has_hdp)
			CHECK(f.hdp.ts_ns == TS);
		/* a cut reported as a lie would be wrong: len says more */
		CHECK(f.status != HDP_ST_MALFORMED);
	}
}

static void
test_link_types(void)
{
	static const int dlts[] = {
		DLT_EN10MB, DLT_NULL, DLT_LOOP, DLT_RAW, DLT_LINUX_SLL,
		DLT_LINUX_SLL2
	};
	struct buf ip4, ip6, ip6x, fr;
	size_t i;

	build_ipv4(&ip4, NULL, 0, 0, -1);
	build_ipv6(&ip6, 0);
	build_ipv6(&ip6x, 1);
	for (i = 0; i < sizeof(dlts) / sizeof(dlts[0]); i++) {
		wrap(dlts[i], &ip4, 0, &fr);
		check_full(dlts[i], &fr, 0);
		check_every_cut(dlts[i], &fr);
		wrap(dlts[i], &ip6, 1, &fr);
		check_full(dlts[i], &fr, 1);
		check_every_cut(dlts[i], &fr);
		wrap(dlts[i], &ip6x, 1, &fr);
		check_full(dlts[i], &fr, 1);
		check_every_cut(dlts[i], &fr);
	}
}

static void
test_ipv4_options(void)
{
	static const uint8_t rr[8] = { 7, 7, 4, 0, 0, 0, 0, 1 }; /* RR + EOL */
	struct buf ip, fr;
	struct hdp_frame f;

	build_ipv4(&ip, rr, sizeof(rr), 0, -1);
	wrap(DLT_RAW, &ip, 0, &fr);
	CHECK(hdp_decode_frame(DLT_RAW, fr.b, fr.n, fr.n, &f) == HDP_ST_OK);
	CHECK(f.ihl == 7 && f.ip_hdr_len == 28);
	CHECK(f.has_hdp && f.hdp.ts_ns == TS && f.l4_off == 28);
	CHECK(f.ip_csum_ok == 1);
	check_every_cut(DLT_RAW, &fr);
}

/* ip behind an IEEE 802.3 length and an 802.2 LLC/SNAP header. */
static void
wrap_snap(const struct buf *ip, int v6, struct buf *out)
{
	static const uint8_t snap[] = { 0xaa, 0xaa, 0x03, 0, 0, 0, 0, 0 };
	size_t n = sizeof(snap) + ip->n;

	wrap(DLT_EN10MB, ip, v6, out);
	memmove(out->b + 14 + sizeof(snap), out->b + 14, ip->n);
	memcpy(out->b + 14, snap, sizeof(snap));
	out->b[14 + 5] = v6 ? 0xf8 : 0;		/* 802.1H, RFC 1042 */
	out->b[14 + 6] = v6 ? 0x86 : 0x08;
	out->b[14 + 7] = v6 ? 0xdd : 0x00;
	out->b[12] = (uint8_t)(n >> 8);
	out->b[13] = (uint8_t)n;
	out->n = 14 + n;
}

static void
test_ieee8023(void)
{
	struct buf ip4, ip6, fr;
	struct hdp_frame f;

	build_ipv4(&ip4, NULL, 0, 0, -1);
	build_ipv6(&ip6, 1);
	wrap_snap(&ip4, 0, &fr);
	check_full(DLT_EN10MB, &fr, 0);
	CHECK(hdp_decode_frame(DLT_EN10MB, fr.b, fr.n, fr.n, &f) ==
	      HDP_ST_OK && f.llc && f.ip_off == 22 && f.ethertype == 0x0800);
	check_every_cut(DLT_EN10MB, &fr);
	wrap_snap(&ip6, 1, &fr);
	check_full(DLT_EN10MB, &fr, 1);
	check_every_cut(DLT_EN10MB, &fr);

	/* spanning tree: LLC, no SNAP; said for what it is */
	fr.b[12] = 0;
	fr.b[13] = 38;
	memcpy(fr.b + 14, "\x42\x42\x03", 3);
	CHECK(hdp_decode_frame(DLT_EN10MB, fr.b, fr.n, fr.n, &f) ==
	      HDP_ST_UNSUPPORTED && f.ip_version == 0);
	CHECK_MSG(strcmp(f.err, "802.3 length 38, LLC dsap 0x42 ssap 0x42 "
			 "ctrl 0x03, not IP") == 0, "%s", f.err);
	/* SNAP of another organisation (CDP) */
	memcpy(fr.b + 14, "\xaa\xaa\x03\x00\x00\x0c\x20\x00", 8);
	CHECK(hdp_decode_frame(DLT_EN10MB, fr.b, fr.n, fr.n, &f) ==
	      HDP_ST_UNSUPPORTED && strstr(f.err, "oui 0x00000c") != NULL);
	/* neither a length nor a type */
	fr.b[12] = 0x05;
	fr.b[13] = 0xff;
	CHECK(hdp_decode_frame(DLT_EN10MB, fr.b, fr.n, fr.n, &f) ==
	      HDP_ST_MALFORMED && strstr(f.err, "0x05ff") != NULL);
}

/* IPv4 total length 0 and IPv6 payload length 0. */
static void
test_len_zero(void)
{
	/* hop-by-hop: next header, length 0, the Jumbo Payload option */
	uint8_t jopt[6] = { 0xc2, 4, 0, 0, 0, 0 }, hbh[6 + 64];
	struct buf ip, fr;
	struct hdp_frame f;
	libnet_t *l = ctx();
	uint8_t pl[64];
	size_t n = hdp_payload(pl, sizeof(pl));
	uint32_t jumbo = (uint32_t)(8 + n);

	/* IPv4 TSO: the frame gives the length, however long */
	build_ipv4(&ip, NULL, 0, 0, -1);
	ip.b[2] = ip.b[3] = 0;
	wrap(DLT_RAW, &ip, 0, &fr);
	CHECK(hdp_decode_frame(DLT_RAW, fr.b, fr.n, 70000, &f) ==
	      HDP_ST_TRUNCATED && f.ip_len_zero && f.ip_len == 70000);
	CHECK(hdp_decode_frame(DLT_RAW, fr.b, fr.n, fr.n, &f) == HDP_ST_OK &&
	      f.ip_len == fr.n && f.has_hdp);

	jopt[2] = (uint8_t)(jumbo >> 24);
	jopt[3] = (uint8_t)(jumbo >> 16);
	jopt[4] = (uint8_t)(jumbo >> 8);
	jopt[5] = (uint8_t)jumbo;
	memcpy(hbh, jopt, sizeof(jopt));
	memcpy(hbh + sizeof(jopt), pl, n);
	libnet_build_ipv6_hbhopts(HDP_PROTO, 0, hbh, (uint32_t)(6 + n), l, 0);
	libnet_build_ipv6(0, 0, 0, 0, 64, in6("2001:db8::1"),
			  in6("2001:db8::2"), NULL, 0, l, 0);
	take(l, &ip);
	wrap(DLT_RAW, &ip, 1, &fr);
	CHECK_MSG(hdp_decode_frame(DLT_RAW, fr.b, fr.n, fr.n, &f) == HDP_ST_OK,
		  "%s", f.err);
	CHECK(f.ip6_jumbo && f.ip_len == 40 + jumbo && f.has_hdp &&
	      f.hdp.ts_ns == TS && f.payload_len == sizeof(msg) - 1);
	check_every_cut(DLT_RAW, &fr);
	/* no Jumbo Payload option: malformed */
	fr.b[42] = 1;				/* PadN */
	CHECK(hdp_decode_frame(DLT_RAW, fr.b, fr.n, fr.n, &f) ==
	      HDP_ST_MALFORMED && strstr(f.err, "no jumbo") != NULL);
	/* no hop-by-hop: an empty datagram, unless past 64 KiB */
	fr.b[6] = HDP_PROTO;
	CHECK(hdp_decode_frame(DLT_RAW, fr.b, fr.n, fr.n, &f) ==
	      HDP_ST_MALFORMED && f.ip_len == 40 && !f.ip_len_zero);
	CHECK(hdp_decode_frame(DLT_RAW, fr.b, fr.n, 80000, &f) ==
	      HDP_ST_TRUNCATED && f.ip_len == 80000 && f.ip_len_zero);
}

/* Length fields that lie, and headers too short to be real. */
static void
test_lies(void)
{
	struct buf ip;
	struct hdp_frame f;
	uint8_t b[2048];

	build_ipv4(&ip, NULL, 0, 0, -1);

	memcpy(b, ip.b, ip.n);
	b[0] = 0x43;					/* IHL 3 */
	CHECK(hdp_decode_ip(b, ip.n, ip.n, &f) == HDP_ST_MALFORMED);
	CHECK_MSG(strcmp(f.err, "bad ihl 3") == 0, "%s", f.err);
	CHECK(f.err_layer == HDP_LAYER_IP);

	memcpy(b, ip.b, ip.n);
	b[0] = 0x4f;					/* IHL 15: 60 bytes */
	CHECK(hdp_decode_ip(b, ip.n, ip.n, &f) == HDP_ST_MALFORMED);
	CHECK_MSG(strcmp(f.err, "bad ip_len 42 < ihl*4 60") == 0, "%s",
		  f.err);
	b[3] = 60;		/* consistent, but only 42 of 60 captured */
	CHECK(hdp_decode_ip(b, ip.n, 60, &f) == HDP_ST_TRUNCATED);
	CHECK(f.short_by == 18 && f.err_layer == HDP_LAYER_IP);

	memcpy(b, ip.b, 40);
	b[2] = 0; b[3] = 60;				/* ip_len 60, 40 held */
	CHECK(hdp_decode_ip(b, 40, 40, &f) == HDP_ST_MALFORMED);
	CHECK_MSG(strcmp(f.err, "ip_len 60 > caplen 40") == 0, "%s", f.err);
	/* the lie stays malformed, but what the frame holds is decoded */
	CHECK(f.ip_len == 60 && f.has_hdp && f.hdp.ts_ns == TS);
	CHECK(f.payload_len == 40 - 20 - HDP_HDR_LEN);
	CHECK(f.payload_caplen == f.payload_len);
	CHECK(hdp_decode_ip(b, 30, 30, &f) == HDP_ST_MALFORMED);
	CHECK(!f.has_hdp && strcmp(f.err, "ip_len 60 > caplen 30") == 0);

	/* total length 0: segmentation offload, the frame gives it */
	memcpy(b, ip.b, ip.n);
	b[2] = 0; b[3] = 0;
	CHECK(hdp_decode_ip(b, ip.n, ip.n, &f) == HDP_ST_OK);
	CHECK(f.ip_len_zero && f.ip_len == ip.n && f.has_hdp);
	CHECK(f.payload_len == sizeof(msg) - 1);

	memcpy(b, ip.b, ip.n);
	b[2] = 0; b[3] = 10;				/* ip_len < header */
	CHECK(hdp_decode_ip(b, ip.n, ip.n, &f) == HDP_ST_MALFORMED);
	CHECK(strstr(f.err, "bad ip_len 10") != NULL);

	/* shorter than it claims is fine: link padding after the datagram */
	memcpy(b, ip.b, ip.n);
	memset(b + ip.n, 0xee, 6);
	CHECK(hdp_decode_ip(b, ip.n + 6, ip.n + 6, &f) == HDP_ST_OK);
	CHECK(f.payload_len == sizeof(msg) - 1);

	/* an HDP header of 8 bytes: malformed, not truncated */
	build_ipv4(&ip, NULL, 0, 0, 8);
	CHECK(hdp_decode_ip(ip.b, ip.n, ip.n, &f) == HDP_ST_MALFORMED);
	CHECK_MSG(strcmp(f.err, "hdp length 8 < 12") == 0, "%s", f.err);
	CHECK(f.err_layer == HDP_LAYER_L4 && !f.has_hdp);

	/* bad version */
	memcpy(b, ip.b, ip.n);
	b[0] = 0x55;
	CHECK(hdp_decode_ip(b, ip.n, ip.n, &f) == HDP_ST_MALFORMED);

	/* IPv6 payload length past the capture */
	build_ipv6(&ip, 0);
	memcpy(b, ip.b, ip.n);
	b[4] = 0x01;
	CHECK(hdp_decode_ip(b, ip.n, ip.n, &f) == HDP_ST_MALFORMED);
	CHECK(strstr(f.err, "ip6_len") != NULL);

	/* a bad IPv4 header checksum is reported, not fatal */
	build_ipv4(&ip, NULL, 0, 0, -1);
	memcpy(b, ip.b, ip.n);
	b[10] ^= 0xff;
	CHECK(hdp_decode_ip(b, ip.n, ip.n, &f) == HDP_ST_OK);
	CHECK(f.ip_csum_ok == 0);

	/* an unknown link type and a non-IP ethertype */
	CHECK(hdp_decode_frame(9999, ip.b, ip.n, ip.n, &f) ==
	      HDP_ST_UNSUPPORTED);
	memset(b, 0, 14);
	b[12] = 0x08; b[13] = 0x06;			/* ARP */
	CHECK(hdp_decode_frame(DLT_EN10MB, b, 60, 60, &f) ==
	      HDP_ST_UNSUPPORTED);
}

static void
test_fragments(void)
{
	struct buf ip;
	struct hdp_frame f;

	/* first fragment: HDP header present, payload partial */
	build_ipv4(&ip, NULL, 0, 0x2000, -1);
	CHECK(hdp_decode_ip(ip.b, ip.n, ip.n, &f) == HDP_ST_OK);
	CHECK(f.is_fragment && f.frag_more && f.frag_off == 0 && f.has_hdp);

	/* a later fragment: no HDP header to read */
	build_ipv4(&ip, NULL, 0, 185, -1);
	CHECK(hdp_decode_ip(ip.b, ip.n, ip.n, &f) == HDP_ST_OK);
	CHECK(f.is_fragment && f.frag_off == 185 && !f.has_hdp);

	/* the IPv6 chain with a fragment header of offset 0 */
	build_ipv6(&ip, 1);
	CHECK(hdp_decode_ip(ip.b, ip.n, ip.n, &f) == HDP_ST_OK);
	CHECK(f.ip6_ext_count == 3 && f.ip6_has_frag && f.ip6_frag_id == 77);
	CHECK(!f.is_fragment && f.ip_hdr_len == 64 && f.has_hdp);
}

/* An extension header whose length runs past the payload length. */
static void
test_ip6_ext_lies(void)
{
	struct buf ip;
	struct hdp_frame f;
	uint8_t b[2048];

	build_ipv6(&ip, 1);
	memcpy(b, ip.b, ip.n);
	b[41] = 200;				/* hop-by-hop: 1608 bytes */
	CHECK(hdp_decode_ip(b, ip.n, ip.n, &f) == HDP_ST_MALFORMED);
	CHECK(f.err_layer == HDP_LAYER_IP6EXT);
}

static void
test_codec(void)
{
	struct hdp_hdr h = { 0x1a4, 0xbeef, 0x0102030405060708ull }, g;
	uint8_t b[HDP_HDR_LEN];
	static const uint8_t want[HDP_HDR_LEN] = {
		0x01, 0xa4, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8
	};

	CHECK(hdp_hdr_encode(&h, b, sizeof(b)) == HDP_HDR_LEN);
	CHECK(memcmp(b, want, sizeof(want)) == 0);
	CHECK(hdp_hdr_decode(b, sizeof(b), &g) == HDP_HDR_LEN);
	CHECK(g.sport == h.sport && g.dport == h.dport && g.ts_ns == h.ts_ns);
	CHECK(hdp_hdr_encode(&h, b, 11) == 0);
	CHECK(hdp_hdr_decode(b, 11, &g) == 0);
	CHECK(hdp_looks_base64((const uint8_t *)"aGVsbG8=", 8));
	CHECK(!hdp_looks_base64((const uint8_t *)"hello", 5));
}

static void
test_protoset(void)
{
	struct hdp_protoset s;
	char err[128];
	uint64_t v;

	CHECK(hdp_protoset_parse("0-10,17,255", &s, err, sizeof(err)) == 0);
	CHECK(hdp_protoset_count(&s) == 13);
	CHECK(hdp_protoset_has(&s, 17) && !hdp_protoset_has(&s, 18));
	CHECK(hdp_protoset_parse("all", &s, err, sizeof(err)) == 0);
	CHECK(hdp_protoset_count(&s) == 256);
	CHECK(hdp_protoset_parse("256", &s, err, sizeof(err)) == -1);
	CHECK(strstr(err, "'256'") != NULL);
	CHECK(hdp_protoset_parse("-1", &s, err, sizeof(err)) == -1);
	CHECK(strstr(err, "'-1'") != NULL);
	CHECK(hdp_protoset_parse("10-2", &s, err, sizeof(err)) == -1);
	CHECK(hdp_protoset_parse("1,,2", &s, err, sizeof(err)) == -1);
	CHECK(hdp_protoset_parse("", &s, err, sizeof(err)) == -1);
	CHECK(hdp_parse_uint("65535", 0, 65535, &v, "port", err,
			     sizeof(err)) == 0 && v == 65535);
	CHECK(hdp_parse_uint("65536", 0, 65535, &v, "port", err,
			     sizeof(err)) == -1);
	CHECK(strcmp(err, "port '65536' is out of range 0-65535") == 0);
	CHECK(hdp_parse_uint("-1", 0, 65535, &v, "port", err,
			     sizeof(err)) == -1);
	CHECK(hdp_parse_uint("12x", 0, 65535, &v, "port", err,
			     sizeof(err)) == -1);
}

/*
 * The live default filter: the unrolled walk compiles, fits the kernel
 * (BPF_MAXINSNS 4096), and decides as protochain does on HDP behind no
 * and behind three extension headers, and on UDP behind them.
 */
static void
test_live_filter(void)
{
	const char *live = hdp_filter_default(1);
	pcap_t *dead = pcap_open_dead(DLT_RAW, 65535);
	struct bpf_program lp, pp;
	struct pcap_pkthdr h;
	struct buf f[4];
	int want[4] = { 1, 1, 1, 0 }, i;

	CHECK(dead != NULL);
	CHECK(strstr(live, "protochain") == NULL);
	CHECK(strcmp(hdp_filter_default(0), HDP_FILTER_DEFAULT) == 0);
	CHECK(pcap_compile(dead, &lp, live, 1, PCAP_NETMASK_UNKNOWN) == 0);
	CHECK(pcap_compile(dead, &pp, HDP_FILTER_DEFAULT, 1,
			   PCAP_NETMASK_UNKNOWN) == 0);
	CHECK_MSG(lp.bf_len < 4096, "%u instructions", lp.bf_len);
	build_ipv4(&f[0], NULL, 0, 0, -1);
	build_ipv6(&f[1], 0);
	build_ipv6(&f[2], 1);		/* hop-by-hop, dest opts, fragment */
	build_ipv6(&f[3], 1);
	f[3].b[40 + 8 + 8] = 17;	/* the fragment header names UDP */
	memset(&h, 0, sizeof(h));
	for (i = 0; i < 4; i++) {
		h.caplen = h.len = (bpf_u_int32)f[i].n;
		CHECK_MSG(!pcap_offline_filter(&lp, &h, f[i].b) == !want[i],
			  "frame %d: live filter", i);
		CHECK_MSG(!pcap_offline_filter(&pp, &h, f[i].b) == !want[i],
			  "frame %d: protochain", i);
	}
	pcap_freecode(&lp);
	pcap_freecode(&pp);
	pcap_close(dead);
}

/*
 * sniff --icmp: the ICMP error filter is the unrolled walk (not the
 * fallback), and with HDP's, alone and behind VLAN tags, compiles to a
 * program the kernel loads (BPF_MAXINSNS 4096).  What it passes is judged
 * on real kernels' errors in tests/sniff_icmp.sh.
 */
static void
test_icmp_filter(void)
{
	static const int dlts[] = { DLT_RAW, DLT_EN10MB, DLT_LINUX_SLL2 };
	struct bpf_program prog;
	size_t i;

	CHECK(strcmp(hdp_filter_icmp(), HDP_FILTER_ICMP_FIXED) != 0);
	CHECK(strstr(hdp_filter_icmp(), "ip6[88]") != NULL);
	for (i = 0; i < sizeof(dlts) / sizeof(dlts[0]); i++) {
		pcap_t *dead = pcap_open_dead(dlts[i], 65535);
		char *expr = hdp_filter_hdp_icmp(dlts[i], NULL, 1);

		CHECK(dead != NULL && expr != NULL);
		CHECK_MSG(pcap_compile(dead, &prog, expr, 1,
				       PCAP_NETMASK_UNKNOWN) == 0, "dlt %d: %s",
			  dlts[i], pcap_geterr(dead));
		CHECK_MSG(prog.bf_len < 4096, "dlt %d: %u instructions",
			  dlts[i], prog.bf_len);
		pcap_freecode(&prog);
		free(expr);
		pcap_close(dead);
	}
}

int
main(void)
{
	test_icmp_filter();
	test_codec();
	test_protoset();
	test_link_types();
	test_ipv4_options();
	test_ieee8023();
	test_len_zero();
	test_lies();
	test_fragments();
	test_ip6_ext_lies();
	test_live_filter();
	return unit_report("test_frame");
}
