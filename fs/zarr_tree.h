/* SPDX-License-Identifier: MIT */
/* The <dataset>.zarr/ trees of a mount: their nodes, chunk files computed on demand, and reads. */
#ifndef CUBEFS_FS_ZARR_TREE_H
#define CUBEFS_FS_ZARR_TREE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fs/fs.h"
#include "fs/reader.h"

struct node;

/* Nodes a dataset's .zarr tree adds to the tree at most. */
#define ZARR_TREE_NODES(ds) (4 + 3 * (size_t)(ds)->nvars)

/*
 * Appends the nodes of ds's Zarr view to v (from index *n, room for
 * ZARR_TREE_NODES more; v[0] is the root): "<dataset>.zarr/" with
 * .zgroup, .zattrs and .zmetadata, and per variable a directory with
 * .zarray and .zattrs (ingest/zarr.h makes the documents, owned by the
 * nodes: free node.text and node.own). Chunk files get no node: they are
 * computed from the array's node (zarr_tree_chunk()), so that a cube of
 * 100 000 frames costs no more than one of 10. A dataset or variable
 * whose id the numbers cannot hold (inode.h) is left out. Returns 0 or
 * -ENOMEM (nodes added so far stay, for the caller to free).
 */
int zarr_tree_add(struct node *v, size_t *n, struct cat_dataset *ds);

/*
 * The array directory holding chunk inode ino, found in fs's tree, and
 * the chunk's index in *c; NULL if ino is no chunk of it. The caller
 * holds the tree lock, as for every function below.
 */
const struct node *zarr_tree_chunk(const struct fs *fs, uint64_t ino,
				   uint64_t *c);

/* Turns *a, the attributes of array directory dir, into those of its
 * chunk c (read-only, exact size). */
void zarr_tree_chunk_attr(const struct node *dir, uint64_t c,
			  struct fs_attr *a);

/* The chunk of array directory dir called name, in *c: 0 or -ENOENT. */
int zarr_tree_lookup(const struct node *dir, const char *name, uint64_t *c);

/*
 * Lists the chunks of array directory dir (dir_attr: its attributes) as
 * fs_readdir() does, the first one at position pos, from position off.
 * Returns 1 if fn's buffer filled, else 0. Names are made, not stored.
 */
int zarr_tree_readdir(const struct node *dir, const struct fs_attr *dir_attr,
		      off_t off, off_t pos,
		      int (*fn)(void *arg, const char *name,
				const struct fs_attr *a, off_t next),
		      void *arg);

/*
 * Reads a .zarr file: n a metadata node, or (n NULL) chunk inode ino of
 * fs's tree, whose bytes are its frame's elements through the reader's
 * cache (the GOP it lies in, decoded once, as any view's read). Chunks
 * read one after another are one sequential run of their array (its
 * directory's inode is the key): GOPs decoded whole, and read ahead
 * (zarr_tree_prefetch()). Returns the bytes read (short at the end), or
 * a negative errno: -ENOENT for no such file, -EIO for a damaged GOP.
 */
ssize_t zarr_tree_read(struct fs *fs, const struct node *n, uint64_t ino,
		       void *buf, size_t len, uint64_t off);

/*
 * The user.cubefs.gops text of array directory dir (its chunks are time
 * steps, so a GOP's first frame is its first chunk's number), as
 * catalog_view_gops_text(): its length, or -ENODATA for any other node
 * and an array without a frame axis, or -ENOMEM. *text is the caller's.
 */
int zarr_tree_gops_text(const struct node *dir, char **text);

/*
 * Read-ahead's request for key dir (an array directory; other nodes are
 * ignored): decodes the GOPs after byte off of its chunks laid end to
 * end, up to ahead bytes (reader_prefetch()).
 */
void zarr_tree_prefetch(struct reader *r, const struct node *dir,
			uint64_t off, uint64_t ahead);

/*
 * -EROFS if a change to inode ino, or to the entry name of directory
 * parent (either may be 0 / NULL), would touch a .zarr tree; else 0.
 * Pure: thread-safe, takes no lock.
 */
int zarr_tree_refuse(uint64_t ino, uint64_t parent, const char *name);

#endif
