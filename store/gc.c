/* SPDX-License-Identifier: MIT */
/* Garbage collection: unreferenced pack rows, orphan pack files, holes in dead pack ranges. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "catalog/catalog.h"
#include "catalog/pack.h"
#include "store/gc.h"

#define HOLE_ALIGN 4096

struct gc {
	struct catalog *c;
	const char *dir;                /* the store */
	struct cat_pack *packs;         /* every pack row, by id */
	size_t npacks;
	int dry_run;
	int dfd;                        /* STORE/packs */
	time_t now;
	int punch_logged;               /* "cannot punch holes" said once */
	struct store_gc_report *r;
};

static uint64_t disk_bytes(const struct stat *sb)
{
	return (uint64_t)sb->st_blocks * 512;
}

/* Every name in the pack table must be a plain pack file name. */
static int check_names(struct gc *g)
{
	for (size_t i = 0; i < g->npacks; i++) {
		const struct cat_pack *p = &g->packs[i];

		if (p->name_nul || pack_name_valid(p->name)) {
			log_error("refusing pack name '%s%s' in the catalog "
				  "of '%s': not collecting anything", p->name,
				  p->name_nul ? "\\0..." : "", g->dir);
			return -EUCLEAN;
		}
	}
	return 0;
}

/* The recorded size of a pack row, 0 if negative. */
static uint64_t row_size(const struct cat_pack *p)
{
	return p->size > 0 ? (uint64_t)p->size : 0;
}

/* Step 1: packs no gop or mask uses lose their file, then their row. */
static int remove_unreferenced(struct gc *g)
{
	struct stat sb;
	int rc = 0;

	for (size_t i = 0; i < g->npacks && !rc; i++) {
		const struct cat_pack *p = &g->packs[i];
		uint64_t bytes = 0;

		if (p->referenced)
			continue;
		if (!fstatat(g->dfd, p->name, &sb, AT_SYMLINK_NOFOLLOW)) {
			if (!S_ISREG(sb.st_mode) && !S_ISLNK(sb.st_mode)) {
				log_warn("not removing '%s/packs/%s': not a "
					 "regular file", g->dir, p->name);
				continue;
			}
			bytes = disk_bytes(&sb);
		} else if (errno != ENOENT) {
			rc = -errno;
			log_error("cannot stat '%s/packs/%s': %s", g->dir,
				  p->name, strerror(errno));
			break;
		}
		log_info("%s unreferenced pack '%s'", g->dry_run ?
			 "would remove" : "removing", p->name);
		if (!g->dry_run) {
			if (unlinkat(g->dfd, p->name, 0) && errno != ENOENT) {
				rc = -errno;
				log_error("cannot remove '%s/packs/%s': %s",
					  g->dir, p->name, strerror(errno));
				break;
			}
			rc = catalog_pack_delete(g->c, p->id);
			if (rc)
				break;
		}
		g->r->packs_removed++;
		g->r->packs_bytes += bytes;
	}
	return rc;
}

/*
 * 1 if another descriptor has the file open (a writer may be at work),
 * 0 if none has, -1 if the kernel cannot tell (leases unsupported or not
 * allowed here, or a network filesystem): then the age alone decides.
 */
int store_gc_open_elsewhere(int fd)
{
	if (fcntl(fd, F_SETLEASE, F_WRLCK) == 0) {
		fcntl(fd, F_SETLEASE, F_UNLCK);
		return 0;
	}
	return errno == EAGAIN || errno == EBUSY ? 1 : -1;
}

/* Step 2: one file of packs/; 1 if it is a pack file with no row. */
static int orphan_one(struct gc *g, const char *name)
{
	struct stat sb;
	int fd, rc;

	if (pack_name_valid(name))
		return 0;
	rc = catalog_pack_named(g->c, name);
	if (rc)                 /* 1: it has a row */
		return rc < 0 ? rc : 0;
	fd = openat(g->dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		    O_CLOEXEC);
	if (fd < 0)     /* gone, a symlink, or unreadable: not ours to judge */
		return 0;
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		close(fd);
		return 0;
	}
	if (g->now - sb.st_mtime < STORE_GC_ORPHAN_AGE ||
	    store_gc_open_elsewhere(fd) == 1) {
		log_info("keeping '%s': no catalog row, but an import may "
			 "be writing it", name);
		g->r->orphans_kept++;
		close(fd);
		return 0;
	}
	log_info("%s orphan pack file '%s'", g->dry_run ? "would remove" :
		 "removing", name);
	rc = 0;
	if (!g->dry_run && unlinkat(g->dfd, name, 0) && errno != ENOENT) {
		rc = -errno;
		log_error("cannot remove '%s/packs/%s': %s", g->dir, name,
			  strerror(errno));
	}
	close(fd);
	if (rc)
		return rc;
	g->r->orphans_removed++;
	g->r->orphans_bytes += disk_bytes(&sb);
	return 0;
}

static int remove_orphans(struct gc *g)
{
	struct dirent *e;
	DIR *d;
	int fd, rc = 0;

	fd = dup(g->dfd);
	d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		rc = -errno;
		log_error("cannot list '%s/packs': %s", g->dir,
			  strerror(errno));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	rewinddir(d);
	while (!rc && (e = readdir(d)))
		rc = orphan_one(g, e->d_name);
	closedir(d);
	return rc;
}

/* Allocated bytes of [a, b): what punching that range would give back. */
static uint64_t data_bytes(int fd, off_t a, off_t b)
{
	uint64_t n = 0;

	while (a < b) {
		off_t d = lseek(fd, a, SEEK_DATA), h;

		if (d < 0)      /* ENXIO: only a hole is left */
			return errno == ENXIO ? n : n + (uint64_t)(b - a);
		if (d >= b)
			break;
		h = lseek(fd, d, SEEK_HOLE);
		if (h < 0 || h > b)
			h = b;
		n += (uint64_t)(h - d);
		a = h;
	}
	return n;
}

/* Punches [start, end) aligned inward; 1 if the filesystem refuses. */
static int punch(struct gc *g, const char *name, int fd, int64_t start,
		 int64_t end)
{
	off_t a = (off_t)((start + HOLE_ALIGN - 1) / HOLE_ALIGN * HOLE_ALIGN);
	off_t b = (off_t)(end / HOLE_ALIGN * HOLE_ALIGN);
	uint64_t bytes;
	int rc;

	if (b <= a || !(bytes = data_bytes(fd, a, b)))
		return 0;
	if (!g->dry_run && fallocate(fd, FALLOC_FL_PUNCH_HOLE |
				     FALLOC_FL_KEEP_SIZE, a, b - a)) {
		if (errno == EOPNOTSUPP || errno == ENOSYS) {
			if (!g->punch_logged)
				log_warn("the filesystem of '%s/packs' cannot "
					 "punch holes: dead pack ranges stay "
					 "allocated", g->dir);
			g->punch_logged = 1;
			return 1;
		}
		rc = -errno;
		log_error("cannot punch a hole in '%s/packs/%s': %s",
			  g->dir, name, strerror(errno));
		return rc;
	}
	g->r->holes_punched++;
	g->r->holes_bytes += bytes;
	return 0;
}

/* Step 3: the dead ranges of one referenced pack become holes. */
static int punch_pack(struct gc *g, const struct cat_pack *p)
{
	struct cat_range *v;
	struct stat sb;
	int64_t pos = 0, limit;
	size_t n;
	int fd, rc;

	rc = catalog_pack_ranges(g->c, p->id, &v, &n);
	if (rc == -EUCLEAN) {
		log_error("pack '%s' has a bad byte range in the catalog of "
			  "'%s': leaving it whole", p->name, g->dir);
		return 0;
	}
	if (rc)
		return rc;
	fd = openat(g->dfd, p->name, (g->dry_run ? O_RDONLY : O_RDWR) |
		    O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		free(v);
		if (rc == -ENOENT || rc == -ELOOP) {
			log_warn("pack '%s/packs/%s' is %s", g->dir, p->name,
				 rc == -ENOENT ? "missing" : "a symbolic link");
			return 0;
		}
		log_error("cannot open '%s/packs/%s': %s", g->dir, p->name,
			  strerror(-rc));
		return rc;
	}
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		log_warn("pack '%s/packs/%s' is not a regular file", g->dir,
			 p->name);
		goto out;
	}
	/* bytes past the recorded size were never committed: leave them */
	limit = (int64_t)sb.st_size;
	if (row_size(p) < (uint64_t)limit)
		limit = (int64_t)row_size(p);
	for (size_t i = 0; i <= n && !rc; i++) {
		int64_t next = i < n ? v[i].offset : limit;

		if (next > limit)
			next = limit;
		if (next > pos)
			rc = punch(g, p->name, fd, pos, next);
		if (i < n && v[i].offset + v[i].length > pos)
			pos = v[i].offset + v[i].length;
	}
	if (rc == 1) {
		g->r->punch_unsupported++;
		rc = 0;
	}
out:
	close(fd);
	free(v);
	return rc;
}

static int punch_all(struct gc *g)
{
	int rc = 0;

	/* in a dry run the unreferenced packs are still there: skip them */
	for (size_t i = 0; i < g->npacks && !rc; i++)
		if (g->packs[i].referenced)
			rc = punch_pack(g, &g->packs[i]);
	return rc;
}

int store_gc(struct catalog *c, int dry_run, struct store_gc_report *r)
{
	struct gc g = { .c = c, .dir = catalog_dir(c), .dry_run = dry_run,
			.dfd = -1, .r = r };
	char path[PATH_MAX];
	uint64_t gen;
	int rc;

	memset(r, 0, sizeof(*r));
	if (!dry_run && catalog_rdonly(c)) {
		log_error("catalog of '%s' is open read-only", g.dir);
		return -EROFS;
	}
	snprintf(path, sizeof(path), "%s/packs", g.dir);
	g.dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (g.dfd < 0) {
		rc = -errno;
		log_error("cannot open '%s': %s", path, strerror(errno));
		return rc;
	}
	/* the write lock: no import commits while rows and files are judged */
	rc = dry_run ? catalog_begin_read(c) : catalog_begin(c);
	if (rc)
		goto out;
	g.now = time(NULL);
	rc = catalog_generation(c, &gen);
	if (!rc)
		rc = store_leases_behind(g.dir, gen, g.now, STORE_LEASE_TTL,
					 !dry_run, &r->readers_behind,
					 &r->oldest);
	if (!rc)
		rc = catalog_pack_list(c, &g.packs, &g.npacks);
	if (!rc)
		rc = check_names(&g);
	/* a reader of an older generation may read what its rows reached */
	if (!rc && !r->readers_behind)
		rc = remove_unreferenced(&g);
	if (!rc)
		rc = remove_orphans(&g);
	if (!rc && !r->readers_behind)
		rc = punch_all(&g);
	if (!rc && !dry_run)
		rc = catalog_commit(c);
	catalog_rollback(c);    /* after a failure, or ends the dry run */
out:
	r->bytes_reclaimed = r->packs_bytes + r->orphans_bytes +
		r->holes_bytes;
	catalog_pack_list_free(g.packs, g.npacks);
	close(g.dfd);
	return rc;
}
