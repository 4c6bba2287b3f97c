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

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define FILE_MAX 4096

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

/* Reads tests/data/npy/<name> into buf; returns its length. */
static size_t read_data(const char *name, unsigned char *buf, size_t cap)
{
	const char *dir = getenv("CUBEFS_TEST_SRCDIR");
	char path[4096];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/tests/data/npy/%s", dir ? dir : ".",
		 name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open '%s'", path);
	n = fread(buf, 1, cap, f);
	assert_true(feof(f));
	fclose(f);
	return n;
}

/*
 * Builds a header of the given version around dict, followed by '\n'
 * (no alignment: parsers must not need it). Returns the total length.
 */
static size_t make_hdr(unsigned char *buf, size_t cap, int major,
		       const char *dict)
{
	size_t n = strlen(dict);
	size_t pre = major == 1 ? 10 : 12;
	size_t hlen = n + 1;

	assert_true(pre + hlen <= cap);
	memcpy(buf, "\x93NUMPY", 6);
	buf[6] = (unsigned char)major;
	buf[7] = 0;
	buf[8] = hlen & 0xff;
	buf[9] = (hlen >> 8) & 0xff;
	if (major != 1) {
		buf[10] = (hlen >> 16) & 0xff;
		buf[11] = (hlen >> 24) & 0xff;
	}
	memcpy(buf + pre, dict, n);
	buf[pre + n] = '\n';
	return pre + hlen;
}

/* Parses a copy of buf in a heap block of exactly len bytes. */
static int parse_exact(const unsigned char *buf, size_t len,
		       struct npy_header *h)
{
	unsigned char *copy = malloc(len ? len : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, buf, len);
	rc = npy_parse(copy, len, h);
	free(copy);
	return rc;
}

/* Parses a version-`major` header around dict. */
static int parse_dict(int major, const char *dict, struct npy_header *h)
{
	unsigned char buf[FILE_MAX];
	size_t n = make_hdr(buf, sizeof(buf), major, dict);

	return parse_exact(buf, n, h);
}

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
		cmocka_unit_test(npy_write_round_trip),
		cmocka_unit_test(npy_write_errors),
		cmocka_unit_test(npy_write_aligned),
	};

	return cmocka_run_group_tests_name("npy", tests, NULL, NULL);
}
