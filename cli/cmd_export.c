/* SPDX-License-Identifier: MIT */
/* cubefs export and verify: read a dataset back through the same path the mount serves. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/io.h"
#include "base/log.h"
#include "cli/cli.h"
#include "cli/fidcheck.h"
#include "fs/reader.h"
#include "ingest/progress.h"
#include "ingest/source.h"
#include "ingest/view.h"

#define CHUNK (4u << 20)
#define EXPORT_CACHE (64u << 20)

static const struct cat_view *npy_view(const struct cat_dataset *ds, int vi)
{
	char name[CATALOG_NAME_MAX + 8];

	snprintf(name, sizeof(name), "%s.npy", ds->nvars == 1 ? ds->name :
		 ds->vars[vi].name);
	for (int i = 0; i < ds->nviews; i++)
		if (ds->views[i].kind == VIEW_NPY &&
		    ds->views[i].in_dir == (ds->nvars != 1) &&
		    !strcmp(ds->views[i].name, name))
			return &ds->views[i];
	return NULL;
}

static int open_reader(const char *store, struct reader **r)
{
	struct catalog *c = cli_open_store(store, CATALOG_RDONLY);
	int rc;

	if (!c)
		return -EINVAL;
	rc = reader_new(c, EXPORT_CACHE, r);
	catalog_free(c);
	return rc;
}

static int find(struct reader *r, const char *store, const char *name,
		struct cat_dataset **ds, int *vi)
{
	int n = reader_ndatasets(r);
	struct cat_dataset *all[n ? n : 1];

	for (int i = 0; i < n; i++)
		all[i] = reader_dataset(r, i);
	if (!cli_find_var(all, n, name, ds, vi))
		return 0;
	if (*ds && !strchr(name, '/'))
		fprintf(stderr, "cubefs: dataset '%s' has %d variables; name "
			"one as %s/VARIABLE:\n", name, (*ds)->nvars, name);
	else if (*ds)
		fprintf(stderr, "cubefs: dataset '%s' has no variable '%s'; it "
			"has:\n", (*ds)->name, strchr(name, '/') + 1);
	else
		fprintf(stderr, "cubefs: no dataset '%.*s' in '%s'\n",
			(int)strcspn(name, "/"), name, store);
	for (int k = 0; *ds && k < (*ds)->nvars; k++)
		fprintf(stderr, "  %s/%s\n", (*ds)->name, (*ds)->vars[k].name);
	return -ENOENT;
}

static void export_usage(FILE *f)
{
	fprintf(f, "usage: cubefs export STORE NAME OUT.npy\n"
		"       cubefs export STORE DATASET OUT.zarr\n\n"
		"Writes the decoded array of NAME (a dataset of one variable, "
		"or\nDATASET/VARIABLE) to OUT.npy, read through the same path "
		"a mount serves\n(the same bytes as the mount's .npy file). "
		"OUT '-' is standard output.\nAn OUT ending in .zarr (which "
		"must not exist) gets the whole dataset as\nthe Zarr v2 "
		"directory a mount shows as DATASET.zarr/.\n\n"
		"  -h, --help  this help\n");
}

int cmd_export(int argc, char **argv)
{
	struct reader *r = NULL;
	struct cat_dataset *ds;
	const struct cat_view *w;
	struct cat_view own = { 0 };
	char *buf = NULL;
	uint64_t off = 0;
	int vi, fd = -1, rc, to_stdout;
	double t0 = clock_mono_s();

	rc = cli_plain_args(argc, argv, 3, export_usage);
	if (rc >= 0)
		return rc;
	to_stdout = !strcmp(argv[3], "-");
	rc = open_reader(argv[1], &r);
	if (rc)
		goto out;
	if (strlen(argv[3]) > 5 &&
	    !strcmp(argv[3] + strlen(argv[3]) - 5, ".zarr")) {
		ds = reader_find(r, argv[2]);
		if (!ds)
			fprintf(stderr, "cubefs: no dataset '%s' in '%s'\n",
				argv[2], argv[1]);
		rc = ds ? cli_export_zarr(r, ds, argv[3]) : -ENOENT;
		goto out;
	}
	rc = find(r, argv[1], argv[2], &ds, &vi);
	if (rc)
		goto out;
	w = npy_view(ds, vi);
	if (!w) {	/* a coordinate: no view of its own, the same bytes */
		rc = view_npy(ds, vi, ds->vars[vi].name, &own);
		if (rc)
			goto out;
		w = &own;
	}
	buf = malloc(CHUNK);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	fd = to_stdout ? STDOUT_FILENO :
		open(argv[3], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		fprintf(stderr, "cubefs: cannot create '%s': %s\n", argv[3],
			strerror(errno));
		goto out;
	}
	while (off < w->size) {
		ssize_t n = reader_read_view(r, ds, w, buf, CHUNK, off);

		if (n <= 0) {
			rc = n ? (int)n : -EIO;
			fprintf(stderr, "cubefs: cannot read '%s' at byte %llu: "
				"%s\n", argv[2], (unsigned long long)off,
				strerror(-rc));
			goto out;
		}
		rc = io_write_all(fd, buf, (size_t)n);
		if (rc) {
			fprintf(stderr, "cubefs: cannot write '%s': %s\n",
				argv[3], strerror(-rc));
			goto out;
		}
		off += (uint64_t)n;
	}
	if (!to_stdout && fsync(fd) && errno != EINVAL) {
		rc = -errno;
		fprintf(stderr, "cubefs: cannot write '%s': %s\n", argv[3],
			strerror(errno));
		goto out;
	}
	if (!to_stdout && isatty(STDERR_FILENO))
		fprintf(stderr, "exported %llu bytes in %.2f s (%.1f MB/s)\n",
			(unsigned long long)off, clock_mono_s() - t0,
			off / 1e6 / (clock_mono_s() - t0));
out:
	if (fd >= 0 && !to_stdout) {
		close(fd);
		if (rc)
			unlink(argv[3]);
	}
	free(buf);
	catalog_view_release(&own);
	reader_free(r);
	return rc ? 1 : 0;
}

/* Differences between a stored variable and its source. */
struct diff {
	double sse, max_err, lo, hi;
	uint64_t n, nan_mismatch;
};

static void compare(struct diff *d, const double *a, const double *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		double e;

		if (isnan(a[i]) || isnan(b[i])) {
			d->nan_mismatch += isnan(a[i]) != isnan(b[i]);
			continue;
		}
		e = fabs(a[i] - b[i]);
		d->sse += e * e;
		d->max_err = e > d->max_err ? e : d->max_err;
		d->lo = a[i] < d->lo ? a[i] : d->lo;
		d->hi = a[i] > d->hi ? a[i] : d->hi;
		d->n++;
	}
}

static int verify_var(struct reader *r, struct cat_dataset *ds, int vi,
		      struct source *src, int si)
{
	const struct cat_var *v = &ds->vars[vi];
	const struct cat_var *sv = &src->meta->vars[si];
	uint64_t frame = v->nplanes * v->height * v->width;
	size_t isz = dtype_size(v->dtype);
	struct diff d = { .lo = INFINITY, .hi = -INFINITY };
	struct fidcheck fc = { 0 };
	void *raw_a = malloc(frame * isz + 1), *raw_b = malloc(frame * isz + 1);
	double *a = malloc(frame * sizeof(double) + 1);
	double *b = malloc(frame * sizeof(double) + 1);
	double mse, psnr, bpv;
	int rc = -ENOMEM;

	if (!raw_a || !raw_b || !a || !b)
		goto out;
	if (sv->dtype != v->dtype || catalog_var_elems(sv) !=
	    catalog_var_elems(v)) {
		fprintf(stderr, "cubefs: '%s' differs from the original in "
			"dtype or shape\n", v->name);
		rc = -EINVAL;
		goto out;
	}
	for (uint64_t f = 0; f < v->nframes; f++) {
		/* a 2-d variable is one picture of shape[0] source rows */
		rc = v->ndim == 2 ? src->ops->read_frames(src, si, 0,
							  v->shape[0], raw_a) :
			src->ops->read_frames(src, si, f, 1, raw_a);
		if (!rc)
			rc = reader_read_elems(r, ds, vi, f * frame, frame, 0,
					       raw_b);
		if (rc)
			goto out;
		dtype_to_double(v->dtype, raw_a, a, frame);
		dtype_to_double(v->dtype, raw_b, b, frame);
		compare(&d, a, b, frame);
		fidcheck_add(&fc, v, raw_a, raw_b, a, b, frame);
	}
	mse = d.n ? d.sse / (double)d.n : 0;
	psnr = mse > 0 ? 20 * log10(d.hi > d.lo ? d.hi - d.lo : 1) -
		10 * log10(mse) : INFINITY;
	bpv = catalog_var_elems(v) ?
		catalog_var_stored_bytes(v) * 8.0 / catalog_var_elems(v) : 0;
	char q[48];

	if (isinf(psnr))
		snprintf(q, sizeof(q), "exact");
	else
		snprintf(q, sizeof(q), "PSNR %.2f dB", psnr);
	printf("%s: %s, max abs error %.6g, %.4f bits per value "
	       "(ratio %.1f), %llu NaN mismatches\n", v->name, q, d.max_err, bpv,
	       bpv > 0 ? isz * 8.0 / bpv : 0.0,
	       (unsigned long long)d.nan_mismatch);
	rc = fidcheck_report(&fc, v) || d.nan_mismatch ? -EILSEQ : 0;
out:
	free(raw_a);
	free(raw_b);
	free(a);
	free(b);
	return rc;
}

/* find() for verify, where a dataset of several variables named alone
 * means all of them (*vi = -1). */
static int find_all(struct reader *r, const char *store, const char *name,
		    struct cat_dataset **ds, int *vi)
{
	int n = reader_ndatasets(r);

	for (int i = 0; !strchr(name, '/') && i < n; i++)
		if (!strcmp(reader_dataset(r, i)->name, name) &&
		    reader_dataset(r, i)->nvars > 1) {
			*ds = reader_dataset(r, i);
			*vi = -1;
			return 0;
		}
	return find(r, store, name, ds, vi);
}

static void verify_usage(FILE *f)
{
	fprintf(f, "usage: cubefs verify STORE NAME ORIGINAL\n\n"
		"Compares NAME (a dataset, or DATASET/VARIABLE) with the "
		"variables of the\nsame name in ORIGINAL (.npy or NetCDF): "
		"PSNR over the data range, max abs\nerror, bits per value, "
		"ratio, positions where one is NaN and the other\nnot; "
		"whether coordinates and categories are exact, exact values "
		"kept at\ntheir positions, values outside the valid range "
		"(exit status 1 if any\nof these fails).\n\n"
		"  -h, --help  this help\n");
}

int cmd_verify(int argc, char **argv)
{
	struct reader *r = NULL;
	struct source *src = NULL;
	struct cat_dataset *ds;
	int vi, rc, si = 0;

	rc = cli_plain_args(argc, argv, 3, verify_usage);
	if (rc >= 0)
		return rc;
	rc = open_reader(argv[1], &r);
	if (!rc)
		rc = find_all(r, argv[1], argv[2], &ds, &vi);
	if (!rc)
		rc = source_open(argv[3], &src);
	if (rc)
		goto out;
	/* a dataset named alone: each of its variables */
	for (int i = vi < 0 ? 0 : vi; i < (vi < 0 ? ds->nvars : vi + 1); i++) {
		int bad;

		if (src->meta->nvars > 1) {
			for (si = 0; si < src->meta->nvars; si++)
				if (src->meta->vars[si].name &&
				    !strcmp(src->meta->vars[si].name,
					    ds->vars[i].name))
					break;
			if (si == src->meta->nvars) {
				fprintf(stderr, "cubefs: '%s' has no variable "
					"'%s'\n", argv[3], ds->vars[i].name);
				rc = -ENOENT;
				goto out;
			}
		}
		bad = verify_var(r, ds, i, src, si);
		rc = rc ? rc : bad;
	}
out:
	source_free(src);
	reader_free(r);
	return rc ? 1 : 0;
}
