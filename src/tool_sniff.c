/*
 * tool_sniff.c: hdp sniff (not built yet).
 */
#include "config.h"

#include <stdio.h>

#include "tool.h"

void
usage_sniff(FILE *out)
{
	fprintf(out, "usage: hdp sniff ...  (not built yet)\n");
}

int
cmd_sniff(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return tool_not_built("sniff");
}
