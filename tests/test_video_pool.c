/* SPDX-License-Identifier: MIT */
/* cmocka tests of codec/video_pool: a decoder taken from the pool decodes as a new one. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codec/video.h"
#include "codec/video_priv.h"
#include "tests/video_fixture.h"

#define W 72
#define H 56
#define NF 6

static const enum codec_id codecs[] = {
	CODEC_X265, CODEC_X264, CODEC_VP9, CODEC_AV1, CODEC_FFV1,
};

/* nframes smooth 10-bit frames of size w x h, moving with t; phase makes
 * another GOP of the same stream. */
static void frames(uint16_t *out, int w, int h, int nframes, int phase)
{
	for (int t = 0; t < nframes; t++)
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++)
				*out++ = (uint16_t)(511.5 + 400 *
					sin(0.11 * (x + 2 * t + 5 * phase)) *
					cos(0.07 * (y - t + 3 * phase)));
}

static struct codec_params params(enum codec_id c, int w, int h, int threads,
				  struct codec_pool *pool)
{
	return (struct codec_params){
		.codec = c, .bits = 10, .planes = 1, .width = w, .height = h,
		.crf = 20, .lossless = c == CODEC_FFV1, .threads = threads,
		.pool = pool,
	};
}

/* A GOP of p from frames(phase), and its decode by a decoder of its own. */
static void encode(const struct codec_params *p, int phase,
		   struct codec_gop *g, uint16_t *decoded)
{
	size_t n = (size_t)NF * p->width * p->height;
	uint16_t *in = malloc(n * sizeof(*in));
	struct codec_params own = *p;

	assert_non_null(in);
	frames(in, p->width, p->height, NF, phase);
	/* one encoder thread: x265's own threads, which ThreadSanitizer
	 * cannot follow, are not what is tested */
	own.threads = 1;
	assert_int_equal(codec_video_encode(&own, in, NF, g), 0);
	own.threads = p->threads;
	own.pool = NULL;
	assert_int_equal(decode_part(&own, g, NF, 0, 0, decoded), 0);
	free(in);
}

static int decode(const struct codec_params *p, const struct codec_gop *g,
		  uint16_t *out)
{
	return decode_part(p, g, NF, 0, 0, out);
}

/* Decodes g whole into out (garbage first) and checks it against ref. */
static void decode_as(const struct codec_params *p, const struct codec_gop *g,
		      const uint16_t *ref, uint16_t *out)
{
	size_t n = (size_t)NF * p->width * p->height;

	memset(out, 0xab, n * 2);
	assert_int_equal(decode(p, g, out), 0);
	assert_memory_equal(out, ref, n * 2);
}

static struct codec_pool_stats stats(struct codec_pool *pool)
{
	struct codec_pool_stats s;

	codec_pool_get_stats(pool, &s);
	return s;
}

/* The pool's decodes that opened a decoder, that took one, and the
 * decoders idle now. */
static void expect(struct codec_pool *pool, uint64_t opened, uint64_t reused,
		   int idle)
{
	struct codec_pool_stats s = stats(pool);

	assert_int_equal(s.opened, opened);
	assert_int_equal(s.reused, reused);
	assert_int_equal(s.idle, idle);
}

/*
 * One decoder serves GOP after GOP of a stream, whole, in part and up to
 * a frame, each exactly as a new decoder decodes it. A decode that fails
 * closes the decoder it took: the next opens a new one, and is right.
 */
static void pool_decoder_decodes_as_new(void **state)
{
	size_t fs = (size_t)W * H, n = NF * fs;
	uint16_t *a = malloc(n * 2), *b = malloc(n * 2), *out = malloc(n * 2);

	(void)state;
	assert_true(a && b && out);
	for (size_t c = 0; c < sizeof(codecs) / sizeof(codecs[0]); c++) {
		struct codec_pool *pool;
		struct codec_params p;
		struct codec_gop ga, gb;

		assert_int_equal(codec_pool_new(2, SIZE_MAX, &pool), 0);
		p = params(codecs[c], W, H, 1, pool);
		encode(&p, 0, &ga, a);
		encode(&p, 1, &gb, b);

		decode_as(&p, &ga, a, out);
		expect(pool, 1, 0, 1);

		decode_as(&p, &gb, b, out);
		memset(out, 0xab, n * 2);
		assert_int_equal(decode_part(&p, &ga, NF, 3, 5, out), 0);
		assert_memory_equal(out + 3 * fs, a + 3 * fs, 2 * fs * 2);
		memset(out, 0xab, n * 2);
		assert_int_equal(decode_part(&p, &gb, NF, 0, 2, out), 0);
		assert_memory_equal(out, b, 2 * fs * 2);
		expect(pool, 1, 3, 1);

		/* a frame short of what it is asked for: the decode fails
		 * after the decoder has run */
		assert_int_equal(decode_part(&p, &ga, NF - 1, 0, 0, out),
				 -EIO);
		expect(pool, 1, 4, 0);
		decode_as(&p, &gb, b, out);
		expect(pool, 2, 4, 1);

		codec_gop_release(&ga);
		codec_gop_release(&gb);
		codec_pool_free(pool);
	}
	free(a);
	free(b);
	free(out);
}

/*
 * A decoder is taken only for what it was opened for: codec, picture
 * size and format, threads (and extradata, which x265 has none of).
 * At most max_idle wait, holding at most max_bytes; the ones idle
 * longest go first; a pool of 0 keeps none.
 */
static void pool_keeps_what_fits_and_no_more(void **state)
{
	size_t n = (size_t)NF * (W + 8) * H;
	uint16_t *ref1 = malloc(n * 2), *ref2 = malloc(n * 2),
		 *ref3 = malloc(n * 2), *out = malloc(n * 2);
	struct codec_pool *pool, *none;
	struct codec_params p1, p2, p3;
	struct codec_gop g1, g2, g3;
	struct codec_pool_stats s;

	(void)state;
	assert_true(ref1 && ref2 && ref3 && out);
	assert_int_equal(codec_pool_new(-1, SIZE_MAX, &pool), -EINVAL);
	assert_null(pool);
	assert_int_equal(codec_pool_new(2, SIZE_MAX, &pool), 0);
	assert_int_equal(codec_pool_new(0, SIZE_MAX, &none), 0);
	p1 = params(CODEC_X265, W, H, 1, pool);
	p2 = params(CODEC_X265, W, H, 2, pool);         /* threads */
	p3 = params(CODEC_X265, W + 8, H, 1, pool);     /* size */
	encode(&p1, 0, &g1, ref1);
	encode(&p2, 0, &g2, ref2);
	encode(&p3, 0, &g3, ref3);

	assert_int_equal(decode(&p1, &g1, out), 0);
	decode_as(&p2, &g2, ref2, out);
	expect(pool, 2, 0, 2);
	/* a third kind: the first to go idle (p1's) is dropped for it */
	decode_as(&p3, &g3, ref3, out);
	expect(pool, 3, 0, 2);
	assert_int_equal(stats(pool).dropped, 1);
	assert_int_equal(decode(&p2, &g2, out), 0);
	decode_as(&p1, &g1, ref1, out);
	expect(pool, 4, 1, 2);

	/* nor for another sample depth, though codec, size and threads
	 * fit */
	{
		struct codec_params q = p1;
		struct codec_gop gq;
		uint16_t *refq = malloc(n * 2);

		assert_non_null(refq);
		q.bits = 12;
		encode(&q, 0, &gq, refq);
		s = stats(pool);
		decode_as(&q, &gq, refq, out);
		assert_int_equal(stats(pool).opened, s.opened + 1);
		assert_int_equal(stats(pool).reused, s.reused);
		codec_gop_release(&gq);
		free(refq);
	}

	p1.pool = none;
	for (int i = 0; i < 2; i++)
		assert_int_equal(decode(&p1, &g1, out), 0);
	expect(none, 2, 0, 0);
	codec_pool_free(none);

	/* bytes: with room for a decoder and a half of p1's size, p3's
	 * (larger pictures) goes idle in the room of p1's; and a decoder
	 * larger than the room is closed */
	{
		struct video_layout v1, v3;
		size_t b1, b3;

		assert_int_equal(video_layout_init(&p1, NF, &v1), 0);
		assert_int_equal(video_layout_init(&p3, NF, &v3), 0);
		b1 = video_pool_bytes(&v1);
		b3 = video_pool_bytes(&v3);
		assert_true(b1 > 0 && b3 > b1 && b3 < b1 + b1 / 2);
		assert_int_equal(codec_pool_new(2, b1 + b1 / 2, &none), 0);
		p1.pool = p3.pool = none;
		assert_int_equal(decode(&p1, &g1, out), 0);
		expect(none, 1, 0, 1);
		decode_as(&p3, &g3, ref3, out);
		expect(none, 2, 0, 1);
		assert_int_equal(stats(none).dropped, 1);
		decode_as(&p3, &g3, ref3, out);
		expect(none, 2, 1, 1);
		codec_pool_free(none);
		assert_int_equal(codec_pool_new(2, b1 - 1, &none), 0);
		p1.pool = none;
		assert_int_equal(decode(&p1, &g1, out), 0);
		expect(none, 1, 0, 0);
	}

	codec_gop_release(&g1);
	codec_gop_release(&g2);
	codec_gop_release(&g3);
	codec_pool_free(pool);
	codec_pool_free(none);
	codec_pool_free(NULL);
	free(ref1);
	free(ref2);
	free(ref3);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pool_decoder_decodes_as_new),
		cmocka_unit_test(pool_keeps_what_fits_and_no_more),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
