/*
 * hdp_print.c: print captured frames as hdp sniff shows them (see
 * hdp_print.h).
 *
 * One entry point, hdp_print_packet(): decode with hdp_decode_frame(), then
 * one printer per output mode.  Packet bytes are read only at offsets the
 * decoder checked against caplen (ip_off .. ip_off + ip_hdr_len when the
 * header was captured, l4_off + l4_caplen, payload_off + payload_caplen).
 *
 * Speed: a capture of a million packets is printed in well under a second.
 * Text goes into one buffer (room() reserves a bounded amount, flushing
 * when full) and leaves with fwrite in 1 MiB blocks; integers, addresses
 * and times are formatted by hand; the local time is recomputed once per
 * minute of capture time, interface names once per interface.
 */
#include "config.h"

#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hdp_capture.h"
#include "hdp_match.h"
#include "hdp_print.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

#define PR_BUFSIZE   (1u << 20)
#define PR_LINE_MAX  2048        /* bound on one line's fixed part   */
/* One JSON object without its payload_hex: keys ~300, numbers and
 * addresses ~400, an interface name of 15 bytes escaped to 90, the
 * decoder's error (< 96 bytes, escaped at most 6 for 1): under 1.5 KiB. */
#define PR_JSON_MAX  2048
#define HEX_CHUNK    4096        /* payload bytes per reservation    */

static const char hexdig[] = "0123456789abcdef";

/* ---- buffer -------------------------------------------------------------- */

int
hdp_printer_flush(struct hdp_printer *pr)
{
	if (pr->len > 0 && pr->out != NULL) {
		if (fwrite(pr->buf, 1, pr->len, pr->out) != pr->len)
			pr->error = errno ? errno : EIO;
	}
	pr->len = 0;
	if (pr->out != NULL && fflush(pr->out) != 0)
		pr->error = errno ? errno : EIO;
	return pr->error ? -1 : 0;
}

/* Grow mode: room for n more bytes by growing the buffer; when it cannot
 * grow, the text so far is dropped (and the error said) so that the
 * printer still has room. */
static void
grow(struct hdp_printer *pr, size_t n)
{
	size_t cap = pr->cap * 2 > pr->len + n ? pr->cap * 2 : pr->len + n;
	char *b = realloc(pr->buf, cap);

	if (b == NULL) {
		pr->error = ENOMEM;
		pr->len = 0;
		return;
	}
	pr->buf = b;
	pr->cap = cap;
}

/* A pointer where at least n bytes (n <= cap) may be written. */
static char *
room(struct hdp_printer *pr, size_t n)
{
	if (pr->cap - pr->len < n) {
		if (pr->grow)
			grow(pr, n);
		else
			hdp_printer_flush(pr);
	}
	return pr->buf + pr->len;
}

static void
done(struct hdp_printer *pr, const char *end)
{
	pr->len = (size_t)(end - pr->buf);
}

/* printf into the buffer: for the verbose decode, not the hot paths. */
static void __attribute__((format(printf, 2, 3)))
bprintf(struct hdp_printer *pr, const char *fmt, ...)
{
	va_list ap;
	char *p = room(pr, PR_LINE_MAX);
	int n;

	va_start(ap, fmt);
	n = vsnprintf(p, PR_LINE_MAX, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n >= PR_LINE_MAX)
		n = PR_LINE_MAX - 1;
	done(pr, p + n);
}

static char *
put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

#define PUTS(p, lit) put((p), (lit), sizeof(lit) - 1)

/* ---- numbers and addresses ------------------------------------------------ */

/* "00" "01" ... "99": two digits per division (the numbers of a line
 * are most of the printing time: a 19-digit HDP time stamp each). */
static const char digits2[201] =
	"0001020304050607080910111213141516171819"
	"2021222324252627282930313233343536373839"
	"4041424344454647484950515253545556575859"
	"6061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* v's last w digits, written backwards to end at p + w. */
static void
put_digits(char *p, uint64_t v, int w)
{
	p += w;
	while (w >= 2) {
		unsigned r = (unsigned)(v % 100);

		v /= 100;
		p -= 2;
		memcpy(p, digits2 + 2 * r, 2);
		w -= 2;
	}
	if (w)
		*--p = (char)('0' + v % 10);
}

/* v < 10^8 as exactly 8 digits: 32-bit arithmetic, two independent
 * halves. */
static void
put8(char *p, uint32_t v)
{
	uint32_t hi = v / 10000, lo = v % 10000;

	memcpy(p, digits2 + 2 * (hi / 100), 2);
	memcpy(p + 2, digits2 + 2 * (hi % 100), 2);
	memcpy(p + 4, digits2 + 2 * (lo / 100), 2);
	memcpy(p + 6, digits2 + 2 * (lo % 100), 2);
}

/* v < 10^8 without leading zeros. */
static size_t
fmt_u32(char *dst, uint32_t v)
{
	int n = 1 + (v >= 10) + (v >= 100) + (v >= 1000) + (v >= 10000) +
		(v >= 100000) + (v >= 1000000) + (v >= 10000000);
	char *p = dst + n;

	while (v >= 100) {
		p -= 2;
		memcpy(p, digits2 + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10) {
		p -= 2;
		memcpy(p, digits2 + 2 * v, 2);
	} else {
		*--p = (char)('0' + v);
	}
	return (size_t)n;
}

/* In pieces of 8 digits, each formatted with 32-bit arithmetic: a
 * 19-digit time stamp on every line. */
size_t
hdp_fmt_u64(char *dst, uint64_t v)
{
	const uint64_t e8 = 100000000u, e16 = e8 * e8;
	uint64_t q, r;
	size_t n;

	if (v < e8)
		return fmt_u32(dst, (uint32_t)v);
	if (v < e16) {
		q = v / e8;
		n = fmt_u32(dst, (uint32_t)q);
		put8(dst + n, (uint32_t)(v - q * e8));
		return n + 8;
	}
	q = v / e16;			/* at most 1844 */
	r = v - q * e16;
	n = fmt_u32(dst, (uint32_t)q);
	put8(dst + n, (uint32_t)(r / e8));
	put8(dst + n + 8, (uint32_t)(r % e8));
	return n + 16;
}

size_t
hdp_fmt_safe(char *dst, const void *s, size_t n)
{
	const unsigned char *b = s;
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (b[i] >= 0x20 && b[i] < 0x7f) {
			dst[o++] = (char)b[i];
		} else {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hexdig[b[i] >> 4];
			dst[o++] = hexdig[b[i] & 15];
		}
	}
	return o;
}

int
hdp_fput_safe(FILE *f, const void *s, size_t n)
{
	const unsigned char *b = s;
	char buf[256];
	size_t i, m;

	for (i = 0; i < n; i += m) {
		m = n - i < sizeof(buf) / 4 ? n - i : sizeof(buf) / 4;
		if (fwrite(buf, 1, hdp_fmt_safe(buf, b + i, m), f) == 0 && m)
			return EOF;
	}
	return 0;
}

static char *
put_u64(char *p, uint64_t v)
{
	return p + hdp_fmt_u64(p, v);
}

static char *
put_i64(char *p, int64_t v)
{
	if (v < 0) {
		*p++ = '-';
		return put_u64(p, (uint64_t)0 - (uint64_t)v);
	}
	return put_u64(p, (uint64_t)v);
}

/* v as exactly w digits, leading zeros kept. */
static char *
put_fixed(char *p, uint64_t v, int w)
{
	put_digits(p, v, w);
	return p + w;
}

size_t
hdp_fmt_ip4(char *dst, const uint8_t a[4])
{
	char *p = dst;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned b = a[i];

		if (i)
			*p++ = '.';
		if (b >= 100)
			*p++ = (char)('0' + b / 100);
		if (b >= 10)
			*p++ = (char)('0' + b / 10 % 10);
		*p++ = (char)('0' + b % 10);
	}
	return (size_t)(p - dst);
}

/* RFC 5952, and the same choices as glibc's inet_ntop: the longest run of
 * two or more zero groups (the first of equals) becomes "::"; ::a.b.c.d and
 * ::ffff:a.b.c.d keep the IPv4 address dotted. */
size_t
hdp_fmt_ip6(char *dst, const uint8_t a[16])
{
	unsigned g[8];
	int i, best = -1, bestlen = 0, cur = -1, curlen = 0;
	char *p = dst;

	for (i = 0; i < 8; i++) {
		g[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
		if (g[i] == 0) {
			if (cur < 0) {
				cur = i;
				curlen = 0;
			}
			curlen++;
			if (curlen > bestlen) {
				best = cur;
				bestlen = curlen;
			}
		} else {
			cur = -1;
		}
	}
	if (bestlen < 2)
		best = -1;
	for (i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + bestlen) {
			if (i == best)
				*p++ = ':';
			continue;
		}
		if (i)
			*p++ = ':';
		if (i == 6 && best == 0 &&
		    (bestlen == 6 || (bestlen == 5 && g[5] == 0xffff))) {
			p += hdp_fmt_ip4(p, a + 12);
			break;
		}
		if (g[i] >= 0x1000)
			*p++ = hexdig[g[i] >> 12];
		if (g[i] >= 0x100)
			*p++ = hexdig[(g[i] >> 8) & 15];
		if (g[i] >= 0x10)
			*p++ = hexdig[(g[i] >> 4) & 15];
		*p++ = hexdig[g[i] & 15];
	}
	if (best >= 0 && best + bestlen == 8)
		*p++ = ':';
	return (size_t)(p - dst);
}

static char *
put_addr(char *p, const struct hdp_frame *f, const union hdp_addr *a)
{
	if (f->ip_version == 4)
		return p + hdp_fmt_ip4(p, (const uint8_t *)&a->v4);
	return p + hdp_fmt_ip6(p, a->v6.s6_addr);
}

/* ---- pieces of a line ---------------------------------------------------- */

static uint64_t
cap_time_ns(const struct hdp_printer *pr, const struct pcap_pkthdr *h)
{
	return hdp_cap_time_ns(h, pr->ts_nano);
}

/* The local time's minute holding sec, cached: localtime_r runs once per
 * minute of capture time, not once per packet. */
static void
local_minute(struct hdp_printer *pr, int64_t sec)
{
	struct tm tm;
	time_t t = (time_t)sec;

	if (pr->tm_valid && sec >= pr->tm_base && sec < pr->tm_base + 60)
		return;
	if (localtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	pr->tm_base = sec - tm.tm_sec;
	put_fixed(pr->tm_hhmm, (uint64_t)tm.tm_hour, 2);
	pr->tm_hhmm[2] = ':';
	put_fixed(pr->tm_hhmm + 3, (uint64_t)tm.tm_min, 2);
	put_fixed(pr->tm_date, (uint64_t)(tm.tm_year + 1900) % 10000, 4);
	pr->tm_date[4] = '-';
	put_fixed(pr->tm_date + 5, (uint64_t)tm.tm_mon + 1, 2);
	pr->tm_date[7] = '-';
	put_fixed(pr->tm_date + 8, (uint64_t)tm.tm_mday, 2);
	pr->tm_valid = 1;
}

/* ".frac" at the printer's precision (6 or 9 digits), truncated as
 * libpcap truncates a nanosecond file read at microseconds. */
static char *
put_frac(const struct hdp_printer *pr, char *p, uint64_t frac_ns)
{
	*p++ = '.';
	if (pr->ts_digits == 9)
		return put_fixed(p, frac_ns, 9);
	return put_fixed(p, frac_ns / 1000, 6);
}

/*
 * -ttt and -ttttt as tcpdump 4.99 prints them (util-print.c): a sign
 * column (' ' or '-'), then HH:MM:SS.frac of the time since the previous
 * (-ttt) or the first (-ttttt) packet printed.  As tcpdump's, the hours
 * wrap at a day (it formats the span as a time of day).
 * Both times are cut to the printed precision before they are
 * subtracted, as tcpdump subtracts the timevals it was given.
 */
static char *
put_span(struct hdp_printer *pr, char *p, uint64_t now)
{
	uint64_t unit = pr->ts_digits == 9 ? 1 : 1000;
	uint64_t per = 1000000000ull / unit, a, b, d, sec;

	if (!pr->t_ref) {
		pr->t_prev = pr->t_first = now;
		pr->t_ref = 1;
	}
	a = now / unit;
	b = (pr->time == HDP_PR_TIME_DELTA ? pr->t_prev : pr->t_first) / unit;
	pr->t_prev = now;
	d = a >= b ? a - b : b - a;
	*p++ = a >= b ? ' ' : '-';
	sec = d / per;
	p = put_fixed(p, sec / 3600 % 24, 2);
	*p++ = ':';
	p = put_fixed(p, sec % 3600 / 60, 2);
	*p++ = ':';
	p = put_fixed(p, sec % 60, 2);
	*p++ = '.';
	p = put_fixed(p, d % per, pr->ts_digits == 9 ? 9 : 6);
	*p++ = ' ';
	return p;
}

/* The time column, as tcpdump's -t options print it. */
static char *
put_time(struct hdp_printer *pr, char *p, uint64_t ns)
{
	int64_t sec = (int64_t)(ns / 1000000000ull);
	uint64_t frac = ns % 1000000000ull;

	switch (pr->time) {
	case HDP_PR_TIME_NONE:
		return p;
	case HDP_PR_TIME_DELTA:
	case HDP_PR_TIME_FIRST:
		return put_span(pr, p, ns);
	case HDP_PR_TIME_EPOCH:
		p = put_u64(p, (uint64_t)sec);
		break;
	case HDP_PR_TIME_DATE:
	case HDP_PR_TIME_LOCAL:
	default:
		local_minute(pr, sec);
		if (pr->time == HDP_PR_TIME_DATE) {
			p = put(p, pr->tm_date, 10);
			*p++ = ' ';
		}
		p = put(p, pr->tm_hhmm, 5);
		*p++ = ':';
		p = put_fixed(p, (uint64_t)(sec - pr->tm_base), 2);
		break;
	}
	p = put_frac(pr, p, frac);
	*p++ = ' ';
	return p;
}

/* The name of an SLL2 interface index: this host's name when asked (live
 * capture, or --ifnames), else "ifN" (the index belongs to the host that
 * captured the file).  Cached. */
static const char *
ifname_of(struct hdp_printer *pr, uint32_t index)
{
	unsigned slot = index % HDP_PR_IFCACHE;
	char *name = pr->ifc[slot].name;
	char tmp[IF_NAMESIZE > 24 ? IF_NAMESIZE : 24];

	if (pr->ifc[slot].index == index && name[0] != '\0')
		return name;
	pr->ifc[slot].index = index;
	pr->ifc[slot].resolved = 0;
	if (pr->ifnames && if_indextoname(index, tmp) != NULL) {
		size_t n = strnlen(tmp, sizeof(pr->ifc[slot].name) - 1);

		memcpy(name, tmp, n);
		name[n] = '\0';
		pr->ifc[slot].resolved = 1;
	} else {
		char *q = PUTS(name, "if");

		q = put_u64(q, index);
		*q = '\0';
	}
	return name;
}

/* tcpdump's direction words for SLL packet types. */
static const char *
dir_word(uint16_t pkttype)
{
	static const char *const w[] = { "In", "B", "M", "P", "Out" };

	return pkttype < 5 ? w[pkttype] : "?";
}

static char *
put_link(struct hdp_printer *pr, char *p, const struct hdp_frame *f)
{
	const char *d;
	size_t n;

	if (f->dlt == DLT_LINUX_SLL2 && f->link_len) {
		const char *name = ifname_of(pr, f->ifindex);

		/* a name from this host may hold any byte but '/' and ':' */
		n = hdp_fmt_safe(p, name, strlen(name));
		p += n;
		do
			*p++ = ' ';
		while (n++ < 5);
	}
	if ((f->dlt == DLT_LINUX_SLL2 || f->dlt == DLT_LINUX_SLL) &&
	    f->link_len) {
		d = dir_word(f->pkttype);
		n = strlen(d);
		p = put(p, d, n);
		do
			*p++ = ' ';
		while (n++ < 3);
	}
	return p;
}

/* v as "%x": lowercase hex without leading zeros. */
static char *
put_hexn(char *p, uint32_t v)
{
	int i = 28;

	while (i > 0 && (v >> i) == 0)
		i -= 4;
	for (; i >= 0; i -= 4)
		*p++ = hexdig[(v >> i) & 15];
	return p;
}

size_t
hdp_fmt_latency(char *dst, int64_t ns)
{
	char *p = dst;
	uint64_t a, tenth, t;
	const char *unit;

	if (ns < 0) {
		*p++ = '-';
		a = (uint64_t)0 - (uint64_t)ns;
	} else {
		a = (uint64_t)ns;
	}
	/* the unit where the value, rounded to a tenth, is below 1000 */
	if (a < 999950u) {
		tenth = 100u;
		unit = " us";
	} else if (a < 999950000u) {
		tenth = 100000u;
		unit = " ms";
	} else {
		tenth = 100000000u;
		unit = " s";
	}
	t = a / tenth + (a % tenth >= tenth / 2 ? 1 : 0);	/* rounded */
	p = put_u64(p, t / 10);
	*p++ = '.';
	*p++ = (char)('0' + t % 10);
	return (size_t)(put(p, unit, strlen(unit)) - dst);
}

static char *
put_latency(char *p, int64_t ns)
{
	return p + hdp_fmt_latency(p, ns);
}

/* ---- -e: the link-level header, as tcpdump -e ----------------------------- */

static char *
put_hex2(char *p, uint8_t b)
{
	*p++ = hexdig[b >> 4];
	*p++ = hexdig[b & 15];
	return p;
}

/* "0x%04x" */
static char *
put_hex16(char *p, uint16_t v)
{
	p = PUTS(p, "0x");
	p = put_hex2(p, (uint8_t)(v >> 8));
	return put_hex2(p, (uint8_t)v);
}

/* n bytes as aa:bb:cc (tcpdump's link addresses). */
static char *
put_mac(char *p, const uint8_t *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i)
			*p++ = ':';
		p = put_hex2(p, a[i]);
	}
	return p;
}

/* tcpdump's names (ethertype.c) of the types hdp meets. */
static const char *
ethertype_name(uint16_t t)
{
	switch (t) {
	case 0x0800: return "IPv4";
	case 0x0806: return "ARP";
	case 0x8035: return "Reverse ARP";
	case 0x86dd: return "IPv6";
	case 0x8100: return "802.1Q";
	case 0x88a8: return "802.1Q-QinQ";
	case 0x9100: return "802.1Q-9100";
	case 0x9200: return "802.1Q-9200";
	case 0x8847: return "MPLS unicast";
	case 0x8848: return "MPLS multicast";
	case 0x8863: return "PPPoE D";
	case 0x8864: return "PPPoE S";
	case 0x88cc: return "LLDP";
	case 0x888e: return "EAPOL";
	default:     return NULL;
	}
}

/* "ethertype IPv4 (0x0800)"; with -q tcpdump writes only "IPv4". */
static char *
put_ethertype(const struct hdp_printer *pr, char *p, uint16_t t)
{
	const char *name = ethertype_name(t);

	if (pr->brief) {
		if (name != NULL)
			return put(p, name, strlen(name));
		p = PUTS(p, "Unknown Ethertype (");
		p = put_hex16(p, t);
		*p++ = ')';
		return p;
	}
	p = PUTS(p, "ethertype ");
	p = name ? put(p, name, strlen(name)) : PUTS(p, "Unknown");
	p = PUTS(p, " (");
	p = put_hex16(p, t);
	*p++ = ')';
	return p;
}

/* ", length N: " */
static char *
put_length_colon(char *p, uint64_t n)
{
	p = PUTS(p, ", length ");
	p = put_u64(p, n);
	return PUTS(p, ": ");
}

/* The 802.2 LLC/SNAP header that hdp decodes (SNAP, an IP ethertype,
 * ending at f->link_len), as tcpdump's llc_print and snap_print show it;
 * len counts from the LLC. */
static char *
put_snap(const struct hdp_printer *pr, char *p, const struct hdp_frame *f,
	 const uint8_t *pkt, uint64_t len)
{
	p = PUTS(p, "LLC, dsap SNAP (0xaa) Individual, ssap SNAP (0xaa) "
		 "Command, ctrl 0x03: ");
	if (pkt[f->link_len - 3] == 0xf8) {
		const char *name = ethertype_name(f->ethertype);

		p = PUTS(p, "oui Cisco bridged (0x0000f8), pid ");
		p = name ? put(p, name, strlen(name)) : PUTS(p, "Unknown");
		p = PUTS(p, " (");
		p = put_hex16(p, f->ethertype);
		*p++ = ')';
	} else {
		p = PUTS(p, "oui Ethernet (0x000000), ");
		p = put_ethertype(pr, p, f->ethertype);
	}
	return put_length_colon(p, len >= 8 ? len - 8 : 0);
}

/* Ethernet: addresses, type or 802.3 length, VLAN tags, LLC/SNAP. */
static char *
put_ether_e(const struct hdp_printer *pr, char *p, const struct hdp_frame *f,
	    const uint8_t *pkt, size_t caplen, uint32_t wirelen)
{
	size_t off = 14;
	uint16_t t;
	int tags = 0;

	if (caplen < 14)
		return p;
	p = put_mac(p, pkt + 6, 6);
	p = PUTS(p, " > ");
	p = put_mac(p, pkt, 6);
	p = PUTS(p, ", ");
	t = hdp_rd16(pkt + 12);
	if (t <= 1500) {
		/* tcpdump's length: the 802.3 length, when the frame holds
		 * that much */
		uint64_t n = wirelen >= 14 ? wirelen - 14 : 0;

		p = PUTS(p, "802.3");
		p = put_length_colon(p, t < n ? t : n);
		return f->llc && f->ip_version ?
		       put_snap(pr, p, f, pkt, t < n ? t : n) : p;
	}
	p = put_ethertype(pr, p, t);
	p = put_length_colon(p, wirelen);
	while ((t == 0x8100 || t == 0x88a8 || t == 0x9100 || t == 0x9200) &&
	       off + 4 <= caplen && tags++ < 8) {
		uint16_t tci = hdp_rd16(pkt + off);

		p = PUTS(p, "vlan ");
		p = put_u64(p, tci & 0x0fff);
		p = PUTS(p, ", p ");
		p = put_u64(p, tci >> 13);
		if (tci & 0x1000)
			p = PUTS(p, ", DEI");
		p = PUTS(p, ", ");
		t = hdp_rd16(pkt + off + 2);
		off += 4;
		if (t > 1500) {
			p = put_ethertype(pr, p, t);
			p = PUTS(p, ", ");
		} else {
			/* tcpdump 4.99: "802.3" and LLC with no separator */
			p = PUTS(p, "802.3");
			if (f->llc && f->ip_version)
				p = put_snap(pr, p, f, pkt, wirelen >= off ?
					     wirelen - off : 0);
		}
	}
	return p;
}

/* Linux cooked v1 and v2 (tcpdump's sll_print_header, sll2_print_header);
 * the SLL2 interface name and direction came first, from put_link. */
static char *
put_sll_e(const struct hdp_printer *pr, char *p, const struct hdp_frame *f,
	  const uint8_t *pkt, size_t caplen, uint32_t wirelen)
{
	int v2 = f->dlt == DLT_LINUX_SLL2;
	size_t hlen = v2 ? 20 : 16, alen;
	uint16_t t;

	if (caplen < hlen)
		return p;
	if (v2) {
		p = PUTS(p, "ifindex ");
		p = put_u64(p, hdp_rd32(pkt + 4));
		*p++ = ' ';
		alen = pkt[11];
		t = hdp_rd16(pkt);
	} else {
		const char *d = dir_word(hdp_rd16(pkt));
		size_t n = strlen(d);

		while (n++ < 3)
			*p++ = ' ';
		p = put(p, d, strlen(d));
		*p++ = ' ';
		alen = hdp_rd16(pkt + 4);
		t = hdp_rd16(pkt + 14);
	}
	if (alen == 6) {	/* tcpdump shows a MAC-48 address only */
		p = put_mac(p, pkt + (v2 ? 12 : 6), 6);
		*p++ = ' ';
	}
	if (t == 0x0004 || t == 0x0001) {
		p = t == 4 ? PUTS(p, "802.2") : PUTS(p, "802.3");
		p = put_length_colon(p, wirelen);
		if (f->llc && f->ip_version)
			p = put_snap(pr, p, f, pkt, wirelen - hlen);
		return p;
	}
	p = put_ethertype(pr, p, t);
	return put_length_colon(p, wirelen);
}

/* BSD loopback: "AF IPv4 (2), length N: " (the family in either byte
 * order for DLT_NULL, as tcpdump reads it; network order for DLT_LOOP). */
static char *
put_null_e(char *p, const struct hdp_frame *f, const uint8_t *pkt,
	   size_t caplen, uint32_t wirelen)
{
	uint32_t af;

	if (caplen < 4)
		return p;
	af = hdp_rd32(pkt);
	if (f->dlt == DLT_NULL && (af & 0xffff0000u))
		af = (af >> 24) | (af >> 8 & 0xff00) | (af << 8 & 0xff0000) |
		     af << 24;
	p = PUTS(p, "AF ");
	switch (af) {	/* tcpdump's bsd_af_values */
	case 2:  p = PUTS(p, "IPv4"); break;
	case 6:  p = PUTS(p, "NS"); break;
	case 7:  p = PUTS(p, "ISO"); break;
	case 16: p = PUTS(p, "Appletalk"); break;
	case 23: p = PUTS(p, "IPX"); break;
	case 24: case 28: case 30: p = PUTS(p, "IPv6"); break;
	default: p = PUTS(p, "Unknown"); break;
	}
	p = PUTS(p, " (");
	p = put_u64(p, af);
	*p++ = ')';
	return put_length_colon(p, wirelen);
}

/* The link part of a -e line. */
static char *
put_link_e(const struct hdp_printer *pr, char *p, const struct hdp_frame *f,
	   const uint8_t *pkt, size_t caplen, uint32_t wirelen)
{
	switch (f->dlt) {
	case DLT_EN10MB:
		return put_ether_e(pr, p, f, pkt, caplen, wirelen);
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
		return put_sll_e(pr, p, f, pkt, caplen, wirelen);
	case DLT_NULL:
	case DLT_LOOP:
		return put_null_e(p, f, pkt, caplen, wirelen);
	default:
		return hdp_dlt_supported(f->dlt) ? PUTS(p, "ip: ") : p;
	}
}

/* The 802.2 LLC header at off, and SNAP after it: 3 bytes (4 for an I or
 * S frame's two-byte control), 8 with SNAP; tcpdump counts it as link
 * header. */
static size_t
llc_len(const uint8_t *pkt, size_t caplen, size_t off)
{
	if (off + 3 > caplen || (pkt[off] == 0xff && pkt[off + 1] == 0xff))
		return 0;	/* cut, or Novell's raw 802.3 (no LLC) */
	if (pkt[off] == 0xaa && pkt[off + 1] == 0xaa && pkt[off + 2] == 3)
		return 8;
	return (pkt[off + 2] & 3) == 3 ? 3 : 4;
}

/* tcpdump's hdrlen: where -x, -X and -A begin (the network header),
 * whether or not hdp could decode what follows. */
static size_t
link_hdrlen(int dlt, const uint8_t *pkt, size_t caplen)
{
	size_t n;
	uint16_t t;

	switch (dlt) {
	case DLT_EN10MB:
		if (caplen < 14)
			return caplen;
		for (n = 14, t = hdp_rd16(pkt + 12);
		     (t == 0x8100 || t == 0x88a8 || t == 0x9100 ||
		      t == 0x9200) && n + 4 <= caplen; n += 4)
			t = hdp_rd16(pkt + n + 2);
		if (t <= 1500)
			n += llc_len(pkt, caplen, n);
		break;
	case DLT_NULL:
	case DLT_LOOP:
		n = 4;
		break;
	case DLT_LINUX_SLL:
		n = 16;
		if (caplen >= 16 && hdp_rd16(pkt + 14) == 4)
			n += llc_len(pkt, caplen, n);
		break;
	case DLT_LINUX_SLL2:
		n = 20;
		if (caplen >= 20 && hdp_rd16(pkt) == 4)
			n += llc_len(pkt, caplen, n);
		break;
	default:
		n = 0;
		break;
	}
	return n < caplen ? n : caplen;
}

/* ---- -v: IP fields inline, as tcpdump -v ---------------------------------- */

/* tcpdump's ipproto_values (ipproto.c): the names its -v shows. */
static const char *
proto_name(uint8_t p)
{
	switch (p) {
	case 0:   return "Options";
	case 1:   return "ICMP";
	case 2:   return "IGMP";
	case 4:   return "IPIP";
	case 6:   return "TCP";
	case 8:   return "EGP";
	case 9:   return "IGRP";
	case 17:  return "UDP";
	case 33:  return "DCCP";
	case 41:  return "IPv6";
	case 43:  return "Routing";
	case 44:  return "Fragment";
	case 46:  return "RSVP";
	case 47:  return "GRE";
	case 50:  return "ESP";
	case 51:  return "AH";
	case 55:  return "Mobile IP";
	case 58:  return "ICMPv6";
	case 62:  return "Mobile IP (old)";
	case 88:  return "EIGRP";
	case 89:  return "OSPF";
	case 103: return "PIM";
	case 108: return "Compressed IP";
	case 112: return "VRRP";
	case 113: return "PGM";
	case 132: return "SCTP";
	case 135: return "Mobility";
	case 143: return "Ethernet";
	default:  return "unknown";
	}
}

/* "NAME (N)" */
static char *
put_proto(char *p, uint8_t proto)
{
	const char *name = proto_name(proto);

	p = put(p, name, strlen(name));
	p = PUTS(p, " (");
	p = put_u64(p, proto);
	*p++ = ')';
	return p;
}

/* tcpdump's names of IPv4 options (print-ip.c ip_option_values). */
static const char *
ipopt_name(uint8_t code)
{
	switch (code) {
	case 0:   return "EOL";
	case 1:   return "NOP";
	case 7:   return "RR";
	case 68:  return "timestamp";
	case 82:  return "traceroute";
	case 130: return "security";
	case 131: return "LSRR";
	case 137: return "SSRR";
	case 148: return "RA";
	default:  return NULL;
	}
}

static char *
put_bad_len(char *p, unsigned n)
{
	p = PUTS(p, " [bad length ");
	p = put_u64(p, n);
	*p++ = ']';
	return p;
}

/* RR, LSRR, SSRR: the addresses, a ',' after those already recorded
 * (tcpdump's ip_printroute); the option claims len bytes, avail of them
 * from o on were captured.  As tcpdump, a length that is not 3 + 4n
 * reads on into the next option's bytes. */
static char *
put_ipopt_route(char *p, const uint8_t *o, unsigned len, unsigned avail)
{
	unsigned ptr, i;

	if (len < 3)
		return put_bad_len(p, len);
	if ((len + 1) & 3)
		p = put_bad_len(p, len);
	ptr = o[2] - 1u;
	if (ptr < 3 || ((ptr + 1) & 3) || ptr > len + 1) {
		p = PUTS(p, " [bad ptr ");
		p = put_u64(p, o[2]);
		*p++ = ']';
	}
	for (i = 3; i < len && i + 4 <= avail; i += 4) {
		*p++ = ' ';
		p += hdp_fmt_ip4(p, o + i);
		if (ptr > i)
			*p++ = ',';
	}
	return p;
}

/* The timestamp option (tcpdump's ip_printts): " TS{TSONLY 1@ 2@}",
 * '^' where the pointer points; len >= 4 bytes claimed, avail captured. */
static char *
put_ipopt_ts(char *p, const uint8_t *o, unsigned len, unsigned avail)
{
	static const char *const kind[] = { "TSONLY", "TS+ADDR", "", "PRESPEC" };
	unsigned hop = (o[3] & 15) != 0 ? 8 : 4, ptr = o[2] - 1u, i = 0;

	p = PUTS(p, " TS{");
	if ((len - 4) & (hop - 1)) {
		p = PUTS(p, "[bad length ");
		p = put_u64(p, len);
		*p++ = ']';
	}
	if (ptr < 4 || ((ptr - 4) & (hop - 1)) || ptr > len + 1) {
		p = PUTS(p, "[bad ptr ");
		p = put_u64(p, o[2]);
		*p++ = ']';
	}
	if ((o[3] & 15) > 3 || (o[3] & 15) == 2) {
		p = PUTS(p, "[bad ts type ");
		p = put_u64(p, o[3] & 15u);
		*p++ = ']';
	} else {
		p = put(p, kind[o[3] & 15], strlen(kind[o[3] & 15]));
		for (i = 4; i < len && i + hop <= avail; i += hop) {
			p = ptr == i ? PUTS(p, " ^ ") : PUTS(p, " ");
			p = put_u64(p, hdp_rd32(o + i + hop - 4));
			*p++ = '@';
			if (hop == 8)
				p += hdp_fmt_ip4(p, o + i);
		}
	}
	if (ptr == i)
		p = PUTS(p, " ^ ");
	if (o[3] >> 4) {
		p = PUTS(p, " [");
		p = put_u64(p, o[3] >> 4);
		p = PUTS(p, " hops not recorded]} ");
	} else {
		*p++ = '}';
	}
	return p;
}

/* ", options (NOP,RR 10.0.0.1, 0.0.0.0,RA value 1)": tcpdump's
 * ip_optprint.  o holds n bytes (the options captured). */
static char *
put_ipopts(char *p, const uint8_t *o, unsigned n)
{
	unsigned len, i;

	p = PUTS(p, ", options (");
	for (i = 0; i < n && i < 40; i += len) {
		const char *name = ipopt_name(o[i]);

		if (i)
			*p++ = ',';
		if (name != NULL) {
			p = put(p, name, strlen(name));
		} else {
			p = PUTS(p, "unknown ");
			p = put_u64(p, o[i]);
		}
		if (o[i] <= 1) {
			if (o[i] == 0)
				break;		/* EOL ends the list */
			len = 1;
			continue;
		}
		if (n - i < 2) {
			p = put_bad_len(p, n - i);
			break;
		}
		len = o[i + 1];
		if (len < 2 || len > n - i) {
			p = put_bad_len(p, len);
			break;
		}
		if (o[i] == 7 || o[i] == 131 || o[i] == 137)
			p = put_ipopt_route(p, o + i, len, n - i);
		else if (o[i] == 68 && len >= 4)
			p = put_ipopt_ts(p, o + i, len, n - i);
		else if (o[i] == 68) {	/* tcpdump: no space before it */
			p = PUTS(p, "[bad length ");
			p = put_u64(p, len);
			*p++ = ']';
		} else if (o[i] == 148 && len < 4) {
			p = put_bad_len(p, len);
		} else if (o[i] == 148 && hdp_rd16(o + i + 2) != 0) {
			p = PUTS(p, " value ");
			p = put_u64(p, hdp_rd16(o + i + 2));
		}
	}
	*p++ = ')';
	return p;
}

/* "(tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto unknown (255),
 * length 50) ": tcpdump's ip_print, IPv4 options and a wrong checksum
 * as it shows them.  Needs the fixed header (f->ip_fixed); options are
 * read as far as they were captured. */
static char *
put_ip4_v(char *p, const struct hdp_frame *f, const uint8_t *pkt,
	  size_t caplen)
{
	const uint8_t *ip = pkt + f->ip_off;
	static const char *const ecn[] = { "", ",ECT(1)", ",ECT(0)", ",CE" };

	p = PUTS(p, "(tos 0x");
	if (f->tos >= 16)
		*p++ = hexdig[f->tos >> 4];
	*p++ = hexdig[f->tos & 15];
	p = put(p, ecn[f->tos & 3], strlen(ecn[f->tos & 3]));
	if (f->ttl >= 1) {
		p = PUTS(p, ", ttl ");
		p = put_u64(p, f->ttl);
	}
	p = PUTS(p, ", id ");
	p = put_u64(p, f->ip_id);
	p = PUTS(p, ", offset ");
	p = put_u64(p, (uint64_t)f->frag_off * 8);
	p = PUTS(p, ", flags [");
	if (f->frag_more)
		*p++ = '+';
	if (f->df)
		p = PUTS(p, "DF");
	if (ip[6] & 0x80)
		p = PUTS(p, "rsvd");
	if (!f->frag_more && !f->df && !(ip[6] & 0x80))
		p = PUTS(p, "none");
	p = PUTS(p, "], proto ");
	p = put_proto(p, ip[9]);
	p = PUTS(p, ", length ");
	p = put_u64(p, hdp_rd16(ip + 2));
	if (f->ihl > 5 && caplen - f->ip_off > 20) {
		size_t n = caplen - f->ip_off - 20;

		p = put_ipopts(p, ip + 20, (unsigned)(n < (f->ihl - 5) * 4u ?
						      n : (f->ihl - 5) * 4u));
	}
	if (f->ip_csum_ok == 0) {
		uint8_t h[60];
		uint16_t good;

		/* ip_csum_ok is 0 or 1 only with the whole header captured */
		memcpy(h, ip, f->ihl * 4u);
		h[10] = h[11] = 0;
		good = hdp_inet_csum(h, f->ihl * 4u);
		p = PUTS(p, ", bad cksum ");
		p = put_hexn(p, f->ip_csum);
		p = PUTS(p, " (->");
		p = put_hexn(p, good);
		p = PUTS(p, ")!");
	}
	return PUTS(p, ") ");
}

/* "(class 0xb8, flowlabel 0x12345, hlim 64, next-header unknown (255)
 * payload length: 30) ": tcpdump's ip6_print. */
static char *
put_ip6_v(char *p, const struct hdp_frame *f, const uint8_t *pkt)
{
	const uint8_t *ip = pkt + f->ip_off;

	*p++ = '(';
	if (f->tos) {
		p = PUTS(p, "class 0x");
		p = put_hex2(p, f->tos);
		p = PUTS(p, ", ");
	}
	if (f->flow_label) {
		p = PUTS(p, "flowlabel 0x");
		*p++ = hexdig[(f->flow_label >> 16) & 15];
		p = put_hex2(p, (uint8_t)(f->flow_label >> 8));
		p = put_hex2(p, (uint8_t)f->flow_label);
		p = PUTS(p, ", ");
	}
	p = PUTS(p, "hlim ");
	p = put_u64(p, f->ttl);
	p = PUTS(p, ", next-header ");
	p = put_proto(p, f->ip6_nexthdr);
	p = PUTS(p, " payload length: ");
	p = put_u64(p, hdp_rd16(ip + 4));
	return PUTS(p, ") ");
}

/* "IP " or "IP6 " (not after -e's link part, as tcpdump), then with -v
 * the header's fields in parentheses. */
static char *
put_ip_head(const struct hdp_printer *pr, char *p, const struct hdp_frame *f,
	    const uint8_t *pkt, size_t caplen)
{
	if (!pr->link)
		p = f->ip_version == 4 ? PUTS(p, "IP ") : PUTS(p, "IP6 ");
	if (!pr->verbose || !f->ip_fixed)
		return p;
	return f->ip_version == 4 ? put_ip4_v(p, f, pkt, caplen) :
				    put_ip6_v(p, f, pkt);
}

/* The UDP header of the comparison mode, when captured: ports and the HDP
 * header carried in the UDP payload. */
struct udp_view {
	int      ok;
	uint16_t sport, dport;
	int      has_hdp;
	struct hdp_hdr hdp;
	size_t   payload_off, payload_len, payload_caplen;
};

static void
udp_view(const struct hdp_frame *f, const uint8_t *pkt, struct udp_view *u)
{
	memset(u, 0, sizeof(*u));
	if (f->ip_version == 0 || f->proto != 17 || f->l4_caplen < 8 ||
	    (f->is_fragment && f->frag_off != 0) || f->l4_len < 8)
		return;
	u->ok = 1;
	u->sport = (uint16_t)(pkt[f->l4_off] << 8 | pkt[f->l4_off + 1]);
	u->dport = (uint16_t)(pkt[f->l4_off + 2] << 8 | pkt[f->l4_off + 3]);
	if (f->l4_caplen >= 8 + HDP_HDR_LEN) {
		hdp_hdr_decode(pkt + f->l4_off + 8, HDP_HDR_LEN, &u->hdp);
		u->has_hdp = 1;
		u->payload_off = f->l4_off + 8 + HDP_HDR_LEN;
		u->payload_len = f->l4_len >= 8 + HDP_HDR_LEN ?
				 f->l4_len - 8 - HDP_HDR_LEN : 0;
		u->payload_caplen = f->l4_caplen - 8 - HDP_HDR_LEN;
	}
}

/* The fields every printer shows, from the frame and the UDP view. */
struct pr_fields {
	int      has_ports;
	uint16_t sport, dport;
	int      has_hdp;
	uint64_t hdp_ts;
	int      has_latency;	/* 0: now - hdp_ts does not fit an int64_t */
	int64_t  latency;
	size_t   payload_off, payload_len, payload_caplen;
	int      has_len;	/* the transport header was reached         */
	size_t   len;		/* tcpdump's length: the payload of the     */
				/* layer printed (HDP, UDP or ip-proto-N)   */
};

/*
 * now - then in *out, signed; -1 when its magnitude is 2^63 or more (an
 * HDP timestamp past 2^63 ns, the year 2262, against today's clock), so
 * no printer shows a wrapped value.  dissect/hdp.lua draws the same line.
 */
static int
ns_diff(uint64_t now, uint64_t then, int64_t *out)
{
	uint64_t d;

	if (now >= then) {
		d = now - then;
		if (d > (uint64_t)INT64_MAX)
			return -1;
		*out = (int64_t)d;
	} else {
		d = then - now;
		if (d > (uint64_t)INT64_MAX)
			return -1;
		*out = -(int64_t)d;
	}
	return 0;
}

static void
fields_of(const struct hdp_frame *f, const struct udp_view *u,
	  uint64_t now, struct pr_fields *x)
{
	memset(x, 0, sizeof(*x));
	if (f->has_hdp) {
		x->has_ports = 1;
		x->sport = f->hdp.sport;
		x->dport = f->hdp.dport;
		x->has_hdp = 1;
		x->hdp_ts = f->hdp.ts_ns;
		x->payload_off = f->payload_off;
		x->payload_len = f->payload_len;
		x->payload_caplen = f->payload_caplen;
	} else if (u->ok) {
		x->has_ports = 1;
		x->sport = u->sport;
		x->dport = u->dport;
		if (u->has_hdp) {
			x->has_hdp = 1;
			x->hdp_ts = u->hdp.ts_ns;
			x->payload_off = u->payload_off;
			x->payload_len = u->payload_len;
			x->payload_caplen = u->payload_caplen;
		}
	}
	if (x->has_hdp)
		x->has_latency = ns_diff(now, x->hdp_ts, &x->latency) == 0;
	x->has_len = f->ip_fixed && (f->status == HDP_ST_OK || f->l4_off != 0);
	if (x->has_hdp)
		x->len = x->payload_len;
	else if (f->proto == HDP_PROTO && !(f->is_fragment && f->frag_off))
		/* the HDP header was not captured: what the IP length leaves
		 * for the payload after it */
		x->len = f->l4_len >= HDP_HDR_LEN ? f->l4_len - HDP_HDR_LEN : 0;
	else if (u->ok)
		x->len = f->l4_len >= 8 ? f->l4_len - 8 : 0;
	else
		x->len = f->l4_len;
}

/* ---- one-line output ------------------------------------------------------- */

static char *
put_frag(char *p, const struct hdp_frame *f)
{
	p = PUTS(p, "frag id ");
	p = put_u64(p, f->ip_version == 6 ? f->ip6_frag_id : f->ip_id);
	p = PUTS(p, " off ");
	p = put_u64(p, (uint64_t)f->frag_off * 8);
	if (f->frag_more)
		*p++ = '+';
	*p++ = ' ';
	return p;
}

static char *
put_err(char *p, const struct hdp_frame *f, int space)
{
	size_t n = strnlen(f->err, sizeof(f->err));

	if (f->status == HDP_ST_OK || n == 0)
		return p;
	if (space)
		*p++ = ' ';
	return put(p, f->err, n);
}

/* The time, the SLL2 interface and direction, and with -e the link-level
 * header: everything before the network layer. */
static char *
put_line_head(struct hdp_printer *pr, char *p, const struct hdp_frame *f,
	      const uint8_t *pkt, const struct pcap_pkthdr *h, uint64_t now)
{
	p = put_time(pr, p, now);
	if (!pr->link || f->dlt == DLT_LINUX_SLL2)
		p = put_link(pr, p, f);
	if (pr->link)
		p = put_link_e(pr, p, f, pkt, h->caplen, h->len);
	return p;
}

/* "HDP ts N latency L len N" and the other protocols' short forms; -q
 * leaves out the timestamp. */
static char *
put_l4(const struct hdp_printer *pr, char *p, const struct hdp_frame *f,
       const struct udp_view *u, const struct pr_fields *x)
{
	if (f->proto == HDP_PROTO)
		p = PUTS(p, "HDP ");
	else if (u->ok)
		p = x->has_hdp ? PUTS(p, "UDP HDP ") : PUTS(p, "UDP ");
	else {
		p = PUTS(p, "ip-proto-");
		p = put_u64(p, f->proto);
		*p++ = ' ';
	}
	if (f->is_fragment)
		p = put_frag(p, f);
	if (x->has_hdp) {
		if (!pr->brief) {
			p = PUTS(p, "ts ");
			p = put_u64(p, x->hdp_ts);
			*p++ = ' ';
		}
		p = PUTS(p, "latency ");
		if (x->has_latency)
			p = put_latency(p, x->latency);
		else
			*p++ = '-';
		*p++ = ' ';
	}
	p = PUTS(p, "len ");
	return put_u64(p, x->len);
}

static void
print_line(struct hdp_printer *pr, const struct hdp_frame *f,
	   const uint8_t *pkt, const struct pcap_pkthdr *h,
	   const struct udp_view *u, const struct pr_fields *x, uint64_t now)
{
	char *p = room(pr, PR_LINE_MAX);

	p = put_line_head(pr, p, f, pkt, h, now);
	if (f->ip_version == 0) {
		/* stopped in the link layer, or not IP at all */
		p = put_err(p, f, 0);
		goto end;
	}
	p = put_ip_head(pr, p, f, pkt, h->caplen);
	if (!f->ip_fixed) {
		/* fixed header not captured: no addresses to show */
		p = put_err(p, f, 0);
		goto end;
	}
	p = put_addr(p, f, &f->src);
	if (x->has_ports) {
		*p++ = '.';
		p = put_u64(p, x->sport);
	}
	p = PUTS(p, " > ");
	p = put_addr(p, f, &f->dst);
	if (x->has_ports) {
		*p++ = '.';
		p = put_u64(p, x->dport);
	}
	p = PUTS(p, ": ");
	if (!x->has_len) {
		/* stopped in the IP header: say only why */
		p = put_err(p, f, 0);
		goto end;
	}
	p = put_l4(pr, p, f, u, x);
	p = put_err(p, f, 1);
end:
	*p++ = '\n';
	done(pr, p);
}

/* ---- -x, -xx, -X, -XX, -A: the bytes, as tcpdump prints them ------------- */

/* "\t0x0000: " (tcpdump's "%s0x%04x: ": more digits past 0xffff). */
static char *
put_offset(char *p, size_t off)
{
	int i;

	p = PUTS(p, "\t0x");
	for (i = off > 0xffff ? (off > 0xfffff ? 5 : 4) : 3; i >= 0; i--)
		*p++ = hexdig[(off >> (i * 4)) & 15];
	*p++ = ':';
	*p++ = ' ';
	return p;
}

/* -X: hex_and_ascii_print */
static void
print_hex(struct hdp_printer *pr, const uint8_t *b, size_t n)
{
	size_t off, i;

	for (off = 0; off < n; off += 16) {
		size_t m = n - off < 16 ? n - off : 16;
		char *p = put_offset(room(pr, 128), off), *h = p;

		memset(h, ' ', 40);
		for (i = 0; i < m; i++) {
			char *q = h + (i / 2) * 5 + 1 + (i & 1) * 2;

			q[0] = hexdig[b[off + i] >> 4];
			q[1] = hexdig[b[off + i] & 15];
		}
		p = h + 40;
		*p++ = ' ';
		*p++ = ' ';
		for (i = 0; i < m; i++) {
			uint8_t c = b[off + i];

			*p++ = (c > 0x20 && c < 0x7f) ? (char)c : '.';
		}
		*p++ = '\n';
		done(pr, p);
	}
}

/* -x: hex_print, " %02x%02x" per pair, " %02x" for an odd last byte */
static void
print_hex_only(struct hdp_printer *pr, const uint8_t *b, size_t n)
{
	size_t off, i;

	for (off = 0; off < n; off += 16) {
		size_t m = n - off < 16 ? n - off : 16;
		char *p = put_offset(room(pr, 64), off);

		for (i = 0; i < m; i++) {
			if (!(i & 1))
				*p++ = ' ';
			p = put_hex2(p, b[off + i]);
		}
		*p++ = '\n';
		done(pr, p);
	}
}

/* -A: ascii_print, the bytes themselves where printable (space, tab and
 * newline included, as tcpdump), '.' for the others; a CR before a LF is
 * left out. */
static void
print_ascii(struct hdp_printer *pr, const uint8_t *b, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i += k) {
		char *p = room(pr, HEX_CHUNK + 1);

		for (k = 0; k < HEX_CHUNK && i + k < n; k++) {
			uint8_t c = b[i + k];

			if (c == '\r') {
				if (i + k + 1 == n || b[i + k + 1] != '\n')
					*p++ = '.';
			} else if ((c > 0x20 && c < 0x7f) || c == '\t' ||
				   c == ' ' || c == '\n') {
				*p++ = (char)c;
			} else {
				*p++ = '.';
			}
		}
		done(pr, p);
	}
	done(pr, PUTS(room(pr, 1), "\n"));
}

/* The dump after a packet's line: from the network header (tcpdump's
 * hdrlen, even where hdp could not decode what follows) or, for -xx and
 * -XX, from the frame's first byte; every captured byte to the end. */
static void
print_dump(struct hdp_printer *pr, const uint8_t *pkt, size_t caplen)
{
	size_t off = 0;

	if (pr->dump != HDP_PR_DUMP_HEX_LINK &&
	    pr->dump != HDP_PR_DUMP_HEXA_LINK) {
		off = link_hdrlen(pr->dlt, pkt, caplen);
		if (off >= caplen)
			return;
	}
	switch (pr->dump) {
	case HDP_PR_DUMP_HEX:
	case HDP_PR_DUMP_HEX_LINK:
		print_hex_only(pr, pkt + off, caplen - off);
		break;
	case HDP_PR_DUMP_HEXA:
	case HDP_PR_DUMP_HEXA_LINK:
		print_hex(pr, pkt + off, caplen - off);
		break;
	case HDP_PR_DUMP_ASCII:
		print_ascii(pr, pkt + off, caplen - off);
		break;
	default:
		break;
	}
}

/* ---- -v: the original server's decode ------------------------------------- */

static void
print_text_or_hex(struct hdp_printer *pr, const uint8_t *b, size_t n)
{
	char *p;
	size_t i;
	int text = 1;

	for (i = 0; i < n; i++)
		if (!((b[i] >= 0x20 && b[i] < 0x7f) || b[i] == '\n' ||
		      b[i] == '\r' || b[i] == '\t'))
			text = 0;
	if (n == 0) {
		bprintf(pr, "Data: (none)\n");
		return;
	}
	if (text) {
		bprintf(pr, "Data (%zu bytes, text%s):\n", n,
			hdp_looks_base64(b, n) ? ", looks like base64" : "");
		/* escaped (hdp_fmt_safe): a CR or LF of the payload must
		 * not hide text or forge a line; one newline of ours ends */
		for (i = 0; i < n; i += 256) {
			size_t m = n - i < 256 ? n - i : 256;

			p = room(pr, 4 * 256);
			done(pr, p + hdp_fmt_safe(p, b + i, m));
		}
		p = room(pr, 1);
		*p++ = '\n';
		done(pr, p);
	} else {
		bprintf(pr, "Data (%zu bytes, binary):\n", n);
		print_hex(pr, b, n);
	}
}

/* The IPv4 header, field by field. */
static void
decode_ip4(struct hdp_printer *pr, const struct hdp_frame *f)
{
	char a[64], b[64];

	a[hdp_fmt_ip4(a, (const uint8_t *)&f->src.v4)] = '\0';
	b[hdp_fmt_ip4(b, (const uint8_t *)&f->dst.v4)] = '\0';
	bprintf(pr, "Version: 4\n");
	bprintf(pr, "Header Length: %u words (%u bytes)\n", f->ihl,
		f->ihl * 4u);
	bprintf(pr, "Type of Service: 0x%02x (DSCP %u, ECN %u)\n",
		f->tos, f->tos >> 2, f->tos & 3);
	if (f->ip_len_zero)
		bprintf(pr, "Total Length: 0 (segmentation offload: "
			"%u from the frame)\n", f->ip_len);
	else
		bprintf(pr, "Total Length: %u\n", f->ip_len);
	bprintf(pr, "Identification: 0x%04x (%u)\n", f->ip_id, f->ip_id);
	bprintf(pr, "Flags: %s%s%s\n", f->df ? "DF" : "",
		f->df && f->frag_more ? "," : "",
		f->frag_more ? "MF" : (f->df ? "" : "none"));
	bprintf(pr, "Fragment Offset: %u (%u bytes)\n", f->frag_off,
		f->frag_off * 8u);
	bprintf(pr, "Time to Live: %u\n", f->ttl);
	bprintf(pr, "Protocol: %u\n", f->proto);
	bprintf(pr, "Header Checksum: 0x%04x (%s)\n", f->ip_csum,
		f->ip_csum_ok == 1 ? "correct" :
		f->ip_csum_ok == 0 ? "incorrect" : "not verified");
	bprintf(pr, "Source IP: %s\n", a);
	bprintf(pr, "Destination IP: %s\n", b);
}

/* The IPv6 header and what hdp walked of its extension headers. */
static void
decode_ip6(struct hdp_printer *pr, const struct hdp_frame *f)
{
	char a[64], b[64];

	a[hdp_fmt_ip6(a, f->src.v6.s6_addr)] = '\0';
	b[hdp_fmt_ip6(b, f->dst.v6.s6_addr)] = '\0';
	bprintf(pr, "Version: 6\n");
	bprintf(pr, "Traffic Class: 0x%02x (DSCP %u, ECN %u)\n",
		f->tos, f->tos >> 2, f->tos & 3);
	bprintf(pr, "Flow Label: 0x%05x\n", (unsigned)f->flow_label);
	if (f->ip_len_zero || f->ip6_jumbo)
		bprintf(pr, "Payload Length: 0 (%s: %u)\n",
			f->ip6_jumbo ? "jumbo payload option" :
			"segmentation offload, from the frame",
			f->ip_len - 40);
	else
		bprintf(pr, "Payload Length: %u\n", f->ip_len - 40);
	bprintf(pr, "Next Header: %u\n", f->ip6_nexthdr);
	bprintf(pr, "Hop Limit: %u\n", f->ttl);
	if (f->ip6_ext_count)
		bprintf(pr, "Extension Headers: %u (%zu bytes), then "
			"protocol %u\n", f->ip6_ext_count,
			f->ip_hdr_len - 40, f->proto);
	if (f->ip6_has_frag)
		bprintf(pr, "Fragment: id 0x%08x offset %u (%u bytes)%s\n",
			(unsigned)f->ip6_frag_id, f->frag_off,
			f->frag_off * 8u, f->frag_more ? " MF" : "");
	bprintf(pr, "Source IP: %s\n", a);
	bprintf(pr, "Destination IP: %s\n", b);
}

/* The HDP header's fields: ports, the timestamp in UTC, the latency in
 * a unit a person reads and in exact nanoseconds. */
static void
decode_hdp(struct hdp_printer *pr, const struct pr_fields *x, uint64_t now)
{
	time_t t = (time_t)(x->hdp_ts / 1000000000ull);
	struct tm tm;
	char when[64] = "?", lat[32];

	if (gmtime_r(&t, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	bprintf(pr, "Source Port: %u\n", x->sport);
	bprintf(pr, "Destination Port: %u\n", x->dport);
	bprintf(pr, "Timestamp: %llu (%s.%09llu UTC)\n",
		(unsigned long long)x->hdp_ts, when,
		(unsigned long long)(x->hdp_ts % 1000000000ull));
	if (x->has_latency) {
		lat[hdp_fmt_latency(lat, x->latency)] = '\0';
		bprintf(pr, "Latency: %s (%lld ns,", lat,
			(long long)x->latency);
	} else {
		bprintf(pr, "Latency: - (beyond 2^63 ns,");
	}
	bprintf(pr, " capture time %llu.%09llu)\n",
		(unsigned long long)(now / 1000000000ull),
		(unsigned long long)(now % 1000000000ull));
}

/* The original server's decode, after the packet's line (--decode). */
static void
print_verbose(struct hdp_printer *pr, const struct hdp_frame *f,
	      const uint8_t *pkt, const struct udp_view *u,
	      const struct pr_fields *x, uint64_t now)
{
	if (f->ip_version == 0)
		return;
	bprintf(pr, "~~~ IP Header ~~~\n");
	if (!f->ip_fixed) {
		bprintf(pr, "(not captured: %s)\n", f->err);
		return;
	}
	if (f->ip_version == 4)
		decode_ip4(pr, f);
	else
		decode_ip6(pr, f);
	if (f->status == HDP_ST_MALFORMED && f->err_layer <= HDP_LAYER_IP6EXT) {
		bprintf(pr, "(malformed: %s)\n", f->err);
		if (f->l4_off == 0)
			return;
	}
	if (f->proto != HDP_PROTO && !u->ok) {
		bprintf(pr, "(protocol %u: %zu bytes, %zu captured)\n",
			f->proto, f->l4_len, f->l4_caplen);
		return;
	}
	bprintf(pr, "~~~ HDP Header & Data ~~~\n");
	if (u->ok)
		bprintf(pr, "(in UDP %u > %u)\n", u->sport, u->dport);
	if (!x->has_hdp) {
		if (f->is_fragment && f->frag_off != 0)
			bprintf(pr, "(fragment at offset %u: the HDP header is "
				"in the first fragment)\n", f->frag_off * 8u);
		else
			bprintf(pr, "(not captured: %s)\n",
				f->err[0] ? f->err : "no HDP header");
		return;
	}
	decode_hdp(pr, x, now);
	if (x->payload_caplen < x->payload_len)
		bprintf(pr, "(payload %zu bytes, %zu captured)\n",
			x->payload_len, x->payload_caplen);
	print_text_or_hex(pr, pkt + x->payload_off, x->payload_caplen);
}

/* ---- --table: the original server's row --------------------------------- */

static void
print_table(struct hdp_printer *pr, const struct hdp_frame *f,
	    uint64_t now)
{
	char *p;

	if (!pr->table_head) {
		p = room(pr, 256);
		p = PUTS(p, "| Protocol Number | Time (\xce\xbcs) (Server) | "
			 "Source IP (Server) | Byte Sum (Server) |\n"
			 "| --- | --- | --- | --- |\n");
		done(pr, p);
		pr->table_head = 1;
	}
	if (!f->ip_fixed)
		return;
	p = room(pr, PR_LINE_MAX);
	p = PUTS(p, "| ");
	p = put_u64(p, f->proto);
	p = PUTS(p, " | ");
	p = put_u64(p, now / 1000);
	p = PUTS(p, " | ");
	p = put_addr(p, f, &f->src);
	p = PUTS(p, " | ");
	p = put_u64(p, f->ip_len);
	p = PUTS(p, " |\n");
	done(pr, p);
}

/* ---- --json ------------------------------------------------------------------ */

#define JKEY(p, k) PUTS((p), ",\"" k "\":")

static char *
put_jstr(char *p, const char *s, size_t n)
{
	size_t i;

	*p++ = '"';
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			*p++ = '\\';
			*p++ = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			/* as hdp_json.c does: \u00XX, so every line parses */
			p = PUTS(p, "\\u00");
			*p++ = hexdig[c >> 4];
			*p++ = hexdig[c & 15];
		} else {
			*p++ = (char)c;
		}
	}
	*p++ = '"';
	return p;
}

/* time_ns, ifname, ifindex, direction: what the capture and the link
 * layer say. */
static char *
json_link(struct hdp_printer *pr, char *p, const struct hdp_frame *f,
	  uint64_t now)
{
	int sll = (f->dlt == DLT_LINUX_SLL2 || f->dlt == DLT_LINUX_SLL) &&
		  f->link_len;

	p = PUTS(p, "{\"time_ns\":");
	p = put_u64(p, now);
	p = JKEY(p, "ifname");
	if (f->dlt == DLT_LINUX_SLL2 && f->link_len) {
		const char *name = ifname_of(pr, f->ifindex);

		if (pr->ifc[f->ifindex % HDP_PR_IFCACHE].resolved)
			p = put_jstr(p, name, strlen(name));
		else
			p = PUTS(p, "null");
		p = JKEY(p, "ifindex");
		p = put_u64(p, f->ifindex);
	} else {
		p = PUTS(p, "null");
		p = JKEY(p, "ifindex");
		p = PUTS(p, "null");
	}
	p = JKEY(p, "direction");
	if (sll) {
		const char *d = dir_word(f->pkttype);

		return put_jstr(p, d, strlen(d));
	}
	return PUTS(p, "null");
}

/* ip_version, src, dst, proto, ttl, tos, ip_id, ip_len (the datagram's
 * length, header included). */
static char *
json_ip(char *p, const struct hdp_frame *f)
{
	p = JKEY(p, "ip_version");
	if (f->ip_version != 0)
		*p++ = (char)('0' + f->ip_version);
	else
		p = PUTS(p, "null");
	if (!f->ip_fixed)
		return PUTS(p, ",\"src\":null,\"dst\":null,\"proto\":null,"
			    "\"ttl\":null,\"tos\":null,\"ip_id\":null,"
			    "\"ip_len\":null");
	p = JKEY(p, "src");
	*p++ = '"';
	p = put_addr(p, f, &f->src);
	*p++ = '"';
	p = JKEY(p, "dst");
	*p++ = '"';
	p = put_addr(p, f, &f->dst);
	*p++ = '"';
	p = JKEY(p, "proto");
	p = put_u64(p, f->proto);
	p = JKEY(p, "ttl");
	p = put_u64(p, f->ttl);
	p = JKEY(p, "tos");
	p = put_u64(p, f->tos);
	p = JKEY(p, "ip_id");
	if (f->ip_version == 4)
		p = put_u64(p, f->ip_id);
	else
		p = PUTS(p, "null");
	p = JKEY(p, "ip_len");
	return put_u64(p, f->ip_len);
}

/* The captured payload as hex, in chunks (it may be 256 KiB); returns
 * where to go on writing, with PR_JSON_MAX bytes of room. */
static char *
json_payload_hex(struct hdp_printer *pr, char *p, const uint8_t *b, size_t n)
{
	size_t i, k, m;

	*p++ = '"';
	done(pr, p);
	for (i = 0; i < n; i += m) {
		m = n - i < HEX_CHUNK ? n - i : HEX_CHUNK;
		p = room(pr, 2 * HEX_CHUNK);
		for (k = 0; k < m; k++) {
			*p++ = hexdig[b[i + k] >> 4];
			*p++ = hexdig[b[i + k] & 15];
		}
		done(pr, p);
	}
	p = room(pr, PR_JSON_MAX);
	*p++ = '"';
	return p;
}

/* sport, dport, hdp_ts_ns, latency_ns, len (the payload at the layer
 * printed, as the line's len), payload_hex. */
static char *
json_l4(struct hdp_printer *pr, char *p, const uint8_t *pkt,
	const struct pr_fields *x)
{
	p = JKEY(p, "sport");
	if (x->has_ports) {
		p = put_u64(p, x->sport);
		p = JKEY(p, "dport");
		p = put_u64(p, x->dport);
	} else {
		p = PUTS(p, "null,\"dport\":null");
	}
	p = JKEY(p, "hdp_ts_ns");
	if (x->has_hdp) {
		p = put_u64(p, x->hdp_ts);
		p = JKEY(p, "latency_ns");
		if (x->has_latency)
			p = put_i64(p, x->latency);
		else
			p = PUTS(p, "null");
	} else {
		p = PUTS(p, "null,\"latency_ns\":null");
	}
	p = JKEY(p, "len");
	if (x->has_len)
		p = put_u64(p, x->len);
	else
		p = PUTS(p, "null");
	p = JKEY(p, "payload_hex");
	if (!x->has_hdp)
		return PUTS(p, "null");
	return json_payload_hex(pr, p, pkt + x->payload_off,
				x->payload_caplen);
}

/* One object per packet; every key always present (null when the
 * packet holds no such field), in this order. */
static void
print_json(struct hdp_printer *pr, const struct hdp_frame *f,
	   const uint8_t *pkt, const struct pcap_pkthdr *h,
	   const struct pr_fields *x, uint64_t now)
{
	char *p = room(pr, PR_JSON_MAX);

	p = json_link(pr, p, f, now);
	p = json_ip(p, f);
	p = json_l4(pr, p, pkt, x);
	p = JKEY(p, "caplen");
	p = put_u64(p, h->caplen);
	p = JKEY(p, "frame_len");
	p = put_u64(p, h->len);
	p = JKEY(p, "status");
	p = put_jstr(p, hdp_status_name(f->status),
		     strlen(hdp_status_name(f->status)));
	p = JKEY(p, "truncated");
	p = f->status == HDP_ST_TRUNCATED ? PUTS(p, "true") : PUTS(p, "false");
	p = JKEY(p, "error");
	if (f->status != HDP_ST_OK)
		p = put_jstr(p, f->err, strnlen(f->err, sizeof(f->err)));
	else
		p = PUTS(p, "null");
	p = PUTS(p, "}\n");
	done(pr, p);
}

/* ---- ICMP and ICMPv6 errors ----------------------------------------------------- */

/*
 * An ICMP or ICMPv6 error (destination unreachable, time exceeded,
 * parameter problem, packet too big) is shown as tcpdump 4.99 shows it
 * (print-icmp.c, print-icmp6.c: "ICMP 10.0.3.2 protocol 255 unreachable,
 * length 45"), then, indented by a tab on a line of its own as tcpdump -v
 * puts the quoted datagram, the packet it quotes: addresses, ports and,
 * for HDP, the timestamp.  hdp_icmp_error_parse() checks every byte of
 * the quote against the captured length; the fields used here are only
 * those it proved present (inner.ip_fixed, has_hdp, l4 and l4_len).
 */

/* tcpdump's words for an IPv4 unreachable code whose text is only the
 * quoted destination between a prefix and a suffix. */
static const struct {
	uint8_t code;
	const char *pre, *post;
} unreach4[] = {
	{ 0, "net ", " unreachable" },
	{ 1, "host ", " unreachable" },
	{ 5, "", " unreachable - source route failed" },
	{ 6, "net ", " unreachable - unknown" },
	{ 7, "host ", " unreachable - unknown" },
	{ 8, "", " unreachable - source host isolated" },
	{ 9, "net ", " unreachable - admin prohibited" },
	{ 10, "host ", " unreachable - admin prohibited" },
	{ 11, "net ", " unreachable - tos prohibited" },
	{ 12, "host ", " unreachable - tos prohibited" },
	{ 13, "host ", " unreachable - admin prohibited filter" },
	{ 14, "host ", " unreachable - host precedence violation" },
	{ 15, "host ", " unreachable - precedence cutoff" },
	{ 255, NULL, NULL }
};

/* The quoted datagram's destination port (UDP, TCP, HDP: the second
 * 16-bit word of the transport header), or -1 when not quoted. */
static int
icmp_quoted_dport(const struct hdp_icmp_err *e)
{
	if (e->l4 == NULL || e->l4_len < 4 ||
	    (e->inner.is_fragment && e->inner.frag_off != 0))
		return -1;
	return (int)(e->l4[2] << 8 | e->l4[3]);
}

/* "10.0.3.2 protocol 255 port 421 unreachable" and tcpdump's forms for
 * TCP and UDP; dst is the quoted destination. */
static void
icmp_port_text(char *w, size_t n, const struct hdp_icmp_err *e,
	       const char *dst)
{
	int dport = icmp_quoted_dport(e);
	uint8_t proto = e->inner.proto;

	if (dport < 0)
		snprintf(w, n, "%s protocol %u port unreachable [|icmp]", dst,
			 proto);
	else if (proto == 6 || proto == 17)
		snprintf(w, n, "%s %s port %d unreachable", dst,
			 proto == 6 ? "tcp" : "udp", dport);
	else
		snprintf(w, n, "%s protocol %u port %d unreachable", dst,
			 proto, dport);
}

/* The text after "ICMP " for an IPv4 error. */
static void
icmp4_text(char *w, size_t n, const struct hdp_icmp_err *e,
	   const char *dst)
{
	size_t i;

	switch (e->type) {
	case 3:
		if (e->code == 2) {
			snprintf(w, n, "%s protocol %u unreachable", dst,
				 e->inner.proto);
			return;
		}
		if (e->code == 3) {
			icmp_port_text(w, n, e, dst);
			return;
		}
		if (e->code == 4) {
			if (e->info & 0xffff)
				snprintf(w, n, "%s unreachable - need to frag "
					 "(mtu %u)", dst,
					 (unsigned)(e->info & 0xffff));
			else
				snprintf(w, n, "%s unreachable - need to "
					 "frag", dst);
			return;
		}
		for (i = 0; unreach4[i].pre != NULL; i++) {
			if (unreach4[i].code == e->code) {
				snprintf(w, n, "%s%s%s", unreach4[i].pre, dst,
					 unreach4[i].post);
				return;
			}
		}
		snprintf(w, n, "#%u %s unreachable", e->code, dst);
		return;
	case 11:
		if (e->code <= 1)
			snprintf(w, n, "%s", e->code == 0 ?
				 "time exceeded in-transit" :
				 "ip reassembly time exceeded");
		else
			snprintf(w, n, "time exceeded-#%u", e->code);
		return;
	default:	/* 12, parameter problem */
		if (e->code == 0)
			snprintf(w, n, "parameter problem - octet %u",
				 (unsigned)(e->info >> 24));
		else
			snprintf(w, n, "parameter problem - code %u", e->code);
		return;
	}
}

/* The text after "ICMP6, " for an IPv6 error; src and dst are the
 * quoted addresses. */
static void
icmp6_text(char *w, size_t n, const struct hdp_icmp_err *e,
	   const char *src, const char *dst)
{
	static const char *const unreach[] = {
		"unreachable route", " unreachable prohibited",
		"beyond scope", "unreachable address", "unreachable port"
	};
	static const char *const param[] = {
		"erroneous", "next header", "option", "incomplete header chain"
	};
	char port[160];

	switch (e->type) {
	case 1:
		if (e->code > 4) {
			snprintf(w, n, "destination unreachable, unknown "
				 "unreach code (%u)", e->code);
		} else if (e->code == 2) {
			snprintf(w, n, "destination unreachable, %s %s, source "
				 "address %s", unreach[2], dst, src);
		} else if (e->code == 4) {
			icmp_port_text(port, sizeof(port), e, dst);
			snprintf(w, n, "destination unreachable, %s, %s",
				 unreach[4], port);
		} else {
			snprintf(w, n, "destination unreachable, %s %s",
				 unreach[e->code], dst);
		}
		return;
	case 2:
		snprintf(w, n, "packet too big, mtu %u", (unsigned)e->info);
		return;
	case 3:
		if (e->code == 0)
			snprintf(w, n, "time exceeded in-transit for %s", dst);
		else if (e->code == 1)
			snprintf(w, n, "time exceeded in-transit "
				 "(reassembly)");
		else
			snprintf(w, n, "time exceeded in-transit, unknown "
				 "code (%u)", e->code);
		return;
	default:	/* 4, parameter problem */
		if (e->code < 4)
			snprintf(w, n, "parameter problem, %s - octet %u",
				 param[e->code], (unsigned)e->info);
		else
			snprintf(w, n, "parameter problem, code %u - octet %u",
				 e->code, (unsigned)e->info);
		return;
	}
}

/* The quoted datagram: "IP 10.0.1.2.420 > 10.0.3.2.421: HDP ts N
 * latency L len N", "IP6 ...: UDP len N", "IP ...: ip-proto-N len N";
 * a transport header cut by the quote ends in tcpdump's "[|proto]". */
static char *
put_quoted(const struct hdp_printer *pr, char *p,
	   const struct hdp_icmp_err *e, uint64_t now)
{
	const struct hdp_frame *q = &e->inner;
	int ports = icmp_quoted_dport(e) >= 0 && (q->proto == HDP_PROTO ||
						  q->proto == 6 ||
						  q->proto == 17);
	int64_t lat;

	p = q->ip_version == 4 ? PUTS(p, "IP ") : PUTS(p, "IP6 ");
	/* tcpdump -v shows a quoted IPv4 header's fields too */
	if (pr->verbose && q->ip_version == 4 && q->ip_fixed)
		p = put_ip4_v(p, q, e->quote, e->quote_len);
	p = put_addr(p, q, &q->src);
	if (ports) {
		*p++ = '.';
		p = put_u64(p, hdp_rd16(e->l4));
	}
	p = PUTS(p, " > ");
	p = put_addr(p, q, &q->dst);
	if (ports) {
		*p++ = '.';
		p = put_u64(p, hdp_rd16(e->l4 + 2));
	}
	p = PUTS(p, ": ");
	if (q->is_fragment && q->frag_off != 0) {
		/* a later fragment: no transport header to show */
		if (q->proto == HDP_PROTO) {
			p = PUTS(p, "HDP ");
		} else {
			p = PUTS(p, "ip-proto-");
			p = put_u64(p, q->proto);
			*p++ = ' ';
		}
		return put_frag(p, q) - 1;
	}
	if (q->proto == HDP_PROTO) {
		p = PUTS(p, "HDP ");
		if (!q->has_hdp)
			return PUTS(p, "[|hdp]");
		p = PUTS(p, "ts ");
		p = put_u64(p, q->hdp.ts_ns);
		p = PUTS(p, " latency ");
		if (ns_diff(now, q->hdp.ts_ns, &lat) == 0)
			p = put_latency(p, lat);
		else
			*p++ = '-';
		p = PUTS(p, " len ");
		return put_u64(p, q->payload_len);
	}
	if (q->proto == 6 || q->proto == 17)
		p = q->proto == 6 ? PUTS(p, "TCP ") : PUTS(p, "UDP ");
	else {
		p = PUTS(p, "ip-proto-");
		p = put_u64(p, q->proto);
		*p++ = ' ';
	}
	if (!ports && (q->proto == 6 || q->proto == 17))
		return q->proto == 6 ? PUTS(p, "[|tcp]") : PUTS(p, "[|udp]");
	p = PUTS(p, "len ");
	return put_u64(p, q->l4_len);
}

/* The text of an error, as the line and --json show it. */
static void
icmp_what(char *w, size_t n, const struct hdp_icmp_err *e)
{
	char src[48], dst[48];

	src[put_addr(src, &e->inner, &e->inner.src) - src] = '\0';
	dst[put_addr(dst, &e->inner, &e->inner.dst) - dst] = '\0';
	if (e->inner.ip_version == 4)
		icmp4_text(w, n, e, dst);
	else
		icmp6_text(w, n, e, src, dst);
}

static void
print_icmp_line(struct hdp_printer *pr, const struct hdp_frame *f,
		const uint8_t *pkt, const struct pcap_pkthdr *h,
		const struct hdp_icmp_err *e, uint64_t now)
{
	char *p = room(pr, PR_LINE_MAX), what[256];
	size_t n;

	icmp_what(what, sizeof(what), e);
	p = put_line_head(pr, p, f, pkt, h, now);
	p = put_ip_head(pr, p, f, pkt, h->caplen);
	p = put_addr(p, f, &f->src);
	p = PUTS(p, " > ");
	p = put_addr(p, f, &f->dst);
	p = f->ip_version == 4 ? PUTS(p, ": ICMP ") : PUTS(p, ": ICMP6, ");
	n = strnlen(what, sizeof(what));
	p = put(p, what, n);
	p = PUTS(p, ", length ");
	p = put_u64(p, f->l4_len);
	p = put_err(p, f, 1);
	p = PUTS(p, "\n\t");
	p = put_quoted(pr, p, e, now);
	*p++ = '\n';
	done(pr, p);
}

/*
 * --json: the error's fields added to the packet's object, which
 * print_json() has just closed with "}\n": icmp_type, icmp_code,
 * icmp_error (hdp_icmp_err_name's word), icmp_text (tcpdump's text) and
 * "quoted": the quoted datagram's src, dst, proto, ttl, ip_len, sport,
 * dport, ts_ns, len (the HDP payload's length; null where the quote
 * holds no such field)
 * and truncated (the quote ends before the datagram did).
 */
static void
print_icmp_json(struct hdp_printer *pr, const struct hdp_icmp_err *e)
{
	const struct hdp_frame *q = &e->inner;
	int dport = icmp_quoted_dport(e);
	const char *name;
	char what[256], *p;

	if (pr->len < 2 || memcmp(pr->buf + pr->len - 2, "}\n", 2) != 0)
		return;		/* not our object to extend */
	pr->len -= 2;
	icmp_what(what, sizeof(what), e);
	name = hdp_icmp_err_name(q->ip_version == 6 ? AF_INET6 : AF_INET,
				 e->type, e->code);
	p = room(pr, PR_JSON_MAX);
	p = JKEY(p, "icmp_type");
	p = put_u64(p, e->type);
	p = JKEY(p, "icmp_code");
	p = put_u64(p, e->code);
	p = JKEY(p, "icmp_error");
	p = put_jstr(p, name, strlen(name));
	p = JKEY(p, "icmp_text");
	p = put_jstr(p, what, strnlen(what, sizeof(what)));
	p = PUTS(p, ",\"quoted\":{\"src\":\"");
	p = put_addr(p, q, &q->src);
	p = PUTS(p, "\",\"dst\":\"");
	p = put_addr(p, q, &q->dst);
	p = PUTS(p, "\"");
	p = JKEY(p, "proto");
	p = put_u64(p, q->proto);
	p = JKEY(p, "ttl");
	p = put_u64(p, q->ttl);
	p = JKEY(p, "ip_len");
	p = put_u64(p, q->ip_len);
	p = JKEY(p, "sport");
	if (dport >= 0 && (q->proto == HDP_PROTO || q->proto == 6 ||
			   q->proto == 17)) {
		p = put_u64(p, hdp_rd16(e->l4));
		p = JKEY(p, "dport");
		p = put_u64(p, (uint64_t)dport);
	} else {
		p = PUTS(p, "null,\"dport\":null");
	}
	p = JKEY(p, "ts_ns");
	if (q->has_hdp) {
		p = put_u64(p, q->hdp.ts_ns);
		p = JKEY(p, "len");
		p = put_u64(p, q->payload_len);
	} else {
		p = PUTS(p, "null,\"len\":null");
	}
	p = JKEY(p, "truncated");
	p = q->status == HDP_ST_OK ? PUTS(p, "false") : PUTS(p, "true");
	p = PUTS(p, "}}\n");
	done(pr, p);
}

/* ---- entry points -------------------------------------------------------------- */

int
hdp_printer_init(struct hdp_printer *pr, FILE *out, enum hdp_pr_mode mode,
		 int dlt)
{
	memset(pr, 0, sizeof(*pr));
	pr->out = out;
	pr->mode = mode;
	pr->dlt = dlt;
	pr->ts_digits = 6;
	pr->ts_nano = 1;
	pr->cap = PR_BUFSIZE;
	pr->buf = malloc(pr->cap);
	return pr->buf != NULL ? 0 : -1;
}

int
hdp_printer_clone(struct hdp_printer *dst, const struct hdp_printer *src,
		  size_t cap)
{
	*dst = *src;
	dst->out = NULL;
	dst->grow = 1;
	dst->error = 0;
	memset(&dst->n, 0, sizeof(dst->n));
	dst->tm_valid = 0;
	memset(dst->ifc, 0, sizeof(dst->ifc));
	dst->len = 0;
	dst->cap = cap;
	dst->buf = malloc(cap);
	return dst->buf != NULL ? 0 : -1;
}

char *
hdp_printer_take(struct hdp_printer *pr, size_t *len, char *fresh,
		 size_t fresh_cap)
{
	char *b = pr->buf;

	*len = pr->len;
	pr->buf = fresh;
	pr->cap = fresh_cap;
	pr->len = 0;
	return b;
}

void
hdp_printer_head(struct hdp_printer *pr)
{
	struct hdp_frame none;

	if (pr->mode != HDP_PR_TABLE || pr->table_head)
		return;
	memset(&none, 0, sizeof(none));
	print_table(pr, &none, 0);	/* the header; no row: no IP */
}

void
hdp_printer_mark(struct hdp_printer *pr, const struct pcap_pkthdr *h)
{
	uint64_t now = cap_time_ns(pr, h);

	if (!pr->t_ref) {
		pr->t_first = now;
		pr->t_ref = 1;
	}
	pr->t_prev = now;
}

void
hdp_print_packet(struct hdp_printer *pr, const struct pcap_pkthdr *h,
		 const uint8_t *pkt)
{
	struct hdp_frame f;
	struct udp_view u;
	struct pr_fields x;
	struct hdp_icmp_err e;
	uint64_t now = cap_time_ns(pr, h);
	int icmp;

	hdp_decode_frame(pr->dlt, pkt, h->caplen, h->len, &f);
	pr->n.packets++;
	switch (f.status) {
	case HDP_ST_TRUNCATED:   pr->n.truncated++; break;
	case HDP_ST_MALFORMED:   pr->n.malformed++; break;
	case HDP_ST_UNSUPPORTED: pr->n.unsupported++; break;
	default: break;
	}
	if (f.has_hdp)
		pr->n.hdp++;
	else if (f.ip_version != 0 && f.proto != HDP_PROTO)
		pr->n.other++;
	if (f.ip_version != 0)
		pr->n.bytes += f.ip_len;
	if (pr->mode == HDP_PR_QUIET)
		return;
	udp_view(&f, pkt, &u);
	fields_of(&f, &u, now, &x);
	/* an ICMP error shows what it quotes (hdp sniff --icmp) */
	icmp = (f.proto == 1 || f.proto == 58) &&
	       hdp_icmp_error_parse(&f, pkt, h->caplen, &e) == 0;

	switch (pr->mode) {
	case HDP_PR_JSON:
		print_json(pr, &f, pkt, h, &x, now);
		if (icmp)
			print_icmp_json(pr, &e);
		return;		/* no dump after JSON */
	case HDP_PR_TABLE:
		print_table(pr, &f, now);
		break;
	default:
		if (icmp)
			print_icmp_line(pr, &f, pkt, h, &e, now);
		else
			print_line(pr, &f, pkt, h, &u, &x, now);
		if (pr->mode == HDP_PR_VERBOSE)
			print_verbose(pr, &f, pkt, &u, &x, now);
		break;
	}
	if (pr->dump != HDP_PR_DUMP_NONE)
		print_dump(pr, pkt, h->caplen);
}

int
hdp_printer_finish(struct hdp_printer *pr)
{
	int rc;

	hdp_printer_head(pr);
	rc = hdp_printer_flush(pr);
	free(pr->buf);
	pr->buf = NULL;
	pr->cap = pr->len = 0;
	return rc;
}
