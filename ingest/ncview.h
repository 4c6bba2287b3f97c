/* SPDX-License-Identifier: MIT */
/* The .nc view of a dataset: a NetCDF classic header generated to the letter, and its data extents. */
#ifndef CUBEFS_INGEST_NCVIEW_H
#define CUBEFS_INGEST_NCVIEW_H

#include "catalog/catalog.h"

/*
 * Describes ds as a NetCDF classic file into w (name set by the caller):
 * CDF-2 (64-bit offset) unless the dataset needs CDF-5 (a dimension or
 * variable too large for CDF-2, or 64-bit integers beyond 2^53). All
 * dimensions in their order, the first unlimited one that leads every
 * variable using it kept as the record dimension (else the first of
 * length 0 that does), every attribute; fixed-size variables smallest first and
 * the largest last (CDF-2's size rule), then the record variables
 * interleaved per record. Data is big-endian. Packed variables were
 * unpacked at import and are served as physical values without
 * scale_factor/add_offset; unsigned integers are served in CDF-2 as the
 * signed type of their size with _Unsigned = "true"; 64-bit integers in
 * CDF-2 as doubles. Returns 0, -ENOMEM, or -EFBIG naming the variable
 * or dimension that no classic format can hold (a dimension of length 0
 * other than the record one). w is left empty on failure.
 */
int ncview_build(const struct cat_dataset *ds, struct cat_view *w);

#endif
