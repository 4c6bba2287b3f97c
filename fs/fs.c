/* SPDX-License-Identifier: MIT */
/* The tree a mount shows, built once from the catalog, and the operations on it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "codec/log.h"
#include "fs/fs.h"
#include "fs/reader.h"

struct node {
	uint64_t ino;
	uint64_t parent;
	const char *name;               /* owned by the dataset */
	int is_dir;
	struct cat_dataset *ds;
	const struct cat_view *view;    /* files only */
	unsigned nsubdirs;
};

struct fs {
	struct reader *r;
	struct node *nodes;             /* sorted by ino */
	size_t n;
	int64_t root_mtime;
};

/* Inodes: 1 the root, 2d+2 the directory of dataset d, 2v+3 view v. */
static uint64_t dir_ino(int64_t ds_id)
{
	return 2 * (uint64_t)ds_id + 2;
}

static uint64_t view_ino(int64_t view_id)
{
	return 2 * (uint64_t)view_id + 3;
}

static int by_ino(const void *a, const void *b)
{
	const struct node *x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static int build(struct fs *fs)
{
	size_t cap = 1;
	struct node *v;

	for (int i = 0; i < reader_ndatasets(fs->r); i++)
		cap += 1 + (size_t)reader_dataset(fs->r, i)->nviews;
	v = calloc(cap, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v[0] = (struct node){ .ino = FS_ROOT_INO, .parent = FS_ROOT_INO,
			      .name = "", .is_dir = 1 };
	fs->n = 1;
	for (int i = 0; i < reader_ndatasets(fs->r); i++) {
		struct cat_dataset *ds = reader_dataset(fs->r, i);
		int has_dir = 0;

		for (int k = 0; k < ds->nviews; k++) {
			const struct cat_view *w = &ds->views[k];

			has_dir |= w->in_dir;
			v[fs->n++] = (struct node){ .ino = view_ino(w->id),
				.parent = w->in_dir ? dir_ino(ds->id) :
					FS_ROOT_INO, .name = w->name, .ds = ds,
				.view = w };
		}
		if (has_dir) {
			v[fs->n++] = (struct node){ .ino = dir_ino(ds->id),
				.parent = FS_ROOT_INO, .name = ds->name,
				.is_dir = 1, .ds = ds };
			v[0].nsubdirs++;
		}
		if (ds->mtime > fs->root_mtime)
			fs->root_mtime = ds->mtime;
	}
	qsort(v, fs->n, sizeof(*v), by_ino);
	fs->nodes = v;
	return 0;
}

int fs_new(const char *dir, const struct fs_opts *o, struct fs **out)
{
	struct catalog *c = NULL;
	struct fs *fs;
	int rc;

	*out = NULL;
	fs = calloc(1, sizeof(*fs));
	if (!fs)
		return -ENOMEM;
	rc = catalog_open(dir, CATALOG_RDONLY, &c);
	if (!rc)
		rc = reader_new(c, o->cache_size, &fs->r);
	catalog_free(c);
	if (!rc)
		rc = build(fs);
	if (rc) {
		fs_free(fs);
		return rc;
	}
	*out = fs;
	return 0;
}

void fs_free(struct fs *fs)
{
	if (!fs)
		return;
	free(fs->nodes);
	reader_free(fs->r);
	free(fs);
}

static const struct node *find(const struct fs *fs, uint64_t ino)
{
	struct node key = { .ino = ino };

	return bsearch(&key, fs->nodes, fs->n, sizeof(key), by_ino);
}

static void attr_of(const struct fs *fs, const struct node *n,
		    struct fs_attr *a)
{
	a->ino = n->ino;
	a->is_dir = n->is_dir;
	a->size = n->view ? n->view->size : 0;
	a->mtime = n->ds ? n->ds->mtime : fs->root_mtime;
	a->nlink = n->is_dir ? 2 + n->nsubdirs : 1;
}

int fs_getattr(struct fs *fs, uint64_t ino, struct fs_attr *a)
{
	const struct node *n = find(fs, ino);

	if (!n)
		return -ENOENT;
	attr_of(fs, n, a);
	return 0;
}

int fs_lookup(struct fs *fs, uint64_t parent, const char *name,
	      struct fs_attr *a)
{
	const struct node *p = find(fs, parent);

	if (!p)
		return -ENOENT;
	if (!p->is_dir)
		return -ENOTDIR;
	for (size_t i = 0; i < fs->n; i++) {
		const struct node *n = &fs->nodes[i];

		if (n->parent == parent && n->ino != FS_ROOT_INO &&
		    !strcmp(n->name, name)) {
			attr_of(fs, n, a);
			return 0;
		}
	}
	return -ENOENT;
}

int fs_readdir(struct fs *fs, uint64_t ino, off_t off,
	       int (*fn)(void *arg, const char *name, const struct fs_attr *a,
			 off_t next), void *arg)
{
	const struct node *d = find(fs, ino);
	struct fs_attr a;
	off_t pos = 0;

	if (!d)
		return -ENOENT;
	if (!d->is_dir)
		return -ENOTDIR;
	if (off <= pos++) {
		attr_of(fs, d, &a);
		if (fn(arg, ".", &a, pos))
			return 0;
	}
	if (off <= pos++) {
		attr_of(fs, find(fs, d->parent), &a);
		if (fn(arg, "..", &a, pos))
			return 0;
	}
	for (size_t i = 0; i < fs->n; i++) {
		const struct node *n = &fs->nodes[i];

		if (n->parent != ino || n->ino == FS_ROOT_INO)
			continue;
		if (off <= pos++) {
			attr_of(fs, n, &a);
			if (fn(arg, n->name, &a, pos))
				return 0;
		}
	}
	return 0;
}

ssize_t fs_read(struct fs *fs, uint64_t ino, void *buf, size_t len,
		off_t off)
{
	const struct node *n = find(fs, ino);

	if (!n)
		return -ENOENT;
	if (n->is_dir)
		return -EISDIR;
	if (off < 0)
		return -EINVAL;
	return reader_read_view(fs->r, n->ds, n->view, buf, len,
				(uint64_t)off);
}

void fs_stats(struct fs *fs, struct cache_stats *s)
{
	reader_stats(fs->r, s);
}

int fs_stats_text(struct fs *fs, char *buf, size_t cap)
{
	struct cache_stats s;
	int n;

	fs_stats(fs, &s);
	n = snprintf(buf, cap, "hits %llu\nmisses %llu\ndecodes %llu\n"
		     "waits %llu\nevictions %llu\nerrors %llu\nbytes %llu\n"
		     "budget %llu\nentries %llu\n",
		     (unsigned long long)s.hits, (unsigned long long)s.misses,
		     (unsigned long long)s.decodes, (unsigned long long)s.waits,
		     (unsigned long long)s.evictions,
		     (unsigned long long)s.errors, (unsigned long long)s.bytes,
		     (unsigned long long)s.budget, (unsigned long long)s.entries);
	return n < 0 || (size_t)n >= cap ? -ERANGE : n;
}
