/* SPDX-License-Identifier: MIT */
/* Opening and creating a store: directories, catalog.db, schema version, transactions. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "catalog/catalog_int.h"

/* How long a writer's close waits for readers to let the WAL go. */
#define CLOSE_BUSY_MS 1000

int catalog_prepare(struct catalog *c, const char *sql, sqlite3_stmt **st)
{
	int rc = sqlite3_prepare_v2(c->db, sql, -1, st, NULL);

	return rc == SQLITE_OK ? 0 : catalog_sqlite_err(c->db, rc, "prepare");
}

int catalog_step_exists(struct catalog *c, sqlite3_stmt *st,
			const char *what)
{
	int rc = sqlite3_step(st);

	rc = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 :
		catalog_sqlite_err(c->db, rc, what);
	sqlite3_finalize(st);
	return rc;
}

int catalog_exec(struct catalog *c, const char *sql)
{
	int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : catalog_sqlite_err(c->db, rc, sql);
}

int catalog_run(struct catalog *c, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : catalog_sqlite_err(c->db, rc, what);
}

void *catalog_append(void *arr, size_t n, size_t size)
{
	void *v, *nv;

	memcpy(&v, arr, sizeof(v));
	nv = realloc(v, (n + 1) * size);
	if (!nv)
		return NULL;
	memcpy(arr, &nv, sizeof(nv));
	memset((char *)nv + n * size, 0, size);
	return (char *)nv + n * size;
}

/* 1 if the directory has no entries, 0 if it has, negative errno. */
static int dir_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int empty = 1;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			empty = 0;
			break;
		}
	}
	closedir(d);
	return empty;
}

static int make_dirs(const char *dir)
{
	static const char *const sub[] = { "packs", "staging" };
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, sub[i]);
		if (mkdir(path, 0700) && errno != EEXIST)
			return -errno;
	}
	return 0;
}

/* Reads meta: 1 if the catalog says it is cubefs's, and its version. */
static int read_meta(struct catalog *c, int *version)
{
	char what[PATH_MAX + 32];
	sqlite3_stmt *st = NULL;
	int rc, found = 0;

	*version = -1;
	rc = sqlite3_prepare_v2(c->db, "SELECT key, value FROM meta", -1, &st,
				NULL);
	/* SQLITE_ERROR: no such table; anything else: catalog.db (or its
	 * -wal and -shm) could not be read, which says nothing of meta */
	if ((rc & 0xff) == SQLITE_ERROR) {
		log_error("'%s' is not a cubefs store (catalog has no meta table)",
			  c->dir);
		return -EINVAL;
	}
	if (rc != SQLITE_OK) {
		snprintf(what, sizeof(what), "cannot read store '%s'", c->dir);
		return catalog_sqlite_err(c->db, rc, what);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		const char *v = (const char *)sqlite3_column_text(st, 1);

		if (k && v && !strcmp(k, "format") && !strcmp(v, "cubefs"))
			found = 1;
		if (k && v && !strcmp(k, "schema_version"))
			*version = atoi(v);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return catalog_sqlite_err(c->db, rc, "read meta");
	return found;
}

/*
 * Runs every schema step after version from, then records the new version;
 * the caller holds the write transaction.
 */
static int apply_upgrades(struct catalog *c, int from)
{
	const struct catalog_upgrade *u;
	char sql[128];
	int rc = 0;

	for (u = catalog_upgrades; u->sql && !rc; u++)
		if (u->version > from)
			rc = catalog_exec(c, u->sql);
	snprintf(sql, sizeof(sql), "UPDATE meta SET value='%d' WHERE"
		 " key='schema_version'; PRAGMA user_version=%d;",
		 CATALOG_SCHEMA_VERSION, CATALOG_SCHEMA_VERSION);
	if (!rc)
		rc = catalog_exec(c, sql);
	return rc;
}

/*
 * Brings an older catalog to this version in one transaction; a second
 * process that upgraded first leaves nothing to do.
 */
static int upgrade(struct catalog *c)
{
	int rc, version;

	rc = catalog_exec(c, "BEGIN IMMEDIATE");
	if (rc)
		return rc;
	rc = read_meta(c, &version);
	rc = rc > 0 ? 0 : rc < 0 ? rc : -EINVAL;
	if (!rc && version < CATALOG_SCHEMA_VERSION) {
		rc = apply_upgrades(c, version);
		version = CATALOG_SCHEMA_VERSION;
	}
	if (!rc)
		rc = catalog_exec(c, "COMMIT");
	if (rc) {
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
		log_error("cannot upgrade the catalog of '%s' to schema "
			  "version %d", c->dir, CATALOG_SCHEMA_VERSION);
		return rc;
	}
	log_info("catalog of '%s' upgraded to schema version %d", c->dir,
		 version);
	c->version = version;
	return 0;
}

/*
 * Accepts this version and older ones it can read: a read-write open
 * upgrades an older catalog in place, a read-only one reads it as it is.
 */
static int check_version(struct catalog *c)
{
	int rc, version;

	rc = read_meta(c, &version);
	if (rc < 0)
		return rc;
	if (!rc) {
		log_error("'%s' is not a cubefs store", c->dir);
		return -EINVAL;
	}
	if (version < 1 || version > CATALOG_SCHEMA_VERSION) {
		log_error("store '%s' has catalog schema version %d, this cubefs "
			  "reads versions 1 to %d", c->dir, version,
			  CATALOG_SCHEMA_VERSION);
		return -EPROTO;
	}
	c->version = version;
	if (version < CATALOG_SCHEMA_VERSION && !c->rdonly)
		return upgrade(c);
	return 0;
}

static int create_schema(struct catalog *c)
{
	int rc;

	rc = catalog_exec(c, "BEGIN IMMEDIATE");
	if (rc)
		return rc;
	rc = catalog_exec(c, catalog_schema_sql);
	if (!rc)
		rc = catalog_exec(c, "INSERT INTO meta VALUES('format','cubefs');"
				  "INSERT INTO meta VALUES('schema_version','1');");
	if (!rc)
		rc = apply_upgrades(c, 1);
	if (!rc)
		rc = catalog_exec(c, "COMMIT");
	if (rc)
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	else
		c->version = CATALOG_SCHEMA_VERSION;
	return rc;
}

/*
 * Writes the URI of an immutable open of path into uri: '%', '?' and '#'
 * escaped, "file://" before an absolute path (so that one starting with
 * "//" is no host name). -ENAMETOOLONG if it does not fit in cap.
 */
static int immutable_uri(const char *path, char *uri, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *tail = "?immutable=1";
	size_t n = (size_t)snprintf(uri, cap, "file:%s",
				    path[0] == '/' ? "//" : "");

	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (n + 4 >= cap)
			return -ENAMETOOLONG;
		if (*p == '%' || *p == '?' || *p == '#') {
			uri[n++] = '%';
			uri[n++] = hex[*p >> 4];
			uri[n++] = hex[*p & 15];
		} else {
			uri[n++] = (char)*p;
		}
	}
	if (n + strlen(tail) >= cap)
		return -ENAMETOOLONG;
	strcpy(uri + n, tail);
	return 0;
}

/*
 * How a read-only open reaches catalog.db (path) in dir. SQLite reads a
 * WAL catalog through catalog.db-wal and catalog.db-shm, and makes them
 * if they are missing; where this process cannot create files (a
 * read-only mount or share, someone else's directory) that fails. Since
 * SQLite 3.22 a read-only connection reads an existing pair there (the
 * -shm read-only); without the pair, the catalog is opened immutable
 * (no lock, no -wal, no -shm), which is exact only if catalog.db holds
 * every commit: no -wal, or an empty one (a writer's clean close leaves
 * that, catalog_free()). A -wal with content and no -shm beside it holds
 * commits that cannot be read there: -EAGAIN, logged. Sets *immutable.
 */
static int rdonly_mode(const char *dir, const char *path, int *immutable)
{
	char wal[PATH_MAX + 8], shm[PATH_MAX + 8];
	struct stat sb;

	*immutable = 0;
	if (access(dir, W_OK) == 0)
		return 0;
	snprintf(wal, sizeof(wal), "%s-wal", path);
	snprintf(shm, sizeof(shm), "%s-shm", path);
	if (stat(wal, &sb) ? errno == ENOENT : sb.st_size == 0) {
		*immutable = 1;
		return 0;
	}
	if (access(shm, R_OK) == 0)
		return 0;
	log_error("cannot read store '%s' here: catalog.db-wal holds commits "
		  "that a read-only place cannot read without catalog.db-shm; "
		  "open the store once where it is writable", dir);
	return -EAGAIN;
}

int catalog_open(const char *dir, int flags, struct catalog **out)
{
	struct catalog *c = NULL;
	char path[PATH_MAX];
	char uri[3 * PATH_MAX + 32];
	struct stat sb;
	int rc, fresh = 0, oflags, immutable = 0;

	*out = NULL;
	if (stat(dir, &sb)) {
		if (errno != ENOENT || !(flags & CATALOG_CREATE)) {
			rc = -errno;
			log_error("cannot open store '%s': %s", dir, strerror(errno));
			return rc;
		}
		if (mkdir(dir, 0755)) {
			rc = -errno;
			log_error("cannot create store '%s': %s", dir,
				  strerror(errno));
			return rc;
		}
		fresh = 1;
	} else if (!S_ISDIR(sb.st_mode)) {
		log_error("'%s' is not a cubefs store (not a directory)", dir);
		return -ENOTDIR;
	}
	snprintf(path, sizeof(path), "%s/catalog.db", dir);
	if (access(path, F_OK)) {
		if (!(flags & CATALOG_CREATE)) {
			log_error("'%s' is not a cubefs store (no catalog.db)", dir);
			return -EINVAL;
		}
		if (!fresh && dir_empty(dir) != 1) {
			log_error("'%s' is not a cubefs store and not empty: "
				  "refusing to make a store there", dir);
			return -EINVAL;
		}
		fresh = 1;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->dir = strdup(dir))) {
		rc = -ENOMEM;
		goto out;
	}
	c->rdonly = !!(flags & CATALOG_RDONLY);
	if (c->rdonly && !fresh) {
		rc = rdonly_mode(dir, path, &immutable);
		if (!rc && immutable)
			rc = immutable_uri(path, uri, sizeof(uri));
		if (rc)
			goto out;
	}
	oflags = c->rdonly ? SQLITE_OPEN_READONLY :
		SQLITE_OPEN_READWRITE | (fresh ? SQLITE_OPEN_CREATE : 0);
	if (immutable)
		oflags |= SQLITE_OPEN_URI;
	rc = sqlite3_open_v2(immutable ? uri : path, &c->db,
			     oflags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		log_error("cannot open catalog '%s': %s", path,
			  c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		rc = rc == SQLITE_CANTOPEN ? -EACCES : -EIO;
		goto out;
	}
	/* SQLite opens a file it may not write (immutable, or a read-only
	 * bind of the file alone) read-only without a word */
	if (!c->rdonly && sqlite3_db_readonly(c->db, "main") == 1) {
		rc = -EROFS;
		goto out;
	}
	sqlite3_busy_timeout(c->db, CATALOG_BUSY_MS);
	sqlite3_extended_result_codes(c->db, 1);
	if (!c->rdonly) {
		rc = catalog_exec(c, "PRAGMA journal_mode=WAL");
		if (rc)
			goto out;
		rc = catalog_exec(c, "PRAGMA synchronous=FULL");
		if (rc)
			goto out;
	}
	rc = catalog_exec(c, "PRAGMA foreign_keys=ON");
	if (rc)
		goto out;
	if (fresh) {
		rc = create_schema(c);
		if (!rc)
			rc = make_dirs(dir);
		if (rc)
			goto out;
	} else {
		rc = check_version(c);
		if (rc)
			goto out;
		if (!c->rdonly && (rc = make_dirs(dir)))
			goto out;
	}
	*out = c;
	c = NULL;
out:
	catalog_free(c);
	return rc;
}

void catalog_free(struct catalog *c)
{
	int rc;

	if (!c)
		return;
	/* a writer folds the WAL into catalog.db and empties it, waiting a
	 * moment for readers of older snapshots: a store it leaves is one
	 * file, which a read-only place serves as it is (rdonly_mode()) */
	if (c->db && !c->rdonly && sqlite3_db_readonly(c->db, "main") == 0) {
		sqlite3_busy_timeout(c->db, CLOSE_BUSY_MS);
		rc = sqlite3_wal_checkpoint_v2(c->db, NULL,
					       SQLITE_CHECKPOINT_TRUNCATE,
					       NULL, NULL);
		if (rc != SQLITE_OK)
			log_debug("catalog of '%s' not checkpointed at close: "
				  "%s", c->dir, sqlite3_errmsg(c->db));
	}
	sqlite3_close(c->db);
	free(c->dir);
	free(c);
}

void catalog_set_busy_timeout(struct catalog *c, int ms)
{
	sqlite3_busy_timeout(c->db, ms);
}

const char *catalog_dir(const struct catalog *c)
{
	return c->dir;
}

int catalog_rdonly(const struct catalog *c)
{
	return c->rdonly;
}

int catalog_version(const struct catalog *c)
{
	return c->version;
}

int catalog_begin(struct catalog *c)
{
	int rc = catalog_exec(c, "BEGIN IMMEDIATE");

	if (!rc)
		c->changes = sqlite3_total_changes64(c->db);
	return rc;
}

int catalog_begin_read(struct catalog *c)
{
	return catalog_exec(c, "BEGIN");
}

int catalog_commit(struct catalog *c)
{
	/* a transaction that changed rows makes a new generation, so that
	 * other processes reading the store see that they must reload */
	if (!sqlite3_get_autocommit(c->db) && !c->rdonly &&
	    sqlite3_total_changes64(c->db) != c->changes) {
		int rc = catalog_exec(c, "INSERT INTO meta VALUES('generation',"
				      "'1') ON CONFLICT(key) DO UPDATE SET "
				      "value=CAST(value AS INTEGER)+1");

		if (rc)
			return rc;
	}
	return catalog_exec(c, "COMMIT");
}

int catalog_generation(struct catalog *c, uint64_t *gen)
{
	sqlite3_stmt *st;
	int rc = catalog_prepare(c, "SELECT CAST(value AS INTEGER) FROM meta"
				 " WHERE key='generation'", &st);

	*gen = 0;
	if (rc)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		sqlite3_int64 v = sqlite3_column_int64(st, 0);

		*gen = v > 0 ? (uint64_t)v : 0;
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = catalog_sqlite_err(c->db, rc, "read generation");
	}
	sqlite3_finalize(st);
	return rc;
}

void catalog_rollback(struct catalog *c)
{
	if (!sqlite3_get_autocommit(c->db))
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
}

int catalog_end(struct catalog *c, int rc)
{
	if (!rc)
		rc = catalog_commit(c);
	if (rc)
		catalog_rollback(c);
	return rc;
}

int catalog_dataset_exists(struct catalog *c, const char *name)
{
	sqlite3_stmt *st;
	int rc = catalog_prepare(c, "SELECT 1 FROM dataset WHERE name=?", &st);

	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	return catalog_step_exists(c, st, "find dataset");
}

void catalog_names_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

int catalog_dataset_names(struct catalog *c, char ***out, size_t *n)
{
	char **v = NULL;
	size_t len = 0;
	sqlite3_stmt *st;
	int rc = catalog_prepare(c, "SELECT name FROM dataset ORDER BY name",
				 &st);

	*out = NULL;
	*n = 0;
	if (rc)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);

		char **e = catalog_append(&v, len, sizeof(*e));

		if (!e || !(*e = strdup(s ? s : ""))) {
			rc = -ENOMEM;
			break;
		}
		len++;
	}
	sqlite3_finalize(st);
	rc = rc == SQLITE_DONE ? 0 : rc < 0 ? rc :
		catalog_sqlite_err(c->db, rc, "list datasets");
	if (rc) {
		catalog_names_free(v, len);
		return rc;
	}
	*out = v;
	*n = len;
	return 0;
}

int catalog_dataset_delete(struct catalog *c, const char *name)
{
	sqlite3_stmt *st;
	int rc = catalog_prepare(c, "DELETE FROM dataset WHERE name=?", &st);

	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? (sqlite3_changes(c->db) ? 0 : -ENOENT) :
		catalog_sqlite_err(c->db, rc, "delete dataset");
	sqlite3_finalize(st);
	return rc;
}

int catalog_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n > CATALOG_NAME_MAX)
		return -ENAMETOOLONG;
	if (n == 0 || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p == '/' || *p < 0x20 || *p == 0x7f)
			return -EINVAL;
	return 0;
}
