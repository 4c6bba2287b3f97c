/* SPDX-License-Identifier: MIT */
/* The .npy file header: parsing untrusted headers and writing v1.0 ones. */
#ifndef CUBEFS_INGEST_NPY_H
#define CUBEFS_INGEST_NPY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/dtype.h"

#define NPY_MAX_DIMS 32

struct npy_header {
	enum dtype dtype;
	int big_endian;         /* 1 if the data is stored '>' (needs swapping) */
	int fortran_order;      /* parsed, reported; callers refuse it */
	int ndim;               /* 0 for a scalar */
	uint64_t shape[NPY_MAX_DIMS];
	uint64_t nelems;        /* product of shape (1 for a scalar) */
	size_t data_offset;     /* bytes from the start of the file to the data */
	int version;            /* 1, 2 or 3 */
	char descr[24];         /* after -ENOTSUP for the dtype: its 'descr'
				   as written ("<c8", "[('a', ..."), cut to
				   fit, unprintable bytes as '?'; else "" */
};

/*
 * Parses the header at the start of buf (len bytes: the whole file, or at
 * least its first bytes). Accepts versions 1.0, 2.0 and 3.0, the dict
 * keys in any order, '<', '>', '|' and '=' byte orders, and the type codes
 * of enum dtype (b1/bool is refused). Returns 0, -EAGAIN when buf ends
 * before the header does (the header length is then in h->data_offset if
 * the 10 or 12 byte preamble was complete, else 0), -EINVAL for a
 * malformed header (bad magic, bad dict, overflowing shape), -ENOTSUP for
 * a well-formed header of a dtype cubefs does not store (named in
 * h->descr) or of more than NPY_MAX_DIMS dims (h->descr ""). Thread-safe;
 * h is otherwise undefined on failure. Never reads past buf + len.
 */
int npy_parse(const void *buf, size_t len, struct npy_header *h);

/*
 * Writes a version 1.0 header for a C-order little-endian array of type t
 * and the given shape into buf (capacity cap), padded with spaces and a
 * final newline so that the data starts on a multiple of 64 bytes.
 * Returns the header length (== data offset), or -ENOSPC if cap is too
 * small, -EINVAL for a bad dtype or ndim, -E2BIG if the header would
 * exceed what v1.0 can describe (65535 bytes of dict).
 */
ssize_t npy_write_header(void *buf, size_t cap, enum dtype t, int ndim,
			 const uint64_t *shape);

/* Length npy_write_header() would return, or a negative errno. */
ssize_t npy_header_size(enum dtype t, int ndim, const uint64_t *shape);

/* The same with the data on a multiple of align (a multiple of 64, at most
 * 65536; -EINVAL otherwise), e.g. the page size. */
ssize_t npy_write_header_aligned(void *buf, size_t cap, enum dtype t,
				 int ndim, const uint64_t *shape, size_t align);
ssize_t npy_header_size_aligned(enum dtype t, int ndim, const uint64_t *shape,
				size_t align);

#endif
