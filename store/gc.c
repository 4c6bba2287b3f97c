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
#include "catalog/catalog_int.h"
#include "catalog/pack.h"
#include "store/gc.h"

#define HOLE_ALIGN 4096

struct gc {
	struct catalog *c;
	int dry_run;
	int dfd;                        /* STORE/packs */
	time_t now;
	int punch_logged;               /* "cannot punch holes" said once */
	struct store_gc_report *r;
};

/* A pack row; names are checked by check_names() first, so they fit. */
struct pack_row {
	int64_t id;
	uint64_t size;
	char name[64];
};

struct range {
	int64_t offset, length;
};

static uint64_t disk_bytes(const struct stat *sb)
{
	return (uint64_t)sb->st_blocks * 512;
}

/* The pack name of column col, or NULL if it is not a valid one. */
static const char *column_name(sqlite3_stmt *st, int col)
{
	const char *n = (const char *)sqlite3_column_text(st, col);

	/* an embedded NUL would make the C string name another file */
	if (!n || strlen(n) != (size_t)sqlite3_column_bytes(st, col) ||
	    pack_name_valid(n))
		return NULL;
	return n;
}

/* Every name in the pack table must be a plain pack file name. */
static int check_names(struct gc *g)
{
	sqlite3_stmt *st;
	int rc = catalog_prepare(g->c, "SELECT name FROM pack", &st);

	if (rc)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!column_name(st, 0)) {
			const char *n = (const char *)sqlite3_column_text(st, 0);
			int nul = n && strlen(n) !=
				(size_t)sqlite3_column_bytes(st, 0);

			log_error("refusing pack name '%s%s' in the catalog "
				  "of '%s': not collecting anything", n ? n : "",
				  nul ? "\\0..." : "", g->c->dir);
			sqlite3_finalize(st);
			return -EUCLEAN;
		}
	}
	rc = rc == SQLITE_DONE ? 0 :
		catalog_sqlite_err(g->c->db, rc, "list pack names");
	sqlite3_finalize(st);
	return rc;
}

/* Runs a pack query (id, name, size) and returns its rows. */
static int load_packs(struct gc *g, const char *sql, struct pack_row **out,
		      size_t *n)
{
	struct pack_row *v = NULL, *nv;
	size_t len = 0, cap = 0;
	sqlite3_stmt *st;
	int rc = catalog_prepare(g->c, sql, &st);

	*out = NULL;
	*n = 0;
	if (rc)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = column_name(st, 1);

		if (!name) {            /* checked in this transaction */
			rc = -EUCLEAN;
			goto out;
		}
		if (len == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				rc = -ENOMEM;
				goto out;
			}
			v = nv;
		}
		v[len].id = sqlite3_column_int64(st, 0);
		v[len].size = sqlite3_column_int64(st, 2) > 0 ?
			(uint64_t)sqlite3_column_int64(st, 2) : 0;
		snprintf(v[len].name, sizeof(v[len].name), "%s", name);
		len++;
	}
	rc = rc == SQLITE_DONE ? 0 :
		catalog_sqlite_err(g->c->db, rc, "list packs");
out:
	sqlite3_finalize(st);
	if (rc) {
		free(v);
		return rc;
	}
	*out = v;
	*n = len;
	return 0;
}

/* Step 1: packs no gop or mask uses lose their file, then their row. */
static int remove_unreferenced(struct gc *g)
{
	struct pack_row *v;
	sqlite3_stmt *del = NULL;
	struct stat sb;
	size_t n;
	int rc;

	rc = load_packs(g, "SELECT id, name, size FROM pack p WHERE NOT EXISTS"
			"(SELECT 1 FROM gop WHERE pack_id=p.id) AND NOT EXISTS"
			"(SELECT 1 FROM mask WHERE pack_id=p.id) ORDER BY id",
			&v, &n);
	if (rc)
		return rc;
	if (!g->dry_run)
		rc = catalog_prepare(g->c, "DELETE FROM pack WHERE id=?", &del);
	for (size_t i = 0; i < n && !rc; i++) {
		uint64_t bytes = 0;

		if (!fstatat(g->dfd, v[i].name, &sb, AT_SYMLINK_NOFOLLOW)) {
			if (!S_ISREG(sb.st_mode) && !S_ISLNK(sb.st_mode)) {
				log_warn("not removing '%s/packs/%s': not a "
					 "regular file", g->c->dir, v[i].name);
				continue;
			}
			bytes = disk_bytes(&sb);
		} else if (errno != ENOENT) {
			rc = -errno;
			log_error("cannot stat '%s/packs/%s': %s", g->c->dir,
				  v[i].name, strerror(errno));
			break;
		}
		log_info("%s unreferenced pack '%s'", g->dry_run ?
			 "would remove" : "removing", v[i].name);
		if (!g->dry_run) {
			if (unlinkat(g->dfd, v[i].name, 0) && errno != ENOENT) {
				rc = -errno;
				log_error("cannot remove '%s/packs/%s': %s",
					  g->c->dir, v[i].name, strerror(errno));
				break;
			}
			sqlite3_bind_int64(del, 1, v[i].id);
			rc = sqlite3_step(del);
			rc = rc == SQLITE_DONE ? 0 :
				catalog_sqlite_err(g->c->db, rc, "delete pack");
			sqlite3_reset(del);
			if (rc)
				break;
		}
		g->r->packs_removed++;
		g->r->packs_bytes += bytes;
	}
	sqlite3_finalize(del);
	free(v);
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
static int orphan_one(struct gc *g, sqlite3_stmt *find, const char *name)
{
	struct stat sb;
	int fd, rc;

	if (pack_name_valid(name))
		return 0;
	sqlite3_bind_text(find, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(find);
	sqlite3_reset(find);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return catalog_sqlite_err(g->c->db, rc, "find pack");
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
		log_error("cannot remove '%s/packs/%s': %s", g->c->dir, name,
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
	sqlite3_stmt *find;
	struct dirent *e;
	DIR *d;
	int fd, rc;

	rc = catalog_prepare(g->c, "SELECT 1 FROM pack WHERE name=?", &find);
	if (rc)
		return rc;
	fd = dup(g->dfd);
	d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		rc = -errno;
		log_error("cannot list '%s/packs': %s", g->c->dir,
			  strerror(errno));
		if (fd >= 0)
			close(fd);
		sqlite3_finalize(find);
		return rc;
	}
	rewinddir(d);
	while (!rc && (e = readdir(d)))
		rc = orphan_one(g, find, e->d_name);
	closedir(d);
	sqlite3_finalize(find);
	return rc;
}

static int range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* The gop and mask ranges of a pack, sorted; -EUCLEAN if one is bad. */
static int load_ranges(struct gc *g, int64_t id, struct range **out,
		       size_t *n)
{
	struct range *v = NULL, *nv;
	size_t len = 0, cap = 0;
	sqlite3_stmt *st;
	int rc = catalog_prepare(g->c, "SELECT offset, length FROM gop WHERE "
				 "pack_id=?1 UNION ALL SELECT offset, length "
				 "FROM mask WHERE pack_id=?1", &st);

	*out = NULL;
	*n = 0;
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t off = sqlite3_column_int64(st, 0);
		int64_t length = sqlite3_column_int64(st, 1);

		if (off < 0 || length < 0 || off > INT64_MAX - length) {
			rc = -EUCLEAN;
			goto out;
		}
		if (len == cap) {
			cap = cap ? cap * 2 : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				rc = -ENOMEM;
				goto out;
			}
			v = nv;
		}
		v[len].offset = off;
		v[len].length = length;
		len++;
	}
	rc = rc == SQLITE_DONE ? 0 :
		catalog_sqlite_err(g->c->db, rc, "list pack ranges");
out:
	sqlite3_finalize(st);
	if (rc) {
		free(v);
		return rc;
	}
	if (len)
		qsort(v, len, sizeof(*v), range_cmp);
	*out = v;
	*n = len;
	return 0;
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
					 "allocated", g->c->dir);
			g->punch_logged = 1;
			return 1;
		}
		rc = -errno;
		log_error("cannot punch a hole in '%s/packs/%s': %s",
			  g->c->dir, name, strerror(errno));
		return rc;
	}
	g->r->holes_punched++;
	g->r->holes_bytes += bytes;
	return 0;
}

/* Step 3: the dead ranges of one referenced pack become holes. */
static int punch_pack(struct gc *g, const struct pack_row *p)
{
	struct range *v;
	struct stat sb;
	int64_t pos = 0, limit;
	size_t n;
	int fd, rc;

	rc = load_ranges(g, p->id, &v, &n);
	if (rc == -EUCLEAN) {
		log_error("pack '%s' has a bad byte range in the catalog of "
			  "'%s': leaving it whole", p->name, g->c->dir);
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
			log_warn("pack '%s/packs/%s' is %s", g->c->dir, p->name,
				 rc == -ENOENT ? "missing" : "a symbolic link");
			return 0;
		}
		log_error("cannot open '%s/packs/%s': %s", g->c->dir, p->name,
			  strerror(-rc));
		return rc;
	}
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		log_warn("pack '%s/packs/%s' is not a regular file", g->c->dir,
			 p->name);
		goto out;
	}
	/* bytes past the recorded size were never committed: leave them */
	limit = (int64_t)sb.st_size;
	if (p->size < (uint64_t)limit)
		limit = (int64_t)p->size;
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
	struct pack_row *v;
	size_t n;
	/* in a dry run the unreferenced packs are still there: skip them */
	int rc = load_packs(g, "SELECT id, name, size FROM pack p WHERE EXISTS"
			    "(SELECT 1 FROM gop WHERE pack_id=p.id) OR EXISTS"
			    "(SELECT 1 FROM mask WHERE pack_id=p.id) ORDER BY id",
			    &v, &n);

	for (size_t i = 0; i < n && !rc; i++)
		rc = punch_pack(g, &v[i]);
	free(v);
	return rc;
}

int store_gc(struct catalog *c, int dry_run, struct store_gc_report *r)
{
	struct gc g = { .c = c, .dry_run = dry_run, .dfd = -1, .r = r };
	char path[PATH_MAX];
	int rc;

	memset(r, 0, sizeof(*r));
	if (!dry_run && c->rdonly) {
		log_error("catalog of '%s' is open read-only", c->dir);
		return -EROFS;
	}
	snprintf(path, sizeof(path), "%s/packs", c->dir);
	g.dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (g.dfd < 0) {
		rc = -errno;
		log_error("cannot open '%s': %s", path, strerror(errno));
		return rc;
	}
	/* the write lock: no import commits while rows and files are judged */
	rc = dry_run ? catalog_exec(c, "BEGIN") : catalog_begin(c);
	if (rc)
		goto out;
	g.now = time(NULL);
	rc = check_names(&g);
	if (!rc)
		rc = remove_unreferenced(&g);
	if (!rc)
		rc = remove_orphans(&g);
	if (!rc)
		rc = punch_all(&g);
	if (!rc && !dry_run)
		rc = catalog_commit(c);
	catalog_rollback(c);    /* after a failure, or ends the dry run */
out:
	r->bytes_reclaimed = r->packs_bytes + r->orphans_bytes +
		r->holes_bytes;
	close(g.dfd);
	return rc;
}
