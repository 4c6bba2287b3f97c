/* SPDX-License-Identifier: MIT */
/* Building the .npy views of a dataset: a generated header and one data extent. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ncview.h"
#include "ingest/npy.h"
#include "ingest/view.h"

/*
 * Arrays of a MiB or more get a header of 4096 bytes (numpy reads any
 * length): their data then starts on a page, so that a read of one time
 * step whose size is a multiple of the page touches no page of the steps
 * beside it (each of which can cost a GOP decode), and np.load(mmap_mode)
 * maps aligned data.
 */
#define NPY_VIEW_ALIGN 4096
#define NPY_VIEW_ALIGN_FROM (1u << 20)

int view_npy(const struct cat_dataset *ds, int var, const char *name,
	     struct cat_view *w)
{
	const struct cat_var *v = &ds->vars[var];
	struct cat_extent *x;
	uint64_t data = catalog_var_elems(v) * dtype_size(v->dtype);
	size_t align = data >= NPY_VIEW_ALIGN_FROM ? NPY_VIEW_ALIGN : 64;
	ssize_t hl = npy_header_size_aligned(v->dtype, v->ndim, v->shape, align);

	if (hl < 0)
		return (int)hl;
	memset(w, 0, sizeof(*w));
	w->name = strdup(name);
	w->extents = x = calloc(2, sizeof(*x));
	if (!w->name || !x || !(x[0].bytes = malloc((size_t)hl))) {
		free(w->name);
		if (x)
			free(x[0].bytes);
		free(x);
		memset(w, 0, sizeof(*w));
		return -ENOMEM;
	}
	w->kind = VIEW_NPY;
	w->size = (uint64_t)hl + data;
	npy_write_header_aligned(x[0].bytes, (size_t)hl, v->dtype, v->ndim,
				 v->shape, align);
	x[0].kind = EXTENT_BYTES;
	x[0].length = (uint64_t)hl;
	w->nextents = 1;
	if (data) {
		x[1].kind = EXTENT_VAR;
		x[1].offset = (uint64_t)hl;
		x[1].length = data;
		x[1].var = var;
		w->nextents = 2;
	}
	return 0;
}

static int add_npy(struct cat_dataset *ds, int var, const char *name,
		   int in_dir)
{
	int rc = view_npy(ds, var, name, &ds->views[ds->nviews]);

	if (rc)
		return rc;
	ds->views[ds->nviews++].in_dir = in_dir;
	return 0;
}

static int add_nc(struct cat_dataset *ds)
{
	struct cat_view *w = &ds->views[ds->nviews];
	char name[CATALOG_NAME_MAX + 8];
	int rc;

	memset(w, 0, sizeof(*w));
	snprintf(name, sizeof(name), "%s.nc", ds->name);
	w->name = strdup(name);
	if (!w->name)
		return -ENOMEM;
	rc = ncview_build(ds, w);
	if (rc) {
		free(w->name);
		w->name = NULL;
		return rc;
	}
	ds->nviews++;
	return 0;
}

int view_build(struct cat_dataset *ds)
{
	char name[CATALOG_NAME_MAX + 8];
	int rc = 0;

	catalog_views_clear(ds);
	ds->views = calloc((size_t)ds->nvars + 2, sizeof(*ds->views));
	if (!ds->views)
		return -ENOMEM;
	if (ds->nvars == 1) {
		snprintf(name, sizeof(name), "%s.npy", ds->name);
		rc = add_npy(ds, 0, name, 0);
	}
	for (int i = 0; ds->nvars > 1 && i < ds->nvars && !rc; i++) {
		if (ds->vars[i].ndim < 2)
			continue;
		snprintf(name, sizeof(name), "%s.npy", ds->vars[i].name);
		rc = add_npy(ds, i, name, 1);
	}
	if (!rc)
		rc = add_nc(ds);
	return rc;
}
