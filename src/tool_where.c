/*
 * tool_where.c: hdp where (not built yet).
 */
#include "config.h"

#include <stdio.h>

#include "tool.h"

void
usage_where(FILE *out)
{
	fprintf(out, "usage: hdp where ...  (not built yet)\n");
}

int
cmd_where(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return tool_not_built("where");
}
