/* SPDX-License-Identifier: MIT */
/* Tests of the .nc view: byte for byte against what libnetcdf writes, and read back by it. */
#include <errno.h>
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
#include "catalog/catalog.h"
#include "fs/reader.h"
#include "ingest/import.h"
#include "ingest/ncview.h"
#include "tests/ncview_fixture.h"

static size_t nc_type_size(nc_type t)
{
	size_t sz = 0;

	CHECK(nc_inq_type(NC_GLOBAL, t, NULL, &sz));
	return sz;
}

/* Attributes of varid in a and b: same names, order, types and values. */
static void assert_same_attrs(int a, int va, int b, int vb, const char *what)
{
	int na, nb;

	CHECK(nc_inq_varnatts(a, va, &na));
	CHECK(nc_inq_varnatts(b, vb, &nb));
	if (na != nb)
		fail_msg("%s: %d attributes, want %d", what, nb, na);
	for (int i = 0; i < na; i++) {
		char name[NC_MAX_NAME + 1], nameb[NC_MAX_NAME + 1];
		nc_type ta, tb;
		size_t la, lb, sz;
		void *x, *y;

		CHECK(nc_inq_attname(a, va, i, name));
		CHECK(nc_inq_attname(b, vb, i, nameb));
		assert_string_equal(nameb, name);
		CHECK(nc_inq_att(a, va, name, &ta, &la));
		CHECK(nc_inq_att(b, vb, name, &tb, &lb));
		if (ta != tb || la != lb)
			fail_msg("%s:%s is %d[%zu], want %d[%zu]", what, name,
				 tb, lb, ta, la);
		sz = nc_type_size(ta);
		x = calloc(la + 1, sz);
		y = calloc(la + 1, sz);
		assert_non_null(x);
		assert_non_null(y);
		CHECK(nc_get_att(a, va, name, x));
		CHECK(nc_get_att(b, vb, name, y));
		assert_memory_equal(y, x, la * sz);
		free(x);
		free(y);
	}
}

/*
 * Everything libnetcdf reads from want_path is in got: dimensions, global
 * attributes, and each variable by name (wherever it is), with its
 * dimensions, type, attributes and values.
 */
static void assert_same_contents(int want, int got)
{
	int nd, nd2, nv, nv2, unl, unl2;

	CHECK(nc_inq(want, &nd, &nv, NULL, &unl));
	CHECK(nc_inq(got, &nd2, &nv2, NULL, &unl2));
	assert_int_equal(nd2, nd);
	assert_int_equal(nv2, nv);
	assert_int_equal(unl2, unl);
	for (int d = 0; d < nd; d++) {
		char n1[NC_MAX_NAME + 1], n2[NC_MAX_NAME + 1];
		size_t l1, l2;

		CHECK(nc_inq_dim(want, d, n1, &l1));
		CHECK(nc_inq_dim(got, d, n2, &l2));
		assert_string_equal(n2, n1);
		assert_int_equal(l2, l1);
	}
	assert_same_attrs(want, NC_GLOBAL, got, NC_GLOBAL, "global");
	for (int v = 0; v < nv; v++) {
		char name[NC_MAX_NAME + 1];
		int dims[NC_MAX_VAR_DIMS], dims2[NC_MAX_VAR_DIMS];
		int ndim, ndim2, v2;
		nc_type t, t2;
		size_t n = 1, sz;
		void *x, *y;

		CHECK(nc_inq_var(want, v, name, &t, &ndim, dims, NULL));
		CHECK(nc_inq_varid(got, name, &v2));
		CHECK(nc_inq_var(got, v2, NULL, &t2, &ndim2, dims2, NULL));
		assert_int_equal(t2, t);
		assert_int_equal(ndim2, ndim);
		for (int d = 0; d < ndim; d++) {
			size_t len;

			assert_int_equal(dims2[d], dims[d]);
			CHECK(nc_inq_dimlen(want, dims[d], &len));
			n *= len;
		}
		assert_same_attrs(want, v, got, v2, name);
		sz = nc_type_size(t);
		x = calloc(n + 1, sz);
		y = calloc(n + 1, sz);
		assert_non_null(x);
		assert_non_null(y);
		CHECK(nc_get_var(want, v, x));
		CHECK(nc_get_var(got, v2, y));
		if (memcmp(x, y, n * sz))
			fail_msg("values of '%s' differ", name);
		free(x);
		free(y);
	}
}

/* Global attributes of several types, odd lengths among them. */
static void put_global_attrs(int nc)
{
	static const short shorts[3] = { -1, 2, 32767 };
	const int answer = 42;
	const float ratio = 0.25f;
	const double pi = 3.141592653589793;

	CHECK(nc_put_att_text(nc, NC_GLOBAL, "title", 19,
			      "cubefs ncview test!"));
	CHECK(nc_put_att_text(nc, NC_GLOBAL, "empty", 0, ""));
	CHECK(nc_put_att_short(nc, NC_GLOBAL, "shorts", NC_SHORT, 3, shorts));
	CHECK(nc_put_att_int(nc, NC_GLOBAL, "answer", NC_INT, 1, &answer));
	CHECK(nc_put_att_float(nc, NC_GLOBAL, "ratio", NC_FLOAT, 1, &ratio));
	CHECK(nc_put_att_double(nc, NC_GLOBAL, "pi", NC_DOUBLE, 1, &pi));
}

enum { T = 4, Y = 3, X = 6 };

/*
 * (a) Fixed dimensions: a scalar, 1-d coordinates (two of the same
 * padded size, kept in their order) and a 3-d float cube with NaN and
 * _FillValue. cube_first defines the variables largest first, unlike the
 * layout cubefs serves (smallest first, ties in their order).
 */
static void write_fixed(const char *path, int cube_first)
{
	static const double time[T] = { 0, 6, 12, 18 };
	static const double y[Y] = { 50.5, 50.25, 50 };
	static const float x[X] = { -2, -1.75f, -1.5f, -1.25f, -1, -0.75f };
	static const float range[2] = { -100, 400 };
	const float fill = -9999.f;
	const int crs = 4326;
	float cube[T][Y][X];
	int nc, dt, dy, dx, dims[3], vcrs, vy, vx, vt, vc, old;

	for (int t = 0; t < T; t++)
		for (int j = 0; j < Y; j++)
			for (int i = 0; i < X; i++)
				cube[t][j][i] = 273.15f + (float)t * 0.5f +
					(float)j * 1e-3f - (float)i * 7.25f;
	cube[1][2][3] = NAN;
	cube[3][0][0] = fill;
	cube[0][1][5] = -0.0f;
	CHECK(nc_create(path, NC_CLOBBER | NC_64BIT_OFFSET, &nc));
	CHECK(nc_set_fill(nc, NC_NOFILL, &old));
	CHECK(nc_def_dim(nc, "time", T, &dt));
	CHECK(nc_def_dim(nc, "y", Y, &dy));
	CHECK(nc_def_dim(nc, "x", X, &dx));
	put_global_attrs(nc);
	dims[0] = dt;
	dims[1] = dy;
	dims[2] = dx;
	if (cube_first) {
		CHECK(nc_def_var(nc, "cube", NC_FLOAT, 3, dims, &vc));
		CHECK(nc_def_var(nc, "time", NC_DOUBLE, 1, &dt, &vt));
		CHECK(nc_def_var(nc, "x", NC_FLOAT, 1, &dx, &vx));
		CHECK(nc_def_var(nc, "y", NC_DOUBLE, 1, &dy, &vy));
		CHECK(nc_def_var(nc, "crs", NC_INT, 0, NULL, &vcrs));
	} else {
		CHECK(nc_def_var(nc, "crs", NC_INT, 0, NULL, &vcrs));
		CHECK(nc_def_var(nc, "y", NC_DOUBLE, 1, &dy, &vy));
		CHECK(nc_def_var(nc, "x", NC_FLOAT, 1, &dx, &vx));
		CHECK(nc_def_var(nc, "time", NC_DOUBLE, 1, &dt, &vt));
		CHECK(nc_def_var(nc, "cube", NC_FLOAT, 3, dims, &vc));
	}
	CHECK(nc_put_att_text(nc, vcrs, "grid_mapping_name", 18,
			      "latitude_longitude"));
	CHECK(nc_put_att_text(nc, vt, "units", 30,
			      "hours since 2019-03-01 00:00:0"));
	CHECK(nc_put_att_text(nc, vy, "units", 13, "degrees_north"));
	CHECK(nc_put_att_text(nc, vx, "units", 12, "degrees_east"));
	CHECK(nc_put_att_text(nc, vc, "units", 1, "K"));
	CHECK(nc_put_att_float(nc, vc, "_FillValue", NC_FLOAT, 1, &fill));
	CHECK(nc_put_att_float(nc, vc, "valid_range", NC_FLOAT, 2, range));
	CHECK(nc_put_att_text(nc, vc, "grid_mapping", 3, "crs"));
	CHECK(nc_enddef(nc));
	CHECK(nc_put_var_int(nc, vcrs, &crs));
	CHECK(nc_put_var_double(nc, vy, y));
	CHECK(nc_put_var_float(nc, vx, x));
	CHECK(nc_put_var_double(nc, vt, time));
	CHECK(nc_put_var_float(nc, vc, &cube[0][0][0]));
	CHECK(nc_close(nc));
}

static void ncview_fixed_identical(void **state)
{
	static const char *const npy[] = { "cube.npy" };
	const char *src = tmp_path("fixed.nc");
	struct image im;
	int a, b;

	(void)state;
	write_fixed(src, 0);
	import_lossless(src, "fixed");
	im = read_nc_view("fixed", npy, ARRAY_SIZE(npy));
	assert_memory_equal(im.data, "CDF\002", 4);
	assert_same_file(&im, src);
	CHECK(nc_open(src, NC_NOWRITE, &a));
	b = open_view(&im, "fixed_view.nc");
	assert_same_contents(a, b);
	CHECK(nc_close(a));
	CHECK(nc_close(b));
	free(im.data);
}

/* Defined largest first: not cubefs's layout, still the same contents. */
static void ncview_other_order_same_values(void **state)
{
	static const char *const npy[] = { "cube.npy" };
	static const char *const order[] = { "crs", "x", "y", "time",
					     "cube" };
	const char *src = tmp_path("reordered.nc");
	struct image im;
	size_t len;
	uint8_t *want;
	int a, b, nv;

	(void)state;
	write_fixed(src, 1);
	import_lossless(src, "reordered");
	im = read_nc_view("reordered", npy, ARRAY_SIZE(npy));
	want = slurp(src, &len);
	assert_int_equal(im.len, len);
	assert_true(memcmp(im.data, want, im.hdr) != 0);
	free(want);
	CHECK(nc_open(src, NC_NOWRITE, &a));
	b = open_view(&im, "reordered_view.nc");
	assert_same_contents(a, b);
	/* smallest first, the two of 24 bytes in their original order */
	CHECK(nc_inq_nvars(b, &nv));
	assert_int_equal(nv, (int)ARRAY_SIZE(order));
	for (int v = 0; v < nv; v++) {
		char name[NC_MAX_NAME + 1];

		CHECK(nc_inq_varname(b, v, name));
		assert_string_equal(name, order[v]);
	}
	CHECK(nc_close(a));
	CHECK(nc_close(b));
	free(im.data);
}

/* Probes for the known bugs; each runs once. */

/* MERGED_SIZE: the extents ncview_build() gives tile the view's size. */
static int extents_tile(const struct cat_view *w)
{
	uint64_t pos = 0;

	for (int i = 0; i < w->nextents; i++) {
		if (w->extents[i].offset != pos)
			return 0;
		pos += w->extents[i].length;
	}
	return pos == w->size;
}

static void view_release(struct cat_view *w)
{
	for (int i = 0; i < w->nextents; i++)
		free(w->extents[i].bytes);
	free(w->extents);
}

/* A dataset of one byte record variable of nrec records, by hand. */
static int build_one_record(uint64_t nrec, struct cat_view *w)
{
	char dname[] = "rec", vname[] = "v", name[] = "probe";
	struct cat_dim dim = { .name = dname, .len = nrec, .unlimited = 1 };
	uint64_t shape[1] = { nrec };
	int dimids[1] = { 0 };
	struct cat_var v = { .name = vname, .dtype = DTYPE_I8,
		.nctype = NC_BYTE, .ndim = 1, .shape = shape,
		.dimids = dimids, .vmin = NAN, .vmax = NAN };
	struct cat_dataset ds = { .name = name, .ndims = 1, .dims = &dim,
		.nvars = 1, .vars = &v };

	memset(w, 0, sizeof(*w));
	return ncview_build(&ds, w);
}

static int bug_merged_size(void)
{
	static int known = -1;
	struct cat_view w;

	if (known < 0) {
		assert_int_equal(build_one_record(3, &w), 0);
		known = !extents_tile(&w);
		view_release(&w);
	}
	return known;
}

/* 2D_ROWS: a 2-d variable comes back whole from an import. */
static int bug_2d_rows(void)
{
	static int known = -1;
	static const int16_t rows[4][3] = { { 1, 2, 3 }, { 4, 5, 6 },
					    { 7, 8, 9 }, { 10, 11, 12 } };
	const char *path = tmp_path("probe2d.nc");
	struct catalog *c;
	struct reader *r;
	struct cat_dataset *ds;
	int16_t got[4][3];
	int nc, dims[2], v;

	if (known >= 0)
		return known;
	CHECK(nc_create(path, NC_CLOBBER | NC_64BIT_OFFSET, &nc));
	CHECK(nc_def_dim(nc, "r", 4, &dims[0]));
	CHECK(nc_def_dim(nc, "c", 3, &dims[1]));
	CHECK(nc_def_var(nc, "v", NC_SHORT, 2, dims, &v));
	CHECK(nc_enddef(nc));
	CHECK(nc_put_var_short(nc, v, &rows[0][0]));
	CHECK(nc_close(nc));
	import_lossless(path, "probe2d");
	assert_int_equal(catalog_open(store_of("probe2d"), CATALOG_RDONLY, &c),
			 0);
	assert_int_equal(reader_new(c, 1 << 20, &r), 0);
	catalog_free(c);
	ds = reader_find(r, "probe2d");
	assert_non_null(ds);
	assert_int_equal(reader_read_elems(r, ds, 0, 0, 12, 0, got), 0);
	known = memcmp(got, rows, sizeof(rows)) != 0;
	reader_free(r);
	return known;
}

/*
 * Imports the view of dataset from again as dataset name: the same view
 * comes back (a dataset of one variable: its root .npy renamed).
 */
static void assert_reimport_same(const struct image *im, const char *from,
				 const char *name, const char *const *npy,
				 size_t nnpy)
{
	char file[128], root[128], newroot[128];
	const char *renamed[8];
	struct image again;

	assert_true(nnpy <= ARRAY_SIZE(renamed));
	snprintf(root, sizeof(root), "%s.npy", from);
	snprintf(newroot, sizeof(newroot), "%s.npy", name);
	for (size_t i = 0; i < nnpy; i++)
		renamed[i] = strcmp(npy[i], root) ? npy[i] : newroot;
	snprintf(file, sizeof(file), "%s.nc", name);
	spill(tmp_path(file), im->data, im->len);
	import_lossless(tmp_path(file), name);
	again = read_nc_view(name, renamed, nnpy);
	assert_int_equal(again.len, im->len);
	assert_bytes(again.data, im->data, im->len, "view of the view");
	free(again.data);
}

/*
 * Checks the view of src (imported as name) three ways: byte for byte
 * against src, by libnetcdf against src, and imported again.
 */
static struct image check_view(const char *src, const char *name,
			       const char *const *npy, size_t nnpy)
{
	char file[96];
	struct image im;
	int a, b;

	import_lossless(src, name);
	im = read_nc_view(name, npy, nnpy);
	assert_same_file(&im, src);
	CHECK(nc_open(src, NC_NOWRITE, &a));
	snprintf(file, sizeof(file), "%s.view.nc", name);
	b = open_view(&im, file);
	assert_same_contents(a, b);
	CHECK(nc_close(a));
	CHECK(nc_close(b));
	snprintf(file, sizeof(file), "%s_again", name);
	assert_reimport_same(&im, name, file, npy, nnpy);
	return im;
}

enum { R = 4, NS = 3, NB = 5, NL = 2 };

/*
 * (b) A record dimension, one fixed variable and two record variables
 * whose records (6 and 5 bytes) are padded to 4 bytes each: as (time, n)
 * if ndim is 2, else (time, one, n).
 */
static void write_records(const char *path, int ndim)
{
	static const float lev[NL] = { 1000, 850 };
	int16_t s[R][NS];
	int8_t b[R][NB];
	int nc, dr, d1, dn, dm, dk, dims[3], vl, vs, vb, old;

	for (int r = 0; r < R; r++) {
		for (int i = 0; i < NS; i++)
			s[r][i] = (int16_t)(-3000 + 1111 * r - 7 * i);
		for (int i = 0; i < NB; i++)
			b[r][i] = (int8_t)(-128 + 61 * r + 13 * i);
	}
	CHECK(nc_create(path, NC_CLOBBER | NC_64BIT_OFFSET, &nc));
	CHECK(nc_set_fill(nc, NC_NOFILL, &old));
	CHECK(nc_def_dim(nc, "time", NC_UNLIMITED, &dr));
	CHECK(nc_def_dim(nc, "one", 1, &d1));
	CHECK(nc_def_dim(nc, "n", NS, &dn));
	CHECK(nc_def_dim(nc, "m", NB, &dm));
	CHECK(nc_def_dim(nc, "level", NL, &dk));
	CHECK(nc_put_att_text(nc, NC_GLOBAL, "Conventions", 6, "CF-1.8"));
	CHECK(nc_def_var(nc, "level", NC_FLOAT, 1, &dk, &vl));
	dims[0] = dr;
	dims[1] = d1;
	dims[ndim - 1] = dn;
	CHECK(nc_def_var(nc, "s", NC_SHORT, ndim, dims, &vs));
	dims[ndim - 1] = dm;
	CHECK(nc_def_var(nc, "b", NC_BYTE, ndim, dims, &vb));
	CHECK(nc_put_att_text(nc, vl, "units", 3, "hPa"));
	CHECK(nc_put_att_text(nc, vs, "long_name", 5, "short"));
	CHECK(nc_put_att_text(nc, vb, "long_name", 4, "byte"));
	CHECK(nc_enddef(nc));
	CHECK(nc_put_var_float(nc, vl, lev));
	/* one record at a time, as a model run writes them */
	for (size_t r = 0; r < R; r++) {
		size_t start[3] = { r, 0, 0 }, cs[3] = { 1, 1, 1 };
		size_t cb[3] = { 1, 1, 1 };

		cs[ndim - 1] = NS;
		cb[ndim - 1] = NB;
		CHECK(nc_put_vara_short(nc, vs, start, cs, s[r]));
		CHECK(nc_put_vara_schar(nc, vb, start, cb, b[r]));
	}
	CHECK(nc_close(nc));
}

static void ncview_records_interleaved_padded(void **state)
{
	static const char *const npy[] = { "s.npy", "b.npy" };
	const char *src = tmp_path("records.nc");
	struct image im;

	(void)state;
	write_records(src, 3);
	im = check_view(src, "records", npy, ARRAY_SIZE(npy));
	/* numrecs; each record 8 + 8 bytes, the last one's padding too */
	assert_memory_equal(im.data + 4, "\0\0\0\004", 4);
	assert_int_equal(im.len, im.hdr + 8 + R * (8 + 8));
	free(im.data);
}

/* The same with 2-d record variables, and a 2-d char variable. */
static void ncview_2d_variables(void **state)
{
	static const char *const npy[] = { "s.npy", "b.npy" };
	static const char *const npy2[] = { "names.npy", "grid.npy" };
	static const char names[3][7] = { "alpha", "bravo!", "c" };
	static const int16_t grid[2][3] = { { -5, 0, 5 },
					    { 32767, -32768, 1 } };
	const char *src = tmp_path("records2d.nc");
	const char *src2 = tmp_path("fixed2d.nc");
	struct image im;
	int nc, dims[2], v1, v2, old;

	(void)state;
	if (KNOWN_BUG_2D_ROWS)
		known_bug(1, bug_2d_rows(), "2-d variables lose their rows");
	write_records(src, 2);
	im = check_view(src, "records2d", npy, ARRAY_SIZE(npy));
	assert_int_equal(im.len, im.hdr + 8 + R * (8 + 8));
	free(im.data);
	/* fixed: a short variable (12 bytes), a char one (21, padded) */
	CHECK(nc_create(src2, NC_CLOBBER | NC_64BIT_OFFSET, &nc));
	CHECK(nc_set_fill(nc, NC_NOFILL, &old));
	CHECK(nc_def_dim(nc, "y", 2, &dims[0]));
	CHECK(nc_def_dim(nc, "x", 3, &dims[1]));
	CHECK(nc_def_var(nc, "grid", NC_SHORT, 2, dims, &v2));
	CHECK(nc_def_dim(nc, "station", 3, &dims[0]));
	CHECK(nc_def_dim(nc, "strlen", 7, &dims[1]));
	CHECK(nc_def_var(nc, "names", NC_CHAR, 2, dims, &v1));
	CHECK(nc_put_att_text(nc, v1, "cf_role", 13, "timeseries_id"));
	CHECK(nc_enddef(nc));
	CHECK(nc_put_var_text(nc, v1, &names[0][0]));
	CHECK(nc_put_var_short(nc, v2, &grid[0][0]));
	CHECK(nc_close(nc));
	im = check_view(src2, "fixed2d", npy2, ARRAY_SIZE(npy2));
	free(im.data);
}

/*
 * (c) Exactly one record variable of a type narrower than 4 bytes, of
 * 1, 2 or 3 dims: its records follow each other unpadded (CDF's special
 * case); a fixed short variable of 3 elements is padded.
 */
static void write_one_record(const char *path, nc_type t, int ndim,
			     size_t nrec)
{
	static const int16_t fx[NS] = { 7, -8, 9 };
	int16_t v[8][NS];
	int nc, dims[3], vx, vv, old;

	for (size_t r = 0; r < nrec; r++)
		for (int i = 0; i < NS; i++)
			v[r][i] = (int16_t)(t == NC_BYTE ? -100 + 37 * (int)r +
					    i : -30000 + 9999 * (int)r - i);
	CHECK(nc_create(path, NC_CLOBBER | NC_64BIT_OFFSET, &nc));
	CHECK(nc_set_fill(nc, NC_NOFILL, &old));
	CHECK(nc_def_dim(nc, "rec", NC_UNLIMITED, &dims[0]));
	CHECK(nc_def_dim(nc, "one", 1, &dims[1]));
	CHECK(nc_def_dim(nc, "n", NS, &dims[2]));
	CHECK(nc_def_var(nc, "fx", NC_SHORT, 1, &dims[2], &vx));
	if (ndim == 2)
		dims[1] = dims[2];
	CHECK(nc_def_var(nc, "v", t, ndim, dims, &vv));
	CHECK(nc_enddef(nc));
	CHECK(nc_put_var_short(nc, vx, fx));
	for (size_t r = 0; r < nrec; r++) {
		size_t start[3] = { r, 0, 0 }, count[3] = { 1, 1, 1 };

		count[ndim - 1] = ndim > 1 ? NS : 1;
		CHECK(nc_put_vara_short(nc, vv, start, count, v[r]));
	}
	CHECK(nc_close(nc));
}

static void ncview_one_record_var_unpadded(void **state)
{
	static const nc_type types[] = { NC_BYTE, NC_SHORT };
	static const char *const npy[] = { "v.npy" };

	(void)state;
	if (KNOWN_BUG_MERGED_SIZE)
		known_bug(1, bug_merged_size(),
			  "merged extents missing from the view's size");
	for (size_t k = 0; k < ARRAY_SIZE(types); k++)
		for (int ndim = 1; ndim <= 3; ndim++) {
			size_t tsz = types[k] == NC_BYTE ? 1 : 2;
			size_t per = tsz * (ndim > 1 ? NS : 1);
			char name[32], file[40];
			const char *src;
			struct image im;

			if (ndim == 2 && KNOWN_BUG_2D_ROWS && bug_2d_rows())
				continue; /* ncview_2d_variables says */
			snprintf(name, sizeof(name), "one_%d_%d", types[k],
				 ndim);
			snprintf(file, sizeof(file), "%s.src.nc", name);
			src = tmp_path(file);
			write_one_record(src, types[k], ndim, 5);
			im = check_view(src, name, npy, ndim > 1);
			/* fx: 6 bytes and 2 of padding; records: 5 x per */
			assert_int_equal(im.len, im.hdr + 8 + 5 * per);
			free(im.data);
		}
}

/* A record dimension of no records yet: a header and the fixed data. */
static void ncview_zero_records(void **state)
{
	static const char *const npy[] = { "v.npy" };
	static const int16_t fx[NS] = { 1, 2, 3 };
	const char *src = tmp_path("zero.nc");
	struct image im;
	int nc, dims[3], vx, vt, vv, old;

	(void)state;
	CHECK(nc_create(src, NC_CLOBBER | NC_64BIT_OFFSET, &nc));
	CHECK(nc_set_fill(nc, NC_NOFILL, &old));
	CHECK(nc_def_dim(nc, "time", NC_UNLIMITED, &dims[0]));
	CHECK(nc_def_dim(nc, "y", 2, &dims[1]));
	CHECK(nc_def_dim(nc, "x", NS, &dims[2]));
	CHECK(nc_def_var(nc, "x", NC_SHORT, 1, &dims[2], &vx));
	CHECK(nc_def_var(nc, "time", NC_DOUBLE, 1, dims, &vt));
	CHECK(nc_def_var(nc, "v", NC_FLOAT, 3, dims, &vv));
	CHECK(nc_enddef(nc));
	CHECK(nc_put_var_short(nc, vx, fx));
	CHECK(nc_close(nc));
	im = check_view(src, "zero", npy, ARRAY_SIZE(npy));
	assert_memory_equal(im.data + 4, "\0\0\0\0", 4);
	assert_int_equal(im.len, im.hdr + 8);
	free(im.data);
}

/* A dataset of one variable: its .npy at the root, beside the .nc. */
static void ncview_single_variable(void **state)
{
	static const char *const npy[] = { "single.npy" };
	const char *src = tmp_path("single_src.nc");
	float cube[3][Y][X];
	size_t start[3] = { 0, 0, 0 }, count[3] = { 3, Y, X };
	struct image im;
	int nc, dims[3], v, old;

	(void)state;
	if (KNOWN_BUG_MERGED_SIZE)
		known_bug(1, bug_merged_size(),
			  "merged extents missing from the view's size");
	for (int t = 0; t < 3; t++)
		for (int j = 0; j < Y; j++)
			for (int i = 0; i < X; i++)
				cube[t][j][i] = (float)(t * 100 + j * 10 + i) /
					3.0f;
	CHECK(nc_create(src, NC_CLOBBER | NC_64BIT_OFFSET, &nc));
	CHECK(nc_set_fill(nc, NC_NOFILL, &old));
	CHECK(nc_def_dim(nc, "time", NC_UNLIMITED, &dims[0]));
	CHECK(nc_def_dim(nc, "y", Y, &dims[1]));
	CHECK(nc_def_dim(nc, "x", X, &dims[2]));
	CHECK(nc_def_var(nc, "t2m", NC_FLOAT, 3, dims, &v));
	CHECK(nc_put_att_text(nc, v, "units", 1, "K"));
	CHECK(nc_enddef(nc));
	CHECK(nc_put_vara_float(nc, v, start, count, &cube[0][0][0]));
	CHECK(nc_close(nc));
	im = check_view(src, "single", npy, ARRAY_SIZE(npy));
	free(im.data);
}

/* ncview_build() by hand: extents tile the view, records merge. */
static void ncview_extents_tile_view(void **state)
{
	struct cat_view w;

	(void)state;
	if (KNOWN_BUG_MERGED_SIZE)
		known_bug(1, bug_merged_size(),
			  "merged extents missing from the view's size");
	for (uint64_t nrec = 0; nrec < 6; nrec++) {
		assert_int_equal(build_one_record(nrec, &w), 0);
		assert_int_equal(w.kind, VIEW_NC);
		assert_true(extents_tile(&w));
		assert_int_equal(w.extents[0].kind, EXTENT_BYTES);
		/* one byte per record, unpadded, in one extent */
		assert_int_equal(w.size, w.extents[0].length + nrec);
		assert_int_equal(w.nextents, nrec ? 2 : 1);
		view_release(&w);
	}
}

/* Writes the view's header, zeros for its data, and opens it with
 * libnetcdf: the header a reader sees. */
static int open_built(const struct cat_view *w, const char *name)
{
	const char *path = tmp_path(name);
	FILE *f = fopen(path, "wb");
	int nc = -1;

	assert_non_null(f);
	assert_int_equal(fwrite(w->extents[0].bytes, 1, w->extents[0].length,
				f), w->extents[0].length);
	for (uint64_t i = w->extents[0].length; i < w->size; i++)
		fputc(0, f);
	fclose(f);
	CHECK(nc_open(path, NC_NOWRITE, &nc));
	return nc;
}

/* Length 0 says "record dimension" in a classic header: a 0-length axis
 * of a .npy (no dataset dims) becomes the record dimension, and a second
 * dimension of length 0 is refused, never written (fuzz_ncheader). */
static void ncview_zero_length_dims(void **state)
{
	char dn0[] = "a", dn1[] = "b", vn[] = "v", name[] = "z";
	struct cat_dim dim[2] = { { .name = dn0, .len = 0, .unlimited = 1 },
				  { .name = dn1, .len = 0, .unlimited = 1 } };
	uint64_t shape[2] = { 0, 3 };
	int dimids[2] = { -1, -1 }, nc, unlim, ndims;
	size_t len;
	struct cat_var v = { .name = vn, .dtype = DTYPE_F32, .ndim = 2,
		.shape = shape, .dimids = dimids, .vmin = NAN, .vmax = NAN };
	struct cat_dataset ds = { .name = name, .nvars = 1, .vars = &v };
	struct cat_view w;

	(void)state;
	/* a .npy of shape (0, 3) */
	memset(&w, 0, sizeof(w));
	assert_int_equal(ncview_build(&ds, &w), 0);
	nc = open_built(&w, "zero_npy.nc");
	CHECK(nc_inq(nc, &ndims, NULL, NULL, &unlim));
	assert_int_equal(ndims, 2);
	assert_int_equal(unlim, 0);
	CHECK(nc_inq_dimlen(nc, 1, &len));
	assert_int_equal(len, 3);
	CHECK(nc_close(nc));
	view_release(&w);
	/* two unlimited dimensions of length 0 (NetCDF-4), the second used
	 * inside: it cannot be the record one and cannot be written */
	dimids[0] = 0;
	dimids[1] = 1;
	shape[1] = 0;
	ds.ndims = 2;
	ds.dims = dim;
	memset(&w, 0, sizeof(w));
	assert_int_equal(ncview_build(&ds, &w), -EFBIG);
	assert_int_equal(w.nextents, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ncview_fixed_identical),
		cmocka_unit_test(ncview_other_order_same_values),
		cmocka_unit_test(ncview_records_interleaved_padded),
		cmocka_unit_test(ncview_2d_variables),
		cmocka_unit_test(ncview_one_record_var_unpadded),
		cmocka_unit_test(ncview_zero_records),
		cmocka_unit_test(ncview_single_variable),
		cmocka_unit_test(ncview_extents_tile_view),
		cmocka_unit_test(ncview_zero_length_dims),
	};

	if (getenv("NCVIEW_FILTER"))
		cmocka_set_test_filter(getenv("NCVIEW_FILTER"));
	return cmocka_run_group_tests_name("ncview", tests, setup, teardown);
}
