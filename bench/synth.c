/* SPDX-License-Identifier: MIT */
/* cubefs-bench synth: a deterministic synthetic float32 cube (moving smooth field plus small noise) for throughput runs. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dtype.h"
#include "bench/bench.h"
#include "ingest/npy.h"

#define MAX_SIDE 65536
#define NWAVES 3

/* A product of a wave along x and one along y, both drifting with t. */
static const struct wave {
	double amp, kx, ky, vx, vy, phase;
} waves[NWAVES] = {
	{ 8.0, 1.5, 1.0, 0.010, -0.007, 0.0 },
	{ 4.0, 3.0, 2.5, -0.013, 0.011, 0.3 },
	{ 2.0, 7.0, 5.0, 0.020, 0.017, 0.7 },
};

#define BASE 280.0              /* a temperature-like level, in K */
#define NOISE 1.0              /* uniform noise of +-NOISE */

static uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static int parse_dim(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* One frame: per-row and per-column factors, so each value costs a few
 * multiplies rather than a few sines. */
static void frame(float *dst, uint64_t t, uint64_t h, uint64_t w,
		  double *row, double *col, uint64_t *seed)
{
	for (uint64_t i = 0; i < h * w; i++)
		dst[i] = 0;
	for (int k = 0; k < NWAVES; k++) {
		const struct wave *q = &waves[k];

		for (uint64_t x = 0; x < w; x++)
			col[x] = q->amp * sin(2 * M_PI * (q->kx * x / w +
					      q->vx * t + q->phase));
		for (uint64_t y = 0; y < h; y++)
			row[y] = cos(2 * M_PI * (q->ky * y / h + q->vy * t));
		for (uint64_t y = 0; y < h; y++)
			for (uint64_t x = 0; x < w; x++)
				dst[y * w + x] += (float)(row[y] * col[x]);
	}
	for (uint64_t i = 0; i < h * w; i++) {
		/* 53 random bits: uniform in [0, 1) */
		double u = (double)(xorshift64(seed) >> 11) /
			(double)(1ull << 53);

		dst[i] += (float)(BASE + NOISE * (2 * u - 1));
	}
}

int bench_synth(int argc, char **argv)
{
	uint64_t shape[3], seed = 1;
	char hdr[256];
	double *row = NULL, *col = NULL;
	float *buf = NULL;
	FILE *f = NULL;
	ssize_t hl;
	int rc = 0;

	if (argc < 5 || argc > 6 || parse_dim(argv[2], UINT32_MAX, &shape[0]) ||
	    parse_dim(argv[3], MAX_SIDE, &shape[1]) ||
	    parse_dim(argv[4], MAX_SIDE, &shape[2]) ||
	    (argc == 6 && parse_dim(argv[5], UINT64_MAX, &seed))) {
		fprintf(stderr, "usage: cubefs-bench synth OUT.npy T H W [SEED]"
			"  (T >= 1, 1 <= H, W <= %d, SEED >= 1)\n", MAX_SIDE);
		return 2;
	}
	hl = npy_write_header(hdr, sizeof(hdr), DTYPE_F32, 3, shape);
	buf = malloc(shape[1] * shape[2] * sizeof(*buf));
	row = malloc(shape[1] * sizeof(*row));
	col = malloc(shape[2] * sizeof(*col));
	if (hl < 0 || !buf || !row || !col) {
		fprintf(stderr, "cubefs-bench: cannot prepare '%s': %s\n",
			argv[1], strerror(hl < 0 ? (int)-hl : ENOMEM));
		rc = 1;
		goto out;
	}
	f = fopen(argv[1], "wb");
	if (!f || fwrite(hdr, 1, (size_t)hl, f) != (size_t)hl) {
		rc = 1;
		goto fail;
	}
	for (uint64_t t = 0; t < shape[0]; t++) {
		frame(buf, t, shape[1], shape[2], row, col, &seed);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		dtype_bswap(buf, sizeof(*buf), shape[1] * shape[2]);
#endif
		if (fwrite(buf, sizeof(*buf), shape[1] * shape[2], f) !=
		    shape[1] * shape[2]) {
			rc = 1;
			goto fail;
		}
	}
	if (fclose(f)) {
		f = NULL;
		rc = 1;
		goto fail;
	}
	f = NULL;
	fprintf(stderr, "synthetic float32 cube (%llu, %llu, %llu) written to "
		"'%s'\n", (unsigned long long)shape[0],
		(unsigned long long)shape[1], (unsigned long long)shape[2],
		argv[1]);
	goto out;
fail:
	fprintf(stderr, "cubefs-bench: cannot write '%s': %s\n", argv[1],
		strerror(errno));
	if (f)
		fclose(f);
	remove(argv[1]);
out:
	free(col);
	free(row);
	free(buf);
	return rc;
}
