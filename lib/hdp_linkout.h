/*
 * hdp_linkout.h: captured frames back onto one interface, as captured.
 *
 * hdp replay -I with nothing to rewrite sends each frame's captured bytes,
 * link header kept, through libnet's link-layer interface (LIBNET_LINK_ADV
 * on the interface; libnet_adv_write_link() for a frame sent on its own,
 * sendmmsg() on libnet's packet socket for a batch).  The bytes are the
 * ones libpcap read; the one header hdp adds (an Ethernet header in front
 * of a frame captured without one: cooked SLL/SLL2, raw IP, loopback
 * DLT_NULL) is built by libnet (hdp_lout_eth()).
 */
#ifndef HDP_LINKOUT_H
#define HDP_LINKOUT_H

#include <stddef.h>
#include <stdint.h>

/* Frames written per sendmmsg() at most (16, 64 and 256 measured on a
 * veth: bench/README.md, replay_veth). */
#define HDP_LOUT_BATCH 256

struct hdp_lout;

/*
 * Open ifname (an Ethernet or loopback device) for link-layer writes.
 * The socket receives nothing (protocol 0: on no tap) and, with bypass,
 * skips the qdisc layer (PACKET_QDISC_BYPASS) when the kernel allows.
 * NULL with one line in err; *perm set when privileges are missing.
 */
struct hdp_lout *hdp_lout_open(const char *ifname, int bypass, int *perm,
			       char *err, size_t errlen);

/* The interface's own MAC (all zero on loopback), its MTU. */
void hdp_lout_info(const struct hdp_lout *o, uint8_t mac[6],
		   unsigned *mtu);

/* An Ethernet header built by libnet: dst, src, type, into out[14]. */
int  hdp_lout_eth(struct hdp_lout *o, const uint8_t dst[6],
		  const uint8_t src[6], uint16_t type, uint8_t out[14],
		  char *err, size_t errlen);

/*
 * Write one frame now: hdr (hlen bytes, may be 0) then data (len bytes).
 * 0, or -1 and errno.
 */
int  hdp_lout_write(struct hdp_lout *o, const uint8_t *hdr, size_t hlen,
		    const uint8_t *data, size_t len);

/*
 * Queue a copy of a frame for hdp_lout_flush(); returns how many are
 * queued (flush at HDP_LOUT_BATCH), or -1 and errno (ENOMEM).
 */
int  hdp_lout_queue(struct hdp_lout *o, const uint8_t *hdr, size_t hlen,
		    const uint8_t *data, size_t len);

/*
 * Write the queued frames in order, with as few sendmmsg() calls as the
 * kernel allows; errs[i] becomes 0 for a frame written, else its errno
 * (ENOBUFS is retried a few times first).  Returns how many were queued.
 */
int  hdp_lout_flush(struct hdp_lout *o, int *errs);

/* Writes retried so far (ENOBUFS: no buffer space; EINTR). */
uint64_t hdp_lout_retries(const struct hdp_lout *o);

void hdp_lout_close(struct hdp_lout *o);

#endif /* HDP_LINKOUT_H */
