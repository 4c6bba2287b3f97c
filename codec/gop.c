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
 * values off g->avoid: what codec_gop_finish() does without corrections. */
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
		}
	if (g->avoid && f1 > f0)
		codec_avoid_value(t, g->avoid, (char *)dst + f0 * fv * isz,
				  (size_t)(f1 - f0) * fv);
}

/* A decode that hands its frames out as they come. */
struct each {
	const struct codec_params *p;
	enum dtype t;
	const struct codec_gop_ref *g;
	const uint16_t *s;
	void *dst;
	int finished;                   /* frames handed out */
};

static void frame_out(void *arg, int done)
{
	struct each *e = arg;
	size_t fb = (size_t)e->p->width * (size_t)e->p->height *
		(size_t)e->p->planes * dtype_size(e->t);

	/* the codec's delay may bring a few frames past upto */
	if (done > gop_frames(e->g))
		done = gop_frames(e->g);
	if (done <= e->finished)
		return;
	/* in order, each frame's values end before the samples of the
	 * frames after it start (see codec_gop_decode()) */
	finish_frames(e->p, e->t, e->g, e->s, e->dst, e->finished, done);
	e->finished = done;
	e->g->frames(e->g->arg, (size_t)done * fb);
}

int codec_gop_decode(const struct codec_params *p, enum dtype t,
		     const struct codec_gop_ref *g, void *dst)
{
	size_t plane = (size_t)p->width * (size_t)p->height;
	size_t n = plane * (size_t)p->planes * (size_t)g->nframes;
	size_t isz = dtype_size(t);
	uint16_t *s = NULL, *own = NULL;
	struct each e = { .p = p, .t = t, .g = g, .dst = dst };
	int first = g->first > 0 ? g->first : 0;
	/* part of a GOP: its frames, what they refer to, and no more */
	int range = !g->corr && (first > 0 || gop_frames(g) < g->nframes);
	/* corrections go over the whole GOP's samples first: no frame is
	 * final before the last is decoded */
	int each = g->frames && !g->corr && !range;
	int rc;

	if (p->codec == CODEC_LZ4)
		return codec_block_unpack(g->data, g->size, dst, n * isz);
	/*
	 * Values of 2 bytes or more: the samples are decoded into the tail
	 * of dst itself (no buffer of a GOP's size to allocate and fault
	 * in), then dequantized in increasing order: value i ends at byte
	 * (i + 1) * isz, never past sample i + 1, which starts at byte
	 * n * (isz - 2) + 2 * (i + 1).
	 */
	if (isz >= 2)
		s = (uint16_t *)((char *)dst + n * (isz - 2));
	else
		s = own = malloc(n * sizeof(*s));
	if (!s) {
		memset(dst, 0, n * isz);
		return -ENOMEM;
	}
	e.s = s;
	if (range)
		rc = codec_video_decode_range(p, g->data, g->size,
					      g->extra_size, g->pkt_sizes,
					      g->npkt, s, g->nframes, first,
					      gop_frames(g));
	else
		rc = codec_video_decode_each(p, g->data, g->size,
					     g->extra_size, g->pkt_sizes,
					     g->npkt, s, g->nframes,
					     gop_frames(g),
					     each ? frame_out : NULL, &e);
	if (rc) {
		/* the frames handed out stay as they were */
		size_t kept = (size_t)e.finished * plane * (size_t)p->planes *
			isz;

		memset((char *)dst + kept, 0, n * isz - kept);
		goto out;
	}
	if (g->corr) {
		codec_gop_finish(p, t, g, s, dst);
	} else {
		/* in increasing order (as above), from the part's first frame
		 * or the first one not handed out yet */
		finish_frames(p, t, g, s, dst, range ? first : e.finished,
			      gop_frames(g));
		if (range && g->frames && !first)
			g->frames(g->arg, (size_t)gop_frames(g) * plane *
				  (size_t)p->planes * isz);
	}
out:
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
