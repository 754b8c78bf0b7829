/*
 * hdp_capture.c: libpcap capture and reading (see hdp_capture.h).
 *
 * Follows libpcap's testprogs/capturetest.c: pcap_create, every
 * pcap_set_* checked, pcap_activate with warnings reported and errors
 * returned.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hdp_capture.h"

#define DEFAULT_SNAPLEN 262144

static pcap_t *
set_fail(pcap_t *p, const char *what, int rc, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s", what,
		 rc == PCAP_ERROR ? pcap_geterr(p) : pcap_statustostr(rc));
	pcap_close(p);
	return NULL;
}

pcap_t *
hdp_cap_open_live(const struct hdp_cap_opts *o, char *err, size_t errlen)
{
	char eb[PCAP_ERRBUF_SIZE];
	const char *dev = o->ifname ? o->ifname : "any";
	const char *detail;
	pcap_t *p;
	int rc;

	if (errlen > 0)
		err[0] = '\0';
	p = pcap_create(dev, eb);
	if (p == NULL) {
		snprintf(err, errlen, "%s: %s", dev, eb);
		return NULL;
	}
	if ((rc = pcap_set_snaplen(p, o->snaplen > 0 ? o->snaplen :
				   DEFAULT_SNAPLEN)) != 0)
		return set_fail(p, "pcap_set_snaplen", rc, err, errlen);
	if ((rc = pcap_set_promisc(p, o->promisc)) != 0)
		return set_fail(p, "pcap_set_promisc", rc, err, errlen);
	if (o->immediate && (rc = pcap_set_immediate_mode(p, 1)) != 0)
		return set_fail(p, "pcap_set_immediate_mode", rc, err, errlen);
	if (!o->immediate &&
	    (rc = pcap_set_timeout(p, o->timeout_ms > 0 ? o->timeout_ms :
				   100)) != 0)
		return set_fail(p, "pcap_set_timeout", rc, err, errlen);
	if (o->buffer_kb > 0 &&
	    (rc = pcap_set_buffer_size(p, o->buffer_kb * 1024)) != 0)
		return set_fail(p, "pcap_set_buffer_size", rc, err, errlen);
	if (o->nano && (rc = pcap_set_tstamp_precision(p,
				PCAP_TSTAMP_PRECISION_NANO)) != 0)
		return set_fail(p, "pcap_set_tstamp_precision", rc, err,
				errlen);
	rc = pcap_activate(p);
	/* pcap_geterr has the detail for PCAP_ERROR* codes, when it says
	 * more than the status itself ("No such device exists" twice) */
	detail = pcap_geterr(p);
	if (*detail == '\0' || strcmp(detail, pcap_statustostr(rc)) == 0)
		detail = NULL;
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s%s%s", dev, pcap_statustostr(rc),
			 detail ? ": " : "", detail ? detail : "");
		pcap_close(p);
		return NULL;
	}
	/* a warning (rc > 0) is the caller's to show: the library prints
	 * nothing of its own */
	if (rc > 0)
		snprintf(err, errlen, "%s: %s%s%s", dev, pcap_statustostr(rc),
			 detail ? ": " : "", detail ? detail : "");
#ifdef DLT_LINUX_SLL2
	/* the any device: cooked v2 headers name each packet's interface,
	 * as tcpdump shows them; v1 (libpcap's default) does not */
	if (strcmp(dev, "any") == 0 && pcap_datalink(p) == DLT_LINUX_SLL)
		(void)pcap_set_datalink(p, DLT_LINUX_SLL2);
#endif
	return p;
}

/* libpcap's message eb about the file path, naming it once. */
static void
file_err(const char *path, const char *eb, char *err, size_t errlen)
{
	/* libpcap's text already names the file for open errors */
	if (strstr(eb, path) != NULL)
		snprintf(err, errlen, "%s", eb);
	else
		snprintf(err, errlen, "%s: %s", path, eb);
}

pcap_t *
hdp_cap_open_file(const char *path, int nano, char *err, size_t errlen)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p;
	u_int prec = nano ? PCAP_TSTAMP_PRECISION_NANO :
			    PCAP_TSTAMP_PRECISION_MICRO;

	if (strcmp(path, "-") == 0)
		p = pcap_fopen_offline_with_tstamp_precision(stdin, prec, eb);
	else
		p = pcap_open_offline_with_tstamp_precision(path, prec, eb);
	if (p == NULL)
		file_err(path, eb, err, errlen);
	return p;
}

pcap_t *
hdp_cap_open_fd(int fd, const char *name, int nano, char *err,
		size_t errlen)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p;
	FILE *f;
	u_int prec = nano ? PCAP_TSTAMP_PRECISION_NANO :
			    PCAP_TSTAMP_PRECISION_MICRO;
	int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);

	if (dfd < 0 || (f = fdopen(dfd, "rb")) == NULL) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		if (dfd >= 0)
			close(dfd);
		return NULL;
	}
	/* pcap_close() closes f, and with it the duplicate */
	p = pcap_fopen_offline_with_tstamp_precision(f, prec, eb);
	if (p == NULL) {
		file_err(name, eb, err, errlen);
		fclose(f);
	}
	return p;
}

/* ---- capture files: precision, peeked header ------------------------- */

#define PEEK_MAX 4096

static uint32_t
rd32(const uint8_t *p, int swap)
{
	return swap ? (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
		      (uint32_t)p[1] << 8 | p[0]
		    : (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		      (uint32_t)p[2] << 8 | p[3];
}

static uint16_t
rd16(const uint8_t *p, int swap)
{
	return swap ? (uint16_t)(p[1] << 8 | p[0]) : (uint16_t)(p[0] << 8 | p[1]);
}

int
hdp_pcap_file_digits(const uint8_t *hdr, size_t n)
{
	uint32_t magic, shb_len, blen;
	size_t off, end;
	int swap;

	if (n < 4)
		return 0;
	magic = rd32(hdr, 0);
	if (magic == 0xa1b23c4d || magic == 0x4d3cb2a1)
		return 9;
	if (magic != 0x0a0d0d0a)
		return 6;
	if (n < 12)
		return 0;
	/* pcapng: section header, then the first interface description */
	swap = rd32(hdr + 8, 0) != 0x1a2b3c4d;
	shb_len = rd32(hdr + 4, swap);
	if (shb_len < 28 || shb_len > PEEK_MAX - 16)
		return 6;
	if (n < (size_t)shb_len + 8)
		return 0;
	off = shb_len;
	if (rd32(hdr + off, swap) != 1)
		return 6;
	blen = rd32(hdr + off + 4, swap);
	if (blen < 20 || blen > PEEK_MAX - off)
		return 6;
	if (n < off + blen)
		return 0;
	end = off + blen - 4;
	off += 16;		/* type, length, linktype, reserved, snaplen */
	while (off + 4 <= end) {
		uint16_t code = rd16(hdr + off, swap);
		uint16_t len = rd16(hdr + off + 2, swap);

		if (code == 0)
			break;
		if (code == 9 && len >= 1 && off + 5 <= end) {
			uint8_t r = hdr[off + 4];

			if (r & 0x80)	/* a power of two */
				return (r & 0x7f) > 20 ? 9 : 6;
			return r > 6 ? 9 : 6;
		}
		off += 4 + (((size_t)len + 3) & ~(size_t)3);
	}
	return 6;
}

/*
 * A stdio stream that first gives back the bytes peeked from a file's
 * head, then reads the descriptor directly (fopencookie: glibc).
 */
struct peek {
	int     fd;
	FILE   *under;        /* closed with the stream, unless stdin */
	size_t  n, pos;
	uint8_t head[PEEK_MAX];
};

static ssize_t
peek_read(void *c, char *buf, size_t size)
{
	struct peek *k = c;
	ssize_t r;

	if (k->pos < k->n) {
		size_t m = k->n - k->pos < size ? k->n - k->pos : size;

		memcpy(buf, k->head + k->pos, m);
		k->pos += m;
		return (ssize_t)m;
	}
	do
		r = read(k->fd, buf, size);
	while (r < 0 && errno == EINTR);
	return r;
}

static int
peek_close(void *c)
{
	struct peek *k = c;

	if (k->under != NULL && k->under != stdin)
		fclose(k->under);
	free(k);
	return 0;
}

/* The capture on the stream under (closed with the pcap_t, unless
 * stdin), its precision peeked first. */
static pcap_t *
open_stream_prec(FILE *under, const char *path, int *digits, char *err,
		 size_t errlen)
{
	cookie_io_functions_t io = { peek_read, NULL, NULL, peek_close };
	char eb[PCAP_ERRBUF_SIZE];
	struct peek *k;
	FILE *f;
	pcap_t *p;
	int d = 0;

	*digits = 6;
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		if (under != stdin)
			fclose(under);
		return NULL;
	}
	k->under = under;
	k->fd = fileno(k->under);
	/* read only as far as needed to tell: a pipe may be slow */
	while ((d = hdp_pcap_file_digits(k->head, k->n)) == 0 &&
	       k->n < PEEK_MAX) {
		ssize_t r = read(k->fd, k->head + k->n, PEEK_MAX - k->n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		k->n += (size_t)r;
	}
	*digits = d ? d : 6;
	f = fopencookie(k, "rb", io);
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		peek_close(k);
		return NULL;
	}
	/* the pcap_t is one thread's: no stdio lock per fread (libpcap
	 * reads each record with two; the locks cost 15% of a read) */
	__fsetlocking(f, FSETLOCKING_BYCALLER);
	setvbuf(f, NULL, _IOFBF, 256 * 1024);
	p = pcap_fopen_offline_with_tstamp_precision(f,
			PCAP_TSTAMP_PRECISION_NANO, eb);
	if (p == NULL) {
		snprintf(err, errlen, "%s: %s", path, eb);
		fclose(f);
	}
	return p;
}

pcap_t *
hdp_cap_open_file_prec(const char *path, int *digits, char *err,
		       size_t errlen)
{
	FILE *under;

	*digits = 6;
	if (strcmp(path, "-") == 0) {
		under = stdin;
	} else {
		under = fopen(path, "rb");
		if (under == NULL) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return NULL;
		}
	}
	return open_stream_prec(under, path, digits, err, errlen);
}

pcap_t *
hdp_cap_open_fd_prec(int fd, const char *name, int *digits, char *err,
		     size_t errlen)
{
	FILE *under;

	*digits = 6;
	if (fd == STDIN_FILENO)
		return open_stream_prec(stdin, name, digits, err, errlen);
	under = fdopen(fd, "rb");
	if (under == NULL) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		close(fd);
		return NULL;
	}
	return open_stream_prec(under, name, digits, err, errlen);
}

int
hdp_cap_set_filter(pcap_t *p, const char *expr, char *err, size_t errlen)
{
	struct bpf_program prog;

	if (expr == NULL)
		return 0;
	if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		snprintf(err, errlen, "bad filter '%s': %s", expr,
			 pcap_geterr(p));
		return -1;
	}
	if (pcap_setfilter(p, &prog) != 0) {
		snprintf(err, errlen, "cannot set filter '%s': %s", expr,
			 pcap_geterr(p));
		pcap_freecode(&prog);
		return -1;
	}
	pcap_freecode(&prog);
	return 0;
}

char *
hdp_filter_and(const char *base, const char *user)
{
	size_t n;
	char *s;

	if (base == NULL || user == NULL)
		return (base || user) ? strdup(base ? base : user) : NULL;
	n = strlen(base) + strlen(user) + 12;
	s = malloc(n);
	if (s != NULL)
		snprintf(s, n, "(%s) and (%s)", base, user);
	return s;
}

/* ---- the IPv6 extension header walk, unrolled ---------------------------- */

/* snprintf's result n fitted a buffer of cap bytes. */
static int
fits(int n, size_t cap)
{
	return n >= 0 && (size_t)n < cap;
}

/*
 * The kinds of IPv6 extension header protochain walks (EXT6_KINDS of
 * them): in is, "the next header expression nh names one"; in len, the
 * length of such a header found at offset off of the IPv6 packet.
 * 0, or -1 when either did not fit.
 */
#define EXT6_KINDS 3
static int
ext6_kind(int k, const char *nh, const char *off, char *is, size_t nis,
	  char *len, size_t nlen)
{
	int a, b;

	switch (k) {
	case 0:		/* hop-by-hop, routing, destination options */
		a = snprintf(is, nis, "(%s == 0 or %s == 43 or %s == 60)", nh,
			     nh, nh);
		b = snprintf(len, nlen, "(ip6[%s + 1] + 1) * 8", off);
		break;
	case 1:		/* fragment */
		a = snprintf(is, nis, "%s == 44", nh);
		b = snprintf(len, nlen, "8");
		break;
	default:	/* AH */
		a = snprintf(is, nis, "%s == 51", nh);
		b = snprintf(len, nlen, "(ip6[%s + 1] + 2) * 4", off);
		break;
	}
	return fits(a, nis) && fits(b, nlen) ? 0 : -1;
}

struct walk6 {
	char *buf;
	size_t len, cap;
	int overflow;
};

static void __attribute__((format(printf, 2, 3)))
walk6_put(struct walk6 *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(w->buf + w->len, w->cap - w->len, fmt, ap);
	va_end(ap);
	if (fits(n, w->cap - w->len))
		w->len += (size_t)n;
	else
		w->overflow = 1;
}

/*
 * One term per path of extension headers: "conds and the next header at
 * off is 255", then the paths one header longer.  conds says which
 * headers came before; nh is where the current next header field is.
 */
static void
walk6_terms(struct walk6 *w, int depth, const char *conds, const char *nh,
	    const char *off)
{
	char c[1024], n[256], o[512], is[256], len[256];
	int k;

	for (k = 0; k < EXT6_KINDS && !w->overflow; k++) {
		if (ext6_kind(k, nh, off, is, sizeof(is), len,
			      sizeof(len)) != 0 ||
		    !fits(snprintf(c, sizeof(c), "%s%s%s", conds,
				   *conds ? " and " : "", is), sizeof(c)) ||
		    !fits(snprintf(n, sizeof(n), "ip6[%s]", off), sizeof(n)) ||
		    !fits(snprintf(o, sizeof(o), "%s + %s", off, len),
			  sizeof(o))) {
			w->overflow = 1;
			return;
		}
		walk6_put(w, " or (%s and ip6[%s] == 255)", c, off);
		if (depth > 1)
			walk6_terms(w, depth - 1, c, n, o);
	}
}

/*
 * head, then "(NH == 255" and the walk from next header field nh and
 * offset off, then "))", into buf (built once); fallback when it did not
 * fit (tests/test_frame.c sees it fits).
 */
static const char *
walk6_filter(char *buf, size_t cap, const char *head, const char *nh,
	     const char *off, const char *fallback)
{
	struct walk6 w = { buf, 0, cap, 0 };

	if (buf[0] != '\0')
		return buf;
	walk6_put(&w, "%s(%s == 255", head, nh);
	walk6_terms(&w, HDP_FILTER_EXT_MAX, "", nh, off);
	walk6_put(&w, "))");
	if (w.overflow) {
		buf[0] = '\0';
		return fallback;
	}
	return buf;
}

const char *
hdp_filter_default(int live)
{
	static _Thread_local char buf[8192];	/* one per thread */

	if (!live)
		return HDP_FILTER_DEFAULT;
	return walk6_filter(buf, sizeof(buf), "(ip and ip[9] == 255) or "
			    "(ip6 and ", "ip6[6]", "40", HDP_FILTER_DEFAULT);
}

char *
hdp_filter_hdp(int dlt, const char *user, int live)
{
	const char *base = hdp_filter_default(live);
	char *s;
	size_t n;

	if (user != NULL)
		return hdp_filter_and(user, base);
	if (dlt != DLT_EN10MB)
		return strdup(base);
	n = strlen(base) + sizeof(HDP_FILTER_VLAN_TAIL) + 2;
	s = malloc(n);
	if (s != NULL)
		snprintf(s, n, "(%s)%s", base, HDP_FILTER_VLAN_TAIL);
	return s;
}

/*
 * ICMP and ICMPv6 errors that quote HDP.  IPv4: types 3, 11, 12, the
 * quoted header's protocol at ICMP offset 8 + 9.  IPv6: an ICMPv6 error
 * (types 1-4) right after the fixed header (kernels add no extension
 * headers to errors), the quoted IPv6 header at offset 48: its next
 * header at 54, walked through up to HDP_FILTER_EXT_MAX extension headers
 * from offset 88 with the same unrolled terms as the HDP filter, so the
 * kernel can run it.
 */
const char *
hdp_filter_icmp(void)
{
	static _Thread_local char buf[8192];	/* one per thread */

	return walk6_filter(buf, sizeof(buf), HDP_FILTER_ICMP4 " or (ip6 and "
			    "ip6[6] == 58 and ip6[40] >= 1 and ip6[40] <= 4 "
			    "and ", "ip6[54]", "88", HDP_FILTER_ICMP_FIXED);
}

char *
hdp_filter_hdp_icmp(int dlt, const char *user, int live)
{
	const char *hdp = hdp_filter_default(live), *icmp = hdp_filter_icmp();
	char *base, *s = NULL;
	size_t n;

	n = strlen(hdp) + strlen(icmp) + 16;
	base = malloc(n);
	if (base == NULL)
		return NULL;
	snprintf(base, n, "(%s) or (%s)", hdp, icmp);
	if (user != NULL) {
		s = hdp_filter_and(user, base);
	} else if (dlt != DLT_EN10MB) {
		s = base;
		base = NULL;
	} else {
		/* behind VLAN tags: the fixed-offset forms, as for HDP */
		n = strlen(base) + 2 * sizeof(HDP_FILTER_FIXED) +
		    2 * sizeof(HDP_FILTER_ICMP_FIXED) + 64;
		s = malloc(n);
		if (s != NULL)
			snprintf(s, n, "(%s) or (vlan and ((%s) or (%s) or "
				 "(vlan and ((%s) or (%s)))))", base,
				 HDP_FILTER_FIXED, HDP_FILTER_ICMP_FIXED,
				 HDP_FILTER_FIXED, HDP_FILTER_ICMP_FIXED);
	}
	free(base);
	return s;
}

char *
hdp_filter_join(int argc, char **argv)
{
	size_t n = 1;
	char *s;
	int i;

	if (argc <= 0)
		return NULL;
	for (i = 0; i < argc; i++)
		n += strlen(argv[i]) + 1;
	s = malloc(n);
	if (s == NULL)
		return NULL;
	n = 0;
	for (i = 0; i < argc; i++) {
		size_t k = strlen(argv[i]);

		if (i)
			s[n++] = ' ';
		memcpy(s + n, argv[i], k);
		n += k;
	}
	s[n] = '\0';
	return s;
}

uint64_t
hdp_cap_sec(const struct pcap_pkthdr *h)
{
	int64_t s = (int64_t)h->ts.tv_sec;

	if (s >= 0)
		return (uint64_t)s;
	if (s >= INT32_MIN)
		return (uint32_t)s;	/* the file's unsigned 32 bits */
	return 0;
}

uint64_t
hdp_cap_time_ns(const struct pcap_pkthdr *h, int nano)
{
	uint64_t sec = hdp_cap_sec(h);
	uint64_t frac = (uint64_t)(uint32_t)h->ts.tv_usec;

	frac = nano ? frac : frac * 1000;
	if (sec > (UINT64_MAX - frac) / 1000000000u)
		return UINT64_MAX;
	return sec * 1000000000u + frac;
}
