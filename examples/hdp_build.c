/*
 * hdp_build.c: build HDP packets into a buffer with libhdp (IPv4, IPv6,
 * and IPv4 with the UDP comparison header), decode each back, and write
 * them to a pcap file (link type RAW) for other tools to judge.
 *
 *     cc hdp_build.c $(pkg-config --cflags --libs libhdp)
 *     ./a.out out.pcap
 *
 * Prints each packet as hdp sniff --json would (hdp_print_frame_buf()),
 * one line each.  Exit status 0 when every packet decodes to what was
 * asked, 1 otherwise.
 */
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <hdp/hdp.h>
#include <hdp/build.h>
#include <hdp/print.h>

static const char payload[] = "hello, hdp";

/* The three packets: IPv4, IPv6, IPv4 over UDP. */
static void
opts_of(int i, struct hdp_build_opts *o)
{
	hdp_build_init(o, i == 1 ? AF_INET6 : AF_INET);
	if (i == 1) {
		inet_pton(AF_INET6, "2001:db8::1", &o->src.v6);
		inet_pton(AF_INET6, "2001:db8::2", &o->dst.v6);
		o->flow_label = 0x12345;
	} else {
		inet_pton(AF_INET, "192.0.2.1", &o->src.v4);
		inet_pton(AF_INET, "192.0.2.2", &o->dst.v4);
		o->ip_id = 0x1234;
		o->df = 1;
	}
	o->udp = i == 2;
	o->sport = (uint16_t)(1000 + i);
	o->dport = 4321;
	o->ts_ns = UINT64_C(1700000000123456789) + (uint64_t)i;
	o->ttl = (uint8_t)(7 + i);
	o->tos = 0x10;
	o->payload = (const uint8_t *)payload;
	o->payload_len = sizeof(payload) - 1;
}

/*
 * Show the packet as hdp sniff --json shows it, captured at ts_ns: the
 * text into a buffer, then to standard output.  A buffer too small gets
 * the start of the same text, and the length of all of it.
 */
static int
show(hdp_print_t *pr, const uint8_t *pkt, int n, uint64_t ts_ns)
{
	char line[4096], small[8];
	int len;

	len = hdp_print_frame_buf(pr, pkt, (size_t)n, (size_t)n, ts_ns, line,
				  sizeof(line));
	if (len < 0 || (size_t)len >= sizeof(line)) {
		fprintf(stderr, "hdp_build: %s\n", len < 0 ?
			hdp_print_geterr(pr) : "line too long");
		return 1;
	}
	fputs(line, stdout);
	if (hdp_print_frame_buf(pr, pkt, (size_t)n, (size_t)n, ts_ns, small,
				sizeof(small)) != len ||
	    strncmp(small, line, sizeof(small) - 1) != 0 ||
	    small[sizeof(small) - 1] != '\0') {
		fprintf(stderr, "hdp_build: a short buffer got other text\n");
		return 1;
	}
	return 0;
}

/* Decode pkt back; 0 when the fields are those of o. */
static int
check(int i, const struct hdp_build_opts *o, const uint8_t *pkt, int n)
{
	struct hdp_frame f;
	const uint8_t *hdr;
	struct hdp_hdr h;

	if (hdp_decode_ip(pkt, (size_t)n, (size_t)n, &f) != HDP_ST_OK) {
		fprintf(stderr, "hdp_build: packet %d: %s\n", i, f.err);
		return 1;
	}
	/* the UDP mode's HDP header follows the 8-byte UDP header */
	hdr = pkt + f.l4_off + (o->udp ? 8 : 0);
	if (hdp_hdr_decode(hdr, (size_t)n - (size_t)(hdr - pkt), &h) == 0)
		return 1;
	return f.ip_version != (o->family == AF_INET ? 4 : 6) ||
	       f.ttl != o->ttl || h.sport != o->sport ||
	       h.dport != o->dport || h.ts_ns != o->ts_ns ||
	       f.proto != (o->udp ? 17 : HDP_PROTO) ||
	       (size_t)n != hdp_build_len(o);
}

int
main(int argc, char **argv)
{
	char errbuf[HDP_ERRBUF_SIZE];
	uint8_t pkt[HDP_BUILD_MAX];
	struct hdp_build_opts o;
	struct pcap_pkthdr h;
	pcap_dumper_t *d = NULL;
	hdp_print_t *pr = NULL;
	pcap_t *dead;
	uint64_t ts;
	int i, n, rc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: hdp_build OUT.pcap\n");
		return 2;
	}
	dead = pcap_open_dead(DLT_RAW, 65535);
	if (dead == NULL || (d = pcap_dump_open(dead, argv[1])) == NULL) {
		fprintf(stderr, "hdp_build: %s: %s\n", argv[1],
			dead ? pcap_geterr(dead) : "pcap_open_dead failed");
		rc = 1;
		goto out;
	}
	pr = hdp_print_open(NULL, HDP_FORM_JSON, DLT_RAW, 0, errbuf);
	if (pr == NULL) {
		fprintf(stderr, "hdp_build: %s\n", errbuf);
		rc = 1;
		goto out;
	}
	for (i = 0; i < 3; i++) {
		opts_of(i, &o);
		n = hdp_build_packet(&o, pkt, sizeof(pkt), errbuf);
		if (n < 0) {
			fprintf(stderr, "hdp_build: packet %d: %s\n", i, errbuf);
			rc = 1;
			continue;
		}
		rc |= check(i, &o, pkt, n);
		/* "captured" 5 us after it was built, to the microsecond a
		 * pcap file keeps */
		ts = (o.ts_ns + 5000u) / 1000u * 1000u;
		rc |= show(pr, pkt, n, ts);
		memset(&h, 0, sizeof(h));
		h.ts.tv_sec = (time_t)(ts / 1000000000u);
		h.ts.tv_usec = (suseconds_t)(ts % 1000000000u / 1000u);
		h.caplen = h.len = (bpf_u_int32)n;
		pcap_dump((u_char *)d, &h, pkt);
	}
	/* a buffer one byte short is refused, with the reason */
	opts_of(0, &o);
	if (hdp_build_packet(&o, pkt, hdp_build_len(&o) - 1, errbuf) != -1) {
		fprintf(stderr, "hdp_build: a short buffer was accepted\n");
		rc = 1;
	}
out:
	hdp_print_close(pr);
	if (d != NULL)
		pcap_dump_close(d);
	if (dead != NULL)
		pcap_close(dead);
	return rc;
}
