/* SPDX-License-Identifier: MIT */
/* cubefs-bench quality: PSNR and bits per value of one variable under cubefs imports and the zfp, zstd and lz4 baselines. */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include <lz4.h>
#include <lz4hc.h>
#ifdef HAVE_ZSTD
#include <zstd.h>
#endif
#ifdef HAVE_ZFP
#include <zfp.h>
#endif

#include "base/dtype.h"
#include "bench/bench.h"
#include "catalog/catalog.h"
#include "codec/mask.h"
#include "codec/video.h"
#include "ingest/encode_effort.h"
#include "ingest/import.h"
#include "ingest/source.h"

/*
 * What a catalog row costs beyond its payload, counted as stored bytes:
 * per GOP pack offset, length, crc32, first frame and count (24 bytes),
 * a scale and an offset per plane (16 bytes each) and a packet size per
 * frame (4 bytes); the SQLite page overhead is not counted.
 */
#define ROW_BYTES 24
#define PLANE_BYTES 16
#define PKT_BYTES 4

/* One variable of the source, read whole. */
struct cube {
	const char *file, *var;
	struct cat_var *v;
	uint64_t n;             /* values */
	void *raw;              /* source dtype */
	float *val;             /* as float, masked positions filled */
	uint8_t *cls;           /* MASK_* per value */
	double lo, hi;          /* range of the valid values */
	uint64_t mask_bytes;    /* lz4 mask, 0 when nothing is masked */
};

static void print_head(const struct cube *c, const char *method)
{
	printf("{\"file\": \"%s\", \"var\": \"%s\", \"method\": \"%s\", "
	       "\"values\": %llu", c->file, c->var, method,
	       (unsigned long long)c->n);
}

static void print_num(const char *key, double x)
{
	if (isfinite(x))
		printf(", \"%s\": %.6g", key, x);
	else
		printf(", \"%s\": null", key);
}

static double psnr_of(const struct cube *c, double sse, uint64_t n)
{
	double range = c->hi > c->lo ? c->hi - c->lo : 1.0;

	if (!n || sse <= 0)
		return INFINITY;
	return 20 * log10(range) - 10 * log10(sse / (double)n);
}

static int cube_load(struct cube *c, struct source *s, int vi)
{
	size_t isz;
	double *d = NULL;
	double sum = 0;
	uint64_t nv = 0;
	uint8_t *m = NULL;
	size_t mlen;
	int rc;

	c->v = &s->meta->vars[vi];
	c->n = catalog_var_elems(c->v);
	isz = dtype_size(c->v->dtype);
	c->raw = malloc(c->n * isz + 1);
	c->val = malloc(c->n * sizeof(float) + 1);
	c->cls = malloc(c->n + 1);
	d = malloc(c->n * sizeof(double) + 1);
	if (!c->raw || !c->val || !c->cls || !d) {
		rc = -ENOMEM;
		goto out;
	}
	rc = s->ops->read_frames(s, vi, 0, c->v->ndim ? c->v->shape[0] : 1,
				 c->raw);
	if (rc)
		goto out;
	dtype_to_double(c->v->dtype, c->raw, d, c->n);
	c->lo = INFINITY;
	c->hi = -INFINITY;
	for (uint64_t i = 0; i < c->n; i++) {
		c->cls[i] = MASK_VALID;
		if (isnan(d[i]))
			c->cls[i] = MASK_NAN;
		else if (c->v->has_fill &&
			 !memcmp((char *)c->raw + i * isz, c->v->fill, isz))
			c->cls[i] = MASK_FILL;
		if (c->cls[i])
			continue;
		c->lo = d[i] < c->lo ? d[i] : c->lo;
		c->hi = d[i] > c->hi ? d[i] : c->hi;
		sum += d[i];
		nv++;
	}
	/* baselines see the mean where cubefs has its mask */
	for (uint64_t i = 0; i < c->n; i++)
		c->val[i] = c->cls[i] ? (float)(nv ? sum / nv : 0) : (float)d[i];
	c->mask_bytes = 0;
	if (nv < c->n) {
		rc = codec_mask_pack(c->cls, c->n, &m, &mlen);
		if (rc)
			goto out;
		c->mask_bytes = mlen;
	}
out:
	free(m);
	free(d);
	return rc;
}

static void cube_release(struct cube *c)
{
	free(c->raw);
	free(c->val);
	free(c->cls);
}

/* Error of dec (floats) against the cube over its valid values. */
static void report_error(const struct cube *c, const float *dec)
{
	double sse = 0, maxe = 0;
	uint64_t n = 0;

	for (uint64_t i = 0; i < c->n; i++) {
		double e;

		if (c->cls[i])
			continue;
		e = fabs((double)dec[i] - (double)c->val[i]);
		sse += e * e;
		maxe = e > maxe ? e : maxe;
		n++;
	}
	print_num("psnr", psnr_of(c, sse, n));
	print_num("max_err", maxe);
}

static int rm_one(const char *p, const struct stat *st, int flag,
		  struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

/* "key=value,key=value": the value of key, or def. */
static const char *spec_get(const char *spec, const char *key, char *buf,
			    size_t cap, const char *def)
{
	size_t kl = strlen(key);

	for (const char *p = spec; p && *p; p = strchr(p, ',') ?
	     strchr(p, ',') + 1 : NULL) {
		if (!strncmp(p, key, kl) && p[kl] == '=') {
			size_t n = strcspn(p + kl + 1, ",");

			if (n >= cap)
				n = cap - 1;
			memcpy(buf, p + kl + 1, n);
			buf[n] = 0;
			return buf;
		}
	}
	return def;
}

static int spec_int(const char *spec, const char *key, int def)
{
	char b[32];
	const char *s = spec_get(spec, key, b, sizeof(b), NULL);

	return s ? atoi(s) : def;
}

/* CPU seconds of this process so far, all its threads. */
static double cpu_seconds(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return NAN;
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		(double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* cubefs:codec=x265,bits=12,crf=14,gop=16,group=1,preset=slow,max_error=E */
static int run_cubefs(const struct cube *c, const char *path,
		      const char *spec)
{
	char dir[] = "/tmp/cubefs-quality.XXXXXX", store[64], codec[16];
	char preset[32], merr[32], effort[16];
	struct import_opts o;
	struct import_report rep = { 0 };
	struct cat_dataset *ds = NULL;
	struct catalog *cat = NULL;
	const struct import_var_report *r = NULL;
	uint64_t meta = 0, stored;
	double cpu;
	int rc;

	if (!mkdtemp(dir))
		return -errno;
	snprintf(store, sizeof(store), "%s/s", dir);
	import_opts_init(&o);
	o.name = "q";
	o.progress = 0;
	o.variables = c->v->ndim && strcmp(c->var, "-") ? c->var : NULL;
	if (spec_get(spec, "codec", codec, sizeof(codec), NULL))
		o.codec = codec_from_name(codec);
	/* keys left out keep import_opts_init()'s defaults */
	o.bits = spec_int(spec, "bits", o.bits);
	o.crf = spec_int(spec, "crf", o.crf);
	o.gop = spec_int(spec, "gop", o.gop);
	o.group = spec_int(spec, "group", o.group);
	o.lossless = spec_int(spec, "lossless", o.lossless);
	o.preset = spec_get(spec, "preset", preset, sizeof(preset), NULL);
	if (spec_get(spec, "effort", effort, sizeof(effort), NULL) &&
	    encode_effort_parse(effort, &o.effort))
		return -EINVAL;
	if (spec_get(spec, "max_error", merr, sizeof(merr), NULL))
		o.max_error = strtod(merr, NULL);
	rc = catalog_open(store, CATALOG_CREATE, &cat);
	cpu = cpu_seconds();
	if (!rc)
		rc = import_file(cat, path, &o, &rep);
	cpu = cpu_seconds() - cpu;
	if (!rc)
		rc = catalog_dataset_load(cat, "q", &ds);
	if (rc)
		goto out;
	for (int i = 0; i < rep.nvars; i++)
		if (!strcmp(rep.vars[i].name, o.variables ? c->var : "q"))
			r = &rep.vars[i];
	for (int i = 0; r && i < ds->nvars; i++) {
		const struct cat_var *v = &ds->vars[i];

		if (strcmp(v->name, r->name))
			continue;
		for (int s = 0; s < v->nstreams; s++)
			meta += v->streams[s].ngops * (ROW_BYTES + PLANE_BYTES *
				(uint64_t)v->streams[s].nplanes) +
				PKT_BYTES * v->nframes;
	}
	if (!r) {
		rc = -ENOENT;
		goto out;
	}
	stored = r->stored_bytes + meta;
	print_head(c, "cubefs");
	printf(", \"spec\": \"%s\", \"codec\": \"%s\", \"bits\": %d",
	       spec, codec_name(r->codec), r->bits);
	print_num("bytes", (double)stored);
	print_num("meta_bytes", (double)meta);
	print_num("bpv", stored * 8.0 / (double)c->n);
	print_num("psnr", r->psnr);
	print_num("max_err", r->max_err);
	print_num("encode_s", r->seconds);
	/* the whole import's CPU, all threads: less moved by other load */
	print_num("import_cpu_s", cpu);
	print_num("encode_mbps", r->seconds > 0 ?
		  r->raw_bytes / r->seconds / 1e6 : NAN);
	printf("}\n");
out:
	catalog_dataset_free(ds);
	catalog_free(cat);
	free(rep.vars);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return rc;
}

/* lz4 (HC 12) or zstd (level 19) of the source's bytes: exact. */
static int run_lossless(const struct cube *c, const char *spec)
{
	size_t n = c->n * dtype_size(c->v->dtype), cap, len = 0;
	int zstd = !strncmp(spec, "zstd", 4);
	double t0 = bench_now();
	char *buf;

	cap = zstd ? 0 : (size_t)LZ4_compressBound((int)n);
#ifdef HAVE_ZSTD
	if (zstd)
		cap = ZSTD_compressBound(n);
#else
	if (zstd)
		return -ENOTSUP;
#endif
	buf = malloc(cap + 1);
	if (!buf)
		return -ENOMEM;
#ifdef HAVE_ZSTD
	if (zstd) {
		len = ZSTD_compress(buf, cap, c->raw, n, 19);
		if (ZSTD_isError(len))
			len = 0;
	}
#endif
	if (!zstd)
		len = LZ4_compress_HC(c->raw, buf, (int)n, (int)cap, 12);
	free(buf);
	if (!len)
		return -EIO;
	print_head(c, zstd ? "zstd-19" : "lz4hc");
	print_num("bytes", (double)len);
	print_num("bpv", len * 8.0 / (double)c->n);
	printf(", \"psnr\": null, \"exact\": true");
	print_num("encode_s", bench_now() - t0);
	printf("}\n");
	return 0;
}

#ifdef HAVE_ZFP
/* zfp:acc=TOL (relative to the data range) or zfp:rate=BITS, float32. */
static int run_zfp(const struct cube *c, const char *spec)
{
	const struct cat_var *v = c->v;
	char b[32], rb[32];
	const char *acc = spec_get(spec, "acc", b, sizeof(b), NULL);
	double rate = atof(spec_get(spec, "rate", rb, sizeof(rb), "0"));
	size_t w = v->ndim ? v->shape[v->ndim - 1] : 1, h = 1, p = 1, t = 1;
	zfp_field *f = NULL, *g = NULL;
	zfp_stream *zs = NULL;
	bitstream *bs = NULL;
	float *dec = NULL;
	void *buf = NULL;
	size_t len, cap;
	double t0 = bench_now();
	int rc = -ENOMEM;

	if (v->ndim >= 2)
		h = v->shape[v->ndim - 2];
	if (v->ndim >= 3)
		t = v->shape[0];
	p = c->n / (w * h * t);
	dec = malloc(c->n * sizeof(float) + 1);
	zs = zfp_stream_open(NULL);
	f = p > 1 ? zfp_field_4d(c->val, zfp_type_float, w, h, p, t) :
		    zfp_field_3d(c->val, zfp_type_float, w, h, t);
	g = p > 1 ? zfp_field_4d(dec, zfp_type_float, w, h, p, t) :
		    zfp_field_3d(dec, zfp_type_float, w, h, t);
	if (!dec || !zs || !f || !g)
		goto out;
	if (acc)
		zfp_stream_set_accuracy(zs, atof(acc) * (c->hi - c->lo));
	else
		zfp_stream_set_rate(zs, rate, zfp_type_float,
				    zfp_field_dimensionality(f), zfp_false);
	cap = zfp_stream_maximum_size(zs, f);
	buf = malloc(cap);
	bs = buf ? stream_open(buf, cap) : NULL;
	if (!bs)
		goto out;
	zfp_stream_set_bit_stream(zs, bs);
	zfp_stream_rewind(zs);
	len = zfp_compress(zs, f);
	zfp_stream_rewind(zs);
	if (!len || !zfp_decompress(zs, g)) {
		rc = -EIO;
		goto out;
	}
	len += c->mask_bytes;
	print_head(c, acc ? "zfp-accuracy" : "zfp-rate");
	printf(", \"spec\": \"%s\"", spec);
	print_num("bytes", (double)len);
	print_num("bpv", len * 8.0 / (double)c->n);
	report_error(c, dec);
	print_num("encode_s", bench_now() - t0);
	printf("}\n");
	rc = 0;
out:
	stream_close(bs);
	free(buf);
	zfp_field_free(f);
	zfp_field_free(g);
	zfp_stream_close(zs);
	free(dec);
	return rc;
}
#endif

static void usage(FILE *f)
{
	fprintf(f,
"usage: cubefs-bench quality FILE VAR SPEC...\n"
"  One JSON line per SPEC for variable VAR of FILE ('-': a .npy's array):\n"
"  cubefs:codec=x265,bits=12,crf=14,gop=16,group=1,preset=slow,lossless=0,\n"
"    effort=fast|default|best,\n"
"    max_error=E (in the variable's units; keys left out take the import\n"
"    defaults, and without crf, max_error searches the cheapest), zfp:acc=REL (tolerance as\n"
"  a fraction of the data range), zfp:rate=BITS, zstd, lz4\n");
}

int bench_quality(int argc, char **argv)
{
	struct cube c = { 0 };
	struct source *s = NULL;
	int vi = -1, rc, fails = 0;

	if (argc < 4) {
		usage(argc > 1 && !strcmp(argv[1], "--help") ? stdout : stderr);
		return argc > 1 && !strcmp(argv[1], "--help") ? 0 : 2;
	}
	c.file = argv[1];
	c.var = argv[2];
	rc = source_open(c.file, &s);
	if (rc)
		return 1;
	for (int i = 0; i < s->meta->nvars; i++)
		if (!strcmp(c.var, "-") ? s->meta->vars[i].ndim >= 2 :
		    !strcmp(s->meta->vars[i].name, c.var))
			vi = i;
	if (vi < 0) {
		fprintf(stderr, "cubefs-bench: no variable '%s' in '%s'\n",
			c.var, c.file);
		source_free(s);
		return 1;
	}
	rc = cube_load(&c, s, vi);
	for (int i = 3; !rc && i < argc; i++) {
		const char *sp = argv[i];
		int r;

		if (!strncmp(sp, "cubefs", 6))
			r = run_cubefs(&c, c.file, sp[6] == ':' ? sp + 7 : "");
		else if (!strncmp(sp, "zstd", 4) || !strncmp(sp, "lz4", 3))
			r = run_lossless(&c, sp);
#ifdef HAVE_ZFP
		else if (!strncmp(sp, "zfp:", 4))
			r = run_zfp(&c, sp + 4);
#endif
		else
			r = -ENOTSUP;
		if (r) {
			fprintf(stderr, "cubefs-bench: '%s' failed: %s\n", sp,
				strerror(-r));
			fails++;
		}
		fflush(stdout);
	}
	cube_release(&c);
	source_free(s);
	return rc || fails ? 1 : 0;
}
