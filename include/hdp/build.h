/*
 * hdp/build.h: build an HDP packet (IPv4 or IPv6 header, HDP header,
 * payload) into a caller's buffer.  libnet builds it, as it builds every
 * frame hdp sends; nothing is sent and no privileges are needed.  The
 * result is a raw IP datagram, as a capture of link type DLT_RAW holds it.
 *
 *     struct hdp_build_opts o;
 *     uint8_t pkt[HDP_BUILD_MAX];
 *     char errbuf[HDP_ERRBUF_SIZE];
 *     int n;
 *
 *     hdp_build_init(&o, AF_INET);
 *     inet_pton(AF_INET, "192.0.2.1", &o.src.v4);
 *     inet_pton(AF_INET, "192.0.2.2", &o.dst.v4);
 *     o.payload = (const uint8_t *)"hello";
 *     o.payload_len = 5;
 *     n = hdp_build_packet(&o, pkt, sizeof(pkt), errbuf);
 *
 * libnet's headers are not needed to use this one.
 */
#ifndef HDP_BUILD_H_PUBLIC
#define HDP_BUILD_H_PUBLIC

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>   /* AF_INET, AF_INET6 */

#include <hdp/hdp.h>

/* The largest datagram hdp_build_packet() makes: an IPv6 header and the
 * most its 16-bit payload length holds (no jumbograms; IPv4: 65535). */
#define HDP_BUILD_MAX (40 + 65535)

struct hdp_build_opts {
	int            family;      /* AF_INET or AF_INET6                    */
	union hdp_addr src, dst;    /* written as given (no route lookup)     */
	uint8_t        proto;       /* IP protocol / next header: 255         */
	int            udp;         /* 1: a UDP header (checksum computed)    */
				    /* before the HDP header and protocol 17, */
				    /* as hdp send --udp compares latency     */
	uint16_t       sport, dport;/* HDP (or UDP) ports: 420, 420          */
	uint64_t       ts_ns;       /* HDP timestamp; 0: the time of building */
	uint8_t        ttl;         /* IPv4 TTL / IPv6 hop limit: 64          */
	uint8_t        tos;         /* IPv4 TOS / IPv6 traffic class: 0       */
	uint16_t       ip_id;       /* IPv4 identification: 0                 */
	int            df;          /* IPv4 don't-fragment bit: 0             */
	uint32_t       flow_label;  /* IPv6 flow label (20 bits): 0           */
	const uint8_t *payload;     /* payload_len bytes after the HDP header */
	size_t         payload_len;
	uint32_t       reserved[8]; /* zero (hdp_build_init): room to grow    */
};

/* Set o to the defaults above for family (AF_INET or AF_INET6); all
 * addresses zero.  Call it first: later versions may add fields. */
void hdp_build_init(struct hdp_build_opts *o, int family);

/* Bytes the datagram o describes will take, or 0 when o is invalid
 * (NULL, a payload_len without a payload, too large for one datagram). */
size_t hdp_build_len(const struct hdp_build_opts *o);

/*
 * Build the datagram o describes into buf (buflen bytes).  Returns its
 * length; or -1 with a one-line reason in errbuf (HDP_ERRBUF_SIZE bytes):
 * o or buf NULL, a payload_len without a payload, a bad family, a
 * payload too large for one datagram, buf too small.
 */
int hdp_build_packet(const struct hdp_build_opts *o, uint8_t *buf,
		     size_t buflen, char *errbuf);

#endif /* HDP_BUILD_H_PUBLIC */
