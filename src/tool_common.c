/*
 * tool_common.c: messages and small helpers shared by the subcommands.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tool.h"

const char *hdp_progname = "hdp";

static void __attribute__((format(printf, 2, 0)))
verr(int with_errno, const char *fmt, va_list ap)
{
	int e = errno;

	fprintf(stderr, "%s: ", hdp_progname);
	vfprintf(stderr, fmt, ap);
	if (with_errno)
		fprintf(stderr, ": %s", strerror(e));
	fputc('\n', stderr);
}

void
tool_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(0, fmt, ap);
	va_end(ap);
}

void
tool_errno(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(1, fmt, ap);
	va_end(ap);
}

int
tool_not_built(const char *cmd)
{
	fprintf(stderr, "hdp: '%s' is not built yet\n", cmd);
	return HDP_EXIT_USAGE;
}
