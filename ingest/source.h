/* SPDX-License-Identifier: MIT */
/* Sources an import reads from (.npy, NetCDF, and what GDAL reads), behind one ops table. */
#ifndef CUBEFS_INGEST_SOURCE_H
#define CUBEFS_INGEST_SOURCE_H

#include <stdint.h>

#include "catalog/catalog.h"

struct source;

struct source_ops {
	const char *kind;       /* "npy", "netcdf", "gdal" */
	/*
	 * Reads frames [first, first + n) of variable var (along its first
	 * axis; a variable of fewer than 2 dims has one frame, the whole of
	 * it) into dst as native-order elements of the variable's dtype, C
	 * order. Returns 0 or a negative errno (logged).
	 */
	int (*read_frames)(struct source *s, int var, uint64_t first,
			   uint64_t n, void *dst);
	void (*close)(struct source *s);
};

struct source {
	const struct source_ops *ops;
	/* The dataset's description: name (NULL until chosen), dims, attrs,
	 * vars (name, dtype, ndim, shape, dimids, attrs, fill). */
	struct cat_dataset *meta;
	void *priv;
};

/*
 * Opens path as a source, choosing the reader by its first bytes (.npy
 * magic, NetCDF classic "CDF", HDF5 signature), else GDAL (a directory
 * such as a Zarr store, GRIB, GeoTIFF). Errors are logged with
 * the path: -ENOENT, -EINVAL (malformed), -ENOTSUP (unsupported type or
 * layout such as fortran_order). Free with source_free().
 */
int source_open(const char *path, struct source **out);

/* 1 if path is a file that is neither .npy, NetCDF nor GRIB (a GeoTIFF:
 * GDAL's raster to read), 0 otherwise or if it cannot be read (logged). */
int source_is_raster(const char *path);

/* Closes the source and frees its description; NULL does nothing. */
void source_free(struct source *s);

/* 0 if frames [first, first + n) of variable var exist (a variable of
 * fewer than 2 dims has the one frame 0), else -EINVAL, logged. */
int source_check_frames(const struct source *s, const char *path, int var,
			uint64_t first, uint64_t n);

/* Records a source variable that is not stored (listed by cubefs info). */
int source_note_skipped(struct cat_dataset *ds, const char *name);

/* Readers, for source_open(). */
int source_npy_open(const char *path, struct source **out);
int source_netcdf_open(const char *path, struct source **out);

/*
 * Opens what GDAL reads (ingest/source_gdal*.c): a Zarr store or GRIB
 * file through GDAL's multidimensional API, else a raster (GeoTIFF) as
 * one frame with its georeferencing. Errors logged: -EINVAL, -ENOTSUP.
 */
int source_gdal_open(const char *path, struct source **out);

/*
 * Opens n raster files of one grid (size, geotransform, CRS, nodata) as
 * the frames of one variable, ordered by the date of each (date_pattern,
 * a strptime format found in the file name; else the Landsat or
 * Sentinel-2 name, else the TIFF date tag), kept in a time coordinate.
 * A file off the grid or (n > 1) without a date fails naming it.
 * With bands ("B2,B3"), each path is a folder of one scene: its files
 * (or those of its subfolders, as in a Sentinel-2 SAFE) whose names have
 * a band as a token become the planes, in that order,
 * dated by the folder's name, else its first band file's.
 */
int source_gdal_stack_open(const char *const *paths, int n,
			   const char *date_pattern, const char *bands,
			   struct source **out);

/*
 * Entry i of a stack from source_gdal_stack_open(), in frame order: its
 * path (a file, or a scene folder with bands; valid while s is open)
 * and its date in seconds since 1970-01-01 UTC (*t). Returns 1 if it has
 * a date, 0 if not, -ENOENT past the end or for another source.
 */
int source_gdal_stack_entry(const struct source *s, int i, const char **path,
			    double *t);

#endif
