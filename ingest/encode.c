/* SPDX-License-Identifier: MIT */
/* Source frames -> planes -> quantized samples -> closed GOPs in a pack, with masks and measured error. */
#include <errno.h>
#include <pthread.h>
#include <unistd.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "base/clock.h"
#include "base/cpu.h"
#include "base/log.h"
#include "codec/block.h"
#include "codec/gop.h"
#include "codec/mask.h"
#include "codec/quant.h"
#include "codec/video.h"
#include "ingest/bound.h"
#include "ingest/encode.h"
#include "ingest/encode_effort.h"
#include "ingest/encode_int.h"
#include "ingest/encode_quality.h"
#include "ingest/fidelity.h"
#include "ingest/target.h"

void encode_layout(struct cat_var *v)
{
	uint64_t planes = 1;

	if (v->ndim >= 3) {
		for (int i = 1; i < v->ndim - 2; i++)
			planes *= v->shape[i];
		v->nframes = v->shape[0];
		v->nplanes = planes;
		v->height = v->shape[v->ndim - 2];
		v->width = v->shape[v->ndim - 1];
	} else if (v->ndim == 2) {
		v->nframes = 1;
		v->nplanes = 1;
		v->height = v->shape[0];
		v->width = v->shape[1];
	} else {
		v->nframes = 1;
		v->nplanes = 1;
		v->height = 1;
		v->width = catalog_var_elems(v);
	}
	/* no values (an axis of length 0): no frames to encode at all */
	if (!catalog_var_elems(v))
		v->nframes = 0;
}

static int append(struct encode_ctx *x, const void *buf, size_t len,
		  uint64_t *off)
{
	int rc;

	if (!x->pack) {         /* a trial: nothing is kept */
		*off = 0;
		return 0;
	}
	pthread_mutex_lock(&x->lock);
	rc = pack_append(x->pack, buf, len, off);
	pthread_mutex_unlock(&x->lock);
	return rc;
}

/* Marks NaN and fill positions of n values. Returns how many. */
size_t encode_classify(const struct cat_var *v, const void *raw,
			      const double *val, uint8_t *cls, size_t n)
{
	size_t isz = dtype_size(v->dtype), k = 0;

	for (size_t i = 0; i < n; i++) {
		cls[i] = MASK_VALID;
		if (isnan(val[i]))
			cls[i] = MASK_NAN;
		else if (v->has_fill &&
			 !memcmp((const char *)raw + i * isz, v->fill, isz))
			cls[i] = MASK_FILL;
		for (int e = 0; e < v->nexact && !cls[i]; e++)
			if (val[i] == v->exact[e])
				cls[i] = (uint8_t)(MASK_EXACT + e);
		if (!cls[i] && v->has_valid && !(val[i] >= v->valid_lo &&
						 val[i] <= v->valid_hi))
			cls[i] = MASK_KEPT;
		k += cls[i] != MASK_VALID;
	}
	return k;
}

/* Chooses storage, codec and depth; fills v->streams (without GOPs
 * and their length, which the caller sets). */
static int plan_streams(struct encode_ctx *x, struct cat_var *v,
			const struct encode_quality *range)
{
	const struct import_opts *o = x->opts;
	int codec = o->codec, bits = o->bits, group = o->group == 3 ? 3 : 1;
	int lossless = o->lossless || codec == CODEC_FFV1 || v->role;
	int crf = o->crf;
	const char *preset = o->preset;
	struct encode_choice ch;
	uint64_t p = 0;

	/* coordinates and categories are exact (ingest/fidelity.c): with
	 * the codec named, or lz4 and ffv1 */
	if (v->role && !codec)
		codec = dtype_is_float(v->dtype) ? CODEC_LZ4 : CODEC_FFV1;
	/* --effort: the encoder, depth and crf the options leave open */
	if (!lossless && (!codec || codec == CODEC_X265)) {
		encode_effort_choose(o, group, &ch);
		codec = ch.codec;
		bits = ch.bits;
		crf = ch.crf;
		preset = ch.preset;
	}
	if (!codec)
		codec = lossless ? CODEC_FFV1 : CODEC_X265;
	/* x265's lossy bands go in gbrp groups of three by default, which
	 * encode better than single planes at equal size (bench/quality.sh);
	 * SVT-AV1 has gray planes only */
	if (!o->group && !lossless && v->nplanes >= 3 &&
	    codec != CODEC_SVTAV1)
		group = 3;
	if (v->ndim < 2 || codec == CODEC_LZ4 ||
	    (lossless && dtype_is_float(v->dtype)))
		codec = CODEC_LZ4;
	if (codec != CODEC_LZ4 && lossless) {
		struct codec_quant q = { .min = range->lo, .max = range->hi };
		int need = range->n ? codec_quant_exact_bits(&q) : 8;

		if (need < 0 || (bits && bits < need)) {
			if (o->codec && o->codec != CODEC_LZ4 && !v->role) {
				log_error("'%s': values span more than %d bits: "
					  "cannot be lossless with %s", v->name,
					  bits ? bits : 16, codec_name(codec));
				return -ERANGE;
			}
			codec = CODEC_LZ4;
		} else if (!bits) {
			bits = need;
		}
	}
	if (!bits)
		bits = IMPORT_DEFAULT_BITS;
	v->storage = codec == CODEC_LZ4 ? VAR_STORE_LZ4 : VAR_STORE_VIDEO;
	v->nstreams = 0;
	v->streams = calloc(v->storage == VAR_STORE_LZ4 ? 1 : v->nplanes,
			    sizeof(*v->streams));
	if (!v->streams)
		return -ENOMEM;
	while (p < v->nplanes) {
		struct cat_stream *s = &v->streams[v->nstreams++];
		int np = v->storage == VAR_STORE_LZ4 ? (int)v->nplanes :
			(group == 3 && v->nplanes - p >= 3) ? 3 : 1;
		struct codec_params cp = {
			.codec = codec, .bits = bits, .planes = np,
			.width = (int)v->width, .height = (int)v->height,
			.lossless = lossless,
		};

		if (v->storage == VAR_STORE_VIDEO && !lossless &&
		    o->crf < 0 && o->crf != IMPORT_CRF_UNSET &&
		    codec != CODEC_X265) {
			log_error("'%s': a crf below 0 is x265's; %s takes 0 "
				  "and up", v->name, codec_name(codec));
			return -EINVAL;
		}
		if (v->storage == VAR_STORE_VIDEO && codec_video_check(&cp)) {
			log_error("'%s': %s cannot encode %d plane(s) at %d bits%s",
				  v->name, codec_name(codec), np, bits,
				  lossless ? " losslessly" : "");
			return -ENOTSUP;
		}
		s->first_plane = (int)p;
		s->nplanes = np;
		s->codec = codec;
		s->bits = bits;
		s->width = (int)v->width;
		s->height = (int)v->height;
		s->crf = crf != IMPORT_CRF_UNSET ? crf : IMPORT_DEFAULT_CRF;
		s->lossless = lossless;
		s->params = preset ? strdup(preset) : NULL;
		s->max_error = o->max_error > 0 ? o->max_error : 0;
		p += (uint64_t)np;
	}
	return 0;
}

/* Corrects the decoded GOP in b to the stream's max_error (bound.c) and
 * stores the corrections. */
static int correct(struct encode_ctx *x, const struct cat_var *v,
		   const struct cat_stream *s, struct cat_gop *g,
		   const struct codec_params *cp, struct codec_gop_ref *ref,
		   struct gop_buf *b, struct encode_quality *qa)
{
	struct bound_gop bg = {
		.v = v, .s = s, .cp = cp, .ref = ref, .raw = b->raw,
		.val = b->val, .cls = b->cls, .target = b->samples,
		.dsamp = b->dsamp, .work = b->work, .decoded = b->decoded,
		.dec = b->dec,
	};
	uint8_t *blk;
	size_t len;
	uint32_t n;
	int rc = bound_correct(&bg, &blk, &len, &n);

	if (rc || !blk)
		return rc;
	rc = append(x, blk, len, &g->corr_offset);
	if (!rc) {
		g->corr_length = len;
		g->ncorr = n;
		qa->ncorr += n;
		qa->corr_bytes += len;
	}
	free(blk);
	return rc;
}

/* Stores the values of the stream's planes outside the valid range as
 * exact corrections (fidelity_kept). */
static int keep_outside(struct encode_ctx *x, const struct cat_var *v,
			const struct cat_stream *s, struct cat_gop *g,
			struct gop_buf *b, uint32_t n)
{
	uint8_t *blk;
	size_t len;
	uint32_t k;
	int rc = fidelity_kept(v, s, b->cls, b->raw, n, &blk, &len, &k);

	if (rc || !blk)
		return rc;
	rc = append(x, blk, len, &g->corr_offset);
	if (!rc) {
		g->corr_length = len;
		g->ncorr = k;
	}
	free(blk);
	return rc;
}

/* Fewer samples than this, a picture's encoder runs on one thread (as
 * codec/video.c's automatic count does): more cost more than they save. */
#define SMALL_PICTURE (256 * 256)

/* Encodes one stream's planes of the GOP in b (frames [f0, f0 + n)) into
 * g, whose payload fields it sets; the error of frame f0 + i goes to
 * fq[i], sizes and corrections to qa. */
int encode_stream_gop(struct encode_ctx *x, struct cat_var *v,
		      struct cat_stream *s, struct cat_gop *g,
		      struct gop_buf *b, uint32_t f0, uint32_t n,
		      struct encode_quality *fq, struct encode_quality *qa)
{
	size_t hw = v->width * v->height, fe = hw * v->nplanes;
	struct codec_params cp = {
		.codec = s->codec, .bits = s->bits, .planes = s->nplanes,
		.width = s->width, .height = s->height, .crf = s->crf,
		.lossless = s->lossless, .preset = s->params,
		/* small pictures: one thread, as automatic gives them */
		.threads = hw < SMALL_PICTURE ? 1 : x->codec_threads,
	};
	struct codec_gop out = { 0 };
	struct codec_gop_ref ref;
	struct codec_fidelity fid;
	int rc;

	g->quant = calloc((size_t)s->nplanes, sizeof(*g->quant));
	if (!g->quant)
		return -ENOMEM;
	for (int k = 0; k < s->nplanes; k++) {
		size_t pl = (size_t)s->first_plane + (size_t)k;

		for (uint32_t f = 0; f < n; f++)
			memcpy(b->plane + f * hw, b->val + f * fe + pl * hw,
			       hw * sizeof(double));
		/* mask of this plane: reuse samples' space is not possible; walk */
		{
			uint8_t *m = (uint8_t *)b->decoded;	/* scratch */

			for (uint32_t f = 0; f < n; f++)
				memcpy(m + f * hw, b->cls + f * fe + pl * hw, hw);
			if (s->lossless)
				rc = codec_quant_fit_exact(b->plane, m, hw * n,
							   s->bits, &g->quant[k]);
			else
				(codec_quant_fit(b->plane, m, hw * n, s->bits,
						 &g->quant[k]), rc = 0);
			if (rc) {
				log_error("'%s': values do not fit %d bits "
					  "exactly", v->name, s->bits);
				return rc;
			}
			for (uint32_t f = 0; f < n; f++)
				codec_fill_masked(b->plane + f * hw, m + f * hw,
						  (int)v->width, (int)v->height);
		}
		for (uint32_t f = 0; f < n; f++)
			codec_quantize(&g->quant[k], s->bits, b->plane + f * hw,
				       b->samples + (f * s->nplanes + k) * hw, hw);
	}
	rc = codec_video_encode(&cp, b->samples, (int)n, &out);
	if (rc) {
		log_error("'%s': cannot encode frames %u-%u with %s", v->name,
			  f0, f0 + n - 1, codec_name(s->codec));
		return rc;
	}
	g->length = out.size;
	g->extra_size = (uint32_t)out.extra_size;
	g->npkt = (uint32_t)out.npkt;
	g->pkt_sizes = out.pkt_sizes;
	out.pkt_sizes = NULL;
	g->checksum = (uint32_t)crc32(0, out.data, (uInt)out.size);
	rc = append(x, out.data, out.size, &g->offset);
	if (rc)
		goto out;
	/* decode what was stored, to report the error it really has */
	ref = (struct codec_gop_ref){ .data = out.data, .size = out.size,
		.extra_size = out.extra_size, .pkt_sizes = g->pkt_sizes,
		.npkt = out.npkt, .nframes = (int)n, .quant = g->quant,
		.avoid = v->has_fill && !s->lossless ? v->fill : NULL,
		.fid = s->lossless ? NULL : &fid };
	fidelity_codec(v, &fid);
	rc = codec_video_decode(&cp, &ref, &(struct codec_sink){
		.samples = b->dsamp });
	if (rc) {
		log_error("'%s': encoded frames %u-%u do not decode", v->name,
			  f0, f0 + n - 1);
		goto out;
	}
	memcpy(b->work, b->dsamp, hw * (size_t)s->nplanes * n *
	       sizeof(*b->work));
	codec_gop_finish(&cp, v->dtype, &ref, b->work, b->decoded);
	dtype_to_double(v->dtype, b->decoded, b->dec,
			hw * (size_t)s->nplanes * n);
	if (s->max_error > 0 && !s->lossless)
		rc = correct(x, v, s, g, &cp, &ref, b, qa);
	else
		rc = keep_outside(x, v, s, g, b, n);
	if (rc)
		goto out;
	qa->bytes += g->length + g->corr_length;
	qa->values += hw * (size_t)s->nplanes * n;
	for (uint32_t f = 0; f < n; f++)
		for (int k = 0; k < s->nplanes; k++) {
			size_t at = f * fe + ((size_t)s->first_plane + k) * hw;

			encq_measure(&fq[f], b->val + at,
				b->dec + (f * (size_t)s->nplanes + k) * hw,
				b->cls + at, hw);
		}
out:
	codec_gop_release(&out);
	return rc;
}

int encode_lz4_gop(struct encode_ctx *x, struct cat_var *v,
		   struct cat_gop *g, struct gop_buf *b, uint32_t n)
{
	size_t len = (size_t)(catalog_var_elems(v) / v->nframes) * n *
		dtype_size(v->dtype);
	uint8_t *blk;
	size_t blen;
	int rc = codec_block_pack_elems(b->raw, len, (int)dtype_size(v->dtype),
					&blk, &blen);

	if (rc)
		return rc;
	g->length = blen;
	g->checksum = (uint32_t)crc32(0, blk, (uInt)blen);
	rc = append(x, blk, blen, &g->offset);
	free(blk);
	return rc;
}

int encode_store_mask(struct encode_ctx *x, struct cat_mask *m,
		      const uint8_t *cls, size_t n, uint32_t f0, uint32_t nf)
{
	uint8_t *blk;
	size_t blen;
	int rc = codec_mask_pack(cls, n, &blk, &blen);

	if (rc)
		return rc;
	m->first_frame = f0;
	m->nframes = nf;
	m->length = blen;
	rc = append(x, blk, blen, &m->offset);
	free(blk);
	return rc;
}

/*
 * Reads encoded frames [f0, f0 + n) of variable vi. A 2-d variable is one
 * encoded frame (a picture), while a source's frames of it are its rows
 * (source.h): it takes all of them.
 */
int encode_read_source(struct source *src, int vi, uint64_t f0,
		       uint64_t n, void *dst)
{
	const struct cat_var *v = &src->meta->vars[vi];

	if (v->ndim == 2)
		return src->ops->read_frames(src, vi, 0, v->shape[0], dst);
	return src->ops->read_frames(src, vi, f0, n, dst);
}

/* Range of the valid values of the whole variable (lossless planning). */
static int scan_range(struct source *src, int vi, struct gop_buf *b,
		      uint32_t gop, struct encode_quality *q)
{
	struct cat_var *v = &src->meta->vars[vi];
	size_t fe = (size_t)(v->nplanes * v->height * v->width);

	for (uint64_t f0 = 0; f0 < v->nframes; f0 += gop) {
		uint32_t n = (uint32_t)(v->nframes - f0 < gop ? v->nframes - f0 :
					gop);
		int rc = encode_read_source(src, vi, f0, n, b->raw);

		if (rc)
			return rc;
		dtype_to_double(v->dtype, b->raw, b->val, fe * n);
		encode_classify(v, b->raw, b->val, b->cls, fe * n);
		for (size_t i = 0; i < fe * n; i++) {
			if (b->cls[i])
				continue;
			if (b->val[i] < q->lo)
				q->lo = b->val[i];
			if (b->val[i] > q->hi)
				q->hi = b->val[i];
			q->n++;
		}
	}
	return 0;
}

/* GOPs of one variable shared among workers. */
struct gop_jobs {
	struct encode_ctx *x;
	struct source *src;
	int vi;
	uint32_t gop, ngops, next;
	const uint32_t *list;   /* GOPs to encode (a trial), or NULL: all */
	uint32_t nlist;
	pthread_mutex_t lock;
	int rc;
	struct encode_quality q;
	uint64_t masked;
	uint8_t *has_mask;
};

/* Encodes GOP gi with the worker's buffers. */
static int encode_one(struct gop_jobs *j, struct gop_buf *b, uint32_t gi,
		      struct encode_quality *qa, uint64_t *masked)
{
	struct encode_ctx *x = j->x;
	struct cat_var *v = &j->src->meta->vars[j->vi];
	size_t fe = (size_t)(v->nplanes * v->height * v->width);
	size_t isz = dtype_size(v->dtype);
	uint32_t f0 = gi * j->gop;
	uint32_t n = (uint32_t)(v->nframes - f0 < j->gop ? v->nframes - f0 :
				j->gop);
	struct encode_quality *fq = encq_frames_new(n);
	size_t k;
	int rc;

	if (!fq)
		return -ENOMEM;
	/* sources (libnetcdf above all) are read one thread at a time */
	pthread_mutex_lock(&x->lock);
	rc = encode_read_source(j->src, j->vi, f0, n, b->raw);
	pthread_mutex_unlock(&x->lock);
	if (rc)
		goto out;
	dtype_to_double(v->dtype, b->raw, b->val, fe * n);
	k = encode_classify(v, b->raw, b->val, b->cls, fe * n);
	if (v->storage == VAR_STORE_LZ4) {
		struct cat_gop *g = &v->streams[0].gops[gi];

		for (uint32_t f = 0; f < n; f++)
			encq_widen_range(&fq[f], b->val + f * fe,
					 b->cls + f * fe, fe);
		g->first_frame = f0;
		g->nframes = n;
		rc = encode_lz4_gop(x, v, g, b, n);
		qa->bytes += g->length;
		qa->values += fe * n;
	} else {
		if (k) {
			*masked += k;
			rc = encode_store_mask(x, &v->masks[gi], b->cls,
					       fe * n, f0, n);
			j->has_mask[gi] = !rc;
			qa->bytes += v->masks[gi].length;
		}
		for (int s = 0; s < v->nstreams && !rc; s++) {
			struct cat_gop *g = &v->streams[s].gops[gi];

			g->first_frame = f0;
			g->nframes = n;
			rc = encode_stream_gop(x, v, &v->streams[s], g, b, f0, n,
					       fq, qa);
		}
	}
	if (!rc)
		encq_keep_frames(v, f0, n, fq, qa);
	if (!rc && x->progress) {
		pthread_mutex_lock(&x->lock);
		progress_add(x->progress, n, fe * n * isz);
		pthread_mutex_unlock(&x->lock);
	}
out:
	free(fq);
	return rc;
}

static void *gop_worker(void *arg)
{
	struct gop_jobs *j = arg;
	struct cat_var *v = &j->src->meta->vars[j->vi];
	struct encode_quality q = { .lo = INFINITY, .hi = -INFINITY };
	struct gop_buf b = { 0 };
	uint64_t masked = 0;
	int rc = gop_buf_alloc(&b, v, j->gop);

	while (!rc) {
		uint32_t gi;

		pthread_mutex_lock(&j->lock);
		gi = j->next++;
		rc = j->rc;
		pthread_mutex_unlock(&j->lock);
		if (rc || gi >= (j->list ? j->nlist : j->ngops))
			break;
		rc = encode_one(j, &b, j->list ? j->list[gi] : gi, &q, &masked);
	}
	pthread_mutex_lock(&j->lock);
	if (rc && !j->rc)
		j->rc = rc;
	encq_merge(&j->q, &q);
	j->masked += masked;
	pthread_mutex_unlock(&j->lock);
	gop_buf_release(&b);
	return NULL;
}

int encode_gops(struct encode_ctx *x, struct source *src, int vi,
		uint32_t gop, uint32_t ngops, const uint32_t *list,
		uint32_t nlist, struct encode_quality *qa, uint64_t *masked)
{
	struct cat_var *v = &src->meta->vars[vi];
	struct gop_jobs j = { .x = x, .src = src, .vi = vi, .gop = gop,
			      .ngops = ngops, .list = list, .nlist = nlist,
			      .q = *qa };
	uint32_t jobs = list ? nlist : ngops;
	int nw = encode_worker_count(v, gop, jobs), started = 0;
	pthread_t tid[ENCODE_MAX_WORKERS];

	/* the cores left to each encoder's own threads: together one
	 * thread a core, and encoder buffers (frame threads, look-ahead)
	 * bounded by the worker count */
	x->codec_threads = cpu_count() / nw;
	j.has_mask = calloc(ngops + 1, 1);
	if (!j.has_mask)
		return -ENOMEM;
	pthread_mutex_init(&j.lock, NULL);
	for (int i = 1; i < nw; i++)
		if (pthread_create(&tid[started], NULL, gop_worker, &j) == 0)
			started++;
	gop_worker(&j);
	for (int i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	pthread_mutex_destroy(&j.lock);
	for (int s = 0; s < v->nstreams && !j.rc && !list; s++)
		v->streams[s].ngops = ngops;
	/* masks: only the GOPs that have one, in frame order */
	v->nmasks = 0;
	for (uint32_t g = 0; g < ngops && !list; g++)
		if (j.has_mask[g])
			v->masks[v->nmasks++] = v->masks[g];
	free(j.has_mask);
	*qa = j.q;
	*masked += j.masked;
	return j.rc;
}


void encode_reset_gops(struct cat_var *v, uint32_t ngops)
{
	for (int s = 0; s < v->nstreams; s++) {
		for (uint32_t g = 0; g < ngops; g++) {
			encode_payload_release(&v->streams[s].gops[g]);
			memset(&v->streams[s].gops[g], 0,
			       sizeof(v->streams[s].gops[g]));
		}
		v->streams[s].ngops = 0;
	}
	v->nmasks = 0;
}

int encode_range(struct source *src, int vi, uint32_t gop, double *range)
{
	struct encode_quality q = ENCODE_QUALITY_INIT;
	struct gop_buf b = { 0 };
	int rc = gop_buf_alloc(&b, &src->meta->vars[vi], gop);

	if (!rc)
		rc = scan_range(src, vi, &b, gop, &q);
	gop_buf_release(&b);
	*range = q.hi > q.lo ? q.hi - q.lo : 0;
	return rc;
}

int encode_var(struct encode_ctx *x, struct source *src, int vi,
	       struct import_var_report *r)
{
	struct cat_var *v = &src->meta->vars[vi];
	struct encode_quality qa = { .lo = INFINITY, .hi = -INFINITY };
	struct gop_buf b = { 0 };
	size_t isz = dtype_size(v->dtype);
	uint32_t gop, ngops;
	double t0 = clock_mono_s();
	int rc;

	encode_layout(v);
	if (v->nframes > UINT32_MAX || v->width > 1u << 16 ||
	    v->height > 1u << 16) {
		log_error("'%s': frames of %llux%llu, or %llu of them, are more "
			  "than cubefs takes", v->name,
			  (unsigned long long)v->height,
			  (unsigned long long)v->width,
			  (unsigned long long)v->nframes);
		return -EFBIG;
	}
	gop = x->opts->gop > 0 ? (uint32_t)x->opts->gop :
		encode_auto_gop(v, v->nframes);
	if (x->opts->gop <= 0 && gop < (uint32_t)codec_default_gop(
			(int)v->width, (int)v->height, v->nframes))
		log_warn("'%s': GOPs of %u frames, so that pictures of %llux%llu "
			 "fit half this machine's memory (--gop chooses)",
			 v->name, gop, (unsigned long long)v->height,
			 (unsigned long long)v->width);
	if (v->ndim < 2 || gop > v->nframes)
		gop = (uint32_t)(v->nframes ? v->nframes : 1);
	rc = gop_buf_alloc(&b, v, gop);
	if (rc)
		goto out;
	if ((x->opts->lossless || v->role) && v->ndim >= 2 &&
	    !dtype_is_float(v->dtype)) {
		rc = scan_range(src, vi, &b, gop, &qa);
		if (rc)
			goto out;
	}
	rc = plan_streams(x, v, &qa);
	if (rc)
		goto out;
	if (v->storage == VAR_STORE_LZ4 && v->ndim < 2)
		gop = 1;
	qa = (struct encode_quality){ .lo = INFINITY, .hi = -INFINITY };
	ngops = v->nframes ? (uint32_t)((v->nframes + gop - 1) / gop) : 0;
	for (int s = 0; s < v->nstreams; s++) {
		v->streams[s].gop_len = gop;
		v->streams[s].gops = calloc(ngops + 1, sizeof(struct cat_gop));
		if (!v->streams[s].gops) {
			rc = -ENOMEM;
			goto out;
		}
	}
	v->masks = calloc(ngops + 1, sizeof(*v->masks));
	free(v->frameq);
	v->frameq = calloc(v->nframes + 1, sizeof(*v->frameq));
	if (!v->masks || !v->frameq) {
		rc = -ENOMEM;
		goto out;
	}
	rc = target_encode(x, src, vi, gop, ngops, &qa, r);
	if (rc)
		goto out;
	if (qa.n && qa.ncorr > qa.n / 2)
		log_warn("'%s': %.0f%% of the values needed a correction to "
			 "hold max error %g: a larger bound, or --lossless, "
			 "stores less", v->name, 100.0 * (double)qa.ncorr /
			 (double)qa.n, x->opts->max_error);
	v->vmin = qa.lo <= qa.hi ? qa.lo : NAN;
	v->vmax = qa.lo <= qa.hi ? qa.hi : NAN;
	v->psnr = v->storage == VAR_STORE_LZ4 ? INFINITY : encode_psnr(&qa, 0);
	v->max_err = v->storage == VAR_STORE_LZ4 ? 0 : qa.max_err;
	r->codec = v->streams[0].codec;
	r->bits = v->streams[0].bits;
	r->storage = v->storage;
	r->values = catalog_var_elems(v);
	r->raw_bytes = r->values * isz;
	r->stored_bytes = catalog_var_stored_bytes(v);
	r->ncorr = qa.ncorr;
	r->corr_bytes = qa.corr_bytes;
	r->psnr = v->psnr;
	r->max_err = v->max_err;
	r->crf = v->streams[0].crf;
	r->seconds = clock_mono_s() - t0;
	rc = 0;
out:
	gop_buf_release(&b);
	return rc;
}
