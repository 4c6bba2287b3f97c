/* SPDX-License-Identifier: MIT */
/* lz4 blocks with a self-describing header, checked on the way in. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <lz4.h>
#include <lz4hc.h>

#include "codec/block.h"

static const uint8_t magic[4] = { 'C', 'B', '1', 0 };

size_t codec_block_bound(size_t n)
{
	if (n > LZ4_MAX_INPUT_SIZE)
		return 0;
	return CODEC_BLOCK_HEADER + (size_t)LZ4_compressBound((int)n);
}

int codec_block_pack(const void *src, size_t n, uint8_t **out,
		     size_t *out_len)
{
	size_t cap = codec_block_bound(n);
	uint8_t *buf;
	uint64_t raw = n;
	int len;

	*out = NULL;
	*out_len = 0;
	if (!cap)
		return -EFBIG;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, magic, 4);
	for (int i = 0; i < 8; i++)
		buf[4 + i] = (uint8_t)(raw >> (8 * i));
	len = n ? LZ4_compress_HC(src, (char *)buf + CODEC_BLOCK_HEADER, (int)n,
				  (int)(cap - CODEC_BLOCK_HEADER), 9) : 0;
	if (n && len <= 0) {
		free(buf);
		return -EIO;
	}
	*out = buf;
	*out_len = CODEC_BLOCK_HEADER + (size_t)len;
	return 0;
}

ssize_t codec_block_raw_size(const void *blk, size_t len)
{
	const uint8_t *b = blk;
	uint64_t raw = 0;

	if (len < CODEC_BLOCK_HEADER || memcmp(b, magic, 4))
		return -EIO;
	for (int i = 0; i < 8; i++)
		raw |= (uint64_t)b[4 + i] << (8 * i);
	if (raw > (uint64_t)SSIZE_MAX)
		return -EIO;
	return (ssize_t)raw;
}

int codec_block_unpack(const void *blk, size_t len, void *dst, size_t cap)
{
	ssize_t raw = codec_block_raw_size(blk, len);
	int got;

	if (raw < 0 || (size_t)raw != cap || len - CODEC_BLOCK_HEADER > INT_MAX
	    || cap > INT_MAX)
		goto bad;
	if (cap == 0)
		return len == CODEC_BLOCK_HEADER ? 0 : -EIO;
	got = LZ4_decompress_safe((const char *)blk + CODEC_BLOCK_HEADER, dst,
				  (int)(len - CODEC_BLOCK_HEADER), (int)cap);
	if (got < 0 || (size_t)got != cap)
		goto bad;
	return 0;
bad:
	memset(dst, 0, cap);
	return -EIO;
}
