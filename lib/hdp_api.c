/*
 * hdp_api.c: the documented entry points of libhdp (hdp/build.h,
 * hdp/print.h, libhdp(3)) over the code the hdp program uses: the libnet
 * builder (hdp_build.c) and the printers (hdp_print.c).
 *
 * The public headers name no internal struct: a printer is an opaque
 * handle, the build options a struct of plain fields with room to grow,
 * and libnet's and libpcap's headers stay out of the user's compile.
 * Errors go into the caller's buffer (HDP_ERRBUF_SIZE), never to stderr.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <hdp/hdp.h>
#include <hdp/build.h>
#include <hdp/print.h>

#include "hdp_build.h"
#include "hdp_capture.h"
#include "hdp_print.h"

#define IP4_HDR 20
#define IP6_HDR 40
#define UDP_HDR 8

/* snprintf into a caller's error buffer, which may be NULL. */
static void __attribute__((format(printf, 2, 3)))
seterr(char *errbuf, const char *fmt, ...)
{
	va_list ap;

	if (errbuf == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf, HDP_ERRBUF_SIZE, fmt, ap);
	va_end(ap);
}

const char *
hdp_lib_version(void)
{
	return "libhdp " PACKAGE_VERSION;
}

uint64_t
hdp_pcap_time_ns(const struct pcap_pkthdr *h, int nano)
{
	return hdp_cap_time_ns(h, nano);
}

/* ---- building ------------------------------------------------------------ */

void
hdp_build_init(struct hdp_build_opts *o, int family)
{
	memset(o, 0, sizeof(*o));
	o->family = family;
	o->proto = HDP_PROTO;
	o->sport = HDP_DEFAULT_PORT;
	o->dport = HDP_DEFAULT_PORT;
	o->ttl = 64;
}

/* The datagram's length, or 0 when the family is unknown or the IP
 * length field cannot hold it (IPv4 total length, IPv6 payload length). */
size_t
hdp_build_len(const struct hdp_build_opts *o)
{
	size_t l4;

	if (o == NULL || (o->payload == NULL && o->payload_len > 0))
		return 0;
	l4 = (o->udp ? UDP_HDR : 0) + HDP_HDR_LEN;
	if (o->payload_len > 65535 - l4)
		return 0;
	l4 += o->payload_len;
	if (o->family == AF_INET)
		return l4 + IP4_HDR <= 65535 ? l4 + IP4_HDR : 0;
	if (o->family == AF_INET6)
		return l4 + IP6_HDR;
	return 0;
}

static void
spec_of(const struct hdp_build_opts *o, struct hdp_pkt_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->family = o->family;
	s->src = o->src;
	s->dst = o->dst;
	s->has_src = 1;          /* as given: a library asks no route */
	s->proto = o->udp ? 17 : o->proto;    /* as hdp send --udp */
	s->l4 = o->udp ? HDP_L4_UDP : HDP_L4_HDP;
	s->sport = o->sport;
	s->dport = o->dport;
	/* pinned here: the builder would stamp 0 only when writing */
	s->ts_ns = o->ts_ns != 0 ? o->ts_ns : hdp_now_ns();
	s->ttl = o->ttl;
	s->tos = o->tos;
	s->ip_id = o->ip_id;
	s->df = o->df;
	s->flow_label = o->flow_label;
	s->payload = o->payload;
	s->payload_len = o->payload_len;
}

int
hdp_build_packet(const struct hdp_build_opts *o, uint8_t *buf,
		 size_t buflen, char *errbuf)
{
	char err[HDP_ERRBUF_SIZE];
	struct hdp_pkt_spec s;
	struct hdp_tx *tx = NULL;
	const uint8_t *frame;
	size_t need = hdp_build_len(o), len;
	int perm, dlt, rc = -1;

	if (o == NULL || buf == NULL) {
		seterr(errbuf, "%s is NULL", o == NULL ? "the options" :
		       "the buffer");
		goto out;
	}
	if (o->payload == NULL && o->payload_len > 0) {
		seterr(errbuf, "payload is NULL but payload_len is %zu",
		       o->payload_len);
		goto out;
	}
	if (o->family != AF_INET && o->family != AF_INET6) {
		seterr(errbuf, "address family %d is not IPv4 or IPv6",
		       o->family);
		goto out;
	}
	if (need == 0) {
		seterr(errbuf, "payload of %zu bytes does not fit in one "
		       "datagram", o->payload_len);
		goto out;
	}
	if (buflen < need) {
		seterr(errbuf, "buffer of %zu bytes too small: the packet "
		       "takes %zu", buflen, need);
		goto out;
	}
	tx = hdp_tx_open(HDP_TX_NONE, o->family, NULL, &perm, err,
			 sizeof(err));
	if (tx == NULL) {
		seterr(errbuf, "libnet: %s", err);
		goto out;
	}
	spec_of(o, &s);
	if (hdp_tx_build(tx, &s, err, sizeof(err)) != 0) {
		seterr(errbuf, "%s", err);
		goto out;
	}
	if (hdp_tx_frame(tx, &frame, &len, &dlt) != 0 || len > buflen) {
		seterr(errbuf, "libnet built %zu bytes, %zu expected", len,
		       need);
		goto out;
	}
	memcpy(buf, frame, len);
	rc = (int)len;
out:
	hdp_tx_close(tx);
	return rc;
}

/* ---- printing ------------------------------------------------------------- */

struct hdp_print {
	struct hdp_printer pr;
	char err[HDP_ERRBUF_SIZE];
};

static enum hdp_pr_mode
mode_of(enum hdp_form form)
{
	switch (form) {
	case HDP_FORM_VERBOSE: return HDP_PR_VERBOSE;
	case HDP_FORM_TABLE:   return HDP_PR_TABLE;
	case HDP_FORM_JSON:    return HDP_PR_JSON;
	default:               return HDP_PR_LINE;
	}
}

hdp_print_t *
hdp_print_open(FILE *out, enum hdp_form form, int dlt, unsigned flags,
	       char *errbuf)
{
	hdp_print_t *p;

	if ((unsigned)form > HDP_FORM_HEX) {
		seterr(errbuf, "output form %d is not one of hdp_form",
		       (int)form);
		return NULL;
	}
	if (flags & ~(HDP_PRINT_NOTIME | HDP_PRINT_EPOCH | HDP_PRINT_NANO)) {
		seterr(errbuf, "unknown flags 0x%x", flags);
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL || hdp_printer_init(&p->pr, out, mode_of(form),
					  dlt) != 0) {
		seterr(errbuf, "out of memory");
		free(p);
		return NULL;
	}
	if (form == HDP_FORM_HEX)
		p->pr.dump = HDP_PR_DUMP_HEXA;     /* hdp sniff -X */
	if (flags & HDP_PRINT_NOTIME)
		p->pr.time = HDP_PR_TIME_NONE;
	else if (flags & HDP_PRINT_EPOCH)
		p->pr.time = HDP_PR_TIME_EPOCH;
	p->pr.ts_digits = (flags & HDP_PRINT_NANO) ? 9 : 6;
	p->pr.ts_nano = 1;      /* our pcap_pkthdr carries nanoseconds */
	return p;
}

/* The printer's error, if a write failed: into p->err; -1 then. */
static int
check_write(hdp_print_t *p)
{
	if (p->pr.error == 0)
		return 0;
	snprintf(p->err, sizeof(p->err), "write: %s", strerror(p->pr.error));
	return -1;
}

static void
print_one(hdp_print_t *p, const uint8_t *pkt, size_t caplen,
	  size_t wirelen, uint64_t ts_ns)
{
	struct pcap_pkthdr h;

	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = (time_t)(ts_ns / 1000000000u);
	h.ts.tv_usec = (suseconds_t)(ts_ns % 1000000000u);
	h.caplen = caplen > UINT32_MAX ? UINT32_MAX : (bpf_u_int32)caplen;
	h.len = wirelen > UINT32_MAX ? UINT32_MAX : (bpf_u_int32)wirelen;
	hdp_print_packet(&p->pr, &h, pkt);
}

int
hdp_print_frame(hdp_print_t *p, const uint8_t *pkt, size_t caplen,
		size_t wirelen, uint64_t ts_ns)
{
	if (p->pr.out == NULL) {
		snprintf(p->err, sizeof(p->err), "printer has no output "
			 "stream: use hdp_print_frame_buf()");
		return -1;
	}
	print_one(p, pkt, caplen, wirelen, ts_ns);
	return check_write(p);
}

/*
 * A frame whose text was cut counts as not printed: the counts, the table
 * header and the times -ttt/-ttttt measure from go back to what they were,
 * so the same call with a larger buffer gives the same text (snprintf's
 * contract, and its "measure with 0, allocate, print" use).  The output
 * buffer stays (it may have moved), empty after the flush.
 */
static void
restore_state(hdp_print_t *p, const struct hdp_printer *before)
{
	char *buf = p->pr.buf;
	size_t cap = p->pr.cap;

	p->pr = *before;
	p->pr.buf = buf;
	p->pr.cap = cap;
	p->pr.len = 0;
}

/*
 * One frame's text into buf: the printer writes into a memory stream for
 * the time of this call (its counters and table state carry on), after
 * what it had buffered for its own stream went there.
 */
int
hdp_print_frame_buf(hdp_print_t *p, const uint8_t *pkt, size_t caplen,
		    size_t wirelen, uint64_t ts_ns, char *buf, size_t buflen)
{
	FILE *saved = p->pr.out, *ms;
	struct hdp_printer before;
	char *text = NULL;
	size_t len = 0;
	int rc = -1;

	if (saved != NULL && hdp_printer_flush(&p->pr) != 0)
		return check_write(p);
	before = p->pr;
	ms = open_memstream(&text, &len);
	if (ms == NULL) {
		snprintf(p->err, sizeof(p->err), "open_memstream: %s",
			 strerror(errno));
		return -1;
	}
	p->pr.out = ms;
	print_one(p, pkt, caplen, wirelen, ts_ns);
	hdp_printer_flush(&p->pr);
	p->pr.out = saved;
	if (fclose(ms) != 0 || p->pr.error != 0 || len > INT32_MAX) {
		snprintf(p->err, sizeof(p->err), "memory stream: %s",
			 strerror(p->pr.error ? p->pr.error : ENOMEM));
		p->pr.error = 0;
		goto out;
	}
	if (buflen > 0) {
		size_t n = len < buflen - 1 ? len : buflen - 1;

		memcpy(buf, text, n);
		buf[n] = '\0';
	}
	if (len >= buflen)
		restore_state(p, &before);
	rc = (int)len;
out:
	free(text);
	return rc;
}

int
hdp_print_flush(hdp_print_t *p)
{
	hdp_printer_flush(&p->pr);
	return check_write(p);
}

void
hdp_print_stats(const hdp_print_t *p, struct hdp_print_stats *st)
{
	st->packets = p->pr.n.packets;
	st->hdp = p->pr.n.hdp;
	st->other = p->pr.n.other;
	st->truncated = p->pr.n.truncated;
	st->malformed = p->pr.n.malformed;
	st->unsupported = p->pr.n.unsupported;
	st->bytes = p->pr.n.bytes;
}

const char *
hdp_print_geterr(hdp_print_t *p)
{
	return p->err;
}

int
hdp_print_close(hdp_print_t *p)
{
	int rc;

	if (p == NULL)
		return 0;
	hdp_printer_finish(&p->pr);
	rc = p->pr.error ? -1 : 0;
	free(p);
	return rc;
}
