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

/* CB3: a CB2 block of elements of b[3] bytes (2, 4 or 8), each the
 * wrapping difference from the one before as an unsigned integer, their
 * bytes grouped by position (all first bytes, then all second ...): the
 * smooth fields and monotonic axes of coordinates become runs lz4 finds. */
static int elem_magic(const uint8_t *b)
{
	return b[0] == 'C' && b[1] == 'B' && b[2] == '3' &&
		(b[3] == 2 || b[3] == 4 || b[3] == 8) ? b[3] : 0;
}

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
	if (len >= HEAD2 && (!memcmp(b, magic2, 4) || elem_magic(b)))
		return HEAD2;
	return 0;
}

#define DELTA(type, sign)						\
	do {								\
		type prev = 0, x;					\
		for (size_t i = 0; i < ne; i++) {			\
			memcpy(&x, (const char *)in + i * sizeof(x),	\
			       sizeof(x));				\
			if (sign > 0)					\
				x = (type)(x + prev), prev = x;	\
			else						\
				x = (type)(x - prev), prev = (type)(x + prev); \
			memcpy((char *)in + i * sizeof(x), &x, sizeof(x)); \
		}							\
	} while (0)

/* Differences (sign < 0) or their sums (sign > 0) of the ne elements of
 * esize bytes at in, in place. */
static void delta(void *in, size_t ne, int esize, int sign)
{
	switch (esize) {
	case 2: DELTA(uint16_t, sign); break;
	case 4: DELTA(uint32_t, sign); break;
	default: DELTA(uint64_t, sign); break;
	}
}

/* Byte k of element i moves to k * ne + i (apart) or back (together). */
static void shuffle(const uint8_t *in, uint8_t *out, size_t ne, int esize,
		    int apart)
{
	for (size_t i = 0; i < ne; i++)
		for (int k = 0; k < esize; k++) {
			if (apart)
				out[k * ne + i] = in[i * esize + k];
			else
				out[i * esize + k] = in[k * ne + i];
		}
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

int codec_block_pack_elems(const void *src, size_t n, int esize,
			   uint8_t **out, size_t *out_len)
{
	uint8_t *t;
	int rc;

	if ((esize != 2 && esize != 4 && esize != 8) || n % (size_t)esize ||
	    !n)
		return codec_block_pack(src, n, out, out_len);
	t = malloc(2 * n);
	if (!t)
		return -ENOMEM;
	memcpy(t + n, src, n);
	delta(t + n, n / (size_t)esize, esize, -1);
	shuffle(t + n, t, n / (size_t)esize, esize, 1);
	rc = codec_block_pack(t, n, out, out_len);
	if (!rc)
		(*out)[2] = '3', (*out)[3] = (uint8_t)esize;
	free(t);
	return rc;
}

ssize_t codec_block_raw_size(const void *blk, size_t len)
{
	const uint8_t *b = blk;
	uint64_t raw;

	size_t h;

	/* the length is in the first CODEC_BLOCK_HEADER bytes of either */
	if (len < CODEC_BLOCK_HEADER || (memcmp(b, magic1, 4) &&
					 memcmp(b, magic2, 4) &&
					 !elem_magic(b)))
		return -EIO;
	h = b[2] != '1' ? HEAD2 : CODEC_BLOCK_HEADER;
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
	int got, esize;

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
	esize = elem_magic(blk);
	if (esize) {
		uint8_t *t;

		if (cap % (size_t)esize)
			goto bad;
		t = malloc(cap);
		if (!t) {
			memset(dst, 0, cap);
			return -ENOMEM;
		}
		memcpy(t, dst, cap);
		shuffle(t, dst, cap / (size_t)esize, esize, 0);
		delta(dst, cap / (size_t)esize, esize, 1);
		free(t);
	}
	return 0;
bad:
	memset(dst, 0, cap);
	return -EIO;
}

int codec_block_checked(const void *blk, size_t len)
{
	return head_len(blk, len) == HEAD2;
}
