/*
 * hdp_json.c: JSON lines output (see hdp_json.h).
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "hdp_json.h"

void
hj_write_string(FILE *f, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	putc('"', f);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '"':  fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			/* control bytes and anything not 7-bit: escaped, so
			 * a line is valid JSON whatever the packet held */
			if (c < 0x20 || c >= 0x7f) {
				fputs("\\u00", f);
				putc(hex[c >> 4], f);
				putc(hex[c & 15], f);
			} else {
				putc(c, f);
			}
		}
	}
	putc('"', f);
}

static void
key(struct hdp_json *j, const char *k)
{
	if (j->n++)
		putc(',', j->f);
	hj_write_string(j->f, k, strlen(k));
	putc(':', j->f);
}

void
hj_begin(struct hdp_json *j, FILE *f)
{
	j->f = f;
	j->n = 0;
	putc('{', f);
}

void
hj_end(struct hdp_json *j)
{
	fputs("}\n", j->f);
}

void
hj_strn(struct hdp_json *j, const char *k, const char *v, size_t n)
{
	key(j, k);
	if (v == NULL)
		fputs("null", j->f);
	else
		hj_write_string(j->f, v, n);
}

void
hj_str(struct hdp_json *j, const char *k, const char *v)
{
	hj_strn(j, k, v, v ? strlen(v) : 0);
}

void
hj_u64(struct hdp_json *j, const char *k, uint64_t v)
{
	key(j, k);
	fprintf(j->f, "%" PRIu64, v);
}

void
hj_i64(struct hdp_json *j, const char *k, int64_t v)
{
	key(j, k);
	fprintf(j->f, "%" PRId64, v);
}

void
hj_dbl(struct hdp_json *j, const char *k, double v, int decimals)
{
	key(j, k);
	if (isfinite(v))
		fprintf(j->f, "%.*f", decimals, v);
	else
		fputs("null", j->f);	/* JSON has no NaN or infinity */
}

void
hj_bool(struct hdp_json *j, const char *k, int v)
{
	key(j, k);
	fputs(v ? "true" : "false", j->f);
}

void
hj_null(struct hdp_json *j, const char *k)
{
	key(j, k);
	fputs("null", j->f);
}

void
hj_hex(struct hdp_json *j, const char *k, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	key(j, k);
	putc('"', j->f);
	for (i = 0; i < n; i++) {
		putc(hex[p[i] >> 4], j->f);
		putc(hex[p[i] & 15], j->f);
	}
	putc('"', j->f);
}

void
hj_raw(struct hdp_json *j, const char *k, const char *json)
{
	key(j, k);
	fputs(json, j->f);
}
