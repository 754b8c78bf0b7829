/*
 * hdp_json.h: one JSON object per line, written field by field.
 *
 *     struct hdp_json j;
 *     hj_begin(&j, stdout);
 *     hj_u64(&j, "proto", 255);
 *     hj_str(&j, "error", NULL);          -> "error":null
 *     hj_end(&j);                         -> }\n
 *
 * Strings are escaped per RFC 8259; bytes that are not valid UTF-8 text
 * are written as \u00XX so every line parses.
 */
#ifndef HDP_JSON_H
#define HDP_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct hdp_json {
	FILE *f;
	int   n;            /* fields written so far */
};

void hj_begin(struct hdp_json *j, FILE *f);
void hj_end(struct hdp_json *j);
void hj_str(struct hdp_json *j, const char *key, const char *v);
void hj_strn(struct hdp_json *j, const char *key, const char *v, size_t n);
void hj_u64(struct hdp_json *j, const char *key, uint64_t v);
void hj_i64(struct hdp_json *j, const char *key, int64_t v);
void hj_dbl(struct hdp_json *j, const char *key, double v, int decimals);
void hj_bool(struct hdp_json *j, const char *key, int v);
void hj_null(struct hdp_json *j, const char *key);
void hj_hex(struct hdp_json *j, const char *key, const uint8_t *p,
	    size_t n);
/* key followed by raw JSON text the caller already made (array, object) */
void hj_raw(struct hdp_json *j, const char *key, const char *json);

/* Write s as a JSON string (with quotes) to f. */
void hj_write_string(FILE *f, const char *s, size_t n);

#endif /* HDP_JSON_H */
