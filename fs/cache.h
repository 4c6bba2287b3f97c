/* SPDX-License-Identifier: MIT */
/* The decoded-GOP cache: a byte budget, LRU eviction, one decode per GOP however many readers wait. */
#ifndef CUBEFS_FS_CACHE_H
#define CUBEFS_FS_CACHE_H

#include <stddef.h>
#include <stdint.h>

struct cache;
struct cache_entry;

struct cache_stats {
	uint64_t hits;          /* lookups served from memory */
	uint64_t misses;        /* lookups that had to decode or wait */
	uint64_t decodes;       /* GOPs decoded */
	uint64_t waits;         /* lookups that waited for another's decode */
	uint64_t evictions;
	uint64_t errors;        /* decodes that failed */
	uint64_t bytes;         /* bytes held now */
	uint64_t budget;
	uint64_t entries;
};

/*
 * Loads entry e's bytes into dst (room for size bytes): at least bytes
 * *from to *to (on entry, what the caller needs), and sets them to the
 * bytes it loaded (a decode may do part of an entry: *from 0, it loaded
 * a first part, and may hand it out on the way, cache_loaded()).
 * Returns 0 or a negative errno: -EIO only when the stored bytes are
 * damaged (the cache remembers it), any other for a failure that a later
 * load may not meet (out of memory, of descriptors ...). A failed load
 * leaves the bytes it handed out as they were.
 */
typedef int (*cache_load_fn)(void *arg, struct cache_entry *e, void *dst,
			     size_t size, size_t *from, size_t *to);

/* A cache holding at most budget bytes of unreferenced entries. */
int cache_new(size_t budget, struct cache **out);

/* Frees the cache; every entry must have been put back. NULL: nothing. */
void cache_free(struct cache *c);

/*
 * Finds entry (k1, k2) of `size` bytes whose bytes from `from` to `to`
 * are loaded, loading it with load(arg) on a miss. An entry loaded only in
 * part and asked for more is loaded again whole (in place if nobody holds
 * it, else into a new entry while the old one lives on for its holders).
 * While one thread loads, others asking for the same key wait for
 * it rather than loading again. A load that fails with -EIO (damage) is
 * remembered: later gets of that key return -EIO without loading (the
 * first failure is the one logged), until cache_invalidate(). Any other
 * failure is returned to the get that loaded and forgotten: the next get
 * of the key loads again, and gets waiting for that load look again
 * (one of them loads). On success *out holds a reference: read its data
 * with cache_entry_data() and release it with cache_put(). Thread-safe.
 */
int cache_get(struct cache *c, uint64_t k1, uint64_t k2, size_t size,
	      size_t from, size_t to, cache_load_fn load, void *arg,
	      struct cache_entry **out);

/*
 * cache_get() for a window read (fs/window.h). keep: the reader comes
 * back to the entry for other bytes until its window is done, so it counts
 * as one a read is in the middle of (evicted last, the least recently read
 * first) even when this read reaches its end, whatever reads did before.
 * !keep: the read only passes by (the kernel's read-ahead spilling into a
 * GOP beside the window): an entry nothing else has read is evicted first,
 * one a read is in the middle of stays so. Thread-safe.
 */
int cache_get_window(struct cache *c, uint64_t k1, uint64_t k2, size_t size,
		     size_t from, size_t to, int keep, cache_load_fn load,
		     void *arg, struct cache_entry **out);

/*
 * Read-ahead: loads entry (k1, k2) whole unless it is present whole or
 * being loaded by another thread, or there is no room for it: it evicts
 * only entries a read went through to the end, and never lets entries
 * no read has gone through (and loads) take more than three quarters of
 * the budget. Returns without waiting: 1 if it was there or had no room, 0
 * once loaded (unreferenced, so the LRU may evict it), or the load's
 * negative errno. Many threads can load different entries ahead at once.
 * Thread-safe.
 */
int cache_load_ahead(struct cache *c, uint64_t k1, uint64_t k2, size_t size,
		     cache_load_fn load, void *arg);

/*
 * From a load of e: its first `to` bytes are final (only a load of a
 * first part tells). Threads waiting for no more than those go on with e
 * while the load goes on (a reader waiting for the GOP read-ahead
 * decodes gets its first frames as they come). Thread-safe.
 */
void cache_loaded(struct cache *c, struct cache_entry *e, size_t to);

/* The byte budget given to cache_new(). */
size_t cache_budget(struct cache *c);

/* The entry's bytes, valid until cache_put(). */
const void *cache_entry_data(const struct cache_entry *e);

/* Releases a reference from cache_get(). */
void cache_put(struct cache *c, struct cache_entry *e);

/*
 * cache_put() from a sequential reader that went through to e's end: e
 * then gives its buffer to the next entry of its size loaded (the least
 * recent such one first), before the budget is full, rather than that
 * entry taking fresh memory. The reader will not come back (the kernel's
 * page cache holds what it read); zeroing fresh pages is what it saves.
 */
void cache_put_passed(struct cache *c, struct cache_entry *e);

/* Drops every unreferenced entry whose k1 equals k1 (after a commit). */
void cache_invalidate(struct cache *c, uint64_t k1);

/* A snapshot of the counters. */
void cache_get_stats(struct cache *c, struct cache_stats *s);

#endif
