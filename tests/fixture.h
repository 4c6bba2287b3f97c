/* SPDX-License-Identifier: MIT */
/* What the store tests share: a fresh temporary store per test, and .npy files to import. */
#ifndef CUBEFS_TESTS_FIXTURE_H
#define CUBEFS_TESTS_FIXTURE_H

#include <stdint.h>

#include "base/dtype.h"

/* The test's temporary directory, and the store path inside it. */
extern char dir[64], store[96];

/* cmocka setup and teardown: makes dir (the store is not created), and
 * removes it with everything in it. */
int setup(void **state);
int teardown(void **state);

/* Writes a .npy file of the given dtype and shape from raw bytes. */
void write_npy(const char *path, enum dtype t, int ndim,
	       const uint64_t *shape, const void *data);

#endif
