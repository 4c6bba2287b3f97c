/* SPDX-License-Identifier: MIT */
/* Quantization of one plane of values to N-bit samples with a scale and offset. */
#ifndef CUBEFS_CODEC_QUANT_H
#define CUBEFS_CODEC_QUANT_H

#include <stddef.h>
#include <stdint.h>

#include "base/dtype.h"
#include "base/format.h"	/* struct codec_quant */

/*
 * Fits a full-range mapping of [min, max] of the n values to [0, 2^bits -
 * 1]. Positions with masked[i] != 0 (masked may be NULL) and NaN values are
 * ignored. With no valid value, or all equal, scale is 0 and every sample
 * is 0 (offset = the value, whatever the codec does). Never fails.
 */
void codec_quant_fit(const double *v, const uint8_t *masked, size_t n,
		     int bits, struct codec_quant *q);

/*
 * Identity mapping for integer data: offset = min, scale = 1. Returns 0,
 * or -ERANGE if max - min does not fit in `bits` bits or a value is not an
 * integer (then q holds the range anyway).
 */
int codec_quant_fit_exact(const double *v, const uint8_t *masked, size_t n,
			  int bits, struct codec_quant *q);

/* Smallest of 8, 10, 12, 16 that holds max - min + 1 levels, or -ERANGE. */
int codec_quant_exact_bits(const struct codec_quant *q);

/* Maps n values to samples, rounding to nearest and clamping to range.
 * NaN maps to 0 (callers fill masked positions first). */
void codec_quantize(const struct codec_quant *q, int bits, const double *v,
		    uint16_t *s, size_t n);

/* Maps n samples back to values of type t (native byte order). */
void codec_dequantize(const struct codec_quant *q, const uint16_t *s,
		      enum dtype t, void *dst, size_t n);

/*
 * Replaces masked positions of a w x h plane with a smooth continuation
 * of their neighbours (linear along rows, rows with no valid value copied
 * from the nearest row that has one), so that fill values cost the
 * encoder no bits at land/sea edges. Planes with no valid value become 0.
 */
void codec_fill_masked(double *plane, const uint8_t *masked, int w, int h);

#endif
