/* SPDX-License-Identifier: MIT */
/* Patch layers: GOPs of the frames an edit rewrote, over the base GOPs, and which GOP serves each frame. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog_int.h"

/* A layer's stream row: the base stream's parameters, a negative idx
 * (unique: below every idx there is) and base_id. */
static int insert_layer(struct catalog *c, int64_t var_id,
			const struct cat_stream *s, int64_t *id)
{
	sqlite3_stmt *st;
	int rc = catalog_prepare(c, "INSERT INTO stream(variable_id, idx,"
				 " first_plane, nplanes, codec, bits, width,"
				 " height, crf, lossless, params, gop_len,"
				 " max_error, base_id) SELECT ?1, MIN(0, MIN(idx))"
				 " - 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
				 " ?12, ?13 FROM stream WHERE variable_id=?1",
				 &st);

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, var_id);
	sqlite3_bind_int(st, 2, s->first_plane);
	sqlite3_bind_int(st, 3, s->nplanes);
	sqlite3_bind_int(st, 4, s->codec);
	sqlite3_bind_int(st, 5, s->bits);
	sqlite3_bind_int(st, 6, s->width);
	sqlite3_bind_int(st, 7, s->height);
	sqlite3_bind_int(st, 8, s->crf);
	sqlite3_bind_int(st, 9, s->lossless);
	if (s->params)
		sqlite3_bind_text(st, 10, s->params, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 11, s->gop_len);
	sqlite3_bind_double(st, 12, s->max_error);
	sqlite3_bind_int64(st, 13, s->id);
	rc = catalog_run(c, st, "insert patch layer");
	sqlite3_finalize(st);
	*id = sqlite3_last_insert_rowid(c->db);
	return rc;
}

static int insert_gops(struct catalog *c, int64_t layer, struct cat_gop *g,
		       uint32_t n, int nplanes)
{
	sqlite3_stmt *st = NULL, *q = NULL;
	int rc = catalog_prepare(c, "INSERT INTO gop(stream_id, first_frame,"
				 " nframes, pack_id, offset, length, extra_size,"
				 " packets, checksum, corr_offset, corr_length,"
				 " ncorr) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)", &st);

	if (!rc)
		rc = catalog_prepare(c, "INSERT INTO quant VALUES(?,?,?,?,?,?)",
				     &q);
	for (uint32_t i = 0; i < n && !rc; i++) {
		sqlite3_bind_int64(st, 1, layer);
		sqlite3_bind_int64(st, 2, g[i].first_frame);
		sqlite3_bind_int64(st, 3, g[i].nframes);
		catalog_gop_bind(st, 4, &g[i]);
		rc = catalog_run(c, st, "insert patch gop");
		if (rc)
			break;
		g[i].id = sqlite3_last_insert_rowid(c->db);
		g[i].layer = layer;
		if (g[i].quant)
			rc = catalog_quant_insert(c, q, &g[i], nplanes);
	}
	sqlite3_finalize(st);
	sqlite3_finalize(q);
	return rc;
}

/* 1 if frame f lies in one of the n GOPs g. */
static int in_gops(const struct cat_gop *g, uint32_t n, uint32_t f)
{
	for (uint32_t i = 0; i < n; i++)
		if (f >= g[i].first_frame && f - g[i].first_frame < g[i].nframes)
			return 1;
	return 0;
}

/* 1 if a patch of a later layer than p, or one of the new ones, holds
 * every frame of p: nothing reads p any more. */
static int shadowed(const struct cat_stream *s, const struct cat_gop *p,
		    const struct cat_gop *g, uint32_t n)
{
	for (uint32_t f = p->first_frame; f < p->first_frame + p->nframes;
	     f++) {
		int held = in_gops(g, n, f);

		for (uint32_t i = 0; i < s->npatches && !held; i++)
			held = s->patches[i].layer > p->layer &&
				in_gops(&s->patches[i], 1, f);
		if (!held)
			return 0;
	}
	return 1;
}

/* Deletes the patch layers over base stream base that hold no GOP. */
static int drop_empty_layers(struct catalog *c, int64_t base)
{
	sqlite3_stmt *st;
	int rc = catalog_prepare(c, "DELETE FROM stream WHERE base_id=? AND"
				 " NOT EXISTS(SELECT 1 FROM gop WHERE"
				 " stream_id=stream.id)", &st);

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, base);
	rc = catalog_run(c, st, "delete empty patch layers");
	sqlite3_finalize(st);
	return rc;
}

int catalog_patch_add(struct catalog *c, int64_t var_id,
		      const struct cat_stream *s, struct cat_gop *g,
		      uint32_t n, int nplanes)
{
	sqlite3_stmt *del = NULL;
	int64_t layer;
	int rc;

	if (c->version < 5)
		return -ENOTSUP;
	rc = insert_layer(c, var_id, s, &layer);
	if (!rc)
		rc = insert_gops(c, layer, g, n, nplanes);
	if (!rc)
		rc = catalog_prepare(c, "DELETE FROM gop WHERE id=?", &del);
	for (uint32_t i = 0; i < s->npatches && !rc; i++) {
		if (!shadowed(s, &s->patches[i], g, n))
			continue;
		sqlite3_bind_int64(del, 1, s->patches[i].id);
		rc = catalog_run(c, del, "delete patch gop");
	}
	sqlite3_finalize(del);
	return rc ? rc : drop_empty_layers(c, s->id);
}

int catalog_patch_clear(struct catalog *c, int64_t stream_id,
			uint32_t first, uint32_t n)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (c->version < 5)
		return 0;
	rc = catalog_prepare(c, "DELETE FROM gop WHERE stream_id IN (SELECT id"
			     " FROM stream WHERE base_id=?1) AND first_frame>=?2"
			     " AND first_frame + nframes<=?3", &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, stream_id);
	sqlite3_bind_int64(st, 2, first);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)first + n);
	rc = catalog_run(c, st, "delete patch gops");
	sqlite3_finalize(st);
	return rc ? rc : drop_empty_layers(c, stream_id);
}

int catalog_patch_map(struct cat_stream *s, uint64_t nframes)
{
	uint32_t *owner, n = 0;
	struct cat_seg *segs;

	free(s->segs);
	s->segs = NULL;
	s->nsegs = 0;
	if (!s->npatches)
		return 0;
	if (nframes > UINT32_MAX)
		return -EUCLEAN;
	owner = malloc((size_t)nframes * sizeof(*owner) + 1);
	if (!owner)
		return -ENOMEM;
	for (uint32_t g = 0; g < s->ngops; g++)
		for (uint32_t f = 0; f < s->gops[g].nframes; f++)
			owner[s->gops[g].first_frame + f] = g;
	/* patches are in layer order: a newer one goes over an older one */
	for (uint32_t p = 0; p < s->npatches; p++) {
		const struct cat_gop *pg = &s->patches[p];

		if ((uint64_t)pg->first_frame + pg->nframes > nframes) {
			free(owner);
			return -EUCLEAN;
		}
		for (uint32_t f = 0; f < pg->nframes; f++)
			owner[pg->first_frame + f] = s->ngops + p;
	}
	segs = malloc((size_t)nframes * sizeof(*segs) + 1);
	if (!segs) {
		free(owner);
		return -ENOMEM;
	}
	for (uint32_t f = 0; f < nframes; f++) {
		if (n && owner[f] == segs[n - 1].gop) {
			segs[n - 1].nframes++;
			continue;
		}
		segs[n++] = (struct cat_seg){ .first_frame = f, .nframes = 1,
					      .gop = owner[f] };
	}
	free(owner);
	s->segs = realloc(segs, (size_t)n * sizeof(*segs) + 1);
	if (!s->segs)
		s->segs = segs;
	s->nsegs = n;
	return 0;
}

uint32_t catalog_var_patches(const struct cat_var *v)
{
	return v->nstreams ? v->streams[0].npatches : 0;
}
