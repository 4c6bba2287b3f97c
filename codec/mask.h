/* SPDX-License-Identifier: MIT */
/* Masks of NaN and fill positions, kept apart from the picture, stored as lz4 bitmaps. */
#ifndef CUBEFS_CODEC_MASK_H
#define CUBEFS_CODEC_MASK_H

#include <stddef.h>
#include <stdint.h>

/*
 * Classes of a position, one byte each in memory. MASK_EXACT + k marks a
 * position that held the variable's k-th exact value (ingest/fidelity.c),
 * restored exactly like a fill value.
 */
enum { MASK_VALID = 0, MASK_NAN = 1, MASK_FILL = 2, MASK_EXACT = 3 };

/* Exact values a mask can name: MASK_EXACT + k for k below
 * MASK_EXACT_MAX. MASK_KEPT marks a value outside the variable's valid
 * range, left out of the picture and restored by an exact correction
 * (codec/correct.h): applying a mask leaves it as decoded. */
#define MASK_EXACT_MAX 4
#define MASK_KEPT (MASK_EXACT + MASK_EXACT_MAX)
#define MASK_CLASSES (MASK_KEPT + 1)

/*
 * Packs n class bytes into a new malloc'd block (*out, *out_len; the
 * caller frees it): one bitmap per class present, lz4-compressed. Returns
 * 0 or a negative errno (-EINVAL for a class byte of MASK_CLASSES or
 * more).
 */
int codec_mask_pack(const uint8_t *cls, size_t n, uint8_t **out,
		    size_t *out_len);

/*
 * Unpacks a block made by codec_mask_pack() of exactly n positions into
 * n class bytes. Untrusted input: returns -EIO for a corrupt block or
 * another count, and cls is then all MASK_VALID.
 */
int codec_mask_unpack(const void *blk, size_t len, uint8_t *cls, size_t n);

/* Number of positions of cls that are not MASK_VALID. */
size_t codec_mask_count(const uint8_t *cls, size_t n);

#endif
