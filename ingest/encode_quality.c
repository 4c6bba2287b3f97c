/* SPDX-License-Identifier: MIT */
/* What encoding measured: error against the source per frame and per variable, and PSNR of it. */
#include <math.h>
#include <stdlib.h>

#include "base/psnr.h"
#include "codec/mask.h"
#include "ingest/encode_quality.h"

void encq_measure(struct encode_quality *q, const double *src,
		  const double *dec, const uint8_t *cls, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		double e;

		/* exact values come back as they were: no error */
		if (cls[i] && cls[i] < MASK_EXACT)
			continue;
		e = cls[i] ? 0 : fabs(dec[i] - src[i]);
		q->sse += e * e;
		if (e > q->max_err)
			q->max_err = e;
		if (src[i] < q->lo)
			q->lo = src[i];
		if (src[i] > q->hi)
			q->hi = src[i];
		q->n++;
	}
}

/* Counts the valid values of data stored exactly, and their range. */
void encq_widen_range(struct encode_quality *q, const double *v,
		       const uint8_t *cls, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (cls[i] && cls[i] < MASK_EXACT)
			continue;
		q->lo = v[i] < q->lo ? v[i] : q->lo;
		q->hi = v[i] > q->hi ? v[i] : q->hi;
		q->n++;
	}
}

void encq_merge(struct encode_quality *into,
		const struct encode_quality *q)
{
	into->sse += q->sse;
	into->n += q->n;
	into->max_err = q->max_err > into->max_err ? q->max_err :
		into->max_err;
	into->lo = q->lo < into->lo ? q->lo : into->lo;
	into->hi = q->hi > into->hi ? q->hi : into->hi;
	into->ncorr += q->ncorr;
	into->corr_bytes += q->corr_bytes;
	into->bytes += q->bytes;
	into->values += q->values;
}

/* Empty accumulators for the n frames of a GOP. */
struct encode_quality *encq_frames_new(uint32_t n)
{
	struct encode_quality *fq = calloc((size_t)n + 1, sizeof(*fq));

	for (uint32_t f = 0; fq && f < n; f++)
		fq[f] = (struct encode_quality)ENCODE_QUALITY_INIT;
	return fq;
}

/* Adds the GOP's frames (f0, n of them) to qa and records each in
 * v->frameq when it has one. */
void encq_keep_frames(struct cat_var *v, uint32_t f0, uint32_t n,
		      const struct encode_quality *fq,
		      struct encode_quality *qa)
{
	for (uint32_t f = 0; f < n; f++) {
		encq_merge(qa, &fq[f]);
		if (v->frameq && f0 + f < v->nframes)
			v->frameq[f0 + f] = (struct cat_frameq){
				.count = fq[f].n, .sse = fq[f].sse,
				.max_err = fq[f].max_err };
	}
}

double encode_psnr(const struct encode_quality *q, double range)
{
	if (range > 0)
		return psnr_db(q->sse, q->n, 0, range);
	return psnr_db(q->sse, q->n, q->lo, q->hi);
}
