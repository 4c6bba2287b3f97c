/* SPDX-License-Identifier: MIT */
/* Writing a dataset and everything under it into the catalog, inside the caller's transaction. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dtype.h"
#include "catalog/catalog_int.h"

char *catalog_join_u64(const uint64_t *v, int n)
{
	char *s = malloc((size_t)n * 21 + 1), *p = s;

	if (!s)
		return NULL;
	*p = 0;
	for (int i = 0; i < n; i++)
		p += sprintf(p, i ? ",%" PRIu64 : "%" PRIu64, v[i]);
	return s;
}

static char *join_int(const int *v, int n)
{
	char *s = malloc((size_t)n * 12 + 1), *p = s;

	if (!s)
		return NULL;
	*p = 0;
	for (int i = 0; i < n; i++)
		p += sprintf(p, i ? ",%d" : "%d", v[i]);
	return s;
}

void catalog_gop_bind(sqlite3_stmt *st, int col, const struct cat_gop *g)
{
	sqlite3_bind_int64(st, col, g->pack_id);
	sqlite3_bind_int64(st, col + 1, (sqlite3_int64)g->offset);
	sqlite3_bind_int64(st, col + 2, (sqlite3_int64)g->length);
	sqlite3_bind_int64(st, col + 3, g->extra_size);
	sqlite3_bind_blob64(st, col + 4, g->pkt_sizes ? (void *)g->pkt_sizes :
			    (void *)"", (uint64_t)g->npkt * 4, SQLITE_STATIC);
	sqlite3_bind_int64(st, col + 5, g->checksum);
	sqlite3_bind_int64(st, col + 6, (sqlite3_int64)g->corr_offset);
	sqlite3_bind_int64(st, col + 7, (sqlite3_int64)g->corr_length);
	sqlite3_bind_int64(st, col + 8, g->ncorr);
}

int catalog_quant_insert(struct catalog *c, sqlite3_stmt *ins,
			 const struct cat_gop *g, int nplanes)
{
	int rc = 0;

	for (int p = 0; p < nplanes && !rc; p++) {
		sqlite3_bind_int64(ins, 1, g->id);
		sqlite3_bind_int(ins, 2, p);
		sqlite3_bind_double(ins, 3, g->quant[p].scale);
		sqlite3_bind_double(ins, 4, g->quant[p].offset);
		sqlite3_bind_double(ins, 5, g->quant[p].min);
		sqlite3_bind_double(ins, 6, g->quant[p].max);
		rc = catalog_run(c, ins, "insert quant");
	}
	return rc;
}

int catalog_gops_insert(struct catalog *c, sqlite3_stmt *ins,
			sqlite3_stmt *quant, struct cat_stream *s,
			uint32_t from)
{
	int rc = 0;

	for (uint32_t g = from; g < s->ngops && !rc; g++) {
		struct cat_gop *gp = &s->gops[g];

		sqlite3_bind_int64(ins, 1, s->id);
		sqlite3_bind_int64(ins, 2, gp->first_frame);
		sqlite3_bind_int64(ins, 3, gp->nframes);
		catalog_gop_bind(ins, 4, gp);
		rc = catalog_run(c, ins, "insert gop");
		if (rc)
			break;
		gp->id = sqlite3_last_insert_rowid(c->db);
		if (gp->quant)
			rc = catalog_quant_insert(c, quant, gp, s->nplanes);
	}
	return rc;
}

int catalog_masks_insert(struct catalog *c, sqlite3_stmt *ins,
			 const struct cat_var *v, int from)
{
	int rc = 0;

	for (int m = from; m < v->nmasks && !rc; m++) {
		sqlite3_bind_int64(ins, 1, v->id);
		sqlite3_bind_int64(ins, 2, v->masks[m].first_frame);
		sqlite3_bind_int64(ins, 3, v->masks[m].nframes);
		sqlite3_bind_int64(ins, 4, v->masks[m].pack_id);
		sqlite3_bind_int64(ins, 5, (sqlite3_int64)v->masks[m].offset);
		sqlite3_bind_int64(ins, 6, (sqlite3_int64)v->masks[m].length);
		rc = catalog_run(c, ins, "insert mask");
	}
	return rc;
}

int catalog_extents_insert(struct catalog *c, sqlite3_stmt *ins,
			   const struct cat_view *w)
{
	int rc = 0;

	for (int e = 0; e < w->nextents && !rc; e++) {
		const struct cat_extent *x = &w->extents[e];

		sqlite3_bind_int64(ins, 1, w->id);
		sqlite3_bind_int64(ins, 2, (sqlite3_int64)x->offset);
		sqlite3_bind_int64(ins, 3, (sqlite3_int64)x->length);
		sqlite3_bind_int(ins, 4, x->kind);
		sqlite3_bind_int(ins, 5, x->var);
		sqlite3_bind_int64(ins, 6, (sqlite3_int64)x->elem);
		sqlite3_bind_int(ins, 7, x->big_endian);
		sqlite3_bind_int(ins, 8, x->dtype);
		if (x->kind == EXTENT_BYTES)
			sqlite3_bind_blob64(ins, 9, x->bytes, x->length,
					    SQLITE_STATIC);
		else
			sqlite3_bind_null(ins, 9);
		rc = catalog_run(c, ins, "insert extent");
	}
	return rc;
}

static int insert_attrs(struct catalog *c, sqlite3_stmt *st, int64_t ds,
			int var_idx, const struct cat_attr *a, int n)
{
	int rc = 0;

	for (int i = 0; i < n && !rc; i++) {
		sqlite3_bind_int64(st, 1, ds);
		sqlite3_bind_int(st, 2, var_idx);
		sqlite3_bind_int(st, 3, i);
		sqlite3_bind_text(st, 4, a[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 5, a[i].type);
		sqlite3_bind_int64(st, 6, (sqlite3_int64)a[i].len);
		sqlite3_bind_blob64(st, 7, a[i].data ? a[i].data : "",
				    a[i].len * nct_size(a[i].type),
				    SQLITE_STATIC);
		rc = catalog_run(c, st, "insert attribute");
	}
	return rc;
}

enum { S_DS, S_DIM, S_VAR, S_ATTR, S_STREAM, S_GOP, S_QUANT, S_MASK, S_VIEW,
       S_EXT, S_COUNT };

static const char *const insert_sql[S_COUNT] = {
	[S_DS] = "INSERT INTO dataset(name, source, profile, created, mtime,"
		" skipped) VALUES(?,?,?,?,?,?)",
	[S_DIM] = "INSERT INTO dim VALUES(?,?,?,?,?)",
	[S_VAR] = "INSERT INTO variable(dataset_id, idx, name, dtype, shape, dims,"
		" storage, nframes, nplanes, height, width, fill, psnr, max_err,"
		" nctype, vmin, vmax) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[S_ATTR] = "INSERT INTO attribute VALUES(?,?,?,?,?,?,?)",
	[S_STREAM] = "INSERT INTO stream(variable_id, idx, first_plane, nplanes,"
		" codec, bits, width, height, crf, lossless, params, gop_len,"
		" max_error) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[S_GOP] = "INSERT INTO gop(stream_id, first_frame, nframes, pack_id,"
		" offset, length, extra_size, packets, checksum, corr_offset,"
		" corr_length, ncorr) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
	[S_QUANT] = "INSERT INTO quant VALUES(?,?,?,?,?,?)",
	[S_MASK] = "INSERT INTO mask VALUES(?,?,?,?,?,?)",
	[S_VIEW] = "INSERT INTO view(dataset_id, name, in_dir, kind, size)"
		" VALUES(?,?,?,?,?)",
	[S_EXT] = "INSERT INTO extent(view_id, offset, length, kind, var_idx, elem,"
		" big_endian, dtype, bytes) VALUES(?,?,?,?,?,?,?,?,?)",
};

static int insert_stream(struct catalog *c, sqlite3_stmt **st, int64_t var_id,
			 int idx, struct cat_stream *s)
{
	int rc;

	sqlite3_bind_int64(st[S_STREAM], 1, var_id);
	sqlite3_bind_int(st[S_STREAM], 2, idx);
	sqlite3_bind_int(st[S_STREAM], 3, s->first_plane);
	sqlite3_bind_int(st[S_STREAM], 4, s->nplanes);
	sqlite3_bind_int(st[S_STREAM], 5, s->codec);
	sqlite3_bind_int(st[S_STREAM], 6, s->bits);
	sqlite3_bind_int(st[S_STREAM], 7, s->width);
	sqlite3_bind_int(st[S_STREAM], 8, s->height);
	sqlite3_bind_int(st[S_STREAM], 9, s->crf);
	sqlite3_bind_int(st[S_STREAM], 10, s->lossless);
	if (s->params)
		sqlite3_bind_text(st[S_STREAM], 11, s->params, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st[S_STREAM], 12, s->gop_len);
	sqlite3_bind_double(st[S_STREAM], 13, s->max_error);
	rc = catalog_run(c, st[S_STREAM], "insert stream");
	if (rc)
		return rc;
	s->id = sqlite3_last_insert_rowid(c->db);
	return catalog_gops_insert(c, st[S_GOP], st[S_QUANT], s, 0);
}

static int insert_var(struct catalog *c, sqlite3_stmt **st, int64_t ds,
		      int idx, struct cat_var *v)
{
	sqlite3_stmt *q = st[S_VAR];
	char *shape = catalog_join_u64(v->shape, v->ndim);
	char *dims = join_int(v->dimids, v->ndim);
	int rc = -ENOMEM;

	if (!shape || !dims)
		goto out;
	sqlite3_bind_int64(q, 1, ds);
	sqlite3_bind_int(q, 2, idx);
	sqlite3_bind_text(q, 3, v->name, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 4, v->dtype);
	sqlite3_bind_text(q, 5, shape, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 6, dims, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 7, v->storage);
	sqlite3_bind_int64(q, 8, (sqlite3_int64)v->nframes);
	sqlite3_bind_int64(q, 9, (sqlite3_int64)v->nplanes);
	sqlite3_bind_int64(q, 10, (sqlite3_int64)v->height);
	sqlite3_bind_int64(q, 11, (sqlite3_int64)v->width);
	if (v->has_fill)
		sqlite3_bind_blob(q, 12, v->fill, (int)dtype_size(v->dtype),
				  SQLITE_STATIC);
	sqlite3_bind_double(q, 13, v->psnr);
	sqlite3_bind_double(q, 14, v->max_err);
	sqlite3_bind_int(q, 15, v->nctype);
	sqlite3_bind_double(q, 16, v->vmin);
	sqlite3_bind_double(q, 17, v->vmax);
	rc = catalog_run(c, q, "insert variable");
	if (rc)
		goto out;
	v->id = sqlite3_last_insert_rowid(c->db);
	rc = insert_attrs(c, st[S_ATTR], ds, idx, v->attrs, v->nattrs);
	for (int s = 0; s < v->nstreams && !rc; s++)
		rc = insert_stream(c, st, v->id, s, &v->streams[s]);
	if (!rc)
		rc = catalog_masks_insert(c, st[S_MASK], v, 0);
	if (!rc && v->frameq)
		rc = catalog_frameq_put(c, v->id, 0, (uint32_t)v->nframes,
					v->frameq);
	if (!rc)
		rc = catalog_fidelity_put(c, v);
out:
	free(shape);
	free(dims);
	return rc;
}

static int insert_view(struct catalog *c, sqlite3_stmt **st, int64_t ds,
		       struct cat_view *w)
{
	sqlite3_stmt *q = st[S_VIEW];
	int rc;

	sqlite3_bind_int64(q, 1, ds);
	sqlite3_bind_text(q, 2, w->name, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 3, w->in_dir);
	sqlite3_bind_int(q, 4, w->kind);
	sqlite3_bind_int64(q, 5, (sqlite3_int64)w->size);
	rc = catalog_run(c, q, "insert view");
	if (rc)
		return rc;
	w->id = sqlite3_last_insert_rowid(c->db);
	return catalog_extents_insert(c, st[S_EXT], w);
}

int catalog_dataset_insert(struct catalog *c, struct cat_dataset *ds)
{
	sqlite3_stmt *st[S_COUNT] = { 0 };
	int rc = 0;

	for (int i = 0; i < S_COUNT && !rc; i++)
		rc = catalog_prepare(c, insert_sql[i], &st[i]);
	if (rc)
		goto out;
	sqlite3_bind_text(st[S_DS], 1, ds->name, -1, SQLITE_STATIC);
	if (ds->source)
		sqlite3_bind_text(st[S_DS], 2, ds->source, -1, SQLITE_STATIC);
	if (ds->profile)
		sqlite3_bind_text(st[S_DS], 3, ds->profile, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st[S_DS], 4, ds->created);
	sqlite3_bind_int64(st[S_DS], 5, ds->mtime);
	if (ds->skipped)
		sqlite3_bind_text(st[S_DS], 6, ds->skipped, -1, SQLITE_STATIC);
	rc = catalog_run(c, st[S_DS], "insert dataset");
	if (rc)
		goto out;
	ds->id = sqlite3_last_insert_rowid(c->db);
	for (int i = 0; i < ds->ndims && !rc; i++) {
		sqlite3_bind_int64(st[S_DIM], 1, ds->id);
		sqlite3_bind_int(st[S_DIM], 2, i);
		sqlite3_bind_text(st[S_DIM], 3, ds->dims[i].name, -1,
				  SQLITE_STATIC);
		sqlite3_bind_int64(st[S_DIM], 4, (sqlite3_int64)ds->dims[i].len);
		sqlite3_bind_int(st[S_DIM], 5, ds->dims[i].unlimited);
		rc = catalog_run(c, st[S_DIM], "insert dim");
	}
	if (!rc)
		rc = insert_attrs(c, st[S_ATTR], ds->id, -1, ds->attrs,
				  ds->nattrs);
	for (int i = 0; i < ds->nvars && !rc; i++)
		rc = insert_var(c, st, ds->id, i, &ds->vars[i]);
	for (int i = 0; i < ds->nviews && !rc; i++)
		rc = insert_view(c, st, ds->id, &ds->views[i]);
out:
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st[i]);
	return rc;
}

uint64_t catalog_var_elems(const struct cat_var *v)
{
	uint64_t n = 1;

	for (int i = 0; i < v->ndim; i++)
		n *= v->shape[i];
	return n;
}

uint64_t catalog_var_stored_bytes(const struct cat_var *v)
{
	uint64_t n = 0;

	for (int s = 0; s < v->nstreams; s++)
		for (uint32_t g = 0; g < v->streams[s].ngops; g++)
			n += v->streams[s].gops[g].length +
				v->streams[s].gops[g].corr_length;
	for (int s = 0; s < v->nstreams; s++)
		for (uint32_t g = 0; g < v->streams[s].npatches; g++)
			n += v->streams[s].patches[g].length +
				v->streams[s].patches[g].corr_length;
	for (int m = 0; m < v->nmasks; m++)
		n += v->masks[m].length;
	return n;
}
