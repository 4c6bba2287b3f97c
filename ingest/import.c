/* SPDX-License-Identifier: MIT */
/* One import, one transaction: encode every variable into a new pack, fsync it, then commit the rows. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/log.h"
#include "catalog/pack.h"
#include "codec/video.h"
#include "ingest/encode.h"
#include "ingest/fidelity.h"
#include "ingest/import.h"
#include "ingest/parts.h"
#include "ingest/view.h"

void import_opts_init(struct import_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->crf = IMPORT_CRF_UNSET;
	o->group = 0;
	o->progress = 1;
}

char *import_default_name(const char *path)
{
	char *tmp = strdup(path), *base, *dot, *name;

	if (!tmp)
		return NULL;
	base = basename(tmp);
	dot = strrchr(base, '.');
	if (dot && dot != base)
		*dot = 0;
	name = strdup(base);
	free(tmp);
	return name;
}

static char *profile_text(const struct import_opts *o)
{
	char buf[320], crf[16], gop[16] = "auto", goal[96] = "";
	int n = 0;

	if (o->gop > 0)
		snprintf(gop, sizeof(gop), "%d", o->gop);
	/* a searched crf is each stream's own (cubefs info) */
	snprintf(crf, sizeof(crf), "%d", o->crf != IMPORT_CRF_UNSET ? o->crf :
		 IMPORT_DEFAULT_CRF);
	if (o->max_error > 0)
		n += snprintf(goal + n, sizeof(goal) - (size_t)n,
			      " max_error=%.17g", o->max_error);
	if (o->psnr > 0)
		n += snprintf(goal + n, sizeof(goal) - (size_t)n, " psnr=%g",
			      o->psnr);
	if (o->bpv > 0)
		n += snprintf(goal + n, sizeof(goal) - (size_t)n, " bpv=%g",
			      o->bpv);
	snprintf(goal + n, sizeof(goal) - (size_t)n, " exact=%.40s",
		 o->exact_values ? o->exact_values : "auto");
	snprintf(buf, sizeof(buf), "codec=%s bits=%d crf=%s gop=%s lossless=%d "
		 "group=%d%s%s%s", o->codec ? codec_name(o->codec) : "default",
		 o->bits, o->crf == IMPORT_CRF_UNSET && (o->psnr > 0 ||
							o->bpv > 0 ||
					 o->max_error > 0) ? "searched" : crf,
		 gop, o->lossless,
		 o->group, o->preset ? " preset=" : "",
		 o->preset ? o->preset : "", goal);
	return strdup(buf);
}

/* Marks the variables to import: those named (and the coordinate
 * variables of their dimensions), or all. */
static int select_vars(const struct cat_dataset *ds, const char *list,
		       uint8_t *keep)
{
	char *copy, *save = NULL;
	int rc = 0;

	memset(keep, !list, (size_t)ds->nvars);
	if (!list)
		return 0;
	copy = strdup(list);
	if (!copy)
		return -ENOMEM;
	for (char *n = strtok_r(copy, ",", &save); n && !rc;
	     n = strtok_r(NULL, ",", &save)) {
		int i;

		for (i = 0; i < ds->nvars; i++)
			if (ds->vars[i].name && !strcmp(ds->vars[i].name, n))
				break;
		if (i == ds->nvars) {
			log_error("no variable '%s' in the source", n);
			rc = -EINVAL;
		} else {
			keep[i] = 2;
		}
	}
	free(copy);
	for (int i = 0; i < ds->nvars && !rc; i++) {
		const struct cat_var *v = &ds->vars[i];

		for (int a = 0; keep[i] == 2 && a < v->ndim; a++) {
			int d = v->dimids[a];

			for (int k = 0; d >= 0 && k < ds->nvars; k++)
				if (ds->vars[k].name && !keep[k] &&
				    !strcmp(ds->vars[k].name, ds->dims[d].name))
					keep[k] = 1;
		}
	}
	return rc;
}

/* Drops the variables not kept (after encoding: indices change). */
static void compact_vars(struct cat_dataset *ds, const uint8_t *keep)
{
	int k = 0;

	for (int i = 0; i < ds->nvars; i++) {
		if (!keep[i]) {
			catalog_var_release(&ds->vars[i]);
			continue;
		}
		if (k != i)
			ds->vars[k] = ds->vars[i];
		k++;
	}
	ds->nvars = k;
}

static void set_pack(struct cat_dataset *ds, int64_t pack_id)
{
	for (int i = 0; i < ds->nvars; i++) {
		struct cat_var *v = &ds->vars[i];

		for (int s = 0; s < v->nstreams; s++)
			for (uint32_t g = 0; g < v->streams[s].ngops; g++)
				v->streams[s].gops[g].pack_id = pack_id;
		for (int m = 0; m < v->nmasks; m++)
			v->masks[m].pack_id = pack_id;
	}
}

/* The part row of a file imported as the first of many (of each entry
 * of a stack). */
static int add_part(struct catalog *c, const struct cat_dataset *ds,
		    const struct import_opts *o)
{
	int d = parts_dim(ds, o->concat);
	struct cat_part part = { 0 };

	if (d >= 0)
		part.nframes = ds->dims[d].len;
	else if (ds->nvars && ds->vars[0].ndim)
		part.nframes = ds->vars[0].shape[0];
	return parts_add_rows(c, ds->id, &part, ds->source, o->stack,
			      o->nstack);
}

static int commit(struct catalog *c, struct pack_writer *pw,
		  struct cat_dataset *ds, const struct import_opts *o)
{
	int64_t pack_id;
	int replace = o->replace;
	int used = pack_writer_size(pw) > 0;
	int rc = used ? pack_writer_sync(pw) : 0;

	if (rc)
		return rc;
	rc = catalog_begin(c);
	if (rc)
		return rc;
	rc = catalog_dataset_exists(c, ds->name);
	if (rc > 0 && replace) {
		rc = catalog_dataset_delete(c, ds->name);
	} else if (rc > 0) {
		log_error("dataset '%s' already exists in '%s'", ds->name,
			  catalog_dir(c));
		rc = -EEXIST;
	}
	/* a dataset of no values has nothing in the pack: no row for it */
	if (!rc && used)
		rc = catalog_pack_add(c, pack_writer_name(pw),
				      pack_writer_size(pw), &pack_id);
	if (!rc) {
		if (used)
			set_pack(ds, pack_id);
		rc = catalog_dataset_insert(c, ds);
	}
	if (!rc && o->part)
		rc = add_part(c, ds, o);
	return catalog_end(c, rc);
}

int import_file(struct catalog *c, const char *path,
		const struct import_opts *o, struct import_report *rep)
{
	struct source *src = NULL;
	struct pack_writer *pw = NULL;
	struct progress pg;
	struct encode_ctx x = ENCODE_CTX_INIT(o, o->shared ? o->shared : &pg);
	struct import_var_report *vr = NULL;
	uint8_t *keep = NULL;
	struct cat_dataset *ds;
	uint64_t frames = 0;
	double t0 = clock_mono_s();
	int rc, kept = 0;

	if (rep)
		memset(rep, 0, sizeof(*rep));
	rc = o->nstack > 1 || o->date_pattern || o->bands ?
		source_gdal_stack_open(o->nstack ? o->stack : &path,
				       o->nstack ? o->nstack : 1,
				       o->date_pattern, o->bands, &src) :
		source_open(path, &src);
	if (rc)
		goto out;
	ds = src->meta;
	ds->name = o->name ? strdup(o->name) : import_default_name(path);
	ds->source = realpath(path, NULL);
	ds->profile = profile_text(o);
	if (!ds->name || !ds->profile) {
		rc = -ENOMEM;
		goto out;
	}
	if (catalog_name_valid(ds->name)) {
		log_error("invalid dataset name '%s': use 1-%d characters, no "
			  "'/', no control characters, not '.' or '..'",
			  ds->name, CATALOG_NAME_MAX);
		rc = -EINVAL;
		goto out;
	}
	rc = o->replace ? 0 : catalog_dataset_exists(c, ds->name);
	if (rc) {
		if (rc > 0) {
			log_error("dataset '%s' already exists in '%s'",
				  ds->name, catalog_dir(c));
			rc = -EEXIST;
		}
		goto out;
	}
	ds->created = ds->mtime = clock_wall_ns();
	vr = calloc((size_t)ds->nvars + 1, sizeof(*vr));
	keep = calloc((size_t)ds->nvars + 1, 1);
	if (!vr || !keep) {
		rc = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < ds->nvars; i++) {
		struct cat_var *v = &ds->vars[i];

		if (!v->name && !(v->name = strdup(ds->name))) {
			rc = -ENOMEM;
			goto out;
		}
		encode_layout(v);
	}
	rc = select_vars(ds, o->variables, keep);
	if (rc)
		goto out;
	fidelity_roles(ds);
	for (int i = 0; i < ds->nvars && !rc; i++)
		rc = keep[i] ? fidelity_plan(src, i, o) : 0;
	if (rc)
		goto out;
	for (int i = 0; i < ds->nvars; i++)
		frames += keep[i] ? ds->vars[i].nframes : 0;
	rc = pack_writer_new(catalog_dir(c), &pw);
	if (rc)
		goto out;
	x.pack = pw;
	if (!o->shared)
		progress_init(&pg, o->progress, ds->name, frames);
	for (int i = 0, k = 0; i < ds->nvars && !rc; i++) {
		if (!keep[i])
			continue;
		snprintf(vr[k].name, sizeof(vr[k].name), "%s", ds->vars[i].name);
		rc = encode_var(&x, src, i, &vr[k++]);
	}
	if (!o->shared)
		progress_done(&pg);
	if (rc)
		goto out;
	compact_vars(ds, keep);
	rc = view_build(ds);
	if (rc)
		goto out;
	rc = commit(c, pw, ds, o);
	if (rc)
		goto out;
	/* a pack of no bytes has no row and nothing uses it: removed */
	kept = pack_writer_size(pw) > 0;
	if (rep) {
		snprintf(rep->name, sizeof(rep->name), "%s", ds->name);
		rep->nvars = ds->nvars;
		rep->vars = vr;
		rep->seconds = clock_mono_s() - t0;
		vr = NULL;
	}
out:
	pack_writer_free(pw, kept);
	source_free(src);
	free(vr);
	free(keep);
	return rc;
}
