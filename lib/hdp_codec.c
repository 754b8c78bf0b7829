/*
 * hdp_codec.c: the HDP header codec and small helpers every subcommand
 * shares (checksum, protocol-number sets, number parsing, clock).
 *
 * Specification: hdp_specification.md.  All fields are big-endian.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hdp/hdp.h>

size_t
hdp_hdr_encode(const struct hdp_hdr *h, uint8_t *buf, size_t buflen)
{
	int i;

	if (buflen < HDP_HDR_LEN)
		return 0;
	buf[0] = (uint8_t)(h->sport >> 8);
	buf[1] = (uint8_t)h->sport;
	buf[2] = (uint8_t)(h->dport >> 8);
	buf[3] = (uint8_t)h->dport;
	for (i = 0; i < 8; i++)
		buf[4 + i] = (uint8_t)(h->ts_ns >> (56 - 8 * i));
	return HDP_HDR_LEN;
}

size_t
hdp_hdr_decode(const uint8_t *buf, size_t buflen, struct hdp_hdr *h)
{
	int i;

	if (buflen < HDP_HDR_LEN)
		return 0;
	h->sport = (uint16_t)(buf[0] << 8 | buf[1]);
	h->dport = (uint16_t)(buf[2] << 8 | buf[3]);
	h->ts_ns = 0;
	for (i = 0; i < 8; i++)
		h->ts_ns = h->ts_ns << 8 | buf[4 + i];
	return HDP_HDR_LEN;
}

uint16_t
hdp_inet_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* ---- protocol-number sets ---------------------------------------------- */

static void
protoset_add(struct hdp_protoset *set, unsigned p)
{
	set->bits[p >> 3] |= (uint8_t)(1u << (p & 7));
}

int
hdp_protoset_has(const struct hdp_protoset *set, unsigned p)
{
	return p < 256 && (set->bits[p >> 3] >> (p & 7)) & 1;
}

unsigned
hdp_protoset_count(const struct hdp_protoset *set)
{
	unsigned p, n = 0;

	for (p = 0; p < 256; p++)
		n += (unsigned)hdp_protoset_has(set, p);
	return n;
}

/* One list element: a decimal number 0-255, with nothing else around it.
 * -1 when it is not a number, -2 when it is one above 255. */
static int
protoset_number(const char *s, size_t len, unsigned *out)
{
	unsigned v = 0;
	size_t i;
	int big = 0;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (!big)
			v = v * 10 + (unsigned)(s[i] - '0');
		if (v > 255)
			big = 1;
	}
	if (big)
		return -2;
	*out = v;
	return 0;
}

int
hdp_protoset_parse(const char *s, struct hdp_protoset *set, char *err,
		   size_t errlen)
{
	const char *item = s, *end, *dash;
	unsigned lo, hi, p;
	int rc;

	memset(set, 0, sizeof(*set));
	if (s == NULL || *s == '\0') {
		snprintf(err, errlen, "protocol list is empty");
		return -1;
	}
	if (strcmp(s, "all") == 0) {
		for (p = 0; p < 256; p++)
			protoset_add(set, p);
		return 0;
	}
	for (;;) {
		end = strchr(item, ',');
		if (end == NULL)
			end = item + strlen(item);
		dash = memchr(item, '-', (size_t)(end - item));
		if (dash == item) {
			/* "-1": a leading minus is a negative number */
			snprintf(err, errlen,
				 "protocol '%.*s' is out of range 0-255",
				 (int)(end - item), item);
			return -1;
		}
		if (dash != NULL) {
			if ((rc = protoset_number(item, (size_t)(dash - item),
						  &lo)) != 0 ||
			    (rc = protoset_number(dash + 1,
						  (size_t)(end - dash - 1),
						  &hi)) != 0)
				goto bad;
			if (lo > hi) {
				snprintf(err, errlen,
					 "protocol range '%.*s' runs backwards",
					 (int)(end - item), item);
				return -1;
			}
		} else {
			if ((rc = protoset_number(item, (size_t)(end - item),
						  &lo)) != 0)
				goto bad;
			hi = lo;
		}
		for (p = lo; p <= hi; p++)
			protoset_add(set, p);
		if (*end == '\0')
			return 0;
		item = end + 1;
	}
bad:
	if (rc == -2)
		snprintf(err, errlen, "protocol '%.*s' is out of range 0-255",
			 (int)(end - item), item);
	else
		snprintf(err, errlen, "protocol '%.*s' is not a number in "
			 "0-255 (use N, N-M, lists like 0-10,17,255, or all)",
			 (int)(end - item), item);
	return -1;
}

int
hdp_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out,
	       const char *what, char *err, size_t errlen)
{
	unsigned long long v;
	char *end;

	if (s == NULL || *s == '\0' || *s == '+' || *s == ' ' ||
	    *s == '\t' || (*s == '-' && (s[1] < '0' || s[1] > '9'))) {
		snprintf(err, errlen, "%s '%s' is not a number", what,
			 s ? s : "");
		return -1;
	}
	errno = 0;
	/* a leading '-' is read as a digit string, never wrapped around
	 * as strtoull would: "-1" is a number below the range */
	v = strtoull(s + (*s == '-'), &end, 0);
	if (*end != '\0') {
		snprintf(err, errlen, "%s '%s' is not a number", what, s);
		return -1;
	}
	if (errno == ERANGE || (*s == '-' && v != 0) || v < min || v > max) {
		snprintf(err, errlen, "%s '%s' is out of range %" PRIu64
			 "-%" PRIu64, what, s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

uint64_t
hdp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
hdp_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int
hdp_looks_base64(const uint8_t *p, size_t len)
{
	size_t i, n = 0, pad = 0;

	for (i = 0; i < len; i++) {
		uint8_t c = p[i];

		if (c == '\n' || c == '\r')
			continue;
		if (c == '=') {
			pad++;
			n++;
			continue;
		}
		if (pad)		/* data after padding */
			return 0;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return 0;
		n++;
	}
	return n >= 4 && n % 4 == 0 && pad <= 2;
}
