/* SPDX-License-Identifier: MIT */
/* Committing staged writes: re-encode only the touched GOPs, or import a whole new file. */
#ifndef CUBEFS_FS_COMMIT_H
#define CUBEFS_FS_COMMIT_H

#include "catalog/catalog.h"
#include "fs/reader.h"
#include "fs/stage.h"
#include "ingest/import.h"

/*
 * Commits the edit journal st of view w of dataset ds: the frames the
 * writes touched are read back through the view with the staged bytes
 * over them and encoded alone as patch GOPs over the GOPs that held
 * them (lossy video variables: no other frame changes), or their GOPs
 * re-encoded whole (lz4 and lossless variables); a variable whose patch
 * GOPs would pass o->compact_after is compacted instead (see
 * commit_apply in fs/commit_int.h). The payloads go to a new pack
 * (fsynced) and the rows are swapped in one transaction with the
 * dataset's mtime. A write that changes a root
 * view's header or size replaces the dataset by the file as written
 * (imported with o). On failure nothing is changed in the store and the
 * journal is kept. The caller holds the store's write lock and may read
 * through r meanwhile. Returns 0 or a negative errno (logged).
 */
int commit_edit(struct catalog *c, struct reader *r,
		const struct cat_dataset *ds, const struct cat_view *w,
		struct stage *st, const struct import_opts *o);

/*
 * Compacts dataset ds (the reader's rows, which must be the catalog's):
 * each base GOP of a variable with patch GOPs is re-encoded once from the
 * values r serves now (patches over the base) and the patches dropped,
 * in one new pack and one transaction. Every frame served stays within
 * the codec's error of what it served before (--max-error: within the
 * bound of it), and the quality rows of frames not rewritten add both
 * errors. *changed is 1 if rows changed. The caller holds the store's
 * write lock. Returns 0 or a negative errno (logged; nothing changed).
 */
int commit_compact(struct catalog *c, struct reader *r,
		   const struct cat_dataset *ds, const struct import_opts *o,
		   int *changed);

/*
 * Imports a new file staged whole in st as dataset `name` (replacing one
 * of that name when o->replace). Returns 0 or a negative errno.
 */
int commit_new(struct catalog *c, struct stage *st, const char *name,
	       const struct import_opts *o);

#endif
