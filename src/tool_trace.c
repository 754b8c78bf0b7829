/*
 * tool_trace.c: hdp trace: walk the path by TTL (hop limit) with HDP and,
 * side by side on the same path, UDP, TCP SYN and ICMP echo probes; name
 * the hop after which HDP vanishes and what the hops changed in it.
 *
 * Every TTL of every protocol is sent at once, with the flow fields
 * (addresses, protocol, ports, ICMP id, IPv6 flow label) the same for
 * all probes of one protocol, so load balancers keep them on one path and
 * the whole walk takes one round trip plus the wait.  A second round of
 * the same probes follows at once: a stateful middlebox that lets only the
 * first packet of a flow through shows itself by answering differently.
 *
 * libpcap listens for ICMP/ICMPv6 time-exceeded and unreachable errors
 * and for the destination's own answers.  An error is matched to its probe
 * through the quoted IP header and the quoted transport bytes: the
 * protocol and ports (HDP: ports and the high half of the timestamp, the
 * first 8 bytes every router must quote), then the probe's index from the
 * IPv4 identification, the TCP sequence number, or a marker in the
 * payload when the quote holds it (IPv6 routers quote the whole probe).
 * What the quote holds that differs from what was sent (DSCP, ECN,
 * source address, length, payload, a TTL that is not what it should be)
 * is reported at the first hop whose quote shows it, as tracebox does.
 *
 * Routers that translate addresses restore the quotes they forward
 * (Linux does), so a NAT is invisible from the sender; --rx-netns adds a
 * capture where the probes arrive (a network namespace on this host) and
 * reports what they look like there.  --drop-reasons asks the kernel
 * (skb:kfree_skb, hdp_dropmon.h) why probes it dropped on this host,
 * namespaces included, were dropped.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hdp.h"
#include "hdp_build.h"
#include "hdp_capture.h"
#include "hdp_dropmon.h"
#include "hdp_file.h"
#include "hdp_json.h"
#include "hdp_match.h"
#include "tool.h"

enum kind { K_HDP = 0, K_UDP, K_TCP, K_ICMP, K_N };

static const char *const kind_name[K_N] = { "HDP", "UDP", "TCP", "ICMP" };
static const char *const kind_json[K_N] = { "hdp", "udp", "tcp", "icmp" };

#define MAX_TTL      255
#define ROUNDS       2
#define MARK_LEN     16
#define SENT_L4_MAX  64
#define MAX_CHG      8

/* the marker every probe payload starts with */
static const uint8_t mark_magic[4] = { 'H', 'D', 'P', 't' };

/* What a reply (or an arrival) showed. */
struct seen {
	int      got;
	uint64_t t_ns;           /* capture time                          */
	union hdp_addr from;     /* who answered (arrival: the dst)       */
	uint8_t  type, code;     /* ICMP type and code; 0 for others      */
	enum hdp_icmp_kind ekind;
	int      reached;        /* the destination itself answered       */
	const char *what;        /* "time-exceeded", "echo-reply", ...     */
	/* the probe as the answerer saw it (quote or arrival) */
	int      has_pkt;
	uint8_t  tos, ttl;
	union hdp_addr src, dst;
	uint32_t ip_len;
	int      has_sport;
	uint16_t sport;
	int      payload_cmp;    /* 1 same, 0 differs, -1 not in the quote */
	unsigned dups;
};

struct probe {
	int      sent;           /* 1 written, -1 failed                  */
	uint64_t sent_ns;
	uint64_t ts_ns;          /* HDP timestamp                          */
	uint16_t ip_id;
	uint32_t tcp_seq;
	uint32_t ip_len;
	uint8_t  l4[SENT_L4_MAX];/* the transport bytes sent              */
	size_t   l4_len;
	struct seen r;           /* reply                                 */
	struct seen a;           /* arrival (--rx-netns)                  */
	char     drop[128];      /* kernel drop reason (--drop-reasons)   */
};

struct change {
	char field[10];
	char sent[48], seen[48];
	int  numeric;
};

/* Per protocol, after the replies are in. */
struct verdict {
	int reached[ROUNDS];
	int dest_ttl[ROUNDS];    /* lowest TTL the destination answered   */
	int last_ttl[ROUNDS];    /* highest TTL answered (or dest_ttl)     */
	int reached_all;
	int last_ttl_final;
	int last_round;          /* the round last_ttl_final comes from   */
	int stateful;
	int first_round;         /* the round whose first packet went on  */
	int stopped_ttl;         /* an unreachable from a router           */
	int arrived;             /* seen by the --rx-netns capture         */
	int arrival_ttl;
};

struct trace {
	int      family;
	union hdp_addr dst, src;
	char     dst_str[INET6_ADDRSTRLEN], src_str[INET6_ADDRSTRLEN];
	const char *dest_arg;
	int      first_ttl, max_ttl;
	unsigned wait_ms;
	int      kinds[K_N];
	uint8_t  hdp_proto;
	uint16_t hdp_sport, hdp_dport, udp_sport, udp_dport;
	uint16_t tcp_sport, tcp_dport, icmp_id;
	uint8_t  tos;
	uint32_t run_id;
	uint16_t id_base;
	uint32_t seq_base;
	int      json;
	const char *rx_netns;
	int      drop_reasons;
	const char *user;
	struct probe *pr;        /* [ROUNDS][K_N][MAX_TTL + 1]            */
	struct verdict v[K_N];
	pcap_t  *cap, *rxcap;
	int      dlt, rxdlt;
	struct hdp_dropmon *dm;
	uint64_t t_start, t_last_send, t_end;
	unsigned replies, unmatched;
};

void
usage_trace(FILE *out)
{
	fprintf(out,
"usage: hdp trace [-4|-6] [-f FIRST_TTL] [-m MAX_TTL] [-w SECONDS]\n"
"                 [-P PROTO] [--probes hdp,udp,tcp,icmp] [--sport N]\n"
"                 [--dport N] [--udp-port N] [--tcp-port N] [--tos N]\n"
"                 [--rx-netns NAME] [--drop-reasons] [-Z USER] [--json]\n"
"                 DEST\n"
"\n"
"Walk the path to DEST hop by hop (TTL / hop limit) with HDP and, side by\n"
"side, UDP, TCP SYN and ICMP echo probes.  Every TTL is probed at once\n"
"with the same flow fields, twice (the second round shows stateful\n"
"middleboxes that pass only a flow's first packet), so a trace takes one\n"
"round trip plus the wait.  Per hop: who answered and the RTT of each\n"
"protocol; for HDP the hop after which it vanishes, and what each hop\n"
"changed in it, read from the quotes in ICMP errors (DSCP, ECN, source\n"
"address, length, payload, TTL), reported at the first hop that shows it.\n"
"\n"
"  -4, -6            use IPv4 or IPv6 for a host name\n"
"  -f N              first TTL (default 1)\n"
"  -m N              last TTL (default 30)\n"
"  -w SECONDS        wait after the last probe (default 2; decimals ok)\n"
"  -P N              protocol number of the HDP probes (default 255)\n"
"  --probes LIST     which probes (default hdp,udp,tcp,icmp)\n"
"  --sport, --dport  HDP ports (default 420, 420)\n"
"  --udp-port N      UDP destination port (default 33434)\n"
"  --tcp-port N      TCP destination port (default 80)\n"
"  --tos N           TOS / traffic class to send (default 0)\n"
"  --rx-netns NAME   also capture where the probes arrive, in network\n"
"                    namespace NAME (ip netns), and report what arrived\n"
"                    (a NAT restores the quotes it forwards, so only the\n"
"                    arrival shows the translated source)\n"
"  --drop-reasons    ask the kernel why it dropped probes on this host\n"
"                    (namespaces included): skb:kfree_skb in tracefs\n"
"  -Z, --user USER   user to run as once sockets are open (default nobody)\n"
"  --json            one object per protocol and hop, then one summary\n"
"                    object per protocol (JSON lines)\n"
"\n"
"Exit status: 0 every protocol reached DEST; 1 some did not; 2 bad usage;\n"
"3 no privileges (raw sockets need root or CAP_NET_RAW); 4 the system\n"
"refused.\n");
}

/* ---- small helpers ------------------------------------------------------ */

/* The probe's index in t->pr, also its drop monitor tag. */
static size_t
probe_index(int round, int k, int ttl)
{
	return ((size_t)round * K_N + (size_t)k) * (MAX_TTL + 1) +
	       (size_t)ttl;
}

static struct probe *
probe_at(struct trace *t, int round, int k, int ttl)
{
	return &t->pr[probe_index(round, k, ttl)];
}

static int
addr_eq(int family, const union hdp_addr *a, const union hdp_addr *b)
{
	return memcmp(a, b, family == AF_INET6 ? 16 : 4) == 0;
}

static void
addr_str(int family, const union hdp_addr *a, char *buf, size_t len)
{
	if (inet_ntop(family, a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
}

static uint8_t
kind_proto(const struct trace *t, int k)
{
	switch (k) {
	case K_HDP: return t->hdp_proto;
	case K_UDP: return 17;
	case K_TCP: return 6;
	default:    return t->family == AF_INET6 ? 58 : 1;
	}
}

/* Offset of the marker in a probe's transport bytes; -1 for TCP. */
static int
mark_off(int k)
{
	switch (k) {
	case K_HDP:  return HDP_HDR_LEN;
	case K_UDP:  return 8 + HDP_HDR_LEN;
	case K_ICMP: return 8;
	default:     return -1;
	}
}

/* round and ttl from the marker at p (n bytes), or -1. */
static int
read_mark(const struct trace *t, const uint8_t *p, size_t n, int k,
	  int *round, int *ttl)
{
	if (n < MARK_LEN || memcmp(p, mark_magic, 4) != 0 ||
	    hdp_rd32(p + 4) != t->run_id || p[8] != k || p[9] >= ROUNDS)
		return -1;
	*round = p[9];
	*ttl = p[10];
	return 0;
}

/* round and ttl from an index value (IP ID or TCP sequence offset). */
static int
split_index(const struct trace *t, uint32_t idx, int *round, int *ttl)
{
	if ((idx >> 8) >= ROUNDS)
		return -1;
	*round = (int)(idx >> 8);
	*ttl = (int)(idx & 0xff);
	return *ttl >= t->first_ttl && *ttl <= t->max_ttl ? 0 : -1;
}

/* ---- sending ------------------------------------------------------------ */

/* The flow fields and identity of one probe. */
static void
probe_spec(const struct trace *t, int round, int k, int ttl,
	   uint8_t mark[MARK_LEN], struct hdp_pkt_spec *s)
{
	uint32_t idx = (uint32_t)(round << 8 | ttl);

	memset(mark, 0, MARK_LEN);
	memcpy(mark, mark_magic, 4);
	mark[4] = (uint8_t)(t->run_id >> 24);
	mark[5] = (uint8_t)(t->run_id >> 16);
	mark[6] = (uint8_t)(t->run_id >> 8);
	mark[7] = (uint8_t)t->run_id;
	mark[8] = (uint8_t)k;
	mark[9] = (uint8_t)round;
	mark[10] = (uint8_t)ttl;

	memset(s, 0, sizeof(*s));
	s->family = t->family;
	s->dst = t->dst;
	s->src = t->src;
	s->has_src = 1;
	s->ttl = (uint8_t)ttl;
	s->tos = t->tos;
	s->ip_id = (uint16_t)(t->id_base + idx);
	s->payload = mark;
	s->payload_len = MARK_LEN;
	s->proto = kind_proto(t, k);
	switch (k) {
	case K_HDP:
		s->l4 = HDP_L4_HDP;
		s->sport = t->hdp_sport;
		s->dport = t->hdp_dport;
		break;
	case K_UDP:
		s->l4 = HDP_L4_UDP;
		s->sport = t->udp_sport;
		s->dport = t->udp_dport;
		break;
	case K_TCP:
		s->l4 = HDP_L4_TCP_SYN;
		s->sport = t->tcp_sport;
		s->dport = t->tcp_dport;
		s->tcp_seq = t->seq_base + idx;
		s->payload = NULL;
		s->payload_len = 0;
		break;
	default:
		s->l4 = HDP_L4_ICMP_ECHO;
		s->sport = t->icmp_id;
		s->dport = 1;
		break;
	}
}

/* Build and write one probe; 0, or -1 when it could not be sent (said). */
static int
send_one(struct trace *t, struct hdp_tx *tx, int round, int k, int ttl)
{
	struct probe *p = probe_at(t, round, k, ttl);
	struct hdp_pkt_spec s;
	struct hdp_tx_result r;
	struct hdp_frame f;
	uint8_t mark[MARK_LEN];
	char err[256];
	const uint8_t *fr;
	size_t flen;
	int dlt;

	probe_spec(t, round, k, ttl, mark, &s);
	p->ip_id = s.ip_id;
	p->tcp_seq = s.tcp_seq;
	p->sent = -1;
	if (hdp_tx_build(tx, &s, err, sizeof(err)) != 0) {
		tool_err("%s probe ttl %d: %s", kind_name[k], ttl, err);
		return -1;
	}
	if (t->dm != NULL)
		hdp_dropmon_mark(t->dm, (long)probe_index(round, k, ttl));
	if (hdp_tx_write(tx, &r) != 0) {
		tool_err("%s probe ttl %d: %s", kind_name[k], ttl, r.error);
		return -1;
	}
	p->sent = 1;
	p->sent_ns = r.time_ns;
	p->ts_ns = r.hdp_ts_ns;
	p->ip_len = (uint32_t)r.bytes;
	/* keep the transport bytes sent, to compare quotes with */
	if (hdp_tx_frame(tx, &fr, &flen, &dlt) == 0) {
		hdp_decode_frame(dlt, fr, flen, flen, &f);
		if (f.l4_off > 0 && f.l4_off < flen) {
			p->l4_len = flen - f.l4_off;
			if (p->l4_len > SENT_L4_MAX)
				p->l4_len = SENT_L4_MAX;
			memcpy(p->l4, fr + f.l4_off, p->l4_len);
		}
	}
	return 0;
}

/* Every TTL of every protocol, then the same again (round 2); returns
 * how many probes could not be sent. */
static int
send_probes(struct trace *t, struct hdp_tx *tx[K_N])
{
	int round, ttl, k, failed = 0;

	for (round = 0; round < ROUNDS; round++)
		for (ttl = t->first_ttl; ttl <= t->max_ttl; ttl++)
			for (k = 0; k < K_N; k++)
				if (t->kinds[k] && !tool_stop &&
				    send_one(t, tx[k], round, k, ttl) != 0)
					failed++;
	return failed;
}

/* ---- matching what comes back ------------------------------------------- */

/* Find the probe a quoted or arriving packet (frame g, transport bytes
 * l4/n) belongs to: its kind, round and TTL.  -1 when it is not ours. */
static int
identify(struct trace *t, const struct hdp_frame *g, const uint8_t *l4,
	 size_t n, int *kind, int *round, int *ttl)
{
	int k, mo;

	for (k = 0; k < K_N; k++)
		if (t->kinds[k] && g->proto == kind_proto(t, k))
			break;
	if (k == K_N || n < 4)
		return -1;
	switch (k) {
	case K_HDP:
		if (hdp_rd16(l4 + 2) != t->hdp_dport)
			return -1;
		break;
	case K_UDP:
		if (hdp_rd16(l4 + 2) != t->udp_dport)
			return -1;
		break;
	case K_TCP:
		if (hdp_rd16(l4 + 2) != t->tcp_dport)
			return -1;
		break;
	default:
		if (n < 6 || (l4[0] != 8 && l4[0] != 128) ||
		    hdp_rd16(l4 + 4) != t->icmp_id)
			return -1;
		break;
	}
	*kind = k;
	mo = mark_off(k);
	if (mo >= 0 && n >= (size_t)mo + MARK_LEN &&
	    read_mark(t, l4 + mo, n - (size_t)mo, k, round, ttl) == 0)
		return 0;
	if (k == K_TCP && n >= 8)
		return split_index(t, hdp_rd32(l4 + 4) - t->seq_base, round,
				   ttl);
	if (g->ip_version == 4)
		return split_index(t, (uint16_t)(g->ip_id - t->id_base),
				   round, ttl);
	return -1;
}

/* Compare the transport payload in the quote (or arrival) with what was
 * sent: 1 same, 0 differs, -1 not there to compare. */
static int
payload_cmp(const struct probe *p, int k, const uint8_t *l4, size_t n)
{
	int mo = mark_off(k);
	size_t m;

	if (mo < 0 || p->l4_len <= (size_t)mo || n <= (size_t)mo)
		return -1;
	m = n < p->l4_len ? n : p->l4_len;
	return memcmp(l4 + mo, p->l4 + mo, m - (size_t)mo) == 0;
}

static void
record_pkt(struct seen *s, const struct hdp_frame *g, const uint8_t *l4,
	   size_t n, int k, const struct probe *p)
{
	s->has_pkt = 1;
	s->tos = g->tos;
	s->ttl = g->ttl;
	s->src = g->src;
	s->dst = g->dst;
	s->ip_len = g->ip_len;
	if (k != K_ICMP && n >= 2) {
		s->has_sport = 1;
		s->sport = hdp_rd16(l4);
	}
	s->payload_cmp = payload_cmp(p, k, l4, n);
}

static void
on_reply(struct trace *t, const struct pcap_pkthdr *h, const uint8_t *pkt)
{
	struct hdp_frame f;
	struct hdp_icmp_err e;
	struct probe *p;
	struct seen *s;
	uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000000ULL +
		      (uint64_t)h->ts.tv_usec;
	int k, round, ttl, v6 = t->family == AF_INET6;
	const uint8_t *l4;
	size_t n;

	hdp_decode_frame(t->dlt, pkt, h->caplen, h->len, &f);
	if (f.ip_version != (v6 ? 6 : 4) || !f.ip_fixed ||
	    !addr_eq(t->family, &f.dst, &t->src))
		return;
	if (hdp_icmp_error_parse(&f, pkt, h->caplen, &e) == 0) {
		if (e.l4 == NULL || !addr_eq(t->family, &e.inner.dst, &t->dst))
			return;
		if (identify(t, &e.inner, e.l4, e.l4_len, &k, &round, &ttl))
			goto unmatched;
		p = probe_at(t, round, k, ttl);
		if (p->sent != 1)
			goto unmatched;
		/* HDP: the quoted timestamp's high half must be the probe's */
		if (k == K_HDP && e.l4_len >= 8 &&
		    hdp_rd32(e.l4 + 4) != (uint32_t)(p->ts_ns >> 32))
			goto unmatched;
		s = &p->r;
		if (s->got) {
			s->dups++;
			return;
		}
		s->got = 1;
		s->t_ns = ts;
		s->from = f.src;
		s->type = e.type;
		s->code = e.code;
		s->ekind = e.kind;
		s->what = hdp_icmp_err_name(t->family, e.type, e.code);
		s->reached = addr_eq(t->family, &f.src, &t->dst);
		record_pkt(s, &e.inner, e.l4, e.l4_len, k, p);
		t->replies++;
		return;
	}
	if (!addr_eq(t->family, &f.src, &t->dst) || f.l4_off == 0 ||
	    f.l4_off > h->caplen)
		return;
	l4 = pkt + f.l4_off;
	n = f.l4_caplen;
	round = -1;
	ttl = -1;
	k = -1;
	if (t->kinds[K_ICMP] && f.proto == kind_proto(t, K_ICMP) && n >= 8 &&
	    (l4[0] == 0 || l4[0] == 129) && hdp_rd16(l4 + 4) == t->icmp_id) {
		k = K_ICMP;
		if (read_mark(t, l4 + 8, n - 8, k, &round, &ttl) != 0)
			goto unmatched;
		s = &probe_at(t, round, k, ttl)->r;
		s->what = "echo-reply";
	} else if (t->kinds[K_TCP] && f.proto == 6 && n >= 14 &&
		   hdp_rd16(l4) == t->tcp_dport &&
		   hdp_rd16(l4 + 2) == t->tcp_sport &&
		   (l4[13] & 0x14) != 0) {	/* RST or ACK */
		k = K_TCP;
		if (split_index(t, hdp_rd32(l4 + 8) - 1 - t->seq_base, &round,
				&ttl) != 0)
			goto unmatched;
		s = &probe_at(t, round, k, ttl)->r;
		s->what = (l4[13] & 0x04) ? "tcp-rst" : "tcp-synack";
	} else if (t->kinds[K_HDP] && f.proto == t->hdp_proto && f.has_hdp &&
		   f.hdp.dport == t->hdp_sport) {
		/* an HDP echo (hdp listen --echo): the timestamp is kept */
		k = K_HDP;
		for (round = 0; round < ROUNDS && ttl < 0; round++)
			for (ttl = t->first_ttl; ttl <= t->max_ttl; ttl++)
				if (probe_at(t, round, k, ttl)->ts_ns ==
				    f.hdp.ts_ns)
					break;
		round--;
		if (ttl > t->max_ttl || ttl < 0)
			goto unmatched;
		s = &probe_at(t, round, k, ttl)->r;
		s->what = "hdp-echo";
	} else {
		return;
	}
	if (probe_at(t, round, k, ttl)->sent != 1)
		goto unmatched;
	if (s->got) {
		s->dups++;
		return;
	}
	s->got = 1;
	s->t_ns = ts;
	s->from = f.src;
	s->reached = 1;
	t->replies++;
	return;
unmatched:
	t->unmatched++;
}

static void
on_arrival(struct trace *t, const struct pcap_pkthdr *h, const uint8_t *pkt)
{
	struct hdp_frame f;
	struct probe *p;
	int k, round, ttl;

	hdp_decode_frame(t->rxdlt, pkt, h->caplen, h->len, &f);
	if (f.ip_version != (t->family == AF_INET6 ? 6 : 4) || !f.ip_fixed ||
	    f.l4_off == 0 || f.l4_off > h->caplen ||
	    !addr_eq(t->family, &f.dst, &t->dst))
		return;
	if (f.direction == HDP_DIR_OUT)
		return;
	if (identify(t, &f, pkt + f.l4_off, f.l4_caplen, &k, &round, &ttl))
		return;
	p = probe_at(t, round, k, ttl);
	if (p->sent != 1 || p->a.got)
		return;
	p->a.got = 1;
	p->a.t_ns = (uint64_t)h->ts.tv_sec * 1000000000ULL +
		    (uint64_t)h->ts.tv_usec;
	p->a.from = f.dst;
	p->a.reached = 1;
	p->a.what = "arrival";
	record_pkt(&p->a, &f, pkt + f.l4_off, f.l4_caplen, k, p);
}

static void
reply_cb(u_char *arg, const struct pcap_pkthdr *h, const u_char *pkt)
{
	on_reply((struct trace *)arg, h, pkt);
}

static void
arrival_cb(u_char *arg, const struct pcap_pkthdr *h, const u_char *pkt)
{
	on_arrival((struct trace *)arg, h, pkt);
}

static void
drop_cb(const struct hdp_drop *d, void *arg)
{
	struct trace *t = arg;
	size_t n = (size_t)ROUNDS * K_N * (MAX_TTL + 1);
	struct probe *p;

	if (d->tag < 0 || (size_t)d->tag >= n || d->at_socket)
		return;
	if (strcmp(d->reason, "NO_SOCKET") == 0 ||
	    strcmp(d->reason, "NOT_SPECIFIED") == 0)
		return;		/* replies nobody listens to, not probes */
	p = &t->pr[d->tag];
	if (p->drop[0] == '\0')
		snprintf(p->drop, sizeof(p->drop), "%s at %s", d->reason,
			 d->location);
}

/* 1 when every protocol has what it needs: the destination answered and
 * every TTL below it too, in every round. */
static int
all_done(struct trace *t)
{
	int k, round, ttl, d;

	for (k = 0; k < K_N; k++) {
		if (!t->kinds[k])
			continue;
		for (round = 0; round < ROUNDS; round++) {
			d = -1;
			for (ttl = t->first_ttl; ttl <= t->max_ttl; ttl++) {
				struct probe *p = probe_at(t, round, k, ttl);

				if (p->r.got && p->r.reached) {
					d = ttl;
					break;
				}
				if (!p->r.got && p->sent == 1)
					return 0;
			}
			if (d < 0)
				return 0;
		}
	}
	return 1;
}

static int
collect(struct trace *t)
{
	struct pollfd pfd[2];
	uint64_t deadline = t->t_last_send + (uint64_t)t->wait_ms * 1000000ULL;
	int nfd = 0, rc;

	pfd[nfd].fd = pcap_get_selectable_fd(t->cap);
	pfd[nfd++].events = POLLIN;
	if (t->rxcap != NULL) {
		pfd[nfd].fd = pcap_get_selectable_fd(t->rxcap);
		pfd[nfd++].events = POLLIN;
	}
	for (;;) {
		uint64_t now = hdp_mono_ns();
		int ms;

		while ((rc = pcap_dispatch(t->cap, -1, reply_cb,
					   (u_char *)t)) > 0)
			;
		if (rc == PCAP_ERROR) {
			tool_err("capture: %s", pcap_geterr(t->cap));
			return -1;
		}
		if (t->rxcap != NULL)
			while (pcap_dispatch(t->rxcap, -1, arrival_cb,
					     (u_char *)t) > 0)
				;
		if (tool_stop || now >= deadline ||
		    (t->rxcap == NULL && all_done(t)))
			break;
		ms = (int)((deadline - now) / 1000000ULL) + 1;
		if (ms > 20)
			ms = 20;
		if (poll(pfd, (nfds_t)nfd, ms) < 0 && errno != EINTR) {
			tool_errno("poll");
			return -1;
		}
	}
	if (t->rxcap != NULL && all_done(t) == 0) {
		/* nothing more */
	}
	return 0;
}

/* ---- verdicts ------------------------------------------------------------ */

/*
 * From the two rounds to one verdict.  Rounds that agree: that is it.
 * Rounds that disagree because exactly one probe of the flow got further
 * than the rest (the first one a stateful filter let through): the flow
 * vanishes where the rest stop.  Rounds that disagree otherwise (probes
 * lost on the way, a neighbour queue overflowing): the better round.
 */
static void
decide(struct trace *t, int k, struct verdict *v)
{
	int round, ttl, worst = 0, best = 0, beyond = 0;

	for (round = 1; round < ROUNDS; round++) {
		if (v->reached[round] != v->reached[best] ?
		    v->reached[round] :
		    v->last_ttl[round] > v->last_ttl[best])
			best = round;
		if (v->reached[round] != v->reached[worst] ?
		    !v->reached[round] :
		    v->last_ttl[round] < v->last_ttl[worst])
			worst = round;
	}
	v->reached_all = v->reached[best];
	v->last_ttl_final = v->last_ttl[best];
	v->last_round = best;
	if (v->reached[worst] == v->reached[best] &&
	    v->last_ttl[worst] == v->last_ttl[best])
		return;
	if (v->reached[worst])
		return;		/* all reached, at different TTLs */
	for (round = 0; round < ROUNDS; round++)
		for (ttl = v->last_ttl[worst] + 1; ttl <= t->max_ttl; ttl++)
			if (ttl >= t->first_ttl &&
			    probe_at(t, round, k, ttl)->r.got)
				beyond++;
	if (beyond == 1) {
		v->stateful = 1;
		v->reached_all = 0;
		v->last_ttl_final = v->last_ttl[worst];
		v->last_round = worst;
		v->first_round = best;
	}
}

static void
judge(struct trace *t)
{
	int k, round, ttl;

	for (k = 0; k < K_N; k++) {
		struct verdict *v = &t->v[k];

		memset(v, 0, sizeof(*v));
		if (!t->kinds[k])
			continue;
		v->stopped_ttl = 0;
		for (round = 0; round < ROUNDS; round++) {
			v->dest_ttl[round] = 0;
			v->last_ttl[round] = 0;
			for (ttl = t->first_ttl; ttl <= t->max_ttl; ttl++) {
				struct probe *p = probe_at(t, round, k, ttl);

				if (p->a.got && !v->arrived) {
					v->arrived = 1;
					v->arrival_ttl = ttl;
				}
				if (!p->r.got)
					continue;
				if (p->r.reached) {
					if (!v->dest_ttl[round])
						v->dest_ttl[round] = ttl;
				} else if (p->r.ekind == HDP_ICMP_UNREACH ||
					   p->r.ekind == HDP_ICMP_PARAM) {
					if (!v->stopped_ttl)
						v->stopped_ttl = ttl;
				}
				if (!v->dest_ttl[round])
					v->last_ttl[round] = ttl;
			}
			v->reached[round] = v->dest_ttl[round] != 0;
			if (v->reached[round])
				v->last_ttl[round] = v->dest_ttl[round];
		}
		decide(t, k, v);
	}
}

/* The responder of kind k at ttl, from the given round or, when that is
 * silent, any round. */
static const struct seen *
reply_at(struct trace *t, int k, int ttl, int round)
{
	int r;

	if (probe_at(t, round, k, ttl)->r.got)
		return &probe_at(t, round, k, ttl)->r;
	for (r = 0; r < ROUNDS; r++)
		if (probe_at(t, r, k, ttl)->r.got)
			return &probe_at(t, r, k, ttl)->r;
	return NULL;
}

/*
 * What the packet seen (quote or arrival) differs in from what was sent.
 * expect_ttl: the TTL the packet should show there, or -1 when unknown.
 */
static int
diff_sent(struct trace *t, const struct probe *p, const struct seen *s,
	  int k, int expect_ttl, struct change *c, int max)
{
	int n = 0;

#define CHG(f, fmt_s, fmt_n, num) do { \
	if (n < max) { \
		snprintf(c[n].field, sizeof(c[n].field), "%s", f); \
		snprintf(c[n].sent, sizeof(c[n].sent), "%s", fmt_s); \
		snprintf(c[n].seen, sizeof(c[n].seen), "%s", fmt_n); \
		c[n].numeric = num; n++; \
	} } while (0)
	char a[48], b[48];

	(void)k;
	if (!s->has_pkt)
		return 0;
	if ((s->tos >> 2) != (t->tos >> 2)) {
		snprintf(a, sizeof(a), "%u", t->tos >> 2);
		snprintf(b, sizeof(b), "%u", s->tos >> 2);
		CHG("dscp", a, b, 1);
	}
	if ((s->tos & 3) != (t->tos & 3)) {
		snprintf(a, sizeof(a), "%u", t->tos & 3);
		snprintf(b, sizeof(b), "%u", s->tos & 3);
		CHG("ecn", a, b, 1);
	}
	if (!addr_eq(t->family, &s->src, &t->src)) {
		addr_str(t->family, &s->src, b, sizeof(b));
		CHG("src", t->src_str, b, 0);
	}
	if (!addr_eq(t->family, &s->dst, &t->dst)) {
		addr_str(t->family, &s->dst, b, sizeof(b));
		CHG("dst", t->dst_str, b, 0);
	}
	if (s->has_sport && p->l4_len >= 2 && s->sport != hdp_rd16(p->l4)) {
		snprintf(a, sizeof(a), "%u", hdp_rd16(p->l4));
		snprintf(b, sizeof(b), "%u", s->sport);
		CHG("sport", a, b, 1);
	}
	if (s->ip_len != p->ip_len) {
		snprintf(a, sizeof(a), "%u", p->ip_len);
		snprintf(b, sizeof(b), "%u", s->ip_len);
		CHG("length", a, b, 1);
	}
	if (s->payload_cmp == 0)
		CHG("payload", "sent", "changed", 0);
	if (expect_ttl >= 0 && s->ttl != expect_ttl &&
	    !(s->ekind == HDP_ICMP_TIME_EXCEEDED && s->ttl <= 1)) {
		snprintf(a, sizeof(a), "%d", expect_ttl);
		snprintf(b, sizeof(b), "%u", s->ttl);
		CHG("ttl", a, b, 1);
	}
#undef CHG
	return n;
}

/* The TTL a probe sent with ttl should carry when seen by the answerer:
 * 1 at a router whose time ran out; ttl - hops + 1 at the destination. */
static int
expected_ttl(const struct trace *t, int k, int ttl, const struct seen *s)
{
	int d = t->v[k].dest_ttl[0] ? t->v[k].dest_ttl[0] :
		t->v[k].dest_ttl[1];

	if (s->ekind == HDP_ICMP_TIME_EXCEEDED)
		return 1;
	if (s->reached && d > 0)
		return ttl - d + 1;
	return -1;
}

/* Changes first seen at this ttl: in this hop's quote and not in the
 * quote of the hop before that answered. */
static int
new_changes(struct trace *t, int k, int ttl, struct change *out, int max)
{
	struct change cur[MAX_CHG], prev[MAX_CHG];
	const struct seen *s, *ps = NULL;
	int nc, np = 0, i, j, n = 0, pt;

	s = reply_at(t, k, ttl, 0);
	if (s == NULL)
		return 0;
	nc = diff_sent(t, probe_at(t, 0, k, ttl), s, k,
		       expected_ttl(t, k, ttl, s), cur, MAX_CHG);
	for (pt = ttl - 1; pt >= t->first_ttl && ps == NULL; pt--)
		if ((ps = reply_at(t, k, pt, 0)) != NULL)
			np = diff_sent(t, probe_at(t, 0, k, pt), ps, k,
				       expected_ttl(t, k, pt, ps), prev,
				       MAX_CHG);
	for (i = 0; i < nc && n < max; i++) {
		for (j = 0; j < np; j++)
			if (strcmp(cur[i].field, prev[j].field) == 0 &&
			    strcmp(cur[i].seen, prev[j].seen) == 0)
				break;
		if (j == np || strcmp(cur[i].field, "ttl") == 0)
			out[n++] = cur[i];
	}
	return n;
}

/* ---- output ------------------------------------------------------------ */

static int
rows(struct trace *t)
{
	int k, round, last = t->first_ttl;

	for (k = 0; k < K_N; k++) {
		if (!t->kinds[k])
			continue;
		for (round = 0; round < ROUNDS; round++) {
			int l = t->v[k].reached[round] ?
				t->v[k].dest_ttl[round] :
				t->v[k].last_ttl[round] + 1;

			if (l > last)
				last = l;
		}
	}
	return last > t->max_ttl ? t->max_ttl : last;
}

static const char *
flag_of(const struct seen *s)
{
	if (s->ekind == HDP_ICMP_UNREACH || s->ekind == HDP_ICMP_PARAM) {
		if (strcmp(s->what, "port-unreachable") == 0)
			return "";
		if (strcmp(s->what, "proto-unreachable") == 0)
			return " !P";
		if (strstr(s->what, "prohibited") != NULL)
			return " !X";
		if (strcmp(s->what, "host-unreachable") == 0 ||
		    strcmp(s->what, "addr-unreachable") == 0)
			return " !H";
		if (strcmp(s->what, "net-unreachable") == 0 ||
		    strcmp(s->what, "no-route") == 0)
			return " !N";
		return " !";
	}
	return "";
}

static void
print_text(struct trace *t)
{
	int last = rows(t), ttl, k, j, i;
	char a[INET6_ADDRSTRLEN];
	FILE *f = stdout;

	for (ttl = t->first_ttl; ttl <= last; ttl++) {
		int done[K_N] = { 0 }, first = 1, any = 0;

		fprintf(f, "%3d", ttl);
		for (k = 0; k < K_N; k++) {
			const struct seen *s;

			if (!t->kinds[k] || done[k])
				continue;
			s = &probe_at(t, 0, k, ttl)->r;
			if (!s->got)
				continue;
			addr_str(t->family, &s->from, a, sizeof(a));
			fprintf(f, "%s%s ", first ? "  " : "  |  ", a);
			first = 0;
			for (j = k; j < K_N; j++) {
				const struct probe *q = probe_at(t, 0, j, ttl);

				if (!t->kinds[j] || done[j] || !q->r.got ||
				    !addr_eq(t->family, &q->r.from, &s->from))
					continue;
				done[j] = 1;
				any = 1;
				fprintf(f, " %s %.3f ms%s", kind_name[j],
					(double)(q->r.t_ns - q->sent_ns) / 1e6,
					flag_of(&q->r));
			}
		}
		for (k = 0; k < K_N; k++) {
			if (!t->kinds[k] || done[k])
				continue;
			fprintf(f, "%s%s *", any ? (first ? "  " : "  |  ") :
				"  ", kind_name[k]);
			first = 0;
			any = 1;
		}
		fputc('\n', f);
		for (k = 0; k < K_N; k++) {
			struct change c[MAX_CHG];
			const struct probe *p;
			int nc;

			if (!t->kinds[k])
				continue;
			nc = new_changes(t, k, ttl, c, MAX_CHG);
			for (i = 0; i < nc; i++)
				fprintf(f, "      %s %s changed: %s -> %s "
					"(first seen in the quote from hop "
					"%d)\n", kind_name[k], c[i].field,
					c[i].sent, c[i].seen, ttl);
			p = probe_at(t, 0, k, ttl);
			if (p->drop[0] && !p->r.got)
				fprintf(f, "      %s dropped by the kernel: "
					"%s\n", kind_name[k], p->drop);
			else if (probe_at(t, 1, k, ttl)->drop[0] &&
				 !probe_at(t, 1, k, ttl)->r.got)
				fprintf(f, "      %s (repeat) dropped by the "
					"kernel: %s\n", kind_name[k],
					probe_at(t, 1, k, ttl)->drop);
		}
	}

	/* arrivals */
	for (k = 0; k < K_N; k++) {
		struct change c[MAX_CHG];
		const struct probe *p;
		int nc, round, tt;

		if (!t->kinds[k] || !t->v[k].arrived)
			continue;
		tt = t->v[k].arrival_ttl;
		p = NULL;
		for (round = 0; round < ROUNDS && p == NULL; round++)
			if (probe_at(t, round, k, tt)->a.got)
				p = probe_at(t, round, k, tt);
		if (p == NULL)
			continue;
		nc = diff_sent(t, p, &p->a, k, -1, c, MAX_CHG);
		fprintf(f, "%s arrived at %s (probe ttl %d)%s", kind_name[k],
			t->dst_str, tt, nc ? " changed:" : " unchanged");
		for (i = 0; i < nc; i++)
			fprintf(f, "%s %s %s -> %s%s", i ? "," : "",
				c[i].field, c[i].sent, c[i].seen,
				strcmp(c[i].field, "src") == 0 ?
				" (source address translated)" : "");
		fputc('\n', f);
	}
}

static void
verdict_line(struct trace *t)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int k, n, nreach = 0, i;
	FILE *f = stdout;
	int reach[K_N], lost[K_N], nlost = 0;

	for (k = 0; k < K_N; k++) {
		if (!t->kinds[k])
			continue;
		if (t->v[k].reached_all)
			reach[nreach++] = k;
		else
			lost[nlost++] = k;
	}
	for (i = 0; i < nlost; i++) {
		const struct verdict *v = &t->v[lost[i]];
		const struct seen *s;

		k = lost[i];
		fprintf(f, "%s%s ", i ? "; " : "", kind_name[k]);
		if (v->last_ttl_final == 0) {
			fprintf(f, "got no answer from any hop");
			continue;
		}
		s = reply_at(t, k, v->last_ttl_final, v->last_round);
		addr_str(t->family, &s->from, a, sizeof(a));
		if (s->ekind == HDP_ICMP_UNREACH || s->ekind == HDP_ICMP_PARAM)
			fprintf(f, "is refused by %s (%s)", a, s->what);
		else
			fprintf(f, "vanishes after hop %d (%s)",
				v->last_ttl_final, a);
		if (v->stateful) {
			int fr = v->first_round;
			int r0 = v->reached[fr] ? v->dest_ttl[fr] :
				 v->last_ttl[fr];
			const struct seen *s0 = reply_at(t, k, r0, fr);

			if (s0 != NULL) {
				addr_str(t->family, &s0->from, b, sizeof(b));
				fprintf(f, ": the first packet of the flow "
					"%s hop %d (%s), later ones stop after "
					"hop %d (a stateful filter)",
					v->reached[fr] ? "reached the "
					"destination at" : "got to", r0, b,
					v->last_ttl_final);
			}
		}
	}
	if (nreach > 0) {
		fprintf(f, "%s", nlost ? "; " : "");
		if (nreach == 1) {
			fprintf(f, "%s reaches", kind_name[reach[0]]);
		} else {
			if (nlost == 0)
				fprintf(f, "%s", nreach > 2 ? "all of " :
					"both ");
			for (n = 0; n < nreach; n++)
				fprintf(f, "%s%s", n == 0 ? "" :
					n == nreach - 1 ? " and " : ", ",
					kind_name[reach[n]]);
			fprintf(f, " reach");
		}
		fprintf(f, " %s", t->dst_str);
		if (nlost == 0)
			fprintf(f, " (hop %d)", t->v[reach[0]].last_ttl_final);
	}
	fputc('\n', f);
}

static void
json_changes(FILE *f, const struct change *c, int n)
{
	int i;

	fputc('[', f);
	for (i = 0; i < n; i++) {
		fprintf(f, "%s{\"field\":\"%s\",\"sent\":", i ? "," : "",
			c[i].field);
		if (c[i].numeric)
			fputs(c[i].sent, f);
		else
			hj_write_string(f, c[i].sent, strlen(c[i].sent));
		fputs(",\"seen\":", f);
		if (c[i].numeric)
			fputs(c[i].seen, f);
		else
			hj_write_string(f, c[i].seen, strlen(c[i].seen));
		fputc('}', f);
	}
	fputc(']', f);
}

static void
json_seen(struct hdp_json *j, struct trace *t, const char *pre,
	  const struct probe *p, const struct seen *s)
{
	char key[40], a[INET6_ADDRSTRLEN];

	snprintf(key, sizeof(key), "%sresponder", pre);
	if (s->got) {
		addr_str(t->family, &s->from, a, sizeof(a));
		hj_str(j, key, a);
	} else {
		hj_null(j, key);
	}
	snprintf(key, sizeof(key), "%srtt_us", pre);
	if (s->got)
		hj_dbl(j, key, (double)(s->t_ns - p->sent_ns) / 1e3, 1);
	else
		hj_null(j, key);
	snprintf(key, sizeof(key), "%sreply", pre);
	hj_str(j, key, s->got ? s->what : NULL);
}

static void
print_json(struct trace *t)
{
	int last = rows(t), ttl, k, nc, round;
	char a[INET6_ADDRSTRLEN];
	struct hdp_json j;
	struct change c[MAX_CHG];
	FILE *f = stdout;

	for (k = 0; k < K_N; k++) {
		if (!t->kinds[k])
			continue;
		for (ttl = t->first_ttl; ttl <= last; ttl++) {
			const struct probe *p = probe_at(t, 0, k, ttl);
			const struct probe *q = probe_at(t, 1, k, ttl);

			hj_begin(&j, f);
			hj_str(&j, "type", "hop");
			hj_str(&j, "proto", kind_json[k]);
			hj_u64(&j, "ip_proto", kind_proto(t, k));
			hj_u64(&j, "ttl", (uint64_t)ttl);
			json_seen(&j, t, "", p, &p->r);
			hj_bool(&j, "reached", p->r.got && p->r.reached);
			nc = new_changes(t, k, ttl, c, MAX_CHG);
			hj_raw(&j, "changes", "");
			json_changes(f, c, nc);
			json_seen(&j, t, "repeat_", q, &q->r);
			if (p->drop[0] && !p->r.got)
				hj_str(&j, "drop_reason", p->drop);
			else if (q->drop[0] && !q->r.got)
				hj_str(&j, "drop_reason", q->drop);
			else
				hj_null(&j, "drop_reason");
			hj_end(&j);
		}
	}
	for (k = 0; k < K_N; k++) {
		const struct verdict *v = &t->v[k];
		const struct seen *s = NULL;

		if (!t->kinds[k])
			continue;
		hj_begin(&j, f);
		hj_str(&j, "type", "summary");
		hj_str(&j, "proto", kind_json[k]);
		hj_u64(&j, "ip_proto", kind_proto(t, k));
		hj_str(&j, "dest", t->dst_str);
		hj_bool(&j, "reached", v->reached_all);
		if (v->last_ttl_final) {
			hj_u64(&j, "last_ttl", (uint64_t)v->last_ttl_final);
			s = reply_at(t, k, v->last_ttl_final, v->last_round);
		} else {
			hj_null(&j, "last_ttl");
		}
		if (s != NULL) {
			addr_str(t->family, &s->from, a, sizeof(a));
			hj_str(&j, "last_responder", a);
		} else {
			hj_null(&j, "last_responder");
		}
		hj_bool(&j, "stateful", v->stateful);
		hj_raw(&j, "rounds", "[");
		for (round = 0; round < ROUNDS; round++)
			fprintf(f, "%s{\"reached\":%s,\"last_ttl\":%d}",
				round ? "," : "",
				v->reached[round] ? "true" : "false",
				v->last_ttl[round]);
		fputc(']', f);
		if (t->rx_netns != NULL) {
			hj_bool(&j, "arrived", v->arrived);
			nc = 0;
			if (v->arrived) {
				const struct probe *p = NULL;

				for (round = 0; round < ROUNDS && !p; round++)
					if (probe_at(t, round, k,
						     v->arrival_ttl)->a.got)
						p = probe_at(t, round, k,
							     v->arrival_ttl);
				if (p != NULL)
					nc = diff_sent(t, p, &p->a, k, -1, c,
						       MAX_CHG);
			}
			hj_raw(&j, "arrival_changes", "");
			json_changes(f, c, nc);
		} else {
			hj_null(&j, "arrived");
		}
		hj_end(&j);
	}
	hj_begin(&j, f);
	hj_str(&j, "type", "trace");
	hj_str(&j, "dest", t->dst_str);
	hj_str(&j, "src", t->src_str);
	hj_u64(&j, "first_ttl", (uint64_t)t->first_ttl);
	hj_u64(&j, "max_ttl", (uint64_t)t->max_ttl);
	hj_u64(&j, "replies", t->replies);
	hj_dbl(&j, "duration_ms", (double)(t->t_end - t->t_start) / 1e6, 1);
	hj_end(&j);
}

/* ---- setup ------------------------------------------------------------- */

static int
parse_kinds(const char *s, int kinds[K_N])
{
	char buf[64], *tok, *save = NULL;
	int k;

	if (strlen(s) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", s);
	memset(kinds, 0, sizeof(int) * K_N);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		for (k = 0; k < K_N; k++)
			if (strcmp(tok, kind_json[k]) == 0)
				break;
		if (k == K_N)
			return -1;
		kinds[k] = 1;
	}
	for (k = 0; k < K_N; k++)
		if (kinds[k])
			return 0;
	return -1;
}

/* Open a live capture on every interface of network namespace ns. */
static pcap_t *
open_in_netns(const char *ns, const struct hdp_cap_opts *o, char *err,
	      size_t errlen)
{
	char path[256];
	int self, fd;
	pcap_t *p;

	if (strchr(ns, '/') != NULL || strcmp(ns, "..") == 0) {
		snprintf(err, errlen, "--rx-netns %s: a name from 'ip netns'",
			 ns);
		return NULL;
	}
	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "--rx-netns %s: %s", ns,
			 strerror(errno));
		return NULL;
	}
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0 || setns(fd, CLONE_NEWNET) != 0) {
		snprintf(err, errlen, "--rx-netns %s: %s", ns,
			 strerror(errno));
		close(fd);
		if (self >= 0)
			close(self);
		return NULL;
	}
	close(fd);
	p = hdp_cap_open_live(o, err, errlen);
	if (setns(self, CLONE_NEWNET) != 0) {
		/* cannot get back: nothing after this would be right */
		snprintf(err, errlen, "--rx-netns %s: cannot return to our "
			 "namespace: %s", ns, strerror(errno));
		if (p != NULL)
			pcap_close(p);
		p = NULL;
	}
	close(self);
	return p;
}

static int
parse_wait(const char *s, unsigned *ms)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(d >= 0) || d > 600)
		return -1;
	*ms = (unsigned)(d * 1000.0 + 0.5);
	return 0;
}

int
cmd_trace(int argc, char **argv)
{
	enum { O_PROBES = 256, O_SPORT, O_DPORT, O_UDP, O_TCP, O_TOS, O_RX,
	       O_DROPS, O_JSON };
	static const struct option lopts[] = {
		{ "probes",       required_argument, NULL, O_PROBES },
		{ "sport",        required_argument, NULL, O_SPORT },
		{ "dport",        required_argument, NULL, O_DPORT },
		{ "udp-port",     required_argument, NULL, O_UDP },
		{ "tcp-port",     required_argument, NULL, O_TCP },
		{ "tos",          required_argument, NULL, O_TOS },
		{ "rx-netns",     required_argument, NULL, O_RX },
		{ "drop-reasons", no_argument,       NULL, O_DROPS },
		{ "json",         no_argument,       NULL, O_JSON },
		{ "max-ttl",      required_argument, NULL, 'm' },
		{ "first-ttl",    required_argument, NULL, 'f' },
		{ "wait",         required_argument, NULL, 'w' },
		{ "user",         required_argument, NULL, 'Z' },
		{ "help",         no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct trace *t;
	struct hdp_tx *tx[K_N] = { NULL };
	struct hdp_cap_opts co;
	char err[512], filter[512];
	int c, k, rc = HDP_EXIT_OK, want_family = AF_UNSPEC, perm = 0;
	uint64_t v;
	unsigned scope = 0;

	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		tool_err("out of memory");
		return HDP_EXIT_ENV;
	}
	t->first_ttl = 1;
	t->max_ttl = 30;
	t->wait_ms = 2000;
	t->hdp_proto = HDP_PROTO;
	t->hdp_sport = t->hdp_dport = HDP_DEFAULT_PORT;
	t->udp_dport = 33434;
	t->tcp_dport = 80;
	for (k = 0; k < K_N; k++)
		t->kinds[k] = 1;

#define NUM(what, lo, hi) do { \
	if (hdp_parse_uint(optarg, lo, hi, &v, what, err, sizeof(err))) { \
		tool_err("%s", err); rc = HDP_EXIT_USAGE; goto out; } \
	} while (0)
	optind = 0;	/* glibc: a fresh scan from argv[1] */
	while ((c = getopt_long(argc, argv, "+46f:m:w:P:nZ:h", lopts,
				NULL)) != -1) {
		switch (c) {
		case '4': want_family = AF_INET; break;
		case '6': want_family = AF_INET6; break;
		case 'f': NUM("-f", 1, MAX_TTL); t->first_ttl = (int)v; break;
		case 'm': NUM("-m", 1, MAX_TTL); t->max_ttl = (int)v; break;
		case 'w':
			if (parse_wait(optarg, &t->wait_ms) != 0) {
				tool_err("-w %s: seconds from 0 to 600",
					 optarg);
				rc = HDP_EXIT_USAGE;
				goto out;
			}
			break;
		case 'P': NUM("-P", 0, 255); t->hdp_proto = (uint8_t)v; break;
		case 'n': break;	/* addresses are never resolved */
		case 'Z': t->user = optarg; break;
		case O_PROBES:
			if (parse_kinds(optarg, t->kinds) != 0) {
				tool_err("--probes %s: a list of hdp, udp, "
					 "tcp, icmp", optarg);
				rc = HDP_EXIT_USAGE;
				goto out;
			}
			break;
		case O_SPORT: NUM("--sport", 0, 65535);
			t->hdp_sport = (uint16_t)v; break;
		case O_DPORT: NUM("--dport", 0, 65535);
			t->hdp_dport = (uint16_t)v; break;
		case O_UDP: NUM("--udp-port", 1, 65535);
			t->udp_dport = (uint16_t)v; break;
		case O_TCP: NUM("--tcp-port", 1, 65535);
			t->tcp_dport = (uint16_t)v; break;
		case O_TOS: NUM("--tos", 0, 255); t->tos = (uint8_t)v; break;
		case O_RX: t->rx_netns = optarg; break;
		case O_DROPS: t->drop_reasons = 1; break;
		case O_JSON: t->json = 1; break;
		case 'h':
			usage_trace(stdout);
			goto out;
		default:
			usage_trace(stderr);
			rc = HDP_EXIT_USAGE;
			goto out;
		}
	}
#undef NUM
	if (optind != argc - 1) {
		tool_err(optind >= argc ? "no destination given" :
			 "one destination only");
		usage_trace(stderr);
		rc = HDP_EXIT_USAGE;
		goto out;
	}
	if (t->first_ttl > t->max_ttl) {
		tool_err("-f %d is beyond -m %d", t->first_ttl, t->max_ttl);
		rc = HDP_EXIT_USAGE;
		goto out;
	}
	if (t->drop_reasons && t->user != NULL &&
	    strcmp(t->user, "root") != 0) {
		tool_err("--drop-reasons needs root for the whole run: it "
			 "cannot go with -Z %s", t->user);
		rc = HDP_EXIT_USAGE;
		goto out;
	}
	t->dest_arg = argv[optind];
	if (tool_parse_only)
		goto out;	/* rc is still HDP_EXIT_OK */
	if (hdp_resolve(t->dest_arg, want_family, &t->family, &t->dst, &scope,
			err, sizeof(err)) != 0) {
		tool_err("%s", err);
		rc = HDP_EXIT_USAGE;
		goto out;
	}
	/* -P naming a baseline's protocol: its probes would be told apart
	 * only by luck, so that baseline stays out */
	for (k = K_UDP; k < K_N; k++) {
		if (t->kinds[K_HDP] && t->kinds[k] &&
		    kind_proto(t, k) == t->hdp_proto) {
			fprintf(stderr, "%s: -P %u is %s's protocol: no %s "
				"probes\n", hdp_progname, t->hdp_proto,
				kind_name[k], kind_name[k]);
			t->kinds[k] = 0;
		}
	}
	if (hdp_route_src(t->family, &t->dst, &t->src, err, sizeof(err))) {
		tool_err("%s: %s", t->dest_arg, err);
		rc = HDP_EXIT_ENV;
		goto out;
	}
	addr_str(t->family, &t->dst, t->dst_str, sizeof(t->dst_str));
	addr_str(t->family, &t->src, t->src_str, sizeof(t->src_str));

	/* flow fields: fixed for the run, different from run to run */
	t->run_id = (uint32_t)(hdp_now_ns() ^ ((uint64_t)getpid() << 16));
	t->id_base = (uint16_t)(t->run_id >> 7);
	t->seq_base = t->run_id * 2654435761u;
	t->udp_sport = (uint16_t)(33000 + (getpid() % 1000));
	t->tcp_sport = (uint16_t)(34000 + (getpid() % 1000));
	t->icmp_id = (uint16_t)getpid();

	t->pr = calloc((size_t)ROUNDS * K_N * (MAX_TTL + 1),
		       sizeof(*t->pr));
	if (t->pr == NULL) {
		tool_err("out of memory");
		rc = HDP_EXIT_ENV;
		goto out;
	}

	/* sockets and captures first, then privileges go */
	for (k = 0; k < K_N; k++) {
		if (!t->kinds[k])
			continue;
		tx[k] = hdp_tx_open(HDP_TX_RAW, t->family, NULL, &perm, err,
				    sizeof(err));
		if (tx[k] == NULL) {
			if (perm)
				tool_err("%s; raw sockets need root or "
					 "CAP_NET_RAW (setcap cap_net_raw,"
					 "cap_net_admin+ep on the binary)",
					 err);
			else
				tool_err("%s", err);
			rc = perm ? HDP_EXIT_PERM : HDP_EXIT_ENV;
			goto out;
		}
	}
	memset(&co, 0, sizeof(co));
	co.ifname = "any";
	co.snaplen = 2048;
	co.immediate = 1;
	co.nano = 1;
	t->cap = hdp_cap_open_live(&co, err, sizeof(err));
	if (t->cap == NULL) {
		tool_err("%s", err);
		rc = strstr(err, "ermission") || strstr(err, "ermitted") ?
			HDP_EXIT_PERM : HDP_EXIT_ENV;
		goto out;
	}
	t->dlt = pcap_datalink(t->cap);
	snprintf(filter, sizeof(filter), "%s dst host %s",
		 t->family == AF_INET6 ? "ip6 and" : "ip and", t->src_str);
	if (hdp_cap_set_filter(t->cap, filter, err, sizeof(err)) != 0 ||
	    pcap_setnonblock(t->cap, 1, err) != 0) {
		tool_err("%s", err);
		rc = HDP_EXIT_ENV;
		goto out;
	}
	if (t->rx_netns != NULL) {
		t->rxcap = open_in_netns(t->rx_netns, &co, err, sizeof(err));
		if (t->rxcap == NULL) {
			tool_err("%s", err);
			rc = errno == EPERM ? HDP_EXIT_PERM : HDP_EXIT_ENV;
			goto out;
		}
		t->rxdlt = pcap_datalink(t->rxcap);
		snprintf(filter, sizeof(filter), "%s dst host %s",
			 t->family == AF_INET6 ? "ip6 and" : "ip and",
			 t->dst_str);
		if (hdp_cap_set_filter(t->rxcap, filter, err,
				       sizeof(err)) != 0 ||
		    pcap_setnonblock(t->rxcap, 1, err) != 0) {
			tool_err("%s", err);
			rc = HDP_EXIT_ENV;
			goto out;
		}
	}
	if (t->drop_reasons) {
		t->dm = hdp_dropmon_open(getpid(), err, sizeof(err));
		if (t->dm == NULL)
			fprintf(stderr, "%s: no kernel drop reasons: %s\n",
				hdp_progname, err);
	}
	/* the drop monitor's tracefs instance needs root to read, and to
	 * remove at exit: while it is open, privileges are kept */
	if (t->dm == NULL &&
	    hdp_drop_privileges(t->user, err, sizeof(err)) != 0) {
		tool_err("%s", err);
		rc = HDP_EXIT_PERM;
		goto out;
	}

	tool_catch_stop(NULL);

	if (!t->json) {
		int n = 0;

		printf("hdp trace to %s (%s) from %s, ttl %d-%d, probes:",
		       tool_safe(t->dest_arg), t->dst_str, t->src_str,
		       t->first_ttl, t->max_ttl);
		for (k = 0; k < K_N; k++)
			if (t->kinds[k]) {
				printf(" %s", kind_name[k]);
				n++;
			}
		if (t->kinds[K_HDP] && t->hdp_proto != HDP_PROTO)
			printf(" (HDP as protocol %u)", t->hdp_proto);
		printf(", %d rounds of %d\n", ROUNDS,
		       n * (t->max_ttl - t->first_ttl + 1));
		fflush(stdout);
	}
	t->t_start = hdp_mono_ns();
	if (send_probes(t, tx) > 0)
		rc = HDP_EXIT_FAIL;
	t->t_last_send = hdp_mono_ns();
	if (collect(t) != 0) {
		rc = HDP_EXIT_ENV;
		goto out;
	}
	t->t_end = hdp_mono_ns();
	if (t->dm != NULL) {
		usleep(20000);	/* the last events reach the ring */
		hdp_dropmon_read(t->dm, drop_cb, t);
	}
	judge(t);
	if (t->json) {
		print_json(t);
	} else {
		print_text(t);
		verdict_line(t);
	}
	for (k = 0; k < K_N; k++)
		if (t->kinds[k] && !t->v[k].reached_all)
			rc = rc == HDP_EXIT_OK ? HDP_EXIT_FAIL : rc;
	if (fflush(stdout) != 0) {
		tool_errno("standard output");
		rc = HDP_EXIT_ENV;
	}
out:
	for (k = 0; k < K_N; k++)
		if (tx[k] != NULL)
			hdp_tx_close(tx[k]);
	if (t->cap != NULL)
		pcap_close(t->cap);
	if (t->rxcap != NULL)
		pcap_close(t->rxcap);
	if (t->dm != NULL)
		hdp_dropmon_close(t->dm);
	free(t->pr);
	free(t);
	return rc;
}
