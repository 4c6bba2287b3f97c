/* SPDX-License-Identifier: MIT */
/* Virtual files of a dataset: their names, sizes and extents, built at import. */
#ifndef CUBEFS_INGEST_VIEW_H
#define CUBEFS_INGEST_VIEW_H

#include "catalog/catalog.h"

/*
 * Adds the views of ds (replacing any it has): "<dataset>.npy" for a
 * dataset of one variable, else "<variable>.npy" inside the dataset's
 * directory for each variable of 2 or more dims. Each .npy view is a
 * v1.0 header padded to 64 bytes, then the variable's elements,
 * little-endian. Every dataset also gets "<dataset>.nc" (see
 * ncview_build). Returns 0 or a negative errno.
 */
int view_build(struct cat_dataset *ds);

/*
 * Describes variable var of ds as a .npy file named name in w (header
 * extent and data extent), whether or not the dataset shows one. Release
 * with catalog_view_release(). Returns 0 or a negative errno.
 */
int view_npy(const struct cat_dataset *ds, int var, const char *name,
	     struct cat_view *w);

#endif
