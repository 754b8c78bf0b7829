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
#include "hdp_echo_guard.h"
#include "hdp_json.h"

#define MAX_DGRAM 65535

struct hdp_echo {
	struct hdp_echo_opts o;
	struct hdp_tx *tx4, *tx6;
	int udp_fd;
	uint64_t host_id;
	struct echo_addrs *addrs;   /* ours: what a request may come to     */
	struct echo_rate *rate;
	struct hdp_echo_stats st;
	uint8_t buf[MAX_DGRAM];
};

static const char *const reason_names[HDP_ECHO_R_COUNT] = {
	[HDP_ECHO_OK]              = "ok",
	[HDP_ECHO_R_DST_BROADCAST] = "dst_broadcast",
	[HDP_ECHO_R_DST_MULTICAST] = "dst_multicast",
	[HDP_ECHO_R_DST_NOT_LOCAL] = "dst_not_local",
	[HDP_ECHO_R_SRC_UNSPEC]    = "src_unspecified",
	[HDP_ECHO_R_SRC_BROADCAST] = "src_broadcast",
	[HDP_ECHO_R_SRC_MULTICAST] = "src_multicast",
	[HDP_ECHO_R_SRC_LOOPBACK]  = "src_loopback",
	[HDP_ECHO_R_SRC_MARTIAN]   = "src_martian",
	[HDP_ECHO_R_TOO_SMALL]     = "too_small",
	[HDP_ECHO_R_UDP_PORT]      = "udp_port",
	[HDP_ECHO_R_RATE_SOURCE]   = "rate_source",
	[HDP_ECHO_R_RATE_TOTAL]    = "rate_total",
};

const char *
hdp_echo_reason_name(int reason)
{
	if (reason < 0 || reason >= HDP_ECHO_R_COUNT)
		return "?";
	return reason_names[reason];
}

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

int
hdp_echo_udp_client_port(int family, uint16_t *port)
{
	int fd, held[16], nheld = 0, i;

	/* keep each refused one open while asking again, so the kernel
	 * cannot hand the same port back; 16 tries, then take what comes */
	for (;;) {
		fd = hdp_udp_quiet(family, 0, port);
		if (fd < 0 || !echo_udp_port_refused(*port) || nheld == 16)
			break;
		held[nheld++] = fd;
	}
	for (i = 0; i < nheld; i++)
		close(held[i]);
	return fd;
}

/* The raw sockets that send replies; 0, or -1 and err. */
static int
echo_open_tx(struct hdp_echo *e, int *perm, char *err, size_t errlen)
{
	char e4[256] = "", e6[256] = "";
	int p4 = 0, p6 = 0;

	if (e->o.family != AF_INET6) {
		e->tx4 = hdp_tx_open(HDP_TX_RAW, AF_INET, NULL, &p4, e4,
				     sizeof(e4));
		if (e->tx4)
			(void)hdp_tx_rx_filter(e->tx4);
	}
	if (e->o.family != AF_INET) {
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
		return -1;
	}
	return 0;
}

static void echo_sync_stats(struct hdp_echo *e);

struct hdp_echo *
hdp_echo_new(const struct hdp_echo_opts *o, int *perm, char *err,
	     size_t errlen)
{
	struct hdp_echo *e;

	*perm = 0;
	e = calloc(1, sizeof(*e));
	if (e == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->o = *o;
	if (e->o.rate_src == 0)
		e->o.rate_src = HDP_ECHO_RATE_SRC;
	if (e->o.rate_total == 0)
		e->o.rate_total = HDP_ECHO_RATE_TOTAL;
	e->udp_fd = -1;
	e->host_id = hdp_host_id();
	if (echo_open_tx(e, perm, err, errlen) != 0)
		goto fail;
	e->addrs = echo_addrs_new(err, errlen);
	if (e->addrs == NULL)
		goto fail;
	e->rate = echo_rate_new(e->o.rate_src, e->o.rate_total);
	if (e->rate == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	/* no IPv6 here, or the port taken (its owner keeps it quiet): fine */
	if (o->udp_port > 0) {
		e->udp_fd = hdp_udp_quiet(AF_INET6, (uint16_t)o->udp_port,
					  NULL);
		if (e->udp_fd < 0)
			e->udp_fd = hdp_udp_quiet(AF_INET,
						  (uint16_t)o->udp_port, NULL);
	}
	echo_sync_stats(e);
	return e;
fail:
	hdp_echo_free(e);
	return NULL;
}

int
hdp_echo_fd(const struct hdp_echo *e)
{
	return e->addrs != NULL ? echo_addrs_fd(e->addrs) : -1;
}

void
hdp_echo_events(struct hdp_echo *e)
{
	echo_addrs_events(e->addrs);
	echo_sync_stats(e);
}

const struct hdp_echo_stats *
hdp_echo_stats(const struct hdp_echo *e)
{
	return &e->st;
}

/* The guards keep counts of their own: copied in after each request. */
static void
echo_sync_stats(struct hdp_echo *e)
{
	e->st.rate_evictions = echo_rate_evictions(e->rate);
	e->st.addr_loads = echo_addrs_loads(e->addrs);
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
	echo_addrs_free(e->addrs);
	echo_rate_free(e->rate);
	free(e);
}

/* A request's parts, once it is known to be one. */
struct echo_parsed {
	struct hdp_hdr h;         /* sport/dport: the UDP ports in UDP mode */
	const uint8_t *pl;        /* its payload                            */
	size_t plen;
};

/* Is q a request for us (our protocol and port, not a reply)?  0 and
 * *p filled, or -1. */
static int
echo_parse(const struct hdp_echo *e, const struct hdp_echo_req *q,
	   struct echo_parsed *p)
{
	const uint8_t *l4 = q->l4;
	size_t l4len = q->l4len;

	if (l4 == NULL ||
	    (e->o.family != AF_UNSPEC && e->o.family != q->family))
		return -1;
	if (q->proto == HDP_PROTO && e->o.hdp) {
		if (hdp_hdr_decode(l4, l4len, &p->h) != HDP_HDR_LEN)
			return -1;
		if (e->o.port >= 0 && p->h.dport != e->o.port)
			return -1;
		p->pl = l4 + HDP_HDR_LEN;
		p->plen = l4len - HDP_HDR_LEN;
	} else if (q->proto == 17 && e->o.udp_port > 0) {
		if (l4len < 8 + HDP_HDR_LEN ||
		    (l4[2] << 8 | l4[3]) != e->o.udp_port ||
		    (size_t)(l4[4] << 8 | l4[5]) != l4len)
			return -1;
		hdp_hdr_decode(l4 + 8, l4len - 8, &p->h);
		p->h.sport = (uint16_t)(l4[0] << 8 | l4[1]);
		p->h.dport = (uint16_t)(l4[2] << 8 | l4[3]);
		p->pl = l4 + 8 + HDP_HDR_LEN;
		p->plen = l4len - 8 - HDP_HDR_LEN;
	} else {
		return -1;
	}
	if (p->plen >= 4 && memcmp(p->pl, HDP_ECHO_MAGIC, 4) == 0)
		return -1;		/* a reply: never answer one */
	if ((q->family == AF_INET ? e->tx4 : e->tx6) == NULL)
		return -1;
	return 0;
}

/* Why q is not to be answered, or 0; the rate is charged last, only for
 * what would otherwise be answered. */
static int
echo_refusal(struct hdp_echo *e, const struct hdp_echo_req *q,
	     const struct echo_parsed *p)
{
	uint64_t now = hdp_mono_ns();
	int r;

	r = echo_addrs_check(e->addrs, q->family, &q->src, &q->dst,
			     q->ifindex, now);
	if (r != 0)
		return r;
	if (p->plen < HDP_ECHO_LEN)
		return HDP_ECHO_R_TOO_SMALL;
	if (q->proto == 17 && echo_udp_port_refused(p->h.sport))
		return HDP_ECHO_R_UDP_PORT;
	return echo_rate_take(e->rate, q->family, &q->src, now);
}

/* Build and send the reply; 0, or -1 and err. */
static int
echo_send(struct hdp_echo *e, const struct hdp_echo_req *q,
	  const struct echo_parsed *p, struct hdp_echo_reply *rep, char *err,
	  size_t errlen)
{
	struct hdp_echo_block b;
	struct hdp_pkt_spec spec;
	struct hdp_tx_result res;
	struct hdp_tx *tx = q->family == AF_INET ? e->tx4 : e->tx6;
	/* the block takes the room the prober left at the payload's end */
	size_t keep = p->plen - HDP_ECHO_LEN;

	b.version = HDP_ECHO_VERSION;
	b.flags = q->rx_kernel ? HDP_ECHO_F_KERNEL_RX : 0;
	b.rx_ns = q->rx_ns;
	b.host_id = e->host_id;
	b.tx_ns = hdp_now_ns();
	hdp_echo_block_encode(&b, e->buf, sizeof(e->buf));
	memcpy(e->buf + HDP_ECHO_LEN, p->pl, keep);

	memset(&spec, 0, sizeof(spec));
	spec.family = q->family;
	/* from the address the request came to: one of ours (checked) */
	spec.src = q->dst;
	spec.has_src = 1;
	spec.dst = q->src;
	if (q->family == AF_INET6 && IN6_IS_ADDR_LINKLOCAL(&q->src.v6))
		spec.scope = q->ifindex;
	spec.proto = q->proto;
	spec.l4 = q->proto == 17 ? HDP_L4_UDP : HDP_L4_HDP;
	spec.sport = p->h.dport;
	spec.dport = p->h.sport;
	spec.ts_ns = p->h.ts_ns;	/* the request's timestamp, kept */
	spec.ttl = 64;
	spec.payload = e->buf;
	spec.payload_len = HDP_ECHO_LEN + keep;
	if (hdp_tx_build(tx, &spec, err, errlen) != 0)
		return -1;
	memset(&res, 0, sizeof(res));
	if (hdp_tx_write(tx, &res) != 0) {
		snprintf(err, errlen, "%s", res.error[0] ? res.error :
			 strerror(res.err));
		return -1;
	}
	rep->tx_ns = b.tx_ns;
	rep->bytes = res.bytes;
	return 0;
}

int
hdp_echo_answer_l4(struct hdp_echo *e, const struct hdp_echo_req *q,
		   struct hdp_echo_reply *rep, char *err, size_t errlen)
{
	struct hdp_echo_reply dummy;
	struct echo_parsed p;

	if (rep == NULL)
		rep = &dummy;
	memset(rep, 0, sizeof(*rep));	/* refused 0: not a request */
	e->st.seen++;
	if (echo_parse(e, q, &p) != 0) {
		e->st.ignored++;
		return 0;
	}
	rep->family = q->family;
	rep->peer = q->src;
	rep->local = q->dst;
	rep->proto = q->proto;
	rep->sport = p.h.sport;
	rep->dport = p.h.dport;
	rep->req_ts_ns = p.h.ts_ns;
	rep->rx_ns = q->rx_ns;
	rep->req_bytes = q->l4len + (q->family == AF_INET ? 20 : 40);
	rep->refused = echo_refusal(e, q, &p);
	echo_sync_stats(e);
	if (rep->refused != 0) {
		e->st.refused++;
		e->st.refused_by[rep->refused]++;
		return 0;
	}
	if (echo_send(e, q, &p, rep, err, errlen) != 0) {
		e->st.failed++;
		return -1;
	}
	e->st.replied++;
	return 1;
}

int
hdp_echo_answer(struct hdp_echo *e, int dlt, const uint8_t *pkt,
		size_t caplen, size_t wirelen, uint64_t rx_ns, int rx_kernel,
		struct hdp_echo_reply *rep, char *err, size_t errlen)
{
	struct hdp_echo_req q;
	struct hdp_frame f;

	if (hdp_decode_frame(dlt, pkt, caplen, wirelen, &f) != HDP_ST_OK ||
	    f.is_fragment || f.ip_version == 0 || f.l4_caplen != f.l4_len ||
	    f.direction == HDP_DIR_OUT) {
		if (rep != NULL)
			memset(rep, 0, sizeof(*rep));
		e->st.seen++;
		e->st.ignored++;
		return 0;
	}
	memset(&q, 0, sizeof(q));
	q.family = f.ip_version == 4 ? AF_INET : AF_INET6;
	q.src = f.src;
	q.dst = f.dst;
	q.proto = f.proto;
	q.l4 = pkt + f.l4_off;
	q.l4len = f.l4_len;
	q.rx_ns = rx_ns;
	q.rx_kernel = rx_kernel;
	return hdp_echo_answer_l4(e, &q, rep, err, errlen);
}

static void
echo_print_json(FILE *f, const struct hdp_echo_reply *rep, const char *peer,
		const char *local)
{
	struct hdp_json j;

	hj_begin(&j, f);
	hj_str(&j, "layer", rep->refused ? "echo_refused" : "echo");
	hj_str(&j, "peer", peer);
	hj_str(&j, "local", local);
	hj_str(&j, "kind", rep->proto == 17 ? "udp" : "hdp");
	hj_u64(&j, "sport", rep->sport);
	hj_u64(&j, "dport", rep->dport);
	hj_u64(&j, "req_ts_ns", rep->req_ts_ns);
	hj_u64(&j, "rx_ns", rep->rx_ns);
	hj_u64(&j, "req_bytes", rep->req_bytes);
	if (rep->refused) {
		hj_str(&j, "reason", hdp_echo_reason_name(rep->refused));
	} else {
		hj_u64(&j, "tx_ns", rep->tx_ns);
		hj_u64(&j, "bytes", rep->bytes);
	}
	hj_end(&j);
}

void
hdp_echo_print(FILE *f, int json, const struct hdp_echo_reply *rep)
{
	char peer[INET6_ADDRSTRLEN], local[INET6_ADDRSTRLEN];

	if (inet_ntop(rep->family, &rep->peer, peer, sizeof(peer)) == NULL)
		snprintf(peer, sizeof(peer), "?");
	if (inet_ntop(rep->family, &rep->local, local, sizeof(local)) == NULL)
		snprintf(local, sizeof(local), "?");
	if (json)
		echo_print_json(f, rep, peer, local);
	else if (rep->refused)
		fprintf(f, "# echo: refused %s > %s, %s %u > %u, %zu bytes: "
			"%s\n", peer, local, rep->proto == 17 ? "udp" : "hdp",
			rep->sport, rep->dport, rep->req_bytes,
			hdp_echo_reason_name(rep->refused));
	else
		fprintf(f, "# echo: replied to %s, %s %u > %u, %zu bytes, "
			"turnaround %.1f us\n", peer,
			rep->proto == 17 ? "udp" : "hdp", rep->sport,
			rep->dport, rep->bytes,
			rep->tx_ns >= rep->rx_ns ?
			(double)(rep->tx_ns - rep->rx_ns) / 1e3 : 0.0);
	fflush(f);
}

/* "refused_by" as one JSON object, every reason present. */
static void
refused_by_json(const struct hdp_echo_stats *st, char *out, size_t len)
{
	size_t n = 0;
	int i, w;

	out[0] = '\0';
	for (i = 1; i < HDP_ECHO_R_COUNT && n < len; i++) {
		w = snprintf(out + n, len - n, "%s\"%s\":%llu",
			     i == 1 ? "{" : ",", reason_names[i],
			     (unsigned long long)st->refused_by[i]);
		if (w < 0)
			break;
		n += (size_t)w;
	}
	if (n < len)
		snprintf(out + n, len - n, "}");
}

void
hdp_echo_print_summary(FILE *f, int json, const struct hdp_echo *e)
{
	const struct hdp_echo_stats *st = hdp_echo_stats(e);
	struct hdp_json j;
	char by[1024];
	int i, first = 1;

	if (json) {
		refused_by_json(st, by, sizeof(by));
		hj_begin(&j, f);
		hj_str(&j, "layer", "echo_summary");
		hj_u64(&j, "requests", st->replied + st->failed + st->refused);
		hj_u64(&j, "replied", st->replied);
		hj_u64(&j, "failed", st->failed);
		hj_u64(&j, "refused", st->refused);
		hj_raw(&j, "refused_by", by);
		hj_u64(&j, "ignored", st->ignored);
		hj_u64(&j, "rate_src", e->o.rate_src);
		hj_u64(&j, "rate_total", e->o.rate_total);
		hj_u64(&j, "rate_evictions", st->rate_evictions);
		hj_u64(&j, "addr_loads", st->addr_loads);
		hj_end(&j);
	} else {
		fprintf(f, "# echo: %llu requests: %llu replied, %llu failed, "
			"%llu refused",
			(unsigned long long)(st->replied + st->failed +
					     st->refused),
			(unsigned long long)st->replied,
			(unsigned long long)st->failed,
			(unsigned long long)st->refused);
		for (i = 1; i < HDP_ECHO_R_COUNT; i++) {
			if (st->refused_by[i] == 0)
				continue;
			fprintf(f, "%s%s %llu", first ? " (" : ", ",
				reason_names[i],
				(unsigned long long)st->refused_by[i]);
			first = 0;
		}
		fprintf(f, "%s; %llu not requests\n", first ? "" : ")",
			(unsigned long long)st->ignored);
	}
	fflush(f);
}
