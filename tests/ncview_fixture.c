/* SPDX-License-Identifier: MIT */
/* What the .nc view tests share: a temporary directory, a lossless import, the view read back through the reader and checked against libnetcdf's file. */
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
#include "tests/fixture.h"
#include "tests/ncview_fixture.h"

void known_bug(int flagged, int present, const char *what)
{
	if (flagged && present) {
		print_message("known bug, skipped: %s\n", what);
		skip();
	}
	if (flagged)
		fail_msg("known bug fixed: %s; clear its KNOWN_BUG_ flag",
			 what);
}

/* A file name in the test directory; one of four rotating buffers. */
const char *tmp_path(const char *name)
{
	static char buf[4][256];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

void *slurp(const char *path, size_t *len)
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

void spill(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Fails at the first differing byte, naming its offset. */
void assert_bytes(const uint8_t *got, const uint8_t *want, size_t n,
		  const char *what)
{
	for (size_t i = 0; i < n; i++)
		if (got[i] != want[i])
			fail_msg("%s: byte %zu of %zu is 0x%02x, want 0x%02x",
				 what, i, n, got[i], want[i]);
}

/* Each dataset in a store of its own, so that one failure stays alone. */
const char *store_of(const char *name)
{
	static char path[160];

	snprintf(path, sizeof(path), "%s/%s.store", dir, name);
	return path;
}

/* Imports path losslessly as dataset name (floats to lz4: all exact). */
void import_lossless(const char *path, const char *name)
{
	struct catalog *c;
	struct import_opts o;
	struct import_report rep;
	int rc;

	import_opts_init(&o);
	o.name = name;
	o.lossless = 1;
	o.progress = 0;
	assert_int_equal(catalog_open(store_of(name), CATALOG_CREATE, &c), 0);
	rc = import_file(c, path, &o, &rep);
	catalog_free(c);
	if (rc)
		fail_msg("import of '%s' failed: %d", path, rc);
	for (int i = 0; i < rep.nvars; i++)
		if (!isinf(rep.vars[i].psnr))
			fail_msg("'%s' is not exact (%g dB)", rep.vars[i].name,
				 rep.vars[i].psnr);
	free(rep.vars);
}

const struct cat_view *find_view(const struct cat_dataset *ds,
				 const char *name)
{
	for (int i = 0; i < ds->nviews; i++)
		if (!strcmp(ds->views[i].name, name))
			return &ds->views[i];
	return NULL;
}

/*
 * Loads dataset name through the reader and reads "<name>.nc" whole, and
 * again in 7-byte pieces (partial big-endian elements). npy lists the
 * other views expected: at the root if the dataset has one variable,
 * else in its directory.
 */
struct image read_nc_view(const char *name, const char *const *npy,
			  size_t nnpy)
{
	struct catalog *c;
	struct reader *r;
	struct cat_dataset *ds;
	const struct cat_view *w;
	struct image im = { 0 };
	char vname[256];
	uint8_t *again;

	assert_int_equal(catalog_open(store_of(name), CATALOG_RDONLY, &c), 0);
	assert_int_equal(reader_new(c, 16 << 20, &r), 0);
	catalog_free(c);
	ds = reader_find(r, name);
	assert_non_null(ds);
	assert_int_equal(ds->nviews, (int)nnpy + 1);
	for (size_t i = 0; i < nnpy; i++) {
		w = find_view(ds, npy[i]);
		if (!w)
			fail_msg("dataset '%s' has no view '%s'", name, npy[i]);
		assert_int_equal(w->kind, VIEW_NPY);
		assert_int_equal(w->in_dir, ds->nvars > 1);
	}
	snprintf(vname, sizeof(vname), "%s.nc", name);
	w = find_view(ds, vname);
	if (!w)
		fail_msg("dataset '%s' has no view '%s'", name, vname);
	assert_int_equal(w->kind, VIEW_NC);
	assert_int_equal(w->in_dir, 0);
	assert_true(w->nextents > 0);
	assert_int_equal(w->extents[0].kind, EXTENT_BYTES);
	im.hdr = (size_t)w->extents[0].length;
	im.len = (size_t)w->size;
	im.data = malloc(im.len + 1);
	again = malloc(im.len + 1);
	assert_non_null(im.data);
	assert_non_null(again);
	assert_int_equal(reader_read_view(r, ds, w, im.data, im.len + 100, 0),
			 (ssize_t)im.len);
	for (size_t off = 0; off < im.len; off += 7) {
		size_t want = im.len - off < 7 ? im.len - off : 7;

		assert_int_equal(reader_read_view(r, ds, w, again + off, 7,
						  off), (ssize_t)want);
	}
	assert_bytes(again, im.data, im.len, "view read in 7-byte pieces");
	assert_int_equal(reader_read_view(r, ds, w, again, 10, im.len), 0);
	free(again);
	reader_free(r);
	return im;
}

/* Whole-file identity with what libnetcdf wrote at path. */
void assert_same_file(const struct image *im, const char *path)
{
	size_t len;
	uint8_t *want = slurp(path, &len);

	assert_true(im->hdr >= 32 && im->hdr <= len);
	assert_bytes(im->data, want, im->hdr, "header");
	assert_bytes(im->data, want, im->len < len ? im->len : len, "file");
	if (im->len != len)
		fail_msg("view is %zu bytes, libnetcdf's file %zu", im->len,
			 len);
	free(want);
}

/* Writes the view to the test directory and opens it with libnetcdf. */
int open_view(const struct image *im, const char *file)
{
	const char *path = tmp_path(file);
	int nc;

	spill(path, im->data, im->len);
	CHECK(nc_open(path, NC_NOWRITE, &nc));
	return nc;
}
