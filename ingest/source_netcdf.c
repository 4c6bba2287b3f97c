/* SPDX-License-Identifier: MIT */
/* The NetCDF reader: classic and NetCDF-4 via libnetcdf, CF packing undone. */
#include <errno.h>
#include <math.h>
#include <netcdf.h>
#include <stdlib.h>
#include <string.h>

#include "base/dtype.h"
#include "base/format.h"
#include "base/log.h"
#include "ingest/nc_classic.h"
#include "ingest/source.h"

/* The catalog stores nc_type values under base/format.h's names. */
_Static_assert(NCT_BYTE == NC_BYTE && NCT_CHAR == NC_CHAR &&
	       NCT_SHORT == NC_SHORT && NCT_INT == NC_INT &&
	       NCT_FLOAT == NC_FLOAT && NCT_DOUBLE == NC_DOUBLE &&
	       NCT_UBYTE == NC_UBYTE && NCT_USHORT == NC_USHORT &&
	       NCT_UINT == NC_UINT && NCT_INT64 == NC_INT64 &&
	       NCT_UINT64 == NC_UINT64 && NCT_STRING == NC_STRING,
	       "base/format.h's NetCDF types differ from netcdf.h");

#define MISS_MAX 8              /* stored values served as the fill value */
#define UNPACK_CHUNK 1024

/* How to serve one variable of the dataset. */
struct nc_var {
	int varid;
	int xtype;              /* stored external type */
	size_t xsize;           /* bytes of one stored element */
	int packed;             /* served as value * scale + offset */
	double scale, offset;
	int nmiss;              /* stored values replaced by fill[] */
	uint8_t miss[MISS_MAX][8];
	uint8_t fill[8];        /* in the served dtype */
};

struct nc_source {
	int ncid;
	int is_open;
	char *path;
	int warned_string;      /* an NC_STRING attribute was turned to text */
	int nskipped;           /* variables of unsupported types */
	struct nc_var *vars;    /* parallel to meta->vars */
};

/* The dtypes in which the atomic external types we serve are held. */
static const enum dtype xdtypes[NC_UINT64 + 1] = {
	[NC_BYTE] = DTYPE_I8,    [NC_CHAR] = DTYPE_U8,
	[NC_SHORT] = DTYPE_I16,  [NC_INT] = DTYPE_I32,
	[NC_FLOAT] = DTYPE_F32,  [NC_DOUBLE] = DTYPE_F64,
	[NC_UBYTE] = DTYPE_U8,   [NC_USHORT] = DTYPE_U16,
	[NC_UINT] = DTYPE_U32,   [NC_INT64] = DTYPE_I64,
	[NC_UINT64] = DTYPE_U64,
};

static int is_int(int t)
{
	return nct_size(t) && t != NC_CHAR && t != NC_FLOAT && t != NC_DOUBLE;
}

static int is_num(int t)
{
	return nct_size(t) && t != NC_CHAR;
}

/* Element i of an array of external type t (numeric or char) as a double. */
static double xload(int t, const void *p, size_t i)
{
	double d = 0;

	dtype_to_double(xdtypes[t], (const char *)p + i * nct_size(t), &d, 1);
	return d;
}

/*
 * Maps a libnetcdf status to a negative errno, logging libnetcdf's message
 * once: a malformed file is -EINVAL, a system error its errno.
 */
static int nc_fail(int st, const char *path, const char *var)
{
	int rc;

	switch (st) {
	case NC_ENOMEM:
		rc = -ENOMEM;
		break;
	case NC_ENOTNC: case NC_ENOTNC3: case NC_EHDFERR: case NC_ETRUNC:
	case NC_EVARSIZE: case NC_EINVAL: case NC_EFILEMETA:
	case NC_EDIMMETA: case NC_EATTMETA: case NC_EVARMETA:
	case NC_EBADDIM: case NC_EBADTYPE: case NC_ENOTBUILT:
	case NC_EMAXNAME: case NC_EBADNAME:
		rc = -EINVAL;
		break;
	default:
		rc = st > 0 ? -st : -EIO;
		break;
	}
	if (rc == -EINVAL)
		log_error("'%s' is not a readable NetCDF file: %s", path,
			  nc_strerror(st));
	else if (var)
		log_error("cannot read variable '%s' of '%s': %s", var, path,
			  nc_strerror(st));
	else
		log_error("cannot open '%s': %s", path, nc_strerror(st));
	return rc;
}

/* Refuses a classic file shorter than its header says. */
static int check_classic_size(struct nc_source *p)
{
	int fmt;

	if (nc_inq_format(p->ncid, &fmt) || (fmt != NC_FORMAT_CLASSIC &&
	    fmt != NC_FORMAT_64BIT_OFFSET && fmt != NC_FORMAT_CDF5))
		return 0;
	return nc_classic_check_size(p->path);
}

/* Reads an NC_STRING attribute as NC_CHAR, the strings joined by '\n'. */
static int read_string_attr(struct nc_source *p, int varid, const char *name,
			    struct cat_attr *a)
{
	size_t count = a->len, total = 0;
	char **strs = calloc(count + 1, sizeof(char *));
	char *t;
	int st;

	if (!strs)
		return -ENOMEM;
	st = nc_get_att_string(p->ncid, varid, name, strs);
	if (st) {
		free(strs);
		return nc_fail(st, p->path, NULL);
	}
	for (size_t i = 0; i < count; i++)
		total += (strs[i] ? strlen(strs[i]) : 0) + (i > 0);
	a->data = t = malloc(total + 1);
	for (size_t i = 0; t && i < count; i++) {
		size_t n = strs[i] ? strlen(strs[i]) : 0;

		if (i > 0)
			*t++ = '\n';
		memcpy(t, strs[i] ? strs[i] : "", n);
		t += n;
	}
	nc_free_string(count, strs);
	free(strs);
	if (!a->data)
		return -ENOMEM;
	a->type = NC_CHAR;
	a->len = total;
	if (!p->warned_string)
		log_warn("'%s': string attribute '%s' converted to text "
			 "(and any others)", p->path, name);
	p->warned_string = 1;
	return 0;
}

/*
 * Reads every attribute of varid (NC_GLOBAL: the file's) into *out, kept
 * exactly; *n counts those filled, so a failure leaves them freeable.
 */
static int read_attrs(struct nc_source *p, int varid, const char *vname,
		      struct cat_attr **out, int *n)
{
	char name[NC_MAX_NAME + 1];
	int natts, st, rc = 0;

	*n = 0;
	st = nc_inq_varnatts(p->ncid, varid, &natts);
	if (st)
		return nc_fail(st, p->path, vname);
	*out = calloc((size_t)natts + 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (int i = 0; i < natts && !rc; i++) {
		struct cat_attr *a = &(*out)[*n];
		nc_type type;
		size_t len;

		st = nc_inq_attname(p->ncid, varid, i, name);
		if (!st)
			st = nc_inq_att(p->ncid, varid, name, &type, &len);
		if (st)
			return nc_fail(st, p->path, vname);
		if (type != NC_STRING && !nct_size(type)) {
			log_warn("'%s': attribute '%s%s%s' of unsupported type "
				 "skipped", p->path, vname ? vname : "",
				 vname ? ":" : "", name);
			continue;
		}
		if (!(a->name = strdup(name)))
			return -ENOMEM;
		(*n)++;
		a->type = type;
		a->len = len;
		if (type == NC_STRING) {
			a->data = NULL;
			rc = read_string_attr(p, varid, name, a);
			continue;
		}
		if (!(a->data = malloc(len * nct_size(type) + 1)))
			return -ENOMEM;
		st = nc_get_att(p->ncid, varid, name, a->data);
		if (st)
			rc = nc_fail(st, p->path, vname);
	}
	return rc;
}

static int find_attr(const struct cat_var *v, const char *name)
{
	for (int i = 0; i < v->nattrs; i++)
		if (!strcmp(v->attrs[i].name, name))
			return i;
	return -1;
}

static void drop_attr(struct cat_var *v, int i)
{
	free(v->attrs[i].name);
	free(v->attrs[i].data);
	memmove(&v->attrs[i], &v->attrs[i + 1],
		sizeof(*v->attrs) * (size_t)(v->nattrs - i - 1));
	v->nattrs--;
}

/* A stored value as served: unpacked if the variable is packed. */
static double physical(const struct nc_var *nv, double raw)
{
	return nv->packed ? raw * nv->scale + nv->offset : raw;
}

/*
 * Decides whether an integer variable is CF-packed: a scale_factor or
 * add_offset of one number each. Sets the served dtype; leaves attrs.
 */
static void setup_packing(struct nc_source *p, struct cat_var *v,
			  struct nc_var *nv)
{
	int is = find_attr(v, "scale_factor"), io = find_attr(v, "add_offset");
	const struct cat_attr *s = is >= 0 ? &v->attrs[is] : NULL;
	const struct cat_attr *o = io >= 0 ? &v->attrs[io] : NULL;
	int dbl;

	if (!is_int(nv->xtype) || (!s && !o))
		return;
	if ((s && (!is_num(s->type) || s->len != 1)) ||
	    (o && (!is_num(o->type) || o->len != 1))) {
		log_warn("'%s': variable '%s' has a malformed scale_factor or "
			 "add_offset and is left packed", p->path, v->name);
		return;
	}
	nv->packed = 1;
	nv->scale = s ? xload(s->type, s->data, 0) : 1.0;
	nv->offset = o ? xload(o->type, o->data, 0) : 0.0;
	/* CF: a double scale means double values; narrow ints fit float. */
	dbl = (s && s->type == NC_DOUBLE) || (o && o->type == NC_DOUBLE);
	if (dbl && nv->xsize >= 4) {
		v->dtype = DTYPE_F64;
		v->nctype = NC_DOUBLE;
	} else {
		v->dtype = DTYPE_F32;
		v->nctype = NC_FLOAT;
	}
}

/*
 * Element i of a numeric attribute as the served value of v, in v's dtype.
 * For a packed variable an integer attribute is in packed units (CF) and
 * is unpacked; a floating one is taken as already physical.
 */
static void attr_served(const struct nc_var *nv, const struct cat_var *v,
			const struct cat_attr *a, size_t i, uint8_t *out)
{
	double d = xload(a->type, a->data, i);

	if (is_int(a->type))
		d = physical(nv, d);
	dtype_from_double(v->dtype, &d, out, 1);
}

/*
 * Element i of an attribute as a stored value of the variable's type:
 * 0, or -ERANGE if it is not one (not numeric, or out of range).
 */
static int attr_stored(const struct nc_var *nv, const struct cat_attr *a,
		       size_t i, uint8_t *out)
{
	enum dtype t = xdtypes[nv->xtype];
	double d;

	if (a->type == nv->xtype) {
		memcpy(out, (const char *)a->data + i * nv->xsize, nv->xsize);
		return 0;
	}
	if (!is_num(a->type) || (nv->packed && !is_int(a->type)))
		return -ERANGE;
	d = xload(a->type, a->data, i);
	dtype_from_double(t, &d, out, 1);
	return dtype_is_float(t) || xload(nv->xtype, out, 0) == d ? 0 : -ERANGE;
}

static void add_miss(struct nc_source *p, const struct cat_var *v,
		     struct nc_var *nv, const uint8_t *raw)
{
	for (int i = 0; i < nv->nmiss; i++)
		if (!memcmp(nv->miss[i], raw, nv->xsize))
			return;
	if (nv->nmiss == MISS_MAX) {
		log_warn("'%s': variable '%s': more than %d missing values, "
			 "the rest ignored", p->path, v->name, MISS_MAX);
		return;
	}
	memcpy(nv->miss[nv->nmiss++], raw, nv->xsize);
}

/*
 * The fill value: _FillValue, else missing_value, in the served dtype.
 * Stored values equal to either (all of missing_value's elements) are
 * listed in nv->miss, to be served as exactly fill[] where they would
 * not be anyway (packed variables, a missing_value unlike _FillValue).
 */
static void setup_fill(struct nc_source *p, struct cat_var *v,
		       struct nc_var *nv)
{
	int fi = find_attr(v, "_FillValue"), mi = find_attr(v, "missing_value");
	const struct cat_attr *f = fi >= 0 ? &v->attrs[fi] : NULL;
	const struct cat_attr *m = mi >= 0 ? &v->attrs[mi] : NULL;
	const struct cat_attr *src = f && f->len ? f : m && m->len ? m : NULL;
	uint8_t fraw[8], raw[8];
	int have_fraw, differs = 0;
	double d;

	if (!src)
		return;
	if (!is_num(src->type) && !(src->type == NC_CHAR &&
				    nv->xtype == NC_CHAR)) {
		log_warn("'%s': variable '%s': %s is not a number, ignored",
			 p->path, v->name, src == f ? "_FillValue" :
			 "missing_value");
		return;
	}
	have_fraw = !attr_stored(nv, src, 0, fraw);
	if (nv->packed)
		attr_served(nv, v, src, 0, nv->fill);
	else if (have_fraw)
		memcpy(nv->fill, fraw, nv->xsize);
	else
		return;
	memcpy(v->fill, nv->fill, sizeof(v->fill));
	dtype_to_double(v->dtype, nv->fill, &d, 1);
	v->has_fill = !isnan(d);
	if (nv->packed && have_fraw)
		add_miss(p, v, nv, fraw);
	for (size_t i = 0; m && i < m->len; i++) {
		if (attr_stored(nv, m, i, raw))
			continue;
		dtype_to_double(xdtypes[nv->xtype], raw, &d, 1);
		if (isnan(d) || (have_fraw && !memcmp(raw, fraw, nv->xsize)))
			continue;
		differs = 1;
		add_miss(p, v, nv, raw);
	}
	if (differs && src == f)
		log_info("'%s': variable '%s': missing_value differs from "
			 "_FillValue, both served as _FillValue", p->path,
			 v->name);
}

/* Drops scale_factor/add_offset and restates the value attributes. */
static int unpack_attrs(struct cat_var *v, const struct nc_var *nv)
{
	static const char *const names[] = { "_FillValue", "missing_value",
		"valid_min", "valid_max", "valid_range" };
	size_t osz = dtype_size(v->dtype);
	int i;

	if ((i = find_attr(v, "scale_factor")) >= 0)
		drop_attr(v, i);
	if ((i = find_attr(v, "add_offset")) >= 0)
		drop_attr(v, i);
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		struct cat_attr *a;
		uint8_t *data;

		if ((i = find_attr(v, names[k])) < 0 ||
		    !is_num(v->attrs[i].type))
			continue;
		a = &v->attrs[i];
		if (!(data = malloc(a->len * osz + 1)))
			return -ENOMEM;
		for (size_t e = 0; e < a->len; e++)
			attr_served(nv, v, a, e, data + e * osz);
		free(a->data);
		a->data = data;
		a->type = v->nctype;
	}
	return 0;
}

/* Reads the dimensions of the root group, in id order. */
static int read_dims(struct nc_source *p, struct cat_dataset *ds, int **ids)
{
	char name[NC_MAX_NAME + 1];
	int n, nun, *un = NULL, st;
	int rc = 0;

	st = nc_inq_dimids(p->ncid, &n, NULL, 0);
	if (!st)
		st = nc_inq_unlimdims(p->ncid, &nun, NULL);
	if (st)
		return nc_fail(st, p->path, NULL);
	*ids = calloc((size_t)n + 1, sizeof(int));
	un = calloc((size_t)nun + 1, sizeof(int));
	ds->dims = calloc((size_t)n + 1, sizeof(*ds->dims));
	if (!*ids || !un || !ds->dims) {
		rc = -ENOMEM;
		goto out;
	}
	st = nc_inq_dimids(p->ncid, &n, *ids, 0);
	if (!st)
		st = nc_inq_unlimdims(p->ncid, &nun, un);
	if (st) {
		rc = nc_fail(st, p->path, NULL);
		goto out;
	}
	for (int i = 1; i < n; i++)     /* id order; usually already so */
		for (int j = i; j > 0 && (*ids)[j - 1] > (*ids)[j]; j--) {
			int t = (*ids)[j];

			(*ids)[j] = (*ids)[j - 1];
			(*ids)[j - 1] = t;
		}
	for (int i = 0; i < n; i++) {
		struct cat_dim *d = &ds->dims[i];
		size_t len;

		st = nc_inq_dim(p->ncid, (*ids)[i], name, &len);
		if (st) {
			rc = nc_fail(st, p->path, NULL);
			goto out;
		}
		if (!(d->name = strdup(name))) {
			rc = -ENOMEM;
			goto out;
		}
		ds->ndims++;
		d->len = len;
		for (int u = 0; u < nun; u++)
			d->unlimited |= un[u] == (*ids)[i];
	}
out:
	free(un);
	return rc;
}

/* Fills one variable's description; v is counted in ds already. */
static int read_var(struct nc_source *p, struct cat_dataset *ds,
		    const int *dimids_nc, int varid, struct cat_var *v,
		    struct nc_var *nv, const char *name, int xtype, int ndim,
		    const int *dims)
{
	uint64_t elems = 1, bytes;
	int rc, big = 0;

	nv->varid = varid;
	nv->xtype = xtype;
	nv->xsize = nct_size(xtype);
	v->nctype = xtype;
	v->dtype = xdtypes[xtype];
	v->ndim = ndim;
	v->name = strdup(name);
	v->shape = calloc((size_t)ndim + 1, sizeof(*v->shape));
	v->dimids = calloc((size_t)ndim + 1, sizeof(*v->dimids));
	if (!v->name || !v->shape || !v->dimids)
		return -ENOMEM;
	for (int d = 0; d < ndim; d++) {
		int k = 0;

		while (k < ds->ndims && dimids_nc[k] != dims[d])
			k++;
		if (k == ds->ndims) {
			log_error("'%s' is not a readable NetCDF file: "
				  "variable '%s' has a dimension outside the "
				  "root group", p->path, name);
			return -EINVAL;
		}
		v->dimids[d] = k;
		v->shape[d] = ds->dims[k].len;
		big |= __builtin_mul_overflow(elems, v->shape[d], &elems);
	}
	rc = read_attrs(p, varid, name, &v->attrs, &v->nattrs);
	if (rc)
		return rc;
	setup_packing(p, v, nv);
	setup_fill(p, v, nv);
	if (nv->packed && (rc = unpack_attrs(v, nv)))
		return rc;
	big |= __builtin_mul_overflow(elems, dtype_size(v->dtype), &bytes);
	big |= __builtin_mul_overflow(elems, nv->xsize, &bytes);
	if (big) {
		log_error("'%s': variable '%s' is too large", p->path, name);
		return -EFBIG;
	}
	return 0;
}

/* Reads the variables of the root group of supported types, in id order. */
static int read_vars(struct nc_source *p, struct cat_dataset *ds,
		     const int *dimids_nc)
{
	char name[NC_MAX_NAME + 1];
	int n, *ids = NULL, dims[NC_MAX_VAR_DIMS];
	int st, rc = 0;

	st = nc_inq_varids(p->ncid, &n, NULL);
	if (st)
		return nc_fail(st, p->path, NULL);
	ids = calloc((size_t)n + 1, sizeof(int));
	ds->vars = calloc((size_t)n + 1, sizeof(*ds->vars));
	p->vars = calloc((size_t)n + 1, sizeof(*p->vars));
	if (!ids || !ds->vars || !p->vars) {
		rc = -ENOMEM;
		goto out;
	}
	st = nc_inq_varids(p->ncid, &n, ids);
	for (int i = 0; i < n && !st && !rc; i++) {
		nc_type xtype;
		int ndim;

		st = nc_inq_var(p->ncid, ids[i], name, &xtype, &ndim, NULL,
				NULL);
		if (!st && (ndim < 0 || ndim > NC_MAX_VAR_DIMS)) {
			log_error("'%s' is not a readable NetCDF file: "
				  "variable '%s' has %d dimensions", p->path,
				  name, ndim);
			rc = -EINVAL;
			break;
		}
		if (!st)
			st = nc_inq_vardimid(p->ncid, ids[i], dims);
		if (st)
			break;
		if (!nct_size(xtype)) {
			log_warn("'%s': variable '%s' of unsupported type "
				 "skipped", p->path, name);
			p->nskipped++;
			rc = source_note_skipped(ds, name);
			if (rc)
				break;
			continue;
		}
		rc = read_var(p, ds, dimids_nc, ids[i], &ds->vars[ds->nvars],
			      &p->vars[ds->nvars], name, xtype, ndim, dims);
		ds->nvars++;
	}
	if (st)
		rc = nc_fail(st, p->path, NULL);
out:
	free(ids);
	return rc;
}

/*
 * Unpacks n stored elements at src into served ones at dst, which may be
 * src itself when stored elements are no larger: chunks go backwards.
 */
static void unpack(const struct nc_var *nv, enum dtype t, const void *src,
		   void *dst, size_t n)
{
	size_t osz = dtype_size(t);
	uint8_t raw[UNPACK_CHUNK * 8], cooked[UNPACK_CHUNK * 8];
	double d[UNPACK_CHUNK];

	for (size_t end = n; end > 0;) {
		size_t cnt = end < UNPACK_CHUNK ? end : UNPACK_CHUNK;
		size_t first = end - cnt;

		memcpy(raw, (const uint8_t *)src + first * nv->xsize,
		       cnt * nv->xsize);
		dtype_to_double(xdtypes[nv->xtype], raw, d, cnt);
		for (size_t i = 0; i < cnt; i++)
			d[i] = physical(nv, d[i]);
		dtype_from_double(t, d, cooked, cnt);
		for (int m = 0; m < nv->nmiss; m++)
			for (size_t i = 0; i < cnt; i++)
				if (!memcmp(raw + i * nv->xsize, nv->miss[m],
					    nv->xsize))
					memcpy(cooked + i * osz, nv->fill, osz);
		memcpy((uint8_t *)dst + first * osz, cooked, cnt * osz);
		end = first;
	}
}

/* Serves the extra missing values of an unpacked variable as fill[]. */
static void remap_missing(const struct nc_var *nv, void *buf, size_t n)
{
	uint8_t *b = buf;

	for (size_t i = 0; i < n; i++, b += nv->xsize)
		for (int m = 0; m < nv->nmiss; m++)
			if (!memcmp(b, nv->miss[m], nv->xsize))
				memcpy(b, nv->fill, nv->xsize);
}

static int nc_read_frames(struct source *s, int var, uint64_t first,
			  uint64_t n, void *dst)
{
	struct nc_source *p = s->priv;
	const struct cat_var *v;
	const struct nc_var *nv;
	size_t start[NC_MAX_VAR_DIMS], count[NC_MAX_VAR_DIMS];
	uint64_t elems = n;
	void *buf = dst, *scratch = NULL;
	int st, rc = 0;

	if (var < 0 || var >= s->meta->nvars) {
		log_error("'%s': no variable %d", p->path, var);
		return -EINVAL;
	}
	v = &s->meta->vars[var];
	nv = &p->vars[var];
	if (v->ndim >= 2 ? first > v->shape[0] || n > v->shape[0] - first :
	    first != 0 || n != 1) {
		log_error("'%s': frames %llu+%llu of variable '%s' are out of "
			  "range", p->path, (unsigned long long)first,
			  (unsigned long long)n, v->name);
		return -EINVAL;
	}
	for (int i = 0; i < v->ndim; i++) {
		int along = i == 0 && v->ndim >= 2;

		start[i] = along ? (size_t)first : 0;
		count[i] = along ? (size_t)n : (size_t)v->shape[i];
		if (!along)
			elems *= v->shape[i];
	}
	if (nv->packed && nv->xsize > dtype_size(v->dtype)) {
		scratch = malloc(elems * nv->xsize + 1);
		if (!scratch)
			return -ENOMEM;
		buf = scratch;
	}
	st = nc_get_vara(p->ncid, nv->varid, start, count, buf);
	if (st) {
		rc = nc_fail(st, p->path, v->name);
		goto out;
	}
	if (nv->packed)
		unpack(nv, v->dtype, buf, dst, (size_t)elems);
	else if (nv->nmiss)
		remap_missing(nv, dst, (size_t)elems);
out:
	free(scratch);
	return rc;
}

static void nc_source_close(struct source *s)
{
	struct nc_source *p = s->priv;

	if (!p)
		return;
	if (p->is_open)
		nc_close(p->ncid);
	free(p->vars);
	free(p->path);
	free(p);
	s->priv = NULL;
}

static const struct source_ops netcdf_ops = {
	.kind = "netcdf",
	.read_frames = nc_read_frames,
	.close = nc_source_close,
};

int source_netcdf_open(const char *path, struct source **out)
{
	struct source *s = NULL;
	struct nc_source *p = NULL;
	int *dimids = NULL, st, ngrps = 0, rc;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	p = calloc(1, sizeof(*p));
	if (!s || !p || !(s->meta = calloc(1, sizeof(*s->meta))) ||
	    !(p->path = strdup(path))) {
		free(p);
		rc = -ENOMEM;
		goto out;
	}
	s->ops = &netcdf_ops;
	s->priv = p;
	st = nc_open(path, NC_NOWRITE, &p->ncid);
	if (st) {
		rc = nc_fail(st, path, NULL);
		goto out;
	}
	p->is_open = 1;
	rc = check_classic_size(p);
	if (!rc)
		rc = read_dims(p, s->meta, &dimids);
	if (!rc)
		rc = read_attrs(p, NC_GLOBAL, NULL, &s->meta->attrs,
				&s->meta->nattrs);
	if (!rc)
		rc = read_vars(p, s->meta, dimids);
	if (rc)
		goto out;
	if (!nc_inq_grps(p->ncid, &ngrps, NULL) && ngrps > 0)
		log_warn("'%s': %d group%s besides the root skipped", path,
			 ngrps, ngrps > 1 ? "s" : "");
	if (p->nskipped)
		log_info("'%s': %d variables read, %d skipped", path,
			 s->meta->nvars, p->nskipped);
	*out = s;
	s = NULL;
out:
	free(dimids);
	source_free(s);
	return rc;
}
