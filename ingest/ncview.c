/* SPDX-License-Identifier: MIT */
/* Generating the NetCDF classic (CDF-2, or CDF-5) header of a dataset and the extents that follow it. */
#include <errno.h>
#include <math.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dtype.h"
#include "base/log.h"
#include "ingest/ncview.h"

#define TAG_DIMENSION 0x0a
#define TAG_VARIABLE 0x0b
#define TAG_ATTRIBUTE 0x0c
#define CDF2_MAX 0xfffffffcull          /* largest 4-byte size, rounded to 4 */
#define EXACT_DOUBLE 9007199254740992.0 /* 2^53 */

/* How one variable is served. */
struct served {
	int var;                /* index in ds->vars */
	int nctype;
	enum dtype dtype;       /* element type in the file */
	int is_unsigned;        /* add _Unsigned = "true" */
	int is_record;
	uint64_t vsize;         /* bytes, rounded up to 4 (per record if record) */
	uint64_t bytes;         /* unrounded bytes (per record if record) */
	uint64_t begin;
};

struct hdr {
	uint8_t *b;
	size_t len, cap;
	int cdf5;
	int oom;
};

static void put(struct hdr *h, const void *p, size_t n)
{
	if (h->oom)
		return;
	if (h->len + n > h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 1024;
		uint8_t *nb;

		while (cap < h->len + n)
			cap *= 2;
		nb = realloc(h->b, cap);
		if (!nb) {
			h->oom = 1;
			return;
		}
		h->b = nb;
		h->cap = cap;
	}
	if (p)
		memcpy(h->b + h->len, p, n);
	else
		memset(h->b + h->len, 0, n);
	h->len += n;
}

static void put_be(struct hdr *h, uint64_t v, int bytes)
{
	uint8_t b[8];

	for (int i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
	put(h, b, (size_t)bytes);
}

/* NON_NEG: 4 bytes in CDF-2, 8 in CDF-5. */
static void put_count(struct hdr *h, uint64_t v)
{
	put_be(h, v, h->cdf5 ? 8 : 4);
}

static void put_pad(struct hdr *h, size_t n)
{
	if (n % 4)
		put(h, NULL, 4 - n % 4);
}

static void put_name(struct hdr *h, const char *s)
{
	size_t n = strlen(s);

	put_count(h, n);
	put(h, s, n);
	put_pad(h, n);
}

/* An attribute's values as the format can carry them. */
static void put_attr(struct hdr *h, const struct cat_attr *a)
{
	int t = a->type;
	size_t sz = nct_size(t);
	const uint8_t *p = a->data;

	if (!h->cdf5 && (t == NC_INT64 || t == NC_UINT64)) {
		/* CDF-2 has no 64-bit integers: carried as doubles */
		put_name(h, a->name);
		put_be(h, NC_DOUBLE, 4);
		put_count(h, a->len);
		for (size_t i = 0; i < a->len; i++) {
			double d;
			uint64_t bits;

			if (t == NC_INT64) {
				int64_t x;
				memcpy(&x, p + 8 * i, 8);
				d = (double)x;
			} else {
				uint64_t x;
				memcpy(&x, p + 8 * i, 8);
				d = (double)x;
			}
			memcpy(&bits, &d, 8);
			put_be(h, bits, 8);
		}
		return;
	}
	if (!h->cdf5) {	/* unsigned types as the signed ones, same bits */
		t = t == NC_UBYTE ? NC_BYTE : t == NC_USHORT ? NC_SHORT :
			t == NC_UINT ? NC_INT : t;
	}
	put_name(h, a->name);
	put_be(h, (uint64_t)t, 4);
	put_count(h, a->len);
	for (size_t i = 0; i < a->len; i++) {
		uint64_t v = 0;

		memcpy(&v, p + sz * i, sz);	/* native little-endian */
		put_be(h, v, (int)sz);
	}
	put_pad(h, a->len * sz);
}

static int attr_ok(const struct cat_attr *a)
{
	return nct_size(a->type) != 0;
}

static void put_attrs(struct hdr *h, const struct cat_attr *a, int n,
		      int add_unsigned)
{
	int cnt = add_unsigned;

	for (int i = 0; i < n; i++)
		cnt += attr_ok(&a[i]) && !(add_unsigned &&
					   !strcmp(a[i].name, "_Unsigned"));
	if (!cnt) {
		put_be(h, 0, 4);
		put_count(h, 0);
		return;
	}
	put_be(h, TAG_ATTRIBUTE, 4);
	put_count(h, (uint64_t)cnt);
	for (int i = 0; i < n; i++)
		if (attr_ok(&a[i]) && !(add_unsigned &&
					!strcmp(a[i].name, "_Unsigned")))
			put_attr(h, &a[i]);
	if (add_unsigned) {
		struct cat_attr u = { .name = "_Unsigned", .type = NC_CHAR,
				      .len = 4, .data = "true" };
		put_attr(h, &u);
	}
}

/* The file's dimensions: the dataset's, then one per axis with none. */
struct dims {
	int n;
	char (*name)[32];
	const char **names;
	uint64_t *len;
	int record;             /* index of the record dimension, or -1 */
	int **ids;              /* per variable, per axis */
};

static void dims_release(struct dims *d, int nvars)
{
	for (int i = 0; d->ids && i < nvars; i++)
		free(d->ids[i]);
	free(d->ids);
	free(d->name);
	free(d->names);
	free(d->len);
}

/* 1 if no variable uses dimension dim at another axis than its first. */
static int leads_all(const struct cat_dataset *ds, const struct dims *d,
		     int dim)
{
	for (int i = 0; i < ds->nvars; i++)
		for (int a = 1; a < ds->vars[i].ndim; a++)
			if (d->ids[i][a] == dim)
				return 0;
	return 1;
}

static int dims_build(const struct cat_dataset *ds, struct dims *d)
{
	int extra = 0, k;

	for (int i = 0; i < ds->nvars; i++)
		for (int a = 0; a < ds->vars[i].ndim; a++)
			extra += ds->vars[i].dimids[a] < 0;
	d->n = ds->ndims + extra;
	d->name = calloc((size_t)extra + 1, sizeof(*d->name));
	d->names = calloc((size_t)d->n + 1, sizeof(*d->names));
	d->len = calloc((size_t)d->n + 1, sizeof(*d->len));
	d->ids = calloc((size_t)ds->nvars + 1, sizeof(*d->ids));
	if (!d->name || !d->names || !d->len || !d->ids)
		return -ENOMEM;
	d->record = -1;
	for (int i = 0; i < ds->ndims; i++) {
		d->names[i] = ds->dims[i].name;
		d->len[i] = ds->dims[i].len;
	}
	k = ds->ndims;
	for (int i = 0; i < ds->nvars; i++) {
		const struct cat_var *v = &ds->vars[i];

		d->ids[i] = calloc((size_t)v->ndim + 1, sizeof(int));
		if (!d->ids[i])
			return -ENOMEM;
		for (int a = 0; a < v->ndim; a++) {
			if (v->dimids[a] >= 0) {
				d->ids[i][a] = v->dimids[a];
				/* the variable's extent is the truth */
				if (d->len[v->dimids[a]] < v->shape[a])
					d->len[v->dimids[a]] = v->shape[a];
				continue;
			}
			snprintf(d->name[k - ds->ndims], sizeof(d->name[0]),
				 "dim_%d", k - ds->ndims);
			d->names[k] = d->name[k - ds->ndims];
			d->len[k] = v->shape[a];
			d->ids[i][a] = k++;
		}
	}
	/* the record dimension: the first unlimited one that leads every
	 * variable using it (d->len holds the longest variable's extent) */
	for (int i = 0; i < ds->ndims && d->record < 0; i++)
		if (ds->dims[i].unlimited && leads_all(ds, d, i))
			d->record = i;
	/* else a dimension of length 0 (a .npy of shape (0, ...)) can be
	 * one: the only length 0 the header can say */
	for (int i = 0; i < d->n && d->record < 0; i++)
		if (!d->len[i] && leads_all(ds, d, i))
			d->record = i;
	/* length 0 in the header means "the record dimension": any other
	 * dimension of length 0 cannot be written */
	for (int i = 0; i < d->n; i++) {
		if (d->len[i] || i == d->record)
			continue;
		log_error("dataset '%s': dimension '%s' has length 0 and is "
			  "not the record dimension: no classic format holds it",
			  ds->name, d->names[i]);
		return -EFBIG;
	}
	return 0;
}

static void choose_type(const struct cat_var *v, int cdf5, struct served *s)
{
	s->dtype = v->dtype;
	s->is_unsigned = 0;
	switch (v->dtype) {
	case DTYPE_I8: s->nctype = NC_BYTE; break;
	case DTYPE_U8:
		if (v->nctype == NC_CHAR) {
			s->nctype = NC_CHAR;
		} else {
			s->nctype = cdf5 ? NC_UBYTE : NC_BYTE;
			s->is_unsigned = !cdf5;
		}
		break;
	case DTYPE_I16: s->nctype = NC_SHORT; break;
	case DTYPE_U16:
		s->nctype = cdf5 ? NC_USHORT : NC_SHORT;
		s->is_unsigned = !cdf5;
		break;
	case DTYPE_I32: s->nctype = NC_INT; break;
	case DTYPE_U32:
		s->nctype = cdf5 ? NC_UINT : NC_INT;
		s->is_unsigned = !cdf5;
		break;
	case DTYPE_I64:
		s->nctype = cdf5 ? NC_INT64 : NC_DOUBLE;
		s->dtype = cdf5 ? DTYPE_I64 : DTYPE_F64;
		break;
	case DTYPE_U64:
		s->nctype = cdf5 ? NC_UINT64 : NC_DOUBLE;
		s->dtype = cdf5 ? DTYPE_U64 : DTYPE_F64;
		break;
	case DTYPE_F32: s->nctype = NC_FLOAT; break;
	default: s->nctype = NC_DOUBLE; break;
	}
}

/* 1 if CDF-2 cannot hold the dataset. */
static int needs_cdf5(const struct cat_dataset *ds, const struct dims *d,
		      const struct served *sv)
{
	int last_fixed = -1;

	for (int i = 0; i < d->n; i++)
		if (d->len[i] > 0xffffffffull)
			return 1;
	for (int i = 0; i < ds->nvars; i++) {
		const struct cat_var *v = &ds->vars[sv[i].var];

		if ((v->dtype == DTYPE_I64 || v->dtype == DTYPE_U64) &&
		    (fabs(v->vmin) >= EXACT_DOUBLE || fabs(v->vmax) >=
		     EXACT_DOUBLE))
			return 1;
		if (!sv[i].is_record)
			last_fixed = i;
	}
	for (int i = 0; i < ds->nvars; i++)
		if (sv[i].vsize > CDF2_MAX && (sv[i].is_record ||
					       i != last_fixed ||
					       d->record >= 0))
			return 1;
	return 0;
}

static int by_size(const void *a, const void *b)
{
	const struct served *x = a, *y = b;

	if (x->is_record != y->is_record)
		return x->is_record - y->is_record;
	if (!x->is_record && x->vsize != y->vsize)
		return x->vsize < y->vsize ? -1 : 1;
	return x->var - y->var;
}

/* Sizes of every variable under the chosen format, sorted as stored. */
static void size_vars(const struct cat_dataset *ds, const struct dims *d,
		      int cdf5, struct served *sv)
{
	for (int i = 0; i < ds->nvars; i++) {
		const struct cat_var *v = &ds->vars[i];
		uint64_t n = 1;

		sv[i].var = i;
		choose_type(v, cdf5, &sv[i]);
		sv[i].is_record = v->ndim > 0 && d->record >= 0 &&
			d->ids[i][0] == d->record;
		for (int a = sv[i].is_record ? 1 : 0; a < v->ndim; a++)
			n *= v->shape[a];
		sv[i].bytes = n * dtype_size(sv[i].dtype);
		sv[i].vsize = (sv[i].bytes + 3) / 4 * 4;
	}
	qsort(sv, (size_t)ds->nvars, sizeof(*sv), by_size);
}

static void write_header(struct hdr *h, const struct cat_dataset *ds,
			 const struct dims *d, const struct served *sv,
			 uint64_t numrecs)
{
	h->len = 0;
	put(h, h->cdf5 ? "CDF\x05" : "CDF\x02", 4);
	put_count(h, numrecs);
	if (d->n) {
		put_be(h, TAG_DIMENSION, 4);
		put_count(h, (uint64_t)d->n);
		for (int i = 0; i < d->n; i++) {
			put_name(h, d->names[i]);
			put_count(h, i == d->record ? 0 : d->len[i]);
		}
	} else {
		put_be(h, 0, 4);
		put_count(h, 0);
	}
	put_attrs(h, ds->attrs, ds->nattrs, 0);
	if (!ds->nvars) {
		put_be(h, 0, 4);
		put_count(h, 0);
		return;
	}
	put_be(h, TAG_VARIABLE, 4);
	put_count(h, (uint64_t)ds->nvars);
	for (int i = 0; i < ds->nvars; i++) {
		const struct cat_var *v = &ds->vars[sv[i].var];

		put_name(h, v->name);
		put_count(h, (uint64_t)v->ndim);
		for (int a = 0; a < v->ndim; a++)
			put_count(h, (uint64_t)d->ids[sv[i].var][a]);
		put_attrs(h, v->attrs, v->nattrs, sv[i].is_unsigned);
		put_be(h, (uint64_t)sv[i].nctype, 4);
		if (h->cdf5)
			put_be(h, sv[i].vsize, 8);
		else
			put_be(h, sv[i].vsize > 0xffffffffull ? 0xffffffffull :
			       sv[i].vsize, 4);
		put_be(h, sv[i].begin, 8);
	}
}

/* Appends an extent, merging it with the last one where they continue. */
static int add_extent(struct cat_view *w, size_t *cap, struct cat_extent x)
{
	struct cat_extent *last = w->nextents ? &w->extents[w->nextents - 1] :
		NULL;

	if (!x.length)
		return 0;
	if (last && last->kind == x.kind && x.kind == EXTENT_ZERO) {
		last->length += x.length;
		w->size += x.length;
		return 0;
	}
	if (last && last->kind == EXTENT_VAR && x.kind == EXTENT_VAR &&
	    last->var == x.var && last->dtype == x.dtype &&
	    last->big_endian == x.big_endian) {
		size_t isz = dtype_size((enum dtype)x.dtype);

		if (last->elem + last->length / isz == x.elem) {
			last->length += x.length;
			w->size += x.length;
			return 0;
		}
	}
	if ((size_t)w->nextents == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct cat_extent *ne = realloc(w->extents, nc * sizeof(*ne));

		if (!ne)
			return -ENOMEM;
		w->extents = ne;
		*cap = nc;
	}
	x.offset = w->size;
	w->extents[w->nextents++] = x;
	w->size += x.length;
	return 0;
}

static int add_var_data(struct cat_view *w, size_t *cap,
			const struct served *s, uint64_t elem, uint64_t bytes,
			uint64_t vsize)
{
	struct cat_extent x = { .kind = EXTENT_VAR, .var = s->var,
		.elem = elem, .length = bytes, .big_endian = 1,
		.dtype = s->dtype };
	struct cat_extent pad = { .kind = EXTENT_ZERO,
		.length = vsize - bytes };
	int rc = add_extent(w, cap, x);

	return rc ? rc : add_extent(w, cap, pad);
}

int ncview_build(const struct cat_dataset *ds, struct cat_view *w)
{
	struct dims d = { 0 };
	struct served *sv = NULL;
	struct hdr h = { 0 };
	uint64_t numrecs = 0, pos;
	size_t cap = 0;
	int rc, nrec = 0;

	w->extents = NULL;
	w->nextents = 0;
	w->size = 0;
	w->kind = VIEW_NC;
	rc = dims_build(ds, &d);
	sv = calloc((size_t)ds->nvars + 1, sizeof(*sv));
	if (!rc && !sv)
		rc = -ENOMEM;
	if (rc)
		goto out;
	if (d.record >= 0)
		numrecs = d.len[d.record];
	size_vars(ds, &d, 0, sv);
	h.cdf5 = needs_cdf5(ds, &d, sv);
	if (h.cdf5) {
		size_vars(ds, &d, 1, sv);
		log_info("dataset '%s' is served as CDF-5: CDF-2 cannot hold it",
			 ds->name);
	}
	/* header size does not depend on the begins' values */
	write_header(&h, ds, &d, sv, numrecs);
	pos = h.len;
	for (int i = 0; i < ds->nvars; i++) {
		if (sv[i].is_record) {
			nrec++;
			continue;
		}
		sv[i].begin = pos;
		pos += sv[i].vsize;
	}
	for (int i = 0; i < ds->nvars; i++) {
		if (!sv[i].is_record)
			continue;
		sv[i].begin = pos;
		pos += sv[i].vsize;
	}
	write_header(&h, ds, &d, sv, numrecs);
	if (h.oom) {
		rc = -ENOMEM;
		goto out;
	}
	rc = add_extent(w, &cap, (struct cat_extent){ .kind = EXTENT_BYTES,
			.length = h.len, .bytes = h.b });
	if (rc)
		goto out;
	h.b = NULL;
	for (int i = 0; i < ds->nvars && !rc; i++)
		if (!sv[i].is_record)
			rc = add_var_data(w, &cap, &sv[i], 0, sv[i].bytes,
					  sv[i].vsize);
	for (uint64_t r = 0; r < numrecs && !rc; r++) {
		for (int i = 0; i < ds->nvars && !rc; i++) {
			const struct served *s = &sv[i];
			uint64_t per = s->bytes / dtype_size(s->dtype);

			if (!s->is_record)
				continue;
			if (r >= ds->vars[s->var].shape[0]) {
				/* shorter than the record dimension: fill */
				rc = add_extent(w, &cap, (struct cat_extent){
						.kind = EXTENT_ZERO,
						.length = nrec == 1 ? s->bytes :
						s->vsize });
				continue;
			}
			rc = add_var_data(w, &cap, s, r * per, s->bytes,
					  nrec == 1 ? s->bytes : s->vsize);
		}
	}
out:
	if (rc) {
		for (int i = 0; i < w->nextents; i++)
			free(w->extents[i].bytes);
		free(w->extents);
		w->extents = NULL;
		w->nextents = 0;
		w->size = 0;
	}
	free(h.b);
	free(sv);
	dims_release(&d, ds->nvars);
	return rc;
}
