/*
 * hdp_siphash.h: SipHash-2-4 under a per-run secret, the one keyed hash
 * of the library.
 *
 * Keys of hdp's hash tables come from the network and from files (where's
 * key index, sweep's --join index, the echo responder's rate limiter):
 * with a known hash function anyone can choose inputs that all land in
 * one bucket and make every lookup walk them all.  A SipHash-2-4
 * (Aumasson and Bernstein) under a key drawn from getrandom() each run
 * leaves nothing to precompute.
 */
#ifndef HDP_SIPHASH_H
#define HDP_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

struct hdp_hsecret {
	uint64_t k0, k1;
};

/* Fill s from the kernel's random source (a weaker mix of clocks, pid and
 * addresses when that fails: never fatal). */
void hdp_hsecret_init(struct hdp_hsecret *s);
/* SipHash-2-4 of the len bytes at in. */
uint64_t hdp_siphash(const struct hdp_hsecret *s, const void *in, size_t len);
/* SipHash-2-4 of n 64-bit words, the same as hdp_siphash() over their
 * little-endian bytes (8 * n of them), without the byte shuffling. */
uint64_t hdp_siphash_u64(const struct hdp_hsecret *s, const uint64_t *w,
			 size_t n);

#endif
