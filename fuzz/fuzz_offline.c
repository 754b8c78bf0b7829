/*
 * fuzz_offline.c: libFuzzer harness for the whole offline path of
 * 'hdp sniff -r': capture file bytes in, text and JSON out.
 *
 * The input is a whole pcap or pcapng file.  It is opened from memory
 * (fmemopen + pcap_fopen_offline, as sniff reads standard input), its
 * timestamp precision peeked as sniff does (hdp_pcap_file_digits), and
 * every packet (up to 64) goes through the printers in one mode, picked by
 * the input's size (so mutations reach each): the tcpdump-style line with
 * -X hex, -v, --table, --json.  Besides
 * sanitizer reports, every --json line must be one valid JSON object
 * (hdp_json.h promises that), the text of the line and -v modes must hold
 * no byte a terminal obeys (check_text), and the counts must add up.
 */
#include "config.h"

#include <pcap/pcap.h>
#include <string.h>

#include <hdp/hdp.h>
#include "hdp_capture.h"
#include "hdp_print.h"
#include "fuzz.h"

#define MAX_PACKETS 64

/* ---- a small strict JSON validator (RFC 8259), for one line ---------- */

static const char *json_value(const char *p, const char *end, int depth);

static const char *
ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	return p;
}

static const char *
json_string(const char *p, const char *end)
{
	int i;

	if (p >= end || *p != '"')
		return NULL;
	for (p++; p < end; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"')
			return p + 1;
		if (c < 0x20)
			return NULL;
		if (c == '\\') {
			if (++p >= end)
				return NULL;
			if (*p == 'u') {
				for (i = 0; i < 4; i++)
					if (++p >= end ||
					    !strchr("0123456789abcdefABCDEF",
						    *p))
						return NULL;
			} else if (!strchr("\"\\/bfnrt", *p)) {
				return NULL;
			}
		}
	}
	return NULL;
}

static const char *
json_number(const char *p, const char *end)
{
	const char *s;

	if (p < end && *p == '-')
		p++;
	if (p >= end || *p < '0' || *p > '9')
		return NULL;
	if (*p == '0')
		p++;
	else
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	if (p < end && *p == '.') {
		s = ++p;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		if (p == s)
			return NULL;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		s = p;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		if (p == s)
			return NULL;
	}
	return p;
}

static const char *
json_container(const char *p, const char *end, int depth, char close)
{
	p = ws(p + 1, end);
	if (p < end && *p == close)
		return p + 1;
	for (;;) {
		if (close == '}') {
			p = json_string(ws(p, end), end);
			if (p == NULL)
				return NULL;
			p = ws(p, end);
			if (p >= end || *p != ':')
				return NULL;
			p++;
		}
		p = json_value(p, end, depth + 1);
		if (p == NULL)
			return NULL;
		p = ws(p, end);
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == close)
			return p + 1;
		return NULL;
	}
}

static const char *
json_value(const char *p, const char *end, int depth)
{
	if (depth > 32)
		return NULL;
	p = ws(p, end);
	if (p >= end)
		return NULL;
	switch (*p) {
	case '{': return json_container(p, end, depth, '}');
	case '[': return json_container(p, end, depth, ']');
	case '"': return json_string(p, end);
	case 't': return end - p >= 4 && !memcmp(p, "true", 4) ? p + 4 : NULL;
	case 'f': return end - p >= 5 && !memcmp(p, "false", 5) ? p + 5 : NULL;
	case 'n': return end - p >= 4 && !memcmp(p, "null", 4) ? p + 4 : NULL;
	default:  return json_number(p, end);
	}
}

/* Every line of buf[0..n) is one JSON object; returns the line count. */
static size_t
check_json_lines(const char *buf, size_t n)
{
	const char *p = buf, *end = buf + n, *nl, *q;
	size_t lines = 0;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		FUZZ_ASSERT(nl != NULL);	/* every line ends */
		FUZZ_ASSERT(*p == '{');
		q = json_value(p, nl, 0);
		if (q == NULL || ws(q, nl) != nl) {
			fprintf(stderr, "bad JSON line: %.*s\n",
				(int)(nl - p), p);
			FUZZ_ASSERT(!"every --json line is valid JSON");
		}
		lines++;
		p = nl + 1;
	}
	return lines;
}

/* ---- the harness -------------------------------------------------------- */

static FILE *
devnull(void)
{
	static FILE *f;

	if (f == NULL)
		f = fopen("/dev/null", "w");
	FUZZ_ASSERT(f != NULL);
	return f;
}

/* Text output holds nothing a terminal obeys: printable ASCII, the tab
 * of -X's lines and hdp's own newlines (issue 15: a payload's CR or LF
 * hid text and forged lines). */
static void
check_text(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		FUZZ_ASSERT((s[i] >= 0x20 && s[i] < 0x7f) || s[i] == '\t' ||
			    s[i] == '\n');
}

static void
run_mode(const uint8_t *data, size_t size, enum hdp_pr_mode mode, int hex,
	 int nano)
{
	/* one printer per mode, kept: its 1 MiB buffer, allocated and
	 * faulted in on every run, would cost more than the printing */
	static struct hdp_printer prs[HDP_PR_QUIET + 1];
	static int ready[HDP_PR_QUIET + 1];
	struct hdp_printer *pr = &prs[mode];
	char eb[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *bytes;
	char *out = NULL;
	size_t outlen = 0, lines;
	FILE *in, *o;
	pcap_t *p;
	int r, n = 0;

	in = fmemopen((void *)data, size, "rb");
	FUZZ_ASSERT(in != NULL);
	p = pcap_fopen_offline_with_tstamp_precision(in, nano ?
			PCAP_TSTAMP_PRECISION_NANO :
			PCAP_TSTAMP_PRECISION_MICRO, eb);
	if (p == NULL) {
		fclose(in);
		FUZZ_ASSERT(memchr(eb, '\0', sizeof(eb)) != NULL);
		return;
	}
	o = mode != HDP_PR_TABLE && mode != HDP_PR_QUIET ?
	    open_memstream(&out, &outlen) : devnull();
	FUZZ_ASSERT(o != NULL);
	if (!ready[mode]) {
		FUZZ_ASSERT(hdp_printer_init(pr, o, mode, 0) == 0);
		ready[mode] = 1;
	}
	/* what hdp_printer_init sets, but keeping the buffer */
	pr->out = o;
	pr->dlt = pcap_datalink(p);
	pr->len = 0;
	pr->error = 0;
	pr->tm_valid = 0;
	pr->table_head = 0;
	memset(&pr->n, 0, sizeof(pr->n));
	memset(pr->ifc, 0, sizeof(pr->ifc));
	/* the dump (-x .. -A), -e, -v and -q chosen by the input's size */
	pr->dump = hex ? (enum hdp_pr_dump)(1 + size % 5) : HDP_PR_DUMP_NONE;
	pr->link = (int)(size >> 2) & 1;
	pr->verbose = (int)(size >> 3) % 4;
	pr->brief = (int)(size >> 5) & 1;
	pr->t_ref = 0;
	pr->ts_nano = nano;
	pr->ts_digits = nano ? 9 : 6;
	pr->time = (enum hdp_pr_time)(size % 6);
	while (n < MAX_PACKETS &&
	       (r = pcap_next_ex(p, &h, &bytes)) == 1) {
		FUZZ_ASSERT(h->caplen <= (bpf_u_int32)pcap_snapshot(p) ||
			    h->caplen <= 262144);
		hdp_print_packet(pr, h, bytes);
		n++;
	}
	FUZZ_ASSERT(pr->n.packets == (uint64_t)n);
	hdp_printer_flush(pr);
	pr->out = NULL;
	pcap_close(p);		/* closes in */
	if (o != devnull()) {
		fclose(o);
		if (mode == HDP_PR_JSON) {
			lines = check_json_lines(out, outlen);
			FUZZ_ASSERT(lines == (size_t)n);
		} else {
			check_text(out, outlen);
		}
		free(out);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int digits;

	digits = hdp_pcap_file_digits(data, size);
	FUZZ_ASSERT(digits == 0 || digits == 6 || digits == 9);
	switch (size & 3) {
	case 0: run_mode(data, size, HDP_PR_LINE, 1, 1); break;
	case 1: run_mode(data, size, HDP_PR_VERBOSE, 0, 0); break;
	case 2: run_mode(data, size, HDP_PR_TABLE, 0, 1); break;
	default: run_mode(data, size, HDP_PR_JSON, 0, 1); break;
	}
	return 0;
}
