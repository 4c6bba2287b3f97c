/* SPDX-License-Identifier: MIT */
/* Plain files (names that are no dataset's, files not yet importable) and the metadata chmod, chown and utimens set. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "fs/fs_int.h"
#include "ingest/npy.h"
#include "ingest/source.h"

#define FILE_NAME_MAX 255

int fs_dataset_of(const char *file, char *name, size_t cap)
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

int fs_plain_name(const char *name)
{
	char ds[CATALOG_NAME_MAX + 1];
	size_t n = strlen(name);

	if (n > FILE_NAME_MAX)
		return -ENAMETOOLONG;
	if (!n || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '/')
			return -EINVAL;
	if ((n > 4 && !strcmp(name + n - 4, ".npy")) ||
	    (n > 3 && !strcmp(name + n - 3, ".nc")) ||
	    !strcmp(name, ".npy") || !strcmp(name, ".nc"))
		return fs_dataset_of(name, ds, sizeof(ds));
	return 1;
}

/* Why a .npy file is not complete yet (1, in why), or 0. */
static int npy_incomplete(const unsigned char *head, size_t got,
			  uint64_t size, char *why, size_t cap)
{
	struct npy_header h;
	int rc = npy_parse(head, got, &h);
	size_t isz;
	uint64_t need;

	if (rc == -EAGAIN && got < size)
		return 0;	/* a header longer than we read: let it be */
	if (rc == -EAGAIN) {
		snprintf(why, cap, "incomplete .npy header (%llu bytes)",
			 (unsigned long long)size);
		return 1;
	}
	if (rc)
		return 0;
	isz = dtype_size(h.dtype);
	if (isz && h.nelems > (UINT64_MAX - h.data_offset) / isz)
		return 0;
	need = h.data_offset + h.nelems * isz;
	if (size >= need)
		return 0;
	snprintf(why, cap, "incomplete: %llu of the %llu bytes its .npy header "
		 "announces", (unsigned long long)size,
		 (unsigned long long)need);
	return 1;
}

int fs_plain_reason(const char *path, uint64_t size, char *why, size_t cap)
{
	unsigned char head[4096];
	struct source *src = NULL;
	ssize_t got;
	int fd;

	if (!size) {
		snprintf(why, cap, "empty");
		return 1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, cap, "cannot open its journal: %s",
			 strerror(errno));
		return 1;
	}
	got = pread(fd, head, sizeof(head), 0);
	close(fd);
	if (got >= 6 && !memcmp(head, "\x93NUMPY", 6) &&
	    npy_incomplete(head, (size_t)got, size, why, cap))
		return 1;
	if (source_open(path, &src)) {
		snprintf(why, cap, "not a valid .npy or NetCDF file");
		return 1;
	}
	source_free(src);
	return 0;
}

void fs_meta_committed(struct fs *fs)
{
	uint64_t gen = 0;

	if (catalog_generation(fs->wc, &gen) == 0)
		atomic_store(&fs->gen, gen);
	store_lease_renew(fs->lease);
}

/* The rows a metadata transaction writes. */
enum meta_op { PUT_PLAIN, DROP_PLAIN, PUT_FATTR };

/*
 * Writes one metadata row in a transaction of its own, durable at the
 * next commit that syncs (catalog_set_lazy): tools set modes and times
 * one call at a time, and each would cost an fsync. Then the tree's
 * generation follows the catalog's.
 */
static int meta_txn(struct fs *fs, enum meta_op op, const void *row)
{
	struct catalog *c = fs->wc;
	int rc = catalog_set_lazy(c, 1);

	if (!rc)
		rc = catalog_begin(c);
	if (!rc)
		rc = catalog_end(c, op == PUT_PLAIN ? catalog_plain_put(c, row) :
				 op == DROP_PLAIN ? catalog_plain_delete(c, row) :
				 catalog_fattr_put(c, row));
	if (catalog_set_lazy(c, 0) && !rc)
		rc = -EIO;
	if (!rc)
		fs_meta_committed(fs);
	return rc;
}

int fs_plain_save(struct fs *fs, const struct ofile *o)
{
	struct cat_plain p = {
		.key = (char *)o->key, .name = (char *)o->name,
		.size = stage_size(o->st), .m = o->meta,
		.reason = o->reason[0] ? (char *)o->reason : NULL,
	};
	int rc;

	if (p.m.mtime == CAT_TIME_UNSET)
		p.m.mtime = o->mtime;
	rc = meta_txn(fs, PUT_PLAIN, &p);
	if (rc && rc != -ENOTSUP)
		log_warn("cannot record plain file '%s': %s", o->name,
			 strerror(-rc));
	return rc;
}

int fs_plain_forget(struct fs *fs, const char *key)
{
	return meta_txn(fs, DROP_PLAIN, key);
}

int fs_plain_room(struct fs *fs, const struct ofile *o, uint64_t end)
{
	uint64_t total = 0;

	if (!fs->plain_max || fs_plain_name(o->name) != 1)
		return 0;
	for (const struct ofile *x = fs->open; x; x = x->next) {
		uint64_t sz;

		if (!x->is_new || !x->st || fs_plain_name(x->name) != 1)
			continue;
		sz = stage_size(x->st);
		if (x == o && end > sz)
			sz = end;
		total += sz;
	}
	return total > fs->plain_max ? -ENOSPC : 0;
}

uint64_t fs_resolve(struct fs *fs, uint64_t ino)
{
	if (inode_kind(ino, NULL) != INODE_NEW || fs_ofile(fs, ino))
		return ino;
	for (unsigned i = 0; i < FS_ALIASES; i++)
		if (fs->alias[i].from == ino)
			return fs->alias[i].to;
	return ino;
}

void fs_alias_add(struct fs *fs, uint64_t ino, uint64_t to)
{
	pthread_rwlock_wrlock(&fs->olock);
	fs->alias[fs->nalias++ % FS_ALIASES] = (struct alias){ ino, to };
	pthread_rwlock_unlock(&fs->olock);
}

/* Sets m on stored node ino: its row, then the node (caller holds wlock,
 * so no swap replaces the tree meanwhile). */
static int set_node_meta(struct fs *fs, uint64_t ino, const struct cat_meta *m)
{
	struct cat_fattr fa = { 0 };
	struct node *n;
	int rc = 0;

	pthread_rwlock_rdlock(&fs->lock);
	n = (struct node *)fs_find(fs, ino);
	if (!n) {
		rc = -ENOENT;
	} else if (n->png) {
		rc = -EPERM;
	} else if (n->ds) {
		fa.dataset_id = n->ds->id;
		fa.view_id = n->view ? n->view->id : 0;
		fa.m = n->meta;
		if (n->base_mtime != n->ds->mtime)	/* a commit since */
			fa.m.atime = fa.m.mtime = CAT_TIME_UNSET;
		catalog_meta_merge(&fa.m, m);
		fa.base_mtime = n->ds->mtime;
	}
	pthread_rwlock_unlock(&fs->lock);
	if (rc)
		return rc;
	if (!fa.dataset_id) {	/* the root: this mount's only */
		pthread_rwlock_wrlock(&fs->lock);
		catalog_meta_merge(&fs->root_meta, m);
		pthread_rwlock_unlock(&fs->lock);
		return 0;
	}
	rc = meta_txn(fs, PUT_FATTR, &fa);
	if (rc)
		return rc == -ENOTSUP ? -EPERM : rc;
	pthread_rwlock_wrlock(&fs->lock);
	n = (struct node *)fs_find(fs, ino);
	if (n) {
		n->meta = fa.m;
		n->base_mtime = fa.base_mtime;
	}
	pthread_rwlock_unlock(&fs->lock);
	return 0;
}

int fs_set_meta(struct fs *fs, uint64_t ino, const struct cat_meta *m)
{
	int rc;

	if (!fs->wc)
		return -EROFS;
	pthread_mutex_lock(&fs->wlock);
	rc = fs_set_meta_locked(fs, ino, m);
	pthread_mutex_unlock(&fs->wlock);
	return rc;
}

int fs_set_meta_locked(struct fs *fs, uint64_t ino, const struct cat_meta *m)
{
	uint64_t to = fs_resolve(fs, ino);
	struct ofile *o = fs_ofile(fs, to);
	int rc = 0;

	if (o && o->is_new) {
		pthread_rwlock_wrlock(&fs->olock);
		catalog_meta_merge(&o->meta, m);
		if (m->mtime != CAT_TIME_UNSET)
			o->mtime = m->mtime;
		pthread_rwlock_unlock(&fs->olock);
		if (o->kept)
			rc = fs_plain_save(fs, o);
		if (rc == -ENOTSUP)
			rc = 0;
	} else {
		rc = set_node_meta(fs, to, m);
	}
	/* a new file imported since: the kernel may hold the view's old
	 * attributes under the view's own inode */
	if (!rc && to != ino)
		fs_notify(fs, to, 0, NULL);
	return rc;
}
