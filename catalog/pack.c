/* SPDX-License-Identifier: MIT */
/* Append-only pack files: unique names, durable appends, and a thread-safe reader. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/io.h"
#include "base/log.h"
#include "catalog/pack.h"

struct pack_writer {
	int fd;
	uint64_t size;
	char dir[PATH_MAX];
	char name[64];
};

int pack_writer_new(const char *store_dir, struct pack_writer **out)
{
	static unsigned counter;
	struct pack_writer *w;
	char path[PATH_MAX + 80];

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	snprintf(w->dir, sizeof(w->dir), "%s/packs", store_dir);
	for (int tries = 0; tries < 100; tries++) {
		snprintf(w->name, sizeof(w->name), "%llx-%x-%x.pack",
			 (unsigned long long)clock_wall_ns(), (unsigned)getpid(),
			 __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
		snprintf(path, sizeof(path), "%s/%s", w->dir, w->name);
		w->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (w->fd >= 0 || errno != EEXIST)
			break;
	}
	if (w->fd < 0) {
		int rc = -errno;

		log_error("cannot create pack '%s': %s", path, strerror(errno));
		free(w);
		return rc;
	}
	*out = w;
	return 0;
}

int pack_append(struct pack_writer *w, const void *buf, size_t len,
		uint64_t *offset)
{
	const char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(w->fd, p + done, len - done,
				   (off_t)(w->size + done));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int rc = -errno;

			log_error("cannot write pack '%s': %s", w->name,
				  strerror(errno));
			return rc;
		}
		done += (size_t)n;
	}
	*offset = w->size;
	w->size += len;
	return 0;
}

int pack_writer_truncate(struct pack_writer *w, uint64_t size)
{
	int rc;

	if (size > w->size)
		return -EINVAL;
	if (ftruncate(w->fd, (off_t)size)) {
		rc = -errno;
		log_error("cannot truncate pack '%s': %s", w->name,
			  strerror(errno));
		return rc;
	}
	w->size = size;
	return 0;
}

int pack_writer_sync(struct pack_writer *w)
{
	int dfd, rc = 0;

	if (fsync(w->fd)) {
		rc = -errno;
		log_error("cannot sync pack '%s': %s", w->name, strerror(errno));
		return rc;
	}
	dfd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd))
		rc = -errno;
	if (dfd >= 0)
		close(dfd);
	if (rc)
		log_error("cannot sync '%s': %s", w->dir, strerror(-rc));
	return rc;
}

const char *pack_writer_name(const struct pack_writer *w)
{
	return w->name;
}

uint64_t pack_writer_size(const struct pack_writer *w)
{
	return w->size;
}

void pack_writer_free(struct pack_writer *w, int keep)
{
	char path[PATH_MAX + 80];

	if (!w)
		return;
	close(w->fd);
	if (!keep) {
		snprintf(path, sizeof(path), "%s/%s", w->dir, w->name);
		unlink(path);
	}
	free(w);
}

int pack_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n < 6 || n > 60 || strchr(name, '/') || name[0] == '.' ||
	    strcmp(name + n - 5, ".pack"))
		return -EINVAL;
	return 0;
}

struct pack_entry {
	int64_t id;
	int fd;                 /* -1 until opened */
	int failed;             /* open failed: logged once */
	char name[64];
};

struct pack_reader {
	pthread_mutex_t lock;
	char dir[PATH_MAX];
	struct pack_entry *v;
	size_t n;
};

int pack_reader_new(const char *store_dir, struct pack_reader **out)
{
	struct pack_reader *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (!r)
		return -ENOMEM;
	pthread_mutex_init(&r->lock, NULL);
	snprintf(r->dir, sizeof(r->dir), "%s/packs", store_dir);
	*out = r;
	return 0;
}

void pack_reader_free(struct pack_reader *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].fd >= 0)
			close(r->v[i].fd);
	free(r->v);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

int pack_reader_add(struct pack_reader *r, int64_t id, const char *name)
{
	struct pack_entry *nv;
	int rc = 0;

	if (pack_name_valid(name)) {
		log_error("refusing pack name '%s' in catalog", name);
		return -EINVAL;
	}
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].id == id)
			goto out;
	nv = realloc(r->v, sizeof(*nv) * (r->n + 1));
	if (!nv) {
		rc = -ENOMEM;
		goto out;
	}
	r->v = nv;
	nv[r->n].id = id;
	nv[r->n].fd = -1;
	nv[r->n].failed = 0;
	snprintf(nv[r->n].name, sizeof(nv[r->n].name), "%s", name);
	r->n++;
out:
	pthread_mutex_unlock(&r->lock);
	return rc;
}

/*
 * Opens a pack for reading: a regular file in packs/ itself, never through
 * a symbolic link (which may point anywhere) nor a FIFO or device (which
 * would block or lie). A descriptor or a negative errno.
 */
static int open_regular(const char *path)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return errno == ELOOP ? -EPERM : -errno;
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		close(fd);
		return -EPERM;
	}
	return fd;
}

static int reader_fd(struct pack_reader *r, int64_t id)
{
	char path[PATH_MAX + 80];
	int fd = -EIO;

	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->n; i++) {
		struct pack_entry *e = &r->v[i];

		if (e->id != id)
			continue;
		if (e->fd < 0 && !e->failed) {
			snprintf(path, sizeof(path), "%s/%s", r->dir, e->name);
			fd = open_regular(path);
			/* out of descriptors or memory, or interrupted: not
			 * the pack's fault, tried again at the next read */
			if (fd == -EMFILE || fd == -ENFILE || fd == -ENOMEM ||
			    fd == -EINTR || fd == -EAGAIN)
				break;
			e->fd = fd;
			if (e->fd < 0) {
				e->failed = 1;
				log_error("cannot open pack '%s': %s", path,
					  strerror(-e->fd));
			}
		}
		fd = e->fd >= 0 ? e->fd : -EIO;
		break;
	}
	pthread_mutex_unlock(&r->lock);
	return fd;
}

int pack_pread(struct pack_reader *r, int64_t id, void *buf, size_t len,
	       uint64_t offset)
{
	int fd = reader_fd(r, id);

	return fd < 0 ? fd : io_pread_all(fd, buf, len, offset);
}
