/* SPDX-License-Identifier: MIT */
/* Inode numbers: the one place that maps nodes to numbers and back. */
#ifndef CUBEFS_FS_INODE_H
#define CUBEFS_FS_INODE_H

#include <stdint.h>

/*
 * The numbering. Numbers of stored things come from catalog ids, so
 * they are the same at every mount (the kernel and NFS keep them):
 *
 *   1             the root
 *   2d + 2        the directory of dataset d
 *   2(2^20 v + n) + 3   view v (a .npy or .nc file) at content version
 *                 n of its dataset (modulo 2^20)
 *   2^61 + d      the quick-look PNG of dataset d
 *   2^62 + k      the k-th file created in this mount, until its import
 *                 makes it a view (numbers of this mount only)
 *   2^63 + 8i + p part p (enum inode_zarr_part) of a <dataset>.zarr
 *                 tree: i is a dataset's id (parts 0-3) or a
 *                 variable's (parts 4-6), below 2^59
 *   2^63 + 2^62 + 2^32 v + c   chunk file c (< 2^32) of the Zarr array
 *                 of variable v (< 2^30)
 *
 * Catalog ids are positive, below 2^60 (view ids below 2^40), so the
 * ranges never meet. A view gets a new number at each change of its
 * dataset, as a file replaced by rename(2) does: a handle opened before
 * keeps the version it opened (fs.c), the name leads to the new one.
 * Pure functions: thread-safe.
 */
#define INODE_ROOT 1

enum inode_kind {
	INODE_NONE,             /* no number this scheme hands out */
	INODE_ROOT_DIR,
	INODE_DATASET_DIR,      /* id: the dataset's */
	INODE_VIEW,             /* id: the view's */
	INODE_PNG,              /* id: the dataset's */
	INODE_NEW,              /* id: the creation's index in the mount */
	INODE_ZARR,             /* id: the dataset's or variable's */
	INODE_ZARR_CHUNK,       /* id: the variable's */
};

/* The nodes of a .zarr tree other than chunks. */
enum inode_zarr_part {
	ZARR_ROOT,              /* <dataset>.zarr/ */
	ZARR_ZGROUP,            /* its .zgroup */
	ZARR_ZATTRS,            /* its .zattrs: global attributes */
	ZARR_ZMETADATA,         /* its .zmetadata */
	ZARR_ARRAY,             /* <variable>/ */
	ZARR_ARRAY_ZARRAY,      /* its .zarray */
	ZARR_ARRAY_ZATTRS,      /* its .zattrs */
};

/* The largest ids the .zarr numbers hold (larger ones get no view). */
#define INODE_ZARR_ID_MAX ((1ll << 59) - 1)
#define INODE_ZARR_VAR_MAX ((1ll << 30) - 1)

uint64_t inode_dataset_dir(int64_t ds_id);
uint64_t inode_view(int64_t view_id, int64_t version);
uint64_t inode_png(int64_t ds_id);
uint64_t inode_new(uint64_t k);
uint64_t inode_zarr(int64_t id, enum inode_zarr_part p);
uint64_t inode_zarr_chunk(int64_t var_id, uint64_t c);

/* The part of an INODE_ZARR number, and the chunk of an
 * INODE_ZARR_CHUNK one. */
enum inode_zarr_part inode_zarr_part_of(uint64_t ino);
uint64_t inode_zarr_chunk_of(uint64_t ino);

/* The kind of ino, and in *id (unless NULL) the id it was made from. */
enum inode_kind inode_kind(uint64_t ino, int64_t *id);

/* 1 if a and b are the same number, or the same view at any versions. */
int inode_same_file(uint64_t a, uint64_t b);

#endif
