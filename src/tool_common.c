/*
 * tool_common.c: messages and small helpers shared by the subcommands.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <hdp/hdp.h>
#include "hdp_build.h"
#include "hdp_print.h"
#include "tool.h"

const char *hdp_progname = "hdp";
int tool_parse_only;

#define SAFE_SLOTS 4
#define SAFE_MAX   1024

const char *
tool_safe(const char *s)
{
	static char slot[SAFE_SLOTS][4 * SAFE_MAX + 4];
	static unsigned next;
	char *d = slot[next++ % SAFE_SLOTS];
	size_t n = strnlen(s, SAFE_MAX + 1), o;

	o = hdp_fmt_safe(d, s, n > SAFE_MAX ? SAFE_MAX : n);
	if (n > SAFE_MAX)
		o += (size_t)sprintf(d + o, "...");
	d[o] = '\0';
	return d;
}

/*
 * "hdp CMD: " and the message, escaped (every argument may come from a
 * file, a packet, the user or libpcap), then our newline.
 */
static void __attribute__((format(printf, 2, 0)))
verr(int with_errno, const char *fmt, va_list ap)
{
	int e = errno;
	char small[512], *msg = small;
	va_list aq;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n >= (int)sizeof(small) && (msg = malloc((size_t)n + 1)) != NULL)
		vsnprintf(msg, (size_t)n + 1, fmt, aq);
	else if (msg == NULL)
		msg = small;	/* out of memory: the message cut short */
	va_end(aq);
	fprintf(stderr, "%s: ", hdp_progname);
	if (n > 0)
		hdp_fput_safe(stderr, msg, strlen(msg));
	if (with_errno)
		fprintf(stderr, ": %s", strerror(e));
	fputc('\n', stderr);
	if (msg != small)
		free(msg);
}

void
tool_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(0, fmt, ap);
	va_end(ap);
}

void
tool_errno(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(1, fmt, ap);
	va_end(ap);
}

volatile sig_atomic_t tool_stop;

static void
set_tool_stop(int sig)
{
	(void)sig;
	tool_stop = 1;
}

void
tool_catch_stop(void (*handler)(int))
{
	static const int stops[] = { SIGINT, SIGTERM, SIGHUP };

	tool_stop = 0;
	tool_catch_signals(stops, sizeof(stops) / sizeof(stops[0]),
			   handler != NULL ? handler : set_tool_stop);
}

/* 1 when NAME (an unambiguous prefix is enough, as getopt_long takes
 * it) is a long option that takes no argument. */
static int
longopt_is_flag(const struct option *lo, const char *name)
{
	size_t n = strlen(name);

	for (; lo != NULL && lo->name != NULL; lo++)
		if (strncmp(lo->name, name, n) == 0)
			return lo->has_arg == no_argument;
	return 0;
}

/* "send" from "hdp send", for "try 'hdp help send'" */
static const char *
cmd_name(void)
{
	const char *sp = strchr(hdp_progname, ' ');

	return sp != NULL ? sp + 1 : hdp_progname;
}

int
tool_usage_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(0, fmt, ap);
	va_end(ap);
	fprintf(stderr, "try 'hdp help %s'\n", cmd_name());
	return HDP_EXIT_USAGE;
}

/* The option as the user typed it, for a message: "-k" for a short one
 * (also inside a cluster such as -vk), "--long" without its "=value". */
static void
option_text(char *buf, size_t len, char **argv, int ind, int opt)
{
	const char *a = ind > 0 ? argv[ind - 1] : "";

	if (opt != 0 && strncmp(a, "--", 2) != 0)
		snprintf(buf, len, "-%c", opt);
	else
		snprintf(buf, len, "%.*s", (int)strcspn(a, "="), a);
}

int
tool_getopt(int argc, char **argv, const char *optstring,
	    const struct option *longopts)
{
	char opts[160], o[80];
	int plus = optstring[0] == '+', c;

	/* a leading ':' makes getopt_long tell a missing argument (':')
	 * from an unknown option ('?'); after a '+' when there is one */
	snprintf(opts, sizeof(opts), "%s:%s", plus ? "+" : "",
		 optstring + plus);
	opterr = 0;
	c = getopt_long(argc, argv, opts, longopts, NULL);
	if (c != '?' && c != ':')
		return c;
	option_text(o, sizeof(o), argv, optind, optopt);
	if (c == ':')
		tool_usage_err("%s: needs an argument", o);
	else if (strncmp(o, "--", 2) == 0 &&
		 strchr(argv[optind - 1], '=') != NULL &&
		 longopt_is_flag(longopts, o + 2))
		tool_usage_err("%s: takes no argument", o);
	else
		tool_usage_err("%s: unknown option", o);
	return '?';
}

void
tool_catch_signals(const int *sigs, size_t n, void (*handler)(int))
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < n; i++)
		sigaction(sigs[i], &sa, NULL);
}

int
tool_cap_status(const char *err)
{
	return strstr(err, "ermission") != NULL ||
	       strstr(err, "not permitted") != NULL ?
	       HDP_EXIT_PERM : HDP_EXIT_ENV;
}

int
tool_read_all(int fd, const char *name, size_t max, const char *hint,
	      uint8_t **buf, size_t *len)
{
	size_t cap = 4096, n = 0;
	uint8_t *b = malloc(cap + 1), *nb;
	ssize_t r;

	if (b == NULL) {
		tool_err("%s: out of memory", name);
		return -1;
	}
	for (;;) {
		if (n == cap) {
			if (cap >= max) {
				tool_err("%s: more than %zu bytes%s", name,
					 max, hint);
				free(b);
				return -1;
			}
			cap *= 2;
			nb = realloc(b, cap + 1);
			if (nb == NULL) {
				tool_err("%s: out of memory", name);
				free(b);
				return -1;
			}
			b = nb;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			tool_errno("%s: cannot read", name);
			free(b);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

int
tool_not_built(const char *cmd)
{
	fprintf(stderr, "hdp: '%s' is not built yet\n", cmd);
	return HDP_EXIT_USAGE;
}

/* hdp_parse_uint, its reason said as an error or a usage error */
static int
parse_uint_said(const char *s, uint64_t min, uint64_t max, uint64_t *out,
		const char *what, int usage)
{
	char err[160];

	if (hdp_parse_uint(s, min, max, out, what, err, sizeof(err)) == 0)
		return 0;
	if (usage)
		tool_usage_err("%s", err);
	else
		tool_err("%s", err);
	return -1;
}

int
tool_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out,
		const char *what)
{
	return parse_uint_said(s, min, max, out, what, 0);
}

int
tool_opt_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out,
	      const char *what)
{
	return parse_uint_said(s, min, max, out, what, 1);
}

int
tool_parse_double(const char *s, double min, int above, double *out,
		  const char *what)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || isnan(v)) {
		tool_err("%s '%s' is not a number", what, s);
		return -1;
	}
	/* a number, but too large to hold or below the range: -1 included */
	if (errno == ERANGE || !isfinite(v) ||
	    (above ? !(v > min) : !(v >= min))) {
		tool_err("%s '%s' is out of range (%s %g)", what, s,
			 above ? "above" : "at least", min);
		return -1;
	}
	*out = v;
	return 0;
}

int
tool_resolve(const char *host, int family, int *out_family,
	     union hdp_addr *out, unsigned *scope)
{
	char err[512];
	const char *pct = strchr(host, '%');

	if (hdp_resolve(host, family, out_family, out, scope, err,
			sizeof(err)) == 0)
		return HDP_EXIT_OK;
	/* the scope names no interface: the system's "no such interface",
	 * the name said once (it is in HOST already) */
	if (errno == ENODEV && pct != NULL) {
		tool_err("%s: no such interface", host);
		return HDP_EXIT_ENV;
	}
	tool_err("%s", err);
	return HDP_EXIT_USAGE;
}

/* libhdp prints nothing itself: a capture that opened with a warning
 * (pcap_activate > 0) leaves it in the caller's error buffer. */
void
tool_cap_warn(const char *err)
{
	if (err[0] != '\0')
		fprintf(stderr, "%s: warning: %s\n", hdp_progname, err);
}

int
tool_gnuplot(const char *name, FILE *out, const char *script)
{
	int status;
	pid_t pid;

	fflush(stdout);
	if (ftruncate(fileno(out), 0) != 0) {
		tool_errno("%s", name);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		tool_errno("fork");
		return -1;
	}
	if (pid == 0) {
		if (dup2(fileno(out), STDOUT_FILENO) < 0)
			_exit(127);
		/* gnuplot gets no raw socket or capture of ours */
		closefrom(STDERR_FILENO + 1);
		execlp("gnuplot", "gnuplot", script, (char *)NULL);
		fprintf(stderr, "%s: gnuplot: %s\n", hdp_progname,
			strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		tool_err("%s: gnuplot failed (exit %d)", name,
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return -1;
	}
	return 0;
}
