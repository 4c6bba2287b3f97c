/* SPDX-License-Identifier: MIT */
/* What the .npy header tests share: numpy-written samples, headers built around a dict, parsing from a block of exact size. */
#ifndef CUBEFS_TESTS_NPY_FIXTURE_H
#define CUBEFS_TESTS_NPY_FIXTURE_H

#include <stddef.h>

#include "ingest/npy.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define FILE_MAX 4096

/* Reads tests/data/npy/<name> into buf; returns its length. */
size_t read_data(const char *name, unsigned char *buf, size_t cap);

/*
 * Builds a header of the given version around dict, followed by '\n'
 * (no alignment: parsers must not need it). Returns the total length.
 */
size_t make_hdr(unsigned char *buf, size_t cap, int major, const char *dict);

/* Parses a copy of buf in a heap block of exactly len bytes. */
int parse_exact(const unsigned char *buf, size_t len, struct npy_header *h);

/* Parses a version-`major` header around dict. */
int parse_dict(int major, const char *dict, struct npy_header *h);

#endif
