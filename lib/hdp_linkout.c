/*
 * hdp_linkout.c: captured frames back onto one interface (hdp_linkout.h).
 *
 * libnet opens the interface (LIBNET_LINK_ADV: a packet socket on it) and
 * writes a frame sent on its own (libnet_adv_write_link()).  A batch
 * (--topspeed) goes out with sendmmsg() on libnet's socket: libnet 1.1.6
 * writes one frame a system call and looks the interface index up with an
 * ioctl each time, which is most of a replay's own cost at full speed.
 *
 * The socket libnet opened taps every frame of every interface
 * (ETH_P_ALL): it is replaced, on the same descriptor, by one of protocol
 * 0, which is on no tap, so receiving costs nothing (see
 * hdp_tx_rx_filter()).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libnet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hdp_build.h"
#include "hdp_linkout.h"

#define LOUT_ENOBUFS_TRIES 64

struct hdp_lout {
	libnet_t          *l;
	int                fd;
	int                ifindex;
	unsigned           mtu;
	uint8_t            mac[6];
	libnet_ptag_t      t_eth;
	struct sockaddr_ll to;
	int                bound;
	uint64_t           retries;   /* writes retried: ENOBUFS, EINTR */

	/* the queue: frame copies back to back in buf */
	uint8_t           *buf;
	size_t             len, cap;
	unsigned           n;
	size_t             off[HDP_LOUT_BATCH], flen[HDP_LOUT_BATCH];
	struct mmsghdr     msgs[HDP_LOUT_BATCH];
	struct iovec       iovs[HDP_LOUT_BATCH];
};

/* Our own socket in place of libnet's, on its descriptor (libnet closes
 * it): protocol 0, so no frame is queued to it. */
static void
lout_quiet(struct hdp_lout *o)
{
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return;
	(void)dup3(fd, o->fd, O_CLOEXEC);
	close(fd);
}

/* MTU and MAC of the interface; loopback keeps an all-zero MAC. */
static void
lout_ifinfo(struct hdp_lout *o, const char *ifname)
{
	struct libnet_ether_addr *ea;
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(o->fd, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu > 0)
		o->mtu = (unsigned)ifr.ifr_mtu;
	if (ioctl(o->fd, SIOCGIFFLAGS, &ifr) == 0 &&
	    (ifr.ifr_flags & IFF_LOOPBACK))
		return;
	ea = libnet_get_hwaddr(o->l);
	if (ea != NULL)
		memcpy(o->mac, ea->ether_addr_octet, 6);
}

struct hdp_lout *
hdp_lout_open(const char *ifname, int bypass, int *perm, char *err,
	      size_t errlen)
{
	struct hdp_lout *o;
	int one = 1;

	*perm = 0;
	o = calloc(1, sizeof(*o));
	if (o == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	o->ifindex = (int)if_nametoindex(ifname);
	if (o->ifindex == 0) {
		snprintf(err, errlen, "%s: no such interface", ifname);
		goto fail;
	}
	o->l = hdp_libnet_init(LIBNET_LINK_ADV, ifname, perm, err, errlen);
	if (o->l == NULL)
		goto fail;
	if (o->l->link_type != DLT_EN10MB) {
		snprintf(err, errlen, "link type %d is not Ethernet or "
			 "loopback", o->l->link_type);
		goto fail;
	}
	o->fd = libnet_getfd(o->l);
	lout_quiet(o);
	o->mtu = 1500;
	lout_ifinfo(o, ifname);
	/* best effort: an older kernel lacks it, the qdisc path still works */
	if (bypass)
		(void)setsockopt(o->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one,
				 sizeof(one));
	o->to.sll_family = AF_PACKET;
	o->to.sll_ifindex = o->ifindex;
	o->to.sll_protocol = htons(ETH_P_ALL);
	/* bound to the interface (protocol 0: still on no tap), a batch
	 * needs no address per message for the kernel to copy in */
	{
		struct sockaddr_ll b = o->to;

		b.sll_protocol = 0;
		o->bound = bind(o->fd, (struct sockaddr *)&b, sizeof(b)) == 0;
	}
	return o;
fail:
	hdp_lout_close(o);
	return NULL;
}

void
hdp_lout_info(const struct hdp_lout *o, uint8_t mac[6], unsigned *mtu)
{
	memcpy(mac, o->mac, 6);
	*mtu = o->mtu;
}

int
hdp_lout_eth(struct hdp_lout *o, const uint8_t dst[6], const uint8_t src[6],
	     uint16_t type, uint8_t out[14], char *err, size_t errlen)
{
	uint8_t *pkt = NULL;
	uint32_t len = 0;
	char *e;

	o->t_eth = libnet_build_ethernet(dst, src, type, NULL, 0, o->l,
					 o->t_eth);
	if (o->t_eth == -1 ||
	    libnet_pblock_coalesce(o->l, &pkt, &len) < 0) {
		o->t_eth = 0;
		e = libnet_geterror(o->l);
		e[strcspn(e, "\n")] = '\0';
		snprintf(err, errlen, "ethernet: %s", e);
		libnet_clear_packet(o->l);
		return -1;
	}
	if (len == 14)
		memcpy(out, pkt, 14);
	/* coalesce hands back its buffer offset by the aligner */
	free(pkt - o->l->aligner);
	if (len != 14) {
		snprintf(err, errlen, "ethernet: libnet built %u bytes, not 14",
			 (unsigned)len);
		return -1;
	}
	return 0;
}

/* Copy hdr + data to the end of the queue buffer; its offset, or -1. */
static int
lout_append(struct hdp_lout *o, const uint8_t *hdr, size_t hlen,
	    const uint8_t *data, size_t len, size_t *at)
{
	size_t need = o->len + hlen + len;

	if (need > o->cap) {
		size_t c = o->cap ? o->cap : 65536;
		uint8_t *nb;

		while (c < need)
			c *= 2;
		nb = realloc(o->buf, c);
		if (nb == NULL) {
			errno = ENOMEM;
			return -1;
		}
		o->buf = nb;
		o->cap = c;
	}
	*at = o->len;
	if (hlen)
		memcpy(o->buf + o->len, hdr, hlen);
	memcpy(o->buf + o->len + hlen, data, len);
	o->len = need;
	return 0;
}

int
hdp_lout_write(struct hdp_lout *o, const uint8_t *hdr, size_t hlen,
	       const uint8_t *data, size_t len)
{
	const uint8_t *frame = data;
	size_t at = 0, flen = hlen + len;
	int c, tries = 0;

	if (hlen) {	/* libnet writes one buffer: put the two together */
		size_t keep = o->len;

		if (lout_append(o, hdr, hlen, data, len, &at) < 0)
			return -1;
		frame = o->buf + at;
		o->len = keep;
	}
	if (flen > UINT32_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	do {	/* EINTR: a signal while the socket's buffer was full */
		errno = 0;
		c = libnet_adv_write_link(o->l, frame, (uint32_t)flen);
	} while (c < 0 && errno == EINTR && tries++ < LOUT_ENOBUFS_TRIES);
	if (c < 0 || (size_t)c != flen) {
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	return 0;
}

int
hdp_lout_queue(struct hdp_lout *o, const uint8_t *hdr, size_t hlen,
	       const uint8_t *data, size_t len)
{
	size_t at;

	if (o->n >= HDP_LOUT_BATCH) {
		errno = ENOSPC;
		return -1;
	}
	o->flen[o->n] = hlen + len;
	if (lout_append(o, hdr, hlen, data, len, &at) < 0)
		return -1;
	o->off[o->n] = at;
	return (int)++o->n;
}

/* Queue entries i0..j-1: sendmmsg(). */
static void
mmsg_send(struct hdp_lout *o, unsigned i0, unsigned j, int *errs)
{
	unsigned i, start = i0, tries = 0;
	int c;

	/* the buffer may have moved while frames were queued: aim now */
	for (i = i0; i < j; i++) {
		errs[i] = 0;
		o->iovs[i].iov_base = o->buf + o->off[i];
		o->iovs[i].iov_len = o->flen[i];
		memset(&o->msgs[i], 0, sizeof(o->msgs[i]));
		if (!o->bound) {
			o->msgs[i].msg_hdr.msg_name = &o->to;
			o->msgs[i].msg_hdr.msg_namelen = sizeof(o->to);
		}
		o->msgs[i].msg_hdr.msg_iov = &o->iovs[i];
		o->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (start < j) {
		c = sendmmsg(o->fd, o->msgs + start, j - start, 0);
		if (c > 0) {
			start += (unsigned)c;
			tries = 0;
			continue;
		}
		if (c < 0 && errno == ENOBUFS && tries++ < LOUT_ENOBUFS_TRIES) {
			o->retries++;
			sched_yield();
			continue;
		}
		/* a signal (Ctrl-C: the caller's handler has no SA_RESTART)
		 * came while the socket's buffer was full: the frame was not
		 * refused, it is written once the caller stops queueing */
		if (c < 0 && errno == EINTR && tries++ < LOUT_ENOBUFS_TRIES) {
			o->retries++;
			continue;
		}
		/* this frame is refused (too big, interface down): the
		 * others still go */
		errs[start++] = c < 0 ? errno : EIO;
		tries = 0;
	}
}

int
hdp_lout_flush(struct hdp_lout *o, int *errs)
{
	unsigned n = o->n;

	mmsg_send(o, 0, n, errs);
	o->n = 0;
	o->len = 0;
	return (int)n;
}

uint64_t
hdp_lout_retries(const struct hdp_lout *o)
{
	return o->retries;
}

void
hdp_lout_close(struct hdp_lout *o)
{
	if (o == NULL)
		return;
	if (o->l != NULL)
		libnet_destroy(o->l);
	free(o->buf);
	free(o);
}
