/*
 * tool_listen.c: hdp listen (not built yet).
 */
#include "config.h"

#include <stdio.h>

#include "tool.h"

void
usage_listen(FILE *out)
{
	fprintf(out, "usage: hdp listen ...  (not built yet)\n");
}

int
cmd_listen(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return tool_not_built("listen");
}
