/* SPDX-License-Identifier: MIT */
/* Metadata set on files (schema version 4): file_attr rows of datasets' files, plain_file rows of staged plain files. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog_int.h"

static int need_v4(struct catalog *c)
{
	return c->version >= 4 ? 0 : -ENOTSUP;
}

/* catalog_prepare() of sql on a catalog of version 4 (else -ENOTSUP). */
static int prepare_v4(struct catalog *c, const char *sql, sqlite3_stmt **st)
{
	int rc = need_v4(c);

	return rc ? rc : catalog_prepare(c, sql, st);
}

int catalog_set_lazy(struct catalog *c, int lazy)
{
	return catalog_exec(c, lazy ? "PRAGMA synchronous=NORMAL" :
			    "PRAGMA synchronous=FULL");
}

void catalog_meta_clear(struct cat_meta *m)
{
	m->mode = -1;
	m->uid = m->gid = -1;
	m->atime = m->mtime = CAT_TIME_UNSET;
}

void catalog_meta_merge(struct cat_meta *to, const struct cat_meta *from)
{
	if (from->mode >= 0)
		to->mode = from->mode;
	if (from->uid >= 0)
		to->uid = from->uid;
	if (from->gid >= 0)
		to->gid = from->gid;
	if (from->atime != CAT_TIME_UNSET)
		to->atime = from->atime;
	if (from->mtime != CAT_TIME_UNSET)
		to->mtime = from->mtime;
}

/* Binds m's mode, uid, gid, atime, mtime to parameters col .. col + 4. */
static void bind_meta(sqlite3_stmt *st, int col, const struct cat_meta *m)
{
	sqlite3_bind_int64(st, col, m->mode);
	sqlite3_bind_int64(st, col + 1, m->uid);
	sqlite3_bind_int64(st, col + 2, m->gid);
	if (m->atime != CAT_TIME_UNSET)
		sqlite3_bind_int64(st, col + 3, m->atime);
	if (m->mtime != CAT_TIME_UNSET)
		sqlite3_bind_int64(st, col + 4, m->mtime);
}

/* Reads columns col .. col + 4 into m; rows are untrusted: a mode out of
 * range or a negative id counts as not set. */
static void column_meta(sqlite3_stmt *st, int col, struct cat_meta *m)
{
	sqlite3_int64 mode = sqlite3_column_int64(st, col);

	catalog_meta_clear(m);
	m->mode = mode >= 0 && mode <= 07777 ? (int32_t)mode : -1;
	m->uid = sqlite3_column_int64(st, col + 1);
	m->gid = sqlite3_column_int64(st, col + 2);
	if (m->uid < 0 || m->uid > UINT32_MAX)
		m->uid = -1;
	if (m->gid < 0 || m->gid > UINT32_MAX)
		m->gid = -1;
	if (sqlite3_column_type(st, col + 3) == SQLITE_INTEGER)
		m->atime = sqlite3_column_int64(st, col + 3);
	if (sqlite3_column_type(st, col + 4) == SQLITE_INTEGER)
		m->mtime = sqlite3_column_int64(st, col + 4);
}

int catalog_fattr_put(struct catalog *c, const struct cat_fattr *a)
{
	sqlite3_stmt *st = NULL;
	int rc = prepare_v4(c, "INSERT OR REPLACE INTO file_attr"
			    " VALUES(?,?,?,?,?,?,?,?)", &st);

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, a->dataset_id);
	sqlite3_bind_int64(st, 2, a->view_id);
	bind_meta(st, 3, &a->m);
	sqlite3_bind_int64(st, 8, a->base_mtime);
	rc = catalog_run(c, st, "write file metadata");
	sqlite3_finalize(st);
	return rc;
}

int catalog_fattr_load_all(struct catalog *c, struct cat_fattr **out,
			   size_t *n)
{
	struct cat_fattr *v = NULL, *e;
	sqlite3_stmt *st = NULL;
	int rc;

	*out = NULL;
	*n = 0;
	if (need_v4(c))
		return 0;
	rc = catalog_prepare(c, "SELECT dataset_id, view_id, mode, uid, gid,"
			     " atime, mtime, base_mtime FROM file_attr", &st);
	if (rc)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!(e = catalog_append(&v, *n, sizeof(*v)))) {
			rc = SQLITE_NOMEM;
			break;
		}
		(*n)++;
		e->dataset_id = sqlite3_column_int64(st, 0);
		e->view_id = sqlite3_column_int64(st, 1);
		column_meta(st, 2, &e->m);
		e->base_mtime = sqlite3_column_int64(st, 7);
	}
	rc = catalog_sqlite_err(c->db, rc == SQLITE_DONE ? SQLITE_OK : rc,
				"load file metadata");
	sqlite3_finalize(st);
	if (rc) {
		free(v);
		*n = 0;
		return rc;
	}
	*out = v;
	return 0;
}

int catalog_plain_put(struct catalog *c, const struct cat_plain *p)
{
	sqlite3_stmt *st = NULL;
	int rc = prepare_v4(c, "INSERT OR REPLACE INTO plain_file"
			    " VALUES(?,?,?,?,?,?,?,?,?)", &st);

	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, p->key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, p->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)p->size);
	bind_meta(st, 4, &p->m);
	if (p->reason)
		sqlite3_bind_text(st, 9, p->reason, -1, SQLITE_STATIC);
	rc = catalog_run(c, st, "write plain file");
	sqlite3_finalize(st);
	return rc;
}

int catalog_plain_delete(struct catalog *c, const char *key)
{
	sqlite3_stmt *st = NULL;
	int rc = prepare_v4(c, "DELETE FROM plain_file WHERE key=?", &st);

	if (rc)
		return rc == -ENOTSUP ? 0 : rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = catalog_run(c, st, "delete plain file");
	sqlite3_finalize(st);
	return rc;
}

/* A copy of text column col, "" for NULL; NULL only when out of memory. */
static char *column_text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return strdup(t ? (const char *)t : "");
}

int catalog_plain_list(struct catalog *c, struct cat_plain **out, size_t *n)
{
	struct cat_plain *v = NULL, *e;
	sqlite3_stmt *st = NULL;
	int rc;

	*out = NULL;
	*n = 0;
	if (need_v4(c))
		return 0;
	rc = catalog_prepare(c, "SELECT key, name, size, mode, uid, gid, atime,"
			     " mtime, reason FROM plain_file"
			     " ORDER BY name, key",
			     &st);
	if (rc)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite3_int64 size = sqlite3_column_int64(st, 2);

		if (!(e = catalog_append(&v, *n, sizeof(*v)))) {
			rc = SQLITE_NOMEM;
			break;
		}
		(*n)++;
		e->key = column_text(st, 0);
		e->name = column_text(st, 1);
		e->size = size > 0 ? (uint64_t)size : 0;
		column_meta(st, 3, &e->m);
		if (sqlite3_column_type(st, 8) != SQLITE_NULL)
			e->reason = column_text(st, 8);
		if (!e->key || !e->name ||
		    (sqlite3_column_type(st, 8) != SQLITE_NULL && !e->reason)) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	rc = catalog_sqlite_err(c->db, rc == SQLITE_DONE ? SQLITE_OK : rc,
				"list plain files");
	sqlite3_finalize(st);
	if (rc) {
		catalog_plain_list_free(v, *n);
		*n = 0;
		return rc;
	}
	*out = v;
	return 0;
}

void catalog_plain_list_free(struct cat_plain *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].key);
		free(v[i].name);
		free(v[i].reason);
	}
	free(v);
}
