/* SPDX-License-Identifier: MIT */
/* The tree a mount shows, built once from the catalog, and the operations on it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "catalog/catalog.h"
#include "catalog/gops.h"
#include "fs/fs_int.h"
#include "fs/refresh.h"
#include "fs/tree.h"
#include "fs/zarr_tree.h"

/* Bytes of quick-look PNGs kept at least (else 1/16 of the cache). */
#define QL_KEEP_MIN (4u << 20)

#define RUN_SLOTS 64            /* sequential readers tracked at once */

/* Seconds the kernel keeps attributes and entries of stored nodes: they
 * change only through this mount, which tells the kernel (fs_notify_fn).
 * Files being created change under it: never kept. After a change the
 * kernel asks again within CHANGED_TIMEOUT. */
#define STORED_TIMEOUT 86400.0
#define CHANGED_TIMEOUT 1.0

static uint64_t lease_gen(void *arg)
{
	struct fs *fs = arg;

	/* a handle reading the version it opened holds gc back like a
	 * reader that has not reloaded yet */
	return pins_oldest(&fs->pins, atomic_load(&fs->gen));
}

/* The tree of the reader's datasets, at mount (after any reload that
 * recovered journals made one), with the metadata rows of catalog c. */
static int build_first(struct fs *fs, struct catalog *c)
{
	int nds = reader_ndatasets(fs->r);
	struct cat_dataset **ds = calloc((size_t)nds + 1, sizeof(*ds));
	struct tree t;
	int rc;

	if (!ds)
		return -ENOMEM;
	for (int i = 0; i < nds; i++)
		ds[i] = reader_dataset(fs->r, i);
	rc = tree_build(&t, c, ds, nds, fs->zarr);
	free(ds);
	if (!rc) {
		tree_swap(fs, &t);
		tree_free(&t);
	}
	return rc;
}

int fs_new(const char *dir, const struct fs_opts *o, struct fs **out)
{
	struct catalog *c = NULL;
	struct fs *fs;
	int rc, ro = o->readonly;

	*out = NULL;
	fs = calloc(1, sizeof(*fs));
	if (!fs || !(fs->dir = strdup(dir))) {
		free(fs);
		return -ENOMEM;
	}
	pthread_rwlock_init(&fs->lock, NULL);
	pthread_rwlock_init(&fs->olock, NULL);
	pthread_mutex_init(&fs->wlock, NULL);
	pins_init(&fs->pins);
	fs->refresh_s = o->refresh;
	fs->plain_max = o->plain_max;
	catalog_meta_clear(&fs->root_meta);
	fs->zarr = !o->no_zarr;
	if (prefetch_init(&fs->pf) || !(fs->runs = runs_new(RUN_SLOTS))) {
		fs_free(fs);
		return -ENOMEM;
	}
	fs->notify = o->notify;
	fs->notify_arg = o->notify_arg;
	import_opts_init(&fs->iopts);
	fs->iopts.codec = o->codec;
	fs->iopts.bits = o->bits;
	if (o->crf >= 0)
		fs->iopts.crf = o->crf;
	fs->iopts.progress = 0;
	fs->iopts.compact_after = o->compact_after;
	if (!ro && access(dir, W_OK) == 0) {
		rc = catalog_open(dir, 0, &fs->wc);
		if (rc == -EROFS || rc == -EACCES) {
			log_warn("store '%s' is not writable (%s): mounting "
				 "read-only", dir, strerror(-rc));
			ro = 1;
		} else if (rc) {
			fs_free(fs);
			return rc;
		}
	} else if (!ro) {
		log_warn("store '%s' is not writable: mounting read-only", dir);
		ro = 1;
	}
	rc = quicklook_new(o->rgb, o->cache_size / 16 > QL_KEEP_MIN ?
			   o->cache_size / 16 : QL_KEEP_MIN, &fs->ql);
	if (rc) {
		if (rc == -EINVAL)
			log_error("invalid rgb '%s': three variable names or "
				  "band indices, as in rgb=B4,B3,B2 or "
				  "rgb=3,2,1", o->rgb);
		fs_free(fs);
		return rc;
	}
	rc = catalog_open(dir, CATALOG_RDONLY, &c);
	if (!rc) {
		uint64_t gen = 0;

		/* before the rows: the lease never claims a newer one */
		catalog_generation(ro ? c : fs->wc, &gen);
		atomic_store(&fs->gen, gen);
		rc = reader_new(ro ? c : fs->wc, o->cache_size, &fs->r);
	}
	if (!rc && fs->wc)
		fs_recover(fs);
	if (!rc)
		rc = build_first(fs, ro ? c : fs->wc);
	catalog_free(c);
	if (rc) {
		fs_free(fs);
		return rc;
	}
	*out = fs;
	return 0;
}

void fs_free(struct fs *fs)
{
	struct tree t = { 0 };

	if (!fs)
		return;
	refresh_stop(fs);
	store_lease_stop(fs->lease);
	prefetch_release(&fs->pf);
	runs_free(fs->runs);
	while (fs->open) {
		struct ofile *o = fs->open;

		fs->open = o->next;
		stage_free(o->st, 0);	/* kept in staging for the next mount */
		free(o);
	}
	tree_swap(fs, &t);
	tree_free(&t);
	reader_free(fs->r);
	quicklook_free(fs->ql);
	catalog_free(fs->wc);
	pthread_rwlock_destroy(&fs->lock);
	pthread_rwlock_destroy(&fs->olock);
	pthread_mutex_destroy(&fs->wlock);
	pins_destroy(&fs->pins);
	free(fs->dir);
	free(fs);
}

/* A worker's request: the view's GOPs from off, and ahead bytes more. */
static void prefetch_view(void *arg, uint64_t ino, uint64_t off,
			  uint64_t ahead)
{
	struct fs *fs = arg;
	const struct node *n;

	/* a handle reading an older version than the tree's has none */
	pthread_rwlock_rdlock(&fs->lock);
	n = fs_find_exact(fs, ino);
	if (n && n->view)
		reader_prefetch(fs->r, n->ds, n->view, off, ahead);
	else if (n && n->zarr)
		zarr_tree_prefetch(fs->r, n, off, ahead);
	pthread_rwlock_unlock(&fs->lock);
}

/*
 * SQLite connections must not cross a fork: the daemon's child holds none
 * of the parent's file locks, so other processes would think the WAL
 * unused, checkpoint it and delete it under the daemon. The connection
 * opened before the fork is closed and opened again in the process that
 * will use it.
 */
static void reopen_catalog(struct fs *fs)
{
	int rc;

	if (!fs->wc)
		return;
	catalog_free(fs->wc);
	fs->wc = NULL;
	rc = catalog_open(fs->dir, 0, &fs->wc);
	if (rc)
		log_error("cannot open the catalog of '%s' again after the "
			  "fork: %s; the mount is read-only", fs->dir,
			  strerror(-rc));
}

int fs_start(struct fs *fs)
{
	uint64_t span = reader_cache_budget(fs->r) / 2;
	int rc;

	reopen_catalog(fs);
	rc = store_lease_start(fs->dir, lease_gen, fs, &fs->lease);

	/* on a read-only share gc cannot run here, nor see this reader */
	if (rc == -EROFS)
		log_info("store '%s' is read-only: no reader lease", fs->dir);
	refresh_start(fs);

	/* half the cache: the GOPs ahead never evict the one being read */
	span = span < PF_SPAN_MIN ? PF_SPAN_MIN :
		span > PF_SPAN_MAX ? PF_SPAN_MAX : span;
	return prefetch_start(&fs->pf, span, prefetch_view, fs);
}

int fs_writable(const struct fs *fs)
{
	return fs->wc != NULL;
}

/* fs_reload_from(); carry: the change is this mount's own (pin.h). */
static int reload(struct fs *fs, struct catalog *c, struct stage **committed,
		  int carry)
{
	struct cat_dataset **ds, **now;
	int nnow;
	uint64_t gen = 0;
	struct tree t;
	int n, rc;

	/* the generation before the rows: the lease never claims a newer
	 * one than the tree holds */
	catalog_generation(c, &gen);
	/* the slow part (SQLite, the new tree) while reads go on: only this
	 * thread (wlock) loads, commits or swaps */
	rc = reader_load(fs->r, c, &ds, &n);
	if (rc)
		return rc;
	rc = tree_build(&t, c, ds, n, fs->zarr);
	if (rc) {
		catalog_dataset_free_all(ds, n);
		return rc;
	}
	pthread_rwlock_wrlock(&fs->olock);
	pthread_rwlock_wrlock(&fs->lock);
	now = ds;
	nnow = n;
	reader_swap(fs->r, &ds, &n);
	pins_swap(&fs->pins, ds, n, now, nnow, gen, carry);
	tree_swap(fs, &t);
	atomic_store(&fs->gen, gen);
	if (committed)
		*committed = NULL;
	pthread_rwlock_unlock(&fs->lock);
	pthread_rwlock_unlock(&fs->olock);
	/* before anyone can have read the new tree and run gc on it */
	store_lease_renew(fs->lease);
	/* no read can reach the old rows now: each took its pointers under
	 * the tree lock, and gave them up with it; those of retired pins
	 * are the pins' now (NULL here) */
	tree_free(&t);
	catalog_dataset_free_all(ds, n);
	return 0;
}

int fs_reload(struct fs *fs, struct stage **committed)
{
	return reload(fs, fs->wc, committed, 1);
}

int fs_reload_from(struct fs *fs, struct catalog *c,
		   struct stage **committed)
{
	return reload(fs, c, committed, 0);
}

#define find fs_find

/* Puts what m sets into a; times only if they are current (set since
 * the last commit). */
static void meta_attr(const struct cat_meta *m, int times,
		      struct fs_attr *a)
{
	a->mode = m->mode;
	a->uid = m->uid;
	a->gid = m->gid;
	a->atime = times ? m->atime : CAT_TIME_UNSET;
	if (times && m->mtime != CAT_TIME_UNSET)
		a->mtime = m->mtime;
}

static void attr_of(const struct fs *fs, const struct node *n,
		    struct fs_attr *a)
{
	a->ino = n->ino;
	a->is_dir = n->is_dir;
	a->readonly = n->png || n->zarr;
	a->size = n->view ? n->view->size : n->tlen;
	a->mtime = n->ds ? n->ds->mtime : fs->root_mtime;
	a->nlink = n->is_dir ? 2 + n->nsubdirs : 1;
	/* a commit tells the kernel of its root name, not of every chunk
	 * and array of a .zarr tree: those are looked up again soon */
	a->timeout = n->zarr ? CHANGED_TIMEOUT : STORED_TIMEOUT;
	meta_attr(n->ino == FS_ROOT_INO ? &fs->root_meta : &n->meta,
		  !n->ds || n->base_mtime == n->ds->mtime, a);
}

/*
 * The exact size of quick-look n (NULL or another node: nothing to do),
 * drawn if need be. The caller holds the tree lock but not olock: a
 * first drawing decodes a GOP, and must not hold up writers.
 */
static int png_attr(const struct fs *fs, const struct node *n,
		    struct fs_attr *a)
{
	return n && n->png ? quicklook_size(fs->ql, fs->r, n->ds, &a->size) :
		0;
}

/* Attributes of a file being written: its staged size, and new files. */
static void ofile_attr(const struct ofile *o, struct fs_attr *a)
{
	a->size = stage_size(o->st);
	a->mtime = o->mtime;
	if (o->is_new) {
		a->ino = o->ino;
		a->is_dir = 0;
		a->readonly = 0;
		a->nlink = 1;
		a->timeout = 0;
		meta_attr(&o->meta, 1, a);
	}
}

struct ofile *fs_find_new(struct fs *fs, uint64_t parent, const char *name)
{
	for (struct ofile *o = fs->open; o; o = o->next)
		if (o->is_new && !o->gone && o->parent == parent &&
		    !strcmp(o->name, name))
			return o;
	return NULL;
}

/* The attributes of ino as a retired version that a handle still reads
 * has them (the kernel asks for them while the handle is open); 0, or
 * -ENOENT if no handle holds that version. */
static int pinned_attr(struct fs *fs, uint64_t ino, struct fs_attr *a)
{
	const struct cat_view *w;
	struct pin *pin = pins_find_retired(&fs->pins, ino, &w);
	struct node n;

	if (!pin)
		return -ENOENT;
	n = (struct node){ .ino = ino, .ds = pin->ds, .view = w };
	attr_of(fs, &n, a);
	fs_unpin(fs, pin);
	return 0;
}

void fs_unpin(struct fs *fs, struct pin *pin)
{
	if (pin_drop(&fs->pins, pin))
		store_lease_renew(fs->lease);
}

/* The attributes of chunk file ino of a .zarr tree, or -ENOENT. */
static int chunk_attr(const struct fs *fs, uint64_t ino, struct fs_attr *a)
{
	uint64_t c;
	const struct node *dir = zarr_tree_chunk(fs, ino, &c);

	if (!dir)
		return -ENOENT;
	attr_of(fs, dir, a);
	zarr_tree_chunk_attr(dir, c, a);
	return 0;
}

int fs_getattr(struct fs *fs, uint64_t ino, struct fs_attr *a)
{
	const struct node *n;
	struct ofile *o;
	int rc = 0, here;

	pthread_rwlock_rdlock(&fs->lock);
	here = fs_find_exact(fs, ino) != NULL;
	pthread_rwlock_unlock(&fs->lock);
	if (!here && !pinned_attr(fs, ino, a))
		return 0;
	pthread_rwlock_rdlock(&fs->olock);
	pthread_rwlock_rdlock(&fs->lock);
	ino = fs_resolve(fs, ino);
	n = find(fs, ino);
	o = fs_ofile(fs, ino);
	if (n)
		attr_of(fs, n, a);
	else if (!o || !o->is_new)
		rc = chunk_attr(fs, ino, a);
	if (!rc && o && o->st && stage_dirty(o->st))
		ofile_attr(o, a);
	else if (!rc && o && o->is_new)
		ofile_attr(o, a);
	pthread_rwlock_unlock(&fs->olock);
	if (!rc)
		rc = png_attr(fs, n, a);
	pthread_rwlock_unlock(&fs->lock);
	return rc;
}

int fs_setattr(struct fs *fs, uint64_t ino, const uint64_t *size,
	       const struct cat_meta *m, struct fs_attr *a)
{
	int rc = size ? fs_truncate(fs, ino, *size) : 0;

	if (!rc && m)
		rc = fs_set_meta(fs, ino, m);

	if (!rc)
		rc = fs_getattr(fs, ino, a);
	if (!rc && a->timeout > CHANGED_TIMEOUT)
		a->timeout = CHANGED_TIMEOUT;
	return rc;
}

const struct node *fs_child(const struct fs *fs, uint64_t parent,
			    const char *name)
{
	for (size_t i = 0; i < fs->n; i++) {
		const struct node *n = &fs->nodes[i];

		if (n->parent == parent && n->ino != FS_ROOT_INO &&
		    !strcmp(n->name, name))
			return n;
	}
	return NULL;
}

int fs_lookup(struct fs *fs, uint64_t parent, const char *name,
	      struct fs_attr *a)
{
	const struct node *p, *n = NULL;
	struct ofile *o;
	int rc = -ENOENT;

	pthread_rwlock_rdlock(&fs->olock);
	pthread_rwlock_rdlock(&fs->lock);
	p = find(fs, parent);
	if (!p) {
		rc = -ENOENT;
	} else if (!p->is_dir) {
		rc = -ENOTDIR;
	} else if ((o = fs_find_new(fs, parent, name))) {
		ofile_attr(o, a);
		rc = 0;
	} else if ((n = fs_child(fs, parent, name))) {
		attr_of(fs, n, a);
		o = fs_ofile(fs, n->ino);
		if (o && o->st && stage_dirty(o->st))
			ofile_attr(o, a);
		rc = 0;
	} else if (p->zarr) {
		uint64_t c;

		rc = zarr_tree_lookup(p, name, &c);
		if (!rc) {
			attr_of(fs, p, a);
			zarr_tree_chunk_attr(p, c, a);
		}
	}
	pthread_rwlock_unlock(&fs->olock);
	if (!rc)
		rc = png_attr(fs, n, a);
	pthread_rwlock_unlock(&fs->lock);
	return rc;
}

int fs_readdir(struct fs *fs, uint64_t ino, off_t off,
	       int (*fn)(void *arg, const char *name, const struct fs_attr *a,
			 off_t next), void *arg)
{
	const struct node *d;
	struct fs_attr a;
	off_t pos = 0;
	int rc = 0;

	pthread_rwlock_rdlock(&fs->olock);
	pthread_rwlock_rdlock(&fs->lock);
	d = find(fs, ino);
	if (!d || !d->is_dir) {
		rc = d ? -ENOTDIR : -ENOENT;
		goto out;
	}
	if (off <= pos++) {
		attr_of(fs, d, &a);
		if (fn(arg, ".", &a, pos))
			goto out;
	}
	if (off <= pos++) {
		attr_of(fs, find(fs, d->parent), &a);
		if (fn(arg, "..", &a, pos))
			goto out;
	}
	for (size_t i = 0; i < fs->n; i++) {
		const struct node *n = &fs->nodes[i];

		if (n->parent != ino || n->ino == FS_ROOT_INO)
			continue;
		if (off <= pos++) {
			attr_of(fs, n, &a);
			if (fn(arg, n->name, &a, pos))
				goto out;
		}
	}
	if (d->zarr) {
		attr_of(fs, d, &a);
		if (zarr_tree_readdir(d, &a, off, pos, fn, arg))
			goto out;
	}
	for (struct ofile *o = fs->open; o; o = o->next) {
		/* one just imported, its view already in the tree, is
		 * listed once */
		if (!o->is_new || o->gone || o->parent != ino ||
		    fs_child(fs, ino, o->name))
			continue;
		if (off <= pos++) {
			ofile_attr(o, &a);
			if (fn(arg, o->name, &a, pos))
				goto out;
		}
	}
out:
	pthread_rwlock_unlock(&fs->lock);
	pthread_rwlock_unlock(&fs->olock);
	return rc;
}

ssize_t fs_read(struct fs *fs, uint64_t ino, uint64_t fh, void *buf,
		size_t len, off_t off)
{
	struct pin *pin = fh > FS_FH_COUNTED ? (struct pin *)(uintptr_t)fh :
		NULL;
	const struct cat_view *w = NULL;
	const struct node *n;
	struct read_hint h;
	int64_t id;
	struct ofile *o;
	ssize_t got;
	uint64_t size;

	if (off < 0)
		return -EINVAL;
	/* a staged file is read under olock, which keeps its journal as it
	 * is; a commit's swap (fs_reload) takes olock and the tree lock
	 * together, so a read sees the journal over the old rows, or the new
	 * rows alone */
	pthread_rwlock_rdlock(&fs->olock);
	o = fs_ofile(fs, ino);
	if (!o || !o->st || (!o->is_new && !stage_dirty(o->st))) {
		pthread_rwlock_unlock(&fs->olock);
		o = NULL;
	}
	pthread_rwlock_rdlock(&fs->lock);
	n = find(fs, ino);
	/* a handle that holds a version reads it, the tree's or a retired
	 * one (under the tree lock either way, which keeps the tree's) */
	if (!o && pin && inode_kind(ino, &id) == INODE_VIEW &&
	    !(w = pin_view(pin, id))) {
		got = -ESTALE;
	} else if (w) {
		runs_hint(fs->runs, ino, (uint64_t)off, len, &h);
		h.follow = prefetch_note(&fs->pf, ino, (uint64_t)off, len, &h);
		got = reader_read_view_hint(fs->r, pin->ds, w, buf, len,
					    (uint64_t)off, &h);
	} else if (o) {
		/* staged: the file as written so far */
		size = stage_size(o->st);
		len = (uint64_t)off >= size ? 0 : size - (uint64_t)off < len ?
			(size_t)(size - (uint64_t)off) : len;
		got = 0;
		if (len && n && n->view)
			got = reader_read_view(fs->r, n->ds, n->view, buf, len,
					       (uint64_t)off);
		if (got >= 0 && (size_t)got < len)
			memset((char *)buf + got, 0, len - (size_t)got);
		if (got >= 0)
			got = stage_overlay(o->st, buf, len, (uint64_t)off) ?
				-EIO : (ssize_t)len;
	} else if (!n || n->zarr) {
		got = zarr_tree_read(fs, n, ino, buf, len, (uint64_t)off);
	} else if (n->is_dir) {
		got = -EISDIR;
	} else if (n->png) {
		got = quicklook_read(fs->ql, fs->r, n->ds, buf, len,
				     (uint64_t)off);
	} else {
		/* one hint for the reader and read-ahead: they agree on
		 * whether this reader is sequential */
		runs_hint(fs->runs, ino, (uint64_t)off, len, &h);
		h.follow = prefetch_note(&fs->pf, ino, (uint64_t)off, len, &h);
		got = reader_read_view_hint(fs->r, n->ds, n->view, buf, len,
					    (uint64_t)off, &h);
	}
	pthread_rwlock_unlock(&fs->lock);
	if (o)
		pthread_rwlock_unlock(&fs->olock);
	return got;
}

int fs_gops_text(struct fs *fs, uint64_t ino, char **text)
{
	const struct node *n;
	int rc;

	*text = NULL;
	pthread_rwlock_rdlock(&fs->lock);
	n = find(fs, ino);
	if (!n)
		rc = inode_kind(ino, NULL) == INODE_NEW ? -ENODATA : -ENOENT;
	else if (n->zarr)
		rc = zarr_tree_gops_text(n, text);
	else if (!n->view)
		rc = -ENODATA;
	else
		rc = catalog_view_gops_text(n->ds, n->view, text);
	pthread_rwlock_unlock(&fs->lock);
	return rc;
}

void fs_stats(struct fs *fs, struct cache_stats *s)
{
	reader_stats(fs->r, s);
}

int fs_stats_text(struct fs *fs, char *buf, size_t cap)
{
	struct cache_stats s;
	struct codec_pool_stats d;
	int n;

	fs_stats(fs, &s);
	reader_decoder_stats(fs->r, &d);
	n = snprintf(buf, cap, "hits %llu\nmisses %llu\ndecodes %llu\n"
		     "waits %llu\nevictions %llu\nerrors %llu\nbytes %llu\n"
		     "budget %llu\nentries %llu\ndecoders_opened %llu\n"
		     "decoders_reused %llu\n",
		     (unsigned long long)s.hits, (unsigned long long)s.misses,
		     (unsigned long long)s.decodes, (unsigned long long)s.waits,
		     (unsigned long long)s.evictions,
		     (unsigned long long)s.errors, (unsigned long long)s.bytes,
		     (unsigned long long)s.budget, (unsigned long long)s.entries,
		     (unsigned long long)d.opened, (unsigned long long)d.reused);
	return n < 0 || (size_t)n >= cap ? -ERANGE : n;
}
