/*
 * hdp_file.c: safe output files and dropping privileges (hdp_file.h).
 *
 * Capabilities are handled with the raw capget/capset system calls and
 * prctl (no libcap): all we ever do is look at them and drop them all.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "hdp_file.h"

/* Fail with errno kept as the reason (snprintf may touch it). */
static FILE *
create_fail(int fd, int e, char *err, size_t errlen, const char *path,
	    const char *why)
{
	snprintf(err, errlen, "%s: %s", path, why ? why : strerror(e));
	if (fd >= 0)
		close(fd);
	errno = e;
	return NULL;
}

FILE *
hdp_file_create(const char *path, int force, char *err, size_t errlen)
{
	int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC;
	char why[64];
	struct stat st;
	FILE *f;
	int fd;

	if (strcmp(path, "-") == 0)
		return stdout;
	if (!force)
		flags |= O_EXCL;
	fd = open(path, flags, 0644);
	if (fd < 0) {
		int e = errno;

		/* O_EXCL says EEXIST for any symbolic link, dangling too */
		if (e == ELOOP || (e == EEXIST && lstat(path, &st) == 0 &&
				   S_ISLNK(st.st_mode)))
			return create_fail(-1, ELOOP, err, errlen, path,
					   "is a symbolic link; refusing to "
					   "follow it");
		if (e == EEXIST)
			return create_fail(-1, EEXIST, err, errlen, path,
					   "exists (use --force to "
					   "overwrite)");
		return create_fail(-1, e, err, errlen, path, NULL);
	}
	/*
	 * --force on an existing file: truncate only a plain file with one
	 * name.  A second hard link (someone linked /etc/shadow into a
	 * directory we write to) is refused; FIFOs and character devices
	 * (/dev/null) are written as they are.
	 */
	if (fstat(fd, &st) != 0)
		return create_fail(fd, errno, err, errlen, path, NULL);
	if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
		snprintf(why, sizeof(why), "has %ju hard links; refusing to "
			 "overwrite it", (uintmax_t)st.st_nlink);
		return create_fail(fd, EMLINK, err, errlen, path, why);
	}
	if (S_ISREG(st.st_mode) && st.st_size > 0 && ftruncate(fd, 0) != 0)
		return create_fail(fd, errno, err, errlen, path, NULL);
	f = fdopen(fd, "w");
	if (f == NULL)
		return create_fail(fd, errno, err, errlen, path, NULL);
	return f;
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

int
hdp_drop_privileges(const char *user, char *err, size_t errlen)
{
	struct passwd *pw = NULL;
	struct capsets c;
	int root = geteuid() == 0 || getuid() == 0;
	int asked = user != NULL && *user != '\0';
	int cap;

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
		/* While we still may: no capability can come back through
		 * exec of a set-uid or file-capability program. */
		for (cap = 0; cap <= cap_last(); cap++)
			if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 &&
			    errno != EINVAL) {
				snprintf(err, errlen, "-Z %s: cannot drop "
					 "capability %d from the bounding "
					 "set: %s", user, cap,
					 strerror(errno));
				return -1;
			}
		if (setgroups(0, NULL) != 0 ||
		    initgroups(pw->pw_name, pw->pw_gid) != 0 ||
		    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
		    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0) {
			snprintf(err, errlen, "-Z %s: cannot switch user: %s",
				 user, strerror(errno));
			return -1;
		}
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
#ifdef HDP_SANITIZERS
	/* LeakSanitizer inspects the process at exit through ptrace, which
	 * a process that changed uid may not allow itself. */
	(void)prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
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
			   setuid(0) == 0)) {
		snprintf(err, errlen, "-Z %s: the switch did not hold", user);
		return -1;
	}
	return 0;
}
