/* SPDX-License-Identifier: MIT */
/* Encoding one variable of a source into GOPs and masks appended to a pack (internal to ingest/). */
#ifndef CUBEFS_INGEST_ENCODE_H
#define CUBEFS_INGEST_ENCODE_H

#include "catalog/pack.h"
#include "ingest/import.h"
#include "ingest/progress.h"
#include "ingest/source.h"

#include <pthread.h>

struct encode_ctx {
	struct pack_writer *pack;
	const struct import_opts *opts;
	struct progress *progress;
	pthread_mutex_t lock;   /* the pack, the source and progress */
};

#define ENCODE_CTX_INIT(o, prog) { .opts = (o), .progress = (prog), \
				   .lock = PTHREAD_MUTEX_INITIALIZER }

/*
 * Sets the frame/plane layout of variable v (nframes, nplanes, height,
 * width) from its shape: >= 3 dims: first axis frames, last two the
 * picture, the rest planes; 2 dims: one frame; fewer: one frame of one row.
 */
void encode_layout(struct cat_var *v);

/*
 * Encodes variable vi of src: fills its storage, streams, GOP rows (with
 * pack_id 0, to be set by the caller), masks and quality, and r. Returns
 * 0 or a negative errno (logged, naming the variable).
 */
int encode_var(struct encode_ctx *x, struct source *src, int vi,
	       struct import_var_report *r);

/*
 * Re-encodes GOP gi (all streams) of variable vi, whose streams and GOP
 * rows are already set (loaded from the catalog), from the frames src
 * now gives: the rows' payload fields and quantization are replaced
 * (pack_id 0, to be set by the caller), and *mask receives the new mask
 * of those frames (*has_mask = 0 when nothing is masked). The quality of
 * those frames goes to v->frameq (allocated for all frames when NULL,
 * other entries zero), and v->vmin/vmax widen to the new values. Returns
 * 0 or a negative errno.
 */
int encode_regop(struct encode_ctx *x, struct source *src, int vi,
		 uint32_t gi, struct cat_mask *mask, int *has_mask);

#endif
