/*
 * hdp_print.h: packet printers for captured frames, the way hdp sniff
 * shows them (and any other subcommand that wants the same lines).
 *
 * Every frame is decoded with hdp_decode_frame(); the printers read packet
 * bytes only through what the decoder proved is inside the capture.  Text
 * is formatted into one large buffer owned by the printer and written with
 * fwrite() in big blocks: the default one-line output and --json format
 * numbers and addresses by hand, with no printf per field, so reading a
 * large capture is not bound by stdio.
 *
 *     struct hdp_printer pr;
 *     hdp_printer_init(&pr, stdout, HDP_PR_LINE, DLT_RAW);
 *     hdp_print_packet(&pr, hdr, bytes);   ... for every packet
 *     hdp_printer_finish(&pr);             flush, free
 */
#ifndef HDP_PRINT_H
#define HDP_PRINT_H

#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

#include <hdp/hdp.h>

enum hdp_pr_mode {
	HDP_PR_LINE = 0,  /* one line per packet, tcpdump's manner        */
	HDP_PR_VERBOSE,   /* the line, then the original server's         */
			  /* multi-line decode (hdp sniff --decode)       */
	HDP_PR_TABLE,     /* the original server's markdown table row     */
	HDP_PR_JSON,      /* one JSON object per line                     */
	HDP_PR_QUIET      /* nothing per packet: counts only (--count)    */
};

/* The time stamp at the start of each line, as tcpdump's -t options. */
enum hdp_pr_time {
	HDP_PR_TIME_LOCAL = 0, /* HH:MM:SS.frac in local time (tcpdump)    */
	HDP_PR_TIME_NONE,      /* -t                                        */
	HDP_PR_TIME_EPOCH,     /* -tt: seconds.frac since the epoch         */
	HDP_PR_TIME_DELTA,     /* -ttt: since the previous packet printed   */
	HDP_PR_TIME_DATE,      /* -tttt: YYYY-MM-DD HH:MM:SS.frac, local    */
	HDP_PR_TIME_FIRST      /* -ttttt: since the first packet printed    */
};

/* The bytes shown after each line, as tcpdump's -x/-xx/-X/-XX/-A. */
enum hdp_pr_dump {
	HDP_PR_DUMP_NONE = 0,
	HDP_PR_DUMP_HEX,        /* -x: hex from the network header on      */
	HDP_PR_DUMP_HEX_LINK,   /* -xx: hex with the link header           */
	HDP_PR_DUMP_HEXA,       /* -X: hex and ASCII, network header on    */
	HDP_PR_DUMP_HEXA_LINK,  /* -XX: hex and ASCII with the link header */
	HDP_PR_DUMP_ASCII       /* -A: ASCII from the network header on    */
};

/* Counts kept while printing (every mode, -q included). */
struct hdp_pr_counts {
	uint64_t packets;     /* frames handed to hdp_print_packet          */
	uint64_t hdp;         /* with an HDP header decoded                 */
	uint64_t other;       /* IP, but another protocol                   */
	uint64_t truncated;
	uint64_t malformed;
	uint64_t unsupported;
	uint64_t bytes;       /* sum of IP datagram lengths                 */
};

#define HDP_PR_IFCACHE 64

struct hdp_printer {
	FILE    *out;
	enum hdp_pr_mode mode;
	enum hdp_pr_time time;
	int      dlt;
	enum hdp_pr_dump dump; /* -x, -xx, -X, -XX, -A                       */
	int      link;         /* -e: link-level header on each line         */
	int      verbose;      /* -v/-vv/-vvv (1-3): more fields inline,     */
			       /* on the same line, as tcpdump adds them     */
	int      brief;        /* -q: shorter lines                          */
	int      ts_digits;    /* 6 or 9 digits of second fractions          */
	int      ts_nano;      /* the pcap handle's timestamps are in ns     */
	int      ifnames;      /* resolve SLL2 ifindex on this host          */
	int      table_head;   /* table header printed                       */
	int      error;        /* a write failed (errno kept)                */
	int      grow;         /* out is NULL: the buffer grows and the      */
			       /* caller takes the text (hdp_printer_take)  */
	struct hdp_pr_counts n;

	/* output buffer */
	char    *buf;
	size_t   len, cap;

	/* local time of the minute last printed */
	int64_t  tm_base;      /* first second of that minute                */
	int      tm_valid;
	char     tm_hhmm[6];   /* "HH:MM"                                    */
	char     tm_date[11];  /* "YYYY-MM-DD" of that minute (-tttt)        */

	/* -ttt, -ttttt: the previous and the first packet's time */
	uint64_t t_prev, t_first;
	int      t_ref;        /* t_prev and t_first are set                 */

	/* interface names by SLL2 ifindex */
	struct {
		uint32_t index;
		int      resolved;    /* a name from this host, not "ifN" */
		char     name[24];
	} ifc[HDP_PR_IFCACHE];
};

/* 0, or -1 when the buffer cannot be allocated. */
int  hdp_printer_init(struct hdp_printer *pr, FILE *out,
		      enum hdp_pr_mode mode, int dlt);

/* Decode and print one captured frame. */
void hdp_print_packet(struct hdp_printer *pr, const struct pcap_pkthdr *h,
		      const uint8_t *pkt);

/* Write what is buffered; 0, or -1 when a write failed. */
int  hdp_printer_flush(struct hdp_printer *pr);

/* Flush and free the buffer; 0, or -1 when a write failed. */
int  hdp_printer_finish(struct hdp_printer *pr);

/*
 * Printing on several threads (hdp sniff -j): one printer per thread,
 * each a copy of one set up for the output stream.
 *
 * hdp_printer_clone: dst gets src's settings (mode, time, dump, -e, -v,
 * -q, precision, table and time state) and a buffer of its own of cap
 * bytes that grows instead of being written anywhere (dst->grow): the
 * caller takes the text with hdp_printer_take.  Counts start at zero.
 * 0, or -1 when the buffer cannot be allocated.
 *
 * hdp_printer_take: the text printed since the last take (*len bytes,
 * the buffer is the caller's to free); the printer goes on in fresh, a
 * buffer of fresh_cap bytes (malloc'd: the printer may realloc it).
 *
 * hdp_printer_head: what the printer writes once before the first packet
 * (--table's header row), now; nothing in the other modes.
 *
 * hdp_printer_mark: the time columns (-ttt, -ttttt) go on as if a packet
 * with h's time stamp had just been printed.
 *
 * A printer in grow mode that could not grow drops its text and sets
 * error to ENOMEM.
 */
int   hdp_printer_clone(struct hdp_printer *dst,
			const struct hdp_printer *src, size_t cap);
char *hdp_printer_take(struct hdp_printer *pr, size_t *len, char *fresh,
		       size_t fresh_cap);
void  hdp_printer_head(struct hdp_printer *pr);
void  hdp_printer_mark(struct hdp_printer *pr, const struct pcap_pkthdr *h);

/*
 * Formatting helpers, exported for the tests and other printers: each
 * writes into dst (which must have room: 16 bytes for an IPv4 address, 46
 * for IPv6, 21 for a u64) and returns the number of characters written,
 * without a terminating NUL.
 */
size_t hdp_fmt_u64(char *dst, uint64_t v);
size_t hdp_fmt_ip4(char *dst, const uint8_t a[4]);
size_t hdp_fmt_ip6(char *dst, const uint8_t a[16]);   /* RFC 5952 */

/*
 * A latency (or any signed span of nanoseconds) as a person reads it,
 * one decimal in the largest unit that keeps it at 1 or more: "21.2 us",
 * "3.4 ms", "185.3 s" ("-" first when negative).  dst needs 32 bytes.
 * dissect/hdp.lua writes the same text.
 */
size_t hdp_fmt_latency(char *dst, int64_t ns);

/*
 * Text that came from a packet, a file or the user (a payload, an
 * interface name, a string in a --join file) written for a terminal:
 * printable ASCII as it is, every other byte (CR, LF, ESC, bytes >= 0x7f)
 * as \xNN, so no input can move the cursor, forge a line or send an
 * escape sequence.  hdp_fmt_safe needs 4 * n bytes of room in dst.
 */
size_t hdp_fmt_safe(char *dst, const void *s, size_t n);
int    hdp_fput_safe(FILE *f, const void *s, size_t n);

#endif /* HDP_PRINT_H */
