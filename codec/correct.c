/* SPDX-License-Identifier: MIT */
/* Corrections as one lz4 block: a count, delta-coded positions, then the exact values. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec/block.h"
#include "codec/correct.h"

int codec_corr_pack(const uint32_t *idx, const void *vals, enum dtype t,
		    uint32_t n, uint8_t **out, size_t *out_len)
{
	size_t isz = dtype_size(t), len = 4 + (size_t)n * (4 + isz);
	uint8_t *raw = malloc(len);
	uint32_t prev = 0;
	int rc;

	*out = NULL;
	*out_len = 0;
	if (!raw)
		return -ENOMEM;
	memcpy(raw, &n, 4);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t d = idx[i] - prev;	/* small deltas compress */

		memcpy(raw + 4 + 4 * (size_t)i, &d, 4);
		prev = idx[i];
	}
	memcpy(raw + 4 + 4 * (size_t)n, vals, (size_t)n * isz);
	rc = codec_block_pack(raw, len, out, out_len);
	free(raw);
	return rc;
}

int codec_corr_apply(const void *blk, size_t len, enum dtype t, void *dst,
		     size_t nvals, uint32_t expect)
{
	ssize_t raw_len = codec_block_raw_size(blk, len);
	size_t isz = dtype_size(t);
	uint8_t *raw;
	uint32_t n, pos = 0;
	int rc = -EIO;

	if (raw_len < 4 || !isz)
		return -EIO;
	raw = malloc((size_t)raw_len);
	if (!raw)
		return -ENOMEM;
	if (codec_block_unpack(blk, len, raw, (size_t)raw_len))
		goto out;
	memcpy(&n, raw, 4);
	if (n != expect || (size_t)raw_len != 4 + (size_t)n * (4 + isz))
		goto out;
	/* check every position first: all or nothing */
	for (uint32_t i = 0; i < n; i++) {
		uint32_t d;

		memcpy(&d, raw + 4 + 4 * (size_t)i, 4);
		if ((uint64_t)pos + d >= nvals || (i && d == 0))
			goto out;
		pos += d;
	}
	pos = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t d;

		memcpy(&d, raw + 4 + 4 * (size_t)i, 4);
		pos += d;
		memcpy((char *)dst + (size_t)pos * isz,
		       raw + 4 + 4 * (size_t)n + (size_t)i * isz, isz);
	}
	rc = 0;
out:
	free(raw);
	return rc;
}
