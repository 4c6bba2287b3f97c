/* SPDX-License-Identifier: MIT */
/* Tests of the .npy header parser and writer, against numpy-written files. */
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

static const struct {
	const char *code;
	enum dtype t;
} codes[] = {
	{ "i1", DTYPE_I8 }, { "u1", DTYPE_U8 },
	{ "i2", DTYPE_I16 }, { "u2", DTYPE_U16 },
	{ "i4", DTYPE_I32 }, { "u4", DTYPE_U32 },
	{ "i8", DTYPE_I64 }, { "u8", DTYPE_U64 },
	{ "f4", DTYPE_F32 }, { "f8", DTYPE_F64 },
};

static void expect_values(enum dtype t, const unsigned char *data,
			  int swap)
{
	unsigned char tmp[6 * 8];
	double v[6];
	size_t sz = dtype_size(t);

	memcpy(tmp, data, 6 * sz);
	if (swap)
		dtype_bswap(tmp, sz, 6);
	dtype_to_double(t, tmp, v, 6);
	assert_true(v[0] == dtype_min(t));
	assert_true(v[1] == dtype_max(t));
	for (int i = 2; i < 6; i++)
		assert_true(v[i] == (double)(i - 2));
}

static void npy_numpy_every_dtype(void **state)
{
	unsigned char buf[FILE_MAX];
	struct npy_header h;
	char name[64];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(codes); i++) {
		size_t n;

		snprintf(name, sizeof(name), "%s.npy", codes[i].code);
		n = read_data(name, buf, sizeof(buf));
		assert_int_equal(parse_exact(buf, n, &h), 0);
		assert_int_equal(h.dtype, codes[i].t);
		assert_int_equal(h.big_endian, 0);
		assert_int_equal(h.fortran_order, 0);
		assert_int_equal(h.version, 1);
		assert_int_equal(h.ndim, 2);
		assert_int_equal(h.shape[0], 2);
		assert_int_equal(h.shape[1], 3);
		assert_int_equal(h.nelems, 6);
		assert_int_equal(h.data_offset, 128);
		assert_int_equal(n, h.data_offset + 6 * dtype_size(h.dtype));
		expect_values(h.dtype, buf + h.data_offset, 0);
	}
}

static void npy_numpy_big_endian(void **state)
{
	static const struct {
		const char *name;
		enum dtype t;
	} files[] = {
		{ "be_i2.npy", DTYPE_I16 }, { "be_u4.npy", DTYPE_U32 },
		{ "be_i8.npy", DTYPE_I64 }, { "be_f4.npy", DTYPE_F32 },
		{ "be_f8.npy", DTYPE_F64 },
	};
	unsigned char buf[FILE_MAX];
	struct npy_header h;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		size_t n = read_data(files[i].name, buf, sizeof(buf));

		assert_int_equal(parse_exact(buf, n, &h), 0);
		assert_int_equal(h.dtype, files[i].t);
		assert_int_equal(h.big_endian, 1);
		assert_int_equal(h.nelems, 6);
		expect_values(h.dtype, buf + h.data_offset, 1);
	}
}

static void npy_numpy_v2_v3(void **state)
{
	unsigned char buf[FILE_MAX];
	struct npy_header h;
	size_t n;

	(void)state;
	n = read_data("v2_f4.npy", buf, sizeof(buf));
	assert_int_equal(parse_exact(buf, n, &h), 0);
	assert_int_equal(h.version, 2);
	assert_int_equal(h.dtype, DTYPE_F32);
	assert_int_equal(h.nelems, 6);
	assert_int_equal(h.data_offset, 128);
	expect_values(h.dtype, buf + h.data_offset, 0);

	n = read_data("v3_f4.npy", buf, sizeof(buf));
	assert_int_equal(parse_exact(buf, n, &h), 0);
	assert_int_equal(h.version, 3);
	assert_int_equal(h.dtype, DTYPE_F32);
	assert_int_equal(h.data_offset, 128);
	expect_values(h.dtype, buf + h.data_offset, 0);
}

static void npy_numpy_scalar_vector_empty(void **state)
{
	unsigned char buf[FILE_MAX];
	struct npy_header h;
	double d;
	uint16_t u[5];
	size_t n;

	(void)state;
	n = read_data("scalar_f8.npy", buf, sizeof(buf));
	assert_int_equal(parse_exact(buf, n, &h), 0);
	assert_int_equal(h.dtype, DTYPE_F64);
	assert_int_equal(h.ndim, 0);
	assert_int_equal(h.nelems, 1);
	assert_int_equal(n, h.data_offset + 8);
	memcpy(&d, buf + h.data_offset, 8);
	assert_true(d == 2.5);

	n = read_data("vec_u2.npy", buf, sizeof(buf));
	assert_int_equal(parse_exact(buf, n, &h), 0);
	assert_int_equal(h.dtype, DTYPE_U16);
	assert_int_equal(h.ndim, 1);
	assert_int_equal(h.shape[0], 5);
	assert_int_equal(h.nelems, 5);
	memcpy(u, buf + h.data_offset, sizeof(u));
	for (int i = 0; i < 5; i++)
		assert_int_equal(u[i], i);

	n = read_data("empty_f4.npy", buf, sizeof(buf));
	assert_int_equal(parse_exact(buf, n, &h), 0);
	assert_int_equal(h.ndim, 2);
	assert_int_equal(h.shape[0], 0);
	assert_int_equal(h.shape[1], 3);
	assert_int_equal(h.nelems, 0);
	assert_int_equal(n, h.data_offset);
}

static void npy_numpy_fortran_order(void **state)
{
	unsigned char buf[FILE_MAX];
	struct npy_header h;
	size_t n = read_data("fortran_f4.npy", buf, sizeof(buf));

	(void)state;
	assert_int_equal(parse_exact(buf, n, &h), 0);
	assert_int_equal(h.fortran_order, 1);
	assert_int_equal(h.dtype, DTYPE_F32);
	assert_int_equal(h.nelems, 6);
}

static void npy_numpy_unsupported(void **state)
{
	static const char *const files[] = {
		"unsup_c8.npy", "unsup_b1.npy", "unsup_U5.npy",
		"unsup_f2.npy", "unsup_O.npy", "unsup_struct.npy",
	};
	unsigned char buf[FILE_MAX];
	struct npy_header h;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		size_t n = read_data(files[i], buf, sizeof(buf));

		assert_int_equal(parse_exact(buf, n, &h), -ENOTSUP);
	}
}

static const struct {
	const char *name;
	enum dtype t;
	int ndim;
	uint64_t shape[NPY_MAX_DIMS];
} numpy_headers[] = {
	{ "hdr_f4_8x11x77x76.hdr", DTYPE_F32, 4, { 8, 11, 77, 76 } },
	{ "hdr_u1_5.hdr", DTYPE_U8, 1, { 5 } },
	{ "hdr_i1_3x4.hdr", DTYPE_I8, 2, { 3, 4 } },
	{ "hdr_f8_scalar.hdr", DTYPE_F64, 0, { 0 } },
	{ "hdr_i2_0.hdr", DTYPE_I16, 1, { 0 } },
	{ "hdr_i8_2p40x3.hdr", DTYPE_I64, 2, { 1ull << 40, 3 } },
	{ "hdr_u1_maxdim.hdr", DTYPE_U8, 1, { UINT64_MAX } },
	{ "hdr_u2_32dims.hdr", DTYPE_U16, 32,
	  { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 7 } },
	{ "hdr_f4_pad64.hdr", DTYPE_F32, 13,
	  { 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 100000 } },
};

static void npy_numpy_headers_parse(void **state)
{
	unsigned char buf[FILE_MAX];
	struct npy_header h;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(numpy_headers); i++) {
		size_t n = read_data(numpy_headers[i].name, buf, sizeof(buf));
		uint64_t nelems = 1;

		assert_int_equal(parse_exact(buf, n, &h), 0);
		assert_int_equal(h.data_offset, n);
		assert_int_equal(h.dtype, numpy_headers[i].t);
		assert_int_equal(h.ndim, numpy_headers[i].ndim);
		for (int d = 0; d < h.ndim; d++) {
			assert_int_equal(h.shape[d],
					 numpy_headers[i].shape[d]);
			nelems *= numpy_headers[i].shape[d];
		}
		assert_int_equal(h.nelems, nelems);
	}
}

static void npy_write_matches_numpy(void **state)
{
	unsigned char want[FILE_MAX], got[FILE_MAX];
	char name[64];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(numpy_headers); i++) {
		size_t n = read_data(numpy_headers[i].name, want,
				     sizeof(want));
		ssize_t w = npy_write_header(got, sizeof(got),
					     numpy_headers[i].t,
					     numpy_headers[i].ndim,
					     numpy_headers[i].shape);

		assert_int_equal(w, n);
		assert_memory_equal(got, want, n);
		assert_int_equal(npy_header_size(numpy_headers[i].t,
						 numpy_headers[i].ndim,
						 numpy_headers[i].shape), n);
	}
	/* And the headers np.save wrote in front of the (2, 3) arrays. */
	for (size_t i = 0; i < ARRAY_SIZE(codes); i++) {
		static const uint64_t shape[] = { 2, 3 };
		ssize_t w;

		snprintf(name, sizeof(name), "%s.npy", codes[i].code);
		read_data(name, want, sizeof(want));
		w = npy_write_header(got, sizeof(got), codes[i].t, 2, shape);
		assert_int_equal(w, 128);
		assert_memory_equal(got, want, 128);
	}
}

static void npy_truncated_is_eagain(void **state)
{
	static const char *const files[] = {
		"f4.npy", "v2_f4.npy", "v3_f4.npy", "scalar_f8.npy",
		"hdr_u2_32dims.hdr",
	};
	unsigned char buf[FILE_MAX];
	struct npy_header h;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		size_t n = read_data(files[i], buf, sizeof(buf));
		size_t pre = buf[6] == 1 ? 10 : 12;
		size_t off;

		assert_int_equal(parse_exact(buf, n, &h), 0);
		off = h.data_offset;
		for (size_t len = 0; len < off; len++) {
			assert_int_equal(parse_exact(buf, len, &h), -EAGAIN);
			assert_int_equal(h.data_offset, len < pre ? 0 : off);
		}
		assert_int_equal(parse_exact(buf, off, &h), 0);
	}
}

/* Every byte of a valid header replaced by bytes that matter to a lexer. */
static void npy_mutated_never_crashes(void **state)
{
	static const unsigned char subst[] = {
		0, 0xff, 0x80, ' ', '\n', '\'', '"', '(', ')', ',', ':',
		'{', '}', '[', '\\', '-', '0', '9', 'L', 'T',
	};
	unsigned char buf[FILE_MAX];
	struct npy_header h;
	size_t n = read_data("be_f4.npy", buf, sizeof(buf));
	size_t off = 128;

	(void)state;
	for (size_t pos = 0; pos < off; pos++) {
		for (size_t s = 0; s < sizeof(subst); s++) {
			unsigned char save = buf[pos];
			int rc;

			buf[pos] = subst[s];
			rc = parse_exact(buf, n, &h);
			buf[pos] = save;
			assert_true(rc == 0 || rc == -EINVAL ||
				    rc == -ENOTSUP || rc == -EAGAIN);
			if (rc == 0)
				assert_true(h.data_offset <= n);
		}
	}
}

static void npy_write_round_trip(void **state)
{
	static const uint64_t shapes[][4] = {
		{ 8, 11, 77, 76 }, { 1, 1, 1, 1 }, { 0, 3, 0, 0 },
		{ 123456789, 2, 3, 4 }, { 4096, 4096, 365, 1 },
	};
	unsigned char buf[FILE_MAX];
	struct npy_header h;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(codes); i++) {
		for (size_t s = 0; s < ARRAY_SIZE(shapes); s++) {
			for (int nd = 0; nd <= 4; nd++) {
				ssize_t w = npy_write_header(buf, sizeof(buf),
							     codes[i].t, nd,
							     shapes[s]);
				uint64_t nelems = 1;

				assert_true(w > 0);
				assert_int_equal(w % 64, 0);
				assert_int_equal(buf[w - 1], '\n');
				assert_int_equal(npy_header_size(codes[i].t,
								 nd,
								 shapes[s]),
						 w);
				assert_int_equal(parse_exact(buf, w, &h), 0);
				assert_int_equal(h.data_offset, w);
				assert_int_equal(h.version, 1);
				assert_int_equal(h.dtype, codes[i].t);
				assert_int_equal(h.big_endian, 0);
				assert_int_equal(h.fortran_order, 0);
				assert_int_equal(h.ndim, nd);
				for (int d = 0; d < nd; d++) {
					assert_int_equal(h.shape[d],
							 shapes[s][d]);
					nelems *= shapes[s][d];
				}
				assert_int_equal(h.nelems, nelems);
			}
		}
	}
}

static void npy_write_errors(void **state)
{
	static const uint64_t shape[] = { 8, 11, 77, 76 };
	static const uint64_t huge[] = { 1ull << 32, 1ull << 30 };
	static const char scalar[] = "\x93NUMPY\x01\x00\x76\x00"
		"{'descr': '<f8', 'fortran_order': False, 'shape': (), }";
	unsigned char buf[FILE_MAX];
	ssize_t size = npy_header_size(DTYPE_F32, 4, shape);

	(void)state;
	assert_int_equal(size, 128);
	/* Every short buffer is refused, and never written past. */
	for (ssize_t cap = 0; cap < size; cap++) {
		unsigned char *b = malloc(cap ? cap : 1);

		assert_non_null(b);
		assert_int_equal(npy_write_header(b, cap, DTYPE_F32, 4, shape),
				 -ENOSPC);
		free(b);
	}
	assert_int_equal(npy_write_header(buf, size, DTYPE_F32, 4, shape),
			 size);
	assert_int_equal(npy_write_header(buf, sizeof(buf), DTYPE_NONE, 4,
					  shape), -EINVAL);
	assert_int_equal(npy_write_header(buf, sizeof(buf), DTYPE_COUNT, 4,
					  shape), -EINVAL);
	assert_int_equal(npy_write_header(buf, sizeof(buf), DTYPE_F32, -1,
					  shape), -EINVAL);
	assert_int_equal(npy_write_header(buf, sizeof(buf), DTYPE_F32,
					  NPY_MAX_DIMS + 1, shape), -EINVAL);
	assert_int_equal(npy_write_header(buf, sizeof(buf), DTYPE_F32, 2,
					  NULL), -EINVAL);
	assert_int_equal(npy_write_header(buf, sizeof(buf), DTYPE_U8, 2,
					  huge), (ssize_t)128);
	assert_int_equal(npy_write_header(buf, sizeof(buf), DTYPE_I16, 2,
					  huge), (ssize_t)128);
	assert_int_equal(npy_write_header(buf, sizeof(buf), DTYPE_F32, 2,
					  huge), -EINVAL);
	assert_int_equal(npy_header_size(DTYPE_NONE, 1, shape), -EINVAL);
	assert_int_equal(npy_header_size(DTYPE_F64, 0, NULL), 128);
	assert_int_equal(npy_write_header(buf, sizeof(buf), DTYPE_F64, 0,
					  NULL), 128);
	assert_memory_equal(buf, scalar, sizeof(scalar) - 1);
	for (int i = sizeof(scalar) - 1; i < 127; i++)
		assert_int_equal(buf[i], ' ');
	assert_int_equal(buf[127], '\n');
}

/* Headers padded to a page: the data starts at 4096, and the header
 * parses back to the same array (numpy reads any padding). */
static void npy_write_aligned(void **state)
{
	static const uint64_t shape[] = { 256, 1024, 1024 };
	static unsigned char buf[8192];
	struct npy_header h;
	ssize_t w;

	(void)state;
	assert_int_equal(npy_header_size_aligned(DTYPE_F32, 3, shape, 4096),
			 4096);
	w = npy_write_header_aligned(buf, sizeof(buf), DTYPE_F32, 3, shape,
				     4096);
	assert_int_equal(w, 4096);
	assert_int_equal(buf[4095], '\n');
	assert_int_equal(npy_parse(buf, (size_t)w, &h), 0);
	assert_int_equal(h.data_offset, 4096);
	assert_int_equal(h.ndim, 3);
	assert_true(h.shape[0] == 256 && h.shape[2] == 1024);
	assert_int_equal(npy_write_header_aligned(buf, 4095, DTYPE_F32, 3,
						  shape, 4096), -ENOSPC);
	assert_int_equal(npy_write_header_aligned(buf, sizeof(buf), DTYPE_F32,
						  3, shape, 100), -EINVAL);
	assert_int_equal(npy_header_size_aligned(DTYPE_F32, 3, shape, 0),
			 -EINVAL);
	assert_int_equal(npy_header_size_aligned(DTYPE_F32, 3, shape, 64),
			 npy_header_size(DTYPE_F32, 3, shape));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(npy_numpy_every_dtype),
		cmocka_unit_test(npy_numpy_big_endian),
		cmocka_unit_test(npy_numpy_v2_v3),
		cmocka_unit_test(npy_numpy_scalar_vector_empty),
		cmocka_unit_test(npy_numpy_fortran_order),
		cmocka_unit_test(npy_numpy_unsupported),
		cmocka_unit_test(npy_numpy_headers_parse),
		cmocka_unit_test(npy_write_matches_numpy),
		cmocka_unit_test(npy_truncated_is_eagain),
		cmocka_unit_test(npy_mutated_never_crashes),
		cmocka_unit_test(npy_write_round_trip),
		cmocka_unit_test(npy_write_errors),
		cmocka_unit_test(npy_write_aligned),
	};

	return cmocka_run_group_tests_name("npy", tests, NULL, NULL);
}
