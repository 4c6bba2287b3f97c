/* SPDX-License-Identifier: MIT */
/* What the GDAL readers share: the source's private state and helpers to describe variables. */
#ifndef CUBEFS_INGEST_SOURCE_GDAL_INT_H
#define CUBEFS_INGEST_SOURCE_GDAL_INT_H

#include <stdint.h>
#include <gdal.h>

#include "ingest/source.h"

/* How one variable of a GDAL source is read. */
struct sgdal_var {
	GDALMDArrayH arr;       /* multidimensional array, or NULL */
	GDALDataType gtype;     /* of the values stored */
	GDALMDArrayH *levels;   /* GRIB: one array per level (plane), each
				   over (time, y, x); or NULL */
	int nlevels;
	void *mem;              /* whole contents (native order), or NULL */
	int stack;              /* 1: the frames of a raster file stack */
	int packed;             /* served as raw * scale + offset */
	double scale, offset;
	int has_nodata;         /* raw values equal to nodata served as fill */
	double nodata;
};

/* One file (or scene folder) of a raster stack, in frame order. */
struct sgdal_file {
	char *path;
	char **bands;           /* a scene folder: its file of each plane, in
				   the order of --bands, NULL-terminated;
				   NULL: path is the file read */
	int64_t t;              /* seconds since 1970-01-01, UTC */
	int has_t;
};

struct sgdal_source {
	char *path;
	GDALDatasetH ds;        /* the multidimensional dataset, or NULL */
	GDALGroupH root;
	int cap;                /* vars allocated in meta and here */
	struct sgdal_var *vars; /* parallel to meta->vars */
	int nfiles;             /* raster stack */
	struct sgdal_file *files;
	int nbands, width, height;
	GDALDataType gtype;
};

/* The GDAL drivers sources open (multidimensional, raster). */
extern const char *const sgdal_md_drivers[];
extern const char *const sgdal_raster_drivers[];

/* GDALAllRegister once; GDAL's own messages are kept for ours. */
void sgdal_init(void);

/* GDAL's last error message, or a stand-in if it has none. */
const char *sgdal_error(void);

/* The dtype and NetCDF type a GDAL numeric type is served as: 0, or
 * -ENOTSUP (complex and unknown types). */
int sgdal_dtype(GDALDataType t, enum dtype *d, int *nct);

/* A new source of the GDAL ops with room for cap variables. */
int sgdal_source_new(const char *path, int cap, struct source **out);

/* Appends an attribute (data copied: len elements of NetCDF type). */
int sgdal_attr(struct cat_attr **attrs, int *n, const char *name, int type,
	       size_t len, const void *data);

/* Appends a text attribute. */
int sgdal_text(struct cat_attr **attrs, int *n, const char *name,
	       const char *text);

/* Index of the dimension name of length len, added if absent; a name
 * taken by another length gets a suffix. Negative errno on failure. */
int sgdal_dim(struct cat_dataset *ds, const char *name, uint64_t len);

/* Appends a variable over the dims (indices); NULL if out of memory or
 * of the room sgdal_source_new() gave. */
struct cat_var *sgdal_var(struct source *s, const char *name, enum dtype d,
			  int nct, int ndim, const int *dims);

/* Adds the grid_mapping variable "spatial_ref" (crs_wkt, spatial_ref,
 * GeoTransform; gt may be NULL) and returns its name, or NULL. */
const char *sgdal_grid_mapping(struct source *s, const char *wkt,
			       const double *gt);

/*
 * Describes the open array a as variable v (attributes, units, CF
 * packing undone, nodata as the fill, a CRS as grid_mapping: its WKT
 * into *wkt if unset). pv takes a. Negative errno on failure.
 */
int sgdal_md_describe(struct source *s, GDALMDArrayH a, struct cat_var *v,
		      struct sgdal_var *pv, char **wkt);

/* Describes the array name of the root group, or notes it skipped if of
 * a type cubefs does not take. */
int sgdal_md_var(struct source *s, const char *name, char **wkt);

/* GRIB: the arrays names (a NULL-terminated list) of one parameter and
 * level type on different levels become one variable of levels as
 * planes; the others are described one by one. */
int sgdal_grib_vars(struct source *s, char **names, char **wkt);

/* Walks the messages of the GRIB file at path (if it is one) and refuses
 * one of a grid cubefs cannot take as a regular one: spectral, Gaussian,
 * reduced, unstructured. 0, or -ENOTSUP logged naming the message. */
int sgdal_grib_check(const char *path);

/* Opens a raster file (GeoTIFF and any GDAL raster) as a stack of one. */
int sgdal_raster_open(const char *path, struct source **out);

/* Reads frames [first, first + n) of a raster stack into dst. */
int sgdal_stack_read(struct source *s, uint64_t first, uint64_t n,
		     void *dst);

#endif
