/* SPDX-License-Identifier: MIT */
/* The tree a mount shows, built from the datasets' rows (internal to fs/). */
#ifndef CUBEFS_FS_TREE_H
#define CUBEFS_FS_TREE_H

#include "fs/fs_int.h"

/* A tree: the nodes sorted by ino, and the root's mtime. */
struct tree {
	struct node *nodes;
	size_t n;
	int64_t root_mtime;
};

/*
 * Builds the tree of datasets ds[0..nds) into t (no lock: t is new), with
 * the metadata rows of catalog c (chmod, chown, utimens) and, if zarr,
 * the datasets' .zarr trees. The nodes point into ds, which must outlive
 * the tree. 0, -ENOMEM or the catalog's error; free with tree_free().
 */
int tree_build(struct tree *t, struct catalog *c,
	       struct cat_dataset *const *ds, int nds, int zarr);

/* Frees the nodes of t and their own names. */
void tree_free(struct tree *t);

/* Installs t as fs's tree and hands the one it replaces back in t
 * (caller holds fs->lock for writing, or no reader can run yet). */
void tree_swap(struct fs *fs, struct tree *t);

#endif
