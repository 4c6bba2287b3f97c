/* SPDX-License-Identifier: MIT */
/* What the catalog and gc tests share: a hand-built dataset whose GOPs and mask lie at known places of a pack. */
#ifndef CUBEFS_TESTS_CATALOG_FIXTURE_H
#define CUBEFS_TESTS_CATALOG_FIXTURE_H

#include <stdint.h>

#include "catalog/catalog.h"

/*
 * A small dataset: dimension "time", attribute "title", one variable "x"
 * of 5 frames x 2 planes x 3 x 4 (f32, fill 1e36) and its view x.npy.
 * Two streams of 2 GOPs, each of 100 bytes (packets of 60 and 40) at 0,
 * 1, 2 and 3 x stride of pack, and a mask of 20 bytes at 4 x stride. The
 * caller frees it with catalog_dataset_free().
 */
struct cat_dataset *make_ds(const char *name, int64_t pack, uint64_t stride);

#endif
