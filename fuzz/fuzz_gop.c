/* SPDX-License-Identifier: MIT */
/* libFuzzer target: a stored GOP (packet table, extradata, packets, quantization) decoded after the fuzzer corrupted it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "codec/block.h"
#include "codec/gop.h"
#include "fuzz/input.h"
#include "ingest/npy.h"

/*
 * The input is a GOP as the catalog and a pack hold it:
 *   codec, bits, planes, width, height, nframes, dtype, fix (1 byte each),
 *   npkt (1), extra_size (4), npkt packet sizes (4 each),
 *   planes x (scale, offset, min, max) (8 each), then the payload.
 * With fix & 1 the last packet size is set so that the table adds up to
 * the payload (so that corrupt sizes reach the decoder). Seeds are real
 * GOPs of the landsat8 sample (CUBEFS_FUZZ_SEEDS=dir writes them).
 */

#define MAX_SIDE 48
#define MAX_FRAMES 6
#define MAX_PKT 32

static const enum codec_id codecs[] = {
	CODEC_FFV1, CODEC_X265, CODEC_X264, CODEC_VP9, CODEC_AV1, CODEC_LZ4,
};
static const int depths[] = { 8, 10, 12, 16 };

/* Idle decoders kept from input to input, for decode_pooled(). */
static struct codec_pool *pool;

/*
 * Decodes with a decoder from the pool, which may have decoded earlier
 * inputs: it fails as a new one may, and a clean decode's samples are in
 * range. (Its frames may differ from a new decoder's: an HEVC decoder
 * keeps the parameter sets it has seen, which a payload that lacks its
 * own then decodes with. Stored GOPs carry theirs and are checksummed.)
 */
static void decode_pooled(const struct codec_params *p, enum dtype t,
			  const struct codec_gop_ref *g, size_t nsamples)
{
	struct codec_params pp = *p;
	uint8_t *v = malloc(nsamples * dtype_size(t));
	uint16_t *s = malloc(nsamples * 2);
	int rc;

	pp.pool = pool;
	if (!v || !s)
		goto out;
	rc = codec_gop_decode(&pp, t, g, v);
	if (rc && rc != -EIO && rc != -ENOTSUP && rc != -EINVAL)
		abort();
	if (p->codec == CODEC_LZ4)
		goto out;
	rc = codec_video_decode(&pp, g, &(struct codec_sink){ .samples = s });
	if (rc && rc != -EIO && rc != -ENOTSUP && rc != -EINVAL)
		abort();
	for (size_t i = 0; !rc && i < nsamples; i++)
		if (s[i] >= 1u << p->bits)
			abort();
out:
	free(v);
	free(s);
}

/* Decodes twice, into buffers filled with 0x00 and 0xff first: a byte
 * the decoder did not write shows as a difference. */
static void decode_twice(const struct codec_params *p, enum dtype t,
			 const struct codec_gop_ref *g, size_t nsamples)
{
	size_t bytes = nsamples * dtype_size(t);
	uint8_t *a = malloc(bytes), *b = malloc(bytes);
	uint16_t *sa = NULL, *sb = NULL;
	int ra, rb;

	if (!a || !b)
		goto out;
	memset(a, 0, bytes);
	memset(b, 0xff, bytes);
	ra = codec_gop_decode(p, t, g, a);
	rb = codec_gop_decode(p, t, g, b);
	if (ra != rb || memcmp(a, b, bytes))
		abort();
	if (ra && ra != -EIO && ra != -ENOTSUP && ra != -EINVAL)
		abort();
	if (p->codec == CODEC_LZ4)
		goto out;
	/* the samples codec_gop_decode dequantizes, the same way */
	sa = malloc(nsamples * 2);
	sb = malloc(nsamples * 2);
	if (!sa || !sb)
		goto out;
	memset(sa, 0, nsamples * 2);
	memset(sb, 0xff, nsamples * 2);
	ra = codec_video_decode(p, g, &(struct codec_sink){ .samples = sa });
	rb = codec_video_decode(p, g, &(struct codec_sink){ .samples = sb });
	if (ra != rb || memcmp(sa, sb, nsamples * 2))
		abort();
	for (size_t i = 0; !ra && i < nsamples; i++)
		if (sa[i] >= 1u << p->bits)
			abort();
	/* the last frame alone (HEVC: its picture order, read from the
	 * untrusted headers), into both buffers: the same result */
	if (g->nframes > 1) {
		struct codec_gop_ref last = *g;
		size_t fs = nsamples / (size_t)g->nframes, at;

		last.first = g->nframes - 1;
		ra = codec_video_decode(p, &last, &(struct codec_sink){
			.samples = sa });
		rb = codec_video_decode(p, &last, &(struct codec_sink){
			.samples = sb });
		at = (size_t)(g->nframes - 1) * fs;
		if (ra != rb || memcmp(sa + at, sb + at, fs * 2))
			abort();
	}
out:
	free(sa);
	free(sb);
	free(a);
	free(b);
}

/* Fills p and g from the input; 0 if it describes a GOP to try. */
static int read_gop(struct fin *in, struct codec_params *p, enum dtype *t,
		    struct codec_gop_ref *g, uint32_t *sizes,
		    struct codec_quant *q)
{
	int fix;
	uint64_t sum;

	memset(p, 0, sizeof(*p));
	memset(g, 0, sizeof(*g));       /* no corrections, no fill value */
	p->codec = codecs[fin_u8(in) % (sizeof(codecs) / sizeof(codecs[0]))];
	p->bits = depths[fin_u8(in) % 4];
	p->planes = fin_u8(in) % 2 ? 3 : 1;
	p->width = 1 + fin_u8(in) % MAX_SIDE;
	p->height = 1 + fin_u8(in) % MAX_SIDE;
	p->threads = 1;
	p->lossless = 1;
	g->nframes = 1 + fin_u8(in) % MAX_FRAMES;
	*t = (enum dtype)(1 + fin_u8(in) % 10);
	fix = fin_u8(in);
	g->npkt = fin_u8(in) % (MAX_PKT + 1);
	g->extra_size = fin_u32(in);
	for (int i = 0; i < g->npkt; i++)
		sizes[i] = fin_u32(in);
	for (int i = 0; i < p->planes; i++) {
		q[i].scale = fin_double(in);
		q[i].offset = fin_double(in);
		q[i].min = fin_double(in);
		q[i].max = fin_double(in);
	}
	g->data = in->p;
	g->size = in->n;
	g->pkt_sizes = sizes;
	g->quant = q;
	if ((fix & 1) && g->npkt) {
		sum = g->extra_size;
		for (int i = 0; i + 1 < g->npkt; i++)
			sum += sizes[i];
		if (sum < g->size)
			sizes[g->npkt - 1] = (uint32_t)(g->size - sum);
	}
	return p->codec == CODEC_LZ4 || codec_video_check(p) == 0 ? 0 : -1;
}

/* Appends a GOP in the input format to a seed file. */
static void write_seed(const char *dir, const char *name,
		       const struct codec_params *p, enum dtype t,
		       int nframes, const struct codec_gop *enc)
{
	char path[512];
	uint8_t hdr[9];
	FILE *o;
	size_t ci = 0, di = 0;

	while (codecs[ci] != p->codec)
		ci++;
	while (depths[di] != p->bits)
		di++;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	o = fopen(path, "wb");
	if (!o)
		abort();
	hdr[0] = (uint8_t)ci;
	hdr[1] = (uint8_t)di;
	hdr[2] = p->planes == 3;
	hdr[3] = (uint8_t)(p->width - 1);
	hdr[4] = (uint8_t)(p->height - 1);
	hdr[5] = (uint8_t)(nframes - 1);
	hdr[6] = (uint8_t)(t - 1);
	hdr[7] = 0;
	hdr[8] = (uint8_t)enc->npkt;
	fwrite(hdr, 1, sizeof(hdr), o);
	for (int i = -1; i < enc->npkt; i++) {
		uint32_t v = i < 0 ? (uint32_t)enc->extra_size :
			enc->pkt_sizes[i];
		uint8_t le[4] = { v, v >> 8, v >> 16, v >> 24 };

		fwrite(le, 1, 4, o);
	}
	for (int i = 0; i < p->planes; i++) {
		double qv[4] = { 0.5, -3, -3, 0.5 * ((1 << p->bits) - 1) - 3 };

		fwrite(qv, sizeof(double), 4, o);
	}
	fwrite(enc->data, 1, enc->size, o);
	fclose(o);
}

/* Real GOPs: a 20 x 24 corner of the landsat8 sample's bands. */
static void write_seeds(const char *dir, const char *npy)
{
	static const struct { enum codec_id c; int bits, planes, lossless; }
	kinds[] = {
		{ CODEC_FFV1, 16, 1, 1 }, { CODEC_FFV1, 8, 3, 1 },
		{ CODEC_X265, 10, 1, 0 }, { CODEC_X265, 8, 3, 1 },
		{ CODEC_X264, 8, 1, 0 }, { CODEC_VP9, 8, 1, 0 },
		{ CODEC_AV1, 8, 1, 0 },
	};
	enum { W = 24, H = 20, F = 3 };
	static uint8_t file[1 << 20];
	uint16_t s[F * 3 * H * W];
	struct npy_header h;
	ssize_t n;
	int fd = open(npy, O_RDONLY);

	if (fd < 0 || (n = read(fd, file, sizeof(file))) < 0 ||
	    npy_parse(file, (size_t)n, &h) || h.ndim != 4 ||
	    h.dtype != DTYPE_U16) {
		fprintf(stderr, "cannot read the sample '%s'\n", npy);
		exit(1);
	}
	close(fd);
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct codec_params p = { .codec = kinds[k].c,
			.bits = kinds[k].bits, .planes = kinds[k].planes,
			.width = W, .height = H, .crf = 28, .threads = 1,
			.lossless = kinds[k].lossless };
		struct codec_gop enc;
		char name[64];
		const uint16_t *src = (const uint16_t *)(file + h.data_offset);

		if (codec_video_check(&p))
			continue;
		/* frame f, plane k: band k of time f, scaled to bits */
		for (int f = 0; f < F; f++)
			for (int c = 0; c < p.planes; c++)
				for (int y = 0; y < H; y++)
					for (int x = 0; x < W; x++)
						s[((f * p.planes + c) * H + y) *
						  W + x] = (uint16_t)
							(src[((f * h.shape[1] +
							       c) * h.shape[2] +
							      y) * h.shape[3] +
							     x] >>
							 (16 - p.bits));
		if (codec_video_encode(&p, s, F, &enc))
			continue;
		snprintf(name, sizeof(name), "%s-%d-%d%s", codec_name(p.codec),
			 p.bits, p.planes, p.lossless ? "-lossless" : "");
		write_seed(dir, name, &p, DTYPE_F32, F, &enc);
		codec_gop_release(&enc);
	}
	{	/* an lz4 GOP: 2 frames of 8 x 8 uint16 */
		struct codec_params p = { .codec = CODEC_LZ4, .bits = 16,
			.planes = 1, .width = 8, .height = 8 };
		uint32_t size;
		struct codec_gop enc = { 0 };

		if (codec_block_pack(file + h.data_offset, 2 * 64 * 2,
				     &enc.data, &enc.size))
			abort();
		size = (uint32_t)enc.size;
		enc.npkt = 1;
		enc.pkt_sizes = &size;
		write_seed(dir, "lz4", &p, DTYPE_U16, 2, &enc);
		free(enc.data);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (getenv("CUBEFS_FUZZ_SEEDS"))
		write_seeds(getenv("CUBEFS_FUZZ_SEEDS"),
			    getenv("CUBEFS_FUZZ_SAMPLE"));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = { data, size };
	struct codec_params p;
	struct codec_gop_ref g;
	struct codec_quant q[3];
	uint32_t sizes[MAX_PKT];
	enum dtype t;

	if (!pool && codec_pool_new(2, SIZE_MAX, &pool))
		abort();
	if (read_gop(&in, &p, &t, &g, sizes, q))
		return 0;
	decode_twice(&p, t, &g, (size_t)p.width * p.height * p.planes *
		     g.nframes);
	decode_pooled(&p, t, &g, (size_t)p.width * p.height * p.planes *
		      g.nframes);
	return 0;
}
