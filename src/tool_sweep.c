/*
 * tool_sweep.c: hdp sweep (not built yet).
 */
#include "config.h"

#include <stdio.h>

#include "tool.h"

void
usage_sweep(FILE *out)
{
	fprintf(out, "usage: hdp sweep ...  (not built yet)\n");
}

int
cmd_sweep(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return tool_not_built("sweep");
}
