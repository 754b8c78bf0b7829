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
 * A name this run has not written yet is created only if it does not
 * exist (unless --force); the ring reuses only its own files.  Every file
 * is opened through hdp_dump_open (no symlinks, no hard-linked targets).
 */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hdp_capture.h"
#include "hdp_dump.h"
#include "hdp_rotate.h"

struct hdp_rot {
	struct hdp_rot_opts o;
	char     name[4096];
	unsigned files;       /* files started                          */
	unsigned seq;         /* number of the current file             */
	int      width;       /* digits of -W N                          */
	int64_t  t_start;     /* packet second the current file began    */
	int      have_t;
};

static int
make_name(struct hdp_rot *r, time_t t, char *err, size_t errlen)
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
			     r->seq);
	else if (r->seq == 0)
		n = snprintf(r->name, sizeof(r->name), "%s", p);
	else
		n = snprintf(r->name, sizeof(r->name), "%s%u", p, r->seq);
	if (n < 0 || n >= (int)sizeof(r->name)) {
		snprintf(err, errlen, "%s: file name too long", p);
		return -1;
	}
	return 0;
}

static int
start_file(struct hdp_rot *r, time_t t, struct hdp_dump **dumper, char *err,
	   size_t errlen)
{
	/* the ring reuses its own files: those may be overwritten */
	int force = r->o.force || (r->o.max_files && r->o.max_bytes &&
				   r->files >= r->o.max_files);

	if (make_name(r, t, err, errlen) != 0)
		return -1;
	*dumper = hdp_dump_open(r->name, r->o.dlt, r->o.snaplen, force, err,
				errlen);
	if (*dumper == NULL) {
		int e = errno;

		/* files after the first are made after the privilege drop,
		 * as tcpdump's are */
		if (e == EACCES && r->files > 0) {
			struct passwd *pw = getpwuid(geteuid());
			size_t n = strlen(err);

			snprintf(err + n, errlen - n, " (hdp runs as %s now: "
				 "give it a directory it may write, or -Z "
				 "root)", pw ? pw->pw_name : "another user");
		}
		errno = e;
		return -1;
	}
	r->files++;
	return 0;
}

struct hdp_rot *
hdp_rot_open(const struct hdp_rot_opts *o, struct hdp_dump **dumper,
	     char *err, size_t errlen)
{
	struct hdp_rot *r = calloc(1, sizeof(*r));
	unsigned w;

	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->o = *o;
	for (w = o->max_files ? o->max_files - 1 : 0, r->width = 1; w >= 10;
	     w /= 10)
		r->width++;
	if (start_file(r, time(NULL), dumper, err, errlen) != 0) {
		int e = errno;

		free(r);
		errno = e;
		return NULL;
	}
	return r;
}

int
hdp_rot_next(struct hdp_rot *r, const struct pcap_pkthdr *h,
	     struct hdp_dump **dumper, char *err, size_t errlen)
{
	int due = 0;

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
	if (!due)
		return 0;

	/* close this file whole before the next one exists; one that
	 * cannot be written out stays, for the caller's write to fail and
	 * its close to say what the file kept */
	if (hdp_dump_flush(*dumper) != 0)
		return 0;
	hdp_dump_close(*dumper, NULL, 0);
	*dumper = NULL;
	if (r->o.max_secs && !r->o.max_bytes && r->o.max_files &&
	    r->files >= r->o.max_files)
		return 1;
	if (r->o.max_secs)
		r->t_start = now;
	r->seq++;
	if (r->o.max_files && r->o.max_bytes)
		r->seq %= r->o.max_files;
	if (r->o.max_secs && strchr(r->o.path, '%') == NULL &&
	    r->o.max_bytes == 0 && r->seq == 0)
		r->seq = 1;
	return start_file(r, (time_t)now, dumper, err, errlen);
}

unsigned
hdp_rot_files(const struct hdp_rot *r)
{
	return r->files;
}

void
hdp_rot_free(struct hdp_rot *r)
{
	free(r);
}
