/* SPDX-License-Identifier: MIT */
/* Generating the Zarr v2 metadata of a dataset (JSON documents) and naming its chunks. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dtype.h"
#include "ingest/zarr.h"

/* A growing text; oom set once an allocation failed. */
struct text {
	char *s;
	size_t len, cap;
	int oom;
};

static void put(struct text *t, const char *p, size_t n)
{
	if (t->oom)
		return;
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		char *ns;

		while (cap < t->len + n + 1)
			cap *= 2;
		ns = realloc(t->s, cap);
		if (!ns) {
			t->oom = 1;
			return;
		}
		t->s = ns;
		t->cap = cap;
	}
	memcpy(t->s + t->len, p, n);
	t->len += n;
	t->s[t->len] = '\0';
}

static void puts_(struct text *t, const char *s)
{
	put(t, s, strlen(s));
}

static void putf(struct text *t, const char *fmt, ...)
{
	char b[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(t, b, (size_t)n < sizeof(b) ? (size_t)n : sizeof(b) - 1);
}

/* The length of the UTF-8 sequence at s (of n bytes left), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t k = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 :
		s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : 0;

	if (!k || k > n)
		return 0;
	for (size_t i = 1; i < k; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if (k == 3 && s[0] == 0xe0 && s[1] < 0xa0)
		return 0;
	if (k == 3 && s[0] == 0xed && s[1] >= 0xa0)	/* surrogates */
		return 0;
	if (k == 4 && ((s[0] == 0xf0 && s[1] < 0x90) ||
		       (s[0] == 0xf4 && s[1] >= 0x90)))
		return 0;
	return k;
}

/* A JSON string of the n bytes at p: bytes that are not UTF-8 are taken
 * as Latin-1 (\u00XX), so that any attribute gives valid JSON. */
static void put_str(struct text *t, const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;

	puts_(t, "\"");
	for (size_t i = 0; i < n; i++) {
		size_t k;

		if (s[i] == '"' || s[i] == '\\') {
			putf(t, "\\%c", s[i]);
		} else if (s[i] == '\n') {
			puts_(t, "\\n");
		} else if (s[i] == '\t') {
			puts_(t, "\\t");
		} else if (s[i] < 0x20 || s[i] == 0x7f) {
			putf(t, "\\u%04x", s[i]);
		} else if (s[i] < 0x80) {
			put(t, p + i, 1);
		} else if ((k = utf8_len(s + i, n - i))) {
			put(t, p + i, k);
			i += k - 1;
		} else {
			putf(t, "\\u%04x", s[i]);
		}
	}
	puts_(t, "\"");
}

/* A double as JSON: exact (17 digits), NaN and infinities as Python's
 * json module writes and reads them. */
static void put_double(struct text *t, double d, int quoted)
{
	const char *q = quoted ? "\"" : "";

	if (isnan(d))
		putf(t, "%sNaN%s", q, q);
	else if (isinf(d))
		putf(t, "%s%sInfinity%s", q, d < 0 ? "-" : "", q);
	else if (d == floor(d) && fabs(d) < 1e16)
		putf(t, "%.1f", d);
	else
		putf(t, "%.17g", d);
}

/* Element i of an attribute's values (NCT_* type, native order). */
static void put_attr_value(struct text *t, int type, const void *data,
			   size_t i)
{
	const char *p = (const char *)data + i * nct_size((uint64_t)type);

	switch (type) {
	case NCT_BYTE: putf(t, "%d", *(const int8_t *)p); break;
	case NCT_UBYTE: putf(t, "%u", *(const uint8_t *)p); break;
	case NCT_SHORT: { int16_t x; memcpy(&x, p, 2); putf(t, "%d", x); }
		break;
	case NCT_USHORT: { uint16_t x; memcpy(&x, p, 2); putf(t, "%u", x); }
		break;
	case NCT_INT: { int32_t x; memcpy(&x, p, 4); putf(t, "%" PRId32, x); }
		break;
	case NCT_UINT: { uint32_t x; memcpy(&x, p, 4); putf(t, "%" PRIu32, x); }
		break;
	case NCT_INT64: { int64_t x; memcpy(&x, p, 8); putf(t, "%" PRId64, x); }
		break;
	case NCT_UINT64: { uint64_t x; memcpy(&x, p, 8);
		putf(t, "%" PRIu64, x); }
		break;
	case NCT_FLOAT: { float x; memcpy(&x, p, 4); put_double(t, x, 0); }
		break;
	default: { double x; memcpy(&x, p, 8); put_double(t, x, 0); }
		break;
	}
}

/* An attribute as "name": value (a string, a number, or a list). */
static void put_attr(struct text *t, const struct cat_attr *a)
{
	put_str(t, a->name, strlen(a->name));
	puts_(t, ": ");
	if (a->type == NCT_CHAR) {
		size_t n = a->len;

		/* C strings stored with their terminator */
		while (n && !((const char *)a->data)[n - 1])
			n--;
		put_str(t, a->data, n);
		return;
	}
	if (a->len != 1)
		puts_(t, "[");
	for (size_t i = 0; i < a->len; i++) {
		if (i)
			puts_(t, ", ");
		put_attr_value(t, a->type, a->data, i);
	}
	if (a->len != 1)
		puts_(t, "]");
}

static int attr_ok(const struct cat_attr *a)
{
	return nct_size((uint64_t)a->type) != 0 && a->type != NCT_STRING &&
		(a->len || a->type == NCT_CHAR);
}

/* An object of attributes; first: "_ARRAY_DIMENSIONS" of names[0..n)
 * unless names is NULL. */
static void put_attrs(struct text *t, const struct cat_attr *a, int na,
		      const char *const *names, int n)
{
	int items = 0;

	puts_(t, "{");
	if (names) {
		puts_(t, "\n    \"_ARRAY_DIMENSIONS\": [");
		for (int i = 0; i < n; i++) {
			if (i)
				puts_(t, ", ");
			put_str(t, names[i], strlen(names[i]));
		}
		puts_(t, "]");
		items++;
	}
	for (int i = 0; i < na; i++) {
		if (!attr_ok(&a[i]) || (names && !strcmp(a[i].name,
							 "_ARRAY_DIMENSIONS")))
			continue;
		puts_(t, items++ ? ",\n    " : "\n    ");
		put_attr(t, &a[i]);
	}
	puts_(t, items ? "\n}" : "}");
}

/* The attribute called name, or NULL. */
static const struct cat_attr *attr_named(const struct cat_var *v,
					 const char *name)
{
	for (int i = 0; i < v->nattrs; i++)
		if (!strcmp(v->attrs[i].name, name) && attr_ok(&v->attrs[i]) &&
		    v->attrs[i].type != NCT_CHAR)
			return &v->attrs[i];
	return NULL;
}

/* The fill value: the _FillValue attribute in the array's type, or null. */
static void put_fill(struct text *t, const struct cat_var *v)
{
	const struct cat_attr *a = attr_named(v, "_FillValue");
	double d = 0;

	if (!a || v->nctype == NCT_CHAR) {
		puts_(t, "null");
		return;
	}
	switch (a->type) {
	case NCT_BYTE: d = *(const int8_t *)a->data; break;
	case NCT_UBYTE: d = *(const uint8_t *)a->data; break;
	case NCT_SHORT: { int16_t x; memcpy(&x, a->data, 2); d = x; } break;
	case NCT_USHORT: { uint16_t x; memcpy(&x, a->data, 2); d = x; }
		break;
	case NCT_INT: { int32_t x; memcpy(&x, a->data, 4); d = x; } break;
	case NCT_UINT: { uint32_t x; memcpy(&x, a->data, 4); d = x; } break;
	case NCT_FLOAT: { float x; memcpy(&x, a->data, 4); d = x; } break;
	case NCT_INT64: case NCT_UINT64:
		if (!dtype_is_float(v->dtype)) {
			/* exact, whatever its size */
			put_attr_value(t, a->type, a->data, 0);
			return;
		}
		if (a->type == NCT_INT64) {
			int64_t x;
			memcpy(&x, a->data, 8);
			d = (double)x;
		} else {
			uint64_t x;
			memcpy(&x, a->data, 8);
			d = (double)x;
		}
		break;
	default: memcpy(&d, a->data, 8); break;
	}
	if (dtype_is_float(v->dtype)) {
		if (v->dtype == DTYPE_F32)
			d = (float)d;
		put_double(t, d, 1);
	} else {
		/* a signed attribute of an unsigned variable (_Unsigned):
		 * the same bits */
		if (d < 0 && !dtype_is_signed(v->dtype))
			d += ldexp(1.0, 8 * (int)dtype_size(v->dtype));
		if (d >= dtype_min(v->dtype) && d <= dtype_max(v->dtype))
			putf(t, "%.0f", d);
		else
			puts_(t, "null");
	}
}

void zarr_chunks(const struct cat_var *v, uint64_t *nchunks,
		 uint64_t *chunk_elems)
{
	uint64_t all = catalog_var_elems(v);

	if (v->ndim >= 3 && all) {
		*nchunks = v->shape[0];
		*chunk_elems = all / v->shape[0];
	} else {
		*nchunks = all ? 1 : 0;
		*chunk_elems = all;
	}
}

/* The array's dtype: numpy's code with the byte order of the chunks. */
static void put_dtype(struct text *t, const struct cat_var *v)
{
	if (v->nctype == NCT_CHAR)
		puts_(t, "\"|S1\"");
	else
		putf(t, "\"%c%s\"", dtype_size(v->dtype) == 1 ? '|' : '<',
		     dtype_npy_code(v->dtype));
}

static void put_zarray(struct text *t, const struct cat_var *v)
{
	uint64_t n, ce;

	zarr_chunks(v, &n, &ce);
	puts_(t, "{\n    \"chunks\": [");
	for (int a = 0; a < v->ndim; a++) {
		uint64_t c = v->ndim >= 3 && a == 0 ? 1 : v->shape[a];

		putf(t, "%s%" PRIu64, a ? ", " : "", c ? c : 1);
	}
	puts_(t, "],\n    \"compressor\": null,\n    \"dtype\": ");
	put_dtype(t, v);
	puts_(t, ",\n    \"fill_value\": ");
	put_fill(t, v);
	puts_(t, ",\n    \"filters\": null,\n    \"order\": \"C\",\n"
	      "    \"shape\": [");
	for (int a = 0; a < v->ndim; a++)
		putf(t, "%s%" PRIu64, a ? ", " : "", v->shape[a]);
	puts_(t, "],\n    \"zarr_format\": 2\n}");
}

/* 1 if a variable's name can be an array's directory. */
static int name_ok(const char *s)
{
	return s[0] && s[0] != '.' && !strchr(s, '/');
}

/* Takes t's text (NULL out of memory). */
static char *take(struct text *t)
{
	char *s = t->oom ? NULL : t->s;

	if (!s)
		free(t->s);
	*t = (struct text){ 0 };
	return s;
}

/* "key": doc, in .zmetadata. */
static void put_doc(struct text *t, const char *prefix, const char *key,
		    const char *doc, int *items)
{
	struct text k = { 0 };

	puts_(&k, prefix);
	puts_(&k, key);
	puts_(t, (*items)++ ? ",\n" : "\n");
	put_str(t, k.s ? k.s : "", k.len);
	puts_(t, ": ");
	puts_(t, doc);
	t->oom |= k.oom;
	free(k.s);
}

/* The dimension names of every variable, anonymous axes named dim_<k>
 * in the order the .nc view (ingest/ncview.c) numbers them. */
static int dim_names(const struct cat_dataset *ds, char ***out)
{
	size_t total = 0;
	char **names;
	int k = 0;

	for (int i = 0; i < ds->nvars; i++)
		total += (size_t)ds->vars[i].ndim;
	names = calloc(total + 1, sizeof(*names));
	if (!names)
		return -ENOMEM;
	total = 0;
	for (int i = 0; i < ds->nvars; i++) {
		const struct cat_var *v = &ds->vars[i];

		for (int a = 0; a < v->ndim; a++, total++) {
			int d = v->dimids[a];

			if (d >= 0 && d < ds->ndims)
				names[total] = strdup(ds->dims[d].name);
			else if (asprintf(&names[total], "dim_%d", k++) < 0)
				names[total] = NULL;
			if (!names[total]) {
				while (total)
					free(names[--total]);
				free(names);
				return -ENOMEM;
			}
		}
	}
	*out = names;
	return 0;
}

int zarr_meta_build(const struct cat_dataset *ds, struct zarr_meta *m)
{
	struct text t = { 0 }, all = { 0 };
	char **names = NULL;
	size_t at = 0;
	int rc, items = 0;

	*m = (struct zarr_meta){ 0 };
	rc = dim_names(ds, &names);
	if (rc)
		return rc;
	m->arrays = calloc((size_t)ds->nvars + 1, sizeof(*m->arrays));
	m->zgroup = strdup("{\n    \"zarr_format\": 2\n}");
	put_attrs(&t, ds->attrs, ds->nattrs, NULL, 0);
	m->zattrs = take(&t);
	if (!m->arrays || !m->zgroup || !m->zattrs)
		goto oom;
	puts_(&all, "{\n\"metadata\": {");
	put_doc(&all, "", ".zattrs", m->zattrs, &items);
	put_doc(&all, "", ".zgroup", m->zgroup, &items);
	for (int i = 0; i < ds->nvars; at += (size_t)ds->vars[i++].ndim) {
		const struct cat_var *v = &ds->vars[i];
		struct zarr_array *a = &m->arrays[m->narrays];
		char prefix[CATALOG_NAME_MAX + 2];

		if (!name_ok(v->name))
			continue;
		a->var = i;
		zarr_chunks(v, &a->nchunks, &a->chunk_elems);
		a->chunk_bytes = a->chunk_elems * dtype_size(v->dtype);
		put_zarray(&t, v);
		a->zarray = take(&t);
		put_attrs(&t, v->attrs, v->nattrs,
			  (const char *const *)names + at, v->ndim);
		a->zattrs = take(&t);
		m->narrays++;
		if (!a->zarray || !a->zattrs)
			goto oom;
		snprintf(prefix, sizeof(prefix), "%s/", v->name);
		put_doc(&all, prefix, ".zarray", a->zarray, &items);
		put_doc(&all, prefix, ".zattrs", a->zattrs, &items);
	}
	puts_(&all, "\n},\n\"zarr_consolidated_format\": 1\n}");
	m->zmetadata = take(&all);
	if (!m->zmetadata)
		goto oom;
	rc = 0;
	goto out;
oom:
	free(all.s);
	free(t.s);
	zarr_meta_release(m);
	rc = -ENOMEM;
out:
	for (size_t i = 0; names && names[i]; i++)
		free(names[i]);
	free(names);
	return rc;
}

void zarr_meta_release(struct zarr_meta *m)
{
	for (int i = 0; m->arrays && i < m->narrays; i++) {
		free(m->arrays[i].zarray);
		free(m->arrays[i].zattrs);
	}
	free(m->arrays);
	free(m->zgroup);
	free(m->zattrs);
	free(m->zmetadata);
	*m = (struct zarr_meta){ 0 };
}

int zarr_chunk_name(const struct cat_var *v, uint64_t i, char *buf,
		    size_t cap)
{
	int n = snprintf(buf, cap, "%" PRIu64, i);

	for (int a = 1; a < v->ndim && n >= 0 && (size_t)n < cap; a++)
		n += snprintf(buf + n, cap - (size_t)n, ".0");
	return n < 0 || (size_t)n >= cap ? -ERANGE : n;
}

int zarr_chunk_parse(const struct cat_var *v, const char *name,
		     uint64_t *i)
{
	uint64_t n, ce, x = 0;
	const char *p = name;

	zarr_chunks(v, &n, &ce);
	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' &&
				     p[1] <= '9'))
		return -ENOENT;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (x > (UINT64_MAX - 9) / 10)
			return -ENOENT;
		x = x * 10 + (uint64_t)(*p - '0');
	}
	for (int a = 1; a < v->ndim; a++, p += 2)
		if (p[0] != '.' || p[1] != '0')
			return -ENOENT;
	if (*p || x >= n)
		return -ENOENT;
	*i = x;
	return 0;
}
