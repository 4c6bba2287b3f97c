/* SPDX-License-Identifier: MIT */
/* Reading a dataset whole from the catalog, checking every row as untrusted input. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dtype.h"
#include "base/log.h"
#include "catalog/catalog_int.h"

#define MAX_DIMS 32

static char *col_strdup(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s ? strdup(s) : NULL;
}

static void *col_blobdup(sqlite3_stmt *st, int i, size_t *len)
{
	const void *b = sqlite3_column_blob(st, i);
	size_t n = (size_t)sqlite3_column_bytes(st, i);
	void *p = malloc(n ? n : 1);

	if (p && n)
		memcpy(p, b, n);
	*len = n;
	return p;
}

/* Parses "a,b,c" into at most max values; returns count or -EUCLEAN. */
static int parse_list(const char *s, int64_t *out, int max)
{
	int n = 0;

	if (!s)
		return -EUCLEAN;
	if (!*s)
		return 0;
	for (;;) {
		char *end;
		long long v = strtoll(s, &end, 10);

		if (end == s || n >= max)
			return -EUCLEAN;
		out[n++] = v;
		if (!*end)
			return n;
		if (*end != ',')
			return -EUCLEAN;
		s = end + 1;
	}
}

static int corrupt(struct catalog *c, const char *what, const char *name)
{
	log_error("corrupt catalog in '%s': %s of '%s'", c->dir, what, name);
	return -EUCLEAN;
}

static int load_attrs(struct catalog *c, int64_t ds, int var_idx,
		      struct cat_attr **out, int *n)
{
	sqlite3_stmt *st;
	int rc = catalog_prepare(c, "SELECT name, type, len, value FROM attribute"
				 " WHERE dataset_id=? AND var_idx=? ORDER BY idx",
				 &st);
	struct cat_attr *a = NULL;
	int cnt = 0;

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, ds);
	sqlite3_bind_int(st, 2, var_idx);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct cat_attr *at = catalog_append(&a, (size_t)cnt,
						     sizeof(*at));
		size_t blen;

		if (!at) {
			rc = -ENOMEM;
			goto out;
		}
		cnt++;
		at->name = col_strdup(st, 0);
		at->type = sqlite3_column_int(st, 1);
		at->len = (size_t)sqlite3_column_int64(st, 2);
		at->data = col_blobdup(st, 3, &blen);
		if (!at->name || !at->data) {
			rc = -ENOMEM;
			goto out;
		}
		if (!nct_size(at->type) ||
		    blen != at->len * nct_size(at->type)) {
			rc = corrupt(c, "attribute", at->name);
			goto out;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : catalog_sqlite_err(c->db, rc, "attributes");
out:
	sqlite3_finalize(st);
	*out = a;
	*n = cnt;
	return rc;
}

/*
 * Loads the GOP rows of stream row sid (s itself, or a patch layer over
 * it: layer is then its id) into *arr, which holds *n. Base GOPs must
 * tile the frames; a layer's GOPs lie apart, in order, inside them.
 */
static int load_gops(struct catalog *c, struct cat_var *v,
		     const struct cat_stream *s, int64_t sid, int64_t layer,
		     struct cat_gop **arr, uint32_t *n)
{
	sqlite3_stmt *st = NULL, *qs = NULL;
	uint32_t next = 0;
	int rc;

	rc = catalog_prepare(c, "SELECT id, first_frame, nframes, pack_id,"
			     " offset, length, extra_size, packets, checksum,"
			     " corr_offset, corr_length, ncorr"
			     " FROM gop WHERE stream_id=? ORDER BY first_frame",
			     &st);
	if (!rc)
		rc = catalog_prepare(c, "SELECT plane, scale, offset, min, max"
				     " FROM quant WHERE gop_id=? ORDER BY plane",
				     &qs);
	if (rc)
		goto out;
	sqlite3_bind_int64(st, 1, sid);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct cat_gop *g = catalog_append(arr, *n, sizeof(*g));
		size_t plen;
		int np = 0;

		if (!g) {
			rc = -ENOMEM;
			goto out;
		}
		(*n)++;
		g->layer = layer;
		g->id = sqlite3_column_int64(st, 0);
		g->first_frame = (uint32_t)sqlite3_column_int64(st, 1);
		g->nframes = (uint32_t)sqlite3_column_int64(st, 2);
		g->pack_id = sqlite3_column_int64(st, 3);
		g->offset = (uint64_t)sqlite3_column_int64(st, 4);
		g->length = (uint64_t)sqlite3_column_int64(st, 5);
		g->extra_size = (uint32_t)sqlite3_column_int64(st, 6);
		g->pkt_sizes = col_blobdup(st, 7, &plen);
		g->checksum = (uint32_t)sqlite3_column_int64(st, 8);
		g->corr_offset = (uint64_t)sqlite3_column_int64(st, 9);
		g->corr_length = (uint64_t)sqlite3_column_int64(st, 10);
		g->ncorr = (uint32_t)sqlite3_column_int64(st, 11);
		if (!g->pkt_sizes) {
			rc = -ENOMEM;
			goto out;
		}
		g->npkt = (uint32_t)(plen / 4);
		if (plen % 4 || (layer ? g->first_frame < next :
				 g->first_frame != next) || g->nframes == 0 ||
		    (uint64_t)g->first_frame + g->nframes > v->nframes ||
		    sqlite3_column_int64(st, 4) < 0 ||
		    sqlite3_column_int64(st, 5) < 0) {
			rc = corrupt(c, "gop rows", v->name);
			goto out;
		}
		next = g->first_frame + g->nframes;
		if (s->codec == CODEC_LZ4)
			continue;
		g->quant = calloc((size_t)s->nplanes, sizeof(*g->quant));
		if (!g->quant) {
			rc = -ENOMEM;
			goto out;
		}
		sqlite3_bind_int64(qs, 1, g->id);
		while ((rc = sqlite3_step(qs)) == SQLITE_ROW) {
			int p = sqlite3_column_int(qs, 0);

			if (p != np || p >= s->nplanes)
				break;
			g->quant[p].scale = sqlite3_column_double(qs, 1);
			g->quant[p].offset = sqlite3_column_double(qs, 2);
			g->quant[p].min = sqlite3_column_double(qs, 3);
			g->quant[p].max = sqlite3_column_double(qs, 4);
			np++;
		}
		sqlite3_reset(qs);
		if (np != s->nplanes) {
			rc = corrupt(c, "quantization rows", v->name);
			goto out;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : catalog_sqlite_err(c->db, rc, "gops");
	if (!rc && !layer && next != v->nframes)
		rc = corrupt(c, "gops not covering the frames", v->name);
out:
	sqlite3_finalize(st);
	sqlite3_finalize(qs);
	return rc;
}

/* Loads the patch layers over base stream s (schema 5) and their map. */
static int load_patches(struct catalog *c, struct cat_var *v,
			struct cat_stream *s)
{
	sqlite3_stmt *st;
	int rc;

	if (c->version < 5)
		return 0;
	rc = catalog_prepare(c, "SELECT id FROM stream WHERE base_id=?"
			     " ORDER BY id", &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, s->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);

		rc = load_gops(c, v, s, id, id, &s->patches, &s->npatches);
		if (rc)
			break;
	}
	rc = rc == SQLITE_DONE ? 0 : rc < 0 ? rc :
		catalog_sqlite_err(c->db, rc, "patch layers");
	sqlite3_finalize(st);
	if (!rc)
		rc = catalog_patch_map(s, v->nframes);
	return rc == -EUCLEAN ? corrupt(c, "patch rows", v->name) : rc;
}

static int load_streams(struct catalog *c, struct cat_var *v)
{
	sqlite3_stmt *st;
	int rc = catalog_prepare(c, c->version >= 5 ?
				 "SELECT id, first_plane, nplanes, codec, bits,"
				 " width, height, crf, lossless, params, gop_len,"
				 " max_error FROM stream WHERE variable_id=? AND"
				 " base_id IS NULL ORDER BY idx" :
				 "SELECT id, first_plane, nplanes, codec, bits,"
				 " width, height, crf, lossless, params, gop_len,"
				 " max_error"
				 " FROM stream WHERE variable_id=? ORDER BY idx",
				 &st);
	int64_t plane = 0;

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, v->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct cat_stream *s = catalog_append(&v->streams,
						      (size_t)v->nstreams,
						      sizeof(*s));

		if (!s) {
			rc = -ENOMEM;
			break;
		}
		v->nstreams++;
		s->id = sqlite3_column_int64(st, 0);
		s->first_plane = sqlite3_column_int(st, 1);
		s->nplanes = sqlite3_column_int(st, 2);
		s->codec = sqlite3_column_int(st, 3);
		s->bits = sqlite3_column_int(st, 4);
		s->width = sqlite3_column_int(st, 5);
		s->height = sqlite3_column_int(st, 6);
		s->crf = sqlite3_column_int(st, 7);
		s->lossless = sqlite3_column_int(st, 8);
		s->params = col_strdup(st, 9);
		s->gop_len = (uint32_t)sqlite3_column_int64(st, 10);
		s->max_error = sqlite3_column_double(st, 11);
		if (s->first_plane != plane || s->nplanes < 1 ||
		    (s->codec != CODEC_LZ4 && ((uint64_t)s->width != v->width ||
				       (uint64_t)s->height != v->height ||
				       s->bits < 8 || s->bits > 16))) {
			rc = corrupt(c, "stream rows", v->name);
			break;
		}
		plane += s->nplanes;
		rc = load_gops(c, v, s, s->id, 0, &s->gops, &s->ngops);
		if (!rc)
			rc = load_patches(c, v, s);
		if (rc)
			break;
	}
	rc = rc == SQLITE_DONE ? 0 : rc == SQLITE_ROW ? -EIO : rc < 0 ? rc :
		catalog_sqlite_err(c->db, rc, "streams");
	if (!rc && (uint64_t)plane != v->nplanes)
		rc = corrupt(c, "streams not covering the planes", v->name);
	sqlite3_finalize(st);
	return rc;
}

static int load_masks(struct catalog *c, struct cat_var *v)
{
	sqlite3_stmt *st;
	int rc = catalog_prepare(c, "SELECT first_frame, nframes, pack_id,"
				 " offset, length FROM mask WHERE variable_id=?"
				 " ORDER BY first_frame", &st);

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, v->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct cat_mask *m = catalog_append(&v->masks,
						    (size_t)v->nmasks,
						    sizeof(*m));

		if (!m) {
			rc = -ENOMEM;
			break;
		}
		v->nmasks++;
		m->first_frame = (uint32_t)sqlite3_column_int64(st, 0);
		m->nframes = (uint32_t)sqlite3_column_int64(st, 1);
		m->pack_id = sqlite3_column_int64(st, 2);
		m->offset = (uint64_t)sqlite3_column_int64(st, 3);
		m->length = (uint64_t)sqlite3_column_int64(st, 4);
		if ((uint64_t)m->first_frame + m->nframes > v->nframes) {
			rc = corrupt(c, "mask rows", v->name);
			break;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : rc < 0 ? rc :
		catalog_sqlite_err(c->db, rc, "masks");
	sqlite3_finalize(st);
	return rc;
}

static int load_var(struct catalog *c, struct cat_dataset *ds,
		    sqlite3_stmt *st, struct cat_var *v, int idx)
{
	int64_t vals[MAX_DIMS];
	size_t flen;
	uint8_t *fill;
	int rc, n;

	v->id = sqlite3_column_int64(st, 0);
	v->name = col_strdup(st, 1);
	v->dtype = (enum dtype)sqlite3_column_int(st, 2);
	v->storage = sqlite3_column_int(st, 5);
	v->nframes = (uint64_t)sqlite3_column_int64(st, 6);
	v->nplanes = (uint64_t)sqlite3_column_int64(st, 7);
	v->height = (uint64_t)sqlite3_column_int64(st, 8);
	v->width = (uint64_t)sqlite3_column_int64(st, 9);
	v->psnr = sqlite3_column_double(st, 11);
	v->max_err = sqlite3_column_double(st, 12);
	v->nctype = sqlite3_column_int(st, 13);
	v->vmin = sqlite3_column_type(st, 14) == SQLITE_NULL ? NAN :
		sqlite3_column_double(st, 14);
	v->vmax = sqlite3_column_type(st, 15) == SQLITE_NULL ? NAN :
		sqlite3_column_double(st, 15);
	if (!v->name)
		return -ENOMEM;
	if (!dtype_size(v->dtype))
		return corrupt(c, "dtype", v->name);
	n = parse_list((const char *)sqlite3_column_text(st, 3), vals, MAX_DIMS);
	if (n < 0)
		return corrupt(c, "shape", v->name);
	v->ndim = n;
	v->shape = calloc((size_t)n + 1, sizeof(*v->shape));
	v->dimids = calloc((size_t)n + 1, sizeof(*v->dimids));
	if (!v->shape || !v->dimids)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		if (vals[i] < 0)
			return corrupt(c, "shape", v->name);
		v->shape[i] = (uint64_t)vals[i];
	}
	if (parse_list((const char *)sqlite3_column_text(st, 4), vals,
		       MAX_DIMS) != n)
		return corrupt(c, "dims", v->name);
	for (int i = 0; i < n; i++) {
		if (vals[i] < -1 || vals[i] >= ds->ndims)
			return corrupt(c, "dims", v->name);
		v->dimids[i] = (int)vals[i];
	}
	if (v->nframes * v->nplanes * v->height * v->width !=
	    catalog_var_elems(v))
		return corrupt(c, "layout", v->name);
	fill = sqlite3_column_type(st, 10) == SQLITE_NULL ? NULL :
		col_blobdup(st, 10, &flen);
	if (fill) {
		if (flen != dtype_size(v->dtype)) {
			free(fill);
			return corrupt(c, "fill value", v->name);
		}
		memcpy(v->fill, fill, flen);
		v->has_fill = 1;
		free(fill);
	}
	rc = load_attrs(c, ds->id, idx, &v->attrs, &v->nattrs);
	if (!rc)
		rc = load_streams(c, v);
	if (!rc)
		rc = load_masks(c, v);
	return rc;
}

/* Whether an extent row describes bytes the view can serve. */
static int extent_valid(const struct cat_dataset *ds,
			const struct cat_extent *x, size_t blen)
{
	const struct cat_var *v;
	size_t isz;

	switch (x->kind) {
	case EXTENT_BYTES:
		return blen == x->length;
	case EXTENT_ZERO:
		return 1;
	case EXTENT_VAR:
		if (x->var < 0 || x->var >= ds->nvars || x->dtype < 0 ||
		    x->dtype >= DTYPE_COUNT)
			return 0;
		v = &ds->vars[x->var];
		isz = dtype_size(x->dtype ? (enum dtype)x->dtype : v->dtype);
		return isz && x->length % isz == 0 &&
			x->elem <= catalog_var_elems(v) &&
			x->length / isz <= catalog_var_elems(v) - x->elem;
	default:
		return 0;
	}
}

static int load_views(struct catalog *c, struct cat_dataset *ds)
{
	sqlite3_stmt *st = NULL, *es = NULL;
	int rc;

	rc = catalog_prepare(c, "SELECT id, name, in_dir, kind, size FROM view"
			     " WHERE dataset_id=? ORDER BY id", &st);
	if (!rc)
		rc = catalog_prepare(c, "SELECT offset, length, kind, var_idx,"
				     " elem, big_endian, bytes, dtype FROM extent"
				     " WHERE view_id=? ORDER BY offset", &es);
	if (rc)
		goto out;
	sqlite3_bind_int64(st, 1, ds->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct cat_view *w = catalog_append(&ds->views,
						    (size_t)ds->nviews,
						    sizeof(*w));
		uint64_t pos = 0;

		if (!w) {
			rc = -ENOMEM;
			goto out;
		}
		ds->nviews++;
		w->id = sqlite3_column_int64(st, 0);
		w->name = col_strdup(st, 1);
		w->in_dir = sqlite3_column_int(st, 2);
		w->kind = sqlite3_column_int(st, 3);
		w->size = (uint64_t)sqlite3_column_int64(st, 4);
		if (!w->name) {
			rc = -ENOMEM;
			goto out;
		}
		if (catalog_name_valid(w->name)) {
			rc = corrupt(c, "view name", ds->name);
			goto out;
		}
		sqlite3_bind_int64(es, 1, w->id);
		while ((rc = sqlite3_step(es)) == SQLITE_ROW) {
			size_t blen = 0, n = (size_t)w->nextents;
			struct cat_extent *x = catalog_append(&w->extents, n,
							      sizeof(*x));

			if (!x) {
				rc = -ENOMEM;
				goto out;
			}
			w->nextents++;
			x->offset = (uint64_t)sqlite3_column_int64(es, 0);
			x->length = (uint64_t)sqlite3_column_int64(es, 1);
			x->kind = sqlite3_column_int(es, 2);
			x->var = sqlite3_column_int(es, 3);
			x->elem = (uint64_t)sqlite3_column_int64(es, 4);
			x->big_endian = sqlite3_column_int(es, 5);
			x->dtype = sqlite3_column_int(es, 7);
			if (x->kind == EXTENT_BYTES) {
				x->bytes = col_blobdup(es, 6, &blen);
				if (!x->bytes) {
					rc = -ENOMEM;
					goto out;
				}
			}
			if (x->offset != pos || !extent_valid(ds, x, blen)) {
				rc = corrupt(c, "extents", w->name);
				goto out;
			}
			pos += x->length;
		}
		sqlite3_reset(es);
		if (rc != SQLITE_DONE) {
			rc = catalog_sqlite_err(c->db, rc, "extents");
			goto out;
		}
		if (pos != w->size) {
			rc = corrupt(c, "extents not tiling the view", w->name);
			goto out;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : catalog_sqlite_err(c->db, rc, "views");
out:
	sqlite3_finalize(st);
	sqlite3_finalize(es);
	return rc;
}

static int load_one(struct catalog *c, sqlite3_stmt *st,
		    struct cat_dataset **out)
{
	struct cat_dataset *ds = calloc(1, sizeof(*ds));
	sqlite3_stmt *q = NULL;
	int rc;

	*out = NULL;
	if (!ds)
		return -ENOMEM;
	ds->id = sqlite3_column_int64(st, 0);
	ds->name = col_strdup(st, 1);
	ds->source = col_strdup(st, 2);
	ds->profile = col_strdup(st, 3);
	ds->created = sqlite3_column_int64(st, 4);
	ds->mtime = sqlite3_column_int64(st, 5);
	ds->skipped = col_strdup(st, 6);
	ds->version = sqlite3_column_int64(st, 7);
	if (!ds->name) {
		rc = -ENOMEM;
		goto out;
	}
	rc = catalog_prepare(c, "SELECT name, len, unlimited FROM dim"
			     " WHERE dataset_id=? ORDER BY idx", &q);
	if (rc)
		goto out;
	sqlite3_bind_int64(q, 1, ds->id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct cat_dim *d = catalog_append(&ds->dims, (size_t)ds->ndims,
						   sizeof(*d));

		if (!d) {
			rc = -ENOMEM;
			goto out;
		}
		d->name = col_strdup(q, 0);
		d->len = (uint64_t)sqlite3_column_int64(q, 1);
		d->unlimited = sqlite3_column_int(q, 2);
		ds->ndims++;
	}
	sqlite3_finalize(q);
	q = NULL;
	rc = load_attrs(c, ds->id, -1, &ds->attrs, &ds->nattrs);
	if (rc)
		goto out;
	rc = catalog_prepare(c, "SELECT id, name, dtype, shape, dims, storage,"
			     " nframes, nplanes, height, width, fill, psnr,"
			     " max_err, nctype, vmin, vmax FROM variable WHERE dataset_id=?"
			     " ORDER BY idx", &q);
	if (rc)
		goto out;
	sqlite3_bind_int64(q, 1, ds->id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct cat_var *v = catalog_append(&ds->vars, (size_t)ds->nvars,
						   sizeof(*v));

		if (!v) {
			rc = -ENOMEM;
			goto out;
		}
		ds->nvars++;
		rc = load_var(c, ds, q, v, ds->nvars - 1);
		if (!rc)
			rc = catalog_fidelity_load(c, v);
		if (rc)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		rc = catalog_sqlite_err(c->db, rc, "variables");
		goto out;
	}
	rc = load_views(c, ds);
out:
	sqlite3_finalize(q);
	if (rc)
		catalog_dataset_free(ds);
	else
		*out = ds;
	return rc;
}

/* Prepares the query of the dataset columns load_one() reads, followed
 * by tail; before version 7 every dataset is at content version 0. */
static int prepare_ds(struct catalog *c, const char *tail, sqlite3_stmt **st)
{
	char sql[160];

	snprintf(sql, sizeof(sql), "SELECT id, name, source, profile, created,"
		 " mtime, skipped, %s FROM dataset %s",
		 c->version >= 7 ? "version" : "0", tail);
	return catalog_prepare(c, sql, st);
}

int catalog_dataset_load(struct catalog *c, const char *name,
			 struct cat_dataset **out)
{
	sqlite3_stmt *st;
	int rc = prepare_ds(c, "WHERE name=?", &st);

	*out = NULL;
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = load_one(c, st, out);
	else
		rc = rc == SQLITE_DONE ? -ENOENT :
			catalog_sqlite_err(c->db, rc, "load dataset");
	sqlite3_finalize(st);
	return rc;
}

int catalog_dataset_load_all(struct catalog *c, struct cat_dataset ***out,
			     int *n)
{
	struct cat_dataset **v = NULL;
	sqlite3_stmt *st;
	int rc = prepare_ds(c, "ORDER BY name", &st), cnt = 0;

	*out = NULL;
	*n = 0;
	if (rc)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct cat_dataset **d = catalog_append(&v, (size_t)cnt,
							sizeof(*d));

		if (!d) {
			rc = -ENOMEM;
			break;
		}
		rc = load_one(c, st, d);
		if (rc)
			break;
		cnt++;
	}
	rc = rc == SQLITE_DONE ? 0 : rc < 0 ? rc :
		catalog_sqlite_err(c->db, rc, "list datasets");
	sqlite3_finalize(st);
	if (rc) {
		catalog_dataset_free_all(v, cnt);
		return rc;
	}
	*out = v;
	*n = cnt;
	return 0;
}

static void attrs_free(struct cat_attr *a, int n)
{
	for (int i = 0; i < n; i++) {
		free(a[i].name);
		free(a[i].data);
	}
	free(a);
}

void catalog_var_release(struct cat_var *v)
{
	free(v->name);
	free(v->shape);
	free(v->dimids);
	attrs_free(v->attrs, v->nattrs);
	for (int s = 0; s < v->nstreams; s++) {
		struct cat_stream *st = &v->streams[s];

		for (uint32_t g = 0; g < st->ngops; g++) {
			free(st->gops[g].pkt_sizes);
			free(st->gops[g].quant);
		}
		free(st->gops);
		for (uint32_t g = 0; g < st->npatches; g++) {
			free(st->patches[g].pkt_sizes);
			free(st->patches[g].quant);
		}
		free(st->patches);
		free(st->segs);
		free(st->params);
	}
	free(v->streams);
	free(v->masks);
	free(v->frameq);
	memset(v, 0, sizeof(*v));
}

void catalog_view_release(struct cat_view *w)
{
	for (int e = 0; e < w->nextents; e++)
		free(w->extents[e].bytes);
	free(w->extents);
	free(w->name);
	memset(w, 0, sizeof(*w));
}

void catalog_views_clear(struct cat_dataset *ds)
{
	for (int i = 0; i < ds->nviews; i++)
		catalog_view_release(&ds->views[i]);
	free(ds->views);
	ds->views = NULL;
	ds->nviews = 0;
}

void catalog_dataset_free(struct cat_dataset *ds)
{
	if (!ds)
		return;
	for (int i = 0; i < ds->ndims; i++)
		free(ds->dims[i].name);
	free(ds->dims);
	attrs_free(ds->attrs, ds->nattrs);
	for (int i = 0; i < ds->nvars; i++)
		catalog_var_release(&ds->vars[i]);
	free(ds->vars);
	catalog_views_clear(ds);
	free(ds->name);
	free(ds->source);
	free(ds->profile);
	free(ds->skipped);
	free(ds);
}

void catalog_dataset_free_all(struct cat_dataset **v, int n)
{
	for (int i = 0; i < n; i++)
		catalog_dataset_free(v[i]);
	free(v);
}
