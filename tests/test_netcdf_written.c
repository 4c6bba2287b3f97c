/* SPDX-License-Identifier: MIT */
/* Tests of the NetCDF reader on files written here with libnetcdf: every attribute type in CDF-5, packed variables with fill and missing values, NetCDF-4 strings and groups. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netcdf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/log.h"
#include "ingest/source.h"
#include "tests/netcdf_fixture.h"

/* An attribute of every classic type, by value, for one file. */
static const int8_t a_byte[] = { -128, 0, 127 };
static const int16_t a_short[] = { -32768, 32767 };
static const int32_t a_int[] = { INT32_MIN, 7 };
static const float a_float[] = { 1.5f, -0.0f, 3.4028235e38f };
static const double a_double[] = { 3.141592653589793, 1e300, -1e-300 };
static const uint8_t a_ubyte[] = { 255 };
static const uint16_t a_ushort[] = { 65535, 1 };
static const uint32_t a_uint[] = { 4294967295u };
static const int64_t a_int64[] = { INT64_MIN, INT64_MAX, -1 };
static const uint64_t a_uint64[] = { UINT64_MAX, 1 };

static const struct {
	const char *name;
	int type;
	size_t len, size;
	const void *data;
} every[] = {
	{ "a_byte", NC_BYTE, 3, 1, a_byte },
	{ "a_char", NC_CHAR, 5, 1, "hello" },
	{ "a_empty", NC_CHAR, 0, 1, "" },
	{ "a_short", NC_SHORT, 2, 2, a_short },
	{ "a_int", NC_INT, 2, 4, a_int },
	{ "a_float", NC_FLOAT, 3, 4, a_float },
	{ "a_double", NC_DOUBLE, 3, 8, a_double },
	{ "a_ubyte", NC_UBYTE, 1, 1, a_ubyte },
	{ "a_ushort", NC_USHORT, 2, 2, a_ushort },
	{ "a_uint", NC_UINT, 1, 4, a_uint },
	{ "a_int64", NC_INT64, 3, 8, a_int64 },
	{ "a_uint64", NC_UINT64, 2, 8, a_uint64 },
};

static void netcdf_cdf5_written_exact(void **state)
{
	static const uint64_t u64[3][4] = {
		{ 0, 1, UINT64_MAX, 1ull << 63 },
		{ 12345678901234567ull, 2, 3, 4 },
		{ 5, 6, 7, UINT64_MAX - 1 },
	};
	static const char text[3][5] = { "abcde", "fghij", "klmn\0" };
	static const uint16_t us[4] = { 0, 1, 65534, 65535 };
	const double sc = -2.5e-310;
	char *path = tmp_name();
	struct source *s;
	const struct cat_dataset *ds;
	const struct cat_var *v;
	int nc, drec, dn, ds5, vu, vc, vs, v1, dims[2];
	void *buf;
	uint8_t junk[64];

	(void)state;
	CHECK(nc_create(path, NC_CLOBBER | NC_64BIT_DATA, &nc));
	CHECK(nc_def_dim(nc, "rec", NC_UNLIMITED, &drec));
	CHECK(nc_def_dim(nc, "n", 4, &dn));
	CHECK(nc_def_dim(nc, "s", 5, &ds5));
	dims[0] = drec;
	dims[1] = dn;
	CHECK(nc_def_var(nc, "u64", NC_UINT64, 2, dims, &vu));
	dims[1] = ds5;
	CHECK(nc_def_var(nc, "chr", NC_CHAR, 2, dims, &vc));
	CHECK(nc_def_var(nc, "sc", NC_DOUBLE, 0, NULL, &vs));
	CHECK(nc_def_var(nc, "us", NC_USHORT, 1, &dn, &v1));
	for (size_t i = 0; i < ARRAY_SIZE(every); i++) {
		CHECK(nc_put_att(nc, NC_GLOBAL, every[i].name, every[i].type,
				 every[i].len, every[i].data));
		CHECK(nc_put_att(nc, v1, every[i].name, every[i].type,
				 every[i].len, every[i].data));
	}
	CHECK(nc_enddef(nc));
	for (size_t r = 0; r < 3; r++) {
		size_t start[2] = { r, 0 }, cu[2] = { 1, 4 }, cc[2] = { 1, 5 };

		CHECK(nc_put_vara(nc, vu, start, cu, u64[r]));
		CHECK(nc_put_vara(nc, vc, start, cc, text[r]));
	}
	CHECK(nc_put_var(nc, vs, &sc));
	CHECK(nc_put_var(nc, v1, us));
	CHECK(nc_close(nc));

	s = open_ok(path);
	ds = s->meta;
	assert_int_equal(ds->ndims, 3);
	assert_string_equal(ds->dims[0].name, "rec");
	assert_int_equal(ds->dims[0].len, 3);
	assert_int_equal(ds->dims[0].unlimited, 1);
	assert_int_equal(ds->dims[1].unlimited, 0);
	assert_int_equal(ds->nattrs, (int)ARRAY_SIZE(every));
	for (size_t i = 0; i < ARRAY_SIZE(every); i++) {
		const struct cat_attr *g = &ds->attrs[i];
		const struct cat_attr *a = &ds->vars[3].attrs[i];

		assert_string_equal(g->name, every[i].name);
		assert_int_equal(g->type, every[i].type);
		assert_int_equal(g->len, every[i].len);
		assert_non_null(g->data);
		assert_memory_equal(g->data, every[i].data,
				    every[i].len * every[i].size);
		assert_string_equal(a->name, every[i].name);
		assert_int_equal(a->type, every[i].type);
		assert_int_equal(a->len, every[i].len);
		assert_memory_equal(a->data, every[i].data,
				    every[i].len * every[i].size);
	}
	assert_int_equal(ds->nvars, 4);
	v = &ds->vars[0];
	assert_string_equal(v->name, "u64");
	assert_int_equal(v->dtype, DTYPE_U64);
	assert_int_equal(v->nctype, NC_UINT64);
	assert_int_equal(v->shape[0], 3);
	assert_int_equal(v->shape[1], 4);
	assert_int_equal(v->dimids[0], 0);
	assert_int_equal(v->dimids[1], 1);
	assert_false(v->has_fill);
	buf = read_all(s, 0);
	assert_memory_equal(buf, u64, sizeof(u64));
	free(buf);
	buf = read_frames(s, 0, 1, 2);
	assert_memory_equal(buf, u64[1], sizeof(u64[0]) * 2);
	free(buf);
	v = &ds->vars[1];
	assert_int_equal(v->dtype, DTYPE_U8);
	assert_int_equal(v->nctype, NC_CHAR);
	assert_int_equal(v->dimids[1], 2);
	buf = read_all(s, 1);
	assert_memory_equal(buf, text, sizeof(text));
	free(buf);
	v = &ds->vars[2];
	assert_int_equal(v->ndim, 0);
	assert_non_null(v->shape);
	buf = read_all(s, 2);
	assert_memory_equal(buf, &sc, sizeof(sc));
	free(buf);
	buf = read_all(s, 3);
	assert_memory_equal(buf, us, sizeof(us));
	free(buf);

	/* frames past the end, or of a variable with one frame */
	assert_int_equal(s->ops->read_frames(s, 0, 2, 2, junk), -EINVAL);
	assert_int_equal(s->ops->read_frames(s, 0, 4, 0, junk), -EINVAL);
	assert_int_equal(s->ops->read_frames(s, 3, 1, 1, junk), -EINVAL);
	assert_int_equal(s->ops->read_frames(s, 2, 0, 2, junk), -EINVAL);
	assert_int_equal(s->ops->read_frames(s, 4, 0, 1, junk), -EINVAL);
	source_free(s);
	unlink(path);
	free(path);
}

/* Packed variables, fill and missing values, in a CDF-5 file. */
static void netcdf_packed_fill_exact(void **state)
{
	static const int16_t ps[2][3] = { { -1, 0, 100 }, { -2, 7, -32768 } };
	static const int32_t pi[2][3] = { { 0, INT32_MIN, 1 },
					  { -1000000, 5, 2000000000 } };
	static const int64_t pl[2][3] = { { 0, 1, -1 }, { 1ll << 40, 3, 9 } };
	static const uint8_t pu[2][3] = { { 0, 255, 254 }, { 1, 253, 2 } };
	static const float fv[2][3] = { { 1, -999, -888 }, { -888, 2, 3 } };
	static const int16_t bad[2][3] = { { 1, 2, 3 }, { 4, 5, 6 } };
	const int16_t fill16 = -1, miss16[] = { -2 }, range16[] = { 0, 100 };
	const int32_t fill32 = INT32_MIN;
	const int64_t fill64 = -1;
	const uint8_t miss8[] = { 255, 254 };
	const float f999 = -999, f888 = -888, fnan = NAN, sf = 0.25f;
	const float off8 = 100;
	const double half = 0.5, ten = 10, milli = 0.001, minus5 = -5;
	char *path = tmp_name();
	struct source *s;
	const struct cat_dataset *ds;
	const struct cat_var *v;
	const struct cat_attr *a;
	int nc, dims[3], id;
	float *f, want;
	double *d;
	int16_t *raw;

	(void)state;
	CHECK(nc_create(path, NC_CLOBBER | NC_64BIT_DATA, &nc));
	CHECK(nc_def_dim(nc, "t", 2, &dims[0]));
	CHECK(nc_def_dim(nc, "y", 1, &dims[1]));
	CHECK(nc_def_dim(nc, "x", 3, &dims[2]));
	CHECK(nc_def_var(nc, "ps", NC_SHORT, 3, dims, &id));
	CHECK(nc_put_att_double(nc, id, "scale_factor", NC_DOUBLE, 1, &half));
	CHECK(nc_put_att_double(nc, id, "add_offset", NC_DOUBLE, 1, &ten));
	CHECK(nc_put_att_short(nc, id, "_FillValue", NC_SHORT, 1, &fill16));
	CHECK(nc_put_att_short(nc, id, "missing_value", NC_SHORT, 1, miss16));
	CHECK(nc_put_att_short(nc, id, "valid_range", NC_SHORT, 2, range16));
	CHECK(nc_put_att_text(nc, id, "units", 1, "K"));
	CHECK(nc_def_var(nc, "pi", NC_INT, 3, dims, &id));
	CHECK(nc_put_att_double(nc, id, "scale_factor", NC_DOUBLE, 1,
				&milli));
	CHECK(nc_put_att_double(nc, id, "add_offset", NC_DOUBLE, 1, &minus5));
	CHECK(nc_put_att_int(nc, id, "_FillValue", NC_INT, 1, &fill32));
	CHECK(nc_def_var(nc, "pl", NC_INT64, 3, dims, &id));
	CHECK(nc_put_att_float(nc, id, "scale_factor", NC_FLOAT, 1, &sf));
	CHECK(nc_put_att_longlong(nc, id, "_FillValue", NC_INT64, 1,
				  (const long long *)&fill64));
	CHECK(nc_def_var(nc, "pu", NC_UBYTE, 3, dims, &id));
	CHECK(nc_put_att_float(nc, id, "add_offset", NC_FLOAT, 1, &off8));
	CHECK(nc_put_att_uchar(nc, id, "missing_value", NC_UBYTE, 2, miss8));
	CHECK(nc_def_var(nc, "fv", NC_FLOAT, 3, dims, &id));
	CHECK(nc_put_att_float(nc, id, "_FillValue", NC_FLOAT, 1, &f999));
	CHECK(nc_put_att_float(nc, id, "missing_value", NC_FLOAT, 1, &f888));
	CHECK(nc_def_var(nc, "fn", NC_FLOAT, 3, dims, &id));
	CHECK(nc_put_att_float(nc, id, "_FillValue", NC_FLOAT, 1, &fnan));
	CHECK(nc_def_var(nc, "bad", NC_SHORT, 3, dims, &id));
	CHECK(nc_put_att_text(nc, id, "scale_factor", 1, "x"));
	CHECK(nc_enddef(nc));
	CHECK(nc_put_var(nc, 0, ps));
	CHECK(nc_put_var(nc, 1, pi));
	CHECK(nc_put_var(nc, 2, pl));
	CHECK(nc_put_var(nc, 3, pu));
	CHECK(nc_put_var(nc, 4, fv));
	CHECK(nc_put_var(nc, 5, fv));
	CHECK(nc_put_var(nc, 6, bad));
	CHECK(nc_close(nc));

	s = open_ok(path);
	ds = s->meta;
	assert_int_equal(ds->nvars, 7);

	/* int16, double scale: float32; -1 and -2 both give fill[] */
	v = &ds->vars[0];
	assert_int_equal(v->dtype, DTYPE_F32);
	assert_int_equal(v->nctype, NC_FLOAT);
	assert_true(v->has_fill);
	want = 9.5f;
	assert_memory_equal(v->fill, &want, 4);
	assert_null(find_attr(v->attrs, v->nattrs, "scale_factor"));
	assert_null(find_attr(v->attrs, v->nattrs, "add_offset"));
	a = find_attr(v->attrs, v->nattrs, "missing_value");
	assert_int_equal(a->type, NC_FLOAT);
	assert_true(*(float *)a->data == 9.0f);
	a = find_attr(v->attrs, v->nattrs, "valid_range");
	assert_int_equal(a->type, NC_FLOAT);
	assert_int_equal(a->len, 2);
	assert_true(((float *)a->data)[0] == 10.0f);
	assert_true(((float *)a->data)[1] == 60.0f);
	assert_attr_text(find_attr(v->attrs, v->nattrs, "units"), "K");
	f = read_all(s, 0);
	for (int k = 0; k < 6; k++) {
		int16_t p = ps[k / 3][k % 3];

		if (p == -1 || p == -2)
			assert_memory_equal(&f[k], v->fill, 4);
		else
			assert_true(f[k] == (float)(p * 0.5 + 10));
	}
	free(f);
	f = read_frames(s, 0, 1, 1);
	assert_memory_equal(&f[0], v->fill, 4);
	assert_true(f[1] == 13.5f);
	free(f);

	/* int32, double scale: float64 */
	v = &ds->vars[1];
	assert_int_equal(v->dtype, DTYPE_F64);
	assert_int_equal(v->nctype, NC_DOUBLE);
	assert_true(v->has_fill);
	d = read_all(s, 1);
	for (int k = 0; k < 6; k++) {
		int32_t p = pi[k / 3][k % 3];

		if (p == INT32_MIN)
			assert_memory_equal(&d[k], v->fill, 8);
		else
			assert_true(d[k] == p * 0.001 + -5);
	}
	a = find_attr(v->attrs, v->nattrs, "_FillValue");
	assert_int_equal(a->type, NC_DOUBLE);
	assert_memory_equal(a->data, v->fill, 8);
	free(d);

	/* int64, float scale: float32, read through a scratch buffer */
	v = &ds->vars[2];
	assert_int_equal(v->dtype, DTYPE_F32);
	want = -0.25f;
	assert_memory_equal(v->fill, &want, 4);
	f = read_all(s, 2);
	for (int k = 0; k < 6; k++) {
		int64_t p = pl[k / 3][k % 3];

		assert_true(f[k] == (float)((double)p * 0.25));
	}
	free(f);
	f = read_frames(s, 2, 1, 1);
	assert_true(f[0] == 274877906944.0f && f[2] == 2.25f);
	free(f);

	/* uint8 with add_offset only and two missing values */
	v = &ds->vars[3];
	assert_int_equal(v->dtype, DTYPE_F32);
	assert_true(v->has_fill);
	want = 355.0f;
	assert_memory_equal(v->fill, &want, 4);
	f = read_all(s, 3);
	for (int k = 0; k < 6; k++) {
		uint8_t p = pu[k / 3][k % 3];

		if (p >= 254)
			assert_memory_equal(&f[k], v->fill, 4);
		else
			assert_true(f[k] == p + 100.0f);
	}
	free(f);

	/* float with a missing_value unlike its _FillValue */
	v = &ds->vars[4];
	assert_true(v->has_fill);
	assert_memory_equal(v->fill, &f999, 4);
	f = read_all(s, 4);
	for (int k = 0; k < 6; k++) {
		float p = fv[k / 3][k % 3];

		assert_true(f[k] == (p == -888 ? -999 : p));
	}
	free(f);

	/* NaN _FillValue: no fill class */
	v = &ds->vars[5];
	assert_false(v->has_fill);
	assert_int_equal(v->dtype, DTYPE_F32);
	f = read_all(s, 5);
	assert_true(f[2] == -888);
	free(f);

	/* a textual scale_factor leaves the variable packed */
	v = &ds->vars[6];
	assert_int_equal(v->dtype, DTYPE_I16);
	assert_int_equal(v->nctype, NC_SHORT);
	assert_non_null(find_attr(v->attrs, v->nattrs, "scale_factor"));
	raw = read_all(s, 6);
	assert_memory_equal(raw, bad, sizeof(bad));
	free(raw);
	source_free(s);
	unlink(path);
	free(path);
}

/* NetCDF-4: strings, a sub-group with its own dimension, a string var. */
static void netcdf_nc4_strings_groups(void **state)
{
	const char *two[] = { "one", "two" }, *one[] = { "x" };
	static const uint16_t u[2][4] = { { 1, 2, 3, 4 }, { 5, 6, 7, 8 } };
	char *path = tmp_name();
	struct source *s;
	const struct cat_dataset *ds;
	const struct cat_var *v;
	int nc, grp, da, db, dc, id, dims[2];
	uint16_t *buf;

	(void)state;
	CHECK(nc_create(path, NC_CLOBBER | NC_NETCDF4, &nc));
	CHECK(nc_def_dim(nc, "a", 2, &da));
	CHECK(nc_def_grp(nc, "sub", &grp));
	CHECK(nc_def_dim(grp, "b", 3, &db));
	CHECK(nc_def_var(grp, "inner", NC_INT, 1, &db, &id));
	CHECK(nc_def_dim(nc, "c", NC_UNLIMITED, &dc));
	CHECK(nc_put_att_string(nc, NC_GLOBAL, "multi", 2, two));
	CHECK(nc_put_att_text(nc, NC_GLOBAL, "plain", 2, "ok"));
	CHECK(nc_def_var(nc, "names", NC_STRING, 1, &da, &id));
	dims[0] = da;
	dims[1] = dc;
	CHECK(nc_def_var(nc, "u", NC_USHORT, 2, dims, &id));
	CHECK(nc_put_att_string(nc, id, "note", 1, one));
	{
		size_t start[2] = { 0, 0 }, count[2] = { 2, 4 };

		CHECK(nc_put_vara(nc, id, start, count, u));
	}
	CHECK(nc_close(nc));

	s = open_ok(path);
	ds = s->meta;
	assert_int_equal(ds->ndims, 2);
	assert_string_equal(ds->dims[0].name, "a");
	assert_string_equal(ds->dims[1].name, "c");
	assert_int_equal(ds->dims[1].unlimited, 1);
	assert_int_equal(ds->dims[1].len, 4);
	assert_int_equal(ds->nattrs, 2);
	assert_attr_text(&ds->attrs[0], "one\ntwo");
	assert_string_equal(ds->attrs[0].name, "multi");
	assert_attr_text(&ds->attrs[1], "ok");
	assert_int_equal(ds->nvars, 1);
	v = &ds->vars[0];
	assert_string_equal(v->name, "u");
	assert_int_equal(v->dimids[0], 0);
	assert_int_equal(v->dimids[1], 1);
	assert_int_equal(v->shape[1], 4);
	assert_attr_text(find_attr(v->attrs, v->nattrs, "note"), "x");
	buf = read_all(s, 0);
	assert_memory_equal(buf, u, sizeof(u));
	free(buf);
	source_free(s);
	unlink(path);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(netcdf_cdf5_written_exact),
		cmocka_unit_test(netcdf_packed_fill_exact),
		cmocka_unit_test(netcdf_nc4_strings_groups),
	};

	log_set_level(LOG_LVL_ERROR);
	return cmocka_run_group_tests_name("netcdf_written", tests, NULL, NULL);
}
