/* SPDX-License-Identifier: MIT */
/* What the NetCDF reader tests share: sample and temporary paths, opening a source, finding variables and attributes, reading frames, comparisons. */
#ifndef CUBEFS_TESTS_NETCDF_FIXTURE_H
#define CUBEFS_TESTS_NETCDF_FIXTURE_H

#include <netcdf.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "ingest/source.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define REL_TOL 1e-6            /* float32 of netCDF4-python's float64 */
#define CHECK(call) assert_int_equal((call), NC_NOERR)

/* A file of $CUBEFS_TEST_DATA; a static buffer, valid until the next call. */
const char *data_path(const char *name);

/* A fresh file name under /tmp; the caller unlinks it. */
char *tmp_name(void);

/* Opens path with the NetCDF source, failing the test if it cannot. */
struct source *open_ok(const char *path);

/* The index of variable name in ds, failing the test if there is none. */
int var_index(const struct cat_dataset *ds, const char *name);

/* Attribute name among the n at a, or NULL. */
const struct cat_attr *find_attr(const struct cat_attr *a, int n,
				 const char *name);

/* Reads frames [first, first + n) of variable var into a new buffer. */
void *read_frames(struct source *s, int var, uint64_t first, uint64_t n);

/* All of a variable, in a new buffer. */
void *read_all(struct source *s, int var);

/* got within REL_TOL of want. */
void assert_close(double got, double want);

/* a is a text attribute holding text. */
void assert_attr_text(const struct cat_attr *a, const char *text);

#endif
