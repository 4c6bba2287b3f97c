/* SPDX-License-Identifier: MIT */
/* The Zarr v2 view of a dataset: its metadata documents and how its chunks map onto variables' elements. */
#ifndef CUBEFS_INGEST_ZARR_H
#define CUBEFS_INGEST_ZARR_H

#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"

/* The longest chunk name: a 20-digit index and ".0" per other axis. */
#define ZARR_NAME_MAX 256

/*
 * One array of the group: a variable. Its chunks are one frame each
 * (index i of the first axis, every plane, the whole picture: elements
 * [i * chunk_elems, (i + 1) * chunk_elems) of the variable in C order)
 * for variables of 3 or more dims, else one chunk holding it all. Every
 * chunk exists (none is left to Zarr's fill value), little-endian, in
 * the variable's own type (the .npy view's), uncompressed.
 */
struct zarr_array {
	int var;                /* index into the dataset's vars */
	uint64_t nchunks;       /* 0 when the variable holds no values */
	uint64_t chunk_elems;
	uint64_t chunk_bytes;
	char *zarray;           /* ".zarray", JSON, NUL-terminated */
	char *zattrs;           /* ".zattrs" */
};

/* The documents of a dataset's group, owned by the struct. */
struct zarr_meta {
	char *zgroup;
	char *zattrs;           /* the global attributes */
	char *zmetadata;        /* consolidated: every document above */
	int narrays;
	struct zarr_array *arrays;
};

/*
 * Describes ds as a Zarr v2 group into m: ".zgroup", ".zattrs" (global
 * attributes), one array per variable whose name can be a directory
 * (not empty, no '/', not starting with '.') with ".zarray" (shape,
 * dtype, chunks, compressor and filters null, fill value from the
 * _FillValue attribute or null, order C) and ".zattrs"
 * (_ARRAY_DIMENSIONS, named as the .nc view names them, then every
 * attribute), and ".zmetadata" holding them all. Documents depend only
 * on the rows, so their sizes are stable. Returns 0 or -ENOMEM (m is
 * left empty). Thread-safe (ds is only read).
 */
int zarr_meta_build(const struct cat_dataset *ds, struct zarr_meta *m);

/* Frees what m holds and empties it. */
void zarr_meta_release(struct zarr_meta *m);

/* The chunk layout of variable v (see struct zarr_array). */
void zarr_chunks(const struct cat_var *v, uint64_t *nchunks,
		 uint64_t *chunk_elems);

/*
 * The file name of chunk i of v ("12.0.0" for a cube of 3 dims, "0"
 * for one of 1 dim or none) into buf of cap bytes. Returns its length,
 * or -ERANGE if it does not fit.
 */
int zarr_chunk_name(const struct cat_var *v, uint64_t i, char *buf,
		    size_t cap);

/*
 * The chunk index that file name `name` of v's array stands for, in *i:
 * 0, or -ENOENT if it names no chunk (other spellings, such as leading
 * zeros, included: each chunk has one name).
 */
int zarr_chunk_parse(const struct cat_var *v, const char *name,
		     uint64_t *i);

#endif
