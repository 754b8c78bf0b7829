/*
 * tool_sniff_par.c: hdp sniff -r FILE -j N, one capture file decoded on
 * N threads, printed in file order, byte for byte what -j 1 prints.
 *
 * The file is cut into chunks (CHUNK_BYTES of file each) at record
 * boundaries.  Each chunk is read by a pcap_t of its own: libpcap parses
 * every record.  Worker threads filter and print chunks into memory; the
 * main thread writes the text in file order.
 *
 * A chunk's stream (fopencookie): the file's head, then the file's bytes
 * from the chunk's start to its end, then EOF.  The head is the 24-byte
 * file header of a pcap file, or every block of a pcapng file before its
 * first packet block (SHB, IDBs).  libpcap opens that as a capture file of
 * its own.
 *
 * Where chunks start: after each multiple of the chunk size, the first
 * offset where a chain of plausible record headers follows (pcap: caplen
 * at most len and libpcap's bound, a fraction of a second below 10^6 or
 * 10^9, no wild time jumps; pcapng: a packet block whose length is
 * repeated at its end, then more blocks like it), or where such a chain
 * ends exactly at the end of the file.  That is a guess, and a payload
 * holding fake headers can fool it; so it is proven before it is used:
 *
 * Why the output is what -j 1 prints.  Chunk 0 starts where a single
 * reader starts.  A chunk whose start is proven and whose reader stops at
 * the clean end of its stream read the very records a single reader reads
 * there and ended exactly at the next chunk's start (the stream ends
 * there, so a record across it is a truncated record, an error; ftell
 * checks the bytes consumed), which proves that start in turn.  The main
 * thread takes a chunk's text only once its start is proven.  When a
 * reader does not land on its end, the main thread reads on by itself
 * from the end of the last record that reader read whole (a boundary:
 * the reader started on one), printing with its own printer, until it
 * lands exactly on a later chunk's start (whose text it then takes) or
 * the file ends.  pcapng: an SHB or IDB after the first packet block
 * changes what later blocks mean; from the chunk that holds one, the main
 * thread reads the rest of the file itself.
 *
 * What crosses chunks: the counts (added up); -c COUNT (a worker stops at
 * COUNT packets of its own; the main thread stops at the total, and when
 * the total falls inside a block of text it prints that block's records
 * again itself, stopping at COUNT); --table's header (printed first);
 * -ttt (each chunk's first packet is printed by the main thread, which
 * knows the packet before it); -ttttt (the main thread finds the first
 * packet before the workers start).
 *
 * Memory: a worker hands its text over in blocks of about SEG_BYTES.
 * The chunks after the one being written hold at most AHEAD_BYTES of text
 * per thread between them (their workers wait above that), the one being
 * written at most PEND_BYTES (its text goes out as it comes, and a
 * chunk's whole text is rarely that large: 256 KiB of full-size packets
 * with -XX make 1.2 MiB), and at most threads + 2 chunks are in flight.  Per thread besides: a stdio buffer (IOBUF_BYTES), libpcap's
 * record buffer (the snapshot length; only what records use is touched),
 * a scan window (WIN_BYTES) and the block being printed.  Nothing grows
 * with the file: 5.8 MiB peak RSS with 2 threads for 1M or 10M packets
 * (bench/, read_par).
 */
#include "config.h"

#define _GNU_SOURCE 1
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hdp_capture.h"
#include "hdp_print.h"
#include "tool.h"
#include "tool_sniff_par.h"

#define CHUNK_BYTES   (256u << 10)
#define SEG_BYTES     (128u << 10)
#define SEG_CAP       (SEG_BYTES + (16u << 10))
#define PEND_BYTES    (8u << 20)
#define AHEAD_BYTES   (1u << 20) /* text ahead of the head, per thread  */
#define IOBUF_BYTES   (64u << 10)
#define WIN_BYTES     (16u << 10)
#define POOL_MAX      64
#define PCAP_CHAIN    8         /* record headers a boundary needs       */
#define NG_CHAIN      4         /* pcapng blocks a boundary needs        */
#define NG_HEAD_MAX   (1u << 20)
#define NG_BLOCK_MAX  (16u << 20)
#define SNAP_MAX      262144u   /* libpcap's bound for most link types   */
#define DAY           86400u
#define LEN_MAX       (16u << 20) /* a record's len: GSO and BIG TCP fit  */
#define NONE          UINT64_MAX

#define NG_SHB        0x0A0D0D0Au
#define NG_IDB        1u
#define NG_PB         2u
#define NG_SPB        3u
#define NG_EPB        6u

/* ---- the file ----------------------------------------------------------- */

struct layout {
	int      ng;        /* pcapng                                     */
	int      swap;      /* the file's byte order is not this host's   */
	uint32_t fracmax;   /* pcap: 10^6, or 10^9 for nanoseconds        */
	uint32_t maxcap;    /* pcap: the largest caplen libpcap takes     */
	uint32_t sec0;      /* pcap: the first record's second            */
	uint64_t first;     /* the first record, or first packet block    */
	uint64_t size;
	uint8_t *head;      /* the file's bytes before first              */
	size_t   hlen;
};

static uint32_t
rd32(const struct layout *L, const uint8_t *b)
{
	uint32_t v;

	memcpy(&v, b, 4);
	return L->swap ? __builtin_bswap32(v) : v;
}

/* n bytes at off; the count read (short at the end of the file), -1. */
static ssize_t
pread_full(int fd, void *buf, size_t n, uint64_t off)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = pread(fd, (char *)buf + got, n - got,
				  (off_t)(off + got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* A window on the file for the boundary scans: reads WIN_BYTES at once. */
struct win {
	int      fd;
	uint64_t off;
	size_t   n;
	uint8_t  b[WIN_BYTES];
};

/* len bytes at off, or NULL past the end of the file. */
static const uint8_t *
win_get(struct win *w, uint64_t off, size_t len)
{
	ssize_t r;

	if (off >= w->off && off - w->off + len <= w->n)
		return w->b + (off - w->off);
	r = pread_full(w->fd, w->b, sizeof(w->b), off);
	w->off = off;
	w->n = r > 0 ? (size_t)r : 0;
	return len <= w->n ? w->b : NULL;
}

/* pcap: the file header (magic, version 2.4) says the byte order and
 * the precision; 0, or -1 for a format left to a single reader. */
static int
layout_pcap(struct layout *L, const uint8_t h[24])
{
	uint32_t m, snap;

	memcpy(&m, h, 4);
	if (m == 0xa1b2c3d4u || m == 0xa1b23c4du) {
		L->swap = 0;
	} else if (m == 0xd4c3b2a1u || m == 0x4d3cb2a1u) {
		L->swap = 1;
		m = __builtin_bswap32(m);
	} else {
		return -1;	/* pcapng, or a variant with longer headers */
	}
	if ((h[4] | h[5] << 8) != (L->swap ? 0x200 : 2) ||
	    (h[6] | h[7] << 8) != (L->swap ? 0x400 : 4))
		return -1;
	L->fracmax = m == 0xa1b2c3d4u ? 1000000u : 1000000000u;
	snap = rd32(L, h + 16);
	L->maxcap = snap > SNAP_MAX ? snap : SNAP_MAX;
	L->first = 24;
	return 0;
}

/* pcap: the first record's second, the anchor of the boundary scans. */
static void
layout_sec0(struct layout *L, struct win *w)
{
	const uint8_t *h = win_get(w, L->first, 4);

	L->sec0 = h != NULL ? rd32(L, h) : 0;
}

/* pcapng: the SHB's byte order; the head is every block before the first
 * packet block (at most NG_HEAD_MAX bytes). */
static int
layout_ng(struct layout *L, struct win *w)
{
	const uint8_t *b = win_get(w, 0, 12);
	uint32_t bom, type, len;
	uint64_t o = 0;

	if (b == NULL)
		return -1;
	memcpy(&bom, b + 8, 4);
	if (bom != 0x1A2B3C4Du && bom != 0x4D3C2B1Au)
		return -1;
	L->ng = 1;
	L->swap = bom != 0x1A2B3C4Du;
	while (o < NG_HEAD_MAX && (b = win_get(w, o, 8)) != NULL) {
		type = rd32(L, b);
		len = rd32(L, b + 4);
		if (o > 0 && (type == NG_EPB || type == NG_SPB ||
			      type == NG_PB)) {
			L->first = o;
			return 0;
		}
		if (len < 12 || len % 4 != 0 || (o > 0 && type == NG_SHB))
			return -1;
		o += len;
	}
	return -1;
}

/* The file's layout; -1 when it is not for threads (then nothing was
 * allocated). */
static int
layout_read(struct layout *L, int fd, struct win *w)
{
	struct stat st;
	const uint8_t *h;

	memset(L, 0, sizeof(*L));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return -1;
	L->size = (uint64_t)st.st_size;
	w->fd = fd;
	w->n = 0;
	if ((h = win_get(w, 0, 24)) == NULL)
		return -1;
	if (memcmp(h, "\x0a\x0d\x0d\x0a", 4) == 0 ? layout_ng(L, w) != 0 :
	    layout_pcap(L, h) != 0)
		return -1;
	if (!L->ng)
		layout_sec0(L, w);
	L->hlen = (size_t)L->first;
	L->head = malloc(L->hlen);
	if (L->head == NULL ||
	    pread_full(fd, L->head, L->hlen, 0) != (ssize_t)L->hlen) {
		free(L->head);
		L->head = NULL;
		return -1;
	}
	return 0;
}

/* ---- boundaries --------------------------------------------------------- */

/* pcap: a chain of PCAP_CHAIN plausible record headers from o, or one
 * that ends exactly at the end of the file. */
static int
pcap_chain(const struct layout *L, struct win *w, uint64_t o)
{
	uint32_t sec, prev = 0, caplen, len;
	const uint8_t *h;
	int i;

	for (i = 0; i < PCAP_CHAIN; i++) {
		if (o == L->size)
			return i > 0;
		if ((h = win_get(w, o, 16)) == NULL)
			return 0;
		sec = rd32(L, h);
		caplen = rd32(L, h + 8);
		len = rd32(L, h + 12);
		if (rd32(L, h + 4) >= L->fracmax || caplen > len ||
		    caplen > L->maxcap || len > LEN_MAX)
			return 0;
		/* within two years of the file's first record (a fake
		 * chain in repetitive data keeps its "time" constant, but
		 * rarely the one of the capture); time goes forward, with
		 * a day's slack (a clock step) */
		if ((uint64_t)sec + DAY < L->sec0 ||
		    (uint64_t)sec > (uint64_t)L->sec0 + 731u * DAY ||
		    (i > 0 && (uint64_t)sec + DAY < prev))
			return 0;
		prev = sec;
		o += 16u + caplen;
		if (o > L->size)
			return 0;
	}
	return 1;
}

/* pcapng: a packet block at o and NG_CHAIN blocks from it whose lengths
 * are repeated at their ends, or a chain that ends at the end. */
static int
ng_chain(const struct layout *L, struct win *w, uint64_t o)
{
	const uint8_t *b;
	uint32_t type, len;
	int i;

	for (i = 0; i < NG_CHAIN; i++) {
		if (o == L->size)
			return i > 0;
		if (o + 12 > L->size || (b = win_get(w, o, 8)) == NULL)
			return 0;
		type = rd32(L, b);
		len = rd32(L, b + 4);
		if (i == 0 && type != NG_EPB && type != NG_SPB && type != NG_PB)
			return 0;
		if (len < 12 || len % 4 != 0 || len > NG_BLOCK_MAX ||
		    o + len > L->size)
			return 0;
		if ((b = win_get(w, o + len - 4, 4)) == NULL ||
		    rd32(L, b) != len)
			return 0;
		o += len;
	}
	return 1;
}

/* Where chunk k starts: the first boundary in its part of the file
 * [first + k * csize, + csize); NONE when that part holds none (the
 * chunk before runs on through it). */
static uint64_t
chunk_start(const struct layout *L, struct win *w, uint64_t csize,
	    uint64_t k)
{
	uint64_t o = L->first + k * csize, lim = o + csize;

	if (k == 0)
		return L->first;
	if (lim > L->size)
		lim = L->size;
	if (L->ng)
		o = (o + 3) & ~(uint64_t)3;	/* blocks are 4-aligned */
	for (; o < lim; o += L->ng ? 4 : 1)
		if (L->ng ? ng_chain(L, w, o) : pcap_chain(L, w, o))
			return o;
	return NONE;
}

/* ---- a chunk's stream: the head, then [start, end) of the file -------- */

struct cookie {
	int      fd;
	const struct layout *L;
	uint64_t start, end;  /* file offsets; end NONE: to the end      */
	uint64_t pos;         /* bytes of the stream handed out          */
	/* pcapng: the blocks walked as they go by, for an SHB or IDB */
	uint64_t nb;          /* the next block's offset                 */
	uint8_t  hb[8];
	size_t   hn;          /* bytes of its header seen                */
	int      lost;        /* the walk stopped (a bad length)         */
	int      state;       /* an SHB or IDB went by                   */
};

/* pcapng: the block headers within the bytes b (file offsets [a, a+n)). */
static void
ng_track(struct cookie *k, const uint8_t *b, uint64_t a, size_t n)
{
	uint32_t type, len;

	while (!k->lost && k->nb + k->hn < a + n) {
		uint64_t at = k->nb + k->hn;
		size_t take = 8 - k->hn;

		if (at < a) {
			k->lost = 1;
			break;
		}
		if (take > a + n - at)
			take = (size_t)(a + n - at);
		memcpy(k->hb + k->hn, b + (at - a), take);
		k->hn += take;
		if (k->hn < 8)
			break;
		type = rd32(k->L, k->hb);
		len = rd32(k->L, k->hb + 4);
		if (type == NG_SHB || type == NG_IDB) {
			k->state = 1;	/* the byte order may change too */
			k->lost = 1;
		}
		if (len < 12 || len % 4 != 0)
			k->lost = 1;
		k->nb += len;
		k->hn = 0;
	}
}

static ssize_t
ck_read(void *arg, char *buf, size_t size)
{
	struct cookie *k = arg;
	size_t done = 0;

	if (k->pos < k->L->hlen) {
		done = k->L->hlen - (size_t)k->pos;
		if (done > size)
			done = size;
		memcpy(buf, k->L->head + k->pos, done);
		k->pos += done;
	}
	while (done < size) {
		uint64_t off = k->start + (k->pos - k->L->hlen);
		size_t want = size - done;
		ssize_t r;

		if (k->end != NONE && off >= k->end)
			break;
		if (k->end != NONE && want > k->end - off)
			want = (size_t)(k->end - off);
		r = pread(k->fd, buf + done, want, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return done > 0 ? (ssize_t)done : -1;
		if (r == 0)
			break;
		if (k->L->ng)
			ng_track(k, (const uint8_t *)buf + done, off, (size_t)r);
		k->pos += (uint64_t)r;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

/* For ftell (where the records read so far end); a real move loses the
 * pcapng walk. */
static int
ck_seek(void *arg, off64_t *off, int whence)
{
	struct cookie *k = arg;
	int64_t to;

	if (whence == SEEK_CUR)
		to = (int64_t)k->pos + *off;
	else if (whence == SEEK_SET)
		to = *off;
	else
		return -1;
	if (to < 0)
		return -1;
	if ((uint64_t)to != k->pos) {
		k->lost = 1;
		k->state = 1;
	}
	k->pos = (uint64_t)to;
	*off = to;
	return 0;
}

static int
ck_close(void *arg)
{
	(void)arg;	/* the cookie belongs to its reader */
	return 0;
}

/* A reader on k's stream, buffered in iobuf; NULL with err. */
static pcap_t *
reader_open(struct cookie *k, char *iobuf, char *err)
{
	cookie_io_functions_t io = { ck_read, NULL, ck_seek, ck_close };
	FILE *f;
	pcap_t *p;

	k->pos = 0;
	k->nb = k->start;
	k->hn = 0;
	k->lost = k->state = 0;
	f = fopencookie(k, "r", io);
	if (f == NULL) {
		snprintf(err, PCAP_ERRBUF_SIZE, "%s", strerror(errno));
		return NULL;
	}
	/* one thread uses it: no stdio locks per fread */
	__fsetlocking(f, FSETLOCKING_BYCALLER);
	setvbuf(f, iobuf, _IOFBF, IOBUF_BYTES);
	p = pcap_fopen_offline_with_tstamp_precision(f,
			PCAP_TSTAMP_PRECISION_NANO, err);
	if (p == NULL)
		fclose(f);
	return p;
}

/* The file offset up to which the reader has read (ends of records). */
static uint64_t
reader_pos(pcap_t *p, const struct cookie *k)
{
	off64_t t = ftello64(pcap_file(p));

	if (t < 0 || (uint64_t)t < k->L->hlen)
		return NONE;
	return k->start + ((uint64_t)t - k->L->hlen);
}

/* ---- the shared state --------------------------------------------------- */

/* A block of a chunk's text, with what it counted. */
struct seg {
	struct seg *next;
	char       *buf;
	size_t      len, cap;
	uint64_t    end;        /* file offset after its last record      */
	uint64_t    seen, taken;
	uint64_t    seen_last;  /* records up to its last packet taken    */
	struct hdp_pr_counts n;
	uint64_t    t_prev;     /* the time columns after it (-ttt)       */
	int         t_ref;
};

enum { C_FREE = 0, C_RUN, C_DONE };

struct chunk {
	uint64_t    index;
	uint64_t    start, end;   /* start NONE: an empty chunk            */
	int         state;        /* C_FREE, C_RUN, C_DONE                 */
	int         clean;        /* done: the reader stopped at end       */
	int         ngstate;      /* pcapng: an SHB or IDB inside          */
	struct seg *segs, **tail; /* blocks not taken by the main thread   */
	size_t      pending;      /* their bytes                           */
	/* -ttt: the chunk's first packet, printed by the main thread */
	struct pcap_pkthdr fh;
	uint8_t    *first;
	size_t      first_cap;
	int         has_first;
	atomic_int  cancel;
};

struct par {
	struct sniff_par_io *io;
	struct layout L;
	uint64_t    csize, nchunks;
	unsigned    nth, W;       /* threads; chunks in flight             */
	unsigned    nwk;          /* worker slots (some may not have run)  */
	struct chunk *ring;       /* chunk i is ring[i % W]                */
	pthread_mutex_t mu;
	pthread_cond_t cv_main;   /* a block or a chunk is done            */
	pthread_cond_t cv_work;   /* room: in the window, or pending       */
	int         main_waits;   /* the main thread waits on cv_main      */
	int         wk_waits;     /* workers waiting on cv_work            */
	uint64_t    head;         /* the chunk the main thread is on       */
	size_t      ahead;        /* text held by chunks after the head    */
	uint64_t    next;         /* the next chunk a worker takes         */
	atomic_int  stop;
	char       *pool[POOL_MAX];
	int         npool;
	int         delta;        /* -ttt: chunks' first packets deferred  */
	int         tfirst;       /* -ttttt: t0 known before the start     */
	uint64_t    t0;
	char       *iobuf;        /* the main thread's reader's buffer     */
	struct win  win;          /* the main thread's scan window         */
};

/* Per worker thread. */
/* Each worker's state on cache lines of its own (aligned, and allocated
 * so): a worker's per-packet counters at the end of one must not share a
 * line with the next one's printer, or the two cores trade that line on
 * every packet (bench read_par_filter: 1.35x -j 1 before, 1.83x after). */
struct wk {
	_Alignas(64) struct par *p;
	pthread_t   th;
	int         started;
	struct hdp_printer pr;
	struct cookie ck;
	struct win  win;
	char       *iobuf;
	struct chunk *c;
	pcap_t     *pc;
	uint64_t    seen, taken;  /* since the last block                  */
	uint64_t    seen_last;    /* seen at the last packet taken         */
	uint64_t    ctaken;       /* in this chunk (-c)                    */
	int         failed;       /* the chunk's text cannot be used whole */
};

static struct chunk *
slot(struct par *p, uint64_t i)
{
	return &p->ring[i % p->W];
}

/* Wake-ups only for those who wait (mu held): a block of text is a few
 * hundred packets, each wake-up a context switch. */
static void
wake_main(struct par *p)
{
	if (p->main_waits)
		pthread_cond_signal(&p->cv_main);
}

static void
wake_workers(struct par *p)
{
	if (p->wk_waits)
		pthread_cond_broadcast(&p->cv_work);
}

static void
wk_wait(struct par *p)
{
	p->wk_waits++;
	pthread_cond_wait(&p->cv_work, &p->mu);
	p->wk_waits--;
}

/* A text buffer of SEG_CAP bytes (mu held). */
static char *
pool_get(struct par *p)
{
	if (p->npool > 0)
		return p->pool[--p->npool];
	return malloc(SEG_CAP);
}

/* A buffer back (mu held). */
static void
pool_put(struct par *p, char *b, size_t cap)
{
	if (b != NULL && cap == SEG_CAP && p->npool < POOL_MAX)
		p->pool[p->npool++] = b;
	else
		free(b);
}

static void
seg_free(struct par *p, struct seg *s)
{
	pool_put(p, s->buf, s->cap);
	free(s);
}

/* ---- workers ------------------------------------------------------------ */

/* The worker's text so far becomes a block of c, its records ending at
 * end; then it waits while c holds more than PEND_BYTES. */
static void
seg_close(struct wk *w, uint64_t end)
{
	struct par *p = w->p;
	struct chunk *c = w->c;
	struct seg *s = calloc(1, sizeof(*s));
	char *fresh;

	pthread_mutex_lock(&p->mu);
	fresh = pool_get(p);
	if (s == NULL || fresh == NULL || end == NONE || w->pr.error) {
		w->failed = 1;	/* out of memory: the main thread reads it */
		free(s);
		pool_put(p, fresh, SEG_CAP);
		pthread_mutex_unlock(&p->mu);
		return;
	}
	s->cap = w->pr.cap;
	s->buf = hdp_printer_take(&w->pr, &s->len, fresh, SEG_CAP);
	s->end = end;
	s->seen = w->seen;
	s->taken = w->taken;
	s->seen_last = w->seen_last;
	s->n = w->pr.n;
	s->t_prev = w->pr.t_prev;
	s->t_ref = w->pr.t_ref;
	w->seen = w->taken = w->seen_last = 0;
	memset(&w->pr.n, 0, sizeof(w->pr.n));
	*c->tail = s;
	c->tail = &s->next;
	c->pending += s->len;
	if (c->index != p->head)
		p->ahead += s->len;
	else if (c->pending >= 4 * SEG_BYTES)
		wake_main(p);	/* else it comes for the text at the end */
	while (!atomic_load(&c->cancel) && !atomic_load(&p->stop) &&
	       (c->pending > PEND_BYTES ||
		(c->index != p->head && p->ahead > p->nth * AHEAD_BYTES)))
		wk_wait(p);
	pthread_mutex_unlock(&p->mu);
}

/* -ttt: keep the chunk's first packet for the main thread. */
static int
keep_first(struct wk *w, const struct pcap_pkthdr *h, const u_char *b)
{
	struct chunk *c = w->c;

	if (c->first_cap < h->caplen) {
		uint8_t *n = realloc(c->first, h->caplen);

		if (n == NULL)
			return -1;
		c->first = n;
		c->first_cap = h->caplen;
	}
	memcpy(c->first, b, h->caplen);
	c->fh = *h;
	c->has_first = 1;
	hdp_printer_mark(&w->pr, h);
	return 0;
}

static void
wk_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *b)
{
	struct wk *w = (struct wk *)user;
	struct par *p = w->p;
	const struct sniff_par_io *io = p->io;

	if (w->failed ||
	    atomic_load_explicit(&w->c->cancel, memory_order_relaxed) ||
	    atomic_load_explicit(&p->stop, memory_order_relaxed)) {
		w->failed = 1;
		pcap_breakloop(w->pc);
		return;
	}
	w->seen++;
	if (io->prog != NULL && pcap_offline_filter(io->prog, h, b) == 0)
		return;
	w->taken++;
	w->ctaken++;
	w->seen_last = w->seen;
	if (p->delta && w->c->index > 0 && !w->c->has_first) {
		if (keep_first(w, h, b) != 0)
			w->failed = 1;
	} else {
		hdp_print_packet(&w->pr, h, b);
	}
	if (w->failed || (io->count && w->ctaken >= io->count))
		pcap_breakloop(w->pc);	/* the main thread stops in here */
	else if (w->pr.len >= SEG_BYTES)
		seg_close(w, reader_pos(w->pc, &w->ck));
}

/* The printer's state at the start of every chunk: no packet printed
 * yet (-ttt), or the file's first packet known (-ttttt). */
static void
wk_reset(struct wk *w)
{
	struct par *p = w->p;

	w->seen = w->taken = w->ctaken = w->seen_last = 0;
	w->failed = 0;
	w->pr.len = 0;
	w->pr.error = 0;
	memset(&w->pr.n, 0, sizeof(w->pr.n));
	w->pr.t_ref = p->tfirst;
	w->pr.t_first = w->pr.t_prev = p->t0;
}

/* Chunk c's start, and its end: the next start there is (NONE: the end
 * of the file). */
static void
chunk_bounds(struct par *p, struct win *w, struct chunk *c)
{
	uint64_t j;

	c->start = chunk_start(&p->L, w, p->csize, c->index);
	c->end = NONE;
	if (c->start == NONE)
		return;
	for (j = c->index + 1; j < p->nchunks && c->end == NONE; j++)
		c->end = chunk_start(&p->L, w, p->csize, j);
}

/* Read chunk c into blocks of text; c->clean when its reader stopped at
 * the end of its stream, exactly at c->end. */
static void
wk_chunk(struct wk *w, struct chunk *c)
{
	char err[PCAP_ERRBUF_SIZE];
	uint64_t pos;
	int r;

	w->c = c;
	wk_reset(w);
	chunk_bounds(w->p, &w->win, c);
	if (c->start == NONE) {
		c->clean = 1;	/* nothing starts here */
		return;
	}
	w->ck.start = c->start;
	w->ck.end = c->end;
	w->pc = reader_open(&w->ck, w->iobuf, err);
	if (w->pc == NULL)
		return;		/* the main thread reads it, and says why */
	r = pcap_loop(w->pc, -1, wk_packet, (u_char *)w);
	pos = reader_pos(w->pc, &w->ck);
	c->ngstate = w->ck.state;
	/* at the end of the stream, or stopped at -c: the last block; after
	 * an error the text since the last block is dropped (its records
	 * are read again by the main thread) */
	if (!w->failed && (r == 0 || r == PCAP_ERROR_BREAK))
		seg_close(w, pos);
	c->clean = r == 0 && !w->failed && (c->end == NONE || pos == c->end);
	pcap_close(w->pc);
	w->pc = NULL;
}

static void
chunk_take(struct chunk *c, uint64_t index)
{
	c->index = index;
	c->state = C_RUN;
	c->clean = c->ngstate = 0;
	c->segs = NULL;
	c->tail = &c->segs;
	c->pending = 0;
	c->has_first = 0;
	atomic_store(&c->cancel, 0);
}

static void *
wk_main(void *arg)
{
	struct wk *w = arg;
	struct par *p = w->p;
	struct chunk *c;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!atomic_load(&p->stop) && p->next < p->nchunks &&
		       p->next >= p->head + p->W)
			wk_wait(p);
		if (atomic_load(&p->stop) || p->next >= p->nchunks)
			break;
		c = slot(p, p->next);
		chunk_take(c, p->next++);
		pthread_mutex_unlock(&p->mu);
		wk_chunk(w, c);
		pthread_mutex_lock(&p->mu);
		c->state = C_DONE;
		wake_main(p);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* ---- the main thread ---------------------------------------------------- */

enum { T_NEXT, T_REDO, T_STOP };
enum { R_END, R_LANDED, R_STOP, R_FAIL };

/* io->poll, with mu released around it; nonzero to stop. */
static int
poll_locked(struct par *p)
{
	int r;

	if (p->io->poll == NULL)
		return 0;
	pthread_mutex_unlock(&p->mu);
	r = p->io->poll(p->io->arg);
	pthread_mutex_lock(&p->mu);
	return r;
}

/* Wait (mu held) until c, the chunk at the head, has a block or is
 * done; -1 when poll says stop. */
static int
wait_chunk(struct par *p, struct chunk *c)
{
	struct timespec ts;
	int r;

	while (c->state == C_FREE || c->index != p->head ||
	       (c->segs == NULL && c->state != C_DONE)) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		p->main_waits++;
		r = pthread_cond_timedwait(&p->cv_main, &p->mu, &ts);
		p->main_waits--;
		if (r == ETIMEDOUT && poll_locked(p))
			return -1;
	}
	return 0;
}

/* Drop chunk c (mu held, taken by a worker): its worker stops, its
 * blocks are freed, its slot is free. */
static void
drop_chunk(struct par *p, struct chunk *c)
{
	struct seg *s;

	atomic_store(&c->cancel, 1);
	pthread_cond_broadcast(&p->cv_work);
	while (c->state == C_RUN) {
		p->main_waits++;
		pthread_cond_wait(&p->cv_main, &p->mu);
		p->main_waits--;
	}
	while ((s = c->segs) != NULL) {
		c->segs = s->next;
		seg_free(p, s);
	}
	c->tail = &c->segs;
	c->pending = 0;
	c->state = C_FREE;
}

/* The main thread is done with chunks before to (mu held); the text of
 * the chunk that becomes the head is no longer ahead of it. */
static void
skip_to(struct par *p, uint64_t to)
{
	for (; p->head < to; p->head++) {
		if (p->head < p->next)
			drop_chunk(p, slot(p, p->head));
		if (p->head + 1 < p->next)
			p->ahead -= slot(p, p->head + 1)->pending;
	}
	if (p->next < to)
		p->next = to;
	pthread_cond_broadcast(&p->cv_work);
}

/* Text to standard output, after what the main printer holds. */
static int
emit(struct par *p, const char *b, size_t n)
{
	struct hdp_printer *pr = p->io->pr;

	if (pr->len > 0 && hdp_printer_flush(pr) != 0)
		return -1;
	errno = 0;
	if (n > 0 && fwrite(b, 1, n, pr->out) != n) {
		pr->error = errno ? errno : EIO;
		return -1;
	}
	return 0;
}

/* Block s is written: its counts and time state become the printer's. */
static void
add_seg(struct par *p, const struct seg *s)
{
	struct hdp_printer *pr = p->io->pr;

	/* -c reached with this block's last packet: -j 1 reads no further */
	if (p->io->count && *p->io->taken + s->taken == p->io->count)
		*p->io->seen += s->seen_last;
	else
		*p->io->seen += s->seen;
	*p->io->taken += s->taken;
	pr->n.packets += s->n.packets;
	pr->n.hdp += s->n.hdp;
	pr->n.other += s->n.other;
	pr->n.truncated += s->n.truncated;
	pr->n.malformed += s->n.malformed;
	pr->n.unsupported += s->n.unsupported;
	pr->n.bytes += s->n.bytes;
	if (s->t_ref) {
		pr->t_prev = s->t_prev;
		pr->t_ref = 1;
	}
}

/* Write block s of chunk c (mu held, released meanwhile); first: c's
 * first block (-ttt: c's first packet goes before it).  -1 on a write
 * error. */
static int
write_seg(struct par *p, struct chunk *c, struct seg *s, int first)
{
	int r;

	pthread_mutex_unlock(&p->mu);
	if (first && c->has_first)
		hdp_print_packet(p->io->pr, &c->fh, c->first);
	r = emit(p, s->buf, s->len);
	add_seg(p, s);
	pthread_mutex_lock(&p->mu);
	return r;
}

/*
 * Take the text of chunk c, the head (mu held), *pos being where the
 * records read so far end.  T_NEXT: all of it, *pos is c's end; T_REDO:
 * the main thread reads on from *pos itself (*from: where its reader
 * starts); T_STOP: -c reached, a write failed or poll said stop.
 */
static int
take_chunk(struct par *p, struct chunk *c, uint64_t *pos, uint64_t *from)
{
	const uint64_t count = p->io->count;
	int first = 1, proven;
	struct seg *s;

	*from = *pos;
	if (wait_chunk(p, c) != 0)
		return T_STOP;
	proven = c->start == *pos;
	/* pcapng: a reader from a proven start, quiet up to *pos, keeps
	 * the SHBs and IDBs on the way */
	if (p->L.ng && proven)
		*from = c->start;
	if (c->start == NONE)	/* an empty chunk: its worker is done */
		return T_NEXT;
	if (!proven)
		return T_REDO;	/* cannot happen: starts are computed alike */
	for (;;) {
		if (wait_chunk(p, c) != 0)
			return T_STOP;
		if ((s = c->segs) == NULL)
			break;
		if (count && *p->io->taken + s->taken > count)
			return T_REDO;	/* -c falls inside: read it again */
		if ((c->segs = s->next) == NULL)
			c->tail = &c->segs;
		if (c->pending > PEND_BYTES)	/* its worker may wait */
			wake_workers(p);
		c->pending -= s->len;
		if (write_seg(p, c, s, first) != 0) {
			seg_free(p, s);
			return T_STOP;
		}
		first = 0;
		*pos = s->end;
		seg_free(p, s);
		if ((count && *p->io->taken >= count) || poll_locked(p))
			return T_STOP;
	}
	return c->clean && !c->ngstate ? T_NEXT : T_REDO;
}

/* The main thread reading on by itself. */
struct redo {
	struct par *p;
	pcap_t     *pc;
	struct cookie ck;
	uint64_t    quiet;     /* pcapng: records ending here or before   */
			       /* were printed already                    */
	uint64_t    j, js;     /* the next chunk it may land on, and its  */
			       /* start (NONE: none)                      */
	int         landed, stopped;
};

/* The next chunk from j on that has a start, into r->j and r->js. */
static void
next_start(struct redo *r, uint64_t j)
{
	struct par *p = r->p;

	r->js = NONE;
	for (r->j = j; r->j < p->nchunks; r->j++) {
		r->js = chunk_start(&p->L, &p->win, p->csize, r->j);
		if (r->js != NONE)
			return;
	}
}

static void
redo_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *b)
{
	struct redo *r = (struct redo *)user;
	const struct sniff_par_io *io = r->p->io;
	uint64_t at = 0;

	if (r->quiet || r->js != NONE)
		at = reader_pos(r->pc, &r->ck);
	if (r->quiet && at <= r->quiet)
		return;
	(*io->seen)++;
	if (io->prog == NULL || pcap_offline_filter(io->prog, h, b) != 0) {
		(*io->taken)++;
		hdp_print_packet(io->pr, h, b);
		if (io->count && *io->taken >= io->count) {
			r->stopped = 1;
			pcap_breakloop(r->pc);
			return;
		}
	}
	while (r->js != NONE && r->js < at)
		next_start(r, r->j + 1);	/* a start that was wrong */
	/* pcapng: only where no SHB or IDB went by (the walk of the blocks
	 * read, which runs ahead: it may see one past at, never miss one) */
	if (r->js != NONE && r->js == at && !r->ck.state && !r->ck.lost) {
		r->landed = 1;
		pcap_breakloop(r->pc);
	} else if (io->poll != NULL && io->poll(io->arg)) {
		r->stopped = 1;
		pcap_breakloop(r->pc);
	}
}

/*
 * Read from file offset from to the end with the main printer (pcapng:
 * quietly up to quiet).  Stop on landing exactly on the start of a chunk
 * from *j on (pcapng: with no SHB or IDB on the way): R_LANDED, that
 * chunk in *j and its start in *pos.
 * R_END at the end of the file, R_STOP at -c or when poll said so,
 * R_FAIL after a read error (said).
 */
static int
redo(struct par *p, uint64_t from, uint64_t quiet, uint64_t *j,
     uint64_t *pos)
{
	const struct sniff_par_io *io = p->io;
	char err[PCAP_ERRBUF_SIZE];
	struct redo r;
	int lr, res;

	memset(&r, 0, sizeof(r));
	r.p = p;
	r.quiet = quiet > from ? quiet : 0;
	next_start(&r, *j);
	while (r.js != NONE && r.js < from)
		next_start(&r, r.j + 1);
	if (r.js != NONE && r.js == from && r.quiet == 0) {
		*j = r.j;	/* nothing to read: that chunk is next */
		*pos = from;
		return R_LANDED;
	}
	r.ck.fd = io->fd;
	r.ck.L = &p->L;
	r.ck.start = from;
	r.ck.end = NONE;
	r.pc = reader_open(&r.ck, p->iobuf, err);
	if (r.pc == NULL) {
		tool_err("%s: %s", io->name, err);
		return R_FAIL;
	}
	lr = pcap_loop(r.pc, -1, redo_packet, (u_char *)&r);
	if (lr == PCAP_ERROR) {
		tool_err("%s: %s", io->name, pcap_geterr(r.pc));
		res = R_FAIL;
	} else if (r.landed) {
		*j = r.j;
		*pos = r.js;
		res = R_LANDED;
	} else {
		res = r.stopped ? R_STOP : R_END;
	}
	pcap_close(r.pc);
	return res;
}

/* The main thread: the chunks' text in order, reading on itself where
 * a chunk's could not be used. */
static int
par_main(struct par *p)
{
	uint64_t pos = p->L.first, from, j;
	int rc = HDP_EXIT_OK, r, ngstate;

	pthread_mutex_lock(&p->mu);
	while (p->head < p->nchunks) {
		r = take_chunk(p, slot(p, p->head), &pos, &from);
		if (r == T_STOP)
			break;
		/* (a chunk left for -c may still run: no word from it) */
		ngstate = slot(p, p->head)->state == C_DONE &&
			  slot(p, p->head)->ngstate;
		skip_to(p, p->head + 1);
		if (r == T_NEXT) {
			p->io->st.used++;
			continue;
		}
		p->io->st.redo++;
		if (ngstate) {	/* the rest is read alone: stop the workers */
			atomic_store(&p->stop, 1);
			pthread_cond_broadcast(&p->cv_work);
		}
		j = p->head;
		pthread_mutex_unlock(&p->mu);
		r = redo(p, from, pos, &j, &pos);
		pthread_mutex_lock(&p->mu);
		if (r == R_FAIL)
			rc = HDP_EXIT_FAIL;
		if (r != R_LANDED)
			break;
		p->io->st.landed++;
		skip_to(p, j);
	}
	atomic_store(&p->stop, 1);
	pthread_cond_broadcast(&p->cv_work);
	pthread_mutex_unlock(&p->mu);
	return rc;
}

/* ---- set-up ------------------------------------------------------------- */

unsigned
sniff_par_cores(void)
{
	cpu_set_t set;
	int n;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return 1;
	n = CPU_COUNT(&set);
	return n > 0 ? (unsigned)n : 1;
}

static void
first_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *b)
{
	struct redo *r = (struct redo *)user;
	const struct sniff_par_io *io = r->p->io;

	if (io->prog != NULL && pcap_offline_filter(io->prog, h, b) == 0)
		return;
	hdp_printer_mark(io->pr, h);	/* -ttttt counts from it */
	r->landed = 1;
	pcap_breakloop(r->pc);
}

/* -ttttt: the first packet that passes the filter, looked for in chunk
 * 0; -1 when it is not there (then one reader reads the file). */
static int
find_t0(struct par *p)
{
	char err[PCAP_ERRBUF_SIZE];
	struct redo r;
	struct chunk c;

	memset(&r, 0, sizeof(r));
	memset(&c, 0, sizeof(c));
	r.p = p;
	chunk_bounds(p, &p->win, &c);
	r.ck.fd = p->io->fd;
	r.ck.L = &p->L;
	r.ck.start = c.start;
	r.ck.end = c.end;
	if ((r.pc = reader_open(&r.ck, p->iobuf, err)) == NULL)
		return -1;
	pcap_loop(r.pc, -1, first_packet, (u_char *)&r);
	pcap_close(r.pc);
	if (!r.landed)
		return -1;
	p->tfirst = 1;
	p->t0 = p->io->pr->t_first;
	return 0;
}

/* The workers: their printers, buffers and threads (signals go to the
 * main thread).  The number started. */
static unsigned
start_workers(struct par *p, struct wk *wk)
{
	sigset_t all, old;
	unsigned i, n = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < p->nth; i++) {
		struct wk *w = &wk[i];

		w->p = p;
		w->ck.fd = w->win.fd = p->io->fd;
		w->ck.L = &p->L;
		w->iobuf = malloc(IOBUF_BYTES);
		if (w->iobuf == NULL ||
		    hdp_printer_clone(&w->pr, p->io->pr, SEG_CAP) != 0 ||
		    pthread_create(&w->th, NULL, wk_main, w) != 0)
			break;
		w->started = 1;
		n++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return n;
}

static void
stop_workers(struct par *p, struct wk *wk)
{
	unsigned i;

	pthread_mutex_lock(&p->mu);
	atomic_store(&p->stop, 1);
	pthread_cond_broadcast(&p->cv_work);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->nwk; i++) {
		if (wk[i].started)
			pthread_join(wk[i].th, NULL);
		if (wk[i].pr.buf != NULL)
			hdp_printer_finish(&wk[i].pr);
		free(wk[i].iobuf);
	}
}

static void
par_free(struct par *p)
{
	uint64_t i;
	struct seg *s;

	for (i = 0; p->ring != NULL && i < p->W; i++) {
		while ((s = p->ring[i].segs) != NULL) {
			p->ring[i].segs = s->next;
			seg_free(p, s);
		}
		free(p->ring[i].first);
	}
	while (p->npool > 0)
		free(p->pool[--p->npool]);
	free(p->ring);
	free(p->iobuf);
	free(p->L.head);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv_main);
	pthread_cond_destroy(&p->cv_work);
	free(p);
}

/* The file's plan: layout, chunks, threads; -1 when it is not for
 * threads. */
static int
par_plan(struct par *p, struct sniff_par_io *io)
{
	struct hdp_printer *pr = io->pr;

	p->io = io;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv_main, NULL);
	pthread_cond_init(&p->cv_work, NULL);
	if (layout_read(&p->L, io->fd, &p->win) != 0)
		return -1;
	p->csize = io->chunk ? io->chunk : CHUNK_BYTES;
	if (p->L.size < p->L.first + 2 * p->csize)
		return -1;	/* too small to be worth it */
	p->nchunks = (p->L.size - p->L.first + p->csize - 1) / p->csize;
	p->nth = io->threads < p->nchunks ? io->threads : (unsigned)p->nchunks;
	p->W = p->nth + 2;
	p->ring = calloc(p->W, sizeof(*p->ring));
	p->iobuf = malloc(IOBUF_BYTES);	/* touched only if it reads */
	if (p->ring == NULL || p->iobuf == NULL)
		return -1;
	if (pr->mode != HDP_PR_QUIET && pr->time == HDP_PR_TIME_FIRST &&
	    find_t0(p) != 0)
		return -1;
	p->delta = pr->mode != HDP_PR_QUIET && pr->time == HDP_PR_TIME_DELTA;
	hdp_printer_head(pr);	/* --table's header: before any packet */
	return 0;
}

int
sniff_par_read(struct sniff_par_io *io)
{
	struct par *p;
	struct wk *wk = NULL;
	int rc = -1;

	if (io->threads < 2 || (p = calloc(1, sizeof(*p))) == NULL)
		return -1;
	if (par_plan(p, io) != 0 ||
	    (wk = aligned_alloc(_Alignof(struct wk),
				p->nth * sizeof(*wk))) == NULL)
		goto out;
	memset(wk, 0, p->nth * sizeof(*wk));
	p->nwk = p->nth;
	if ((p->nth = start_workers(p, wk)) == 0) {
		stop_workers(p, wk);
		goto out;
	}
	io->st.threads = p->nth;
	io->st.chunks = p->nchunks;
	rc = par_main(p);
	stop_workers(p, wk);
out:
	free(wk);
	par_free(p);
	return rc;
}
