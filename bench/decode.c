/* SPDX-License-Identifier: MIT */
/* cubefs-bench decode: the decoder limit, the full GOP decode and the read path of one variable, in process. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/cpu.h"
#include "bench/bench.h"
#include "catalog/catalog.h"
#include "catalog/pack.h"
#include "codec/gop.h"
#include "codec/video.h"
#include "fs/reader.h"

#define REPEATS 3                /* default runs of each measurement */
#define PIECE (1u << 20)
#define READER_CACHE (64u << 20)        /* what cubefs export uses */
#define NMEAS 5                 /* a, b, c, d, e */

/* One stored GOP, read into memory, with what decoding it needs. */
struct job {
	struct codec_params cp;
	struct codec_gop_ref ref;
	uint8_t *payload;
	size_t nsamples;        /* values it decodes to */
};

struct jobs {
	struct job *v;
	int n;
	size_t max_samples;
	uint64_t stored;        /* payload bytes */
	struct codec_pool *pool;        /* idle decoders, reused GOP to GOP
					   as a mount does */
};

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU seconds of the whole process (all threads): less sensitive than
 * wall time to what else the machine runs. */
static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int add_pack(void *arg, int64_t id, const char *name, uint64_t size)
{
	(void)size;
	return pack_reader_add(arg, id, name);
}

/* The variable named vname, or the one with the most bytes; -1 if none. */
static int pick_var(const struct cat_dataset *ds, const char *vname)
{
	uint64_t most = 0;
	int best = -1;

	for (int i = 0; i < ds->nvars; i++) {
		const struct cat_var *v = &ds->vars[i];
		uint64_t b = catalog_var_elems(v) * dtype_size(v->dtype);

		if (vname && !strcmp(v->name, vname))
			return i;
		if (!vname && v->nstreams && (best < 0 || b > most)) {
			most = b;
			best = i;
		}
	}
	return best;
}

static void jobs_release(struct jobs *js)
{
	for (int i = 0; i < js->n; i++)
		free(js->v[i].payload);
	free(js->v);
	codec_pool_free(js->pool);
	memset(js, 0, sizeof(*js));
}

/* Reads every GOP payload of v, with its codec parameters built the way
 * fs/reader.c's load_gop() builds them. */
static int jobs_load(struct catalog *c, const struct cat_var *v,
		     struct jobs *js)
{
	struct pack_reader *pr = NULL;
	int total = 0, rc;

	memset(js, 0, sizeof(*js));
	for (int s = 0; s < v->nstreams; s++)
		total += (int)v->streams[s].ngops;
	rc = pack_reader_new(catalog_dir(c), &pr);
	if (!rc)
		rc = catalog_pack_each(c, add_pack, pr);
	if (!rc && !(js->v = calloc(total ? total : 1, sizeof(*js->v))))
		rc = -ENOMEM;
	if (!rc)
		rc = codec_pool_new(cpu_count(), SIZE_MAX, &js->pool);
	for (int s = 0; !rc && s < v->nstreams; s++) {
		const struct cat_stream *st = &v->streams[s];

		for (uint32_t k = 0; !rc && k < st->ngops; k++) {
			const struct cat_gop *g = &st->gops[k];
			struct job *j = &js->v[js->n];

			j->cp = (struct codec_params){
				.codec = st->codec, .bits = st->bits,
				.planes = st->nplanes, .width = (int)v->width,
				.height = (int)v->height, .crf = st->crf,
				.lossless = st->lossless, .pool = js->pool,
			};
			if (st->codec == CODEC_LZ4)
				j->cp.planes = (int)v->nplanes;
			if (g->length > (1ull << 32)) {
				rc = -EIO;
				break;
			}
			j->payload = malloc(g->length ? g->length : 1);
			if (!j->payload) {
				rc = -ENOMEM;
				break;
			}
			js->n++;
			rc = pack_pread(pr, g->pack_id, j->payload,
					(size_t)g->length, g->offset);
			j->ref = (struct codec_gop_ref){
				.data = j->payload, .size = g->length,
				.extra_size = g->extra_size,
				.pkt_sizes = g->pkt_sizes, .npkt = (int)g->npkt,
				.nframes = (int)g->nframes, .quant = g->quant,
			};
			j->nsamples = (size_t)g->nframes * j->cp.planes *
				v->width * v->height;
			if (j->nsamples > js->max_samples)
				js->max_samples = j->nsamples;
			js->stored += g->length;
		}
	}
	pack_reader_free(pr);
	if (rc)
		jobs_release(js);
	return rc;
}

/* One pass over every GOP, timed into *dt: plain (codec_video_decode
 * into samples; lz4 has no video decoder, so it unpacks) or full. */
static int time_decode(const struct jobs *js, enum dtype t, int full,
		       uint16_t *samples, void *values, double *dt)
{
	struct codec_sink to = { .samples = samples };
	double t0 = bench_now();

	for (int i = 0; i < js->n; i++) {
		const struct job *j = &js->v[i];
		int rc;

		if (full || j->cp.codec == CODEC_LZ4)
			rc = codec_gop_decode(&j->cp, t, &j->ref, values);
		else
			rc = codec_video_decode(&j->cp, &j->ref, &to);
		if (rc)
			return rc;
	}
	*dt = bench_now() - t0;
	return 0;
}

/* GOP-level parallelism: workers take the next GOP from a shared counter
 * and decode it with `threads` codec threads each. */
struct par {
	const struct jobs *js;
	int threads;
	atomic_int next;
	atomic_int err;
};

static void *par_worker(void *arg)
{
	struct par *p = arg;
	uint16_t *samples = malloc(p->js->max_samples * sizeof(*samples) + 1);
	struct codec_sink to = { .samples = samples };
	int i;

	if (!samples) {
		atomic_store(&p->err, -ENOMEM);
		return NULL;
	}
	while ((i = atomic_fetch_add(&p->next, 1)) < p->js->n &&
	       !atomic_load(&p->err)) {
		const struct job *j = &p->js->v[i];
		struct codec_params cp = j->cp;
		int rc;

		cp.threads = p->threads;
		if (cp.codec == CODEC_LZ4)
			continue;
		rc = codec_video_decode(&cp, &j->ref, &to);
		if (rc)
			atomic_store(&p->err, rc);
	}
	free(samples);
	return NULL;
}

/* Plain decode of every GOP by `workers` threads of `threads` codec
 * threads each, timed into *dt. */
static int time_parallel(const struct jobs *js, int workers, int threads,
			 double *dt)
{
	pthread_t t[64];
	struct par p = { .js = js, .threads = threads };
	double t0 = bench_now();
	int n = 0;

	atomic_init(&p.next, 0);
	atomic_init(&p.err, 0);
	for (; n < workers && n < 64; n++)
		if (pthread_create(&t[n], NULL, par_worker, &p))
			break;
	if (!n)
		par_worker(&p);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	*dt = bench_now() - t0;
	return atomic_load(&p.err);
}

/* One read of the whole variable in PIECE bytes, with a fresh reader (an
 * empty cache), timed into *dt; opening the reader is not timed. */
static int time_reader(struct catalog *c, const char *dsname,
		       const char *vname, void *buf, double *dt)
{
	struct reader *rd = NULL;
	struct cat_dataset *ds;
	uint64_t n, per;
	double t0;
	int vi, rc;

	rc = reader_new(c, READER_CACHE, &rd);
	ds = rc ? NULL : reader_find(rd, dsname);
	vi = ds ? pick_var(ds, vname) : -1;
	if (!rc && vi < 0)
		rc = -ENOENT;
	if (rc)
		goto out;
	n = catalog_var_elems(&ds->vars[vi]);
	per = PIECE / dtype_size(ds->vars[vi].dtype);
	t0 = bench_now();
	for (uint64_t e = 0; !rc && e < n; e += per)
		rc = reader_read_elems(rd, ds, vi, e, n - e < per ? n - e : per,
				       0, buf);
	*dt = bench_now() - t0;
out:
	reader_free(rd);
	return rc;
}

/* Each time step of the first STEP_GOPS GOPs decoded alone, as a random
 * read of one step decodes it (codec_gop_decode of that frame): the
 * median and the slowest, best of `runs` each, into step[0] and [1]. */
#define STEP_GOPS 2

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int time_steps(const struct jobs *js, enum dtype t, int runs,
		      void *values, double step[2])
{
	double best[STEP_GOPS * 256];
	int n = 0, rc = 0;

	for (int i = 0; !rc && i < js->n && i < STEP_GOPS; i++) {
		const struct job *j = &js->v[i];

		if (j->cp.codec == CODEC_LZ4)
			continue;
		for (int w = 0; !rc && w < j->ref.nframes && w < 256; w++) {
			struct codec_gop_ref ref = j->ref;

			ref.first = w;
			ref.upto = w + 1;
			for (int r = 0; !rc && r < runs; r++) {
				double t0 = bench_now(), dt;

				rc = codec_gop_decode(&j->cp, t, &ref, values);
				dt = bench_now() - t0;
				if (r == 0 || dt < best[n])
					best[n] = dt;
			}
			n++;
		}
	}
	step[0] = step[1] = 0;
	if (!rc && n) {
		qsort(best, (size_t)n, sizeof(*best), cmp_double);
		step[0] = best[(n - 1) / 2];
		step[1] = best[n - 1];
	}
	return rc;
}

/* `runs` rounds of a to e in turn (so that a busy machine slows all
 * alike); the best time of each into s. */
static int time_all(struct catalog *c, const struct cat_dataset *ds,
		    const struct cat_var *v, const struct jobs *js, int runs,
		    int workers, double s[NMEAS], double cpu[NMEAS])
{
	uint16_t *samples = malloc(js->max_samples * sizeof(*samples) + 1);
	void *values = malloc(js->max_samples * dtype_size(v->dtype) + 1);
	void *piece = malloc(PIECE);
	int rc = samples && values && piece ? 0 : -ENOMEM;

	for (int r = 0; !rc && r < runs; r++) {
		double dt[NMEAS], ct[NMEAS + 1];

		ct[0] = cpu_now();
		rc = time_decode(js, v->dtype, 0, samples, values, &dt[0]);
		ct[1] = cpu_now();
		if (!rc)
			rc = time_decode(js, v->dtype, 1, samples, values,
					 &dt[1]);
		ct[2] = cpu_now();
		if (!rc)
			rc = time_reader(c, ds->name, v->name, piece, &dt[2]);
		ct[3] = cpu_now();
		if (!rc)
			rc = time_parallel(js, workers, 1, &dt[3]);
		ct[4] = cpu_now();
		if (!rc)
			rc = time_parallel(js, 1, 1, &dt[4]);
		ct[5] = cpu_now();
		for (int i = 0; !rc && i < NMEAS; i++) {
			if (r == 0 || dt[i] < s[i])
				s[i] = dt[i];
			if (r == 0 || ct[i + 1] - ct[i] < cpu[i])
				cpu[i] = ct[i + 1] - ct[i];
		}
	}
	free(piece);
	free(values);
	free(samples);
	return rc;
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
	putchar('"');
}

static void report(const struct cat_dataset *ds, const struct cat_var *v,
		   const struct jobs *js, const double s[NMEAS],
		   const double cpu[NMEAS], const double step[2], int runs,
		   int workers, int json)
{
	static const char *const what[NMEAS] = {
		"a plain decode: codec_video_decode to uint16, codec threads "
		"(decoder limit)",
		"b full decode: codec_gop_decode, + dequantize to dtype",
		"c read path: reader_read_elems, 1 MiB pieces, cold cache",
		"d plain decode, GOP-level parallel: 1 codec thread per GOP",
		"e plain decode, 1 thread in all",
	};
	static const char *const key[NMEAS] = {
		"plain", "full", "read", "gop_parallel", "single",
	};
	const struct cat_stream *st = &v->streams[0];
	double bytes = (double)catalog_var_elems(v) * dtype_size(v->dtype);
	double mbs[NMEAS];

	for (int i = 0; i < NMEAS; i++)
		mbs[i] = s[i] > 0 ? bytes / 1e6 / s[i] : 0;
	if (json) {
		printf("{\"dataset\": ");
		json_str(ds->name);
		printf(", \"variable\": ");
		json_str(v->name);
		printf(", \"dtype\": \"%s\", \"shape\": [",
		       dtype_name(v->dtype));
		for (int i = 0; i < v->ndim; i++)
			printf("%s%llu", i ? ", " : "",
			       (unsigned long long)v->shape[i]);
		printf("], \"codec\": \"%s\", \"bits\": %d, \"gops\": %d, "
		       "\"bytes\": %.0f, \"stored_bytes\": %llu, "
		       "\"runs\": %d, \"workers\": %d",
		       codec_name(st->codec), st->bits, js->n, bytes,
		       (unsigned long long)js->stored, runs, workers);
		for (int i = 0; i < NMEAS; i++)
			printf(", \"%s_s\": %.9g, \"%s_cpu_s\": %.9g, "
			       "\"%s_mbs\": %.2f, \"%s_vs_plain\": %.4f",
			       key[i], s[i], key[i], cpu[i], key[i], mbs[i],
			       key[i], mbs[0] > 0 ? mbs[i] / mbs[0] : 0);
		printf(", \"step_p50_s\": %.9g, \"step_max_s\": %.9g, "
		       "\"full_gop_s\": %.9g}\n", step[0], step[1],
		       js->n ? s[1] / js->n : 0);
		return;
	}
	printf("decode %s/%s: %s (", ds->name, v->name, dtype_name(v->dtype));
	for (int i = 0; i < v->ndim; i++)
		printf("%s%llu", i ? ", " : "",
		       (unsigned long long)v->shape[i]);
	printf("), %s %d bits, %d GOPs, %.4g MB of values from %.4g kB\n",
	       codec_name(st->codec), st->bits, js->n, bytes / 1e6,
	       js->stored / 1e3);
	printf("best of %d runs each; d uses %d workers; MB/s = 10^6 bytes "
	       "of %s output per second%s\n\n", runs, workers,
	       dtype_name(v->dtype),
	       st->codec == CODEC_LZ4 ? "; lz4: a is the lz4 unpack" : "");
	printf("| measurement | s | CPU s | MB/s | vs a |\n"
	       "|---|---:|---:|---:|---:|\n");
	for (int i = 0; i < NMEAS; i++)
		printf("| %s | %.4g | %.4g | %.1f | %.2f |\n", what[i], s[i],
		       cpu[i], mbs[i], mbs[0] > 0 ? mbs[i] / mbs[0] : 0);
	if (step[1] > 0)
		printf("\nf one time step alone (codec_gop_decode of that "
		       "frame, each step of the first %d GOPs): median %.1f ms, "
		       "slowest %.1f ms; a whole GOP (b) %.1f ms\n", STEP_GOPS,
		       step[0] * 1e3, step[1] * 1e3,
		       js->n ? s[1] / js->n * 1e3 : 0);
}

int bench_decode(int argc, char **argv)
{
	struct catalog *c = NULL;
	struct cat_dataset *ds = NULL;
	struct jobs js = { 0 };
	char name[CATALOG_NAME_MAX + 1];
	const char *vname = NULL;
	double s[NMEAS], cpu[NMEAS], step[2] = { 0, 0 };
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int json = 0, runs = REPEATS, vi, rc;
	int workers = ncpu < 1 ? 1 : ncpu > 64 ? 64 : (int)ncpu;

	for (; argc > 1 && argv[1][0] == '-'; argc--, argv++) {
		if (!strcmp(argv[1], "--json")) {
			json = 1;
		} else if (!strcmp(argv[1], "-n") && argc > 2 &&
			   (runs = atoi(argv[2])) >= 1 && runs <= 1000) {
			argc--;
			argv++;
		} else if (!strcmp(argv[1], "-j") && argc > 2 &&
			   (workers = atoi(argv[2])) >= 1 && workers <= 64) {
			argc--;
			argv++;
		} else {
			argc = 0;
			break;
		}
	}
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: cubefs-bench decode [--json] [-n RUNS] "
			"[-j WORKERS] STORE NAME [VAR]\n");
		return 2;
	}
	snprintf(name, sizeof(name), "%s", argv[2]);
	if (strchr(name, '/')) {
		*strchr(name, '/') = '\0';
		vname = strchr(argv[2], '/') + 1;
	}
	if (argc == 4)
		vname = argv[3];
	rc = catalog_open(argv[1], CATALOG_RDONLY, &c);
	if (!rc)
		rc = catalog_dataset_load(c, name, &ds);
	if (rc) {
		fprintf(stderr, "cubefs-bench: cannot load '%s' from '%s': "
			"%s\n", name, argv[1], strerror(-rc));
		goto out;
	}
	vi = pick_var(ds, vname);
	if (vi < 0 || !ds->vars[vi].nstreams) {
		fprintf(stderr, "cubefs-bench: no stored variable '%s' in "
			"'%s'\n", vname ? vname : "(largest)", name);
		rc = -ENOENT;
		goto out;
	}
	rc = jobs_load(c, &ds->vars[vi], &js);
	if (rc) {
		fprintf(stderr, "cubefs-bench: cannot read the GOPs of '%s': "
			"%s\n", ds->vars[vi].name, strerror(-rc));
		goto out;
	}
	rc = time_all(c, ds, &ds->vars[vi], &js, runs, workers, s, cpu);
	if (rc) {
		fprintf(stderr, "cubefs-bench: cannot decode '%s': %s\n",
			ds->vars[vi].name, strerror(-rc));
		goto out;
	}
	if (js.max_samples) {
		void *values = malloc(js.max_samples *
				      dtype_size(ds->vars[vi].dtype) + 1);

		rc = values ? time_steps(&js, ds->vars[vi].dtype, runs, values,
					 step) : -ENOMEM;
		free(values);
		if (rc) {
			fprintf(stderr, "cubefs-bench: cannot decode '%s': "
				"%s\n", ds->vars[vi].name, strerror(-rc));
			goto out;
		}
	}
	report(ds, &ds->vars[vi], &js, s, cpu, step, runs, workers, json);
out:
	jobs_release(&js);
	catalog_dataset_free(ds);
	catalog_free(c);
	return rc ? 1 : 0;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: cubefs-bench COMMAND [ARGS]\n\n"
"commands:\n"
"  decode [--json] [-n RUNS] [-j WORKERS] STORE NAME [VAR]\n"
"      decoder limit (codec threads; GOPs on WORKERS threads, default\n"
"      the cores; 1 thread), full decode and read path of a variable\n"
"      (default: the largest) in MB/s, best of RUNS (3); and each\n"
"      time step of its first GOPs decoded alone, in ms\n"
"  quality FILE VAR SPEC...   (bench/quality.sh runs the whole study)\n"
"  synth OUT.npy T H W [SEED]        a synthetic float32 cube (T, H, W)\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "decode"))
		return bench_decode(argc - 1, argv + 1);
	if (!strcmp(argv[1], "quality"))
		return bench_quality(argc - 1, argv + 1);
	if (!strcmp(argv[1], "synth"))
		return bench_synth(argc - 1, argv + 1);
	fprintf(stderr, "cubefs-bench: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
