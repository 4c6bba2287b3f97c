/* SPDX-License-Identifier: MIT */
/* What fs/commit.c and fs/commit_apply.c share: which frames a commit rewrites, and applying them. */
#ifndef CUBEFS_FS_COMMIT_INT_H
#define CUBEFS_FS_COMMIT_INT_H

#include <stdint.h>

#include "catalog/catalog.h"
#include "ingest/import.h"
#include "ingest/source.h"

/* What a commit does to one dataset. */
struct commit_plan {
	uint8_t **frame;        /* per variable, per frame: 1 if written */
	int compact;            /* 1: compact every variable with patches */
};

/*
 * Applies plan p to the dataset src->meta (freshly loaded by the caller,
 * who frees it): the frames written go to patch GOPs (lossy video
 * variables), or their GOPs are re-encoded whole (lz4 and lossless
 * variables, exact either way); a variable whose patch GOPs would pass
 * o->compact_after, or every one with patches when p->compact, is
 * compacted: each base GOP with a patch (or a write) re-encoded once
 * from src and its patches dropped. src gives the frames as they read
 * now with the writes over them. The new payloads go to one new pack,
 * fsynced before the one transaction that swaps the rows. *changed is
 * set to 1 if rows changed. Returns 0 or a negative errno (nothing
 * changed then).
 */
int commit_apply(struct catalog *c, struct source *src,
		 const struct commit_plan *p, const struct import_opts *o,
		 int *changed);

#endif
