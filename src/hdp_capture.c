/*
 * hdp_capture.c: libpcap capture and pcap writing (see hdp_capture.h).
 *
 * Follows libpcap's testprogs/capturetest.c: pcap_create, every
 * pcap_set_* checked, pcap_activate with warnings reported and errors
 * returned.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hdp_capture.h"
#include "hdp_file.h"

#define DEFAULT_SNAPLEN 262144

static pcap_t *
set_fail(pcap_t *p, const char *what, int rc, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s", what,
		 rc == PCAP_ERROR ? pcap_geterr(p) : pcap_statustostr(rc));
	pcap_close(p);
	return NULL;
}

pcap_t *
hdp_cap_open_live(const struct hdp_cap_opts *o, char *err, size_t errlen)
{
	char eb[PCAP_ERRBUF_SIZE];
	const char *dev = o->ifname ? o->ifname : "any";
	pcap_t *p;
	int rc;

	p = pcap_create(dev, eb);
	if (p == NULL) {
		snprintf(err, errlen, "%s: %s", dev, eb);
		return NULL;
	}
	if ((rc = pcap_set_snaplen(p, o->snaplen > 0 ? o->snaplen :
				   DEFAULT_SNAPLEN)) != 0)
		return set_fail(p, "pcap_set_snaplen", rc, err, errlen);
	if ((rc = pcap_set_promisc(p, o->promisc)) != 0)
		return set_fail(p, "pcap_set_promisc", rc, err, errlen);
	if (o->immediate && (rc = pcap_set_immediate_mode(p, 1)) != 0)
		return set_fail(p, "pcap_set_immediate_mode", rc, err, errlen);
	if (!o->immediate &&
	    (rc = pcap_set_timeout(p, o->timeout_ms > 0 ? o->timeout_ms :
				   100)) != 0)
		return set_fail(p, "pcap_set_timeout", rc, err, errlen);
	if (o->buffer_kb > 0 &&
	    (rc = pcap_set_buffer_size(p, o->buffer_kb * 1024)) != 0)
		return set_fail(p, "pcap_set_buffer_size", rc, err, errlen);
	if (o->nano && (rc = pcap_set_tstamp_precision(p,
				PCAP_TSTAMP_PRECISION_NANO)) != 0)
		return set_fail(p, "pcap_set_tstamp_precision", rc, err,
				errlen);
	rc = pcap_activate(p);
	if (rc < 0) {
		/* pcap_geterr has the detail for PCAP_ERROR* codes */
		snprintf(err, errlen, "%s: %s%s%s", dev, pcap_statustostr(rc),
			 *pcap_geterr(p) ? ": " : "", pcap_geterr(p));
		pcap_close(p);
		return NULL;
	}
	if (rc > 0)
		fprintf(stderr, "hdp: warning: %s: %s%s%s\n", dev,
			pcap_statustostr(rc), *pcap_geterr(p) ? ": " : "",
			pcap_geterr(p));
	return p;
}

pcap_t *
hdp_cap_open_file(const char *path, int nano, char *err, size_t errlen)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p;
	u_int prec = nano ? PCAP_TSTAMP_PRECISION_NANO :
			    PCAP_TSTAMP_PRECISION_MICRO;

	if (strcmp(path, "-") == 0)
		p = pcap_fopen_offline_with_tstamp_precision(stdin, prec, eb);
	else
		p = pcap_open_offline_with_tstamp_precision(path, prec, eb);
	if (p == NULL) {
		/* libpcap's text already names the file for open errors */
		if (strstr(eb, path) != NULL)
			snprintf(err, errlen, "%s", eb);
		else
			snprintf(err, errlen, "%s: %s", path, eb);
	}
	return p;
}

int
hdp_cap_set_filter(pcap_t *p, const char *expr, char *err, size_t errlen)
{
	struct bpf_program prog;

	if (expr == NULL)
		return 0;
	if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		snprintf(err, errlen, "bad filter '%s': %s", expr,
			 pcap_geterr(p));
		return -1;
	}
	if (pcap_setfilter(p, &prog) != 0) {
		snprintf(err, errlen, "cannot set filter '%s': %s", expr,
			 pcap_geterr(p));
		pcap_freecode(&prog);
		return -1;
	}
	pcap_freecode(&prog);
	return 0;
}

char *
hdp_filter_and(const char *base, const char *user)
{
	size_t n;
	char *s;

	if (base == NULL || user == NULL)
		return (base || user) ? strdup(base ? base : user) : NULL;
	n = strlen(base) + strlen(user) + 12;
	s = malloc(n);
	if (s != NULL)
		snprintf(s, n, "(%s) and (%s)", base, user);
	return s;
}

char *
hdp_filter_join(int argc, char **argv)
{
	size_t n = 1;
	char *s;
	int i;

	if (argc <= 0)
		return NULL;
	for (i = 0; i < argc; i++)
		n += strlen(argv[i]) + 1;
	s = malloc(n);
	if (s == NULL)
		return NULL;
	s[0] = '\0';
	for (i = 0; i < argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

pcap_dumper_t *
hdp_dump_open(const char *path, int dlt, int snaplen, int force, char *err,
	      size_t errlen)
{
	pcap_t *dead;
	pcap_dumper_t *d;
	FILE *f;

	f = hdp_file_create(path, force, err, errlen);
	if (f == NULL)
		return NULL;
	dead = pcap_open_dead_with_tstamp_precision(dlt, snaplen > 0 ?
			snaplen : DEFAULT_SNAPLEN, PCAP_TSTAMP_PRECISION_NANO);
	if (dead == NULL) {
		snprintf(err, errlen, "%s: cannot make a pcap writer", path);
		fclose(f);
		return NULL;
	}
	d = pcap_dump_fopen(dead, f);
	if (d == NULL) {
		snprintf(err, errlen, "%s: %s", path, pcap_geterr(dead));
		fclose(f);
	}
	/* the dumper keeps what it needs from the dead handle */
	pcap_close(dead);
	return d;
}
