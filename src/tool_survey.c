/*
 * tool_survey.c: hdp survey, A/B campaigns over many targets and vantage
 * points (issue 18).  Not built yet: it says so and exits 2, so a user who
 * read about it gets that answer instead of "unknown command".
 */
#include "config.h"

#include <stdio.h>

#include "tool.h"

void
usage_survey(FILE *out)
{
	fprintf(out,
"usage: hdp survey (not built yet)\n"
"\n"
"Will probe many targets from several vantage points with HDP, the\n"
"experimental-use protocols 253 and 254 and the UDP, TCP and ICMP\n"
"baselines, and classify each path (works, broken, transient, offline,\n"
"path_dependent).  Until it is built, 'hdp survey' says so and exits 2.\n");
}

int
cmd_survey(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return tool_not_built("survey");
}
