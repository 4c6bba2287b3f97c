/* SPDX-License-Identifier: MIT */
/* Read-ahead: bytes after long sequential runs, decoded by a worker pool. */
#ifndef CUBEFS_FS_PREFETCH_H
#define CUBEFS_FS_PREFETCH_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "fs/runs.h"

#define PF_QUEUE 16
#define PF_WORKERS 8            /* at most; one per core */
#define PF_SPAN_MIN (4ull << 20)
#define PF_SPAN_MAX (256ull << 20)
#define PF_RUN (16ull << 20)    /* sequential bytes before read-ahead starts:
				 * more than one time step of big frames, so
				 * that random whole steps decode no GOP ahead */
#define PF_FIRST (1ull << 20)   /* the bytes of a run from the file's start
				 * that make it sequential: more than numpy
				 * reads of a header, or the kernel of a page
				 * faulted in there */

/* Decodes into the cache what byte off of file key needs and `ahead`
 * bytes after it, waiting for nothing another thread decodes
 * (reader_prefetch()). */
typedef void (*prefetch_fn)(void *arg, uint64_t key, uint64_t off,
			    uint64_t ahead);

/* Embedded in its owner; the fields are the module's own. */
struct prefetch {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread[PF_WORKERS];
	int running, stop;              /* running: workers started */
	uint64_t span;                  /* bytes decoded ahead of a run */
	prefetch_fn fn;
	void *arg;
	/* one waiting request per run, moved on by the run's later reads:
	 * a worker takes it up from where the run ends then */
	struct { uint64_t key, run, off, len; } q[PF_QUEUE];
	int head, n;
	int busy;                       /* workers in fn() */
	pthread_cond_t idle;            /* signalled when n and busy are 0 */
};

/* Sets pf up with no workers (prefetch_note() then does nothing).
 * Returns 0. */
int prefetch_init(struct prefetch *pf);

/*
 * Starts one worker per online core (at most PF_WORKERS), each calling
 * fn(arg, ...) on requests; span: the bytes decoded ahead of a run. The
 * workers run at a lower priority than the threads that serve reads: a
 * guess about what comes next never slows a read that waits. Returns 0,
 * or a negative errno if no worker started.
 */
int prefetch_start(struct prefetch *pf, uint64_t span, prefetch_fn fn,
		   void *arg);

/*
 * Notes that got bytes of file key are read at off (before they are:
 * the workers then decode ahead while the read decodes its own), h
 * being where the read stands in its run (runs_hint()). Once a reader
 * has read PF_RUN bytes in a row, or PF_FIRST from the file's first
 * PF_FIRST bytes on (dd, cp, np.load, the data after a header), a
 * request is queued for the workers: from where the reader is when one
 * takes it up, four times as many bytes ahead as the reader has read in
 * a row, up to the span (as the kernel's read-ahead window grows with a
 * sequential run). Returns 1 if the run is such a reader (read-ahead
 * follows it: the caller sets h->follow), else 0. Thread-safe.
 */
int prefetch_note(struct prefetch *pf, uint64_t key, uint64_t off,
		  size_t got, const struct read_hint *h);

/*
 * Waits until no request is queued and no worker is in fn() (at once
 * without workers), at most timeout_ms: what has been noted so far is then
 * all done. For tests, which assert on what the workers did. Returns 0, or
 * -ETIMEDOUT. Thread-safe.
 */
int prefetch_wait_idle(struct prefetch *pf, int timeout_ms);

/* Stops and joins the workers (finishing the decodes they are in), and
 * frees what pf holds. */
void prefetch_release(struct prefetch *pf);

#endif
