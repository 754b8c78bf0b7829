/*
 * hdp_rawsock.h: raw sockets bound to one IP protocol number, the way the
 * original HDP server received, for hdp listen and hdp sweep.
 *
 * What Linux does with them (checked on 6.x, see hdp(1)):
 *  - socket(AF_INET, SOCK_RAW, 0) is refused (EPROTONOSUPPORT); every
 *    other number 1-255 is accepted.
 *  - a raw socket for N gets a copy of every datagram of protocol N that
 *    is delivered locally, before the kernel's own handler (ICMP, TCP,
 *    UDP ...) looks at it: a socket for 6 also sees real TCP.
 *  - 255 is IPPROTO_RAW: raw(7) calls such a socket "send only", but the
 *    kernel hashes it under 255 like any other number, so it does
 *    receive datagrams of protocol 255 (the socket also has IP_HDRINCL
 *    set, which only matters for sending).
 *  - IPv4 raw sockets return the IP header with the datagram; IPv6 raw
 *    sockets return only what follows the IPv6 header.
 */
#ifndef HDP_RAWSOCK_H
#define HDP_RAWSOCK_H

#include <stddef.h>
#include <stdint.h>

#include <hdp/hdp.h>

/* One datagram as a raw socket returned it. */
struct hdp_rawmsg {
	int            family;     /* AF_INET or AF_INET6                    */
	uint8_t        proto;      /* the socket's protocol number           */
	union hdp_addr src;        /* sender, from recvfrom                  */
	union hdp_addr dst;        /* IPv4: from the IP header; IPv6: from   */
				   /* IPV6_PKTINFO when the socket asked    */
				   /* for it (IPV6_RECVPKTINFO), else zero  */
	unsigned       ifindex;    /* arrival interface, from IP_PKTINFO /  */
				   /* IPV6_PKTINFO when asked for; else 0   */
	uint64_t       time_ns;    /* kernel receive time (SO_TIMESTAMPNS),  */
				   /* or CLOCK_REALTIME after the read       */
	size_t         bytes;      /* what the socket returned (IPv4: with   */
				   /* the IP header): the server's byte sum  */
	int            has_hdp;    /* 12 HDP header bytes followed the IP    */
	struct hdp_hdr hdp;        /* header (only when has_hdp)             */
	const uint8_t *l4;         /* the bytes after the IP header          */
	size_t         l4_len;
};

/*
 * Open a non-blocking raw socket for protocol proto (0-255) of family
 * AF_INET or AF_INET6, with kernel receive timestamps.  Returns the fd,
 * or -1 with errno set and one line in err.
 */
int hdp_rawsock_open(int family, unsigned proto, char *err, size_t errlen);

/*
 * A socket that only sends: attach a drop-all filter, so the kernel stops
 * queueing a copy of every datagram of its protocol for it, and discard
 * what was queued before.  0, or -1 with errno.
 */
int hdp_sock_drop_rx(int fd);

/*
 * How many datagrams the kernel has dropped for fd so far because its
 * receive buffer was full (SO_MEMINFO's drop count), in *drops.  0, or -1
 * with errno when the kernel does not tell.
 */
int hdp_rawsock_drops(int fd, uint32_t *drops);

/*
 * Read one datagram from fd into buf and describe it in *m (m->l4 points
 * into buf).  Returns 1 for a datagram, 0 when none is waiting, -1 with
 * errno on error.
 */
int hdp_rawsock_recv(int fd, int family, unsigned proto, uint8_t *buf,
		     size_t buflen, struct hdp_rawmsg *m);

/*
 * What hdp sweep puts after the IP header, read back from a decoded frame
 * (pkt, caplen as given to hdp_decode_frame): the protocol number of the
 * IP header itself (IPv6: the fixed header's next header, so that numbers
 * the decoder takes for extension headers, 0, 43, 44, 60 ..., are not
 * walked) and the 12 bytes right after that header as an HDP header,
 * whatever the number.  1 when all 12 bytes were captured, else 0.
 */
int hdp_frame_sweep_key(const struct hdp_frame *f, const uint8_t *pkt,
			size_t caplen, uint8_t *proto, struct hdp_hdr *h);

/* An address as text ("?" when it cannot be printed). */
void hdp_addr_ntop(int family, const union hdp_addr *a, char *out,
		   size_t outlen);

#endif /* HDP_RAWSOCK_H */
