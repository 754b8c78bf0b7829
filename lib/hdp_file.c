/*
 * hdp_file.c: safe output files and dropping privileges (hdp_file.h).
 *
 * Capabilities are handled with the raw capget/capset system calls and
 * prctl (no libcap): all we ever do is look at them and drop them all.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "hdp_file.h"

/* Fail with errno kept as the reason (snprintf may touch it). */
static int
create_fail(int fd, int e, char *err, size_t errlen, const char *path,
	    const char *why)
{
	snprintf(err, errlen, "%s: %s", path, why ? why : strerror(e));
	if (fd >= 0)
		close(fd);
	errno = e;
	return -1;
}

/* What a file that is not a regular one is, for messages. */
static const char *
file_kind(mode_t m)
{
	return S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ? "a character device" :
	       S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket" :
	       S_ISDIR(m) ? "a directory" : S_ISLNK(m) ? "a symbolic link" :
	       "not a regular file";
}

/*
 * May --force write over st, an existing file?  Only a regular file of
 * this effective user with one name: in a world-writable directory (/tmp)
 * anyone can put a FIFO (the run would block, or feed a reader), a device
 * node, a file of theirs (root would write into it for them) or a hard
 * link to /etc/shadow under the name we were given.  0, or -1 with why
 * and errno set.
 */
static int
force_refusal(const struct stat *st, char *why, size_t n)
{
	if (S_ISLNK(st->st_mode)) {
		snprintf(why, n, "is a symbolic link; refusing to follow it");
		errno = ELOOP;
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		snprintf(why, n, "is %s, not a regular file; refusing to "
			 "write into it (write to - and redirect instead)",
			 file_kind(st->st_mode));
		errno = HDP_FILE_NOTREG;
		return -1;
	}
	if (st->st_uid != geteuid()) {
		snprintf(why, n, "belongs to uid %ju, not to this user; "
			 "refusing to overwrite it", (uintmax_t)st->st_uid);
		errno = HDP_FILE_NOTOWN;
		return -1;
	}
	if (st->st_nlink > 1) {
		snprintf(why, n, "has %ju hard links; refusing to overwrite "
			 "it", (uintmax_t)st->st_nlink);
		errno = EMLINK;
		return -1;
	}
	return 0;
}

/*
 * Open for writing the very inode pfd (an O_PATH handle) names: through
 * /proc/self/fd, which reopens that inode and never looks the name up
 * again.  Without /proc mounted, the name once more, without following a
 * link or blocking; the caller compares what it got with what it checked,
 * but a device swapped in for that instant is opened before the
 * comparison rejects it (O_NONBLOCK and O_NOCTTY keep that open from
 * waiting or taking a terminal): the one window left, and only there.
 */
static int
reopen_for_write(int pfd, const char *path)
{
	char proc[40];
	int fd;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
	fd = open(proc, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0 || errno != ENOENT)
		return fd;
	return open(path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
		    O_CLOEXEC);
}

/*
 * --force on path, which existed a moment ago: look before opening (a
 * device is never opened, a FIFO never waited on).  The name is taken
 * with O_PATH, which opens nothing (no device's open runs, whatever was
 * swapped in after the lstat), the inode it got is checked, and only
 * that inode is opened for writing (reopen_for_write()); what was opened
 * must be what was looked at.  The fd; -1 when it went away meanwhile
 * (create it again); -2 after create_fail().
 */
static int
open_existing(const char *path, int keep, char *err, size_t errlen)
{
	static const char replaced[] = "was replaced while it was opened; "
				       "refusing it";
	struct stat before, st;
	char why[128];
	const char *w = NULL;
	int pfd = -1, fd = -1, e;

	if (lstat(path, &before) != 0) {
		if ((e = errno) == ENOENT)
			return -1;
		goto fail;
	}
	if (force_refusal(&before, why, sizeof(why)) != 0) {
		e = errno, w = why;
		goto fail;
	}
	/* with O_NOFOLLOW, a link swapped in is the link itself: refused */
	pfd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (pfd < 0) {
		if ((e = errno) == ENOENT)
			return -1;
		goto fail;
	}
	if (fstat(pfd, &st) != 0) {
		e = errno;
		goto fail;
	}
	if (force_refusal(&st, why, sizeof(why)) != 0) {
		e = errno, w = why;
		goto fail;
	}
	if (st.st_dev != before.st_dev || st.st_ino != before.st_ino) {
		e = EAGAIN, w = replaced;
		goto fail;
	}
	fd = reopen_for_write(pfd, path);
	if (fd < 0) {
		if ((e = errno) == ENOENT) {
			close(pfd);
			return -1;
		}
		goto fail;
	}
	if (fstat(fd, &st) != 0) {
		e = errno;
		goto fail;
	}
	if (st.st_dev != before.st_dev || st.st_ino != before.st_ino) {
		e = EAGAIN, w = replaced;
		goto fail;
	}
	close(pfd);
	pfd = -1;
	if (!keep && st.st_size > 0 && ftruncate(fd, 0) != 0) {
		e = errno;
		goto fail;
	}
	return fd;

fail:
	if (pfd >= 0)
		close(pfd);
	create_fail(fd, e, err, errlen, path, w);
	return -2;
}

/* hdp_file_open_out(); keep: an existing file (--force) is not emptied
 * yet. */
static int
open_out(const char *path, int force, int keep, struct hdp_file_id *id,
	 char *err, size_t errlen)
{
	int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK |
		    O_NOCTTY | O_CLOEXEC;
	struct stat st;
	char why[128];
	int fd = -1, tries, e;

	memset(id, 0, sizeof(*id));
	/* created by us, or (--force) an existing file opened and checked;
	 * a name that vanishes and comes back in between is tried again,
	 * a few times */
	for (tries = 0; tries < 4 && fd < 0; tries++) {
		fd = open(path, flags, 0644);
		if (fd >= 0) {
			id->created = 1;
			break;
		}
		e = errno;
		/* O_EXCL says EEXIST for any symbolic link, dangling too */
		if (e == ELOOP || (e == EEXIST && lstat(path, &st) == 0 &&
				   S_ISLNK(st.st_mode)))
			return create_fail(-1, ELOOP, err, errlen, path,
					   "is a symbolic link; refusing to "
					   "follow it");
		if (e != EEXIST)
			return create_fail(-1, e, err, errlen, path, NULL);
		if (!force)
			return create_fail(-1, EEXIST, err, errlen, path,
					   "exists (use --force to "
					   "overwrite)");
		fd = open_existing(path, keep, err, errlen);
		if (fd == -2)
			return -1;
	}
	if (fd < 0)
		return create_fail(-1, EAGAIN, err, errlen, path, "keeps "
				   "appearing and vanishing; refusing it");
	/* which file it is (for hdp_file_remove_created); one we made
	 * ourselves with O_EXCL is ours whoever the file system says owns
	 * it (vfat's uid=, NFS's root squash) */
	if (fstat(fd, &st) != 0)
		return create_fail(fd, errno, err, errlen, path, NULL);
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, sizeof(why), "is %s, not a regular file; "
			 "refusing to write into it", file_kind(st.st_mode));
		return create_fail(fd, HDP_FILE_NOTREG, err, errlen, path,
				   why);
	}
	/* O_NONBLOCK was for the open; writes to a file never wait anyway */
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	return fd;
}

int
hdp_file_open_out(const char *path, int force, struct hdp_file_id *id,
		  char *err, size_t errlen)
{
	return open_out(path, force, 0, id, err, errlen);
}

static FILE *
create_stream(const char *path, int force, int keep, struct hdp_file_id *id,
	      char *err, size_t errlen)
{
	FILE *f;
	int fd, e;

	if (strcmp(path, "-") == 0) {
		memset(id, 0, sizeof(*id));
		return stdout;
	}
	fd = open_out(path, force, keep, id, err, errlen);
	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w");
	if (f == NULL) {
		e = errno;
		hdp_file_remove_created(path, id);
		create_fail(fd, e, err, errlen, path, NULL);
	}
	return f;
}

FILE *
hdp_file_create_id(const char *path, int force, struct hdp_file_id *id,
		   char *err, size_t errlen)
{
	return create_stream(path, force, 0, id, err, errlen);
}

FILE *
hdp_file_create_kept(const char *path, int force, struct hdp_file_id *id,
		     char *err, size_t errlen)
{
	return create_stream(path, force, 1, id, err, errlen);
}

FILE *
hdp_file_create(const char *path, int force, char *err, size_t errlen)
{
	struct hdp_file_id id;

	return hdp_file_create_id(path, force, &id, err, errlen);
}

int
hdp_file_remove_created(const char *path, const struct hdp_file_id *id)
{
	struct stat st;

	if (!id->created) {
		errno = EEXIST;
		return 1;
	}
	/* the name may now be someone else's: in a directory anyone may
	 * write, the file we made could have been renamed away and replaced
	 * (a sticky directory does not allow that to others) */
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 1 : -1;
	if (!S_ISREG(st.st_mode) || st.st_dev != id->dev ||
	    st.st_ino != id->ino) {
		errno = ESTALE;
		return 1;
	}
	return unlink(path) == 0 ? 0 : -1;
}

/* ---- privileges -------------------------------------------------------- */

/* The three capability sets of this process, 64 bits each. */
struct capsets {
	uint64_t eff, prm, inh;
};

static int
caps_get(struct capsets *c)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) != 0)
		return -1;
	c->eff = (uint64_t)d[1].effective << 32 | d[0].effective;
	c->prm = (uint64_t)d[1].permitted << 32 | d[0].permitted;
	c->inh = (uint64_t)d[1].inheritable << 32 | d[0].inheritable;
	return 0;
}

/* Empty the effective, permitted and inheritable sets. */
static int
caps_clear(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	memset(d, 0, sizeof(d));
	return (int)syscall(SYS_capset, &h, d);
}

/* The highest capability number this kernel knows. */
static int
cap_last(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int n = CAP_LAST_CAP;

	if (f != NULL) {
		if (fscanf(f, "%d", &n) != 1 || n < 0 || n > 63)
			n = CAP_LAST_CAP;
		fclose(f);
	}
	return n;
}

int
hdp_caps_held(void)
{
	struct capsets c;

	if (caps_get(&c) != 0)
		return -1;
	return (c.eff | c.prm | c.inh) != 0;
}

/*
 * Leave no supplementary group behind: the caller's (root's, or those
 * initgroups() would give the target user: "pcap", "wireshark", "adm")
 * could open what hdp has no business opening.  Without CAP_SETGID (a
 * user's own copy with file capabilities) the groups are that user's
 * own, which is no privilege gained: must says whether failing counts.
 */
static int
clear_groups(int must)
{
	if (getgroups(0, NULL) == 0)
		return 0;
	if (setgroups(0, NULL) == 0)
		return 0;
	return !must && errno == EPERM ? 0 : -1;
}

/* Switch every uid and gid to pw's, with no supplementary group. */
static int
switch_user(const struct passwd *pw, const char *user, char *err,
	    size_t errlen)
{
	int cap;

	/* While we still may: no capability can come back through exec of
	 * a set-uid or file-capability program. */
	for (cap = 0; cap <= cap_last(); cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 &&
		    errno != EINVAL) {
			snprintf(err, errlen, "-Z %s: cannot drop capability "
				 "%d from the bounding set: %s", user, cap,
				 strerror(errno));
			return -1;
		}
	if (clear_groups(1) != 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0) {
		snprintf(err, errlen, "-Z %s: cannot switch user: %s", user,
			 strerror(errno));
		return -1;
	}
	return 0;
}

#ifdef HDP_SANITIZERS
/*
 * The sanitizer build's leak check runs at exit from a thread that
 * ptraces this process, and LeakSanitizer makes the process dumpable for
 * that moment: another process of the user we became could then take
 * any descriptor with pidfd_getfd().  So every descriptor that was open
 * when privileges were dropped (raw sockets, capture handles, the tracefs
 * reader, files opened as root, a ring's directory) is closed before the
 * check.  The handler is registered from a constructor: after the
 * sanitizer runtime registered its check (it initialises first) and
 * before main registers anything, so it runs after every cleanup of hdp's
 * own (atexit runs in reverse order: dropmon's included) and right before
 * the leak check.  stdio is flushed first, so the pcap files still held
 * by a FILE are complete; exit's own flush then finds nothing to write.
 * Descriptors opened after the drop were opened as the unprivileged user
 * and stay (the sanitizers' own report file among them).
 */
#define PRIV_FDS_MAX 1024
static struct priv_fd {
	int fd;
	dev_t dev;
	ino_t ino;
} priv_fds[PRIV_FDS_MAX];
static int npriv_fds = -1;      /* -1: no drop; PRIV_FDS_MAX + 1: too many */

/* Remember what is open now, as privileges are dropped. */
static void
note_privileged_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	struct stat st;
	int fd;

	npriv_fds = 0;
	if (d == NULL) {
		npriv_fds = PRIV_FDS_MAX + 1;   /* unknown: close them all */
		return;
	}
	while ((e = readdir(d)) != NULL) {
		fd = atoi(e->d_name);
		if (fd <= STDERR_FILENO || fd == dirfd(d) ||
		    fstat(fd, &st) != 0)
			continue;
		if (npriv_fds == PRIV_FDS_MAX) {
			npriv_fds = PRIV_FDS_MAX + 1;
			break;
		}
		priv_fds[npriv_fds].fd = fd;
		priv_fds[npriv_fds].dev = st.st_dev;
		priv_fds[npriv_fds].ino = st.st_ino;
		npriv_fds++;
	}
	closedir(d);
}

static void
close_privileged_at_exit(void)
{
	struct stat st;
	int i;

	if (npriv_fds < 0)
		return;
	fflush(NULL);
	if (npriv_fds > PRIV_FDS_MAX) {
		close_range(STDERR_FILENO + 1, ~0U, 0);
		return;
	}
	/* the same number may have been closed and reused meanwhile: only
	 * the very file that was open at the drop */
	for (i = 0; i < npriv_fds; i++)
		if (fstat(priv_fds[i].fd, &st) == 0 &&
		    st.st_dev == priv_fds[i].dev &&
		    st.st_ino == priv_fds[i].ino)
			close(priv_fds[i].fd);
}

__attribute__((constructor)) static void
hook_exit(void)
{
	atexit(close_privileged_at_exit);
}
#endif

int
hdp_drop_privileges(const char *user, char *err, size_t errlen)
{
	struct passwd *pw = NULL;
	struct capsets c;
	int root = geteuid() == 0 || getuid() == 0;
	int asked = user != NULL && *user != '\0';
	int privileged = root || hdp_caps_held() != 0;

	if (!asked)
		user = HDP_DEFAULT_USER;
	if (root && strcmp(user, "root") == 0)
		return 0;		/* -Z root: asked to keep everything */
	if (!root && asked) {
		/* without root there is no switching user: -Z may only name
		 * the user we already are */
		pw = getpwnam(user);
		if (pw == NULL) {
			snprintf(err, errlen, "-Z %s: no such user", user);
			return -1;
		}
		if (pw->pw_uid != getuid()) {
			snprintf(err, errlen, "-Z %s: only root can switch "
				 "user", user);
			return -1;
		}
		pw = NULL;
	}

	if (root) {
		errno = 0;
		pw = getpwnam(user);
		if (pw == NULL) {
			snprintf(err, errlen, "-Z %s: no such user", user);
			return -1;
		}
		if (pw->pw_uid == 0) {
			snprintf(err, errlen, "-Z %s: has uid 0; name an "
				 "unprivileged user (or -Z root to keep "
				 "root)", user);
			return -1;
		}
		if (switch_user(pw, user, err, errlen) != 0)
			return -1;
	} else if (clear_groups(0) != 0) {
		snprintf(err, errlen, "cannot clear the supplementary "
			 "groups: %s", strerror(errno));
		return -1;
	}
	/* Started without root but with file capabilities (setcap), or
	 * anything left over: empty every set, and the ambient set. */
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (caps_clear() != 0) {
		snprintf(err, errlen, "cannot drop capabilities: %s",
			 strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(err, errlen, "cannot set no_new_privs: %s",
			 strerror(errno));
		return -1;
	}
	/*
	 * Not dumpable, in every build: the descriptors opened with
	 * privileges (raw sockets, captures, files) stay out of reach of
	 * other processes of the user we now are (ptrace, pidfd_getfd,
	 * /proc/PID/fd).  The kernel clears the flag when the uid changes,
	 * unless fs.suid_dumpable says otherwise, and not at all for a
	 * process that only dropped file capabilities.  Nothing may set it
	 * again (see close_privileged_at_exit() for the sanitizer build's
	 * leak check).
	 */
	if (privileged && (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 ||
			   prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)) {
		snprintf(err, errlen, "cannot make the process non-dumpable: "
			 "%s", strerror(errno));
		return -1;
	}
#ifdef HDP_SANITIZERS
	if (privileged)
		note_privileged_fds();
#endif

	/* Check rather than trust: nothing may be left. */
	if (caps_get(&c) != 0 || c.eff || c.prm || c.inh) {
		snprintf(err, errlen, "capabilities remain after dropping "
			 "them");
		return -1;
	}
	if (pw != NULL && (getuid() != pw->pw_uid ||
			   geteuid() != pw->pw_uid ||
			   getgid() != pw->pw_gid ||
			   getegid() != pw->pw_gid ||
			   getgroups(0, NULL) != 0 ||
			   setuid(0) == 0)) {
		snprintf(err, errlen, "-Z %s: the switch did not hold", user);
		return -1;
	}
	return 0;
}
