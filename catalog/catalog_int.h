/* SPDX-License-Identifier: MIT */
/* What the catalog sources share of the catalog handle (internal). */
#ifndef CUBEFS_CATALOG_INT_H
#define CUBEFS_CATALOG_INT_H

#include <sqlite3.h>

#include "catalog/catalog.h"
#include "catalog/schema.h"

struct catalog {
	sqlite3 *db;
	char *dir;
	int rdonly;
	int version;            /* schema version of the open catalog */
};

/* Prepares sql; logs and maps errors. */
int catalog_prepare(struct catalog *c, const char *sql, sqlite3_stmt **st);

/* Steps st (bound, a query of at most one row) once and finalizes it:
 * 1 if it gave a row, 0 if none, or the mapped error of `what`. */
int catalog_step_exists(struct catalog *c, sqlite3_stmt *st,
			const char *what);

/* Runs sql that returns no rows. */
int catalog_exec(struct catalog *c, const char *sql);

#endif
