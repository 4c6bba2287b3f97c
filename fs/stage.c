/* SPDX-License-Identifier: MIT */
/* A journal is two files: <key>.data (bytes at their offsets) and <key>.log (what ranges hold data). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/io.h"
#include "base/log.h"
#include "fs/stage.h"

#define LOG_MAGIC "CUBESTG1"
#define NAME_MAX_LEN 255

struct range {
	uint64_t off, len;
};

struct stage {
	int fd, log_fd;
	int kind;
	int dirty;
	uint64_t size;          /* the file's size now */
	uint64_t floor;         /* bytes past this were cut: zeros unless written */
	char name[NAME_MAX_LEN + 1];
	char data[PATH_MAX], logp[PATH_MAX];
	struct range *r;
	size_t n, cap;
};

/* Adds [off, off + len) to the sorted, merged range list. */
static int add_range(struct stage *st, uint64_t off, uint64_t len)
{
	size_t i = 0, j;
	uint64_t end = off + len;

	if (!len)
		return 0;
	while (i < st->n && st->r[i].off + st->r[i].len < off)
		i++;
	j = i;
	while (j < st->n && st->r[j].off <= end) {
		if (st->r[j].off < off)
			off = st->r[j].off;
		if (st->r[j].off + st->r[j].len > end)
			end = st->r[j].off + st->r[j].len;
		j++;
	}
	if (i == j) {	/* insert */
		if (st->n == st->cap) {
			size_t nc = st->cap ? st->cap * 2 : 16;
			struct range *nr = realloc(st->r, nc * sizeof(*nr));

			if (!nr)
				return -ENOMEM;
			st->r = nr;
			st->cap = nc;
		}
		memmove(&st->r[i + 1], &st->r[i], (st->n - i) * sizeof(*st->r));
		st->n++;
	} else if (j > i + 1) {
		memmove(&st->r[i + 1], &st->r[j], (st->n - j) * sizeof(*st->r));
		st->n -= j - i - 1;
	}
	st->r[i].off = off;
	st->r[i].len = end - off;
	return 0;
}

/* Drops what lies at or past size from the range list. */
static void cut_ranges(struct stage *st, uint64_t size)
{
	size_t k = 0;

	for (size_t i = 0; i < st->n; i++) {
		if (st->r[i].off >= size)
			continue;
		st->r[k] = st->r[i];
		if (st->r[k].off + st->r[k].len > size)
			st->r[k].len = size - st->r[k].off;
		k++;
	}
	st->n = k;
}

/* Log records: 'W' off len | 'T' size, each 17 bytes, little-endian. */
static int log_record(struct stage *st, char type, uint64_t a, uint64_t b)
{
	unsigned char rec[17];

	rec[0] = (unsigned char)type;
	for (int i = 0; i < 8; i++) {
		rec[1 + i] = (unsigned char)(a >> (8 * i));
		rec[9 + i] = (unsigned char)(b >> (8 * i));
	}
	return io_write_all(st->log_fd, rec, sizeof(rec));
}

static uint64_t le64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* Header: magic, kind, size at open, name length, name. */
static int write_header(struct stage *st)
{
	unsigned char h[8 + 1 + 8 + 2];
	size_t nl = strlen(st->name);
	int rc;

	memcpy(h, LOG_MAGIC, 8);
	h[8] = (unsigned char)st->kind;
	for (int i = 0; i < 8; i++)
		h[9 + i] = (unsigned char)(st->size >> (8 * i));
	h[17] = (unsigned char)nl;
	h[18] = (unsigned char)(nl >> 8);
	rc = io_write_all(st->log_fd, h, sizeof(h));
	return rc ? rc : io_write_all(st->log_fd, st->name, nl);
}

/* Replays an existing log; a torn last record is ignored. */
static int read_log(struct stage *st, int *kind, uint64_t *size, char *name)
{
	unsigned char h[19], rec[17];
	size_t nl;

	if (pread(st->log_fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    memcmp(h, LOG_MAGIC, 8))
		return -EINVAL;
	*kind = h[8];
	*size = le64(h + 9);
	nl = (size_t)h[17] | (size_t)h[18] << 8;
	if (nl > NAME_MAX_LEN || (*kind != STAGE_EDIT && *kind != STAGE_NEW))
		return -EINVAL;
	if (pread(st->log_fd, name, nl, sizeof(h)) != (ssize_t)nl)
		return -EINVAL;
	name[nl] = 0;
	st->size = *size;
	st->floor = *size;
	for (off_t at = (off_t)(sizeof(h) + nl);
	     pread(st->log_fd, rec, sizeof(rec), at) == (ssize_t)sizeof(rec);
	     at += (off_t)sizeof(rec)) {
		uint64_t a = le64(rec + 1), b = le64(rec + 9);

		if (rec[0] == 'W' && a + b >= a) {
			if (add_range(st, a, b))
				return -ENOMEM;
			if (a + b > st->size)
				st->size = a + b;
		} else if (rec[0] == 'T') {
			cut_ranges(st, a);
			st->size = a;
			if (a < st->floor)
				st->floor = a;
		} else {
			break;
		}
		st->dirty = 1;
	}
	return 0;
}

int stage_open(const char *store_dir, const char *key, int kind,
	       const char *name, uint64_t size, struct stage **out)
{
	struct stage *st = calloc(1, sizeof(*st));
	char oldname[NAME_MAX_LEN + 1];
	int rc = 0, oldkind;
	uint64_t oldsize;

	*out = NULL;
	if (!st)
		return -ENOMEM;
	st->fd = st->log_fd = -1;
	if (strlen(name) > NAME_MAX_LEN || strchr(key, '/')) {
		free(st);
		return -EINVAL;
	}
	snprintf(st->data, sizeof(st->data), "%s/staging/%s.data", store_dir, key);
	snprintf(st->logp, sizeof(st->logp), "%s/staging/%s.log", store_dir, key);
	snprintf(st->name, sizeof(st->name), "%s", name);
	st->kind = kind;
	st->size = st->floor = size;
	st->fd = open(st->data, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	st->log_fd = open(st->logp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (st->fd < 0 || st->log_fd < 0) {
		rc = -errno;
		log_error("cannot open staging journal '%s': %s", st->logp,
			  strerror(errno));
		goto out;
	}
	if (lseek(st->log_fd, 0, SEEK_END) > 0) {
		rc = read_log(st, &oldkind, &oldsize, oldname);
		if (rc) {
			log_error("staging journal '%s' is unreadable", st->logp);
			goto out;
		}
		st->kind = oldkind;
		lseek(st->log_fd, 0, SEEK_END);
		if (st->kind == STAGE_NEW) {	/* the data file is the file */
			off_t end = lseek(st->fd, 0, SEEK_END);

			/* and its log lists no ranges: records a damaged one
			 * holds would stand for bytes past its end */
			st->n = 0;

			st->size = end > 0 ? (uint64_t)end : 0;
			st->dirty = end > 0;
		} else if (st->n) {
			/* the log lists bytes the data file must hold: a data
			 * file lost or cut short would read back as zeros */
			off_t end = lseek(st->fd, 0, SEEK_END);
			uint64_t need = st->r[st->n - 1].off + st->r[st->n - 1].len;

			if (end < 0 || (uint64_t)end < need) {
				log_error("staging journal '%s' lists %llu bytes its "
					  "data file does not hold", st->logp,
					  (unsigned long long)(need - (uint64_t)
					  (end < 0 ? 0 : end)));
				rc = -EUCLEAN;
				goto out;
			}
		}
	} else {
		/* a fresh journal: bytes a former one left in the data file
		 * are not its own */
		rc = write_header(st);
		if (!rc && ftruncate(st->fd, kind == STAGE_NEW ? (off_t)size : 0))
			rc = -errno;
	}
out:
	if (rc) {
		stage_free(st, 0);
		return rc;
	}
	*out = st;
	return 0;
}

int stage_rename(struct stage *st, const char *name)
{
	char tmp[PATH_MAX + 8], old[NAME_MAX_LEN + 1];
	int fd, rc, old_fd = st->log_fd;

	if (st->kind != STAGE_NEW)
		return -EINVAL;
	if (strlen(name) > NAME_MAX_LEN)
		return -ENAMETOOLONG;
	snprintf(tmp, sizeof(tmp), "%s.tmp", st->logp);
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	snprintf(old, sizeof(old), "%s", st->name);
	snprintf(st->name, sizeof(st->name), "%s", name);
	st->log_fd = fd;
	rc = write_header(st);
	if (!rc && fsync(fd))
		rc = -errno;
	if (!rc && rename(tmp, st->logp))
		rc = -errno;
	if (rc) {
		close(fd);
		unlink(tmp);
		st->log_fd = old_fd;
		snprintf(st->name, sizeof(st->name), "%s", old);
		return rc;
	}
	close(old_fd);
	return 0;
}

/* The log goes first: a log whose data file is gone must never be left. */
static void reject_paths(const char *data, const char *logp)
{
	char to[PATH_MAX + 16];

	snprintf(to, sizeof(to), "%s.rejected", logp);
	rename(logp, to);
	snprintf(to, sizeof(to), "%s.rejected", data);
	rename(data, to);
}

void stage_reject(struct stage *st)
{
	reject_paths(st->data, st->logp);
}

void stage_reject_key(const char *store_dir, const char *key)
{
	char data[PATH_MAX], logp[PATH_MAX];

	if (strchr(key, '/'))
		return;
	snprintf(data, sizeof(data), "%s/staging/%s.data", store_dir, key);
	snprintf(logp, sizeof(logp), "%s/staging/%s.log", store_dir, key);
	reject_paths(data, logp);
}

void stage_free(struct stage *st, int discard)
{
	if (!st)
		return;
	if (st->fd >= 0)
		close(st->fd);
	if (st->log_fd >= 0)
		close(st->log_fd);
	if (discard) {
		/* the log first: a log without its data file would replay
		 * holes as zeros; a data file without its log is not read */
		unlink(st->logp);
		unlink(st->data);
	}
	free(st->r);
	free(st);
}

int stage_kind(const struct stage *st)
{
	return st->kind;
}

const char *stage_name(const struct stage *st)
{
	return st->name;
}

uint64_t stage_size(const struct stage *st)
{
	return st->size;
}

const char *stage_data_path(const struct stage *st)
{
	return st->data;
}

int stage_dirty(const struct stage *st)
{
	return st->dirty;
}

ssize_t stage_write(struct stage *st, const void *buf, size_t len,
		    uint64_t off)
{
	const char *p = buf;
	size_t done = 0;
	int rc;

	if (off + len < off || off + len > (uint64_t)1 << 60)
		return -EFBIG;
	while (done < len) {
		ssize_t w = pwrite(st->fd, p + done, len - done,
				   (off_t)(off + done));

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		done += (size_t)w;
	}
	if (st->kind == STAGE_EDIT) {
		rc = log_record(st, 'W', off, len);
		if (!rc)
			rc = add_range(st, off, len);
		if (rc)
			return rc;
	}
	if (off + len > st->size)
		st->size = off + len;
	st->dirty = 1;
	return (ssize_t)len;
}

int stage_truncate(struct stage *st, uint64_t size)
{
	int rc = 0;

	if (st->kind == STAGE_NEW && ftruncate(st->fd, (off_t)size))
		return -errno;
	if (st->kind == STAGE_EDIT) {
		/* the old bytes past size are gone: log it, drop staged ones */
		rc = log_record(st, 'T', size, 0);
		cut_ranges(st, size);
		if (size < st->floor)
			st->floor = size;
		/* data file content is kept for ranges still listed */
	}
	st->size = size;
	st->dirty = 1;
	return rc;
}

int stage_overlay(struct stage *st, void *buf, size_t len, uint64_t off)
{
	char *out = buf;
	uint64_t end = off + len;

	if (st->kind == STAGE_NEW) {
		ssize_t n = pread(st->fd, buf, len, (off_t)off);

		if (n < 0)
			return -errno;
		if ((size_t)n < len)
			memset(out + n, 0, len - (size_t)n);
		return 0;
	}
	if (end > st->floor && off < end) {	/* cut and re-extended: zeros */
		uint64_t z = off > st->floor ? off : st->floor;

		memset(out + (z - off), 0, (size_t)(end - z));
	}
	for (size_t i = 0; i < st->n; i++) {
		uint64_t a = st->r[i].off, b = a + st->r[i].len;

		if (b <= off || a >= end)
			continue;
		a = a > off ? a : off;
		b = b < end ? b : end;
		if (pread(st->fd, out + (a - off), (size_t)(b - a), (off_t)a) !=
		    (ssize_t)(b - a))
			return -EIO;
	}
	return 0;
}

int stage_sync(struct stage *st)
{
	if (fsync(st->fd) || fsync(st->log_fd))
		return -errno;
	return 0;
}

int stage_each_range(const struct stage *st,
		     int (*fn)(void *arg, uint64_t off, uint64_t len),
		     void *arg)
{
	for (size_t i = 0; i < st->n; i++) {
		int rc = fn(arg, st->r[i].off, st->r[i].len);

		if (rc)
			return rc;
	}
	return 0;
}

int stage_scan(const char *store_dir,
	       int (*fn)(void *arg, const char *key, int kind,
			 const char *name, uint64_t size), void *arg)
{
	char dir[PATH_MAX], path[PATH_MAX + 300], name[NAME_MAX_LEN + 1];
	struct dirent *e;
	DIR *d;
	int rc = 0;

	snprintf(dir, sizeof(dir), "%s/staging", store_dir);
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	/* a data file without its log (a crash between the two creations or
	 * removals, or a replace() cut short: .data.full) belongs to nothing */
	while ((e = readdir(d))) {
		char *dot = strstr(e->d_name, ".data");
		size_t len = strlen(e->d_name);
		struct stat sb;

		/* a log rewritten by stage_rename() and never renamed */
		if (len > 8 && !strcmp(e->d_name + len - 8, ".log.tmp")) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
			continue;
		}

		if (!dot || (strcmp(dot, ".data") && strcmp(dot, ".data.full")) ||
		    (size_t)(dot - e->d_name) >= 256)
			continue;
		snprintf(path, sizeof(path), "%s/%.*s.log", dir,
			 (int)(dot - e->d_name), e->d_name);
		if (stat(path, &sb) == 0 && !strcmp(dot, ".data"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	rewinddir(d);
	while (!rc && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		struct stage tmp = { .fd = -1 };
		uint64_t size;
		int kind;
		char key[256];

		if (n < 5 || strcmp(e->d_name + n - 4, ".log") || n - 4 >= 256)
			continue;
		memcpy(key, e->d_name, n - 4);
		key[n - 4] = 0;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		tmp.log_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (tmp.log_fd < 0)
			continue;
		if (read_log(&tmp, &kind, &size, name) == 0)
			rc = fn(arg, key, kind, name, size);
		else
			log_error("staging journal '%s' is unreadable: kept",
				  path);
		close(tmp.log_fd);
		free(tmp.r);
	}
	closedir(d);
	return rc;
}
