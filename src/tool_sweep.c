/*
 * tool_sweep.c: hdp sweep, the original experiment done right.
 *
 * For every protocol number, N packets (an HDP header under each number),
 * and for each packet every layer it reached, each observed on its own:
 *   1. written      libnet's write (or the raw socket's sendto) result
 *   2. on_wire      libpcap on "any" saw it leave ("Out") on the egress
 *                   interface: the sending stack (output hooks, routing,
 *                   qdisc) let it go
 *   3. arrived      libpcap saw it come in ("In") on this host (a local
 *                   destination), or the receiver's hdp listen did (--join)
 *   4. delivered    a raw socket for that number returned it
 * Packets are matched everywhere by (protocol, ports, HDP timestamp),
 * never by timing.  Kernel drop reasons come from hdp_dropmon (the
 * skb:kfree_skb tracepoint), attributed to the packet being written.
 *
 * Everything is sent first, then one short settle interval lets the
 * captures catch up: no per-packet sleeps.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "hdp.h"
#include "hdp_build.h"
#include "hdp_capture.h"
#include "hdp_dropmon.h"
#include "hdp_file.h"
#include "hdp_json.h"
#include "hdp_rawsock.h"
#include "tool.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

#define RX_BUFLEN   65536
#define MAX_COUNT   100

enum method { M_LIBNET = 0, M_SOCKET = 1 };
static const char *const method_names[] = { "libnet", "socket" };

/* Verdicts, in the order of the layers: the first layer a packet missed. */
enum verdict {
	V_REFUSED = 0,          /* the write failed                      */
	V_BEFORE_WIRE,          /* written, never seen leaving            */
	V_NEVER_ARRIVED,        /* left, never seen arriving              */
	V_BEFORE_SOCKET,        /* arrived, no raw socket returned it     */
	V_LEFT_SENDER,          /* left; the receiver's side is unknown   */
	V_DELIVERED,
	V_COUNT
};
static const char *const verdict_names[V_COUNT] = {
	"refused_by_sender", "dropped_before_wire", "never_arrived",
	"dropped_before_socket", "left_sender", "delivered"
};

struct pkt {
	uint8_t  proto;
	uint8_t  method;
	uint16_t sport, dport;
	uint64_t ts;               /* HDP timestamp: the key              */
	int      sent;
	int      err;              /* errno of a failed write             */
	char     error[96];
	size_t   bytes;            /* client's byte count                 */
	int      on_wire, arrived, delivered;
	uint64_t rx_time;          /* socket receive time                 */
	size_t   rx_bytes;
	char     rx_src[INET6_ADDRSTRLEN];
	char     reason[40];       /* kernel drop reason, first seen      */
	char     location[80];
	int      reason_at_socket; /* that drop was at a receiving socket */
	enum verdict v;
};

struct sweep {
	int            family;
	union hdp_addr dst;
	char           dst_str[INET6_ADDRSTRLEN];
	int            local;       /* the destination is this host        */
	int            egress;      /* egress ifindex                      */
	char           egress_name[16];
	int            known_arrival;  /* layers 3-4 observed (local, join) */
	struct pkt    *pkts;
	size_t         npkts, cap;
	size_t        *hash;        /* index + 1; 0 empty                  */
	size_t         hsize;
	int            rx_fd[256];  /* listeners (local destination)       */
	char          *rx_err[256]; /* why a listener could not be opened   */
	/* senders, opened before privileges are dropped */
	struct hdp_tx *tx;          /* --method libnet                     */
	int            tx_fd[256];  /* --method socket: one per number     */
	int            tx_errno[256]; /* why tx_fd[n] could not be opened  */
	pcap_t        *pcap;
	int            dlt;
	struct hdp_dropmon *dm;
	char           dm_err[256];
	uint8_t       *buf;
	int            json;
	int            progress;
	unsigned       count;
	int            methods;     /* bit 0 libnet, bit 1 socket           */
};

void
usage_sweep(FILE *out)
{
	fprintf(out,
"usage: hdp sweep DEST [-P LIST] [-c COUNT] [-4|-6] [--method M]\n"
"                 [--sport N] [--dport N] [-s SIZE] [--wait MS]\n"
"                 [--json] [-o FILE] [--force] [--no-drops] [-Z USER]\n"
"       hdp sweep --join TX.json RX.json [--json]\n"
"\n"
"Send COUNT packets (default 3) under every protocol number of LIST\n"
"(default all: 0-255) and say, per number, at which layer they stopped:\n"
"written (libnet's write result), on the wire (libpcap saw it leave the\n"
"egress interface), arrived (libpcap saw it come in), delivered (a raw\n"
"socket for that number returned it).  Verdicts: delivered,\n"
"refused_by_sender, dropped_before_wire, never_arrived,\n"
"dropped_before_socket, and left_sender when DEST is another host (run\n"
"'hdp listen -P all --json > rx.json' there and use --join).  As root,\n"
"the kernel's drop reason and location (skb:kfree_skb) are added.\n"
"\n"
"  -P LIST        protocol numbers: 255, 0-10,17, all (default all)\n"
"  -c COUNT       packets per number and method (1-%d, default 3)\n"
"  -4, -6         resolve DEST as IPv4 or IPv6\n"
"  --method M     libnet (full IP header, IP_HDRINCL; default), socket\n"
"                 (a raw socket per number, the kernel builds the IP\n"
"                 header: the original client's way), or both\n"
"  --sport N, --dport N   HDP ports (default 420 and 420)\n"
"  -s SIZE        payload bytes after the HDP header (default 8)\n"
"  --wait MS      settle interval after the last packet (default 200)\n"
"  --json         one JSON object per protocol number and method\n"
"  -o FILE        also write the JSON lines to FILE (for --join)\n"
"  --force        let -o overwrite FILE\n"
"  --no-drops     do not ask the kernel for drop reasons (reading them\n"
"                 needs root, kept for the run: -Z applies without them)\n"
"  -Z, --user USER  once the sockets and the capture are open, run as\n"
"                 USER with no capabilities (default nobody when started\n"
"                 as root; -Z root stays root); -Z USER turns the drop\n"
"                 reasons off\n"
"  --join TX RX   merge a sweep's JSON with the receiver's hdp listen\n"
"                 JSON and print the table\n", MAX_COUNT);
}

/* Copy a string into a fixed buffer, cut to fit. */
static void
scopy(char *d, size_t n, const char *src)
{
	size_t l = src ? strlen(src) : 0;

	if (l >= n)
		l = n - 1;
	if (l)
		memcpy(d, src, l);
	d[l] = '\0';
}

/* ---- packets and their keys ------------------------------------------ */

static size_t
key_hash(uint8_t proto, uint16_t sport, uint16_t dport, uint64_t ts)
{
	uint64_t h = ts * 0x9e3779b97f4a7c15ULL;

	h ^= ((uint64_t)proto << 32) ^ ((uint64_t)sport << 16) ^ dport;
	h ^= h >> 29;
	return (size_t)h;
}

static struct pkt *
pkt_add(struct sweep *s)
{
	struct pkt *n;

	if (s->npkts == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 1024;

		n = realloc(s->pkts, nc * sizeof(*n));
		if (n == NULL)
			return NULL;
		s->pkts = n;
		s->cap = nc;
	}
	n = &s->pkts[s->npkts++];
	memset(n, 0, sizeof(*n));
	return n;
}

/* Index every sent packet by its key (after sending, or after a join). */
static int
hash_build(struct sweep *s)
{
	size_t i, h;

	free(s->hash);
	for (s->hsize = 64; s->hsize < s->npkts * 2; s->hsize *= 2)
		;
	s->hash = calloc(s->hsize, sizeof(size_t));
	if (s->hash == NULL)
		return -1;
	for (i = 0; i < s->npkts; i++) {
		struct pkt *p = &s->pkts[i];

		if (!p->sent && p->ts == 0)
			continue;
		h = key_hash(p->proto, p->sport, p->dport, p->ts) &
		    (s->hsize - 1);
		while (s->hash[h] != 0)
			h = (h + 1) & (s->hsize - 1);
		s->hash[h] = i + 1;
	}
	return 0;
}

static struct pkt *
pkt_find(struct sweep *s, uint8_t proto, uint16_t sport, uint16_t dport,
	 uint64_t ts)
{
	size_t h;
	struct pkt *p;

	if (s->hash == NULL)
		return NULL;
	h = key_hash(proto, sport, dport, ts) & (s->hsize - 1);
	while (s->hash[h] != 0) {
		p = &s->pkts[s->hash[h] - 1];
		if (p->ts == ts && p->proto == proto && p->sport == sport &&
		    p->dport == dport)
			return p;
		h = (h + 1) & (s->hsize - 1);
	}
	return NULL;
}

/* While sending, the table is not built yet: the packets written so far
 * are looked up from the end (the captures lag only a little). */
static struct pkt *
pkt_find_recent(struct sweep *s, uint8_t proto, uint16_t sport,
		uint16_t dport, uint64_t ts)
{
	size_t i;
	struct pkt *p;

	if (s->hash != NULL)
		return pkt_find(s, proto, sport, dport, ts);
	for (i = s->npkts; i-- > 0;) {
		p = &s->pkts[i];
		if (p->ts == ts && p->proto == proto && p->sport == sport &&
		    p->dport == dport)
			return p;
	}
	return NULL;
}

/* ---- what each layer saw ------------------------------------------------ */

static void
on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct sweep *s = (struct sweep *)user;
	struct hdp_frame f;
	struct hdp_hdr hh;
	struct pkt *p;
	uint8_t proto;
	size_t alen = s->family == AF_INET6 ? 16 : 4;

	hdp_decode_frame(s->dlt, bytes, h->caplen, h->len, &f);
	if ((f.ip_version == 6) != (s->family == AF_INET6) ||
	    memcmp(&f.dst, &s->dst, alen) != 0 ||
	    !hdp_frame_sweep_key(&f, bytes, h->caplen, &proto, &hh))
		return;
	p = pkt_find_recent(s, proto, hh.sport, hh.dport, hh.ts_ns);
	if (p == NULL)
		return;
	if (s->local) {
		/*
		 * One host: the frame on lo is both "left the sending stack"
		 * (output hooks, routing and the lo transmit are behind it)
		 * and "arrived" (the receive path, PREROUTING and INPUT, is
		 * ahead).  The kernel shows packet sockets an "Out" and an
		 * "In" copy, but libpcap drops the outgoing copy on the
		 * loopback device (pcap-linux.c, linux_check_direction), on
		 * "lo" and on "any" alike, so it is one sighting.
		 */
		p->on_wire = 1;
		p->arrived = 1;
	} else if (f.direction == HDP_DIR_OUT &&
		   (s->egress == 0 || (int)f.ifindex == s->egress ||
		    f.ifindex == 0)) {
		p->on_wire = 1;        /* left through the egress interface */
	}
}

static void
on_drop(const struct hdp_drop *d, void *arg)
{
	struct sweep *s = arg;
	struct pkt *p;

	if (d->tag < 0 || (size_t)d->tag >= s->npkts)
		return;
	p = &s->pkts[d->tag];
	/* keep the first drop of the packet itself; a drop at a receiving
	 * socket (a clone) only when nothing else was seen */
	if (p->reason[0] != '\0' && (d->at_socket || !p->reason_at_socket))
		return;
	scopy(p->reason, sizeof(p->reason), d->reason);
	scopy(p->location, sizeof(p->location), d->location);
	p->reason_at_socket = d->at_socket;
}

static void
drain_socket(struct sweep *s, unsigned proto)
{
	struct hdp_rawmsg m;
	struct pkt *p;

	while (hdp_rawsock_recv(s->rx_fd[proto], s->family, proto, s->buf,
				RX_BUFLEN, &m) == 1) {
		if (!m.has_hdp)
			continue;
		p = pkt_find_recent(s, (uint8_t)proto, m.hdp.sport,
				    m.hdp.dport, m.hdp.ts_ns);
		if (p == NULL || p->delivered)
			continue;
		p->delivered = 1;
		p->rx_time = m.time_ns;
		p->rx_bytes = m.bytes;
		hdp_addr_ntop(s->family, &m.src, p->rx_src, sizeof(p->rx_src));
	}
}

static void
drain_all(struct sweep *s)
{
	unsigned i;

	if (s->pcap != NULL)
		while (pcap_dispatch(s->pcap, -1, on_frame, (u_char *)s) > 0)
			;
	for (i = 0; i < 256; i++)
		if (s->rx_fd[i] >= 0)
			drain_socket(s, i);
	if (s->dm != NULL)
		hdp_dropmon_read(s->dm, on_drop, s);
}

/* Every packet has its answer: nothing more will come. */
static int
all_settled(const struct sweep *s)
{
	size_t i;
	const struct pkt *p;

	if (!s->local)
		return 0;
	for (i = 0; i < s->npkts; i++) {
		p = &s->pkts[i];
		if (p->sent && !p->delivered &&
		    (p->reason[0] == '\0' || p->reason_at_socket))
			return 0;
	}
	return 1;
}

/* ---- sending ------------------------------------------------------------ */

static void
progress(const struct sweep *s, unsigned done, unsigned total)
{
	int i, w = 40, fill;

	if (!s->progress)
		return;
	fill = total ? (int)((uint64_t)done * (unsigned)w / total) : w;
	fputs("\rsweep [", stderr);
	for (i = 0; i < w; i++)
		fputc(i < fill ? '#' : ' ', stderr);
	fprintf(stderr, "] %u/%u", done, total);
	if (done == total)
		fputs("\r\033[K", stderr);
	fflush(stderr);
}

static void
record_tx(struct pkt *p, const struct hdp_tx_result *r)
{
	p->sent = r->ok;
	p->err = r->ok ? 0 : r->err;
	scopy(p->error, sizeof(p->error), r->ok ? "" : r->error);
	p->bytes = r->bytes;
	p->ts = r->hdp_ts_ns;
}

/* The original client's way: a raw socket for the number, the kernel
 * builds the IP header; we write the HDP header and payload. */
static void
send_socket(struct sweep *s, unsigned proto, uint16_t sport, uint16_t dport,
	    const uint8_t *payload, size_t plen, unsigned count)
{
	uint8_t msg[HDP_HDR_LEN + 1500];
	struct sockaddr_storage ss;
	socklen_t sl;
	struct hdp_hdr h;
	struct pkt *p;
	unsigned k;
	int fd = s->tx_fd[proto], e = s->tx_errno[proto];
	ssize_t n;

	memset(&ss, 0, sizeof(ss));
	if (s->family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr = s->dst.v4;
		sl = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = s->dst.v6;
		sl = sizeof(*a);
	}
	for (k = 0; k < count; k++) {
		p = pkt_add(s);
		if (p == NULL)
			break;
		p->proto = (uint8_t)proto;
		p->method = M_SOCKET;
		p->sport = sport;
		p->dport = dport;
		p->bytes = HDP_HDR_LEN + plen;
		if (fd < 0) {
			p->err = e;
			snprintf(p->error, sizeof(p->error), "socket: %s",
				 strerror(e));
			continue;
		}
		h.sport = sport;
		h.dport = dport;
		h.ts_ns = hdp_now_ns();
		hdp_hdr_encode(&h, msg, sizeof(msg));
		memcpy(msg + HDP_HDR_LEN, payload, plen);
		p->ts = h.ts_ns;
		hdp_dropmon_mark(s->dm, (long)(p - s->pkts));
		n = sendto(fd, msg, HDP_HDR_LEN + plen, 0,
			   (struct sockaddr *)&ss, sl);
		if (n < 0) {
			p->err = errno;
			scopy(p->error, sizeof(p->error), strerror(errno));
		} else {
			p->sent = 1;
			/* what the kernel put on the wire: its IP header too */
			p->bytes = (size_t)n + (s->family == AF_INET ? 20 : 40);
		}
	}
}

static void
send_all(struct sweep *s, const struct hdp_protoset *set, uint16_t sport,
	 uint16_t dport, const uint8_t *payload, size_t plen)
{
	struct hdp_tx *tx = s->tx;
	struct hdp_pkt_spec spec;
	struct hdp_tx_result r;
	unsigned p, k, done = 0, total = hdp_protoset_count(set);
	struct pkt *pk;
	char err[256];

	memset(&spec, 0, sizeof(spec));
	spec.family = s->family;
	spec.dst = s->dst;
	spec.l4 = HDP_L4_HDP;
	spec.sport = sport;
	spec.dport = dport;
	spec.ttl = 64;
	spec.payload = payload;
	spec.payload_len = plen;
	for (p = 0; p < 256 && !tool_stop; p++) {
		if (!hdp_protoset_has(set, p))
			continue;
		if (tx != NULL) {
			spec.proto = (uint8_t)p;
			spec.ts_ns = 0;
			if (hdp_tx_build(tx, &spec, err, sizeof(err)) != 0) {
				tool_err("protocol %u: %s", p, err);
				for (k = 0; k < s->count; k++) {
					pk = pkt_add(s);
					if (pk == NULL)
						break;
					pk->proto = (uint8_t)p;
					pk->err = EINVAL;
					scopy(pk->error, sizeof(pk->error), err);
				}
			} else {
				for (k = 0; k < s->count; k++) {
					pk = pkt_add(s);
					if (pk == NULL)
						break;
					pk->proto = (uint8_t)p;
					pk->method = M_LIBNET;
					pk->sport = sport;
					pk->dport = dport;
					hdp_dropmon_mark(s->dm,
							 (long)(pk - s->pkts));
					hdp_tx_write(tx, &r);
					record_tx(pk, &r);
				}
			}
		}
		if (s->methods & 2)
			send_socket(s, p, sport, dport, payload, plen,
				    s->count);
		/* keep the buffers short while sending */
		if ((++done & 15) == 0 || done == total) {
			drain_all(s);
			progress(s, done, total);
		}
	}
	hdp_dropmon_mark(s->dm, -1);
}

/* ---- verdicts and output ----------------------------------------------- */

static void
judge(struct sweep *s)
{
	size_t i;
	struct pkt *p;

	for (i = 0; i < s->npkts; i++) {
		p = &s->pkts[i];
		if (!p->sent)
			p->v = V_REFUSED;
		else if (p->delivered)
			p->v = V_DELIVERED;
		else if (!p->on_wire && !p->arrived)
			p->v = V_BEFORE_WIRE;
		else if (!s->known_arrival)
			p->v = V_LEFT_SENDER;
		else if (!p->arrived)
			p->v = V_NEVER_ARRIVED;
		else
			p->v = V_BEFORE_SOCKET;
	}
}

/* The summary of the packets of one (number, method). */
struct row {
	uint8_t  proto;
	uint8_t  method;
	unsigned n, sent, on_wire, arrived, delivered;
	size_t   bytes_client, bytes_server;
	const char *src;
	const char *error;          /* first failure                */
	int      err;
	enum verdict v;             /* the earliest-layer verdict    */
	unsigned vcount[V_COUNT];
	const char *reason, *location;
	const char *listen_err;     /* no raw socket for the number  */
	const char *stack_reason;   /* delivered, but the kernel's own */
	const char *stack_location; /* handler dropped its copy        */
	double   latency_us;        /* mean over delivered; < 0 none */
};

static void
row_make(const struct sweep *s, size_t from, size_t to, struct row *r)
{
	size_t i;
	const struct pkt *p;
	double lat = 0;
	unsigned nlat = 0;

	memset(r, 0, sizeof(*r));
	r->proto = s->pkts[from].proto;
	r->method = s->pkts[from].method;
	r->src = "";
	r->error = "";
	r->v = V_DELIVERED;
	r->latency_us = -1;
	for (i = from; i < to; i++) {
		p = &s->pkts[i];
		r->n++;
		r->vcount[p->v]++;
		if (p->v < r->v)
			r->v = p->v;
		if (p->sent) {
			r->sent++;
			r->bytes_client += p->bytes;
		} else if (r->error[0] == '\0') {
			r->error = p->error;
			r->err = p->err;
		}
		r->on_wire += p->on_wire;
		r->arrived += p->arrived;
		if (p->delivered) {
			r->delivered++;
			r->bytes_server += p->rx_bytes;
			if (r->src[0] == '\0')
				r->src = p->rx_src;
			if (p->rx_time != 0 && p->ts != 0) {
				lat += ((double)p->rx_time - (double)p->ts) /
				       1e3;
				nlat++;
			}
		}
		/* delivered to our socket, and the kernel's handler for
		 * the number (ICMP, TCP, UDP ...) dropped its own copy */
		if (p->v == V_DELIVERED && p->reason[0] != '\0' &&
		    !p->reason_at_socket && r->stack_reason == NULL) {
			r->stack_reason = p->reason;
			r->stack_location = p->location;
		}
		/* the drop reason of a packet that did not make it */
		if (p->v != V_DELIVERED && p->reason[0] != '\0' &&
		    r->reason == NULL) {
			r->reason = p->reason;
			r->location = p->location;
		}
	}
	if (nlat)
		r->latency_us = lat / nlat;
	r->listen_err = s->rx_err[r->proto];
}

/* Call fn for every (number, method) group, in order.  Packets of one
 * group are consecutive: they were sent (or joined) that way. */
static void
for_rows(const struct sweep *s, void (*fn)(const struct sweep *,
					   const struct row *, void *),
	 void *arg)
{
	size_t i = 0, j;
	struct row r;

	while (i < s->npkts) {
		for (j = i + 1; j < s->npkts &&
		     s->pkts[j].proto == s->pkts[i].proto &&
		     s->pkts[j].method == s->pkts[i].method; j++)
			;
		row_make(s, i, j, &r);
		fn(s, &r, arg);
		i = j;
	}
}

static const char *
errno_name(int e)
{
	static const struct { int e; const char *n; } t[] = {
		{ EPERM, "EPERM" }, { EACCES, "EACCES" }, { EINVAL, "EINVAL" },
		{ EPROTONOSUPPORT, "EPROTONOSUPPORT" }, { EMSGSIZE, "EMSGSIZE" },
		{ ENOBUFS, "ENOBUFS" }, { ENETUNREACH, "ENETUNREACH" },
		{ EHOSTUNREACH, "EHOSTUNREACH" }, { EAFNOSUPPORT, "EAFNOSUPPORT" },
		{ ENOPROTOOPT, "ENOPROTOOPT" }, { EIO, "EIO" },
		{ EADDRNOTAVAIL, "EADDRNOTAVAIL" }, { 0, NULL }
	};
	int i;

	for (i = 0; t[i].n != NULL; i++)
		if (t[i].e == e)
			return t[i].n;
	return NULL;
}

static void
print_row_text(const struct sweep *s, const struct row *r, void *arg)
{
	char lat[32], verdict[64], reason[320], fail[160];
	const char *en;
	int i, mixed = 0;

	(void)arg;
	if (r->latency_us >= 0)
		snprintf(lat, sizeof(lat), "%.1f", r->latency_us);
	else
		snprintf(lat, sizeof(lat), "-");
	for (i = 0; i < V_COUNT; i++)
		if (r->vcount[i] != 0 && r->vcount[i] != r->n)
			mixed = 1;
	if (mixed)
		snprintf(verdict, sizeof(verdict), "%s (%u/%u)",
			 verdict_names[r->v], r->vcount[r->v], r->n);
	else
		scopy(verdict, sizeof(verdict), verdict_names[r->v]);
	if (r->reason != NULL && r->listen_err != NULL &&
	    strcmp(r->location, r->listen_err) != 0)
		snprintf(reason, sizeof(reason), "%s in %s (no listener: %s)",
			 r->reason, r->location, r->listen_err);
	else if (r->reason != NULL && r->listen_err != NULL)
		snprintf(reason, sizeof(reason), "no listener: %s",
			 r->listen_err);
	else if (r->reason != NULL)
		snprintf(reason, sizeof(reason), "%s in %s", r->reason,
			 r->location);
	else if (r->stack_reason != NULL)
		snprintf(reason, sizeof(reason), "(kernel's copy: %s in %s)",
			 r->stack_reason, r->stack_location);
	else
		scopy(reason, sizeof(reason), r->v == V_DELIVERED ? "" : "-");
	en = errno_name(r->err);
	if (r->error[0] != '\0' && en != NULL)
		snprintf(fail, sizeof(fail), "%s (%s)", r->error, en);
	else
		scopy(fail, sizeof(fail), r->error);
	printf("| %u | %s | %zu | %u | %u | %zu | %s | %s | %s | %u | %u | ",
	       r->proto, r->src, r->bytes_server, r->delivered, r->sent,
	       r->bytes_client, fail, lat, method_names[r->method], r->sent,
	       r->on_wire);
	if (s->known_arrival)
		printf("%u | %u |", r->arrived, r->delivered);
	else
		printf("? | ? |");
	printf(" %s | %s |\n", verdict, reason);
}

static void
json_row(const struct sweep *s, const struct row *r, void *arg)
{
	FILE *f = arg;
	struct hdp_json j;
	size_t i;
	int first = 1;
	const struct pkt *p;

	hj_begin(&j, f);
	hj_u64(&j, "proto", r->proto);
	hj_str(&j, "method", method_names[r->method]);
	hj_str(&j, "dest", s->dst_str);
	hj_bool(&j, "local", s->local);
	hj_u64(&j, "count", r->n);
	hj_u64(&j, "sent", r->sent);
	if (r->error[0] != '\0') {
		hj_str(&j, "send_error", r->error);
		hj_u64(&j, "send_errno", (uint64_t)r->err);
	} else {
		hj_null(&j, "send_error");
	}
	hj_u64(&j, "bytes_client", r->bytes_client);
	hj_u64(&j, "on_wire", r->on_wire);
	if (s->known_arrival) {
		hj_u64(&j, "arrived", r->arrived);
		hj_u64(&j, "delivered", r->delivered);
	} else {
		hj_null(&j, "arrived");
		hj_null(&j, "delivered");
	}
	hj_u64(&j, "received_server", r->delivered);
	hj_u64(&j, "bytes_server", r->bytes_server);
	hj_str(&j, "src_server", r->src[0] ? r->src : NULL);
	hj_str(&j, "verdict", verdict_names[r->v]);
	hj_str(&j, "drop_reason", r->reason);
	hj_str(&j, "drop_location", r->location);
	hj_str(&j, "listen_error", r->listen_err);
	hj_str(&j, "stack_drop_reason", r->stack_reason);
	hj_str(&j, "stack_drop_location", r->stack_location);
	if (r->latency_us >= 0)
		hj_dbl(&j, "latency_us", r->latency_us, 3);
	else
		hj_null(&j, "latency_us");
	/* every packet, for --join and for scripts */
	fprintf(f, ",\"packets\":[");
	for (i = 0; i < s->npkts; i++) {
		struct hdp_json pj;

		p = &s->pkts[i];
		if (p->proto != r->proto || p->method != r->method)
			continue;
		if (!first)
			fputc(',', f);
		first = 0;
		pj.f = f;
		pj.n = 0;
		fputc('{', f);
		hj_u64(&pj, "ts", p->ts);
		hj_u64(&pj, "sport", p->sport);
		hj_u64(&pj, "dport", p->dport);
		hj_bool(&pj, "sent", p->sent);
		hj_u64(&pj, "errno", (uint64_t)p->err);
		hj_str(&pj, "error", p->error[0] ? p->error : NULL);
		hj_u64(&pj, "bytes", p->bytes);
		hj_bool(&pj, "on_wire", p->on_wire);
		hj_bool(&pj, "arrived", p->arrived);
		hj_bool(&pj, "delivered", p->delivered);
		if (p->delivered) {
			hj_u64(&pj, "rx_time_ns", p->rx_time);
			hj_u64(&pj, "rx_bytes", p->rx_bytes);
			hj_str(&pj, "rx_src", p->rx_src);
		}
		hj_str(&pj, "verdict", verdict_names[p->v]);
		hj_str(&pj, "drop_reason", p->reason[0] ? p->reason : NULL);
		hj_str(&pj, "drop_location",
		       p->location[0] ? p->location : NULL);
		hj_bool(&pj, "drop_at_socket", p->reason_at_socket);
		fputc('}', f);
	}
	fputc(']', f);
	hj_end(&j);
}

/* "0-5,17,200" of the numbers whose (first method's) verdict is v. */
struct sum_ctx {
	enum verdict v;
	int method;
	int start, last;
	char *out;
	size_t outlen;
	unsigned n;
	const char *reason;
	int mixed_reasons;
};

static void
sum_flush(struct sum_ctx *c)
{
	size_t l = strlen(c->out);

	if (c->start < 0)
		return;
	if (l + 16 < c->outlen) {
		if (c->start == c->last)
			snprintf(c->out + l, c->outlen - l, "%s%d",
				 l ? "," : "", c->start);
		else
			snprintf(c->out + l, c->outlen - l, "%s%d-%d",
				 l ? "," : "", c->start, c->last);
	}
	c->start = -1;
}

static void
sum_row(const struct sweep *s, const struct row *r, void *arg)
{
	struct sum_ctx *c = arg;

	(void)s;
	if (r->method != c->method)
		return;
	if (r->v != c->v) {
		sum_flush(c);
		return;
	}
	c->n++;
	if (r->reason != NULL) {
		if (c->reason == NULL)
			c->reason = r->reason;
		else if (strcmp(c->reason, r->reason) != 0)
			c->mixed_reasons = 1;
	}
	if (c->start >= 0 && c->last + 1 == r->proto) {
		c->last = r->proto;
		return;
	}
	sum_flush(c);
	c->start = c->last = r->proto;
}

static void
print_summary(const struct sweep *s, FILE *f)
{
	char list[2048];
	struct sum_ctx c;
	int v, m;

	for (m = 0; m < 2; m++) {
		if (!(s->methods & (1 << m)))
			continue;
		fprintf(f, "\nSummary (%s, %u packet%s per number):\n",
			method_names[m], s->count, s->count == 1 ? "" : "s");
		for (v = 0; v < V_COUNT; v++) {
			memset(&c, 0, sizeof(c));
			c.v = (enum verdict)v;
			c.method = m;
			c.start = -1;
			list[0] = '\0';
			c.out = list;
			c.outlen = sizeof(list);
			for_rows(s, sum_row, &c);
			sum_flush(&c);
			if (c.n == 0)
				continue;
			fprintf(f, "- %s: %u (%s)", verdict_names[v], c.n,
				list);
			if (c.reason != NULL)
				fprintf(f, "; kernel: %s%s", c.reason,
					c.mixed_reasons ? " and others" : "");
			fputc('\n', f);
		}
	}
}

/*
 * -o FILE: one JSON line per row, each flushed whole, so that when a
 * write fails (a full disk) the file can be cut back to its last whole
 * line and still be read by --join; the message says what was lost.
 */
struct row_file {
	FILE       *f;
	const char *path;
	off_t       good;	/* end of the last line written whole */
	unsigned    kept, lost;
	int         err;	/* errno of the failed write; 0: none  */
};

static void
json_row_file(const struct sweep *s, const struct row *r, void *arg)
{
	struct row_file *rf = arg;

	if (rf->err == 0) {
		errno = 0;
		json_row(s, r, rf->f);
		if (fflush(rf->f) == 0 && !ferror(rf->f)) {
			rf->good = ftello(rf->f);
			rf->kept++;
			return;
		}
		rf->err = errno ? errno : EIO;
		__fpurge(rf->f);	/* nothing more may reach the file */
		if (ftruncate(fileno(rf->f), rf->good) != 0)
			tool_errno("%s: cannot cut back to its last whole "
				   "line", rf->path);
	}
	rf->lost++;
}

/* Write every row to jf; 0, or -1 after saying what was lost. */
static int
write_row_file(const struct sweep *s, FILE *jf, const char *path)
{
	struct row_file rf = { jf, path, 0, 0, 0, 0 };

	for_rows(s, json_row_file, &rf);
	if (rf.err == 0)
		return 0;
	tool_err("%s: write failed: %s; %u row%s kept, %u lost", path,
		 strerror(rf.err), rf.kept, rf.kept == 1 ? "" : "s", rf.lost);
	return -1;
}

static int
print_results(struct sweep *s, FILE *jf, const char *jpath)
{
	int rc = HDP_EXIT_OK;
	size_t i;

	judge(s);
	if (s->json) {
		for_rows(s, json_row, stdout);
	} else {
		printf("| Protocol Number | Source IP (Server) "
		       "| Byte Sum (Server) | Received (Server) "
		       "| Succeeded (Client) | Byte sum (Client) "
		       "| Failure reason (Client) | Time difference (μs) "
		       "| Method | Written | On wire | Arrived | Delivered "
		       "| Verdict | Drop reason |\n");
		printf("| --- | --- | --- | --- | --- | --- | --- | --- "
		       "| --- | --- | --- | --- | --- | --- | --- |\n");
		for_rows(s, print_row_text, NULL);
		print_summary(s, stdout);
	}
	fflush(stdout);
	for (i = 0; i < s->npkts; i++)
		if (s->pkts[i].v != V_DELIVERED)
			rc = HDP_EXIT_FAIL;
	if (jf != NULL && write_row_file(s, jf, jpath) != 0)
		rc = HDP_EXIT_ENV;
	return rc;
}

/* ---- --join: a sweep's JSON and the receiver's listen JSON -------------- */

/* A tiny reader for the JSON lines we write ourselves: flattens one
 * object into "key" / "packets.3.ts" = text pairs. */
struct jkv {
	char key[48];
	char val[160];
	int  is_str;
};

struct jobj {
	struct jkv *kv;
	size_t n, cap;
};

static const char *
jskip(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

static int
jput(struct jobj *o, const char *key, const char *v, size_t vl, int is_str)
{
	struct jkv *n;

	if (o->n == o->cap) {
		size_t nc = o->cap ? o->cap * 2 : 64;

		n = realloc(o->kv, nc * sizeof(*n));
		if (n == NULL)
			return -1;
		o->kv = n;
		o->cap = nc;
	}
	n = &o->kv[o->n++];
	scopy(n->key, sizeof(n->key), key);
	if (vl >= sizeof(n->val))
		vl = sizeof(n->val) - 1;
	memcpy(n->val, v, vl);
	n->val[vl] = '\0';
	n->is_str = is_str;
	return 0;
}

static const char *jvalue(struct jobj *o, const char *p, const char *key,
			  int depth);

/* A string (escapes decoded for \" \\ \/ only; others kept as text). */
static const char *
jstring(const char *p, char *out, size_t outlen, size_t *len)
{
	size_t n = 0;

	if (*p != '"')
		return NULL;
	for (p++; *p != '\0' && *p != '"'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		if (n + 1 < outlen)
			out[n++] = *p;
	}
	if (*p != '"')
		return NULL;
	out[n] = '\0';
	*len = n;
	return p + 1;
}

static const char *
jvalue(struct jobj *o, const char *p, const char *key, int depth)
{
	char sub[64], str[160];
	size_t len;
	const char *e;
	int i;

	p = jskip(p);
	if (depth > 4)
		return NULL;
	if (*p == '{') {
		p = jskip(p + 1);
		if (*p == '}')
			return p + 1;
		for (;;) {
			p = jstring(jskip(p), str, sizeof(str), &len);
			if (p == NULL)
				return NULL;
			p = jskip(p);
			if (*p != ':')
				return NULL;
			snprintf(sub, sizeof(sub), "%.20s%s%.40s", key,
				 key[0] ? "." : "", str);
			p = jvalue(o, p + 1, sub, depth + 1);
			if (p == NULL)
				return NULL;
			p = jskip(p);
			if (*p == '}')
				return p + 1;
			if (*p != ',')
				return NULL;
			p++;
		}
	}
	if (*p == '[') {
		p = jskip(p + 1);
		if (*p == ']')
			return p + 1;
		for (i = 0;; i++) {
			snprintf(sub, sizeof(sub), "%.40s.%d", key, i);
			p = jvalue(o, p, sub, depth + 1);
			if (p == NULL)
				return NULL;
			p = jskip(p);
			if (*p == ']')
				return p + 1;
			if (*p != ',')
				return NULL;
			p++;
		}
	}
	if (*p == '"') {
		e = jstring(p, str, sizeof(str), &len);
		if (e == NULL || jput(o, key, str, len, 1) != 0)
			return NULL;
		return e;
	}
	for (e = p; *e != '\0' && *e != ',' && *e != '}' && *e != ']' &&
	     *e != ' '; e++)
		;
	if (e == p || jput(o, key, p, (size_t)(e - p), 0) != 0)
		return NULL;
	return e;
}

static const struct jkv *
jget(const struct jobj *o, const char *key)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (strcmp(o->kv[i].key, key) == 0)
			return &o->kv[i];
	return NULL;
}

static uint64_t
jnum(const struct jobj *o, const char *key, uint64_t dflt)
{
	const struct jkv *k = jget(o, key);

	if (k == NULL || k->is_str || strcmp(k->val, "null") == 0)
		return dflt;
	if (strcmp(k->val, "true") == 0)
		return 1;
	if (strcmp(k->val, "false") == 0)
		return 0;
	return strtoull(k->val, NULL, 10);
}

static const char *
jstr(const struct jobj *o, const char *key)
{
	const struct jkv *k = jget(o, key);

	return (k != NULL && k->is_str) ? k->val : NULL;
}

static int
method_of(const char *m)
{
	return (m != NULL && strcmp(m, "socket") == 0) ? M_SOCKET : M_LIBNET;
}

/* Read one JSON file line by line; fn gets each parsed object. */
static int
join_read(const char *path, int (*fn)(struct sweep *, const struct jobj *,
				       const char *, unsigned),
	  struct sweep *s)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned lineno = 0;
	struct jobj o;
	int rc = 0;

	f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (f == NULL) {
		tool_errno("%s", path);
		return HDP_EXIT_ENV;
	}
	memset(&o, 0, sizeof(o));
	while ((n = getline(&line, &cap, f)) > 0) {
		lineno++;
		if (jskip(line)[0] == '\0')
			continue;
		o.n = 0;
		if (jvalue(&o, line, "", 0) == NULL) {
			tool_err("%s:%u: not a JSON object we can read", path,
				 lineno);
			rc = HDP_EXIT_USAGE;
			break;
		}
		if ((rc = fn(s, &o, path, lineno)) != 0)
			break;
	}
	free(o.kv);
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

static int
join_tx(struct sweep *s, const struct jobj *o, const char *path,
	unsigned lineno)
{
	char k[64];
	const char *v;
	struct pkt *p;
	unsigned i;
	int m;

	if (jget(o, "proto") == NULL || jget(o, "verdict") == NULL) {
		tool_err("%s:%u: not a line of hdp sweep --json", path,
			 lineno);
		return HDP_EXIT_USAGE;
	}
	if (s->npkts == 0) {
		v = jstr(o, "dest");
		scopy(s->dst_str, sizeof(s->dst_str), v ? v : "");
		s->local = (int)jnum(o, "local", 0);
		s->known_arrival = s->local;
	}
	m = method_of(jstr(o, "method"));
	s->methods |= 1 << m;
	v = jstr(o, "listen_error");
	i = (unsigned)jnum(o, "proto", 0) & 255;
	if (v != NULL && s->rx_err[i] == NULL)
		s->rx_err[i] = strdup(v);
	s->count = (unsigned)jnum(o, "count", 0);
	for (i = 0;; i++) {
		snprintf(k, sizeof(k), "packets.%u.ts", i);
		if (jget(o, k) == NULL)
			break;
		p = pkt_add(s);
		if (p == NULL)
			return HDP_EXIT_ENV;
		p->proto = (uint8_t)jnum(o, "proto", 0);
		p->method = (uint8_t)m;
#define PK(name) (snprintf(k, sizeof(k), "packets.%u.%s", i, name), k)
		p->ts = jnum(o, PK("ts"), 0);
		p->sport = (uint16_t)jnum(o, PK("sport"), 0);
		p->dport = (uint16_t)jnum(o, PK("dport"), 0);
		p->sent = (int)jnum(o, PK("sent"), 0);
		p->err = (int)jnum(o, PK("errno"), 0);
		v = jstr(o, PK("error"));
		scopy(p->error, sizeof(p->error), v ? v : "");
		p->bytes = jnum(o, PK("bytes"), 0);
		p->on_wire = (int)jnum(o, PK("on_wire"), 0);
		p->arrived = (int)jnum(o, PK("arrived"), 0);
		p->delivered = (int)jnum(o, PK("delivered"), 0);
		p->rx_time = jnum(o, PK("rx_time_ns"), 0);
		p->rx_bytes = jnum(o, PK("rx_bytes"), 0);
		v = jstr(o, PK("rx_src"));
		scopy(p->rx_src, sizeof(p->rx_src), v ? v : "");
		v = jstr(o, PK("drop_reason"));
		scopy(p->reason, sizeof(p->reason), v ? v : "");
		v = jstr(o, PK("drop_location"));
		scopy(p->location, sizeof(p->location), v ? v : "");
		p->reason_at_socket = (int)jnum(o, PK("drop_at_socket"), 0);
#undef PK
	}
	return 0;
}

static int
join_rx(struct sweep *s, const struct jobj *o, const char *path,
	unsigned lineno)
{
	const char *layer = jstr(o, "layer"), *src;
	struct pkt *p;

	if (layer == NULL) {
		tool_err("%s:%u: not a line of hdp listen --json", path,
			 lineno);
		return HDP_EXIT_USAGE;
	}
	s->known_arrival = 1;
	if (strcmp(layer, "refused") == 0) {
		unsigned pr = (unsigned)jnum(o, "proto", 256);
		const char *e = jstr(o, "error");

		if (pr < 256 && s->rx_err[pr] == NULL)
			s->rx_err[pr] = strdup(e ? e : "refused");
		return 0;
	}
	if (jget(o, "hdp_ts_ns") == NULL)
		return 0;
	p = pkt_find(s, (uint8_t)jnum(o, "proto", 0),
		     (uint16_t)jnum(o, "sport", 0),
		     (uint16_t)jnum(o, "dport", 0), jnum(o, "hdp_ts_ns", 0));
	if (p == NULL)
		return 0;
	if (strcmp(layer, "pcap") == 0) {
		p->arrived = 1;
	} else if (strcmp(layer, "socket") == 0 && !p->delivered) {
		p->arrived = 1;      /* a socket got it: it arrived */
		p->delivered = 1;
		p->rx_time = jnum(o, "time_ns", 0);
		p->rx_bytes = jnum(o, "bytes", 0);
		src = jstr(o, "src");
		scopy(p->rx_src, sizeof(p->rx_src), src ? src : "");
	}
	return 0;
}

static int
do_join(struct sweep *s, const char *txp, const char *rxp)
{
	int rc;

	if ((rc = join_read(txp, join_tx, s)) != 0)
		return rc;
	if (s->npkts == 0) {
		tool_err("%s: no sweep results in it", txp);
		return HDP_EXIT_USAGE;
	}
	if (hash_build(s) != 0) {
		tool_err("out of memory");
		return HDP_EXIT_ENV;
	}
	if ((rc = join_read(rxp, join_rx, s)) != 0)
		return rc;
	return print_results(s, NULL, NULL);
}

/* ---- setup ---------------------------------------------------------------- */

static int
open_listeners(struct sweep *s, const struct hdp_protoset *set)
{
	char err[160];
	unsigned p;
	int opened = 0, perm = 0;

	for (p = 0; p < 256; p++) {
		if (!hdp_protoset_has(set, p))
			continue;
		s->rx_fd[p] = hdp_rawsock_open(s->family, p, err, sizeof(err));
		if (s->rx_fd[p] >= 0) {
			opened++;
			continue;
		}
		if (errno == EPERM || errno == EACCES)
			perm = 1;
		s->rx_err[p] = strdup(err);
	}
	if (opened == 0 && perm) {
		tool_err("raw sockets need root or CAP_NET_RAW");
		return HDP_EXIT_PERM;
	}
	return 0;
}

/* The senders of each method asked for: libnet's, and the original
 * client's raw socket for every number of set.  A number whose socket
 * cannot be opened is reported on its packets. */
static int
open_senders(struct sweep *s, const struct hdp_protoset *set)
{
	char err[256];
	unsigned p;
	int perm = 0;

	if (s->methods & 1) {
		s->tx = hdp_tx_open(HDP_TX_RAW, s->family, NULL, &perm, err,
				    sizeof(err));
		if (s->tx == NULL) {
			tool_err("libnet: %s", err);
			return perm ? HDP_EXIT_PERM : HDP_EXIT_ENV;
		}
		/* our IPPROTO_RAW socket would get every 255 we send */
		(void)hdp_tx_rx_filter(s->tx);
	}
	if (s->methods & 2)
		for (p = 0; p < 256; p++) {
			if (!hdp_protoset_has(set, p))
				continue;
			s->tx_fd[p] = socket(s->family, SOCK_RAW |
					     SOCK_CLOEXEC, (int)p);
			s->tx_errno[p] = s->tx_fd[p] < 0 ? errno : 0;
			/* open for the whole run: no copy of every datagram
			 * of number p (all TCP, all UDP ...) piles up here */
			if (s->tx_fd[p] >= 0)
				(void)hdp_sock_drop_rx(s->tx_fd[p]);
		}
	return 0;
}

static int
open_capture(struct sweep *s)
{
	struct hdp_cap_opts co;
	char err[256], filt[96];

	memset(&co, 0, sizeof(co));
	co.ifname = "any";
	co.immediate = 1;
	co.nano = 1;
	co.snaplen = 128;
	co.buffer_kb = 8192;
	s->pcap = hdp_cap_open_live(&co, err, sizeof(err));
	if (s->pcap == NULL) {
		tool_err("libpcap: %s", err);
		if (strstr(err, "ermission") != NULL ||
		    strstr(err, "not permitted") != NULL) {
			tool_err("needs root or CAP_NET_RAW and "
				 "CAP_NET_ADMIN");
			return HDP_EXIT_PERM;
		}
		return HDP_EXIT_ENV;
	}
	/* SLL2 carries the interface index along with the direction */
	(void)pcap_set_datalink(s->pcap, DLT_LINUX_SLL2);
	s->dlt = pcap_datalink(s->pcap);
	snprintf(filt, sizeof(filt), "%s dst host %s",
		 s->family == AF_INET ? "ip" : "ip6", s->dst_str);
	if (hdp_cap_set_filter(s->pcap, filt, err, sizeof(err)) != 0 ||
	    pcap_setnonblock(s->pcap, 1, err) != 0) {
		tool_err("libpcap: %s", err);
		return HDP_EXIT_ENV;
	}
	return 0;
}

static void
settle(struct sweep *s, unsigned wait_ms)
{
	struct pollfd pfd[2];
	uint64_t end = hdp_mono_ns() + (uint64_t)wait_ms * 1000000ULL, now;
	int n = 0, grace = 0;

	if (s->pcap != NULL) {
		pfd[n].fd = pcap_get_selectable_fd(s->pcap);
		pfd[n++].events = POLLIN;
	}
	if (s->dm != NULL) {
		pfd[n].fd = hdp_dropmon_fd(s->dm);
		pfd[n++].events = POLLIN;
	}
	while (!tool_stop && (now = hdp_mono_ns()) < end) {
		drain_all(s);
		if (all_settled(s)) {
			/* one more short look for late copies, then done */
			if (grace++ >= 2)
				break;
		}
		(void)poll(pfd, (nfds_t)n, 5);
	}
	drain_all(s);
}

enum {
	OPT_JSON = 256, OPT_METHOD, OPT_SPORT, OPT_DPORT, OPT_WAIT,
	OPT_JOIN, OPT_FORCE, OPT_NODROPS
};

int
cmd_sweep(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json",     no_argument,       NULL, OPT_JSON },
		{ "method",   required_argument, NULL, OPT_METHOD },
		{ "sport",    required_argument, NULL, OPT_SPORT },
		{ "dport",    required_argument, NULL, OPT_DPORT },
		{ "wait",     required_argument, NULL, OPT_WAIT },
		{ "join",     no_argument,       NULL, OPT_JOIN },
		{ "force",    no_argument,       NULL, OPT_FORCE },
		{ "no-drops", no_argument,       NULL, OPT_NODROPS },
		{ "user",     required_argument, NULL, 'Z' },
		{ "help",     no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sweep s;
	struct hdp_protoset set;
	struct hdp_route rt;
	const char *protos = "all", *outpath = NULL, *user = NULL;
	char err[256];
	uint8_t payload[1400];
	uint64_t v, t0;
	unsigned wait_ms = 200, i;
	size_t plen = 8;
	uint16_t sport = HDP_DEFAULT_PORT, dport = HDP_DEFAULT_PORT;
	int ch, join = 0, force = 0, drops = 1, fam = AF_UNSPEC, rc;
	unsigned scope = 0;
	FILE *jf = NULL;

	memset(&s, 0, sizeof(s));
	for (i = 0; i < 256; i++)
		s.rx_fd[i] = s.tx_fd[i] = -1;
	s.count = 3;
	s.methods = 1;
	optind = 0;	/* glibc: a fresh scan from argv[1] */
	while ((ch = getopt_long(argc, argv, "P:c:46s:o:Z:h", longopts,
				 NULL)) != -1) {
		switch (ch) {
		case 'P': protos = optarg; break;
		case 'c':
			if (hdp_parse_uint(optarg, 1, MAX_COUNT, &v, "-c", err,
					   sizeof(err)) != 0)
				goto badarg;
			s.count = (unsigned)v;
			break;
		case '4': fam = AF_INET; break;
		case '6': fam = AF_INET6; break;
		case 's':
			if (hdp_parse_uint(optarg, 0, sizeof(payload), &v,
					   "-s", err, sizeof(err)) != 0)
				goto badarg;
			plen = (size_t)v;
			break;
		case 'o': outpath = optarg; break;
		case 'Z': user = optarg; break;
		case OPT_JSON: s.json = 1; break;
		case OPT_METHOD:
			if (strcmp(optarg, "libnet") == 0)
				s.methods = 1;
			else if (strcmp(optarg, "socket") == 0)
				s.methods = 2;
			else if (strcmp(optarg, "both") == 0)
				s.methods = 3;
			else {
				tool_err("--method %s: not libnet, socket or "
					 "both", optarg);
				return HDP_EXIT_USAGE;
			}
			break;
		case OPT_SPORT:
		case OPT_DPORT:
			if (hdp_parse_uint(optarg, 0, 65535, &v, ch == OPT_SPORT
					   ? "--sport" : "--dport", err,
					   sizeof(err)) != 0)
				goto badarg;
			if (ch == OPT_SPORT)
				sport = (uint16_t)v;
			else
				dport = (uint16_t)v;
			break;
		case OPT_WAIT:
			if (hdp_parse_uint(optarg, 0, 60000, &v, "--wait", err,
					   sizeof(err)) != 0)
				goto badarg;
			wait_ms = (unsigned)v;
			break;
		case OPT_JOIN: join = 1; break;
		case OPT_FORCE: force = 1; break;
		case OPT_NODROPS: drops = 0; break;
		case 'h': usage_sweep(stdout); return HDP_EXIT_OK;
		default: usage_sweep(stderr); return HDP_EXIT_USAGE;
		}
	}
	if (join) {
		if (argc - optind != 2) {
			tool_err("--join needs TX.json and RX.json");
			return HDP_EXIT_USAGE;
		}
		if (tool_parse_only)
			return HDP_EXIT_OK;
		rc = do_join(&s, argv[optind], argv[optind + 1]);
		goto out;
	}
	if (argc - optind != 1) {
		tool_err(argc == optind ? "a destination is needed" :
			 "one destination only");
		usage_sweep(stderr);
		return HDP_EXIT_USAGE;
	}
	if (hdp_protoset_parse(protos, &set, err, sizeof(err)) != 0) {
		tool_err("-P %s: %s", protos, err);
		return HDP_EXIT_USAGE;
	}
	if (tool_parse_only)
		return HDP_EXIT_OK;
	if (hdp_resolve(argv[optind], fam, &s.family, &s.dst, &scope, err,
			sizeof(err)) != 0) {
		tool_err("%s", err);
		return HDP_EXIT_USAGE;
	}
	hdp_addr_ntop(s.family, &s.dst, s.dst_str, sizeof(s.dst_str));
	if (hdp_route_get(s.family, &s.dst, scope, &rt, err,
			  sizeof(err)) != 0) {
		tool_err("%s: %s", s.dst_str, err);
		return HDP_EXIT_ENV;
	}
	s.local = rt.type == RTN_LOCAL;
	s.known_arrival = s.local;
	s.egress = rt.oif;
	scopy(s.egress_name, sizeof(s.egress_name), rt.ifname);
	for (i = 0; i < plen; i++)
		payload[i] = (uint8_t)('a' + i % 26);
	if (outpath != NULL) {
		jf = hdp_file_create(outpath, force, err, sizeof(err));
		if (jf == NULL) {
			rc = HDP_FILE_REFUSED(errno) ? HDP_EXIT_USAGE :
			     HDP_EXIT_ENV;
			tool_err("%s", err);
			return rc;
		}
	}

	s.buf = malloc(RX_BUFLEN);
	if (s.buf == NULL) {
		tool_err("out of memory");
		rc = HDP_EXIT_ENV;
		goto out;
	}
	tool_catch_stop(NULL);
	s.progress = isatty(STDERR_FILENO);

	if (s.local && (rc = open_listeners(&s, &set)) != 0)
		goto out;
	if ((rc = open_capture(&s)) != 0)
		goto out;
	/* an explicit -Z USER wins over the default drop reasons, which
	 * would keep root for the whole run */
	if (drops && user != NULL && strcmp(user, "root") != 0) {
		tool_err("-Z %s: kernel drop reasons need root for the whole "
			 "run; sweeping without them (as --no-drops)", user);
		drops = 0;
	}
	if (drops) {
		s.dm = hdp_dropmon_open((int)getpid(), s.dm_err,
					sizeof(s.dm_err));
		if (s.dm == NULL)
			tool_err("kernel drop reasons unavailable: %s",
				 s.dm_err);
	}
	if ((rc = open_senders(&s, &set)) != 0)
		goto out;
	/* The drop monitor's tracefs instance needs root to read, and to
	 * remove at exit: while it is open, privileges are kept (as trace's
	 * --drop-reasons does). */
	if (s.dm == NULL && hdp_drop_privileges(user, err, sizeof(err)) != 0) {
		tool_err("%s", err);
		rc = HDP_EXIT_PERM;
		goto out;
	}
	t0 = hdp_mono_ns();
	send_all(&s, &set, sport, dport, payload, plen);
	if (hash_build(&s) != 0) {
		tool_err("out of memory");
		rc = HDP_EXIT_ENV;
		goto out;
	}
	settle(&s, wait_ms);
	if (s.pcap != NULL) {
		struct pcap_stat ps;

		if (pcap_stats(s.pcap, &ps) == 0 && ps.ps_drop != 0)
			tool_err("warning: libpcap lost %u frames; some "
				 "\"on wire\" counts are low", ps.ps_drop);
	}
	if (s.dm != NULL && hdp_dropmon_overruns(s.dm) != 0)
		tool_err("warning: the trace buffer overflowed; some drop "
			 "reasons are missing");
	/* a number nobody could listen on: say why in the drop reason */
	for (i = 0; i < s.npkts; i++) {
		struct pkt *p = &s.pkts[i];

		if (s.local && p->sent && !p->delivered &&
		    p->reason[0] == '\0' && s.rx_err[p->proto] != NULL) {
			snprintf(p->reason, sizeof(p->reason), "NO_LISTENER");
			scopy(p->location, sizeof(p->location), s.rx_err[p->proto]);
		}
	}
	if (tool_stop)
		tool_err("interrupted: results so far");
	rc = print_results(&s, jf, outpath);
	fprintf(stderr, "%s: %zu packets to %s (%s%s) in %.3f s\n",
		"hdp sweep", s.npkts, s.dst_str,
		s.local ? "local, via " : "egress ", s.egress_name,
		(double)(hdp_mono_ns() - t0) / 1e9);
	if (tool_stop)
		rc = HDP_EXIT_FAIL;
out:
	if (jf != NULL && fclose(jf) != 0 && rc == HDP_EXIT_OK) {
		tool_errno("%s", outpath);
		rc = HDP_EXIT_ENV;
	}
	hdp_dropmon_close(s.dm);
	if (s.pcap != NULL)
		pcap_close(s.pcap);
	hdp_tx_close(s.tx);
	for (i = 0; i < 256; i++) {
		if (s.rx_fd[i] >= 0)
			close(s.rx_fd[i]);
		if (s.tx_fd[i] >= 0)
			close(s.tx_fd[i]);
		free(s.rx_err[i]);
	}
	free(s.pkts);
	free(s.hash);
	free(s.buf);
	return rc;
badarg:
	tool_err("%s", err);
	return HDP_EXIT_USAGE;
}
