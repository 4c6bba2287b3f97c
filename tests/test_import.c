/* SPDX-License-Identifier: MIT */
/* Tests of import and read-back: real samples, every dtype, NaN masks, and bad input leaving the store unchanged. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/log.h"
#include "catalog/catalog.h"
#include "codec/video.h"
#include "fs/reader.h"
#include "ingest/encode.h"
#include "ingest/encode_int.h"
#include "ingest/import.h"
#include "ingest/npy.h"
#include "tests/fixture.h"
#include "tests/samples.h"

/* Reads back all of variable 0 of dataset name. */
static void *read_back(const char *name, struct cat_var *out_var)
{
	struct catalog *c;
	struct reader *r;
	struct cat_dataset *ds;
	void *buf;
	uint64_t n;

	assert_int_equal(catalog_open(store, CATALOG_RDONLY, &c), 0);
	assert_int_equal(reader_new(c, 16 << 20, &r), 0);
	catalog_free(c);
	ds = reader_find(r, name);
	assert_non_null(ds);
	n = catalog_var_elems(&ds->vars[0]);
	buf = malloc(n * dtype_size(ds->vars[0].dtype) + 1);
	assert_int_equal(reader_read_elems(r, ds, 0, 0, n, 0, buf), 0);
	out_var->psnr = ds->vars[0].psnr;
	out_var->max_err = ds->vars[0].max_err;
	out_var->dtype = ds->vars[0].dtype;
	reader_free(r);
	return buf;
}

static int import(const char *path, const char *name, int codec, int lossless)
{
	struct catalog *c;
	struct import_opts o;
	struct import_report rep;
	int rc;

	import_opts_init(&o);
	o.name = name;
	o.codec = codec;
	o.lossless = lossless;
	o.progress = 0;
	rc = catalog_open(store, CATALOG_CREATE, &c);
	if (rc)
		return rc;
	rc = import_file(c, path, &o, &rep);
	catalog_free(c);
	if (!rc)
		free(rep.vars);
	return rc;
}

static void *load_npy_data(const char *path, struct npy_header *h)
{
	FILE *f = fopen(path, "rb");
	static unsigned char head[4096];
	size_t got;
	void *data;
	size_t bytes;

	assert_non_null(f);
	got = fread(head, 1, sizeof(head), f);
	assert_int_equal(npy_parse(head, got, h), 0);
	bytes = h->nelems * dtype_size(h->dtype);
	data = malloc(bytes);
	fseek(f, (long)h->data_offset, SEEK_SET);
	assert_int_equal(fread(data, 1, bytes, f), bytes);
	fclose(f);
	return data;
}

static void import_landsat_lossless_exact(void **state)
{
	char path[512];
	struct npy_header h;
	struct cat_var v;
	void *src, *got;

	(void)state;
	snprintf(path, sizeof(path), "%s/landsat8_ny2018_p013r032_11band.npy",
		 fixture_data_dir());
	src = load_npy_data(path, &h);
	assert_int_equal(import(path, "landsat", 0, 1), 0);
	got = read_back("landsat", &v);
	assert_true(isinf(v.psnr));
	assert_memory_equal(src, got, h.nelems * 2);
	free(got);
	/* x265 lossless cannot hold 16-bit values ... */
	assert_int_equal(import(path, "landsat265", CODEC_X265, 1), -ENOTSUP);
	/* ... but holds 12-bit ones exactly */
	for (uint64_t i = 0; i < h.nelems; i++)
		((uint16_t *)src)[i] >>= 4;
	snprintf(path, sizeof(path), "%s/l12.npy", dir);
	write_npy(path, DTYPE_U16, h.ndim, h.shape, src);
	assert_int_equal(import(path, "landsat265", CODEC_X265, 1), 0);
	got = read_back("landsat265", &v);
	assert_memory_equal(src, got, h.nelems * 2);
	free(got);
	free(src);
}

/*
 * A GOP stored in MiBs (exact floats that hardly compress) is read into
 * a buffer of huge pages: it reads back exactly, and a byte damaged in
 * its pack fails the read (-EIO), not the reader.
 */
static void import_big_payload_reads_back(void **state)
{
	uint64_t shape[] = { 16, 256, 256 }, n = 16ull * 256 * 256, x = 88172645;
	uint64_t most = 0;
	uint32_t *d = malloc(n * 4);
	char path[512], pack[1024];
	struct cat_dataset *ds;
	struct cat_var v;
	struct catalog *c;
	struct reader *r;
	struct dirent *de;
	struct stat st;
	void *got;
	DIR *dp;
	FILE *f;
	int ch;

	(void)state;
	assert_non_null(d);
	for (uint64_t i = 0; i < n; i++) {      /* in [1, 2), any mantissa */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		d[i] = 0x3f800000u | (uint32_t)(x & 0x7fffff);
	}
	snprintf(path, sizeof(path), "%s/big.npy", dir);
	write_npy(path, DTYPE_F32, 3, shape, d);
	assert_int_equal(import(path, "big", 0, 1), 0);
	got = read_back("big", &v);
	assert_memory_equal(got, d, n * 4);
	free(got);
	/* the payload: the largest pack, over 2 MiB */
	snprintf(path, sizeof(path), "%s/packs", store);
	assert_non_null(dp = opendir(path));
	while ((de = readdir(dp))) {
		char p[1024];

		snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
		if (!stat(p, &st) && S_ISREG(st.st_mode) &&
		    (uint64_t)st.st_size > most) {
			most = (uint64_t)st.st_size;
			snprintf(pack, sizeof(pack), "%s", p);
		}
	}
	closedir(dp);
	assert_true(most > (2u << 20));
	assert_non_null(f = fopen(pack, "r+b"));
	fseek(f, (long)(most / 2), SEEK_SET);
	ch = fgetc(f);
	fseek(f, (long)(most / 2), SEEK_SET);
	fputc(ch ^ 0x55, f);
	fclose(f);
	assert_int_equal(catalog_open(store, CATALOG_RDONLY, &c), 0);
	assert_int_equal(reader_new(c, 16 << 20, &r), 0);
	catalog_free(c);
	ds = reader_find(r, "big");
	got = malloc(n * 4);
	assert_int_equal(reader_read_elems(r, ds, 0, 0, n, 0, got), -EIO);
	reader_free(r);
	free(got);
	free(d);
}

static void import_landsat_lossy_within_reported_error(void **state)
{
	char path[512];
	struct npy_header h;
	struct cat_var v;
	uint16_t *src, *got;
	double worst = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/landsat8_ny2018_p013r032_11band.npy",
		 fixture_data_dir());
	src = load_npy_data(path, &h);
	assert_int_equal(import(path, "landsat", 0, 0), 0);
	got = read_back("landsat", &v);
	for (uint64_t i = 0; i < h.nelems; i++)
		worst = fmax(worst, fabs((double)got[i] - src[i]));
	assert_true(v.psnr > 40);
	assert_true(worst <= v.max_err + 1e-9);
	assert_true(worst > 0);
	free(got);
	free(src);
}

/* A smooth float cube with a NaN region and odd sizes. */
static void import_nan_masked_exactly(void **state)
{
	uint64_t shape[] = { 21, 2, 13, 29 }, n = 21 * 2 * 13 * 29;
	float *v = malloc(n * 4), *got;
	char path[160];
	struct cat_var info;
	double worst = 0;

	(void)state;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t x = i % 29, y = i / 29 % 13, t = i / (29 * 13 * 2);

		v[i] = (float)(280 + 10 * sin(x * 0.2 + t * 0.1) + y * 0.3);
		if (x < 5 && y > 6)
			v[i] = NAN;
	}
	snprintf(path, sizeof(path), "%s/nan.npy", dir);
	write_npy(path, DTYPE_F32, 4, shape, v);
	assert_int_equal(import(path, "nan", 0, 0), 0);
	got = read_back("nan", &info);
	for (uint64_t i = 0; i < n; i++) {
		assert_int_equal(isnan(got[i]), isnan(v[i]));
		if (!isnan(v[i]))
			worst = fmax(worst, fabs(got[i] - v[i]));
	}
	assert_true(worst <= info.max_err * (1 + 1e-6) + 1e-6);
	assert_true(info.psnr > 45);
	free(got);
	free(v);
}

/* Imports path with o (name set here); fills rep (free rep->vars). */
static int import_with(const char *path, const char *name,
		       struct import_opts *o, struct import_report *rep)
{
	struct catalog *c;
	int rc;

	o->name = name;
	o->progress = 0;
	rc = catalog_open(store, CATALOG_CREATE, &c);
	if (rc)
		return rc;
	rc = import_file(c, path, o, rep);
	catalog_free(c);
	return rc;
}

/* A cube the codec finds hard at a high crf: waves, steps and noise. */
static double hard_value(uint64_t i, uint64_t w, uint64_t h)
{
	uint64_t x = i % w, y = i / w % h, t = i / (w * h);

	return 100 * sin(x * 0.3 + t * 0.2) + (y > h / 2 ? 40 : 0) +
		(double)((i * 2654435761u) % 1000) * 0.02;
}

/* --max-error holds for every value of every dtype, NaN exact, through
 * sample moves and exact values. */
static void import_max_error_holds(void **state)
{
	static const enum dtype types[] = { DTYPE_F32, DTYPE_I16, DTYPE_U16,
					    DTYPE_F64 };
	uint64_t shape[] = { 20, 24, 36 }, n = 20 * 24 * 36;
	double *d = malloc(n * sizeof(double)), *back = malloc(n * sizeof(*back));
	void *raw = malloc(n * 8);
	char path[160], name[16];

	(void)state;
	for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
		struct import_opts o;
		struct import_report rep;
		struct cat_var info;
		void *got;
		double e = 1.5;

		for (uint64_t i = 0; i < n; i++)
			d[i] = hard_value(i, 36, 24) + (types[k] == DTYPE_U16 ?
							200 : 0);
		if (dtype_is_float(types[k]))
			for (uint64_t i = 0; i < n; i += 37)
				d[i] = NAN;
		dtype_from_double(types[k], d, raw, n);
		dtype_to_double(types[k], raw, d, n);   /* as served */
		snprintf(path, sizeof(path), "%s/hard%zu.npy", dir, k);
		snprintf(name, sizeof(name), "hard%zu", k);
		write_npy(path, types[k], 3, shape, raw);
		import_opts_init(&o);
		o.crf = 40;
		o.max_error = e;
		assert_int_equal(import_with(path, name, &o, &rep), 0);
		assert_true(rep.vars[0].ncorr > 0);
		free(rep.vars);
		got = read_back(name, &info);
		dtype_to_double(types[k], got, back, n);
		for (uint64_t i = 0; i < n; i++) {
			assert_int_equal(isnan(back[i]), isnan(d[i]));
			if (!isnan(d[i]))
				assert_true(fabs(back[i] - d[i]) <= e);
		}
		free(got);
	}
	free(d);
	free(back);
	free(raw);
}

/* --psnr reaches its target, --bpv lands within 15% of it; both
 * searched (trial encodes reported). */
static void import_targets_reached(void **state)
{
	uint64_t shape[] = { 64, 24, 36 }, n = 64 * 24 * 36;
	float *v = malloc(n * 4);
	char path[160];
	struct import_opts o;
	struct import_report rep;
	double bpv;

	(void)state;
	for (uint64_t i = 0; i < n; i++)
		v[i] = (float)hard_value(i, 36, 24);
	snprintf(path, sizeof(path), "%s/t.npy", dir);
	write_npy(path, DTYPE_F32, 3, shape, v);
	import_opts_init(&o);
	o.psnr = 48;
	assert_int_equal(import_with(path, "p", &o, &rep), 0);
	assert_true(rep.vars[0].psnr >= 48);
	assert_true(rep.vars[0].probes > 0);
	free(rep.vars);
	import_opts_init(&o);
	o.bpv = 2;
	assert_int_equal(import_with(path, "b", &o, &rep), 0);
	bpv = rep.vars[0].stored_bytes * 8.0 / (double)rep.vars[0].values;
	assert_true(fabs(bpv / 2 - 1) <= 0.15);
	assert_true(rep.vars[0].probes > 0);
	free(rep.vars);
	free(v);
}

static void import_every_dtype(void **state)
{
	static const enum dtype types[] = { DTYPE_I8, DTYPE_U8, DTYPE_I16,
		DTYPE_U16, DTYPE_I32, DTYPE_F32, DTYPE_F64 };
	uint64_t shape[] = { 6, 9, 11 }, n = 6 * 9 * 11;
	double *d = malloc(n * sizeof(double));

	(void)state;
	for (uint64_t i = 0; i < n; i++)
		d[i] = 20 + 90 * sin(i * 0.05) * cos(i / 99 * 0.3);
	for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
		enum dtype t = types[k];
		void *raw = malloc(n * dtype_size(t)), *got;
		double *back = malloc(n * sizeof(double)), worst = 0;
		char path[160], name[32];
		struct cat_var info;

		dtype_from_double(t, d, raw, n);
		snprintf(path, sizeof(path), "%s/%s.npy", dir, dtype_name(t));
		snprintf(name, sizeof(name), "%s", dtype_name(t));
		write_npy(path, t, 3, shape, raw);
		assert_int_equal(import(path, name, 0, 0), 0);
		got = read_back(name, &info);
		assert_int_equal(info.dtype, t);
		dtype_to_double(t, got, back, n);
		{
			double *orig = malloc(n * sizeof(double));

			dtype_to_double(t, raw, orig, n);
			for (uint64_t i = 0; i < n; i++)
				worst = fmax(worst, fabs(back[i] - orig[i]));
			free(orig);
		}
		assert_true(worst <= info.max_err + 1e-9);
		assert_true(info.psnr > 35);
		free(got);
		/* lossless: exact for integers (ffv1) and floats (lz4) */
		snprintf(name, sizeof(name), "%s_exact", dtype_name(t));
		assert_int_equal(import(path, name, 0, 1), 0);
		got = read_back(name, &info);
		assert_memory_equal(got, raw, n * dtype_size(t));
		free(got);
		free(raw);
		free(back);
	}
	free(d);
}

/* Number of datasets and of pack files: what "unchanged" means. */
static void store_state(int *datasets, int *packs)
{
	struct catalog *c;
	struct cat_dataset **all;
	char p[160];
	DIR *d;
	struct dirent *e;

	*datasets = *packs = 0;
	if (catalog_open(store, CATALOG_RDONLY, &c))
		return;
	assert_int_equal(catalog_dataset_load_all(c, &all, datasets), 0);
	catalog_dataset_free_all(all, *datasets);
	catalog_free(c);
	snprintf(p, sizeof(p), "%s/packs", store);
	d = opendir(p);
	while (d && (e = readdir(d)))
		*packs += e->d_name[0] != '.';
	if (d)
		closedir(d);
}

static void write_bytes(const char *path, const void *b, size_t n)
{
	FILE *f = fopen(path, "wb");

	fwrite(b, 1, n, f);
	fclose(f);
}

/* A v1.0 file with the given header dict and 64 bytes of zeros. */
static void raw_npy(const char *path, const char *dict)
{
	char buf[256] = "\x93NUMPY\x01\x00";
	size_t len = strlen(dict) + 1, total = 10 + len;

	total = (total + 63) / 64 * 64;
	buf[8] = (char)(total - 10);
	buf[9] = 0;
	memset(buf + 10, ' ', total - 10);
	memcpy(buf + 10, dict, strlen(dict));
	buf[total - 1] = '\n';
	memset(buf + total, 0, 64);
	write_bytes(path, buf, total + 64);
}

static void import_bad_input_leaves_store_unchanged(void **state)
{
	uint64_t shape[] = { 3, 8, 8 };
	uint16_t data[3 * 8 * 8] = { 0 };
	char good[160], path[160], hdr[256];
	int ds0, pk0, ds1, pk1;
	ssize_t hl;

	(void)state;
	snprintf(good, sizeof(good), "%s/good.npy", dir);
	write_npy(good, DTYPE_U16, 3, shape, data);
	assert_int_equal(import(good, "good", 0, 0), 0);
	store_state(&ds0, &pk0);
	assert_int_equal(ds0, 1);
	assert_int_equal(pk0, 1);

	/* a taken name */
	assert_int_equal(import(good, "good", 0, 0), -EEXIST);
	/* names with '/', '..', control characters */
	assert_int_equal(import(good, "a/b", 0, 0), -EINVAL);
	assert_int_equal(import(good, "..", 0, 0), -EINVAL);
	assert_int_equal(import(good, "x\x01y", 0, 0), -EINVAL);
	/* truncated data */
	snprintf(path, sizeof(path), "%s/trunc.npy", dir);
	hl = npy_write_header(hdr, sizeof(hdr), DTYPE_U16, 3, shape);
	{
		char buf[512];

		memcpy(buf, hdr, (size_t)hl);
		memset(buf + hl, 0, sizeof(buf) - (size_t)hl);
		write_bytes(path, buf, (size_t)hl + 100);
	}
	assert_int_equal(import(path, "trunc", 0, 0), -EINVAL);
	/* truncated header */
	write_bytes(path, hdr, 20);
	assert_int_equal(import(path, "trunc2", 0, 0), -EINVAL);
	/* malformed header */
	memcpy(hdr + 12, "{'desc': 1}", 11);
	write_bytes(path, hdr, (size_t)hl);
	assert_true(import(path, "bad", 0, 0) < 0);
	/* unsupported dtype and fortran order */
	raw_npy(path, "{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }");
	assert_int_equal(import(path, "c8", 0, 0), -ENOTSUP);
	raw_npy(path, "{'descr': '<u2', 'fortran_order': True, 'shape': (2, 2), }");
	assert_int_equal(import(path, "fo", 0, 0), -ENOTSUP);
	/* not a .npy or NetCDF file at all, and a missing one */
	write_bytes(path, "hello world", 11);
	assert_int_equal(import(path, "txt", 0, 0), -EINVAL);
	snprintf(path, sizeof(path), "%s/missing.npy", dir);
	assert_int_equal(import(path, "missing", 0, 0), -ENOENT);
	/* a codec that cannot take the depth asked for */
	{
		struct catalog *c;
		struct import_opts o;

		import_opts_init(&o);
		o.name = "deep";
		o.codec = CODEC_X265;
		o.bits = 16;
		o.progress = 0;
		assert_int_equal(catalog_open(store, 0, &c), 0);
		assert_int_equal(import_file(c, good, &o, NULL), -ENOTSUP);
		catalog_free(c);
	}
	store_state(&ds1, &pk1);
	assert_int_equal(ds1, ds0);
	assert_int_equal(pk1, pk0);
}

/* Arrays with a first axis of length 0 import and read back empty (the
 * frame size was once divided by that axis: SIGFPE). Two axes of length
 * 0 are refused: the .nc view can say only one (its record dimension). */
static void import_empty_arrays(void **state)
{
	static const uint64_t shape[2] = { 0, 3 }, none[2] = { 0, 0 };
	char path[160];
	struct cat_var v;

	(void)state;
	snprintf(path, sizeof(path), "%s/e.npy", dir);
	write_npy(path, DTYPE_F32, 2, shape, "");
	assert_int_equal(import(path, "e", 0, 0), 0);
	free(read_back("e", &v));
	assert_int_equal(v.dtype, DTYPE_F32);
	write_npy(path, DTYPE_I16, 1, shape, "");
	assert_int_equal(import(path, "e1", 0, 0), 0);
	write_npy(path, DTYPE_U8, 2, none, "");
	assert_int_equal(import(path, "e2", 0, 0), -EFBIG);
}

static void import_refuses_directory_that_is_not_a_store(void **state)
{
	uint64_t shape[] = { 2, 4, 4 };
	uint8_t data[32] = { 0 };
	char file[160], other[160], marker[200];
	struct catalog *c;

	(void)state;
	snprintf(file, sizeof(file), "%s/x.npy", dir);
	write_npy(file, DTYPE_U8, 3, shape, data);
	snprintf(other, sizeof(other), "%s/photos", dir);
	mkdir(other, 0700);
	snprintf(marker, sizeof(marker), "%s/cat.jpg", other);
	write_bytes(marker, "jpg", 3);
	assert_int_equal(catalog_open(other, CATALOG_CREATE, &c), -EINVAL);
	snprintf(marker, sizeof(marker), "%s/catalog.db", other);
	assert_int_not_equal(access(marker, F_OK), 0);
}

/* GOPs of large pictures shrink to what a memory limit holds, and the
 * automatic length spreads the frames evenly; small pictures keep theirs. */
static void import_gop_fits_memory(void **state)
{
	uint64_t big[3] = { 20, 4096, 4096 }, small[3] = { 744, 33, 49 };
	struct cat_var v = { .dtype = DTYPE_F32, .ndim = 3, .shape = big };
	uint32_t g;

	(void)state;
	encode_layout(&v);
	assert_int_equal(encode_gop_fit(&v, 16, SIZE_MAX), 16);
	assert_int_equal(encode_gop_fit(&v, 16, 1), 1);
	g = encode_gop_fit(&v, 16, (size_t)4 << 30);
	assert_true(g > 1 && g < 16);
	/* each frame more costs the same: twice the limit, about twice g */
	assert_in_range(encode_gop_fit(&v, 16, (size_t)8 << 30), 2 * g,
			2 * g + 1);
	g = encode_auto_gop(&v, 20);
	assert_true(g >= 1 && g <= 10);
	assert_int_equal((20 + g - 1) / g * g - 20 < g, 1);
	v.shape = small;
	encode_layout(&v);
	assert_int_equal(encode_gop_fit(&v, 248, (size_t)1 << 30), 248);
	assert_int_equal(encode_auto_gop(&v, 744), 248);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(import_gop_fits_memory),
		cmocka_unit_test_setup_teardown(import_big_payload_reads_back,
						setup, teardown),
		cmocka_unit_test_setup_teardown(import_landsat_lossless_exact,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			import_landsat_lossy_within_reported_error, setup,
			teardown),
		cmocka_unit_test_setup_teardown(import_nan_masked_exactly, setup,
						teardown),
		cmocka_unit_test_setup_teardown(import_max_error_holds, setup,
						teardown),
		cmocka_unit_test_setup_teardown(import_targets_reached, setup,
						teardown),
		cmocka_unit_test_setup_teardown(import_empty_arrays, setup,
						teardown),
		cmocka_unit_test_setup_teardown(import_every_dtype, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			import_bad_input_leaves_store_unchanged, setup, teardown),
		cmocka_unit_test_setup_teardown(
			import_refuses_directory_that_is_not_a_store, setup,
			teardown),
	};

	return cmocka_run_group_tests_name("import", tests, NULL, NULL);
}
