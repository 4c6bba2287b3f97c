/* SPDX-License-Identifier: MIT */
/* Tests of the NetCDF reader on the sample files, and on inputs it refuses. */
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

/* Expected numbers below come from netCDF4-python 1.6.2 (unpacked). */

static void netcdf_era5_packed_unpacked(void **state)
{
	static const struct { int y, x; double v0, v5; } samples[] = {
		{ 0, 0, 282.4249136907586, 282.46598278357254 },
		{ 0, 48, 279.40909963479754, 279.45214320322754 },
		{ 16, 24, 281.29590853349885, 281.2102162917621 },
		{ 32, 0, 283.87615326855837, 284.0597795008514 },
		{ 32, 48, 282.08885794090617, 281.63788771019944 },
		{ 7, 13, 280.9835464910391, 281.41714133632456 },
	};
	struct source *s = NULL;
	const struct cat_dataset *ds;
	const struct cat_var *v;
	const struct cat_attr *a;
	float *f, fill;
	int32_t *t;
	double sum = 0;
	int i;

	(void)state;
	/* through the magic-byte dispatch */
	assert_int_equal(source_open(data_path("era5_t2m_uk_2019-03.nc"), &s),
			 0);
	assert_string_equal(s->ops->kind, "netcdf");
	ds = s->meta;
	assert_int_equal(ds->ndims, 3);
	assert_string_equal(ds->dims[0].name, "longitude");
	assert_string_equal(ds->dims[1].name, "latitude");
	assert_string_equal(ds->dims[2].name, "time");
	assert_int_equal(ds->dims[2].len, 744);
	assert_int_equal(ds->dims[2].unlimited, 0);
	assert_int_equal(ds->nvars, 4);
	assert_attr_text(find_attr(ds->attrs, ds->nattrs, "Conventions"),
			 "CF-1.6");
	i = var_index(ds, "t2m");
	assert_int_equal(i, 3);
	v = &ds->vars[i];
	assert_int_equal(v->dtype, DTYPE_F32);
	assert_int_equal(v->nctype, NC_FLOAT);
	assert_int_equal(v->ndim, 3);
	assert_int_equal(v->shape[0], 744);
	assert_int_equal(v->shape[1], 33);
	assert_int_equal(v->shape[2], 49);
	assert_int_equal(v->dimids[0], 2);
	assert_int_equal(v->dimids[1], 1);
	assert_int_equal(v->dimids[2], 0);
	assert_string_equal(ds->dims[v->dimids[0]].name, "time");
	assert_null(find_attr(v->attrs, v->nattrs, "scale_factor"));
	assert_null(find_attr(v->attrs, v->nattrs, "add_offset"));
	assert_attr_text(find_attr(v->attrs, v->nattrs, "units"), "K");
	/* _FillValue -32767s, in physical units as numpy's float32 has it */
	assert_true(v->has_fill);
	memcpy(&fill, v->fill, sizeof(fill));
	assert_true(fill == 265.6797790527344f);
	a = find_attr(v->attrs, v->nattrs, "_FillValue");
	assert_non_null(a);
	assert_int_equal(a->type, NC_FLOAT);
	assert_int_equal(a->len, 1);
	assert_memory_equal(a->data, v->fill, 4);
	a = find_attr(v->attrs, v->nattrs, "missing_value");
	assert_non_null(a);
	assert_int_equal(a->type, NC_FLOAT);

	f = read_frames(s, i, 0, 6);
	for (size_t k = 0; k < ARRAY_SIZE(samples); k++) {
		assert_close(f[samples[k].y * 49 + samples[k].x],
			     samples[k].v0);
		assert_close(f[5 * 33 * 49 + samples[k].y * 49 +
			       samples[k].x], samples[k].v5);
	}
	for (int k = 0; k < 33 * 49; k++)
		sum += f[k];
	assert_close(sum / (33 * 49), 280.87558529030105);
	free(f);
	f = read_frames(s, i, 743, 1);
	assert_close(f[0], 281.0992507621399);
	assert_close(f[32 * 49 + 48], 281.4546563730296);
	free(f);

	i = var_index(ds, "time");
	assert_int_equal(ds->vars[i].dtype, DTYPE_I32);
	t = read_all(s, i);
	assert_int_equal(t[0], 1044552);
	assert_int_equal(t[743], 1045295);
	free(t);
	i = var_index(ds, "longitude");
	f = read_all(s, i);
	assert_true(f[0] == -10.0f && f[48] == 2.0f);
	free(f);
	source_free(s);
}

static void netcdf_fice_missing_value(void **state)
{
	struct source *s = open_ok(data_path("ncl_fice_monthly.nc"));
	const struct cat_var *v;
	const struct cat_attr *a;
	float *f, fill;
	size_t nfill = 0, zeros = 0;
	double sum = 0;
	int i;

	(void)state;
	assert_int_equal(s->meta->ndims, 3);
	assert_string_equal(s->meta->dims[0].name, "time");
	assert_string_equal(s->meta->dims[1].name, "hlat");
	assert_string_equal(s->meta->dims[2].name, "hlon");
	assert_int_equal(s->meta->nvars, 4);
	i = var_index(s->meta, "fice");
	assert_int_equal(i, 0);
	v = &s->meta->vars[i];
	assert_int_equal(v->dtype, DTYPE_F32);
	assert_int_equal(v->nctype, NC_FLOAT);
	assert_int_equal(v->shape[0], 120);
	assert_int_equal(v->shape[1], 49);
	assert_int_equal(v->shape[2], 100);
	assert_true(v->has_fill);
	memcpy(&fill, v->fill, 4);
	assert_true(fill == 1e36f);
	a = find_attr(v->attrs, v->nattrs, "missing_value");
	assert_non_null(a);
	assert_int_equal(a->type, NC_FLOAT);
	assert_memory_equal(a->data, v->fill, 4);

	f = read_all(s, i);
	for (size_t k = 0; k < 120 * 49 * 100; k++)
		nfill += !memcmp(&f[k], v->fill, 4);
	/* netCDF4-python: (fice[:] == float32(1e36)).sum() == 0 */
	assert_int_equal(nfill, 0);
	for (size_t k = 0; k < 49 * 100; k++) {
		sum += f[k];
		zeros += f[k] == 0;
	}
	assert_close(sum, 1398.5216074333669);
	assert_int_equal(zeros, 2992);
	assert_true(f[119 * 4900 + 48 * 100 + 99] == 0.9502338171005249f);
	free(f);
	source_free(s);
}

static size_t type_size(int type)
{
	size_t n = 0;

	assert_int_equal(nc_inq_type(NC_GLOBAL, type, NULL, &n), NC_NOERR);
	return n;
}

static void assert_attrs_equal(const struct cat_attr *a, int na,
			       const struct cat_attr *b, int nb)
{
	assert_int_equal(na, nb);
	for (int i = 0; i < na; i++) {
		assert_string_equal(a[i].name, b[i].name);
		assert_int_equal(a[i].type, b[i].type);
		assert_int_equal(a[i].len, b[i].len);
		assert_memory_equal(a[i].data, b[i].data,
				    a[i].len * type_size(a[i].type));
	}
}

static void netcdf_fice_nc4_same_as_classic(void **state)
{
	struct source *c = open_ok(data_path("ncl_fice_monthly.nc"));
	struct source *h = open_ok(data_path("ncl_fice_monthly_nc4.nc"));
	const struct cat_dataset *a = c->meta, *b = h->meta;

	(void)state;
	assert_int_equal(a->ndims, b->ndims);
	for (int i = 0; i < a->ndims; i++) {
		assert_string_equal(a->dims[i].name, b->dims[i].name);
		assert_int_equal(a->dims[i].len, b->dims[i].len);
		assert_int_equal(a->dims[i].unlimited, b->dims[i].unlimited);
	}
	assert_attrs_equal(a->attrs, a->nattrs, b->attrs, b->nattrs);
	assert_int_equal(a->nvars, b->nvars);
	for (int i = 0; i < a->nvars; i++) {
		const struct cat_var *x = &a->vars[i], *y = &b->vars[i];
		size_t len = (size_t)(catalog_var_elems(x) *
				      dtype_size(x->dtype));
		void *p, *q;

		assert_string_equal(x->name, y->name);
		assert_int_equal(x->dtype, y->dtype);
		assert_int_equal(x->nctype, y->nctype);
		assert_int_equal(x->ndim, y->ndim);
		assert_memory_equal(x->shape, y->shape,
				    sizeof(uint64_t) * (size_t)x->ndim);
		assert_memory_equal(x->dimids, y->dimids,
				    sizeof(int) * (size_t)x->ndim);
		assert_int_equal(x->has_fill, y->has_fill);
		assert_memory_equal(x->fill, y->fill, sizeof(x->fill));
		assert_attrs_equal(x->attrs, x->nattrs, y->attrs, y->nattrs);
		p = read_all(c, i);
		q = read_all(h, i);
		assert_memory_equal(p, q, len);
		free(p);
		free(q);
	}
	source_free(c);
	source_free(h);
}

static void netcdf_s2_netcdf4(void **state)
{
	static const struct {
		const char *name;
		enum dtype dtype;
		int nctype, ndim;
	} want[] = {
		{ "NDVI", DTYPE_F32, NC_FLOAT, 3 },
		{ "CLP", DTYPE_F32, NC_FLOAT, 3 },
		{ "CLM", DTYPE_U8, NC_UBYTE, 3 },
		{ "crs", DTYPE_I32, NC_INT, 0 },
		{ "time", DTYPE_I64, NC_INT64, 1 },
		{ "y", DTYPE_F64, NC_DOUBLE, 1 },
		{ "x", DTYPE_F64, NC_DOUBLE, 1 },
	};
	struct source *s = open_ok(
		data_path("s2_eolearn_ndvi_clp_clm_2015-2017.nc"));
	const struct cat_dataset *ds = s->meta;
	const struct cat_attr *a;
	const uint8_t flags[] = { 0, 1 };
	uint64_t ones = 0;
	int64_t *t;
	int32_t *crs;
	float *f;
	uint8_t *m;
	double *y;

	(void)state;
	assert_int_equal(ds->ndims, 3);
	assert_string_equal(ds->dims[0].name, "time");
	assert_int_equal(ds->dims[0].len, 68);
	assert_string_equal(ds->dims[1].name, "y");
	assert_int_equal(ds->dims[1].len, 101);
	assert_string_equal(ds->dims[2].name, "x");
	assert_int_equal(ds->dims[2].len, 100);
	assert_int_equal(ds->nvars, (int)ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		const struct cat_var *v = &ds->vars[i];

		assert_string_equal(v->name, want[i].name);
		assert_int_equal(v->dtype, want[i].dtype);
		assert_int_equal(v->nctype, want[i].nctype);
		assert_int_equal(v->ndim, want[i].ndim);
		if (v->ndim == 3) {
			assert_int_equal(v->shape[0], 68);
			assert_int_equal(v->shape[1], 101);
			assert_int_equal(v->shape[2], 100);
			for (int d = 0; d < 3; d++)
				assert_int_equal(v->dimids[d], d);
		}
		/* NDVI and CLP: _FillValue NaN, masked anyway */
		assert_false(v->has_fill);
	}
	assert_int_equal(ds->vars[4].shape[0], 68);
	assert_int_equal(ds->vars[4].dimids[0], 0);
	assert_int_equal(ds->vars[5].dimids[0], 1);
	assert_attr_text(find_attr(ds->attrs, ds->nattrs, "Conventions"),
			 "CF-1.8");
	assert_null(find_attr(ds->attrs, ds->nattrs, "_NCProperties"));
	a = find_attr(ds->vars[2].attrs, ds->vars[2].nattrs, "flag_values");
	assert_non_null(a);
	assert_int_equal(a->type, NC_UBYTE);
	assert_int_equal(a->len, 2);
	assert_memory_equal(a->data, flags, 2);
	a = find_attr(ds->vars[0].attrs, ds->vars[0].nattrs, "_FillValue");
	assert_non_null(a);
	assert_int_equal(a->type, NC_FLOAT);
	assert_true(isnan(*(float *)a->data));
	a = find_attr(ds->vars[4].attrs, ds->vars[4].nattrs, "units");
	assert_attr_text(a, "seconds since 2015-07-11 10:00:08");

	f = read_frames(s, 0, 10, 1);
	assert_true(f[50 * 100 + 50] == 0.4106113f);
	free(f);
	f = read_frames(s, 0, 67, 1);
	assert_true(f[100 * 100 + 99] == 0.19358586f);
	free(f);
	f = read_frames(s, 1, 0, 1);
	assert_true(f[0] == 0.0043953606f);
	free(f);
	m = read_all(s, 2);
	for (size_t k = 0; k < 68 * 101 * 100; k++)
		ones += m[k];
	assert_int_equal(ones, 271633);
	free(m);
	crs = read_all(s, 3);
	assert_int_equal(*crs, 0);
	free(crs);
	t = read_all(s, 4);
	assert_int_equal(t[0], 0);
	assert_int_equal(t[1], 1728001);
	assert_int_equal(t[67], 77328247);
	free(t);
	y = read_all(s, 5);
	assert_close(y[0], 5080249.634772177);
	free(y);
	source_free(s);
}

/* Writes len bytes of data to a new temporary file. */
static char *write_tmp(const void *data, size_t len)
{
	char *path = tmp_name();
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	void *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void assert_refused(const void *data, size_t len)
{
	char *path = write_tmp(data, len);
	struct source *s = (struct source *)1;
	int rc = source_netcdf_open(path, &s);

	if (rc != -EINVAL)
		fail_msg("%zu bytes: got %d, want -EINVAL", len, rc);
	assert_null(s);
	unlink(path);
	free(path);
}

static void netcdf_corrupt_refused(void **state)
{
	static const char *const magic[] = {
		"", "CDF\001", "CDF\002", "CDF\005", "\211HDF\r\n\032\n",
	};
	uint8_t buf[8192];
	uint32_t x = 12345;

	(void)state;
	for (size_t m = 0; m < ARRAY_SIZE(magic); m++) {
		size_t k = strlen(magic[m]);

		for (size_t i = 0; i < sizeof(buf); i++) {
			x = x * 1664525u + 1013904223u;
			buf[i] = (uint8_t)(x >> 24);
		}
		memcpy(buf, magic[m], k);
		assert_refused(buf, sizeof(buf));
		assert_refused(buf, k + 3);
	}
}

static void netcdf_truncated_refused(void **state)
{
	static const char *const files[] = {
		"era5_t2m_uk_2019-03.nc", "ncl_fice_monthly.nc",
		"ncl_fice_monthly_nc4.nc",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		size_t len;
		uint8_t *buf = slurp(data_path(files[i]), &len);
		const size_t cuts[] = { 3, 100, 1000, len / 2, len - 1 };

		for (size_t c = 0; c < ARRAY_SIZE(cuts); c++)
			assert_refused(buf, cuts[c]);
		free(buf);
	}
}

/*
 * Classic record files: one byte variable (records unpadded) and two
 * (padded to 4 bytes each); whole they read back, a data byte short not.
 */
static void netcdf_records_truncated_refused(void **state)
{
	static const int8_t b[3][5] = { { 0, 1, 2, 3, 4 }, { 5, 6, 7, 8, 9 },
					{ 10, 11, 12, 13, 14 } };
	static const int16_t sh[3][5] = { { -1, -2, -3, -4, -5 } };
	const int modes[] = { 0, NC_64BIT_OFFSET };

	(void)state;
	for (size_t m = 0; m < ARRAY_SIZE(modes); m++) {
		char *path = tmp_name();
		struct source *s;
		int nc, dims[2], id;
		size_t len, start[2] = { 0, 0 }, count[2] = { 3, 5 };
		void *buf;

		CHECK(nc_create(path, NC_CLOBBER | modes[m], &nc));
		CHECK(nc_def_dim(nc, "r", NC_UNLIMITED, &dims[0]));
		CHECK(nc_def_dim(nc, "n", 5, &dims[1]));
		CHECK(nc_def_var(nc, "b", NC_BYTE, 2, dims, &id));
		if (m)
			CHECK(nc_def_var(nc, "s", NC_SHORT, 2, dims, &id));
		CHECK(nc_enddef(nc));
		CHECK(nc_put_vara(nc, 0, start, count, b));
		if (m)
			CHECK(nc_put_vara(nc, 1, start, count, sh));
		CHECK(nc_close(nc));
		s = open_ok(path);
		assert_int_equal(s->meta->dims[0].len, 3);
		buf = read_frames(s, 0, 1, 2);
		assert_memory_equal(buf, b[1], 10);
		free(buf);
		if (m) {
			buf = read_all(s, 1);
			assert_memory_equal(buf, sh, sizeof(sh));
			free(buf);
		}
		source_free(s);
		buf = slurp(path, &len);
		/* the last record's padding may go, not its data */
		assert_refused(buf, len - (m ? 3 : 1));
		free(buf);
		unlink(path);
		free(path);
	}
}

static void netcdf_missing_file(void **state)
{
	struct source *s = NULL;

	(void)state;
	assert_int_equal(source_netcdf_open("/nonexistent/cubefs.nc", &s),
			 -ENOENT);
	assert_null(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(netcdf_era5_packed_unpacked),
		cmocka_unit_test(netcdf_fice_missing_value),
		cmocka_unit_test(netcdf_fice_nc4_same_as_classic),
		cmocka_unit_test(netcdf_s2_netcdf4),
		cmocka_unit_test(netcdf_corrupt_refused),
		cmocka_unit_test(netcdf_truncated_refused),
		cmocka_unit_test(netcdf_records_truncated_refused),
		cmocka_unit_test(netcdf_missing_file),
	};

	log_set_level(LOG_LVL_ERROR);
	return cmocka_run_group_tests_name("netcdf", tests, NULL, NULL);
}
