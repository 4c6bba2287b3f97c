/* SPDX-License-Identifier: MIT */
/* cubefs export of a whole dataset as a Zarr v2 directory: the tree a mount's <dataset>.zarr/ shows. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/io.h"
#include "cli/cli.h"
#include "fs/reader.h"
#include "ingest/zarr.h"

#define PIECE (4u << 20)        /* bytes read at a time */

/* dir/name into path of cap bytes; -ENAMETOOLONG (said) if too long. */
static int join(char *path, size_t cap, const char *dir, const char *name)
{
	int n = snprintf(path, cap, "%s/%s", dir, name);

	if (n >= 0 && (size_t)n < cap)
		return 0;
	fprintf(stderr, "cubefs: path '%s/%s' is too long\n", dir, name);
	return -ENAMETOOLONG;
}

/* Creates file dir/name (which must not exist) holding the len bytes
 * at p. 0 or a negative errno, said on stderr. */
static int put_file(const char *dir, const char *name, const void *p,
		    size_t len)
{
	char path[4096];
	int fd, rc;

	if (join(path, sizeof(path), dir, name))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	rc = fd < 0 ? -errno : io_write_all(fd, p, len);
	if (fd >= 0 && close(fd) && !rc)
		rc = -errno;
	if (rc)
		fprintf(stderr, "cubefs: cannot write '%s': %s\n", path,
			strerror(-rc));
	return rc;
}

/* Writes the chunk files of array a into dir, read through r. */
static int put_chunks(struct reader *r, const struct cat_dataset *ds,
		      const struct zarr_array *a, const char *dir, char *buf)
{
	const struct cat_var *v = &ds->vars[a->var];
	size_t isz = dtype_size(v->dtype);
	uint64_t per = PIECE / isz;
	char name[ZARR_NAME_MAX], path[4096];
	int rc = 0;

	for (uint64_t c = 0; c < a->nchunks && !rc; c++) {
		int fd;

		zarr_chunk_name(v, c, name, sizeof(name));
		if (join(path, sizeof(path), dir, name))
			return -ENAMETOOLONG;
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0) {
			rc = -errno;
			fprintf(stderr, "cubefs: cannot create '%s': %s\n",
				path, strerror(errno));
			break;
		}
		for (uint64_t e = 0; e < a->chunk_elems && !rc; e += per) {
			uint64_t n = a->chunk_elems - e < per ?
				a->chunk_elems - e : per;

			rc = reader_read_elems(r, ds, a->var,
					       c * a->chunk_elems + e, n, 0,
					       buf);
			if (rc)
				fprintf(stderr, "cubefs: cannot read '%s/%s' "
					"chunk %llu: %s\n", ds->name, v->name,
					(unsigned long long)c, strerror(-rc));
			else if ((rc = io_write_all(fd, buf,
						    (size_t)(n * isz))))
				fprintf(stderr, "cubefs: cannot write '%s': "
					"%s\n", path, strerror(-rc));
		}
		if (close(fd) && !rc)
			rc = -errno;
	}
	return rc;
}

static int make_dir(const char *path)
{
	if (!mkdir(path, 0755))
		return 0;
	fprintf(stderr, "cubefs: cannot create '%s': %s\n", path,
		strerror(errno));
	return -errno;
}

int cli_export_zarr(struct reader *r, const struct cat_dataset *ds,
		    const char *out)
{
	struct zarr_meta m;
	char *buf = malloc(PIECE);
	int rc;

	if (!buf)
		return -ENOMEM;
	rc = zarr_meta_build(ds, &m);
	if (rc) {
		free(buf);
		return rc;
	}
	rc = make_dir(out);
	if (!rc)
		rc = put_file(out, ".zgroup", m.zgroup, strlen(m.zgroup));
	if (!rc)
		rc = put_file(out, ".zattrs", m.zattrs, strlen(m.zattrs));
	if (!rc)
		rc = put_file(out, ".zmetadata", m.zmetadata,
			      strlen(m.zmetadata));
	for (int i = 0; i < m.narrays && !rc; i++) {
		const struct zarr_array *a = &m.arrays[i];
		char dir[4096];

		rc = join(dir, sizeof(dir), out, ds->vars[a->var].name);
		if (!rc)
			rc = make_dir(dir);
		if (!rc)
			rc = put_file(dir, ".zarray", a->zarray,
				      strlen(a->zarray));
		if (!rc)
			rc = put_file(dir, ".zattrs", a->zattrs,
				      strlen(a->zattrs));
		if (!rc)
			rc = put_chunks(r, ds, a, dir, buf);
	}
	zarr_meta_release(&m);
	free(buf);
	return rc;
}
