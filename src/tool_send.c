/*
 * tool_send.c: hdp send, a libnet packet crafter for HDP and any IP
 * protocol number, over IPv4 and IPv6.
 *
 * This file parses options, paces and reports; libhdp builds and writes
 * (hdp_build.h) and writes pcap (hdp_capture.h).  cmd_send() is four
 * steps: parse_opts() (the command line into struct send), open_send()
 * (addresses, payload, route, sockets and files, then the privileges
 * go), run_send() and report_send().  Pacing sleeps with
 * clock_nanosleep() until absolute CLOCK_MONOTONIC deadlines
 * (start + k * interval), so lateness never accumulates and a long
 * interval costs no CPU.  --flood takes the lean path: one build, then
 * sendmmsg() bursts of the same frame with fresh timestamps, and nothing
 * printed until the summary.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <math.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hdp/hdp.h>
#include "hdp_build.h"
#include "hdp_capture.h"
#include "hdp_dump.h"
#include "hdp_file.h"
#include "hdp_json.h"
#include "hdp_rawsock.h"
#include "tool.h"

#define MAX_INPUT   (1u << 20)   /* payload read from a file or stdin */
#define INPUT_HINT  "; an IP datagram holds at most 65535"
#define MAX_ERRS    32
#define MAX_CPUS    1024

struct errcount {
	int      err;
	uint64_t n;
};

/* One flooding sender (--cpus: one per core): its own libnet context and
 * socket, its share of the count, its own tallies. */
struct part {
	struct hdp_tx *tx;
	uint64_t count;            /* 0: until interrupted */
	int      cpu;              /* pinned to it, or -1 */
	pthread_t th;
	int      started;
	uint64_t sent, failed, first_ns, last_ns;
	struct errcount errs[MAX_ERRS];
	unsigned nerrs;
};

struct send {
	FILE    *out;          /* the report: stdout, or stderr when the
				* frames go there (--pcap-out -) */
	/* what to send */
	struct hdp_pkt_spec spec;
	struct hdp_protoset protos;
	uint8_t  plist[256];
	unsigned nprotos;
	int      proto_given;
	const char *dest;
	uint8_t *payload;
	size_t   payload_len;

	/* how */
	enum hdp_tx_mode mode;
	const char *ifname;
	uint64_t count;            /* rounds; 0: until SIGINT */
	uint64_t interval_ns;      /* between packets; 0: none */
	int      paced;            /* -i or --rate given */
	int      flood;
	unsigned cpus;             /* --cpus: flooding senders, one a core */
	struct part *parts;        /* cpus of them; parts[0].tx is run's */
	struct hdp_tx_method method;
	int      frag;
	unsigned mtu;              /* --mtu, or from the route */
	int      rx_filter;
	const char *pcap_out;
	int      tee;
	int      force;
	const char *user;          /* -Z */
	int      ts_zero;          /* --timestamp 0 */

	/* output */
	int      json;
	int      quiet;
	struct hdp_dump *dumper;  /* --pcap-out */
	int      dlt;

	/* options that only shape the above (parse_opts, open_send) */
	const char *data;          /* --data */
	const char *file;          /* --file; "-" is standard input */
	const char *src;           /* --src */
	int      family;           /* -4, -6: AF_UNSPEC when neither */
	uint64_t size;             /* --size, when have_size */
	int      have_size;
	uint64_t dscp, ecn;
	int      have_dscp, have_ecn, have_tos;
	int      fragment;         /* the datagram is above the MTU: --frag */

	/* outcome */
	uint64_t sent, failed;
	uint64_t first_ns, last_ns;    /* CLOCK_MONOTONIC of first/last write */
	struct errcount errs[MAX_ERRS];
	unsigned nerrs;
};

void
usage_send(FILE *out)
{
	fprintf(out,
"usage: hdp send [OPTIONS] DESTINATION\n"
"\n"
"Craft and send HDP (IP protocol 255), any other protocol number, or UDP,\n"
"over IPv4 or IPv6.  libnet builds every frame.  DESTINATION is an IPv4 or\n"
"IPv6 address (fe80::1%%eth0 for a scope) or a host name.\n"
"\n"
"what:\n"
"  -4, -6                 use IPv4 / IPv6 only\n"
"  -P, --proto LIST       protocol numbers, one packet each per round:\n"
"                         255 (default), 0-10,17,255 or all (0-255)\n"
"  --l4 hdp|udp|none      after IP: the HDP header (default), a UDP header\n"
"                         with a correct checksum then HDP (-P defaults to\n"
"                         17), or the payload bare\n"
"  --sport N, --dport N   HDP/UDP ports (default 420, 420)\n"
"  --timestamp NS         pin the HDP timestamp (ns since the epoch);\n"
"                         default: CLOCK_REALTIME right before each write\n"
"  --src ADDR             source address (default: from the route)\n"
"  --ttl N, --hop-limit N IPv4 TTL / IPv6 hop limit (default 64)\n"
"  --tos N, --traffic-class N  the whole byte; or --dscp N and --ecn N\n"
"  --id N                 IPv4 ID (default 0: the kernel picks one per\n"
"                         packet on raw sends)\n"
"  --df                   IPv4 don't fragment\n"
"  --flow-label N         IPv6 flow label (20 bits)\n"
"\n"
"payload (default: none; standard input is read only when asked, with\n"
"--file -, so a loop reading host names from it keeps them; the payload's\n"
"source and size are said on standard error):\n"
"  --data STRING          these bytes\n"
"  --file PATH            the bytes of a file; - for standard input\n"
"  --size N               exactly N bytes: the data above repeated, or\n"
"                         the pattern 00 01 02 ... ff 00 ...\n"
"  --frag                 larger than the MTU: send IP fragments, built by\n"
"                         hdp (the kernel refuses raw sends above the\n"
"                         MTU with EMSGSIZE; it never fragments them)\n"
"  --mtu N                fragment or refuse above N instead of the\n"
"                         route's MTU\n"
"\n"
"how many, how fast:\n"
"  -c, --count N          rounds (each sends every protocol number once);\n"
"                         default 1; 0: until interrupted (also --flood)\n"
"  -i, --interval SECONDS wait between packets (default: packets of one\n"
"                         round back to back, rounds 1 s apart; with\n"
"                         --pcap-out alone, no wait)\n"
"  --rate PPS             packets per second (absolute deadlines)\n"
"  --flood                as fast as possible; summary only\n"
"  --cpus N|all           with --flood: N senders, one per core (all:\n"
"                         every core this process may use), each with\n"
"                         its own socket and libnet frame; -c is the total\n"
"\n"
"where:\n"
"  -I, --interface IFACE  inject at the link layer on IFACE (Ethernet\n"
"                         header with the next hop's MAC from the kernel's\n"
"                         neighbour table; loopback too); default: raw IP\n"
"                         sockets, the kernel routes\n"
"  --pcap-out FILE        write the exact frames to FILE (pcap, ns\n"
"                         timestamps) instead of sending: no privileges;\n"
"                         FILE - is standard output (the report then goes\n"
"                         to standard error)\n"
"  --tee                  with --pcap-out: send and write\n"
"  --force                overwrite an existing --pcap-out file\n"
"  --rx-filter, --no-rx-filter\n"
"                         attach a drop-all filter to the sending socket\n"
"                         (default on): Linux gives an IPPROTO_RAW socket\n"
"                         a copy of every protocol-255 packet received, so\n"
"                         without it our own socket queues all HDP; hides\n"
"                         nothing from pcap or other sockets\n"
"  -Z, --user USER        after opening sockets and files, run as USER\n"
"                         with no capabilities (default nobody when root;\n"
"                         -Z root stays root)\n"
"\n"
"output:\n"
"  (default)              one markdown row per packet, then a summary\n"
"  --json                 one JSON object per packet, then a summary object\n"
"  -q, --quiet            the summary only\n"
"\n"
"exit status: 0 all sent, 1 some failed, 2 bad usage or input, 3 no\n"
"privileges (run as root, or: setcap cap_net_raw,cap_net_admin+ep hdp),\n"
"4 the system refused (interface, route, file).\n");
}

/* ---- small helpers ------------------------------------------------------ */

/* Sleep until an absolute CLOCK_MONOTONIC time; 1 when interrupted. */
static int
sleep_until(uint64_t t)
{
	struct timespec ts;
	int rc;

	ts.tv_sec = (time_t)(t / 1000000000ull);
	ts.tv_nsec = (long)(t % 1000000000ull);
	do {
		if (tool_stop)
			return 1;
		rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	} while (rc == EINTR);
	return tool_stop != 0;
}

static const char *
err_name(int e)
{
	const char *n = strerrorname_np(e);

	return n != NULL ? n : "E?";
}

static void
count_errs(struct errcount *errs, unsigned *nerrs, int e, uint64_t n)
{
	unsigned i;

	for (i = 0; i < *nerrs; i++)
		if (errs[i].err == e) {
			errs[i].n += n;
			return;
		}
	if (*nerrs < MAX_ERRS) {
		errs[*nerrs].err = e;
		errs[*nerrs].n = n;
		(*nerrs)++;
	}
}

static void
count_err(struct send *s, int e)
{
	count_errs(s->errs, &s->nerrs, e, 1);
}

/* A decimal number in [min, max] into *out; else say why, naming what:
 * "not a number" for text, "out of range" for a number outside (-1). */
static int
parse_real(const char *arg, double min, double max, double *out,
	   const char *what, const char *range)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (end == arg || *end != '\0' || isnan(v)) {
		tool_err("%s '%s' is not a number", what, arg);
		return -1;
	}
	if (errno == ERANGE || !isfinite(v) || v < min || v > max) {
		tool_err("%s '%s' is out of range (%s)", what, arg, range);
		return -1;
	}
	*out = v;
	return 0;
}

/* ---- output -------------------------------------------------------------- */

static void
print_header(const struct send *s)
{
	if (s->json || s->quiet || s->flood)
		return;
	fputs("| Protocol Number | Succeeded (Client) | Time (μs) (Client) "
	      "| Byte sum (Client) | Failure reason (Client) |\n"
	      "|---|---|---|---|---|\n", s->out);
}

static void
print_row(const struct send *s, uint64_t seq, unsigned proto,
	  const struct hdp_tx_result *r, uint64_t write_ns, int nfrags)
{
	if (s->quiet || s->flood)
		return;
	if (s->json) {
		struct hdp_json j;

		hj_begin(&j, s->out);
		hj_str(&j, "type", "packet");
		hj_u64(&j, "seq", seq);
		hj_u64(&j, "proto", proto);
		hj_u64(&j, "time_ns", r->time_ns);
		if (r->hdp_ts_ns != 0)
			hj_u64(&j, "hdp_ts_ns", r->hdp_ts_ns);
		else
			hj_null(&j, "hdp_ts_ns");
		/* as hdp sniff --json names them: the datagram, the payload
		 * after the transport header */
		hj_u64(&j, "ip_len", r->bytes);
		hj_u64(&j, "len", s->spec.payload_len);
		hj_bool(&j, "ok", r->ok);
		hj_i64(&j, "errno", r->err);
		if (r->ok) {
			hj_null(&j, "errno_name");
			hj_null(&j, "error");
		} else {
			hj_str(&j, "errno_name", r->err ? err_name(r->err) :
			       NULL);
			hj_str(&j, "error", r->error);
		}
		hj_u64(&j, "write_ns", write_ns);
		if (nfrags > 0)
			hj_u64(&j, "fragments", (uint64_t)nfrags);
		hj_end(&j);
		return;
	}
	if (r->ok)
		fprintf(s->out, "| %u | yes | %.1f | %zu |  |\n", proto,
			(double)write_ns / 1000.0, r->bytes);
	else if (r->err != 0)
		fprintf(s->out, "| %u | no | %.1f | %zu | %s: %s |\n", proto,
			(double)write_ns / 1000.0, r->bytes, err_name(r->err),
			tool_safe(r->error));
	else
		fprintf(s->out, "| %u | no | %.1f | %zu | %s |\n", proto,
			(double)write_ns / 1000.0, r->bytes,
			tool_safe(r->error));
}

static void
report_send(const struct send *s)
{
	double span = s->sent + s->failed > 1 ?
		      (double)(s->last_ns - s->first_ns) / 1e9 : 0.0;
	uint64_t n = s->sent + s->failed;
	double rate = span > 0 ? (double)(n - 1) / span : 0.0;
	unsigned i;

	if (s->json) {
		struct hdp_json j;
		char buf[MAX_ERRS * 40 + 4];
		size_t off = 0;

		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "{");
		for (i = 0; i < s->nerrs && off < sizeof(buf); i++)
			off += (size_t)snprintf(buf + off, sizeof(buf) - off,
						"%s\"%s\":%llu", i ? "," : "",
						err_name(s->errs[i].err),
						(unsigned long long)
						s->errs[i].n);
		if (off < sizeof(buf))
			snprintf(buf + off, sizeof(buf) - off, "}");
		hj_begin(&j, s->out);
		hj_str(&j, "type", "summary");
		hj_u64(&j, "packets", n);
		hj_u64(&j, "sent", s->sent);
		hj_u64(&j, "failed", s->failed);
		hj_raw(&j, "failures", buf);
		hj_dbl(&j, "seconds", span, 6);
		hj_dbl(&j, "rate_pps", rate, 1);
		hj_end(&j);
		return;
	}
	if (!s->quiet && !s->flood)
		fputc('\n', s->out);
	fprintf(s->out, "%llu packets: %llu sent, %llu failed",
		(unsigned long long)n, (unsigned long long)s->sent,
		(unsigned long long)s->failed);
	if (s->nerrs) {
		fputs(" (", s->out);
		for (i = 0; i < s->nerrs; i++)
			fprintf(s->out, "%s%s %llu", i ? ", " : "",
				err_name(s->errs[i].err),
				(unsigned long long)s->errs[i].n);
		fputc(')', s->out);
	}
	if (n > 1)
		fprintf(s->out, "; %.6f s, %.1f packets/s", span, rate);
	fputc('\n', s->out);
}

/* ---- pcap -------------------------------------------------------------- */

static void
dump_frame(struct send *s, const uint8_t *fr, size_t len, uint64_t t_ns)
{
	struct pcap_pkthdr h;

	if (s->dumper == NULL)
		return;
	h.ts.tv_sec = (time_t)(t_ns / 1000000000ull);
	/* the dumper was opened with nanosecond precision */
	h.ts.tv_usec = (suseconds_t)(t_ns % 1000000000ull);
	h.caplen = (bpf_u_int32)len;
	h.len = (bpf_u_int32)len;
	/* a full disk: stop sending, as sniff stops capturing, rather than
	 * send packets the file does not record; the close reports it */
	if (hdp_dump_packet(s->dumper, &h, fr) != 0)
		tool_stop = 1;
}

static void
frag_cb(void *arg, const uint8_t *fr, size_t len, uint64_t t_ns)
{
	dump_frame(arg, fr, len, t_ns);
}

/* ---- sending ------------------------------------------------------------- */

static void
account(struct send *s, const struct hdp_tx_result *r, uint64_t t_mono)
{
	if (s->sent + s->failed == 0)
		s->first_ns = t_mono;
	s->last_ns = t_mono;
	if (r->ok) {
		s->sent++;
	} else {
		s->failed++;
		count_err(s, r->err);
	}
}

/* One packet: write (or fragment), report, dump. */
static void
send_one(struct send *s, struct hdp_tx *tx, uint64_t seq, unsigned proto,
	 int fragment)
{
	struct hdp_tx_result r;
	uint64_t t0, t1;
	int nf = 0;

	t0 = hdp_mono_ns();
	if (fragment)
		nf = hdp_tx_write_frags(tx, s->mtu, s->dumper ? frag_cb : NULL,
					s, &r);
	else
		hdp_tx_write(tx, &r);
	t1 = hdp_mono_ns();
	account(s, &r, t0);
	if (!fragment && s->dumper != NULL && (r.ok || s->mode == HDP_TX_NONE)) {
		const uint8_t *fr;
		size_t len;
		int dlt;

		if (hdp_tx_frame(tx, &fr, &len, &dlt) == 0)
			dump_frame(s, fr, len, r.time_ns);
	}
	print_row(s, seq, proto, &r, t1 - t0, nf > 0 ? nf : 0);
}

/* One sender's flood: its count in batches of copies of one frame. */
static void
flood_part(struct part *p, unsigned batch)
{
	struct hdp_tx_result r;
	uint64_t done = 0, t;
	unsigned n;
	int c;

	while (!tool_stop && (p->count == 0 || done < p->count)) {
		n = batch;
		if (p->count != 0 && p->count - done < n)
			n = (unsigned)(p->count - done);
		t = hdp_mono_ns();
		c = hdp_tx_flood(p->tx, n, &r);
		if (p->sent + p->failed == 0)
			p->first_ns = t;
		if (c < 0) {
			p->failed++;
			count_errs(p->errs, &p->nerrs, r.err, 1);
			done++;
		} else {
			p->sent += (uint64_t)c;
			done += (uint64_t)c;
		}
	}
	p->last_ns = hdp_mono_ns();
}

static void *
flood_thread(void *arg)
{
	struct part *p = arg;
	cpu_set_t set;

	if (p->cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(p->cpu, &set);
		/* the receiving side of a veth runs in the sender's softirq,
		 * on its CPU: a sender per core, where it stays */
		(void)pthread_setaffinity_np(pthread_self(), sizeof(set),
					     &set);
	}
	flood_part(p, HDP_TX_FLOOD_MAX);
	return NULL;
}

/* The senders' tallies into s: counts and errors summed, the span from
 * the first one's start to the last one's end. */
static void
flood_sum(struct send *s)
{
	unsigned i, j;
	struct part *p;

	for (i = 0; i < s->cpus; i++) {
		p = &s->parts[i];
		if (p->sent + p->failed == 0)
			continue;
		if (s->sent + s->failed == 0 || p->first_ns < s->first_ns)
			s->first_ns = p->first_ns;
		if (p->last_ns > s->last_ns)
			s->last_ns = p->last_ns;
		s->sent += p->sent;
		s->failed += p->failed;
		for (j = 0; j < p->nerrs; j++)
			count_errs(s->errs, &s->nerrs, p->errs[j].err,
				   p->errs[j].n);
	}
}

/* --flood of one frame: parts[0] on this thread, the others on threads
 * of their own; -c shared out, a sender whose share is 0 not started. */
static void
flood_burst(struct send *s)
{
	unsigned i;

	for (i = 1; i < s->cpus; i++)
		if (s->count == 0 || s->parts[i].count != 0)
			s->parts[i].started = pthread_create(&s->parts[i].th,
				NULL, flood_thread, &s->parts[i]) == 0;
	flood_thread(&s->parts[0]);
	for (i = 1; i < s->cpus; i++)
		if (s->parts[i].started)
			pthread_join(s->parts[i].th, NULL);
		else if (s->parts[i].count != 0)	/* no thread: here */
			flood_part(&s->parts[i], HDP_TX_FLOOD_MAX);
	flood_sum(s);
}

static int
build(struct send *s, struct hdp_tx *tx, unsigned proto)
{
	char err[256];

	s->spec.proto = (uint8_t)proto;
	if (hdp_tx_build(tx, &s->spec, err, sizeof(err)) < 0) {
		tool_err("%s: %s", s->dest, err);
		return -1;
	}
	if (s->ts_zero)
		hdp_tx_stamp(tx, 0);
	return 0;
}

/* The length of the IP datagram hdp_tx_build will make. */
static size_t
datagram_len(const struct send *s)
{
	size_t n = s->spec.family == AF_INET ? 20 : 40;

	switch (s->spec.l4) {
	case HDP_L4_HDP:
		n += HDP_HDR_LEN;
		break;
	case HDP_L4_UDP:
		n += 8 + HDP_HDR_LEN;
		break;
	default:
		break;
	}
	return n + s->spec.payload_len;
}

static int
run_send(struct send *s, struct hdp_tx *tx)
{
	uint64_t start, k = 0, round;
	unsigned i;
	int single = s->nprotos == 1;

	/* the first frame was built in open_send(), still privileged */
	print_header(s);
	if (s->parts != NULL) {
		flood_burst(s);
		return 0;
	}
	start = hdp_mono_ns();
	for (round = 0; !tool_stop && (s->count == 0 || round < s->count);
	     round++) {
		/* the default 1 s between rounds is for the wire; a file
		 * alone (--pcap-out without --tee) is written at once */
		if (!s->paced && !s->flood && round > 0 &&
		    s->mode != HDP_TX_NONE &&
		    sleep_until(start + round * 1000000000ull))
			break;
		for (i = 0; i < s->nprotos && !tool_stop; i++, k++) {
			if (s->paced && k > 0 &&
			    sleep_until(start + k * s->interval_ns))
				break;
			if (!single && build(s, tx, s->plist[i]) < 0)
				return HDP_EXIT_USAGE;
			send_one(s, tx, k, s->plist[i], s->fragment);
		}
	}
	return 0;
}

/* ---- parse_opts: the command line into struct send ---------------------- */

enum {
	O_L4 = 256, O_SPORT, O_DPORT, O_TS, O_SRC, O_TTL, O_TOS, O_DSCP,
	O_ECN, O_ID, O_DF, O_FLOW, O_DATA, O_FILE, O_SIZE, O_FRAG, O_MTU,
	O_RATE, O_FLOOD, O_CPUS, O_PCAP, O_TEE, O_FORCE, O_RXF, O_NORXF, O_JSON
};

static const struct option longopts[] = {
	{ "proto",         required_argument, NULL, 'P' },
	{ "l4",            required_argument, NULL, O_L4 },
	{ "sport",         required_argument, NULL, O_SPORT },
	{ "dport",         required_argument, NULL, O_DPORT },
	{ "timestamp",     required_argument, NULL, O_TS },
	{ "src",           required_argument, NULL, O_SRC },
	{ "ttl",           required_argument, NULL, O_TTL },
	{ "hop-limit",     required_argument, NULL, O_TTL },
	{ "tos",           required_argument, NULL, O_TOS },
	{ "traffic-class", required_argument, NULL, O_TOS },
	{ "dscp",          required_argument, NULL, O_DSCP },
	{ "ecn",           required_argument, NULL, O_ECN },
	{ "id",            required_argument, NULL, O_ID },
	{ "df",            no_argument,       NULL, O_DF },
	{ "flow-label",    required_argument, NULL, O_FLOW },
	{ "data",          required_argument, NULL, O_DATA },
	{ "file",          required_argument, NULL, O_FILE },
	{ "size",          required_argument, NULL, O_SIZE },
	{ "frag",          no_argument,       NULL, O_FRAG },
	{ "mtu",           required_argument, NULL, O_MTU },
	{ "count",         required_argument, NULL, 'c' },
	{ "interval",      required_argument, NULL, 'i' },
	{ "rate",          required_argument, NULL, O_RATE },
	{ "flood",         no_argument,       NULL, O_FLOOD },
	{ "cpus",          required_argument, NULL, O_CPUS },
	{ "interface",     required_argument, NULL, 'I' },
	{ "pcap-out",      required_argument, NULL, O_PCAP },
	{ "tee",           no_argument,       NULL, O_TEE },
	{ "force",         no_argument,       NULL, O_FORCE },
	{ "rx-filter",     no_argument,       NULL, O_RXF },
	{ "no-rx-filter",  no_argument,       NULL, O_NORXF },
	{ "json",          no_argument,       NULL, O_JSON },
	{ "quiet",         no_argument,       NULL, 'q' },
	{ "user",          required_argument, NULL, 'Z' },
	{ "help",          no_argument,       NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* The options that shape the IP and transport headers: 0 taken, -1 bad
 * (said), 1 not one of them. */
static int
parse_header_opt(struct send *s, int c, const char *arg)
{
	char err[256];
	uint64_t v;

	switch (c) {
	case 'P':
		if (hdp_protoset_parse(arg, &s->protos, err, sizeof(err)) < 0) {
			tool_err("-P: %s", err);
			return -1;
		}
		s->proto_given = 1;
		return 0;
	case O_L4:
		if (strcmp(arg, "hdp") == 0)
			s->spec.l4 = HDP_L4_HDP;
		else if (strcmp(arg, "udp") == 0)
			s->spec.l4 = HDP_L4_UDP;
		else if (strcmp(arg, "none") == 0)
			s->spec.l4 = HDP_L4_NONE;
		else {
			tool_err("--l4 '%s': use hdp, udp or none", arg);
			return -1;
		}
		return 0;
	case O_SPORT:
	case O_DPORT:
		if (tool_parse_uint(arg, 0, 65535, &v, c == O_SPORT ?
				    "--sport" : "--dport") < 0)
			return -1;
		*(c == O_SPORT ? &s->spec.sport : &s->spec.dport) =
			(uint16_t)v;
		return 0;
	case O_TS:
		if (tool_parse_uint(arg, 0, UINT64_MAX, &v, "--timestamp") < 0)
			return -1;
		/* ts_ns 0 asks the builder to stamp: pin 0 after */
		s->spec.ts_ns = v ? v : 1;
		s->ts_zero = v == 0;
		return 0;
	case O_TTL:
		if (tool_parse_uint(arg, 0, 255, &v, "--ttl") < 0)
			return -1;
		s->spec.ttl = (uint8_t)v;
		return 0;
	case O_TOS:
		if (tool_parse_uint(arg, 0, 255, &v, "--tos") < 0)
			return -1;
		s->spec.tos = (uint8_t)v;
		s->have_tos = 1;
		return 0;
	case O_DSCP:
		s->have_dscp = 1;
		return tool_parse_uint(arg, 0, 63, &s->dscp, "--dscp");
	case O_ECN:
		s->have_ecn = 1;
		return tool_parse_uint(arg, 0, 3, &s->ecn, "--ecn");
	case O_ID:
		if (tool_parse_uint(arg, 0, 65535, &v, "--id") < 0)
			return -1;
		s->spec.ip_id = (uint16_t)v;
		return 0;
	case O_FLOW:
		if (tool_parse_uint(arg, 0, 0xfffff, &v, "--flow-label") < 0)
			return -1;
		s->spec.flow_label = (uint32_t)v;
		return 0;
	}
	return 1;
}

/* How many, how fast, the payload: 0 taken, -1 bad (said), 1 not one
 * of them. */
static int
parse_run_opt(struct send *s, int c, const char *arg)
{
	double v;
	uint64_t u;

	switch (c) {
	case O_SIZE:
		s->have_size = 1;
		return tool_parse_uint(arg, 0, 65535, &s->size, "--size");
	case O_MTU:
		if (tool_parse_uint(arg, 68, 65535, &u, "--mtu") < 0)
			return -1;
		s->mtu = (unsigned)u;
		return 0;
	case 'c':
		return tool_parse_uint(arg, 0, UINT64_MAX, &s->count, "-c");
	case O_CPUS:
		if (strcmp(arg, "all") == 0) {
			cpu_set_t set;

			s->cpus = sched_getaffinity(0, sizeof(set), &set) == 0 ?
				  (unsigned)CPU_COUNT(&set) : 1;
			return 0;
		}
		if (tool_parse_uint(arg, 1, MAX_CPUS, &u, "--cpus") < 0)
			return -1;
		s->cpus = (unsigned)u;
		return 0;
	case 'i':
		if (parse_real(arg, 0, 86400.0 * 365, &v, "-i",
			       "0 to a year of seconds") < 0)
			return -1;
		s->interval_ns = (uint64_t)llround(v * 1e9);
		s->paced = 1;
		return 0;
	case O_RATE:
		if (parse_real(arg, 1e-6, 1e8, &v, "--rate",
			       "packets per second, above 0, up to 1e8") < 0)
			return -1;
		s->interval_ns = (uint64_t)llround(1e9 / v);
		s->paced = 1;
		return 0;
	}
	return 1;
}

/* The options that take no number: 0 taken, 1 not one of them. */
static int
parse_flag_opt(struct send *s, int c, const char *arg)
{
	switch (c) {
	case '4': s->family = AF_INET; break;
	case '6': s->family = AF_INET6; break;
	case O_SRC: s->src = arg; break;
	case O_DF: s->spec.df = 1; break;
	case O_DATA: s->data = arg; break;
	case O_FILE: s->file = arg; break;
	case O_FRAG: s->frag = 1; break;
	case O_FLOOD: s->flood = 1; break;
	case 'I': s->ifname = arg; break;
	case O_PCAP: s->pcap_out = arg; break;
	case O_TEE: s->tee = 1; break;
	case O_FORCE: s->force = 1; break;
	case O_RXF: s->rx_filter = 1; break;
	case O_NORXF: s->rx_filter = 0; break;
	case O_JSON: s->json = 1; break;
	case 'q': s->quiet = 1; break;
	case 'Z': s->user = arg; break;
	default: return 1;
	}
	return 0;
}

static int
set_protos(struct send *s)
{
	unsigned p;

	s->nprotos = 0;
	for (p = 0; p < 256; p++)
		if (hdp_protoset_has(&s->protos, p))
			s->plist[s->nprotos++] = (uint8_t)p;
	return s->nprotos ? 0 : -1;
}

/* Options that exclude or need each other; the protocol list. */
static int
check_opts(struct send *s)
{
	char err[256];

	if (s->flood && s->paced)
		return tool_usage_err("--flood cannot be paced: drop "
				      "-i/--rate");
	if (s->tee && s->pcap_out == NULL)
		return tool_usage_err("--tee needs --pcap-out FILE");
	if (s->data != NULL && s->file != NULL)
		return tool_usage_err("--data and --file: give one payload");
	if (s->have_tos && (s->have_dscp || s->have_ecn))
		return tool_usage_err("--tos sets the whole byte: use it or "
				      "--dscp/--ecn");
	if (s->frag && s->spec.df)
		return tool_usage_err("--frag and --df contradict each other");
	if (s->cpus > 1 && !s->flood)
		return tool_usage_err("--cpus needs --flood");
	if (s->cpus > 1 && s->pcap_out != NULL)
		return tool_usage_err("--cpus floods from every core: not with "
				      "--pcap-out");
	if (s->have_dscp || s->have_ecn)
		s->spec.tos = (uint8_t)(s->dscp << 2 | s->ecn);
	if (s->spec.l4 == HDP_L4_UDP && !s->proto_given)
		hdp_protoset_parse("17", &s->protos, err, sizeof(err));
	set_protos(s);
	if (s->cpus > 1 && s->nprotos > 1)
		return tool_usage_err("--cpus floods one frame: give one "
				      "protocol with -P");
	if (s->cpus == 0)
		s->cpus = 1;
	return -1;
}

/* The command line into s: -1 to go on, else the exit status. */
static int
parse_opts(int argc, char **argv, struct send *s)
{
	int c, r;

	optind = 0;	/* glibc: a fresh scan from argv[1] */
	while ((c = tool_getopt(argc, argv, "46P:c:i:I:qZ:h", longopts))
	       != -1) {
		if (c == '?')
			return HDP_EXIT_USAGE;
		if (c == 'h') {
			usage_send(stdout);
			return HDP_EXIT_OK;
		}
		r = parse_header_opt(s, c, optarg);
		if (r == 1)
			r = parse_run_opt(s, c, optarg);
		if (r == 1)
			r = parse_flag_opt(s, c, optarg);
		if (r != 0)
			return HDP_EXIT_USAGE;
	}
	if (optind >= argc)
		return tool_usage_err("no destination given");
	if (optind != argc - 1)
		return tool_usage_err("one destination only (got '%s' after "
				      "'%s')", argv[optind + 1], argv[optind]);
	s->dest = argv[optind];
	s->out = s->pcap_out != NULL && strcmp(s->pcap_out, "-") == 0 ?
		 stderr : stdout;
	return check_opts(s);
}

/* ---- open_send: addresses, payload, route, sockets, files ---------------- */

/* The destination and --src as addresses.  The address is said when it
 * is not what was typed (198.51.100 is 198.51.0.100, as ping says). */
static int
open_addresses(struct send *s)
{
	char err[256], a[INET6_ADDRSTRLEN];
	unsigned scope;
	size_t typed;
	int fam, rc;

	/* tool_resolve: an unknown scope interface is 4, as everywhere */
	if ((rc = tool_resolve(s->dest, s->family, &fam, &s->spec.dst,
			       &scope)) != HDP_EXIT_OK)
		return rc;
	s->spec.family = fam;
	s->spec.scope = scope;
	hdp_addr_ntop(fam, &s->spec.dst, a, sizeof(a));
	typed = strcspn(s->dest, "%");
	if (strlen(a) != typed || strncmp(a, s->dest, typed) != 0)
		tool_err("%s is %s", s->dest, a);
	if (fam == AF_INET && s->spec.flow_label != 0)
		return tool_usage_err("--flow-label is IPv6 only");
	if (fam == AF_INET6 && s->spec.df)
		return tool_usage_err("--df is IPv4 only (IPv6 routers never "
				      "fragment)");
	if (s->src != NULL) {
		if (hdp_resolve(s->src, fam, &fam, &s->spec.src, &scope, err,
				sizeof(err)) < 0) {
			/* as tool_resolve: a scope naming no interface is 4 */
			if (errno == ENODEV && strchr(s->src, '%') != NULL) {
				tool_err("--src: %s: no such interface",
					 s->src);
				return HDP_EXIT_ENV;
			}
			tool_err("--src: %s", err);
			return HDP_EXIT_USAGE;
		}
		s->spec.has_src = 1;
	}
	return 0;
}

/* The bytes of --file PATH, or of standard input for --file -; said on
 * standard error: where they came from and how many. */
static int
read_payload_file(const char *file, uint8_t **in, size_t *in_len)
{
	int fd = STDIN_FILENO, std = strcmp(file, "-") == 0;
	const char *name = std ? "standard input" : file;

	if (!std && (fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
		tool_errno("%s", file);
		return errno == EISDIR ? HDP_EXIT_USAGE : HDP_EXIT_ENV;
	}
	if (tool_read_all(fd, name, MAX_INPUT, INPUT_HINT, in, in_len) < 0) {
		if (!std)
			close(fd);
		return HDP_EXIT_USAGE;
	}
	if (!std)
		close(fd);
	tool_err("payload: %zu byte%s from %s", *in_len,
		 *in_len == 1 ? "" : "s", tool_safe(name));
	return 0;
}

/*
 * Standard input that is not asked for (--file -) is never read: a
 * script's loop (while read ip; do hdp send $ip; done < hosts) keeps the
 * rest of its input.  Say so when it holds data we leave unread.
 */
static void
note_stdin_unread(const struct send *s)
{
	struct stat st;

	if (s->quiet || s->json || fstat(STDIN_FILENO, &st) < 0 ||
	    isatty(STDIN_FILENO))
		return;
	if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) ||
	    (S_ISREG(st.st_mode) && st.st_size > 0))
		tool_err("standard input is not read: the payload is empty "
			 "(--file - sends it)");
}

/* The payload: --data, --file (- is standard input), then --size. */
static int
open_payload(struct send *s)
{
	uint8_t *in = NULL, *p;
	size_t in_len = 0, i;
	int rc;

	if (s->data != NULL) {
		in_len = strlen(s->data);
		if ((in = malloc(in_len + 1)) == NULL)
			return HDP_EXIT_ENV;
		memcpy(in, s->data, in_len);
	} else if (s->file != NULL) {
		if ((rc = read_payload_file(s->file, &in, &in_len)) != 0)
			return rc;
	} else if (!s->have_size) {
		note_stdin_unread(s);
	}
	if (s->have_size) {
		p = malloc(s->size ? s->size : 1);
		if (p == NULL) {
			free(in);
			return HDP_EXIT_ENV;
		}
		for (i = 0; i < s->size; i++)
			p[i] = in_len ? in[i % in_len] : (uint8_t)i;
		free(in);
		in = p;
		in_len = s->size;
	}
	s->payload = in;
	s->payload_len = in_len;
	s->spec.payload = in;
	s->spec.payload_len = in_len;
	return 0;
}

/* The datagram against IP's limit and the MTU (--mtu, else the
 * route's): fragments with --frag, else refused. */
static int
open_route(struct send *s)
{
	size_t dlen = datagram_len(s);
	struct hdp_route rt;
	char err[256];

	if (s->ifname != NULL && if_nametoindex(s->ifname) == 0) {
		tool_err("%s: no such interface", s->ifname);
		return HDP_EXIT_ENV;
	}
	if (dlen > 65535) {
		tool_err("payload of %zu bytes makes a %zu-byte datagram: IP "
			 "allows 65535", s->payload_len, dlen);
		return HDP_EXIT_USAGE;
	}
	s->mode = s->pcap_out && !s->tee ? HDP_TX_NONE :
		  s->ifname ? HDP_TX_LINK : HDP_TX_RAW;
	if (s->mtu == 0 && s->mode != HDP_TX_NONE) {
		if (hdp_route_get(s->spec.family, &s->spec.dst,
				  s->mode == HDP_TX_LINK ?
				  if_nametoindex(s->ifname) : s->spec.scope,
				  &rt, err, sizeof(err)) < 0) {
			tool_err("%s", err);
			return HDP_EXIT_ENV;
		}
		s->mtu = rt.mtu;
	}
	if (s->mtu != 0 && dlen > s->mtu) {
		if (!s->frag) {
			tool_err("%s: a %zu-byte datagram is larger than the "
				 "MTU %u of the path; use --frag to send it as "
				 "fragments, or a smaller payload", s->dest,
				 dlen, s->mtu);
			return HDP_EXIT_USAGE;
		}
		if (s->cpus > 1)
			return tool_usage_err("--cpus floods one frame: not "
					      "with --frag");
		s->fragment = 1;
	}
	return 0;
}

/* The sender: raw socket, link-layer socket, or none (--pcap-out). */
static int
open_sender(struct send *s, struct hdp_tx **tx)
{
	char err[256];
	int perm;

	*tx = hdp_tx_open(s->mode, s->spec.family, s->mode == HDP_TX_NONE ?
			  NULL : s->ifname, &perm, err, sizeof(err));
	if (*tx == NULL) {
		if (!perm) {
			tool_err("%s", err);
			return HDP_EXIT_ENV;
		}
		tool_err("sending raw packets needs root or the CAP_NET_RAW "
			 "capability (%s): run as root, or once: setcap "
			 "cap_net_raw,cap_net_admin+ep \"$(command -v hdp)\"; "
			 "or write frames without privileges with --pcap-out "
			 "FILE", err);
		return HDP_EXIT_PERM;
	}
	if (s->rx_filter && s->mode != HDP_TX_NONE &&
	    hdp_tx_rx_filter(*tx) < 0)
		tool_errno("warning: --rx-filter");
	return 0;
}

/*
 * How --flood hands frames to the kernel, from HDP_SEND_METHOD (for
 * benchmarks: "mmsg" or "ring", then optionally ":BATCH", 1 to
 * HDP_TX_FLOOD_MAX copies a call, then optionally "+bypass"); the
 * default is what measured best (bench/README.md).  A value that is not
 * that is one usage error naming it, never ignored in part.
 */
static int
flood_method(struct send *s)
{
	const char *e = getenv("HDP_SEND_METHOD");
	char v[64], *batch, *plus;
	uint64_t u;

	memset(&s->method, 0, sizeof(s->method));
	s->method.ring = s->mode == HDP_TX_LINK;
	if (e == NULL || *e == '\0')
		return 0;
	if (strlen(e) >= sizeof(v))
		return tool_usage_err("HDP_SEND_METHOD: too long (mmsg or "
				      "ring[:BATCH][+bypass])");
	strcpy(v, e);
	if ((plus = strchr(v, '+')) != NULL)
		*plus++ = '\0';
	if ((batch = strchr(v, ':')) != NULL)
		*batch++ = '\0';
	if ((strcmp(v, "mmsg") != 0 && strcmp(v, "ring") != 0) ||
	    (plus != NULL && strcmp(plus, "bypass") != 0))
		return tool_usage_err("HDP_SEND_METHOD '%s': not mmsg or "
				      "ring[:BATCH][+bypass]", tool_safe(e));
	if ((v[0] == 'r' || plus != NULL) && s->mode != HDP_TX_LINK)
		return tool_usage_err("HDP_SEND_METHOD '%s': the ring and "
				      "+bypass need -I", tool_safe(e));
	if (batch != NULL) {
		if (tool_parse_uint(batch, 1, HDP_TX_FLOOD_MAX, &u,
				    "HDP_SEND_METHOD's BATCH") < 0)
			return HDP_EXIT_USAGE;
		s->method.batch = (unsigned)u;
	}
	s->method.ring = v[0] == 'r';
	s->method.qdisc_bypass = plus != NULL;
	return 0;
}

/* The flooding senders: tx as the first, --cpus - 1 more, each opened
 * and built (libnet context, socket, route, next hop) on its own. */
static int
open_flood(struct send *s, struct hdp_tx *tx)
{
	char err[256];
	cpu_set_t set;
	int cpu[MAX_CPUS], ncpu = 0, c;
	unsigned i;
	int rc;

	if ((rc = flood_method(s)) != 0)
		return rc;
	if ((s->parts = calloc(s->cpus, sizeof(*s->parts))) == NULL) {
		tool_err("out of memory");
		return HDP_EXIT_ENV;
	}
	/* the cores this process may use, in order, for one sender each */
	if (s->cpus > 1 && sched_getaffinity(0, sizeof(set), &set) == 0)
		for (c = 0; c < CPU_SETSIZE && ncpu < MAX_CPUS; c++)
			if (CPU_ISSET(c, &set))
				cpu[ncpu++] = c;
	for (i = 0; i < s->cpus; i++) {
		struct part *p = &s->parts[i];

		p->cpu = ncpu > 0 ? cpu[i % (unsigned)ncpu] : -1;
		p->count = s->count / s->cpus + (i < s->count % s->cpus);
		if (i == 0)
			p->tx = tx;
		else if ((rc = open_sender(s, &p->tx)) != 0)
			return rc;
		else if (build(s, p->tx, s->plist[0]) < 0)
			return HDP_EXIT_ENV;
		if (hdp_tx_set_method(p->tx, &s->method, err, sizeof(err)) < 0) {
			tool_err("%s", err);
			return HDP_EXIT_ENV;
		}
	}
	return 0;
}

/* Everything the run needs, opened while still privileged; then the
 * privileges go.  0, or the exit status (said why). */
static int
open_send(struct send *s, struct hdp_tx **tx)
{
	char err[256];
	int rc;

	if ((rc = open_addresses(s)) != 0 || (rc = open_payload(s)) != 0 ||
	    (rc = open_route(s)) != 0 || (rc = open_sender(s, tx)) != 0)
		return rc;
	/*
	 * Build the first frame now, before privileges go: the route and
	 * the next hop's MAC are looked up once (a neighbour probe can then
	 * still be bound to -I's interface), and a destination that cannot
	 * be reached is reported before any output.
	 */
	if (build(s, *tx, s->plist[0]) < 0)
		return HDP_EXIT_ENV;
	if (s->flood && s->nprotos == 1 && !s->fragment && s->pcap_out == NULL &&
	    (rc = open_flood(s, *tx)) != 0)
		return rc;
	if (s->pcap_out != NULL) {
		s->dlt = s->mode == HDP_TX_LINK ? DLT_EN10MB : DLT_RAW;
		s->dumper = hdp_dump_open(s->pcap_out, s->dlt, 0, s->force,
					  err, sizeof(err));
		if (s->dumper == NULL) {
			tool_err("--pcap-out %s", err);
			return HDP_FILE_REFUSED(errno) ? HDP_EXIT_USAGE :
			       HDP_EXIT_ENV;
		}
	}
	if (hdp_drop_privileges(s->user, err, sizeof(err)) < 0) {
		tool_err("%s", err);
		return HDP_EXIT_PERM;
	}
	return 0;
}

static void
init_send(struct send *s)
{
	char err[256];

	memset(s, 0, sizeof(*s));
	s->spec.l4 = HDP_L4_HDP;
	s->spec.sport = HDP_DEFAULT_PORT;
	s->spec.dport = HDP_DEFAULT_PORT;
	s->spec.ttl = 64;
	s->count = 1;
	s->rx_filter = 1;
	s->family = AF_UNSPEC;
	hdp_protoset_parse("255", &s->protos, err, sizeof(err));
}

/* The flooding senders but the first (cmd_send closes that one). */
static void
close_flood(struct send *s)
{
	unsigned i;

	for (i = 1; s->parts != NULL && i < s->cpus; i++)
		hdp_tx_close(s->parts[i].tx);
	free(s->parts);
	s->parts = NULL;
}

int
cmd_send(int argc, char **argv)
{
	struct send s;
	struct hdp_tx *tx = NULL;
	char err[256];
	int ret;

	init_send(&s);
	ret = parse_opts(argc, argv, &s);
	if (ret >= 0)
		return ret;
	if (tool_parse_only)
		return HDP_EXIT_OK;
	ret = open_send(&s, &tx);
	if (ret == 0) {
		tool_catch_stop(NULL);
		if (s.paced)	/* wake up on time, not up to 50 us late */
			prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
		if (!s.flood && !s.quiet)
			setvbuf(s.out, NULL, _IOLBF, 0);
		ret = run_send(&s, tx);
	}
	if (ret == 0) {
		report_send(&s);
		ret = s.failed ? HDP_EXIT_FAIL : HDP_EXIT_OK;
	}
	if (hdp_dump_close(s.dumper, err, sizeof(err)) != 0) {
		tool_err("--pcap-out %s", err);
		ret = HDP_EXIT_ENV;
	}
	close_flood(&s);
	hdp_tx_close(tx);
	free(s.payload);
	fflush(stdout);
	return ret;
}
