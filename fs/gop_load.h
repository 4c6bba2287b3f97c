/* SPDX-License-Identifier: MIT */
/* Loading a GOP for the cache: payload read and checked, decoded, masked. */
#ifndef CUBEFS_FS_GOP_LOAD_H
#define CUBEFS_FS_GOP_LOAD_H

#include <semaphore.h>
#include <stdatomic.h>
#include <stddef.h>

#include "catalog/catalog.h"
#include "catalog/pack.h"
#include "codec/video.h"
#include "fs/cache.h"

/*
 * What a load of GOP g of stream s of variable v needs. The caller owns
 * every pointer and keeps them valid for the load; the reader fills one
 * on its stack for each cache_get() or cache_load_ahead().
 */
struct gop_load {
	struct pack_reader *packs;      /* where the payloads lie */
	struct cache *cache;            /* hands decoded frames out early */
	struct codec_pool *decoders;
	atomic_int *busy;       /* codec threads decoding GOPs */
	sem_t *decoding;        /* taken for each decode (NULL: none) */
	const struct cat_var *v;
	const struct cat_stream *s;
	const struct cat_gop *g;
	int threads;            /* codec threads; 0: automatic */
	int counted;            /* its threads are in *busy already */
	struct cache_entry *e;  /* being loaded */
	int whole;              /* decode the whole GOP, even if a part would
				   do: the reader is sequential */
	int entered;            /* the read runs on into this GOP from the
				   one before */
};

/*
 * A cache_load_fn (see fs/cache.h) for arg, a struct gop_load: reads the
 * GOP's payload (and corrections) from its pack, checks its checksum,
 * decodes the frames [*from, *to) needs (or all; *from and *to say which
 * it decoded) into dst of size bytes and applies the variable's masks.
 * Returns 0; -EIO (logged as corruption, naming the variable and GOP)
 * when the stored bytes are damaged: missing from their pack, not
 * matching their checksum, or not decoding; or, for any other failure
 * (out of memory or descriptors, a decoder that cannot be opened ...),
 * its own negative errno (logged as what it is): a later load may work.
 * Thread-safe for distinct dst.
 */
int gop_load(void *arg, struct cache_entry *e, void *dst, size_t size,
	     size_t *from, size_t *to);

#endif
