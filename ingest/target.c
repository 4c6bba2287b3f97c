/* SPDX-License-Identifier: MIT */
/* Searching the crf that meets --psnr, --bpv or the cheapest --max-error on a sample of GOPs. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "base/log.h"
#include "catalog/pack.h"
#include "codec/video.h"
#include "ingest/target.h"

#define SAMPLE_GOPS 4
#define CRF_SLOTS 64
#define MAX_PROBES 14

/* What a search found. */
struct target {
	int crf;                /* chosen */
	int probes;             /* trial encodes of the sample */
	uint32_t sample_gops;   /* GOPs in the sample */
	double range;           /* of the whole variable, for PSNR */
	double slope;           /* near crf: dB (--psnr) or log(bpv)
				   (--bpv) lost per crf step */
	double sample_psnr;     /* what the sample measured at crf */
	double sample_bpv;
};

enum mode { MODE_PSNR, MODE_BPV, MODE_BYTES };

struct search {
	struct encode_ctx *x;
	struct source *src;
	int vi;
	uint32_t gop;
	uint32_t list[SAMPLE_GOPS];
	uint32_t nlist;
	enum mode mode;
	double goal;            /* PSNR or bits per value */
	double range;
	int lo, hi;             /* crf bounds of the codec */
	int probes, last, prev; /* crfs of the two latest probes, -1: none */
	struct {
		int done;
		double psnr, bpv;
	} at[CRF_SLOTS];
};

int target_wanted(const struct import_opts *o)
{
	return o->psnr > 0 || o->bpv > 0 ||
		(o->max_error > 0 && o->crf == IMPORT_CRF_UNSET);
}

static void set_crf(struct cat_var *v, int crf)
{
	for (int s = 0; s < v->nstreams; s++)
		v->streams[s].crf = crf;
}

/* Encodes GOPs list[0, n) of variable vi with every stream at crf,
 * keeping nothing: measures into *q. */
static int trial(struct encode_ctx *x, struct source *src, int vi,
		 uint32_t gop, const uint32_t *list, uint32_t n, int crf,
		 struct encode_quality *q)
{
	struct encode_ctx t = ENCODE_CTX_INIT(x->opts, NULL);
	struct cat_var *v = &src->meta->vars[vi];
	uint32_t ngops = (uint32_t)((v->nframes + gop - 1) / gop);
	uint64_t masked = 0;
	int rc;

	set_crf(v, crf);
	*q = (struct encode_quality)ENCODE_QUALITY_INIT;
	rc = encode_gops(&t, src, vi, gop, ngops, list, n, q, &masked);
	encode_reset_gops(v, ngops);
	return rc;
}


static int crf_max(int codec)
{
	return codec == CODEC_VP9 || codec == CODEC_AV1 ||
		codec == CODEC_SVTAV1 ? 63 : 51;
}

static int probe(struct search *s, int crf)
{
	struct encode_quality q = ENCODE_QUALITY_INIT;
	int rc;

	if (s->at[crf].done)
		return 0;
	rc = trial(s->x, s->src, s->vi, s->gop, s->list, s->nlist, crf, &q);
	if (rc)
		return rc;
	s->at[crf].done = 1;
	s->at[crf].psnr = encode_psnr(&q, s->range);
	s->at[crf].bpv = q.values ? q.bytes * 8.0 / (double)q.values : 0;
	s->probes++;
	s->prev = s->last;
	s->last = crf;
	return 0;
}

/* Decreasing in crf; >= 0 where the target is met. */
static double h(const struct search *s, int crf)
{
	if (s->mode == MODE_PSNR)
		return isinf(s->at[crf].psnr) ? 99 : s->at[crf].psnr - s->goal;
	return s->at[crf].bpv > 0 ? log(s->at[crf].bpv / s->goal) : -99;
}

/* What one crf step costs in h, from the latest two probes or a guess. */
static double slope(const struct search *s)
{
	double d = s->mode == MODE_PSNR ? 0.6 : log(2) / 6;

	if (s->prev >= 0 && s->prev != s->last) {
		double m = (h(s, s->prev) - h(s, s->last)) /
			(double)(s->last - s->prev);

		if (m > 0.01)
			d = m;
	}
	return d;
}

/* The largest crf with h >= 0 (in *good, -1 if none) and the smallest
 * with h < 0 (*bad, -1 if none), next to each other when both exist. */
static int bracket(struct search *s, int c, int *good, int *bad)
{
	*good = *bad = -1;
	for (int it = 0; it < MAX_PROBES; it++) {
		int rc = probe(s, c);
		double y;

		if (rc)
			return rc;
		y = h(s, c);
		if (y >= 0 && c > *good)
			*good = c;
		if (y < 0 && (*bad < 0 || c < *bad))
			*bad = c;
		if ((*good >= 0 && *bad >= 0 && *bad - *good <= 1) ||
		    *good == s->hi || *bad == s->lo)
			break;
		if (*good >= 0 && *bad >= 0) {
			/* secant inside the bracket */
			double yg = h(s, *good), yb = h(s, *bad);

			c = *good + (int)lround(yg / (yg - yb) *
						(*bad - *good));
			c = c <= *good ? *good + 1 : c >= *bad ? *bad - 1 : c;
		} else {
			int step = (int)ceil(fabs(y) / slope(s));

			step = step < 1 ? 1 : step > 12 ? 12 : step;
			c = y >= 0 ? c + step : c - step;
			c = c < s->lo ? s->lo : c > s->hi ? s->hi : c;
		}
	}
	return 0;
}

/* The crf storing the sample in the fewest bytes: walk downhill in steps
 * of 4, then 2, then 1. */
static int cheapest(struct search *s, int c, int *best)
{
	int rc = probe(s, c);

	*best = c;
	for (int step = 4; !rc && step >= 1; step /= 2) {
		int moved = 1;

		while (!rc && moved && s->probes < MAX_PROBES) {
			moved = 0;
			for (int d = -1; d <= 1 && !rc && !moved; d += 2) {
				int n = *best + d * step;

				if (n < s->lo || n > s->hi)
					continue;
				rc = probe(s, n);
				if (!rc && s->at[n].bpv < s->at[*best].bpv) {
					*best = n;
					moved = 1;
				}
			}
		}
	}
	return rc;
}

static int target_search(struct encode_ctx *x, struct source *src, int vi,
			 uint32_t gop, uint32_t ngops, double range,
			 struct target *t)
{
	const struct import_opts *o = x->opts;
	struct cat_var *v = &src->meta->vars[vi];
	struct search s = {
		.x = x, .src = src, .vi = vi, .gop = gop, .range = range,
		.lo = 0, .hi = crf_max(v->streams[0].codec), .last = -1,
		.prev = -1,
	};
	int rc, good, bad, c = IMPORT_DEFAULT_CRF;

	memset(t, 0, sizeof(*t));
	s.nlist = ngops < SAMPLE_GOPS ? ngops : SAMPLE_GOPS;
	for (uint32_t i = 0; i < s.nlist; i++)
		s.list[i] = (uint32_t)(((uint64_t)2 * i + 1) * ngops /
				       (2 * s.nlist));
	s.mode = o->psnr > 0 ? MODE_PSNR : o->bpv > 0 ? MODE_BPV : MODE_BYTES;
	s.goal = o->psnr > 0 ? o->psnr : o->bpv;
	if (s.mode == MODE_BYTES) {
		rc = cheapest(&s, 20, &c);
	} else {
		rc = bracket(&s, c, &good, &bad);
		c = good >= 0 ? good : s.lo;
		/* --bpv: the nearer of the two sides */
		if (!rc && s.mode == MODE_BPV && good >= 0 && bad >= 0 &&
		    -h(&s, bad) < h(&s, good))
			c = bad;
		if (!rc && s.mode == MODE_BPV && good < 0 && bad >= 0)
			c = bad;
	}
	if (rc)
		return rc;
	t->crf = c;
	t->probes = s.probes;
	t->sample_gops = s.nlist;
	t->range = range;
	t->sample_psnr = s.at[c].psnr;
	t->sample_bpv = s.at[c].bpv;
	s.prev = c;
	s.last = c;
	for (int d = 1; d < 8; d++) {   /* the slope near c, if measured */
		if (c + d <= s.hi && s.at[c + d].done) {
			s.last = c + d;
			break;
		}
		if (c - d >= s.lo && s.at[c - d].done) {
			s.prev = c - d;
			break;
		}
	}
	t->slope = slope(&s);
	return 0;
}

static int target_refine(const struct target *t,
			 const struct import_opts *o,
			 const struct encode_quality *q, int codec)
{
	int c;

	if (o->psnr > 0) {
		double got = encode_psnr(q, t->range);

		if (got >= o->psnr || t->crf == 0)
			return -1;
		c = t->crf - (int)ceil((o->psnr - got) / t->slope);
		return c < 0 ? 0 : c >= t->crf ? t->crf - 1 : c;
	}
	if (o->bpv > 0 && q->values && q->bytes) {
		double off = log(q->bytes * 8.0 / (double)q->values / o->bpv);

		if (fabs(off) <= log(1.10))
			return -1;
		c = t->crf + (int)lround(off / t->slope);
		c = c < 0 ? 0 : c > crf_max(codec) ? crf_max(codec) : c;
		return c == t->crf ? -1 : c;
	}
	return -1;
}

static void target_missed(const struct cat_var *v,
			  const struct import_opts *o,
			  const struct encode_quality *q,
			  const struct target *t)
{
	double psnr = encode_psnr(q, t->range);
	double bpv = q->values ? q->bytes * 8.0 / (double)q->values : 0;
	int crf = v->streams[0].crf;
	const char *codec = codec_name(v->streams[0].codec);

	if (o->psnr > 0 && psnr < o->psnr)
		log_warn("'%s': PSNR %.2f dB at crf %d is the best %s gives at "
			 "%d bits, short of %g dB", v->name, psnr, crf, codec,
			 v->streams[0].bits, o->psnr);
	if (o->bpv > 0 && fabs(bpv / o->bpv - 1) > 0.15)
		log_warn("'%s': %.3f bits per value at crf %d is the nearest "
			 "%s gets to %g", v->name, bpv, crf, codec, o->bpv);
}

/* Encodes every GOP of the planned variable vi: at the crf a search
 * chooses (then once more if the whole misses it), or as asked. */
int target_encode(struct encode_ctx *x, struct source *src, int vi,
		  uint32_t gop, uint32_t ngops, struct encode_quality *qa,
		  struct import_var_report *r)
{
	struct cat_var *v = &src->meta->vars[vi];
	struct target t = { .crf = -1 };
	uint64_t mark = x->pack ? pack_writer_size(x->pack) : 0;
	int rc, crf;

	if (v->storage == VAR_STORE_VIDEO && !v->streams[0].lossless &&
	    target_wanted(x->opts)) {
		double range = 0;

		rc = x->opts->psnr > 0 ? encode_range(src, vi, gop, &range) : 0;
		if (!rc)
			rc = target_search(x, src, vi, gop, ngops, range, &t);
		if (rc)
			return rc;
		set_crf(v, t.crf);
		r->probes = t.probes;
	}
	rc = encode_gops(x, src, vi, gop, ngops, NULL, 0, qa, &r->masked);
	if (rc || t.crf < 0)
		return rc;
	crf = target_refine(&t, x->opts, qa, v->streams[0].codec);
	if (crf < 0) {
		target_missed(v, x->opts, qa, &t);
		return 0;
	}
	/* the whole missed what the sample promised: once more */
	encode_reset_gops(v, ngops);
	if (x->pack) {
		rc = pack_writer_truncate(x->pack, mark);
		if (rc)
			return rc;
	}
	set_crf(v, crf);
	*qa = (struct encode_quality)ENCODE_QUALITY_INIT;
	r->masked = 0;
	r->refined = 1;
	rc = encode_gops(x, src, vi, gop, ngops, NULL, 0, qa, &r->masked);
	if (!rc)
		target_missed(v, x->opts, qa, &t);
	return rc;
}
