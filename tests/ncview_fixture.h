/* SPDX-License-Identifier: MIT */
/* What the .nc view tests share: files in the test directory (tests/fixture.h), a lossless import, the view read back through the reader and checked against libnetcdf's file. */
#ifndef CUBEFS_TESTS_NCVIEW_FIXTURE_H
#define CUBEFS_TESTS_NCVIEW_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "tests/fixture.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define CHECK(x) do { \
	int st_ = (x); \
	if (st_) \
		fail_msg("%s: %s", #x, nc_strerror(st_)); \
} while (0)

/*
 * Bugs found by these tests and reported with a patch. While a flag is 1
 * the checks the bug breaks are skipped where a probe still finds the
 * bug, and fail once it is gone: clear the flag with the fix.
 *   2D_ROWS: ingest/encode.c reads one source frame (one row) of a 2-d
 *     variable, whose encoded frame is all of it: the other rows are
 *     stored from uninitialised memory.
 *   MERGED_SIZE: ingest/ncview.c add_extent() does not count merged
 *     extents in the view's size: the catalog then refuses the store.
 *   INT64_2P53: ingest/ncview.c needs_cdf5() tests |vmin|, |vmax| > 2^53
 *     on doubles, where 2^53 + 1 is already 2^53: served rounded in CDF-2.
 */
#define KNOWN_BUG_2D_ROWS 0
#define KNOWN_BUG_MERGED_SIZE 0
#define KNOWN_BUG_INT64_2P53 0

/* With its KNOWN_BUG_ flag set: skips while the bug is present, fails
 * once it is gone. */
void known_bug(int flagged, int present, const char *what);

/* A file name in the test directory; one of four rotating buffers. */
const char *tmp_path(const char *name);

void *slurp(const char *path, size_t *len);
void spill(const char *path, const void *data, size_t len);

/* Fails at the first differing byte, naming its offset. */
void assert_bytes(const uint8_t *got, const uint8_t *want, size_t n,
		  const char *what);

/* Each dataset in a store of its own, so that one failure stays alone. */
const char *store_of(const char *name);

/* Imports path losslessly as dataset name (floats to lz4: all exact). */
void import_lossless(const char *path, const char *name);

/* The bytes of a view, its header length, and the dataset's views. */
struct image {
	uint8_t *data;
	size_t len;
	size_t hdr;             /* the generated header: the first extent */
};

const struct cat_view *find_view(const struct cat_dataset *ds,
				 const char *name);

/*
 * Loads dataset name through the reader and reads "<name>.nc" whole, and
 * again in 7-byte pieces (partial big-endian elements). npy lists the
 * other views expected: at the root if the dataset has one variable,
 * else in its directory.
 */
struct image read_nc_view(const char *name, const char *const *npy,
			  size_t nnpy);

/* Whole-file identity with what libnetcdf wrote at path. */
void assert_same_file(const struct image *im, const char *path);

/* Writes the view to the test directory and opens it with libnetcdf. */
int open_view(const struct image *im, const char *file);

#endif
