/*
 * hdp/print.h: print packets the way hdp sniff does, in each of its
 * output forms, to a stdio stream or into a caller's buffer.
 *
 *     char errbuf[HDP_ERRBUF_SIZE];
 *     hdp_print_t *pr = hdp_print_open(stdout, HDP_FORM_LINE,
 *                                      pcap_datalink(p), 0, errbuf);
 *     ... for every packet read with libpcap:
 *     hdp_print_frame(pr, bytes, h->caplen, h->len,
 *                     hdp_pcap_time_ns(h, 0));
 *     hdp_print_close(pr);
 *
 * Every frame is decoded with hdp_decode_frame(); the printer reads the
 * packet only where the decoder proved it was captured.  Text that came
 * from a packet is escaped (\xNN) so no capture can write terminal
 * control sequences.  A printer handle is not shared between threads.
 */
#ifndef HDP_PRINT_H_PUBLIC
#define HDP_PRINT_H_PUBLIC

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <hdp/hdp.h>

/* The output forms, with the hdp sniff option that shows each. */
enum hdp_form {
	HDP_FORM_LINE = 0, /* one line per packet, tcpdump's manner         */
	HDP_FORM_VERBOSE,  /* the line, then the multi-line decode          */
			   /* (hdp sniff --decode)                          */
	HDP_FORM_TABLE,    /* the original server's markdown table row      */
			   /* (--table); the header comes before the first  */
	HDP_FORM_JSON,     /* one JSON object per line (--json)             */
	HDP_FORM_HEX       /* the line, then hex and ASCII from the IP      */
			   /* header on (-X)                                */
};

/* Flags for hdp_print_open(): the time stamp at the start of a line. */
#define HDP_PRINT_NOTIME 0x1u  /* none (-t)                               */
#define HDP_PRINT_EPOCH  0x2u  /* seconds since the epoch (-tt); default: */
			       /* local time of day, as tcpdump           */
#define HDP_PRINT_NANO   0x4u  /* 9 decimals instead of 6 (--nano)        */

typedef struct hdp_print hdp_print_t;

/* What a printer saw (every form). */
struct hdp_print_stats {
	uint64_t packets;      /* frames printed                          */
	uint64_t hdp;          /* with an HDP header decoded              */
	uint64_t other;        /* IP, but another protocol                */
	uint64_t truncated;
	uint64_t malformed;
	uint64_t unsupported;
	uint64_t bytes;        /* sum of IP datagram lengths              */
};

/*
 * A printer of frames of link type dlt (pcap's DLT_* value) in form, to
 * out (which stays the caller's: hdp_print_close() does not close it).
 * out may be NULL for a printer used only with hdp_print_frame_buf().
 * NULL with the reason in errbuf (HDP_ERRBUF_SIZE bytes) on error.
 */
hdp_print_t *hdp_print_open(FILE *out, enum hdp_form form, int dlt,
			    unsigned flags, char *errbuf);

/*
 * Decode and print one frame: caplen bytes captured of wirelen on the
 * wire, captured at ts_ns (nanoseconds since the epoch).  Text is
 * buffered; it reaches out by hdp_print_flush() or hdp_print_close(), or
 * when the buffer fills.  0, or -1 when a write to out failed
 * (hdp_print_geterr() says why).
 */
int hdp_print_frame(hdp_print_t *pr, const uint8_t *pkt, size_t caplen,
		    size_t wirelen, uint64_t ts_ns);

/*
 * The same text for one frame into buf instead, with snprintf's
 * contract: at most buflen - 1 characters and a NUL; returns the length
 * of the whole text (a return >= buflen means it was cut), or -1 on
 * error (no memory; hdp_print_geterr()).  A cut frame counts as not
 * printed (counts, the table's header and -ttt's previous time stay as
 * they were), so buf NULL and buflen 0 measure, and a second call with
 * a buffer that large prints the same text.
 */
int hdp_print_frame_buf(hdp_print_t *pr, const uint8_t *pkt, size_t caplen,
			size_t wirelen, uint64_t ts_ns, char *buf,
			size_t buflen);

/* Write what is buffered to out and fflush it; 0, or -1 on error. */
int hdp_print_flush(hdp_print_t *pr);

/* The counts so far. */
void hdp_print_stats(const hdp_print_t *pr, struct hdp_print_stats *st);

/* The last error of pr, as text ("" when none). */
const char *hdp_print_geterr(hdp_print_t *pr);

/* Flush (a table with no rows still gets its header) and free pr.
 * 0, or -1 when a write failed. */
int hdp_print_close(hdp_print_t *pr);

#endif /* HDP_PRINT_H_PUBLIC */
