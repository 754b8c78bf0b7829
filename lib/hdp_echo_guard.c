/*
 * hdp_echo_guard.c: the echo responder's address checks, rate limits
 * and refused UDP ports (see hdp_echo_guard.h, and the contract in
 * hdp_specification.md section 9.1).
 *
 * Why each check: a responder that answers whatever reaches it is a
 * reflector.  A request spoofed from a victim's address and sent to a
 * broadcast or multicast address makes every responder on the segment
 * answer the victim; a request "from" a broadcast address makes the
 * responder broadcast; a reply sent to a UDP service port carries bytes
 * the attacker chose into that service.  So: answer only what came to
 * one of our unicast addresses from a unicast address, never to a
 * service port, at a bounded rate per source and in all.
 */
#include "config.h"

#include <errno.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hdp_echo.h"
#include "hdp_echo_guard.h"
#include "hdp_siphash.h"

/* reload at least this often, even when no change was announced */
#define ECHO_ADDRS_MAX_AGE_NS  (10ULL * 1000000000ULL)
/* without an rtnetlink subscription, this often */
#define ECHO_ADDRS_POLL_NS     (1ULL * 1000000000ULL)

/* ---- this host's addresses --------------------------------------------- */

struct echo_addr {
	int            family;
	union hdp_addr addr;
	union hdp_addr bcast;     /* IPv4: the prefix's broadcast address   */
	unsigned       prefix;    /* prefix length                          */
	unsigned       ifindex;
	int            loopback;  /* on a loopback interface                */
	int            has_bcast; /* IPv4 prefix shorter than /31           */
};

struct echo_addrs {
	struct echo_addr *v;
	size_t   n;
	int      nl_fd;
	int      stale;
	uint64_t loaded_ns;       /* CLOCK_MONOTONIC of the last load       */
	uint64_t loads;
};

static unsigned
mask_len(const uint8_t *m, size_t len)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		uint8_t b = m[i];

		while (b & 0x80) {
			n++;
			b = (uint8_t)(b << 1);
		}
		if (m[i] != 0xff)
			break;
	}
	return n;
}

static uint32_t
v4_mask(unsigned prefix)
{
	return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
}

/* One getifaddrs entry into *o; 0 when it is not an IP address. */
static int
addr_from_ifa(const struct ifaddrs *i, struct echo_addr *o)
{
	const struct sockaddr_in *a4, *m4;
	const struct sockaddr_in6 *a6, *m6;
	uint32_t a, m;

	if (i->ifa_addr == NULL)
		return 0;
	memset(o, 0, sizeof(*o));
	o->loopback = (i->ifa_flags & IFF_LOOPBACK) != 0;
	o->ifindex = if_nametoindex(i->ifa_name);
	if (i->ifa_addr->sa_family == AF_INET) {
		a4 = (const struct sockaddr_in *)(const void *)i->ifa_addr;
		m4 = (const struct sockaddr_in *)(const void *)i->ifa_netmask;
		o->family = AF_INET;
		o->addr.v4 = a4->sin_addr;
		o->prefix = m4 != NULL ? mask_len((const uint8_t *)
						  &m4->sin_addr, 4) : 32;
		/* /31 and /32 have no broadcast (RFC 3021) */
		if (o->prefix < 31) {
			a = ntohl(a4->sin_addr.s_addr);
			m = v4_mask(o->prefix);
			o->bcast.v4.s_addr = htonl(a | ~m);
			o->has_bcast = 1;
		}
		return 1;
	}
	if (i->ifa_addr->sa_family == AF_INET6) {
		a6 = (const struct sockaddr_in6 *)(const void *)i->ifa_addr;
		m6 = (const struct sockaddr_in6 *)(const void *)
		     i->ifa_netmask;
		o->family = AF_INET6;
		o->addr.v6 = a6->sin6_addr;
		o->prefix = m6 != NULL ? mask_len((const uint8_t *)
						  &m6->sin6_addr, 16) : 128;
		if (a6->sin6_scope_id != 0)
			o->ifindex = a6->sin6_scope_id;
		return 1;
	}
	return 0;
}

static int
addrs_load(struct echo_addrs *t, uint64_t mono_ns)
{
	struct ifaddrs *ifa, *i;
	struct echo_addr *v;
	size_t n = 0, cap = 0;

	if (getifaddrs(&ifa) != 0)
		return -1;
	for (i = ifa; i != NULL; i = i->ifa_next)
		cap++;
	v = calloc(cap ? cap : 1, sizeof(*v));
	if (v == NULL) {
		freeifaddrs(ifa);
		return -1;
	}
	for (i = ifa; i != NULL; i = i->ifa_next)
		n += (size_t)addr_from_ifa(i, &v[n]);
	freeifaddrs(ifa);
	free(t->v);
	t->v = v;
	t->n = n;
	t->stale = 0;
	t->loaded_ns = mono_ns;
	t->loads++;
	return 0;
}

/* A socket told of every IPv4 and IPv6 address added or removed. */
static int
addrs_subscribe(void)
{
	struct sockaddr_nl sa;
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    NETLINK_ROUTE);
	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

struct echo_addrs *
echo_addrs_new(char *err, size_t errlen)
{
	struct echo_addrs *t;

	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* subscribe first: a change between the two is then not missed */
	t->nl_fd = addrs_subscribe();
	if (addrs_load(t, hdp_mono_ns()) != 0) {
		snprintf(err, errlen, "cannot list this host's addresses "
			 "(getifaddrs): %s", strerror(errno));
		echo_addrs_free(t);
		return NULL;
	}
	return t;
}

void
echo_addrs_free(struct echo_addrs *t)
{
	if (t == NULL)
		return;
	if (t->nl_fd >= 0)
		close(t->nl_fd);
	free(t->v);
	free(t);
}

int
echo_addrs_fd(const struct echo_addrs *t)
{
	return t->nl_fd;
}

uint64_t
echo_addrs_loads(const struct echo_addrs *t)
{
	return t->loads;
}

void
echo_addrs_events(struct echo_addrs *t)
{
	char buf[8192];
	ssize_t n;

	if (t->nl_fd < 0)
		return;
	/* what changed does not matter: any message (or a lost one,
	 * ENOBUFS) means reload; the loop ends at EAGAIN */
	while ((n = recv(t->nl_fd, buf, sizeof(buf), MSG_DONTWAIT)) != 0) {
		if (n > 0 || errno == ENOBUFS) {
			t->stale = 1;
			continue;
		}
		if (errno != EINTR)
			break;
	}
}

static void
addrs_fresh(struct echo_addrs *t, uint64_t mono_ns)
{
	uint64_t age = mono_ns - t->loaded_ns;

	if (t->stale || age >= ECHO_ADDRS_MAX_AGE_NS ||
	    (t->nl_fd < 0 && age >= ECHO_ADDRS_POLL_NS))
		(void)addrs_load(t, mono_ns);	/* failing: keep the old */
}

/* ---- the checks -------------------------------------------------------- */

/* IPv4 d is 255.255.255.255 or the broadcast address of a local prefix,
 * or (the old BSD broadcast) the network address of one that is not
 * itself one of our addresses. */
static int
v4_is_broadcast(const struct echo_addrs *t, uint32_t d)
{
	size_t i;
	uint32_t a, m;
	int net = 0;

	if (d == 0xffffffffu)
		return 1;
	for (i = 0; i < t->n; i++) {
		const struct echo_addr *e = &t->v[i];

		if (e->family != AF_INET || !e->has_bcast)
			continue;
		if (ntohl(e->bcast.v4.s_addr) == d)
			return 1;
		a = ntohl(e->addr.v4.s_addr);
		m = v4_mask(e->prefix);
		if ((a & m) == d)
			net = 1;
	}
	if (!net)
		return 0;
	for (i = 0; i < t->n; i++)
		if (t->v[i].family == AF_INET &&
		    ntohl(t->v[i].addr.v4.s_addr) == d)
			return 0;
	return 1;
}

static int
v4_is_local(const struct echo_addrs *t, uint32_t d)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct echo_addr *e = &t->v[i];

		if (e->family != AF_INET)
			continue;
		if (ntohl(e->addr.v4.s_addr) == d)
			return 1;
		/* the whole prefix of a loopback address is local
		 * (127.0.0.1/8: 127.0.0.2 reaches us too) */
		if (e->loopback && e->prefix > 0 &&
		    ((ntohl(e->addr.v4.s_addr) ^ d) & v4_mask(e->prefix)) == 0)
			return 1;
	}
	return 0;
}

static int
v6_is_local(const struct echo_addrs *t, const struct in6_addr *d,
	    unsigned ifindex)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct echo_addr *e = &t->v[i];

		if (e->family != AF_INET6 ||
		    memcmp(&e->addr.v6, d, sizeof(*d)) != 0)
			continue;
		/* a link-local address is ours on its own link only */
		if (IN6_IS_ADDR_LINKLOCAL(d) && ifindex != 0 &&
		    e->ifindex != 0 && e->ifindex != ifindex)
			continue;
		return 1;
	}
	return 0;
}

static int
ifindex_is_loopback(const struct echo_addrs *t, unsigned ifindex)
{
	size_t i;

	for (i = 0; ifindex != 0 && i < t->n; i++)
		if (t->v[i].ifindex == ifindex && t->v[i].loopback)
			return 1;
	return 0;
}

static int
check_v4(struct echo_addrs *t, uint32_t s, uint32_t d, unsigned ifindex)
{
	int lo_in;

	if ((d >> 28) == 0xe)
		return HDP_ECHO_R_DST_MULTICAST;
	if (v4_is_broadcast(t, d))
		return HDP_ECHO_R_DST_BROADCAST;
	if (d == 0 || !v4_is_local(t, d))
		return HDP_ECHO_R_DST_NOT_LOCAL;
	/* 127/8 is ours only for ourselves: a reply from it must not go
	 * out of an interface (route_localnet lets such requests in) */
	lo_in = ifindex != 0 ? ifindex_is_loopback(t, ifindex) :
		(s >> 24) == 127 || v4_is_local(t, s);
	if ((d >> 24) == 127 && !lo_in)
		return HDP_ECHO_R_DST_NOT_LOCAL;
	if ((s >> 24) == 0)
		return HDP_ECHO_R_SRC_UNSPEC;	/* 0.0.0.0/8, "this network" */
	if ((s >> 28) == 0xe)
		return HDP_ECHO_R_SRC_MULTICAST;
	if (v4_is_broadcast(t, s))
		return HDP_ECHO_R_SRC_BROADCAST;
	if ((s >> 28) == 0xf)
		return HDP_ECHO_R_SRC_MARTIAN;	/* 240.0.0.0/4, reserved */
	/* 127/8 only from ourselves: over a loopback interface, or to a
	 * loopback destination when the interface is not known */
	lo_in = ifindex != 0 ? ifindex_is_loopback(t, ifindex) :
		(d >> 24) == 127;
	if ((s >> 24) == 127 && !lo_in)
		return HDP_ECHO_R_SRC_LOOPBACK;
	return 0;
}

static int
check_v6(struct echo_addrs *t, const struct in6_addr *s,
	 const struct in6_addr *d, unsigned ifindex)
{
	static const uint8_t v4compat[12] = { 0 };
	int lo_in;

	if (IN6_IS_ADDR_MULTICAST(d))
		return HDP_ECHO_R_DST_MULTICAST;
	if (IN6_IS_ADDR_UNSPECIFIED(d) || !v6_is_local(t, d, ifindex))
		return HDP_ECHO_R_DST_NOT_LOCAL;
	if (IN6_IS_ADDR_LOOPBACK(d) &&
	    !(ifindex != 0 ? ifindex_is_loopback(t, ifindex) :
	      IN6_IS_ADDR_LOOPBACK(s) || v6_is_local(t, s, 0)))
		return HDP_ECHO_R_DST_NOT_LOCAL;
	if (IN6_IS_ADDR_UNSPECIFIED(s))
		return HDP_ECHO_R_SRC_UNSPEC;
	if (IN6_IS_ADDR_MULTICAST(s))
		return HDP_ECHO_R_SRC_MULTICAST;
	lo_in = ifindex != 0 ? ifindex_is_loopback(t, ifindex) :
		IN6_IS_ADDR_LOOPBACK(d);
	if (IN6_IS_ADDR_LOOPBACK(s))
		return lo_in ? 0 : HDP_ECHO_R_SRC_LOOPBACK;
	/* IPv4-mapped and IPv4-compatible sources: an IPv4 address in
	 * disguise, or a deprecated form; never a real IPv6 sender */
	if (IN6_IS_ADDR_V4MAPPED(s) || memcmp(s, v4compat, 12) == 0)
		return HDP_ECHO_R_SRC_MARTIAN;
	return 0;
}

int
echo_addrs_check(struct echo_addrs *t, int family, const union hdp_addr *src,
		 const union hdp_addr *dst, unsigned ifindex,
		 uint64_t mono_ns)
{
	addrs_fresh(t, mono_ns);
	if (family == AF_INET)
		return check_v4(t, ntohl(src->v4.s_addr),
				ntohl(dst->v4.s_addr), ifindex);
	return check_v6(t, &src->v6, &dst->v6, ifindex);
}

/* ---- UDP ports ---------------------------------------------------------- */

/*
 * Above 1023, the UDP services known to be abused for reflection or
 * amplification (US-CERT TA14-017A and later reports), tunnels a forged
 * payload would be injected into, and name/discovery protocols that
 * would take it as a query.  Sorted.
 */
static const uint16_t refused_ports[] = {
	1194,	/* OpenVPN */
	1434,	/* MS SQL monitor */
	1604,	/* Citrix ICA browser */
	1645, 1646,	/* RADIUS (old) */
	1701,	/* L2TP */
	1812, 1813,	/* RADIUS */
	1900,	/* SSDP */
	2049,	/* NFS */
	2123, 2152,	/* GTP-C, GTP-U */
	3074,	/* Xbox Live */
	3283,	/* Apple Remote Desktop */
	3478, 3479,	/* STUN, TURN */
	3702,	/* WS-Discovery */
	3784, 3785,	/* BFD */
	4500,	/* IPsec NAT traversal */
	4739,	/* IPFIX */
	4789,	/* VXLAN */
	5060, 5061,	/* SIP */
	5093,	/* SafeNet Sentinel */
	5351,	/* NAT-PMP, PCP */
	5353,	/* mDNS */
	5355,	/* LLMNR */
	5683, 5684,	/* CoAP */
	6081,	/* Geneve */
	6343,	/* sFlow */
	6881,	/* BitTorrent DHT */
	8472,	/* Linux VXLAN */
	8767,	/* TeamSpeak 2 */
	9987,	/* TeamSpeak 3 */
	9995, 9996,	/* NetFlow */
	10001,	/* Ubiquiti discovery */
	10074,	/* Mitel MiCollab */
	11211,	/* memcached */
	17185,	/* VxWorks WDB */
	26000,	/* Quake */
	27015,	/* Steam / Source */
	27960,	/* Quake 3 */
	30120,	/* FiveM */
	30718,	/* Lantronix discovery */
	32414,	/* Plex GDM */
	33848,	/* Jenkins discovery */
	37810,	/* DVR DHCPDiscover */
	47808,	/* BACnet */
};

int
echo_udp_port_refused(uint16_t port)
{
	size_t lo = 0, hi = sizeof(refused_ports) / sizeof(refused_ports[0]);

	if (port < 1024)
		return 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (refused_ports[mid] == port)
			return 1;
		if (refused_ports[mid] < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* ---- rate limits -------------------------------------------------------- */

/*
 * Each bucket is a GCRA ("virtual scheduling"): tat is the time at which
 * the bucket would be full again; a reply is allowed when tat is no more
 * than tau = (burst - 1) * T ahead of now, and moves tat on by T = 1 s /
 * rate.  One 64-bit time per source, no division per packet.
 *
 * Sources live in RATE_SETS sets of RATE_WAYS entries, the set chosen by
 * SipHash-2-4 under a key drawn at start, so that nobody outside can aim
 * many sources at one set.  A full set gives up the entry whose bucket
 * is fullest (smallest tat), which loses the least: a source pushed out
 * comes back with a full bucket, and the total cap bounds what that buys.
 */
#define RATE_SETS 1024
#define RATE_WAYS 8

struct rate_ent {
	uint64_t tat;             /* 0: empty slot                          */
	uint8_t  key[17];         /* family, then the address (IPv6: /64)   */
};

struct gcra {
	uint64_t tat, t_ns, tau_ns;
};

struct echo_rate {
	struct gcra per_src;      /* tat unused: the template              */
	struct gcra total;
	struct hdp_hsecret sec; /* keys the set index: sources are chosen
				 * by whoever sends */
	uint64_t evictions;
	struct rate_ent ent[RATE_SETS][RATE_WAYS];
};

static void
gcra_init(struct gcra *g, uint32_t rate)
{
	uint64_t burst = rate / 4 > 10 ? rate / 4 : 10;

	if (rate == 0)
		rate = 1;
	g->t_ns = 1000000000ULL / rate;
	if (g->t_ns == 0)
		g->t_ns = 1;
	g->tau_ns = (burst - 1) * g->t_ns;
	g->tat = 0;
}

/* 1 and the bucket charged when one more is allowed at now. */
static int
gcra_take(uint64_t *tat, uint64_t t_ns, uint64_t tau_ns, uint64_t now)
{
	uint64_t t = *tat > now ? *tat : now;

	if (t - now > tau_ns)
		return 0;
	*tat = t + t_ns;
	return 1;
}

struct echo_rate *
echo_rate_new(uint32_t per_src, uint32_t total)
{
	struct echo_rate *r;

	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	gcra_init(&r->per_src, per_src);
	gcra_init(&r->total, total);
	hdp_hsecret_init(&r->sec);
	return r;
}

void
echo_rate_free(struct echo_rate *r)
{
	free(r);
}

uint64_t
echo_rate_evictions(const struct echo_rate *r)
{
	return r->evictions;
}

/* The source's entry, made (pushing out the fullest bucket) if need be. */
static struct rate_ent *
rate_slot(struct echo_rate *r, const uint8_t key[17])
{
	struct rate_ent *set, *pick = NULL;
	size_t i;

	set = r->ent[hdp_siphash(&r->sec, key, 17) % RATE_SETS];
	for (i = 0; i < RATE_WAYS; i++) {
		if (set[i].tat != 0 && memcmp(set[i].key, key, 17) == 0)
			return &set[i];
		if (pick == NULL || set[i].tat < pick->tat)
			pick = &set[i];
	}
	if (pick->tat != 0)
		r->evictions++;
	memcpy(pick->key, key, 17);
	pick->tat = 0;
	return pick;
}

int
echo_rate_take(struct echo_rate *r, int family, const union hdp_addr *src,
	       uint64_t mono_ns)
{
	uint8_t key[17];
	struct rate_ent *e;
	uint64_t tat, now = mono_ns ? mono_ns : 1;

	memset(key, 0, sizeof(key));
	key[0] = (uint8_t)(family == AF_INET6 ? 6 : 4);
	/* IPv6 per /64: one host holds a whole /64 and could spread a
	 * flood over it */
	if (family == AF_INET6)
		memcpy(key + 1, &src->v6, 8);
	else
		memcpy(key + 1, &src->v4, 4);
	e = rate_slot(r, key);
	tat = e->tat;
	if (!gcra_take(&tat, r->per_src.t_ns, r->per_src.tau_ns, now)) {
		e->tat = tat;
		return HDP_ECHO_R_RATE_SOURCE;
	}
	if (!gcra_take(&r->total.tat, r->total.t_ns, r->total.tau_ns, now)) {
		/* refused by the total: the source's bucket keeps its
		 * token; a new entry is still marked as in use */
		if (e->tat == 0)
			e->tat = now;
		return HDP_ECHO_R_RATE_TOTAL;
	}
	e->tat = tat;
	return 0;
}
