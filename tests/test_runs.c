/* SPDX-License-Identifier: MIT */
/* Tests of the sequential-run table: runs continued near their end, several per key, the oldest replaced. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fs/runs.h"

static void runs_continue_near_the_end(void **state)
{
	struct runs *t = runs_new(4);
	uint64_t id, id2, len, end, from;

	(void)state;
	assert_non_null(t);
	id = runs_note(t, 7, 0, 100, 10, &len, NULL);
	assert_true(id != 0);
	assert_int_equal(len, 100);
	/* right after, a little before, a little after: the same run */
	assert_int_equal(runs_note(t, 7, 100, 50, 10, &len, NULL), id);
	assert_int_equal(len, 150);
	assert_int_equal(runs_note(t, 7, 145, 10, 10, &len, NULL), id);
	assert_int_equal(len, 160);
	assert_int_equal(runs_note(t, 7, 165, 5, 10, &len, NULL), id);
	assert_int_equal(len, 165);
	assert_int_equal(runs_get(t, id, &end, &len), 0);
	assert_int_equal(end, 170);
	/* an earlier read that does not reach the end leaves it there */
	assert_int_equal(runs_note(t, 7, 162, 2, 10, &len, NULL), id);
	assert_int_equal(runs_get(t, id, &end, &len), 0);
	assert_int_equal(end, 170);
	/* too far, or another key: a run of its own */
	assert_int_equal(runs_note(t, 7, 170, 1, 10, &len, &from), id);
	assert_int_equal(from, 0);
	id2 = runs_note(t, 7, 191, 10, 10, &len, &from);
	assert_true(id2 != id);
	assert_int_equal(len, 10);
	assert_int_equal(from, 191);
	assert_true(runs_note(t, 8, 170, 10, 10, &len, NULL) != id);
	assert_int_equal(len, 10);
	runs_free(t);
	runs_free(NULL);
}

/* Two readers of one file, their reads interleaved: each its own run
 * (one slot per file made each break the other's). */
static void runs_interleaved_readers_keep_theirs(void **state)
{
	struct runs *t = runs_new(4);
	uint64_t a, b, len;

	(void)state;
	assert_non_null(t);
	a = runs_note(t, 1, 0, 10, 0, &len, NULL);
	b = runs_note(t, 1, 1000, 10, 0, &len, NULL);
	assert_true(a != b);
	for (uint64_t i = 1; i < 5; i++) {
		assert_int_equal(runs_note(t, 1, i * 10, 10, 0, &len, NULL), a);
		assert_int_equal(len, (i + 1) * 10);
		assert_int_equal(runs_note(t, 1, 1000 + i * 10, 10, 0, &len, NULL),
				 b);
		assert_int_equal(len, (i + 1) * 10);
	}
	runs_free(t);
}

static void runs_replace_the_least_recent(void **state)
{
	struct runs *t = runs_new(2);
	uint64_t a, b, c, len, end;

	(void)state;
	assert_non_null(t);
	a = runs_note(t, 1, 0, 10, 0, &len, NULL);
	b = runs_note(t, 2, 0, 10, 0, &len, NULL);
	assert_int_equal(runs_note(t, 1, 10, 10, 0, &len, NULL), a);	/* a: newer */
	c = runs_note(t, 3, 0, 10, 0, &len, NULL);			/* takes b's */
	assert_true(c != a && c != b);
	assert_int_equal(runs_get(t, b, &end, &len), -ENOENT);
	assert_int_equal(runs_get(t, a, &end, &len), 0);
	assert_int_equal(end, 20);
	assert_int_equal(runs_get(t, c, &end, &len), 0);
	/* b's reader comes back: a new run, not b's length */
	assert_true(runs_note(t, 2, 10, 10, 0, &len, NULL) != b);
	assert_int_equal(len, 10);
	assert_int_equal(runs_get(t, a, &end, &len), -ENOENT);
	runs_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(runs_continue_near_the_end),
		cmocka_unit_test(runs_interleaved_readers_keep_theirs),
		cmocka_unit_test(runs_replace_the_least_recent),
	};

	return cmocka_run_group_tests_name("runs", tests, NULL, NULL);
}
