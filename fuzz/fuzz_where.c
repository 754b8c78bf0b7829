/*
 * fuzz_where.c: libFuzzer harness for 'hdp where', which reads captures
 * taken at several points and matches their packets (hostile files from
 * anywhere on a path).
 *
 * Input layout: byte 0 picks the output (text, -v, -q, --json); bytes 1-2
 * (big-endian) the length of capture A, capped at what is there; A; then
 * capture B is the rest.  Both go to 'hdp where A=... B=...'.
 * Checks: no sanitizer report, and the exit status is one of hdp's.
 */
#include "config.h"

#include <stdlib.h>

#include "tool.h"
#include "fuzz_tool.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *const modes[] = { "-v", "-q", "--json", "--window=1" };
	char a[32], b[32], aa[40], bb[40];
	char *argv[8];
	size_t na;
	int fa, fb, rc, argc = 0;

	if (size < 3)
		return 0;
	fuzz_quiet();
	na = (size_t)data[1] << 8 | data[2];
	if (na > size - 3)
		na = size - 3;
	fa = fuzz_memfile(data + 3, na, a);
	fb = fuzz_memfile(data + 3 + na, size - 3 - na, b);
	snprintf(aa, sizeof(aa), "A=%s", a);
	snprintf(bb, sizeof(bb), "B=%s", b);
	argv[argc++] = "where";
	if (geteuid() == 0) {		/* stay who the fuzzer runs as */
		argv[argc++] = "-Z";
		argv[argc++] = "root";
	}
	if (data[0] & 4)
		argv[argc++] = modes[data[0] & 3];
	argv[argc++] = aa;
	argv[argc++] = bb;
	argv[argc] = NULL;
	rc = fuzz_cmd(cmd_where, argc, argv);
	FUZZ_ASSERT(rc >= HDP_EXIT_OK && rc <= HDP_EXIT_ENV);
	close(fa);
	close(fb);
	return 0;
}
