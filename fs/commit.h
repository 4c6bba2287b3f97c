/* SPDX-License-Identifier: MIT */
/* Committing staged writes: re-encode only the touched GOPs, or import a whole new file. */
#ifndef CUBEFS_FS_COMMIT_H
#define CUBEFS_FS_COMMIT_H

#include "catalog/catalog.h"
#include "fs/reader.h"
#include "fs/stage.h"
#include "ingest/import.h"

/*
 * Commits the edit journal st of view w of dataset ds: the GOPs whose
 * frames the writes touched are read back through the view with the
 * staged bytes over them, re-quantized (new scales where values moved),
 * re-encoded into a new pack (fsynced), and their rows swapped in one
 * transaction with the dataset's mtime. A write that changes a root
 * view's header or size replaces the dataset by the file as written
 * (imported with o). On failure nothing is changed in the store and the
 * journal is kept. The caller holds the store's write lock and may read
 * through r meanwhile. Returns 0 or a negative errno (logged).
 */
int commit_edit(struct catalog *c, struct reader *r,
		const struct cat_dataset *ds, const struct cat_view *w,
		struct stage *st, const struct import_opts *o);

/*
 * Imports a new file staged whole in st as dataset `name` (replacing one
 * of that name when o->replace). Returns 0 or a negative errno.
 */
int commit_new(struct catalog *c, struct stage *st, const char *name,
	       const struct import_opts *o);

#endif
