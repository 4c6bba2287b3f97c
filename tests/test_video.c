/* SPDX-License-Identifier: MIT */
/* cmocka tests of codec/video: round trips on real Landsat planes, errors. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "codec/gop.h"
#include "codec/video.h"
#include "codec/video_priv.h"
#include "tests/video_fixture.h"

static double psnr(const uint16_t *a, const uint16_t *b, size_t n, int bits)
{
	double top = (1 << bits) - 1, se = 0;
	size_t i;

	for (i = 0; i < n; i++)
		se += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
	return se ? 10 * log10(top * top * n / se) : INFINITY;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Encodes and decodes; returns the decode result, *bytes the GOP size. */
static int round_trip(const struct codec_params *p, const uint16_t *in,
		      uint16_t *out, int nframes, size_t *bytes)
{
	struct codec_gop g;
	int rc;

	rc = codec_video_encode(p, in, nframes, &g);
	assert_int_equal(rc, 0);
	assert_non_null(g.data);
	assert_true(g.npkt >= 1);
	if (bytes)
		*bytes = g.size;
	rc = decode_part(p, &g, nframes, 0, 0, out);
	codec_gop_release(&g);
	assert_null(g.data);
	return rc;
}


static void video_names_round_trip(void **state)
{
	static const struct {
		const char *name;
		enum codec_id id;
	} alias[] = {
		{ "hevc", CODEC_X265 }, { "libx265", CODEC_X265 },
		{ "h264", CODEC_X264 }, { "libx264", CODEC_X264 },
		{ "libvpx-vp9", CODEC_VP9 }, { "aom", CODEC_AV1 },
		{ "libaom-av1", CODEC_AV1 }, { "FFV1", CODEC_FFV1 },
		{ "LZ4", CODEC_LZ4 }, { "svt-av1", CODEC_SVTAV1 },
		{ "libsvtav1", CODEC_SVTAV1 },
	};
	size_t i;
	int c;

	(void)state;
	for (c = CODEC_X265; c <= CODEC_LZ4; c++)
		assert_int_equal(codec_from_name(codec_name(c)), c);
	assert_string_equal(codec_name(CODEC_X265), "x265");
	assert_string_equal(codec_name(CODEC_AV1), "av1");
	assert_int_equal(codec_from_name(codec_name(CODEC_SVTAV1)),
			 CODEC_SVTAV1);
	assert_string_equal(codec_name(CODEC_NONE), "?");
	assert_string_equal(codec_name((enum codec_id)99), "?");
	assert_string_equal(codec_name((enum codec_id)-1), "?");
	for (i = 0; i < sizeof(alias) / sizeof(alias[0]); i++)
		assert_int_equal(codec_from_name(alias[i].name), alias[i].id);
	assert_int_equal(codec_from_name("mpeg2"), CODEC_NONE);
	assert_int_equal(codec_from_name(""), CODEC_NONE);
	assert_int_equal(codec_from_name(NULL), CODEC_NONE);
}

static void video_check_refuses_impossible(void **state)
{
	static const struct {
		enum codec_id c;
		int bits, planes, lossless, rc;
	} cases[] = {
		{ CODEC_X265, 16, 1, 0, -ENOTSUP },
		{ CODEC_X265, 16, 3, 1, -ENOTSUP },
		{ CODEC_X264, 12, 1, 0, -ENOTSUP },
		{ CODEC_X264, 16, 3, 0, -ENOTSUP },
		{ CODEC_VP9, 16, 1, 0, -ENOTSUP },
		{ CODEC_AV1, 16, 1, 0, -ENOTSUP },
		{ CODEC_LZ4, 8, 1, 0, -ENOTSUP },
		{ CODEC_NONE, 8, 1, 0, -ENOTSUP },
		{ (enum codec_id)42, 8, 1, 0, -ENOTSUP },
		{ CODEC_FFV1, 9, 1, 1, -ENOTSUP },
		{ CODEC_FFV1, 8, 2, 1, -ENOTSUP },
		{ CODEC_X265, 12, 1, 1, 0 },
		{ CODEC_X265, 8, 3, 0, 0 },
		{ CODEC_X264, 10, 1, 1, 0 },
		{ CODEC_X264, 8, 3, 0, 0 },
		{ CODEC_VP9, 12, 1, 0, 0 },
		{ CODEC_VP9, 12, 3, 1, 0 },
		{ CODEC_AV1, 12, 1, 0, 0 },
		{ CODEC_FFV1, 16, 1, 1, 0 },
		{ CODEC_FFV1, 8, 3, 1, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct codec_params p = {
			.codec = cases[i].c, .bits = cases[i].bits,
			.planes = cases[i].planes, .width = 76, .height = 77,
			.lossless = cases[i].lossless, .crf = 20,
		};

		assert_int_equal(codec_video_check(&p), cases[i].rc);
	}
}

static void video_lossy_psnr_above_floor(void **state)
{
	size_t n = (size_t)NT * NY * NX, bytes;
	uint16_t *in = malloc(n * 2), *out = malloc(n * 2);
	size_t i;

	(void)state;
	NEED_CUBE();
	assert_non_null(in);
	assert_non_null(out);
	for (i = 0; i < nlossy; i++) {
		struct codec_params p = {
			.codec = lossy[i].c, .bits = lossy[i].bits,
			.planes = 1, .width = NX, .height = NY,
			.crf = lossy[i].crf,
		};
		double q;

		quantize(in, 3, 1, p.bits, 0, 0, NX, NY, NT);
		memset(out, 0xff, n * 2);
		assert_int_equal(round_trip(&p, in, out, NT, &bytes), 0);
		q = psnr(in, out, n, p.bits);
		print_message("%s %d bits crf %d: %.2f dB, %.3f bits/value\n",
			      codec_name(p.codec), p.bits, p.crf, q,
			      8.0 * bytes / n);
		assert_true(q >= lossy[i].floor);
	}
	free(in);
	free(out);
}

/* GOP lengths: at most 2^20 samples and 16 to 256 frames, split evenly. */
static void video_default_gop_is_balanced(void **state)
{
	(void)state;
	assert_int_equal(codec_default_gop(100, 101, 68), 68);
	assert_int_equal(codec_default_gop(49, 33, 744), 248);
	assert_int_equal(codec_default_gop(49, 33, 0), 256);
	assert_int_equal(codec_default_gop(1024, 1024, 256), 16);
	assert_int_equal(codec_default_gop(1024, 1024, 20), 10);
	assert_int_equal(codec_default_gop(256, 256, 17), 9);
	assert_int_equal(codec_default_gop(76, 77, 8), 8);
	assert_int_equal(codec_default_gop(4096, 4096, 1), 1);
}

static void video_lossless_exact(void **state)
{
	static const struct {
		enum codec_id c;
		int bits, planes;
	} cases[] = {
		{ CODEC_FFV1, 8, 1 }, { CODEC_FFV1, 10, 1 },
		{ CODEC_FFV1, 12, 1 }, { CODEC_FFV1, 16, 1 },
		{ CODEC_FFV1, 8, 3 }, { CODEC_FFV1, 10, 3 },
		{ CODEC_FFV1, 12, 3 }, { CODEC_FFV1, 16, 3 },
		{ CODEC_X265, 12, 1 }, { CODEC_X265, 10, 3 },
		{ CODEC_X264, 10, 1 }, { CODEC_X264, 8, 3 },
		{ CODEC_VP9, 12, 1 }, { CODEC_AV1, 12, 1 },
	};
	size_t n = (size_t)4 * 3 * NY * NX;
	uint16_t *in = malloc(n * 2), *out = malloc(n * 2);
	size_t i;

	(void)state;
	NEED_CUBE();
	assert_non_null(in);
	assert_non_null(out);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct codec_params p = {
			.codec = cases[i].c, .bits = cases[i].bits,
			.planes = cases[i].planes, .width = NX, .height = NY,
			.lossless = 1,
		};
		size_t m = (size_t)4 * p.planes * NY * NX;

		quantize(in, 2, p.planes, p.bits, 0, 0, NX, NY, 4);
		memset(out, 0xff, m * 2);
		assert_int_equal(round_trip(&p, in, out, 4, NULL), 0);
		if (memcmp(in, out, m * 2))
			fail_msg("%s %d bits %d planes not exact",
				 codec_name(p.codec), p.bits, p.planes);
	}
	free(in);
	free(out);
}

/* Three different bands as planes: swapped planes would show as noise. */
static void video_gbrp_planes_keep_order(void **state)
{
	size_t pn = (size_t)4 * NY * NX, n = 3 * pn;
	uint16_t *in = malloc(n * 2), *out = malloc(n * 2);
	uint16_t *a = malloc(pn * 2), *b = malloc(pn * 2);
	size_t i;
	int t, k;

	(void)state;
	NEED_CUBE();
	assert_non_null(in);
	assert_non_null(out);
	assert_non_null(a);
	assert_non_null(b);
	for (i = 0; i < nlossy; i++) {
		struct codec_params p = {
			.codec = lossy[i].c, .bits = lossy[i].bits,
			.planes = 3, .width = NX, .height = NY,
			.crf = lossy[i].crf,
		};

		quantize(in, 1, 3, p.bits, 0, 0, NX, NY, 4);
		memset(out, 0xff, n * 2);
		assert_int_equal(round_trip(&p, in, out, 4, NULL), 0);
		for (k = 0; k < 3; k++) {
			for (t = 0; t < 4; t++) {
				size_t o = ((size_t)t * 3 + k) * NY * NX;

				memcpy(a + t * NY * NX, in + o, NY * NX * 2);
				memcpy(b + t * NY * NX, out + o, NY * NX * 2);
			}
			if (psnr(a, b, pn, p.bits) < lossy[i].floor - 6)
				fail_msg("%s plane %d: %.2f dB",
					 codec_name(p.codec), k,
					 psnr(a, b, pn, p.bits));
		}
	}
	free(a);
	free(b);
	free(in);
	free(out);
}

static void video_odd_sizes_round_trip(void **state)
{
	static const int sizes[][2] = {
		{ 33, 49 }, { 7, 5 }, { 1, 1 }, { 1, 37 }, { 17, 1 },
		{ 76, 77 },
	};
	static const enum codec_id codecs[] = {
		CODEC_X265, CODEC_X264, CODEC_VP9, CODEC_AV1, CODEC_FFV1,
	};
	size_t n = (size_t)2 * NY * NX;
	uint16_t *in = malloc(n * 2), *out = malloc(n * 2);
	size_t s, c;

	(void)state;
	NEED_CUBE();
	assert_non_null(in);
	assert_non_null(out);
	for (c = 0; c < sizeof(codecs) / sizeof(codecs[0]); c++) {
		for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			struct codec_params p = {
				.codec = codecs[c], .planes = 1,
				.bits = codecs[c] == CODEC_X264 ? 10 : 12,
				.width = sizes[s][0], .height = sizes[s][1],
				.crf = 10, .lossless = 1,
			};
			size_t m = (size_t)2 * p.width * p.height;

			quantize(in, 4, 1, p.bits, (NX - p.width) / 2,
				 (NY - p.height) / 2, p.width, p.height, 2);
			memset(out, 0xff, m * 2);
			assert_int_equal(round_trip(&p, in, out, 2, NULL), 0);
			if (memcmp(in, out, m * 2))
				fail_msg("%s %dx%d lossless not exact",
					 codec_name(p.codec), p.width,
					 p.height);
			if (codecs[c] == CODEC_FFV1)
				continue;
			p.lossless = 0;
			memset(out, 0xff, m * 2);
			assert_int_equal(round_trip(&p, in, out, 2, NULL), 0);
			if (psnr(in, out, m, p.bits) < 40)
				fail_msg("%s %dx%d: %.2f dB",
					 codec_name(p.codec), p.width,
					 p.height, psnr(in, out, m, p.bits));
		}
	}
	free(in);
	free(out);
}

/* SVT-AV1: gray planes of any size in the luma of 4:2:0 pictures padded
 * to 64 x 64 and more, 8 or 10 bits, lossy only; decoded as AV1. */
static void video_svtav1_gray_round_trip(void **state)
{
	static const int sizes[][2] = { { 33, 49 }, { 7, 5 }, { 76, 77 } };
	size_t n = (size_t)3 * NY * NX;
	uint16_t *in = malloc(n * 2), *out = malloc(n * 2);
	struct codec_params p = {
		.codec = CODEC_SVTAV1, .planes = 1, .bits = 10, .crf = 10,
		.width = 64, .height = 64,
	};

	(void)state;
	NEED_CUBE();
	assert_non_null(in);
	assert_non_null(out);
	if (codec_video_check(&p)) {
		free(in);
		free(out);
		skip();
	}
	p.bits = 12;
	assert_int_equal(codec_video_check(&p), -ENOTSUP);
	p.bits = 10;
	p.planes = 3;
	assert_int_equal(codec_video_check(&p), -ENOTSUP);
	p.planes = 1;
	p.lossless = 1;
	assert_int_equal(codec_video_check(&p), -ENOTSUP);
	p.lossless = 0;
	assert_int_equal(codec_video_depths(CODEC_SVTAV1, 0, NULL, 0),
			 CODEC_DEPTH(8) | CODEC_DEPTH(10));
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t m = (size_t)3 * sizes[s][0] * sizes[s][1];

		p.width = sizes[s][0];
		p.height = sizes[s][1];
		quantize(in, 4, 1, p.bits, (NX - p.width) / 2,
			 (NY - p.height) / 2, p.width, p.height, 3);
		memset(out, 0xff, m * 2);
		assert_int_equal(round_trip(&p, in, out, 3, NULL), 0);
		if (psnr(in, out, m, p.bits) < 40)
			fail_msg("svtav1 %dx%d: %.2f dB", p.width, p.height,
				 psnr(in, out, m, p.bits));
	}
	free(in);
	free(out);
}

/* Decodes and checks that every sample was written (0xffff never is). */
static int decode_checked(const struct codec_params *p, const uint8_t *d,
			  size_t size, size_t extra, const uint32_t *sizes,
			  int npkt, uint16_t *out, int nframes)
{
	size_t i, m = (size_t)nframes * p->planes * p->width * p->height;
	struct codec_gop_ref g = {
		.data = d, .size = size, .extra_size = extra,
		.pkt_sizes = sizes, .npkt = npkt, .nframes = nframes,
	};
	int rc;

	memset(out, 0xff, m * 2);
	rc = codec_video_decode(p, &g, &(struct codec_sink){ .samples = out });
	assert_true(rc == 0 || rc == -EIO);
	for (i = 0; i < m; i++)
		if (out[i] == 0xffff)
			fail_msg("%s: sample %zu not written (rc %d)",
				 codec_name(p->codec), i, rc);
	return rc;
}

static void video_corrupt_payload_fails_cleanly(void **state)
{
	static const enum codec_id codecs[] = {
		CODEC_X265, CODEC_X264, CODEC_VP9, CODEC_AV1, CODEC_FFV1,
	};
	const int nf = 3;
	size_t n = (size_t)(nf + 1) * NY * NX;
	uint16_t *in = malloc(n * 2), *out = malloc(n * 2);
	uint32_t sizes[16];
	uint8_t *bad;
	size_t c;
	int i, k;

	(void)state;
	NEED_CUBE();
	assert_non_null(in);
	assert_non_null(out);
	srand(7);
	for (c = 0; c < sizeof(codecs) / sizeof(codecs[0]); c++) {
		struct codec_params p = {
			.codec = codecs[c], .bits = 10, .planes = 1,
			.width = NX, .height = NY, .crf = 20,
			.lossless = codecs[c] == CODEC_FFV1,
		};
		struct codec_params q = p;
		struct codec_gop g;

		quantize(in, 5, 1, p.bits, 0, 0, NX, NY, nf);
		assert_int_equal(codec_video_encode(&p, in, nf, &g), 0);
		assert_true(g.npkt <= 16);
		bad = malloc(g.size);
		assert_non_null(bad);

		/* intact */
		assert_int_equal(decode_checked(&p, g.data, g.size,
						g.extra_size, g.pkt_sizes,
						g.npkt, out, nf), 0);
		/* flipped bytes, everywhere */
		for (k = 0; k < 24; k++) {
			memcpy(bad, g.data, g.size);
			for (i = 0; i < 1 + k % 4; i++)
				bad[rand() % g.size] ^= 1 + rand() % 255;
			decode_checked(&p, bad, g.size, g.extra_size,
				       g.pkt_sizes, g.npkt, out, nf);
		}
		/* garbage */
		for (i = 0; (size_t)i < g.size; i++)
			bad[i] = rand();
		decode_checked(&p, bad, g.size, g.extra_size, g.pkt_sizes,
			       g.npkt, out, nf);
		/* truncated last packet, table consistent */
		memcpy(sizes, g.pkt_sizes, g.npkt * sizeof(*sizes));
		sizes[g.npkt - 1] /= 2;
		if (sizes[g.npkt - 1])
			decode_checked(&p, g.data, g.size - (g.pkt_sizes[
				       g.npkt - 1] - sizes[g.npkt - 1]),
				       g.extra_size, sizes, g.npkt, out, nf);
		/* truncated payload, table not: refused */
		assert_int_equal(decode_checked(&p, g.data, g.size - 1,
						g.extra_size, g.pkt_sizes,
						g.npkt, out, nf), -EIO);
		/* packets dropped */
		if (g.npkt > 1)
			decode_checked(&p, g.data, g.size - g.pkt_sizes[
				       g.npkt - 1], g.extra_size, g.pkt_sizes,
				       g.npkt - 1, out, nf);
		/* wrong sizes: moved boundary, zero, huge, no packets */
		memcpy(sizes, g.pkt_sizes, g.npkt * sizeof(*sizes));
		if (g.npkt > 1 && sizes[0] > 8) {
			sizes[0] -= 7;
			sizes[1] += 7;
			decode_checked(&p, g.data, g.size, g.extra_size,
				       sizes, g.npkt, out, nf);
		}
		memcpy(sizes, g.pkt_sizes, g.npkt * sizeof(*sizes));
		sizes[0] = 0;
		assert_int_equal(decode_checked(&p, g.data, g.size,
						g.extra_size, sizes, g.npkt,
						out, nf), -EIO);
		sizes[0] = UINT32_MAX;
		assert_int_equal(decode_checked(&p, g.data, g.size,
						g.extra_size, sizes, g.npkt,
						out, nf), -EIO);
		assert_int_equal(decode_checked(&p, g.data, g.size,
						g.extra_size, sizes, 0,
						out, nf), -EIO);
		assert_int_equal(decode_checked(&p, g.data, g.size,
						g.size + 1, g.pkt_sizes,
						g.npkt, out, nf), -EIO);
		/* extradata claimed or denied */
		if (!g.extra_size && g.pkt_sizes[0] > 4) {
			memcpy(sizes, g.pkt_sizes, g.npkt * sizeof(*sizes));
			sizes[0] -= 4;
			decode_checked(&p, g.data, g.size, 4, sizes, g.npkt,
				       out, nf);
		}
		/* frame count and size that do not match the stream */
		assert_int_equal(decode_checked(&p, g.data, g.size,
						g.extra_size, g.pkt_sizes,
						g.npkt, out, nf + 1), -EIO);
		assert_int_equal(decode_checked(&p, g.data, g.size,
						g.extra_size, g.pkt_sizes,
						g.npkt, out, nf - 1), -EIO);
		q.width = 40;
		q.height = 30;
		assert_int_equal(decode_checked(&q, g.data, g.size,
						g.extra_size, g.pkt_sizes,
						g.npkt, out, nf), -EIO);
		q = p;
		q.planes = 3;
		q.width = q.height = 20;
		assert_int_equal(decode_checked(&q, g.data, g.size,
						g.extra_size, g.pkt_sizes,
						g.npkt, out, 1), -EIO);
		free(bad);
		codec_gop_release(&g);
	}
	free(in);
	free(out);
}

static void video_refuses_bad_arguments(void **state)
{
	struct codec_params p = {
		.codec = CODEC_LZ4, .bits = 8, .planes = 1, .width = 4,
		.height = 4, .crf = 20,
	};
	uint16_t in[16] = { 0 }, out[16];
	uint32_t sz = 1;
	struct codec_gop_ref x = {
		.data = (const uint8_t *)"x", .size = 1, .pkt_sizes = &sz,
		.npkt = 1, .nframes = 1,
	};
	struct codec_gop g;

	(void)state;
	memset(&g, 0x55, sizeof(g));
	assert_int_equal(codec_video_encode(&p, in, 1, &g), -ENOTSUP);
	assert_null(g.data);
	assert_null(g.pkt_sizes);
	assert_int_equal(g.npkt, 0);
	assert_int_equal(codec_video_decode(&p, &x, &(struct codec_sink){
		.samples = out }), -ENOTSUP);
	p.codec = CODEC_FFV1;
	p.lossless = 1;
	assert_int_equal(codec_video_encode(&p, in, 0, &g), -EINVAL);
	p.width = 0;
	assert_int_equal(codec_video_encode(&p, in, 1, &g), -EINVAL);
	p.width = 4;
	p.codec = CODEC_VP9;
	p.preset = "fastest";
	assert_int_equal(codec_video_encode(&p, in, 1, &g), -EINVAL);
	assert_null(g.data);
	codec_gop_release(&g);
	codec_gop_release(NULL);
}

/* Prints x265 speed on the Landsat plane; asserts nothing about it. */
static void video_x265_speed(void **state)
{
	struct codec_params p = {
		.codec = CODEC_X265, .bits = 12, .planes = 1, .width = NX,
		.height = NY, .crf = 12,
	};
	size_t n = (size_t)NT * NY * NX;
	uint16_t *in = malloc(n * 2), *out = malloc(n * 2);
	double t0, t1, t2, mb = 0;
	struct codec_gop g;
	int b;

	(void)state;
	NEED_CUBE();
	assert_non_null(in);
	assert_non_null(out);
	t1 = t2 = 0;
	for (b = 0; b < NB; b++) {
		quantize(in, b, 1, p.bits, 0, 0, NX, NY, NT);
		t0 = now();
		assert_int_equal(codec_video_encode(&p, in, NT, &g), 0);
		t1 += now() - t0;
		t0 = now();
		assert_int_equal(decode_part(&p, &g, NT, 0, 0, out), 0);
		t2 += now() - t0;
		codec_gop_release(&g);
		mb += n * 2 / 1e6;
	}
	print_message("x265 12 bits %dx%d: encode %.1f frames/s (%.2f MB/s), "
		      "decode %.0f frames/s (%.1f MB/s)\n", NX, NY,
		      NB * NT / t1, mb / t1, NB * NT / t2, mb / t2);
	free(in);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(video_names_round_trip),
		cmocka_unit_test(video_check_refuses_impossible),
		cmocka_unit_test(video_refuses_bad_arguments),
		cmocka_unit_test(video_lossy_psnr_above_floor),
		cmocka_unit_test(video_default_gop_is_balanced),
		cmocka_unit_test(video_lossless_exact),
		cmocka_unit_test(video_gbrp_planes_keep_order),
		cmocka_unit_test(video_odd_sizes_round_trip),
		cmocka_unit_test(video_svtav1_gray_round_trip),
		cmocka_unit_test(video_corrupt_payload_fails_cleanly),
		cmocka_unit_test(video_x265_speed),
	};

	return cmocka_run_group_tests_name("video", tests, load_cube,
					   free_cube);
}
