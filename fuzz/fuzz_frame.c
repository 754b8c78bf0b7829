/*
 * fuzz_frame.c: libFuzzer harness for the frame decoder, hdp_decode_frame(),
 * over every link type it knows (and some it does not).
 *
 * Input layout:
 *   byte 0     link type: an index into links[] below; any larger value is
 *              used as a DLT number itself (mostly unsupported ones)
 *   byte 1     wire length: 0 = caplen; 1-127 = caplen + 13 * b (a frame
 *              cut by the snaplen); 128-255 = caplen - (b - 128), i.e. a
 *              record whose caplen exceeds its len (a lying capture)
 *   byte 2..   the captured frame, ending exactly where the input ends
 *
 * Beyond "no crash and no sanitizer report", it checks what the decoder
 * promises its callers: every offset and length it returns stays inside
 * the captured bytes, and the error text is a terminated string.  Then it
 * does with the result what the printers do (JSON fields, the payload,
 * the header round trip), so a result that lies would be caught there.
 */
#include "config.h"

#include <pcap/pcap.h>
#include <string.h>

#include <hdp/hdp.h>
#include "hdp_json.h"
#include "hdp_match.h"
#include "fuzz.h"

static const int links[] = FUZZ_LINKS;
#define NLINKS (sizeof(links) / sizeof(links[0]))

static FILE *
sink(void)
{
	static FILE *f;

	if (f == NULL)
		f = fopen("/dev/null", "w");
	FUZZ_ASSERT(f != NULL);
	return f;
}

static void
check(const struct hdp_frame *fr, size_t caplen)
{
	FUZZ_ASSERT((unsigned)fr->status <= HDP_ST_UNSUPPORTED);
	FUZZ_ASSERT((unsigned)fr->err_layer <= HDP_LAYER_L4);
	FUZZ_ASSERT(memchr(fr->err, '\0', sizeof(fr->err)) != NULL);
	FUZZ_ASSERT(fr->link_len <= caplen || fr->status != HDP_ST_OK);
	if (fr->status == HDP_ST_OK)
		FUZZ_ASSERT(fr->err[0] == '\0');
	else
		FUZZ_ASSERT(fr->err[0] != '\0');
	if (fr->l4_off != 0 && fr->l4_off <= caplen)
		FUZZ_ASSERT(fr->l4_caplen <= caplen - fr->l4_off);
	FUZZ_ASSERT(fr->l4_caplen <= fr->l4_len);
	if (fr->has_hdp) {
		FUZZ_ASSERT(fr->proto == HDP_PROTO);
		FUZZ_ASSERT(fr->l4_off + HDP_HDR_LEN <= caplen);
		FUZZ_ASSERT(fr->payload_off == fr->l4_off + HDP_HDR_LEN);
		FUZZ_ASSERT(fr->payload_off <= caplen);
		FUZZ_ASSERT(fr->payload_caplen <= caplen - fr->payload_off);
		FUZZ_ASSERT(fr->payload_caplen <= fr->payload_len ||
			    fr->status != HDP_ST_OK);
	}
}

/*
 * An ICMP error's quote, as hdp sniff --icmp and hdp ping read it: the
 * quote lies inside the capture, its transport header inside the quote,
 * and the quoted HDP payload (which ping reads for its probe block)
 * inside the quote too.
 */
static void
use_icmp(struct hdp_json *j, const struct hdp_frame *fr, const uint8_t *pkt,
	 size_t caplen)
{
	struct hdp_icmp_err e;
	const struct hdp_frame *q = &e.inner;

	if (hdp_icmp_error_parse(fr, pkt, caplen, &e) != 0)
		return;
	FUZZ_ASSERT(e.quote >= pkt && e.quote_len <= caplen &&
		    (size_t)(e.quote - pkt) <= caplen - e.quote_len);
	FUZZ_ASSERT(q->ip_fixed && q->ip_version == fr->ip_version);
	if (e.l4 != NULL)
		FUZZ_ASSERT(e.l4 >= e.quote && e.l4_len <= e.quote_len &&
			    (size_t)(e.l4 - e.quote) <= e.quote_len - e.l4_len);
	if (q->has_hdp) {
		FUZZ_ASSERT(q->payload_off <= e.quote_len);
		FUZZ_ASSERT(q->payload_caplen <= e.quote_len - q->payload_off);
		hj_hex(j, "quoted_payload", e.quote + q->payload_off,
		       q->payload_caplen);
	}
	if (e.l4 != NULL)
		hj_hex(j, "quoted_l4", e.l4, e.l4_len);
	hj_str(j, "icmp", hdp_icmp_err_name(fr->ip_version == 6 ? AF_INET6 :
					     AF_INET, e.type, e.code));
}

/* What a printer does with a decoded frame. */
static void
use(const struct hdp_frame *fr, const uint8_t *pkt, size_t caplen)
{
	struct hdp_json j;
	struct hdp_hdr h;
	uint8_t hb[HDP_HDR_LEN];
	FILE *out = sink();

	hj_begin(&j, out);
	hj_u64(&j, "dlt", (uint64_t)fr->dlt);
	hj_str(&j, "status", hdp_status_name(fr->status));
	hj_str(&j, "layer", hdp_layer_name(fr->err_layer));
	hj_str(&j, "dir", hdp_dir_name(fr->direction));
	hj_str(&j, "error", fr->err[0] ? fr->err : NULL);
	hj_u64(&j, "short_by", fr->short_by);
	if (fr->ip_version != 0) {
		hj_u64(&j, "ip_len", fr->ip_len);
		hj_u64(&j, "proto", fr->proto);
		hj_i64(&j, "csum_ok", fr->ip_csum_ok);
		if (fr->ip_version == 4 && fr->ip_csum_ok >= 0)
			(void)hdp_inet_csum(pkt + fr->ip_off, fr->ip_hdr_len);
	}
	if (fr->has_hdp) {
		const uint8_t *pl = pkt + fr->payload_off;

		FUZZ_ASSERT(hdp_hdr_decode(pkt + fr->l4_off, HDP_HDR_LEN,
					   &h) == HDP_HDR_LEN);
		FUZZ_ASSERT(h.sport == fr->hdp.sport &&
			    h.dport == fr->hdp.dport &&
			    h.ts_ns == fr->hdp.ts_ns);
		FUZZ_ASSERT(hdp_hdr_encode(&h, hb, sizeof(hb)) == HDP_HDR_LEN);
		FUZZ_ASSERT(memcmp(hb, pkt + fr->l4_off, HDP_HDR_LEN) == 0);
		hj_u64(&j, "sport", fr->hdp.sport);
		hj_u64(&j, "dport", fr->hdp.dport);
		hj_u64(&j, "ts", fr->hdp.ts_ns);
		hj_bool(&j, "b64", hdp_looks_base64(pl, fr->payload_caplen));
		hj_hex(&j, "payload", pl, fr->payload_caplen);
		hj_strn(&j, "text", (const char *)pl, fr->payload_caplen);
	}
	use_icmp(&j, fr, pkt, caplen);
	hj_end(&j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hdp_frame fr;
	const uint8_t *pkt;
	size_t caplen, wirelen;
	int dlt;

	if (size < 2)
		return 0;
	dlt = data[0] < NLINKS ? links[data[0]] : data[0];
	pkt = data + 2;
	caplen = size - 2;
	if (data[1] == 0)
		wirelen = caplen;
	else if (data[1] < 128)
		wirelen = caplen + 13u * data[1];
	else
		wirelen = caplen > (size_t)(data[1] - 128) ?
			  caplen - (size_t)(data[1] - 128) : 0;

	hdp_decode_frame(dlt, pkt, caplen, wirelen, &fr);
	FUZZ_ASSERT(fr.dlt == dlt);
	FUZZ_ASSERT(hdp_dlt_supported(dlt) ||
		    fr.status == HDP_ST_UNSUPPORTED);
	check(&fr, caplen);
	use(&fr, pkt, caplen);

	/* the IP entry point on the same bytes */
	hdp_decode_ip(pkt, caplen, wirelen, &fr);
	check(&fr, caplen);
	use(&fr, pkt, caplen);
	return 0;
}
