/*
 * test_echo.c: unit tests of what keeps the echo responder from being a
 * reflector (hdp_echo_guard.c): the address checks against this
 * namespace's own loopback addresses, the refused UDP ports, the rate
 * limits on a clock of our own, and the bounded table of sources.
 * (The whole responder, on real packets, is tests/ping_hostile.sh.)
 */
#include "config.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <string.h>

#include <hdp/hdp.h>
#include "hdp_echo.h"
#include "hdp_echo_guard.h"
#include "unit.h"

static union hdp_addr
a4(const char *s)
{
	union hdp_addr a;

	memset(&a, 0, sizeof(a));
	inet_pton(AF_INET, s, &a.v4);
	return a;
}

static union hdp_addr
a6(const char *s)
{
	union hdp_addr a;

	memset(&a, 0, sizeof(a));
	inet_pton(AF_INET6, s, &a.v6);
	return a;
}

/* Does getifaddrs show this address here? */
static int
have_addr(int family, const char *s)
{
	struct ifaddrs *ifa, *i;
	union hdp_addr want = family == AF_INET ? a4(s) : a6(s);
	int found = 0;

	if (getifaddrs(&ifa) != 0)
		return 0;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != family)
			continue;
		if (family == AF_INET ?
		    ((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr.s_addr
		    == want.v4.s_addr :
		    memcmp(&((struct sockaddr_in6 *)(void *)i->ifa_addr)->
			   sin6_addr, &want.v6, 16) == 0)
			found = 1;
	}
	freeifaddrs(ifa);
	return found;
}

#define CHK4(t, src, dst, ifx, want) do { \
	union hdp_addr s_ = a4(src), d_ = a4(dst); \
	int r_ = echo_addrs_check(t, AF_INET, &s_, &d_, ifx, hdp_mono_ns()); \
	CHECK_MSG(r_ == (want), "%s > %s: %s, want %s", src, dst, \
		  hdp_echo_reason_name(r_), hdp_echo_reason_name(want)); \
} while (0)

#define CHK6(t, src, dst, ifx, want) do { \
	union hdp_addr s_ = a6(src), d_ = a6(dst); \
	int r_ = echo_addrs_check(t, AF_INET6, &s_, &d_, ifx, hdp_mono_ns()); \
	CHECK_MSG(r_ == (want), "%s > %s: %s, want %s", src, dst, \
		  hdp_echo_reason_name(r_), hdp_echo_reason_name(want)); \
} while (0)

static void
test_addrs_v4(struct echo_addrs *t, unsigned lo)
{
	/* destinations: only our unicast addresses */
	CHK4(t, "127.0.0.1", "127.0.0.1", 0, 0);
	CHK4(t, "127.0.0.1", "127.0.0.1", lo, 0);
	CHK4(t, "127.0.0.1", "127.0.0.2", 0, 0);  /* all of lo's /8 */
	CHK4(t, "127.0.0.1", "127.255.255.255", 0, HDP_ECHO_R_DST_BROADCAST);
	CHK4(t, "127.0.0.1", "127.0.0.0", 0, HDP_ECHO_R_DST_BROADCAST);
	CHK4(t, "127.0.0.1", "255.255.255.255", 0, HDP_ECHO_R_DST_BROADCAST);
	CHK4(t, "127.0.0.1", "224.0.0.1", 0, HDP_ECHO_R_DST_MULTICAST);
	CHK4(t, "127.0.0.1", "239.255.255.250", 0, HDP_ECHO_R_DST_MULTICAST);
	CHK4(t, "127.0.0.1", "0.0.0.0", 0, HDP_ECHO_R_DST_NOT_LOCAL);
	CHK4(t, "127.0.0.1", "192.0.2.77", 0, HDP_ECHO_R_DST_NOT_LOCAL);
	/* sources: unicast only (over lo, so the destination passes) */
	CHK4(t, "0.0.0.0", "127.0.0.1", lo, HDP_ECHO_R_SRC_UNSPEC);
	CHK4(t, "0.1.2.3", "127.0.0.1", lo, HDP_ECHO_R_SRC_UNSPEC);
	CHK4(t, "224.0.0.5", "127.0.0.1", lo, HDP_ECHO_R_SRC_MULTICAST);
	CHK4(t, "255.255.255.255", "127.0.0.1", lo, HDP_ECHO_R_SRC_BROADCAST);
	CHK4(t, "127.255.255.255", "127.0.0.1", lo, HDP_ECHO_R_SRC_BROADCAST);
	CHK4(t, "240.0.0.1", "127.0.0.1", lo, HDP_ECHO_R_SRC_MARTIAN);
	/* a loopback destination is ours only for ourselves; a loopback
	 * source to a non-loopback address: tests/ping_hostile.sh */
	CHK4(t, "127.0.0.1", "127.0.0.1", 999999, HDP_ECHO_R_DST_NOT_LOCAL);
	CHK4(t, "198.51.100.7", "127.0.0.1", 0, HDP_ECHO_R_DST_NOT_LOCAL);
	CHK4(t, "198.51.100.7", "127.0.0.1", 999999, HDP_ECHO_R_DST_NOT_LOCAL);
	CHK4(t, "198.51.100.7", "127.0.0.1", lo, 0);
}

static void
test_addrs_v6(struct echo_addrs *t, unsigned lo)
{
	CHK6(t, "::1", "::1", 0, 0);
	CHK6(t, "::1", "::1", lo, 0);
	CHK6(t, "::1", "ff02::1", 0, HDP_ECHO_R_DST_MULTICAST);
	CHK6(t, "::1", "ff05::1:3", 0, HDP_ECHO_R_DST_MULTICAST);
	CHK6(t, "::1", "::", 0, HDP_ECHO_R_DST_NOT_LOCAL);
	CHK6(t, "::1", "2001:db8::dead", 0, HDP_ECHO_R_DST_NOT_LOCAL);
	CHK6(t, "::", "::1", lo, HDP_ECHO_R_SRC_UNSPEC);
	CHK6(t, "ff02::1", "::1", lo, HDP_ECHO_R_SRC_MULTICAST);
	CHK6(t, "::ffff:192.0.2.1", "::1", lo, HDP_ECHO_R_SRC_MARTIAN);
	CHK6(t, "::192.0.2.1", "::1", lo, HDP_ECHO_R_SRC_MARTIAN);
	/* from outside to ::1 (the kernel drops it; a capture need not) */
	CHK6(t, "::1", "::1", 999999, HDP_ECHO_R_DST_NOT_LOCAL);
	CHK6(t, "2001:db8::1", "::1", 0, HDP_ECHO_R_DST_NOT_LOCAL);
	CHK6(t, "2001:db8::1", "::1", 999999, HDP_ECHO_R_DST_NOT_LOCAL);
	CHK6(t, "2001:db8::1", "::1", lo, 0);
}

static void
test_ports(void)
{
	static const uint16_t no[] = { 0, 7, 19, 53, 123, 161, 389, 1023,
				       1900, 3702, 4789, 5353, 11211, 47808 };
	static const uint16_t yes[] = { 1024, 4242, 32768, 40000, 60999,
					65535 };
	size_t i;

	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		CHECK_MSG(echo_udp_port_refused(no[i]), "port %u", no[i]);
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		CHECK_MSG(!echo_udp_port_refused(yes[i]), "port %u", yes[i]);
}

static void
test_rate(void)
{
	const uint64_t t0 = 1000000000ULL, ms = 1000000ULL;
	union hdp_addr s1 = a4("192.0.2.1"), s2 = a4("192.0.2.2");
	union hdp_addr v6a = a6("2001:db8:1:2::1"), v6b = a6("2001:db8:1:2::2");
	union hdp_addr v6c = a6("2001:db8:1:3::1"), s;
	struct echo_rate *r;
	int i, n;

	/* 100/s a source: a burst of 25, then one each 10 ms */
	r = echo_rate_new(100, 1000000);
	for (n = 0, i = 0; i < 100; i++)
		n += echo_rate_take(r, AF_INET, &s1, t0) == 0;
	CHECK_MSG(n == 25, "burst %d, want 25", n);
	CHECK(echo_rate_take(r, AF_INET, &s1, t0) == HDP_ECHO_R_RATE_SOURCE);
	CHECK(echo_rate_take(r, AF_INET, &s1, t0 + 10 * ms) == 0);
	CHECK(echo_rate_take(r, AF_INET, &s1, t0 + 10 * ms) != 0);
	CHECK(echo_rate_take(r, AF_INET, &s2, t0) == 0);   /* its own */
	/* over one second at 1000 requests/s: 25 + 100 */
	for (n = 0, i = 1; i <= 1000; i++)
		n += echo_rate_take(r, AF_INET, &s2, t0 + (uint64_t)i * ms) == 0;
	CHECK_MSG(n >= 99 && n <= 126, "%d in a second, want 100-125", n);
	/* IPv6: one bucket per /64 */
	for (n = 0, i = 0; i < 20; i++)
		n += echo_rate_take(r, AF_INET6, &v6a, t0 + 2000 * ms) == 0;
	for (i = 0; i < 20; i++)
		n += echo_rate_take(r, AF_INET6, &v6b, t0 + 2000 * ms) == 0;
	CHECK_MSG(n == 25, "one /64: %d, want 25", n);
	CHECK(echo_rate_take(r, AF_INET6, &v6c, t0 + 2000 * ms) == 0);
	echo_rate_free(r);

	/* 100/s in all: 25 sources get one each, the 26th none */
	r = echo_rate_new(1000000, 100);
	for (n = 0, i = 0; i < 100; i++) {
		s = a4("10.0.0.0");
		s.v4.s_addr = htonl(0x0a000000u + (uint32_t)i);
		n += echo_rate_take(r, AF_INET, &s, t0) == 0;
	}
	CHECK_MSG(n == 25, "total burst %d, want 25", n);
	CHECK(echo_rate_take(r, AF_INET, &s1, t0) == HDP_ECHO_R_RATE_TOTAL);
	echo_rate_free(r);

	/* a million sources: the table stays its size, pushing out the
	 * fullest buckets, and a busy source is not one of them */
	r = echo_rate_new(10, 1000000000);
	for (i = 0; i < 10; i++)
		echo_rate_take(r, AF_INET, &s1, t0);
	for (i = 0; i < 1000000; i++) {
		s.v4.s_addr = htonl(0x0b000000u + (uint32_t)i);
		echo_rate_take(r, AF_INET, &s, t0 + (uint64_t)i);
	}
	CHECK(echo_rate_evictions(r) > 900000);
	CHECK(echo_rate_take(r, AF_INET, &s1, t0 + 1000000) ==
	      HDP_ECHO_R_RATE_SOURCE);
	echo_rate_free(r);
}

int
main(void)
{
	char err[256];
	struct echo_addrs *t;
	unsigned lo = if_nametoindex("lo");

	test_ports();
	test_rate();
	t = echo_addrs_new(err, sizeof(err));
	CHECK_MSG(t != NULL, "%s", err);
	if (t != NULL) {
		CHECK(echo_addrs_loads(t) == 1);
		/* a namespace whose lo is down has no addresses at all */
		if (have_addr(AF_INET, "127.0.0.1"))
			test_addrs_v4(t, lo);
		else
			printf("test_echo: no 127.0.0.1 here, IPv4 skipped\n");
		if (have_addr(AF_INET6, "::1"))
			test_addrs_v6(t, lo);
		else
			printf("test_echo: no ::1 here, IPv6 skipped\n");
		echo_addrs_free(t);
	}
	return unit_report("test_echo");
}
