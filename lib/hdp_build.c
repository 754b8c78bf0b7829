/*
 * hdp_build.c: building and sending frames with libnet (hdp_build.h).
 *
 * libnet builds every header: hdp_tx_build() (re)builds the pblocks in
 * place through the ptags it kept, then flattens them once with
 * libnet_pblock_coalesce() into tx->frame.  Writing the same frame again
 * (a count, a rate, a flood) only patches the 8 timestamp bytes (and the
 * UDP checksum, incrementally, RFC 1624) and hands the bytes to libnet's
 * own socket: no allocation, no rebuilding, no formatting per packet.
 *
 * We write with sendto()/sendmmsg() on libnet's descriptor rather than
 * libnet_write(), which would coalesce (malloc, copy, checksum, free) for
 * every packet, look the interface index up by ioctl for every link-layer
 * write, and drop the IPv6 scope of a link-local destination.
 *
 * What the Linux kernel does to a raw IP_HDRINCL send (raw_send_hdrinc,
 * rawv6_send_hdrinc): it fills in the IPv4 total length and header
 * checksum, picks an IP ID when the ID is 0, fills a zero source address,
 * and refuses a datagram larger than the outgoing device's MTU with
 * EMSGSIZE: it never fragments one.  Fragments are ours to build
 * (hdp_tx_write_frags()).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <libnet.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netdb.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hdp_build.h"
#include "hdp_rawsock.h"

#ifndef DLT_RAW
#define DLT_RAW 12
#endif

#define IP4_HDR_LEN  20
#define IP6_HDR_LEN  40
#define UDP_HDR_LEN  8
#define ETH_HDR_LEN  14
#define FRAG6_HDR_LEN 8

struct hdp_tx {
	libnet_t        *l;
	enum hdp_tx_mode mode;
	int              family;
	int              fd;
	int              ifindex;
	char             ifname[IF_NAMESIZE];
	int              is_loopback;       /* link mode on a loopback dev  */

	/* ptags of the pblocks built so far (0: none yet) */
	libnet_ptag_t    t_data, t_l4, t_opts, t_ip, t_eth;
	size_t           data_len;
	int              built;             /* a frame has been built        */
	enum hdp_l4      built_l4;
	int              built_opts;

	/* the frame last built, flattened: link header, IP, rest */
	uint8_t         *frame;
	size_t           frame_len, frame_cap;
	size_t           ip_off;            /* link header length            */
	size_t           ts_off;            /* HDP timestamp offset, or 0    */
	size_t           udp_csum_off;      /* UDP checksum offset, or 0     */
	int              stamp;             /* spec ts_ns was 0              */
	uint64_t         ts_ns;             /* timestamp in the frame        */
	size_t           ip_len;            /* IP datagram length            */

	/* the L4 payload libnet is given (HDP header + payload), grown */
	uint8_t         *pl;
	size_t           pl_cap;

	/* where writes go */
	struct sockaddr_storage to;
	socklen_t        tolen;

	/* link mode: the next hop's MAC, cached per destination */
	union hdp_addr   mac_for;
	int              have_mac;
	uint8_t          dmac[6];
	/* our own MAC, looked up once: libnet_get_hwaddr() costs a socket,
	 * an ioctl and a close every call */
	int              have_smac;
	uint8_t          smac[6];

	/* route source cached per destination */
	union hdp_addr   src_for, src;
	int              have_src;

	/* queued writes' messages (hdp_tx_flush) */
	struct mmsghdr   msgs[HDP_TX_BURST];
	struct iovec     iovs[HDP_TX_BURST];

	/* queued frames (hdp_tx_queue), contiguous in qbuf */
	uint8_t         *qbuf;
	size_t           qbuf_len, qbuf_cap;
	unsigned         q_n;
	size_t           q_off[HDP_TX_BURST], q_len[HDP_TX_BURST];
	struct sockaddr_storage q_to[HDP_TX_BURST];
	socklen_t        q_tolen[HDP_TX_BURST];

	/* fragments (hdp_tx_write_frags) */
	uint8_t         *frag;
	size_t           frag_cap;
	uint32_t         frag_id;

	/* hdp_tx_flood(): how (hdp_tx_set_method), and its own copies */
	struct hdp_tx_method method;
	int              fl_ready;          /* copies hold the frame built  */
	uint8_t         *fl_buf;            /* sendmmsg: batch copies       */
	size_t           fl_stride;
	struct mmsghdr  *fl_msgs;
	struct iovec    *fl_iovs;
	int              ring_fd;           /* PACKET_TX_RING socket, or -1 */
	uint8_t         *ring;
	size_t           ring_len, ring_fsz, ring_bsz;
	size_t           ring_vnet;         /* virtio_net_hdr before frames */
	unsigned         ring_fpb, ring_nr, ring_head;
};

/* ---- small helpers ------------------------------------------------------ */

static void flood_free(struct hdp_tx *tx);

static int route_src_scoped(int family, const union hdp_addr *dst,
			    unsigned scope, union hdp_addr *src, char *err,
			    size_t errlen);

void
hdp_put_be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint16_t
get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static int
addr_eq(int family, const union hdp_addr *a, const union hdp_addr *b)
{
	return family == AF_INET ?
	       a->v4.s_addr == b->v4.s_addr :
	       memcmp(&a->v6, &b->v6, sizeof(a->v6)) == 0;
}

static size_t
addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

static int
grow(uint8_t **buf, size_t *cap, size_t need)
{
	uint8_t *n;
	size_t c = *cap ? *cap : 256;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	n = realloc(*buf, c);
	if (n == NULL)
		return -1;
	*buf = n;
	*cap = c;
	return 0;
}

/*
 * Overwrite the 8 timestamp bytes at off and keep the UDP checksum right
 * (incremental update, RFC 1624: HC' = ~(~HC + ~m + m')).
 */
static void
patch_ts(uint8_t *frame, size_t ts_off, size_t csum_off, uint64_t ts)
{
	uint8_t nb[8];
	uint32_t sum;
	uint16_t c;
	int i;

	hdp_put_be64(nb, ts);
	if (csum_off != 0) {
		sum = (uint16_t)~get_be16(frame + csum_off);
		for (i = 0; i < 8; i += 2) {
			sum += (uint16_t)~get_be16(frame + ts_off + i);
			sum += get_be16(nb + i);
		}
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		c = (uint16_t)~sum;
		if (c == 0)
			c = 0xffff;	/* 0 means "no checksum" in UDP */
		put_be16(frame + csum_off, c);
	}
	memcpy(frame + ts_off, nb, 8);
}

/* ---- netlink: routes and neighbours -------------------------------------- */

struct nl_req {
	struct nlmsghdr n;
	union {
		struct rtmsg r;
		struct ndmsg nd;
	} u;
	char buf[256];
};

static void
nl_addattr(struct nl_req *req, int type, const void *data, size_t len)
{
	unsigned char *base = (unsigned char *)req;
	size_t off = NLMSG_ALIGN(req->n.nlmsg_len);
	size_t rl = RTA_LENGTH(len);
	struct rtattr rta;

	if (off + RTA_ALIGN(rl) > sizeof(*req))
		return;
	rta.rta_type = (unsigned short)type;
	rta.rta_len = (unsigned short)rl;
	memcpy(base + off, &rta, sizeof(rta));
	memcpy(base + off + RTA_LENGTH(0), data, len);
	req->n.nlmsg_len = (uint32_t)(off + RTA_ALIGN(rl));
}

/* Send req; call cb for every message of the answer until DONE (dump) or
 * the first message (request).  Returns 0, or -1 with err. */
static int
nl_talk(struct nl_req *req, int (*cb)(struct nlmsghdr *, void *), void *arg,
	char *err, size_t errlen)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	/* per thread: hdp send --cpus opens one sender per thread */
	static _Thread_local char buf[32768];
	int fd, done = 0, rc = -1;
	ssize_t n;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		snprintf(err, errlen, "netlink: %s", strerror(errno));
		return -1;
	}
	req->n.nlmsg_seq = 1;
	if (sendto(fd, req, req->n.nlmsg_len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0) {
		snprintf(err, errlen, "netlink: %s", strerror(errno));
		goto out;
	}
	while (!done) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct nlmsghdr *h;

		if (poll(&pfd, 1, 2000) <= 0) {
			snprintf(err, errlen, "netlink: no answer");
			goto out;
		}
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			snprintf(err, errlen, "netlink: %s", strerror(errno));
			goto out;
		}
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE) {
				done = 1;
				break;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				if (e->error == 0) {
					done = 1;
					break;
				}
				snprintf(err, errlen, "%s",
					 strerror(-e->error));
				errno = -e->error;
				goto out;
			}
			if (cb(h, arg) != 0 ||
			    !(req->n.nlmsg_flags & NLM_F_DUMP)) {
				done = 1;
				break;
			}
		}
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

static int
route_cb(struct nlmsghdr *h, void *arg)
{
	struct hdp_route *rt = arg;
	struct rtmsg *r = NLMSG_DATA(h);
	struct rtattr *a;
	int len;

	if (h->nlmsg_type != RTM_NEWROUTE)
		return 0;
	len = (int)RTM_PAYLOAD(h);
	for (a = RTM_RTA(r); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		switch (a->rta_type) {
		case RTA_OIF:
			if (RTA_PAYLOAD(a) >= sizeof(int))
				memcpy(&rt->oif, RTA_DATA(a), sizeof(int));
			break;
		case RTA_GATEWAY:
			if (RTA_PAYLOAD(a) == addr_len(rt->family)) {
				memcpy(&rt->gw, RTA_DATA(a), RTA_PAYLOAD(a));
				rt->has_gw = 1;
			}
			break;
		case RTA_PREFSRC:
			if (RTA_PAYLOAD(a) == addr_len(rt->family)) {
				memcpy(&rt->src, RTA_DATA(a), RTA_PAYLOAD(a));
				rt->has_src = 1;
			}
			break;
		case RTA_METRICS: {
			struct rtattr *m = RTA_DATA(a);
			int ml = (int)RTA_PAYLOAD(a);

			for (; RTA_OK(m, ml); m = RTA_NEXT(m, ml))
				if (m->rta_type == RTAX_MTU &&
				    RTA_PAYLOAD(m) >= sizeof(uint32_t))
					memcpy(&rt->route_mtu, RTA_DATA(m),
					       sizeof(uint32_t));
			break;
		}
		default:
			break;
		}
	}
	rt->type = r->rtm_type;
	return 1;
}

static int
dev_mtu(const char *ifname, unsigned *mtu)
{
	struct ifreq ifr;
	int fd, rc;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	rc = ioctl(fd, SIOCGIFMTU, &ifr);
	close(fd);
	if (rc < 0)
		return -1;
	*mtu = (unsigned)ifr.ifr_mtu;
	return 0;
}

int
hdp_route_get(int family, const union hdp_addr *dst, unsigned scope,
	      struct hdp_route *rt, char *err, size_t errlen)
{
	struct nl_req req;
	char a[INET6_ADDRSTRLEN];

	memset(rt, 0, sizeof(*rt));
	rt->family = family;
	memset(&req, 0, sizeof(req));
	req.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	req.n.nlmsg_type = RTM_GETROUTE;
	req.n.nlmsg_flags = NLM_F_REQUEST;
	req.u.r.rtm_family = (unsigned char)family;
	req.u.r.rtm_dst_len = (unsigned char)(family == AF_INET ? 32 : 128);
	nl_addattr(&req, RTA_DST, dst, addr_len(family));
	if (scope != 0)
		nl_addattr(&req, RTA_OIF, &scope, sizeof(int));
	inet_ntop(family, dst, a, sizeof(a));
	if (nl_talk(&req, route_cb, rt, err, errlen) < 0) {
		char e[96];

		snprintf(e, sizeof(e), "%s", err);
		snprintf(err, errlen, "no route to %s: %s", a, e);
		return -1;
	}
	if (rt->oif == 0 || if_indextoname((unsigned)rt->oif,
					   rt->ifname) == NULL) {
		snprintf(err, errlen, "no route to %s", a);
		return -1;
	}
	if (dev_mtu(rt->ifname, &rt->dev_mtu) < 0)
		rt->dev_mtu = 0;
	rt->mtu = rt->route_mtu ? rt->route_mtu : rt->dev_mtu;
	return 0;
}

struct neigh_q {
	int family, ifindex;
	union hdp_addr addr;
	uint8_t mac[6];
	int found;      /* 1 usable, -1 failed/incomplete */
};

static int
neigh_cb(struct nlmsghdr *h, void *arg)
{
	struct neigh_q *q = arg;
	struct ndmsg *nd = NLMSG_DATA(h);
	struct rtattr *a;
	int len, match = 0, have_ll = 0;
	uint8_t mac[6];

	if (h->nlmsg_type != RTM_NEWNEIGH || nd->ndm_family != q->family ||
	    nd->ndm_ifindex != q->ifindex)
		return 0;
	len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*nd)));
	for (a = (struct rtattr *)((char *)nd + NLMSG_ALIGN(sizeof(*nd)));
	     RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == NDA_DST &&
		    RTA_PAYLOAD(a) == addr_len(q->family) &&
		    memcmp(RTA_DATA(a), &q->addr, RTA_PAYLOAD(a)) == 0)
			match = 1;
		if (a->rta_type == NDA_LLADDR && RTA_PAYLOAD(a) == 6) {
			memcpy(mac, RTA_DATA(a), 6);
			have_ll = 1;
		}
	}
	if (!match)
		return 0;
	if (have_ll && !(nd->ndm_state & (NUD_INCOMPLETE | NUD_FAILED))) {
		memcpy(q->mac, mac, 6);
		q->found = 1;
	} else if (q->found == 0) {
		q->found = -1;
	}
	return 0;
}

static int
neigh_lookup(struct neigh_q *q, char *err, size_t errlen)
{
	struct nl_req req;

	memset(&req, 0, sizeof(req));
	req.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct ndmsg));
	req.n.nlmsg_type = RTM_GETNEIGH;
	req.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.u.nd.ndm_family = (unsigned char)q->family;
	q->found = 0;
	return nl_talk(&req, neigh_cb, q, err, errlen);
}

/* One empty UDP datagram to the discard port of addr, out of ifname:
 * the kernel resolves the next hop (ARP / neighbour solicitation). */
static void
solicit(int family, const union hdp_addr *addr, int ifindex,
	const char *ifname)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return;
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (void *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(9);
		s4->sin_addr = addr->v4;
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (void *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(9);
		s6->sin6_addr = addr->v6;
		s6->sin6_scope_id = (uint32_t)ifindex;
		sl = sizeof(*s6);
	}
	/* Out of ifname only, or not at all: unbound, the datagram would
	 * follow the routing table, perhaps out of another interface.
	 * SO_BINDTODEVICE needs CAP_NET_RAW, which is gone once privileges
	 * are dropped; IP_UNICAST_IF / IPV6_UNICAST_IF do not. */
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname,
		       (socklen_t)strlen(ifname)) == 0 ||
	    (family == AF_INET ?
	     setsockopt(fd, IPPROTO_IP, IP_UNICAST_IF, &(uint32_t){
			htonl((uint32_t)ifindex) }, sizeof(uint32_t)) :
	     setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_IF, &(int){ ifindex },
			sizeof(int))) == 0)
		(void)!sendto(fd, "", 0, 0, (struct sockaddr *)&ss, sl);
	close(fd);
}

/*
 * The next hop's MAC from the kernel's neighbour table.  When there is no
 * entry yet, solicit() makes the kernel resolve it; we wait up to wait_ms
 * for the answer.  A destination the kernel reaches locally or through
 * another interface fails at once: no neighbour on ifname will answer.
 */
int
hdp_next_hop_mac(int family, const union hdp_addr *dst, int ifindex,
		 const char *ifname, unsigned wait_ms, union hdp_addr *nh,
		 uint8_t mac[6], char *err, size_t errlen)
{
	struct hdp_route rt;
	struct neigh_q q;
	char a[INET6_ADDRSTRLEN];
	unsigned waited = 0;

	if (hdp_route_get(family, dst, (unsigned)ifindex, &rt, err,
			  errlen) < 0)
		return -1;
	memset(&q, 0, sizeof(q));
	q.family = family;
	q.ifindex = ifindex;
	q.addr = rt.has_gw ? rt.gw : *dst;
	*nh = q.addr;
	inet_ntop(family, &q.addr, a, sizeof(a));
	if (rt.type == RTN_BROADCAST && rt.oif == ifindex) {
		/* a subnet's broadcast address (198.51.100.255/24): every
		 * host on the link, no neighbour to ask (RFC 919) */
		memset(mac, 0xff, 6);
		return 0;
	}
	if (rt.type == RTN_LOCAL || rt.oif != ifindex) {
		snprintf(err, errlen, "%s: next hop %s is not on it (the "
			 "kernel routes it %sthrough %s)", ifname, a,
			 rt.type == RTN_LOCAL ? "locally, " : "",
			 rt.ifname[0] ? rt.ifname : "another interface");
		return -1;
	}
	for (;;) {
		if (neigh_lookup(&q, err, errlen) < 0)
			return -1;
		if (q.found == 1 || waited >= wait_ms)
			break;
		if (waited == 0)
			solicit(family, &q.addr, ifindex, ifname);
		usleep(50000);
		waited += 50;
	}
	if (q.found != 1) {
		/* Given an output interface, the kernel takes a destination
		 * it routes elsewhere (or not at all) as on that link: say
		 * where it really goes, the likelier reason for silence. */
		struct hdp_route any;
		char e2[64];

		if (!rt.has_gw && hdp_route_get(family, dst, 0, &any, e2,
						sizeof(e2)) == 0 &&
		    any.oif != ifindex && any.ifname[0] != '\0')
			snprintf(err, errlen, "%s: no neighbour entry for next "
				 "hop %s (not on its link: the kernel routes it "
				 "%sthrough %s)", ifname, a,
				 any.type == RTN_LOCAL ? "locally, " : "",
				 any.ifname);
		else
			snprintf(err, errlen, "%s: no neighbour entry for next "
				 "hop %s (it does not answer ARP/neighbour "
				 "solicitation)", ifname, a);
		return -1;
	}
	memcpy(mac, q.mac, 6);
	return 0;
}

void
hdp_tx_set_mac(struct hdp_tx *tx, const union hdp_addr *dst,
	       const uint8_t mac[6])
{
	memcpy(tx->dmac, mac, 6);
	tx->mac_for = *dst;
	tx->have_mac = 1;
}

/* The next hop's MAC for dst, cached for the last destination. */
static int
resolve_mac(struct hdp_tx *tx, const union hdp_addr *dst, char *err,
	    size_t errlen)
{
	union hdp_addr nh;
	uint8_t mac[6];

	if (tx->have_mac && addr_eq(tx->family, &tx->mac_for, dst))
		return 0;
	memset(mac, 0, 6);
	if (!tx->is_loopback &&
	    hdp_next_hop_mac(tx->family, dst, tx->ifindex, tx->ifname, 1000,
			     &nh, mac, err, errlen) < 0)
		return -1;
	hdp_tx_set_mac(tx, dst, mac);
	return 0;
}

/* ---- opening ---------------------------------------------------------- */

struct libnet_context *
hdp_libnet_init(int injection, const char *dev, int *perm, char *err,
		size_t errlen)
{
	char eb[LIBNET_ERRBUF_SIZE];
	libnet_t *l;

	errno = 0;
	eb[0] = '\0';
	l = libnet_init(injection, dev, eb);
	if (l != NULL)
		return l;
	if (errno == EPERM || errno == EACCES ||
	    strstr(eb, "not permitted") != NULL ||
	    strstr(eb, "ermission denied") != NULL)
		*perm = 1;
	/* libnet ends its message with a newline */
	eb[strcspn(eb, "\n")] = '\0';
	snprintf(err, errlen, "%s", eb[0] ? eb : "libnet_init failed");
	return NULL;
}

struct hdp_tx *
hdp_tx_open(enum hdp_tx_mode mode, int family, const char *ifname,
	    int *perm, char *err, size_t errlen)
{
	struct hdp_tx *tx;
	int inj;

	*perm = 0;
	if (family != AF_INET && family != AF_INET6) {
		snprintf(err, errlen, "address family %d is not IPv4 or IPv6",
			 family);
		return NULL;
	}
	if (mode == HDP_TX_LINK && (ifname == NULL || *ifname == '\0')) {
		snprintf(err, errlen, "link-layer injection needs an interface");
		return NULL;
	}
	if (ifname != NULL && strlen(ifname) >= IF_NAMESIZE) {
		snprintf(err, errlen, "%s: interface name too long", ifname);
		return NULL;
	}
	tx = calloc(1, sizeof(*tx));
	if (tx == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	tx->mode = mode;
	tx->family = family;
	tx->fd = -1;
	tx->ring_fd = -1;
	if (ifname != NULL && *ifname != '\0') {
		snprintf(tx->ifname, sizeof(tx->ifname), "%s", ifname);
		tx->ifindex = (int)if_nametoindex(ifname);
		if (tx->ifindex == 0 && mode != HDP_TX_NONE) {
			snprintf(err, errlen, "%s: no such interface", ifname);
			goto fail;
		}
	}
	switch (mode) {
	case HDP_TX_RAW:
		inj = family == AF_INET ? LIBNET_RAW4 : LIBNET_RAW6;
		break;
	case HDP_TX_LINK:
		inj = LIBNET_LINK;
		break;
	default:
		inj = LIBNET_NONE;
		break;
	}
	tx->l = hdp_libnet_init(inj, mode == HDP_TX_LINK ? tx->ifname : NULL,
				perm, err, errlen);
	if (tx->l == NULL)
		goto fail;
	if (mode != HDP_TX_NONE)
		tx->fd = libnet_getfd(tx->l);
	if (mode == HDP_TX_LINK) {
		struct sockaddr_ll *sll = (void *)&tx->to;
		struct ifreq ifr;

		if (tx->l->link_type != DLT_EN10MB) {
			snprintf(err, errlen, "%s: link type %d is not "
				 "Ethernet or loopback", tx->ifname,
				 tx->l->link_type);
			goto fail;
		}
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", tx->ifname);
		if (ioctl(tx->fd, SIOCGIFFLAGS, &ifr) == 0 &&
		    (ifr.ifr_flags & IFF_LOOPBACK))
			tx->is_loopback = 1;
		sll->sll_family = AF_PACKET;
		sll->sll_ifindex = tx->ifindex;
		sll->sll_protocol = htons(family == AF_INET ? 0x0800 : 0x86dd);
		sll->sll_halen = 6;
		tx->tolen = sizeof(*sll);
	} else if (mode == HDP_TX_RAW && tx->ifname[0] != '\0') {
		if (setsockopt(tx->fd, SOL_SOCKET, SO_BINDTODEVICE, tx->ifname,
			       (socklen_t)strlen(tx->ifname)) < 0) {
			if (errno == EPERM)
				*perm = 1;
			snprintf(err, errlen, "%s: cannot bind to it: %s",
				 tx->ifname, strerror(errno));
			goto fail;
		}
	}
	tx->frag_id = (uint32_t)hdp_now_ns() ^ (uint32_t)getpid() << 16;
	return tx;
fail:
	hdp_tx_close(tx);
	return NULL;
}

int
hdp_tx_rx_filter(struct hdp_tx *tx)
{
	if (tx->fd < 0)
		return 0;
	if (tx->mode == HDP_TX_LINK) {
		/*
		 * A packet socket of protocol 0 is on no tap at all; a filter
		 * would still leave libnet's on every one (bind cannot clear
		 * the protocol).  It takes the place of libnet's socket, on
		 * the same fd, so libnet_destroy() closes it.  Frames still
		 * go out by tx->to's interface and protocol.
		 */
		int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);

		if (fd >= 0) {
			int rc = dup3(fd, tx->fd, O_CLOEXEC);

			close(fd);
			if (rc >= 0)
				return 0;
		}
	}
	return hdp_sock_drop_rx(tx->fd);
}

/* ---- building --------------------------------------------------------- */

static int
lnerr(struct hdp_tx *tx, const char *what, char *err, size_t errlen)
{
	char *e = libnet_geterror(tx->l);

	e[strcspn(e, "\n")] = '\0';
	snprintf(err, errlen, "%s: %s", what, e);
	return -1;
}

static void
reset_pblocks(struct hdp_tx *tx)
{
	libnet_clear_packet(tx->l);
	tx->t_data = tx->t_l4 = tx->t_opts = tx->t_ip = tx->t_eth = 0;
	tx->data_len = 0;
	tx->built = 0;
}

static int
route_src(struct hdp_tx *tx, const struct hdp_pkt_spec *s,
	  union hdp_addr *src, char *err, size_t errlen)
{
	if (s->has_src) {
		*src = s->src;
		return 0;
	}
	if (tx->have_src && addr_eq(tx->family, &tx->src_for, &s->dst)) {
		*src = tx->src;
		return 0;
	}
	if (route_src_scoped(tx->family, &s->dst, s->scope ? s->scope :
			     (unsigned)tx->ifindex, &tx->src, err,
			     errlen) < 0)
		return -1;
	tx->src_for = s->dst;
	tx->have_src = 1;
	*src = tx->src;
	return 0;
}

/*
 * libnet 1.1.6's libnet_build_ipv6() writes the first 32-bit word wrong:
 * `fl & 0x0FF00 >> 8` binds as `fl & (0x0FF00 >> 8)`, so the flow label's
 * low byte lands in both of the word's last two bytes.  We put the word
 * (version 6, traffic class, flow label) right in the header libnet built,
 * in its pblock, before the frame is flattened and written.
 */
static void
fix_ip6_word(uint8_t *h, uint8_t tc, uint32_t fl)
{
	uint32_t w = 6u << 28 | (uint32_t)tc << 20 | (fl & 0xfffff);

	h[0] = (uint8_t)(w >> 24);
	h[1] = (uint8_t)(w >> 16);
	h[2] = (uint8_t)(w >> 8);
	h[3] = (uint8_t)w;
}

static int
build_ip6_word_fix(struct hdp_tx *tx, const struct hdp_pkt_spec *s)
{
	libnet_pblock_t *p = libnet_pblock_find(tx->l, tx->t_ip);

	if (p == NULL || p->b_len < IP6_HDR_LEN)
		return -1;
	fix_ip6_word(p->buf, s->tos, s->flow_label);
	return 0;
}

/* The spec's own consistency, before anything is built.  -1 and err. */
static int
build_check_spec(struct hdp_tx *tx, const struct hdp_pkt_spec *s,
		 char *err, size_t errlen)
{
	if (s->family != tx->family) {
		snprintf(err, errlen, "packet is IPv%d but the sender IPv%d",
			 s->family == AF_INET ? 4 : 6,
			 tx->family == AF_INET ? 4 : 6);
		return -1;
	}
	if (s->ip_opts_len % 4 != 0 || s->ip_opts_len > 40 ||
	    (s->ip_opts_len && tx->family != AF_INET)) {
		snprintf(err, errlen, "IP options must be IPv4, a multiple of "
			 "4 bytes, at most 40");
		return -1;
	}
	if (s->flow_label > 0xfffff) {
		snprintf(err, errlen, "flow label %u is larger than 20 bits",
			 (unsigned)s->flow_label);
		return -1;
	}
	return 0;
}

/*
 * The bytes after the L4 header libnet builds (or after IP): the HDP
 * header (HDP and UDP modes) and the payload, in tx->pl, made the
 * innermost pblock.  Their length goes to *pl_len.
 */
static int
build_payload(struct hdp_tx *tx, const struct hdp_pkt_spec *s,
	      size_t *pl_len, char *err, size_t errlen)
{
	size_t hlen;
	libnet_ptag_t t;

	hlen = (s->l4 == HDP_L4_HDP || s->l4 == HDP_L4_UDP) ? HDP_HDR_LEN : 0;
	*pl_len = hlen + s->payload_len;
	if (*pl_len > 65535 || grow(&tx->pl, &tx->pl_cap, *pl_len + 1) < 0) {
		snprintf(err, errlen, "payload of %zu bytes is too large",
			 s->payload_len);
		return -1;
	}
	tx->stamp = s->ts_ns == 0;
	tx->ts_ns = s->ts_ns ? s->ts_ns : hdp_now_ns();
	if (hlen) {
		struct hdp_hdr h = { s->sport, s->dport, tx->ts_ns };

		hdp_hdr_encode(&h, tx->pl, HDP_HDR_LEN);
	}
	if (s->payload_len)
		memcpy(tx->pl + hlen, s->payload, s->payload_len);

	/*
	 * The bytes after the last header are a data pblock of their own,
	 * built first (innermost): rebuilding it through its ptag resizes it
	 * in place, which the header builders' payload arguments do not do
	 * reliably on reuse in libnet 1.1.6.  A zero-length payload keeps an
	 * empty block so the ptags stay valid.
	 */
	if (tx->built && (*pl_len > 0) != (tx->t_data != 0))
		reset_pblocks(tx);	/* a new block would land outermost */
	if (*pl_len > 0) {
		t = libnet_build_data(tx->pl, (uint32_t)*pl_len, tx->l,
				      tx->t_data);
		if (t == -1)
			return lnerr(tx, "payload", err, errlen);
		tx->t_data = t;
	}
	tx->data_len = *pl_len;
	return 0;
}

/*
 * The transport header libnet builds around pl_len bytes, if any: UDP,
 * TCP SYN, ICMP/ICMPv6 echo.  *proto becomes the IP protocol those carry
 * (UDP keeps the spec's), *l4_len what follows the IP header.
 */
static int
build_l4(struct hdp_tx *tx, const struct hdp_pkt_spec *s, size_t pl_len,
	 uint8_t *proto, uint32_t *l4_len, char *err, size_t errlen)
{
	libnet_ptag_t t;

	switch (s->l4) {
	case HDP_L4_UDP:
		*l4_len = (uint32_t)(UDP_HDR_LEN + pl_len);
		t = libnet_build_udp(s->sport, s->dport, (uint16_t)*l4_len, 0,
				     NULL, 0, tx->l, tx->t_l4);
		if (t == -1)
			return lnerr(tx, "udp", err, errlen);
		tx->t_l4 = t;
		break;
	case HDP_L4_TCP_SYN:
		*proto = IPPROTO_TCP;
		*l4_len = (uint32_t)(LIBNET_TCP_H + pl_len);
		t = libnet_build_tcp(s->sport, s->dport, s->tcp_seq, 0,
				     TH_SYN, 65535, 0, 0, (uint16_t)*l4_len,
				     NULL, 0, tx->l, tx->t_l4);
		if (t == -1)
			return lnerr(tx, "tcp", err, errlen);
		tx->t_l4 = t;
		break;
	case HDP_L4_ICMP_ECHO:
		*l4_len = (uint32_t)(LIBNET_ICMPV4_ECHO_H + pl_len);
		if (tx->family == AF_INET) {
			*proto = IPPROTO_ICMP;
			t = libnet_build_icmpv4_echo(ICMP_ECHO, 0, 0, s->sport,
						     s->dport, NULL, 0, tx->l,
						     tx->t_l4);
		} else {
			*proto = IPPROTO_ICMPV6;
			t = libnet_build_icmpv6_echo(128, 0, 0, s->sport,
						     s->dport, NULL, 0, tx->l,
						     tx->t_l4);
		}
		if (t == -1)
			return lnerr(tx, "icmp echo", err, errlen);
		tx->t_l4 = t;
		break;
	default:	/* HDP, NONE: the bytes ride as the IP payload */
		*l4_len = (uint32_t)pl_len;
		break;
	}
	return 0;
}

/* The IPv4 header (and its options) around l4_len bytes. */
static int
build_ip4(struct hdp_tx *tx, const struct hdp_pkt_spec *s,
	  const union hdp_addr *src, uint8_t proto, uint32_t l4_len,
	  char *err, size_t errlen)
{
	uint32_t tot = IP4_HDR_LEN + (uint32_t)s->ip_opts_len + l4_len;
	libnet_ptag_t t;

	if (tot > 65535) {
		snprintf(err, errlen, "IPv4 datagram of %u bytes is "
			 "larger than 65535", (unsigned)tot);
		return -1;
	}
	if (s->ip_opts_len) {
		t = libnet_build_ipv4_options(s->ip_opts,
					      (uint32_t)s->ip_opts_len,
					      tx->l, tx->t_opts);
		if (t == -1)
			return lnerr(tx, "ip options", err, errlen);
		tx->t_opts = t;
	}
	t = libnet_build_ipv4((uint16_t)tot, s->tos, s->ip_id,
			      (uint16_t)((s->df ? IP_DF : 0) |
					 (s->frag & (IP_MF | IP_OFFMASK))),
			      s->ttl, proto, 0,
			      src->v4.s_addr, s->dst.v4.s_addr,
			      NULL, 0, tx->l, tx->t_ip);
	if (t == -1)
		return lnerr(tx, "ipv4", err, errlen);
	tx->t_ip = t;
	return 0;
}

/* The IPv6 header around l4_len bytes, its first word put right. */
static int
build_ip6(struct hdp_tx *tx, const struct hdp_pkt_spec *s,
	  const union hdp_addr *src, uint8_t proto, uint32_t l4_len,
	  char *err, size_t errlen)
{
	struct libnet_in6_addr a6s, a6d;
	libnet_ptag_t t;

	if (l4_len > 65535) {
		snprintf(err, errlen, "IPv6 payload of %u bytes is "
			 "larger than 65535", (unsigned)l4_len);
		return -1;
	}
	memcpy(&a6s, &src->v6, 16);
	memcpy(&a6d, &s->dst.v6, 16);
	t = libnet_build_ipv6(s->tos, s->flow_label, (uint16_t)l4_len,
			      proto, s->ttl, a6s, a6d, NULL, 0,
			      tx->l, tx->t_ip);
	if (t == -1)
		return lnerr(tx, "ipv6", err, errlen);
	tx->t_ip = t;
	if (build_ip6_word_fix(tx, s) < 0) {
		snprintf(err, errlen, "ipv6: header block not found");
		return -1;
	}
	return 0;
}

/* Link mode: the Ethernet header to the next hop of dst. */
static int
build_eth(struct hdp_tx *tx, const struct hdp_pkt_spec *s, char *err,
	  size_t errlen)
{
	libnet_ptag_t t;

	if (resolve_mac(tx, &s->dst, err, errlen) < 0)
		return -1;
	if (!tx->have_smac && !tx->is_loopback) {
		struct libnet_ether_addr *ea = libnet_get_hwaddr(tx->l);

		if (ea == NULL)
			return lnerr(tx, "interface address", err, errlen);
		memcpy(tx->smac, ea->ether_addr_octet, 6);
		tx->have_smac = 1;
	}
	t = libnet_build_ethernet(tx->dmac,
				  tx->is_loopback ?
				  (uint8_t *)"\0\0\0\0\0" : tx->smac,
				  tx->family == AF_INET ? 0x0800 : 0x86dd,
				  NULL, 0, tx->l, tx->t_eth);
	if (t == -1)
		return lnerr(tx, "ethernet", err, errlen);
	tx->t_eth = t;
	return 0;
}

/* libnet's pblocks, flattened once into tx->frame. */
static int
flatten_frame(struct hdp_tx *tx, char *err, size_t errlen)
{
	uint8_t *pkt = NULL;
	uint32_t pkt_len = 0;

	if (libnet_pblock_coalesce(tx->l, &pkt, &pkt_len) < 0)
		return lnerr(tx, "building the frame", err, errlen);
	if (grow(&tx->frame, &tx->frame_cap, pkt_len) < 0) {
		free(pkt - tx->l->aligner);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(tx->frame, pkt, pkt_len);
	/* coalesce hands back its buffer offset by the aligner */
	free(pkt - tx->l->aligner);
	tx->frame_len = pkt_len;
	tx->ip_off = tx->mode == HDP_TX_LINK ? ETH_HDR_LEN : 0;
	return 0;
}

/*
 * The flattened frame's last touches (the IPv4 header checksum, the IPv6
 * first word) and where its timestamp and UDP checksum are, for the
 * writes that patch them.
 */
static void
finish_frame(struct hdp_tx *tx, const struct hdp_pkt_spec *s)
{
	size_t n = tx->ip_off;

	if (tx->family == AF_INET) {
		uint8_t *ip = tx->frame + n;
		size_t ihl = (size_t)(ip[0] & 0x0f) * 4;

		/* libnet leaves the IPv4 checksum to the kernel on raw
		 * sockets; the frame we hand back must carry it */
		ip[10] = ip[11] = 0;
		put_be16(ip + 10, hdp_inet_csum(ip, ihl));
		n += ihl;
		tx->ip_len = tx->frame_len - tx->ip_off;
	} else {
		fix_ip6_word(tx->frame + n, s->tos, s->flow_label);
		n += IP6_HDR_LEN;
		tx->ip_len = tx->frame_len - tx->ip_off;
	}
	tx->ts_off = 0;
	tx->udp_csum_off = 0;
	if (s->l4 == HDP_L4_UDP) {
		tx->udp_csum_off = n + 6;
		n += UDP_HDR_LEN;
	}
	if (s->l4 == HDP_L4_HDP || s->l4 == HDP_L4_UDP)
		tx->ts_off = n + 4;
	/* a checksum that computes to 0 goes out as 0xffff (RFC 768); in
	 * IPv6 a zero UDP checksum is not even allowed (RFC 8200 8.1) */
	if (tx->udp_csum_off && get_be16(tx->frame + tx->udp_csum_off) == 0)
		put_be16(tx->frame + tx->udp_csum_off, 0xffff);
}

/* Where the writes go: the destination address (raw), the MAC (link). */
static void
set_destination(struct hdp_tx *tx, const struct hdp_pkt_spec *s)
{
	if (tx->mode == HDP_TX_RAW) {
		memset(&tx->to, 0, sizeof(tx->to));
		if (tx->family == AF_INET) {
			struct sockaddr_in *s4 = (void *)&tx->to;

			s4->sin_family = AF_INET;
			s4->sin_addr = s->dst.v4;
			tx->tolen = sizeof(*s4);
		} else {
			struct sockaddr_in6 *s6 = (void *)&tx->to;

			s6->sin6_family = AF_INET6;
			s6->sin6_addr = s->dst.v6;
			s6->sin6_scope_id = s->scope ? s->scope :
					    (uint32_t)tx->ifindex;
			tx->tolen = sizeof(*s6);
		}
	} else if (tx->mode == HDP_TX_LINK) {
		struct sockaddr_ll *sll = (void *)&tx->to;

		memcpy(sll->sll_addr, tx->dmac, 6);
	}
}

/*
 * Build in steps, innermost first as libnet wants: check the spec, find
 * the source, the payload block, the transport header, the IP header,
 * the link header; then flatten, finish and aim the frame.
 */
int
hdp_tx_build(struct hdp_tx *tx, const struct hdp_pkt_spec *s, char *err,
	     size_t errlen)
{
	union hdp_addr src;
	uint32_t l4_len;
	size_t pl_len;
	uint8_t proto = s->proto;
	int rc;

	if (build_check_spec(tx, s, err, errlen) < 0)
		return -1;
	if (route_src(tx, s, &src, err, errlen) < 0)
		return -1;
	if (tx->built && (tx->built_l4 != s->l4 ||
			  tx->built_opts != (s->ip_opts_len != 0)))
		reset_pblocks(tx);
	if (build_payload(tx, s, &pl_len, err, errlen) < 0)
		return -1;
	if (build_l4(tx, s, pl_len, &proto, &l4_len, err, errlen) < 0)
		return -1;
	if (tx->family == AF_INET)
		rc = build_ip4(tx, s, &src, proto, l4_len, err, errlen);
	else
		rc = build_ip6(tx, s, &src, proto, l4_len, err, errlen);
	if (rc < 0)
		return -1;
	if (tx->mode == HDP_TX_LINK && build_eth(tx, s, err, errlen) < 0)
		return -1;
	tx->built = 1;
	tx->built_l4 = s->l4;
	tx->built_opts = s->ip_opts_len != 0;

	if (flatten_frame(tx, err, errlen) < 0)
		return -1;
	finish_frame(tx, s);
	set_destination(tx, s);
	tx->fl_ready = 0;	/* so are the flood's */
	return 0;
}

/* ---- writing ---------------------------------------------------------- */

static void
fill_err(struct hdp_tx_result *r, int e)
{
	r->ok = 0;
	r->err = e;
	snprintf(r->error, sizeof(r->error), "%s", strerror(e));
}

/*
 * Start a result: cleared, the datagram length, the time now.  -1 (and r
 * says why) when no frame has been built yet.
 */
static int
result_begin(struct hdp_tx *tx, struct hdp_tx_result *r)
{
	r->ok = 0;
	r->err = 0;
	r->error[0] = '\0';
	r->bytes = tx->ip_len;
	r->hdp_ts_ns = 0;
	r->time_ns = hdp_now_ns();
	if (!tx->built) {
		fill_err(r, EINVAL);
		snprintf(r->error, sizeof(r->error), "no frame built");
		return -1;
	}
	return 0;
}

/* Stamp the frame with r->time_ns when its timestamp is not pinned. */
static void
stamp_frame(struct hdp_tx *tx, struct hdp_tx_result *r)
{
	if (tx->ts_off == 0)
		return;
	if (tx->stamp) {
		patch_ts(tx->frame, tx->ts_off, tx->udp_csum_off, r->time_ns);
		tx->ts_ns = r->time_ns;
	}
	r->hdp_ts_ns = tx->ts_ns;
}

int
hdp_tx_stamp(struct hdp_tx *tx, uint64_t ts_ns)
{
	if (!tx->built || tx->ts_off == 0)
		return -1;
	patch_ts(tx->frame, tx->ts_off, tx->udp_csum_off, ts_ns);
	tx->ts_ns = ts_ns;
	return 0;
}

int
hdp_tx_write(struct hdp_tx *tx, struct hdp_tx_result *r)
{
	ssize_t c;

	if (result_begin(tx, r) < 0)
		return -1;
	stamp_frame(tx, r);
	if (tx->mode == HDP_TX_NONE) {
		r->ok = 1;
		return 0;
	}
	c = sendto(tx->fd, tx->frame, tx->frame_len, 0,
		   (struct sockaddr *)&tx->to, tx->tolen);
	if (c < 0) {
		fill_err(r, errno);
		return -1;
	}
	if ((size_t)c != tx->frame_len) {
		r->ok = 0;
		r->err = EIO;
		snprintf(r->error, sizeof(r->error), "short write: %zd of %zu "
			 "bytes", c, tx->frame_len);
		return -1;
	}
	r->ok = 1;
	return 0;
}

int
hdp_tx_queue(struct hdp_tx *tx, struct hdp_tx_result *r)
{
	size_t off;

	if (result_begin(tx, r) < 0)
		return -1;
	if (tx->q_n >= HDP_TX_BURST) {
		fill_err(r, ENOSPC);
		snprintf(r->error, sizeof(r->error), "queue full");
		return -1;
	}
	off = tx->qbuf_len;
	if (grow(&tx->qbuf, &tx->qbuf_cap, off + tx->frame_len) < 0) {
		fill_err(r, ENOMEM);
		return -1;
	}
	stamp_frame(tx, r);
	memcpy(tx->qbuf + off, tx->frame, tx->frame_len);
	tx->q_off[tx->q_n] = off;
	tx->q_len[tx->q_n] = tx->frame_len;
	tx->q_to[tx->q_n] = tx->to;
	tx->q_tolen[tx->q_n] = tx->tolen;
	tx->qbuf_len = off + tx->frame_len;
	r->ok = 1;
	return (int)++tx->q_n;
}

int
hdp_tx_flush(struct hdp_tx *tx, int *errs)
{
	unsigned i, n = tx->q_n, start = 0, tries = 0;
	int c;

	for (i = 0; i < n; i++) {
		errs[i] = 0;
		tx->iovs[i].iov_base = tx->qbuf + tx->q_off[i];
		tx->iovs[i].iov_len = tx->q_len[i];
		memset(&tx->msgs[i], 0, sizeof(tx->msgs[i]));
		tx->msgs[i].msg_hdr.msg_name = &tx->q_to[i];
		tx->msgs[i].msg_hdr.msg_namelen = tx->q_tolen[i];
		tx->msgs[i].msg_hdr.msg_iov = &tx->iovs[i];
		tx->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (start < n && tx->mode != HDP_TX_NONE) {
		c = sendmmsg(tx->fd, tx->msgs + start, n - start, 0);
		if (c > 0) {
			start += (unsigned)c;
			tries = 0;
			continue;
		}
		if (c < 0 && errno == ENOBUFS && tries++ < 64) {
			sched_yield();
			continue;
		}
		errs[start++] = c < 0 ? errno : EIO;
		tries = 0;
	}
	tx->q_n = 0;
	tx->qbuf_len = 0;
	return (int)n;
}

/* One fragmenting: libnet's context of its own, the ptags it reuses. */
struct frag_job {
	libnet_t      *l;
	libnet_ptag_t  tf, ti, te;
	const uint8_t *ip;	/* the datagram being cut                   */
	size_t         hl;	/* its IP header length                      */
	uint32_t       id;	/* the identification every fragment shares  */
};

/*
 * How many bytes of the datagram's payload go into each fragment (a
 * multiple of 8) for mtu: *per, and 0.  -1 with r filled in when mtu
 * leaves no room, or IPv4 DF forbids fragmenting.
 */
static int
frag_plan(struct hdp_tx *tx, unsigned mtu, const uint8_t *ip, size_t hl,
	  size_t *per, struct hdp_tx_result *r)
{
	if (tx->family == AF_INET)
		*per = mtu > hl + 8 ? (mtu - hl) & ~(size_t)7 : 0;
	else
		*per = mtu > hl + FRAG6_HDR_LEN + 8 ?
		       (mtu - hl - FRAG6_HDR_LEN) & ~(size_t)7 : 0;
	if (*per == 0) {
		fill_err(r, EMSGSIZE);
		snprintf(r->error, sizeof(r->error), "MTU %u is too small to "
			 "fragment into", mtu);
		return -1;
	}
	if (tx->family == AF_INET && (ip[6] & 0x40)) {
		fill_err(r, EMSGSIZE);
		snprintf(r->error, sizeof(r->error), "DF is set: not "
			 "fragmenting");
		return -1;
	}
	return 0;
}

/*
 * The options of a fragment after the first: those without the copied
 * flag (RFC 791: record route, timestamp...) become NOPs, as Linux's
 * ip_options_fragment() does, so every fragment keeps the header length
 * the first one has (and the offsets computed with it).
 */
static void
frag_opts_later(uint8_t *o, size_t n)
{
	size_t i = 0, ol;

	while (i < n) {
		if (o[i] == 0)		/* end of options list */
			return;
		if (o[i] == 1) {	/* NOP */
			i++;
			continue;
		}
		if (n - i < 2 || o[i + 1] < 2 || o[i + 1] > n - i)
			return;
		ol = o[i + 1];
		if (!(o[i] & 0x80))
			memset(o + i, 1, ol);
		i += ol;
	}
}

/*
 * An IPv4 fragment of a datagram with options: built afresh each time
 * (a data block, the options, the header, as hdp_tx_build() does), since
 * the header's payload argument would put the options after the data.
 */
static void
frag_build_ip4_opts(struct frag_job *j, size_t off, size_t len, int more)
{
	const uint8_t *ip = j->ip;
	uint8_t opts[40];
	size_t ol = j->hl - IP4_HDR_LEN;
	uint32_t src, dst;

	memcpy(opts, ip + IP4_HDR_LEN, ol);
	if (off != 0)
		frag_opts_later(opts, ol);
	memcpy(&src, ip + 12, 4);
	memcpy(&dst, ip + 16, 4);
	libnet_clear_packet(j->l);
	j->te = 0;
	j->ti = -1;
	if (libnet_build_data(ip + j->hl + off, (uint32_t)len, j->l, 0) == -1 ||
	    libnet_build_ipv4_options(opts, (uint32_t)ol, j->l, 0) == -1)
		return;
	j->ti = libnet_build_ipv4((uint16_t)(j->hl + len), ip[1],
				  (uint16_t)j->id,
				  (uint16_t)((more ? IP_MF : 0) | (off / 8)),
				  ip[8], ip[9], 0, src, dst, NULL, 0, j->l, 0);
}

/*
 * The pblocks of the fragment holding len payload bytes from off: IPv4,
 * the header with MF and the offset; IPv6, a fragment header under the
 * fixed one; link mode, the Ethernet header too.  -1 with r filled in.
 */
static int
frag_build(struct hdp_tx *tx, struct frag_job *j, size_t off, size_t len,
	   int more, struct hdp_tx_result *r)
{
	const uint8_t *ip = j->ip;

	if (tx->family == AF_INET && j->hl > IP4_HDR_LEN) {
		frag_build_ip4_opts(j, off, len, more);
	} else if (tx->family == AF_INET) {
		uint32_t src, dst;

		memcpy(&src, ip + 12, 4);
		memcpy(&dst, ip + 16, 4);
		j->ti = libnet_build_ipv4((uint16_t)(j->hl + len), ip[1],
					  (uint16_t)j->id,
					  (uint16_t)((more ? IP_MF : 0) |
						     (off / 8)),
					  ip[8], ip[9], 0, src, dst,
					  ip + j->hl + off, (uint32_t)len,
					  j->l, j->ti);
	} else {
		struct libnet_in6_addr a6s, a6d;

		j->tf = libnet_build_ipv6_frag(ip[6], 0,
					       htons((uint16_t)(off | more)),
					       htonl(j->id), ip + j->hl + off,
					       (uint32_t)len, j->l, j->tf);
		memcpy(&a6s, ip + 8, 16);
		memcpy(&a6d, ip + 24, 16);
		if (j->tf != -1)
			j->ti = libnet_build_ipv6((uint8_t)((ip[0] << 4) |
							   (ip[1] >> 4)), 0,
						  (uint16_t)(FRAG6_HDR_LEN
							     + len),
						  44, ip[7], a6s, a6d,
						  NULL, 0, j->l, j->ti);
		if (j->tf != -1 && j->ti != -1) {
			libnet_pblock_t *p = libnet_pblock_find(j->l, j->ti);

			if (p != NULL)	/* see fix_ip6_word() */
				memcpy(p->buf, ip, 4);
		}
	}
	if (j->ti == -1 || j->tf == -1) {
		r->ok = 0;
		r->err = EINVAL;
		snprintf(r->error, sizeof(r->error), "%s",
			 libnet_geterror(j->l));
		return -1;
	}
	if (tx->mode == HDP_TX_LINK)
		j->te = libnet_build_ethernet(tx->dmac, tx->frame + 6,
					      tx->family == AF_INET ?
					      0x0800 : 0x86dd, NULL, 0,
					      j->l, j->te);
	return 0;
}

/*
 * Flatten the fragment built, put its IPv4 header checksum in, write it
 * (unless build-only) and show it to cb.  -1 with r filled in.
 */
static int
frag_send(struct hdp_tx *tx, struct frag_job *j,
	  void (*cb)(void *, const uint8_t *, size_t, uint64_t), void *arg,
	  struct hdp_tx_result *r)
{
	uint8_t *pkt;
	uint32_t plen;
	ssize_t c;

	if (libnet_pblock_coalesce(j->l, &pkt, &plen) < 0) {
		r->err = EINVAL;
		snprintf(r->error, sizeof(r->error), "%s",
			 libnet_geterror(j->l));
		return -1;
	}
	if (tx->family == AF_INET && tx->mode != HDP_TX_LINK) {
		pkt[10] = pkt[11] = 0;
		put_be16(pkt + 10, hdp_inet_csum(pkt, j->hl));
	} else if (tx->family == AF_INET) {
		pkt[ETH_HDR_LEN + 10] = pkt[ETH_HDR_LEN + 11] = 0;
		put_be16(pkt + ETH_HDR_LEN + 10,
			 hdp_inet_csum(pkt + ETH_HDR_LEN, j->hl));
	}
	c = 0;
	if (tx->mode != HDP_TX_NONE)
		c = sendto(tx->fd, pkt, plen, 0,
			   (struct sockaddr *)&tx->to, tx->tolen);
	if (cb != NULL && c >= 0)
		cb(arg, pkt, plen, hdp_now_ns());
	free(pkt - j->l->aligner);
	if (c < 0) {
		fill_err(r, errno);
		return -1;
	}
	return 0;
}

/*
 * Write the frame last built as fragments of at most mtu bytes of IP each,
 * every one built by libnet in a context of its own (IPv4: the header with
 * MF and the offset; IPv6: a fragment header with one identification).
 * cb (if set) sees each fragment as written.
 */
int
hdp_tx_write_frags(struct hdp_tx *tx, unsigned mtu,
		   void (*cb)(void *, const uint8_t *, size_t, uint64_t),
		   void *arg, struct hdp_tx_result *r)
{
	char eb[LIBNET_ERRBUF_SIZE];
	struct frag_job j;
	size_t data_len, per, off;
	unsigned nfrag = 0;
	int rc = -1;

	if (result_begin(tx, r) < 0)
		return -1;
	stamp_frame(tx, r);
	memset(&j, 0, sizeof(j));
	j.ip = tx->frame + tx->ip_off;
	j.hl = tx->family == AF_INET ? (size_t)(j.ip[0] & 0x0f) * 4 :
	       IP6_HDR_LEN;
	data_len = tx->ip_len - j.hl;
	if (frag_plan(tx, mtu, j.ip, j.hl, &per, r) < 0)
		return -1;
	j.l = libnet_init(LIBNET_NONE, NULL, eb);
	if (j.l == NULL) {
		fill_err(r, ENOMEM);
		return -1;
	}
	j.id = tx->family == AF_INET ? get_be16(j.ip + 4) : ++tx->frag_id;
	if (tx->family == AF_INET && j.id == 0)
		j.id = (uint16_t)++tx->frag_id;
	for (off = 0; off < data_len; off += per) {
		size_t len = data_len - off < per ? data_len - off : per;
		int more = off + len < data_len;

		if (frag_build(tx, &j, off, len, more, r) < 0 ||
		    frag_send(tx, &j, cb, arg, r) < 0)
			goto out;
		nfrag++;
	}
	r->ok = 1;
	rc = (int)nfrag;
out:
	libnet_destroy(j.l);
	return rc;
}

/* ---- flooding: one frame, many times (hdp_tx_flood) ---------------------- */

/*
 * Two ways to hand the kernel many copies of one frame, chosen by
 * hdp_tx_set_method(): sendmmsg() of method.batch copies (link or raw
 * sockets), or, at the link layer, a PACKET_TX_RING of our own: the
 * copies sit in memory the kernel maps, one send() takes a batch of them,
 * with no message headers to copy in.  Each copy is libnet's frame as
 * built; only its HDP timestamp (and the UDP checksum, RFC 1624) changes
 * per copy.  The ring is a socket of its own: on a socket with a TX ring
 * every send goes through the ring, libnet's writes included.
 */

static void
flood_free(struct hdp_tx *tx)
{
	if (tx->ring != NULL)
		munmap(tx->ring, tx->ring_len);
	if (tx->ring_fd >= 0)
		close(tx->ring_fd);
	tx->ring = NULL;
	tx->ring_fd = -1;
	free(tx->fl_buf);
	free(tx->fl_msgs);
	free(tx->fl_iovs);
	tx->fl_buf = NULL;
	tx->fl_msgs = NULL;
	tx->fl_iovs = NULL;
	tx->fl_ready = 0;
}

/* A slot is ours again once the kernel has cleared its request bits
 * (it may leave timestamp bits, TP_STATUS_TS_*, set). */
static int
ring_free(struct tpacket2_hdr *h)
{
	return (__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) &
		(TP_STATUS_SEND_REQUEST | TP_STATUS_SENDING |
		 TP_STATUS_WRONG_FORMAT)) == 0;
}

/* The ring's frame slot i (frames never straddle blocks). */
static struct tpacket2_hdr *
ring_slot(const struct hdp_tx *tx, unsigned i)
{
	return (struct tpacket2_hdr *)(void *)(tx->ring +
		(size_t)(i / tx->ring_fpb) * tx->ring_bsz +
		(size_t)(i % tx->ring_fpb) * tx->ring_fsz);
}

/* Where a slot's bytes start (TPACKET_V2, no tp_mac offset), and its
 * frame's, after the virtio_net_hdr when there is one. */
#define RING_DATA_OFF TPACKET_ALIGN(sizeof(struct tpacket2_hdr))
#define RING_FRAME(tx, h) ((uint8_t *)(h) + RING_DATA_OFF + (tx)->ring_vnet)

/*
 * With PACKET_VNET_HDR each frame starts with a struct virtio_net_hdr
 * whose hdr_len tells the kernel how much of the frame to copy into the
 * socket buffer: all of it here.  Without, the kernel copies only the
 * link header and hangs the rest off the ring's pages (zero copy), and
 * a veth, handing the frame to another namespace, must then copy it
 * anyway (skb_copy_ubufs: page allocations, 13% of a ring sender's
 * profile, which made a ring slower than sendmmsg).
 */
static void
ring_vnet_hdr(uint8_t *p, size_t frame_len)
{
	memset(p, 0, sizeof(struct virtio_net_hdr));
	/* virtio's little-endian hdr_len (offset 2); no GSO, no checksum */
	p[2] = (uint8_t)(frame_len & 0xff);
	p[3] = (uint8_t)(frame_len >> 8);
}

/*
 * A TPACKET_V2 TX ring for frames of up to max_len bytes, at least nr
 * frames: slots of the frame's size rounded to 16, blocks of 64 KiB (or
 * one slot when larger).  Lost-frame mode: a frame the kernel refuses is
 * skipped, never retried forever.
 */
static int
ring_open(struct hdp_tx *tx, size_t max_len, unsigned nr, char *err,
	  size_t errlen)
{
	struct tpacket_req req;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	int v = TPACKET_V2, one = 1;

	tx->ring_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (tx->ring_fd < 0)
		goto fail;
	tx->ring_vnet = 0;
	if (setsockopt(tx->ring_fd, SOL_PACKET, PACKET_VNET_HDR, &one,
		       sizeof(one)) == 0)
		tx->ring_vnet = sizeof(struct virtio_net_hdr);
	tx->ring_fsz = TPACKET_ALIGN(RING_DATA_OFF + tx->ring_vnet + max_len);
	tx->ring_bsz = 65536;
	if (tx->ring_bsz < tx->ring_fsz)
		tx->ring_bsz = (tx->ring_fsz + page - 1) / page * page;
	tx->ring_fpb = (unsigned)(tx->ring_bsz / tx->ring_fsz);
	memset(&req, 0, sizeof(req));
	req.tp_block_size = (unsigned)tx->ring_bsz;
	req.tp_frame_size = (unsigned)tx->ring_fsz;
	req.tp_block_nr = (nr + tx->ring_fpb - 1) / tx->ring_fpb;
	req.tp_frame_nr = req.tp_block_nr * tx->ring_fpb;
	tx->ring_nr = req.tp_frame_nr;
	if (setsockopt(tx->ring_fd, SOL_PACKET, PACKET_VERSION, &v,
		       sizeof(v)) < 0 ||
	    setsockopt(tx->ring_fd, SOL_PACKET, PACKET_LOSS, &one,
		       sizeof(one)) < 0 ||
	    setsockopt(tx->ring_fd, SOL_PACKET, PACKET_TX_RING, &req,
		       sizeof(req)) < 0)
		goto fail;
	tx->ring_len = tx->ring_bsz * req.tp_block_nr;
	tx->ring = mmap(NULL, tx->ring_len, PROT_READ | PROT_WRITE,
			MAP_SHARED, tx->ring_fd, 0);
	if (tx->ring == MAP_FAILED) {
		tx->ring = NULL;
		goto fail;
	}
	tx->ring_head = 0;
	return 0;
fail:
	snprintf(err, errlen, "%s: PACKET_TX_RING: %s", tx->ifname,
		 strerror(errno));
	return -1;
}

int
hdp_tx_set_method(struct hdp_tx *tx, const struct hdp_tx_method *m,
		  char *err, size_t errlen)
{
	unsigned mtu;
	int one = 1, fd;

	flood_free(tx);
	tx->method = *m;
	/*
	 * The kernel skips a ring frame it refuses (lost-frame mode) without
	 * saying why; sendmmsg() says why for each call.  A frame above the
	 * interface's MTU (--mtu can ask for one) goes by sendmmsg().
	 */
	if (m->ring && (!tx->built || dev_mtu(tx->ifname, &mtu) < 0 ||
			tx->frame_len > (size_t)mtu + ETH_HDR_LEN))
		tx->method.ring = 0;
	if (tx->method.batch == 0)
		tx->method.batch = HDP_TX_FLOOD_BATCH;
	if (tx->method.batch > HDP_TX_FLOOD_MAX)
		tx->method.batch = HDP_TX_FLOOD_MAX;
	if ((m->ring || m->qdisc_bypass) && tx->mode != HDP_TX_LINK) {
		snprintf(err, errlen, "a TX ring and qdisc bypass are for "
			 "link-layer sends (-I) only");
		errno = EINVAL;
		return -1;
	}
	/* the ring holds two batches: one the kernel sends, one we fill;
	 * a kernel that refuses one leaves sendmmsg(), which always works */
	if (tx->method.ring && ring_open(tx, tx->frame_len,
					 2 * tx->method.batch, err,
					 errlen) < 0) {
		flood_free(tx);
		tx->method.ring = 0;
	}
	fd = tx->method.ring ? tx->ring_fd : tx->fd;
	if (m->qdisc_bypass && setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS,
					  &one, sizeof(one)) < 0) {
		snprintf(err, errlen, "%s: PACKET_QDISC_BYPASS: %s",
			 tx->ifname, strerror(errno));
		flood_free(tx);
		return -1;
	}
	return 0;
}

/* The batch copies of the frame for sendmmsg(), or the ring's slots. */
static int
flood_prepare(struct hdp_tx *tx)
{
	unsigned i, b = tx->method.batch ? tx->method.batch :
			HDP_TX_FLOOD_BATCH;

	if (tx->fl_ready)
		return 0;
	tx->method.batch = b;
	if (tx->ring != NULL) {
		if (RING_DATA_OFF + tx->ring_vnet + tx->frame_len >
		    tx->ring_fsz)
			return -1;	/* rebuilt larger than the slots */
		for (i = 0; i < tx->ring_nr; i++) {
			uint8_t *f = RING_FRAME(tx, ring_slot(tx, i));

			if (tx->ring_vnet)
				ring_vnet_hdr(f - tx->ring_vnet,
					      tx->frame_len);
			memcpy(f, tx->frame, tx->frame_len);
		}
		tx->fl_ready = 1;
		return 0;
	}
	free(tx->fl_buf);
	tx->fl_stride = (tx->frame_len + 63) & ~(size_t)63;
	tx->fl_buf = malloc(tx->fl_stride * b);
	if (tx->fl_msgs == NULL)
		tx->fl_msgs = calloc(HDP_TX_FLOOD_MAX, sizeof(*tx->fl_msgs));
	if (tx->fl_iovs == NULL)
		tx->fl_iovs = calloc(HDP_TX_FLOOD_MAX, sizeof(*tx->fl_iovs));
	if (tx->fl_buf == NULL || tx->fl_msgs == NULL || tx->fl_iovs == NULL)
		return -1;
	for (i = 0; i < b; i++) {
		memcpy(tx->fl_buf + i * tx->fl_stride, tx->frame,
		       tx->frame_len);
		tx->fl_iovs[i].iov_base = tx->fl_buf + i * tx->fl_stride;
		tx->fl_iovs[i].iov_len = tx->frame_len;
		memset(&tx->fl_msgs[i], 0, sizeof(tx->fl_msgs[i]));
		tx->fl_msgs[i].msg_hdr.msg_name = &tx->to;
		tx->fl_msgs[i].msg_hdr.msg_namelen = tx->tolen;
		tx->fl_msgs[i].msg_hdr.msg_iov = &tx->fl_iovs[i];
		tx->fl_msgs[i].msg_hdr.msg_iovlen = 1;
	}
	tx->fl_ready = 1;
	return 0;
}

/* Stamp and mark for sending up to n free slots from the head; how many
 * (a slot still in flight, TP_STATUS_SENDING, ends the run). */
static unsigned
ring_fill(struct hdp_tx *tx, unsigned n, uint64_t t)
{
	struct tpacket2_hdr *h;
	unsigned k;

	for (k = 0; k < n; k++) {
		h = ring_slot(tx, (tx->ring_head + k) % tx->ring_nr);
		if (!ring_free(h))
			break;
		if (tx->stamp && tx->ts_off)
			patch_ts(RING_FRAME(tx, h), tx->ts_off,
				 tx->udp_csum_off, t + k);
		h->tp_len = (uint32_t)(tx->ring_vnet + tx->frame_len);
		__atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST,
				 __ATOMIC_RELEASE);
	}
	return k;
}

/* Slot head + i is still marked for sending (not taken). */
static int
ring_marked(const struct hdp_tx *tx, unsigned i)
{
	return (__atomic_load_n(&ring_slot(tx, (tx->ring_head + i) %
					   tx->ring_nr)->tp_status,
				__ATOMIC_ACQUIRE) & TP_STATUS_SEND_REQUEST) != 0;
}

/*
 * How many of the k slots marked the kernel took, after send() returned
 * c (errno e).  It takes them in order from its own head, which ours
 * must follow exactly: a slot our head passes that its head has not
 * would never be sent again, and every later send() would stop there.
 *  - c >= 0: c bytes, frame_len each (no frame is skipped: none is
 *    above the MTU, hdp_tx_set_method sees to that);
 *  - EINTR, EAGAIN (a signal: Ctrl-C): either while it waited for the
 *    last frames to leave, every one taken then (none still marked),
 *    or while it waited for the first frame's buffer, which it set
 *    back to available without taking it, nor any other (the rest
 *    still marked);
 *  - any other error (ENOBUFS: the qdisc dropped one): the frames
 *    before the one that failed left or are in flight (SENDING); that
 *    one and the rest are still marked.
 */
static unsigned
ring_taken(const struct hdp_tx *tx, unsigned k, ssize_t c, int e)
{
	unsigned i;

	if (c >= 0)
		return (size_t)c / tx->frame_len < k ?
		       (unsigned)((size_t)c / tx->frame_len) : k;
	for (i = 0; i < k; i++)
		if (ring_marked(tx, i))
			break;
	if ((e == EINTR || e == EAGAIN) && i < k)
		return 0;
	return i;
}

/*
 * n copies through the ring: stamp free slots in turn and mark them for
 * sending, then one blocking send() has the kernel send them all (it
 * returns when they have left, or at the first error).  Counted: what
 * the kernel took; the slots it did not take are unmarked (it is not
 * walking the ring now: send() has returned, and the ring is this
 * thread's alone), to be stamped and marked again by the next call, so
 * nothing is ever sent that was not counted.
 */
static int
flood_ring(struct hdp_tx *tx, unsigned n, struct hdp_tx_result *r)
{
	unsigned i, k, got;
	ssize_t c;
	int e;

	k = ring_fill(tx, n, r->time_ns);
	if (k == 0) {
		/* every slot still in flight (a slow qdisc): an empty
		 * send() waits for them */
		(void)sendto(tx->ring_fd, NULL, 0, 0,
			     (struct sockaddr *)&tx->to, tx->tolen);
		k = ring_fill(tx, n, r->time_ns);
	}
	if (k == 0) {
		fill_err(r, ENOBUFS);
		return -1;
	}
	c = sendto(tx->ring_fd, NULL, 0, 0, (struct sockaddr *)&tx->to,
		   tx->tolen);
	e = errno;
	got = ring_taken(tx, k, c, e);
	for (i = got; i < k; i++)
		if (ring_marked(tx, i))
			__atomic_store_n(&ring_slot(tx, (tx->ring_head + i) %
						    tx->ring_nr)->tp_status,
					 TP_STATUS_AVAILABLE, __ATOMIC_RELEASE);
	tx->ring_head = (tx->ring_head + got) % tx->ring_nr;
	if (got == 0) {
		fill_err(r, c < 0 ? e : EIO);
		return -1;
	}
	r->ok = 1;
	return (int)got;
}

int
hdp_tx_flood(struct hdp_tx *tx, unsigned n, struct hdp_tx_result *r)
{
	unsigned i;
	int c;

	if (result_begin(tx, r) < 0)
		return -1;
	if (flood_prepare(tx) < 0) {
		fill_err(r, ENOMEM);
		return -1;
	}
	if (n > tx->method.batch)
		n = tx->method.batch;
	r->hdp_ts_ns = tx->ts_off ? (tx->stamp ? r->time_ns : tx->ts_ns) : 0;
	if (tx->mode == HDP_TX_NONE) {
		r->ok = 1;
		return (int)n;
	}
	if (tx->ring != NULL)
		return flood_ring(tx, n, r);
	if (tx->stamp && tx->ts_off)
		for (i = 0; i < n; i++)
			patch_ts(tx->fl_buf + i * tx->fl_stride, tx->ts_off,
				 tx->udp_csum_off, r->time_ns + i);
	c = sendmmsg(tx->fd, tx->fl_msgs, n, 0);
	if (c < 0) {
		fill_err(r, errno);
		return -1;
	}
	r->ok = 1;
	return c;
}

int
hdp_tx_frame(struct hdp_tx *tx, const uint8_t **frame, size_t *len, int *dlt)
{
	if (!tx->built)
		return -1;
	*frame = tx->frame;
	*len = tx->frame_len;
	*dlt = tx->mode == HDP_TX_LINK ? DLT_EN10MB : DLT_RAW;
	return 0;
}

int
hdp_tx_fd(struct hdp_tx *tx)
{
	return tx->fd;
}

void
hdp_tx_close(struct hdp_tx *tx)
{
	if (tx == NULL)
		return;
	if (tx->l != NULL)
		libnet_destroy(tx->l);
	free(tx->frame);
	free(tx->pl);
	free(tx->qbuf);
	free(tx->frag);
	flood_free(tx);
	free(tx);
}

/* ---- addresses ---------------------------------------------------------- */

/* A v4 address was found; refuse it when IPv6 was asked for. */
static int
resolved_v4(const char *host, int family, int *out_family, char *err,
	    size_t errlen)
{
	if (family == AF_INET6) {
		snprintf(err, errlen, "%s is an IPv4 address, but IPv6 was "
			 "asked for (-6)", host);
		return -1;
	}
	*out_family = AF_INET;
	return 0;
}

/* The interface index of "%IFACE" (a name, or a number); 0: none. */
static unsigned
scope_index(const char *name)
{
	unsigned idx = if_nametoindex(name);
	unsigned long v;
	char *end;

	if (idx == 0) {
		v = strtoul(name, &end, 10);
		if (*end == '\0' && end != name && v <= UINT_MAX)
			idx = (unsigned)v;
	}
	return idx;
}

/* HOST as an IPv6 literal with an optional %scope: 0 done, -1 error
 * (said), 1 not an IPv6 literal. */
static int
resolve_v6_literal(const char *host, const char *pct, int family,
		   int *out_family, union hdp_addr *out, unsigned *scope,
		   char *err, size_t errlen)
{
	char buf[256];
	unsigned idx;

	if (strlen(host) >= sizeof(buf))
		return 1;
	snprintf(buf, sizeof(buf), "%.*s",
		 (int)(pct ? (size_t)(pct - host) : strlen(host)), host);
	if (inet_pton(AF_INET6, buf, &out->v6) != 1)
		return 1;
	if (family == AF_INET) {
		snprintf(err, errlen, "%s is an IPv6 address, but IPv4 was "
			 "asked for (-4)", host);
		return -1;
	}
	if (pct != NULL) {
		idx = scope_index(pct + 1);
		if (idx == 0) {
			snprintf(err, errlen, "%s: no such interface '%s'",
				 host, pct + 1);
			errno = ENODEV;	/* not bad input */
			return -1;
		}
		if (scope != NULL)
			*scope = idx;
	}
	*out_family = AF_INET6;
	return 0;
}

/* A host name, through getaddrinfo(3): its first IPv4 or IPv6 address. */
static int
resolve_name(const char *host, int family, int *out_family,
	     union hdp_addr *out, unsigned *scope, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_DGRAM;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET) {
			out->v4 = ((struct sockaddr_in *)ai->ai_addr)->sin_addr;
			*out_family = AF_INET;
			break;
		}
		if (ai->ai_family == AF_INET6) {
			const struct sockaddr_in6 *s6 = (void *)ai->ai_addr;

			out->v6 = s6->sin6_addr;
			if (scope != NULL)
				*scope = s6->sin6_scope_id;
			*out_family = AF_INET6;
			break;
		}
	}
	freeaddrinfo(res);
	if (ai == NULL) {
		snprintf(err, errlen, "%s: no IPv4 or IPv6 address", host);
		return -1;
	}
	return 0;
}

int
hdp_resolve(const char *host, int family, int *out_family,
	    union hdp_addr *out, unsigned *scope, char *err, size_t errlen)
{
	const char *pct;
	int rc;

	if (scope != NULL)
		*scope = 0;
	if (host == NULL || *host == '\0') {
		snprintf(err, errlen, "empty destination");
		return -1;
	}
	if (inet_pton(AF_INET, host, &out->v4) == 1)
		return resolved_v4(host, family, out_family, err, errlen);
	pct = strchr(host, '%');
	rc = resolve_v6_literal(host, pct, family, out_family, out, scope,
				err, errlen);
	if (rc <= 0)
		return rc;
	/*
	 * Digits and dots only: an IPv4 address in one of the forms
	 * inet_aton(3) reads (198.51.100 is 198.51.0.100, as ping reads it),
	 * or no address at all (999.1.1.1).  Never a name to ask DNS about.
	 */
	if (host[strspn(host, "0123456789.")] == '\0') {
		if (inet_aton(host, &out->v4) == 0) {
			snprintf(err, errlen, "%s: not a valid IPv4 address",
				 host);
			return -1;
		}
		return resolved_v4(host, family, out_family, err, errlen);
	}
	/* no host name holds a '%': never ask DNS about one */
	if (pct != NULL) {
		snprintf(err, errlen, "%s: a scope (%%IFACE) goes only with an "
			 "IPv6 address", host);
		return -1;
	}
	return resolve_name(host, family, out_family, out, scope, err,
			    errlen);
}

int
hdp_route_src(int family, const union hdp_addr *dst, union hdp_addr *src,
	      char *err, size_t errlen)
{
	return route_src_scoped(family, dst, 0, src, err, errlen);
}

/* hdp_route_src() for a link-local destination on interface scope. */
static int
route_src_scoped(int family, const union hdp_addr *dst, unsigned scope,
		 union hdp_addr *src, char *err, size_t errlen)
{
	struct sockaddr_storage ss, me;
	socklen_t sl, ml = sizeof(me);
	char a[INET6_ADDRSTRLEN];
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (void *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(9);
		s4->sin_addr = dst->v4;
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (void *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(9);
		s6->sin6_addr = dst->v6;
		s6->sin6_scope_id = scope;
		sl = sizeof(*s6);
	}
	inet_ntop(family, dst, a, sizeof(a));
	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 ||
	    getsockname(fd, (struct sockaddr *)&me, &ml) < 0) {
		snprintf(err, errlen, "no route to %s: %s", a, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	if (family == AF_INET)
		src->v4 = ((struct sockaddr_in *)&me)->sin_addr;
	else
		src->v6 = ((struct sockaddr_in6 *)&me)->sin6_addr;
	return 0;
}
