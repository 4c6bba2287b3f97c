/* SPDX-License-Identifier: MIT */
/* Quick-look pictures: bands of values stretched to RGB or a colour map, encoded as PNG. */
#ifndef CUBEFS_CODEC_QUICKLOOK_H
#define CUBEFS_CODEC_QUICKLOOK_H

#include <stddef.h>
#include <stdint.h>

/* Pictures larger than this on a side are decimated (every k-th value). */
#define CODEC_QL_MAX_SIDE 2048

/* Percentiles of the valid values that map to 0 and 255. */
#define CODEC_QL_LOW 2
#define CODEC_QL_HIGH 98

/*
 * The size of the picture codec_quicklook_rgb() makes of w x h bands:
 * the same, or decimated by the smallest k with both sides at most
 * CODEC_QL_MAX_SIDE (ceil(w / k) x ceil(h / k): every k-th value of
 * every k-th row from the first). Returns k.
 */
int codec_quicklook_size(int w, int h, int *ow, int *oh);

/*
 * Renders nbands bands of w x h values (row 0 at the top) as RGB24 into
 * rgb (cap bytes, at least 3 * ow * oh of codec_quicklook_size). Three
 * bands are red, green and blue, each stretched from its 2nd to its 98th
 * percentile (min to max where those are equal; a minimum or maximum
 * that more than 2% of the values hold, such as a no-data border of
 * zeros, is left out of the percentiles); one band goes through
 * a perceptual colour map (viridis) with the same stretch. Positions
 * where a band is NaN or infinite are black. A band whose valid values
 * are all equal shows as the middle of its range. Returns 0, or -EINVAL for
 * nbands other than 1 or 3, a size < 1 or a small cap. Thread-safe.
 */
int codec_quicklook_rgb(const float *const *band, int nbands, int w, int h,
			uint8_t *rgb, size_t cap);

/*
 * Encodes a w x h RGB24 picture with libavcodec's PNG encoder into a new
 * malloc'd buffer (*out, *len; the caller frees it). Returns 0 or a
 * negative errno (-EINVAL for a bad size, -ENOTSUP without the encoder,
 * libav's error logged once); *out is then NULL. Thread-safe.
 */
int codec_png_encode(const uint8_t *rgb, int w, int h, uint8_t **out,
		     size_t *len);

/* codec_quicklook_rgb() then codec_png_encode(): a new PNG in *out. */
int codec_quicklook_png(const float *const *band, int nbands, int w, int h,
			uint8_t **out, size_t *len);

#endif
