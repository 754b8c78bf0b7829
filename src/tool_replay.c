/*
 * tool_replay.c: hdp replay -- put captured HDP back on the wire, with the
 * capture's timing kept, scaled (--speed), flat (--pps) or flat out
 * (--topspeed), optionally looped, with fields rewritten.  cmd_replay()
 * is four steps: parse_opts(), open_replay(), run_replay() (a
 * replay_pass() per --loop) and report_replay().
 *
 * With -I and nothing to rewrite, every frame goes out as captured
 * (send_captured(): libnet's link-layer interface, hdp_linkout.h), a
 * capture without an Ethernet header wrapped in one libnet builds
 * (wrap_eth()).  Otherwise every frame is decoded with hdp_decode_frame(),
 * turned into a struct hdp_pkt_spec (see rewrite()) and rebuilt by libnet
 * through hdp_build.h; a frame that cannot be rebuilt whole (not IP,
 * truncated, malformed, a transport checksum over rewritten addresses
 * that it does not carry whole) is skipped with its reason, never sent
 * half-built; a checksum it carries is adjusted (fix_csum()).  With -I the next hop
 * of each destination is resolved once (dest_mac()).
 *
 * The schedule uses absolute deadlines on CLOCK_MONOTONIC: packet i is due
 * at start + (ts_i - ts_0) / speed (or start + i / pps), so a late packet
 * never shifts the ones after it.  We sleep with clock_nanosleep(
 * TIMER_ABSTIME) until SPIN_NS before the deadline and spin the rest; the
 * lag (send time minus deadline) is measured for every packet and reported
 * as mean and worst.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <sys/ioctl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <hdp/hdp.h>
#include "hdp_build.h"
#include "hdp_capture.h"
#include "hdp_file.h"
#include "hdp_json.h"
#include "hdp_linkout.h"
#include "hdp_print.h"
#include "tool.h"

#define SPIN_NS      200000ull  /* spin, rather than sleep, this close   */
#define MAX_REASONS  16         /* distinct skip/fail reasons counted    */
#define ENOBUFS_TRIES 64        /* retries of a write the kernel refused */
				/* for want of buffer space              */

/* Why a frame was not sent: the category counted in the summary. */
enum skip_kind {
	SK_NOT_IP = 0,
	SK_TRUNCATED,
	SK_FRAGMENT,
	SK_MALFORMED,
	SK_IP6_EXT,
	SK_FAMILY,          /* address rewrite of the other family       */
	SK_CSUM,            /* pseudo-header checksum would go stale     */
	SK_BUILD,           /* libnet refused to build it                */
	SK_NEXT_HOP,        /* -I with rewriting: next hop not resolved  */
	SK_STOPPED,         /* Ctrl-C came while it waited to be due     */
	SK_COUNT
};

static const char *const skip_names[SK_COUNT] = {
	"not IP", "truncated", "fragment", "malformed",
	"ipv6 extension headers", "address family", "stale checksum",
	"build error", "no next hop", "stopped before due"
};

struct reason {
	char     text[160];
	uint64_t count;
};

struct replay_opts {
	const char *file;
	char       *filter;
	const char *ifname;       /* -I: link-layer injection               */
	double      speed;        /* 0: capture gaps unscaled (1.0)          */
	double      pps;
	int         topspeed;
	uint64_t    loops;
	uint64_t    count;        /* -c: stop after this many frames read    */
	int         json;
	int         quiet;
	const char *user;         /* -Z: run as USER once all is open        */

	/* rewrites */
	/* --dst, --src: one of each family ([0] IPv4, [1] IPv6) */
	int         set_dst[2], set_src[2];
	union hdp_addr dst[2], src[2];
	int         set_proto, set_ttl, set_sport, set_dport, refresh_ts;
	uint8_t     proto, ttl;
	uint16_t    sport, dport;

	int         as_captured;  /* -I and no rewrite: frames as captured */
};

/* -I: the MAC of each destination (and next hop) met so far, resolved
 * once; a failed one is remembered too, so that it costs one wait and one
 * line, not one per frame. */
#define NH_SLOTS 4096
#define NH_WAITS 3
struct nh_ent {
	int            family;    /* 0: free slot                           */
	int            ok;
	union hdp_addr addr;
	uint8_t        mac[6];
};

struct replay_stats {
	uint64_t read, sent, failed, skipped, bytes;
	uint64_t skip_by[SK_COUNT];
	struct reason fails[MAX_REASONS];
	uint64_t lag_sum_ns, lag_max_ns, lag_n;
	uint64_t enobufs_retries;
	uint64_t t_first_ns, t_last_ns;   /* CLOCK_MONOTONIC of first/last */
	uint64_t short_sent;      /* as captured: cut by the snap length   */
	uint64_t wrapped;         /* as captured: given an Ethernet header */
	uint64_t broadcast;       /* ... to the broadcast MAC: no next hop */
};

/* A frame queued for a batched write (--topspeed), kept for its report. */
struct pending {
	uint64_t n;
	struct hdp_pkt_spec spec;     /* payload and options not kept */
	struct hdp_tx_result res;
	size_t wire;                  /* as captured: bytes written         */
};

/* A sender per address family ([0] IPv4, [1] IPv6), both opened before
 * privileges are dropped.  One that could not be opened keeps its error
 * until a frame of its family needs it: a capture of IPv4 only must not
 * fail for want of an IPv6 socket. */
struct sender {
	struct hdp_tx *tx;
	char err[384];            /* why tx is NULL; "" once reported      */
	int exit_code;            /* HDP_EXIT_PERM or HDP_EXIT_ENV         */
};

struct replay {
	struct replay_opts o;
	struct replay_stats st;
	struct sender tx[2];
	int fd;                   /* the capture file, opened before the   */
				  /* drop and rewound per pass; -1: stdin  */
	int exit_code;
	uint64_t base;            /* CLOCK_MONOTONIC time of offset 0      */
	int header_done;
	int progress;             /* -q or --json with a terminal on stderr */
	uint64_t progress_ns;     /* when the progress line was last drawn  */
	struct hdp_tx *qtx;       /* the sender frames are queued on       */
	unsigned nq;
	struct pending q[HDP_LOUT_BATCH > HDP_TX_BURST ? HDP_LOUT_BATCH :
			 HDP_TX_BURST];
	int base_set;             /* set when the first frame is ready     */

	/* -I */
	struct hdp_lout *lo;      /* as captured: the link-layer writer    */
	int ifindex, is_loopback;
	uint8_t ifmac[6];
	unsigned mtu;             /* as captured: the interface's MTU      */
	struct nh_ent *nh;        /* NH_SLOTS entries, allocated on use    */
	unsigned nh_used;
	unsigned nh_said;         /* failures said (the first few)         */
	unsigned nh_waited;       /* failed resolutions (NH_WAITS waited)  */
	int said_loopback;        /* a loopback destination was said      */
	uint8_t scratch[65536];   /* transport bytes whose checksum is     */
				  /* adjusted to rewritten addresses       */
	uint8_t eth[14];          /* the Ethernet header last built        */
	uint16_t eth_type;
	int have_eth;
};

void
usage_replay(FILE *out)
{
	fprintf(out,
"usage: hdp replay [options] [-r] FILE [BPF expression]\n"
"\n"
"Put the frames of a pcap/pcapng capture back on the wire.  With -I and no\n"
"rewrite, each frame exactly as captured, link header included (a capture\n"
"without an Ethernet header gets one, to the next hop's MAC or broadcast).\n"
"Otherwise each IP datagram rebuilt by libnet: raw IP by default (the\n"
"kernel routes; the link header is dropped), or with -I an Ethernet header\n"
"to the next hop (resolved once per next hop; one that does not answer is\n"
"said once and its frames are skipped).\n"
"\n"
"timing (default: the capture's own gaps):\n"
"  --speed X          capture gaps divided by X (2 = twice as fast)\n"
"  --pps N            N packets per second, evenly spaced\n"
"  --topspeed         as fast as possible\n"
"  --loop N           replay the capture N times (default 1)\n"
"  -c N               stop after N frames of the capture (per loop)\n"
"rewriting (checksums are recomputed by libnet):\n"
"  --dst ADDR         destination address      --src ADDR   source address\n"
"                     (each once per family: IPv4 and IPv6 frames of one\n"
"                     capture get the address of their own family)\n"
"  --proto N          send HDP as IP protocol N (other frames keep theirs)\n"
"  --ttl N            IPv4 TTL / IPv6 hop limit\n"
"  --sport N          HDP source port          --dport N    destination port\n"
"  --refresh-timestamp  the HDP timestamp becomes the send time\n"
"output:\n"
"  -I IFACE           link-layer injection on IFACE: frames as captured,\n"
"                     or rebuilt when a field is rewritten\n"
"  --json             one JSON object per packet, then a summary object\n"
"  -q, --quiet        the summary only\n"
"  -Z, --user USER    after opening the capture and the sockets, run as\n"
"                     USER with no capabilities (default nobody when\n"
"                     started as root; -Z root stays root)\n"
"\n"
"Rebuilding, frames that cannot be rebuilt whole (not IP, truncated,\n"
"malformed) are skipped and reported with their reason; fragments and IPv6\n"
"extension headers get a rebuilt IP header and the rest as captured; a\n"
"TCP/UDP/ICMPv6 checksum over rewritten addresses is adjusted to them.\n"
"The summary gives sent, failed and skipped counts by reason, the achieved\n"
"rate, and the mean and worst lag behind the schedule.\n"
"Exit: 0 all sendable frames sent, 1 some failed, 2 bad usage or input,\n"
"3 no privileges, 4 the system refused.\n");
}

/* ---- small helpers ------------------------------------------------------ */

/* Wait until the CLOCK_MONOTONIC deadline dl (ns); returns the time then. */
static uint64_t
wait_until(uint64_t dl)
{
	struct timespec ts;
	uint64_t now = hdp_mono_ns();

	if (now + SPIN_NS < dl) {
		uint64_t wake = dl - SPIN_NS;

		ts.tv_sec = (time_t)(wake / 1000000000u);
		ts.tv_nsec = (long)(wake % 1000000000u);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
				       NULL) == EINTR && !tool_stop)
			;
		now = hdp_mono_ns();
	}
	while (now < dl && !tool_stop)
		now = hdp_mono_ns();
	return now;
}

/*
 * --dst/--src: a literal IPv4 or IPv6 address.  No name is looked up:
 * rewriting a capture wants exact addresses, and options are parsed
 * before anything may touch the network (tool_parse_only).
 */
static int
parse_addr(const char *s, int *family, union hdp_addr *a)
{
	if (inet_pton(AF_INET, s, &a->v4) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a->v6) == 1) {
		*family = AF_INET6;
		return 0;
	}
	tool_err("'%s' is not an IPv4 or IPv6 address", s);
	return -1;
}

static void
addr_str(int family, const union hdp_addr *a, char *buf, size_t len)
{
	if (family != AF_INET && family != AF_INET6)
		snprintf(buf, len, "%s", "");	/* not IP (as captured) */
	else if (inet_ntop(family, a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
}

static void
count_reason(struct reason *tab, const char *text)
{
	int i;

	for (i = 0; i < MAX_REASONS - 1; i++) {
		if (tab[i].count == 0) {
			snprintf(tab[i].text, sizeof(tab[i].text), "%s", text);
			tab[i].count = 1;
			return;
		}
		if (strcmp(tab[i].text, text) == 0) {
			tab[i].count++;
			return;
		}
	}
	snprintf(tab[i].text, sizeof(tab[i].text), "other");
	tab[i].count++;
}

/* ---- the rewrite: a decoded frame into a packet spec --------------------- */

static int
is_pseudo_csum_proto(int family, uint8_t p)
{
	/* TCP, UDP, DCCP, UDP-Lite, ICMPv6; not SCTP, whose CRC32c covers
	 * its own header and chunks only (RFC 9260 6.8) */
	return p == 6 || p == 17 || p == 33 || p == 136 ||
	       (family == AF_INET6 && p == 58);
}

static uint16_t
get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Why frame f cannot be rebuilt whole: a skip_kind + 1 with the detail
 * in why, or 0 when it can. */
static int
rewrite_refusal(const struct hdp_frame *f, char *why, size_t whylen)
{
	if (f->ip_version == 0 || (f->status == HDP_ST_UNSUPPORTED &&
				   f->err_layer == HDP_LAYER_LINK)) {
		snprintf(why, whylen, "not IP%s%s", f->err[0] ? ": " : "",
			 f->err);
		return SK_NOT_IP + 1;
	}
	/* a fragment or an IPv6 datagram with extension headers goes as
	 * captured after its IP header: what its transport bytes hold (an
	 * HDP header split across fragments) is not ours to judge */
	if ((f->is_fragment || f->ip6_ext_count > 0) &&
	    f->status != HDP_ST_OK && f->err_layer == HDP_LAYER_L4 &&
	    f->l4_caplen >= f->l4_len &&
	    (f->ip_version != 4 || f->ip_csum_ok != 0))
		return 0;
	if (f->status == HDP_ST_TRUNCATED) {
		snprintf(why, whylen, "truncated: %s", f->err);
		return SK_TRUNCATED + 1;
	}
	if (f->status != HDP_ST_OK) {
		snprintf(why, whylen, "malformed: %s", f->err);
		return SK_MALFORMED + 1;
	}
	/* a header that fails its checksum was damaged: not ours to mend */
	if (f->ip_version == 4 && f->ip_csum_ok == 0) {
		snprintf(why, whylen, "malformed: bad ip checksum 0x%04x",
			 f->ip_csum);
		return SK_MALFORMED + 1;
	}
	if (f->ip_off + f->ip_len > f->l4_off + f->l4_caplen ||
	    f->l4_caplen < f->l4_len) {	/* the decoder said OK: be sure */
		snprintf(why, whylen, "truncated: %zu of %zu transport bytes",
			 f->l4_caplen, f->l4_len);
		return SK_TRUNCATED + 1;
	}
	return 0;
}

/* HDP-in-UDP, the comparison mode: UDP whose payload starts with an HDP
 * header carrying the same ports.  libnet rebuilds it with a fresh UDP
 * checksum, so ports and addresses can be rewritten.  1 when it is. */
static int
rewrite_udp(const struct replay_opts *o, const struct hdp_frame *f,
	    const uint8_t *pkt, struct hdp_pkt_spec *spec)
{
	const uint8_t *u = pkt + f->l4_off;
	struct hdp_hdr h;

	if (f->proto != 17 || f->l4_len < 8 + HDP_HDR_LEN)
		return 0;
	if (hdp_hdr_decode(u + 8, f->l4_caplen - 8, &h) != HDP_HDR_LEN ||
	    h.sport != get_be16(u) || h.dport != get_be16(u + 2) ||
	    get_be16(u + 4) != f->l4_len)
		return 0;
	spec->l4 = HDP_L4_UDP;
	spec->sport = o->set_sport ? o->sport : h.sport;
	spec->dport = o->set_dport ? o->dport : h.dport;
	spec->ts_ns = o->refresh_ts ? 0 : h.ts_ns;
	spec->payload = u + 8 + HDP_HDR_LEN;
	spec->payload_len = f->l4_len - 8 - HDP_HDR_LEN;
	return 1;
}

/* Where the transport checksum is in its header, or -1: TCP, UDP,
 * UDP-Lite, DCCP, ICMPv6. */
static int
csum_field(uint8_t proto)
{
	switch (proto) {
	case 6:
		return 16;
	case 17: case 33: case 136:
		return 6;
	case 58:
		return 2;
	default:
		return -1;
	}
}

/* Checksum c after the pseudo-header's addresses went from (os, od) to
 * (ns, nd): RFC 1624, HC' = ~(~HC + ~m + m'), word by word. */
static uint16_t
csum_adjust(uint16_t c, int family, const union hdp_addr *os,
	    const union hdp_addr *od, const union hdp_addr *ns,
	    const union hdp_addr *nd)
{
	const uint8_t *w[4] = { (const uint8_t *)os, (const uint8_t *)od,
				(const uint8_t *)ns, (const uint8_t *)nd };
	size_t i, n = family == AF_INET ? 4 : 16;
	uint32_t sum = (uint16_t)~c;
	int k;

	for (k = 0; k < 4; k++)
		for (i = 0; i < n; i += 2)
			sum += k < 2 ? (uint16_t)~get_be16(w[k] + i) :
				       get_be16(w[k] + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Segments left of the first IPv6 routing header, 0 when none: with
 * some left, the pseudo-header's destination is the last segment, not
 * the fixed header's. */
static unsigned
ip6_segs_left(const struct hdp_frame *f, const uint8_t *pkt)
{
	size_t off = f->ip_off + 40;
	uint8_t nh = f->ip6_nexthdr;

	while (off + 4 <= f->l4_off) {	/* the decoder walked these */
		uint8_t next = pkt[off];

		if (nh == 43)
			return pkt[off + 3];
		off += nh == 44 ? 8 : nh == 51 ? ((size_t)pkt[off + 1] + 2) * 4 :
		       ((size_t)pkt[off + 1] + 1) * 8;
		nh = next;
	}
	return 0;
}

/*
 * The bytes after the IP header (len from pkt + off) copied to scratch,
 * their transport checksum (at f->l4_off) adjusted for the rewritten
 * addresses, so a checksum right as captured is right as sent and a
 * wrong one stays as wrong.  0, or skip + 1 when the checksum is not in
 * these bytes (a fragment cut inside the transport header).
 */
static int
fix_csum(const struct hdp_frame *f, const struct hdp_pkt_spec *spec,
	 const uint8_t *pkt, size_t off, size_t len, uint8_t *scratch,
	 char *why, size_t whylen)
{
	int field = csum_field(f->proto);
	const union hdp_addr *od = &f->dst, *nd = &spec->dst;
	size_t at;
	uint16_t c;

	if (field < 0 || f->l4_off < off ||
	    f->l4_off + (size_t)field + 2 > off + len || len > 65535) {
		snprintf(why, whylen, "stale checksum: protocol %u checksum "
			 "covers the rewritten addresses and is not in this "
			 "frame", f->proto);
		return SK_CSUM + 1;
	}
	memcpy(scratch, pkt + off, len);
	at = f->l4_off - off + (size_t)field;
	c = get_be16(scratch + at);
	/* UDP sent without a checksum stays without: over IPv4 (RFC 768)
	 * and over IPv6 too (RFC 6935 tunnels; a receiver that refuses a
	 * zero checksum refuses it as captured, not one we made up) */
	if (f->proto == 17 && c == 0)
		return 0;
	if (spec->family == AF_INET6 && ip6_segs_left(f, pkt) > 0)
		od = nd = &f->dst;	/* the final destination stays */
	c = csum_adjust(c, spec->family, &f->src, od, &spec->src, nd);
	if ((f->proto == 17 || f->proto == 136) && c == 0)
		c = 0xffff;	/* RFC 768, RFC 3828: 0 means none / is invalid */
	scratch[at] = (uint8_t)(c >> 8);
	scratch[at + 1] = (uint8_t)c;
	return 0;
}

/*
 * A fragment, or an IPv6 datagram with extension headers: libnet builds
 * the IP header (fields rewritten as asked, an IPv4 fragment's MF bit and
 * offset kept) and everything after it rides as captured: the IPv6
 * extension headers, a fragment's bytes.  Ports and timestamps are not
 * rewritten there (a fragment's HDP header, if any, is only in the first).
 * A transport checksum over rewritten addresses that this frame carries
 * (a whole datagram, a first fragment) is adjusted (fix_csum()).
 */
static int
rewrite_bare_ip(const struct replay_opts *o, const struct hdp_frame *f,
		const uint8_t *pkt, struct hdp_pkt_spec *spec,
		int addr_rewritten, uint8_t *scratch, char *why,
		size_t whylen)
{
	size_t off = f->ip_version == 4 ? f->l4_off : f->ip_off + 40;
	size_t len = f->ip_off + f->ip_len - off;
	int first = !f->is_fragment || f->frag_off == 0, sk;

	spec->payload = pkt + off;
	if (addr_rewritten && first &&
	    is_pseudo_csum_proto(spec->family, f->proto)) {
		if ((sk = fix_csum(f, spec, pkt, off, len, scratch, why,
				   whylen)) != 0)
			return sk;
		spec->payload = scratch;
	}
	if (f->ip_version == 4) {
		spec->frag = (uint16_t)((f->frag_more ? IP_MF : 0) |
					(f->frag_off & IP_OFFMASK));
		spec->proto = o->set_proto && f->proto == HDP_PROTO ?
			      o->proto : f->proto;
	} else {
		/* the first extension header: the chain rides as captured */
		spec->proto = f->ip6_nexthdr;
	}
	spec->l4 = HDP_L4_NONE;
	spec->payload_len = len;
	return 0;
}

/*
 * Fill *spec from the frame f (bytes pkt).  Returns 0, or a skip_kind + 1
 * with the detail in why.  The spec points into pkt: valid while pkt is.
 */
static int
rewrite(const struct replay_opts *o, const struct hdp_frame *f,
	const uint8_t *pkt, struct hdp_pkt_spec *spec, uint8_t *scratch,
	char *why, size_t whylen)
{
	int family, fi, sk;
	int addr_rewritten = 0;

	if ((sk = rewrite_refusal(f, why, whylen)) != 0)
		return sk;
	family = f->ip_version == 4 ? AF_INET : AF_INET6;
	memset(spec, 0, sizeof(*spec));
	spec->family = family;
	spec->src = f->src;
	spec->dst = f->dst;
	spec->has_src = 1;
	fi = family == AF_INET6;
	if (o->set_dst[!fi] && !o->set_dst[fi]) {
		snprintf(why, whylen, "address family: IPv%d frame, --dst "
			 "of the other family only", f->ip_version);
		return SK_FAMILY + 1;
	}
	if (o->set_src[!fi] && !o->set_src[fi]) {
		snprintf(why, whylen, "address family: IPv%d frame, --src "
			 "of the other family only", f->ip_version);
		return SK_FAMILY + 1;
	}
	if (o->set_dst[fi]) {
		spec->dst = o->dst[fi];
		addr_rewritten = 1;
	}
	if (o->set_src[fi]) {
		spec->src = o->src[fi];
		addr_rewritten = 1;
	}
	/* --proto: HDP sent as another number; other protocols keep theirs */
	spec->proto = o->set_proto && f->has_hdp ? o->proto : f->proto;
	spec->ttl = o->set_ttl ? o->ttl : f->ttl;
	spec->tos = f->tos;
	spec->ip_id = f->ip_id;
	spec->df = f->df;
	spec->flow_label = f->flow_label;
	if (family == AF_INET && f->ip_hdr_len > 20) {
		spec->ip_opts = pkt + f->ip_off + 20;
		spec->ip_opts_len = f->ip_hdr_len - 20;
	}

	if (f->is_fragment || (family == AF_INET6 && f->ip6_ext_count > 0))
		return rewrite_bare_ip(o, f, pkt, spec, addr_rewritten,
				       scratch, why, whylen);
	if (f->has_hdp) {
		spec->l4 = HDP_L4_HDP;
		spec->sport = o->set_sport ? o->sport : f->hdp.sport;
		spec->dport = o->set_dport ? o->dport : f->hdp.dport;
		/* ts_ns 0 means "stamp at write"; a captured 0 stays 0 only
		 * when refreshing is asked, which is the same thing. */
		spec->ts_ns = o->refresh_ts ? 0 : f->hdp.ts_ns;
		spec->payload = pkt + f->payload_off;
		spec->payload_len = f->payload_len;
		return 0;
	}

	if (rewrite_udp(o, f, pkt, spec))
		return 0;

	/* Any other protocol: the transport bytes go out bare, as captured;
	 * a checksum over the rewritten addresses is adjusted to them. */
	spec->l4 = HDP_L4_NONE;
	spec->payload = pkt + f->l4_off;
	spec->payload_len = f->l4_len;
	if (addr_rewritten && is_pseudo_csum_proto(family, f->proto)) {
		if ((sk = fix_csum(f, spec, pkt, f->l4_off, f->l4_len, scratch,
				   why, whylen)) != 0)
			return sk;
		spec->payload = scratch;
	}
	return 0;
}

/* ---- output -------------------------------------------------------------- */

static void
print_header(struct replay *r)
{
	if (r->o.json || r->o.quiet || r->header_done)
		return;
	r->header_done = 1;
	printf("| # | time | src | dst | proto | sport | dport | ip_len "
	       "| lag | result |\n");
	printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- "
	       "| --- |\n");
}

static void
print_skip(struct replay *r, uint64_t n, const char *why)
{
	struct hdp_json j;

	if (r->o.quiet)
		return;
	print_header(r);
	if (r->o.json) {
		hj_begin(&j, stdout);
		hj_str(&j, "type", "skip");
		hj_u64(&j, "n", n);
		hj_str(&j, "reason", why);
		hj_end(&j);
		return;
	}
	printf("| %llu | | | | | | | | | skipped: %s |\n",
	       (unsigned long long)n, tool_safe(why));
}

static void
print_sent(struct replay *r, uint64_t n,
	   const struct hdp_pkt_spec *spec, const struct hdp_tx_result *res,
	   int have_lag, uint64_t lag_ns)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	int ports = spec->l4 == HDP_L4_HDP || spec->l4 == HDP_L4_UDP;
	struct hdp_json j;

	if (r->o.quiet)
		return;
	print_header(r);
	addr_str(spec->family, &spec->src, s, sizeof(s));
	addr_str(spec->family, &spec->dst, d, sizeof(d));
	if (r->o.json) {
		hj_begin(&j, stdout);
		hj_str(&j, "type", "packet");
		hj_u64(&j, "n", n);
		hj_u64(&j, "time_ns", res->time_ns);
		hj_str(&j, "src", s);
		hj_str(&j, "dst", d);
		hj_u64(&j, "proto", spec->proto);
		hj_str(&j, "l4", spec->l4 == HDP_L4_HDP ? "hdp" :
		       spec->l4 == HDP_L4_UDP ? "udp" : "bare");
		if (ports) {
			hj_u64(&j, "sport", spec->sport);
			hj_u64(&j, "dport", spec->dport);
			hj_u64(&j, "hdp_ts_ns", res->hdp_ts_ns);
		}
		/* the datagram's length, named as hdp sniff --json names it */
		hj_u64(&j, "ip_len", res->bytes);
		if (have_lag)
			hj_dbl(&j, "lag_us", (double)lag_ns / 1e3, 1);
		else
			hj_null(&j, "lag_us");
		hj_bool(&j, "ok", res->ok);
		hj_i64(&j, "errno", res->err);
		if (res->ok)
			hj_null(&j, "error");
		else
			hj_str(&j, "error", res->error);
		hj_end(&j);
		return;
	}
	printf("| %llu | %llu.%09llu | %s | %s | %u | ",
	       (unsigned long long)n,
	       (unsigned long long)(res->time_ns / 1000000000u),
	       (unsigned long long)(res->time_ns % 1000000000u), s, d,
	       spec->proto);
	if (ports)
		printf("%u | %u | ", spec->sport, spec->dport);
	else
		printf("| | ");
	printf("%zu | ", res->bytes);
	if (have_lag) {
		char lag[32];	/* as hdp sniff prints a latency */

		lag[hdp_fmt_latency(lag, (int64_t)lag_ns)] = '\0';
		printf("%s | ", lag);
	} else {
		printf("| ");
	}
	if (res->ok)
		printf("sent |\n");
	else
		printf("failed: %s |\n", tool_safe(res->error));
}

/* The summary as JSON objects: one "summary", one "failed" per reason. */
static void
report_json(const struct replay *r, double secs, double pps, double mbps,
	    double lag_mean)
{
	const struct replay_stats *st = &r->st;
	struct hdp_json j;
	char buf[1024];
	size_t off;
	int i;

	hj_begin(&j, stdout);
	hj_str(&j, "type", "summary");
	hj_u64(&j, "read", st->read);
	hj_u64(&j, "sent", st->sent);
	hj_u64(&j, "failed", st->failed);
	hj_u64(&j, "skipped", st->skipped);
	off = 0;
	buf[0] = '{';
	buf[1] = '\0';
	off = 1;
	for (i = 0; i < SK_COUNT; i++) {
		if (st->skip_by[i] == 0)
			continue;
		off += (size_t)snprintf(buf + off, sizeof(buf) - off,
			"%s\"%s\":%llu", off > 1 ? "," : "",
			skip_names[i],
			(unsigned long long)st->skip_by[i]);
		if (off >= sizeof(buf) - 2)
			break;
	}
	snprintf(buf + off, sizeof(buf) - off, "}");
	hj_raw(&j, "skipped_by", buf);
	hj_u64(&j, "bytes", st->bytes);
	hj_dbl(&j, "elapsed_s", secs, 6);
	hj_dbl(&j, "pps", pps, 1);
	hj_dbl(&j, "mbps", mbps, 3);
	if (st->lag_n) {
		hj_dbl(&j, "lag_mean_us", lag_mean, 1);
		hj_dbl(&j, "lag_max_us",
		       (double)st->lag_max_ns / 1e3, 1);
	} else {
		hj_null(&j, "lag_mean_us");
		hj_null(&j, "lag_max_us");
	}
	hj_u64(&j, "enobufs_retries", st->enobufs_retries);
	if (r->o.as_captured) {
		hj_u64(&j, "short", st->short_sent);
		hj_u64(&j, "wrapped", st->wrapped);
		hj_u64(&j, "broadcast", st->broadcast);
	}
	hj_end(&j);
	for (i = 0; i < MAX_REASONS && st->fails[i].count; i++) {
		hj_begin(&j, stdout);
		hj_str(&j, "type", "failed");
		hj_str(&j, "reason", st->fails[i].text);
		hj_u64(&j, "count", st->fails[i].count);
		hj_end(&j);
	}
}

static void
report_replay(const struct replay *r)
{
	const struct replay_stats *st = &r->st;
	double secs = st->t_last_ns > st->t_first_ns ?
		      (double)(st->t_last_ns - st->t_first_ns) / 1e9 : 0.0;
	double pps = secs > 0 ? (double)st->sent / secs : 0.0;
	double mbps = secs > 0 ? (double)st->bytes * 8 / secs / 1e6 : 0.0;
	double lag_mean = st->lag_n ? (double)st->lag_sum_ns / st->lag_n /
			  1e3 : 0.0;
	int i;

	if (r->o.json) {
		report_json(r, secs, pps, mbps, lag_mean);
		return;
	}
	if (!r->o.quiet)
		printf("\n");
	printf("| replay | |\n| --- | --- |\n");
	printf("| frames read | %llu |\n", (unsigned long long)st->read);
	printf("| sent | %llu |\n", (unsigned long long)st->sent);
	printf("| failed | %llu |\n", (unsigned long long)st->failed);
	for (i = 0; i < MAX_REASONS && st->fails[i].count; i++)
		printf("| failed: %s | %llu |\n", tool_safe(st->fails[i].text),
		       (unsigned long long)st->fails[i].count);
	printf("| skipped | %llu |\n", (unsigned long long)st->skipped);
	for (i = 0; i < SK_COUNT; i++)
		if (st->skip_by[i])
			printf("| skipped: %s | %llu |\n", skip_names[i],
			       (unsigned long long)st->skip_by[i]);
	if (st->short_sent)
		printf("| sent short (cut by the snap length) | %llu |\n",
		       (unsigned long long)st->short_sent);
	if (st->wrapped)
		printf("| given an Ethernet header | %llu |\n",
		       (unsigned long long)st->wrapped);
	if (st->broadcast)
		printf("| ... to the broadcast MAC (no next hop) | %llu |\n",
		       (unsigned long long)st->broadcast);
	printf("| elapsed | %.6f s |\n", secs);
	printf("| rate | %.1f pkt/s, %.3f Mbit/s |\n", pps, mbps);
	if (st->lag_n) {
		/* as hdp sniff prints a latency: "21.2 us", "1.3 ms" */
		char mean[32], worst[32];

		mean[hdp_fmt_latency(mean, (int64_t)(st->lag_sum_ns /
						     st->lag_n))] = '\0';
		worst[hdp_fmt_latency(worst, (int64_t)st->lag_max_ns)] = '\0';
		printf("| lag behind schedule, mean / worst | %s / %s |\n",
		       mean, worst);
	} else
		printf("| lag behind schedule | n/a (--topspeed) |\n");
	if (st->enobufs_retries)
		printf("| writes retried (no buffer space) | %llu |\n",
		       (unsigned long long)st->enobufs_retries);
}

/* ---- sending ------------------------------------------------------------ */

/* A long run with no rows on the terminal: a progress line on stderr,
 * redrawn at most twice a second (the clock is read every 4096 frames). */
static void
progress(struct replay *r, int last)
{
	uint64_t now, done = r->st.sent + r->st.failed;
	double secs;

	if (!r->progress || (!last && (r->st.read & 4095) != 0))
		return;
	now = hdp_mono_ns();
	if (!last && now < r->progress_ns + 500000000u)
		return;
	r->progress_ns = now;
	secs = r->st.t_first_ns && now > r->st.t_first_ns ?
	       (double)(now - r->st.t_first_ns) / 1e9 : 0.0;
	fprintf(stderr, "\r%llu frames read, %llu sent, %llu skipped, "
		"%.0f pkt/s%s", (unsigned long long)r->st.read,
		(unsigned long long)done, (unsigned long long)r->st.skipped,
		secs > 0 ? (double)done / secs : 0.0, last ? "\n" : "");
}

/* Open the sender of each family, keeping the error of one that fails
 * for get_tx() to report. */
static void
open_senders(struct replay *r)
{
	static const int families[2] = { AF_INET, AF_INET6 };
	char err[256];
	int fi, perm;

	for (fi = 0; fi < 2; fi++) {
		struct sender *sd = &r->tx[fi];
		const char *what = r->o.ifname ? r->o.ifname :
				   fi ? "raw IPv6" : "raw IPv4";

		perm = 0;
		sd->tx = hdp_tx_open(r->o.ifname ? HDP_TX_LINK : HDP_TX_RAW,
				     families[fi], r->o.ifname, &perm, err,
				     sizeof(err));
		if (sd->tx != NULL) {
			/* the sending socket also receives (a link-layer
			 * socket every frame, a raw one every HDP
			 * datagram): nobody reads it */
			(void)hdp_tx_rx_filter(sd->tx);
			continue;
		}
		snprintf(sd->err, sizeof(sd->err), "%s: %s%s", what, err,
			 perm ? " (run as root or give hdp cap_net_raw)" : "");
		sd->exit_code = perm ? HDP_EXIT_PERM : HDP_EXIT_ENV;
	}
}

/* The sender for a frame of this family; NULL (the run stops, the error
 * reported once) when it could not be opened. */
static struct hdp_tx *
get_tx(struct replay *r, int family)
{
	struct sender *sd = &r->tx[family == AF_INET6];

	if (sd->tx == NULL && sd->err[0] != '\0') {
		tool_err("%s", sd->err);
		sd->err[0] = '\0';
		r->exit_code = sd->exit_code;
		tool_stop = 1;
	}
	return sd->tx;
}

/* ---- -I: next hops ---------------------------------------------------- */

static unsigned
nh_hash(int family, const union hdp_addr *a)
{
	const uint8_t *p = (const uint8_t *)a;
	size_t i, n = family == AF_INET ? 4 : 16;
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h % NH_SLOTS;
}

/* The entry of address a (ok -1 when new); NULL when out of memory. */
static struct nh_ent *
nh_find(struct replay *r, int family, const union hdp_addr *a)
{
	size_t n = family == AF_INET ? 4 : 16;
	unsigned i = nh_hash(family, a), k;

	if (r->nh == NULL && (r->nh = calloc(NH_SLOTS, sizeof(*r->nh))) ==
	    NULL)
		return NULL;
	for (k = 0; k < NH_SLOTS; k++, i = (i + 1) % NH_SLOTS) {
		struct nh_ent *e = &r->nh[i];

		if (e->family == 0) {
			e->family = family;
			memcpy(&e->addr, a, n);
			e->ok = -1;
			r->nh_used++;
			return e;
		}
		if (e->family == family && memcmp(&e->addr, a, n) == 0)
			return e;
	}
	return NULL;	/* cannot happen: the table is kept half empty */
}

/* A failed resolution, said in one line for the first few. */
static void
nh_say(struct replay *r, const char *err, const char *then)
{
	if (r->nh_said < 5)
		tool_err("%s: %s", err, then);
	else if (r->nh_said == 5)
		tool_err("%s: more next hops unresolved: counted in the "
			 "summary, not said", r->o.ifname);
	r->nh_said++;
}

/*
 * Destinations whose MAC needs no neighbour: multicast (RFC 1112 6.4,
 * RFC 2464 7) and the IPv4 broadcast address, 1 with mac set; loopback
 * addresses (127/8, ::1), which no neighbour answers for, -1; others 0.
 */
static int
special_mac(int family, const union hdp_addr *dst, uint8_t mac[6])
{
	const uint8_t *a = (const uint8_t *)dst;

	if (family == AF_INET) {
		if (a[0] == 127)
			return -1;
		if ((a[0] & 0xf0) == 0xe0) {
			mac[0] = 0x01;
			mac[1] = 0x00;
			mac[2] = 0x5e;
			mac[3] = a[1] & 0x7f;
			mac[4] = a[2];
			mac[5] = a[3];
			return 1;
		}
		if (dst->v4.s_addr == 0xffffffffu) {
			memset(mac, 0xff, 6);
			return 1;
		}
		return 0;
	}
	if (IN6_IS_ADDR_LOOPBACK(&dst->v6))
		return -1;
	if (a[0] == 0xff) {
		mac[0] = mac[1] = 0x33;
		memcpy(mac + 2, a + 12, 4);
		return 1;
	}
	return 0;
}

/*
 * -I: the MAC frames to dst go to: its next hop's (the route's gateway,
 * or dst on link), resolved once per next hop, a failure too (one wait,
 * one line: then says what becomes of the frames).  0, or -1.
 */
static int
dest_mac(struct replay *r, int family, const union hdp_addr *dst,
	 uint8_t mac[6], const char *then)
{
	struct nh_ent *e, *g = NULL;
	struct hdp_route rt;
	union hdp_addr nh;
	char err[320];

	if (r->is_loopback) {
		memset(mac, 0, 6);
		return 0;
	}
	switch (special_mac(family, dst, mac)) {
	case 1:
		return 0;
	case -1:
		if (!r->said_loopback) {
			char a[INET6_ADDRSTRLEN], line[300];

			addr_str(family, dst, a, sizeof(a));
			snprintf(line, sizeof(line), "%s: %s is a loopback "
				 "address: no next hop on it", r->o.ifname, a);
			r->said_loopback = 1;
			nh_say(r, line, then);
		}
		return -1;
	}
	if (r->nh_used > NH_SLOTS / 2) {	/* full: start again */
		memset(r->nh, 0, NH_SLOTS * sizeof(*r->nh));
		r->nh_used = 0;
	}
	if ((e = nh_find(r, family, dst)) == NULL)
		return -1;
	if (e->ok >= 0)
		goto have;
	/* destinations behind one gateway share its entry */
	if (hdp_route_get(family, dst, (unsigned)r->ifindex, &rt, err,
			  sizeof(err)) == 0 && rt.has_gw &&
	    rt.oif == r->ifindex && rt.type != RTN_LOCAL) {
		nh = rt.gw;
		g = nh_find(r, family, &nh);
		if (g != NULL && g->ok >= 0) {
			e->ok = g->ok;
			memcpy(e->mac, g->mac, 6);
			goto have;
		}
	}
	/* the first NH_WAITS next hops that do not answer are waited for
	 * (a second each); after that only the table is asked, so a capture
	 * to many silent destinations costs seconds, not one per destination */
	e->ok = hdp_next_hop_mac(family, dst, r->ifindex, r->o.ifname,
				 r->nh_waited < NH_WAITS ? 1000 : 0, &nh,
				 e->mac, err, sizeof(err)) == 0;
	if (!e->ok)
		r->nh_waited++;
	if (g != NULL) {
		g->ok = e->ok;
		memcpy(g->mac, e->mac, 6);
	}
	if (!e->ok)
		nh_say(r, err, then);
have:
	if (e->ok)
		memcpy(mac, e->mac, 6);
	return e->ok ? 0 : -1;
}

/* ---- -I with nothing to rewrite: frames as captured -------------------- */

/*
 * A frame captured without an Ethernet header (cooked SLL/SLL2, raw IP,
 * loopback DLT_NULL) gets one built by libnet into eth: the interface's
 * MAC as source; as destination the MAC of the next hop toward the IP
 * destination through the interface, or the broadcast address when there
 * is none (the peer's link layer still takes the frame).  The last header
 * is kept: a run of frames to one place builds it once.  0 or skip + 1.
 */
static int
wrap_eth(struct replay *r, const struct hdp_frame *f, const uint8_t *data,
	 size_t caplen, uint8_t eth[14], char *why, size_t whylen)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint16_t type = f->ethertype;
	uint8_t dmac[6];
	char err[256];

	/* IP's type comes from the version nibble, not from the link
	 * header (a DLT_NULL family or SLL protocol may say IPv4 over an
	 * IPv6 datagram): the receiver's IP layer dispatches on it */
	if ((type == 0 || type == 0x0800 || type == 0x86dd) &&
	    caplen > f->link_len) {
		unsigned v = data[f->link_len] >> 4;

		type = v == 4 ? 0x0800 : v == 6 ? 0x86dd : 0;
	}
	/* below 0x0600 the field is an 802.3 length (SLL's 0x0001, 0x0004
	 * ...): no type to put there */
	if (type < 0x0600 || f->llc) {
		snprintf(why, whylen, "not IP: no type for an Ethernet header%s"
			 "%s", f->err[0] ? ": " : "", f->err);
		return SK_NOT_IP + 1;
	}
	if (f->ip_version == 0 || !f->ip_fixed ||
	    dest_mac(r, f->ip_version == 4 ? AF_INET : AF_INET6, &f->dst,
		     dmac, "its frames go to the broadcast address") < 0) {
		memcpy(dmac, bcast, 6);
		r->st.broadcast++;
	}
	r->st.wrapped++;
	if (r->have_eth && r->eth_type == type &&
	    memcmp(r->eth + 0, dmac, 6) == 0) {
		memcpy(eth, r->eth, 14);
		return 0;
	}
	if (hdp_lout_eth(r->lo, dmac, r->ifmac, type, eth, err,
			 sizeof(err)) < 0) {
		snprintf(why, whylen, "build error: %s", err);
		return SK_BUILD + 1;
	}
	memcpy(r->eth, eth, 14);
	r->eth_type = type;
	r->have_eth = 1;
	return 0;
}

/* What the row of a frame sent as captured shows, from its decoding. */
static void
show_captured(const struct hdp_frame *f, struct pending *p)
{
	memset(&p->spec, 0, sizeof(p->spec));
	memset(&p->res, 0, sizeof(p->res));
	if (f->ip_version != 0 && f->ip_fixed) {
		p->spec.family = f->ip_version == 4 ? AF_INET : AF_INET6;
		p->spec.src = f->src;
		p->spec.dst = f->dst;
		p->spec.proto = f->proto;
		p->res.bytes = f->ip_len;
	}
	p->spec.l4 = f->has_hdp ? HDP_L4_HDP : HDP_L4_NONE;
	if (f->has_hdp) {
		p->spec.sport = f->hdp.sport;
		p->spec.dport = f->hdp.dport;
		p->res.hdp_ts_ns = f->hdp.ts_ns;
	}
}

/* Count one frame written (err 0) or refused, and show its row. */
static void
account_captured(struct replay *r, struct pending *p, int err,
		 int have_lag, uint64_t lag)
{
	if (err == 0) {
		r->st.sent++;
		r->st.bytes += p->wire;
	} else if (err == EMSGSIZE) {
		/* said as what it is: a frame the interface cannot carry
		 * (captured with GRO/TSO, or on a larger-MTU link) */
		char why[160];

		snprintf(why, sizeof(why), "%s (larger than the MTU of %s, "
			 "%u)", strerror(err), r->o.ifname, r->mtu);
		r->st.failed++;
		count_reason(r->st.fails, why);
	} else {
		r->st.failed++;
		count_reason(r->st.fails, strerror(err));
	}
	if (r->o.quiet)
		return;
	p->res.ok = err == 0;
	p->res.err = err;
	snprintf(p->res.error, sizeof(p->res.error), "%s",
		 err ? strerror(err) : "");
	print_sent(r, p->n, &p->spec, &p->res, have_lag, lag);
}

/* Write the frames queued as captured (sendmmsg) and report them. */
static void
flush_captured(struct replay *r)
{
	int errs[HDP_LOUT_BATCH];
	unsigned i;

	hdp_lout_flush(r->lo, errs);
	for (i = 0; i < r->nq; i++)
		account_captured(r, &r->q[i], errs[i], 0, 0);
	r->nq = 0;
}

/* Wait for the frame due rel ns after the schedule's start; the lag,
 * or PACE_STOPPED when a stop signal (Ctrl-C) came before it was due:
 * the frame is not sent early, it is counted as stopped. */
#define PACE_STOPPED UINT64_MAX
static uint64_t
pace(struct replay *r, uint64_t rel)
{
	uint64_t deadline, now, lag;

	if (!r->base_set) {
		r->base = hdp_mono_ns() - rel;
		r->base_set = 1;
	}
	deadline = r->base + rel;
	now = wait_until(deadline);
	if (now < deadline)		/* only tool_stop ends it early */
		return PACE_STOPPED;
	lag = now - deadline;
	if (r->st.sent + r->st.failed == 0)
		r->st.t_first_ns = now;
	r->st.lag_sum_ns += lag;
	r->st.lag_n++;
	if (lag > r->st.lag_max_ns)
		r->st.lag_max_ns = lag;
	return lag;
}

/* A frame whose wait Ctrl-C ended: read, not sent, said as such. */
static void
skip_stopped(struct replay *r, uint64_t n)
{
	r->st.skipped++;
	r->st.skip_by[SK_STOPPED]++;
	print_skip(r, n, "stopped before due: interrupted while waiting");
}

/*
 * -I with nothing to rewrite: the frame as captured (caplen bytes: a
 * frame cut by the snap length goes short, as tcpreplay sends it).  With
 * --topspeed it is queued (HDP_LOUT_BATCH a system call), else written
 * when due (rel, as for send_one()).
 */
static void
send_captured(struct replay *r, uint64_t n, int dlt,
	      const struct pcap_pkthdr *h, const uint8_t *data, int have_dl,
	      uint64_t rel)
{
	struct pending *p = &r->q[r->nq];
	struct hdp_frame f;
	uint8_t eth[14];
	size_t off = 0, hlen = 0;
	char why[300];
	int sk, err = 0;
	uint64_t lag;

	if (dlt != DLT_EN10MB || !r->o.quiet)
		hdp_decode_frame(dlt, data, h->caplen, h->len, &f);
	if (dlt != DLT_EN10MB) {
		if (f.link_len > h->caplen) {
			snprintf(why, sizeof(why), "truncated: link header "
				 "of %zu bytes, %u captured", f.link_len,
				 h->caplen);
			sk = SK_TRUNCATED + 1;
		} else {
			sk = wrap_eth(r, &f, data, h->caplen, eth, why,
				      sizeof(why));
		}
		if (sk != 0) {
			r->st.skipped++;
			r->st.skip_by[sk - 1]++;
			print_skip(r, n, why);
			return;
		}
		off = f.link_len;
		hlen = sizeof(eth);
	} else if (h->caplen < 14) {
		/* the kernel refuses a frame shorter than its link header
		 * (EINVAL): it is the capture's fault, not the wire's */
		snprintf(why, sizeof(why), "truncated: %u bytes, shorter "
			 "than an Ethernet header", h->caplen);
		r->st.skipped++;
		r->st.skip_by[SK_TRUNCATED]++;
		print_skip(r, n, why);
		return;
	}
	if (!r->o.quiet)
		show_captured(&f, p);
	p->n = n;
	p->wire = hlen + h->caplen - off;
	if (h->caplen < h->len)
		r->st.short_sent++;
	if (!have_dl) {
		if (r->st.sent + r->st.failed + r->nq == 0)
			r->st.t_first_ns = hdp_mono_ns();
		if (!r->o.quiet)
			p->res.time_ns = hdp_now_ns();
		if (hdp_lout_queue(r->lo, eth, hlen, data + off,
				   h->caplen - off) < 0) {
			account_captured(r, p, errno, 0, 0);
			return;
		}
		if (++r->nq == HDP_LOUT_BATCH)
			flush_captured(r);
		return;
	}
	lag = pace(r, rel);
	if (lag == PACE_STOPPED) {
		skip_stopped(r, n);
		return;
	}
	if (!r->o.quiet)
		p->res.time_ns = hdp_now_ns();
	if (hdp_lout_write(r->lo, eth, hlen, data + off, h->caplen - off) < 0)
		err = errno;
	account_captured(r, p, err, 1, lag);
}

/* Write the frames queued on r->qtx (one sendmmsg) and report them. */
static void
flush_queue(struct replay *r)
{
	int errs[HDP_TX_BURST];
	unsigned i;

	if (r->lo != NULL && r->nq > 0) {
		flush_captured(r);
		return;
	}
	if (r->qtx == NULL || r->nq == 0)
		return;
	hdp_tx_flush(r->qtx, errs);
	for (i = 0; i < r->nq; i++) {
		struct pending *p = &r->q[i];

		if (errs[i] == 0) {
			r->st.sent++;
			r->st.bytes += p->res.bytes;
		} else {
			p->res.ok = 0;
			p->res.err = errs[i];
			snprintf(p->res.error, sizeof(p->res.error), "%s",
				 strerror(errs[i]));
			r->st.failed++;
			count_reason(r->st.fails, p->res.error);
		}
		print_sent(r, p->n, &p->spec, &p->res, 0, 0);
	}
	r->nq = 0;
}

/*
 * --topspeed: queue the frame just built and write HDP_TX_BURST frames
 * with one system call.  Frames stay in capture order: a change of
 * sender (IPv4 to IPv6) writes the other sender's queue first.
 */
static void
queue_one(struct replay *r, struct hdp_tx *tx, uint64_t n,
	  const struct hdp_pkt_spec *spec)
{
	struct pending *p;

	if (r->qtx != tx)
		flush_queue(r);
	r->qtx = tx;
	if (r->st.sent + r->st.failed + r->nq == 0)
		r->st.t_first_ns = hdp_mono_ns();
	p = &r->q[r->nq];
	p->n = n;
	p->spec = *spec;
	p->spec.payload = NULL;
	p->spec.ip_opts = NULL;
	if (hdp_tx_queue(tx, &p->res) < 0) {
		r->st.failed++;
		count_reason(r->st.fails, p->res.error);
		print_sent(r, n, &p->spec, &p->res, 0, 0);
		return;
	}
	if (++r->nq == HDP_TX_BURST)
		flush_queue(r);
}

/*
 * Build and write one frame.  rel is when it is due, in ns after the
 * first frame: the schedule starts when the first frame is built, so
 * opening the socket (and, with -I, resolving the next hop's MAC) does
 * not make the first frames late.
 */
static void
send_one(struct replay *r, uint64_t n, const struct hdp_pkt_spec *spec,
	 int have_dl, uint64_t rel)
{
	struct hdp_tx_result res;
	struct hdp_tx *tx;
	uint8_t mac[6];
	char err[256];
	uint64_t lag;
	int tries;

	tx = get_tx(r, spec->family);
	if (tx == NULL)
		return;
	if (r->o.ifname != NULL) {
		if (dest_mac(r, spec->family, &spec->dst, mac, "its frames "
			     "are skipped") < 0) {
			r->st.skipped++;
			r->st.skip_by[SK_NEXT_HOP]++;
			print_skip(r, n, "no next hop: not resolved on the "
				   "interface (said once)");
			return;
		}
		hdp_tx_set_mac(tx, &spec->dst, mac);
	}
	if (hdp_tx_build(tx, spec, err, sizeof(err)) != 0) {
		r->st.skipped++;
		r->st.skip_by[SK_BUILD]++;
		{
			char why[300];

			snprintf(why, sizeof(why), "build error: %s", err);
			print_skip(r, n, why);
		}
		return;
	}
	if (!have_dl) {
		queue_one(r, tx, n, spec);
		return;
	}
	lag = pace(r, rel);
	if (lag == PACE_STOPPED) {
		skip_stopped(r, n);
		return;
	}
	memset(&res, 0, sizeof(res));
	for (tries = 0; ; tries++) {
		if (hdp_tx_write(tx, &res) == 0)
			break;
		if (res.err != ENOBUFS || tries >= ENOBUFS_TRIES)
			break;
		r->st.enobufs_retries++;
		sched_yield();
	}
	if (res.ok) {
		r->st.sent++;
		r->st.bytes += res.bytes;
	} else {
		r->st.failed++;
		count_reason(r->st.fails, res.error[0] ? res.error :
			     strerror(res.err));
	}
	print_sent(r, n, spec, &res, 1, lag);
}

/*
 * Open the capture for a pass, its filter set and its link type checked;
 * NULL after saying why.  The file is read through r->fd, opened before
 * privileges were dropped: a later pass (--loop) rewinds it rather than
 * opening the path again as a user who may not be allowed to.
 */
static pcap_t *
open_pass(struct replay *r, int rewind)
{
	char err[PCAP_ERRBUF_SIZE + 256];
	pcap_t *p;
	int dlt;

	if (r->fd < 0) {
		p = hdp_cap_open_file("-", 1, err, sizeof(err));
	} else if (rewind && lseek(r->fd, 0, SEEK_SET) != 0) {
		snprintf(err, sizeof(err), "%s: cannot rewind: %s", r->o.file,
			 strerror(errno));
		p = NULL;
	} else {
		p = hdp_cap_open_fd(r->fd, r->o.file, 1, err, sizeof(err));
	}
	if (p == NULL) {
		tool_err("%s", err);
		return NULL;
	}
	if (hdp_cap_set_filter(p, r->o.filter, err, sizeof(err)) != 0) {
		tool_err("%s: %s", r->o.file, err);
		pcap_close(p);
		return NULL;
	}
	dlt = pcap_datalink(p);
	if (!hdp_dlt_supported(dlt)) {
		tool_err("%s: link type %s (%d) is not supported", r->o.file,
			 pcap_datalink_val_to_name(dlt) ?
			 pcap_datalink_val_to_name(dlt) : "?", dlt);
		pcap_close(p);
		return NULL;
	}
	return p;
}

/* The schedule's horizon: 2^62 ns (146 years).  A tiny --pps or
 * --speed, or a capture whose timestamps jump by decades, gives an
 * offset past what a uint64_t holds (converting such a double is
 * undefined behaviour, inf included): it saturates here, the frame is
 * due "never" (until Ctrl-C), and deadlines never wrap around. */
#define SCHED_MAX_NS (1ull << 62)

/* base + ns, saturated at SCHED_MAX_NS. */
static uint64_t
sched_add(uint64_t base, double ns)
{
	uint64_t d;

	if (!(ns < (double)SCHED_MAX_NS))	/* NaN and inf included */
		return SCHED_MAX_NS;
	d = ns > 0 ? (uint64_t)ns : 0;
	return base >= SCHED_MAX_NS - d ? SCHED_MAX_NS : base + d;
}

/*
 * One pass over the capture p, which is closed on return.  *base is when
 * the first packet of this pass is due (ns after the schedule's start); on
 * return it is when the next pass's first packet is due.
 */
static int
replay_pass(struct replay *r, pcap_t *p, uint64_t *base, uint64_t *seq)
{
	char why[160];
	struct pcap_pkthdr *h;
	const u_char *data;
	struct hdp_frame f;
	struct hdp_pkt_spec spec;
	uint64_t t0 = 0, tprev = 0, dl = *base, nread = 0, nslot = 0;
	uint64_t skipped;
	double scale;
	int dlt = pcap_datalink(p), rc, sk;

	scale = r->o.speed > 0 ? 1.0 / r->o.speed : 1.0;

	while (!tool_stop && (rc = pcap_next_ex(p, &h, &data)) == 1) {
		uint64_t ts = hdp_cap_time_ns(h, 1);	/* nano precision */

		if (r->o.count && nread >= r->o.count)
			break;
		nread++;
		r->st.read++;
		(*seq)++;
		if (!r->o.topspeed) {
			/* --pps spaces the frames sent: a skipped one
			 * (not IP, truncated ...) takes no slot */
			if (r->o.pps > 0) {
				dl = sched_add(*base, (double)nslot * 1e9 /
					       r->o.pps);
			} else {
				if (nread == 1)
					t0 = tprev = ts;
				if (ts < tprev)
					ts = tprev;   /* never go back */
				tprev = ts;
				dl = sched_add(*base, (double)(ts - t0) *
					       scale);
			}
		}
		progress(r, 0);
		skipped = r->st.skipped;
		if (r->o.as_captured) {
			send_captured(r, *seq, dlt, h, data, !r->o.topspeed,
				      dl);
			nslot += r->st.skipped == skipped;
			continue;
		}
		hdp_decode_frame(dlt, data, h->caplen, h->len, &f);
		sk = rewrite(&r->o, &f, data, &spec, r->scratch, why,
			     sizeof(why));
		if (sk) {
			r->st.skipped++;
			r->st.skip_by[sk - 1]++;
			print_skip(r, *seq, why);
			continue;
		}
		send_one(r, *seq, &spec, !r->o.topspeed, dl);
		nslot += r->st.skipped == skipped;
		if (r->exit_code == HDP_EXIT_PERM ||
		    r->exit_code == HDP_EXIT_ENV)
			break;
	}
	if (!tool_stop && rc == PCAP_ERROR) {
		tool_err("%s: %s", r->o.file, pcap_geterr(p));
		pcap_close(p);
		return HDP_EXIT_USAGE;
	}
	pcap_close(p);
	/* the next pass starts one mean gap after this one's last packet */
	if (r->o.pps > 0)
		*base = sched_add(*base, (double)nslot * 1e9 / r->o.pps);
	else if (nread > 1)
		*base = dl + (dl - *base) / (nread - 1);
	else
		*base = dl;
	return 0;
}

/* ---- options ------------------------------------------------------------ */

enum {
	OPT_SPEED = 256, OPT_PPS, OPT_TOPSPEED, OPT_LOOP, OPT_DST, OPT_SRC,
	OPT_PROTO, OPT_TTL, OPT_SPORT, OPT_DPORT, OPT_REFRESH, OPT_JSON
};

static const struct option longopts[] = {
	{ "speed",             required_argument, NULL, OPT_SPEED },
	{ "pps",               required_argument, NULL, OPT_PPS },
	{ "topspeed",          no_argument,       NULL, OPT_TOPSPEED },
	{ "loop",              required_argument, NULL, OPT_LOOP },
	{ "dst",               required_argument, NULL, OPT_DST },
	{ "src",               required_argument, NULL, OPT_SRC },
	{ "proto",             required_argument, NULL, OPT_PROTO },
	{ "ttl",               required_argument, NULL, OPT_TTL },
	{ "sport",             required_argument, NULL, OPT_SPORT },
	{ "dport",             required_argument, NULL, OPT_DPORT },
	{ "refresh-timestamp", no_argument,       NULL, OPT_REFRESH },
	{ "json",              no_argument,       NULL, OPT_JSON },
	{ "quiet",             no_argument,       NULL, 'q' },
	{ "user",              required_argument, NULL, 'Z' },
	{ "help",              no_argument,       NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* --dst ADDR or --src ADDR: one of each family. */
static int
parse_addr_opt(struct replay_opts *o, int c, const char *arg)
{
	union hdp_addr a;
	int fam, fi, *set;

	if (parse_addr(arg, &fam, &a))
		return -1;
	fi = fam == AF_INET6;
	set = c == OPT_DST ? o->set_dst : o->set_src;
	if (set[fi]) {
		tool_usage_err("%s: one IPv%d address only",
			       c == OPT_DST ? "--dst" : "--src", fi ? 6 : 4);
		return -1;
	}
	set[fi] = 1;
	(c == OPT_DST ? o->dst : o->src)[fi] = a;
	return 0;
}

/* The fields rewritten: 0 taken, -1 bad (said), 1 not one of them. */
static int
parse_rewrite_opt(struct replay_opts *o, int c, const char *arg)
{
	uint64_t v;

	switch (c) {
	case OPT_DST:
	case OPT_SRC:
		return parse_addr_opt(o, c, arg);
	case OPT_PROTO:
	case OPT_TTL:
		if (tool_parse_uint(arg, 0, 255, &v, c == OPT_TTL ? "--ttl" :
				    "--proto"))
			return -1;
		if (c == OPT_TTL) {
			o->ttl = (uint8_t)v;
			o->set_ttl = 1;
		} else {
			o->proto = (uint8_t)v;
			o->set_proto = 1;
		}
		break;
	case OPT_SPORT:
	case OPT_DPORT:
		if (tool_parse_uint(arg, 0, 65535, &v, c == OPT_SPORT ?
				    "--sport" : "--dport"))
			return -1;
		if (c == OPT_SPORT) {
			o->sport = (uint16_t)v;
			o->set_sport = 1;
		} else {
			o->dport = (uint16_t)v;
			o->set_dport = 1;
		}
		break;
	case OPT_REFRESH:
		o->refresh_ts = 1;
		break;
	default:
		return 1;
	}
	return 0;
}

/* Timing, what to read, output: 0 taken, -1 bad (said), 1 not one of
 * them.  *ntiming counts the timing options given. */
static int
parse_run_opt(struct replay_opts *o, int c, const char *arg,
	      int *ntiming)
{
	switch (c) {
	case 'r': o->file = arg; break;
	case 'I': o->ifname = arg; break;
	case 'q': o->quiet = 1; break;
	case 'Z': o->user = arg; break;
	case OPT_JSON: o->json = 1; break;
	case 'c':
		return tool_parse_uint(arg, 1, UINT64_MAX, &o->count, "-c");
	case OPT_LOOP:
		return tool_parse_uint(arg, 1, UINT64_MAX, &o->loops,
				       "--loop");
	case OPT_SPEED:
		(*ntiming)++;
		return tool_parse_double(arg, 0, 1, &o->speed, "--speed");
	case OPT_PPS:
		(*ntiming)++;
		return tool_parse_double(arg, 0, 1, &o->pps, "--pps");
	case OPT_TOPSPEED:
		(*ntiming)++;
		o->topspeed = 1;
		break;
	default:
		return 1;
	}
	return 0;
}

/* 0: options ready; 1: help printed; -1: bad arguments (said why). */
static int
parse_opts(int argc, char **argv, struct replay_opts *o)
{
	int c, r, ntiming = 0;

	memset(o, 0, sizeof(*o));
	o->loops = 1;
	optind = 0;	/* glibc: a fresh scan from argv[1] */
	while ((c = tool_getopt(argc, argv, "r:I:c:qZ:h", longopts)) != -1) {
		if (c == '?')
			return -1;	/* said */
		if (c == 'h') {
			usage_replay(stdout);
			return 1;
		}
		r = parse_run_opt(o, c, optarg, &ntiming);
		if (r == 1)
			r = parse_rewrite_opt(o, c, optarg);
		if (r != 0)
			return -1;
	}
	o->as_captured = o->ifname != NULL && !o->set_dst[0] &&
			 !o->set_dst[1] && !o->set_src[0] && !o->set_src[1] &&
			 !o->set_proto && !o->set_ttl && !o->set_sport &&
			 !o->set_dport && !o->refresh_ts;
	if (ntiming > 1) {
		tool_usage_err("--speed, --pps and --topspeed exclude each "
			       "other");
		return -1;
	}
	if (o->file == NULL) {
		if (optind >= argc) {
			tool_usage_err("no capture file given");
			return -1;
		}
		o->file = argv[optind++];
	}
	if (o->loops > 1 && strcmp(o->file, "-") == 0) {
		tool_usage_err("--loop: standard input can be read only once");
		return -1;
	}
	if (optind < argc) {
		o->filter = hdp_filter_join(argc - optind, argv + optind);
		if (o->filter == NULL) {
			tool_err("out of memory");
			return -1;
		}
	}
	return 0;
}

/*
 * -I: the interface (index, loopback or not), and with nothing to rewrite
 * its link-layer writer.  0, or the exit status in r->exit_code (said).
 */
static int
open_iface(struct replay *r)
{
	char err[384];
	struct ifreq ifr;
	int perm, fd;

	r->ifindex = (int)if_nametoindex(r->o.ifname);
	if (r->ifindex == 0) {
		tool_err("%s: no such interface", r->o.ifname);
		return r->exit_code = HDP_EXIT_ENV;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", r->o.ifname);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 &&
	    (ifr.ifr_flags & IFF_LOOPBACK))
		r->is_loopback = 1;
	if (fd >= 0)
		close(fd);
	if (!r->o.as_captured)
		return 0;
	/* no PACKET_QDISC_BYPASS: it gains nothing measurable on a veth
	 * (bench/README.md) and on a real NIC it turns a full transmit
	 * queue into dropped frames instead of waiting */
	r->lo = hdp_lout_open(r->o.ifname, 0, &perm, err, sizeof(err));
	if (r->lo == NULL) {
		tool_err("%s: %s%s", r->o.ifname, err, perm ? " (run as root "
			 "or give hdp cap_net_raw)" : "");
		return r->exit_code = perm ? HDP_EXIT_PERM : HDP_EXIT_ENV;
	}
	hdp_lout_info(r->lo, r->ifmac, &r->mtu);
	return 0;
}

/*
 * Everything that needs privileges or the starting user's access is
 * opened before the drop: the capture file (kept open to be rewound for
 * --loop) and a sender for each family.  The capture is hostile input:
 * parsed (*p, the first pass) only once privileges are gone.  0, or the
 * exit status (said why).
 */
static int
open_replay(struct replay *r, pcap_t **p)
{
	char err[256];

	if (strcmp(r->o.file, "-") != 0) {
		r->fd = open(r->o.file, O_RDONLY | O_CLOEXEC);
		if (r->fd < 0) {	/* missing, or not ours to read */
			tool_errno("%s", r->o.file);
			return HDP_EXIT_ENV;
		}
		if (r->o.loops > 1 && lseek(r->fd, 0, SEEK_CUR) < 0) {
			tool_err("--loop: %s cannot be rewound, so it can be "
				 "read only once", r->o.file);
			return HDP_EXIT_USAGE;
		}
	}
	if (r->o.ifname != NULL && open_iface(r) != 0)
		return r->exit_code;
	if (!r->o.as_captured)
		open_senders(r);
	if (hdp_drop_privileges(r->o.user, err, sizeof(err)) != 0) {
		tool_err("%s", err);
		return HDP_EXIT_PERM;
	}
	*p = open_pass(r, 0);
	return *p == NULL ? HDP_EXIT_USAGE : 0;
}

/* Every pass (--loop) over the capture, the first one p; the queue of
 * --topspeed written at the end.  0, or the exit status. */
static int
run_replay(struct replay *r, pcap_t *p)
{
	uint64_t base = 0, seq = 0, loop;
	int rc = 0;

	tool_catch_stop(NULL);
	/* timer slack to the minimum: sleeps end when asked, not 50 us later */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	if (!r->o.json && !r->o.quiet)
		setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	r->progress = (r->o.quiet || r->o.json) && isatty(STDERR_FILENO);

	for (loop = 0; loop < r->o.loops && !tool_stop && rc == 0; loop++) {
		if (loop > 0 && (p = open_pass(r, 1)) == NULL) {
			rc = HDP_EXIT_USAGE;
			break;
		}
		rc = replay_pass(r, p, &base, &seq);
	}
	if (loop == 0)		/* stopped before the first pass took p */
		pcap_close(p);
	flush_queue(r);
	if (r->st.sent + r->st.failed > 0)
		r->st.t_last_ns = hdp_mono_ns();
	if (r->lo != NULL)	/* as captured: the batches' retries too */
		r->st.enobufs_retries += hdp_lout_retries(r->lo);
	return rc;
}

int
cmd_replay(int argc, char **argv)
{
	struct replay *r;
	pcap_t *p = NULL;
	int rc, fi;

	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		tool_err("out of memory");
		return HDP_EXIT_ENV;
	}
	r->fd = -1;
	rc = parse_opts(argc, argv, &r->o);
	if (rc != 0 || tool_parse_only) {
		rc = rc < 0 ? HDP_EXIT_USAGE : HDP_EXIT_OK;
		goto out;
	}
	rc = open_replay(r, &p);
	if (rc != 0)
		goto out;
	rc = run_replay(r, p);
	if (r->progress_ns)
		progress(r, 1);
	/* a summary of what was done, never an empty one after a failure
	 * to start */
	if (rc == 0 || r->st.read > 0)
		report_replay(r);
	fflush(stdout);
	if (rc == 0)
		rc = r->exit_code ? r->exit_code :
		     r->st.failed ? HDP_EXIT_FAIL : HDP_EXIT_OK;
out:
	for (fi = 0; fi < 2; fi++)
		if (r->tx[fi].tx != NULL)
			hdp_tx_close(r->tx[fi].tx);
	hdp_lout_close(r->lo);
	free(r->nh);
	if (r->fd >= 0)
		close(r->fd);
	free(r->o.filter);
	free(r);
	return rc;
}
