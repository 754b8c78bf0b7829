/*
 * hdp_file.c: safe output files and dropping privileges (hdp_file.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hdp_file.h"

FILE *
hdp_file_create(const char *path, int force, char *err, size_t errlen)
{
	int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC;
	FILE *f;
	int fd;

	if (strcmp(path, "-") == 0)
		return stdout;
	flags |= force ? O_TRUNC : O_EXCL;
	fd = open(path, flags, 0644);
	if (fd < 0) {
		if (errno == EEXIST)
			snprintf(err, errlen, "%s: exists (use --force to "
				 "overwrite)", path);
		else if (errno == ELOOP)
			snprintf(err, errlen, "%s: is a symbolic link; "
				 "refusing to follow it", path);
		else
			snprintf(err, errlen, "%s: %s", path,
				 strerror(errno));
		return NULL;
	}
	f = fdopen(fd, "w");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
	}
	return f;
}

int
hdp_drop_privileges(const char *user, char *err, size_t errlen)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
	if (user == NULL)
		user = "nobody";
	pw = getpwnam(user);
	if (pw == NULL) {
		snprintf(err, errlen, "-Z %s: no such user", user);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 ||
	    setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
		snprintf(err, errlen, "-Z %s: cannot switch user: %s", user,
			 strerror(errno));
		return -1;
	}
	return 0;
}
