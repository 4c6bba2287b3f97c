/* SPDX-License-Identifier: MIT */
/* cubefs ls and info: what a store holds, from one line per variable to every GOP. */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "cli/cli.h"
#include "cli/json.h"
#include "codec/video.h"
#include "ingest/fidelity.h"

struct catalog *cli_open_store(const char *dir, int flags)
{
	struct catalog *c;
	int rc = catalog_open(dir, flags, &c);

	if (rc == -EROFS)	/* the one refusal catalog_open leaves unsaid */
		fprintf(stderr, "cubefs: cannot write store '%s': %s\n", dir,
			strerror(-rc));
	return rc ? NULL : c;
}

const char *cli_bytes(double n, char *buf, size_t cap)
{
	static const char *const unit[] = { "B", "kB", "MB", "GB", "TB" };
	int u = 0;

	while (n >= 1000 && u < 4) {
		n /= 1000;
		u++;
	}
	snprintf(buf, cap, u ? "%.1f %s" : "%.0f %s", n, unit[u]);
	return buf;
}

const char *cli_shape(const struct cat_var *v, char *buf, size_t cap)
{
	size_t at = 0;

	at += (size_t)snprintf(buf, cap, "(");
	for (int i = 0; i < v->ndim && at < cap; i++)
		at += (size_t)snprintf(buf + at, cap - at, i ? ", %llu" : "%llu",
				       (unsigned long long)v->shape[i]);
	if (at < cap)
		snprintf(buf + at, cap - at, v->ndim == 1 ? ",)" : ")");
	return buf;
}

int cli_find_var(struct cat_dataset **all, int n, const char *name,
		 struct cat_dataset **ds, int *vi)
{
	const char *slash = strchr(name, '/');
	size_t dl = slash ? (size_t)(slash - name) : strlen(name);

	*ds = NULL;
	for (int i = 0; i < n; i++) {
		if (strlen(all[i]->name) != dl || strncmp(all[i]->name, name, dl))
			continue;
		*ds = all[i];
		if (!slash && all[i]->nvars == 1) {
			*vi = 0;
			return 0;
		}
		for (int k = 0; slash && k < all[i]->nvars; k++) {
			if (!strcmp(all[i]->vars[k].name, slash + 1)) {
				*vi = k;
				return 0;
			}
		}
	}
	return -ENOENT;
}

/* The columns `ls` prints a name and a shape in, at least the default
 * widths, wide enough for the longest. */
struct ls_widths {
	int name, shape;
};

/*
 * Terminal columns of s read as UTF-8, the encoding of NetCDF names (and
 * so of the catalog's), whatever the user's locale: wcwidth() of each
 * character in C.UTF-8, one column for an invalid byte or where C.UTF-8 is
 * missing.
 */
static int text_width(const char *s)
{
	static locale_t utf8;
	locale_t was = (locale_t)0;
	mbstate_t st;
	int w = 0;

	if (!utf8)
		utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	if (utf8)
		was = uselocale(utf8);
	memset(&st, 0, sizeof(st));
	while (*s) {
		wchar_t wc;
		size_t n = utf8 ? mbrtowc(&wc, s, MB_CUR_MAX, &st) : 1;
		int cw = utf8 && n <= MB_CUR_MAX ? wcwidth(wc) : 1;

		if (n > MB_CUR_MAX) {	/* invalid or cut short */
			memset(&st, 0, sizeof(st));
			n = 1;
		}
		w += cw < 0 ? 1 : cw;
		s += n;
	}
	if (utf8)
		uselocale(was);
	return w;
}

/* s, then spaces up to `width` columns. */
static void print_col(const char *s, int width)
{
	int w = text_width(s);

	printf("%s%*s", s, w < width ? width - w : 0, "");
}

/* The name of variable k of ds as `ls` shows it. */
static const char *row_name(const struct cat_dataset *ds, int k, char *buf,
			    size_t cap)
{
	if (ds->nvars == 1)
		snprintf(buf, cap, "%s", ds->name);
	else
		snprintf(buf, cap, "%s/%s", ds->name, ds->vars[k].name);
	return buf;
}

static void ls_var(const char *name, const struct cat_var *v,
		   const struct ls_widths *w)
{
	uint64_t raw = catalog_var_elems(v) * dtype_size(v->dtype);
	uint64_t stored = catalog_var_stored_bytes(v);
	char shape[128], b1[32], b2[32], psnr[32];

	if (isinf(v->psnr))
		snprintf(psnr, sizeof(psnr), "exact");
	else
		snprintf(psnr, sizeof(psnr), "%.2f dB", v->psnr);
	print_col(name, w->name);
	printf(" %-*s %-8s %-5s %10s %10s %7.1fx  %s\n", w->shape,
	       cli_shape(v, shape, sizeof(shape)), dtype_name(v->dtype),
	       v->nstreams ? codec_name(v->streams[0].codec) : "-",
	       cli_bytes((double)raw, b1, sizeof(b1)),
	       cli_bytes((double)stored, b2, sizeof(b2)),
	       stored ? (double)raw / stored : 0.0, psnr);
}

/* Prints the table: a header, then one row per variable. */
static void ls_table(struct cat_dataset **all, int n)
{
	struct ls_widths w = { .name = 28, .shape = 22 };
	char name[512], shape[128];

	for (int i = 0; i < n; i++) {
		for (int k = 0; k < all[i]->nvars; k++) {
			int nw = text_width(row_name(all[i], k, name,
						     sizeof(name)));
			int sw = (int)strlen(cli_shape(&all[i]->vars[k], shape,
						       sizeof(shape)));

			w.name = nw > w.name ? nw : w.name;
			w.shape = sw > w.shape ? sw : w.shape;
		}
	}
	print_col("NAME", w.name);
	printf(" %-*s %-8s %-5s %10s %10s %8s  %s\n", w.shape, "SHAPE",
	       "DTYPE", "CODEC", "RAW", "STORED", "RATIO", "PSNR");
	for (int i = 0; i < n; i++)
		for (int k = 0; k < all[i]->nvars; k++)
			ls_var(row_name(all[i], k, name, sizeof(name)),
			       &all[i]->vars[k], &w);
}

static void ls_usage(FILE *f)
{
	fprintf(f, "usage: cubefs ls [--json] STORE\n\n"
		"Lists every variable of every dataset of STORE: shape, dtype, "
		"codec, raw and\nstored size, ratio, and PSNR over the data "
		"range ('exact' when bit-exact).\nA dataset of several "
		"variables shows them as DATASET/VARIABLE.\nThen the plain "
		"files mounts keep in staging/: size, and why a pending\n"
		"one is not imported yet (not with --json).\n\n"
		"  --json      one JSON array of datasets: name, source, "
		"created and mtime\n"
		"              (ISO 8601 UTC), variables (name, dtype, shape, "
		"dims, storage,\n"
		"              codec, bits, raw_bytes, stored_bytes, ratio, "
		"bits_per_value,\n"
		"              psnr (null when exact), max_error) and views "
		"(name, in_dir,\n"
		"              kind, size)\n"
		"  -h, --help  this help\n");
}

/*
 * Splits argv into the flags named in `flags` (set[i] = 1) and up to maxpos
 * positional arguments ("--" ends the flags). Returns the number of
 * positional arguments, or -1 (message printed) for an unknown option or
 * one argument too many.
 */
static int parse_args(int argc, char **argv, const char *const *flags,
		      int *set, const char **pos, int maxpos)
{
	int npos = 0, opts = 1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int k;

		for (k = 0; opts && flags[k] && strcmp(a, flags[k]); k++)
			;
		if (opts && !strcmp(a, "--")) {
			opts = 0;
		} else if (opts && flags[k]) {
			set[k] = 1;
		} else if (opts && a[0] == '-' && a[1]) {
			fprintf(stderr, "cubefs: %s: unknown option '%s'\n",
				argv[0], a);
			return -1;
		} else if (npos == maxpos) {
			fprintf(stderr, "cubefs: %s: unexpected argument "
				"'%s'\n", argv[0], a);
			return -1;
		} else {
			pos[npos++] = a;
		}
	}
	return npos;
}

static int ls_json(struct cat_dataset **all, int n)
{
	struct json j;

	json_init(&j, stdout, 2);
	json_array_begin(&j);
	for (int i = 0; i < n; i++)
		cli_json_dataset(&j, all[i], CLI_JSON_LS, NULL, 0);
	json_array_end(&j);
	return json_finish(&j);
}

int cmd_ls(int argc, char **argv)
{
	static const char *const flags[] = { "--json", NULL };
	struct cat_dataset **all;
	struct catalog *c;
	const char *store;
	int set[1] = { 0 }, n, rc;

	if (cli_help_asked(argc, argv)) {
		ls_usage(stdout);
		return 0;
	}
	if (parse_args(argc, argv, flags, set, &store, 1) != 1) {
		ls_usage(stderr);
		return 2;
	}
	c = cli_open_store(store, CATALOG_RDONLY);
	if (!c)
		return 1;
	rc = catalog_dataset_load_all(c, &all, &n);
	if (rc) {
		catalog_free(c);
		return 1;
	}
	if (set[0]) {
		rc = ls_json(all, n);
		catalog_dataset_free_all(all, n);
		catalog_free(c);
		if (rc)
			fprintf(stderr, "cubefs: cannot write the listing: "
				"%s\n", strerror(-rc));
		return rc ? 1 : 0;
	}
	ls_table(all, n);
	catalog_dataset_free_all(all, n);
	/* apart from the datasets: files a mount keeps in staging/ */
	rc = cli_plain_print(c, store, NULL, 0);
	catalog_free(c);
	return rc < 0 ? 1 : 0;
}

/* What comes back exactly (ingest/fidelity.h): the role, the exact
 * values and the rule that chose them, the valid range. */
static void info_fidelity(const struct cat_dataset *ds,
			  const struct cat_var *v)
{
	if (v->role != VAR_ROLE_DATA)
		printf("  fidelity: %s, stored exactly\n",
		       fidelity_role_name(v->role));
	if (v->storage != VAR_STORE_VIDEO || isinf(v->psnr))
		return;
	printf("  exact values:");
	for (int k = 0; k < v->nexact; k++)
		printf("%s %.9g", k ? "," : "", v->exact[k]);
	printf("%s (%s)\n", v->nexact ? "" : " none",
	       fidelity_rule_text(ds->profile));
	if (v->has_valid)
		printf("  valid range: %.9g to %.9g, decoded values held to "
		       "each plane's range\n", v->valid_lo, v->valid_hi);
}

static void info_var(const struct cat_dataset *ds, const struct cat_var *v,
		     int gops)
{
	uint64_t raw = catalog_var_elems(v) * dtype_size(v->dtype);
	uint64_t stored = catalog_var_stored_bytes(v);
	char shape[128], b1[32], b2[32];

	printf("variable %s: %s %s\n", v->name, dtype_name(v->dtype),
	       cli_shape(v, shape, sizeof(shape)));
	if (v->ndim) {
		printf("  dims:");
		for (int i = 0; i < v->ndim; i++)
			printf(" %s", v->dimids[i] >= 0 ?
			       ds->dims[v->dimids[i]].name : "-");
		printf("\n");
	}
	printf("  layout: %llu frames x %llu planes x %llu x %llu\n",
	       (unsigned long long)v->nframes, (unsigned long long)v->nplanes,
	       (unsigned long long)v->height, (unsigned long long)v->width);
	printf("  stored: %s of %s (ratio %.1f, %.4f bits per value)\n",
	       cli_bytes((double)stored, b1, sizeof(b1)),
	       cli_bytes((double)raw, b2, sizeof(b2)),
	       stored ? (double)raw / stored : 0.0,
	       catalog_var_elems(v) ? stored * 8.0 / catalog_var_elems(v) : 0.0);
	if (isinf(v->psnr))
		printf("  quality: exact\n");
	else
		printf("  quality: PSNR %.2f dB over the data range, max abs "
		       "error %.6g\n", v->psnr, v->max_err);
	info_fidelity(ds, v);
	if (v->has_fill)
		printf("  fill value restored at masked positions\n");
	if (v->nmasks) {
		uint64_t mb = 0;

		for (int m = 0; m < v->nmasks; m++)
			mb += v->masks[m].length;
		printf("  masks: %d blocks, %s\n", v->nmasks,
		       cli_bytes((double)mb, b1, sizeof(b1)));
	}
	for (int s = 0; s < v->nstreams; s++) {
		const struct cat_stream *st = &v->streams[s];
		uint64_t sb = 0;

		for (uint32_t g = 0; g < st->ngops; g++)
			sb += st->gops[g].length;
		printf("  stream %d: planes %d-%d, %s, %d bits, %s, crf %d, "
		       "%u GOPs of %u frames, %s\n", s, st->first_plane,
		       st->first_plane + st->nplanes - 1, codec_name(st->codec),
		       st->bits, st->codec == CODEC_LZ4 ? "raw values" :
		       st->nplanes == 3 ? "gbrp" : "gray",
		       st->lossless ? 0 : st->crf, st->ngops, st->gop_len,
		       cli_bytes((double)sb, b1, sizeof(b1)));
		if (st->npatches)
			printf("    %u patch GOPs (edited frames; cubefs compact "
			       "merges them)\n", st->npatches);
		for (uint32_t g = 0; gops && g < st->npatches; g++)
			printf("    patch %u: frames %u-%u, pack %lld @ %llu, "
			       "%llu bytes\n", g, st->patches[g].first_frame,
			       st->patches[g].first_frame +
			       st->patches[g].nframes - 1,
			       (long long)st->patches[g].pack_id,
			       (unsigned long long)st->patches[g].offset,
			       (unsigned long long)st->patches[g].length);
		if (st->codec == CODEC_LZ4 || !st->ngops)
			continue;
		for (int p = 0; p < st->nplanes; p++) {
			double lo = INFINITY, hi = -INFINITY;
			double smin = INFINITY, smax = -INFINITY;

			for (uint32_t g = 0; g < st->ngops; g++) {
				const struct codec_quant *q = &st->gops[g].quant[p];

				lo = q->min < lo ? q->min : lo;
				hi = q->max > hi ? q->max : hi;
				smin = q->scale < smin ? q->scale : smin;
				smax = q->scale > smax ? q->scale : smax;
			}
			printf("    plane %d: values %.9g .. %.9g, scale %.9g .. "
			       "%.9g per GOP\n", st->first_plane + p, lo, hi,
			       smin, smax);
		}
		for (uint32_t g = 0; gops && g < st->ngops; g++) {
			const struct cat_gop *gp = &st->gops[g];

			printf("    gop %u: frames %u-%u, pack %lld @ %llu, %llu "
			       "bytes, %u packets, crc32 %08x\n", g,
			       gp->first_frame,
			       gp->first_frame + gp->nframes - 1,
			       (long long)gp->pack_id,
			       (unsigned long long)gp->offset,
			       (unsigned long long)gp->length, gp->npkt,
			       gp->checksum);
			for (int p = 0; gp->quant && p < st->nplanes; p++)
				printf("      plane %d: scale %.17g offset %.17g "
				       "min %.9g max %.9g\n",
				       st->first_plane + p, gp->quant[p].scale,
				       gp->quant[p].offset, gp->quant[p].min,
				       gp->quant[p].max);
		}
	}
}

static void info_usage(FILE *f)
{
	fprintf(f, "usage: cubefs info STORE NAME [--gops] [--json]\n\n"
		"Shows everything about dataset NAME of STORE: source, import "
		"profile, dims,\nattributes, and per variable its layout, "
		"size, quality, masks and streams\n(codec, bits, planes, "
		"crf, GOPs, the range of values and scales per plane).\n"
		"A NAME that is a plain file a mount keeps: its size, state "
		"and where it is.\n\n"
		"  --gops      also every GOP: frames, pack, offset, length, "
		"packets, crc32,\n"
		"              and each plane's scale, offset, min and max\n"
		"  --json      one JSON object: what `ls --json` gives, and "
		"dims, global and\n"
		"              variable attributes (name, NetCDF type, value), "
		"masks, streams,\n"
		"              skipped variables, input files; with --gops "
		"each GOP\n"
		"  -h, --help  this help\n");
}

static int info_json(const struct cat_dataset *ds, int gops,
		     const struct cat_part *parts, size_t n)
{
	struct json j;

	json_init(&j, stdout, 2);
	cli_json_dataset(&j, ds, gops ? CLI_JSON_GOPS : CLI_JSON_INFO, parts,
			 n);
	return json_finish(&j);
}

int cmd_info(int argc, char **argv)
{
	static const char *const flags[] = { "--gops", "--json", NULL };
	struct cat_dataset *ds;
	struct cat_part *parts = NULL;
	size_t nparts = 0;
	struct catalog *c;
	const char *pos[2];
	char when[64];
	time_t t;
	int set[2] = { 0, 0 }, rc, gops;

	if (cli_help_asked(argc, argv)) {
		info_usage(stdout);
		return 0;
	}
	if (parse_args(argc, argv, flags, set, pos, 2) != 2) {
		info_usage(stderr);
		return 2;
	}
	gops = set[0];
	c = cli_open_store(pos[0], CATALOG_RDONLY);
	if (!c)
		return 1;
	rc = catalog_dataset_load(c, pos[1], &ds);
	if (!rc && catalog_parts_load(c, ds->id, &parts, &nparts))
		nparts = 0;
	if (rc == -ENOENT && !set[1] &&
	    cli_plain_print(c, pos[0], pos[1], 0) >= 0) {
		catalog_free(c);	/* a plain file of that name */
		return 0;
	}
	catalog_free(c);
	if (rc) {
		if (rc == -ENOENT)
			fprintf(stderr, "cubefs: no dataset '%s' in '%s'\n",
				pos[1], pos[0]);
		return 1;
	}
	if (set[1]) {
		rc = info_json(ds, gops, parts, nparts);
		catalog_parts_free(parts, nparts);
		catalog_dataset_free(ds);
		if (rc)
			fprintf(stderr, "cubefs: cannot write the description: "
				"%s\n", strerror(-rc));
		return rc ? 1 : 0;
	}
	t = (time_t)(ds->created / 1000000000);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", localtime(&t));
	printf("dataset %s\n  source: %s\n  imported: %s\n  profile: %s\n",
	       ds->name, ds->source ? ds->source : "-", when,
	       ds->profile ? ds->profile : "-");
	for (int i = 0; i < ds->ndims; i++)
		printf("  dim %s = %llu%s\n", ds->dims[i].name,
		       (unsigned long long)ds->dims[i].len,
		       ds->dims[i].unlimited ? " (unlimited)" : "");
	if (ds->nattrs)
		printf("  %d global attributes\n", ds->nattrs);
	if (ds->skipped)
		printf("  skipped (unsupported type): %s\n", ds->skipped);
	cli_print_parts(parts, nparts);
	for (int i = 0; i < ds->nvars; i++)
		info_var(ds, &ds->vars[i], gops);
	for (int i = 0; i < ds->nviews; i++)
		printf("view %s%s%s: %llu bytes, %d extents\n",
		       ds->views[i].in_dir ? ds->name : "",
		       ds->views[i].in_dir ? "/" : "", ds->views[i].name,
		       (unsigned long long)ds->views[i].size,
		       ds->views[i].nextents);
	catalog_parts_free(parts, nparts);
	catalog_dataset_free(ds);
	return 0;
}
