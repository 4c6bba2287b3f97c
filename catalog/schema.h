/* SPDX-License-Identifier: MIT */
/* The catalog's SQL schema (internal to catalog/). */
#ifndef CUBEFS_CATALOG_SCHEMA_H
#define CUBEFS_CATALOG_SCHEMA_H

#include <sqlite3.h>

/* The whole schema of the current version. */
extern const char catalog_schema_sql[];

/* What turns a version-1 catalog into version 2 (frame_quality). */
extern const char catalog_upgrade_v2_sql[];

/* Maps an SQLite result code to a negative errno, logging msg once. */
int catalog_sqlite_err(sqlite3 *db, int rc, const char *what);

#endif
