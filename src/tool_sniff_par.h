/*
 * tool_sniff_par.h: hdp sniff -r FILE -j N, one capture file decoded on
 * N threads and printed in file order, byte for byte what one thread
 * prints (tool_sniff_par.c says how).
 */
#ifndef TOOL_SNIFF_PAR_H
#define TOOL_SNIFF_PAR_H

#include <pcap/pcap.h>
#include <stdint.h>

#include "hdp_print.h"

struct sniff_par_io {
	int         fd;       /* the -r file, read with pread (not closed)  */
	const char *name;     /* its name, for messages                     */
	unsigned    threads;  /* -j: decoding threads                       */
	size_t      chunk;    /* bytes of file per chunk; 0: the default    */
	const struct bpf_program *prog;	/* the filter; NULL: none           */
	uint64_t    count;    /* -c; 0: no limit                            */
	struct hdp_printer *pr;	/* prints to standard output; its settings */
				/* are every thread's                       */
	uint64_t   *seen;     /* records read, as -j 1 counts them          */
	uint64_t   *taken;    /* packets that passed the filter             */
	/* Called by the main thread now and then (at least every 0.1 s):
	 * nonzero to stop (a signal); it may print the counts so far. */
	int       (*poll)(void *arg);
	void       *arg;
	/* out: how it went (for tests: HDP_SNIFF_STATS) */
	struct {
		unsigned threads;   /* workers started                  */
		uint64_t chunks;    /* chunks the file was cut into     */
		uint64_t used;      /* chunks whose text was written    */
		uint64_t redo;      /* times the main thread read on    */
		uint64_t landed;    /* ... and landed on a chunk again  */
	} st;
};

/* The cores this process may run on (sched_getaffinity), at least 1. */
unsigned sniff_par_cores(void);

/*
 * Read, filter and print io->fd on io->threads threads.  -1 when the file
 * is not one to split (not a regular pcap or pcapng file, too small,
 * fewer than 2 threads...): nothing was read or printed, the caller reads
 * it as one stream.  Otherwise HDP_EXIT_OK, or HDP_EXIT_FAIL after a read
 * error (said, as -j 1 says it, after the packets before it).
 */
int sniff_par_read(struct sniff_par_io *io);

#endif /* TOOL_SNIFF_PAR_H */
