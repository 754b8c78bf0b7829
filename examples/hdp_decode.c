/*
 * hdp_decode.c: read a pcap or pcapng file with libpcap and print every
 * packet through libhdp, as `hdp sniff -r FILE --nano --filter ''` prints
 * it: every packet, time stamps to the nanosecond.
 *
 *     cc hdp_decode.c $(pkg-config --cflags --libs libhdp)
 *     ./a.out capture.pcap [line|verbose|table|json|hex]
 *
 * Each frame is decoded with hdp_decode_frame() (the counts on standard
 * error come from there) and printed with hdp_print_frame().  Exit
 * status: 0 ok, 1 a read or write error, 2 bad usage or a bad file.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include <hdp/hdp.h>
#include <hdp/print.h>

static int
form_of(const char *s, enum hdp_form *form)
{
	static const char *const names[] = {
		"line", "verbose", "table", "json", "hex"
	};
	unsigned i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			*form = (enum hdp_form)i;
			return 0;
		}
	}
	return -1;
}

/* Print every packet of p; 0, or 1 on a read or write error. */
static int
decode_all(pcap_t *p, hdp_print_t *pr, int nano)
{
	struct pcap_pkthdr *h;
	const u_char *bytes;
	struct hdp_frame f;
	unsigned long n = 0, hdp = 0, bad = 0;
	uint64_t ts;
	int rc;

	while ((rc = pcap_next_ex(p, &h, &bytes)) == 1) {
		if (hdp_decode_frame(pcap_datalink(p), bytes, h->caplen,
				     h->len, &f) != HDP_ST_OK)
			bad++;
		hdp += f.has_hdp != 0;
		n++;
		ts = hdp_pcap_time_ns(h, nano);
		if (hdp_print_frame(pr, bytes, h->caplen, h->len, ts) != 0) {
			fprintf(stderr, "hdp_decode: %s\n",
				hdp_print_geterr(pr));
			return 1;
		}
	}
	if (rc == PCAP_ERROR) {
		fprintf(stderr, "hdp_decode: %s\n", pcap_geterr(p));
		return 1;
	}
	fprintf(stderr, "hdp_decode: %lu frames, %lu HDP, %lu not decoded "
		"whole (%s)\n", n, hdp, bad, hdp_lib_version());
	return 0;
}

int
main(int argc, char **argv)
{
	char eb[PCAP_ERRBUF_SIZE], errbuf[HDP_ERRBUF_SIZE];
	enum hdp_form form = HDP_FORM_LINE;
	hdp_print_t *pr = NULL;
	pcap_t *p = NULL;
	int nano, rc = 2;

	if (argc < 2 || argc > 3 || (argc == 3 && form_of(argv[2], &form))) {
		fprintf(stderr, "usage: hdp_decode FILE "
			"[line|verbose|table|json|hex]\n");
		return 2;
	}
	/* libpcap scales every file's time stamps to what is asked */
	p = pcap_open_offline_with_tstamp_precision(argv[1],
			PCAP_TSTAMP_PRECISION_NANO, eb);
	if (p == NULL) {
		fprintf(stderr, "hdp_decode: %s\n", eb);
		goto out;
	}
	/* its frames are still printed, each saying "unsupported" */
	if (!hdp_dlt_supported(pcap_datalink(p)))
		fprintf(stderr, "hdp_decode: %s: warning: link type %d is not "
			"decoded\n", argv[1], pcap_datalink(p));
	nano = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
	pr = hdp_print_open(stdout, form, pcap_datalink(p),
			    nano ? HDP_PRINT_NANO : 0, errbuf);
	if (pr == NULL) {
		fprintf(stderr, "hdp_decode: %s\n", errbuf);
		goto out;
	}
	rc = decode_all(p, pr, nano);
out:
	if (pr != NULL && hdp_print_close(pr) != 0 && rc == 0) {
		fprintf(stderr, "hdp_decode: standard output: write failed\n");
		rc = 1;
	}
	if (p != NULL)
		pcap_close(p);
	return rc;
}
