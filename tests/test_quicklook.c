/* SPDX-License-Identifier: MIT */
/* cmocka tests of codec/quicklook: stretch, colour map, NaN, PNG decoded back by libavcodec. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libavcodec/avcodec.h>

#include "codec/quicklook.h"

/* A decoded PNG: RGB24, w x h, tightly packed. */
struct pic {
	int w, h;
	uint8_t *rgb;
};

/* Decodes png with libavcodec's PNG decoder; fails the test if it cannot. */
static void decode_png(const uint8_t *png, size_t len, struct pic *p)
{
	const AVCodec *dec = avcodec_find_decoder(AV_CODEC_ID_PNG);
	AVCodecContext *c = avcodec_alloc_context3(dec);
	AVPacket *pkt = av_packet_alloc();
	AVFrame *f = av_frame_alloc();

	assert_non_null(dec);
	assert_non_null(c);
	assert_int_equal(avcodec_open2(c, dec, NULL), 0);
	assert_int_equal(av_new_packet(pkt, (int)len), 0);
	memcpy(pkt->data, png, len);
	assert_int_equal(avcodec_send_packet(c, pkt), 0);
	assert_int_equal(avcodec_receive_frame(c, f), 0);
	assert_int_equal(f->format, AV_PIX_FMT_RGB24);
	p->w = f->width;
	p->h = f->height;
	p->rgb = malloc((size_t)p->w * p->h * 3);
	assert_non_null(p->rgb);
	for (int y = 0; y < p->h; y++)
		memcpy(p->rgb + (size_t)y * p->w * 3,
		       f->data[0] + (size_t)y * f->linesize[0],
		       (size_t)p->w * 3);
	av_frame_free(&f);
	av_packet_free(&pkt);
	avcodec_free_context(&c);
}

static const uint8_t *px(const struct pic *p, int x, int y)
{
	return p->rgb + ((size_t)y * p->w + x) * 3;
}

static void assert_px(const struct pic *p, int x, int y, int r, int g, int b)
{
	const uint8_t *q = px(p, x, y);

	if (q[0] != r || q[1] != g || q[2] != b)
		fail_msg("pixel (%d, %d) is (%d, %d, %d), not (%d, %d, %d)", x, y,
			 q[0], q[1], q[2], r, g, b);
}

/* Renders and encodes, then decodes the PNG back. */
static void render(const float *const *band, int nb, int w, int h,
		   struct pic *p)
{
	uint8_t *png = NULL;
	size_t len = 0;

	assert_int_equal(codec_quicklook_png(band, nb, w, h, &png, &len), 0);
	assert_true(len > 8);
	assert_memory_equal(png, "\x89PNG\r\n\x1a\n", 8);
	decode_png(png, len, p);
	free(png);
}

/* Three bands of 10 x 10: ramps 0..99, 99..0 and 50, the last cell NaN. */
static void quicklook_rgb_stretch_and_nan(void **state)
{
	float r[100], g[100], b[100];
	const float *band[3] = { r, g, b };
	struct pic p;

	(void)state;
	for (int i = 0; i < 100; i++) {
		r[i] = (float)i;
		g[i] = (float)(99 - i);
		b[i] = i % 2 ? 10.0f : 20.0f;
	}
	g[99] = NAN;
	render(band, 3, 10, 10, &p);
	assert_int_equal(p.w, 10);
	assert_int_equal(p.h, 10);
	/* the 2nd percentile and below are 0, the 98th and above 255 */
	assert_px(&p, 0, 0, 0, 255, 255);
	assert_px(&p, 1, 0, 0, 255, 0);
	assert_px(&p, 8, 9, 255, 0, 255);
	/* valid in two bands, NaN in one: black */
	assert_px(&p, 9, 9, 0, 0, 0);
	/* 50 in red's stretch: ranks 1 and 97 of 100 values, 1..97 */
	assert_int_equal(px(&p, 0, 5)[0], (int)lrintf(255 * (50 - 1) / 96.0f));
	free(p.rgb);
}

static void quicklook_colour_map(void **state)
{
	float v[64];
	const float *band[1] = { v };
	struct pic p;

	(void)state;
	for (int i = 0; i < 64; i++)
		v[i] = i < 32 ? -5.0f : 5.0f;
	v[10] = INFINITY;
	v[11] = NAN;
	render(band, 1, 8, 8, &p);
	assert_int_equal(p.w, 8);
	assert_int_equal(p.h, 8);
	assert_px(&p, 0, 0, 68, 1, 84);         /* viridis(0) */
	assert_px(&p, 7, 7, 253, 231, 37);      /* viridis(1) */
	assert_px(&p, 2, 1, 0, 0, 0);           /* inf */
	assert_px(&p, 3, 1, 0, 0, 0);           /* NaN */
	free(p.rgb);
}

/* A no-data border of zeros does not flatten the rest of the picture. */
static void quicklook_border_left_out(void **state)
{
	float v[100];
	const float *band[1] = { v };
	uint8_t rgb[300];

	(void)state;
	for (int i = 0; i < 100; i++)
		v[i] = i < 30 ? 0.0f : (float)(70 + i);
	/* percentiles of 100..169 alone: 101 and 167; 134 (at 64) is the
	 * middle, where with the zeros it would be 80% up */
	assert_int_equal(codec_quicklook_rgb(band, 1, 10, 10, rgb, 300), 0);
	assert_memory_equal(rgb, "\x44\x01\x54", 3);   /* 0: viridis(0) */
	assert_memory_equal(rgb + 64 * 3, "\x21\x91\x8c", 3); /* viridis(.5) */
}

/* All values equal: the middle of the map, not a division by zero. */
static void quicklook_constant_planes(void **state)
{
	float v[12], w[12];
	const float *one[1] = { v };
	const float *three[3] = { v, w, v };
	struct pic p;

	(void)state;
	for (int i = 0; i < 12; i++) {
		v[i] = 3.25f;
		w[i] = NAN;
	}
	w[5] = -1.0f;
	render(one, 1, 4, 3, &p);
	for (int y = 0; y < 3; y++)
		for (int x = 0; x < 4; x++)
			assert_px(&p, x, y, 33, 145, 140);   /* viridis(0.5) */
	free(p.rgb);
	render(three, 3, 4, 3, &p);
	assert_px(&p, 1, 1, 128, 128, 128);
	assert_px(&p, 0, 0, 0, 0, 0);
	free(p.rgb);
}

/* No valid value at all: a black picture of the right size. */
static void quicklook_all_nan(void **state)
{
	float v[6] = { NAN, NAN, NAN, NAN, NAN, NAN };
	const float *band[1] = { v };
	struct pic p;

	(void)state;
	render(band, 1, 3, 2, &p);
	assert_int_equal(p.w, 3);
	assert_int_equal(p.h, 2);
	for (int i = 0; i < 18; i++)
		assert_int_equal(p.rgb[i], 0);
	free(p.rgb);
}

/* Wide pictures are decimated to at most CODEC_QL_MAX_SIDE a side. */
static void quicklook_large_decimated(void **state)
{
	int w = 2 * CODEC_QL_MAX_SIDE + 4, h = 3, ow, oh;
	float *v = malloc((size_t)w * h * sizeof(*v));
	const float *band[1] = { v };
	struct pic p;

	(void)state;
	assert_non_null(v);
	for (int i = 0; i < w * h; i++)
		v[i] = (float)(i % w);
	codec_quicklook_size(w, h, &ow, &oh);
	assert_int_equal(ow, (w + 2) / 3);
	assert_int_equal(oh, 1);
	codec_quicklook_size(100, 50, &ow, &oh);
	assert_int_equal(ow, 100);
	assert_int_equal(oh, 50);
	render(band, 1, w, h, &p);
	assert_int_equal(p.w, (w + 2) / 3);
	assert_int_equal(p.h, 1);
	assert_px(&p, 0, 0, 68, 1, 84);
	assert_px(&p, p.w - 1, 0, 253, 231, 37);
	free(p.rgb);
	free(v);
}

/* The PNG holds exactly the RGB it was given. */
static void quicklook_png_exact(void **state)
{
	uint8_t rgb[5 * 7 * 3], *png = NULL;
	size_t len = 0;
	struct pic p;

	(void)state;
	for (size_t i = 0; i < sizeof(rgb); i++)
		rgb[i] = (uint8_t)(i * 37 + 11);
	assert_int_equal(codec_png_encode(rgb, 5, 7, &png, &len), 0);
	decode_png(png, len, &p);
	assert_int_equal(p.w, 5);
	assert_int_equal(p.h, 7);
	assert_memory_equal(p.rgb, rgb, sizeof(rgb));
	free(p.rgb);
	free(png);
}

static void quicklook_bad_arguments(void **state)
{
	float v[4] = { 0, 1, 2, 3 };
	const float *band[3] = { v, v, NULL };
	uint8_t rgb[12], *png = (uint8_t *)1;
	size_t len = 1;

	(void)state;
	assert_int_equal(codec_quicklook_rgb(band, 2, 2, 2, rgb, sizeof(rgb)),
			 -EINVAL);
	assert_int_equal(codec_quicklook_rgb(band, 3, 2, 2, rgb, sizeof(rgb)),
			 -EINVAL);
	assert_int_equal(codec_quicklook_rgb(band, 1, 0, 2, rgb, sizeof(rgb)),
			 -EINVAL);
	assert_int_equal(codec_quicklook_rgb(band, 1, 2, 2, rgb, 11), -EINVAL);
	assert_int_equal(codec_quicklook_rgb(NULL, 1, 2, 2, rgb, 12), -EINVAL);
	assert_int_equal(codec_quicklook_rgb(band, 1, 2, 2, rgb, 12), 0);
	assert_int_equal(codec_png_encode(rgb, 0, 2, &png, &len), -EINVAL);
	assert_null(png);
	assert_int_equal(len, 0);
	assert_int_equal(codec_quicklook_png(band, 1, 2, -1, &png, &len),
			 -EINVAL);
	assert_int_equal(codec_quicklook_png(band, 4, 2, 2, &png, &len),
			 -EINVAL);
	assert_null(png);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(quicklook_rgb_stretch_and_nan),
		cmocka_unit_test(quicklook_colour_map),
		cmocka_unit_test(quicklook_border_left_out),
		cmocka_unit_test(quicklook_constant_planes),
		cmocka_unit_test(quicklook_all_nan),
		cmocka_unit_test(quicklook_large_decimated),
		cmocka_unit_test(quicklook_png_exact),
		cmocka_unit_test(quicklook_bad_arguments),
	};

	return cmocka_run_group_tests_name("quicklook", tests, NULL, NULL);
}
