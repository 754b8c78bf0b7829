/*
 * hdp_rotate.h: -w files rotated as tcpdump does it (-C, -G, -W), each
 * one complete: a file is flushed and closed before the next is opened,
 * and a packet is never split between two files.
 *
 * Files are made in two steps, so that they can be created before
 * privileges are dropped and written after (when a capture file's link
 * type is known only once it is read, as nobody): hdp_rot_open() creates
 * the first file -- and for a ring (-C with -W) every file of the ring,
 * kept open, so that the ring can wrap as nobody and no other user can
 * take a name of it -- then hdp_rot_begin() writes the headers and hands
 * back the first file.
 *
 * The caller keeps writing with hdp_dump_packet() on the file it holds;
 * before each packet it asks hdp_rot_next(), which may close that file
 * and hand back the next one.  At the end the caller closes the last file
 * with hdp_dump_close() as it would a plain -w file, then calls
 * hdp_rot_free().
 */
#ifndef HDP_ROTATE_H
#define HDP_ROTATE_H

#include <pcap/pcap.h>
#include <stdint.h>

#include "hdp_dump.h"

struct hdp_rot_opts {
	const char *path;   /* -w: a strftime pattern with -G, if it has % */
	int      force;     /* overwrite existing files (--force)           */
	uint64_t max_bytes; /* -C: start a new file once one holds this much */
	unsigned max_secs;  /* -G: start a new file every this many seconds  */
			    /*     of packet time                            */
	unsigned max_files; /* -W: with -C a ring of this many files; with   */
			    /*     -G only, stop after this many files       */
};

struct hdp_rot;

/* Create the first file (a ring: all its files); nothing is written yet.
 * NULL and err on error (errno as hdp_file_create; EMFILE: a ring larger
 * than the limit on open files). */
struct hdp_rot *hdp_rot_open(const struct hdp_rot_opts *o, char *err,
			     size_t errlen);

/* Write the file header(s) for link type dlt and hand back the first file
 * in *dumper.  0, or -1 and err (errno as hdp_dump_fopen). */
int hdp_rot_begin(struct hdp_rot *r, int dlt, int snaplen,
		  struct hdp_dump **dumper, char *err, size_t errlen);

/*
 * Before writing the packet h: rotate when it is due.  *dumper is then the
 * file to write to.
 *   0  ok;
 *   1  the -G -W limit is reached (stop: every file is complete and
 *      closed, *dumper is NULL);
 *   2  the next file could not be started (err says why, and where the
 *      packets go): *dumper is still the current file, which takes this
 *      packet and every later one -- rotation is over for this run, no
 *      packet is lost.
 * A file that cannot be written out is not rotated: 0, and the caller's
 * hdp_dump_packet() on it fails.
 */
int hdp_rot_next(struct hdp_rot *r, const struct pcap_pkthdr *h,
		 struct hdp_dump **dumper, char *err, size_t errlen);

/*
 * The run ends before hdp_rot_begin() (its input could not be read):
 * remove the files hdp_rot_open() created, if we still may.  0, or -1 and
 * err naming a file left behind.
 */
int hdp_rot_discard(struct hdp_rot *r, char *err, size_t errlen);

/* Files started so far. */
unsigned hdp_rot_files(const struct hdp_rot *r);

void hdp_rot_free(struct hdp_rot *r);

#endif /* HDP_ROTATE_H */
