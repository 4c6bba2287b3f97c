/* SPDX-License-Identifier: MIT */
/* Tests of the catalog: create, insert, load, rollback, version checks and upgrade, frame quality, corruption. */
#include <errno.h>
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
#include <sqlite3.h>
#include <cmocka.h>

#include "catalog/catalog.h"
#include "catalog/pack.h"
#include "tests/catalog_fixture.h"
#include "tests/fixture.h"

/* bytes between the GOPs of make_ds() in its pack */
#define STRIDE 100

static void insert(struct catalog *c, struct cat_dataset *ds, int64_t *pack)
{
	assert_int_equal(catalog_begin(c), 0);
	assert_int_equal(catalog_pack_add(c, "a.pack", 500, pack), 0);
	assert_int_equal(catalog_dataset_insert(c, ds), 0);
	assert_int_equal(catalog_commit(c), 0);
}

static void catalog_create_insert_load(void **state)
{
	struct catalog *c;
	struct cat_dataset *ds = make_ds("cube", 1, STRIDE), *got;
	int64_t pack;
	char name[64];

	(void)state;
	assert_int_equal(catalog_open(dir, CATALOG_CREATE, &c), 0);
	insert(c, ds, &pack);
	assert_int_equal(catalog_dataset_exists(c, "cube"), 1);
	assert_int_equal(catalog_dataset_exists(c, "nope"), 0);
	assert_int_equal(catalog_pack_name(c, pack, name, sizeof(name)), 0);
	assert_string_equal(name, "a.pack");
	catalog_free(c);

	assert_int_equal(catalog_open(dir, CATALOG_RDONLY, &c), 0);
	assert_int_equal(catalog_dataset_load(c, "cube", &got), 0);
	assert_string_equal(got->name, "cube");
	assert_true(got->created == 1234567890123456789LL);
	assert_int_equal(got->ndims, 1);
	assert_int_equal(got->dims[0].unlimited, 1);
	assert_int_equal(got->nattrs, 1);
	assert_memory_equal(got->attrs[0].data, "hello", 5);
	assert_int_equal(got->nvars, 1);
	assert_int_equal(got->vars[0].ndim, 4);
	assert_true(got->vars[0].shape[1] == 2);
	assert_true(got->vars[0].psnr == 51.5);
	assert_int_equal(got->vars[0].has_fill, 1);
	assert_int_equal(got->vars[0].nstreams, 2);
	assert_int_equal(got->vars[0].streams[1].ngops, 2);
	assert_int_equal(got->vars[0].streams[1].gops[1].nframes, 2);
	assert_int_equal(got->vars[0].streams[1].gops[1].pkt_sizes[1], 40);
	assert_true(got->vars[0].streams[0].gops[0].quant[0].scale == 0.1);
	assert_true(got->vars[0].streams[0].gops[0].checksum == 0xdeadbeef);
	assert_int_equal(got->vars[0].nmasks, 1);
	assert_int_equal(got->nviews, 1);
	assert_int_equal(got->views[0].nextents, 2);
	assert_true(got->views[0].size == 544);
	catalog_dataset_free(got);
	assert_int_equal(catalog_dataset_load(c, "nope", &got), -ENOENT);
	assert_null(got);
	catalog_free(c);
	catalog_dataset_free(ds);
}

static void catalog_rollback_leaves_nothing(void **state)
{
	struct catalog *c;
	struct cat_dataset *ds = make_ds("rolled", 1, STRIDE);
	struct cat_dataset **all;
	int64_t pack;
	int n;

	(void)state;
	assert_int_equal(catalog_open(dir, CATALOG_CREATE, &c), 0);
	assert_int_equal(catalog_begin(c), 0);
	assert_int_equal(catalog_pack_add(c, "b.pack", 1, &pack), 0);
	assert_int_equal(catalog_dataset_insert(c, ds), 0);
	catalog_rollback(c);
	assert_int_equal(catalog_dataset_exists(c, "rolled"), 0);
	assert_int_equal(catalog_dataset_load_all(c, &all, &n), 0);
	assert_int_equal(n, 0);
	catalog_dataset_free_all(all, n);
	/* a taken name fails inside the transaction */
	catalog_dataset_free(ds);
	ds = make_ds("dup", 1, STRIDE);
	insert(c, ds, &pack);
	catalog_dataset_free(ds);
	ds = make_ds("dup", 1, STRIDE);
	assert_int_equal(catalog_begin(c), 0);
	assert_int_equal(catalog_dataset_insert(c, ds), -EEXIST);
	catalog_rollback(c);
	catalog_dataset_free(ds);
	catalog_free(c);
}

static void catalog_refuses_foreign_dirs(void **state)
{
	struct catalog *c;
	char sub[128], path[160];
	FILE *f;
	sqlite3 *db;

	(void)state;
	/* a directory with other files is not made a store */
	snprintf(sub, sizeof(sub), "%s/other", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(path, sizeof(path), "%s/notes.txt", sub);
	f = fopen(path, "w");
	fputs("x", f);
	fclose(f);
	assert_int_equal(catalog_open(sub, CATALOG_CREATE, &c), -EINVAL);
	assert_int_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/catalog.db", sub);
	assert_int_not_equal(access(path, F_OK), 0);
	/* no store at all */
	assert_int_equal(catalog_open(sub, 0, &c), -EINVAL);
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(catalog_open(path, 0, &c), -ENOENT);
	/* another schema version */
	snprintf(sub, sizeof(sub), "%s/old", dir);
	assert_int_equal(catalog_open(sub, CATALOG_CREATE, &c), 0);
	catalog_free(c);
	snprintf(path, sizeof(path), "%s/catalog.db", sub);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE meta SET value='99' WHERE "
				      "key='schema_version'", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(catalog_open(sub, 0, &c), -EPROTO);
	/* an SQLite file that is not a catalog */
	snprintf(sub, sizeof(sub), "%s/sql", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(path, sizeof(path), "%s/catalog.db", sub);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL);
	sqlite3_close(db);
	assert_int_equal(catalog_open(sub, 0, &c), -EINVAL);
}

static void catalog_detects_corrupt_rows(void **state)
{
	struct catalog *c;
	struct cat_dataset *ds = make_ds("bad", 1, STRIDE), *got;
	char path[160];
	int64_t pack;
	sqlite3 *db;

	(void)state;
	assert_int_equal(catalog_open(dir, CATALOG_CREATE, &c), 0);
	insert(c, ds, &pack);
	catalog_dataset_free(ds);
	catalog_free(c);
	snprintf(path, sizeof(path), "%s/catalog.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	/* a GOP that no longer starts where the previous ended */
	assert_int_equal(sqlite3_exec(db, "UPDATE gop SET first_frame=4 WHERE "
				      "first_frame=3", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(catalog_open(dir, 0, &c), 0);
	assert_int_equal(catalog_dataset_load(c, "bad", &got), -EUCLEAN);
	catalog_free(c);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_exec(db, "UPDATE gop SET first_frame=3 WHERE first_frame=4;"
		     "UPDATE variable SET shape='5,2,3'", NULL, NULL, NULL);
	sqlite3_close(db);
	assert_int_equal(catalog_open(dir, 0, &c), 0);
	assert_int_equal(catalog_dataset_load(c, "bad", &got), -EUCLEAN);
	catalog_free(c);
}

/* Per-frame quality of make_ds()'s variable: frame f has f + 1 errors of 1. */
static void add_frameq(struct cat_dataset *ds)
{
	struct cat_var *v = &ds->vars[0];

	v->vmin = 0;
	v->vmax = 10;
	v->frameq = calloc(v->nframes, sizeof(*v->frameq));
	for (uint64_t f = 0; f < v->nframes; f++)
		v->frameq[f] = (struct cat_frameq){ .count = 24,
			.sse = (double)f + 1, .max_err = (double)f / 10 };
}

static void catalog_frame_quality_rows(void **state)
{
	struct catalog *c;
	struct cat_dataset *ds = make_ds("fq", 1, STRIDE), *got;
	struct cat_frameq *q, two[2] = { { 24, 0, 0 }, { 0, 0, 0 } };
	int64_t pack;

	(void)state;
	add_frameq(ds);
	assert_int_equal(catalog_open(dir, CATALOG_CREATE, &c), 0);
	assert_int_equal(catalog_version(c), CATALOG_SCHEMA_VERSION);
	insert(c, ds, &pack);
	assert_int_equal(catalog_dataset_load(c, "fq", &got), 0);
	assert_null(got->vars[0].frameq);       /* loading leaves them out */
	assert_int_equal(catalog_frameq_load(c, &got->vars[0], &q), 5);
	assert_true(q[4].count == 24 && q[4].sse == 5 && q[4].max_err == 0.4);
	assert_true(q[0].sse == 1);
	free(q);
	/* a commit rewrites frames 3-4 and the variable's figures follow */
	assert_int_equal(catalog_begin(c), 0);
	assert_int_equal(catalog_frameq_put(c, got->vars[0].id, 3, 2, two), 0);
	assert_int_equal(catalog_var_quality_refresh(c, &got->vars[0]), 0);
	assert_int_equal(catalog_commit(c), 0);
	/* sse 1 + 2 + 3 over 24 * 4 values, range 10 */
	assert_true(fabs(got->vars[0].psnr - (20 - 10 * log10(6.0 / 96))) <
		    1e-9);
	assert_true(got->vars[0].max_err == 0.2);
	catalog_dataset_free(got);
	assert_int_equal(catalog_dataset_load(c, "fq", &got), 0);
	assert_true(fabs(got->vars[0].psnr - (20 - 10 * log10(6.0 / 96))) <
		    1e-9);
	assert_int_equal(catalog_frameq_load(c, &got->vars[0], &q), 5);
	assert_true(q[3].count == 24 && q[3].sse == 0 && q[4].count == 0);
	free(q);
	catalog_dataset_free(got);
	catalog_free(c);
	catalog_dataset_free(ds);
}

/* Turns the store in dir into what cubefs wrote with schema version 1:
 * version 2 only added the frame_quality table. */
static void make_v1(void)
{
	char path[160];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/catalog.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE frame_quality;"
				      "UPDATE meta SET value='1' WHERE "
				      "key='schema_version';"
				      "PRAGMA user_version=1;", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
}

/* The schema version in meta and user_version, and whether the table is. */
static void assert_schema(int version, int has_table)
{
	char path[160];
	sqlite3_stmt *st;
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/catalog.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT (SELECT value FROM meta"
					    " WHERE key='schema_version'),"
					    " (SELECT count(*) FROM sqlite_master"
					    " WHERE name='frame_quality'),"
					    " (SELECT user_version FROM"
					    " pragma_user_version)",
					    -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), version);
	assert_int_equal(sqlite3_column_int(st, 1), has_table);
	assert_int_equal(sqlite3_column_int(st, 2), version);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void catalog_upgrades_version_1(void **state)
{
	struct catalog *c;
	struct cat_dataset *ds = make_ds("old", 1, STRIDE), *got;
	struct cat_frameq *q;
	int64_t pack;

	(void)state;
	assert_int_equal(catalog_open(dir, CATALOG_CREATE, &c), 0);
	insert(c, ds, &pack);
	catalog_free(c);
	catalog_dataset_free(ds);
	make_v1();
	assert_schema(1, 0);
	/* read-only: read as it is, no per-frame figures, nothing changed */
	assert_int_equal(catalog_open(dir, CATALOG_RDONLY, &c), 0);
	assert_int_equal(catalog_version(c), 1);
	assert_int_equal(catalog_dataset_load(c, "old", &got), 0);
	assert_true(got->vars[0].psnr == 51.5);
	assert_int_equal(catalog_frameq_load(c, &got->vars[0], &q), -ENOTSUP);
	assert_null(q);
	catalog_dataset_free(got);
	catalog_free(c);
	assert_schema(1, 0);
	/* read-write: upgraded in place, the old dataset kept */
	assert_int_equal(catalog_open(dir, 0, &c), 0);
	assert_int_equal(catalog_version(c), CATALOG_SCHEMA_VERSION);
	assert_schema(CATALOG_SCHEMA_VERSION, 1);
	assert_int_equal(catalog_dataset_load(c, "old", &got), 0);
	assert_int_equal(catalog_frameq_load(c, &got->vars[0], &q), 0);
	free(q);
	/* no rows: the variable's figures are left as imported */
	assert_int_equal(catalog_begin(c), 0);
	assert_int_equal(catalog_var_quality_refresh(c, &got->vars[0]), 0);
	assert_int_equal(catalog_commit(c), 0);
	assert_true(got->vars[0].psnr == 51.5);
	catalog_dataset_free(got);
	ds = make_ds("new", pack, STRIDE);
	add_frameq(ds);
	assert_int_equal(catalog_begin(c), 0);
	assert_int_equal(catalog_dataset_insert(c, ds), 0);
	assert_int_equal(catalog_commit(c), 0);
	catalog_dataset_free(ds);
	catalog_free(c);
	/* and opened again, it is simply version 2 */
	assert_int_equal(catalog_open(dir, CATALOG_RDONLY, &c), 0);
	assert_int_equal(catalog_version(c), CATALOG_SCHEMA_VERSION);
	assert_int_equal(catalog_dataset_load(c, "new", &got), 0);
	assert_int_equal(catalog_frameq_load(c, &got->vars[0], &q), 5);
	free(q);
	catalog_dataset_free(got);
	catalog_free(c);
}

static void catalog_names_validated(void **state)
{
	char longname[300];

	(void)state;
	assert_int_equal(catalog_name_valid("t2m"), 0);
	assert_int_equal(catalog_name_valid("ERA5 t2m-2019.03"), 0);
	assert_int_equal(catalog_name_valid(""), -EINVAL);
	assert_int_equal(catalog_name_valid("."), -EINVAL);
	assert_int_equal(catalog_name_valid(".."), -EINVAL);
	assert_int_equal(catalog_name_valid("a/b"), -EINVAL);
	assert_int_equal(catalog_name_valid("../x"), -EINVAL);
	assert_int_equal(catalog_name_valid("a\nb"), -EINVAL);
	assert_int_equal(catalog_name_valid("a\x7f"), -EINVAL);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	assert_int_equal(catalog_name_valid(longname), -ENAMETOOLONG);
	assert_int_equal(pack_name_valid("1a-2-3.pack"), 0);
	assert_int_equal(pack_name_valid("../1.pack"), -EINVAL);
	assert_int_equal(pack_name_valid("x/1.pack"), -EINVAL);
	assert_int_equal(pack_name_valid("catalog.db"), -EINVAL);
}

static void pack_append_sync_read(void **state)
{
	struct pack_writer *w;
	struct pack_reader *r;
	uint64_t off1, off2;
	char buf[8], name[256];
	char packs[128];

	(void)state;
	snprintf(packs, sizeof(packs), "%s/packs", dir);
	mkdir(packs, 0700);
	assert_int_equal(pack_writer_new(dir, &w), 0);
	assert_int_equal(pack_append(w, "hello", 5, &off1), 0);
	assert_int_equal(pack_append(w, "world", 5, &off2), 0);
	assert_true(off1 == 0 && off2 == 5);
	assert_int_equal(pack_writer_sync(w), 0);
	snprintf(name, sizeof(name), "%s", pack_writer_name(w));
	pack_writer_free(w, 1);
	assert_int_equal(pack_reader_new(dir, &r), 0);
	assert_int_equal(pack_reader_add(r, 7, name), 0);
	assert_int_equal(pack_pread(r, 7, buf, 5, 5), 0);
	assert_memory_equal(buf, "world", 5);
	assert_int_equal(pack_pread(r, 7, buf, 8, 5), -EIO);    /* short */
	assert_int_equal(pack_pread(r, 8, buf, 1, 0), -EIO);    /* unknown */
	assert_int_equal(pack_reader_add(r, 9, "../../etc.pack"), -EINVAL);
	pack_reader_free(r);
	/* a writer freed without keep leaves no file */
	assert_int_equal(pack_writer_new(dir, &w), 0);
	snprintf(name, sizeof(name), "%s/packs/%s", dir, pack_writer_name(w));
	pack_writer_free(w, 0);
	assert_int_not_equal(access(name, F_OK), 0);
}

/* Each transaction that changes rows makes a new generation, which another
 * connection sees; one that changes nothing, or rolls back, does not. */
static void catalog_generation_counts_changes(void **state)
{
	struct catalog *c, *r;
	struct cat_dataset *ds = make_ds("cube", 1, STRIDE);
	uint64_t gen, seen;
	int64_t pack;

	(void)state;
	assert_int_equal(catalog_open(dir, CATALOG_CREATE, &c), 0);
	assert_int_equal(catalog_open(dir, CATALOG_RDONLY, &r), 0);
	assert_int_equal(catalog_generation(c, &gen), 0);
	assert_true(gen == 0);
	insert(c, ds, &pack);
	assert_int_equal(catalog_generation(c, &gen), 0);
	assert_true(gen == 1);
	assert_int_equal(catalog_generation(r, &seen), 0);
	assert_true(seen == 1);
	/* nothing changed: the same generation */
	assert_int_equal(catalog_begin(c), 0);
	assert_int_equal(catalog_commit(c), 0);
	/* rolled back: the same generation */
	assert_int_equal(catalog_begin(c), 0);
	assert_int_equal(catalog_dataset_rename(c, "cube", "cube2"), 0);
	catalog_rollback(c);
	assert_int_equal(catalog_generation(r, &seen), 0);
	assert_true(seen == 1);
	assert_int_equal(catalog_begin(c), 0);
	assert_int_equal(catalog_dataset_rename(c, "cube", "cube2"), 0);
	assert_int_equal(catalog_commit(c), 0);
	assert_int_equal(catalog_generation(r, &seen), 0);
	assert_true(seen == 2);
	catalog_free(r);
	catalog_free(c);
	catalog_dataset_free(ds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(catalog_create_insert_load,
						setup, teardown),
		cmocka_unit_test_setup_teardown(catalog_rollback_leaves_nothing,
						setup, teardown),
		cmocka_unit_test_setup_teardown(catalog_refuses_foreign_dirs,
						setup, teardown),
		cmocka_unit_test_setup_teardown(catalog_detects_corrupt_rows,
						setup, teardown),
		cmocka_unit_test_setup_teardown(catalog_frame_quality_rows,
						setup, teardown),
		cmocka_unit_test_setup_teardown(catalog_upgrades_version_1,
						setup, teardown),
		cmocka_unit_test_setup_teardown(catalog_generation_counts_changes,
						setup, teardown),
		cmocka_unit_test(catalog_names_validated),
		cmocka_unit_test_setup_teardown(pack_append_sync_read, setup,
						teardown),
	};

	return cmocka_run_group_tests_name("catalog", tests, NULL, NULL);
}
