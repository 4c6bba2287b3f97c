/* SPDX-License-Identifier: MIT */
/* What the .npy header tests share: numpy-written samples, headers built around a dict, parsing from a block of exact size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/npy_fixture.h"

/* Reads tests/data/npy/<name> into buf; returns its length. */
size_t read_data(const char *name, unsigned char *buf, size_t cap)
{
	const char *dir = getenv("CUBEFS_TEST_SRCDIR");
	char path[4096];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/tests/data/npy/%s", dir ? dir : ".",
		 name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open '%s'", path);
	n = fread(buf, 1, cap, f);
	assert_true(feof(f));
	fclose(f);
	return n;
}

/*
 * Builds a header of the given version around dict, followed by '\n'
 * (no alignment: parsers must not need it). Returns the total length.
 */
size_t make_hdr(unsigned char *buf, size_t cap, int major, const char *dict)
{
	size_t n = strlen(dict);
	size_t pre = major == 1 ? 10 : 12;
	size_t hlen = n + 1;

	assert_true(pre + hlen <= cap);
	memcpy(buf, "\x93NUMPY", 6);
	buf[6] = (unsigned char)major;
	buf[7] = 0;
	buf[8] = hlen & 0xff;
	buf[9] = (hlen >> 8) & 0xff;
	if (major != 1) {
		buf[10] = (hlen >> 16) & 0xff;
		buf[11] = (hlen >> 24) & 0xff;
	}
	memcpy(buf + pre, dict, n);
	buf[pre + n] = '\n';
	return pre + hlen;
}

/* Parses a copy of buf in a heap block of exactly len bytes. */
int parse_exact(const unsigned char *buf, size_t len, struct npy_header *h)
{
	unsigned char *copy = malloc(len ? len : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, buf, len);
	rc = npy_parse(copy, len, h);
	free(copy);
	return rc;
}

/* Parses a version-`major` header around dict. */
int parse_dict(int major, const char *dict, struct npy_header *h)
{
	unsigned char buf[FILE_MAX];
	size_t n = make_hdr(buf, sizeof(buf), major, dict);

	return parse_exact(buf, n, h);
}
