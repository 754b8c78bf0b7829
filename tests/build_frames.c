/*
 * build_frames.c: every byte hdp_build.c produces for a fixed set of
 * packet specs, printed as hex, so a change to the builder that is meant
 * to keep its output (a refactoring) can be checked byte for byte against
 * a golden file (tests/send_golden.sh, tests/expected/build_frames.*).
 *
 *     build_frames [-x] none
 *     build_frames [-x] link IFACE SRC4 DST4 SRC6 DST6
 *
 * Each frame is printed as its length and a 64-bit FNV-1a hash of its
 * bytes (the golden files stay small); -x prints the bytes in hex, to see
 * where two builders differ.
 * "none" builds without a socket (HDP_TX_NONE); "link" builds Ethernet
 * frames on IFACE and really writes them (hdp_tx_write, and the fragments
 * of hdp_tx_write_frags), so run it only inside a namespace of the test's
 * own.  The specs walk every transport (HDP, UDP, none, TCP SYN, ICMP
 * echo), payload sizes, IPv4 options, DF, TOS and flow label, in an order
 * that rebuilds libnet's blocks in place and resets them (a transport or
 * options change, a payload appearing or going), then the refusals.
 * Timestamps are fixed (a spec's 0, "stamp at write time", is replaced by
 * hdp_tx_stamp() before the frame is printed); the identification of a
 * fragment that the sender draws itself is printed relative to the
 * first one drawn, as it starts from the clock.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <hdp/hdp.h>
#include "hdp_build.h"

#define TS_FIXED  UINT64_C(1795000000123456789)
#define TS_STAMP  UINT64_C(0x1122334455667788)

static uint8_t payload[65600];
static int hex_out;

struct frag_ctx {
	int      family;
	int      link;
	int      own_id;	/* the sender drew the identification */
	int      have_id;
	uint32_t first_id;
	unsigned n;
	uint64_t fnv;		/* of every fragment of one call (not -x)  */
	size_t   bytes;
	uint32_t last_rel;	/* the last id, relative to the first     */
};

static void
fnv_add(uint64_t *h, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		*h ^= p[i];
		*h *= UINT64_C(0x100000001b3);
	}
}

static void
put_hex(const uint8_t *p, size_t len)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	size_t i;

	if (!hex_out) {
		fnv_add(&h, p, len);
		printf("fnv %016llx\n", (unsigned long long)h);
		return;
	}
	for (i = 0; i < len; i++) {
		printf("%02x", p[i]);
		if (i % 32 == 31 && i + 1 < len)
			printf("\n  ");
	}
	printf("\n");
}

static void
dump_frame(struct hdp_tx *tx, const char *what)
{
	const uint8_t *f;
	size_t len;
	int dlt;

	if (hdp_tx_frame(tx, &f, &len, &dlt) < 0) {
		printf("%s: no frame\n", what);
		return;
	}
	printf("%s: dlt %d len %zu\n  ", what, dlt, len);
	put_hex(f, len);
}

/* A fragment, its drawn identification replaced by its distance from
 * the first one drawn (and the IPv4 checksum, which covers it, by xx). */
static void
frag_cb(void *arg, const uint8_t *frame, size_t len, uint64_t t)
{
	struct frag_ctx *c = arg;
	uint8_t b[2048];
	uint32_t rel = 0;
	size_t ip = c->link ? 14 : 0, idoff, idlen;
	uint32_t id = 0;
	size_t i;

	(void)t;
	if (len > sizeof(b)) {
		printf("  frag %u: %zu bytes, too long to print\n", c->n++, len);
		return;
	}
	memcpy(b, frame, len);
	idoff = c->family == AF_INET ? ip + 4 : ip + 44;
	idlen = c->family == AF_INET ? 2 : 4;
	if (c->own_id && len >= idoff + idlen) {
		for (i = 0; i < idlen; i++)
			id = id << 8 | b[idoff + i];
		if (!c->have_id) {
			c->first_id = id;
			c->have_id = 1;
		}
		memset(b + idoff, 0, idlen);
		if (c->family == AF_INET)
			memset(b + ip + 10, 0, 2);
		rel = id - c->first_id;
	}
	c->last_rel = rel;
	c->bytes += len;
	c->n++;
	if (!hex_out) {
		fnv_add(&c->fnv, b, len);
		return;
	}
	printf("  frag %u: id first+%u len %zu\n  ", c->n - 1,
	       (unsigned)rel, len);
	put_hex(b, len);
}

static void
spec_init(struct hdp_pkt_spec *s, int family, const char *src,
	  const char *dst)
{
	memset(s, 0, sizeof(*s));
	s->family = family;
	s->has_src = 1;
	inet_pton(family, src, &s->src);
	inet_pton(family, dst, &s->dst);
	s->proto = HDP_PROTO;
	s->l4 = HDP_L4_HDP;
	s->sport = 420;
	s->dport = 421;
	s->ttl = 64;
	s->ip_id = 0x1234;
	s->ts_ns = TS_FIXED;
	s->payload = payload;
}

static const char *l4_names[] = { "hdp", "udp", "none", "tcp-syn",
				  "icmp-echo" };

/* Build s, print the frame, write it once and in fragments. */
static void
run(struct hdp_tx *tx, struct hdp_pkt_spec *s, const char *what, int link,
    struct frag_ctx *fc)
{
	static const unsigned mtus[] = { 28, 29, 36, 64, 100, 576, 1280 };
	struct hdp_tx_result r;
	char err[256], head[200];
	uint64_t ts = s->ts_ns;
	size_t i;
	int rc;

	snprintf(head, sizeof(head), "%s %s proto %u len %zu opts %zu df %d "
		 "tos %u fl %u ts %s", s->family == AF_INET ? "ip4" : "ip6",
		 l4_names[s->l4], s->proto, s->payload_len, s->ip_opts_len,
		 s->df, s->tos, (unsigned)s->flow_label, ts ? "fixed" : "0");
	err[0] = '\0';
	rc = hdp_tx_build(tx, s, err, sizeof(err));
	printf("== %s [%s]: build %d%s%s\n", what, head, rc, rc ? ": " : "",
	       rc ? err : "");
	if (rc < 0)
		return;
	if (ts == 0) {
		printf("stamp %d\n", hdp_tx_stamp(tx, TS_STAMP));
		if (s->l4 != HDP_L4_HDP && s->l4 != HDP_L4_UDP)
			ts = 1;	/* nothing was stamped: fixed */
	}
	dump_frame(tx, "frame");
	if (ts == 0)
		return;	/* a write would stamp the clock into it */
	rc = hdp_tx_write(tx, &r);
	printf("write %d ok %d bytes %zu hdp_ts %llu%s%s\n", rc, r.ok, r.bytes,
	       (unsigned long long)r.hdp_ts_ns, r.ok ? "" : " ", r.error);
	for (i = 0; i < sizeof(mtus) / sizeof(mtus[0]); i++) {
		fc->family = s->family;
		fc->link = link;
		fc->own_id = s->family == AF_INET6 || s->ip_id == 0;
		fc->n = 0;
		fc->bytes = 0;
		fc->last_rel = 0;
		fc->fnv = UINT64_C(0xcbf29ce484222325);
		rc = hdp_tx_write_frags(tx, mtus[i], frag_cb, fc, &r);
		printf("frags mtu %u: %d ok %d bytes %zu hdp_ts %llu%s%s\n",
		       mtus[i], rc, r.ok, r.bytes,
		       (unsigned long long)r.hdp_ts_ns, r.ok ? "" : " ",
		       r.error);
		if (!hex_out && fc->n)
			printf("  %u fragments, %zu bytes, id first+%u, "
			       "fnv %016llx\n", fc->n, fc->bytes,
			       (unsigned)fc->last_rel,
			       (unsigned long long)fc->fnv);
	}
}

static void
family_run(int family, enum hdp_tx_mode mode, const char *ifname,
	   const char *src, const char *dst)
{
	static const uint8_t opts4[] = { 1, 1, 1, 0 };
	static const uint8_t rr8[] = { 7, 7, 4, 0, 0, 0, 0, 0 };
	static const size_t lens[] = { 0, 1, 8, 100, 1400 };
	struct frag_ctx fc;
	struct hdp_pkt_spec s;
	struct hdp_tx *tx;
	char err[256], what[64];
	int perm, l4, pass, link = mode == HDP_TX_LINK;
	size_t i;

	tx = hdp_tx_open(mode, family, ifname, &perm, err, sizeof(err));
	if (tx == NULL) {
		fprintf(stderr, "build_frames: hdp_tx_open: %s\n", err);
		exit(99);
	}
	memset(&fc, 0, sizeof(fc));
	/* twice, the second time backwards: every transition rebuilds in
	 * place or resets the blocks another way */
	for (pass = 0; pass < 2; pass++) {
		for (l4 = 0; l4 < 5; l4++) {
			int k = pass ? 4 - l4 : l4;

			for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
				size_t j = pass ? 4 - i : i;

				spec_init(&s, family, src, dst);
				s.l4 = (enum hdp_l4)k;
				s.payload_len = lens[j];
				s.tos = (uint8_t)(j * 0x29);
				s.flow_label = (uint32_t)(j * 0x2f0f1);
				s.ttl = (uint8_t)(1 + j * 50);
				s.df = j == 3;
				s.sport = (uint16_t)(1000 + k);
				s.dport = (uint16_t)(2000 + j);
				s.ts_ns = j == 2 ? 0 : TS_FIXED + j;
				s.tcp_seq = 0x01020304u * (uint32_t)j;
				if (k == HDP_L4_NONE)
					s.proto = (uint8_t)(j ? 200 + j : 17);
				if (family == AF_INET && j == 1) {
					s.ip_opts = opts4;
					s.ip_opts_len = sizeof(opts4);
				} else if (family == AF_INET && j == 4) {
					s.ip_opts = rr8;
					s.ip_opts_len = sizeof(rr8);
				}
				if (j == 0)
					s.ip_id = 0;
				snprintf(what, sizeof(what), "pass %d", pass);
				run(tx, &s, what, link, &fc);
			}
		}
	}
	/* the refusals */
	spec_init(&s, family, src, dst);
	s.family = family == AF_INET ? AF_INET6 : AF_INET;
	run(tx, &s, "wrong family", link, &fc);
	spec_init(&s, family, src, dst);
	s.ip_opts = opts4;
	s.ip_opts_len = 3;
	run(tx, &s, "options length", link, &fc);
	spec_init(&s, family, src, dst);
	s.ip_opts = rr8;
	s.ip_opts_len = 44;
	run(tx, &s, "options too long", link, &fc);
	spec_init(&s, family, src, dst);
	s.flow_label = 0x100000;
	run(tx, &s, "flow label", link, &fc);
	spec_init(&s, family, src, dst);
	s.payload_len = 65535 - 11;
	run(tx, &s, "payload too large", link, &fc);
	spec_init(&s, family, src, dst);
	s.l4 = HDP_L4_UDP;
	s.payload_len = 65535 - 12 - 20 - 8 + 1;
	run(tx, &s, "datagram too large", link, &fc);
	spec_init(&s, family, src, dst);
	s.payload_len = 65535 - 12 - (family == AF_INET ? 20 : 0);
	s.ip_opts = family == AF_INET ? rr8 : NULL;
	s.ip_opts_len = family == AF_INET ? sizeof(rr8) : 0;
	run(tx, &s, "largest", link, &fc);
	hdp_tx_close(tx);
}

int
main(int argc, char **argv)
{
	size_t i;

	for (i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + (i >> 8));
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if (argc > 1 && strcmp(argv[1], "-x") == 0) {
		hex_out = 1;
		argc--;
		argv++;
	}
	if (argc == 2 && strcmp(argv[1], "none") == 0) {
		family_run(AF_INET, HDP_TX_NONE, NULL, "192.0.2.1",
			   "192.0.2.2");
		family_run(AF_INET6, HDP_TX_NONE, NULL, "2001:db8::1",
			   "2001:db8::2");
	} else if (argc == 7 && strcmp(argv[1], "link") == 0) {
		family_run(AF_INET, HDP_TX_LINK, argv[2], argv[3], argv[4]);
		family_run(AF_INET6, HDP_TX_LINK, argv[2], argv[5], argv[6]);
	} else {
		fprintf(stderr, "usage: build_frames none | link IFACE SRC4 "
			"DST4 SRC6 DST6\n");
		return 2;
	}
	return 0;
}
