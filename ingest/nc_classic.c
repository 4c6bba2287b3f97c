/* SPDX-License-Identifier: MIT */
/* The classic NetCDF header walked by hand, to refuse a truncated file. */
#include <errno.h>
#include <fcntl.h>
#include <netcdf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/dtype.h"
#include "base/log.h"
#include "ingest/nc_classic.h"

/* List tags of the classic header. */
enum { HDR_DIMENSION = 0x0a, HDR_VARIABLE = 0x0b, HDR_ATTRIBUTE = 0x0c };

/* A cursor over the header of a classic file, read in windows. */
struct hdr {
	int fd;
	uint64_t pos, base;
	size_t len;
	unsigned char buf[65536];
};

/* Reads a big-endian unsigned integer of n (4 or 8) bytes. */
static int hdr_uint(struct hdr *h, size_t n, uint64_t *v)
{
	if (h->pos < h->base || h->pos + n > h->base + h->len) {
		ssize_t got = pread(h->fd, h->buf, sizeof(h->buf),
				    (off_t)h->pos);

		if (got < 0)
			return -errno;
		h->base = h->pos;
		h->len = (size_t)got;
		if (h->len < n)
			return -EINVAL;
	}
	*v = 0;
	for (size_t i = 0; i < n; i++)
		*v = *v << 8 | h->buf[h->pos - h->base + i];
	h->pos += n;
	return 0;
}

/* Skips a name or attribute values: count * size bytes padded to 4. */
static int hdr_skip(struct hdr *h, uint64_t count, size_t size)
{
	if (count > (UINT64_MAX >> 4) / (size ? size : 1))
		return -EINVAL;
	h->pos += (count * size + 3) & ~(uint64_t)3;
	return h->pos > (UINT64_MAX >> 2) ? -EINVAL : 0;
}

/* Reads a list's tag and count; ABSENT (0, 0) is an empty list. */
static int hdr_list(struct hdr *h, uint64_t tag, size_t isz, uint64_t *n)
{
	uint64_t t;
	int rc = hdr_uint(h, 4, &t);

	if (!rc)
		rc = hdr_uint(h, isz, n);
	if (!rc && t != tag && (t || *n))
		rc = -EINVAL;
	return rc;
}

static int hdr_attrs(struct hdr *h, size_t isz)
{
	uint64_t n, len, type;
	int rc = hdr_list(h, HDR_ATTRIBUTE, isz, &n);

	for (uint64_t i = 0; i < n && !rc; i++) {
		rc = hdr_uint(h, isz, &len);
		rc = rc ? rc : hdr_skip(h, len, 1);
		rc = rc ? rc : hdr_uint(h, 4, &type);
		rc = rc ? rc : hdr_uint(h, isz, &len);
		if (!rc && !nct_size(type))
			rc = -EINVAL;
		rc = rc ? rc : hdr_skip(h, len, nct_size(type));
	}
	return rc;
}

int nc_classic_data_end(int fd, uint64_t fsize, uint64_t *end)
{
	struct hdr *h = calloc(1, sizeof(*h));
	uint64_t magic, numrecs, ndims, nvars, *dimlen = NULL;
	uint64_t recsize = 0, last_bytes = 0, last_pad = 0;
	struct { uint64_t begin, bytes; int rec; } *v = NULL;
	size_t isz;
	int rc;

	*end = 0;
	if (!h)
		return -ENOMEM;
	h->fd = fd;
	rc = hdr_uint(h, 4, &magic);
	if (rc || (magic >> 8) != 0x434446 || ((magic & 0xff) != 1 &&
	    (magic & 0xff) != 2 && (magic & 0xff) != 5)) {
		rc = rc ? rc : -EINVAL;
		goto out;
	}
	isz = (magic & 0xff) == 5 ? 8 : 4;
	rc = hdr_uint(h, isz, &numrecs);
	rc = rc ? rc : hdr_list(h, HDR_DIMENSION, isz, &ndims);
	if (!rc && ndims > fsize / 8)
		rc = -EINVAL;
	if (rc)
		goto out;
	dimlen = calloc(ndims + 1, sizeof(*dimlen));
	if (!dimlen) {
		rc = -ENOMEM;
		goto out;
	}
	for (uint64_t i = 0; i < ndims && !rc; i++) {
		rc = hdr_uint(h, isz, &dimlen[i]);
		rc = rc ? rc : hdr_skip(h, dimlen[i], 1);
		rc = rc ? rc : hdr_uint(h, isz, &dimlen[i]);
	}
	rc = rc ? rc : hdr_attrs(h, isz);
	rc = rc ? rc : hdr_list(h, HDR_VARIABLE, isz, &nvars);
	if (!rc && nvars > fsize / 16)
		rc = -EINVAL;
	if (rc)
		goto out;
	v = calloc(nvars + 1, sizeof(*v));
	if (!v) {
		rc = -ENOMEM;
		goto out;
	}
	for (uint64_t i = 0; i < nvars && !rc; i++) {
		uint64_t nd, id, type, vsize, n = 1;

		rc = hdr_uint(h, isz, &nd);
		rc = rc ? rc : hdr_skip(h, nd, 1);
		rc = rc ? rc : hdr_uint(h, isz, &nd);
		for (uint64_t d = 0; !rc && d < nd; d++) {
			rc = hdr_uint(h, isz, &id);
			if (rc || id >= ndims) {
				rc = rc ? rc : -EINVAL;
				break;
			}
			if (d == 0 && dimlen[id] == 0)
				v[i].rec = 1;
			else if (__builtin_mul_overflow(n, dimlen[id], &n))
				rc = -EINVAL;
		}
		rc = rc ? rc : hdr_attrs(h, isz);
		rc = rc ? rc : hdr_uint(h, 4, &type);
		rc = rc ? rc : hdr_uint(h, isz, &vsize);
		rc = rc ? rc : hdr_uint(h, isz == 8 || (magic & 0xff) == 2 ?
					8 : 4, &v[i].begin);
		if (!rc && (!nct_size(type) ||
			    __builtin_mul_overflow(n, nct_size(type),
						   &v[i].bytes)))
			rc = -EINVAL;
		if (!rc && v[i].rec) {
			last_bytes = v[i].bytes;
			last_pad = (v[i].bytes + 3) & ~(uint64_t)3;
			if (__builtin_add_overflow(recsize, last_pad, &recsize))
				rc = -EINVAL;
		}
	}
	if (rc)
		goto out;
	/* Like libnetcdf: a lone record variable is not padded. */
	if (recsize && recsize == last_pad)
		recsize = last_bytes;
	for (uint64_t i = 0; i < nvars; i++) {
		uint64_t e = v[i].begin, off;

		if (!v[i].bytes || (v[i].rec && (numrecs == 0 ||
		    numrecs == (isz == 8 ? UINT64_MAX : UINT32_MAX))))
			continue;
		if ((v[i].rec && (__builtin_mul_overflow(numrecs - 1, recsize,
							 &off) ||
				  __builtin_add_overflow(e, off, &e))) ||
		    __builtin_add_overflow(e, v[i].bytes, &e)) {
			rc = -EINVAL;
			goto out;
		}
		if (e > *end)
			*end = e;
	}
out:
	free(v);
	free(dimlen);
	free(h);
	return rc;
}

int nc_classic_check_size(const char *path)
{
	struct stat sb;
	uint64_t end = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb)) {
		rc = -errno;
		log_error("cannot open '%s': %s", path, strerror(errno));
		goto out;
	}
	rc = nc_classic_data_end(fd, (uint64_t)sb.st_size, &end);
	if (rc == -EINVAL)
		log_error("'%s' is not a readable NetCDF file: "
			  "malformed header", path);
	else if (rc)
		log_error("cannot read '%s': %s", path, strerror(-rc));
	else if ((uint64_t)sb.st_size < end) {
		log_error("'%s' is not a readable NetCDF file: truncated "
			  "(%llu bytes, the data ends at %llu)", path,
			  (unsigned long long)sb.st_size,
			  (unsigned long long)end);
		rc = -EINVAL;
	}
out:
	if (fd >= 0)
		close(fd);
	return rc;
}
