/*
 * tool_trace.c: hdp trace (not built yet).
 */
#include "config.h"

#include <stdio.h>

#include "tool.h"

void
usage_trace(FILE *out)
{
	fprintf(out, "usage: hdp trace ...  (not built yet)\n");
}

int
cmd_trace(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return tool_not_built("trace");
}
