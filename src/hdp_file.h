/*
 * hdp_file.h: output files created safely, and privileges dropped.
 */
#ifndef HDP_FILE_H
#define HDP_FILE_H

#include <stdio.h>

/*
 * Create an output file: never follows a symlink at the last component
 * (O_NOFOLLOW), never overwrites an existing file unless force (then it is
 * truncated), mode 0644.  "-" is standard output.  NULL and one line in
 * err ("PATH: exists (use --force to overwrite)") on failure.
 */
FILE *hdp_file_create(const char *path, int force, char *err,
		      size_t errlen);

/*
 * After capture handles and raw sockets are open: when running as root,
 * switch to user (NULL: "nobody") and keep no capabilities.  Not root:
 * drop any capabilities the binary was given.  0, or -1 and err.
 */
int hdp_drop_privileges(const char *user, char *err, size_t errlen);

#endif /* HDP_FILE_H */
