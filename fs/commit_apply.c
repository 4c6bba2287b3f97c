/* SPDX-License-Identifier: MIT */
/* Applying a commit's frames: patch GOPs for lossy variables, whole GOPs re-encoded otherwise, compaction past a threshold. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "catalog/pack.h"
#include "fs/commit_int.h"
#include "codec/video.h"
#include "ingest/encode.h"

/* How much finer than its stream a compaction encodes (crf steps). */
#define COMMIT_COMPACT_CRF_STEP 6

/* What one variable's commit encodes. */
struct var_work {
	int patched;            /* frames go to patch GOPs */
	int compact;            /* its patches are dropped */
	uint8_t *regop;         /* per base GOP: re-encoded whole */
	uint8_t *remask;        /* per base GOP: mask made again */
	struct cat_mask *masks; /* per base GOP, regop or remask */
	int *has;               /* per base GOP: masks[g] holds one */
	uint32_t nruns;         /* patch GOPs: runs of written frames */
	uint32_t *run0, *runn;  /* first frame and count of each run */
	struct cat_gop *pg;     /* nruns x nstreams, [run * nstreams + s] */
	struct cat_frameq *old; /* quality rows before (compaction) */
	int any;
};

static void work_release(struct var_work *w, int nstreams)
{
	for (uint32_t i = 0; w->pg && i < w->nruns * (uint32_t)nstreams;
	     i++) {
		free(w->pg[i].pkt_sizes);
		free(w->pg[i].quant);
	}
	free(w->pg);
	free(w->regop);
	free(w->remask);
	free(w->masks);
	free(w->has);
	free(w->run0);
	free(w->runn);
	free(w->old);
}

/* 1 if a patch GOP of s holds a frame of base GOP g. */
static int has_patch(const struct cat_stream *s, const struct cat_gop *g)
{
	for (uint32_t i = 0; i < s->npatches; i++)
		if (s->patches[i].first_frame < g->first_frame + g->nframes &&
		    g->first_frame < s->patches[i].first_frame +
		    s->patches[i].nframes)
			return 1;
	return 0;
}

/* 1 if a mask row of v covers a frame of base GOP g. */
static int has_mask(const struct cat_var *v, const struct cat_gop *g)
{
	for (int m = 0; m < v->nmasks; m++)
		if (v->masks[m].first_frame < g->first_frame + g->nframes &&
		    g->first_frame < v->masks[m].first_frame +
		    v->masks[m].nframes)
			return 1;
	return 0;
}

/* The runs of written frames of v, cut at its base GOPs' edges, outside
 * the GOPs re-encoded whole, into w (with run0 NULL: counted only). */
static uint32_t find_runs(const struct cat_var *v, const uint8_t *fr,
			  struct var_work *w)
{
	const struct cat_stream *s = &v->streams[0];
	uint32_t n = 0;

	for (uint32_t g = 0; g < s->ngops; g++) {
		uint32_t f0 = s->gops[g].first_frame;
		uint32_t f1 = f0 + s->gops[g].nframes;

		for (uint32_t f = f0; f < f1 && !w->regop[g]; f++) {
			uint32_t a = f;

			if (!fr[f])
				continue;
			while (f < f1 && fr[f])
				f++;
			if (w->run0) {
				w->run0[n] = a;
				w->runn[n] = f - a;
			}
			n++;
		}
	}
	return n;
}

/* Decides what variable vi's commit encodes. */
static int plan_var(struct catalog *c, const struct cat_var *v,
		    const uint8_t *fr, const struct commit_plan *p,
		    const struct import_opts *o, struct var_work *w)
{
	const struct cat_stream *s = &v->streams[0];
	int limit = o->compact_after ? o->compact_after : IMPORT_COMPACT_AFTER;
	uint32_t ng = s->ngops;

	w->regop = calloc(ng + 1, 1);
	w->remask = calloc(ng + 1, 1);
	w->masks = calloc(ng + 1, sizeof(*w->masks));
	w->has = calloc(ng + 1, sizeof(*w->has));
	if (!w->regop || !w->remask || !w->masks || !w->has)
		return -ENOMEM;
	w->patched = v->storage == VAR_STORE_VIDEO && !s->lossless &&
		catalog_version(c) >= 5;
	/* a GOP written whole, or of a variable without patches, is
	 * re-encoded whole: no frame of it keeps its bytes anyway */
	for (uint32_t g = 0; g < ng; g++) {
		const struct cat_gop *gp = &s->gops[g];
		uint32_t n = 0;

		for (uint32_t f = 0; f < gp->nframes; f++)
			n += fr[gp->first_frame + f];
		w->regop[g] = n && (!w->patched || n == gp->nframes);
	}
	if (w->patched) {
		w->nruns = find_runs(v, fr, w);
		/* only a variable this commit writes: src reads it whole */
		w->compact = p->compact ? s->npatches > 0 : limit > 0 &&
			w->nruns && s->npatches + w->nruns > (uint32_t)limit;
	}
	for (uint32_t g = 0; g < ng; g++) {
		const struct cat_gop *gp = &s->gops[g];

		for (uint32_t f = 0; w->compact && f < gp->nframes &&
		     !w->regop[g]; f++)
			w->regop[g] = fr[gp->first_frame + f];
		if (w->compact && has_patch(s, gp))
			w->regop[g] = 1;
		w->any |= w->regop[g];
	}
	if (w->compact || !w->nruns) {
		w->nruns = 0;
		return 0;
	}
	w->any = 1;
	w->run0 = calloc(w->nruns, sizeof(*w->run0));
	w->runn = calloc(w->nruns, sizeof(*w->runn));
	w->pg = calloc((size_t)w->nruns * (size_t)v->nstreams, sizeof(*w->pg));
	if (!w->run0 || !w->runn || !w->pg)
		return -ENOMEM;
	find_runs(v, fr, w);
	return 0;
}

/*
 * The quality of frames a re-encode did not take from a write: the new
 * rows measured the error against the values served before, so the
 * error against what was written or imported is at most the two added
 * (max error; the root of the squared sums, by Minkowski's inequality).
 */
static void chain_quality(struct cat_var *v, const uint8_t *fr,
			  const struct cat_gop *g, const struct cat_frameq *old)
{
	for (uint32_t f = g->first_frame; old && v->frameq &&
	     f < g->first_frame + g->nframes; f++) {
		struct cat_frameq *q = &v->frameq[f];
		double r;

		if (fr[f] || !old[f].count)
			continue;
		r = sqrt(old[f].sse) + sqrt(q->sse);
		q->sse = r * r;
		q->max_err += old[f].max_err;
	}
}

static int encode_var_work(struct encode_ctx *x, struct source *src, int vi,
			   const uint8_t *fr, struct var_work *w)
{
	struct cat_var *v = &src->meta->vars[vi];
	const struct cat_stream *s = &v->streams[0];
	int rc = 0;

	/* a compaction encodes decoded values again: finer than the stream's
	 * own crf, so that this second loss stays small beside the first
	 * (the stream row keeps its crf) */
	for (int k = 0; w->compact && k < v->nstreams; k++) {
		struct cat_stream *sk = &v->streams[k];

		sk->crf = sk->crf - COMMIT_COMPACT_CRF_STEP > CODEC_CRF_MIN ?
			sk->crf - COMMIT_COMPACT_CRF_STEP : CODEC_CRF_MIN;
	}

	for (uint32_t g = 0; g < s->ngops && !rc; g++) {
		if (!w->regop[g])
			continue;
		rc = encode_regop(x, src, vi, g, &w->masks[g], &w->has[g]);
		if (!rc)
			chain_quality(v, fr, &s->gops[g], w->old);
	}
	for (uint32_t r = 0; r < w->nruns && !rc; r++) {
		uint64_t masked;
		uint32_t g;

		rc = encode_patch(x, src, vi, w->run0[r], w->runn[r],
				  &w->pg[(size_t)r * (size_t)v->nstreams],
				  &masked);
		for (g = 0; !rc && g < s->ngops; g++)
			if (w->run0[r] >= s->gops[g].first_frame &&
			    w->run0[r] - s->gops[g].first_frame <
			    s->gops[g].nframes)
				break;
		/* masks stay one row per base GOP: made again over it when
		 * one was there or a written frame has NaN or fill */
		if (!rc && g < s->ngops && (masked || has_mask(v, &s->gops[g])))
			w->remask[g] = 1;
	}
	for (uint32_t g = 0; g < s->ngops && !rc; g++)
		if (w->remask[g])
			rc = encode_mask_again(x, src, vi,
					       s->gops[g].first_frame,
					       s->gops[g].nframes,
					       &w->masks[g], &w->has[g]);
	return rc;
}

/* The rows of variable v in the transaction. */
static int swap_var(struct catalog *c, int64_t pack_id, struct cat_var *v,
		    struct var_work *w)
{
	int rc = 0;

	for (uint32_t g = 0; g < v->streams[0].ngops && !rc; g++) {
		const struct cat_gop *g0 = &v->streams[0].gops[g];

		if (w->regop[g]) {
			/* patches inside a GOP re-encoded whole go */
			for (int s = 0; s < v->nstreams && !rc; s++)
				rc = catalog_patch_clear(c, v->streams[s].id,
							 g0->first_frame,
							 g0->nframes);
			if (!rc)
				rc = catalog_frameq_put(c, v->id, g0->first_frame,
						g0->nframes,
						v->frameq + g0->first_frame);
			for (int s = 0; s < v->nstreams && !rc; s++) {
				struct cat_gop *gp = &v->streams[s].gops[g];

				gp->pack_id = pack_id;
				rc = catalog_gop_update(c, gp,
					v->streams[s].codec == CODEC_LZ4 ? 0 :
					v->streams[s].nplanes);
			}
		}
		if (rc || v->storage != VAR_STORE_VIDEO ||
		    !(w->regop[g] || w->remask[g]))
			continue;
		w->masks[g].pack_id = pack_id;
		rc = catalog_mask_replace(c, v->id, g0->first_frame,
					  g0->nframes, w->has[g] ?
					  &w->masks[g] : NULL);
	}
	for (int s = 0; s < v->nstreams && w->nruns && !rc; s++) {
		struct cat_gop *tmp = calloc(w->nruns, sizeof(*tmp));

		if (!tmp)
			return -ENOMEM;
		for (uint32_t r = 0; r < w->nruns; r++) {
			tmp[r] = w->pg[(size_t)r * (size_t)v->nstreams + s];
			tmp[r].pack_id = pack_id;
		}
		rc = catalog_patch_add(c, v->id, &v->streams[s], tmp, w->nruns,
				       v->streams[s].nplanes);
		free(tmp);      /* its buffers are w->pg's */
	}
	for (uint32_t r = 0; r < w->nruns && !rc; r++)
		rc = catalog_frameq_put(c, v->id, w->run0[r], w->runn[r],
					v->frameq + w->run0[r]);
	if (!rc && v->storage == VAR_STORE_VIDEO)
		rc = catalog_var_quality_refresh(c, v);
	return rc;
}

static int swap_rows(struct catalog *c, struct pack_writer *pw,
		     struct cat_dataset *meta, struct var_work *w)
{
	int64_t pack_id;
	int rc = pack_writer_sync(pw);

	if (!rc)
		rc = catalog_begin(c);
	if (rc)
		return rc;
	rc = catalog_pack_add(c, pack_writer_name(pw), pack_writer_size(pw),
			      &pack_id);
	for (int i = 0; i < meta->nvars && !rc; i++)
		if (w[i].any)
			rc = swap_var(c, pack_id, &meta->vars[i], &w[i]);
	if (!rc)
		rc = catalog_dataset_touch(c, meta->id, clock_wall_ns());
	return catalog_end(c, rc);
}

int commit_apply(struct catalog *c, struct source *src,
		 const struct commit_plan *p, const struct import_opts *o,
		 int *changed)
{
	struct cat_dataset *meta = src->meta;
	struct encode_ctx x = ENCODE_CTX_INIT(o, NULL);
	struct pack_writer *pw = NULL;
	struct var_work *w;
	int rc = 0, any = 0;

	*changed = 0;
	w = calloc((size_t)meta->nvars + 1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	for (int i = 0; i < meta->nvars && !rc; i++) {
		if (!meta->vars[i].nstreams)
			continue;
		rc = plan_var(c, &meta->vars[i], p->frame[i], p, o, &w[i]);
		if (!rc && w[i].compact && catalog_version(c) >= 2) {
			rc = catalog_frameq_load(c, &meta->vars[i], &w[i].old);
			rc = rc < 0 ? rc : 0;
		}
		any |= w[i].any;
	}
	if (!rc && any)
		rc = pack_writer_new(catalog_dir(c), &pw);
	x.pack = pw;
	for (int i = 0; i < meta->nvars && !rc && any; i++)
		if (w[i].any)
			rc = encode_var_work(&x, src, i, p->frame[i], &w[i]);
	if (!rc && any)
		rc = swap_rows(c, pw, meta, w);
	pack_writer_free(pw, !rc && any);
	for (int i = 0; i < meta->nvars; i++) {
		if (!rc && w[i].compact)
			log_info("'%s': %u patched GOPs compacted",
				 meta->vars[i].name, catalog_var_patches(
					 &meta->vars[i]));
		work_release(&w[i], meta->vars[i].nstreams);
	}
	free(w);
	*changed = !rc && any;
	return rc;
}
