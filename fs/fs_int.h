/* SPDX-License-Identifier: MIT */
/* What the core's tree (fs.c) and write path (fs_write.c) share (internal to fs/). */
#ifndef CUBEFS_FS_FS_INT_H
#define CUBEFS_FS_FS_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "base/ticker.h"
#include "catalog/catalog.h"
#include "fs/fs.h"
#include "fs/inode.h"
#include "fs/prefetch.h"
#include "fs/quicklook.h"
#include "fs/reader.h"
#include "fs/runs.h"
#include "fs/stage.h"
#include "ingest/import.h"
#include "store/lease.h"

struct node {
	uint64_t ino;
	uint64_t parent;
	const char *name;               /* owned by the dataset, or own */
	char *own;                      /* a name made for the node */
	int is_dir;
	int png;                        /* the dataset's quick-look */
	struct cat_dataset *ds;
	const struct cat_view *view;    /* views only */
	unsigned nsubdirs;
	int zarr;                       /* in a .zarr tree (fs/zarr_tree.h) */
	int var;                        /* zarr arrays and their files: the
					   variable's index in ds */
	char *text;                     /* zarr metadata: the document, owned */
	size_t tlen;
};

/*
 * A file open for writing: a staged new file, or edits of a view. Its
 * list link, st, mtime and the journal's contents change only under
 * wlock and olock (written); readers see them under olock (read).
 * opens and view_id belong to wlock alone.
 */
struct ofile {
	uint64_t ino;
	uint64_t parent;
	char name[256];
	int opens;
	int is_new;
	int64_t view_id;
	struct stage *st;
	int64_t mtime;
	struct ofile *next;
};

struct fs {
	char *dir;
	struct catalog *wc;             /* read-write catalog; NULL: read-only */
	struct import_opts iopts;       /* profile of files created in the mount */
	pthread_rwlock_t lock;          /* the tree and the reader's rows:
					   reads vs. swaps (fs_reload) */
	pthread_rwlock_t olock;         /* the open-file list and journals:
					   reads vs. writes to them */
	pthread_mutex_t wlock;          /* writers among themselves: wc,
					   commits, names; never taken by
					   lookups, getattr, readdir, reads.
					   Order: wlock, olock, lock */
	struct reader *r;
	struct quicklook *ql;
	struct node *nodes;             /* sorted by ino */
	size_t n;
	int64_t root_mtime;
	struct ofile *open;             /* under wlock */
	uint64_t nnew;                  /* files created so far (inode_new()) */
	fs_notify_fn notify;
	void *notify_arg;
	struct runs *runs;              /* sequential runs of each inode */
	struct prefetch pf;
	struct store_lease *lease;      /* this mount's reader lease, or NULL */
	_Atomic uint64_t gen;           /* catalog generation of the tree */
	int refresh_s;                  /* seconds between checks, 0: none */
	int zarr;                       /* show <dataset>.zarr/ trees */
	struct ticker refresh;          /* fs/refresh.c's thread */
};

/* The node of ino, or NULL (caller holds lock). */
const struct node *fs_find(const struct fs *fs, uint64_t ino);

/* The entry name of directory parent, or NULL (caller holds lock). */
const struct node *fs_child(const struct fs *fs, uint64_t parent,
			    const char *name);

/* The open-for-write file of ino, or NULL (caller holds wlock or olock). */
struct ofile *fs_ofile(struct fs *fs, uint64_t ino);

/*
 * Reloads the datasets and rebuilds the tree (caller holds wlock, not
 * olock nor lock). The rows are loaded and the tree built with no lock
 * readers need; only the swap excludes them, and at that same instant
 * *committed (if not NULL: the journal a commit has just applied) is set
 * to NULL, so that a read sees the journal over the old rows or the new
 * rows, never one over the other. The caller frees the stage it held.
 * On failure nothing is swapped and *committed is left.
 */
int fs_reload(struct fs *fs, struct stage **committed);

/* fs_reload() from catalog c (a read-only mount's own, for refresh). */
int fs_reload_from(struct fs *fs, struct catalog *c,
		   struct stage **committed);

/* Tells the adapter that the kernel's cache of inode ino (if non-zero)
 * or of the entry name in parent (if name) is stale (fs_opts.notify). */
void fs_notify(struct fs *fs, uint64_t ino, uint64_t parent,
	       const char *name);

/* fs_notify() for every root name dataset `name` has or may have had:
 * name.npy, name.nc, name.png, name.zarr and the directory name. */
void fs_notify_names(struct fs *fs, const char *name);

/* Replays or reports journals left in staging/ (at mount). */
void fs_recover(struct fs *fs);

#endif
