/* SPDX-License-Identifier: MIT */
/* The frame -> GOP layout of a view, from the rows alone: where each GOP starts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "catalog/gops.h"

static int by_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Whether the view's extents reach variable i of ds. */
static int view_has_var(const struct cat_view *w, int i)
{
	for (int e = 0; e < w->nextents; e++)
		if (w->extents[e].kind == EXTENT_VAR && w->extents[e].var == i)
			return 1;
	return 0;
}

int catalog_view_gops(const struct cat_dataset *ds, const struct cat_view *w,
		      uint32_t **out, size_t *n)
{
	uint32_t *f = NULL;
	size_t cnt = 0, cap = 0, k = 0;
	int dim0 = -1, any = 0;

	*out = NULL;
	*n = 0;
	for (int i = 0; i < ds->nvars; i++) {
		const struct cat_var *v = &ds->vars[i];

		if (v->ndim < 2 || !v->nstreams || !view_has_var(w, i))
			continue;
		if (any && v->dimids[0] != dim0)
			return -ENODATA;
		any = 1;
		dim0 = v->dimids[0];
		for (int s = 0; s < v->nstreams; s++)
			cap += v->streams[s].ngops;
	}
	if (!any)
		return -ENODATA;
	f = malloc((cap ? cap : 1) * sizeof(*f));
	if (!f)
		return -ENOMEM;
	for (int i = 0; i < ds->nvars; i++) {
		const struct cat_var *v = &ds->vars[i];

		if (v->ndim < 2 || !view_has_var(w, i))
			continue;
		for (int s = 0; s < v->nstreams; s++)
			for (uint32_t g = 0; g < v->streams[s].ngops; g++)
				f[cnt++] = v->streams[s].gops[g].first_frame;
	}
	qsort(f, cnt, sizeof(*f), by_u32);
	for (size_t i = 0; i < cnt; i++)
		if (!k || f[i] != f[k - 1])
			f[k++] = f[i];
	if (!k) {
		free(f);
		f = NULL;
	}
	*out = f;
	*n = k;
	return 0;
}

int catalog_view_gops_text(const struct cat_dataset *ds,
			   const struct cat_view *w, char **text)
{
	uint32_t *f;
	size_t n, len = 0;
	char *t;
	int rc = catalog_view_gops(ds, w, &f, &n);

	*text = NULL;
	if (rc)
		return rc;
	/* 10 digits and a separator per frame number at most */
	t = malloc(n * 11 + 1);
	if (!t) {
		free(f);
		return -ENOMEM;
	}
	t[0] = 0;
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(t + len, i ? " %u" : "%u", f[i]);
	free(f);
	*text = t;
	return (int)len;
}
