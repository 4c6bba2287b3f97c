/* SPDX-License-Identifier: MIT */
/* Tests of the .npy header parser on headers written by hand: bad magic and versions, dict syntax, keys, byte orders, shapes and length limits. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/dtype.h"
#include "ingest/npy.h"
#include "tests/npy_fixture.h"

static void npy_bad_magic(void **state)
{
	unsigned char buf[FILE_MAX];
	struct npy_header h;
	size_t n = make_hdr(buf, sizeof(buf), 1,
			    "{'descr': '<f4', 'fortran_order': False, "
			    "'shape': (2,), }");

	(void)state;
	for (size_t i = 0; i < 6; i++) {
		buf[i] ^= 0x20;
		assert_int_equal(parse_exact(buf, n, &h), -EINVAL);
		/* Refused as soon as the wrong byte is in. */
		assert_int_equal(parse_exact(buf, i + 1, &h), -EINVAL);
		buf[i] ^= 0x20;
	}
	assert_int_equal(parse_exact(buf, n, &h), 0);
	assert_int_equal(parse_exact((const unsigned char *)"\x93NUMPZ", 6,
				     &h), -EINVAL);
}

static void npy_bad_version(void **state)
{
	static const unsigned char versions[][2] = {
		{ 0, 0 }, { 4, 0 }, { 1, 1 }, { 2, 1 }, { 3, 5 }, { 0xff, 0 },
	};
	unsigned char buf[FILE_MAX];
	struct npy_header h;
	size_t n = make_hdr(buf, sizeof(buf), 1,
			    "{'descr': '<f4', 'fortran_order': False, "
			    "'shape': (2,), }");

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(versions); i++) {
		buf[6] = versions[i][0];
		buf[7] = versions[i][1];
		assert_int_equal(parse_exact(buf, n, &h), -EINVAL);
		assert_int_equal(parse_exact(buf, 8, &h), -EINVAL);
	}
}

static void npy_versions_handwritten(void **state)
{
	struct npy_header h;

	(void)state;
	for (int v = 1; v <= 3; v++) {
		assert_int_equal(parse_dict(v, "{'descr': '>u8', "
					    "'fortran_order': False, "
					    "'shape': (4, 5), }", &h), 0);
		assert_int_equal(h.version, v);
		assert_int_equal(h.dtype, DTYPE_U64);
		assert_int_equal(h.big_endian, 1);
		assert_int_equal(h.nelems, 20);
		assert_int_equal(h.data_offset,
				 (v == 1 ? 10 : 12) + strlen("{'descr': '>u8', "
				 "'fortran_order': False, 'shape': (4, 5), }")
				 + 1);
	}
}

static void npy_missing_newline(void **state)
{
	unsigned char buf[FILE_MAX];
	struct npy_header h;
	size_t n = make_hdr(buf, sizeof(buf), 1,
			    "{'descr': '<f4', 'fortran_order': False, "
			    "'shape': (2,), }   ");

	(void)state;
	assert_int_equal(parse_exact(buf, n, &h), 0);
	buf[n - 1] = ' ';
	assert_int_equal(parse_exact(buf, n, &h), -EINVAL);
	buf[n - 1] = '}';
	assert_int_equal(parse_exact(buf, n, &h), -EINVAL);
}

static void npy_key_orders_and_spacing(void **state)
{
	static const char *const dicts[] = {
		"{'descr': '<i4', 'fortran_order': False, 'shape': (3, 4), }",
		"{'descr': '<i4', 'shape': (3, 4), 'fortran_order': False}",
		"{'fortran_order': False, 'descr': '<i4', 'shape': (3, 4)}",
		"{'fortran_order': False, 'shape': (3, 4), 'descr': '<i4',}",
		"{'shape': (3, 4), 'descr': '<i4', 'fortran_order': False}",
		"{'shape': (3,4,), 'fortran_order': False, 'descr': '<i4'}",
		"{\"descr\": \"<i4\", \"fortran_order\": False, "
		"\"shape\": (3, 4)}",
		"{'descr':'<i4','fortran_order':False,'shape':(3,4)}",
		"  {\n\t'descr' :\r\n '<i4' ,\f'fortran_order'\n:\tFalse ,"
		" 'shape' : ( 3 ,\n 4 ) ,\n }  \n\n ",
	};
	struct npy_header h;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(dicts); i++) {
		assert_int_equal(parse_dict(1, dicts[i], &h), 0);
		assert_int_equal(h.dtype, DTYPE_I32);
		assert_int_equal(h.big_endian, 0);
		assert_int_equal(h.fortran_order, 0);
		assert_int_equal(h.ndim, 2);
		assert_int_equal(h.shape[0], 3);
		assert_int_equal(h.shape[1], 4);
		assert_int_equal(h.nelems, 12);
	}
}

static void npy_byte_orders(void **state)
{
	static const struct {
		const char *descr;
		int rc;
		enum dtype t;
		int big_endian;
	} cases[] = {
		{ "<f4", 0, DTYPE_F32, 0 },
		{ ">f4", 0, DTYPE_F32, 1 },
		{ "=f4", 0, DTYPE_F32, 0 },
		{ "f4", 0, DTYPE_F32, 0 },
		{ "|f4", -EINVAL, 0, 0 },
		{ "|i2", -EINVAL, 0, 0 },
		{ ">i2", 0, DTYPE_I16, 1 },
		{ ">u2", 0, DTYPE_U16, 1 },
		{ ">i4", 0, DTYPE_I32, 1 },
		{ "<u4", 0, DTYPE_U32, 0 },
		{ ">i8", 0, DTYPE_I64, 1 },
		{ "=u8", 0, DTYPE_U64, 0 },
		{ ">f8", 0, DTYPE_F64, 1 },
		{ "|u1", 0, DTYPE_U8, 0 },
		{ "|i1", 0, DTYPE_I8, 0 },
		{ "<u1", 0, DTYPE_U8, 0 },
		{ ">u1", 0, DTYPE_U8, 0 },
		{ ">i1", 0, DTYPE_I8, 0 },
		{ "=i1", 0, DTYPE_I8, 0 },
		{ "", -EINVAL, 0, 0 },
		{ "<", -EINVAL, 0, 0 },
	};
	char dict[256];
	struct npy_header h;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(dict, sizeof(dict), "{'descr': '%s', "
			 "'fortran_order': False, 'shape': (7,), }",
			 cases[i].descr);
		assert_int_equal(parse_dict(1, dict, &h), cases[i].rc);
		if (cases[i].rc)
			continue;
		assert_int_equal(h.dtype, cases[i].t);
		assert_int_equal(h.big_endian, cases[i].big_endian);
		assert_int_equal(h.nelems, 7);
	}
}

static void npy_unsupported_descr(void **state)
{
	static const char *const descrs[] = {
		"'<c8'", "'|b1'", "'<U5'", "'O'", "'|O'", "'<f2'", "'<f16'",
		"'<M8[ns]'", "'|S3'", "'|V16'", "'float32'", "'<f4 '",
		"'<i3'", "'<f4\\x00'", "[('a', '<f4'), ('b', '<i2', (2,))]",
		"[]", "('<f4', (2,))", "[('a', [('b', '>u2', (-1, +2))])]",
	};
	char dict[256];
	struct npy_header h;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(descrs); i++) {
		snprintf(dict, sizeof(dict), "{'descr': %s, "
			 "'fortran_order': False, 'shape': (7,), }",
			 descrs[i]);
		assert_int_equal(parse_dict(1, dict, &h), -ENOTSUP);
	}
}

static void npy_garbage_dict(void **state)
{
	static const char *const dicts[] = {
		"",
		"{",
		"}",
		"{}",
		"[]",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (2,)",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}}",
		"{'descr': '<f4' 'fortran_order': False, 'shape': (2,)}",
		"{'descr' '<f4', 'fortran_order': False, 'shape': (2,)}",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (2,),,}",
		"{, 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}",
		"{'descr': '<f4, 'fortran_order': False, 'shape': (2,)}",
		"{'descr\": '<f4', 'fortran_order': False, 'shape': (2,)}",
		"{descr: '<f4', 'fortran_order': False, 'shape': (2,)}",
		"{'descr': <f4, 'fortran_order': False, 'shape': (2,)}",
		"{'descr': 7, 'fortran_order': False, 'shape': (2,)}",
		"{'descr': '<f4', 'fortran_order': false, 'shape': (2,)}",
		"{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}",
		"{'descr': '<f4', 'fortran_order': 'False', 'shape': (2,)}",
		"{'descr': '<f4', 'fortran_order': Falsey, 'shape': (2,)}",
		"{'descr': '<f4', 'fortran_order': None, 'shape': (2,)}",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (2)}",
		"{'descr': '<f4', 'fortran_order': False, 'shape': [2]}",
		"{'descr': '<f4', 'fortran_order': False, 'shape': 2}",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (,)}",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (2,,)}",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (2 3)}",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (2.0,)}",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (2e3,)}",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (0x2,)}",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (02,)}",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (2LL,)}",
		"{'descr': '<f4', 'fortran_order': False, 'shape': ('2',)}",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (2,}",
		"{'descr': '<f4', 'fortran_order': False, 'shape': ((2,),)}",
		"{'descr': [('a', '<f4'), 'fortran_order': False, "
		"'shape': (2,)}",
		/* 40 levels of nesting, past the parser's limit of 32. */
		"{'descr': [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
		"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]], 'fortran_order': "
		"False, 'shape': (2,)}",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} # c",
		"{'descr': '<f\n4', 'fortran_order': False, 'shape': (2,)}",
	};
	struct npy_header h;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(dicts); i++) {
		int rc = parse_dict(1, dicts[i], &h);

		if (rc != -EINVAL)
			fail_msg("dict %zu '%s': %d", i, dicts[i], rc);
	}
}

static void npy_missing_unknown_duplicate_keys(void **state)
{
	static const char *const dicts[] = {
		"{'fortran_order': False, 'shape': (2,)}",
		"{'descr': '<f4', 'shape': (2,)}",
		"{'descr': '<f4', 'fortran_order': False}",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), "
		"'extra': 1}",
		"{'descr': '<f4', 'fortran_order': False, 'Shape': (2,)}",
		"{'descr': '<f4', 'fortran_order': False, 'shape ': (2,)}",
		"{'descr': '<f4', 'fortran_order': False, 'shap\\e': (2,)}",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), "
		"'shape': (2,)}",
		"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, "
		"'shape': (2,)}",
		"{'descr': '<f4', 'fortran_order': False, 'fortran_order': "
		"True, 'shape': (2,)}",
		/* Unknown keys outrank unsupported types. */
		"{'descr': '<c8', 'fortran_order': False, 'shape': (2,), "
		"'x': 1}",
		"{'descr': '<c8', 'fortran_order': False}",
	};
	struct npy_header h;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(dicts); i++)
		assert_int_equal(parse_dict(1, dicts[i], &h), -EINVAL);
}

static void npy_fortran_order_true(void **state)
{
	struct npy_header h;

	(void)state;
	assert_int_equal(parse_dict(1, "{'descr': '<f8', "
				    "'fortran_order': True, "
				    "'shape': (3, 2), }", &h), 0);
	assert_int_equal(h.fortran_order, 1);
	assert_int_equal(h.nelems, 6);
}

static void npy_shapes(void **state)
{
	struct npy_header h;

	(void)state;
	assert_int_equal(parse_dict(1, "{'descr': '<f4', 'fortran_order': "
				    "False, 'shape': (), }", &h), 0);
	assert_int_equal(h.ndim, 0);
	assert_int_equal(h.nelems, 1);
	assert_int_equal(parse_dict(1, "{'descr': '<f4', 'fortran_order': "
				    "False, 'shape': ( ), }", &h), 0);
	assert_int_equal(h.ndim, 0);
	assert_int_equal(parse_dict(1, "{'descr': '<f4', 'fortran_order': "
				    "False, 'shape': (5,), }", &h), 0);
	assert_int_equal(h.ndim, 1);
	assert_int_equal(h.nelems, 5);
	assert_int_equal(parse_dict(1, "{'descr': '<f4', 'fortran_order': "
				    "False, 'shape': (5, 0, 7), }", &h), 0);
	assert_int_equal(h.ndim, 3);
	assert_int_equal(h.nelems, 0);
	assert_int_equal(parse_dict(1, "{'descr': '<f4', 'fortran_order': "
				    "False, 'shape': (00, 0, 10), }", &h), 0);
	assert_int_equal(h.nelems, 0);
	/* The nonzero dims must not overflow even if one dim is 0. */
	assert_int_equal(parse_dict(1, "{'descr': '<f4', 'fortran_order': "
				    "False, 'shape': (4294967296, 0, "
				    "4294967296), }", &h), -EINVAL);
	/* Python 2 longs, which numpy still reads in v1 and v2 files. */
	assert_int_equal(parse_dict(2, "{'descr': '<f4', 'fortran_order': "
				    "False, 'shape': (3L, 4L), }", &h), 0);
	assert_int_equal(h.nelems, 12);
	assert_int_equal(parse_dict(3, "{'descr': '<f4', 'fortran_order': "
				    "False, 'shape': (3L, 4L), }", &h),
			 -EINVAL);
}

static void npy_negative_dim(void **state)
{
	struct npy_header h;

	(void)state;
	assert_int_equal(parse_dict(1, "{'descr': '<f4', 'fortran_order': "
				    "False, 'shape': (-1,), }", &h), -EINVAL);
	assert_int_equal(parse_dict(1, "{'descr': '<f4', 'fortran_order': "
				    "False, 'shape': (3, -4), }", &h),
			 -EINVAL);
	assert_int_equal(parse_dict(1, "{'descr': '<f4', 'fortran_order': "
				    "False, 'shape': (+4,), }", &h), -EINVAL);
}

static void npy_shape_overflow(void **state)
{
	static const struct {
		const char *descr;
		const char *shape;
		int rc;
	} cases[] = {
		{ "|u1", "(18446744073709551615,)", 0 },
		{ "|u1", "(18446744073709551616,)", -EINVAL },
		{ "|u1", "(99999999999999999999999,)", -EINVAL },
		{ "<u2", "(9223372036854775807,)", 0 },
		{ "<u2", "(9223372036854775808,)", -EINVAL },
		{ "<f4", "(4611686018427387904,)", -EINVAL },
		{ "<f8", "(4294967296, 4294967296)", -EINVAL },
		{ "<f8", "(4294967296, 536870911)", 0 },
		{ "<f8", "(4294967296, 536870912)", -EINVAL },
		{ "|i1", "(4294967296, 4294967296)", -EINVAL },
		{ "|i1", "(4294967296, 4294967295)", 0 },
		/* The dims alone overflow: invalid whatever the type. */
		{ "<c8", "(4294967296, 4294967296)", -EINVAL },
		{ "<c8", "(4294967296, 2)", -ENOTSUP },
	};
	char dict[256];
	struct npy_header h;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(dict, sizeof(dict), "{'descr': '%s', "
			 "'fortran_order': False, 'shape': %s, }",
			 cases[i].descr, cases[i].shape);
		assert_int_equal(parse_dict(1, dict, &h), cases[i].rc);
	}
}

static void npy_too_many_dims(void **state)
{
	char dict[512];
	struct npy_header h;
	int n;

	(void)state;
	n = snprintf(dict, sizeof(dict), "{'descr': '<f4', "
		     "'fortran_order': False, 'shape': (");
	for (int i = 0; i < NPY_MAX_DIMS; i++)
		n += snprintf(dict + n, sizeof(dict) - n, "2, ");
	snprintf(dict + n, sizeof(dict) - n, "), }");
	assert_int_equal(parse_dict(1, dict, &h), 0);
	assert_int_equal(h.ndim, NPY_MAX_DIMS);
	assert_int_equal(h.nelems, 1ull << 32);
	snprintf(dict + n, sizeof(dict) - n, "1, ), }");
	assert_int_equal(parse_dict(1, dict, &h), -ENOTSUP);
}

static void npy_header_length_limits(void **state)
{
	unsigned char buf[FILE_MAX];
	struct npy_header h;
	size_t n = make_hdr(buf, sizeof(buf), 2,
			    "{'descr': '<f4', 'fortran_order': False, "
			    "'shape': (2,), }");

	(void)state;
	/* A 4 GiB header: refused outright, not waited for. */
	memset(buf + 8, 0xff, 4);
	assert_int_equal(parse_exact(buf, n, &h), -EINVAL);
	assert_int_equal(parse_exact(buf, 12, &h), -EINVAL);
	memset(buf + 8, 0, 4);
	assert_int_equal(parse_exact(buf, n, &h), -EINVAL);
	/* 1 MiB + 1 is too long; 1 MiB is waited for. */
	buf[10] = 0x10;
	assert_int_equal(parse_exact(buf, n, &h), -EAGAIN);
	assert_int_equal(h.data_offset, 12 + (1u << 20));
	buf[8] = 1;
	assert_int_equal(parse_exact(buf, n, &h), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(npy_bad_magic),
		cmocka_unit_test(npy_bad_version),
		cmocka_unit_test(npy_versions_handwritten),
		cmocka_unit_test(npy_missing_newline),
		cmocka_unit_test(npy_key_orders_and_spacing),
		cmocka_unit_test(npy_byte_orders),
		cmocka_unit_test(npy_unsupported_descr),
		cmocka_unit_test(npy_garbage_dict),
		cmocka_unit_test(npy_missing_unknown_duplicate_keys),
		cmocka_unit_test(npy_fortran_order_true),
		cmocka_unit_test(npy_shapes),
		cmocka_unit_test(npy_negative_dim),
		cmocka_unit_test(npy_shape_overflow),
		cmocka_unit_test(npy_too_many_dims),
		cmocka_unit_test(npy_header_length_limits),
	};

	return cmocka_run_group_tests_name("npy_handwritten", tests, NULL,
					   NULL);
}
