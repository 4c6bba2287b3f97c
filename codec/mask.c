/* SPDX-License-Identifier: MIT */
/* NaN, fill and exact-value masks as one lz4 block of bitmaps, one bitmap per class present. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec/block.h"
#include "codec/mask.h"

/* Raw layout: u8 flags (bit c - 1 set: a layer for class c; bit0 NaN,
 * bit1 fill, then the exact values), u64 n LE, the bitmaps in class
 * order. Masks of NaN and fill alone are those of the first stores. */
#define MASK_HDR 9
#define FLAGS_ALL ((1u << (MASK_CLASSES - 1)) - 1)

static int layers(unsigned flags)
{
	return __builtin_popcount(flags);
}

size_t codec_mask_count(const uint8_t *cls, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += cls[i] != MASK_VALID;
	return k;
}

int codec_mask_pack(const uint8_t *cls, size_t n, uint8_t **out,
		    size_t *out_len)
{
	size_t nb = (n + 7) / 8, raw_len;
	uint8_t flags = 0, *raw, *bm;
	int rc, layer = 0;

	*out = NULL;
	*out_len = 0;
	for (size_t i = 0; i < n; i++) {
		if (cls[i] >= MASK_CLASSES)
			return -EINVAL;
		if (cls[i])
			flags |= (uint8_t)(1u << (cls[i] - 1));
	}
	raw_len = MASK_HDR + nb * (size_t)layers(flags);
	raw = calloc(1, raw_len);
	if (!raw)
		return -ENOMEM;
	raw[0] = flags;
	for (int i = 0; i < 8; i++)
		raw[1 + i] = (uint8_t)((uint64_t)n >> (8 * i));
	for (uint8_t c = MASK_NAN; c < MASK_CLASSES; c++) {
		if (!(flags & 1u << (c - 1)))
			continue;
		bm = raw + MASK_HDR + nb * layer++;
		for (size_t i = 0; i < n; i++)
			if (cls[i] == c)
				bm[i >> 3] |= (uint8_t)(1u << (i & 7));
	}
	rc = codec_block_pack(raw, raw_len, out, out_len);
	free(raw);
	return rc;
}

int codec_mask_unpack(const void *blk, size_t len, uint8_t *cls, size_t n)
{
	ssize_t raw_len = codec_block_raw_size(blk, len);
	size_t nb = (n + 7) / 8;
	uint8_t *raw = NULL, flags;
	uint64_t count = 0;
	int rc = -EIO, layer = 0;

	memset(cls, MASK_VALID, n);
	/* a bitmap per class at most: a larger claim is damage, not an
	 * allocation */
	if (raw_len < MASK_HDR ||
	    (size_t)raw_len > MASK_HDR + (MASK_CLASSES - 1) * nb)
		goto out;
	raw = malloc((size_t)raw_len);
	if (!raw) {
		rc = -ENOMEM;
		goto out;
	}
	if (codec_block_unpack(blk, len, raw, (size_t)raw_len))
		goto out;
	flags = raw[0];
	for (int i = 0; i < 8; i++)
		count |= (uint64_t)raw[1 + i] << (8 * i);
	if ((flags & ~FLAGS_ALL) || count != n ||
	    (size_t)raw_len != MASK_HDR + nb * (size_t)layers(flags))
		goto out;
	for (uint8_t c = MASK_NAN; c < MASK_CLASSES; c++) {
		const uint8_t *bm;

		if (!(flags & 1u << (c - 1)))
			continue;
		bm = raw + MASK_HDR + nb * layer++;
		for (size_t i = 0; i < n; i++)
			if (bm[i >> 3] >> (i & 7) & 1)
				cls[i] = c;
	}
	rc = 0;
out:
	if (rc)
		memset(cls, MASK_VALID, n);
	free(raw);
	return rc;
}
