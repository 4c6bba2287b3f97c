/* SPDX-License-Identifier: MIT */
/* New files after their last close: imported when valid, else kept as plain or pending files; their renames, deletion and recovery. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/clock.h"
#include "base/log.h"
#include "fs/commit.h"
#include "fs/fs_int.h"

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
 * After new file o was imported as dataset ds: the metadata set on it go
 * to the view of its name, and its inode stands for that view from now
 * on (the kernel may still write back or set times through it).
 */
static void became_view(struct fs *fs, struct ofile *o, const char *ds)
{
	const struct cat_dataset *d;
	uint64_t ino = 0;
	struct cat_meta none;

	pthread_rwlock_rdlock(&fs->lock);
	d = reader_find(fs->r, ds);
	for (int i = 0; d && i < d->nviews; i++)
		if (!d->views[i].in_dir && !strcmp(d->views[i].name, o->name))
			ino = inode_view(d->views[i].id, d->version);
	pthread_rwlock_unlock(&fs->lock);
	if (!ino)
		return;
	fs_alias_add(fs, o->ino, ino);
	catalog_meta_clear(&none);
	if (memcmp(&none, &o->meta, sizeof(none)) &&
	    fs_set_meta_locked(fs, ino, &o->meta))
		log_warn("the mode and times of '%s' were not kept", o->name);
}

/*
 * Imports new file o if its name is a dataset's and its bytes make a
 * valid file (caller holds wlock). Returns 0 when imported (the caller
 * drops o and its journal), 1 when o stays a plain or pending file
 * (o->reason says why it is pending), or the negative errno of an import
 * to retry (ENOSPC, EIO: o stays, pending, and is tried again).
 */
static int settle_new(struct fs *fs, struct ofile *o)
{
	char ds[CATALOG_NAME_MAX + 1];
	struct import_opts io = fs->iopts;
	int rc;

	if (fs_plain_name(o->name) != 0 || !o->st) {
		o->reason[0] = 0;
		return 1;
	}
	(void)fs_dataset_of(o->name, ds, sizeof(ds));
	if (already_imported(fs, ds, o->st))
		return 0;
	if (!o->changed)
		return 1;
	if (fs_plain_reason(stage_data_path(o->st), stage_size(o->st),
			    o->reason, sizeof(o->reason))) {
		o->changed = 0;
		return 1;
	}
	io.replace = o->replace;
	if (o->replace)		/* the old files' inodes go */
		fs_notify_dataset(fs, ds);
	rc = commit_new(fs->wc, o->st, ds, &io);
	if (rc) {
		snprintf(o->reason, sizeof(o->reason), "import failed: %s",
			 strerror(-rc));
		if (rc == -ENOSPC || rc == -EIO || rc == -ENOMEM)
			return rc;
		o->changed = 0;
		return 1;
	}
	o->reason[0] = 0;
	/* imported: a failed reload shows it at the next. The journal (the
	 * whole file) serves its own inode until the caller drops it */
	(void)fs_reload(fs, NULL);
	became_view(fs, o, ds);
	fs_notify(fs, 0, o->parent, o->name);
	fs_notify_dataset(fs, ds);
	return 0;
}

void fs_release_new(struct fs *fs, struct ofile *o)
{
	int rc;

	o->opens = 0;
	if (o->gone) {
		if (o->kept)
			fs_plain_forget(fs, o->key);
		fs_ofile_drop(fs, o, 1);
		return;
	}
	if (o->kept && !o->changed)
		return;
	rc = settle_new(fs, o);
	if (!rc) {
		if (o->kept)
			fs_plain_forget(fs, o->key);
		fs_ofile_drop(fs, o, 1);
		return;
	}
	if (o->reason[0])
		log_warn("'%s' is kept in staging/, not imported yet: %s",
			 o->name, o->reason);
	o->kept = 1;
	fs_plain_save(fs, o);
}


void fs_settle_at_exit(struct fs *fs, struct ofile *o)
{
	if (o->gone) {	/* unlinked while open: never to come back */
		fs_ofile_drop(fs, o, 1);
		return;
	}
	if (o->opens > 0) {
		/* still being written: kept, and listed at the next mount */
		if (!o->kept) {
			o->kept = 1;
			fs_plain_save(fs, o);
		}
		return;
	}
	fs_release_new(fs, o);
}

void fs_unlink_new(struct fs *fs, struct ofile *o)
{
	if (o->kept)
		fs_plain_forget(fs, o->key);
	o->kept = 0;
	if (o->opens > 0) {
		pthread_rwlock_wrlock(&fs->olock);
		o->gone = 1;
		pthread_rwlock_unlock(&fs->olock);
		return;
	}
	fs_ofile_drop(fs, o, 1);
}

/* Gives o (and its journal) the name `name`, as readers see it. */
static int set_name(struct fs *fs, struct ofile *o, const char *name)
{
	int rc = stage_rename(o->st, name);

	if (rc)
		return rc;
	pthread_rwlock_wrlock(&fs->olock);
	snprintf(o->name, sizeof(o->name), "%s", name);
	pthread_rwlock_unlock(&fs->olock);
	return 0;
}

/* Renamed onto a dataset's file: imported now, replacing the dataset,
 * or back to its old name with the import's error. */
static int rename_replacing(struct fs *fs, struct ofile *o, const char *old)
{
	int rc;

	o->replace = 1;
	o->changed = 1;
	rc = settle_new(fs, o);
	if (!rc) {
		if (o->kept)
			fs_plain_forget(fs, o->key);
		fs_ofile_drop(fs, o, 1);
		return 0;
	}
	log_error("'%s' cannot replace dataset file '%s': %s", old, o->name,
		  o->reason);
	o->replace = 0;
	if (!set_name(fs, o, old) && o->kept)
		fs_plain_save(fs, o);
	return rc < 0 ? rc : -EINVAL;
}

int fs_rename_new(struct fs *fs, struct ofile *o, const char *newname,
		  unsigned flags)
{
	char old[sizeof(o->name)];
	const struct node *n;
	struct ofile *t;
	int plain = fs_plain_name(newname), exists = 0, rc = 0;

	if (plain < 0)
		return plain;
	if (flags & ~1u)	/* RENAME_EXCHANGE, RENAME_WHITEOUT */
		return -EINVAL;
	if (!o->st)
		return -ESTALE;
	if (!strcmp(o->name, newname))
		return 0;
	t = fs_find_new(fs, o->parent, newname);
	pthread_rwlock_rdlock(&fs->lock);
	n = fs_child(fs, o->parent, newname);
	if (n && n->is_dir)
		rc = -EISDIR;
	else if (n && n->png)
		rc = -EACCES;
	exists = n != NULL;
	pthread_rwlock_unlock(&fs->lock);
	if (!rc && (t || exists) && (flags & 1 /* RENAME_NOREPLACE */))
		rc = -EEXIST;
	if (rc)
		return rc;
	snprintf(old, sizeof(old), "%s", o->name);
	rc = set_name(fs, o, newname);
	if (rc)
		return rc;
	if (t)
		fs_unlink_new(fs, t);
	if (exists && !o->opens)
		return rename_replacing(fs, o, old);
	o->replace = exists;
	o->changed = 1;
	if (!o->opens)
		fs_release_new(fs, o);
	return 0;
}

void fs_adopt_new(struct fs *fs, const char *key, const char *name,
		  const struct cat_plain *row)
{
	struct ofile *o = calloc(1, sizeof(*o));
	struct stat sb;
	int rc;

	if (!o)
		return;
	o->ino = inode_new(fs->nnew++);
	o->parent = FS_ROOT_INO;
	o->is_new = 1;
	o->changed = 1;
	o->kept = 1;
	o->mtime = clock_wall_ns();
	catalog_meta_clear(&o->meta);
	snprintf(o->name, sizeof(o->name), "%s", name);
	snprintf(o->key, sizeof(o->key), "%s", key);
	rc = stage_open(fs->dir, key, STAGE_NEW, name, 0, &o->st);
	if (rc) {
		free(o);
		return;
	}
	if (stat(stage_data_path(o->st), &sb) == 0)
		o->mtime = (int64_t)sb.st_mtim.tv_sec * 1000000000 +
			sb.st_mtim.tv_nsec;
	if (row) {
		o->meta = row->m;
		if (row->m.mtime != CAT_TIME_UNSET)
			o->mtime = row->m.mtime;
	}
	fs_ofile_add(fs, o);
	rc = settle_new(fs, o);
	if (!rc) {
		fs_plain_forget(fs, key);
		fs_ofile_drop(fs, o, 1);
		log_warn("recovered '%s' left by an earlier mount: imported",
			 name);
		return;
	}
	fs_plain_save(fs, o);
	if (o->reason[0])
		log_warn("'%s', left by an earlier mount, is kept in staging/ "
			 "(staging/%s.data), not imported: %s", name, key,
			 o->reason);
	else
		log_info("plain file '%s' kept in staging/%s.data", name, key);
}
