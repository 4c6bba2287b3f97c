/* SPDX-License-Identifier: MIT */
/* The tree a mount shows: its nodes built from the datasets' rows, sorted by inode number, found by number. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/fs_int.h"
#include "fs/tree.h"
#include "fs/zarr_tree.h"

static int by_ino(const void *a, const void *b)
{
	const struct node *x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

const struct node *fs_find_exact(const struct fs *fs, uint64_t ino)
{
	struct node key = { .ino = ino };

	return bsearch(&key, fs->nodes, fs->n, sizeof(key), by_ino);
}

/* The node of view id in nodes[0..n) (sorted by ino), at whatever
 * version, or NULL: numbers of one view sort together, by version. */
static struct node *find_view(struct node *nodes, size_t n, int64_t id)
{
	uint64_t first = inode_view(id, 0);
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (nodes[mid].ino < first)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < n && inode_same_file(nodes[lo].ino, first))
		return &nodes[lo];
	return NULL;
}

void tree_free(struct tree *t)
{
	for (size_t i = 0; t->nodes && i < t->n; i++) {
		free(t->nodes[i].own);
		free(t->nodes[i].text);
	}
	free(t->nodes);
	*t = (struct tree){ 0 };
}

/* The dataset called name in ds[0..nds), or NULL. */
static const struct cat_dataset *named(struct cat_dataset *const *ds,
				       int nds, const char *name)
{
	for (int i = 0; i < nds; i++)
		if (!strcmp(ds[i]->name, name))
			return ds[i];
	return NULL;
}

/* Adds the quick-look of ds unless a dataset takes its name. */
static int add_png(struct tree *t, struct cat_dataset *ds,
		   struct cat_dataset *const *all, int nds)
{
	char *name;

	if (!quicklook_has(ds))
		return 0;
	if (asprintf(&name, "%s.png", ds->name) < 0)
		return -ENOMEM;
	if (named(all, nds, name)) {
		free(name);
		return 0;
	}
	t->nodes[t->n++] = (struct node){ .ino = inode_png(ds->id),
		.parent = FS_ROOT_INO, .name = name, .own = name, .png = 1,
		.ds = ds };
	return 0;
}

/* Gives the nodes of t the metadata rows fa[0..nfa) set on them. */
static void attach_meta(struct tree *t, const struct cat_fattr *fa,
			size_t nfa)
{
	for (size_t i = 0; i < t->n; i++)
		catalog_meta_clear(&t->nodes[i].meta);
	for (size_t i = 0; i < nfa; i++) {
		struct node key = { .ino =
			inode_dataset_dir(fa[i].dataset_id) };
		struct node *n = fa[i].view_id ?
			find_view(t->nodes, t->n, fa[i].view_id) :
			bsearch(&key, t->nodes, t->n, sizeof(key), by_ino);

		if (n && n->ds && n->ds->id == fa[i].dataset_id && !n->png) {
			n->meta = fa[i].m;
			n->base_mtime = fa[i].base_mtime;
		}
	}
}

/* Adds the .zarr tree of ds unless a dataset takes its name. */
static int add_zarr(struct tree *t, struct cat_dataset *ds,
		    struct cat_dataset *const *all, int nds)
{
	char name[CATALOG_NAME_MAX + 8];

	snprintf(name, sizeof(name), "%s.zarr", ds->name);
	return named(all, nds, name) ? 0 : zarr_tree_add(t->nodes, &t->n, ds);
}

/* Builds the tree of datasets ds[0..nds) into t (no lock: t is new), with
 * the metadata rows fa[0..nfa), and their .zarr trees if zarr. */
static int build(struct tree *t, struct cat_dataset *const *ds, int nds,
		 const struct cat_fattr *fa, size_t nfa, int zarr)
{
	size_t cap = 1;
	struct node *v;

	*t = (struct tree){ 0 };
	for (int i = 0; i < nds; i++)
		cap += 2 + (size_t)ds[i]->nviews +
			(zarr ? ZARR_TREE_NODES(ds[i]) : 0);
	v = calloc(cap, sizeof(*v));
	if (!v)
		return -ENOMEM;
	t->nodes = v;
	v[0] = (struct node){ .ino = FS_ROOT_INO, .parent = FS_ROOT_INO,
			      .name = "", .is_dir = 1 };
	t->n = 1;
	for (int i = 0; i < nds; i++) {
		struct cat_dataset *d = ds[i];
		int has_dir = 0;

		for (int k = 0; k < d->nviews; k++) {
			const struct cat_view *w = &d->views[k];

			has_dir |= w->in_dir;
			v[t->n++] = (struct node){
				.ino = inode_view(w->id, d->version),
				.parent = w->in_dir ?
					inode_dataset_dir(d->id) : FS_ROOT_INO,
				.name = w->name, .ds = d, .view = w };
		}
		if (has_dir) {
			v[t->n++] = (struct node){
				.ino = inode_dataset_dir(d->id),
				.parent = FS_ROOT_INO, .name = d->name,
				.is_dir = 1, .ds = d };
			v[0].nsubdirs++;
		}
		if (add_png(t, d, ds, nds) ||
		    (zarr && add_zarr(t, d, ds, nds))) {
			tree_free(t);
			return -ENOMEM;
		}
		if (d->mtime > t->root_mtime)
			t->root_mtime = d->mtime;
	}
	qsort(v, t->n, sizeof(*v), by_ino);
	attach_meta(t, fa, nfa);
	return 0;
}

int tree_build(struct tree *t, struct catalog *c,
	       struct cat_dataset *const *ds, int nds, int zarr)
{
	struct cat_fattr *fa = NULL;
	size_t nfa = 0;
	int rc = catalog_fattr_load_all(c, &fa, &nfa);

	if (!rc)
		rc = build(t, ds, nds, fa, nfa, zarr);
	free(fa);
	return rc;
}

void tree_swap(struct fs *fs, struct tree *t)
{
	struct tree old = { fs->nodes, fs->n, fs->root_mtime };

	fs->nodes = t->nodes;
	fs->n = t->n;
	fs->root_mtime = t->root_mtime;
	*t = old;
}

const struct node *fs_find(const struct fs *fs, uint64_t ino)
{
	const struct node *n = fs_find_exact(fs, ino);
	int64_t id;

	if (n || inode_kind(ino, &id) != INODE_VIEW)
		return n;
	return find_view(fs->nodes, fs->n, id);
}

