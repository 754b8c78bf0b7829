/*
 * tool_ping.c: hdp ping (not built yet).
 */
#include "config.h"

#include <stdio.h>

#include "tool.h"

void
usage_ping(FILE *out)
{
	fprintf(out, "usage: hdp ping ...  (not built yet)\n");
}

int
cmd_ping(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return tool_not_built("ping");
}
