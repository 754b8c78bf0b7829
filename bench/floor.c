/*
 * floor.c: the cost of sending one HDP packet on this machine, with as
 * little tool around it as possible; the reference the hdp send figures
 * are read against (make bench only, never installed).
 *
 *   hdp-floor [-s SECONDS] [-c COUNT] [--size N] [--drop-filter]
 *             [--batch N] [-I IFACE --dmac MAC [--qdisc-bypass]] DEST
 *
 * Default: a plain loop of libnet_write() on a LIBNET_RAW4 context, the
 * IPv4 header and HDP timestamp rebuilt in place each time (what any
 * libnet sender has to do at least).
 *   --drop-filter   attach a drop-all classic BPF filter to the sending
 *                   socket, so HDP looped back to it (255 is IPPROTO_RAW)
 *                   is not queued on it.
 *   --batch N       build with libnet (advanced mode, culled bytes) and
 *                   hand N frames to the kernel per sendmmsg(): what the
 *                   syscall costs.
 *   -I IFACE        LIBNET_LINK on IFACE with an Ethernet header to
 *                   --dmac; --qdisc-bypass sets PACKET_QDISC_BYPASS.
 * Prints "sent N in S s: R pps" (the benchmark counts packets itself, in
 * the kernel, and uses this line only as a check).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <libnet.h>

#define MAX_BATCH 256

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t
now_ns(int clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
usage(void)
{
	fprintf(stderr, "usage: hdp-floor [-s SECONDS] [-c COUNT] [--size N] "
		"[--drop-filter] [--batch N]\n"
		"                 [-I IFACE --dmac MAC [--qdisc-bypass]] "
		"DEST\n");
}

/* HDP header (ports 420/420, timestamp) and the pattern payload. */
static void
fill_hdp(uint8_t *p, size_t len, uint64_t ts)
{
	size_t i;

	p[0] = 420 >> 8; p[1] = 420 & 0xff;
	p[2] = 420 >> 8; p[3] = 420 & 0xff;
	for (i = 0; i < 8; i++)
		p[4 + i] = (uint8_t)(ts >> (56 - 8 * i));
	for (i = 12; i < len; i++)
		p[i] = (uint8_t)('a' + (i - 12) % 26);
}

int
main(int argc, char **argv)
{
	char errbuf[LIBNET_ERRBUF_SIZE];
	libnet_t *l = NULL, *lb = NULL, *lw;
	libnet_ptag_t ip_tag = 0, eth_tag = 0;
	struct sockaddr_in sin;
	struct mmsghdr msgs[MAX_BATCH];
	struct iovec iov[MAX_BATCH];
	uint8_t frames[MAX_BATCH][2048];
	uint8_t hdp[1500];
	const char *iface = NULL, *dmac_s = NULL, *dest = NULL;
	uint8_t dmac[6];
	double secs = 2.0;
	unsigned long long count = 0, sent = 0, failed = 0, loops = 0;
	size_t size = 32, hlen;
	int drop = 0, bypass = 0, batch = 0, i, rc = 1;
	uint32_t dst, src;
	static const uint8_t zero_mac[6];
	uint64_t t0, deadline;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
			secs = atof(argv[++i]);
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			count = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc)
			size = (size_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--drop-filter") == 0)
			drop = 1;
		else if (strcmp(argv[i], "--qdisc-bypass") == 0)
			bypass = 1;
		else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc)
			batch = atoi(argv[++i]);
		else if (strcmp(argv[i], "-I") == 0 && i + 1 < argc)
			iface = argv[++i];
		else if (strcmp(argv[i], "--dmac") == 0 && i + 1 < argc)
			dmac_s = argv[++i];
		else if (argv[i][0] != '-' && dest == NULL)
			dest = argv[i];
		else {
			usage();
			return 2;
		}
	}
	hlen = 12 + size;
	if (dest == NULL || inet_pton(AF_INET, dest, &dst) != 1 ||
	    hlen > sizeof(hdp) || batch < 0 || batch > MAX_BATCH ||
	    (iface != NULL && (dmac_s == NULL || sscanf(dmac_s,
	    "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &dmac[0], &dmac[1], &dmac[2],
	    &dmac[3], &dmac[4], &dmac[5]) != 6))) {
		usage();
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	l = libnet_init(iface != NULL ? LIBNET_LINK : LIBNET_RAW4, iface,
	    errbuf);
	if (l == NULL) {
		fprintf(stderr, "hdp-floor: libnet_init: %s", errbuf);
		return 4;
	}
	/*
	 * --batch: libnet culls frames only in advanced link mode, so the
	 * frames are built in a LIBNET_LINK_ADV context on lo and their IP
	 * part is handed to the raw socket of l.
	 */
	if (batch > 0 && iface == NULL) {
		lb = libnet_init(LIBNET_LINK_ADV, "lo", errbuf);
		if (lb == NULL) {
			fprintf(stderr, "hdp-floor: libnet_init: %s", errbuf);
			goto done;
		}
	} else if (batch > 0) {
		fprintf(stderr, "hdp-floor: --batch is for raw IP only\n");
		goto done;
	}
	src = libnet_get_ipaddr4(l);
	if (drop) {
		struct sock_filter ins = BPF_STMT(BPF_RET | BPF_K, 0);
		struct sock_fprog prog = { 1, &ins };

		if (setsockopt(libnet_getfd(l), SOL_SOCKET, SO_ATTACH_FILTER,
		    &prog, sizeof(prog)) != 0) {
			perror("hdp-floor: SO_ATTACH_FILTER");
			goto done;
		}
	}
	if (bypass) {
		int one = 1;

		if (setsockopt(libnet_getfd(l), SOL_PACKET,
		    PACKET_QDISC_BYPASS, &one, sizeof(one)) != 0) {
			perror("hdp-floor: PACKET_QDISC_BYPASS");
			goto done;
		}
	}

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = dst;
	t0 = now_ns(CLOCK_MONOTONIC);
	deadline = t0 + (uint64_t)(secs * 1e9);
	lw = lb != NULL ? lb : l;
	while (!stop && (count == 0 || sent + failed < count)) {
		int n = batch > 0 ? batch : 1, k;

		for (k = 0; k < n; k++) {
			fill_hdp(hdp, hlen, now_ns(CLOCK_REALTIME));
			ip_tag = libnet_build_ipv4((uint16_t)(LIBNET_IPV4_H +
			    hlen), 0, 0, 0x4000, 64, 255, 0, src, dst, hdp,
			    (uint32_t)hlen, lw, ip_tag);
			if (ip_tag == -1)
				goto build_err;
			if (iface != NULL && eth_tag == 0)
				eth_tag = libnet_autobuild_ethernet(dmac,
				    ETHERTYPE_IP, l);
			else if (lb != NULL && eth_tag == 0)
				eth_tag = libnet_build_ethernet(zero_mac,
				    zero_mac, ETHERTYPE_IP, NULL, 0, lb, 0);
			if (eth_tag == -1)
				goto build_err;
			if (batch == 0) {
				if (libnet_write(l) == -1)
					failed++;
				else
					sent++;
				continue;
			}
			{
				uint8_t *pkt;
				uint32_t plen;

				if (libnet_adv_cull_packet(lb, &pkt, &plen)
				    == -1 || plen < LIBNET_ETH_H ||
				    plen > sizeof(frames[k]))
					goto build_err;
				/* the IP datagram, without the Ethernet header */
				plen -= LIBNET_ETH_H;
				memcpy(frames[k], pkt + LIBNET_ETH_H, plen);
				libnet_adv_free_packet(lb, pkt);
				iov[k].iov_base = frames[k];
				iov[k].iov_len = plen;
				memset(&msgs[k], 0, sizeof(msgs[k]));
				msgs[k].msg_hdr.msg_name = &sin;
				msgs[k].msg_hdr.msg_namelen = sizeof(sin);
				msgs[k].msg_hdr.msg_iov = &iov[k];
				msgs[k].msg_hdr.msg_iovlen = 1;
			}
		}
		if (batch > 0) {
			k = sendmmsg(libnet_getfd(l), msgs, (unsigned)n, 0);
			if (k < 0) {
				failed += (unsigned)n;
			} else {
				sent += (unsigned)k;
				failed += (unsigned)(n - k);
			}
		}
		if ((++loops & 255) == 0 && now_ns(CLOCK_MONOTONIC) > deadline)
			break;
	}
	secs = (double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e9;
	printf("sent %llu in %.3f s: %.0f pps (%llu failed)\n", sent, secs,
	    (double)sent / secs, failed);
	rc = 0;
	goto done;
build_err:
	fprintf(stderr, "hdp-floor: %s", libnet_geterror(lw));
done:
	if (lb != NULL)
		libnet_destroy(lb);
	libnet_destroy(l);
	return rc;
}
