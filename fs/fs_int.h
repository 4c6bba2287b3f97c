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
#include "fs/pin.h"
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
	struct cat_meta meta;           /* chmod, chown, utimens (file_attr) */
	int64_t base_mtime;             /* the dataset's mtime when set */
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
	/* new files only: */
	char key[64];                   /* the journal's */
	struct cat_meta meta;           /* set by create, chmod, utimens... */
	int kept;                       /* closed, not imported: a plain or
					   pending file with a catalog row */
	int changed;                    /* written, renamed or its metadata
					   set since it was last settled */
	int replace;                    /* renamed onto a dataset's file */
	int gone;                       /* unlinked while open */
	char reason[160];               /* why it is pending, "" if not */
	struct ofile *next;
};

/* A new file's inode after its import: the view it became. */
struct alias {
	uint64_t from, to;
};

#define FS_ALIASES 32

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
	uint64_t plain_max;             /* fs_opts.plain_max */
	struct cat_meta root_meta;      /* set on the root: not kept */
	struct alias alias[FS_ALIASES]; /* the last imports, under wlock */
	unsigned nalias;
	fs_notify_fn notify;
	void *notify_arg;
	struct runs *runs;              /* sequential runs of each inode */
	struct prefetch pf;
	struct pins pins;               /* versions read-only handles hold */
	struct store_lease *lease;      /* this mount's reader lease, or NULL */
	_Atomic uint64_t gen;           /* catalog generation of the tree */
	int refresh_s;                  /* seconds between checks, 0: none */
	int zarr;                       /* show <dataset>.zarr/ trees */
	struct ticker refresh;          /* fs/refresh.c's thread */
};

/* The node numbered exactly ino, or NULL (caller holds lock). */
const struct node *fs_find_exact(const struct fs *fs, uint64_t ino);

/* The node of ino, or NULL (caller holds lock). A view's number from
 * before a change of its dataset finds the view as it is now. */
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

/* Drops a handle's pin (fs/pin.h); when the version it held goes, the
 * lease names the generation this mount reads now. */
void fs_unpin(struct fs *fs, struct pin *pin);
/* Adds o to the open-file list (caller holds wlock). */
void fs_ofile_add(struct fs *fs, struct ofile *o);

/* Takes o off the list and frees it, its journal removed with discard
 * (caller holds wlock). */
void fs_ofile_drop(struct fs *fs, struct ofile *o, int discard);

/* Tells the kernel that every file of dataset `name` changed. */
void fs_notify_dataset(struct fs *fs, const char *name);

/* New files (fs/newfile.c); callers hold wlock. ----------------------- */

/* Settles new file o, which no handle holds open now: imported if its
 * name is a dataset's and its bytes are valid (o and its journal and row
 * go), else kept as a plain or pending file with its row up to date. */
void fs_release_new(struct fs *fs, struct ofile *o);

/* The same at unmount: a file still open, or settled unchanged, stays. */
void fs_settle_at_exit(struct fs *fs, struct ofile *o);

/* Unlinks new file o: gone at once, or at its last release if open. */
void fs_unlink_new(struct fs *fs, struct ofile *o);

/* Renames new file o (in the root) to newname: onto a plain name, a
 * pending file (replaced), or a dataset's file (imported now, replacing
 * the dataset; refused with the import's error if that fails). */
int fs_rename_new(struct fs *fs, struct ofile *o, const char *newname,
		  unsigned flags);

/* Adopts the new-file journal key (name) a former mount left: imported
 * now if it can be, else listed again as a plain or pending file. */
void fs_adopt_new(struct fs *fs, const char *key, const char *name,
		  const struct cat_plain *row);

/* Replays or reports journals left in staging/ (at mount). */
void fs_recover(struct fs *fs);

/* The new file (created in this mount, or a plain one) called name in
 * parent, or NULL (caller holds wlock or olock). */
struct ofile *fs_find_new(struct fs *fs, uint64_t parent, const char *name);

/* Plain files and metadata (fs/plain.c); callers hold wlock. ---------- */

/* The dataset name of root file "x.npy" or "x.nc": 0, -ENAMETOOLONG if
 * it is too long, -EINVAL for any other name. */
int fs_dataset_of(const char *file, char *name, size_t cap);

/* 1 if name is no dataset's file name (a plain file), 0 if it is
 * "<dataset>.npy" or ".nc", or the negative errno of a name no file can
 * have (-EINVAL, -ENAMETOOLONG). */
int fs_plain_name(const char *name);

/* 0 if the new file at path (size bytes) can be imported now, or 1 with
 * why not in why (cap bytes): incomplete, not a .npy or NetCDF file. */
int fs_plain_reason(const char *path, uint64_t size, char *why, size_t cap);

/* Writes o's row (a kept plain or pending file); 0 or a negative errno. */
int fs_plain_save(struct fs *fs, const struct ofile *o);

/* Deletes the row of journal key. */
int fs_plain_forget(struct fs *fs, const char *key);

/* -ENOSPC if o growing to end bytes would take plain files past the
 * mount's plain_max, else 0. */
int fs_plain_room(struct fs *fs, const struct ofile *o, uint64_t end);

/* After a transaction of metadata rows: the tree's generation follows the
 * catalog's, so that refresh does not reload for it. */
void fs_meta_committed(struct fs *fs);

/* The inode ino stands for: the view a new file imported since became
 * (when ino has no open file any more), or ino. Caller holds wlock or
 * olock. */
uint64_t fs_resolve(struct fs *fs, uint64_t ino);

/* Records that new file ino is now inode to (caller holds wlock). */
void fs_alias_add(struct fs *fs, uint64_t ino, uint64_t to);

/* Sets m on stored node ino (a dataset's file or directory: its row in
 * the catalog and the node; the root: in memory) or on new file ino. */
int fs_set_meta(struct fs *fs, uint64_t ino, const struct cat_meta *m);

/* fs_set_meta() by a caller that holds wlock. */
int fs_set_meta_locked(struct fs *fs, uint64_t ino, const struct cat_meta *m);

#endif
