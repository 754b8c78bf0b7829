/*
 * fuzz_args.c: libFuzzer harness for every subcommand's argument parser:
 * getopt_long with each option table, the number, list, time and address
 * parsers behind the options, and the checks of how options combine.
 *
 * Input layout: byte 0 picks the subcommand; the rest is its arguments,
 * separated by NUL bytes (at most MAX_ARGS; each one copied into a buffer
 * of its own size, so a read past an argument's end is an ASan report).
 * tool_parse_only makes each subcommand stop once its arguments are
 * checked: nothing is resolved, opened or sent, whatever the input says;
 * and the harness runs in a network namespace of its own besides.
 * Checks: no sanitizer report, and the exit status is one of hdp's.
 */
#include "config.h"

#include <sched.h>
#include <stdlib.h>

#include "tool.h"
#include "fuzz_tool.h"

#define MAX_ARGS 64

static const struct {
	const char *name;
	int (*main)(int, char **);
} cmds[] = {
	{ "send", cmd_send },     { "sniff", cmd_sniff },
	{ "listen", cmd_listen }, { "replay", cmd_replay },
	{ "sweep", cmd_sweep },   { "trace", cmd_trace },
	{ "where", cmd_where },   { "ping", cmd_ping },
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

/*
 * Belt and braces: run in a network namespace of our own, with no
 * interface up, so that a parser that ever reaches the network (a name
 * lookup, a socket) finds nothing to send through.  Without root, a user
 * namespace makes that allowed; where neither works the harness stops.
 */
static void
fuzz_offline(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	if (unshare(CLONE_NEWNET) != 0 &&
	    unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0) {
		perror("fuzz_args: unshare(CLONE_NEWNET)");
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* owned: the strings to free; a command may reorder argv (GNU
	 * getopt) or take words out of it (where's --probe DEST ...) */
	char *argv[MAX_ARGS + 2], *owned[MAX_ARGS + 2];
	size_t i, start;
	int argc = 0, rc;

	if (size < 1)
		return 0;
	fuzz_offline();
	fuzz_quiet();
	tool_parse_only = 1;
	argv[argc++] = (char *)cmds[data[0] % NCMDS].name;
	for (start = i = 1; i <= size && argc <= MAX_ARGS; i++) {
		if (i < size && data[i] != '\0')
			continue;
		argv[argc] = malloc(i - start + 1);
		FUZZ_ASSERT(argv[argc] != NULL);
		memcpy(argv[argc], data + start, i - start);
		argv[argc][i - start] = '\0';
		owned[argc] = argv[argc];
		argc++;
		start = i + 1;
	}
	argv[argc] = NULL;
	rc = fuzz_cmd(cmds[data[0] % NCMDS].main, argc, argv);
	FUZZ_ASSERT(rc >= HDP_EXIT_OK && rc <= HDP_EXIT_ENV);
	for (i = 1; i < (size_t)argc; i++)
		free(owned[i]);
	return 0;
}
