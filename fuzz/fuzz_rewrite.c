/*
 * fuzz_rewrite.c: libFuzzer harness for hdp replay's rewrite of a captured
 * frame (src/tool_replay.c: rewrite(), which decides whether a frame can
 * be rebuilt, and for fragments, IPv6 extension headers and pseudo-header
 * checksums walks the captured bytes itself: fix_csum(), ip6_segs_left()).
 * Those functions are static in the tool: the harness includes its source.
 *
 * Input layout:
 *   byte 0     link type, as fuzz_frame.c: an index into links[], any
 *              larger value a DLT number
 *   byte 1     wire length, as fuzz_frame.c
 *   byte 2     the rewrite asked: bit 0 --dst IPv4, 1 --dst IPv6,
 *              2 --src IPv4, 3 --src IPv6, 4 --proto, 5 --ttl,
 *              6 --sport/--dport, 7 --refresh-timestamp
 *   byte 3..   the captured frame, in a buffer of exactly its size
 *
 * Beyond sanitizer reports it checks what the rest of replay relies on:
 * a frame taken has its payload and IPv4 options inside the captured
 * bytes (or, checksum adjusted, in the scratch buffer), every byte of
 * them readable; a frame refused has a skip reason and a terminated text.
 */
#include "tool_replay.c"

#include "fuzz.h"

static const int fz_links[] = FUZZ_LINKS;
#define FZ_NLINKS (sizeof(fz_links) / sizeof(fz_links[0]))

static uint8_t fz_scratch[65536];

/* 1 when [p, p + n) lies inside [base, base + len). */
static int
inside(const uint8_t *p, size_t n, const uint8_t *base, size_t len)
{
	return p >= base && n <= len && (size_t)(p - base) <= len - n;
}

static void
fz_opts(struct replay_opts *o, uint8_t b)
{
	memset(o, 0, sizeof(*o));
	o->set_dst[0] = b & 1;
	o->set_dst[1] = (b >> 1) & 1;
	o->set_src[0] = (b >> 2) & 1;
	o->set_src[1] = (b >> 3) & 1;
	inet_pton(AF_INET, "192.0.2.1", &o->dst[0].v4);
	inet_pton(AF_INET6, "2001:db8::1", &o->dst[1].v6);
	inet_pton(AF_INET, "198.51.100.7", &o->src[0].v4);
	inet_pton(AF_INET6, "2001:db8:ffff::7", &o->src[1].v6);
	o->set_proto = (b >> 4) & 1;
	o->proto = 253;
	o->set_ttl = (b >> 5) & 1;
	o->ttl = 1;
	o->set_sport = o->set_dport = (b >> 6) & 1;
	o->sport = 1;
	o->dport = 65535;
	o->refresh_ts = (b >> 7) & 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct replay_opts o;
	struct hdp_frame f;
	struct hdp_pkt_spec spec;
	char why[160];
	uint8_t *pkt;
	size_t caplen, wirelen, i;
	unsigned sum = 0;
	int dlt, sk;

	if (size < 3)
		return 0;
	dlt = data[0] < FZ_NLINKS ? fz_links[data[0]] : data[0];
	caplen = size - 3;
	if (data[1] == 0)
		wirelen = caplen;
	else if (data[1] < 128)
		wirelen = caplen + 13u * data[1];
	else
		wirelen = caplen > (size_t)(data[1] - 128) ?
			  caplen - (data[1] - 128) : 0;
	fz_opts(&o, data[2]);
	/* exactly the captured bytes, so a read past them is reported */
	pkt = malloc(caplen ? caplen : 1);
	FUZZ_ASSERT(pkt != NULL);
	memcpy(pkt, data + 3, caplen);

	hdp_decode_frame(dlt, pkt, caplen, wirelen, &f);
	why[0] = '\0';
	sk = rewrite(&o, &f, pkt, &spec, fz_scratch, why, sizeof(why));
	if (sk != 0) {
		FUZZ_ASSERT(sk >= 1 && sk <= SK_COUNT);
		FUZZ_ASSERT(memchr(why, '\0', sizeof(why)) != NULL);
		FUZZ_ASSERT(why[0] != '\0');
	} else {
		FUZZ_ASSERT(spec.family == AF_INET || spec.family == AF_INET6);
		FUZZ_ASSERT(spec.payload_len == 0 ||
			    inside(spec.payload, spec.payload_len, pkt,
				   caplen) ||
			    inside(spec.payload, spec.payload_len,
				   fz_scratch, sizeof(fz_scratch)));
		FUZZ_ASSERT(spec.ip_opts == NULL ||
			    inside(spec.ip_opts, spec.ip_opts_len, pkt,
				   caplen));
		FUZZ_ASSERT(spec.ip_opts_len % 4 == 0 &&
			    spec.ip_opts_len <= 40);
		/* read them all: ASan judges, the sum keeps the reads */
		for (i = 0; i < spec.payload_len; i++)
			sum += spec.payload[i];
		for (i = 0; i < spec.ip_opts_len; i++)
			sum += spec.ip_opts[i];
	}
	free(pkt);
	return (int)(sum & 0);
}
