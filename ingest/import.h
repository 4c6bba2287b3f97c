/* SPDX-License-Identifier: MIT */
/* Import: a source file becomes a dataset of the store (encode, append to a pack, commit rows). */
#ifndef CUBEFS_INGEST_IMPORT_H
#define CUBEFS_INGEST_IMPORT_H

#include <limits.h>
#include <stdint.h>

#include "catalog/catalog.h"

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
};

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

#endif
