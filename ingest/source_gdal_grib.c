/* SPDX-License-Identifier: MIT */
/* GRIB through GDAL: the arrays of one parameter on several levels of one type become one variable, its levels as planes. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
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

/* Big-endian unsigned integer of n bytes. */
static uint64_t be(const unsigned char *b, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | b[i];
	return v;
}

/* What is wrong with a grid GDAL would read as a regular one (or as
 * nothing), by its GRIB 2 template (3.N) or GRIB 1 data representation
 * type; NULL if it is a grid cubefs takes. */
static const char *bad_grid(int edition, unsigned t, int reduced)
{
	if (edition == 1 ? t == 50 || t == 60 || t == 70 || t == 80 :
	    t >= 50 && t <= 53)
		return "holds spectral coefficients (spherical harmonics), "
		       "not values on a grid: transform them first (cdo "
		       "sp2gp)";
	if (edition == 1 ? t == 4 || t == 14 || t == 24 || t == 34 :
	    t >= 40 && t <= 43)
		return "is on a Gaussian grid, whose latitudes are not evenly "
		       "spaced (GDAL reads them as if they were): regrid it "
		       "first (cdo remapbil,r360x180)";
	if (reduced)
		return "is on a reduced (quasi-regular) grid, rows of "
		       "different lengths: regrid it first (cdo "
		       "setgridtype,regular)";
	if (edition == 2 && (t == 100 || t == 101 || t == 120 || t == 204 ||
			     t >= 1000))
		return "is on an unstructured, icosahedral or cross-section "
		       "grid, not a rectangular one";
	return NULL;
}

/* n bytes at offset off of f into buf: 0, or -1 past the end. */
static int read_at(FILE *f, uint64_t off, unsigned char *buf, size_t n)
{
	return off > INT64_MAX || fseeko(f, (off_t)off, SEEK_SET) ||
		fread(buf, 1, n, f) != n ? -1 : 0;
}

/* The grid of the GRIB 1 message at m (len bytes): NULL or a reason. */
static const char *grib1_grid(FILE *f, uint64_t m, uint64_t len)
{
	unsigned char pds[8], gds[10];

	if (read_at(f, m + 8, pds, sizeof(pds)) || !(pds[7] & 0x80) ||
	    be(pds, 3) + 18 > len ||
	    read_at(f, m + 8 + be(pds, 3), gds, sizeof(gds)))
		return NULL;    /* no grid description: GDAL's to judge */
	/* a quasi-regular grid has Ni or Nj missing (all ones) */
	return bad_grid(1, gds[5], be(gds + 6, 2) == 0xffff ||
			be(gds + 8, 2) == 0xffff);
}

/* The grids of the GRIB 2 message at m (len bytes): NULL or a reason. */
static const char *grib2_grid(FILE *f, uint64_t m, uint64_t len)
{
	const char *why = NULL;
	unsigned char sec[14];

	for (uint64_t at = 16; !why && at + 5 <= len; ) {
		uint64_t n;

		if (read_at(f, m + at, sec, 5) || !memcmp(sec, "7777", 4))
			break;
		n = be(sec, 4);
		if (n < 5 || at + n > len)
			break;
		/* section 3: octet 11 counts a list of points per row,
		 * octets 13-14 are the template */
		if (sec[4] == 3 && n >= 14 && !read_at(f, m + at, sec, 14))
			why = bad_grid(2, (unsigned)be(sec + 12, 2),
				       sec[10] != 0);
		at += n;
	}
	return why;
}

int sgdal_grib_check(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char h[16];
	const char *why = NULL;
	uint64_t at = 0, len;

	for (int msg = 1; f && !why; msg++, at += len) {
		if (read_at(f, at, h, sizeof(h)) || memcmp(h, "GRIB", 4) ||
		    (h[7] != 1 && h[7] != 2))
			break;  /* the end, or what GDAL is to judge */
		len = h[7] == 1 ? be(h + 4, 3) : be(h + 8, 8);
		/* GRIB 1 of ECMWF's large-message coding: not walked on */
		if (len < 16 || (h[7] == 1 && (len & 0x800000)))
			break;
		why = h[7] == 1 ? grib1_grid(f, at, len) :
			grib2_grid(f, at, len);
		if (why)
			log_error("'%s': GRIB message %d %s", path, msg, why);
	}
	if (f)
		fclose(f);
	return why ? -ENOTSUP : 0;
}

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

/* The names and sizes of the last two dims of array name, in yx (of
 * ycap bytes), ny and nx; -1 if it has fewer than 2. */
static int grid_of(GDALGroupH root, const char *name, char *yx, size_t ycap,
		   uint64_t *ny, uint64_t *nx)
{
	GDALMDArrayH a = GDALGroupOpenMDArray(root, name, NULL);
	GDALDimensionH *d = NULL;
	size_t nd = 0;
	int rc = -1;

	if (a)
		d = GDALMDArrayGetDimensions(a, &nd);
	if (d && nd >= 2) {
		snprintf(yx, ycap, "%s,%s", GDALDimensionGetName(d[nd - 2]),
			 GDALDimensionGetName(d[nd - 1]));
		*ny = GDALDimensionGetSize(d[nd - 2]);
		*nx = GDALDimensionGetSize(d[nd - 1]);
		rc = 0;
	}
	if (d)
		GDALReleaseDimensions(d, nd);
	if (a)
		GDALMDArrayRelease(a);
	return rc;
}

/*
 * Refuses a GRIB file whose messages lie on more than one grid (GDAL
 * gives each its own y and x dims, such as Y2 and X2): a dataset has one
 * grid and one grid mapping. -ENOTSUP, logged, naming both grids.
 */
static int one_grid(struct source *s, char **names)
{
	struct sgdal_source *p = s->priv;
	char first[2 * KEY_MAX + 2] = "", yx[2 * KEY_MAX + 2];
	uint64_t fy = 0, fx = 0, ny, nx;

	for (int i = 0; names && names[i]; i++) {
		if (grid_of(p->root, names[i], yx, sizeof(yx), &ny, &nx))
			continue;
		if (!*first) {
			snprintf(first, sizeof(first), "%s", yx);
			fy = ny;
			fx = nx;
		} else if (strcmp(first, yx)) {
			log_error("'%s': GRIB messages on more than one grid "
				  "(%llux%llu and %llux%llu, '%s' on the "
				  "second): cubefs takes one grid per file; "
				  "split it first (cdo splitgrid)", p->path,
				  (unsigned long long)fy,
				  (unsigned long long)fx,
				  (unsigned long long)ny,
				  (unsigned long long)nx, names[i]);
			return -ENOTSUP;
		}
	}
	return 0;
}

int sgdal_grib_vars(struct source *s, char **names, char **wkt)
{
	struct sgdal_source *p = s->priv;
	int n = CSLCount(names), rc = one_grid(s, names), k;
	struct garr *g = calloc((size_t)n + 1, sizeof(*g));
	struct garr **m = calloc((size_t)n + 1, sizeof(*m));

	if (!rc && (!g || !m))
		rc = -ENOMEM;
	if (rc)
		goto out;
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
