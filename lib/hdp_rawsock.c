/*
 * hdp_rawsock.c: raw sockets per protocol number (see hdp_rawsock.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>

#include "hdp_rawsock.h"

int
hdp_rawsock_open(int family, unsigned proto, char *err, size_t errlen)
{
	int fd, on = 1, e;

	if (proto > 255) {
		errno = EINVAL;
		snprintf(err, errlen, "protocol %u: not 0-255", proto);
		return -1;
	}
	fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    (int)proto);
	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "socket(%s, SOCK_RAW, %u): %s",
			 family == AF_INET6 ? "AF_INET6" : "AF_INET", proto,
			 strerror(e));
		errno = e;
		return -1;
	}
	/* kernel timestamps; without them we stamp after the read */
	(void)setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
	return fd;
}

int
hdp_sock_drop_rx(int fd)
{
	struct sock_filter drop = BPF_STMT(BPF_RET | BPF_K, 0);
	struct sock_fprog prog = { 1, &drop };
	char junk[64];

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
		       sizeof(prog)) < 0)
		return -1;
	while (recv(fd, junk, sizeof(junk), MSG_DONTWAIT) > 0)
		;
	return 0;
}

int
hdp_rawsock_drops(int fd, uint32_t *drops)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	memset(mem, 0, sizeof(mem));
	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) != 0)
		return -1;
	if (len < (SK_MEMINFO_DROPS + 1) * sizeof(mem[0])) {
		errno = EOPNOTSUPP;
		return -1;
	}
	*drops = mem[SK_MEMINFO_DROPS];
	return 0;
}

/* One control message: the kernel's receive time, and (when the socket
 * asked: IP_PKTINFO, IPV6_RECVPKTINFO) the arrival interface and, for
 * IPv6, the destination address the header had. */
static void
rawsock_cmsg(const struct cmsghdr *c, struct hdp_rawmsg *m)
{
	struct in6_pktinfo p6;
	struct in_pktinfo p4;
	struct timespec ts;

	if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
	    c->cmsg_len >= CMSG_LEN(sizeof(ts))) {
		memcpy(&ts, CMSG_DATA(c), sizeof(ts));
		m->time_ns = (uint64_t)ts.tv_sec * 1000000000ULL +
			     (uint64_t)ts.tv_nsec;
	} else if (c->cmsg_level == IPPROTO_IPV6 &&
		   c->cmsg_type == IPV6_PKTINFO &&
		   c->cmsg_len >= CMSG_LEN(sizeof(p6))) {
		memcpy(&p6, CMSG_DATA(c), sizeof(p6));
		m->dst.v6 = p6.ipi6_addr;
		m->ifindex = p6.ipi6_ifindex;
	} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
		   c->cmsg_len >= CMSG_LEN(sizeof(p4))) {
		memcpy(&p4, CMSG_DATA(c), sizeof(p4));
		m->ifindex = (unsigned)p4.ipi_ifindex;
	}
}

int
hdp_rawsock_recv(int fd, int family, unsigned proto, uint8_t *buf,
		 size_t buflen, struct hdp_rawmsg *m)
{
	struct sockaddr_storage ss;
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(struct timespec)) +
			    CMSG_SPACE(sizeof(struct in6_pktinfo)) +
			    CMSG_SPACE(sizeof(struct in_pktinfo))];
	} cbuf;
	struct iovec iov = { .iov_base = buf, .iov_len = buflen };
	struct msghdr msg;
	struct cmsghdr *c;
	struct hdp_frame f;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	memset(&ss, 0, sizeof(ss));	/* read below whatever namelen says */
	msg.msg_name = &ss;
	msg.msg_namelen = sizeof(ss);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	n = recvmsg(fd, &msg, MSG_DONTWAIT);
	if (n < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;

	memset(m, 0, sizeof(*m));
	m->family = family;
	m->proto = (uint8_t)proto;
	m->bytes = (size_t)n;
	if ((size_t)n > buflen)
		n = (ssize_t)buflen;    /* MSG_TRUNC: only buflen kept */
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c))
		rawsock_cmsg(c, m);
	if (m->time_ns == 0)
		m->time_ns = hdp_now_ns();

	if (family == AF_INET) {
		if (ss.ss_family == AF_INET)
			m->src.v4 = ((struct sockaddr_in *)&ss)->sin_addr;
		/* IPv4 raw sockets hand us the IP header: decode it safely */
		hdp_decode_ip(buf, (size_t)n, m->bytes, &f);
		if (f.ip_version == 4 && f.l4_off <= (size_t)n) {
			m->dst.v4 = f.dst.v4;
			m->l4 = buf + f.l4_off;
			m->l4_len = (size_t)n - f.l4_off;
		}
	} else {
		if (ss.ss_family == AF_INET6)
			m->src.v6 = ((struct sockaddr_in6 *)&ss)->sin6_addr;
		m->l4 = buf;
		m->l4_len = (size_t)n;
	}
	if (m->l4 != NULL &&
	    hdp_hdr_decode(m->l4, m->l4_len, &m->hdp) == HDP_HDR_LEN)
		m->has_hdp = 1;
	return 1;
}

int
hdp_frame_sweep_key(const struct hdp_frame *f, const uint8_t *pkt,
		    size_t caplen, uint8_t *proto, struct hdp_hdr *h)
{
	size_t off;

	if (f->ip_version == 4) {
		off = f->l4_off;
		*proto = f->proto;
	} else if (f->ip_version == 6) {
		off = f->ip_off + 40;
		*proto = f->ip6_nexthdr;
	} else {
		return 0;
	}
	if (off > caplen || caplen - off < HDP_HDR_LEN ||
	    f->ip_len < off - f->ip_off + HDP_HDR_LEN)
		return 0;
	return hdp_hdr_decode(pkt + off, HDP_HDR_LEN, h) == HDP_HDR_LEN;
}

void
hdp_addr_ntop(int family, const union hdp_addr *a, char *out, size_t outlen)
{
	if (inet_ntop(family, family == AF_INET6 ? (const void *)&a->v6 :
		      (const void *)&a->v4, out, (socklen_t)outlen) == NULL)
		snprintf(out, outlen, "?");
}
