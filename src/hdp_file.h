/*
 * hdp_file.h: output files created safely, and privileges dropped.
 */
#ifndef HDP_FILE_H
#define HDP_FILE_H

#include <errno.h>
#include <stdio.h>

/*
 * Create an output file: never follows a symlink at the last component
 * (O_NOFOLLOW), never overwrites an existing file unless force (then it is
 * truncated; never a file with a second hard link), mode 0644.  "-" is
 * standard output.  NULL and one line in err ("PATH: exists (use --force
 * to overwrite)") on failure, with errno saying why: EEXIST, ELOOP (a
 * symbolic link) and EMLINK (hard links) mean the path was refused --
 * bad usage, exit 2 (HDP_FILE_REFUSED) -- anything else is the system's
 * refusal, exit 4.
 */
FILE *hdp_file_create(const char *path, int force, char *err,
		      size_t errlen);
#define HDP_FILE_REFUSED(e) ((e) == EEXIST || (e) == ELOOP || (e) == EMLINK)

/* The user a subcommand started as root runs as once its handles are
 * open, when -Z does not name one (tcpdump's default is its own user). */
#define HDP_DEFAULT_USER "nobody"

/*
 * Call once every capture handle, raw socket and output file is open.
 *
 * Started as root: switch to user (NULL or "": HDP_DEFAULT_USER) -- all
 * of real, effective and saved uid and gid, groups reset to the user's
 * -- after emptying the capability bounding set; "root" means stay root
 * (the caller asked, with -Z root).
 * Started without root (for instance from a binary given
 * cap_net_raw,cap_net_admin+ep with setcap): drop every capability.
 * Either way: the ambient set is cleared, no_new_privs is set (no exec can
 * gain privileges again), and the result is checked: no capability may
 * remain in the effective, permitted or inheritable set, and setuid(0)
 * must fail.  0, or -1 and one line in err.
 */
int hdp_drop_privileges(const char *user, char *err, size_t errlen);

/* 1 when this process holds any capability (effective, permitted or
 * inheritable), 0 when none, -1 when it cannot tell. */
int hdp_caps_held(void);

#endif /* HDP_FILE_H */
