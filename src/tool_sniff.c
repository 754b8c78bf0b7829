/*
 * tool_sniff.c: hdp sniff, tcpdump-style capture and reading of HDP.
 *
 * libpcap does all of it: live capture (pcap_create/pcap_activate through
 * hdp_cap_open_live), offline reading of pcap and pcapng (also from
 * standard input), writing with nanosecond timestamps (hdp_dump_open).
 * The printers are in hdp_print.c; this file parses options, opens
 * things, runs the loop and says how it went.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdp/hdp.h>
#include "hdp_capture.h"
#include "hdp_dump.h"
#include "hdp_file.h"
#include "hdp_print.h"
#include "hdp_rotate.h"
#include "tool.h"

struct sniff {
	pcap_t        *p;
	struct hdp_dump *dumper;
	struct bpf_program prog;   /* offline: applied here, to count */
	int            offline_filter;
	int            print;
	int            unbuffered;  /* -U: the -w file per packet */
	int            linebuf;     /* -l: standard output per packet */
	uint64_t       count;       /* -c; 0: no limit */
	uint64_t       seen;        /* packets read (offline)      */
	uint64_t       taken;       /* packets that passed the filter */
	struct hdp_rot *rot;        /* -C/-G/-W: rotating -w files     */
	int            rot_stop;    /* -1 rotation failed, 1 -G -W done */
	int            rot_stuck;   /* a next file could not be made   */
	FILE          *wf;          /* -w, created; no header yet      */
	struct hdp_file_id wid;
	int            out_opened;  /* the -w file(s) exist            */
	int            out_started; /* the -w file(s) have headers     */
	char           rot_err[512];
	int            stopped;     /* the loop ended itself           */
	struct hdp_printer pr;
};

static pcap_t *volatile g_pcap;
static volatile sig_atomic_t g_info, g_flush;	/* SIGUSR1, SIGUSR2 */

/*
 * Signals, as tcpdump takes them; none may lose a captured packet.
 * INT, TERM, HUP, ALRM and PIPE end the run with every file whole; USR1
 * prints the counts so far and the capture goes on; USR2 writes what the
 * -w buffer holds to the file now.  Each handler only sets a flag and
 * breaks the loop, which looks at the flags.
 */
static void
on_signal(int sig)
{
	(void)sig;
	tool_stop = 1;
	if (g_pcap != NULL)
		pcap_breakloop(g_pcap);
}

static void
on_user_signal(int sig)
{
	if (sig == SIGUSR1)
		g_info = 1;
	else
		g_flush = 1;
	if (g_pcap != NULL)
		pcap_breakloop(g_pcap);
}

static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGALRM,
				    SIGPIPE };

static void
catch_signals(void)
{
	struct sigaction sa;
	size_t i;

	tool_stop = 0;
	g_info = g_flush = 0;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;	/* no SA_RESTART: poll() returns */
	for (i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		sigaction(stop_signals[i], &sa, NULL);
	sa.sa_handler = on_user_signal;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
}

/* After the loop: a second INT, TERM or HUP may still end a final write
 * that hangs; the others cannot cost the files anything any more. */
static void
release_signals(void)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGALRM, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);	/* a closed stdout: EPIPE, said */
	signal(SIGUSR1, SIG_IGN);
	signal(SIGUSR2, SIG_IGN);
}

void
usage_sniff(FILE *out)
{
	fprintf(out,
"usage: hdp sniff [-i IFACE | -r FILE] [-w FILE [-U] [--print] [--force]\n"
"                 [-C SIZE] [-G SECONDS] [-W N]]\n"
"                 [-c COUNT] [-s SNAPLEN] [-p] [-B KIB] [--immediate]\n"
"                 [-e] [-v | -vv | -vvv] [-q] [-x | -xx | -X | -XX | -A]\n"
"                 [--decode | --count | --json | --table] [-n]\n"
"                 [-t | -tt | -ttt | -tttt | -ttttt]\n"
"                 [--nano | --micro] [--ifnames] [-l] [-Z USER]\n"
"                 [--icmp] [-Q in|out|inout] [-y TYPE]\n"
"                 [--filter EXPR] [-F FILE | BPF EXPRESSION ...]\n"
"       hdp sniff -D\n"
"       hdp sniff -L [-i IFACE]\n"
"\n"
"Capture HDP (IP protocol 255) live, or read a pcap/pcapng file, and print\n"
"one line per packet in tcpdump's manner:\n"
"  12:00:00.000000 IP 127.0.0.1.420 > 127.0.0.1.420: HDP ts NS latency 21.2 us len N\n"
"latency is the capture time minus the HDP timestamp (in us, ms or s); len\n"
"is tcpdump's: the payload's length at the layer printed (after the HDP\n"
"header).  The flags below mean what they mean in tcpdump(8).\n"
"\n"
"  -i IFACE       capture on IFACE (default: any; Linux cooked v2 headers\n"
"                 give each packet's interface and direction)\n"
"  -D             list the interfaces libpcap can capture on\n"
"  -r FILE        read a pcap or pcapng file; '-' is standard input\n"
"  -w FILE        write packets to a pcap file with nanosecond timestamps\n"
"                 instead of printing them (--print: both); never\n"
"                 overwrites an existing FILE unless --force, and then\n"
"                 only a regular file of this user (no FIFO, device,\n"
"                 symbolic link or other user's file)\n"
"  -U             flush the -w file after every packet\n"
"  -C SIZE        start a new -w file (FILE1, FILE2 ...) once one holds\n"
"                 SIZE million bytes (or SIZEk, SIZEm, SIZEg)\n"
"  -G SECONDS     start a new -w file every SECONDS of packet time; FILE\n"
"                 may be a strftime pattern (UTC: the clock for the\n"
"                 first file, packet time after), else numbered as -C\n"
"  -W N           with -C: a ring of N files FILE0..., all made at the\n"
"                 start; with -G: stop after N files.  Each file is\n"
"                 complete when the next one starts; files that exist\n"
"                 are not overwritten (--force).  A next file that\n"
"                 cannot be made: the rest goes into the current one\n"
"  -c COUNT       stop after COUNT packets\n"
"  -s SNAPLEN     capture at most SNAPLEN bytes of each packet (262144)\n"
"  -p             do not put the interface into promiscuous mode\n"
"  -B KIB         capture buffer size in KiB\n"
"  --immediate    deliver every packet at once (default when printing\n"
"                 to a terminal)\n"
"  -e             the link-level header on each line (MAC addresses,\n"
"                 ethertype, VLAN tags, cooked header, length)\n"
"  -v, -vv, -vvv  the IP header's fields on the line: (tos, ttl, id,\n"
"                 offset, flags, proto, length) or IPv6's (class,\n"
"                 flowlabel, hlim, next-header, payload length)\n"
"  -q             shorter lines: no HDP timestamp\n"
"  -x, -xx        each packet in hex from the network header (-xx: from\n"
"                 the link-level header)\n"
"  -X, -XX        the same in hex and ASCII\n"
"  -A             each packet in ASCII from the network header, as\n"
"                 tcpdump -A (tabs and newlines as they are)\n"
"  --decode       the original server's decode after each line:\n"
"                 ~~~ IP Header ~~~ with every field and the checksum\n"
"                 verified, then ~~~ HDP Header & Data ~~~\n"
"  --count        print no packets, only the counts\n"
"  --json         one JSON object per packet (fields in hdp(1))\n"
"  --table        the original server's markdown table rows\n"
"  -t, -tt, -ttt, -tttt, -ttttt  no time stamp; seconds since the epoch;\n"
"                 time since the previous packet; date and time; time\n"
"                 since the first packet\n"
"  --nano, --micro  print time stamps with 9 or 6 decimals (default: the\n"
"                 file's precision; 6 for live capture)\n"
"  --ifnames      name the interfaces of a file's cooked (SLL2) headers\n"
"                 by this host's interface indexes (default: ifN)\n"
"  -l             flush standard output after every packet\n"
"  -n             accepted for tcpdump's sake: hdp never resolves names\n"
"  -Z, --user USER  after opening the capture (-r: the file, before a\n"
"                 byte is read) and the -w file, run as USER with no\n"
"                 capabilities or groups (default nobody when started\n"
"                 as root; -Z root stays root)\n"
"  --icmp         also capture ICMP and ICMPv6 errors that quote HDP\n"
"                 (unreachable, time exceeded, parameter problem, too\n"
"                 big): printed as tcpdump prints them, then the quoted\n"
"                 HDP header on a line of its own; --json adds icmp_type,\n"
"                 icmp_code, icmp_error, icmp_text and a quoted object\n"
"  --filter EXPR  use the BPF expression EXPR instead of the default\n"
"  -F FILE        read the BPF expression from FILE (an expression given\n"
"                 on the command line is then ignored, with a warning)\n"
"  -Q, --direction=in|out|inout  capture only packets received, sent,\n"
"                 or both (live only)\n"
"  -L             list the link types of IFACE, as tcpdump -L\n"
"  -y TYPE        capture with link type TYPE (a name -L lists; only\n"
"                 types hdp decodes)\n"
"\n"
"Default filter (IPv6 extension headers are walked by protochain):\n"
"  " HDP_FILTER_DEFAULT "\n"
"Linux cannot run protochain's loop in the kernel, so a live capture loads the\n"
"same walk unrolled for up to three extension headers (hop-by-hop, routing,\n"
"destination options, fragment, AH) in any order.\n"
"Alone on Ethernet it also matches HDP behind one or two VLAN tags. A BPF\n"
"expression given as trailing arguments comes first, ANDed with it; as in\n"
"tcpdump, write 'vlan and ...' there to see tagged traffic.\n"
"\n"
"On exit (COUNT reached, end of file, SIGINT, SIGTERM, SIGHUP, SIGALRM,\n"
"SIGPIPE) the output and the -w file are flushed, and the counts go to\n"
"standard error as tcpdump's.  SIGUSR1 prints the counts so far and the\n"
"capture goes on; SIGUSR2 writes the -w buffer to the file now.\n"
"Exit status: 0 ok; 1 packets dropped or a read error; 2 bad usage, bad\n"
"filter or bad file; 3 no permission to capture; 4 the system refused.\n");
}

static int
list_devices(void)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_if_t *all, *d;
	int i = 1;

	if (pcap_findalldevs(&all, eb) != 0) {
		tool_err("cannot list interfaces: %s", eb);
		return HDP_EXIT_ENV;
	}
	for (d = all; d != NULL; d = d->next, i++) {
		printf("%d.%s", i, tool_safe(d->name));
		if (d->description != NULL)
			printf(" (%s)", tool_safe(d->description));
		printf(" [%s%s%s]\n",
		       (d->flags & PCAP_IF_UP) ? "Up" : "Down",
		       (d->flags & PCAP_IF_RUNNING) ? ", Running" : "",
		       (d->flags & PCAP_IF_LOOPBACK) ? ", Loopback" : "");
	}
	pcap_freealldevs(all);
	return HDP_EXIT_OK;
}

/* -C/-G/-W before writing h: nonzero when the capture must stop (the
 * -G -W limit, or an error in s->rot_err). */
static int
rotate(struct sniff *s, const struct pcap_pkthdr *h)
{
	int r;

	if (s->rot_stop)
		return s->rot_stop;
	r = hdp_rot_next(s->rot, h, &s->dumper, s->rot_err,
			 sizeof(s->rot_err));
	if (r == 2) {
		/* no next file: the packets go on into this one */
		tool_err("%s", s->rot_err);
		s->rot_stuck = 1;
		return 0;
	}
	s->rot_stop = r;
	return r;
}

/* The loop ends for a reason of its own (count, rotation, full disk). */
static void
stop_loop(struct sniff *s)
{
	s->stopped = 1;
	pcap_breakloop(s->p);
}

static void
on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct sniff *s = (struct sniff *)user;

	s->seen++;
	if (s->offline_filter &&
	    pcap_offline_filter(&s->prog, h, bytes) == 0)
		return;
	s->taken++;
	if (s->rot != NULL && rotate(s, h) != 0) {
		stop_loop(s);	/* every file is complete */
		return;
	}
	if (s->dumper != NULL &&
	    (hdp_dump_packet(s->dumper, h, bytes) != 0 ||
	     (s->unbuffered && hdp_dump_flush(s->dumper) != 0))) {
		/* a full disk: stop now rather than lose the rest; the
		 * file keeps its whole packets, the close says how many */
		stop_loop(s);
		return;
	}
	if (s->print) {
		hdp_print_packet(&s->pr, h, bytes);
		if (s->linebuf)
			hdp_printer_flush(&s->pr);
	}
	if (s->count && s->taken >= s->count)
		stop_loop(s);
}

/* -C SIZE (millions of bytes, or with a k, m or g suffix), -G SECONDS,
 * -W FILES, as tcpdump takes them. */
static int
rot_option(int c, const char *arg, struct hdp_rot_opts *ro)
{
	char num[32], err[128], opt[3] = { '-', (char)c, '\0' };
	uint64_t v, unit = 1000000;
	size_t n = strlen(arg);

	if (c == 'C' && n > 0 && n < sizeof(num) &&
	    strchr("kKmMgG", arg[n - 1]) != NULL) {
		unit = strchr("kK", arg[n - 1]) ? 1000 :
		       strchr("mM", arg[n - 1]) ? 1000000 : 1000000000;
		memcpy(num, arg, n - 1);
		num[n - 1] = '\0';
		arg = num;
	}
	if (hdp_parse_uint(arg, 1, c == 'G' ? 31536000 : 1000000, &v, opt,
			   err, sizeof(err)) != 0) {
		tool_err("%s", err);
		return -1;
	}
	if (c == 'C')
		ro->max_bytes = v * unit;
	else if (c == 'G')
		ro->max_secs = (unsigned)v;
	else
		ro->max_files = (unsigned)v;
	return 0;
}

static const char *
plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* Options without a short letter. */
enum {
	OPT_JSON = 256, OPT_TABLE, OPT_FILTER, OPT_FORCE, OPT_PRINT,
	OPT_IMMEDIATE, OPT_NANO, OPT_MICRO, OPT_IFNAMES, OPT_ICMP, OPT_HELP,
	OPT_COUNT, OPT_DECODE
};

/* -r FILE: opened now, with the privileges we started with, and read
 * only after they are dropped (a capture is hostile input). */
static int
open_input(const char *rfile, int *fd)
{
	if (strcmp(rfile, "-") == 0) {
		*fd = STDIN_FILENO;
		return 0;
	}
	*fd = open(rfile, O_RDONLY | O_CLOEXEC);
	if (*fd < 0) {
		tool_errno("%s", rfile);
		return HDP_EXIT_USAGE;
	}
	return 0;
}

/*
 * Can the file on fd be a capture at all?  The four bytes of its magic
 * number, read in place (a pipe cannot be told: yes).  An input that is
 * plainly no capture gets no -w file made for it before the drop, which
 * could not be removed after: libpcap says what is wrong with it.
 */
static int
may_be_capture(int fd)
{
	static const uint32_t magic[] = {
		0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, /* pcap  */
		0xa1b2cd34, 0x34cdb2a1,             /* pcap, Kuznetzov's */
		0x0a0d0d0a                          /* pcapng            */
	};
	struct stat st;
	uint8_t b[4];
	uint32_t m;
	size_t i;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return 1;
	if (pread(fd, b, 4, 0) != 4)
		return 0;
	m = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
	    b[3];
	for (i = 0; i < sizeof(magic) / sizeof(magic[0]); i++)
		if (m == magic[i])
			return 1;
	return 0;
}

/* -w: create the file, or the rotation's first files, while we may; the
 * headers are written by start_output() once the link type is known. */
static int
open_output(struct sniff *s, const char *wfile, struct hdp_rot_opts *ro,
	    int force)
{
	char err[PCAP_ERRBUF_SIZE + 256];

	if (wfile == NULL || s->out_opened)
		return 0;
	if (s->print && strcmp(wfile, "-") == 0) {
		tool_err("-w - and printing both want standard output");
		return HDP_EXIT_USAGE;
	}
	if (ro->max_bytes || ro->max_secs || ro->max_files) {
		ro->path = wfile;
		ro->force = force;
		s->rot = hdp_rot_open(ro, err, sizeof(err));
	} else {
		s->wf = hdp_file_create_id(wfile, force, &s->wid, err,
					   sizeof(err));
	}
	if (s->rot == NULL && s->wf == NULL) {
		int rc = HDP_FILE_REFUSED(errno) ? HDP_EXIT_USAGE :
			 HDP_EXIT_ENV;

		tool_err("%s", err);
		return rc;
	}
	s->out_opened = 1;
	return 0;
}

/* The -w file's header (the rotation's first file) for link type dlt. */
static int
start_output(struct sniff *s, const char *wfile, int dlt)
{
	char err[PCAP_ERRBUF_SIZE + 256];
	int snap = pcap_snapshot(s->p), rc;
	FILE *f = s->wf;

	if (s->rot != NULL) {
		if (hdp_rot_begin(s->rot, dlt, snap, &s->dumper, err,
				  sizeof(err)) != 0)
			goto fail;
	} else if (f != NULL) {
		s->wf = NULL;
		s->dumper = hdp_dump_fopen(f, wfile, dlt, snap, err,
					   sizeof(err));
		if (s->dumper == NULL)
			goto fail;
	}
	s->out_started = 1;
	return 0;

fail:
	rc = HDP_FILE_REFUSED(errno) ? HDP_EXIT_USAGE : HDP_EXIT_ENV;
	tool_err("%s", err);
	return rc;
}

/* The run ends before the -w files got their headers (the input was no
 * capture): remove the files it created, if we still may. */
static void
discard_output(struct sniff *s, const char *wfile)
{
	char err[PCAP_ERRBUF_SIZE + 256];

	if (s->out_started)
		return;
	if (s->wf != NULL) {
		if (s->wf != stdout)
			fclose(s->wf);
		s->wf = NULL;
		if (hdp_file_remove_created(wfile, &s->wid) < 0)
			tool_errno("%s: left behind empty", wfile);
	}
	if (s->rot != NULL && hdp_rot_discard(s->rot, err, sizeof(err)) != 0)
		tool_err("%s", err);
}

static int
drop_privileges(const char *zuser)
{
	char err[256];

	if (hdp_drop_privileges(zuser, err, sizeof(err)) != 0) {
		tool_err("%s", err);
		return HDP_EXIT_PERM;
	}
	return 0;
}

/* The counts, on standard error as tcpdump's (at the end and on
 * SIGUSR1); 1 when the kernel or the interface dropped packets. */
static int
report_counts(const struct sniff *s, int offline)
{
	struct pcap_stat st;

	if (offline) {
		fprintf(stderr, "%llu packet%s captured\n"
			"%llu packet%s received by filter\n"
			"0 packets dropped by kernel\n",
			(unsigned long long)s->taken, plural(s->taken),
			(unsigned long long)s->seen, plural(s->seen));
		return 0;
	}
	if (pcap_stats(s->p, &st) != 0) {
		fprintf(stderr, "%llu packet%s captured\n",
			(unsigned long long)s->taken, plural(s->taken));
		return 0;
	}
	fprintf(stderr, "%llu packet%s captured\n"
		"%u packet%s received by filter\n"
		"%u packet%s dropped by kernel\n",
		(unsigned long long)s->taken, plural(s->taken),
		st.ps_recv, plural(st.ps_recv), st.ps_drop, plural(st.ps_drop));
	if (st.ps_ifdrop != 0)
		fprintf(stderr, "%u packet%s dropped by interface\n",
			st.ps_ifdrop, plural(st.ps_ifdrop));
	return st.ps_drop != 0 || st.ps_ifdrop != 0;
}

/*
 * The loop was broken by SIGUSR1 or SIGUSR2 (and by nothing that ends
 * it): do what they ask; 1 to go on capturing.
 */
static int
on_user_break(struct sniff *s, int offline)
{
	if (tool_stop || s->stopped || (!g_info && !g_flush))
		return 0;
	if (g_info) {
		g_info = 0;
		hdp_printer_flush(&s->pr);
		fflush(stdout);
		report_counts(s, offline);
	}
	if (g_flush) {
		g_flush = 0;
		if (s->dumper != NULL && hdp_dump_flush(s->dumper) != 0)
			return 0;	/* a full disk: the close says it */
	}
	return 1;
}

/* tcpdump's -F, -Q, -L and -y: parsed here so cmd_sniff stays short. */
struct sniff_extra {
	const char *ffile;	/* -F: the filter expression's file */
	int dir_set;		/* -Q given */
	pcap_direction_t dir;
	int list_dlts;		/* -L */
	int dlt;		/* -y: -1 unless given */
};

static int
extra_option(int c, const char *arg, struct sniff_extra *x)
{
	switch (c) {
	case 'F': x->ffile = arg; return 0;
	case 'L': x->list_dlts = 1; return 0;
	case 'Q':
		x->dir_set = 1;
		if (strcmp(arg, "in") == 0)
			x->dir = PCAP_D_IN;
		else if (strcmp(arg, "out") == 0)
			x->dir = PCAP_D_OUT;
		else if (strcmp(arg, "inout") == 0)
			x->dir = PCAP_D_INOUT;
		else {
			tool_err("bad direction '%s' for -Q: in, out or "
				 "inout", tool_safe(arg));
			return -1;
		}
		return 0;
	case 'y':
		x->dlt = pcap_datalink_name_to_val(arg);
		if (x->dlt < 0) {
			tool_err("unknown link type '%s' for -y",
				 tool_safe(arg));
			return -1;
		}
		if (!hdp_dlt_supported(x->dlt)) {
			tool_err("link type '%s' is not one hdp decodes",
				 tool_safe(arg));
			return -1;
		}
		return 0;
	}
	return -1;
}

/* -F: the whole file is the expression (tcpdump ignores one given on the
 * command line too, and says so). */
static int
read_filter_file(const char *path, char **out)
{
	char name[64];
	uint8_t *b;
	size_t n, i;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	*out = NULL;
	if (fd < 0) {
		tool_err("-F %s: %s", tool_safe(path), strerror(errno));
		return HDP_EXIT_USAGE;
	}
	snprintf(name, sizeof(name), "-F %s", tool_safe(path));
	r = tool_read_all(fd, name, 1u << 20, "", &b, &n);
	close(fd);
	if (r != 0)
		return HDP_EXIT_USAGE;
	for (i = 0; i < n; i++)
		if (b[i] == '\n' || b[i] == '\t' || b[i] == '\r')
			b[i] = ' ';
	if (strspn((char *)b, " ") == n)
		free(b);	/* empty or blanks only: no expression */
	else
		*out = (char *)b;
	return HDP_EXIT_OK;
}

/* -L: the link types of the interface, as tcpdump lists them. */
static int
list_dlts(struct hdp_cap_opts *co)
{
	char err[PCAP_ERRBUF_SIZE + 256];
	pcap_t *p;
	int *dl = NULL, n, i;

	co->promisc = 0;
	p = hdp_cap_open_live(co, err, sizeof(err));
	if (p == NULL) {
		tool_err("%s", err);
		return tool_cap_status(err);
	}
	n = pcap_list_datalinks(p, &dl);
	if (n < 0) {
		tool_err("%s", pcap_geterr(p));
		pcap_close(p);
		return HDP_EXIT_ENV;
	}
	printf("Data link types for %s (use option -y to set):\n",
	       tool_safe(co->ifname ? co->ifname : "any"));
	for (i = 0; i < n; i++) {
		const char *nm = pcap_datalink_val_to_name(dl[i]);
		const char *d = pcap_datalink_val_to_description(dl[i]);

		if (nm != NULL)
			printf("  %s (%s)%s\n", nm, d ? d : "?",
			       hdp_dlt_supported(dl[i]) ? "" :
			       " (not decoded by hdp)");
		else
			printf("  DLT %d\n", dl[i]);
	}
	pcap_free_datalinks(dl);
	pcap_close(p);
	return fflush(stdout) == 0 ? HDP_EXIT_OK : HDP_EXIT_ENV;
}

/* -Q and -y on the open live capture. */
static int
apply_extras(pcap_t *p, const struct sniff_extra *x)
{
	if (x->dlt >= 0 && pcap_set_datalink(p, x->dlt) != 0) {
		tool_err("-y %s: %s", pcap_datalink_val_to_name(x->dlt),
			 pcap_geterr(p));
		return HDP_EXIT_USAGE;
	}
	if (x->dir_set && pcap_setdirection(p, x->dir) != 0) {
		tool_err("-Q: %s", pcap_geterr(p));
		return HDP_EXIT_ENV;
	}
	return HDP_EXIT_OK;
}

int
cmd_sniff(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json",      no_argument,       NULL, OPT_JSON },
		{ "table",     no_argument,       NULL, OPT_TABLE },
		{ "filter",    required_argument, NULL, OPT_FILTER },
		{ "force",     no_argument,       NULL, OPT_FORCE },
		{ "print",     no_argument,       NULL, OPT_PRINT },
		{ "immediate", no_argument,       NULL, OPT_IMMEDIATE },
		{ "nano",      no_argument,       NULL, OPT_NANO },
		{ "micro",     no_argument,       NULL, OPT_MICRO },
		{ "ifnames",   no_argument,       NULL, OPT_IFNAMES },
		{ "icmp",      no_argument,       NULL, OPT_ICMP },
		{ "user",      required_argument, NULL, 'Z' },
		{ "direction", required_argument, NULL, 'Q' },
		{ "count",     no_argument,       NULL, OPT_COUNT },
		{ "decode",    no_argument,       NULL, OPT_DECODE },
		{ "help",      no_argument,       NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 }
	};
	struct hdp_cap_opts co;
	struct hdp_rot_opts ro;
	struct sniff s;
	const char *rfile = NULL, *wfile = NULL, *user_filter = NULL;
	const char *zuser = NULL;
	char *trailing = NULL, *expr = NULL;
	char err[PCAP_ERRBUF_SIZE + 256];
	enum hdp_pr_mode mode = HDP_PR_LINE;
	enum hdp_pr_time tmode = HDP_PR_TIME_LOCAL;
	int xcount = 0, Xcount = 0, acount = 0, link = 0, vcount = 0;
	int brief = 0, force = 0, also_print = 0, immediate = 0, digits = 0;
	int ifnames = 0, tcount = 0, nprec = 0, have_filter_opt = 0;
	int icmp = 0;
	int rc = HDP_EXIT_OK, c, dlt, r, in_fd = -1, dropped = 0;
	uint64_t v;
	struct sniff_extra x = { NULL, 0, PCAP_D_INOUT, 0, -1 };

	memset(&s, 0, sizeof(s));
	memset(&co, 0, sizeof(co));
	memset(&ro, 0, sizeof(ro));
	co.promisc = 1;
	optind = 0;	/* glibc: a fresh scan from argv[1] */
	while ((c = tool_getopt(argc, argv, "+i:Dr:w:Uc:s:pB:vxXAeqntlZ:C:G:W:hF:Q:Ly:",
				longopts)) != -1) {
		switch (c) {
		case 'i': co.ifname = optarg; break;
		case 'D':
			if (tool_parse_only)
				break;
			return list_devices();
		case 'r': rfile = optarg; break;
		case 'w': wfile = optarg; break;
		case 'U': s.unbuffered = 1; break;
		case 'c':
			if (hdp_parse_uint(optarg, 1, UINT64_MAX, &s.count,
					   "-c", err, sizeof(err)) != 0) {
				tool_err("%s", err);
				return HDP_EXIT_USAGE;
			}
			break;
		case 's':
			if (hdp_parse_uint(optarg, 0, 262144, &v, "-s", err,
					   sizeof(err)) != 0) {
				tool_err("%s", err);
				return HDP_EXIT_USAGE;
			}
			co.snaplen = v == 0 ? 262144 : (int)v;
			break;
		case 'p': co.promisc = 0; break;
		case 'B':
			if (hdp_parse_uint(optarg, 1, 4194304, &v, "-B", err,
					   sizeof(err)) != 0) {
				tool_err("%s", err);
				return HDP_EXIT_USAGE;
			}
			co.buffer_kb = (int)v;
			break;
		case 'v': vcount++; break;
		case 'x': xcount++; break;
		case 'X': Xcount++; break;
		case 'A': acount++; break;
		case 'e': link = 1; break;
		case 'q': brief = 1; break;
		case OPT_COUNT: mode = HDP_PR_QUIET; break;
		case OPT_DECODE: mode = HDP_PR_VERBOSE; break;
		case 'n': break;
		case 't': tcount++; break;
		case 'l': s.linebuf = 1; break;
		case 'Z': zuser = optarg; break;
		case 'C': case 'G': case 'W':
			if (rot_option(c, optarg, &ro) != 0)
				return HDP_EXIT_USAGE;
			break;
		case 'F': case 'Q': case 'L': case 'y':
			if (extra_option(c, optarg, &x) != 0)
				return HDP_EXIT_USAGE;
			break;
		case OPT_JSON: mode = HDP_PR_JSON; break;
		case OPT_TABLE: mode = HDP_PR_TABLE; break;
		case OPT_FILTER:
			user_filter = optarg;
			have_filter_opt = 1;
			break;
		case OPT_FORCE: force = 1; break;
		case OPT_PRINT: also_print = 1; break;
		case OPT_IMMEDIATE: immediate = 1; break;
		case OPT_NANO: nprec = 9; break;
		case OPT_MICRO: nprec = 6; break;
		case OPT_IFNAMES: ifnames = 1; break;
		case OPT_ICMP: icmp = 1; break;
		case 'h':
		case OPT_HELP:
			usage_sniff(stdout);
			return HDP_EXIT_OK;
		default:
			return HDP_EXIT_USAGE;
		}
	}
	if ((ro.max_bytes || ro.max_secs || ro.max_files) &&
	    (wfile == NULL || strcmp(wfile, "-") == 0)) {
		tool_err("-C, -G and -W need -w FILE");
		return HDP_EXIT_USAGE;
	}
	if (ro.max_files && !ro.max_bytes && !ro.max_secs) {
		tool_err("-W needs -C or -G");
		return HDP_EXIT_USAGE;
	}
	if (icmp && have_filter_opt) {
		tool_err("--icmp adds to the default filter; --filter "
			 "replaces it (write the ICMP part there)");
		return HDP_EXIT_USAGE;
	}
	if (rfile != NULL && co.ifname != NULL) {
		tool_err("-i and -r exclude each other");
		return HDP_EXIT_USAGE;
	}
	if (rfile != NULL && (x.dir_set || x.dlt >= 0 || x.list_dlts)) {
		tool_err("-Q, -y and -L need a live capture, not -r");
		return HDP_EXIT_USAGE;
	}
	if (tcount > 0) {	/* -t .. -ttttt, as tcpdump counts them */
		static const enum hdp_pr_time tm[] = {
			HDP_PR_TIME_NONE, HDP_PR_TIME_EPOCH, HDP_PR_TIME_DELTA,
			HDP_PR_TIME_DATE, HDP_PR_TIME_FIRST
		};
		tmode = tm[(tcount > 5 ? 5 : tcount) - 1];
	}
	if (x.ffile != NULL) {
		if (optind < argc)
			fprintf(stderr, "%s: warning: -F given: the expression "
				"on the command line is ignored\n",
				hdp_progname);
		if ((r = read_filter_file(x.ffile, &trailing)) != 0)
			return r;
	} else if (optind < argc) {
		trailing = hdp_filter_join(argc - optind, argv + optind);
		if (trailing == NULL) {
			tool_err("out of memory");
			return HDP_EXIT_ENV;
		}
	}
	/* --filter replaces the default; the default depends on the link
	 * type and is made once the source is open */
	if (have_filter_opt)
		expr = hdp_filter_and(*user_filter ? user_filter : NULL,
				      trailing);
	s.print = wfile == NULL || also_print;
	if (tool_parse_only)
		goto out;
	if (x.list_dlts) {
		free(trailing);
		free(expr);
		return list_dlts(&co);
	}

	/* ---- open the source ---- */
	if (rfile != NULL) {
		/* open the file and the -w output with the privileges we
		 * have, then drop them before the first byte is parsed */
		if ((rc = open_input(rfile, &in_fd)) != 0 ||
		    (may_be_capture(in_fd) &&
		     (rc = open_output(&s, wfile, &ro, force)) != 0) ||
		    (rc = drop_privileges(zuser)) != 0)
			goto out;
		dropped = 1;
		s.p = hdp_cap_open_fd_prec(in_fd, rfile, &digits, err,
					   sizeof(err));
		in_fd = -1;	/* the capture's now */
		if (s.p == NULL) {
			tool_err("%s", err);
			rc = HDP_EXIT_USAGE;
			goto out;
		}
	} else {
		co.nano = 1;
		/* Immediate mode makes libpcap use a ring of snaplen-sized
		 * slots: with the default buffer, 8 packets.  Printing to a
		 * pipe or file gains nothing from it and loses bursts
		 * (87% in bench/ live_text), so like tcpdump use it only
		 * when asked or when a person watches a terminal. */
		co.immediate = immediate ||
			       (s.print && isatty(STDOUT_FILENO));
		if (co.ifname != NULL && strcmp(co.ifname, "any") == 0)
			co.promisc = 0;	/* the any device has no such mode */
		if (co.ifname == NULL)
			co.promisc = 0;
		s.p = hdp_cap_open_live(&co, err, sizeof(err));
		if (s.p == NULL) {
			tool_err("%s", err);
			rc = tool_cap_status(err);
			goto out;
		}
		if ((rc = apply_extras(s.p, &x)) != 0)
			goto out;
		digits = 6;
		ifnames = 1;
	}
	dlt = pcap_datalink(s.p);
	/* a bad expression is named as the user wrote it, not inside the
	 * default filter it is joined to (some 6 KB for a live capture) */
	if (!have_filter_opt && trailing != NULL) {
		struct bpf_program prog;

		if (pcap_compile(s.p, &prog, trailing, 1,
				 PCAP_NETMASK_UNKNOWN) != 0) {
			tool_err("bad filter '%s': %s", trailing,
				 pcap_geterr(s.p));
			rc = HDP_EXIT_USAGE;
			goto out;
		}
		pcap_freecode(&prog);
	}
	if (!have_filter_opt &&
	    (expr = icmp ? hdp_filter_hdp_icmp(dlt, trailing, rfile == NULL) :
		    hdp_filter_hdp(dlt, trailing, rfile == NULL)) == NULL) {
		tool_err("out of memory");
		rc = HDP_EXIT_ENV;
		goto out;
	}

	/* ---- the filter: offline we apply it ourselves, to count ---- */
	if (expr != NULL) {
		if (rfile != NULL) {
			if (pcap_compile(s.p, &s.prog, expr, 1,
					 PCAP_NETMASK_UNKNOWN) != 0) {
				tool_err("bad filter '%s': %s", expr,
					 pcap_geterr(s.p));
				rc = HDP_EXIT_USAGE;
				goto out;
			}
			s.offline_filter = 1;
		} else if (hdp_cap_set_filter(s.p, expr, err,
					      sizeof(err)) != 0) {
			tool_err("%s", err);
			rc = HDP_EXIT_USAGE;
			goto out;
		}
	}
	{
		const char *dn = pcap_datalink_val_to_name(dlt);
		const char *dd = pcap_datalink_val_to_description(dlt);

		if (rfile != NULL)
			fprintf(stderr, "%s: reading from file %s, link-type "
				"%s (%s), snapshot length %d\n", hdp_progname,
				tool_safe(rfile), dn ? dn : "?", dd ? dd : "?",
				pcap_snapshot(s.p));
		else
			fprintf(stderr, "%s: listening on %s, link-type %s "
				"(%s), snapshot length %d bytes\n",
				hdp_progname,
				tool_safe(co.ifname ? co.ifname : "any"),
				dn ? dn : "?", dd ? dd : "?",
				pcap_snapshot(s.p));
	}
	if (!hdp_dlt_supported(dlt))
		fprintf(stderr, "%s: warning: link type %s (%d) is not "
			"decoded\n", hdp_progname,
			pcap_datalink_val_to_name(dlt) ?
			pcap_datalink_val_to_name(dlt) : "?", dlt);

	/* ---- the output file ---- */
	if ((rc = open_output(&s, wfile, &ro, force)) != 0 ||
	    (rc = start_output(&s, wfile, dlt)) != 0 ||
	    (!dropped && (rc = drop_privileges(zuser)) != 0))
		goto out;

	if (hdp_printer_init(&s.pr, stdout, mode, dlt) != 0) {
		tool_err("out of memory");
		rc = HDP_EXIT_ENV;
		goto out;
	}
	s.pr.time = tmode;
	/* tcpdump's precedence: -X over -x over -A; doubled, from the
	 * link-level header */
	s.pr.dump = Xcount ? (Xcount > 1 ? HDP_PR_DUMP_HEXA_LINK :
			      HDP_PR_DUMP_HEXA) :
		    xcount ? (xcount > 1 ? HDP_PR_DUMP_HEX_LINK :
			      HDP_PR_DUMP_HEX) :
		    acount ? HDP_PR_DUMP_ASCII : HDP_PR_DUMP_NONE;
	s.pr.link = link;
	s.pr.verbose = vcount > 3 ? 3 : vcount;
	s.pr.brief = brief;
	s.pr.ifnames = ifnames;
	s.pr.ts_nano = pcap_get_tstamp_precision(s.p) ==
		       PCAP_TSTAMP_PRECISION_NANO;
	s.pr.ts_digits = nprec ? nprec : digits;

	/* ---- the loop ---- */
	g_pcap = s.p;
	catch_signals();

	for (;;) {
		r = pcap_dispatch(s.p, -1, on_packet, (u_char *)&s);
		if (r == PCAP_ERROR_BREAK) {
			if (on_user_break(&s, rfile != NULL))
				continue;
			break;
		}
		if (r == PCAP_ERROR) {
			tool_err("%s: %s", rfile ? rfile : "capture",
				 pcap_geterr(s.p));
			rc = HDP_EXIT_FAIL;
			break;
		}
		if (rfile != NULL && r == 0)
			break;		/* end of file */
		if (rfile == NULL)
			hdp_printer_flush(&s.pr);
		if (s.count && s.taken >= s.count)
			break;
	}
	g_pcap = NULL;
	release_signals();

	/* ---- flush everything, then say how it went ---- */
	if (s.print && mode == HDP_PR_QUIET) {
		const struct hdp_pr_counts *n = &s.pr.n;

		printf("%llu packet%s: %llu HDP, %llu other, %llu truncated, "
		       "%llu malformed, %llu not decoded\n",
		       (unsigned long long)n->packets, plural(n->packets),
		       (unsigned long long)n->hdp,
		       (unsigned long long)n->other,
		       (unsigned long long)n->truncated,
		       (unsigned long long)n->malformed,
		       (unsigned long long)n->unsupported);
	}
	if (hdp_printer_finish(&s.pr) != 0) {
		tool_err("standard output: %s", strerror(s.pr.error));
		rc = HDP_EXIT_ENV;
	}
	if (hdp_dump_close(s.dumper, err, sizeof(err)) != 0) {
		tool_err("%s", err);
		rc = HDP_EXIT_ENV;
	}
	s.dumper = NULL;
	if (s.rot_stop < 0) {
		tool_err("%s", s.rot_err);
		rc = HDP_EXIT_ENV;
	}
	if (s.rot_stuck)	/* said when it happened; no packet lost */
		rc = HDP_EXIT_ENV;
	if (report_counts(&s, rfile != NULL) && rc == HDP_EXIT_OK)
		rc = HDP_EXIT_FAIL;	/* the kernel dropped some */
	fflush(stdout);

out:
	if (in_fd > STDIN_FILENO)
		close(in_fd);
	discard_output(&s, wfile);
	hdp_dump_close(s.dumper, NULL, 0);
	if (s.offline_filter)
		pcap_freecode(&s.prog);
	if (s.rot != NULL)
		hdp_rot_free(s.rot);
	if (s.pr.buf != NULL)
		hdp_printer_finish(&s.pr);
	if (s.p != NULL)
		pcap_close(s.p);
	free(trailing);
	free(expr);
	return rc;
}
