/* SPDX-License-Identifier: MIT */
/* Window reads: random readers that come back to the GOPs they read a moment ago. */
#ifndef CUBEFS_FS_WINDOW_H
#define CUBEFS_FS_WINDOW_H

#include <stdint.h>

/*
 * A sampler that shuffles time steps a few GOPs at a time (a window, as
 * python/cubefs_sampler.py does) reads scattered frames of the same GOPs
 * until the window is done. A GOP decoded whole at its first read then
 * serves every later one, and must stay in the cache meanwhile even when a
 * read reaches its end. A plain random reader over data larger than the
 * cache rarely comes back to a GOP, and is better served by decoding only
 * the frames it asks for. The tracker tells the two apart from the last
 * GOPs random reads touched: once a good share of random reads (about a
 * third, over the last few dozen) land in a GOP read a moment before at
 * another frame, reads are window reads.
 */
struct window;

/* A tracker remembering the last `slots` GOPs (at least 1) random reads
 * touched. NULL out of memory. */
struct window *window_new(int slots);

/* Frees the tracker. NULL: nothing. */
void window_free(struct window *w);

/*
 * Notes a random read (one no sequential run continues) of frame f of GOP
 * (k1, k2) (a stream's id and the GOP's index). Returns 1 if random reads
 * are window reads now (this one included), else 0. Thread-safe.
 */
int window_note(struct window *w, uint64_t k1, uint64_t k2, uint64_t f);

/* Whether random reads are window reads now, noting nothing. Thread-safe. */
int window_active(struct window *w);

#endif
