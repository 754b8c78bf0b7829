/*
 * tool_survey_walk.c: the TTL walks of hdp survey, done by hdp trace
 * itself (this same binary, /proc/self/exe) so that its pacing and its
 * evidence rules for rate-limited routers are the ones every walk uses;
 * and the vantage point's kernel.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "hdp_rawsock.h"
#include "tool.h"
#include "tool_survey.h"

/* This program's path: readlink(/proc/self/exe), which valgrind answers
 * with its client's path (exec of /proc/self/exe itself would start
 * valgrind's tool); /proc/self/exe when it cannot be read. */
static const char *
self_path(void)
{
	static char path[4096];
	ssize_t n;

	if (path[0] == '\0') {
		n = readlink("/proc/self/exe", path, sizeof(path) - 1);
		if (n <= 0 || (size_t)n >= sizeof(path) - 1)
			strcpy(path, "/proc/self/exe");
		else
			path[n] = '\0';
	}
	return path;
}

pid_t
sv_walk_start(const struct sv_addr *dst, unsigned proto, unsigned wait_ms,
	      int *fd)
{
	char dest[INET6_ADDRSTRLEN], p[8], wt[16];
	int pfd[2], nul;
	const char *self;
	pid_t pid;

	hdp_addr_ntop(dst->family, &dst->a, dest, sizeof(dest));
	snprintf(p, sizeof(p), "%u", proto);
	snprintf(wt, sizeof(wt), "%u.%03u", wait_ms / 1000, wait_ms % 1000);
	if (pipe2(pfd, O_CLOEXEC) != 0) {
		tool_errno("pipe");
		return -1;
	}
	self = self_path();
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		tool_errno("fork");
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		nul = open("/dev/null", O_RDWR);
		if (dup2(pfd[1], STDOUT_FILENO) < 0 || nul < 0 ||
		    dup2(nul, STDIN_FILENO) < 0 || dup2(nul, STDERR_FILENO) < 0)
			_exit(127);
		closefrom(STDERR_FILENO + 1);
		execl(self, "hdp", "trace", "--json", "-P", p,
		      "--probes", "hdp,icmp", "-w", wt, dest, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	*fd = pfd[0];
	return pid;
}

int
sv_walk_parse(const char *buf, int *last_hop, char *resp, size_t len)
{
	const char *line = buf, *nl;
	char one[4096], v[64];
	size_t n;

	for (; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (nl == NULL)
			break;
		n = (size_t)(nl - line);
		if (n >= sizeof(one))
			continue;
		memcpy(one, line, n);
		one[n] = '\0';
		if (sv_json_get(one, "type", v, sizeof(v)) != 0 ||
		    strcmp(v, "summary") != 0 ||
		    sv_json_get(one, "proto", v, sizeof(v)) != 0 ||
		    strcmp(v, "hdp") != 0)
			continue;
		*last_hop = 0;
		resp[0] = '\0';
		if (sv_json_get(one, "last_ttl", v, sizeof(v)) == 0)
			*last_hop = atoi(v);
		if (sv_json_get(one, "last_responder", resp, len) != 0)
			resp[0] = '\0';
		if (resp[0] == '\0')
			*last_hop = 0;
		return 0;
	}
	return -1;
}

void
sv_uname(char *buf, size_t len)
{
	struct utsname u;

	if (uname(&u) != 0)
		snprintf(buf, len, "unknown");
	else
		snprintf(buf, len, "%s %s", u.sysname, u.release);
}
