/* SPDX-License-Identifier: MIT */
/* Tests of store_check and `cubefs check`: flipped bytes, cut packs, orphans, unused rows, a bad catalog. */
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>
#include <cmocka.h>

#include "base/log.h"
#include "catalog/catalog.h"
#include "catalog/pack.h"
#include "fs/reader.h"
#include "ingest/import.h"
#include "ingest/npy.h"
#include "store/check.h"
#include "store/gc.h"
#include "tests/samples.h"

#define LANDSAT "landsat8_ny2018_p013r032_11band.npy"

static char dir[64], master[96], store[96];

/* What the callback saw. */
struct seen {
	int n;
	int repaired;
	char text[64][512];
	int kind[64];
	char dataset[64][64];
};

static void collect(void *arg, const struct store_check_problem *p)
{
	struct seen *s = arg;

	if (p->repaired)
		s->repaired++;
	if (s->n >= 64)
		return;
	snprintf(s->text[s->n], sizeof(s->text[0]), "%s%s",
		 p->repaired ? "repaired: " : "", p->text);
	s->kind[s->n] = p->repaired ? -1 : (int)p->kind;
	snprintf(s->dataset[s->n], sizeof(s->dataset[0]), "%s",
		 p->dataset ? p->dataset : "");
	s->n++;
}

static int run(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The cubefs command, or NULL if it is not built (its checks are skipped). */
static const char *cubefs_bin(void)
{
	const char *b = getenv("CUBEFS");

	if (!b)
		b = "./cubefs";
	return access(b, X_OK) ? NULL : b;
}

/* `cubefs check [--repair] DIR` quietly: its exit status, or -1 if absent. */
static int cli_check(const char *opt, const char *d)
{
	const char *b = cubefs_bin();
	char cmd[512];

	if (!b) {
		print_message("no cubefs binary: CLI check skipped\n");
		return -1;
	}
	snprintf(cmd, sizeof(cmd), "'%s' check %s '%s' >'%s/out' 2>'%s/err'",
		 b, opt, d, dir, dir);
	return run(cmd);
}

/* 1 if the last cli_check()'s stdout matches the grep pattern. */
static int out_has(const char *pattern)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "grep -q \"%s\" '%s/out'", pattern, dir);
	return run(cmd) == 0;
}

/* A float cube with NaNs in some frames: its variable has masks. */
static void write_nan_npy(const char *path)
{
	static const uint64_t shape[] = { 20, 2, 16, 16 };
	size_t n = 20 * 2 * 16 * 16;
	float *v = malloc(n * sizeof(*v));
	char hdr[256];
	ssize_t hl = npy_write_header(hdr, sizeof(hdr), DTYPE_F32, 4, shape);
	FILE *f = fopen(path, "wb");

	assert_non_null(v);
	assert_non_null(f);
	assert_true(hl > 0);
	for (size_t i = 0; i < n; i++)
		v[i] = (float)sin((double)i * 0.01) * 10.0f;
	for (size_t i = 0; i < n; i += 37)
		v[i] = NAN;
	assert_int_equal(fwrite(hdr, 1, (size_t)hl, f), (size_t)hl);
	assert_int_equal(fwrite(v, sizeof(*v), n, f), n);
	fclose(f);
	free(v);
}

/* The group's store: Landsat-8 (lossy and lossless) and a NaN cube. */
static int group_setup(void **state)
{
	struct import_opts o;
	struct catalog *c;
	char path[512];
	int rc;

	(void)state;
	log_set_level(LOG_LVL_ERROR);
	snprintf(dir, sizeof(dir), "/tmp/cubefs-check-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(master, sizeof(master), "%s/master", dir);
	snprintf(store, sizeof(store), "%s/store", dir);
	if (catalog_open(master, CATALOG_CREATE, &c))
		return -1;
	snprintf(path, sizeof(path), "%s/" LANDSAT, fixture_data_dir());
	import_opts_init(&o);
	o.progress = 0;
	o.name = "landsat";
	o.group = 1;            /* a gray stream per band: the tests name them */
	rc = import_file(c, path, &o, NULL);
	o.name = "exact";
	o.lossless = 1;
	if (!rc)
		rc = import_file(c, path, &o, NULL);
	snprintf(path, sizeof(path), "%s/nan.npy", dir);
	write_nan_npy(path);
	import_opts_init(&o);
	o.progress = 0;
	o.name = "nan";
	o.gop = 8;
	if (!rc)
		rc = import_file(c, path, &o, NULL);
	catalog_free(c);
	if (rc)
		fprintf(stderr, "cannot import the samples from '%s': %s\n",
			fixture_data_dir(), strerror(-rc));
	return rc ? -1 : 0;
}

static int group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

/* Each test works on a fresh copy of the group's store. */
static int setup(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && cp -a '%s' '%s'", store,
		 master, store);
	return system(cmd) ? -1 : 0;
}

static int check(const char *d, int repair, struct store_check_report *r,
		 struct seen *s)
{
	struct catalog *c;
	int rc;

	memset(s, 0, sizeof(*s));
	memset(r, 0, sizeof(*r));
	r->fn = collect;
	r->arg = s;
	rc = catalog_open(d, repair ? 0 : CATALOG_RDONLY, &c);
	if (rc)
		return rc;
	rc = store_check(c, repair, r);
	catalog_free(c);
	return rc;
}

/* The first GOP of stream si of variable 0 of dataset name. */
static void find_gop(const char *name, int si, char *pack, size_t cap,
		     uint64_t *off, uint64_t *len)
{
	struct cat_dataset *ds;
	struct catalog *c;
	const struct cat_gop *g;

	assert_int_equal(catalog_open(store, CATALOG_RDONLY, &c), 0);
	assert_int_equal(catalog_dataset_load(c, name, &ds), 0);
	assert_true(ds->vars[0].nstreams > si);
	g = &ds->vars[0].streams[si].gops[0];
	assert_int_equal(catalog_pack_name(c, g->pack_id, pack, cap), 0);
	*off = g->offset;
	*len = g->length;
	catalog_dataset_free(ds);
	catalog_free(c);
}

static void pack_path(const char *name, char *path, size_t cap)
{
	snprintf(path, cap, "%s/packs/%s", store, name);
}

static void patch(const char *path, uint64_t off, const void *buf, size_t n)
{
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, buf, n, (off_t)off), (ssize_t)n);
	close(fd);
}

static int has(const struct seen *s, int kind, const char *ds,
	       const char *needle)
{
	for (int i = 0; i < s->n; i++)
		if (s->kind[i] == kind && (!ds || !strcmp(s->dataset[i], ds)) &&
		    strstr(s->text[i], needle))
			return 1;
	return 0;
}

/* Every element of every variable of every dataset, read back. */
static char *read_all(const char *d, size_t *len)
{
	struct catalog *c;
	struct reader *r;
	char *buf = NULL;
	size_t at = 0;

	assert_int_equal(catalog_open(d, CATALOG_RDONLY, &c), 0);
	assert_int_equal(reader_new(c, 16 << 20, &r), 0);
	catalog_free(c);
	for (int i = 0; i < reader_ndatasets(r); i++) {
		struct cat_dataset *ds = reader_dataset(r, i);

		for (int v = 0; v < ds->nvars; v++) {
			uint64_t n = catalog_var_elems(&ds->vars[v]);
			size_t bytes = n * dtype_size(ds->vars[v].dtype);

			buf = realloc(buf, at + bytes + 1);
			assert_non_null(buf);
			assert_int_equal(reader_read_elems(r, ds, v, 0, n, 0,
							   buf + at), 0);
			at += bytes;
		}
	}
	reader_free(r);
	*len = at;
	return buf;
}

static void check_clean_store(void **state)
{
	struct store_check_report r;
	struct seen s;

	(void)state;
	assert_int_equal(check(store, 0, &r, &s), 0);
	for (int i = 0; i < s.n; i++)
		print_message("unexpected: %s\n", s.text[i]);
	assert_int_equal(r.nproblems, 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(r.datasets, 3);
	assert_true(r.gops >= 2 * 11);
	assert_true(r.gop_bytes > 0);
	assert_true(r.masks >= 1);              /* the NaN cube's */
	assert_true(r.views >= 6);              /* .npy and .nc of each */
	assert_int_equal(r.repaired, 0);
	/* a repair of a clean store does nothing */
	assert_int_equal(check(store, 1, &r, &s), 0);
	assert_int_equal(r.nproblems + r.repaired, 0);
	if (cli_check("", store) >= 0) {
		assert_true(out_has("^checked 3 datasets, [0-9]* GOPs (.*B), "
				    "[0-9]* masks, [0-9]* views: 0 problems$"));
		assert_int_equal(cli_check("--help", ""), 0);
		assert_int_equal(cli_check("--bogus", store), 2);
		assert_int_equal(cli_check("", ""), 3);       /* no such dir */
	}
}

static void check_flipped_gop_byte(void **state)
{
	struct store_check_report r;
	struct seen s;
	char pack[64], path[192], expect[160];
	uint64_t off, len;
	unsigned char b;
	int fd;

	(void)state;
	find_gop("landsat", 1, pack, sizeof(pack), &off, &len);
	pack_path(pack, path, sizeof(path));
	fd = open(path, O_RDONLY);
	assert_int_equal(pread(fd, &b, 1, (off_t)(off + len / 2)), 1);
	close(fd);
	b ^= 0x10;
	patch(path, off + len / 2, &b, 1);

	assert_int_equal(check(store, 0, &r, &s), 0);
	assert_int_equal(r.nproblems, 1);
	assert_int_equal(r.problems[CHECK_GOP], 1);
	snprintf(expect, sizeof(expect), "(pack '%s' @ %llu, %llu bytes): "
		 "checksum mismatch", pack, (unsigned long long)off,
		 (unsigned long long)len);
	assert_true(has(&s, CHECK_GOP, "landsat", expect));
	assert_true(has(&s, CHECK_GOP, "landsat", "dataset 'landsat' "));
	if (cli_check("", store) >= 0) {
		assert_int_equal(cli_check("", store), 1);
		assert_true(out_has("^dataset 'landsat' variable '[^']*' "
				    "plane 1: GOP at frame [0-9]* (pack '.*' "
				    "@ [0-9]*, [0-9]* bytes): checksum "
				    "mismatch$"));
		assert_true(out_has(": 1 problems$"));
	}
}

static void check_truncated_pack(void **state)
{
	struct store_check_report r;
	struct cat_dataset *ds;
	struct catalog *c;
	struct seen s;
	char pack[64], path[192];
	uint64_t cut;
	int64_t pack_id;
	int past = 0;

	(void)state;
	/* cut the pack one byte into the GOP of the 6th stream */
	assert_int_equal(catalog_open(store, CATALOG_RDONLY, &c), 0);
	assert_int_equal(catalog_dataset_load(c, "landsat", &ds), 0);
	assert_true(ds->vars[0].nstreams > 5);
	pack_id = ds->vars[0].streams[5].gops[0].pack_id;
	cut = ds->vars[0].streams[5].gops[0].offset + 1;
	assert_int_equal(catalog_pack_name(c, pack_id, pack, sizeof(pack)), 0);
	catalog_free(c);
	pack_path(pack, path, sizeof(path));
	for (int st = 0; st < ds->vars[0].nstreams; st++)
		for (uint32_t g = 0; g < ds->vars[0].streams[st].ngops; g++) {
			const struct cat_gop *gp =
				&ds->vars[0].streams[st].gops[g];

			past += gp->pack_id == pack_id &&
				gp->offset + gp->length > cut;
		}
	catalog_dataset_free(ds);
	assert_true(past > 0);
	assert_int_equal(truncate(path, (off_t)cut), 0);

	assert_int_equal(check(store, 0, &r, &s), 0);
	assert_int_equal(r.problems[CHECK_GOP], past);
	assert_int_equal(r.problems[CHECK_PACK], 1);
	assert_int_equal(r.nproblems, past + 1);
	assert_true(has(&s, CHECK_GOP, "landsat", "past the end of its pack"));
	assert_true(has(&s, CHECK_PACK, NULL, "its row records"));
	/* the other datasets are intact: nothing else is reported */
	assert_false(has(&s, CHECK_GOP, "exact", ""));
	assert_false(has(&s, CHECK_GOP, "nan", ""));
	if (cubefs_bin())
		assert_int_equal(cli_check("--repair", store), 1);
}

static void check_damaged_mask(void **state)
{
	struct store_check_report r;
	struct cat_dataset *ds;
	struct catalog *c;
	struct seen s;
	char pack[64], path[192];
	static const unsigned char zero[4];

	(void)state;
	assert_int_equal(catalog_open(store, CATALOG_RDONLY, &c), 0);
	assert_int_equal(catalog_dataset_load(c, "nan", &ds), 0);
	assert_true(ds->vars[0].nmasks > 0);
	assert_int_equal(catalog_pack_name(c, ds->vars[0].masks[0].pack_id,
					   pack, sizeof(pack)), 0);
	catalog_free(c);
	pack_path(pack, path, sizeof(path));
	/* masks carry no checksum: a broken block header is what shows */
	patch(path, ds->vars[0].masks[0].offset, zero, sizeof(zero));
	catalog_dataset_free(ds);

	assert_int_equal(check(store, 0, &r, &s), 0);
	assert_int_equal(r.nproblems, 1);
	assert_int_equal(r.problems[CHECK_MASK], 1);
	assert_true(has(&s, CHECK_MASK, "nan", "dataset 'nan' variable "));
	assert_true(has(&s, CHECK_MASK, "nan", "does not unpack to"));
}

static void check_orphan_pack_file(void **state)
{
	struct store_check_report r;
	struct seen s;
	struct timespec t[2];
	char path[192];
	FILE *f;

	(void)state;
	pack_path("1234-1-0.pack", path, sizeof(path));
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("left by a crashed import", f);
	fclose(f);

	assert_int_equal(check(store, 0, &r, &s), 0);
	assert_int_equal(r.nproblems, 1);
	assert_int_equal(r.problems[CHECK_ORPHAN], 1);
	assert_true(has(&s, CHECK_ORPHAN, NULL, "pack file '1234-1-0.pack': "
			"no catalog row"));
	assert_true(has(&s, CHECK_ORPHAN, NULL, "an import may be writing"));
	/* recent: a repair leaves it (gc's age rule) */
	assert_int_equal(check(store, 1, &r, &s), 0);
	assert_int_equal(r.repaired, 0);
	assert_int_equal(access(path, F_OK), 0);
	/* a leftover is not damage: the CLI exits 0 and says what it left */
	if (cubefs_bin()) {
		assert_int_equal(cli_check("--repair", store), 0);
		assert_true(out_has("1 of them leftovers nothing uses"));
	}
	/* old: a repair removes it */
	clock_gettime(CLOCK_REALTIME, &t[0]);
	t[0].tv_sec -= STORE_GC_ORPHAN_AGE + 60;
	t[1] = t[0];
	assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
	assert_int_equal(check(store, 1, &r, &s), 0);
	assert_int_equal(r.nproblems, 1);
	assert_int_equal(r.repaired, 1);
	assert_true(has(&s, -1, NULL, "'1234-1-0.pack': removed"));
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(check(store, 0, &r, &s), 0);
	assert_int_equal(r.nproblems, 0);
}

static void check_repairs_unreferenced_pack(void **state)
{
	struct store_check_report r;
	struct pack_writer *w;
	struct catalog *c;
	struct seen s;
	char name[64], path[192], *before, *after;
	size_t n0, n1;
	uint64_t off;
	int64_t id;

	(void)state;
	before = read_all(store, &n0);
	assert_int_equal(pack_writer_new(store, &w), 0);
	assert_int_equal(pack_append(w, "unused bytes", 12, &off), 0);
	assert_int_equal(pack_writer_sync(w), 0);
	snprintf(name, sizeof(name), "%s", pack_writer_name(w));
	pack_writer_free(w, 1);
	assert_int_equal(catalog_open(store, 0, &c), 0);
	assert_int_equal(catalog_begin(c), 0);
	assert_int_equal(catalog_pack_add(c, name, 12, &id), 0);
	assert_int_equal(catalog_commit(c), 0);
	catalog_free(c);

	assert_int_equal(check(store, 0, &r, &s), 0);
	assert_int_equal(r.nproblems, 1);
	assert_int_equal(r.problems[CHECK_UNREFERENCED], 1);
	assert_true(has(&s, CHECK_UNREFERENCED, NULL, "no GOP or mask uses"));
	/* a check without --repair changes nothing; the CLI exits 0: a
	 * leftover is not damage */
	pack_path(name, path, sizeof(path));
	assert_int_equal(access(path, F_OK), 0);
	if (cubefs_bin())
		assert_int_equal(cli_check("", store), 0);
	/* --repair: the row and the file go, every value still reads */
	assert_int_equal(check(store, 1, &r, &s), 0);
	assert_int_equal(r.nproblems, 1);
	assert_int_equal(r.repaired, 1);
	assert_false(r.repair_refused);
	assert_true(has(&s, -1, NULL, "removed its file and its row"));
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(catalog_open(store, CATALOG_RDONLY, &c), 0);
	assert_int_equal(catalog_pack_name(c, id, path, sizeof(path)), -ENOENT);
	catalog_free(c);
	after = read_all(store, &n1);
	assert_int_equal(n0, n1);
	assert_memory_equal(before, after, n0);
	assert_int_equal(check(store, 0, &r, &s), 0);
	assert_int_equal(r.nproblems, 0);
	if (cubefs_bin())
		assert_int_equal(cli_check("--repair", store), 0);
	free(before);
	free(after);
}

static void check_refuses_repair_of_damaged_store(void **state)
{
	struct store_check_report r;
	struct catalog *c;
	struct seen s;
	char pack[64], path[192], lone[192];
	uint64_t off, len;
	unsigned char b = 0;
	int64_t id;
	FILE *f;

	(void)state;
	/* a row nothing uses, whose file might hold lost bytes */
	pack_path("99-9-9.pack", lone, sizeof(lone));
	f = fopen(lone, "w");
	assert_non_null(f);
	fputs("maybe the lost bytes", f);
	fclose(f);
	assert_int_equal(catalog_open(store, 0, &c), 0);
	assert_int_equal(catalog_begin(c), 0);
	assert_int_equal(catalog_pack_add(c, "99-9-9.pack", 20, &id), 0);
	assert_int_equal(catalog_commit(c), 0);
	catalog_free(c);
	/* and a damaged GOP */
	find_gop("exact", 0, pack, sizeof(pack), &off, &len);
	pack_path(pack, path, sizeof(path));
	patch(path, off + len - 1, &b, 1);
	b = 0xff;
	patch(path, off + len - 2, &b, 1);

	assert_int_equal(check(store, 1, &r, &s), 0);
	assert_int_equal(r.problems[CHECK_GOP], 1);
	assert_int_equal(r.problems[CHECK_UNREFERENCED], 1);
	assert_int_equal(r.repaired, 0);
	assert_true(r.repair_refused);
	assert_true(has(&s, CHECK_GOP, "exact", "checksum mismatch"));
	assert_int_equal(access(lone, F_OK), 0);
	assert_int_equal(catalog_open(store, CATALOG_RDONLY, &c), 0);
	assert_int_equal(catalog_pack_name(c, id, path, sizeof(path)), 0);
	catalog_free(c);
	/* a read-only handle cannot repair */
	assert_int_equal(catalog_open(store, CATALOG_RDONLY, &c), 0);
	assert_int_equal(store_check(c, 1, &r), -EROFS);
	catalog_free(c);
}

static void check_broken_catalog(void **state)
{
	struct store_check_report r;
	struct seen s;
	char copy[128], path[512];
	static const char junk[16] = "not a database!";

	(void)state;
	snprintf(copy, sizeof(copy), "%s/broken", dir);
	snprintf(path, sizeof(path), "rm -rf '%s' && cp -a '%s' '%s'", copy,
		 store, copy);
	assert_int_equal(system(path), 0);
	snprintf(path, sizeof(path), "%s/catalog.db", copy);
	patch(path, 0, junk, sizeof(junk));

	/* catalog_open() or store_check() refuses it, nothing crashes */
	assert_true(check(copy, 0, &r, &s) < 0);
	assert_true(check(copy, 1, &r, &s) < 0);
	if (cubefs_bin()) {
		assert_int_equal(cli_check("", copy), 3);
		assert_int_equal(cli_check("--repair", copy), 3);
		snprintf(path, sizeof(path), "test -s '%s/err'", dir);
		assert_int_equal(run(path), 0);
	}
	/* the original is untouched and clean */
	assert_int_equal(check(store, 0, &r, &s), 0);
	assert_int_equal(r.nproblems, 0);
}

static void check_names_dataset_that_does_not_load(void **state)
{
	struct store_check_report r;
	struct seen s;
	char path[192];
	sqlite3 *db;

	(void)state;
	/* the view no longer tiled by its extents */
	snprintf(path, sizeof(path), "%s/catalog.db", store);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE view SET size=size+8 WHERE "
				      "name='nan.npy'", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_close(db);

	assert_int_equal(check(store, 0, &r, &s), 0);
	assert_int_equal(r.nproblems, 1);
	assert_int_equal(r.problems[CHECK_DATASET], 1);
	assert_true(has(&s, CHECK_DATASET, "nan", "dataset 'nan': its rows "
			"do not load"));
	assert_int_equal(r.datasets, 2);        /* the others are checked */
	if (cubefs_bin()) {
		assert_int_equal(cli_check("", store), 1);
		assert_true(out_has("^dataset 'nan': its rows do not load"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(check_clean_store, setup),
		cmocka_unit_test_setup(check_flipped_gop_byte, setup),
		cmocka_unit_test_setup(check_truncated_pack, setup),
		cmocka_unit_test_setup(check_damaged_mask, setup),
		cmocka_unit_test_setup(check_names_dataset_that_does_not_load,
				       setup),
		cmocka_unit_test_setup(check_orphan_pack_file, setup),
		cmocka_unit_test_setup(check_repairs_unreferenced_pack, setup),
		cmocka_unit_test_setup(check_refuses_repair_of_damaged_store,
				       setup),
		cmocka_unit_test_setup(check_broken_catalog, setup),
	};

	return cmocka_run_group_tests_name("check", tests, group_setup,
					   group_teardown);
}
