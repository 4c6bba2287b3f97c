/* SPDX-License-Identifier: MIT */
/* Sources GDAL reads: multidimensional arrays (Zarr, GRIB) and, failing that, rasters (GeoTIFF). */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <gdal.h>
#include <ogr_srs_api.h>

#include "base/dtype.h"
#include "base/format.h"
#include "base/log.h"
#include "ingest/source_gdal_int.h"

static pthread_once_t gdal_once = PTHREAD_ONCE_INIT;

/*
 * The drivers a source may open: formats whose files name no other file,
 * so that a file written into a mount (imported by the daemon, as root)
 * cannot make GDAL read others (a VRT could) or the network.
 */
const char *const sgdal_md_drivers[] = { "Zarr", "GRIB", NULL };
const char *const sgdal_raster_drivers[] = { "GTiff", "JP2OpenJPEG", NULL };

static void gdal_setup(void)
{
	GDALAllRegister();
	/* GRIB values in the file's units (K, not GDAL's degrees C) */
	CPLSetConfigOption("GRIB_NORMALIZE_UNITS", "NO");
	/* reading writes nothing beside the source (no .aux.xml) */
	CPLSetConfigOption("GDAL_PAM_ENABLED", "NO");
	/* GDAL's messages go into ours (sgdal_error), not to stderr */
	CPLSetErrorHandler(CPLQuietErrorHandler);
}

void sgdal_init(void)
{
	pthread_once(&gdal_once, gdal_setup);
}

/* What GDAL said when the multidimensional open failed, for a raster
 * open that then fails without a word. */
static __thread char md_why[512];

const char *sgdal_error(void)
{
	static __thread char buf[512];
	const char *m = CPLGetLastErrorMsg();

	/* one line, whatever GDAL said */
	snprintf(buf, sizeof(buf), "%s", m && *m ? m : *md_why ? md_why :
		 "GDAL cannot read it");
	for (char *c = buf; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	return buf;
}

int sgdal_dtype(GDALDataType t, enum dtype *d, int *nct)
{
	switch (t) {
	case GDT_Byte: *d = DTYPE_U8; *nct = NCT_UBYTE; return 0;
	case GDT_Int16: *d = DTYPE_I16; *nct = NCT_SHORT; return 0;
	case GDT_UInt16: *d = DTYPE_U16; *nct = NCT_USHORT; return 0;
	case GDT_Int32: *d = DTYPE_I32; *nct = NCT_INT; return 0;
	case GDT_UInt32: *d = DTYPE_U32; *nct = NCT_UINT; return 0;
	case GDT_Int64: *d = DTYPE_I64; *nct = NCT_INT64; return 0;
	case GDT_UInt64: *d = DTYPE_U64; *nct = NCT_UINT64; return 0;
	case GDT_Float32: *d = DTYPE_F32; *nct = NCT_FLOAT; return 0;
	case GDT_Float64: *d = DTYPE_F64; *nct = NCT_DOUBLE; return 0;
	default: return -ENOTSUP;
	}
}

int sgdal_attr(struct cat_attr **attrs, int *n, const char *name, int type,
	       size_t len, const void *data)
{
	size_t bytes = len * nct_size(type);
	struct cat_attr *a = realloc(*attrs,
				     sizeof(**attrs) * (size_t)(*n + 1));

	if (!a)
		return -ENOMEM;
	*attrs = a;
	a = &a[*n];
	memset(a, 0, sizeof(*a));
	a->name = strdup(name);
	a->data = malloc(bytes + 1);
	if (!a->name || !a->data) {
		free(a->name);
		free(a->data);
		return -ENOMEM;
	}
	memcpy(a->data, data, bytes);
	a->type = type;
	a->len = len;
	(*n)++;
	return 0;
}

int sgdal_text(struct cat_attr **attrs, int *n, const char *name,
	       const char *text)
{
	return sgdal_attr(attrs, n, name, NCT_CHAR, strlen(text), text);
}

int sgdal_dim(struct cat_dataset *ds, const char *name, uint64_t len)
{
	char alt[CATALOG_NAME_MAX + 1];
	struct cat_dim *d;

	snprintf(alt, sizeof(alt), "%s", name);
	for (int k = 2;; k++) {
		int i;

		for (i = 0; i < ds->ndims; i++)
			if (!strcmp(ds->dims[i].name, alt))
				break;
		if (i == ds->ndims)
			break;
		if (ds->dims[i].len == len)
			return i;
		snprintf(alt, sizeof(alt), "%s_%d", name, k);
	}
	d = realloc(ds->dims, sizeof(*d) * (size_t)(ds->ndims + 1));
	if (!d)
		return -ENOMEM;
	ds->dims = d;
	d = &d[ds->ndims];
	memset(d, 0, sizeof(*d));
	if (!(d->name = strdup(alt)))
		return -ENOMEM;
	d->len = len;
	return ds->ndims++;
}

struct cat_var *sgdal_var(struct source *s, const char *name, enum dtype d,
			  int nct, int ndim, const int *dims)
{
	struct sgdal_source *p = s->priv;
	struct cat_dataset *ds = s->meta;
	struct cat_var *v;

	if (ds->nvars >= p->cap)
		return NULL;
	v = &ds->vars[ds->nvars];
	v->name = name ? strdup(name) : NULL;
	v->shape = calloc((size_t)ndim + 1, sizeof(*v->shape));
	v->dimids = calloc((size_t)ndim + 1, sizeof(*v->dimids));
	ds->nvars++;
	if ((name && !v->name) || !v->shape || !v->dimids)
		return NULL;
	v->dtype = d;
	v->nctype = nct;
	v->ndim = ndim;
	for (int i = 0; i < ndim; i++) {
		v->dimids[i] = dims[i];
		v->shape[i] = ds->dims[dims[i]].len;
	}
	return v;
}

const char *sgdal_grid_mapping(struct source *s, const char *wkt,
			       const double *gt)
{
	static const char name[] = "spatial_ref";
	struct sgdal_source *p = s->priv;
	struct cat_var *v;
	char buf[256];

	for (int i = 0; i < s->meta->nvars; i++)
		if (s->meta->vars[i].name &&
		    !strcmp(s->meta->vars[i].name, name))
			return name;
	v = sgdal_var(s, name, DTYPE_I32, NCT_INT, 0, NULL);
	if (!v || !(p->vars[s->meta->nvars - 1].mem = calloc(1, 4)))
		return NULL;
	if (sgdal_text(&v->attrs, &v->nattrs, "crs_wkt", wkt) ||
	    sgdal_text(&v->attrs, &v->nattrs, "spatial_ref", wkt))
		return NULL;
	if (gt) {
		snprintf(buf, sizeof(buf), "%.17g %.17g %.17g %.17g %.17g "
			 "%.17g", gt[0], gt[1], gt[2], gt[3], gt[4], gt[5]);
		if (sgdal_text(&v->attrs, &v->nattrs, "GeoTransform", buf))
			return NULL;
	}
	return name;
}

/* The values of n elements of a packed or masked array, from doubles. */
static void unpack(const struct sgdal_var *pv, const struct cat_var *v,
		   const double *raw, void *dst, size_t n)
{
	size_t sz = dtype_size(v->dtype);
	double d;

	for (size_t i = 0; i < n; i++) {
		if (pv->has_nodata && raw[i] == pv->nodata) {
			memcpy((char *)dst + i * sz, v->fill, sz);
			continue;
		}
		d = raw[i] * pv->scale + pv->offset;
		dtype_from_double(v->dtype, &d, (char *)dst + i * sz, 1);
	}
}

/* Reads frames [first, first + n) of array arr (dims shape) into dst,
 * unpacked and masked as pv says. */
static int md_read(struct source *s, int var, GDALMDArrayH arr, int ndim,
		   const uint64_t *shape, uint64_t first, uint64_t n,
		   uint64_t elems, void *dst)
{
	struct sgdal_source *p = s->priv;
	const struct sgdal_var *pv = &p->vars[var];
	const struct cat_var *v = &s->meta->vars[var];
	GUInt64 *start = calloc((size_t)ndim + 1, sizeof(*start));
	size_t *count = calloc((size_t)ndim + 1, sizeof(*count));
	GDALExtendedDataTypeH bt;
	double *raw = NULL;
	int rc = 0;

	if (pv->packed || pv->levels)
		raw = malloc(elems * sizeof(double) + 1);
	if (!start || !count || ((pv->packed || pv->levels) && !raw)) {
		rc = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < ndim; i++) {
		int along = i == 0 && ndim >= 2;

		start[i] = along ? first : 0;
		count[i] = (size_t)(along ? n : shape[i]);
	}
	bt = GDALExtendedDataTypeCreate(raw ? GDT_Float64 : pv->gtype);
	if (!GDALMDArrayRead(arr, start, count, NULL, NULL, bt,
			     raw ? (void *)raw : dst, NULL, 0)) {
		log_error("cannot read array '%s' of '%s': %s", v->name,
			  p->path, sgdal_error());
		rc = -EIO;
	} else if (raw) {
		unpack(pv, v, raw, dst, (size_t)elems);
	}
	GDALExtendedDataTypeRelease(bt);
out:
	free(raw);
	free(start);
	free(count);
	return rc;
}

/* Frames of a variable whose planes are the arrays of its levels. */
static int levels_read(struct source *s, int var, uint64_t first,
		       uint64_t n, void *dst)
{
	const struct sgdal_source *p = s->priv;
	const struct sgdal_var *pv = &p->vars[var];
	const struct cat_var *v = &s->meta->vars[var];
	uint64_t shape[3] = { v->shape[0], v->shape[2], v->shape[3] };
	size_t plane = (size_t)(shape[1] * shape[2]) * dtype_size(v->dtype);
	int rc = 0;

	for (uint64_t f = 0; f < n && !rc; f++)
		for (int l = 0; l < pv->nlevels && !rc; l++)
			rc = md_read(s, var, pv->levels[l], 3, shape, first + f,
				     1, shape[1] * shape[2], (char *)dst +
				     (f * (uint64_t)pv->nlevels + (uint64_t)l) *
				     plane);
	return rc;
}

static int gdal_read_frames(struct source *s, int var, uint64_t first,
			    uint64_t n, void *dst)
{
	struct sgdal_source *p = s->priv;
	const struct cat_var *v;
	uint64_t frame = 1;

	int rc = source_check_frames(s, p->path, var, first, n);

	if (rc)
		return rc;
	v = &s->meta->vars[var];
	for (int a = v->ndim >= 2 ? 1 : 0; a < v->ndim; a++)
		frame *= v->shape[a];
	if (p->vars[var].mem) {
		size_t fb = (size_t)frame * dtype_size(v->dtype);

		memcpy(dst, (char *)p->vars[var].mem + first * fb, n * fb);
		return 0;
	}
	if (p->vars[var].stack)
		return sgdal_stack_read(s, first, n, dst);
	if (p->vars[var].levels)
		return levels_read(s, var, first, n, dst);
	return md_read(s, var, p->vars[var].arr, v->ndim, v->shape, first, n,
		       n * frame, dst);
}

static void gdal_close(struct source *s)
{
	struct sgdal_source *p = s->priv;

	if (!p)
		return;
	for (int i = 0; i < p->cap && p->vars; i++) {
		if (p->vars[i].arr)
			GDALMDArrayRelease(p->vars[i].arr);
		for (int l = 0; l < p->vars[i].nlevels; l++)
			GDALMDArrayRelease(p->vars[i].levels[l]);
		free(p->vars[i].levels);
		free(p->vars[i].mem);
	}
	for (int i = 0; i < p->nfiles; i++) {
		for (char **b = p->files[i].bands; b && *b; b++)
			free(*b);
		free(p->files[i].bands);
		free(p->files[i].path);
	}
	free(p->files);
	if (p->root)
		GDALGroupRelease(p->root);
	if (p->ds)
		GDALClose(p->ds);
	free(p->vars);
	free(p->path);
	free(p);
	s->priv = NULL;
}

static const struct source_ops gdal_ops = {
	.kind = "gdal",
	.read_frames = gdal_read_frames,
	.close = gdal_close,
};

int sgdal_source_new(const char *path, int cap, struct source **out)
{
	struct source *s = calloc(1, sizeof(*s));
	struct sgdal_source *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (!s || !p) {
		free(s);
		free(p);
		return -ENOMEM;
	}
	s->ops = &gdal_ops;
	s->priv = p;
	p->cap = cap;
	p->path = strdup(path);
	p->vars = calloc((size_t)cap + 1, sizeof(*p->vars));
	s->meta = calloc(1, sizeof(*s->meta));
	if (s->meta)
		s->meta->vars = calloc((size_t)cap + 1, sizeof(*s->meta->vars));
	if (!p->path || !p->vars || !s->meta || !s->meta->vars) {
		source_free(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

/* The strings of a text attribute joined by '\n'. */
static int text_attr(GDALAttributeH h, struct cat_attr **attrs, int *n)
{
	char **list = GDALAttributeReadAsStringArray(h);
	size_t len = 0;
	char *t;
	int rc;

	for (int i = 0; list && list[i]; i++)
		len += strlen(list[i]) + 1;
	if (!(t = calloc(1, len + 1))) {
		CSLDestroy(list);
		return -ENOMEM;
	}
	for (int i = 0; list && list[i]; i++) {
		if (i)
			strcat(t, "\n");
		strcat(t, list[i]);
	}
	rc = sgdal_text(attrs, n, GDALAttributeGetName(h), t);
	free(t);
	CSLDestroy(list);
	return rc;
}

/* Copies GDAL attributes (text and numbers) into attrs; frees them. */
static int copy_attrs(const char *path, GDALAttributeH *list, size_t cnt,
		      struct cat_attr **attrs, int *n)
{
	int rc = 0;

	for (size_t i = 0; i < cnt && !rc; i++) {
		GDALExtendedDataTypeH dt = GDALAttributeGetDataType(list[i]);
		GDALExtendedDataTypeClass cls =
			GDALExtendedDataTypeGetClass(dt);
		enum dtype d;
		int nct;

		if (cls == GEDTC_STRING) {
			rc = text_attr(list[i], attrs, n);
		} else if (cls == GEDTC_NUMERIC && !sgdal_dtype(
				GDALExtendedDataTypeGetNumericDataType(dt),
				&d, &nct)) {
			size_t sz = 0, len = (size_t)
				GDALAttributeGetTotalElementsCount(list[i]);
			GByte *raw = GDALAttributeReadAsRaw(list[i], &sz);

			if (raw && sz == len * dtype_size(d))
				rc = sgdal_attr(attrs, n,
						GDALAttributeGetName(list[i]),
						nct, len, raw);
			if (raw)
				GDALAttributeFreeRawResult(list[i], raw, sz);
		} else {
			log_warn("'%s': attribute '%s' of unsupported type "
				 "skipped", path,
				 GDALAttributeGetName(list[i]));
		}
		GDALExtendedDataTypeRelease(dt);
	}
	GDALReleaseAttributes(list, cnt);
	return rc;
}

/* The fill value and its _FillValue attribute, from GDAL's nodata. */
static int md_fill(struct cat_var *v, struct sgdal_var *pv)
{
	int has = 0;
	double nd = GDALMDArrayGetNoDataValueAsDouble(pv->arr, &has), f;

	if (!has)
		return 0;
	pv->has_nodata = 1;
	pv->nodata = nd;
	f = pv->packed ? nd * pv->scale + pv->offset : nd;
	dtype_from_double(v->dtype, &f, v->fill, 1);
	v->has_fill = !isnan(f);
	return sgdal_attr(&v->attrs, &v->nattrs, "_FillValue", v->nctype, 1,
			  v->fill);
}

int sgdal_md_describe(struct source *s, GDALMDArrayH a, struct cat_var *v,
		      struct sgdal_var *pv, char **wkt)
{
	struct sgdal_source *p = s->priv;
	OGRSpatialReferenceH srs;
	GDALAttributeH *list;
	int has_s = 0, has_o = 0, rc, gm = v->ndim >= 2;
	const char *unit;
	size_t cnt = 0;

	pv->arr = a;
	list = GDALMDArrayGetAttributes(a, &cnt, NULL);
	rc = copy_attrs(p->path, list, cnt, &v->attrs, &v->nattrs);
	unit = GDALMDArrayGetUnit(a);
	/* the GRIB driver's time axis: CF units, that readers decode */
	if (unit && !strcmp(unit, "sec UTC"))
		unit = "seconds since 1970-01-01 00:00:00";
	if (!rc && unit && *unit)
		rc = sgdal_text(&v->attrs, &v->nattrs, "units", unit);
	pv->scale = GDALMDArrayGetScale(a, &has_s);
	pv->offset = GDALMDArrayGetOffset(a, &has_o);
	pv->scale = has_s ? pv->scale : 1.0;
	pv->offset = has_o ? pv->offset : 0.0;
	/* CF packing undone, as for NetCDF: narrow integers served as float */
	if (pv->scale != 1.0 || pv->offset != 0.0) {
		pv->packed = 1;
		if (!dtype_is_float(v->dtype)) {
			int big = dtype_size(v->dtype) >= 4;

			v->dtype = big ? DTYPE_F64 : DTYPE_F32;
			v->nctype = big ? NCT_DOUBLE : NCT_FLOAT;
		}
	}
	if (!rc)
		rc = md_fill(v, pv);
	/* a CRS no grid_mapping of the source names: one variable for it */
	for (int i = 0; i < v->nattrs && gm; i++)
		if (!strcmp(v->attrs[i].name, "grid_mapping"))
			gm = 0;
	srs = gm ? GDALMDArrayGetSpatialRef(a) : NULL;
	if (srs && !*wkt && OSRExportToWkt(srs, wkt) != OGRERR_NONE)
		*wkt = NULL;
	if (srs && *wkt && !rc)
		rc = sgdal_text(&v->attrs, &v->nattrs, "grid_mapping",
				"spatial_ref");
	if (srs)
		OSRDestroySpatialReference(srs);
	return rc;
}

int sgdal_md_var(struct source *s, const char *name, char **wkt)
{
	struct sgdal_source *p = s->priv;
	GDALMDArrayH a = GDALGroupOpenMDArray(p->root, name, NULL);
	GDALExtendedDataTypeH dt;
	GDALDimensionH *dims = NULL;
	struct sgdal_var *pv;
	struct cat_var *v;
	int dimids[32], nct, rc = 0;
	GDALDataType gt = GDT_Unknown;
	size_t nd = 0;
	enum dtype d;

	if (!a) {
		log_error("cannot open array '%s' of '%s': %s", name, p->path,
			  sgdal_error());
		return -EINVAL;
	}
	dt = GDALMDArrayGetDataType(a);
	if (GDALExtendedDataTypeGetClass(dt) == GEDTC_NUMERIC)
		gt = GDALExtendedDataTypeGetNumericDataType(dt);
	GDALExtendedDataTypeRelease(dt);
	if (sgdal_dtype(gt, &d, &nct) ||
	    GDALMDArrayGetDimensionCount(a) > 32) {
		log_warn("'%s': array '%s' of unsupported type skipped",
			 p->path, name);
		GDALMDArrayRelease(a);
		return source_note_skipped(s->meta, name);
	}
	dims = GDALMDArrayGetDimensions(a, &nd);
	for (size_t i = 0; i < nd && rc >= 0; i++)
		rc = dimids[i] = sgdal_dim(s->meta,
					   GDALDimensionGetName(dims[i]),
					   GDALDimensionGetSize(dims[i]));
	GDALReleaseDimensions(dims, nd);
	v = rc < 0 ? NULL : sgdal_var(s, name, d, nct, (int)nd, dimids);
	if (!v) {
		GDALMDArrayRelease(a);
		return rc < 0 ? rc : -ENOMEM;
	}
	pv = &p->vars[s->meta->nvars - 1];
	pv->gtype = gt;
	return sgdal_md_describe(s, a, v, pv, wkt);
}

/* Opens a multidimensional dataset's root group as the source. */
static int md_open(const char *path, GDALDatasetH ds, struct source **out)
{
	struct source *s = NULL;
	struct sgdal_source *p;
	GDALGroupH root = GDALDatasetGetRootGroup(ds);
	char **names = NULL, **groups = NULL, *wkt = NULL;
	GDALAttributeH *list;
	size_t cnt = 0;
	int rc, cubes = 0;

	if (!root) {
		GDALClose(ds);
		log_error("'%s' has no root group: %s", path, sgdal_error());
		return -EINVAL;
	}
	names = GDALGroupGetMDArrayNames(root, NULL);
	rc = sgdal_source_new(path, CSLCount(names) + 1, &s);
	if (rc) {
		GDALGroupRelease(root);
		GDALClose(ds);
		goto out;
	}
	p = s->priv;
	p->ds = ds;
	p->root = root;
	list = GDALGroupGetAttributes(root, &cnt, NULL);
	rc = copy_attrs(path, list, cnt, &s->meta->attrs, &s->meta->nattrs);
	if (!strcmp(GDALGetDriverShortName(GDALGetDatasetDriver(ds)), "GRIB"))
		rc = rc ? rc : sgdal_grib_vars(s, names, &wkt);
	for (int i = 0; names && names[i] && !rc; i++)
		rc = sgdal_md_var(s, names[i], &wkt);
	if (!rc && wkt && !sgdal_grid_mapping(s, wkt, NULL))
		rc = -ENOMEM;
	for (int i = 0; i < s->meta->nvars; i++)
		cubes += s->meta->vars[i].ndim >= 2;
	if (!rc && !cubes) {
		log_error("'%s' holds no array of 2 or more dimensions that "
			  "cubefs reads", path);
		rc = -EINVAL;
	}
	groups = rc ? NULL : GDALGroupGetGroupNames(root, NULL);
	if (CSLCount(groups))
		log_warn("'%s': %d group%s besides the root skipped", path,
			 CSLCount(groups), CSLCount(groups) > 1 ? "s" : "");
	if (!rc) {
		*out = s;
		s = NULL;
	}
out:
	CPLFree(wkt);
	CSLDestroy(groups);
	CSLDestroy(names);
	source_free(s);
	return rc;
}

int source_gdal_open(const char *path, struct source **out)
{
	GDALDatasetH ds;
	int rc;

	*out = NULL;
	rc = sgdal_grib_check(path);
	if (rc)
		return rc;
	sgdal_init();
	CPLErrorReset();
	ds = GDALOpenEx(path, GDAL_OF_MULTIDIM_RASTER | GDAL_OF_READONLY,
			sgdal_md_drivers, NULL, NULL);
	if (ds)
		return md_open(path, ds, out);
	snprintf(md_why, sizeof(md_why), "%s", CPLGetLastErrorMsg());
	rc = sgdal_raster_open(path, out);
	md_why[0] = 0;
	return rc;
}
