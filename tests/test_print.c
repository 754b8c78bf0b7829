/*
 * test_print.c: unit tests of the packet printers (hdp_print.c) and of the
 * capture-file precision reader (hdp_capture.c).
 *
 * The hand-written formatters are checked against libc (inet_ntop,
 * snprintf) on many random values; every printer runs on frames cut at
 * every length, each copy in a buffer of exactly its length, so a read
 * past caplen is caught by ASan or valgrind; full frames must print the
 * exact expected text.
 */
#include "config.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include <hdp/hdp.h>
#include "hdp_capture.h"
#include "hdp_print.h"
#include "unit.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void
test_formatters(void)
{
	static const uint64_t u[] = { 0, 1, 9, 10, 99, 100, 4294967295ull,
				      18446744073709551615ull };
	char a[64], b[64];
	uint8_t ip[16];
	size_t i, n;
	int k, j;

	for (i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		n = hdp_fmt_u64(a, u[i]);
		a[n] = '\0';
		snprintf(b, sizeof(b), "%" PRIu64, u[i]);
		CHECK_MSG(strcmp(a, b) == 0, "%s != %s", a, b);
	}
	for (k = 0; k < 100000; k++) {
		uint64_t v = rnd() >> (rnd() % 64);

		a[hdp_fmt_u64(a, v)] = '\0';
		snprintf(b, sizeof(b), "%" PRIu64, v);
		if (strcmp(a, b) != 0) {
			CHECK_MSG(0, "u64 %s != %s", a, b);
			break;
		}
		for (j = 0; j < 4; j++)
			ip[j] = (uint8_t)(rnd() % 4 == 0 ? rnd() % 10 : rnd());
		a[hdp_fmt_ip4(a, ip)] = '\0';
		inet_ntop(AF_INET, ip, b, sizeof(b));
		if (strcmp(a, b) != 0) {
			CHECK_MSG(0, "ip4 %s != %s", a, b);
			break;
		}
		/* groups zero half the time: every shape of "::" */
		for (j = 0; j < 8; j++) {
			uint16_t g = rnd() % 2 ? 0 : (uint16_t)(rnd() >>
						(rnd() % 4 * 4));

			ip[2 * j] = (uint8_t)(g >> 8);
			ip[2 * j + 1] = (uint8_t)g;
		}
		if (k % 7 == 0) {	/* ::ffff:a.b.c.d and ::a.b.c.d */
			memset(ip, 0, 10);
			ip[10] = ip[11] = k % 14 ? 0xff : 0;
		}
		a[hdp_fmt_ip6(a, ip)] = '\0';
		inet_ntop(AF_INET6, ip, b, sizeof(b));
		if (strcmp(a, b) != 0) {
			CHECK_MSG(0, "ip6 %s != %s", a, b);
			break;
		}
	}
	memset(ip, 0, 16);
	a[hdp_fmt_ip6(a, ip)] = '\0';
	CHECK(strcmp(a, "::") == 0);
	ip[15] = 1;
	a[hdp_fmt_ip6(a, ip)] = '\0';
	CHECK(strcmp(a, "::1") == 0);
}

static void
put32(uint8_t *p, uint32_t v, int le)
{
	for (int i = 0; i < 4; i++)
		p[le ? i : 3 - i] = (uint8_t)(v >> (8 * i));
}

static void
put16(uint8_t *p, uint16_t v, int le)
{
	p[le ? 0 : 1] = (uint8_t)v;
	p[le ? 1 : 0] = (uint8_t)(v >> 8);
}

/* A pcapng section header and an interface description with tsresol. */
static size_t
pcapng_head(uint8_t *b, int le, int tsresol)
{
	size_t n = 0, idb;

	put32(b, 0x0a0d0d0a, le);
	put32(b + 4, 28, le);
	put32(b + 8, 0x1a2b3c4d, le);
	put16(b + 12, 1, le);
	put16(b + 14, 0, le);
	memset(b + 16, 0xff, 8);
	put32(b + 24, 28, le);
	n = 28;
	idb = n;
	put32(b + n, 1, le);
	put16(b + n + 8, 1, le);
	put16(b + n + 10, 0, le);
	put32(b + n + 12, 262144, le);
	n += 16;
	if (tsresol >= 0) {
		put16(b + n, 2, le);		/* if_name "lo" */
		put16(b + n + 2, 2, le);
		memcpy(b + n + 4, "lo\0\0", 4);
		n += 8;
		put16(b + n, 9, le);		/* if_tsresol */
		put16(b + n + 2, 1, le);
		b[n + 4] = (uint8_t)tsresol;
		b[n + 5] = b[n + 6] = b[n + 7] = 0;
		n += 8;
	}
	put16(b + n, 0, le);			/* opt_endofopt */
	put16(b + n + 2, 0, le);
	n += 4;
	put32(b + idb + 4, (uint32_t)(n + 4 - idb), le);
	put32(b + n, (uint32_t)(n + 4 - idb), le);
	return n + 4;
}

static void
test_digits(void)
{
	uint8_t b[256];
	size_t n, cut;
	int le;

	put32(b, 0xa1b2c3d4, 1);
	CHECK(hdp_pcap_file_digits(b, 24) == 6);
	put32(b, 0xa1b2c3d4, 0);
	CHECK(hdp_pcap_file_digits(b, 24) == 6);
	put32(b, 0xa1b23c4d, 1);
	CHECK(hdp_pcap_file_digits(b, 24) == 9);
	put32(b, 0xa1b23c4d, 0);
	CHECK(hdp_pcap_file_digits(b, 4) == 9);
	CHECK(hdp_pcap_file_digits(b, 3) == 0);
	for (le = 0; le < 2; le++) {
		n = pcapng_head(b, le, 9);
		CHECK(hdp_pcap_file_digits(b, n) == 9);
		for (cut = 4; cut < n; cut++)
			CHECK_MSG(hdp_pcap_file_digits(b, cut) == 0 ||
				  hdp_pcap_file_digits(b, cut) == 9,
				  "pcapng cut %zu", cut);
		n = pcapng_head(b, le, 6);
		CHECK(hdp_pcap_file_digits(b, n) == 6);
		n = pcapng_head(b, le, -1);
		CHECK(hdp_pcap_file_digits(b, n) == 6);
		n = pcapng_head(b, le, 0x80 | 30);	/* 2^-30 */
		CHECK(hdp_pcap_file_digits(b, n) == 9);
	}
	memcpy(b, "junk", 4);
	CHECK(hdp_pcap_file_digits(b, 4) == 6);
}

/* ---- printers on frames ------------------------------------------------ */

static size_t
ipv4_hdp(uint8_t *b, uint8_t proto, const char *data)
{
	size_t dl = strlen(data), n = 20 + 12 + dl;
	struct hdp_hdr h = { 420, 421, 1795435200000000000ull - 12345 };
	uint16_t c;

	memset(b, 0, 20);
	b[0] = 0x45;
	b[2] = (uint8_t)(n >> 8);
	b[3] = (uint8_t)n;
	b[8] = 64;
	b[9] = proto;
	memcpy(b + 12, "\x7f\x00\x00\x01\x7f\x00\x00\x02", 8);
	c = hdp_inet_csum(b, 20);
	b[10] = (uint8_t)(c >> 8);
	b[11] = (uint8_t)c;
	hdp_hdr_encode(&h, b + 20, 12);
	memcpy(b + 32, data, dl);
	return n;
}

static size_t
ipv6_dstopt_hdp(uint8_t *b, const char *data)
{
	size_t dl = strlen(data), n = 40 + 8 + 12 + dl;
	struct hdp_hdr h = { 420, 420, 1795435200000000000ull - 1000 };

	memset(b, 0, 48);
	b[0] = 0x60;
	b[4] = (uint8_t)((n - 40) >> 8);
	b[5] = (uint8_t)(n - 40);
	b[6] = 60;		/* destination options */
	b[7] = 64;
	b[23] = 1;
	b[39] = 2;
	b[8] = 0x20;
	b[9] = 0x01;
	b[24] = 0x20;
	b[25] = 0x01;
	b[40] = 255;		/* then HDP */
	b[42] = 1;		/* PadN */
	b[43] = 4;
	hdp_hdr_encode(&h, b + 48, 12);
	memcpy(b + 60, data, dl);
	return n;
}

/* The printer's settings a test varies. */
struct pr_set {
	enum hdp_pr_dump dump;
	int link, verbose, brief;
	enum hdp_pr_time time;
};

static char *
print_with(int dlt, const uint8_t *pkt, size_t caplen, size_t len,
	   enum hdp_pr_mode mode, const struct pr_set *set)
{
	struct hdp_printer pr;
	struct pcap_pkthdr h;
	char *out = NULL;
	size_t outlen = 0;
	FILE *f = open_memstream(&out, &outlen);

	if (f == NULL || hdp_printer_init(&pr, f, mode, dlt) != 0)
		exit(99);
	pr.dump = set->dump;
	pr.link = set->link;
	pr.verbose = set->verbose;
	pr.brief = set->brief;
	pr.ts_digits = 9;
	pr.time = set->time;
	h.ts.tv_sec = 1795435200;
	h.ts.tv_usec = 0;
	h.caplen = (bpf_u_int32)caplen;
	h.len = (bpf_u_int32)len;
	hdp_print_packet(&pr, &h, pkt);
	hdp_printer_finish(&pr);
	fclose(f);
	return out;
}

static char *
print_all(int dlt, const uint8_t *pkt, size_t caplen, size_t len,
	  enum hdp_pr_mode mode, int dump)
{
	struct pr_set set = { (enum hdp_pr_dump)dump, 0, 0, 0,
			      HDP_PR_TIME_EPOCH };

	return print_with(dlt, pkt, caplen, len, mode, &set);
}

static void
test_printers(void)
{
	static const enum hdp_pr_mode modes[] = {
		HDP_PR_LINE, HDP_PR_VERBOSE, HDP_PR_TABLE, HDP_PR_JSON,
		HDP_PR_QUIET
	};
	uint8_t fr[4][256];
	size_t fn[4];
	int dlts[4] = { DLT_LINUX_SLL2, DLT_EN10MB, DLT_RAW, DLT_RAW };
	char *s;
	size_t i, cut, m;

	/* SLL2 (ifindex 3, outgoing) + IPv4 HDP */
	memset(fr[0], 0, 20);
	fr[0][0] = 0x08;
	fr[0][7] = 3;
	fr[0][10] = 4;
	fn[0] = 20 + ipv4_hdp(fr[0] + 20, 255, "hello, hdp");
	/* Ethernet + IPv6 + destination options + HDP */
	memset(fr[1], 0x02, 12);
	fr[1][12] = 0x86;
	fr[1][13] = 0xdd;
	fn[1] = 14 + ipv6_dstopt_hdp(fr[1] + 14, "six");
	/* raw IPv4 UDP carrying an HDP header (the comparison mode) */
	fn[2] = ipv4_hdp(fr[2], 17, "abcdefgh--udp");
	/* raw IPv4, binary payload */
	fn[3] = ipv4_hdp(fr[3], 255, "\x01\x02\x1b[2J");

	s = print_all(dlts[0], fr[0], fn[0], fn[0], HDP_PR_LINE, 0);
	CHECK_MSG(strcmp(s, "1795435200.000000000 if3   Out IP "
			 "127.0.0.1.420 > 127.0.0.2.421: HDP ts "
			 "1795435199999987655 latency 12.3 us len 10\n") == 0,
		  "line: %s", s);
	free(s);
	s = print_all(dlts[1], fr[1], fn[1], fn[1], HDP_PR_LINE, 0);
	CHECK_MSG(strcmp(s, "1795435200.000000000 IP6 2001::1.420 > "
			 "2001::2.420: HDP ts 1795435199999999000 latency "
			 "1.0 us len 3\n") == 0, "line6: %s", s);
	free(s);
	s = print_all(dlts[2], fr[2], fn[2], fn[2], HDP_PR_LINE, 0);
	CHECK_MSG(strstr(s, "IP 127.0.0.1.420 > 127.0.0.2.421: UDP ") != NULL,
		  "udp: %s", s);
	free(s);
	s = print_all(dlts[0], fr[0], fn[0], fn[0], HDP_PR_JSON, 0);
	CHECK_MSG(strstr(s, "\"ifindex\":3,\"direction\":\"Out\"") != NULL &&
		  strstr(s, "\"latency_ns\":12345") != NULL &&
		  strstr(s, "\"payload_hex\":\"68656c6c6f2c20686470\"") != NULL &&
		  strstr(s, "\"error\":null}") != NULL, "json: %s", s);
	free(s);
	s = print_all(dlts[3], fr[3], fn[3], fn[3], HDP_PR_VERBOSE, 0);
	CHECK_MSG(strstr(s, "Data (6 bytes, binary):") != NULL &&
		  strchr(s, 0x1b) == NULL, "binary data: %s", s);
	CHECK(strstr(s, "Header Checksum: 0x") && strstr(s, "(correct)"));
	free(s);
	s = print_all(dlts[0], fr[0], 56, fn[0], HDP_PR_LINE, 0);
	CHECK_MSG(strstr(s, "[|hdp] payload 4 of 10 bytes captured") != NULL,
		  "cut: %s", s);
	free(s);

	/* every cut, every mode: nothing read past caplen (ASan/valgrind) */
	for (i = 0; i < 4; i++)
		for (cut = 0; cut <= fn[i]; cut++)
			for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
				uint8_t *copy = malloc(cut ? cut : 1);

				memcpy(copy, fr[i], cut);
				struct pr_set set = {
					(enum hdp_pr_dump)(cut % 6),
					(int)(cut & 1), (int)(cut >> 1) % 4,
					(int)(cut >> 2) & 1,
					(enum hdp_pr_time)(cut % 6)
				};

				s = print_with(dlts[i], copy, cut, fn[i],
					       modes[m], &set);
				CHECK(s != NULL);
				if (modes[m] == HDP_PR_JSON)
					CHECK_MSG(s[0] == '{' &&
						  s[strlen(s) - 1] == '\n',
						  "json cut %zu", cut);
				free(s);
				free(copy);
			}
}

/* Issue 16: latency as a person reads it, rounded to a tenth. */
static void
test_latency(void)
{
	static const struct {
		int64_t ns;
		const char *s;
	} t[] = {
		{ 0, "0.0 us" }, { 49, "0.0 us" }, { 50, "0.1 us" },
		{ 21192, "21.2 us" }, { 999949, "999.9 us" },
		{ 999950, "1.0 ms" }, { 3456789, "3.5 ms" },
		{ 999949999, "999.9 ms" }, { 999950000, "1.0 s" },
		{ 185324074017ll, "185.3 s" }, { -12345, "-12.3 us" },
		{ INT64_MAX, "9223372036.9 s" },
		{ INT64_MIN + 1, "-9223372036.9 s" }
	};
	char b[32];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		b[hdp_fmt_latency(b, t[i].ns)] = '\0';
		CHECK_MSG(strcmp(b, t[i].s) == 0, "%lld: %s, want %s",
			  (long long)t[i].ns, b, t[i].s);
	}
}

/* Issue 16: -e, -v, -x, -A and -ttt on whole frames, exact text. */
static void
test_tcpdump_forms(void)
{
	uint8_t fr[256];
	size_t n;
	struct pr_set set = { HDP_PR_DUMP_NONE, 1, 1, 0, HDP_PR_TIME_NONE };
	char *s;

	memset(fr, 0, 20);	/* SLL2, ifindex 3, outgoing */
	fr[0] = 0x08;
	fr[7] = 3;
	fr[10] = 4;
	fr[11] = 6;
	memcpy(fr + 12, "\x02\x00\x00\x00\x00\x01", 6);
	n = 20 + ipv4_hdp(fr + 20, 255, "hi");
	s = print_with(DLT_LINUX_SLL2, fr, n, n, HDP_PR_LINE, &set);
	CHECK_MSG(strcmp(s, "if3   Out ifindex 3 02:00:00:00:00:01 ethertype "
			 "IPv4 (0x0800), length 54: (tos 0x0, ttl 64, id 0, "
			 "offset 0, flags [none], proto unknown (255), "
			 "length 34) 127.0.0.1.420 > 127.0.0.2.421: HDP ts "
			 "1795435199999987655 latency 12.3 us len 2\n") == 0,
		  "-e -v: %s", s);
	free(s);
	set.link = set.verbose = 0;
	set.brief = 1;
	set.dump = HDP_PR_DUMP_HEX;
	s = print_with(DLT_LINUX_SLL2, fr, n, n, HDP_PR_LINE, &set);
	CHECK_MSG(strstr(s, "HDP latency 12.3 us len 2\n"
			 "\t0x0000:  4500 0022 0000 0000 40ff ") != NULL &&
		  strstr(s, "\n\t0x0020:  6869\n") != NULL, "-q -x: %s", s);
	free(s);
	set.dump = HDP_PR_DUMP_ASCII;
	s = print_with(DLT_LINUX_SLL2, fr, n, n, HDP_PR_LINE, &set);
	CHECK_MSG(strstr(s, "len 2\nE..\"") != NULL &&
		  strcmp(s + strlen(s) - 3, "hi\n") == 0, "-A: %s", s);
	free(s);
	set.dump = HDP_PR_DUMP_HEX_LINK;
	s = print_with(DLT_LINUX_SLL2, fr, n, n, HDP_PR_LINE, &set);
	CHECK_MSG(strstr(s, "\t0x0000:  0800 0000 0000 0003 0000 0406 0200 "
			 "0000\n") != NULL, "-xx: %s", s);
	free(s);
}

/* Issue 15: a payload's CR and LF are shown, not obeyed; hdp_fmt_safe. */
static void
test_escaping(void)
{
	uint8_t fr[256];
	size_t n = ipv4_hdp(fr, 255, "harmless\rEVIL\nforged line\n");
	char *s = print_all(DLT_RAW, fr, n, n, HDP_PR_VERBOSE, 0);
	char d[64];
	const char *p;

	CHECK_MSG(strstr(s, "Data (26 bytes, text):\n"
			 "harmless\\x0dEVIL\\x0aforged line\\x0a\n") != NULL,
		  "text data: %s", s);
	for (p = s; *p; p++)
		CHECK(*p == '\n' || (*p >= 0x20 && *p < 0x7f));
	free(s);
	CHECK(hdp_fmt_safe(d, "a\x1b[2J\x7f\xff\\", 8) == 17);
	CHECK(memcmp(d, "a\\x1b[2J\\x7f\\xff\\", 17) == 0);
}

int
main(void)
{
	test_formatters();
	test_digits();
	test_printers();
	test_latency();
	test_tcpdump_forms();
	test_escaping();
	return unit_report("test_print");
}
