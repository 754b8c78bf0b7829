/*
 * tool_replay.c: hdp replay (not built yet).
 */
#include "config.h"

#include <stdio.h>

#include "tool.h"

void
usage_replay(FILE *out)
{
	fprintf(out, "usage: hdp replay ...  (not built yet)\n");
}

int
cmd_replay(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return tool_not_built("replay");
}
