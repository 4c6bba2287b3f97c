/* SPDX-License-Identifier: MIT */
/* Tests of the window-read tracker: random reads that come back to recent GOPs, told from plain random reads. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fs/window.h"

/* A plain random reader: a new GOP each time, never a window. */
static void window_off_for_plain_random_reads(void **state)
{
	struct window *w = window_new(16);

	(void)state;
	assert_non_null(w);
	for (uint64_t i = 0; i < 500; i++)
		assert_int_equal(window_note(w, 1, (i * 7919) % 1000, i % 16),
				 0);
	assert_int_equal(window_active(w), 0);
	window_free(w);
}

/* Frames shuffled inside windows of 3 GOPs of 16: on after a few dozen
 * reads, and off again once reads stop coming back. */
static void window_on_for_shuffled_windows(void **state)
{
	struct window *w = window_new(16);
	int on = 0, first = -1;

	(void)state;
	for (uint64_t win = 0; win < 10; win++)
		for (uint64_t i = 0; i < 48; i++) {
			uint64_t k = (i * 29) % 48;     /* a shuffle of 0..47 */

			on = window_note(w, 1, win * 3 + k / 16, k % 16);
			if (on && first < 0)
				first = (int)(win * 48 + i);
		}
	assert_int_equal(on, 1);
	assert_true(first >= 0 && first < 48);
	for (uint64_t i = 0; i < 100; i++)
		on = window_note(w, 1, 1000 + i, 0);
	assert_int_equal(on, 0);
	assert_int_equal(window_active(w), 0);
	window_free(w);
}

/* The same frame read again (one read split in two) is no return; nor
 * a GOP of another stream with the same index. */
static void window_same_frame_is_no_return(void **state)
{
	struct window *w = window_new(16);

	(void)state;
	for (uint64_t i = 0; i < 200; i++) {
		assert_int_equal(window_note(w, 1, i, 3), 0);
		assert_int_equal(window_note(w, 1, i, 3), 0);
		assert_int_equal(window_note(w, 2, i, 5), 0);
	}
	window_free(w);
	window_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(window_off_for_plain_random_reads),
		cmocka_unit_test(window_on_for_shuffled_windows),
		cmocka_unit_test(window_same_frame_is_no_return),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
