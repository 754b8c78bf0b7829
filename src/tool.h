/*
 * tool.h: what the hdp program's subcommands share.  The subcommands
 * (tool_*.c) parse options and call libhdp (hdp_*.c); nothing here is
 * needed by the library.
 */
#ifndef HDP_TOOL_H
#define HDP_TOOL_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses, the same for every subcommand (documented in hdp.1). */
enum {
	HDP_EXIT_OK    = 0,  /* did everything asked                       */
	HDP_EXIT_FAIL  = 1,  /* ran, but some packets failed or were lost   */
	HDP_EXIT_USAGE = 2,  /* bad arguments or bad input; not built yet   */
	HDP_EXIT_PERM  = 3,  /* needs root or CAP_NET_RAW/CAP_NET_ADMIN     */
	HDP_EXIT_ENV   = 4   /* the system refused: no such interface,      */
			     /* cannot open a file, out of memory ...       */
};

/* One subcommand: its name, entry point, and one-line summary. */
struct hdp_cmd {
	const char *name;
	int (*main)(int argc, char **argv);
	void (*usage)(FILE *out);
	const char *summary;
};

extern const char *hdp_progname;   /* "hdp send", for messages */

/* "hdp send: <message>\n" on stderr. */
void tool_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same, with ": strerror(errno)" appended. */
void tool_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Messages (tool_err, tool_errno) are written escaped: printable ASCII as
 * it is, every other byte as \xNN (hdp_fmt_safe), so a file or interface
 * name, a string from a packet or file or from libpcap cannot move the
 * cursor, forge a line or send an escape sequence.  tool_safe(s) does
 * the same for one printf argument: the text lives in one of 4 static
 * buffers used in turn (good for 4 calls), at most 1024 bytes of s, then
 * "...".
 */
const char *tool_safe(const char *s);

/* Parse an unsigned decimal (or 0x hex) number in [min, max] into *out;
 * on error say why with tool_err() (naming what) and return -1. */
int tool_parse_uint(const char *s, uint64_t min, uint64_t max,
		    uint64_t *out, const char *what);
/* The same for an option's value, said as a usage error (tool_usage_err:
 * then "try 'hdp help CMD'"). */
int tool_opt_uint(const char *s, uint64_t min, uint64_t max,
		  uint64_t *out, const char *what);
/* Parse a finite decimal number at least min (more than min when
 * above) into *out; on error say why and return -1. */
int tool_parse_double(const char *s, double min, int above, double *out,
		      const char *what);

/* Set when SIGINT, SIGTERM or SIGHUP arrives (once tool_catch_stop() has
 * run): long loops check it and end as if done, so every output is
 * flushed and valid. */
extern volatile sig_atomic_t tool_stop;
/* Clear tool_stop and install handler (NULL: one that sets tool_stop)
 * for SIGINT, SIGTERM and SIGHUP, without SA_RESTART: a blocking call
 * returns EINTR and the loop around it sees the stop. */
void tool_catch_stop(void (*handler)(int));

/*
 * Set only by the argument-parser fuzz harness (fuzz/fuzz_args.c): each
 * subcommand then returns HDP_EXIT_OK as soon as its arguments are parsed
 * and checked, before it resolves a name, opens a file or a socket, or
 * sends anything.
 */
extern int tool_parse_only;

/* Print "hdp CMD is not built yet" and return HDP_EXIT_USAGE. */
int tool_not_built(const char *cmd);

/* The exit status for a capture libpcap could not open, from its message
 * err: HDP_EXIT_PERM when permission was refused, else HDP_EXIT_ENV. */
int tool_cap_status(const char *err);

/* Read all of fd, at most max bytes, into a new buffer with a NUL one
 * byte past *len; -1 when it cannot (said, naming name; hint ends the
 * message for an input over max). */
int tool_read_all(int fd, const char *name, size_t max, const char *hint,
		  uint8_t **buf, size_t *len);

struct option;
/*
 * getopt_long(3) for every subcommand, in one voice.  optstring may start
 * with '+' (stop at the first operand); otherwise options may follow
 * operands, as GNU getopt allows.  An unknown option, a missing argument or
 * an argument given to a flag is said in one line that names it
 * ("hdp send: -k: unknown option", "hdp sniff: -c: needs an argument"),
 * followed by "try 'hdp help CMD'", and '?' is returned: the caller
 * returns HDP_EXIT_USAGE.  Reset optind to 0 before the first call.
 */
int tool_getopt(int argc, char **argv, const char *optstring,
		const struct option *longopts);
/* A usage error: "hdp CMD: message" then "try 'hdp help CMD'" on stderr;
 * returns HDP_EXIT_USAGE. */
int tool_usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Install handler for each of the n signals in sigs, without SA_RESTART
 * (a blocking call returns EINTR and the loop around it looks at what the
 * handler set).  tool_catch_stop() is this for INT, TERM and HUP. */
void tool_catch_signals(const int *sigs, size_t n, void (*handler)(int));

union hdp_addr;
/* hdp_resolve() in one voice: HDP_EXIT_OK, or after one line saying why,
 * HDP_EXIT_ENV for a scope that names no interface ("hdp trace:
 * fe80::1%nosuch0: no such interface"), HDP_EXIT_USAGE for a name that
 * does not resolve or a bad address. */
int tool_resolve(const char *host, int family, int *out_family,
		 union hdp_addr *out, unsigned *scope);

/* Each subcommand's entry point and usage. */
/* Show hdp_cap_open_live()'s warning, when it left one in err. */
void tool_cap_warn(const char *err);
/* Run gnuplot on script with out (the plot file name, created by the
 * caller) emptied as its standard output: 0, or -1 after saying why. */
int tool_gnuplot(const char *name, FILE *out, const char *script);

#define HDP_DECLARE_CMD(n) \
	int cmd_##n(int argc, char **argv); \
	void usage_##n(FILE *out)
HDP_DECLARE_CMD(send);
HDP_DECLARE_CMD(sniff);
HDP_DECLARE_CMD(listen);
HDP_DECLARE_CMD(replay);
HDP_DECLARE_CMD(sweep);
HDP_DECLARE_CMD(trace);
HDP_DECLARE_CMD(where);
HDP_DECLARE_CMD(ping);
HDP_DECLARE_CMD(survey);

#endif /* HDP_TOOL_H */
