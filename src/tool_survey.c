/*
 * tool_survey.c: hdp survey, A/B campaigns over many targets and vantage
 * points (issue 18): does HDP cross many paths at once?
 *
 * The four steps: parse_opts() (options into struct sv_opts), open_*
 * (the outputs: -o read for what it holds, --plot), run (the local
 * engine, tool_survey_probe.c, or one child per --from point,
 * tool_survey_from.c) and report (summaries, plot: tool_survey_out.c).
 */
#include "config.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <hdp/hdp.h>
#include "tool.h"
#include "tool_remote.h"
#include "tool_survey.h"

void
usage_survey(FILE *out)
{
	fprintf(out,
"usage: hdp survey [TARGET... | -T FILE] [--from POINT]... [-P N]\n"
"                  [--repeat N] [--rate PPS] [--exclude FILE] [-o FILE]\n"
"                  [--json] [--plot FILE] [--force] [-w SECONDS]\n"
"                  [--no-trace] [--tcp-port N] [--udp-port N] [-4|-6]\n"
"                  [-q] [--ssh-option OPT] [--sudo] [--remote-hdp PATH]\n"
"\n"
"Does HDP cross many paths?  Per target and vantage point, an A/B test:\n"
"HDP (-P), the experimental-use protocols 253 and 254 (RFC 3692) and the\n"
"baselines UDP (a high port), TCP SYN and ICMP echo, sent back to back and\n"
"repeated.  A probe arrived when the target itself answers it: protocol\n"
"unreachable (ICMPv6 parameter problem) for HDP, 253 and 254, port\n"
"unreachable for UDP, a reset or SYN-ACK for TCP, an echo reply, an HDP\n"
"echo where hdp listen --echo runs (a NAT forwarding to a host gives its\n"
"answers the address probed).  Per target, vantage point and protocol:\n"
"  works           arrived in every repetition\n"
"  transient       arrived in some\n"
"  broken          never arrived, while a baseline did\n"
"  offline         no baseline arrived either: no conclusion\n"
"and with several vantage points, path_dependent: works or transient from\n"
"one, broken from another (a \"path\" record per target and protocol).\n"
"Where HDP, 253 or 254 is broken, a TTL walk (hdp trace, with UDP or ICMP\n"
"echo beside it) names the last hop that answered it, where the walk\n"
"decided it (else it is walked again, then left null): one walk a target,\n"
"for the first of them broken, its last hop given to the others broken.\n"
"\n"
"  TARGET            an IPv4 or IPv6 address, or a prefix of at most 256\n"
"                    addresses (/24, /120), probed host by host\n"
"  -T FILE           targets, one a line ('#' comments; '-' stdin)\n"
"  --from POINT      probe from POINT: local (the default) or\n"
"                    ssh://[user@]host[:port], where hdp survey runs and\n"
"                    its results stream back; repeatable\n"
"  -P N              protocol number of the HDP probes (default 255)\n"
"  --repeat N        repetitions per target (default 3, 1-16)\n"
"  --rate PPS        packets a second over all targets, at each vantage\n"
"                    point (default 100);\n"
"                    targets are probed many at once, and one target's\n"
"                    repetitions are spread so that its ICMP errors\n"
"                    (Linux: one a second after a burst of 6) can all\n"
"                    come back: at 0, 2, 6, 10 ... s\n"
"  --exclude FILE    addresses and prefixes never probed, one a line\n"
"  -o FILE           append the JSON lines to FILE; targets already\n"
"                    complete in it are skipped (a rerun resumes)\n"
"  --json            JSON lines on standard output: a \"result\" per\n"
"                    target, vantage point and protocol, \"vantage\",\n"
"                    \"path\", \"summary\" and \"run\" records\n"
"  --plot FILE       draw the categories per protocol and vantage point\n"
"                    as stacked bars with gnuplot (.png or .svg)\n"
"  --force           overwrite the --plot file\n"
"  -w SECONDS        wait for answers after a target's last probe\n"
"                    (default 2; decimals ok)\n"
"  --no-trace        no TTL walks\n"
"  --tcp-port N      TCP SYN destination port (default 80)\n"
"  --udp-port N      first UDP destination port (default 33434; one more\n"
"                    per repetition)\n"
"  -4, -6            only IPv4 or IPv6 targets\n"
"  -q                no progress line, no list of broken targets\n"
"%s"
"\n"
"Output is written as each target is done; memory holds the targets in\n"
"flight, not those done: besides, with -o, about 50 bytes a target the\n"
"file already holds, and with several vantage points about 140 bytes a\n"
"target for path_dependent.  Ctrl-C stops sending, waits a second for\n"
"answers, writes the targets that are complete and the summary.  TTL\n"
"walks are paced by hdp trace, three at a time, outside --rate.\n"
"\n"
"Exit status: 0 done (broken paths are results, not failures); 1 cut\n"
"short by a signal, some probes could not be sent, or a vantage point\n"
"failed; 2 bad usage or a bad target; 3 no privileges (raw sockets);\n"
"4 the system refused.\n", remote_usage);
}

/* ---- step 1: options ------------------------------------------------------ */

enum { O_FROM = 256, O_REPEAT, O_RATE, O_EXCL, O_JSON, O_PLOT, O_FORCE,
       O_NOTRACE, O_TCP, O_UDP, O_VNAME };

#define PARSE_DONE (-1)

static int
parse_secs(const char *s, unsigned *ms)
{
	char *end;
	double d = strtod(s, &end);

	if (end == s || *end != '\0' || isnan(d))
		return tool_usage_err("-w '%s' is not a number of seconds",
				      tool_safe(s)), -1;
	if (!(d >= 0) || d > 600)
		return tool_usage_err("-w '%s' is out of range 0-600",
				      tool_safe(s)), -1;
	*ms = (unsigned)(d * 1000.0 + 0.5);
	return 0;
}

static int
parse_opt(struct sv_opts *o, struct remote_cfg *rc, int c, const char *a)
{
	uint64_t v = 0;
	int r = 0;

	switch (c) {
	case 'T': o->tfile = a; break;
	case O_FROM:
		if (o->nfrom == SV_MAXFROM)
			return tool_usage_err("--from: at most %d points",
					      SV_MAXFROM), -1;
		o->from[o->nfrom++] = a;
		break;
	case 'P': r = tool_opt_uint(a, 0, 255, &v, "-P");
		o->hdp_proto = (unsigned)v; break;
	case O_REPEAT: r = tool_opt_uint(a, 1, SV_MAXREP, &v, "--repeat");
		o->repeat = (unsigned)v; break;
	case O_RATE: r = tool_opt_uint(a, 1, 1000000, &v, "--rate");
		o->rate = (double)v; break;
	case O_EXCL: o->exclude = a; break;
	case 'o': o->out = a; break;
	case O_JSON: o->json = 1; break;
	case O_PLOT: o->plot = a; break;
	case O_FORCE: o->force = 1; break;
	case 'w': r = parse_secs(a, &o->wait_ms); break;
	case O_NOTRACE: o->no_trace = 1; break;
	case O_TCP: r = tool_opt_uint(a, 1, 65535, &v, "--tcp-port");
		o->tcp_port = (unsigned)v; break;
	case O_UDP: r = tool_opt_uint(a, 1, 65535 - SV_MAXREP, &v,
				      "--udp-port");
		o->udp_port = (unsigned)v; break;
	case '4': o->family = AF_INET; break;
	case '6': o->family = AF_INET6; break;
	case 'q': o->quiet = 1; break;
	case O_VNAME: o->vantage = a; o->child = 1; break;
	default:
		r = remote_cfg_opt(rc, c, a) < 0 ? -1 : 0;
		break;
	}
	return r;
}

/* What the options say together. */
static int
check_opts(struct sv_opts *o)
{
	int i, local = 0;

	if (o->ntargets == 0 && o->tfile == NULL)
		return tool_usage_err("no targets (TARGET... or -T FILE)");
	if (o->hdp_proto == 1 || o->hdp_proto == 6 || o->hdp_proto == 17 ||
	    o->hdp_proto == 58)
		return tool_usage_err("-P %u is a baseline's protocol",
				      o->hdp_proto);
	if (o->plot != NULL && !strstr(o->plot, ".png") &&
	    !strstr(o->plot, ".svg"))
		return tool_usage_err("--plot: %s: not a .png or .svg file",
				      tool_safe(o->plot));
	for (i = 0; i < o->nfrom; i++) {
		if (strcmp(o->from[i], "local") == 0) {
			local++;
			continue;
		}
		if (strncmp(o->from[i], "ssh://", 6) != 0)
			return tool_usage_err("--from %s: local or "
					      "ssh://[user@]host[:port]",
					      tool_safe(o->from[i]));
	}
	if (local > 1)
		return tool_usage_err("--from local: given twice");
	/* only local: no children */
	if (o->nfrom == 1 && local == 1)
		o->nfrom = 0;
	return HDP_EXIT_OK;
}

static int
parse_opts(struct sv_opts *o, struct remote_cfg *rc, int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "from",      required_argument, NULL, O_FROM },
		{ "repeat",    required_argument, NULL, O_REPEAT },
		{ "rate",      required_argument, NULL, O_RATE },
		{ "exclude",   required_argument, NULL, O_EXCL },
		{ "json",      no_argument,       NULL, O_JSON },
		{ "plot",      required_argument, NULL, O_PLOT },
		{ "force",     no_argument,       NULL, O_FORCE },
		{ "no-trace",  no_argument,       NULL, O_NOTRACE },
		{ "tcp-port",  required_argument, NULL, O_TCP },
		{ "udp-port",  required_argument, NULL, O_UDP },
		{ "vantage-name", required_argument, NULL, O_VNAME },
		{ "wait",      required_argument, NULL, 'w' },
		{ "help",      no_argument,       NULL, 'h' },
		REMOTE_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	int c;

	o->hdp_proto = HDP_PROTO;
	o->repeat = 3;
	o->rate = 100;
	o->wait_ms = 2000;
	o->family = AF_UNSPEC;
	o->tcp_port = 80;
	o->udp_port = 33434;
	o->vantage = "local";
	o->argc = argc;
	o->argv = argv;
	optind = 0;
	while ((c = tool_getopt(argc, argv, "T:P:o:w:46qh", lopts)) != -1) {
		if (c == '?')
			return HDP_EXIT_USAGE;
		if (c == 'h') {
			usage_survey(stdout);
			return PARSE_DONE;
		}
		if (parse_opt(o, rc, c, optarg) != 0)
			return HDP_EXIT_USAGE;
	}
	o->targets = argv + optind;
	o->ntargets = argc - optind;
	return check_opts(o);
}

/* ---- steps 2-4 -------------------------------------------------------------- */

int
cmd_survey(int argc, char **argv)
{
	struct sv_opts o;
	struct remote_cfg rcfg;
	struct sv_out *w = NULL;
	uint64_t t0;
	int rc, frc;

	memset(&o, 0, sizeof(o));
	memset(&rcfg, 0, sizeof(rcfg));
	rcfg.connect_timeout = 10;
	rc = parse_opts(&o, &rcfg, argc, argv);
	if (rc == PARSE_DONE || (rc == HDP_EXIT_OK && tool_parse_only))
		return HDP_EXIT_OK;
	if (rc != HDP_EXIT_OK)
		goto out;
	if ((w = sv_out_open(&o, &rc)) == NULL)
		goto out;
	tool_catch_stop(NULL);
	t0 = hdp_mono_ns();
	rc = o.nfrom > 0 ? sv_run_from(&o, &rcfg, w) : sv_run_local(&o, w);
	if (rc == HDP_EXIT_PERM || rc == HDP_EXIT_ENV ||
	    (rc == HDP_EXIT_USAGE && !sv_out_any(w)))
		goto out;
	/* a child reports only its results: the parent sums them up */
	frc = sv_out_finish(w, tool_stop != 0, hdp_mono_ns() - t0);
	if (tool_stop) {
		tool_err("interrupted: the targets done are written");
		if (rc == HDP_EXIT_OK)
			rc = HDP_EXIT_FAIL;
	}
	if (frc != HDP_EXIT_OK)
		rc = frc;
out:
	sv_out_free(w);
	remote_cfg_free(&rcfg);
	return rc;
}
