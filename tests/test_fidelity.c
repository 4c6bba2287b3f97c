/* SPDX-License-Identifier: MIT */
/* Unit tests of ingest/fidelity.c: coordinate roles from attributes, the exact corrections of values outside the valid range. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "codec/correct.h"
#include "codec/mask.h"
#include "ingest/fidelity.h"

static struct cat_attr text(const char *name, const char *value)
{
	return (struct cat_attr){ .name = (char *)name, .type = NCT_CHAR,
				  .len = strlen(value), .data = (void *)value };
}

/* Coordinates are found by every attribute CF names them with; data and
 * categories are left alone. */
static void fidelity_roles_from_attributes(void **state)
{
	struct cat_attr a_pre[] = { text("coordinates", "lat lon time"),
				    text("grid_mapping", "crs: x y"),
				    text("units", "mm") };
	struct cat_attr a_x[] = { text("bounds", "x_bnds") };
	struct cat_attr a_el[] = { text("standard_name", "latitude") };
	struct cat_attr a_lo[] = { text("units", "degrees_east") };
	struct cat_attr a_h[] = { text("axis", "Z") };
	struct cat_dim dims[] = { { .name = "time" }, { .name = "x" } };
	struct cat_var v[] = {
		{ .name = "pre", .attrs = a_pre, .nattrs = 3 },
		{ .name = "lat" }, { .name = "lon" }, { .name = "crs" },
		{ .name = "x", .attrs = a_x, .nattrs = 1 },
		{ .name = "x_bnds" }, { .name = "y" },
		{ .name = "el", .attrs = a_el, .nattrs = 1 },
		{ .name = "lo", .attrs = a_lo, .nattrs = 1 },
		{ .name = "h", .attrs = a_h, .nattrs = 1 },
		{ .name = "mask" },
	};
	struct cat_dataset ds = { .ndims = 2, .dims = dims, .nvars = 11,
				  .vars = v };
	static const int want[] = { VAR_ROLE_DATA, VAR_ROLE_COORD,
		VAR_ROLE_COORD, VAR_ROLE_COORD, VAR_ROLE_COORD, VAR_ROLE_COORD,
		VAR_ROLE_COORD, VAR_ROLE_COORD, VAR_ROLE_COORD, VAR_ROLE_COORD,
		VAR_ROLE_DATA };

	(void)state;
	fidelity_roles(&ds);
	for (int i = 0; i < 11; i++)
		assert_int_equal(v[i].role, want[i]);
	assert_string_equal(fidelity_role_name(VAR_ROLE_CATEGORY), "category");
	assert_string_equal(fidelity_rule_text("codec=x exact=auto"),
			    "rule: 0, and values of 1% or more");
	assert_string_equal(fidelity_rule_text("codec=x exact=0,1"),
			    "as given at import");
	assert_string_equal(fidelity_rule_text("codec=x"),
			    "imported before exact values");
}

/* Values outside the valid range become exact corrections at their
 * place in the stream's decode order, the other stream's left out. */
static void fidelity_kept_positions_in_stream_order(void **state)
{
	/* 2 frames of 3 planes of 2 x 2, a stream of planes 1-2 */
	enum { HW = 4, FE = 12, N = 2 };
	struct cat_var v = { .dtype = DTYPE_F32, .nplanes = 3, .height = 2,
			     .width = 2 };
	struct cat_stream s = { .first_plane = 1, .nplanes = 2 };
	uint8_t cls[FE * N] = { 0 };
	float raw[FE * N], got[8 * N];
	struct codec_corr c;
	uint8_t *blk;
	size_t len;
	uint32_t k;

	(void)state;
	for (int i = 0; i < FE * N; i++)
		raw[i] = (float)i;
	cls[1] = MASK_KEPT;             /* plane 0: not this stream's */
	cls[HW + 2] = MASK_KEPT;        /* frame 0, plane 1 -> 2 */
	cls[FE + 2 * HW + 3] = MASK_KEPT;       /* frame 1, plane 2 -> 15 */
	assert_int_equal(fidelity_kept(&v, &s, cls, raw, N, &blk, &len, &k),
			 0);
	assert_non_null(blk);
	assert_int_equal(k, 2);
	assert_int_equal(codec_corr_parse(blk, len, DTYPE_F32, 8 * N, 2, &c),
			 0);
	memset(got, 0, sizeof(got));
	codec_corr_values(&c, DTYPE_F32, got, 8 * N);
	assert_true(got[2] == raw[HW + 2] && got[15] == raw[FE + 2 * HW + 3]);
	codec_corr_release(&c);
	free(blk);
	memset(cls, 0, sizeof(cls));
	assert_int_equal(fidelity_kept(&v, &s, cls, raw, N, &blk, &len, &k),
			 0);
	assert_null(blk);
	assert_int_equal(k, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fidelity_roles_from_attributes),
		cmocka_unit_test(fidelity_kept_positions_in_stream_order),
	};

	return cmocka_run_group_tests_name("fidelity", tests, NULL, NULL);
}
