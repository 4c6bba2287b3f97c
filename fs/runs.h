/* SPDX-License-Identifier: MIT */
/* The sequential-read tracker: which reads continue an earlier one. */
#ifndef CUBEFS_FS_RUNS_H
#define CUBEFS_FS_RUNS_H

#include <stdint.h>

/* Bytes: how far out of order a run's reads come (the kernel's concurrent
 * requests of one reader). */
#define RUNS_NEAR (2ull << 20)

/*
 * A fixed table of runs, each a key (a file, a variable), where its
 * latest read ended and how much it has read in a row. Several readers
 * of one key at different places keep a run each: a read continues the
 * run whose end it starts near, as the kernel keeps one read-ahead state
 * per open file. A new run takes the place of the least recently read.
 */
struct runs;

/* A table of `slots` runs (at least 1). Returns NULL out of memory. */
struct runs *runs_new(int slots);

/* Frees the table. NULL: nothing. */
void runs_free(struct runs *t);

/*
 * Notes a read of [off, off + n) of key. It continues the run of key
 * whose end it starts within `near` of, before or after (the kernel's
 * concurrent requests come a little out of order); else it starts a new
 * run. Returns the run's id (never 0) and sets *len to the units the run
 * has read, this read included (more than n if it continued one), and
 * *from (unless NULL) to where its first read started. Thread-safe.
 */
uint64_t runs_note(struct runs *t, uint64_t key, uint64_t off, uint64_t n,
		   uint64_t near, uint64_t *len, uint64_t *from);

/*
 * Where a read stands in its sequential run: computed once on the read
 * path (runs_hint()) and passed down, so that the reader (whole GOPs for
 * a run, reader_read_view_hint()) and read-ahead (prefetch_note()) agree.
 */
struct read_hint {
	uint64_t run;           /* the run's id (runs_get()) */
	uint64_t from;          /* where the run's first read started */
	uint64_t before;        /* bytes the run read in a row before this
				   read; 0: the read starts a run */
	uint64_t len;           /* bytes read in a row, this read included */
	int follow;             /* read-ahead follows the run: a GOP the
				   reader decodes itself gets one codec thread,
				   the other cores are read-ahead's */
};

/*
 * Notes a read of bytes [off, off + n) of key (an inode, or a dataset's
 * variable) with runs_note() within RUNS_NEAR, and describes it in *h
 * (follow 0: read-ahead decides). Thread-safe.
 */
void runs_hint(struct runs *t, uint64_t key, uint64_t off, uint64_t n,
	       struct read_hint *h);

/*
 * Where run id ends now, in *end, and how long it is, in *len. Returns
 * 0, or -ENOENT if a newer run has taken its place. Thread-safe.
 */
int runs_get(struct runs *t, uint64_t id, uint64_t *end, uint64_t *len);

#endif
