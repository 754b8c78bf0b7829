/*
 * tool_where.h: what hdp where's offline engine (tool_where.c) and its
 * live part (tool_where_live.c: hdp where --at ...) share.
 *
 * The live part takes the captures (on this host and on others over
 * ssh), writes each point's packets into a pcap file as they arrive, and
 * hands the engine those files with, per point, whether it was observed
 * at all and how far its clock is off ours.  The engine then runs as it
 * does on files given by hand: one engine, one report.
 */
#ifndef HDP_TOOL_WHERE_H
#define HDP_TOOL_WHERE_H

#include <stdint.h>

#define WHERE_LABEL_LEN 64

/* Option codes of the live part, for where's getopt_long table.  The
 * remote ones are passed on to remote_cfg_opt() (tool_remote.h). */
#define WL_OPT_AT     0x5701
#define WL_OPT_RUN    0x5702
#define WL_OPT_DRAIN  0x5703
#define WL_OPT_SAVE   0x5704
#define WL_OPT_FORCE  0x5705
#define WL_OPT_SSH    0x5706
#define WL_OPT_SUDO   0x5707
#define WL_OPT_RHDP   0x5708
#define WHERE_LIVE_LONGOPTS \
	{ "at",         required_argument, NULL, WL_OPT_AT }, \
	{ "run",        required_argument, NULL, WL_OPT_RUN }, \
	{ "drain",      required_argument, NULL, WL_OPT_DRAIN }, \
	{ "save",       required_argument, NULL, WL_OPT_SAVE }, \
	{ "force",      no_argument,       NULL, WL_OPT_FORCE }, \
	{ "ssh-option", required_argument, NULL, WL_OPT_SSH }, \
	{ "sudo",       no_argument,       NULL, WL_OPT_SUDO }, \
	{ "remote-hdp", required_argument, NULL, WL_OPT_RHDP }

/* One point of a live run, as the engine needs it. */
struct where_live_pt {
	char    label[WHERE_LABEL_LEN];
	const char *spec;        /* the point as the user wrote it         */
	char   *path;            /* its capture file; NULL: not observed   */
	int     kept;            /* that file stays (--save, or the user's) */
	char    why[160];        /* when not observed: what failed         */
	int     clocked;         /* a remote clock: the figures below hold */
	int     end_ok;          /* ... and the estimate at the end too    */
	int64_t off_start_ns, unc_start_ns, off_end_ns, unc_end_ns;
	int64_t offset_ns;       /* taken off its times before merging     */
	int64_t uncert_ns;       /* how far that may be wrong              */
};

struct where_live;

/*
 * Cut "--probe DEST [SEND-OPTION...] [--]" out of argv (before getopt
 * sees it: those are send's options, not where's): 0, or -1 after a
 * usage error.  *lv is made when it was there.
 */
int where_live_split(int *argc, char **argv, struct where_live **lv);
/* One of where's options that belongs to the live part: 1 when c was
 * one (taken), 0 when not, -1 after a usage error. */
int where_live_opt(struct where_live **lv, int c, const char *arg);
/* The options, checked together once parsed: 0, or -1 (said). */
int where_live_check(struct where_live *lv);
/*
 * Run: start a capture at every point, wait until each listens, send
 * the probes or run the command, drain, stop; the points into *pts (np
 * of them).  filter: what every capture keeps.  0, or an exit status
 * when nothing could be run at all.
 */
int where_live_run(struct where_live *lv, const char *filter,
		   struct where_live_pt **pts, int *np);
/* The exit status the probe sender or the command asks for on top of
 * the report (0: none). */
int where_live_status(const struct where_live *lv);
/* Free lv and remove its temporary files (not the --save ones). */
void where_live_free(struct where_live *lv);

#endif /* HDP_TOOL_WHERE_H */
