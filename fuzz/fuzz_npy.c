/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the .npy header parser on untrusted bytes, and a write/parse round trip. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Checks what a successful parse promises, then rewrites and reparses. */
static void check_parsed(const uint8_t *data, size_t size,
			 const struct npy_header *h)
{
	struct npy_header h2;
	uint64_t n = 1;
	uint8_t out[65536 + 16];
	ssize_t len;

	if (h->data_offset > size || h->ndim < 0 || h->ndim > NPY_MAX_DIMS ||
	    h->version < 1 || h->version > 3 || !dtype_size(h->dtype))
		abort();
	for (int i = 0; i < h->ndim; i++)
		n *= h->shape[i];
	if (n != h->nelems)
		abort();
	/* a cut inside the header is "need more", never another answer */
	if (npy_parse(data, h->data_offset - 1 - size % 7 % h->data_offset,
		      &h2) != -EAGAIN)
		abort();
	len = npy_write_header(out, sizeof(out), h->dtype, h->ndim, h->shape);
	if (len < 0) {
		if (len != -E2BIG)
			abort();
		return;
	}
	if (len != npy_header_size(h->dtype, h->ndim, h->shape) ||
	    len % 64 || npy_parse(out, (size_t)len, &h2) ||
	    h2.dtype != h->dtype || h2.ndim != h->ndim || h2.big_endian ||
	    h2.fortran_order || h2.nelems != h->nelems ||
	    h2.data_offset != (size_t)len ||
	    memcmp(h2.shape, h->shape, sizeof(h->shape[0]) * h->ndim))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct npy_header h;
	/* a copy of exactly size bytes: ASan sees any read past the end */
	uint8_t *buf = malloc(size ? size : 1);
	int rc;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	rc = npy_parse(buf, size, &h);
	if (rc == 0)
		check_parsed(buf, size, &h);
	else if (rc != -EAGAIN && rc != -EINVAL && rc != -ENOTSUP)
		abort();
	free(buf);
	return 0;
}
