/* SPDX-License-Identifier: MIT */
/* The write path of the core: journals per open file, commits at release and fsync, names. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "fs/commit.h"
#include "fs/fs_int.h"

struct ofile *fs_ofile(struct fs *fs, uint64_t ino)
{
	for (struct ofile *o = fs->open; o; o = o->next)
		if (inode_same_file(o->ino, ino))
			return o;
	return NULL;
}

void fs_ofile_add(struct fs *fs, struct ofile *o)
{
	pthread_rwlock_wrlock(&fs->olock);
	o->next = fs->open;
	fs->open = o;
	pthread_rwlock_unlock(&fs->olock);
}

void fs_ofile_drop(struct fs *fs, struct ofile *o, int discard)
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

void fs_notify_dataset(struct fs *fs, const char *name)
{
	struct cat_dataset *ds;

	pthread_rwlock_rdlock(&fs->lock);
	ds = reader_find(fs->r, name);
	/* the commit made a new version: the kernel knows the file under the
	 * number of the one before, and handles open there read this one */
	for (int i = 0; ds && i < ds->nviews; i++) {
		fs_notify(fs, inode_view(ds->views[i].id, ds->version), 0,
			  NULL);
		fs_notify(fs, inode_view(ds->views[i].id, ds->version - 1), 0,
			  NULL);
	}
	if (ds)
		fs_notify(fs, inode_png(ds->id), 0, NULL);
	pthread_rwlock_unlock(&fs->lock);
	fs_notify_names(fs, name);
}

int fs_create(struct fs *fs, uint64_t parent, const char *name, int mode,
	      struct fs_attr *a)
{
	char ds[CATALOG_NAME_MAX + 1];
	struct ofile *o = NULL;
	int rc, plain;

	if (!fs->wc)
		return -EROFS;
	if (parent != FS_ROOT_INO)
		return -EACCES;
	plain = fs_plain_name(name);
	if (plain < 0)
		return plain;
	if (!plain)
		(void)fs_dataset_of(name, ds, sizeof(ds));
	pthread_mutex_lock(&fs->wlock);
	pthread_rwlock_rdlock(&fs->lock);
	rc = (!plain && reader_find(fs->r, ds)) ||
		fs_child(fs, parent, name) ? -EEXIST : 0;
	pthread_rwlock_unlock(&fs->lock);
	if (!rc && fs_find_new(fs, parent, name))
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
	o->changed = 1;
	catalog_meta_clear(&o->meta);
	/* the mode it was created with, where it is not the default */
	if (mode >= 0 && (mode & 07777) != 0644)
		o->meta.mode = mode & 07777;
	snprintf(o->name, sizeof(o->name), "%s", name);
	snprintf(o->key, sizeof(o->key), "n-%llx-%llx",
		 (unsigned long long)o->mtime, (unsigned long long)o->ino);
	rc = stage_open(fs->dir, o->key, STAGE_NEW, name, 0, &o->st);
	if (rc) {
		free(o);
		goto out;
	}
	fs_ofile_add(fs, o);
	a->ino = o->ino;
	a->is_dir = 0;
	a->readonly = 0;
	a->size = 0;
	a->mtime = o->mtime;
	a->nlink = 1;
	a->mode = o->meta.mode;
	a->uid = a->gid = -1;
	a->atime = CAT_TIME_UNSET;
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
	fs_ofile_add(fs, o);
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

/*
 * A read-only handle of a stored view holds the version it opens: the
 * tree's, or for a number from before a change the version other handles
 * still read there (the kernel's cached pages of that number are of it);
 * else -ESTALE, and the kernel looks the name up again.
 */
static int pin_open(struct fs *fs, uint64_t ino, uint64_t *fh)
{
	const struct cat_view *w;
	const struct node *n;
	struct pin *pin = NULL;
	int rc = 0;

	pthread_rwlock_rdlock(&fs->lock);
	n = fs_find(fs, ino);
	if (n && n->view && n->ino == ino) {
		pin = pin_take(&fs->pins, n->ds, atomic_load(&fs->gen));
		rc = pin ? 0 : -ENOMEM;
	} else if (inode_kind(ino, NULL) == INODE_VIEW) {
		pin = pins_find_retired(&fs->pins, ino, &w);
		rc = pin ? 0 : -ESTALE;
	}
	pthread_rwlock_unlock(&fs->lock);
	if (pin)
		*fh = (uint64_t)(uintptr_t)pin;
	return rc;
}

int fs_open(struct fs *fs, uint64_t ino, int flags, uint64_t *fh)
{
	struct ofile *o;
	int rc = 0;

	*fh = 0;
	if ((flags & O_ACCMODE) == O_RDONLY && !(flags & O_TRUNC)) {
		/* a reader of a file being written keeps its journal open;
		 * one of any other file never waits for a commit */
		pthread_rwlock_rdlock(&fs->olock);
		o = fs_ofile(fs, ino);
		pthread_rwlock_unlock(&fs->olock);
		if (!o)
			return pin_open(fs, ino, fh);
		pthread_mutex_lock(&fs->wlock);
		o = fs_ofile(fs, ino);
		if (o) {
			o->opens++;
			*fh = FS_FH_COUNTED;
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
		*fh = FS_FH_COUNTED;
		if ((flags & O_TRUNC) && !o->st)
			rc = -ESTALE;
		else if (flags & O_TRUNC)
			rc = truncate_locked(fs, o, 0);
		if (o->is_new && (flags & O_TRUNC))
			o->changed = 1;
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
	 * writes open a journal of their own, committed at fsync or unmount;
	 * those to a new file imported since go to the view it became */
	ino = fs_resolve(fs, ino);
	if (inode_kind(ino, NULL) == INODE_NEW) {
		o = fs_ofile(fs, ino);
		rc = !o ? -EBADF : o->st ?
			fs_plain_room(fs, o, (uint64_t)off + len) : 0;
	} else {
		rc = edit_ofile(fs, ino, &o);
	}
	if (!rc && !o->st)	/* its dataset was replaced: see restart() */
		rc = -ESTALE;
	if (!rc) {
		pthread_rwlock_wrlock(&fs->olock);
		rc = stage_write(o->st, buf, len, (uint64_t)off);
		if (rc >= 0) {
			o->mtime = clock_wall_ns();
			o->meta.mtime = CAT_TIME_UNSET;
			o->changed = 1;
		}
		pthread_rwlock_unlock(&fs->olock);
	}
	pthread_mutex_unlock(&fs->wlock);
	return rc;
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
 * its journal removed. New files go through settle_new() instead.
 */
static int commit(struct fs *fs, struct ofile *o)
{
	char ds[CATALOG_NAME_MAX + 1];
	const struct cat_dataset *d = NULL;
	const struct cat_view *w = NULL;
	struct stage *st = o->st;
	int rc;

	assert(!o->is_new);
	if (!st || !stage_dirty(st))
		return 0;
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
	fs_notify_dataset(fs, ds);
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
	ino = fs_resolve(fs, ino);
	opened = fs_ofile(fs, ino) != NULL;
	rc = edit_ofile(fs, ino, &o);
	if (!rc && !o->st)
		rc = -ESTALE;
	if (!rc && o->is_new)
		rc = fs_plain_room(fs, o, size);
	if (!rc)
		rc = truncate_locked(fs, o, size);
	if (!rc && o->is_new) {
		o->changed = 1;
		o->meta.mtime = CAT_TIME_UNSET;
		o->mtime = clock_wall_ns();
		if (!o->opens)	/* truncate(2) of a kept file */
			fs_release_new(fs, o);
	} else if (!rc && !opened) {	/* truncate(2) of a closed file */
		rc = commit(fs, o);
		fs_ofile_drop(fs, o, !rc);
	}
	pthread_mutex_unlock(&fs->wlock);
	return rc;
}

int fs_flush(struct fs *fs, uint64_t ino)
{
	/* nothing to say at close(2): a new file that is not valid (yet)
	 * stays, pending, until a later close makes it valid */
	(void)fs;
	(void)ino;
	return 0;
}

int fs_fsync(struct fs *fs, uint64_t ino)
{
	struct ofile *o;
	int rc = 0;

	pthread_mutex_lock(&fs->wlock);
	o = fs_ofile(fs, fs_resolve(fs, ino));
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

int fs_release(struct fs *fs, uint64_t ino, uint64_t fh)
{
	int counted = fh == FS_FH_COUNTED;
	struct ofile *o;
	int rc = 0;

	if (fh > FS_FH_COUNTED) {
		fs_unpin(fs, (struct pin *)(uintptr_t)fh);
		return 0;
	}
	pthread_mutex_lock(&fs->wlock);
	o = fs_ofile(fs, ino);
	/* a handle opened before the file had a journal was not counted
	 * (the kernel's mmap write-back leaves journals nobody holds) */
	if (o && counted)
		o->opens--;
	if (o && o->opens <= 0 && o->is_new) {
		fs_release_new(fs, o);
	} else if (o && o->opens <= 0) {
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
		fs_ofile_drop(fs, o, !rc);
	}
	pthread_mutex_unlock(&fs->wlock);
	return rc;
}

/* The dataset a root file name stands for (caller holds the tree lock). */
static struct cat_dataset *root_dataset(struct fs *fs, const char *name)
{
	char ds[CATALOG_NAME_MAX + 1];
	struct cat_dataset *d;

	if (fs_dataset_of(name, ds, sizeof(ds)))
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
	struct ofile *o;
	char ds[CATALOG_NAME_MAX + 1];
	int rc;

	if (!fs->wc)
		return -EROFS;
	if (parent != FS_ROOT_INO)
		return -EACCES;
	pthread_mutex_lock(&fs->wlock);
	if ((o = fs_find_new(fs, parent, name))) {	/* a plain file */
		fs_unlink_new(fs, o);
		pthread_mutex_unlock(&fs->wlock);
		return 0;
	}
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
		fs_notify_dataset(fs, ds);
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
	struct ofile *o;
	int rc, exists;

	if (!fs->wc)
		return -EROFS;
	if (parent != FS_ROOT_INO || newparent != FS_ROOT_INO)
		return -EXDEV;
	if (is_png(fs, parent, name) || is_png(fs, newparent, newname))
		return -EACCES;
	pthread_mutex_lock(&fs->wlock);
	if ((o = fs_find_new(fs, parent, name))) {	/* new or plain */
		rc = fs_rename_new(fs, o, newname, flags);
		pthread_mutex_unlock(&fs->wlock);
		return rc;
	}
	pthread_mutex_unlock(&fs->wlock);
	rc = fs_dataset_of(newname, to, sizeof(to));
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
	/* a new or plain file of the new name is replaced */
	o = fs_find_new(fs, newparent, newname);
	if (!rc && o && (flags & 1))
		rc = -EEXIST;
	if (!rc && o)
		fs_unlink_new(fs, o);
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
		fs_notify_dataset(fs, from);
		fs_notify_dataset(fs, to);
		rc = fs_reload(fs, NULL);
	}
out:
	pthread_mutex_unlock(&fs->wlock);
	return rc;
}

/* What recovery knows of the plain files the catalog lists. */
struct recovery {
	struct fs *fs;
	struct cat_plain *rows;
	size_t nrows;
};

/* Journals left by a daemon that died: commit them, or say why not. */
static int recover_one(void *arg, const char *key, int kind,
		       const char *name, uint64_t size)
{
	struct recovery *rv = arg;
	struct fs *fs = rv->fs;
	struct ofile o = { .is_new = kind == STAGE_NEW };
	const struct cat_plain *row = NULL;
	int rc;

	if (kind == STAGE_NEW) {
		for (size_t i = 0; i < rv->nrows; i++)
			if (!strcmp(rv->rows[i].key, key))
				row = &rv->rows[i];
		pthread_mutex_lock(&fs->wlock);
		fs_adopt_new(fs, key, name, row);
		pthread_mutex_unlock(&fs->wlock);
		return 0;
	}

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
		if (o->is_new) {
			fs_settle_at_exit(fs, o);
			continue;
		}
		rc = commit(fs, o);
		fs_ofile_drop(fs, o, !rc);
	}
	pthread_mutex_unlock(&fs->wlock);
}

void fs_recover(struct fs *fs)
{
	struct recovery rv = { .fs = fs };

	if (catalog_plain_list(fs->wc, &rv.rows, &rv.nrows))
		rv.nrows = 0;
	stage_scan(fs->dir, recover_one, &rv);
	/* rows of journals that are gone (removed by hand) */
	pthread_mutex_lock(&fs->wlock);
	for (size_t i = 0; i < rv.nrows; i++) {
		struct ofile *o = fs->open;

		while (o && strcmp(o->key, rv.rows[i].key))
			o = o->next;
		if (!o)
			fs_plain_forget(fs, rv.rows[i].key);
	}
	pthread_mutex_unlock(&fs->wlock);
	catalog_plain_list_free(rv.rows, rv.nrows);
}
