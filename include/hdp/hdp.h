/*
 * hdp.h: the public interface of libhdp, the core that every hdp subcommand,
 * the unit tests and the fuzzers share.
 *
 * HDP is a made-up transport carried directly in IP as protocol 255 (IPv6
 * next header 255).  See hdp_specification.md for the wire format:
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |          Source Port          |       Destination Port        |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                 Timestamp (ns since the Unix epoch)           |
 *    +                                                               +
 *    |                                                               |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |  Payload: opaque bytes to the end of the IP datagram ...
 *    +-+-+-+-+-+-+-+-+
 *
 * Nothing in this header touches the network: decoding works on bytes the
 * caller owns, so it is safe on hostile captures and easy to fuzz.
 */
#ifndef HDP_H
#define HDP_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#define HDP_PROTO          255   /* IP protocol / IPv6 next header */
/* Room for the one-line message a failing libhdp call writes into the
 * caller's error buffer (as libpcap's PCAP_ERRBUF_SIZE). */
#define HDP_ERRBUF_SIZE    256
#define HDP_HDR_LEN        12
#define HDP_DEFAULT_PORT   420   /* what the original tools used */

/* ---- HDP header codec -------------------------------------------------- */

struct hdp_hdr {
	uint16_t sport;
	uint16_t dport;
	uint64_t ts_ns;
};

/* Write the 12-byte header in network byte order; returns HDP_HDR_LEN, or
 * 0 when buflen is too small. */
size_t hdp_hdr_encode(const struct hdp_hdr *h, uint8_t *buf, size_t buflen);
/* Read the header; returns HDP_HDR_LEN, or 0 when fewer than 12 bytes. */
size_t hdp_hdr_decode(const uint8_t *buf, size_t buflen, struct hdp_hdr *h);

/* ---- whole-frame decoder ----------------------------------------------- */

/* How far decoding got.  Ordered: a larger value means more was decoded. */
enum hdp_status {
	HDP_ST_OK = 0,        /* everything the frame claims is present        */
	HDP_ST_TRUNCATED,     /* bytes missing from the capture (snaplen cut,   */
			      /* or a length field points past caplen)           */
	HDP_ST_MALFORMED,     /* a field holds an impossible value               */
	HDP_ST_UNSUPPORTED    /* not something we decode (link type, ethertype) */
};

/* The layer a problem was found in. */
enum hdp_layer {
	HDP_LAYER_NONE = 0,
	HDP_LAYER_LINK,
	HDP_LAYER_IP,       /* IPv4 header or IPv6 fixed header */
	HDP_LAYER_IP6EXT,   /* an IPv6 extension header          */
	HDP_LAYER_L4,       /* HDP, UDP, or another transport     */
};

/* Link-layer direction, as LINUX_SLL/SLL2 give it (tcpdump's In/Out). */
enum hdp_dir {
	HDP_DIR_UNKNOWN = 0,
	HDP_DIR_IN,         /* to us                                   */
	HDP_DIR_OUT,        /* sent by us                              */
	HDP_DIR_OTHER       /* broadcast, multicast, or another host   */
};

union hdp_addr {
	struct in_addr  v4;
	struct in6_addr v6;
};

struct hdp_frame {
	/* link layer */
	int        dlt;          /* DLT_* the frame was decoded as             */
	size_t     link_len;     /* bytes of link header                       */
	uint16_t   ethertype;    /* 0 when the link header has none (DLT_RAW)  */
				 /* after 802.2 LLC/SNAP, SNAP's type          */
	int        llc;          /* an 802.3 length and 802.2 LLC header     */
				 /* came first (link_len includes SNAP)      */
	enum hdp_dir direction;
	uint32_t   ifindex;      /* SLL2 only; 0 otherwise                     */
	uint16_t   pkttype;      /* SLL/SLL2 packet type                       */

	/* network layer; valid when ip_version != 0 */
	int        ip_version;   /* 4, 6, or 0 when no IP header was reached   */
	int        ip_fixed;     /* the fixed header (IPv4 20, IPv6 40 bytes)  */
				 /* was captured: addresses and fields valid */
	size_t     ip_off;       /* offset of the IP header in the frame       */
	size_t     ip_hdr_len;   /* IPv4: IHL*4; IPv6: 40 + extension headers  */
	uint32_t   ip_len;       /* claimed datagram length (total length, or  */
				 /* 40 + payload length for IPv6)              */
	int        ip_len_zero;  /* IPv4 total length or IPv6 payload length */
				 /* was 0 (segmentation offload): ip_len is   */
				 /* the frame's length                        */
	int        ip6_jumbo;    /* IPv6 length from a jumbo payload option  */
	uint8_t    tos;          /* IPv4 TOS, or IPv6 traffic class            */
	uint8_t    ttl;          /* IPv4 TTL, or IPv6 hop limit                */
	uint16_t   ip_id;        /* IPv4 identification                        */
	uint16_t   frag_off;     /* IPv4: offset in 8-byte units; IPv6: same,  */
				 /* from the fragment header                   */
	uint8_t    frag_more;    /* more-fragments bit                         */
	uint8_t    df;           /* IPv4 don't-fragment bit                    */
	uint8_t    ihl;          /* IPv4 header length in 32-bit words         */
	uint16_t   ip_csum;      /* IPv4 header checksum, as captured          */
	int        ip_csum_ok;   /* 1 good, 0 bad, -1 header not all captured  */
	uint32_t   flow_label;   /* IPv6                                       */
	uint32_t   ip6_frag_id;  /* IPv6 fragment header identification        */
	int        ip6_has_frag; /* an IPv6 fragment header was present        */
	uint8_t    ip6_nexthdr;  /* next header of the fixed IPv6 header       */
	unsigned   ip6_ext_count;/* extension headers walked                   */
	union hdp_addr src, dst;
	uint8_t    proto;        /* upper-layer protocol after extension hdrs  */
	int        is_fragment;  /* 1 when part of a fragmented datagram       */

	/* transport layer (HDP when proto == 255), relative to the frame */
	size_t     l4_off;       /* offset of the transport header             */
	size_t     l4_len;       /* bytes the IP header says follow it         */
	size_t     l4_caplen;    /* bytes of those actually captured           */
	int        has_hdp;      /* HDP header decoded (12 bytes present)      */
	struct hdp_hdr hdp;
	size_t     payload_off;  /* offset of the HDP payload in the frame     */
	size_t     payload_len;  /* payload length per the IP length           */
	size_t     payload_caplen;/* payload bytes captured                    */

	/* outcome */
	enum hdp_status status;
	enum hdp_layer  err_layer;
	char       err[96];      /* short tcpdump-like text: "bad ihl 3",      */
				 /* "ip_len 60 > caplen 40", "[|hdp] 4 short"  */
	size_t     short_by;     /* bytes missing, when truncated              */
};

/*
 * Decode a captured frame of link type dlt (a DLT_* value from pcap) down to
 * HDP.  caplen is what was captured, wirelen the frame's length on the wire
 * (pcap's len).  Never reads past pkt[caplen - 1].  Fills *f and returns
 * f->status.  A frame with another IP protocol decodes to HDP_ST_OK with
 * has_hdp == 0 and proto set.
 */
enum hdp_status hdp_decode_frame(int dlt, const uint8_t *pkt, size_t caplen,
				 size_t wirelen, struct hdp_frame *f);

/* Decode starting at an IP header (DLT_RAW); same contract. */
enum hdp_status hdp_decode_ip(const uint8_t *pkt, size_t caplen,
			      size_t wirelen, struct hdp_frame *f);

/* 1 when dlt is a link type hdp_decode_frame() knows. */
int hdp_dlt_supported(int dlt);

const char *hdp_status_name(enum hdp_status st);
const char *hdp_layer_name(enum hdp_layer l);
const char *hdp_dir_name(enum hdp_dir d);   /* "In", "Out", "M", "?" */

/* Internet checksum (RFC 1071) over len bytes; 0 when the data contains
 * its own correct checksum. */
uint16_t hdp_inet_csum(const uint8_t *p, size_t len);

/* ---- argument helpers shared by the subcommands ------------------------ */

/* A set of protocol numbers 0-255. */
struct hdp_protoset {
	uint8_t bits[32];
};

/*
 * Parse "255", "0-10,17,255" or "all" into *set.  On error returns -1 and
 * writes a one-line reason naming the bad part into err (errlen bytes).
 */
int  hdp_protoset_parse(const char *s, struct hdp_protoset *set,
			char *err, size_t errlen);
int  hdp_protoset_has(const struct hdp_protoset *set, unsigned p);
unsigned hdp_protoset_count(const struct hdp_protoset *set);

/*
 * Parse an unsigned decimal (or 0x hex) number in [min, max].  Returns 0 and
 * sets *out, or -1 and writes "what: reason" into err.
 */
int hdp_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out,
		   const char *what, char *err, size_t errlen);

/* Nanoseconds since the Unix epoch from CLOCK_REALTIME. */
uint64_t hdp_now_ns(void);
/* Nanoseconds of CLOCK_MONOTONIC: for deadlines and intervals. */
uint64_t hdp_mono_ns(void);

/* "looks like base64" hint for payloads: 1 when every byte is in the
 * base64 alphabet (optionally with padding and line breaks) and len >= 4. */
int hdp_looks_base64(const uint8_t *p, size_t len);

/*
 * The time stamp of a libpcap packet header in nanoseconds since the
 * epoch; nano is 1 when the handle was opened with nanosecond precision.
 * A pcap file keeps unsigned 32-bit seconds, which libpcap may hand over
 * sign-extended (times after 2038): they are read back as the file meant
 * them.  Declared with an incomplete struct: <pcap/pcap.h> is needed
 * only by the caller that has such a header.
 */
struct pcap_pkthdr;
uint64_t hdp_pcap_time_ns(const struct pcap_pkthdr *h, int nano);

/* libhdp's version, "libhdp X.Y.Z" (as pcap_lib_version). */
const char *hdp_lib_version(void);

#endif /* HDP_H */
