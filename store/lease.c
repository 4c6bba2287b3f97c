/* SPDX-License-Identifier: MIT */
/* Reader leases: each mount says in STORE/readers/ which catalog generation it serves, so that gc keeps what it may read. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/io.h"
#include "base/log.h"
#include "base/ticker.h"
#include "store/lease.h"

struct store_lease {
	int dfd;                /* STORE/readers */
	char name[128];         /* the lease file's name in it */
	char host[64];
	store_lease_gen_fn gen_fn;
	void *arg;
	pthread_mutex_t lock;   /* write_lease() */
	struct ticker renewer;
};

/* Writes the lease file anew (a new file renamed over the old one, so
 * that readers on other machines see it whole). */
static int write_lease(struct store_lease *l)
{
	char tmp[sizeof(l->name) + 8], line[128];
	uint64_t gen = l->gen_fn(l->arg);
	int fd, rc, n;

	snprintf(tmp, sizeof(tmp), ".%s.tmp", l->name);
	n = snprintf(line, sizeof(line), "%s %ld %llu\n", l->host,
		     (long)getpid(), (unsigned long long)gen);
	fd = openat(l->dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
		    O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	rc = io_write_all(fd, line, (size_t)n);
	if (close(fd) && !rc)
		rc = -errno;
	if (!rc && renameat(l->dfd, tmp, l->dfd, l->name))
		rc = -errno;
	if (rc)
		unlinkat(l->dfd, tmp, 0);
	return rc;
}

void store_lease_renew(struct store_lease *l)
{
	int rc;

	if (!l)
		return;
	pthread_mutex_lock(&l->lock);
	rc = write_lease(l);
	pthread_mutex_unlock(&l->lock);
	if (rc)
		log_warn("cannot renew reader lease '%s': %s", l->name,
			 strerror(-rc));
}

static void renew(void *arg)
{
	store_lease_renew(arg);
}

int store_lease_start(const char *dir, store_lease_gen_fn gen_fn, void *arg,
		      struct store_lease **out)
{
	struct store_lease *l;
	char path[PATH_MAX];
	int rc;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/readers", dir);
	if (mkdir(path, 0755) && errno != EEXIST)
		return errno == EROFS || errno == EACCES || errno == EPERM ?
			-EROFS : -errno;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->gen_fn = gen_fn;
	l->arg = arg;
	pthread_mutex_init(&l->lock, NULL);
	if (gethostname(l->host, sizeof(l->host) - 1))
		strcpy(l->host, "localhost");
	for (char *p = l->host; *p; p++)
		if (*p == '/' || *p == ' ' || *p == '\n')
			*p = '_';
	snprintf(l->name, sizeof(l->name), "%s.%ld.%llx", l->host,
		 (long)getpid(), (unsigned long long)clock_wall_ns());
	l->dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	rc = l->dfd < 0 ? -errno : write_lease(l);
	if (rc == -EROFS || rc == -EACCES || rc == -EPERM)
		rc = -EROFS;
	else if (rc)
		log_error("cannot write reader lease in '%s': %s", path,
			  strerror(-rc));
	if (!rc) {
		rc = ticker_start(&l->renewer, STORE_LEASE_RENEW, renew, l);
		if (rc)
			log_error("cannot start the lease thread: %s",
				  strerror(-rc));
	}
	if (rc) {
		store_lease_stop(l);
		return rc;
	}
	*out = l;
	return 0;
}

void store_lease_stop(struct store_lease *l)
{
	if (!l)
		return;
	ticker_stop(&l->renewer);
	if (l->dfd >= 0) {
		unlinkat(l->dfd, l->name, 0);
		close(l->dfd);
	}
	pthread_mutex_destroy(&l->lock);
	free(l);
}

/* Reads one lease file into *rd: 0, or -EINVAL if it does not parse. */
static int read_lease(int dfd, const char *name, struct store_reader *rd)
{
	char buf[160];
	unsigned long long gen;
	ssize_t n;
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
			O_NONBLOCK);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EINVAL;
	buf[n] = 0;
	if (sscanf(buf, "%63s %ld %llu", rd->host, &rd->pid, &gen) != 3)
		return -EINVAL;
	rd->gen = gen;
	return 0;
}

int store_leases_behind(const char *dir, uint64_t gen, time_t now, int ttl,
			int remove_stale, uint64_t *behind,
			struct store_reader *oldest)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int dfd;

	*behind = 0;
	memset(oldest, 0, sizeof(*oldest));
	snprintf(path, sizeof(path), "%s/readers", dir);
	d = opendir(path);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		log_error("cannot read '%s': %s", path, strerror(errno));
		return -errno;
	}
	dfd = dirfd(d);
	while ((e = readdir(d))) {
		struct store_reader rd = { 0 };
		struct stat sb;

		if (e->d_name[0] == '.' ||
		    fstatat(dfd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISREG(sb.st_mode))
			continue;
		if (sb.st_mtime + ttl < now) {
			if (remove_stale)
				unlinkat(dfd, e->d_name, 0);
			continue;
		}
		if (read_lease(dfd, e->d_name, &rd)) {
			snprintf(rd.host, sizeof(rd.host), "?");
			rd.gen = 0;
		}
		rd.renewed = sb.st_mtime;
		if (rd.gen >= gen)
			continue;
		if (!*behind || rd.gen < oldest->gen)
			*oldest = rd;
		(*behind)++;
	}
	closedir(d);
	return 0;
}
