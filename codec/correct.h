/* SPDX-License-Identifier: MIT */
/* Corrections: what a lossy GOP needs to hold --max-error, as sample steps or exact values. */
#ifndef CUBEFS_CODEC_CORRECT_H
#define CUBEFS_CODEC_CORRECT_H

#include <stddef.h>
#include <stdint.h>

#include "base/dtype.h"

/*
 * The corrections of one GOP of one stream. Positions index the GOP's
 * values in decode order ([frame][plane][y][x]), ascending in each list.
 *
 * Sample corrections move a decoded sample by code * step before it is
 * dequantized: the codes are small integers (the residual in units of a
 * step the encoder chose from the bound), so they cost a few bits each.
 * Exact corrections replace a dequantized value with the source's own
 * (where no sample is close enough, or in blocks of the first format).
 *
 * Stored as one lz4 block. Format 2: "COR2", u32 nsamp, u32 nexact,
 * u32 step, u8 layout; the sample corrections' positions (varint deltas,
 * or where that is smaller a bitmap of the GOP's values) and codes (2 or
 * 4 bits each where they fit, else zigzag varints); varint position
 * deltas of the exact ones, then their nexact values. Format 1 (stores
 * made before): u32 n, n u32 position deltas, n values; all exact.
 */
struct codec_corr {
	uint32_t nsamp;
	uint32_t nexact;
	uint32_t step;
	uint32_t *spos;         /* nsamp positions */
	int32_t *scode;         /* nsamp codes, the move is code * step */
	uint32_t *epos;         /* nexact positions */
	uint8_t *evals;         /* nexact values of the variable's type */
};

/*
 * Packs c (its arrays as described above) of a GOP of nvals values into
 * a new malloc'd block (*out, *out_len), format 2. Returns 0, -ENOMEM, or
 * -EINVAL for a position list that is not strictly ascending or reaches
 * past nvals.
 */
int codec_corr_pack(const struct codec_corr *c, enum dtype t, size_t nvals,
		    uint8_t **out, size_t *out_len);

/*
 * Parses block blk (len bytes, untrusted; either format) of a GOP of
 * nvals values of type t into *c (arrays malloc'd: codec_corr_release).
 * Returns 0, or -EIO for a corrupt block, a total other than expect, or
 * a position outside the GOP (*c is then empty), -ENOMEM.
 */
int codec_corr_parse(const void *blk, size_t len, enum dtype t, size_t nvals,
		     uint32_t expect, struct codec_corr *c);

/* Moves the samples c corrects at positions below n, clamped to
 * [0, 2^bits - 1]. */
void codec_corr_samples(const struct codec_corr *c, uint16_t *s, int bits,
			size_t n);

/* Writes the exact values of c at positions below n into dst (values of
 * type t). */
void codec_corr_values(const struct codec_corr *c, enum dtype t, void *dst,
		       size_t n);

/* Frees c's arrays and zeroes it; an empty c does nothing. */
void codec_corr_release(struct codec_corr *c);

#endif
