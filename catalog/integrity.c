/* SPDX-License-Identifier: MIT */
/* SQLite's checks of the catalog file: integrity_check, foreign_key_check. */
#include <stdio.h>
#include <string.h>

#include "catalog/catalog_int.h"

int catalog_integrity_check(struct catalog *c,
			    void (*fn)(void *arg, const char *line),
			    void *arg)
{
	sqlite3_stmt *st;
	int rc = catalog_prepare(c, "PRAGMA integrity_check", &st);

	if (rc)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		char line[1024];

		if (!t) {
			fn(arg, "?");
			continue;
		}
		/* a row may hold several lines, after a "*** in ..." one */
		while (*t && strcmp(t, "ok")) {
			size_t n = strcspn(t, "\n");

			if (n && strncmp(t, "*** ", 4)) {
				snprintf(line, sizeof(line), "%.*s", (int)n,
					 t);
				fn(arg, line);
			}
			t += n + (t[n] == '\n');
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 :
		catalog_sqlite_err(c->db, rc, "integrity_check");
}

int catalog_foreign_key_check(struct catalog *c,
			      void (*fn)(void *arg, const char *table,
					 const int64_t *rowid,
					 const char *parent),
			      void *arg)
{
	sqlite3_stmt *st;
	int rc = catalog_prepare(c, "PRAGMA foreign_key_check", &st);

	if (rc)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		const char *p = (const char *)sqlite3_column_text(st, 2);
		int64_t rowid = sqlite3_column_int64(st, 1);

		fn(arg, t ? t : "?", sqlite3_column_type(st, 1) ==
		   SQLITE_NULL ? NULL : &rowid, p ? p : "?");
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 :
		catalog_sqlite_err(c->db, rc, "foreign_key_check");
}
