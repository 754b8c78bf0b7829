/*
 * hdp_frame.c: decode a captured frame from its link header down to HDP.
 *
 * Link types: DLT_EN10MB (with 802.1Q/802.1ad tags, and IEEE 802.3 frames
 * with 802.2 LLC/SNAP), DLT_NULL, DLT_LOOP,
 * DLT_RAW (and DLT_IPV4/DLT_IPV6), DLT_LINUX_SLL, DLT_LINUX_SLL2.  Then
 * IPv4 (options) or IPv6 (extension headers walked), then HDP.
 *
 * Every byte is read through need(), which checks it lies inside the
 * capture; no length field from the packet is used before it is compared
 * with what was captured and with the frame's length on the wire.  Bytes
 * that are missing make the status HDP_ST_TRUNCATED; values that cannot be
 * right make it HDP_ST_MALFORMED.  Either way decoding stops at that point
 * and f->err says what and where, in tcpdump's words where it has them.
 */
#include "config.h"

#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <hdp/hdp.h>

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

#define ETHERTYPE_IPV4   0x0800
#define ETHERTYPE_IPV6   0x86dd
#define ETHERTYPE_VLAN   0x8100
#define ETHERTYPE_QINQ   0x88a8
#define ETHERTYPE_QINQ9  0x9100
#define ETHERTYPE_MIN    0x0600	/* smaller: an 802.3 length    */
#define ETHER_MAX_LEN8023 1500
#define SLL_PROTO_LLC    0x0004	/* Linux ETH_P_802_2             */
#define MAX_VLAN_TAGS    4
#define MAX_IP6_EXT      32

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static enum hdp_status __attribute__((format(printf, 4, 5)))
fail(struct hdp_frame *f, enum hdp_status st, enum hdp_layer layer,
     const char *fmt, ...)
{
	va_list ap;

	f->status = st;
	f->err_layer = layer;
	va_start(ap, fmt);
	vsnprintf(f->err, sizeof(f->err), fmt, ap);
	va_end(ap);
	return st;
}

/*
 * Are n bytes at off inside the capture?  If not, mark the frame truncated
 * with tcpdump's "[|what]" and how many bytes are missing.
 */
static int
need(struct hdp_frame *f, size_t caplen, size_t off, size_t n,
     enum hdp_layer layer, const char *what)
{
	size_t have = off < caplen ? caplen - off : 0;

	if (off <= caplen && n <= caplen - off)
		return 1;
	f->short_by = n - have;
	fail(f, HDP_ST_TRUNCATED, layer, "[|%s] %zu of %zu bytes captured",
	     what, have, n);
	return 0;
}

/* ---- transport ---------------------------------------------------------- */

static enum hdp_status
decode_l4(const uint8_t *pkt, size_t caplen, struct hdp_frame *f)
{
	f->l4_off = f->ip_off + f->ip_hdr_len;
	f->l4_len = f->ip_len - f->ip_hdr_len;
	f->l4_caplen = f->l4_off < caplen ? caplen - f->l4_off : 0;
	if (f->l4_caplen > f->l4_len)
		f->l4_caplen = f->l4_len;	/* link trailer, not ours */

	if (f->proto != HDP_PROTO)
		return f->status;
	if (f->is_fragment && f->frag_off != 0)
		return f->status;	/* the HDP header is in fragment 0 */
	if (f->l4_len < HDP_HDR_LEN && !(f->is_fragment && f->frag_more))
		return fail(f, HDP_ST_MALFORMED, HDP_LAYER_L4,
			    "hdp length %zu < %d", f->l4_len, HDP_HDR_LEN);
	if (f->l4_len < HDP_HDR_LEN) {
		/* a first fragment that ends inside the header: nothing is
		 * missing from the capture (bytes after the datagram are a
		 * link trailer, not the rest of it); the sender split the
		 * header, which it MUST NOT (specification, 6.1) */
		return fail(f, HDP_ST_MALFORMED, HDP_LAYER_L4,
			    "hdp header split across fragments: %zu of %d "
			    "bytes in the first", f->l4_len, HDP_HDR_LEN);
	}
	if (!need(f, caplen, f->l4_off, HDP_HDR_LEN, HDP_LAYER_L4, "hdp"))
		return f->status;
	hdp_hdr_decode(pkt + f->l4_off, HDP_HDR_LEN, &f->hdp);
	f->has_hdp = 1;
	f->payload_off = f->l4_off + HDP_HDR_LEN;
	f->payload_len = f->l4_len > HDP_HDR_LEN ? f->l4_len - HDP_HDR_LEN : 0;
	f->payload_caplen = f->l4_caplen - HDP_HDR_LEN;
	if (f->payload_caplen < f->payload_len) {
		f->short_by = f->payload_len - f->payload_caplen;
		return fail(f, HDP_ST_TRUNCATED, HDP_LAYER_L4,
			    "[|hdp] payload %zu of %zu bytes captured",
			    f->payload_caplen, f->payload_len);
	}
	return f->status;
}

/*
 * The datagram may not claim more bytes than the frame had on the wire; if
 * it claims more than were captured, the capture was cut (snaplen).
 */
static int
check_ip_len(struct hdp_frame *f, size_t caplen, size_t wirelen,
	     const char *field)
{
	size_t wire_avail = wirelen > f->ip_off ? wirelen - f->ip_off : 0;
	size_t cap_avail = caplen > f->ip_off ? caplen - f->ip_off : 0;

	if (f->ip_len > wire_avail) {
		fail(f, HDP_ST_MALFORMED, HDP_LAYER_IP, "%s %u > %s %zu",
		     field, f->ip_len, wirelen == caplen ? "caplen" : "len",
		     wire_avail);
		return 0;
	}
	if (f->ip_len > cap_avail) {
		f->short_by = f->ip_len - cap_avail;
		fail(f, HDP_ST_TRUNCATED, HDP_LAYER_IP,
		     "[|ip] %s %u > caplen %zu", field, f->ip_len, cap_avail);
		/* keep decoding what is there; status stays truncated */
	}
	return 1;
}

/*
 * The datagram claims more bytes than the frame had on the wire: a length
 * lie.  It stays malformed, with that error, but what the frame does hold
 * is decoded as far as it goes, as tcpdump and Wireshark do, so the HDP
 * header of a mangled packet can still be matched with the one sent.
 */
static enum hdp_status
decode_past_lie(const uint8_t *pkt, size_t caplen, size_t wirelen,
		struct hdp_frame *f,
		void (*rest)(const uint8_t *, size_t, struct hdp_frame *))
{
	enum hdp_status st = f->status;
	enum hdp_layer layer = f->err_layer;
	uint32_t claimed = f->ip_len;
	char err[sizeof(f->err)];

	memcpy(err, f->err, sizeof(err));
	f->ip_len = (uint32_t)(wirelen - f->ip_off);
	f->status = HDP_ST_OK;
	rest(pkt, caplen, f);
	f->ip_len = claimed;
	f->status = st;
	f->err_layer = layer;
	f->short_by = 0;
	memcpy(f->err, err, sizeof(err));
	return st;
}

static void
rest_ipv4(const uint8_t *pkt, size_t caplen, struct hdp_frame *f)
{
	decode_l4(pkt, caplen, f);
}

/* ---- IPv4 --------------------------------------------------------------- */

static enum hdp_status
decode_ipv4(const uint8_t *pkt, size_t caplen, size_t wirelen,
	    struct hdp_frame *f)
{
	const uint8_t *ip;
	size_t off = f->ip_off;
	uint16_t frag;
	enum hdp_status trunc;

	f->ip_version = 4;
	if (!need(f, caplen, off, 20, HDP_LAYER_IP, "ip"))
		return f->status;
	f->ip_fixed = 1;
	ip = pkt + off;
	f->ihl = ip[0] & 0x0f;
	f->tos = ip[1];
	f->ip_len = be16(ip + 2);
	f->ip_id = be16(ip + 4);
	frag = be16(ip + 6);
	f->df = (frag >> 14) & 1;
	f->frag_more = (frag >> 13) & 1;
	f->frag_off = frag & 0x1fff;
	f->is_fragment = f->frag_more || f->frag_off;
	f->ttl = ip[8];
	f->proto = ip[9];
	f->ip_csum = be16(ip + 10);
	memcpy(&f->src.v4, ip + 12, 4);
	memcpy(&f->dst.v4, ip + 16, 4);
	f->ip_csum_ok = -1;

	if (f->ihl < 5)
		return fail(f, HDP_ST_MALFORMED, HDP_LAYER_IP, "bad ihl %u",
			    f->ihl);
	f->ip_hdr_len = (size_t)f->ihl * 4;
	if (f->ip_len == 0) {
		/* segmentation offload shows the stack's datagram before
		 * it is cut, with total length 0: the frame tells the
		 * length, as tcpdump and Wireshark take it */
		size_t avail = wirelen - off;

		f->ip_len_zero = 1;
		f->ip_len = avail > UINT32_MAX ? UINT32_MAX : (uint32_t)avail;
	}
	if (f->ip_len < f->ip_hdr_len)
		return fail(f, HDP_ST_MALFORMED, HDP_LAYER_IP,
			    "bad ip_len %u < ihl*4 %zu", f->ip_len,
			    f->ip_hdr_len);
	if (!need(f, caplen, off, f->ip_hdr_len, HDP_LAYER_IP, "ip"))
		return f->status;
	f->ip_csum_ok = hdp_inet_csum(ip, f->ip_hdr_len) == 0;
	if (!check_ip_len(f, caplen, wirelen, "ip_len"))
		return decode_past_lie(pkt, caplen, wirelen, f, rest_ipv4);
	trunc = f->status;
	decode_l4(pkt, caplen, f);
	return f->status != HDP_ST_OK ? f->status : trunc;
}

/* ---- IPv6 --------------------------------------------------------------- */

static int
ip6_is_ext(uint8_t nh)
{
	switch (nh) {
	case 0:		/* hop-by-hop options */
	case 43:	/* routing */
	case 44:	/* fragment */
	case 51:	/* authentication header */
	case 60:	/* destination options */
	case 135:	/* mobility */
	case 139:	/* HIP */
	case 140:	/* shim6 */
		return 1;
	default:
		return 0;
	}
}

/* The extension headers, then the transport: from the fixed header on. */
static void
rest_ipv6(const uint8_t *pkt, size_t caplen, struct hdp_frame *f)
{
	size_t off = f->ip_off, ext_off = off + 40, ext_len;
	uint8_t nh = f->ip6_nexthdr;

	while (ip6_is_ext(nh)) {
		const char *name = nh == 44 ? "ip6-frag" : "ip6-ext";

		if (f->ip6_ext_count >= MAX_IP6_EXT) {
			fail(f, HDP_ST_MALFORMED, HDP_LAYER_IP6EXT,
			     "more than %d ip6 extension headers",
			     MAX_IP6_EXT);
			return;
		}
		if (ext_off + 2 > off + f->ip_len) {
			fail(f, HDP_ST_MALFORMED, HDP_LAYER_IP6EXT,
			     "ip6 header %u past payload length", nh);
			return;
		}
		if (!need(f, caplen, ext_off, 2, HDP_LAYER_IP6EXT, name))
			return;
		if (nh == 44)
			ext_len = 8;
		else if (nh == 51)
			ext_len = ((size_t)pkt[ext_off + 1] + 2) * 4;
		else
			ext_len = ((size_t)pkt[ext_off + 1] + 1) * 8;
		if (ext_off + ext_len > off + f->ip_len) {
			fail(f, HDP_ST_MALFORMED, HDP_LAYER_IP6EXT,
			     "ip6 header %u length %zu past payload length",
			     nh, ext_len);
			return;
		}
		if (!need(f, caplen, ext_off, ext_len, HDP_LAYER_IP6EXT,
			  name))
			return;
		if (nh == 44) {
			uint16_t fo = be16(pkt + ext_off + 2);

			f->ip6_has_frag = 1;
			f->frag_off = fo >> 3;
			f->frag_more = fo & 1;
			f->is_fragment = f->frag_off || f->frag_more;
			f->ip6_frag_id = be32(pkt + ext_off + 4);
		}
		nh = pkt[ext_off];
		ext_off += ext_len;
		f->ip6_ext_count++;
		if (f->ip6_has_frag && f->frag_off != 0)
			break;		/* what follows is not a header */
	}
	f->proto = nh;
	f->ip_hdr_len = ext_off - off;
	decode_l4(pkt, caplen, f);
}

/*
 * The Jumbo Payload option (RFC 2675) of the hop-by-hop header that
 * follows the fixed header: 1 and *len set when there is one, 0 when
 * not, -1 (status set) when the header is not all captured.
 */
static int
ip6_jumbo_opt(const uint8_t *pkt, size_t caplen, struct hdp_frame *f,
	      uint32_t *len)
{
	size_t hbh = f->ip_off + 40, end, o;

	if (!need(f, caplen, hbh, 2, HDP_LAYER_IP6EXT, "ip6-ext"))
		return -1;
	end = hbh + ((size_t)pkt[hbh + 1] + 1) * 8;
	if (!need(f, caplen, hbh, end - hbh, HDP_LAYER_IP6EXT, "ip6-ext"))
		return -1;
	for (o = hbh + 2; o < end; ) {
		if (pkt[o] == 0) {		/* Pad1 */
			o++;
			continue;
		}
		if (o + 2 > end || o + 2 + pkt[o + 1] > end)
			return 0;		/* runs past the header */
		if (pkt[o] == 0xc2 && pkt[o + 1] == 4) {
			*len = be32(pkt + o + 2);
			return 1;
		}
		o += 2 + (size_t)pkt[o + 1];
	}
	return 0;
}

/*
 * Payload length 0.  With a hop-by-hop header it must carry a Jumbo
 * Payload option, whose length counts from the end of the fixed header.
 * Without one, as tcpdump reads it: a frame holding more than 65535 bytes
 * after the fixed header is a segmentation-offload (BIG TCP) datagram the
 * stack captured before cutting it, whose length only the frame tells;
 * anything shorter is a datagram with no payload (and a link trailer).
 * 1 to go on with f->ip_len set; 0 when f->status says why not.
 */
static int
ip6_len_zero(const uint8_t *pkt, size_t caplen, size_t wirelen,
	     struct hdp_frame *f)
{
	size_t avail = wirelen - f->ip_off;
	uint32_t jumbo;
	int r;

	if (f->ip6_nexthdr == 0) {
		r = ip6_jumbo_opt(pkt, caplen, f, &jumbo);
		if (r < 0)
			return 0;
		if (r == 0) {
			fail(f, HDP_ST_MALFORMED, HDP_LAYER_IP6EXT,
			     "ip6 payload length 0 and no jumbo payload "
			     "option");
			return 0;
		}
		f->ip6_jumbo = 1;
		f->ip_len = jumbo > UINT32_MAX - 40 ? UINT32_MAX : 40 + jumbo;
		return 1;
	}
	if (avail > 40 + 0xffffu) {
		f->ip_len_zero = 1;
		f->ip_len = avail > UINT32_MAX ? UINT32_MAX : (uint32_t)avail;
	}
	return 1;
}

static enum hdp_status
decode_ipv6(const uint8_t *pkt, size_t caplen, size_t wirelen,
	    struct hdp_frame *f)
{
	const uint8_t *ip;
	size_t off = f->ip_off;
	enum hdp_status trunc;

	f->ip_version = 6;
	if (!need(f, caplen, off, 40, HDP_LAYER_IP, "ip6"))
		return f->status;
	f->ip_fixed = 1;
	ip = pkt + off;
	f->tos = (uint8_t)(be16(ip) >> 4);
	f->flow_label = be32(ip) & 0xfffff;
	f->ip_len = 40u + be16(ip + 4);
	f->ip6_nexthdr = ip[6];
	f->ttl = ip[7];
	memcpy(&f->src.v6, ip + 8, 16);
	memcpy(&f->dst.v6, ip + 24, 16);
	f->ip_hdr_len = 40;

	if (f->ip_len == 40 && !ip6_len_zero(pkt, caplen, wirelen, f))
		return f->status;
	if (!check_ip_len(f, caplen, wirelen, "ip6_len"))
		return decode_past_lie(pkt, caplen, wirelen, f, rest_ipv6);
	trunc = f->status;
	rest_ipv6(pkt, caplen, f);
	return f->status != HDP_ST_OK ? f->status : trunc;
}

/* ---- network layer by version / ethertype ------------------------------ */

static enum hdp_status
decode_net(const uint8_t *pkt, size_t caplen, size_t wirelen,
	   struct hdp_frame *f, uint16_t ethertype)
{
	unsigned v;

	if (ethertype == ETHERTYPE_IPV4 || ethertype == ETHERTYPE_IPV6) {
		/* the link layer names the family; the header must agree
		 * (tcpdump and Wireshark refuse a mismatch too) */
		unsigned want = ethertype == ETHERTYPE_IPV4 ? 4 : 6;

		if (f->ip_off < caplen && pkt[f->ip_off] >> 4 != want)
			return fail(f, HDP_ST_MALFORMED, HDP_LAYER_IP,
				    "bad ip version %u, link layer says %u",
				    pkt[f->ip_off] >> 4, want);
		return want == 4 ? decode_ipv4(pkt, caplen, wirelen, f) :
				   decode_ipv6(pkt, caplen, wirelen, f);
	}
	if (ethertype != 0)
		return fail(f, HDP_ST_UNSUPPORTED, HDP_LAYER_LINK,
			    "ethertype 0x%04x not IP", ethertype);
	/* no ethertype (DLT_RAW): the version nibble decides */
	if (!need(f, caplen, f->ip_off, 1, HDP_LAYER_IP, "ip"))
		return f->status;
	v = pkt[f->ip_off] >> 4;
	if (v == 4)
		return decode_ipv4(pkt, caplen, wirelen, f);
	if (v == 6)
		return decode_ipv6(pkt, caplen, wirelen, f);
	return fail(f, HDP_ST_MALFORMED, HDP_LAYER_IP, "bad ip version %u", v);
}

/*
 * An IEEE 802.2 LLC header at f->link_len, after an 802.3 length field
 * (len8023) or SLL's protocol 4 (len8023 0).  SNAP with the RFC 1042 or
 * 802.1H organisation code carries an ethertype, put in *et (IP goes on
 * from there); any other LLC frame (spanning tree, NetBIOS, IPX, CDP ...)
 * is said for what it is, unsupported.  1 to go on; 0 when f->status
 * says why decoding stops.
 */
static int
decode_llc(const uint8_t *pkt, size_t caplen, struct hdp_frame *f,
	   unsigned len8023, uint16_t *et)
{
	const uint8_t *l;
	uint32_t oui;
	char what[32] = "802.2";

	if (len8023)
		snprintf(what, sizeof(what), "802.3 length %u", len8023);
	if (!need(f, caplen, f->link_len, 3, HDP_LAYER_LINK, "llc"))
		return 0;
	l = pkt + f->link_len;
	f->llc = 1;
	if (l[0] == 0xff && l[1] == 0xff) {
		/* Novell's "raw 802.3": IPX straight after the length */
		fail(f, HDP_ST_UNSUPPORTED, HDP_LAYER_LINK,
		     "%s, raw IPX (no LLC), not IP", what);
		return 0;
	}
	if (l[0] != 0xaa || l[1] != 0xaa || l[2] != 0x03) {
		fail(f, HDP_ST_UNSUPPORTED, HDP_LAYER_LINK,
		     "%s, LLC dsap 0x%02x ssap 0x%02x ctrl 0x%02x, not IP",
		     what, l[0], l[1], l[2]);
		return 0;
	}
	if (!need(f, caplen, f->link_len, 8, HDP_LAYER_LINK, "snap"))
		return 0;
	oui = (uint32_t)l[3] << 16 | (uint32_t)l[4] << 8 | l[5];
	*et = be16(l + 6);
	if ((oui != 0 && oui != 0xf8) || *et < ETHERTYPE_MIN) {
		fail(f, HDP_ST_UNSUPPORTED, HDP_LAYER_LINK,
		     "%s, SNAP oui 0x%06x type 0x%04x, not IP", what,
		     (unsigned)oui, *et);
		return 0;
	}
	f->link_len += 8;
	return 1;
}

/*
 * The Ethernet header, up to four VLAN tags, and an 802.2 LLC/SNAP header
 * where the type field is IEEE 802.3's length: the ethertype of what
 * follows in *et.  1 to go on; 0 when f->status says why not.
 */
static int
decode_ether(const uint8_t *pkt, size_t caplen, struct hdp_frame *f,
	     uint16_t *et)
{
	int tags;

	if (!need(f, caplen, 0, 14, HDP_LAYER_LINK, "ether"))
		return 0;
	f->link_len = 14;
	*et = be16(pkt + 12);
	for (tags = 0; *et == ETHERTYPE_VLAN || *et == ETHERTYPE_QINQ ||
		       *et == ETHERTYPE_QINQ9; tags++) {
		if (tags == MAX_VLAN_TAGS) {
			fail(f, HDP_ST_MALFORMED, HDP_LAYER_LINK,
			     "more than %d vlan tags", MAX_VLAN_TAGS);
			return 0;
		}
		if (!need(f, caplen, f->link_len, 4, HDP_LAYER_LINK, "vlan"))
			return 0;
		*et = be16(pkt + f->link_len + 2);
		f->link_len += 4;
	}
	if (*et >= ETHERTYPE_MIN)
		return 1;
	if (*et > ETHER_MAX_LEN8023) {
		fail(f, HDP_ST_MALFORMED, HDP_LAYER_LINK, "type/length 0x%04x "
		     "is neither (802.3 lengths end at %u, types start at "
		     "0x%04x)", *et, ETHER_MAX_LEN8023, ETHERTYPE_MIN);
		return 0;
	}
	/* not a type but IEEE 802.3's length: LLC follows */
	return decode_llc(pkt, caplen, f, *et, et);
}

/* SLL/SLL2 packet types to tcpdump's direction. */
static enum hdp_dir
pkttype_dir(uint16_t t)
{
	switch (t) {
	case 0:  return HDP_DIR_IN;	/* PACKET_HOST */
	case 4:  return HDP_DIR_OUT;	/* PACKET_OUTGOING */
	case 1:			/* broadcast */
	case 2:			/* multicast */
	case 3:  return HDP_DIR_OTHER;	/* another host */
	default: return HDP_DIR_UNKNOWN;
	}
}

/* DLT_NULL's family is in the capturing host's byte order: accept both. */
static uint16_t
af_to_ethertype(uint32_t af)
{
	if (af > 0xffff)
		af = (af >> 24) | ((af >> 8) & 0xff00);
	switch (af) {
	case 2:				/* AF_INET everywhere */
		return ETHERTYPE_IPV4;
	case 10: case 24: case 28: case 30:	/* AF_INET6: Linux, BSDs, Darwin */
		return ETHERTYPE_IPV6;
	default:
		return 0xffff;
	}
}

int
hdp_dlt_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB: case DLT_NULL: case DLT_LOOP: case DLT_RAW:
	case DLT_IPV4: case DLT_IPV6: case DLT_LINUX_SLL: case DLT_LINUX_SLL2:
		return 1;
	default:
#ifdef DLT_RAW_ALT
		return dlt == DLT_RAW_ALT;
#else
		return dlt == 14 || dlt == 101;	/* OpenBSD DLT_RAW, LINKTYPE_RAW */
#endif
	}
}

enum hdp_status
hdp_decode_ip(const uint8_t *pkt, size_t caplen, size_t wirelen,
	      struct hdp_frame *f)
{
	return hdp_decode_frame(DLT_RAW, pkt, caplen, wirelen, f);
}

enum hdp_status
hdp_decode_frame(int dlt, const uint8_t *pkt, size_t caplen, size_t wirelen,
		 struct hdp_frame *f)
{
	uint16_t et = 0;
	uint32_t af;

	memset(f, 0, sizeof(*f));
	f->dlt = dlt;
	f->ip_csum_ok = -1;
	if (wirelen < caplen)
		wirelen = caplen;	/* caplen > len: trust what we hold */

	switch (dlt) {
	case DLT_EN10MB:
		if (!decode_ether(pkt, caplen, f, &et))
			return f->status;
		break;
	case DLT_NULL:
	case DLT_LOOP:
		if (!need(f, caplen, 0, 4, HDP_LAYER_LINK, "null"))
			return f->status;
		f->link_len = 4;
		af = be32(pkt);
		et = af_to_ethertype(af);
		if (et == 0xffff)
			return fail(f, HDP_ST_UNSUPPORTED, HDP_LAYER_LINK,
				    "address family %u not IP", af);
		break;
	case DLT_LINUX_SLL:
		if (!need(f, caplen, 0, 16, HDP_LAYER_LINK, "sll"))
			return f->status;
		f->link_len = 16;
		f->pkttype = be16(pkt);
		f->direction = pkttype_dir(f->pkttype);
		et = be16(pkt + 14);
		if (et == SLL_PROTO_LLC && !decode_llc(pkt, caplen, f, 0, &et))
			return f->status;
		break;
	case DLT_LINUX_SLL2:
		if (!need(f, caplen, 0, 20, HDP_LAYER_LINK, "sll2"))
			return f->status;
		f->link_len = 20;
		et = be16(pkt);
		f->ifindex = be32(pkt + 4);
		f->pkttype = pkt[10];
		f->direction = pkttype_dir(f->pkttype);
		if (et == SLL_PROTO_LLC && !decode_llc(pkt, caplen, f, 0, &et))
			return f->status;
		break;
	default:
		if (!hdp_dlt_supported(dlt))
			return fail(f, HDP_ST_UNSUPPORTED, HDP_LAYER_LINK,
				    "link type %d not supported", dlt);
		/* DLT_RAW and friends: IP from byte 0 */
		f->link_len = 0;
		if (dlt == DLT_IPV4)
			et = ETHERTYPE_IPV4;
		else if (dlt == DLT_IPV6)
			et = ETHERTYPE_IPV6;
		break;
	}
	f->ethertype = et;
	f->ip_off = f->link_len;
	return decode_net(pkt, caplen, wirelen, f, et);
}

const char *
hdp_status_name(enum hdp_status st)
{
	static const char *const names[] = {
		"ok", "truncated", "malformed", "unsupported"
	};

	return (unsigned)st < sizeof(names) / sizeof(names[0]) ?
	       names[st] : "?";
}

const char *
hdp_layer_name(enum hdp_layer l)
{
	static const char *const names[] = {
		"none", "link", "ip", "ip6ext", "l4"
	};

	return (unsigned)l < sizeof(names) / sizeof(names[0]) ? names[l] : "?";
}

const char *
hdp_dir_name(enum hdp_dir d)
{
	static const char *const names[] = { "?", "In", "Out", "M" };

	return (unsigned)d < sizeof(names) / sizeof(names[0]) ? names[d] : "?";
}
