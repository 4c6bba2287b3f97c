/* SPDX-License-Identifier: MIT */
/* What the store tests share: a fresh temporary store per test, and .npy files to import. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <cmocka.h>

#include "base/log.h"
#include "ingest/npy.h"
#include "tests/fixture.h"

char dir[64], store[96];

int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/cubefs-imp-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(store, sizeof(store), "%s/store", dir);
	log_set_level(LOG_LVL_ERROR);
	return 0;
}

int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

void write_npy(const char *path, enum dtype t, int ndim,
	       const uint64_t *shape, const void *data)
{
	char hdr[256];
	ssize_t hl = npy_write_header(hdr, sizeof(hdr), t, ndim, shape);
	uint64_t n = 1;
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_true(hl > 0);
	for (int i = 0; i < ndim; i++)
		n *= shape[i];
	assert_int_equal(fwrite(hdr, 1, (size_t)hl, f), (size_t)hl);
	assert_int_equal(fwrite(data, dtype_size(t), n, f), n);
	fclose(f);
}
