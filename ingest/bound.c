/* SPDX-License-Identifier: MIT */
/* --max-error: sample steps where they suffice, exact values elsewhere, and a check of every value served. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "codec/correct.h"
#include "codec/mask.h"
#include "codec/quant.h"
#include "ingest/bound.h"

/* Larger moves are rare: an exact value keeps the codes packed in 4 bits. */
#define CODE_MAX 8

/* Growing lists of corrections. */
struct corr_lists {
	struct codec_corr c;
	size_t scap, ecap, isz;
};

static int push_sample(struct corr_lists *l, uint32_t pos, int32_t code)
{
	if (l->c.nsamp == l->scap) {
		size_t n = l->scap ? l->scap * 2 : 1024;
		uint32_t *p = realloc(l->c.spos, n * sizeof(*p));
		int32_t *k = p ? realloc(l->c.scode, n * sizeof(*k)) : NULL;

		if (p)
			l->c.spos = p;
		if (!k)
			return -ENOMEM;
		l->c.scode = k;
		l->scap = n;
	}
	l->c.spos[l->c.nsamp] = pos;
	l->c.scode[l->c.nsamp++] = code;
	return 0;
}

static int push_exact(struct corr_lists *l, uint32_t pos, const void *val)
{
	if (l->c.nexact == l->ecap) {
		size_t n = l->ecap ? l->ecap * 2 : 1024;
		uint32_t *p = realloc(l->c.epos, n * sizeof(*p));
		uint8_t *v = p ? realloc(l->c.evals, n * l->isz) : NULL;

		if (p)
			l->c.epos = p;
		if (!v)
			return -ENOMEM;
		l->c.evals = v;
		l->ecap = n;
	}
	l->c.epos[l->c.nexact] = pos;
	memcpy(l->c.evals + l->c.nexact * l->isz, val, l->isz);
	l->c.nexact++;
	return 0;
}

/*
 * The sample step: odd, so that a code moves a sample to within
 * (step - 1) / 2 of the quantized source, which with the quantization's
 * own half step stays inside the bound (1% kept for rounding to the type).
 */
static uint32_t sample_step(const struct codec_quant *q, int nplanes, double e)
{
	double best = 65535;

	for (int k = 0; k < nplanes; k++) {
		double m;

		if (!(q[k].scale > 0))
			continue;
		m = floor((0.99 * e - q[k].scale / 2) / q[k].scale);
		m = m < 0 ? 0 : m;
		if (2 * m + 1 < best)
			best = 2 * m + 1;
	}
	return (uint32_t)best;
}

/* The value served for sample x of plane k, as the reader makes it. */
static double served(const struct bound_gop *b, int k, uint16_t x, void *tmp)
{
	enum dtype t = b->v->dtype;
	double d;

	codec_dequantize(&b->ref->quant[k], &x, t, tmp, 1);
	if (b->ref->fid)
		codec_fidelity_apply(b->ref->fid, &b->ref->quant[k], t, tmp, 1);
	if (b->ref->avoid)
		codec_avoid_value(t, b->ref->avoid, tmp, 1);
	dtype_to_double(t, tmp, &d, 1);
	return d;
}

/* Chooses a correction for each value out of bounds. */
static int find(struct bound_gop *b, struct corr_lists *l)
{
	const struct cat_var *v = b->v;
	const struct cat_stream *s = b->s;
	size_t hw = (size_t)(v->width * v->height), fe = hw * v->nplanes;
	double e = s->max_error;
	uint32_t step = l->c.step;
	int64_t top = (1 << s->bits) - 1;
	uint64_t tmp;
	int rc = 0;

	for (int f = 0; f < b->ref->nframes; f++)
		for (int k = 0; k < s->nplanes; k++) {
			size_t src = f * fe + ((size_t)s->first_plane + k) * hw;
			size_t at = ((size_t)f * s->nplanes + k) * hw;

			for (size_t p = 0; p < hw && !rc; p++) {
				size_t i = src + p, d = at + p;
				int64_t code, x;

				if (b->cls[i] == MASK_KEPT) {
					/* outside the valid range: as it was */
					rc = push_exact(l, (uint32_t)d,
						(const char *)b->raw +
						i * l->isz);
					continue;
				}
				if (b->cls[i] || !(fabs(b->dec[d] - b->val[i]) > e))
					continue;
				code = llround(((double)b->target[d] -
						b->dsamp[d]) / step);
				x = b->dsamp[d] + code * (int64_t)step;
				x = x < 0 ? 0 : x > top ? top : x;
				if (code && code >= -CODE_MAX &&
				    code <= CODE_MAX &&
				    fabs(served(b, k, (uint16_t)x, &tmp) -
					 b->val[i]) <= e) {
					rc = push_sample(l, (uint32_t)d,
							 (int32_t)code);
					continue;
				}
				rc = push_exact(l, (uint32_t)d, (const char *)
						b->raw + i * l->isz);
			}
		}
	return rc;
}

/* Decodes with the corrections as a read does; 0 if all within bound. */
static int check(struct bound_gop *b, const struct codec_corr *c)
{
	const struct cat_var *v = b->v;
	const struct cat_stream *s = b->s;
	size_t hw = (size_t)(v->width * v->height), fe = hw * v->nplanes;
	size_t n = hw * (size_t)s->nplanes * (size_t)b->ref->nframes;

	memcpy(b->work, b->dsamp, n * sizeof(*b->work));
	b->ref->corr = c;
	codec_gop_finish(b->cp, v->dtype, b->ref, b->work, b->decoded);
	b->ref->corr = NULL;
	dtype_to_double(v->dtype, b->decoded, b->dec, n);
	for (int f = 0; f < b->ref->nframes; f++)
		for (int k = 0; k < s->nplanes; k++) {
			size_t src = f * fe + ((size_t)s->first_plane + k) * hw;
			size_t at = ((size_t)f * s->nplanes + k) * hw;

			for (size_t p = 0; p < hw; p++)
				if (!b->cls[src + p] && !(fabs(b->dec[at + p] -
				    b->val[src + p]) <= s->max_error))
					return -EIO;
		}
	return 0;
}

int bound_correct(struct bound_gop *b, uint8_t **blk, size_t *len,
		  uint32_t *ncorr)
{
	size_t n = (size_t)(b->v->width * b->v->height) *
		(size_t)b->s->nplanes * (size_t)b->ref->nframes;
	struct corr_lists l = { .isz = dtype_size(b->v->dtype) };
	int rc;

	*blk = NULL;
	*len = 0;
	*ncorr = 0;
	if (n > UINT32_MAX)
		return -EFBIG;
	l.c.step = sample_step(b->ref->quant, b->s->nplanes, b->s->max_error);
	rc = find(b, &l);
	if (rc || (!l.c.nsamp && !l.c.nexact))
		goto out;
	rc = check(b, &l.c);
	if (rc) {
		log_error("'%s': a value is out of --max-error after "
			  "correction", b->v->name);
		goto out;
	}
	rc = codec_corr_pack(&l.c, b->v->dtype, n, blk, len);
	if (!rc)
		*ncorr = l.c.nsamp + l.c.nexact;
out:
	codec_corr_release(&l.c);
	return rc;
}
