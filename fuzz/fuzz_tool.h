/*
 * fuzz_tool.h: helpers for harnesses that run a whole subcommand
 * (cmd_sweep --join, cmd_where) on input files made from the fuzz input.
 * Files are memfds named /proc/self/fd/N, so nothing touches the disk;
 * the subcommand's output goes to /dev/null (stdout by dup2, the stdio
 * stderr stream by reassignment: sanitizer reports still reach fd 2).
 */
#ifndef HDP_FUZZ_TOOL_H
#define HDP_FUZZ_TOOL_H

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

static void __attribute__((unused))
fuzz_quiet(void)
{
	static int done;
	int fd;

	if (done)
		return;
	done = 1;
	fd = open("/dev/null", O_WRONLY);
	FUZZ_ASSERT(fd >= 0);
	fflush(stdout);
	FUZZ_ASSERT(dup2(fd, 1) == 1);
	close(fd);
	if (getenv("HDP_FUZZ_VERBOSE") == NULL) {
		FILE *f = fopen("/dev/null", "w");

		if (f == NULL)
			abort();
		stderr = f;
	}
}

/* A memfd holding p[0..n); its path in path (32 bytes).  The fd. */
static int __attribute__((unused))
fuzz_memfile(const uint8_t *p, size_t n, char *path)
{
	int fd = memfd_create("hdp-fuzz", MFD_CLOEXEC);

	FUZZ_ASSERT(fd >= 0);
	FUZZ_ASSERT(n == 0 || write(fd, p, n) == (ssize_t)n);
	FUZZ_ASSERT(lseek(fd, 0, SEEK_SET) == 0);
	snprintf(path, 32, "/proc/self/fd/%d", fd);
	return fd;
}

/* Run a subcommand entry point as the hdp program would. */
static int __attribute__((unused))
fuzz_cmd(int (*cmd)(int, char **), int argc, char **argv)
{
	int rc;

	optind = 0;		/* glibc: start getopt afresh */
	opterr = 0;
	rc = cmd(argc, argv);
	fflush(stdout);
	return rc;
}

#endif /* HDP_FUZZ_TOOL_H */
