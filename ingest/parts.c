/* SPDX-License-Identifier: MIT */
/* Many files of one dataset: headers read one file at a time, checked against the first, ordered by the joined coordinate. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dtype.h"
#include "base/log.h"
#include "ingest/parts.h"
#include "ingest/stored.h"

int parts_dim(const struct cat_dataset *ds, const char *concat)
{
	if (!concat)
		return -1;
	for (int i = 0; i < ds->ndims; i++)
		if (!strcmp(ds->dims[i].name, concat))
			return i;
	return -ENOENT;
}

int parts_along(const struct cat_var *v, int cdim)
{
	if (cdim < 0)
		return v->ndim >= 1;
	for (int a = 0; a < v->ndim; a++)
		if (v->dimids[a] == cdim)
			return a ? -ENOTSUP : 1;
	return 0;
}

/* The joined dimension of ds: concat, else the unlimited one, else the
 * first axis every variable of 3 or more dims shares. NULL for .npy. */
static const char *joined_dim(const struct cat_dataset *ds,
			      const char *concat, const char *path)
{
	int d = -1;

	if (!ds->ndims)
		return NULL;
	if (concat)
		return concat;
	for (int i = 0; i < ds->ndims; i++)
		if (ds->dims[i].unlimited)
			return ds->dims[i].name;
	for (int i = 0; i < ds->nvars; i++) {
		const struct cat_var *v = &ds->vars[i];

		if (v->ndim < 3)
			continue;
		if (d >= 0 && v->dimids[0] != d) {
			d = -2;
			break;
		}
		d = v->dimids[0];
	}
	if (d >= 0)
		return ds->dims[d].name;
	log_error("'%s': no record dimension to join the files along: name "
		  "one with --concat", path);
	return "";
}

static const char *var_name(const struct cat_var *v)
{
	return v->name ? v->name : "(array)";
}

static const struct cat_var *find_var(const struct cat_dataset *ds,
				      const struct cat_var *like, int idx)
{
	/* a .npy file's one array has no name of its own */
	if (!like->name || (idx < ds->nvars && !ds->vars[idx].name))
		return idx < ds->nvars ? &ds->vars[idx] : NULL;
	for (int i = 0; i < ds->nvars; i++)
		if (ds->vars[i].name && !strcmp(ds->vars[i].name, like->name))
			return &ds->vars[i];
	return NULL;
}

/* The text of attribute name of v, or "" (not text). */
static void attr_text(const struct cat_var *v, const char *name, char *buf,
		      size_t cap)
{
	buf[0] = 0;
	for (int i = 0; i < v->nattrs; i++) {
		const struct cat_attr *a = &v->attrs[i];

		if (!strcmp(a->name, name) && a->type == NCT_CHAR) {
			size_t n = a->len < cap - 1 ? a->len : cap - 1;

			memcpy(buf, a->data, n);
			buf[n] = 0;
		}
	}
}

static const char *dim_name(const struct cat_dataset *ds, int d)
{
	return d >= 0 && d < ds->ndims ? ds->dims[d].name : "";
}

/* One variable of ds against its like in ref; logs the difference. */
static int var_agrees(const struct cat_dataset *ref, int cref,
		      const struct cat_var *r, const struct cat_dataset *ds,
		      int cds, const struct cat_var *v, const char *path,
		      const char *what)
{
	char ua[128], ub[128];

	if (v->dtype != r->dtype) {
		log_error("'%s': variable '%s' is %s, %s has %s", path,
			  var_name(v), dtype_name(v->dtype), what,
			  dtype_name(r->dtype));
		return -EINVAL;
	}
	if (v->ndim != r->ndim) {
		log_error("'%s': variable '%s' has %d dimensions, %s has %d",
			  path, var_name(v), v->ndim, what, r->ndim);
		return -EINVAL;
	}
	for (int a = 0; a < v->ndim; a++) {
		int joined = r->dimids[a] == cref && (cref >= 0 || a == 0);

		if (strcmp(dim_name(ds, v->dimids[a]),
			   dim_name(ref, r->dimids[a])) ||
		    (v->dimids[a] == cds) != (r->dimids[a] == cref)) {
			log_error("'%s': variable '%s' has dimension '%s' "
				  "where %s has '%s'", path, var_name(v),
				  dim_name(ds, v->dimids[a]), what,
				  dim_name(ref, r->dimids[a]));
			return -EINVAL;
		}
		if (!joined && v->shape[a] != r->shape[a]) {
			log_error("'%s': variable '%s' has %llu along axis %d "
				  "where %s has %llu", path, var_name(v),
				  (unsigned long long)v->shape[a], a, what,
				  (unsigned long long)r->shape[a]);
			return -EINVAL;
		}
	}
	attr_text(v, "units", ua, sizeof(ua));
	attr_text(r, "units", ub, sizeof(ub));
	if (strcmp(ua, ub)) {
		log_error("'%s': variable '%s' has units '%s', %s has '%s'",
			  path, var_name(v), ua, what, ub);
		return -EINVAL;
	}
	return 0;
}

int parts_agree(const struct cat_dataset *ref, int cref, const char *what,
		const struct cat_dataset *ds, int cds, const char *path,
		int both)
{
	int rc = 0;

	for (int i = 0; i < ref->nvars && !rc; i++) {
		const struct cat_var *r = &ref->vars[i];
		const struct cat_var *v = find_var(ds, r, i);

		if (!v) {
			log_error("'%s' has no variable '%s', %s has", path,
				  var_name(r), what);
			return -EINVAL;
		}
		rc = var_agrees(ref, cref, r, ds, cds, v, path, what);
	}
	for (int i = 0; i < ds->nvars && both && !rc; i++)
		if (!find_var(ref, &ds->vars[i], i)) {
			log_error("'%s' has a variable '%s' that %s has not",
				  path, var_name(&ds->vars[i]), what);
			rc = -EINVAL;
		}
	return rc;
}

int parts_coord(struct source *src, int cdim, double **out)
{
	const struct cat_dataset *ds = src->meta;
	const char *name = cdim >= 0 ? ds->dims[cdim].name : NULL;
	void *raw = NULL;
	int rc = 0;

	*out = NULL;
	for (int i = 0; name && i < ds->nvars; i++) {
		const struct cat_var *v = &ds->vars[i];
		uint64_t n = v->ndim == 1 ? v->shape[0] : 0;

		if (v->ndim != 1 || v->dimids[0] != cdim ||
		    strcmp(v->name, name))
			continue;
		raw = malloc(n * dtype_size(v->dtype) + 1);
		*out = malloc(n * sizeof(double) + 1);
		rc = raw && *out ? 0 : -ENOMEM;
		if (!rc && n)
			rc = src->ops->read_frames(src, i, 0, 1, raw);
		if (!rc)
			dtype_to_double(v->dtype, raw, *out, (size_t)n);
		break;
	}
	free(raw);
	if (rc) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

/* The bytes of every variable of src without the joined dimension. */
static int read_fixed(struct source *src, int cdim, void ***out)
{
	const struct cat_dataset *ds = src->meta;
	int rc = 0;

	*out = calloc((size_t)ds->nvars + 1, sizeof(void *));
	if (!*out)
		return -ENOMEM;
	for (int i = 0; i < ds->nvars && !rc; i++) {
		const struct cat_var *v = &ds->vars[i];
		uint64_t n = catalog_var_elems(v);

		if (parts_along(v, cdim))
			continue;
		(*out)[i] = malloc(n * dtype_size(v->dtype) + 1);
		if (!(*out)[i])
			rc = -ENOMEM;
		else if (n)
			rc = src->ops->read_frames(src, i, 0, 1, (*out)[i]);
	}
	return rc;
}

static void free_fixed(void **v, int n)
{
	for (int i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

int parts_agree_stored(struct catalog *c, const struct cat_dataset *ds,
		       int cds, struct source *src, int csrc, const char *path)
{
	const struct cat_dataset *m = src->meta;
	char a[8192], b[8192];
	void **mine = NULL;
	int rc = read_fixed(src, csrc, &mine);

	for (int i = 0; i < m->nvars && !rc; i++) {
		const struct cat_var *v = &m->vars[i], *r = find_var(ds, v, i);
		size_t len = catalog_var_elems(v) * dtype_size(v->dtype);
		void *buf;

		if (!mine[i] || !r || r->storage != VAR_STORE_LZ4 ||
		    parts_along(r, cds) || r->dtype != v->dtype ||
		    catalog_var_elems(r) != catalog_var_elems(v))
			continue;
		buf = malloc(len + 1);
		rc = buf ? stored_read_exact(c, r, buf) : -ENOMEM;
		attr_text(v, "crs_wkt", a, sizeof(a));
		attr_text(r, "crs_wkt", b, sizeof(b));
		if (!rc && memcmp(buf, mine[i], len)) {
			log_error("'%s': the values of '%s' differ from those "
				  "of dataset '%s'", path, var_name(v),
				  ds->name);
			rc = -EINVAL;
		} else if (!rc && strcmp(a, b)) {
			log_error("'%s': its CRS (crs_wkt of '%s') is not that "
				  "of dataset '%s'", path, var_name(v),
				  ds->name);
			rc = -EINVAL;
		}
		free(buf);
	}
	free_fixed(mine, m->nvars);
	return rc;
}

/* Checks one file against the first; fills f (its frames and coordinate). */
static int scan_one(struct parts *p, struct source *src, void **fixed,
		    struct parts_file *f)
{
	const struct cat_dataset *ref = p->first->meta, *ds = src->meta;
	int cdim = parts_dim(ds, p->concat), rc;
	void **mine = NULL;
	char what[4200];

	snprintf(what, sizeof(what), "'%s'", p->files[0].path);
	if ((!p->concat) != (!ds->ndims)) {
		log_error("'%s' and '%s' are not the same kind of file",
			  f->path, p->files[0].path);
		return -EINVAL;
	}
	if (cdim < -1) {
		log_error("'%s' has no dimension '%s'", f->path,
			  p->concat ? p->concat : "");
		return -EINVAL;
	}
	for (int i = 0; i < ref->ndims; i++) {
		int d = parts_dim(ds, ref->dims[i].name);

		if (d < 0 || i == p->cdim)
			continue;
		if (ds->dims[d].len != ref->dims[i].len) {
			log_error("'%s': dimension '%s' is %llu long, in '%s' "
				  "%llu", f->path, ref->dims[i].name,
				  (unsigned long long)ds->dims[d].len,
				  p->files[0].path,
				  (unsigned long long)ref->dims[i].len);
			return -EINVAL;
		}
	}
	rc = parts_agree(ref, p->cdim, what, ds, cdim, f->path, 1);
	for (int i = 0; i < ds->nvars && !rc; i++) {
		rc = parts_along(&ds->vars[i], cdim);
		if (rc == -ENOTSUP)
			log_error("'%s': variable '%s' has dimension '%s' but "
				  "not as its first: cannot be joined", f->path,
				  var_name(&ds->vars[i]), p->concat);
		else if (rc > 0 && !f->nframes)
			f->nframes = ds->vars[i].shape[0];
		rc = rc < 0 ? rc : 0;
	}
	if (!rc && cdim >= 0)
		f->nframes = ds->dims[cdim].len;
	if (!rc && fixed)
		rc = read_fixed(src, cdim, &mine);
	for (int i = 0; i < ds->nvars && !rc && fixed; i++) {
		const struct cat_var *v = &ds->vars[i];
		const struct cat_var *r = find_var(ref, v, i);
		size_t len = catalog_var_elems(v) * dtype_size(v->dtype);

		if (mine[i] && memcmp(mine[i], fixed[r - ref->vars], len)) {
			log_error("'%s': the values of '%s' differ from those "
				  "of '%s'", f->path, var_name(v),
				  p->files[0].path);
			rc = -EINVAL;
		}
	}
	free_fixed(mine, ds->nvars);
	if (!rc)
		rc = parts_coord(src, cdim, &f->coord);
	for (uint64_t i = 1; !rc && f->coord && i < f->nframes; i++)
		if (!(f->coord[i] > f->coord[i - 1])) {
			log_error("'%s': values of '%s' %s at %llu (%.17g "
				  "after %.17g)", f->path, p->concat,
				  f->coord[i] == f->coord[i - 1] ? "repeat" :
				  "decrease", (unsigned long long)i,
				  f->coord[i], f->coord[i - 1]);
			rc = -EINVAL;
		}
	return rc;
}

static int by_coord(const void *a, const void *b)
{
	const struct parts_file *x = a, *y = b;
	double u = x->coord && x->nframes ? x->coord[0] : 0;
	double v = y->coord && y->nframes ? y->coord[0] : 0;

	return (u > v) - (u < v);
}

/* Orders the files by coordinate; refuses overlaps, reports gaps. */
static int order(struct parts *p)
{
	double step = 0;
	int rc = 0;

	for (int i = 0; i < p->nfiles; i++)
		if ((!p->files[i].coord) != (!p->files[0].coord)) {
			log_error("'%s' has %s coordinate variable '%s', '%s' "
				  "has %s", p->files[i].path,
				  p->files[i].coord ? "a" : "no", p->concat,
				  p->files[0].path,
				  p->files[0].coord ? "one" : "none");
			return -EINVAL;
		}
	if (!p->files[0].coord)
		return 0;
	qsort(p->files, (size_t)p->nfiles, sizeof(*p->files), by_coord);
	for (int i = 0; i < p->nfiles && !step; i++)
		if (p->files[i].nframes >= 2)
			step = p->files[i].coord[1] - p->files[i].coord[0];
	for (int i = 1; i < p->nfiles && !rc; i++) {
		const struct parts_file *a = &p->files[i - 1];
		const struct parts_file *b = &p->files[i];
		double end = a->nframes ? a->coord[a->nframes - 1] : -INFINITY;

		if (!b->nframes || !a->nframes)
			continue;
		if (b->coord[0] <= end) {
			log_error("'%s' and '%s' overlap: %s %.17g to %.17g "
				  "and %.17g to %.17g", a->path, b->path,
				  p->concat, a->coord[0], end, b->coord[0],
				  b->coord[b->nframes - 1]);
			rc = -EINVAL;
		} else if (step > 0 && b->coord[0] - end > 1.5 * step) {
			log_info("gap in '%s' between '%s' and '%s': %.17g to "
				 "%.17g", p->concat, a->path, b->path, end,
				 b->coord[0]);
		}
	}
	return rc;
}

int parts_scan(char *const *paths, int n, const char *concat,
	       struct parts **out)
{
	struct parts *p = calloc(1, sizeof(*p));
	void **fixed = NULL;
	int rc = p ? 0 : -ENOMEM;

	*out = NULL;
	if (!rc && !(p->files = calloc((size_t)n + 1, sizeof(*p->files))))
		rc = -ENOMEM;
	for (int i = 0; i < n && !rc; i++) {
		struct parts_file *f = &p->files[p->nfiles];
		struct source *src = NULL;

		if (!(f->path = strdup(paths[i]))) {
			rc = -ENOMEM;
			break;
		}
		p->nfiles++;
		rc = source_open(paths[i], &src);
		if (!rc && !p->first) {
			const char *j = joined_dim(src->meta, concat, paths[i]);

			p->first = src;
			if (j && !*j)
				rc = -EINVAL;
			else if (j && !(p->concat = strdup(j)))
				rc = -ENOMEM;
			p->cdim = rc ? -1 : parts_dim(src->meta, p->concat);
			if (!rc && p->cdim < -1) {
				log_error("'%s' has no dimension '%s'",
					  paths[i], p->concat);
				rc = -EINVAL;
			}
			if (!rc)
				rc = read_fixed(src, p->cdim, &fixed);
		}
		if (!rc)
			rc = scan_one(p, src, i ? fixed : NULL, f);
		if (src != p->first)
			source_free(src);
	}
	if (!rc)
		rc = order(p);
	free_fixed(fixed, p && p->first ? p->first->meta->nvars : 0);
	if (rc) {
		parts_free(p);
		return rc;
	}
	/* the first in order gives the dataset its description */
	if (strcmp(p->files[0].path, paths[0])) {
		source_free(p->first);
		p->first = NULL;
		rc = source_open(p->files[0].path, &p->first);
		if (!rc)
			p->cdim = parts_dim(p->first->meta, p->concat);
	}
	if (rc) {
		parts_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

int parts_scan_stack(char *const *paths, int n, const char *date_pattern,
		     const char *bands, struct parts **out)
{
	struct parts *p = calloc(1, sizeof(*p));
	int rc = 0;

	*out = NULL;
	if (!p)
		return -ENOMEM;
	p->stack = 1;
	if (!(p->files = calloc((size_t)n + 1, sizeof(*p->files))) ||
	    !(p->concat = strdup("time")))
		rc = -ENOMEM;
	if (!rc)
		rc = source_gdal_stack_open((const char *const *)paths, n,
					    date_pattern, bands, &p->first);
	if (!rc)
		p->cdim = parts_dim(p->first->meta, p->concat);
	for (int i = 0; i < n && !rc; i++) {
		struct parts_file *f = &p->files[i];
		const char *path;
		double t;
		int dated = source_gdal_stack_entry(p->first, i, &path, &t);

		f->nframes = 1;
		f->path = dated < 0 ? NULL : strdup(path);
		if (dated > 0 && (f->coord = malloc(sizeof(double))))
			*f->coord = t;
		p->nfiles++;
		rc = !f->path || (dated > 0 && !f->coord) ? -ENOMEM : 0;
	}
	if (rc) {
		parts_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

int parts_add_rows(struct catalog *c, int64_t dataset_id,
		   struct cat_part *part, const char *path,
		   const char *const *stack, int nstack)
{
	uint64_t first = part->first_frame;
	int rc = 0;

	for (int i = 0; i < (nstack ? nstack : 1) && !rc; i++) {
		char *real = realpath(nstack ? stack[i] : path, NULL);

		if (!real)
			return -errno;
		part->path = real;
		if (nstack) {
			part->first_frame = first + (uint64_t)i;
			part->nframes = 1;
		}
		rc = catalog_part_add(c, dataset_id, part);
		part->path = NULL;
		free(real);
	}
	return rc;
}

void parts_free(struct parts *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->nfiles; i++) {
		free(p->files[i].path);
		free(p->files[i].coord);
	}
	free(p->files);
	free(p->concat);
	source_free(p->first);
	free(p);
}
