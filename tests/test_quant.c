/* SPDX-License-Identifier: MIT */
/* Tests of quantization, masks and smooth filling of masked positions. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "codec/block.h"
#include "codec/correct.h"
#include "codec/gop.h"
#include "codec/mask.h"
#include "codec/quant.h"

static void quant_roundtrip_within_half_step(void **state)
{
	static const int depths[] = { 8, 10, 12, 16 };
	double v[1000], back[1000];
	uint16_t s[1000];

	(void)state;
	for (int i = 0; i < 1000; i++)
		v[i] = 250.0 + 40.0 * sin(i * 0.37) + i * 1e-3;
	for (size_t d = 0; d < 4; d++) {
		struct codec_quant q;
		double worst = 0;

		codec_quant_fit(v, NULL, 1000, depths[d], &q);
		codec_quantize(&q, depths[d], v, s, 1000);
		codec_dequantize(&q, s, DTYPE_F64, back, 1000);
		for (int i = 0; i < 1000; i++) {
			assert_true(s[i] < (1u << depths[d]));
			worst = fmax(worst, fabs(back[i] - v[i]));
		}
		assert_true(worst <= q.scale / 2 * (1 + 1e-9));
		assert_true(q.min == q.offset);
	}
}

static void quant_full_range_used(void **state)
{
	double v[] = { -3.5, 0, 7.25, 1 };
	uint16_t s[4];
	struct codec_quant q;

	(void)state;
	codec_quant_fit(v, NULL, 4, 12, &q);
	codec_quantize(&q, 12, v, s, 4);
	assert_int_equal(s[0], 0);
	assert_int_equal(s[2], 4095);
	assert_true(q.min == -3.5 && q.max == 7.25);
}

static void quant_ignores_masked_and_nan(void **state)
{
	double v[] = { 1e36, 2, NAN, 4, 1e36 };
	uint8_t m[] = { 1, 0, 0, 0, 1 };
	struct codec_quant q;

	(void)state;
	codec_quant_fit(v, m, 5, 8, &q);
	assert_true(q.min == 2 && q.max == 4);
}

static void quant_constant_plane(void **state)
{
	double v[] = { 5, 5, 5 }, back[3];
	uint16_t s[3];
	struct codec_quant q;

	(void)state;
	codec_quant_fit(v, NULL, 3, 12, &q);
	codec_quantize(&q, 12, v, s, 3);
	codec_dequantize(&q, s, DTYPE_F64, back, 3);
	for (int i = 0; i < 3; i++)
		assert_true(back[i] == 5);
}

static void quant_exact_integers(void **state)
{
	double v[] = { 100, 101, 1123, 4195 }, frac[] = { 1.5, 2 };
	uint16_t s[4], back[4];
	struct codec_quant q;

	(void)state;
	assert_int_equal(codec_quant_fit_exact(v, NULL, 4, 12, &q), 0);
	assert_int_equal(codec_quant_exact_bits(&q), 12);
	codec_quantize(&q, 12, v, s, 4);
	codec_dequantize(&q, s, DTYPE_U16, back, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(back[i], (uint16_t)v[i]);
	assert_int_equal(codec_quant_fit_exact(v, NULL, 4, 10, &q), -ERANGE);
	assert_int_equal(codec_quant_fit_exact(frac, NULL, 2, 8, &q), -ERANGE);
}

static void quant_dequantize_clamps_integers(void **state)
{
	struct codec_quant q = { .scale = 1, .offset = 250 };
	uint16_t s[] = { 0, 5, 10 };
	uint8_t out[3];
	int8_t out8[3];

	(void)state;
	codec_dequantize(&q, s, DTYPE_U8, out, 3);
	assert_int_equal(out[0], 250);
	assert_int_equal(out[1], 255);
	assert_int_equal(out[2], 255);
	q.offset = -130;
	codec_dequantize(&q, s, DTYPE_I8, out8, 3);
	assert_int_equal(out8[0], -128);
	assert_int_equal(out8[2], -120);
}

static void quant_fill_masked_is_smooth(void **state)
{
	double p[3 * 4] = { 1, 0, 3, 0,
			    0, 0, 0, 0,
			    5, 6, 0, 8 };
	uint8_t m[3 * 4] = { 0, 1, 0, 1,
			     1, 1, 1, 1,
			     0, 0, 1, 0 };

	(void)state;
	codec_fill_masked(p, m, 4, 3);
	assert_true(p[1] == 2);         /* between 1 and 3 */
	assert_true(p[3] == 3);         /* extends the last valid */
	assert_true(p[10] == 7);        /* between 6 and 8 */
	assert_true(p[4] == 5 || p[4] == 1);    /* an empty row copies one */
	for (int i = 0; i < 12; i++)
		assert_false(isnan(p[i]));
}

static void mask_roundtrip(void **state)
{
	size_t n = 10007;
	uint8_t *c = malloc(n), *back = malloc(n), *blk;
	size_t len;

	(void)state;
	for (size_t i = 0; i < n; i++)
		c[i] = i % 97 == 0 ? MASK_NAN : i % 13 == 0 ? MASK_FILL : 0;
	assert_int_equal(codec_mask_pack(c, n, &blk, &len), 0);
	assert_true(len < n / 4);
	assert_int_equal(codec_mask_unpack(blk, len, back, n), 0);
	assert_memory_equal(c, back, n);
	assert_int_equal(codec_mask_count(back, n), codec_mask_count(c, n));
	/* wrong count and corruption are refused, output all valid */
	assert_int_equal(codec_mask_unpack(blk, len, back, n - 1), -EIO);
	assert_int_equal(codec_mask_count(back, n - 1), 0);
	blk[len / 2] ^= 0x5a;
	blk[len - 1] ^= 0xff;
	if (codec_mask_unpack(blk, len, back, n))
		assert_int_equal(codec_mask_count(back, n), 0);
	assert_int_equal(codec_mask_unpack(blk, 5, back, n), -EIO);
	free(blk);
	free(c);
	free(back);
}

static void mask_apply_restores_nan_and_fill(void **state)
{
	uint8_t c[] = { 0, MASK_NAN, MASK_FILL, 0 };
	float v[] = { 1, 2, 3, 4 }, fill = 1e36f;
	int16_t iv[] = { 1, 2, 3, 4 }, ifill = -32767;

	(void)state;
	codec_mask_apply(c, 4, DTYPE_F32, &fill, v);
	assert_true(v[0] == 1 && isnan(v[1]) && v[2] == 1e36f && v[3] == 4);
	codec_mask_apply(c, 4, DTYPE_I16, &ifill, iv);
	assert_true(iv[1] == -32767 && iv[2] == -32767 && iv[3] == 4);
}

/* Exact-value classes go through a mask with NaN and fill; a mask of
 * NaN and fill alone is the block the first stores hold. */
static void mask_exact_classes_roundtrip(void **state)
{
	size_t n = 4099;
	uint8_t *c = malloc(n), *back = malloc(n), *blk;
	float v[6] = { 9, 9, 9, 9, 9, 9 };
	uint8_t cls6[6] = { 0, MASK_EXACT, MASK_EXACT + 1, MASK_NAN,
			    MASK_EXACT + 3, MASK_EXACT + 1 };
	double ex[2] = { 0, 1 };
	size_t len;

	(void)state;
	for (size_t i = 0; i < n; i++)
		c[i] = i % 7 == 0 ? MASK_EXACT : i % 11 == 0 ? MASK_EXACT + 3 :
			i % 13 == 0 ? MASK_FILL : 0;
	assert_int_equal(codec_mask_pack(c, n, &blk, &len), 0);
	assert_int_equal(codec_mask_unpack(blk, len, back, n), 0);
	assert_memory_equal(c, back, n);
	free(blk);
	c[5] = MASK_CLASSES;
	assert_int_equal(codec_mask_pack(c, n, &blk, &len), -EINVAL);
	/* positions of exact values take them; classes past nexact stay */
	codec_mask_apply_exact(cls6, 6, DTYPE_F32, ex, 2, v);
	assert_true(v[0] == 9 && v[1] == 0 && v[2] == 1 && v[3] == 9 &&
		    v[4] == 9 && v[5] == 1);
	free(c);
	free(back);
}

/* Decoded values stay in their plane's range and never take an exact
 * value; without a plane range the valid range holds. */
static void fidelity_clamps_and_avoids_exact(void **state)
{
	struct codec_fidelity f = { .lo = 0, .hi = 500, .nexact = 1,
				    .exact = { 0 } };
	struct codec_quant q = { .min = 0, .max = 80 };
	float v[] = { -0.5f, 0.0f, 0.25f, 90.0f, NAN };
	int16_t iv[] = { -3, 0, 7, 600 };

	(void)state;
	codec_fidelity_apply(&f, &q, DTYPE_F32, v, 5);
	assert_true(v[0] > 0 && v[0] < 1e-30f);
	assert_true(v[1] > 0 && v[1] < 1e-30f);
	assert_true(v[2] == 0.25f && v[3] == 80.0f && isnan(v[4]));
	codec_fidelity_apply(&f, NULL, DTYPE_I16, iv, 4);
	assert_true(iv[0] == 1 && iv[1] == 1 && iv[2] == 7 && iv[3] == 500);
	/* an exact value at the top moves down */
	f.exact[0] = 80;
	v[0] = 85.0f;
	codec_fidelity_apply(&f, &q, DTYPE_F32, v, 1);
	assert_true(v[0] < 80.0f && v[0] > 79.99f);
}

static void corr_roundtrip_and_refusals(void **state)
{
	uint32_t spos[] = { 0, 2, 70 }, epos[] = { 3, 4, 90, 99 };
	int32_t code[] = { 1, -2, 40000 };
	float vals[] = { 1.5f, -2.0f, 1e30f, 7.0f }, dst[100];
	uint16_t smp[100];
	struct codec_corr in = {
		.nsamp = 3, .nexact = 4, .step = 5, .spos = spos,
		.scode = code, .epos = epos, .evals = (uint8_t *)vals,
	}, c;
	uint8_t *blk;
	size_t len;

	(void)state;
	memset(dst, 0, sizeof(dst));
	for (int i = 0; i < 100; i++)
		smp[i] = 100;
	assert_int_equal(codec_corr_pack(&in, DTYPE_F32, 100, &blk, &len), 0);
	assert_int_equal(codec_corr_parse(blk, len, DTYPE_F32, 100, 7, &c), 0);
	codec_corr_samples(&c, smp, 12, 100);
	codec_corr_values(&c, DTYPE_F32, dst, 100);
	/* sample moves are code * step, clamped to the depth */
	assert_true(smp[0] == 105 && smp[2] == 90 && smp[70] == 4095 &&
		    smp[1] == 100);
	assert_true(dst[3] == 1.5f && dst[4] == -2.0f && dst[90] == 1e30f &&
		    dst[99] == 7.0f && dst[5] == 0);
	codec_corr_release(&c);
	/* a position past the end, another count, a cut block: refused */
	assert_int_equal(codec_corr_parse(blk, len, DTYPE_F32, 99, 7, &c), -EIO);
	assert_true(!c.spos && !c.nexact);
	assert_int_equal(codec_corr_parse(blk, len, DTYPE_F32, 100, 6, &c), -EIO);
	for (size_t cut = 0; cut < len; cut++)
		assert_int_not_equal(codec_corr_parse(blk, cut, DTYPE_F32, 100,
						      7, &c), 0);
	free(blk);
	/* positions out of order cannot be packed */
	spos[1] = 0;
	assert_int_equal(codec_corr_pack(&in, DTYPE_F32, 100, &blk, &len), -EINVAL);
}

/* Codes packed in 2 or 4 bits, positions dense enough for a bitmap. */
static void corr_packings(void **state)
{
	static const int32_t sets[3][4] = {
		{ 1, -1, 2, -2 }, { 8, -8, 3, -5 }, { 9, -1, 1, 1 },
	};
	uint32_t spos[] = { 1, 2, 4, 7 };
	uint16_t smp[10];

	(void)state;
	for (int k = 0; k < 3; k++) {
		struct codec_corr in = {
			.nsamp = 4, .step = 3, .spos = spos,
			.scode = (int32_t *)sets[k],
		}, c;
		uint8_t *blk;
		size_t len;

		for (int i = 0; i < 10; i++)
			smp[i] = 1000;
		assert_int_equal(codec_corr_pack(&in, DTYPE_U16, 10, &blk,
						 &len), 0);
		assert_int_equal(codec_corr_parse(blk, len, DTYPE_U16, 10, 4,
						  &c), 0);
		codec_corr_samples(&c, smp, 12, 10);
		for (int i = 0; i < 4; i++)
			assert_int_equal(smp[spos[i]], 1000 + 3 * sets[k][i]);
		assert_int_equal(smp[0] + smp[3] + smp[9], 3000);
		codec_corr_release(&c);
		free(blk);
	}
}

/* Stores made before sample corrections hold format 1: still read. */
static void corr_reads_format_1(void **state)
{
	uint8_t raw[4 + 3 * 8], *blk;
	uint32_t n = 3, d[] = { 3, 1, 86 };
	float vals[] = { 1.5f, -2.0f, 7.0f }, dst[100] = { 0 }, part[100] = { 0 };
	struct codec_corr c;
	size_t len;

	(void)state;
	memcpy(raw, &n, 4);
	memcpy(raw + 4, d, sizeof(d));
	memcpy(raw + 16, vals, sizeof(vals));
	assert_int_equal(codec_block_pack(raw, sizeof(raw), &blk, &len), 0);
	assert_int_equal(codec_corr_parse(blk, len, DTYPE_F32, 100, 3, &c), 0);
	assert_int_equal(c.nsamp, 0);
	codec_corr_values(&c, DTYPE_F32, dst, 100);
	assert_true(dst[3] == 1.5f && dst[4] == -2.0f && dst[90] == 7.0f);
	/* a decode of the first frames only: positions past them untouched */
	codec_corr_values(&c, DTYPE_F32, part, 90);
	assert_true(part[3] == 1.5f && part[4] == -2.0f && part[90] == 0.0f);
	codec_corr_release(&c);
	assert_int_equal(codec_corr_parse(blk, len, DTYPE_F32, 90, 3, &c), -EIO);
	free(blk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(quant_roundtrip_within_half_step),
		cmocka_unit_test(quant_full_range_used),
		cmocka_unit_test(quant_ignores_masked_and_nan),
		cmocka_unit_test(quant_constant_plane),
		cmocka_unit_test(quant_exact_integers),
		cmocka_unit_test(quant_dequantize_clamps_integers),
		cmocka_unit_test(quant_fill_masked_is_smooth),
		cmocka_unit_test(mask_roundtrip),
		cmocka_unit_test(mask_apply_restores_nan_and_fill),
		cmocka_unit_test(mask_exact_classes_roundtrip),
		cmocka_unit_test(fidelity_clamps_and_avoids_exact),
		cmocka_unit_test(corr_roundtrip_and_refusals),
		cmocka_unit_test(corr_packings),
		cmocka_unit_test(corr_reads_format_1),
	};

	return cmocka_run_group_tests_name("quant", tests, NULL, NULL);
}
