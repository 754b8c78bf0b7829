/*
 * fuzz_join.c: libFuzzer harness for 'hdp sweep --join TX.json RX.json',
 * the reader of a sweep's JSON lines and of the receiver's hdp listen
 * JSON lines (files that travel between machines).
 *
 * Input layout: the TX file, a NUL byte, the RX file (no NUL: RX empty).
 * Checks: no sanitizer report, and the exit status is one of hdp's.
 */
#include "config.h"

#include <stdlib.h>

#include "tool.h"
#include "fuzz_tool.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char tx[32], rx[32];
	char *argv[] = { "sweep", "--join", tx, rx, NULL };
	const uint8_t *nul = memchr(data, '\0', size);
	size_t ntx = nul ? (size_t)(nul - data) : size;
	int ftx, frx, rc;

	fuzz_quiet();
	ftx = fuzz_memfile(data, ntx, tx);
	frx = nul ? fuzz_memfile(nul + 1, size - ntx - 1, rx) :
		    fuzz_memfile(data, 0, rx);
	rc = fuzz_cmd(cmd_sweep, 4, argv);
	FUZZ_ASSERT(rc >= HDP_EXIT_OK && rc <= HDP_EXIT_ENV);
	close(ftx);
	close(frx);
	return 0;
}
