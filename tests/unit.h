/*
 * unit.h: the few macros our C unit tests need.  A failed check prints
 * where and what, and the test program exits 1 at the end.
 */
#ifndef HDP_UNIT_H
#define HDP_UNIT_H

#include <stdio.h>

static int unit_checks, unit_failures;

#define CHECK(cond) do { \
	unit_checks++; \
	if (!(cond)) { \
		unit_failures++; \
		fprintf(stderr, "%s:%d: check failed: %s\n", \
			__FILE__, __LINE__, #cond); \
	} \
} while (0)

#define CHECK_MSG(cond, ...) do { \
	unit_checks++; \
	if (!(cond)) { \
		unit_failures++; \
		fprintf(stderr, "%s:%d: check failed: %s: ", \
			__FILE__, __LINE__, #cond); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
	} \
} while (0)

static inline int
unit_report(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, unit_checks,
	       unit_failures);
	return unit_failures ? 1 : 0;
}

#endif /* HDP_UNIT_H */
