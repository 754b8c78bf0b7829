/*
 * tool_half.h: the other half of a run, at a point (tool_remote.h):
 * hdp listen at the receiver for sweep --rx-at, hdp listen --echo for
 * ping --responder, a capture where the probes arrive for trace --rx-at.
 *
 * A small child process (the keeper), forked before the command drops
 * its privileges, holds the ssh side: it opens the host, starts the
 * command there and waits until it listens, then relays the command's
 * standard output to us through a pipe (buffered in the keeper, at most
 * 256 MiB waiting, so the far side never waits for us to read), and
 * stops the command when we say so, when we exit or crash (its end of a
 * pipe closes; the kernel also sends it SIGTERM, which ends a start
 * under way), never on Ctrl-C: Ctrl-C here stops the run, and the run
 * stops the far half in order.  Anything that could leave its output
 * short (it ended early, more than the bound waited, it did not end
 * cleanly once stopped) makes half_finish fail: the point is then not
 * observed, never read as a verdict.  Why a process: ssh needs the user's keys, config
 * and master connection, which are out of reach once the command runs
 * as nobody with no capabilities; closing the master (ssh -O exit)
 * needs them too.
 */
#ifndef HDP_TOOL_HALF_H
#define HDP_TOOL_HALF_H

#include <stdio.h>

#include "tool_remote.h"

struct half;

/* What to start at the point. */
struct half_spec {
	char *const *argv;    /* a command (argv[0] "hdp": hdp there), or  */
	const char *ready;    /* ... with the stderr text that says ready;  */
	const char *filter;   /* NULL argv: a capture with this BPF filter  */
	int discard;          /* drop the command's output (nothing reads)  */
	int timeout_ms;       /* for the command to say it is ready         */
};

/* Start sp at p (an ssh:// point or a local interface).  NULL after one
 * line naming p and what failed (said by the keeper). */
struct half *half_start(const struct remote_cfg *c, const struct point *p,
			const struct half_spec *sp);
/* The command's standard output, as it arrives (-1 with discard); it
 * ends (EOF) after half_stop, once the command has ended. */
int half_fd(const struct half *h);
/* The same as a FILE of its own (a dup: fclose it, before or after
 * half_finish); NULL after saying why, naming the point. */
FILE *half_fdopen(const struct half *h, const char *mode);
/* Ask the command to end (its standard input closes over there). */
void half_stop(struct half *h);
/* Stop if not yet, wait for the keeper (at most timeout_ms, then it is
 * killed, or after -Z waited for), free h.  0 when the command ran
 * until stopped, all it said relayed, and ended with status 0; -1
 * otherwise (said, naming the point). */
int half_finish(struct half *h, int timeout_ms);

#endif /* HDP_TOOL_HALF_H */
