/* SPDX-License-Identifier: MIT */
/* Corrections as one lz4 block: varint positions, small sample codes, exact values. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec/block.h"
#include "codec/correct.h"

#define CORR_MAGIC 0x32524f43u  /* "COR2" little-endian */
#define CORR_HEAD 17
#define LAYOUT_BITMAP 1         /* sample positions: a bitmap of the GOP */
#define LAYOUT_CODES 6          /* code packing, CODES_* << 1 */
enum { CODES_VARINT = 0, CODES_2BIT = 1, CODES_4BIT = 2 };

static size_t put_varint(uint8_t *p, uint32_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* Reads a varint at *at of raw (len bytes); -1 if truncated or too long. */
static int get_varint(const uint8_t *raw, size_t len, size_t *at, uint32_t *v)
{
	uint64_t x = 0;

	for (int shift = 0; shift < 35; shift += 7) {
		uint8_t b;

		if (*at >= len)
			return -1;
		b = raw[(*at)++];
		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			if (x > UINT32_MAX)
				return -1;
			*v = (uint32_t)x;
			return 0;
		}
	}
	return -1;
}

static size_t put_positions(uint8_t *p, const uint32_t *pos, uint32_t n)
{
	size_t at = 0;

	for (uint32_t i = 0; i < n; i++)
		at += put_varint(p + at, pos[i] - (i ? pos[i - 1] : 0));
	return at;
}

static int ascending(const uint32_t *pos, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++)
		if (pos[i] <= pos[i - 1])
			return 0;
	return 1;
}

/* The tightest packing that holds every code. */
static int code_packing(const struct codec_corr *c)
{
	int32_t m = 0;

	for (uint32_t i = 0; i < c->nsamp; i++) {
		int32_t a = c->scode[i] < 0 ? -c->scode[i] : c->scode[i];

		if (c->scode[i] == 0 || c->scode[i] == INT32_MIN)
			return CODES_VARINT;
		m = a > m ? a : m;
	}
	return m <= 2 ? CODES_2BIT : m <= 8 ? CODES_4BIT : CODES_VARINT;
}

/* Nonzero codes of at most 2 or 8 in size as 2- or 4-bit fields. */
static size_t put_codes(uint8_t *p, const int32_t *code, uint32_t n, int kind)
{
	size_t at = 0;

	if (kind == CODES_VARINT) {
		for (uint32_t i = 0; i < n; i++)
			at += put_varint(p + at, ((uint32_t)code[i] << 1) ^
					 (uint32_t)(code[i] >> 31));
		return at;
	}
	int w = kind == CODES_2BIT ? 2 : 4, half = 1 << (w - 1);

	at = ((size_t)n * w + 7) / 8;
	memset(p, 0, at);
	for (uint32_t i = 0; i < n; i++) {
		int v = code[i] < 0 ? code[i] + half : code[i] + half - 1;

		p[(size_t)i * w / 8] |= (uint8_t)(v << ((size_t)i * w % 8));
	}
	return at;
}

int codec_corr_pack(const struct codec_corr *c, enum dtype t, size_t nvals,
		    uint8_t **out, size_t *out_len)
{
	size_t isz = dtype_size(t), at = CORR_HEAD, vbytes = 0;
	size_t bmap = (nvals + 7) / 8;
	size_t cap = CORR_HEAD + bmap + (size_t)c->nsamp * 10 +
		(size_t)c->nexact * (5 + isz);
	/* without sample corrections the step means nothing: 1, never 0 */
	uint32_t head[4] = { CORR_MAGIC, c->nsamp, c->nexact,
			     c->nsamp ? c->step : 1 };
	int kind = code_packing(c);
	uint8_t *raw, layout = (uint8_t)(kind << 1);
	int rc;

	*out = NULL;
	*out_len = 0;
	/* a format-1 reader would take a total equal to the magic for its n */
	if (!ascending(c->spos, c->nsamp) || !ascending(c->epos, c->nexact) ||
	    (c->nsamp && !c->step) ||
	    (uint64_t)c->nsamp + c->nexact >= CORR_MAGIC ||
	    (c->nsamp && c->spos[c->nsamp - 1] >= nvals) ||
	    (c->nexact && c->epos[c->nexact - 1] >= nvals))
		return -EINVAL;
	raw = malloc(cap);
	if (!raw)
		return -ENOMEM;
	for (uint32_t i = 0; i < c->nsamp; i++) {
		uint32_t d = c->spos[i] - (i ? c->spos[i - 1] : 0);

		vbytes += d < 1u << 7 ? 1 : d < 1u << 14 ? 2 : d < 1u << 21 ?
			3 : d < 1u << 28 ? 4 : 5;
	}
	if (bmap < vbytes)     /* dense corrections: a bitmap is smaller */
		layout |= LAYOUT_BITMAP;
	memcpy(raw, head, sizeof(head));
	raw[16] = layout;
	if (layout & LAYOUT_BITMAP) {
		memset(raw + at, 0, bmap);
		for (uint32_t i = 0; i < c->nsamp; i++)
			raw[at + c->spos[i] / 8] |= (uint8_t)(1u << c->spos[i] % 8);
		at += bmap;
	} else {
		at += put_positions(raw + at, c->spos, c->nsamp);
	}
	at += put_codes(raw + at, c->scode, c->nsamp, kind);
	at += put_positions(raw + at, c->epos, c->nexact);
	memcpy(raw + at, c->evals, (size_t)c->nexact * isz);
	at += (size_t)c->nexact * isz;
	rc = codec_block_pack(raw, at, out, out_len);
	free(raw);
	return rc;
}

void codec_corr_release(struct codec_corr *c)
{
	free(c->spos);
	free(c->scode);
	free(c->epos);
	free(c->evals);
	memset(c, 0, sizeof(*c));
}

/* Reads n position deltas at *at: ascending, each < nvals. */
static int get_positions(const uint8_t *raw, size_t len, size_t *at,
			 uint32_t n, size_t nvals, uint32_t *pos)
{
	uint64_t p = 0;

	for (uint32_t i = 0; i < n; i++) {
		uint32_t d;

		if (get_varint(raw, len, at, &d) || (i && d == 0))
			return -1;
		p += d;
		if (p >= nvals)
			return -1;
		pos[i] = (uint32_t)p;
	}
	return 0;
}

static int alloc_lists(struct codec_corr *c, size_t isz)
{
	c->spos = malloc((size_t)c->nsamp * 4 + 1);
	c->scode = malloc((size_t)c->nsamp * 4 + 1);
	c->epos = malloc((size_t)c->nexact * 4 + 1);
	c->evals = malloc((size_t)c->nexact * isz + 1);
	return c->spos && c->scode && c->epos && c->evals ? 0 : -ENOMEM;
}

/* Format 1: u32 n, n u32 deltas, n values. */
static int parse_v1(const uint8_t *raw, size_t len, size_t isz, size_t nvals,
		    struct codec_corr *c)
{
	uint32_t n;
	uint64_t p = 0;

	memcpy(&n, raw, 4);
	c->nexact = n;
	if (alloc_lists(c, isz))
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t d;

		memcpy(&d, raw + 4 + 4 * (size_t)i, 4);
		p += d;
		if ((i && d == 0) || p >= nvals)
			return -EIO;
		c->epos[i] = (uint32_t)p;
	}
	memcpy(c->evals, raw + 4 + 4 * (size_t)n, (size_t)n * isz);
	(void)len;
	return 0;
}

/* n sample positions as a bitmap of nvals bits at *at. */
static int get_bitmap(const uint8_t *raw, size_t len, size_t *at,
		      uint32_t n, size_t nvals, uint32_t *pos)
{
	size_t bytes = (nvals + 7) / 8;
	uint32_t k = 0;

	if (len - *at < bytes)
		return -1;
	for (size_t i = 0; i < nvals; i++)
		if (raw[*at + i / 8] >> (i % 8) & 1) {
			if (k == n)
				return -1;
			pos[k++] = (uint32_t)i;
		}
	*at += bytes;
	return k == n ? 0 : -1;
}

static int get_codes(const uint8_t *raw, size_t len, size_t *at, int kind,
		     uint32_t n, int32_t *code)
{
	int w = kind == CODES_2BIT ? 2 : 4, half = 1 << (w - 1);
	size_t bytes = ((size_t)n * w + 7) / 8;

	if (kind == CODES_VARINT) {
		for (uint32_t i = 0; i < n; i++) {
			uint32_t z;

			if (get_varint(raw, len, at, &z))
				return -1;
			code[i] = (int32_t)(z >> 1) ^ -(int32_t)(z & 1);
		}
		return 0;
	}
	if (kind != CODES_2BIT && kind != CODES_4BIT)
		return -1;
	if (len - *at < bytes)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		int v = raw[*at + (size_t)i * w / 8] >> ((size_t)i * w % 8) &
			((1 << w) - 1);

		code[i] = v < half ? v - half : v - half + 1;
	}
	*at += bytes;
	return 0;
}

static int parse_v2(const uint8_t *raw, size_t len, size_t isz, size_t nvals,
		    struct codec_corr *c)
{
	uint32_t head[4];
	size_t at = CORR_HEAD;
	uint8_t layout;

	if (len < CORR_HEAD)
		return -EIO;
	memcpy(head, raw, sizeof(head));
	layout = raw[16];
	if (head[0] != CORR_MAGIC || head[3] == 0 || head[1] > nvals ||
	    head[2] > len || (layout & ~(LAYOUT_BITMAP | LAYOUT_CODES)))
		return -EIO;
	c->nsamp = head[1];
	c->nexact = head[2];
	c->step = head[3];
	if (alloc_lists(c, isz))
		return -ENOMEM;
	if (((layout & LAYOUT_BITMAP) ?
	     get_bitmap(raw, len, &at, c->nsamp, nvals, c->spos) :
	     get_positions(raw, len, &at, c->nsamp, nvals, c->spos)) ||
	    get_codes(raw, len, &at, (layout & LAYOUT_CODES) >> 1, c->nsamp,
		      c->scode))
		return -EIO;
	if (get_positions(raw, len, &at, c->nexact, nvals, c->epos) ||
	    len - at != (size_t)c->nexact * isz)
		return -EIO;
	memcpy(c->evals, raw + at, (size_t)c->nexact * isz);
	return 0;
}

int codec_corr_parse(const void *blk, size_t len, enum dtype t, size_t nvals,
		     uint32_t expect, struct codec_corr *c)
{
	ssize_t raw_len = codec_block_raw_size(blk, len);
	size_t isz = dtype_size(t);
	uint8_t *raw;
	uint32_t n;
	int rc = -EIO;

	memset(c, 0, sizeof(*c));
	/* no format takes more than this per value: a larger claim is
	 * damage, not an allocation */
	if (raw_len < 4 || !isz || nvals > SIZE_MAX / (32 + isz) ||
	    (size_t)raw_len > 64 + nvals * (32 + isz))
		return -EIO;
	raw = malloc((size_t)raw_len);
	if (!raw)
		return -ENOMEM;
	if (codec_block_unpack(blk, len, raw, (size_t)raw_len))
		goto out;
	memcpy(&n, raw, 4);
	if (n == expect && (size_t)raw_len == 4 + (size_t)n * (4 + isz))
		rc = parse_v1(raw, (size_t)raw_len, isz, nvals, c);
	else
		rc = parse_v2(raw, (size_t)raw_len, isz, nvals, c);
	if (!rc && (uint64_t)c->nsamp + c->nexact != expect)
		rc = -EIO;
out:
	free(raw);
	if (rc)
		codec_corr_release(c);
	return rc;
}

void codec_corr_samples(const struct codec_corr *c, uint16_t *s, int bits,
			size_t n)
{
	const int64_t top = (1 << bits) - 1;

	for (uint32_t i = 0; i < c->nsamp && c->spos[i] < n; i++) {
		int64_t x = s[c->spos[i]] + (int64_t)c->scode[i] * c->step;

		s[c->spos[i]] = (uint16_t)(x < 0 ? 0 : x > top ? top : x);
	}
}

void codec_corr_values(const struct codec_corr *c, enum dtype t, void *dst,
		       size_t n)
{
	size_t isz = dtype_size(t);

	for (uint32_t i = 0; i < c->nexact && c->epos[i] < n; i++)
		memcpy((char *)dst + (size_t)c->epos[i] * isz,
		       c->evals + (size_t)i * isz, isz);
}
