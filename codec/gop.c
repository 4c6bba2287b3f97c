/* SPDX-License-Identifier: MIT */
/* Decoding a stored GOP into typed values, and restoring masked positions. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codec/block.h"
#include "codec/gop.h"
#include "codec/mask.h"

/* Dequantizes n samples of s (which may lie in the tail of dst, see
 * below) through a small buffer, so that the loop has no aliasing. */
static void dequantize_from(const struct codec_quant *q, const uint16_t *s,
			    enum dtype t, char *dst, size_t n)
{
	enum { CHUNK = 4096 };
	uint16_t tmp[CHUNK];
	size_t isz = dtype_size(t);

	for (size_t i = 0; i < n; i += CHUNK) {
		size_t k = n - i < CHUNK ? n - i : CHUNK;

		memcpy(tmp, s + i, k * sizeof(*tmp));
		codec_dequantize(q, tmp, t, dst + i * isz, k);
	}
}

/* The frames a decode of g produces. */
static int gop_frames(const struct codec_gop_ref *g)
{
	return g->upto > 0 && g->upto < g->nframes ? g->upto : g->nframes;
}

/* Dequantizes frames [f0, f1) of the samples s into dst, and moves
 * values off g->fid and g->avoid: what codec_gop_finish() does without
 * corrections. */
static void finish_frames(const struct codec_params *p, enum dtype t,
			  const struct codec_gop_ref *g, const uint16_t *s,
			  void *dst, int f0, int f1)
{
	size_t plane = (size_t)p->width * (size_t)p->height;
	size_t isz = dtype_size(t), fv = plane * (size_t)p->planes;

	for (int f = f0; f < f1; f++)
		for (int k = 0; k < p->planes; k++) {
			size_t at = ((size_t)f * p->planes + k) * plane;

			dequantize_from(&g->quant[k], s + at, t,
					(char *)dst + at * isz, plane);
			if (g->fid)
				codec_fidelity_apply(g->fid, &g->quant[k], t,
						     (char *)dst + at * isz,
						     plane);
		}
	if (g->avoid && f1 > f0)
		codec_avoid_value(t, g->avoid, (char *)dst + f0 * fv * isz,
				  (size_t)(f1 - f0) * fv);
}

/* A decode whose frames become values as they come out of the decoder. */
struct values {
	const struct codec_params *p;
	enum dtype t;
	const struct codec_gop_ref *g;
	char *dst;
	int first;
	int next;                       /* frames first to next - 1 are
					   values, in a row */
};

/* Dequantizes frame f straight from the decoder's picture into its place
 * in dst, row by row through a small buffer where the samples need
 * converting, and moves values off g->avoid. */
static void put_values(void *arg, int f, const struct codec_picture *pic)
{
	enum { CHUNK = 4096 };
	struct values *k = arg;
	const struct codec_params *p = k->p;
	size_t w = (size_t)p->width, plane = w * (size_t)p->height;
	size_t isz = dtype_size(k->t), fv = plane * (size_t)p->planes;
	char *out = k->dst + (size_t)f * fv * isz;
	uint16_t tmp[CHUNK];

	for (int pl = 0; pl < p->planes; pl++) {
		for (int y = 0; y < p->height; y++)
			for (size_t x = 0; x < w; x += CHUNK) {
				int n = (int)(w - x < CHUNK ? w - x : CHUNK);
				const uint16_t *r = codec_picture_row(pic, pl, y,
					(int)x, n, tmp);

				codec_dequantize(&k->g->quant[pl], r, k->t,
						 out + (pl * plane + y * w + x) *
						 isz, (size_t)n);
			}
		if (k->g->fid)
			codec_fidelity_apply(k->g->fid, &k->g->quant[pl], k->t,
					     out + pl * plane * isz, plane);
	}
	if (k->g->avoid)
		codec_avoid_value(k->t, k->g->avoid, out, fv);
	if (f != k->next)
		return;
	k->next++;
	/* readers wait on a prefix of the GOP */
	if (k->g->frames && k->first == 0)
		k->g->frames(k->g->arg, (size_t)k->next * fv * isz);
}

/* codec_gop_decode() of a video GOP without corrections: each frame
 * goes from the decoder's picture to values in dst, with no samples in
 * between. */
static int decode_values(const struct codec_params *p, enum dtype t,
			 const struct codec_gop_ref *g, void *dst)
{
	size_t fb = (size_t)p->width * (size_t)p->height *
		(size_t)p->planes * dtype_size(t);
	struct values k = { .p = p, .t = t, .g = g, .dst = dst,
			    .first = g->first, .next = g->first };
	struct codec_sink out = { .put = put_values, .arg = &k };
	int rc;

	rc = codec_video_decode(p, g, &out);
	if (rc && g->nframes > 0) {
		/* the frames readers were told of stay as they were */
		size_t kept = k.first == 0 ? (size_t)k.next * fb : 0;

		memset((char *)dst + kept, 0, (size_t)g->nframes * fb - kept);
	}
	return rc;
}

int codec_gop_decode(const struct codec_params *p, enum dtype t,
		     const struct codec_gop_ref *g, void *dst)
{
	size_t plane = (size_t)p->width * (size_t)p->height;
	size_t n = plane * (size_t)p->planes * (size_t)g->nframes;
	size_t isz = dtype_size(t);
	uint16_t *s = NULL, *own = NULL;
	struct codec_gop_ref whole;
	int rc;

	if (p->codec == CODEC_LZ4)
		return codec_block_unpack(g->data, g->size, dst, n * isz);
	if (!g->corr)
		return decode_values(p, t, g, dst);
	/*
	 * Corrections go over the whole GOP's samples first: no frame is
	 * final before the last is decoded. Values of 2 bytes or more: the
	 * samples are decoded into the tail of dst itself (no buffer of a
	 * GOP's size to allocate and fault in), then dequantized in
	 * increasing order: value i ends at byte (i + 1) * isz, never past
	 * sample i + 1, which starts at byte n * (isz - 2) + 2 * (i + 1).
	 */
	if (isz >= 2)
		s = (uint16_t *)((char *)dst + n * (isz - 2));
	else
		s = own = malloc(n * sizeof(*s));
	if (!s) {
		memset(dst, 0, n * isz);
		return -ENOMEM;
	}
	/* corrections need the frames from the first on */
	whole = *g;
	whole.first = 0;
	rc = codec_video_decode(p, &whole, &(struct codec_sink){
		.samples = s });
	if (rc)
		memset(dst, 0, n * isz);
	else
		codec_gop_finish(p, t, g, s, dst);
	free(own);
	return rc;
}

void codec_gop_finish(const struct codec_params *p, enum dtype t,
		      const struct codec_gop_ref *g, uint16_t *s, void *dst)
{
	size_t plane = (size_t)p->width * (size_t)p->height;
	size_t nv = plane * (size_t)p->planes * (size_t)gop_frames(g);

	if (g->corr)
		codec_corr_samples(g->corr, s, p->bits, nv);
	finish_frames(p, t, g, s, dst, 0, gop_frames(g));
	if (g->corr)
		codec_corr_values(g->corr, t, dst, nv);
}

#define AVOID(type, next)						\
	do {								\
		type f, *d = dst;					\
		memcpy(&f, fill, sizeof(f));				\
		for (size_t i = 0; i < n; i++)				\
			if (d[i] == f)					\
				d[i] = next;				\
	} while (0)

void codec_avoid_value(enum dtype t, const void *fill, void *dst, size_t n)
{
	switch (t) {
	case DTYPE_F32: AVOID(float, nextafterf(f, f > 0 ? 0.0f : 1.0f)); break;
	case DTYPE_F64: AVOID(double, nextafter(f, f > 0 ? 0.0 : 1.0)); break;
	case DTYPE_I8: AVOID(int8_t, (int8_t)(f == INT8_MAX ? f - 1 : f + 1)); break;
	case DTYPE_U8: AVOID(uint8_t, (uint8_t)(f == UINT8_MAX ? f - 1 : f + 1)); break;
	case DTYPE_I16: AVOID(int16_t, (int16_t)(f == INT16_MAX ? f - 1 : f + 1)); break;
	case DTYPE_U16: AVOID(uint16_t, (uint16_t)(f == UINT16_MAX ? f - 1 : f + 1)); break;
	case DTYPE_I32: AVOID(int32_t, f == INT32_MAX ? f - 1 : f + 1); break;
	case DTYPE_U32: AVOID(uint32_t, f == UINT32_MAX ? f - 1 : f + 1); break;
	case DTYPE_I64: AVOID(int64_t, f == INT64_MAX ? f - 1 : f + 1); break;
	case DTYPE_U64: AVOID(uint64_t, f == UINT64_MAX ? f - 1 : f + 1); break;
	default: break;
	}
}

void codec_mask_apply(const uint8_t *cls, size_t n, enum dtype t,
		      const void *fill, void *dst)
{
	size_t isz = dtype_size(t);
	uint8_t nanv[8] = { 0 }, zero[8] = { 0 };
	const void *fv = fill ? fill : zero;

	if (t == DTYPE_F32) {
		float f = NAN;

		memcpy(nanv, &f, sizeof(f));
	} else if (t == DTYPE_F64) {
		double d = NAN;

		memcpy(nanv, &d, sizeof(d));
	} else {
		memcpy(nanv, fv, isz);
	}
	for (size_t i = 0; i < n; i++) {
		if (cls[i] == MASK_NAN)
			memcpy((char *)dst + i * isz, nanv, isz);
		else if (cls[i] == MASK_FILL)
			memcpy((char *)dst + i * isz, fv, isz);
	}
}

/* Clamps to [a, b], then moves values equal to an exact value e inward:
 * up from the lower half of [a, b], down from the upper. */
#define FIDELITY(type, up, down)					\
	do {								\
		type *d = dst;						\
		for (size_t i = 0; i < n; i++) {			\
			double x = (double)d[i];			\
			if (x < a || x > b)				\
				d[i] = (type)(x < a ? a : b);		\
		}							\
		for (int k = 0; k < f->nexact; k++) {			\
			double e = f->exact[k];				\
			type te = (type)e, to;				\
			if (e < a || e > b || a == b || (double)te != e) \
				continue;				\
			to = e < a + (b - a) / 2 ? (up) : (down);	\
			for (size_t i = 0; i < n; i++)			\
				if (d[i] == te)				\
					d[i] = to;			\
		}							\
	} while (0)

void codec_fidelity_apply(const struct codec_fidelity *f,
			  const struct codec_quant *q, enum dtype t, void *dst,
			  size_t n)
{
	double a = f->lo, b = f->hi;

	/* a plane's range lies inside the valid range unless the source
	 * itself left it in that plane: its own range holds then */
	if (q && q->min <= q->max) {
		a = q->min;
		b = q->max;
	}
	if (!(a <= b))
		return;
	switch (t) {
	case DTYPE_F32: FIDELITY(float, nextafterf(te, INFINITY),
				 nextafterf(te, -INFINITY)); break;
	case DTYPE_F64: FIDELITY(double, nextafter(te, INFINITY),
				 nextafter(te, -INFINITY)); break;
	case DTYPE_I8: FIDELITY(int8_t, te + 1, te - 1); break;
	case DTYPE_U8: FIDELITY(uint8_t, te + 1, te - 1); break;
	case DTYPE_I16: FIDELITY(int16_t, te + 1, te - 1); break;
	case DTYPE_U16: FIDELITY(uint16_t, te + 1, te - 1); break;
	case DTYPE_I32: FIDELITY(int32_t, te + 1, te - 1); break;
	case DTYPE_U32: FIDELITY(uint32_t, te + 1, te - 1); break;
	case DTYPE_I64: FIDELITY(int64_t, te + 1, te - 1); break;
	case DTYPE_U64: FIDELITY(uint64_t, te + 1, te - 1); break;
	default: break;
	}
}

void codec_mask_apply_exact(const uint8_t *cls, size_t n, enum dtype t,
			    const double *exact, int nexact, void *dst)
{
	size_t isz = dtype_size(t);
	uint8_t val[MASK_EXACT_MAX][8];

	if (nexact > MASK_EXACT_MAX)
		nexact = MASK_EXACT_MAX;
	for (int k = 0; k < nexact; k++)
		dtype_from_double(t, &exact[k], val[k], 1);
	for (size_t i = 0; i < n; i++) {
		int k = cls[i] - MASK_EXACT;

		if (cls[i] >= MASK_EXACT && k >= 0 && k < nexact)
			memcpy((char *)dst + i * isz, val[k], isz);
	}
}
