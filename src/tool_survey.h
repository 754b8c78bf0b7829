/*
 * tool_survey.h: what the files of hdp survey share (tool_survey*.c).
 *
 *   tool_survey.c        options, usage, the four steps
 *   tool_survey_in.c     targets (operands, -T), --exclude, -o resume
 *   tool_survey_probe.c  the probes, the capture, matching, pacing
 *   tool_survey_out.c    records (JSON lines, text), summaries, walks,
 *                        the plot
 *   tool_survey_from.c   vantage points on other hosts (--from ssh://)
 */
#ifndef HDP_TOOL_SURVEY_H
#define HDP_TOOL_SURVEY_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <hdp/hdp.h>

/* The kinds of probe, in the order records are written. */
enum skind { SK_HDP = 0, SK_253, SK_254, SK_UDP, SK_TCP, SK_ICMP, SK_N };
extern const char *const sk_name[SK_N];

/* Categories, as the path-transparency literature names them. */
enum scat { SC_WORKS = 0, SC_TRANSIENT, SC_BROKEN, SC_OFFLINE, SC_PATHDEP,
	    SC_N };
extern const char *const sc_name[SC_N];

#define SV_MAXREP     16      /* --repeat at most: a bit per repetition */
#define SV_MAXFROM    32      /* --from at most                          */
#define SV_WALKS      3       /* TTL walks (hdp trace) at once           */
#define SV_BURST_ERR  6       /* Linux: ICMP errors a host sends at once */
#define SV_REFILL_NS  1000000000ULL /* ... and one more per second       */

struct sv_opts {
	char **targets;          /* operands                                */
	int ntargets;
	const char *tfile;       /* -T                                      */
	const char *from[SV_MAXFROM];
	int nfrom;
	unsigned hdp_proto;      /* -P                                      */
	unsigned repeat;
	double rate;             /* packets a second, all targets           */
	const char *exclude;
	const char *out;         /* -o                                      */
	int json;
	const char *plot;
	int force;
	unsigned wait_ms;
	int no_trace;
	int family;              /* AF_UNSPEC, AF_INET, AF_INET6            */
	int quiet;
	unsigned tcp_port, udp_port;
	const char *vantage;     /* the name results are recorded under     */
	int child;               /* run for another hdp survey (--from)      */
	char **argv;             /* for the children of --from              */
	int argc;
};

/* An address with its family. */
struct sv_addr {
	int family;
	union hdp_addr a;
};

/* ---- targets (tool_survey_in.c) ---------------------------------------- */

struct sv_tsrc;
/* The targets of o, one at a time; NULL and *rc after saying why. */
struct sv_tsrc *sv_tsrc_open(const struct sv_opts *o, int *rc);
/* 1 and *t, 0 at the end, -1 after a bad line (said; the caller stops). */
int sv_tsrc_next(struct sv_tsrc *s, struct sv_addr *t);
/* How many targets in all (-1: not known, standard input). */
long sv_tsrc_total(const struct sv_tsrc *s);
void sv_tsrc_close(struct sv_tsrc *s);
/* The text of one operand or line: address or prefix (at most /24,
 * /120 for IPv6) into base and prefix length; -1 when it is neither. */
int sv_parse_prefix(const char *s, struct sv_addr *base, int *plen);

struct sv_excl;
/* --exclude FILE; NULL with *rc set after saying why. */
struct sv_excl *sv_excl_open(const char *path, int *rc);
int sv_excl_has(const struct sv_excl *e, const struct sv_addr *a);
size_t sv_excl_count(const struct sv_excl *e);
void sv_excl_free(struct sv_excl *e);

/* A set of addresses (the pairs -o already holds, for one vantage). */
struct sv_aset;
struct sv_aset *sv_aset_new(void);
int sv_aset_add(struct sv_aset *s, const struct sv_addr *a);
int sv_aset_has(const struct sv_aset *s, const struct sv_addr *a);
size_t sv_aset_count(const struct sv_aset *s);
void sv_aset_free(struct sv_aset *s);

/* Minimal reading of our own JSON lines: the string (or number, as
 * text) after "key": in line, into out.  0, or -1 when absent or null. */
int sv_json_get(const char *line, const char *key, char *out, size_t len);

/* ---- records (tool_survey_out.c) -------------------------------------- */

/* One (target, vantage, proto) result. */
struct sv_result {
	char target[INET6_ADDRSTRLEN];
	const char *vantage;
	int kind;
	unsigned ip_proto;
	unsigned sent, arrived;
	unsigned resent;         /* sent a second time (budget ran out?)   */
	const char *evidence;
	int cat;
	int last_hop;            /* 0: none                                 */
	char last_responder[INET6_ADDRSTRLEN];
	unsigned walk_proto;     /* the protocol the walk used (0: none)    */
	const char *walk;        /* how it ended (NULL: no walk)            */
	char src[INET6_ADDRSTRLEN];
	uint64_t time_ns;
};

struct sv_out;
/* Open the outputs: -o FILE (appended; read first for what it holds:
 * done[] gets the targets complete for each vantage name, counts too),
 * --plot FILE; rc after saying why. */
struct sv_out *sv_out_open(const struct sv_opts *o, int *rc);
/* The targets -o already holds for vantage v (NULL: none). */
const struct sv_aset *sv_out_done(const struct sv_out *w, const char *v);
/* Write one target's records (all kinds of one vantage) together. */
int sv_out_target(struct sv_out *w, const struct sv_result *r, int n);
/* A line from a --from child, as it came (checked and re-counted). */
int sv_out_line(struct sv_out *w, const char *line);
/* A vantage record. */
void sv_out_vantage(struct sv_out *w, const char *name, const char *kernel,
		    const char *addr4, const char *addr6, const char *err);
/* Count targets left out. */
void sv_out_excluded(struct sv_out *w, const char *vantage, unsigned long n);
void sv_out_skipped(struct sv_out *w, const char *vantage, unsigned long n);
/* Summaries, path_dependent, the plot; the exit status. */
int sv_out_finish(struct sv_out *w, int interrupted, uint64_t dur_ns);
void sv_out_free(struct sv_out *w);
/* 1 when a record was written (a run that stopped on bad input after
 * some still reports). */
int sv_out_any(const struct sv_out *w);
/* Stacked bars of the categories per kind and vantage point, drawn by
 * gnuplot into out (the --plot file, PNG or SVG by its name). */
int sv_plot(const char *plot, FILE *out, const struct sv_out *w);

/* ---- the local engine (tool_survey_probe.c) ---------------------------- */

/* Probe every target of o from here, recording under o->vantage.  An
 * exit status (said when not 0). */
int sv_run_local(const struct sv_opts *o, struct sv_out *w);

/* ---- walks (tool_survey_out.c) ------------------------------------------ */

/* Start hdp trace (this binary) to dst for protocol proto, with ICMP
 * echo beside it, and UDP to udp_port when not 0 (the witness that lets
 * trace tell loss at the destination from rate limiting); its stdout in
 * *fd (non-blocking).  pid, or -1. */
pid_t sv_walk_start(const struct sv_addr *dst, unsigned proto,
		    unsigned wait_ms, unsigned udp_port, int *fd);
/* What a walk (trace's JSON lines, all of buf) showed for HDP. */
enum { SV_WALK_DECIDED = 0,  /* *last_hop, resp: where HDP stops    */
       SV_WALK_REACHED,      /* the destination answered HDP         */
       SV_WALK_UNSURE };     /* rate limiting hid it: walk again     */
/* One of those, *walk the word for the record ("vanished", "reached",
 * "unknown" ...); -1 when buf holds no HDP summary. */
int sv_walk_parse(const char *buf, int *last_hop, char *resp, size_t len,
		  const char **walk);

/* ---- other vantage points (tool_survey_from.c) ------------------------- */

/* Run the survey from every --from point at once and merge. */
struct remote_cfg;
int sv_run_from(const struct sv_opts *o, const struct remote_cfg *c,
		struct sv_out *w);

/* "Linux 6.8.0" */
void sv_uname(char *buf, size_t len);

#endif /* HDP_TOOL_SURVEY_H */
