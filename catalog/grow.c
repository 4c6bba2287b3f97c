/* SPDX-License-Identifier: MIT */
/* A dataset grown in place (frames appended) and the files it came from (schema version 3). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog_int.h"

enum { G_DIM, G_VAR, G_STREAM, G_GOPDEL, G_GOP, G_QUANT, G_MASKDEL, G_MASK,
       G_VIEW, G_EXTDEL, G_EXT, G_DS, G_COUNT };

static const char *const grow_sql[G_COUNT] = {
	[G_DIM] = "UPDATE dim SET len=? WHERE dataset_id=? AND idx=?",
	[G_VAR] = "UPDATE variable SET shape=?, nframes=?, height=?, width=?,"
		" vmin=?, vmax=? WHERE id=?",
	[G_STREAM] = "UPDATE stream SET width=?, height=?, gop_len=?"
		" WHERE id=?",
	[G_GOPDEL] = "DELETE FROM gop WHERE stream_id=? AND first_frame>=?",
	[G_GOP] = "INSERT INTO gop(stream_id, first_frame, nframes, pack_id,"
		" offset, length, extra_size, packets, checksum, corr_offset,"
		" corr_length, ncorr) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
	[G_QUANT] = "INSERT INTO quant VALUES(?,?,?,?,?,?)",
	[G_MASKDEL] = "DELETE FROM mask WHERE variable_id=? AND first_frame>=?",
	[G_MASK] = "INSERT INTO mask VALUES(?,?,?,?,?,?)",
	[G_VIEW] = "UPDATE view SET size=? WHERE id=? AND dataset_id=?",
	[G_EXTDEL] = "DELETE FROM extent WHERE view_id=?",
	[G_EXT] = "INSERT INTO extent(view_id, offset, length, kind, var_idx,"
		" elem, big_endian, dtype, bytes) VALUES(?,?,?,?,?,?,?,?,?)",
	[G_DS] = "UPDATE dataset SET mtime=?, version=version+1 WHERE id=?",
};

/* Binds and runs st with one integer after the other. */
static int run_ids(struct catalog *c, sqlite3_stmt *st, const char *what,
		   int64_t a, int64_t b)
{
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	return catalog_run(c, st, what);
}

/* The rows of variable v from frame `from` on. */
static int grow_var(struct catalog *c, sqlite3_stmt **st,
		    struct cat_var *v, uint32_t from)
{
	char *shape = catalog_join_u64(v->shape, v->ndim);
	sqlite3_stmt *q = st[G_VAR];
	int rc, m = 0;

	if (!shape)
		return -ENOMEM;
	sqlite3_bind_text(q, 1, shape, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)v->nframes);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)v->height);
	sqlite3_bind_int64(q, 4, (sqlite3_int64)v->width);
	sqlite3_bind_double(q, 5, v->vmin);
	sqlite3_bind_double(q, 6, v->vmax);
	sqlite3_bind_int64(q, 7, v->id);
	rc = catalog_run(c, q, "grow variable");
	free(shape);
	for (int s = 0; s < v->nstreams && !rc; s++) {
		struct cat_stream *sp = &v->streams[s];
		uint32_t g = 0;

		q = st[G_STREAM];
		sqlite3_bind_int(q, 1, sp->width);
		sqlite3_bind_int(q, 2, sp->height);
		sqlite3_bind_int64(q, 3, sp->gop_len);
		sqlite3_bind_int64(q, 4, sp->id);
		rc = catalog_run(c, q, "grow stream");
		if (!rc)
			rc = run_ids(c, st[G_GOPDEL], "replace gops", sp->id,
				     from);
		while (g < sp->ngops && sp->gops[g].first_frame < from)
			g++;
		if (!rc)
			rc = catalog_gops_insert(c, st[G_GOP], st[G_QUANT], sp,
						 g);
	}
	if (!rc)
		rc = run_ids(c, st[G_MASKDEL], "replace masks", v->id, from);
	while (m < v->nmasks && v->masks[m].first_frame < from)
		m++;
	if (!rc)
		rc = catalog_masks_insert(c, st[G_MASK], v, m);
	if (!rc && v->frameq && from < v->nframes)
		rc = catalog_frameq_put(c, v->id, from,
					(uint32_t)(v->nframes - from),
					v->frameq + from);
	if (!rc && v->frameq && v->storage == VAR_STORE_VIDEO)
		rc = catalog_var_quality_refresh(c, v);
	return rc;
}

static int grow_view(struct catalog *c, sqlite3_stmt **st, int64_t ds,
		     const struct cat_view *w)
{
	int rc;

	sqlite3_bind_int64(st[G_VIEW], 1, (sqlite3_int64)w->size);
	sqlite3_bind_int64(st[G_VIEW], 2, w->id);
	sqlite3_bind_int64(st[G_VIEW], 3, ds);
	rc = catalog_run(c, st[G_VIEW], "grow view");
	if (!rc && !sqlite3_changes(c->db))
		rc = -ENOENT;
	if (!rc) {
		sqlite3_bind_int64(st[G_EXTDEL], 1, w->id);
		rc = catalog_run(c, st[G_EXTDEL], "replace extents");
	}
	return rc ? rc : catalog_extents_insert(c, st[G_EXT], w);
}

int catalog_dataset_grow(struct catalog *c, struct cat_dataset *ds,
			 const uint32_t *from)
{
	sqlite3_stmt *st[G_COUNT] = { 0 };
	int rc = 0;

	for (int i = 0; i < G_COUNT && !rc; i++)
		rc = catalog_prepare(c, grow_sql[i], &st[i]);
	for (int i = 0; i < ds->ndims && !rc; i++) {
		sqlite3_bind_int64(st[G_DIM], 1,
				   (sqlite3_int64)ds->dims[i].len);
		sqlite3_bind_int64(st[G_DIM], 2, ds->id);
		sqlite3_bind_int(st[G_DIM], 3, i);
		rc = catalog_run(c, st[G_DIM], "grow dim");
	}
	for (int i = 0; i < ds->nvars && !rc; i++)
		if (from[i] != UINT32_MAX)
			rc = grow_var(c, st, &ds->vars[i], from[i]);
	for (int i = 0; i < ds->nviews && !rc; i++)
		rc = grow_view(c, st, ds->id, &ds->views[i]);
	if (!rc)
		rc = run_ids(c, st[G_DS], "touch dataset", ds->mtime, ds->id);
	for (int i = 0; i < G_COUNT; i++)
		sqlite3_finalize(st[i]);
	return rc;
}

static int need_v3(struct catalog *c)
{
	return c->version >= 3 ? 0 : -ENOTSUP;
}

int catalog_part_add(struct catalog *c, int64_t dataset_id,
		     const struct cat_part *p)
{
	sqlite3_stmt *st = NULL;
	int rc = need_v3(c);

	if (!rc)
		rc = catalog_prepare(c, "INSERT OR REPLACE INTO part VALUES"
				     "(?,?,?,?,?)", &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, dataset_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)p->first_frame);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)p->nframes);
	sqlite3_bind_text(st, 4, p->path ? p->path : "", -1, SQLITE_STATIC);
	if (p->attrs)
		sqlite3_bind_text(st, 5, p->attrs, -1, SQLITE_STATIC);
	rc = catalog_run(c, st, "insert part");
	sqlite3_finalize(st);
	return rc;
}

static char *column_text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t ? strdup((const char *)t) : NULL;
}

int catalog_parts_load(struct catalog *c, int64_t dataset_id,
		       struct cat_part **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	struct cat_part *v = NULL, *p;
	int rc;

	*out = NULL;
	*n = 0;
	if (need_v3(c))
		return 0;
	rc = catalog_prepare(c, "SELECT first_frame, nframes, path, attrs FROM"
			     " part WHERE dataset_id=? ORDER BY first_frame",
			     &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, dataset_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		p = catalog_append(&v, *n, sizeof(*v));
		if (!p) {
			rc = -ENOMEM;
			break;
		}
		(*n)++;
		p->first_frame = (uint64_t)sqlite3_column_int64(st, 0);
		p->nframes = (uint64_t)sqlite3_column_int64(st, 1);
		p->path = column_text(st, 2);
		p->attrs = column_text(st, 3);
		if (!p->path) {
			rc = -ENOMEM;
			break;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : rc < 0 ? rc :
		catalog_sqlite_err(c->db, rc, "read parts");
	sqlite3_finalize(st);
	if (rc) {
		catalog_parts_free(v, *n);
		*n = 0;
		return rc;
	}
	*out = v;
	return 0;
}

void catalog_parts_free(struct cat_part *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].path);
		free(v[i].attrs);
	}
	free(v);
}
