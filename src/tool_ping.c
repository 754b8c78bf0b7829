/*
 * tool_ping.c: hdp ping -- HDP round trips, side by side with UDP and TCP.
 *
 * Probes are built by libnet (hdp_build.h) and every probe and reply is
 * timed by libpcap: the capture's kernel timestamps (nanosecond
 * precision, CLOCK_REALTIME at the capture tap) of the probe leaving and
 * the reply arriving give the RTT, so user-space scheduling on this side
 * is not in the figure.  When the probe's own departure was not captured
 * the user-space time just before the write stands in (and is counted).
 *
 * Kinds, interleaved round by round in rotating order so each sees the
 * same path conditions:
 *   hdp  IP protocol 255, answered by `hdp listen --echo` on the far side
 *   udp  HDP inside UDP (the original client's comparison mode), the same
 *        responder with its UDP port
 *   tcp  a TCP SYN to a port; the far kernel answers with RST (closed
 *        port) or SYN-ACK (open port).  No program runs there: this
 *        measures the path plus the far kernel's TCP input, not a
 *        user-space responder, so it is the floor under the other two.
 *
 * Probe payload (hdp, udp), after the HDP header, -s SIZE bytes in all
 * (ping(8)'s data bytes):
 *   0 "HDPP"  4 run id  8 sequence  12 kind  13..15 zero  16.. zeros,
 *   the last HDP_ECHO_LEN (32) of them room for the echo block
 * The echo reply carries the 32-byte echo block first (hdp_echo.h), then
 * this payload back without that room: the request is as large as its
 * reply, so the responder is no amplifier (hdp_specification.md 9.1).
 *
 * The four steps: parse_opts() (struct ping_opts), open_ping() (address,
 * sockets, capture, --plot file, then -Z), run_ping() (the rounds and the
 * wait, ping(8)'s -c/-w/-W rules) and report_ping() (statistics, plot).
 * Sequence numbers are 0-based inside and printed from 1, as ping(8)'s
 * icmp_seq.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <math.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hdp/hdp.h>
#include "hdp_build.h"
#include "hdp_capture.h"
#include "hdp_echo.h"
#include "hdp_file.h"
#include "hdp_json.h"
#include "hdp_match.h"
#include "tool.h"
#include "tool_half.h"

#define PROBE_MAGIC   "HDPP"
#define PROBE_HDR     16
#define MAX_PROBES    1000000u
#define MIN_SIZE      (PROBE_HDR + HDP_ECHO_LEN)
#define MAX_SIZE      65000u

enum kind { K_HDP = 0, K_UDP, K_TCP, K_COUNT };
static const char *const kind_names[K_COUNT] = { "hdp", "udp", "tcp" };

struct kind_st {
	int      on;
	uint64_t sent, errors, received, dups, reordered, tx_user_used;
	uint64_t icmp_errors;  /* ICMP errors quoting a probe (ping's +N) */
	uint64_t first_tx, last_tx; /* user time of the first, last send  */
	int64_t  max_seq_rx;
	uint64_t *tx_pcap;     /* kernel time the probe left (0: unseen)  */
	uint64_t *tx_user;     /* user time just before the write         */
	uint64_t *rx;          /* kernel time the first reply arrived     */
	double   *rtt_us;      /* per seq, when received                  */
	double   fwd_sum, back_sum, turn_sum;
	uint64_t owd_n;
	uint8_t  *sent_ok;
	char     first_error[128];
};

struct ping_opts {
	const char *dest;
	const char *ifname;
	const char *plot;
	const char *user;         /* -Z: run as USER once all is open */
	uint64_t    count;        /* -c: replies wanted per kind          */
	int         count_set;
	double      interval;     /* seconds between rounds */
	double      wait;         /* -W: after the last round   */
	double      deadline;     /* -w: the whole run, seconds (0: none)  */
	uint64_t    size;         /* -s: HDP payload bytes (ping's data)   */
	uint16_t    port, tcp_port;
	int         family;
	int         json, quiet, force, synced;
	int         kinds[K_COUNT];
	int         nkinds;
	uint8_t     ttl;
	const char *responder;    /* --responder ssh://HOST               */
	struct point rpt;         /* ... parsed                           */
	struct remote_cfg rcfg;   /* --ssh-option, --sudo, --remote-hdp   */
};

struct ping {
	struct ping_opts o;
	int family;
	union hdp_addr dst;
	char dst_str[INET6_ADDRSTRLEN];
	char capif[IF_NAMESIZE + 1];
	struct hdp_tx *tx;
	pcap_t *pc;
	FILE *plot_out;           /* --plot's file, created before the drop */
	struct hdp_file_id plot_id; /* which file, and whether we made it */
	int plotted;              /* gnuplot drew into plot_out           */
	int dlt;
	int udp_fd;
	uint16_t sport;
	uint32_t run_id, isn;
	uint64_t host_id;
	struct kind_st k[K_COUNT];
	uint64_t nslots;          /* probes per kind the arrays hold      */
	uint64_t deadline_mono;   /* -w: when the run ends (0: none)      */
	int icmp_seen;            /* an ICMP error quoted one of ours     */
	int draining;             /* the last wait: ends once every probe */
				  /* sent is answered                     */
	uint8_t *payload;
	struct half *resp;        /* --responder: hdp listen --echo there */
};

void
usage_ping(FILE *out)
{
	fprintf(out,
"usage: hdp ping [options] DEST\n"
"\n"
"Send HDP probes to DEST, where `hdp listen --echo` answers them, and\n"
"report round-trip times, loss, duplicates and reordering in ping's form.\n"
"\n"
"  -c N               probes per kind (default 10); with -w, replies: probes\n"
"                     go on until N are answered or the deadline passed\n"
"  -i SEC             seconds between rounds (default 1)\n"
"  --rate N           rounds per second (instead of -i)\n"
"  -s, --size N       HDP payload bytes of each probe and reply, as\n"
"                     ping(8)'s data bytes (default 56, at least 48: the\n"
"                     probe's id and 32 bytes of room for the echo block)\n"
"  -w SEC             deadline: the whole run ends after SEC seconds, how\n"
"                     many ever probes were sent or answered (ping(8) -w)\n"
"  -W SEC             wait for late replies after the last round (default 1)\n"
"  -p, --port N       HDP and UDP port of the responder (default 420)\n"
"  --tcp-port N       TCP port for tcp probes (default: --port)\n"
"  --compare KINDS    comma list of hdp, udp, tcp (default hdp); one probe\n"
"                     of each kind per round, spread over the interval in\n"
"                     rotating order\n"
"  -I IFACE           capture on IFACE (default: the route's interface)\n"
"  -t, --ttl N        TTL / hop limit of the probes (default 64)\n"
"  -4, -6             resolve DEST as IPv4 / IPv6 only\n"
"  --synced           the two hosts' clocks are synchronised: report\n"
"                     one-way delays (always on when both are this host)\n"
"  --json             one object per probe, then one summary per kind\n"
"  -q, --quiet        summaries only\n"
"  --plot FILE        draw the RTT distributions side by side with gnuplot\n"
"                     (FILE ends in .png or .svg); --force overwrites\n"
"  -Z, --user USER    after opening the sockets, the capture and the\n"
"                     --plot file, run as USER with no capabilities\n"
"                     (default nobody when started as root; -Z root\n"
"                     stays root)\n"
"  --responder ssh://[USER@]HOST[:PORT]  start the responder, hdp listen\n"
"                     --echo (with --echo-udp PORT for udp probes), on\n"
"                     HOST over ssh for the run: probes go once it\n"
"                     listens; it is stopped after the run and on Ctrl-C.\n"
"                     When it cannot be started, one line says why, no\n"
"                     probe is sent and the exit status is 4; when it\n"
"                     ends during the run (said), the losses are not the\n"
"                     network's: exit status 4\n"
"%s"
"\n"
"Lines as ping(8) prints them: 'N bytes from DEST: kind=hdp seq=1 ttl=64\n"
"time=0.052 ms' (bytes: the reply's IP payload; seq from 1), then per\n"
"kind '--- DEST hdp ping statistics ---', 'N packets transmitted, ...'\n"
"and 'rtt min/avg/max/mdev = .../... ms'.  An ICMP error answering a\n"
"probe is printed as ping(8) prints it (From ROUTER kind=hdp seq=N\n"
"Destination Protocol Unreachable) and counted as +N errors; with -w it\n"
"ends the run, as in ping(8).\n"
"RTT = kernel capture time of the reply - kernel capture time of the probe\n"
"(libpcap, nanosecond timestamps).  tcp probes are answered by the far\n"
"kernel itself (RST from a closed port, SYN-ACK from an open one).\n"
"Exit: 0 every probe answered, 1 some lost (with -c and -w: fewer than N\n"
"answered), 2 usage, 3 privileges, 4 the system refused (or the\n"
"--responder could not be started, or ended during the run).\n",
		remote_usage);
}

/* ---- helpers ------------------------------------------------------------ */

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
random32(void)
{
	uint32_t v = 0;
	FILE *f = fopen("/dev/urandom", "rb");

	if (f != NULL) {
		if (fread(&v, sizeof(v), 1, f) != 1)
			v = 0;
		fclose(f);
	}
	if (v == 0)
		v = (uint32_t)(hdp_now_ns() ^ ((uint64_t)getpid() << 16));
	return v;
}

static int
addr_eq(int family, const union hdp_addr *a, const union hdp_addr *b)
{
	return family == AF_INET ? a->v4.s_addr == b->v4.s_addr :
	       memcmp(&a->v6, &b->v6, 16) == 0;
}

/* The interface packets to dst leave by: lo when dst is one of ours,
 * else the one holding the route's source address; "" when unknown. */
static void
route_ifname(int family, const union hdp_addr *dst, char *out, size_t len)
{
	struct ifaddrs *ifa, *i;
	union hdp_addr src, a;
	char err[128];
	int have_src;

	out[0] = '\0';
	have_src = hdp_route_src(family, dst, &src, err, sizeof(err)) == 0;
	if (getifaddrs(&ifa) != 0)
		return;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != family)
			continue;
		if (family == AF_INET)
			a.v4 = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
		else
			a.v6 = ((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
		if (addr_eq(family, &a, dst)) {
			snprintf(out, len, "lo");
			break;
		}
		if (have_src && out[0] == '\0' && addr_eq(family, &a, &src))
			snprintf(out, len, "%s", i->ifa_name);
	}
	freeifaddrs(ifa);
}

/*
 * A time of us microseconds in milliseconds, as iputils ping prints a
 * reply's time: three decimals under 1 ms (0.052), two under 10 ms
 * (1.23), one under 100 ms (12.3), none from there (123); rounded to
 * the microsecond first.  buf needs 32 bytes.
 */
static const char *
fmt_ms(double us, char *buf, size_t len)
{
	const char *sign = us < 0 ? "-" : "";
	long long t = llround(fabs(us));

	if (t >= 100000 - 50)
		snprintf(buf, len, "%s%lld", sign, (t + 500) / 1000);
	else if (t >= 10000 - 5)
		snprintf(buf, len, "%s%lld.%01lld", sign, (t + 50) / 1000,
			 ((t + 50) % 1000) / 100);
	else if (t >= 1000)
		snprintf(buf, len, "%s%lld.%02lld", sign, (t + 5) / 1000,
			 ((t + 5) % 1000) / 10);
	else
		snprintf(buf, len, "%s%lld.%03lld", sign, t / 1000, t % 1000);
	return buf;
}

/* us in milliseconds with three decimals, as ping(8)'s rtt summary. */
static const char *
fmt_ms3(double us, char *buf, size_t len)
{
	long long t = llround(us);

	snprintf(buf, len, "%s%lld.%03lld", t < 0 ? "-" : "", llabs(t) / 1000,
		 llabs(t) % 1000);
	return buf;
}

static int
cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[0..n-1]. */
static double
pctl(const double *v, size_t n, double p)
{
	size_t r;

	if (n == 0)
		return 0.0;
	r = (size_t)ceil(p / 100.0 * (double)n);
	if (r < 1)
		r = 1;
	return v[r - 1];
}

/* ---- receiving ---------------------------------------------------------- */

/* Is this payload one of our probes?  Sets *kind and *seq. */
static int
probe_id(const struct ping *pg, const uint8_t *p, size_t len, int *kind,
	 uint32_t *seq)
{
	if (len < PROBE_HDR || memcmp(p, PROBE_MAGIC, 4) != 0 ||
	    be32(p + 4) != pg->run_id || p[12] >= K_COUNT)
		return 0;
	*kind = p[12];
	*seq = be32(p + 8);
	return *seq < pg->nslots;
}

/* What a reply line says besides its kind and sequence. */
struct reply_info {
	size_t bytes;            /* the reply's IP payload, as ping(8)'s  */
	int ttl;
	int dup;
	const char *what;        /* tcp: RST, SYN-ACK                    */
	int owd;                 /* fwd, back, turn are set              */
	double fwd, back, turn;
};

static void
print_reply_json(struct ping *pg, int kind, uint32_t seq,
		 const struct reply_info *ri)
{
	struct kind_st *k = &pg->k[kind];
	struct hdp_json j;

	hj_begin(&j, stdout);
	hj_str(&j, "type", "probe");
	hj_str(&j, "kind", kind_names[kind]);
	hj_u64(&j, "seq", (uint64_t)seq + 1);
	hj_bool(&j, "received", 1);
	hj_bool(&j, "duplicate", ri->dup);
	hj_dbl(&j, "rtt_us", k->rtt_us[seq], 3);
	if (ri->owd) {
		hj_dbl(&j, "fwd_us", ri->fwd, 3);
		hj_dbl(&j, "back_us", ri->back, 3);
		hj_dbl(&j, "turnaround_us", ri->turn, 3);
	}
	hj_str(&j, "tx_clock", k->tx_pcap[seq] ? "pcap" : "user");
	if (ri->what != NULL)
		hj_str(&j, "reply", ri->what);
	hj_u64(&j, "bytes", ri->bytes);
	hj_u64(&j, "ttl", (uint64_t)ri->ttl);
	hj_end(&j);
}

/* "68 bytes from 10.0.0.2: kind=hdp seq=1 ttl=64 time=0.052 ms", as
 * ping(8) prints a reply, or its JSON object. */
static void
print_reply(struct ping *pg, int kind, uint32_t seq,
	    const struct reply_info *ri)
{
	char a[32], b[32], c[32];

	if (pg->o.quiet)
		return;
	if (pg->o.json) {
		print_reply_json(pg, kind, seq, ri);
		fflush(stdout);
		return;
	}
	printf("%zu bytes from %s: kind=%s seq=%u ttl=%d time=%s ms",
	       ri->bytes, pg->dst_str, kind_names[kind], seq + 1, ri->ttl,
	       fmt_ms(pg->k[kind].rtt_us[seq], a, sizeof(a)));
	if (ri->owd)
		printf(" (fwd %s ms, back %s ms, turnaround %s ms)",
		       fmt_ms(ri->fwd, a, sizeof(a)),
		       fmt_ms(ri->back, b, sizeof(b)),
		       fmt_ms(ri->turn, c, sizeof(c)));
	if (ri->what != NULL)
		printf(" (%s)", ri->what);
	if (ri->dup)
		printf(" (DUP!)");
	printf("\n");
	fflush(stdout);
}

static void
got_reply(struct ping *pg, int kind, uint32_t seq, uint64_t ts,
	  struct reply_info *ri, const struct hdp_echo_block *eb)
{
	struct kind_st *k = &pg->k[kind];
	uint64_t tx;

	if (!k->on || !k->sent_ok[seq])
		return;
	ri->dup = k->rx[seq] != 0;
	if (ri->dup) {
		k->dups++;
		print_reply(pg, kind, seq, ri);
		return;
	}
	tx = k->tx_pcap[seq] ? k->tx_pcap[seq] : k->tx_user[seq];
	k->rx[seq] = ts;
	k->received++;
	if ((int64_t)seq < k->max_seq_rx)
		k->reordered++;
	else
		k->max_seq_rx = seq;
	k->rtt_us[seq] = ts > tx ? (double)(ts - tx) / 1e3 : 0.0;
	if (eb != NULL && (pg->o.synced || (eb->host_id != 0 &&
					    eb->host_id == pg->host_id))) {
		ri->owd = 1;
		ri->fwd = ((double)eb->rx_ns - (double)tx) / 1e3;
		ri->back = ((double)ts - (double)eb->tx_ns) / 1e3;
		ri->turn = ((double)eb->tx_ns - (double)eb->rx_ns) / 1e3;
		k->fwd_sum += ri->fwd;
		k->back_sum += ri->back;
		k->turn_sum += ri->turn;
		k->owd_n++;
	}
	print_reply(pg, kind, seq, ri);
}

/* A request of ours leaving: note the kernel's time. */
static void
saw_probe(struct ping *pg, int kind, uint32_t seq, uint64_t ts)
{
	struct kind_st *k = &pg->k[kind];

	if (k->on && seq < pg->nslots && k->tx_pcap[seq] == 0)
		k->tx_pcap[seq] = ts;
}

/* ---- ICMP errors about our probes ---------------------------------------- */

/* ping(8)'s words (iputils) for an ICMP or ICMPv6 error. */
static const char *const unreach4_text[16] = {
	"Destination Net Unreachable", "Destination Host Unreachable",
	"Destination Protocol Unreachable", "Destination Port Unreachable",
	NULL, "Source Route Failed", "Destination Net Unknown",
	"Destination Host Unknown", "Source Host Isolated",
	"Destination Net Prohibited", "Destination Host Prohibited",
	"Destination Net Unreachable for Type of Service",
	"Destination Host Unreachable for Type of Service",
	"Packet filtered", "Precedence Violation", "Precedence Cutoff"
};

static void
icmp4_ping_text(char *w, size_t n, const struct hdp_icmp_err *e)
{
	if (e->type == 3 && e->code == 4)
		snprintf(w, n, "Frag needed and DF set (mtu = %u)",
			 (unsigned)(e->info & 0xffff));
	else if (e->type == 3 && e->code < 16)
		snprintf(w, n, "%s", unreach4_text[e->code]);
	else if (e->type == 3)
		snprintf(w, n, "Dest Unreachable, Bad Code: %d", e->code);
	else if (e->type == 11 && e->code <= 1)
		snprintf(w, n, "%s", e->code == 0 ? "Time to live exceeded" :
			 "Frag reassembly time exceeded");
	else if (e->type == 11)
		snprintf(w, n, "Time exceeded, Bad Code: %d", e->code);
	else
		snprintf(w, n, "Parameter problem: pointer = %u",
			 (unsigned)(e->info >> 24));
}

static void
icmp6_ping_text(char *w, size_t n, const struct hdp_icmp_err *e)
{
	static const char *const unreach[] = {
		"No route", "Administratively prohibited",
		"Beyond scope of source address", "Address unreachable",
		"Port unreachable"
	};
	static const char *const param[] = {
		"Wrong header field ", "Unknown header ", "Unknown option "
	};

	switch (e->type) {
	case 1:
		if (e->code < 5)
			snprintf(w, n, "Destination unreachable: %s",
				 unreach[e->code]);
		else
			snprintf(w, n, "Destination unreachable: Unknown code "
				 "%d", e->code);
		break;
	case 2:
		snprintf(w, n, "Packet too big: mtu=%u", (unsigned)e->info);
		break;
	case 3:
		if (e->code <= 1)
			snprintf(w, n, "Time exceeded: %s", e->code == 0 ?
				 "Hop limit" : "Defragmentation failure");
		else
			snprintf(w, n, "Time exceeded: code %d", e->code);
		break;
	default:
		if (e->code < 3)
			snprintf(w, n, "Parameter problem: %sat %u",
				 param[e->code], (unsigned)e->info);
		else
			snprintf(w, n, "Parameter problem: code %d at %u",
				 e->code, (unsigned)e->info);
		break;
	}
}

/*
 * Which probe of ours the error quotes: the quoted destination is DEST
 * and the quoted transport header and payload name this run (HDP and
 * UDP: the probe block after the HDP header; TCP: the sequence number).
 * Routers quote at least 8 bytes of transport header (Linux up to 576
 * bytes of IPv4, 1280 of IPv6); an HDP or UDP probe whose block is cut
 * off cannot be told from another run's and is not counted.
 */
static int
quoted_probe(const struct ping *pg, const struct hdp_icmp_err *e, int *kind,
	     uint32_t *seq)
{
	const struct hdp_frame *q = &e->inner;
	const uint8_t *l4 = e->l4;
	size_t n = e->l4_len;

	if (!addr_eq(pg->family, &q->dst, &pg->dst) || l4 == NULL ||
	    (q->is_fragment && q->frag_off != 0))
		return 0;
	if (q->proto == HDP_PROTO && q->has_hdp && q->hdp.sport == pg->sport)
		return probe_id(pg, e->quote + q->payload_off,
				q->payload_caplen, kind, seq) &&
		       *kind == K_HDP;
	if (q->proto == 17 && n >= 8 + HDP_HDR_LEN && be16(l4) == pg->sport)
		return probe_id(pg, l4 + 8 + HDP_HDR_LEN,
				n - 8 - HDP_HDR_LEN, kind, seq) &&
		       *kind == K_UDP;
	if (q->proto == 6 && n >= 8 && be16(l4) == pg->sport &&
	    be16(l4 + 2) == pg->o.tcp_port) {
		*kind = K_TCP;
		*seq = be32(l4 + 4) - pg->isn;
		return *seq < pg->nslots;
	}
	return 0;
}

/* "From 10.0.2.2 kind=hdp seq=3 Destination Protocol Unreachable", as
 * ping(8) prints an error, or a JSON object of type "icmp_error". */
static void
print_icmp_error(struct ping *pg, int kind, uint32_t seq,
		 const struct hdp_frame *f, const struct hdp_icmp_err *e,
		 double rtt_us)
{
	char from[INET6_ADDRSTRLEN], text[96];
	struct hdp_json j;

	if (pg->o.quiet)
		return;
	inet_ntop(pg->family, &f->src, from, sizeof(from));
	if (pg->family == AF_INET)
		icmp4_ping_text(text, sizeof(text), e);
	else
		icmp6_ping_text(text, sizeof(text), e);
	if (!pg->o.json) {
		printf("From %s kind=%s seq=%u %s\n", from, kind_names[kind],
		       seq + 1, text);
		fflush(stdout);
		return;
	}
	hj_begin(&j, stdout);
	hj_str(&j, "type", "icmp_error");
	hj_str(&j, "kind", kind_names[kind]);
	hj_u64(&j, "seq", (uint64_t)seq + 1);
	hj_str(&j, "from", from);
	hj_u64(&j, "icmp_type", e->type);
	hj_u64(&j, "icmp_code", e->code);
	hj_str(&j, "error", hdp_icmp_err_name(pg->family, e->type, e->code));
	hj_str(&j, "text", text);
	hj_dbl(&j, "rtt_us", rtt_us, 3);
	hj_end(&j);
	fflush(stdout);
}

/*
 * An ICMP or ICMPv6 error arriving: when it quotes one of our probes,
 * count it (the summary's "+N errors") and print it.  1 when the frame
 * was an ICMP error, ours or not: nothing else looks at it.
 */
static int
icmp_error_in(struct ping *pg, const struct hdp_frame *f, const uint8_t *pkt,
	      size_t caplen, uint64_t ts)
{
	struct hdp_icmp_err e;
	struct kind_st *k;
	uint64_t tx;
	uint32_t seq;
	int kind;

	if (f->proto != (pg->family == AF_INET ? 1 : 58) ||
	    f->direction == HDP_DIR_OUT ||
	    hdp_icmp_error_parse(f, pkt, caplen, &e) != 0)
		return 0;
	if (!quoted_probe(pg, &e, &kind, &seq))
		return 1;
	k = &pg->k[kind];
	if (!k->on || !k->sent_ok[seq])
		return 1;
	k->icmp_errors++;
	pg->icmp_seen = 1;	/* with -w it ends the run, as in ping(8) */
	tx = k->tx_pcap[seq] ? k->tx_pcap[seq] : k->tx_user[seq];
	print_icmp_error(pg, kind, seq, f, &e,
			 ts > tx ? (double)(ts - tx) / 1e3 : 0.0);
	return 1;
}

/*
 * The capture filter's part for errors about our probes: ICMP errors
 * whose quoted destination (ICMP offset 8 + 16) is DEST, ICMPv6 errors
 * right after the fixed header whose quoted destination (offset 48 + 24)
 * is DEST.  They come from routers on the way, not from DEST.
 */
static void
icmp_filter(const struct ping *pg, char *buf, size_t len)
{
	const uint8_t *a = (const uint8_t *)&pg->dst;

	if (pg->family == AF_INET) {
		snprintf(buf, len, "(icmp and (icmp[0] == 3 or icmp[0] == 11 "
			 "or icmp[0] == 12) and icmp[24:4] == 0x%08x)",
			 (unsigned)be32(a));
		return;
	}
	snprintf(buf, len, "(ip6 and ip6[6] == 58 and ip6[40] >= 1 and "
		 "ip6[40] <= 4 and ip6[72:4] == 0x%08x and ip6[76:4] == "
		 "0x%08x and ip6[80:4] == 0x%08x and ip6[84:4] == 0x%08x)",
		 (unsigned)be32(a), (unsigned)be32(a + 4),
		 (unsigned)be32(a + 8), (unsigned)be32(a + 12));
}

static void
on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *pkt)
{
	struct ping *pg = (struct ping *)user;
	uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000000u +
		      (uint64_t)h->ts.tv_usec;	/* nanosecond precision */
	struct hdp_echo_block eb;
	struct reply_info ri;
	struct hdp_frame f;
	const uint8_t *l4, *pl;
	size_t l4len, plen;
	int kind, out, in;
	uint32_t seq;

	if (hdp_decode_frame(pg->dlt, pkt, h->caplen, h->len, &f) !=
	    HDP_ST_OK || f.ip_version == 0 || f.is_fragment ||
	    f.l4_caplen != f.l4_len)
		return;
	if ((f.ip_version == 4) != (pg->family == AF_INET))
		return;
	if (icmp_error_in(pg, &f, pkt, h->caplen, ts))
		return;
	/* on lo a packet may be seen twice, leaving and arriving: a probe
	 * counts when first seen (IPv6 on lo shows raw sends arriving
	 * only), a reply when seen arriving */
	out = addr_eq(pg->family, &f.dst, &pg->dst);
	in = f.direction != HDP_DIR_OUT &&
	     addr_eq(pg->family, &f.src, &pg->dst);
	if (!out && !in)
		return;
	l4 = pkt + f.l4_off;
	l4len = f.l4_len;
	memset(&ri, 0, sizeof(ri));
	ri.bytes = f.l4_len;
	ri.ttl = f.ttl;

	if (f.proto == HDP_PROTO && f.has_hdp) {
		pl = pkt + f.payload_off;
		plen = f.payload_len;
		if (out && f.hdp.sport == pg->sport &&
		    probe_id(pg, pl, plen, &kind, &seq) && kind == K_HDP)
			saw_probe(pg, kind, seq, ts);
		else if (in && f.hdp.dport == pg->sport &&
			 hdp_echo_block_decode(pl, plen, &eb) == 0 &&
			 probe_id(pg, pl + HDP_ECHO_LEN, plen - HDP_ECHO_LEN,
				  &kind, &seq) && kind == K_HDP)
			got_reply(pg, kind, seq, ts, &ri, &eb);
	} else if (f.proto == 17 && l4len >= 8 + HDP_HDR_LEN) {
		pl = l4 + 8 + HDP_HDR_LEN;
		plen = l4len - 8 - HDP_HDR_LEN;
		if (out && be16(l4) == pg->sport &&
		    probe_id(pg, pl, plen, &kind, &seq) && kind == K_UDP)
			saw_probe(pg, kind, seq, ts);
		else if (in && be16(l4 + 2) == pg->sport &&
			 hdp_echo_block_decode(pl, plen, &eb) == 0 &&
			 probe_id(pg, pl + HDP_ECHO_LEN, plen - HDP_ECHO_LEN,
				  &kind, &seq) && kind == K_UDP)
			got_reply(pg, kind, seq, ts, &ri, &eb);
	} else if (f.proto == 6 && l4len >= 20) {
		uint8_t flags = l4[13];

		if (out && be16(l4) == pg->sport &&
		    be16(l4 + 2) == pg->o.tcp_port && (flags & 0x12) == 0x02) {
			seq = be32(l4 + 4) - pg->isn;
			saw_probe(pg, K_TCP, seq, ts);
		} else if (in && be16(l4 + 2) == pg->sport &&
			   be16(l4) == pg->o.tcp_port && (flags & 0x10)) {
			seq = be32(l4 + 8) - pg->isn - 1;
			ri.what = (flags & 0x04) ? "RST" :
				  (flags & 0x02) ? "SYN-ACK" : "ACK";
			if (seq < pg->nslots)
				got_reply(pg, K_TCP, seq, ts, &ri, NULL);
		}
	}
}

/*
 * ping(8)'s ends of a run: the deadline (-w) is past; -c replies (or
 * ICMP errors) of every kind are in; with -w, an ICMP error came.
 */
static int
finished(const struct ping *pg)
{
	int i;

	if (pg->deadline_mono && (hdp_mono_ns() >= pg->deadline_mono ||
				  pg->icmp_seen))
		return 1;
	if (!pg->o.count_set && pg->deadline_mono)
		return 0;	/* -w alone: until the deadline */
	for (i = 0; i < pg->o.nkinds; i++) {
		const struct kind_st *k = &pg->k[pg->o.kinds[i]];

		if (k->received + k->icmp_errors < pg->o.count)
			return 0;
	}
	return 1;
}

/* Every probe sent has its reply or ICMP error. */
static int
all_answered(const struct ping *pg)
{
	int i;

	for (i = 0; i < pg->o.nkinds; i++) {
		const struct kind_st *k = &pg->k[pg->o.kinds[i]];

		if (k->received + k->icmp_errors < k->sent)
			return 0;
	}
	return 1;
}

/* Read the capture until until_mono (never past the deadline), a stop
 * signal, or the end of the run; 0, or -1 when the capture failed. */
static int
pump(struct ping *pg, uint64_t until_mono)
{
	struct pollfd pfd;
	struct timespec ts;
	uint64_t now;

	pfd.fd = pcap_get_selectable_fd(pg->pc);
	pfd.events = POLLIN;
	for (;;) {
		if (pcap_dispatch(pg->pc, -1, on_packet, (u_char *)pg) ==
		    PCAP_ERROR) {
			tool_err("%s: %s", pg->capif, pcap_geterr(pg->pc));
			return -1;
		}
		now = hdp_mono_ns();
		if (pg->deadline_mono && until_mono > pg->deadline_mono)
			until_mono = pg->deadline_mono;
		if (now >= until_mono || tool_stop || finished(pg) ||
		    (pg->draining && all_answered(pg)))
			return 0;
		ts.tv_sec = (time_t)((until_mono - now) / 1000000000u);
		ts.tv_nsec = (long)((until_mono - now) % 1000000000u);
		if (ppoll(&pfd, 1, &ts, NULL) < 0 && errno != EINTR) {
			tool_errno("poll");
			return -1;
		}
	}
}

/* ---- sending ------------------------------------------------------------ */

static void
send_probe(struct ping *pg, int kind, uint32_t seq)
{
	struct kind_st *k = &pg->k[kind];
	struct hdp_pkt_spec spec;
	struct hdp_tx_result res;
	char err[sizeof(res.error)];

	memset(&spec, 0, sizeof(spec));
	spec.family = pg->family;
	spec.dst = pg->dst;
	spec.ttl = pg->o.ttl;
	spec.sport = pg->sport;
	if (kind == K_TCP) {
		spec.proto = 6;
		spec.l4 = HDP_L4_TCP_SYN;
		spec.dport = pg->o.tcp_port;
		spec.tcp_seq = pg->isn + seq;
	} else {
		spec.proto = kind == K_HDP ? HDP_PROTO : 17;
		spec.l4 = kind == K_HDP ? HDP_L4_HDP : HDP_L4_UDP;
		spec.dport = pg->o.port;
		put32(pg->payload + 8, seq);
		pg->payload[12] = (uint8_t)kind;
		spec.payload = pg->payload;
		spec.payload_len = pg->o.size;	/* the room included */
	}
	memset(&res, 0, sizeof(res));
	if (hdp_tx_build(pg->tx, &spec, err, sizeof(err)) != 0) {
		snprintf(res.error, sizeof(res.error), "%s", err);
	} else if (hdp_tx_write(pg->tx, &res) == 0) {
		k->sent++;
		k->sent_ok[seq] = 1;
		k->tx_user[seq] = res.time_ns;
		if (k->first_tx == 0)
			k->first_tx = res.time_ns;
		k->last_tx = res.time_ns;
		return;
	}
	k->errors++;
	if (k->first_error[0] == '\0')
		snprintf(k->first_error, sizeof(k->first_error), "%s",
			 res.error[0] ? res.error : strerror(res.err));
	if (!pg->o.quiet && !pg->o.json)
		printf("kind=%s seq=%u: send failed: %s\n", kind_names[kind],
		       seq + 1, res.error[0] ? res.error : strerror(res.err));
}

/* ---- results ------------------------------------------------------------ */

struct kind_sum {
	double min, avg, max, mdev, p50, p90, p99, loss;
	size_t n;
};

static void
summarise(struct ping *pg, int kind, struct kind_sum *s)
{
	struct kind_st *k = &pg->k[kind];
	double *v = NULL, sum = 0, sq = 0;
	uint64_t i;
	size_t n = 0;

	memset(s, 0, sizeof(*s));
	s->loss = k->sent ? 100.0 * (double)(k->sent - k->received) /
		  (double)k->sent : 0.0;
	if (k->received)
		v = malloc(k->received * sizeof(*v));
	if (v == NULL)
		return;
	for (i = 0; i < pg->nslots; i++) {
		if (k->rx[i] == 0)
			continue;
		v[n++] = k->rtt_us[i];
		sum += k->rtt_us[i];
		sq += k->rtt_us[i] * k->rtt_us[i];
		if (k->tx_pcap[i] == 0)
			k->tx_user_used++;
	}
	qsort(v, n, sizeof(*v), cmp_dbl);
	s->n = n;
	s->min = v[0];
	s->max = v[n - 1];
	s->avg = sum / (double)n;
	s->mdev = sqrt(fmax(0.0, sq / (double)n - s->avg * s->avg));
	s->p50 = pctl(v, n, 50);
	s->p90 = pctl(v, n, 90);
	s->p99 = pctl(v, n, 99);
	free(v);
}

static void
print_lost(struct ping *pg)
{
	struct hdp_json j;
	uint64_t i;
	int kind;

	if (!pg->o.json || pg->o.quiet)
		return;
	for (kind = 0; kind < K_COUNT; kind++) {
		struct kind_st *k = &pg->k[kind];

		if (!k->on)
			continue;
		for (i = 0; i < pg->nslots; i++) {
			if (!k->sent_ok[i] || k->rx[i])
				continue;
			hj_begin(&j, stdout);
			hj_str(&j, "type", "probe");
			hj_str(&j, "kind", kind_names[kind]);
			hj_u64(&j, "seq", i + 1);
			hj_bool(&j, "received", 0);
			hj_null(&j, "rtt_us");	/* same keys as an answer */
			hj_end(&j);
		}
	}
}

/* ping(8)'s "time": first probe sent to the last, in whole ms. */
static uint64_t
tx_span_ms(const struct kind_st *k)
{
	return k->last_tx > k->first_tx ?
	       (k->last_tx - k->first_tx + 500000) / 1000000 : 0;
}

/* One kind's summary as a --json line. */
static void
summary_json(struct ping *pg, int kind, const struct kind_sum *ks)
{
	struct kind_st *k = &pg->k[kind];
	struct hdp_json j;

	hj_begin(&j, stdout);
	hj_str(&j, "type", "summary");
	hj_str(&j, "kind", kind_names[kind]);
	hj_str(&j, "dest", pg->dst_str);
	hj_u64(&j, "sent", k->sent);
	hj_u64(&j, "errors", k->errors);
	hj_u64(&j, "received", k->received);
	hj_dbl(&j, "loss_pct", ks->loss, 2);
	hj_u64(&j, "duplicates", k->dups);
	hj_u64(&j, "reordered", k->reordered);
	hj_u64(&j, "icmp_errors", k->icmp_errors);
	hj_u64(&j, "time_ms", tx_span_ms(k));
	if (ks->n) {
		hj_dbl(&j, "rtt_min_us", ks->min, 3);
		hj_dbl(&j, "rtt_avg_us", ks->avg, 3);
		hj_dbl(&j, "rtt_max_us", ks->max, 3);
		hj_dbl(&j, "rtt_mdev_us", ks->mdev, 3);
		hj_dbl(&j, "rtt_p50_us", ks->p50, 3);
		hj_dbl(&j, "rtt_p90_us", ks->p90, 3);
		hj_dbl(&j, "rtt_p99_us", ks->p99, 3);
	} else {
		hj_null(&j, "rtt_min_us");
		hj_null(&j, "rtt_avg_us");
		hj_null(&j, "rtt_max_us");
		hj_null(&j, "rtt_mdev_us");
		hj_null(&j, "rtt_p50_us");
		hj_null(&j, "rtt_p90_us");
		hj_null(&j, "rtt_p99_us");
	}
	if (k->owd_n) {
		hj_dbl(&j, "fwd_avg_us", k->fwd_sum / (double)k->owd_n, 3);
		hj_dbl(&j, "back_avg_us", k->back_sum / (double)k->owd_n, 3);
		hj_dbl(&j, "turnaround_avg_us", k->turn_sum /
		       (double)k->owd_n, 3);
	}
	hj_u64(&j, "tx_user_clock", k->tx_user_used);
	if (k->first_error[0])
		hj_str(&j, "first_error", k->first_error);
	hj_end(&j);
}

/*
 * One kind's statistics as ping(8) prints them (iputils: "+N duplicates",
 * "+N errors", the loss with %g, "time" from the first probe sent to the
 * last, the rtt line in ms with three decimals), then a few of our own.
 */
static void
summary_text(struct ping *pg, int kind, const struct kind_sum *ks)
{
	struct kind_st *k = &pg->k[kind];
	char a[32], b[32], c[32], d[32];

	printf("\n--- %s %s ping statistics ---\n", pg->dst_str,
	       kind_names[kind]);
	printf("%llu packets transmitted, %llu received",
	       (unsigned long long)k->sent, (unsigned long long)k->received);
	if (k->dups)
		printf(", +%llu duplicates", (unsigned long long)k->dups);
	if (k->icmp_errors)
		printf(", +%llu errors", (unsigned long long)k->icmp_errors);
	if (k->sent)
		printf(", %g%% packet loss, time %llums", (float)ks->loss,
		       (unsigned long long)tx_span_ms(k));
	printf("\n");
	if (ks->n) {
		printf("rtt min/avg/max/mdev = %s/%s/%s/%s ms\n",
		       fmt_ms3(ks->min, a, sizeof(a)),
		       fmt_ms3(ks->avg, b, sizeof(b)),
		       fmt_ms3(ks->max, c, sizeof(c)),
		       fmt_ms3(ks->mdev, d, sizeof(d)));
		printf("rtt p50/p90/p99 = %s/%s/%s ms, %llu reordered\n",
		       fmt_ms3(ks->p50, a, sizeof(a)),
		       fmt_ms3(ks->p90, b, sizeof(b)),
		       fmt_ms3(ks->p99, c, sizeof(c)),
		       (unsigned long long)k->reordered);
	}
	if (k->owd_n)
		printf("one-way avg fwd/back = %s/%s ms, responder "
		       "turnaround %s ms\n",
		       fmt_ms3(k->fwd_sum / (double)k->owd_n, a, sizeof(a)),
		       fmt_ms3(k->back_sum / (double)k->owd_n, b, sizeof(b)),
		       fmt_ms3(k->turn_sum / (double)k->owd_n, c, sizeof(c)));
	if (k->errors)	/* not sent: apart from ping's +N errors */
		printf("%llu probes not sent: %s\n",
		       (unsigned long long)k->errors, k->first_error);
	if (k->tx_user_used)
		printf("%llu departures not captured; user-space send time "
		       "used\n", (unsigned long long)k->tx_user_used);
}

/* --compare in text: every kind side by side, one Markdown table. */
static void
summary_table(struct ping *pg, const struct kind_sum *s)
{
	char v[7][32];
	int kind, i;

	printf("\n| kind | sent | received | loss %% | dup | reord | min ms "
	       "| avg ms | max ms | mdev ms | p50 ms | p90 ms | p99 ms |\n");
	printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- "
	       "| --- | --- | --- |\n");
	for (i = 0; i < pg->o.nkinds; i++) {
		const struct kind_sum *ks;

		kind = pg->o.kinds[i];
		ks = &s[kind];
		printf("| %s | %llu | %llu | %.1f | %llu | %llu ",
		       kind_names[kind],
		       (unsigned long long)pg->k[kind].sent,
		       (unsigned long long)pg->k[kind].received,
		       ks->loss, (unsigned long long)pg->k[kind].dups,
		       (unsigned long long)pg->k[kind].reordered);
		if (ks->n)
			printf("| %s | %s | %s | %s | %s | %s | %s |\n",
			       fmt_ms3(ks->min, v[0], 32),
			       fmt_ms3(ks->avg, v[1], 32),
			       fmt_ms3(ks->max, v[2], 32),
			       fmt_ms3(ks->mdev, v[3], 32),
			       fmt_ms3(ks->p50, v[4], 32),
			       fmt_ms3(ks->p90, v[5], 32),
			       fmt_ms3(ks->p99, v[6], 32));
		else
			printf("| | | | | | | |\n");
	}
}

static void
print_summaries(struct ping *pg, struct kind_sum *s)
{
	int kind, i;

	for (i = 0; i < pg->o.nkinds; i++) {
		kind = pg->o.kinds[i];
		if (pg->o.json)
			summary_json(pg, kind, &s[kind]);
		else
			summary_text(pg, kind, &s[kind]);
	}
	if (!pg->o.json && pg->o.nkinds >= 2)
		summary_table(pg, s);
}

/* ---- the plot ------------------------------------------------------------ */

static int
ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && strcmp(s + a - b, suf) == 0;
}

/* Each kind's RTTs, one per line (NaN when none came back, so gnuplot
 * still draws the column), as dir/KIND.dat. */
static int
plot_data(struct ping *pg, const char *dir)
{
	char path[64];
	FILE *df;
	int i, kind;
	uint64_t s;

	for (i = 0; i < pg->o.nkinds; i++) {
		kind = pg->o.kinds[i];
		snprintf(path, sizeof(path), "%s/%s.dat", dir,
			 kind_names[kind]);
		df = fopen(path, "w");
		if (df == NULL) {
			tool_errno("%s", path);
			return -1;
		}
		for (s = 0; s < pg->nslots; s++)
			if (pg->k[kind].rx[s])
				fprintf(df, "%.3f\n",
					pg->k[kind].rtt_us[s] / 1e3);
		if (pg->k[kind].received == 0)
			fprintf(df, "NaN\n");
		fclose(df);
	}
	return 0;
}

/* The gnuplot script, as path: a box plot per kind, samples over it. */
static int
plot_script(struct ping *pg, const char *dir, const char *path)
{
	FILE *sf;
	int i, kind;

	sf = fopen(path, "w");
	if (sf == NULL) {
		tool_errno("%s", path);
		return -1;
	}
	fprintf(sf, "set terminal %s size 900,600 font ',11'\n",
		ends_with(pg->o.plot, ".svg") ? "svg" : "pngcairo");
	fprintf(sf, "set title 'hdp ping %s: round-trip time by kind "
		"(libpcap kernel timestamps)'\n", pg->dst_str);
	/* a log scale: a few slow outliers must not flatten the rest */
	fprintf(sf, "set ylabel 'RTT (ms, log scale)'\nset logscale y\n"
		"set grid ytics mytics\n"
		"set style fill transparent solid 0.3 border -1\n"
		"set style boxplot nooutliers\nset boxwidth 0.5\n"
		"set xrange [0.4:%d.6]\nset xtics (", pg->o.nkinds);
	for (i = 0; i < pg->o.nkinds; i++) {
		kind = pg->o.kinds[i];
		fprintf(sf, "%s\"%s (%llu/%llu)\" %d", i ? ", " : "",
			kind_names[kind],
			(unsigned long long)pg->k[kind].received,
			(unsigned long long)pg->k[kind].sent, i + 1);
	}
	fprintf(sf, ")\nset key off\nplot ");
	for (i = 0; i < pg->o.nkinds; i++) {
		kind = pg->o.kinds[i];
		fprintf(sf, "%s'%s/%s.dat' using (%d):1 with boxplot lc %d, "
			"'%s/%s.dat' using (%d + 0.35*(rand(0)-0.5)):1 with "
			"points pt 7 ps 0.4 lc %d", i ? ", " : "", dir,
			kind_names[kind], i + 1, i + 1, dir, kind_names[kind],
			i + 1, i + 1);
	}
	fprintf(sf, "\n");
	if (fclose(sf) != 0) {
		tool_errno("%s", path);
		return -1;
	}
	return 0;
}

/*
 * Draw the RTT distribution of each kind side by side (box plot with the
 * samples jittered over it) with gnuplot.  gnuplot writes the image to
 * its standard output, pg->plot_out: the file setup() created safely
 * while it still could (a user's directory may be closed to nobody).
 */
static int
plot(struct ping *pg)
{
	char dir[] = "/tmp/hdp-ping-plot.XXXXXX";
	char path[64], script[64];
	int i, rc = -1;

	if (mkdtemp(dir) == NULL) {
		tool_errno("mkdtemp");
		return -1;
	}
	snprintf(script, sizeof(script), "%s/plot.gp", dir);
	if (plot_data(pg, dir) == 0 && plot_script(pg, dir, script) == 0 &&
	    tool_gnuplot(pg->o.plot, pg->plot_out, script) == 0)
		rc = 0;
	for (i = 0; i < K_COUNT; i++) {
		snprintf(path, sizeof(path), "%s/%s.dat", dir, kind_names[i]);
		unlink(path);
	}
	unlink(script);
	rmdir(dir);
	return rc;
}

/* ---- options ------------------------------------------------------------ */

enum {
	OPT_RATE = 256, OPT_COMPARE, OPT_JSON, OPT_PLOT, OPT_FORCE,
	OPT_SYNCED, OPT_TCP_PORT, OPT_RESPONDER
};

static const char shortopts[] = "c:i:s:w:W:p:I:t:46qZ:h";

static const struct option longopts[] = {
	{ "rate",     required_argument, NULL, OPT_RATE },
	{ "size",     required_argument, NULL, 's' },
	{ "compare",  required_argument, NULL, OPT_COMPARE },
	{ "json",     no_argument,       NULL, OPT_JSON },
	{ "plot",     required_argument, NULL, OPT_PLOT },
	{ "force",    no_argument,       NULL, OPT_FORCE },
	{ "synced",   no_argument,       NULL, OPT_SYNCED },
	{ "port",     required_argument, NULL, 'p' },
	{ "tcp-port", required_argument, NULL, OPT_TCP_PORT },
	{ "ttl",      required_argument, NULL, 't' },
	{ "quiet",    no_argument,       NULL, 'q' },
	{ "user",     required_argument, NULL, 'Z' },
	{ "responder", required_argument, NULL, OPT_RESPONDER },
	REMOTE_LONGOPTS,
	{ "help",     no_argument,       NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* --compare's comma list into o->kinds; -1 when bad (said). */
static int
parse_kinds(const char *s, struct ping_opts *o)
{
	const char *p = s;
	int i, k;

	o->nkinds = 0;
	while (*p) {
		size_t n = strcspn(p, ",");

		for (k = 0; k < K_COUNT; k++)
			if (strlen(kind_names[k]) == n &&
			    strncmp(p, kind_names[k], n) == 0)
				break;
		if (k == K_COUNT) {
			tool_usage_err("--compare: unknown kind '%s' (hdp, "
				       "udp, tcp)", tool_safe(s));
			return -1;
		}
		for (i = 0; i < o->nkinds; i++)
			if (o->kinds[i] == k)
				break;
		if (i == o->nkinds)
			o->kinds[o->nkinds++] = k;
		p += n;
		if (*p == ',')
			p++;
	}
	if (o->nkinds == 0) {
		tool_usage_err("--compare: no kinds given");
		return -1;
	}
	return 0;
}

/* A number of seconds: "out of range" for a number below min (or not
 * above it), "not a number" only for text. */
static int
parse_secs(const char *arg, double min, int above, double *out,
	   const char *what)
{
	char *end;
	double v;

	v = strtod(arg, &end);
	if (end == arg || *end != '\0' || isnan(v)) {
		tool_usage_err("%s: %s: not a number", what, tool_safe(arg));
		return -1;
	}
	if (!isfinite(v) || (above ? !(v > min) : !(v >= min)) ||
	    v > 1e6) {
		tool_usage_err("%s: %s: out of range (%s %g to 1e6)", what,
			       tool_safe(arg), above ? "more than" : "from",
			       min);
		return -1;
	}
	*out = v;
	return 0;
}

/* A whole number in [min, max] (decimal or 0x hex), said the same way. */
static int
parse_u(const char *arg, uint64_t min, uint64_t max, uint64_t *out,
	const char *what)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 0);
	if (end == arg || *end != '\0') {
		tool_usage_err("%s: %s: not a number", what, tool_safe(arg));
		return -1;
	}
	if (errno == ERANGE || v < (long long)min || v > (long long)max) {
		tool_usage_err("%s: %s: out of range (%llu to %llu)", what,
			       tool_safe(arg), (unsigned long long)min,
			       (unsigned long long)max);
		return -1;
	}
	*out = (uint64_t)v;
	return 0;
}

/* A number option of o; 0, or -1 when bad (said). */
static int
parse_num(struct ping_opts *o, int c, const char *arg)
{
	uint64_t v;
	double d;

	switch (c) {
	case 'c':
		o->count_set = 1;
		return parse_u(arg, 1, MAX_PROBES, &o->count, "-c");
	case 'i':
		return parse_secs(arg, 0, 0, &o->interval, "-i");
	case OPT_RATE:
		if (parse_secs(arg, 0, 1, &d, "--rate"))
			return -1;
		o->interval = 1.0 / d;
		return 0;
	case 'w':
		return parse_secs(arg, 0, 1, &o->deadline, "-w");
	case 'W':
		return parse_secs(arg, 0, 0, &o->wait, "-W");
	case 's':
		return parse_u(arg, MIN_SIZE, MAX_SIZE, &o->size, "-s");
	case 'p':
	case OPT_TCP_PORT:
		if (parse_u(arg, c == 'p' ? 0 : 1, 65535, &v,
				    c == 'p' ? "--port" : "--tcp-port"))
			return -1;
		if (c == 'p')
			o->port = (uint16_t)v;
		else
			o->tcp_port = (uint16_t)v;
		return 0;
	case 't':
		if (parse_u(arg, 1, 255, &v, "--ttl"))
			return -1;
		o->ttl = (uint8_t)v;
		return 0;
	}
	return -1;
}

/* One option into o; 0, 1 after --help, -1 when bad (said). */
static int
parse_opt(struct ping_opts *o, int c, const char *arg)
{
	switch (c) {
	case 'I':
		o->ifname = arg;
		break;
	case '4':
	case '6':
		o->family = c == '4' ? AF_INET : AF_INET6;
		break;
	case 'q':
		o->quiet = 1;
		break;
	case 'Z':
		o->user = arg;
		break;
	case OPT_COMPARE:
		return parse_kinds(arg, o);
	case OPT_JSON:
		o->json = 1;
		break;
	case OPT_PLOT:
		o->plot = arg;
		break;
	case OPT_FORCE:
		o->force = 1;
		break;
	case OPT_SYNCED:
		o->synced = 1;
		break;
	case OPT_RESPONDER:
		o->responder = arg;
		break;
	case REMOTE_OPT_SSH:
	case REMOTE_OPT_SUDO:
	case REMOTE_OPT_HDP:
		return remote_cfg_opt(&o->rcfg, c, arg) < 0 ? -1 : 0;
	case 'h':
		usage_ping(stdout);
		return 1;
	case '?':	/* tool_getopt said what */
		return -1;
	default:
		return parse_num(o, c, arg);
	}
	return 0;
}

static int ends_with(const char *s, const char *suf);

/* --responder: a host, reached over ssh; 0 or -1 (said). */
static int
parse_responder(struct ping_opts *o)
{
	if (o->responder == NULL)
		return 0;
	if (point_parse(o->responder, 0, &o->rpt) != 0)
		return -1;
	if (o->rpt.kind != POINT_SSH || o->rpt.iface != NULL) {
		tool_usage_err("--responder %s: not ssh://[USER@]HOST[:PORT]",
			       tool_safe(o->responder));
		return -1;
	}
	return 0;
}

/* What parse_opts allocated. */
static void
free_opts(struct ping_opts *o)
{
	point_free(&o->rpt);
	remote_cfg_free(&o->rcfg);
}

/* Step 1: the options into o.  0: ready; 1: help printed; -1: bad
 * arguments (said why). */
static int
parse_opts(int argc, char **argv, struct ping_opts *o)
{
	int c, rc;

	memset(o, 0, sizeof(*o));
	o->count = 10;
	o->interval = 1.0;
	o->wait = 1.0;
	o->size = 56;
	o->port = HDP_DEFAULT_PORT;
	o->family = AF_UNSPEC;
	o->kinds[0] = K_HDP;
	o->nkinds = 1;
	o->ttl = 64;
	o->rcfg.connect_timeout = 10;
	optind = 0;	/* glibc: a fresh scan from argv[1] */
	while ((c = tool_getopt(argc, argv, shortopts, longopts)) != -1)
		if ((rc = parse_opt(o, c, optarg)) != 0)
			return rc;
	if (o->tcp_port == 0)
		o->tcp_port = o->port ? o->port : HDP_DEFAULT_PORT;
	if (o->plot != NULL && !ends_with(o->plot, ".svg") &&
	    !ends_with(o->plot, ".png")) {
		tool_usage_err("--plot: %s: not a .png or .svg file",
			       tool_safe(o->plot));
		return -1;
	}
	if (optind >= argc) {
		tool_usage_err("no destination given");
		return -1;
	}
	if (optind != argc - 1) {
		tool_usage_err("%s: one destination only",
			       tool_safe(argv[optind + 1]));
		return -1;
	}
	o->dest = argv[optind];
	return parse_responder(o);
}

/* ---- step 2: open what the run needs ------------------------------------ */

/*
 * How many probes of each kind the run may send: -c; with -w, as many as
 * fit in the deadline at -i's pace (ping(8) goes on past -c until -c are
 * answered), at least -c, at most MAX_PROBES.
 */
static uint64_t
probe_slots(const struct ping_opts *o)
{
	double fit;

	if (o->deadline <= 0)
		return o->count;
	fit = o->interval > 0 ? floor(o->deadline / o->interval) + 1 :
	      (double)MAX_PROBES;
	if (fit > (double)MAX_PROBES)
		fit = (double)MAX_PROBES;
	if (o->count_set && (double)o->count > fit)
		return o->count;
	return (uint64_t)fit;
}

/* Each kind's per-probe arrays, the payload and the run's ids; 0 or an
 * exit status. */
static int
open_alloc(struct ping *pg)
{
	int kind;

	pg->nslots = probe_slots(&pg->o);
	for (kind = 0; kind < K_COUNT; kind++) {
		struct kind_st *k = &pg->k[kind];
		uint64_t n = pg->nslots;
		int i;

		for (i = 0; i < pg->o.nkinds; i++)
			if (pg->o.kinds[i] == kind)
				k->on = 1;
		k->max_seq_rx = -1;
		if (!k->on)
			continue;
		k->tx_pcap = calloc(n, sizeof(uint64_t));
		k->tx_user = calloc(n, sizeof(uint64_t));
		k->rx = calloc(n, sizeof(uint64_t));
		k->rtt_us = calloc(n, sizeof(double));
		k->sent_ok = calloc(n, 1);
		if (!k->tx_pcap || !k->tx_user || !k->rx || !k->rtt_us ||
		    !k->sent_ok) {
			tool_err("out of memory");
			return HDP_EXIT_ENV;
		}
	}
	pg->payload = calloc(1, pg->o.size);
	if (pg->payload == NULL) {
		tool_err("out of memory");
		return HDP_EXIT_ENV;
	}
	pg->run_id = random32();
	pg->isn = random32();
	pg->host_id = hdp_host_id();
	memcpy(pg->payload, PROBE_MAGIC, 4);
	put32(pg->payload + 4, pg->run_id);
	return 0;
}

/* The UDP source port and the raw socket; 0 or an exit status. */
static int
open_senders(struct ping *pg)
{
	char err[PCAP_ERRBUF_SIZE + 256];
	int perm = 0;

	/* our source port: replies to it meet a socket (no "port
	 * unreachable") that drops them unread; one the responder answers */
	pg->udp_fd = hdp_echo_udp_client_port(pg->family, &pg->sport);
	if (pg->udp_fd < 0) {
		tool_errno("cannot reserve a UDP port");
		return HDP_EXIT_ENV;
	}
	pg->tx = hdp_tx_open(HDP_TX_RAW, pg->family, NULL, &perm, err,
			     sizeof(err));
	if (pg->tx == NULL) {
		tool_err("raw socket: %s%s", err, perm ? " (run as root or "
			 "give hdp cap_net_raw)" : "");
		return perm ? HDP_EXIT_PERM : HDP_EXIT_ENV;
	}
	/* libnet's IPPROTO_RAW socket also receives protocol 255: the
	 * replies would pile up in its queue */
	(void)hdp_tx_rx_filter(pg->tx);
	return 0;
}

/* The capture of probes, replies and ICMP errors about them; 0 or an
 * exit status. */
static int
open_capture(struct ping *pg)
{
	struct hdp_cap_opts co;
	char err[PCAP_ERRBUF_SIZE + 256], icmp[256];
	char *filter;
	int rc;

	if (pg->o.ifname)
		snprintf(pg->capif, sizeof(pg->capif), "%s", pg->o.ifname);
	else
		route_ifname(pg->family, &pg->dst, pg->capif,
			     sizeof(pg->capif));
	memset(&co, 0, sizeof(co));
	/* on lo each packet shows twice; "any" says which copy is which */
	if (pg->capif[0] == '\0' || strcmp(pg->capif, "lo") == 0)
		snprintf(pg->capif, sizeof(pg->capif), "any");
	co.ifname = pg->capif;
	co.immediate = 1;
	co.nano = 1;
	/* immediate mode rings hold frames of snaplen each: capture what
	 * the probes and replies need, no more, so none is dropped */
	co.snaplen = (int)pg->o.size + 256;
	co.buffer_kb = 8192;
	pg->pc = hdp_cap_open_live(&co, err, sizeof(err));
	if (pg->pc == NULL) {
		tool_err("%s", err);
		return tool_cap_status(err);
	}
	tool_cap_warn(err);
	/* SLL2 tells a packet leaving from one arriving (lo shows both) */
	if (pcap_set_datalink(pg->pc, DLT_LINUX_SLL2) != 0)
		(void)pcap_set_datalink(pg->pc, DLT_LINUX_SLL);
	pg->dlt = pcap_datalink(pg->pc);
	icmp_filter(pg, icmp, sizeof(icmp));
	if (asprintf(&filter, "(host %s and (%s or udp port %u or tcp port "
		     "%u)) or %s", pg->dst_str, hdp_filter_default(1),
		     pg->sport, pg->sport, icmp) < 0) {
		tool_err("out of memory");
		return HDP_EXIT_ENV;
	}
	rc = hdp_cap_set_filter(pg->pc, filter, err, sizeof(err));
	free(filter);
	if (rc != 0) {
		tool_err("%s: %s", pg->capif, err);
		return HDP_EXIT_ENV;
	}
	if (pcap_setnonblock(pg->pc, 1, err) != 0) {
		tool_err("%s: %s", pg->capif, err);
		return HDP_EXIT_ENV;
	}
	return 0;
}

/*
 * --responder: hdp listen --echo on the host, for this run's family
 * (and --echo-udp for udp probes; a rate limit above the run's rate),
 * started by a keeper process (tool_half.h) and listening before the
 * first probe.  0, or HDP_EXIT_ENV after one line saying why.
 */
static int
open_responder(struct ping *pg)
{
	char *argv[12], port[8], rate[24];
	struct half_spec sp;
	double per_s;
	int n = 0, i;

	argv[n++] = (char *)"hdp";
	argv[n++] = (char *)"listen";
	argv[n++] = (char *)"--echo";
	argv[n++] = (char *)(pg->family == AF_INET6 ? "-6" : "-4");
	for (i = 0; i < pg->o.nkinds; i++)
		if (pg->o.kinds[i] == K_UDP && pg->o.port != 0) {
			snprintf(port, sizeof(port), "%u", pg->o.port);
			argv[n++] = (char *)"--echo-udp";
			argv[n++] = port;
		}
	/* one probe of each kind a round: never above the limits */
	per_s = pg->o.interval > 0 ? pg->o.nkinds / pg->o.interval : 1e7;
	if (per_s * 2 > HDP_ECHO_RATE_SRC) {
		snprintf(rate, sizeof(rate), "%.0f",
			 per_s * 2 > 1e7 ? 1e7 : ceil(per_s * 2));
		argv[n++] = (char *)"--echo-rate";
		argv[n++] = rate;
		argv[n++] = (char *)"--echo-rate-total";
		argv[n++] = rate;
	}
	argv[n] = NULL;
	memset(&sp, 0, sizeof(sp));
	sp.argv = argv;
	sp.ready = "listening on";
	sp.discard = 1;
	sp.timeout_ms = 15000;
	pg->resp = half_start(&pg->o.rcfg, &pg->o.rpt, &sp);
	return pg->resp != NULL ? 0 : HDP_EXIT_ENV;
}

/* Step 2: resolve, allocate and open everything the run uses (the UDP
 * port, the raw socket, the capture, the --plot file), then drop
 * privileges (-Z): nothing later needs them.  0 or an exit status. */
static int
open_ping(struct ping *pg)
{
	char err[PCAP_ERRBUF_SIZE + 256];
	unsigned scope = 0;
	int rc;

	/* tool_resolve: an unknown scope interface is 4, as everywhere */
	if ((rc = tool_resolve(pg->o.dest, pg->o.family, &pg->family,
			       &pg->dst, &scope)) != HDP_EXIT_OK)
		return rc;
	inet_ntop(pg->family, &pg->dst, pg->dst_str, sizeof(pg->dst_str));
	/* the responder first: it listens while the rest opens, and its
	 * keeper holds none of the sockets */
	if (pg->o.responder != NULL && (rc = open_responder(pg)) != 0)
		return rc;
	if ((rc = open_alloc(pg)) != 0 || (rc = open_senders(pg)) != 0 ||
	    (rc = open_capture(pg)) != 0)
		return rc;
	if (pg->o.plot != NULL) {
		/* a file that was there (--force) is emptied only when
		 * gnuplot is about to draw into it */
		pg->plot_out = hdp_file_create_kept(pg->o.plot, pg->o.force,
						    &pg->plot_id, err,
						    sizeof(err));
		if (pg->plot_out == NULL) {
			rc = HDP_FILE_REFUSED(errno) ? HDP_EXIT_USAGE :
			     HDP_EXIT_ENV;
			tool_err("%s", err);
			return rc;
		}
	}
	if (hdp_drop_privileges(pg->o.user, err, sizeof(err)) != 0) {
		tool_err("%s", err);
		return HDP_EXIT_PERM;
	}
	return 0;
}

static void
close_ping(struct ping *pg)
{
	int kind;

	for (kind = 0; kind < K_COUNT; kind++) {
		free(pg->k[kind].tx_pcap);
		free(pg->k[kind].tx_user);
		free(pg->k[kind].rx);
		free(pg->k[kind].rtt_us);
		free(pg->k[kind].sent_ok);
	}
	free(pg->payload);
	if (pg->plot_out) {
		fclose(pg->plot_out);
		/* no empty image behind a run or a plot that failed (the next
		 * run would need --force) -- but only the file this run
		 * created: not one that was there (--force), nor whatever the
		 * name means by now; as nobody in a directory closed to it,
		 * this may not be allowed */
		if (!pg->plotted &&
		    hdp_file_remove_created(pg->o.plot, &pg->plot_id) < 0)
			tool_errno("%s: left empty", pg->o.plot);
	}
	if (pg->pc)
		pcap_close(pg->pc);
	if (pg->tx)
		hdp_tx_close(pg->tx);
	if (pg->udp_fd >= 0)
		close(pg->udp_fd);
	/* the responder ends with the run (also after a Ctrl-C) */
	if (pg->resp != NULL)
		(void)half_finish(pg->resp, 5000);
	free_opts(&pg->o);
}

/* ---- step 3: run ------------------------------------------------------- */

/* ping(8)'s first line: "PING DEST (ADDR) 56(88) bytes of data", the
 * sizes those of the first kind, then what hdp adds. */
static void
print_banner(const struct ping *pg)
{
	size_t ip = pg->family == AF_INET ? 20 : 40, l4;
	int first = pg->o.kinds[0], i;

	l4 = first == K_TCP ? 20 : HDP_HDR_LEN + pg->o.size +
	     (first == K_UDP ? 8 : 0);
	printf("PING %s (%s) %llu(%zu) bytes of data: kind%s ",
	       tool_safe(pg->o.dest), pg->dst_str,
	       (unsigned long long)(first == K_TCP ? 0 : pg->o.size), ip + l4,
	       pg->o.nkinds > 1 ? "s" : "");
	for (i = 0; i < pg->o.nkinds; i++)
		printf("%s%s", i ? "," : "", kind_names[pg->o.kinds[i]]);
	printf(", port %u (tcp %u), from port %u, capture on %s\n",
	       pg->o.port, pg->o.tcp_port, pg->sport, tool_safe(pg->capif));
	fflush(stdout);
}

/* Round r may start: ping(8)'s -c without -w sends -c; with -w, probes
 * go on until the deadline or the end of the run. */
static int
more_rounds(const struct ping *pg, uint64_t r)
{
	if (tool_stop || r >= pg->nslots)
		return 0;
	if (pg->deadline_mono == 0)
		return r < pg->o.count;
	return !finished(pg);
}

/*
 * Step 3: the rounds, one probe of each kind spread over the interval in
 * rotating order (no probe waits behind another's reply at the
 * responder), then the wait for late replies: -W after the last round,
 * or with -w until the deadline; both end early once the run is
 * finished.  0, or an exit status.
 */
static int
run_ping(struct ping *pg)
{
	uint64_t r, next, step;
	int i, last;

	if (!pg->o.json)	/* -q too, as ping(8) */
		print_banner(pg);
	step = (uint64_t)(pg->o.interval * 1e9) / (uint64_t)pg->o.nkinds;
	next = hdp_mono_ns();
	if (pg->o.deadline > 0)
		pg->deadline_mono = next + (uint64_t)(pg->o.deadline * 1e9);
	for (r = 0; more_rounds(pg, r); r++) {
		last = !more_rounds(pg, r + 1);
		for (i = 0; i < pg->o.nkinds && !tool_stop; i++) {
			send_probe(pg, pg->o.kinds[(i + r) % pg->o.nkinds],
				   (uint32_t)r);
			next += step;
			if ((!last || i + 1 < pg->o.nkinds) &&
			    pump(pg, next) != 0)
				return HDP_EXIT_ENV;
		}
	}
	if (!tool_stop || pg->o.wait > 0) {
		/* after a ^C only -W, never the rest of -w's deadline; but
		 * no waiting for what has come */
		next = pg->deadline_mono && !tool_stop ? pg->deadline_mono :
		       hdp_mono_ns() + (uint64_t)(pg->o.wait * 1e9);
		pg->draining = !pg->deadline_mono || tool_stop;
		tool_stop = 0;   /* a second ^C ends the wait */
		if (pump(pg, next) != 0)
			return HDP_EXIT_ENV;
	}
	return 0;
}

/* ---- step 4: report ----------------------------------------------------- */

/* Some probe went unanswered: with -c and -w, fewer than -c replies
 * (ping(8)'s rule); otherwise a probe sent and not answered. */
static int
some_lost(const struct ping *pg, const struct kind_st *k)
{
	if (k->errors)
		return 1;
	if (pg->o.deadline > 0 && pg->o.count_set)
		return k->received < pg->o.count;
	return k->received < k->sent || k->sent == 0;
}

/* Step 4: the lost probes (--json), each kind's statistics, the plot;
 * the exit status. */
static int
report_ping(struct ping *pg)
{
	struct kind_sum sums[K_COUNT];
	int kind, rc = HDP_EXIT_OK;

	print_lost(pg);
	for (kind = 0; kind < K_COUNT; kind++) {
		if (!pg->k[kind].on)
			continue;
		summarise(pg, kind, &sums[kind]);
		if (some_lost(pg, &pg->k[kind]))
			rc = HDP_EXIT_FAIL;
	}
	print_summaries(pg, sums);
	if (fflush(stdout) != 0) {
		tool_errno("standard output");
		return HDP_EXIT_ENV;
	}
	if (pg->o.plot) {
		if (plot(pg) != 0)
			return HDP_EXIT_ENV;
		pg->plotted = 1;
	}
	return rc;
}

/* --responder, once the run is over: stop it.  1 when it had ended
 * before (its keeper said so): the probes after that could not be
 * answered, and their loss says nothing of the network. */
static int
stop_responder(struct ping *pg)
{
	int r;

	if (pg->resp == NULL)
		return 0;
	r = half_finish(pg->resp, 5000);
	pg->resp = NULL;
	return r != 0;
}

int
cmd_ping(int argc, char **argv)
{
	struct ping *pg;
	int rc;

	pg = calloc(1, sizeof(*pg));
	if (pg == NULL) {
		tool_err("out of memory");
		return HDP_EXIT_ENV;
	}
	pg->udp_fd = -1;
	rc = parse_opts(argc, argv, &pg->o);
	if (rc != 0 || tool_parse_only) {
		free_opts(&pg->o);
		free(pg);
		return rc < 0 ? HDP_EXIT_USAGE : HDP_EXIT_OK;
	}
	if ((rc = open_ping(pg)) != 0)
		goto out;
	tool_catch_stop(NULL);
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	if ((rc = run_ping(pg)) == 0) {
		int gone = stop_responder(pg);

		rc = report_ping(pg);
		if (gone && (rc == HDP_EXIT_OK || rc == HDP_EXIT_FAIL))
			rc = HDP_EXIT_ENV;
	}
out:
	close_ping(pg);
	free(pg);
	return rc;
}
