/*
 * fuzz.h: the one entry point every libFuzzer harness in fuzz/ exports.
 *
 * Each harness (fuzz_*.c) is linked twice: with clang's -fsanitize=fuzzer
 * by 'make fuzz', and with fuzz/driver.c (a plain main) into a test program
 * that 'make check' runs over tests/fuzz-regress/NAME/, so every input
 * that once crashed stays fixed under the normal and the sanitizer builds.
 */
#ifndef HDP_FUZZ_H
#define HDP_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant the code under test broke: report it and abort, so both
 * libFuzzer and the replay driver see a crash. */
#define FUZZ_ASSERT(c) do {						\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: invariant broken: %s\n",	\
			__FILE__, __LINE__, #c);			\
		abort();						\
	}								\
} while (0)

/* The link types a harness's first byte picks (fuzz_frame.c,
 * fuzz_rewrite.c; fuzz/seed.sh writes its seeds in this order), as an
 * initializer: static const int links[] = FUZZ_LINKS; */
#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif
#define FUZZ_LINKS {							\
	DLT_EN10MB, DLT_NULL, DLT_LOOP, DLT_RAW, DLT_IPV4, DLT_IPV6,	\
	DLT_LINUX_SLL, DLT_LINUX_SLL2, 14, 101,				\
}

#endif /* HDP_FUZZ_H */
