/*
 * hdp_build.c: building and sending frames with libnet (hdp_build.h).
 * Not built yet: every entry point fails and says so.
 */
#include "config.h"

#include <stdio.h>

#include "hdp_build.h"

struct hdp_tx *
hdp_tx_open(enum hdp_tx_mode mode, int family, const char *ifname,
	    int *perm, char *err, size_t errlen)
{
	(void)mode; (void)family; (void)ifname;
	*perm = 0;
	snprintf(err, errlen, "frame building is not built yet");
	return NULL;
}

int
hdp_tx_build(struct hdp_tx *tx, const struct hdp_pkt_spec *spec, char *err,
	     size_t errlen)
{
	(void)tx; (void)spec;
	snprintf(err, errlen, "frame building is not built yet");
	return -1;
}

int
hdp_tx_write(struct hdp_tx *tx, struct hdp_tx_result *r)
{
	(void)tx;
	r->ok = 0;
	snprintf(r->error, sizeof(r->error), "not built yet");
	return -1;
}

int
hdp_tx_frame(struct hdp_tx *tx, const uint8_t **frame, size_t *len, int *dlt)
{
	(void)tx; (void)frame; (void)len; (void)dlt;
	return -1;
}

int
hdp_tx_fd(struct hdp_tx *tx)
{
	(void)tx;
	return -1;
}

void
hdp_tx_close(struct hdp_tx *tx)
{
	(void)tx;
}

int
hdp_resolve(const char *host, int family, int *out_family,
	    union hdp_addr *out, unsigned *scope, char *err, size_t errlen)
{
	(void)host; (void)family; (void)out_family; (void)out; (void)scope;
	snprintf(err, errlen, "address resolution is not built yet");
	return -1;
}

int
hdp_route_src(int family, const union hdp_addr *dst, union hdp_addr *src,
	      char *err, size_t errlen)
{
	(void)family; (void)dst; (void)src;
	snprintf(err, errlen, "route lookup is not built yet");
	return -1;
}
