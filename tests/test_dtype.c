/* SPDX-License-Identifier: MIT */
/* Tests of element types: sizes, names, ranges, conversions, byte swaps. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/dtype.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	enum dtype t;
	const char *name;
	const char *code;
	size_t size;
	int is_float;
	int is_signed;
	double min;
	double max;
} types[] = {
	{ DTYPE_I8, "int8", "i1", 1, 0, 1, -128.0, 127.0 },
	{ DTYPE_U8, "uint8", "u1", 1, 0, 0, 0.0, 255.0 },
	{ DTYPE_I16, "int16", "i2", 2, 0, 1, -32768.0, 32767.0 },
	{ DTYPE_U16, "uint16", "u2", 2, 0, 0, 0.0, 65535.0 },
	{ DTYPE_I32, "int32", "i4", 4, 0, 1, -2147483648.0, 2147483647.0 },
	{ DTYPE_U32, "uint32", "u4", 4, 0, 0, 0.0, 4294967295.0 },
	{ DTYPE_I64, "int64", "i8", 8, 0, 1, -9223372036854775808.0,
	  9223372036854775807.0 },
	{ DTYPE_U64, "uint64", "u8", 8, 0, 0, 0.0, 18446744073709551615.0 },
	{ DTYPE_F32, "float32", "f4", 4, 1, 0, -FLT_MAX, FLT_MAX },
	{ DTYPE_F64, "float64", "f8", 8, 1, 0, -DBL_MAX, DBL_MAX },
};

static void dtype_properties(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		enum dtype t = types[i].t;

		assert_int_equal(dtype_size(t), types[i].size);
		assert_string_equal(dtype_name(t), types[i].name);
		assert_string_equal(dtype_npy_code(t), types[i].code);
		assert_int_equal(dtype_is_float(t), types[i].is_float);
		assert_int_equal(dtype_is_signed(t), types[i].is_signed);
		assert_true(dtype_min(t) == types[i].min);
		assert_true(dtype_max(t) == types[i].max);
		assert_int_equal(dtype_from_name(types[i].name), t);
	}
	assert_int_equal(ARRAY_SIZE(types), DTYPE_COUNT - 1);
}

static void dtype_invalid_values(void **state)
{
	static const int bad[] = { DTYPE_NONE, DTYPE_COUNT, -1, 1000 };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		enum dtype t = (enum dtype)bad[i];
		double d = 42.0;
		unsigned char b = 7;

		assert_int_equal(dtype_size(t), 0);
		assert_string_equal(dtype_name(t), "?");
		assert_int_equal(dtype_is_float(t), 0);
		assert_int_equal(dtype_is_signed(t), 0);
		/* Conversions of an invalid type write nothing. */
		dtype_to_double(t, &b, &d, 1);
		assert_true(d == 42.0);
		dtype_from_double(t, &d, &b, 1);
		assert_int_equal(b, 7);
	}
}

static void dtype_from_name_unknown(void **state)
{
	static const char *const names[] = {
		"", "?", "float", "Float32", "float32 ", "int", "f4", "uint8x",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		assert_int_equal(dtype_from_name(names[i]), DTYPE_NONE);
	assert_int_equal(dtype_from_name(NULL), DTYPE_NONE);
}

static void dtype_to_double_every_type(void **state)
{
	const int8_t i8[] = { INT8_MIN, -1, 0, INT8_MAX };
	const uint8_t u8[] = { 0, 1, 128, UINT8_MAX };
	const int16_t i16[] = { INT16_MIN, -1, 0, INT16_MAX };
	const uint16_t u16[] = { 0, 1, 32768, UINT16_MAX };
	const int32_t i32[] = { INT32_MIN, -1, 0, INT32_MAX };
	const uint32_t u32[] = { 0, 1, 1u << 31, UINT32_MAX };
	const int64_t i64[] = { INT64_MIN, -1, 0, (1ll << 53) + 1 };
	const uint64_t u64[] = { 0, 1, 1ull << 63, UINT64_MAX };
	const float f32[] = { -1.5f, 0.0f, 0.1f, FLT_MAX };
	const double f64[] = { -1.5, 0.0, 0.1, DBL_MAX };
	double d[4];

	(void)state;
	dtype_to_double(DTYPE_I8, i8, d, 4);
	assert_true(d[0] == -128.0 && d[1] == -1.0 && d[3] == 127.0);
	dtype_to_double(DTYPE_U8, u8, d, 4);
	assert_true(d[2] == 128.0 && d[3] == 255.0);
	dtype_to_double(DTYPE_I16, i16, d, 4);
	assert_true(d[0] == -32768.0 && d[1] == -1.0 && d[3] == 32767.0);
	dtype_to_double(DTYPE_U16, u16, d, 4);
	assert_true(d[2] == 32768.0 && d[3] == 65535.0);
	dtype_to_double(DTYPE_I32, i32, d, 4);
	assert_true(d[0] == -2147483648.0 && d[3] == 2147483647.0);
	dtype_to_double(DTYPE_U32, u32, d, 4);
	assert_true(d[2] == 2147483648.0 && d[3] == 4294967295.0);
	dtype_to_double(DTYPE_I64, i64, d, 4);
	assert_true(d[0] == -9223372036854775808.0 && d[1] == -1.0);
	assert_true(d[3] == 9007199254740992.0);        /* nearest double */
	dtype_to_double(DTYPE_U64, u64, d, 4);
	assert_true(d[2] == 9223372036854775808.0);
	assert_true(d[3] == 18446744073709551616.0);
	dtype_to_double(DTYPE_F32, f32, d, 4);
	assert_true(d[0] == -1.5 && d[2] == (double)0.1f);
	assert_true(d[3] == (double)FLT_MAX);
	dtype_to_double(DTYPE_F64, f64, d, 4);
	assert_memory_equal(d, f64, sizeof(f64));
}

/* Packed buffers need not be aligned. */
static void dtype_unaligned_buffers(void **state)
{
	unsigned char raw[1 + 4 * sizeof(double)];
	const int32_t v[] = { -7, 0, 123456, INT32_MIN };
	double d[4], back[4];

	(void)state;
	memcpy(raw + 1, v, sizeof(v));
	dtype_to_double(DTYPE_I32, raw + 1, d, 4);
	assert_true(d[0] == -7.0 && d[2] == 123456.0);
	memset(raw, 0, sizeof(raw));
	dtype_from_double(DTYPE_F64, d, raw + 1, 4);
	dtype_to_double(DTYPE_F64, raw + 1, back, 4);
	assert_memory_equal(back, d, sizeof(d));
	dtype_from_double(DTYPE_I32, d, raw + 1, 4);
	assert_memory_equal(raw + 1, v, sizeof(v));
}

static void dtype_from_double_rounds_to_nearest_even(void **state)
{
	const double in[] = {
		0.4, 0.5, 0.6, 1.5, 2.5, 3.5, -0.4, -0.5, -0.6, -1.5, -2.5,
		0.49999999999999994, -0.49999999999999994, 4503599627370495.5,
		2.0000000000000004, 99.99999999999999,
	};
	const int64_t want[] = {
		0, 0, 1, 2, 2, 4, 0, 0, -1, -2, -2, 0, 0, 4503599627370496,
		2, 100,
	};
	int64_t got[ARRAY_SIZE(in)];
	int32_t got32[ARRAY_SIZE(in)];
	int16_t got16[ARRAY_SIZE(in)];

	(void)state;
	dtype_from_double(DTYPE_I64, in, got, ARRAY_SIZE(in));
	for (size_t i = 0; i < ARRAY_SIZE(in); i++)
		assert_int_equal(got[i], want[i]);
	dtype_from_double(DTYPE_I32, in, got32, ARRAY_SIZE(in) - 3);
	dtype_from_double(DTYPE_I16, in, got16, ARRAY_SIZE(in) - 3);
	for (size_t i = 0; i < ARRAY_SIZE(in) - 3; i++) {
		assert_int_equal(got32[i], want[i]);
		assert_int_equal(got16[i], want[i]);
	}
}

static void dtype_from_double_clamps(void **state)
{
	const double in[] = {
		NAN, -NAN, INFINITY, -INFINITY, 1e300, -1e300,
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		enum dtype t = types[i].t;
		unsigned char buf[sizeof(in) / sizeof(in[0]) * 8];
		double lo = types[i].min, hi = types[i].max;
		double edge[] = { hi + 0.4, hi + 0.6, lo - 0.4, lo - 0.6,
				  hi - 0.6, lo + 0.6 };
		double out[ARRAY_SIZE(in)];

		if (types[i].is_float)
			continue;
		dtype_from_double(t, in, buf, ARRAY_SIZE(in));
		dtype_to_double(t, buf, out, ARRAY_SIZE(in));
		assert_true(out[0] == 0.0);
		assert_true(out[1] == 0.0);
		assert_true(out[2] == hi);
		assert_true(out[3] == lo);
		assert_true(out[4] == hi);
		assert_true(out[5] == lo);
		dtype_from_double(t, edge, buf, ARRAY_SIZE(edge));
		dtype_to_double(t, buf, out, ARRAY_SIZE(edge));
		assert_true(out[0] == hi);
		assert_true(out[1] == hi);
		assert_true(out[2] == lo);
		assert_true(out[3] == lo);
		if (types[i].size < 8) {
			/* Exact here: hi - 0.6 rounds to hi - 1. */
			assert_true(out[4] == hi - 1);
			assert_true(out[5] == lo + 1 || lo == 0);
		}
	}
}

static void dtype_from_double_64bit_edges(void **state)
{
	const double in[] = {
		9223372036854775808.0,          /* 2^63: just past INT64_MAX */
		9223372036854774784.0,          /* 2^63 - 1024, exact */
		-9223372036854775808.0,         /* INT64_MIN, exact */
		-9223372036854777856.0,         /* next double below */
	};
	const double uin[] = {
		18446744073709551616.0,         /* 2^64 */
		18446744073709549568.0,         /* 2^64 - 2048, exact */
		-1.0, 0.5, 1.5,
	};
	int64_t i64[ARRAY_SIZE(in)];
	uint64_t u64[ARRAY_SIZE(uin)];

	(void)state;
	dtype_from_double(DTYPE_I64, in, i64, ARRAY_SIZE(in));
	assert_true(i64[0] == INT64_MAX);
	assert_true(i64[1] == INT64_MAX - 1023);
	assert_true(i64[2] == INT64_MIN);
	assert_true(i64[3] == INT64_MIN);
	dtype_from_double(DTYPE_U64, uin, u64, ARRAY_SIZE(uin));
	assert_true(u64[0] == UINT64_MAX);
	assert_true(u64[1] == UINT64_MAX - 2047);
	assert_true(u64[2] == 0);
	assert_true(u64[3] == 0);
	assert_true(u64[4] == 2);
}

static void dtype_from_double_floats(void **state)
{
	const double in[] = { 0.1, -2.5, NAN, INFINITY, 1e300, 1e-300 };
	float f[ARRAY_SIZE(in)];
	double d[ARRAY_SIZE(in)];

	(void)state;
	dtype_from_double(DTYPE_F32, in, f, ARRAY_SIZE(in));
	assert_true(f[0] == 0.1f);
	assert_true(f[1] == -2.5f);
	assert_true(isnan(f[2]));
	assert_true(isinf(f[3]) && f[3] > 0);
	assert_true(isinf(f[4]));
	assert_true(f[5] == 0.0f);
	dtype_from_double(DTYPE_F64, in, d, ARRAY_SIZE(in));
	assert_memory_equal(d, in, sizeof(in));
}

/* Every value of the small integer types survives double and back. */
static void dtype_round_trip_small_ints(void **state)
{
	static double d[65536];
	static uint16_t u[65536], u2[65536];
	static uint8_t b[256], b2[256];

	(void)state;
	for (int i = 0; i < 65536; i++)
		u[i] = (uint16_t)i;
	dtype_to_double(DTYPE_U16, u, d, 65536);
	dtype_from_double(DTYPE_U16, d, u2, 65536);
	assert_memory_equal(u, u2, sizeof(u));
	dtype_to_double(DTYPE_I16, u, d, 65536);
	dtype_from_double(DTYPE_I16, d, u2, 65536);
	assert_memory_equal(u, u2, sizeof(u));
	for (int i = 0; i < 256; i++)
		b[i] = (uint8_t)i;
	dtype_to_double(DTYPE_U8, b, d, 256);
	dtype_from_double(DTYPE_U8, d, b2, 256);
	assert_memory_equal(b, b2, sizeof(b));
	dtype_to_double(DTYPE_I8, b, d, 256);
	dtype_from_double(DTYPE_I8, d, b2, 256);
	assert_memory_equal(b, b2, sizeof(b));
}

static void dtype_bswap_sizes(void **state)
{
	static const size_t sizes[] = { 1, 2, 3, 4, 5, 8, 16, 100 };

	(void)state;
	for (size_t s = 0; s < ARRAY_SIZE(sizes); s++) {
		size_t size = sizes[s], n = 3;
		unsigned char src[300], in_place[300], copy[301];

		for (size_t i = 0; i < size * n; i++)
			src[i] = (unsigned char)(i * 7 + 1);
		memcpy(in_place, src, size * n);
		dtype_bswap(in_place, size, n);
		dtype_bswap_copy(copy + 1, src, size, n);
		assert_memory_equal(in_place, copy + 1, size * n);
		for (size_t e = 0; e < n; e++)
			for (size_t j = 0; j < size; j++)
				assert_int_equal(in_place[e * size + j],
						 src[e * size + size - 1 - j]);
		dtype_bswap(in_place, size, n);
		assert_memory_equal(in_place, src, size * n);
	}
}

static void dtype_bswap_values(void **state)
{
	uint16_t a = 0x1234;
	uint32_t b = 0x12345678;
	uint64_t c = 0x0102030405060708ull;
	float f = 1.0f, g;
	unsigned char be[4] = { 0x3f, 0x80, 0x00, 0x00 };

	(void)state;
	dtype_bswap(&a, 2, 1);
	dtype_bswap(&b, 4, 1);
	dtype_bswap(&c, 8, 1);
	assert_int_equal(a, 0x3412);
	assert_int_equal(b, 0x78563412);
	assert_true(c == 0x0807060504030201ull);
	/* A big-endian float32 1.0, as a '>f4' .npy stores it. */
	dtype_bswap_copy(&g, be, 4, 1);
	assert_true(g == f);
	dtype_bswap(&a, 2, 0);
	assert_int_equal(a, 0x3412);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dtype_properties),
		cmocka_unit_test(dtype_invalid_values),
		cmocka_unit_test(dtype_from_name_unknown),
		cmocka_unit_test(dtype_to_double_every_type),
		cmocka_unit_test(dtype_unaligned_buffers),
		cmocka_unit_test(dtype_from_double_rounds_to_nearest_even),
		cmocka_unit_test(dtype_from_double_clamps),
		cmocka_unit_test(dtype_from_double_64bit_edges),
		cmocka_unit_test(dtype_from_double_floats),
		cmocka_unit_test(dtype_round_trip_small_ints),
		cmocka_unit_test(dtype_bswap_sizes),
		cmocka_unit_test(dtype_bswap_values),
	};

	return cmocka_run_group_tests_name("dtype", tests, NULL, NULL);
}
