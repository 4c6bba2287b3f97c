/* SPDX-License-Identifier: MIT */
/* Quick-looks of datasets: which bands and time step, read through the cache, PNG bytes kept. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "codec/quicklook.h"
#include "fs/quicklook.h"

/* One dataset's picture: its size once known, its bytes while kept. */
struct entry {
	int64_t ds_id, created, mtime;  /* the dataset it was drawn from */
	uint64_t size;                  /* 0: not rendered yet */
	int err;                        /* -EIO: its data is damaged */
	int busy;                       /* a thread is rendering it */
	uint8_t *png;                   /* NULL when dropped */
	uint64_t used;                  /* last read, for dropping */
};

struct quicklook {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char *rgb[3];                   /* NULL: colour maps only */
	struct entry **e;
	size_t n, cap;
	size_t keep, kept;              /* bytes of PNG allowed, held */
	uint64_t tick;
};

/* The bands drawn: 1 (colour map) or 3 (red, green, blue). */
struct pick {
	int nb;
	int var[3];
	uint64_t plane[3];
};

/* Splits "a,b,c" into three new strings; -EINVAL unless exactly three
 * names without '='. */
static int split(const char *s, char *tok[3])
{
	const char *p = s;
	int k = 0, rc = 0;

	tok[0] = tok[1] = tok[2] = NULL;
	while (!rc) {
		const char *c = strchr(p, ',');
		size_t len = c ? (size_t)(c - p) : strlen(p);

		if (k == 3 || !len || len > CATALOG_NAME_MAX) {
			rc = -EINVAL;
			break;
		}
		tok[k] = strndup(p, len);
		if (!tok[k])
			rc = -ENOMEM;
		else if (catalog_name_valid(tok[k]) || strchr(tok[k], '='))
			rc = -EINVAL;	/* '=': the next mount option */
		k++;
		if (!c)
			break;
		p = c + 1;
	}
	if (!rc && k != 3)
		rc = -EINVAL;
	if (rc)
		for (k = 0; k < 3; k++) {
			free(tok[k]);
			tok[k] = NULL;
		}
	return rc;
}

int quicklook_rgb_valid(const char *rgb)
{
	char *tok[3];
	int rc = split(rgb, tok);

	for (int k = 0; !rc && k < 3; k++)
		free(tok[k]);
	return rc;
}

int quicklook_new(const char *rgb, size_t keep, struct quicklook **out)
{
	struct quicklook *q;
	int rc = 0;

	*out = NULL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	if (rgb)
		rc = split(rgb, q->rgb);
	if (rc) {
		free(q);
		return rc;
	}
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	q->keep = keep;
	*out = q;
	return 0;
}

void quicklook_free(struct quicklook *q)
{
	if (!q)
		return;
	for (size_t i = 0; i < q->n; i++) {
		free(q->e[i]->png);
		free(q->e[i]);
	}
	free(q->e);
	for (int k = 0; k < 3; k++)
		free(q->rgb[k]);
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->cond);
	free(q);
}

static int drawable(const struct cat_var *v)
{
	return v->ndim >= 2 && v->nctype != NCT_CHAR && dtype_size(v->dtype) &&
		v->width && v->height && v->nframes && v->nplanes &&
		v->width <= INT32_MAX && v->height <= INT32_MAX;
}

int quicklook_has(const struct cat_dataset *ds)
{
	for (int i = 0; i < ds->nvars; i++)
		if (drawable(&ds->vars[i]))
			return 1;
	return 0;
}

static int var_named(const struct cat_dataset *ds, const char *name)
{
	for (int i = 0; i < ds->nvars; i++)
		if (!strcmp(ds->vars[i].name, name) && drawable(&ds->vars[i]))
			return i;
	return -1;
}

/* A band index from 0, or -1 if s is not one. */
static long band_index(const char *s)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtol(s, &end, 10);
	return *end || v < 0 ? -1 : v;
}

static void choose(const struct quicklook *q, const struct cat_dataset *ds,
		   struct pick *p)
{
	const struct cat_var *v0;
	int k, first = -1;

	memset(p, 0, sizeof(*p));
	p->nb = 1;
	for (int i = 0; i < ds->nvars && first < 0; i++)
		if (drawable(&ds->vars[i]))
			first = i;
	p->var[0] = first;
	if (!q->rgb[0] || first < 0)
		return;
	/* by variable name: three variables of one shape */
	for (k = 0; k < 3; k++) {
		int i = var_named(ds, q->rgb[k]);
		const struct cat_var *v, *a;

		if (i < 0)
			break;
		v = &ds->vars[i];
		a = k ? &ds->vars[p->var[0]] : v;
		if (v->width != a->width || v->height != a->height ||
		    v->nframes != a->nframes)
			break;
		p->var[k] = i;
		p->plane[k] = 0;
	}
	if (k == 3) {
		p->nb = 3;
		return;
	}
	/* by index: three bands of the first variable */
	for (k = 0; k < 3; k++)
		p->var[k] = first;
	v0 = &ds->vars[first];
	for (k = 0; k < 3; k++) {
		long b = band_index(q->rgb[k]);

		if (b < 0 || (uint64_t)b >= v0->nplanes)
			break;
		p->plane[k] = (uint64_t)b;
	}
	if (k == 3)
		p->nb = 3;
	else
		p->plane[0] = 0;
}

/* 1 if v's y axis has a coordinate variable that increases. */
static int y_increases(struct reader *r, const struct cat_dataset *ds,
		       const struct cat_var *v)
{
	int d = v->dimids ? v->dimids[v->ndim - 2] : -1;

	if (d < 0 || d >= ds->ndims || v->height < 2)
		return 0;
	for (int i = 0; i < ds->nvars; i++) {
		const struct cat_var *c = &ds->vars[i];
		uint64_t ends[2], at[2] = { 0, v->height - 1 };
		double a[2];

		if (c->ndim != 1 || c->shape[0] != v->height ||
		    strcmp(c->name, ds->dims[d].name) || dtype_size(c->dtype) >
		    sizeof(ends[0]))
			continue;
		for (int k = 0; k < 2; k++)
			if (reader_read_elems(r, ds, i, at[k], 1, 0, &ends[k]))
				return 0;
		dtype_to_double(c->dtype, &ends[0], &a[0], 1);
		dtype_to_double(c->dtype, &ends[1], &a[1], 1);
		return a[1] > a[0];
	}
	return 0;
}

/* What reading one band needs. */
struct band_read {
	struct reader *r;
	const struct cat_dataset *ds;
	int k, flip;            /* decimation, north up */
	int ow, oh;
	char *row;              /* width elements */
	double *d;              /* width values */
};

/* Reads plane `plane` of frame f of variable vi, every k-th value, as
 * floats (NaN where masked or fill); returns the valid count or -errno. */
static int64_t read_band(struct band_read *b, int vi, uint64_t plane,
			 uint64_t f, float *out)
{
	const struct cat_var *v = &b->ds->vars[vi];
	uint64_t w = v->width, h = v->height;
	size_t isz = dtype_size(v->dtype);
	int64_t valid = 0;

	for (int oy = 0; oy < b->oh; oy++) {
		uint64_t y = (uint64_t)oy * b->k;
		int rc;

		if (b->flip)
			y = h - 1 - y;
		rc = reader_read_elems(b->r, b->ds, vi, ((f * v->nplanes +
				       plane) * h + y) * w, w, 0, b->row);
		if (rc)
			return rc;
		dtype_to_double(v->dtype, b->row, b->d, (size_t)w);
		for (int ox = 0; ox < b->ow; ox++) {
			size_t x = (size_t)ox * b->k;
			double d = b->d[x];
			float *o = &out[(size_t)oy * b->ow + ox];

			if ((v->has_fill && !memcmp(b->row + x * isz, v->fill,
						    isz)) || !isfinite(d)) {
				*o = NAN;
				continue;
			}
			*o = d > FLT_MAX ? FLT_MAX : d < -FLT_MAX ? -FLT_MAX :
				(float)d;
			valid++;
		}
	}
	return valid;
}

static int render(const struct quicklook *q, struct reader *r,
		  const struct cat_dataset *ds, uint8_t **png, size_t *len)
{
	struct band_read b = { .r = r, .ds = ds };
	const struct cat_var *v;
	float *cur[3] = { 0 }, *best[3] = { 0 };
	uint32_t g0, gn;
	uint64_t mid, bf = 0;
	int64_t most = -1;
	struct pick p;
	size_t plane;
	int rc = 0;

	choose(q, ds, &p);
	if (p.var[0] < 0)
		return -ENOENT;
	v = &ds->vars[p.var[0]];
	b.k = codec_quicklook_size((int)v->width, (int)v->height, &b.ow,
				   &b.oh);
	b.flip = y_increases(r, ds, v);
	plane = (size_t)b.ow * b.oh;
	b.row = malloc((size_t)v->width * 8);
	b.d = malloc((size_t)v->width * sizeof(double));
	for (int k = 0; k < p.nb; k++) {
		cur[k] = malloc(plane * sizeof(float));
		best[k] = malloc(plane * sizeof(float));
		if (!cur[k] || !best[k])
			rc = -ENOMEM;
	}
	if (!b.row || !b.d)
		rc = -ENOMEM;
	/* the GOP of the middle frame: one decode per stream */
	mid = v->nframes / 2;
	if (!rc)
		rc = reader_frame_gop(v, p.plane[0], mid, &g0, &gn);
	for (uint64_t f = g0; !rc && f < (uint64_t)g0 + gn; f++) {
		int64_t n = 0, got;

		for (int k = 0; k < p.nb && n >= 0; k++) {
			got = read_band(&b, p.var[k], p.plane[k], f, cur[k]);
			n = got < 0 ? got : n + got;
		}
		if (n < 0) {
			rc = (int)n;
		} else if (n > most || (n == most &&
			   (f > mid ? f - mid : mid - f) <
			   (bf > mid ? bf - mid : mid - bf))) {
			most = n;
			bf = f;
			for (int k = 0; k < p.nb; k++) {
				float *t = best[k];

				best[k] = cur[k];
				cur[k] = t;
			}
		}
	}
	if (!rc)
		rc = codec_quicklook_png((const float *const *)best, p.nb, b.ow,
					 b.oh, png, len);
	if (!rc)
		log_debug("quick-look of '%s': frame %llu, %d band(s), %dx%d, "
			  "%zu bytes", ds->name, (unsigned long long)bf, p.nb,
			  b.ow, b.oh, *len);
	for (int k = 0; k < 3; k++) {
		free(cur[k]);
		free(best[k]);
	}
	free(b.row);
	free(b.d);
	return rc;
}

/* The entry of ds, made if absent (caller holds lock). */
static struct entry *entry_of(struct quicklook *q,
			      const struct cat_dataset *ds)
{
	struct entry *e = NULL;

	for (size_t i = 0; i < q->n; i++)
		if (q->e[i]->ds_id == ds->id)
			return q->e[i];
	if (q->n == q->cap) {
		size_t cap = q->cap ? 2 * q->cap : 16;
		struct entry **v = realloc(q->e, cap * sizeof(*v));

		if (!v)
			return NULL;
		q->e = v;
		q->cap = cap;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->ds_id = ds->id;
	e->created = ds->created;
	e->mtime = ds->mtime;
	q->e[q->n++] = e;
	return e;
}

static void drop(struct quicklook *q, struct entry *e)
{
	if (e->png)
		q->kept -= e->size;
	free(e->png);
	e->png = NULL;
}

/* Drops the least recently read pictures but e until within keep. */
static void trim(struct quicklook *q, const struct entry *e)
{
	while (q->kept > q->keep) {
		struct entry *old = NULL;

		for (size_t i = 0; i < q->n; i++)
			if (q->e[i] != e && q->e[i]->png && !q->e[i]->busy &&
			    (!old || q->e[i]->used < old->used))
				old = q->e[i];
		if (!old)
			break;
		drop(q, old);
	}
}

/*
 * The entry of ds with its bytes present, rendered if need be; returns
 * with lock held and 0, or a negative errno (lock held too).
 */
static int get(struct quicklook *q, struct reader *r,
	       const struct cat_dataset *ds, struct entry **out)
{
	struct entry *e;
	uint8_t *png = NULL;
	size_t len = 0;
	int rc;

	pthread_mutex_lock(&q->lock);
	e = entry_of(q, ds);
	if (!e)
		return -ENOMEM;
	while (e->busy)
		pthread_cond_wait(&q->cond, &q->lock);
	if (e->created != ds->created || e->mtime != ds->mtime) {
		drop(q, e);
		e->size = 0;
		e->err = 0;
		e->created = ds->created;
		e->mtime = ds->mtime;
	}
	*out = e;
	if (e->err)
		return e->err;
	if (e->png)
		return 0;
	e->busy = 1;
	pthread_mutex_unlock(&q->lock);
	rc = render(q, r, ds, &png, &len);
	pthread_mutex_lock(&q->lock);
	e->busy = 0;
	pthread_cond_broadcast(&q->cond);
	if (rc == -EIO)
		e->err = rc;
	if (rc)
		return rc;
	if (e->size && e->size != len)
		log_warn("quick-look of '%s' rendered to %zu bytes, not %llu",
			 ds->name, len, (unsigned long long)e->size);
	e->png = png;
	e->size = len;
	q->kept += len;
	e->used = ++q->tick;
	trim(q, e);
	return 0;
}

int quicklook_size(struct quicklook *q, struct reader *r,
		   const struct cat_dataset *ds, uint64_t *size)
{
	struct entry *e = NULL;
	int rc;

	/* a size once known needs no bytes */
	pthread_mutex_lock(&q->lock);
	for (size_t i = 0; i < q->n && !e; i++)
		if (q->e[i]->ds_id == ds->id && !q->e[i]->busy &&
		    q->e[i]->created == ds->created &&
		    q->e[i]->mtime == ds->mtime && q->e[i]->size)
			e = q->e[i];
	if (e)
		*size = e->size;
	pthread_mutex_unlock(&q->lock);
	if (e)
		return 0;
	rc = get(q, r, ds, &e);
	if (!rc)
		*size = e->size;
	pthread_mutex_unlock(&q->lock);
	return rc;
}

ssize_t quicklook_read(struct quicklook *q, struct reader *r,
		       const struct cat_dataset *ds, void *buf, size_t len,
		       uint64_t off)
{
	struct entry *e;
	ssize_t rc = get(q, r, ds, &e);

	if (!rc) {
		if (off >= e->size)
			len = 0;
		else if (len > e->size - off)
			len = (size_t)(e->size - off);
		if (len)
			memcpy(buf, e->png + off, len);
		e->used = ++q->tick;
		rc = (ssize_t)len;
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}
