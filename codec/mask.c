/* SPDX-License-Identifier: MIT */
/* NaN and fill masks as one lz4 block of bitmaps, one bitmap per class present. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec/block.h"
#include "codec/mask.h"

/* Raw layout: u8 flags (bit0 NaN layer, bit1 fill layer), u64 n LE, bitmaps. */
#define MASK_HDR 9

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
		if (cls[i] > MASK_FILL)
			return -EINVAL;
		if (cls[i])
			flags |= (uint8_t)cls[i];
	}
	raw_len = MASK_HDR + nb * ((flags & 1) + (flags >> 1));
	raw = calloc(1, raw_len);
	if (!raw)
		return -ENOMEM;
	raw[0] = flags;
	for (int i = 0; i < 8; i++)
		raw[1 + i] = (uint8_t)((uint64_t)n >> (8 * i));
	for (uint8_t c = MASK_NAN; c <= MASK_FILL; c++) {
		if (!(flags & c))
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
	/* at most two bitmaps: a larger claim is damage, not an allocation */
	if (raw_len < MASK_HDR || (size_t)raw_len > MASK_HDR + 2 * nb)
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
	if (flags > 3 || count != n ||
	    (size_t)raw_len != MASK_HDR + nb * ((flags & 1) + (flags >> 1)))
		goto out;
	for (uint8_t c = MASK_NAN; c <= MASK_FILL; c++) {
		const uint8_t *bm;

		if (!(flags & c))
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
