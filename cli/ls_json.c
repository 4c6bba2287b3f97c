/* SPDX-License-Identifier: MIT */
/* cubefs ls --json and info --json: a dataset's rows as one JSON object. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog/gops.h"
#include "cli/cli.h"
#include "cli/json.h"
#include "codec/video.h"
#include "ingest/fidelity.h"

/* NetCDF external types by their value (base/format.h), with the dtype of
 * one element. NCT_CHAR is text; NC_STRING is imported as NCT_CHAR. */
static const struct {
	const char *name;
	enum dtype dtype;
} nctypes[] = {
	[NCT_BYTE] = { "byte", DTYPE_I8 },
	[NCT_CHAR] = { "char", DTYPE_U8 },
	[NCT_SHORT] = { "short", DTYPE_I16 },
	[NCT_INT] = { "int", DTYPE_I32 },
	[NCT_FLOAT] = { "float", DTYPE_F32 },
	[NCT_DOUBLE] = { "double", DTYPE_F64 },
	[NCT_UBYTE] = { "ubyte", DTYPE_U8 },
	[NCT_USHORT] = { "ushort", DTYPE_U16 },
	[NCT_UINT] = { "uint", DTYPE_U32 },
	[NCT_INT64] = { "int64", DTYPE_I64 },
	[NCT_UINT64] = { "uint64", DTYPE_U64 },
	[NCT_STRING] = { "string", DTYPE_NONE },
};

static const char *nctype_name(int t)
{
	if (t <= 0 || (size_t)t >= sizeof(nctypes) / sizeof(nctypes[0]))
		return NULL;
	return nctypes[t].name;
}

/* One element of type t at p (native order), exactly. */
static void put_elem(struct json *j, enum dtype t, const void *p)
{
	union {
		int8_t i8; uint8_t u8; int16_t i16; uint16_t u16;
		int32_t i32; uint32_t u32; int64_t i64; uint64_t u64;
		float f32; double f64;
	} u;

	memcpy(&u, p, dtype_size(t));
	switch (t) {
	case DTYPE_I8: json_int(j, u.i8); break;
	case DTYPE_U8: json_uint(j, u.u8); break;
	case DTYPE_I16: json_int(j, u.i16); break;
	case DTYPE_U16: json_uint(j, u.u16); break;
	case DTYPE_I32: json_int(j, u.i32); break;
	case DTYPE_U32: json_uint(j, u.u32); break;
	case DTYPE_I64: json_int(j, u.i64); break;
	case DTYPE_U64: json_uint(j, u.u64); break;
	case DTYPE_F32: json_float(j, u.f32); break;
	case DTYPE_F64: json_double(j, u.f64); break;
	default: json_null(j); break;
	}
}

/*
 * Attributes as netCDF4-python reads them: text as a string (trailing NULs
 * dropped), one number as a number, several as an array.
 */
static void put_attrs(struct json *j, const struct cat_attr *a, int n)
{
	json_array_begin(j);
	for (int i = 0; i < n; i++) {
		const char *tn = nctype_name(a[i].type);
		enum dtype dt = tn ? nctypes[a[i].type].dtype : DTYPE_NONE;

		json_object_begin_flat(j);
		json_key_str(j, "name", a[i].name);
		json_key_str(j, "type", tn);
		json_key(j, "value");
		if (a[i].type == NCT_CHAR) {
			size_t len = a[i].len;

			while (len && !((const char *)a[i].data)[len - 1])
				len--;
			json_strn(j, a[i].data, len);
		} else if (dt == DTYPE_NONE) {
			json_null(j);
		} else if (a[i].len == 1) {
			put_elem(j, dt, a[i].data);
		} else {
			json_array_begin_flat(j);
			for (size_t k = 0; k < a[i].len; k++)
				put_elem(j, dt, (const char *)a[i].data +
					 k * dtype_size(dt));
			json_array_end(j);
		}
		json_object_end(j);
	}
	json_array_end(j);
}

/* ns since the epoch as ISO 8601 UTC, "2024-05-01T12:34:56Z". */
static void put_time(struct json *j, const char *key, int64_t ns)
{
	time_t t = (time_t)(ns / 1000000000);
	char buf[64];
	struct tm tm;

	json_key(j, key);
	if (!gmtime_r(&t, &tm) ||
	    !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
		json_null(j);
	else
		json_str(j, buf);
}

static const char *pixel_format(const struct cat_stream *st)
{
	if (st->codec == CODEC_LZ4)
		return "raw";
	return st->nplanes == 3 ? "gbrp" : "gray";
}

static void put_quant(struct json *j, const struct codec_quant *q, int plane)
{
	json_object_begin_flat(j);
	json_key_int(j, "plane", plane);
	json_key_double(j, "scale", q->scale);
	json_key_double(j, "offset", q->offset);
	json_key_double(j, "min", q->min);
	json_key_double(j, "max", q->max);
	json_object_end(j);
}

static void put_gops(struct json *j, const struct cat_stream *st)
{
	json_key(j, "gops");
	json_array_begin(j);
	for (uint32_t g = 0; g < st->ngops; g++) {
		const struct cat_gop *gp = &st->gops[g];

		json_object_begin(j);
		json_key_uint(j, "index", g);
		json_key_uint(j, "first_frame", gp->first_frame);
		json_key_uint(j, "nframes", gp->nframes);
		json_key_int(j, "pack_id", gp->pack_id);
		json_key_uint(j, "offset", gp->offset);
		json_key_uint(j, "length", gp->length);
		json_key_uint(j, "extra_size", gp->extra_size);
		json_key_uint(j, "npkt", gp->npkt);
		json_key_uint(j, "checksum", gp->checksum);
		json_key_uint(j, "corr_offset", gp->corr_offset);
		json_key_uint(j, "corr_length", gp->corr_length);
		json_key_uint(j, "ncorr", gp->ncorr);
		json_key(j, "quant");
		if (!gp->quant) {
			json_null(j);
		} else {
			json_array_begin(j);
			for (int p = 0; p < st->nplanes; p++)
				put_quant(j, &gp->quant[p],
					  st->first_plane + p);
			json_array_end(j);
		}
		json_object_end(j);
	}
	json_array_end(j);
}

/* Per plane: the range of values and of scales over the GOPs. */
static void put_plane_ranges(struct json *j, const struct cat_stream *st)
{
	json_key(j, "plane_ranges");
	json_array_begin(j);
	for (int p = 0; st->codec != CODEC_LZ4 && p < st->nplanes; p++) {
		double lo = INFINITY, hi = -INFINITY;
		double smin = INFINITY, smax = -INFINITY;

		for (uint32_t g = 0; g < st->ngops && st->gops[g].quant; g++) {
			const struct codec_quant *q = &st->gops[g].quant[p];

			lo = fmin(lo, q->min);
			hi = fmax(hi, q->max);
			smin = fmin(smin, q->scale);
			smax = fmax(smax, q->scale);
		}
		json_object_begin_flat(j);
		json_key_int(j, "plane", st->first_plane + p);
		json_key_double(j, "min", lo);
		json_key_double(j, "max", hi);
		json_key_double(j, "scale_min", smin);
		json_key_double(j, "scale_max", smax);
		json_object_end(j);
	}
	json_array_end(j);
}

static void put_stream(struct json *j, const struct cat_stream *st, int gops)
{
	uint64_t bytes = 0, corr = 0;
	int lossy = st->codec != CODEC_LZ4 && !st->lossless;

	for (uint32_t g = 0; g < st->ngops; g++) {
		bytes += st->gops[g].length;
		corr += st->gops[g].corr_length;
	}
	json_object_begin(j);
	json_key_int(j, "first_plane", st->first_plane);
	json_key_int(j, "planes", st->nplanes);
	json_key_str(j, "codec", codec_name(st->codec));
	json_key(j, "bits");
	if (st->codec != CODEC_LZ4)
		json_int(j, st->bits);
	else
		json_null(j);
	json_key_str(j, "pixel_format", pixel_format(st));
	json_key_int(j, "width", st->width);
	json_key_int(j, "height", st->height);
	json_key(j, "crf");
	if (lossy)
		json_int(j, st->crf);
	else
		json_null(j);
	json_key_bool(j, "lossless", !lossy);
	json_key_str(j, "params", st->params);
	json_key_uint(j, "gop_len", st->gop_len);
	json_key_uint(j, "ngops", st->ngops);
	json_key_uint(j, "bytes", bytes);
	json_key_uint(j, "corr_bytes", corr);
	json_key_double(j, "max_error_bound", st->max_error > 0 ?
			st->max_error : NAN);
	put_plane_ranges(j, st);
	if (gops)
		put_gops(j, st);
	json_object_end(j);
}

static void put_masks(struct json *j, const struct cat_var *v)
{
	uint64_t bytes = 0;

	for (int m = 0; m < v->nmasks; m++)
		bytes += v->masks[m].length;
	json_key_uint(j, "mask_bytes", bytes);
	json_key(j, "masks");
	json_array_begin(j);
	for (int m = 0; m < v->nmasks; m++) {
		const struct cat_mask *k = &v->masks[m];

		json_object_begin_flat(j);
		json_key_uint(j, "first_frame", k->first_frame);
		json_key_uint(j, "nframes", k->nframes);
		json_key_int(j, "pack_id", k->pack_id);
		json_key_uint(j, "offset", k->offset);
		json_key_uint(j, "length", k->length);
		json_object_end(j);
	}
	json_array_end(j);
}

/* Everything about a variable `info` shows beyond what `ls` does. */
static void put_var_detail(struct json *j, const struct cat_var *v, int gops)
{
	json_key_str(j, "nc_type", nctype_name(v->nctype));
	json_key(j, "layout");
	json_object_begin_flat(j);
	json_key_uint(j, "frames", v->nframes);
	json_key_uint(j, "planes", v->nplanes);
	json_key_uint(j, "height", v->height);
	json_key_uint(j, "width", v->width);
	json_object_end(j);
	json_key_double(j, "valid_min", v->vmin);
	json_key_double(j, "valid_max", v->vmax);
	json_key_bool(j, "has_fill", v->has_fill);
	json_key(j, "fill_value");
	if (v->has_fill && dtype_size(v->dtype))
		put_elem(j, v->dtype, v->fill);
	else
		json_null(j);
	json_key(j, "attributes");
	put_attrs(j, v->attrs, v->nattrs);
	put_masks(j, v);
	json_key(j, "streams");
	json_array_begin(j);
	for (int s = 0; s < v->nstreams; s++)
		put_stream(j, &v->streams[s], gops);
	json_array_end(j);
}

static void put_var(struct json *j, const struct cat_dataset *ds,
		    const struct cat_var *v, int detail)
{
	uint64_t elems = catalog_var_elems(v);
	uint64_t raw = elems * dtype_size(v->dtype);
	uint64_t stored = catalog_var_stored_bytes(v);
	int exact = isinf(v->psnr);

	json_object_begin(j);
	json_key_str(j, "name", v->name);
	json_key(j, "path");
	if (ds->nvars == 1) {
		json_str(j, ds->name);
	} else {
		char path[2 * CATALOG_NAME_MAX + 2];

		snprintf(path, sizeof(path), "%s/%s", ds->name, v->name);
		json_str(j, path);
	}
	json_key_str(j, "dtype", dtype_name(v->dtype));
	json_key(j, "shape");
	json_array_begin_flat(j);
	for (int i = 0; i < v->ndim; i++)
		json_uint(j, v->shape[i]);
	json_array_end(j);
	json_key(j, "dims");
	json_array_begin_flat(j);
	for (int i = 0; i < v->ndim; i++)
		json_str(j, v->dimids[i] >= 0 && v->dimids[i] < ds->ndims ?
			 ds->dims[v->dimids[i]].name : NULL);
	json_array_end(j);
	json_key_str(j, "storage", v->storage == VAR_STORE_VIDEO ? "video" :
		     v->storage == VAR_STORE_LZ4 ? "lz4" : NULL);
	json_key_str(j, "codec", v->nstreams ?
		     codec_name(v->streams[0].codec) : NULL);
	json_key(j, "bits");
	if (v->nstreams && v->streams[0].codec != CODEC_LZ4)
		json_int(j, v->streams[0].bits);
	else
		json_null(j);
	json_key_uint(j, "raw_bytes", raw);
	json_key_uint(j, "stored_bytes", stored);
	json_key_double(j, "ratio", stored ? (double)raw / stored : NAN);
	json_key_double(j, "bits_per_value",
			elems ? stored * 8.0 / elems : NAN);
	json_key_bool(j, "exact", exact);
	json_key_double(j, "psnr", exact ? NAN : v->psnr);
	json_key_double(j, "max_error", v->max_err);
	if (detail >= CLI_JSON_INFO) {
		json_key_str(j, "role", fidelity_role_name(v->role));
		json_key(j, "exact_values");
		json_array_begin_flat(j);
		for (int k = 0; k < v->nexact; k++)
			json_double(j, v->exact[k]);
		json_array_end(j);
		json_key_str(j, "exact_rule",
			     fidelity_rule_text(ds->profile));
		json_key(j, "valid_range");
		if (v->has_valid) {
			json_array_begin_flat(j);
			json_double(j, v->valid_lo);
			json_double(j, v->valid_hi);
			json_array_end(j);
		} else {
			json_null(j);
		}
		put_var_detail(j, v, detail >= CLI_JSON_GOPS);
	}
	json_object_end(j);
}

/* The view's GOP layout as the mount's user.cubefs.gops gives it, or
 * null where it has none. */
static void put_view_gops(struct json *j, const struct cat_dataset *ds,
			  const struct cat_view *w)
{
	uint32_t *f;
	size_t n;

	json_key(j, "gop_starts");
	if (catalog_view_gops(ds, w, &f, &n)) {
		json_null(j);
		return;
	}
	json_array_begin_flat(j);
	for (size_t i = 0; i < n; i++)
		json_uint(j, f[i]);
	json_array_end(j);
	free(f);
}

static void put_views(struct json *j, const struct cat_dataset *ds,
		      int detail)
{
	json_array_begin(j);
	for (int i = 0; i < ds->nviews; i++) {
		const struct cat_view *w = &ds->views[i];

		json_object_begin_flat(j);
		json_key_str(j, "name", w->name);
		json_key_bool(j, "in_dir", w->in_dir);
		json_key_str(j, "kind", w->kind == VIEW_NPY ? "npy" :
			     w->kind == VIEW_NC ? "nc" : NULL);
		json_key_uint(j, "size", w->size);
		if (detail >= CLI_JSON_INFO) {
			json_key_int(j, "extents", w->nextents);
			put_view_gops(j, ds, w);
		}
		json_object_end(j);
	}
	json_array_end(j);
}

/* The comma-separated list of skipped variables as an array. */
static void put_skipped(struct json *j, const char *s)
{
	json_array_begin_flat(j);
	while (s && *s) {
		size_t n = strcspn(s, ",");

		if (n)
			json_strn(j, s, n);
		s += n + (s[n] == ',');
	}
	json_array_end(j);
}

/* The input files: path, frames, and their "name=value" attribute
 * lines as an object of strings. */
static void put_parts(struct json *j, const struct cat_part *p, size_t n)
{
	json_array_begin(j);
	for (size_t i = 0; i < n; i++) {
		const char *a = p[i].attrs;
		char key[256];

		json_object_begin(j);
		json_key_str(j, "path", p[i].path);
		json_key_uint(j, "first_frame", p[i].first_frame);
		json_key_uint(j, "nframes", p[i].nframes);
		json_key(j, "attributes");
		json_object_begin_flat(j);
		while (a && *a) {
			const char *nl = strchr(a, '\n'), *eq = strchr(a, '=');
			size_t len = nl ? (size_t)(nl - a) : strlen(a);

			if (eq && (size_t)(eq - a) < len &&
			    (size_t)(eq - a) < sizeof(key)) {
				char *val = strndup(eq + 1,
						    len - (size_t)(eq - a) - 1);

				memcpy(key, a, (size_t)(eq - a));
				key[eq - a] = 0;
				json_key_str(j, key, val ? val : "");
				free(val);
			}
			a += len + (nl != NULL);
		}
		json_object_end(j);
		json_object_end(j);
	}
	json_array_end(j);
}

void cli_json_dataset(struct json *j, const struct cat_dataset *ds,
		      int detail, const struct cat_part *parts, size_t n)
{
	json_object_begin(j);
	json_key_str(j, "name", ds->name);
	json_key_str(j, "source", ds->source);
	json_key_str(j, "profile", ds->profile);
	put_time(j, "created", ds->created);
	put_time(j, "mtime", ds->mtime);
	json_key_int(j, "created_ns", ds->created);
	json_key_int(j, "mtime_ns", ds->mtime);
	if (detail >= CLI_JSON_INFO) {
		json_key(j, "dims");
		json_array_begin(j);
		for (int i = 0; i < ds->ndims; i++) {
			json_object_begin_flat(j);
			json_key_str(j, "name", ds->dims[i].name);
			json_key_uint(j, "len", ds->dims[i].len);
			json_key_bool(j, "unlimited", ds->dims[i].unlimited);
			json_object_end(j);
		}
		json_array_end(j);
		json_key(j, "attributes");
		put_attrs(j, ds->attrs, ds->nattrs);
		json_key(j, "files");
		put_parts(j, parts, n);
	}
	json_key(j, "skipped");
	put_skipped(j, ds->skipped);
	json_key(j, "variables");
	json_array_begin(j);
	for (int i = 0; i < ds->nvars; i++)
		put_var(j, ds, &ds->vars[i], detail);
	json_array_end(j);
	json_key(j, "views");
	put_views(j, ds, detail);
	json_object_end(j);
}
