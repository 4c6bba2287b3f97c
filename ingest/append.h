/* SPDX-License-Identifier: MIT */
/* Appending the frames of one source file to a stored dataset (internal to ingest/: import_files and cubefs append use it). */
#ifndef CUBEFS_INGEST_APPEND_H
#define CUBEFS_INGEST_APPEND_H

#include "catalog/catalog.h"
#include "catalog/pack.h"
#include "ingest/import.h"
#include "ingest/progress.h"
#include "ingest/source.h"

/* One dataset being grown, file after file. */
struct append {
	struct catalog *cat;
	struct cat_dataset *ds; /* loaded with catalog_dataset_load(); each
				   append grows it in memory as in the rows */
	const struct import_opts *opts; /* progress and quiet; the codec
					   settings come from the streams */
	struct progress *progress;      /* or NULL */
	const char *concat;     /* the joined dimension, NULL: .npy axis 0 */
	int cdim;               /* its index in ds->dims, -1 for .npy */
	const char *path;       /* the file being appended, for messages */
	struct pack_writer *pack;       /* that append's pack */
	const char *const *stack;       /* the nstack entries of a raster
					   stack being appended (a frame
					   and a part row each), or NULL */
	int nstack;
};

/* Frames of a->ds along the joined dimension. */
uint64_t append_frames_of(const struct append *a);

/*
 * Appends the frames of src (the file at path, which must agree with the
 * dataset: checked, naming the difference) after the dataset's last one,
 * encoded as each variable's streams were (codec, depth, crf, GOP
 * length, preset, max error): variables of 3 or more dims get new GOPs,
 * exactly stored ones without frames of their own (the joined
 * coordinate) are encoded again whole. The payloads go to a new pack,
 * fsynced; the rows grow in one transaction with a part row for path
 * (its global attributes that differ from the dataset's). Views keep
 * their ids. On failure nothing of this file is in the store, but a->ds
 * is no longer what the rows say: load it again before going on.
 * Returns 0 or a negative errno (logged).
 */
int append_file(struct append *a, const char *path, struct source *src);

#endif
