/* SPDX-License-Identifier: MIT */
/* The catalog's SQL schema (internal to catalog/). */
#ifndef CUBEFS_CATALOG_SCHEMA_H
#define CUBEFS_CATALOG_SCHEMA_H

#include <sqlite3.h>

extern const char catalog_schema_sql[];

/* Maps an SQLite result code to a negative errno, logging msg once. */
int catalog_sqlite_err(sqlite3 *db, int rc, const char *what);

#endif
