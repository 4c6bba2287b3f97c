/* SPDX-License-Identifier: MIT */
/* cubefs plot: PSNR and max error per frame of a variable, as a PNG chart or CSV. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/psnr.h"
#include "cli/cli.h"
#include "cli/plot.h"
#include "codec/video.h"

static void plot_usage(FILE *f)
{
	fprintf(f, "usage: cubefs plot STORE NAME [-v VAR] -o FILE.png\n"
		"       cubefs plot STORE NAME [-v VAR] --csv [-o FILE.csv]\n\n"
		"Draws the quality of each frame of a variable, as measured "
		"when it was\nencoded (at import, and again for the frames a "
		"write re-encodes): PSNR\nover the variable's data range and "
		"the largest absolute error.\nNAME is a dataset, or "
		"DATASET/VAR.\n\n"
		"  -v, --var VAR     the variable (needed when the dataset has "
		"several\n"
		"                    variables of 2 or more dims)\n"
		"  -o, --output FILE the PNG to write; a name ending in .csv "
		"gets the\n"
		"                    numbers instead, '-' (or '-.csv') prints "
		"them\n"
		"  --csv             print the numbers (frame, values, mse, "
		"psnr_db,\n"
		"                    max_abs_error) to stdout or to -o FILE\n"
		"  -h, --help        this help\n");
}

struct plot_args {
	const char *store, *name, *var, *out;
	int csv;
};

static int parse(int argc, char **argv, struct plot_args *a)
{
	int npos = 0, opts = 1;

	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];

		if (opts && !strcmp(s, "--")) {
			opts = 0;
		} else if (opts && (!strcmp(s, "-v") ||
				    !strcmp(s, "--var") || !strcmp(s, "-o") ||
				    !strcmp(s, "--output"))) {
			if (i + 1 == argc) {
				fprintf(stderr, "cubefs: plot: '%s' needs a "
					"value\n", s);
				return -1;
			}
			int var = !strcmp(s, "-v") || !strcmp(s, "--var");

			*(var ? &a->var : &a->out) = argv[++i];
		} else if (opts && !strcmp(s, "--csv")) {
			a->csv = 1;
		} else if (opts && s[0] == '-' && s[1]) {
			fprintf(stderr, "cubefs: plot: unknown option '%s'\n",
				s);
			return -1;
		} else if (npos == 2) {
			fprintf(stderr, "cubefs: plot: unexpected argument "
				"'%s'\n", s);
			return -1;
		} else {
			*(npos++ ? &a->name : &a->store) = s;
		}
	}
	if (npos != 2)
		return -1;
	if (a->out && (strlen(a->out) > 4 &&
	    !strcmp(a->out + strlen(a->out) - 4, ".csv")))
		a->csv = 1;
	if (a->out && (!strcmp(a->out, "-") || !strcmp(a->out, "-.csv"))) {
		a->csv = 1;
		a->out = NULL;          /* stdout */
	}
	if (!a->out && !a->csv) {
		fprintf(stderr, "cubefs: plot: missing -o FILE.png (or "
			"--csv)\n");
		return -1;
	}
	return 0;
}

/* Lists the variables of ds into buf as "a, b, c". */
static const char *var_list(const struct cat_dataset *ds, char *buf,
			    size_t cap)
{
	size_t at = 0;

	buf[0] = 0;
	for (int i = 0; i < ds->nvars && at < cap; i++)
		at += (size_t)snprintf(buf + at, cap - at, i ? ", %s" : "%s",
				       ds->vars[i].name);
	return buf;
}

/* The variable asked for, or the one cube variable; -1 (said why). */
static int pick_var(const struct cat_dataset *ds, const char *var)
{
	char list[512];
	int found = -1, cubes = 0;

	for (int i = 0; i < ds->nvars; i++) {
		if (var && !strcmp(ds->vars[i].name, var))
			return i;
		if (!var && ds->vars[i].ndim >= 2) {
			cubes++;
			found = i;
		}
	}
	if (var) {
		fprintf(stderr, "cubefs: no variable '%s' in dataset '%s' "
			"(it has: %s)\n", var, ds->name,
			var_list(ds, list, sizeof(list)));
		return -1;
	}
	if (ds->nvars == 1)
		return 0;
	if (cubes == 1)
		return found;
	fprintf(stderr, "cubefs: dataset '%s' has several variables (%s): "
		"choose one with -v\n", ds->name, var_list(ds, list,
							   sizeof(list)));
	return -1;
}

static int write_csv(const struct cat_var *v, const struct cat_frameq *q,
		     const double *psnr, const char *path)
{
	FILE *f = path ? fopen(path, "w") : stdout;
	int rc = 0;

	if (!f) {
		fprintf(stderr, "cubefs: cannot write '%s': %s\n", path,
			strerror(errno));
		return 1;
	}
	fprintf(f, "frame,values,mse,psnr_db,max_abs_error\n");
	for (uint64_t i = 0; i < v->nframes; i++) {
		fprintf(f, "%llu,%llu,", (unsigned long long)i,
			(unsigned long long)q[i].count);
		if (q[i].count)
			fprintf(f, "%.17g,", q[i].sse / (double)q[i].count);
		else
			fprintf(f, ",");
		if (isinf(psnr[i]))
			fprintf(f, "inf,%.9g\n", q[i].max_err);
		else if (isnan(psnr[i]))
			fprintf(f, ",\n");
		else
			fprintf(f, "%.6f,%.9g\n", psnr[i], q[i].max_err);
	}
	if (fflush(f) || ferror(f) || (f != stdout && fclose(f))) {
		fprintf(stderr, "cubefs: cannot write '%s': %s\n",
			f == stdout ? "stdout" : path, strerror(errno));
		rc = 1;
	}
	return rc;
}

static int draw(const struct cat_dataset *ds, const struct cat_var *v,
		const struct cat_frameq *q, double *psnr, const char *path)
{
	const struct cat_stream *s = v->nstreams ? &v->streams[0] : NULL;
	uint64_t elems = catalog_var_elems(v);
	double bpv = elems ? catalog_var_stored_bytes(v) * 8.0 / elems : 0;
	double *err = calloc(v->nframes + 1, sizeof(*err));
	char title[512], sub[256], quality[64];
	struct plot_chart ch = {
		.title = title, .subtitle = sub, .nframes = v->nframes,
		.psnr = psnr, .max_err = err, .psnr_all = v->psnr,
		.exact = v->storage == VAR_STORE_LZ4 || (s && s->lossless),
		.frame_axis = v->ndim >= 3 && v->dimids[0] >= 0 ?
			ds->dims[v->dimids[0]].name : NULL,
	};
	int rc;

	if (!err)
		return 1;
	for (uint64_t i = 0; i < v->nframes; i++)
		err[i] = q[i].count ? q[i].max_err : NAN;
	snprintf(title, sizeof(title), "%s/%s", ds->name, v->name);
	if (isinf(v->psnr))
		snprintf(quality, sizeof(quality), "exact");
	else
		snprintf(quality, sizeof(quality), "PSNR %.2f dB, max error "
			 "%.4g", v->psnr, v->max_err);
	if (!s || s->codec == CODEC_LZ4)
		snprintf(sub, sizeof(sub), "lz4 (lossless), %.3f bits per "
			 "value, %s", bpv, quality);
	else
		snprintf(sub, sizeof(sub), "%s %d-bit%s, %.3f bits per value, "
			 "%s", codec_name(s->codec), s->bits, s->lossless ?
			 " lossless" : "", bpv, quality);
	rc = plot_png(&ch, path);
	free(err);
	return rc ? 1 : 0;
}

int cmd_plot(int argc, char **argv)
{
	struct plot_args a = { 0 };
	struct cat_dataset *ds = NULL;
	struct cat_frameq *q = NULL;
	struct catalog *c = NULL;
	const struct cat_var *v;
	double *psnr = NULL;
	char dsname[CATALOG_NAME_MAX + 1];
	const char *slash;
	int rc = 1, vi, found;

	if (cli_help_asked(argc, argv)) {
		plot_usage(stdout);
		return 0;
	}
	if (parse(argc, argv, &a)) {
		plot_usage(stderr);
		return 2;
	}
	slash = strchr(a.name, '/');
	snprintf(dsname, sizeof(dsname), "%.*s", slash ?
		 (int)(slash - a.name) : (int)strlen(a.name), a.name);
	if (slash && !a.var)
		a.var = slash + 1;
	c = cli_open_store(a.store, CATALOG_RDONLY);
	if (!c)
		return 1;
	found = catalog_dataset_load(c, dsname, &ds);
	if (found) {
		if (found == -ENOENT)
			fprintf(stderr, "cubefs: no dataset '%s' in '%s'\n",
				dsname, a.store);
		goto out;
	}
	vi = pick_var(ds, a.var);
	if (vi < 0)
		goto out;
	v = &ds->vars[vi];
	found = catalog_frameq_load(c, v, &q);
	if (found == -ENOTSUP) {
		fprintf(stderr, "cubefs: store '%s' has no per-frame figures "
			"(catalog schema version 1): re-import '%s' with this "
			"cubefs to get them\n", a.store, dsname);
		goto out;
	}
	if (found < 0)
		goto out;
	if (!found && v->nframes) {
		fprintf(stderr, "cubefs: dataset '%s' was imported before "
			"per-frame figures were kept: re-import it to get "
			"them\n", dsname);
		goto out;
	}
	psnr = calloc(v->nframes + 1, sizeof(*psnr));
	if (!psnr)
		goto out;
	for (uint64_t i = 0; i < v->nframes; i++)
		psnr[i] = !q[i].count ? NAN : v->storage == VAR_STORE_LZ4 ?
			INFINITY : psnr_db(q[i].sse, q[i].count, v->vmin,
					      v->vmax);
	rc = a.csv ? write_csv(v, q, psnr, a.out) : draw(ds, v, q, psnr, a.out);
out:
	free(psnr);
	free(q);
	catalog_dataset_free(ds);
	catalog_free(c);
	return rc;
}
