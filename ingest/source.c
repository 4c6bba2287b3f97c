/* SPDX-License-Identifier: MIT */
/* Opening a source by its first bytes, and what every source shares. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "ingest/source.h"

/* 'n' (.npy), 'c' (NetCDF), 'G' (GRIB) or 'g' (anything else: GDAL's)
 * by the first bytes of path, or a negative errno (logged) if it cannot
 * be read. */
static int kind_of(const char *path)
{
	unsigned char magic[8] = { 0 };
	ssize_t got;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int rc = -errno;

		log_error("cannot open '%s': %s", path, strerror(errno));
		return rc;
	}
	got = read(fd, magic, sizeof(magic));
	close(fd);
	if (got >= 6 && !memcmp(magic, "\x93NUMPY", 6))
		return 'n';
	if ((got >= 4 && !memcmp(magic, "CDF", 3)) ||
	    (got >= 8 && !memcmp(magic, "\x89HDF\r\n\x1a\n", 8)))
		return 'c';
	return got >= 4 && !memcmp(magic, "GRIB", 4) ? 'G' : 'g';
}

int source_open(const char *path, struct source **out)
{
	int kind = kind_of(path);

	*out = NULL;
	if (kind == 'n')
		return source_npy_open(path, out);
	if (kind == 'c')
		return source_netcdf_open(path, out);
	return kind < 0 ? kind : source_gdal_open(path, out);
}

int source_is_raster(const char *path)
{
	struct stat st;

	/* a Zarr store is a directory, GRIB a file of cubes: not a raster
	 * of a stack */
	if (stat(path, &st) || S_ISDIR(st.st_mode))
		return 0;
	return kind_of(path) == 'g';
}

void source_free(struct source *s)
{
	if (!s)
		return;
	if (s->ops && s->ops->close)
		s->ops->close(s);
	catalog_dataset_free(s->meta);
	free(s);
}

int source_note_skipped(struct cat_dataset *ds, const char *name)
{
	size_t old = ds->skipped ? strlen(ds->skipped) : 0;
	char *s = realloc(ds->skipped, old + strlen(name) + 2);

	if (!s)
		return -ENOMEM;
	if (old)
		s[old++] = ',';
	strcpy(s + old, name);
	ds->skipped = s;
	return 0;
}

int source_check_frames(const struct source *s, const char *path, int var,
			uint64_t first, uint64_t n)
{
	const struct cat_var *v;

	if (var < 0 || var >= s->meta->nvars) {
		log_error("'%s': no variable %d", path, var);
		return -EINVAL;
	}
	v = &s->meta->vars[var];
	if (v->ndim >= 2 ? first > v->shape[0] || n > v->shape[0] - first :
	    first != 0 || n != 1) {
		log_error("'%s': frames %llu+%llu of variable '%s' are out of "
			  "range", path, (unsigned long long)first,
			  (unsigned long long)n, v->name);
		return -EINVAL;
	}
	return 0;
}
