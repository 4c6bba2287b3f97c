/* SPDX-License-Identifier: MIT */
/* Tests of the Zarr view's documents and chunk names (ingest/zarr.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ingest/zarr.h"

static uint64_t cube_shape[] = { 100000, 3, 4, 5 };
static int cube_dims[] = { 0, -1, 1, 2 };

static struct cat_var cube = { .id = 7, .name = "refl", .dtype = DTYPE_U16,
	.nctype = NCT_USHORT, .ndim = 4, .shape = cube_shape,
	.dimids = cube_dims };

static void zarr_chunk_names_round_trip(void **state)
{
	char b[ZARR_NAME_MAX];
	uint64_t i = 0, n, ce;

	(void)state;
	zarr_chunks(&cube, &n, &ce);
	assert_int_equal(n, 100000);
	assert_int_equal(ce, 60);
	assert_int_equal(zarr_chunk_name(&cube, 99999, b, sizeof(b)), 11);
	assert_string_equal(b, "99999.0.0.0");
	assert_int_equal(zarr_chunk_parse(&cube, b, &i), 0);
	assert_int_equal(i, 99999);
	assert_int_equal(zarr_chunk_parse(&cube, "0.0.0.0", &i), 0);
	assert_int_equal(i, 0);
	assert_int_equal(zarr_chunk_name(&cube, 5, b, 4), -ERANGE);
}

static void zarr_chunk_names_one_spelling(void **state)
{
	static const char *const bad[] = { "100000.0.0.0", "01.0.0.0",
		"1.0.0", "1.0.0.0.0", "1.0.1.0", "1/0/0/0", "", ".zarray",
		"-1.0.0.0", "99999999999999999999999.0.0.0", "1.0.0.0 " };
	uint64_t i;

	(void)state;
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
		assert_int_equal(zarr_chunk_parse(&cube, bad[k], &i),
				 -ENOENT);
}

/* A dataset: the cube, a scalar with text attributes, a skipped name. */
static void zarr_meta_documents(void **state)
{
	static const char text[] = "say \"hi\"\\\n\xe9t\xc3\xa9\0";
	static const int16_t fill = -7;
	static const double pair[] = { 0.5, 1e300 };
	struct cat_attr vattrs[] = {
		{ .name = "_FillValue", .type = NCT_SHORT, .len = 1,
		  .data = (void *)&fill },
		{ .name = "note", .type = NCT_CHAR, .len = sizeof(text) - 1,
		  .data = (void *)text },
		{ .name = "range", .type = NCT_DOUBLE, .len = 2,
		  .data = (void *)pair },
	};
	struct cat_dim dims[] = { { .name = "time" }, { .name = "y" },
				  { .name = "x" } };
	struct cat_var vars[3] = { cube, { .id = 8, .name = "crs",
		.dtype = DTYPE_I32, .nctype = NCT_INT },
		{ .id = 9, .name = ".hidden", .dtype = DTYPE_F32 } };
	struct cat_dataset ds = { .id = 1, .name = "d", .ndims = 3,
		.dims = dims, .nvars = 3, .vars = vars };
	struct zarr_meta m;
	const char *za, *zt;

	(void)state;
	vars[0].attrs = vattrs;
	vars[0].nattrs = 3;
	assert_int_equal(zarr_meta_build(&ds, &m), 0);
	assert_int_equal(m.narrays, 2);
	za = m.arrays[0].zarray;
	zt = m.arrays[0].zattrs;
	assert_non_null(strstr(za, "\"chunks\": [1, 3, 4, 5]"));
	assert_non_null(strstr(za, "\"shape\": [100000, 3, 4, 5]"));
	assert_non_null(strstr(za, "\"dtype\": \"<u2\""));
	assert_non_null(strstr(za, "\"fill_value\": 65529"));
	assert_non_null(strstr(za, "\"compressor\": null"));
	assert_non_null(strstr(za, "\"filters\": null"));
	assert_non_null(strstr(za, "\"order\": \"C\""));
	assert_int_equal(m.arrays[0].chunk_bytes, 120);
	/* anonymous axes as the .nc view names them */
	assert_non_null(strstr(zt, "\"_ARRAY_DIMENSIONS\": [\"time\", "
			       "\"dim_0\", \"y\", \"x\"]"));
	/* escaped; bytes that are not UTF-8 as Latin-1; the NUL dropped */
	assert_non_null(strstr(zt, "\"note\": \"say \\\"hi\\\"\\\\\\n"
			       "\\u00e9t\xc3\xa9\""));
	assert_non_null(strstr(zt, "\"range\": [0.5, "
			       "1.0000000000000001e+300]"));
	/* a scalar: no dims, one chunk named "0" */
	assert_non_null(strstr(m.arrays[1].zarray, "\"shape\": []"));
	assert_non_null(strstr(m.arrays[1].zattrs,
			       "\"_ARRAY_DIMENSIONS\": []"));
	assert_int_equal(m.arrays[1].nchunks, 1);
	assert_non_null(strstr(m.zmetadata, "\"refl/.zarray\": {"));
	assert_non_null(strstr(m.zmetadata, "\"crs/.zattrs\": {"));
	assert_null(strstr(m.zmetadata, "hidden"));
	assert_non_null(strstr(m.zmetadata, "\"zarr_consolidated_format\": 1"));
	assert_string_equal(m.zgroup, "{\n    \"zarr_format\": 2\n}");
	assert_string_equal(m.zattrs, "{}");
	zarr_meta_release(&m);
	assert_null(m.zmetadata);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(zarr_chunk_names_round_trip),
		cmocka_unit_test(zarr_chunk_names_one_spelling),
		cmocka_unit_test(zarr_meta_documents),
	};

	return cmocka_run_group_tests_name("zarr", tests, NULL, NULL);
}
