/* SPDX-License-Identifier: MIT */
/* Tests of what the reader decodes for a read: whole GOPs for runs, parts for random steps, read-ahead, interleaved readers. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>
#include <cmocka.h>

#include "catalog/catalog.h"
#include "fs/reader.h"
#include "ingest/import.h"
#include "tests/fixture.h"

enum { CW = 128, CH = 128, CT = 128 };	/* 8 GOPs of 16 frames, 8 MiB */

/*
 * libc's pread and open (-Wl,--wrap, Makefile.am), as the pack reader
 * calls them: the next call fails with the errno set here (0: none),
 * and preads are counted.
 */
static int pread_fails, open_fails, preads;

ssize_t __real_pread(int fd, void *buf, size_t n, off_t off);
ssize_t __wrap_pread(int fd, void *buf, size_t n, off_t off);
int __real_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...);

ssize_t __wrap_pread(int fd, void *buf, size_t n, off_t off)
{
	int e = __atomic_exchange_n(&pread_fails, 0, __ATOMIC_SEQ_CST);

	__atomic_fetch_add(&preads, 1, __ATOMIC_SEQ_CST);
	if (e) {
		errno = e;
		return -1;
	}
	return __real_pread(fd, buf, n, off);
}

int __wrap_open(const char *path, int flags, ...)
{
	int e = __atomic_exchange_n(&open_fails, 0, __ATOMIC_SEQ_CST);
	mode_t mode = 0;
	va_list ap;

	if (e) {
		errno = e;
		return -1;
	}
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return __real_open(path, flags, mode);
}

/* Imports a float32 cube of CT x CH x CW as "two", in GOPs of 16, and
 * opens a reader on the store. Returns the cube's values. */
static float *two(struct reader **r, struct cat_dataset **ds)
{
	uint64_t shape[] = { CT, CH, CW }, n = (uint64_t)CT * CH * CW;
	float *d = malloc(n * sizeof(float));
	char path[160];
	struct catalog *c;
	struct import_opts o;
	struct import_report rep;

	assert_non_null(d);
	for (uint64_t i = 0; i < n; i++)
		d[i] = (float)(10 * sin(i * 0.01) + (double)(i / (CW * CH)));
	snprintf(path, sizeof(path), "%s/two.npy", dir);
	write_npy(path, DTYPE_F32, 3, shape, d);
	import_opts_init(&o);
	o.name = "two";
	o.preset = "fast";
	o.gop = 16;
	o.progress = 0;
	assert_int_equal(catalog_open(store, CATALOG_CREATE, &c), 0);
	assert_int_equal(import_file(c, path, &o, &rep), 0);
	free(rep.vars);
	assert_int_equal(reader_new(c, 64 << 20, r), 0);
	catalog_free(c);
	*ds = reader_find(*r, "two");
	assert_non_null(*ds);
	return d;
}

/* A fresh reader (an empty cache) on the store, and "two" in it. */
static struct cat_dataset *reopen_two(struct reader **r)
{
	struct catalog *c;

	assert_int_equal(catalog_open(store, CATALOG_RDONLY, &c), 0);
	assert_int_equal(reader_new(c, 64 << 20, r), 0);
	catalog_free(c);
	return reader_find(*r, "two");
}

/* "two" imported, a fresh reader on it, and room for all its values
 * (zeros). */
static float *begin(struct reader **r, struct cat_dataset **ds)
{
	float *got = calloc((size_t)CT * CH * CW, 4);

	assert_non_null(got);
	free(two(r, ds));
	return got;
}

/* "two" read whole by a fresh reader: what reads of parts must give. */
static float *whole_two(void)
{
	uint64_t n = (uint64_t)CT * CH * CW;
	float *whole = malloc(n * 4);
	struct reader *r;
	struct cat_dataset *ds = reopen_two(&r);

	assert_non_null(whole);
	assert_int_equal(reader_read_elems(r, ds, 0, 0, n, 0, whole), 0);
	reader_free(r);
	return whole;
}

/*
 * Two readers of one variable, 4 MiB apart, their reads interleaved,
 * each going on through two GOPs: each GOP is decoded once, whole,
 * except the one where the second reader starts (a read in the middle:
 * a part of it first). A single record of where the variable's latest
 * read ended made each reader break the other's run: 7 decodes, not 5.
 */
static void reader_interleaved_readers_decode_once(void **state)
{
	enum { HALF = CW * CH / 2 };
	uint64_t n = (uint64_t)CT * CH * CW;
	struct reader *r;
	struct cat_dataset *ds;
	float *got = begin(&r, &ds), *whole;
	struct cache_stats st;

	(void)state;
	/* a: frames 0-31 from element 0; b: frames 64-95 from the middle */
	for (uint64_t k = 0; k < 64; k++) {
		uint64_t ea = k * HALF, eb = n / 2 + k * HALF;

		assert_int_equal(reader_read_elems(r, ds, 0, ea, HALF, 0,
						   got + ea), 0);
		assert_int_equal(reader_read_elems(r, ds, 0, eb, HALF, 0,
						   got + eb), 0);
	}
	reader_stats(r, &st);
	assert_int_equal(st.decodes, 5);
	reader_free(r);
	/* the same bytes as one read of the whole */
	whole = whole_two();
	assert_memory_equal(got, whole, n / 4 * 4);
	assert_memory_equal(got + n / 2, whole + n / 2, n / 4 * 4);
	free(whole);
	free(got);
}

/*
 * A sequential reader's GOPs, each read through to its end, give their
 * buffers to the GOPs decoded after them, the most recent one excepted:
 * in a cache with room for all 8, a read of the whole keeps 2, and the
 * values are the same.
 */
static void reader_sequential_reader_recycles_its_gops(void **state)
{
	uint64_t n = (uint64_t)CT * CH * CW;
	struct reader *r;
	struct cat_dataset *ds;
	float *got = begin(&r, &ds), *whole;
	struct cache_stats st;

	(void)state;
	for (uint64_t e = 0; e < n; e += CW * CH / 4)
		assert_int_equal(reader_read_elems(r, ds, 0, e, CW * CH / 4, 0,
						   got + e), 0);
	reader_stats(r, &st);
	assert_int_equal(st.decodes, 8);
	assert_int_equal(st.entries, 2);
	assert_int_equal(st.evictions, 6);
	reader_free(r);
	whole = whole_two();
	assert_memory_equal(got, whole, n * 4);
	free(whole);
	free(got);
}

/*
 * A read that runs on into the next GOP (the kernel's read-ahead window
 * past where a reader stops) decodes its first frames only, unless the
 * reader has read 4 GOPs in a row: a reader of a window of a GOP or two
 * then pays a frame or two past its end, not a GOP; a long run goes on
 * and gets its GOPs whole. Seen in the decodes: the first frames only
 * make a read of the GOP's end decode it again.
 */
static void reader_run_into_next_gop_decodes_what_it_needs(void **state)
{
	const uint64_t fe = (uint64_t)CW * CH;
	float *d, *buf = malloc(5 * 16 * fe * 4);
	struct reader *r;
	struct cat_dataset *ds;
	struct cache_stats st;

	(void)state;
	d = two(&r, &ds);
	/* GOP 0 and the first frame of GOP 1, in one read */
	assert_int_equal(reader_read_elems(r, ds, 0, 0, 17 * fe, 0, buf), 0);
	assert_true(fabsf(buf[16 * fe + 9] - d[16 * fe + 9]) < 0.5f);
	reader_stats(r, &st);
	assert_int_equal(st.decodes, 2);
	assert_int_equal(reader_read_elems(r, ds, 0, 31 * fe, fe, 0, buf), 0);
	reader_stats(r, &st);
	assert_int_equal(st.decodes, 3);        /* GOP 1 again, whole */
	assert_true(fabsf(buf[5] - d[31 * fe + 5]) < 0.5f);
	reader_free(r);

	/* 4 GOPs in a row, then on into GOP 4: that one whole at once */
	ds = reopen_two(&r);
	assert_int_equal(reader_read_elems(r, ds, 0, 0, 64 * fe, 0, buf), 0);
	assert_int_equal(reader_read_elems(r, ds, 0, 64 * fe, 1, 0, buf), 0);
	reader_stats(r, &st);
	assert_int_equal(st.decodes, 5);
	assert_int_equal(reader_read_elems(r, ds, 0, 79 * fe, fe, 0, buf), 0);
	reader_stats(r, &st);
	assert_int_equal(st.decodes, 5);
	assert_true(fabsf(buf[5] - d[79 * fe + 5]) < 0.5f);
	reader_free(r);
	free(d);
	free(buf);
}

/*
 * A read of one time step late in a GOP decodes the frames from that
 * step on that it needs and one more (of x265, the pictures those refer
 * to), not the frames before it: a read of the next step is served, a
 * read of an earlier one decodes the GOP again, whole.
 */
static void reader_late_step_decodes_from_its_frame(void **state)
{
	const uint64_t fe = (uint64_t)CW * CH;
	static const uint64_t steps[] = { 13, 14, 2, 9 };
	static const uint64_t decodes[] = { 1, 1, 2, 2 };
	float *whole = malloc(16 * fe * 4), *got = malloc(4 * fe * 4);
	struct reader *r;
	struct cat_dataset *ds;
	struct cache_stats st;

	(void)state;
	assert_true(whole && got);
	free(two(&r, &ds));
	for (int i = 0; i < 4; i++) {
		assert_int_equal(reader_read_elems(r, ds, 0, steps[i] * fe, fe,
						   0, got + i * fe), 0);
		reader_stats(r, &st);
		assert_int_equal(st.decodes, decodes[i]);
	}
	reader_free(r);
	/* the steps as a read of the whole GOP has them */
	ds = reopen_two(&r);
	assert_int_equal(reader_read_elems(r, ds, 0, 0, 16 * fe, 0, whole), 0);
	for (int i = 0; i < 4; i++)
		assert_memory_equal(got + i * fe, whole + steps[i] * fe, fe * 4);
	reader_free(r);
	free(whole);
	free(got);
}

/*
 * Read-ahead from a byte of the .npy view decodes the GOPs after the
 * one it is in (the reader's own, which it decodes itself), as many
 * bytes of them as asked and at least one; a read of them is then a hit.
 */
static void reader_read_ahead_decodes_the_next_gops(void **state)
{
	const size_t fb = (size_t)CW * CH * 4, gb = 16 * fb;
	struct reader *r;
	struct cat_dataset *ds;
	const struct cat_view *w = NULL;
	struct cache_stats st;
	uint64_t data = 0;
	float *d, *buf = malloc(fb);

	(void)state;
	d = two(&r, &ds);
	for (int i = 0; i < ds->nviews; i++)
		if (strstr(ds->views[i].name, ".npy"))
			w = &ds->views[i];
	assert_non_null(w);
	for (int i = 0; i < w->nextents && !data; i++)
		if (w->extents[i].kind == EXTENT_VAR)
			data = w->extents[i].offset;
	assert_true(data > 0);
	/* in frame 1 (GOP 0), a byte ahead: GOP 1 */
	reader_prefetch(r, ds, w, data + fb + 5, 1);
	reader_stats(r, &st);
	assert_int_equal(st.decodes, 1);
	assert_int_equal(reader_read_elems(r, ds, 0, 16 * fb / 4, fb / 4, 0,
					   buf), 0);
	reader_stats(r, &st);
	assert_int_equal(st.decodes, 1);
	assert_int_equal(st.hits, 1);
	assert_true(fabsf(buf[7] - d[16 * fb / 4 + 7]) < 0.5f);
	/* in frame 20 (GOP 1, present), two GOPs' bytes ahead: GOPs 2, 3 */
	reader_prefetch(r, ds, w, data + 20 * fb, 2 * gb);
	reader_stats(r, &st);
	assert_int_equal(st.decodes, 3);
	/* at the last GOP: nothing after it */
	reader_prefetch(r, ds, w, data + (CT - 1) * fb, 4 * gb);
	reader_stats(r, &st);
	assert_int_equal(st.decodes, 3);
	reader_free(r);
	free(d);
	free(buf);
}

/*
 * A failure of the moment while a GOP loads (out of memory in a read,
 * out of descriptors when its pack is opened) is returned as itself,
 * not as damage, and the next read loads the GOP and succeeds.
 */
static void reader_transient_errors_are_retried(void **state)
{
	const uint64_t fe = (uint64_t)CW * CH;
	float *d, *buf = malloc(fe * 4);
	struct reader *r;
	struct cat_dataset *ds;
	struct cache_stats st;

	(void)state;
	assert_non_null(buf);
	d = two(&r, &ds);
	reader_free(r);
	/* the pack is opened at the first read of a fresh reader */
	ds = reopen_two(&r);
	open_fails = EMFILE;
	assert_int_equal(reader_read_elems(r, ds, 0, 3 * fe, fe, 0, buf),
			 -EMFILE);
	assert_int_equal(reader_read_elems(r, ds, 0, 3 * fe, fe, 0, buf), 0);
	assert_true(fabsf(buf[5] - d[3 * fe + 5]) < 0.5f);
	/* GOP 1: its payload's read fails */
	pread_fails = ENOMEM;
	assert_int_equal(reader_read_elems(r, ds, 0, 20 * fe, fe, 0, buf),
			 -ENOMEM);
	pread_fails = EAGAIN;
	assert_int_equal(reader_read_elems(r, ds, 0, 20 * fe, fe, 0, buf),
			 -EAGAIN);
	assert_int_equal(reader_read_elems(r, ds, 0, 20 * fe, fe, 0, buf), 0);
	assert_true(fabsf(buf[9] - d[20 * fe + 9]) < 0.5f);
	reader_stats(r, &st);
	assert_int_equal(st.errors, 3);
	assert_int_equal(st.decodes, 5);
	assert_int_equal(st.entries, 2);
	reader_free(r);
	free(d);
	free(buf);
}

/* Overwrites 8 bytes in the middle of the payload of GOP gi of "two". */
static void damage_gop(const struct cat_dataset *ds, uint32_t gi)
{
	const struct cat_gop *g = &ds->vars[0].streams[0].gops[gi];
	static const uint8_t junk[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					 0xff, 0xff };
	struct catalog *c;
	char name[80], path[256];
	int fd;

	assert_int_equal(catalog_open(store, CATALOG_RDONLY, &c), 0);
	assert_int_equal(catalog_pack_name(c, g->pack_id, name, sizeof(name)),
			 0);
	catalog_free(c);
	snprintf(path, sizeof(path), "%s/packs/%s", store, name);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, junk, sizeof(junk),
				(off_t)(g->offset + g->length / 2)),
			 (ssize_t)sizeof(junk));
	close(fd);
}

/*
 * A GOP whose payload no longer matches its checksum is damage: EIO,
 * remembered, so that reading it again neither reads its pack nor
 * decodes it; the other GOPs are served.
 */
static void reader_damage_is_eio_once(void **state)
{
	const uint64_t fe = (uint64_t)CW * CH;
	float *d, *buf = malloc(fe * 4);
	struct reader *r;
	struct cat_dataset *ds;
	struct cache_stats st;
	int n;

	(void)state;
	assert_non_null(buf);
	d = two(&r, &ds);
	damage_gop(ds, 2);
	reader_free(r);
	ds = reopen_two(&r);
	assert_int_equal(reader_read_elems(r, ds, 0, 40 * fe, fe, 0, buf),
			 -EIO);
	n = __atomic_load_n(&preads, __ATOMIC_SEQ_CST);
	assert_int_equal(reader_read_elems(r, ds, 0, 40 * fe, fe, 0, buf),
			 -EIO);
	assert_int_equal(reader_read_elems(r, ds, 0, 33 * fe, fe, 0, buf),
			 -EIO);
	assert_int_equal(__atomic_load_n(&preads, __ATOMIC_SEQ_CST), n);
	reader_stats(r, &st);
	assert_int_equal(st.decodes, 1);
	assert_int_equal(st.errors, 1);
	assert_int_equal(reader_read_elems(r, ds, 0, 50 * fe, fe, 0, buf), 0);
	assert_true(fabsf(buf[3] - d[50 * fe + 3]) < 0.5f);
	reader_free(r);
	free(d);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			reader_sequential_reader_recycles_its_gops, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			reader_interleaved_readers_decode_once, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			reader_run_into_next_gop_decodes_what_it_needs, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			reader_late_step_decodes_from_its_frame, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			reader_read_ahead_decodes_the_next_gops, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			reader_transient_errors_are_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(
			reader_damage_is_eio_once, setup, teardown),
	};

	return cmocka_run_group_tests_name("reader", tests, NULL, NULL);
}
