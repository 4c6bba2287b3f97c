/* SPDX-License-Identifier: MIT */
/* Tests of lz4 blocks: round trip, and refusal of corrupt or mismatched blocks. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "codec/block.h"

static void block_roundtrip(void **state)
{
	size_t n = 1 << 20;
	uint8_t *src = malloc(n), *dst = malloc(n), *blk;
	size_t len;

	(void)state;
	for (size_t i = 0; i < n; i++)
		src[i] = (uint8_t)((i * 7) ^ (i >> 9));
	assert_int_equal(codec_block_pack(src, n, &blk, &len), 0);
	assert_int_equal(codec_block_raw_size(blk, len), (ssize_t)n);
	/* the header's first CODEC_BLOCK_HEADER bytes give the length, but
	 * a claim more than the lz4 data could hold is refused */
	assert_int_equal(codec_block_raw_size(blk, CODEC_BLOCK_HEADER + 4 +
					      n / 255), (ssize_t)n);
	assert_int_equal(codec_block_raw_size(blk, CODEC_BLOCK_HEADER + 4 +
					      n / 255 - 2), -EIO);
	assert_int_equal(codec_block_unpack(blk, len, dst, n), 0);
	assert_memory_equal(src, dst, n);
	free(blk);
	assert_int_equal(codec_block_pack(src, 0, &blk, &len), 0);
	assert_int_equal(codec_block_unpack(blk, len, dst, 0), 0);
	free(blk);
	free(src);
	free(dst);
}

/* Elements of 2, 4 and 8 bytes come back as they were (a smooth field
 * smaller than bytes would), other sizes as bytes; a flipped byte is
 * refused as in any block. */
static void block_elems_roundtrip(void **state)
{
	enum { N = 4096 };
	static const int sizes[] = { 2, 4, 8, 3 };
	float *f = malloc(N * sizeof(*f));
	uint8_t *dst = malloc(N * 8), *blk, *plain;
	size_t len, plen;

	(void)state;
	for (int i = 0; i < N; i++)
		f[i] = 22.5f + 0.01f * (float)(i % 64) + 0.3f * (float)(i / 64);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t n = N * sizeof(*f) - (sizes[k] == 3 ? 1 : 0);

		assert_int_equal(codec_block_pack_elems(f, n, sizes[k], &blk,
							&len), 0);
		assert_int_equal(codec_block_raw_size(blk, len), (ssize_t)n);
		assert_int_equal(codec_block_unpack(blk, len, dst, n), 0);
		assert_memory_equal(f, dst, n);
		if (sizes[k] == 4) {
			assert_int_equal(codec_block_pack(f, n, &plain, &plen),
					 0);
			assert_true(len < plen);
			free(plain);
			blk[len - 3] ^= 0x10;
			assert_int_equal(codec_block_unpack(blk, len, dst, n),
					 -EIO);
		}
		free(blk);
	}
	free(f);
	free(dst);
}

static void block_refuses_corruption(void **state)
{
	uint8_t src[4096], dst[4096], *blk;
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i % 251);
	assert_int_equal(codec_block_pack(src, sizeof(src), &blk, &len), 0);
	/* another expected size */
	assert_int_equal(codec_block_unpack(blk, len, dst, 4095), -EIO);
	/* truncated at every length */
	for (size_t cut = 0; cut < len; cut++) {
		memset(dst, 0xaa, sizeof(dst));
		if (codec_block_unpack(blk, cut, dst, sizeof(dst)) == 0)
			fail_msg("truncated block at %zu accepted", cut);
		for (size_t i = 0; i < sizeof(dst); i++)
			assert_int_equal(dst[i], 0);
	}
	/* bad magic */
	blk[0] = 'X';
	assert_int_equal(codec_block_unpack(blk, len, dst, sizeof(dst)), -EIO);
	assert_int_equal(codec_block_raw_size(blk, len), -EIO);
	free(blk);
}

/* Every flipped byte is refused: lz4 alone would decode many of them to
 * wrong bytes of the right length; the block's crc does not. */
static void block_refuses_every_flip(void **state)
{
	uint8_t src[2048], dst[2048], *blk;
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)((i * 13) ^ (i >> 4));
	assert_int_equal(codec_block_pack(src, sizeof(src), &blk, &len), 0);
	for (size_t i = 0; i < len; i++) {
		blk[i] ^= 0x10;
		if (codec_block_unpack(blk, len, dst, sizeof(dst)) == 0)
			fail_msg("block with byte %zu of %zu flipped accepted",
				 i, len);
		blk[i] ^= 0x10;
	}
	assert_int_equal(codec_block_unpack(blk, len, dst, sizeof(dst)), 0);
	assert_memory_equal(src, dst, sizeof(src));
	free(blk);
}

/* Blocks of the first format (no crc), as stores made before hold them,
 * still unpack. */
static void block_reads_format_1(void **state)
{
	uint8_t src[4096], dst[4096], *blk;
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i / 17);
	assert_int_equal(codec_block_pack(src, sizeof(src), &blk, &len), 0);
	assert_memory_equal(blk, "CB2", 4);
	assert_true(codec_block_checked(blk, len));
	assert_false(codec_block_checked(blk, CODEC_BLOCK_HEADER + 3));
	blk[2] = '1';
	memmove(blk + CODEC_BLOCK_HEADER, blk + CODEC_BLOCK_HEADER + 4,
		len - CODEC_BLOCK_HEADER - 4);
	len -= 4;
	assert_int_equal(codec_block_raw_size(blk, len), sizeof(src));
	/* no checksum of its own: a reader checks the catalog's */
	assert_false(codec_block_checked(blk, len));
	assert_int_equal(codec_block_unpack(blk, len, dst, sizeof(dst)), 0);
	assert_memory_equal(src, dst, sizeof(src));
	assert_false(codec_block_checked("XYZ\0garbage.........", 20));
	free(blk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(block_roundtrip),
		cmocka_unit_test(block_elems_roundtrip),
		cmocka_unit_test(block_refuses_corruption),
		cmocka_unit_test(block_refuses_every_flip),
		cmocka_unit_test(block_reads_format_1),
	};

	return cmocka_run_group_tests_name("block", tests, NULL, NULL);
}
