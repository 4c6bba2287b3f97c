/* SPDX-License-Identifier: MIT */
/* Many files, one dataset: every header checked first, then one commit per file, skipping the files a dataset already holds. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/format.h"
#include "base/log.h"
#include "codec/video.h"
#include "ingest/append.h"
#include "ingest/encode.h"
#include "ingest/import.h"
#include "ingest/parts.h"
#include "ingest/stored.h"

enum { TODO_APPEND = 0, TODO_SKIP = 1 };

/* The dataset's values of the joined coordinate (*n of them), or none. */
static int stored_coord(struct catalog *c, const struct cat_dataset *ds,
			const char *concat, double **out, uint64_t *n)
{
	int rc = 0;

	*out = NULL;
	*n = 0;
	for (int i = 0; concat && i < ds->nvars; i++) {
		const struct cat_var *v = &ds->vars[i];
		void *raw;

		if (v->ndim != 1 || strcmp(v->name, concat) ||
		    v->storage != VAR_STORE_LZ4)
			continue;
		raw = malloc(v->shape[0] * dtype_size(v->dtype) + 1);
		*out = malloc(v->shape[0] * sizeof(double) + 1);
		rc = raw && *out ? stored_read_exact(c, v, raw) : -ENOMEM;
		if (!rc)
			dtype_to_double(v->dtype, raw, *out, v->shape[0]);
		*n = rc ? 0 : v->shape[0];
		free(raw);
		break;
	}
	if (rc) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

/* 1 if f's coordinate values are a run of e's. */
static int coord_in(const struct parts_file *f, const double *e, uint64_t n)
{
	uint64_t i = 0;

	while (i < n && e[i] < f->coord[0])
		i++;
	if (n - i < f->nframes)
		return 0;
	for (uint64_t k = 0; k < f->nframes; k++)
		if (e[i + k] != f->coord[k])
			return 0;
	return 1;
}

/* 1 if a part row names the file at path. */
static int path_in(const struct cat_part *parts, size_t n, const char *path)
{
	char *real = realpath(path, NULL);
	int found = 0;

	for (size_t i = 0; real && i < n && !found; i++)
		found = !strcmp(parts[i].path, real);
	free(real);
	return found;
}

/* Logs why file f cannot go into dataset name, whose joined coordinate
 * ends at last (in is 1 if f's values are there already). -EINVAL. */
static int overlap(const struct parts *p, const struct parts_file *f,
		   const char *name, double last, int in)
{
	char d[32], l[32];
	time_t t = (time_t)f->coord[0], u = (time_t)last;
	struct tm a, b;

	if (!p->stack || !gmtime_r(&t, &a) || !gmtime_r(&u, &b)) {
		log_error("'%s' overlaps dataset '%s': %s %.17g to %.17g, the "
			  "dataset's go up to %.17g", f->path, name, p->concat,
			  f->coord[0], f->coord[f->nframes - 1], last);
		return -EINVAL;
	}
	strftime(d, sizeof(d), "%Y-%m-%d %H:%M:%S", &a);
	strftime(l, sizeof(l), "%Y-%m-%d %H:%M:%S", &b);
	if (in)
		log_error("'%s': dataset '%s' has its date (%s) already",
			  f->path, name, d);
	else
		log_error("'%s' is dated %s, not after the last date of "
			  "dataset '%s' (%s): a stack grows only by later "
			  "dates", f->path, d, name, l);
	return -EINVAL;
}

/* Decides for each file whether it is in ds already (skip) or comes
 * after it (append); anything else is an overlap. */
static int plan(struct catalog *c, const struct cat_dataset *ds,
		const struct parts *p, int append_only, uint8_t *todo)
{
	struct cat_part *parts = NULL;
	size_t nparts = 0;
	double *e = NULL;
	uint64_t ne = 0;
	int rc = stored_coord(c, ds, p->concat, &e, &ne);

	if (!rc)
		rc = catalog_parts_load(c, ds->id, &parts, &nparts);
	for (int i = 0; i < p->nfiles && !rc; i++) {
		const struct parts_file *f = &p->files[i];
		int in;

		if (f->coord && ne) {
			int there;

			in = f->nframes && f->coord[0] <= e[ne - 1];
			there = in && coord_in(f, e, ne);
			if (in && (append_only || !there))
				rc = overlap(p, f, ds->name, e[ne - 1], there);
		} else {
			in = path_in(parts, nparts, f->path);
			if (in && append_only) {
				log_error("'%s' is in dataset '%s' already",
					  f->path, ds->name);
				rc = -EINVAL;
			}
		}
		todo[i] = in ? TODO_SKIP : TODO_APPEND;
	}
	free(e);
	catalog_parts_free(parts, nparts);
	return rc;
}

/* Frames the progress line counts for one file: one per frame of each
 * variable of 3 or more dims, one for each other variable encoded (all
 * of them for a new dataset, those along the joined dimension after). */
static uint64_t file_frames(const struct parts *p,
			    const struct parts_file *f, int first)
{
	const struct cat_dataset *m = p->first->meta;
	uint64_t n = 0;

	for (int i = 0; i < m->nvars; i++)
		if (first || parts_along(&m->vars[i], p->cdim) > 0)
			n += m->vars[i].ndim >= 3 ? f->nframes : 1;
	return n;
}

/*
 * Refuses, before anything is written, a variable along the joined
 * dimension that appends could not grow: of 2 dims it is one picture,
 * grown only when stored exactly (encoded again whole).
 */
static int joinable(const struct parts *p, const struct import_opts *o)
{
	const struct cat_dataset *m = p->first->meta;

	for (int i = 0; i < m->nvars; i++) {
		const struct cat_var *v = &m->vars[i];
		int exact = o->codec == CODEC_LZ4 ||
			(o->lossless && dtype_is_float(v->dtype));

		if (v->ndim != 2 || exact || parts_along(v, p->cdim) <= 0)
			continue;
		log_error("'%s': variable '%s' has 2 dimensions along '%s': "
			  "it can be joined only stored exactly (--codec lz4), "
			  "or left out (--variables)", p->files[0].path,
			  v->name ? v->name : "(array)", p->concat ?
			  p->concat : "axis 0");
		return -ENOTSUP;
	}
	return 0;
}

/* Loads the dataset for appends; checks it against the files' header. */
static int open_dataset(struct catalog *c, const char *name,
			const struct parts *p, struct append *a)
{
	int rc = catalog_dataset_load(c, name, &a->ds);

	if (rc)
		return rc;
	a->concat = p->concat;
	a->cdim = parts_dim(a->ds, p->concat);
	if (a->cdim < -1) {
		log_error("dataset '%s' has no dimension '%s'", name,
			  p->concat);
		return -EINVAL;
	}
	return parts_agree(a->ds, a->cdim, "the dataset", p->first->meta,
			   p->cdim, p->files[0].path, 0);
}

/* The data variable of a stored stack (its first of 3 or more dims). */
static struct cat_var *stack_var(const struct cat_dataset *ds)
{
	for (int i = 0; ds && i < ds->nvars; i++)
		if (ds->vars[i].ndim >= 3 && ds->vars[i].nstreams)
			return &ds->vars[i];
	return NULL;
}

/*
 * Frames per commit of a raster stack, and per GOP: --gop, else the
 * longest GOP allowed for its size, so that the commits make whole GOPs
 * and a resumed import the same ones. A dataset of more frames than a
 * GOP keeps its GOP length (its first GOP was whole); one of no more
 * (a first run of fewer files) takes the length above.
 */
static uint32_t stack_gop(const struct parts *p, const struct append *a,
			  const struct import_opts *o)
{
	const struct cat_var *v = &p->first->meta->vars[0];
	const struct cat_var *dv = stack_var(a->ds);
	struct cat_var l;

	if (dv && dv->nframes > dv->streams[0].gop_len &&
	    dv->streams[0].gop_len)
		return dv->streams[0].gop_len;
	if (o->gop > 0 || v->ndim < 2)
		return o->gop > 0 ? (uint32_t)o->gop : 1;
	l = *v;
	encode_layout(&l);
	return encode_auto_gop(&l, 0);
}

/* The files from i on that one commit takes: one, or of a stack those up
 * to the end of the GOP frame `done` starts, none skipped. */
static int group_len(const struct parts *p, const uint8_t *todo, int i,
		     uint64_t done, uint32_t gop)
{
	uint64_t room = p->stack ? gop - done % gop : 1;
	int k = 0;

	while (i + k < p->nfiles && todo[i + k] == TODO_APPEND &&
	       (uint64_t)k < room)
		k++;
	return k;
}

/* Commits files [i, i + k) of p: the first as a new dataset, or appended
 * (a raster stack's group opened as a stack of k). */
static int commit_files(struct catalog *c, struct parts *p, int i, int k,
			struct import_opts *fo, struct append *a)
{
	const char **paths = calloc((size_t)k + 1, sizeof(*paths));
	struct source *src = NULL;
	int rc = paths ? 0 : -ENOMEM;

	for (int j = 0; paths && j < k; j++)
		paths[j] = p->files[i + j].path;
	if (!rc && !a->ds) {
		fo->stack = p->stack ? paths : NULL;
		fo->nstack = p->stack ? k : 0;
		rc = import_file(c, paths[0], fo, NULL);
		fo->stack = NULL;
		fo->nstack = 0;
		if (!rc)
			rc = open_dataset(c, fo->name, p, a);
	} else if (!rc) {
		struct cat_var *dv = p->stack ? stack_var(a->ds) : NULL;

		rc = p->stack ? source_gdal_stack_open(paths, k,
						       fo->date_pattern,
						       fo->bands, &src) :
			source_open(paths[0], &src);
		a->stack = p->stack ? paths : NULL;
		a->nstack = p->stack ? k : 0;
		/* new GOPs of the stack's length (a first run of fewer
		 * files stored a shorter one) */
		for (int s = 0; dv && s < dv->nstreams; s++)
			dv->streams[s].gop_len = (uint32_t)fo->gop;
		if (!rc)
			rc = append_file(a, paths[0], src);
		a->stack = NULL;
		a->nstack = 0;
		source_free(src);
	}
	free(paths);
	return rc;
}

/* Imports or appends the files not skipped: one commit each, or for a
 * raster stack one per GOP of files. */
static int run(struct catalog *c, const char *name, struct parts *p,
	       const uint8_t *todo, const struct import_opts *o,
	       struct append *a, struct import_files_report *rep)
{
	struct import_opts fo = *o;
	struct progress pg;
	uint64_t total = 0;
	uint32_t gop = 1;
	int rc = 0, nrun = 0, done = 0;

	for (int i = 0; i < p->nfiles; i++)
		if (todo[i] == TODO_APPEND) {
			total += file_frames(p, &p->files[i],
					     !a->ds && !nrun);
			nrun++;
		}
	if (p->stack) {
		gop = stack_gop(p, a, o);
		fo.gop = (int)gop;      /* the dataset's GOP length */
	}
	progress_init(&pg, o->progress, name, total);
	fo.name = name;
	fo.part = 1;
	fo.concat = p->concat;
	fo.shared = &pg;
	a->opts = &fo;
	a->progress = &pg;
	for (int i = 0, k = 1; i < p->nfiles && !rc; i += k) {
		k = 1;
		if (todo[i] == TODO_SKIP) {
			rep->skipped++;
			continue;
		}
		k = group_len(p, todo, i, a->ds ? append_frames_of(a) : 0, gop);
		progress_file(&pg, done + 1, nrun);
		rc = commit_files(c, p, i, k, &fo, a);
		for (int j = i; !rc && j < i + k; j++) {
			rep->files++;
			rep->frames += p->files[j].nframes;
		}
		done += k;
	}
	progress_done(&pg);
	return rc;
}

int import_files(struct catalog *c, char *const *paths, int n,
		 const struct import_opts *o, int append_only,
		 struct import_files_report *rep)
{
	struct import_files_report mine;
	struct append a = { .cat = c };
	struct parts *p = NULL;
	uint8_t *todo = NULL;
	char *name = NULL;
	double t0 = clock_mono_s();
	int rc;

	if (!rep)
		rep = &mine;
	memset(rep, 0, sizeof(*rep));
	/* rasters (or scene folders) are a stack, a frame each */
	if (!o->concat && (o->bands || o->date_pattern ||
			   (n > 0 && source_is_raster(paths[0]))))
		rc = parts_scan_stack(paths, n, o->date_pattern, o->bands, &p);
	else
		rc = parts_scan(paths, n, o->concat, &p);
	if (rc)
		goto out;
	name = o->name ? strdup(o->name) :
		import_default_name(p->files[0].path);
	todo = calloc((size_t)p->nfiles + 1, 1);
	if (!name || !todo) {
		rc = -ENOMEM;
		goto out;
	}
	rc = catalog_dataset_exists(c, name);
	if (rc >= 0 && (rc > 0 || p->nfiles > 1) && !o->variables &&
	    joinable(p, o))
		rc = -ENOTSUP;
	if (rc == 0 && append_only) {
		log_error("no dataset '%s' in '%s'", name, catalog_dir(c));
		rc = -ENOENT;
	} else if (rc > 0) {
		rc = open_dataset(c, name, p, &a);
		if (!rc)
			rc = parts_agree_stored(c, a.ds, a.cdim, p->first,
						p->cdim, p->files[0].path);
		if (!rc)
			rc = plan(c, a.ds, p, append_only, todo);
	}
	if (!rc)
		rc = run(c, name, p, todo, o, &a, rep);
	snprintf(rep->name, sizeof(rep->name), "%s", name);
	if (a.ds)
		rep->total = append_frames_of(&a);
out:
	rep->seconds = clock_mono_s() - t0;
	catalog_dataset_free(a.ds);
	parts_free(p);
	free(todo);
	free(name);
	return rc;
}
