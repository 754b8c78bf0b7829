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
	      unsigned udp_port, int *fd)
{
	char dest[INET6_ADDRSTRLEN], p[8], wt[16], up[8];
	int pfd[2], nul;
	const char *self;
	pid_t pid;

	hdp_addr_ntop(dst->family, &dst->a, dest, sizeof(dest));
	snprintf(p, sizeof(p), "%u", proto);
	snprintf(up, sizeof(up), "%u", udp_port);
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
		/* UDP beside HDP: the destination answers it with an ICMP
		 * error, the witness trace needs to call HDP lost there
		 * (echo replies cost no token, so they prove nothing); its
		 * errors quote the TTL, which tells the distance, so echo
		 * is left out: every router on the path, shared by all
		 * walks from here, then pays two errors a walk, not three */
		if (udp_port)
			execl(self, "hdp", "trace", "--json", "-P", p,
			      "--probes", "hdp,udp", "--udp-port", up,
			      "-w", wt, dest, (char *)NULL);
		else
			execl(self, "hdp", "trace", "--json", "-P", p,
			      "--probes", "hdp,icmp", "-w", wt, dest,
			      (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	*fd = pfd[0];
	return pid;
}

#define WF_TTLS 64

/* What one walk showed: HDP's summary, the destination's distance (the
 * lowest TTL a baseline reached it at) and the TTLs where something
 * answered at all. */
struct wfacts {
	char verdict[32];
	int have, reached, last, dist;
	char resp[INET6_ADDRSTRLEN];
	unsigned char answered[WF_TTLS + 2];
	unsigned hdp_sent[WF_TTLS + 2];
	unsigned char hdp_own[WF_TTLS + 2]; /* the host's own answer     */
};

static void
wf_line(const char *one, struct wfacts *f)
{
	char type[16], proto[16], v[64];
	int ttl;

	if (sv_json_get(one, "type", type, sizeof(type)) != 0 ||
	    sv_json_get(one, "proto", proto, sizeof(proto)) != 0)
		return;
	if (strcmp(type, "hop") == 0) {
		if (sv_json_get(one, "ttl", v, sizeof(v)) != 0 ||
		    (ttl = atoi(v)) < 1 || ttl > WF_TTLS)
			return;
		if (sv_json_get(one, "responder", v, sizeof(v)) == 0)
			f->answered[ttl] = 1;
		if (strcmp(proto, "hdp") != 0)
			return;
		if (sv_json_get(one, "probes", v, sizeof(v)) == 0)
			f->hdp_sent[ttl] = (unsigned)atoi(v);
		/* what shows the probe reached the host's IP layer, as the
		 * survey's own probes count it (not a time exceeded from
		 * the address probed: a NAT in front of the host) */
		if (sv_json_get(one, "reply", v, sizeof(v)) == 0 &&
		    (strcmp(v, "proto-unreachable") == 0 ||
		     strcmp(v, "parameter-problem") == 0 ||
		     strcmp(v, "hdp-echo") == 0))
			f->hdp_own[ttl] = 1;
		return;
	}
	if (strcmp(type, "summary") != 0)
		return;
	if (strcmp(proto, "hdp") != 0) {
		/* a baseline that reached: the destination's distance */
		if (sv_json_get(one, "reached", v, sizeof(v)) == 0 &&
		    strcmp(v, "true") == 0 &&
		    sv_json_get(one, "last_ttl", v, sizeof(v)) == 0 &&
		    atoi(v) > 0 && (f->dist == 0 || atoi(v) < f->dist))
			f->dist = atoi(v);
		return;
	}
	f->have = 1;
	if (sv_json_get(one, "verdict", f->verdict, sizeof(f->verdict)) != 0)
		f->verdict[0] = '\0';
	f->reached = sv_json_get(one, "reached", v, sizeof(v)) == 0 &&
		     strcmp(v, "true") == 0;
	if (sv_json_get(one, "last_ttl", v, sizeof(v)) == 0)
		f->last = atoi(v);
	if (sv_json_get(one, "last_responder", f->resp, sizeof(f->resp)) != 0)
		f->resp[0] = '\0';
	if (f->resp[0] == '\0' || f->last < 0 || f->last > WF_TTLS)
		f->last = 0;
}

/*
 * The last responder is taken only where the walk decided it.  Trace's
 * vanished (or stateful) names hop L; it is believed when hop L+1 is the
 * destination, or a router that answered some probe of this walk: a hop
 * silent for the baselines as well is a router out of ICMP budget (walks
 * at once share the routers' buckets, so trace's pause may not have
 * refilled it), not where HDP stops.  Refused: hop L said so itself.
 * Unknown, where only the destination stayed silent (every router before
 * it answered HDP, the destination none of several probes): HDP stops
 * after hop L, the destination's neighbour, all the same.  Reached
 * counts as an arrival only with the host's own answer (protocol
 * unreachable, parameter problem, HDP echo); a time exceeded from the
 * address probed is a NAT in front of the host, the last responder.
 */
static int
wf_judge(const struct wfacts *f, int *last_hop, char *resp, size_t len,
	 const char **walk)
{
	int next = f->last + 1;

	*last_hop = f->last;
	snprintf(resp, len, "%s", f->resp);
	if (f->reached && f->hdp_own[f->last]) {
		*walk = "reached";
		return SV_WALK_REACHED;
	}
	if (f->reached) {
		/* the address probed answered as a router does: a NAT
		 * forwarding to a host behind it, the last to answer */
		*walk = "nat";
		return SV_WALK_DECIDED;
	}
	if (strcmp(f->verdict, "refused") == 0) {
		*walk = "refused";
		return SV_WALK_DECIDED;
	}
	if ((strcmp(f->verdict, "vanished") == 0 ||
	     strcmp(f->verdict, "stateful") == 0) &&
	    ((f->dist && next >= f->dist) ||
	     (next <= WF_TTLS && f->answered[next]))) {
		*walk = strcmp(f->verdict, "vanished") == 0 ? "vanished" :
			"stateful";
		return SV_WALK_DECIDED;
	}
	if (strcmp(f->verdict, "unknown") == 0 && f->last > 0 &&
	    f->dist == next && f->hdp_sent[next] >= 2) {
		*walk = "destination_silent";
		return SV_WALK_DECIDED;
	}
	*walk = "unknown";
	*last_hop = 0;
	resp[0] = '\0';
	return SV_WALK_UNSURE;
}

int
sv_walk_parse(const char *buf, int *last_hop, char *resp, size_t len,
	      const char **walk)
{
	const char *line = buf, *nl;
	char one[8192];
	struct wfacts f;
	size_t n;

	memset(&f, 0, sizeof(f));
	for (; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (nl == NULL)
			break;
		n = (size_t)(nl - line);
		if (n >= sizeof(one))
			continue;
		memcpy(one, line, n);
		one[n] = '\0';
		wf_line(one, &f);
	}
	if (!f.have)
		return -1;
	return wf_judge(&f, last_hop, resp, len, walk);
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
