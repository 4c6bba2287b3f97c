/* SPDX-License-Identifier: MIT */
/* Tests of the NetCDF reader on the sample files and on files written here. */
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

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define REL_TOL 1e-6            /* float32 of netCDF4-python's float64 */

/* Expected numbers below come from netCDF4-python 1.6.2 (unpacked). */

static const char *data_path(const char *name)
{
	static char path[4096];
	const char *dir = getenv("CUBEFS_TEST_DATA");

	snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir :
		 "/work/main/data", name);
	return path;
}

/* A fresh file name under /tmp; the caller unlinks it. */
static char *tmp_name(void)
{
	char *name = strdup("/tmp/cubefs_test_nc_XXXXXX");
	int fd;

	assert_non_null(name);
	fd = mkstemp(name);
	assert_true(fd >= 0);
	close(fd);
	return name;
}

static struct source *open_ok(const char *path)
{
	struct source *s = NULL;
	int rc = source_netcdf_open(path, &s);

	if (rc)
		fail_msg("cannot open '%s': %d", path, rc);
	assert_non_null(s);
	assert_string_equal(s->ops->kind, "netcdf");
	assert_null(s->meta->name);
	return s;
}

static int var_index(const struct cat_dataset *ds, const char *name)
{
	for (int i = 0; i < ds->nvars; i++)
		if (!strcmp(ds->vars[i].name, name))
			return i;
	fail_msg("no variable '%s'", name);
	return -1;
}

static const struct cat_attr *find_attr(const struct cat_attr *a, int n,
					const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(a[i].name, name))
			return &a[i];
	return NULL;
}

static uint64_t frame_elems(const struct cat_var *v)
{
	uint64_t n = 1;

	for (int i = v->ndim >= 2 ? 1 : 0; i < v->ndim; i++)
		n *= v->shape[i];
	return n;
}

/* Reads frames [first, first + n) of variable var into a new buffer. */
static void *read_frames(struct source *s, int var, uint64_t first,
			 uint64_t n)
{
	const struct cat_var *v = &s->meta->vars[var];
	size_t len = (size_t)(frame_elems(v) * n * dtype_size(v->dtype));
	void *buf = malloc(len ? len : 1);

	assert_non_null(buf);
	assert_int_equal(s->ops->read_frames(s, var, first, n, buf), 0);
	return buf;
}

/* All of a variable. */
static void *read_all(struct source *s, int var)
{
	const struct cat_var *v = &s->meta->vars[var];

	return read_frames(s, var, 0, v->ndim >= 2 ? v->shape[0] : 1);
}

static void assert_close(double got, double want)
{
	if (fabs(got - want) > REL_TOL * fabs(want))
		fail_msg("got %.17g, want %.17g", got, want);
}

static void assert_attr_text(const struct cat_attr *a, const char *text)
{
	assert_non_null(a);
	assert_int_equal(a->type, NC_CHAR);
	assert_int_equal(a->len, strlen(text));
	assert_memory_equal(a->data, text, a->len ? a->len : 0);
}

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

#define CHECK(call) assert_int_equal((call), NC_NOERR)

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
		cmocka_unit_test(netcdf_cdf5_written_exact),
		cmocka_unit_test(netcdf_packed_fill_exact),
		cmocka_unit_test(netcdf_nc4_strings_groups),
		cmocka_unit_test(netcdf_corrupt_refused),
		cmocka_unit_test(netcdf_truncated_refused),
		cmocka_unit_test(netcdf_records_truncated_refused),
		cmocka_unit_test(netcdf_missing_file),
	};

	log_set_level(LOG_LVL_ERROR);
	return cmocka_run_group_tests_name("netcdf", tests, NULL, NULL);
}
