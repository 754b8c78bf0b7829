/*
 * tool_send.c: hdp send (not built yet).
 */
#include "config.h"

#include <stdio.h>

#include "tool.h"

void
usage_send(FILE *out)
{
	fprintf(out, "usage: hdp send ...  (not built yet)\n");
}

int
cmd_send(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return tool_not_built("send");
}
