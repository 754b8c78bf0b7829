/*
 * hdp_dropmon.h: the kernel's own word on why a packet was dropped.
 *
 * Linux calls the skb:kfree_skb tracepoint whenever it frees a packet it
 * did not use, with a reason (enum skb_drop_reason: NETFILTER_DROP,
 * IP_NOPROTO ...) and the code location that dropped it.  The event does
 * not say which packet it was: its fields are the skb's address, the
 * receiving socket, the location, the reason and "protocol", which is
 * the link-level ethertype (0x0800 for every IPv4 packet), not the IP
 * protocol number.  Event probes or kprobes could copy packet bytes, but
 * kernels built without them (CONFIG_EPROBE_EVENTS, CONFIG_KPROBES) are
 * common, so the monitor attributes drops to packets this way:
 *
 *   - the kernel filter keeps only IPv4/IPv6 drops that happen in the
 *     context of one process (ours: the send path runs the output hooks,
 *     and on loopback, veth and a chain of namespaces the receive path
 *     too, in softirq on the way out of the sender's system call);
 *   - before each write the sender calls hdp_dropmon_mark(tag); the
 *     marker goes into the same ring buffer (clock "mono", ordered
 *     across CPUs), so a drop event carries the tag of the last marker
 *     before it: the packet being written when the kernel dropped it.
 *
 * Drops deferred to another context (ksoftirqd under load, a real second
 * host) are not seen.  Everything lives in a private tracefs instance,
 * instances/hdp-<pid>, removed on close, at exit(), and by the next
 * monitor when a killed run left one behind.
 */
#ifndef HDP_DROPMON_H
#define HDP_DROPMON_H

#include <stddef.h>
#include <stdint.h>

struct hdp_drop {
	long     tag;          /* last hdp_dropmon_mark() before it, or -1   */
	unsigned ethertype;    /* 0x0800 or 0x86dd                          */
	char     reason[40];   /* "NETFILTER_DROP"                           */
	char     location[80]; /* "nft_do_chain+0x4d8/0x7a0"                */
	int      at_socket;    /* dropped at a receiving socket (rx_sk set)  */
	int      pid;          /* the task the event was recorded in        */
};

struct hdp_dropmon;

/*
 * Set the monitor up (root only).  pid > 0 keeps only drops recorded in
 * that task's context; 0 keeps all IPv4/IPv6 drops of the host.  NULL
 * with one line in err saying why drop reasons are unavailable.
 */
struct hdp_dropmon *hdp_dropmon_open(int pid, char *err, size_t errlen);

/* The trace_pipe descriptor, for poll(). */
int hdp_dropmon_fd(const struct hdp_dropmon *m);

/* Put marker tag into the trace (before writing packet tag). */
void hdp_dropmon_mark(struct hdp_dropmon *m, long tag);

/* Read what is waiting (never blocks) and call cb for every drop.
 * Returns the number of drops, -1 on error. */
int hdp_dropmon_read(struct hdp_dropmon *m,
		     void (*cb)(const struct hdp_drop *d, void *arg),
		     void *arg);

/* Events lost because the trace buffer overflowed (0 when unknown). */
unsigned long hdp_dropmon_overruns(struct hdp_dropmon *m);

/* Turn tracing off and remove the instance. */
void hdp_dropmon_close(struct hdp_dropmon *m);

#endif /* HDP_DROPMON_H */
