/*
 * hdp_dropmon.c: kernel drop reasons from skb:kfree_skb (hdp_dropmon.h).
 *
 * Setup, all in a private instance (tracefs is mounted when it is not):
 *   instances/hdp-<id>/trace_clock       mono (ordered across CPUs)
 *   instances/hdp-<id>/events/skb/kfree_skb/filter
 *       common_pid == PID && (protocol == 2048 || protocol == 34525)
 *   .../skb/kfree_skb/trigger             stacktrace if (the same)
 *   .../skb/consume_skb, net/net_dev_queue, net/netif_receive_skb
 *       common_pid == PID                 (following our packets' skbs)
 *   instances/hdp-<id>/trace_pipe        read without blocking
 *   instances/hdp-<id>/trace_marker      "hdp-mark TAG" before a packet
 * (<id> is pid-monotonic ns; the owner holds an flock on it: owner_gone())
 * trace_pipe lines look like
 *   hdp-123 [001] ..... 5.6: tracing_mark_write: hdp-mark 17
 *   hdp-123 [001] b.... 5.6: net_dev_queue: dev=s0 skbaddr=00ab.. len=62
 *   hdp-123 [001] ..s1. 5.6: netif_receive_skb: dev=r2a skbaddr=00ab.. ..
 *   hdp-123 [001] ..s1. 5.6: kfree_skb: skbaddr=00ab.. rx_sk=.. protocol=
 *       2048 location=nft_do_chain+0x4d8/0x7a0 reason: NETFILTER_DROP
 *   hdp-123 [001] ..s1. 5.6: <stack trace>
 *    => sk_skb_reason_drop
 *    => nft_do_chain
 *    => nf_hook_slow
 *    => ip_forward
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "hdp_dropmon.h"

#define SKB_SLOTS   256         /* our packets' skbs alive at once      */
#define MAX_CPUS    256
#define MAX_NETNS   256
#define MAX_DEVS    4096

/* An skb of one of our packets, followed from interface to interface. */
struct skbent {
	unsigned long long addr;    /* 0: free slot                       */
	long tag;
	char dev[16];               /* the interface it was last on       */
	char ns[64];                /* the namespace it is in             */
	char next[64];              /* where the interface it left by goes */
};

/* A link of a namespace, and the namespace its peer is in. */
struct nslink {
	char ns[64];
	char dev[16];
	char peer_ns[64];           /* ns itself: no peer elsewhere     */
};

struct hdp_dropmon {
	char   tracefs[64];
	char   inst[128];           /* tracefs/instances/hdp-<pid>-<ns> */
	int    fd;                  /* trace_pipe                       */
	int    marker;              /* trace_marker                     */
	int    stats[MAX_CPUS];     /* per_cpu/cpuN/stats               */
	int    nstats;
	int    helper_fd;           /* its pipe; closing it removes all */
	int    lock;                /* inst, flocked: we own it (owner_gone) */
	pid_t  helper;
	int    tracked;             /* skbs are followed (see .h)       */
	long   tag;                 /* last marker read back            */
	int    tag_seen;            /* its packet's skb is known        */
	struct skbent skb[SKB_SLOTS];
	unsigned skb_next;
	struct nslink *ln;
	size_t nln;
	char   self_ns[64];         /* our own namespace's name, or ""  */
	struct hdp_drop pend;       /* a drop waiting for its stack     */
	int    has_pend, after_nf;
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

	snprintf(p, sizeof(p), "%s/events/enable", inst);
	(void)write_file(p, "0", 0);
	snprintf(p, sizeof(p), "%s/events/skb/kfree_skb/trigger", inst);
	(void)write_file(p, "!stacktrace", 0);
	snprintf(p, sizeof(p), "%s/tracing_on", inst);
	(void)write_file(p, "0", 0);
	(void)rmdir(inst);
}

/*
 * Who owns an instance.  A run that was killed together with its helper
 * (SIGKILL to the group) cannot clean up: its successor does, but only
 * when the owner is verifiably gone.  A pid says nothing here: hdp in
 * another PID namespace sharing tracefs has a pid that is no process of
 * ours (kill() says ESRCH of a live run), and a pid is reused.  So the
 * owner holds an flock on its instance's directory for its whole life
 * (the lock belongs to the open file, not to a pid, and tracefs is one
 * file system however often it is mounted): an instance whose lock can be
 * taken has no owner left.  The scan and the making of an instance both
 * happen under a lock on the instances directory, so a new instance is
 * never seen between its mkdir and its owner's lock.  Names carry the pid
 * and the monotonic clock at creation, so runs in two PID namespaces with
 * one pid do not collide; an "hdp-PID" name comes from an hdp before the
 * lock and is judged by kill() as before (the best that can be said of
 * it).
 */
static int
owner_gone(const char *inst, const char *name)
{
	long pid;
	char *end;
	int fd, gone;

	pid = strtol(name + 4, &end, 10);
	if (pid <= 0)
		return 0;
	if (*end == '\0')              /* hdp-PID: an hdp without the lock */
		return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
	if (*end != '-')
		return 0;
	fd = open(inst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	gone = flock(fd, LOCK_EX | LOCK_NB) == 0;
	close(fd);                      /* and the lock with it */
	return gone;
}

/* Remove the instances whose owners are gone; under the instances lock. */
static void
remove_stale(const char *tracefs)
{
	char p[160], inst[448];
	struct dirent *de;
	DIR *d;

	snprintf(p, sizeof(p), "%s/instances", tracefs);
	d = opendir(p);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "hdp-", 4) != 0)
			continue;
		snprintf(inst, sizeof(inst), "%s/%s", p, de->d_name);
		if (owner_gone(inst, de->d_name))
			remove_instance(inst);
	}
	closedir(d);
}

/* Clear out stale instances and make ours, locked (see owner_gone()). */
static int
claim_instance(struct hdp_dropmon *m, char *err, size_t errlen)
{
	struct timespec now;
	char p[160];
	int dirlock;

	snprintf(p, sizeof(p), "%s/instances", m->tracefs);
	dirlock = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirlock >= 0)
		while (flock(dirlock, LOCK_EX) != 0 && errno == EINTR)
			;
	remove_stale(m->tracefs);
	clock_gettime(CLOCK_MONOTONIC, &now);
	snprintf(m->inst, sizeof(m->inst), "%s/instances/hdp-%ld-%lld%09ld",
		 m->tracefs, (long)getpid(), (long long)now.tv_sec,
		 (long)now.tv_nsec);
	if (mkdir(m->inst, 0700) != 0) {
		snprintf(err, errlen, "%s: %s", m->inst, strerror(errno));
		m->inst[0] = '\0';
		goto out;
	}
	m->lock = open(m->inst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (m->lock < 0 || flock(m->lock, LOCK_EX | LOCK_NB) != 0) {
		snprintf(err, errlen, "%s: cannot lock it: %s", m->inst,
			 strerror(errno));
		remove_instance(m->inst);
		m->inst[0] = '\0';
	}
out:
	if (dirlock >= 0)
		close(dirlock);         /* and its lock */
	return m->inst[0] != '\0' ? 0 : -1;
}

/* ---- the cleanup helper ------------------------------------------------ */

/* Empty every capability set (the uid stays 0: tracefs's files are
 * root's, so owner permissions are all the helper needs). */
static void
helper_unprivilege(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	int cap;

	for (cap = 0; cap < 64; cap++)
		(void)prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	memset(d, 0, sizeof(d));
	(void)syscall(SYS_capset, &h, d);
	(void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

/* Unmap every socket's shared memory the parent had mapped (a capture's
 * packet ring): an open mapping would keep the socket and its packets. */
static void
helper_unmap_sockets(void)
{
	unsigned long long a, b;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "re");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, " socket:[") != NULL &&
		    sscanf(line, "%llx-%llx", &a, &b) == 2 && b > a)
			(void)munmap((void *)(uintptr_t)a, (size_t)(b - a));
	if (f != NULL)
		fclose(f);
}

/* The helper: holds nothing but the pipe's read end (as fd 0) and no
 * socket's memory, waits for it to close, removes the instance.  Never
 * returns. */
static void
helper_main(const char *inst, int rfd)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT,
				    SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU };
	char c;
	ssize_t n;
	size_t i;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_IGN);
	if (rfd != 0 && dup2(rfd, 0) != 0)
		_exit(1);
	/* every other descriptor (raw sockets, captures, files) goes */
	if (close_range(1, ~0U, 0) != 0) {
		int fd;

		for (fd = 1; fd < 65536; fd++)
			(void)close(fd);
	}
	helper_unmap_sockets();
	(void)prctl(PR_SET_NAME, "hdp-dropmon", 0, 0, 0);
	helper_unprivilege();
	while ((n = read(0, &c, 1)) != 0)
		if (n < 0 && errno != EINTR)
			break;
	remove_instance(inst);
	_exit(0);
}

static int
helper_start(struct hdp_dropmon *m)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	fflush(NULL);           /* nothing buffered is written twice */
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0)
		helper_main(m->inst, p[0]);
	close(p[0]);
	m->helper = pid;
	m->helper_fd = p[1];
	return 0;
}

/* Close the pipe, wait for the helper to remove the instance. */
static void
helper_finish(struct hdp_dropmon *m)
{
	int st;

	if (m->helper_fd >= 0)
		close(m->helper_fd);
	m->helper_fd = -1;
	if (m->helper > 0)
		while (waitpid(m->helper, &st, 0) < 0 && errno == EINTR)
			;
	m->helper = 0;
}

/* ---- interfaces and their namespaces ------------------------------------ */

/*
 * Interface names repeat across namespaces (every test topology has its
 * r2a), so a drop's namespace comes from following the packet: it leaves
 * ours, and a veth (any link with a peer in another namespace) takes it
 * to its peer's namespace.  The links of every namespace of /run/netns
 * are read at open: name, and the namespace of the peer.
 */
static void
link_add(struct hdp_dropmon *m, const char *ns, const char *dev,
	 const char *peer_ns)
{
	struct nslink *n;

	if (m->nln >= MAX_DEVS)
		return;
	if (m->nln % 64 == 0) {
		n = realloc(m->ln, (m->nln + 64) * sizeof(*n));
		if (n == NULL)
			return;
		m->ln = n;
	}
	n = &m->ln[m->nln++];
	snprintf(n->ns, sizeof(n->ns), "%.63s", ns);
	snprintf(n->dev, sizeof(n->dev), "%.15s", dev);
	snprintf(n->peer_ns, sizeof(n->peer_ns), "%.63s", peer_ns);
}

/* Send one request on a NETLINK_ROUTE socket; 0 or -1. */
static int
nl_send(int fd, void *req, size_t len)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	return sendto(fd, req, len, 0, (struct sockaddr *)&sa,
		      sizeof(sa)) == (ssize_t)len ? 0 : -1;
}

/* The id this namespace gives the one open at nsfd, or -1. */
static int
nl_nsid(int fd, int nsfd)
{
	struct {
		struct nlmsghdr n;
		struct rtgenmsg g;
		char pad[3];
		struct rtattr a;
		uint32_t fd;
	} req;
	char buf[1024];
	struct nlmsghdr *h;
	struct rtattr *a;
	ssize_t n;
	int len;

	memset(&req, 0, sizeof(req));
	req.n.nlmsg_len = sizeof(req);
	req.n.nlmsg_type = RTM_GETNSID;
	req.n.nlmsg_flags = NLM_F_REQUEST;
	req.g.rtgen_family = AF_UNSPEC;
	req.a.rta_type = NETNSA_FD;
	req.a.rta_len = RTA_LENGTH(sizeof(uint32_t));
	req.fd = (uint32_t)nsfd;
	if (nl_send(fd, &req, sizeof(req)) != 0 ||
	    (n = recv(fd, buf, sizeof(buf), 0)) <= 0)
		return -1;
	h = (struct nlmsghdr *)buf;
	if (!NLMSG_OK(h, (size_t)n) || h->nlmsg_type != RTM_NEWNSID)
		return -1;
	len = (int)h->nlmsg_len - NLMSG_LENGTH(sizeof(struct rtgenmsg));
	for (a = (struct rtattr *)((char *)NLMSG_DATA(h) +
				   NLMSG_ALIGN(sizeof(struct rtgenmsg)));
	     RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == NETNSA_NSID)
			return *(int32_t *)RTA_DATA(a);
	return -1;
}

/* One RTM_NEWLINK: "L name peer-nsid" (-1: the peer, if any, is here). */
static void
nl_link_line(struct nlmsghdr *h, FILE *out)
{
	struct ifinfomsg *ifi = NLMSG_DATA(h);
	int len = (int)h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi));
	const char *name = NULL;
	struct rtattr *a;
	int nsid = -1;

	for (a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == IFLA_IFNAME)
			name = RTA_DATA(a);
		else if (a->rta_type == IFLA_LINK_NETNSID)
			nsid = *(int32_t *)RTA_DATA(a);
	}
	if (name != NULL && strnlen(name, IFNAMSIZ) < IFNAMSIZ)
		fprintf(out, "L %s %d\n", name, nsid);
}

static void
nl_links(int fd, FILE *out)
{
	struct {
		struct nlmsghdr n;
		struct ifinfomsg i;
	} req;
	static _Thread_local char buf[32768];	/* one per thread */
	struct nlmsghdr *h;
	ssize_t n;

	memset(&req, 0, sizeof(req));
	req.n.nlmsg_len = sizeof(req);
	req.n.nlmsg_type = RTM_GETLINK;
	req.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.i.ifi_family = AF_UNSPEC;
	if (nl_send(fd, &req, sizeof(req)) != 0)
		return;
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE ||
			    h->nlmsg_type == NLMSG_ERROR)
				return;
			if (h->nlmsg_type == RTM_NEWLINK)
				nl_link_line(h, out);
		}
}

/* In a child, inside the namespace at path: "N nsid name" for every
 * namespace of /run/netns this one has an id for, then its links. */
static void
links_child(const char *path, int out)
{
	struct timeval tv = { 1, 0 };
	char p[320];
	struct dirent *de;
	FILE *f;
	DIR *d;
	int fd, nl, id;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) != 0 ||
	    (f = fdopen(out, "w")) == NULL)
		_exit(1);
	nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl < 0)
		_exit(1);
	(void)setsockopt(nl, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	d = opendir("/run/netns");
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/run/netns/%s", de->d_name);
		if ((fd = open(p, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		if ((id = nl_nsid(nl, fd)) >= 0)
			fprintf(f, "N %d %s\n", id, de->d_name);
		close(fd);
	}
	if (d != NULL)
		closedir(d);
	nl_links(nl, f);
	fclose(f);
	_exit(0);
}

/* Parse what links_child wrote about namespace ns. */
static void
links_read(struct hdp_dropmon *m, FILE *f, const char *ns)
{
	char line[160], a[64], b[64];
	struct { int id; char name[64]; } ids[MAX_NETNS];
	int nids = 0, id, i;
	const char *peer;

	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "N %d %63s", &id, a) == 2 &&
		    nids < MAX_NETNS) {
			ids[nids].id = id;
			snprintf(ids[nids++].name, sizeof(ids[0].name), "%s",
				 a);
		} else if (sscanf(line, "L %15s %63s", a, b) == 2) {
			id = atoi(b);
			peer = id < 0 ? ns : "?";
			for (i = 0; id >= 0 && i < nids; i++)
				if (ids[i].id == id)
					peer = ids[i].name;
			link_add(m, ns, a, peer);
		}
	}
}

static void
links_of(struct hdp_dropmon *m, const char *path, const char *ns)
{
	int p[2], st;
	pid_t pid;
	FILE *f;

	if (pipe2(p, O_CLOEXEC) != 0)
		return;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		links_child(path, p[1]);
	}
	close(p[1]);
	f = pid > 0 ? fdopen(p[0], "r") : NULL;
	if (f == NULL)
		close(p[0]);
	if (f != NULL) {
		links_read(m, f, ns);
		fclose(f);
	}
	if (pid > 0)
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
}

/* Every namespace "ip netns" names, and ours: which one is ours, and the
 * links of each.  Best effort: a namespace that goes away while it is
 * read is skipped. */
static void
netns_load(struct hdp_dropmon *m)
{
	struct stat self, st;
	struct dirent *de;
	char path[320];
	int n = 0;
	DIR *d;

	if (stat("/proc/self/ns/net", &self) != 0)
		return;
	d = opendir("/run/netns");
	while (d != NULL && (de = readdir(d)) != NULL && n < MAX_NETNS) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", de->d_name);
		if (stat(path, &st) != 0)
			continue;
		n++;
		if (st.st_ino == self.st_ino && st.st_dev == self.st_dev &&
		    m->self_ns[0] == '\0')
			snprintf(m->self_ns, sizeof(m->self_ns), "%.63s",
				 de->d_name);
		links_of(m, path, de->d_name);
	}
	if (d != NULL)
		closedir(d);
	if (m->self_ns[0] == '\0')      /* not one of them: the host's own */
		links_of(m, "/proc/self/ns/net", "");
}

/* The namespace a packet sent through dev of namespace ns arrives in:
 * the peer's for a veth, ns itself otherwise (lo, or unknown). */
static const char *
next_ns(const struct hdp_dropmon *m, const char *ns, const char *dev)
{
	size_t i;

	for (i = 0; i < m->nln; i++)
		if (strcmp(m->ln[i].ns, ns) == 0 &&
		    strcmp(m->ln[i].dev, dev) == 0)
			return strcmp(m->ln[i].peer_ns, "?") == 0 ? ns :
			       m->ln[i].peer_ns;
	return ns;
}

/* ---- setup -------------------------------------------------------------- */

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

/* The events that follow our packets' skbs, and the stack trace that
 * names a hook; without them drops are told apart by markers alone. */
static void
enable_tracking(struct hdp_dropmon *m, int pid, const char *kfilt)
{
	static const char *const ev[] = {
		"skb/consume_skb", "net/net_dev_queue",
		"net/netif_receive_skb", NULL
	};
	char name[96], filt[160], e[8];
	int i;

	snprintf(filt, sizeof(filt), "common_pid == %d", pid);
	for (i = 0; ev[i] != NULL; i++) {
		snprintf(name, sizeof(name), "events/%s/filter", ev[i]);
		if (inst_write(m, name, filt, e, sizeof(e)) != 0)
			break;
		snprintf(name, sizeof(name), "events/%s/enable", ev[i]);
		if (inst_write(m, name, "1", e, sizeof(e)) != 0)
			break;
	}
	m->tracked = ev[i] == NULL;
	while (!m->tracked && i-- > 0) {
		snprintf(name, sizeof(name), "events/%s/enable", ev[i]);
		(void)inst_write(m, name, "0", e, sizeof(e));
	}
	snprintf(filt, sizeof(filt), "stacktrace if %s", kfilt);
	(void)inst_write(m, "events/skb/kfree_skb/trigger", filt, e,
			 sizeof(e));
}

/* The descriptors reading needs, all opened now (as root). */
static int
open_fds(struct hdp_dropmon *m, char *err, size_t errlen)
{
	char p[256];
	int cpu, fd;

	if (path_fmt(p, sizeof(p), m->inst, "trace_pipe") != 0 ||
	    (m->fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0 ||
	    path_fmt(p, sizeof(p), m->inst, "trace_marker") != 0 ||
	    (m->marker = open(p, O_WRONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: %s", p, strerror(errno));
		return -1;
	}
	for (cpu = 0; cpu < MAX_CPUS; cpu++) {
		snprintf(p, sizeof(p), "%s/per_cpu/cpu%d/stats", m->inst, cpu);
		if ((fd = open(p, O_RDONLY | O_CLOEXEC)) < 0)
			break;
		m->stats[m->nstats++] = fd;
	}
	return 0;
}

/* Make the instance (and its helper), point the events at pid. */
static int
setup_instance(struct hdp_dropmon *m, int pid, char *err, size_t errlen)
{
	char filt[128];

	if (claim_instance(m, err, errlen) != 0)
		return -1;
	if (helper_start(m) != 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		remove_instance(m->inst);
		m->inst[0] = '\0';
		return -1;
	}
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
		return -1;
	if (pid > 0)
		enable_tracking(m, pid, filt);
	return open_fds(m, err, errlen);
}

struct hdp_dropmon *
hdp_dropmon_open(int pid, char *err, size_t errlen)
{
	static int hooked;
	struct hdp_dropmon *m;
	char p[256];

	if (geteuid() != 0) {
		snprintf(err, errlen, "drop reasons need root (tracefs)");
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->fd = m->marker = m->helper_fd = m->lock = -1;
	m->tag = -1;
	if (find_tracefs(m->tracefs, sizeof(m->tracefs), err, errlen) != 0)
		goto fail;
	snprintf(p, sizeof(p), "%s/events/skb/kfree_skb/format", m->tracefs);
	if (access(p, R_OK) != 0) {
		snprintf(err, errlen, "this kernel has no skb:kfree_skb "
			 "tracepoint");
		goto fail;
	}
	if (!hooked) {
		atexit(dropmon_atexit);
		hooked = 1;
	}
	active = m;
	if (setup_instance(m, pid, err, errlen) != 0)
		goto fail;
	netns_load(m);
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
	char txt[1024], *s;
	unsigned long total = 0;
	ssize_t n;
	int i;

	if (m == NULL)
		return 0;
	for (i = 0; i < m->nstats; i++) {
		n = pread(m->stats[i], txt, sizeof(txt) - 1, 0);
		if (n <= 0)
			continue;
		txt[n] = '\0';
		if ((s = strstr(txt, "overrun: ")) != NULL)
			total += strtoul(s + 9, NULL, 10);
	}
	return total;
}

void
hdp_dropmon_close(struct hdp_dropmon *m)
{
	int i;

	if (m == NULL)
		return;
	if (m->fd >= 0)
		close(m->fd);
	if (m->marker >= 0)
		close(m->marker);
	m->fd = m->marker = -1;
	for (i = 0; i < m->nstats; i++)
		close(m->stats[i]);
	m->nstats = 0;
	if (m->helper > 0)
		helper_finish(m);       /* it removes the instance */
	else if (m->inst[0] != '\0')
		remove_instance(m->inst);
	if (m->lock >= 0)               /* owned until it is gone */
		close(m->lock);
	m->lock = -1;
	free(m->ksyms);
	free(m->ln);
	if (active == m)
		active = NULL;
	free(m);
}

char *
hdp_drop_where(const struct hdp_drop *d, char *out, size_t outlen)
{
	size_t n = 0;

	out[0] = '\0';
#define PUT(...) do { if (n < outlen) n += (size_t)snprintf(out + n, \
		outlen - n, __VA_ARGS__); } while (0)
	if (d->netns[0] != '\0')
		PUT("netns %s", d->netns);
	if (d->dev[0] != '\0')
		PUT("%son %s", n ? " " : "", d->dev);
	if (d->hook[0] != '\0' && d->func[0] != '\0')
		PUT("%snetfilter %s hook (%s)", n ? ", " : "", d->hook,
		    d->func);
	else if (d->hook[0] != '\0')
		PUT("%snetfilter %s hook", n ? ", " : "", d->hook);
	else if (d->func[0] != '\0')
		PUT("%sat %s", n ? ", " : "", d->func);
	else if (d->location[0] != '\0')
		PUT("%sat %s", n ? ", " : "", d->location);
#undef PUT
	return out;
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


static unsigned long long
field_addr(const char *line, const char *key)
{
	const char *s = field(line, key, '=');

	return s != NULL ? strtoull(s, NULL, 16) : 0;
}

/* ---- our packets' skbs --------------------------------------------------- */

static struct skbent *
skb_find(struct hdp_dropmon *m, unsigned long long addr)
{
	int i;

	if (addr == 0)
		return NULL;
	for (i = 0; i < SKB_SLOTS; i++)
		if (m->skb[i].addr == addr)
			return &m->skb[i];
	return NULL;
}

/* A packet's skb, first seen leaving our namespace.  The oldest entry
 * makes room: an skb freed out of our sight never frees its slot. */
static struct skbent *
skb_add(struct hdp_dropmon *m, unsigned long long addr, long tag)
{
	struct skbent *e = skb_find(m, addr);

	if (e == NULL)
		e = &m->skb[m->skb_next++ % SKB_SLOTS];
	memset(e, 0, sizeof(*e));
	e->addr = addr;
	e->tag = tag;
	snprintf(e->ns, sizeof(e->ns), "%s", m->self_ns);
	return e;
}

/* net_dev_queue (xmit) / netif_receive_skb: the interface an skb is on
 * now, and so its namespace: a packet sent through a veth is received
 * in the peer's. */
static void
on_dev_event(struct hdp_dropmon *m, const char *line, int xmit)
{
	unsigned long long a = field_addr(line, "skbaddr");
	const char *s = field(line, "dev", '=');
	char dev[16] = "";
	struct skbent *e = skb_find(m, a);

	if (s != NULL)
		copy_word(dev, sizeof(dev), s);
	if (e == NULL && xmit && m->tag >= 0 && !m->tag_seen)
		e = skb_add(m, a, m->tag);   /* the marked packet leaving */
	if (xmit && m->tag >= 0)
		m->tag_seen = 1;
	if (e == NULL)
		return;
	snprintf(e->dev, sizeof(e->dev), "%s", dev);
	if (xmit) {
		snprintf(e->next, sizeof(e->next), "%s",
			 next_ns(m, e->ns, dev));
	} else if (e->next[0] != '\0' || e->ns[0] == '\0') {
		memcpy(e->ns, e->next, sizeof(e->ns));
		e->next[0] = '\0';
	}
}

/* ---- drops ---------------------------------------------------------------- */

/* A probe's normal end, not a fault: its TTL ran out at a router (the
 * ICMP time-exceeded is the answer), or its port was closed at the
 * destination (the port-unreachable or reset is). */
static int
drop_expected(const struct hdp_drop *d)
{
	if (strcmp(d->reason, "IP_INHDR") == 0)
		return strcmp(d->func, "ip_forward") == 0 ||
		       strcmp(d->func, "ip6_forward") == 0;
	return strcmp(d->reason, "NO_SOCKET") == 0;
}

/* The netfilter hook an NF_HOOK in function fn runs (the caller of
 * nf_hook_slow; the kernel inlines, so names are matched loosely), or
 * "" when fn says nothing. */
static const char *
hook_of(const char *fn)
{
	static const struct { const char *fn, *hook; } t[] = {
		{ "ip_rcv", "PREROUTING" }, { "ipv6_rcv", "PREROUTING" },
		{ "ip_local_deliver", "INPUT" }, { "ip6_input", "INPUT" },
		{ "ip_forward", "FORWARD" }, { "ip6_forward", "FORWARD" },
		{ "raw_sendmsg", "OUTPUT" }, { "rawv6_sendmsg", "OUTPUT" },
		{ "ip6_xmit", "OUTPUT" },
		{ "ip_output", "POSTROUTING" }, { "ip6_output", "POSTROUTING" },
		{ "__dev_queue_xmit", "egress" },
		{ "__netif_receive_skb_core", "ingress" },
		{ NULL, NULL }
	};
	static const struct { const char *part, *hook; } loose[] = {
		{ "local_out", "OUTPUT" }, { "sendmsg", "OUTPUT" },
		{ "send_hdrinc", "OUTPUT" }, { "forward", "FORWARD" },
		{ "local_deliver", "INPUT" }, { "output", "POSTROUTING" },
		{ "_rcv", "PREROUTING" }, { NULL, NULL }
	};
	int i;

	for (i = 0; t[i].fn != NULL; i++)
		if (strcmp(fn, t[i].fn) == 0)
			return t[i].hook;
	for (i = 0; loose[i].part != NULL; i++)
		if (strstr(fn, loose[i].part) != NULL)
			return loose[i].hook;
	return "";
}

/* One stack frame "=> func+0x1/0x2" of the pending drop: the frame
 * after nf_hook_slow names the netfilter hook. */
static void
on_frame(struct hdp_dropmon *m, const char *s)
{
	char fn[64];

	copy_word(fn, sizeof(fn), s);
	fn[strcspn(fn, "+")] = '\0';
	if (strcmp(fn, "nf_hook_slow") == 0) {
		m->after_nf = 1;
		return;
	}
	if (m->after_nf == 1) {
		snprintf(m->pend.hook, sizeof(m->pend.hook), "%s",
			 hook_of(fn));
		m->after_nf = 2;
	}
}

static void
flush_pending(struct hdp_dropmon *m,
	      void (*cb)(const struct hdp_drop *, void *), void *arg,
	      int *count)
{
	if (!m->has_pend)
		return;
	m->has_pend = 0;
	(*count)++;
	cb(&m->pend, arg);
}

/* A kfree_skb line into d; 0 when it is not one of our packets. */
static int
parse_drop(struct hdp_dropmon *m, const char *line, struct hdp_drop *d)
{
	unsigned long long a = field_addr(line, "skbaddr");
	struct skbent *e = m->tracked ? skb_find(m, a) : NULL;
	const char *s;

	memset(d, 0, sizeof(*d));
	if (e != NULL) {
		d->tag = e->tag;
		snprintf(d->dev, sizeof(d->dev), "%s", e->dev);
		snprintf(d->netns, sizeof(d->netns), "%s", e->ns);
		e->addr = 0;
	} else if (!m->tracked || (m->tag >= 0 && !m->tag_seen)) {
		d->tag = m->tag;        /* died before any interface: here */
		m->tag_seen = m->tracked;
		if (m->tracked)
			snprintf(d->netns, sizeof(d->netns), "%s",
				 m->self_ns);
	} else {
		return 0;               /* an ICMP error, a clone, others' */
	}
	d->pid = line_pid(line);
	if ((s = field(line, "protocol", '=')) != NULL)
		d->ethertype = (unsigned)strtoul(s, NULL, 10);
	d->at_socket = field_addr(line, "rx_sk") != 0;
	if ((s = field(line, "location", '=')) != NULL) {
		if (s[0] == '0' && s[1] == 'x')
			kallsyms_name(m, strtoull(s, NULL, 16), d->location,
				      sizeof(d->location));
		else
			copy_word(d->location, sizeof(d->location), s);
	}
	snprintf(d->func, sizeof(d->func), "%.*s",
		 (int)strcspn(d->location, "+"), d->location);
	if ((s = field(line, "reason", ':')) != NULL)
		copy_word(d->reason, sizeof(d->reason), s);
	else
		snprintf(d->reason, sizeof(d->reason), "NOT_SPECIFIED");
	/* without the skb events, replies nobody listens to cannot be told
	 * from our packets: those reasons are set aside */
	d->expected = drop_expected(d) || (!m->tracked &&
		strcmp(d->reason, "NOT_SPECIFIED") == 0);
	return 1;
}

static void
parse_line(struct hdp_dropmon *m, const char *line,
	   void (*cb)(const struct hdp_drop *, void *), void *arg, int *count)
{
	const char *s = line;

	while (*s == ' ')
		s++;
	if (s[0] == '=' && s[1] == '>') {
		if (m->has_pend)
			on_frame(m, s + 3);
		return;
	}
	if (strstr(line, ": <stack trace>") != NULL)
		return;
	flush_pending(m, cb, arg, count);
	if ((s = strstr(line, "tracing_mark_write: hdp-mark ")) != NULL) {
		m->tag = strtol(s + 29, NULL, 10);
		m->tag_seen = 0;
	} else if (strstr(line, " net_dev_queue: ") != NULL) {
		on_dev_event(m, line, 1);
	} else if (strstr(line, " netif_receive_skb: ") != NULL) {
		on_dev_event(m, line, 0);
	} else if (strstr(line, " consume_skb: ") != NULL) {
		struct skbent *e = skb_find(m, field_addr(line, "skbaddr"));

		if (e != NULL)
			e->addr = 0;
	} else if (strstr(line, " kfree_skb: ") != NULL &&
		   parse_drop(m, line, &m->pend)) {
		m->has_pend = 1;
		m->after_nf = 0;
	}
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
	/* nothing more now: a drop still collecting its stack is given as
	 * it is (the stack is written with the event, so this is rare) */
	flush_pending(m, cb, arg, &count);
	return count;
}
