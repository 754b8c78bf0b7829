/*
 * hdp_echo.h: the HDP echo responder (hdp listen --echo) and the echo
 * block that hdp ping reads from its replies.
 *
 * A reply goes back to the sender with addresses and ports swapped and the
 * request's HDP timestamp kept in the HDP header.  Its payload starts with
 * a 32-byte echo block, then the request's payload without its last 32
 * bytes, the room the prober left for the block: a reply is never larger
 * than its request, and a request with less than 32 payload bytes gets
 * none (hdp_specification.md 9.1 has the whole contract).
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |   'H'         |   'D'         |   'P'         |   'E'         |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |  Version (1)  |     Flags     |           Reserved (0)        |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |       Receive time: ns since the Unix epoch when the request  |
 *    +            arrived at the responder (8 bytes)                 +
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |       Reply time: ns since the Unix epoch when the responder  |
 *    +            built this reply (8 bytes)                         +
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |       Host id: 64-bit FNV-1a hash of the responder kernel's   |
 *    +            boot_id (equal ids: the same clock)                +
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |  the request's payload, less its last 32 bytes ...
 *
 * All fields big-endian.  Flags bit 0: the receive time is the kernel's
 * (SO_TIMESTAMPNS on the responder's raw socket, or a libpcap nanosecond
 * capture timestamp); clear when it was read in user space.  A datagram whose payload starts with "HDPE" is a
 * reply and is never answered, so two responders cannot ping-pong.
 */
#ifndef HDP_ECHO_H
#define HDP_ECHO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <hdp/hdp.h>

#define HDP_ECHO_MAGIC        "HDPE"
#define HDP_ECHO_LEN          32
#define HDP_ECHO_VERSION      1
#define HDP_ECHO_F_KERNEL_RX  0x01

struct hdp_echo_block {
	uint8_t  version;
	uint8_t  flags;
	uint64_t rx_ns;     /* request received (responder's CLOCK_REALTIME) */
	uint64_t tx_ns;     /* reply built                                   */
	uint64_t host_id;   /* hdp_host_id() of the responder                */
};

/* Write the 32-byte block; HDP_ECHO_LEN, or 0 when buflen is too small. */
size_t hdp_echo_block_encode(const struct hdp_echo_block *b, uint8_t *buf,
			     size_t buflen);
/* Read a block; 0, or -1 when p does not start with one. */
int    hdp_echo_block_decode(const uint8_t *p, size_t len,
			     struct hdp_echo_block *b);

/*
 * A UDP socket bound to port of every address of family (AF_INET6 takes
 * IPv4 too where the system allows), that receives nothing: a socket
 * filter drops every datagram.  Its being there keeps the kernel from
 * answering "port unreachable".  port 0: one the kernel picks, written to
 * *bound (when not NULL).  The fd, or -1 with errno.
 */
int hdp_udp_quiet(int family, uint16_t port, uint16_t *bound);

/* This kernel's id: FNV-1a of /proc/sys/kernel/random/boot_id (the same
 * in every network namespace of one machine, so equal ids mean one
 * CLOCK_REALTIME); 0 when unknown. */
uint64_t hdp_host_id(void);

/*
 * Why a request got no answer (hdp_specification.md 9.1): the responder
 * answers only requests to one of this host's unicast addresses, from a
 * unicast source, big enough to hold the echo block, in UDP mode from a
 * port that is no service's, within the rate limits.
 */
enum hdp_echo_reason {
	HDP_ECHO_OK = 0,
	HDP_ECHO_R_DST_BROADCAST,  /* 255.255.255.255, a local prefix's     */
				   /* broadcast or network address          */
	HDP_ECHO_R_DST_MULTICAST,  /* 224.0.0.0/4, ff00::/8                 */
	HDP_ECHO_R_DST_NOT_LOCAL,  /* not one of our unicast addresses (or  */
				   /* not known)                            */
	HDP_ECHO_R_SRC_UNSPEC,     /* 0.0.0.0/8, ::                         */
	HDP_ECHO_R_SRC_BROADCAST,  /* as the destination's                  */
	HDP_ECHO_R_SRC_MULTICAST,
	HDP_ECHO_R_SRC_LOOPBACK,   /* 127/8, ::1 not over loopback          */
	HDP_ECHO_R_SRC_MARTIAN,    /* 240/4; IPv4-mapped or -compatible     */
	HDP_ECHO_R_TOO_SMALL,      /* payload shorter than the echo block   */
	HDP_ECHO_R_UDP_PORT,       /* UDP source port 0-1023 or a service's */
	HDP_ECHO_R_RATE_SOURCE,    /* over the rate for its source          */
	HDP_ECHO_R_RATE_TOTAL,     /* over the rate for all sources         */
	HDP_ECHO_R_COUNT
};

/* The reason's name in JSON and text ("dst_broadcast" ...). */
const char *hdp_echo_reason_name(int reason);

/* Defaults of hdp listen --echo-rate / --echo-rate-total (replies/s). */
#define HDP_ECHO_RATE_SRC    2000u
#define HDP_ECHO_RATE_TOTAL  20000u

/* What to answer. */
struct hdp_echo_opts {
	int         family;   /* AF_UNSPEC: IPv4 and IPv6                   */
	int         hdp;      /* answer HDP (IP protocol 255)               */
	int         port;     /* answer only this HDP destination port; -1  */
			      /* any                                         */
	int         udp_port; /* answer HDP-in-UDP sent to this UDP port;    */
			      /* 0 none                                      */
	uint32_t    rate_src;   /* replies/s per source; 0: the default      */
	uint32_t    rate_total; /* replies/s in all; 0: the default          */
};

/* One request as received. */
struct hdp_echo_req {
	int            family;    /* AF_INET or AF_INET6                     */
	union hdp_addr src;
	union hdp_addr dst;       /* all zero: not known (then refused)      */
	unsigned       ifindex;   /* interface it came in on; 0 unknown      */
	uint8_t        proto;     /* IP protocol of l4                       */
	const uint8_t *l4;        /* what follows the IP header(s)           */
	size_t         l4len;
	uint64_t       rx_ns;     /* receive time, CLOCK_REALTIME            */
	int            rx_kernel; /* that time is the kernel's               */
};

/* One answered (or refused) request. */
struct hdp_echo_reply {
	int            family;
	union hdp_addr peer;     /* who asked (the request's source)         */
	union hdp_addr local;    /* the request's destination: the reply's   */
				 /* source                                   */
	uint8_t        proto;    /* 255 or 17                                */
	uint16_t       sport, dport;  /* of the request                      */
	uint64_t       req_ts_ns;     /* the request's HDP timestamp         */
	uint64_t       rx_ns, tx_ns;
	size_t         req_bytes;     /* request IP datagram length (as the  */
				      /* reply would count it)               */
	size_t         bytes;         /* reply IP datagram length            */
	int            refused;       /* 0 answered, else enum hdp_echo_reason */
};

struct hdp_echo_stats {
	uint64_t seen;       /* datagrams handed in                          */
	uint64_t ignored;    /* not a request (another port or protocol, a   */
			     /* reply, a family without a socket)            */
	uint64_t replied, failed;
	uint64_t refused;    /* requests not answered, by reason below       */
	uint64_t refused_by[HDP_ECHO_R_COUNT];
	uint64_t rate_evictions;  /* sources pushed out of the full table    */
	uint64_t addr_loads;      /* times this host's addresses were read   */
};

struct hdp_echo;

/* A responder; the caller receives the requests (hdp listen's raw
 * sockets, or a capture).  Opens its sending sockets now, so call it
 * before dropping privileges; NULL and err (with *perm = 1 for missing
 * privileges) on failure. */
struct hdp_echo *hdp_echo_new(const struct hdp_echo_opts *o, int *perm,
			      char *err, size_t errlen);

/* A descriptor to poll (rtnetlink: this host's addresses changed), or
 * -1; call hdp_echo_events() when it is readable, before answering what
 * arrived at the same time. */
int  hdp_echo_fd(const struct hdp_echo *e);
void hdp_echo_events(struct hdp_echo *e);

/*
 * Answer one captured frame of link type dlt, received at rx_ns
 * (rx_kernel: that time is the kernel's).  Returns 1 when a reply was
 * sent, 0 when none was (rep->refused says why, when it was a request
 * refused), -1 when the reply could not be sent (err says why).  rep is
 * filled when not NULL and the frame was a request.
 */
int hdp_echo_answer(struct hdp_echo *e, int dlt, const uint8_t *pkt,
		    size_t caplen, size_t wirelen, uint64_t rx_ns,
		    int rx_kernel, struct hdp_echo_reply *rep, char *err,
		    size_t errlen);

/* The same for a transport segment whose IP header the caller read
 * elsewhere (a raw socket, with IP_PKTINFO / IPV6_PKTINFO). */
int hdp_echo_answer_l4(struct hdp_echo *e, const struct hdp_echo_req *q,
		       struct hdp_echo_reply *rep, char *err, size_t errlen);

const struct hdp_echo_stats *hdp_echo_stats(const struct hdp_echo *e);
void hdp_echo_free(struct hdp_echo *e);

/* Print one reply, or one refusal, as a "# echo:" line, or a JSON line
 * with "layer":"echo" / "echo_refused" (hdp listen's JSON), to f. */
void hdp_echo_print(FILE *f, int json, const struct hdp_echo_reply *rep);

/* The counts at the end: one "# echo:" line, or a JSON line with
 * "layer":"echo_summary" and every reason in "refused_by". */
void hdp_echo_print_summary(FILE *f, int json, const struct hdp_echo *e);

/*
 * A UDP source port for requests that a responder will answer (not
 * 0-1023, not a service's it refuses): hdp_udp_quiet() on a port the
 * kernel picks, picked again while it is one of those.  The fd, or -1.
 */
int hdp_echo_udp_client_port(int family, uint16_t *port);

#endif /* HDP_ECHO_H */
