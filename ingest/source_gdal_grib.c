/* SPDX-License-Identifier: MIT */
/* GRIB through GDAL: the arrays of one parameter on several levels of one type become one variable, its levels as planes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal.h>

#include "base/dtype.h"
#include "base/format.h"
#include "base/log.h"
#include "ingest/source_gdal_int.h"

#define KEY_MAX 64

/* What GDAL's GRIB driver says of one of its arrays (time, y, x). */
struct garr {
	GDALMDArrayH a;         /* NULL: not one to merge */
	char param[KEY_MAX];    /* its "name" attribute, e.g. TMP */
	char ltype[KEY_MAX];    /* first_level "85000-ISBL": ISBL */
	double level;           /* and 85000 */
	GDALDataType t;
	int used;
};

static int text_of(GDALMDArrayH a, const char *name, char *out, size_t len)
{
	GDALAttributeH h = GDALMDArrayGetAttribute(a, name);
	const char *s = h ? GDALAttributeReadAsString(h) : NULL;
	int rc = s && *s && strlen(s) < len ? 0 : -1;

	if (!rc)
		snprintf(out, len, "%s", s);
	if (h)
		GDALAttributeRelease(h);
	return rc;
}

static int describe_arr(GDALGroupH root, const char *name, struct garr *g)
{
	GDALExtendedDataTypeH dt;
	char lev[KEY_MAX], *end;

	memset(g, 0, sizeof(*g));
	g->a = GDALGroupOpenMDArray(root, name, NULL);
	if (!g->a || GDALMDArrayGetDimensionCount(g->a) != 3 ||
	    text_of(g->a, "name", g->param, sizeof(g->param)) ||
	    text_of(g->a, "first_level", lev, sizeof(lev)))
		goto no;
	g->level = strtod(lev, &end);
	if (end == lev || *end != '-' || !end[1])
		goto no;
	snprintf(g->ltype, sizeof(g->ltype), "%s", end + 1);
	dt = GDALMDArrayGetDataType(g->a);
	g->t = GDALExtendedDataTypeGetClass(dt) == GEDTC_NUMERIC ?
		GDALExtendedDataTypeGetNumericDataType(dt) : GDT_Unknown;
	GDALExtendedDataTypeRelease(dt);
	return 0;
no:
	if (g->a)
		GDALMDArrayRelease(g->a);
	g->a = NULL;
	return -1;
}

/* 1 if a and b lie on the same (time, y, x) dims. */
static int same_dims(GDALMDArrayH a, GDALMDArrayH b)
{
	size_t na = 0, nb = 0;
	GDALDimensionH *da = GDALMDArrayGetDimensions(a, &na);
	GDALDimensionH *db = GDALMDArrayGetDimensions(b, &nb);
	int same = na == nb;

	for (size_t i = 0; same && i < na; i++)
		same = !strcmp(GDALDimensionGetName(da[i]),
			       GDALDimensionGetName(db[i])) &&
			GDALDimensionGetSize(da[i]) ==
			GDALDimensionGetSize(db[i]);
	GDALReleaseDimensions(da, na);
	GDALReleaseDimensions(db, nb);
	return same;
}

static int by_level(const void *x, const void *y)
{
	const struct garr *a = *(struct garr *const *)x;
	const struct garr *b = *(struct garr *const *)y;

	return (a->level > b->level) - (a->level < b->level);
}

/* The units of GRIB level types met most (GDAL's names). */
static const char *level_units(const char *ltype)
{
	if (!strcmp(ltype, "ISBL"))
		return "Pa";
	if (!strcmp(ltype, "HTGL") || !strcmp(ltype, "HYBL") ||
	    !strcmp(ltype, "DBLL"))
		return !strcmp(ltype, "HYBL") ? "1" : "m";
	return NULL;
}

/* One variable (time, level, y, x) of the k arrays m[], by level. */
static int merge(struct source *s, struct garr **m, int k, char **wkt)
{
	struct sgdal_source *p = s->priv;
	GDALDimensionH *d;
	struct cat_var *v, *lv;
	struct sgdal_var *pv;
	char name[2 * KEY_MAX + 2];
	double *levels;
	const char *u;
	int dims[4], rc = 0, nct;
	size_t nd = 0;
	enum dtype dt;

	qsort(m, (size_t)k, sizeof(*m), by_level);
	if (sgdal_dtype(m[0]->t, &dt, &nct))
		return 1;
	d = GDALMDArrayGetDimensions(m[0]->a, &nd);
	dims[0] = sgdal_dim(s->meta, GDALDimensionGetName(d[0]),
			    GDALDimensionGetSize(d[0]));
	dims[1] = sgdal_dim(s->meta, m[0]->ltype, (uint64_t)k);
	dims[2] = sgdal_dim(s->meta, GDALDimensionGetName(d[1]),
			    GDALDimensionGetSize(d[1]));
	dims[3] = sgdal_dim(s->meta, GDALDimensionGetName(d[2]),
			    GDALDimensionGetSize(d[2]));
	GDALReleaseDimensions(d, nd);
	for (int i = 0; i < 4; i++)
		if (dims[i] < 0)
			return dims[i];
	/* the level coordinate, once per level dimension */
	lv = NULL;
	for (int i = 0; i < s->meta->nvars; i++)
		if (!strcmp(s->meta->vars[i].name, s->meta->dims[dims[1]].name))
			lv = &s->meta->vars[i];
	if (!lv) {
		if (!(levels = malloc(sizeof(double) * (size_t)k)))
			return -ENOMEM;
		for (int i = 0; i < k; i++)
			levels[i] = m[i]->level;
		lv = sgdal_var(s, s->meta->dims[dims[1]].name, DTYPE_F64,
			       NCT_DOUBLE, 1, &dims[1]);
		if (!lv) {
			free(levels);
			return -ENOMEM;
		}
		p->vars[s->meta->nvars - 1].mem = levels;
		rc = sgdal_text(&lv->attrs, &lv->nattrs, "long_name",
				"level");
		if (!rc)
			rc = sgdal_text(&lv->attrs, &lv->nattrs,
					"GRIB_level_type", m[0]->ltype);
		u = level_units(m[0]->ltype);
		if (!rc && u)
			rc = sgdal_text(&lv->attrs, &lv->nattrs, "units", u);
		if (rc)
			return rc;
	}
	snprintf(name, sizeof(name), "%s_%s", m[0]->param, m[0]->ltype);
	v = sgdal_var(s, name, dt, nct, 4, dims);
	if (!v)
		return -ENOMEM;
	pv = &p->vars[s->meta->nvars - 1];
	pv->gtype = m[0]->t;
	if (!(pv->levels = calloc((size_t)k, sizeof(*pv->levels))))
		return -ENOMEM;
	for (int i = 0; i < k; i++) {
		pv->levels[pv->nlevels++] = m[i]->a;
		m[i]->a = NULL;
		m[i]->used = 1;
	}
	rc = sgdal_md_describe(s, pv->levels[0], v, pv, wkt);
	pv->arr = NULL;         /* held in levels[] */
	/* each array's first_level is now a value of the level coordinate */
	for (int i = 0; i < v->nattrs && !rc; i++)
		if (!strcmp(v->attrs[i].name, "first_level")) {
			free(v->attrs[i].name);
			free(v->attrs[i].data);
			v->attrs[i] = v->attrs[--v->nattrs];
			break;
		}
	return rc;
}

int sgdal_grib_vars(struct source *s, char **names, char **wkt)
{
	struct sgdal_source *p = s->priv;
	int n = CSLCount(names), rc = 0, k;
	struct garr *g = calloc((size_t)n + 1, sizeof(*g));
	struct garr **m = calloc((size_t)n + 1, sizeof(*m));

	if (!g || !m) {
		rc = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < n; i++)
		describe_arr(p->root, names[i], &g[i]);
	for (int i = 0; i < n && !rc; i++) {
		if (!g[i].a || g[i].used)
			continue;
		m[0] = &g[i];
		k = 1;
		for (int j = i + 1; j < n; j++)
			if (g[j].a && !g[j].used &&
			    !strcmp(g[j].param, g[i].param) &&
			    !strcmp(g[j].ltype, g[i].ltype) &&
			    g[j].t == g[i].t && same_dims(g[i].a, g[j].a))
				m[k++] = &g[j];
		if (k > 1)
			rc = merge(s, m, k, wkt);
		rc = rc > 0 ? 0 : rc;
	}
	/* the arrays merged are not described again, one by one */
	for (int i = n - 1; i >= 0 && !rc; i--)
		if (g[i].used) {
			CPLFree(names[i]);
			memmove(&names[i], &names[i + 1],
				sizeof(*names) * (size_t)(n - i));
		}
out:
	for (int i = 0; g && i < n; i++)
		if (g[i].a)
			GDALMDArrayRelease(g[i].a);
	free(g);
	free(m);
	return rc;
}
