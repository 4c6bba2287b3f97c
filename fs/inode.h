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
};

uint64_t inode_dataset_dir(int64_t ds_id);
uint64_t inode_view(int64_t view_id, int64_t version);
uint64_t inode_png(int64_t ds_id);
uint64_t inode_new(uint64_t k);

/* The kind of ino, and in *id (unless NULL) the id it was made from. */
enum inode_kind inode_kind(uint64_t ino, int64_t *id);

/* 1 if a and b are the same number, or the same view at any versions. */
int inode_same_file(uint64_t a, uint64_t b);

#endif
