/*
 * hdp.c: the hdp program: finds the subcommand and hands it argv.
 *
 * In the manner of iproute2's ip.c: one table, ending in a sentinel;
 * names are matched exactly, never by prefix.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tool.h"

static const struct hdp_cmd cmds[] = {
	{ "send",   cmd_send,   usage_send,
	  "craft and send HDP (or any IP protocol, or UDP) with libnet" },
	{ "sniff",  cmd_sniff,  usage_sniff,
	  "capture or read HDP tcpdump-style; write pcap" },
	{ "listen", cmd_listen, usage_listen,
	  "receive on raw sockets, as the original server did" },
	{ "replay", cmd_replay, usage_replay,
	  "put captured HDP back on the wire" },
	{ "sweep",  cmd_sweep,  usage_sweep,
	  "try protocol numbers; say at which layer each stopped" },
	{ "trace",  cmd_trace,  usage_trace,
	  "walk the path by TTL; name the hop where HDP vanishes" },
	{ "where",  cmd_where,  usage_where,
	  "compare captures from several points of a path" },
	{ "ping",   cmd_ping,   usage_ping,
	  "measure HDP round trips against UDP and TCP" },
	{ "survey", cmd_survey, usage_survey,
	  "A/B campaigns: does HDP cross many paths and vantage points" },
	{ NULL, NULL, NULL, NULL }
};

static void
usage(FILE *out)
{
	const struct hdp_cmd *c;

	fprintf(out,
		"usage: hdp COMMAND [OPTIONS] [ARGS]\n"
		"       hdp help COMMAND | hdp --help | hdp --version\n\n"
		"HDP is IP protocol 255; hdp crafts, captures, replays and "
		"traces it.\n\ncommands:\n");
	for (c = cmds; c->name != NULL; c++)
		fprintf(out, "  %-7s %s\n", c->name, c->summary);
	fprintf(out, "\nexit status: 0 ok, 1 some packets failed or were "
		"lost, 2 bad usage or input,\n3 missing privileges, 4 the "
		"system refused (interface, file).\n"
		"See hdp(1) and 'hdp help COMMAND'.\n");
}

static const struct hdp_cmd *
find_cmd(const char *name)
{
	const struct hdp_cmd *c;

	for (c = cmds; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/* "hdp: NAME: unknown command" and where to look; exit 2. */
static int
unknown_cmd(const char *name)
{
	fprintf(stderr, "hdp: %s: unknown command\ntry 'hdp --help'\n",
		tool_safe(name));
	return HDP_EXIT_USAGE;
}

/*
 * 'hdp help CMD' prints what 'hdp CMD --help' prints, on standard
 * output, exit 0: the subcommand's own usage() is the one text.
 */
static int
help(int argc, char **argv)
{
	const struct hdp_cmd *c;

	if (argc < 3) {
		usage(stdout);
		return HDP_EXIT_OK;
	}
	if (argc > 3) {
		fprintf(stderr, "hdp help: %s: one command only\n"
			"try 'hdp --help'\n", tool_safe(argv[3]));
		return HDP_EXIT_USAGE;
	}
	c = find_cmd(argv[2]);
	if (c == NULL)
		return unknown_cmd(argv[2]);
	c->usage(stdout);
	return HDP_EXIT_OK;
}

int
main(int argc, char **argv)
{
	static char progname[32];
	const struct hdp_cmd *c;

	if (argc < 2) {
		fprintf(stderr, "hdp: no command given\ntry 'hdp --help'\n");
		return HDP_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return HDP_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("hdp %s\n", PACKAGE_VERSION);
		return HDP_EXIT_OK;
	}
	if (strcmp(argv[1], "help") == 0)
		return help(argc, argv);
	c = find_cmd(argv[1]);
	if (c == NULL)
		return unknown_cmd(argv[1]);
	snprintf(progname, sizeof(progname), "hdp %s", c->name);
	hdp_progname = progname;
	return c->main(argc - 1, argv + 1);
}
