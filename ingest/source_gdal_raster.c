/* SPDX-License-Identifier: MIT */
/* Raster files through GDAL (GeoTIFF): one file, or a stack of files (or of folders of band files) of one grid ordered by date, with their georeferencing. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/stat.h>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>
#include <ogr_srs_api.h>

#include "base/dtype.h"
#include "base/format.h"
#include "base/log.h"
#include "ingest/source_gdal_int.h"

/* What every file of a stack must share. */
struct grid {
	int w, h, nb;
	GDALDataType t;
	double gt[6];
	int has_gt;
	char *wkt;              /* "" if none */
	int has_nd;
	double nd;
	double scale, offset;   /* of the first band */
	char *unit;             /* "" if none */
};

static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

/* First match of the regular expression's group 1 parsed by fmt. */
static int date_by_regex(const char *name, const char *re, const char *fmt,
			 struct tm *tm)
{
	regex_t rx;
	regmatch_t m[2];
	char buf[32];
	int rc = -1;

	if (regcomp(&rx, re, REG_EXTENDED))
		return -1;
	if (!regexec(&rx, name, 2, m, 0) && m[1].rm_so >= 0 &&
	    m[1].rm_eo - m[1].rm_so < (int)sizeof(buf)) {
		const char *end;

		snprintf(buf, sizeof(buf), "%.*s", (int)(m[1].rm_eo -
			 m[1].rm_so), name + m[1].rm_so);
		memset(tm, 0, sizeof(*tm));
		end = strptime(buf, fmt, tm);
		rc = end && !*end ? 0 : -1;
	}
	regfree(&rx);
	return rc;
}

/* A user's strptime format, at the first place of the name it parses. */
static int date_by_pattern(const char *name, const char *fmt, struct tm *tm)
{
	for (const char *c = name; *c; c++) {
		memset(tm, 0, sizeof(*tm));
		if (strptime(c, fmt, tm))
			return 0;
	}
	return -1;
}

/*
 * The file's date: by --date-pattern if given, else the Landsat
 * (LC08_L1TP_PPPRRR_YYYYMMDD_...) and Sentinel-2 (..._YYYYMMDDTHHMMSS_...)
 * naming conventions, else the TIFF date tag. -1 if none.
 */
static int file_date(const char *name, GDALDatasetH ds, const char *pattern,
		     int64_t *t)
{
	const char *tag;
	struct tm tm;
	int rc;

	if (pattern) {
		rc = date_by_pattern(name, pattern, &tm);
	} else {
		rc = date_by_regex(name, "L[COTEM]0[0-9]_[A-Z0-9]{4}_[0-9]{6}_"
				   "([0-9]{8})_", "%Y%m%d", &tm);
		if (rc)
			rc = date_by_regex(name, "([0-9]{8}T[0-9]{6})",
					   "%Y%m%dT%H%M%S", &tm);
		tag = rc && ds ? GDALGetMetadataItem(ds, "TIFFTAG_DATETIME",
						     NULL) :
			NULL;
		if (tag) {
			const char *end;

			memset(&tm, 0, sizeof(tm));
			end = strptime(tag, "%Y:%m:%d %H:%M:%S", &tm);
			rc = end ? 0 : -1;
		}
	}
	if (rc)
		return -1;
	*t = (int64_t)timegm(&tm);
	return 0;
}

static void grid_release(struct grid *g)
{
	free(g->wkt);
	free(g->unit);
	g->wkt = g->unit = NULL;
}

static int read_grid(const char *path, GDALDatasetH ds, struct grid *g)
{
	GDALRasterBandH b;
	const char *wkt = GDALGetProjectionRef(ds);
	int has = 0;

	memset(g, 0, sizeof(*g));
	g->w = GDALGetRasterXSize(ds);
	g->h = GDALGetRasterYSize(ds);
	g->nb = GDALGetRasterCount(ds);
	if (g->nb < 1) {
		log_error("'%s' has no raster band", path);
		return -EINVAL;
	}
	b = GDALGetRasterBand(ds, 1);
	g->t = GDALGetRasterDataType(b);
	for (int i = 2; i <= g->nb; i++)
		if (GDALGetRasterDataType(GDALGetRasterBand(ds, i)) != g->t) {
			log_error("'%s': bands of different types", path);
			return -ENOTSUP;
		}
	g->nd = GDALGetRasterNoDataValue(b, &g->has_nd);
	g->scale = GDALGetRasterScale(b, &has);
	g->scale = has ? g->scale : 1.0;
	g->offset = GDALGetRasterOffset(b, &has);
	g->offset = has ? g->offset : 0.0;
	g->has_gt = GDALGetGeoTransform(ds, g->gt) == CE_None;
	/* copies: the dataset's strings go with it */
	g->wkt = strdup(wkt ? wkt : "");
	g->unit = strdup(GDALGetRasterUnitType(b) ? GDALGetRasterUnitType(b) :
			 "");
	return g->wkt && g->unit ? 0 : -ENOMEM;
}

static int same_crs(const char *a, const char *b)
{
	OGRSpatialReferenceH sa, sb;
	int same;

	if (!strcmp(a, b))
		return 1;
	if (!*a || !*b)
		return 0;
	sa = OSRNewSpatialReference(a);
	sb = OSRNewSpatialReference(b);
	same = sa && sb && OSRIsSame(sa, sb);
	OSRDestroySpatialReference(sa);
	OSRDestroySpatialReference(sb);
	return same;
}

/* Refuses a file whose grid is not the first file's, naming both. */
static int same_grid(const char *path, const struct grid *g,
		     const char *first, const struct grid *f, int scene)
{
	char why[160] = "";
	int res = g->w != f->w || g->h != f->h || (g->has_gt && f->has_gt &&
		  (g->gt[1] != f->gt[1] || g->gt[5] != f->gt[5]));

	if (g->w != f->w || g->h != f->h)
		snprintf(why, sizeof(why), "%dx%d pixels, not %dx%d", g->w,
			 g->h, f->w, f->h);
	else if (g->nb != f->nb)
		snprintf(why, sizeof(why), "%d bands, not %d", g->nb, f->nb);
	else if (g->t != f->t)
		snprintf(why, sizeof(why), "type %s, not %s",
			 GDALGetDataTypeName(g->t), GDALGetDataTypeName(f->t));
	else if (g->has_gt != f->has_gt)
		snprintf(why, sizeof(why), "a geotransform where the other "
			 "has %s", f->has_gt ? "one" : "none");
	for (int i = 0; !*why && g->has_gt && i < 6; i++)
		if (fabs(g->gt[i] - f->gt[i]) > 1e-9 * (fabs(f->gt[1]) + 1))
			snprintf(why, sizeof(why), "geotransform (%.10g %.10g "
				 "%.10g %.10g %.10g %.10g)", g->gt[0], g->gt[1],
				 g->gt[2], g->gt[3], g->gt[4], g->gt[5]);
	if (!*why && !same_crs(g->wkt, f->wkt))
		snprintf(why, sizeof(why), "another CRS");
	if (!*why && (g->has_nd != f->has_nd ||
		      (g->has_nd && g->nd != f->nd &&
		       !(isnan(g->nd) && isnan(f->nd)))))
		snprintf(why, sizeof(why), "another nodata value");
	if (!*why)
		return 0;
	log_error("'%s' is not on the grid of '%s': %s%s", path, first, why,
		  scene && res ? " (a band of another resolution: cubefs does "
		  "not resample, import bands of one resolution)" : "");
	return -EINVAL;
}

static GDALDatasetH open_raster(const char *path)
{
	CPLErrorReset();
	return GDALOpenEx(path, GDAL_OF_RASTER | GDAL_OF_READONLY,
			  sgdal_raster_drivers, NULL, NULL);
}

/* Reads the nb bands of the file at path into dst, if still of the
 * stack's grid; -EIO logged otherwise. */
static int read_file(const struct sgdal_source *p, const char *path, int nb,
		     char *dst)
{
	GDALDatasetH ds = open_raster(path);
	CPLErr err = CE_Failure;

	if (ds && GDALGetRasterXSize(ds) == p->width &&
	    GDALGetRasterYSize(ds) == p->height &&
	    GDALGetRasterCount(ds) == nb)
		err = GDALDatasetRasterIO(ds, GF_Read, 0, 0, p->width,
					  p->height, dst, p->width, p->height,
					  p->gtype, nb, NULL, 0, 0, 0);
	if (err != CE_None)
		log_error("cannot read '%s': %s", path, ds ? sgdal_error() :
			  "it changed or went away");
	if (ds)
		GDALClose(ds);
	return err == CE_None ? 0 : -EIO;
}

int sgdal_stack_read(struct source *s, uint64_t first, uint64_t n,
		     void *dst)
{
	struct sgdal_source *p = s->priv;
	size_t pb = (size_t)p->width * (size_t)p->height *
		(size_t)GDALGetDataTypeSizeBytes(p->gtype);
	int rc = 0;

	for (uint64_t f = first; f < first + n && !rc; f++) {
		const struct sgdal_file *fi = &p->files[f];
		char *at = (char *)dst + (f - first) * pb * (size_t)p->nbands;

		if (!fi->bands)
			rc = read_file(p, fi->path, p->nbands, at);
		/* a scene folder: a file per plane */
		for (int k = 0; fi->bands && !rc && k < p->nbands; k++)
			rc = read_file(p, fi->bands[k], 1, at + (size_t)k * pb);
	}
	return rc;
}

static int by_time(const void *a, const void *b)
{
	const struct sgdal_file *x = a, *y = b;

	return (x->t > y->t) - (x->t < y->t);
}

/* A coordinate variable held in memory: 1-d over dim, n doubles. */
static struct cat_var *coord(struct source *s, const char *name, int dim,
			     enum dtype d, int nct, void *values)
{
	struct sgdal_source *p = s->priv;
	struct cat_var *v = sgdal_var(s, name, d, nct, 1, &dim);

	if (!v) {
		free(values);
		return NULL;
	}
	p->vars[s->meta->nvars - 1].mem = values;
	return values ? v : NULL;
}

/* The x and y coordinates of pixel centres, for a north-up grid. */
static int xy_coords(struct source *s, const struct grid *g, int ydim,
		     int xdim)
{
	OGRSpatialReferenceH srs = *g->wkt ? OSRNewSpatialReference(g->wkt) :
		NULL;
	int geo = srs && OSRIsGeographic(srs);
	double *xs = malloc(sizeof(double) * (size_t)g->w);
	double *ys = malloc(sizeof(double) * (size_t)g->h);
	struct cat_var *y, *x;
	int rc = -ENOMEM;

	OSRDestroySpatialReference(srs);
	for (int i = 0; xs && i < g->w; i++)
		xs[i] = g->gt[0] + (i + 0.5) * g->gt[1];
	for (int j = 0; ys && j < g->h; j++)
		ys[j] = g->gt[3] + (j + 0.5) * g->gt[5];
	y = coord(s, "y", ydim, DTYPE_F64, NCT_DOUBLE, ys);
	x = coord(s, "x", xdim, DTYPE_F64, NCT_DOUBLE, xs);
	if (!x || !y)
		return rc;
	rc = sgdal_text(&y->attrs, &y->nattrs, "standard_name", geo ?
			"latitude" : "projection_y_coordinate");
	if (!rc)
		rc = sgdal_text(&y->attrs, &y->nattrs, "units", geo ?
				"degrees_north" : "m");
	if (!rc)
		rc = sgdal_text(&x->attrs, &x->nattrs, "standard_name", geo ?
				"longitude" : "projection_x_coordinate");
	if (!rc)
		rc = sgdal_text(&x->attrs, &x->nattrs, "units", geo ?
				"degrees_east" : "m");
	return rc;
}

/* The data variable's attributes: fill, packing, units, grid mapping. */
static int data_attrs(struct source *s, struct cat_var *v,
		      const struct grid *g, const char *gm)
{
	int rc = 0;

	if (g->has_nd) {
		dtype_from_double(v->dtype, &g->nd, v->fill, 1);
		v->has_fill = !isnan(g->nd);
		rc = sgdal_attr(&v->attrs, &v->nattrs, "_FillValue", v->nctype,
				1, v->fill);
	}
	if (!rc && g->scale != 1.0)
		rc = sgdal_attr(&v->attrs, &v->nattrs, "scale_factor",
				NCT_DOUBLE, 1, &g->scale);
	if (!rc && g->offset != 0.0)
		rc = sgdal_attr(&v->attrs, &v->nattrs, "add_offset",
				NCT_DOUBLE, 1, &g->offset);
	if (!rc && *g->unit)
		rc = sgdal_text(&v->attrs, &v->nattrs, "units", g->unit);
	if (!rc && gm)
		rc = sgdal_text(&v->attrs, &v->nattrs, "grid_mapping", gm);
	return rc;
}

/* The variables of a stack of files of grid g, dated or not. */
static int describe(struct source *s, const struct grid *g, int dated,
		    const char *bands)
{
	struct sgdal_source *p = s->priv;
	int dims[4], nd = 0, rc, north_up;
	const char *gm = NULL;
	struct cat_var *v;
	enum dtype d;
	int nct;

	if (sgdal_dtype(g->t, &d, &nct)) {
		log_error("'%s': pixel type %s is not supported", p->path,
			  GDALGetDataTypeName(g->t));
		return -ENOTSUP;
	}
	dims[nd++] = sgdal_dim(s->meta, "time", (uint64_t)p->nfiles);
	if (g->nb > 1)
		dims[nd++] = sgdal_dim(s->meta, "band", (uint64_t)g->nb);
	dims[nd++] = sgdal_dim(s->meta, "y", (uint64_t)g->h);
	dims[nd++] = sgdal_dim(s->meta, "x", (uint64_t)g->w);
	for (int i = 0; i < nd; i++)
		if (dims[i] < 0)
			return dims[i];
	s->meta->dims[dims[0]].unlimited = 1;
	v = sgdal_var(s, NULL, d, nct, nd, dims);
	if (!v)
		return -ENOMEM;
	p->vars[0].stack = 1;
	p->vars[0].gtype = g->t;
	if (dated) {
		double *t = malloc(sizeof(double) * (size_t)p->nfiles);
		struct cat_var *tv;

		for (int i = 0; t && i < p->nfiles; i++)
			t[i] = (double)p->files[i].t;
		tv = coord(s, "time", dims[0], DTYPE_F64, NCT_DOUBLE, t);
		if (!tv || sgdal_text(&tv->attrs, &tv->nattrs, "standard_name",
				      "time") ||
		    sgdal_text(&tv->attrs, &tv->nattrs, "units",
			       "seconds since 1970-01-01 00:00:00") ||
		    sgdal_text(&tv->attrs, &tv->nattrs, "calendar",
			       "standard"))
			return -ENOMEM;
	}
	if (g->nb > 1) {
		int32_t *b = malloc(sizeof(int32_t) * (size_t)g->nb);

		for (int i = 0; b && i < g->nb; i++)
			b[i] = i + 1;
		if (!coord(s, "band", dims[1], DTYPE_I32, NCT_INT, b))
			return -ENOMEM;
	}
	north_up = g->has_gt && g->gt[2] == 0 && g->gt[4] == 0;
	if (north_up && (rc = xy_coords(s, g, dims[nd - 2], dims[nd - 1])))
		return rc;
	if (*g->wkt || g->has_gt) {
		gm = sgdal_grid_mapping(s, g->wkt, g->has_gt ? g->gt : NULL);
		if (!gm)
			return -ENOMEM;
	}
	/* the data variable is first: sgdal_var appended after it */
	v = &s->meta->vars[0];
	rc = data_attrs(s, v, g, gm);
	if (!rc && bands)
		rc = sgdal_text(&v->attrs, &v->nattrs, "bands", bands);
	return rc;
}

/*
 * Opens path and checks it: a raster, on the grid of the first file
 * (read into *first if unset, first_path its name), of one band if a
 * scene's. With f, f's date from the file if it has none yet.
 */
static int check_file(const char *path, struct grid *first,
		      const char *first_path, int scene, const char *pattern,
		      struct sgdal_file *f)
{
	GDALDatasetH ds = open_raster(path);
	struct grid g = { 0 };
	struct grid *mine = first->wkt ? &g : first;
	int rc;

	if (!ds) {
		log_error("'%s' is not a file cubefs reads (.npy, NetCDF, "
			  "Zarr, GRIB, GeoTIFF or JPEG 2000): %s", path,
			  sgdal_error());
		return -EINVAL;
	}
	rc = read_grid(path, ds, mine);
	if (!rc && scene && mine->nb != 1) {
		log_error("'%s' has %d bands: --bands takes files of one band",
			  path, mine->nb);
		rc = -ENOTSUP;
	}
	if (!rc && mine == &g)
		rc = same_grid(path, &g, first_path, first, scene);
	grid_release(&g);
	if (!rc && f && !f->has_t)
		f->has_t = !file_date(base_name(path), ds, pattern, &f->t);
	GDALClose(ds);
	return rc;
}

/* 1 if band is a token of name: bounded by its ends or by characters
 * other than letters and digits (B4 in x_B4.TIF, not in x_B45.TIF). */
static int has_token(const char *name, const char *band)
{
	size_t n = strlen(band);

	for (const char *c = name; *c; c++)
		if (!strncasecmp(c, band, n) &&
		    (c == name || !isalnum((unsigned char)c[-1])) &&
		    !isalnum((unsigned char)c[n]))
			return 1;
	return 0;
}

/* 1 if a is a side file GDAL keeps beside b (b.aux.xml, b.ovr). */
static int side_of(const char *a, const char *b)
{
	size_t n = strlen(b);

	return !strncmp(a, b, n) && a[n] == '.';
}

/* path below the scene folder dir, for messages. */
static const char *below(const char *dir, const char *path)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	return !strncmp(path, dir, n) && path[n] == '/' ? path + n + 1 : path;
}

/* Notes the file of band k at path, or refuses a second one. */
static int scene_band(const char *dir, const char *path, const char *band,
		      char **file)
{
	const char *name = base_name(path);

	if (!*file || side_of(base_name(*file), name)) {
		free(*file);
		*file = strdup(path);
		return *file ? 0 : -ENOMEM;
	}
	if (side_of(name, base_name(*file)))
		return 0;
	log_error("'%s': band '%s' matches both '%s' and '%s' (give a longer "
		  "word of the name, such as %s_10m)", dir, band,
		  below(dir, *file), below(dir, path), band);
	return -EINVAL;
}

/* Folders below a scene folder searched for band files (a Sentinel-2
 * SAFE keeps them at GRANULE/x/IMG_DATA/R10m). */
#define SCENE_DEPTH 6

/*
 * Adds the band files in folder sub of scene folder dir and, to depth,
 * in its subfolders (not those reached through a symbolic link, nor
 * hidden ones): the regular files whose names have a band as a token,
 * GDAL's side files aside. Errors logged naming dir.
 */
static int scene_walk(const char *dir, const char *sub, char *const *names,
		      int n, char **files, int depth)
{
	const char *sep = sub[strlen(sub) - 1] == '/' ? "" : "/";
	DIR *d = opendir(sub);
	struct dirent *e;
	int rc = 0;

	if (!d) {
		rc = -errno;
		log_error(rc == -ENOTDIR ? "--bands takes folders of band "
			  "files: '%s' is not a folder: %s" : "cannot read "
			  "folder '%s': %s", sub, strerror(-rc));
		return rc;
	}
	while (!rc && (e = readdir(d))) {
		char path[4096];
		struct stat st;

		if (e->d_name[0] == '.' ||
		    snprintf(path, sizeof(path), "%s%s%s", sub, sep,
			     e->d_name) >= (int)sizeof(path) ||
		    lstat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode) && depth > 0)
			rc = scene_walk(dir, path, names, n, files, depth - 1);
		if (S_ISLNK(st.st_mode) && stat(path, &st))
			continue;
		for (int k = 0; !rc && S_ISREG(st.st_mode) && k < n; k++)
			if (has_token(e->d_name, names[k]))
				rc = scene_band(dir, path, names[k], &files[k]);
	}
	closedir(d);
	return rc;
}

/*
 * The file of each of the n bands in scene folder dir or the folders
 * below it (into files, NULL ended): the one regular file whose name has
 * the band as a token, GDAL's side files aside. Errors logged naming dir.
 */
static int scene_files(const char *dir, char *const *names, int n,
		       char **files)
{
	int rc = scene_walk(dir, dir, names, n, files, SCENE_DEPTH);

	for (int k = 0; !rc && k < n; k++)
		if (!files[k]) {
			log_error("'%s' has no file of band '%s' (a name with "
				  "'%s' in it)", dir, names[k], names[k]);
			rc = -EINVAL;
		}
	return rc;
}

/* The names of --bands split at commas into names (pointers into buf,
 * which the caller frees): their count, or negative errno, logged. */
static int band_names(const char *bands, char **buf, char ***names)
{
	int n = 1, rc = 0;
	char *c;

	*names = NULL;
	*buf = strdup(bands);
	for (c = *buf; c && *c; c++)
		n += *c == ',';
	if (*buf)
		*names = calloc((size_t)n + 1, sizeof(char *));
	if (!*names)
		return -ENOMEM;
	c = *buf;
	for (int i = 0; i < n && !rc; i++) {
		(*names)[i] = c;
		c += strcspn(c, ",");
		if (*c)
			*c++ = 0;
		if (!*(*names)[i])
			rc = -EINVAL;
		for (int j = 0; j < i && !rc; j++)
			if (!strcasecmp((*names)[j], (*names)[i]))
				rc = -EINVAL;
		if (rc)
			log_error("--bands '%s': %s", bands, *(*names)[i] ?
				  "a band named twice" : "an empty band name");
	}
	return rc ? rc : n;
}

/* Scene folder dir as stack entry f: its band files found and checked,
 * its date from its name, else from its first band file. */
static int check_scene(const char *dir, char *const *names, int nn,
		       struct grid *first, const char *pattern,
		       struct sgdal_file *f, const char **first_path)
{
	char *name = strdup(dir);
	int rc;

	f->bands = calloc((size_t)nn + 1, sizeof(char *));
	if (!name || !f->bands) {
		free(name);
		return -ENOMEM;
	}
	for (size_t l = strlen(name); l > 1 && name[l - 1] == '/'; l--)
		name[l - 1] = 0;
	f->has_t = !file_date(base_name(name), NULL, pattern, &f->t);
	free(name);
	rc = scene_files(dir, names, nn, f->bands);
	if (!rc && !*first_path)
		*first_path = f->bands[0];
	for (int k = 0; k < nn && !rc; k++)
		rc = check_file(f->bands[k], first, *first_path, 1, pattern,
				k ? NULL : f);
	return rc;
}

/* Checks every file (grid, date), orders them by date, describes them.
 * With bands, each path is a scene folder of a file per band. */
static int stack_build(const char *const *paths, int n, const char *pattern,
		       const char *bands, int need_dates,
		       struct source **out)
{
	struct source *s = NULL;
	struct sgdal_source *p;
	struct grid first = { 0 };
	const char *first_path = bands ? NULL : paths[0];
	char *buf = NULL, **names = NULL;
	int rc = 0, dated = 1, nn = 0;

	*out = NULL;
	sgdal_init();
	if (bands && (nn = rc = band_names(bands, &buf, &names)) < 0)
		goto out;
	rc = sgdal_source_new(paths[0], 7, &s);
	if (rc)
		goto out;
	p = s->priv;
	p->files = calloc((size_t)n + 1, sizeof(*p->files));
	if (!p->files) {
		rc = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < n && !rc; i++) {
		struct sgdal_file *f = &p->files[p->nfiles];

		if (!(f->path = strdup(paths[i]))) {
			rc = -ENOMEM;
			break;
		}
		p->nfiles++;
		rc = bands ? check_scene(paths[i], names, nn, &first, pattern,
					 f, &first_path) :
			check_file(paths[i], &first, first_path, 0, pattern, f);
		if (!rc && !f->has_t && (need_dates || pattern)) {
			log_error("'%s': no date in its name%s or TIFF tags%s",
				  paths[i], pattern ? " by --date-pattern" : "",
				  pattern ? "" : " (give --date-pattern)");
			rc = -EINVAL;
		}
		dated &= f->has_t;
	}
	if (rc)
		goto out;
	qsort(p->files, (size_t)n, sizeof(*p->files), by_time);
	for (int i = 1; dated && i < n; i++)
		if (p->files[i].t == p->files[i - 1].t) {
			log_error("'%s' and '%s' have the same date",
				  p->files[i - 1].path, p->files[i].path);
			rc = -EINVAL;
			goto out;
		}
	if (bands)
		first.nb = nn;
	p->width = first.w;
	p->height = first.h;
	p->nbands = first.nb;
	p->gtype = first.t;
	rc = describe(s, &first, dated, bands);
	if (!rc) {
		*out = s;
		s = NULL;
	}
out:
	grid_release(&first);
	source_free(s);
	free(names);
	free(buf);
	return rc;
}

int sgdal_raster_open(const char *path, struct source **out)
{
	return stack_build(&path, 1, NULL, NULL, 0, out);
}

int source_gdal_stack_open(const char *const *paths, int n,
			   const char *date_pattern, const char *bands,
			   struct source **out)
{
	if (n < 1)
		return -EINVAL;
	return stack_build(paths, n, date_pattern, bands, n > 1, out);
}

int source_gdal_stack_entry(const struct source *s, int i, const char **path,
			    double *t)
{
	const struct sgdal_source *p = s->priv;

	if (strcmp(s->ops->kind, "gdal") || i < 0 || i >= p->nfiles)
		return -ENOENT;
	*path = p->files[i].path;
	*t = (double)p->files[i].t;
	return p->files[i].has_t;
}
