/* SPDX-License-Identifier: MIT */
/* The commit of staged writes: touched GOPs found, read back with the writes over them, re-encoded, swapped in. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "catalog/pack.h"
#include "fs/commit.h"
#include "ingest/encode.h"
#include "ingest/source.h"

/* The view as it reads now: stored bytes with the staged ones over. */
struct view_src {
	struct reader *r;
	const struct cat_dataset *ds;   /* the reader's, for reading */
	const struct cat_view *w;
	struct stage *st;
};

static int view_bytes(struct view_src *vs, void *buf, size_t len,
		      uint64_t off)
{
	ssize_t n = reader_read_view(vs->r, vs->ds, vs->w, buf, len, off);

	if (n < 0)
		return (int)n;
	if ((size_t)n < len)
		memset((char *)buf + n, 0, len - (size_t)n);
	return stage_overlay(vs->st, buf, len, off);
}

/* source ops: frames of a variable, gathered from the view's extents. */
static int vs_read_frames(struct source *s, int var, uint64_t first,
			  uint64_t n, void *dst)
{
	struct view_src *vs = s->priv;
	const struct cat_var *v = &s->meta->vars[var];
	/* source frames run along the first axis (source.h) */
	uint64_t fe = v->ndim >= 2 && v->shape[0] ?
		catalog_var_elems(v) / v->shape[0] : catalog_var_elems(v);
	uint64_t e0 = first * fe, e1 = (first + n) * fe;
	size_t isz = dtype_size(v->dtype);
	int rc = 0;

	memset(dst, 0, (size_t)((e1 - e0) * isz));
	for (int i = 0; i < vs->w->nextents && !rc; i++) {
		const struct cat_extent *x = &vs->w->extents[i];
		enum dtype t = x->dtype ? (enum dtype)x->dtype : v->dtype;
		size_t osz = dtype_size(t);
		uint64_t a, b;
		char *tmp;

		if (x->kind != EXTENT_VAR || x->var != var)
			continue;
		a = x->elem > e0 ? x->elem : e0;
		b = x->elem + x->length / osz < e1 ? x->elem + x->length / osz :
			e1;
		if (a >= b)
			continue;
		tmp = malloc((size_t)(b - a) * (osz > isz ? osz : isz));
		if (!tmp)
			return -ENOMEM;
		rc = view_bytes(vs, tmp, (size_t)((b - a) * osz),
				x->offset + (a - x->elem) * osz);
		if (!rc) {
			char *out = (char *)dst + (a - e0) * isz;

			if (x->big_endian)
				dtype_bswap(tmp, osz, (size_t)(b - a));
			if (t != v->dtype) {
				double *d = malloc((size_t)(b - a) *
						   sizeof(double));

				if (!d) {
					rc = -ENOMEM;
				} else {
					dtype_to_double(t, tmp, d, (size_t)(b - a));
					dtype_from_double(v->dtype, d, out,
							  (size_t)(b - a));
					free(d);
				}
			} else {
				memcpy(out, tmp, (size_t)(b - a) * isz);
			}
		}
		free(tmp);
	}
	return rc;
}

static const struct source_ops view_ops = {
	.kind = "view",
	.read_frames = vs_read_frames,
};

/* Touched GOPs: one flag per (variable, GOP index). */
struct touched {
	const struct cat_dataset *ds;
	const struct cat_view *w;
	uint8_t **gop;          /* per variable, per GOP index */
	int header;             /* a non-data byte was written */
};

static void mark_frames(struct touched *t, int vi, uint64_t e0, uint64_t e1)
{
	const struct cat_var *v = &t->ds->vars[vi];
	const struct cat_stream *s = &v->streams[0];
	uint64_t fe = catalog_var_elems(v) / (v->nframes ? v->nframes : 1);

	for (uint32_t g = 0; g < s->ngops; g++) {
		uint64_t g0 = (uint64_t)s->gops[g].first_frame * fe;
		uint64_t g1 = g0 + (uint64_t)s->gops[g].nframes * fe;

		if (g0 < e1 && e0 < g1)
			t->gop[vi][g] = 1;
	}
}

static int mark_range(void *arg, uint64_t off, uint64_t len)
{
	struct touched *t = arg;
	uint64_t end = off + len;

	for (int i = 0; i < t->w->nextents; i++) {
		const struct cat_extent *x = &t->w->extents[i];
		const struct cat_var *v;
		uint64_t a, b;
		size_t osz;

		if (x->offset >= end || x->offset + x->length <= off)
			continue;
		if (x->kind != EXTENT_VAR) {
			t->header = 1;
			continue;
		}
		v = &t->ds->vars[x->var];
		if (!v->nstreams)
			continue;
		osz = dtype_size(x->dtype ? (enum dtype)x->dtype : v->dtype);
		a = (off > x->offset ? off : x->offset) - x->offset;
		b = (end < x->offset + x->length ? end : x->offset + x->length) -
			x->offset;
		mark_frames(t, x->var, x->elem + a / osz,
			    x->elem + (b + osz - 1) / osz);
	}
	return 0;
}

/* 1 if the staged bytes over the view's literal extents change them. */
static int header_changed(struct view_src *vs)
{
	const struct cat_view *w = vs->w;
	int changed = 0;

	for (int i = 0; i < w->nextents && !changed; i++) {
		const struct cat_extent *x = &w->extents[i];
		uint8_t *now;

		if (x->kind == EXTENT_VAR)
			continue;
		now = malloc(x->length + 1);
		if (!now || view_bytes(vs, now, (size_t)x->length, x->offset))
			changed = 1;
		else if (x->kind == EXTENT_BYTES)
			changed = memcmp(now, x->bytes, (size_t)x->length) != 0;
		else
			for (uint64_t k = 0; k < x->length && !changed; k++)
				changed = now[k] != 0;
		free(now);
	}
	return changed;
}

/* Writes the whole view as it reads now into path. */
static int materialize(struct view_src *vs, uint64_t size, const char *path)
{
	size_t chunk = 4u << 20;
	char *buf = malloc(chunk);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int rc = buf && fd >= 0 ? 0 : fd < 0 ? -errno : -ENOMEM;

	for (uint64_t off = 0; !rc && off < size; off += chunk) {
		size_t n = size - off < chunk ? (size_t)(size - off) : chunk;

		rc = view_bytes(vs, buf, n, off);
		if (!rc && pwrite(fd, buf, n, (off_t)off) != (ssize_t)n)
			rc = -errno ? -errno : -EIO;
	}
	if (!rc && fsync(fd))
		rc = -errno;
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

static int replace(struct catalog *c, struct view_src *vs,
		   const struct import_opts *o)
{
	char path[PATH_MAX], name[CATALOG_NAME_MAX + 1];
	struct import_opts io = *o;
	int rc;

	if (vs->w->in_dir) {
		log_error("'%s/%s': a write that changes the header of a "
			  "variable's view is refused; write the dataset's own "
			  "file instead", vs->ds->name, vs->w->name);
		return -EPERM;
	}
	snprintf(path, sizeof(path), "%s.full", stage_data_path(vs->st));
	rc = materialize(vs, stage_size(vs->st), path);
	snprintf(name, sizeof(name), "%s", vs->ds->name);
	io.name = name;
	io.replace = 1;
	io.progress = 0;
	if (!rc)
		rc = import_file(c, path, &io, NULL);
	unlink(path);
	return rc;
}

/* Swaps the re-encoded rows in, in one transaction. */
static int swap_rows(struct catalog *c, struct pack_writer *pw,
		     struct cat_dataset *meta, struct touched *t,
		     struct cat_mask **masks, int **has)
{
	int64_t pack_id;
	int rc = pack_writer_sync(pw);

	if (!rc)
		rc = catalog_begin(c);
	if (rc)
		return rc;
	rc = catalog_pack_add(c, pack_writer_name(pw), pack_writer_size(pw),
			      &pack_id);
	for (int i = 0; i < meta->nvars && !rc; i++) {
		struct cat_var *v = &meta->vars[i];
		int any = 0;

		for (uint32_t g = 0; v->nstreams && g < v->streams[0].ngops &&
		     !rc; g++) {
			const struct cat_gop *g0 = &v->streams[0].gops[g];

			if (!t->gop[i][g])
				continue;
			any = 1;
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
			if (rc || v->storage != VAR_STORE_VIDEO)
				continue;
			masks[i][g].pack_id = pack_id;
			rc = catalog_mask_replace(c, v->id, g0->first_frame,
						  g0->nframes, has[i][g] ?
						  &masks[i][g] : NULL);
		}
		if (!rc && any && v->storage == VAR_STORE_VIDEO)
			rc = catalog_var_quality_refresh(c, v);
	}
	if (!rc)
		rc = catalog_dataset_touch(c, meta->id, clock_wall_ns());
	return catalog_end(c, rc);
}

int commit_edit(struct catalog *c, struct reader *r,
		const struct cat_dataset *ds, const struct cat_view *w,
		struct stage *st, const struct import_opts *o)
{
	struct view_src vs = { .r = r, .ds = ds, .w = w, .st = st };
	struct touched t = { .ds = ds, .w = w };
	struct source src = { .ops = &view_ops, .priv = &vs };
	struct encode_ctx x = ENCODE_CTX_INIT(o, NULL);
	struct pack_writer *pw = NULL;
	struct progress pg;
	struct cat_mask **masks = NULL;
	int **has = NULL, rc, any = 0;

	if (stage_size(st) != w->size || header_changed(&vs))
		return replace(c, &vs, o);
	rc = catalog_dataset_load(c, ds->name, &src.meta);
	if (rc)
		return rc;
	t.gop = calloc((size_t)ds->nvars, sizeof(*t.gop));
	masks = calloc((size_t)ds->nvars, sizeof(*masks));
	has = calloc((size_t)ds->nvars, sizeof(*has));
	if (!t.gop || !masks || !has) {
		rc = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < ds->nvars; i++) {
		size_t n = ds->vars[i].nstreams ? ds->vars[i].streams[0].ngops : 0;

		if (src.meta->nvars != ds->nvars || (src.meta->vars[i].nstreams &&
		    src.meta->vars[i].streams[0].ngops != n)) {
			rc = -ESTALE;
			goto out;
		}
		t.gop[i] = calloc(n + 1, 1);
		masks[i] = calloc(n + 1, sizeof(**masks));
		has[i] = calloc(n + 1, sizeof(**has));
		if (!t.gop[i] || !masks[i] || !has[i]) {
			rc = -ENOMEM;
			goto out;
		}
	}
	stage_each_range(st, mark_range, &t);
	progress_init(&pg, 0, ds->name, 0);
	x.progress = &pg;
	rc = pack_writer_new(catalog_dir(c), &pw);
	x.pack = pw;
	for (int i = 0; i < ds->nvars && !rc; i++) {
		size_t n = ds->vars[i].nstreams ? ds->vars[i].streams[0].ngops : 0;

		for (uint32_t g = 0; g < n && !rc; g++) {
			if (!t.gop[i][g])
				continue;
			any = 1;
			rc = encode_regop(&x, &src, i, g, &masks[i][g],
					  &has[i][g]);
		}
	}
	if (!rc && any)
		rc = swap_rows(c, pw, src.meta, &t, masks, has);
	if (rc)
		log_error("cannot commit the writes to '%s': %s; they are kept "
			  "in staging", w->name, strerror(-rc));
out:
	pack_writer_free(pw, !rc && any);
	for (int i = 0; t.gop && i < ds->nvars; i++) {
		free(t.gop[i]);
		free(masks[i]);
		free(has[i]);
	}
	free(t.gop);
	free(masks);
	free(has);
	catalog_dataset_free(src.meta);
	return rc;
}

int commit_new(struct catalog *c, struct stage *st, const char *name,
	       const struct import_opts *o)
{
	struct import_opts io = *o;
	int rc;

	rc = stage_sync(st);
	if (rc)
		return rc;
	io.name = name;
	io.progress = 0;
	rc = import_file(c, stage_data_path(st), &io, NULL);
	if (rc)
		log_error("'%s' was not imported (%s); its bytes are kept in "
			  "'%s'", stage_name(st), strerror(-rc),
			  stage_data_path(st));
	return rc;
}
