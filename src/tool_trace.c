/*
 * tool_trace.c: hdp trace: walk the path by TTL (hop limit) with HDP and,
 * side by side on the same path, UDP, TCP SYN and ICMP echo probes; name
 * the hop after which HDP vanishes and what the hops changed in it.
 *
 * Routers and hosts rate-limit the ICMP errors a trace lives on (Linux:
 * one a second to each host after a burst of 6, 50 in a burst per
 * namespace; real routers often less), so probes are paced and verdicts
 * need evidence.  The walk, with the flow fields (addresses, protocol,
 * ports, ICMP id, IPv6 flow label) the same for all probes of one
 * protocol, so load balancers keep them on one path:
 *
 *  1. ICMP echo and TCP SYN go to every TTL at once: the destination
 *     answers them with echo replies and resets, which no kernel limits,
 *     and the lowest TTL it answers bounds its distance d; the TTL its
 *     ICMP errors quote (what the probe arrived with) tells d exactly
 *     (sent TTL - quoted TTL + 1), whichever TTL it first answered.
 *  2. HDP and UDP, whose answer from the destination is an ICMP error
 *     like every router's, then go to TTLs up to d only (before d is
 *     known, in a window that grows as hops answer, and slowly while
 *     the hop after the last one that answered stays silent).  Every
 *     TTL from d on is one hop, the destination, for pacing and rows.
 *  3. Each protocol's probe at its last TTL is repeated once (round 2):
 *     a stateful middlebox that passes only a flow's first packet shows
 *     itself by stopping the repeat.
 *  4. Probes a verdict needs and that got no answer are sent again,
 *     paced per responder (one batch at a time to each hop, with a
 *     back-off that doubles while a hop stays silent, up to pauses of
 *     4 s), for 5 s.
 *
 * A protocol is called lost (vanished, refused, stateful) only on
 * evidence that its probes were not merely rate limited: a probe to the
 * same hop sent right after it that was answered with an ICMP error (the
 * hop had a token to spare), NEED_EVID times; or a probe sent after a
 * pause with nothing else sent to that hop, where a pause is taken to
 * refill the hop: a router that has not shown rate limiting (after a
 * second), or a hop where a batch after a pause as long was answered in
 * full before (pause_counts()).  A later TTL answering means the
 * protocol got further.  When the evidence does not decide, the verdict
 * is "unknown", naming the hop that rate-limits and how many of its
 * probes it answered.  Routers answering up to -m with the destination
 * further is "not reached within -m" (beyond_max_ttl).  A clear path costs
 * each hop a few errors and takes one round trip or two; what is missing
 * costs a back-off.
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

#include <hdp/hdp.h>
#include "hdp_build.h"
#include "hdp_capture.h"
#include "hdp_dropmon.h"
#include "hdp_file.h"
#include "hdp_json.h"
#include "hdp_match.h"
#include "tool.h"
#include "tool_half.h"

enum kind { K_HDP = 0, K_UDP, K_TCP, K_ICMP, K_N };

static const char *const kind_name[K_N] = { "HDP", "UDP", "TCP", "ICMP" };
static const char *const kind_json[K_N] = { "hdp", "udp", "tcp", "icmp" };

#define MAX_TTL      255
#define ROUNDS       2
#define MAX_ATT      8       /* sends of one probe at most                */
#define NEED_EVID    3       /* evidence of loss before a loss is decided */
#define MS           1000000ULL
#define RTO_MIN_NS   (100 * MS)  /* an answer is late after this (or 3 RTT)  */
#define PACE0_NS     (250 * MS)  /* first back-off of a silent hop           */
/* A pause after which a hop that has not shown rate limiting is taken to
 * have a token again (Linux refills one a second).  A hop that has shown
 * it (the same protocol answered there at one time, not at another) may
 * refill far more slowly: there a pause counts only once a batch after a
 * pause that long was answered in full (pace.refill_gap). */
#define QUIET_NS     (1000 * MS)
#define PAUSE_MAX_NS (4000 * MS) /* back-off of a silent hop: up to this    */
#define RETRY_NS     (5000 * MS) /* no retries later than this after start    */
#define WIDEN_NS     (500 * MS)  /* HDP/UDP window: 4 TTLs more this often */
#define WIT_WIN_NS   (25 * MS)   /* a witness follows its probe within this   */
#define MARK_LEN     16
#define SENT_L4_MAX  64
#define MAX_CHG      8

/* the marker every probe payload starts with */
static const uint8_t mark_magic[4] = { 'H', 'D', 'P', 't' };

/* What a reply (or an arrival) showed. */
struct seen {
	int      got;
	int      att;            /* the send (attempt) it answered        */
	uint64_t t_ns;           /* capture time                          */
	union hdp_addr from;     /* who answered (arrival: the dst)       */
	uint8_t  type, code;     /* ICMP type and code; 0 for others      */
	enum hdp_icmp_kind ekind;
	int      reached;        /* the destination itself answered       */
	int      sttl;           /* the TTL the answered probe was sent with */
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
	int      sent;           /* sends (attempts) written              */
	int      failed;         /* a write failed                        */
	uint64_t sent_ns[MAX_ATT];  /* CLOCK_REALTIME, for RTTs          */
	uint64_t ts_ns[MAX_ATT];    /* HDP timestamp of each send        */
	uint32_t logi[MAX_ATT];     /* its record in trace.log           */
	uint8_t  ans;            /* sends answered (a bit each)           */
	uint8_t  err;            /* of those, answered with an ICMP error */
	uint8_t  quiet;          /* sends that followed a pause (bits)    */
	uint8_t  qbatch;         /* ... or came right after such a send    */
	uint8_t  rquiet;         /* ... in what every router before it got */
	uint32_t ip_len;
	uint8_t  l4[SENT_L4_MAX];/* the transport bytes of the first send */
	size_t   l4_len;
	struct seen r;           /* reply                                 */
	struct seen a;           /* arrival (--rx-netns)                  */
	char     drop[128];      /* kernel drop reason (--drop-reasons)   */
};

/* One send, in order: what witnesses (the sends right after a probe to
 * the same hop) are looked up in. */
struct sendrec {
	uint64_t mono;
	uint32_t slot;           /* probe_index()                         */
	uint8_t  att, k, ttl;
	uint64_t gap;            /* the pause before its batch (qbatch)   */
};

/* Pacing of retries to one hop (TTLs at or beyond the destination are
 * one hop: the destination). */
struct pace {
	uint64_t next;           /* no retry batch before this            */
	uint64_t interval;       /* back-off                              */
	uint64_t last_cost;      /* last send whose answer costs a token  */
	uint64_t quiet_start;    /* the last send that followed a pause   */
	uint64_t quiet_gap;      /* ... and that pause                    */
	uint64_t batch_t;        /* the batch being waited for, or 0      */
	uint64_t batch_gap;      /* the pause before it (0: none)         */
	uint32_t batch[2 * K_N]; /* its probes (slot << 4 | attempt)      */
	int      nbatch;
	uint64_t refill_gap;     /* shortest pause shown to refill, or 0  */
	uint64_t refill_t;       /* when that was shown                   */
};

/* The chase of one protocol in one round: what is still needed for its
 * verdict. */
enum cstate { C_WAIT = 0, C_OPEN, C_REACHED, C_LOST, C_GAVEUP, C_AGREE,
	      C_NODATA, C_BEYOND };

struct chase {
	int      state;
	int      hz;             /* highest TTL this round probes         */
	int      last;           /* highest TTL answered                  */
};

/* V_BEYOND: routers answered up to -m, the destination is further */
enum verdict_kind { V_REACHED = 0, V_VANISHED, V_REFUSED, V_STATEFUL,
		    V_UNKNOWN, V_BEYOND };
static const char *const verdict_json[] = { "reached", "vanished",
	"refused", "stateful", "unknown", "beyond_max_ttl" };

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
	int stopped_ttl;         /* an unreachable from a router           */
	int settled[ROUNDS];     /* the round has evidence either way      */
	enum verdict_kind verdict;
	int uk_ttl;              /* unknown: the hop that rate-limits      */
	unsigned uk_ans, uk_sent;/* its ICMP-costing probes answered/sent  */
	int arrived;             /* seen by the --rx-netns capture         */
	int arrival_ttl;
};

struct trace {
	int      family;
	union hdp_addr dst, src;
	char     dst_str[INET6_ADDRSTRLEN], src_str[INET6_ADDRSTRLEN];
	const char *dest_arg;
	int      want_family;    /* -4, -6 or AF_UNSPEC                   */
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
	const char *rx_at;       /* --rx-at POINT                          */
	struct point rx_pt;      /* ... parsed                             */
	struct remote_cfg rcfg;  /* --ssh-option, --sudo, --remote-hdp     */
	struct half *rx;         /* its capture, kept by a keeper process  */
	int      rx_stream;      /* rxcap reads that capture's pcap stream */
	int      rx_eof;         /* ... which has ended                    */
	int      rx_bad;         /* ... in a record libpcap could not read */
	int      rx_failed;      /* the point was not observed             */
	int      drop_reasons;
	const char *user;
	struct probe *pr;        /* [ROUNDS][K_N][MAX_TTL + 1]            */
	struct sendrec *log;     /* every send, in order                  */
	size_t   nlog, caplog;
	struct pace pace[MAX_TTL + 1];
	struct chase ch[ROUNDS][K_N];
	int      dest;           /* the destination's TTL: dist, at least
				  * first_ttl; 0 while not known         */
	int      dist;           /* its distance read from its answers    */
	int      chz;            /* HDP/UDP window before dest is known   */
	uint64_t chz_t;
	int      costly_go;      /* HDP and UDP probes may go             */
	uint64_t t0, last_send;  /* CLOCK_MONOTONIC                       */
	uint64_t max_rtt;
	unsigned nsent, send_failed;
	struct hdp_tx *tx[K_N];  /* each protocol's sender                */
	struct verdict v[K_N];
	pcap_t  *cap, *rxcap;
	int      dlt, rxdlt;
	struct hdp_dropmon *dm;
	uint64_t t_start, t_end;
	unsigned replies, unmatched;
};

void
usage_trace(FILE *out)
{
	fprintf(out,
"usage: hdp trace [-4|-6] [-f FIRST_TTL] [-m MAX_TTL] [-w SECONDS]\n"
"                 [-P PROTO] [--probes hdp,udp,tcp,icmp] [--sport N]\n"
"                 [--dport N] [--udp-port N] [--tcp-port N] [--tos N]\n"
"                 [--rx-netns NAME | --rx-at POINT] [--ssh-option OPT]\n"
"                 [--sudo] [--remote-hdp PATH] [--drop-reasons]\n"
"                 [-Z USER] [--json] DEST\n"
"\n"
"Walk the path to DEST hop by hop (TTL / hop limit) with HDP and, side by\n"
"side, UDP, TCP SYN and ICMP echo probes, the flow fields the same for all\n"
"probes of a protocol.  Routers rate-limit ICMP errors (Linux: one a second\n"
"to a host after a burst of 6), so probes are paced: echo and SYN probes to\n"
"every TTL find the destination (its echo replies and resets are not\n"
"limited), HDP and UDP go no further than it, each protocol's last probe is\n"
"repeated once (a stateful middlebox stops the repeat), and unanswered\n"
"probes a verdict needs are sent again per hop with a back-off, for up to\n"
"5 s.  A protocol is called lost only on evidence that separates loss from\n"
"rate limiting (a probe of another protocol right after it to the same hop\n"
"answered, repeatedly; a probe after a pause, where pauses are shown to\n"
"refill the hop); otherwise its verdict is unknown, naming the hop that\n"
"rate-limits.  The destination's hop is read from the TTL its errors\n"
"quote; with -m short of it the verdict is \"not reached within -m N\".\n"
"Per hop: who answered and the RTT of each protocol; for HDP\n"
"the hop after which it vanishes, and what each hop changed in it, read\n"
"from the quotes in ICMP errors (DSCP, ECN, source address, length,\n"
"payload, TTL), reported at the first hop that shows it.\n"
"\n"
"  -4, -6            use IPv4 or IPv6 for a host name\n"
"  -f N              first TTL (default 1)\n"
"  -m N              last TTL (default 30)\n"
"  -w SECONDS        wait for late answers after the last probe while a\n"
"                    verdict is open (default 2; decimals ok)\n"
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
"  --rx-at POINT     the same, with the capture taken at POINT: a local\n"
"                    interface, or ssh://[USER@]HOST[:PORT]/IFACE (hdp\n"
"                    sniff there, or tcpdump where hdp is not; streamed\n"
"                    back over ssh as pcap and read as it arrives).  When\n"
"                    POINT cannot be used (one line says why) the trace\n"
"                    goes on, its arrivals not observed, and exits 4\n"
"%s"
"  --drop-reasons    ask the kernel why it dropped probes on this host\n"
"                    (namespaces included): skb:kfree_skb in tracefs\n"
"  -Z, --user USER   user to run as once sockets are open (default nobody)\n"
"  --json            one object per protocol and hop, then one summary\n"
"                    object per protocol with its verdict and the hops\n"
"                    that rate-limit (JSON lines)\n"
"\n"
"Exit status: 0 every protocol reached DEST, or its verdict is unknown or\n"
"not reached within -m; 1 some was shown not to (vanished, refused,\n"
"stateful), or a signal cut the run short; 2 bad usage;\n"
"3 no privileges (raw sockets need root or CAP_NET_RAW); 4 the system\n"
"refused, or the --rx-at point could not be used.\n", remote_usage);
}

/* ---- small helpers ------------------------------------------------------ */

/* A capture where the probes arrive was taken, and read to its end. */
static int
rx_observed(const struct trace *t)
{
	return t->rx_netns != NULL || (t->rx_at != NULL && !t->rx_failed);
}

/* That place, for messages: "netns NAME" or the point. */
static const char *
rx_name(const struct trace *t)
{
	static char b[160];

	if (t->rx_netns != NULL)
		snprintf(b, sizeof(b), "netns %s", t->rx_netns);
	else
		snprintf(b, sizeof(b), "%s", t->rx_at ? t->rx_at : "");
	return tool_safe(b);
}

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

/* Where a reply belongs: the probe (round, kind, TTL) and which of its
 * sends it answers. */
struct ident {
	int k, round, ttl, att;
};

/* round, ttl and attempt from the marker at p (n bytes), or -1. */
static int
read_mark(const struct trace *t, const uint8_t *p, size_t n, int k,
	  struct ident *id)
{
	if (n < MARK_LEN || memcmp(p, mark_magic, 4) != 0 ||
	    hdp_rd32(p + 4) != t->run_id || p[8] != k || p[9] >= ROUNDS ||
	    p[11] >= MAX_ATT)
		return -1;
	id->round = p[9];
	id->ttl = p[10];
	id->att = p[11];
	return id->ttl >= t->first_ttl && id->ttl <= t->max_ttl ? 0 : -1;
}

/* The index value (IP ID, TCP sequence offset) of one send. */
static uint32_t
send_index(int round, int ttl, int att)
{
	return (uint32_t)((round * MAX_ATT + att) << 8 | ttl);
}

/* round, ttl and attempt from an index value. */
static int
split_index(const struct trace *t, uint32_t idx, struct ident *id)
{
	if ((idx >> 8) >= ROUNDS * MAX_ATT)
		return -1;
	id->round = (int)(idx >> 8) / MAX_ATT;
	id->att = (int)(idx >> 8) % MAX_ATT;
	id->ttl = (int)(idx & 0xff);
	return id->ttl >= t->first_ttl && id->ttl <= t->max_ttl ? 0 : -1;
}

/* ---- sending ------------------------------------------------------------ */

/* The flow fields and identity of one send of a probe. */
static void
probe_spec(const struct trace *t, int round, int k, int ttl, int att,
	   uint8_t mark[MARK_LEN], struct hdp_pkt_spec *s)
{
	uint32_t idx = send_index(round, ttl, att);

	memset(mark, 0, MARK_LEN);
	memcpy(mark, mark_magic, 4);
	mark[4] = (uint8_t)(t->run_id >> 24);
	mark[5] = (uint8_t)(t->run_id >> 16);
	mark[6] = (uint8_t)(t->run_id >> 8);
	mark[7] = (uint8_t)t->run_id;
	mark[8] = (uint8_t)k;
	mark[9] = (uint8_t)round;
	mark[10] = (uint8_t)ttl;
	mark[11] = (uint8_t)att;

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

/* 1 when the answer to kind k at ttl is an ICMP error, which costs the
 * answering hop a token of its rate limit: every router's answer, and
 * the destination's to HDP and UDP (echo replies and resets cost none). */
static int
costs_token(const struct trace *t, int k, int ttl)
{
	return t->dest == 0 || ttl < t->dest || k == K_HDP || k == K_UDP;
}

/* The hop a TTL's probes are answered by, for pacing: every TTL from the
 * destination's on is the destination. */
static int
hop_of(const struct trace *t, int ttl)
{
	return t->dest && ttl > t->dest ? t->dest : ttl;
}

static int
log_send(struct trace *t, int round, int k, int ttl, int att)
{
	struct sendrec *r;

	if (t->nlog == t->caplog) {
		size_t n = t->caplog ? t->caplog * 2 : 256;

		r = realloc(t->log, n * sizeof(*r));
		if (r == NULL)
			return -1;
		t->log = r;
		t->caplog = n;
	}
	r = &t->log[t->nlog];
	r->mono = hdp_mono_ns();
	r->slot = (uint32_t)probe_index(round, k, ttl);
	r->att = (uint8_t)att;
	r->k = (uint8_t)k;
	r->ttl = (uint8_t)ttl;
	r->gap = 0;
	probe_at(t, round, k, ttl)->logi[att] = (uint32_t)t->nlog++;
	return 0;
}

/* Keep the transport bytes of a probe's first send, to compare quotes
 * with. */
static void
keep_l4(struct probe *p, struct hdp_tx *tx)
{
	struct hdp_frame f;
	const uint8_t *fr;
	size_t flen;
	int dlt;

	if (hdp_tx_frame(tx, &fr, &flen, &dlt) != 0)
		return;
	hdp_decode_frame(dlt, fr, flen, flen, &f);
	if (f.l4_off > 0 && f.l4_off < flen) {
		p->l4_len = flen - f.l4_off;
		if (p->l4_len > SENT_L4_MAX)
			p->l4_len = SENT_L4_MAX;
		memcpy(p->l4, fr + f.l4_off, p->l4_len);
	}
}

/* 1 when every router before hop ttl has had a pause of QUIET_NS in
 * the token-costing sends this run made to it, and the run is that old:
 * each has a token again for an error about a probe to ttl (an
 * unreachable from a filter, say). */
static int
routers_quiet(const struct trace *t, int ttl, uint64_t now)
{
	int h;

	if (ttl <= t->first_ttl)
		return 1;
	if (now - t->t0 < QUIET_NS)
		return 0;
	for (h = t->first_ttl; h < hop_of(t, ttl); h++)
		if (t->pace[h].last_cost != 0 &&
		    now - t->pace[h].last_cost < QUIET_NS)
			return 0;
	return 1;
}

/* Build and write the next send of one probe; 0, or -1 when it could not
 * be sent (said) or has been sent MAX_ATT times. */
static int
send_one(struct trace *t, int round, int k, int ttl)
{
	struct probe *p = probe_at(t, round, k, ttl);
	struct pace *pc = &t->pace[hop_of(t, ttl)];
	struct hdp_pkt_spec s;
	struct hdp_tx_result r;
	uint8_t mark[MARK_LEN];
	char err[256];
	int att = p->sent;

	if (att >= MAX_ATT || p->failed)
		return -1;
	probe_spec(t, round, k, ttl, att, mark, &s);
	if (hdp_tx_build(t->tx[k], &s, err, sizeof(err)) != 0) {
		tool_err("%s probe ttl %d: %s", kind_name[k], ttl, err);
		p->failed = 1;
		t->send_failed++;
		return -1;
	}
	if (t->dm != NULL)
		hdp_dropmon_mark(t->dm, (long)probe_index(round, k, ttl));
	if (hdp_tx_write(t->tx[k], &r) != 0) {
		tool_err("%s probe ttl %d: %s", kind_name[k], ttl, r.error);
		p->failed = 1;
		t->send_failed++;
		return -1;
	}
	if (log_send(t, round, k, ttl, att) != 0) {
		tool_err("out of memory");
		p->failed = 1;
		t->send_failed++;
		return -1;
	}
	p->sent = att + 1;
	p->sent_ns[att] = r.time_ns;
	p->ts_ns[att] = r.hdp_ts_ns;
	if (att == 0) {
		p->ip_len = (uint32_t)r.bytes;
		keep_l4(p, t->tx[k]);
	}
	if (routers_quiet(t, ttl, t->log[t->nlog - 1].mono))
		p->rquiet |= (uint8_t)(1u << att);
	if (costs_token(t, k, ttl)) {
		uint64_t now = t->log[t->nlog - 1].mono;

		/* a pause this run saw; before the first send to a hop,
		 * other runs may have drained its bucket */
		if (pc->last_cost != 0 && now - pc->last_cost >= QUIET_NS) {
			p->quiet |= (uint8_t)(1u << att);
			pc->quiet_start = now;
			pc->quiet_gap = now - pc->last_cost;
		}
		if (pc->quiet_start && now - pc->quiet_start <= WIT_WIN_NS) {
			p->qbatch |= (uint8_t)(1u << att);
			t->log[t->nlog - 1].gap = pc->quiet_gap;
		}
		pc->last_cost = now;
	}
	t->last_send = t->log[t->nlog - 1].mono;
	t->nsent++;
	return 0;
}

/* ---- matching what comes back ------------------------------------------- */

/* Find the probe a quoted or arriving packet (frame g, transport bytes
 * l4/n) belongs to: its kind, round, TTL and send.  -1 when it is not
 * ours. */
static int
identify(struct trace *t, const struct hdp_frame *g, const uint8_t *l4,
	 size_t n, struct ident *id)
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
	id->k = k;
	mo = mark_off(k);
	if (mo >= 0 && n >= (size_t)mo + MARK_LEN &&
	    read_mark(t, l4 + mo, n - (size_t)mo, k, id) == 0)
		return 0;
	if (k == K_TCP && n >= 8)
		return split_index(t, hdp_rd32(l4 + 4) - t->seq_base, id);
	if (g->ip_version == 4)
		return split_index(t, (uint16_t)(g->ip_id - t->id_base), id);
	return -1;
}

/* Compare the transport payload in the quote (or arrival) with what send
 * att of the probe carried: 1 same, 0 differs, -1 not there to compare.
 * Sends differ only in the attempt byte of the marker. */
static int
payload_cmp(const struct probe *p, int k, int att, const uint8_t *l4,
	    size_t n)
{
	uint8_t want[SENT_L4_MAX];
	int mo = mark_off(k);
	size_t m;

	if (mo < 0 || p->l4_len <= (size_t)mo || n <= (size_t)mo)
		return -1;
	memcpy(want, p->l4, p->l4_len);
	if (p->l4_len > (size_t)mo + 11)
		want[mo + 11] = (uint8_t)att;
	m = n < p->l4_len ? n : p->l4_len;
	return memcmp(l4 + mo, want + mo, m - (size_t)mo) == 0;
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
	s->payload_cmp = payload_cmp(p, k, s->att, l4, n);
}

/* An answer to send id->att of a probe: note it; the first one is the
 * probe's reply.  NULL when it is a duplicate (counted). */
static struct seen *
note_answer(struct trace *t, struct probe *p, const struct ident *id,
	    int is_err, uint64_t ts)
{
	uint8_t bit = (uint8_t)(1u << id->att);

	if (is_err)
		p->err |= bit;
	if (p->ans & bit) {
		p->r.dups++;
		return NULL;
	}
	p->ans |= bit;
	if (ts > p->sent_ns[id->att] &&
	    ts - p->sent_ns[id->att] > t->max_rtt)
		t->max_rtt = ts - p->sent_ns[id->att];
	if (p->r.got)
		return NULL;
	p->r.got = 1;
	p->r.att = id->att;
	p->r.sttl = id->ttl;
	p->r.t_ns = ts;
	t->replies++;
	return &p->r;
}

/* An ICMP or ICMPv6 error quoting one of our probes. */
static void
on_error(struct trace *t, const struct hdp_frame *f,
	 const struct hdp_icmp_err *e, uint64_t ts)
{
	struct ident id;
	struct probe *p;
	struct seen *s;

	if (e->l4 == NULL || !addr_eq(t->family, &e->inner.dst, &t->dst))
		return;
	if (identify(t, &e->inner, e->l4, e->l4_len, &id) != 0)
		goto unmatched;
	p = probe_at(t, id.round, id.k, id.ttl);
	if (id.att >= p->sent)
		goto unmatched;
	/* HDP: the quoted timestamp's high half must be the probe's */
	if (id.k == K_HDP && e->l4_len >= 8 &&
	    hdp_rd32(e->l4 + 4) != (uint32_t)(p->ts_ns[id.att] >> 32))
		goto unmatched;
	/* the destination quotes the TTL the probe arrived with: its
	 * distance, whatever TTL the probe was sent with (a quote with a
	 * TTL above the one sent was rewritten on the way: no distance) */
	if (addr_eq(t->family, &f->src, &t->dst) && e->inner.ttl >= 1 &&
	    e->inner.ttl <= id.ttl && (t->dist == 0 ||
	    id.ttl - e->inner.ttl + 1 < t->dist))
		t->dist = id.ttl - e->inner.ttl + 1;
	s = note_answer(t, p, &id, 1, ts);
	if (s == NULL)
		return;
	s->from = f->src;
	s->type = e->type;
	s->code = e->code;
	s->ekind = e->kind;
	s->what = hdp_icmp_err_name(t->family, e->type, e->code);
	s->reached = addr_eq(t->family, &f->src, &t->dst);
	record_pkt(s, &e->inner, e->l4, e->l4_len, id.k, p);
	return;
unmatched:
	t->unmatched++;
}

/* The destination's own answer (echo reply, TCP reset or SYN-ACK, HDP
 * echo): which probe, or -1. */
static int
own_answer(struct trace *t, const struct hdp_frame *f, const uint8_t *l4,
	   size_t n, struct ident *id, const char **what)
{
	struct probe *p;

	if (t->kinds[K_ICMP] && f->proto == kind_proto(t, K_ICMP) &&
	    n >= 8 && (l4[0] == 0 || l4[0] == 129) &&
	    hdp_rd16(l4 + 4) == t->icmp_id) {
		id->k = K_ICMP;
		*what = "echo-reply";
		return read_mark(t, l4 + 8, n - 8, K_ICMP, id);
	}
	if (t->kinds[K_TCP] && f->proto == 6 && n >= 14 &&
	    hdp_rd16(l4) == t->tcp_dport && hdp_rd16(l4 + 2) == t->tcp_sport &&
	    (l4[13] & 0x14) != 0) {	/* RST or ACK */
		id->k = K_TCP;
		*what = (l4[13] & 0x04) ? "tcp-rst" : "tcp-synack";
		return split_index(t, hdp_rd32(l4 + 8) - 1 - t->seq_base, id);
	}
	if (t->kinds[K_HDP] && f->proto == t->hdp_proto && f->has_hdp &&
	    f->hdp.dport == t->hdp_sport) {
		/* an HDP echo (hdp listen --echo): the timestamp is kept */
		id->k = K_HDP;
		*what = "hdp-echo";
		for (id->round = 0; id->round < ROUNDS; id->round++)
			for (id->ttl = t->first_ttl; id->ttl <= t->max_ttl;
			     id->ttl++) {
				p = probe_at(t, id->round, K_HDP, id->ttl);
				for (id->att = 0; id->att < p->sent; id->att++)
					if (p->ts_ns[id->att] == f->hdp.ts_ns)
						return 0;
			}
		return -1;
	}
	*what = NULL;
	return -1;
}

static void
on_reply(struct trace *t, const struct pcap_pkthdr *h, const uint8_t *pkt)
{
	struct hdp_frame f;
	struct hdp_icmp_err e;
	struct ident id;
	struct probe *p;
	struct seen *s;
	const char *what;
	uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000000ULL +
		      (uint64_t)h->ts.tv_usec;

	hdp_decode_frame(t->dlt, pkt, h->caplen, h->len, &f);
	if (f.ip_version != (t->family == AF_INET6 ? 6 : 4) || !f.ip_fixed ||
	    !addr_eq(t->family, &f.dst, &t->src))
		return;
	if (hdp_icmp_error_parse(&f, pkt, h->caplen, &e) == 0) {
		on_error(t, &f, &e, ts);
		return;
	}
	if (!addr_eq(t->family, &f.src, &t->dst) || f.l4_off == 0 ||
	    f.l4_off > h->caplen)
		return;
	if (own_answer(t, &f, pkt + f.l4_off, f.l4_caplen, &id, &what) != 0) {
		if (what != NULL)
			t->unmatched++;
		return;
	}
	p = probe_at(t, id.round, id.k, id.ttl);
	if (id.att >= p->sent) {
		t->unmatched++;
		return;
	}
	s = note_answer(t, p, &id, 0, ts);
	if (s == NULL)
		return;
	s->what = what;
	s->from = f.src;
	s->reached = 1;
}

static void
on_arrival(struct trace *t, const struct pcap_pkthdr *h, const uint8_t *pkt)
{
	struct hdp_frame f;
	struct ident id;
	struct probe *p;

	hdp_decode_frame(t->rxdlt, pkt, h->caplen, h->len, &f);
	if (f.ip_version != (t->family == AF_INET6 ? 6 : 4) || !f.ip_fixed ||
	    f.l4_off == 0 || f.l4_off > h->caplen ||
	    !addr_eq(t->family, &f.dst, &t->dst))
		return;
	if (f.direction == HDP_DIR_OUT)
		return;
	if (identify(t, &f, pkt + f.l4_off, f.l4_caplen, &id))
		return;
	p = probe_at(t, id.round, id.k, id.ttl);
	if (id.att >= p->sent || p->a.got)
		return;
	p->a.got = 1;
	p->a.att = id.att;
	p->a.t_ns = (uint64_t)h->ts.tv_sec * 1000000000ULL +
		    (uint64_t)h->ts.tv_usec;
	p->a.from = f.dst;
	p->a.reached = 1;
	p->a.what = "arrival";
	record_pkt(&p->a, &f, pkt + f.l4_off, f.l4_caplen, id.k, p);
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
	char where[160];

	/* only our probes' unexpected ends: a TTL that ran out at a router
	 * or a closed port at the destination is how trace gets answers */
	if (d->tag < 0 || (size_t)d->tag >= n || d->at_socket || d->expected)
		return;
	p = &t->pr[d->tag];
	if (p->drop[0] == '\0')
		snprintf(p->drop, sizeof(p->drop), "%s in %s", d->reason,
			 hdp_drop_where(d, where, sizeof(where)));
}

/* ---- the walk: evidence ------------------------------------------------- */

/* How long an answer may take before its probe counts as unanswered. */
static uint64_t
rto_ns(const struct trace *t)
{
	uint64_t r = 3 * t->max_rtt;

	return r > RTO_MIN_NS ? r : RTO_MIN_NS;
}

/* now - then, 0 when then is later (a send after now was taken). */
static uint64_t
since(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

static int
is_costly(int k)
{
	return k == K_HDP || k == K_UDP;
}

/* 1 when the send at log index i to hop had the token a pause left:
 * it follows a send that came after a pause, and no send to the hop in
 * between was answered (which would have taken the token). */
static int
after_pause(const struct trace *t, size_t i, int hop)
{
	uint64_t at = t->log[i].mono;
	size_t j = i;

	for (;;) {
		const struct sendrec *q = &t->log[j];

		if (hop_of(t, q->ttl) == hop && costs_token(t, q->k, q->ttl)) {
			const struct probe *qp = &t->pr[q->slot];

			if (j != i && ((qp->ans >> q->att) & 1))
				return 0;
			if ((qp->quiet >> q->att) & 1)
				return 1;
		}
		if (j == 0 || at - t->log[j - 1].mono > WIT_WIN_NS)
			return 0;
		j--;
	}
}

/* 1 when the hop has shown rate limiting: some protocol's token-costing
 * sends to it were answered at one time and, late by now, not at
 * another.  A protocol never answered there shows nothing (it may be
 * lost before the hop). */
static int
hop_rate_limits(const struct trace *t, int hop, uint64_t now)
{
	unsigned ans[K_N] = { 0 }, miss[K_N] = { 0 };
	size_t i;
	int k;

	for (i = 0; i < t->nlog; i++) {
		const struct sendrec *q = &t->log[i];

		if (hop_of(t, q->ttl) != hop || !costs_token(t, q->k, q->ttl))
			continue;
		if ((t->pr[q->slot].ans >> q->att) & 1)
			ans[q->k]++;
		else if (since(now, q->mono) >= rto_ns(t))
			miss[q->k]++;
	}
	for (k = 0; k < K_N; k++)
		if (ans[k] && miss[k])
			return 1;
	return 0;
}

/* 1 when the pause before send q (it came in the batch after one) left
 * the hop a token: the hop has not shown rate limiting and is a router,
 * or nothing is known of the destination yet; or, before q was sent, a
 * batch after a pause as long was answered in full (a refill shown, not
 * assumed: a destination or a router that rate-limits may refill one
 * token in several seconds). */
static int
pause_counts(const struct trace *t, int hop, const struct sendrec *q,
	     uint64_t now)
{
	const struct pace *pc = &t->pace[hop];

	if (pc->refill_gap && pc->refill_t <= q->mono &&
	    q->gap >= pc->refill_gap)
		return 1;
	if (hop_rate_limits(t, hop, now))
		return 0;
	return t->dest == 0 || hop < t->dest;
}

/*
 * How strongly send att of a probe shows that it was lost, not rate
 * limited: 0 not at all (answered, not yet late, or nothing to tell);
 * 1 a send right after it to the same hop was answered with an ICMP error
 * (the hop had a token to spare), or its answer would not have been an
 * ICMP error (an echo reply or reset from the destination); 2 it was sent
 * after a pause in what this run sent to the hop that counts as a refill
 * (pause_counts()).
 */
static int
evidence(const struct trace *t, const struct probe *p, int k, int ttl,
	 int att, uint64_t now)
{
	const struct sendrec *me, *q;
	size_t i;
	int hop;

	if (att >= p->sent || ((p->ans >> att) & 1))
		return 0;
	me = &t->log[p->logi[att]];
	if (since(now, me->mono) < rto_ns(t))
		return 0;
	if (!costs_token(t, k, ttl))
		return 1;
	hop = hop_of(t, ttl);
	if (((p->qbatch >> att) & 1) && pause_counts(t, hop, me, now) &&
	    after_pause(t, p->logi[att], hop))
		return 2;
	for (i = (size_t)p->logi[att] + 1; i < t->nlog; i++) {
		q = &t->log[i];
		if (q->mono - me->mono > WIT_WIN_NS)
			break;
		if (hop_of(t, q->ttl) == hop && costs_token(t, q->k, q->ttl) &&
		    ((t->pr[q->slot].err >> q->att) & 1))
			return 1;
	}
	return 0;
}

static int
slot_evidence(const struct trace *t, int round, int k, int ttl,
	      uint64_t now)
{
	const struct probe *p = &t->pr[probe_index(round, k, ttl)];
	int a, n = 0;

	for (a = 0; a < p->sent; a++)
		n += evidence(t, p, k, ttl, a, now);
	return n;
}

/* 1 when some probe at this TTL was answered: the hop is known. */
static int
hop_answers(const struct trace *t, int ttl)
{
	int r, k;

	for (r = 0; r < ROUNDS; r++)
		for (k = 0; k < K_N; k++)
			if (t->pr[probe_index(r, k, ttl)].ans)
				return 1;
	return 0;
}

/* The highest TTL of kind k answered in a round (the lowest the
 * destination answered, when it did); *reached and *refused say how. */
static int
round_last(const struct trace *t, int round, int k, int *reached,
	   int *refused)
{
	int ttl, last = 0;

	*reached = *refused = 0;
	for (ttl = t->first_ttl; ttl <= t->max_ttl; ttl++) {
		const struct probe *p = &t->pr[probe_index(round, k, ttl)];

		if (!p->r.got)
			continue;
		if (p->r.reached) {
			*reached = 1;
			*refused = 0;
			return ttl;
		}
		last = ttl;
		*refused = p->r.ekind == HDP_ICMP_UNREACH ||
			   p->r.ekind == HDP_ICMP_PARAM;
	}
	return last;
}

/* The highest TTL round 0 of kind k probes: the destination's, or
 * further when this kind's probe there met a router (a longer path);
 * before the destination is known, HDP and UDP go as far as the window. */
static int
kind_hz(const struct trace *t, int k)
{
	int ttl, h;

	if (t->dest == 0)
		return is_costly(k) ? t->chz : t->max_ttl;
	h = t->dest;
	for (ttl = t->dest; ttl <= t->max_ttl; ttl++) {
		const struct probe *p = &t->pr[probe_index(0, k, ttl)];

		if (p->r.got && !p->r.reached && ttl >= h)
			h = ttl + 1;
	}
	return h > t->max_ttl ? t->max_ttl : h;
}

/* 1 when the probe may be sent (again) now; 2 when only later. */
static int
may_send(const struct trace *t, int round, int k, int ttl, uint64_t now)
{
	const struct probe *p = &t->pr[probe_index(round, k, ttl)];

	if (p->failed || p->sent >= MAX_ATT || now - t->t0 >= RETRY_NS)
		return 0;
	if (p->sent > 0 && since(now, t->log[p->logi[p->sent - 1]].mono) <
	    rto_ns(t))
		return 2;
	return 1;
}

/* ---- the walk: what each protocol still needs --------------------------- */

/* Round 1 sent its one repeat: answered, shown lost, or no evidence. */
static int
eval_repeat(struct trace *t, int k, uint64_t now)
{
	struct chase *c = &t->ch[1][k];
	const struct probe *p = probe_at(t, 1, k, c->hz);
	int reached, refused, last;

	last = round_last(t, 1, k, &reached, &refused);
	if (reached || last >= c->hz)
		return c->state = C_AGREE;
	if (slot_evidence(t, 1, k, c->hz, now) > 0)
		return c->state = C_OPEN;
	if (p->sent == 0 || p->failed ||
	    since(now, t->log[p->logi[p->sent - 1]].mono) >= rto_ns(t))
		return c->state = C_NODATA;
	return c->state;
}

/*
 * A round of a protocol that has not reached: lost when NEED_EVID sends
 * beyond its last answer show loss (and the TTL right after it shows it
 * too), one of them sent after the routers before it had a pause;
 * otherwise the TTL to send again
 * in *target (0: none now).  The destination's TTL first (it decides
 * "reached"), then the TTL after the last answer (it places the loss).
 */
static int
eval_open(struct trace *t, int round, int k, uint64_t now, int *target)
{
	struct chase *c = &t->ch[round][k];
	int reached, refused, L, hz, h, w = 0, need_next, later = 0;
	int paused = 0;

	*target = 0;
	L = round_last(t, round, k, &reached, &refused);
	c->last = L;
	if (reached)
		return c->state = round ? C_AGREE : C_REACHED;
	if (round == 1 && L >= c->hz)
		return c->state = C_AGREE;
	if (refused)
		return c->state = C_LOST;
	hz = round ? c->hz : kind_hz(t, k);
	if (L >= hz)	/* a router answered the last TTL it may probe */
		return c->state = L >= t->max_ttl ? C_BEYOND : C_LOST;
	if (t->dest == 0) {
		/* nothing reached: chase where every protocol stops */
		for (h = hz; h > L + 1 && !hop_answers(t, h - 1); h--)
			;
		hz = h;
	}
	if (hz < t->first_ttl)
		hz = t->first_ttl;
	for (h = L + 1; h <= hz; h++) {
		const struct probe *p = probe_at(t, round, k, h);
		int a;

		w += slot_evidence(t, round, k, h, now);
		for (a = 0; a < p->sent; a++)
			if (((p->rquiet >> a) & 1) &&
			    evidence(t, p, k, h, a, now) > 0)
				paused = 1;
	}
	/* the TTL after the last answer places the loss: it needs evidence
	 * of its own (a hop silent this run may be one that rate-limits) */
	need_next = L + 1 < hz && L + 1 >= t->first_ttl &&
		    slot_evidence(t, round, k, L + 1, now) == 0;
	if (w >= NEED_EVID && !need_next && paused)
		return c->state = C_LOST;
	if (w >= NEED_EVID && !need_next) {
		/* shown lost: once more after the routers before it had a
		 * pause, so that one that refuses it has a token to say so */
		if (routers_quiet(t, hz, now) &&
		    may_send(t, round, k, hz, now) == 1)
			*target = hz;
	} else if (slot_evidence(t, round, k, hz, now) == 0) {
		/* not yet shown lost where it should arrive: only there */
		if (may_send(t, round, k, hz, now) == 1)
			*target = hz;
	} else if (need_next) {
		if (may_send(t, round, k, L + 1, now) == 1)
			*target = L + 1;
	} else if (may_send(t, round, k, hz, now) == 1) {
		*target = hz;
	}
	for (h = hz; h > L && h >= t->first_ttl; h--) {
		int m = may_send(t, round, k, h, now);

		/* hz has been sent all it may: another TTL after L */
		if (m == 1 && *target == 0 && may_send(t, round, k, hz,
						       now) == 0)
			*target = h;
		if (m != 0)
			later = 1;
	}
	if (!later && since(now, t->last_send) >= (uint64_t)t->wait_ms * MS)
		return c->state = C_GAVEUP;
	return c->state = C_OPEN;
}

static int
settled(int state)
{
	return state != C_WAIT && state != C_OPEN;
}

/* ---- the walk: sending -------------------------------------------------- */

/* Another send to the hop of (k, ttl) whose answer is an ICMP error, to
 * go right after a probe there: if it is answered and the probe not, the
 * hop had a token for the probe.  0 when sent. */
static int
send_witness(struct trace *t, int k, int ttl)
{
	int j, r, tt;

	for (j = 0; j < K_N; j++) {
		if (j == k || !t->kinds[j])
			continue;
		if (ttl >= t->dest && t->dest) {
			int reached, refused;

			if (!is_costly(j))
				continue;
			tt = round_last(t, 0, j, &reached, &refused);
			if (!reached)
				continue;
		} else {
			tt = ttl;
			if (!probe_at(t, 0, j, tt)->ans &&
			    !probe_at(t, 1, j, tt)->ans)
				continue;
		}
		for (r = 0; r < ROUNDS; r++)
			if (probe_at(t, r, j, tt)->sent > 0 &&
			    may_send(t, r, j, tt, hdp_mono_ns()) != 0 &&
			    send_one(t, r, j, tt) == 0)
				return 0;
	}
	return -1;
}

/* The first sends of HDP and UDP, TTL by TTL up to their horizon, once
 * the destination's distance is known (or the echo and SYN probes could
 * not tell it). */
static void
plan_first(struct trace *t, uint64_t now)
{
	int ttl, k, hi = 0;

	if (!t->costly_go && (t->dest || !(t->kinds[K_TCP] ||
	    t->kinds[K_ICMP]) || now - t->t0 >= 3 * rto_ns(t)))
		t->costly_go = 1;
	if (!t->costly_go || !(t->kinds[K_HDP] || t->kinds[K_UDP]))
		return;
	if (t->dest == 0) {
		for (ttl = t->first_ttl; ttl <= t->max_ttl; ttl++)
			if (hop_answers(t, ttl))
				hi = ttl;
		/* silence beyond the last hop that answered may be the
		 * destination rate-limiting (Linux refills in a second):
		 * widen slowly while it stays silent */
		if (hi + 2 > t->chz || t->chz == 0 ||
		    now - t->chz_t >= WIDEN_NS) {
			int n = hi + 2 > t->chz + 4 ? hi + 2 : t->chz + 4;

			if (t->chz == 0)
				n = t->first_ttl + 3 > hi + 2 ?
				    t->first_ttl + 3 : hi + 2;
			t->chz = n > t->max_ttl ? t->max_ttl : n;
			t->chz_t = now;
		}
	}
	for (ttl = t->first_ttl; ttl <= t->max_ttl; ttl++)
		for (k = 0; k < K_N; k++)
			if (t->kinds[k] && is_costly(k) &&
			    ttl <= kind_hz(t, k) &&
			    probe_at(t, 0, k, ttl)->sent == 0 &&
			    !probe_at(t, 0, k, ttl)->failed && !tool_stop)
				send_one(t, 0, k, ttl);
}

/* Round 1, the repeat: once round 0 of a protocol has reached, or has
 * been shown lost after its last answer, that probe once more. */
static void
plan_repeats(struct trace *t, uint64_t now)
{
	int k, st;

	for (k = 0; k < K_N; k++) {
		struct chase *c0 = &t->ch[0][k], *c1 = &t->ch[1][k];

		if (!t->kinds[k])
			continue;
		if (c1->state == C_OPEN || c1->state == C_AGREE ||
		    c1->state == C_LOST || c1->state == C_GAVEUP)
			continue;
		if (c1->hz) {	/* the repeat is out */
			eval_repeat(t, k, now);
			continue;
		}
		st = c0->state;
		if (st == C_GAVEUP || st == C_BEYOND ||
		    (st == C_LOST && c0->last == 0) ||
		    (st == C_LOST && probe_at(t, 0, k, c0->last)->r.ekind !=
		     HDP_ICMP_TIME_EXCEEDED)) {
			c1->state = C_NODATA;
			continue;
		}
		if (st != C_REACHED && st != C_LOST)
			continue;
		c1->hz = c0->last;
		if (send_one(t, 1, k, c1->hz) != 0) {
			c1->state = C_NODATA;
			continue;
		}
		if (st == C_LOST && costs_token(t, k, c1->hz))
			send_witness(t, k, c1->hz);
	}
}

/* After a retry batch to a hop: back off while it stays silent (pauses
 * of 0.5, 1, 2, 4 s: a hop that rate-limits harder than Linux gets the
 * time to refill), come back faster when it answers.  A batch after a
 * pause that was answered in full shows that such a pause refills the
 * hop. */
static void
pace_update(struct trace *t, uint64_t now)
{
	int h, i, any, all;

	for (h = 0; h <= MAX_TTL; h++) {
		struct pace *pc = &t->pace[h];

		if (pc->batch_t == 0 || since(now, pc->batch_t) < rto_ns(t))
			continue;
		for (i = 0, any = 0, all = 1; i < pc->nbatch; i++) {
			uint32_t slot = pc->batch[i] >> 4;
			int k = (int)(slot / (MAX_TTL + 1)) % K_N;

			if ((t->pr[slot].ans >> (pc->batch[i] & 15)) & 1)
				any = 1;
			else
				all = 0;
			if (!costs_token(t, k, (int)(slot % (MAX_TTL + 1))))
				all = 0;	/* shows no refill */
		}
		if (all && pc->batch_gap && (pc->refill_gap == 0 ||
		    pc->batch_gap < pc->refill_gap)) {
			pc->refill_gap = pc->batch_gap;
			pc->refill_t = now;
		}
		if (any)
			pc->interval = pc->interval / 2 > PACE0_NS / 2 ?
				       pc->interval / 2 : PACE0_NS / 2;
		else
			pc->interval = pc->interval * 2 < PAUSE_MAX_NS ?
				       pc->interval * 2 : PAUSE_MAX_NS;
		pc->batch_t = 0;
	}
}

/* Send the targets of one hop as a batch: each the witness of the one
 * before it, and a witness after the last. */
static void
send_batch(struct trace *t, int hop, const int (*tg)[3], int n,
	   uint64_t now)
{
	struct pace *pc = &t->pace[hop];
	int i;

	if (pc->batch_t != 0 || now < pc->next)
		return;
	pc->nbatch = 0;
	for (i = 0; i < n && i < 2 * K_N; i++) {
		struct probe *p = probe_at(t, tg[i][0], tg[i][1], tg[i][2]);

		if (send_one(t, tg[i][0], tg[i][1], tg[i][2]) != 0)
			continue;
		if (pc->nbatch == 0)
			pc->batch_gap = t->log[t->nlog - 1].gap;
		pc->batch[pc->nbatch++] = (uint32_t)
				(probe_index(tg[i][0], tg[i][1], tg[i][2])
				 << 4 | (size_t)(p->sent - 1));
	}
	if (pc->nbatch == 0)
		return;
	if (costs_token(t, tg[n - 1][1], tg[n - 1][2]))
		send_witness(t, tg[n - 1][1], tg[n - 1][2]);
	if (pc->interval == 0)
		pc->interval = PACE0_NS;
	pc->batch_t = now;
	pc->next = now + pc->interval;
}

/* Send again what the open verdicts need, a batch per hop at a time. */
static void
plan_retries(struct trace *t, uint64_t now)
{
	int tg[2 * K_N][3], n = 0, r, k, ttl, i, j, hop;
	int done[2 * K_N] = { 0 };

	pace_update(t, now);
	for (r = 0; r < ROUNDS; r++)
		for (k = 0; k < K_N; k++) {
			struct chase *c = &t->ch[r][k];

			if (!t->kinds[k] || (r == 0 && !t->costly_go &&
			    is_costly(k)))
				continue;
			if (c->state != C_WAIT && c->state != C_OPEN)
				continue;
			if (r == 1 && c->state == C_WAIT)
				continue;
			eval_open(t, r, k, now, &ttl);
			if (c->state == C_OPEN && ttl) {
				tg[n][0] = r;
				tg[n][1] = k;
				tg[n++][2] = ttl;
			}
		}
	for (i = 0; i < n; i++) {
		int batch[2 * K_N][3], m = 0;

		if (done[i])
			continue;
		hop = hop_of(t, tg[i][2]);
		for (j = i; j < n; j++)
			if (!done[j] && hop_of(t, tg[j][2]) == hop) {
				memcpy(batch[m++], tg[j], sizeof(tg[j]));
				done[j] = 1;
			}
		send_batch(t, hop, (const int (*)[3])batch, m, now);
	}
}

/* The destination's distance: from the TTL its errors quote (on_error),
 * or the lowest TTL it answered by any protocol, whichever is lower (a
 * rate-limited destination may first answer a probe sent far beyond
 * it).  t->dest is that, but no lower than the first TTL sent. */
static void
learn_dest(struct trace *t)
{
	int r, k, ttl, d = t->dist;

	for (ttl = t->first_ttl; ttl <= t->max_ttl; ttl++)
		for (r = 0; r < ROUNDS; r++)
			for (k = 0; k < K_N; k++)
				if (probe_at(t, r, k, ttl)->r.got &&
				    probe_at(t, r, k, ttl)->r.reached) {
					if (d == 0 || ttl < d)
						d = ttl;
					goto found;
				}
found:
	t->dist = d;
	if (d)
		t->dest = d > t->first_ttl ? d : t->first_ttl;
}

/* 1 when the walk is over: every verdict has what it needs (and the
 * last answers had their time), or nothing more will come. */
static int
walk_done(struct trace *t, uint64_t now)
{
	int r, k, all = 1;
	uint64_t quiet = since(now, t->last_send);

	for (r = 0; r < ROUNDS; r++)
		for (k = 0; k < K_N; k++)
			if (t->kinds[k] && !settled(t->ch[r][k].state))
				all = 0;
	if (t->rxcap != NULL || !all)
		return quiet >= (uint64_t)t->wait_ms * MS && (all ||
		       now - t->t0 >= RETRY_NS);
	if (quiet >= rto_ns(t) || quiet >= (uint64_t)t->wait_ms * MS)
		return 1;
	for (r = 0; r < (int)t->nlog; r++)
		if (!((t->pr[t->log[r].slot].ans >> t->log[r].att) & 1))
			return 0;
	return 1;
}

/* The descriptor that says the arrivals capture holds packets (-1:
 * none, or its stream has ended). */
static int
rx_fd(const struct trace *t)
{
	if (t->rxcap == NULL || t->rx_eof)
		return -1;
	if (t->rx_stream)
		return fileno(pcap_file(t->rxcap));
	return pcap_get_selectable_fd(t->rxcap);
}

/*
 * --rx-at: the point's pcap stream, read with libpcap as it arrives.
 * The FILE under it is unbuffered, so poll() on the pipe says whether a
 * packet waits: take every one that has come (wait_ms 0), or wait up to
 * wait_ms for each until the stream ends.
 */
static void
drain_stream(struct trace *t, int wait_ms)
{
	struct pollfd pfd;
	struct pcap_pkthdr *h;
	const u_char *pkt;

	pfd.fd = rx_fd(t);
	pfd.events = POLLIN;
	while (!t->rx_eof && poll(&pfd, 1, wait_ms) > 0) {
		int r = pcap_next_ex(t->rxcap, &h, &pkt);

		if (r == 1) {
			on_arrival(t, h, pkt);
			continue;
		}
		t->rx_eof = 1;	/* its end (-2), or a stream cut short */
		if (r != PCAP_ERROR_BREAK) {
			/* a bad record: what follows is not readable, so
			 * the point saw part of the run only */
			t->rx_bad = 1;
			tool_err("%s: %s", tool_safe(t->rx_at),
				 pcap_geterr(t->rxcap));
		}
	}
}

/* Read what the captures hold; -1 on a capture error (said). */
static int
drain(struct trace *t)
{
	int rc;

	while ((rc = pcap_dispatch(t->cap, -1, reply_cb, (u_char *)t)) > 0)
		;
	if (rc == PCAP_ERROR) {
		tool_err("capture: %s", pcap_geterr(t->cap));
		return -1;
	}
	if (t->rx_stream)
		drain_stream(t, 0);
	else if (t->rxcap != NULL)
		while (pcap_dispatch(t->rxcap, -1, arrival_cb,
				     (u_char *)t) > 0)
			;
	return 0;
}

/*
 * The walk: echo and SYN probes to every TTL, then HDP and UDP up to the
 * destination, the repeats, and retries paced per hop, reading answers
 * all along.  0, or -1 when the capture or poll failed (said).
 */
static int
walk(struct trace *t)
{
	struct pollfd pfd[2];
	int nfd = 0, ttl, k;

	pfd[nfd].fd = pcap_get_selectable_fd(t->cap);
	pfd[nfd++].events = POLLIN;
	if (t->rxcap != NULL) {
		pfd[nfd].fd = rx_fd(t);
		pfd[nfd++].events = POLLIN;
	}
	t->t0 = t->last_send = hdp_mono_ns();
	for (ttl = t->first_ttl; ttl <= t->max_ttl && !tool_stop; ttl++)
		for (k = K_TCP; k <= K_ICMP; k++)
			if (t->kinds[k])
				send_one(t, 0, k, ttl);
	for (;;) {
		uint64_t now;

		if (drain(t) != 0)
			return -1;
		now = hdp_mono_ns();
		learn_dest(t);
		if (!tool_stop) {
			plan_first(t, now);
			plan_retries(t, hdp_mono_ns());
			plan_repeats(t, hdp_mono_ns());
		}
		if (tool_stop || walk_done(t, hdp_mono_ns()))
			break;
		if (nfd > 1)
			pfd[1].fd = rx_fd(t);	/* -1 once its stream ended */
		if (poll(pfd, (nfds_t)nfd, 10) < 0 && errno != EINTR) {
			tool_errno("poll");
			return -1;
		}
	}
	return 0;
}

/* ---- verdicts ------------------------------------------------------------ */

/* Token-costing sends to a hop and how many were answered (by an ICMP
 * error as a rule; on loopback HDP meets its own raw socket instead),
 * leaving out those of protocols shown lost before it. */
static void
hop_counts(const struct trace *t, int hop, unsigned *ans, unsigned *sent)
{
	size_t i;

	*ans = *sent = 0;
	for (i = 0; i < t->nlog; i++) {
		const struct sendrec *q = &t->log[i];
		int r = (int)(q->slot / (K_N * (MAX_TTL + 1)));
		const struct chase *c = &t->ch[r][q->k];

		if (hop_of(t, q->ttl) != hop || !costs_token(t, q->k, q->ttl))
			continue;
		if (c->state == C_LOST && q->ttl > c->last)
			continue;
		(*sent)++;
		if ((t->pr[q->slot].ans >> q->att) & 1)
			(*ans)++;
	}
}

/* 1 when the hop answered some of its token-costing probes, not all:
 * it rate-limits ICMP (for kind k: only if k had a probe there unanswered;
 * -1: any kind). */
static int
hop_limits(const struct trace *t, int hop, int k, unsigned *ans,
	   unsigned *sent)
{
	int r, ttl, miss = k < 0;

	hop_counts(t, hop, ans, sent);
	if (*ans == 0 || *ans >= *sent)
		return 0;
	for (r = 0; r < ROUNDS && !miss; r++)
		for (ttl = hop; ttl <= t->max_ttl && !miss; ttl++) {
			const struct probe *p =
				&t->pr[probe_index(r, k, ttl)];
			const struct chase *c = &t->ch[r][k];

			if (hop_of(t, ttl) != hop)
				break;
			if (p->sent && !p->r.got &&
			    !(c->state == C_LOST && ttl > c->last))
				miss = 1;
		}
	return miss;
}

static void
round_facts(struct trace *t, int k, struct verdict *v)
{
	int round, ttl;

	for (round = 0; round < ROUNDS; round++) {
		for (ttl = t->first_ttl; ttl <= t->max_ttl; ttl++) {
			struct probe *p = probe_at(t, round, k, ttl);

			if (p->a.got && !v->arrived) {
				v->arrived = 1;
				v->arrival_ttl = ttl;
			}
			if (!p->r.got)
				continue;
			if (p->r.reached) {
				/* every TTL from the destination's on is
				 * the destination's row */
				if (!v->dest_ttl[round])
					v->dest_ttl[round] = t->dest &&
						t->dest < ttl ? t->dest : ttl;
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
}

/* Unknown: the hop whose silence left it open, and its counts. */
static void
unknown_hop(struct trace *t, int k, struct verdict *v)
{
	int ttl, best = 0, most = -1;

	for (ttl = t->ch[0][k].last + 1; ttl <= t->max_ttl; ttl++) {
		const struct probe *p = probe_at(t, 0, k, ttl);

		if (p->sent > most) {
			most = p->sent;
			best = ttl;
		}
	}
	v->uk_ttl = best ? hop_of(t, best) : 0;
	if (v->uk_ttl)
		hop_counts(t, v->uk_ttl, &v->uk_ans, &v->uk_sent);
}

/*
 * From the rounds to one verdict.  Round 0 reached: reached, unless the
 * repeat was shown lost (a stateful filter: the flow's first packet got
 * through).  Round 0 shown lost: vanished or refused where its answers
 * stop; a stateful filter when the repeat was shown lost earlier.
 * Otherwise unknown.
 */
static void
judge_one(struct trace *t, int k, struct verdict *v)
{
	int s0 = t->ch[0][k].state, s1 = t->ch[1][k].state;

	round_facts(t, k, v);
	v->settled[0] = s0 == C_REACHED || s0 == C_LOST;
	v->settled[1] = s1 == C_AGREE || s1 == C_LOST;
	v->last_ttl_final = v->last_ttl[0];
	v->last_round = 0;
	if (s0 == C_REACHED) {
		v->verdict = V_REACHED;
		v->reached_all = 1;
	} else if (s0 == C_LOST) {
		v->verdict = v->stopped_ttl &&
			     v->stopped_ttl == v->last_ttl[0] ?
			     V_REFUSED : V_VANISHED;
	} else if (s0 == C_BEYOND) {
		v->verdict = V_BEYOND;
		return;
	} else {
		v->verdict = V_UNKNOWN;
		unknown_hop(t, k, v);
		return;
	}
	if (s1 == C_LOST && (v->reached[0] ||
			     v->last_ttl[1] < v->last_ttl[0])) {
		v->verdict = V_STATEFUL;
		v->stateful = 1;
		v->reached_all = 0;
		v->last_ttl_final = v->last_ttl[1];
		v->last_round = 1;
	}
}

static void
judge(struct trace *t)
{
	int k;

	for (k = 0; k < K_N; k++) {
		memset(&t->v[k], 0, sizeof(t->v[k]));
		if (t->kinds[k])
			judge_one(t, k, &t->v[k]);
	}
}

/* The destination's answer to a probe of kind k sent beyond its TTL
 * dttl (the same hop), from the given round or any. */
static const struct probe *
beyond_answer(struct trace *t, int k, int dttl, int round)
{
	int r, tt, i;

	for (i = 0; i <= ROUNDS; i++) {
		r = i == 0 ? round : i - 1;
		for (tt = dttl + 1; tt <= t->max_ttl; tt++)
			if (probe_at(t, r, k, tt)->r.got &&
			    probe_at(t, r, k, tt)->r.reached)
				return probe_at(t, r, k, tt);
	}
	return NULL;
}

/* The probe of kind k at ttl that was answered, from the given round
 * or, when that is silent, any round (at the destination's TTL, also a
 * probe sent beyond it). */
static const struct probe *
answered_at(struct trace *t, int k, int ttl, int round)
{
	int r;

	if (probe_at(t, round, k, ttl)->r.got)
		return probe_at(t, round, k, ttl);
	for (r = 0; r < ROUNDS; r++)
		if (probe_at(t, r, k, ttl)->r.got)
			return probe_at(t, r, k, ttl);
	return ttl == t->dest ? beyond_answer(t, k, ttl, round) : NULL;
}

static const struct seen *
reply_at(struct trace *t, int k, int ttl, int round)
{
	const struct probe *p = answered_at(t, k, ttl, round);

	return p != NULL ? &p->r : NULL;
}

/* Nanoseconds from the send an answer belongs to until the answer. */
static double
rtt_of(const struct probe *p, const struct seen *s)
{
	return (double)(s->t_ns - p->sent_ns[s->att]);
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

	(void)ttl;
	if (s->ekind == HDP_ICMP_TIME_EXCEEDED)
		return 1;
	if (s->reached && t->dist > 0)
		return s->sttl - t->dist + 1;
	if (s->reached && d > 0)
		return s->sttl - d + 1;
	return -1;
}

/* Changes first seen at this ttl: in this hop's quote and not in the
 * quote of the hop before that answered. */
static int
new_changes(struct trace *t, int k, int ttl, struct change *out, int max)
{
	struct change cur[MAX_CHG], prev[MAX_CHG];
	const struct seen *s, *ps = NULL;
	const struct probe *p, *pp;
	int nc, np = 0, i, j, n = 0, pt;

	p = answered_at(t, k, ttl, 0);
	if (p == NULL)
		return 0;
	s = &p->r;
	nc = diff_sent(t, p, s, k, expected_ttl(t, k, ttl, s), cur, MAX_CHG);
	for (pt = ttl - 1; pt >= t->first_ttl && ps == NULL; pt--)
		if ((pp = answered_at(t, k, pt, 0)) != NULL) {
			ps = &pp->r;
			np = diff_sent(t, pp, ps, k,
				       expected_ttl(t, k, pt, ps), prev,
				       MAX_CHG);
		}
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

static void print_arrivals(struct trace *t, FILE *f);

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
			s = reply_at(t, k, ttl, 0);
			if (s == NULL)
				continue;
			addr_str(t->family, &s->from, a, sizeof(a));
			fprintf(f, "%s%s ", first ? "  " : "  |  ", a);
			first = 0;
			for (j = k; j < K_N; j++) {
				const struct probe *q = answered_at(t, j, ttl,
								    0);

				if (!t->kinds[j] || done[j] || q == NULL ||
				    !addr_eq(t->family, &q->r.from, &s->from))
					continue;
				done[j] = 1;
				any = 1;
				fprintf(f, " %s %.3f ms%s", kind_name[j],
					rtt_of(q, &q->r) / 1e6,
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

	print_arrivals(t, f);
}

/* Where the probes arrive (--rx-netns, --rx-at): each protocol that
 * arrived and what it looked like there, each that never did; or that
 * the point was not observed. */
static void
print_arrivals(struct trace *t, FILE *f)
{
	int k, i;

	if (t->rx_failed) {
		fprintf(f, "arrivals at %s: not observed\n",
			tool_safe(t->rx_at));
		return;
	}
	for (k = 0; k < K_N; k++) {
		struct change c[MAX_CHG];
		const struct probe *p;
		int nc, round, tt;

		if (t->kinds[k] && !t->v[k].arrived && rx_observed(t))
			fprintf(f, "%s never arrived at %s (capture at %s)\n",
				kind_name[k], t->dst_str, rx_name(t));
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

/* One protocol that did not reach: where it stops, or why that is not
 * known. */
static void
lost_phrase(struct trace *t, int k, FILE *f)
{
	const struct verdict *v = &t->v[k];
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	const struct seen *s, *s0;
	int r0;

	if (v->verdict == V_UNKNOWN) {
		if (v->uk_sent == 0)
			fprintf(f, "%s: unknown (no evidence either way)",
				kind_name[k]);
		else
			fprintf(f, "%s: unknown (hop %d %s: %u of %u probes "
				"answered)", kind_name[k], v->uk_ttl,
				v->uk_ans ? "rate-limits ICMP" :
				"sent no ICMP error", v->uk_ans, v->uk_sent);
		return;
	}
	fprintf(f, "%s ", kind_name[k]);
	if (v->last_ttl_final == 0) {
		fprintf(f, "got no answer from any hop");
		return;
	}
	s = reply_at(t, k, v->last_ttl_final, v->last_round);
	addr_str(t->family, &s->from, a, sizeof(a));
	if (s->ekind == HDP_ICMP_UNREACH || s->ekind == HDP_ICMP_PARAM)
		fprintf(f, "is refused by %s (%s)", a, s->what);
	else
		fprintf(f, "vanishes after hop %d (%s)", v->last_ttl_final, a);
	if (!v->stateful)
		return;
	/* the flow's first packet: round 0's */
	r0 = v->reached[0] ? v->dest_ttl[0] : v->last_ttl[0];
	s0 = reply_at(t, k, r0, 0);
	if (s0 == NULL)
		return;
	addr_str(t->family, &s0->from, b, sizeof(b));
	fprintf(f, ": the first packet of the flow %s hop %d (%s), later ones "
		"stop after hop %d (a stateful filter)", v->reached[0] ?
		"reached the destination at" : "got to", r0, b,
		v->last_ttl_final);
}

/* "HDP", "HDP and UDP", "HDP, UDP and TCP". */
static void
name_list(FILE *f, const int *ks, int n)
{
	int i;

	for (i = 0; i < n; i++)
		fprintf(f, "%s%s", i == 0 ? "" : i == n - 1 ? " and " : ", ",
			kind_name[ks[i]]);
}

/* The protocols whose probes met routers up to -m: no loss, the
 * destination is further. */
static void
beyond_phrase(struct trace *t, const int *ks, int n, FILE *f)
{
	const struct seen *s = reply_at(t, ks[0], t->v[ks[0]].last_ttl_final,
					0);
	char a[INET6_ADDRSTRLEN] = "?";

	if (s != NULL)
		addr_str(t->family, &s->from, a, sizeof(a));
	name_list(f, ks, n);
	fprintf(f, ": not reached within -m %d (hop %d is %s)", t->max_ttl,
		t->v[ks[0]].last_ttl_final, a);
}

static void
verdict_line(struct trace *t)
{
	int k, nreach = 0, i, nbeyond = 0;
	FILE *f = stdout;
	int reach[K_N], lost[K_N], beyond[K_N], nlost = 0;

	for (k = 0; k < K_N; k++) {
		if (!t->kinds[k])
			continue;
		if (t->v[k].reached_all)
			reach[nreach++] = k;
		else if (t->v[k].verdict == V_BEYOND)
			beyond[nbeyond++] = k;
		else
			lost[nlost++] = k;
	}
	for (i = 0; i < nlost; i++) {
		fputs(i ? "; " : "", f);
		lost_phrase(t, lost[i], f);
	}
	if (nbeyond > 0) {
		fputs(nlost ? "; " : "", f);
		beyond_phrase(t, beyond, nbeyond, f);
	}
	if (nreach > 0) {
		fprintf(f, "%s", nlost || nbeyond ? "; " : "");
		if (nlost == 0 && nbeyond == 0 && nreach > 1)
			fprintf(f, "%s", nreach > 2 ? "all of " : "both ");
		name_list(f, reach, nreach);
		fprintf(f, " %s %s", nreach == 1 ? "reaches" : "reach",
			t->dst_str);
		if (nlost == 0 && nbeyond == 0)
			fprintf(f, " (hop %d)", t->v[reach[0]].last_ttl_final);
	}
	fputc('\n', f);
}

/* The hops that answered only some of their probes (-1: any protocol's),
 * as "hop 1 (10.0.1.1) answered 3 of 6 probes" pieces (text) or JSON
 * objects; how many. */
static int
rate_list(struct trace *t, int k, FILE *f, int json)
{
	char a[INET6_ADDRSTRLEN];
	unsigned ans, sent;
	int ttl, n = 0, last = t->dest ? t->dest : t->max_ttl;

	for (ttl = t->first_ttl; ttl <= last; ttl++) {
		const struct seen *s = NULL;
		int j;

		if (!hop_limits(t, ttl, k, &ans, &sent))
			continue;
		for (j = 0; j < K_N && s == NULL; j++)
			if (t->kinds[j])
				s = reply_at(t, j, ttl, 0);
		if (s != NULL)
			addr_str(t->family, &s->from, a, sizeof(a));
		else
			snprintf(a, sizeof(a), "?");
		if (json)
			fprintf(f, "%s{\"hop\":%d,\"responder\":\"%s\","
				"\"answered\":%u,\"sent\":%u}", n ? "," : "",
				ttl, a, ans, sent);
		else
			fprintf(f, "%shop %d (%s) answered %u of %u probes",
				n ? "; " : "ICMP rate limits: ", ttl, a, ans,
				sent);
		n++;
	}
	if (n && !json)
		fputc('\n', f);
	return n;
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
		hj_dbl(j, key, rtt_of(p, s) / 1e3, 1);
	else
		hj_null(j, key);
	snprintf(key, sizeof(key), "%sreply", pre);
	hj_str(j, key, s->got ? s->what : NULL);
}

/* A hop object's sends and answers, all rounds and retries. */
static void
json_sends(struct hdp_json *j, struct trace *t, int k, int ttl)
{
	unsigned sent = 0, ans = 0;
	int r, a;

	for (r = 0; r < ROUNDS; r++) {
		const struct probe *p = probe_at(t, r, k, ttl);

		sent += (unsigned)p->sent;
		for (a = 0; a < p->sent; a++)
			ans += (p->ans >> a) & 1;
	}
	hj_u64(j, "probes", sent);
	hj_u64(j, "answered", ans);
}

/* A summary's verdict, and the hops that rate-limit this protocol. */
static void
json_verdict(struct hdp_json *j, struct trace *t, int k)
{
	const struct verdict *v = &t->v[k];

	hj_str(j, "verdict", verdict_json[v->verdict]);
	if (v->verdict == V_UNKNOWN && v->uk_ttl) {
		hj_u64(j, "unknown_hop", (uint64_t)v->uk_ttl);
		hj_u64(j, "unknown_answered", v->uk_ans);
		hj_u64(j, "unknown_sent", v->uk_sent);
	}
	hj_raw(j, "rate_limited", "");
	fputc('[', j->f);
	rate_list(t, k, j->f, 1);
	fputc(']', j->f);
}

/* The closing object: the run as a whole. */
static void
json_trace(struct trace *t, FILE *f)
{
	struct hdp_json j;

	hj_begin(&j, f);
	hj_str(&j, "type", "trace");
	hj_str(&j, "dest", t->dst_str);
	hj_str(&j, "src", t->src_str);
	hj_u64(&j, "first_ttl", (uint64_t)t->first_ttl);
	hj_u64(&j, "max_ttl", (uint64_t)t->max_ttl);
	hj_u64(&j, "probes", t->nsent);
	hj_u64(&j, "replies", t->replies);
	hj_raw(&j, "rate_limited", "");
	fputc('[', f);
	rate_list(t, -1, f, 1);
	fputc(']', f);
	hj_dbl(&j, "duration_ms", (double)(t->t_end - t->t_start) / 1e6, 1);
	hj_bool(&j, "interrupted", tool_stop != 0);
	hj_end(&j);
}

/* The round-0 probe a hop object shows: at the destination's TTL, its
 * answer to a probe sent beyond it when that TTL's went unanswered. */
static const struct probe *
row_probe(struct trace *t, int k, int ttl)
{
	const struct probe *p = probe_at(t, 0, k, ttl), *b;

	if (!p->r.got && ttl == t->dest &&
	    (b = beyond_answer(t, k, ttl, 0)) != NULL)
		return b;
	return p;
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
			const struct probe *p = row_probe(t, k, ttl);
			const struct probe *q = probe_at(t, 1, k, ttl);

			hj_begin(&j, f);
			hj_str(&j, "type", "hop");
			hj_str(&j, "proto", kind_json[k]);
			hj_u64(&j, "ip_proto", kind_proto(t, k));
			hj_u64(&j, "ttl", (uint64_t)ttl);
			json_sends(&j, t, k, ttl);
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
		json_verdict(&j, t, k);
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
			fprintf(f, "%s{\"reached\":%s,\"last_ttl\":%d,"
				"\"settled\":%s}", round ? "," : "",
				v->reached[round] ? "true" : "false",
				v->last_ttl[round],
				v->settled[round] ? "true" : "false");
		fputc(']', f);
		if (rx_observed(t)) {
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
	json_trace(t, f);
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
	if (p != NULL)
		tool_cap_warn(err);
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

/* ---- step 1: parse the options into struct trace ------------------------ */

enum { O_PROBES = 256, O_SPORT, O_DPORT, O_UDP, O_TCP, O_TOS, O_RX,
       O_DROPS, O_JSON, O_RXAT };

/* parse_opts()'s "done, exit 0" (after --help) */
#define PARSE_DONE (-1)

/* -w SECONDS: a decimal from 0 to 600 (decimals ok) into *ms. */
static int
parse_wait(const char *s, unsigned *ms)
{
	char *end;
	double d;

	d = strtod(s, &end);
	if (end == s || *end != '\0' || isnan(d)) {
		tool_usage_err("-w '%s' is not a number of seconds", s);
		return -1;
	}
	if (!(d >= 0) || d > 600) {
		tool_usage_err("-w '%s' is out of range 0-600", s);
		return -1;
	}
	*ms = (unsigned)(d * 1000.0 + 0.5);
	return 0;
}

static void
trace_defaults(struct trace *t)
{
	int k;

	t->want_family = AF_UNSPEC;
	t->first_ttl = 1;
	t->max_ttl = 30;
	t->wait_ms = 2000;
	t->hdp_proto = HDP_PROTO;
	t->hdp_sport = t->hdp_dport = HDP_DEFAULT_PORT;
	t->udp_dport = 33434;
	t->tcp_dport = 80;
	for (k = 0; k < K_N; k++)
		t->kinds[k] = 1;
}

/* One option c with argument arg into t; -1 after a usage error (said). */
static int
parse_opt(struct trace *t, int c, const char *arg)
{
	uint64_t v = 0;
	int r = 0;

	switch (c) {
	case '4': t->want_family = AF_INET; break;
	case '6': t->want_family = AF_INET6; break;
	case 'f': r = tool_opt_uint(arg, 1, MAX_TTL, &v, "-f");
		t->first_ttl = (int)v; break;
	case 'm': r = tool_opt_uint(arg, 1, MAX_TTL, &v, "-m");
		t->max_ttl = (int)v; break;
	case 'w': r = parse_wait(arg, &t->wait_ms); break;
	case 'P': r = tool_opt_uint(arg, 0, 255, &v, "-P");
		t->hdp_proto = (uint8_t)v; break;
	case 'n': break;	/* addresses are never resolved */
	case 'Z': t->user = arg; break;
	case O_PROBES:
		if (parse_kinds(arg, t->kinds) != 0) {
			tool_usage_err("--probes '%s' is not a list of hdp, "
				       "udp, tcp, icmp", arg);
			r = -1;
		}
		break;
	case O_SPORT: r = tool_opt_uint(arg, 0, 65535, &v, "--sport");
		t->hdp_sport = (uint16_t)v; break;
	case O_DPORT: r = tool_opt_uint(arg, 0, 65535, &v, "--dport");
		t->hdp_dport = (uint16_t)v; break;
	case O_UDP: r = tool_opt_uint(arg, 1, 65535, &v, "--udp-port");
		t->udp_dport = (uint16_t)v; break;
	case O_TCP: r = tool_opt_uint(arg, 1, 65535, &v, "--tcp-port");
		t->tcp_dport = (uint16_t)v; break;
	case O_TOS: r = tool_opt_uint(arg, 0, 255, &v, "--tos");
		t->tos = (uint8_t)v; break;
	case O_RX: t->rx_netns = arg; break;
	case O_DROPS: t->drop_reasons = 1; break;
	case O_JSON: t->json = 1; break;
	case O_RXAT: t->rx_at = arg; break;
	default: r = remote_cfg_opt(&t->rcfg, c, arg) < 0 ? -1 : 0; break;
	}
	return r;
}

/* --rx-at POINT: a local interface or an ssh:// point with one (a
 * capture file is no place where a live trace's probes arrive). */
static int
parse_rx_at(struct trace *t)
{
	if (t->rx_at == NULL)
		return HDP_EXIT_OK;
	if (t->rx_netns != NULL)
		return tool_usage_err("--rx-at: not with --rx-netns (one "
				      "place where the probes arrive)");
	if (point_parse(t->rx_at, 1, &t->rx_pt) != 0)
		return HDP_EXIT_USAGE;
	if (t->rx_pt.kind == POINT_FILE) {
		/* a name with no '/' and no capture file's ending is an
		 * interface this host lacks (tool_remote.h's rule) */
		size_t l = strlen(t->rx_at);
		int cap_ext = (l > 5 && !strcmp(t->rx_at + l - 5, ".pcap")) ||
			      (l > 7 && !strcmp(t->rx_at + l - 7, ".pcapng")) ||
			      (l > 4 && !strcmp(t->rx_at + l - 4, ".cap"));

		if (strchr(t->rx_at, '/') == NULL && !cap_ext) {
			tool_err("--rx-at %s: no such interface",
				 tool_safe(t->rx_at));
			return HDP_EXIT_ENV;
		}
		return tool_usage_err("--rx-at %s: not an interface or "
				      "ssh://[USER@]HOST[:PORT]/IFACE",
				      tool_safe(t->rx_at));
	}
	return HDP_EXIT_OK;
}

/* The command line into t: HDP_EXIT_OK to go on, PARSE_DONE after
 * --help, or HDP_EXIT_USAGE (said). */
static int
parse_opts(struct trace *t, int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "probes",       required_argument, NULL, O_PROBES },
		{ "sport",        required_argument, NULL, O_SPORT },
		{ "dport",        required_argument, NULL, O_DPORT },
		{ "udp-port",     required_argument, NULL, O_UDP },
		{ "tcp-port",     required_argument, NULL, O_TCP },
		{ "tos",          required_argument, NULL, O_TOS },
		{ "rx-netns",     required_argument, NULL, O_RX },
		{ "rx-at",        required_argument, NULL, O_RXAT },
		REMOTE_LONGOPTS,
		{ "drop-reasons", no_argument,       NULL, O_DROPS },
		{ "json",         no_argument,       NULL, O_JSON },
		{ "max-ttl",      required_argument, NULL, 'm' },
		{ "first-ttl",    required_argument, NULL, 'f' },
		{ "wait",         required_argument, NULL, 'w' },
		{ "user",         required_argument, NULL, 'Z' },
		{ "help",         no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	trace_defaults(t);
	t->rcfg.connect_timeout = 10;
	optind = 0;	/* glibc: a fresh scan from argv[1] */
	while ((c = tool_getopt(argc, argv, "46f:m:w:P:nZ:h", lopts)) != -1) {
		if (c == '?')
			return HDP_EXIT_USAGE;
		if (c == 'h') {
			usage_trace(stdout);
			return PARSE_DONE;
		}
		if (parse_opt(t, c, optarg) != 0)
			return HDP_EXIT_USAGE;
	}
	if (optind != argc - 1)
		return tool_usage_err(optind >= argc ? "no destination given" :
				      "one destination only");
	if (t->first_ttl > t->max_ttl)
		return tool_usage_err("-f %d is beyond -m %d", t->first_ttl,
				      t->max_ttl);
	t->dest_arg = argv[optind];
	return parse_rx_at(t);
}

/* ---- step 2: open what the walk needs ------------------------------------ */

/* "what: why" for the destination: the name as typed, and the address
 * only when the message does not already hold it (said once). */
static void
dest_err(const struct trace *t, const char *err)
{
	if (strstr(err, t->dest_arg) != NULL)
		tool_err("%s", err);
	else
		tool_err("%s: %s", t->dest_arg, err);
}

/* The destination, its route's source, the flow fields and the probe
 * table. */
static int
open_dest(struct trace *t)
{
	char err[512];
	unsigned scope = 0;
	int k;

	if ((k = tool_resolve(t->dest_arg, t->want_family, &t->family,
			      &t->dst, &scope)) != HDP_EXIT_OK)
		return k;
	/* -P naming a baseline's protocol: its probes would be told apart
	 * only by luck, so that baseline stays out */
	for (k = K_UDP; k < K_N; k++) {
		if (t->kinds[K_HDP] && t->kinds[k] &&
		    kind_proto(t, k) == t->hdp_proto) {
			tool_err("-P %u is %s's protocol: no %s probes",
				 t->hdp_proto, kind_name[k], kind_name[k]);
			t->kinds[k] = 0;
		}
	}
	if (hdp_route_src(t->family, &t->dst, &t->src, err, sizeof(err))) {
		dest_err(t, err);
		return HDP_EXIT_ENV;
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
		return HDP_EXIT_ENV;
	}
	return HDP_EXIT_OK;
}

/* A raw socket (libnet) for each protocol probed. */
static int
open_senders(struct trace *t)
{
	char err[512];
	int k, perm = 0;

	for (k = 0; k < K_N; k++) {
		if (!t->kinds[k])
			continue;
		t->tx[k] = hdp_tx_open(HDP_TX_RAW, t->family, NULL, &perm,
				       err, sizeof(err));
		if (t->tx[k] == NULL) {
			if (perm)
				tool_err("%s; raw sockets need root or "
					 "CAP_NET_RAW (setcap cap_net_raw,"
					 "cap_net_admin+ep on the binary)",
					 err);
			else
				tool_err("%s", err);
			return perm ? HDP_EXIT_PERM : HDP_EXIT_ENV;
		}
	}
	return HDP_EXIT_OK;
}

/* Non-blocking, what is sent to host (our answers, or at --rx-netns
 * the probes' arrivals) only. */
static int
cap_prepare(const struct trace *t, pcap_t *p, const char *host)
{
	char filter[512], err[PCAP_ERRBUF_SIZE + 256];

	snprintf(filter, sizeof(filter), "%s dst host %s",
		 t->family == AF_INET6 ? "ip6 and" : "ip and", host);
	if (hdp_cap_set_filter(p, filter, err, sizeof(err)) != 0 ||
	    pcap_setnonblock(p, 1, err) != 0) {
		tool_err("%s", err);
		return HDP_EXIT_ENV;
	}
	return HDP_EXIT_OK;
}

/*
 * --rx-at: the capture at the point, started by a keeper process
 * (tool_half.h: hdp sniff there, or tcpdump) and listening before the
 * first probe; its pcap stream is read with libpcap as it arrives.  A
 * point that cannot be used is said in one line and the walk goes on:
 * its arrivals are then not observed.
 */
static void
open_rx_point(struct trace *t)
{
	char filter[256], err[PCAP_ERRBUF_SIZE];
	struct half_spec sp;
	FILE *f;

	/* TCP only to the probes' port (identify() takes no other): the
	 * ssh session that carries the stream is TCP to this very host,
	 * and each of its segments captured would be sent back over it,
	 * making more (a loop of ~1 MB/s on an idle link) */
	snprintf(filter, sizeof(filter),
		 "%s dst host %s and (not tcp or tcp dst port %u)",
		 t->family == AF_INET6 ? "ip6 and" : "ip and", t->dst_str,
		 (unsigned)t->tcp_dport);
	memset(&sp, 0, sizeof(sp));
	sp.filter = filter;
	sp.timeout_ms = 15000;
	t->rx_failed = 1;
	t->rx = half_start(&t->rcfg, &t->rx_pt, &sp);
	if (t->rx == NULL)
		return;
	if ((f = half_fdopen(t->rx, "rb")) != NULL) {
		setvbuf(f, NULL, _IONBF, 0);	/* see drain_stream() */
		t->rxcap = pcap_fopen_offline_with_tstamp_precision(f,
			PCAP_TSTAMP_PRECISION_NANO, err);
		if (t->rxcap == NULL) {
			tool_err("%s: %s", tool_safe(t->rx_at), err);
			fclose(f);
		}
	}
	if (t->rxcap == NULL) {
		(void)half_finish(t->rx, 5000);
		t->rx = NULL;
		return;
	}
	t->rx_failed = 0;
	t->rx_stream = 1;
	t->rxdlt = pcap_datalink(t->rxcap);
}

/* The capture of the answers ("any"), and with --rx-netns the capture
 * of the arrivals. */
static int
open_captures(struct trace *t)
{
	struct hdp_cap_opts co;
	char err[512];
	int rc;

	memset(&co, 0, sizeof(co));
	co.ifname = "any";
	co.snaplen = 2048;
	co.immediate = 1;
	co.nano = 1;
	t->cap = hdp_cap_open_live(&co, err, sizeof(err));
	if (t->cap == NULL) {
		tool_err("%s", err);
		return tool_cap_status(err);
	}
	tool_cap_warn(err);
	t->dlt = pcap_datalink(t->cap);
	if ((rc = cap_prepare(t, t->cap, t->src_str)) != HDP_EXIT_OK)
		return rc;
	if (t->rx_at != NULL)
		open_rx_point(t);
	if (t->rx_netns == NULL)
		return HDP_EXIT_OK;
	t->rxcap = open_in_netns(t->rx_netns, &co, err, sizeof(err));
	if (t->rxcap == NULL) {
		rc = errno == EPERM ? HDP_EXIT_PERM : HDP_EXIT_ENV;
		tool_err("%s", err);
		return rc;
	}
	t->rxdlt = pcap_datalink(t->rxcap);
	return cap_prepare(t, t->rxcap, t->dst_str);
}

/* Everything, then privileges go: sockets and captures first, the drop
 * monitor's descriptors and its helper (which removes the tracefs
 * instance) too, so reading needs no privilege either. */
static int
open_trace(struct trace *t)
{
	char err[512];
	int rc;

	if ((rc = open_dest(t)) != HDP_EXIT_OK ||
	    (rc = open_senders(t)) != HDP_EXIT_OK ||
	    (rc = open_captures(t)) != HDP_EXIT_OK)
		return rc;
	if (t->drop_reasons) {
		t->dm = hdp_dropmon_open(getpid(), err, sizeof(err));
		if (t->dm == NULL)
			tool_err("no kernel drop reasons: %s", err);
	}
	if (hdp_drop_privileges(t->user, err, sizeof(err)) != 0) {
		tool_err("%s", err);
		return HDP_EXIT_PERM;
	}
	return HDP_EXIT_OK;
}

/* ---- step 3: run the walk and judge it ------------------------------------ */

static void
print_header(const struct trace *t)
{
	int k;

	printf("hdp trace to %s (%s) from %s, ttl %d-%d, probes:",
	       tool_safe(t->dest_arg), t->dst_str, t->src_str,
	       t->first_ttl, t->max_ttl);
	for (k = 0; k < K_N; k++)
		if (t->kinds[k])
			printf(" %s", kind_name[k]);
	if (t->kinds[K_HDP] && t->hdp_proto != HDP_PROTO)
		printf(" (HDP as protocol %u)", t->hdp_proto);
	putchar('\n');
	fflush(stdout);
}

/* --rx-at, after the walk: stop the capture and read its stream to the
 * end.  A capture that ended before it was stopped saw part of the run
 * only: its point is then not observed (no probe reads as "never
 * arrived" on its word). */
static void
finish_rx_point(struct trace *t)
{
	size_t i, n = (size_t)ROUNDS * K_N * (MAX_TTL + 1);

	half_stop(t->rx);
	drain_stream(t, 3000);
	if (half_finish(t->rx, 10000) == 0 && t->rx_eof && !t->rx_bad) {
		t->rx = NULL;
		return;
	}
	t->rx = NULL;
	t->rx_failed = 1;
	for (i = 0; i < n; i++)
		memset(&t->pr[i].a, 0, sizeof(t->pr[i].a));
}

/* The walk, the kernel's drop reasons, the verdicts: HDP_EXIT_OK,
 * HDP_EXIT_FAIL when a send failed, or HDP_EXIT_ENV when the walk
 * could not go on (said; nothing to report then). */
static int
run_trace(struct trace *t)
{
	tool_catch_stop(NULL);
	if (!t->json)
		print_header(t);
	t->t_start = hdp_mono_ns();
	if (walk(t) != 0)
		return HDP_EXIT_ENV;
	t->t_end = hdp_mono_ns();
	if (t->rx != NULL)
		finish_rx_point(t);
	if (t->dm != NULL) {
		usleep(20000);	/* the last events reach the ring */
		hdp_dropmon_read(t->dm, drop_cb, t);
	}
	judge(t);
	return t->send_failed > 0 ? HDP_EXIT_FAIL : HDP_EXIT_OK;
}

/* ---- step 4: report ---------------------------------------------------------- */

/* The hops and verdicts, as text or JSON lines; the exit status from
 * rc (run_trace's) and the verdicts. */
static int
report_trace(struct trace *t, int rc)
{
	int k;

	if (t->json) {
		print_json(t);
	} else {
		print_text(t);
		rate_list(t, -1, stdout, 0);
		verdict_line(t);
	}
	/* the --rx-at point was not observed: said when it failed */
	if (t->rx_failed)
		rc = rc == HDP_EXIT_OK || rc == HDP_EXIT_FAIL ? HDP_EXIT_ENV :
		     rc;
	/* a run cut short decided nothing for sure: 1, as ping and sweep */
	if (tool_stop) {
		tool_err("interrupted: results so far");
		rc = rc == HDP_EXIT_OK ? HDP_EXIT_FAIL : rc;
	}
	/* 1 only for a loss shown by evidence: unknown is not one */
	for (k = 0; k < K_N; k++)
		if (t->kinds[k] && t->v[k].verdict != V_REACHED &&
		    t->v[k].verdict != V_UNKNOWN &&
		    t->v[k].verdict != V_BEYOND)
			rc = rc == HDP_EXIT_OK ? HDP_EXIT_FAIL : rc;
	if (fflush(stdout) != 0) {
		tool_errno("standard output");
		rc = HDP_EXIT_ENV;
	}
	return rc;
}

static void
close_trace(struct trace *t)
{
	int k;

	for (k = 0; k < K_N; k++)
		if (t->tx[k] != NULL)
			hdp_tx_close(t->tx[k]);
	if (t->cap != NULL)
		pcap_close(t->cap);
	if (t->rxcap != NULL)
		pcap_close(t->rxcap);
	if (t->rx != NULL)
		(void)half_finish(t->rx, 5000);
	point_free(&t->rx_pt);
	remote_cfg_free(&t->rcfg);
	if (t->dm != NULL)
		hdp_dropmon_close(t->dm);
	free(t->pr);
	free(t->log);
	free(t);
}

int
cmd_trace(int argc, char **argv)
{
	struct trace *t;
	int rc;

	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		tool_err("out of memory");
		return HDP_EXIT_ENV;
	}
	rc = parse_opts(t, argc, argv);
	if (rc == PARSE_DONE || (rc == HDP_EXIT_OK && tool_parse_only)) {
		rc = HDP_EXIT_OK;
		goto out;
	}
	if (rc != HDP_EXIT_OK || (rc = open_trace(t)) != HDP_EXIT_OK)
		goto out;
	rc = run_trace(t);
	if (rc != HDP_EXIT_ENV)
		rc = report_trace(t, rc);
out:
	close_trace(t);
	return rc;
}
