/* SPDX-License-Identifier: MIT */
/* libFuzzer target: .nc view headers generated from fuzzed datasets, read back by nc_classic and libnetcdf; raw bytes to the header walk. */
#include <errno.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/log.h"
#include "catalog/catalog.h"
#include "fuzz/input.h"
#include "ingest/nc_classic.h"
#include "ingest/ncview.h"

#define MAXD 4
#define MAXV 4
#define MAXA 3
#define MAXAX 3
#define MAX_FILE (1 << 20)

/* A dataset made of the input, with room for everything it points to. */
struct fds {
	struct cat_dataset ds;
	struct cat_dim dims[MAXD];
	struct cat_var vars[MAXV];
	struct cat_attr attrs[MAXV + 1][MAXA];  /* [MAXV]: global */
	uint8_t adata[MAXV + 1][MAXA][8 * 4];
	uint64_t shape[MAXV][MAXAX];
	int dimids[MAXV][MAXAX];
	char dname[MAXD][16], vname[MAXV][16], aname[MAXV + 1][MAXA][16];
	int record;             /* the record dimension expected, or -1 */
};

static int memfd = -1;

static void name_of(struct fin *in, char *dst, const char *prefix, int i)
{
	int n = snprintf(dst, 16, "%s%d", prefix, i), k = fin_u8(in) % 8;

	for (int j = 0; j < k; j++)
		dst[n++] = (char)('a' + fin_u8(in) % 26);
	dst[n] = 0;
}

static void make_attrs(struct fin *in, struct fds *f, int s, int unsig_ok,
		       int *n)
{
	*n = fin_u8(in) % (MAXA + 1);
	for (int a = 0; a < *n; a++) {
		struct cat_attr *at = &f->attrs[s][a];

		if (a == 0 && unsig_ok && fin_u8(in) % 4 == 0)
			strcpy(f->aname[s][a], "_Unsigned");
		else
			name_of(in, f->aname[s][a], "A", a);
		at->name = f->aname[s][a];
		at->type = fin_u8(in) % 13;     /* 0 and 12: not classic */
		at->len = fin_u8(in) % 5;
		at->data = f->adata[s][a];
		fin_bytes(in, at->data, sizeof(f->adata[s][a]));
	}
}

/* The length dataset dimension i gets: the longest variable's extent. */
static uint64_t dim_len(const struct fds *f, int i)
{
	uint64_t len = f->dims[i].len;

	for (int k = 0; k < f->ds.nvars; k++)
		for (int a = 0; a < f->vars[k].ndim; a++)
			if (f->vars[k].dimids[a] == i &&
			    f->vars[k].shape[a] > len)
				len = f->vars[k].shape[a];
	return len;
}

static void make_dataset(struct fin *in, struct fds *f)
{
	struct cat_dataset *ds = &f->ds;
	int used_inner[MAXD] = { 0 };

	ds->name = "fuzz";
	ds->ndims = fin_u8(in) % (MAXD + 1);
	ds->dims = f->dims;
	for (int i = 0; i < ds->ndims; i++) {
		name_of(in, f->dname[i], "D", i);
		f->dims[i].name = f->dname[i];
		f->dims[i].len = fin_u8(in) % 7;
		f->dims[i].unlimited = fin_u8(in) % 3 == 0;
		/* a fixed dimension of length 0 does not exist in NetCDF */
		if (!f->dims[i].len && !f->dims[i].unlimited)
			f->dims[i].len = 1;
	}
	make_attrs(in, f, MAXV, 0, &ds->nattrs);
	ds->attrs = f->attrs[MAXV];
	ds->nvars = fin_u8(in) % (MAXV + 1);
	ds->vars = f->vars;
	for (int i = 0; i < ds->nvars; i++) {
		struct cat_var *v = &f->vars[i];

		name_of(in, f->vname[i], "V", i);
		v->name = f->vname[i];
		v->dtype = (enum dtype)(1 + fin_u8(in) % 10);
		v->nctype = v->dtype == DTYPE_U8 && fin_u8(in) % 2 ? NC_CHAR : 0;
		v->ndim = fin_u8(in) % (MAXAX + 1);
		v->shape = f->shape[i];
		v->dimids = f->dimids[i];
		for (int a = 0; a < v->ndim; a++) {
			int sel = fin_u8(in) % (ds->ndims + 1);

			if (sel == ds->ndims) {
				v->dimids[a] = -1;
				v->shape[a] = fin_u8(in) % 7;
				continue;
			}
			v->dimids[a] = sel;
			v->shape[a] = f->dims[sel].len;
			if (a > 0)
				used_inner[sel] = 1;
			/* a record variable may hold fewer records */
			else if (f->dims[sel].unlimited && v->shape[a])
				v->shape[a] -= fin_u8(in) % (v->shape[a] + 1);
		}
		v->vmin = fin_u8(in) % 4 == 0 ? -1e18 : -5;
		v->vmax = fin_u8(in) % 4 == 0 ? 1e18 : 5;
		make_attrs(in, f, i, 1, &v->nattrs);
		v->attrs = f->attrs[i];
	}
	f->record = -1;
	for (int i = 0; i < ds->ndims && f->record < 0; i++)
		if (f->dims[i].unlimited && !used_inner[i])
			f->record = i;
	/* only the record dimension's variables may be short of its length */
	for (int i = 0; i < ds->nvars; i++) {
		struct cat_var *v = &f->vars[i];

		if (v->ndim && v->dimids[0] >= 0 && v->dimids[0] != f->record)
			v->shape[0] = f->dims[v->dimids[0]].len;
	}
	/* with no unlimited one, the first of length 0 leading every use */
	for (int i = 0; i < ds->ndims && f->record < 0; i++)
		if (!used_inner[i] && !dim_len(f, i))
			f->record = i;
	for (int i = 0, k = ds->ndims; i < ds->nvars && f->record < 0; i++)
		for (int a = 0; a < f->vars[i].ndim && f->record < 0; a++)
			if (f->vars[i].dimids[a] < 0 && k++ >= 0 && a == 0 &&
			    !f->vars[i].shape[0])
				f->record = k - 1;
}

/* With CUBEFS_FUZZ_LOG set: the dataset of a failing input, to stderr. */
static void describe(const struct fds *f)
{
	if (!getenv("CUBEFS_FUZZ_LOG"))
		return;
	for (int i = 0; i < f->ds.ndims; i++)
		fprintf(stderr, "dim %s len %llu%s\n", f->dims[i].name,
			(unsigned long long)f->dims[i].len,
			f->dims[i].unlimited ? " unlimited" : "");
	for (int i = 0; i < f->ds.nvars; i++) {
		const struct cat_var *v = &f->vars[i];

		fprintf(stderr, "var %s dtype %d nctype %d (", v->name,
			v->dtype, v->nctype);
		for (int a = 0; a < v->ndim; a++)
			fprintf(stderr, " %d:%llu", v->dimids[a],
				(unsigned long long)v->shape[a]);
		fprintf(stderr, " ) %d attrs\n", v->nattrs);
	}
	fprintf(stderr, "record dimension expected: %d\n", f->record);
}

/* What CDF-2 or CDF-5 calls the type a variable is served as. */
static int served_type(const struct cat_var *v, int cdf5, int *unsig)
{
	static const int signed_of[] = {
		[DTYPE_I8] = NC_BYTE, [DTYPE_U8] = NC_BYTE,
		[DTYPE_I16] = NC_SHORT, [DTYPE_U16] = NC_SHORT,
		[DTYPE_I32] = NC_INT, [DTYPE_U32] = NC_INT,
		[DTYPE_I64] = NC_DOUBLE, [DTYPE_U64] = NC_DOUBLE,
		[DTYPE_F32] = NC_FLOAT, [DTYPE_F64] = NC_DOUBLE,
	};
	static const int cdf5_of[] = {
		[DTYPE_I8] = NC_BYTE, [DTYPE_U8] = NC_UBYTE,
		[DTYPE_I16] = NC_SHORT, [DTYPE_U16] = NC_USHORT,
		[DTYPE_I32] = NC_INT, [DTYPE_U32] = NC_UINT,
		[DTYPE_I64] = NC_INT64, [DTYPE_U64] = NC_UINT64,
		[DTYPE_F32] = NC_FLOAT, [DTYPE_F64] = NC_DOUBLE,
	};

	*unsig = 0;
	if (v->nctype == NC_CHAR)
		return NC_CHAR;
	if (!cdf5)
		*unsig = v->dtype == DTYPE_U8 || v->dtype == DTYPE_U16 ||
			 v->dtype == DTYPE_U32;
	return cdf5 ? cdf5_of[v->dtype] : signed_of[v->dtype];
}

static size_t nc_type_size(int t)
{
	size_t s = 0;

	return t > 0 && t <= NC_UINT64 && nc_inq_type(0, t, NULL, &s) == 0 ?
		s : 0;
}

/* Checks the attributes of varid against what the dataset gave. */
static void check_attrs(int ncid, int varid, const struct cat_attr *a,
			int n, int cdf5, int add_unsigned)
{
	int want = add_unsigned, got;

	for (int i = 0; i < n; i++)
		want += nc_type_size(a[i].type) &&
			!(add_unsigned && !strcmp(a[i].name, "_Unsigned"));
	if (varid == NC_GLOBAL ? nc_inq_natts(ncid, &got) :
	    nc_inq_varnatts(ncid, varid, &got))
		abort();
	if (got != want)
		abort();
	for (int i = 0; i < n; i++) {
		int t = a[i].type, wt = t;
		nc_type gt;
		size_t len, sz = nc_type_size(t);
		uint8_t buf[8 * 4];

		if (!sz || (add_unsigned && !strcmp(a[i].name, "_Unsigned")))
			continue;
		if (!cdf5)
			wt = t == NC_UBYTE ? NC_BYTE : t == NC_USHORT ?
				NC_SHORT : t == NC_UINT ? NC_INT :
				t == NC_INT64 || t == NC_UINT64 ? NC_DOUBLE :
				t;
		if (nc_inq_att(ncid, varid, a[i].name, &gt, &len) ||
		    (int)gt != wt || len != a[i].len)
			abort();
		if (wt == t) {
			if (nc_get_att(ncid, varid, a[i].name, buf) ||
			    memcmp(buf, a[i].data, len * sz))
				abort();
			continue;
		}
		if (wt != NC_DOUBLE)
			continue;
		for (size_t k = 0; k < len; k++) {
			double d[4], w;
			int64_t x;
			uint64_t u;

			if (nc_get_att_double(ncid, varid, a[i].name, d))
				abort();
			memcpy(&x, (uint8_t *)a[i].data + 8 * k, 8);
			memcpy(&u, (uint8_t *)a[i].data + 8 * k, 8);
			w = t == NC_INT64 ? (double)x : (double)u;
			if (memcmp(&d[k], &w, 8))
				abort();
		}
	}
}

/* Reads the generated file back with libnetcdf and compares. */
static void check_netcdf(const struct fds *f, uint8_t *file, size_t size)
{
	char path[64];
	const struct cat_dataset *ds = &f->ds;
	int ncid, nd, nv, ng, unlim, fmt, cdf5, rc, extra = ds->ndims;
	char name[NC_MAX_NAME + 1];
	size_t len;

	if (getenv("CUBEFS_FUZZ_SAVE")) {	/* the file, for ncdump */
		FILE *o = fopen(getenv("CUBEFS_FUZZ_SAVE"), "wb");

		if (o) {
			fwrite(file, 1, size, o);
			fclose(o);
		}
	}
	/* the file as readers open it (nc_open_mem refuses some headers
	 * nc_open and ncdump read: its own limits, not the format's) */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	rc = nc_open(path, NC_NOWRITE, &ncid);
	if (rc) {
		fprintf(stderr, "libnetcdf refuses the header: %s\n",
			nc_strerror(rc));
		abort();
	}
	if (nc_inq(ncid, &nd, &nv, &ng, &unlim) || nc_inq_format(ncid, &fmt))
		abort();
	cdf5 = fmt == NC_FORMAT_CDF5;
	if ((!cdf5 && fmt != NC_FORMAT_64BIT_OFFSET) || nv != ds->nvars ||
	    unlim != f->record)
		abort();
	for (int i = 0; i < ds->ndims; i++)
		if (nc_inq_dim(ncid, i, name, &len) ||
		    strcmp(name, f->dims[i].name) || len != dim_len(f, i))
			abort();
	check_attrs(ncid, NC_GLOBAL, ds->attrs, ds->nattrs, cdf5, 0);
	for (int i = 0; i < ds->nvars; i++) {
		const struct cat_var *v = &f->vars[i];
		int id, ndim, dimids[NC_MAX_VAR_DIMS], unsig, want;
		nc_type t;

		want = served_type(v, cdf5, &unsig);
		if (nc_inq_varid(ncid, v->name, &id) ||
		    nc_inq_var(ncid, id, NULL, &t, &ndim, dimids, NULL) ||
		    (int)t != want || ndim != v->ndim)
			abort();
		for (int a = 0; a < v->ndim; a++) {
			int d = v->dimids[a] >= 0 ? v->dimids[a] : extra++;

			if (dimids[a] != d || nc_inq_dimlen(ncid, d, &len) ||
			    (v->dimids[a] < 0 && len != v->shape[a]))
				abort();
		}
		check_attrs(ncid, id, v->attrs, v->nattrs, cdf5, unsig);
	}
	if (nd != extra)
		abort();
	nc_close(ncid);
}

/* 1 if a dimension other than the record one has length 0. */
static int zero_dim(const struct fds *f)
{
	int k = f->ds.ndims;

	for (int i = 0; i < f->ds.nvars; i++)
		for (int a = 0; a < f->vars[i].ndim; a++)
			if (f->vars[i].dimids[a] < 0 && k++ != f->record &&
			    !f->vars[i].shape[a])
				return 1;
	for (int i = 0; i < f->ds.ndims; i++)
		if (!dim_len(f, i) && i != f->record)
			return 1;
	return 0;
}

static void round_trip(struct fin *in)
{
	struct fds *f = calloc(1, sizeof(*f));
	struct cat_view w = { 0 };
	uint8_t *file = NULL;
	uint64_t end = 0, at = 0;
	int rc;

	if (!f)
		return;
	make_dataset(in, f);
	describe(f);
	rc = ncview_build(&f->ds, &w);
	if (rc) {
		/* nothing here is too large: only a dimension of length 0
		 * other than the record one is refused */
		if (rc != -EFBIG || !zero_dim(f))
			abort();
		goto out;
	}
	if (!w.nextents || w.extents[0].kind != EXTENT_BYTES)
		abort();
	for (int i = 0; i < w.nextents; i++) {
		if (w.extents[i].offset != at || !w.extents[i].length)
			abort();
		at += w.extents[i].length;
	}
	if (at != w.size || w.size > MAX_FILE)
		goto out;
	file = calloc(1, w.size);
	if (!file)
		goto out;
	memcpy(file, w.extents[0].bytes, w.extents[0].length);
	if (ftruncate(memfd, 0) || pwrite(memfd, file, w.size, 0) !=
	    (ssize_t)w.size)
		abort();
	if (nc_classic_data_end(memfd, w.size, &end))
		abort();
	/* the data ends where the view does, but for the last padding */
	if (end > w.size || (end ? w.size - end > 3 :
			     w.size != w.extents[0].length))
		abort();
	check_netcdf(f, file, w.size);
out:
	for (int i = 0; i < w.nextents; i++)
		free(w.extents[i].bytes);
	free(w.extents);
	free(file);
	free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = { data, size };
	uint64_t end;
	int rc;

	if (memfd < 0) {
		memfd = memfd_create("fuzz", MFD_CLOEXEC);
		if (memfd < 0)
			abort();
	}
	/* the bytes as a classic file of their own */
	if (ftruncate(memfd, 0) || pwrite(memfd, data, size, 0) !=
	    (ssize_t)size)
		abort();
	rc = nc_classic_data_end(memfd, size, &end);
	if (rc && rc != -EINVAL)
		abort();
	/* the same bytes as a dataset to describe */
	round_trip(&in);
	return 0;
}
