/* SPDX-License-Identifier: MIT */
/* lz4 blocks: exact storage of raw bytes (lossless variables, masks). */
#ifndef CUBEFS_CODEC_BLOCK_H
#define CUBEFS_CODEC_BLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * A block is a header ("CB2\0", u64 raw length LE, u32 crc32 of the lz4
 * data; or "CB1\0" and the length, without the crc, in stores made
 * before) then lz4 data. CODEC_BLOCK_HEADER bytes give the raw length.
 */
#define CODEC_BLOCK_HEADER 12

/* Bytes a block of n raw bytes may take at most. */
size_t codec_block_bound(size_t n);

/*
 * Compresses n bytes of src (lz4 HC) into a new malloc'd block stored in
 * *out (*out_len bytes; the caller frees it). Returns 0, -ENOMEM, or
 * -EFBIG for inputs lz4 cannot take (over ~2 GiB: callers split).
 */
int codec_block_pack(const void *src, size_t n, uint8_t **out,
		     size_t *out_len);

/*
 * As codec_block_pack(), for n bytes of elements of esize bytes (2, 4 or
 * 8; other sizes are packed as bytes): each element's difference from the
 * one before, bytes grouped by their position, then lz4 ("CB3" and the
 * size in the magic). codec_block_unpack() undoes it.
 */
int codec_block_pack_elems(const void *src, size_t n, int esize,
			   uint8_t **out, size_t *out_len);

/* Raw length a block of len bytes claims (only its first
 * CODEC_BLOCK_HEADER bytes are read), or -EIO if the header is not a
 * block's or claims more than len bytes of lz4 data can hold. */
ssize_t codec_block_raw_size(const void *blk, size_t len);

/*
 * Decompresses the block blk (len bytes, untrusted) into dst, which must
 * hold exactly the raw length (cap). Returns 0, or -EIO for a corrupt or
 * truncated block (a crc mismatch included) or a raw length other than
 * cap; dst is then zeroed.
 */
int codec_block_unpack(const void *blk, size_t len, void *dst, size_t cap);

/*
 * Whether blk (len bytes) is a block that carries a checksum of its lz4
 * data, which codec_block_unpack() verifies: a caller that checked the
 * whole block's bytes for the same thing need not. Its header's other
 * fields are checked by unpacking too (magic, raw length against cap).
 */
int codec_block_checked(const void *blk, size_t len);

#endif
