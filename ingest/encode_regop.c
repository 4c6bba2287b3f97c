/* SPDX-License-Identifier: MIT */
/* GOPs encoded again: the GOPs an edit touched, patch GOPs of edited frames, masks remade. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "base/clock.h"
#include "base/dtype.h"
#include "ingest/encode.h"
#include "ingest/encode_int.h"
#include "ingest/encode_quality.h"

void encode_payload_release(struct cat_gop *g)
{
	free(g->pkt_sizes);
	free(g->quant);
	g->pkt_sizes = NULL;
	g->quant = NULL;
	g->npkt = 0;
	g->extra_size = 0;
	/* a GOP encoded again has only the corrections it needs now */
	g->corr_offset = 0;
	g->corr_length = 0;
	g->ncorr = 0;
}

/* A re-encode's start: v->frameq allocated, per-frame figures for n
 * frames, buffers, and frames [f0, f0 + n) from src as values. */
static int reread(struct source *src, int vi, uint32_t f0, uint32_t n,
		  struct encode_quality **fq, struct gop_buf *b)
{
	struct cat_var *v = &src->meta->vars[vi];
	size_t fe = (size_t)(v->nplanes * v->height * v->width);
	int rc;

	if (!v->frameq)
		v->frameq = calloc(v->nframes + 1, sizeof(*v->frameq));
	*fq = encq_frames_new(n);
	rc = v->frameq && *fq ? gop_buf_alloc(b, v, n) : -ENOMEM;
	if (!rc)
		rc = encode_read_source(src, vi, f0, n, b->raw);
	if (!rc)
		dtype_to_double(v->dtype, b->raw, b->val, fe * n);
	return rc;
}

/* A re-encode's end: its frames' quality kept, the value range widened
 * (only: other GOPs still hold the old extremes). */
static void rekeep(struct cat_var *v, uint32_t f0, uint32_t n,
		   const struct encode_quality *fq, struct encode_quality *qa)
{
	encq_keep_frames(v, f0, n, fq, qa);
	if (qa->lo <= qa->hi) {
		v->vmin = isnan(v->vmin) || qa->lo < v->vmin ? qa->lo : v->vmin;
		v->vmax = isnan(v->vmax) || qa->hi > v->vmax ? qa->hi : v->vmax;
	}
}

/*
 * Encodes frames [f0, f0 + n) of variable vi as src gives them into
 * g[s], the GOP of each stream (payload released first; for lz4, g[0]
 * alone); with mask, their mask too (*has_mask). *masked counts their NaN
 * and fill values. Quality and range as encode_regop() says.
 */
static int reencode(struct encode_ctx *x, struct source *src, int vi,
		    uint32_t f0, uint32_t n, struct cat_gop **g,
		    struct cat_mask *mask, int *has_mask, uint64_t *masked)
{
	struct cat_var *v = &src->meta->vars[vi];
	struct encode_quality qa = ENCODE_QUALITY_INIT;
	struct encode_quality *fq = NULL;
	struct gop_buf b = { 0 };
	size_t fe = (size_t)(v->nplanes * v->height * v->width);
	int rc = reread(src, vi, f0, n, &fq, &b);

	if (rc)
		goto out;
	*masked = encode_classify(v, b.raw, b.val, b.cls, fe * n);
	if (v->storage == VAR_STORE_LZ4) {
		for (uint32_t f = 0; f < n; f++)
			encq_widen_range(&fq[f], b.val + f * fe,
					 b.cls + f * fe, fe);
		encode_payload_release(g[0]);
		rc = encode_lz4_gop(x, v, g[0], &b, n);
	} else if (mask && *masked) {
		rc = encode_store_mask(x, mask, b.cls, fe * n, f0, n);
		*has_mask = !rc;
	}
	for (int s = 0; v->storage != VAR_STORE_LZ4 && s < v->nstreams &&
	     !rc; s++) {
		encode_payload_release(g[s]);
		rc = encode_stream_gop(x, v, &v->streams[s], g[s], &b, f0, n,
				       fq, &qa);
	}
	if (!rc)
		rekeep(v, f0, n, fq, &qa);
out:
	free(fq);
	gop_buf_release(&b);
	return rc;
}

int encode_regop(struct encode_ctx *x, struct source *src, int vi,
		 uint32_t gi, struct cat_mask *mask, int *has_mask)
{
	struct cat_var *v = &src->meta->vars[vi];
	struct cat_gop **g;
	uint64_t masked;
	int rc;

	*has_mask = 0;
	if (!v->nstreams || gi >= v->streams[0].ngops)
		return -EINVAL;
	g = calloc((size_t)v->nstreams, sizeof(*g));
	if (!g)
		return -ENOMEM;
	for (int s = 0; s < v->nstreams; s++)
		g[s] = &v->streams[s].gops[gi];
	rc = reencode(x, src, vi, g[0]->first_frame, g[0]->nframes, g, mask,
		      has_mask, &masked);
	free(g);
	return rc;
}

int encode_patch(struct encode_ctx *x, struct source *src, int vi,
		 uint32_t f0, uint32_t n, struct cat_gop *out,
		 uint64_t *masked)
{
	struct cat_var *v = &src->meta->vars[vi];
	struct cat_gop **g;
	int rc;

	*masked = 0;
	if (v->storage != VAR_STORE_VIDEO || !n || f0 + (uint64_t)n >
	    v->nframes)
		return -EINVAL;
	g = calloc((size_t)v->nstreams, sizeof(*g));
	if (!g)
		return -ENOMEM;
	for (int s = 0; s < v->nstreams; s++) {
		out[s] = (struct cat_gop){ .first_frame = f0, .nframes = n };
		g[s] = &out[s];
	}
	rc = reencode(x, src, vi, f0, n, g, NULL, NULL, masked);
	free(g);
	return rc;
}

int encode_mask_again(struct encode_ctx *x, struct source *src, int vi,
		      uint32_t f0, uint32_t n, struct cat_mask *mask,
		      int *has_mask)
{
	struct cat_var *v = &src->meta->vars[vi];
	size_t fe = (size_t)(v->nplanes * v->height * v->width);
	size_t isz = dtype_size(v->dtype);
	uint8_t *raw = malloc(fe * n * isz + 1), *cls = malloc(fe * n + 1);
	double *val = malloc(fe * n * sizeof(double) + 1);
	int rc = raw && cls && val ? 0 : -ENOMEM;

	*has_mask = 0;
	if (!rc)
		rc = encode_read_source(src, vi, f0, n, raw);
	if (!rc) {
		dtype_to_double(v->dtype, raw, val, fe * n);
		if (encode_classify(v, raw, val, cls, fe * n)) {
			rc = encode_store_mask(x, mask, cls, fe * n, f0, n);
			*has_mask = !rc;
		}
	}
	free(raw);
	free(cls);
	free(val);
	return rc;
}
