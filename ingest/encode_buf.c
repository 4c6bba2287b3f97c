/* SPDX-License-Identifier: MIT */
/* A GOP worker's buffers, and how many workers the cores and the memory budget allow. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/cpu.h"
#include "base/dtype.h"
#include "codec/video.h"
#include "ingest/encode.h"
#include "ingest/encode_int.h"

void gop_buf_release(struct gop_buf *b)
{
	free(b->raw);
	free(b->val);
	free(b->cls);
	free(b->plane);
	free(b->samples);
	free(b->decoded);
	free(b->dec);
	free(b->dsamp);
	free(b->work);
}

/* The sizes of a gop_buf's arrays, in its fields' order. */
static void gop_buf_sizes(const struct cat_var *v, uint32_t gop,
			  size_t sz[9])
{
	size_t hw = (size_t)(v->width * v->height);
	size_t fe = hw * (size_t)v->nplanes, isz = dtype_size(v->dtype);
	/* a stream holds 1 or 3 planes; lz4 streams hold them all */
	size_t sp = v->nplanes > 3 ? 3 : (size_t)v->nplanes;

	sz[0] = fe * gop * isz + 1;
	sz[1] = fe * gop * sizeof(double) + 1;
	sz[2] = fe * gop + 1;
	sz[3] = hw * gop * sizeof(double) + 1;
	sz[4] = hw * sp * gop * sizeof(uint16_t) + 1;
	sz[5] = hw * sp * gop * (isz > 1 ? isz : 1) + hw * gop + 1;
	sz[6] = hw * sp * gop * sizeof(double) + 1;
	sz[7] = hw * sp * gop * sizeof(uint16_t) + 1;
	sz[8] = sz[7];
}

int gop_buf_alloc(struct gop_buf *b, const struct cat_var *v,
			 uint32_t gop)
{
	size_t sz[9];

	gop_buf_sizes(v, gop, sz);
	b->raw = malloc(sz[0]);
	b->val = malloc(sz[1]);
	b->cls = malloc(sz[2]);
	b->plane = malloc(sz[3]);
	b->samples = malloc(sz[4]);
	b->decoded = malloc(sz[5]);
	b->dec = malloc(sz[6]);
	b->dsamp = malloc(sz[7]);
	b->work = malloc(sz[8]);
	if (!b->raw || !b->val || !b->cls || !b->plane || !b->samples ||
	    !b->decoded || !b->dec || !b->dsamp || !b->work)
		return -ENOMEM;
	return 0;
}

/*
 * What one GOP worker holds: its buffers, and an encoder's own (reference
 * and look-ahead pictures, its analysis), taken as ENCODER_BYTES per
 * sample of the GOP's streams, about what x265 and SVT-AV1 peak at.
 */
#define ENCODER_BYTES 24

static size_t worker_bytes(const struct cat_var *v, uint32_t gop)
{
	size_t sz[9], n = 0;
	size_t sp = v->nplanes > 3 ? 3 : (size_t)v->nplanes;

	gop_buf_sizes(v, gop, sz);
	for (int i = 0; i < 9; i++)
		n += sz[i];
	return n + ENCODER_BYTES * (size_t)(v->width * v->height) * sp * gop;
}

uint32_t encode_gop_fit(const struct cat_var *v, uint32_t gop, size_t limit)
{
	while (gop > 1 && worker_bytes(v, gop) > limit)
		gop--;
	return gop;
}

/* Half the machine's memory, in bytes (SIZE_MAX if it cannot tell). */
static size_t memory_limit(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);

	if (pages <= 0 || psz <= 0)
		return SIZE_MAX;
	return (size_t)pages / 2 * (size_t)psz;
}

uint32_t encode_auto_gop(const struct cat_var *v, uint64_t nframes)
{
	uint32_t gop = (uint32_t)codec_default_gop((int)v->width,
						   (int)v->height, nframes);
	uint32_t fit = encode_gop_fit(v, gop, memory_limit());
	uint64_t ngops;

	if (fit == gop || !nframes)
		return fit;
	/* the frames spread evenly over the GOPs that many take */
	ngops = (nframes + fit - 1) / fit;
	return (uint32_t)((nframes + ngops - 1) / ngops);
}

/*
 * Workers for jobs GOPs: one per core (each GOP is independent, and small
 * pictures leave a codec's own threads idle), as many as the memory
 * budget holds, at least one. The pulled GOP index is the bounded queue:
 * a worker holds one GOP, so memory does not grow with the input.
 */
int encode_worker_count(const struct cat_var *v, uint32_t gop,
			uint32_t jobs)
{
	size_t per = worker_bytes(v, gop);
	size_t fit = per ? ENCODE_MEMORY_BUDGET / per : ENCODE_MAX_WORKERS;
	int nw = cpu_count() > ENCODE_MAX_WORKERS ? ENCODE_MAX_WORKERS :
		cpu_count();

	if ((size_t)nw > fit)
		nw = fit ? (int)fit : 1;
	if ((uint32_t)nw > jobs)
		nw = jobs ? (int)jobs : 1;
	return nw;
}
