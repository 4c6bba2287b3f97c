/* SPDX-License-Identifier: MIT */
/* Pack rows: the pack files the catalog records, the ranges rows use. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog_int.h"

/* Makes room for element len of the array at *(void **)arr, which has
 * room for *cap elements of size bytes, doubling it: 0 or -ENOMEM (the
 * array as it was). Lists of packs and ranges can be long. */
static int grow(void *arr, size_t len, size_t *cap, size_t size)
{
	size_t ncap = *cap ? *cap * 2 : 16;
	void *v, *nv;

	if (len < *cap)
		return 0;
	memcpy(&v, arr, sizeof(v));
	nv = realloc(v, ncap * size);
	if (!nv)
		return -ENOMEM;
	memcpy(arr, &nv, sizeof(nv));
	*cap = ncap;
	return 0;
}

int catalog_pack_add(struct catalog *c, const char *name, uint64_t size,
		     int64_t *id)
{
	sqlite3_stmt *st;
	int rc = catalog_prepare(c, "INSERT INTO pack(name, size) VALUES(?,?)",
				 &st);

	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)size);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? 0 : catalog_sqlite_err(c->db, rc, "add pack");
	sqlite3_finalize(st);
	if (!rc)
		*id = sqlite3_last_insert_rowid(c->db);
	return rc;
}

int catalog_pack_name(struct catalog *c, int64_t id, char *buf, size_t cap)
{
	sqlite3_stmt *st;
	int rc = catalog_prepare(c, "SELECT name FROM pack WHERE id=?", &st);

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *n = (const char *)sqlite3_column_text(st, 0);

		rc = n && strlen(n) < cap ? 0 : -ENAMETOOLONG;
		if (!rc)
			strcpy(buf, n);
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT :
			catalog_sqlite_err(c->db, rc, "pack name");
	}
	sqlite3_finalize(st);
	return rc;
}

int catalog_pack_each(struct catalog *c,
		      int (*fn)(void *arg, int64_t id, const char *name,
				uint64_t size), void *arg)
{
	sqlite3_stmt *st;
	int rc = catalog_prepare(c, "SELECT id, name, size FROM pack ORDER BY"
				 " id", &st), ret = 0;

	if (rc)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *n = (const char *)sqlite3_column_text(st, 1);

		ret = fn(arg, sqlite3_column_int64(st, 0), n ? n : "",
			 (uint64_t)sqlite3_column_int64(st, 2));
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = catalog_sqlite_err(c->db, rc, "list packs");
	sqlite3_finalize(st);
	return ret;
}

void catalog_pack_list_free(struct cat_pack *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].name);
	free(v);
}

int catalog_pack_list(struct catalog *c, struct cat_pack **out, size_t *n)
{
	struct cat_pack *v = NULL;
	size_t len = 0, cap = 0;
	sqlite3_stmt *st;
	int rc = catalog_prepare(c, "SELECT id, name, size, EXISTS(SELECT 1"
				 " FROM gop WHERE pack_id=p.id) OR EXISTS("
				 "SELECT 1 FROM mask WHERE pack_id=p.id)"
				 " FROM pack p ORDER BY id", &st);

	*out = NULL;
	*n = 0;
	if (rc)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 1);
		struct cat_pack *p;

		rc = grow(&v, len, &cap, sizeof(*v));
		if (rc)
			goto out;
		p = &v[len];
		memset(p, 0, sizeof(*p));
		p->id = sqlite3_column_int64(st, 0);
		p->name = strdup(name ? name : "");
		if (!p->name) {
			rc = -ENOMEM;
			goto out;
		}
		len++;
		/* an embedded NUL would make the C string name another file */
		p->name_nul = name && strlen(name) !=
			(size_t)sqlite3_column_bytes(st, 1);
		p->size = sqlite3_column_int64(st, 2);
		p->referenced = sqlite3_column_int(st, 3);
	}
	rc = rc == SQLITE_DONE ? 0 : catalog_sqlite_err(c->db, rc,
							  "list packs");
out:
	sqlite3_finalize(st);
	if (rc) {
		catalog_pack_list_free(v, len);
		return rc;
	}
	*out = v;
	*n = len;
	return 0;
}

static int range_cmp(const void *a, const void *b)
{
	const struct cat_range *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

int catalog_pack_ranges(struct catalog *c, int64_t id,
			struct cat_range **out, size_t *n)
{
	struct cat_range *v = NULL;
	size_t len = 0, cap = 0;
	sqlite3_stmt *st;
	/* corrections lie in their GOP's pack, after its payload */
	int rc = catalog_prepare(c, "SELECT offset, length FROM gop WHERE "
				 "pack_id=?1 UNION ALL SELECT corr_offset, "
				 "corr_length FROM gop WHERE pack_id=?1 AND "
				 "corr_length > 0 UNION ALL SELECT offset, "
				 "length FROM mask WHERE pack_id=?1", &st);

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
		rc = grow(&v, len, &cap, sizeof(*v));
		if (rc)
			goto out;
		v[len].offset = off;
		v[len].length = length;
		len++;
	}
	rc = rc == SQLITE_DONE ? 0 :
		catalog_sqlite_err(c->db, rc, "list pack ranges");
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

int catalog_pack_unreferenced(struct catalog *c, int64_t id)
{
	sqlite3_stmt *st;
	int rc = catalog_prepare(c, "SELECT 1 FROM pack p WHERE id=? AND NOT "
				 "EXISTS(SELECT 1 FROM gop WHERE pack_id=p.id)"
				 " AND NOT EXISTS(SELECT 1 FROM mask WHERE "
				 "pack_id=p.id)", &st);

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	return catalog_step_exists(c, st, "find pack");
}

int catalog_pack_named(struct catalog *c, const char *name)
{
	sqlite3_stmt *st;
	int rc = catalog_prepare(c, "SELECT 1 FROM pack WHERE name=?", &st);

	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	return catalog_step_exists(c, st, "find pack");
}

int catalog_pack_delete(struct catalog *c, int64_t id)
{
	sqlite3_stmt *st;
	int rc = catalog_prepare(c, "DELETE FROM pack WHERE id=?", &st);

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? 0 :
		catalog_sqlite_err(c->db, rc, "delete pack");
	sqlite3_finalize(st);
	return rc;
}
