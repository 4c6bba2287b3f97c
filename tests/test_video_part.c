/* SPDX-License-Identifier: MIT */
/* cmocka tests of codec/video decoding parts of GOPs: frames up to one, a range, handed out as they come, straight to values. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codec/gop.h"
#include "codec/video.h"
#include "codec/video_priv.h"
#include "tests/video_fixture.h"

/* A decode of the first k frames gives exactly the full decode's first
 * k frames, for every k and every lossy codec; so does a decode of any
 * frames a to b - 1 (HEVC: of those and what they refer to; the others:
 * of the frames up to them). */
static void video_decode_upto_matches_full(void **state)
{
	size_t fs = (size_t)NY * NX, n = NT * fs;
	uint16_t *in = malloc(n * 2), *full = malloc(n * 2),
		 *part = malloc(n * 2);

	(void)state;
	NEED_CUBE();
	assert_true(in && full && part);
	quantize(in, 3, 1, 12, 0, 0, NX, NY, NT);
	for (size_t i = 0; i < nlossy; i++) {
		struct codec_params p = {
			.codec = lossy[i].c, .bits = lossy[i].bits,
			.planes = 1, .width = NX, .height = NY, .crf = 20,
		};
		struct codec_gop g;

		if (p.bits == 10)
			for (size_t k = 0; k < n; k++)
				in[k] >>= 2;
		assert_int_equal(codec_video_encode(&p, in, NT, &g), 0);
		assert_int_equal(decode_part(&p, &g, NT, 0, 0, full), 0);
		for (int k = 1; k <= NT; k++) {
			memset(part, 0xab, n * 2);
			assert_int_equal(decode_part(&p, &g, NT, 0, k, part),
					 0);
			assert_memory_equal(part, full, k * fs * 2);
		}
		for (int a = 0; a < NT; a++)
			for (int b = a + 1; b <= NT; b++) {
				memset(part, 0xab, n * 2);
				assert_int_equal(decode_part(&p, &g, NT, a, b,
							     part), 0);
				assert_memory_equal(part + a * fs, full + a * fs,
						    (size_t)(b - a) * fs * 2);
			}
		/* no frames (upto 0 is the whole GOP), or past the last */
		assert_int_equal(decode_part(&p, &g, NT, 2, 2, part), -EINVAL);
		assert_int_equal(decode_part(&p, &g, NT, 0, -1, part), -EINVAL);
		assert_int_equal(decode_part(&p, &g, NT, 0, NT + 1, part),
				 -EINVAL);
		codec_gop_release(&g);
		if (p.bits == 10)
			quantize(in, 3, 1, 12, 0, 0, NX, NY, NT);
	}
	free(in);
	free(full);
	free(part);
}

/*
 * An HEVC GOP's packets show their display positions (a permutation, the
 * IDR first) and which pictures nothing refers to; other codecs' do not
 * (-ENOTSUP). A decode of one frame sends its picture and the ones before
 * it others refer to, no more, and gets the frame exactly.
 */
static void video_range_sends_what_its_frame_needs(void **state)
{
	size_t fs = (size_t)NY * NX, n = NT * fs;
	uint16_t *in = malloc(n * 2), *full = malloc(n * 2),
		 *part = malloc(n * 2);
	struct codec_params p = {
		.codec = CODEC_X265, .bits = 12, .planes = 1, .width = NX,
		.height = NY, .crf = 20,
	};
	struct codec_params h264 = p;
	struct video_pic pics[NT];
	struct codec_gop g, g4;
	uint8_t send[NT];
	int seen = 0, nonref = -1, end, sent = 0;

	(void)state;
	NEED_CUBE();
	assert_true(in && full && part);
	quantize(in, 3, 1, 12, 0, 0, NX, NY, NT);
	assert_int_equal(codec_video_encode(&p, in, NT, &g), 0);
	assert_int_equal(decode_part(&p, &g, NT, 0, 0, full), 0);
	assert_int_equal(video_order(AV_CODEC_ID_HEVC, g.data, g.extra_size,
				     g.pkt_sizes, g.npkt, NT, pics), 0);
	assert_int_equal(pics[0].pos, 0);
	assert_true(pics[0].ref);
	for (int i = 0; i < NT; i++) {
		seen |= 1 << pics[i].pos;
		if (!pics[i].ref && nonref < 0)
			nonref = i;
	}
	assert_int_equal(seen, (1 << NT) - 1);
	assert_true(nonref > 0);        /* x265's B frames */

	h264.codec = CODEC_X264;
	h264.bits = 10;
	for (size_t k = 0; k < n; k++)
		in[k] >>= 2;
	assert_int_equal(codec_video_encode(&h264, in, NT, &g4), 0);
	assert_int_equal(video_order(AV_CODEC_ID_H264, g4.data, g4.extra_size,
				     g4.pkt_sizes, g4.npkt, NT, pics), -ENOTSUP);
	codec_gop_release(&g4);

	/* frame 0: the IDR alone; the last frame: no picture nothing
	 * refers to but its own, and nothing after it */
	assert_int_equal(video_range_plan(pics, NT, 0, 1, send), 1);
	assert_int_equal(send[0], 1);
	for (int f = NT - 1, i = 0; i < NT; i++) {
		end = video_range_plan(pics, NT, f, f + 1, send);
		assert_int_equal(send[i], i < end && (pics[i].ref ||
						      pics[i].pos == f));
		if (pics[i].pos == f)
			assert_int_equal(end, i + 1);
	}
	/* and what it sends gives exactly that frame */
	for (int f = 0; f < NT; f++) {
		memset(part, 0xab, n * 2);
		assert_int_equal(decode_part(&p, &g, NT, f, f + 1, part), 0);
		assert_memory_equal(part + f * fs, full + f * fs, fs * 2);
		end = video_range_plan(pics, NT, f, f + 1, send);
		for (int i = 0; i < end; i++)
			sent += send[i];
	}
	/* fewer pictures than decoding up to each frame would take */
	assert_true(sent < NT * (NT + 1) / 2);
	codec_gop_release(&g);
	free(in);
	free(full);
	free(part);
}

/* Crops picture pic of frame f into its place in samples s. */
static void crop_picture(const struct codec_params *p, int f,
			 const struct codec_picture *pic, uint16_t *s)
{
	uint16_t tmp[NX];

	for (int pl = 0; pl < p->planes; pl++)
		for (int y = 0; y < p->height; y++)
			memcpy(s + (((size_t)f * p->planes + pl) * p->height +
				    y) * p->width,
			       codec_picture_row(pic, pl, y, 0, p->width, tmp),
			       (size_t)p->width * 2);
}

/* What a decode has handed out: each report checked against the whole
 * decode's bytes at the moment it is made. */
struct seen {
	void *out;
	const void *full;
	size_t frame;           /* bytes per frame */
	size_t last;            /* bytes reported so far */
	int calls;
	const struct codec_params *p;   /* pictures: cropped into out */
};

/* Frame f handed out: the frames up to it are final. */
static void saw_frames(void *arg, int f, const struct codec_picture *pic)
{
	struct seen *s = arg;
	int done = f + 1;

	crop_picture(s->p, f, pic, s->out);
	assert_true((size_t)done * s->frame > s->last);
	s->last = (size_t)done * s->frame;
	s->calls++;
	assert_memory_equal(s->out, s->full, s->last);
}

static void saw_bytes(void *arg, size_t bytes)
{
	struct seen *s = arg;

	assert_true(bytes > s->last && bytes % s->frame == 0);
	s->last = bytes;
	s->calls++;
	assert_memory_equal(s->out, s->full, bytes);
}

/*
 * A decode hands its frames out as they come, in order, each final when
 * reported: the pictures (codec_video_decode to put), and the values of a
 * GOP decoded into the tail of its own buffer (codec_gop_decode with
 * frames), which a waiting reader copies while the rest decodes.
 */
static void video_frames_final_when_handed_out(void **state)
{
	size_t fs = (size_t)NY * NX, n = NT * fs;
	uint16_t *in = malloc(n * 2), *full = malloc(n * 2),
		 *part = malloc(n * 2);
	float *whole = malloc(n * 4), *vals = malloc(n * 4);
	struct codec_params p = {
		.codec = CODEC_X265, .bits = 12, .planes = 1, .width = NX,
		.height = NY, .crf = 20, .threads = 2,
	};
	struct codec_quant q = { .scale = 0.5, .offset = -100.0,
				 .min = -100.0, .max = 2000.0 };
	struct codec_gop g;
	struct codec_gop_ref ref;
	struct seen seen = { .out = part, .full = full, .frame = fs * 2,
			     .p = &p };

	(void)state;
	NEED_CUBE();
	assert_true(in && full && part && whole && vals);
	quantize(in, 3, 1, 12, 0, 0, NX, NY, NT);
	assert_int_equal(codec_video_encode(&p, in, NT, &g), 0);
	assert_int_equal(decode_part(&p, &g, NT, 0, 0, full), 0);
	ref = gop_part(&g, NT, 0, 0);
	assert_int_equal(codec_video_decode(&p, &ref, &(struct codec_sink){
		.put = saw_frames, .arg = &seen }), 0);
	assert_int_equal(seen.last, n * 2);
	assert_true(seen.calls > 1);

	ref = (struct codec_gop_ref){
		.data = g.data, .size = g.size, .extra_size = g.extra_size,
		.pkt_sizes = g.pkt_sizes, .npkt = g.npkt, .nframes = NT,
		.quant = &q,
	};
	assert_int_equal(codec_gop_decode(&p, DTYPE_F32, &ref, whole), 0);
	seen = (struct seen){ .out = vals, .full = whole, .frame = fs * 4 };
	ref.frames = saw_bytes;
	ref.arg = &seen;
	memset(vals, 0xab, n * 4);
	assert_int_equal(codec_gop_decode(&p, DTYPE_F32, &ref, vals), 0);
	assert_int_equal(seen.last, n * 4);
	assert_memory_equal(vals, whole, n * 4);
	/* the first 3 frames only: reported up to them, not past */
	seen = (struct seen){ .out = vals, .full = whole, .frame = fs * 4 };
	ref.upto = 3;
	assert_int_equal(codec_gop_decode(&p, DTYPE_F32, &ref, vals), 0);
	assert_int_equal(seen.last, 3 * fs * 4);
	codec_gop_release(&g);
	free(in);
	free(full);
	free(part);
	free(whole);
	free(vals);
}

/* A picture handed out by codec_video_decode(), cropped into the
 * samples at arg (frames in order, each once). */
struct picked {
	const struct codec_params *p;
	uint16_t *s;
	int next;
	int one_byte, clamped;  /* pictures of 1-byte samples, of a format
				   deeper than the stream's bits */
};

static void pick_rows(void *arg, int f, const struct codec_picture *pic)
{
	struct picked *k = arg;

	assert_int_equal(f, k->next);
	k->next++;
	k->one_byte += pic->bytes == 1;
	k->clamped += pic->maxv != 0;
	crop_picture(k->p, f, pic, k->s);
}

/*
 * Frames go from the decoder's pictures straight to values: whole and in
 * part, for every codec and depth (samples of 1 byte and of 2, clamped
 * where the format is deeper), gray and 3 planes, float and 1-byte
 * values, exactly the dequantized samples of a plain decode.
 */
static void video_values_straight_from_pictures(void **state)
{
	static const enum codec_id codecs[] = {
		CODEC_X265, CODEC_X264, CODEC_VP9, CODEC_AV1, CODEC_FFV1,
	};
	static const int depths[] = { 8, 10, 12, 16 };
	size_t n = (size_t)NT * 3 * NY * NX;
	uint16_t *in = malloc(n * 2), *full = malloc(n * 2),
		 *got = malloc(n * 2);
	float *want = malloc(n * 4), *vals = malloc(n * 4);
	uint8_t *want8 = malloc(n), *vals8 = malloc(n);
	int tried = 0, one_byte = 0, clamped = 0;

	(void)state;
	NEED_CUBE();
	assert_true(in && full && got && want && vals && want8 && vals8);
	for (size_t c = 0; c < sizeof(codecs) / sizeof(codecs[0]); c++)
		for (size_t b = 0; b < sizeof(depths) / sizeof(depths[0]); b++)
			for (int planes = 1; planes <= 3; planes += 2) {
		struct codec_params p = {
			.codec = codecs[c], .bits = depths[b], .planes = planes,
			.width = NX, .height = NY, .crf = 20,
			.lossless = codecs[c] == CODEC_FFV1,
		};
		struct codec_quant q[3], q8[3];
		size_t fv = (size_t)planes * NY * NX, m = NT * fv;
		struct picked pk = { .p = &p, .s = got, .next = 2 };
		struct codec_sink to_pick = { .put = pick_rows, .arg = &pk };
		struct codec_gop_ref ref;
		struct codec_gop g;

		if (codec_video_check(&p))
			continue;
		tried++;
		for (int k = 0; k < planes; k++) {
			q[k] = (struct codec_quant){ .scale = 0.25 + k,
						     .offset = -100.0 * k };
			q8[k] = (struct codec_quant){
				.scale = 255.0 / ((1 << p.bits) - 1) };
		}
		quantize(in, 2, planes, p.bits, 0, 0, NX, NY, NT);
		assert_int_equal(codec_video_encode(&p, in, NT, &g), 0);
		assert_int_equal(decode_part(&p, &g, NT, 0, 0, full), 0);
		for (int f = 0; f < NT; f++)
			for (int k = 0; k < planes; k++) {
				size_t at = ((size_t)f * planes + k) * NY * NX;

				codec_dequantize(&q[k], full + at, DTYPE_F32,
						 want + at, (size_t)NY * NX);
				codec_dequantize(&q8[k], full + at, DTYPE_U8,
						 want8 + at, (size_t)NY * NX);
			}
		ref = (struct codec_gop_ref){
			.data = g.data, .size = g.size,
			.extra_size = g.extra_size, .pkt_sizes = g.pkt_sizes,
			.npkt = g.npkt, .nframes = NT, .quant = q,
		};
		memset(vals, 0xab, m * 4);
		assert_int_equal(codec_gop_decode(&p, DTYPE_F32, &ref, vals), 0);
		assert_memory_equal(vals, want, m * 4);
		ref.quant = q8;
		memset(vals8, 0xab, m);
		assert_int_equal(codec_gop_decode(&p, DTYPE_U8, &ref, vals8), 0);
		assert_memory_equal(vals8, want8, m);
		/* frames 2 to 4 */
		ref.quant = q;
		ref.first = 2;
		ref.upto = 5;
		memset(vals, 0xab, m * 4);
		assert_int_equal(codec_gop_decode(&p, DTYPE_F32, &ref, vals), 0);
		assert_memory_equal(vals + 2 * fv, want + 2 * fv, 3 * fv * 4);
		/* and the pictures themselves, those frames only, in order */
		ref = gop_part(&g, NT, 2, 5);
		assert_int_equal(codec_video_decode(&p, &ref, &to_pick), 0);
		assert_int_equal(pk.next, 5);
		assert_memory_equal(got + 2 * fv, full + 2 * fv, 3 * fv * 2);
		one_byte += pk.one_byte;
		clamped += pk.clamped;
		ref = gop_part(&g, NT, 2, 2);
		assert_int_equal(codec_video_decode(&p, &ref, &to_pick),
				 -EINVAL);
		codec_gop_release(&g);
	}
	print_message("%d codecs x depths x planes, pictures of 1-byte "
		      "samples %d, clamped %d\n", tried, one_byte, clamped);
	assert_true(tried >= 10 && one_byte > 0 && clamped > 0);
	free(in);
	free(full);
	free(got);
	free(want);
	free(vals);
	free(want8);
	free(vals8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(video_decode_upto_matches_full),
		cmocka_unit_test(video_range_sends_what_its_frame_needs),
		cmocka_unit_test(video_frames_final_when_handed_out),
		cmocka_unit_test(video_values_straight_from_pictures),
	};

	return cmocka_run_group_tests_name("video_part", tests, load_cube,
					   free_cube);
}
