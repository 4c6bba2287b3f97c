/* SPDX-License-Identifier: MIT */
/* The catalog's SQL schema (internal to catalog/). */
#ifndef CUBEFS_CATALOG_SCHEMA_H
#define CUBEFS_CATALOG_SCHEMA_H

#include <sqlite3.h>

/* The schema of version 1. */
extern const char catalog_schema_sql[];

/* One step of the schema: the SQL that turns version - 1 into version. */
struct catalog_upgrade {
	int version;
	const char *sql;
};

/* The steps after version 1 in increasing order, ended by { 0, NULL }. */
extern const struct catalog_upgrade catalog_upgrades[];

/* Maps an SQLite result code to a negative errno, logging msg once. */
int catalog_sqlite_err(sqlite3 *db, int rc, const char *what);

#endif
