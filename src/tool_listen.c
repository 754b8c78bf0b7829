/*
 * tool_listen.c: hdp listen, the original raw-socket server.
 *
 * One raw socket per protocol number (all: every number the OS accepts;
 * the refused ones are reported with the reason).  Each datagram a socket
 * returns is printed as the original server's row, or as a JSON line.
 * With --json (or -v) libpcap also watches the same protocols arriving,
 * so a reader (hdp sweep --join) can tell "arrived but not delivered to
 * the socket" from "never arrived".
 *
 * The four steps: parse_opts(), open_listen(), run_listen() and
 * report_listen().  The receive loop is run_listen(); what happens to
 * one datagram is on_datagram(): the place to add replies (an echo
 * mode).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <hdp/hdp.h>
#include "hdp_capture.h"
#include "hdp_file.h"
#include "hdp_echo.h"
#include "hdp_json.h"
#include "hdp_rawsock.h"
#include "tool.h"

#define RX_BUFLEN 65536

struct listen_ctx {
	int       family;          /* AF_INET or AF_INET6                  */
	int       fds[256];        /* raw socket per number, -1 if none    */
	int       nopen;
	pcap_t   *pcap;            /* arrivals, or NULL                    */
	int       dlt;
	int       json;
	int       verbose;
	uint64_t  count;           /* stop after this many datagrams; 0 no */
	uint64_t  received;
	uint64_t  deadline_ns;     /* stop at this CLOCK_MONOTONIC; 0 no   */
	int       header_done;
	uint8_t  *buf;
	struct hdp_echo *echo;     /* --echo: answer each HDP datagram     */
	/* the ssh connection our output goes back over ($SSH_CONNECTION),
	 * its client's side: ssh_fam 0 when none */
	int       ssh_fam;
	union hdp_addr ssh_ip;
	uint16_t  ssh_cport, ssh_sport;
};

void
usage_listen(FILE *out)
{
	fprintf(out,
"usage: hdp listen [-P N|LIST|all] [-4|-6] [-i IFACE] [-c COUNT]\n"
"                  [-t SECONDS] [--json] [--no-pcap] [-v] [-Z USER]\n"
"\n"
"Receive on raw sockets, one per protocol number, as the original HDP\n"
"server did, and print every datagram a socket returns:\n"
"  | Protocol Number | Time (us) (Server) | Source IP (Server) | Byte Sum (Server) |\n"
"\n"
"  -P N|LIST|all  protocol numbers (default 255); 'all' opens every number\n"
"                 the OS accepts and reports the ones it refuses and why\n"
"  -4, -6         IPv4 (default) or IPv6 raw sockets\n"
"  -i IFACE       interface libpcap watches for arrivals (default any)\n"
"  -c COUNT       stop after COUNT datagrams\n"
"  -t SECONDS     stop after SECONDS (default: until interrupted)\n"
"  --json         one JSON object per line: \"layer\":\"socket\" for a\n"
"                 datagram a socket returned, \"pcap\" for one libpcap saw\n"
"                 arrive, \"refused\" for a number the OS refused\n"
"  --no-pcap      do not watch arrivals with libpcap\n"
"  -v             text mode: also print what libpcap saw arrive\n"
"  -Z, --user USER  after opening sockets, run as USER with no\n"
"                 capabilities (default nobody; -Z root stays root)\n"
"  --echo         answer HDP datagrams (IP protocol 255) with an echo\n"
"                 reply: addresses and ports swapped, the HDP timestamp\n"
"                 kept, receive and reply times added (what hdp ping reads);\n"
"                 only requests to one of this host's unicast addresses\n"
"                 from a unicast source, with at least 32 payload bytes (the\n"
"                 room for those times: a reply is never larger than its\n"
"                 request); the rest is refused and counted by reason\n"
"  --echo-udp N   with --echo, also answer HDP-in-UDP sent to UDP port N\n"
"                 (never to a source port below 1024 or of a known service)\n"
"  --echo-rate N[/s]  replies per second to one source (IPv6: one /64),\n"
"                 bursts of N/4 (at least 10) (default %u)\n"
"  --echo-rate-total N[/s]  replies per second in all (default %u)\n"
"\n"
"At the end, on standard error: datagrams received and dropped by the\n"
"kernel (socket buffer full); exit 1 when any were dropped.\n"
"\n"
"With --echo, at the end: requests replied, failed and refused by reason\n"
"(a \"# echo:\" line on standard error, or with --json a line with\n"
"\"layer\":\"echo_summary\"); each refusal is a line \"layer\":\"echo_refused\"\n"
"with --json, and a \"# echo: refused\" line with -v.\n"
"\n"
"The receiving half of 'hdp sweep --join tx.json rx.json':\n"
"  receiver# hdp listen -P all --json > rx.json\n",
		HDP_ECHO_RATE_SRC, HDP_ECHO_RATE_TOTAL);
}

/*
 * Run over ssh (sweep --rx-at), our output goes back over a TCP
 * connection to this host: with -P 6 every one of its segments would be
 * a line, sent back over it, making more segments, more lines (a loop
 * of ~1 MB/s on an idle link).  They are never what we listen for: the
 * connection is read from $SSH_CONNECTION ("CLIENT CPORT SERVER SPORT",
 * set by sshd; sudo's env_reset drops it) and its segments skipped.
 */
static void
ssh_conn_init(struct listen_ctx *c)
{
	const char *e = getenv("SSH_CONNECTION");
	char ip[64], sip[64];
	unsigned cp, sp;

	c->ssh_fam = 0;
	if (e == NULL ||
	    sscanf(e, "%63s %u %63s %u", ip, &cp, sip, &sp) != 4 ||
	    cp > 65535 || sp > 65535)
		return;
	if (inet_pton(AF_INET, ip, &c->ssh_ip.v4) == 1)
		c->ssh_fam = AF_INET;
	else if (inet_pton(AF_INET6, ip, &c->ssh_ip.v6) == 1)
		c->ssh_fam = AF_INET6;
	c->ssh_cport = (uint16_t)cp;
	c->ssh_sport = (uint16_t)sp;
}

/* A TCP segment (its first bytes read as an HDP header: the ports) of
 * that connection, from its client. */
static int
ssh_own(const struct listen_ctx *c, int fam, const union hdp_addr *src,
	unsigned proto, int has, const struct hdp_hdr *h)
{
	if (c->ssh_fam == 0 || fam != c->ssh_fam || proto != 6 || !has ||
	    h->sport != c->ssh_cport || h->dport != c->ssh_sport)
		return 0;
	return fam == AF_INET ? src->v4.s_addr == c->ssh_ip.v4.s_addr :
	       memcmp(&src->v6, &c->ssh_ip.v6, sizeof(src->v6)) == 0;
}

/* The HDP timestamp looks like one of ours (within a day of now). */
static int
plausible_ts(uint64_t ts, uint64_t now)
{
	const uint64_t day = 86400ULL * 1000000000ULL;

	return ts != 0 && ts + day > now && ts < now + day;
}

static void
print_header(struct listen_ctx *c)
{
	if (c->json || c->header_done)
		return;
	printf("| Protocol Number | Time (μs) (Server) | Source IP (Server) "
	       "| Byte Sum (Server) |\n| --- | --- | --- | --- |\n");
	c->header_done = 1;
}

/* One datagram a raw socket returned. */
static void
on_datagram(struct listen_ctx *c, const struct hdp_rawmsg *m)
{
	char src[INET6_ADDRSTRLEN];
	struct hdp_json j;

	hdp_addr_ntop(m->family, &m->src, src, sizeof(src));
	if (c->json) {
		hj_begin(&j, stdout);
		hj_str(&j, "layer", "socket");
		hj_u64(&j, "proto", m->proto);
		hj_u64(&j, "family", m->family == AF_INET6 ? 6 : 4);
		hj_str(&j, "src", src);
		hj_u64(&j, "time_ns", m->time_ns);
		hj_u64(&j, "time_us", m->time_ns / 1000);
		hj_u64(&j, "bytes", m->bytes);
		hj_bool(&j, "hdp", m->has_hdp);
		if (m->has_hdp) {
			hj_u64(&j, "sport", m->hdp.sport);
			hj_u64(&j, "dport", m->hdp.dport);
			hj_u64(&j, "hdp_ts_ns", m->hdp.ts_ns);
			/* exact nanoseconds, named as hdp sniff --json names
			 * them (latency_us, a rounded double, is gone) */
			if (plausible_ts(m->hdp.ts_ns, m->time_ns))
				hj_i64(&j, "latency_ns",
				       (int64_t)(m->time_ns - m->hdp.ts_ns));
		}
		hj_end(&j);
	} else {
		print_header(c);
		printf("| %u | %llu | %s | %zu |\n", m->proto,
		       (unsigned long long)(m->time_ns / 1000), src, m->bytes);
	}
	fflush(stdout);
}

/* One datagram libpcap saw arrive. */
static void
on_arrival(struct listen_ctx *c, const struct pcap_pkthdr *h,
	   const u_char *pkt)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	struct hdp_frame f;
	struct hdp_json j;
	struct hdp_hdr hh;
	uint64_t t;
	uint8_t proto;
	int fam, has;

	hdp_decode_frame(c->dlt, pkt, h->caplen, h->len, &f);
	if (f.ip_version == 0 || f.direction == HDP_DIR_OUT)
		return;
	if ((c->family == AF_INET) != (f.ip_version == 4))
		return;
	/* the IP header's own number (IPv6: the fixed header's) */
	proto = f.ip_version == 6 ? f.ip6_nexthdr : f.proto;
	has = hdp_frame_sweep_key(&f, pkt, h->caplen, &proto, &hh);
	fam = f.ip_version == 6 ? AF_INET6 : AF_INET;
	if (ssh_own(c, fam, &f.src, proto, has, &hh))
		return;
	hdp_addr_ntop(fam, &f.src, src, sizeof(src));
	hdp_addr_ntop(fam, &f.dst, dst, sizeof(dst));
	t = (uint64_t)h->ts.tv_sec * 1000000000ULL + (uint64_t)h->ts.tv_usec;
	if (c->json) {
		hj_begin(&j, stdout);
		hj_str(&j, "layer", "pcap");
		hj_u64(&j, "proto", proto);
		hj_u64(&j, "family", (uint64_t)f.ip_version);
		hj_str(&j, "src", src);
		hj_str(&j, "dst", dst);
		hj_u64(&j, "time_ns", t);
		hj_u64(&j, "ip_len", f.ip_len);	/* as hdp sniff names it */
		hj_bool(&j, "hdp", has);
		if (has) {
			hj_u64(&j, "sport", hh.sport);
			hj_u64(&j, "dport", hh.dport);
			hj_u64(&j, "hdp_ts_ns", hh.ts_ns);
		}
		hj_end(&j);
	} else {
		printf("# pcap: arrived proto %u %s > %s %u bytes\n", proto,
		       src, dst, f.ip_len);
	}
	fflush(stdout);
}

/* --echo: answer one datagram a raw socket returned (hdp_echo.h)
 * before anything is printed, so printing is not in the turnaround;
 * returns 1 when rep (a reply, or a refusal) is to be printed. */
static int
echo_datagram(struct listen_ctx *c, const struct hdp_rawmsg *m,
	      struct hdp_echo_reply *rep)
{
	char err[256], src[INET6_ADDRSTRLEN];
	int r;

	struct hdp_echo_req q;

	memset(&q, 0, sizeof(q));
	q.family = m->family;
	q.src = m->src;
	q.dst = m->dst;
	q.ifindex = m->ifindex;
	q.proto = m->proto;
	q.l4 = m->l4;
	q.l4len = m->l4_len;
	q.rx_ns = m->time_ns;
	q.rx_kernel = 1;
	r = hdp_echo_answer_l4(c->echo, &q, rep, err, sizeof(err));
	if (r < 0) {
		hdp_addr_ntop(m->family, &m->src, src, sizeof(src));
		tool_err("echo to %s: %s", src, err);
	}
	/* a refusal is a line of its own with --json, or with -v */
	return r > 0 || (r == 0 && rep->refused && (c->json || c->verbose));
}

/* The receive loop: poll every socket and the capture until stopped. */
static int
run_listen(struct listen_ctx *c)
{
	struct pollfd pfd[258];
	int map[258], n = 0, i, r, timeout;
	struct hdp_rawmsg m;
	struct hdp_echo_reply rep;
	int echoed;
	struct pcap_pkthdr *h;
	const u_char *pkt;
	uint64_t now;

	/* first: an address change is taken in before the requests that
	 * arrived with it are judged */
	if (c->echo != NULL && hdp_echo_fd(c->echo) >= 0) {
		pfd[n].fd = hdp_echo_fd(c->echo);
		pfd[n].events = POLLIN;
		map[n++] = -2;
	}
	for (i = 0; i < 256; i++) {
		if (c->fds[i] < 0)
			continue;
		pfd[n].fd = c->fds[i];
		pfd[n].events = POLLIN;
		map[n++] = i;
	}
	if (c->pcap != NULL) {
		pfd[n].fd = pcap_get_selectable_fd(c->pcap);
		pfd[n].events = POLLIN;
		map[n++] = -1;
	}
	while (!tool_stop) {
		timeout = 200;
		if (c->deadline_ns) {
			now = hdp_mono_ns();
			if (now >= c->deadline_ns)
				break;
			if ((c->deadline_ns - now) / 1000000 < 200)
				timeout = (int)((c->deadline_ns - now) /
						1000000) + 1;
		}
		r = poll(pfd, (nfds_t)n, timeout);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			tool_errno("poll");
			return HDP_EXIT_ENV;
		}
		for (i = 0; i < n && r > 0; i++) {
			if (!(pfd[i].revents & (POLLIN | POLLERR)))
				continue;
			if (map[i] == -2) {
				hdp_echo_events(c->echo);
				continue;
			}
			if (map[i] < 0) {
				while (pcap_next_ex(c->pcap, &h, &pkt) == 1)
					on_arrival(c, h, pkt);
				continue;
			}
			while (hdp_rawsock_recv(pfd[i].fd, c->family,
						(unsigned)map[i], c->buf,
						RX_BUFLEN, &m) == 1) {
				if (ssh_own(c, m.family, &m.src, m.proto,
					    m.has_hdp, &m.hdp))
					continue;
				echoed = c->echo != NULL &&
					 echo_datagram(c, &m, &rep);
				on_datagram(c, &m);
				if (echoed)
					hdp_echo_print(stdout, c->json, &rep);
				c->received++;
				if (c->count && c->received >= c->count)
					return HDP_EXIT_OK;
			}
		}
	}
	return HDP_EXIT_OK;
}

/*
 * On standard error, what was received and what the kernel dropped
 * because a socket's receive buffer (or the capture's) was full, as
 * tcpdump ends; under a flood the table and the JSON lines lack exactly
 * those.  Returns the number dropped.
 */
static uint64_t
report_listen(const struct listen_ctx *c)
{
	struct pcap_stat ps;
	uint64_t drops = 0;
	uint32_t d;
	int i, unknown = 0;

	for (i = 0; i < 256; i++) {
		if (c->fds[i] < 0)
			continue;
		if (hdp_rawsock_drops(c->fds[i], &d) == 0)
			drops += d;
		else
			unknown = 1;
	}
	fprintf(stderr, "hdp listen: %" PRIu64 " datagram%s received, ",
		c->received, c->received == 1 ? "" : "s");
	if (unknown)
		fprintf(stderr, "drops unknown (no SO_MEMINFO)");
	else
		fprintf(stderr, "%" PRIu64 " dropped by the kernel (socket "
			"buffer full)", drops);
	if (c->pcap != NULL && pcap_stats(c->pcap, &ps) == 0 &&
	    ps.ps_drop != 0)
		fprintf(stderr, "; the arrivals capture dropped %u",
			ps.ps_drop);
	fputc('\n', stderr);
	return drops;
}

enum { OPT_JSON = 256, OPT_NOPCAP, OPT_ECHO, OPT_ECHO_UDP, OPT_ECHO_RATE,
       OPT_ECHO_RATE_TOTAL };

/* --echo-rate N or N/s: replies per second, 1 to 10 million. */
static int
parse_rate(const char *arg, const char *opt, uint32_t *out)
{
	char num[32];
	size_t n = strlen(arg);
	uint64_t v;

	if (n > 2 && strcmp(arg + n - 2, "/s") == 0)
		n -= 2;
	if (n == 0 || n >= sizeof(num)) {
		tool_err("%s '%s': not a rate (N or N/s)", opt, arg);
		return -1;
	}
	memcpy(num, arg, n);
	num[n] = '\0';
	if (tool_parse_uint(num, 1, 10000000, &v, opt) != 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* --echo: ask the raw sockets where each datagram came in (the arrival
 * interface; for IPv6 also the destination address, which an IPv6 raw
 * socket does not otherwise give), so that only requests to our own
 * unicast addresses are answered. */
static void
echo_want_pktinfo(const struct listen_ctx *c)
{
	int i, on = 1;

	for (i = 0; i < 256; i++) {
		if (c->fds[i] < 0)
			continue;
		if (c->family == AF_INET6)
			(void)setsockopt(c->fds[i], IPPROTO_IPV6,
					 IPV6_RECVPKTINFO, &on, sizeof(on));
		else
			(void)setsockopt(c->fds[i], IPPROTO_IP, IP_PKTINFO,
					 &on, sizeof(on));
	}
}

/* What the command line asked for, beyond struct listen_ctx. */
struct listen_args {
	const char *protos, *ifname, *user;
	int want_pcap, echo;
	struct hdp_echo_opts eo;
	struct hdp_protoset set;   /* -P, parsed */
};

/* Options into c and a: -1 to go on, else the exit status. */
static int
parse_opts(int argc, char **argv, struct listen_ctx *c,
	     struct listen_args *a)
{
	static const struct option longopts[] = {
		{ "json",    no_argument,       NULL, OPT_JSON },
		{ "no-pcap", no_argument,       NULL, OPT_NOPCAP },
		{ "echo",    no_argument,       NULL, OPT_ECHO },
		{ "echo-udp", required_argument, NULL, OPT_ECHO_UDP },
		{ "echo-rate", required_argument, NULL, OPT_ECHO_RATE },
		{ "echo-rate-total", required_argument, NULL,
		  OPT_ECHO_RATE_TOTAL },
		{ "user",    required_argument, NULL, 'Z' },
		{ "help",    no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char err[256];
	int ch;
	uint64_t v;

	optind = 0;	/* glibc: a fresh scan from argv[1] */
	while ((ch = tool_getopt(argc, argv, "P:46i:c:t:vZ:h", longopts))
	       != -1) {
		switch (ch) {
		case 'P': a->protos = optarg; break;
		case '4': c->family = AF_INET; break;
		case '6': c->family = AF_INET6; break;
		case 'i': a->ifname = optarg; break;
		case 'c':
			if (tool_parse_uint(optarg, 1, UINT32_MAX, &v, "-c"))
				return HDP_EXIT_USAGE;
			c->count = v;
			break;
		case 't':
			if (tool_parse_uint(optarg, 1, 86400, &v, "-t"))
				return HDP_EXIT_USAGE;
			c->deadline_ns = hdp_mono_ns() + v * 1000000000ULL;
			break;
		case 'v': c->verbose = 1; break;
		case 'Z': a->user = optarg; break;
		case OPT_JSON: c->json = 1; break;
		case OPT_NOPCAP: a->want_pcap = 0; break;
		case OPT_ECHO: a->echo = 1; break;
		case OPT_ECHO_UDP:
			if (tool_parse_uint(optarg, 1, 65535, &v,
					    "--echo-udp"))
				return HDP_EXIT_USAGE;
			a->eo.udp_port = (int)v;
			break;
		case OPT_ECHO_RATE:
			if (parse_rate(optarg, "--echo-rate", &a->eo.rate_src))
				return HDP_EXIT_USAGE;
			break;
		case OPT_ECHO_RATE_TOTAL:
			if (parse_rate(optarg, "--echo-rate-total",
				       &a->eo.rate_total))
				return HDP_EXIT_USAGE;
			break;
		case 'h': usage_listen(stdout); return HDP_EXIT_OK;
		default: return HDP_EXIT_USAGE;	/* '?': said */
		}
	}
	if (optind != argc)
		return tool_usage_err("%s: unexpected argument (listen takes "
				      "options only)", argv[optind]);
	if (!a->echo && (a->eo.udp_port || a->eo.rate_src ||
			 a->eo.rate_total))
		return tool_usage_err("--echo-udp, --echo-rate and "
				      "--echo-rate-total go with --echo");
	if (hdp_protoset_parse(a->protos, &a->set, err, sizeof(err)) != 0) {
		tool_err("-P: %s", err);
		return HDP_EXIT_USAGE;
	}
	if (a->echo && a->eo.udp_port)
		a->set.bits[17 >> 3] |= (uint8_t)(1u << (17 & 7)); /* UDP */
	return -1;
}

/* A raw socket for every number in set; refusals reported.  0, or the
 * exit status when none could be opened. */
static int
open_sockets(struct listen_ctx *c, const struct hdp_protoset *set)
{
	char err[256];
	int i, refused_perm = 0;

	for (i = 0; i < 256; i++) {
		if (!hdp_protoset_has(set, (unsigned)i))
			continue;
		c->fds[i] = hdp_rawsock_open(c->family, (unsigned)i, err,
					     sizeof(err));
		if (c->fds[i] >= 0) {
			c->nopen++;
			continue;
		}
		if (errno == EPERM || errno == EACCES) {
			/* one line for all of them, below */
			refused_perm++;
			continue;
		}
		if (c->json) {
			struct hdp_json j;

			hj_begin(&j, stdout);
			hj_str(&j, "layer", "refused");
			hj_u64(&j, "proto", (uint64_t)i);
			hj_u64(&j, "errno", (uint64_t)errno);
			hj_str(&j, "error", err);
			hj_end(&j);
		}
		tool_err("protocol %d refused: %s", i, err);
	}
	if (refused_perm && c->nopen != 0)
		tool_err("%d protocol numbers refused: not permitted",
			 refused_perm);
	if (c->nopen == 0) {
		if (refused_perm) {
			tool_err("raw sockets need root or CAP_NET_RAW");
			return HDP_EXIT_PERM;
		}
		tool_err("no raw socket could be opened");
		return HDP_EXIT_ENV;
	}
	return 0;
}

/* libpcap watching arrivals on ifname (NULL: any); a failure only
 * means they are not watched. */
static void
open_arrivals(struct listen_ctx *c, const char *ifname)
{
	struct hdp_cap_opts co;
	char err[PCAP_ERRBUF_SIZE + 256];

	memset(&co, 0, sizeof(co));
	co.ifname = ifname;
	co.immediate = 1;
	co.nano = 1;
	co.snaplen = 128;
	c->pcap = hdp_cap_open_live(&co, err, sizeof(err));
	if (c->pcap != NULL)
		tool_cap_warn(err);
	if (c->pcap == NULL) {
		tool_err("libpcap: %s (arrivals not watched)", err);
	} else if (hdp_cap_set_filter(c->pcap, c->family == AF_INET ? "ip" :
				      "ip6", err, sizeof(err)) != 0 ||
		   pcap_setnonblock(c->pcap, 1, err) != 0) {
		tool_err("libpcap: %s (arrivals not watched)", err);
		pcap_close(c->pcap);
		c->pcap = NULL;
	} else {
		c->dlt = pcap_datalink(c->pcap);
	}
}

/* --echo: the responder, opened before the privileges go.  0, or the
 * exit status. */
static int
open_echo(struct listen_ctx *c, struct hdp_echo_opts *eo)
{
	char err[256];
	int perm = 0;

	eo->family = c->family;
	echo_want_pktinfo(c);
	c->echo = hdp_echo_new(eo, &perm, err, sizeof(err));
	if (c->echo == NULL) {
		tool_err("--echo: %s", err);
		return perm ? HDP_EXIT_PERM : HDP_EXIT_ENV;
	}
	return 0;
}

/*
 * What the run needs, opened while still privileged: the raw sockets,
 * the arrivals capture, the echo responder; then the privileges go.
 * 0, or the exit status (said why).
 */
static int
open_listen(struct listen_ctx *c, struct listen_args *a)
{
	char err[256];
	int rc;

	/* an interface named must exist, as for every subcommand: never a
	 * run that silently watches nothing */
	if (a->ifname != NULL && strcmp(a->ifname, "any") != 0 &&
	    if_nametoindex(a->ifname) == 0) {
		tool_err("%s: no such interface", a->ifname);
		return HDP_EXIT_ENV;
	}
	if ((rc = open_sockets(c, &a->set)) != 0)
		return rc;
	if (a->want_pcap && (c->json || c->verbose))
		open_arrivals(c, a->ifname);
	if (a->echo && (rc = open_echo(c, &a->eo)) != 0)
		return rc;
	if (hdp_drop_privileges(a->user, err, sizeof(err)) != 0) {
		tool_err("%s", err);
		return HDP_EXIT_PERM;
	}
	c->buf = malloc(RX_BUFLEN);
	if (c->buf == NULL) {
		tool_err("out of memory");
		return HDP_EXIT_ENV;
	}
	return 0;
}

int
cmd_listen(int argc, char **argv)
{
	struct listen_ctx c;
	struct listen_args a;
	int i, rc;

	memset(&c, 0, sizeof(c));
	memset(&a, 0, sizeof(a));
	c.family = AF_INET;
	for (i = 0; i < 256; i++)
		c.fds[i] = -1;
	a.protos = "255";
	a.want_pcap = 1;
	a.eo.family = AF_INET;
	a.eo.hdp = 1;
	a.eo.port = -1;
	rc = parse_opts(argc, argv, &c, &a);
	if (rc >= 0)
		return rc;
	if (tool_parse_only)
		return HDP_EXIT_OK;

	ssh_conn_init(&c);
	rc = open_listen(&c, &a);
	if (rc != 0)
		goto out;
	tool_catch_stop(NULL);
	if (!c.json)
		print_header(&c);
	fflush(stdout);
	fprintf(stderr, "%s: listening on %d protocol number%s (%s)\n",
		"hdp listen", c.nopen, c.nopen == 1 ? "" : "s",
		c.family == AF_INET6 ? "IPv6" : "IPv4");
	rc = run_listen(&c);
	if (c.echo != NULL)
		hdp_echo_print_summary(c.json ? stdout : stderr, c.json,
				       c.echo);
	if (report_listen(&c) != 0 && rc == HDP_EXIT_OK)
		rc = HDP_EXIT_FAIL;
out:
	for (i = 0; i < 256; i++)
		if (c.fds[i] >= 0)
			close(c.fds[i]);
	if (c.pcap != NULL)
		pcap_close(c.pcap);
	hdp_echo_free(c.echo);
	free(c.buf);
	return rc;
}
