/* SPDX-License-Identifier: MIT */
/* The <dataset>.zarr/ trees: metadata nodes built with the tree, chunk files computed from their array. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "catalog/gops.h"
#include "fs/fs_int.h"
#include "fs/zarr_tree.h"
#include "ingest/zarr.h"

/* A metadata file node: takes *doc. */
static void add_doc(struct node *v, size_t *n, uint64_t ino, uint64_t parent,
		    const char *name, struct cat_dataset *ds, int var,
		    char **doc)
{
	v[(*n)++] = (struct node){ .ino = ino, .parent = parent,
		.name = name, .ds = ds, .zarr = 1, .var = var, .text = *doc,
		.tlen = strlen(*doc) };
	*doc = NULL;
}

int zarr_tree_add(struct node *v, size_t *n, struct cat_dataset *ds)
{
	struct zarr_meta m;
	uint64_t root = inode_zarr(ds->id, ZARR_ROOT);
	struct node *r;
	char *name;
	int rc;

	if (ds->id > INODE_ZARR_ID_MAX) {
		log_warn("dataset '%s': its id is too large for a .zarr view",
			 ds->name);
		return 0;
	}
	rc = zarr_meta_build(ds, &m);
	if (rc)
		return rc;
	if (asprintf(&name, "%s.zarr", ds->name) < 0) {
		zarr_meta_release(&m);
		return -ENOMEM;
	}
	r = &v[*n];
	v[(*n)++] = (struct node){ .ino = root, .parent = FS_ROOT_INO,
		.name = name, .own = name, .is_dir = 1, .ds = ds, .zarr = 1 };
	v[0].nsubdirs++;
	add_doc(v, n, inode_zarr(ds->id, ZARR_ZGROUP), root, ".zgroup", ds,
		-1, &m.zgroup);
	add_doc(v, n, inode_zarr(ds->id, ZARR_ZATTRS), root, ".zattrs", ds,
		-1, &m.zattrs);
	add_doc(v, n, inode_zarr(ds->id, ZARR_ZMETADATA), root, ".zmetadata",
		ds, -1, &m.zmetadata);
	for (int i = 0; i < m.narrays; i++) {
		struct zarr_array *a = &m.arrays[i];
		const struct cat_var *cv = &ds->vars[a->var];
		uint64_t dir = inode_zarr(cv->id, ZARR_ARRAY);

		/* .zmetadata names it: a reader finds no chunks there */
		if (cv->id > INODE_ZARR_VAR_MAX) {
			log_warn("dataset '%s': variable '%s' has an id too "
				 "large for its .zarr chunks", ds->name,
				 cv->name);
			continue;
		}
		v[(*n)++] = (struct node){ .ino = dir, .parent = root,
			.name = cv->name, .is_dir = 1, .ds = ds, .zarr = 1,
			.var = a->var };
		r->nsubdirs++;
		add_doc(v, n, inode_zarr(cv->id, ZARR_ARRAY_ZARRAY), dir,
			".zarray", ds, a->var, &a->zarray);
		add_doc(v, n, inode_zarr(cv->id, ZARR_ARRAY_ZATTRS), dir,
			".zattrs", ds, a->var, &a->zattrs);
	}
	zarr_meta_release(&m);
	return 0;
}

/* The variable of a .zarr node. */
static const struct cat_var *var_of(const struct node *dir)
{
	return &dir->ds->vars[dir->var];
}

/* 1 if dir is an array's directory. */
static int is_array(const struct node *dir)
{
	return dir->zarr && dir->is_dir &&
		inode_zarr_part_of(dir->ino) == ZARR_ARRAY;
}

const struct node *zarr_tree_chunk(const struct fs *fs, uint64_t ino,
				   uint64_t *c)
{
	const struct node *dir;
	uint64_t nch, ce;
	int64_t vid;

	if (inode_kind(ino, &vid) != INODE_ZARR_CHUNK)
		return NULL;
	dir = fs_find(fs, inode_zarr(vid, ZARR_ARRAY));
	if (!dir || !is_array(dir))
		return NULL;
	zarr_chunks(var_of(dir), &nch, &ce);
	*c = inode_zarr_chunk_of(ino);
	return *c < nch ? dir : NULL;
}

/* The bytes of each chunk of array dir. */
static uint64_t chunk_bytes(const struct node *dir)
{
	const struct cat_var *v = var_of(dir);
	uint64_t nch, ce;

	zarr_chunks(v, &nch, &ce);
	return ce * dtype_size(v->dtype);
}

void zarr_tree_chunk_attr(const struct node *dir, uint64_t c,
			  struct fs_attr *a)
{
	a->ino = inode_zarr_chunk(var_of(dir)->id, c);
	a->is_dir = 0;
	a->readonly = 1;
	a->size = chunk_bytes(dir);
	a->nlink = 1;
}

int zarr_tree_lookup(const struct node *dir, const char *name, uint64_t *c)
{
	return is_array(dir) ? zarr_chunk_parse(var_of(dir), name, c) :
		-ENOENT;
}

int zarr_tree_readdir(const struct node *dir, const struct fs_attr *dir_attr,
		      off_t off, off_t pos,
		      int (*fn)(void *arg, const char *name,
				const struct fs_attr *a, off_t next),
		      void *arg)
{
	const struct cat_var *v;
	uint64_t nch, ce;
	char name[ZARR_NAME_MAX];

	if (!is_array(dir))
		return 0;
	v = var_of(dir);
	zarr_chunks(v, &nch, &ce);
	for (uint64_t c = off > pos ? (uint64_t)(off - pos) : 0; c < nch;
	     c++) {
		struct fs_attr a = *dir_attr;

		if (zarr_chunk_name(v, c, name, sizeof(name)) < 0)
			return 0;
		zarr_tree_chunk_attr(dir, c, &a);
		if (fn(arg, name, &a, pos + (off_t)c + 1))
			return 1;
	}
	return 0;
}

/*
 * Array dir's variable as one flat file: its elements from the first,
 * little-endian, no header (the .npy view's data). Chunk c's bytes are
 * [c * chunk bytes, (c + 1) * chunk bytes) of it, so that reads of one
 * chunk after another make one sequential run for the reader and for
 * read-ahead, keyed by the array directory's inode.
 */
static void flat_view(const struct node *dir, struct cat_view *w,
		      struct cat_extent *x)
{
	const struct cat_var *v = var_of(dir);

	*x = (struct cat_extent){ .kind = EXTENT_VAR, .var = dir->var,
		.length = catalog_var_elems(v) * dtype_size(v->dtype) };
	*w = (struct cat_view){ .id = -1, .size = x->length, .nextents = 1,
		.extents = x };
}

ssize_t zarr_tree_read(struct fs *fs, const struct node *n, uint64_t ino,
		       void *buf, size_t len, uint64_t off)
{
	struct cat_extent x;
	struct cat_view w;
	struct read_hint h;
	uint64_t c, size;

	if (n) {
		if (!n->text)
			return -EISDIR;
		if (off >= n->tlen)
			return 0;
		if (len > n->tlen - off)
			len = (size_t)(n->tlen - off);
		memcpy(buf, n->text + off, len);
		return (ssize_t)len;
	}
	n = zarr_tree_chunk(fs, ino, &c);
	if (!n)
		return -ENOENT;
	flat_view(n, &w, &x);
	size = chunk_bytes(n);
	if (off >= size)
		return 0;
	if (len > size - off)
		len = (size_t)(size - off);
	off += c * size;
	runs_hint(fs->runs, n->ino, off, len, &h);
	h.follow = prefetch_note(&fs->pf, n->ino, off, len, &h);
	return reader_read_view_hint(fs->r, n->ds, &w, buf, len, off, &h);
}

int zarr_tree_gops_text(const struct node *dir, char **text)
{
	struct cat_extent x;
	struct cat_view w;

	*text = NULL;
	if (!is_array(dir))
		return -ENODATA;
	flat_view(dir, &w, &x);
	return catalog_view_gops_text(dir->ds, &w, text);
}

void zarr_tree_prefetch(struct reader *r, const struct node *dir,
			uint64_t off, uint64_t ahead)
{
	struct cat_extent x;
	struct cat_view w;

	if (!is_array(dir))
		return;
	flat_view(dir, &w, &x);
	reader_prefetch(r, dir->ds, &w, off, ahead);
}

int zarr_tree_refuse(uint64_t ino, uint64_t parent, const char *name)
{
	size_t k = name ? strlen(name) : 0;

	if (ino && inode_kind(ino, NULL) >= INODE_ZARR)
		return -EROFS;
	if (parent && inode_kind(parent, NULL) >= INODE_ZARR)
		return -EROFS;
	if (parent == FS_ROOT_INO && k > 5 && !strcmp(name + k - 5, ".zarr"))
		return -EROFS;
	return 0;
}
