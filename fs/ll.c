/* SPDX-License-Identifier: MIT */
/* The only file that answers FUSE requests: core results become fuse_reply_* calls. */
#define FUSE_USE_VERSION 312

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <fuse_lowlevel.h>

#include "fs/fs.h"
#include "fs/ll.h"
#include "fs/ll_int.h"
#include "fs/zarr_tree.h"

static struct fs *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static void to_stat(const struct fs_attr *a, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	int64_t at = a->atime != CAT_TIME_UNSET ? a->atime : a->mtime;

	st->st_ino = a->ino;
	st->st_mode = a->is_dir ? S_IFDIR | 0755 :
		S_IFREG | (a->readonly ? 0444 : 0644);
	if (a->mode >= 0 && !a->readonly)
		st->st_mode = (st->st_mode & S_IFMT) | (mode_t)(a->mode & 07777);
	st->st_nlink = a->nlink;
	st->st_size = (off_t)a->size;
	st->st_blksize = 1 << 20;
	st->st_blocks = (blkcnt_t)((a->size + 511) / 512);
	st->st_uid = a->uid >= 0 ? (uid_t)a->uid : getuid();
	st->st_gid = a->gid >= 0 ? (gid_t)a->gid : getgid();
	st->st_mtim.tv_sec = a->mtime / 1000000000;
	st->st_mtim.tv_nsec = a->mtime % 1000000000;
	st->st_ctim = st->st_mtim;
	st->st_atim.tv_sec = at / 1000000000;
	st->st_atim.tv_nsec = at % 1000000000;
}

/* Replies to a lookup (fi NULL) or a create (fi) with a's entry. */
static void reply_entry(fuse_req_t req, const struct fs_attr *a,
			struct fuse_file_info *fi)
{
	struct fuse_entry_param e;

	memset(&e, 0, sizeof(e));
	e.ino = a->ino;
	e.attr_timeout = a->timeout;
	e.entry_timeout = a->timeout;
	to_stat(a, &e.attr);
	if (fi)
		fuse_reply_create(req, &e, fi);
	else
		fuse_reply_entry(req, &e);
}

/* Replies to getattr or setattr: a's attributes, or the error rc. */
static void reply_attr(fuse_req_t req, int rc, const struct fs_attr *a)
{
	struct stat st;

	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	to_stat(a, &st);
	fuse_reply_attr(req, &st, a->timeout);
}

static void ll_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	if (conn->capable & FUSE_CAP_ASYNC_READ)
		conn->want |= FUSE_CAP_ASYNC_READ;
	conn->want &= ~(unsigned)FUSE_CAP_AUTO_INVAL_DATA;
	conn->max_read = MAX_READ;
	conn->max_readahead = MAX_READ;
}

static void ll_destroy(void *userdata)
{
	fs_commit_all(userdata);
}

static void ll_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fs_attr a;
	int rc = fs_lookup(fs_of(req), parent, name, &a);

	if (rc)
		fuse_reply_err(req, -rc);
	else
		reply_entry(req, &a, NULL);
}

static void ll_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct fs_attr a;
	int rc = fs_getattr(fs_of(req), ino, &a);

	(void)fi;
	reply_attr(req, rc, &a);
}

static void ll_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs_attr a;
	int rc = fs_getattr(fs_of(req), ino, &a);
	uint64_t fh = 0;

	/* looked up just before a commit replaced it (a new file imported
	 * at its release, which close(2) does not wait for): the kernel
	 * retries an open that fails with ESTALE with a fresh lookup */
	if (rc == -ENOENT)
		rc = -ESTALE;
	if (!rc && a.is_dir)
		rc = -EISDIR;
	if (!rc && ((fi->flags & O_ACCMODE) != O_RDONLY ||
		    (fi->flags & O_TRUNC)))
		rc = zarr_tree_refuse(ino, 0, NULL);
	if (!rc)
		rc = fs_open(fs_of(req), ino, fi->flags, &fh);
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	/* .zarr files are not told of commits (chunks are many): their
	 * pages are read again at each open */
	fi->keep_cache = (fi->flags & O_ACCMODE) == O_RDONLY &&
		!zarr_tree_refuse(ino, 0, NULL);
	fi->fh = fh;	/* the core's word for the handle */
	fuse_reply_open(req, fi);
}

static void ll_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, struct fuse_file_info *fi)
{
	struct fs_attr a;
	int rc = zarr_tree_refuse(0, parent, name);

	if (!rc)
		rc = fs_create(fs_of(req), parent, name, (int)(mode & 07777),
			       &a);
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	fi->fh = FS_FH_COUNTED;	/* fs_create counted this handle */
	reply_entry(req, &a, fi);
}

static void ll_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		     size_t size, off_t off, struct fuse_file_info *fi)
{
	ssize_t n = zarr_tree_refuse(ino, 0, NULL);

	if (!n)
		n = fs_write(fs_of(req), ino, buf, size, off);

	(void)fi;
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_write(req, (size_t)n);
}

/* A time of setattr in ns: now, or the one given. */
static int64_t set_time(int now, const struct timespec *t)
{
	struct timespec ts;

	if (now) {
		clock_gettime(CLOCK_REALTIME, &ts);
		t = &ts;
	}
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static void ll_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		       int to_set, struct fuse_file_info *fi)
{
	uint64_t size = (uint64_t)attr->st_size;
	struct cat_meta m;
	struct fs_attr a;
	int any = 0, rc = 0;

	(void)fi;
	catalog_meta_clear(&m);
	if (to_set & FUSE_SET_ATTR_MODE) {
		m.mode = (int32_t)(attr->st_mode & 07777);
		any = 1;
	}
	if (to_set & FUSE_SET_ATTR_UID) {
		m.uid = attr->st_uid;
		any = 1;
	}
	if (to_set & FUSE_SET_ATTR_GID) {
		m.gid = attr->st_gid;
		any = 1;
	}
	if (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_ATIME_NOW)) {
		m.atime = set_time(to_set & FUSE_SET_ATTR_ATIME_NOW,
				   &attr->st_atim);
		any = 1;
	}
	if (to_set & (FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW)) {
		m.mtime = set_time(to_set & FUSE_SET_ATTR_MTIME_NOW,
				   &attr->st_mtim);
		any = 1;
	}
	/* a .zarr tree is read-only, its times too */
	if (any || (to_set & FUSE_SET_ATTR_SIZE))
		rc = zarr_tree_refuse(ino, 0, NULL);
	if (!rc)
		rc = fs_setattr(fs_of(req), ino, to_set & FUSE_SET_ATTR_SIZE ?
				&size : NULL, any ? &m : NULL, &a);
	reply_attr(req, rc, &a);
}

static void ll_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)fi;
	fuse_reply_err(req, -fs_flush(fs_of(req), ino));
}

static void ll_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		     struct fuse_file_info *fi)
{
	(void)datasync;
	(void)fi;
	fuse_reply_err(req, -fs_fsync(fs_of(req), ino));
}

static void ll_release(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	fuse_reply_err(req, -fs_release(fs_of(req), ino, fi->fh));
}

static void ll_fallocate(fuse_req_t req, fuse_ino_t ino, int mode,
			 off_t off, off_t len, struct fuse_file_info *fi)
{
	struct fs_attr a;
	int rc;

	(void)fi;
	if (mode & ~FALLOC_FL_KEEP_SIZE) {
		fuse_reply_err(req, EOPNOTSUPP);
		return;
	}
	rc = zarr_tree_refuse(ino, 0, NULL);
	if (!rc)
		rc = fs_getattr(fs_of(req), ino, &a);
	/* staged files have no blocks to reserve: only the size matters */
	if (!rc && !(mode & FALLOC_FL_KEEP_SIZE) &&
	    (uint64_t)(off + len) > a.size)
		rc = fs_truncate(fs_of(req), ino, (uint64_t)(off + len));
	fuse_reply_err(req, -rc);
}

static void ll_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	int rc = zarr_tree_refuse(0, parent, name);

	fuse_reply_err(req, rc ? -rc : -fs_unlink(fs_of(req), parent, name));
}

/* No folders: datasets and plain files live in the root. */
static void ll_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode)
{
	(void)parent;
	(void)name;
	(void)mode;
	fuse_reply_err(req, fs_writable(fs_of(req)) ? EPERM : EROFS);
}

static void ll_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	(void)parent;
	(void)name;
	fuse_reply_err(req, fs_writable(fs_of(req)) ? EPERM : EROFS);
}

static void ll_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		      fuse_ino_t newparent, const char *newname,
		      unsigned int flags)
{
	int rc = zarr_tree_refuse(0, parent, name);

	if (!rc)
		rc = zarr_tree_refuse(0, newparent, newname);
	if (!rc)
		rc = fs_rename(fs_of(req), parent, name, newparent, newname,
			       flags);
	fuse_reply_err(req, -rc);
}

static pthread_key_t read_key;
static pthread_once_t read_once = PTHREAD_ONCE_INIT;
static int have_read_key;

static void make_read_key(void)
{
	have_read_key = !pthread_key_create(&read_key, free);
}

/* The calling thread's reply buffer, MAX_READ bytes, freed when the
 * thread ends: a buffer made for each read would be mapped, faulted in
 * page by page and unmapped again every time. NULL if there is none
 * (the caller makes its own). */
static char *read_buf(void)
{
	char *b;

	pthread_once(&read_once, make_read_key);
	if (!have_read_key)
		return NULL;
	b = pthread_getspecific(read_key);
	if (!b && (b = malloc(MAX_READ)) && pthread_setspecific(read_key, b)) {
		free(b);
		b = NULL;
	}
	return b;
}

static void ll_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	char *buf, *own = NULL;
	ssize_t n;

	if (size > MAX_READ)
		size = MAX_READ;
	buf = read_buf();
	if (!buf && !(buf = own = malloc(size ? size : 1))) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	n = fs_read(fs_of(req), ino, fi->fh, buf, size, off);
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_buf(req, buf, (size_t)n);
	free(own);
}

struct dirbuf {
	fuse_req_t req;
	char *buf;
	size_t size, cap;
};

static int add_entry(void *arg, const char *name, const struct fs_attr *a,
		     off_t next)
{
	struct dirbuf *d = arg;
	struct stat st;
	size_t need;

	to_stat(a, &st);
	need = fuse_add_direntry(d->req, NULL, 0, name, NULL, 0);
	if (d->size + need > d->cap)
		return 1;
	fuse_add_direntry(d->req, d->buf + d->size, d->cap - d->size, name, &st,
			  next);
	d->size += need;
	return 0;
}

static void ll_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct dirbuf d = { .req = req, .cap = size };
	int rc;

	(void)fi;
	d.buf = malloc(size ? size : 1);
	if (!d.buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	rc = fs_readdir(fs_of(req), ino, off, add_entry, &d);
	if (rc)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_buf(req, d.buf, d.size);
	free(d.buf);
}

static void ll_opendir(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct fs_attr a;
	int rc = fs_getattr(fs_of(req), ino, &a);

	if (!rc && !a.is_dir)
		rc = -ENOTDIR;
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	fi->cache_readdir = 1;
	fi->keep_cache = 1;
	fuse_reply_open(req, fi);
}

static void ll_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv;

	(void)ino;
	memset(&sv, 0, sizeof(sv));
	sv.f_bsize = sv.f_frsize = 4096;
	sv.f_namemax = 255;
	fuse_reply_statfs(req, &sv);
}

/* Replies to a getxattr of value text (len bytes) asked with size. */
static void reply_xattr(fuse_req_t req, const char *text, size_t len,
			size_t size)
{
	if (size == 0)
		fuse_reply_xattr(req, len);
	else if (len > size)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, text, len);
}

static void ll_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			size_t size)
{
	char text[1024], *gops;
	int n;

	if (ino != FS_ROOT_INO && !strcmp(name, CUBEFS_XATTR_GOPS)) {
		n = fs_gops_text(fs_of(req), ino, &gops);
		if (n < 0)
			fuse_reply_err(req, -n);
		else
			reply_xattr(req, gops, (size_t)n, size);
		free(gops);
		return;
	}
	if (ino != FS_ROOT_INO || strcmp(name, CUBEFS_XATTR_STATS)) {
		fuse_reply_err(req, ENODATA);
		return;
	}
	n = fs_stats_text(fs_of(req), text, sizeof(text));
	if (n < 0)
		fuse_reply_err(req, ERANGE);
	else
		reply_xattr(req, text, (size_t)n, size);
}

static void ll_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	static const char stats[] = CUBEFS_XATTR_STATS;
	static const char gops[] = CUBEFS_XATTR_GOPS;
	char *text = NULL;

	if (ino == FS_ROOT_INO) {
		reply_xattr(req, stats, sizeof(stats), size);
		return;
	}
	/* a view lists the GOP layout only where it has one */
	if (fs_gops_text(fs_of(req), ino, &text) >= 0)
		reply_xattr(req, gops, sizeof(gops), size);
	else
		reply_xattr(req, "", 0, size);
	free(text);
}

const struct fuse_lowlevel_ops ll_ops = {
	.init = ll_init,
	.destroy = ll_destroy,
	.lookup = ll_lookup,
	.getattr = ll_getattr,
	.open = ll_open,
	.read = ll_read,
	.opendir = ll_opendir,
	.readdir = ll_readdir,
	.statfs = ll_statfs,
	.getxattr = ll_getxattr,
	.listxattr = ll_listxattr,
	.create = ll_create,
	.write = ll_write,
	.setattr = ll_setattr,
	.flush = ll_flush,
	.fsync = ll_fsync,
	.release = ll_release,
	.unlink = ll_unlink,
	.fallocate = ll_fallocate,
	.rename = ll_rename,
	.mkdir = ll_mkdir,
	.rmdir = ll_rmdir,
};
