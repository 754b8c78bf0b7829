/*
 * hdp_dump.h: pcap files written so that they stay valid when a write
 * fails (a full disk, an I/O error): the file then ends on a record
 * boundary and holds only whole packets, and the error says how many it
 * kept and how many were lost.
 *
 * libpcap's pcap_dump() writes every record.  Records are gathered in a
 * stdio buffer of known size and flushed only whole, so stdio never
 * writes part of a record on its own; when a flush fails, the file is
 * truncated back to where the last successful flush ended and nothing is
 * written to it again.
 */
#ifndef HDP_DUMP_H
#define HDP_DUMP_H

#include <pcap/pcap.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

struct hdp_dump;

/*
 * Create path with hdp_file_create() (no symlinks, no clobbering unless
 * force; "-" is standard output) as a pcap file with nanosecond
 * timestamps for link type dlt (snaplen <= 0: 262144), and write its
 * file header at once, so that an empty capture is already a valid one.
 * NULL and one line in err on error, errno saying why as for
 * hdp_file_create (a header that cannot be written: "PATH: write failed:
 * REASON", with that errno).
 */
struct hdp_dump *hdp_dump_open(const char *path, int dlt, int snaplen,
			       int force, char *err, size_t errlen);

/*
 * The same on f, a file already created with hdp_file_create() (before
 * privileges were dropped, when the link type was not known yet); "path"
 * names it in messages.  f is the dumper's from then on, closed with it
 * (or here, on failure; stdout is never closed).
 */
struct hdp_dump *hdp_dump_fopen(FILE *f, const char *path, int dlt,
				int snaplen, char *err, size_t errlen);

/*
 * Add one packet (h->caplen bytes of bytes).  0; -1 once a write has
 * failed, this time or before: the file then ends after the last whole
 * packet written, and this packet and every one after it is counted as
 * lost.  The caller should stop and report with hdp_dump_close().
 */
int hdp_dump_packet(struct hdp_dump *d, const struct pcap_pkthdr *h,
		    const u_char *bytes);

/* Write out the packets buffered (sniff -U); 0, or -1 as above. */
int hdp_dump_flush(struct hdp_dump *d);

/* Bytes in the file once the packets buffered are written (-C). */
uint64_t hdp_dump_size(const struct hdp_dump *d);

/*
 * Flush, close and free d (NULL: nothing).  0 when every packet is in
 * the file; -1 when a write failed, with one line in err (err may be
 * NULL when the caller has already failed otherwise):
 *   "PATH: write failed: REASON; N packets kept, M lost"
 * and, when the file could not be cut back to its last whole packet (a
 * pipe or a device), "; cannot truncate it to the last whole packet:
 * REASON" after that.
 */
int hdp_dump_close(struct hdp_dump *d, char *err, size_t errlen);

#endif /* HDP_DUMP_H */
