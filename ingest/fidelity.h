/* SPDX-License-Identifier: MIT */
/* What must come back exactly: coordinates, categories, frequent values, valid ranges. */
#ifndef CUBEFS_INGEST_FIDELITY_H
#define CUBEFS_INGEST_FIDELITY_H

#include "catalog/catalog.h"
#include "codec/video.h"
#include "ingest/import.h"
#include "ingest/source.h"

/* A value (other than 0) is kept exactly when it makes up at least this
 * share of a variable's valid values. */
#define FIDELITY_SHARE 0.01
/* Integer variables of at most this many distinct values (and float ones
 * whose values are all such integers) are categories. */
#define FIDELITY_CATEGORIES 64

/*
 * Sets VAR_ROLE_COORD on every variable of ds that is a coordinate: a
 * variable named like a dimension, named in a `coordinates`, `bounds`,
 * `climatology` or `grid_mapping` attribute, or with a standard_name of
 * latitude/longitude (or projection coordinates), an `axis`, units
 * degrees_north/east, or a grid_mapping_name. Attributes only; never
 * fails.
 */
void fidelity_roles(struct cat_dataset *ds);

/*
 * Plans what lossy variable vi of src keeps exactly, by a pass over its
 * values: VAR_ROLE_CATEGORY (flag_values/flag_masks, or few distinct
 * integers), its exact values (o->exact_values, or by the rule above:
 * 0 wherever it occurs, then the most frequent values of at least
 * FIDELITY_SHARE, at most CAT_EXACT_MAX in all) and its valid range
 * (valid_range, valid_min, valid_max). Does nothing for --lossless, a
 * coordinate or a variable of fewer than 2 dims. Returns 0 or a negative
 * errno (a source read error, -EINVAL for a malformed --exact-values,
 * logged).
 */
int fidelity_plan(struct source *src, int vi, const struct import_opts *o);

/*
 * The exact corrections (codec/correct.h) that restore the MASK_KEPT
 * positions (values outside the valid range) of stream s's planes over n
 * frames, from cls and raw (the GOP's classes and source values, all
 * planes): a new malloc'd block (*blk, *len; NULL if there are none) and
 * its count (*k). Returns 0 or a negative errno.
 */
int fidelity_kept(const struct cat_var *v, const struct cat_stream *s,
		  const uint8_t *cls, const void *raw, uint32_t n,
		  uint8_t **blk, size_t *len, uint32_t *k);

/* Gives `to` (a source's variable about to be encoded as more frames of
 * stored variable `from`) the role, exact values and valid range that
 * `from` was planned with, so that an append keeps the same promises. */
void fidelity_copy(struct cat_var *to, const struct cat_var *from);

/* The decode constraints of lossy variable v: its valid range (or none)
 * and exact values; each plane's own range is added by the decode. */
void fidelity_codec(const struct cat_var *v, struct codec_fidelity *f);

/* How a dataset's exact values were chosen, from its import profile
 * (import.c writes " exact=..."), as cubefs info prints it. */
const char *fidelity_rule_text(const char *profile);

/* The role's name as cubefs info prints it: "data", "coordinate",
 * "category". */
const char *fidelity_role_name(int role);

#endif
