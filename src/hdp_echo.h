/*
 * hdp_echo.h: the HDP echo responder (hdp listen --echo) and the echo
 * block that hdp ping reads from its replies.
 *
 * A reply goes back to the sender with addresses and ports swapped and the
 * request's HDP timestamp kept in the HDP header.  Its payload starts with
 * a 32-byte echo block, then the request's payload unchanged:
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
 *    |  the request's payload ...
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

#include "hdp.h"

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

/* What to answer. */
struct hdp_echo_opts {
	int         family;   /* AF_UNSPEC: IPv4 and IPv6                   */
	int         hdp;      /* answer HDP (IP protocol 255)               */
	int         port;     /* answer only this HDP destination port; -1  */
			      /* any                                         */
	int         udp_port; /* answer HDP-in-UDP sent to this UDP port;    */
			      /* 0 none                                      */
};

/* One answered request. */
struct hdp_echo_reply {
	int            family;
	union hdp_addr peer;     /* who asked                                */
	uint8_t        proto;    /* 255 or 17                                */
	uint16_t       sport, dport;  /* of the request                      */
	uint64_t       req_ts_ns;     /* the request's HDP timestamp         */
	uint64_t       rx_ns, tx_ns;
	size_t         bytes;         /* reply IP datagram length            */
};

struct hdp_echo_stats {
	uint64_t seen, replied, failed, ignored;
};

struct hdp_echo;

/* A responder; the caller receives the requests (hdp listen's raw
 * sockets, or a capture).  Opens its sending sockets now, so call it
 * before dropping privileges; NULL and err (with *perm = 1 for missing
 * privileges) on failure. */
struct hdp_echo *hdp_echo_new(const struct hdp_echo_opts *o, int *perm,
			      char *err, size_t errlen);

/*
 * Answer one captured frame of link type dlt, received at rx_ns
 * (rx_kernel: that time is the kernel's).  Returns 1 when a reply was
 * sent (rep filled when not NULL), 0 when the frame is not a request to
 * answer, -1 when the reply could not be sent (err says why).
 */
int hdp_echo_answer(struct hdp_echo *e, int dlt, const uint8_t *pkt,
		    size_t caplen, size_t wirelen, uint64_t rx_ns,
		    int rx_kernel, struct hdp_echo_reply *rep, char *err,
		    size_t errlen);

/* The same for a transport segment whose IP header the caller read
 * elsewhere (an IPv6 raw socket gives no header: pass dst all zero and
 * the reply's source is the kernel's choice). */
int hdp_echo_answer_l4(struct hdp_echo *e, int family,
		       const union hdp_addr *src, const union hdp_addr *dst,
		       uint8_t proto, const uint8_t *l4, size_t l4len,
		       uint64_t rx_ns, int rx_kernel,
		       struct hdp_echo_reply *rep, char *err, size_t errlen);

const struct hdp_echo_stats *hdp_echo_stats(const struct hdp_echo *e);
void hdp_echo_free(struct hdp_echo *e);

/* Print one reply as a "# echo:" line, or a JSON line with
 * "layer":"echo" (hdp listen's JSON), to f. */
void hdp_echo_print(FILE *f, int json, const struct hdp_echo_reply *rep);

#endif /* HDP_ECHO_H */
