/* SPDX-License-Identifier: MIT */
/* The filesystem's core: inodes of datasets and views, lookup, readdir, read; no FUSE here. */
#ifndef CUBEFS_FS_FS_H
#define CUBEFS_FS_FS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fs/cache.h"

#define FS_ROOT_INO 1

struct fs;

struct fs_opts {
	size_t cache_size;      /* bytes of decoded GOPs to keep */
};

struct fs_attr {
	uint64_t ino;
	int is_dir;
	uint64_t size;
	int64_t mtime;          /* ns since the epoch */
	unsigned nlink;
};

/*
 * Opens the store at dir read-only and builds the tree: the root holds
 * "<dataset>.npy" for each one-variable dataset and a directory
 * "<dataset>" of "<variable>.npy" views for the others. Inode numbers
 * come from catalog ids, so they are the same at every mount. Returns 0
 * or a negative errno with the reason logged (not a store, another
 * schema version, corrupt rows).
 */
int fs_new(const char *dir, const struct fs_opts *o, struct fs **out);

/* Frees everything; NULL does nothing. */
void fs_free(struct fs *fs);

/* Thread-safe lookups on the fixed tree: 0 or -ENOENT/-ENOTDIR. */
int fs_lookup(struct fs *fs, uint64_t parent, const char *name,
	      struct fs_attr *a);
int fs_getattr(struct fs *fs, uint64_t ino, struct fs_attr *a);

/*
 * Calls fn for each entry of directory ino from position off ("." and
 * ".." first); fn returns non-zero when its buffer is full, and the
 * entry is then not counted. Returns 0 or -ENOTDIR/-ENOENT.
 */
int fs_readdir(struct fs *fs, uint64_t ino, off_t off,
	       int (*fn)(void *arg, const char *name, const struct fs_attr *a,
			 off_t next), void *arg);

/* Reads from file ino (see reader_read_view); thread-safe. */
ssize_t fs_read(struct fs *fs, uint64_t ino, void *buf, size_t len,
		off_t off);

/* The cache counters, and a text rendering of them ("hits 12\n..."). */
void fs_stats(struct fs *fs, struct cache_stats *s);
int fs_stats_text(struct fs *fs, char *buf, size_t cap);

#endif
