/* SPDX-License-Identifier: MIT */
/* The write path of the core: journals per open file, commits at release and fsync, names. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "fs/commit.h"
#include "fs/fs_int.h"
#include "ingest/source.h"

/* The dataset name of root file "x.npy" or "x.nc": 0, -ENAMETOOLONG if
 * it is too long, -EINVAL for any other bad name. */
static int dataset_of_file(const char *file, char *name, size_t cap)
{
	size_t n = strlen(file);
	size_t ext = n > 4 && !strcmp(file + n - 4, ".npy") ? 4 :
		n > 3 && !strcmp(file + n - 3, ".nc") ? 3 : 0;

	if (!ext)
		return -EINVAL;
	if (n - ext >= cap)
		return -ENAMETOOLONG;
	memcpy(name, file, n - ext);
	name[n - ext] = 0;
	return catalog_name_valid(name);
}

struct ofile *fs_ofile(struct fs *fs, uint64_t ino)
{
	for (struct ofile *o = fs->open; o; o = o->next)
		if (o->ino == ino)
			return o;
	return NULL;
}

/* Adds o to the open-file list (caller holds wlock). */
static void ofile_add(struct fs *fs, struct ofile *o)
{
	pthread_rwlock_wrlock(&fs->olock);
	o->next = fs->open;
	fs->open = o;
	pthread_rwlock_unlock(&fs->olock);
}

/* Takes o off the list and frees it (caller holds wlock). */
static void ofile_drop(struct fs *fs, struct ofile *o, int discard)
{
	struct ofile **pp = &fs->open;

	pthread_rwlock_wrlock(&fs->olock);
	while (*pp && *pp != o)
		pp = &(*pp)->next;
	if (*pp)
		*pp = o->next;
	pthread_rwlock_unlock(&fs->olock);
	stage_free(o->st, discard);
	free(o);
}

void fs_notify(struct fs *fs, uint64_t ino, uint64_t parent,
	       const char *name)
{
	if (fs->notify)
		fs->notify(fs->notify_arg, ino, parent, name);
}

void fs_notify_names(struct fs *fs, const char *name)
{
	static const char *const ext[] = { ".npy", ".nc", ".png", ".zarr",
					   "" };
	char buf[CATALOG_NAME_MAX + 8];

	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		snprintf(buf, sizeof(buf), "%s%s", name, ext[i]);
		fs_notify(fs, 0, FS_ROOT_INO, buf);
	}
}

/* Tells the kernel that every file of dataset `name` changed. */
static void notify_dataset(struct fs *fs, const char *name)
{
	struct cat_dataset *ds;

	pthread_rwlock_rdlock(&fs->lock);
	ds = reader_find(fs->r, name);
	for (int i = 0; ds && i < ds->nviews; i++)
		fs_notify(fs, inode_view(ds->views[i].id), 0, NULL);
	if (ds)
		fs_notify(fs, inode_png(ds->id), 0, NULL);
	pthread_rwlock_unlock(&fs->lock);
	fs_notify_names(fs, name);
}

int fs_create(struct fs *fs, uint64_t parent, const char *name,
	      struct fs_attr *a)
{
	char ds[CATALOG_NAME_MAX + 1], key[64];
	struct ofile *o = NULL;
	int rc;

	if (!fs->wc)
		return -EROFS;
	if (parent != FS_ROOT_INO)
		return -EACCES;
	rc = dataset_of_file(name, ds, sizeof(ds));
	if (rc)
		return rc;
	pthread_mutex_lock(&fs->wlock);
	pthread_rwlock_rdlock(&fs->lock);
	rc = reader_find(fs->r, ds) ? -EEXIST : 0;
	pthread_rwlock_unlock(&fs->lock);
	for (struct ofile *x = fs->open; !rc && x; x = x->next)
		if (x->is_new && !strcmp(x->name, name))
			rc = -EEXIST;
	if (rc)
		goto out;
	o = calloc(1, sizeof(*o));
	if (!o) {
		rc = -ENOMEM;
		goto out;
	}
	o->ino = inode_new(fs->nnew++);
	o->parent = parent;
	o->is_new = 1;
	o->opens = 1;
	o->mtime = clock_wall_ns();
	snprintf(o->name, sizeof(o->name), "%s", name);
	snprintf(key, sizeof(key), "n-%llx-%llx", (unsigned long long)o->mtime,
		 (unsigned long long)o->ino);
	rc = stage_open(fs->dir, key, STAGE_NEW, name, 0, &o->st);
	if (rc) {
		free(o);
		goto out;
	}
	ofile_add(fs, o);
	a->ino = o->ino;
	a->is_dir = 0;
	a->readonly = 0;
	a->size = 0;
	a->mtime = o->mtime;
	a->nlink = 1;
	a->timeout = 0;
out:
	pthread_mutex_unlock(&fs->wlock);
	return rc;
}

/* The ofile of an existing view, made on first use (caller holds wlock). */
static int edit_ofile(struct fs *fs, uint64_t ino, struct ofile **out)
{
	const struct node *n;
	struct ofile *o = fs_ofile(fs, ino);
	char key[64];
	int rc;

	*out = o;
	if (o)
		return 0;
	pthread_rwlock_rdlock(&fs->lock);
	n = fs_find(fs, ino);
	if (!n || n->is_dir || !n->view) {
		pthread_rwlock_unlock(&fs->lock);
		return !n ? -ENOENT : n->is_dir ? -EISDIR : -EACCES;
	}
	o = calloc(1, sizeof(*o));
	if (!o) {
		pthread_rwlock_unlock(&fs->lock);
		return -ENOMEM;
	}
	o->ino = ino;
	o->parent = n->parent;
	o->view_id = n->view->id;
	o->mtime = n->ds->mtime;
	snprintf(o->name, sizeof(o->name), "%s", n->name);
	snprintf(key, sizeof(key), "v%lld", (long long)n->view->id);
	rc = stage_open(fs->dir, key, STAGE_EDIT, n->name, n->view->size,
			&o->st);
	pthread_rwlock_unlock(&fs->lock);
	if (rc) {
		free(o);
		return rc;
	}
	ofile_add(fs, o);
	*out = o;
	return 0;
}

/* stage_truncate() of o's journal, as readers see it (caller holds wlock). */
static int truncate_locked(struct fs *fs, struct ofile *o, uint64_t size)
{
	int rc;

	pthread_rwlock_wrlock(&fs->olock);
	rc = stage_truncate(o->st, size);
	pthread_rwlock_unlock(&fs->olock);
	return rc;
}

int fs_open(struct fs *fs, uint64_t ino, int flags, int *counted)
{
	struct ofile *o;
	int rc = 0;

	*counted = 0;
	if ((flags & O_ACCMODE) == O_RDONLY && !(flags & O_TRUNC)) {
		/* a reader of a file being written keeps its journal open;
		 * one of any other file never waits for a commit */
		pthread_rwlock_rdlock(&fs->olock);
		o = fs_ofile(fs, ino);
		pthread_rwlock_unlock(&fs->olock);
		if (!o)
			return 0;
		pthread_mutex_lock(&fs->wlock);
		o = fs_ofile(fs, ino);
		if (o) {
			o->opens++;
			*counted = 1;
		} else if (inode_kind(ino, NULL) == INODE_NEW) {
			/* imported meanwhile, under another inode: the kernel
			 * looks the name up again */
			rc = -ESTALE;
		}
		pthread_mutex_unlock(&fs->wlock);
		return rc;
	}
	if (!fs->wc)
		return -EROFS;
	pthread_mutex_lock(&fs->wlock);
	rc = edit_ofile(fs, ino, &o);
	if (!rc) {
		o->opens++;
		*counted = 1;
		if ((flags & O_TRUNC) && !o->st)
			rc = -ESTALE;
		else if (flags & O_TRUNC)
			rc = truncate_locked(fs, o, 0);
	}
	pthread_mutex_unlock(&fs->wlock);
	return rc;
}

ssize_t fs_write(struct fs *fs, uint64_t ino, const void *buf, size_t len,
		 off_t off)
{
	struct ofile *o;
	ssize_t rc;

	if (off < 0)
		return -EINVAL;
	if (!fs->wc)
		return -EROFS;
	pthread_mutex_lock(&fs->wlock);
	/* the kernel writes back mmap'd pages after the last release: such
	 * writes open a journal of their own, committed at fsync or unmount */
	if (inode_kind(ino, NULL) == INODE_NEW)
		rc = fs_ofile(fs, ino) ? 0 : -EBADF;
	else
		rc = edit_ofile(fs, ino, &o);
	o = fs_ofile(fs, ino);
	if (!rc && !o->st)	/* its dataset was replaced: see restart() */
		rc = -ESTALE;
	if (!rc) {
		pthread_rwlock_wrlock(&fs->olock);
		rc = stage_write(o->st, buf, len, (uint64_t)off);
		if (rc >= 0)
			o->mtime = clock_wall_ns();
		pthread_rwlock_unlock(&fs->olock);
	}
	pthread_mutex_unlock(&fs->wlock);
	return rc;
}

/*
 * 1 if dataset ds was imported from this very journal: a daemon killed
 * between the import's transaction and the journal's removal leaves both.
 */
static int already_imported(struct fs *fs, const char *ds,
			    const struct stage *st)
{
	char *path = realpath(stage_data_path(st), NULL);
	const struct cat_dataset *d;
	int done;

	pthread_rwlock_rdlock(&fs->lock);
	d = reader_find(fs->r, ds);
	done = path && d && d->source && !strcmp(d->source, path);
	pthread_rwlock_unlock(&fs->lock);
	free(path);
	return done;
}

/*
 * The swap after edit o's journal st was committed: the new rows in, the
 * journal out of reads at the same instant, then removed (the log first).
 */
static int swap_in(struct fs *fs, struct ofile *o, struct stage *st)
{
	int rc = fs_reload(fs, &o->st);

	if (!rc)
		stage_free(st, 1);
	return rc;
}

/*
 * Commits o's journal (caller holds wlock, nothing else). The encode
 * runs with no lock readers take: the rows it reads cannot change, as
 * only wlock's holder swaps them. On success an edit's o->st is NULL,
 * its journal removed; a new file's stays for the caller to drop.
 */
static int commit(struct fs *fs, struct ofile *o)
{
	char ds[CATALOG_NAME_MAX + 1];
	const struct cat_dataset *d = NULL;
	const struct cat_view *w = NULL;
	struct stage *st = o->st;
	int rc;

	if (!st || !stage_dirty(st))
		return 0;
	if (o->is_new) {
		rc = dataset_of_file(o->name, ds, sizeof(ds));
		if (!rc && already_imported(fs, ds, st))
			return 0;
		if (!rc)
			rc = commit_new(fs->wc, st, ds, &fs->iopts);
		if (!rc) {
			/* imported: a failed reload shows it at the next. The
			 * journal (the whole file) serves its own inode until
			 * the caller drops it */
			(void)fs_reload(fs, NULL);
			fs_notify(fs, 0, o->parent, o->name);
			notify_dataset(fs, ds);
		}
		return rc;
	}
	pthread_rwlock_rdlock(&fs->lock);
	for (int i = 0; !w && i < reader_ndatasets(fs->r); i++) {
		const struct cat_dataset *x = reader_dataset(fs->r, i);

		for (int k = 0; k < x->nviews; k++)
			if (x->views[k].id == o->view_id) {
				d = x;
				w = &x->views[k];
			}
	}
	pthread_rwlock_unlock(&fs->lock);
	if (!w)
		return -ESTALE;
	snprintf(ds, sizeof(ds), "%s", d->name);
	/* no swap can happen while we hold wlock: d stays valid; reads go
	 * on, of st over d's rows for this file */
	rc = commit_edit(fs->wc, fs->r, d, w, st, &fs->iopts);
	if (rc)
		return rc;
	/* the cache of d's old GOPs goes at the swap (reader_swap) */
	rc = swap_in(fs, o, st);
	notify_dataset(fs, ds);
	return rc;
}

/* After a successful commit (which took the journal away: o->st is
 * NULL) the journal starts again, empty. */
static int restart(struct fs *fs, struct ofile *o)
{
	char key[64];
	uint64_t size;
	const struct node *n;
	struct stage *st;
	int rc;

	assert(!o->st);
	pthread_rwlock_rdlock(&fs->lock);
	n = fs_find(fs, o->ino);
	size = n && n->view ? n->view->size : 0;
	if (n && n->view)
		o->view_id = n->view->id;
	pthread_rwlock_unlock(&fs->lock);
	if (!n)		/* a write that changed the header replaced the
			 * dataset: committed; later writes through this
			 * file get ESTALE (o->st stays NULL) */
		return 0;
	snprintf(key, sizeof(key), "v%lld", (long long)o->view_id);
	rc = stage_open(fs->dir, key, STAGE_EDIT, o->name, size, &st);
	if (!rc) {
		pthread_rwlock_wrlock(&fs->olock);
		o->st = st;
		pthread_rwlock_unlock(&fs->olock);
	}
	return rc;
}

int fs_truncate(struct fs *fs, uint64_t ino, uint64_t size)
{
	struct ofile *o;
	int rc, opened;

	if (!fs->wc)
		return -EROFS;
	pthread_mutex_lock(&fs->wlock);
	opened = fs_ofile(fs, ino) != NULL;
	rc = edit_ofile(fs, ino, &o);
	if (!rc && !o->st)
		rc = -ESTALE;
	if (!rc)
		rc = truncate_locked(fs, o, size);
	if (!rc && !opened) {	/* truncate(2) of a closed file */
		rc = commit(fs, o);
		ofile_drop(fs, o, !rc);
	}
	pthread_mutex_unlock(&fs->wlock);
	return rc;
}

int fs_flush(struct fs *fs, uint64_t ino)
{
	struct ofile *o;
	struct source *src = NULL;
	int rc = 0;

	pthread_mutex_lock(&fs->wlock);
	o = fs_ofile(fs, ino);
	/* a new file closed by its only writer must be a .npy or NetCDF file:
	 * say so now, where close(2) can report it */
	if (o && o->is_new && o->opens == 1 && stage_dirty(o->st)) {
		rc = source_open(stage_data_path(o->st), &src);
		source_free(src);
		if (rc) {
			log_error("'%s' is not a valid .npy or NetCDF file; its "
				  "bytes are kept in '%s'", o->name,
				  stage_data_path(o->st));
			rc = -EIO;
		}
	}
	pthread_mutex_unlock(&fs->wlock);
	return rc;
}

int fs_fsync(struct fs *fs, uint64_t ino)
{
	struct ofile *o;
	int rc = 0;

	pthread_mutex_lock(&fs->wlock);
	o = fs_ofile(fs, ino);
	if (o && o->st) {
		rc = stage_sync(o->st);
		if (!rc && !o->is_new && stage_dirty(o->st)) {
			rc = commit(fs, o);
			if (!rc)
				rc = restart(fs, o);
		}
	}
	pthread_mutex_unlock(&fs->wlock);
	return rc;
}

int fs_release(struct fs *fs, uint64_t ino, int counted)
{
	struct ofile *o;
	int rc = 0;

	pthread_mutex_lock(&fs->wlock);
	o = fs_ofile(fs, ino);
	/* a handle opened before the file had a journal was not counted
	 * (the kernel's mmap write-back leaves journals nobody holds) */
	if (o && counted)
		o->opens--;
	if (o && o->opens <= 0) {
		rc = commit(fs, o);
		if (rc == -EPERM || rc == -EINVAL || rc == -ENOTSUP) {
			/* retrying cannot help: keep the bytes, stop trying */
			stage_reject(o->st);
			log_error("writes to '%s' cannot be committed: kept as "
				  "'%s.rejected'", o->name,
				  stage_data_path(o->st));
			/* the file reads as the store has it: the kernel's
			 * cached pages of the writes must go too */
			if (!o->is_new)
				fs_notify(fs, o->ino, 0, NULL);
		} else if (rc) {
			/* (ENOSPC, EIO) the journal stays open: reads keep
			 * seeing the bytes written, as the kernel's page
			 * cache does, and the next release, fsync or mount
			 * commits them */
			log_error("writes to '%s' are kept in staging/ and will be "
				  "retried", o->name);
			o->opens = 0;
			pthread_mutex_unlock(&fs->wlock);
			return rc;
		}
		ofile_drop(fs, o, !rc);
	}
	pthread_mutex_unlock(&fs->wlock);
	return rc;
}

/* The dataset a root file name stands for (caller holds the tree lock). */
static struct cat_dataset *root_dataset(struct fs *fs, const char *name)
{
	char ds[CATALOG_NAME_MAX + 1];
	struct cat_dataset *d;

	if (dataset_of_file(name, ds, sizeof(ds)))
		return NULL;
	d = reader_find(fs->r, ds);
	for (int i = 0; d && i < d->nviews; i++)
		if (!d->views[i].in_dir && !strcmp(d->views[i].name, name))
			return d;
	return NULL;
}

/* 1 if name in parent is a quick-look (takes the tree lock). */
static int is_png(struct fs *fs, uint64_t parent, const char *name)
{
	const struct node *n;
	int png;

	pthread_rwlock_rdlock(&fs->lock);
	png = (n = fs_child(fs, parent, name)) && n->png;
	pthread_rwlock_unlock(&fs->lock);
	return png;
}

int fs_unlink(struct fs *fs, uint64_t parent, const char *name)
{
	struct cat_dataset *d;
	char ds[CATALOG_NAME_MAX + 1];
	int rc;

	if (!fs->wc)
		return -EROFS;
	if (parent != FS_ROOT_INO)
		return -EACCES;
	pthread_mutex_lock(&fs->wlock);
	pthread_rwlock_rdlock(&fs->lock);
	d = root_dataset(fs, name);
	if (d)
		snprintf(ds, sizeof(ds), "%s", d->name);
	pthread_rwlock_unlock(&fs->lock);
	rc = d ? 0 : is_png(fs, parent, name) ? -EACCES : -ENOENT;
	if (!rc)
		rc = catalog_begin(fs->wc);
	if (!rc)
		rc = catalog_end(fs->wc, catalog_dataset_delete(fs->wc, ds));
	if (!rc) {
		notify_dataset(fs, ds);
		rc = fs_reload(fs, NULL);
	}
	pthread_mutex_unlock(&fs->wlock);
	return rc;
}

int fs_rename(struct fs *fs, uint64_t parent, const char *name,
	      uint64_t newparent, const char *newname, unsigned flags)
{
	char from[CATALOG_NAME_MAX + 1], to[CATALOG_NAME_MAX + 1];
	const char *e1 = strrchr(name, '.'), *e2 = strrchr(newname, '.');
	struct cat_dataset *d;
	int rc, exists;

	if (!fs->wc)
		return -EROFS;
	if (parent != FS_ROOT_INO || newparent != FS_ROOT_INO)
		return -EXDEV;
	if (is_png(fs, parent, name) || is_png(fs, newparent, newname))
		return -EACCES;
	rc = dataset_of_file(newname, to, sizeof(to));
	if (rc)
		return rc;
	if (!e1 || !e2 || strcmp(e1, e2))
		return -EINVAL;
	pthread_mutex_lock(&fs->wlock);
	pthread_rwlock_rdlock(&fs->lock);
	d = root_dataset(fs, name);
	if (d)
		snprintf(from, sizeof(from), "%s", d->name);
	exists = reader_find(fs->r, to) != NULL;
	pthread_rwlock_unlock(&fs->lock);
	rc = !d ? -ENOENT : exists && (flags & 1 /* RENAME_NOREPLACE */) ?
		-EEXIST : 0;
	if (!rc && !strcmp(from, to))
		goto out;
	if (!rc)
		rc = catalog_begin(fs->wc);
	if (!rc) {
		if (exists)
			rc = catalog_dataset_delete(fs->wc, to);
		if (!rc)
			rc = catalog_dataset_rename(fs->wc, from, to);
		rc = catalog_end(fs->wc, rc);
	}
	if (!rc) {
		notify_dataset(fs, from);
		notify_dataset(fs, to);
		rc = fs_reload(fs, NULL);
	}
out:
	pthread_mutex_unlock(&fs->wlock);
	return rc;
}

/* Journals left by a daemon that died: commit them, or say why not. */
static int recover_one(void *arg, const char *key, int kind,
		       const char *name, uint64_t size)
{
	struct fs *fs = arg;
	struct ofile o = { .is_new = kind == STAGE_NEW };
	int rc;

	snprintf(o.name, sizeof(o.name), "%s", name);
	if (kind == STAGE_EDIT)
		o.view_id = strtoll(key + 1, NULL, 10);
	rc = stage_open(fs->dir, key, kind, name, size, &o.st);
	if (rc == -EUCLEAN) {
		/* never to be reopened by a later write to the file */
		stage_reject_key(fs->dir, key);
		log_error("staging journal '%s' of '%s' is inconsistent: set "
			  "aside as '%s.log.rejected'", key, name, key);
	}
	if (rc)
		return 0;
	pthread_mutex_lock(&fs->wlock);
	rc = commit(fs, &o);
	pthread_mutex_unlock(&fs->wlock);
	if (rc)
		log_error("staging journal '%s' of '%s' could not be committed "
			  "(%s): kept in staging/", key, name, strerror(-rc));
	else
		log_warn("recovered the writes to '%s' left by an earlier mount",
			 name);
	stage_free(o.st, !rc);
	return 0;
}

void fs_commit_all(struct fs *fs)
{
	pthread_mutex_lock(&fs->wlock);
	for (struct ofile *o = fs->open, *next; o; o = next) {
		int rc;

		next = o->next;
		if (o->is_new && o->opens > 0)
			continue;	/* still being written: kept */
		rc = commit(fs, o);
		ofile_drop(fs, o, !rc);
	}
	pthread_mutex_unlock(&fs->wlock);
}

void fs_recover(struct fs *fs)
{
	stage_scan(fs->dir, recover_one, fs);
}
