/*
 * mkcorpus.c: make the synthetic part of the pcaps/ corpus: the malformed
 * and truncated cases and the link types that a Linux capture does not
 * give (DLT_NULL, 802.1Q Ethernet, LINUX_SLL v1).
 *
 *     pcaps/mkcorpus DIR        writes DIR/gen_*.pcap
 *
 * IP datagrams are built by libnet in LIBNET_NONE mode (build only: no
 * socket, no privileges) and written with hdp_dump_open() (pcap, ns
 * timestamps; a failed write is an error, not a short file).  A lie
 * (IHL, total length) is put into the bytes libnet built, after it
 * computed the checksum, so -v shows the checksum as incorrect too.
 * Timestamps are fixed (from 2026-11-23 12:00:00 UTC), so
 * the output is the same byte for byte on every run: tests/sniff_corpus.sh
 * checks that the committed files are what this program makes.
 */
#include "config.h"

#include <arpa/inet.h>
#include <libnet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdp/hdp.h>
#include "hdp_dump.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

/* Exported by libnet 1.1.6 but not declared: flattens the pblocks. */
int libnet_pblock_coalesce(libnet_t *l, uint8_t **packet, uint32_t *size);

#define T0      1795435200000000000ull   /* 2026-11-23 12:00:00 UTC */
#define LAT     12345ull                 /* 12.345 us                */

struct frame {
	uint8_t b[4096];
	size_t  n;
};

struct out {
	struct hdp_dump *d;
	uint64_t       t;
	const char    *path;
};

static const char text[] = "hello, hdp";

static void
die(const char *what, const char *why)
{
	fprintf(stderr, "mkcorpus: %s: %s\n", what, why);
	exit(1);
}

static void
open_out(struct out *o, const char *dir, const char *name, int dlt,
	 int snaplen)
{
	static char path[4096];
	char err[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	o->d = hdp_dump_open(path, dlt, snaplen, 1, err, sizeof(err));
	if (o->d == NULL)
		die(path, err);
	o->t = T0;
	o->path = path;
}

static void
close_out(struct out *o)
{
	char err[512];

	if (hdp_dump_close(o->d, err, sizeof(err)) != 0)
		die(o->path, err);
	o->d = NULL;
}

/* Write caplen bytes of a frame of len bytes, one millisecond apart. */
static void
emit(struct out *o, const struct frame *f, size_t caplen, size_t len)
{
	struct pcap_pkthdr h;

	if (caplen > f->n)
		caplen = f->n;
	h.ts.tv_sec = (time_t)(o->t / 1000000000ull);
	h.ts.tv_usec = (suseconds_t)(o->t % 1000000000ull);
	h.caplen = (bpf_u_int32)caplen;
	h.len = (bpf_u_int32)len;
	hdp_dump_packet(o->d, &h, f->b);	/* a failure: close_out says */
	o->t += 1000000ull + 7;
}

static void
emit_whole(struct out *o, const struct frame *f)
{
	emit(o, f, f->n, f->n);
}

static libnet_t *
ctx(void)
{
	char eb[LIBNET_ERRBUF_SIZE];
	libnet_t *l = libnet_init(LIBNET_NONE, NULL, eb);

	if (l == NULL)
		die("libnet_init", eb);
	return l;
}

static void
take(libnet_t *l, struct frame *out)
{
	uint8_t *p;
	uint32_t n;

	if (libnet_pblock_coalesce(l, &p, &n) < 0 || n > sizeof(out->b))
		die("libnet_pblock_coalesce", libnet_geterror(l));
	memcpy(out->b, p, n);
	out->n = n;
	free(p);
	libnet_destroy(l);
}

/* HDP header and payload into p; its length. */
static size_t
hdp(uint8_t *p, uint16_t sport, uint16_t dport, uint64_t ts,
    const void *data, size_t n)
{
	struct hdp_hdr h;

	h.sport = sport;
	h.dport = dport;
	h.ts_ns = ts;
	hdp_hdr_encode(&h, p, HDP_HDR_LEN);
	if (n)
		memcpy(p + HDP_HDR_LEN, data, n);
	return HDP_HDR_LEN + n;
}

static uint32_t
v4(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		die("inet_pton", s);
	return a.s_addr;
}

static struct libnet_in6_addr
v6(const char *s)
{
	struct libnet_in6_addr a;

	if (inet_pton(AF_INET6, s, &a) != 1)
		die("inet_pton", s);
	return a;
}

/* An IPv4 datagram of protocol proto carrying pl. */
static void
ip4(struct frame *out, uint8_t proto, uint16_t id, uint16_t frag,
    const uint8_t *pl, size_t n, const uint8_t *opts, size_t optlen)
{
	libnet_t *l = ctx();

	if (optlen && libnet_build_ipv4_options(opts, (uint32_t)optlen, l,
						0) < 0)
		die("libnet_build_ipv4_options", libnet_geterror(l));
	if (libnet_build_ipv4((uint16_t)(20 + optlen + n), 0, id, frag, 64,
			      proto, 0, v4("10.0.0.1"), v4("10.0.0.2"),
			      n ? pl : NULL, (uint32_t)n, l, 0) < 0)
		die("libnet_build_ipv4", libnet_geterror(l));
	take(l, out);
}

/* An IPv6 datagram, next header nh, carrying pl. */
static void
ip6(struct frame *out, uint8_t nh, const uint8_t *pl, size_t n)
{
	libnet_t *l = ctx();

	if (libnet_build_ipv6(0, 0, (uint16_t)n, nh, 64, v6("2001:db8::1"),
			      v6("2001:db8::2"), n ? pl : NULL, (uint32_t)n,
			      l, 0) < 0)
		die("libnet_build_ipv6", libnet_geterror(l));
	take(l, out);
}

/* An IPv6 fragment: fragment header, then pl. */
static void
ip6_frag(struct frame *out, uint16_t off8, int more, uint32_t id,
	 const uint8_t *pl, size_t n)
{
	libnet_t *l = ctx();

	if (libnet_build_ipv6_frag(HDP_PROTO, 0,
				   htons((uint16_t)(off8 << 3 | (more & 1))),
				   htonl(id), pl, (uint32_t)n, l, 0) < 0 ||
	    libnet_build_ipv6(0, 0, (uint16_t)(8 + n), 44, 64,
			      v6("2001:db8::1"), v6("2001:db8::2"), NULL, 0, l,
			      0) < 0)
		die("libnet_build_ipv6_frag", libnet_geterror(l));
	take(l, out);
}

static void
set16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Prepend a link header. */
static void
link_wrap(int dlt, struct frame *f, int v6flag, uint16_t pkttype,
	  int vlan)
{
	uint8_t h[32];
	size_t n = 0;
	uint16_t et = v6flag ? 0x86dd : 0x0800;

	memset(h, 0, sizeof(h));
	switch (dlt) {
	case DLT_EN10MB:
		memcpy(h, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01",
		       12);
		n = 12;
		if (vlan) {
			set16(h + n, 0x8100);
			set16(h + n + 2, (uint16_t)vlan);
			n += 4;
		}
		set16(h + n, et);
		n += 2;
		break;
	case DLT_NULL:
		/* little-endian host order; 24 is BSD's AF_INET6 */
		h[0] = v6flag ? 24 : 2;
		n = 4;
		break;
	case DLT_LINUX_SLL:
		set16(h, pkttype);
		set16(h + 2, 772);	/* ARPHRD_LOOPBACK */
		set16(h + 4, 6);
		set16(h + 14, et);
		n = 16;
		break;
	default:
		return;
	}
	memmove(f->b + n, f->b, f->n);
	memcpy(f->b, h, n);
	f->n += n;
}

/* ---- the files ---------------------------------------------------------- */

static void
gen_link(const char *dir)
{
	struct out o;
	struct frame f;
	uint8_t pl[256];
	size_t n;

	/* DLT_NULL: IPv4 and IPv6, as BSD loopback captures hold them */
	open_out(&o, dir, "gen_null.pcap", DLT_NULL, 262144);
	n = hdp(pl, 420, 420, T0 - LAT, text, sizeof(text) - 1);
	ip4(&f, HDP_PROTO, 1, 0, pl, n, NULL, 0);
	link_wrap(DLT_NULL, &f, 0, 0, 0);
	emit_whole(&o, &f);
	n = hdp(pl, 420, 421, o.t - LAT, text, sizeof(text) - 1);
	ip6(&f, HDP_PROTO, pl, n);
	link_wrap(DLT_NULL, &f, 1, 0, 0);
	emit_whole(&o, &f);
	close_out(&o);

	/* Ethernet: untagged, one 802.1Q tag, and an ARP frame (not IP) */
	open_out(&o, dir, "gen_vlan.pcap", DLT_EN10MB, 262144);
	n = hdp(pl, 420, 420, T0 - LAT, text, sizeof(text) - 1);
	ip4(&f, HDP_PROTO, 2, 0, pl, n, NULL, 0);
	link_wrap(DLT_EN10MB, &f, 0, 0, 0);
	emit_whole(&o, &f);
	n = hdp(pl, 420, 420, o.t - LAT, text, sizeof(text) - 1);
	ip4(&f, HDP_PROTO, 3, 0, pl, n, NULL, 0);
	link_wrap(DLT_EN10MB, &f, 0, 0, 100);
	emit_whole(&o, &f);
	memset(f.b, 0, 60);
	memcpy(f.b, "\xff\xff\xff\xff\xff\xff\x02\x00\x00\x00\x00\x01"
	       "\x08\x06", 14);
	f.n = 60;
	emit_whole(&o, &f);
	close_out(&o);

	/* LINUX_SLL v1: one packet out, one in */
	open_out(&o, dir, "gen_sll.pcap", DLT_LINUX_SLL, 262144);
	n = hdp(pl, 420, 420, T0 - LAT, text, sizeof(text) - 1);
	ip4(&f, HDP_PROTO, 4, 0, pl, n, NULL, 0);
	link_wrap(DLT_LINUX_SLL, &f, 0, 4, 0);
	emit_whole(&o, &f);
	n = hdp(pl, 420, 420, o.t - LAT, text, sizeof(text) - 1);
	ip4(&f, HDP_PROTO, 4, 0, pl, n, NULL, 0);
	link_wrap(DLT_LINUX_SLL, &f, 0, 0, 0);
	emit_whole(&o, &f);
	close_out(&o);
}

static void
gen_truncated(const char *dir)
{
	struct out o;
	struct frame f;
	uint8_t pl[256];
	size_t n;

	/* Headers that are not all there, on the wire (caplen == len). */
	open_out(&o, dir, "gen_trunc_hdr.pcap", DLT_RAW, 262144);
	/* IPv4 says 28 bytes: 8 bytes where HDP needs 12 */
	n = hdp(pl, 420, 420, T0 - LAT, NULL, 0);
	ip4(&f, HDP_PROTO, 10, 0, pl, 8, NULL, 0);
	emit_whole(&o, &f);
	/* 12 bytes of an IPv4 header */
	n = hdp(pl, 420, 420, o.t - LAT, text, sizeof(text) - 1);
	ip4(&f, HDP_PROTO, 11, 0, pl, n, NULL, 0);
	emit(&o, &f, 12, 12);
	/* IPv6 payload length 5 */
	n = hdp(pl, 420, 420, o.t - LAT, NULL, 0);
	ip6(&f, HDP_PROTO, pl, 5);
	emit_whole(&o, &f);
	/* 30 bytes of an IPv6 header */
	n = hdp(pl, 420, 420, o.t - LAT, text, sizeof(text) - 1);
	ip6(&f, HDP_PROTO, pl, n);
	emit(&o, &f, 30, 30);
	/* IPv4 with a 4-byte option, 22 bytes of it */
	n = hdp(pl, 420, 420, o.t - LAT, text, sizeof(text) - 1);
	ip4(&f, HDP_PROTO, 12, 0, pl, n, (const uint8_t *)"\x01\x01\x01\x00",
	    4);
	emit(&o, &f, 22, 22);
	close_out(&o);

	/* The same datagrams cut by a snap length (caplen < len). */
	open_out(&o, dir, "gen_snaplen.pcap", DLT_RAW, 64);
	n = hdp(pl, 420, 420, T0 - LAT, "abcdefghijklmnopqrstuvwxyz0123",
		30);
	ip4(&f, HDP_PROTO, 20, 0, pl, n, NULL, 0);
	emit(&o, &f, 34, f.n);		/* payload 2 of 30 */
	emit(&o, &f, 30, f.n);		/* HDP header 10 of 12 */
	emit(&o, &f, 20, f.n);		/* no HDP byte */
	emit(&o, &f, 16, f.n);		/* IPv4 header 16 of 20 */
	n = hdp(pl, 420, 420, o.t - LAT, "abcdefghijklmnopqrstuvwxyz0123",
		30);
	ip6(&f, HDP_PROTO, pl, n);
	emit(&o, &f, 60, f.n);		/* IPv6 payload 8 of 30 */
	close_out(&o);
}

static void
fix_csum(struct frame *f)
{
	uint16_t c;

	size_t hl = (size_t)(f->b[0] & 15) * 4;

	f->b[10] = f->b[11] = 0;
	c = hdp_inet_csum(f->b, hl >= 20 ? hl : 20);
	set16(f->b + 10, c);
}

static void
gen_lies(const char *dir)
{
	struct out o;
	struct frame f;
	uint8_t pl[256];
	size_t n;

	/* IHL that does not match the header */
	open_out(&o, dir, "gen_ihl_lie.pcap", DLT_RAW, 262144);
	n = hdp(pl, 420, 420, T0 - LAT, text, sizeof(text) - 1);
	ip4(&f, HDP_PROTO, 30, 0, pl, n, NULL, 0);
	f.b[0] = 0x43;			/* IHL 3: shorter than the minimum */
	emit_whole(&o, &f);
	f.b[0] = 0x40;			/* IHL 0 */
	emit_whole(&o, &f);
	f.b[0] = 0x4f;			/* IHL 15: 60 bytes, datagram is 42 */
	emit_whole(&o, &f);
	n = hdp(pl, 420, 420, o.t - LAT, text, sizeof(text) - 1);
	ip4(&f, HDP_PROTO, 31, 0, pl, n, NULL, 0);
	f.b[0] = 0x46;			/* IHL 6: HDP read 4 bytes late */
	emit_whole(&o, &f);
	fix_csum(&f);			/* the same, checksum made good */
	emit_whole(&o, &f);
	close_out(&o);

	/* Total length that does not match the frame */
	open_out(&o, dir, "gen_len_lie.pcap", DLT_RAW, 262144);
	n = hdp(pl, 420, 420, T0 - LAT, text, sizeof(text) - 1);
	ip4(&f, HDP_PROTO, 40, 0, pl, n, NULL, 0);
	set16(f.b + 2, 60);		/* 60 > the 42 on the wire */
	fix_csum(&f);
	emit_whole(&o, &f);
	set16(f.b + 2, 36);		/* 36 < 42: the last 6 are trailer */
	fix_csum(&f);
	emit_whole(&o, &f);
	set16(f.b + 2, 10);		/* 10: less than the header */
	fix_csum(&f);
	emit_whole(&o, &f);
	set16(f.b + 2, 0);		/* 0, as segmentation offload shows */
	fix_csum(&f);
	emit_whole(&o, &f);
	n = hdp(pl, 420, 420, o.t - LAT, text, sizeof(text) - 1);
	ip6(&f, HDP_PROTO, pl, n);
	set16(f.b + 4, 200);		/* IPv6 payload length 200 > 22 */
	emit_whole(&o, &f);
	close_out(&o);
}

static void
gen_frags(const char *dir)
{
	static uint8_t big[3000 + HDP_HDR_LEN];
	struct out o;
	struct frame f;
	size_t i, n, off;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)('a' + i % 26);
	open_out(&o, dir, "gen_frags.pcap", DLT_RAW, 262144);
	n = hdp(big, 420, 420, T0 - LAT, big + HDP_HDR_LEN, 3000);
	/* IPv4: 1480-byte fragments, as a 1500-byte MTU makes them */
	for (off = 0; off < n; off += 1480) {
		size_t m = n - off < 1480 ? n - off : 1480;
		uint16_t frag = (uint16_t)(off / 8);

		if (off + m < n)
			frag |= 0x2000;	/* more fragments */
		ip4(&f, HDP_PROTO, 0x4242, frag, big + off, m, NULL, 0);
		emit_whole(&o, &f);
	}
	/* a first fragment too small to hold the HDP header */
	ip4(&f, HDP_PROTO, 0x4343, 0x2000, big, 8, NULL, 0);
	emit_whole(&o, &f);
	/* IPv6: fragment headers, 1448-byte pieces */
	hdp(big, 420, 420, o.t - LAT, big + HDP_HDR_LEN, 3000);
	for (off = 0; off < n; off += 1448) {
		size_t m = n - off < 1448 ? n - off : 1448;

		ip6_frag(&f, (uint16_t)(off / 8), off + m < n, 0x1234abcd,
			 big + off, m);
		emit_whole(&o, &f);
	}
	close_out(&o);
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";

	if (argc > 2 || (argc > 1 && strcmp(argv[1], "--help") == 0)) {
		fprintf(stderr, "usage: mkcorpus [DIR]\n");
		return 2;
	}
	gen_link(dir);
	gen_truncated(dir);
	gen_lies(dir);
	gen_frags(dir);
	return 0;
}
