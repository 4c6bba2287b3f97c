/* SPDX-License-Identifier: MIT */
/* Tests of the catalog's file metadata and plain-file rows (schema version 4). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <cmocka.h>

#include "catalog/catalog.h"
#include "tests/catalog_fixture.h"
#include "tests/fixture.h"

/* bytes between the GOPs of make_ds() in its pack */
#define STRIDE 100

static struct catalog *with_dataset(int64_t *ds_id, int64_t *view_id)
{
	struct cat_dataset *ds = make_ds("cube", 1, STRIDE);
	struct catalog *c;
	int64_t pack;

	assert_int_equal(catalog_open(dir, CATALOG_CREATE, &c), 0);
	assert_int_equal(catalog_begin(c), 0);
	assert_int_equal(catalog_pack_add(c, "a.pack", 500, &pack), 0);
	assert_int_equal(catalog_dataset_insert(c, ds), 0);
	assert_int_equal(catalog_commit(c), 0);
	*ds_id = ds->id;
	*view_id = ds->views[0].id;
	catalog_dataset_free(ds);
	return c;
}

static void file_meta_rows_follow_their_dataset(void **state)
{
	struct cat_fattr a = { 0 }, *got;
	struct catalog *c;
	uint64_t gen0, gen1;
	size_t n;

	(void)state;
	c = with_dataset(&a.dataset_id, &a.view_id);
	catalog_meta_clear(&a.m);
	a.m.mode = 0600;
	a.m.uid = 12;
	a.m.mtime = 1234567890123456789;
	a.base_mtime = 77;
	assert_int_equal(catalog_generation(c, &gen0), 0);
	assert_int_equal(catalog_begin(c), 0);
	assert_int_equal(catalog_fattr_put(c, &a), 0);
	a.view_id = 0;		/* the dataset's directory */
	a.m.mode = 0700;
	assert_int_equal(catalog_fattr_put(c, &a), 0);
	assert_int_equal(catalog_commit(c), 0);
	assert_int_equal(catalog_generation(c, &gen1), 0);
	assert_true(gen1 == gen0 + 1);
	assert_int_equal(catalog_fattr_load_all(c, &got, &n), 0);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(got[i].m.mode, got[i].view_id ? 0600 : 0700);
		assert_true(got[i].m.uid == 12 && got[i].m.gid == -1);
		assert_true(got[i].m.atime == CAT_TIME_UNSET);
		assert_true(got[i].m.mtime == 1234567890123456789);
		assert_true(got[i].base_mtime == 77);
	}
	free(got);
	/* a dataset deleted (or replaced) takes its rows along */
	assert_int_equal(catalog_begin(c), 0);
	assert_int_equal(catalog_dataset_delete(c, "cube"), 0);
	assert_int_equal(catalog_commit(c), 0);
	assert_int_equal(catalog_fattr_load_all(c, &got, &n), 0);
	assert_int_equal(n, 0);
	free(got);
	catalog_free(c);
}

static void file_meta_plain_rows(void **state)
{
	struct cat_plain p = { .key = "n-1-2", .name = "notes.txt", .size = 3 },
		*got;
	struct catalog *c;
	int64_t ds_id, view_id;
	size_t n;

	(void)state;
	c = with_dataset(&ds_id, &view_id);
	catalog_meta_clear(&p.m);
	p.m.mode = 0640;
	assert_int_equal(catalog_begin(c), 0);
	assert_int_equal(catalog_plain_put(c, &p), 0);
	p.key = "n-1-3";
	p.name = "half.npy";
	p.reason = "incomplete";
	assert_int_equal(catalog_plain_put(c, &p), 0);
	p.size = 9;		/* the same key again: replaced */
	assert_int_equal(catalog_plain_put(c, &p), 0);
	assert_int_equal(catalog_commit(c), 0);
	assert_int_equal(catalog_plain_list(c, &got, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(got[0].name, "half.npy");    /* by name */
	assert_string_equal(got[0].reason, "incomplete");
	assert_true(got[0].size == 9);
	assert_string_equal(got[1].key, "n-1-2");
	assert_null(got[1].reason);
	assert_int_equal(got[1].m.mode, 0640);
	catalog_plain_list_free(got, n);
	assert_int_equal(catalog_begin(c), 0);
	assert_int_equal(catalog_plain_delete(c, "n-1-3"), 0);
	assert_int_equal(catalog_plain_delete(c, "nothing"), 0);
	assert_int_equal(catalog_commit(c), 0);
	assert_int_equal(catalog_plain_list(c, &got, &n), 0);
	assert_int_equal(n, 1);
	catalog_plain_list_free(got, n);
	catalog_free(c);
}

/* Rows are untrusted: a mode or owner out of range counts as not set. */
static void file_meta_bad_rows_ignored(void **state)
{
	char path[160];
	struct cat_fattr *got;
	struct catalog *c;
	int64_t ds_id, view_id;
	sqlite3 *db;
	size_t n;

	(void)state;
	c = with_dataset(&ds_id, &view_id);
	catalog_free(c);
	snprintf(path, sizeof(path), "%s/catalog.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO file_attr VALUES(1, 0,"
				      " 99999, -5, 1e30, 'x', NULL, 0)", NULL,
				      NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(catalog_open(dir, CATALOG_RDONLY, &c), 0);
	assert_int_equal(catalog_fattr_load_all(c, &got, &n), 0);
	assert_int_equal(n, 1);
	assert_true(got[0].m.mode == -1 && got[0].m.uid == -1 &&
		    got[0].m.gid == -1);
	assert_true(got[0].m.atime == CAT_TIME_UNSET &&
		    got[0].m.mtime == CAT_TIME_UNSET);
	free(got);
	catalog_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			file_meta_rows_follow_their_dataset, setup, teardown),
		cmocka_unit_test_setup_teardown(file_meta_plain_rows, setup,
						teardown),
		cmocka_unit_test_setup_teardown(file_meta_bad_rows_ignored,
						setup, teardown),
	};

	return cmocka_run_group_tests_name("file_meta", tests, NULL, NULL);
}
