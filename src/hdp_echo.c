/*
 * hdp_echo.c: the HDP echo responder (see hdp_echo.h for the reply
 * layout).  The caller receives the requests (hdp listen's raw sockets,
 * or a capture) and hands them to hdp_echo_answer*(); replies are built
 * by libnet through hdp_build.h.
 *
 * The responder keeps the kernel quiet: an open raw socket of protocol
 * 255 (libnet's IPPROTO_RAW socket is one) stops "protocol unreachable",
 * and a UDP socket bound to the echo port stops "port unreachable"; both
 * get a socket filter that drops everything, so their queues stay empty.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hdp_build.h"
#include "hdp_echo.h"
#include "hdp_json.h"

#define MAX_DGRAM 65535

struct hdp_echo {
	struct hdp_echo_opts o;
	struct hdp_tx *tx4, *tx6;
	int udp_fd;
	uint64_t host_id;
	struct hdp_echo_stats st;
	uint8_t buf[MAX_DGRAM];
};

/* ---- the echo block ------------------------------------------------------ */

static uint64_t
get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

size_t
hdp_echo_block_encode(const struct hdp_echo_block *b, uint8_t *buf,
		      size_t buflen)
{
	if (buflen < HDP_ECHO_LEN)
		return 0;
	memcpy(buf, HDP_ECHO_MAGIC, 4);
	buf[4] = b->version;
	buf[5] = b->flags;
	buf[6] = 0;
	buf[7] = 0;
	hdp_put_be64(buf + 8, b->rx_ns);
	hdp_put_be64(buf + 16, b->tx_ns);
	hdp_put_be64(buf + 24, b->host_id);
	return HDP_ECHO_LEN;
}

int
hdp_echo_block_decode(const uint8_t *p, size_t len, struct hdp_echo_block *b)
{
	if (len < HDP_ECHO_LEN || memcmp(p, HDP_ECHO_MAGIC, 4) != 0)
		return -1;
	b->version = p[4];
	b->flags = p[5];
	b->rx_ns = get_be64(p + 8);
	b->tx_ns = get_be64(p + 16);
	b->host_id = get_be64(p + 24);
	return 0;
}

uint64_t
hdp_host_id(void)
{
	char id[64];
	uint64_t h = 14695981039346656037ull;
	ssize_t n, i;
	int fd;

	fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, id, sizeof(id));
	close(fd);
	if (n <= 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (id[i] == '\n')
			break;
		h ^= (uint8_t)id[i];
		h *= 1099511628211ull;
	}
	return h;
}

/* ---- the responder ------------------------------------------------------- */

int
hdp_udp_quiet(int family, uint16_t port, uint16_t *bound)
{
	struct sock_filter code[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sock_fprog prog = { 1, code };
	struct sockaddr_storage ss;
	socklen_t sl = family == AF_INET ? sizeof(struct sockaddr_in) :
		       sizeof(struct sockaddr_in6);
	int fd, off = 0, e;

	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off,
				 sizeof(off));
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
		       sizeof(prog)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	if (bound != NULL)
		*bound = ntohs(family == AF_INET ?
			       ((struct sockaddr_in *)&ss)->sin_port :
			       ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

struct hdp_echo *
hdp_echo_new(const struct hdp_echo_opts *o, int *perm, char *err,
	     size_t errlen)
{
	struct hdp_echo *e;
	char e4[256] = "", e6[256] = "";
	int p4 = 0, p6 = 0;

	*perm = 0;
	e = calloc(1, sizeof(*e));
	if (e == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->o = *o;
	e->udp_fd = -1;
	e->host_id = hdp_host_id();
	if (o->family != AF_INET6) {
		e->tx4 = hdp_tx_open(HDP_TX_RAW, AF_INET, NULL, &p4, e4,
				     sizeof(e4));
		if (e->tx4)
			(void)hdp_tx_rx_filter(e->tx4);
	}
	if (o->family != AF_INET) {
		e->tx6 = hdp_tx_open(HDP_TX_RAW, AF_INET6, NULL, &p6, e6,
				     sizeof(e6));
		if (e->tx6)
			(void)hdp_tx_rx_filter(e->tx6);
	}
	/* one family missing (no IPv6 here) is fine; none is not */
	if (e->tx4 == NULL && e->tx6 == NULL) {
		*perm = p4 || p6;
		snprintf(err, errlen, "cannot open a raw socket: %s",
			 e4[0] ? e4 : e6);
		free(e);
		return NULL;
	}
	/* no IPv6 here, or the port taken (its owner keeps it quiet): fine */
	if (o->udp_port > 0) {
		e->udp_fd = hdp_udp_quiet(AF_INET6, (uint16_t)o->udp_port,
					  NULL);
		if (e->udp_fd < 0)
			e->udp_fd = hdp_udp_quiet(AF_INET,
						  (uint16_t)o->udp_port, NULL);
	}
	return e;
}

const struct hdp_echo_stats *
hdp_echo_stats(const struct hdp_echo *e)
{
	return &e->st;
}

void
hdp_echo_free(struct hdp_echo *e)
{
	if (e == NULL)
		return;
	if (e->tx4)
		hdp_tx_close(e->tx4);
	if (e->tx6)
		hdp_tx_close(e->tx6);
	if (e->udp_fd >= 0)
		close(e->udp_fd);
	free(e);
}

int
hdp_echo_answer_l4(struct hdp_echo *e, int family, const union hdp_addr *src,
		   const union hdp_addr *dst, uint8_t proto, const uint8_t *l4,
		   size_t l4len, uint64_t rx_ns, int rx_kernel,
		   struct hdp_echo_reply *rep, char *err, size_t errlen)
{
	struct hdp_echo_block b;
	struct hdp_pkt_spec spec;
	struct hdp_tx_result res;
	struct hdp_hdr h;
	struct hdp_tx *tx;
	const uint8_t *pl;
	size_t plen, room;
	uint16_t usport = 0, udport = 0;

	e->st.seen++;
	if (e->o.family != AF_UNSPEC && e->o.family != family)
		goto ignore;
	if (proto == HDP_PROTO && e->o.hdp) {
		if (hdp_hdr_decode(l4, l4len, &h) != HDP_HDR_LEN)
			goto ignore;
		if (e->o.port >= 0 && h.dport != e->o.port)
			goto ignore;
		pl = l4 + HDP_HDR_LEN;
		plen = l4len - HDP_HDR_LEN;
	} else if (proto == 17 && e->o.udp_port > 0) {
		if (l4len < 8 + HDP_HDR_LEN)
			goto ignore;
		usport = (uint16_t)(l4[0] << 8 | l4[1]);
		udport = (uint16_t)(l4[2] << 8 | l4[3]);
		if (udport != e->o.udp_port ||
		    (size_t)(l4[4] << 8 | l4[5]) != l4len)
			goto ignore;
		hdp_hdr_decode(l4 + 8, l4len - 8, &h);
		h.sport = usport;
		h.dport = udport;
		pl = l4 + 8 + HDP_HDR_LEN;
		plen = l4len - 8 - HDP_HDR_LEN;
	} else {
		goto ignore;
	}
	if (plen >= 4 && memcmp(pl, HDP_ECHO_MAGIC, 4) == 0)
		goto ignore;		/* a reply: never answer one */
	tx = family == AF_INET ? e->tx4 : e->tx6;
	if (tx == NULL)
		goto ignore;

	/* the reply must fit one IP datagram */
	room = MAX_DGRAM - (family == AF_INET ? 20 : 0) - HDP_HDR_LEN -
	       (proto == 17 ? 8 : 0) - HDP_ECHO_LEN;
	if (plen > room)
		plen = room;
	b.version = HDP_ECHO_VERSION;
	b.flags = rx_kernel ? HDP_ECHO_F_KERNEL_RX : 0;
	b.rx_ns = rx_ns;
	b.host_id = e->host_id;
	b.tx_ns = hdp_now_ns();
	hdp_echo_block_encode(&b, e->buf, sizeof(e->buf));
	memcpy(e->buf + HDP_ECHO_LEN, pl, plen);

	memset(&spec, 0, sizeof(spec));
	spec.family = family;
	spec.src = *dst;
	/* an IPv6 raw socket does not say which address it came to: then
	 * the kernel's choice of source for the way back */
	spec.has_src = family == AF_INET ? dst->v4.s_addr != 0 :
		       !IN6_IS_ADDR_UNSPECIFIED(&dst->v6);
	spec.dst = *src;
	spec.proto = proto;
	spec.l4 = proto == 17 ? HDP_L4_UDP : HDP_L4_HDP;
	spec.sport = h.dport;
	spec.dport = h.sport;
	spec.ts_ns = h.ts_ns;		/* the request's timestamp, kept */
	spec.ttl = 64;
	spec.payload = e->buf;
	spec.payload_len = HDP_ECHO_LEN + plen;
	if (hdp_tx_build(tx, &spec, err, errlen) != 0) {
		e->st.failed++;
		return -1;
	}
	memset(&res, 0, sizeof(res));
	if (hdp_tx_write(tx, &res) != 0) {
		snprintf(err, errlen, "%s", res.error[0] ? res.error :
			 strerror(res.err));
		e->st.failed++;
		return -1;
	}
	e->st.replied++;
	if (rep != NULL) {
		rep->family = family;
		rep->peer = *src;
		rep->proto = proto;
		rep->sport = h.sport;
		rep->dport = h.dport;
		rep->req_ts_ns = h.ts_ns;
		rep->rx_ns = rx_ns;
		rep->tx_ns = b.tx_ns;
		rep->bytes = res.bytes;
	}
	return 1;
ignore:
	e->st.ignored++;
	return 0;
}

int
hdp_echo_answer(struct hdp_echo *e, int dlt, const uint8_t *pkt,
		size_t caplen, size_t wirelen, uint64_t rx_ns, int rx_kernel,
		struct hdp_echo_reply *rep, char *err, size_t errlen)
{
	struct hdp_frame f;

	if (hdp_decode_frame(dlt, pkt, caplen, wirelen, &f) != HDP_ST_OK ||
	    f.is_fragment || f.ip_version == 0 || f.l4_caplen != f.l4_len ||
	    f.direction == HDP_DIR_OUT) {
		e->st.seen++;
		e->st.ignored++;
		return 0;
	}
	return hdp_echo_answer_l4(e, f.ip_version == 4 ? AF_INET : AF_INET6,
				  &f.src, &f.dst, f.proto, pkt + f.l4_off,
				  f.l4_len, rx_ns, rx_kernel, rep, err,
				  errlen);
}

void
hdp_echo_print(FILE *f, int json, const struct hdp_echo_reply *rep)
{
	char peer[INET6_ADDRSTRLEN];
	struct hdp_json j;

	if (inet_ntop(rep->family, &rep->peer, peer, sizeof(peer)) == NULL)
		snprintf(peer, sizeof(peer), "?");
	if (json) {
		hj_begin(&j, f);
		hj_str(&j, "layer", "echo");
		hj_str(&j, "peer", peer);
		hj_str(&j, "kind", rep->proto == 17 ? "udp" : "hdp");
		hj_u64(&j, "sport", rep->sport);
		hj_u64(&j, "dport", rep->dport);
		hj_u64(&j, "req_ts_ns", rep->req_ts_ns);
		hj_u64(&j, "rx_ns", rep->rx_ns);
		hj_u64(&j, "tx_ns", rep->tx_ns);
		hj_u64(&j, "bytes", rep->bytes);
		hj_end(&j);
	} else {
		fprintf(f, "# echo: replied to %s, %s %u > %u, %zu bytes, "
			"turnaround %.1f us\n", peer,
			rep->proto == 17 ? "udp" : "hdp", rep->sport,
			rep->dport, rep->bytes,
			rep->tx_ns >= rep->rx_ns ?
			(double)(rep->tx_ns - rep->rx_ns) / 1e3 : 0.0);
	}
	fflush(f);
}
