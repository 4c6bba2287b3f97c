/* SPDX-License-Identifier: MIT */
/* Checking a store: catalog rows against each other and pack bytes against their checksums. */
#ifndef CUBEFS_STORE_CHECK_H
#define CUBEFS_STORE_CHECK_H

#include <stdint.h>

#include "catalog/catalog.h"

/* What a problem is about; problems[] of the report counts each kind. */
enum store_check_kind {
	CHECK_INTEGRITY = 0,    /* PRAGMA integrity_check is not "ok" */
	CHECK_FOREIGN_KEY,      /* a PRAGMA foreign_key_check row */
	CHECK_DATASET,          /* a dataset's rows do not load (shapes,
				   GOPs tiling the frames, extents tiling
				   the views, ...) */
	CHECK_PACK,             /* a pack row: bad name, file missing or
				   shorter than its recorded size */
	CHECK_GOP,              /* GOP bytes missing, checksum mismatch,
				   packet table not adding up */
	CHECK_MASK,             /* mask bytes missing or not decoding */
	CHECK_VIEW,             /* extents not tiling a view, an extent
				   outside its variable */
	CHECK_UNREFERENCED,     /* a pack row no GOP or mask uses */
	CHECK_ORPHAN,           /* a pack file in packs/ with no row */
	CHECK_NKINDS
};

/* One problem (or, with repaired set, one repair), as the callback sees it. */
struct store_check_problem {
	enum store_check_kind kind;
	const char *dataset;    /* the dataset concerned, or NULL */
	const char *pack;       /* the pack file concerned, or NULL */
	int repaired;           /* 1: this line says what --repair did */
	const char *text;       /* the whole line, no newline, e.g.
				   "dataset 'x' variable 'y': GOP at frame 32
				   (pack 'p.pack' @ 1234, 5678 bytes):
				   checksum mismatch" */
};

/*
 * The caller sets fn and arg (fn may be NULL: problems are only counted);
 * store_check() zeroes everything else. gops and masks count the rows
 * of the datasets that load; gop_bytes and mask_bytes the bytes read.
 */
struct store_check_report {
	void (*fn)(void *arg, const struct store_check_problem *p);
	void *arg;

	uint64_t datasets, variables, views, packs;     /* checked */
	uint64_t gops, gop_bytes, masks, mask_bytes;
	uint64_t problems[CHECK_NKINDS];
	uint64_t nproblems;             /* problems[] added up */
	uint64_t repaired;              /* problems --repair fixed */
	int repair_refused;             /* 1: damage was found, nothing was
					   removed (see store_check()) */
};

/*
 * Checks the store c was opened on, and reports each problem through
 * r->fn as it is found:
 *
 * 1. PRAGMA integrity_check says "ok" and PRAGMA foreign_key_check
 *    finds nothing;
 * 2. every dataset loads with catalog_dataset_load() (which checks its
 *    rows: shapes, GOPs tiling the frames, extents tiling the views);
 *    one that does not is named, the loader logs why;
 * 3. every pack row has a valid name (pack_name_valid()) and a regular
 *    file of at least its recorded size; every GOP lies inside its pack
 *    file and its bytes have the crc32 of its row and a packet table
 *    adding up to its length (lz4 GOPs: a block of the right raw size);
 *    every mask lies inside its pack and unpacks (codec_mask_unpack())
 *    to frames x planes x height x width positions;
 * 4. every view's extents tile [0, size) and every variable extent lies
 *    inside its variable;
 * 5. pack files in packs/ without a pack row (orphans, as store_gc()
 *    sees them), and pack rows no GOP or mask references.
 *
 * The rows are read in one read transaction; the pack files through a
 * descriptor of STORE/packs without following symbolic links.
 *
 * With repair (c opened read-write, else -EROFS), once the check is
 * done and only if every problem found is of the two kinds of step 5
 * (no damage at all: damaged data may have its bytes in an unreferenced
 * or orphan pack, so then nothing is removed and r->repair_refused is
 * set), in one write transaction: pack rows no GOP or mask references
 * lose their file, then their row (as store_gc() step 1), and orphan
 * pack files unmodified for STORE_GC_ORPHAN_AGE seconds and open in no
 * process are removed (store_gc()'s rule). Nothing else is changed:
 * no dataset, no row that holds data, no hole punched (`cubefs gc` does
 * that). Each repair is reported through r->fn with repaired set.
 *
 * Returns 0 when the check ran (problems are in r, possibly none), or a
 * negative errno (logged) when the store cannot be checked at all: the
 * catalog cannot be read (-EUCLEAN for a file SQLite finds corrupt),
 * packs/ cannot be opened, memory ran out, or the repair's transaction
 * failed (-EBUSY: the catalog stayed locked; the catalog is then
 * unchanged, files already removed held no data). One thread at a
 * time per handle, as for every catalog call.
 */
int store_check(struct catalog *c, int repair,
		  struct store_check_report *r);

/* The problems of r that are damage (data a row points at, missing or
 * wrong), not leftovers nothing uses (unreferenced packs, orphan files). */
uint64_t store_check_damage(const struct store_check_report *r);

/* A short name of a kind ("checksum" etc.) for summaries; never NULL. */
const char *store_check_kind_name(enum store_check_kind kind);

#endif
