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
	int64_t changes;        /* sqlite3_total_changes64 at catalog_begin */
};

/* Prepares sql; logs and maps errors. */
int catalog_prepare(struct catalog *c, const char *sql, sqlite3_stmt **st);

/* Steps st (bound, a query of at most one row) once and finalizes it:
 * 1 if it gave a row, 0 if none, or the mapped error of `what`. */
int catalog_step_exists(struct catalog *c, sqlite3_stmt *st,
			const char *what);

/* Runs sql that returns no rows. */
int catalog_exec(struct catalog *c, const char *sql);

/* Steps st (bound, a statement that returns no rows) once, then resets it
 * and clears its bindings for the next use: 0 or the mapped error of
 * `what`. */
int catalog_run(struct catalog *c, sqlite3_stmt *st, const char *what);

/*
 * Appends a zeroed element of size bytes to the array at *(void **)arr,
 * which holds n: returns the new element (the caller counts it), or NULL
 * with the array unchanged when out of memory.
 */
void *catalog_append(void *arr, size_t n, size_t size);

/* Binds where GOP g's bytes lie (pack_id, offset, length, extra_size,
 * packets, checksum, corr_offset, corr_length, ncorr) to the parameters
 * col ... col + 8 of st; st uses g's packet table until it is reset. */
void catalog_gop_bind(sqlite3_stmt *st, int col, const struct cat_gop *g);

/* Inserts the quant rows of g's nplanes planes with ins, a prepared
 * "INSERT INTO quant VALUES(?,?,?,?,?,?)". 0 or a negative errno. */
int catalog_quant_insert(struct catalog *c, sqlite3_stmt *ins,
			 const struct cat_gop *g, int nplanes);

/* Formats n integers as "a,b,c" into a new string (NULL: no memory). */
char *catalog_join_u64(const uint64_t *v, int n);

/* Row loops that an import and an append share, each with its prepared
 * INSERT (dataset_insert.c's): the GOP rows of s from GOP from on (ids
 * set in s), the mask rows of v from mask from on, the extents of w. */
int catalog_gops_insert(struct catalog *c, sqlite3_stmt *ins,
			sqlite3_stmt *quant, struct cat_stream *s,
			uint32_t from);
int catalog_masks_insert(struct catalog *c, sqlite3_stmt *ins,
			 const struct cat_var *v, int from);
int catalog_extents_insert(struct catalog *c, sqlite3_stmt *ins,
			   const struct cat_view *w);

#endif
