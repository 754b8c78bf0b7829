/*
 * hdp_echo_guard.h: what keeps the echo responder from being a reflector
 * (libhdp internal; hdp_echo.c is its only user).
 *
 *  - echo_addrs: this host's addresses in the responder's network
 *    namespace (getifaddrs), reloaded when rtnetlink says an address
 *    came or went and at least every ECHO_ADDRS_MAX_AGE_NS; it says
 *    whether a request's destination is one of our unicast addresses and
 *    whether its source is a unicast address a reply may go to.
 *  - echo_rate: replies per source (a token bucket per address, IPv6 per
 *    /64, in a bounded table indexed by a keyed hash) and in all.
 *  - echo_udp_port_refused(): the UDP source ports a reply never goes to.
 *
 * The checks return 0 (fine) or an enum hdp_echo_reason (hdp_echo.h).
 */
#ifndef HDP_ECHO_GUARD_H
#define HDP_ECHO_GUARD_H

#include <stddef.h>
#include <stdint.h>

#include <hdp/hdp.h>

struct echo_addrs;

/* Load the addresses and subscribe to their changes; NULL and err when
 * they cannot be read at all (a missing subscription only means more
 * frequent reloads). */
struct echo_addrs *echo_addrs_new(char *err, size_t errlen);
void echo_addrs_free(struct echo_addrs *a);

/* The rtnetlink socket to poll for address changes, or -1. */
int  echo_addrs_fd(const struct echo_addrs *a);
/* Read what that socket has (non-blocking): a change marks the table
 * stale, so it is reloaded before the next decision. */
void echo_addrs_events(struct echo_addrs *a);
/* How many times the table was loaded. */
uint64_t echo_addrs_loads(const struct echo_addrs *a);

/*
 * Check a request's destination dst and source src (family AF_INET or
 * AF_INET6; ifindex: the interface it came in on, 0 unknown; mono_ns:
 * now, CLOCK_MONOTONIC).  dst all zero means "not known" (an IPv6 raw
 * socket without packet info): refused.
 */
int echo_addrs_check(struct echo_addrs *a, int family,
		     const union hdp_addr *src, const union hdp_addr *dst,
		     unsigned ifindex, uint64_t mono_ns);

struct echo_rate;

/* per_src and total: replies per second (at least 1); each bucket holds
 * max(rate / 4, 10) replies. */
struct echo_rate *echo_rate_new(uint32_t per_src, uint32_t total);
void echo_rate_free(struct echo_rate *r);
/* Take one reply's token for src at mono_ns: 0, or the reason. */
int  echo_rate_take(struct echo_rate *r, int family,
		    const union hdp_addr *src, uint64_t mono_ns);
/* How many sources were pushed out of the full table. */
uint64_t echo_rate_evictions(const struct echo_rate *r);

/* A UDP port no reply goes to: 0, the privileged ports (1-1023) and the
 * well-known services above them that reflectors are abused through. */
int echo_udp_port_refused(uint16_t port);

#endif /* HDP_ECHO_GUARD_H */
