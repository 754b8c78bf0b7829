/*
 * hdp_dropmon.h: the kernel's own word on why one of our packets was
 * dropped, and where.
 *
 * Linux calls the skb:kfree_skb tracepoint whenever it frees a packet it
 * did not use, with a reason (enum skb_drop_reason: NETFILTER_DROP,
 * IP_NOPROTO ...) and the code location that dropped it.  The event does
 * not say which packet it was, nor in which network namespace: its
 * fields are the skb's address, the receiving socket, the location, the
 * reason and the link-level ethertype.  Event probes or kprobes could
 * copy more, but kernels built without them (CONFIG_EPROBE_EVENTS,
 * CONFIG_KPROBES) are common, so the monitor works from stock events:
 *
 *   - every event is kept only when it happens in the context of one
 *     process (ours: the send path runs the output hooks, and on
 *     loopback, veth and a chain of namespaces the receive path too, in
 *     softirq on the way out of the sender's system call);
 *   - before each write the sender calls hdp_dropmon_mark(tag); the
 *     marker goes into the same ring buffer (clock "mono");
 *   - the first net:net_dev_queue after a marker is that packet leaving
 *     (its skb address), and the address is followed through
 *     net:netif_receive_skb (the interface it came in on, in each
 *     namespace) until skb:consume_skb or skb:kfree_skb: so a drop is
 *     ours only when its skb is our packet's (ICMP errors, the capture's
 *     clones and other traffic are not), or when it comes after the
 *     marker before the packet reached any interface (our own output
 *     path);
 *   - a stack trace recorded with each drop names the netfilter hook
 *     (the caller of nf_hook_slow: ip_forward is FORWARD ...);
 *   - the interface names of every namespace in /run/netns (ip netns)
 *     are read at open, so an interface names its namespace.
 *
 * Drops deferred to another context (ksoftirqd under load, a real second
 * host) are not seen.  Everything lives in a private tracefs instance,
 * instances/hdp-<pid>; its descriptors are opened at hdp_dropmon_open, so
 * the caller may drop every privilege afterwards: reading needs none.  A
 * forked helper, holding no descriptor but a pipe and no capability
 * (root's uid only, for tracefs's owner permissions), removes the
 * instance when the pipe closes: at hdp_dropmon_close, at exit, or when
 * the process is killed.
 */
#ifndef HDP_DROPMON_H
#define HDP_DROPMON_H

#include <stddef.h>
#include <stdint.h>

struct hdp_drop {
	long     tag;          /* the packet: its hdp_dropmon_mark() tag    */
	unsigned ethertype;    /* 0x0800 or 0x86dd                          */
	char     reason[40];   /* "NETFILTER_DROP"                           */
	char     location[80]; /* "nft_do_chain+0x4d8/0x7a0"                */
	char     func[48];     /* "nft_do_chain": location's function        */
	char     dev[16];      /* interface it was last on ("" none yet)     */
	char     netns[64];    /* its namespace's name in /run/netns, ""     */
	char     hook[16];     /* netfilter hook: "FORWARD" ..., "" none     */
	int      expected;     /* a normal end for a probe (TTL expired at a
				* router, a closed port at the destination) */
	int      at_socket;    /* dropped at a receiving socket (rx_sk set)  */
	int      pid;          /* the task the event was recorded in        */
};

struct hdp_dropmon;

/*
 * Set the monitor up (root only).  pid > 0 keeps only events recorded in
 * that task's context; 0 keeps all IPv4/IPv6 drops of the host.  NULL
 * with one line in err saying why drop reasons are unavailable.
 */
struct hdp_dropmon *hdp_dropmon_open(int pid, char *err, size_t errlen);

/* The trace_pipe descriptor, for poll(). */
int hdp_dropmon_fd(const struct hdp_dropmon *m);

/* Put marker tag into the trace (before writing packet tag). */
void hdp_dropmon_mark(struct hdp_dropmon *m, long tag);

/* Read what is waiting (never blocks) and call cb for every drop of a
 * marked packet.  Returns the number of drops, -1 on error. */
int hdp_dropmon_read(struct hdp_dropmon *m,
		     void (*cb)(const struct hdp_drop *d, void *arg),
		     void *arg);

/* Events lost because the trace buffer overflowed (0 when unknown). */
unsigned long hdp_dropmon_overruns(struct hdp_dropmon *m);

/* Turn tracing off and remove the instance (through the helper). */
void hdp_dropmon_close(struct hdp_dropmon *m);

/*
 * Where d happened, for people: "netns r2 on r2a, netfilter FORWARD
 * hook (nft_do_chain)" or "netns rcv on d0, at raw_local_deliver";
 * parts that are unknown are left out.  Returns out.
 */
char *hdp_drop_where(const struct hdp_drop *d, char *out, size_t outlen);

#endif /* HDP_DROPMON_H */
