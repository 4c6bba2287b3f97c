/* SPDX-License-Identifier: MIT */
/* lz4 blocks with a self-describing header, checked on the way in. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <lz4.h>
#include <lz4hc.h>
#include <zlib.h>

#include "codec/block.h"

/*
 * Two formats. CB1 (stores made before): "CB1\0", u64 raw length, lz4
 * data. CB2, written now: "CB2\0", u64 raw length, u32 crc32 of the lz4
 * data, lz4 data; the crc catches a flipped byte that lz4 would still
 * decode (to wrong bytes of the right length).
 */
static const uint8_t magic1[4] = { 'C', 'B', '1', 0 };
static const uint8_t magic2[4] = { 'C', 'B', '2', 0 };
#define HEAD2 (CODEC_BLOCK_HEADER + 4)

static uint32_t get_le(const uint8_t *b, int n, uint64_t *v)
{
	*v = 0;
	for (int i = 0; i < n; i++)
		*v |= (uint64_t)b[i] << (8 * i);
	return (uint32_t)*v;
}

static uint32_t payload_crc(const uint8_t *p, size_t n)
{
	uLong crc = crc32(0, NULL, 0);

	while (n) {
		uInt k = n > (1u << 30) ? 1u << 30 : (uInt)n;

		crc = crc32(crc, p, k);
		p += k;
		n -= k;
	}
	return (uint32_t)crc;
}

/* Header length of block blk (len bytes), or 0 if it is not a block. */
static size_t head_len(const uint8_t *b, size_t len)
{
	if (len >= CODEC_BLOCK_HEADER && !memcmp(b, magic1, 4))
		return CODEC_BLOCK_HEADER;
	if (len >= HEAD2 && !memcmp(b, magic2, 4))
		return HEAD2;
	return 0;
}

size_t codec_block_bound(size_t n)
{
	if (n > LZ4_MAX_INPUT_SIZE)
		return 0;
	return HEAD2 + (size_t)LZ4_compressBound((int)n);
}

int codec_block_pack(const void *src, size_t n, uint8_t **out,
		     size_t *out_len)
{
	size_t cap = codec_block_bound(n);
	uint8_t *buf;
	uint64_t raw = n;
	uint32_t crc;
	int len;

	*out = NULL;
	*out_len = 0;
	if (!cap)
		return -EFBIG;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, magic2, 4);
	for (int i = 0; i < 8; i++)
		buf[4 + i] = (uint8_t)(raw >> (8 * i));
	len = n ? LZ4_compress_HC(src, (char *)buf + HEAD2, (int)n,
				  (int)(cap - HEAD2), 9) : 0;
	if (n && len <= 0) {
		free(buf);
		return -EIO;
	}
	crc = payload_crc(buf + HEAD2, (size_t)len);
	for (int i = 0; i < 4; i++)
		buf[CODEC_BLOCK_HEADER + i] = (uint8_t)(crc >> (8 * i));
	*out = buf;
	*out_len = HEAD2 + (size_t)len;
	return 0;
}

ssize_t codec_block_raw_size(const void *blk, size_t len)
{
	const uint8_t *b = blk;
	uint64_t raw;

	size_t h;

	/* the length is in the first CODEC_BLOCK_HEADER bytes of either */
	if (len < CODEC_BLOCK_HEADER || (memcmp(b, magic1, 4) &&
					 memcmp(b, magic2, 4)))
		return -EIO;
	h = b[2] == '2' ? HEAD2 : CODEC_BLOCK_HEADER;
	get_le(b + 4, 8, &raw);
	/* lz4 makes at most 255 bytes of each byte it reads: a larger
	 * claim is damage, and must not size anyone's allocation */
	if (len < h || raw > (uint64_t)(len - h) * 255 + 255 ||
	    raw > (uint64_t)SSIZE_MAX)
		return -EIO;
	return (ssize_t)raw;
}

int codec_block_unpack(const void *blk, size_t len, void *dst, size_t cap)
{
	ssize_t raw = codec_block_raw_size(blk, len);
	size_t h = head_len(blk, len);
	uint64_t crc;
	int got;

	if (raw < 0 || !h || (size_t)raw != cap || len - h > INT_MAX ||
	    cap > INT_MAX)
		goto bad;
	if (h == HEAD2 && get_le((const uint8_t *)blk + CODEC_BLOCK_HEADER, 4,
				 &crc) != payload_crc((const uint8_t *)blk + h,
						      len - h))
		goto bad;
	if (cap == 0)
		return len == h ? 0 : -EIO;
	got = LZ4_decompress_safe((const char *)blk + h, dst, (int)(len - h),
				  (int)cap);
	if (got < 0 || (size_t)got != cap)
		goto bad;
	return 0;
bad:
	memset(dst, 0, cap);
	return -EIO;
}

int codec_block_checked(const void *blk, size_t len)
{
	return head_len(blk, len) == HEAD2;
}
