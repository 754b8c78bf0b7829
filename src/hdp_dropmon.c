/*
 * hdp_dropmon.c: kernel drop reasons from skb:kfree_skb (hdp_dropmon.h).
 *
 * Setup, all in a private instance (tracefs is mounted when it is not):
 *   instances/hdp-<pid>/trace_clock       mono (ordered across CPUs)
 *   instances/hdp-<pid>/events/skb/kfree_skb/filter
 *       common_pid == PID && (protocol == 2048 || protocol == 34525)
 *   instances/hdp-<pid>/events/skb/kfree_skb/enable = 1
 *   instances/hdp-<pid>/trace_pipe        read without blocking
 *   instances/hdp-<pid>/trace_marker      "hdp-mark TAG" before a packet
 * A trace_pipe line looks like
 *   hdp-123 [001] b..1. 5.6: kfree_skb: skbaddr=.. rx_sk=.. protocol=2048
 *       location=nft_do_chain+0x4d8/0x7a0 reason: NETFILTER_DROP
 *   hdp-123 [001] ..... 5.6: tracing_mark_write: hdp-mark 17
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "hdp_dropmon.h"

struct hdp_dropmon {
	char   tracefs[64];
	char   inst[128];           /* tracefs/instances/hdp-<pid>     */
	int    fd;                  /* trace_pipe                       */
	int    marker;              /* trace_marker                     */
	long   tag;                 /* last marker read back            */
	char   line[2048];          /* a partial line between reads     */
	size_t line_len;
	char  *ksyms;               /* /proc/kallsyms, loaded on demand */
};

static struct hdp_dropmon *active;     /* for the atexit hook */

/* ---- small file helpers ------------------------------------------------ */

static int
write_file(const char *path, const char *text, int append)
{
	int fd, rc = 0;
	size_t n = strlen(text);

	fd = open(path, O_WRONLY | O_CLOEXEC | (append ? O_APPEND : O_TRUNC));
	if (fd < 0)
		return -1;
	if (write(fd, text, n) != (ssize_t)n)
		rc = -1;
	if (close(fd) != 0)
		rc = -1;
	return rc;
}

/* Read a whole file (tracefs files report size 0, so read to EOF). */
static char *
read_file(const char *path, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf, *nb;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = malloc(cap + 1);
	while (buf != NULL) {
		if (n == cap) {
			nb = realloc(buf, cap * 2 + 1);
			if (nb == NULL) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			buf = NULL;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (buf != NULL) {
		buf[n] = '\0';
		if (len != NULL)
			*len = n;
	}
	return buf;
}

static int
path_fmt(char *out, size_t outlen, const char *a, const char *b)
{
	int n = snprintf(out, outlen, "%s/%s", a, b);

	return (n < 0 || (size_t)n >= outlen) ? -1 : 0;
}

/* ---- tracefs ----------------------------------------------------------- */

static int
find_tracefs(char *out, size_t outlen, char *err, size_t errlen)
{
	static const char *const dirs[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing", NULL
	};
	char p[128];
	int i;

	for (i = 0; dirs[i] != NULL; i++) {
		snprintf(p, sizeof(p), "%s/trace_pipe", dirs[i]);
		if (access(p, R_OK) == 0) {
			snprintf(out, outlen, "%s", dirs[i]);
			return 0;
		}
	}
	/* not mounted: mount it where the kernel expects it (as libtracefs
	 * does); it stays mounted, like after perf or trace-cmd */
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0 &&
	    access("/sys/kernel/tracing/trace_pipe", R_OK) == 0) {
		snprintf(out, outlen, "/sys/kernel/tracing");
		return 0;
	}
	snprintf(err, errlen, "tracefs is not mounted and cannot be "
		 "mounted on /sys/kernel/tracing: %s", strerror(errno));
	return -1;
}

/* Turn the instance off and remove it; quiet (also for stale ones). */
static void
remove_instance(const char *inst)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/events/skb/kfree_skb/enable", inst);
	(void)write_file(p, "0", 0);
	snprintf(p, sizeof(p), "%s/tracing_on", inst);
	(void)write_file(p, "0", 0);
	(void)rmdir(inst);
}

/* A run that was killed (SIGKILL) cannot clean up: its successor does. */
static void
remove_stale(const char *tracefs)
{
	char p[160], inst[448];
	struct dirent *de;
	DIR *d;
	long pid;
	char *end;

	snprintf(p, sizeof(p), "%s/instances", tracefs);
	d = opendir(p);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "hdp-", 4) != 0)
			continue;
		pid = strtol(de->d_name + 4, &end, 10);
		if (*end != '\0' || pid <= 0)
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(inst, sizeof(inst), "%s/%s", p, de->d_name);
		remove_instance(inst);
	}
	closedir(d);
}

static void
dropmon_atexit(void)
{
	if (active != NULL)
		hdp_dropmon_close(active);
}

/* Write text into the instance's file name; one line into err on error. */
static int
inst_write(struct hdp_dropmon *m, const char *name, const char *text,
	   char *err, size_t errlen)
{
	char p[256];

	if (path_fmt(p, sizeof(p), m->inst, name) != 0 ||
	    write_file(p, text, 0) != 0) {
		snprintf(err, errlen, "%s/%s: %s", m->inst, name,
			 strerror(errno));
		return -1;
	}
	return 0;
}

struct hdp_dropmon *
hdp_dropmon_open(int pid, char *err, size_t errlen)
{
	static int hooked;
	struct hdp_dropmon *m;
	char p[256], filt[128];

	if (geteuid() != 0) {
		snprintf(err, errlen, "drop reasons need root (tracefs)");
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->fd = m->marker = -1;
	m->tag = -1;
	if (find_tracefs(m->tracefs, sizeof(m->tracefs), err, errlen) != 0)
		goto fail;
	snprintf(p, sizeof(p), "%s/events/skb/kfree_skb/format", m->tracefs);
	if (access(p, R_OK) != 0) {
		snprintf(err, errlen, "this kernel has no skb:kfree_skb "
			 "tracepoint");
		goto fail;
	}
	remove_stale(m->tracefs);
	snprintf(m->inst, sizeof(m->inst), "%s/instances/hdp-%ld",
		 m->tracefs, (long)getpid());
	if (mkdir(m->inst, 0700) != 0) {
		snprintf(err, errlen, "%s: %s", m->inst, strerror(errno));
		m->inst[0] = '\0';
		goto fail;
	}
	if (!hooked) {
		atexit(dropmon_atexit);
		hooked = 1;
	}
	active = m;
	/* older kernels lack "mono"; then markers order within a CPU only */
	if (inst_write(m, "trace_clock", "mono", err, errlen) != 0)
		(void)inst_write(m, "trace_clock", "global", err, errlen);
	(void)inst_write(m, "buffer_size_kb", "1024", err, errlen);
	if (pid > 0)
		snprintf(filt, sizeof(filt), "common_pid == %d && "
			 "(protocol == 2048 || protocol == 34525)", pid);
	else
		snprintf(filt, sizeof(filt),
			 "protocol == 2048 || protocol == 34525");
	if (inst_write(m, "events/skb/kfree_skb/filter", filt, err,
		       errlen) != 0 ||
	    inst_write(m, "events/skb/kfree_skb/enable", "1", err,
		       errlen) != 0)
		goto fail;
	if (path_fmt(p, sizeof(p), m->inst, "trace_pipe") != 0 ||
	    (m->fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0 ||
	    path_fmt(p, sizeof(p), m->inst, "trace_marker") != 0 ||
	    (m->marker = open(p, O_WRONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: %s", p, strerror(errno));
		goto fail;
	}
	return m;
fail:
	hdp_dropmon_close(m);
	return NULL;
}

int
hdp_dropmon_fd(const struct hdp_dropmon *m)
{
	return m ? m->fd : -1;
}

void
hdp_dropmon_mark(struct hdp_dropmon *m, long tag)
{
	char buf[32];
	int n;

	if (m == NULL || m->marker < 0)
		return;
	n = snprintf(buf, sizeof(buf), "hdp-mark %ld\n", tag);
	if (write(m->marker, buf, (size_t)n) != n) {
		/* a lost marker only blurs attribution; nothing to do */
	}
}

unsigned long
hdp_dropmon_overruns(struct hdp_dropmon *m)
{
	char p[256], *s, *txt;
	unsigned long total = 0;
	int cpu;

	if (m == NULL)
		return 0;
	for (cpu = 0; cpu < 1024; cpu++) {
		snprintf(p, sizeof(p), "%s/per_cpu/cpu%d/stats", m->inst, cpu);
		txt = read_file(p, NULL);
		if (txt == NULL)
			break;
		if ((s = strstr(txt, "overrun: ")) != NULL)
			total += strtoul(s + 9, NULL, 10);
		free(txt);
	}
	return total;
}

void
hdp_dropmon_close(struct hdp_dropmon *m)
{
	if (m == NULL)
		return;
	if (m->fd >= 0)
		close(m->fd);
	if (m->marker >= 0)
		close(m->marker);
	m->fd = m->marker = -1;
	if (m->inst[0] != '\0')
		remove_instance(m->inst);
	free(m->ksyms);
	if (active == m)
		active = NULL;
	free(m);
}

/* ---- reading ------------------------------------------------------------ */

/*
 * A location the trace printed as a bare address (no %pS symbolization):
 * the nearest /proc/kallsyms symbol at or below it, "sym+0xoff".
 */
static void
kallsyms_name(struct hdp_dropmon *m, unsigned long long addr, char *out,
	      size_t outlen)
{
	unsigned long long a, best = 0;
	const char *s, *e, *bs = NULL;
	size_t bl = 0;
	char *end;

	if (m->ksyms == NULL)
		m->ksyms = read_file("/proc/kallsyms", NULL);
	for (s = m->ksyms; s != NULL && *s != '\0'; s = e ? e + 1 : NULL) {
		e = strchr(s, '\n');
		a = strtoull(s, &end, 16);
		if (a != 0 && a <= addr && a > best && end[0] == ' ' &&
		    end[1] != '\0' && end[2] == ' ') {
			const char *name = end + 3, *ne = name;

			while (*ne != '\0' && *ne != '\n' && *ne != ' ' &&
			       *ne != '\t')
				ne++;
			best = a;
			bs = name;
			bl = (size_t)(ne - name);
		}
		if (e == NULL)
			break;
	}
	if (bs != NULL)
		snprintf(out, outlen, "%.*s+0x%llx", (int)bl, bs, addr - best);
	else
		snprintf(out, outlen, "0x%llx", addr);
}

/* The text after " key=" (or " key: ") in line, or NULL. */
static const char *
field(const char *line, const char *key, char sep)
{
	size_t kl = strlen(key);
	const char *s = line;

	while ((s = strstr(s, key)) != NULL) {
		if (s > line && s[-1] == ' ' && s[kl] == sep)
			return s + kl + 1 + (sep == ':' && s[kl + 1] == ' ');
		s += kl;
	}
	return NULL;
}

static void
copy_word(char *out, size_t outlen, const char *s)
{
	size_t n = strcspn(s, " \t\r\n");

	snprintf(out, outlen, "%.*s", (int)n, s);
}

/* The task's pid in "comm-PID [cpu] ...": the number before " [". */
static int
line_pid(const char *line)
{
	const char *b = strstr(line, " [");
	const char *s;

	if (b == NULL)
		return 0;
	while (b > line && b[-1] == ' ')
		b--;
	for (s = b; s > line && s[-1] >= '0' && s[-1] <= '9'; s--)
		;
	return (s < b && s > line && s[-1] == '-') ? atoi(s) : 0;
}

static void
parse_line(struct hdp_dropmon *m, const char *line,
	   void (*cb)(const struct hdp_drop *, void *), void *arg, int *count)
{
	struct hdp_drop d;
	const char *s;

	if ((s = strstr(line, "tracing_mark_write: hdp-mark ")) != NULL) {
		m->tag = strtol(s + 29, NULL, 10);
		return;
	}
	if (strstr(line, " kfree_skb: ") == NULL)
		return;
	memset(&d, 0, sizeof(d));
	d.tag = m->tag;
	d.pid = line_pid(line);
	if ((s = field(line, "protocol", '=')) != NULL)
		d.ethertype = (unsigned)strtoul(s, NULL, 10);
	if ((s = field(line, "rx_sk", '=')) != NULL)
		d.at_socket = strtoull(s, NULL, 16) != 0;
	if ((s = field(line, "location", '=')) != NULL) {
		if (s[0] == '0' && s[1] == 'x')
			kallsyms_name(m, strtoull(s, NULL, 16), d.location,
				      sizeof(d.location));
		else
			copy_word(d.location, sizeof(d.location), s);
	}
	if ((s = field(line, "reason", ':')) != NULL)
		copy_word(d.reason, sizeof(d.reason), s);
	else
		snprintf(d.reason, sizeof(d.reason), "NOT_SPECIFIED");
	(*count)++;
	cb(&d, arg);
}

int
hdp_dropmon_read(struct hdp_dropmon *m,
		 void (*cb)(const struct hdp_drop *, void *), void *arg)
{
	char buf[16384];
	ssize_t n;
	size_t i, start, k;
	int count = 0;

	if (m == NULL || m->fd < 0)
		return 0;
	for (;;) {
		n = read(m->fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		if (n == 0)
			break;
		for (start = 0, i = 0; i <= (size_t)n; i++) {
			if (i < (size_t)n && buf[i] != '\n')
				continue;
			k = i - start;
			if (m->line_len + k < sizeof(m->line)) {
				memcpy(m->line + m->line_len, buf + start, k);
				m->line_len += k;
			} else {
				m->line_len = 0;   /* overlong: drop it */
			}
			if (i < (size_t)n) {
				m->line[m->line_len] = '\0';
				parse_line(m, m->line, cb, arg, &count);
				m->line_len = 0;
			}
			start = i + 1;
		}
	}
	return count;
}
