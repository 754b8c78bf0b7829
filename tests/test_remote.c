/*
 * test_remote.c: drives src/tool_remote.c's API for tests/remote_core.sh
 * (no hidden subcommand in hdp itself).  One action per run:
 *
 *   test_remote [REMOTE OPTIONS] parse [--iface] SPEC...
 *       point_parse each SPEC: "kind user host port iface file" lines
 *   test_remote [REMOTE OPTIONS] info POINT
 *       remote_open, then key=value lines: what remote_info found, the
 *       clock at open and once more, then remote_close
 *   test_remote [REMOTE OPTIONS] capture POINT COUNT [FILTER]
 *       remote_capture; "listening" on standard output once it is; then
 *       COUNT packets read back with pcap_fopen_offline from .out (one
 *       "pkt CAPLEN PROTO" line each; COUNT 0: none, only the pcap
 *       header, "linktype=N"), remote_stop, the rest until the
 *       end of the stream, remote_finish: "status=N captured=N"
 *   test_remote [REMOTE OPTIONS] hold POINT [POINT2]
 *       captures at POINT (and POINT2), says "listening", then waits for
 *       a signal (the test kills it with SIGKILL)
 *   test_remote [REMOTE OPTIONS] open POINT...
 *       remote_open_all for the POINTs (at most 16): "ok SPEC" or "failed
 *       SPEC" lines, "failed=N", then remote_close for each
 *   test_remote [REMOTE OPTIONS] noclose POINT
 *       remote_open, then exit() without remote_close (the exit handler
 *       must end the master and remove the control directory)
 *   test_remote [REMOTE OPTIONS] spawn POINT ARG...
 *       remote_spawn(ARG...) on POINT's host (POINT "local": here), its
 *       standard output copied, then "status=N"
 *
 * POINT is parsed by point_parse.  $HDP_REAL or else $HDP, when set, is
 * what a local "hdp" runs (remote_local_hdp).  Exit 0 when the action
 * worked, 1 when not (the API said why on standard error), 2 for bad
 * arguments.
 */
#include "config.h"

#include <getopt.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/tool.h"
#include "../src/tool_remote.h"

static struct remote_cfg cfg;

/* The IP protocol (IPv6: first next header) of a captured frame, -1
 * when the frame is too short or not IP.  Every offset is checked
 * against caplen. */
static int
ip_proto(int dlt, const u_char *b, unsigned caplen)
{
	unsigned off, et;

	switch (dlt) {
	case DLT_EN10MB:
		if (caplen < 14) return -1;
		et = (unsigned)b[12] << 8 | b[13]; off = 14; break;
	case DLT_LINUX_SLL:
		if (caplen < 16) return -1;
		et = (unsigned)b[14] << 8 | b[15]; off = 16; break;
	case DLT_LINUX_SLL2:
		if (caplen < 20) return -1;
		et = (unsigned)b[0] << 8 | b[1]; off = 20; break;
	case DLT_RAW:
		if (caplen < 1) return -1;
		et = (b[0] >> 4) == 6 ? 0x86dd : 0x0800; off = 0; break;
	default:
		return -1;
	}
	if (et == 0x0800 && caplen >= off + 10)
		return b[off + 9];
	if (et == 0x86dd && caplen >= off + 7)
		return b[off + 6];
	return -1;
}

static int
do_parse(int argc, char **argv)
{
	int need = 0, i, rc = 0;

	if (argc > 0 && strcmp(argv[0], "--iface") == 0) {
		need = 1;
		argc--, argv++;
	}
	for (i = 0; i < argc; i++) {
		struct point p;
		static const char *kinds[] = { "file", "iface", "ssh" };

		if (point_parse(argv[i], need, &p) != 0) {
			printf("error\n");
			rc = 1;
			continue;
		}
		printf("%s %s %s %u %s %s\n", kinds[p.kind],
		       p.user ? p.user : "-", p.host ? p.host : "-", p.port,
		       p.iface ? p.iface : "-", p.file ? p.file : "-");
		point_free(&p);
	}
	return rc;
}

/* point_parse, and remote_open for an ssh:// one (*h NULL otherwise) */
static int
open_point(const char *spec, int need_iface, struct point *p,
	   struct remote_host **h)
{
	*h = NULL;
	if (point_parse(spec, need_iface, p) != 0)
		return -1;
	if (p->kind == POINT_SSH && (*h = remote_open(&cfg, p)) == NULL) {
		point_free(p);
		return -1;
	}
	return 0;
}

static int
do_info(const char *spec)
{
	struct point p;
	struct remote_host *h;
	const struct remote_info *in;
	struct remote_clock c2;

	if (open_point(spec, 0, &p, &h) != 0)
		return 1;
	if (h == NULL) {
		fprintf(stderr, "%s: not an ssh:// point\n", spec);
		point_free(&p);
		return 2;
	}
	in = remote_info(h);
	printf("hdp_version=%s\nhdp_ok=%d\nhas_tcpdump=%d\nkernel=%s\n"
	       "addr=%s\noffset_ns=%lld\nuncert_ns=%lld\n", in->hdp_version,
	       in->hdp_ok, in->has_tcpdump, in->kernel, in->addr,
	       (long long)in->clock_start.offset_ns,
	       (long long)in->clock_start.uncert_ns);
	if (remote_clock(h, &c2) == 0)
		printf("offset2_ns=%lld\nuncert2_ns=%lld\n",
		       (long long)c2.offset_ns, (long long)c2.uncert_ns);
	else
		printf("offset2_ns=none\n");
	remote_close(h);
	point_free(&p);
	return 0;
}

/* Read packets from the capture until count (0: the end of the stream) */
static long
read_packets(pcap_t *pc, long count)
{
	struct pcap_pkthdr *ph;
	const u_char *b;
	long n = 0;
	int r;

	while ((count == 0 || n < count) &&
	       (r = pcap_next_ex(pc, &ph, &b)) == 1) {
		printf("pkt %u %d\n", ph->caplen,
		       ip_proto(pcap_datalink(pc), b, ph->caplen));
		fflush(stdout);
		n++;
	}
	return n;
}

static int
do_capture(const char *spec, long count, const char *filter)
{
	char eb[PCAP_ERRBUF_SIZE];
	struct point p;
	struct remote_host *h;
	struct remote_proc *rp;
	pcap_t *pc;
	FILE *f;
	long n;
	int st;

	if (open_point(spec, 1, &p, &h) != 0)
		return 1;
	rp = remote_capture(h, &p, filter, 10000);
	if (rp == NULL) {
		remote_close(h);
		point_free(&p);
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	alarm(30);	/* bounded, whatever happens */
	f = fdopen(rp->out, "rb");
	pc = f ? pcap_fopen_offline_with_tstamp_precision(f,
			PCAP_TSTAMP_PRECISION_NANO, eb) : NULL;
	if (pc == NULL) {
		fprintf(stderr, "pcap_fopen_offline: %s\n", f ? eb : "fdopen");
		if (f != NULL)
			fclose(f);
		rp->out = -1;
		remote_finish(rp, 3000);
		remote_close(h);
		point_free(&p);
		return 1;
	}
	rp->out = -1;	/* pcap_close closes it */
	printf("linktype=%d\n", pcap_datalink(pc));
	n = count > 0 ? read_packets(pc, count) : 0;
	remote_stop(rp);
	n += read_packets(pc, 0);
	pcap_close(pc);
	st = remote_finish(rp, 5000);
	printf("status=%d captured=%ld\n", st, n);
	remote_close(h);
	point_free(&p);
	return 0;
}

static int
do_hold(int argc, char **argv)
{
	struct point p[2];
	struct remote_host *h[2] = { NULL, NULL };
	struct remote_proc *rp[2] = { NULL, NULL };
	int i, n = 0;

	for (i = 0; i < argc && i < 2; i++, n++) {
		if (open_point(argv[i], 1, &p[i], &h[i]) != 0)
			break;
		if ((rp[i] = remote_capture(h[i], &p[i], NULL, 10000)) ==
		    NULL) {
			n++;
			break;
		}
	}
	if (i == argc || i == 2) {
		printf("listening\n");
		fflush(stdout);
		alarm(60);
		pause();	/* the test kills us */
	}
	/* a point failed: undo the others */
	for (i = 0; i < n; i++) {
		remote_finish(rp[i], 3000);
		remote_close(h[i]);
		point_free(&p[i]);
	}
	return 1;
}

static int
do_open(int argc, char **argv)
{
	struct point p[16];
	struct remote_host *h[16];
	int i, n = argc < 16 ? argc : 16;
	size_t failed;

	for (i = 0; i < n; i++)
		if (point_parse(argv[i], 0, &p[i]) != 0)
			return 2;
	failed = remote_open_all(&cfg, p, (size_t)n, h);
	for (i = 0; i < n; i++)
		printf("%s %s\n", h[i] ? "ok" : p[i].kind == POINT_SSH ?
		       "failed" : "here", argv[i]);
	printf("failed=%zu\n", failed);
	for (i = 0; i < n; i++) {
		remote_close(h[i]);
		point_free(&p[i]);
	}
	return failed != 0;
}

static int
do_spawn(const char *spec, char **argv)
{
	struct point p;
	struct remote_host *h = NULL;
	struct remote_proc *rp;
	char buf[4096];
	ssize_t r;
	int local = strcmp(spec, "local") == 0, st;

	memset(&p, 0, sizeof(p));
	if (!local && open_point(spec, 0, &p, &h) != 0)
		return 1;
	rp = remote_spawn(h, spec, argv);
	if (rp == NULL) {
		remote_close(h);
		point_free(&p);
		return 1;
	}
	alarm(30);
	while ((r = read(rp->out, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)r, stdout);
	st = remote_finish(rp, 5000);
	printf("status=%d\n", st);
	remote_close(h);
	point_free(&p);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = { REMOTE_LONGOPTS,
					    { NULL, 0, NULL, 0 } };
	int c, rc;

	hdp_progname = "test_remote";
	/* under HDP_VALGRIND, $HDP is valgrind's wrapper, which would run
	 * $HDP_VG_PROG (this program) again: the real hdp then */
	remote_local_hdp = getenv("HDP_REAL");
	if (remote_local_hdp == NULL)
		remote_local_hdp = getenv("HDP");
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "+", lo, NULL)) != -1) {
		rc = remote_cfg_opt(&cfg, c, optarg);
		if (rc != 1)
			return 2;
	}
	argc -= optind;
	argv += optind;
	if (argc >= 1 && strcmp(argv[0], "parse") == 0)
		rc = do_parse(argc - 1, argv + 1);
	else if (argc == 2 && strcmp(argv[0], "info") == 0)
		rc = do_info(argv[1]);
	else if ((argc == 3 || argc == 4) && strcmp(argv[0], "capture") == 0)
		rc = do_capture(argv[1], atol(argv[2]),
				argc == 4 ? argv[3] : NULL);
	else if ((argc == 2 || argc == 3) && strcmp(argv[0], "hold") == 0)
		rc = do_hold(argc - 1, argv + 1);
	else if (argc == 2 && strcmp(argv[0], "noclose") == 0) {
		struct point p;
		struct remote_host *h;

		rc = open_point(argv[1], 0, &p, &h) != 0;
		if (rc == 0)
			point_free(&p);
		remote_cfg_free(&cfg);
		exit(rc);
	} else if (argc >= 2 && strcmp(argv[0], "open") == 0)
		rc = do_open(argc - 1, argv + 1);
	else if (argc >= 3 && strcmp(argv[0], "spawn") == 0)
		rc = do_spawn(argv[1], argv + 2);
	else {
		fprintf(stderr, "usage: see tests/test_remote.c\n");
		rc = 2;
	}
	remote_cfg_free(&cfg);
	return rc;
}
