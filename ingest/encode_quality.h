/* SPDX-License-Identifier: MIT */
/* Accumulators of what encoding measured (ingest/ only; struct encode_quality is in encode.h). */
#ifndef CUBEFS_INGEST_ENCODE_QUALITY_H
#define CUBEFS_INGEST_ENCODE_QUALITY_H

#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "ingest/encode.h"

/* Adds to q the error of n decoded values dec against src, over the
 * valid positions (cls 0), and their range. */
void encq_measure(struct encode_quality *q, const double *src,
		  const double *dec, const uint8_t *cls, size_t n);

/* Counts the valid values of data stored exactly, and their range. */
void encq_widen_range(struct encode_quality *q, const double *v,
		       const uint8_t *cls, size_t n);

/* Adds q to into: errors, counts, range, bytes and corrections. */
void encq_merge(struct encode_quality *into,
		const struct encode_quality *q);

/* Empty accumulators for the n frames of a GOP (free() them). */
struct encode_quality *encq_frames_new(uint32_t n);

/* Adds the GOP's frames (f0, n of them) to qa and records each in
 * v->frameq when it has one. */
void encq_keep_frames(struct cat_var *v, uint32_t f0, uint32_t n,
		      const struct encode_quality *fq,
		      struct encode_quality *qa);

#endif
