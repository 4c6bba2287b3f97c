/* SPDX-License-Identifier: MIT */
/* Corrections: exact values for the samples a lossy GOP got wrong by more than a bound. */
#ifndef CUBEFS_CODEC_CORRECT_H
#define CUBEFS_CODEC_CORRECT_H

#include <stddef.h>
#include <stdint.h>

#include "codec/dtype.h"

/*
 * Packs n corrections (positions idx, ascending, and their exact values:
 * n elements of type t) into a new malloc'd lz4 block (*out, *out_len).
 * Returns 0 or a negative errno.
 */
int codec_corr_pack(const uint32_t *idx, const void *vals, enum dtype t,
		    uint32_t n, uint8_t **out, size_t *out_len);

/*
 * Writes the corrections of block blk (untrusted) into dst, which holds
 * nvals values of type t. Returns 0, or -EIO for a corrupt block, a
 * count other than expect, or a position outside dst (dst is then left
 * as it was).
 */
int codec_corr_apply(const void *blk, size_t len, enum dtype t, void *dst,
		     size_t nvals, uint32_t expect);

#endif
