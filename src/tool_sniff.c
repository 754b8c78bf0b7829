/*
 * tool_sniff.c: hdp sniff, tcpdump-style capture and reading of HDP.
 *
 * libpcap does all of it: live capture (pcap_create/pcap_activate through
 * hdp_cap_open_live), offline reading of pcap and pcapng (also from
 * standard input), writing with nanosecond timestamps (hdp_dump_open).
 * The printers are in hdp_print.c.  cmd_sniff, at the end, is four steps:
 *   parse_opts()   the command line into struct sniff_opts
 *   open_sniff()   the source (-r or -i), the filter, the -w file and the
 *                  printer, privileges dropped on the way (-Z)
 *   run_capture()  the pcap_dispatch loop, with tcpdump's signals
 *   report_end()   flush and close everything, then tcpdump's counts
 * and close_sniff() for whatever is still open after a failure.
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
#include "tool_sniff_par.h"

/* tcpdump's -F, -Q, -L and -y. */
struct sniff_extra {
	const char *ffile;	/* -F: the filter expression's file */
	int dir_set;		/* -Q given */
	pcap_direction_t dir;
	int list_dlts;		/* -L */
	int dlt;		/* -y: -1 unless given */
};

/* Step 1, parse_opts(): everything the command line asks for. */
struct sniff_opts {
	struct hdp_cap_opts co;    /* -i -s -p -B --immediate           */
	struct hdp_rot_opts ro;    /* -C -G -W                          */
	struct sniff_extra x;      /* -F -Q -L -y                       */
	const char *rfile;         /* -r                                */
	const char *wfile;         /* -w                                */
	const char *zuser;         /* -Z                                */
	const char *user_filter;   /* --filter: replaces the default    */
	int      have_filter_opt;
	char    *trailing;         /* the operands' (or -F's) expression */
	uint64_t count;            /* -c; 0: no limit                   */
	int      unbuffered;       /* -U: the -w file per packet        */
	int      linebuf;          /* -l: standard output per packet    */
	int      force;            /* --force                           */
	int      also_print;       /* --print                           */
	int      immediate;        /* --immediate                       */
	int      icmp;             /* --icmp                            */
	int      list_devices;     /* -D                                */
	int      help;             /* -h, --help                        */
	/* the printer's settings */
	enum hdp_pr_mode mode;     /* --decode --count --json --table   */
	int      xcount;           /* how many -x                       */
	int      Xcount;           /* how many -X                       */
	int      acount;           /* how many -A                       */
	int      link;             /* -e                                */
	int      vcount;           /* how many -v                       */
	int      brief;            /* -q                                */
	int      tcount;           /* how many -t                       */
	int      nprec;            /* --nano 9, --micro 6, else 0       */
	int      ifnames;          /* --ifnames                         */
	unsigned jobs;             /* -j: decoding threads; 0: the cores */
};

/* Steps 2-4: what is open while the capture runs. */
struct sniff {
	struct sniff_opts *o;
	pcap_t        *p;
	int            offline;     /* -r: a file, not a live capture */
	int            dlt;
	char          *expr;        /* the whole filter              */
	int            in_fd;       /* -r, opened before the drop    */
	int            par_fd;      /* -r for -j: the file again     */
	int            dropped;     /* privileges dropped (-Z)       */
	struct hdp_dump *dumper;
	struct bpf_program prog;   /* offline: applied here, to count */
	int            offline_filter;
	int            print;
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

/* INT, TERM and HUP come through tool_catch_stop(); these two end the
 * run the same way (a log rotation's alarm, a reader that went away). */
static const int end_signals[] = { SIGALRM, SIGPIPE };
static const int user_signals[] = { SIGUSR1, SIGUSR2 };

#define NSIG_OF(a) (sizeof(a) / sizeof((a)[0]))

static void
catch_signals(void)
{
	g_info = g_flush = 0;
	tool_catch_stop(on_signal);	/* no SA_RESTART: poll() returns */
	tool_catch_signals(end_signals, NSIG_OF(end_signals), on_signal);
	tool_catch_signals(user_signals, NSIG_OF(user_signals),
			   on_user_signal);
}

/* After the loop: a second INT, TERM or HUP may still end a final write
 * that hangs; the others cannot cost the files anything any more (a
 * closed standard output: EPIPE, said). */
static void
release_signals(void)
{
	static const int ends[] = { SIGINT, SIGTERM, SIGHUP };
	static const int quiet[] = { SIGALRM, SIGPIPE, SIGUSR1, SIGUSR2 };

	tool_catch_signals(ends, NSIG_OF(ends), SIG_DFL);
	tool_catch_signals(quiet, NSIG_OF(quiet), SIG_IGN);
}

static void usage_sniff_options(FILE *out);
static void usage_sniff_notes(FILE *out);

void
usage_sniff(FILE *out)
{
	fprintf(out,
"usage: hdp sniff [-i IFACE | -r FILE] [-w FILE [-U] [--print] [--force]\n"
"                 [-C SIZE] [-G SECONDS] [-W N]]\n"
"                 [-c COUNT] [-s SNAPLEN] [-p] [-B KIB] [--immediate]\n"
"                 [-j N]\n"
"                 [-e] [-v | -vv | -vvv] [-q] [-x | -xx | -X | -XX | -A]\n"
"                 [--decode | --count | --json | --table] [-n] [-S]\n"
"                 [-t | -tt | -ttt | -tttt | -ttttt]\n"
"                 [--nano | --micro] [--ifnames] [-l] [-Z USER]\n"
"                 [--icmp] [-Q in|out|inout] [-y TYPE]\n"
"                 [--filter EXPR] [-F FILE | [--] BPF EXPRESSION ...]\n"
"       hdp sniff -D\n"
"       hdp sniff -L [-i IFACE]\n"
"\n"
"Capture HDP (IP protocol 255) live, or read a pcap/pcapng file, and print\n"
"one line per packet in tcpdump's manner:\n"
"  12:00:00.000000 IP 127.0.0.1.420 > 127.0.0.1.420: HDP ts NS latency 21.2 us len N\n"
"latency is the capture time minus the HDP timestamp (in us, ms or s); len\n"
"is tcpdump's: the payload's length at the layer printed (after the HDP\n"
"header).  The flags below mean what they mean in tcpdump(8).  Options may\n"
"also follow the BPF expression, as in tcpdump; '--' ends them.\n"
"\n");
	usage_sniff_options(out);
	usage_sniff_notes(out);
}

/* The option list of usage_sniff. */
static void
usage_sniff_options(FILE *out)
{
	fprintf(out,
"  -i IFACE       capture on IFACE (default: any; Linux cooked v2 headers\n"
"                 give each packet's interface and direction)\n"
"  -D             list the interfaces libpcap can capture on\n"
"  -r FILE        read a pcap or pcapng file; '-' is standard input\n"
"  -j, --jobs N   with -r: decode the file on N threads (default: the\n"
"                 cores this process may use), printed in file order\n"
"                 exactly as with -j 1; a pipe, standard input, a small\n"
"                 file, -w and -l are read by one thread\n"
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
"  -s SNAPLEN     capture at most SNAPLEN bytes of each packet, 0 to\n"
"                 262144 (0 and the default: 262144), as tcpdump -s\n"
"  -p             do not put the interface into promiscuous mode\n"
"  -B KIB         capture buffer size in KiB (default libpcap's 2 MiB;\n"
"                 32 MiB when printing to a terminal, which shows lines\n"
"                 slower than they come: the buffer holds the burst)\n"
"  --immediate    deliver every packet at once (libpcap then keeps only\n"
"                 a few dozen packets: bursts are lost); without it a\n"
"                 packet is delivered within 0.1 s\n"
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
"  --nano, --micro  print time stamps with 9 or 6 decimals (default 6,\n"
"                 as tcpdump, also for a nanosecond file)\n"
"  --ifnames      name the interfaces of a file's cooked (SLL2) headers\n"
"                 by this host's interface indexes (default: ifN)\n"
"  -l             flush standard output after every packet\n"
"  -n             accepted for tcpdump's sake: hdp never resolves names\n"
"  -S             accepted for tcpdump's sake: tcpdump -S prints TCP's\n"
"                 absolute sequence numbers; HDP has none to print\n"
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
"\n");
}

/* The rest of usage_sniff: the filter, the signals, the exit status. */
static void
usage_sniff_notes(FILE *out)
{
	fprintf(out,
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
"filter or a file that is no capture; 3 no permission to capture; 4 the\n"
"system refused (no such interface, a file that cannot be opened).\n");
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
	     (s->o->unbuffered && hdp_dump_flush(s->dumper) != 0))) {
		/* a full disk: stop now rather than lose the rest; the
		 * file keeps its whole packets, the close says how many */
		stop_loop(s);
		return;
	}
	if (s->print) {
		hdp_print_packet(&s->pr, h, bytes);
		if (s->o->linebuf)
			hdp_printer_flush(&s->pr);
	}
	if (s->o->count && s->taken >= s->o->count)
		stop_loop(s);
}

/* -C SIZE (millions of bytes, or with a k, m or g suffix), -G SECONDS,
 * -W FILES, as tcpdump takes them. */
static int
rot_option(int c, const char *arg, struct hdp_rot_opts *ro)
{
	char num[32], opt[3] = { '-', (char)c, '\0' };
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
	if (tool_parse_uint(arg, 1, c == 'G' ? 31536000 : 1000000, &v,
			    opt) != 0)
		return -1;
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
		return HDP_EXIT_ENV;	/* missing or not ours: as every command */
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
			tool_err("-Q %s: not a direction (in, out or "
				 "inout)", tool_safe(arg));
			return -1;
		}
		return 0;
	case 'y':
		x->dlt = pcap_datalink_name_to_val(arg);
		if (x->dlt < 0) {
			tool_err("-y %s: not a link type libpcap knows "
				 "(-L lists them)", tool_safe(arg));
			return -1;
		}
		if (!hdp_dlt_supported(x->dlt)) {
			tool_err("-y %s: not a link type hdp decodes",
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
	uint8_t *b;
	size_t n, i;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	*out = NULL;
	if (fd < 0) {
		tool_errno("%s", path);
		return HDP_EXIT_ENV;	/* cannot be opened: as -r */
	}
	r = tool_read_all(fd, path, 1u << 20, "", &b, &n);
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
	tool_cap_warn(err);
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

/* ---- step 1: parse the options into one struct ---- */

/* Options without a short letter. */
enum {
	OPT_JSON = 256, OPT_TABLE, OPT_FILTER, OPT_FORCE, OPT_PRINT,
	OPT_IMMEDIATE, OPT_NANO, OPT_MICRO, OPT_IFNAMES, OPT_ICMP, OPT_HELP,
	OPT_COUNT, OPT_DECODE
};

static const struct option sniff_longopts[] = {
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
	{ "jobs",      required_argument, NULL, 'j' },
	{ "help",      no_argument,       NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 }
};

/*
 * No '+': options may follow the filter expression, as GNU getopt (and
 * tcpdump on Linux) allow; '--' ends the options, so an expression word
 * that starts with '-' can still be given after it.
 */
static const char sniff_optstring[] =
	"i:Dr:w:Uc:s:SpB:vxXAeqntlZ:C:G:W:hF:Q:Ly:j:";

/* -s SNAPLEN as tcpdump(8) takes it: 0 to 262144, 0 meaning 262144. */
static int
snaplen_option(const char *arg, int *snaplen)
{
	uint64_t v;

	if (tool_parse_uint(arg, 0, 262144, &v, "-s") != 0)
		return -1;
	*snaplen = v == 0 ? 262144 : (int)v;
	return 0;
}

/* -c COUNT, -j N and -B KIB. */
static int
number_option(int c, const char *arg, struct sniff_opts *o)
{
	uint64_t v = 0;

	if (c == 'c')
		return tool_parse_uint(arg, 1, UINT64_MAX, &o->count, "-c");
	if (c == 'j') {
		if (tool_parse_uint(arg, 1, 256, &v, "-j") != 0)
			return -1;
		o->jobs = (unsigned)v;
		return 0;
	}
	if (tool_parse_uint(arg, 1, 4194304, &v, "-B") != 0)
		return -1;
	if (c == 'B')
		o->co.buffer_kb = (int)v;
	return 0;
}

/* One option into o; -1 when it is wrong (said). */
static int
sniff_option(struct sniff_opts *o, int c, const char *arg)
{
	switch (c) {
	case 'i': o->co.ifname = arg; break;
	case 'D': o->list_devices = 1; break;
	case 'r': o->rfile = arg; break;
	case 'w': o->wfile = arg; break;
	case 'U': o->unbuffered = 1; break;
	case 'c': case 'B': case 'j': return number_option(c, arg, o);
	case 's': return snaplen_option(arg, &o->co.snaplen);
	case 'p': o->co.promisc = 0; break;
	case 'v': o->vcount++; break;
	case 'x': o->xcount++; break;
	case 'X': o->Xcount++; break;
	case 'A': o->acount++; break;
	case 'e': o->link = 1; break;
	case 'q': o->brief = 1; break;
	case OPT_COUNT: o->mode = HDP_PR_QUIET; break;
	case OPT_DECODE: o->mode = HDP_PR_VERBOSE; break;
	case 'n': break;	/* hdp never resolves names */
	case 'S': break;	/* absolute sequence numbers: HDP has none */
	case 't': o->tcount++; break;
	case 'l': o->linebuf = 1; break;
	case 'Z': o->zuser = arg; break;
	case 'C': case 'G': case 'W': return rot_option(c, arg, &o->ro);
	case 'F': case 'Q': case 'L': case 'y':
		return extra_option(c, arg, &o->x);
	case OPT_JSON: o->mode = HDP_PR_JSON; break;
	case OPT_TABLE: o->mode = HDP_PR_TABLE; break;
	case OPT_FILTER:
		o->user_filter = arg;
		o->have_filter_opt = 1;
		break;
	case OPT_FORCE: o->force = 1; break;
	case OPT_PRINT: o->also_print = 1; break;
	case OPT_IMMEDIATE: o->immediate = 1; break;
	case OPT_NANO: o->nprec = 9; break;
	case OPT_MICRO: o->nprec = 6; break;
	case OPT_IFNAMES: o->ifnames = 1; break;
	case OPT_ICMP: o->icmp = 1; break;
	case 'h': case OPT_HELP: o->help = 1; break;
	default: return -1;	/* tool_getopt said what */
	}
	return 0;
}

/* The options that make sense only together, or never together. */
static int
check_opts(const struct sniff_opts *o)
{
	const struct hdp_rot_opts *ro = &o->ro;

	if ((ro->max_bytes || ro->max_secs || ro->max_files) &&
	    (o->wfile == NULL || strcmp(o->wfile, "-") == 0))
		return tool_usage_err("-C, -G and -W need -w FILE");
	if (ro->max_files && !ro->max_bytes && !ro->max_secs)
		return tool_usage_err("-W needs -C or -G");
	if (o->icmp && o->have_filter_opt)
		return tool_usage_err("--icmp adds to the default filter; "
				      "--filter replaces it (write the ICMP "
				      "part there)");
	if (o->rfile != NULL && o->co.ifname != NULL)
		return tool_usage_err("-i and -r exclude each other");
	if (o->jobs && o->rfile == NULL)
		return tool_usage_err("-j needs -r FILE");
	if (o->rfile != NULL &&
	    (o->x.dir_set || o->x.dlt >= 0 || o->x.list_dlts))
		return tool_usage_err("-Q, -y and -L need a live capture, "
				      "not -r");
	return HDP_EXIT_OK;
}

/* The expression: -F's file, else the operands joined (tcpdump's
 * trailing arguments). */
static int
read_expression(struct sniff_opts *o, int nargs, char **args)
{
	if (o->x.ffile != NULL) {
		if (nargs > 0)
			fprintf(stderr, "%s: warning: -F given: the expression "
				"on the command line is ignored\n",
				hdp_progname);
		return read_filter_file(o->x.ffile, &o->trailing);
	}
	if (nargs > 0 &&
	    (o->trailing = hdp_filter_join(nargs, args)) == NULL) {
		tool_err("out of memory");
		return HDP_EXIT_ENV;
	}
	return HDP_EXIT_OK;
}

static int
parse_opts(int argc, char **argv, struct sniff_opts *o)
{
	int c, rc;

	memset(o, 0, sizeof(*o));
	o->co.promisc = 1;
	o->x.dir = PCAP_D_INOUT;
	o->x.dlt = -1;
	o->mode = HDP_PR_LINE;
	optind = 0;	/* glibc: a fresh scan from argv[1] */
	while ((c = tool_getopt(argc, argv, sniff_optstring,
				sniff_longopts)) != -1)
		if (sniff_option(o, c, optarg) != 0)
			return HDP_EXIT_USAGE;
	if (o->help)
		return HDP_EXIT_OK;
	if ((rc = check_opts(o)) != HDP_EXIT_OK)
		return rc;
	return read_expression(o, argc - optind, argv + optind);
}

/* ---- step 2: open the source, the filter, the -w file, the printer ---- */

/* The capture buffer when printing to a terminal without -B: 32 MiB. */
#define TTY_BUFFER_KB 32768

/*
 * -j: more than one thread, and output that threads can make: printed
 * text to standard output, not -w (its writer is one stream; reading for
 * it is as fast as libpcap reads), not -l (a line at a time, as it
 * comes).  Whether the file itself can be split, sniff_par_read says.
 */
static int
par_wanted(const struct sniff *s)
{
	const struct sniff_opts *o = s->o;

	if (o->jobs == 1 || s->in_fd == STDIN_FILENO || !s->print ||
	    o->wfile != NULL || o->linebuf)
		return 0;
	return (o->jobs ? o->jobs : sniff_par_cores()) > 1;
}

/* -r FILE: the file and the -w output are opened with the privileges we
 * have, which are dropped before the first byte is parsed. */
static int
open_file_source(struct sniff *s)
{
	struct sniff_opts *o = s->o;
	char err[PCAP_ERRBUF_SIZE + 256];
	int rc, digits;

	if ((rc = open_input(o->rfile, &s->in_fd)) != 0 ||
	    (may_be_capture(s->in_fd) &&
	     (rc = open_output(s, o->wfile, &o->ro, o->force)) != 0) ||
	    (rc = drop_privileges(o->zuser)) != 0)
		return rc;
	s->dropped = 1;
	if (par_wanted(s))	/* -j: the workers read it with pread */
		s->par_fd = fcntl(s->in_fd, F_DUPFD_CLOEXEC, 3);
	/* the file's own precision is not what is printed: tcpdump prints
	 * 6 decimals unless asked (--nano) */
	s->p = hdp_cap_open_fd_prec(s->in_fd, o->rfile, &digits, err,
				    sizeof(err));
	s->in_fd = -1;	/* the capture's now */
	if (s->p == NULL) {
		tool_err("%s", err);
		return HDP_EXIT_USAGE;
	}
	return HDP_EXIT_OK;
}

/* -i IFACE (default any). */
static int
open_live_source(struct sniff *s)
{
	struct hdp_cap_opts *co = &s->o->co;
	char err[PCAP_ERRBUF_SIZE + 256];

	co->nano = 1;
	/*
	 * Printing to a terminal, the terminal sets the pace: hdp itself
	 * needs under 1 us a packet (80 writes for 70,000 lines), the
	 * terminal takes them far slower, and the capture ring must hold
	 * the burst it has not shown yet.  So on a terminal:
	 *  - no immediate mode unless asked (--immediate), as tcpdump: it
	 *    makes libpcap use TPACKET_V2, a ring of snaplen-sized slots
	 *    (a few dozen packets with the default buffer; bench/ sniff_tty
	 *    lost a median 80% of a 100,000-packet flood that way).  The
	 *    read timeout (100 ms) still shows each packet within 0.1 s;
	 *  - a ring of TTY_BUFFER_KB unless -B says otherwise: libpcap's
	 *    2 MiB of TPACKET_V3 blocks hold some 16,000 such packets and
	 *    lost a median 22% of the flood (tcpdump, the same ring, 33%);
	 *    32 MiB lost none.
	 */
	co->immediate = s->o->immediate;
	if (co->buffer_kb == 0 && s->print && isatty(STDOUT_FILENO))
		co->buffer_kb = TTY_BUFFER_KB;
	if (co->ifname == NULL || strcmp(co->ifname, "any") == 0)
		co->promisc = 0;	/* the any device has no such mode */
	s->p = hdp_cap_open_live(co, err, sizeof(err));
	if (s->p == NULL) {
		tool_err("%s", err);
		return tool_cap_status(err);
	}
	tool_cap_warn(err);
	return apply_extras(s->p, &s->o->x);
}

/* A bad expression is named as the user wrote it, not inside the
 * default filter it is joined to (some 6 KB for a live capture). */
static int
check_expression(struct sniff *s, const char *trailing)
{
	struct bpf_program prog;

	if (pcap_compile(s->p, &prog, trailing, 1,
			 PCAP_NETMASK_UNKNOWN) != 0) {
		tool_err("bad filter '%s': %s", trailing, pcap_geterr(s->p));
		return HDP_EXIT_USAGE;
	}
	pcap_freecode(&prog);
	return HDP_EXIT_OK;
}

/* The filter: --filter's, else the default for the link type with the
 * user's expression; offline we apply it ourselves, to count. */
static int
open_filter(struct sniff *s)
{
	const struct sniff_opts *o = s->o;
	char err[PCAP_ERRBUF_SIZE + 256];
	int rc;

	if (o->have_filter_opt) {
		s->expr = hdp_filter_and(*o->user_filter ? o->user_filter :
					 NULL, o->trailing);
	} else {
		if (o->trailing != NULL &&
		    (rc = check_expression(s, o->trailing)) != 0)
			return rc;
		s->expr = o->icmp ?
			  hdp_filter_hdp_icmp(s->dlt, o->trailing, !s->offline) :
			  hdp_filter_hdp(s->dlt, o->trailing, !s->offline);
		if (s->expr == NULL) {
			tool_err("out of memory");
			return HDP_EXIT_ENV;
		}
	}
	if (s->expr == NULL)
		return HDP_EXIT_OK;
	if (!s->offline) {
		if (hdp_cap_set_filter(s->p, s->expr, err, sizeof(err)) == 0)
			return HDP_EXIT_OK;
		tool_err("%s", err);
		return HDP_EXIT_USAGE;
	}
	if (pcap_compile(s->p, &s->prog, s->expr, 1,
			 PCAP_NETMASK_UNKNOWN) != 0) {
		tool_err("bad filter '%s': %s", s->expr, pcap_geterr(s->p));
		return HDP_EXIT_USAGE;
	}
	s->offline_filter = 1;
	return HDP_EXIT_OK;
}

/* "reading from file ..." or "listening on ...", as tcpdump says it. */
static void
say_source(const struct sniff *s)
{
	const char *dn = pcap_datalink_val_to_name(s->dlt);
	const char *dd = pcap_datalink_val_to_description(s->dlt);
	const char *ifname = s->o->co.ifname;

	if (s->offline)
		fprintf(stderr, "%s: reading from file %s, link-type %s (%s), "
			"snapshot length %d\n", hdp_progname,
			tool_safe(s->o->rfile), dn ? dn : "?", dd ? dd : "?",
			pcap_snapshot(s->p));
	else
		fprintf(stderr, "%s: listening on %s, link-type %s (%s), "
			"snapshot length %d bytes\n", hdp_progname,
			tool_safe(ifname ? ifname : "any"), dn ? dn : "?",
			dd ? dd : "?", pcap_snapshot(s->p));
	if (!hdp_dlt_supported(s->dlt))
		fprintf(stderr, "%s: warning: link type %s (%d) is not "
			"decoded\n", hdp_progname, dn ? dn : "?", s->dlt);
}

/* The -t options, as tcpdump counts them. */
static enum hdp_pr_time
time_mode(int tcount)
{
	static const enum hdp_pr_time tm[] = {
		HDP_PR_TIME_LOCAL, HDP_PR_TIME_NONE, HDP_PR_TIME_EPOCH,
		HDP_PR_TIME_DELTA, HDP_PR_TIME_DATE, HDP_PR_TIME_FIRST
	};

	return tm[tcount > 5 ? 5 : tcount];
}

/* -x/-xx/-X/-XX/-A with tcpdump's precedence: -X over -x over -A;
 * doubled, from the link-level header on. */
static enum hdp_pr_dump
dump_mode(const struct sniff_opts *o)
{
	if (o->Xcount)
		return o->Xcount > 1 ? HDP_PR_DUMP_HEXA_LINK : HDP_PR_DUMP_HEXA;
	if (o->xcount)
		return o->xcount > 1 ? HDP_PR_DUMP_HEX_LINK : HDP_PR_DUMP_HEX;
	return o->acount ? HDP_PR_DUMP_ASCII : HDP_PR_DUMP_NONE;
}

static int
open_printer(struct sniff *s)
{
	const struct sniff_opts *o = s->o;

	if (hdp_printer_init(&s->pr, stdout, o->mode, s->dlt) != 0) {
		tool_err("out of memory");
		return HDP_EXIT_ENV;
	}
	s->pr.time = time_mode(o->tcount);
	s->pr.dump = dump_mode(o);
	s->pr.link = o->link;
	s->pr.verbose = o->vcount > 3 ? 3 : o->vcount;
	s->pr.brief = o->brief;
	/* live: the interfaces are this host's */
	s->pr.ifnames = o->ifnames || !s->offline;
	s->pr.ts_nano = pcap_get_tstamp_precision(s->p) ==
			PCAP_TSTAMP_PRECISION_NANO;
	/* tcpdump prints microseconds unless asked (--time-stamp-precision=nano;
	 * here --nano), whatever the file holds */
	s->pr.ts_digits = o->nprec ? o->nprec : 6;
	return HDP_EXIT_OK;
}

static int
open_sniff(struct sniff *s)
{
	struct sniff_opts *o = s->o;
	int rc;

	rc = s->offline ? open_file_source(s) : open_live_source(s);
	if (rc != HDP_EXIT_OK)
		return rc;
	s->dlt = pcap_datalink(s->p);
	if ((rc = open_filter(s)) != HDP_EXIT_OK)
		return rc;
	say_source(s);
	if ((rc = open_output(s, o->wfile, &o->ro, o->force)) != 0 ||
	    (rc = start_output(s, o->wfile, s->dlt)) != 0 ||
	    (!s->dropped && (rc = drop_privileges(o->zuser)) != 0))
		return rc;
	return open_printer(s);
}

/* ---- step 3: run the capture ---- */

/* -j: between blocks of text, what the loop below does on a break. */
static int
par_poll(void *arg)
{
	struct sniff *s = arg;

	if (tool_stop)
		return 1;
	if (g_info) {
		g_info = 0;
		hdp_printer_flush(&s->pr);
		fflush(stdout);
		report_counts(s, 1);
	}
	g_flush = 0;	/* no -w file with -j */
	return 0;
}

/* HDP_SNIFF_STATS=FILE: how -j went, one line appended to FILE (for the
 * tests, which must know that the threads ran). */
static void
par_stats(const char *path, const struct sniff_par_io *io)
{
	FILE *f = fopen(path, "a");

	if (f == NULL)
		return;
	fprintf(f, "threads %u chunks %llu used %llu redo %llu landed %llu\n",
		io->st.threads, (unsigned long long)io->st.chunks,
		(unsigned long long)io->st.used,
		(unsigned long long)io->st.redo,
		(unsigned long long)io->st.landed);
	fclose(f);
}

/*
 * -r FILE -j N: the file on threads (tool_sniff_par.c); -1 when it is
 * not one to split.  HDP_SNIFF_CHUNK sets the bytes of file per chunk,
 * for tests that want many chunks in a small file.
 */
static int
run_par(struct sniff *s)
{
	struct sniff_par_io io;
	const char *e = getenv("HDP_SNIFF_CHUNK");
	int rc;

	memset(&io, 0, sizeof(io));
	io.fd = s->par_fd;
	io.name = s->o->rfile;
	io.threads = s->o->jobs ? s->o->jobs : sniff_par_cores();
	if (e != NULL && strtoul(e, NULL, 10) >= 64)
		io.chunk = strtoul(e, NULL, 10);
	io.prog = s->offline_filter ? &s->prog : NULL;
	io.count = s->o->count;
	io.pr = &s->pr;
	io.seen = &s->seen;
	io.taken = &s->taken;
	io.poll = par_poll;
	io.arg = s;
	rc = sniff_par_read(&io);
	if (rc >= 0 && (e = getenv("HDP_SNIFF_STATS")) != NULL)
		par_stats(e, &io);
	return rc;
}

static int
run_capture(struct sniff *s)
{
	int r, rc = HDP_EXIT_OK;

	g_pcap = s->p;
	catch_signals();
	if (s->par_fd >= 0 && (rc = run_par(s)) >= 0) {
		g_pcap = NULL;
		release_signals();
		return rc;
	}
	rc = HDP_EXIT_OK;
	for (;;) {
		r = pcap_dispatch(s->p, -1, on_packet, (u_char *)s);
		if (r == PCAP_ERROR_BREAK) {
			if (on_user_break(s, s->offline))
				continue;
			break;
		}
		if (r == PCAP_ERROR) {
			tool_err("%s: %s", s->offline ? s->o->rfile : "capture",
				 pcap_geterr(s->p));
			rc = HDP_EXIT_FAIL;
			break;
		}
		if (s->offline && r == 0)
			break;		/* end of file */
		if (!s->offline)
			hdp_printer_flush(&s->pr);
		if (s->o->count && s->taken >= s->o->count)
			break;
	}
	g_pcap = NULL;
	release_signals();
	return rc;
}

/* ---- step 4: flush everything, then say how it went ---- */

/* -q: the counts of what was seen, on standard output. */
static void
report_quiet(const struct sniff *s)
{
	const struct hdp_pr_counts *n = &s->pr.n;

	printf("%llu packet%s: %llu HDP, %llu other, %llu truncated, "
	       "%llu malformed, %llu not decoded\n",
	       (unsigned long long)n->packets, plural(n->packets),
	       (unsigned long long)n->hdp, (unsigned long long)n->other,
	       (unsigned long long)n->truncated,
	       (unsigned long long)n->malformed,
	       (unsigned long long)n->unsupported);
}

/* The exit status, from rc (the loop's) and how the outputs closed. */
static int
report_end(struct sniff *s, int rc)
{
	char err[PCAP_ERRBUF_SIZE + 256];

	if (s->print && s->o->mode == HDP_PR_QUIET)
		report_quiet(s);
	if (hdp_printer_finish(&s->pr) != 0) {
		tool_err("standard output: %s", strerror(s->pr.error));
		rc = HDP_EXIT_ENV;
	}
	if (hdp_dump_close(s->dumper, err, sizeof(err)) != 0) {
		tool_err("%s", err);
		rc = HDP_EXIT_ENV;
	}
	s->dumper = NULL;
	if (s->rot_stop < 0) {
		tool_err("%s", s->rot_err);
		rc = HDP_EXIT_ENV;
	}
	if (s->rot_stuck)	/* said when it happened; no packet lost */
		rc = HDP_EXIT_ENV;
	if (report_counts(s, s->offline) && rc == HDP_EXIT_OK)
		rc = HDP_EXIT_FAIL;	/* the kernel dropped some */
	fflush(stdout);
	return rc;
}

/* Whatever is still open, also after a failure on the way. */
static void
close_sniff(struct sniff *s)
{
	if (s->in_fd > STDIN_FILENO)
		close(s->in_fd);
	if (s->par_fd >= 0)
		close(s->par_fd);
	discard_output(s, s->o->wfile);
	hdp_dump_close(s->dumper, NULL, 0);
	if (s->offline_filter)
		pcap_freecode(&s->prog);
	if (s->rot != NULL)
		hdp_rot_free(s->rot);
	if (s->pr.buf != NULL)
		hdp_printer_finish(&s->pr);
	if (s->p != NULL)
		pcap_close(s->p);
	free(s->expr);
}

int
cmd_sniff(int argc, char **argv)
{
	struct sniff_opts o;
	struct sniff s;
	int rc;

	rc = parse_opts(argc, argv, &o);
	if (rc != HDP_EXIT_OK || o.help || tool_parse_only) {
		if (rc == HDP_EXIT_OK && o.help)
			usage_sniff(stdout);
	} else if (o.list_devices) {
		rc = list_devices();
	} else if (o.x.list_dlts) {
		rc = list_dlts(&o.co);
	} else {
		memset(&s, 0, sizeof(s));
		s.o = &o;
		s.in_fd = -1;
		s.par_fd = -1;
		s.offline = o.rfile != NULL;
		s.print = o.wfile == NULL || o.also_print;
		if ((rc = open_sniff(&s)) == HDP_EXIT_OK)
			rc = report_end(&s, run_capture(&s));
		close_sniff(&s);
	}
	free(o.trailing);
	return rc;
}
