/* SPDX-License-Identifier: MIT */
/* Reading views and variables of a store: extents -> frames -> cached GOP decodes -> bytes. */
#ifndef CUBEFS_FS_READER_H
#define CUBEFS_FS_READER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "catalog/catalog.h"
#include "codec/video.h"
#include "fs/cache.h"
#include "fs/runs.h"

struct reader;

/*
 * Loads every dataset of the store (its rows, checked) and prepares to
 * read them through a cache of cache_bytes. The catalog is not used
 * after this returns: reads make no SQLite query. The reader is
 * thread-safe for reads.
 */
int reader_new(struct catalog *c, size_t cache_bytes, struct reader **out);

/* Frees the reader; NULL does nothing. */
void reader_free(struct reader *r);

/*
 * Loads every dataset's rows from the catalog into *ds and *n (freed
 * with catalog_dataset_free_all()) and opens the packs they may name,
 * for reader_swap(): the slow half of a reload, done while reads go on.
 * The caller serializes loads (c is its catalog). Returns 0 or a
 * negative errno; the reader is unchanged either way.
 */
int reader_load(struct reader *r, struct catalog *c,
		struct cat_dataset ***ds, int *n);

/*
 * Installs the datasets *ds, *n from reader_load() and hands back the
 * ones they replace in *ds, *n (the caller frees them once no read can
 * use them). Drops the cached GOPs of every dataset that went or whose
 * mtime changed, so that no read of the new rows finds a decode of the
 * old ones. Not thread-safe against reads: the caller excludes readers
 * (no read may hold or be loading a cache entry of a changed dataset).
 */
void reader_swap(struct reader *r, struct cat_dataset ***ds, int *n);

/* The datasets, ordered by name; owned by the reader. */
int reader_ndatasets(const struct reader *r);
struct cat_dataset *reader_dataset(const struct reader *r, int i);

/* The dataset of that name, or NULL. */
struct cat_dataset *reader_find(const struct reader *r, const char *name);

/*
 * Reads up to len bytes of view w of ds at off into buf. Returns the
 * bytes read (short only at the end of the view, 0 past it) or a
 * negative errno: -EIO when a GOP the range needs is missing or corrupt
 * (logged once for that GOP). Thread-safe.
 */
ssize_t reader_read_view(struct reader *r, const struct cat_dataset *ds,
			 const struct cat_view *w, void *buf, size_t len,
			 uint64_t off);

/*
 * reader_read_view() for a read whose caller tracks sequential runs
 * (fs_read(), runs_hint()); reader_read_view() notes runs of each
 * variable itself. A read that continues a run (h->before) or starts at
 * a variable's first element decodes its GOPs whole; if read-ahead
 * follows it (h->follow), a GOP it decodes itself gets one codec thread,
 * leaving the other cores to read-ahead (reader_prefetch()) of the GOPs
 * after it. Thread-safe.
 */
ssize_t reader_read_view_hint(struct reader *r, const struct cat_dataset *ds,
			      const struct cat_view *w, void *buf, size_t len,
			      uint64_t off, const struct read_hint *h);

/*
 * Reads n elements of variable vi of ds from element e into dst, in the
 * native or big-endian byte order. Returns 0 or a negative errno.
 */
int reader_read_elems(struct reader *r, const struct cat_dataset *ds, int vi,
		      uint64_t e, uint64_t n, int big_endian, void *dst);

/*
 * The frames [*first, *first + *n) of the GOP that holds frame f of
 * plane `plane` of variable v: what one decode brings into the cache.
 * Returns 0, or -EIO if the rows have no such GOP.
 */
int reader_frame_gop(const struct cat_var *v, uint64_t plane, uint64_t f,
		     uint32_t *first, uint32_t *n);

/*
 * Decodes into the cache the GOPs after the ones byte off of view w is
 * in (which the reader decodes itself), up to `ahead` bytes of them (at
 * least the next GOP, at most half the cache), without copying anything
 * out: read-ahead for a sequential reader, one codec thread per GOP. GOPs present or being
 * decoded by another thread are skipped, not waited for: several
 * threads calling this on the same range decode different GOPs in
 * parallel. Errors are left for the read that needs the bytes.
 * Thread-safe.
 */
void reader_prefetch(struct reader *r, const struct cat_dataset *ds,
		     const struct cat_view *w, uint64_t off, uint64_t ahead);

/* The cache's byte budget. */
size_t reader_cache_budget(struct reader *r);

/* The cache's counters. */
void reader_stats(struct reader *r, struct cache_stats *s);

/* The counters of its idle decoders (codec_pool_new()). */
void reader_decoder_stats(struct reader *r, struct codec_pool_stats *s);

#endif
