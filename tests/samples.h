/* SPDX-License-Identifier: MIT */
/* Where the unit tests find the bundled samples. */
#ifndef CUBEFS_TESTS_SAMPLES_H
#define CUBEFS_TESTS_SAMPLES_H

/* $CUBEFS_TEST_DATA (make check sets it), else data/ of the working
 * directory (the top of the tree). */
const char *fixture_data_dir(void);

#endif
