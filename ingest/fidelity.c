/* SPDX-License-Identifier: MIT */
/* Roles, exact values and valid ranges of a source's variables, from attributes and one pass over values. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "codec/correct.h"
#include "codec/mask.h"
#include "ingest/fidelity.h"

/* Element i of a numeric attribute as a double; NAN if it is not one. */
static double attr_num(const struct cat_attr *a, size_t i)
{
	static const enum dtype t[] = {
		[NCT_BYTE] = DTYPE_I8, [NCT_SHORT] = DTYPE_I16,
		[NCT_INT] = DTYPE_I32, [NCT_FLOAT] = DTYPE_F32,
		[NCT_DOUBLE] = DTYPE_F64, [NCT_UBYTE] = DTYPE_U8,
		[NCT_USHORT] = DTYPE_U16, [NCT_UINT] = DTYPE_U32,
		[NCT_INT64] = DTYPE_I64, [NCT_UINT64] = DTYPE_U64,
	};
	double d;

	if (a->type < 0 || a->type > NCT_UINT64 || !t[a->type] ||
	    i >= a->len)
		return NAN;
	dtype_to_double(t[a->type], (const char *)a->data +
			i * dtype_size(t[a->type]), &d, 1);
	return d;
}

static const struct cat_attr *find(const struct cat_var *v, const char *name)
{
	for (int i = 0; i < v->nattrs; i++)
		if (!strcmp(v->attrs[i].name, name))
			return &v->attrs[i];
	return NULL;
}

/* 1 if text attribute `name` of v is one of the words in `list`
 * ("a|b|c"), compared whole and without case. */
static int text_is(const struct cat_var *v, const char *name,
		   const char *list)
{
	const struct cat_attr *a = find(v, name);
	const char *p = list;

	if (!a || a->type != NCT_CHAR)
		return 0;
	while (*p) {
		size_t n = strcspn(p, "|"), len = a->len;

		while (len && !((const char *)a->data)[len - 1])
			len--;
		if (n == len && !strncasecmp(p, a->data, n))
			return 1;
		p += n + (p[n] == '|');
	}
	return 0;
}

static void mark(struct cat_dataset *ds, const char *name, size_t len)
{
	for (int i = 0; i < ds->nvars; i++)
		if (ds->vars[i].name && strlen(ds->vars[i].name) == len &&
		    !strncmp(ds->vars[i].name, name, len))
			ds->vars[i].role = VAR_ROLE_COORD;
}

/* Marks the variables named in a text attribute: words separated by
 * blanks, a trailing ':' dropped ("crs: x y" of grid_mapping). */
static void mark_named(struct cat_dataset *ds, const struct cat_attr *a)
{
	const char *p, *end;

	if (!a || a->type != NCT_CHAR)
		return;
	p = a->data;
	end = p + a->len;
	while (p < end) {
		const char *w;

		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n'))
			p++;
		w = p;
		while (p < end && *p && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
		if (p > w)
			mark(ds, w, (size_t)(p - w) - (p[-1] == ':'));
		if (p < end && !*p)
			break;
	}
}

void fidelity_roles(struct cat_dataset *ds)
{
	static const char *const named[] = { "coordinates", "bounds",
		"climatology", "grid_mapping" };

	for (int i = 0; i < ds->nvars; i++) {
		struct cat_var *v = &ds->vars[i];

		for (size_t k = 0; k < sizeof(named) / sizeof(named[0]); k++)
			mark_named(ds, find(v, named[k]));
		for (int d = 0; d < ds->ndims && v->name; d++)
			if (!strcmp(ds->dims[d].name, v->name))
				v->role = VAR_ROLE_COORD;
		if (find(v, "axis") || find(v, "grid_mapping_name") ||
		    text_is(v, "standard_name", "latitude|longitude|"
			    "grid_latitude|grid_longitude|"
			    "projection_x_coordinate|"
			    "projection_y_coordinate") ||
		    text_is(v, "units", "degrees_north|degree_north|"
			    "degrees_N|degree_N|degreesN|degreeN|"
			    "degrees_east|degree_east|degrees_E|degree_E|"
			    "degreesE|degreeE"))
			v->role = VAR_ROLE_COORD;
	}
}

const char *fidelity_rule_text(const char *profile)
{
	const char *rule = profile ? strstr(profile, " exact=") : NULL;

	if (!rule)
		return "imported before exact values";
	return !strncmp(rule, " exact=auto", 11) ?
		"rule: 0, and values of 1% or more" : "as given at import";
}

const char *fidelity_role_name(int role)
{
	switch (role) {
	case VAR_ROLE_COORD: return "coordinate";
	case VAR_ROLE_CATEGORY: return "category";
	default: return "data";
	}
}

void fidelity_codec(const struct cat_var *v, struct codec_fidelity *f)
{
	memset(f, 0, sizeof(*f));
	f->lo = v->has_valid ? v->valid_lo : -INFINITY;
	f->hi = v->has_valid ? v->valid_hi : INFINITY;
	f->nexact = v->nexact;
	memcpy(f->exact, v->exact, sizeof(f->exact));
}

/*
 * The frequent values of a pass, by Misra and Gries: HH_K counters, each
 * an underestimate of its value's count by at most n / (HH_K + 1), so
 * that a value whose counter reaches a share holds at least that share.
 */
#define HH_K 256
#define HH_SLOTS 1024

struct scan {
	double val[HH_K];
	uint64_t cnt[HH_K];
	int nval;
	int16_t slot[HH_SLOTS];         /* index into val, -1 empty */
	uint64_t n, zeros;
	double few[FIDELITY_CATEGORIES];
	int nfew;                       /* > FIDELITY_CATEGORIES: many */
	int integral;
};

static unsigned hh_hash(double x)
{
	uint64_t u;

	memcpy(&u, &x, sizeof(u));
	u *= 0x9e3779b97f4a7c15ull;
	return (unsigned)(u >> 54) & (HH_SLOTS - 1);
}

static void hh_index(struct scan *s)
{
	memset(s->slot, 0xff, sizeof(s->slot));
	for (int i = 0; i < s->nval; i++) {
		unsigned h = hh_hash(s->val[i]);

		while (s->slot[h] >= 0)
			h = (h + 1) & (HH_SLOTS - 1);
		s->slot[h] = (int16_t)i;
	}
}

static void hh_add(struct scan *s, double x)
{
	unsigned h = hh_hash(x);
	int k = 0;

	for (; s->slot[h] >= 0; h = (h + 1) & (HH_SLOTS - 1))
		if (s->val[s->slot[h]] == x) {
			s->cnt[s->slot[h]]++;
			return;
		}
	if (s->nval < HH_K) {
		s->val[s->nval] = x;
		s->cnt[s->nval] = 1;
		s->slot[h] = (int16_t)s->nval++;
		return;
	}
	/* a new value with every counter taken: all of them lose one */
	for (int i = 0; i < s->nval; i++)
		if (--s->cnt[i]) {
			s->val[k] = s->val[i];
			s->cnt[k++] = s->cnt[i];
		}
	s->nval = k;
	hh_index(s);
}

static void scan_value(struct scan *s, double x)
{
	s->n++;
	s->zeros += x == 0;
	if (x != floor(x))
		s->integral = 0;
	if (s->nfew <= FIDELITY_CATEGORIES) {
		int i = 0;

		while (i < s->nfew && s->few[i] != x)
			i++;
		if (i == s->nfew && s->nfew++ < FIDELITY_CATEGORIES)
			s->few[i] = x;
	}
	if (x != 0)
		hh_add(s, x);
}

/* One pass over the valid values of v (NaN and fill left out), a few
 * source frames at a time. */
static int scan_var(struct source *src, int vi, struct scan *s)
{
	const struct cat_var *v = &src->meta->vars[vi];
	uint64_t rows = v->shape[0], per = catalog_var_elems(v) / rows;
	size_t isz = dtype_size(v->dtype);
	uint64_t step = per ? (8u << 20) / (per * isz) : rows;
	char *raw;
	double *val;
	int rc = 0;

	step = step ? step : 1;
	step = step < rows ? step : rows;
	raw = malloc(step * per * isz + 1);
	val = malloc(step * per * sizeof(*val) + 1);
	if (!raw || !val) {
		rc = -ENOMEM;
		goto out;
	}
	s->integral = 1;
	hh_index(s);
	for (uint64_t f = 0; f < rows && !rc; f += step) {
		uint64_t n = rows - f < step ? rows - f : step;

		rc = src->ops->read_frames(src, vi, f, n, raw);
		if (rc)
			break;
		dtype_to_double(v->dtype, raw, val, n * per);
		for (uint64_t i = 0; i < n * per; i++)
			if (!isnan(val[i]) && !(v->has_fill &&
			    !memcmp(raw + i * isz, v->fill, isz)))
				scan_value(s, val[i]);
	}
out:
	free(raw);
	free(val);
	return rc;
}

/* The exact values by the rule: 0 if present, then the most frequent
 * values of at least FIDELITY_SHARE of the valid ones. */
static void choose_exact(const struct scan *s, struct cat_var *v)
{
	uint8_t used[HH_K] = { 0 };

	v->nexact = 0;
	if (s->zeros)
		v->exact[v->nexact++] = 0;
	while (v->nexact < CAT_EXACT_MAX) {
		int best = -1;

		for (int i = 0; i < s->nval; i++)
			if (!used[i] && (best < 0 || s->cnt[i] > s->cnt[best]))
				best = i;
		if (best < 0 ||
		    (double)s->cnt[best] < FIDELITY_SHARE * (double)s->n)
			break;
		used[best] = 1;
		v->exact[v->nexact++] = s->val[best];
	}
}

/* --exact-values "a,b": those values; "none": none. */
static int parse_exact(const char *list, struct cat_var *v)
{
	const char *p = list;

	v->nexact = 0;
	if (!strcmp(list, "none"))
		return 0;
	while (*p) {
		char *end;
		double d = strtod(p, &end);

		if (end == p || isnan(d) || (*end && *end != ',') ||
		    v->nexact == CAT_EXACT_MAX) {
			log_error("--exact-values '%s': give up to %d numbers "
				  "separated by commas", list, CAT_EXACT_MAX);
			return -EINVAL;
		}
		v->exact[v->nexact++] = d;
		p = end + (*end == ',');
	}
	return 0;
}

/* valid_range, else valid_min and valid_max (either may be missing). */
static void valid_range(struct cat_var *v)
{
	const struct cat_attr *r = find(v, "valid_range");
	const struct cat_attr *lo = find(v, "valid_min");
	const struct cat_attr *hi = find(v, "valid_max");

	v->valid_lo = -INFINITY;
	v->valid_hi = INFINITY;
	if (r && r->len == 2) {
		v->valid_lo = attr_num(r, 0);
		v->valid_hi = attr_num(r, 1);
	} else {
		if (lo && lo->len == 1)
			v->valid_lo = attr_num(lo, 0);
		if (hi && hi->len == 1)
			v->valid_hi = attr_num(hi, 0);
	}
	v->has_valid = v->valid_lo <= v->valid_hi &&
		(isfinite(v->valid_lo) || isfinite(v->valid_hi));
	if (!v->has_valid && (r || lo || hi))
		log_warn("'%s': its valid range is malformed and not used",
			 v->name);
}

int fidelity_plan(struct source *src, int vi, const struct import_opts *o)
{
	struct cat_var *v = &src->meta->vars[vi];
	struct scan *s;
	int rc;

	if (o->lossless || v->role == VAR_ROLE_COORD || v->ndim < 2 ||
	    !catalog_var_elems(v))
		return 0;
	if (!dtype_is_float(v->dtype) && (find(v, "flag_values") ||
					   find(v, "flag_masks"))) {
		v->role = VAR_ROLE_CATEGORY;
		return 0;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	rc = scan_var(src, vi, s);
	if (rc)
		goto out;
	if (s->n && s->integral && s->nfew <= FIDELITY_CATEGORIES) {
		v->role = VAR_ROLE_CATEGORY;
		goto out;
	}
	valid_range(v);
	if (o->exact_values)
		rc = parse_exact(o->exact_values, v);
	else
		choose_exact(s, v);
out:
	free(s);
	return rc;
}

int fidelity_kept(const struct cat_var *v, const struct cat_stream *s,
		  const uint8_t *cls, const void *raw, uint32_t n,
		  uint8_t **blk, size_t *len, uint32_t *k)
{
	size_t hw = (size_t)(v->width * v->height), fe = hw * v->nplanes;
	size_t isz = dtype_size(v->dtype), cnt = 0;
	struct codec_corr c = { 0 };
	int rc = 0;

	*blk = NULL;
	*len = 0;
	*k = 0;
	for (size_t i = 0; i < fe * n; i++) {
		size_t pl = i % fe / hw;

		cnt += cls[i] == MASK_KEPT && pl >= (size_t)s->first_plane &&
			pl < (size_t)(s->first_plane + s->nplanes);
	}
	if (!cnt)
		return 0;
	c.epos = malloc(cnt * sizeof(*c.epos));
	c.evals = malloc(cnt * isz);
	if (!c.epos || !c.evals) {
		rc = -ENOMEM;
		goto out;
	}
	/* positions in the stream's decode order: [frame][plane][y][x] */
	for (uint32_t f = 0; f < n; f++)
		for (int p = 0; p < s->nplanes; p++)
			for (size_t j = 0; j < hw; j++) {
				size_t i = f * fe + j +
					(size_t)(s->first_plane + p) * hw;

				if (cls[i] != MASK_KEPT)
					continue;
				c.epos[c.nexact] = (uint32_t)(((size_t)f *
					s->nplanes + p) * hw + j);
				memcpy(c.evals + c.nexact++ * isz,
				       (const char *)raw + i * isz, isz);
			}
	rc = codec_corr_pack(&c, v->dtype, hw * s->nplanes * n, blk, len);
	if (!rc)
		*k = c.nexact;
out:
	free(c.epos);
	free(c.evals);
	return rc;
}

void fidelity_copy(struct cat_var *to, const struct cat_var *from)
{
	to->role = from->role;
	to->nexact = from->nexact;
	memcpy(to->exact, from->exact, sizeof(to->exact));
	to->has_valid = from->has_valid;
	to->valid_lo = from->valid_lo;
	to->valid_hi = from->valid_hi;
}
