/* SPDX-License-Identifier: MIT */
/* What the core's tree (fs.c) and write path (fs_write.c) share (internal to fs/). */
#ifndef CUBEFS_FS_FS_INT_H
#define CUBEFS_FS_FS_INT_H

#include <pthread.h>
#include <stdatomic.h>

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
};

/* A file open for writing: a staged new file, or edits of a view. */
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
	pthread_rwlock_t lock;          /* the tree: reads vs. swaps */
	pthread_mutex_t wlock;          /* writers: journals, commits, names */
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
	pthread_mutex_t refresh_lock;   /* refresh_stop and the cond */
	pthread_cond_t refresh_cond;
	int refresh_stop, refresh_running;
	pthread_t refresh_thread;
};

/* The node of ino, or NULL (caller holds lock). */
const struct node *fs_find(const struct fs *fs, uint64_t ino);

/* The entry name of directory parent, or NULL (caller holds lock). */
const struct node *fs_child(const struct fs *fs, uint64_t parent,
			    const char *name);

/* The open-for-write file of ino, or NULL (caller holds wlock). */
struct ofile *fs_ofile(struct fs *fs, uint64_t ino);

/* Rebuilds the tree from the reader's datasets (caller holds lock for
 * writing). */
int fs_rebuild(struct fs *fs);

/* Reloads the datasets and rebuilds the tree (caller holds wlock). */
int fs_reload(struct fs *fs);

/* Replays or reports journals left in staging/ (at mount). */
void fs_recover(struct fs *fs);

#endif
