/*
 * hdp_siphash.c: SipHash-2-4 and its per-run key (see hdp_siphash.h).
 */
#include "config.h"

#include <stdint.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "hdp_siphash.h"

struct sipstate {
	uint64_t v0, v1, v2, v3;
};

static inline uint64_t
rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static inline void
sipround(struct sipstate *v)
{
	v->v0 += v->v1; v->v1 = rotl(v->v1, 13); v->v1 ^= v->v0;
	v->v0 = rotl(v->v0, 32);
	v->v2 += v->v3; v->v3 = rotl(v->v3, 16); v->v3 ^= v->v2;
	v->v0 += v->v3; v->v3 = rotl(v->v3, 21); v->v3 ^= v->v0;
	v->v2 += v->v1; v->v1 = rotl(v->v1, 17); v->v1 ^= v->v2;
	v->v2 = rotl(v->v2, 32);
}

static void
sip_init(struct sipstate *v, const struct hdp_hsecret *s)
{
	v->v0 = s->k0 ^ 0x736f6d6570736575ULL;
	v->v1 = s->k1 ^ 0x646f72616e646f6dULL;
	v->v2 = s->k0 ^ 0x6c7967656e657261ULL;
	v->v3 = s->k1 ^ 0x7465646279746573ULL;
}

/* One message word: two compression rounds ("2" of 2-4). */
static void
sip_word(struct sipstate *v, uint64_t m)
{
	v->v3 ^= m;
	sipround(v);
	sipround(v);
	v->v0 ^= m;
}

/* The last word (length byte on top) and four finalisation rounds. */
static uint64_t
sip_final(struct sipstate *v, uint64_t last)
{
	sip_word(v, last);
	v->v2 ^= 0xff;
	sipround(v);
	sipround(v);
	sipround(v);
	sipround(v);
	return v->v0 ^ v->v1 ^ v->v2 ^ v->v3;
}

void
hdp_hsecret_init(struct hdp_hsecret *s)
{
	/* the fallback's material is spread by SipHash itself, under two
	 * fixed keys (the digits of pi and of e) */
	static const struct hdp_hsecret pi = { 0x243f6a8885a308d3ULL,
					       0x13198a2e03707344ULL },
					e = { 0xb7e151628aed2a6aULL,
					      0xbf7158809cf4f3c7ULL };
	struct timespec rt, mono;
	uint64_t r[2], m[6];

	if (getrandom(r, sizeof(r), GRND_NONBLOCK) == (ssize_t)sizeof(r)) {
		s->k0 = r[0];
		s->k1 = r[1];
		return;
	}
	/* no entropy yet (early boot) or no getrandom: still different
	 * every run and not known in advance to someone outside, which is
	 * what defeats precomputed collisions */
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	m[0] = (uint64_t)rt.tv_sec;
	m[1] = (uint64_t)rt.tv_nsec;
	m[2] = (uint64_t)mono.tv_sec;
	m[3] = (uint64_t)mono.tv_nsec;
	m[4] = (uint64_t)getpid();
	m[5] = (uint64_t)(uintptr_t)s ^ (uint64_t)(uintptr_t)&rt << 1;
	s->k0 = hdp_siphash_u64(&pi, m, 6);
	s->k1 = hdp_siphash_u64(&e, m, 6);
}

uint64_t
hdp_siphash(const struct hdp_hsecret *s, const void *in, size_t len)
{
	const uint8_t *p = in;
	struct sipstate v;
	uint64_t m, last = (uint64_t)len << 56;
	size_t i, j, end = len - len % 8;

	sip_init(&v, s);
	for (i = 0; i < end; i += 8) {
		for (m = 0, j = 0; j < 8; j++)
			m |= (uint64_t)p[i + j] << (8 * j);
		sip_word(&v, m);
	}
	for (j = 0; i + j < len; j++)
		last |= (uint64_t)p[i + j] << (8 * j);
	return sip_final(&v, last);
}

uint64_t
hdp_siphash_u64(const struct hdp_hsecret *s, const uint64_t *w, size_t n)
{
	struct sipstate v;
	size_t i;

	sip_init(&v, s);
	for (i = 0; i < n; i++)
		sip_word(&v, w[i]);
	return sip_final(&v, (uint64_t)(n * 8) << 56);
}
