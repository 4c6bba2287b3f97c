/* SPDX-License-Identifier: MIT */
/* The filesystem's core: inodes of datasets and views, lookup, readdir, read; no FUSE here. */
#ifndef CUBEFS_FS_FS_H
#define CUBEFS_FS_FS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "catalog/catalog.h"
#include "fs/cache.h"
#include "fs/inode.h"

#define FS_ROOT_INO INODE_ROOT

struct fs;

/*
 * Tells the adapter that the kernel's cache of inode ino (if non-zero)
 * or of the entry name in parent (if name) is stale. Called from the
 * thread that changed them, holding no lock of the core.
 */
typedef void (*fs_notify_fn)(void *arg, uint64_t ino, uint64_t parent,
			     const char *name);

struct fs_opts {
	size_t cache_size;      /* bytes of decoded GOPs to keep */
	int readonly;           /* refuse every write */
	int codec, bits, crf;   /* profile of files created in the mount
				   (0, 0, -1: the import defaults) */
	const char *rgb;        /* quick-look bands "B4,B3,B2" or "3,2,1",
				   NULL: colour maps (see quicklook_new) */
	fs_notify_fn notify;
	void *notify_arg;
	int refresh;            /* seconds between checks for other writers'
				   changes (fs/refresh.h), 0: never */
	int compact_after;      /* patch GOPs of a variable past which a
				   commit compacts it; 0: the default
				   (IMPORT_COMPACT_AFTER), < 0: never */
	uint64_t plain_max;     /* bytes plain files may hold in all, 0: no
				   limit but the disk's */
	int no_zarr;            /* hide the <dataset>.zarr/ trees */
};

/* How often a mount looks for other writers' changes unless told. */
#define FS_REFRESH_DEFAULT 5

struct fs_attr {
	uint64_t ino;
	int is_dir;
	int readonly;           /* no writes, ever (quick-looks) */
	uint64_t size;
	int64_t mtime;          /* ns since the epoch */
	unsigned nlink;
	int mode;               /* permission bits set (chmod), -1: default */
	int64_t uid, gid;       /* owner set (chown), -1: the mounting user */
	int64_t atime;          /* ns, CAT_TIME_UNSET: mtime */
	double timeout;         /* seconds the kernel may keep these attributes
				   and the entry's name: long for stored
				   nodes (a change notifies the kernel), 0
				   for files being created */
};

/*
 * Opens the store at dir read-only and builds the tree: the root holds
 * "<dataset>.npy" for each one-variable dataset and a directory
 * "<dataset>" of "<variable>.npy" views for the others, "<dataset>.nc",
 * and a read-only quick-look "<dataset>.png" of every dataset that has
 * a variable of 2 or more dims (rendered at its first lookup, see
 * fs/quicklook.h), and unless o->no_zarr a read-only Zarr v2 directory
 * "<dataset>.zarr" (fs/zarr_tree.h). Inode numbers come from catalog ids, so they are the
 * same at every mount. Returns 0 or a negative errno with the reason
 * logged (not a store, another schema version, corrupt rows, -EINVAL
 * for a bad rgb).
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

/*
 * Reads from file ino (see reader_read_view) through handle fh (from
 * fs_open()), staged writes included. A handle opened for reading reads
 * the version of the file it opened, whatever other writers commit
 * meanwhile (fs/pin.h); writes made through this mount show at once.
 */
ssize_t fs_read(struct fs *fs, uint64_t ino, uint64_t fh, void *buf,
		size_t len, off_t off);

/*
 * Starts the read-ahead threads and the reader lease's renewal, and opens
 * the catalog's read-write connection again, in the process that serves
 * the mount (after the daemon has forked: threads and SQLite connections
 * do not survive fork). Without it reads work, only without read-ahead,
 * and gc cannot see this reader.
 */
int fs_start(struct fs *fs);

/* 1 if the mount takes writes. */
int fs_writable(const struct fs *fs);

/*
 * Writes. Files are written in staging/ and committed when the last
 * handle is released (and, for edits of existing files, on fsync): only
 * the GOPs the writes touched are re-encoded. A new "<name>.npy" or
 * "<name>.nc" in the root is imported as dataset <name> once it is a
 * valid file (until then it is kept, pending, see fs/plain.c); a file of
 * any other name is a plain file, kept in staging/ until it is renamed
 * onto such a name or deleted. All return 0 (or bytes) or a negative
 * errno: -EROFS on a read-only mount, -EINVAL for names that cannot be
 * files, -EEXIST, -ENOSPC, ...
 */
int fs_create(struct fs *fs, uint64_t parent, const char *name, int mode,
	      struct fs_attr *a);
/* fs_open() sets *fh to a word the adapter keeps for the handle and
 * passes to fs_read() and fs_release(); fs_create()'s handle is
 * FS_FH_COUNTED. */
#define FS_FH_COUNTED 1
int fs_open(struct fs *fs, uint64_t ino, int flags, uint64_t *fh);
ssize_t fs_write(struct fs *fs, uint64_t ino, const void *buf, size_t len,
		 off_t off);
int fs_truncate(struct fs *fs, uint64_t ino, uint64_t size);
/*
 * Truncates ino to *size (unless size is NULL), sets what m sets (unless
 * m is NULL: mode, owner, times; kept in the catalog for datasets' files
 * and directories, with a plain file's row for those, in memory for the
 * root) and returns its attributes, to be kept no longer than a second.
 * -EPERM for a quick-look, -EROFS on a read-only mount.
 */
int fs_setattr(struct fs *fs, uint64_t ino, const uint64_t *size,
	       const struct cat_meta *m, struct fs_attr *a);
int fs_flush(struct fs *fs, uint64_t ino);
int fs_fsync(struct fs *fs, uint64_t ino);
int fs_release(struct fs *fs, uint64_t ino, uint64_t fh);
int fs_unlink(struct fs *fs, uint64_t parent, const char *name);
int fs_rename(struct fs *fs, uint64_t parent, const char *name,
	      uint64_t newparent, const char *newname, unsigned flags);

/* Commits every journal no handle holds open (before unmount). */
void fs_commit_all(struct fs *fs);

/*
 * The first frame of each GOP of view ino, or of .zarr array directory
 * ino, as text ("0 16 32", see
 * catalog_view_gops_text), from the rows the mount holds: nothing is
 * decoded. Returns its length and *text (malloc'd, the caller's), or
 * -ENODATA (a directory, a quick-look, a file being created, a view
 * without a frame axis), -ENOENT, -ENOMEM. Thread-safe.
 */
int fs_gops_text(struct fs *fs, uint64_t ino, char **text);

/* The cache counters, and a text rendering of them ("hits 12\n..."). */
void fs_stats(struct fs *fs, struct cache_stats *s);
int fs_stats_text(struct fs *fs, char *buf, size_t cap);

#endif
