/*
 * hdp_file.h: output files created safely, and privileges dropped.
 */
#ifndef HDP_FILE_H
#define HDP_FILE_H

#include <errno.h>
#include <stdio.h>
#include <sys/types.h>

/*
 * Create an output file: never follows a symlink at the last component
 * (O_NOFOLLOW), never overwrites an existing file unless force, mode
 * 0644.  "-" is standard output.  NULL and one line in err ("PATH: exists
 * (use --force to overwrite)") on failure, with errno saying why.
 *
 * With force, an existing file is written over (truncated) only when it
 * is a regular file of the effective user with one name: it is looked at
 * before it is opened (a device node is never opened), opened without
 * blocking (a FIFO) and checked again with fstat() after.  In a
 * world-writable directory anyone could have put a FIFO, a device, a file
 * of theirs or a hard link to another file under the name.
 *
 * errno EEXIST, ELOOP (a symbolic link), EMLINK (hard links),
 * HDP_FILE_NOTREG (not a regular file) and HDP_FILE_NOTOWN (another
 * user's) mean the path was refused -- bad usage, exit 2
 * (HDP_FILE_REFUSED) -- anything else is the system's refusal, exit 4.
 */
FILE *hdp_file_create(const char *path, int force, char *err,
		      size_t errlen);
#define HDP_FILE_NOTREG ENOTSUP
#define HDP_FILE_NOTOWN EPERM
#define HDP_FILE_REFUSED(e) ((e) == EEXIST || (e) == ELOOP || \
			     (e) == EMLINK || (e) == HDP_FILE_NOTREG || \
			     (e) == HDP_FILE_NOTOWN)

/* Which file was opened, and whether this run made it. */
struct hdp_file_id {
	dev_t dev;
	ino_t ino;
	int   created;   /* 1: this run created it (not a --force reuse) */
};

/* hdp_file_create(), saying in id which file it opened. */
FILE *hdp_file_create_id(const char *path, int force,
			 struct hdp_file_id *id, char *err, size_t errlen);

/* The same, but a file that existed (--force) keeps its contents until
 * the caller empties it (ftruncate) when it has something to write: a run
 * that fails first leaves it as it was. */
FILE *hdp_file_create_kept(const char *path, int force,
			   struct hdp_file_id *id, char *err, size_t errlen);

/* The same as a descriptor (O_WRONLY, close-on-exec); not for "-".
 * -1 and err on failure. */
int hdp_file_open_out(const char *path, int force, struct hdp_file_id *id,
		      char *err, size_t errlen);

/*
 * Remove path only if it is the file this run created (id): a name that
 * existed before (--force), or that now names another file, is left
 * alone.  0 removed; 1 left alone (not ours); -1 unlink failed (errno:
 * after dropping privileges the directory may be closed to us).
 */
int hdp_file_remove_created(const char *path, const struct hdp_file_id *id);

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
