/*
 * hdp_rotate.c: rotating -w files (hdp_rotate.h).
 *
 * Names follow tcpdump: with -C, "FILE", "FILE1", "FILE2" ...; with -W as
 * well, "FILE0" ... "FILE<N-1>" padded to the width of N, reused in a
 * ring; with -G, the path is a strftime(3) pattern filled in (UTC) with
 * the clock for the first file, as tcpdump does, and with the packet time
 * that starts each later one (rotation follows packet time, so -r files
 * are cut as they were captured) -- without a % in it, the -C numbering
 * is used, so no file of the run overwrites another.
 *
 * A name this run has not written yet is created only if it does not
 * exist (unless --force: then only a regular file of our own); every file
 * goes through hdp_file_create (no symlinks, no hard-linked targets, no
 * FIFOs or devices).  The ring's files are all created when the ring is
 * opened and stay open: wrapping needs no name looked up again, so it
 * works after privileges are dropped (the files are root's, the directory
 * may be closed to nobody) and nobody else can slip a file in under one
 * of its names.  Other names (-C without -W, -G) are made when they are
 * due, as the user hdp then runs as; when one cannot be made, the packets
 * go on into the current file (none is lost) and the caller is told.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "hdp_capture.h"
#include "hdp_dump.h"
#include "hdp_file.h"
#include "hdp_rotate.h"

struct hdp_rot {
	struct hdp_rot_opts o;
	char     name[4096];  /* the name made last                      */
	char     cur[4096];   /* the file being written                  */
	unsigned files;       /* files started                          */
	unsigned seq;         /* number of the current file             */
	int      width;       /* digits of -W N                          */
	int64_t  t_start;     /* packet second the current file began    */
	int      have_t;
	int      dlt, snaplen;
	int      stuck;       /* a file could not be started: no more    */
	unsigned ring_n;      /* files of the ring, all open; 0: no ring  */
	int     *ring;        /* their descriptors                       */
	struct hdp_file_id *ring_id;
	FILE    *first;       /* not a ring: the first file, until begin */
	struct hdp_file_id first_id;
};

/* The name of file number seq (started at packet second t) in r->name. */
static int
make_name(struct hdp_rot *r, unsigned seq, time_t t, char *err,
	  size_t errlen)
{
	const char *p = r->o.path;
	struct tm tm;
	char base[4096];
	int n;

	if (r->o.max_secs && strchr(p, '%') != NULL) {
		/* the user's -w pattern: strftime takes no arguments from it */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		n = gmtime_r(&t, &tm) == NULL ? 0 :
		    (int)strftime(base, sizeof(base), p, &tm);
#pragma GCC diagnostic pop
		if (n == 0) {
			snprintf(err, errlen, "%s: cannot make a file name "
				 "from it", p);
			return -1;
		}
		p = base;
		if (!r->o.max_bytes) {
			n = snprintf(r->name, sizeof(r->name), "%s", p);
			return n < (int)sizeof(r->name) ? 0 : -1;
		}
	}
	if (r->o.max_files && r->o.max_bytes)
		n = snprintf(r->name, sizeof(r->name), "%s%0*u", p, r->width,
			     seq);
	else if (seq == 0)
		n = snprintf(r->name, sizeof(r->name), "%s", p);
	else
		n = snprintf(r->name, sizeof(r->name), "%s%u", p, seq);
	if (n < 0 || n >= (int)sizeof(r->name)) {
		snprintf(err, errlen, "%s: file name too long", p);
		return -1;
	}
	return 0;
}

/* A ring of fixed names: -C with -W, and no strftime pattern that would
 * make the names change with time. */
static int
is_ring(const struct hdp_rot_opts *o)
{
	return o->max_files && o->max_bytes &&
	       !(o->max_secs && strchr(o->path, '%') != NULL);
}

/* Room for n more open files: the soft limit is raised towards the hard
 * one when needed. */
static int
reserve_fds(unsigned n, char *err, size_t errlen)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)n + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 0;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ||
			      rl.rlim_max > need ? need : rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
		    rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
			snprintf(err, errlen, "-W %u: the ring keeps its %u "
				 "files open, and at most %ju files may be "
				 "open (ulimit -n)", n, n,
				 (uintmax_t)rl.rlim_cur);
			errno = EMFILE;
			return -1;
		}
	}
	return 0;
}

/* Create every file of the ring, kept open; on failure, remove the ones
 * made. */
static int
open_ring(struct hdp_rot *r, char *err, size_t errlen)
{
	unsigned i, n = r->o.max_files;
	int e;

	if (reserve_fds(n, err, errlen) != 0)
		return -1;
	r->ring = malloc(n * sizeof(*r->ring));
	r->ring_id = calloc(n, sizeof(*r->ring_id));
	if (r->ring == NULL || r->ring_id == NULL) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < n; i++)
		r->ring[i] = -1;
	r->ring_n = n;
	for (i = 0; i < n; i++) {
		if (make_name(r, i, 0, err, errlen) != 0) {
			errno = ENAMETOOLONG;
			break;
		}
		r->ring[i] = hdp_file_open_out(r->name, r->o.force,
					       &r->ring_id[i], err, errlen);
		if (r->ring[i] < 0)
			break;
	}
	if (i == n)
		return 0;
	e = errno;
	(void)hdp_rot_discard(r, NULL, 0);
	errno = e;
	return -1;
}

struct hdp_rot *
hdp_rot_open(const struct hdp_rot_opts *o, char *err, size_t errlen)
{
	struct hdp_rot *r = calloc(1, sizeof(*r));
	unsigned w;
	int e;

	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	r->o = *o;
	for (w = o->max_files ? o->max_files - 1 : 0, r->width = 1; w >= 10;
	     w /= 10)
		r->width++;
	if (is_ring(o)) {
		if (open_ring(r, err, errlen) != 0)
			goto fail;
	} else {
		if (make_name(r, 0, time(NULL), err, errlen) != 0) {
			errno = ENAMETOOLONG;
			goto fail;
		}
		r->first = hdp_file_create_id(r->name, o->force, &r->first_id,
					      err, errlen);
		if (r->first == NULL)
			goto fail;
	}
	snprintf(r->cur, sizeof(r->cur), "%s", r->name);
	return r;

fail:
	e = errno;
	hdp_rot_free(r);
	errno = e;
	return NULL;
}

/* Ring file i as a new stream at its start, emptied. */
static FILE *
ring_stream(struct hdp_rot *r, unsigned i, char *err, size_t errlen)
{
	int fd = fcntl(r->ring[i], F_DUPFD_CLOEXEC, 0);
	FILE *f = NULL;

	if (fd >= 0 && lseek(fd, 0, SEEK_SET) == 0 && ftruncate(fd, 0) == 0)
		f = fdopen(fd, "w");
	if (f == NULL) {
		int e = errno;

		(void)make_name(r, i, 0, err, errlen);
		snprintf(err, errlen, "%s: %s", r->name, strerror(e));
		if (fd >= 0)
			close(fd);
		errno = e;
	}
	return f;
}

int
hdp_rot_begin(struct hdp_rot *r, int dlt, int snaplen,
	      struct hdp_dump **dumper, char *err, size_t errlen)
{
	struct hdp_dump *d;
	unsigned i;
	FILE *f;

	r->dlt = dlt;
	r->snaplen = snaplen;
	*dumper = NULL;
	if (r->ring_n == 0) {
		f = r->first;
		r->first = NULL;
		*dumper = hdp_dump_fopen(f, r->cur, dlt, snaplen, err, errlen);
		if (*dumper == NULL)
			return -1;
		r->files = 1;
		return 0;
	}
	/* every file of the ring is a capture from the start (one not
	 * reached yet holds no packet), file 0 the one written first */
	for (i = r->ring_n; i-- > 0;) {
		if ((f = ring_stream(r, i, err, errlen)) == NULL)
			return -1;
		(void)make_name(r, i, 0, err, errlen);
		d = hdp_dump_fopen(f, r->name, dlt, snaplen, err, errlen);
		if (d == NULL)
			return -1;
		if (i == 0)
			*dumper = d;
		else if (hdp_dump_close(d, err, errlen) != 0)
			return -1;
	}
	snprintf(r->cur, sizeof(r->cur), "%s", r->name);
	r->files = 1;
	return 0;
}

/* The file numbered seq, started at packet second t, open and with its
 * header written: in *next, or -1 and err. */
static int
open_next(struct hdp_rot *r, unsigned seq, time_t t, struct hdp_dump **next,
	  char *err, size_t errlen)
{
	/* a ring whose names follow the clock (-G pattern, -C, -W) may
	 * come back to a name of its own */
	int force = r->o.force || (r->o.max_files && r->o.max_bytes &&
				   r->files >= r->o.max_files);
	struct hdp_file_id id;
	FILE *f;
	int e;

	if (r->ring_n) {
		f = ring_stream(r, seq, err, errlen);
		(void)make_name(r, seq, t, err, errlen);
	} else {
		if (make_name(r, seq, t, err, errlen) != 0)
			return -1;
		f = hdp_file_create_id(r->name, force, &id, err, errlen);
	}
	if (f == NULL) {
		e = errno;
		/* files after the first are made after the privilege drop,
		 * as tcpdump's are */
		if (e == EACCES) {
			struct passwd *pw = getpwuid(geteuid());
			size_t n = strlen(err);

			snprintf(err + n, errlen - n, " (hdp runs as %s now: "
				 "give it a directory it may write, or -Z "
				 "root)", pw ? pw->pw_name : "another user");
		}
		errno = e;
		return -1;
	}
	*next = hdp_dump_fopen(f, r->name, r->dlt, r->snaplen, err, errlen);
	if (*next == NULL && r->ring_n == 0) {
		e = errno;
		(void)hdp_file_remove_created(r->name, &id);
		errno = e;
	}
	return *next == NULL ? -1 : 0;
}

int
hdp_rot_next(struct hdp_rot *r, const struct pcap_pkthdr *h,
	     struct hdp_dump **dumper, char *err, size_t errlen)
{
	struct hdp_dump *next;
	unsigned seq;
	int due = 0;
	size_t n;

	/* unsigned 32-bit pcap seconds past 2038 (hdp_cap_sec) */
	int64_t now = (int64_t)hdp_cap_sec(h);

	if (!r->have_t) {
		r->t_start = now;
		r->have_t = 1;
	}
	if (r->o.max_secs &&
	    now - r->t_start >= (int64_t)r->o.max_secs)
		due = 1;
	if (r->o.max_bytes && hdp_dump_size(*dumper) >= r->o.max_bytes)
		due = 1;
	if (!due || r->stuck)
		return 0;

	/* this file whole first; one that cannot be written out stays, for
	 * the caller's write to fail and its close to say what the file
	 * kept */
	if (hdp_dump_flush(*dumper) != 0)
		return 0;
	if (r->o.max_secs && !r->o.max_bytes && r->o.max_files &&
	    r->files >= r->o.max_files) {
		hdp_dump_close(*dumper, NULL, 0);
		*dumper = NULL;
		return 1;
	}
	if (r->o.max_secs)
		r->t_start = now;
	seq = r->seq + 1;
	if (r->o.max_files && r->o.max_bytes)
		seq %= r->o.max_files;
	if (r->o.max_secs && strchr(r->o.path, '%') == NULL &&
	    r->o.max_bytes == 0 && seq == 0)
		seq = 1;
	/* the next file is ready before this one is closed: when it cannot
	 * be, the packets stay here */
	if (open_next(r, seq, (time_t)now, &next, err, errlen) != 0) {
		r->stuck = 1;
		n = strlen(err);
		snprintf(err + n, errlen - n, "; no more rotation: the "
			 "packets go on into %s", r->cur);
		return 2;
	}
	hdp_dump_close(*dumper, NULL, 0);
	*dumper = next;
	r->seq = seq;
	r->files++;
	snprintf(r->cur, sizeof(r->cur), "%s", r->name);
	return 0;
}

int
hdp_rot_discard(struct hdp_rot *r, char *err, size_t errlen)
{
	unsigned i;
	int rc = 0;

	if (r->first != NULL) {
		fclose(r->first);
		r->first = NULL;
		if (hdp_file_remove_created(r->cur, &r->first_id) < 0) {
			if (err != NULL)
				snprintf(err, errlen, "%s: left behind: %s",
					 r->cur, strerror(errno));
			rc = -1;
		}
	}
	for (i = 0; i < r->ring_n; i++) {
		if (r->ring[i] < 0)
			continue;
		close(r->ring[i]);
		r->ring[i] = -1;
		if (make_name(r, i, 0, NULL, 0) == 0 &&
		    hdp_file_remove_created(r->name, &r->ring_id[i]) < 0 &&
		    rc == 0) {
			if (err != NULL)
				snprintf(err, errlen, "%s and the rest of the "
					 "ring: left behind: %s", r->name,
					 strerror(errno));
			rc = -1;
		}
	}
	return rc;
}

unsigned
hdp_rot_files(const struct hdp_rot *r)
{
	return r->files;
}

void
hdp_rot_free(struct hdp_rot *r)
{
	unsigned i;

	if (r == NULL)
		return;
	if (r->first != NULL)
		fclose(r->first);
	for (i = 0; i < r->ring_n; i++)
		if (r->ring[i] >= 0)
			close(r->ring[i]);
	free(r->ring);
	free(r->ring_id);
	free(r);
}
