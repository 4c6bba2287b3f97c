/* SPDX-License-Identifier: MIT */
/* The commit of staged writes: the frames written found and handed to commit_apply, or a whole new file imported. */
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
#include "fs/commit_int.h"
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
	return vs->st ? stage_overlay(vs->st, buf, len, off) : 0;
}

/* Elements of one source frame of v: source frames run along the first
 * axis (source.h). */
static uint64_t source_frame_elems(const struct cat_var *v)
{
	return v->ndim >= 2 && v->shape[0] ?
		catalog_var_elems(v) / v->shape[0] : catalog_var_elems(v);
}

/* source ops: frames of a variable, gathered from the view's extents. */
static int vs_read_frames(struct source *s, int var, uint64_t first,
			  uint64_t n, void *dst)
{
	struct view_src *vs = s->priv;
	const struct cat_var *v = &s->meta->vars[var];
	uint64_t fe = source_frame_elems(v);
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

/* Frames written: one flag per (variable, frame). */
struct touched {
	const struct cat_dataset *ds;
	const struct cat_view *w;
	uint8_t **frame;        /* per variable, per frame: FRAME_* */
	int header;             /* a non-data byte was written */
};

enum {
	FRAME_WRITTEN = 1,      /* inside a written range: written whole */
	FRAME_EDGE = 2,         /* at a range's end: maybe in part, maybe
				   with the bytes it had (drop_unchanged) */
};

static void mark_frames(struct touched *t, int vi, uint64_t e0, uint64_t e1)
{
	const struct cat_var *v = &t->ds->vars[vi];
	uint64_t fe = catalog_var_elems(v) / (v->nframes ? v->nframes : 1);
	uint8_t *fr = t->frame[vi];

	if (!fe || e1 <= e0)
		return;
	for (uint64_t f = e0 / fe; f < v->nframes && f * fe < e1; f++) {
		int mark = f == e0 / fe || f == (e1 - 1) / fe ? FRAME_EDGE :
			FRAME_WRITTEN;

		if (!fr[f] || mark < fr[f])
			fr[f] = (uint8_t)mark;
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

/* Encoded frame f of variable vi as src gives it now (through the view,
 * with the journal over it when vs->st is set) into buf. */
static int read_enc_frame(struct source *src, int vi, uint64_t f, void *buf)
{
	const struct cat_var *v = &src->meta->vars[vi];

	if (v->ndim < 3)	/* one encoded frame: all of the source's */
		return vs_read_frames(src, vi, 0, v->ndim == 2 ?
				      v->shape[0] : 1, buf);
	return vs_read_frames(src, vi, f, 1, buf);
}

/*
 * Unmarks the frames at the ends of written ranges whose bytes the writes
 * left as they were: writers rewrite whole pages (mmap, the kernel's page
 * cache), so the frames beside an edit come back with their own bytes,
 * and re-encoding them would change them. Leaves 1 for every frame
 * written.
 */
static int drop_unchanged(struct source *src, struct touched *t)
{
	struct view_src *vs = src->priv;
	struct stage *st = vs->st;
	int rc = 0;

	for (int i = 0; i < t->ds->nvars && !rc; i++) {
		const struct cat_var *v = &src->meta->vars[i];
		size_t len = (size_t)(catalog_var_elems(v) /
			(v->nframes ? v->nframes : 1)) * dtype_size(v->dtype);
		char *a = NULL, *b = NULL;

		for (uint64_t f = 0; f < v->nframes && !rc; f++) {
			if (t->frame[i][f] != FRAME_EDGE)
				continue;
			t->frame[i][f] = 1;
			if (!a && (!(a = malloc(len + 1)) ||
				   !(b = malloc(len + 1)))) {
				rc = -ENOMEM;
				break;
			}
			vs->st = NULL;
			rc = read_enc_frame(src, i, f, a);
			vs->st = st;
			if (!rc)
				rc = read_enc_frame(src, i, f, b);
			if (!rc && !memcmp(a, b, len))
				t->frame[i][f] = 0;
		}
		free(a);
		free(b);
	}
	vs->st = st;
	return rc;
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

int commit_edit(struct catalog *c, struct reader *r,
		const struct cat_dataset *ds, const struct cat_view *w,
		struct stage *st, const struct import_opts *o)
{
	struct view_src vs = { .r = r, .ds = ds, .w = w, .st = st };
	struct touched t = { .ds = ds, .w = w };
	struct source src = { .ops = &view_ops, .priv = &vs };
	struct commit_plan p = { 0 };
	int rc, changed = 0;

	if (stage_size(st) != w->size || header_changed(&vs))
		return replace(c, &vs, o);
	rc = catalog_dataset_load(c, ds->name, &src.meta);
	if (rc)
		return rc;
	t.frame = calloc((size_t)ds->nvars + 1, sizeof(*t.frame));
	if (!t.frame) {
		rc = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < ds->nvars; i++) {
		const struct cat_var *v = &ds->vars[i];

		if (src.meta->nvars != ds->nvars ||
		    src.meta->vars[i].nframes != v->nframes ||
		    (v->nstreams && src.meta->vars[i].streams[0].ngops !=
		     v->streams[0].ngops)) {
			rc = -ESTALE;
			goto out;
		}
		t.frame[i] = calloc(v->nframes + 1, 1);
		if (!t.frame[i]) {
			rc = -ENOMEM;
			goto out;
		}
	}
	stage_each_range(st, mark_range, &t);
	rc = drop_unchanged(&src, &t);
	p.frame = t.frame;
	if (!rc)
		rc = commit_apply(c, &src, &p, o, &changed);
	if (rc)
		log_error("cannot commit the writes to '%s': %s; they are kept "
			  "in staging", w->name, strerror(-rc));
out:
	for (int i = 0; t.frame && i < ds->nvars; i++)
		free(t.frame[i]);
	free(t.frame);
	catalog_dataset_free(src.meta);
	return rc;
}

/* source ops for compaction: a variable's frames through the reader. */
struct elems_src {
	struct reader *r;
	const struct cat_dataset *ds;   /* the reader's */
};

static int es_read_frames(struct source *s, int var, uint64_t first,
			  uint64_t n, void *dst)
{
	struct elems_src *es = s->priv;
	uint64_t fe = source_frame_elems(&s->meta->vars[var]);

	return reader_read_elems(es->r, es->ds, var, first * fe, n * fe, 0,
				 dst);
}

static const struct source_ops elems_ops = {
	.kind = "rows",
	.read_frames = es_read_frames,
};

int commit_compact(struct catalog *c, struct reader *r,
		   const struct cat_dataset *ds, const struct import_opts *o,
		   int *changed)
{
	struct elems_src es = { .r = r, .ds = ds };
	struct source src = { .ops = &elems_ops, .priv = &es };
	struct commit_plan p = { .compact = 1 };
	int rc;

	*changed = 0;
	rc = catalog_dataset_load(c, ds->name, &src.meta);
	if (rc)
		return rc;
	if (src.meta->version != ds->version ||
	    src.meta->nvars != ds->nvars) {
		rc = -ESTALE;
		goto out;
	}
	p.frame = calloc((size_t)ds->nvars + 1, sizeof(*p.frame));
	rc = p.frame ? 0 : -ENOMEM;
	for (int i = 0; i < ds->nvars && !rc; i++) {
		p.frame[i] = calloc(ds->vars[i].nframes + 1, 1);
		if (!p.frame[i])
			rc = -ENOMEM;
	}
	if (!rc)
		rc = commit_apply(c, &src, &p, o, changed);
	if (rc)
		log_error("cannot compact '%s': %s", ds->name, strerror(-rc));
out:
	for (int i = 0; p.frame && i < ds->nvars; i++)
		free(p.frame[i]);
	free(p.frame);
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
