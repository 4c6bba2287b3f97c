/* SPDX-License-Identifier: MIT */
/* The store's write lock: an fcntl lock on STORE/lock, with the holder's name written inside. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/io.h"
#include "base/log.h"
#include "store/lock.h"

/* How long store_lock_after_fork() waits for the parent to let go. */
#define AFTER_FORK_TRIES 500
#define AFTER_FORK_STEP_NS 10000000L

struct store_lock {
	int fd;
	int ofd;        /* 1: an open file description lock, 0: POSIX */
};

/* 0, or -EAGAIN when held elsewhere, or another negative errno. */
static int lock_fd(int fd, int cmd)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	if (fcntl(fd, cmd, &fl) == 0)
		return 0;
	return errno == EACCES || errno == EAGAIN ? -EAGAIN : -errno;
}

/* "HOST PID 2026-12-07T09:10:00Z\n": who holds the lock, since when. */
static int write_holder(int fd)
{
	char host[HOST_NAME_MAX + 1], when[32], text[HOST_NAME_MAX + 64];
	time_t now = time(NULL);
	struct tm tm;
	int n, rc;

	if (gethostname(host, sizeof(host)))
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = 0;
	for (char *p = host; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			*p = '_';
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(text, sizeof(text), "%s %ld %s\n", host, (long)getpid(),
		     when);
	if (ftruncate(fd, 0) || lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	rc = io_write_all(fd, text, (size_t)n);
	if (!rc && fsync(fd))
		rc = -errno;
	return rc;
}

void store_lock_holder(const char *store_dir, char *buf, size_t cap)
{
	char path[PATH_MAX], text[512], host[256], when[40], end;
	long pid;
	ssize_t n = -1;
	int fd;

	snprintf(buf, cap, "by another process");
	snprintf(path, sizeof(path), "%s/" STORE_LOCK_FILE, store_dir);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		n = pread(fd, text, sizeof(text) - 1, 0);
		close(fd);
	}
	if (n <= 0)
		return;
	text[n] = 0;
	/* untrusted: exactly three fields of the form write_holder() uses */
	if (sscanf(text, "%255s %ld %39s %c", host, &pid, when, &end) != 3 ||
	    pid <= 0 || strlen(when) != 20 || when[10] != 'T' ||
	    when[19] != 'Z')
		return;
	for (const char *p = host; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			return;
	snprintf(buf, cap, "by %s:%ld since %s", host, pid, when);
}

int store_lock_take(const char *store_dir, struct store_lock **out)
{
	struct store_lock *l = NULL;
	char path[PATH_MAX], who[400];
	int rc;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/catalog.db", store_dir);
	if (access(path, F_OK))
		return -ENOENT;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/" STORE_LOCK_FILE, store_dir);
	l->fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (l->fd < 0) {
		rc = -errno;
		goto out;
	}
	l->ofd = 1;
	rc = lock_fd(l->fd, F_OFD_SETLK);
	if (rc == -EINVAL) {    /* a kernel before 3.15 */
		l->ofd = 0;
		rc = lock_fd(l->fd, F_SETLK);
	}
	if (!rc)
		rc = write_holder(l->fd);
out:
	if (rc == -EAGAIN) {
		store_lock_holder(store_dir, who, sizeof(who));
		log_error("store '%s' is locked for writing %s", store_dir,
			  who);
	} else if (rc) {
		log_error("cannot take the write lock of store '%s' "
			  "(%s): %s", store_dir, path, strerror(-rc));
	}
	if (rc) {
		if (l->fd >= 0)
			close(l->fd);
		free(l);
		return rc;
	}
	*out = l;
	return 0;
}

int store_lock_after_fork(struct store_lock *l)
{
	struct timespec step = { 0, AFTER_FORK_STEP_NS };
	int rc = 0;

	for (int i = 0; !l->ofd && i < AFTER_FORK_TRIES; i++) {
		rc = lock_fd(l->fd, F_SETLK);
		if (rc != -EAGAIN)
			break;
		nanosleep(&step, NULL);
	}
	if (!rc)
		rc = write_holder(l->fd);
	if (rc)
		log_error("the write lock of the store was lost at fork: %s",
			  strerror(-rc));
	return rc;
}

void store_lock_release(struct store_lock *l)
{
	if (!l)
		return;
	/* the text goes first, while the lock still keeps others out */
	if (ftruncate(l->fd, 0))
		log_debug("lock file not emptied: %s", strerror(errno));
	close(l->fd);
	free(l);
}
