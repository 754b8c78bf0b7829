/*
 * hdp_build.h: building and sending frames with libnet.
 *
 * One struct hdp_tx holds a libnet context and the ptags of the headers it
 * built, so the next packet rebuilds those headers in place (libnet's
 * ptag reuse) instead of allocating anew.  Every frame hdp puts on the wire
 * goes through here: send, replay, sweep, trace and ping.
 */
#ifndef HDP_BUILD_H
#define HDP_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include <hdp/hdp.h>

/* What follows the IP header. */
enum hdp_l4 {
	HDP_L4_HDP = 0,   /* 12-byte HDP header, then payload                */
	HDP_L4_UDP,       /* UDP header (checksum computed), HDP header,     */
			  /* then payload: the latency comparison mode       */
	HDP_L4_NONE,      /* the payload bare, after the IP header           */
	HDP_L4_TCP_SYN,   /* TCP SYN from sport to dport (trace, ping)        */
	HDP_L4_ICMP_ECHO  /* ICMP/ICMPv6 echo request; id = sport, seq =     */
			  /* dport (trace, ping)                              */
};

enum hdp_tx_mode {
	HDP_TX_RAW = 0,   /* LIBNET_RAW4 / LIBNET_RAW6: the kernel routes     */
	HDP_TX_LINK,      /* LIBNET_LINK on one interface, link header built  */
	HDP_TX_NONE       /* build only (no socket, no privileges): frames   */
			  /* are read back with hdp_tx_frame()               */
};

struct hdp_pkt_spec {
	int            family;      /* AF_INET or AF_INET6                  */
	union hdp_addr src, dst;
	int            has_src;     /* 0: source from the route to dst       */
	uint8_t        proto;       /* IP protocol / next header             */
	enum hdp_l4    l4;
	uint16_t       sport, dport;
	uint64_t       ts_ns;       /* 0: CLOCK_REALTIME right before write  */
	uint8_t        ttl;         /* IPv4 TTL / IPv6 hop limit             */
	uint8_t        tos;         /* IPv4 TOS / IPv6 traffic class         */
	uint16_t       ip_id;
	int            df;
	uint16_t       frag;        /* IPv4 fragment: IP_MF | offset in     */
				    /* 8-byte units (a replayed fragment)   */
	uint32_t       flow_label;  /* IPv6                                  */
	uint32_t       tcp_seq;     /* HDP_L4_TCP_SYN                        */
	const uint8_t *ip_opts;     /* IPv4 options (multiple of 4), or NULL */
	size_t         ip_opts_len;
	const uint8_t *payload;
	size_t         payload_len;
	unsigned       scope;       /* IPv6 scope (interface index) of a    */
				    /* link-local dst; 0: none               */
};

/* The outcome of one write. */
struct hdp_tx_result {
	int      ok;          /* 1 written whole                              */
	int      err;         /* errno when not ok, else 0                    */
	char     error[128];  /* libnet's or the OS's words when not ok       */
	uint64_t time_ns;     /* CLOCK_REALTIME just before the write         */
	uint64_t hdp_ts_ns;   /* the HDP timestamp put in the packet          */
	size_t   bytes;       /* IP datagram length (the client's byte sum)   */
};

struct hdp_tx;

/*
 * Open a sender.  family is AF_INET or AF_INET6; ifname is required for
 * HDP_TX_LINK and optional otherwise.  On failure returns NULL and writes
 * one line into err; *perm is set to 1 when the cause is missing
 * privileges (EPERM/EACCES), so the caller can say how to fix it.
 */
struct hdp_tx *hdp_tx_open(enum hdp_tx_mode mode, int family,
			   const char *ifname, int *perm, char *err,
			   size_t errlen);

/* Build (or rebuild in place) the frame for spec.  -1 and err on error. */
int  hdp_tx_build(struct hdp_tx *tx, const struct hdp_pkt_spec *spec,
		  char *err, size_t errlen);

/*
 * Stamp the HDP timestamp (when spec->ts_ns was 0) and write the frame
 * last built.  Returns 0 when written; -1 with r filled in otherwise.
 * In HDP_TX_NONE mode nothing is written and the result is ok.
 */
int  hdp_tx_write(struct hdp_tx *tx, struct hdp_tx_result *r);

/* How many frames hdp_tx_queue() holds at most. */
#define HDP_TX_BURST 64

/*
 * How hdp_tx_flood() hands copies of one frame to the kernel.  batch:
 * copies per system call (0: HDP_TX_FLOOD_BATCH; at most
 * HDP_TX_FLOOD_MAX); ring: through a PACKET_TX_RING of the sender's own
 * (link layer only); qdisc_bypass: PACKET_QDISC_BYPASS on the socket that
 * sends (link layer only).  The zero value is sendmmsg() of the default
 * batch.
 */
struct hdp_tx_method {
	unsigned batch;
	int      ring;
	int      qdisc_bypass;
};
#define HDP_TX_FLOOD_BATCH 256
#define HDP_TX_FLOOD_MAX   1024

/*
 * Set the method before the first hdp_tx_flood(), while still privileged
 * (the ring is a socket of its own; a ring the kernel refuses leaves
 * sendmmsg()).  -1 and err when refused (qdisc bypass, or not -I).
 */
int  hdp_tx_set_method(struct hdp_tx *tx, const struct hdp_tx_method *m,
		       char *err, size_t errlen);

/*
 * Write up to n copies (at most the method's batch) of the frame last
 * built in one system call, each with its own timestamp (time_ns + i)
 * when spec ts_ns was 0.  Returns how many the kernel took, or -1 with r
 * filled in when it took none.  No allocation after the first call (or a
 * rebuild).  One struct hdp_tx per thread.
 */
int  hdp_tx_flood(struct hdp_tx *tx, unsigned n, struct hdp_tx_result *r);

/*
 * Queue a copy of the frame last built, stamped as hdp_tx_write() would
 * stamp it (r filled in as by a write, ok meaning queued), for
 * hdp_tx_flush(): the lean path of a replay, whose frames all differ.
 * At most HDP_TX_BURST frames; returns how many are queued now, or -1
 * with r filled in (queue full: flush first; no frame built; no memory).
 */
int  hdp_tx_queue(struct hdp_tx *tx, struct hdp_tx_result *r);

/*
 * Write the queued frames in order with sendmmsg() and empty the queue.
 * errs[i] (for each of the queued frames) becomes 0 when frame i was
 * written, else its errno; a frame the kernel refuses for want of buffer
 * space (ENOBUFS) is retried a few times first.  Returns the number of
 * frames that were queued.
 */
int  hdp_tx_flush(struct hdp_tx *tx, int *errs);

/*
 * Replace the HDP timestamp of the frame last built (the UDP checksum is
 * kept right): for callers that pin their own timestamps without a
 * rebuild.  -1 when the frame has no HDP header.
 */
int  hdp_tx_stamp(struct hdp_tx *tx, uint64_t ts_ns);

/*
 * Write the frame last built as IP fragments of at most mtu bytes each
 * (IPv4: MF and offsets under one ID, refused when DF is set; IPv6: a
 * fragment header), each built by libnet.  The kernel does not fragment
 * raw IP_HDRINCL sends: it refuses them with EMSGSIZE.  cb, when not
 * NULL, sees every fragment (frame bytes as hdp_tx_frame() would give
 * them, and the time written).  Returns the number of fragments, or -1
 * with r filled in.
 */
int  hdp_tx_write_frags(struct hdp_tx *tx, unsigned mtu,
			void (*cb)(void *arg, const uint8_t *frame,
				   size_t len, uint64_t time_ns),
			void *arg, struct hdp_tx_result *r);

/*
 * Make the sending socket receive nothing, and empty its receive queue.
 * Linux hands every received protocol-255 datagram to IPPROTO_RAW (255)
 * sockets too, ours included (a drop-all filter, SO_ATTACH_FILTER, stops
 * that), and libnet's link-layer socket (ETH_P_ALL, bound nowhere) taps
 * every frame of every interface, sent ones included (it is replaced by
 * one of protocol 0, which taps none).  Nobody reads them, so they only
 * cost time.  Hides nothing from pcap.  0, or -1 with errno.
 */
int  hdp_tx_rx_filter(struct hdp_tx *tx);

/* The exact bytes of the frame last written or built, as a capture of
 * link type *dlt would hold them (DLT_RAW for raw IP). */
int  hdp_tx_frame(struct hdp_tx *tx, const uint8_t **frame, size_t *len,
		  int *dlt);

/* The raw socket libnet writes through, or -1 (to set socket options
 * such as a receive filter). */
int  hdp_tx_fd(struct hdp_tx *tx);

void hdp_tx_close(struct hdp_tx *tx);

/*
 * Resolve a destination: IPv4 or IPv6 literal, or a host name
 * (family AF_UNSPEC, AF_INET or AF_INET6 to force).  A scoped IPv6
 * address ("fe80::1%eth0") is accepted and its scope returned in *scope;
 * a scope that names no interface fails with errno ENODEV.
 */
int  hdp_resolve(const char *host, int family, int *out_family,
		 union hdp_addr *out, unsigned *scope, char *err,
		 size_t errlen);

/*
 * libnet_init(injection, dev) with its failure said in one line in err,
 * *perm set when privileges are missing (errno or libnet's message).
 */
struct libnet_context *hdp_libnet_init(int injection, const char *dev,
				       int *perm, char *err, size_t errlen);

/*
 * The MAC of the next hop toward dst through interface ifindex (named
 * ifname): the route's gateway, or dst itself on link; *nh becomes that
 * next hop.  A missing neighbour entry is solicited and waited for up to
 * wait_ms; a destination the kernel reaches locally fails at once.  (One
 * it routes through another interface is, given ifindex, taken by the
 * kernel as on ifname's link: asked for there, and when nobody answers
 * err says where it is routed.)  A subnet broadcast address gets the
 * broadcast MAC.  0, or -1 and one line in err.
 */
int  hdp_next_hop_mac(int family, const union hdp_addr *dst, int ifindex,
		      const char *ifname, unsigned wait_ms,
		      union hdp_addr *nh, uint8_t mac[6], char *err,
		      size_t errlen);

/* Link mode: frames to dst go to mac (the caller resolved it, e.g. with
 * hdp_next_hop_mac() and a cache of its own), until another dst. */
void hdp_tx_set_mac(struct hdp_tx *tx, const union hdp_addr *dst,
		    const uint8_t mac[6]);

/* The source address the kernel would use to reach dst (a connected UDP
 * socket, no packet sent). */
int  hdp_route_src(int family, const union hdp_addr *dst,
		   union hdp_addr *src, char *err, size_t errlen);

/* What the kernel would do to reach a destination (ip route get). */
struct hdp_route {
	int            family;
	int            oif;                 /* outgoing interface index     */
	char           ifname[16];
	int            has_gw;
	union hdp_addr gw;                  /* next hop when has_gw         */
	int            has_src;
	union hdp_addr src;                 /* preferred source             */
	unsigned       type;                /* RTN_UNICAST, RTN_LOCAL ...   */
	unsigned       route_mtu;           /* mtu of the route (PMTU), or 0 */
	unsigned       dev_mtu;             /* MTU of the interface         */
	unsigned       mtu;                 /* route_mtu, else dev_mtu      */
};

/* Ask the kernel (rtnetlink RTM_GETROUTE) for the route to dst; scope,
 * when not 0, is the outgoing interface index.  0, or -1 and err. */
int  hdp_route_get(int family, const union hdp_addr *dst, unsigned scope,
		   struct hdp_route *rt, char *err, size_t errlen);

/* Store v at p as 8 bytes, network (big-endian) order: the HDP timestamp
 * and the echo block share this one encoder. */
void hdp_put_be64(uint8_t *p, uint64_t v);

#endif /* HDP_BUILD_H */
