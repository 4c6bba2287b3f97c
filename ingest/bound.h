/* SPDX-License-Identifier: MIT */
/* --max-error: the corrections that bring every value of one encoded GOP within the bound (internal to ingest/). */
#ifndef CUBEFS_INGEST_BOUND_H
#define CUBEFS_INGEST_BOUND_H

#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "codec/gop.h"

/* One stream's GOP as encoded and decoded, with its source. */
struct bound_gop {
	const struct cat_var *v;
	const struct cat_stream *s;
	const struct codec_params *cp;
	struct codec_gop_ref *ref;      /* quant, avoid, nframes; corr is set
					   while checking */
	const void *raw;                /* source elements, all planes:
					   [frame][plane][y][x] */
	const double *val;              /* the same as doubles */
	const uint8_t *cls;             /* their mask classes */
	const uint16_t *target;         /* the stream's quantized source */
	const uint16_t *dsamp;          /* the stream's decoded samples */
	uint16_t *work;                 /* scratch, as many samples */
	void *decoded;                  /* out: values served, as the type */
	double *dec;                    /* in: served without corrections;
					   out: with them */
};

/*
 * Finds the valid values of b further than the stream's max_error from
 * the source and corrects them: by a sample step where one is close
 * enough, else by the exact value. Then decodes the GOP with its
 * corrections exactly as a read does and checks every valid value.
 * On success *blk (malloc'd, *len bytes; NULL when nothing needed
 * correcting) holds the corrections, *ncorr their number, and b->dec the
 * values served. Returns 0, -ENOMEM, -EFBIG (a GOP over 2^32 values),
 * or -EIO if the check fails (a bug: logged).
 */
int bound_correct(struct bound_gop *b, uint8_t **blk, size_t *len,
		  uint32_t *ncorr);

#endif
