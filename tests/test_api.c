/*
 * test_api.c: libhdp's documented API, linked against the shared
 * libhdp.so (only the exported names) and compiled with the public
 * headers alone: defaults, every error path of the builder and the
 * printer, each output form into a buffer and into a FILE, the counts,
 * and libpcap's sign-extended seconds.
 */
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <hdp/hdp.h>
#include <hdp/build.h>
#include <hdp/print.h>

#include "unit.h"

static uint8_t pkt[HDP_BUILD_MAX];

static int
build_v4(struct hdp_build_opts *o, const char *payload)
{
	char errbuf[HDP_ERRBUF_SIZE] = "";

	hdp_build_init(o, AF_INET);
	inet_pton(AF_INET, "192.0.2.1", &o->src.v4);
	inet_pton(AF_INET, "192.0.2.2", &o->dst.v4);
	o->payload = (const uint8_t *)payload;
	o->payload_len = strlen(payload);
	return hdp_build_packet(o, pkt, sizeof(pkt), errbuf);
}

static void
test_build(void)
{
	char errbuf[HDP_ERRBUF_SIZE];
	struct hdp_build_opts o;
	struct hdp_frame f;
	uint64_t before = hdp_now_ns(), after;
	int n;

	n = build_v4(&o, "abc");
	after = hdp_now_ns();
	CHECK(o.proto == HDP_PROTO && o.sport == HDP_DEFAULT_PORT &&
	      o.dport == HDP_DEFAULT_PORT && o.ttl == 64);
	CHECK_MSG(n == 20 + 12 + 3, "%d", n);
	CHECK((size_t)n == hdp_build_len(&o));
	CHECK(hdp_decode_ip(pkt, (size_t)n, (size_t)n, &f) == HDP_ST_OK);
	CHECK(f.has_hdp && f.proto == 255 && f.ttl == 64);
	CHECK(f.ip_csum_ok == 1);
	/* ts_ns 0: stamped when built */
	CHECK(f.hdp.ts_ns >= before && f.hdp.ts_ns <= after);
	CHECK(f.payload_len == 3 && memcmp(pkt + f.payload_off, "abc", 3) == 0);

	/* IPv6 at the largest payload length */
	hdp_build_init(&o, AF_INET6);
	o.payload_len = 65535 - HDP_HDR_LEN;
	o.payload = calloc(1, o.payload_len);
	CHECK(hdp_build_len(&o) == HDP_BUILD_MAX);
	n = hdp_build_packet(&o, pkt, sizeof(pkt), errbuf);
	CHECK_MSG(n == HDP_BUILD_MAX, "%d: %s", n, n < 0 ? errbuf : "");
	CHECK(hdp_decode_ip(pkt, (size_t)n, (size_t)n, &f) == HDP_ST_OK &&
	      f.ip_version == 6 && f.payload_len == o.payload_len);
	free((void *)o.payload);

	/* errors: into errbuf, -1 */
	hdp_build_init(&o, 99);
	errbuf[0] = '\0';
	CHECK(hdp_build_packet(&o, pkt, sizeof(pkt), errbuf) == -1);
	CHECK_MSG(strstr(errbuf, "family") != NULL, "%s", errbuf);
	CHECK(hdp_build_len(&o) == 0);
	hdp_build_init(&o, AF_INET);
	o.payload_len = 65535 - 20 - 12 + 1;
	o.payload = pkt;
	errbuf[0] = '\0';
	CHECK(hdp_build_len(&o) == 0);
	CHECK(hdp_build_packet(&o, pkt, sizeof(pkt), errbuf) == -1);
	CHECK_MSG(strstr(errbuf, "does not fit") != NULL, "%s", errbuf);
	o.payload_len = 0;
	errbuf[0] = '\0';
	CHECK(hdp_build_packet(&o, pkt, 31, errbuf) == -1);
	CHECK_MSG(strstr(errbuf, "too small") != NULL, "%s", errbuf);
	CHECK(hdp_build_packet(&o, pkt, 32, errbuf) == 32);

	/* a length without bytes, or nothing at all: refused, said */
	o.payload = NULL;
	o.payload_len = 5;
	CHECK(hdp_build_len(&o) == 0);
	CHECK(hdp_build_packet(&o, pkt, sizeof(pkt), errbuf) == -1);
	CHECK_MSG(strstr(errbuf, "payload is NULL") != NULL, "%s", errbuf);
	CHECK(hdp_build_len(NULL) == 0);
	CHECK(hdp_build_packet(NULL, pkt, sizeof(pkt), errbuf) == -1);
	o.payload_len = 0;
	CHECK(hdp_build_packet(&o, NULL, 100, errbuf) == -1);
}

/* snprintf's way: measure with no buffer, then print; the printer's
 * state (the table's header, the counts) must not move in between. */
static void
test_measure_then_print(void)
{
	char errbuf[HDP_ERRBUF_SIZE], buf[4096];
	struct hdp_build_opts o;
	struct hdp_print_stats st;
	hdp_print_t *pr = hdp_print_open(NULL, HDP_FORM_TABLE, DLT_RAW,
					 HDP_PRINT_NOTIME, errbuf);
	int n = build_v4(&o, "xyz"), m1, m2, m3;

	CHECK(pr != NULL);
	if (pr == NULL)
		return;
	m1 = hdp_print_frame_buf(pr, pkt, (size_t)n, (size_t)n, 0, NULL, 0);
	m2 = hdp_print_frame_buf(pr, pkt, (size_t)n, (size_t)n, 0, buf, 10);
	m3 = hdp_print_frame_buf(pr, pkt, (size_t)n, (size_t)n, 0, buf,
				 sizeof(buf));
	CHECK_MSG(m1 == m2 && m2 == m3 && (size_t)m3 == strlen(buf),
		  "%d %d %d", m1, m2, m3);
	CHECK_MSG(strstr(buf, "| Protocol Number |") != NULL, "%s", buf);
	hdp_print_stats(pr, &st);
	CHECK_MSG(st.packets == 1, "%llu", (unsigned long long)st.packets);
	hdp_print_close(pr);
}

/* The text of form for the packet in pkt, n bytes, into a buffer. */
static int
text_of(enum hdp_form form, unsigned flags, int n, char *buf, size_t len)
{
	char errbuf[HDP_ERRBUF_SIZE];
	hdp_print_t *pr = hdp_print_open(NULL, form, DLT_RAW, flags, errbuf);
	int rc;

	if (pr == NULL)
		return -1;
	rc = hdp_print_frame_buf(pr, pkt, (size_t)n, (size_t)n,
				 UINT64_C(1700000000000000000), buf, len);
	hdp_print_close(pr);
	return rc;
}

static void
test_forms(void)
{
	static const struct { enum hdp_form form; const char *has; } t[] = {
		{ HDP_FORM_LINE, "IP 192.0.2.1.420 > 192.0.2.2.420: HDP ts " },
		{ HDP_FORM_VERBOSE, "~~~ IP Header ~~~" },
		{ HDP_FORM_TABLE, "| Protocol Number |" },
		{ HDP_FORM_JSON, "\"sport\":420,\"dport\":420," },
		{ HDP_FORM_HEX, "\t0x0000:  4500 0023 " },
	};
	struct hdp_build_opts o;
	char buf[8192];
	unsigned i;
	int n = build_v4(&o, "xyz"), len;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		len = text_of(t[i].form, HDP_PRINT_NOTIME, n, buf, sizeof(buf));
		CHECK_MSG(len > 0 && (size_t)len == strlen(buf), "form %u", i);
		CHECK_MSG(strstr(buf, t[i].has) != NULL, "form %u: %s", i, buf);
	}
	/* time stamps: none, epoch, local time; 6 or 9 decimals */
	text_of(HDP_FORM_LINE, HDP_PRINT_NOTIME, n, buf, sizeof(buf));
	CHECK_MSG(strncmp(buf, "IP ", 3) == 0, "%s", buf);
	text_of(HDP_FORM_LINE, HDP_PRINT_EPOCH, n, buf, sizeof(buf));
	CHECK_MSG(strncmp(buf, "1700000000.000000 IP", 20) == 0, "%s", buf);
	text_of(HDP_FORM_LINE, HDP_PRINT_EPOCH | HDP_PRINT_NANO, n, buf,
		sizeof(buf));
	CHECK_MSG(strncmp(buf, "1700000000.000000000 IP", 23) == 0, "%s", buf);
	/* cut: snprintf's contract */
	len = text_of(HDP_FORM_LINE, HDP_PRINT_NOTIME, n, buf, 5);
	CHECK(len > 5 && strcmp(buf, "IP 1") == 0);
}

static void
test_printer(void)
{
	char errbuf[HDP_ERRBUF_SIZE], a[4096], b[4096];
	struct hdp_print_stats st;
	struct hdp_build_opts o;
	hdp_print_t *pr;
	FILE *f;
	int n = build_v4(&o, "hello"), len;
	size_t got;

	errbuf[0] = '\0';
	CHECK(hdp_print_open(stdout, (enum hdp_form)42, DLT_RAW, 0,
			     errbuf) == NULL && errbuf[0] != '\0');
	errbuf[0] = '\0';
	CHECK(hdp_print_open(stdout, HDP_FORM_LINE, DLT_RAW, 0x100,
			     errbuf) == NULL && errbuf[0] != '\0');

	/* no stream: hdp_print_frame says so, frame_buf works */
	pr = hdp_print_open(NULL, HDP_FORM_JSON, DLT_RAW, 0, errbuf);
	CHECK(pr != NULL && hdp_print_geterr(pr)[0] == '\0');
	CHECK(hdp_print_frame(pr, pkt, (size_t)n, (size_t)n, 1) == -1);
	CHECK(strstr(hdp_print_geterr(pr), "no output stream") != NULL);
	hdp_print_close(pr);

	/* a FILE gets the text frame_buf gives, after a flush */
	f = tmpfile();
	pr = hdp_print_open(f, HDP_FORM_VERBOSE, DLT_RAW, 0, errbuf);
	CHECK(pr != NULL);
	CHECK(hdp_print_frame(pr, pkt, (size_t)n, (size_t)n, 5) == 0);
	CHECK(hdp_print_flush(pr) == 0);
	len = hdp_print_frame_buf(pr, pkt, (size_t)n, (size_t)n, 5, b,
				  sizeof(b));
	hdp_print_stats(pr, &st);
	CHECK(st.packets == 2 && st.hdp == 2 && st.bytes == 2u * (unsigned)n &&
	      st.truncated == 0 && st.other == 0);
	CHECK(hdp_print_close(pr) == 0);
	rewind(f);
	got = fread(a, 1, sizeof(a) - 1, f);
	a[got] = '\0';
	fclose(f);
	CHECK(len > 0 && got == (size_t)len && strcmp(a, b) == 0);

	/* a stream that cannot be written: -1 and the reason */
	f = fopen("/dev/null", "r");
	pr = hdp_print_open(f, HDP_FORM_LINE, DLT_RAW, 0, errbuf);
	CHECK(pr != NULL);
	hdp_print_frame(pr, pkt, (size_t)n, (size_t)n, 5);
	CHECK(hdp_print_flush(pr) == -1);
	CHECK_MSG(strncmp(hdp_print_geterr(pr), "write: ", 7) == 0, "%s",
		  hdp_print_geterr(pr));
	CHECK(hdp_print_close(pr) == -1);
	fclose(f);

	/* a truncated and an unsupported frame are counted as such */
	pr = hdp_print_open(NULL, HDP_FORM_LINE, DLT_RAW, 0, errbuf);
	hdp_print_frame_buf(pr, pkt, 25, (size_t)n, 5, a, sizeof(a));
	hdp_print_close(pr);
	pr = hdp_print_open(NULL, HDP_FORM_LINE, 9999, 0, errbuf);
	len = hdp_print_frame_buf(pr, pkt, (size_t)n, (size_t)n, 5, a,
				  sizeof(a));
	hdp_print_stats(pr, &st);
	CHECK(len > 0 && st.unsupported == 1);
	hdp_print_close(pr);
}

static void
test_misc(void)
{
	struct pcap_pkthdr h;

	CHECK(strncmp(hdp_lib_version(), "libhdp ", 7) == 0);
	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = 1;
	h.ts.tv_usec = 2;
	CHECK(hdp_pcap_time_ns(&h, 0) == UINT64_C(1000002000));
	CHECK(hdp_pcap_time_ns(&h, 1) == UINT64_C(1000000002));
	/* the file's 0xffffffff seconds, handed over sign-extended */
	h.ts.tv_sec = -1;
	h.ts.tv_usec = 0;
	CHECK(hdp_pcap_time_ns(&h, 1) == UINT64_C(4294967295) * 1000000000u);
}

int
main(void)
{
	test_build();
	test_forms();
	test_measure_then_print();
	test_printer();
	test_misc();
	return unit_report("test_api");
}
