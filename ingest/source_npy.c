/* SPDX-License-Identifier: MIT */
/* The .npy reader: a checked header, then frames read with pread and byte-swapped if needed. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/io.h"
#include "base/log.h"
#include "ingest/npy.h"
#include "ingest/source.h"

struct npy_source {
	int fd;
	char *path;
	struct npy_header h;
};

static int npy_read_frames(struct source *s, int var, uint64_t first,
			   uint64_t n, void *dst)
{
	struct npy_source *p = s->priv;
	const struct cat_var *v = &s->meta->vars[var];
	size_t isz = dtype_size(v->dtype);
	uint64_t frame = 1;
	size_t len;
	int rc;
	off_t off;

	/* a frame is the product of the other axes: no division, so that an
	 * array with a zero-length first axis reads nothing */
	for (int a = v->ndim >= 2 ? 1 : 0; a < v->ndim; a++)
		frame *= v->shape[a];
	len = (size_t)(n * frame * isz);
	off = (off_t)(p->h.data_offset + first * frame * isz);
	rc = io_pread_all(p->fd, dst, len, (uint64_t)off);
	if (rc) {
		log_error("cannot read '%s': %s", p->path,
			  rc == -EIO ? "file is truncated" : strerror(-rc));
		return rc == -EIO ? -EINVAL : rc;
	}
	if (p->h.big_endian)
		dtype_bswap(dst, isz, len / isz);
	return 0;
}

static void npy_close(struct source *s)
{
	struct npy_source *p = s->priv;

	if (!p)
		return;
	close(p->fd);
	free(p->path);
	free(p);
}

static const struct source_ops npy_ops = {
	.kind = "npy",
	.read_frames = npy_read_frames,
	.close = npy_close,
};

int source_npy_open(const char *path, struct source **out)
{
	struct source *s = NULL;
	struct npy_source *p = NULL;
	struct cat_var *v;
	unsigned char head[4096];
	struct stat sb;
	ssize_t got;
	int rc;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	p = calloc(1, sizeof(*p));
	if (!s || !p || !(s->meta = calloc(1, sizeof(*s->meta)))) {
		rc = -ENOMEM;
		goto out;
	}
	s->ops = &npy_ops;
	s->priv = p;
	p->fd = open(path, O_RDONLY | O_CLOEXEC);
	p->path = strdup(path);
	if (p->fd < 0 || fstat(p->fd, &sb)) {
		rc = -errno;
		log_error("cannot open '%s': %s", path, strerror(errno));
		goto out;
	}
	got = pread(p->fd, head, sizeof(head), 0);
	if (got < 0) {
		rc = -errno;
		log_error("cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	rc = npy_parse(head, (size_t)got, &p->h);
	if (rc == -EAGAIN && p->h.data_offset > sizeof(head) &&
	    p->h.data_offset < (1u << 24)) {
		unsigned char *big = malloc(p->h.data_offset);

		if (!big) {
			rc = -ENOMEM;
			goto out;
		}
		got = pread(p->fd, big, p->h.data_offset, 0);
		rc = got < 0 ? -errno : npy_parse(big, (size_t)got, &p->h);
		free(big);
	}
	if (rc == -ENOTSUP && p->h.descr[0]) {
		log_error("unsupported dtype '%s' in '%s' (cubefs takes int8 "
			  "to int64, uint8 to uint64, float32 and float64)",
			  p->h.descr, path);
		goto out;
	}
	if (rc == -ENOTSUP) {
		log_error("'%s' has more than %d dimensions", path,
			  NPY_MAX_DIMS);
		goto out;
	}
	if (rc) {
		log_error("'%s' is not a valid .npy file: %s", path,
			  rc == -EAGAIN ? "truncated header" : "malformed header");
		rc = rc == -EAGAIN ? -EINVAL : rc;
		goto out;
	}
	if (p->h.fortran_order) {
		log_error("'%s': fortran_order arrays are not supported "
			  "(save with np.ascontiguousarray)", path);
		rc = -ENOTSUP;
		goto out;
	}
	if ((uint64_t)sb.st_size < p->h.data_offset ||
	    ((uint64_t)sb.st_size - p->h.data_offset) / dtype_size(p->h.dtype) <
	    p->h.nelems) {
		log_error("'%s' is truncated: the header promises %llu elements",
			  path, (unsigned long long)p->h.nelems);
		rc = -EINVAL;
		goto out;
	}
	s->meta->nvars = 1;
	s->meta->vars = v = calloc(1, sizeof(*v));
	if (!v || !(v->shape = calloc((size_t)p->h.ndim + 1, sizeof(uint64_t))) ||
	    !(v->dimids = calloc((size_t)p->h.ndim + 1, sizeof(int)))) {
		rc = -ENOMEM;
		goto out;
	}
	v->dtype = p->h.dtype;
	v->ndim = p->h.ndim;
	for (int i = 0; i < v->ndim; i++) {
		v->shape[i] = p->h.shape[i];
		v->dimids[i] = -1;
	}
	*out = s;
	s = NULL;
out:
	source_free(s);
	return rc;
}

