/*
 * hdp_capture.h: libpcap capture and reading, the way every hdp
 * subcommand does it (sniff, sweep, trace, ping, where, replay); pcap
 * files are written through hdp_dump.h.
 */
#ifndef HDP_CAPTURE_H
#define HDP_CAPTURE_H

#include <pcap/pcap.h>
#include <stddef.h>
#include <stdint.h>

/*
 * HDP over IPv4 and IPv6, on any link type.  "protochain" walks IPv6
 * extension headers (fragment, options, routing, AH) to next header 255.
 */
#define HDP_FILTER_DEFAULT \
	"(ip and ip[9] == 255) or (ip6 and ip6 protochain 255)"
/*
 * For Ethernet, where HDP may also sit behind one or two VLAN tags.  A
 * live capture on Linux makes the tagged offsets variable, where libpcap
 * cannot compile "protochain", so tagged IPv6 is matched on the fixed
 * header only.  libpcap's "vlan" shifts the offsets of everything after
 * it, so this tail goes only after the untagged filter, alone: see
 * hdp_filter_hdp().
 */
#define HDP_FILTER_FIXED \
	"(ip and ip[9] == 255) or (ip6 and ip6[6] == 255)"
#define HDP_FILTER_VLAN_TAIL \
	" or (vlan and ((" HDP_FILTER_FIXED \
	") or (vlan and (" HDP_FILTER_FIXED "))))"

struct hdp_cap_opts {
	const char *ifname;     /* NULL or "any": every interface          */
	int snaplen;            /* 0: 262144                               */
	int promisc;
	int immediate;          /* deliver each packet at once             */
	int buffer_kb;          /* 0: libpcap's default                    */
	int timeout_ms;         /* read timeout when not immediate         */
	int nano;               /* nanosecond timestamps                   */
};

/* Live capture: pcap_create, each pcap_set_* checked, pcap_activate.
 * Errors return NULL with the reason in err.  On success err is empty,
 * or holds pcap_activate's warning ("dev: <warning>: detail") for the
 * caller to show (tool_cap_warn()). */
pcap_t *hdp_cap_open_live(const struct hdp_cap_opts *o, char *err,
			  size_t errlen);

/* A pcap or pcapng file, or standard input for "-". */
pcap_t *hdp_cap_open_file(const char *path, int nano, char *err,
			  size_t errlen);

/*
 * The capture file open on fd, read from fd's current offset; name (the
 * file's path) goes into messages as hdp_cap_open_file() puts it.  libpcap
 * reads and closes a duplicate: fd stays open, so a file opened once (for
 * instance before privileges are dropped) can be read again after an
 * lseek() back to 0 (replay --loop).
 */
pcap_t *hdp_cap_open_fd(int fd, const char *name, int nano, char *err,
			size_t errlen);

/*
 * The same, and *digits set to the precision the file's timestamps were
 * written with (6 for microseconds, 9 for nanoseconds: the pcap magic, or
 * the first pcapng interface's if_tsresol).  Timestamps are delivered in
 * nanoseconds whatever the file holds.  Works on pipes too: the header is
 * peeked and replayed to libpcap.
 */
pcap_t *hdp_cap_open_file_prec(const char *path, int *digits, char *err,
			       size_t errlen);

/*
 * hdp_cap_open_file_prec() on fd, a capture file opened beforehand (with
 * privileges, to be read without them); name goes into messages.  fd is
 * the capture's from then on: pcap_close() closes it (it is closed here
 * on failure), except standard input.
 */
pcap_t *hdp_cap_open_fd_prec(int fd, const char *name, int *digits,
			     char *err, size_t errlen);

/*
 * The precision (6 or 9) from the first n bytes of a capture file; 0 when
 * more bytes are needed to tell (pcapng: up to the end of the first
 * interface description block).
 */
int hdp_pcap_file_digits(const uint8_t *hdr, size_t n);

/* Compile and install a BPF filter; libpcap's message on error. */
int hdp_cap_set_filter(pcap_t *p, const char *expr, char *err,
		       size_t errlen);

/* "(base) and (user)", or a copy of whichever is set; caller frees. */
char *hdp_filter_and(const char *base, const char *user);

/*
 * The filter that selects HDP on link type dlt, ANDed with the user's
 * expression (NULL: none).  Alone on Ethernet it also sees VLAN-tagged
 * HDP.  With a user expression it is "(user) and (HDP)": the user's part
 * comes first so that a "vlan" in it shifts the offsets of the HDP test
 * too, as tcpdump users expect; untagged traffic is matched otherwise.
 * live: for a live capture, with the IPv6 walk of hdp_filter_default(1).
 * Caller frees; NULL when out of memory.
 */
char *hdp_filter_hdp(int dlt, const char *user, int live);

/*
 * HDP over IPv4 and IPv6 without VLAN tags.  live 0: HDP_FILTER_DEFAULT,
 * whose "protochain" walks any number of IPv6 extension headers.  That
 * walk is a loop, which Linux does not load into the kernel: libpcap
 * then says "Warning: Kernel filter failed" and copies every packet of
 * the interface to user space to filter it there.  live 1: the same walk
 * unrolled for up to HDP_FILTER_EXT_MAX extension headers of the kinds
 * protochain knows (hop-by-hop, routing, destination options, fragment,
 * AH), which the kernel runs.  A static string.
 */
#define HDP_FILTER_EXT_MAX 3
const char *hdp_filter_default(int live);

/*
 * ICMP and ICMPv6 errors (unreachable, time exceeded, parameter problem,
 * packet too big) that quote an HDP packet: hdp sniff --icmp.  The IPv6
 * quote's extension headers are walked as hdp_filter_default(1) walks
 * them (unrolled, so the kernel runs it).  A static string.
 */
#define HDP_FILTER_ICMP4 \
	"(icmp and (icmp[0] == 3 or icmp[0] == 11 or icmp[0] == 12) and " \
	"icmp[17] == 255)"
#define HDP_FILTER_ICMP_FIXED \
	HDP_FILTER_ICMP4 " or (ip6 and ip6[6] == 58 and ip6[40] >= 1 and " \
	"ip6[40] <= 4 and ip6[54] == 255)"
const char *hdp_filter_icmp(void);

/* hdp_filter_hdp()'s filter, or'ed with hdp_filter_icmp() (and on
 * Ethernet without a user expression, both behind VLAN tags too with
 * fixed offsets).  Caller frees; NULL when out of memory. */
char *hdp_filter_hdp_icmp(int dlt, const char *user, int live);

/* Join argv[0..argc-1] with spaces (a BPF expression given as trailing
 * arguments, as tcpdump takes it); NULL when argc == 0.  Caller frees. */
char *hdp_filter_join(int argc, char **argv);

/*
 * A packet's time stamp as libpcap gave it, in seconds and in nanoseconds
 * since the Unix epoch (nano: the handle delivers nanoseconds in tv_usec).
 * A pcap file holds the seconds as an unsigned 32-bit number, good to
 * 2106; libpcap up to 1.10 reads it as signed and sign-extends it into
 * time_t, so from 2038 on it comes out negative.  Neither pcap nor hdp
 * (whose times are unsigned nanoseconds) can say a time before 1970, so a
 * negative value in 32-bit range is that unsigned number, as tshark reads
 * it; an earlier one (a pcapng offset before the epoch) is taken as 0.
 * pcapng and live times are 64-bit and kept; nanoseconds saturate at
 * 2^64 - 1 (the year 2554).
 */
uint64_t hdp_cap_sec(const struct pcap_pkthdr *h);
uint64_t hdp_cap_time_ns(const struct pcap_pkthdr *h, int nano);

#endif /* HDP_CAPTURE_H */
