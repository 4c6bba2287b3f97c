/* SPDX-License-Identifier: MIT */
/* Element types of cube variables: sizes, names, ranges and conversions. */
#include <float.h>
#include <stdint.h>
#include <string.h>

#include "base/dtype.h"

struct dtype_info {
	const char *name;
	const char *npy;
	size_t size;
	int is_float;
	int is_signed;		/* signed integer; 0 for the floats */
	double min;
	double max;
};

static const struct dtype_info infos[DTYPE_COUNT] = {
	[DTYPE_I8] = { "int8", "i1", 1, 0, 1, INT8_MIN, INT8_MAX },
	[DTYPE_U8] = { "uint8", "u1", 1, 0, 0, 0, UINT8_MAX },
	[DTYPE_I16] = { "int16", "i2", 2, 0, 1, INT16_MIN, INT16_MAX },
	[DTYPE_U16] = { "uint16", "u2", 2, 0, 0, 0, UINT16_MAX },
	[DTYPE_I32] = { "int32", "i4", 4, 0, 1, INT32_MIN, INT32_MAX },
	[DTYPE_U32] = { "uint32", "u4", 4, 0, 0, 0, UINT32_MAX },
	[DTYPE_I64] = { "int64", "i8", 8, 0, 1, (double)INT64_MIN,
			(double)INT64_MAX },
	[DTYPE_U64] = { "uint64", "u8", 8, 0, 0, 0, (double)UINT64_MAX },
	[DTYPE_F32] = { "float32", "f4", 4, 1, 0, -FLT_MAX, FLT_MAX },
	[DTYPE_F64] = { "float64", "f8", 8, 1, 0, -DBL_MAX, DBL_MAX },
};

static const struct dtype_info *info(enum dtype t)
{
	if ((int)t <= DTYPE_NONE || t >= DTYPE_COUNT)
		return NULL;
	return &infos[t];
}

size_t dtype_size(enum dtype t)
{
	const struct dtype_info *d = info(t);

	return d ? d->size : 0;
}

size_t nct_size(uint64_t t)
{
	switch (t) {
	case NCT_BYTE: case NCT_CHAR: case NCT_UBYTE: return 1;
	case NCT_SHORT: case NCT_USHORT: return 2;
	case NCT_INT: case NCT_FLOAT: case NCT_UINT: return 4;
	case NCT_DOUBLE: case NCT_INT64: case NCT_UINT64: return 8;
	default: return 0;
	}
}

const char *dtype_name(enum dtype t)
{
	const struct dtype_info *d = info(t);

	return d ? d->name : "?";
}

enum dtype dtype_from_name(const char *name)
{
	if (!name)
		return DTYPE_NONE;
	for (int t = DTYPE_NONE + 1; t < DTYPE_COUNT; t++)
		if (!strcmp(name, infos[t].name))
			return (enum dtype)t;
	return DTYPE_NONE;
}

const char *dtype_npy_code(enum dtype t)
{
	const struct dtype_info *d = info(t);

	return d ? d->npy : "?";
}

int dtype_is_float(enum dtype t)
{
	const struct dtype_info *d = info(t);

	return d ? d->is_float : 0;
}

int dtype_is_signed(enum dtype t)
{
	const struct dtype_info *d = info(t);

	return d ? d->is_signed : 0;
}

double dtype_min(enum dtype t)
{
	const struct dtype_info *d = info(t);

	return d ? d->min : 0.0;
}

double dtype_max(enum dtype t)
{
	const struct dtype_info *d = info(t);

	return d ? d->max : 0.0;
}

/* Elements may be unaligned in a packed buffer: load and store by memcpy. */
#define TO_DOUBLE(T)							\
	do {								\
		const unsigned char *s = src;				\
		for (size_t i = 0; i < n; i++) {			\
			T x;						\
			memcpy(&x, s + i * sizeof(T), sizeof(T));	\
			dst[i] = (double)x;				\
		}							\
	} while (0)

void dtype_to_double(enum dtype t, const void *src, double *dst, size_t n)
{
	switch (t) {
	case DTYPE_I8:
		TO_DOUBLE(int8_t);
		break;
	case DTYPE_U8:
		TO_DOUBLE(uint8_t);
		break;
	case DTYPE_I16:
		TO_DOUBLE(int16_t);
		break;
	case DTYPE_U16:
		TO_DOUBLE(uint16_t);
		break;
	case DTYPE_I32:
		TO_DOUBLE(int32_t);
		break;
	case DTYPE_U32:
		TO_DOUBLE(uint32_t);
		break;
	case DTYPE_I64:
		TO_DOUBLE(int64_t);
		break;
	case DTYPE_U64:
		TO_DOUBLE(uint64_t);
		break;
	case DTYPE_F32:
		TO_DOUBLE(float);
		break;
	case DTYPE_F64:
		memmove(dst, src, n * sizeof(double));
		break;
	default:
		break;
	}
}

/*
 * Integer targets: NaN gives 0; v <= lo gives the minimum and v >= hi the
 * maximum, where lo and hi are exact doubles at or just past the range
 * (2^63 and 2^64 for the 64-bit maxima, which doubles cannot hold). Inside
 * the range, truncate (exact) and round the exact remainder to nearest,
 * ties to even like numpy.rint; no libm, no dependence on the FPU rounding
 * mode. W is a 64-bit type of the same signedness as T.
 */
#define FROM_DOUBLE_INT(T, W, tmin, tmax, lo, hi)			\
	do {								\
		unsigned char *d = dst;					\
		for (size_t i = 0; i < n; i++) {			\
			double v = src[i];				\
			T x;						\
			if (v != v) {					\
				x = 0;					\
			} else if (v <= (lo)) {				\
				x = (tmin);				\
			} else if (v >= (hi)) {				\
				x = (tmax);				\
			} else {					\
				W w = (W)v;				\
				double f = v - (double)w;		\
				if (f > 0.5 || (f == 0.5 && (w & 1)))	\
					w++;				\
				else if (f < -0.5 ||			\
					 (f == -0.5 && (w & 1)))	\
					w--;				\
				x = (T)w;				\
			}						\
			memcpy(d + i * sizeof(T), &x, sizeof(T));	\
		}							\
	} while (0)

#define FROM_DOUBLE_FLOAT(T)						\
	do {								\
		unsigned char *d = dst;					\
		for (size_t i = 0; i < n; i++) {			\
			T x = (T)src[i];				\
			memcpy(d + i * sizeof(T), &x, sizeof(T));	\
		}							\
	} while (0)

void dtype_from_double(enum dtype t, const double *src, void *dst, size_t n)
{
	switch (t) {
	case DTYPE_I8:
		FROM_DOUBLE_INT(int8_t, int64_t, INT8_MIN, INT8_MAX,
				-128.0, 127.0);
		break;
	case DTYPE_U8:
		FROM_DOUBLE_INT(uint8_t, uint64_t, 0, UINT8_MAX, 0.0, 255.0);
		break;
	case DTYPE_I16:
		FROM_DOUBLE_INT(int16_t, int64_t, INT16_MIN, INT16_MAX,
				-32768.0, 32767.0);
		break;
	case DTYPE_U16:
		FROM_DOUBLE_INT(uint16_t, uint64_t, 0, UINT16_MAX,
				0.0, 65535.0);
		break;
	case DTYPE_I32:
		FROM_DOUBLE_INT(int32_t, int64_t, INT32_MIN, INT32_MAX,
				-2147483648.0, 2147483647.0);
		break;
	case DTYPE_U32:
		FROM_DOUBLE_INT(uint32_t, uint64_t, 0, UINT32_MAX,
				0.0, 4294967295.0);
		break;
	case DTYPE_I64:
		FROM_DOUBLE_INT(int64_t, int64_t, INT64_MIN, INT64_MAX,
				-9223372036854775808.0, 9223372036854775808.0);
		break;
	case DTYPE_U64:
		FROM_DOUBLE_INT(uint64_t, uint64_t, 0, UINT64_MAX,
				0.0, 18446744073709551616.0);
		break;
	case DTYPE_F32:
		FROM_DOUBLE_FLOAT(float);
		break;
	case DTYPE_F64:
		memmove(dst, src, n * sizeof(double));
		break;
	default:
		break;
	}
}

#define BSWAP(T, fn)							\
	do {								\
		for (size_t i = 0; i < n; i++) {			\
			T x;						\
			memcpy(&x, s + i * sizeof(T), sizeof(T));	\
			x = fn(x);					\
			memcpy(d + i * sizeof(T), &x, sizeof(T));	\
		}							\
	} while (0)

void dtype_bswap_copy(void *dst, const void *src, size_t size, size_t n)
{
	const unsigned char *s = src;
	unsigned char *d = dst;

	switch (size) {
	case 0:
		break;
	case 1:
		memmove(d, s, n);
		break;
	case 2:
		BSWAP(uint16_t, __builtin_bswap16);
		break;
	case 4:
		BSWAP(uint32_t, __builtin_bswap32);
		break;
	case 8:
		BSWAP(uint64_t, __builtin_bswap64);
		break;
	default:
		/* Other sizes: swap pairs, which also works when dst == src. */
		for (size_t i = 0; i < n; i++) {
			const unsigned char *e = s + i * size;
			unsigned char *o = d + i * size;

			for (size_t j = 0; j < (size + 1) / 2; j++) {
				unsigned char c = e[j];

				o[j] = e[size - 1 - j];
				o[size - 1 - j] = c;
			}
		}
		break;
	}
}

void dtype_bswap(void *buf, size_t size, size_t n)
{
	dtype_bswap_copy(buf, buf, size, n);
}
