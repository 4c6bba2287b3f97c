/* SPDX-License-Identifier: MIT */
/* Many input files of one dataset: their headers read and checked, ordered along the joined dimension (internal to ingest/). */
#ifndef CUBEFS_INGEST_PARTS_H
#define CUBEFS_INGEST_PARTS_H

#include <stdint.h>

#include "catalog/catalog.h"
#include "ingest/source.h"

/* One input file, as its header says. */
struct parts_file {
	char *path;
	uint64_t nframes;       /* along the joined dimension */
	double *coord;          /* its nframes coordinate values, increasing,
				   or NULL: no coordinate variable */
};

struct parts {
	int nfiles;
	struct parts_file *files;       /* ordered by coordinate value (the
					   command line's order without) */
	char *concat;           /* the joined dimension; NULL for .npy files
				   (their first axis) */
	struct source *first;   /* the first file in that order, open: its
				   description is the dataset's */
	int cdim;               /* concat's index in first->meta->dims, -1 */
	/* a raster stack (parts_scan_stack): each file is an entry of one
	   frame, its coordinate its date in seconds since 1970 */
	int stack;
};

/*
 * Reads the header of every file of paths[0, n) (each opened and closed
 * again: one open at a time) and checks that they agree with each other:
 * the joined dimension (concat, else the unlimited one, else the first
 * axis all variables of 3 or more dims share) along the first axis of
 * the variables that have it; every other dimension's length; the
 * variables' names, types, shapes and units; the values of variables
 * without the joined dimension; the joined coordinate strictly
 * increasing in each file and from file to file once they are ordered
 * by it. A gap bigger than 1.5 usual steps is reported (log_info). The
 * first difference is logged in one line naming the file and what
 * differs, and nothing else happens. Returns 0 (*out, free with
 * parts_free()), -EINVAL, -ENOTSUP, -ENOENT or another negative errno.
 */
int parts_scan(char *const *paths, int n, const char *concat,
	       struct parts **out);

/*
 * The same for a raster stack: the n files, or with bands scene folders,
 * opened as one stack by source_gdal_stack_open() (every file checked
 * against the first's grid, ordered by date, two of one date refused),
 * which becomes first; each entry is a file of one frame along "time",
 * its date the coordinate (none if undated). 0 or a negative errno,
 * logged.
 */
int parts_scan_stack(char *const *paths, int n, const char *date_pattern,
		     const char *bands, struct parts **out);

/*
 * Records the part row of the file at path (part: its frames, attrs), or
 * with nstack one row of one frame for each entry of a raster stack
 * from part->first_frame on. Inside a transaction; 0 or negative errno.
 */
int parts_add_rows(struct catalog *c, int64_t dataset_id,
		   struct cat_part *part, const char *path,
		   const char *const *stack, int nstack);

/* Closes the first file and frees everything; NULL does nothing. */
void parts_free(struct parts *p);

/* Index of the dimension named concat in ds (NULL: -1, the .npy case),
 * or -ENOENT. */
int parts_dim(const struct cat_dataset *ds, const char *concat);

/* 1 if v runs along dimension cdim (its first axis; for cdim -1 any
 * variable of one or more axes), 0 if it has no such axis, -ENOTSUP if
 * it has it elsewhere. */
int parts_along(const struct cat_var *v, int cdim);

/*
 * Checks that ds (the file at path) agrees with ref (a file or the
 * stored dataset, named what): every variable of ref is in ds with the
 * same type, dims, shape except along the joined dimension, and units;
 * with `both`, ds has no variable ref lacks. cref and cds are the joined
 * dimension in each. Logs the first difference; 0 or -EINVAL.
 */
int parts_agree(const struct cat_dataset *ref, int cref, const char *what,
		const struct cat_dataset *ds, int cds, const char *path,
		int both);

/*
 * Checks the variables of src (the file at path; csrc its joined
 * dimension) without the joined dimension against those of the stored
 * dataset ds (read from c; cds its joined dimension) that are stored
 * exactly: the same values (such as x and y, latitude and longitude)
 * and the same crs_wkt attribute (a raster's grid mapping). Logs the
 * first difference; 0, -EINVAL or another negative errno.
 */
int parts_agree_stored(struct catalog *c, const struct cat_dataset *ds,
		       int cds, struct source *src, int csrc,
		       const char *path);

/*
 * The values of the coordinate variable of dimension cdim of src as
 * doubles (*out, nframes of them, the caller frees it; NULL and 0 when
 * there is no such 1-d variable). 0 or a negative errno.
 */
int parts_coord(struct source *src, int cdim, double **out);

#endif
