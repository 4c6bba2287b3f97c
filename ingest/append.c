/* SPDX-License-Identifier: MIT */
/* Appending one file's frames to a dataset: new GOPs in a new pack, the rows grown in one transaction. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "catalog/pack.h"
#include "codec/video.h"
#include "ingest/append.h"
#include "ingest/encode.h"
#include "ingest/parts.h"
#include "ingest/fidelity.h"
#include "ingest/stored.h"
#include "ingest/view.h"

/* A source of one variable held in memory (an exactly stored variable
 * rewritten whole, old values and new). */
static int mem_read(struct source *s, int var, uint64_t first, uint64_t n,
		    void *dst)
{
	const struct cat_var *v = &s->meta->vars[var];
	size_t fb = (size_t)(catalog_var_elems(v) / (v->ndim >= 2 ?
						     v->shape[0] : 1)) *
		dtype_size(v->dtype);

	memcpy(dst, (const uint8_t *)s->priv + first * fb, n * fb);
	return 0;
}

static const struct source_ops mem_ops = { .kind = "memory",
					   .read_frames = mem_read };

/* The options that encode new frames as v's streams were encoded. */
static void stream_opts(const struct cat_var *v, const struct import_opts *o,
			struct import_opts *vo)
{
	const struct cat_stream *s = &v->streams[0];

	*vo = *o;
	vo->codec = s->codec;
	vo->bits = s->codec == CODEC_LZ4 ? 0 : s->bits;
	vo->crf = s->crf;
	vo->gop = (int)s->gop_len;
	vo->lossless = s->lossless;
	vo->group = v->storage == VAR_STORE_VIDEO && s->nplanes == 3 ? 3 : 1;
	vo->preset = s->params;
	vo->max_error = s->max_error;
	vo->psnr = vo->bpv = 0;
	vo->variables = NULL;
}

static int same_streams(const struct cat_var *a, const struct cat_var *b,
			const char *path)
{
	int same = a->nstreams == b->nstreams && a->storage == b->storage;

	for (int s = 0; same && s < a->nstreams; s++)
		same = a->streams[s].codec == b->streams[s].codec &&
			a->streams[s].bits == b->streams[s].bits &&
			a->streams[s].nplanes == b->streams[s].nplanes;
	if (!same)
		log_error("'%s': variable '%s' cannot be encoded as the "
			  "dataset's is (its values need another depth or "
			  "codec)", path, a->name);
	return same ? 0 : -EINVAL;
}

/* Moves the GOPs, masks and quality of nv (frames of one file) after the
 * n0 frames of v. */
static int merge_frames(struct cat_var *v, struct cat_var *nv, uint64_t n0)
{
	struct cat_frameq *fq = calloc(n0 + nv->nframes + 1, sizeof(*fq));
	struct cat_mask *m = realloc(v->masks, (size_t)(v->nmasks +
					nv->nmasks + 1) * sizeof(*m));

	if (m)
		v->masks = m;
	if (!fq || !m) {
		free(fq);
		return -ENOMEM;
	}
	for (int s = 0; s < v->nstreams; s++) {
		struct cat_stream *a = &v->streams[s], *b = &nv->streams[s];
		struct cat_gop *g = realloc(a->gops, (a->ngops + b->ngops + 1) *
					    sizeof(*g));

		if (!g) {
			free(fq);
			return -ENOMEM;
		}
		a->gops = g;
		for (uint32_t k = 0; k < b->ngops; k++) {
			g[a->ngops + k] = b->gops[k];
			g[a->ngops + k].first_frame += (uint32_t)n0;
		}
		a->ngops += b->ngops;
		b->ngops = 0;
	}
	for (int k = 0; k < nv->nmasks; k++) {
		v->masks[v->nmasks] = nv->masks[k];
		v->masks[v->nmasks++].first_frame += (uint32_t)n0;
	}
	if (nv->frameq)
		memcpy(fq + n0, nv->frameq, nv->nframes * sizeof(*fq));
	free(v->frameq);
	v->frameq = fq;
	if (!isnan(nv->vmin))
		v->vmin = isnan(v->vmin) || nv->vmin < v->vmin ? nv->vmin :
			v->vmin;
	if (!isnan(nv->vmax))
		v->vmax = isnan(v->vmax) || nv->vmax > v->vmax ? nv->vmax :
			v->vmax;
	v->shape[0] += nv->shape[0];
	v->nframes += nv->nframes;
	return 0;
}

/* Variable v (frames along its first axis) from variable j of src. */
static int append_frames(struct append *a, struct cat_var *v,
			 struct source *src, int j, uint64_t n0)
{
	struct import_opts vo;
	struct encode_ctx x = ENCODE_CTX_INIT(&vo, a->progress);
	struct import_var_report r = { 0 };
	int rc;

	stream_opts(v, a->opts, &vo);
	x.pack = a->pack;
	fidelity_copy(&src->meta->vars[j], v);
	rc = encode_var(&x, src, j, &r);
	if (!rc)
		rc = same_streams(v, &src->meta->vars[j], a->path);
	return rc ? rc : merge_frames(v, &src->meta->vars[j], n0);
}

/* Gives v the GOPs, masks and quality of mv, which holds all its values. */
static void take_whole(struct cat_var *v, struct cat_var *mv)
{
	for (int s = 0; s < v->nstreams; s++) {
		struct cat_stream *a = &v->streams[s], *b = &mv->streams[s];

		for (uint32_t g = 0; g < a->ngops; g++) {
			free(a->gops[g].pkt_sizes);
			free(a->gops[g].quant);
		}
		free(a->gops);
		a->gops = b->gops;
		a->ngops = b->ngops;
		a->width = b->width;
		a->height = b->height;
		a->gop_len = b->gop_len;
		b->gops = NULL;
		b->ngops = 0;
	}
	free(v->masks);
	free(v->frameq);
	v->masks = mv->masks;
	v->nmasks = mv->nmasks;
	v->frameq = mv->frameq;
	mv->masks = NULL;
	mv->frameq = NULL;
	v->vmin = mv->vmin;
	v->vmax = mv->vmax;
	v->shape[0] = mv->shape[0];
	v->nframes = mv->nframes;
	v->height = mv->height;
	v->width = mv->width;
}

/* Variable v, stored exactly and without frames of its own (a coordinate
 * such as time), encoded again whole: its values, then those of src. */
static int append_whole(struct append *a, struct cat_var *v,
			struct source *src, int j)
{
	const struct cat_var *sv = &src->meta->vars[j];
	struct cat_dataset meta = { .nvars = 1 };
	struct cat_var mv = { 0 };
	struct source ms = { .ops = &mem_ops, .meta = &meta };
	struct import_opts vo;
	struct encode_ctx x = ENCODE_CTX_INIT(&vo, a->progress);
	struct import_var_report r = { 0 };
	size_t isz = dtype_size(v->dtype);
	uint64_t n0 = catalog_var_elems(v), n1 = catalog_var_elems(sv);
	uint64_t shape[2];
	uint8_t *buf = NULL;
	int rc;

	if (v->storage != VAR_STORE_LZ4 || v->ndim > 2) {
		log_error("'%s': variable '%s' (%d dims along '%s') is stored "
			  "lossy in one frame and cannot be appended to",
			  a->path, v->name, v->ndim, a->concat);
		return -ENOTSUP;
	}
	buf = malloc((n0 + n1) * isz + 1);
	rc = buf ? stored_read_exact(a->cat, v, buf) : -ENOMEM;
	if (!rc && n1)
		rc = src->ops->read_frames(src, j, 0, sv->ndim >= 2 ?
					   sv->shape[0] : 1, buf + n0 * isz);
	if (rc)
		goto out;
	memcpy(shape, v->shape, (size_t)v->ndim * sizeof(*shape));
	shape[0] += sv->shape[0];
	mv.name = v->name;
	mv.dtype = v->dtype;
	mv.nctype = v->nctype;
	mv.ndim = v->ndim;
	mv.shape = shape;
	mv.dimids = v->dimids;
	mv.has_fill = v->has_fill;
	memcpy(mv.fill, v->fill, sizeof(mv.fill));
	meta.vars = &mv;
	ms.priv = buf;
	stream_opts(v, a->opts, &vo);
	x.pack = a->pack;
	rc = encode_var(&x, &ms, 0, &r);
	if (!rc)
		rc = same_streams(v, &mv, a->path);
	if (!rc)
		take_whole(v, &mv);
	mv.name = NULL;
	mv.shape = NULL;
	mv.dimids = NULL;
	catalog_var_release(&mv);
out:
	free(buf);
	return rc;
}

uint64_t append_frames_of(const struct append *a)
{
	const struct cat_dataset *ds = a->ds;

	if (a->cdim >= 0)
		return ds->dims[a->cdim].len;
	return ds->nvars && ds->vars[0].ndim ? ds->vars[0].shape[0] : 0;
}

/* The variable of src that is v, variable i of the dataset: by name,
 * or an unnamed array (a .npy file's, a raster stack's data) by index,
 * as parts_agree matched them. */
static int src_var(const struct source *src, const struct cat_var *v, int i)
{
	if (i < src->meta->nvars && !src->meta->vars[i].name)
		return i;
	for (int j = 0; j < src->meta->nvars; j++) {
		const char *n = src->meta->vars[j].name;

		if (n && !strcmp(n, v->name))
			return j;
	}
	return -1;
}

/* "name=value" lines of src's global attributes unlike the dataset's. */
static char *differing_attrs(const struct cat_dataset *ds,
			     const struct cat_dataset *m)
{
	char *out = NULL;
	size_t len = 0;

	for (int i = 0; i < m->nattrs; i++) {
		const struct cat_attr *a = &m->attrs[i], *b = NULL;
		size_t bytes = a->len * nct_size(a->type);
		char line[512];
		int n;
		char *t;

		for (int k = 0; k < ds->nattrs && !b; k++)
			if (!strcmp(ds->attrs[k].name, a->name))
				b = &ds->attrs[k];
		if (b && b->type == a->type && b->len == a->len &&
		    !memcmp(b->data, a->data, bytes))
			continue;
		if (a->type == NCT_CHAR)
			n = snprintf(line, sizeof(line), "%s=%.*s\n", a->name,
				     (int)(a->len < 400 ? a->len : 400),
				     (const char *)a->data);
		else
			n = snprintf(line, sizeof(line), "%s=(%zu values)\n",
				     a->name, a->len);
		t = realloc(out, len + (size_t)n + 1);
		if (!t)
			break;
		out = t;
		memcpy(out + len, line, (size_t)n + 1);
		len += (size_t)n;
	}
	return out;
}

/* Gives the rows of the new pack its id. */
static void set_new_pack(struct cat_dataset *ds, int64_t id)
{
	for (int i = 0; i < ds->nvars; i++) {
		struct cat_var *v = &ds->vars[i];

		for (int s = 0; s < v->nstreams; s++)
			for (uint32_t g = 0; g < v->streams[s].ngops; g++)
				if (!v->streams[s].gops[g].pack_id)
					v->streams[s].gops[g].pack_id = id;
		for (int m = 0; m < v->nmasks; m++)
			if (!v->masks[m].pack_id)
				v->masks[m].pack_id = id;
	}
}

/* New views for the grown dataset, keeping the ids of the old ones. */
static int rebuild_views(struct cat_dataset *ds)
{
	int n = ds->nviews, rc;
	int64_t *ids = calloc((size_t)n + 1, sizeof(*ids));
	char **names = calloc((size_t)n + 1, sizeof(*names));

	rc = ids && names ? 0 : -ENOMEM;
	for (int i = 0; i < n && !rc; i++) {
		ids[i] = ds->views[i].id;
		names[i] = malloc(strlen(ds->views[i].name) + 2);
		if (!names[i])
			rc = -ENOMEM;
		else
			sprintf(names[i], "%c%s", '0' + ds->views[i].in_dir,
				ds->views[i].name);
	}
	if (!rc)
		rc = view_build(ds);
	for (int i = 0; i < ds->nviews && !rc; i++)
		for (int k = 0; k < n; k++)
			if (names[k][0] == '0' + ds->views[i].in_dir &&
			    !strcmp(names[k] + 1, ds->views[i].name))
				ds->views[i].id = ids[k];
	for (int i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
	free(ids);
	return rc;
}

static int commit_append(struct append *a, struct source *src,
			 const uint32_t *from, uint64_t n0, uint64_t k)
{
	struct cat_part part = { .first_frame = n0, .nframes = k };
	uint64_t size = pack_writer_size(a->pack);
	int64_t pack_id = 0;
	int rc = size ? pack_writer_sync(a->pack) : 0;

	part.attrs = differing_attrs(a->ds, src->meta);
	if (!rc)
		rc = catalog_begin(a->cat);
	if (rc)
		goto out;
	if (size)
		rc = catalog_pack_add(a->cat, pack_writer_name(a->pack), size,
				      &pack_id);
	if (!rc) {
		set_new_pack(a->ds, pack_id);
		rc = catalog_dataset_grow(a->cat, a->ds, from);
	}
	if (!rc)
		rc = parts_add_rows(a->cat, a->ds->id, &part, a->path,
				    a->stack, a->nstack);
	rc = catalog_end(a->cat, rc);
out:
	free(part.attrs);
	return rc;
}

int append_file(struct append *a, const char *path, struct source *src)
{
	struct cat_dataset *ds = a->ds;
	int cds = parts_dim(src->meta, a->concat), rc;
	uint64_t n0 = append_frames_of(a), k;
	uint32_t *from = NULL;

	a->path = path;
	if (cds < -1 || (cds < 0) != (a->cdim < 0)) {
		log_error("'%s' has no dimension '%s'", path,
			  a->concat ? a->concat : "");
		return -EINVAL;
	}
	rc = parts_agree(ds, a->cdim, "the dataset", src->meta, cds, path, 0);
	if (rc)
		return rc;
	k = cds >= 0 ? src->meta->dims[cds].len : src->meta->vars[0].shape[0];
	if (n0 + k > UINT32_MAX) {
		log_error("'%s': %llu frames would be more than cubefs takes",
			  path, (unsigned long long)(n0 + k));
		return -EFBIG;
	}
	from = malloc(((size_t)ds->nvars + 1) * sizeof(*from));
	rc = from ? pack_writer_new(catalog_dir(a->cat), &a->pack) : -ENOMEM;
	for (int i = 0; i < ds->nvars && !rc; i++) {
		struct cat_var *v = &ds->vars[i];
		int j = src_var(src, v, i), along = parts_along(v, a->cdim);

		from[i] = UINT32_MAX;
		if (along <= 0 || !k)
			continue;
		if (j < 0)
			rc = -EINVAL;   /* parts_agree found it */
		else if (v->ndim >= 3)
			rc = append_frames(a, v, src, j, v->nframes);
		else
			rc = append_whole(a, v, src, j);
		from[i] = v->ndim >= 3 ? (uint32_t)n0 : 0;
	}
	if (!rc && a->cdim >= 0)
		ds->dims[a->cdim].len += k;
	if (!rc)
		rc = rebuild_views(ds);
	ds->mtime = clock_wall_ns();
	if (!rc)
		rc = commit_append(a, src, from, n0, k);
	pack_writer_free(a->pack, !rc && pack_writer_size(a->pack) > 0);
	a->pack = NULL;
	free(from);
	return rc;
}
