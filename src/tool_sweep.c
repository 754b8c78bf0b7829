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
#include <math.h>
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

#include <hdp/hdp.h>
#include "hdp_build.h"
#include "hdp_capture.h"
#include "hdp_dropmon.h"
#include "hdp_file.h"
#include "hdp_json.h"
#include "hdp_print.h"
#include "hdp_rawsock.h"
#include "hdp_siphash.h"
#include "tool.h"
#include "tool_half.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

#define RX_BUFLEN   65536
#define MAX_COUNT   100
#define MAX_PAYLOAD 1400      /* -s: bytes after the HDP header */

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
	char     netns[64];        /* where: its namespace (ip netns name) */
	char     dev[16];          /*   the interface it was on            */
	char     hook[16];         /*   the netfilter hook, if one         */
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
	int            wide;        /* -v/--wide: the full Markdown table  */
	int            progress;
	unsigned       count;
	int            methods;     /* bit 0 libnet, bit 1 socket           */
	/* the other options (parse_opts) */
	const char    *dest;        /* DEST as typed                       */
	const char    *protos;      /* -P                                  */
	struct hdp_protoset set;    /* ... parsed                          */
	const char    *outpath;     /* -o                                  */
	const char    *user;        /* -Z                                  */
	const char    *join_tx, *join_rx;  /* --join's files              */
	unsigned       wait_ms;     /* --wait                              */
	size_t         plen;        /* -s                                  */
	uint16_t       sport, dport;
	int            want_family; /* -4, -6 or AF_UNSPEC                 */
	int            join, force, drops;
	/* what the run made */
	FILE          *jf;          /* -o FILE                             */
	struct hdp_file_id jf_id;   /* ... and whether this run made it    */
	uint64_t       t0;          /* the first send (CLOCK_MONOTONIC)     */
	uint8_t        payload[MAX_PAYLOAD];
	/* --rx-at: the receiving half, hdp listen on the receiver over ssh */
	const char    *rx_at;
	struct point   rx_pt;
	struct remote_cfg rcfg;
	struct half   *rx;
	int            rx_failed;   /* the receiver was not observed       */
};

void
usage_sweep(FILE *out)
{
	fprintf(out,
"usage: hdp sweep DEST [-P LIST] [-c COUNT] [-4|-6] [--method M]\n"
"                 [--sport N] [--dport N] [-s SIZE] [--wait MS]\n"
"                 [--json] [-v|--wide] [-o FILE] [--force] [--no-drops]\n"
"                 [-Z USER] [--rx-at ssh://[USER@]HOST[:PORT]]\n"
"                 [--ssh-option OPT] [--sudo] [--remote-hdp PATH]\n"
"       hdp sweep --join TX.json RX.json [--json] [-v|--wide]\n"
"\n"
"Send COUNT packets (default 3) under every protocol number of LIST\n"
"(default all: 0-255) and say, per number, at which layer they stopped:\n"
"written (libnet's write result), on the wire (libpcap saw it leave the\n"
"egress interface), arrived (libpcap saw it come in), delivered (a raw\n"
"socket for that number returned it).  Verdicts: delivered,\n"
"refused_by_sender, dropped_before_wire, never_arrived,\n"
"dropped_before_socket, and left_sender when DEST is another host (use\n"
"--rx-at, or run 'hdp listen -P all --json > rx.json' there and use\n"
"--join).  As root,\n"
"the kernel's drop reason (skb:kfree_skb) is added, with where it\n"
"happened: the namespace, the interface, the netfilter hook or the\n"
"kernel function.  The table fits 80 columns; -v shows every column.\n"
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
"  -v, --wide     the full table (bytes, latency, sources, locations)\n"
"  -o FILE        also write the JSON lines to FILE (for --join)\n"
"  --force        let -o overwrite FILE\n"
"  --no-drops     do not ask the kernel for drop reasons\n"
"  -Z, --user USER  once the sockets, the capture and the drop reason\n"
"                 reader are open, run as USER with no capabilities\n"
"                 (default nobody when started as root; -Z root stays\n"
"                 root)\n"
"  --rx-at ssh://[USER@]HOST[:PORT][/IFACE]  run the receiving half,\n"
"                 hdp listen -P LIST --json (-i IFACE), on HOST over ssh\n"
"                 for the sweep (started and listening before the first\n"
"                 packet, stopped after --wait) and join its lines: the\n"
"                 output is what --join prints.  When HOST cannot be used\n"
"                 (one line says why) the local result is printed with\n"
"                 the receiver's side not observed (arrived and delivered\n"
"                 '?', verdict left_sender) and the exit status is 4\n"
"%s"
"  --join TX RX   merge a sweep's JSON with the receiver's hdp listen\n"
"                 JSON and print the table\n"
"\n"
"Exit status: 0 every packet delivered, 1 some were not, 2 bad usage or\n"
"input, 3 no privileges, 4 the system refused, or the --rx-at receiver\n"
"could not be used (or stopped before the sweep did).\n", MAX_COUNT,
		remote_usage);
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

/*
 * The key index.  Keys come from the network and from --join files, so
 * the hash is keyed with a per-run secret (no input can be made to
 * collide on purpose) and a key is indexed once: duplicates (a crafted
 * file with one key on every line) cost one probe, not a cluster.
 */
static struct hdp_hsecret hash_secret;

static size_t
key_hash(uint8_t proto, uint16_t sport, uint16_t dport, uint64_t ts)
{
	uint64_t w[2];

	w[0] = ts;
	w[1] = (uint64_t)proto << 32 | (uint64_t)sport << 16 | dport;
	return (size_t)hdp_siphash_u64(&hash_secret, w, 2);
}

static int
same_key(const struct pkt *p, uint8_t proto, uint16_t sport,
	 uint16_t dport, uint64_t ts)
{
	return p->ts == ts && p->proto == proto && p->sport == sport &&
	       p->dport == dport;
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
		while (s->hash[h] != 0 &&
		       !same_key(&s->pkts[s->hash[h] - 1], p->proto, p->sport,
				 p->dport, p->ts))
			h = (h + 1) & (s->hsize - 1);
		if (s->hash[h] == 0)	/* the first packet of a key wins */
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
		if (same_key(p, proto, sport, dport, ts))
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
	scopy(p->netns, sizeof(p->netns), d->netns);
	scopy(p->dev, sizeof(p->dev), d->dev);
	scopy(p->hook, sizeof(p->hook), d->hook);
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
	size_t   from, to;          /* its packets: s->pkts[from, to) */
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
	const struct pkt *drop;     /* the packet reason came from     */
	const char *listen_err;     /* no raw socket for the number  */
	const char *stack_reason;   /* delivered, but the kernel's own */
	const char *stack_location; /* handler dropped its copy        */
	int      has_latency;       /* some delivered packet had one  */
	int64_t  latency_ns;        /* mean over those, in ns          */
};

static void
row_make(const struct sweep *s, size_t from, size_t to, struct row *r)
{
	size_t i;
	const struct pkt *p;
	double lat = 0;
	unsigned nlat = 0;

	memset(r, 0, sizeof(*r));
	r->from = from;
	r->to = to;
	r->proto = s->pkts[from].proto;
	r->method = s->pkts[from].method;
	r->src = "";
	r->error = "";
	r->v = V_DELIVERED;
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
				/* the difference first: a double holds a
				 * time since 1970 only to 256 ns */
				lat += (double)(int64_t)(p->rx_time - p->ts);
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
			r->drop = p;
		}
	}
	if (nlat) {
		/* signed: a --join receiver's clock may run behind */
		r->has_latency = 1;
		r->latency_ns = (int64_t)llround(lat / nlat);
	}
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

/* Text from packets and --join files, escaped for the terminal, and
 * one line ended by hdp's own newline; cut to width columns (0: any)
 * with "..." at the end. */
static void
put_line(const char *text, size_t width)
{
	size_t n = strlen(text);
	char *safe = malloc(4 * n + 1);

	if (safe == NULL)
		return;
	n = hdp_fmt_safe(safe, text, n);
	if (width >= 4 && n > width) {
		memcpy(safe + width - 3, "...", 3);
		n = width;
	}
	fwrite(safe, 1, n, stdout);
	fputc('\n', stdout);
	free(safe);
}

/* "netns X on lo, INPUT hook": where the row's drop happened, from what
 * the kernel said (empty when it said nothing more than the location). */
static void
drop_where(const struct row *r, char *out, size_t outlen)
{
	const struct pkt *p = r->drop;
	size_t n = 0;

	out[0] = '\0';
	if (p == NULL)
		return;
	if (p->netns[0] != '\0')
		n += (size_t)snprintf(out + n, outlen - n, "netns %s",
				      p->netns);
	if (p->dev[0] != '\0' && n < outlen)
		n += (size_t)snprintf(out + n, outlen - n, "%son %s",
				      n ? " " : "", p->dev);
	if (p->hook[0] != '\0' && n < outlen)
		snprintf(out + n, outlen - n, "%s%s hook", n ? ", " : "",
			 p->hook);
}

/* The drop reason column of the wide table. */
static void
reason_text(const struct row *r, char *out, size_t outlen)
{
	char where[160];

	drop_where(r, where, sizeof(where));
	if (r->reason != NULL && r->listen_err != NULL &&
	    strcmp(r->location, r->listen_err) != 0)
		snprintf(out, outlen, "%s in %s (no listener: %s)",
			 r->reason, r->location, r->listen_err);
	else if (r->reason != NULL && r->listen_err != NULL)
		snprintf(out, outlen, "no listener: %s", r->listen_err);
	else if (r->reason != NULL)
		snprintf(out, outlen, "%s in %s%s%s%s", r->reason,
			 r->location, where[0] ? " (" : "", where,
			 where[0] ? ")" : "");
	else if (r->stack_reason != NULL)
		snprintf(out, outlen, "(kernel's copy: %s in %s)",
			 r->stack_reason, r->stack_location);
	else
		scopy(out, outlen, r->v == V_DELIVERED ? "" : "-");
}

/* "dropped_before_socket" or "dropped_before_socket (2/3)" */
static void
verdict_text(const struct row *r, char *out, size_t outlen)
{
	int i, mixed = 0;

	for (i = 0; i < V_COUNT; i++)
		if (r->vcount[i] != 0 && r->vcount[i] != r->n)
			mixed = 1;
	if (mixed)
		snprintf(out, outlen, "%s (%u/%u)", verdict_names[r->v],
			 r->vcount[r->v], r->n);
	else
		scopy(out, outlen, verdict_names[r->v]);
}

/* -v / --wide: every column, as the original client's Markdown table. */
static void
print_row_wide(const struct sweep *s, const struct row *r, void *arg)
{
	char lat[32], verdict[64], reason[512], fail[160], line[1200];
	const char *en;
	int n;

	(void)arg;
	/* as hdp sniff prints a latency: "21.2 us", "3.4 ms" */
	if (r->has_latency)
		lat[hdp_fmt_latency(lat, r->latency_ns)] = '\0';
	else
		snprintf(lat, sizeof(lat), "-");
	verdict_text(r, verdict, sizeof(verdict));
	reason_text(r, reason, sizeof(reason));
	en = errno_name(r->err);
	if (r->error[0] != '\0' && en != NULL)
		snprintf(fail, sizeof(fail), "%s (%s)", r->error, en);
	else
		scopy(fail, sizeof(fail), r->error);
	n = snprintf(line, sizeof(line), "| %u | %s | %zu | %u | %u | %zu "
		     "| %s | %s | %s | %u | %u | ", r->proto, r->src,
		     r->bytes_server, r->delivered, r->sent, r->bytes_client,
		     fail, lat, method_names[r->method], r->sent, r->on_wire);
	if (n > 0 && (size_t)n < sizeof(line)) {
		if (s->known_arrival)
			snprintf(line + n, sizeof(line) - (size_t)n,
				 "%u | %u | %s | %s |", r->arrived,
				 r->delivered, verdict, reason);
		else
			snprintf(line + n, sizeof(line) - (size_t)n,
				 "? | ? | %s | %s |", verdict, reason);
	}
	put_line(line, 0);
}

/* The drop reason column of the 80-column table: the reason and the
 * hook or the function ("NETFILTER_DROP INPUT hook"). */
static void
reason_short(const struct row *r, char *out, size_t outlen)
{
	const struct pkt *p = r->drop;

	if (r->reason != NULL && r->listen_err != NULL &&
	    strcmp(r->reason, "NO_LISTENER") == 0)
		snprintf(out, outlen, "no listener: %s", r->listen_err);
	else if (p != NULL && p->hook[0] != '\0')
		snprintf(out, outlen, "%s %s hook", r->reason, p->hook);
	else if (r->reason != NULL)
		snprintf(out, outlen, "%s at %.*s", r->reason,
			 (int)strcspn(r->location, "+"), r->location);
	else if (r->stack_reason != NULL)
		snprintf(out, outlen, "(kernel's copy: %s)", r->stack_reason);
	else
		out[0] = '\0';
}

/* The default table: a line of at most 80 columns per row. */
static void
print_row_short(const struct sweep *s, const struct row *r, void *arg)
{
	char counts[64], verdict[64], reason[256], line[512];
	size_t n;

	(void)arg;
	if (s->known_arrival)
		snprintf(counts, sizeof(counts), "%u/%u/%u/%u", r->sent,
			 r->on_wire, r->arrived, r->delivered);
	else
		snprintf(counts, sizeof(counts), "%u/%u/?/?", r->sent,
			 r->on_wire);
	verdict_text(r, verdict, sizeof(verdict));
	reason_short(r, reason, sizeof(reason));
	snprintf(line, sizeof(line), "%3u %-7s %-8s %-22s %s", r->proto,
		 method_names[r->method], counts, verdict, reason);
	n = strlen(line);
	while (n > 0 && line[n - 1] == ' ')     /* no reason: no padding */
		line[--n] = '\0';
	put_line(line, 80);
}

/* One packet of a row's "packets" array. */
static void
json_pkt(FILE *f, const struct pkt *p, int first)
{
	struct hdp_json pj;

	if (!first)
		fputc(',', f);
	pj.f = f;
	pj.n = 0;
	fputc('{', f);
	/* named as hdp sniff --json names them: the HDP timestamp with its
	 * unit, the datagram's length as ip_len (--join still reads the
	 * older "ts" and "bytes") */
	hj_u64(&pj, "hdp_ts_ns", p->ts);
	hj_u64(&pj, "sport", p->sport);
	hj_u64(&pj, "dport", p->dport);
	hj_bool(&pj, "sent", p->sent);
	hj_u64(&pj, "errno", (uint64_t)p->err);
	hj_str(&pj, "error", p->error[0] ? p->error : NULL);
	hj_u64(&pj, "ip_len", p->bytes);
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
	hj_str(&pj, "drop_netns", p->netns[0] ? p->netns : NULL);
	hj_str(&pj, "drop_dev", p->dev[0] ? p->dev : NULL);
	hj_str(&pj, "drop_hook", p->hook[0] ? p->hook : NULL);
	hj_bool(&pj, "drop_at_socket", p->reason_at_socket);
	fputc('}', f);
}

static void
json_row(const struct sweep *s, const struct row *r, void *arg)
{
	FILE *f = arg;
	struct hdp_json j;
	size_t i;

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
	hj_str(&j, "drop_netns", r->drop && r->drop->netns[0] ?
	       r->drop->netns : NULL);
	hj_str(&j, "drop_dev", r->drop && r->drop->dev[0] ?
	       r->drop->dev : NULL);
	hj_str(&j, "drop_hook", r->drop && r->drop->hook[0] ?
	       r->drop->hook : NULL);
	hj_str(&j, "listen_error", r->listen_err);
	hj_str(&j, "stack_drop_reason", r->stack_reason);
	hj_str(&j, "stack_drop_location", r->stack_location);
	/* exact mean nanoseconds, named as hdp sniff --json names them */
	if (r->has_latency)
		hj_i64(&j, "latency_ns", r->latency_ns);
	else
		hj_null(&j, "latency_ns");
	/* every packet, for --join and for scripts */
	fprintf(f, ",\"packets\":[");
	for (i = r->from; i < r->to; i++)
		json_pkt(f, &s->pkts[i], i == r->from);
	fputc(']', f);
	hj_end(&j);
}

/*
 * The summary: per method, the numbers of each verdict ("0-5,17,200"),
 * and under a verdict the numbers of each cause the kernel named: which
 * numbers a netfilter rule on this host dropped (and at which hook),
 * which had no listener, which stopped for another reason.
 */
#define NO_CAUSE (-1)

struct sum_tab {
	int  method;
	signed char v[256];        /* a number's verdict; -1: not swept  */
	short cause[256];          /* index into causes; NO_CAUSE        */
	char (*causes)[160];
	int  ncauses;
};

/* What the summary calls the cause of r's verdict. */
static void
cause_text(const struct row *r, char *out, size_t outlen)
{
	const struct pkt *p = r->drop;
	char where[160];

	drop_where(r, where, sizeof(where));
	if (r->reason == NULL)
		out[0] = '\0';
	else if (strcmp(r->reason, "NO_LISTENER") == 0)
		snprintf(out, outlen, "no listener");
	else if (strcmp(r->reason, "NETFILTER_DROP") == 0)
		snprintf(out, outlen, "dropped by a netfilter rule on this "
			 "host%s%.100s%s", where[0] ? " (" : "", where,
			 where[0] ? ")" : "");
	else
		snprintf(out, outlen, "kernel: %s at %.*s%s%s%s", r->reason,
			 (int)strcspn(r->location, "+"), r->location,
			 p != NULL && p->netns[0] ? " (netns " : "",
			 p != NULL ? p->netns : "",
			 p != NULL && p->netns[0] ? ")" : "");
}

static void
sum_row(const struct sweep *s, const struct row *r, void *arg)
{
	struct sum_tab *t = arg;
	char c[160];
	int i;

	(void)s;
	if (r->method != t->method ||
	    (t->v[r->proto] >= 0 && t->v[r->proto] <= (int)r->v))
		return;         /* the earliest layer of a number counts */
	t->v[r->proto] = (signed char)r->v;
	t->cause[r->proto] = NO_CAUSE;
	cause_text(r, c, sizeof(c));
	if (c[0] == '\0')
		return;
	for (i = 0; i < t->ncauses; i++)
		if (strcmp(t->causes[i], c) == 0)
			break;
	if (i == t->ncauses && t->ncauses < 256)
		scopy(t->causes[t->ncauses++], sizeof(t->causes[0]), c);
	if (i < t->ncauses)
		t->cause[r->proto] = (short)i;
}

/* "0-5,17,200": the numbers whose verdict is v (and cause, unless
 * cause is NO_CAUSE - 1: any); their count. */
static unsigned
sum_list(const struct sum_tab *t, int v, int cause, char *out,
	 size_t outlen)
{
	size_t l = 0;
	unsigned n = 0;
	int p, start = -1;

	out[0] = '\0';
	for (p = 0; p <= 256; p++) {
		int in = p < 256 && t->v[p] == v &&
			 (cause == NO_CAUSE - 1 || t->cause[p] == cause);

		if (in) {
			n++;
			if (start < 0)
				start = p;
			continue;
		}
		if (start >= 0 && l + 16 < outlen)
			l += (size_t)snprintf(out + l, outlen - l,
					      start == p - 1 ? "%s%d" :
					      "%s%d-%d", l ? "," : "", start,
					      p - 1);
		start = -1;
	}
	return n;
}

static void
print_summary(const struct sweep *s, FILE *f)
{
	char list[2048], line[2400];
	struct sum_tab t;
	unsigned n;
	int v, m, c;

	memset(&t, 0, sizeof(t));
	t.causes = calloc(256, sizeof(*t.causes));
	if (t.causes == NULL)
		return;
	for (m = 0; m < 2; m++) {
		if (!(s->methods & (1 << m)))
			continue;
		t.method = m;
		t.ncauses = 0;
		memset(t.v, -1, sizeof(t.v));
		for_rows(s, sum_row, &t);
		fflush(stdout);
		fprintf(f, "\nSummary (%s, %u packet%s per number):\n",
			method_names[m], s->count, s->count == 1 ? "" : "s");
		for (v = 0; v < V_COUNT; v++) {
			if ((n = sum_list(&t, v, NO_CAUSE - 1, list,
					  sizeof(list))) == 0)
				continue;
			fprintf(f, "- %s: %u (%s)\n", verdict_names[v], n,
				list);
			for (c = 0; c < t.ncauses; c++) {
				if (sum_list(&t, v, c, list,
					     sizeof(list)) == 0)
					continue;
				snprintf(line, sizeof(line), "  - %s: %s",
					 t.causes[c], list);
				fflush(f);
				put_line(line, 0);
			}
		}
	}
	free(t.causes);
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
	} else if (!s->wide) {
		printf("%-3s %-7s %-8s %-22s %s\n", "num", "method", "w/o/a/d",
		       "verdict", "drop reason");
		for_rows(s, print_row_short, NULL);
		printf("(w/o/a/d: packets written, on the wire, arrived, "
		       "delivered; -v: all columns)\n");
		print_summary(s, stdout);
	} else {
		printf("| Protocol Number | Source IP (Server) "
		       "| Byte Sum (Server) | Received (Server) "
		       "| Succeeded (Client) | Byte sum (Client) "
		       "| Failure reason (Client) | Time difference "
		       "| Method | Written | On wire | Arrived | Delivered "
		       "| Verdict | Drop reason |\n");
		printf("| --- | --- | --- | --- | --- | --- | --- | --- "
		       "| --- | --- | --- | --- | --- | --- | --- |\n");
		for_rows(s, print_row_wide, NULL);
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

/*
 * A small reader for the JSON lines we write ourselves.  It flattens one
 * object into "key" / "sub.key" = text pairs, except the elements of a
 * top-level "packets" array: each is flattened on its own and handed to
 * a callback at once (streamed), so a line of any number of packets
 * costs time in proportion to its length, and every lookup is in an
 * object of a few dozen keys.
 */
struct jkv {
	char key[48];
	char val[160];
	int  is_str;
};

struct jobj {
	struct jkv *kv;
	size_t n, cap;
	/* top-level "packets" elements go to elem(arg, one element) */
	struct jobj *sub;
	int (*elem)(void *arg, const struct jobj *el);
	void *arg;
	int elem_rc;
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

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The byte an escape after the backslash at p stands for; *adv is how
 * many characters it takes.  \uXXXX beyond ASCII becomes '?' (the
 * values we read are ASCII; the text output escapes the rest). */
static char
junescape(const char *p, size_t *adv)
{
	int i, v = 0, d;

	*adv = 1;
	switch (*p) {
	case 'n': return '\n';
	case 't': return '\t';
	case 'r': return '\r';
	case 'b': return '\b';
	case 'f': return '\f';
	case 'u':
		for (i = 1; i <= 4; i++) {
			if ((d = hexval(p[i])) < 0)
				return 'u';
			v = v * 16 + d;
		}
		*adv = 5;
		return v < 0x80 ? (char)v : '?';
	default: return *p;     /* \" \\ \/ and anything else as itself */
	}
}

/* A string, escapes decoded, cut to outlen - 1 bytes. */
static const char *
jstring(const char *p, char *out, size_t outlen, size_t *len)
{
	size_t n = 0, adv;
	char c;

	if (*p != '"')
		return NULL;
	for (p++; *p != '\0' && *p != '"'; p++) {
		c = *p;
		if (c == '\\' && p[1] != '\0') {
			c = junescape(p + 1, &adv);
			p += adv;
		}
		if (n + 1 < outlen)
			out[n++] = c;
	}
	if (*p != '"')
		return NULL;
	out[n] = '\0';
	*len = n;
	return p + 1;
}

/* The elements of a top-level "packets" array, one at a time. */
static const char *
jpackets(struct jobj *o, const char *p, int depth)
{
	p = jskip(p + 1);
	if (*p == ']')
		return p + 1;
	for (;;) {
		o->sub->n = 0;
		p = jvalue(o->sub, p, "", depth + 1);
		if (p == NULL)
			return NULL;
		if (o->elem_rc == 0)
			o->elem_rc = o->elem(o->arg, o->sub);
		p = jskip(p);
		if (*p == ']')
			return p + 1;
		if (*p != ',')
			return NULL;
		p++;
	}
}

static const char *
jcontainer(struct jobj *o, const char *p, const char *key, int depth)
{
	char sub[64], str[160];
	size_t len;
	int i, obj = *p == '{';

	p = jskip(p + 1);
	if (*p == (obj ? '}' : ']'))
		return p + 1;
	for (i = 0;; i++) {
		if (obj) {
			p = jstring(jskip(p), str, sizeof(str), &len);
			if (p == NULL || *(p = jskip(p)) != ':')
				return NULL;
			p++;
			snprintf(sub, sizeof(sub), "%.20s%s%.40s", key,
				 key[0] ? "." : "", str);
		} else {
			snprintf(sub, sizeof(sub), "%.40s.%d", key, i);
		}
		p = jskip(p);
		if (obj && depth == 0 && o->elem != NULL && *p == '[' &&
		    strcmp(sub, "packets") == 0)
			p = jpackets(o, p, depth + 1);
		else
			p = jvalue(o, p, sub, depth + 1);
		if (p == NULL)
			return NULL;
		p = jskip(p);
		if (*p == (obj ? '}' : ']'))
			return p + 1;
		if (*p != ',')
			return NULL;
		p++;
	}
}

static const char *
jvalue(struct jobj *o, const char *p, const char *key, int depth)
{
	char str[160];
	size_t len;
	const char *e;

	p = jskip(p);
	if (depth > 4)
		return NULL;
	if (*p == '{' || *p == '[')
		return jcontainer(o, p, key, depth);
	if (*p == '"') {
		e = jstring(p, str, sizeof(str), &len);
		if (e == NULL || jput(o, key, str, len, 1) != 0)
			return NULL;
		return e;
	}
	for (e = p; *e != '\0' && *e != ',' && *e != '}' && *e != ']' &&
	     *e != ' ' && *e != '\n' && *e != '\r' && *e != '\t'; e++)
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

/* What join_read hands each line's callback. */
struct jline {
	struct sweep *s;
	const char   *path;
	unsigned      lineno;
	size_t        first;   /* the line's first packet in s->pkts */
};

/* Read JSON lines from f (named path in messages); fn gets each parsed
 * object, elem (when not NULL) each element of its "packets" array as it
 * is read. */
static int
join_stream(FILE *f, const char *path,
	    int (*fn)(struct jline *, const struct jobj *),
	    int (*elem)(void *, const struct jobj *), struct sweep *s)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	struct jobj o, sub;
	struct jline jl = { s, path, 0, 0 };
	int rc = 0;

	memset(&o, 0, sizeof(o));
	memset(&sub, 0, sizeof(sub));
	o.sub = &sub;
	o.elem = elem;
	o.arg = &jl;
	while ((n = getline(&line, &cap, f)) > 0) {
		jl.lineno++;
		if (jskip(line)[0] == '\0')
			continue;
		o.n = 0;
		o.elem_rc = 0;
		jl.first = s->npkts;
		if (jvalue(&o, line, "", 0) == NULL) {
			tool_err("%s:%u: not a JSON object we can read", path,
				 jl.lineno);
			rc = HDP_EXIT_USAGE;
			break;
		}
		if ((rc = o.elem_rc) != 0 || (rc = fn(&jl, &o)) != 0)
			break;
	}
	free(o.kv);
	free(sub.kv);
	free(line);
	return rc;
}

/* The same for a file ("-": standard input). */
static int
join_read(const char *path, int (*fn)(struct jline *, const struct jobj *),
	  int (*elem)(void *, const struct jobj *), struct sweep *s)
{
	FILE *f;
	int rc;

	f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (f == NULL) {
		tool_errno("%s", path);
		return HDP_EXIT_ENV;
	}
	rc = join_stream(f, path, fn, elem, s);
	if (f != stdin)
		fclose(f);
	return rc;
}

/* One element of a sweep line's "packets": a packet of its row (the
 * row's number and method are set when the whole line is read). */
static int
join_tx_pkt(void *arg, const struct jobj *o)
{
	struct jline *jl = arg;
	struct pkt *p;
	const char *v, *ts_key;

	ts_key = jget(o, "hdp_ts_ns") != NULL ? "hdp_ts_ns" : "ts";
	if (jget(o, ts_key) == NULL)
		return 0;
	p = pkt_add(jl->s);
	if (p == NULL) {
		tool_err("out of memory");
		return HDP_EXIT_ENV;
	}
	p->ts = jnum(o, ts_key, 0);
	p->sport = (uint16_t)jnum(o, "sport", 0);
	p->dport = (uint16_t)jnum(o, "dport", 0);
	p->sent = (int)jnum(o, "sent", 0);
	p->err = (int)jnum(o, "errno", 0);
	v = jstr(o, "error");
	scopy(p->error, sizeof(p->error), v ? v : "");
	p->bytes = jnum(o, jget(o, "ip_len") != NULL ? "ip_len" : "bytes",
			0);
	p->on_wire = (int)jnum(o, "on_wire", 0);
	p->arrived = (int)jnum(o, "arrived", 0);
	p->delivered = (int)jnum(o, "delivered", 0);
	p->rx_time = jnum(o, "rx_time_ns", 0);
	p->rx_bytes = jnum(o, "rx_bytes", 0);
	v = jstr(o, "rx_src");
	scopy(p->rx_src, sizeof(p->rx_src), v ? v : "");
	v = jstr(o, "drop_reason");
	scopy(p->reason, sizeof(p->reason), v ? v : "");
	v = jstr(o, "drop_location");
	scopy(p->location, sizeof(p->location), v ? v : "");
	v = jstr(o, "drop_netns");
	scopy(p->netns, sizeof(p->netns), v ? v : "");
	v = jstr(o, "drop_dev");
	scopy(p->dev, sizeof(p->dev), v ? v : "");
	v = jstr(o, "drop_hook");
	scopy(p->hook, sizeof(p->hook), v ? v : "");
	p->reason_at_socket = (int)jnum(o, "drop_at_socket", 0);
	return 0;
}

static int
join_tx(struct jline *jl, const struct jobj *o)
{
	struct sweep *s = jl->s;
	const char *v;
	size_t i;
	unsigned pr;
	int m;

	if (jget(o, "proto") == NULL || jget(o, "verdict") == NULL) {
		tool_err("%s:%u: not a line of hdp sweep --json", jl->path,
			 jl->lineno);
		return HDP_EXIT_USAGE;
	}
	if (jl->first == 0 && s->dst_str[0] == '\0') {
		v = jstr(o, "dest");
		scopy(s->dst_str, sizeof(s->dst_str), v ? v : "");
		s->local = (int)jnum(o, "local", 0);
		s->known_arrival = s->local;
	}
	m = method_of(jstr(o, "method"));
	s->methods |= 1 << m;
	v = jstr(o, "listen_error");
	pr = (unsigned)jnum(o, "proto", 0) & 255;
	if (v != NULL && s->rx_err[pr] == NULL)
		s->rx_err[pr] = strdup(v);
	s->count = (unsigned)jnum(o, "count", 0);
	for (i = jl->first; i < s->npkts; i++) {
		s->pkts[i].proto = (uint8_t)pr;
		s->pkts[i].method = (uint8_t)m;
	}
	return 0;
}

static int
join_rx(struct jline *jl, const struct jobj *o)
{
	struct sweep *s = jl->s;
	const char *layer = jstr(o, "layer"), *src;
	struct pkt *p;

	if (layer == NULL) {
		tool_err("%s:%u: not a line of hdp listen --json", jl->path,
			 jl->lineno);
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
		if (tool_cap_status(err) != HDP_EXIT_PERM) {
			tool_err("libpcap: %s", err);
			return HDP_EXIT_ENV;
		}
		tool_err("libpcap: %s; needs root or CAP_NET_RAW and "
			 "CAP_NET_ADMIN", err);
		return HDP_EXIT_PERM;
	}
	tool_cap_warn(err);
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

/* ---- step 1: parse the options into struct sweep -------------------------- */

enum {
	OPT_JSON = 256, OPT_METHOD, OPT_SPORT, OPT_DPORT, OPT_WAIT,
	OPT_JOIN, OPT_FORCE, OPT_NODROPS, OPT_RXAT
};

/* parse_opts()'s "done, exit 0" (after --help) */
#define PARSE_DONE (-1)

static int
parse_method(struct sweep *s, const char *arg)
{
	if (strcmp(arg, "libnet") == 0)
		s->methods = 1;
	else if (strcmp(arg, "socket") == 0)
		s->methods = 2;
	else if (strcmp(arg, "both") == 0)
		s->methods = 3;
	else {
		tool_usage_err("--method '%s' is not libnet, socket or both",
			       arg);
		return -1;
	}
	return 0;
}

/* One option c with argument arg into s; -1 after a usage error (said). */
static int
parse_opt(struct sweep *s, int c, const char *arg)
{
	uint64_t v = 0;
	int r = 0;

	switch (c) {
	case 'P': s->protos = arg; break;
	case 'c': r = tool_opt_uint(arg, 1, MAX_COUNT, &v, "-c");
		s->count = (unsigned)v; break;
	case '4': s->want_family = AF_INET; break;
	case '6': s->want_family = AF_INET6; break;
	case 's': r = tool_opt_uint(arg, 0, MAX_PAYLOAD, &v, "-s");
		s->plen = (size_t)v; break;
	case 'o': s->outpath = arg; break;
	case 'Z': s->user = arg; break;
	case 'v': s->wide = 1; break;
	case OPT_JSON: s->json = 1; break;
	case OPT_METHOD: r = parse_method(s, arg); break;
	case OPT_SPORT: r = tool_opt_uint(arg, 0, 65535, &v, "--sport");
		s->sport = (uint16_t)v; break;
	case OPT_DPORT: r = tool_opt_uint(arg, 0, 65535, &v, "--dport");
		s->dport = (uint16_t)v; break;
	case OPT_WAIT: r = tool_opt_uint(arg, 0, 60000, &v, "--wait");
		s->wait_ms = (unsigned)v; break;
	case OPT_JOIN: s->join = 1; break;
	case OPT_FORCE: s->force = 1; break;
	case OPT_NODROPS: s->drops = 0; break;
	case OPT_RXAT: s->rx_at = arg; break;
	default: r = remote_cfg_opt(&s->rcfg, c, arg) < 0 ? -1 : 0; break;
	}
	return r;
}

/* The operands: DEST, or with --join the two files. */
static int
parse_operands(struct sweep *s, int argc, char **argv)
{
	char err[256];

	if (s->join) {
		if (argc - optind != 2)
			return tool_usage_err("--join needs TX.json and "
					      "RX.json");
		/* never a file silently not written */
		if (s->outpath != NULL)
			return tool_usage_err("-o: not with --join (-o keeps "
					      "a sweep's own results)");
		if (s->rx_at != NULL)
			return tool_usage_err("--rx-at: not with --join (it "
					      "joins the receiver by itself)");
		s->join_tx = argv[optind];
		s->join_rx = argv[optind + 1];
		return HDP_EXIT_OK;
	}
	if (argc - optind != 1)
		return tool_usage_err(argc == optind ?
				      "a destination is needed" :
				      "one destination only");
	s->dest = argv[optind];
	if (hdp_protoset_parse(s->protos, &s->set, err, sizeof(err)) != 0)
		return tool_usage_err("-P: %s", err);
	if (s->rx_at == NULL)
		return HDP_EXIT_OK;
	if (point_parse(s->rx_at, 0, &s->rx_pt) != 0)
		return HDP_EXIT_USAGE;
	if (s->rx_pt.kind != POINT_SSH)
		return tool_usage_err("--rx-at %s: not ssh://[USER@]HOST"
				      "[:PORT] (the receiver is another "
				      "host)", tool_safe(s->rx_at));
	return HDP_EXIT_OK;
}

/* The command line into s: HDP_EXIT_OK to go on, PARSE_DONE after
 * --help, or HDP_EXIT_USAGE (said). */
static int
parse_opts(struct sweep *s, int argc, char **argv)
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
		{ "wide",     no_argument,       NULL, 'v' },
		{ "user",     required_argument, NULL, 'Z' },
		{ "rx-at",    required_argument, NULL, OPT_RXAT },
		REMOTE_LONGOPTS,
		{ "help",     no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	s->protos = "all";
	s->rcfg.connect_timeout = 10;
	s->count = 3;
	s->methods = 1;
	s->wait_ms = 200;
	s->plen = 8;
	s->sport = s->dport = HDP_DEFAULT_PORT;
	s->drops = 1;
	s->want_family = AF_UNSPEC;
	optind = 0;	/* glibc: a fresh scan from argv[1] */
	while ((c = tool_getopt(argc, argv, "P:c:46s:o:Z:vh",
				longopts)) != -1) {
		if (c == '?')
			return HDP_EXIT_USAGE;
		if (c == 'h') {
			usage_sweep(stdout);
			return PARSE_DONE;
		}
		if (parse_opt(s, c, optarg) != 0)
			return HDP_EXIT_USAGE;
	}
	return parse_operands(s, argc, argv);
}

/* ---- step 2: open what the sweep needs -------------------------------------- */

/* DEST, its route (local or the egress interface) and the payload. */
static int
open_dest(struct sweep *s)
{
	struct hdp_route rt;
	char err[256];
	unsigned scope = 0;
	size_t i;
	int rc;

	if ((rc = tool_resolve(s->dest, s->want_family, &s->family, &s->dst,
			       &scope)) != HDP_EXIT_OK)
		return rc;
	hdp_addr_ntop(s->family, &s->dst, s->dst_str, sizeof(s->dst_str));
	if (hdp_route_get(s->family, &s->dst, scope, &rt, err,
			  sizeof(err)) != 0) {
		/* the message names the address: say it once */
		if (strstr(err, s->dest) != NULL)
			tool_err("%s", err);
		else
			tool_err("%s: %s", s->dest, err);
		return HDP_EXIT_ENV;
	}
	s->local = rt.type == RTN_LOCAL;
	s->known_arrival = s->local;
	s->egress = rt.oif;
	scopy(s->egress_name, sizeof(s->egress_name), rt.ifname);
	for (i = 0; i < s->plen; i++)
		s->payload[i] = (uint8_t)('a' + i % 26);
	return HDP_EXIT_OK;
}

/* -o FILE, made now (it may not exist without --force: bad usage, 2);
 * removed again when the sweep does not start. */
static int
open_output(struct sweep *s)
{
	char err[512];
	int rc;

	if (s->outpath == NULL)
		return HDP_EXIT_OK;
	s->jf = hdp_file_create_id(s->outpath, s->force, &s->jf_id, err,
				   sizeof(err));
	if (s->jf == NULL) {
		rc = HDP_FILE_REFUSED(errno) ? HDP_EXIT_USAGE : HDP_EXIT_ENV;
		tool_err("%s", err);
		return rc;
	}
	return HDP_EXIT_OK;
}

/*
 * --rx-at: the receiving half, hdp listen on the receiver, started (by a
 * keeper process, tool_half.h: ssh needs the privileges and the user's
 * keys this command gives up) and listening before the first packet.
 * A receiver that cannot be used is said in one line and the sweep goes
 * on: its side is then not observed.
 */
static void
open_receiver(struct sweep *s)
{
	char *argv[10];
	struct half_spec sp;
	int n = 0;

	argv[n++] = (char *)"hdp";
	argv[n++] = (char *)"listen";
	argv[n++] = (char *)"-P";
	argv[n++] = (char *)s->protos;
	argv[n++] = (char *)"--json";
	argv[n++] = (char *)(s->family == AF_INET6 ? "-6" : "-4");
	if (s->rx_pt.iface != NULL) {
		argv[n++] = (char *)"-i";
		argv[n++] = s->rx_pt.iface;
	}
	argv[n] = NULL;
	memset(&sp, 0, sizeof(sp));
	sp.argv = argv;
	sp.ready = "listening on";
	sp.timeout_ms = 15000;
	s->rx = half_start(&s->rcfg, &s->rx_pt, &sp);
	s->rx_failed = s->rx == NULL;
}

/* The drop reason reader first: its cleanup helper is forked before any
 * socket or capture exists, so it holds none of them.  Then the
 * listeners (a local DEST), the capture and the senders; then
 * privileges go: the drop reasons' reader's helper removes the tracefs
 * instance, so nothing more needs them. */
static int
open_sweep(struct sweep *s)
{
	char err[256];
	int rc;

	if ((rc = open_dest(s)) != HDP_EXIT_OK ||
	    (rc = open_output(s)) != HDP_EXIT_OK)
		return rc;
	if (s->rx_at != NULL && s->local) {
		tool_err("--rx-at: %s is this host: the sweep sees its "
			 "arrivals itself", s->dst_str);
		return HDP_EXIT_USAGE;
	}
	s->buf = malloc(RX_BUFLEN);
	if (s->buf == NULL) {
		tool_err("out of memory");
		return HDP_EXIT_ENV;
	}
	tool_catch_stop(NULL);
	s->progress = isatty(STDERR_FILENO);
	if (s->drops)
		s->dm = hdp_dropmon_open((int)getpid(), s->dm_err,
					 sizeof(s->dm_err));
	if (s->rx_at != NULL)
		open_receiver(s);
	if (s->local && (rc = open_listeners(s, &s->set)) != HDP_EXIT_OK)
		return rc;
	if ((rc = open_capture(s)) != HDP_EXIT_OK ||
	    (rc = open_senders(s, &s->set)) != HDP_EXIT_OK)
		return rc;
	if (hdp_drop_privileges(s->user, err, sizeof(err)) != 0) {
		tool_err("%s", err);
		return HDP_EXIT_PERM;
	}
	/* said only now: a sweep that does not start says one thing */
	if (s->drops && s->dm == NULL)
		tool_err("kernel drop reasons unavailable: %s", s->dm_err);
	return HDP_EXIT_OK;
}

/* ---- step 3: run: send everything, then let the captures settle ----------- */

/* The receiver was not observed (or only for part of the sweep): forget
 * what it said, so that no packet reads as arrived or not. */
static void
receiver_unseen(struct sweep *s)
{
	size_t i;

	s->rx_failed = 1;
	s->known_arrival = 0;
	for (i = 0; i < s->npkts; i++) {
		struct pkt *p = &s->pkts[i];

		p->arrived = p->delivered = 0;
		p->rx_time = 0;
		p->rx_bytes = 0;
		p->rx_src[0] = '\0';
	}
	for (i = 0; i < 256; i++) {
		free(s->rx_err[i]);
		s->rx_err[i] = NULL;
	}
}

/* --rx-at, after the settle interval: stop the receiver and join every
 * line it printed, as --join joins a file. */
static void
join_receiver(struct sweep *s)
{
	FILE *f;
	int rc = HDP_EXIT_ENV;

	half_stop(s->rx);
	if ((f = half_fdopen(s->rx, "r")) != NULL) {
		rc = join_stream(f, s->rx_at, join_rx, NULL, s);
		fclose(f);
	}
	if (half_finish(s->rx, 10000) != 0)
		rc = HDP_EXIT_ENV;
	s->rx = NULL;
	if (rc != 0)
		receiver_unseen(s);
	else
		s->known_arrival = 1;
}

static int
run_sweep(struct sweep *s)
{
	struct pcap_stat ps;
	size_t i;

	s->t0 = hdp_mono_ns();
	send_all(s, &s->set, s->sport, s->dport, s->payload, s->plen);
	if (hash_build(s) != 0) {
		tool_err("out of memory");
		return HDP_EXIT_ENV;
	}
	settle(s, s->wait_ms);
	if (s->rx != NULL)
		join_receiver(s);
	if (s->pcap != NULL && pcap_stats(s->pcap, &ps) == 0 &&
	    ps.ps_drop != 0)
		tool_err("warning: libpcap lost %u frames; some \"on wire\" "
			 "counts are low", ps.ps_drop);
	if (s->dm != NULL && hdp_dropmon_overruns(s->dm) != 0)
		tool_err("warning: the trace buffer overflowed; some drop "
			 "reasons are missing");
	/* a number nobody could listen on: say why in the drop reason */
	for (i = 0; i < s->npkts; i++) {
		struct pkt *p = &s->pkts[i];

		if (s->local && p->sent && !p->delivered &&
		    p->reason[0] == '\0' && s->rx_err[p->proto] != NULL) {
			snprintf(p->reason, sizeof(p->reason), "NO_LISTENER");
			scopy(p->location, sizeof(p->location),
			      s->rx_err[p->proto]);
		}
	}
	return HDP_EXIT_OK;
}

/* --join's run: the sweep's JSON, then the receiver's. */
static int
run_join(struct sweep *s)
{
	int rc;

	if ((rc = join_read(s->join_tx, join_tx, join_tx_pkt, s)) != 0)
		return rc;
	if (s->npkts == 0) {
		tool_err("%s: no sweep results in it", s->join_tx);
		return HDP_EXIT_USAGE;
	}
	if (hash_build(s) != 0) {
		tool_err("out of memory");
		return HDP_EXIT_ENV;
	}
	return join_read(s->join_rx, join_rx, NULL, s);
}

/* ---- step 4: report ---------------------------------------------------------- */

static int
report_sweep(struct sweep *s)
{
	int rc;

	if (s->join)
		return print_results(s, NULL, NULL);
	if (tool_stop)
		tool_err("interrupted: results so far");
	rc = print_results(s, s->jf, s->outpath);
	if (s->rx_failed) {
		/* said once at the failure; here what it means */
		if (!s->json)
			printf("(receiver %s: not observed)\n",
			       tool_safe(s->rx_at));
		rc = HDP_EXIT_ENV;
	}
	fprintf(stderr, "%s: %zu packets to %s (%s%s) in %.3f s\n",
		"hdp sweep", s->npkts, s->dst_str,
		s->local ? "local, via " : "egress ", s->egress_name,
		(double)(hdp_mono_ns() - s->t0) / 1e9);
	return tool_stop ? HDP_EXIT_FAIL : rc;
}

/* Close everything; the exit status from rc and -o's close.  started:
 * the sweep ran (else a -o file made by this run goes again). */
static int
close_sweep(struct sweep *s, int rc, int started)
{
	unsigned i;

	if (s->jf != NULL && fclose(s->jf) != 0 && rc == HDP_EXIT_OK) {
		tool_errno("%s", s->outpath);
		rc = HDP_EXIT_ENV;
	}
	if (s->jf != NULL && !started)
		(void)hdp_file_remove_created(s->outpath, &s->jf_id);
	if (s->rx != NULL)
		(void)half_finish(s->rx, 5000);
	point_free(&s->rx_pt);
	remote_cfg_free(&s->rcfg);
	hdp_dropmon_close(s->dm);
	if (s->pcap != NULL)
		pcap_close(s->pcap);
	hdp_tx_close(s->tx);
	for (i = 0; i < 256; i++) {
		if (s->rx_fd[i] >= 0)
			close(s->rx_fd[i]);
		if (s->tx_fd[i] >= 0)
			close(s->tx_fd[i]);
		free(s->rx_err[i]);
	}
	free(s->pkts);
	free(s->hash);
	free(s->buf);
	return rc;
}

int
cmd_sweep(int argc, char **argv)
{
	struct sweep s;
	unsigned i;
	int rc, started = 0;

	memset(&s, 0, sizeof(s));
	hdp_hsecret_init(&hash_secret);
	for (i = 0; i < 256; i++)
		s.rx_fd[i] = s.tx_fd[i] = -1;
	rc = parse_opts(&s, argc, argv);
	if (rc == PARSE_DONE || (rc == HDP_EXIT_OK && tool_parse_only)) {
		rc = HDP_EXIT_OK;
		goto out;
	}
	if (rc != HDP_EXIT_OK)
		goto out;
	rc = s.join ? run_join(&s) : open_sweep(&s);
	if (rc == HDP_EXIT_OK && !s.join)
		rc = run_sweep(&s);
	started = rc == HDP_EXIT_OK;
	if (started)
		rc = report_sweep(&s);
out:
	return close_sweep(&s, rc, started);
}
