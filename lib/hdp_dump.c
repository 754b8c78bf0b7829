/*
 * hdp_dump.c: pcap files that stay valid when the disk fills (hdp_dump.h).
 *
 * The dumper's FILE gets a buffer of BUF_SIZE bytes of ours.  Before a
 * record is handed to pcap_dump(), the buffer is flushed if the record
 * would not fit in what is left of it; stdio therefore only writes when
 * we flush, and every flush ends on a record boundary.  The offset and
 * the packet count at the last successful flush are kept: when a flush
 * fails (perhaps after writing part of the buffer), the buffer is
 * dropped and the file truncated back to that offset.  A record larger
 * than the buffer is flushed before and after, so it is kept or cut
 * back as a whole too.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "hdp_dump.h"
#include "hdp_file.h"

#define DEFAULT_SNAPLEN 262144

/* Large enough that the write(2) calls cost little next to pcap_dump()
 * itself (bench: a 1M-packet file), small enough that a full disk loses
 * little: what is lost is at most one buffer. */
#define BUF_SIZE (16 * 1024)

/* What pcap_dump() writes before each packet: struct pcap_sf_pkthdr
 * (two 32-bit time fields, caplen, len), not exported by libpcap. */
#define RECORD_HDR_LEN 16

struct hdp_dump {
	pcap_dumper_t *pd;
	FILE     *f;
	char     *buf;           /* the FILE's buffer, BUF_SIZE bytes       */
	size_t    buffered;      /* bytes of whole records in buf           */
	uint64_t  buffered_pkts;
	off_t     start;         /* file offset of the header; -1: a pipe   */
	uint64_t  flushed;       /* bytes written from there, all whole     */
	uint64_t  kept;          /* packets in those bytes                  */
	uint64_t  lost;          /* packets handed over but not in the file */
	int       err;           /* errno of the failed write; 0: none yet  */
	int       trunc_err;     /* errno of a failed ftruncate; 0: none    */
	char      path[];
};

/* A write failed: keep the file as it was at the last good flush. */
static int
fail(struct hdp_dump *d, int e)
{
	d->err = e != 0 ? e : EIO;
	d->lost += d->buffered_pkts;
	d->buffered_pkts = 0;
	d->buffered = 0;
	/* what stdio still holds must not reach the file at fclose */
	__fpurge(d->f);
	if (d->start < 0)
		d->trunc_err = ESPIPE;
	else if (ftruncate(fileno(d->f), d->start + (off_t)d->flushed) != 0)
		d->trunc_err = errno;
	return -1;
}

static int
flush(struct hdp_dump *d)
{
	errno = 0;
	if (pcap_dump_flush(d->pd) != 0 || ferror(d->f))
		return fail(d, errno);
	d->flushed += d->buffered;
	d->kept += d->buffered_pkts;
	d->buffered = 0;
	d->buffered_pkts = 0;
	return 0;
}

/* Where the file header goes: the end of a file opened for appending (a
 * shell's >>), else the current offset; -1 for a pipe or a socket. */
static off_t
start_offset(int fd)
{
	struct stat st;
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0 && (fl & O_APPEND) && fstat(fd, &st) == 0 &&
	    S_ISREG(st.st_mode))
		return st.st_size;
	return lseek(fd, 0, SEEK_CUR);
}

/* The file in messages: "-" is standard output. */
static const char *
name(const struct hdp_dump *d)
{
	return d->f == stdout ? "standard output" : d->path;
}

static void
dump_free(struct hdp_dump *d)
{
	pcap_dump_close(d->pd);
	free(d->buf);
	free(d);
}

struct hdp_dump *
hdp_dump_fopen(FILE *f, const char *path, int dlt, int snaplen, char *err,
	       size_t errlen)
{
	size_t n = strlen(path) + 1;
	struct hdp_dump *d;
	pcap_t *dead;
	int e;

	d = calloc(1, sizeof(*d) + n);
	if (d == NULL || (d->buf = malloc(BUF_SIZE)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail_file;
	}
	memcpy(d->path, path, n);
	d->f = f;
	d->start = start_offset(fileno(f));
	/* before pcap_dump_fopen() writes the file header: setvbuf must
	 * come before any output */
	if (setvbuf(f, d->buf, _IOFBF, BUF_SIZE) != 0) {
		snprintf(err, errlen, "%s: cannot set a write buffer", path);
		goto fail_file;
	}
	dead = pcap_open_dead_with_tstamp_precision(dlt, snaplen > 0 ?
			snaplen : DEFAULT_SNAPLEN, PCAP_TSTAMP_PRECISION_NANO);
	if (dead == NULL) {
		snprintf(err, errlen, "%s: cannot make a pcap writer", path);
		goto fail_file;
	}
	d->pd = pcap_dump_fopen(dead, f);
	if (d->pd == NULL)
		snprintf(err, errlen, "%s: %s", path, pcap_geterr(dead));
	/* the dumper keeps what it needs from the dead handle */
	pcap_close(dead);
	if (d->pd == NULL)
		goto fail_file;

	/* the header, which pcap_dump_fopen() put in the buffer, now: a
	 * file that gets no packet is still a capture, and a disk with no
	 * room for it is refused before any packet */
	d->buffered = sizeof(struct pcap_file_header);
	if (flush(d) != 0) {
		e = d->err;
		snprintf(err, errlen, "%s: write failed: %s", name(d),
			 strerror(e));
		dump_free(d);
		errno = e;
		return NULL;
	}
	return d;

fail_file:
	e = errno;
	if (f != stdout)
		fclose(f);	/* before freeing the buffer it may still use */
	if (d != NULL)
		free(d->buf);
	free(d);
	errno = e;
	return NULL;
}

struct hdp_dump *
hdp_dump_open(const char *path, int dlt, int snaplen, int force, char *err,
	      size_t errlen)
{
	FILE *f = hdp_file_create(path, force, err, errlen);

	if (f == NULL)
		return NULL;
	return hdp_dump_fopen(f, path, dlt, snaplen, err, errlen);
}

int
hdp_dump_packet(struct hdp_dump *d, const struct pcap_pkthdr *h,
		const u_char *bytes)
{
	size_t rec = RECORD_HDR_LEN + (size_t)h->caplen;

	if (d->err == 0 && d->buffered + rec > BUF_SIZE && d->buffered > 0)
		flush(d);
	if (d->err != 0) {
		d->lost++;
		return -1;
	}
	errno = 0;
	pcap_dump((u_char *)d->pd, h, bytes);
	d->buffered += rec;
	d->buffered_pkts++;
	/* only a record larger than the buffer makes stdio write by itself */
	if (ferror(d->f))
		return fail(d, errno);
	if (rec > BUF_SIZE)
		return flush(d);
	return 0;
}

int
hdp_dump_flush(struct hdp_dump *d)
{
	if (d->err != 0)
		return -1;
	return d->buffered > 0 ? flush(d) : 0;
}

uint64_t
hdp_dump_size(const struct hdp_dump *d)
{
	return d->flushed + d->buffered;
}

int
hdp_dump_close(struct hdp_dump *d, char *err, size_t errlen)
{
	size_t n;

	if (d == NULL)
		return 0;
	if (hdp_dump_flush(d) == 0) {
		dump_free(d);
		return 0;
	}
	if (err != NULL) {
		snprintf(err, errlen, "%s: write failed: %s; %llu packet%s "
			 "kept, %llu lost", name(d), strerror(d->err),
			 (unsigned long long)d->kept, d->kept == 1 ? "" : "s",
			 (unsigned long long)d->lost);
		n = strlen(err);
		if (d->trunc_err != 0)
			snprintf(err + n, errlen - n, "; cannot truncate it "
				 "to the last whole packet: %s",
				 strerror(d->trunc_err));
	}
	dump_free(d);
	return -1;
}
