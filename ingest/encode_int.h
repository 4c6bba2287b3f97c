/* SPDX-License-Identifier: MIT */
/* Private to ingest/encode*.c: a GOP worker's buffers and how many workers run at once. */
#ifndef CUBEFS_INGEST_ENCODE_INT_H
#define CUBEFS_INGEST_ENCODE_INT_H

#include <stdint.h>

#include "catalog/catalog.h"

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

#endif
