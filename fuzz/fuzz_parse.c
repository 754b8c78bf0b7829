/*
 * fuzz_parse.c: libFuzzer harness for the argument parsers every
 * subcommand shares: hdp_protoset_parse() ("0-10,17,255", "all") and
 * hdp_parse_uint() (decimal or 0x hex within bounds).
 *
 * Input layout: byte 0 picks the bounds for hdp_parse_uint; the rest is
 * the argument text, cut at the first NUL as argv would be.
 *
 * Checks: a parse either succeeds with a value inside the bounds, or fails
 * with a non-empty, terminated message; the error buffer is never
 * overrun (it is given a small size with a guard after it); a protocol
 * set holds only 0-255 and "all" holds 256.
 */
#include "config.h"

#include <string.h>

#include <hdp/hdp.h>
#include "fuzz.h"

static const uint64_t bounds[][2] = {
	{ 0, 255 }, { 1, 65535 }, { 0, UINT64_MAX }, { 1, 1 },
	{ 0, 0 }, { 1000, 2000000 }, { 0, UINT32_MAX }, { 5, 4 },
};
#define NBOUNDS (sizeof(bounds) / sizeof(bounds[0]))

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hdp_protoset set;
	char *s, err[40 + 8];
	uint64_t v = 0xdeadbeef, lo, hi;
	const size_t errlen = 40;
	unsigned i, n;
	int rc;

	if (size < 1)
		return 0;
	lo = bounds[data[0] % NBOUNDS][0];
	hi = bounds[data[0] % NBOUNDS][1];
	s = malloc(size);		/* size - 1 bytes of text and a NUL */
	FUZZ_ASSERT(s != NULL);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';

	memset(err, 'G', sizeof(err));
	rc = hdp_parse_uint(s, lo, hi, &v, "count", err, errlen);
	FUZZ_ASSERT(memcmp(err + errlen, "GGGGGGGG", 8) == 0);
	if (rc == 0) {
		FUZZ_ASSERT(v >= lo && v <= hi);
	} else {
		FUZZ_ASSERT(rc == -1);
		FUZZ_ASSERT(memchr(err, '\0', errlen) != NULL);
		FUZZ_ASSERT(err[0] != '\0');
	}

	memset(err, 'G', sizeof(err));
	rc = hdp_protoset_parse(s, &set, err, errlen);
	FUZZ_ASSERT(memcmp(err + errlen, "GGGGGGGG", 8) == 0);
	if (rc == 0) {
		n = hdp_protoset_count(&set);
		FUZZ_ASSERT(n >= 1 && n <= 256);
		for (i = 0, v = 0; i < 300; i++)
			v += hdp_protoset_has(&set, i) != 0;
		FUZZ_ASSERT(v == n);
		if (strcmp(s, "all") == 0)
			FUZZ_ASSERT(n == 256);
	} else {
		FUZZ_ASSERT(rc == -1);
		FUZZ_ASSERT(memchr(err, '\0', errlen) != NULL);
		FUZZ_ASSERT(err[0] != '\0');
	}
	free(s);
	return 0;
}
