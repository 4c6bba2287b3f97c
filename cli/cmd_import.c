/* SPDX-License-Identifier: MIT */
/* cubefs import: option parsing and the report printed after an import. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "base/dtype.h"
#include "base/log.h"
#include "cli/cli.h"
#include "codec/video.h"
#include "ingest/encode_effort.h"
#include "ingest/import.h"
#include "ingest/source.h"
#include "store/lock.h"

/* "x265 8, 10, 12; x264 8, 10; ...": the depths of each video codec as the
 * libavcodec present takes them, wrapped at 78 columns after `indent`. */
static void print_depths(FILE *f, int indent, int col)
{
	static const int codecs[] = {
		CODEC_SVTAV1, CODEC_X265, CODEC_X264, CODEC_VP9, CODEC_AV1,
		CODEC_FFV1,
	};
	const int nc = (int)(sizeof(codecs) / sizeof(codecs[0]));

	for (int i = 0; i < nc; i++) {
		char can[32], item[48];
		int c = codecs[i], n;

		if (!codec_video_depths(c, 0, can, sizeof(can)))
			continue;
		n = snprintf(item, sizeof(item), "%s %s", codec_name(c), can);
		if (col + n + 2 > 78) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		} else if (i) {
			fputc(' ', f);
			col++;
		}
		col += fprintf(f, "%s%s", item, i + 1 < nc ? ";" : "");
	}
	fputc('\n', f);
}

static void import_usage(FILE *f)
{
	fprintf(f,
"usage: cubefs import STORE FILE... [options]\n"
"  Encodes FILE (.npy, NetCDF, a Zarr store, GRIB, GeoTIFF) as a dataset\n"
"  of STORE, creating STORE if it does not exist. Several FILEs (or a\n"
"  quoted glob) make one dataset, joined along the record dimension in\n"
"  the order of its coordinate values, committed file by file: run\n"
"  again, it resumes. Rasters (GeoTIFF) of one grid become the frames\n"
"  of one variable, in the order of their dates, committed a GOP of\n"
"  files at a time: run again, it resumes, or appends later dates.\n"
"options:\n"
"  --name NAME     dataset name (default: FILE's base name)\n"
"  --codec C       svtav1 (the default effort's), x265, x264, vp9, av1,\n"
"                  ffv1 (lossless), lz4 (exact)\n");
	print_depths(f, 18, fprintf(f,
"  --bits N        depth (svtav1 10, else %d), per codec: ",
		IMPORT_DEFAULT_BITS));
	fprintf(f,
"  --crf N         quality: lower is better and bigger (default 12 for\n"
"                  svtav1, else %d; x265 goes on from 0 to -6, its finest:\n"
"                  every quantizer 0)\n"
"  --gop N         frames per GOP, the unit of random access (default: 16\n"
"                  to 256, as many as hold about 1 Mi values per plane,\n"
"                  split evenly)\n"
"  --lossless      bit-exact: ffv1 for integers, lz4 for floats\n"
"  --rgb           bands in groups of three (gbrp; the default for lossy\n"
"                  variables of 3 or more bands)\n"
"  --gray          each band its own gray stream (the default otherwise)\n"
"  --effort E      fast, default or best: the encoder and its preset where\n"
"                  --codec and --preset leave them open (bench/RESULTS.md,\n"
"                  sh bench/frontier.sh); decoding is the same for all\n"
"  --preset P      encoder speed preset (x265: slow, and more; naming one\n"
"                  uses it as is: slow is 2.7x faster, medium 4.9x)\n"
"  --max-error E   guarantee: every value read back within E of the source\n"
"                  (in the variable's units; corrections stored where the\n"
"                  codec missed; without --crf, the crf that stores the\n"
"                  fewest bits in all is searched)\n"
"  --psnr P        target: the largest crf whose PSNR (dB, over the data\n"
"                  range) reaches P, searched on a few GOPs\n"
"  --bpv B         target: the crf whose bits per value land nearest B\n"
"  --variables A,B import only these variables of a NetCDF file (and the\n"
"                  coordinate variables of their dimensions)\n"
"  --concat DIM    join several FILEs along DIM (default: the unlimited\n"
"                  dimension, else the first axis of the cubes)\n"
"  --date-pattern F  the date in each RASTER's name as a strptime format\n"
"                  (e.g. _%%Y%%m%%d_; default: Landsat and Sentinel-2 names,\n"
"                  else the TIFF date tag)\n"
"  --bands A,B     each FILE is a folder of one scene (one date): its files\n"
"                  whose names have A, B... as a word become the planes, in\n"
"                  that order, dated by the folder's name\n"
"  --exact-values A,B  lossy variables keep these values exactly where\n"
"                  they were (default: 0, and any value of 1%% or more)\n"
"  --no-exact-values   none\n"
"  -q, --quiet     no progress, no report\n",
		IMPORT_DEFAULT_CRF);
}

static int parse_int(const char *s, int lo, int hi, const char *what, int *v)
{
	char *end;
	long x = strtol(s, &end, 10);

	if (!*s || *end || x < lo || x > hi) {
		fprintf(stderr, "cubefs: invalid %s '%s' (%d to %d)\n", what, s, lo,
			hi);
		return -EINVAL;
	}
	*v = (int)x;
	return 0;
}

/* A finite number > 0 (and <= max when max > 0). */
static int parse_positive(const char *s, const char *what, double max,
			  double *v)
{
	char *end;
	double x = strtod(s, &end);

	if (!*s || *end || !(x > 0) || !isfinite(x) || (max > 0 && x > max)) {
		if (max > 0)
			fprintf(stderr, "cubefs: invalid %s '%s' (a number "
				"above 0, at most %g)\n", what, s, max);
		else
			fprintf(stderr, "cubefs: invalid %s '%s' (a positive "
				"number)\n", what, s);
		return -EINVAL;
	}
	*v = x;
	return 0;
}

/* Options that cannot go together; 0 if none. */
static int conflicting(const struct import_opts *o)
{
	const char *a = NULL, *b = NULL;

	if (o->psnr > 0 && o->bpv > 0)
		a = "--psnr", b = "--bpv";
	else if (o->bands && o->concat)
		a = "--bands", b = "--concat";
	else if ((o->psnr > 0 || o->bpv > 0) && o->crf != IMPORT_CRF_UNSET)
		a = o->psnr > 0 ? "--psnr" : "--bpv", b = "--crf";
	else if (o->crf < 0 && o->crf != IMPORT_CRF_UNSET &&
		 o->codec != CODEC_NONE && o->codec != CODEC_X265)
		a = "--crf below 0", b = "a codec other than x265";
	else if ((o->psnr > 0 || o->bpv > 0 || o->max_error > 0) &&
		 (o->lossless || o->codec == CODEC_FFV1 ||
		  o->codec == CODEC_LZ4))
		a = o->psnr > 0 ? "--psnr" : o->bpv > 0 ? "--bpv" :
			"--max-error", b = o->lossless ? "--lossless" :
			"a lossless codec";
	if (!a)
		return 0;
	fprintf(stderr, "cubefs: %s and %s cannot go together\n", a, b);
	return -EINVAL;
}

/* A depth the codec cannot encode, refused before the store is opened. */
static int unsupported_bits(const struct import_opts *o)
{
	enum codec_id c = o->codec ? o->codec :
		o->lossless ? CODEC_FFV1 : CODEC_X265;
	char can[32], others[64] = "";
	size_t at = 0;

	if (!o->bits || c == CODEC_LZ4 ||
	    codec_video_depths(c, o->group == 1, can, sizeof(can)) &
	    CODEC_DEPTH(o->bits))
		return 0;
	for (int k = CODEC_X265; k < CODEC_LZ4; k++)
		if (codec_video_depths(k, 0, NULL, 0) & CODEC_DEPTH(o->bits))
			at += (size_t)snprintf(others + at, sizeof(others) - at,
					       "%s%s", at ? ", " : "",
					       codec_name(k));
	fprintf(stderr, "cubefs: %s cannot encode %d bits (it takes %s",
		codec_name(c), o->bits, can);
	if (at)
		fprintf(stderr, "; %d bits: --codec %s", o->bits, others);
	fprintf(stderr, ")\n");
	return -ENOTSUP;
}

/* 1 if path is a folder but not a Zarr store (.zgroup, .zarray or
 * zarr.json at its top). */
static int plain_folder(const char *path)
{
	static const char *const marks[] = { ".zgroup", ".zarray",
					     "zarr.json" };
	struct stat st;
	char f[4096];

	if (stat(path, &st) || !S_ISDIR(st.st_mode))
		return 0;
	for (int i = 0; i < 3; i++)
		if (snprintf(f, sizeof(f), "%s/%s", path, marks[i]) <
		    (int)sizeof(f) && !access(f, F_OK))
			return 0;
	return 1;
}

/* --bands takes scene folders only, and a folder that is no Zarr store
 * needs --bands; refused with one line before the store is opened. */
static int scene_folders(const struct import_opts *o, char **files, int n)
{
	struct stat st;

	for (int i = 0; i < n; i++) {
		if (o->bands && (stat(files[i], &st) || !S_ISDIR(st.st_mode))) {
			fprintf(stderr, "cubefs: --bands takes folders of band "
				"files: '%s' is not a folder\n", files[i]);
			return -EINVAL;
		}
		if (!o->bands && plain_folder(files[i])) {
			fprintf(stderr, "cubefs: '%s' is a folder but no "
				"Zarr store: give --bands B2,B3,... to import "
				"folders of band files\n", files[i]);
			return -EINVAL;
		}
	}
	return 0;
}

/* The crf a search chose, and what it reached. */
static void print_target(const struct import_opts *o,
			 const struct import_var_report *v)
{
	char goal[64];

	if (o->psnr > 0)
		snprintf(goal, sizeof(goal), "PSNR %g dB", o->psnr);
	else if (o->bpv > 0)
		snprintf(goal, sizeof(goal), "%g bits per value", o->bpv);
	else
		snprintf(goal, sizeof(goal), "the fewest bits within max "
			 "error %g", o->max_error);
	printf("  %-16s crf %d for %s (%d trial encodes%s): reached PSNR "
	       "%.2f dB, %.3f bpv\n", "", v->crf, goal, v->probes,
	       v->refined ? ", whole encoded twice" : "", v->psnr,
	       v->values ? v->stored_bytes * 8.0 / v->values : 0.0);
}

int cmd_import(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "codec", required_argument, NULL, 'c' },
		{ "bits", required_argument, NULL, 'b' },
		{ "crf", required_argument, NULL, 'r' },
		{ "gop", required_argument, NULL, 'g' },
		{ "lossless", no_argument, NULL, 'l' },
		{ "rgb", no_argument, NULL, '3' },
		{ "gray", no_argument, NULL, '1' },
		{ "preset", required_argument, NULL, 'p' },
		{ "effort", required_argument, NULL, 'e' },
		{ "max-error", required_argument, NULL, 'E' },
		{ "psnr", required_argument, NULL, 'P' },
		{ "bpv", required_argument, NULL, 'B' },
		{ "variables", required_argument, NULL, 'V' },
		{ "concat", required_argument, NULL, 'C' },
		{ "date-pattern", required_argument, NULL, 'D' },
		{ "bands", required_argument, NULL, 'S' },
		{ "exact-values", required_argument, NULL, 'x' },
		{ "no-exact-values", no_argument, NULL, 'X' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct import_opts o;
	struct import_report rep;
	struct store_lock *lock = NULL;
	struct catalog *c;
	int ch, rc, quiet = 0;

	import_opts_init(&o);
	while ((ch = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'n': o.name = optarg; break;
		case 'c':
			o.codec = codec_from_name(optarg);
			if (!o.codec) {
				fprintf(stderr, "cubefs: unknown codec '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'b':
			if (parse_int(optarg, 8, 16, "bits", &o.bits) ||
			    (o.bits != 8 && o.bits != 10 && o.bits != 12 &&
			     o.bits != 16)) {
				fprintf(stderr, "cubefs: bits must be 8, 10, 12 "
					"or 16\n");
				return 2;
			}
			break;
		case 'r':
			if (parse_int(optarg, CODEC_CRF_MIN, 63, "crf", &o.crf))
				return 2;
			break;
		case 'g':
			if (parse_int(optarg, 1, 1024, "gop", &o.gop))
				return 2;
			break;
		case 'l': o.lossless = 1; break;
		case '3': o.group = 3; break;
		case '1': o.group = 1; break;
		case 'p': o.preset = optarg; break;
		case 'e':
			if (encode_effort_parse(optarg, &o.effort)) {
				fprintf(stderr, "cubefs: invalid effort '%s' "
					"(fast, default or best)\n", optarg);
				return 2;
			}
			break;
		case 'E':
			if (parse_positive(optarg, "max-error", 0, &o.max_error))
				return 2;
			break;
		case 'P':
			if (parse_positive(optarg, "psnr", 200, &o.psnr))
				return 2;
			break;
		case 'B':
			if (parse_positive(optarg, "bpv", 64, &o.bpv))
				return 2;
			break;
		case 'V': o.variables = optarg; break;
		case 'C': o.concat = optarg; break;
		case 'D': o.date_pattern = optarg; break;
		case 'S': o.bands = optarg; break;
		case 'x': o.exact_values = optarg; break;
		case 'X': o.exact_values = "none"; break;
		case 'q': quiet = 1; o.progress = 0; break;
		case 'h': import_usage(stdout); return 0;
		default: import_usage(stderr); return 2;
		}
	}
	if (argc - optind < 2) {
		import_usage(stderr);
		return 2;
	}
	if (conflicting(&o) || unsupported_bits(&o) ||
	    scene_folders(&o, argv + optind + 1, argc - optind - 1))
		return 2;
	/* several .npy or NetCDF files (or a glob): one dataset joined
	 * along a dimension; rasters or scene folders, even one: a stack, a
	 * frame per file, that later runs grow; either committed in steps,
	 * a rerun resuming */
	if (o.bands || argc - optind > 2 || o.concat ||
	    strpbrk(argv[optind + 1], "*?[") ||
	    source_is_raster(argv[optind + 1]))
		return cli_import_files(argv[optind], argv + optind + 1,
					argc - optind - 1, &o, 0, quiet);
	/* opened first: a new store has no lock file before its catalog */
	c = cli_open_store(argv[optind], CATALOG_CREATE);
	if (!c)
		return 1;
	rc = store_lock_take(argv[optind], &lock);
	if (!rc)
		rc = import_file(c, argv[optind + 1], &o, &rep);
	catalog_free(c);
	store_lock_release(lock);
	if (rc)
		return 1;
	if (!quiet) {
		printf("imported '%s' in %.1f s\n", rep.name, rep.seconds);
		for (int i = 0; i < rep.nvars; i++) {
			const struct import_var_report *v = &rep.vars[i];
			char a[32], b[32];

			char q[64];

			if (isinf(v->psnr))
				snprintf(q, sizeof(q), "exact");
			else
				snprintf(q, sizeof(q), "PSNR %.2f dB  max err %.6g",
					 v->psnr, v->max_err);
			char depth[16];

			snprintf(depth, sizeof(depth), v->codec == CODEC_LZ4 ?
				 "exact" : "%d bits", v->bits);
			printf("  %-16s %-5s %-8s %10s -> %-10s ratio %7.1f  "
			       "%6.3f bpv  %s  %.1f s\n",
			       v->name, codec_name(v->codec), depth,
			       cli_bytes((double)v->raw_bytes, a, sizeof(a)),
			       cli_bytes((double)v->stored_bytes, b, sizeof(b)),
			       v->stored_bytes ? (double)v->raw_bytes /
			       v->stored_bytes : 0.0,
			       v->values ? v->stored_bytes * 8.0 / v->values : 0.0,
			       q, v->seconds);
			if (v->probes)
				print_target(&o, v);
			if (v->ncorr)
				printf("  %-16s %llu values corrected to hold max "
				       "error %g: %.4f bits per value\n", "",
				       (unsigned long long)v->ncorr, o.max_error,
				       v->values ? v->corr_bytes * 8.0 /
				       v->values : 0.0);
			if (v->masked)
				printf("  %-16s %llu NaN, fill and exact-value "
				       "positions in the mask\n", "",
				       (unsigned long long)v->masked);
		}
	}
	free(rep.vars);
	return 0;
}
