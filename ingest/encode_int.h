/* SPDX-License-Identifier: MIT */
/* Private to ingest/encode*.c: a GOP worker's buffers and how many workers run at once. */
#ifndef CUBEFS_INGEST_ENCODE_INT_H
#define CUBEFS_INGEST_ENCODE_INT_H

#include <stdint.h>

#include "catalog/catalog.h"
#include "ingest/encode.h"
#include "ingest/encode_quality.h"
#include "ingest/source.h"

/* Buffers for one GOP of one variable. */
struct gop_buf {
	void *raw;              /* source elements, native */
	double *val;            /* the same as doubles */
	uint8_t *cls;           /* mask classes */
	double *plane;          /* one plane over the GOP's frames */
	uint16_t *samples;      /* one stream's samples */
	void *decoded;          /* one stream's decoded values */
	double *dec;            /* the same as doubles */
	uint16_t *dsamp;        /* one stream's decoded samples */
	uint16_t *work;         /* the same, corrected */
};

/* Allocates b's arrays for GOPs of up to gop frames of v; -ENOMEM
 * (some may be set: gop_buf_release them). */
int gop_buf_alloc(struct gop_buf *b, const struct cat_var *v, uint32_t gop);

/* Frees b's arrays. */
void gop_buf_release(struct gop_buf *b);

/*
 * GOP workers for jobs GOPs of gop frames of v: one per core, at most
 * ENCODE_MAX_WORKERS, as many as ENCODE_MEMORY_BUDGET holds (buffers and
 * an encoder each), at least one. Thread-safe.
 */
int encode_worker_count(const struct cat_var *v, uint32_t gop,
			uint32_t jobs);

/* The longest GOP, at most gop frames (at least 1), whose worker (its
 * buffers and an encoder, as encode_worker_count() counts them) holds
 * no more than limit bytes. Pure. */
uint32_t encode_gop_fit(const struct cat_var *v, uint32_t gop, size_t limit);

/* What encode.c's import and encode_regop.c's re-encodes share. */

/* Sets the mask class of each of the n values (raw, and as doubles in
 * val) into cls; returns how many are masked. */
size_t encode_classify(const struct cat_var *v, const void *raw,
		       const double *val, uint8_t *cls, size_t n);

/* Frames [f0, f0 + n) of variable vi of src into dst (the source read
 * under the encode lock). */
int encode_read_source(struct source *src, int vi, uint64_t f0,
		       uint64_t n, void *dst);

/* Packs the classes cls of n values (frames [f0, f0 + nf)) into mask m's
 * block, appended to the pack. */
int encode_store_mask(struct encode_ctx *x, struct cat_mask *m,
		      const uint8_t *cls, size_t n, uint32_t f0, uint32_t nf);

/* Encodes one stream's planes of the GOP in b (frames [f0, f0 + n)) into
 * g, whose payload fields it sets; the error of frame f0 + i goes to
 * fq[i], sizes and corrections to qa. */
int encode_stream_gop(struct encode_ctx *x, struct cat_var *v,
		      struct cat_stream *s, struct cat_gop *g,
		      struct gop_buf *b, uint32_t f0, uint32_t n,
		      struct encode_quality *fq, struct encode_quality *qa);

/* Stores the n frames of an lz4 variable's GOP in b as one block in g. */
int encode_lz4_gop(struct encode_ctx *x, struct cat_var *v,
		   struct cat_gop *g, struct gop_buf *b, uint32_t n);

/* Frees g's payload fields and drops its corrections (encoded again). */
void encode_payload_release(struct cat_gop *g);

#endif
