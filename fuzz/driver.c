/*
 * driver.c: a plain main() that feeds files to a libFuzzer harness, for
 * builds without libFuzzer (gcc, the sanitizer build, valgrind).
 *
 *     fuzz_frame_replay FILE|DIR...
 *
 * Each FILE is read whole into a buffer of exactly its size (so ASan and
 * valgrind catch a read one byte past the input) and passed to
 * LLVMFuzzerTestOneInput; a DIR means every regular file in it.  Prints
 * one line per input; exits 0 when every input ran, 2 on a bad argument.
 * A crash is a crash: the harness aborts and the exit status says so.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

/* Where the "ok" lines go: a copy of standard output taken before any
 * harness runs (harnesses of whole subcommands send fd 1 to /dev/null). */
static FILE *report;

static int
run_file(const char *path)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t n = 0;
	FILE *f;
	int rc = -1;

	f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) != 0 || st.st_size < 0 ||
	    st.st_size > 64 * 1024 * 1024) {
		fprintf(stderr, "%s: cannot size it\n", path);
		goto done;
	}
	n = (size_t)st.st_size;
	/* malloc(0) may return NULL: keep a real, zero-length object */
	buf = malloc(n ? n : 1);
	if (buf == NULL || (n && fread(buf, 1, n, f) != n)) {
		fprintf(stderr, "%s: cannot read it\n", path);
		goto done;
	}
	LLVMFuzzerTestOneInput(buf, n);
	fprintf(report, "ok %s (%zu bytes)\n", path, n);
	fflush(report);
	rc = 0;
done:
	free(buf);
	fclose(f);
	return rc;
}

static int
run_dir(const char *dir)
{
	struct dirent **names;
	char path[4096];
	struct stat st;
	int i, n, rc = 0;

	/* sorted, so runs are repeatable */
	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.' &&
		    snprintf(path, sizeof(path), "%s/%s", dir,
			     names[i]->d_name) < (int)sizeof(path) &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    run_file(path) != 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

int
main(int argc, char **argv)
{
	struct stat st;
	int i, rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	report = fdopen(dup(1), "w");
	if (report == NULL) {
		perror("dup");
		return 2;
	}
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			rc = 2;
		} else if (S_ISDIR(st.st_mode) ? run_dir(argv[i]) :
			   run_file(argv[i])) {
			rc = 2;
		}
	}
	return rc;
}
