/* SPDX-License-Identifier: MIT */
/* What the NetCDF reader tests share: sample and temporary paths, opening a source, finding variables and attributes, reading frames, comparisons. */
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

#include "tests/samples.h"
#include "tests/netcdf_fixture.h"

const char *data_path(const char *name)
{
	static char path[4096];
	snprintf(path, sizeof(path), "%s/%s", fixture_data_dir(), name);
	return path;
}

/* A fresh file name under /tmp; the caller unlinks it. */
char *tmp_name(void)
{
	char *name = strdup("/tmp/cubefs_test_nc_XXXXXX");
	int fd;

	assert_non_null(name);
	fd = mkstemp(name);
	assert_true(fd >= 0);
	close(fd);
	return name;
}

struct source *open_ok(const char *path)
{
	struct source *s = NULL;
	int rc = source_netcdf_open(path, &s);

	if (rc)
		fail_msg("cannot open '%s': %d", path, rc);
	assert_non_null(s);
	assert_string_equal(s->ops->kind, "netcdf");
	assert_null(s->meta->name);
	return s;
}

int var_index(const struct cat_dataset *ds, const char *name)
{
	for (int i = 0; i < ds->nvars; i++)
		if (!strcmp(ds->vars[i].name, name))
			return i;
	fail_msg("no variable '%s'", name);
	return -1;
}

const struct cat_attr *find_attr(const struct cat_attr *a, int n,
				 const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(a[i].name, name))
			return &a[i];
	return NULL;
}

static uint64_t frame_elems(const struct cat_var *v)
{
	uint64_t n = 1;

	for (int i = v->ndim >= 2 ? 1 : 0; i < v->ndim; i++)
		n *= v->shape[i];
	return n;
}

/* Reads frames [first, first + n) of variable var into a new buffer. */
void *read_frames(struct source *s, int var, uint64_t first, uint64_t n)
{
	const struct cat_var *v = &s->meta->vars[var];
	size_t len = (size_t)(frame_elems(v) * n * dtype_size(v->dtype));
	void *buf = malloc(len ? len : 1);

	assert_non_null(buf);
	assert_int_equal(s->ops->read_frames(s, var, first, n, buf), 0);
	return buf;
}

/* All of a variable. */
void *read_all(struct source *s, int var)
{
	const struct cat_var *v = &s->meta->vars[var];

	return read_frames(s, var, 0, v->ndim >= 2 ? v->shape[0] : 1);
}

void assert_close(double got, double want)
{
	if (fabs(got - want) > REL_TOL * fabs(want))
		fail_msg("got %.17g, want %.17g", got, want);
}

void assert_attr_text(const struct cat_attr *a, const char *text)
{
	assert_non_null(a);
	assert_int_equal(a->type, NC_CHAR);
	assert_int_equal(a->len, strlen(text));
	assert_memory_equal(a->data, text, a->len ? a->len : 0);
}
