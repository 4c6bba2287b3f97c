/* SPDX-License-Identifier: MIT */
/* Full-range N-bit quantization with per-plane scale and offset kept as doubles. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "codec/quant.h"

void codec_quant_fit(const double *v, const uint8_t *masked, size_t n,
		     int bits, struct codec_quant *q)
{
	double lo = INFINITY, hi = -INFINITY;
	double levels = (double)((1u << bits) - 1);

	for (size_t i = 0; i < n; i++) {
		if ((masked && masked[i]) || isnan(v[i]))
			continue;
		if (v[i] < lo)
			lo = v[i];
		if (v[i] > hi)
			hi = v[i];
	}
	if (lo > hi) {
		lo = hi = 0;
	}
	q->min = lo;
	q->max = hi;
	q->offset = lo;
	/* a constant plane is all offset: scale 0 keeps codec noise out */
	q->scale = hi > lo && isfinite(hi - lo) ? (hi - lo) / levels : 0.0;
}

int codec_quant_fit_exact(const double *v, const uint8_t *masked, size_t n,
			  int bits, struct codec_quant *q)
{
	int rc = 0;

	codec_quant_fit(v, masked, n, bits, q);
	q->scale = 1.0;
	for (size_t i = 0; i < n && !rc; i++) {
		if ((masked && masked[i]) || isnan(v[i]))
			continue;
		if (v[i] != floor(v[i]))
			rc = -ERANGE;
	}
	if (q->max - q->min > (double)((1u << bits) - 1))
		rc = -ERANGE;
	return rc;
}

int codec_quant_exact_bits(const struct codec_quant *q)
{
	static const int depths[] = { 8, 10, 12, 16 };
	double span = q->max - q->min;

	for (size_t i = 0; i < sizeof(depths) / sizeof(depths[0]); i++)
		if (span <= (double)((1u << depths[i]) - 1))
			return depths[i];
	return -ERANGE;
}

void codec_quantize(const struct codec_quant *q, int bits, const double *v,
		    uint16_t *s, size_t n)
{
	const double inv = q->scale != 0 ? 1.0 / q->scale : 0, off = q->offset;
	const double top = (double)((1u << bits) - 1);

	for (size_t i = 0; i < n; i++) {
		double x = (v[i] - off) * inv + 0.5;

		x = x < 0 ? 0 : x;	/* also NaN -> 0 */
		x = x > top ? top : x;
		if (!(x >= 0))
			x = 0;
		s[i] = (uint16_t)x;
	}
}

#define DEQ_INT(type, lo, hi)						\
	do {								\
		type *d = dst;						\
		for (size_t i = 0; i < n; i++) {			\
			double x = off + s[i] * sc;			\
			x = x < (lo) ? (lo) : x > (hi) ? (hi) : x;	\
			d[i] = (type)lrint(x);				\
		}							\
	} while (0)

void codec_dequantize(const struct codec_quant *q, const uint16_t *s,
		      enum dtype t, void *dst, size_t n)
{
	const double sc = q->scale, off = q->offset;

	switch (t) {
	case DTYPE_F32: {
		float *d = dst;
		for (size_t i = 0; i < n; i++)
			d[i] = (float)(off + s[i] * sc);
		break;
	}
	case DTYPE_F64: {
		double *d = dst;
		for (size_t i = 0; i < n; i++)
			d[i] = off + s[i] * sc;
		break;
	}
	case DTYPE_I8: DEQ_INT(int8_t, -128.0, 127.0); break;
	case DTYPE_U8: DEQ_INT(uint8_t, 0.0, 255.0); break;
	case DTYPE_I16: DEQ_INT(int16_t, -32768.0, 32767.0); break;
	case DTYPE_U16: DEQ_INT(uint16_t, 0.0, 65535.0); break;
	case DTYPE_I32: DEQ_INT(int32_t, -2147483648.0, 2147483647.0); break;
	case DTYPE_U32: DEQ_INT(uint32_t, 0.0, 4294967295.0); break;
	case DTYPE_I64: DEQ_INT(int64_t, -9.2233720368547748e18,
				9.2233720368547748e18); break;
	case DTYPE_U64: DEQ_INT(uint64_t, 0.0, 1.8446744073709550e19); break;
	default:
		memset(dst, 0, n * dtype_size(t));
		break;
	}
}

void codec_fill_masked(double *plane, const uint8_t *masked, int w, int h)
{
	int last_valid_row = -1;

	for (int y = 0; y < h; y++) {
		double *row = plane + (size_t)y * w;
		const uint8_t *m = masked + (size_t)y * w;
		int prev = -1;

		for (int x = 0; x < w; x++) {
			if (m[x])
				continue;
			if (prev + 1 < x) {
				/* fill (prev, x) by a line from row[prev] to row[x] */
				double a = prev < 0 ? row[x] : row[prev];
				for (int k = prev + 1; k < x; k++) {
					double t = prev < 0 ? 1.0 :
						(double)(k - prev) / (x - prev);
					row[k] = a + (row[x] - a) * t;
				}
			}
			prev = x;
		}
		if (prev < 0) {
			continue;	/* no valid value: copied below */
		}
		for (int k = prev + 1; k < w; k++)
			row[k] = row[prev];
		/* rows above with nothing valid take the first valid row */
		for (int r = last_valid_row + 1; r < y; r++)
			memcpy(plane + (size_t)r * w, row, (size_t)w * sizeof(*row));
		last_valid_row = y;
	}
	if (last_valid_row < 0) {
		for (size_t i = 0; i < (size_t)w * h; i++)
			plane[i] = 0;
		return;
	}
	for (int r = last_valid_row + 1; r < h; r++)
		memcpy(plane + (size_t)r * w, plane + (size_t)last_valid_row * w,
		       (size_t)w * sizeof(*plane));
}
