/* SPDX-License-Identifier: MIT */
/* Import: a source file becomes a dataset of the store (encode, append to a pack, commit rows). */
#ifndef CUBEFS_INGEST_IMPORT_H
#define CUBEFS_INGEST_IMPORT_H

#include <limits.h>
#include <stdint.h>

#include "catalog/catalog.h"

struct progress;

#define IMPORT_DEFAULT_CRF 14
#define IMPORT_CRF_UNSET INT_MIN
#define IMPORT_DEFAULT_BITS 12

/* --effort: the encode speed/quality trade-off (ingest/encode_effort.c) */
enum import_effort {
	IMPORT_EFFORT_DEFAULT = 0,
	IMPORT_EFFORT_FAST = 1,
	IMPORT_EFFORT_BEST = 2,
};

struct import_opts {
	const char *name;       /* dataset name; NULL: the file's base name */
	int codec;              /* enum codec_id; CODEC_NONE: default */
	int bits;               /* 0: default */
	int crf;                /* IMPORT_CRF_UNSET: default; x265 takes
				   CODEC_CRF_MIN to 63 */
	int gop;                /* frames per GOP; 0: codec_default_gop() */
	int lossless;
	int group;              /* planes per stream: 1 (gray) or 3 (gbrp);
				   0: 3 for lossy variables of 3 or more
				   planes, else 1 */
	const char *preset;
	int effort;             /* enum import_effort: the encoder, preset,
				   depth and crf of lossy streams where the
				   options above leave them open */
	double max_error;       /* > 0: every value read back within it */
	double psnr;            /* > 0: choose the crf that reaches it */
	double bpv;             /* > 0: choose the crf that lands on it */
	const char *variables;  /* "a,b": import only these (and the
				   coordinate variables of their dims) */
	int progress;           /* 1: show progress if stderr is a terminal */
	int replace;            /* 1: a dataset of that name is replaced, in
				   the same transaction */
	int compact_after;      /* edits: patch GOPs of a variable past which
				   a commit compacts it; 0:
				   IMPORT_COMPACT_AFTER, < 0: never */
	/* many-file imports (import_files) */
	const char *concat;     /* the dimension to join files along; NULL:
				   the record (unlimited) one */
	int part;               /* 1: import_file records the file as the
				   dataset's first part */
	struct progress *shared;        /* progress over all files, or NULL */
	/* raster files (GeoTIFF) of one grid as the frames of one variable,
	   ordered by date (source_gdal_stack_open); path is the first */
	const char *const *stack;
	int nstack;
	const char *date_pattern;       /* strptime format in file names */
	const char *bands;      /* "B2,B3": the stack's paths are scene
				   folders of a file per band */
	const char *exact_values;       /* lossy variables: values kept
					   exactly at their positions, "0,1";
					   "none"; NULL: by the rule of
					   ingest/fidelity.h */
};

/* Patch GOPs a variable may gather before a commit compacts it. */
#define IMPORT_COMPACT_AFTER 32

/* What an import measured, per variable. */
struct import_var_report {
	char name[CATALOG_NAME_MAX + 1];
	int codec;
	int bits;
	int storage;
	uint64_t values;        /* elements */
	uint64_t raw_bytes;
	uint64_t stored_bytes;  /* GOPs and masks */
	uint64_t masked;        /* NaN or fill positions */
	uint64_t ncorr;         /* values corrected to hold --max-error */
	uint64_t corr_bytes;    /* what the corrections cost */
	double psnr;            /* over the data range; inf when exact */
	double max_err;
	double seconds;
	int crf;                /* of the video streams */
	int probes;             /* trial encodes of a crf search, 0: none */
	int refined;            /* 1: encoded twice to meet the target */
};

struct import_report {
	char name[CATALOG_NAME_MAX + 1];
	int nvars;
	struct import_var_report *vars;         /* malloc'd; free() it */
	double seconds;
};

/* What a many-file import did. */
struct import_files_report {
	char name[CATALOG_NAME_MAX + 1];
	int files;              /* files whose frames were added */
	int skipped;            /* files already in the dataset (a rerun) */
	uint64_t frames;        /* frames added along the joined dimension */
	uint64_t total;         /* frames of the dataset now */
	double seconds;
};

/* Sets o to the defaults. */
void import_opts_init(struct import_opts *o);

/*
 * Imports the .npy or NetCDF file at path into the store as one dataset,
 * in one transaction: payloads are appended to a new pack and fsynced
 * before the rows commit. On failure (logged with a one-line reason)
 * nothing is left: no rows, no pack file. Returns 0, -EEXIST (name
 * taken), -EINVAL (bad name or malformed file), -ENOTSUP, -ENOSPC, ...
 * rep may be NULL.
 */
int import_file(struct catalog *c, const char *path,
		const struct import_opts *o, struct import_report *rep);

/* A dataset name from a file's path: its base name without extension
 * (malloc'd; NULL when out of memory). */
char *import_default_name(const char *path);

/*
 * Imports the n files at paths as one dataset, joined along o->concat
 * (else the record dimension, else the first axis of the cubes; .npy
 * files along their first axis), in the order of that dimension's
 * coordinate values. Every header is read and checked first (see
 * parts_scan in ingest/parts.h); a disagreement stops the import before
 * anything is written. Then each file is committed on its own: the first
 * as a new dataset (import_file), each next one appended (new GOPs, the
 * rows grown in one transaction), so that a failure or a kill leaves the
 * store as after the last file committed. Over an existing dataset of
 * that name the files already in it (same coordinate values, or for
 * files without a coordinate the same path) are skipped and the rest
 * appended: a rerun resumes. With append_only the dataset must exist and
 * no file may hold a frame it has. Files that overlap the dataset are
 * refused (-EINVAL) before anything is written. Raster files (or, with
 * o->bands, scene folders; see source_gdal_stack_open) are a stack, each
 * a frame along "time" dated by its name: checked whole first, then
 * committed a GOP's worth of files at a time (GOPs aligned on the
 * dataset's frame 0), so that a resumed import ends as an uninterrupted
 * one; a date not after the dataset's last that it lacks is refused.
 * Returns 0 or a negative errno (logged in one line naming the file).
 * rep may be NULL.
 */
int import_files(struct catalog *c, char *const *paths, int n,
		 const struct import_opts *o, int append_only,
		 struct import_files_report *rep);

#endif
